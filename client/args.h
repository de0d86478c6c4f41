/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * args.h — strict parsing of the values a person types on samen's command
 * line. Each parser returns 0, or -EINVAL after writing into err a sentence
 * that names the option (opt, e.g. "--limit"), quotes the bad value and says
 * what would be accepted. Nothing here prints.
 */
#ifndef SAMEN_CLIENT_ARGS_H
#define SAMEN_CLIENT_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARGS_ERR_MAX 256
#define ARGS_ID_LEN 65 /* 64 hex characters + NUL */

/* A decimal whole number in [min, max]: digits only, no sign, no spaces. */
int args_uint(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out,
	      char *err, size_t cap);

/* A duration: a whole number and one unit, s, m, h or d ("30m", "4h",
 * "2d"), stored as seconds in [1, max]. A bare number is refused: "4" could
 * mean anything. */
int args_duration(const char *opt, const char *s, uint64_t max, uint64_t *out, char *err,
		  size_t cap);

/* "LAT,LON" in decimal degrees with at most 6 decimals, as integers of
 * micro-degrees (no floating point anywhere). |lat| <= 90, |lon| <= 180. */
int args_point(const char *opt, const char *s, int32_t *lat_e6, int32_t *lon_e6, char *err,
	       size_t cap);

/* A signal id or a prefix of one: 8 to 64 hexadecimal characters, written
 * to out in lowercase. */
int args_id(const char *opt, const char *s, char out[ARGS_ID_LEN], char *err, size_t cap);

/* A public key in text form (white space around it ignored), written to
 * out in its canonical 43-character form. out holds KEYTEXT_LEN bytes. */
int args_key(const char *opt, const char *s, char *out, char *err, size_t cap);

/* Text for a field of at most max bytes: UTF-8 without control characters
 * other than newline and tab (what every samen peer accepts); when
 * nonempty, at least one character that is not white space. */
int args_text(const char *opt, const char *s, size_t max, bool nonempty, char *err, size_t cap);

/* The index of the name in names[0..n) closest to typed (a mistyped
 * option or command: at most two letters added, dropped, changed or
 * swapped, and fewer than half of it), or -1 when none is that close. */
int args_nearest(const char *typed, const char *const *names, size_t n);

/* Writes s into out as a quotable excerpt for an error message: control
 * bytes become '?', and more than 60 bytes are cut with "...". */
void args_quote(const char *s, char *out, size_t cap);

#endif
