/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Integration: samen as a newcomer installs it. `make install DESTDIR=…
 * PREFIX=/usr` into a temporary root, then the installed programs are run
 * against each other (samen-keys makes the key, samend runs on it, samen
 * talks to samend); samend's readiness is received by a NOTIFY_SOCKET
 * listener here (a path socket, and an abstract one); when the tests run as
 * root, samend started as root with `user = nobody` is checked in /proc to
 * have dropped every id and supplementary group and still to answer;
 * `systemd-analyze verify` checks the installed units (samend's and
 * samen-web's); the man pages render without warnings and name every
 * option and configuration key (samen-web.8 too); the bash
 * completion offers every command and option that --help lists.
 *
 * Runs from the repository root (as `make test` does); BUILD names the
 * build directory (default build).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
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
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../daemon/config.h"
#include "../support/harness.h"

extern char **environ;

#define OUT_MAX (256 * 1024)
#define WAIT_READY_MS 15000

static char repo[1024];     /* the repository root (cwd) */
static char root[600];      /* DESTDIR */
static char build_dir[256]; /* BUILD */
static char make_log[700];

/* ---- small helpers ---- */

static void path_join(char *out, size_t cap, const char *a, const char *b)
{
	int n = snprintf(out, cap, "%s%s", a, b);
	assert_true(n > 0 && (size_t)n < cap);
}

/* The whole file at path, NUL-terminated (free it), or NULL. */
static char *slurp(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = malloc(OUT_MAX + 1);
	size_t len = buf ? fread(buf, 1, OUT_MAX, f) : 0;
	fclose(f);
	if (!buf)
		return NULL;
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

static bool file_has(const char *path, const char *needle)
{
	char *s = slurp(path, NULL);
	bool yes = s && strstr(s, needle);
	free(s);
	return yes;
}

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* An environment: environ without the names in drop (NULL-ended), plus
 * the "NAME=value" strings in add (NULL-ended). Static storage. */
static char **make_env(const char *const *drop, const char *const *add)
{
	static char *env[512];
	size_t n = 0;
	for (char **e = environ; *e && n < 500; e++) {
		bool skip = false;
		for (size_t i = 0; drop && drop[i]; i++) {
			size_t l = strlen(drop[i]);
			if (!strncmp(*e, drop[i], l) && (*e)[l] == '=')
				skip = true;
		}
		for (size_t i = 0; add && add[i]; i++) {
			size_t l = strcspn(add[i], "=");
			if (!strncmp(*e, add[i], l) && (*e)[l] == '=')
				skip = true;
		}
		if (!skip)
			env[n++] = *e;
	}
	for (size_t i = 0; add && add[i] && n < 510; i++)
		env[n++] = (char *)add[i];
	env[n] = NULL;
	return env;
}

/* Supplementary groups the next spawn() starts with (root only; 0: as we
 * are), so that dropping them is visible. */
static gid_t spawn_groups[4];
static size_t n_spawn_groups;

/* Starts argv[0] (a path) with env, stdout and stderr to the files out and
 * err (NULL: /dev/null). No shell. Returns the pid. */
static pid_t spawn(char *const argv[], char *const env[], const char *out, const char *err)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (n_spawn_groups && setgroups(n_spawn_groups, spawn_groups) < 0)
			_exit(125);
		int fo = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fi = open("/dev/null", O_RDONLY);
		if (fo < 0 || fe < 0 || fi < 0)
			_exit(126);
		dup2(fi, 0);
		dup2(fo, 1);
		dup2(fe, 2);
		execve(argv[0], argv, env);
		_exit(127);
	}
	return pid;
}

/* Waits for pid at most timeout_ms (then SIGKILL); returns the exit code,
 * or 128 + signal, or -1. */
