/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_web.c — samen-web next to a real samend: two households on
 * loopback, samen-web for the first, and two programs that talk to it as
 * its users do: tests/web/webcheck.py (HTTP as a phone and as the ntfy app
 * speak it, with a client written from ntfy's documentation) and
 * tests/web/browser.py (the page in headless Chromium); and, with a
 * certificate made for the test, tests/web/tlscheck.py (HTTPS). Each prints
 * "ok NAME" or "FAIL NAME: why"; every line becomes a check here.
 * webcheck's households repeat an unanswered alarm every 2 seconds and
 * escalate it after 3 (setup_repeats), so that the phone's repeats are
 * seen within the test.
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/harness.h"

struct webfix {
	struct hnode n[2];
	int port;
	pid_t web;
	bool tls;
	char bin[600], samen[600], log[1200], cert[700], key[700];
};

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");
	return b && *b ? b : "build";
}

static bool port_open(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static bool web_up(void *ctx)
{
	return port_open(((struct webfix *)ctx)->port);
}

/* Starts samen-web (with the test's certificate when f->tls) and returns
 * its pid; its output goes to f->log. */
static pid_t web_spawn(struct webfix *f)
{
	char listen[64], url[64], dev[700];
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", f->port);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d", f->tls ? "https" : "http", f->port);
	snprintf(dev, sizeof(dev), "%s/web-devices", f->n[0].dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *l = fopen(f->log, "a");
		if (l) {
			dup2(fileno(l), 1);
			dup2(fileno(l), 2);
		}
		char *argv[] = {f->bin, "--state", f->n[0].dir, "--listen", listen, "--url", url,
				"--static", "web/static", "--devices", dev, "--tls-cert", f->cert,
				"--tls-key", f->key, NULL};
		if (!f->tls)
			argv[11] = NULL;
		execv(f->bin, argv);
		_exit(127);
	}
	return pid;
}

static void web_start(struct webfix *f)
{
	f->web = web_spawn(f);
	assert_true(harness_wait(web_up, f, 10000));
}

static void web_stop(struct webfix *f)
{
	if (f->web > 0) {
		kill(f->web, SIGTERM);
		waitpid(f->web, NULL, 0);
		f->web = 0;
	}
}

/* Two households with extra lines in their samend.conf (NULL: none), and
 * the paths samen-web needs; NULL (after a failed check) when the
 * households did not come up. */
static struct webfix *households(bool tls, const char *extra)
{
	struct webfix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	hnode_init(&f->n[0], "home", harness_port(), harness_port());
	hnode_init(&f->n[1], "neighbour", harness_port(), 0);
	if (!harness_neighbourhood(f->n, 2, extra)) {
		/* leave nothing behind for the next test's setup */
		for (int i = 0; i < 2; i++)
			hnode_stop(&f->n[i], SIGKILL);
		harness_cleanup();
		free(f);
		fail_msg("the two households did not come up");
	}
	f->port = harness_port();
	f->tls = tls;
	assert_true(snprintf(f->bin, sizeof(f->bin), "%s/samen-web", build_dir()) < (int)sizeof(f->bin));
	assert_true(snprintf(f->samen, sizeof(f->samen), "%s/samen", build_dir()) < (int)sizeof(f->samen));
	assert_true(snprintf(f->log, sizeof(f->log), "%s/samen-web.log", f->n[0].dir) < (int)sizeof(f->log));
	assert_true(snprintf(f->cert, sizeof(f->cert), "%s/web.crt", f->n[0].dir) < (int)sizeof(f->cert));
	assert_true(snprintf(f->key, sizeof(f->key), "%s/web.key", f->n[0].dir) < (int)sizeof(f->key));
	return f;
}

static int setup(void **state)
{
	struct webfix *f = households(false, NULL);
	web_start(f);
	*state = f;
	return 0;
}

/* Repeats of an unanswered alarm and the escalation to the founder (a
 * coordinator) within seconds, for webcheck.py to see them on the phone. */
#define QUICK_REPEATS "repeat_seconds = 2\nrepeat_max = 3\nescalate_seconds = 3\n"

static int setup_repeats(void **state)
{
	struct webfix *f = households(false, QUICK_REPEATS);
	web_start(f);
	*state = f;
	return 0;
}

