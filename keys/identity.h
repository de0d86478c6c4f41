/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * identity.h — a household's (or coordinator's, relay's, authority's) key pair.
 *
 * An identity is an Ed25519 key pair. Its X25519 form (libsodium's
 * crypto_sign_ed25519_*_to_curve25519) is the CURVE transport key and the
 * sealed-box key. The secret parts live in sodium_malloc'ed memory that is
 * locked, guarded and wiped on free.
 */
#ifndef SAMEN_IDENTITY_H
#define SAMEN_IDENTITY_H

#include <stdint.h>

#include "../proto/err.h"

struct identity {
	uint8_t pk[32];      /* Ed25519 public key */
	uint8_t curve_pk[32];/* X25519 public key */
	uint8_t *sk;         /* 64-byte Ed25519 secret key (seed || pk), sodium_malloc */
	uint8_t *curve_sk;   /* 32-byte X25519 secret key, sodium_malloc */
};

/* Creates a fresh random identity. Caller frees with identity_free(). */
int identity_generate(struct identity **out) SAMEN_MUST_CHECK;

/* Derives the identity from a 32-byte seed (key files store the seed). */
int identity_from_seed(const uint8_t seed[32], struct identity **out)
	SAMEN_MUST_CHECK;

/* Wipes and frees the identity; sets *id to NULL. Accepts NULL. */
void identity_free(struct identity **id);

#endif
