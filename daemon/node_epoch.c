/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node_epoch.c — the epoch keys signals are sealed under, the retractions
 * held, and a coordinator's rekeying when the member set has changed.
 */
#include "node_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "validate.h"

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

/* Whether e is one of this node's neighbourhood's epochs that still
 * counts (a later revocation may have bounded its issuer out). */
static bool epoch_counts(const node_t *n, const struct epoch *e)
{
	return n->have_nbhd && memcmp(e->nbhd, n->nbhd, 32) == 0 &&
	       validate_epoch_counts(n->mem, e);
}

const struct epoch *node_current_epoch(const node_t *n)
{
	const struct epoch *best = NULL;
	for (size_t i = 0; i < n->n_epochs; i++) {
		const struct epoch *e = &n->epochs[i];
		if (!e->key || !epoch_counts(n, e))
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

static size_t current_members(const node_t *n, uint8_t (**out)[32])
{
	uint64_t now = n->now_ms() / 1000;
	size_t count = membership_list(n->mem, ROLE_MEMBER, now, NULL, 0);
	*out = calloc(count ? count : 1, 32);
	if (!*out)
		return 0;
	return membership_list(n->mem, ROLE_MEMBER, now, *out, count);
}

static bool in_set(uint8_t (*set)[32], size_t n, const uint8_t key[32])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(set[i], key, 32) == 0)
			return true;
	return false;
}

bool node_rekey_needed(const node_t *n)
{
	uint8_t(*members)[32] = NULL;
	if (!n->have_nbhd || !n->mem)
		return false;
	size_t count = current_members(n, &members);
	const struct epoch *e = node_current_epoch(n);
	bool need = !e || e->n_members != count;
	for (size_t i = 0; !need && i < count; i++)
		need = !in_set(e->members, e->n_members, members[i]);
	free(members);
	return need && count > 0;
}

int node_rekey(node_t *n)
{
	uint8_t(*members)[32] = NULL, *entries = NULL, *key = NULL;
	struct record r;
	uint64_t number = 0;
	int ret;

	unsigned role = node_my_role(n);
	if (role != ROLE_COORDINATOR)
		return SAMEN_EROLE;
	size_t count = current_members(n, &members);
	if (count == 0 || count > EPOCH_MEMBERS_MAX) {
		ret = count ? SAMEN_ETOOBIG : -ENOMEM;
		goto out;
	}
	/* one above the epochs that count: one a revocation bounded out (say
	 * a number at the very top, from a store written before these rules)
	 * must not stop rekeying */
	for (size_t i = 0; i < n->n_epochs; i++)
		if (epoch_counts(n, &n->epochs[i]) && n->epochs[i].number > number)
			number = n->epochs[i].number;
	/* the largest number is refused everywhere (validate_epoch_number) */
	if (number >= UINT64_MAX - 1) {
		ret = SAMEN_ETOOBIG;
		goto out;
	}
	entries = malloc(count * KEY_ENTRY_LEN);
	key = sodium_malloc(32);
	if (!entries || !key) {
		ret = -ENOMEM;
		goto out;
	}
	randombytes_buf(key, 32);
	ret = node_prepare(n, &r, REC_EPOCH);
	if (ret == 0) {
		ret = epoch_seal(&r, number + 1, key, (const uint8_t(*)[32])members, count, entries);
		if (ret == 0)
			ret = node_publish(n, &r, NULL);
		else
			node_abandon(n, &r);
	}
out:
	if (key)
		sodium_free(key);
	free(entries);
	free(members);
	return ret;
}
