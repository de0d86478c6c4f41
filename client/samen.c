/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * samen — the household CLI: talks to the local samend over its control
 * socket (PROTOCOL.md section 8).
 *
 *   samen [--state DIR] [--json] COMMAND [OPTIONS] [ARGS]
 *
 * Exit codes: 0 ok, 2 usage, 3 invalid, 4 samend unreachable, 5 not a member,
 * 6 forbidden, 7 not found, 8 rate-limited, 9 store full, 10 internal.
 *
 * Values are checked here before anything is sent, with a message that
 * names the option and the fix; samend checks everything again. The hidden
 * option --print-request prints the request as JSON instead of sending it
 * (for tests and for checking what a command line means).
 */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "subscribe.h"
#include "args.h"
#include "commands.h"
#include "../proto/ctl_client.h"
#include "render.h"
#include "request.h"
#include "fail.h"
#include "../keys/keyarg.h"
#include "../keys/paths.h"
#include "../proto/ctl.h"
#include "../proto/json.h"
#include "../proto/mp.h"
#include "../proto/mpmap.h"


static int state_dir(const struct globals *g, char *out, size_t cap)
{
	if (!(g->state && *g->state))
		return paths_default_state(out, cap);
	int n = snprintf(out, cap, "%s", g->state);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int unreachable(int err, const char *path, int timeout_ms)
{
	char q[128];
	args_quote(path, q, sizeof(q));
	switch (err) {
	case -ENOENT:
		samen_fail(EXIT_UNREACHABLE, "samend is not running (no control socket at %s); start it "
		     "with 'samend -c CONFIG'", q);
		fputs("hint: if samend runs with another state directory, point samen at it with "
		      "--state DIR or SAMEN_STATE\n", stderr);
		return EXIT_UNREACHABLE;
	case -EACCES:
	case -EPERM:
		if (strncmp(path, PATHS_SYSTEM_STATE "/", sizeof(PATHS_SYSTEM_STATE)) == 0)
			return samen_fail(EXIT_UNREACHABLE, "cannot reach samend at %s: permission denied; "
				    "the system's samend (samend.service) lets only root and its own "
				    "user in: run samen as root", q);
		return samen_fail(EXIT_UNREACHABLE, "cannot reach samend at %s: permission denied; run "
			    "samen as the user samend runs as", q);
	case -ENOTSOCK:
		return samen_fail(EXIT_UNREACHABLE, "%s is not a socket; is --state (or SAMEN_STATE) "
			    "samend's state directory?", q);
	case -ENAMETOOLONG:
		return samen_fail(EXIT_UNREACHABLE, "the control socket path %s is too long for a unix "
			    "socket (at most %d bytes); use a shorter state directory", q,
			    CTL_IPC_PATH_MAX);
	case -ECONNREFUSED:
		return samen_fail(EXIT_UNREACHABLE, "samend is not running (%s is left over from a samend "
			    "that stopped); start it with 'samend -c CONFIG'", q);
	case -ENOTCONN:
		return samen_fail(EXIT_UNREACHABLE, "samend did not take the connection at %s within %d s; "
			    "it may be stuck: see its log", q, timeout_ms / 1000);
	case -ETIMEDOUT:
		return samen_fail(EXIT_UNREACHABLE, "samend did not answer within %d s (%s); it may be "
			    "stuck: see its log", timeout_ms / 1000, q);
	case -ECONNRESET:
		return samen_fail(EXIT_UNREACHABLE, "samend closed the connection before answering (it "
			    "stopped, or its reply was over %d MiB); see its log", CTL_MSG_MAX >> 20);
	default:
		return samen_fail(EXIT_UNREACHABLE, "cannot talk to samend at %s: %s", q,
			    samen_strerror(err));
	}
}

/* A reply samen cannot use: a bug in samend, or versions that differ.
 * field_hint: the reply is well-formed, so --json would show it. */
static int malformed(const char *why, bool field_hint)
{
	samen_fail(EXIT_INTERNAL, "samend sent a malformed reply (%s)", why);
	fprintf(stderr, "hint: this is a bug in samend, or samen and samend are different "
		"versions%s\n", field_hint ? "; '--json' shows the reply as it is" : "");
	return EXIT_INTERNAL;
}

/* Unpacks a frame strictly: one map with distinct string keys. */
static int frame_open(zmq_msg_t *msg, msgpack_unpacked *u, char *why, size_t cap)
{
	char bad[96];
	int r = mp_unpack(zmq_msg_data(msg), zmq_msg_size(msg), CTL_DEPTH, u);
	if (r < 0) {
		snprintf(why, cap, "%s", samen_strerror(r));
		return r;
	}
	if (mpmap_check(&u->data, NULL, bad, sizeof(bad)) < 0) {
		snprintf(why, cap, "%s", bad);
		return SAMEN_EMALFORMED;
	}
	return 0;
}

/* What to do about each refusal samend gives (proto/ctl.h), printed as
 * "hint: " HINT_A COMMAND HINT_B. */
static const struct {
	const char *a, *b;
} hints[CTL_E_COUNT] = {
	[CTL_E_INVALID] = {"check the value named above; 'samen ", " --help' lists the options"},
	[CTL_E_NOT_MEMBER] = {"this household holds no valid certificate: join with an invite code "
			      "from a coordinator ('samen join CODE') or wait for approval, then '",
			      "' again"},
	[CTL_E_FORBIDDEN] = {"your role does not allow '", "'; ask one of the neighbourhood's "
			     "coordinators"},
	[CTL_E_NOT_FOUND] = {"check the id or key given to '", "': 'samen list --all' shows "
			     "signals, 'samen members' and 'samen pending' show keys"},
	[CTL_E_RATE_LIMITED] = {"wait a few minutes before '", "' again; in an emergency, call 112 "
				"first"},
	[CTL_E_FULL] = {"samend's store is full and nothing was written by '", "'; free disk "
			"space, see samend's log"},
	[CTL_E_INTERNAL] = {"samend could not do '", "'; see its log for details"},
	[CTL_E_NO_ANSWER] = {"samend keeps asking every 3 s and 'samen status' shows the answer; "
			     "check that the coordinator's samend runs and is reachable from here "
			     "(no need to '", "' again)"},
};

/* {ok: false, code, error}: says so and returns the exit code. */
static int reply_error(const struct command *cmd, const msgpack_object *reply)
{
	const msgpack_object *code = mpmap_find(reply, "code"), *err = mpmap_find(reply, "error");

	if (!code || code->type != MSGPACK_OBJECT_STR || !err || err->type != MSGPACK_OBJECT_STR)
		return malformed("an error without a 'code' and an 'error' string", false);
	fputs("samen: ", stderr);
	term_text(stderr, err->via.str.ptr, err->via.str.size, true);
	fputc('\n', stderr);
	int e = ctl_error_find(code->via.str.ptr, code->via.str.size);
	if (e >= 0) {
		fprintf(stderr, "hint: %s%s%s\n", hints[e].a, cmd->name, hints[e].b);
		return ctl_errors[e].exit;
	}
	fputs("samen: samend answered with an unknown error code '", stderr);
	term_text(stderr, code->via.str.ptr, code->via.str.size, true);
	fputs("'\n", stderr);
	return EXIT_INTERNAL;
}

static bool use_colour(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	return isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);
}

