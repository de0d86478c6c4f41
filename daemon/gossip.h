/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * gossip.h — what travels over links (gossip.c sends, gossip_recv.c
 * receives, the push tree's bookkeeping is tree.c): records pushed or
 * announced as they are stored, grafts of what was announced and did not
 * come, and version-vector anti-entropy. It sends through net and keeps its
 * per-link queues in struct link; what is its own across links is struct
 * gossip.
 */
#ifndef SAMEN_GOSSIP_H
#define SAMEN_GOSSIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "tree.h"

/* Traffic, for `status` and the benchmarks, and what gossip refused. The
 * tree's counts (ihave_ids, grafts, prunes, two bounds) are its own; they
 * are added in when gossip_counters() fills one of these. */
struct gossip_counters {
	uint64_t records, record_bytes, ihave_ids, grafts, prunes; /* sent */
	uint64_t receipt_records, receipt_bytes; /* of those queued, receipts (loop's word) */
	uint64_t skip_clamped;        /* SKIPs reaching past what the author signed */
	uint64_t bounds[BOUND_COUNT]; /* those of links that do not read */
};

struct gossip {
	struct config *cfg;     /* the loop's, as is node */
	node_t *node;
	struct net *net;
	struct tree tree;       /* the push tree's part (tree.c) */
	uint64_t ihave_due_ms;  /* announce queued ids then (0: none queued) */
	uint8_t vv_hash[32];
	bool vv_stale;
	uint64_t next_peer_ms;  /* announce where this household listens then */
	struct gossip_counters counters;
};

void gossip_on_message(struct gossip *g, struct link *l, const uint8_t *buf, size_t len);
void gossip_on_link_up(struct gossip *g, struct link *l);
void gossip_link_closed(struct gossip *g, struct link *l);
void gossip_tick(struct gossip *g);
/* A committed record: queued for the links (pushed or announced), the
 * vector marked stale. source: the link it came on, or -1. Returns the
 * links it was queued on as a full copy. */
size_t gossip_record_stored(struct gossip *g, const struct record *r, const uint8_t *buf,
			    size_t len, int source);
/* copies full copies of a len-byte receipt were queued (what the bench
 * sets apart from the alerts' own traffic). */
void gossip_count_receipt(struct gossip *g, size_t copies, size_t len);
/* Records left the store (expired): the vector is worked out again. */
void gossip_vv_changed(struct gossip *g);
void gossip_flush(struct gossip *g);
void gossip_vv_hash(struct gossip *g, const uint8_t nbhd[32], uint8_t out[32]);
/* Announces where this household listens, when it advertises and is a
 * member; the next announcement is then due a day later. */
void gossip_publish_peer(struct gossip *g);
/* When the loop calls gossip_peer_tick(): 0 (at once) at start, soon
 * while this household is no member yet, daily once it announced itself. */
uint64_t gossip_peer_due(const struct gossip *g);
void gossip_peer_tick(struct gossip *g, uint64_t now_ms);
/* Answers the vectors of links that kept us waiting once they read again. */
void gossip_resume(struct gossip *g);
/* gossip's counts and the push tree's, together. */
void gossip_counters(const struct gossip *g, struct gossip_counters *out);
/* Grafts what was announced and has not come in time (tree_timers). */
void gossip_tree_tick(struct gossip *g, uint64_t now_ms);
/* When the push tree has work next: a graft deadline (gossip_tree_tick)
 * or the end of the IHAVE collection (gossip_flush). */
uint64_t gossip_tree_due(const struct gossip *g);

#endif
