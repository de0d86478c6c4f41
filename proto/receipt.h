/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * receipt.h — delivery and "seen" receipts (PROTOCOL.md section 3.4): which
 * alerts a household's daemon stored, and which of them a person in it
 * saw, in one plaintext for a few seconds' worth of alerts.
 *
 * A receipt travels as a signal record (kind 5) whose plaintext is not a
 * signal's (array(3) with kind 5, below): sealed under the epoch key and to
 * no authority, so only members read it, and a relay, an authority and a
 * daemon too old to know receipts see one more signal they cannot read —
 * stored, forwarded and pruned like any, never refused.
 */
#ifndef SAMEN_RECEIPT_H
#define SAMEN_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define RECEIPT_KIND 5     /* the plaintext's first field; signals use 1..4 */
#define RECEIPT_IDS_MAX 60 /* ids in one receipt, both lists together */

struct receipt {
	/* each list sorted, no id twice (the encoding is canonical) */
	uint8_t delivered[RECEIPT_IDS_MAX][32];
	size_t n_delivered;
	uint8_t seen[RECEIPT_IDS_MAX][32];
	size_t n_seen;
};

/* Sorts both lists and drops repeats, so that the encoding is canonical. */
void receipt_normalise(struct receipt *rc);
/* Encodes a normalised receipt (at least one id, at most RECEIPT_IDS_MAX in
 * all); returns 0 or SAMEN_EINVAL. */
int receipt_encode(const struct receipt *rc, uint8_t *out, size_t cap, size_t *len)
	SAMEN_MUST_CHECK;
/* Strictly decodes a receipt plaintext (canonical: sorted lists without
 * repeats, shortest forms); returns 0 or SAMEN_EMALFORMED, which is also
 * what a signal's plaintext gets. */
int receipt_decode(const uint8_t *buf, size_t len, struct receipt *rc) SAMEN_MUST_CHECK;

#endif