static unsigned tty_columns(void)
{
	struct winsize ws;
	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* Writes an object as one JSON line, or renders it; all or nothing. */
static int emit(const struct globals *g, render_fn *render, const msgpack_object *o)
{
	char *text = NULL, why[96];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct out out = {.f = f, .now = time(NULL), .colour = use_colour(), .width = tty_columns()};
	int r;

	if (!f)
		return samen_fail(EXIT_INTERNAL, "out of memory");
	if (g->json) {
		r = json_write(f, o);
		if (r == 0 && fputc('\n', f) == EOF)
			r = -EIO;
	} else {
		r = render ? render(&out, o) : 0;
	}
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0 && (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0))
		r = -EIO;
	free(text);
	if (r == SAMEN_EMALFORMED && !g->json && out.bad) {
		snprintf(why, sizeof(why), "field '%s' is missing or has the wrong type", out.bad);
		return malformed(why, true);
	}
	if (r == -EIO)
		return samen_fail(EXIT_INTERNAL, "cannot write the output: %s", strerror(errno));
	if (r < 0)
		return malformed(samen_strerror(r), false);
	return 0;
}

/* The first (or only) reply: ok, or an error to report. */
static int handle_reply(const struct command *cmd, const struct globals *g, const struct job *j,
			zmq_msg_t *msg)
{
	msgpack_unpacked u;
	char why[128];
	bool ok;
	int ret;

	msgpack_unpacked_init(&u);
	if (frame_open(msg, &u, why, sizeof(why)) < 0) {
		ret = malformed(why, false);
	} else if (mpmap_bool(&u.data, "ok", &ok) < 0) {
		ret = malformed("no boolean 'ok'", false);
	} else if (!ok) {
		if (g->json)
			(void)emit(g, NULL, &u.data);
		ret = reply_error(cmd, &u.data);
	} else {
		ret = j->stream ? 0 : emit(g, j->render, &u.data);
	}
	msgpack_unpacked_destroy(&u);
	return ret;
}

