/* SPDX-License-Identifier: EUPL-1.2 */
/* purge.c — the rules of purge.h. */
#include "purge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/record.h"

/* Deletions per transaction: one walk finds this many, and the next walk
 * starts past nothing but what was kept. */
#define PURGE_BATCH 4096

struct purge_walk {
	const membership_t *mem;
	struct store_rec *found; /* PURGE_BATCH of them */
	size_t n;
};

static int purge_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct purge_walk *w = ctx;
	struct record r;

	(void)id;
	if (record_decode(data, len, &r) != 0 || memcmp(r.author, r.u.rev.subject, 32) != 0)
		return 0;
	if (membership_issuer_ok(w->mem, &r) != SAMEN_ENOCERT)
		return 0;
	struct store_rec *s = &w->found[w->n++];
	memset(s, 0, sizeof(*s));
	memcpy(s->id, r.id, 32);
	memcpy(s->nbhd, r.nbhd, 32);
	memcpy(s->author, r.author, 32);
	s->seq = r.seq;
	s->kind = r.kind;
	return w->n == PURGE_BATCH;
}

int purge_strangers(store_t *st, const membership_t *mem, const uint8_t nbhd[32])
{
	struct purge_walk w = { mem, NULL, 0 };
	int total = 0, ret;

	if (!st || !mem || !nbhd)
		return SAMEN_EINVAL;
	w.found = calloc(PURGE_BATCH, sizeof(*w.found));
	if (!w.found)
		return -ENOMEM;
	for (;;) {
		w.n = 0;
		ret = store_each_by_kind(st, nbhd, REC_REVOCATION, purge_one, &w);
		if (ret < 0 || w.n == 0)
			break;
		ret = store_forget(st, w.found, w.n);
		if (ret <= 0) /* an error, or nothing more can go */
			break;
		total += ret;
	}
	free(w.found);
	return ret < 0 ? ret : total;
}
