/* SPDX-License-Identifier: EUPL-1.2 */
/* The relay's audit log (daemon/audit): refusals added up, size capped. */
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

#include "../support/harness.h"
#include "../../daemon/audit.h"
#include "../../keys/keytext.h"

static off_t size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static size_t lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;
	while (f && (c = fgetc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

/* A thousand refusals of one key and a hundred of throw-away keys within an
 * interval: nothing until it ends, then one line per key told apart and one
 * for the rest. */
static void test_refusals_added_up(void **state)
{
	(void)state;
	char path[600];
	struct audit *a = NULL;
	struct audit_stats st;
	uint8_t key[32] = {1};
	snprintf(path, sizeof(path), "%s/audit.log", harness_dir());
	assert_int_equal(audit_open(&a, path, 0), 0);
	for (int i = 0; i < 1000; i++)
		audit_refused(a, key, false, "test", 1000 + (uint64_t)i);
	for (int i = 0; i < 100; i++) {
		uint8_t k[32] = {2, (uint8_t)i};
		audit_refused(a, k, true, "test", 2000);
	}
	audit_tick(a, 1000 + AUDIT_INTERVAL_MS - 1);
	assert_int_equal(size_of(path), 0);
	audit_tick(a, 1000 + AUDIT_INTERVAL_MS);
	assert_int_equal(lines_in(path), AUDIT_KEYS_MAX + 1);
	audit_stats(a, &st);
	assert_int_equal(st.refused, 1100);
	audit_close(&a, 1000 + AUDIT_INTERVAL_MS);
	assert_int_equal(lines_in(path), AUDIT_KEYS_MAX + 1);
	FILE *f = fopen(path, "r");
	char line[512];
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, " 1000 refused in the last 60 s (test)"));
	/* a key a certificate names, as `samen members` shows it */
	char text[KEYTEXT_LEN], want[KEYTEXT_LEN + 8];
	keytext_encode(key, text);
	snprintf(want, sizeof(want), " key=%s ", text);
	assert_non_null(strstr(line, want));
	/* one no certificate names: its X25519 key, marked as such */
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, " refused curve=0200"));
	fclose(f);
}

/* A session line names the key as key text, whatever the event. */
static void test_key_text(void **state)
{
	(void)state;
	char path[600], line[512], text[KEYTEXT_LEN];
	struct audit *a = NULL;
	uint8_t key[32];
	randombytes_buf(key, sizeof(key));
	keytext_encode(key, text);
	snprintf(path, sizeof(path), "%s/audit.log", harness_dir());
	assert_int_equal(audit_open(&a, path, 0), 0);
	audit_event(a, "session-start", key, "from=0");
	audit_close(&a, 0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_non_null(strstr(line, "session-start key="));
	assert_non_null(strstr(line, text));
}

/* Past its cap the file is rotated: never more than twice the cap on disk,
 * and the newest lines kept. */
static void test_size_capped(void **state)
{
	(void)state;
	char path[600], old[700];
	struct audit *a = NULL;
	struct audit_stats st;
	uint8_t key[32] = {3};
	snprintf(path, sizeof(path), "%s/audit.log", harness_dir());
	snprintf(old, sizeof(old), "%s.1", path);
	assert_int_equal(audit_open(&a, path, 4096), 0);
	for (int i = 0; i < 1000; i++)
		audit_event(a, "session-start", key, "from=0");
	audit_stats(a, &st);
	assert_true(st.rotations >= 10);
	assert_true(size_of(path) <= 4096);
	assert_true(size_of(old) <= 4096);
	audit_close(&a, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_refusals_added_up, harness_teardown),
		cmocka_unit_test_teardown(test_size_capped, harness_teardown),
		cmocka_unit_test_teardown(test_key_text, harness_teardown),
	};
	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
