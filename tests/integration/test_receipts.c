/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_receipts.c — delivery and "seen" receipts on ten real daemons
 * (issue 15 point 3): one household is offline when the alert goes out and
 * comes back; the counts every household shows are exact before and after
 * (each household once, however often it says so), "seen" switched off in
 * one household leaves its delivered and not its seen, receipts are not
 * listed as signals, and the watchers hear the counts change.
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
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/harness.h"
#include "../../proto/mpmap.h"

#define N 10

struct counts {
	struct hnode *n;
	const char *id;
	uint64_t delivered, seen, households;
};

/* What n's `show` says of id's receipts; false if it cannot show it. */
static bool read_counts(struct hnode *n, const char *id, uint64_t *d, uint64_t *s, uint64_t *h)
{
	struct hreply r;
	char arg[80];
	snprintf(arg, sizeof(arg), "id=%s", id);
	if (!hnode_call(n, &r, "op=show", arg, NULL))
		return false;
	const msgpack_object *v = hreply_ok(&r) ? mpmap_find(r.m, "signal") : NULL;
	bool ok = v && mpmap_uint(v, "delivered", UINT64_MAX, d) == 0 && mpmap_uint(v, "seen", UINT64_MAX, s) == 0 &&
		  mpmap_uint(v, "households", UINT64_MAX, h) == 0;
	hreply_free(&r);
	return ok;
}

static bool counts_are(void *ctx)
{
	struct counts *c = ctx;
	uint64_t d, s, h;
	return read_counts(c->n, c->id, &d, &s, &h) && d == c->delivered && s == c->seen &&
	       h == c->households;
}

static void expect(struct hnode *n, const char *id, uint64_t d, uint64_t s, uint64_t h)
{
	struct counts c = {n, id, d, s, h};
	if (harness_wait(counts_are, &c, 30000))
		return;
	uint64_t gd = 0, gs = 0, gh = 0;
	read_counts(n, id, &gd, &gs, &gh);
	fail_msg("%s shows delivered %llu seen %llu of %llu, not %llu %llu of %llu", n->dir,
		 (unsigned long long)gd, (unsigned long long)gs, (unsigned long long)gh,
		 (unsigned long long)d, (unsigned long long)s, (unsigned long long)h);
}

static void seen(struct hnode *n, const char *id)
{
	struct hreply r;
	char arg[80];
	snprintf(arg, sizeof(arg), "id=%s", id);
	assert_true(hnode_call(n, &r, "op=seen", arg, NULL));
	assert_true(hreply_ok(&r));
	hreply_free(&r);
}

static bool has_id(void *ctx)
{
	struct counts *c = ctx;
	return hnode_has(c->n, c->id);
}

static bool file_has(const char *path, const char *needle)
{
	char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t got = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[got] = '\0';
	return strstr(buf, needle) != NULL;
}

/* `samen --json watch` for n, its output in path; its pid. */
static pid_t start_watch(struct hnode *n, const char *path)
{
	char bin[600];
	const char *build = getenv("BUILD");
	snprintf(bin, sizeof(bin), "%s/samen", build && *build ? build : "build");
	pid_t w = fork();
	assert_true(w >= 0);
	if (w == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		execl(bin, bin, "--state", n->dir, "--json", "watch", (char *)NULL);
		_exit(127);
	}
	return w;
}

static void test_counts_exact_with_one_away(void **state)
{
	(void)state;
	static struct hnode nodes[N];
	char script[700], out[700], hooked[700], id[65];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	for (int i = 1; i < N; i++) {
		char name[16];
		snprintf(name, sizeof(name), "h%d", i);
		hnode_init(&nodes[i], name, harness_port(), 0);
	}
	/* the founder's hook hears alerts, never receipts */
	snprintf(script, sizeof(script), "%s/hook.sh", nodes[0].dir);
	snprintf(hooked, sizeof(hooked), "%s/hook.jsonl", nodes[0].dir);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\ncat >> %s\n", hooked);
	fclose(f);
	assert_int_equal(chmod(script, 0755), 0);
	snprintf(nodes[0].extra, sizeof(nodes[0].extra), "on_signal = %s\n", script);
	/* h4 tells nobody what it saw */
	snprintf(nodes[4].extra, sizeof(nodes[4].extra), "receipts_seen = 0\n");
	assert_true(harness_neighbourhood(nodes, N, NULL));
	/* and its watchers hear the counts change */
	snprintf(out, sizeof(out), "%s/watch.jsonl", nodes[0].dir);
	pid_t watcher = start_watch(&nodes[0], out);
	usleep(300000);

	struct hnode *away = &nodes[N - 1];
	hnode_stop(away, SIGTERM);
	assert_true(hnode_send(&nodes[0], "Iemand probeert autodeuren", false, id));
	for (int i = 1; i < N - 1; i++) {
		struct counts c = {&nodes[i], id, 0, 0, 0};
		assert_true(harness_wait(has_id, &c, 15000));
	}
	seen(&nodes[1], id);
	seen(&nodes[2], id);
	seen(&nodes[3], id);
	seen(&nodes[3], id); /* twice: counted once */
	seen(&nodes[4], id); /* seen switched off there */
	/* nine other households, eight of them here, three said they saw it;
	 * every household that is up says the same */
	for (int i = 0; i < N - 1; i++)
		expect(&nodes[i], id, 8, 3, 9);
	/* receipts are not signals a person is shown */
	assert_int_equal(hnode_count(&nodes[0]), 1);
	struct hreply r;
	assert_true(hnode_call(&nodes[0], &r, "op=list", "all:b=1", NULL));
	const msgpack_object *sigs = mpmap_find(r.m, "signals");
	assert_non_null(sigs);
	assert_int_equal(sigs->via.array.size, 1);
	hreply_free(&r);

	/* the one that was away comes back, catches up, and says so too */
	hnode_start(away);
	assert_true(hnode_wait_ready(away, 10000));
	for (int i = 0; i < N; i++)
		expect(&nodes[i], id, 9, 3, 9);
	seen(away, id);
	for (int i = 0; i < N; i++)
		expect(&nodes[i], id, 9, 4, 9);
	/* the founder's watcher heard the counts, the last of them too; the
	 * hook heard the alert and no receipt */
	struct {
		const char *path, *needle;
	} w = {out, "\"delivered\":9,\"seen\":4"};
	for (int t = 0; t < 100 && !file_has(w.path, w.needle); t++)
		usleep(100000);
	assert_true(file_has(out, "\"event\":\"receipts\""));
	assert_true(file_has(out, w.needle));
	assert_true(file_has(hooked, id));
	assert_false(file_has(hooked, "\"event\":\"receipts\""));
	kill(watcher, SIGTERM);
	waitpid(watcher, NULL, 0);
	/* a restart counts the same from what the store holds */
	hnode_stop(&nodes[0], SIGTERM);
	hnode_start(&nodes[0]);
	assert_true(hnode_wait_ready(&nodes[0], 10000));
	expect(&nodes[0], id, 9, 4, 9);
	for (int i = 0; i < N; i++)
		hnode_stop(&nodes[i], SIGTERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_counts_exact_with_one_away, harness_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
