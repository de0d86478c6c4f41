/* SPDX-License-Identifier: EUPL-1.2 */
#include "term.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "../proto/mp.h"

/* ---- colour ---- */

void term_sgr(const struct out *o, const char *code)
{
	if (o->colour)
		fprintf(o->f, "\033[%sm", code);
}

/* ---- safe text ---- */

/*
 * Characters a reader cannot see but that change what the text seems to
 * say: zero-width and bidirectional marks, embeddings, overrides and
 * isolates reorder or split what follows (one label can then look like
 * another), line and paragraph separators break a row where no newline is,
 * tag characters and fillers hide text inside text. Shown as '?' so that a
 * neighbour sees something is there.
 */
static const struct {
	uint32_t lo, hi;
} invisible_ranges[] = {
	{0x00ad, 0x00ad},   /* soft hyphen */
	{0x061c, 0x061c},   /* Arabic letter mark */
	{0x180e, 0x180e},   /* Mongolian vowel separator */
	{0x200b, 0x200f},   /* zero-width space, non-joiner, joiner; LRM, RLM */
	{0x2028, 0x202e},   /* line and paragraph separators; embeddings, overrides */
	{0x2060, 0x2064},   /* word joiner, invisible operators */
	{0x2066, 0x206f},   /* isolates; deprecated format characters */
	{0x3164, 0x3164},   /* Hangul filler */
	{0xfeff, 0xfeff},   /* zero-width no-break space (byte order mark) */
	{0xffa0, 0xffa0},   /* halfwidth Hangul filler */
	{0xfff9, 0xfffb},   /* interlinear annotation */
	{0x1bca0, 0x1bca3}, /* shorthand format controls */
	{0x1d173, 0x1d17a}, /* musical format controls */
	{0xe0000, 0xe007f}, /* tag characters */
};

static bool invisible(uint32_t cp)
{
	for (size_t i = 0; i < sizeof(invisible_ranges) / sizeof(invisible_ranges[0]); i++)
		if (cp >= invisible_ranges[i].lo && cp <= invisible_ranges[i].hi)
			return true;
	return false;
}

/* Code points that must not reach a terminal: C0, DEL and C1 controls
 * (escape sequences), and what invisible() names. */
static bool unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || invisible(cp);
}

static unsigned columns(uint32_t cp)
{
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : (unsigned)w;
}

/*
 * Walks s[0..len): for each character calls emit (when f is not NULL) and
 * counts columns. Stops before the character that would pass max columns
 * (max 0: no limit) and sets *cut. Returns the columns of the last line.
 */
static unsigned walk(FILE *f, const char *str, size_t len, bool one_line, unsigned max,
		     bool *cut)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned col = 0;
	size_t i = 0;

	*cut = false;
	while (i < len) {
		uint32_t cp;
		size_t n = mp_utf8_decode(s + i, len - i, &cp);
		const char *rep = NULL; /* replacement, one column */
		unsigned w;

		if (n == 0) {
			n = 1;
			rep = "?";
		} else if (cp == '\n' && !one_line) {
			if (f)
				fputc('\n', f);
			col = 0;
			i += n;
			continue;
		} else if (cp == '\n' || cp == '\t') {
			rep = " ";
		} else if (unsafe(cp)) {
			rep = "?";
		}
		w = rep ? 1 : columns(cp);
		if (max && col + w > max) {
			*cut = true;
			break;
		}
		if (f) {
			if (rep)
				fputs(rep, f);
			else
				fwrite(s + i, 1, n, f);
		}
		col += w;
		i += n;
	}
	return col;
}

unsigned term_text(FILE *f, const char *s, size_t len, bool one_line)
{
	bool cut;
	return walk(f, s, len, one_line, 0, &cut);
}

/* One line of at most max columns (0: any), cut with an ellipsis. */
unsigned term_line(FILE *f, const char *s, size_t len, unsigned max)
{
	bool cut;
	unsigned all = walk(NULL, s, len, true, 0, &cut);
	if (!max || all <= max)
		return walk(f, s, len, true, 0, &cut);
	if (max == 1) {
		fputs(ELLIPSIS, f);
		return 1;
	}
	unsigned n = walk(f, s, len, true, max - 1, &cut);
	fputs(ELLIPSIS, f);
	return n + 1;
}

unsigned term_width_of(const char *s, size_t len)
{
	bool cut;
	return walk(NULL, s, len, true, 0, &cut);
}

