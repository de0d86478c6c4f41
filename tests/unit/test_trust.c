/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_trust.c — the chain of authority as a daemon's node enforces it:
 * real signed records fed to node_ingest(), the verdicts and what the
 * membership and the current epoch are afterwards.
 *
 * The node here runs with the founder's key (so it can open epoch keys
 * sealed to the founder); every other key is a throw-away identity whose
 * records are signed by hand, as an attacker would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../support/harness.h"
#include "../../daemon/node.h"
#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../proto/record.h"
#include "../../proto/signal.h"
#include "../support/rawpeer.h"

#define DAY 86400ULL
#define RETENTION (14 * DAY)
#define KEYS 6

enum who { FOUNDER, COORD, COORD2, MEMBER, MEMBER2, STRANGER };

struct fx {
	char tmp[64];
	char key[96];
	struct identity *id[KEYS];
	uint64_t seq[KEYS]; /* the last sequence number each key used */
	node_t node;
	bool open;
	uint64_t now;       /* unix seconds of the node's clock */
};

static uint64_t clock_ms;
static uint64_t test_clock(void)
{
	return clock_ms;
}

static void node_start(struct fx *f, node_t *n, const char *name)
{
	char dir[128];
	struct node_params p = {.clock_skew = 300, .rate_per_minute = 600,
				.rate_burst = 1000, .retention = RETENTION};

	snprintf(dir, sizeof(dir), "%s/%s", f->tmp, name);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(node_open(n, dir, f->key, NULL, f->id[FOUNDER]->pk, &p), 0);
	n->now_ms = test_clock;
	n->verify_threads = 1;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || sodium_init() < 0)
		return -1;
	strcpy(f->tmp, "/tmp/samen-test-trust-XXXXXX");
	if (!mkdtemp(f->tmp))
		return -1;
	for (int i = 0; i < KEYS; i++)
		if (identity_generate(&f->id[i]) != 0)
			return -1;
	snprintf(f->key, sizeof(f->key), "%s/founder.key", f->tmp);
	if (keyfile_write_secret(f->key, f->id[FOUNDER], NULL) != 0)
		return -1;
	f->now = (uint64_t)time(NULL);
	clock_ms = f->now * 1000;
	*state = f;
	node_start(f, &f->node, "node");
	f->open = true;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->open)
		node_close(&f->node);
	for (int i = 0; i < KEYS; i++)
		identity_free(&f->id[i]);
	harness_rmtree(f->tmp);
	free(f);
	return 0;
}

/* Signs r as key `by` (its next sequence number) into *buf. */
static void sign(struct fx *f, struct record *r, enum who by, uint8_t **buf, size_t *len)
{
	memcpy(r->nbhd, f->id[FOUNDER]->pk, 32);
	memcpy(r->author, f->id[by]->pk, 32);
	r->seq = ++f->seq[by];
	assert_int_equal(record_sign(r, f->id[by]->sk, buf, len), 0);
}

static enum reject ingest_into(node_t *n, const uint8_t *buf, size_t len)
{
	enum reject v = RJ_COUNT;
	const uint8_t *recs[1] = {buf};

	assert_true(node_ingest(n, recs, &len, 1, NULL, &v) >= 0);
	return v;
}

static enum reject put(struct fx *f, struct record *r, enum who by, uint8_t id[32])
{
	uint8_t *buf;
	size_t len;

	sign(f, r, by, &buf, &len);
	enum reject v = ingest_into(&f->node, buf, len);
	if (id)
		memcpy(id, r->id, 32);
	free(buf);
	return v;
}

static void cert_record(struct fx *f, struct record *r, enum who subject, unsigned role,
			uint64_t created)
{
	memset(r, 0, sizeof(*r));
	r->kind = REC_CERT;
	r->created = created;
	memcpy(r->u.cert.subject, f->id[subject]->pk, 32);
	r->u.cert.role = (uint8_t)role;
	snprintf(r->u.cert.label, sizeof(r->u.cert.label), "Lindelaan %d", (int)subject);
	r->u.cert.not_before = created - DAY;
	r->u.cert.not_after = created + 365 * DAY;
}