/* One watch event: rendered, or skipped with a note if of a kind unknown here. */
static int handle_event(const struct command *cmd, const struct globals *g, zmq_msg_t *msg)
{
	msgpack_unpacked u;
	char why[128];
	int ret = 0;

	msgpack_unpacked_init(&u);
	if (frame_open(msg, &u, why, sizeof(why)) < 0) {
		ret = malformed(why, false);
	} else if (mpmap_find(&u.data, "ok")) {
		bool ok = true;
		/* the stream can end with an error reply */
		if (mpmap_bool(&u.data, "ok", &ok) < 0 || ok)
			ret = malformed("a reply in the middle of the event stream", false);
		else
			ret = reply_error(cmd, &u.data);
	} else if (g->json) {
		ret = emit(g, NULL, &u.data);
	} else {
		const msgpack_object *type = mpmap_find(&u.data, "event");
		if (type && type->type == MSGPACK_OBJECT_STR &&
		    !(type->via.str.size == 6 && memcmp(type->via.str.ptr, "signal", 6) == 0) &&
		    !(type->via.str.size == 10 && memcmp(type->via.str.ptr, "escalation", 10) == 0) &&
		    !(type->via.str.size == 8 && memcmp(type->via.str.ptr, "receipts", 8) == 0) &&
		    !(type->via.str.size == 12 && memcmp(type->via.str.ptr, "announcement", 12) == 0) &&
		    !(type->via.str.size == 10 && memcmp(type->via.str.ptr, "retraction", 10) == 0)) {
			fputs("samen: skipping an event of a kind this samen does not know: ", stderr);
			term_text(stderr, type->via.str.ptr, type->via.str.size, true);
			fputs(" (is samen older than samend?)\n", stderr);
		} else {
			ret = emit(g, render_event, &u.data);
		}
	}
	msgpack_unpacked_destroy(&u);
	return ret;
}

/* A failure to reach samend that a restart of samend explains. */
static bool transient(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED || r == -ENOTCONN || r == -ETIMEDOUT ||
	       r == -ECONNRESET;
}

/* Opens the control socket, sends the request and handles the first reply.
 * Returns 0, a transport -errno (in *transport, true), or an exit code. */
static int ask(struct ctl **c, const char *path, const struct command *cmd,
	       const struct globals *g, const struct job *j, const uint8_t *buf, size_t len,
	       bool *transport)
{
	zmq_msg_t msg;
	int r, ret;

	*transport = true;
	if ((r = ctl_open(c, path, cmd->timeout_ms)) < 0)
		return r;
	if ((r = ctl_send(*c, buf, len)) < 0)
		return r;
	zmq_msg_init(&msg);
	r = ctl_recv(*c, cmd->timeout_ms, &msg);
	if (r < 0 && r != -EPROTO) {
		zmq_msg_close(&msg);
		return r;
	}
	*transport = false;
	ret = r == -EPROTO ? malformed("more than one frame", false) : handle_reply(cmd, g, j, &msg);
	zmq_msg_close(&msg);
	return ret;
}

/* watch outlives a restart of samend: the request is sent again once it
 * is back (what arrived in between is in 'samen list', not re-played). */
static int rewatch(struct ctl **c, const char *path, const struct command *cmd,
		   const struct globals *g, const struct job *j, const uint8_t *buf, size_t len)
{
	bool transport;
	int r;

	fputs("samen: samend closed the connection (stopped or restarting); waiting for it to "
	      "come back (Ctrl-C stops)\n", stderr);
	for (unsigned wait_ms = 250;; wait_ms = wait_ms < 4000 ? wait_ms * 2 : 4000) {
		struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000L};
		ctl_close(c);
		nanosleep(&ts, NULL);
		r = ask(c, path, cmd, g, j, buf, len, &transport);
		if (!transport || !transient(r))
			break;
	}
	if (r == 0)
		fputs("samen: samend is back; watching again ('samen list' shows what arrived "
		      "in between)\n", stderr);
	return r;
}

