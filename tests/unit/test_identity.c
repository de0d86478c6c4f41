/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_identity.c — Ed25519 identities and their X25519 form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../keys/identity.h"

/* RFC 8032, section 7.1, TEST 1: a seed and its Ed25519 public key. */
static const uint8_t rfc8032_seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};
static const uint8_t rfc8032_pk[32] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
	0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
	0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};

/* Every derived part agrees with libsodium's own derivation from sk. */
static void assert_consistent(const struct identity *id)
{
	uint8_t pk[32], curve_pk[32], curve_sk[32], base[32];

	assert_non_null(id->sk);
	assert_non_null(id->curve_sk);
	crypto_sign_ed25519_sk_to_pk(pk, id->sk);
	assert_memory_equal(pk, id->pk, 32);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(curve_pk, id->pk), 0);
	assert_memory_equal(curve_pk, id->curve_pk, 32);
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(curve_sk, id->sk), 0);
	assert_memory_equal(curve_sk, id->curve_sk, 32);
	/* curve_sk is the secret scalar of curve_pk, not just "some" key. */
	assert_int_equal(crypto_scalarmult_base(base, id->curve_sk), 0);
	assert_memory_equal(base, id->curve_pk, 32);
}

static void test_generate_consistent(void **state)
{
	struct identity *id = NULL;

	(void)state;
	assert_int_equal(identity_generate(&id), 0);
	assert_non_null(id);
	assert_consistent(id);
	identity_free(&id);
	assert_null(id);
}

static void test_generate_differs(void **state)
{
	struct identity *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(identity_generate(&a), 0);
	assert_int_equal(identity_generate(&b), 0);
	assert_memory_not_equal(a->pk, b->pk, 32);
	assert_memory_not_equal(a->sk, b->sk, 64);
	assert_memory_not_equal(a->curve_sk, b->curve_sk, 32);
	identity_free(&a);
	identity_free(&b);
}

static void test_from_seed_known_answer(void **state)
{
	struct identity *id = NULL;

	(void)state;
	assert_int_equal(identity_from_seed(rfc8032_seed, &id), 0);
	assert_memory_equal(id->pk, rfc8032_pk, 32);
	/* sk is seed || pk, which is what key files rely on. */
	assert_memory_equal(id->sk, rfc8032_seed, 32);
	assert_memory_equal(id->sk + 32, rfc8032_pk, 32);
	assert_consistent(id);
	identity_free(&id);
}

static void test_from_seed_deterministic(void **state)
{
	struct identity *a = NULL, *b = NULL;
	uint8_t seed[32];

	(void)state;
	randombytes_buf(seed, sizeof(seed));
	assert_int_equal(identity_from_seed(seed, &a), 0);
	assert_int_equal(identity_from_seed(seed, &b), 0);
	assert_memory_equal(a->pk, b->pk, 32);
	assert_memory_equal(a->sk, b->sk, 64);
	assert_memory_equal(a->curve_pk, b->curve_pk, 32);
	assert_memory_equal(a->curve_sk, b->curve_sk, 32);
	identity_free(&a);
	identity_free(&b);
}

static void test_sign_verify(void **state)
{
	static const uint8_t msg[] = "verdachte situatie, hoek Lindelaan";
	uint8_t sig[crypto_sign_BYTES];
	struct identity *id = NULL;

	(void)state;
	assert_int_equal(identity_generate(&id), 0);
	assert_int_equal(crypto_sign_detached(sig, NULL, msg, sizeof(msg), id->sk), 0);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg), id->pk), 0);
	sig[0] ^= 1;
	assert_int_not_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg), id->pk), 0);
	identity_free(&id);
}

/* Two identities' curve keys work as a crypto_box pair, both ways. */
static void test_curve_box_pair(void **state)
{
	static const uint8_t msg[] = "alles veilig";
	uint8_t nonce[crypto_box_NONCEBYTES];
	uint8_t ct[sizeof(msg) + crypto_box_MACBYTES], pt[sizeof(msg)];
	uint8_t sealed[sizeof(msg) + crypto_box_SEALBYTES];
	struct identity *alice = NULL, *bob = NULL, *eve = NULL;

	(void)state;
	assert_int_equal(identity_generate(&alice), 0);
	assert_int_equal(identity_generate(&bob), 0);
	assert_int_equal(identity_generate(&eve), 0);
	randombytes_buf(nonce, sizeof(nonce));

	assert_int_equal(crypto_box_easy(ct, msg, sizeof(msg), nonce,
					 bob->curve_pk, alice->curve_sk), 0);
	assert_int_equal(crypto_box_open_easy(pt, ct, sizeof(ct), nonce,
					      alice->curve_pk, bob->curve_sk), 0);
	assert_memory_equal(pt, msg, sizeof(msg));
	assert_int_not_equal(crypto_box_open_easy(pt, ct, sizeof(ct), nonce,
						  alice->curve_pk, eve->curve_sk), 0);

	/* Sealed boxes are how epoch keys reach members. */
	assert_int_equal(crypto_box_seal(sealed, msg, sizeof(msg), bob->curve_pk), 0);
	assert_int_equal(crypto_box_seal_open(pt, sealed, sizeof(sealed),
					      bob->curve_pk, bob->curve_sk), 0);
	assert_memory_equal(pt, msg, sizeof(msg));
	assert_int_not_equal(crypto_box_seal_open(pt, sealed, sizeof(sealed),
						  eve->curve_pk, eve->curve_sk), 0);

	identity_free(&alice);
	identity_free(&bob);
	identity_free(&eve);
}

static void test_bad_arguments(void **state)
{
	struct identity *id = NULL;

	(void)state;
	assert_int_equal(identity_generate(NULL), SAMEN_EINVAL);
	assert_int_equal(identity_from_seed(NULL, &id), SAMEN_EINVAL);
	assert_int_equal(identity_from_seed(rfc8032_seed, NULL), SAMEN_EINVAL);
	assert_null(id);
}

static void test_free_null(void **state)
{
	struct identity *id = NULL;

	(void)state;
	identity_free(NULL);
	identity_free(&id);
	assert_null(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_consistent),
		cmocka_unit_test(test_generate_differs),
		cmocka_unit_test(test_from_seed_known_answer),
		cmocka_unit_test(test_from_seed_deterministic),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_curve_box_pair),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_free_null),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
