#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "../keys/keytext.h"
#include "../proto/record.h"
#include "../proto/signal.h"

#ifndef SAMEN_VERSION
#define SAMEN_VERSION "unknown"
#endif

#define EXPIRES_MAX (30 * 86400) /* seconds */
#define SINCE_MAX (30 * 86400)
#define LIMIT_MAX 1000
#define HOURS_MAX (365 * 24)
#define CODE_MAX 1024 /* bytes of an invite code */

/* ---- messages ---- */

static int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "samen %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'samen %s --help'\n", cmd->name);
	return EXIT_USAGE;
}

static int invalid(const struct command *cmd, const char *msg)
{
	fprintf(stderr, "samen %s: %s\n", cmd->name, msg);
	return EXIT_INVALID;
}

static void list_names(char *out, size_t cap, const char *(*name)(unsigned), unsigned from,
		       unsigned to)
{
	size_t n = 0;
	out[0] = '\0';
	for (unsigned v = from; v <= to; v++) {
		int w = snprintf(out + n, cap - n, "%s%s", v > from ? ", " : "", name(v));
		if (w < 0 || (size_t)w >= cap - n)
			return; /* a shortened list is still a hint */
		n += (size_t)w;
	}
}

/* ---- options shared by every command ---- */

enum {
	O_JSON = 256,
	O_PRINT_REQUEST,
	O_CATEGORY,
	O_WHERE,
	O_DESCRIPTION,
	O_SEVERITY,
	O_CALLED112,
	O_SHARE,
	O_TEST,
	O_EXERCISE,
	O_EXPIRES,
	O_POINT,
	O_RADIUS,
	O_UPDATE_OF,
	O_LOOKING,
	O_TEXT,
	O_REASON,
	O_ALL,
	O_LIMIT,
	O_SINCE,
	O_PREAPPROVED,
	O_HOURS,
	O_LABEL,
	O_CASCADE,
};

#define COMMON_OPTIONS                                                                  \
	{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},          \
		{"state", required_argument, NULL, 's'}, {"json", no_argument, NULL, O_JSON}, \
		{"print-request", no_argument, NULL, O_PRINT_REQUEST}, {NULL, 0, NULL, 0}
#define COMMON_SHORT ":hVs:"

