/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * link.h — messages between two daemons over a CURVE link (PROTOCOL.md
 * section 9). Each ZeroMQ message is one frame holding a msgpack array whose
 * first element is the message type.
 *
 * Decoded messages borrow from the frame they were decoded from: keep the
 * frame alive while using them.
 */
#ifndef SAMEN_LINK_H
#define SAMEN_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "mp.h"

#define LINK_VERSION 1
#define LINK_MSG_MAX (1u << 20)      /* ZMQ_MAXMSGSIZE on every link socket */
#define LINK_RECORDS_MAX 256         /* records in one RECORDS message */
#define LINK_VV_ENTRY 40             /* author (32) || u64be(contig) */
#define LINK_SKIP_ENTRY 48           /* author (32) || u64be(from) || u64be(upto) */
#define LINK_VV_MAX 16384            /* entries in one VV or SKIP message */

enum link_type {
	LINK_HELLO = 1,   /* [1, version, nbhd bin32, vv_hash bin32, advertise str] */
	LINK_RECORDS = 2, /* [2, [record bin, ...]] */
	LINK_VV_HASH = 3, /* [3, nbhd bin32, hash bin32] */
	LINK_VV = 4,      /* [4, nbhd bin32, entries bin (n * 40)] */
	LINK_SKIP = 5,    /* [5, nbhd bin32, entries bin (n * 48)]: gaps the sender holds nothing of */
	LINK_IHAVE = 6,   /* [6, nbhd bin32, ids bin (n * 32)]: lazy push */
	LINK_GRAFT = 7,   /* [7, nbhd bin32, ids bin (n * 32)]: send these, eagerly */
	LINK_PRUNE = 8,   /* [8, nbhd bin32]: stop pushing full records to me */
	LINK_REPLY = 9,   /* [9, [record bin, ...]]: records asked for (VV, GRAFT) */
};

#define LINK_IDS_MAX 4096 /* ids in one IHAVE or GRAFT */

struct link_msg {
	uint8_t type;
	uint64_t version;        /* HELLO */
	uint8_t nbhd[32];        /* HELLO, VV_HASH, VV, SKIP */
	uint8_t hash[32];        /* HELLO, VV_HASH */
	char advertise[201];     /* HELLO: endpoint to dial back, may be "" */
	/* RECORDS: n records, each rec[i] (borrowed) of len[i] bytes */
	size_t n_records;
	const uint8_t *rec[LINK_RECORDS_MAX];
	size_t rec_len[LINK_RECORDS_MAX];
	/* VV, SKIP: n entries of link_entry_size(type) bytes (borrowed) */
	const uint8_t *entries;
	size_t n_entries;
	/* IHAVE, GRAFT: n ids of 32 bytes (borrowed) */
	const uint8_t *ids;
	size_t n_ids;
};

/*
 * Decodes one frame. *m must be zeroed storage of the caller (it is large:
 * keep one per daemon rather than on a small stack). Returns 0,
 * SAMEN_EMALFORMED, SAMEN_ETOOBIG, SAMEN_EDEPTH or SAMEN_EVERSION.
 * u is initialised here and must be destroyed by the caller with
 * msgpack_unpacked_destroy() whatever the result.
 */
int link_decode(const uint8_t *buf, size_t len, msgpack_unpacked *u, struct link_msg *m)
	SAMEN_MUST_CHECK;

/* Encoders: each writes a complete frame into b (initialised by the caller). */
int link_encode_hello(struct mp_buf *b, const uint8_t nbhd[32], const uint8_t hash[32],
		      const char *advertise) SAMEN_MUST_CHECK;
/* RECORDS (type LINK_RECORDS, a push) or LINK_REPLY: call with the count,
 * then pack each record with mp_pack_bin(&b->pk, …). */
int link_records_begin(struct mp_buf *b, size_t n) SAMEN_MUST_CHECK;
int link_records_begin_type(struct mp_buf *b, uint8_t type, size_t n) SAMEN_MUST_CHECK;
/* IHAVE or GRAFT with n ids (n * 32 bytes). */
int link_encode_ids(struct mp_buf *b, uint8_t type, const uint8_t nbhd[32], const uint8_t *ids,
		    size_t n) SAMEN_MUST_CHECK;
int link_encode_prune(struct mp_buf *b, const uint8_t nbhd[32]) SAMEN_MUST_CHECK;
int link_encode_vv_hash(struct mp_buf *b, const uint8_t nbhd[32], const uint8_t hash[32])
	SAMEN_MUST_CHECK;
int link_encode_entries(struct mp_buf *b, uint8_t type, const uint8_t nbhd[32],
			const uint8_t *entries, size_t n) SAMEN_MUST_CHECK;

/* Bytes per entry of a VV (LINK_VV_ENTRY) or SKIP (LINK_SKIP_ENTRY) message. */
size_t link_entry_size(uint8_t type);

/* Reads entry i of a VV message. */
void link_entry(const uint8_t *entries, size_t i, uint8_t author[32], uint64_t *value);
/* Writes a VV entry. */
void link_entry_put(uint8_t *entries, size_t i, const uint8_t author[32], uint64_t value);

/* A SKIP entry: "I hold none of this author's records with from < seq <= upto". */
void link_skip_entry(const uint8_t *entries, size_t i, uint8_t author[32], uint64_t *from,
		     uint64_t *upto);
void link_skip_entry_put(uint8_t *entries, size_t i, const uint8_t author[32], uint64_t from,
			 uint64_t upto);

#endif
