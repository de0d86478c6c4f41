/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_startup.c — how samend starts and refuses to start: one daemon per
 * state directory, and a start that fails leaves no key behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/harness.h"

static bool log_has(const char *path, const char *needle)
{
	char buf[16384];
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

struct child {
	pid_t pid;
	int status;
};

static bool exited(void *ctx)
{
	struct child *c = ctx;
	return waitpid(c->pid, &c->status, WNOHANG) == c->pid;
}

/* Waits for n's process to end; returns its wait status, or -1. */
static int wait_exit(struct hnode *n, int timeout_ms)
{
	struct child c = {n->pid, 0};
	if (!harness_wait(exited, &c, timeout_ms))
		return -1;
	n->pid = 0;
	return c.status;
}

/* A second samend on the same state directory refuses to start, says why,
 * and leaves the first one's control socket in place when it exits. */
static void test_one_daemon_per_state_dir(void **state)
{
	(void)state;
	struct hnode a;
	hnode_init(&a, "founder", harness_port(), 0);
	hnode_write_config(&a, a.pk, NULL);
	hnode_start(&a);
	assert_true(hnode_wait_ready(&a, 10000));

	struct hnode b = a;
	snprintf(b.log, sizeof(b.log), "%s/second.log", a.dir);
	/* another port, so that only the state directory is shared */
	b.port = harness_port();
	snprintf(b.config, sizeof(b.config), "%s/second.conf", a.dir);
	hnode_write_config(&b, b.pk, NULL);
	hnode_start(&b);
	int status = wait_exit(&b, 10000);
	assert_true(status >= 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	char want[64];
	snprintf(want, sizeof(want), "another samend (pid %d)", (int)a.pid);
	assert_true(log_has(b.log, want));

	/* the first is still reachable on its own control socket */
	struct hreply r;
	assert_true(hnode_call(&a, &r, "op=status", NULL));
	assert_true(hreply_ok(&r));
	hreply_free(&r);
	assert_int_equal(hnode_stop(&a, SIGTERM), 0);

	/* and once it is gone, the directory can be used again */
	hnode_start(&a);
	assert_true(hnode_wait_ready(&a, 10000));
	assert_int_equal(hnode_stop(&a, SIGTERM), 0);
	harness_cleanup();
}

/* A first start whose listen address is taken fails before anyone could
 * learn the key it made: the key is removed again, not left behind. */
static void test_bind_failure_leaves_no_key(void **state)
{
	(void)state;
	struct hnode n;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);

	hnode_init(&n, "busy", ntohs(sa.sin_port), 0);
	assert_int_equal(unlink(n.key_path), 0);
	hnode_write_config(&n, NULL, NULL);
	hnode_start(&n);
	int status = wait_exit(&n, 10000);
	assert_true(status >= 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 4);
	struct stat st;
	assert_int_equal(stat(n.key_path, &st), -1);
	char pub[700];
	snprintf(pub, sizeof(pub), "%s.pub", n.key_path);
	assert_int_equal(stat(pub, &st), -1);
	assert_true(log_has(n.log, "removed the key"));
	close(s);
	harness_cleanup();
}

/* samend started by hand as root on the service's state directory: it
 * refuses, rather than make files the service's user cannot open. And a
 * key made by root for a samend that runs as another user: named, with the
 * chown that fixes it, not "Permission denied" on the directory. */
static void test_owner_mismatch_named(void **state)
{
	(void)state;
	struct hnode n;
	const uid_t nobody = 65534;
	if (geteuid() != 0)
		skip(); /* needs root to make files of two users */
	hnode_init(&n, "service", 0, 0);
	hnode_write_config(&n, NULL, NULL);
	assert_int_equal(chown(n.dir, nobody, nobody), 0);
	hnode_start(&n);
	int status = wait_exit(&n, 10000);
	assert_true(status >= 0 && WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_true(log_has(n.log, "belongs to nobody (uid 65534), but this samend runs as root"));

	/* the same directory, samend as nobody, the key still root's */
	char log[700], bin[600];
	const char *b = getenv("BUILD");
	snprintf(bin, sizeof(bin), "%s/samend", b && *b ? b : "build");
	snprintf(log, sizeof(log), "%s/nobody.log", harness_dir());
	assert_int_equal(chmod(harness_dir(), 0711), 0);
	assert_int_equal(chown(n.config, nobody, nobody), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 2) < 0 || setgid(nobody) < 0 || setuid(nobody) < 0)
			_exit(125);
		execl(bin, bin, "-c", n.config, (char *)NULL);
		_exit(127);
	}
	n.pid = pid;
	status = wait_exit(&n, 10000);
	assert_true(status >= 0 && WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_true(log_has(log, "belongs to root (uid 0), but samend runs as nobody (uid 65534)"));
	assert_true(log_has(log, "chown nobody: "));
	harness_cleanup();
}

/* A config that names no state_dir: samend takes $SAMEN_STATE, the place
 * samen looks for it too (keys/paths.h), and samen finds it there. */
static void test_samen_state_shared(void **state)
{
	(void)state;
	struct hnode n;
	char cmd[1600];
	hnode_init(&n, "env", 0, 0);
	FILE *f = fopen(n.config, "w");
	assert_non_null(f);
	fprintf(f, "key = %s\n", n.key_path);
	fclose(f);
	setenv("SAMEN_STATE", n.dir, 1);
	hnode_start(&n);
	bool ready = hnode_wait_ready(&n, 10000);
	const char *b = getenv("BUILD");
	snprintf(cmd, sizeof(cmd), "%s/samen status >/dev/null 2>&1", b && *b ? b : "build");
	int st = system(cmd); /* no --state: SAMEN_STATE */
	unsetenv("SAMEN_STATE");
	assert_true(ready);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hnode_stop(&n, SIGTERM);
	harness_cleanup();
}

/* listen on a wildcard address without advertise: samend warns that no
 * neighbour will learn to dial it; with advertise it does not. */
static void test_unadvertised_warns(void **state)
{
	(void)state;
	struct hnode n;
	hnode_init(&n, "wild", 0, 0);
	int port = harness_port();
	snprintf(n.extra, sizeof(n.extra), "listen = tcp://0.0.0.0:%d\n", port);
	hnode_write_config(&n, n.pk, NULL);
	hnode_start(&n);
	assert_true(hnode_wait_ready(&n, 10000));
	assert_int_equal(hnode_stop(&n, SIGTERM), 0);
	assert_true(log_has(n.log, "and there is no advertise"));

	assert_int_equal(unlink(n.log), 0);
	snprintf(n.extra, sizeof(n.extra), "listen = tcp://0.0.0.0:%d\n"
		 "advertise = tcp://127.0.0.1:%d\n", port, port);
	hnode_write_config(&n, n.pk, NULL);
	hnode_start(&n);
	assert_true(hnode_wait_ready(&n, 10000));
	assert_int_equal(hnode_stop(&n, SIGTERM), 0);
	assert_false(log_has(n.log, "no advertise"));
	harness_cleanup();
}

static bool all_two(void *ctx)
{
	return hnode_count(ctx) >= 2;
}

struct file_watch {
	const char *path, *needle;
};

static bool file_holds(void *ctx)
{
	struct file_watch *w = ctx;
	return log_has(w->path, w->needle);
}

/* Starts `samen watch [--since SINCE]` for n, its output in (new) files
 * whose names it writes into out and err. */
static pid_t start_watch(struct hnode *n, const char *since, char out[700], char err[700])
{
	static int runs;
	char bin[600];
	const char *build = getenv("BUILD");
	/* new files each time: the parent may look before the child opened them */
	runs++;
	snprintf(out, 700, "%s/watch%d.out", n->dir, runs);
	snprintf(err, 700, "%s/watch%d.err", n->dir, runs);
	snprintf(bin, sizeof(bin), "%s/samen", build && *build ? build : "build");
	pid_t w = fork();
	assert_true(w >= 0);
	if (w == 0) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fo < 0 || fe < 0)
			_exit(126);
		dup2(fo, 1);
		dup2(fe, 2);
		if (since)
			execl(bin, bin, "--state", n->dir, "watch", "--since", since, (char *)NULL);
		else
			execl(bin, bin, "--state", n->dir, "watch", (char *)NULL);
		_exit(127);
	}
	return w;
}