static int wait_exit(pid_t pid, int timeout_ms)
{
	int status = 0;
	uint64_t end = harness_ms() + (uint64_t)timeout_ms;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0)
			return -1;
		if (harness_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(10000);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

struct run {
	int code;
	char *out; /* stdout, NUL-terminated (free with run_free) */
	char *err; /* stderr */
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Runs argv (a NULL-ended list; argv[0] a path) to its end. */
static struct run run_argv(char *const argv[], char *const env[])
{
	char out[700], err[700];
	struct run r;
	path_join(out, sizeof(out), harness_dir(), "/run.out");
	path_join(err, sizeof(err), harness_dir(), "/run.err");
	pid_t pid = spawn(argv, env ? env : environ, out, err);
	r.code = wait_exit(pid, 30000);
	r.out = slurp(out, NULL);
	r.err = slurp(err, NULL);
	assert_non_null(r.out);
	assert_non_null(r.err);
	return r;
}

/* Runs the program at path with the arguments that follow (NULL-ended). */
static struct run run(const char *path, ...)
{
	char *argv[64];
	size_t n = 0;
	va_list ap;
	argv[n++] = (char *)path;
	va_start(ap, path);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 63;)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	return run_argv(argv, NULL);
}

/* The installed program: <root>/usr/bin/NAME or <root>/usr/sbin/NAME. */
static const char *installed(const char *name)
{
	static char paths[4][700];
	static int next;
	char *p = paths[next++ % 4];
	bool sbin = !strcmp(name, "samend") || !strcmp(name, "samen-web");
	snprintf(p, 700, "%s/usr/%s/%s", root, sbin ? "sbin" : "bin", name);
	return p;
}

/* The value after "label" at the start of a line ("public key   TEXT"). */
static bool line_value(const char *text, const char *label, char *out, size_t cap)
{
	size_t l = strlen(label);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, label, l) != 0)
			continue;
		p += l;
		p += strspn(p, " \t");
		size_t n = strcspn(p, "\n");
		if (n >= cap)
			return false;
		memcpy(out, p, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

/* ---- NOTIFY_SOCKET listener ---- */

struct listener {
	int fd;
	char addr[108]; /* as NOTIFY_SOCKET names it */
};

static void listener_open(struct listener *l, const char *addr)
{
	struct sockaddr_un sa;
	socklen_t len;
	int one = 1;
	size_t n = strlen(addr);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(n < sizeof(sa.sun_path));
	memcpy(sa.sun_path, addr, n);
	if (addr[0] == '@') {
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		unlink(addr);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(setsockopt(l->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, len), 0);
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
}

/* The next datagram within timeout_ms into buf, with its sender's
 * credentials; false on timeout. */
static bool listener_recv(struct listener *l, char *buf, size_t cap, struct ucred *who,
			  int timeout_ms)
{
	struct pollfd p = {l->fd, POLLIN, 0};
	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = {buf, cap - 1};
	struct msghdr m;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.b;
	m.msg_controllen = sizeof(ctl.b);
	ssize_t n = recvmsg(l->fd, &m, 0);
	if (n < 0)
		return false;
	buf[n] = '\0';
	memset(who, 0, sizeof(*who));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			memcpy(who, CMSG_DATA(c), sizeof(*who));
	return true;
}

/* Whether msg (newline-separated assignments) holds the line want. */
static bool has_line(const char *msg, const char *want)
{
	size_t l = strlen(want);
	for (const char *p = msg; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, want, l) && (p[l] == '\n' || p[l] == '\0'))
			return true;
	return false;
}

/* ---- one installed samend ---- */

struct daemon_run {
	char dir[600];
	char state[700];
	char key[700];
	char config[700];
	char log[700];
	char key_text[64];
	char fingerprint[32];
	pid_t pid;
};

static pid_t live_pids[8];

static void track(pid_t pid)
{
	for (size_t i = 0; i < 8; i++)
		if (!live_pids[i]) {
			live_pids[i] = pid;
			return;
		}
}

static void untrack(pid_t pid)
{
	for (size_t i = 0; i < 8; i++)
		if (live_pids[i] == pid)
			live_pids[i] = 0;
}

/* A key made with the installed samen-keys, and a config around it. */
static void daemon_prepare(struct daemon_run *d, const char *name, const char *extra)
{
	struct run r;
	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s/%s", harness_dir(), name);
	assert_int_equal(mkdir(d->dir, 0755), 0);
	path_join(d->state, sizeof(d->state), d->dir, "/state");
	path_join(d->key, sizeof(d->key), d->dir, "/founder.key");
	path_join(d->config, sizeof(d->config), d->dir, "/samend.conf");
	path_join(d->log, sizeof(d->log), d->dir, "/samend.log");

	r = run(installed("samen-keys"), "init", "-k", d->key, NULL);
	if (r.code != 0)
		fprintf(stderr, "samen-keys init: %s%s", r.out, r.err);
	assert_int_equal(r.code, 0);
	assert_true(line_value(r.out, "public key", d->key_text, sizeof(d->key_text)));
	assert_true(line_value(r.out, "fingerprint", d->fingerprint, sizeof(d->fingerprint)));
	assert_int_equal(strlen(d->key_text), 43);
	run_free(&r);

	FILE *f = fopen(d->config, "w");
	assert_non_null(f);
	fprintf(f,
		"# written by test_install\n"
		"state_dir     = %s\n"
		"key           = %s\n"
		"neighbourhood = %s    # our own key: this daemon founds it\n"
		"listen        = tcp://127.0.0.1:%d\n"
		"join_listen   = tcp://127.0.0.1:%d\n"
		"log_level     = debug\n%s",
		d->state, d->key, d->key_text, harness_port(), harness_port(), extra ? extra : "");
	fclose(f);
}

static void daemon_start(struct daemon_run *d, const char *notify_socket)
{
	char env_notify[160];
	const char *drop[] = {"NOTIFY_SOCKET", "SAMEN_PASSPHRASE_FILE", "CREDENTIALS_DIRECTORY", NULL};
	const char *add[] = {env_notify, NULL};
	snprintf(env_notify, sizeof(env_notify), "NOTIFY_SOCKET=%s", notify_socket);
	char *argv[] = {(char *)installed("samend"), (char *)"-c", d->config, NULL};
	d->pid = spawn(argv, make_env(drop, add), d->log, d->log);
	track(d->pid);
}

static void show_log(const struct daemon_run *d)
{
	char *s = slurp(d->log, NULL);
	fprintf(stderr, "---- %s ----\n%s----\n", d->log, s ? s : "(none)\n");
	free(s);
}

/* Waits for READY=1 from d (checking the sender), then returns. */
static void expect_notify(struct daemon_run *d, struct listener *l, const char *what, uid_t uid,
			  char *msg, size_t cap)
{
	struct ucred who;
	uint64_t end = harness_ms() + WAIT_READY_MS;
	for (;;) {
		int left = (int)(end - harness_ms());
		if (left <= 0 || !listener_recv(l, msg, cap, &who, left)) {
			show_log(d);
			fail_msg("no %s from samend on %s", what, l->addr);
		}
		if (has_line(msg, what))
			break;
		fprintf(stderr, "notify: ignoring '%s'\n", msg);
	}
	/* systemd (NotifyAccess=main) would only take it from the main pid */
	assert_int_equal(who.pid, d->pid);
	assert_int_equal(who.uid, uid);
}

/* SIGTERM, then (after any checks) daemon_wait() for the exit code. */
static void daemon_term(struct daemon_run *d)
{
	assert_true(d->pid > 0);
	kill(d->pid, SIGTERM);
}

static int daemon_wait(struct daemon_run *d)
{
	int code = wait_exit(d->pid, 10000);
	untrack(d->pid);
	d->pid = 0;
	return code;
}

static int daemon_stop(struct daemon_run *d)
{
	daemon_term(d);
	return daemon_wait(d);
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	(void)state;
	const char *b = getenv("BUILD");
	const char *san = getenv("SANITIZE");
	char arg_destdir[700], arg_build[300], arg_san[64];

	if (sodium_init() < 0 || !getcwd(repo, sizeof(repo)))
		return -1;
	snprintf(build_dir, sizeof(build_dir), "%s", b && *b ? b : "build");
	snprintf(root, sizeof(root), "%s/root", harness_dir());
	snprintf(make_log, sizeof(make_log), "%s/make-install.log", harness_dir());
	snprintf(arg_destdir, sizeof(arg_destdir), "DESTDIR=%s", root);
	snprintf(arg_build, sizeof(arg_build), "BUILD=%s", build_dir);
	snprintf(arg_san, sizeof(arg_san), "SANITIZE=%s", san ? san : "");

	/* make from the repository root, no shell; a fresh make, not one
	 * inside `make test`'s jobserver */
	const char *drop[] = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DESTDIR",
			      "PREFIX", NULL};
	char *argv[] = {(char *)"/usr/bin/make", (char *)"-C", repo, (char *)"--no-print-directory",
			(char *)"install", arg_destdir, (char *)"PREFIX=/usr", arg_build,
			san && *san ? arg_san : NULL, NULL};
	if (!is_executable(argv[0]))
		argv[0] = (char *)"/bin/make";
	pid_t pid = spawn(argv, make_env(drop, NULL), make_log, make_log);
	int code = wait_exit(pid, 120000);
	if (code != 0) {
		char *s = slurp(make_log, NULL);
		fprintf(stderr, "make install failed (%d):\n%s\n", code, s ? s : "");
		free(s);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < 8; i++)
		if (live_pids[i] > 0) {
			kill(live_pids[i], SIGKILL);
			waitpid(live_pids[i], NULL, 0);
			live_pids[i] = 0;
		}
	harness_cleanup();
	return 0;
}