static enum reject cert(struct fx *f, enum who by, enum who subject, unsigned role,
			uint64_t created)
{
	struct record r;

	cert_record(f, &r, subject, role, created);
	return put(f, &r, by, NULL);
}

static enum reject rev(struct fx *f, enum who by, enum who subject, unsigned scope,
			  uint64_t created)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.kind = REC_REVOCATION;
	r.created = created;
	memcpy(r.u.rev.subject, f->id[subject]->pk, 32);
	r.u.rev.scope = (uint8_t)scope;
	return put(f, &r, by, NULL);
}

/* An epoch record numbered `number` by `by`, sealed to the founder (the
 * node) and the member, made at `created`, signed into *buf. */
static void epoch_rec(struct fx *f, enum who by, uint64_t number, uint64_t created,
		      uint8_t **buf, size_t *len, uint8_t id[32])
{
	struct record r;
	uint8_t key[32], entries[2 * KEY_ENTRY_LEN], members[2][32];

	memset(&r, 0, sizeof(r));
	r.kind = REC_EPOCH;
	r.created = created;
	memcpy(members[0], f->id[FOUNDER]->pk, 32);
	memcpy(members[1], f->id[MEMBER]->pk, 32);
	randombytes_buf(key, sizeof(key));
	assert_int_equal(epoch_seal(&r, number, key, (const uint8_t(*)[32])members, 2, entries), 0);
	sign(f, &r, by, buf, len);
	if (id)
		memcpy(id, r.id, 32);
}

static enum reject epoch(struct fx *f, enum who by, uint64_t number, uint8_t id[32])
{
	uint8_t *buf;
	size_t len;

	epoch_rec(f, by, number, f->now, &buf, &len, id);
	enum reject v = ingest_into(&f->node, buf, len);
	free(buf);
	return v;
}

static int check_key(struct fx *f, enum who k, unsigned role)
{
	return membership_check(node_mem_for(&f->node, f->id[FOUNDER]->pk), f->id[k]->pk, role,
				f->now, NULL);
}

static uint64_t current_number(const struct fx *f)
{
	const struct epoch *e = node_current_epoch(&f->node);
	return e ? e->number : 0;
}

/* A coordinator and a member, certified by the founder; epoch 1 by the
 * founder. */
static void street(struct fx *f)
{
	assert_int_equal(cert(f, FOUNDER, COORD, ROLE_COORDINATOR, f->now - 100), RJ_NONE);
	assert_int_equal(cert(f, FOUNDER, MEMBER, ROLE_MEMBER, f->now - 100), RJ_NONE);
	assert_int_equal(epoch(f, FOUNDER, 1, NULL), RJ_NONE);
	assert_int_equal(current_number(f), 1);
}

/* ---- point 1: the epoch key ---- */

/* A member that revoked itself is no issuer: not of an epoch key (that
 * would hand it every later alert), not of a certificate. */
static void self_revoked_key_is_no_issuer(void **state)
{
	struct fx *f = *state;

	street(f);
	assert_int_equal(rev(f, MEMBER, MEMBER, REVOKE_KEY, f->now - 10), RJ_NONE);
	assert_int_equal(check_key(f, MEMBER, ROLE_MEMBER), SAMEN_EREVOKED);
	assert_int_not_equal(epoch(f, MEMBER, 2, NULL), RJ_NONE);
	assert_int_not_equal(cert(f, MEMBER, STRANGER, ROLE_MEMBER, f->now - 5), RJ_NONE);
	assert_int_equal(current_number(f), 1);
	assert_int_equal(check_key(f, STRANGER, ROLE_MEMBER), SAMEN_ENOCERT);
}

/* Epoch 2^64 - 1 is never accepted, even from the founder: nothing could
 * follow it, so it would end rekeying for good. */
