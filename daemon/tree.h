/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * tree.h — the push tree's bookkeeping (tree.c): what links announced and we
 * await, grafts, prunes.
 */
#ifndef SAMEN_TREE_H
#define SAMEN_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "node.h"
#include "../proto/link.h"

/* A record announced lazily (IHAVE) that has not arrived yet. */
struct missing {
	uint8_t id[32];
	int link, alt;            /* who announced it (alt: another announcer, or -1) */
	uint64_t first_ms;        /* when it was first announced */
	uint64_t deadline_ms;     /* GRAFT if still missing then */
	unsigned tries;
};
#define MISSING_MAX 4096

struct tree {
	node_t *node;             /* the loop's */
	struct net *net;
	struct missing missing[MISSING_MAX];
	size_t n_missing;
	double graft_lag_ms;      /* how late eager copies come after an id (decaying max) */
	uint64_t ihave_ids_sent, grafts_sent, prunes_sent;
	uint64_t bounds[BOUND_COUNT]; /* BOUND_IHAVE_REFUSED, BOUND_GRAFT_REFUSED */
};

/* Sends ids as IHAVE or GRAFT messages of at most LINK_IDS_MAX ids. */
void tree_send_ids(struct tree *t, struct link *l, uint8_t type, const uint8_t *ids, size_t n);
/* An IHAVE from l: awaits the ids we lack, at most IHAVE_PENDING_PER_LINK
 * of l's at a time (the rest counted as ihave-refused). */
void tree_on_ihave(struct tree *t, struct link *l, const struct link_msg *m);
/* A GRAFT from l: queues each named record once on l's reply queue (the
 * caller flushes), nothing while l's backlog is not empty. */
void tree_on_graft(struct tree *t, struct link *l, const struct link_msg *m);
void tree_on_prune(struct tree *t, struct link *l);
void tree_send_prune(struct tree *t, struct link *l);
/* Whether a link other than l, of l's neighbourhood, still carries full
 * records: the last eager link is never pruned. */
bool tree_other_eager_link(const struct tree *t, const struct link *l);
/* A record with this id was stored: it is awaited no more. */
void tree_arrived(struct tree *t, const uint8_t id[32], uint64_t now_ms);
/* l is closing: what it announced is grafted from the other announcer. */
void tree_link_closed(struct tree *t, const struct link *l);
/* Grafts what was announced but has not arrived in time. */
void tree_timers(struct tree *t, uint64_t now_ms);
/* When tree_timers() has work next: the earliest graft deadline;
 * UINT64_MAX when nothing is awaited. */
uint64_t tree_next_due(const struct tree *t);

#endif
