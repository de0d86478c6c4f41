/* SPDX-License-Identifier: EUPL-1.2 */
#include "node.h"

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
#include "validate.h"

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

/* ---- epochs and retractions ---- */

static void epoch_clear(struct epoch *e)
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

static int epoch_add(node_t *n, const struct record *r)
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
		epoch_clear(&e);
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

static int retraction_add(node_t *n, const uint8_t target[32])
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
		return epoch_add(n, &r);
	case REC_RETRACTION:
		return retraction_add(n, r.u.retraction.target);
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

static int rebuild(node_t *n)
{
	for (size_t i = 0; i < n->n_epochs; i++)
		epoch_clear(&n->epochs[i]);
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
	return rebuild(n);
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
	ret = rebuild(n);
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
		epoch_clear(&n->epochs[i]);
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
		return rebuild(n);
	}
	return 0;
}

/* ---- validation (the rules are in validate.c, the rates in rate.c) ---- */

static bool is_founder(const node_t *n, const uint8_t key[32])
{
	return n->have_nbhd && memcmp(key, n->nbhd, 32) == 0;
}

/* Whether retraction r names a signal held here by the same author. */
static bool own_target(node_t *n, const struct record *r)
{
	uint8_t *buf;
	size_t len;
	struct record t;
	bool own = false;

	if (store_get(n->store, r->u.retraction.target, &buf, &len) == 0) {
		own = record_decode(buf, len, &t) == 0 && memcmp(t.author, r->author, 32) == 0;
		free(buf);
	}
	return own;
}

/* verified: r's signature was checked. An unverified record (its author's
 * bucket was empty, see node_ingest) gets the verdict it would get if the
 * signature were good, with rate-limited for stored; it takes no token. */
static enum reject check_record(node_t *n, const struct record *r, uint64_t now_ms,
				bool verified)
{
	uint64_t now = now_ms / 1000;
	const membership_t *mem = node_mem_for(n, r->nbhd);
	enum reject v;

	if (!mem)
		return RJ_NBHD;
	v = validate_time(r, now, &n->params);
	if (v != RJ_NONE)
		return v;
	switch (r->kind) {
	case REC_CERT:
	case REC_REVOCATION:
		v = validate_issuer(mem, r);
		break;
	case REC_EPOCH:
		v = validate_issuer(mem, r);
		if (v == RJ_NONE)
			v = validate_epoch_number(n->epochs, n->n_epochs, r);
		break;
	case REC_SIGNAL:
		if (node_is_retracted(n, r->id))
			return RJ_RETRACTED;
		v = validate_author(mem, r, now, false);
		break;
	case REC_RETRACTION:
		v = validate_author(mem, r, now, own_target(n, r));
		break;
	default:
		v = validate_author(mem, r, now, false);
		break;
	}
	if (v != RJ_NONE)
		return v;
	if (!verified ||
	    !rate_take(&n->rates, &n->params, r->author, rate_class_of(r), now_ms))
		return RJ_RATE;
	return RJ_NONE;
}

/* ---- ingest ---- */

/* Membership records first, so a batch that carries a new member's
 * certificate and its first signal is accepted whole. */
static int kind_rank(uint8_t kind)
{
	return kind == REC_CERT ? 0 : kind == REC_REVOCATION ? 1 : kind == REC_EPOCH ? 2 : 3;
}

struct item {
	struct record r;
	size_t idx;
	enum reject verdict;
	bool decoded;    /* decoded, and its signature good or not checked */
	bool unverified; /* signature not checked: its author's bucket was empty */
	bool placed;     /* membership: taken in, or refused for good */
};

/* Epoch n is accepted only after n - 1: in number order, whoever issued
 * them. */
