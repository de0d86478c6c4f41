/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * receipts.h — this household's receipts going out, and the counts going
 * to its watchers (PROTOCOL.md section 3.4). Only bookkeeping: the loop
 * tells receipts what was stored and seen, takes what is due, publishes it
 * through the node (node_receipt_publish) and has events.c tell the
 * counts; receipts calls nothing.
 *
 * Out: each alert from another household this daemon stores is noted as
 * delivered, each one a person here says they saw as seen (unless
 * receipts_seen = 0); RECEIPT_DELAY_MS after the first note, one receipt
 * carries all of them, so a burst of alerts makes one receipt, not one per
 * alert. In: the alerts whose counts a stored receipt changed are kept for
 * at most RECEIPT_DELAY_MS too, and then told to the watchers once each.
 */
#ifndef SAMEN_RECEIPTS_H
#define SAMEN_RECEIPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/receipt.h"

#define RECEIPT_DELAY_MS 3000
#define RECEIPT_READY_MAX 4     /* full receipts waiting for the loop */
#define RECEIPT_CHANGED_MAX 256 /* alerts whose counts wait to be told */

struct receipt_out {
	struct receipt rc;
	uint64_t expires;          /* the latest expiry of its alerts */
};

struct receipts {
	bool seen_on;              /* samend.conf receipts_seen */
	struct receipt_out cur;    /* what the next receipt says */
	uint64_t cur_due_ms;       /* 0: nothing noted */
	struct receipt_out ready[RECEIPT_READY_MAX]; /* full ones, due at once */
	size_t n_ready;
	uint8_t changed[RECEIPT_CHANGED_MAX][32];
	size_t n_changed;
	uint64_t changed_due_ms;   /* 0: nothing to tell */
	uint64_t sent, sent_bytes, failed, dropped;
};

/* An alert from another household was stored here / was seen by a person
 * here (expires: the alert's). */
void receipts_delivered(struct receipts *rs, const uint8_t id[32], uint64_t expires,
			uint64_t now_ms);
void receipts_seen(struct receipts *rs, const uint8_t id[32], uint64_t expires, uint64_t now_ms);
/* A stored receipt changed the counts of these alerts. */
void receipts_changed(struct receipts *rs, const struct receipt *rc, uint64_t now_ms);

/* When something is due (UINT64_MAX: nothing). */
uint64_t receipts_due_ms(const struct receipts *rs);
/* The next receipt due at now_ms, taken out into *out; false when none. */
bool receipts_take_due(struct receipts *rs, uint64_t now_ms, struct receipt_out *out);
/* What became of a receipt taken: ret (0 or a negative code) and its bytes.
 * A failure is counted and the receipt dropped: the next alert's receipt
 * is not held up by it. */
void receipts_sent(struct receipts *rs, int ret, size_t bytes);
/* Hands out the alerts whose counts are due to be told: up to cap ids into
 * out, the number returned; 0 when none is due. */
size_t receipts_take_changed(struct receipts *rs, uint64_t now_ms, uint8_t (*out)[32], size_t cap);

#endif