void commands_help(FILE *f, const struct command *cmd)
{
	fprintf(f, "usage: samen %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
	fputs("\ncommon options:\n"
	      "  -s, --state DIR   samend's state directory (default: $SAMEN_STATE, else\n"
	      "                    /var/lib/samen as root, else $XDG_STATE_HOME/samen or\n"
	      "                    ~/.local/state/samen)\n"
	      "      --json        print samend's reply as JSON (one line per reply or event)\n"
	      "  -h, --help        this help\n"
	      "  -V, --version     samen's version\n",
	      f);
}

/* The bad option as the person typed it, for a message. */
static const char *bad_option(char **argv, char *buf, size_t cap)
{
	if (optopt && optopt < 256) {
		snprintf(buf, cap, "-%c", optopt);
		return buf;
	}
	args_quote(optind > 0 ? argv[optind - 1] : "?", buf, cap);
	return buf;
}

/* Handles what getopt_long returned for an option every command has. */
static int common_option(const struct command *cmd, int c, char **argv, struct globals *g)
{
	char opt[64];

	switch (c) {
	case 'h':
		commands_help(stdout, cmd);
		return EXIT_DONE;
	case 'V':
		printf("samen %s\n", SAMEN_VERSION);
		return EXIT_DONE;
	case 's':
		g->state = optarg;
		return 0;
	case O_JSON:
		g->json = true;
		return 0;
	case O_PRINT_REQUEST:
		g->print_request = true;
		return 0;
	case ':':
		return usage_error(cmd, "option '%s' needs a value", bad_option(argv, opt, sizeof(opt)));
	default:
		return usage_error(cmd, "unknown option '%s'", bad_option(argv, opt, sizeof(opt)));
	}
}

/* Takes an option value that may be given only once. */
static int once(const struct command *cmd, const char **slot, const char *name)
{
	if (*slot)
		return usage_error(cmd, "%s given twice", name);
	*slot = optarg;
	return 0;
}

/* Checks that exactly n positional arguments are left; what names the
 * missing one (n > 0) or hints at the cause of an extra one (n == 0). */
static int positional(const struct command *cmd, int argc, char **argv, int n, const char *what)
{
	char q[64];
	int have = argc - optind;
	if (have == n)
		return 0;
	if (have < n)
		return usage_error(cmd, "missing %s", what);
	args_quote(argv[optind + n], q, sizeof(q));
	return usage_error(cmd, "unexpected argument '%s'%s", q, n ? "" : what);
}

/* ---- value checks that print ---- */

static int check_text(const struct command *cmd, const char *opt, const char *s, size_t max,
		      bool nonempty)
{
	char err[ARGS_ERR_MAX];
	return args_text(opt, s, max, nonempty, err, sizeof(err)) < 0 ? invalid(cmd, err) : 0;
}

static int take_id(const struct command *cmd, const char *s, char id[ARGS_ID_LEN])
{
	char err[ARGS_ERR_MAX];
	return args_id("ID", s, id, err, sizeof(err)) < 0 ? invalid(cmd, err) : 0;
}

static int take_key(const struct command *cmd, const char *s, char key[KEYTEXT_LEN])
{
	char err[ARGS_ERR_MAX];
	return args_key("KEY", s, key, err, sizeof(err)) < 0 ? invalid(cmd, err) : 0;
}

/* ---- send ---- */

struct send_opts {
	const char *category, *where, *description, *severity, *expires, *point, *radius,
		*update_of;
	bool called112, share, test, exercise;
};

static int send_parse(const struct command *cmd, int argc, char **argv, struct globals *g,
		      struct send_opts *s)
{
	static const struct option opts[] = {
		{"category", required_argument, NULL, 'c'},
		{"where", required_argument, NULL, 'w'},
		{"description", required_argument, NULL, 'd'},
		{"severity", required_argument, NULL, O_SEVERITY},
		{"112-called", no_argument, NULL, O_CALLED112},
		{"called-112", no_argument, NULL, O_CALLED112},
		{"share", no_argument, NULL, O_SHARE},
		{"test", no_argument, NULL, O_TEST},
		{"exercise", no_argument, NULL, O_EXERCISE},
		{"expires", required_argument, NULL, O_EXPIRES},
		{"point", required_argument, NULL, O_POINT},
		{"radius", required_argument, NULL, O_RADIUS},
		{"update-of", required_argument, NULL, O_UPDATE_OF},
		COMMON_OPTIONS,
	};
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT "c:w:d:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': r = once(cmd, &s->category, "--category"); break;
		case 'w': r = once(cmd, &s->where, "--where"); break;
		case 'd': r = once(cmd, &s->description, "--description"); break;
		case O_SEVERITY: r = once(cmd, &s->severity, "--severity"); break;
		case O_EXPIRES: r = once(cmd, &s->expires, "--expires"); break;
		case O_POINT: r = once(cmd, &s->point, "--point"); break;
		case O_RADIUS: r = once(cmd, &s->radius, "--radius"); break;
		case O_UPDATE_OF: r = once(cmd, &s->update_of, "--update-of"); break;
		case O_CALLED112: s->called112 = true; break;
		case O_SHARE: s->share = true; break;
		case O_TEST: s->test = true; break;
		case O_EXERCISE: s->exercise = true; break;
		default: r = common_option(cmd, c, argv, g);
		}
	}
	return r ? r : positional(cmd, argc, argv, 0, " (text with spaces needs quotes)");
}

static int send_category(const struct command *cmd, const char *s)
{
	char names[256];
	list_names(names, sizeof(names), signal_category_name, CAT_SUSPICIOUS, CAT_OTHER);
	if (!s) {
		usage_error(cmd, "missing --category; one of: %s", names);
		return EXIT_USAGE;
	}
	if (signal_category_parse(s) < 0) {
		char q[64];
		args_quote(s, q, sizeof(q));
		fprintf(stderr, "samen %s: --category '%s' is not a category; use one of:\n  %s\n",
			cmd->name, q, names);
		return EXIT_INVALID;
	}
	return 0;
}

