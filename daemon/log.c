/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * log.c — one line per message on stderr, in one write().
 *
 * One write() per line keeps lines whole when several processes share the
 * same stderr (a pipe to the journal, a terminal): POSIX makes pipe writes
 * of up to PIPE_BUF bytes atomic, and LOG_LINE_MAX stays below that.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../proto/err.h"

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const char level_prio[] = { '3', '4', '6', '7' };
#define N_LEVELS ((int)(sizeof(level_names) / sizeof(level_names[0])))

static int current_level = SLOG_INFO;
static int to_journal = -1; /* unknown until the first line */

static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026 "…" */
#define ELLIPSIS_LEN (sizeof(ellipsis) - 1)

void log_set_level(int level)
{
	if (level < SLOG_ERR)
		level = SLOG_ERR;
	if (level > SLOG_DEBUG)
		level = SLOG_DEBUG;
	current_level = level;
}

int log_level_parse(const char *name)
{
	int i;

	for (i = 0; name && i < N_LEVELS; ++i)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return SAMEN_EINVAL;
}

const char *log_level_name(int level)
{
	return level >= 0 && level < N_LEVELS ? level_names[level] : "?";
}

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * stderr; a child that redirected stderr elsewhere inherits the variable,
 * so it only counts when stderr is still that very stream.
 */
static int stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char *end;
	struct stat st;

	if (!v || *v < '0' || *v > '9')
		return 0;
	errno = 0;
	dev = strtoull(v, &end, 10);
	if (errno || *end != ':' || end[1] < '0' || end[1] > '9')
		return 0;
	ino = strtoull(end + 1, &end, 10);
	if (errno || *end != '\0')
		return 0;
	if (fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/* Writes "2025-03-01T18:04:05.123Z " into buf; returns its length. */
static size_t format_time(char *buf, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	size_t n;
	int m;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm))
		return 0;
	n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return 0;
	m = snprintf(buf + n, cap - n, ".%03ldZ ", ts.tv_nsec / 1000000L);
	if (m < 0 || (size_t)m >= cap - n)
		return 0;
	return n + (size_t)m;
}

void log_msg(int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	size_t n = 0, room, i, end;
	va_list ap;
	int saved = errno, m;
	ssize_t w;

	if (level > current_level)
		return;
	if (level < SLOG_ERR)
		level = SLOG_ERR;
	if (to_journal < 0)
		to_journal = stderr_is_journal();

	if (to_journal) {
		line[n++] = '<';
		line[n++] = level_prio[level];
		line[n++] = '>';
	} else {
		n = format_time(line, sizeof(line));
		m = snprintf(line + n, sizeof(line) - n, "%s: ",
			     level_names[level]);
		if (m > 0)
			n += (size_t)m;
	}

	/* The newline takes the place of vsnprintf's NUL. */
	room = sizeof(line) - n;
	va_start(ap, fmt);
	m = vsnprintf(line + n, room, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	if ((size_t)m < room) {
		end = n + (size_t)m;
	} else {
		/* Cut where "…\n" fits, not inside a UTF-8 sequence. */
		end = sizeof(line) - 1 - ELLIPSIS_LEN;
		while (end > n && ((unsigned char)line[end] & 0xc0) == 0x80)
			--end;
	}
	for (i = n; i < end; ++i) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f)
			line[i] = '?';
	}
	if (end < n + (size_t)m) {
		memcpy(line + end, ellipsis, ELLIPSIS_LEN);
		end += ELLIPSIS_LEN;
	}
	line[end++] = '\n';

	do
		w = write(STDERR_FILENO, line, end);
	while (w < 0 && errno == EINTR);
	errno = saved;
}
