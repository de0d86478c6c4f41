/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * keytext.h — public keys as text, and short fingerprints.
 *
 * Text form: base64url without padding of the 32 bytes (43 characters),
 * encoded and decoded in constant time by libsodium. A fingerprint is four
 * groups of four characters of Crockford base32 ("7KQD-3M2X-9PZA-H4TB") over
 * the first 10 bytes of BLAKE2b-256("samen-fingerprint-v1" || pk): two
 * neighbours read it to each other to confirm a key in person.
 */
#ifndef SAMEN_KEYTEXT_H
#define SAMEN_KEYTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/err.h"

#define KEYTEXT_LEN 44     /* 43 characters + NUL */
#define FINGERPRINT_LEN 20 /* 19 characters + NUL */

/* Writes the NUL-terminated text form of pk into out. */
void keytext_encode(const uint8_t pk[32], char out[KEYTEXT_LEN]);

/*
 * Parses a text form (exactly 43 base64url characters; leading and trailing
 * white space is ignored). Returns SAMEN_EINVAL for anything else.
 */
int keytext_decode(const char *text, uint8_t pk[32]) SAMEN_MUST_CHECK;

/* Writes the NUL-terminated fingerprint of pk into out. */
void keytext_fingerprint(const uint8_t pk[32], char out[FINGERPRINT_LEN]);

#endif
