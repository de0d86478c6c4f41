/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * joinmsg.h — the join exchange (PROTOCOL.md section 10): the request a
 * joining daemon sends to a coordinator's join socket, and the answer.
 *
 * The request comes from a key nobody has admitted yet, the answer from
 * whoever holds the key named in an invite code: both decoders take the
 * bytes as hostile. Decoded answers borrow their records from the buffer
 * they were decoded from: keep it alive while using them.
 */
#ifndef SAMEN_JOINMSG_H
#define SAMEN_JOINMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "invite.h"
#include "mp.h"
#include "record.h"

#define JOINMSG_MAX (16u << 20) /* an answer carries every membership record */
#define JOINMSG_ERROR_MAX 127   /* bytes of a refusal's reason */
/* Records in one answer: no more than JOINMSG_MAX could hold of records
 * of the smallest size a signed record can have, rounded down. */
#define JOINMSG_RECORDS_MAX (JOINMSG_MAX / 128)

struct joinmsg_request {
	uint8_t secret[INVITE_SECRET_LEN]; /* wipe after use */
	uint8_t key[32];                   /* the joiner's Ed25519 key */
	char label[LABEL_MAX + 1];         /* one line, may be "" */
};

enum joinmsg_state { JOINMSG_PENDING = 1, JOINMSG_MEMBER, JOINMSG_REFUSED };

struct joinmsg_reply {
	enum joinmsg_state state;
	uint8_t nbhd[32];
	char error[JOINMSG_ERROR_MAX + 1]; /* "" when none was given */
	/* JOINMSG_MEMBER: n_records records, rec[i] (borrowed) of rec_len[i]
	 * bytes; the two arrays are the decoder's (joinmsg_reply_free) */
	size_t n_records;
	const uint8_t **rec;
	size_t *rec_len;
};

/* Packs q into b. Returns 0, SAMEN_EINVAL (a label that is not one line
 * of text) or -ENOMEM. */
int joinmsg_request_pack(struct mp_buf *b, const struct joinmsg_request *q) SAMEN_MUST_CHECK;

/*
 * Decodes a request strictly: a map of "op" ("join"), "secret" (bin16),
 * "key" (bin32) and an optional "label", nothing else. Returns 0,
 * SAMEN_EMALFORMED, SAMEN_ETOOBIG, SAMEN_EDEPTH, or SAMEN_EINVAL for a label
 * that spans lines (so the caller can say why). On failure *q is wiped.
 */
int joinmsg_request_decode(const uint8_t *buf, size_t len, struct joinmsg_request *q)
	SAMEN_MUST_CHECK;

/*
 * Packs the head of an answer: state, nbhd, error (NULL: none) and, for
 * JOINMSG_MEMBER, the key "records" and an array header of n_records; the
 * caller then packs exactly n_records bins. Returns 0, SAMEN_EINVAL or
 * -ENOMEM.
 */
int joinmsg_reply_pack_head(msgpack_packer *pk, enum joinmsg_state state,
			    const uint8_t nbhd[32], const char *error, size_t n_records)
	SAMEN_MUST_CHECK;

/*
 * Decodes an answer strictly: "state", "nbhd", an optional "error", and
 * "records" exactly when the state is "member" (at most
 * JOINMSG_RECORDS_MAX bins of at most RECORD_MAX bytes each). *r must be
 * zeroed or freed; free it with joinmsg_reply_free() whatever this returns.
 * Returns 0, SAMEN_EMALFORMED, SAMEN_ETOOBIG, SAMEN_EDEPTH or -ENOMEM.
 */
int joinmsg_reply_decode(const uint8_t *buf, size_t len, struct joinmsg_reply *r)
	SAMEN_MUST_CHECK;

/* Frees what joinmsg_reply_decode() allocated and zeroes *r. */
void joinmsg_reply_free(struct joinmsg_reply *r);

/* "pending", "member", "refused" */
const char *joinmsg_state_name(enum joinmsg_state s);

#endif