/* Runs argv (no shell) with its output in f->log; its exit status, or -1. */
static int run_logged(struct webfix *f, char *const argv[])
{
	pid_t pid = fork();
	int st = 0;
	if (pid == 0) {
		FILE *l = fopen(f->log, "a");
		if (l) {
			dup2(fileno(l), 1);
			dup2(fileno(l), 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* The households of setup(), and samen-web with a certificate for
 * 127.0.0.1 made now (as a household would with openssl: README). */
static int setup_tls(void **state)
{
	struct webfix *f = households(true, NULL);
	char *req[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
		       "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
		       "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", f->key, "-out", f->cert, NULL};
	*state = f;
	assert_int_equal(run_logged(f, req), 0);
	/* a key every user may read is refused, with the file's name */
	assert_int_equal(chmod(f->key, 0644), 0);
	pid_t pid = web_spawn(f);
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	assert_int_equal(chmod(f->key, 0600), 0);
	web_start(f);
	return 0;
}

static int teardown(void **state)
{
	struct webfix *f = *state;
	web_stop(f);
	for (int i = 0; i < 2; i++)
		hnode_stop(&f->n[i], SIGTERM);
	free(f);
	return harness_teardown(state);
}

/* A fresh pairing link from `samen --state DIR web pair` (which runs
 * samen-web pair with that state directory). */
static void pair_url(struct webfix *f, char *out, size_t cap)
{
	char cmd[2400], line[600];
	snprintf(cmd, sizeof(cmd), "'%s' --state '%s' web pair --url %s://127.0.0.1:%d",
		 f->samen, f->n[0].dir, f->tls ? "https" : "http", f->port);
	FILE *p = popen(cmd, "r");
	out[0] = '\0';
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "/pair/") && !out[0]) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, cap, "%s", line);
		}
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(out, "://127.0.0.1:"));
}

/* Runs a check script; answers its STOP and START with this household's
 * samend; every "ok"/"FAIL" line is a check. Returns the FAIL count. */
static int run_script(struct webfix *f, char *const argv[])
{
	int in[2], out[2], fails = 0, oks = 0;
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	FILE *r = fdopen(out[0], "r");
	char line[1024];
	while (fgets(line, sizeof(line), r)) {
		fputs(line, stdout);
		if (!strncmp(line, "FAIL", 4))
			fails++;
		else if (!strncmp(line, "ok ", 3))
			oks++;
		else if (!strcmp(line, "STOP\n")) {
			bool ok = hnode_stop(&f->n[0], SIGTERM) == 0;
			assert_int_equal(write(in[1], ok ? "OK\n" : "NO\n", 3), 3);
		} else if (!strcmp(line, "START\n")) {
			hnode_start(&f->n[0]);
			bool ok = hnode_wait_ready(&f->n[0], 10000);
			assert_int_equal(write(in[1], ok ? "OK\n" : "NO\n", 3), 3);
		}
	}
	fclose(r);
	close(in[1]);
	int st = 0;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || (WEXITSTATUS(st) != 0 && fails == 0)) {
		fprintf(stderr, "%s ended with status %d after %d checks\n", argv[1], st, oks);
		fails++;
	}
	if (oks == 0)
		fails++; /* a script that checked nothing passed nothing */
	return fails;
}

static void test_http_and_ntfy(void **state)
{
	struct webfix *f = *state;
	char url[600], url2[600], port[16];
	pair_url(f, url, sizeof(url));
	pair_url(f, url2, sizeof(url2));
	snprintf(port, sizeof(port), "%d", f->port);
	char *argv[] = {"/usr/bin/python3", "tests/web/webcheck.py", "--base", (char *)"",
			"--pair-url", url, "--second-pair-url", url2, "--samen", f->samen,
			"--peer-state", f->n[1].dir, "--samen-web", f->bin, "--state", f->n[0].dir,
			NULL};
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", f->port);
	argv[3] = base;
	assert_int_equal(run_script(f, argv), 0);
}

static void test_browser(void **state)
{
	struct webfix *f = *state;
	char url[600], shot[700];
	if (access("/usr/bin/chromium", X_OK) != 0 || access("/usr/bin/chromedriver", X_OK) != 0) {
		fprintf(stderr, "test_browser: no chromium/chromedriver; skipped\n");
		skip();
	}
	pair_url(f, url, sizeof(url));
	assert_true(snprintf(shot, sizeof(shot), "%s/artefacts", build_dir()) < (int)sizeof(shot));
	mkdir(shot, 0755);
	assert_true(snprintf(shot, sizeof(shot), "%s/artefacts/web-nl.png", build_dir()) < (int)sizeof(shot));
	char *argv[] = {"/usr/bin/python3", "tests/web/browser.py", "--pair-url", url, "--samen",
			f->samen, "--peer-state", f->n[1].dir, "--shot", shot, NULL};
	assert_int_equal(run_script(f, argv), 0);
}

static void test_tls(void **state)
{
	struct webfix *f = *state;
	char url[600], base[64], log[4096] = "";
	FILE *l = fopen(f->log, "r");
	if (l) {
		size_t n = fread(log, 1, sizeof(log) - 1, l);
		log[n] = '\0';
		fclose(l);
	}
	/* what setup saw when the key was mode 0644 */
	assert_non_null(strstr(log, "tls_key"));
	assert_non_null(strstr(log, "readable by every user"));
	pair_url(f, url, sizeof(url));
	snprintf(base, sizeof(base), "https://127.0.0.1:%d", f->port);
	char *argv[] = {"/usr/bin/python3", "tests/web/tlscheck.py", "--base", base, "--cafile",
			f->cert, "--pair-url", url, NULL};
	assert_int_equal(run_script(f, argv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_browser, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_and_ntfy, setup_repeats, teardown),
		cmocka_unit_test_setup_teardown(test_tls, setup_tls, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
