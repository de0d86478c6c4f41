/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * outq.h — a link's output queue: entries (records, or bare ids) collected
 * during one ingest and sent together as few messages as the caps allow.
 * Emptied at every flush, so it holds at most what one ingest produced.
 */
#ifndef SAMEN_OUTQ_H
#define SAMEN_OUTQ_H

#include <stddef.h>
#include <stdint.h>

/* Entries behind a 4-byte big-endian length. */
struct outq {
	uint8_t *buf;
	size_t len, cap, n;
};

/* Appends a copy of buf. 0 or -ENOMEM. */
int outq_add(struct outq *q, const uint8_t *buf, size_t len);
/* The entry at byte offset off: its length, with *data pointing into q. */
size_t outq_entry(const struct outq *q, size_t off, const uint8_t **data);
/* Empties q and keeps its memory for the next ingest. */
void outq_clear(struct outq *q);
void outq_free(struct outq *q);

#endif
