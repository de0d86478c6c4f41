/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * rate.h — how fast each key may have records accepted: a token bucket per
 * (author, class), refused records fetched again by a later anti-entropy
 * round once the bucket refills.
 */
#ifndef SAMEN_RATE_H
#define SAMEN_RATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../proto/record.h"
#include "node_types.h"

/* The buckets a record may draw from: everything a non-founder can author
 * is rate-limited, membership records in a bucket of their own (rare, but
 * permanent, so a flood of them would fill the store for good). */
enum rate_class {
	RATE_NONE = 0,   /* the founder's membership records */
	RATE_RECORDS,    /* signals, peers, retractions, announcements */
	RATE_MEMBERSHIP, /* certificates, revocations, epoch keys */
};

enum rate_class rate_class_of(const struct record *r);

/* Whether author's bucket of class cls is empty at now_ms, changing
 * nothing (safe to run on the verify workers). An author without a bucket
 * has spent nothing: not empty. */
bool rate_exhausted(const struct rate_table *t, const struct node_params *p,
		    const uint8_t author[32], enum rate_class cls, uint64_t now_ms);

/* Takes one token (false when empty or out of memory). RATE_NONE always
 * succeeds. */
bool rate_take(struct rate_table *t, const struct node_params *p, const uint8_t author[32],
	       enum rate_class cls, uint64_t now_ms);

void rate_table_free(struct rate_table *t);

#endif
