/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * tree.c — the push tree's bookkeeping (epidemic broadcast trees, Leitão,
 * Pereira and Rodrigues): ids announced lazily (IHAVE) and awaited, grafts
 * when they do not come, PRUNE. gossip.c decides what goes out eagerly.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
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

void tree_send_ids(struct daemon *d, struct link *l, uint8_t type, const uint8_t *ids, size_t n)
{
	for (size_t off = 0; off < n && l->used; off += LINK_IDS_MAX) {
		size_t k = n - off < LINK_IDS_MAX ? n - off : LINK_IDS_MAX;
		struct mp_buf b;
		mp_buf_init(&b);
		if (link_encode_ids(&b, type, l->nbhd, ids + off * 32, k) == 0 &&
		    net_send(d, l, b.sb.data, b.sb.size) == 0) {
			if (type == LINK_IHAVE)
				d->sent_ihave_ids += k;
			else
				d->sent_grafts += k;
		}
		mp_buf_destroy(&b);
	}
}

static uint64_t graft_wait_ms(const struct daemon *d)
{
	double w = 1.5 * d->graft_lag_ms;
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

static void missing_remove(struct daemon *d, size_t i)
{
	d->missing[i] = d->missing[--d->n_missing];
}

void tree_arrived(struct daemon *d, const uint8_t id[32], uint64_t now)
{
	for (size_t i = 0; i < d->n_missing; i++)
		if (memcmp(d->missing[i].id, id, 32) == 0) {
			/* announced before it came: learn how late copies run
			 * (only ungrafted ones say how slow the tree is) */
			if (d->missing[i].tries == 0) {
				double lag = (double)(now - d->missing[i].first_ms);
				d->graft_lag_ms *= GRAFT_LAG_DECAY;
				if (lag > d->graft_lag_ms)
					d->graft_lag_ms = lag;
			}
			missing_remove(d, i);
			return;
		}
}

void tree_link_closed(struct daemon *d, const struct link *l)
{
	/* announcements from this link can no longer be grafted from it */
	int idx = net_link_index(d, l);
	for (size_t i = 0; i < d->n_missing; i++) {
		struct missing *m = &d->missing[i];
		if (m->link == idx) {
			m->link = m->alt;
			m->alt = -1;
		} else if (m->alt == idx) {
			m->alt = -1;
		}
	}
}

void tree_on_ihave(struct daemon *d, struct link *l, const struct link_msg *m)
{
	uint64_t now = daemon_now_ms();
	int idx = net_link_index(d, l);
	size_t mine = 0; /* what this link has announced and we wait for */
	for (size_t i = 0; i < d->n_missing; i++)
		mine += d->missing[i].link == idx;
	for (size_t k = 0; k < m->n_ids; k++) {
		const uint8_t *id = m->ids + k * 32;
		if (store_has(d->node.store, id) == 1 || node_is_retracted(&d->node, id))
			continue;
		size_t i;
		for (i = 0; i < d->n_missing; i++)
			if (memcmp(d->missing[i].id, id, 32) == 0)
				break;
		if (i < d->n_missing) {
			if (d->missing[i].link != idx)
				d->missing[i].alt = idx;
			continue;
		}
		if (d->n_missing == MISSING_MAX || mine >= IHAVE_PENDING_PER_LINK) {
			d->counters_bounds[BOUND_IHAVE_REFUSED]++;
			continue; /* anti-entropy will bring it */
		}
		mine++;
		struct missing *ms = &d->missing[d->n_missing++];
		memcpy(ms->id, id, 32);
		ms->link = idx;
		ms->alt = -1;
		ms->first_ms = now;
		ms->deadline_ms = now + graft_wait_ms(d);
		ms->tries = 0;
	}
}

uint64_t tree_next_due(const struct daemon *d)
{
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; i < d->n_missing; i++)
		if (d->missing[i].deadline_ms < next)
			next = d->missing[i].deadline_ms;
	if (d->ihave_due_ms && d->ihave_due_ms < next)
		next = d->ihave_due_ms;
	return next;
}

void tree_timers(struct daemon *d, uint64_t now)
{
	for (size_t i = 0; i < d->n_missing;) {
		struct missing *m = &d->missing[i];
		if (store_has(d->node.store, m->id) == 1 || m->link < 0 || m->tries >= GRAFT_TRIES) {
			missing_remove(d, i);
			continue;
		}
		if (now >= m->deadline_ms) {
			struct link *l = &d->links[m->link];
			if (l->used && l->up) {
				l->lazy = false; /* a graft makes the edge part of the tree */
				tree_send_ids(d, l, LINK_GRAFT, m->id, 1);
			}
			m->tries++;
			m->deadline_ms = now + graft_wait_ms(d);
			if (m->alt >= 0) { /* next time, ask the other announcer */
				int t = m->link;
				m->link = m->alt;
				m->alt = t;
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
void tree_on_graft(struct daemon *d, struct link *l, const struct link_msg *m)
{
	static uint8_t ids[LINK_IDS_MAX * 32]; /* one loop thread */
	l->lazy = false;
	if (!linkq_empty(&l->backlog)) {
		d->counters_bounds[BOUND_GRAFT_REFUSED] += m->n_ids;
		return;
	}
	memcpy(ids, m->ids, m->n_ids * 32);
	qsort(ids, m->n_ids, 32, id_cmp);
	for (size_t k = 0; k < m->n_ids; k++) {
		uint8_t *buf;
		size_t len;
		if (k > 0 && memcmp(ids + k * 32, ids + (k - 1) * 32, 32) == 0) {
			d->counters_bounds[BOUND_GRAFT_REFUSED]++;
			continue;
		}
		if (store_get(d->node.store, ids + k * 32, &buf, &len) == 0) {
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
bool tree_other_eager_link(const struct daemon *d, const struct link *l)
{
	for (size_t i = 0; i < d->n_links; i++) {
		const struct link *o = &d->links[i];
		if (o != l && o->used && o->up && !o->lazy && o->has_nbhd &&
		    memcmp(o->nbhd, l->nbhd, 32) == 0)
			return true;
	}
	return false;
}

/* A PRUNE on our last eager link is refused with an empty GRAFT, which
 * makes the sender's end eager again (tree_on_graft). */
void tree_on_prune(struct daemon *d, struct link *l)
{
	if (tree_other_eager_link(d, l)) {
		l->lazy = true;
		return;
	}
	struct mp_buf b;
	mp_buf_init(&b);
	if (link_encode_ids(&b, LINK_GRAFT, l->nbhd, (const uint8_t *)"", 0) == 0)
		(void)net_send(d, l, b.sb.data, b.sb.size);
	mp_buf_destroy(&b);
}

void tree_send_prune(struct daemon *d, struct link *l)
{
	struct mp_buf b;
	mp_buf_init(&b);
	if (link_encode_prune(&b, l->nbhd) == 0 && net_send(d, l, b.sb.data, b.sb.size) == 0)
		d->sent_prunes++;
	mp_buf_destroy(&b);
}