static void epoch_at_the_largest_number_refused(void **state)
{
	struct fx *f = *state;

	street(f);
	enum reject v = epoch(f, COORD, UINT64_MAX, NULL);
	assert_int_not_equal(v, RJ_NONE);
	assert_string_equal(reject_name(v), "epoch-number");
	v = epoch(f, FOUNDER, UINT64_MAX, NULL);
	assert_string_equal(reject_name(v), "epoch-number");
	assert_int_equal(current_number(f), 1);
}

/* Epochs advance by one: a number whose predecessor is not held is refused. */
static void epoch_gap_refused(void **state)
{
	struct fx *f = *state;

	street(f);
	enum reject v = epoch(f, COORD, 3, NULL);
	assert_string_equal(reject_name(v), "epoch-number");
	assert_int_equal(epoch(f, COORD, 2, NULL), RJ_NONE);
	assert_int_equal(epoch(f, COORD, 3, NULL), RJ_NONE);
	assert_int_equal(current_number(f), 3);
	v = epoch(f, FOUNDER, 1000, NULL);
	assert_string_equal(reject_name(v), "epoch-number");
	assert_int_equal(current_number(f), 3);
}

/* Epoch numbers are per neighbourhood: a relay serving two does not let
 * one's epoch 1 admit the other's epoch 2. */
static void epochs_per_neighbourhood(void **state)
{
	struct fx *f = *state;
	struct identity *other = NULL;
	struct record r;
	uint8_t key[32], entries[KEY_ENTRY_LEN], *buf;
	size_t len;

	street(f);
	assert_int_equal(identity_generate(&other), 0);
	assert_int_equal(node_serve(&f->node, other->pk), 0);
	for (uint64_t number = 2; number >= 1; number--) {
		memset(&r, 0, sizeof(r));
		r.kind = REC_EPOCH;
		memcpy(r.nbhd, other->pk, 32);
		memcpy(r.author, other->pk, 32);
		r.seq = 3 - number;
		r.created = f->now;
		randombytes_buf(key, sizeof(key));
		assert_int_equal(epoch_seal(&r, number, key, (const uint8_t(*)[32])other->pk, 1,
					    entries),
				 0);
		assert_int_equal(record_sign(&r, other->sk, &buf, &len), 0);
		enum reject v = ingest_into(&f->node, buf, len);
		free(buf);
		if (number == 2)
			assert_string_equal(reject_name(v), "epoch-number");
		else
			assert_int_equal(v, RJ_NONE);
	}
	identity_free(&other);
}

/* Gives node ctx a certificate or epoch 1 the first node holds (a
 * store_each_by_author() callback: ctx's store is another one, so writing
 * to it here is allowed). */
static int copy_history(void *ctx, uint64_t seq, const uint8_t id[32], const uint8_t *data,
			size_t len)
{
	struct record r;

	(void)seq, (void)id;
	assert_int_equal(record_decode(data, len, &r), 0);
	if (r.kind == REC_CERT || (r.kind == REC_EPOCH && r.u.epoch.number == 1))
		assert_int_equal(ingest_into(ctx, data, len), RJ_NONE);
	return 0;
}

/* Two coordinators issue epoch 2 at once: every daemon picks the same one,
 * the smaller record id, whatever the order of arrival or the claimed
 * times. */
