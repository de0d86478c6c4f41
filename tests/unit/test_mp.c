/* SPDX-License-Identifier: EUPL-1.2 */
/* Strict msgpack checks: what a broken or hostile peer could send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../proto/mp.h"
#include "../../proto/record.h"

#define CHECK(bytes, depth) mp_check((const uint8_t *)(bytes), sizeof(bytes) - 1, depth)

static void test_valid_objects(void **state)
{
	(void)state;
	assert_int_equal(CHECK("\xc0", 4), 0);
	assert_int_equal(CHECK("\x93\x01\xa1x\xc4\x02zz", 4), 0);
	assert_int_equal(CHECK("\x82\x01\x02\x03\x04", 4), 0);
	assert_int_equal(CHECK("\x90", 1), 0);
	assert_int_equal(CHECK("\x91\x90", 2), 0);
	assert_int_equal(CHECK("\xcf\x01\x02\x03\x04\x05\x06\x07\x08", 1), 0);
}

/* Every container header that declares more elements than bytes remain is
 * refused before msgpack-c could allocate for it. */
static void test_lying_counts(void **state)
{
	(void)state;
	assert_int_equal(CHECK("\xdd\xff\x00\x00\x00", 8), SAMEN_ETOOBIG);   /* array32 */
	assert_int_equal(CHECK("\xdc\xff\xff", 8), SAMEN_ETOOBIG);           /* array16 */
	assert_int_equal(CHECK("\xdf\x7f\xff\xff\xff\x01", 8), SAMEN_ETOOBIG); /* map32 */
	assert_int_equal(CHECK("\xde\x00\x02\x01\x02\x03", 8), SAMEN_ETOOBIG); /* 2 pairs, 3 bytes */
	assert_int_equal(CHECK("\x9f\x01\x02", 8), SAMEN_ETOOBIG);           /* fixarray 15 */
	assert_int_equal(CHECK("\x8f\x01", 8), SAMEN_ETOOBIG);               /* fixmap 15 */
	assert_int_equal(CHECK("\xc6\xff\xff\xff\xff\x00", 8), SAMEN_ETOOBIG); /* bin32 */
	assert_int_equal(CHECK("\xdb\x00\x01\x00\x00zz", 8), SAMEN_ETOOBIG); /* str32 */
	assert_int_equal(CHECK("\xc4\x05zz", 8), SAMEN_EMALFORMED);          /* short bin8 */
	/* a count that fits the bytes but whose elements run out */
	assert_int_equal(CHECK("\x92\x93\x01\x02\x03", 8), SAMEN_EMALFORMED);
}

static void test_truncated_headers(void **state)
{
	(void)state;
	assert_int_equal(CHECK("\xdd\xff", 8), SAMEN_EMALFORMED);
	assert_int_equal(CHECK("\xcf\x01\x02", 8), SAMEN_EMALFORMED);
	assert_int_equal(CHECK("\xc5\x00", 8), SAMEN_EMALFORMED);
	assert_int_equal(mp_check((const uint8_t *)"", 0, 8), SAMEN_EMALFORMED);
}

