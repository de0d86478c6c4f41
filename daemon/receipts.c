/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * receipts.c — see receipts.h.
 */
#include "receipts.h"

#include <string.h>

#include <sodium.h>

#include "log.h"
#include "node_epoch.h"
#include "../proto/signal.h"

static bool listed(const uint8_t (*ids)[32], size_t n, const uint8_t id[32])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(ids[i], id, 32) == 0)
			return true;
	return false;
}

static void note(struct receipts *rs, uint8_t (*ids)[32], size_t *n, const uint8_t id[32],
		 uint64_t expires, uint64_t now_ms)
{
	if (listed((const uint8_t(*)[32])ids, *n, id))
		return;
	if (rs->out.n_delivered + rs->out.n_seen == RECEIPT_IDS_MAX)
		receipts_send_due(rs, UINT64_MAX); /* full: out now, start another */
	memcpy(ids[(*n)++], id, 32);
	if (expires > rs->out_expires)
		rs->out_expires = expires;
	if (!rs->out_due_ms)
		rs->out_due_ms = now_ms + RECEIPT_DELAY_MS;
}

void receipts_delivered(struct receipts *rs, const uint8_t id[32], uint64_t expires,
			uint64_t now_ms)
{
	note(rs, rs->out.delivered, &rs->out.n_delivered, id, expires, now_ms);
}

void receipts_seen(struct receipts *rs, const uint8_t id[32], uint64_t expires, uint64_t now_ms)
{
	if (rs->seen_on)
		note(rs, rs->out.seen, &rs->out.n_seen, id, expires, now_ms);
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
	uint64_t due = UINT64_MAX;
	if (rs->out_due_ms)
		due = rs->out_due_ms;
	if (rs->changed_due_ms && rs->changed_due_ms < due)
		due = rs->changed_due_ms;
	return due;
}

static int publish(struct receipts *rs, size_t *bytes)
{
	uint8_t plain[SIGNAL_PLAIN_MAX];
	size_t len = 0;
	struct record r;
	struct signal_buf sb;
	const struct epoch *e = node_current_epoch(rs->node);
	if (!e)
		return SAMEN_ENOKEY;
	receipt_normalise(&rs->out);
	int ret = receipt_encode(&rs->out, plain, sizeof(plain), &len);
	if (ret == 0)
		ret = node_prepare(rs->node, &r, REC_SIGNAL);
	if (ret == 0) {
		/* kept as long as the alerts it speaks of, no longer */
		uint64_t expires = rs->out_expires > r.created ? rs->out_expires : r.created + 60;
		ret = signal_encrypt_bytes(&r, plain, len, e->id, e->key, NULL, 0, expires, &sb);
		if (ret < 0)
			node_abandon(rs->node, &r);
		else
			ret = node_publish(rs->node, &r, NULL);
		*bytes = r.body_len + 64;
	}
	sodium_memzero(plain, sizeof(plain));
	return ret;
}

void receipts_send_due(struct receipts *rs, uint64_t now_ms)
{
	if (!rs->out_due_ms || rs->out_due_ms > now_ms)
		return;
	size_t bytes = 0;
	int ret = publish(rs, &bytes);
	if (ret < 0) {
		rs->failed++;
		log_msg(SLOG_DEBUG, "receipt not sent: %s", samen_strerror(ret));
	} else {
		rs->sent++;
		rs->sent_bytes += bytes;
	}
	memset(&rs->out, 0, sizeof(rs->out));
	rs->out_expires = 0;
	rs->out_due_ms = 0;
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
