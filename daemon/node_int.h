/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node_int.h — what node.c (open, rebuild, own records), node_ingest.c (the
 * checks and the batch commit) and node_epoch.c (epoch keys, retractions,
 * rekeying) share inside the node. Not for other modules: they use node.h.
 */
#ifndef SAMEN_NODE_INT_H
#define SAMEN_NODE_INT_H

#include <string.h>

#include "node.h"

/* Frees an epoch's key and member list and zeroes it. */
void node_epoch_clear(struct epoch *e);
/* Takes in an epoch-key record (opening our entry if there is one); a
 * record already held is not added twice. 0 or -ENOMEM. */
int node_epoch_add(node_t *n, const struct record *r);
/* Remembers that target is retracted. 0 or -ENOMEM. */
int node_retraction_add(node_t *n, const uint8_t target[32]);
/* Rebuilds membership, epochs and retractions from the store (after a
 * revocation changed what counts). 0 or a negative code. */
int node_rebuild(node_t *n);

static inline bool node_is_founder(const node_t *n, const uint8_t key[32])
{
	return n->have_nbhd && memcmp(key, n->nbhd, 32) == 0;
}

#endif