static int send_severity(const struct command *cmd, const char *s)
{
	char names[128], q[64];
	if (!s || signal_severity_parse(s) >= 0)
		return 0;
	list_names(names, sizeof(names), signal_severity_name, SEV_MINOR, SEV_EXTREME);
	args_quote(s, q, sizeof(q));
	fprintf(stderr, "samen %s: --severity '%s' is not a severity; use one of: %s\n", cmd->name,
		q, names);
	return EXIT_INVALID;
}

static int send_point(const struct command *cmd, const struct send_opts *s, struct req *rq)
{
	char err[ARGS_ERR_MAX];
	int32_t lat, lon;
	uint64_t radius;

	if (!s->point && !s->radius)
		return 0;
	if (!s->radius)
		return usage_error(cmd, "--point needs --radius METRES too (how far around the "
				   "point, 1 to %d)", RADIUS_MAX);
	if (!s->point)
		return usage_error(cmd, "--radius needs --point LAT,LON too (e.g. --point "
				   "52.0907,5.1214)");
	if (args_point("--point", s->point, &lat, &lon, err, sizeof(err)) < 0 ||
	    args_uint("--radius", s->radius, 1, RADIUS_MAX, &radius, err, sizeof(err)) < 0)
		return invalid(cmd, err);
	req_int(rq, "lat_e6", lat);
	req_int(rq, "lon_e6", lon);
	req_uint(rq, "radius_m", radius);
	return 0;
}

static int build_send(const struct command *cmd, int argc, char **argv, struct globals *g,
		      struct job *j)
{
	struct send_opts s = {0};
	char err[ARGS_ERR_MAX], ref[ARGS_ID_LEN];
	uint64_t expires = 0;
	int r;

	if ((r = send_parse(cmd, argc, argv, g, &s)) != 0)
		return r;
	if ((r = send_category(cmd, s.category)) != 0)
		return r;
	if (!s.where)
		return usage_error(cmd, "missing --where (a street and number, a crossing, a "
				   "landmark)");
	if (!s.description)
		return usage_error(cmd, "missing --description (what is happening: behaviour, "
				   "not appearance)");
	if (s.test && s.exercise)
		return usage_error(cmd, "--test and --exercise exclude each other");
	if ((r = send_severity(cmd, s.severity)) != 0 ||
	    (r = check_text(cmd, "--where", s.where, WHERE_MAX, true)) != 0 ||
	    (r = check_text(cmd, "--description", s.description, TEXT_MAX, true)) != 0)
		return r;
	if (s.expires && args_duration("--expires", s.expires, EXPIRES_MAX, &expires, err,
				       sizeof(err)) < 0)
		return invalid(cmd, err);
	if (s.update_of && (r = take_id(cmd, s.update_of, ref)) != 0)
		return r;

	req_str(&j->req, "category", s.category);
	if (s.severity)
		req_str(&j->req, "severity", s.severity);
	req_str(&j->req, "description", s.description);
	req_str(&j->req, "where", s.where);
	if ((r = send_point(cmd, &s, &j->req)) != 0)
		return r;
	if (s.called112)
		req_bool(&j->req, "called112", true);
	if (s.share)
		req_bool(&j->req, "share", true);
	if (s.test || s.exercise)
		req_str(&j->req, "status", s.test ? "test" : "exercise");
	if (s.expires)
		req_uint(&j->req, "expires_in", expires);
	j->render = render_sent_alert;
	if (s.update_of) {
		const char *refs[1] = {ref};
		req_str(&j->req, "kind", "update");
		req_strs(&j->req, "refs", refs, 1);
		j->render = render_sent_update;
	}
	return 0;
}

/* ---- ack, resolve, retract ---- */

