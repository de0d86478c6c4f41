/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Attack test: forgery and replay. A raw client holding a member's key
 * (its daemon stopped) sends one daemon 10,000 mutated records, shuffled:
 * bit flips and swapped signatures of valid signals, replays of records the
 * daemon holds, signals expired long ago, epoch keys issued by a member,
 * signals of a revoked member under its old epoch, of another
 * neighbourhood, from the future, from a key nobody certified, and
 * equivocations (a second record under a sequence number already used).
 * Every one is refused and counted under its reason in `status`; nothing is
 * stored (the store's record count is unchanged, none of the ids is in it)
 * and nothing is forwarded (the neighbours' records and counters are
 * unchanged). The daemon's invalid_limit is raised so the attacker stays
 * connected through all 10,000; honest signals flow afterwards.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <zmq.h>

#include "../../daemon/store.h"
#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../proto/link.h"
#include "../../proto/mpmap.h"
#include "../../proto/record.h"
#include "../../proto/signal.h"
#include "../support/rawpeer.h"
#include "faults.h"

#define HS_EVENTS                                                                       \
	(ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |              \
	 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

enum cat {
	C_FLIP, C_SWAP, C_REPLAY, C_EXPIRED, C_EPOCH, C_REVOKED, C_NBHD, C_FUTURE, C_STRANGER,
	C_EQUIV, C_COUNT
};
static const char *const cat_name[C_COUNT] = {
	"bit flip", "swapped signature", "replay", "expired (days old)", "epoch key by a member",
	"revoked author, old epoch", "other neighbourhood", "future timestamp", "uncertified key",
	"equivocation",
};
static const size_t cat_n[C_COUNT] = {2000, 1000, 1500, 1000, 500, 1000, 1000, 1000, 500, 500};
#define TOTAL 10000

/* the reasons `status` counts, as PROTOCOL.md section 9 names them */
static const char *const reasons[] = {
	"malformed", "bad-signature", "other-neighbourhood", "clock-skew", "expired", "retracted",
	"no-certificate", "revoked", "role", "rate-limited", "duplicate", "equivocation",
	"store-failure", "peer-cut-off", "stored", "peer-cutoffs",
};
#define N_REASONS (sizeof(reasons) / sizeof(reasons[0]))

struct forged {
	uint8_t *buf;
	size_t len;
	enum cat cat;
};

static struct fleet fl;
static struct forged *recs;

struct snapshot {
	uint64_t records;
	uint64_t c[N_REASONS];
};

static void snap(size_t i, struct snapshot *s)
{
	assert_true(fleet_status_uint(&fl, i, "records", &s->records));
	for (size_t k = 0; k < N_REASONS; k++)
		assert_true(fleet_counter(&fl, i, reasons[k], &s->c[k]));
}

static uint64_t delta(const struct snapshot *a, const struct snapshot *b, const char *name)
{
	for (size_t k = 0; k < N_REASONS; k++)
		if (!strcmp(reasons[k], name))
			return b->c[k] - a->c[k];
	fail_msg("no reason %s", name);
	return 0;
}

static struct identity *load_identity(const struct hnode *n)
{
	struct identity *id = NULL;
	assert_int_equal(keyfile_read_secret(n->key_path, NULL, &id), 0);
	return id;
}

struct collect {
	struct forged *pool;
	size_t n, cap;
};

static int collect_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct collect *c = ctx;
	(void)id;
	if (c->n == c->cap)
		return 1;
	c->pool[c->n].buf = malloc(len);
	assert_non_null(c->pool[c->n].buf);
	memcpy(c->pool[c->n].buf, data, len);
	c->pool[c->n++].len = len;
	return 0;
}

struct seqs {
	uint64_t seq[64];
	size_t n;
};

static int seq_one(void *ctx, uint64_t seq, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct seqs *s = ctx;
	(void)id, (void)data, (void)len;
	if (s->n < 64)
		s->seq[s->n++] = seq;
	return 0;
}

static int show_new(void *ctx, uint64_t cursor, const uint8_t id[32], const uint8_t *data,
		    size_t len)
{
	const struct hnode *nodes = ctx;
	struct record r;
	(void)id;
	if (record_decode(data, len, &r) != 0)
		return 0;
	const char *who = "someone else";
	for (size_t i = 0; i < 5; i++)
		if (!memcmp(nodes[i].pk, r.author, 32))
			who = nodes[i].dir;
	fprintf(stderr, "forgery: stored meanwhile at cursor %llu: a %s by %s, seq %llu, created %llu\n",
		(unsigned long long)cursor, record_kind_name(r.kind), who,
		(unsigned long long)r.seq, (unsigned long long)r.created);
	return 0;
}

static void signal_by(const struct identity *id, const uint8_t nbhd[32], uint64_t seq,
		      uint64_t created, const uint8_t eid[32], const uint8_t key[32], size_t k,
		      struct forged *out)
{
	char desc[64];
	snprintf(desc, sizeof(desc), "vervalsing %zu %u", k, randombytes_random());
	assert_int_equal(rawrec_signal(id, nbhd, seq, created, eid, key, desc, &out->buf, &out->len), 0);
}

static void test_forgery_and_replay(void **state)
{
	(void)state;
	faults_seed("forgery");
	fleet_init(&fl, 5);
	/* the attacker stays connected through all 10,000 (the default
	 * invalid_limit would cut it off after 20), and no rate limit gets in
	 * the way of counting equivocations as such */
	snprintf(fl.extra, sizeof(fl.extra),
		 "invalid_limit = 100000\nrate_burst = 10000\nrate_per_minute = 6000\n");
	assert_true(fleet_build(&fl));
	struct hnode *target = &fl.node[0];
	const uint8_t *nbhd = fl.node[0].pk;

	/* honest traffic first: material for replays and equivocations */
	struct idset honest = {0};
	size_t senders[] = {1, 2, 2, 4, 1, 3};
	for (size_t k = 0; k < sizeof(senders) / sizeof(senders[0]); k++) {
		char id[65], code[40];
		assert_true(fleet_send(&fl, senders[k], "eerlijk signaal", id, code));
		idset_add(&honest, id);
	}
	assert_true(fleet_wait_complete(&fl, &honest, 10000, NULL));

	/* household 3 is revoked; everyone else moves to the new epoch */
	struct hreply r;
	char arg[100];
	uint64_t epoch_old = 0, epoch_new = 0;
	assert_true(fleet_status_uint(&fl, 0, "epoch", &epoch_old));
	snprintf(arg, sizeof(arg), "key=%s", fl.node[3].key_text);
	assert_true(hnode_call(target, &r, "op=revoke", arg, "reason=sleutel gestolen", NULL));
	assert_true(hreply_ok(&r));
	epoch_new = hreply_uint(&r, "epoch");
	hreply_free(&r);
	assert_true(epoch_new > epoch_old);
	fleet_stop(&fl, 3, SIGTERM);
	/* the attacker holds household 2's key; its daemon is stopped */
	fleet_stop(&fl, 2, SIGTERM);
	size_t others[] = {1, 4};
	for (size_t k = 0; k < 2; k++) {
		uint64_t end = harness_ms() + 10000, e = 0;
		bool answered = false;
		while (!(answered = fleet_status_uint(&fl, others[k], "epoch", &e)) || e != epoch_new) {
			if (harness_ms() > end)
				fail_msg("node %zu %s epoch %llu 10 s after the revocation, not %llu",
					 others[k], answered ? "holds" : "did not answer; last",
					 (unsigned long long)e, (unsigned long long)epoch_new);
			usleep(50000);
		}
	}

	struct identity *mate = load_identity(&fl.node[2]), *revoked = load_identity(&fl.node[3]);
	struct identity *stranger = NULL;
	assert_int_equal(identity_generate(&stranger), 0);
	store_t *st = NULL;
	uint64_t num = 0, num3 = 0;
	uint8_t eid[32], key[32], eid3[32], key3[32];
	assert_int_equal(rawstore_open(&st, fl.node[3].dir), 0);
	assert_int_equal(rawstore_epoch_key(st, nbhd, revoked, &num3, eid3, key3), 0);
	store_close(&st);
	assert_int_equal(num3, epoch_old);
	assert_int_equal(rawstore_open(&st, target->dir), 0);
	assert_int_equal(rawstore_epoch_key(st, nbhd, mate, &num, eid, key), 0);
	assert_int_equal(num, epoch_new);
	/* replay material: everything of these kinds the target holds */
	struct collect pool = {calloc(256, sizeof(struct forged)), 0, 256};
	assert_non_null(pool.pool);
	static const uint8_t kinds[] = {REC_SIGNAL, REC_CERT, REC_EPOCH, REC_PEER, REC_REVOCATION};
	for (size_t k = 0; k < sizeof(kinds); k++)
		assert_true(store_each_by_kind(st, nbhd, kinds[k], collect_one, &pool) >= 0);
	struct seqs used = {{0}, 0};
	assert_int_equal(store_each_by_author(st, mate->pk, 0, seq_one, &used), 0);
	store_close(&st);
	assert_true(pool.n >= 10);
	assert_true(used.n >= 2);

	/* ---- the 10,000 ---- */
	recs = calloc(TOTAL, sizeof(*recs));
	assert_non_null(recs);
	uint64_t now = (uint64_t)time(NULL), seq = 1000000;
	size_t n = 0;
	for (int c = 0; c < C_COUNT; c++) {
		for (size_t k = 0; k < cat_n[c]; k++, n++) {
			struct forged *f = &recs[n];
			f->cat = (enum cat)c;
			switch (c) {
			case C_FLIP: {
				signal_by(mate, nbhd, seq++, now, eid, key, k, f);
				/* one to three distinct bits (two flips of one bit would
				 * give back the valid record) */
				unsigned flips = 1 + faults_rand(3);
				size_t bits[3];
				for (unsigned b = 0; b < flips; b++) {
					bool again;
					do {
						bits[b] = faults_rand((uint32_t)(f->len * 8));
						again = false;
						for (unsigned o = 0; o < b; o++)
							again |= bits[o] == bits[b];
					} while (again);
					f->buf[bits[b] / 8] ^= (uint8_t)(1u << (bits[b] % 8));
				}
				break;
			}
			case C_SWAP: {
				struct forged other;
				signal_by(mate, nbhd, seq++, now, eid, key, k, f);
				signal_by(mate, nbhd, seq++, now, eid, key, k + 1, &other);
				/* the signature is the record's last 64 bytes */
				memcpy(f->buf + f->len - 64, other.buf + other.len - 64, 64);
				free(other.buf);
				break;
			}
			case C_REPLAY: {
				const struct forged *src = &pool.pool[k % pool.n];
				f->buf = malloc(src->len);
				assert_non_null(f->buf);
				memcpy(f->buf, src->buf, src->len);
				f->len = src->len;
				break;
			}
			case C_EXPIRED: /* made three days ago, expired an hour later */
				signal_by(mate, nbhd, seq++, now - 3 * 86400, eid, key, k, f);
				break;
			case C_EPOCH: { /* a member issuing an epoch key (an old number) */
				struct record er;
				uint8_t ek[32], entries[KEY_ENTRY_LEN];
				const uint8_t(*members)[32] = (const uint8_t(*)[32])mate->pk;
				memset(&er, 0, sizeof(er));
				er.kind = REC_EPOCH;
				memcpy(er.nbhd, nbhd, 32);
				memcpy(er.author, mate->pk, 32);
				er.seq = seq++;
				er.created = now;
				randombytes_buf(ek, sizeof(ek));
				assert_int_equal(epoch_seal(&er, 1 + faults_rand((uint32_t)epoch_new), ek,
							    members, 1, entries),
						 0);
				assert_int_equal(record_sign(&er, mate->sk, &f->buf, &f->len), 0);
				break;
			}
			case C_REVOKED:
				signal_by(revoked, nbhd, seq++, now, eid3, key3, k, f);
				break;
			case C_NBHD: {
				uint8_t other[32];
				randombytes_buf(other, sizeof(other));
				signal_by(mate, other, seq++, now, eid, key, k, f);
				break;
			}
			case C_FUTURE: /* a day ahead; clock_skew_seconds is 300 */
				signal_by(mate, nbhd, seq++, now + 86400, eid, key, k, f);
				break;
			case C_STRANGER:
				signal_by(stranger, nbhd, 1 + k, now, eid, key, k, f);
				break;
			case C_EQUIV: /* a sequence number the target already holds */
				signal_by(mate, nbhd, used.seq[k % used.n], now, eid, key, k, f);
				break;
			}
		}
	}
	assert_int_equal(n, TOTAL);
	/* shuffled, so each message mixes every kind */
	for (size_t i = TOTAL - 1; i > 0; i--) {
		size_t j = faults_rand((uint32_t)(i + 1));
		struct forged t = recs[i];
		recs[i] = recs[j];
		recs[j] = t;
	}

	/* the honest alerts' receipts (one per household, 3 s after each
	 * alert, then by anti-entropy) are records too: they come before the
	 * forgeries, not among them; wait until the store is still for 3 s */
	uint64_t cursor0 = 0, seen = UINT64_MAX;
	for (int still = 0, t = 0; still < 6 && t < 60; t++) {
		assert_int_equal(rawstore_open(&st, target->dir), 0);
		assert_int_equal(store_last_cursor(st, &cursor0), 0);
		store_close(&st);
		still = cursor0 == seen ? still + 1 : 0;
		seen = cursor0;
		usleep(500000);
	}
	struct snapshot before[5], after[5];
	size_t watched[] = {0, 1, 4};
	for (size_t k = 0; k < 3; k++)
		snap(watched[k], &before[watched[k]]);

	char ep[64];
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", target->port);
	struct rawpeer p;
	assert_int_equal(rawpeer_open_id(&p, ep, target->pk, mate), 0);
	assert_int_equal(rawpeer_wait_event(&p, HS_EVENTS, 5000, NULL), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
	uint8_t *hello, zero[32] = {0};
	size_t hello_len;
	assert_int_equal(rawlink_hello(nbhd, zero, "", &hello, &hello_len), 0);
	assert_int_equal(rawpeer_send(&p, hello, hello_len), 0);
	free(hello);
	uint64_t t0 = harness_ms();
	for (size_t off = 0; off < TOTAL; off += 200) {
		const uint8_t *ptr[200];
		size_t lens[200], k;
		for (k = 0; k < 200 && off + k < TOTAL; k++) {
			ptr[k] = recs[off + k].buf;
			lens[k] = recs[off + k].len;
		}
		uint8_t *msg;
		size_t len;
		assert_int_equal(rawlink_records(ptr, lens, k, &msg, &len), 0);
		assert_int_equal(rawpeer_send(&p, msg, len), 0);
		free(msg);
	}
	/* every one judged: the reasons add up to 10,000 */
	uint64_t judged = 0, end = harness_ms() + 60000;
	static const char *const refusals[] = {
		"malformed", "bad-signature", "other-neighbourhood", "clock-skew", "expired",
		"retracted", "no-certificate", "revoked", "role", "rate-limited", "duplicate",
		"equivocation", "store-failure", "stored",
	};
	while (harness_ms() < end) {
		snap(0, &after[0]);
		judged = 0;
		for (size_t k = 0; k < sizeof(refusals) / sizeof(refusals[0]); k++)
			judged += delta(&before[0], &after[0], refusals[k]);
		if (judged >= TOTAL)
			break;
		usleep(100000);
	}
	uint64_t took = harness_ms() - t0;
	rawpeer_close(&p);
	/* two anti-entropy rounds for anything to leak on */
	usleep(2 * 2000 * 1000 + 500000);
	for (size_t k = 0; k < 3; k++)
		snap(watched[k], &after[watched[k]]);

	fprintf(stderr, "forgery: %llu of %d records judged in %llu ms; sent:", (unsigned long long)judged,
		TOTAL, (unsigned long long)took);
	for (int c = 0; c < C_COUNT; c++)
		fprintf(stderr, "%s %zu %s", c ? "," : "", cat_n[c], cat_name[c]);
	fprintf(stderr, "\nforgery: counted at the target:");
	for (size_t k = 0; k < N_REASONS; k++) {
		uint64_t d = after[0].c[k] - before[0].c[k];
		if (d)
			fprintf(stderr, " %s %llu", reasons[k], (unsigned long long)d);
	}
	fprintf(stderr, "\n");

	/* what did the target store meanwhile, if anything? */
	assert_int_equal(rawstore_open(&st, target->dir), 0);
	(void)store_each_from_cursor(st, cursor0, 0, show_new, (void *)fl.node);
	store_close(&st);
	const struct snapshot *b = &before[0], *a = &after[0];
	assert_int_equal(judged, TOTAL);
	/* 100% refused: nothing stored, the store holds what it held */
	assert_int_equal(delta(b, a, "stored"), 0);
	assert_int_equal(a->records, b->records);
	/* ...each under its reason */
	assert_int_equal(delta(b, a, "malformed") + delta(b, a, "bad-signature"),
			 cat_n[C_FLIP] + cat_n[C_SWAP]);
	assert_true(delta(b, a, "bad-signature") >= cat_n[C_SWAP]);
	assert_int_equal(delta(b, a, "duplicate"), cat_n[C_REPLAY]);
	assert_int_equal(delta(b, a, "expired"), cat_n[C_EXPIRED]);
	/* a member is no coordinator: its epoch key counts as lacking the
	 * certificate for the kind ("role" is kept for issuer problems) */
	assert_int_equal(delta(b, a, "no-certificate") + delta(b, a, "role"),
			 cat_n[C_EPOCH] + cat_n[C_STRANGER]);
	assert_int_equal(delta(b, a, "revoked"), cat_n[C_REVOKED]);
	assert_int_equal(delta(b, a, "other-neighbourhood"), cat_n[C_NBHD]);
	assert_int_equal(delta(b, a, "clock-skew"), cat_n[C_FUTURE]);
	assert_int_equal(delta(b, a, "equivocation"), cat_n[C_EQUIV]);
	assert_int_equal(delta(b, a, "rate-limited"), 0);
	assert_int_equal(delta(b, a, "store-failure"), 0);
	/* the attacker was not cut off (invalid_limit), so all were judged */
	assert_int_equal(delta(b, a, "peer-cutoffs"), 0);

	/* none of the ids is in the target's store (a replay's is, once) */
	assert_int_equal(rawstore_open(&st, target->dir), 0);
	size_t in_store = 0;
	for (size_t i = 0; i < TOTAL; i++) {
		uint8_t id[32];
		record_id(recs[i].buf, recs[i].len, id);
		int h = store_has(st, id);
		assert_true(h == 0 || h == 1);
		if (h == 1 && recs[i].cat != C_REPLAY)
			fail_msg("a %s record was stored", cat_name[recs[i].cat]);
		in_store += (size_t)h;
	}
	store_close(&st);
	assert_int_equal(in_store, cat_n[C_REPLAY]);

	/* nothing forwarded: the neighbours saw nothing at all */
	for (size_t k = 1; k < 3; k++) {
		size_t i = watched[k];
		assert_int_equal(after[i].records, before[i].records);
		for (size_t c = 0; c < N_REASONS; c++)
			if (after[i].c[c] != before[i].c[c])
				fail_msg("neighbour %zu counted %llu more '%s'", i,
					 (unsigned long long)(after[i].c[c] - before[i].c[c]), reasons[c]);
	}

	/* and honest signals still flow */
	char id[65], code[40];
	struct idset fresh = {0};
	assert_true(fleet_send(&fl, 1, "eerlijk na de aanval", id, code));
	idset_add(&fresh, id);
	assert_true(fleet_wait_complete(&fl, &fresh, 10000, NULL));

	for (size_t i = 0; i < TOTAL; i++)
		free(recs[i].buf);
	free(recs);
	recs = NULL;
	for (size_t i = 0; i < pool.n; i++)
		free(pool.pool[i].buf);
	free(pool.pool);
	idset_free(&fresh);
	idset_free(&honest);
	identity_free(&mate);
	identity_free(&revoked);
	identity_free(&stranger);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_forgery_and_replay, rawpeer_teardown),
	};
	return cmocka_run_group_tests_name("faults-forgery", tests, NULL, NULL);
}
