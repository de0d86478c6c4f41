/* SPDX-License-Identifier: EUPL-1.2 */
/* msgpack → JSON: what `samen --json` prints and scripts parse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../proto/json.h"
#include "../../proto/mp.h"

/* Unpacks buf (without mp_check, so that floats and ext can be tried) and
 * returns json_write's result; *out receives the text (free it). */
static int json_of(const void *buf, size_t len, char **out)
{
	msgpack_unpacked u;
	size_t off = 0, n = 0;
	FILE *f = open_memstream(out, &n);
	int r;

	assert_non_null(f);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, buf, len, &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, len);
	r = json_write(f, &u.data);
	assert_int_equal(fclose(f), 0);
	msgpack_unpacked_destroy(&u);
	return r;
}

#define EXPECT_JSON(bytes, text)                                          \
	do {                                                              \
		char *got_;                                               \
		assert_int_equal(json_of(bytes, sizeof(bytes) - 1, &got_), 0); \
		assert_string_equal(got_, text);                          \
		free(got_);                                               \
	} while (0)

#define EXPECT_FAIL(bytes, err)                                             \
	do {                                                                \
		char *got_;                                                 \
		assert_int_equal(json_of(bytes, sizeof(bytes) - 1, &got_), err); \
		free(got_);                                                 \
	} while (0)

static char *escaped(const char *s, size_t len, int *ret)
{
	char *out;
	size_t n;
	FILE *f = open_memstream(&out, &n);
	assert_non_null(f);
	*ret = json_escape(f, s, len);
	assert_int_equal(fclose(f), 0);
	return out;
}

#define EXPECT_ESCAPE(lit, text)                                  \
	do {                                                      \
		int r_;                                           \
		char *got_ = escaped(lit, sizeof(lit) - 1, &r_);  \
		assert_int_equal(r_, 0);                          \
		assert_string_equal(got_, text);                  \
		free(got_);                                       \
	} while (0)

static void test_escape(void **state)
{
	(void)state;
	EXPECT_ESCAPE("", "\"\"");
	EXPECT_ESCAPE("Lindelaan 12", "\"Lindelaan 12\"");
	EXPECT_ESCAPE("zei \"hallo\"", "\"zei \\\"hallo\\\"\"");
	EXPECT_ESCAPE("a\\b", "\"a\\\\b\"");
	EXPECT_ESCAPE("regel 1\nregel 2\tx", "\"regel 1\\nregel 2\\tx\"");
	EXPECT_ESCAPE("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	EXPECT_ESCAPE("\x1b[31mrood", "\"\\u001b[31mrood\"");
	EXPECT_ESCAPE("a\0b", "\"a\\u0000b\"");
	EXPECT_ESCAPE("/", "\"/\"");
	/* valid UTF-8 passes through as it is */
	EXPECT_ESCAPE("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x93", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x93\"");
	/* C1 controls and the JavaScript line separators are escaped */
	EXPECT_ESCAPE("\xc2\x85\xc2\x9b\xe2\x80\xa8\xe2\x80\xa9", "\"\\u0085\\u009b\\u2028\\u2029\"");
}

static void test_escape_refuses_bad_utf8(void **state)
{
	static const char *const bad[] = {
		"\xc0\xaf",         /* overlong '/' */
		"\xe0\x80\xaf",     /* overlong, 3 bytes */
		"\xed\xa0\x80",     /* surrogate */
		"\xf4\x90\x80\x80", /* past U+10FFFF */
		"\xe2\x82",         /* truncated */
		"\x80",             /* stray continuation */
		"\xff",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;
		free(escaped(bad[i], strlen(bad[i]), &r));
		assert_int_equal(r, SAMEN_EMALFORMED);
	}
}

static void test_scalars(void **state)
{
	(void)state;
	EXPECT_JSON("\xc0", "null");
	EXPECT_JSON("\xc3", "true");
	EXPECT_JSON("\xc2", "false");
	EXPECT_JSON("\x00", "0");
	EXPECT_JSON("\x7f", "127");
	EXPECT_JSON("\xff", "-1");
	EXPECT_JSON("\xd0\x80", "-128");
	EXPECT_JSON("\xd2\xfc\xd4\x23\x00", "-53206272");
	EXPECT_JSON("\xd3\x80\x00\x00\x00\x00\x00\x00\x00", "-9223372036854775808");
	EXPECT_JSON("\xcf\xff\xff\xff\xff\xff\xff\xff\xff", "18446744073709551615");
	EXPECT_JSON("\xa0", "\"\"");
	EXPECT_JSON("\xc4\x00", "\"\"");
	EXPECT_JSON("\xc4\x04\x00\xab\x10\xff", "\"00ab10ff\"");
}

static void test_containers(void **state)
{
	(void)state;
	EXPECT_JSON("\x90", "[]");
	EXPECT_JSON("\x80", "{}");
	EXPECT_JSON("\x93\x01\xa1x\xc0", "[1,\"x\",null]");
	/* {"ok":true,"signals":[{"id":"ab","refs":["cd"],"lat_e6":-1}],"m":{}} */
	EXPECT_JSON("\x83\xa2ok\xc3\xa7signals\x91\x83\xa2id\xa2" "ab\xa4refs\x91\xa2" "cd"
		    "\xa6lat_e6\xff\xa1m\x80",
		    "{\"ok\":true,\"signals\":[{\"id\":\"ab\",\"refs\":[\"cd\"],\"lat_e6\":-1}],"
		    "\"m\":{}}");
	/* keys are escaped too */
	EXPECT_JSON("\x81\xa2\"\n\x01", "{\"\\\"\\n\":1}");
}

static void test_refused(void **state)
{
	(void)state;
	EXPECT_FAIL("\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00", SAMEN_EMALFORMED); /* float64 1.0 */
	EXPECT_FAIL("\xca\x3f\x80\x00\x00", SAMEN_EMALFORMED);                 /* float32 */
	EXPECT_FAIL("\x91\xd4\x01\x02", SAMEN_EMALFORMED);                     /* fixext1 */
	EXPECT_FAIL("\x81\x01\x02", SAMEN_EMALFORMED);              /* integer key */
	EXPECT_FAIL("\x81\xc4\x01x\x02", SAMEN_EMALFORMED);         /* bin key */
	EXPECT_FAIL("\x91\xa2\xc0\xaf", SAMEN_EMALFORMED);          /* overlong in a str */
}

static void test_depth(void **state)
{
	/* built by hand: msgpack-c's own unpacker stops at 32 levels */
	msgpack_object o[JSON_MAX_DEPTH + 2];
	char *out;
	size_t n;
	(void)state;
	for (size_t i = 0; i < JSON_MAX_DEPTH + 1; i++) {
		o[i].type = MSGPACK_OBJECT_ARRAY;
		o[i].via.array.size = 1;
		o[i].via.array.ptr = &o[i + 1];
	}
	o[JSON_MAX_DEPTH + 1].type = MSGPACK_OBJECT_NIL;
	/* JSON_MAX_DEPTH nested arrays are fine, one more is not */
	FILE *f = open_memstream(&out, &n);
	assert_int_equal(json_write(f, &o[1]), 0);
	fclose(f);
	assert_int_equal(n, 2 * JSON_MAX_DEPTH + 4);
	free(out);
	f = open_memstream(&out, &n);
	assert_int_equal(json_write(f, &o[0]), SAMEN_EDEPTH);
	fclose(f);
	free(out);
}

static void test_write_error(void **state)
{
	(void)state;
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	msgpack_object o = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = 7};
	assert_int_equal(json_write(f, &o), -EIO);
	assert_int_equal(json_escape(f, "abc", 3), -EIO);
	fclose(f);
}