static int build_ack(const struct command *cmd, int argc, char **argv, struct globals *g,
		     struct job *j)
{
	static const struct option opts[] = {
		{"called-112", no_argument, NULL, O_CALLED112},
		{"112-called", no_argument, NULL, O_CALLED112},
		{"looking", no_argument, NULL, O_LOOKING},
		{"text", required_argument, NULL, O_TEXT},
		{"share", no_argument, NULL, O_SHARE},
		COMMON_OPTIONS,
	};
	const char *text = NULL;
	bool called = false, looking = false, share = false;
	char id[ARGS_ID_LEN];
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case O_CALLED112: called = true; break;
		case O_LOOKING: looking = true; break;
		case O_SHARE: share = true; break;
		case O_TEXT: r = once(cmd, &text, "--text"); break;
		default: r = common_option(cmd, c, argv, g);
		}
	}
	if (r || (r = positional(cmd, argc, argv, 1, "the ID of the signal to acknowledge")))
		return r;
	if (called && looking)
		return usage_error(cmd, "--called-112 and --looking exclude each other (send two "
				   "acks)");
	if (!called && !looking && !text)
		return usage_error(cmd, "say what you did: --called-112, --looking or --text TEXT");
	if ((r = take_id(cmd, argv[optind], id)) != 0 ||
	    (text && (r = check_text(cmd, "--text", text, TEXT_MAX, true)) != 0))
		return r;
	req_str(&j->req, "ref", id);
	req_str(&j->req, "ack", called ? "112-called" : looking ? "looking" : "text");
	if (text)
		req_str(&j->req, "text", text);
	if (share)
		req_bool(&j->req, "share", true);
	j->render = render_sent_ack;
	return 0;
}

static int build_resolve(const struct command *cmd, int argc, char **argv, struct globals *g,
			 struct job *j)
{
	static const struct option opts[] = {
		{"text", required_argument, NULL, O_TEXT},
		{"share", no_argument, NULL, O_SHARE},
		COMMON_OPTIONS,
	};
	const char *text = NULL;
	bool share = false;
	char id[ARGS_ID_LEN];
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case O_SHARE: share = true; break;
		case O_TEXT: r = once(cmd, &text, "--text"); break;
		default: r = common_option(cmd, c, argv, g);
		}
	}
	if (r || (r = positional(cmd, argc, argv, 1, "the ID of the signal that is resolved")) ||
	    (r = take_id(cmd, argv[optind], id)) ||
	    (text && (r = check_text(cmd, "--text", text, TEXT_MAX, false))))
		return r;
	req_str(&j->req, "ref", id);
	if (text)
		req_str(&j->req, "text", text);
	if (share)
		req_bool(&j->req, "share", true);
	j->render = render_sent_allclear;
	return 0;
}

static int build_retract(const struct command *cmd, int argc, char **argv, struct globals *g,
			 struct job *j)
{
	static const struct option opts[] = {
		{"reason", required_argument, NULL, O_REASON},
		COMMON_OPTIONS,
	};
	const char *reason = NULL;
	char id[ARGS_ID_LEN];
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
		if (c == O_REASON)
			r = once(cmd, &reason, "--reason");
		else
			r = common_option(cmd, c, argv, g);
	}
	if (r || (r = positional(cmd, argc, argv, 1, "the ID of the signal to retract")))
		return r;
	if (!reason)
		return usage_error(cmd, "missing --reason (why the signal is withdrawn, for the "
				   "neighbours who saw it)");
	if ((r = take_id(cmd, argv[optind], id)) ||
	    (r = check_text(cmd, "--reason", reason, REASON_MAX, true)))
		return r;
	req_str(&j->req, "ref", id);
	req_str(&j->req, "reason", reason);
	j->render = render_retract;
	return 0;
}

/* ---- list, show, watch ---- */

static int build_list(const struct command *cmd, int argc, char **argv, struct globals *g,
		      struct job *j)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, O_ALL},
		{"limit", required_argument, NULL, O_LIMIT},
		COMMON_OPTIONS,
	};
	const char *limit = NULL;
	char err[ARGS_ERR_MAX];
	uint64_t n = 0;
	bool all = false;
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT "an:", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
		case O_ALL: all = true; break;
		case 'n':
		case O_LIMIT: r = once(cmd, &limit, "--limit"); break;
		default: r = common_option(cmd, c, argv, g);
		}
	}
	if (r || (r = positional(cmd, argc, argv, 0, "")))
		return r;
	if (limit && args_uint("--limit", limit, 1, LIMIT_MAX, &n, err, sizeof(err)) < 0)
		return invalid(cmd, err);
	if (limit)
		req_uint(&j->req, "limit", n);
	if (all)
		req_bool(&j->req, "all", true);
	j->render = render_list;
	return 0;
}

