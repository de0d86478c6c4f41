/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * policy.h — a household's notification policy: how loud each kind of
 * event is (silent, normal, loud, alarm), per category and urgency, with
 * quiet hours in the household's time zone (PROTOCOL.md section 8.1).
 *
 * samend decides the level of every event it sends to watchers and the
 * hook, so that `samen watch`, the hook, samen-web's page and its ntfy
 * priority agree; samen and samen-web only name what samend decided. The
 * rules, in order:
 *
 *   1. the cell of the event's row (category, or "authority" for an
 *      authority announcement) and column (alert, 112, ack, all-clear,
 *      drill; for authorities the announcement kind);
 *   2. a drill (status test or exercise) is never louder than normal, so
 *      its cell takes only silent or normal;
 *   3. during quiet hours everything below alarm is silent.
 *
 * The policy's text is "key = value" lines, the syntax of every samen
 * configuration file (conffile.h); policy_text() writes it and
 * policy_parse() reads it back. Nothing here does I/O.
 */
#ifndef SAMEN_POLICY_H
#define SAMEN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum notify_level { LEVEL_SILENT, LEVEL_NORMAL, LEVEL_LOUD, LEVEL_ALARM, LEVEL_COUNT };

/* The columns of a category's row. */
enum policy_col { COL_ALERT, COL_112, COL_ACK, COL_ALLCLEAR, COL_DRILL, POLICY_COLS };

#define POLICY_CATEGORIES 8 /* signal.h's CAT_SUSPICIOUS .. CAT_OTHER */
#define POLICY_ANNOUNCE 4   /* record.h's ANNOUNCE_LOOKOUT .. ANNOUNCE_INFO */
#define POLICY_TZ_MAX 63    /* bytes of a time zone name */
#define POLICY_KEY_MAX 64   /* bytes of a key ("break-in-attempt.all-clear") */
/* every cell, then quiet and timezone */
#define POLICY_KEYS (POLICY_CATEGORIES * POLICY_COLS + POLICY_ANNOUNCE + 2)

struct policy {
	uint8_t cell[POLICY_CATEGORIES][POLICY_COLS]; /* enum notify_level */
	uint8_t authority[POLICY_ANNOUNCE];
	bool quiet;                  /* quiet hours are set */
	uint16_t quiet_from, quiet_to; /* minutes after local midnight; from != to */
	char timezone[POLICY_TZ_MAX + 1]; /* "" = the system's */
};

/* What an event is, for its level. */
struct policy_event {
	bool announcement;  /* an authority's; then only kind counts */
	unsigned kind;      /* signal.h's enum signal_kind, or record.h's announce kind */
	unsigned category;  /* enum signal_category */
	unsigned ack;       /* enum signal_ack */
	bool called112;
	bool drill;         /* status test or exercise */
};

void policy_defaults(struct policy *p);

/* The level rules 1 and 2 give ev, before quiet hours. */
enum notify_level policy_level(const struct policy *p, const struct policy_event *ev);
/* Rule 3: level at minute (0..1439 after local midnight). */
enum notify_level policy_at(const struct policy *p, enum notify_level level, unsigned minute);
/* Whether minute falls in the quiet hours. */
bool policy_quiet_at(const struct policy *p, unsigned minute);

/*
 * Sets key to value, checked: a cell ("burglary.alert", "authority.lookout",
 * "*.112" for a whole column) to a level name; "quiet" to "HH:MM-HH:MM" or
 * "off"; "timezone" to a zone name (letters, digits, '_', '-', '+', '/',
 * no "..") or "system". On a refusal p is unchanged, err holds the reason
 * in words, and the result is SAMEN_EINVAL.
 */
int policy_set(struct policy *p, const char *key, const char *value, char *err, size_t cap)
	SAMEN_MUST_CHECK;

/* Key i of every key (0 .. POLICY_KEYS-1), and its value in p as text. */
const char *policy_key(size_t i);
void policy_value(const struct policy *p, size_t i, char *out, size_t cap);

/* Reads a policy file's text over the defaults (name: for messages). */
int policy_parse(struct policy *p, const char *name, const char *buf, size_t len, char *err,
		 size_t cap) SAMEN_MUST_CHECK;
/* The policy as the file's text (malloc'ed, *len bytes), or NULL. */
char *policy_text(const struct policy *p, size_t *len);

const char *policy_level_name(unsigned level);
int policy_level_parse(const char *name);
/* ntfy's priority for a level: 2, 3, 4, 5. */
unsigned policy_ntfy_priority(unsigned level);

#endif
