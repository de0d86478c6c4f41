/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * admit.c — link and join-handshake budgets per peer (see admit.h).
 */
#include <string.h>

#include <sodium.h>

#include "admit.h"

size_t admit_pending_count(const struct admit *a, const uint8_t *key, uint64_t now_ms)
{
	size_t n = 0;
	for (size_t i = 0; i < ADMIT_PENDING_MAX; i++) {
		const struct admit_pending *p = &a->pending[i];
		n += p->until_ms > now_ms && (!key || memcmp(p->key, key, 32) == 0);
	}
	return n;
}

bool admit_pending_add(struct admit *a, const uint8_t key[32], uint64_t now_ms)
{
	for (size_t i = 0; i < ADMIT_PENDING_MAX; i++) {
		struct admit_pending *p = &a->pending[i];
		if (!p->until_ms) {
			memcpy(p->key, key, 32);
			p->until_ms = now_ms + ADMIT_PENDING_MS;
			return true;
		}
	}
	return false;
}

void admit_pending_take(struct admit *a, const uint8_t key[32], uint64_t now_ms)
{
	struct admit_pending *first = NULL;
	for (size_t i = 0; i < ADMIT_PENDING_MAX; i++) {
		struct admit_pending *p = &a->pending[i];
		if (p->until_ms > now_ms && memcmp(p->key, key, 32) == 0 &&
		    (!first || p->until_ms < first->until_ms))
			first = p;
	}
	if (first)
		memset(first, 0, sizeof(*first));
}

bool admit_pending_expired(struct admit *a, uint64_t now_ms, uint8_t key[32])
{
	for (size_t i = 0; i < ADMIT_PENDING_MAX; i++) {
		struct admit_pending *p = &a->pending[i];
		if (p->until_ms && p->until_ms <= now_ms) {
			memcpy(key, p->key, 32);
			memset(p, 0, sizeof(*p));
			return true;
		}
	}
	return false;
}

void admit_pending_clear(struct admit *a)
{
	memset(a->pending, 0, sizeof(a->pending));
}

/* The entry for tag in a budget table, reusing an expired one; NULL when
 * every entry is live (the handshake is refused then). */
static struct admit_budget *budget_find(struct admit_budget *t, const uint8_t tag[32],
					uint64_t now_ms)
{
	struct admit_budget *free_slot = NULL;
	for (size_t i = 0; i < ADMIT_JOIN_TRACK; i++) {
		bool live = t[i].count && now_ms - t[i].window_ms < ADMIT_JOIN_WINDOW_MS;
		if (live && memcmp(t[i].tag, tag, 32) == 0)
			return &t[i];
		if (!live && !free_slot)
			free_slot = &t[i];
	}
	if (free_slot) {
		memcpy(free_slot->tag, tag, 32);
		free_slot->window_ms = now_ms;
		free_slot->count = 0;
	}
	return free_slot;
}

bool admit_join(struct admit *a, const uint8_t key[32], const char *addr, uint64_t now_ms,
		const char **why)
{
	uint8_t addr_tag[32];
	crypto_generichash(addr_tag, 32, (const uint8_t *)addr, strlen(addr), NULL, 0);
	if (now_ms - a->total_window_ms >= ADMIT_JOIN_WINDOW_MS) {
		a->total_window_ms = now_ms;
		a->total = 0;
	}
	struct admit_budget *k = budget_find(a->by_key, key, now_ms);
	struct admit_budget *ad = budget_find(a->by_addr, addr_tag, now_ms);
	if (!k || !ad || a->total >= ADMIT_JOIN_TOTAL) {
		*why = "join rate limit (all)";
		return false;
	}
	if (k->count >= ADMIT_JOIN_PER_KEY) {
		*why = "join rate limit (this key)";
		return false;
	}
	if (ad->count >= ADMIT_JOIN_PER_ADDR) {
		*why = "join rate limit (this address)";
		return false;
	}
	k->count++;
	ad->count++;
	a->total++;
	return true;
}
