/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * receipts.c — see receipts.h.
 */
#include "receipts.h"

#include <string.h>

static bool listed(const uint8_t (*ids)[32], size_t n, const uint8_t id[32])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(ids[i], id, 32) == 0)
			return true;
	return false;
}

/* The current receipt is full: it waits among the ready ones (or, past
 * those, is counted and dropped) and a new one begins. */
static void full(struct receipts *rs, uint64_t now_ms)
{
	if (rs->n_ready < RECEIPT_READY_MAX)
		rs->ready[rs->n_ready++] = rs->cur;
	else
		rs->dropped++;
	memset(&rs->cur, 0, sizeof(rs->cur));
	rs->cur_due_ms = now_ms + RECEIPT_DELAY_MS;
}

static void note(struct receipts *rs, bool seen, const uint8_t id[32], uint64_t expires,
		 uint64_t now_ms)
{
	struct receipt *rc = &rs->cur.rc;
	uint8_t(*ids)[32] = seen ? rc->seen : rc->delivered;
	size_t *n = seen ? &rc->n_seen : &rc->n_delivered;
	if (listed((const uint8_t(*)[32])ids, *n, id))
		return;
	if (rc->n_delivered + rc->n_seen == RECEIPT_IDS_MAX)
		full(rs, now_ms);
	memcpy(ids[(*n)++], id, 32);
	if (expires > rs->cur.expires)
		rs->cur.expires = expires;
	if (!rs->cur_due_ms)
		rs->cur_due_ms = now_ms + RECEIPT_DELAY_MS;
}

void receipts_delivered(struct receipts *rs, const uint8_t id[32], uint64_t expires,
			uint64_t now_ms)
{
	note(rs, false, id, expires, now_ms);
}

void receipts_seen(struct receipts *rs, const uint8_t id[32], uint64_t expires, uint64_t now_ms)
{
	if (rs->seen_on)
		note(rs, true, id, expires, now_ms);
}

void receipts_changed(struct receipts *rs, const struct receipt *rc, uint64_t now_ms)
{
	const uint8_t(*lists[2])[32] = {(const uint8_t(*)[32])rc->delivered,
					(const uint8_t(*)[32])rc->seen};
	size_t ns[2] = {rc->n_delivered, rc->n_seen};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < ns[l]; i++)
			if (!listed((const uint8_t(*)[32])rs->changed, rs->n_changed, lists[l][i]) &&
			    rs->n_changed < RECEIPT_CHANGED_MAX)
				memcpy(rs->changed[rs->n_changed++], lists[l][i], 32);
	if (rs->n_changed && !rs->changed_due_ms)
		rs->changed_due_ms = now_ms + RECEIPT_DELAY_MS;
}

uint64_t receipts_due_ms(const struct receipts *rs)
{
	uint64_t due = rs->n_ready ? 0 : UINT64_MAX;
	if (rs->cur_due_ms && rs->cur_due_ms < due)
		due = rs->cur_due_ms;
	if (rs->changed_due_ms && rs->changed_due_ms < due)
		due = rs->changed_due_ms;
	return due;
}

bool receipts_take_due(struct receipts *rs, uint64_t now_ms, struct receipt_out *out)
{
	if (rs->n_ready) {
		*out = rs->ready[0];
		memmove(rs->ready, rs->ready + 1, (rs->n_ready - 1) * sizeof(rs->ready[0]));
		rs->n_ready--;
		return true;
	}
	if (!rs->cur_due_ms || rs->cur_due_ms > now_ms)
		return false;
	*out = rs->cur;
	memset(&rs->cur, 0, sizeof(rs->cur));
	rs->cur_due_ms = 0;
	return true;
}

void receipts_sent(struct receipts *rs, int ret, size_t bytes)
{
	if (ret < 0) {
		rs->failed++;
		return;
	}
	rs->sent++;
	rs->sent_bytes += bytes;
}

size_t receipts_take_changed(struct receipts *rs, uint64_t now_ms, uint8_t (*out)[32], size_t cap)
{
	if (!rs->changed_due_ms || rs->changed_due_ms > now_ms)
		return 0;
	size_t n = rs->n_changed < cap ? rs->n_changed : cap;
	memcpy(out, rs->changed, n * 32);
	memmove(rs->changed, rs->changed + n, (rs->n_changed - n) * 32);
	rs->n_changed -= n;
	rs->changed_due_ms = rs->n_changed ? now_ms : 0;
	return n;
}
