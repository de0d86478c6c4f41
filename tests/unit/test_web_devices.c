/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * web/devices.c: a pairing code works once and only before it expires, a
 * token finds its device and nothing else, the list is full at
 * DEVICES_MAX, and the file on disk is 0600, holds no token and survives a
 * round trip; a damaged file is refused whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../web/devices.h"

#define T0 1796400000ull
#define MINUTES(n) ((uint64_t)(n) * 60)

static struct devices *fresh(void)
{
	struct devices *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	return d;
}

static void test_code_once_before_expiry(void **state)
{
	(void)state;
	struct devices *d = fresh();
	char code[TOKEN_TEXT_LEN], late[TOKEN_TEXT_LEN], token[TOKEN_TEXT_LEN];

	assert_int_equal(devices_add_pairing(d, T0, T0 + MINUTES(15), code), 0);
	assert_int_equal(devices_add_pairing(d, T0, T0 + MINUTES(15), late), 0);
	/* a code works up to the second before it expires, not at it */
	assert_int_equal(devices_pair(d, late, "laat", T0 + MINUTES(15), token),
			 SAMEN_ENOTFOUND);
	assert_int_equal(devices_pair(d, code, "telefoon", T0 + MINUTES(15) - 1, token), 0);
	assert_int_equal(d->n_dev, 1);
	assert_int_equal(devices_pair(d, code, "tweede", T0 + 1, token), SAMEN_ENOTFOUND);
	const struct device *dev = devices_find(d, token);
	assert_non_null(dev);
	assert_string_equal(dev->name, "telefoon");
	assert_null(devices_find(d, code)); /* a used code is no token */
	free(d);
}

static void test_names_and_tokens(void **state)
{
	(void)state;
	struct devices *d = fresh();
	char code[TOKEN_TEXT_LEN], token[TOKEN_TEXT_LEN], other[TOKEN_TEXT_LEN];
	uint8_t h[32];

	assert_int_equal(devices_add_pairing(d, T0, T0 + 60, code), 0);
	assert_int_equal(devices_pair(d, code, "bad name", T0, token), SAMEN_EINVAL);
	assert_int_equal(devices_pair(d, code, "", T0, token), SAMEN_EINVAL);
	assert_int_equal(devices_pair(d, code, "t", T0, token), 0);
	assert_int_equal(devices_add_pairing(d, T0, T0 + 60, code), 0);
	assert_int_equal(devices_pair(d, code, "t", T0, other), SAMEN_EDUPLICATE);
	assert_int_equal(devices_hash("not a token", h), SAMEN_EINVAL);
	devices_new_token(other, h);
	assert_null(devices_find(d, other));
	assert_int_equal(devices_remove(d, "t"), 0);
	assert_null(devices_find(d, token));
	assert_int_equal(devices_remove(d, "t"), SAMEN_ENOTFOUND);
	free(d);
}

static void test_full(void **state)
{
	(void)state;
	struct devices *d = fresh();
	char code[TOKEN_TEXT_LEN], token[TOKEN_TEXT_LEN], name[16];

	for (int i = 0; i < DEVICES_MAX; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		assert_int_equal(devices_add_pairing(d, T0, T0 + 60, code), 0);
		assert_int_equal(devices_pair(d, code, name, T0, token), 0);
	}
	assert_int_equal(devices_add_pairing(d, T0, T0 + 60, code), 0);
	assert_int_equal(devices_pair(d, code, "one-more", T0, token), SAMEN_EFULL);
	free(d);
}

static void test_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/samen-devices-XXXXXX", path[64], text[8192];
	struct devices *d = fresh(), *back = fresh();
	char code[TOKEN_TEXT_LEN], token[TOKEN_TEXT_LEN];
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/web-devices", dir);
	assert_int_equal(devices_load(back, path), 0); /* absent: empty */
	assert_int_equal(back->n_dev, 0);
	assert_int_equal(devices_add_pairing(d, T0, T0 + 60, code), 0);
	assert_int_equal(devices_pair(d, code, "telefoon", T0, token), 0);
	assert_int_equal(devices_add_pairing(d, T0, T0 + 60, code), 0);
	assert_int_equal(devices_save(d, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_null(strstr(text, token));
	assert_null(strstr(text, code));
	assert_int_equal(devices_load(back, path), 0);
	assert_int_equal(back->n_dev, 1);
	assert_int_equal(back->n_pair, 1);
	assert_non_null(devices_find(back, token));
	assert_int_equal(devices_pair(back, code, "tablet", T0 + 1, token), 0);

	/* one damaged line and the whole file is refused */
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("device x\n", f);
	fclose(f);
	assert_int_equal(devices_load(back, path), SAMEN_EMALFORMED);

	/* a symbolic link in its place is not followed */
	unlink(path);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_not_equal(devices_load(back, path), 0);
	unlink(path);
	char lock[80];
	snprintf(lock, sizeof(lock), "%s.lock", path);
	unlink(lock);
	rmdir(dir);
	free(d);
	free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_once_before_expiry),
		cmocka_unit_test(test_names_and_tokens),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_file),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