/* ---- the installed tree ---- */

static void expect_file(const char *rel, mode_t mode)
{
	char p[900];
	struct stat st;
	path_join(p, sizeof(p), root, rel);
	if (stat(p, &st) != 0)
		fail_msg("make install did not install %s", rel);
	assert_true(S_ISREG(st.st_mode));
	if ((st.st_mode & 07777) != mode)
		fail_msg("%s has mode %04o, expected %04o", rel, (unsigned)(st.st_mode & 07777),
			 (unsigned)mode);
}

static void test_install_tree(void **state)
{
	(void)state;
	expect_file("/usr/bin/samen", 0755);
	expect_file("/usr/bin/samen-keys", 0755);
	expect_file("/usr/sbin/samend", 0755);
	expect_file("/usr/share/man/man1/samen.1", 0644);
	expect_file("/usr/share/man/man1/samen-keys.1", 0644);
	expect_file("/usr/share/man/man5/samend.conf.5", 0644);
	expect_file("/usr/share/man/man8/samend.8", 0644);
	expect_file("/etc/samen/samend.conf", 0644);
	expect_file("/lib/systemd/system/samend.service", 0644);
	expect_file("/usr/sbin/samen-web", 0755);
	expect_file("/usr/share/man/man8/samen-web.8", 0644);
	expect_file("/etc/samen/samen-web.conf", 0644);
	expect_file("/lib/systemd/system/samen-web.service", 0644);
	expect_file("/usr/share/samen/web/index.html", 0644);
	expect_file("/usr/lib/sysusers.d/samen.conf", 0644);
	expect_file("/usr/share/bash-completion/completions/samen", 0644);
	/* the links resolve (stat follows them) */
	expect_file("/usr/share/bash-completion/completions/samen-keys", 0644);
	expect_file("/usr/share/bash-completion/completions/samend", 0644);

	/* PREFIX=/usr: the unit names the installed paths */
	char unit[900];
	path_join(unit, sizeof(unit), root, "/lib/systemd/system/samend.service");
	assert_true(file_has(unit, "\nExecStart=/usr/sbin/samend -c /etc/samen/samend.conf\n"));
	assert_true(file_has(unit, "\nLoadCredential=passphrase:/etc/samen/passphrase\n"));
	assert_true(file_has(unit, "\nType=notify\n"));
	assert_true(file_has(unit, "\nUser=samen\n"));
	path_join(unit, sizeof(unit), root, "/lib/systemd/system/samen-web.service");
	assert_true(file_has(unit, "\nExecStart=/usr/sbin/samen-web serve --config /etc/samen/samen-web.conf\n"));
	assert_true(file_has(unit, "\nUser=samen\n"));
	path_join(unit, sizeof(unit), root, "/etc/samen/samen-web.conf");
	assert_true(file_has(unit, "\n#static = /usr/share/samen/web\n"));
	/* and the user it names is one systemd-sysusers makes */
	char users[900];
	path_join(users, sizeof(users), root, "/usr/lib/sysusers.d/samen.conf");
	assert_true(file_has(users, "\nu samen - "));
}

