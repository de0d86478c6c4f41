/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * policy.c — see policy.h.
 */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "record.h"
#include "signal.h"

static const char *const level_names[LEVEL_COUNT] = {"silent", "normal", "loud", "alarm"};
static const char *const col_names[POLICY_COLS] = {"alert", "112", "ack", "all-clear", "drill"};

#define ROW(r) r ".alert", r ".112", r ".ack", r ".all-clear", r ".drill"
/* In the order of the struct: the categories' rows by enum value, then the
 * authority's by announcement kind, then the two settings. */
static const char *const keys[POLICY_KEYS] = {
	ROW("suspicious"), ROW("burglary"), ROW("break-in-attempt"), ROW("fire"),
	ROW("medical"),    ROW("missing-person"), ROW("nuisance"),   ROW("other"),
	"authority.lookout", "authority.found", "authority.enroute", "authority.info",
	"quiet",           "timezone",
};
#undef ROW
#define KEY_CELLS (POLICY_CATEGORIES * POLICY_COLS)
#define KEY_QUIET (KEY_CELLS + POLICY_ANNOUNCE)
#define KEY_TZ (KEY_QUIET + 1)

_Static_assert(CAT_OTHER - CAT_SUSPICIOUS + 1 == POLICY_CATEGORIES, "one row per category");
_Static_assert(ANNOUNCE_INFO - ANNOUNCE_LOOKOUT + 1 == POLICY_ANNOUNCE, "one cell per kind");
_Static_assert(POLICY_KEYS <= CONFFILE_KEYS_MAX, "the file reader holds every key");

const char *policy_level_name(unsigned level)
{
	return level < LEVEL_COUNT ? level_names[level] : "unknown";
}

