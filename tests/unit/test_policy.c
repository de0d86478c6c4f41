/* SPDX-License-Identifier: EUPL-1.2 */
/* The notification policy's rules and file (proto/policy.c), without a
 * daemon: which cell an event takes, the drill cap, quiet hours (also over
 * midnight), what policy_set() refuses and that the file reads back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../proto/policy.h"
#include "../../proto/record.h"
#include "../../proto/signal.h"

static enum notify_level level(const struct policy *p, unsigned kind, unsigned cat, unsigned ack,
			       bool called, bool drill)
{
	struct policy_event ev = {false, kind, cat, ack, called, drill};
	return policy_level(p, &ev);
}

static void test_defaults_and_columns(void **state)
{
	(void)state;
	struct policy p;
	policy_defaults(&p);
	assert_int_equal(level(&p, SIG_ALERT, CAT_BURGLARY, 0, false, false), LEVEL_LOUD);
	assert_int_equal(level(&p, SIG_UPDATE, CAT_FIRE, 0, false, false), LEVEL_LOUD);
	assert_int_equal(level(&p, SIG_ALERT, CAT_BURGLARY, 0, true, false), LEVEL_ALARM);
	assert_int_equal(level(&p, SIG_ACK, CAT_OTHER, ACK_CALLED_112, false, false), LEVEL_ALARM);
	assert_int_equal(level(&p, SIG_ACK, CAT_OTHER, ACK_LOOKING, false, false), LEVEL_NORMAL);
	assert_int_equal(level(&p, SIG_ALLCLEAR, CAT_OTHER, 0, false, false), LEVEL_SILENT);
	/* a drill takes the drill column, 112 or not */
	assert_int_equal(level(&p, SIG_ALERT, CAT_BURGLARY, 0, true, true), LEVEL_NORMAL);
	struct policy_event a = {true, ANNOUNCE_LOOKOUT, 0, 0, false, false};
	assert_int_equal(policy_level(&p, &a), LEVEL_ALARM);
	a.kind = ANNOUNCE_ENROUTE;
	assert_int_equal(policy_level(&p, &a), LEVEL_LOUD);
	a.kind = ANNOUNCE_INFO;
	assert_int_equal(policy_level(&p, &a), LEVEL_NORMAL);
	/* a category this build does not know counts as other */
	assert_int_equal(level(&p, SIG_ALERT, 200, 0, false, false), LEVEL_LOUD);
	/* a drill cell that somehow says alarm is still normal */
	p.cell[CAT_BURGLARY - 1][COL_DRILL] = LEVEL_ALARM;
	assert_int_equal(level(&p, SIG_ALERT, CAT_BURGLARY, 0, true, true), LEVEL_NORMAL);
	assert_int_equal(policy_ntfy_priority(LEVEL_SILENT), 2);
	assert_int_equal(policy_ntfy_priority(LEVEL_ALARM), 5);
}