/* samen watch --since replays what was stored in that time, then goes on
 * with what arrives. */
static void test_watch_since_replays(void **state)
{
	(void)state;
	struct hnode nodes[2];
	char out[700], err[700];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	hnode_init(&nodes[1], "h1", harness_port(), 0);
	assert_true(harness_neighbourhood(nodes, 2, NULL));
	assert_true(hnode_send(&nodes[0], "eerder gezien bij de school", false, NULL));
	assert_true(hnode_send(&nodes[0], "daarna bij het park", false, NULL));
	assert_true(harness_wait(all_two, &nodes[1], 15000));

	pid_t w = start_watch(&nodes[1], "1h", out, err);
	struct file_watch a = {out, "eerder gezien bij de school"}, b = {out, "daarna bij het park"};
	assert_true(harness_wait(file_holds, &a, 10000));
	assert_true(harness_wait(file_holds, &b, 10000));
	assert_true(hnode_send(&nodes[0], "nu bij de kerk", false, NULL));
	struct file_watch c = {out, "nu bij de kerk"};
	assert_true(harness_wait(file_holds, &c, 10000));
	kill(w, SIGTERM);
	waitpid(w, NULL, 0);

	/* without --since, nothing old is replayed */
	w = start_watch(&nodes[1], NULL, out, err);
	struct file_watch watching = {err, "watching for signals"};
	assert_true(harness_wait(file_holds, &watching, 10000));
	assert_true(hnode_send(&nodes[0], "laatste melding", false, NULL));
	struct file_watch d = {out, "laatste melding"};
	assert_true(harness_wait(file_holds, &d, 10000));
	assert_false(log_has(out, "eerder gezien bij de school"));
	kill(w, SIGTERM);
	waitpid(w, NULL, 0);
	hnode_stop(&nodes[1], SIGTERM);
	hnode_stop(&nodes[0], SIGTERM);
	harness_cleanup();
}

