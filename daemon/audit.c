/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * audit.c — the relay's audit log, with refusals added up per key and a
 * size cap (audit.h).
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "../keys/keytext.h"

struct tally {
	uint8_t key[32];
	uint64_t count;
	const char *why;
	bool curve;
};

struct audit {
	int fd;
	char path[4200];
	size_t size, max_bytes;
	uint64_t interval_start_ms;
	struct tally keys[AUDIT_KEYS_MAX];
	size_t n_keys;
	uint64_t others, other_keys; /* refusals (and keys) past AUDIT_KEYS_MAX */
	struct audit_stats stats;
};

static int open_log(struct audit *a)
{
	struct stat st;
	a->fd = open(a->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (a->fd < 0)
		return -errno;
	a->size = fstat(a->fd, &st) == 0 ? (size_t)st.st_size : 0;
	return 0;
}

int audit_open(struct audit **out, const char *path, size_t max_bytes)
{
	struct audit *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	snprintf(a->path, sizeof(a->path), "%s", path);
	a->max_bytes = max_bytes ? max_bytes : AUDIT_MAX_BYTES;
	int ret = open_log(a);
	if (ret < 0) {
		free(a);
		return ret;
	}
	*out = a;
	return 0;
}

/* The file reached its cap: keep it as audit.log.1, begin a new one. */
static void rotate(struct audit *a)
{
	char old[4300];
	snprintf(old, sizeof(old), "%s.1", a->path);
	close(a->fd);
	a->fd = -1;
	if (rename(a->path, old) < 0)
		log_msg(SLOG_WARN, "cannot rotate the audit log %s: %s", a->path, strerror(errno));
	a->stats.rotations++;
	if (open_log(a) < 0)
		log_msg(SLOG_ERR, "cannot reopen the audit log %s: %s", a->path, strerror(errno));
}

static void write_line(struct audit *a, const char *line, size_t n)
{
	if (a->fd >= 0 && a->size + n > a->max_bytes)
		rotate(a);
	if (a->fd < 0 || write(a->fd, line, n) != (ssize_t)n) {
		a->stats.failed++;
		log_msg(SLOG_WARN, "audit log write failed: %s", a->fd < 0 ? "not open" : strerror(errno));
		return;
	}
	a->size += n;
	a->stats.lines++;
}

static void stamp(char ts[32])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void event_line(struct audit *a, const char *event, const uint8_t key[32], bool curve,
		       const char *detail)
{
	char line[512], ts[32], name[65];
	if (!a)
		return;
	stamp(ts);
	if (curve)
		sodium_bin2hex(name, sizeof(name), key, 32);
	else
		keytext_encode(key, name);
	int n = snprintf(line, sizeof(line), "%s %s %s=%s %s\n", ts, event, curve ? "curve" : "key",
			 name, detail);
	if (n > 0 && (size_t)n < sizeof(line))
		write_line(a, line, (size_t)n);
}

void audit_event(struct audit *a, const char *event, const uint8_t key[32], const char *detail)
{
	event_line(a, event, key, false, detail);
}

/* One line per key counted in the interval, one for the rest. */
static void flush_interval(struct audit *a, uint64_t now_ms)
{
	char detail[160];
	unsigned long long secs = (now_ms - a->interval_start_ms + 999) / 1000;
	for (size_t i = 0; i < a->n_keys; i++) {
		snprintf(detail, sizeof(detail), "%llu refused in the last %llu s (%s)",
			 (unsigned long long)a->keys[i].count, secs, a->keys[i].why);
		event_line(a, "refused", a->keys[i].key, a->keys[i].curve, detail);
	}
	if (a->others) {
		static const uint8_t none[32];
		snprintf(detail, sizeof(detail), "%llu refused from %llu other keys in the last %llu s",
			 (unsigned long long)a->others, (unsigned long long)a->other_keys, secs);
		event_line(a, "refused-others", none, true, detail);
	}
	a->n_keys = 0;
	a->others = a->other_keys = 0;
	a->interval_start_ms = now_ms;
}

void audit_refused(struct audit *a, const uint8_t key[32], bool curve, const char *why,
		   uint64_t now_ms)
{
	if (!a)
		return;
	if (a->n_keys == 0 && a->others == 0)
		a->interval_start_ms = now_ms;
	a->stats.refused++;
	for (size_t i = 0; i < a->n_keys; i++)
		if (memcmp(a->keys[i].key, key, 32) == 0 && a->keys[i].curve == curve) {
			a->keys[i].count++;
			return;
		}
	if (a->n_keys == AUDIT_KEYS_MAX) {
		/* a key seen again past the table counts as another key again:
		 * the line says how many refusals, the key count is an upper bound */
		a->others++;
		a->other_keys++;
		return;
	}
	struct tally *t = &a->keys[a->n_keys++];
	memcpy(t->key, key, 32);
	t->count = 1;
	t->why = why;
	t->curve = curve;
}

void audit_tick(struct audit *a, uint64_t now_ms)
{
	if (a && (a->n_keys || a->others) && now_ms - a->interval_start_ms >= AUDIT_INTERVAL_MS)
		flush_interval(a, now_ms);
}

void audit_close(struct audit **pa, uint64_t now_ms)
{
	struct audit *a = *pa;
	if (!a)
		return;
	if (a->n_keys || a->others)
		flush_interval(a, now_ms > a->interval_start_ms ? now_ms : a->interval_start_ms);
	if (a->fd >= 0)
		close(a->fd);
	free(a);
	*pa = NULL;
}

void audit_stats(const struct audit *a, struct audit_stats *out)
{
	if (a)
		*out = a->stats;
	else
		memset(out, 0, sizeof(*out));
}
