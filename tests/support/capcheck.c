/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * capcheck.c — see capcheck.h.
 */
#include "capcheck.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../proto/cap.h"

static int bad(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return -1;
}

static bool digits(const char *s, size_t n, unsigned lo, unsigned hi)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v >= lo && v <= hi;
}

/* s[0..n) as a CAP date-time. */
static bool datetime_ok(const char *s, size_t n)
{
	if (n != 25 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || (s[19] != '+' && s[19] != '-') || s[22] != ':')
		return false;
	if (!digits(s, 4, 0, 9999) || !digits(s + 5, 2, 1, 12) || !digits(s + 8, 2, 1, 31) ||
	    !digits(s + 11, 2, 0, 23) || !digits(s + 14, 2, 0, 59) || !digits(s + 17, 2, 0, 59) ||
	    !digits(s + 20, 2, 0, 14) || !digits(s + 23, 2, 0, 59))
		return false;
	/* §3.3.2: "+00:00" is not how CAP writes UTC */
	return memcmp(s + 19, "+00:00", 6) != 0;
}

static bool token_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == ',' || s[i] == '<' ||
		    s[i] == '&')
			return false;
	return true;
}

/* A decimal number in s[0..n): [-]D+[.D+], its value within ±limit. */
static bool decimal_ok(const char *s, size_t n, double limit, bool may_be_negative)
{
	char buf[48];
	size_t i = 0, before = 0, after = 0;
	if (n == 0 || n >= sizeof(buf))
		return false;
	if (s[0] == '-') {
		if (!may_be_negative)
			return false;
		i++;
	}
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, before++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, after++;
		if (after == 0)
			return false;
	}
	if (i != n || before == 0)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	double v;
	if (sscanf(buf, "%lf", &v) != 1)
		return false;
	return v >= -limit && v <= limit;
}

static bool circle_ok(const char *s, size_t n)
{
	const char *comma = memchr(s, ',', n), *space = memchr(s, ' ', n);
	if (!comma || !space || space < comma || memchr(space + 1, ' ', n - (size_t)(space + 1 - s)))
		return false;
	return decimal_ok(s, (size_t)(comma - s), 90, true) &&
	       decimal_ok(comma + 1, (size_t)(space - comma - 1), 180, true) &&
	       decimal_ok(space + 1, n - (size_t)(space + 1 - s), 1e9, false);
}

static bool references_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0)
		return false;
	while (i < n) {
		const char *t = s + i;
		const char *end = memchr(t, ' ', n - i);
		size_t len = end ? (size_t)(end - t) : n - i;
		const char *c1 = memchr(t, ',', len);
		const char *c2 = c1 ? memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - t)) : NULL;
		if (!c1 || !c2 || !token_ok(t, (size_t)(c1 - t)) ||
		    !token_ok(c1 + 1, (size_t)(c2 - c1 - 1)) ||
		    !datetime_ok(c2 + 1, len - (size_t)(c2 + 1 - t)))
			return false;
		i += len + (end ? 1 : 0);
		if (end && i == n)
			return false; /* a trailing space */
	}
	return true;
}

/* RFC 3066, as proto/cap.c writes and checks it (test_cap tests that
 * function's refusals itself). */
static bool language_ok(const char *s, size_t n)
{
	char buf[CAP_LANGUAGE_MAX + 1];
	if (n > CAP_LANGUAGE_MAX)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return cap_language_ok(buf);
}

struct rule {
	const char *name;
	bool (*ok)(const char *, size_t);
};

static const struct rule rules[] = {
	{"sent", datetime_ok},       {"effective", datetime_ok}, {"onset", datetime_ok},
	{"expires", datetime_ok},    {"references", references_ok}, {"circle", circle_ok},
	{"identifier", token_ok},    {"sender", token_ok},       {"language", language_ok},
};

int capcheck(const char *doc, char *why, size_t cap)
{
	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		char open[32], close[32];
		snprintf(open, sizeof(open), "<%s>", rules[r].name);
		snprintf(close, sizeof(close), "</%s>", rules[r].name);
		for (const char *p = strstr(doc, open); p; p = strstr(p, open)) {
			const char *v = p + strlen(open), *e = strstr(v, close);
			if (!e)
				return bad(why, cap, "<%s> is not closed", rules[r].name);
			if (!rules[r].ok(v, (size_t)(e - v)))
				return bad(why, cap, "<%s>%.*s</%s> breaks CAP 1.2's rule for it",
					   rules[r].name, (int)(e - v > 200 ? 200 : e - v), v,
					   rules[r].name);
			p = e;
		}
	}
	return 0;
}
