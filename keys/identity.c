/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * identity.c — Ed25519 key pairs and their X25519 (CURVE, sealed box) form.
 *
 * Everything is derived from a 32-byte seed, so a fresh identity and one
 * read back from a key file take the same path and cannot drift apart.
 */
#include "identity.h"

#include <errno.h>
#include <stdlib.h>

#include <sodium.h>

/*
 * sodium_init() is idempotent and thread-safe. It only fails when libsodium
 * cannot reach a source of randomness; no samen error names that, and
 * "I/O error" is what a person should look into.
 */
static int identity_sodium_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

void identity_free(struct identity **id)
{
	struct identity *p;

	if (!id || !*id)
		return;
	p = *id;
	/* sodium_free zeroes too, but say it where the reader looks. */
	if (p->sk) {
		sodium_memzero(p->sk, crypto_sign_SECRETKEYBYTES);
		sodium_free(p->sk);
	}
	if (p->curve_sk) {
		sodium_memzero(p->curve_sk, crypto_box_SECRETKEYBYTES);
		sodium_free(p->curve_sk);
	}
	sodium_memzero(p, sizeof(*p));
	free(p);
	*id = NULL;
}

int identity_from_seed(const uint8_t seed[32], struct identity **out)
{
	struct identity *id = NULL;
	int ret;

	if (!seed || !out)
		return SAMEN_EINVAL;
	*out = NULL;
	ret = identity_sodium_init();
	if (ret < 0)
		return ret;

	id = calloc(1, sizeof(*id));
	if (!id)
		return -ENOMEM;
	id->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	id->curve_sk = sodium_malloc(crypto_box_SECRETKEYBYTES);
	if (!id->sk || !id->curve_sk) {
		ret = -ENOMEM;
		goto out;
	}

	if (crypto_sign_seed_keypair(id->pk, id->sk, seed) != 0) {
		ret = SAMEN_EINVAL;
		goto out;
	}
	/*
	 * The conversion refuses small-order and non-canonical points; a key
	 * derived from a seed is neither, so failure here means a broken
	 * library, and we would rather have no identity than a half one.
	 */
	if (crypto_sign_ed25519_pk_to_curve25519(id->curve_pk, id->pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(id->curve_sk, id->sk) != 0) {
		ret = SAMEN_EINVAL;
		goto out;
	}

	*out = id;
	id = NULL;
	ret = 0;
out:
	identity_free(&id);
	return ret;
}

int identity_generate(struct identity **out)
{
	uint8_t *seed;
	int ret;

	if (!out)
		return SAMEN_EINVAL;
	*out = NULL;
	ret = identity_sodium_init();
	if (ret < 0)
		return ret;

	seed = sodium_malloc(crypto_sign_SEEDBYTES);
	if (!seed)
		return -ENOMEM;
	randombytes_buf(seed, crypto_sign_SEEDBYTES);
	ret = identity_from_seed(seed, out);
	sodium_memzero(seed, crypto_sign_SEEDBYTES);
	sodium_free(seed);
	return ret;
}
