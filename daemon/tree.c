/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * tree.c — the push tree's bookkeeping (epidemic broadcast trees, Leitão,
 * Pereira and Rodrigues): ids announced lazily (IHAVE) and awaited, grafts
 * when they do not come, PRUNE. gossip.c decides what goes out eagerly.
 */
#include <stdlib.h>
#include <string.h>

#include "outq.h"
#include "tree.h"
#include "../proto/link.h"

/* How long a lazily announced record may lag before we graft it. Adaptive:
 * 1.5 times how late eager copies have been coming after their ids (a
 * decaying maximum), within these bounds. A tree edge that died shows as ids
 * with no copy; waiting the full upper bound for each made the tail slow. */
#define GRAFT_WAIT_MIN_MS 40
#define GRAFT_WAIT_MAX_MS 250
#define GRAFT_LAG_DECAY 0.9
#define GRAFT_TRIES 3
/* Announced ids one link may have us wait for: one link cannot take the
 * whole table (MISSING_MAX) from the others. */
#define IHAVE_PENDING_PER_LINK 512

void tree_send_ids(struct tree *t, struct link *l, uint8_t type, const uint8_t *ids, size_t n)
{
	for (size_t off = 0; off < n && l->used; off += LINK_IDS_MAX) {
		size_t k = n - off < LINK_IDS_MAX ? n - off : LINK_IDS_MAX;
		struct mp_buf b;
		mp_buf_init(&b);
		if (link_encode_ids(&b, type, l->nbhd, ids + off * 32, k) == 0 &&
		    net_send(t->net, l, b.sb.data, b.sb.size) == 0) {
			if (type == LINK_IHAVE)
				t->ihave_ids_sent += k;
			else
				t->grafts_sent += k;
		}
		mp_buf_destroy(&b);
	}
}

static uint64_t graft_wait_ms(const struct tree *t)
{
	double w = 1.5 * t->graft_lag_ms;
	return w < GRAFT_WAIT_MIN_MS ? GRAFT_WAIT_MIN_MS
	       : w > GRAFT_WAIT_MAX_MS ? GRAFT_WAIT_MAX_MS
				       : (uint64_t)w;
}

/*
 * Every link starts eager: new records go out in full. A record that
 * arrives a second time by push tells us the tree has a redundant edge: we
 * PRUNE that link, and its sender then announces only ids to us (IHAVE). An
 * id we lack when its deadline passes is fetched with GRAFT, which also
 * makes that link eager again: the tree repairs itself where an eager link
 * died. Version-vector anti-entropy (gossip.c) stays the safety net.
 */

static void missing_remove(struct tree *t, size_t i)
{
	t->missing[i] = t->missing[--t->n_missing];
}

void tree_arrived(struct tree *t, const uint8_t id[32], uint64_t now)
{
	for (size_t i = 0; i < t->n_missing; i++)
		if (memcmp(t->missing[i].id, id, 32) == 0) {
			/* announced before it came: learn how late copies run
			 * (only ungrafted ones say how slow the tree is) */
			if (t->missing[i].tries == 0) {
				double lag = (double)(now - t->missing[i].first_ms);
				t->graft_lag_ms *= GRAFT_LAG_DECAY;
				if (lag > t->graft_lag_ms)
					t->graft_lag_ms = lag;
			}
			missing_remove(t, i);
			return;
		}
}

void tree_link_closed(struct tree *t, const struct link *l)
{
	/* announcements from this link can no longer be grafted from it */
	int idx = net_link_index(t->net, l);
	for (size_t i = 0; i < t->n_missing; i++) {
		struct missing *m = &t->missing[i];
		if (m->link == idx) {
			m->link = m->alt;
			m->alt = -1;
		} else if (m->alt == idx) {
			m->alt = -1;
		}
	}
}

void tree_on_ihave(struct tree *t, struct link *l, const struct link_msg *m)
{
	uint64_t now = daemon_now_ms();
	int idx = net_link_index(t->net, l);
	size_t mine = 0; /* what this link has announced and we wait for */
	for (size_t i = 0; i < t->n_missing; i++)
		mine += t->missing[i].link == idx;
	for (size_t k = 0; k < m->n_ids; k++) {
		const uint8_t *id = m->ids + k * 32;
		if (store_has(t->node->store, id) == 1 || node_is_retracted(t->node, id))
			continue;
		size_t i;
		for (i = 0; i < t->n_missing; i++)
			if (memcmp(t->missing[i].id, id, 32) == 0)
				break;
		if (i < t->n_missing) {
			if (t->missing[i].link != idx)
				t->missing[i].alt = idx;
			continue;
		}
		if (t->n_missing == MISSING_MAX || mine >= IHAVE_PENDING_PER_LINK) {
			t->bounds[BOUND_IHAVE_REFUSED]++;
			continue; /* anti-entropy will bring it */
		}
		mine++;
		struct missing *ms = &t->missing[t->n_missing++];
		memcpy(ms->id, id, 32);
		ms->link = idx;
		ms->alt = -1;
		ms->first_ms = now;
		ms->deadline_ms = now + graft_wait_ms(t);
		ms->tries = 0;
	}
}