static void concurrent_epochs_resolve_by_id(void **state)
{
	struct fx *f = *state;
	uint8_t *a, *b = NULL, ida[32], idb[32];
	size_t la, lb;
	node_t other;

	street(f);
	assert_int_equal(cert(f, FOUNDER, COORD2, ROLE_COORDINATOR, f->now - 100), RJ_NONE);
	/* a claims the earlier time and has the smaller id */
	for (int tries = 0;; tries++) {
		assert_true(tries < 1000);
		epoch_rec(f, COORD, 2, f->now - 50, &a, &la, ida);
		if (ida[0] < 0x40)
			break;
		free(a);
	}
	for (int tries = 0;; tries++) {
		assert_true(tries < 64);
		epoch_rec(f, COORD2, 2, f->now - 40, &b, &lb, idb);
		if (memcmp(idb, ida, 32) > 0)
			break;
		free(b);
	}
	assert_int_equal(ingest_into(&f->node, a, la), RJ_NONE);
	assert_int_equal(ingest_into(&f->node, b, lb), RJ_NONE);

	/* a second daemon with the same history, receiving them the other way */
	node_start(f, &other, "other");
	/* copy the first node's certificates and epoch 1 across */
	store_t *st = f->node.store;
	struct store_vv_entry *vv = NULL;
	size_t n_vv = 0;
	assert_int_equal(store_vv(st, &vv, &n_vv), 0);
	for (size_t i = 0; i < n_vv; i++)
		assert_int_equal(store_each_by_author(st, vv[i].author, 0, copy_history, &other), 0);
	free(vv);
	assert_int_equal(ingest_into(&other, b, lb), RJ_NONE);
	assert_int_equal(ingest_into(&other, a, la), RJ_NONE);

	const struct epoch *e1 = node_current_epoch(&f->node), *e2 = node_current_epoch(&other);
	assert_non_null(e1);
	assert_non_null(e2);
	assert_int_equal(e1->number, 2);
	assert_memory_equal(e1->id, ida, 32);
	assert_memory_equal(e2->id, ida, 32);
	node_close(&other);
	free(a);
	free(b);
}

/* A coordinator's epoch stays the neighbourhood's after its certificate
 * expires and is pruned, and the next number still follows it. */
static void epoch_survives_its_issuers_certificate(void **state)
{
	struct fx *f = *state;
	struct record r;

	street(f);
	memset(&r, 0, sizeof(r));
	r.kind = REC_CERT;
	r.created = f->now;
	memcpy(r.u.cert.subject, f->id[COORD2]->pk, 32);
	r.u.cert.role = ROLE_COORDINATOR;
	snprintf(r.u.cert.label, sizeof(r.u.cert.label), "kort");
	r.u.cert.not_before = f->now - 10;
	r.u.cert.not_after = f->now + 60;
	assert_int_equal(put(f, &r, FOUNDER, NULL), RJ_NONE);
	assert_int_equal(epoch(f, COORD2, 2, NULL), RJ_NONE);
	assert_int_equal(current_number(f), 2);
	/* two minutes on: the certificate has expired and is pruned */
	f->now += 120;
	clock_ms = f->now * 1000;
	assert_true(node_prune(&f->node) >= 1);
	assert_int_equal(node_reload(&f->node), 0);
	assert_int_equal(check_key(f, COORD2, ROLE_COORDINATOR), SAMEN_ENOCERT);
	assert_int_equal(current_number(f), 2);
	assert_int_equal(epoch(f, FOUNDER, 3, NULL), RJ_NONE);
	assert_int_equal(current_number(f), 3);
}

/* A store written before these rules may hold an epoch at the largest
 * number by a key that had revoked itself: it no longer counts, and the
 * founder's daemon rekeys past it. */
static void rekey_past_a_poisoned_epoch(void **state)
{
	struct fx *f = *state;
	uint8_t *buf;
	size_t len;
	struct record d;

	street(f);
	assert_int_equal(rev(f, MEMBER, MEMBER, REVOKE_KEY, f->now), RJ_NONE);
	/* stored as 0.1.0 did, without today's checks */
	epoch_rec(f, MEMBER, UINT64_MAX, f->now, &buf, &len, NULL);
	assert_int_equal(record_decode(buf, len, &d), 0);
	struct store_rec s = {.seq = d.seq, .kind = REC_EPOCH, .data = buf, .len = len};
	memcpy(s.id, d.id, 32);
	memcpy(s.nbhd, d.nbhd, 32);
	memcpy(s.author, d.author, 32);
	int result = -1;
	assert_int_equal(store_put_batch(f->node.store, &s, 1, &result, NULL), 0);
	assert_int_equal(result, 0);
	free(buf);
	assert_int_equal(node_reload(&f->node), 0);
	assert_int_equal(current_number(f), 1);
	assert_int_equal(node_rekey(&f->node), 0);
	assert_int_equal(current_number(f), 2);
}