static int build_show(const struct command *cmd, int argc, char **argv, struct globals *g,
		      struct job *j)
{
	static const struct option opts[] = {COMMON_OPTIONS};
	char id[ARGS_ID_LEN];
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1)
		r = common_option(cmd, c, argv, g);
	if (r || (r = positional(cmd, argc, argv, 1, "the ID of the signal to show")) ||
	    (r = take_id(cmd, argv[optind], id)))
		return r;
	req_str(&j->req, "id", id);
	j->render = render_show;
	return 0;
}

static int build_watch(const struct command *cmd, int argc, char **argv, struct globals *g,
		       struct job *j)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, O_SINCE},
		COMMON_OPTIONS,
	};
	const char *since = NULL;
	char err[ARGS_ERR_MAX];
	uint64_t ago = 0;
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
		if (c == O_SINCE)
			r = once(cmd, &since, "--since");
		else
			r = common_option(cmd, c, argv, g);
	}
	if (r || (r = positional(cmd, argc, argv, 0, "")))
		return r;
	if (since) {
		time_t now = time(NULL);
		if (args_duration("--since", since, SINCE_MAX, &ago, err, sizeof(err)) < 0)
			return invalid(cmd, err);
		req_uint(&j->req, "since", (uint64_t)now > ago ? (uint64_t)now - ago : 0);
	}
	j->stream = true;
	return 0;
}

/* ---- commands without arguments ---- */

static int build_plain(const struct command *cmd, int argc, char **argv, struct globals *g,
		       struct job *j, render_fn *render)
{
	static const struct option opts[] = {COMMON_OPTIONS};
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1)
		r = common_option(cmd, c, argv, g);
	if (r || (r = positional(cmd, argc, argv, 0, "")))
		return r;
	j->render = render;
	return 0;
}

static int build_peers(const struct command *cmd, int argc, char **argv, struct globals *g,
		       struct job *j)
{
	return build_plain(cmd, argc, argv, g, j, render_peers);
}

static int build_members(const struct command *cmd, int argc, char **argv, struct globals *g,
			 struct job *j)
{
	return build_plain(cmd, argc, argv, g, j, render_members);
}

static int build_status(const struct command *cmd, int argc, char **argv, struct globals *g,
			struct job *j)
{
	return build_plain(cmd, argc, argv, g, j, render_status);
}

static int build_pending(const struct command *cmd, int argc, char **argv, struct globals *g,
			 struct job *j)
{
	return build_plain(cmd, argc, argv, g, j, render_pending);
}

/* ---- membership ---- */

static int build_invite(const struct command *cmd, int argc, char **argv, struct globals *g,
			struct job *j)
{
	static const struct option opts[] = {
		{"preapproved", no_argument, NULL, O_PREAPPROVED},
		{"hours", required_argument, NULL, O_HOURS},
		{"label", required_argument, NULL, O_LABEL},
		COMMON_OPTIONS,
	};
	const char *hours = NULL, *label = NULL;
	char err[ARGS_ERR_MAX];
	uint64_t h = 0;
	bool pre = false;
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case O_PREAPPROVED: pre = true; break;
		case O_HOURS: r = once(cmd, &hours, "--hours"); break;
		case O_LABEL: r = once(cmd, &label, "--label"); break;
		default: r = common_option(cmd, c, argv, g);
		}
	}
	if (r || (r = positional(cmd, argc, argv, 0, " (text with spaces needs quotes)")))
		return r;
	if (hours && args_uint("--hours", hours, 1, HOURS_MAX, &h, err, sizeof(err)) < 0)
		return invalid(cmd, err);
	if (label && (r = check_text(cmd, "--label", label, LABEL_MAX, true)))
		return r;
	if (pre)
		req_bool(&j->req, "preapproved", true);
	if (hours)
		req_uint(&j->req, "hours", h);
	if (label)
		req_str(&j->req, "label", label);
	j->render = render_invite;
	return 0;
}

