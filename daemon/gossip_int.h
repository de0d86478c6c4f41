/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * gossip_int.h — what gossip's two files share, and nobody else sees.
 *
 *   gossip.c       the send side and anti-entropy: pushes and ids queued as
 *                  records are stored, the flush, HELLO, hashes and vectors,
 *                  catch-up answers and SKIPs, the peer announcement
 *   gossip_recv.c  the receive side: a link message decoded, checked against
 *                  the link's neighbourhood and handed on (records to the
 *                  node, vectors and SKIPs to gossip.c, IHAVE, GRAFT and
 *                  PRUNE to tree.c); strikes for what a peer got wrong
 *
 * gossip_recv.c calls gossip.c, never the other way round.
 */
#ifndef SAMEN_GOSSIP_INT_H
#define SAMEN_GOSSIP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gossip;
struct link;
struct link_msg;

/* `gossip = tree` (else plain eager push). */
bool gossip_tree_mode(const struct gossip *g);

/* HELLO with our vector's hash (and where we listen). */
void gossip_send_hello(struct gossip *g, struct link *l);
/* Our vector, after a hash that differs from ours. */
void gossip_send_vv(struct gossip *g, struct link *l);
/* A peer's vector: answered with what it lacks, now or once it reads. */
void gossip_on_vv(struct gossip *g, struct link *l, const struct link_msg *m);
/* A peer's SKIP: the ranges it holds nothing of, clamped (store_vv.c). */
void gossip_apply_skip(struct gossip *g, const struct link_msg *m);
/* A stored record's kind, and where its neighbourhood sits in its bytes;
 * -1 if the bytes are not laid out as a stored record's. */
int gossip_peek(const uint8_t *buf, size_t len, const uint8_t **nbhd);

#endif
