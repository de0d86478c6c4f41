/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_node.c — daemon/node.c, the validation and store pipeline, on a real
 * LMDB store in a fresh directory under /tmp and real Ed25519 keys: the
 * verdict for each reason a record is refused (and its counter), the verify
 * workers giving the verdicts of the plain loop, the `stored` callback once
 * per committed record in commit order, and node_publish() giving back a
 * refused record's sequence number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../support/harness.h"
#include "../../daemon/node.h"
#include "../../daemon/store.h"
#include "../../keys/keyfile.h"

#define NODE_BURST 5

struct nfx {
	char tmp[64];
	char key[96];
	struct identity *founder;
	node_t serial, parallel;
	bool open_serial, open_parallel;
};

static uint64_t fixed_ms;
static uint64_t fixed_clock(void)
{
	return fixed_ms; /* no refill between batches: verdicts do not race the clock */
}

static void node_start(struct nfx *f, node_t *n, const char *name, unsigned threads)
{
	char dir[128];
	struct node_params p = {.clock_skew = 300, .rate_per_minute = 60,
				.rate_burst = NODE_BURST, .retention = 7 * 86400};

	snprintf(dir, sizeof(dir), "%s/%s", f->tmp, name);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(node_open(n, dir, f->key, NULL, f->founder->pk, &p), 0);
	n->now_ms = fixed_clock;
	n->verify_threads = threads;
}

static int node_setup(void **state)
{
	struct nfx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/samen-test-ingest-XXXXXX");
	if (!mkdtemp(f->tmp))
		return -1;
	snprintf(f->key, sizeof(f->key), "%s/founder.key", f->tmp);
	if (identity_generate(&f->founder) != 0 ||
	    keyfile_write_secret(f->key, f->founder, NULL) != 0)
		return -1;
	fixed_ms = (uint64_t)time(NULL) * 1000;
	*state = f;
	node_start(f, &f->serial, "serial", 1);
	f->open_serial = true;
	/* more threads than this machine may have: the pool is used anyway */
	node_start(f, &f->parallel, "parallel", NODE_VERIFY_THREADS_MAX);
	f->open_parallel = true;
	return 0;
}

static int node_teardown(void **state)
{
	struct nfx *f = *state;

	if (f->open_serial)
		node_close(&f->serial);
	if (f->open_parallel)
		node_close(&f->parallel);
	identity_free(&f->founder);
	harness_rmtree(f->tmp);
	free(f);
	return 0;
}

struct rset {
	uint8_t *rec[300];
	size_t len[300];
	size_t n;
};

static void rset_add(struct rset *s, struct record *r, const struct identity *signer)
{
	assert_true(s->n < 300);
	assert_int_equal(record_sign(r, signer->sk, &s->rec[s->n], &s->len[s->n]), 0);
	s->n++;
}

static void rset_free(struct rset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->rec[i]);
	s->n = 0;
}

static void add_cert(struct rset *s, const struct identity *founder, uint64_t seq,
		     const uint8_t subject[32])
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.kind = REC_CERT;
	memcpy(r.nbhd, founder->pk, 32);
	memcpy(r.author, founder->pk, 32);
	r.seq = seq;
	r.created = fixed_ms / 1000 - 10;
	memcpy(r.u.cert.subject, subject, 32);
	r.u.cert.role = ROLE_MEMBER;
	snprintf(r.u.cert.label, sizeof(r.u.cert.label), "lid %llu", (unsigned long long)seq);
	r.u.cert.not_before = r.created - 60;
	r.u.cert.not_after = r.created + 86400;
	rset_add(s, &r, founder);
}

/* A signal as the node sees it: the payload is opaque to validation. */
static void add_signal(struct rset *s, const uint8_t nbhd[32], const struct identity *author,
		       uint64_t seq, uint8_t salt, int64_t created_offset)
{
	struct record r;
	uint8_t ct[64];

	memset(&r, 0, sizeof(r));
	memset(ct, salt, sizeof(ct));
	r.kind = REC_SIGNAL;
	memcpy(r.nbhd, nbhd, 32);
	memcpy(r.author, author->pk, 32);
	r.seq = seq;
	r.created = (uint64_t)((int64_t)(fixed_ms / 1000) + created_offset);
	r.u.signal.expires = r.created + 3600;
	r.u.signal.ct = ct;
	r.u.signal.ct_len = sizeof(ct);
	rset_add(s, &r, author);
}