static int build_join(const struct command *cmd, int argc, char **argv, struct globals *g,
		      struct job *j)
{
	static const struct option opts[] = {
		{"label", required_argument, NULL, O_LABEL},
		COMMON_OPTIONS,
	};
	const char *label = NULL;
	char code[CODE_MAX + 1];
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
		if (c == O_LABEL)
			r = once(cmd, &label, "--label");
		else
			r = common_option(cmd, c, argv, g);
	}
	if (r || (r = positional(cmd, argc, argv, 1, "the invite CODE from a coordinator")))
		return r;
	/* a code pasted from a message often carries white space around it */
	const char *s = argv[optind] + strspn(argv[optind], " \t\r\n");
	size_t n = strlen(s);
	while (n && strchr(" \t\r\n", s[n - 1]))
		n--;
	if (n == 0 || n > CODE_MAX)
		return invalid(cmd, n ? "the invite code is too long; copy exactly what the "
					"coordinator gave you"
				      : "the invite code is empty");
	memcpy(code, s, n);
	code[n] = '\0';
	if ((r = check_text(cmd, "the invite code", code, CODE_MAX, true)) ||
	    (label && (r = check_text(cmd, "--label", label, LABEL_MAX, true))))
		return r;
	req_str(&j->req, "code", code);
	if (label)
		req_str(&j->req, "label", label);
	j->render = render_join;
	return 0;
}

static int build_approve(const struct command *cmd, int argc, char **argv, struct globals *g,
			 struct job *j)
{
	static const struct option opts[] = {COMMON_OPTIONS};
	char key[KEYTEXT_LEN];
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1)
		r = common_option(cmd, c, argv, g);
	if (r || (r = positional(cmd, argc, argv, 1, "the KEY to approve (see 'samen pending')")) ||
	    (r = take_key(cmd, argv[optind], key)))
		return r;
	req_str(&j->req, "key", key);
	j->render = render_approve;
	return 0;
}

static int build_revoke(const struct command *cmd, int argc, char **argv, struct globals *g,
			struct job *j)
{
	static const struct option opts[] = {
		{"cascade", no_argument, NULL, O_CASCADE},
		{"reason", required_argument, NULL, O_REASON},
		COMMON_OPTIONS,
	};
	const char *reason = NULL;
	char key[KEYTEXT_LEN];
	bool cascade = false;
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, COMMON_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case O_CASCADE: cascade = true; break;
		case O_REASON: r = once(cmd, &reason, "--reason"); break;
		default: r = common_option(cmd, c, argv, g);
		}
	}
	if (r || (r = positional(cmd, argc, argv, 1, "the KEY to revoke (see 'samen members')")) ||
	    (r = take_key(cmd, argv[optind], key)) ||
	    (reason && (r = check_text(cmd, "--reason", reason, REASON_MAX, false))))
		return r;
	req_str(&j->req, "key", key);
	if (cascade)
		req_bool(&j->req, "cascade", true);
	if (reason)
		req_str(&j->req, "reason", reason);
	j->render = render_revoke;
	return 0;
}

/* ---- the table ---- */

