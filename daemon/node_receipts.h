/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node_receipts.h — what the receipts a node holds say (PROTOCOL.md section
 * 3.4): for each alert, which households' daemons stored it and which of
 * them saw it. Each household counts once per alert and list, whatever
 * order and however often its receipts arrive, so the counts are exact once
 * anti-entropy has brought every receipt, and never counted twice.
 */
#ifndef SAMEN_NODE_RECEIPTS_H
#define SAMEN_NODE_RECEIPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "node_state.h"
#include "../proto/receipt.h"

/* Marks held at most (alerts x households); past it, more are counted in
 * n->receipts_dropped and not held. */
#define NODE_RECEIPT_MARKS_MAX 262144

/* Whether r is a receipt this node can read; then *rc holds it. */
bool node_receipt_open(const node_t *n, const struct record *r, struct receipt *rc);
/* Takes in a stored record: a receipt it can read adds its marks. Returns
 * true when r was one. */
bool node_receipt_add(node_t *n, const struct record *r);
/* How many households (other than the alert's author) said they stored
 * the alert, and saw it. */
void node_receipt_counts(const node_t *n, const uint8_t id[32], const uint8_t author[32],
			 unsigned *delivered, unsigned *seen);
/* The households that can read the neighbourhood's signals now: the
 * current epoch's members. */
unsigned node_households(const node_t *n);
void node_receipts_clear(node_t *n);


#endif
