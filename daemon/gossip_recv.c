/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * gossip_recv.c — the receive side of gossip: one link message decoded
 * (proto/link.c), checked against the link's neighbourhood and handed on:
 * records to the node (node_ingest_relayed), vectors and SKIPs to
 * anti-entropy (gossip.c), IHAVE, GRAFT and PRUNE to the push tree
 * (tree.c). A peer that sends what it must not is struck, and cut off at
 * `invalid_limit`.
 */
#include <string.h>

#include <sodium.h>

#include "gossip.h"
#include "gossip_int.h"
#include "log.h"
#include "tree.h"
#include "../proto/link.h"

/* The author key in a stored record's canonical bytes: it follows the
 * neighbourhood ([..., nbhd bin32, author bin32, ...]). NULL if not there. */
static const uint8_t *peek_author(const uint8_t *buf, size_t len)
{
	const uint8_t *nbhd = NULL;
	if (gossip_peek(buf, len, &nbhd) < 0)
		return NULL;
	size_t off = (size_t)(nbhd - buf) + 32;
	if (len < off + 34 || buf[off] != 0xc4 || buf[off + 1] != 0x20)
		return NULL;
	return buf + off + 2;
}

static void misbehaved(struct gossip *g, struct link *l, unsigned count)
{
	uint64_t now = daemon_now_ms();
	l->invalid += count;
	/* counted per key: a reconnect (libzmq makes one after any dropped
	 * connection, e.g. an oversized frame) must not restart the count */
	unsigned total = net_strike(g->net, l->key, count, now);
	if (total >= g->cfg->invalid_limit) {
		char fp[20];
		sodium_bin2hex(fp, sizeof(fp), l->key, 8);
		log_msg(SLOG_WARN, "cutting off %s (%s) for %u s: %u invalid messages", fp,
			l->dir == DIR_OUT ? l->endpoint : "inbound", g->cfg->penalty_seconds,
			total);
		net_penalize(g->net, l->key, now);
	}
}

static void on_records(struct gossip *g, struct link *l, const struct link_msg *m)
{
	enum reject verdicts[LINK_RECORDS_MAX];
	int sources[LINK_RECORDS_MAX];
	const uint8_t *recs[LINK_RECORDS_MAX];
	unsigned bad = 0;
	int src = net_link_index(g->net, l);

	for (size_t i = 0; i < m->n_records; i++) {
		recs[i] = m->rec[i];
		sources[i] = src;
	}
	int ret = node_ingest_relayed(g->node, recs, m->rec_len, m->n_records, sources, verdicts);
	if (ret < 0)
		log_msg(SLOG_ERR, "store commit failed: %s", samen_strerror(ret));
	bool redundant = false;
	for (size_t i = 0; i < m->n_records; i++) {
		if (reject_is_misbehaviour(verdicts[i]))
			bad++;
		/* A peer pushing its own records faster than its rate: its own
		 * daemon refuses those before they exist, so only a client that
		 * bypasses it does this — a flood. Counted like invalid records,
		 * so the flooder is cut off. Not for REPLY: a catch-up brings old
		 * records in a burst, and that is honest. */
		if (verdicts[i] == RJ_RATE && m->type == LINK_RECORDS) {
			const uint8_t *author = peek_author(m->rec[i], m->rec_len[i]);
			if (author && memcmp(author, l->key, 32) == 0)
				bad++;
		}
		redundant |= verdicts[i] == RJ_DUPLICATE;
		if (verdicts[i] != RJ_NONE && verdicts[i] != RJ_DUPLICATE)
			log_msg(SLOG_DEBUG, "record from %s refused: %s",
				l->dir == DIR_OUT ? l->endpoint : "inbound", reject_name(verdicts[i]));
	}
	/* a pushed record we already had: this edge is not in the tree. Both
	 * ends stop pushing over it (we here, the sender on our PRUNE), so the
	 * eager links that remain form one tree for records from anywhere;
	 * pruning only the sender's end would leave our own records going out
	 * as ids only, one graft timeout late. */
	if (redundant && m->type == LINK_RECORDS && gossip_tree_mode(g) && l->used &&
	    tree_other_eager_link(&g->tree, l)) {
		l->lazy = true;
		tree_send_prune(&g->tree, l);
	}
	gossip_flush(g);
	if (bad && l->used)
		misbehaved(g, l, bad);
}

void gossip_on_message(struct gossip *g, struct link *l, const uint8_t *buf, size_t len)
{
	static struct link_msg m; /* large; one loop thread */
	msgpack_unpacked u;
	uint8_t hash[32];
	uint64_t now = daemon_now_ms();

	l->last_rx_ms = now;
	if (net_penalized(g->net, l->key, now))
		return;
	int ret = link_decode(buf, len, &u, &m);
	if (ret < 0) {
		g->node->counters[RJ_MALFORMED]++;
		misbehaved(g, l, 1);
		msgpack_unpacked_destroy(&u);
		return;
	}
	/* a link carries one neighbourhood: the dialer's, named in its HELLO */
	if (m.type == LINK_HELLO && l->dir == DIR_IN && !l->has_nbhd &&
	    node_mem_for(g->node, m.nbhd)) {
		memcpy(l->nbhd, m.nbhd, 32);
		l->has_nbhd = true;
	}
	if (!l->has_nbhd || (m.type != LINK_RECORDS && m.type != LINK_REPLY &&
			     memcmp(m.nbhd, l->nbhd, 32) != 0)) {
		g->node->counters[RJ_NBHD]++;
		misbehaved(g, l, 1);
		msgpack_unpacked_destroy(&u);
		return;
	}
	switch (m.type) {
	case LINK_HELLO:
		if (l->dir == DIR_IN) {
			bool first = !l->up;
			l->up = true;
			if (first) {
				l->since_ms = now;
				gossip_send_hello(g, l); /* the dialer learns our hash too */
			}
			if (m.advertise[0] && g->cfg->learn_peers)
				net_add_candidate(g->net, m.advertise, l->key);
		}
		/* fall through */
	case LINK_VV_HASH:
		gossip_vv_hash(g, l->nbhd, hash);
		if (sodium_memcmp(hash, m.hash, 32) != 0)
			gossip_send_vv(g, l);
		break;
	case LINK_VV:
		gossip_on_vv(g, l, &m);
		break;
	case LINK_SKIP:
		gossip_apply_skip(g, &m);
		break;
	case LINK_RECORDS:
	case LINK_REPLY:
		on_records(g, l, &m);
		break;
	case LINK_IHAVE:
		tree_on_ihave(&g->tree, l, &m);
		break;
	case LINK_GRAFT:
		tree_on_graft(&g->tree, l, &m);
		gossip_flush(g);
		break;
	case LINK_PRUNE:
		tree_on_prune(&g->tree, l);
		break;
	}
	msgpack_unpacked_destroy(&u);
}
