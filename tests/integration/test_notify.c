/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_notify.c — the notification policy, repeats and escalation on real
 * daemons (issue 15 points 1, 2 and 4): each household's hook writes the
 * events it is told, one JSON line each, and the test reads them.
 *
 *   - levels follow the policy (defaults, a changed cell, drills capped at
 *     normal), bad keys and values are refused in words, the policy is
 *     written 0600 and survives a restart, and quiet hours — in a time zone
 *     the household names, around the test's own clock — silence all but
 *     alarm;
 *   - an alarm-level alert repeats until the household acts, says "seen",
 *     enough neighbours ack, it is resolved, retracted or expires, and at
 *     most repeat_max times;
 *   - an alarm nobody answers reaches the coordinator's devices as an
 *     escalation; one that was answered does not, nor a member's devices.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../support/harness.h"
#include "../../proto/mpmap.h"

/* ---- the hook's file ---- */

static void hook_config(struct hnode *n, const char *more)
{
	char script[700], out[700];
	snprintf(script, sizeof(script), "%s/hook.sh", n->dir);
	snprintf(out, sizeof(out), "%s/events.jsonl", n->dir);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\ncat >> %s\n", out);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(script, 0755), 0);
	snprintf(n->extra, sizeof(n->extra), "on_signal = %s\n%s", script, more ? more : "");
}

/* The hook's lines that hold every needle (NULL-ended), in order; *last is
 * the line number of the last one (-1 if none). */
static int lines_with(const struct hnode *n, int *last, ...)
{
	char path[700], line[16384];
	const char *needles[6];
	size_t k = 0;
	va_list ap;
	va_start(ap, last);
	for (const char *s; k < 6 && (s = va_arg(ap, const char *));)
		needles[k++] = s;
	va_end(ap);
	snprintf(path, sizeof(path), "%s/events.jsonl", n->dir);
	FILE *f = fopen(path, "r");
	int count = 0, no = 0;
	if (last)
		*last = -1;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		bool all = true;
		for (size_t i = 0; i < k && all; i++)
			all = strstr(line, needles[i]) != NULL;
		if (all) {
			count++;
			if (last)
				*last = no;
		}
		no++;
	}
	fclose(f);
	return count;
}

struct want {
	const struct hnode *n;
	const char *a, *b, *c;
	int count;
};

static bool has_lines(void *ctx)
{
	struct want *w = ctx;
	return lines_with(w->n, NULL, w->a, w->b, w->c, NULL) >= w->count;
}

static void wait_line(const struct hnode *n, const char *a, const char *b, const char *c)
{
	struct want w = {n, a, b, c, 1};
	if (!harness_wait(has_lines, &w, 10000))
		fail_msg("%s never told of %s %s %s", n->dir, a, b ? b : "", c ? c : "");
}

/* ---- requests ---- */

/* An alert from n: category, 112 called or not, a drill or not; its id. */
static void alert(struct hnode *n, const char *category, bool called, bool drill,
		  const char *expires_in, char id[65])
{
	struct hreply r;
	char cat[64];
	snprintf(cat, sizeof(cat), "category=%s", category);
	assert_true(hnode_call(n, &r, "op=send", cat, "description=Iemand probeert deuren",
			       "where=Lindelaan", called ? "called112:b=1" : "called112:b=0",
			       drill ? "status=test" : "status=real",
			       expires_in ? expires_in : "expires_in:u=3600", NULL));
	assert_true(hreply_ok(&r));
	hreply_str(&r, "id", id, 65);
	hreply_free(&r);
}

static void notify_set(struct hnode *n, const char *key, const char *value, bool ok,
		       const char *words)
{
	struct hreply r;
	char k[100], v[100], err[300] = "";
	snprintf(k, sizeof(k), "key=%s", key);
	snprintf(v, sizeof(v), "value=%s", value);
	assert_true(hnode_call(n, &r, "op=notify-set", k, v, NULL));
	hreply_str(&r, "error", err, sizeof(err));
	if (hreply_ok(&r) != ok)
		fail_msg("notify-set %s %s: %s", key, value, ok ? err : "accepted");
	if (words && !strstr(err, words))
		fail_msg("notify-set %s %s said '%s', not '%s'", key, value, err, words);
	hreply_free(&r);
}

