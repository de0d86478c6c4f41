/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * outq.c — what waits to go out on a link after the current ingest (see
 * outq.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "outq.h"

int outq_add(struct outq *q, const uint8_t *buf, size_t len)
{
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
	memcpy(p + 4, buf, len);
	q->len = need;
	q->n++;
	return 0;
}

size_t outq_entry(const struct outq *q, size_t off, const uint8_t **data)
{
	const uint8_t *p = q->buf + off;
	*data = p + 4;
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

void outq_clear(struct outq *q)
{
	q->len = 0;
	q->n = 0;
}

void outq_free(struct outq *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

