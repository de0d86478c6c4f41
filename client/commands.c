/* SPDX-License-Identifier: EUPL-1.2 */
#include "commands.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "subscribe.h"
#include "web.h"

#ifndef SAMEN_VERSION
#define SAMEN_VERSION "unknown"
#endif

/* ---- messages ---- */

int cli_usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "samen %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'samen %s --help'\n", cmd->name);
	return EXIT_USAGE;
}

int cli_invalid(const struct command *cmd, const char *msg)
{
	fprintf(stderr, "samen %s: %s\n", cmd->name, msg);
	return EXIT_INVALID;
}

void cli_list_names(char *out, size_t cap, const char *(*name)(unsigned), unsigned from,
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

void commands_help(FILE *f, const struct command *cmd)
{
	/* usage is the synopsis, then (after a blank line) the options */
	const char *opts = strstr(cmd->usage, "\n\n");
	int syn = opts ? (int)(opts - cmd->usage) : (int)strlen(cmd->usage);

	fprintf(f, "usage: samen %s%s%.*s\n\n%s\n", cmd->name, syn ? " " : "", syn, cmd->usage,
		cmd->summary);
	if (opts)
		fprintf(f, "%s\n", opts + 1);
	fputs("\ncommon options:\n"
	      "  -s, --state DIR   samend's state directory (default: $SAMEN_STATE, else\n"
	      "                    /var/lib/samen as root, else $XDG_STATE_HOME/samen or\n"
	      "                    ~/.local/state/samen)\n"
	      "      --json        print samend's reply as JSON (one line per reply or event)\n"
	      "  -h, --help        this help\n"
	      "  -V, --version     samen's version\n",
	      f);
}

/* The bad option as the person typed it, for a message: "--stat" or
 * "--state" (without what follows an '='), or "-x". */
static const char *bad_option(char **argv, char *buf, size_t cap)
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	char q[64];

	if (arg && arg[0] == '-' && arg[1] == '-' && arg[2]) {
		args_quote(arg, q, sizeof(q));
		q[strcspn(q, "=")] = '\0';
		snprintf(buf, cap, "%s", q);
	} else if (optopt > 0 && optopt < 256) {
		snprintf(buf, cap, "-%c", optopt);
	} else {
		args_quote(arg ? arg : "?", buf, cap);
	}
	return buf;
}

static const struct option *current_opts;

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *opts)
{
	current_opts = opts;
	return getopt_long(argc, argv, shortopts, opts, NULL);
}

/* ", did you mean --state?" for a mistyped long option, or "". */
static const char *nearest_option(const char *typed, const struct option *opts, char *buf,
				  size_t cap)
{
	const char *names[64];
	size_t n = 0;

	buf[0] = '\0';
	if (!opts || strncmp(typed, "--", 2) != 0)
		return buf;
	for (; opts[n].name && n < sizeof(names) / sizeof(names[0]); n++)
		names[n] = opts[n].name;
	int i = args_nearest(typed + 2, names, n);
	if (i >= 0)
		snprintf(buf, cap, "; did you mean --%s?", names[i]);
	return buf;
}

/* Handles what getopt_long returned for an option every command has. */
int cli_common_option(const struct command *cmd, int c, char **argv, struct globals *g)
{
	char opt[64], hint[64];

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
		return cli_usage_error(cmd, "option '%s' needs a value", bad_option(argv, opt, sizeof(opt)));
	default:
		bad_option(argv, opt, sizeof(opt));
		return cli_usage_error(cmd, "unknown option '%s'%s", opt,
				       nearest_option(opt, current_opts, hint, sizeof(hint)));
	}
}

/* Takes an option value that may be given only once. */
int cli_once(const struct command *cmd, const char **slot, const char *name)
{
	if (*slot)
		return cli_usage_error(cmd, "%s given twice", name);
	*slot = optarg;
	return 0;
}

