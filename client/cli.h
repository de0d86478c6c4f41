/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * cli.h — what samen's subcommand parsers share: the options every command
 * takes, and checks that print a message naming the option and the fix.
 * Internal to client/; commands.h is the interface to the program.
 *
 * Each cli_* check returns 0, or the exit code after printing the message
 * (EXIT_USAGE for a missing or unknown option or argument, EXIT_INVALID for
 * a value that does not parse or is out of range).
 */
#ifndef SAMEN_CLIENT_CLI_H
#define SAMEN_CLIENT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "args.h"
#include "commands.h"
#include "../keys/keytext.h"

/* getopt_long codes of options without a short form */
enum {
	O_JSON = 256,
	O_PRINT_REQUEST,
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
	O_ROLE,
	O_DAYS,
};

/* The end of every command's option table, and its short options. */
#define COMMON_OPTIONS                                                                  \
	{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},          \
		{"state", required_argument, NULL, 's'}, {"json", no_argument, NULL, O_JSON}, \
		{"print-request", no_argument, NULL, O_PRINT_REQUEST}, {NULL, 0, NULL, 0}
#define COMMON_SHORT ":hVs:"

/* "samen CMD: MESSAGE" and "see 'samen CMD --help'"; returns EXIT_USAGE. */
int cli_usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "samen CMD: MSG"; returns EXIT_INVALID. */
int cli_invalid(const struct command *cmd, const char *msg);
/* "a, b, c": the names of the values from..to, cut short if cap is small. */
void cli_list_names(char *out, size_t cap, const char *(*name)(unsigned), unsigned from,
		    unsigned to);

/* getopt_long(argc, argv, shortopts, opts, NULL), remembering opts so that
 * an unknown option can be answered with the nearest known one. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *opts);

/* What getopt_long returned for a common option (or an error): 0 to go on,
 * EXIT_DONE after --help or --version, or EXIT_USAGE. */
int cli_common_option(const struct command *cmd, int c, char **argv, struct globals *g);
/* Takes optarg for an option that may be given only once. */
int cli_once(const struct command *cmd, const char **slot, const char *name);
/* Exactly n positional arguments must be left; what names the missing one
 * (n > 0) or hints at the cause of an extra one (n == 0). */
int cli_positional(const struct command *cmd, int argc, char **argv, int n, const char *what);

int cli_check_text(const struct command *cmd, const char *opt, const char *s, size_t max,
		   bool nonempty);
int cli_take_id(const struct command *cmd, const char *s, char id[ARGS_ID_LEN]);
int cli_take_key(const struct command *cmd, const char *s, char key[KEYTEXT_LEN]);

/* The parsers, one per command (struct command's build). */
#define CMD_BUILD(name)                                                                   \
	int cmd_##name(const struct command *cmd, int argc, char **argv, struct globals *g, \
		       struct job *j)
CMD_BUILD(send);
CMD_BUILD(certify);
CMD_BUILD(ack);
CMD_BUILD(resolve);
CMD_BUILD(retract);
CMD_BUILD(list);
CMD_BUILD(show);
CMD_BUILD(watch);
CMD_BUILD(seen);
CMD_BUILD(notify);
CMD_BUILD(peers);
CMD_BUILD(members);
CMD_BUILD(status);
CMD_BUILD(pending);
CMD_BUILD(invite);
CMD_BUILD(join);
CMD_BUILD(approve);
CMD_BUILD(revoke);

/* Each command's long options (struct command's options), for getopt and
 * for the bash completion generated from them. */
extern const struct option cli_plain_options[]; /* the common ones alone */
extern const struct option cmd_send_options[], cmd_ack_options[], cmd_resolve_options[],
	cmd_retract_options[], cmd_list_options[], cmd_watch_options[], cmd_invite_options[],
	cmd_join_options[], cmd_revoke_options[], cmd_certify_options[];

#endif