/* The last record's signature, spoiled (its last byte is in the signature). */
static void spoil_last(struct rset *s)
{
	s->rec[s->n - 1][s->len[s->n - 1] - 1] ^= 0x01;
}

/* Both nodes take the batch; their verdicts must agree. */
static void ingest_both(struct nfx *f, const struct rset *s, enum reject *v)
{
	enum reject w[300];

	int a = node_ingest(&f->serial, (const uint8_t *const *)s->rec, s->len, s->n, NULL, v);
	int b = node_ingest(&f->parallel, (const uint8_t *const *)s->rec, s->len, s->n, NULL, w);
	assert_int_equal(a, b);
	for (size_t i = 0; i < s->n; i++) {
		if (v[i] != w[i])
			print_error("record %zu: serial %s, parallel %s\n", i, reject_name(v[i]),
				    reject_name(w[i]));
		assert_int_equal(v[i], w[i]);
	}
	assert_memory_equal(f->serial.counters, f->parallel.counters, sizeof(f->serial.counters));
}

static void test_ingest_verdicts(void **state)
{
	struct nfx *f = *state;
	struct identity *a = NULL, *b = NULL, *c = NULL;
	struct rset s = {.n = 0};
	enum reject v[300];
	const uint8_t *nbhd = f->founder->pk;

	assert_int_equal(identity_generate(&a), 0);
	assert_int_equal(identity_generate(&b), 0);
	assert_int_equal(identity_generate(&c), 0);

	/* signals first, their authors' certificates last: sorted in the batch */
	for (uint64_t q = 1; q <= NODE_BURST + 3; q++)
		add_signal(&s, nbhd, a, q, (uint8_t)q, 0);            /* 0..7 */
	add_signal(&s, nbhd, b, 1, 1, 0);                           /* 8 */
	add_signal(&s, nbhd, b, 2, 2, 0);                           /* 9 */
	spoil_last(&s);
	s.rec[s.n] = malloc(8);                                     /* 10 */
	assert_non_null(s.rec[s.n]);
	memcpy(s.rec[s.n], "\x92\xc4\x01xyzzy", 8);
	s.len[s.n++] = 8;
	s.rec[s.n] = malloc(s.len[8]);                              /* 11 */
	assert_non_null(s.rec[s.n]);
	memcpy(s.rec[s.n], s.rec[8], s.len[8]);
	s.len[s.n++] = s.len[8];
	add_signal(&s, nbhd, b, 3, 30, 0);                          /* 12 */
	add_signal(&s, nbhd, b, 3, 31, 0);                          /* 13 */
	add_signal(&s, nbhd, c, 1, 1, 0);                           /* 14 */
	add_signal(&s, nbhd, b, 4, 4, 3600);                        /* 15 */
	add_cert(&s, f->founder, 1, a->pk);                         /* 16 */
	add_cert(&s, f->founder, 2, b->pk);                         /* 17 */
	ingest_both(f, &s, v);
	for (size_t i = 0; i < NODE_BURST; i++)
		assert_int_equal(v[i], RJ_NONE);
	for (size_t i = NODE_BURST; i < 8; i++)
		assert_int_equal(v[i], RJ_RATE);
	assert_int_equal(v[8], RJ_NONE);
	assert_int_equal(v[9], RJ_BADSIG);
	assert_int_equal(v[10], RJ_MALFORMED);
	assert_int_equal(v[11], RJ_DUPLICATE);
	assert_int_equal(v[12], RJ_NONE);       /* the first of two with one number */
	assert_int_equal(v[13], RJ_EQUIVOCATION);
	assert_int_equal(v[14], RJ_NOCERT);
	assert_int_equal(v[15], RJ_SKEW);
	assert_int_equal(v[16], RJ_NONE);
	assert_int_equal(v[17], RJ_NONE);
	rset_free(&s);

	/* a's bucket is empty: its records are refused unverified, a forged
	 * one too; b's is not: forgeries are checked, and take no token */
	add_signal(&s, nbhd, a, 9, 9, 0);                           /* 0 */
	add_signal(&s, nbhd, a, 10, 10, 0);                         /* 1 */
	spoil_last(&s);
	add_signal(&s, nbhd, c, 2, 2, 0);                           /* 2 */
	for (uint64_t q = 5; q < 5 + 2 * NODE_BURST; q++) {          /* 3..12 */
		add_signal(&s, nbhd, b, q, (uint8_t)q, 0);
		spoil_last(&s);
	}
	ingest_both(f, &s, v);
	assert_int_equal(v[0], RJ_RATE);
	assert_int_equal(v[1], RJ_RATE);
	assert_int_equal(v[2], RJ_NOCERT);
	for (size_t i = 3; i < 3 + 2 * NODE_BURST; i++)
		assert_int_equal(v[i], RJ_BADSIG);
	rset_free(&s);
	/* b spent 4 tokens in the first batch (1, its copy and both 3s: the
	 * store refuses a duplicate or an equivocation only after
	 * check_record took its token), none on the forgeries: 1 is left */
	for (uint64_t q = 5; q < 8; q++)
		add_signal(&s, nbhd, b, q, (uint8_t)q, 0);
	ingest_both(f, &s, v);
	assert_int_equal(v[0], RJ_NONE);
	assert_int_equal(v[1], RJ_RATE);
	assert_int_equal(v[2], RJ_RATE);
	rset_free(&s);

	identity_free(&a);
	identity_free(&b);
	identity_free(&c);
}