/* A table cell: the text cut to width, padded to width, then a gap. */
void term_cell(FILE *f, const char *s, size_t len, unsigned width)
{
	unsigned n = term_line(f, s, len, width);
	for (; n < width + 2; n++)
		fputc(' ', f);
}

void term_cstr_cell(FILE *f, const char *s, unsigned width)
{
	term_cell(f, s, strlen(s), width);
}

/* Text that may span lines, continuation lines indented by indent. */
void term_block(FILE *f, struct text t, unsigned indent)
{
	size_t start = 0;
	for (size_t i = 0; i <= t.n; i++) {
		if (i < t.n && t.p[i] != '\n')
			continue;
		if (start)
			fprintf(f, "\n%*s", (int)indent, "");
		term_text(f, t.p + start, i - start, true);
		start = i + 1;
	}
}

/* ---- times and sizes ---- */

void term_age(char *buf, size_t cap, time_t now, uint64_t t)
{
	uint64_t n = (uint64_t)(now < 0 ? 0 : now);
	bool future = t > n;
	uint64_t d = future ? t - n : n - t;
	const char *unit;

	if (d < 60) {
		snprintf(buf, cap, "just now");
		return;
	}
	if (d < 3600) {
		d /= 60, unit = "min";
	} else if (d < 86400) {
		d /= 3600, unit = "h";
	} else {
		d /= 86400, unit = "d";
	}
	snprintf(buf, cap, future ? "in %" PRIu64 " %s" : "%" PRIu64 " %s ago", d, unit);
}

time_t term_to_time(uint64_t t)
{
	return t > (uint64_t)INT64_MAX ? (time_t)INT64_MAX : (time_t)t;
}

void term_time(char *buf, size_t cap, uint64_t t, enum time_fmt fmt)
{
	struct tm tm;
	time_t tt = term_to_time(t);
	size_t n = 0;

	if (localtime_r(&tt, &tm)) {
		switch (fmt) {
		case T_MINUTE: n = strftime(buf, cap, "%Y-%m-%d %H:%M", &tm); break;
		case T_DAY: n = strftime(buf, cap, "%Y-%m-%d", &tm); break;
		case T_CLOCK: n = strftime(buf, cap, "%H:%M", &tm); break;
		}
	}
	if (n == 0)
		snprintf(buf, cap, "%" PRIu64, t);
}

bool term_same_day(time_t a, time_t b)
{
	struct tm ta, tb;
	return localtime_r(&a, &ta) && localtime_r(&b, &tb) && ta.tm_year == tb.tm_year &&
	       ta.tm_yday == tb.tm_yday;
}

/* "3 h 58 min" for a span of d seconds. */
void term_span(char *buf, size_t cap, uint64_t d)
{
	if (d < 60)
		snprintf(buf, cap, "%" PRIu64 " s", d);
	else if (d < 3600)
		snprintf(buf, cap, "%" PRIu64 " min", d / 60);
	else if (d < 86400)
		snprintf(buf, cap, "%" PRIu64 " h %" PRIu64 " min", d / 3600, d % 3600 / 60);
	else
		snprintf(buf, cap, "%" PRIu64 " d %" PRIu64 " h", d / 86400, d % 86400 / 3600);
}

void term_bytes(char *buf, size_t cap, uint64_t b)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	if (b < 1024) {
		snprintf(buf, cap, "%" PRIu64 " bytes", b);
		return;
	}
	/* one decimal, in integers */
	unsigned u = 0;
	uint64_t tenths = b * 10 / 1024;
	if (b > UINT64_MAX / 10)
		tenths = b / 1024 * 10;
	while (tenths >= 10240 && u + 1 < sizeof(units) / sizeof(units[0])) {
		tenths /= 1024;
		u++;
	}
	snprintf(buf, cap, "%" PRIu64 ".%" PRIu64 " %s", tenths / 10, tenths % 10, units[u]);
}

/* "52.090700, 5.121400" from micro-degrees, without floating point. */
void term_point(char *buf, size_t cap, int64_t lat, int64_t lon)
{
	uint64_t la = lat < 0 ? (uint64_t)-lat : (uint64_t)lat;
	uint64_t lo = lon < 0 ? (uint64_t)-lon : (uint64_t)lon;
	snprintf(buf, cap, "%s%" PRIu64 ".%06" PRIu64 ", %s%" PRIu64 ".%06" PRIu64,
		 lat < 0 ? "-" : "", la / 1000000, la % 1000000, lon < 0 ? "-" : "",
		 lo / 1000000, lo % 1000000);
}