/* --version and --help of each installed program. */
static void test_version_and_help(void **state)
{
	(void)state;
	const char *progs[] = {"samen", "samen-keys", "samend"};
	for (size_t i = 0; i < 3; i++) {
		char want[64];
		snprintf(want, sizeof(want), "%s %s\n", progs[i], SAMEN_VERSION);
		struct run r = run(installed(progs[i]), "--version", NULL);
		assert_int_equal(r.code, 0);
		assert_string_equal(r.out, want);
		run_free(&r);
		r = run(installed(progs[i]), "--help", NULL);
		assert_int_equal(r.code, 0);
		assert_non_null(strstr(r.out, "usage:"));
		run_free(&r);
	}
}

/* The installed programs against each other: samen-keys makes the
 * founder's key and neighbourhood, samend runs on them, samen asks it;
 * readiness arrives on a NOTIFY_SOCKET path socket. */
static void test_programs_together(void **state)
{
	(void)state;
	struct daemon_run d;
	struct listener l;
	char msg[512], want[128], sock[700], nbhd[700];
	struct run r;

	daemon_prepare(&d, "together", NULL);
	/* samen-keys reads back what it wrote */
	char pub[720];
	snprintf(pub, sizeof(pub), "%s.pub", d.key);
	r = run(installed("samen-keys"), "show", pub, NULL);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, d.key_text));
	assert_non_null(strstr(r.out, d.fingerprint));
	run_free(&r);
	path_join(nbhd, sizeof(nbhd), d.dir, "/buurt.nbhd");
	r = run(installed("samen-keys"), "found", "-k", d.key, "--name", "Buurt Installatie", "-o",
		nbhd, NULL);
	assert_int_equal(r.code, 0);
	run_free(&r);
	assert_true(file_has(nbhd, d.key_text));

	path_join(sock, sizeof(sock), d.dir, "/notify.sock");
	listener_open(&l, sock);
	daemon_start(&d, sock);
	expect_notify(&d, &l, "READY=1", getuid(), msg, sizeof(msg));
	snprintf(want, sizeof(want), "STATUS=key %s", d.fingerprint);
	assert_non_null(strstr(msg, want));

	/* the installed CLI finds the daemon's control socket and reads it */
	r = run(installed("samen"), "--state", d.state, "--json", "status", NULL);
	if (r.code != 0)
		fprintf(stderr, "samen status: %s%s", r.out, r.err);
	assert_int_equal(r.code, 0);
	snprintf(want, sizeof(want), "\"key\":\"%s\"", d.key_text);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "\"role\":\"founder\""));
	run_free(&r);
	r = run(installed("samen"), "--state", d.state, "status", NULL);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, d.fingerprint));
	run_free(&r);
	r = run(installed("samen"), "--state", d.state, "invite", "--preapproved", "--hours", "1",
		NULL);
	if (r.code != 0)
		fprintf(stderr, "samen invite: %s%s", r.out, r.err);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "samen-invite:"));
	run_free(&r);

	daemon_term(&d);
	expect_notify(&d, &l, "STOPPING=1", getuid(), msg, sizeof(msg));
	assert_int_equal(daemon_wait(&d), 0);
	close(l.fd);

	/* and without a daemon, samen says what to do */
	r = run(installed("samen"), "--state", d.state, "status", NULL);
	assert_int_equal(r.code, 4);
	assert_non_null(strstr(r.err, "samend"));
	run_free(&r);
}

/* Reads "Name:\tvalues" from a /proc status file. */
static bool proc_field(const char *status, const char *name, char *out, size_t cap)
{
	char label[32];
	snprintf(label, sizeof(label), "%s:", name);
	return line_value(status, label, out, cap);
}

/* Started as root with `user = nobody`: after READY=1 every thread has
 * nobody's uid and gid (real, effective, saved, fs) and no supplementary
 * group, and the daemon still answers and writes to its store. Readiness
 * arrives on an abstract socket, which nobody may send to. */
