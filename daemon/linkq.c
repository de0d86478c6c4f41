/*
 * linkq.c — a bounded FIFO of link messages (see linkq.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linkq.h"

static size_t entry_len(const uint8_t *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

int linkq_push(struct linkq *q, const uint8_t *msg, size_t len)
{
	if (linkq_bytes(q) + 4 + len > LINKQ_BYTES_MAX)
		return -ENOBUFS;
	/* the consumed front is reclaimed before the buffer grows */
	if (q->head) {
		memmove(q->buf, q->buf + q->head, q->len - q->head);
		q->len -= q->head;
		q->head = 0;
	}
	size_t need = q->len + 4 + len;
	if (need > q->cap) {
		size_t cap = q->cap ? q->cap : 4096;
		while (cap < need)
			cap *= 2;
		uint8_t *p = realloc(q->buf, cap);
		if (!p)
			return -ENOMEM;
		q->buf = p;
		q->cap = cap;
	}
	uint8_t *p = q->buf + q->len;
	p[0] = (uint8_t)(len >> 24), p[1] = (uint8_t)(len >> 16), p[2] = (uint8_t)(len >> 8),
	p[3] = (uint8_t)len;
	memcpy(p + 4, msg, len);
	q->len = need;
	q->n++;
	return 0;
}

size_t linkq_peek(const struct linkq *q, const uint8_t **msg)
{
	if (!q->n)
		return 0;
	*msg = q->buf + q->head + 4;
	return entry_len(q->buf + q->head);
}

void linkq_pop(struct linkq *q)
{
	if (!q->n)
		return;
	q->head += 4 + entry_len(q->buf + q->head);
	if (--q->n == 0) {
		/* an emptied queue gives its memory back: a burst is not kept */
		free(q->buf);
		memset(q, 0, sizeof(*q));
	}
}

bool linkq_empty(const struct linkq *q)
{
	return q->n == 0;
}

size_t linkq_bytes(const struct linkq *q)
{
	return q->len - q->head;
}

void linkq_free(struct linkq *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}