static void test_depth_cap(void **state)
{
	uint8_t buf[64];
	(void)state;
	memset(buf, 0x91, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = 0xc0;
	assert_int_equal(mp_check(buf, sizeof(buf), MP_MAX_DEPTH), SAMEN_EDEPTH);
	/* exactly at the cap is fine, one more is not */
	uint8_t ok[MP_MAX_DEPTH + 1];
	memset(ok, 0x91, MP_MAX_DEPTH);
	ok[MP_MAX_DEPTH] = 0xc0;
	assert_int_equal(mp_check(ok, sizeof(ok), MP_MAX_DEPTH), 0);
	assert_int_equal(mp_check(ok, sizeof(ok), MP_MAX_DEPTH - 1), SAMEN_EDEPTH);
}

static void test_refused_types_and_trailing(void **state)
{
	(void)state;
	assert_int_equal(CHECK("\xc1", 4), SAMEN_EMALFORMED);
	assert_int_equal(CHECK("\xca\x00\x00\x00\x00", 4), SAMEN_EMALFORMED); /* float32 */
	assert_int_equal(CHECK("\xd4\x01\x02", 4), SAMEN_EMALFORMED);         /* fixext1 */
	assert_int_equal(CHECK("\xc7\x01\x01\x00", 4), SAMEN_EMALFORMED);     /* ext8 */
	assert_int_equal(CHECK("\xc0\xc0", 4), SAMEN_EMALFORMED);             /* trailing */
}

static void test_unpack_and_accessors(void **state)
{
	(void)state;
	msgpack_unpacked u;
	const msgpack_object *f;
	uint64_t v;
	int64_t i;
	char s[4];
	msgpack_unpacked_init(&u);
	const uint8_t buf[] = {0x94, 0x05, 0xff, 0xa3, 'a', 'b', 'c', 0xc4, 0x00};
	assert_int_equal(mp_unpack(buf, sizeof(buf), 2, &u), 0);
	assert_int_equal(mp_get_array(&u.data, 4, &f), 0);
	assert_int_equal(mp_get_array(&u.data, 3, &f), SAMEN_EMALFORMED);
	assert_int_equal(mp_get_uint(&f[0], 5, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(mp_get_uint(&f[0], 4, &v), SAMEN_EMALFORMED);
	assert_int_equal(mp_get_int(&f[1], -1, 0, &i), 0);
	assert_int_equal(i, -1);
	assert_int_equal(mp_get_uint(&f[1], 100, &v), SAMEN_EMALFORMED);
	assert_int_equal(mp_get_str(&f[2], s, sizeof(s)), 0);
	assert_string_equal(s, "abc");
	assert_int_equal(mp_get_str(&f[2], s, 3), SAMEN_EMALFORMED); /* no room for NUL */
	assert_int_equal(mp_get_str(&f[3], s, sizeof(s)), SAMEN_EMALFORMED); /* bin, not str */
	msgpack_unpacked_destroy(&u);
}

static void test_text_rules(void **state)
{
	(void)state;
	assert_true(mp_text_ok("Lindelaan 12, bij de speeltuin", 30));
	assert_true(mp_text_ok("caf\xc3\xa9\n\tok", 9));
	assert_false(mp_text_ok("a\0b", 3));
	assert_false(mp_text_ok("\x1b[31m", 5));           /* terminal escape */
	assert_false(mp_text_ok("\xc0\xaf", 2));           /* overlong '/' */
	assert_false(mp_text_ok("\xed\xa0\x80", 3));       /* surrogate */
	assert_false(mp_text_ok("\xf4\x90\x80\x80", 4));   /* > U+10FFFF */
	assert_false(mp_text_ok("\xe2\x82", 2));           /* truncated */
	assert_false(mp_text_ok("\x7f", 1));                /* DEL */
	/* C1 controls, each two bytes: U+0080, U+0085 (NEL), U+009B (CSI), U+009F */
	assert_false(mp_text_ok("\xc2\x80", 2));
	assert_false(mp_text_ok("Lindelaan\xc2\x85" "12", 13));
	assert_false(mp_text_ok("\xc2\x9b" "31m", 5));
	assert_false(mp_text_ok("\xc2\x9f", 2));
	/* the neighbours of the C1 block are text */
	assert_true(mp_text_ok("\xc2\xa0", 2));             /* no-break space */
	assert_true(mp_text_ok("~\xc2\xbf", 3));            /* '~', inverted '?' */
	/* invisible format characters are text on the wire (the terminal
	 * filter shows them as '?') */
	assert_true(mp_text_ok("\xe2\x80\x8f", 3));         /* U+200F */
}

/*
 * A certificate whose label carries U+009B (the one-byte CSI), signed as a
 * member running old code would sign it: decoding refuses the record, so it
 * is neither stored nor forwarded to the JSON consumers.
 */
static void test_c1_label_refused(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64], seed[32] = {7};
	struct record r, d;
	uint8_t *buf, *at;
	size_t len;

	crypto_sign_seed_keypair(pk, sk, seed);
	memset(&r, 0, sizeof(r));
	r.kind = REC_CERT;
	memcpy(r.nbhd, pk, 32);
	memcpy(r.author, pk, 32);
	r.seq = 1;
	r.created = 1764000000;
	memcpy(r.u.cert.subject, pk, 32);
	r.u.cert.role = ROLE_MEMBER;
	strcpy(r.u.cert.label, "Lindelaan @@2m");
	r.u.cert.not_before = 1764000000;
	r.u.cert.not_after = 1795536000;
	assert_int_equal(record_sign(&r, sk, &buf, &len), 0);
	at = memmem(r.body, r.body_len, "@@", 2);
	assert_non_null(at);
	memcpy(at, "\xc2\x9b", 2);

	/* re-sign the changed body, as the attacker's own code would */
	size_t mlen = RECORD_SIG_PREFIX_LEN + r.body_len;
	uint8_t *msg = malloc(mlen);
	assert_non_null(msg);
	memcpy(msg, RECORD_SIG_PREFIX, RECORD_SIG_PREFIX_LEN);
	memcpy(msg + RECORD_SIG_PREFIX_LEN, r.body, r.body_len);
	crypto_sign_detached(buf + len - 64, NULL, msg, mlen, sk);
	free(msg);

	assert_int_equal(record_open(buf, len, &d), SAMEN_EMALFORMED);
	free(buf);

	/* nor can it be signed here */
	strcpy(r.u.cert.label, "Lindelaan \xc2\x9b" "2m");
	assert_int_equal(record_sign(&r, sk, &buf, &len), SAMEN_EINVAL);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_objects),
		cmocka_unit_test(test_lying_counts),
		cmocka_unit_test(test_truncated_headers),
		cmocka_unit_test(test_depth_cap),
		cmocka_unit_test(test_refused_types_and_trailing),
		cmocka_unit_test(test_unpack_and_accessors),
		cmocka_unit_test(test_text_rules),
		cmocka_unit_test(test_c1_label_refused),
	};
	return cmocka_run_group_tests_name("mp", tests, NULL, NULL);
}