static void test_privilege_drop(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test_privilege_drop: not root; skipped\n");
		skip();
	}
	struct passwd *pw = getpwnam("nobody");
	if (!pw) {
		fprintf(stderr, "test_privilege_drop: no user 'nobody'; skipped\n");
		skip();
	}
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	struct daemon_run d;
	struct listener l;
	char msg[512], addr[108], want[128];
	struct run r;

	/* nobody must reach the state directory by its path */
	assert_int_equal(chmod(harness_dir(), 0711), 0);
	daemon_prepare(&d, "priv", "user          = nobody\n");
	assert_int_equal(mkdir(d.state, 0700), 0);
	assert_int_equal(chown(d.state, uid, gid), 0);
	/* the key's sequence counter is written next to it after the drop */
	assert_int_equal(chown(d.dir, uid, gid), 0);
	char keypub[720];
	snprintf(keypub, sizeof(keypub), "%s.pub", d.key);
	assert_int_equal(chown(d.key, uid, gid), 0);
	assert_int_equal(chown(keypub, uid, gid), 0);

	snprintf(addr, sizeof(addr), "@samen-test-install-%ld-%08x", (long)getpid(),
		 randombytes_random());
	listener_open(&l, addr);
	/* start it with supplementary groups (root's, and one more), so that
	 * an empty Groups line proves they were dropped */
	spawn_groups[0] = 0;
	spawn_groups[1] = gid == 4 ? 5 : 4;
	n_spawn_groups = 2;
	daemon_start(&d, addr);
	n_spawn_groups = 0;
	/* sent after the drop: the sender is already nobody */
	expect_notify(&d, &l, "READY=1", uid, msg, sizeof(msg));

	char task_dir[64];
	snprintf(task_dir, sizeof(task_dir), "/proc/%ld/task", (long)d.pid);
	DIR *dir = opendir(task_dir);
	assert_non_null(dir);
	int threads = 0;
	char ids[64], want_uid[64], want_gid[64];
	snprintf(want_uid, sizeof(want_uid), "%u\t%u\t%u\t%u", (unsigned)uid, (unsigned)uid,
		 (unsigned)uid, (unsigned)uid);
	snprintf(want_gid, sizeof(want_gid), "%u\t%u\t%u\t%u", (unsigned)gid, (unsigned)gid,
		 (unsigned)gid, (unsigned)gid);
	for (struct dirent *e; (e = readdir(dir)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		char path[128];
		snprintf(path, sizeof(path), "%s/%.20s/status", task_dir, e->d_name);
		char *st = slurp(path, NULL);
		if (!st)
			continue; /* the thread ended */
		assert_true(proc_field(st, "Uid", ids, sizeof(ids)));
		assert_string_equal(ids, want_uid);
		assert_true(proc_field(st, "Gid", ids, sizeof(ids)));
		assert_string_equal(ids, want_gid);
		if (proc_field(st, "Groups", ids, sizeof(ids)))
			assert_string_equal(ids, ""); /* "Groups:" with nothing after it */
		free(st);
		threads++;
	}
	closedir(dir);
	assert_true(threads >= 1);

	/* it still answers (root may reach the socket), and can write */
	r = run(installed("samen"), "--state", d.state, "--json", "status", NULL);
	if (r.code != 0)
		fprintf(stderr, "samen status: %s%s", r.out, r.err);
	assert_int_equal(r.code, 0);
	snprintf(want, sizeof(want), "\"key\":\"%s\"", d.key_text);
	assert_non_null(strstr(r.out, want));
	run_free(&r);
	r = run(installed("samen"), "--state", d.state, "invite", "--hours", "1", NULL);
	if (r.code != 0) {
		fprintf(stderr, "samen invite: %s%s", r.out, r.err);
		show_log(&d);
	}
	assert_int_equal(r.code, 0);
	run_free(&r);

	daemon_term(&d);
	expect_notify(&d, &l, "STOPPING=1", uid, msg, sizeof(msg));
	assert_int_equal(daemon_wait(&d), 0);
	close(l.fd);
}

/* A NOTIFY_SOCKET that samend cannot use is a warning, not a failure. */
static void test_notify_socket_missing(void **state)
{
	(void)state;
	struct daemon_run d;
	char sock[700];
	struct run r;

	daemon_prepare(&d, "nolistener", NULL);
	path_join(sock, sizeof(sock), d.dir, "/nobody-listens.sock");
	daemon_start(&d, sock);
	uint64_t end = harness_ms() + WAIT_READY_MS;
	bool warned = false;
	while (!warned && harness_ms() < end) {
		usleep(50000);
		warned = file_has(d.log, "cannot notify the service manager");
	}
	if (!warned)
		show_log(&d);
	assert_true(warned);
	r = run(installed("samen"), "--state", d.state, "status", NULL);
	assert_int_equal(r.code, 0);
	run_free(&r);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- the unit ---- */

static const char *find_tool(const char *name)
{
	static char p[4][256];
	static int next;
	const char *dirs[] = {"/usr/bin", "/bin", "/usr/sbin", "/sbin"};
	char *out = p[next++ % 4];
	for (size_t i = 0; i < 4; i++) {
		snprintf(out, 256, "%s/%s", dirs[i], name);
		if (is_executable(out))
			return out;
	}
	return NULL;
}

/* A copy in dir of the installed unit name, with ExecStart's program
 * pointed into DESTDIR (verify checks that it exists); its path in copy. */
static void unit_copy(const char *dir, const char *name, const char *prog, char *copy, size_t cap)
{
	char unit[900], exec[64];
	path_join(unit, sizeof(unit), root, "/lib/systemd/system/");
	path_join(unit + strlen(unit), sizeof(unit) - strlen(unit), "", name);
	path_join(copy, cap, dir, "/");
	path_join(copy + strlen(copy), cap - strlen(copy), "", name);
	char *text = slurp(unit, NULL);
	assert_non_null(text);
	snprintf(exec, sizeof(exec), "\nExecStart=%s ", prog);
	char *at = strstr(text, exec);
	assert_non_null(at);
	FILE *f = fopen(copy, "w");
	assert_non_null(f);
	fprintf(f, "%.*s\nExecStart=%s%s %s", (int)(at - text), text, root, prog, at + strlen(exec));
	fclose(f);
	free(text);
}

/* `systemd-analyze verify` on the installed units (samen-web.service wants
 * samend.service: both are verified together). MANPATH lets it find the
 * installed man pages that Documentation= names. */
static void test_systemd_analyze_verify(void **state)
{
	(void)state;
	const char *sa = find_tool("systemd-analyze");
	if (!sa) {
		fprintf(stderr, "test_systemd_analyze_verify: systemd-analyze is not installed "
				"(apt install systemd, or make deps); skipped\n");
		skip();
	}
	char dir[700], copy[800], web_copy[800], manpath[800], man_opt[16];
	path_join(dir, sizeof(dir), harness_dir(), "/verify");
	assert_int_equal(mkdir(dir, 0755), 0);
	unit_copy(dir, "samend.service", "/usr/sbin/samend", copy, sizeof(copy));
	unit_copy(dir, "samen-web.service", "/usr/sbin/samen-web", web_copy, sizeof(web_copy));

	snprintf(manpath, sizeof(manpath), "MANPATH=%s/usr/share/man", root);
	/* without man-db, Documentation= cannot be looked up */
	snprintf(man_opt, sizeof(man_opt), "--man=%s", find_tool("man") ? "yes" : "no");
	const char *add[] = {manpath, NULL};
	char *argv[] = {(char *)sa, (char *)"verify", man_opt, copy, web_copy, NULL};
	struct run r = run_argv(argv, make_env(NULL, add));
	if (r.code != 0 || r.out[0] || r.err[0])
		fprintf(stderr, "systemd-analyze verify (exit %d):\n%s%s", r.code, r.out, r.err);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.err, "");
	run_free(&r);
}

