/* SPDX-License-Identifier: EUPL-1.2 */
#include "node_rebuild.h"

#include <errno.h>
#include <string.h>

#include "node_epoch.h"
#include "node_receipts.h"
#include "purge.h"

struct rebuild_ctx {
	node_t *n;
	membership_t *mem;
};

static int rebuild_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct rebuild_ctx *c = ctx;
	node_t *n = c->n;
	struct record r;
	(void)id;
	if (record_open(data, len, &r) != 0) {
		/* a record an earlier version took whose text is refused now (C1
		 * controls, PROTOCOL.md section 1), or a disk that lies: it stays
		 * on disk, unused, and is counted */
		n->unreadable++;
		return 0;
	}
	switch (r.kind) {
	case REC_CERT:
	case REC_REVOCATION: {
		int ret = membership_add(c->mem, &r);
		return ret == -ENOMEM ? ret : 0;
	}
	case REC_EPOCH:
		return node_epoch_add(n, &r);
	case REC_RETRACTION:
		return node_retraction_add(n, r.u.retraction.target);
	case REC_SIGNAL:
		(void)node_receipt_add(n, &r); /* after the epochs: it needs their keys */
		return 0;
	default:
		return 0;
	}
}

static int rebuild_nbhd(node_t *n, const uint8_t nbhd[32], membership_t **mem)
{
	static const uint8_t kinds[] = {REC_CERT, REC_REVOCATION, REC_EPOCH, REC_RETRACTION,
					REC_SIGNAL};
	/* signals only for receipts, which a household reads and a relay
	 * cannot: a relay does not walk (and verify) every signal it holds */
	size_t n_kinds = n->have_nbhd && memcmp(nbhd, n->nbhd, 32) == 0 ? sizeof(kinds)
									: sizeof(kinds) - 1;
	membership_free(mem);
	*mem = membership_new(nbhd);
	if (!*mem)
		return -ENOMEM;
	struct rebuild_ctx c = {n, *mem};
	for (size_t i = 0; i < n_kinds; i++) {
		int ret = store_each_by_kind(n->store, nbhd, kinds[i], rebuild_one, &c);
		if (ret < 0)
			return ret;
	}
	/* what an earlier version took in from strangers goes now; failing
	 * to delete it costs space, not correctness */
	int purged = purge_strangers(n->store, *mem, nbhd);
	if (purged > 0)
		n->purged_total += (uint64_t)purged;
	return 0;
}

int node_rebuild(node_t *n)
{
	for (size_t i = 0; i < n->n_epochs; i++)
		node_epoch_clear(&n->epochs[i]);
	n->n_epochs = 0;
	n->n_retracted = 0;
	n->unreadable = 0;
	node_receipts_clear(n);
	if (n->have_nbhd) {
		int ret = rebuild_nbhd(n, n->nbhd, &n->mem);
		if (ret < 0)
			return ret;
	}
	for (size_t i = 0; i < n->n_served; i++) {
		int ret = rebuild_nbhd(n, n->served[i].nbhd, &n->served[i].mem);
		if (ret < 0)
			return ret;
	}
	return 0;
}

membership_t *node_mem_for(const node_t *n, const uint8_t nbhd[32])
{
	if (n->have_nbhd && memcmp(n->nbhd, nbhd, 32) == 0)
		return n->mem;
	for (size_t i = 0; i < n->n_served; i++)
		if (memcmp(n->served[i].nbhd, nbhd, 32) == 0)
			return n->served[i].mem;
	return NULL;
}

int node_serve(node_t *n, const uint8_t nbhd[32])
{
	if (node_mem_for(n, nbhd))
		return 0;
	if (n->n_served == SERVED_MAX)
		return SAMEN_ETOOBIG;
	struct served *s = &n->served[n->n_served];
	memcpy(s->nbhd, nbhd, 32);
	s->mem = NULL;
	int ret = rebuild_nbhd(n, nbhd, &s->mem);
	if (ret < 0) {
		membership_free(&s->mem);
		return ret;
	}
	n->n_served++;
	return 0;
}
