/* SPDX-License-Identifier: EUPL-1.2 */
#include "node_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../keys/keyfile.h"
#include "../keys/seqfile.h"
#include "purge.h"
#include "rate.h"

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

/* ---- rebuilding state from the store ---- */

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
	default:
		return 0;
	}
}

static int rebuild_nbhd(node_t *n, const uint8_t nbhd[32], membership_t **mem)
{
	static const uint8_t kinds[] = {REC_CERT, REC_REVOCATION, REC_EPOCH, REC_RETRACTION};
	membership_free(mem);
	*mem = membership_new(nbhd);
	if (!*mem)
		return -ENOMEM;
	struct rebuild_ctx c = {n, *mem};
	for (size_t i = 0; i < sizeof(kinds); i++) {
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

int node_reload(node_t *n)
{
	return node_rebuild(n);
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