int policy_level_parse(const char *name)
{
	for (int i = 0; i < LEVEL_COUNT; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return SAMEN_EINVAL;
}

unsigned policy_ntfy_priority(unsigned level)
{
	return level < LEVEL_COUNT ? 2 + level : 3;
}

void policy_defaults(struct policy *p)
{
	static const uint8_t row[POLICY_COLS] = {
		[COL_ALERT] = LEVEL_LOUD,       [COL_112] = LEVEL_ALARM, [COL_ACK] = LEVEL_NORMAL,
		[COL_ALLCLEAR] = LEVEL_SILENT,  [COL_DRILL] = LEVEL_NORMAL,
	};
	memset(p, 0, sizeof(*p));
	for (unsigned c = 0; c < POLICY_CATEGORIES; c++)
		memcpy(p->cell[c], row, sizeof(row));
	p->authority[ANNOUNCE_LOOKOUT - 1] = LEVEL_ALARM;
	p->authority[ANNOUNCE_FOUND - 1] = LEVEL_NORMAL;
	p->authority[ANNOUNCE_ENROUTE - 1] = LEVEL_LOUD;
	p->authority[ANNOUNCE_INFO - 1] = LEVEL_NORMAL;
}

static enum policy_col column(const struct policy_event *ev)
{
	if (ev->drill)
		return COL_DRILL;
	switch (ev->kind) {
	case SIG_ACK:
		return ev->ack == ACK_CALLED_112 ? COL_112 : COL_ACK;
	case SIG_ALLCLEAR:
		return COL_ALLCLEAR;
	default: /* an alert or an update */
		return ev->called112 ? COL_112 : COL_ALERT;
	}
}

enum notify_level policy_level(const struct policy *p, const struct policy_event *ev)
{
	if (ev->announcement)
		return ev->kind >= ANNOUNCE_LOOKOUT && ev->kind <= ANNOUNCE_INFO
			       ? (enum notify_level)p->authority[ev->kind - ANNOUNCE_LOOKOUT]
			       : LEVEL_NORMAL;
	unsigned row = ev->category >= CAT_SUSPICIOUS && ev->category <= CAT_OTHER
			       ? ev->category - CAT_SUSPICIOUS
			       : CAT_OTHER - CAT_SUSPICIOUS;
	enum policy_col col = column(ev);
	enum notify_level l = (enum notify_level)p->cell[row][col];
	/* the file and policy_set() keep drills at normal already; this holds
	 * even for a policy built some other way */
	return col == COL_DRILL && l > LEVEL_NORMAL ? LEVEL_NORMAL : l;
}

bool policy_quiet_at(const struct policy *p, unsigned minute)
{
	if (!p->quiet)
		return false;
	if (p->quiet_from < p->quiet_to)
		return minute >= p->quiet_from && minute < p->quiet_to;
	return minute >= p->quiet_from || minute < p->quiet_to; /* over midnight */
}

enum notify_level policy_at(const struct policy *p, enum notify_level level, unsigned minute)
{
	return level < LEVEL_ALARM && policy_quiet_at(p, minute) ? LEVEL_SILENT : level;
}

const char *policy_key(size_t i)
{
	return i < POLICY_KEYS ? keys[i] : NULL;
}

/* "HH:MM" at s (exactly five characters) as minutes, or -1. */
static int hhmm(const char *s)
{
	if (!(s[0] >= '0' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
	      s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9'))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	return h > 23 ? -1 : h * 60 + (s[3] - '0') * 10 + (s[4] - '0');
}

static int set_quiet(struct policy *p, const char *v, char *err, size_t cap)
{
	if (strcmp(v, "off") == 0 || v[0] == '\0') {
		p->quiet = false;
		p->quiet_from = p->quiet_to = 0;
		return 0;
	}
	int from = strlen(v) == 11 && v[5] == '-' ? hhmm(v) : -1;
	int to = from >= 0 ? hhmm(v + 6) : -1;
	if (from < 0 || to < 0)
		return conffile_fail(err, cap, SAMEN_EINVAL,
				     "quiet hours '%.32s' are not HH:MM-HH:MM (like 23:00-07:00) or off", v);
	if (from == to)
		return conffile_fail(err, cap, SAMEN_EINVAL,
				     "quiet hours '%s' begin when they end; say off for none", v);
	p->quiet = true;
	p->quiet_from = (uint16_t)from;
	p->quiet_to = (uint16_t)to;
	return 0;
}

/* A zone name as the tz database spells them; the daemon checks that the
 * zone exists, this only that the name cannot leave the zone directory. */
static int set_timezone(struct policy *p, const char *v, char *err, size_t cap)
{
	if (strcmp(v, "system") == 0 || v[0] == '\0') {
		p->timezone[0] = '\0';
		return 0;
	}
	size_t n = strlen(v);
	bool ok = n <= POLICY_TZ_MAX && v[0] != '/' && !strstr(v, "..");
	for (size_t i = 0; ok && i < n; i++)
		ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		     (v[i] >= '0' && v[i] <= '9') || strchr("_-+/", v[i]);
	if (!ok)
		return conffile_fail(err, cap, SAMEN_EINVAL,
				     "'%.40s' is not a time zone name (like Europe/Amsterdam) or system", v);
	memcpy(p->timezone, v, n + 1);
	return 0;
}

static int set_cell(uint8_t *cell, bool drill, const char *key, const char *v, char *err,
		    size_t cap)
{
	int l = policy_level_parse(v);
	if (l < 0)
		return conffile_fail(err, cap, SAMEN_EINVAL,
				     "%s: unknown level '%.32s' (silent, normal, loud or alarm)", key, v);
	if (drill && l > LEVEL_NORMAL)
		return conffile_fail(err, cap, SAMEN_EINVAL,
				     "%s: a drill is never louder than normal (silent or normal)", key);
	*cell = (uint8_t)l;
	return 0;
}

int policy_set(struct policy *p, const char *key, const char *value, char *err, size_t cap)
{
	if (strncmp(key, "*.", 2) == 0) {
		for (unsigned c = 0; c < POLICY_COLS; c++) {
			if (strcmp(key + 2, col_names[c]) != 0)
				continue;
			uint8_t l;
			int r = set_cell(&l, c == COL_DRILL, key, value, err, cap);
			if (r < 0)
				return r;
			for (unsigned row = 0; row < POLICY_CATEGORIES; row++)
				p->cell[row][c] = l;
			return 0;
		}
	}
	for (size_t i = 0; i < POLICY_KEYS; i++) {
		if (strcmp(key, keys[i]) != 0)
			continue;
		if (i == KEY_QUIET)
			return set_quiet(p, value, err, cap);
		if (i == KEY_TZ)
			return set_timezone(p, value, err, cap);
		if (i >= KEY_CELLS)
			return set_cell(&p->authority[i - KEY_CELLS], false, key, value, err, cap);
		return set_cell(&p->cell[i / POLICY_COLS][i % POLICY_COLS], i % POLICY_COLS == COL_DRILL,
				key, value, err, cap);
	}
	struct conffile_keys table = {keys, POLICY_KEYS, sizeof(keys[0]), 0};
	return conffile_unknown(&table, "", key, err, cap);
}

void policy_value(const struct policy *p, size_t i, char *out, size_t cap)
{
	if (i == KEY_QUIET) {
		if (!p->quiet)
			snprintf(out, cap, "off");
		else
			snprintf(out, cap, "%02u:%02u-%02u:%02u", p->quiet_from / 60u,
				 p->quiet_from % 60u, p->quiet_to / 60u, p->quiet_to % 60u);
	} else if (i == KEY_TZ) {
		snprintf(out, cap, "%s", p->timezone[0] ? p->timezone : "system");
	} else if (i >= KEY_CELLS && i < KEY_QUIET) {
		snprintf(out, cap, "%s", policy_level_name(p->authority[i - KEY_CELLS]));
	} else if (i < KEY_CELLS) {
		snprintf(out, cap, "%s", policy_level_name(p->cell[i / POLICY_COLS][i % POLICY_COLS]));
	} else if (cap) {
		out[0] = '\0';
	}
}

int policy_parse(struct policy *p, const char *name, const char *buf, size_t len, char *err,
		 size_t cap)
{
	struct conffile_keys table = {keys, POLICY_KEYS, sizeof(keys[0]), 0};
	struct conffile cf;
	struct policy next = *p;
	size_t key;
	const char *value;
	int r = conffile_begin(&cf, name, buf, len, &table, err, cap);

	while (r == 0 && (r = conffile_next(&cf, &key, &value, err, cap)) == 1) {
		char why[160];
		r = policy_set(&next, keys[key], value, why, sizeof(why));
		if (r < 0)
			r = conffile_fail(err, cap, r, "%s%s", conffile_where(&cf), why);
	}
	if (r < 0)
		return r;
	*p = next;
	return 0;
}

char *policy_text(const struct policy *p, size_t *len)
{
	char *text = NULL, v[POLICY_TZ_MAX + 1];
	FILE *m = open_memstream(&text, len);
	if (!m)
		return NULL;
	fputs("# samen notification policy: written by samend (samen notify set KEY VALUE)\n", m);
	for (size_t i = 0; i < POLICY_KEYS; i++) {
		policy_value(p, i, v, sizeof(v));
		fprintf(m, "%s = %s\n", keys[i], v);
	}
	if (fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