/* ---- point 4: backdating ---- */

/* After a key-only revocation, a certificate the coordinator signs
 * afterwards is worthless, whatever `created` it claims. */
static void backdated_cert_after_key_only_revocation(void **state)
{
	struct fx *f = *state;

	street(f);
	assert_int_equal(rev(f, FOUNDER, COORD, REVOKE_KEY, f->now - 20), RJ_NONE);
	assert_int_equal(check_key(f, COORD, ROLE_COORDINATOR), SAMEN_EREVOKED);
	/* dated before its own revocation */
	(void)cert(f, COORD, STRANGER, ROLE_MEMBER, f->now - 60);
	assert_int_not_equal(check_key(f, STRANGER, ROLE_MEMBER), 0);
	/* nor an epoch key, backdated too */
	uint8_t *buf;
	size_t len;
	epoch_rec(f, COORD, 2, f->now - 60, &buf, &len, NULL);
	(void)ingest_into(&f->node, buf, len);
	free(buf);
	assert_int_equal(current_number(f), 1);
}

/* After a cascade revocation, a revocation the coordinator signs
 * afterwards, backdated before its own, revokes nobody. */
static void backdated_revocation_after_cascade(void **state)
{
	struct fx *f = *state;

	street(f);
	assert_int_equal(check_key(f, MEMBER, ROLE_MEMBER), 0);
	assert_int_equal(rev(f, FOUNDER, COORD, REVOKE_CASCADE, f->now - 20), RJ_NONE);
	(void)rev(f, COORD, MEMBER, REVOKE_KEY, f->now - 60);
	assert_int_equal(check_key(f, MEMBER, ROLE_MEMBER), 0);
	/* and it survives a rebuild from the store, as after a restart */
	assert_int_equal(node_reload(&f->node), 0);
	assert_int_equal(check_key(f, MEMBER, ROLE_MEMBER), 0);
}

/* ---- point 5: strangers ---- */

/* A key that was never certified cannot leave a permanent record of itself. */
static void stranger_self_revocation_refused(void **state)
{
	struct fx *f = *state;

	street(f);
	uint64_t before = f->node.stored_total;
	enum reject v = rev(f, STRANGER, STRANGER, REVOKE_KEY, f->now);
	assert_int_not_equal(v, RJ_NONE);
	assert_int_equal(f->node.stored_total, before);
	assert_true(f->node.counters[v] >= 1);
}

/* A key leaves once: a second self-revocation would add nothing but a
 * permanent record. */
static void second_self_revocation_refused(void **state)
{
	struct fx *f = *state;

	street(f);
	assert_int_equal(rev(f, MEMBER, MEMBER, REVOKE_KEY, f->now), RJ_NONE);
	assert_int_equal(rev(f, MEMBER, MEMBER, REVOKE_KEY, f->now), RJ_REVOKED);
}

/* A store written before these rules holds self-revocations by keys that
 * were never members, taken in by the thousand: reopening deletes them,
 * and keeps a member's own leaving. */
