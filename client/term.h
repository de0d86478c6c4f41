/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * term.h — writing for a person at a terminal: text from the daemon made
 * safe to show, table cells that fit their columns, colour, and times and
 * sizes as people read them.
 *
 * Safe text: whatever the bytes, nothing below 0x20 except newline is
 * written, nor DEL, C1 controls (U+0080..U+009F), invisible format
 * characters (zero-width and bidirectional marks, embeddings, overrides and
 * isolates, line and paragraph separators, the byte order mark, tag
 * characters) or ill-formed UTF-8 (each becomes '?'); tabs become spaces.
 * So a hostile or broken peer cannot move the cursor, recolour the screen,
 * break a row or make one label read as another. Columns are counted with wcwidth(), one column
 * for what the locale does not know.
 */
#ifndef SAMEN_CLIENT_TERM_H
#define SAMEN_CLIENT_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Where and how output goes. */
struct out {
	FILE *f;
	time_t now;      /* "2 min ago" is relative to this */
	bool colour;     /* ANSI colour (a terminal, NO_COLOR unset) */
	unsigned width;  /* columns to fit a table row into; 0: no limit */
	const char *bad; /* after SAMEN_EMALFORMED: the field at fault */
};

/* Text borrowed from an unpacked message (not NUL-terminated). */
struct text {
	const char *p;
	size_t n;
};
#define TXT(t) (t).p, (t).n

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */

/* SGR parameters for term_sgr() */
#define SGR_RESET "0"
#define SGR_BOLD "1"
#define SGR_DIM "2"
#define SGR_RED "1;31"
#define SGR_YELLOW "1;33"
#define SGR_GREEN "1;32"
#define SGR_CYAN "36"
#define SGR_BLUE "1;34"

/* Writes ESC [ code m when o->colour. */
void term_sgr(const struct out *o, const char *code);

/* Writes s[0..len) safely; newlines become spaces when one_line, else are
 * kept. Returns the columns written after the last newline. */
unsigned term_text(FILE *f, const char *s, size_t len, bool one_line);
/* One line of at most max columns (0: no limit), cut with an ellipsis;
 * returns the columns written. */
unsigned term_line(FILE *f, const char *s, size_t len, unsigned max);
/* The columns s would take on one line. */
unsigned term_width_of(const char *s, size_t len);
/* A table cell: cut to width, padded to width, then a two-space gap. */
void term_cell(FILE *f, const char *s, size_t len, unsigned width);
void term_cstr_cell(FILE *f, const char *s, unsigned width);
/* Text that may span lines; lines after the first are indented. */
void term_block(FILE *f, struct text t, unsigned indent);

/* "just now", "2 min ago", "3 h ago", "5 d ago", "in 5 min". */
void term_age(char *buf, size_t cap, time_t now, uint64_t t);
/* "3 h 58 min" for a span of d seconds. */
void term_span(char *buf, size_t cap, uint64_t d);

enum time_fmt { T_MINUTE, T_DAY, T_CLOCK };
time_t term_to_time(uint64_t t);
/* Local time: "2025-11-24 14:03" (T_MINUTE), "2025-11-24", or "14:03". */
void term_time(char *buf, size_t cap, uint64_t t, enum time_fmt fmt);
bool term_same_day(time_t a, time_t b);

/* "512 bytes", "1.5 KiB", "3.2 MiB" — in integers. */
void term_bytes(char *buf, size_t cap, uint64_t b);
/* "52.090700, -5.121400" from micro-degrees, without floating point. */
void term_point(char *buf, size_t cap, int64_t lat_e6, int64_t lon_e6);

#endif