static int transact(const struct command *cmd, const struct globals *g, const struct job *j,
		    const uint8_t *buf, size_t len)
{
	char dir[4096], path[4096 + 16];
	struct ctl *c = NULL;
	zmq_msg_t msg;
	bool transport;
	int r, ret;

	r = state_dir(g, dir, sizeof(dir));
	if (r == -ENOENT)
		return samen_fail(EXIT_UNREACHABLE, "cannot tell where samend's state directory is (HOME "
			    "is not set); use --state DIR or set SAMEN_STATE");
	if (r < 0 || snprintf(path, sizeof(path), "%s/control", dir) >= (int)sizeof(path))
		return unreachable(-ENAMETOOLONG, dir, cmd->timeout_ms);
	/* a desktop user with no samend of its own means the system's */
	struct stat st;
	const char *env = getenv("SAMEN_STATE");
	if (!(g->state && *g->state) && !(env && *env) && geteuid() != 0 &&
	    lstat(path, &st) < 0 && errno == ENOENT && stat(PATHS_SYSTEM_STATE, &st) == 0)
		snprintf(path, sizeof(path), "%s/control", PATHS_SYSTEM_STATE);
	ret = ask(&c, path, cmd, g, j, buf, len, &transport);
	if (transport && ret < 0)
		ret = unreachable(ret, path, cmd->timeout_ms);
	/* on stderr, so that whoever reads it (a person, a script) knows the
	 * watch is registered: what is sent from now on will show */
	if (ret == 0 && j->stream && !g->json)
		fputs("samen: watching for signals; press Ctrl-C to stop\n", stderr);
	while (ret == 0 && j->stream) {
		zmq_msg_init(&msg);
		r = ctl_recv(c, -1, &msg);
		if (transient(r)) {
			ret = rewatch(&c, path, cmd, g, j, buf, len);
			if (ret < 0)
				ret = unreachable(ret, path, cmd->timeout_ms);
		} else {
			ret = r == -EPROTO ? malformed("more than one frame", false)
			      : r < 0      ? unreachable(r, path, cmd->timeout_ms)
					   : handle_event(cmd, g, &msg);
		}
		zmq_msg_close(&msg);
	}
	ctl_close(&c);
	return ret;
}

/* --print-request: the request as JSON, nothing sent. */
static int print_request(const uint8_t *buf, size_t len)
{
	msgpack_unpacked u;
	int r;

	msgpack_unpacked_init(&u);
	r = mp_unpack(buf, len, CTL_DEPTH, &u);
	if (r == 0)
		r = json_write(stdout, &u.data);
	msgpack_unpacked_destroy(&u);
	if (r == 0 && (fputc('\n', stdout) == EOF || fflush(stdout) != 0))
		r = -EIO;
	return r < 0 ? samen_fail(EXIT_INTERNAL, "cannot print the request: %s", samen_strerror(r)) : 0;
}

/* A command with its own option parsing: getopt as a fresh program sees it
 * (glibc keeps the "+" ordering of the global parse until optind is 0, and
 * getopt's own messages are on again). */
static int run_own(const struct command *cmd, int argc, char **argv)
{
	char *none[] = {argv[0], NULL};
	optind = 0;
	opterr = 0;
	(void)getopt(1, none, "");
	opterr = 1;
	return cmd->run(argc, argv);
}

static int run(const struct command *cmd, int argc, char **argv, struct globals *g)
{
	struct job j = {0};
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	/* samen --state DIR web ...: samen-web finds the same directory */
	if (cmd->run && g->state && *g->state && setenv("SAMEN_STATE", g->state, 1) < 0)
		return samen_fail(EXIT_INTERNAL, "out of memory");
	if (cmd->run)
		return run_own(cmd, argc, argv);
	req_init(&j.req, cmd->name);
	r = commands_build(cmd, argc, argv, g, &j);
	if (r == 0 && req_finish(&j.req, &buf, &len) < 0)
		r = samen_fail(EXIT_INTERNAL, "out of memory");
	req_destroy(&j.req);
	if (r == EXIT_DONE)
		return fflush(stdout) == 0 ? 0 : EXIT_INTERNAL;
	if (r != 0)
		return r;
	r = g->print_request ? print_request(buf, len) : transact(cmd, g, &j, buf, len);
	free(buf);
	return r;
}

int main(int argc, char **argv)
{
	struct globals g = {0};
	const struct command *cmd;
	char q[64];
	int r;

	/* wcwidth() for table columns; nothing else depends on the locale */
	setlocale(LC_CTYPE, "");
	if (keyarg_protect(argc, argv) < 0)
		return samen_fail(EXIT_INTERNAL, "out of memory");
	r = commands_globals(argc, argv, &g);
	if (r != 0)
		return r == EXIT_DONE ? (fflush(stdout) == 0 ? 0 : EXIT_INTERNAL) : r;
	if (optind >= argc) {
		commands_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		cmd = optind + 1 < argc ? commands_find(argv[optind + 1]) : NULL;
		if (cmd && cmd->run) {
			char *help[] = {argv[optind + 1], "--help", NULL};
			return run_own(cmd, 2, help);
		}
		if (cmd)
			commands_help(stdout, cmd);
		else
			commands_usage(stdout);
		return 0;
	}
	cmd = commands_find(argv[optind]);
	if (!cmd) {
		args_quote(argv[optind], q, sizeof(q));
		const struct command *near = commands_nearest(argv[optind]);
		if (near)
			fprintf(stderr, "samen: '%s' is not a samen command; did you mean '%s'?\n", q,
				near->name);
		else
			fprintf(stderr, "samen: '%s' is not a samen command; see 'samen --help'\n", q);
		return EXIT_USAGE;
	}
	return run(cmd, argc - optind, argv + optind, &g);
}
