/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node_epoch.c — the epoch keys signals are sealed under and the
 * retractions held.
 */
#include "node_epoch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "validate.h"
#include "../proto/signal.h"

/* ---- epochs and retractions ---- */

void node_epoch_clear(struct epoch *e)
{
	if (e->key)
		sodium_free(e->key);
	free(e->members);
	memset(e, 0, sizeof(*e));
}

const struct epoch *node_epoch_by_id(const node_t *n, const uint8_t id[32])
{
	for (size_t i = 0; i < n->n_epochs; i++)
		if (memcmp(n->epochs[i].id, id, 32) == 0)
			return &n->epochs[i];
	return NULL;
}

int node_epoch_add(node_t *n, const struct record *r)
{
	struct epoch e, *grown;

	if (node_epoch_by_id(n, r->id))
		return 0;
	memset(&e, 0, sizeof(e));
	memcpy(e.id, r->id, 32);
	memcpy(e.nbhd, r->nbhd, 32);
	memcpy(e.author, r->author, 32);
	e.seq = r->seq;
	e.number = r->u.epoch.number;
	e.created = r->created;
	e.n_members = r->u.epoch.n_entries;
	e.members = malloc(e.n_members * 32);
	if (!e.members)
		return -ENOMEM;
	for (size_t i = 0; i < e.n_members; i++)
		memcpy(e.members[i], r->u.epoch.entries + i * KEY_ENTRY_LEN, 32);
	e.key = sodium_malloc(32);
	if (!e.key) {
		free(e.members);
		return -ENOMEM;
	}
	if (keyentry_open(r->u.epoch.entries, r->u.epoch.n_entries, n->id->pk, n->id->curve_pk,
			  n->id->curve_sk, e.key) != 0) {
		sodium_free(e.key);
		e.key = NULL;
	}
	grown = realloc(n->epochs, (n->n_epochs + 1) * sizeof(*grown));
	if (!grown) {
		node_epoch_clear(&e);
		return -ENOMEM;
	}
	n->epochs = grown;
	n->epochs[n->n_epochs++] = e;
	return 0;
}

bool node_epoch_counts(const node_t *n, const struct epoch *e)
{
	return n->have_nbhd && memcmp(e->nbhd, n->nbhd, 32) == 0 &&
	       validate_epoch_counts(n->mem, e);
}

const struct epoch *node_current_epoch(const node_t *n)
{
	const struct epoch *best = NULL;
	for (size_t i = 0; i < n->n_epochs; i++) {
		const struct epoch *e = &n->epochs[i];
		if (!e->key || !node_epoch_counts(n, e))
			continue;
		/* on a tie (two coordinators at once) the smaller id: a signed
		 * fact, unlike a claimed time, so all daemons agree */
		if (!best || e->number > best->number ||
		    (e->number == best->number && memcmp(e->id, best->id, 32) < 0))
			best = e;
	}
	return best;
}

bool node_is_retracted(const node_t *n, const uint8_t id[32])
{
	for (size_t i = 0; i < n->n_retracted; i++)
		if (memcmp(n->retracted[i], id, 32) == 0)
			return true;
	return false;
}

int node_retraction_add(node_t *n, const uint8_t target[32])
{
	if (node_is_retracted(n, target))
		return 0;
	uint8_t(*grown)[32] = realloc(n->retracted, (n->n_retracted + 1) * 32);
	if (!grown)
		return -ENOMEM;
	n->retracted = grown;
	memcpy(n->retracted[n->n_retracted++], target, 32);
	return 0;
}