/* The policy's text field (key "timezone", "quiet") or level (a cell's key)
 * as notify shows it. */
static void policy_is(struct hnode *n, const char *key, const char *want)
{
	struct hreply r;
	char got[64] = "";
	assert_true(hnode_call(n, &r, "op=notify", NULL));
	assert_true(hreply_ok(&r));
	const msgpack_object *p = mpmap_find(r.m, "policy");
	assert_non_null(p);
	const msgpack_object *levels = mpmap_find(p, "levels");
	assert_non_null(levels);
	if (mpmap_str(p, key, got, sizeof(got)) < 0 && mpmap_str(levels, key, got, sizeof(got)) < 0)
		got[0] = '\0';
	hreply_free(&r);
	if (strcmp(got, want) != 0)
		fail_msg("notify shows %s = '%s', not '%s'", key, got, want);
}

static void ack(struct hnode *n, const char *id, const char *kind)
{
	struct hreply r;
	char ref[80], a[40];
	snprintf(ref, sizeof(ref), "ref=%s", id);
	snprintf(a, sizeof(a), "ack=%s", kind);
	assert_true(hnode_call(n, &r, "op=ack", ref, a, NULL));
	assert_true(hreply_ok(&r));
	hreply_free(&r);
}

static void stop_all(struct hnode *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hnode_stop(&nodes[i], SIGTERM);
}

/* ---- 1: levels and the policy ---- */

