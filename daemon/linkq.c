/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * linkq.c — a bounded FIFO of link messages (see linkq.h), kept in an outq
 * with a moving head.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linkq.h"

int linkq_push(struct linkq *q, const uint8_t *msg, size_t len)
{
	if (linkq_bytes(q) + 4 + len > LINKQ_BYTES_MAX)
		return -ENOBUFS;
	/* the consumed front is reclaimed before the buffer grows */
	if (q->head) {
		memmove(q->q.buf, q->q.buf + q->head, q->q.len - q->head);
		q->q.len -= q->head;
		q->head = 0;
	}
	return outq_add(&q->q, msg, len);
}

size_t linkq_peek(const struct linkq *q, const uint8_t **msg)
{
	if (!q->q.n)
		return 0;
	return outq_entry(&q->q, q->head, msg);
}

void linkq_pop(struct linkq *q)
{
	const uint8_t *msg;
	if (!q->q.n)
		return;
	q->head += 4 + outq_entry(&q->q, q->head, &msg);
	if (--q->q.n == 0)
		linkq_free(q); /* an emptied queue gives its memory back: a burst is not kept */
}

bool linkq_empty(const struct linkq *q)
{
	return q->q.n == 0;
}

size_t linkq_bytes(const struct linkq *q)
{
	return q->q.len - q->head;
}

void linkq_free(struct linkq *q)
{
	outq_free(&q->q);
	q->head = 0;
}
