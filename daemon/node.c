/* SPDX-License-Identifier: EUPL-1.2 */
#include "node.h"
#include "node_receipts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../keys/keyfile.h"
#include "../keys/seqfile.h"
#include "rate.h"
#include "../proto/receipt.h"

#define META_NBHD "nbhd"

static const char *const reject_names[RJ_COUNT] = {
	[RJ_NONE] = "stored",        [RJ_MALFORMED] = "malformed",
	[RJ_BADSIG] = "bad-signature", [RJ_NBHD] = "other-neighbourhood",
	[RJ_NOCERT] = "no-certificate", [RJ_REVOKED] = "revoked",
	[RJ_ROLE] = "role",          [RJ_EXPIRED] = "expired",
	[RJ_SKEW] = "clock-skew",    [RJ_EQUIVOCATION] = "equivocation",
	[RJ_DUPLICATE] = "duplicate", [RJ_RATE] = "rate-limited",
	[RJ_RETRACTED] = "retracted", [RJ_PENALIZED] = "peer-cut-off",
	[RJ_STORE] = "store-failure", [RJ_EPOCH] = "epoch-number",
};

const char *reject_name(enum reject r)
{
	return r < RJ_COUNT ? reject_names[r] : "unknown";
}

bool reject_is_misbehaviour(enum reject r)
{
	return r == RJ_MALFORMED || r == RJ_BADSIG || r == RJ_NBHD || r == RJ_NOCERT ||
	       r == RJ_ROLE || r == RJ_SKEW || r == RJ_EQUIVOCATION;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int node_reload(node_t *n)
{
	return node_rebuild(n);
}

int node_open(node_t *n, const char *state_dir, const char *key_path, const char *passphrase,
	      const uint8_t *nbhd, const struct node_params *p)
{
	char path[4200];
	size_t len;
	int ret;

	memset(n, 0, sizeof(*n));
	n->now_ms = wall_ms;
	n->params = *p;
	if (sodium_init() < 0)
		return -EIO;
	if (snprintf(n->key_path, sizeof(n->key_path), "%s", key_path) >= (int)sizeof(n->key_path) ||
	    snprintf(path, sizeof(path), "%s/store", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	ret = keyfile_read_secret(key_path, passphrase, &n->id);
	if (ret < 0)
		return ret;
	struct store_opts so = {.max_map_size = (size_t)p->max_map_bytes};
	ret = store_open(&n->store, path, &so);
	if (ret < 0)
		goto fail;
	if (nbhd) {
		ret = node_set_nbhd(n, nbhd);
		if (ret < 0)
			goto fail;
	} else if (store_meta_get(n->store, META_NBHD, n->nbhd, 32, &len) == 0 && len == 32) {
		n->have_nbhd = true;
	}
	ret = node_rebuild(n);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	node_close(n);
	return ret;
}

void node_close(node_t *n)
{
	for (size_t i = 0; i < n->n_epochs; i++)
		node_epoch_clear(&n->epochs[i]);
	free(n->epochs);
	free(n->retracted);
	node_receipts_clear(n);
	rate_table_free(&n->rates);
	membership_free(&n->mem);
	for (size_t i = 0; i < n->n_served; i++)
		membership_free(&n->served[i].mem);
	n->n_served = 0;
	vpool_free(&n->vpool);
	n->vpool_failed = false;
	store_close(&n->store);
	identity_free(&n->id);
	n->epochs = NULL;
	n->retracted = NULL;
	n->n_epochs = n->n_retracted = 0;
}

int node_set_nbhd(node_t *n, const uint8_t nbhd[32])
{
	uint8_t held[32];
	size_t len;
	if (store_meta_get(n->store, META_NBHD, held, 32, &len) == 0 && len == 32 &&
	    memcmp(held, nbhd, 32) != 0)
		return SAMEN_ENBHD; /* one store, one neighbourhood */
	int ret = store_meta_put(n->store, META_NBHD, nbhd, 32);
	if (ret < 0)
		return ret;
	memcpy(n->nbhd, nbhd, 32);
	if (!n->have_nbhd) {
		n->have_nbhd = true;
		return node_rebuild(n);
	}
	return 0;
}


/* ---- own records ---- */

int node_prepare(node_t *n, struct record *r, uint8_t kind)
{
	struct store_vv_entry e;
	int ret;

	if (!n->have_nbhd)
		return SAMEN_ENBHD;
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	memcpy(r->nbhd, n->nbhd, 32);
	memcpy(r->author, n->id->pk, 32);
	r->created = n->now_ms() / 1000;
	/* never below what the store holds of our own key: a lost or older
	 * counter file must not make us equivocate */
	ret = store_vv_get(n->store, n->id->pk, &e);
	if (ret < 0)
		return ret;
	return seqfile_next(n->key_path, e.max > e.contig ? e.max : e.contig, &r->seq);
}

void node_abandon(node_t *n, const struct record *r)
{
	/* if this fails (or a later number is out) a hole stays in our stream;
	 * gossip.c own_gaps() accounts for it, so nothing waits on it */
	if (seqfile_release(n->key_path, r->seq) < 0)
		return;
}

int node_publish(node_t *n, struct record *r, enum reject *why)
{
	uint8_t *buf;
	size_t len;
	enum reject v = RJ_NONE;
	int ret = record_sign(r, n->id->sk, &buf, &len);
	if (ret < 0) {
		node_abandon(n, r);
		return ret;
	}
	const uint8_t *recs[1] = {buf};
	ret = node_ingest(n, recs, &len, 1, NULL, &v);
	free(buf);
	if (why)
		*why = v;
	/* refused before anyone saw it: the number was never used */
	if (ret < 0 || v != RJ_NONE)
		node_abandon(n, r);
	if (ret < 0)
		return ret == -ENOMEM ? ret : SAMEN_EFULL;
	switch (v) {
	case RJ_NONE: return 0;
	case RJ_STORE: return SAMEN_EFULL;
	case RJ_RATE: return SAMEN_ERATE;
	case RJ_REVOKED: return SAMEN_EREVOKED;
	case RJ_NOCERT: return SAMEN_ENOCERT;
	case RJ_ROLE: return SAMEN_EROLE;
	default: return SAMEN_EINVAL;
	}
}

unsigned node_my_role(const node_t *n)
{
	static const unsigned order[] = {ROLE_COORDINATOR, ROLE_MEMBER, ROLE_RELAY, ROLE_AUTHORITY};
	uint64_t now = n->now_ms() / 1000;
	if (!n->have_nbhd)
		return 0;
	if (node_is_founder(n, n->id->pk))
		return ROLE_COORDINATOR;
	for (size_t i = 0; i < 4; i++)
		if (membership_check(n->mem, n->id->pk, order[i], now, NULL) == 0)
			return order[i];
	return 0;
}

/* ---- rekeying ---- */

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
		if (node_epoch_counts(n, &n->epochs[i]) && n->epochs[i].number > number)
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

int node_decrypt(const node_t *n, const struct record *r, struct signal_plain *p)
{
	const struct epoch *e = node_epoch_by_id(n, r->u.signal.epoch_id);
	if (e && e->key)
		return signal_decrypt_member(r, e->key, p);
	return signal_decrypt_authority(r, n->id->pk, n->id->curve_pk, n->id->curve_sk, p);
}

int node_prune(node_t *n)
{
	return store_prune(n->store, n->now_ms() / 1000);
}

int node_receipt_publish(node_t *n, struct receipt *rc, uint64_t expires, size_t *bytes)
{
	uint8_t plain[SIGNAL_PLAIN_MAX];
	size_t len = 0;
	struct record r;
	struct signal_buf sb;
	const struct epoch *e = node_current_epoch(n);
	*bytes = 0;
	if (!e || !e->key)
		return SAMEN_ENOKEY;
	receipt_normalise(rc);
	int ret = receipt_encode(rc, plain, sizeof(plain), &len);
	if (ret == 0)
		ret = node_prepare(n, &r, REC_SIGNAL);
	if (ret == 0) {
		/* kept as long as the alerts it speaks of, no longer */
		if (expires < r.created + 60)
			expires = r.created + 60;
		ret = signal_encrypt_bytes(&r, plain, len, e->id, e->key, NULL, 0, expires, &sb);
		if (ret < 0)
			node_abandon(n, &r);
		else
			ret = node_publish(n, &r, NULL);
		if (ret == 0)
			*bytes = r.body_len + 70;
	}
	sodium_memzero(plain, sizeof(plain));
	sodium_memzero(&sb, sizeof(sb));
	return ret;
}