static void test_levels_follow_the_policy(void **state)
{
	(void)state;
	struct hnode nodes[2];
	char id[65], needle[80];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	hnode_init(&nodes[1], "h1", harness_port(), 0);
	hook_config(&nodes[1], NULL);
	assert_true(harness_neighbourhood(nodes, 2, NULL));
	struct hnode *f = &nodes[0], *h = &nodes[1];

	/* the defaults */
	alert(f, "burglary", false, false, NULL, id);
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
	wait_line(h, needle, "\"level\":\"loud\"", NULL);
	alert(f, "burglary", true, false, NULL, id);
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
	wait_line(h, needle, "\"level\":\"alarm\"", NULL);
	/* a drill is never louder than normal, 112 or not */
	alert(f, "burglary", true, true, NULL, id);
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
	wait_line(h, needle, "\"level\":\"normal\"", NULL);

	/* one cell changed, and what follows is told at that level */
	notify_set(h, "burglary.alert", "silent", true, NULL);
	policy_is(h, "burglary.alert", "silent");
	policy_is(h, "fire.alert", "loud");
	alert(f, "burglary", false, false, NULL, id);
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
	wait_line(h, needle, "\"level\":\"silent\"", NULL);

	/* refused in words, and nothing changes */
	notify_set(h, "fire.drill", "alarm", false, "never louder than normal");
	notify_set(h, "burglary.alrt", "loud", false, "did you mean 'burglary.alert'");
	notify_set(h, "burglary.alert", "lood", false, "silent, normal, loud or alarm");
	notify_set(h, "quiet", "25:00-07:00", false, "HH:MM-HH:MM");
	notify_set(h, "quiet", "07:00-07:00", false, "begin when they end");
	notify_set(h, "timezone", "Mars/Olympus", false, "not one of this machine's");
	notify_set(h, "timezone", "../../etc/passwd", false, "not a time zone name");
	policy_is(h, "burglary.alert", "silent");
	policy_is(h, "fire.drill", "normal");

	/* on disk, the household's own */
	char path[700];
	struct stat st;
	snprintf(path, sizeof(path), "%s/notify.conf", h->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* quiet hours around the test's own clock, in a zone it names:
	 * below alarm is silent, alarm still sounds */
	notify_set(h, "timezone", "UTC", true, NULL);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	int m = tm.tm_hour * 60 + tm.tm_min, from = (m + 1440 - 60) % 1440, to = (m + 60) % 1440;
	char quiet[16];
	snprintf(quiet, sizeof(quiet), "%02d:%02d-%02d:%02d", from / 60, from % 60, to / 60, to % 60);
	notify_set(h, "quiet", quiet, true, NULL);
	alert(f, "fire", false, false, NULL, id);
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
	wait_line(h, needle, "\"level\":\"silent\"", NULL);
	alert(f, "fire", true, false, NULL, id);
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
	wait_line(h, needle, "\"level\":\"alarm\"", NULL);
	/* the same hours two hours later are not now */
	from = (m + 120) % 1440;
	to = (m + 180) % 1440;
	snprintf(quiet, sizeof(quiet), "%02d:%02d-%02d:%02d", from / 60, from % 60, to / 60, to % 60);
	notify_set(h, "quiet", quiet, true, NULL);
	alert(f, "fire", false, false, NULL, id);
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
	wait_line(h, needle, "\"level\":\"loud\"", NULL);

	/* a restart keeps it */
	hnode_stop(h, SIGTERM);
	hnode_start(h);
	assert_true(hnode_wait_ready(h, 10000));
	policy_is(h, "burglary.alert", "silent");
	policy_is(h, "timezone", "UTC");
	policy_is(h, "quiet", quiet);
	stop_all(nodes, 2);
}

/* ---- 2: repeats ---- */

static int repeats_of(const struct hnode *n, const char *id, int *last)
{
	char needle[80];
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
	return lines_with(n, last, "\"repeat\":", needle, NULL);
}

/* The line of the first event that refers to id with kind ("ack",
 * "all-clear") and comes from label, or of a retraction of id. */
static int answer_line(const struct hnode *n, const char *kind, const char *id)
{
	char ref[80], k[40];
	int last;
	snprintf(ref, sizeof(ref), "\"%s\"", id);
	if (strcmp(kind, "retraction") == 0)
		snprintf(k, sizeof(k), "\"event\":\"retraction\"");
	else
		snprintf(k, sizeof(k), "\"kind\":\"%s\"", kind);
	return lines_with(n, &last, k, ref, NULL) ? last : -1;
}

static void test_repeats_stop(void **state)
{
	(void)state;
	struct hnode nodes[4];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	hnode_init(&nodes[1], "h1", harness_port(), 0);
	hnode_init(&nodes[2], "h2", harness_port(), 0);
	hnode_init(&nodes[3], "h3", harness_port(), 0);
	hook_config(&nodes[1], "repeat_seconds = 1\nrepeat_max = 3\nrepeat_stop_acks = 2\n");
	assert_true(harness_neighbourhood(nodes, 4, NULL));
	struct hnode *f = &nodes[0], *h = &nodes[1];
	char none[65], acted[65], seen[65], two[65], one[65], resolved[65], retracted[65], soon[65];
	struct hreply r;

	alert(f, "burglary", true, false, NULL, none);
	alert(f, "burglary", true, false, NULL, acted);
	alert(f, "burglary", true, false, NULL, seen);
	alert(f, "burglary", true, false, NULL, two);
	alert(f, "burglary", true, false, NULL, one);
	alert(f, "burglary", true, false, NULL, resolved);
	alert(f, "burglary", true, false, NULL, retracted);
	alert(f, "burglary", true, false, "expires_in:u=2", soon);
	/* a loud alert (no 112) waits for nothing */
	char loud[65];
	alert(f, "burglary", false, false, NULL, loud);
	wait_line(h, "\"id\":\"", loud, NULL);

	ack(h, acted, "looking");
	char arg[80];
	snprintf(arg, sizeof(arg), "id=%s", seen);
	assert_true(hnode_call(h, &r, "op=seen", arg, NULL));
	assert_true(hreply_ok(&r));
	hreply_free(&r);
	ack(&nodes[2], two, "looking");
	ack(&nodes[3], two, "112-called");
	ack(&nodes[2], one, "looking");
	snprintf(arg, sizeof(arg), "ref=%s", resolved);
	assert_true(hnode_call(f, &r, "op=resolve", arg, NULL));
	assert_true(hreply_ok(&r));
	hreply_free(&r);
	snprintf(arg, sizeof(arg), "ref=%s", retracted);
	assert_true(hnode_call(f, &r, "op=retract", arg, "reason=vergissing", NULL));
	assert_true(hreply_ok(&r));
	hreply_free(&r);
	int seen_before = repeats_of(h, seen, NULL);

	/* three repeats at one second apart, then a second more to see none */
	sleep(5);
	int last;
	assert_int_equal(repeats_of(h, none, NULL), 3);   /* the cap */
	assert_int_equal(repeats_of(h, one, NULL), 3);    /* one ack is not enough */
	assert_int_equal(repeats_of(h, loud, NULL), 0);   /* not alarm */
	assert_true(repeats_of(h, soon, NULL) <= 2);      /* gone once expired */
	assert_int_equal(repeats_of(h, seen, NULL), seen_before);
	/* after this household's own ack, both acks, the all-clear, the
	 * retraction: no repeat line follows */
	struct {
		const char *id, *kind;
	} stops[] = {{acted, "ack"}, {two, "ack"}, {resolved, "all-clear"}, {retracted, "retraction"}};
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		int at = answer_line(h, stops[i].kind, stops[i].id);
		if (at < 0)
			fail_msg("h1 was never told of the %s of %s", stops[i].kind, stops[i].id);
		if (repeats_of(h, stops[i].id, &last) && last > at)
			fail_msg("%s repeated after its %s", stops[i].id, stops[i].kind);
	}
	/* every repeat is told at the alert's level */
	char needle[80];
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", none);
	assert_int_equal(lines_with(h, NULL, "\"repeat\":3", "\"level\":\"alarm\"", needle, NULL), 1);
	/* the founder's devices were told of no repeat: its own alerts */
	assert_int_equal(lines_with(f, NULL, "\"repeat\":", NULL), 0);
	stop_all(nodes, 4);
}

