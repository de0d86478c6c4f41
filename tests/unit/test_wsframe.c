/* SPDX-License-Identifier: EUPL-1.2 */
/* The WebSocket codec of samen-web's ntfy stream (web/wsframe.c), on
 * RFC 6455's own examples and on frames the RFC forbids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../web/wsframe.c"

/* RFC 6455 1.3 (its value; a copy of it with "xzh" for "zzh" goes around) */
static void test_accept_rfc_example(void **state)
{
	char acc[WSFRAME_ACCEPT_LEN + 1];
	(void)state;
	assert_int_equal(wsframe_accept("dGhlIHNhbXBsZSBub25jZQ==", acc), 0);
	assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_accept_refuses_bad_keys(void **state)
{
	char acc[WSFRAME_ACCEPT_LEN + 1];
	(void)state;
	assert_int_equal(wsframe_accept(NULL, acc), SAMEN_EINVAL);
	assert_int_equal(wsframe_accept("", acc), SAMEN_EINVAL);
	assert_int_equal(wsframe_accept("dGhlIHNhbXBsZSBub25jZQ=", acc), SAMEN_EINVAL);
	assert_int_equal(wsframe_accept("dGhlIHNhbXBsZSBub25jZQ===", acc), SAMEN_EINVAL);
	/* 24 characters, but 17 bytes' worth, or not base64 */
	assert_int_equal(wsframe_accept("dGhlIHNhbXBsZSBub25jZXg=", acc), SAMEN_EINVAL);
	assert_int_equal(wsframe_accept("dGhlIHNhbXBsZSBub25jZ*==", acc), SAMEN_EINVAL);
}

/* RFC 6455 5.7: a masked "Hello" from a client, the unmasked one back */
static void test_masked_hello(void **state)
{
	static const uint8_t in[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	static struct wsframe_in f;
	uint8_t h[WSFRAME_HEADER_MAX];
	(void)state;
	for (size_t n = 0; n < sizeof(in); n++)
		assert_int_equal(wsframe_decode(in, n, &f), 0); /* a part is not a frame */
	assert_int_equal(wsframe_decode(in, sizeof(in), &f), (long)sizeof(in));
	assert_int_equal(f.op, WSFRAME_TEXT);
	assert_int_equal(f.len, 5);
	assert_memory_equal(f.payload, "Hello", 5);
	assert_int_equal(wsframe_header(h, WSFRAME_TEXT, 5), 2);
	assert_int_equal(h[0], 0x81);
	assert_int_equal(h[1], 0x05);
}

static void test_lengths(void **state)
{
	uint8_t h[WSFRAME_HEADER_MAX];
	static const uint8_t h256[] = {0x82, 0x7e, 0x01, 0x00};
	static const uint8_t h64k[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0};
	(void)state;
	assert_int_equal(wsframe_header(h, WSFRAME_BINARY, 256), 4); /* RFC 5.7's 256 bytes */
	assert_memory_equal(h, h256, 4);
	assert_int_equal(wsframe_header(h, WSFRAME_BINARY, 65536), 10);
	assert_memory_equal(h, h64k, 10);
	assert_int_equal(wsframe_header(h, WSFRAME_TEXT, 125), 2);
	assert_int_equal(wsframe_header(h, WSFRAME_TEXT, 126), 4);
	assert_int_equal(wsframe_header(h, WSFRAME_TEXT, 65535), 4);
}

static void test_ping_pong_close(void **state)
{
	/* RFC 5.7: a masked ping with "Hello" */
	static const uint8_t ping[] = {0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	static const uint8_t pong[] = {0x8a, 0x05, 'H', 'e', 'l', 'l', 'o'};
	static const uint8_t close[] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8};
	static const uint8_t bare[] = {0x88, 0x80, 1, 2, 3, 4};
	static struct wsframe_in f;
	uint8_t out[2 + WSFRAME_CONTROL_MAX + 1];
	(void)state;
	assert_int_equal(wsframe_decode(ping, sizeof(ping), &f), (long)sizeof(ping));
	assert_int_equal(f.op, WSFRAME_PING);
	assert_int_equal(wsframe_control(out, sizeof(out), WSFRAME_PONG, 0, f.payload, f.len), 7);
	assert_memory_equal(out, pong, sizeof(pong));
	assert_int_equal(wsframe_decode(close, sizeof(close), &f), (long)sizeof(close));
	assert_int_equal(f.op, WSFRAME_CLOSE);
	assert_int_equal(f.code, 1000);
	assert_int_equal(wsframe_decode(bare, sizeof(bare), &f), (long)sizeof(bare));
	assert_int_equal(f.code, WSFRAME_NO_STATUS);
	assert_int_equal(wsframe_control(out, sizeof(out), WSFRAME_CLOSE, 1001, "bye", 3), 7);
	assert_int_equal(out[0], 0x88);
	assert_int_equal(out[1], 5);
	assert_int_equal(out[2] << 8 | out[3], 1001);
	assert_int_equal(wsframe_control(out, sizeof(out), WSFRAME_CLOSE, WSFRAME_NO_STATUS, NULL, 0), 2);
	char big[WSFRAME_CONTROL_MAX] = {0};
	assert_int_equal(wsframe_control(out, sizeof(out), WSFRAME_CLOSE, 1000, big, 124), SAMEN_ETOOBIG);
	assert_int_equal(wsframe_control(out, 4, WSFRAME_PING, 0, big, 3), SAMEN_ETOOBIG);
	assert_int_equal(wsframe_control(out, sizeof(out), WSFRAME_TEXT, 0, big, 3), SAMEN_EINVAL);
}

/* A frame of op and payload p, masked with a zero key, into buf. */
static size_t masked(uint8_t *buf, uint8_t b0, const void *p, size_t len)
{
	size_t at = wsframe_header(buf, WSFRAME_TEXT, len);
	buf[0] = b0;
	buf[1] |= 0x80;
	memset(buf + at, 0, 4);
	memcpy(buf + at + 4, p, len);
	return at + 4 + len;
}

static void expect(const uint8_t *buf, size_t n, int err, uint16_t code)
{
	static struct wsframe_in f;
	assert_int_equal(wsframe_decode(buf, n, &f), err);
	assert_int_equal(wsframe_close_code(err), code);
}

static void test_bad_frames(void **state)
{
	static uint8_t buf[WSFRAME_HEADER_MAX + WSFRAME_MAX + 2], text[WSFRAME_MAX + 1];
	static const uint8_t unmasked[] = {0x81, 0x01, 'x'};
	static const uint8_t long16[] = {0x81, 0xfe, 0x00, 0x05, 0, 0, 0, 0, 'a', 'b', 'c', 'd', 'e'};
	static const uint8_t huge[] = {0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t big_ping[] = {0x89, 0xfe, 0x00, 0x7e};
	static const uint8_t one[] = {0x88, 0x81, 0, 0, 0, 0, 0x03};
	static const uint8_t code_1005[] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xed};
	static const uint8_t code_999[] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe7};
	(void)state;
	memset(text, 'a', sizeof(text));
	expect(unmasked, sizeof(unmasked), SAMEN_EMALFORMED, WSFRAME_PROTOCOL);
	expect(buf, masked(buf, 0xc1, "x", 1), SAMEN_EMALFORMED, WSFRAME_PROTOCOL); /* RSV1 */
	expect(buf, masked(buf, 0x83, "x", 1), SAMEN_EMALFORMED, WSFRAME_PROTOCOL); /* opcode 3 */
	expect(buf, masked(buf, 0x8b, "x", 1), SAMEN_EMALFORMED, WSFRAME_PROTOCOL); /* opcode B */
	expect(buf, masked(buf, 0x80, "x", 1), SAMEN_EMALFORMED, WSFRAME_PROTOCOL); /* continuation */
	expect(buf, masked(buf, 0x01, "x", 1), SAMEN_EKIND, WSFRAME_UNSUPPORTED);   /* fragment */
	expect(buf, masked(buf, 0x82, "x", 1), SAMEN_EKIND, WSFRAME_UNSUPPORTED);   /* binary */
	expect(buf, masked(buf, 0x09, "x", 1), SAMEN_EMALFORMED, WSFRAME_PROTOCOL); /* fragmented ping */
	expect(big_ping, sizeof(big_ping), SAMEN_EMALFORMED, WSFRAME_PROTOCOL);
	expect(long16, sizeof(long16), SAMEN_EMALFORMED, WSFRAME_PROTOCOL); /* not the shortest length */
	expect(huge, sizeof(huge), SAMEN_EMALFORMED, WSFRAME_PROTOCOL);
	expect(one, sizeof(one), SAMEN_EMALFORMED, WSFRAME_PROTOCOL);
	expect(code_1005, sizeof(code_1005), SAMEN_EMALFORMED, WSFRAME_PROTOCOL);
	expect(code_999, sizeof(code_999), SAMEN_EMALFORMED, WSFRAME_PROTOCOL);
	expect(buf, masked(buf, 0x81, "\xff", 1), SAMEN_EINVAL, WSFRAME_INVALID);
	expect(buf, masked(buf, 0x81, "\xed\xa0\x80", 3), SAMEN_EINVAL, WSFRAME_INVALID); /* surrogate */
	expect(buf, masked(buf, 0x81, "\xc0\xaf", 2), SAMEN_EINVAL, WSFRAME_INVALID);     /* overlong */
	/* past the cap: refused on its header, before its payload is there */
	size_t n = masked(buf, 0x81, text, WSFRAME_MAX + 1);
	expect(buf, 8, SAMEN_ETOOBIG, WSFRAME_TOO_BIG);
	expect(buf, n, SAMEN_ETOOBIG, WSFRAME_TOO_BIG);
	/* at the cap it is taken; two frames in a row are read one by one */
	static struct wsframe_in f;
	n = masked(buf, 0x81, text, WSFRAME_MAX);
	assert_int_equal(wsframe_decode(buf, n, &f), (long)n);
	n = masked(buf, 0x8a, "", 0);
	n += masked(buf + n, 0x81, "\xc3\xa9", 2);
	assert_int_equal(wsframe_decode(buf, n, &f), 6);
	assert_int_equal(f.op, WSFRAME_PONG);
	assert_int_equal(wsframe_decode(buf + 6, n - 6, &f), 8);
	assert_memory_equal(f.payload, "\xc3\xa9", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_rfc_example), cmocka_unit_test(test_accept_refuses_bad_keys),
		cmocka_unit_test(test_masked_hello),       cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_ping_pong_close),    cmocka_unit_test(test_bad_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
