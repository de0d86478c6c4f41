/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node_epoch.h — the epoch keys signals are sealed under and the
 * retractions a node holds.
 */
#ifndef SAMEN_NODE_EPOCH_H
#define SAMEN_NODE_EPOCH_H

#include "node_state.h"

/* The epoch-key record with this id, if this node holds it. */
const struct epoch *node_epoch_by_id(const node_t *n, const uint8_t id[32]);
/* The current epoch of this node's neighbourhood whose key it holds, or
 * NULL: the highest number among those that still count, on a tie the
 * smallest record id, so every daemon picks the same one. */
const struct epoch *node_current_epoch(const node_t *n);

/* Whether e is one of this node's neighbourhood's epochs that still counts
 * (a later revocation may have bounded its issuer out). */
bool node_epoch_counts(const node_t *n, const struct epoch *e);
/* Whether a retraction of id is held. */
bool node_is_retracted(const node_t *n, const uint8_t id[32]);

/* For the node's own files (node.c, node_ingest.c, node_rebuild.c): */
/* Frees an epoch's key and member list and zeroes it. */
void node_epoch_clear(struct epoch *e);
/* Takes in an epoch-key record (opening our entry if there is one); a
 * record already held is not added twice. 0 or -ENOMEM. */
int node_epoch_add(node_t *n, const struct record *r);
/* Remembers that target is retracted. 0 or -ENOMEM. */
int node_retraction_add(node_t *n, const uint8_t target[32]);

#endif
