/* SPDX-License-Identifier: EUPL-1.2 */
#include "args.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../keys/keytext.h"
#include "../proto/mp.h"
#include "../proto/nearest.h"

#define QUOTE_MAX 64

static int say(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	if (err && cap) {
		va_start(ap, fmt);
		/* a cut message is still a message: truncation is acceptable */
		(void)vsnprintf(err, cap, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Quotes s[0..len) into out: control bytes become '?', and text longer
 * than QUOTE_MAX - 4 bytes (or than out) is cut at a character boundary and
 * ended with "...". */
static void quote_n(const char *s, size_t len, char *out, size_t cap)
{
	size_t limit, keep, n = 0;
	bool cut = false;

	if (!cap)
		return;
	limit = cap - 1 < QUOTE_MAX - 4 ? cap - 1 : QUOTE_MAX - 4;
	keep = len;
	if (keep > limit) {
		cut = limit >= 3;
		keep = cut ? limit - 3 : limit;
		while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
			keep--;
	}
	for (size_t i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)s[i];
		out[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (cut) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

void args_quote(const char *s, char *out, size_t cap)
{
	quote_n(s, strlen(s), out, cap);
}

/* Digits only, overflow checked. Returns the number of digits read. */
static size_t digits(const char *s, uint64_t *v, bool *overflow)
{
	size_t i = 0;
	*v = 0;
	*overflow = false;
	while (s[i] >= '0' && s[i] <= '9') {
		unsigned d = (unsigned)(s[i] - '0');
		if (*v > (UINT64_MAX - d) / 10)
			*overflow = true;
		else
			*v = *v * 10 + d;
		i++;
	}
	return i;
}

int args_uint(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out,
	      char *err, size_t cap)
{
	char q[QUOTE_MAX];
	uint64_t v;
	bool overflow;
	size_t n = digits(s, &v, &overflow);

	args_quote(s, q, sizeof(q));
	if (n == 0 || s[n] != '\0')
		return say(err, cap, "%s: '%s' is not a whole number (expected %" PRIu64
			   " to %" PRIu64 ")", opt, q, min, max);
	if (overflow || v < min || v > max)
		return say(err, cap, "%s: %s is out of range (expected %" PRIu64 " to %" PRIu64 ")",
			   opt, q, min, max);
	*out = v;
	return 0;
}

int args_duration(const char *opt, const char *s, uint64_t max, uint64_t *out, char *err,
		  size_t cap)
{
	char q[QUOTE_MAX];
	uint64_t v, unit;
	bool overflow;
	size_t n = digits(s, &v, &overflow);

	args_quote(s, q, sizeof(q));
	if (n == 0 || (s[n] && s[n + 1]))
		return say(err, cap, "%s: '%s' is not a duration (write a number and a unit: "
			   "90s, 30m, 4h or 2d)", opt, q);
	switch (s[n]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case '\0':
		return say(err, cap, "%s: '%s' needs a unit: s, m, h or d (e.g. %sm or %sh)", opt,
			   q, q, q);
	default:
		return say(err, cap, "%s: '%s' has an unknown unit '%c' (use s, m, h or d)", opt,
			   q, s[n]);
	}
	if (overflow || v == 0 || v > max / unit)
		return say(err, cap, "%s: %s is out of range (1s to %" PRIu64 "d)", opt, q,
			   max / 86400);
	*out = v * unit;
	return 0;
}

/*
 * Parses [+-]D{1,3}[.D{1,6}] from s[0..len) into micro-degrees. Returns 0,
 * -EINVAL (not a number of that form) or -E2BIG (more than 6 decimals).
 */
static int degrees(const char *s, size_t len, int64_t *out)
{
	size_t i = 0, int_digits = 0, frac_digits = 0;
	int64_t ip = 0, fp = 0;
	bool neg = false;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	while (i < len && s[i] >= '0' && s[i] <= '9' && int_digits < 4) {
		ip = ip * 10 + (s[i++] - '0');
		int_digits++;
	}
	if (int_digits == 0 || int_digits > 3)
		return -EINVAL;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (++frac_digits > 6)
				return -E2BIG;
			fp = fp * 10 + (s[i++] - '0');
		}
		if (frac_digits == 0)
			return -EINVAL;
	}
	if (i != len)
		return -EINVAL;
	for (size_t k = frac_digits; k < 6; k++)
		fp *= 10;
	*out = (ip * 1000000 + fp) * (neg ? -1 : 1);
	return 0;
}

static int one_degree(const char *opt, const char *what, const char *s, size_t len,
		      int64_t limit_e6, int32_t *out, char *err, size_t cap)
{
	char q[QUOTE_MAX];
	int64_t v;
	int r;

	quote_n(s, len, q, sizeof(q));
	r = degrees(s, len, &v);
	if (r == -E2BIG)
		return say(err, cap, "%s: %s '%s' has more than 6 decimals (6 is about 10 cm; "
			   "round it)", opt, what, q);
	if (r < 0)
		return say(err, cap, "%s: %s '%s' is not a number of decimal degrees (e.g. "
			   "52.0907,5.1214)", opt, what, q);
	if (v < -limit_e6 || v > limit_e6)
		return say(err, cap, "%s: %s %s is out of range (-%" PRId64 " to %" PRId64 ")", opt,
			   what, q, limit_e6 / 1000000, limit_e6 / 1000000);
	*out = (int32_t)v;
	return 0;
}

int args_point(const char *opt, const char *s, int32_t *lat_e6, int32_t *lon_e6, char *err,
	       size_t cap)
{
	char q[QUOTE_MAX];
	const char *comma = strchr(s, ',');

	args_quote(s, q, sizeof(q));
	if (!comma || strchr(comma + 1, ','))
		return say(err, cap, "%s: '%s' is not LAT,LON in decimal degrees without spaces "
			   "(e.g. 52.0907,5.1214)", opt, q);
	if (one_degree(opt, "latitude", s, (size_t)(comma - s), 90000000, lat_e6, err, cap) < 0)
		return -EINVAL;
	return one_degree(opt, "longitude", comma + 1, strlen(comma + 1), 180000000, lon_e6, err,
			  cap);
}

int args_id(const char *opt, const char *s, char out[ARGS_ID_LEN], char *err, size_t cap)
{
	char q[QUOTE_MAX];
	size_t n = strlen(s), i;

	args_quote(s, q, sizeof(q));
	for (i = 0; i < n && i < ARGS_ID_LEN; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			break;
		out[i] = c;
	}
	if (n < 8 || n > 64 || i != n)
		return say(err, cap, "%s: '%s' is not a signal id (expected 8 to 64 hexadecimal "
			   "characters, as 'samen list' shows them)", opt, q);
	out[n] = '\0';
	return 0;
}

int args_key(const char *opt, const char *s, char *out, char *err, size_t cap)
{
	char q[QUOTE_MAX];
	uint8_t pk[32];

	args_quote(s, q, sizeof(q));
	if (keytext_decode(s, pk) < 0)
		return say(err, cap, "%s: '%s' is not a public key (expected the 43-character "
			   "text form that 'samen pending' or 'samen members' shows)", opt, q);
	keytext_encode(pk, out);
	return 0;
}

int args_text(const char *opt, const char *s, size_t max, bool nonempty, char *err, size_t cap)
{
	size_t n = strlen(s);

	if (n > max)
		return say(err, cap, "%s is %zu bytes long; at most %zu are allowed (shorten it)",
			   opt, n, max);
	if (!mp_text_ok(s, n))
		return say(err, cap, "%s holds a control character or invalid UTF-8; only "
			   "printable text, newlines and tabs are allowed", opt);
	if (nonempty && strspn(s, " \t\n") == n)
		return say(err, cap, "%s is empty; say it in a few words", opt);
	return 0;
}

int args_nearest(const char *typed, const char *const *names, size_t n)
{
	size_t best = SIZE_MAX, len = strlen(typed);
	int at = -1;

	for (size_t i = 0; i < n; i++) {
		size_t d = nearest_distance(typed, names[i]);
		if (d < best) {
			best = d;
			at = (int)i;
		}
	}
	return best <= 2 && best * 2 < len ? at : -1;
}