/* The output is JSON as another implementation reads it: python's json
 * module parses it back to the same values (skipped without python3). */
static void test_python_reads_it(void **state)
{
	(void)state;
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		skip();
	struct mp_buf b;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 5);
	mp_pack_str(&b.pk, "description");
	mp_pack_str(&b.pk, "man \"probeert\" \\ deuren\nbij caf\xc3\xa9\x01\x1b\xe2\x80\xa8");
	mp_pack_str(&b.pk, "lat_e6");
	msgpack_pack_int64(&b.pk, -52090700);
	mp_pack_str(&b.pk, "refs");
	msgpack_pack_array(&b.pk, 2);
	mp_pack_bin(&b.pk, "\x01\xfe", 2);
	msgpack_pack_nil(&b.pk);
	mp_pack_str(&b.pk, "ok");
	msgpack_pack_true(&b.pk);
	mp_pack_str(&b.pk, "big");
	msgpack_pack_uint64(&b.pk, UINT64_MAX);

	char path[] = "/tmp/test_json_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	assert_int_equal(mp_unpack((const uint8_t *)b.sb.data, b.sb.size, 4, &u), 0);
	assert_int_equal(json_write(f, &u.data), 0);
	assert_int_equal(fclose(f), 0);
	msgpack_unpacked_destroy(&u);
	mp_buf_destroy(&b);

	char cmd[256];
	assert_true(snprintf(cmd, sizeof(cmd),
			     "python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1], "
			     "encoding=\"utf-8\")), sort_keys=True, separators=(\",\",\":\")))' %s",
			     path) < (int)sizeof(cmd));
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[512] = "";
	char *got = fgets(line, sizeof(line), p);
	int status = pclose(p);
	unlink(path);
	assert_non_null(got);
	assert_int_equal(status, 0);
	/* python's own escaping (ensure_ascii) of the same values */
	assert_string_equal(line, "{\"big\":18446744073709551615,"
				  "\"description\":\"man \\\"probeert\\\" \\\\ deuren\\nbij "
				  "caf\\u00e9\\u0001\\u001b\\u2028\",\"lat_e6\":-52090700,\"ok\":true,"
				  "\"refs\":[\"01fe\",null]}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_refuses_bad_utf8),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_python_reads_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
