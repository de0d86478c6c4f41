/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * record.h — samen's signed records: encoding, strict decoding, signing,
 * verification and ids. The byte layout is in proto/PROTOCOL.md.
 *
 * A record on the wire is a msgpack array [body: bin, sig: bin(64)]. The
 * signature is Ed25519 over RECORD_SIG_PREFIX followed by the body's exact
 * bytes; the id is BLAKE2b-256 of the whole encoded record. Encodings are
 * canonical (shortest msgpack forms, as msgpack-c writes them): a decoder
 * re-encodes what it read and refuses any difference, so one signed body has
 * exactly one id and nobody can re-wrap a record into a fake equivocation.
 *
 * A decoded struct record borrows from the bytes it was decoded from
 * (body, epoch entries, signal ciphertext and sealed keys): keep them alive
 * while the struct is used. Strings are copied and NUL-terminated.
 */
#ifndef SAMEN_RECORD_H
#define SAMEN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define RECORD_VERSION 1
#define RECORD_MAX 131072          /* whole encoded record, bytes */
#define RECORD_SIG_PREFIX "samen record v1" /* 15 bytes + the NUL = 16 */
#define RECORD_SIG_PREFIX_LEN 16

#define LABEL_MAX 64       /* bytes of a certificate label */
#define REASON_MAX 200     /* bytes of a revocation/retraction reason */
#define ENDPOINT_MAX 200   /* bytes of a peer endpoint */
#define TEXT_MAX 1024      /* bytes of a description or announcement text */
#define WHERE_MAX 256      /* bytes of a place description */
#define EPOCH_MEMBERS_MAX 1024
#define SIGNAL_AUTH_MAX 16 /* authorities a signal can be shared with */
#define SIGNAL_CT_MAX 2048 /* signal ciphertext bytes */
#define SEALED_KEY_LEN 80  /* crypto_box_seal of a 32-byte key */
#define KEY_ENTRY_LEN (32 + SEALED_KEY_LEN) /* recipient pk || sealed key */

enum record_kind {
	REC_CERT = 1,
	REC_REVOCATION = 2,
	REC_EPOCH = 3,
	REC_PEER = 4,
	REC_SIGNAL = 5,
	REC_RETRACTION = 6,
	REC_ANNOUNCE = 7,
};

enum cert_role {
	ROLE_MEMBER = 1,
	ROLE_COORDINATOR = 2,
	ROLE_RELAY = 3,
	ROLE_AUTHORITY = 4,
};

enum revoke_scope {
	REVOKE_KEY = 0,      /* the key only; what it certified within the bound stays valid */
	REVOKE_CASCADE = 1,  /* the key and everything it certified */
};

enum announce_kind {
	ANNOUNCE_LOOKOUT = 1,  /* look out for ... */
	ANNOUNCE_FOUND = 2,    /* found / resolved */
	ANNOUNCE_ENROUTE = 3,  /* police are on their way */
	ANNOUNCE_INFO = 4,
};

struct rec_cert {
	uint8_t subject[32];
	uint8_t role;                /* enum cert_role */
	char label[LABEL_MAX + 1];
	uint64_t not_before, not_after; /* unix seconds, [not_before, not_after) */
};

struct rec_revocation {
	uint8_t subject[32];
	uint8_t scope;               /* enum revoke_scope */
	char reason[REASON_MAX + 1];
	/* The subject's records with seq <= upto keep whatever authority they
	 * had; later ones have none, whatever their `created` says. 0.1.0
	 * wrote revocations without it (has_upto false): they decode and
	 * re-encode byte-exact, and count as a bound of 0. */
	bool has_upto;
	uint64_t upto;
};

struct rec_epoch {
	uint64_t number;             /* 1, 2, 3 ... within the neighbourhood */
	const uint8_t *entries;      /* n_entries * KEY_ENTRY_LEN bytes */
	size_t n_entries;            /* 1 .. EPOCH_MEMBERS_MAX */
};

