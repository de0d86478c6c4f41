/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * log.h — samend's one logging function, with levels.
 *
 * Every message is one line on stderr, written with a single write():
 *
 *   stderr is the systemd journal (JOURNAL_STREAM names stderr's device and
 *   inode):   "<4>hook /usr/local/bin/siren exited with status 3"
 *             (sd-daemon priority prefix <3> <4> <6> <7>; the journal adds
 *             the time itself)
 *   otherwise "2025-03-01T18:04:05.123Z warn: hook ... exited with status 3"
 *             (ISO-8601 UTC timestamp and the level's name)
 *
 * Control characters in a message (a newline, an escape sequence that came
 * from a file or a peer) are replaced by '?', so one call is one line and
 * nobody can forge a log line. A line longer than LOG_LINE_MAX bytes is cut
 * at a UTF-8 character boundary and ends in "…". errno is preserved.
 *
 * The names are SLOG_* so they do not clash with <syslog.h>'s LOG_*.
 */
#ifndef SAMEN_LOG_H
#define SAMEN_LOG_H

enum log_level {
	SLOG_ERR = 0,   /* "error": samend cannot do what it should */
	SLOG_WARN = 1,  /* "warn": something went wrong and was worked around */
	SLOG_INFO = 2,  /* "info": the default; start, stop, links, joins */
	SLOG_DEBUG = 3, /* "debug": per-record and per-hook detail */
};

/* Bytes of one output line, prefix and newline included; <= PIPE_BUF. */
#define LOG_LINE_MAX 1024

/*
 * Writes one line if level is at or below the current level (default
 * SLOG_INFO). fmt and its arguments are as for printf().
 */
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets the most verbose level that is written; out-of-range values clamp. */
void log_set_level(int level);

/*
 * Parses "error", "warn", "info" or "debug" (exactly, lower case) and
 * returns the SLOG_* level, or SAMEN_EINVAL for anything else.
 */
int log_level_parse(const char *name);

/* Returns the name log_level_parse() accepts for level, or "?". */
const char *log_level_name(int level);

#endif