/* ---- 4: escalation ---- */

static void test_escalation_to_coordinators(void **state)
{
	(void)state;
	struct hnode nodes[3];
	const char *more = "escalate_seconds = 2\nrepeat_max = 0\n";
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	hnode_init(&nodes[1], "h1", harness_port(), 0);
	hnode_init(&nodes[2], "h2", harness_port(), 0);
	hook_config(&nodes[0], more);
	hook_config(&nodes[1], more);
	hook_config(&nodes[2], more);
	assert_true(harness_neighbourhood(nodes, 3, NULL));
	char unanswered[65], answered[65], needle[80];

	alert(&nodes[1], "break-in-attempt", true, false, NULL, unanswered);
	alert(&nodes[1], "break-in-attempt", true, false, NULL, answered);
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", answered);
	wait_line(&nodes[2], needle, NULL, NULL);
	ack(&nodes[2], answered, "looking");
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", unanswered);
	wait_line(&nodes[0], "\"event\":\"escalation\"", needle, NULL);
	sleep(2);
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", answered);
	assert_int_equal(lines_with(&nodes[0], NULL, "\"event\":\"escalation\"", needle, NULL), 0);
	/* once, and only to the coordinator (the founder here) */
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", unanswered);
	assert_int_equal(lines_with(&nodes[0], NULL, "\"event\":\"escalation\"", needle, NULL), 1);
	assert_int_equal(lines_with(&nodes[2], NULL, "\"event\":\"escalation\"", NULL), 0);
	assert_int_equal(lines_with(&nodes[1], NULL, "\"event\":\"escalation\"", NULL), 0);
	stop_all(nodes, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_levels_follow_the_policy, harness_teardown),
		cmocka_unit_test_teardown(test_repeats_stop, harness_teardown),
		cmocka_unit_test_teardown(test_escalation_to_coordinators, harness_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
