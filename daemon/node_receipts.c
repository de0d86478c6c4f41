/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node_receipts.c — see node_receipts.h.
 */
#include "node_receipts.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node_epoch.h"
#include "../proto/signal.h"

bool node_receipt_open(const node_t *n, const struct record *r, struct receipt *rc)
{
	uint8_t plain[SIGNAL_PLAIN_MAX];
	size_t len = 0;
	if (r->kind != REC_SIGNAL)
		return false;
	const struct epoch *e = node_epoch_by_id(n, r->u.signal.epoch_id);
	/* a receipt is sealed to no authority: only the epoch key opens it */
	bool ok = e && e->key && r->u.signal.n_sealed == 0 &&
		  signal_decrypt_member_bytes(r, e->key, plain, &len) == 0 && len > 1 &&
		  receipt_decode(plain, len, rc) == 0;
	sodium_memzero(plain, sizeof(plain));
	return ok;
}

static struct receipt_mark *find(const node_t *n, const uint8_t id[32], const uint8_t author[32])
{
	for (size_t i = 0; i < n->n_marks; i++)
		if (memcmp(n->marks[i].signal, id, 32) == 0 &&
		    memcmp(n->marks[i].author, author, 32) == 0)
			return &n->marks[i];
	return NULL;
}

static void mark(node_t *n, const uint8_t id[32], const uint8_t author[32], bool seen)
{
	struct receipt_mark *m = find(n, id, author);
	if (m) {
		m->seen |= seen; /* delivered stays; seen only ever adds */
		return;
	}
	if (n->n_marks == NODE_RECEIPT_MARKS_MAX) {
		n->receipts_dropped++;
		return;
	}
	if (n->n_marks == n->cap_marks) {
		size_t cap = n->cap_marks ? n->cap_marks * 2 : 64;
		struct receipt_mark *grown = realloc(n->marks, cap * sizeof(*grown));
		if (!grown) {
			n->receipts_dropped++;
			return;
		}
		n->marks = grown;
		n->cap_marks = cap;
	}
	m = &n->marks[n->n_marks++];
	memcpy(m->signal, id, 32);
	memcpy(m->author, author, 32);
	m->seen = seen;
}

bool node_receipt_add(node_t *n, const struct record *r)
{
	struct receipt rc;
	if (!node_receipt_open(n, r, &rc))
		return false;
	n->receipts_stored++;
	for (size_t i = 0; i < rc.n_delivered; i++)
		mark(n, rc.delivered[i], r->author, false);
	for (size_t i = 0; i < rc.n_seen; i++)
		mark(n, rc.seen[i], r->author, true);
	return true;
}

void node_receipt_counts(const node_t *n, const uint8_t id[32], const uint8_t author[32],
			 unsigned *delivered, unsigned *seen)
{
	*delivered = *seen = 0;
	for (size_t i = 0; i < n->n_marks; i++) {
		if (memcmp(n->marks[i].signal, id, 32) != 0 ||
		    memcmp(n->marks[i].author, author, 32) == 0)
			continue;
		(*delivered)++;
		*seen += n->marks[i].seen;
	}
}

unsigned node_households(const node_t *n)
{
	const struct epoch *e = node_current_epoch(n);
	return e ? (unsigned)e->n_members : 0;
}

void node_receipts_clear(node_t *n)
{
	free(n->marks);
	n->marks = NULL;
	n->n_marks = n->cap_marks = 0;
}