static void strangers_purged_from_an_old_store(void **state)
{
	struct fx *f = *state;
	enum { N = 50 };
	uint8_t ids[N][32];

	street(f);
	assert_int_equal(rev(f, MEMBER, MEMBER, REVOKE_KEY, f->now), RJ_NONE);
	for (size_t i = 0; i < N; i++) {
		struct identity *s = NULL;
		struct record r, d;
		uint8_t *buf;
		size_t len;
		int result = -1;
		assert_int_equal(identity_generate(&s), 0);
		memset(&r, 0, sizeof(r));
		r.kind = REC_REVOCATION;
		memcpy(r.nbhd, f->id[FOUNDER]->pk, 32);
		memcpy(r.author, s->pk, 32);
		memcpy(r.u.rev.subject, s->pk, 32);
		r.seq = 1;
		r.created = f->now;
		assert_int_equal(record_sign(&r, s->sk, &buf, &len), 0);
		assert_int_equal(record_decode(buf, len, &d), 0);
		/* stored as 0.1.0 did, without today's checks */
		struct store_rec sr = {.seq = 1, .kind = REC_REVOCATION, .data = buf, .len = len};
		memcpy(sr.id, d.id, 32);
		memcpy(sr.nbhd, d.nbhd, 32);
		memcpy(sr.author, d.author, 32);
		assert_int_equal(store_put_batch(f->node.store, &sr, 1, &result, NULL), 0);
		assert_int_equal(result, 0);
		memcpy(ids[i], d.id, 32);
		free(buf);
		identity_free(&s);
	}
	struct store_stats before, after;
	assert_int_equal(store_stats(f->node.store, &before), 0);
	assert_int_equal(node_reload(&f->node), 0);
	assert_int_equal(store_stats(f->node.store, &after), 0);
	print_message("old store: %llu records before reopening, %llu after\n",
		      (unsigned long long)before.records, (unsigned long long)after.records);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(store_has(f->node.store, ids[i]), 0);
	assert_int_equal(after.records, before.records - N);
	assert_int_equal(check_key(f, MEMBER, ROLE_MEMBER), SAMEN_EREVOKED);
}

/* A certificate samen 0.1.0 signed with a C1 control in its label (its
 * text rule let U+0080..U+009F through) no longer decodes: the rebuild
 * skips it, counts it for the log, and leaves it on disk. */
static void old_c1_certificate_counted_not_used(void **state)
{
	struct fx *f = *state;
	struct record r;
	uint8_t *buf;
	size_t len;

	street(f);
	memset(&r, 0, sizeof(r));
	r.kind = REC_CERT;
	memcpy(r.nbhd, f->id[FOUNDER]->pk, 32);
	memcpy(r.author, f->id[FOUNDER]->pk, 32);
	r.seq = 90;
	r.created = f->now - 50;
	memcpy(r.u.cert.subject, f->id[STRANGER]->pk, 32);
	r.u.cert.role = ROLE_MEMBER;
	snprintf(r.u.cert.label, sizeof(r.u.cert.label), "Oud\xc2\xa0huis"); /* NBSP */
	r.u.cert.not_before = f->now - DAY;
	r.u.cert.not_after = f->now + DAY;
	assert_int_equal(record_sign(&r, f->id[FOUNDER]->sk, &buf, &len), 0);
	/* the envelope is [bin body, bin sig]: turn the NBSP into U+009B (CSI)
	 * and sign the body again, as 0.1.0's encoder would have */
	size_t off = buf[1] == 0xc4 ? 3 : 4;
	size_t body_len = buf[1] == 0xc4 ? buf[2] : (size_t)buf[2] << 8 | buf[3];
	uint8_t *nb = memmem(buf + off, body_len, "\xc2\xa0", 2);
	assert_non_null(nb);
	nb[1] = 0x9b;
	uint8_t msg[RECORD_SIG_PREFIX_LEN + 1024];
	assert_true(body_len <= 1024);
	memcpy(msg, RECORD_SIG_PREFIX, RECORD_SIG_PREFIX_LEN);
	memcpy(msg + RECORD_SIG_PREFIX_LEN, buf + off, body_len);
	crypto_sign_detached(buf + len - 64, NULL, msg, RECORD_SIG_PREFIX_LEN + body_len,
			     f->id[FOUNDER]->sk);
	struct record d;
	assert_int_not_equal(record_decode(buf, len, &d), 0);
	/* stored as 0.1.0 did */
	struct store_rec sr = {.seq = r.seq, .kind = REC_CERT, .data = buf, .len = len};
	int result = -1;
	crypto_generichash(sr.id, 32, buf, len, NULL, 0);
	memcpy(sr.nbhd, r.nbhd, 32);
	memcpy(sr.author, r.author, 32);
	assert_int_equal(store_put_batch(f->node.store, &sr, 1, &result, NULL), 0);
	assert_int_equal(result, 0);
	assert_int_equal(node_reload(&f->node), 0);
	assert_int_equal(f->node.unreadable, 1);
	assert_int_equal(check_key(f, STRANGER, ROLE_MEMBER), SAMEN_ENOCERT);
	assert_int_equal(check_key(f, MEMBER, ROLE_MEMBER), 0);
	assert_int_equal(store_has(f->node.store, sr.id), 1);
	/* counted per rebuild, not summed over rebuilds */
	assert_int_equal(node_reload(&f->node), 0);
	assert_int_equal(f->node.unreadable, 1);
	free(buf);
}

