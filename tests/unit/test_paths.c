/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_paths.c — the default key and state directory every program shares
 * (keys/paths.c): which variable wins, and what does not count.
 */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../keys/paths.h"

static void clear_env(void)
{
	unsetenv("SAMEN_KEY");
	unsetenv("SAMEN_STATE");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/buur", 1);
}

static void test_key(void **state)
{
	(void)state;
	char p[256];
	clear_env();
	assert_int_equal(paths_default_key(p, sizeof(p)), 0);
	assert_string_equal(p, "/home/buur/.config/samen/identity.key");
	setenv("XDG_CONFIG_HOME", "relative/conf", 1); /* not absolute: ignored */
	assert_int_equal(paths_default_key(p, sizeof(p)), 0);
	assert_string_equal(p, "/home/buur/.config/samen/identity.key");
	setenv("XDG_CONFIG_HOME", "/srv/conf", 1);
	assert_int_equal(paths_default_key(p, sizeof(p)), 0);
	assert_string_equal(p, "/srv/conf/samen/identity.key");
	setenv("SAMEN_KEY", "politie.key", 1);
	assert_int_equal(paths_default_key(p, sizeof(p)), 0);
	assert_string_equal(p, "politie.key");
	char small[8];
	assert_int_equal(paths_default_key(small, sizeof(small)), -ENAMETOOLONG);
	clear_env();
	unsetenv("HOME");
	assert_int_equal(paths_default_key(p, sizeof(p)), -ENOENT);
}

static void test_state(void **state)
{
	(void)state;
	char p[256];
	clear_env();
	assert_int_equal(paths_default_state(p, sizeof(p)), 0);
	if (geteuid() == 0) {
		assert_string_equal(p, PATHS_SYSTEM_STATE);
	} else {
		assert_string_equal(p, "/home/buur/.local/state/samen");
		setenv("XDG_STATE_HOME", "/srv/state", 1);
		assert_int_equal(paths_default_state(p, sizeof(p)), 0);
		assert_string_equal(p, "/srv/state/samen");
	}
	setenv("SAMEN_STATE", "/tmp/buurt", 1); /* wins for root too */
	assert_int_equal(paths_default_state(p, sizeof(p)), 0);
	assert_string_equal(p, "/tmp/buurt");
	clear_env();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_state),
	};
	return cmocka_run_group_tests_name("paths", tests, NULL, NULL);
}
