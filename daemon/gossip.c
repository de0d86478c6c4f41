/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * gossip.c — what travels over links, the send side: a push tree (full
 * records on the links that delivered first, ids on the rest, a graft when
 * an id's record does not follow; or plain eager push with `gossip =
 * eager`), and version-vector anti-entropy (hash, then the vector on a
 * mismatch, then exactly the missing records) on every new link and every
 * `anti_entropy_seconds`. The push tree's own bookkeeping (IHAVE, GRAFT,
 * PRUNE) is tree.c; messages coming in are decoded in gossip_recv.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "gossip.h"
#include "gossip_int.h"
#include "log.h"
#include "outq.h"
#include "tree.h"
#include "../proto/link.h"

#define PUSH_BYTES_MAX (512u * 1024) /* one RECORDS message */
#define CATCHUP_RECORDS_MAX 20000    /* per VV answer; the rest next round */

/* Ids are announced this long after the record was stored, in one IHAVE per
 * link. An announcement costs a receiver as much as a full copy (a wake-up,
 * a CURVE box, a message), and a household has about twice active_links
 * links: sent at once, the ids compete with the eager wave for the CPU and
 * slow it (measured at N = 100 on 2 cores: p50 110-180 ms with 15 ms, 45-57
 * ms with 100 ms). Late, they are only the safety net they are meant to be,
 * and records that come close together share one announcement. */
#define IHAVE_DELAY_MS 100
#define PEER_RETRY_MS 2000

bool gossip_tree_mode(const struct gossip *g)
{
	return g->cfg->gossip == CONFIG_GOSSIP_TREE;
}

/* Sends a queue of full records as RECORDS (push) or REPLY messages, each
 * within the count and byte caps. */
static void flush_records(struct gossip *g, struct link *l, struct outq *q, uint8_t type)
{
	size_t off = 0;
	while (off < q->len && l->used) {
		size_t start = off, n = 0, bytes = 0;
		const uint8_t *data;
		while (off < q->len && n < LINK_RECORDS_MAX) {
			size_t len = outq_entry(q, off, &data);
			if (n > 0 && bytes + len > PUSH_BYTES_MAX)
				break;
			bytes += len;
			off += 4 + len;
			n++;
		}
		struct mp_buf b;
		mp_buf_init(&b);
		int ret = link_records_begin_type(&b, type, n);
		for (size_t k = start; ret == 0 && k < off;) {
			size_t len = outq_entry(q, k, &data);
			ret = mp_pack_bin(&b.pk, data, len);
			k += 4 + len;
		}
		if (ret == 0)
			ret = net_send(g->net, l, b.sb.data, b.sb.size);
		if (ret == 0) {
			g->counters.records += n;
			g->counters.record_bytes += bytes;
		} else if (ret == -ENOBUFS) {
			/* the peer reads too little: anti-entropy brings these later */
			g->counters.bounds[type == LINK_REPLY ? BOUND_REPLY_DEFERRED
							     : BOUND_PUSH_DROPPED] += n;
		}
		mp_buf_destroy(&b);
	}
	if (l->used)
		outq_clear(q);
}

static void flush_link(struct gossip *g, struct link *l, bool announce)
{
	if (l->push.n)
		flush_records(g, l, &l->push, LINK_RECORDS);
	if (l->used && l->reply.n)
		flush_records(g, l, &l->reply, LINK_REPLY);
	if (l->used && l->ihave.n && announce) {
		/* the ihave queue holds bare ids: pack them contiguously */
		uint8_t *ids = malloc(l->ihave.n * 32);
		size_t k = 0;
		const uint8_t *data;
		for (size_t off = 0; ids && off < l->ihave.len; k++)
			off += 4 + outq_entry(&l->ihave, off, &data), memcpy(ids + k * 32, data, 32);
		if (ids)
			tree_send_ids(&g->tree, l, LINK_IHAVE, ids, k);
		free(ids);
		if (l->used)
			outq_clear(&l->ihave);
	}
}

void gossip_flush(struct gossip *g)
{
	bool announce = g->ihave_due_ms && daemon_now_ms() >= g->ihave_due_ms;
	for (size_t i = 0; i < net_link_slots(g->net); i++) {
		struct link *l = net_link(g->net, i);
		if (l->used && (l->push.n || l->reply.n || (announce && l->ihave.n)))
			flush_link(g, l, announce);
	}
	if (announce)
		g->ihave_due_ms = 0;
}

void gossip_link_closed(struct gossip *g, struct link *l)
{
	free(l->vv_wait);
	l->vv_wait = NULL;
	l->vv_wait_n = 0;
	l->vv_waiting = false;
	outq_free(&l->push);
	outq_free(&l->reply);
	outq_free(&l->ihave);
	tree_link_closed(&g->tree, l);
}

void gossip_count_receipt(struct gossip *g, size_t copies, size_t len)
{
	g->counters.receipt_records += copies;
	g->counters.receipt_bytes += copies * len;
}

size_t gossip_record_stored(struct gossip *g, const struct record *r, const uint8_t *buf,
			    size_t len, int source)
{
	size_t pushed = 0;
	g->vv_stale = true;
	uint64_t now = daemon_now_ms();
	tree_arrived(&g->tree, r->id, now);
	bool tree = gossip_tree_mode(g);
	for (size_t i = 0; i < net_link_slots(g->net); i++) {
		struct link *l = net_link(g->net, i);
		if (!l->used || !l->up || (int)i == source || memcmp(l->key, r->author, 32) == 0 ||
		    !l->has_nbhd || memcmp(l->nbhd, r->nbhd, 32) != 0)
			continue;
		if (tree && l->lazy) {
			(void)outq_add(&l->ihave, r->id, 32);
			if (!g->ihave_due_ms)
				g->ihave_due_ms = now + IHAVE_DELAY_MS;
		} else {
			pushed += outq_add(&l->push, buf, len) == 0;
		}
	}
	return pushed;
}

void gossip_vv_changed(struct gossip *g)
{
	g->vv_stale = true;
}

void gossip_counters(const struct gossip *g, struct gossip_counters *out)
{
	*out = g->counters;
	out->ihave_ids = g->tree.ihave_ids_sent;
	out->grafts = g->tree.grafts_sent;
	out->prunes = g->tree.prunes_sent;
	for (int i = 0; i < BOUND_COUNT; i++)
		out->bounds[i] += g->tree.bounds[i];
}

void gossip_tree_tick(struct gossip *g, uint64_t now)
{
	tree_timers(&g->tree, now);
}

uint64_t gossip_tree_due(const struct gossip *g)
{
	uint64_t next = tree_next_due(&g->tree);
	return g->ihave_due_ms && g->ihave_due_ms < next ? g->ihave_due_ms : next;
}

/* ---- version vectors ---- */

/* A relay's store mixes neighbourhoods; each link sees the authors of its
 * own only. A household's store holds one neighbourhood. */
static bool author_in(const struct gossip *g, const uint8_t nbhd[32], const uint8_t author[32])
{
	if (!g->node->n_served)
		return true;
	return membership_knows(node_mem_for(g->node, nbhd), author) == 1;
}

static int vv_entries(struct gossip *g, const uint8_t nbhd[32], uint8_t **out, size_t *n)
{
	struct store_vv_entry *e = NULL;
	size_t count = 0, kept = 0;
	int ret = store_vv(g->node->store, &e, &count);
	if (ret < 0)
		return ret;
	*out = malloc(count ? count * LINK_VV_ENTRY : 1);
	if (!*out) {
		free(e);
		return -ENOMEM;
	}
	for (size_t i = 0; i < count && kept < LINK_VV_MAX; i++)
		if (author_in(g, nbhd, e[i].author))
			link_entry_put(*out, kept++, e[i].author, e[i].contig);
	free(e);
	*n = kept;
	return 0;
}

void gossip_vv_hash(struct gossip *g, const uint8_t nbhd[32], uint8_t out[32])
{
	bool cacheable = !g->node->n_served;
	if (g->vv_stale || !cacheable) {
		uint8_t *entries = NULL;
		size_t n = 0;
		if (vv_entries(g, nbhd, &entries, &n) == 0) {
			crypto_generichash(g->vv_hash, 32, entries, n * LINK_VV_ENTRY, NULL, 0);
			g->vv_stale = false;
		}
		free(entries);
	}
	memcpy(out, g->vv_hash, 32);
}

void gossip_send_hello(struct gossip *g, struct link *l)
{
	struct mp_buf b;
	uint8_t hash[32];
	gossip_vv_hash(g, l->nbhd, hash);
	mp_buf_init(&b);
	if (link_encode_hello(&b, l->nbhd, hash, g->cfg->advertise) == 0)
		(void)net_send(g->net, l, b.sb.data, b.sb.size);
	mp_buf_destroy(&b);
}

void gossip_send_vv(struct gossip *g, struct link *l)
{
	uint8_t *entries = NULL;
	size_t n = 0;
	struct mp_buf b;
	if (vv_entries(g, l->nbhd, &entries, &n) < 0)
		return;
	mp_buf_init(&b);
	if (link_encode_entries(&b, LINK_VV, l->nbhd, entries, n) == 0)
		(void)net_send(g->net, l, b.sb.data, b.sb.size);
	mp_buf_destroy(&b);
	free(entries);
}

void gossip_on_link_up(struct gossip *g, struct link *l)
{
	gossip_send_hello(g, l);
}

/* A sequence number this daemon reserved for a record it then did not
 * store (refused as rate-limited, or the disk was full) leaves a gap in its
 * own stream that nobody can fill, and anti-entropy compares only what is
 * contiguous. Only this daemon writes its own records, so whatever of its
 * own it lacks below its highest was never sent: account for it. */
static void own_gaps(struct gossip *g)
{
	struct store_vv_entry e;
	if (store_vv_get(g->node->store, g->node->id->pk, &e) == 0 && e.max > e.contig &&
	    store_vv_skip(g->node->store, g->node->id->pk, e.contig, e.max) == 1)
		g->vv_stale = true;
}

void gossip_tick(struct gossip *g)
{
	own_gaps(g);
	for (size_t i = 0; i < net_link_slots(g->net); i++) {
		struct link *l = net_link(g->net, i);
		struct mp_buf b;
		uint8_t hash[32];
		if (!l->used || !l->up || !l->has_nbhd)
			continue;
		gossip_vv_hash(g, l->nbhd, hash);
		mp_buf_init(&b);
		if (link_encode_vv_hash(&b, l->nbhd, hash) == 0)
			(void)net_send(g->net, l, b.sb.data, b.sb.size);
		mp_buf_destroy(&b);
	}
}

/* Where a stored record's kind and neighbourhood sit in its (canonical)
 * bytes: [0x92, bin header, 0x97, 0x01, kind, 0xc4, 0x20, nbhd ...]. Used to
 * send membership records first, and on a relay only to their own
 * neighbourhood. Returns the kind, or -1. */
int gossip_peek(const uint8_t *buf, size_t len, const uint8_t **nbhd)
{
	size_t h = len > 2 && buf[1] == 0xc4 ? 3 : len > 3 && buf[1] == 0xc5 ? 4
					  : len > 5 && buf[1] == 0xc6 ? 6 : 0;
	if (!h || len < h + 37 || buf[0] != 0x92 || buf[h] != 0x97 || buf[h + 1] != 0x01 ||
	    buf[h + 3] != 0xc4 || buf[h + 4] != 0x20)
		return -1;
	*nbhd = buf + h + 5;
	return buf[h + 2];
}

/* Gaps in what we hold of one author, for SKIP: growable array of entries. */
struct gaps {
	uint8_t *buf;
	size_t n, cap;
};

static void gaps_add(struct gaps *g, const uint8_t author[32], uint64_t from, uint64_t upto)
{
	if (g->n == LINK_VV_MAX)
		return; /* the rest next round */
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		uint8_t *p = realloc(g->buf, cap * LINK_SKIP_ENTRY);
		if (!p)
			return;
		g->buf = p;
		g->cap = cap;
	}
	link_skip_entry_put(g->buf, g->n++, author, from, upto);
}

struct catchup {
	struct gossip *g;
	struct link *l;
	bool paced;            /* stopped: the peer does not read fast enough */
	bool membership_pass;
	bool stopped;
	size_t sent;
	const uint8_t *author;
	uint64_t contig, prev; /* prev: the last seq seen (or the peer's contig) */
	struct gaps *gaps;     /* second pass only */
};

static int catchup_one(void *ctx, uint64_t seq, const uint8_t id[32], const uint8_t *data,
		       size_t len)
{
	struct catchup *c = ctx;
	const uint8_t *nbhd = NULL;
	(void)id;
	/* a hole in our own run below our contig: numbers we never held */
	if (c->gaps && seq > c->prev + 1 && c->prev < c->contig)
		gaps_add(c->gaps, c->author, c->prev, seq - 1 < c->contig ? seq - 1 : c->contig);
	c->prev = seq;
	int kind = gossip_peek(data, len, &nbhd);
	if (kind < 0 || memcmp(nbhd, c->l->nbhd, 32) != 0)
		return 0;
	bool membership = kind == REC_CERT || kind == REC_REVOCATION || kind == REC_EPOCH;
	if (membership != c->membership_pass)
		return 0;
	if (c->sent >= CATCHUP_RECORDS_MAX) {
		c->stopped = true;
		return 1;
	}
	c->sent++;
	if (outq_add(&c->l->reply, data, len) < 0) {
		c->stopped = true;
		return 1;
	}
	/* sent as it is made, so we make no more than libzmq takes */
	if (c->l->reply.len >= PUSH_BYTES_MAX) {
		flush_records(c->g, c->l, &c->l->reply, LINK_REPLY);
		if (!c->l->used || !linkq_empty(&c->l->backlog)) {
			c->stopped = c->paced = true;
			return 1;
		}
	}
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* Sends the peer every record it lacks according to its vector, membership
 * records first, then SKIP entries naming exactly the ranges below our
 * contig that we hold nothing of (pruned, or numbers never used). Naming the
 * ranges, not just "up to", matters: a record the peer refused a moment ago
 * (rate-limited) lies outside every gap, so the peer keeps lacking it and
 * fetches it again next round instead of skipping over it. */
static void answer_vv(struct gossip *g, struct link *l, const uint8_t *entries, size_t n_entries)
{
	struct store_vv_entry *mine = NULL;
	size_t n_mine = 0;
	uint8_t *peer = NULL;
	struct gaps gaps = {0};

	if (store_vv(g->node->store, &mine, &n_mine) < 0)
		return;
	peer = malloc(n_entries ? n_entries * LINK_VV_ENTRY : 1);
	if (!peer)
		goto out;
	memcpy(peer, entries, n_entries * LINK_VV_ENTRY);
	qsort(peer, n_entries, LINK_VV_ENTRY, entry_cmp);
	bool paced = false;
	for (int pass = 0; pass < 2 && !paced; pass++) {
		size_t budget_used = 0;
		for (size_t i = 0; i < n_mine; i++) {
			const struct store_vv_entry *e = &mine[i];
			if (!author_in(g, l->nbhd, e->author))
				continue;
			const uint8_t *hit = bsearch(e->author, peer, n_entries, LINK_VV_ENTRY,
						     entry_cmp);
			uint64_t theirs = 0;
			uint8_t a[32];
			if (hit)
				link_entry(hit, 0, a, &theirs);
			uint64_t top = e->max > e->contig ? e->max : e->contig;
			if (top <= theirs)
				continue;
			struct catchup c = {.g = g,
					    .l = l,
					    .membership_pass = pass == 0,
					    .author = e->author,
					    .contig = e->contig,
					    .prev = theirs,
					    .gaps = pass == 1 ? &gaps : NULL};
			(void)store_each_by_author(g->node->store, e->author, theirs, catchup_one, &c);
			budget_used += c.sent;
			/* the tail of (theirs, contig] after the last record we hold */
			if (c.gaps && !c.stopped && c.prev < e->contig)
				gaps_add(&gaps, e->author, c.prev, e->contig);
			paced = c.paced;
			if (budget_used >= CATCHUP_RECORDS_MAX || paced || !l->used)
				break;
		}
		if (l->used)
			flush_records(g, l, &l->reply, LINK_REPLY);
		if (!l->used)
			goto out;
	}
	/* after the records, so the peer has them before it looks at the gaps */
	if (gaps.n && l->used) {
		struct mp_buf b;
		mp_buf_init(&b);
		if (link_encode_entries(&b, LINK_SKIP, l->nbhd, gaps.buf, gaps.n) == 0)
			(void)net_send(g->net, l, b.sb.data, b.sb.size);
		mp_buf_destroy(&b);
	}
	if (paced)
		g->counters.bounds[BOUND_REPLY_DEFERRED]++;
out:
	free(mine);
	free(peer);
	free(gaps.buf);
}

void gossip_apply_skip(struct gossip *g, const struct link_msg *m)
{
	/* a relay's SKIP names only authors of the link's neighbourhood; a
	 * household holds one, so author_in() is always true there */
	for (size_t i = 0; i < m->n_entries; i++) {
		uint8_t author[32];
		uint64_t from, upto;
		link_skip_entry(m->entries, i, author, &from, &upto);
		if (!author_in(g, m->nbhd, author))
			continue;
		/* clamped to what the author's own records prove (store_vv.c) */
		int ret = store_vv_skip(g->node->store, author, from, upto);
		if (ret < 0)
			continue;
		if (ret & STORE_SKIP_MOVED)
			g->vv_stale = true;
		if (ret & STORE_SKIP_CLAMPED)
			g->counters.skip_clamped++;
	}
}

/* A vector from a peer that has not read our last messages yet is kept (the
 * newest only) and answered when it has: answering each at once would queue
 * one catch-up per vector for a peer that reads nothing. */
void gossip_on_vv(struct gossip *g, struct link *l, const struct link_msg *m)
{
	if (linkq_empty(&l->backlog) && !l->vv_waiting) {
		answer_vv(g, l, m->entries, m->n_entries);
		return;
	}
	g->counters.bounds[BOUND_VV_DEFERRED]++;
	size_t bytes = m->n_entries * LINK_VV_ENTRY;
	uint8_t *copy = malloc(bytes ? bytes : 1);
	if (!copy)
		return;
	memcpy(copy, m->entries, bytes);
	free(l->vv_wait);
	l->vv_wait = copy;
	l->vv_wait_n = m->n_entries;
	l->vv_waiting = true;
}

void gossip_resume(struct gossip *g)
{
	for (size_t i = 0; i < net_link_slots(g->net); i++) {
		struct link *l = net_link(g->net, i);
		if (!l->used || !l->vv_waiting || !linkq_empty(&l->backlog))
			continue;
		uint8_t *entries = l->vv_wait;
		size_t n = l->vv_wait_n;
		l->vv_wait = NULL;
		l->vv_wait_n = 0;
		l->vv_waiting = false;
		answer_vv(g, l, entries, n);
		free(entries);
	}
}

void gossip_publish_peer(struct gossip *g)
{
	struct record r;
	if (!g->cfg->advertise[0] || !g->node->have_nbhd || !node_my_role(g->node))
		return;
	g->next_peer_ms = daemon_now_ms() + 24ull * 3600 * 1000;
	if (node_prepare(g->node, &r, REC_PEER) < 0)
		return;
	snprintf(r.u.peer.endpoint, sizeof(r.u.peer.endpoint), "%s", g->cfg->advertise);
	r.u.peer.expires = r.created + 7 * 86400;
	if (node_publish(g->node, &r, NULL) == 0)
		log_msg(SLOG_DEBUG, "announced %s to the neighbourhood", g->cfg->advertise);
}

uint64_t gossip_peer_due(const struct gossip *g)
{
	return g->next_peer_ms;
}

void gossip_peer_tick(struct gossip *g, uint64_t now)
{
	/* A household certified directly (op certify) starts before its
	 * certificate reaches it: until it is a member, try again soon.
	 * gossip_publish_peer() moves the next announcement a day ahead
	 * once it has made one. */
	g->next_peer_ms = now + PEER_RETRY_MS;
	gossip_publish_peer(g);
}
