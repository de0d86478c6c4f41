/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node_state.h — what a node holds (struct node), shared by the files of
 * the node: node.c (open, close, own records, rekeying), node_ingest.c (a
 * batch's checks and commit), node_rebuild.c (state from the store) and
 * node_epoch.c (epoch keys and retractions). Other modules use node.h.
 */
#ifndef SAMEN_NODE_STATE_H
#define SAMEN_NODE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../keys/identity.h"
#include "../keys/membership.h"
#include "../proto/record.h"
#include "../proto/vpool.h"
#include "node_types.h"
#include "store.h"

struct node;
/* Called for each record committed by node_ingest(); source is the caller's
 * tag for where it came from (a link number, or -1 for local). */
typedef void (*node_stored_fn)(void *ctx, struct node *n, const struct record *r,
			       const uint8_t *buf, size_t len, int source);

#define SERVED_MAX 16

/* A neighbourhood a relay serves, with its own membership. */
struct served {
	uint8_t nbhd[32];
	membership_t *mem;
};

/* One household's word on one alert (node_receipts.h). */
struct receipt_mark {
	uint8_t signal[32];
	uint8_t author[32];
	bool seen;
};

typedef struct node {
	struct identity *id;
	char key_path[4096];
	uint8_t nbhd[32];
	bool have_nbhd;
	store_t *store;
	membership_t *mem;
	struct epoch *epochs;
	size_t n_epochs;
	struct served served[SERVED_MAX]; /* relay role; households use nbhd/mem */
	size_t n_served;
	uint8_t (*retracted)[32];
	size_t n_retracted;
	struct receipt_mark *marks; /* node_receipts.c */
	size_t n_marks, cap_marks;
	uint64_t receipts_dropped;
	uint64_t receipts_stored; /* receipts taken in since start (ours too) */
	struct rate_table rates;
	struct node_params params;
	uint64_t counters[RJ_COUNT];
	uint64_t stored_total;
	uint64_t purged_total;    /* deleted by purge_strangers() (purge.h) */
	uint64_t unreadable;      /* in the last rebuild: stored records that no longer decode */
	node_stored_fn stored;
	void *stored_ctx;
	uint64_t (*now_ms)(void); /* clock; replaceable in tests */
	/* Threads that check a batch's signatures in node_ingest(), the
	 * caller's included: 0 (node_open's default) = one per CPU, at most
	 * NODE_VERIFY_THREADS_MAX; 1 = the caller alone. Verdicts do not
	 * depend on it. The workers start at the first batch that needs them. */
	unsigned verify_threads;
	vpool_t *vpool;
	bool vpool_failed;        /* could not start them: stay serial */
} node_t;

#define NODE_VERIFY_THREADS_MAX 4

/* Whether key is the founder's: the neighbourhood is named by it. */
static inline bool node_is_founder(const node_t *n, const uint8_t key[32])
{
	return n->have_nbhd && memcmp(key, n->nbhd, 32) == 0;
}

#endif