/* A full link message's worth from many authors, certificates in the same
 * batch, then the same again: all stored, then all duplicates. */
static void test_ingest_full_batch(void **state)
{
	struct nfx *f = *state;
	struct identity *m[8] = {NULL};
	struct rset s = {.n = 0};
	enum reject v[300];

	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(identity_generate(&m[i]), 0);
		add_cert(&s, f->founder, i + 1, m[i]->pk);
	}
	for (uint64_t q = 1; s.n < 256; q++)
		for (size_t i = 0; i < 8 && s.n < 256; i++)
			add_signal(&s, f->founder->pk, m[i], q, (uint8_t)i, 0);
	f->serial.params.rate_burst = f->parallel.params.rate_burst = 1000;
	ingest_both(f, &s, v);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(v[i], RJ_NONE);
	ingest_both(f, &s, v);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(v[i], RJ_DUPLICATE);
	assert_non_null(f->parallel.vpool);
	assert_null(f->serial.vpool);
	rset_free(&s);
	for (size_t i = 0; i < 8; i++)
		identity_free(&m[i]);
}

/* One record, one batch: its verdict, and the counter of its reason (on
 * both nodes, which ingest_both() checks agree). */
static void one_verdict(struct nfx *f, struct rset *s, enum reject want)
{
	enum reject v[300];
	uint64_t before = f->serial.counters[want];

	ingest_both(f, s, v);
	for (size_t i = 0; i < s->n; i++)
		if (i + 1 < s->n)
			assert_int_equal(v[i], RJ_NONE);
	if (v[s->n - 1] != want)
		print_error("want %s, got %s\n", reject_name(want), reject_name(v[s->n - 1]));
	assert_int_equal(v[s->n - 1], want);
	assert_int_equal(f->serial.counters[want], before + 1);
	rset_free(s);
}