static void test_set(void **state)
{
	(void)state;
	struct policy p, before;
	char err[256];
	policy_defaults(&p);
	assert_int_equal(policy_set(&p, "burglary.alert", "alarm", err, sizeof(err)), 0);
	assert_int_equal(level(&p, SIG_ALERT, CAT_BURGLARY, 0, false, false), LEVEL_ALARM);
	assert_int_equal(level(&p, SIG_ALERT, CAT_FIRE, 0, false, false), LEVEL_LOUD);
	assert_int_equal(policy_set(&p, "*.ack", "silent", err, sizeof(err)), 0);
	for (unsigned c = CAT_SUSPICIOUS; c <= CAT_OTHER; c++)
		assert_int_equal(level(&p, SIG_ACK, c, ACK_LOOKING, false, false), LEVEL_SILENT);
	assert_int_equal(policy_set(&p, "authority.found", "loud", err, sizeof(err)), 0);
	before = p;
	assert_int_equal(policy_set(&p, "fire.drill", "loud", err, sizeof(err)), SAMEN_EINVAL);
	assert_non_null(strstr(err, "never louder than normal"));
	assert_int_equal(policy_set(&p, "*.drill", "alarm", err, sizeof(err)), SAMEN_EINVAL);
	assert_int_equal(policy_set(&p, "fire.alert", "LOUD", err, sizeof(err)), SAMEN_EINVAL);
	assert_int_equal(policy_set(&p, "fier.alert", "loud", err, sizeof(err)), SAMEN_EINVAL);
	assert_non_null(strstr(err, "did you mean 'fire.alert'"));
	assert_int_equal(policy_set(&p, "*.nothing", "loud", err, sizeof(err)), SAMEN_EINVAL);
	const char *bad_quiet[] = {"23:00", "24:00-07:00", "23:60-07:00", "23:00-7:00", "23:00 07:00",
				   "23:00-07:00x", "12:00-12:00", "-"};
	for (size_t i = 0; i < sizeof(bad_quiet) / sizeof(bad_quiet[0]); i++)
		assert_int_equal(policy_set(&p, "quiet", bad_quiet[i], err, sizeof(err)), SAMEN_EINVAL);
	const char *bad_tz[] = {"/etc/passwd", "../x", "Europe/../../etc", "Europe Amsterdam",
				"Europe/Amsterdam\n", "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	for (size_t i = 0; i < sizeof(bad_tz) / sizeof(bad_tz[0]); i++)
		assert_int_equal(policy_set(&p, "timezone", bad_tz[i], err, sizeof(err)), SAMEN_EINVAL);
	assert_memory_equal(&p, &before, sizeof(p)); /* nothing refused changed it */
	assert_int_equal(policy_set(&p, "timezone", "America/Argentina/Buenos_Aires", err, sizeof(err)), 0);
	assert_string_equal(p.timezone, "America/Argentina/Buenos_Aires");
	assert_int_equal(policy_set(&p, "timezone", "system", err, sizeof(err)), 0);
	assert_string_equal(p.timezone, "");
}

static void test_quiet_hours(void **state)
{
	(void)state;
	struct policy p;
	char err[256];
	policy_defaults(&p);
	assert_false(policy_quiet_at(&p, 0));
	assert_int_equal(policy_set(&p, "quiet", "23:00-07:00", err, sizeof(err)), 0);
	assert_true(policy_quiet_at(&p, 23 * 60));
	assert_true(policy_quiet_at(&p, 0));
	assert_true(policy_quiet_at(&p, 7 * 60 - 1));
	assert_false(policy_quiet_at(&p, 7 * 60));
	assert_false(policy_quiet_at(&p, 23 * 60 - 1));
	assert_int_equal(policy_at(&p, LEVEL_LOUD, 2 * 60), LEVEL_SILENT);
	assert_int_equal(policy_at(&p, LEVEL_ALARM, 2 * 60), LEVEL_ALARM);
	assert_int_equal(policy_at(&p, LEVEL_LOUD, 12 * 60), LEVEL_LOUD);
	assert_int_equal(policy_set(&p, "quiet", "13:30-14:00", err, sizeof(err)), 0);
	assert_true(policy_quiet_at(&p, 13 * 60 + 30));
	assert_false(policy_quiet_at(&p, 14 * 60));
	assert_false(policy_quiet_at(&p, 3 * 60));
	assert_int_equal(policy_set(&p, "quiet", "off", err, sizeof(err)), 0);
	assert_false(policy_quiet_at(&p, 13 * 60 + 40));
}

static void test_file_round_trip(void **state)
{
	(void)state;
	struct policy p, q;
	char err[256];
	size_t len;
	policy_defaults(&p);
	assert_int_equal(policy_set(&p, "nuisance.alert", "silent", err, sizeof(err)), 0);
	assert_int_equal(policy_set(&p, "quiet", "22:15-06:45", err, sizeof(err)), 0);
	/* the longest name the file takes comes back whole (the fuzzer found
	 * policy_text() cutting names at 31 bytes) */
	assert_int_equal(policy_set(&p, "timezone", "Europe/Abcdefghijklmnopqrstuvwxyz_Abcdefghijklmnopqrstuvwxyzabc",
				    err, sizeof(err)), 0);
	assert_int_equal(strlen(p.timezone), POLICY_TZ_MAX);
	char *text = policy_text(&p, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "nuisance.alert = silent\n"));
	assert_non_null(strstr(text, "quiet = 22:15-06:45\n"));
	policy_defaults(&q);
	assert_int_equal(policy_parse(&q, "notify.conf", text, len, err, sizeof(err)), 0);
	assert_memory_equal(&p, &q, sizeof(p));
	free(text);
	/* a bad line is named, and nothing of the file is taken */
	const char *bad = "fire.alert = alarm\nfire.drill = alarm\n";
	policy_defaults(&q);
	struct policy before = q;
	assert_int_equal(policy_parse(&q, "notify.conf", bad, strlen(bad), err, sizeof(err)),
			 SAMEN_EINVAL);
	assert_non_null(strstr(err, "notify.conf:2:"));
	assert_memory_equal(&q, &before, sizeof(q));
	/* a short file: the rest stays at the defaults */
	const char *some = "# mine\nquiet = off\nfire.alert = alarm\n";
	assert_int_equal(policy_parse(&q, "notify.conf", some, strlen(some), err, sizeof(err)), 0);
	assert_int_equal(q.cell[CAT_FIRE - 1][COL_ALERT], LEVEL_ALARM);
	assert_int_equal(q.cell[CAT_BURGLARY - 1][COL_ALERT], LEVEL_LOUD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_columns),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_quiet_hours),
		cmocka_unit_test(test_file_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
