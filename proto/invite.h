/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * invite.h — the invite code (PROTOCOL.md section 10): the text a
 * coordinator hands a new household, "samen-invite:" and base64url of
 * [1, nbhd, endpoint, coordinator key, secret, expires].
 *
 * The code reaches the joining daemon from a person (pasted, scanned), so
 * the decoder treats it as hostile input. It does not look at the clock:
 * whether the code has expired is the caller's question.
 */
#ifndef SAMEN_INVITE_H
#define SAMEN_INVITE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "record.h"

#define INVITE_PREFIX "samen-invite:"
#define INVITE_VERSION 1
#define INVITE_SECRET_LEN 16
/* Bytes of the decoded msgpack that a code may carry: more than a code
 * with the longest endpoint needs. */
#define INVITE_BIN_MAX 512

struct invite_code {
	uint8_t nbhd[32];
	char endpoint[ENDPOINT_MAX + 1];   /* the coordinator's join endpoint */
	uint8_t server[32];                /* the coordinator's Ed25519 key */
	uint8_t secret[INVITE_SECRET_LEN]; /* one-time; wipe after use */
	uint64_t expires;                  /* Unix seconds */
};

/*
 * Writes c as a NUL-terminated code into out[0..cap). Returns 0,
 * SAMEN_EINVAL (an endpoint that is not one line of text, or empty),
 * SAMEN_ETOOBIG (cap too small) or -ENOMEM. Wipes its own copy of the
 * secret; the caller wipes c.
 */
int invite_encode(const struct invite_code *c, char *out, size_t cap) SAMEN_MUST_CHECK;

/*
 * Decodes the code in text (leading blanks and newlines, and blanks within
 * the base64, are allowed). Returns 0 or SAMEN_EINVAL; on failure *c is
 * wiped. Expiry is not checked.
 */
int invite_decode(const char *text, struct invite_code *c) SAMEN_MUST_CHECK;

#endif