static int epoch_rank(const struct item *x, const struct item *y)
{
	if (!x->decoded || !y->decoded || x->r.kind != REC_EPOCH || y->r.kind != REC_EPOCH ||
	    x->r.u.epoch.number == y->r.u.epoch.number)
		return 0;
	return x->r.u.epoch.number < y->r.u.epoch.number ? -1 : 1;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int rx = x->decoded ? kind_rank(x->r.kind) : 9, ry = y->decoded ? kind_rank(y->r.kind) : 9;
	if (rx != ry)
		return rx - ry;
	int e = epoch_rank(x, y);
	if (e)
		return e;
	if (x->decoded && y->decoded) {
		int c = memcmp(x->r.author, y->r.author, 32);
		if (c)
			return c;
		if (x->r.seq != y->r.seq)
			return x->r.seq < y->r.seq ? -1 : 1;
	}
	/* in arrival order otherwise (of two records with one sequence
	 * number, the first is stored), whatever qsort's algorithm */
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* ---- decoding and signatures, on every core ---- */

struct verify_job {
	const node_t *n;        /* read only while the job runs */
	struct item *items;
	const size_t *todo;     /* indices into items */
	const uint8_t *const *recs;
	const size_t *lens;
	uint64_t now_ms;
};

/*
 * Decodes one record and checks its signature; writes only its own item,
 * and reads the node only (the rate buckets), so the verify workers may run
 * it side by side while the loop thread waits.
 *
 * A record of a rate-limited kind whose author's bucket is already empty is
 * not verified at all: it cannot be stored in this batch whatever its
 * signature (buckets only drain within a batch: every record is judged at
 * one now_ms), so the check would be wasted work, and that is what a member
 * flooding us makes us do most. This is safe because the refusal takes
 * nothing: no token is taken without a good signature (check_record() calls
 * rate_take() only for verified records), so a forger cannot drain anyone's
 * bucket or get anything stored; the unverified record is never stored,
 * forwarded, or added to membership, and anti-entropy fetches the real one
 * again once the bucket refills. What changes is the reason given for a
 * forged record under an empty bucket: rate-limited, not bad-signature (so
 * it does not count against the peer that sent it; it also costs us no
 * signature check). The founder's membership records are never
 * rate-limited, so they are always verified.
 */
static void verify_one(void *ctx, size_t k)
{
	struct verify_job *j = ctx;
	struct item *it = &j->items[j->todo[k]];
	if (record_decode(j->recs[it->idx], j->lens[it->idx], &it->r) < 0) {
		it->verdict = RJ_MALFORMED;
		return;
	}
	if (rate_exhausted(&j->n->rates, &j->n->params, it->r.author,
			   rate_class_of(&it->r), j->now_ms)) {
		it->unverified = true;
		it->decoded = true;
		return;
	}
	if (record_verify(&it->r) != 0) {
		it->verdict = RJ_BADSIG;
		return;
	}
	it->decoded = true;
}

/* Below this many records a batch is checked on the loop thread alone. */
#define VERIFY_PARALLEL_MIN 4

static unsigned verify_threads(const node_t *n)
{
	unsigned t = n->verify_threads ? n->verify_threads : vpool_cpus(NODE_VERIFY_THREADS_MAX);
	return t > NODE_VERIFY_THREADS_MAX ? NODE_VERIFY_THREADS_MAX : t;
}

static void verify_all(node_t *n, struct verify_job *j, size_t count)
{
	unsigned threads = count >= VERIFY_PARALLEL_MIN ? verify_threads(n) : 1;
	if (threads > 1 && !n->vpool && !n->vpool_failed &&
	    vpool_new(&n->vpool, threads - 1) < 0)
		n->vpool_failed = true; /* then serially, as before */
	if (threads > 1 && n->vpool) {
		vpool_run(n->vpool, count, verify_one, j);
		return;
	}
	for (size_t k = 0; k < count; k++)
		verify_one(j, k);
}


/* Signals are kept for at most the retention period, whatever their own
 * expiry says: forgetting on schedule is a promise to the neighbourhood. */
static uint64_t keep_until(const node_t *n, const struct record *r)
{
	uint64_t exp = record_expires(r);
	if (r->kind == REC_SIGNAL || r->kind == REC_ANNOUNCE) {
		uint64_t cap = r->created + n->params.retention;
		if (exp == 0 || exp > cap)
			exp = cap;
	}
	return exp;
}

static void apply_stored(node_t *n, const struct record *r)
{
	if (r->kind == REC_EPOCH) {
		(void)epoch_add(n, r);
	} else if (r->kind == REC_RETRACTION) {
		uint8_t *buf;
		size_t len;
		struct record t;
		(void)retraction_add(n, r->u.retraction.target);
		/* forget the retracted text itself, not just hide it */
		if (store_get(n->store, r->u.retraction.target, &buf, &len) == 0) {
			if (record_decode(buf, len, &t) == 0 &&
			    store_delete(n->store, t.id, keep_until(n, &t)) < 0)
				n->counters[RJ_STORE]++;
			free(buf);
		}
	}
}

/* Passes over a batch's membership records (see ingest()). The longest
 * chain in one batch is three: the founder certifies a coordinator, which
 * certifies a household, which revokes itself; more passes cost nothing
 * when the chain is taken in before them. */
#define INGEST_MEMBERSHIP_PASSES 4

/* Checks one certificate or revocation and adds it to the membership. */
static enum reject admit_membership(node_t *n, struct item *it, uint64_t now_ms)
{
	enum reject v = check_record(n, &it->r, now_ms, !it->unverified);
	if (it->unverified && v == RJ_NONE)
		v = RJ_RATE; /* cannot happen; never store one */
	if (v != RJ_NONE)
		return v;
	int m = membership_add(node_mem_for(n, it->r.nbhd), &it->r);
	if (m < 0 && m != SAMEN_EDUPLICATE)
		return m == SAMEN_EISSUER ? RJ_ROLE : RJ_MALFORMED;
	return RJ_NONE;
}

/* Adds an accepted record to the batch the store will commit. */
static void queue_for_store(node_t *n, const struct item *it, const uint8_t *const *recs,
			    const size_t *lens, struct store_rec *batch, size_t *n_batch)
{
	struct store_rec *s = &batch[(*n_batch)++];
	memcpy(s->id, it->r.id, 32);
	memcpy(s->nbhd, it->r.nbhd, 32);
	memcpy(s->author, it->r.author, 32);
	s->seq = it->r.seq;
	s->kind = it->r.kind;
	s->expires = keep_until(n, &it->r);
	s->data = recs[it->idx];
	s->len = lens[it->idx];
}

static int ingest(node_t *n, const uint8_t *const *recs, const size_t *lens, size_t n_recs,
		  const int *sources, enum reject *verdicts, bool durable)
{
	struct item *items = NULL;
	struct store_rec *batch = NULL;
	int *results = NULL, *held = NULL;
	uint8_t(*ids)[32] = NULL;
	size_t *todo = NULL;
	size_t n_batch = 0;
	bool membership_touched = false;
	uint64_t now_ms = n->now_ms();
	int ret, stored = 0;

	if (n_recs == 0)
		return 0;
	items = calloc(n_recs, sizeof(*items));
	batch = calloc(n_recs, sizeof(*batch));
	results = calloc(n_recs, sizeof(*results));
	ids = calloc(n_recs, sizeof(*ids));
	todo = calloc(n_recs, sizeof(*todo));
	held = calloc(n_recs, sizeof(*held));
	if (!items || !batch || !results || !ids || !todo || !held) {
		ret = -ENOMEM;
		goto out;
	}
	/* already held? the common case in gossip, and the cheapest check:
	 * one read transaction for the whole batch */
	size_t n_todo = 0;
	for (size_t i = 0; i < n_recs; i++) {
		struct item *it = &items[i];
		it->idx = i;
		if (lens[i] > RECORD_MAX) {
			it->verdict = RJ_MALFORMED;
			continue;
		}
		record_id(recs[i], lens[i], ids[n_todo]);
		todo[n_todo++] = i;
	}
	if (store_has_each(n->store, (const uint8_t(*)[32])ids, n_todo, held) < 0)
		memset(held, 0, n_todo * sizeof(*held)); /* then check them all */
	size_t n_check = 0;
	for (size_t k = 0; k < n_todo; k++) {
		if (held[k] == 1)
			items[todo[k]].verdict = RJ_DUPLICATE;
		else
			todo[n_check++] = todo[k];
	}
	struct verify_job job = {n, items, todo, recs, lens, now_ms};
	verify_all(n, &job, n_check);

	qsort(items, n_recs, sizeof(*items), item_cmp);
	/* Membership records first, and again while a pass takes some in: a
	 * certificate may come in one batch with the certificate of its issuer,
	 * and which of the two sorts first (by author key) must not decide
	 * whether it counts. A chain deeper than the passes is taken in by the
	 * next batches, as anti-entropy fetches what was refused. */
	size_t n_mem = 0;
	while (n_mem < n_recs && items[n_mem].decoded &&
	       (items[n_mem].r.kind == REC_CERT || items[n_mem].r.kind == REC_REVOCATION))
		n_mem++;
	for (unsigned pass = 0; pass < INGEST_MEMBERSHIP_PASSES; pass++) {
		bool again = false, took = false;
		for (size_t i = 0; i < n_mem; i++) {
			struct item *it = &items[i];
			if (it->placed)
				continue;
			it->verdict = admit_membership(n, it, now_ms);
			if (it->verdict == RJ_NONE) {
				membership_touched = took = it->placed = true;
				queue_for_store(n, it, recs, lens, batch, &n_batch);
			} else if (it->verdict == RJ_NOCERT || it->verdict == RJ_ROLE) {
				again = true; /* its issuer may be taken in later in this pass */
			} else {
				it->placed = true;
			}
		}
		if (!again || !took)
			break;
	}
	for (size_t i = n_mem; i < n_recs; i++) {
		struct item *it = &items[i];
		if (!it->decoded)
			continue;
		it->verdict = check_record(n, &it->r, now_ms, !it->unverified);
		if (it->unverified && it->verdict == RJ_NONE)
			it->verdict = RJ_RATE; /* cannot happen; never store one */
		if (it->verdict != RJ_NONE)
			continue;
		if (it->r.kind == REC_EPOCH) {
			/* now, so the next number in this batch finds it */
			if (epoch_add(n, &it->r) < 0) {
				it->verdict = RJ_STORE;
				continue;
			}
			membership_touched = true;
		}
		queue_for_store(n, it, recs, lens, batch, &n_batch);
	}
	ret = durable ? store_put_batch(n->store, batch, n_batch, results, NULL)
		      : store_put_batch_deferred(n->store, batch, n_batch, results, NULL);
	if (ret < 0) {
		for (size_t i = 0; i < n_recs; i++)
			if (items[i].decoded && items[i].verdict == RJ_NONE)
				items[i].verdict = RJ_STORE;
		n->counters[RJ_STORE] += n_batch;
		if (membership_touched)
			(void)rebuild(n);
		goto out;
	}
	for (size_t i = 0, b = 0; i < n_recs; i++) {
		struct item *it = &items[i];
		if (!it->decoded || it->verdict != RJ_NONE)
			continue;
		int res = results[b++];
		if (res == SAMEN_EDUPLICATE)
			it->verdict = RJ_DUPLICATE;
		else if (res == SAMEN_EEQUIVOCATION)
			it->verdict = RJ_EQUIVOCATION;
		if (it->verdict != RJ_NONE)
			continue;
		stored++;
		n->stored_total++;
		apply_stored(n, &it->r);
	}
	/* An equivocating certificate was added to membership before the store
	 * refused it: rebuild from what is really stored. */
	for (size_t i = 0; i < n_recs; i++)
		if (items[i].verdict == RJ_EQUIVOCATION &&
		    (items[i].r.kind == REC_CERT || items[i].r.kind == REC_REVOCATION ||
		     items[i].r.kind == REC_EPOCH)) {
			(void)rebuild(n);
			break;
		}
	for (size_t i = 0; i < n_recs; i++) {
		struct item *it = &items[i];
		n->counters[it->verdict]++;
		if (verdicts)
			verdicts[it->idx] = it->verdict;
		if (it->verdict == RJ_NONE && n->stored)
			n->stored(n->stored_ctx, n, &it->r, recs[it->idx], lens[it->idx],
				  sources ? sources[it->idx] : -1);
	}
	ret = stored;
out:
	free(items);
	free(batch);
	free(results);
	free(ids);
	free(todo);
	free(held);
	return ret;
}

int node_ingest(node_t *n, const uint8_t *const *recs, const size_t *lens, size_t n_recs,
		const int *sources, enum reject *verdicts)
{
	return ingest(n, recs, lens, n_recs, sources, verdicts, true);
}

int node_ingest_relayed(node_t *n, const uint8_t *const *recs, const size_t *lens, size_t n_recs,
			const int *sources, enum reject *verdicts)
{
	return ingest(n, recs, lens, n_recs, sources, verdicts, false);
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
	if (is_founder(n, n->id->pk))
		return ROLE_COORDINATOR;
	for (size_t i = 0; i < 4; i++)
		if (membership_check(n->mem, n->id->pk, order[i], now, NULL) == 0)
			return order[i];
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