struct rec_peer {
	char endpoint[ENDPOINT_MAX + 1]; /* e.g. "tcp://192.0.2.7:7400" */
	uint64_t expires;
};

struct rec_signal {
	uint8_t epoch_id[32];        /* id of the epoch record whose key wraps */
	uint64_t expires;            /* public, so relays can prune */
	uint8_t nonce[24];
	const uint8_t *ct;           /* XChaCha20-Poly1305 of the plaintext */
	size_t ct_len;               /* 16 .. SIGNAL_CT_MAX */
	uint8_t wrap_nonce[24];
	uint8_t wrapped[48];         /* content key under the epoch key */
	const uint8_t *sealed;       /* n_sealed * KEY_ENTRY_LEN bytes */
	size_t n_sealed;             /* 0 .. SIGNAL_AUTH_MAX */
};

struct rec_retraction {
	uint8_t target[32];          /* id of the retracted signal */
	char reason[REASON_MAX + 1];
};

struct rec_announce {
	uint8_t kind;                /* enum announce_kind */
	char text[TEXT_MAX + 1];
	char where[WHERE_MAX + 1];
	uint64_t expires;
};

struct record {
	/* header */
	uint8_t kind;                /* enum record_kind */
	uint8_t nbhd[32];            /* neighbourhood id = founder's key */
	uint8_t author[32];
	uint64_t seq;                /* >= 1 */
	uint64_t created;            /* unix seconds */
	union {
		struct rec_cert cert;
		struct rec_revocation rev;
		struct rec_epoch epoch;
		struct rec_peer peer;
		struct rec_signal signal;
		struct rec_retraction retraction;
		struct rec_announce announce;
	} u;
	/* set by record_decode() and record_sign() */
	uint8_t sig[64];
	uint8_t id[32];
	const uint8_t *body;         /* borrowed: the signed bytes */
	size_t body_len;
};

/*
 * Encodes r's header and payload as a body, signs it with sk (the 64-byte
 * libsodium Ed25519 secret key; its public half must equal r->author, else
 * SAMEN_EINVAL), and writes the encoded record to a malloc'ed *out (caller
 * frees). Sets r->sig, r->id, r->body (pointing into *out) and r->body_len.
 * Returns SAMEN_EINVAL if a field is outside its documented range.
 */
int record_sign(struct record *r, const uint8_t sk[64], uint8_t **out, size_t *out_len)
	SAMEN_MUST_CHECK;

/*
 * Decodes buf strictly into *r (see the file comment) and computes r->id.
 * Does not check the signature: call record_verify(). Returns 0,
 * SAMEN_EMALFORMED, SAMEN_ETOOBIG, SAMEN_EDEPTH, SAMEN_EVERSION, SAMEN_EKIND,
 * or -ENOMEM.
 */
int record_decode(const uint8_t *buf, size_t len, struct record *r) SAMEN_MUST_CHECK;

/* Checks r->sig over r->body by r->author. Returns 0 or SAMEN_EBADSIG. */
int record_verify(const struct record *r) SAMEN_MUST_CHECK;

/* record_decode() then record_verify(). */
int record_open(const uint8_t *buf, size_t len, struct record *r) SAMEN_MUST_CHECK;

/* BLAKE2b-256 of an encoded record. */
void record_id(const uint8_t *buf, size_t len, uint8_t id[32]);

/* The expiry the store prunes by: signal/peer/announce expires, a
 * certificate's not_after; 0 (never) for the others. */
uint64_t record_expires(const struct record *r);

/* Short lower-case names for logs and the CLI ("signal", "member" ...). */
const char *record_kind_name(unsigned kind);
const char *record_role_name(unsigned role);
/* Parses a role name; returns the role or SAMEN_EINVAL. */
int record_role_parse(const char *name);
/* An authority announcement's kind as the protocol names it ("lookout",
 * "found", "enroute", "info"; "unknown" out of range), and back (the kind,
 * or SAMEN_EINVAL). */
const char *record_announce_kind_name(unsigned kind);
int record_announce_kind_parse(const char *name);

#endif