int cli_positional(const struct command *cmd, int argc, char **argv, int n, const char *what)
{
	char q[64];
	int have = argc - optind;
	if (have == n)
		return 0;
	if (have < n)
		return cli_usage_error(cmd, "missing %s", what);
	args_quote(argv[optind + n], q, sizeof(q));
	return cli_usage_error(cmd, "unexpected argument '%s'%s", q, n ? "" : what);
}

/* ---- value checks that print ---- */

int cli_check_text(const struct command *cmd, const char *opt, const char *s, size_t max,
		   bool nonempty)
{
	char err[ARGS_ERR_MAX];
	return args_text(opt, s, max, nonempty, err, sizeof(err)) < 0 ? cli_invalid(cmd, err) : 0;
}

int cli_take_id(const struct command *cmd, const char *s, char id[ARGS_ID_LEN])
{
	char err[ARGS_ERR_MAX];
	return args_id("ID", s, id, err, sizeof(err)) < 0 ? cli_invalid(cmd, err) : 0;
}

int cli_take_key(const struct command *cmd, const char *s, char key[KEYTEXT_LEN])
{
	char err[ARGS_ERR_MAX];
	return args_key("KEY", s, key, err, sizeof(err)) < 0 ? cli_invalid(cmd, err) : 0;
}

/* ---- the table ---- */

/* A command answered by the local samend's control socket. */
#define LOCAL(op, timeout, opts, sum, use)                                             \
	{.name = #op, .build = cmd_##op, .timeout_ms = (timeout), .options = (opts),       \
	 .summary = (sum), .usage = (use)}
