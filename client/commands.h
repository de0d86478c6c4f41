/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * commands.h — samen's subcommands: each one's options, checked and turned
 * into a control request (PROTOCOL.md section 8), plus help texts.
 *
 * A build function parses its command's argv with getopt_long, prints a
 * message naming the option and the fix when something is wrong, and
 * otherwise packs the request fields into j->req (whose "op" the caller has
 * put in already) and picks the renderer for the reply.
 */
#ifndef SAMEN_CLIENT_COMMANDS_H
#define SAMEN_CLIENT_COMMANDS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "render.h"
#include "request.h"

#include "../proto/exitcode.h"

/* Not an exit code: help or version shown; exit 0, send nothing. */
#define EXIT_DONE 1000

#define TIMEOUT_MS 5000       /* a normal request */
#define JOIN_TIMEOUT_MS 30000 /* join waits for a remote coordinator */

/* Options that every command takes, before or after its name. */
struct globals {
	const char *state;  /* --state DIR */
	bool json;          /* --json */
	bool print_request; /* --print-request (hidden): print, do not send */
};

/* What a command line turned into. */
struct job {
	struct req req;
	render_fn *render; /* for the reply; NULL for watch */
	bool stream;       /* watch: events follow the first reply */
};

struct command {
	const char *name; /* also the request's "op" */
	int (*build)(const struct command *cmd, int argc, char **argv, struct globals *g,
		     struct job *j);
	int timeout_ms;
	const char *summary; /* one line for 'samen --help' */
	const char *usage;   /* arguments and options for 'samen CMD --help' */
	/* its long options, NULL-ended (the bash completion is made from them) */
	const struct option *options;
	/* A command that does not talk to the local samend (the authority
	 * side, subscribe.h) runs on its own instead: argv[0] is its name,
	 * the result is the exit code. build is NULL then. */
	int (*run)(int argc, char **argv);
};

/*
 * Parses the options before the command name. Returns 0 with optind at the
 * command name, EXIT_DONE (help or version printed) or EXIT_USAGE.
 */
int commands_globals(int argc, char **argv, struct globals *g);

/* The command called name, or NULL. */
const struct command *commands_find(const char *name);
/* The i-th command of 'samen --help', or NULL past the last. */
const struct command *commands_at(size_t i);
/* The command whose name is nearest to a mistyped one, or NULL. */
const struct command *commands_nearest(const char *name);

/* Runs cmd's parser on argv[0..argc) (argv[0] is the command name).
 * Returns 0, EXIT_DONE, EXIT_USAGE or EXIT_INVALID. */
int commands_build(const struct command *cmd, int argc, char **argv, struct globals *g,
		   struct job *j);

void commands_usage(FILE *f);
void commands_help(FILE *f, const struct command *cmd);

#endif