static const struct command commands[] = {
	{"send", build_send, TIMEOUT_MS, "Send an alert (or, with --update-of, an update) to the "
	 "neighbourhood.",
	 "--category CAT --where PLACE --description TEXT [options]\n\n"
	 "  -c, --category CAT     suspicious, burglary, break-in-attempt, fire, medical,\n"
	 "                         missing-person, nuisance or other\n"
	 "  -w, --where PLACE      where (street and number, crossing, landmark)\n"
	 "  -d, --description TEXT what is happening: behaviour, not appearance\n"
	 "      --severity SEV     minor, moderate (default), severe or extreme\n"
	 "      --112-called       you have called 112 (also --called-112)\n"
	 "      --share            share with the authorities of the neighbourhood\n"
	 "      --test             a test signal; --exercise: part of a drill\n"
	 "      --expires DUR      how long it stays current: 30m, 4h (default), 2d\n"
	 "      --point LAT,LON    a coarse point in decimal degrees, e.g. 52.0907,5.1214\n"
	 "      --radius METRES    how far around the point (needed with --point)\n"
	 "      --update-of ID     an update to an earlier alert"},
	{"ack", build_ack, TIMEOUT_MS, "Acknowledge a signal: you called 112, you are looking, or a "
	 "short message.",
	 "ID (--called-112 | --looking | --text TEXT) [--share]\n\n"
	 "  --called-112     you called 112 (also --112-called)\n"
	 "  --looking        you are looking / on your way\n"
	 "  --text TEXT      a short message (also with one of the above)\n"
	 "  --share          share with the authorities"},
	{"resolve", build_resolve, TIMEOUT_MS, "Send an all-clear for a signal.",
	 "ID [--text TEXT] [--share]"},
	{"retract", build_retract, TIMEOUT_MS, "Withdraw a signal (its author, or a coordinator).",
	 "ID --reason TEXT"},
	{"list", build_list, TIMEOUT_MS, "List current signals, newest first.",
	 "[--all] [--limit N]\n\n"
	 "  -a, --all        include expired and retracted signals\n"
	 "  -n, --limit N    at most N signals (default 50, at most 1000)"},
	{"show", build_show, TIMEOUT_MS, "Show one signal and its thread.", "ID"},
	{"watch", build_watch, TIMEOUT_MS, "Print signals and announcements as they arrive.",
	 "[--since DUR] [--json]\n\n"
	 "  --since DUR      first replay what arrived in the last DUR (e.g. 1h)"},
	{"peers", build_peers, TIMEOUT_MS, "Show the links to other daemons.", ""},
	{"members", build_members, TIMEOUT_MS, "Show the members of the neighbourhood.", ""},
	{"status", build_status, TIMEOUT_MS, "Show this household's key, role and daemon state.",
	 ""},
	{"invite", build_invite, TIMEOUT_MS, "Make a one-time invite code (coordinators).",
	 "[--preapproved] [--hours N] [--label LABEL]\n\n"
	 "  --preapproved    the household becomes a member without approval\n"
	 "  --hours N        how long the code is valid (default 72)\n"
	 "  --label LABEL    a label for the new household"},
	{"join", build_join, JOIN_TIMEOUT_MS, "Join a neighbourhood with an invite code.",
	 "CODE [--label LABEL]\n\n"
	 "  --label LABEL    how neighbours see this household: a street or a pseudonym,\n"
	 "                   never required to be a name or phone number"},
	{"pending", build_pending, TIMEOUT_MS, "Show households waiting for approval.", ""},
	{"approve", build_approve, TIMEOUT_MS, "Approve a waiting household (coordinators).",
	 "KEY"},
	{"revoke", build_revoke, TIMEOUT_MS, "Revoke a household's key (coordinators).",
	 "KEY [--cascade] [--reason TEXT]\n\n"
	 "  --cascade        also revoke what this key certified\n"
	 "  --reason TEXT    why, for the record"},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct command *commands_find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void commands_usage(FILE *f)
{
	fputs("usage: samen [--state DIR] [--json] COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'samen COMMAND --help' shows a command's options.\n"
	      "exit codes: 0 ok, 2 usage, 3 invalid, 4 samend unreachable, 5 not a member,\n"
	      "6 forbidden, 7 not found, 8 rate-limited, 9 store full, 10 internal\n",
	      f);
}

int commands_build(const struct command *cmd, int argc, char **argv, struct globals *g,
		   struct job *j)
{
	optind = 0; /* glibc: start over, on the command's own argv */
	opterr = 0;
	return cmd->build(cmd, argc, argv, g, j);
}

int commands_globals(int argc, char **argv, struct globals *g)
{
	static const struct option opts[] = {COMMON_OPTIONS};
	char q[64];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+" COMMON_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			commands_usage(stdout);
			return EXIT_DONE;
		case 'V':
			printf("samen %s\n", SAMEN_VERSION);
			return EXIT_DONE;
		case 's': g->state = optarg; break;
		case O_JSON: g->json = true; break;
		case O_PRINT_REQUEST: g->print_request = true; break;
		case ':':
			fprintf(stderr, "samen: option '%s' needs a value\n",
				bad_option(argv, q, sizeof(q)));
			return EXIT_USAGE;
		default:
			fprintf(stderr, "samen: unknown option '%s'; see 'samen --help'\n",
				bad_option(argv, q, sizeof(q)));
			return EXIT_USAGE;
		}
	}
	return 0;
}