/* A command that runs on its own (the authority side, subscribe.h). */
#define OWN(op, fn, opts, sum, use) \
	{.name = #op, .run = (fn), .options = (opts), .summary = (sum), .usage = (use)}

static const struct command commands[] = {
	LOCAL(send, TIMEOUT_MS, cmd_send_options, "Send an alert (or, with --update-of, an update) to the "
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
	      "      --update-of ID     an update to an earlier alert"),
	LOCAL(ack, TIMEOUT_MS, cmd_ack_options, "Acknowledge a signal: you called 112, you are looking, or a "
	      "short message.",
	      "ID (--called-112 | --looking | --text TEXT) [--share]\n\n"
	      "  --called-112     you called 112 (also --112-called)\n"
	      "  --looking        you are looking / on your way\n"
	      "  --text TEXT      a short message (also with one of the above)\n"
	      "  --share          share with the authorities"),
	LOCAL(resolve, TIMEOUT_MS, cmd_resolve_options, "Send an all-clear for a signal.", "ID [--text TEXT] [--share]"),
	LOCAL(retract, TIMEOUT_MS, cmd_retract_options, "Withdraw a signal (its author, or a coordinator).",
	      "ID --reason TEXT"),
	LOCAL(list, TIMEOUT_MS, cmd_list_options, "List current signals, newest first.",
	      "[--all] [--limit N]\n\n"
	      "  -a, --all        include expired and retracted signals\n"
	      "  -n, --limit N    at most N signals (default 50, at most 1000)"),
	LOCAL(show, TIMEOUT_MS, cli_plain_options, "Show one signal and its thread.", "ID"),
	LOCAL(watch, TIMEOUT_MS, cmd_watch_options, "Print signals and announcements as they arrive.",
	      "[--since DUR] [--json]\n\n"
	      "  --since DUR      first replay what arrived in the last DUR (e.g. 1h)"),
	LOCAL(seen, TIMEOUT_MS, cli_plain_options, "Say you have seen an alert: its repeats stop "
	      "here.", "ID"),
	LOCAL(notify, TIMEOUT_MS, cli_plain_options, "Show or change how loud each kind of alert "
	      "is here, and quiet hours.",
	      "[show] | set KEY VALUE\n\n"
	      "  KEY CATEGORY.COLUMN: CATEGORY as for send, or * for every one; COLUMN alert,\n"
	      "      112, ack, all-clear or drill; authority.lookout, .found, .enroute, .info\n"
	      "  VALUE silent, normal, loud or alarm (a drill: silent or normal)\n"
	      "  KEY quiet: VALUE HH:MM-HH:MM (only alarm sounds then) or off\n"
	      "  KEY timezone: VALUE a zone like Europe/Amsterdam, or system"),
	LOCAL(peers, TIMEOUT_MS, cli_plain_options, "Show the links to other daemons.", ""),
	LOCAL(members, TIMEOUT_MS, cli_plain_options, "Show the members of the neighbourhood.", ""),
	LOCAL(status, TIMEOUT_MS, cli_plain_options, "Show this household's key, role and daemon state.", ""),
	LOCAL(invite, TIMEOUT_MS, cmd_invite_options, "Make a one-time invite code (coordinators).",
	      "[--preapproved] [--hours N] [--label LABEL]\n\n"
	      "  --preapproved    the household becomes a member without approval\n"
	      "  --hours N        how long the code is valid (default 72, at most 720)\n"
	      "  --label LABEL    a label for the new household"),
	LOCAL(join, JOIN_TIMEOUT_MS, cmd_join_options, "Join a neighbourhood with an invite code.",
	      "CODE [--label LABEL]\n\n"
	      "  --label LABEL    how neighbours see this household: a street or a pseudonym,\n"
	      "                   never required to be a name or phone number"),
	LOCAL(pending, TIMEOUT_MS, cli_plain_options, "Show households waiting for approval.", ""),
	LOCAL(approve, TIMEOUT_MS, cli_plain_options, "Approve a waiting household (coordinators).", "KEY"),
	LOCAL(revoke, TIMEOUT_MS, cmd_revoke_options, "Revoke a household's key (coordinators).",
	      "KEY [--cascade] [--reason TEXT]\n\n"
	      "  --cascade        also revoke what this key certified\n"
	      "  --reason TEXT    why, for the record"),
	LOCAL(certify, TIMEOUT_MS, cmd_certify_options, "Certify a key as relay, authority or member (coordinators).",
	      "KEY --role ROLE [--label LABEL] [--days N]\n\n"
	      "  --role ROLE      member, coordinator (founder only), relay or authority\n"
	      "  --label LABEL    how the neighbourhood sees this key\n"
	      "  --days N         how long the certificate is valid (default 365)"),
	OWN(subscribe, subscribe_main, subscribe_options, "For authorities: receive what households shared, as JSON "
	    "lines or CAP 1.2.", "--relay ENDPOINT --relay-key KEY [options]"),
	OWN(announce, announce_main, announce_options, "For authorities: publish an announcement through a relay.",
	    "--relay ENDPOINT --relay-key KEY --nbhd NBHD --kind KIND --text TEXT [options]"),
	OWN(web, web_main, web_options, "The household page's phones: pair one, list them, unpair one "
	    "(runs samen-web).", "pair | devices | unpair NAME [samen-web's options: samen web --help]"),
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct command *commands_at(size_t i)
{
	return i < N_COMMANDS ? &commands[i] : NULL;
}

const struct command *commands_find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

const struct command *commands_nearest(const char *name)
{
	const char *names[N_COMMANDS];
	for (size_t i = 0; i < N_COMMANDS; i++)
		names[i] = commands[i].name;
	int i = args_nearest(name, names, N_COMMANDS);
	return i < 0 ? NULL : &commands[i];
}

void commands_usage(FILE *f)
{
	fputs("usage: samen [--state DIR] [--json] COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
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

const struct option cli_plain_options[] = {COMMON_OPTIONS};

int commands_globals(int argc, char **argv, struct globals *g)
{
	const struct option *opts = cli_plain_options;
	char q[64];
	int c;

	opterr = 0;
	while ((c = cli_getopt(argc, argv, "+" COMMON_SHORT, opts)) != -1) {
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
		default: {
			char hint[64];
			bad_option(argv, q, sizeof(q));
			nearest_option(q, opts, hint, sizeof(hint));
			fprintf(stderr, "samen: unknown option '%s'%s%s\n", q, hint,
				hint[0] ? "" : "; see 'samen --help'");
			return EXIT_USAGE;
		}
		}
	}
	return 0;
}

