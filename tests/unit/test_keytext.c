/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_keytext.c — public keys as text, and fingerprints.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../keys/keytext.h"

/* RFC 8032, section 7.1, TEST 1 public key. */
static const uint8_t rfc8032_pk[32] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
	0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
	0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};
/* python3: base64.urlsafe_b64encode(pk).decode().rstrip("=") */
static const char rfc8032_text[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void test_encode_known_answer(void **state)
{
	uint8_t zero[32] = { 0 };
	char text[KEYTEXT_LEN];

	(void)state;
	keytext_encode(rfc8032_pk, text);
	assert_string_equal(text, rfc8032_text);
	keytext_encode(zero, text);
	assert_string_equal(text, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	memset(zero, 0xff, sizeof(zero));
	keytext_encode(zero, text);
	assert_string_equal(text, "__________________________________________8");
}

static void test_decode_known_answer(void **state)
{
	uint8_t pk[32];

	(void)state;
	assert_int_equal(keytext_decode(rfc8032_text, pk), 0);
	assert_memory_equal(pk, rfc8032_pk, 32);
}

static void test_round_trip(void **state)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t pk[32], back[32];
	char text[KEYTEXT_LEN];
	int i;

	(void)state;
	for (i = 0; i < 1000; ++i) {
		randombytes_buf(pk, sizeof(pk));
		keytext_encode(pk, text);
		assert_int_equal(strlen(text), 43);
		assert_int_equal(strspn(text, alphabet), 43);
		assert_int_equal(keytext_decode(text, back), 0);
		assert_memory_equal(pk, back, 32);
	}
}

/* Decoding must fail and must leave the caller's buffer alone. */
static void assert_rejected(const char *text)
{
	uint8_t pk[32];

	memset(pk, 0x5a, sizeof(pk));
	if (keytext_decode(text, pk) != SAMEN_EINVAL)
		fail_msg("accepted \"%s\"", text ? text : "(null)");
	for (size_t i = 0; i < sizeof(pk); ++i)
		assert_int_equal(pk[i], 0x5a);
}

static void test_rejects_length(void **state)
{
	char buf[128];

	(void)state;
	/* 42 characters */
	snprintf(buf, sizeof(buf), "%.42s", rfc8032_text);
	assert_rejected(buf);
	/* 44 characters, valid alphabet */
	snprintf(buf, sizeof(buf), "%sA", rfc8032_text);
	assert_rejected(buf);
	/* 44 characters: the padded form of standard base64 */
	snprintf(buf, sizeof(buf), "%s=", rfc8032_text);
	assert_rejected(buf);
	assert_rejected("");
	assert_rejected("   \n\t");
	assert_rejected(NULL);
	/* two keys on one line */
	snprintf(buf, sizeof(buf), "%s %s", rfc8032_text, rfc8032_text);
	assert_rejected(buf);
}

static void test_rejects_characters(void **state)
{
	static const char bad[] = "+/=!.* \t\n\xc3\x80";
	char buf[KEYTEXT_LEN];
	size_t i, pos;

	(void)state;
	/* Each bad character at the start, middle and end of the text. */
	for (i = 0; i < sizeof(bad) - 1; ++i) {
		static const size_t where[] = { 1, 21, 41 };

		for (pos = 0; pos < 3; ++pos) {
			memcpy(buf, rfc8032_text, KEYTEXT_LEN);
			buf[where[pos]] = bad[i];
			assert_rejected(buf);
		}
	}
	/* Every non-ASCII byte: libsodium 1.0.18 alone would take them. */
	for (i = 0x80; i <= 0xff; ++i) {
		memcpy(buf, rfc8032_text, KEYTEXT_LEN);
		buf[1] = (char)i;
		assert_rejected(buf);
		buf[1] = rfc8032_text[1];
		buf[42] = (char)i;
		assert_rejected(buf);
	}
	/* The standard alphabet's "+" and "/" are not ours. */
	assert_rejected("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo");
	assert_rejected("11qYAYKxCrfVS+7TyWQHOg7hcvPapiMlrwIaaPcHURo");
	/* Non-zero unused bits in the last character: a second spelling
	 * of the same key is refused, so every key has one text form. */
	assert_rejected("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB");
	assert_rejected("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp");
}

static void test_trims_white_space(void **state)
{
	static const char *const around[][2] = {
		{ " ", "" }, { "", "\n" }, { "\t ", " \r\n" },
		{ "\n\n", "\n\n" }, { "\v\f", "\v\f" },
	};
	char buf[80];
	uint8_t pk[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(around) / sizeof(around[0]); ++i) {
		snprintf(buf, sizeof(buf), "%s%s%s", around[i][0], rfc8032_text,
			 around[i][1]);
		memset(pk, 0, sizeof(pk));
		assert_int_equal(keytext_decode(buf, pk), 0);
		assert_memory_equal(pk, rfc8032_pk, 32);
	}
}

/* "XXXX-XXXX-XXXX-XXXX" over Crockford's alphabet. */
static void assert_fingerprint_shape(const char *fp)
{
	size_t i;

	assert_int_equal(strlen(fp), FINGERPRINT_LEN - 1);
	for (i = 0; i < FINGERPRINT_LEN - 1; ++i) {
		if (i % 5 == 4)
			assert_int_equal(fp[i], '-');
		else if (!strchr(crockford, fp[i]) || fp[i] == '\0')
			fail_msg("'%c' at %zu of %s is not Crockford base32",
				 fp[i], i, fp);
	}
}

static void test_fingerprint_shape(void **state)
{
	char fp[FINGERPRINT_LEN];
	uint8_t pk[32];
	int i;

	(void)state;
	for (i = 0; i < 200; ++i) {
		randombytes_buf(pk, sizeof(pk));
		memset(fp, 'x', sizeof(fp));
		keytext_fingerprint(pk, fp);
		assert_fingerprint_shape(fp);
	}
}

/*
 * Known answers, computed independently of libsodium and of this code with
 * python3 3.11:
 *
 *   import hashlib
 *   A = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
 *   def fp(pk):
 *       d = hashlib.blake2b(b"samen-fingerprint-v1" + pk,
 *                           digest_size=32).digest()
 *       n = int.from_bytes(d[:10], "big")
 *       s = "".join(A[(n >> (75 - 5 * i)) & 31] for i in range(16))
 *       return "-".join(s[i:i + 4] for i in range(0, 16, 4))
 *
 * for the RFC 8032 TEST 1 public key, 32 zero bytes and 32 0xff bytes.
 */
static void test_fingerprint_known_answer(void **state)
{
	uint8_t pk[32];
	char fp[FINGERPRINT_LEN];

	(void)state;
	keytext_fingerprint(rfc8032_pk, fp);
	assert_string_equal(fp, "5MX1-VMFM-8JSA-G6V2");
	memset(pk, 0, sizeof(pk));
	keytext_fingerprint(pk, fp);
	assert_string_equal(fp, "9J14-1GD9-776D-E06E");
	memset(pk, 0xff, sizeof(pk));
	keytext_fingerprint(pk, fp);
	assert_string_equal(fp, "7FAJ-KA8H-WYV4-AD0A");
}

static void test_fingerprint_deterministic_and_distinct(void **state)
{
	char a[FINGERPRINT_LEN], b[FINGERPRINT_LEN];
	uint8_t pk[32], other[32];
	int i;

	(void)state;
	for (i = 0; i < 100; ++i) {
		randombytes_buf(pk, sizeof(pk));
		keytext_fingerprint(pk, a);
		keytext_fingerprint(pk, b);
		assert_string_equal(a, b);

		/* One flipped bit anywhere gives a different fingerprint. */
		memcpy(other, pk, sizeof(pk));
		other[i % 32] ^= (uint8_t)(1U << (i % 8));
		keytext_fingerprint(other, b);
		assert_string_not_equal(a, b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_known_answer),
		cmocka_unit_test(test_decode_known_answer),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejects_length),
		cmocka_unit_test(test_rejects_characters),
		cmocka_unit_test(test_trims_white_space),
		cmocka_unit_test(test_fingerprint_shape),
		cmocka_unit_test(test_fingerprint_known_answer),
		cmocka_unit_test(test_fingerprint_deterministic_and_distinct),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