/* Each reason a record from anyone is refused, alone in its batch. */
static void test_ingest_reasons(void **state)
{
	struct nfx *f = *state;
	struct identity *a = NULL, *other = NULL;
	struct rset s = {.n = 0};
	const uint8_t *nbhd = f->founder->pk;

	assert_int_equal(identity_generate(&a), 0);
	assert_int_equal(identity_generate(&other), 0);
	add_cert(&s, f->founder, 1, a->pk);
	one_verdict(f, &s, RJ_NONE);

	/* not msgpack of a record at all */
	s.rec[0] = malloc(3);
	assert_non_null(s.rec[0]);
	memcpy(s.rec[0], "\x91\x01\x02", 3);
	s.len[0] = 3;
	s.n = 1;
	one_verdict(f, &s, RJ_MALFORMED);

	add_signal(&s, nbhd, a, 1, 1, 0);
	spoil_last(&s);
	one_verdict(f, &s, RJ_BADSIG);

	/* well signed, for a neighbourhood this node neither belongs to nor serves */
	add_signal(&s, other->pk, a, 1, 1, 0);
	one_verdict(f, &s, RJ_NBHD);

	/* dated past clock_skew (300 s) ahead; one just inside it is fine */
	add_signal(&s, nbhd, a, 1, 1, 301);
	one_verdict(f, &s, RJ_SKEW);
	add_signal(&s, nbhd, a, 1, 1, 299);
	one_verdict(f, &s, RJ_NONE);

	/* its own expiry (created + 3600) has passed */
	add_signal(&s, nbhd, a, 2, 2, -3601);
	one_verdict(f, &s, RJ_EXPIRED);

	/* the very bytes again, then another record under the same number */
	add_signal(&s, nbhd, a, 1, 1, 299);
	one_verdict(f, &s, RJ_DUPLICATE);
	add_signal(&s, nbhd, a, 1, 7, 0);
	one_verdict(f, &s, RJ_EQUIVOCATION);

	/* signed by a key with no certificate here */
	add_signal(&s, nbhd, other, 1, 1, 0);
	one_verdict(f, &s, RJ_NOCERT);

	assert_true(reject_is_misbehaviour(RJ_MALFORMED));
	assert_true(reject_is_misbehaviour(RJ_BADSIG));
	assert_true(reject_is_misbehaviour(RJ_NBHD));
	assert_true(reject_is_misbehaviour(RJ_SKEW));
	assert_true(reject_is_misbehaviour(RJ_EQUIVOCATION));
	assert_false(reject_is_misbehaviour(RJ_DUPLICATE));
	assert_false(reject_is_misbehaviour(RJ_EXPIRED));
	assert_false(reject_is_misbehaviour(RJ_RATE));
	assert_string_equal(reject_name(RJ_NBHD), "other-neighbourhood");
	assert_string_equal(reject_name(RJ_SKEW), "clock-skew");
	identity_free(&a);
	identity_free(&other);
}

struct calls {
	uint8_t id[16][32];
	int source[16];
	size_t n;
};

static void on_stored(void *ctx, struct node *n, const struct record *r, const uint8_t *buf,
		      size_t len, int source)
{
	struct calls *c = ctx;
	uint8_t id[32];

	(void)n;
	assert_true(c->n < 16);
	record_id(buf, len, id);
	assert_memory_equal(id, r->id, 32); /* the bytes are the record's */
	memcpy(c->id[c->n], r->id, 32);
	c->source[c->n] = source;
	c->n++;
}

static int on_cursor(void *ctx, uint64_t cursor, const uint8_t id[32], const uint8_t *data,
		     size_t len)
{
	struct calls *c = ctx;

	(void)cursor;
	(void)data;
	(void)len;
	assert_true(c->n < 16);
	memcpy(c->id[c->n++], id, 32);
	return 0;
}

/* `stored` is called once for each record committed, in the order the store
 * committed them (its cursor order), with the record's own bytes and the
 * caller's source tag; never for one refused, and not again for a
 * duplicate. */
