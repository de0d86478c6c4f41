/* SPDX-License-Identifier: EUPL-1.2 */
/* The parsers of the commands about signals: send, ack, resolve, retract,
 * list, show, watch. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "../proto/record.h"
#include "../proto/signal.h"

#define EXPIRES_MAX (30 * 86400) /* seconds */
#define SINCE_MAX (30 * 86400)
#define LIMIT_MAX 1000

struct send_opts {
	const char *category, *where, *description, *severity, *expires, *point, *radius,
		*update_of;
	bool called112, share, test, exercise;
};

const struct option cmd_send_options[] = {
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

static int send_parse(const struct command *cmd, int argc, char **argv, struct globals *g,
		      struct send_opts *s)
{
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT "c:w:d:", cmd_send_options)) != -1) {
		switch (c) {
		case 'c': r = cli_once(cmd, &s->category, "--category"); break;
		case 'w': r = cli_once(cmd, &s->where, "--where"); break;
		case 'd': r = cli_once(cmd, &s->description, "--description"); break;
		case O_SEVERITY: r = cli_once(cmd, &s->severity, "--severity"); break;
		case O_EXPIRES: r = cli_once(cmd, &s->expires, "--expires"); break;
		case O_POINT: r = cli_once(cmd, &s->point, "--point"); break;
		case O_RADIUS: r = cli_once(cmd, &s->radius, "--radius"); break;
		case O_UPDATE_OF: r = cli_once(cmd, &s->update_of, "--update-of"); break;
		case O_CALLED112: s->called112 = true; break;
		case O_SHARE: s->share = true; break;
		case O_TEST: s->test = true; break;
		case O_EXERCISE: s->exercise = true; break;
		default: r = cli_common_option(cmd, c, argv, g);
		}
	}
	return r ? r : cli_positional(cmd, argc, argv, 0, " (text with spaces needs quotes)");
}

static int send_category(const struct command *cmd, const char *s)
{
	char names[256];
	cli_list_names(names, sizeof(names), signal_category_name, CAT_SUSPICIOUS, CAT_OTHER);
	if (!s) {
		cli_usage_error(cmd, "missing --category; one of: %s", names);
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
	cli_list_names(names, sizeof(names), signal_severity_name, SEV_MINOR, SEV_EXTREME);
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
		return cli_usage_error(cmd, "--point needs --radius METRES too (how far around the "
				       "point, 1 to %d)", RADIUS_MAX);
	if (!s->point)
		return cli_usage_error(cmd, "--radius needs --point LAT,LON too (e.g. --point "
				       "52.0907,5.1214)");
	if (args_point("--point", s->point, &lat, &lon, err, sizeof(err)) < 0 ||
	    args_uint("--radius", s->radius, 1, RADIUS_MAX, &radius, err, sizeof(err)) < 0)
		return cli_invalid(cmd, err);
	req_int(rq, "lat_e6", lat);
	req_int(rq, "lon_e6", lon);
	req_uint(rq, "radius_m", radius);
	return 0;
}

CMD_BUILD(send)
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
		return cli_usage_error(cmd, "missing --where (a street and number, a crossing, a "
				       "landmark)");
	if (!s.description)
		return cli_usage_error(cmd, "missing --description (what is happening: behaviour, "
				       "not appearance)");
	if (s.test && s.exercise)
		return cli_usage_error(cmd, "--test and --exercise exclude each other");
	if ((r = send_severity(cmd, s.severity)) != 0 ||
	    (r = cli_check_text(cmd, "--where", s.where, WHERE_MAX, true)) != 0 ||
	    (r = cli_check_text(cmd, "--description", s.description, TEXT_MAX, true)) != 0)
		return r;
	if (s.expires && args_duration("--expires", s.expires, EXPIRES_MAX, &expires, err,
				       sizeof(err)) < 0)
		return cli_invalid(cmd, err);
	if (s.update_of && (r = cli_take_id(cmd, s.update_of, ref)) != 0)
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

const struct option cmd_ack_options[] = {
	{"called-112", no_argument, NULL, O_CALLED112},
	{"112-called", no_argument, NULL, O_CALLED112},
	{"looking", no_argument, NULL, O_LOOKING},
	{"text", required_argument, NULL, O_TEXT},
	{"share", no_argument, NULL, O_SHARE},
	COMMON_OPTIONS,
};

CMD_BUILD(ack)
{
	const char *text = NULL;
	bool called = false, looking = false, share = false;
	char id[ARGS_ID_LEN];
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cmd_ack_options)) != -1) {
		switch (c) {
		case O_CALLED112: called = true; break;
		case O_LOOKING: looking = true; break;
		case O_SHARE: share = true; break;
		case O_TEXT: r = cli_once(cmd, &text, "--text"); break;
		default: r = cli_common_option(cmd, c, argv, g);
		}
	}
	if (r || (r = cli_positional(cmd, argc, argv, 1, "the ID of the signal to acknowledge")))
		return r;
	if (called && looking)
		return cli_usage_error(cmd, "--called-112 and --looking exclude each other (send two "
				       "acks)");
	if (!called && !looking && !text)
		return cli_usage_error(cmd, "say what you did: --called-112, --looking or --text TEXT");
	if ((r = cli_take_id(cmd, argv[optind], id)) != 0 ||
	    (text && (r = cli_check_text(cmd, "--text", text, TEXT_MAX, true)) != 0))
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

