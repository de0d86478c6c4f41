/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * rate.c — token buckets per (author, class) for everything a key other
 * than the founder can author.
 */
#include "rate.h"

#include <stdlib.h>
#include <string.h>

/* Membership records are rare in an honest neighbourhood (a street admits a
 * few households a year) but stay for good: a large burst for a busy
 * coordinator's evening, a slow refill against a flood. */
#define MEMBERSHIP_RATE_BURST 2048
#define MEMBERSHIP_RATE_PER_MINUTE 60

enum rate_class rate_class_of(const struct record *r)
{
	switch (r->kind) {
	case REC_CERT:
	case REC_REVOCATION:
	case REC_EPOCH:
		return memcmp(r->author, r->nbhd, 32) == 0 ? RATE_NONE : RATE_MEMBERSHIP;
	default:
		return RATE_RECORDS;
	}
}

static struct bucket *bucket_find(const struct rate_table *t, const uint8_t author[32],
				  enum rate_class cls)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->b[i].cls == cls && memcmp(t->b[i].author, author, 32) == 0)
			return &t->b[i];
	return NULL;
}

static void class_rate(const struct node_params *p, enum rate_class cls, double *burst,
		       double *per_minute)
{
	if (cls == RATE_MEMBERSHIP) {
		*burst = MEMBERSHIP_RATE_BURST;
		*per_minute = MEMBERSHIP_RATE_PER_MINUTE;
	} else {
		*burst = (double)p->rate_burst;
		*per_minute = (double)p->rate_per_minute;
	}
}

/* What b holds at now_ms, refilled; rate_take() and rate_exhausted() share
 * this so they cannot disagree. */
static double bucket_level(const struct node_params *p, const struct bucket *b,
			   uint64_t now_ms)
{
	double burst, per_minute;

	class_rate(p, b->cls, &burst, &per_minute);
	uint64_t since = now_ms > b->last_ms ? now_ms - b->last_ms : 0;
	double tokens = b->tokens + (double)since * per_minute / 60000.0;
	return tokens > burst ? burst : tokens;
}

bool rate_exhausted(const struct rate_table *t, const struct node_params *p,
		    const uint8_t author[32], enum rate_class cls, uint64_t now_ms)
{
	const struct bucket *b = cls == RATE_NONE ? NULL : bucket_find(t, author, cls);
	return b && bucket_level(p, b, now_ms) < 1.0;
}

/* Records beyond the rate are refused now and fetched again by a later
 * anti-entropy round, so a flood slows down without anything honest being
 * lost. */
bool rate_take(struct rate_table *t, const struct node_params *p, const uint8_t author[32],
	       enum rate_class cls, uint64_t now_ms)
{
	if (cls == RATE_NONE)
		return true;
	struct bucket *b = bucket_find(t, author, cls);
	if (!b) {
		double burst, per_minute;
		struct bucket *grown = realloc(t->b, (t->n + 1) * sizeof(*grown));
		if (!grown)
			return false;
		t->b = grown;
		b = &t->b[t->n++];
		memset(b, 0, sizeof(*b));
		memcpy(b->author, author, 32);
		b->cls = (uint8_t)cls;
		class_rate(p, cls, &burst, &per_minute);
		b->tokens = burst;
		b->last_ms = now_ms;
	}
	b->tokens = bucket_level(p, b, now_ms);
	b->last_ms = now_ms;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

void rate_table_free(struct rate_table *t)
{
	free(t->b);
	t->b = NULL;
	t->n = 0;
}
