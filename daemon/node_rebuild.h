/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node_rebuild.h — a node's membership, epochs and retractions, made again
 * from what its store holds: at start, on SIGHUP, and after a revocation
 * changed what counts.
 */
#ifndef SAMEN_NODE_REBUILD_H
#define SAMEN_NODE_REBUILD_H

#include "node_state.h"

/* The membership that decides records of nbhd here, or NULL when this node
 * neither belongs to nor serves it. */
membership_t *node_mem_for(const node_t *n, const uint8_t nbhd[32]);

/* Rebuilds membership, epochs and retractions of every neighbourhood the
 * node belongs to or serves. 0 or a negative code. */
int node_rebuild(node_t *n);

/* Relay role: serve one more neighbourhood (its membership is rebuilt from
 * the store). Returns 0, SAMEN_ETOOBIG past SERVED_MAX, or -ENOMEM. */
int node_serve(node_t *n, const uint8_t nbhd[32]) SAMEN_MUST_CHECK;

#endif
