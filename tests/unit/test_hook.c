/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_hook.c — the hook runner with real child processes, and the log
 * lines it writes (log.c has no test file of its own; its output is what
 * these tests read back).
 *
 * The hook programs are small /bin/sh scripts written to a temporary
 * directory: a script is a fine *hook*; what is tested is that samend
 * itself starts it without a shell, with nothing but the JSON on stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/hook.h"
#include "../../daemon/log.h"

static char dir[] = "/tmp/samen-test-hook-XXXXXX";
static char logbuf[16384];
static int saved_stderr = -1;

/* A description that must reach the hook's stdin and nowhere else. */
static const char event[] =
	"{\"kind\":\"signal\",\"category\":\"suspicious\",\"description\":"
	"\"man tries car doors on Lindenlaan 12\",\"where\":\"Lindenlaan\"}";
static const char secret[] = "tries car doors";

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void path_in_dir(char *out, size_t cap, const char *name)
{
	assert_true((size_t)snprintf(out, cap, "%s/%s", dir, name) < cap);
}

/* Writes an executable script; "@" in body stands for the temp dir. */
static void script(const char *name, const char *body, char *path, size_t cap)
{
	FILE *f;
	const char *p;

	path_in_dir(path, cap, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\n", f);
	for (p = body; *p; ++p)
		if (*p == '@')
			fputs(dir, f);
		else
			fputc(*p, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

/* Reads a file in dir into buf (NUL-terminated); returns its length or -1. */
static long slurp(const char *name, char *buf, size_t cap)
{
	char path[256];
	size_t n = 0;
	ssize_t r;
	int fd;

	path_in_dir(path, sizeof(path), name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	return (long)n;
}

/* stderr goes to dir/log until capture_end(), which reads it into logbuf. */
static void capture_begin(void)
{
	char path[256];
	int fd;

	path_in_dir(path, sizeof(path), "log");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

static const char *capture_end(void)
{
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	if (slurp("log", logbuf, sizeof(logbuf)) < 0)
		logbuf[0] = '\0';
	return logbuf;
}

/* Polls every 20 ms until no hook runs or limit_ms passes; returns ms. */
static uint64_t poll_until_done(hook_t *h, uint64_t limit_ms)
{
	uint64_t t0 = now_ms(), t;

	for (;;) {
		t = now_ms();
		hook_poll(h, t);
		if (hook_running(h) == 0 || t - t0 > limit_ms)
			return t - t0;
		usleep(20000);
	}
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	unsetenv("JOURNAL_STREAM");
	log_set_level(SLOG_DEBUG);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* --- log.c ------------------------------------------------------------- */

/* Runs first, in a child: the journal decision is made once per process. */
static void test_log_journal_prefix(void **state)
{
	char path[256], env[64];
	struct stat st;
	pid_t pid;
	int fd, status;

	(void)state;
	path_in_dir(path, sizeof(path), "journal");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd, STDERR_FILENO);
		setenv("JOURNAL_STREAM", env, 1);
		log_set_level(SLOG_DEBUG);
		log_msg(SLOG_ERR, "e %d", 1);
		log_msg(SLOG_WARN, "w");
		log_msg(SLOG_INFO, "i");
		log_msg(SLOG_DEBUG, "d");
		_exit(0);
	}
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	assert_true(slurp("journal", logbuf, sizeof(logbuf)) > 0);
	assert_string_equal(logbuf, "<3>e 1\n<4>w\n<6>i\n<7>d\n");
}

static void test_log_lines(void **state)
{
	static char big[3000];
	const char *out, *nl;
	size_t i, len;
	int e;

	(void)state;
	assert_int_equal(log_level_parse("error"), SLOG_ERR);
	assert_int_equal(log_level_parse("warn"), SLOG_WARN);
	assert_int_equal(log_level_parse("info"), SLOG_INFO);
	assert_int_equal(log_level_parse("debug"), SLOG_DEBUG);
	assert_true(log_level_parse("Debug") < 0);
	assert_true(log_level_parse("warning") < 0);
	assert_true(log_level_parse("") < 0);
	assert_string_equal(log_level_name(SLOG_WARN), "warn");

	/* "é" is two bytes: 1500 of them cannot fit, and must not be split. */
	for (i = 0; i + 1 < sizeof(big); i += 2) {
		big[i] = (char)0xc3;
		big[i + 1] = (char)0xa9;
	}
	big[sizeof(big) - 1] = '\0';

	capture_begin();
	log_set_level(SLOG_INFO);
	log_msg(SLOG_DEBUG, "not shown");
	errno = EAGAIN;
	log_msg(SLOG_INFO, "two\nlines\x1b[31m and %s", "more");
	e = errno;
	log_msg(SLOG_WARN, "%s", big);
	log_set_level(SLOG_DEBUG);
	out = capture_end();

	assert_int_equal(e, EAGAIN); /* errno survives */
	assert_null(strstr(out, "not shown"));
	/* 2025-03-01T18:04:05.123Z info: ... */
	assert_true(strlen(out) > 25);
	assert_true(out[4] == '-' && out[10] == 'T' && out[19] == '.' &&
		    out[23] == 'Z');
	nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_memory_equal(out + 24, " info: two?lines?[31m and more\n",
			    (size_t)(nl + 1 - (out + 24)));
	out = nl + 1;
	assert_memory_equal(out + 24, " warn: ", 7);
	len = strlen(out);
	assert_true(len <= LOG_LINE_MAX);
	assert_true(len > LOG_LINE_MAX - 8);
	assert_memory_equal(out + len - 4, "\xe2\x80\xa6\n", 4); /* "…\n" */
	/* Whole characters only before the "…". */
	assert_int_equal((len - 4 - 31) % 2, 0);
	assert_true((unsigned char)out[len - 5] == 0xa9);
}

/* --- hook.c ------------------------------------------------------------ */

static void test_new_rejects(void **state)
{
	char path[256], noexec[256];
	hook_t *h = NULL;

	(void)state;
	script("ok.sh", "exit 0\n", path, sizeof(path));
	script("noexec.sh", "exit 0\n", noexec, sizeof(noexec));
	assert_int_equal(chmod(noexec, 0644), 0);

	assert_int_equal(hook_new(&h, "/nonexistent/samen-hook", 10, 4), -ENOENT);
	assert_int_equal(hook_new(&h, "ok.sh", 10, 4), -EINVAL);
	assert_int_equal(hook_new(&h, dir, 10, 4), -EINVAL);
	assert_int_equal(hook_new(&h, noexec, 10, 4), -EACCES);
	assert_int_equal(hook_new(&h, path, 0, 4), -EINVAL);
	assert_int_equal(hook_new(&h, path, HOOK_TIMEOUT_MAX + 1, 4), -EINVAL);
	assert_int_equal(hook_new(&h, path, 10, 0), -EINVAL);
	assert_null(h);
	assert_int_equal(hook_new(&h, path, 10, 4), 0);
	assert_non_null(h);
	hook_free(&h);
	assert_null(h);
	hook_free(&h);
	hook_free(NULL);
}

/* JSON on stdin, exactly; nothing in argv or the environment; no fds. */
static void test_gets_json_on_stdin_only(void **state)
{
	char path[256], buf[8192];
	const char *log;
	hook_t *h = NULL;
	int fd;

	(void)state;
	script("copy.sh",
	       "echo \"$#\" > @/argc\n"
	       "printf '%s' \"$0\" > @/argv0\n"
	       "env > @/env\n"
	       "out=$(readlink /proc/$$/fd/1) err=$(readlink /proc/$$/fd/2)\n"
	       "echo \"$out $err\" > @/fd12\n"
	       "if [ -e /proc/$$/fd/7 ]; then echo leaked; else echo closed; fi > @/fd7\n"
	       "cat > @/stdin.part && mv @/stdin.part @/stdin\n",
	       path, sizeof(path));
	assert_int_equal(hook_new(&h, path, 10, 4), 0);

	/* An fd the daemon forgot to mark close-on-exec must not leak. */
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 7), 7);
	close(fd);

	capture_begin();
	assert_int_equal(hook_fire(h, event, strlen(event), now_ms()), 0);
	close(7);
	assert_int_equal(hook_running(h), 1);
	assert_true(poll_until_done(h, 5000) < 5000);
	log = capture_end();
	assert_int_equal(hook_running(h), 0);
	assert_non_null(strstr(log, " debug: hook "));
	assert_non_null(strstr(log, ") done\n"));
	assert_null(strstr(log, secret)); /* the log stays clean too */

	assert_int_equal(slurp("stdin", buf, sizeof(buf)), (long)strlen(event));
	assert_string_equal(buf, event);
	assert_true(slurp("argc", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "0\n");
	assert_true(slurp("argv0", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, path);
	assert_true(slurp("env", buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, secret));
	assert_null(strstr(buf, "Lindenlaan"));
	assert_non_null(strstr(buf, "SAMEN_EVENT=signal\n"));
	assert_non_null(strstr(buf, "PATH=/usr/bin:/bin\n"));
	assert_null(strstr(buf, "HOME="));
	assert_true(slurp("fd12", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "/dev/null /dev/null\n");
	assert_true(slurp("fd7", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "closed\n");
	hook_free(&h);
}

static void test_timeout_kills_group(void **state)
{
	char path[256], buf[64], proc[64];
	const char *log;
	uint64_t took;
	hook_t *h = NULL;
	long gc;
	FILE *f;

	(void)state;
	script("sleep.sh", "sleep 60 &\necho $! > @/grandchild\nwait\n", path,
	       sizeof(path));
	assert_int_equal(hook_new(&h, path, 1, 4), 0);
	capture_begin();
	assert_int_equal(hook_fire(h, event, strlen(event), now_ms()), 0);
	took = poll_until_done(h, 4000);
	log = capture_end();
	assert_true(took >= 1000);
	assert_true(took < 2500);
	assert_int_equal(hook_running(h), 0);
	assert_non_null(strstr(log, "still running after 1 s; killed\n"));
	assert_non_null(strstr(log, " warn: hook "));
	assert_null(strstr(log, "killed by signal")); /* said once, not twice */

	/* The script's own child went with it (gone, or a zombie of init). */
	assert_true(slurp("grandchild", buf, sizeof(buf)) > 0);
	gc = strtol(buf, NULL, 10);
	assert_true(gc > 1);
	usleep(100000);
	snprintf(proc, sizeof(proc), "/proc/%ld/stat", gc);
	f = fopen(proc, "r");
	if (f) {
		char state_c = '?';

		assert_int_equal(fscanf(f, "%*d (%*[^)]) %c", &state_c), 1);
		fclose(f);
		assert_int_equal(state_c, 'Z');
	}
	hook_free(&h);
}

static void test_failing_hook_is_logged_and_does_not_stall(void **state)
{
	char fail_path[256], ok_path[256];
	const char *log;
	uint64_t t0;
	hook_t *bad = NULL, *good = NULL;

	(void)state;
	script("fail.sh", "exit 3\n", fail_path, sizeof(fail_path));
	script("touch.sh", "cat > /dev/null; : > @/touched\n", ok_path,
	       sizeof(ok_path));
	assert_int_equal(hook_new(&bad, fail_path, 5, 4), 0);
	assert_int_equal(hook_new(&good, ok_path, 5, 4), 0);
	capture_begin();
	t0 = now_ms();
	assert_int_equal(hook_fire(bad, event, strlen(event), t0), 0);
	assert_int_equal(hook_fire(bad, event, strlen(event), t0), 0);
	assert_int_equal(hook_fire(good, event, strlen(event), t0), 0);
	assert_true(now_ms() - t0 < 1000);
	assert_true(poll_until_done(bad, 3000) < 3000);
	assert_true(poll_until_done(good, 3000) < 3000);
	log = capture_end();
	assert_non_null(strstr(log, " warn: hook "));
	assert_non_null(strstr(log, "fail.sh (pid "));
	assert_non_null(strstr(log, ") exited with status 3\n"));
	assert_non_null(strstr(strstr(log, "exited with status 3") + 1,
			       "exited with status 3")); /* both */
	assert_true(slurp("touched", logbuf, sizeof(logbuf)) == 0);
	hook_free(&bad);
	hook_free(&good);
}

static void test_program_gone_at_fire(void **state)
{
	char path[256], badint[256];
	const char *log;
	hook_t *h = NULL, *h2 = NULL;

	(void)state;
	script("gone.sh", "exit 0\n", path, sizeof(path));
	assert_int_equal(hook_new(&h, path, 5, 4), 0);
	assert_int_equal(unlink(path), 0);
	path_in_dir(badint, sizeof(badint), "badint.sh");
	{
		FILE *f = fopen(badint, "w");

		assert_non_null(f);
		fputs("#!/nonexistent/interpreter\n", f);
		fclose(f);
		assert_int_equal(chmod(badint, 0755), 0);
	}
	assert_int_equal(hook_new(&h2, badint, 5, 4), 0);
	capture_begin();
	assert_int_equal(hook_fire(h, event, strlen(event), now_ms()), -ENOENT);
	assert_int_equal(hook_fire(h2, event, strlen(event), now_ms()), -ENOENT);
	log = capture_end();
	assert_int_equal(hook_running(h), 0);
	assert_int_equal(hook_running(h2), 0);
	assert_non_null(strstr(log, " error: hook "));
	assert_non_null(strstr(log, "gone.sh: cannot run it: No such file or directory\n"));
	assert_non_null(strstr(log, "badint.sh: cannot run it: No such file or directory\n"));
	hook_free(&h);
	hook_free(&h2);
}

static void test_max_running(void **state)
{
	char path[256];
	const char *log;
	uint64_t t0;
	hook_t *h = NULL;
	static char huge[HOOK_EVENT_MAX + 1];
	int status;

	(void)state;
	script("slow.sh", "exec sleep 60\n", path, sizeof(path));
	assert_int_equal(hook_new(&h, path, 10, 2), 0);
	capture_begin();
	t0 = now_ms();
	assert_int_equal(hook_fire(h, event, strlen(event), t0), 0);
	assert_int_equal(hook_fire(h, event, strlen(event), t0), 0);
	assert_int_equal(hook_fire(h, event, strlen(event), t0), -EBUSY);
	assert_int_equal(hook_fire(h, huge, sizeof(huge), t0), SAMEN_ETOOBIG);
	hook_poll(h, now_ms());
	assert_int_equal(hook_running(h), 2);
	t0 = now_ms();
	hook_free(&h);
	log = capture_end();
	assert_true(now_ms() - t0 < 1000);
	assert_null(h);
	assert_non_null(strstr(log, "slow.sh: 2 still running; event dropped\n"));
	assert_non_null(strstr(log, "slow.sh: event of 262145 bytes is over 262144; dropped\n"));
	/* hook_free() reaped both: this process has no child left. */
	status = waitpid(-1, NULL, WNOHANG) == -1 ? errno : 0;
	assert_int_equal(status, ECHILD);
}

/*
 * An event larger than the pipe: hook_fire() returns at once and
 * hook_poll() writes the rest as the hook reads; a hook that reads nothing
 * gets EPIPE, not a SIGPIPE that would kill the daemon (this test process
 * has SIGPIPE at its default: termination).
 */
static void test_large_event_not_blocking(void **state)
{
	char path[256], quiet[256];
	static char big[200 * 1024], back[sizeof(big) + 16];
	const char *log;
	uint64_t t0;
	hook_t *h = NULL, *q = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(big); ++i)
		big[i] = (char)('a' + i % 26);
	script("slowread.sh", "sleep 0.3\ncat > @/big.part && mv @/big.part @/big\n",
	       path, sizeof(path));
	script("quiet.sh", "exit 0\n", quiet, sizeof(quiet));
	assert_int_equal(hook_new(&h, path, 10, 4), 0);
	assert_int_equal(hook_new(&q, quiet, 10, 4), 0);
	capture_begin();
	t0 = now_ms();
	assert_int_equal(hook_fire(h, big, sizeof(big), t0), 0);
	assert_int_equal(hook_fire(q, big, sizeof(big), t0), 0);
	assert_true(now_ms() - t0 < 200); /* did not wait for the readers */
	assert_true(poll_until_done(h, 5000) < 5000);
	assert_true(poll_until_done(q, 5000) < 5000);
	log = capture_end();
	assert_null(strstr(log, " warn: "));
	assert_null(strstr(log, " error: "));
	assert_int_equal(slurp("big", back, sizeof(back)), (long)sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
	hook_free(&h);
	hook_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_journal_prefix),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_new_rejects),
		cmocka_unit_test(test_gets_json_on_stdin_only),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_failing_hook_is_logged_and_does_not_stall),
		cmocka_unit_test(test_program_gone_at_fire),
		cmocka_unit_test(test_max_running),
		cmocka_unit_test(test_large_event_not_blocking),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
