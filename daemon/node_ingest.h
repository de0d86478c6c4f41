/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node_ingest.h — a batch of records from a link, a relay or this household:
 * decoded and signature-checked on every core, checked against the rules
 * (validate.c) and the rates (rate.c) in an order that does not depend on
 * how the batch arrived, and committed in one store transaction.
 */
#ifndef SAMEN_NODE_INGEST_H
#define SAMEN_NODE_INGEST_H

#include "node_state.h"

/*
 * Validates and stores n_recs encoded records in one transaction (group
 * commit). verdicts[i] (if not NULL) receives RJ_NONE for a record stored
 * now, or why not. Calls n->stored for every record stored. Returns the
 * number stored, or a negative code if the commit failed (then nothing was
 * stored, and verdicts say RJ_STORE). sources[i] tags where record i came
 * from (a link number; NULL means all local, -1) and is handed to `stored`.
 * Signatures are checked on n->verify_threads threads. A record of a
 * rate-limited kind whose author's bucket is already empty is refused as
 * RJ_RATE without its signature being checked, and takes no token.
 */
int node_ingest(node_t *n, const uint8_t *const *recs, const size_t *lens, size_t n_recs,
		const int *sources, enum reject *verdicts);

/*
 * node_ingest() for records a neighbour sent, which it holds itself: the
 * commit's last disk flush is deferred (store_put_batch_deferred), so a
 * hop costs one flush, not two. The caller makes it durable with
 * store_sync() soon after; a machine crash before that loses at most this
 * batch here, and anti-entropy brings it back from the neighbours.
 */
int node_ingest_relayed(node_t *n, const uint8_t *const *recs, const size_t *lens, size_t n_recs,
			const int *sources, enum reject *verdicts);

#endif