static void test_stored_callback(void **state)
{
	struct nfx *f = *state;
	struct identity *a = NULL;
	struct rset s = {.n = 0};
	enum reject v[300];
	struct calls got = {.n = 0}, order = {.n = 0};
	const int sources[6] = {10, 11, 12, 13, 14, 15};

	assert_int_equal(identity_generate(&a), 0);
	f->serial.stored = on_stored;
	f->serial.stored_ctx = &got;
	/* the signals before the certificate that makes them valid */
	add_signal(&s, f->founder->pk, a, 1, 1, 0);                 /* 0 */
	add_signal(&s, f->founder->pk, a, 2, 2, 0);                 /* 1 */
	add_signal(&s, f->founder->pk, a, 3, 3, 0);                 /* 2 */
	spoil_last(&s);
	add_signal(&s, f->founder->pk, a, 4, 4, 0);                 /* 3 */
	add_cert(&s, f->founder, 1, a->pk);                         /* 4 */
	add_signal(&s, f->founder->pk, a, 2, 9, 0);                 /* 5: equivocates with 1 */
	assert_int_equal(node_ingest(&f->serial, (const uint8_t *const *)s.rec, s.len, s.n,
				     sources, v),
			 4);
	assert_int_equal(v[2], RJ_BADSIG);
	assert_int_equal(v[5], RJ_EQUIVOCATION);
	assert_int_equal(got.n, 4);
	assert_int_equal(store_each_from_cursor(f->serial.store, 0, 16, on_cursor, &order), 4);
	assert_int_equal(order.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_memory_equal(got.id[i], order.id[i], 32);
	/* the certificate first: what it makes valid comes after it */
	assert_int_equal(got.source[0], 14);
	for (size_t i = 0; i < 4; i++) {
		size_t k = (size_t)(got.source[i] - 10);
		uint8_t id[32];
		record_id(s.rec[k], s.len[k], id);
		assert_memory_equal(got.id[i], id, 32);
		assert_int_equal(v[k], RJ_NONE);
	}
	/* the same batch again: nothing new, no call */
	got.n = 0;
	assert_int_equal(node_ingest(&f->serial, (const uint8_t *const *)s.rec, s.len, s.n, NULL,
				     v),
			 0);
	assert_int_equal(got.n, 0);
	/* without sources, every record is local: -1 (a minute on: a's
	 * bucket, spent above, has refilled) */
	rset_free(&s);
	fixed_ms += 60 * 1000;
	add_signal(&s, f->founder->pk, a, 5, 5, 0);
	assert_int_equal(node_ingest(&f->serial, (const uint8_t *const *)s.rec, s.len, s.n, NULL,
				     v),
			 1);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.source[0], -1);
	rset_free(&s);
	identity_free(&a);
}

static int prepare_signal(node_t *n, struct record *r, uint8_t ct[64])
{
	int ret = node_prepare(n, r, REC_SIGNAL);
	if (ret < 0)
		return ret;
	memset(ct, 0x5a, 64);
	r->u.signal.expires = r->created + 3600;
	r->u.signal.ct = ct;
	r->u.signal.ct_len = 64;
	return 0;
}

/* node_publish() commits our own records under consecutive numbers; one it
 * refuses (rate-limited here) gives its number back, so the next record
 * takes it and our stream keeps no hole. */
static void test_publish_gives_back_seq(void **state)
{
	struct nfx *f = *state;
	node_t *n = &f->serial;
	struct record r;
	uint8_t ct[64];
	enum reject why = RJ_COUNT;

	for (uint64_t q = 1; q <= NODE_BURST; q++) {
		assert_int_equal(prepare_signal(n, &r, ct), 0);
		assert_int_equal(r.seq, q);
		assert_int_equal(node_publish(n, &r, &why), 0);
		assert_int_equal(why, RJ_NONE);
		assert_int_equal(store_has(n->store, r.id), 1);
	}
	assert_int_equal(prepare_signal(n, &r, ct), 0);
	assert_int_equal(r.seq, NODE_BURST + 1);
	assert_int_equal(node_publish(n, &r, &why), SAMEN_ERATE);
	assert_int_equal(why, RJ_RATE);
	assert_int_equal(store_has(n->store, r.id), 0);
	/* the refused number is the next one again */
	assert_int_equal(prepare_signal(n, &r, ct), 0);
	assert_int_equal(r.seq, NODE_BURST + 1);
	/* and one abandoned by hand too */
	node_abandon(n, &r);
	assert_int_equal(prepare_signal(n, &r, ct), 0);
	assert_int_equal(r.seq, NODE_BURST + 1);
	/* a minute later the bucket has refilled: the number is used now */
	node_abandon(n, &r);
	fixed_ms += 60 * 1000;
	assert_int_equal(prepare_signal(n, &r, ct), 0);
	assert_int_equal(r.seq, NODE_BURST + 1);
	assert_int_equal(node_publish(n, &r, &why), 0);
	assert_int_equal(prepare_signal(n, &r, ct), 0);
	assert_int_equal(r.seq, NODE_BURST + 2);
	node_abandon(n, &r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ingest_verdicts, node_setup, node_teardown),
		cmocka_unit_test_setup_teardown(test_ingest_full_batch, node_setup, node_teardown),
		cmocka_unit_test_setup_teardown(test_ingest_reasons, node_setup, node_teardown),
		cmocka_unit_test_setup_teardown(test_stored_callback, node_setup, node_teardown),
		cmocka_unit_test_setup_teardown(test_publish_gives_back_seq, node_setup,
						node_teardown),
	};

	if (sodium_init() < 0)
		return 1;
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