/* ---- man pages ---- */

/* The roff source with font escapes removed and "\-" as "-". */
static char *man_text(const char *rel)
{
	char p[900];
	path_join(p, sizeof(p), root, rel);
	char *s = slurp(p, NULL);
	assert_non_null(s);
	char *w = s;
	for (const char *r = s; *r;) {
		if (r[0] == '\\' && r[1] == '-') {
			*w++ = '-';
			r += 2;
		} else if (r[0] == '\\' && r[1] == 'f' && r[2]) {
			r += 3;
		} else if (r[0] == '\\' && r[1] == '&') {
			r += 2;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return s;
}

/* Every "--option" token of text is in man (as a whole word). */
static void expect_options_documented(const char *text, const char *man, const char *page)
{
	for (const char *p = text; (p = strstr(p, "--")) != NULL;) {
		size_t n = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (n > 2) {
			char opt[64];
			snprintf(opt, sizeof(opt), "%.*s", (int)n, p);
			bool found = false;
			for (const char *m = man; !found && (m = strstr(m, opt)) != NULL; m++)
				found = !strchr("abcdefghijklmnopqrstuvwxyz0123456789-", m[n]) &&
					(m == man || m[-1] != '-');
			if (!found)
				fail_msg("%s does not mention %s", page, opt);
		}
		p += n;
	}
}

/* The commands `samen --help` lists, as "a b c". */
static void samen_commands(char *out, size_t cap)
{
	struct run r = run(installed("samen"), "--help", NULL);
	assert_int_equal(r.code, 0);
	const char *p = strstr(r.out, "commands:\n");
	assert_non_null(p);
	out[0] = '\0';
	for (p = strchr(p, '\n') + 1; p[0] == ' ' && p[1] == ' ' && p[2] != ' ';
	     p = strchr(p, '\n') + 1) {
		size_t n = strcspn(p + 2, " \n");
		size_t have = strlen(out);
		snprintf(out + have, cap - have, "%s%.*s", have ? " " : "", (int)n, p + 2);
	}
	run_free(&r);
	assert_true(strlen(out) > 20);
}

/* The keys of daemon/config.c's table, as "a b c" (the source is the
 * truth: a new key must be documented). */
static void config_keys(char *out, size_t cap)
{
	char path[1200];
	path_join(path, sizeof(path), repo, "/daemon/config.c");
	char *src = slurp(path, NULL);
	assert_non_null(src);
	const char *p = strstr(src, "keydefs[] = {");
	assert_non_null(p);
	const char *end = strstr(p, "\n};");
	assert_non_null(end);
	out[0] = '\0';
	for (; p < end; p = strchr(p, '\n') + 1) {
		const char *q = p + strspn(p, "\t ");
		if (strncmp(q, "STR(", 4) && strncmp(q, "NUM(", 4) && strncmp(q, "OTHER(", 6))
			continue;
		q = strchr(q, '(') + 1;
		size_t n = strcspn(q, ",)");
		size_t have = strlen(out);
		snprintf(out + have, cap - have, "%s%.*s", have ? " " : "", (int)n, q);
	}
	free(src);
}

/* The command lines of `samen-keys --help` ("  init     create ..."):
 * calls fn with the command's name and its whole line. */
static void keys_commands(const char *help, void (*fn)(const char *cmd, const char *line, void *ctx),
			  void *ctx)
{
	int n_cmds = 0;
	for (const char *p = help; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz");
		if (p[0] != ' ' || p[1] != ' ' || n == 0 || p[2 + n] != ' ' || p[3 + n] != ' ')
			continue;
		char cmd[32], line[512];
		snprintf(cmd, sizeof(cmd), "%.*s", (int)n, p + 2);
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
		fn(cmd, line, ctx);
		n_cmds++;
	}
	assert_true(n_cmds >= 6);
}

static void keys_synopsis(const char *cmd, const char *line, void *ctx)
{
	char want[64];
	(void)line;
	snprintf(want, sizeof(want), ".B samen-keys %s", cmd);
	if (!strstr((const char *)ctx, want))
		fail_msg("samen-keys.1 has no synopsis for '%s'", cmd);
}

static void test_man_pages(void **state)
{
	(void)state;
	const char *pages[] = {"/usr/share/man/man1/samen.1", "/usr/share/man/man1/samen-keys.1",
			       "/usr/share/man/man5/samend.conf.5", "/usr/share/man/man8/samend.8",
			       "/usr/share/man/man8/samen-web.8"};
	const char *groff = find_tool("groff");
	if (groff) {
		for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
			char p[900];
			path_join(p, sizeof(p), root, pages[i]);
			char *argv[] = {(char *)groff, (char *)"-man", (char *)"-Tutf8", (char *)"-ww",
					(char *)"-z", p, NULL};
			struct run r = run_argv(argv, NULL);
			if (r.code != 0 || r.err[0])
				fail_msg("groff -man -ww %s: exit %d: %s", pages[i], r.code, r.err);
			run_free(&r);
		}
	} else {
		fprintf(stderr, "test_man_pages: groff is not installed; rendering not checked\n");
	}

	/* samen(1): every command, and every option its --help shows */
	char *man = man_text(pages[0]);
	char cmds[1024];
	samen_commands(cmds, sizeof(cmds));
	struct run r = run(installed("samen"), "--help", NULL);
	expect_options_documented(r.out, man, "samen.1");
	run_free(&r);
	for (char *save = NULL, *c = strtok_r(cmds, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		char want[64];
		snprintf(want, sizeof(want), ".B %s", c);
		if (!strstr(man, want))
			fail_msg("samen.1 does not document the command %s", c);
		r = run(installed("samen"), c, "--help", NULL);
		assert_int_equal(r.code, 0);
		expect_options_documented(r.out, man, "samen.1");
		run_free(&r);
	}
	free(man);

	/* samen-keys(1) */
	man = man_text(pages[1]);
	r = run(installed("samen-keys"), "--help", NULL);
	expect_options_documented(r.out, man, "samen-keys.1");
	keys_commands(r.out, keys_synopsis, man);
	run_free(&r);
	free(man);

	/* samend(8) */
	man = man_text(pages[3]);
	r = run(installed("samend"), "--help", NULL);
	expect_options_documented(r.out, man, "samend.8");
	run_free(&r);
	free(man);

	/* samen-web(8): every option, and each of its keys (one per long
	 * option, tls-cert as tls_cert) in the page and the installed file */
	man = man_text(pages[4]);
	r = run(installed("samen-web"), "--help", NULL);
	assert_int_equal(r.code, 0);
	expect_options_documented(r.out, man, "samen-web.8");
	run_free(&r);
	char web_conf[900];
	path_join(web_conf, sizeof(web_conf), root, "/etc/samen/samen-web.conf");
	char *web_example = slurp(web_conf, NULL);
	assert_non_null(web_example);
	const char *web_keys[] = {"state_dir", "listen", "url", "static", "devices",
				  "topic", "lang", "tls_cert", "tls_key"};
	for (size_t i = 0; i < sizeof(web_keys) / sizeof(web_keys[0]); i++) {
		char want[64], want2[64];
		snprintf(want, sizeof(want), "\n.B %s\n", web_keys[i]);
		if (!strstr(man, want))
			fail_msg("samen-web.8 does not document the key %s", web_keys[i]);
		snprintf(want, sizeof(want), "\n#%s =", web_keys[i]);
		snprintf(want2, sizeof(want2), "\n%s =", web_keys[i]);
		if (!strstr(web_example, want) && !strstr(web_example, want2))
			fail_msg("the installed samen-web.conf does not show the key %s", web_keys[i]);
	}
	free(web_example);
	free(man);

	/* samend.conf(5) and the installed samend.conf: every key of
	 * config.c's table */
	char keys[2048], conf[900];
	config_keys(keys, sizeof(keys));
	man = man_text(pages[2]);
	path_join(conf, sizeof(conf), root, "/etc/samen/samend.conf");
	char *example = slurp(conf, NULL);
	assert_non_null(example);
	int n_keys = 0;
	for (char *save = NULL, *k = strtok_r(keys, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
		char want[96];
		struct config cfg;
		char err[512];
		config_defaults(&cfg);
		/* the list is right: each name is a key config_set knows */
		if (config_set(&cfg, k, "", err, sizeof(err)) < 0 && strstr(err, "unknown key"))
			fail_msg("config.c table parsed wrongly: %s", err);
		snprintf(want, sizeof(want), "\n.B %s ", k);
		bool in_man = strstr(man, want) != NULL;
		snprintf(want, sizeof(want), "\n.BI %s ", k);
		in_man = in_man || strstr(man, want);
		snprintf(want, sizeof(want), "\n.BR %s ", k);
		in_man = in_man || strstr(man, want);
		if (!in_man)
			fail_msg("samend.conf.5 does not document the key %s", k);
		snprintf(want, sizeof(want), "\n#%s =", k);
		if (!strstr(example, want))
			fail_msg("the installed samend.conf does not show the key %s", k);
		n_keys++;
	}
	assert_true(n_keys >= 20);
	free(man);

	/* every example value in the installed config parses, uncommented */
	for (const char *p = example; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t len = strcspn(p, "\n");
		const char *eq = memchr(p, '=', len);
		if (p[0] != '#' || p[1] == ' ' || p[1] == '#' || !eq)
			continue;
		const char *v = eq + 1 + strspn(eq + 1, " ");
		if ((size_t)(v - p) >= len)
			continue; /* "#key =": the default, empty */
		struct config cfg;
		char err[512];
		config_defaults(&cfg);
		if (config_load_buffer(&cfg, "samend.conf", p + 1, len - 1, err, sizeof(err)) < 0)
			fail_msg("the example line '%.*s' does not parse: %s", (int)len, p, err);
	}
	/* and the file as installed is a valid configuration */
	struct config cfg;
	char err[512];
	config_defaults(&cfg);
	if (config_load(&cfg, conf, err, sizeof(err)) < 0 || config_finish(&cfg, err, sizeof(err)) < 0)
		fail_msg("installed samend.conf: %s", err);
	free(example);
}

/* ---- bash completion ---- */

/* What the completion function fn offers for the words (NULL-ended; the
 * last is the one being completed), one per line in out. */
static struct run complete_words(const char *bash, const char *fn, ...)
{
	char file[900];
	path_join(file, sizeof(file), root, "/usr/share/bash-completion/completions/samen");
	char *argv[64];
	size_t n = 0;
	argv[n++] = (char *)bash;
	argv[n++] = (char *)"--norc";
	argv[n++] = (char *)"--noprofile";
	argv[n++] = (char *)"-c";
	argv[n++] = (char *)"source \"$1\" || exit 9; fn=$2; shift 2; COMP_WORDS=(\"$@\"); "
			    "COMP_CWORD=$(($# - 1)); COMPREPLY=(); \"$fn\"; "
			    "printf '%s\\n' \"${COMPREPLY[@]}\"";
	argv[n++] = (char *)"bash";
	argv[n++] = file;
	argv[n++] = (char *)fn;
	va_list ap;
	va_start(ap, fn);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 63;)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	struct run r = run_argv(argv, NULL);
	if (r.code != 0)
		fail_msg("bash completion %s: exit %d: %s", fn, r.code, r.err);
	return r;
}

/* Whether the line word is in lines. */
static bool offered(const char *lines, const char *word)
{
	size_t l = strlen(word);
	for (const char *p = lines; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, word, l) && p[l] == '\n')
			return true;
	return false;
}

/* Every "--option" in help is offered in lines. */
static void expect_offered(const char *help, const char *lines, const char *what)
{
	for (const char *p = help; (p = strstr(p, "--")) != NULL;) {
		size_t n = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (n > 2 && (p == help || p[-1] != '-')) {
			char opt[64];
			snprintf(opt, sizeof(opt), "%.*s", (int)n, p);
			if (!offered(lines, opt))
				fail_msg("completion of %s does not offer %s", what, opt);
		}
		p += n;
	}
}

static void keys_completion(const char *cmd, const char *line, void *ctx)
{
	const char *bash = ctx;
	char what[64];
	struct run r = complete_words(bash, "_samen_keys", "samen-keys", "", NULL);
	if (!offered(r.out, cmd))
		fail_msg("completion of 'samen-keys ' does not offer %s", cmd);
	run_free(&r);
	snprintf(what, sizeof(what), "'samen-keys %s --'", cmd);
	r = complete_words(bash, "_samen_keys", "samen-keys", cmd, "--", NULL);
	expect_offered(line, r.out, what);
	run_free(&r);
}

static void test_bash_completion(void **state)
{
	(void)state;
	const char *bash = find_tool("bash");
	if (!bash) {
		fprintf(stderr, "test_bash_completion: no bash; skipped\n");
		skip();
	}
	char cmds[1024], copy[1024];
	struct run r, h;

	/* samen: the commands, then each command's options */
	samen_commands(cmds, sizeof(cmds));
	r = complete_words(bash, "_samen", "samen", "", NULL);
	snprintf(copy, sizeof(copy), "%s", cmds);
	int n_cmds = 0;
	for (char *save = NULL, *c = strtok_r(copy, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		if (!offered(r.out, c))
			fail_msg("completion of 'samen ' does not offer %s", c);
		n_cmds++;
	}
	int n_offered = 0;
	for (const char *p = r.out; *p; p = strchr(p, '\n') + 1)
		n_offered++;
	assert_int_equal(n_offered, n_cmds); /* nothing that is not a command */
	run_free(&r);
	r = complete_words(bash, "_samen", "samen", "sta", NULL);
	assert_string_equal(r.out, "status\n");
	run_free(&r);
	r = complete_words(bash, "_samen", "samen", "send", "--category", "b", NULL);
	assert_string_equal(r.out, "burglary\nbreak-in-attempt\n");
	run_free(&r);

	for (char *save = NULL, *c = strtok_r(cmds, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		char what[64];
		snprintf(what, sizeof(what), "'samen %s --'", c);
		h = run(installed("samen"), c, "--help", NULL);
		r = complete_words(bash, "_samen", "samen", c, "--", NULL);
		expect_offered(h.out, r.out, what);
		run_free(&r);
		run_free(&h);
	}

	/* samen-keys: commands, and each one's options from its help line */
	h = run(installed("samen-keys"), "--help", NULL);
	keys_commands(h.out, keys_completion, (void *)bash);
	run_free(&h);

	/* samend: its options, and every configuration key after --set */
	h = run(installed("samend"), "--help", NULL);
	r = complete_words(bash, "_samend", "samend", "--", NULL);
	expect_offered(h.out, r.out, "'samend --'");
	run_free(&r);
	run_free(&h);
	char keys[2048];
	config_keys(keys, sizeof(keys));
	r = complete_words(bash, "_samend", "samend", "--set", "", NULL);
	for (char *save = NULL, *k = strtok_r(keys, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
		char want[64];
		snprintf(want, sizeof(want), "%s=", k);
		if (!offered(r.out, want))
			fail_msg("completion of 'samend --set ' does not offer %s", want);
	}
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_tree),
		cmocka_unit_test(test_version_and_help),
		cmocka_unit_test(test_programs_together),
		cmocka_unit_test(test_privilege_drop),
		cmocka_unit_test(test_notify_socket_missing),
		cmocka_unit_test(test_systemd_analyze_verify),
		cmocka_unit_test(test_man_pages),
		cmocka_unit_test(test_bash_completion),
	};
	return cmocka_run_group_tests_name("install", tests, group_setup, group_teardown);
}