/* Certificates and the certificates of their issuers in one batch, as an
 * import or a catch-up brings them: all taken in, whatever order they
 * arrive in and whichever author key sorts first (the longest chain: the
 * founder certifies a coordinator, which certifies a member, which leaves). */
static void issuers_in_the_same_batch(void **state)
{
	struct fx *f = *state;
	struct record r[3];
	uint8_t *buf[3];
	size_t len[3];
	enum reject v[3];

	/* the issued ones sort first: their authors' keys below the founder's,
	 * the member's below the coordinator's */
	while (memcmp(f->id[COORD]->pk, f->id[FOUNDER]->pk, 32) > 0) {
		identity_free(&f->id[COORD]);
		assert_int_equal(identity_generate(&f->id[COORD]), 0);
	}
	while (memcmp(f->id[MEMBER]->pk, f->id[COORD]->pk, 32) > 0) {
		identity_free(&f->id[MEMBER]);
		assert_int_equal(identity_generate(&f->id[MEMBER]), 0);
	}
	memset(&r[0], 0, sizeof(r[0]));
	r[0].kind = REC_REVOCATION;
	r[0].created = f->now - 5;
	memcpy(r[0].u.rev.subject, f->id[MEMBER]->pk, 32);
	r[0].u.rev.scope = REVOKE_KEY;
	sign(f, &r[0], MEMBER, &buf[0], &len[0]);
	cert_record(f, &r[1], MEMBER, ROLE_MEMBER, f->now - 20);
	sign(f, &r[1], COORD, &buf[1], &len[1]);
	cert_record(f, &r[2], COORD, ROLE_COORDINATOR, f->now - 30);
	sign(f, &r[2], FOUNDER, &buf[2], &len[2]);
	int stored = node_ingest(&f->node, (const uint8_t *const *)buf, len, 3, NULL, v);
	print_message("stored %d: verdicts %d %d %d\n", stored, v[0], v[1], v[2]);
	assert_int_equal(stored, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(v[i], RJ_NONE);
	assert_int_equal(check_key(f, COORD, ROLE_COORDINATOR), 0);
	assert_int_equal(check_key(f, MEMBER, ROLE_MEMBER), SAMEN_EREVOKED); /* it left */
	for (int i = 0; i < 3; i++)
		free(buf[i]);
}

/* Membership records by anyone but the founder are rate-limited too: a
 * coordinator certifying throw-away keys by the thousand (each a new,
 * permanent record) is cut short, and the refusals are counted. */
static void membership_records_rate_limited(void **state)
{
	struct fx *f = *state;
	enum { N = 2100, BATCH = 300 };
	uint8_t **bufs = calloc(N, sizeof(*bufs));
	size_t *lens = calloc(N, sizeof(*lens));
	enum reject *v = calloc(N, sizeof(*v));

	assert_non_null(bufs);
	assert_non_null(lens);
	assert_non_null(v);
	street(f);
	for (size_t i = 0; i < N; i++) {
		struct record r;
		memset(&r, 0, sizeof(r));
		r.kind = REC_CERT;
		r.created = f->now;
		randombytes_buf(r.u.cert.subject, 32);
		r.u.cert.role = ROLE_MEMBER;
		snprintf(r.u.cert.label, sizeof(r.u.cert.label), "nep %zu", i);
		r.u.cert.not_before = f->now;
		r.u.cert.not_after = f->now + DAY;
		sign(f, &r, COORD, &bufs[i], &lens[i]);
	}
	size_t stored = 0, limited = 0;
	for (size_t off = 0; off < N; off += BATCH) {
		size_t n = N - off < BATCH ? N - off : BATCH;
		assert_true(node_ingest(&f->node, (const uint8_t *const *)&bufs[off], &lens[off], n,
					NULL, &v[off]) >= 0);
	}
	for (size_t i = 0; i < N; i++) {
		stored += v[i] == RJ_NONE;
		limited += v[i] == RJ_RATE;
		free(bufs[i]);
	}
	print_message("membership flood: %zu of %d stored, %zu rate-limited\n", stored, (int)N,
		      limited);
	assert_true(stored < N);
	assert_int_equal(stored + limited, N);
	assert_int_equal(f->node.counters[RJ_RATE], limited);
	free(bufs);
	free(lens);
	free(v);
}

/* ---- point 11: retention ---- */

/* A signal dated 20 days ago is refused as expired, whatever its own expiry
 * says: it would have been forgotten already (retention is 14 days). */
static void old_signal_refused(void **state)
{
	struct fx *f = *state;
	uint8_t *buf, eid[32], key[32] = {0};
	size_t len;

	street(f);
	const struct epoch *e = node_current_epoch(&f->node);
	assert_non_null(e);
	memcpy(eid, e->id, 32);
	memcpy(key, e->key, 32);
	struct record r;
	memset(&r, 0, sizeof(r));
	assert_int_equal(rawrec_signal(f->id[MEMBER], f->id[FOUNDER]->pk, ++f->seq[MEMBER],
				       f->now - 20 * DAY, eid, key, "twintig dagen oud", &buf, &len),
			 0);
	/* rawrec_signal expires an hour after created: re-sign it far ahead */
	assert_int_equal(record_decode(buf, len, &r), 0);
	uint8_t *copy;
	size_t copy_len;
	r.u.signal.expires = (uint64_t)1 << 63;
	assert_int_equal(record_sign(&r, f->id[MEMBER]->sk, &copy, &copy_len), 0);
	free(buf);
	enum reject v = ingest_into(&f->node, copy, copy_len);
	assert_string_equal(reject_name(v), "expired");
	free(copy);
	/* one made now is fine */
	assert_int_equal(rawrec_signal(f->id[MEMBER], f->id[FOUNDER]->pk, ++f->seq[MEMBER], f->now,
				       eid, key, "nu", &buf, &len),
			 0);
	assert_int_equal(ingest_into(&f->node, buf, len), RJ_NONE);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(self_revoked_key_is_no_issuer),
		T(epoch_at_the_largest_number_refused),
		T(epoch_gap_refused),
		T(epochs_per_neighbourhood),
		T(concurrent_epochs_resolve_by_id),
		T(epoch_survives_its_issuers_certificate),
		T(rekey_past_a_poisoned_epoch),
		T(backdated_cert_after_key_only_revocation),
		T(backdated_revocation_after_cascade),
		T(stranger_self_revocation_refused),
		T(second_self_revocation_refused),
		T(strangers_purged_from_an_old_store),
		T(old_c1_certificate_counted_not_used),
		T(issuers_in_the_same_batch),
		T(membership_records_rate_limited),
		T(old_signal_refused),
#undef T
	};
	return cmocka_run_group_tests_name("trust", tests, NULL, NULL);
}