/* samen watch outlives a restart of samend: it waits, watches again, and
 * shows what is sent afterwards. */
static void test_watch_survives_restart(void **state)
{
	(void)state;
	struct hnode nodes[2];
	char out[700], err[700];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	hnode_init(&nodes[1], "h1", harness_port(), 0);
	/* a household with an epoch key, so that it can send */
	assert_true(harness_neighbourhood(nodes, 2, NULL));
	struct hnode n = nodes[1];
	pid_t w = start_watch(&n, NULL, out, err);
	struct file_watch watching = {err, "watching for signals"};
	assert_true(harness_wait(file_holds, &watching, 10000));
	assert_true(hnode_send(&n, "voor de herstart", false, NULL));
	struct file_watch before = {out, "voor de herstart"};
	assert_true(harness_wait(file_holds, &before, 10000));

	assert_int_equal(hnode_stop(&n, SIGTERM), 0);
	struct file_watch noticed = {err, "closed the connection"};
	assert_true(harness_wait(file_holds, &noticed, 10000));
	hnode_start(&n);
	assert_true(hnode_wait_ready(&n, 10000));
	struct file_watch back = {err, "samend is back"};
	assert_true(harness_wait(file_holds, &back, 15000));
	assert_true(hnode_send(&n, "na de herstart", false, NULL));
	struct file_watch after = {out, "na de herstart"};
	assert_true(harness_wait(file_holds, &after, 10000));

	int status;
	assert_int_equal(waitpid(w, &status, WNOHANG), 0); /* still watching */
	kill(w, SIGTERM);
	waitpid(w, &status, 0);
	assert_int_equal(hnode_stop(&n, SIGTERM), 0);
	hnode_stop(&nodes[0], SIGTERM);
	harness_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_one_daemon_per_state_dir, harness_teardown),
		cmocka_unit_test_teardown(test_bind_failure_leaves_no_key, harness_teardown),
		cmocka_unit_test_teardown(test_unadvertised_warns, harness_teardown),
		cmocka_unit_test_teardown(test_owner_mismatch_named, harness_teardown),
		cmocka_unit_test_teardown(test_samen_state_shared, harness_teardown),
		cmocka_unit_test_teardown(test_watch_survives_restart, harness_teardown),
		cmocka_unit_test_teardown(test_watch_since_replays, harness_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