uint64_t tree_next_due(const struct tree *t)
{
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; i < t->n_missing; i++)
		if (t->missing[i].deadline_ms < next)
			next = t->missing[i].deadline_ms;
	return next;
}

void tree_timers(struct tree *t, uint64_t now)
{
	for (size_t i = 0; i < t->n_missing;) {
		struct missing *m = &t->missing[i];
		if (store_has(t->node->store, m->id) == 1 || m->link < 0 || m->tries >= GRAFT_TRIES) {
			missing_remove(t, i);
			continue;
		}
		if (now >= m->deadline_ms) {
			struct link *l = net_link(t->net, (size_t)m->link);
			if (l->used && l->up) {
				l->lazy = false; /* a graft makes the edge part of the tree */
				tree_send_ids(t, l, LINK_GRAFT, m->id, 1);
			}
			m->tries++;
			m->deadline_ms = now + graft_wait_ms(t);
			if (m->alt >= 0) { /* next time, ask the other announcer */
				int first = m->link;
				m->link = m->alt;
				m->alt = first;
			}
		}
		i++;
	}
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* Answers a GRAFT with each record it names once, and only while the peer
 * reads what we send: a record named thousands of times, or asked for again
 * and again by a peer that never reads, would otherwise fill our memory. */
void tree_on_graft(struct tree *t, struct link *l, const struct link_msg *m)
{
	static uint8_t ids[LINK_IDS_MAX * 32]; /* one loop thread */
	l->lazy = false;
	if (!linkq_empty(&l->backlog)) {
		t->bounds[BOUND_GRAFT_REFUSED] += m->n_ids;
		return;
	}
	memcpy(ids, m->ids, m->n_ids * 32);
	qsort(ids, m->n_ids, 32, id_cmp);
	for (size_t k = 0; k < m->n_ids; k++) {
		uint8_t *buf;
		size_t len;
		if (k > 0 && memcmp(ids + k * 32, ids + (k - 1) * 32, 32) == 0) {
			t->bounds[BOUND_GRAFT_REFUSED]++;
			continue;
		}
		if (store_get(t->node->store, ids + k * 32, &buf, &len) == 0) {
			(void)outq_add(&l->reply, buf, len);
			free(buf);
		}
	}
}

/*
 * Whether a link other than l still carries full records to and from us.
 * Prunes answer duplicates, and two records broadcast at the same time
 * from different households prune different edges of the same cycle: a
 * household can lose every eager link that way, and then its own alerts go
 * out as ids only, everyone waiting for an IHAVE and a graft (measured at
 * N = 300 once the neighbourhood had formed: 100 households had none). So
 * the last eager link of a household is never pruned, by either end.
 */
bool tree_other_eager_link(const struct tree *t, const struct link *l)
{
	for (size_t i = 0; i < net_link_slots(t->net); i++) {
		const struct link *o = net_link(t->net, i);
		if (o != l && o->used && o->up && !o->lazy && o->has_nbhd &&
		    memcmp(o->nbhd, l->nbhd, 32) == 0)
			return true;
	}
	return false;
}

/* A PRUNE on our last eager link is refused with an empty GRAFT, which
 * makes the sender's end eager again (tree_on_graft). */
void tree_on_prune(struct tree *t, struct link *l)
{
	if (tree_other_eager_link(t, l)) {
		l->lazy = true;
		return;
	}
	struct mp_buf b;
	mp_buf_init(&b);
	if (link_encode_ids(&b, LINK_GRAFT, l->nbhd, (const uint8_t *)"", 0) == 0)
		(void)net_send(t->net, l, b.sb.data, b.sb.size);
	mp_buf_destroy(&b);
}

void tree_send_prune(struct tree *t, struct link *l)
{
	struct mp_buf b;
	mp_buf_init(&b);
	if (link_encode_prune(&b, l->nbhd) == 0 && net_send(t->net, l, b.sb.data, b.sb.size) == 0)
		t->prunes_sent++;
	mp_buf_destroy(&b);
}

