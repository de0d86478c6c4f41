/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node_ingest.c — a batch of records from a link, a relay or this household:
 * decoded and signature-checked on every core, checked against the rules
 * (validate.c) and the rates (rate.c) in an order that does not depend on
 * how the batch arrived, and committed in one store transaction.
 */
#include "node_ingest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node_epoch.h"
#include "node_receipts.h"
#include "node_rebuild.h"
#include "rate.h"
#include "validate.h"

/* ---- validation (the rules are in validate.c, the rates in rate.c) ---- */

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
	if (r->kind == REC_SIGNAL) {
		(void)node_receipt_add(n, r); /* most signals are none */
	} else if (r->kind == REC_EPOCH) {
		(void)node_epoch_add(n, r);
	} else if (r->kind == REC_RETRACTION) {
		uint8_t *buf;
		size_t len;
		struct record t;
		(void)node_retraction_add(n, r->u.retraction.target);
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
			if (node_epoch_add(n, &it->r) < 0) {
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
			(void)node_rebuild(n);
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
			(void)node_rebuild(n);
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