const struct option cmd_resolve_options[] = {
	{"text", required_argument, NULL, O_TEXT},
	{"share", no_argument, NULL, O_SHARE},
	COMMON_OPTIONS,
};

CMD_BUILD(resolve)
{
	const char *text = NULL;
	bool share = false;
	char id[ARGS_ID_LEN];
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cmd_resolve_options)) != -1) {
		switch (c) {
		case O_SHARE: share = true; break;
		case O_TEXT: r = cli_once(cmd, &text, "--text"); break;
		default: r = cli_common_option(cmd, c, argv, g);
		}
	}
	if (r || (r = cli_positional(cmd, argc, argv, 1, "the ID of the signal that is resolved")) ||
	    (r = cli_take_id(cmd, argv[optind], id)) ||
	    (text && (r = cli_check_text(cmd, "--text", text, TEXT_MAX, false))))
		return r;
	req_str(&j->req, "ref", id);
	if (text)
		req_str(&j->req, "text", text);
	if (share)
		req_bool(&j->req, "share", true);
	j->render = render_sent_allclear;
	return 0;
}

const struct option cmd_retract_options[] = {
	{"reason", required_argument, NULL, O_REASON},
	COMMON_OPTIONS,
};

CMD_BUILD(retract)
{
	const char *reason = NULL;
	char id[ARGS_ID_LEN];
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cmd_retract_options)) != -1) {
		if (c == O_REASON)
			r = cli_once(cmd, &reason, "--reason");
		else
			r = cli_common_option(cmd, c, argv, g);
	}
	if (r || (r = cli_positional(cmd, argc, argv, 1, "the ID of the signal to retract")))
		return r;
	if (!reason)
		return cli_usage_error(cmd, "missing --reason (why the signal is withdrawn, for the "
				       "neighbours who saw it)");
	if ((r = cli_take_id(cmd, argv[optind], id)) ||
	    (r = cli_check_text(cmd, "--reason", reason, REASON_MAX, true)))
		return r;
	req_str(&j->req, "ref", id);
	req_str(&j->req, "reason", reason);
	j->render = render_retract;
	return 0;
}

/* ---- list, show, watch ---- */

const struct option cmd_list_options[] = {
	{"all", no_argument, NULL, O_ALL},
	{"limit", required_argument, NULL, O_LIMIT},
	COMMON_OPTIONS,
};

CMD_BUILD(list)
{
	const char *limit = NULL;
	char err[ARGS_ERR_MAX];
	uint64_t n = 0;
	bool all = false;
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT "an:", cmd_list_options)) != -1) {
		switch (c) {
		case 'a':
		case O_ALL: all = true; break;
		case 'n':
		case O_LIMIT: r = cli_once(cmd, &limit, "--limit"); break;
		default: r = cli_common_option(cmd, c, argv, g);
		}
	}
	if (r || (r = cli_positional(cmd, argc, argv, 0, "")))
		return r;
	if (limit && args_uint("--limit", limit, 1, LIMIT_MAX, &n, err, sizeof(err)) < 0)
		return cli_invalid(cmd, err);
	if (limit)
		req_uint(&j->req, "limit", n);
	if (all)
		req_bool(&j->req, "all", true);
	j->render = render_list;
	return 0;
}

CMD_BUILD(show)
{
	char id[ARGS_ID_LEN];
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cli_plain_options)) != -1)
		r = cli_common_option(cmd, c, argv, g);
	if (r || (r = cli_positional(cmd, argc, argv, 1, "the ID of the signal to show")) ||
	    (r = cli_take_id(cmd, argv[optind], id)))
		return r;
	req_str(&j->req, "id", id);
	j->render = render_show;
	return 0;
}

CMD_BUILD(seen)
{
	char id[ARGS_ID_LEN];
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cli_plain_options)) != -1)
		r = cli_common_option(cmd, c, argv, g);
	if (r || (r = cli_positional(cmd, argc, argv, 1, "the ID of the alert you have seen")) ||
	    (r = cli_take_id(cmd, argv[optind], id)))
		return r;
	req_str(&j->req, "id", id);
	j->render = render_seen;
	return 0;
}

const struct option cmd_watch_options[] = {
	{"since", required_argument, NULL, O_SINCE},
	COMMON_OPTIONS,
};

CMD_BUILD(watch)
{
	const char *since = NULL;
	char err[ARGS_ERR_MAX];
	uint64_t ago = 0;
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cmd_watch_options)) != -1) {
		if (c == O_SINCE)
			r = cli_once(cmd, &since, "--since");
		else
			r = cli_common_option(cmd, c, argv, g);
	}
	if (r || (r = cli_positional(cmd, argc, argv, 0, "")))
		return r;
	if (since) {
		time_t now = time(NULL);
		if (args_duration("--since", since, SINCE_MAX, &ago, err, sizeof(err)) < 0)
			return cli_invalid(cmd, err);
		req_uint(&j->req, "since", (uint64_t)now > ago ? (uint64_t)now - ago : 0);
	}
	j->stream = true;
	return 0;
}
