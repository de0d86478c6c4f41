/* SPDX-License-Identifier: EUPL-1.2 */
#include "since.h"

#include <string.h>

int since_parse(const char *s, int poll, uint64_t now, struct since *out)
{
	uint64_t v = 0;
	size_t n, digits = 0;

	memset(out, 0, sizeof(*out));
	if (!s || !*s) {
		out->kind = poll ? SINCE_ALL : SINCE_NOW;
		return 0;
	}
	if (!strcmp(s, "all")) {
		out->kind = SINCE_ALL;
		return 0;
	}
	if (!strcmp(s, "latest")) {
		out->kind = SINCE_LATEST;
		return 0;
	}
	n = strlen(s);
	while (digits < n && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits > 0 && digits <= 12) {
		for (size_t i = 0; i < digits; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		if (digits == n) { /* a Unix time */
			out->kind = SINCE_TIME;
			out->time = v;
			return 0;
		}
		if (digits + 1 == n) { /* a duration */
			uint64_t unit = s[n - 1] == 's' ? 1 : s[n - 1] == 'm' ? 60
				      : s[n - 1] == 'h' ? 3600 : s[n - 1] == 'd' ? 86400 : 0;
			if (unit && v <= 3650 * 86400ULL / unit) {
				out->kind = SINCE_TIME;
				out->time = v * unit >= now ? 0 : now - v * unit;
				return 0;
			}
		}
	}
	if (ring_id_valid(s)) {
		out->kind = SINCE_ID;
		memcpy(out->id, s, n + 1);
		return 0;
	}
	return -1;
}

uint64_t since_position(const struct since *s, struct ring *ring)
{
	uint64_t head = ring_head(ring);
	switch (s->kind) {
	case SINCE_ALL: return ring_after_id(ring, "");
	case SINCE_TIME: return ring_after_time(ring, s->time);
	case SINCE_ID: return ring_after_id(ring, s->id);
	case SINCE_LATEST: return head ? head - 1 : 0;
	default: return head;
	}
}

int since_request(const char *since, const char *poll, uint64_t now, struct ring *ring,
		  bool *polls, uint64_t *after)
{
	struct since s;
	*polls = poll && (!strcmp(poll, "1") || !strcmp(poll, "true") || !strcmp(poll, "yes"));
	if (since_parse(since, *polls, now, &s) < 0)
		return -1;
	*after = since_position(&s, ring);
	return 0;
}
