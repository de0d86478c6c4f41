/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * submsg.h — the messages of a relay's subscriber socket (PROTOCOL.md
 * section 11): what a subscriber asks and what the relay answers, encoded
 * and strictly decoded in one place for both ends.
 *
 * A decoder refuses any map with an unknown or duplicate field, a missing
 * field, or a value outside its range. A cursor above SUBMSG_CURSOR_MAX is
 * refused with SAMEN_ETOOBIG (not SAMEN_EMALFORMED): no store ever reaches
 * it, so a peer that names one is lying, and the receiver counts it so.
 * Decoded records and texts borrow from the msgpack_unpacked the caller
 * passes in (initialised, and destroyed after use by the caller).
 */
#ifndef SAMEN_SUBMSG_H
#define SAMEN_SUBMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "err.h"
#include "mp.h"

#define SUBMSG_DEPTH 2
#define SUBMSG_CREDIT_MAX 4096
/* The largest cursor either end believes: far beyond what any store can
 * hold, and still exact in a JSON number. */
#define SUBMSG_CURSOR_MAX ((UINT64_C(1) << 53) - 1)
#define SUBMSG_TEXT_MAX 256
#define SUBMSG_CODE_MAX 16

/* Requests, subscriber -> relay. */
enum submsg_op {
	SUBOP_SUBSCRIBE = 1, /* from, credit */
	SUBOP_CREDIT,        /* n */
	SUBOP_ANNOUNCE,      /* record */
};

struct submsg_req {
	int op;
	uint64_t from;   /* subscribe */
	uint64_t credit; /* subscribe: 1..SUBMSG_CREDIT_MAX */
	uint64_t n;      /* credit: 1..SUBMSG_CREDIT_MAX */
	const uint8_t *record; /* announce: 1..RECORD_MAX bytes, borrowed */
	size_t record_len;
};

/* Replies, relay -> subscriber. */
enum submsg_type {
	SUBMSG_RECORD = 1, /* cursor, record */
	SUBMSG_MEMBER,     /* record: a certificate or revocation before `from` */
	SUBMSG_CAUGHT_UP,  /* cursor */
	SUBMSG_RESULT,     /* ok, error (the verdict on an announcement) */
	SUBMSG_ERROR,      /* error text, optional code */
};

/* Codes an error may carry, for a program to act on. */
#define SUBMSG_CODE_REVOKED "revoked" /* the key lost its authority */
#define SUBMSG_CODE_CURSOR "cursor"   /* `from` is beyond the relay's log */

struct submsg_reply {
	int type;
	uint64_t cursor;       /* record, caught-up */
	const uint8_t *record; /* record, member: borrowed */
	size_t record_len;
	bool ok;                           /* result */
	char error[SUBMSG_TEXT_MAX];       /* result, error */
	char code[SUBMSG_CODE_MAX];        /* error: "" when absent */
};

/* Decodes one request. Returns 0, SAMEN_EMALFORMED or SAMEN_ETOOBIG (a
 * cursor above SUBMSG_CURSOR_MAX); on failure *why names the problem. */
int submsg_req_decode(const uint8_t *buf, size_t len, msgpack_unpacked *u,
		      struct submsg_req *out, const char **why) SAMEN_MUST_CHECK;
/* Decodes one reply; the same returns. */
int submsg_reply_decode(const uint8_t *buf, size_t len, msgpack_unpacked *u,
			struct submsg_reply *out, const char **why) SAMEN_MUST_CHECK;

/* Encoders: each packs one whole message into b (initialised by the
 * caller). They return 0 or -ENOMEM. */
int submsg_pack_subscribe(struct mp_buf *b, uint64_t from, uint64_t credit);
int submsg_pack_credit(struct mp_buf *b, uint64_t n);
int submsg_pack_announce(struct mp_buf *b, const uint8_t *rec, size_t len);
int submsg_pack_record(struct mp_buf *b, uint64_t cursor, const uint8_t *rec, size_t len);
int submsg_pack_member(struct mp_buf *b, const uint8_t *rec, size_t len);
int submsg_pack_caught_up(struct mp_buf *b, uint64_t cursor);
int submsg_pack_result(struct mp_buf *b, bool ok, const char *verdict);
/* code may be NULL (no code field). */
int submsg_pack_error(struct mp_buf *b, const char *text, const char *code);

#endif
