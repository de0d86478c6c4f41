/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Integration: the chain of authority against real daemons. A member (its
 * daemon stopped, its key in a raw client) tries to take the epoch key: an
 * epoch numbered 2^64 - 1 signed as a member, then again after revoking
 * itself (which made any key an issuer before), and a stranger's
 * self-revocation forwarded on its link. Nothing of it counts: the founder's
 * epoch stays current, an honest alert is still sealed under the founder's
 * epoch key, and a later `samen revoke` works.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <zmq.h>

#include "../../daemon/store.h"
#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../keys/recfile.h"
#include "../../proto/mpmap.h"
#include "../../proto/record.h"
#include "../../proto/signal.h"
#include "../support/harness.h"
#include "../support/rawpeer.h"

#define HS_EVENTS                                                                       \
	(ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |              \
	 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

static struct identity *load_identity(const struct hnode *n)
{
	struct identity *id = NULL;
	assert_int_equal(keyfile_read_secret(n->key_path, NULL, &id), 0);
	return id;
}

static uint64_t status_uint(struct hnode *n, const char *key)
{
	struct hreply r;
	uint64_t v = 0;
	assert_true(hnode_call(n, &r, "op=status", NULL));
	assert_true(hreply_ok(&r));
	assert_int_equal(mpmap_uint(r.m, key, UINT64_MAX, &v), 0);
	hreply_free(&r);
	return v;
}

/* The sum of the status counters named (0 for an absent one). */
static uint64_t counters(struct hnode *n, const char *const *names)
{
	struct hreply r;
	uint64_t sum = 0;
	assert_true(hnode_call(n, &r, "op=status", NULL));
	assert_true(hreply_ok(&r));
	const msgpack_object *c = mpmap_find(r.m, "counters");
	assert_non_null(c);
	for (size_t i = 0; names[i]; i++) {
		uint64_t v = 0;
		int ret = mpmap_uint(c, names[i], UINT64_MAX, &v);
		assert_true(ret == 0 || ret == SAMEN_ENOTFOUND);
		sum += v;
	}
	hreply_free(&r);
	return sum;
}

static const char *const judged[] = {"stored", "no-certificate", "revoked", "role",
				     "epoch-number", "rate-limited", "duplicate", NULL};

struct judged_watch {
	struct hnode *node;
	uint64_t want;
};

static bool all_judged(void *ctx)
{
	struct judged_watch *w = ctx;
	return counters(w->node, judged) >= w->want;
}

struct have {
	struct hnode *node;
	const char *id;
};

static bool has_signal(void *ctx)
{
	struct have *h = ctx;
	return hnode_has(h->node, h->id);
}

/* The highest sequence number of key held in node's store. */
static uint64_t max_seq(const struct hnode *node, const uint8_t key[32])
{
	store_t *st = NULL;
	struct store_vv_entry e;
	assert_int_equal(rawstore_open(&st, node->dir), 0);
	assert_int_equal(store_vv_get(st, key, &e), 0);
	store_close(&st);
	return e.max > e.contig ? e.max : e.contig;
}

/* An epoch record numbered `number`, with a key entry for each of the
 * nodes, signed by id. */
static void epoch_rec(const struct identity *id, const uint8_t nbhd[32], uint64_t seq,
		      uint64_t number, struct hnode *nodes, size_t n, uint8_t **out, size_t *len)
{
	struct record r;
	uint8_t key[32], (*members)[32] = calloc(n, 32), *entries = calloc(n, KEY_ENTRY_LEN);
	assert_non_null(members);
	assert_non_null(entries);
	for (size_t i = 0; i < n; i++)
		memcpy(members[i], nodes[i].pk, 32);
	memset(&r, 0, sizeof(r));
	r.kind = REC_EPOCH;
	memcpy(r.nbhd, nbhd, 32);
	memcpy(r.author, id->pk, 32);
	r.seq = seq;
	r.created = (uint64_t)time(NULL);
	randombytes_buf(key, sizeof(key));
	assert_int_equal(epoch_seal(&r, number, key, (const uint8_t(*)[32])members, n, entries), 0);
	assert_int_equal(record_sign(&r, id->sk, out, len), 0);
	free(members);
	free(entries);
}

static void self_revocation(const struct identity *id, const uint8_t nbhd[32], uint64_t seq,
			    uint8_t **out, size_t *len)
{
	struct record r;
	memset(&r, 0, sizeof(r));
	r.kind = REC_REVOCATION;
	memcpy(r.nbhd, nbhd, 32);
	memcpy(r.author, id->pk, 32);
	r.seq = seq;
	r.created = (uint64_t)time(NULL);
	memcpy(r.u.rev.subject, id->pk, 32);
	snprintf(r.u.rev.reason, sizeof(r.u.rev.reason), "ik ga");
	assert_int_equal(record_sign(&r, id->sk, out, len), 0);
}

static void send_records(struct rawpeer *p, uint8_t **recs, size_t *lens, size_t n)
{
	uint8_t *msg;
	size_t len;
	assert_int_equal(rawlink_records((const uint8_t *const *)recs, lens, n, &msg, &len), 0);
	assert_int_equal(rawpeer_send(p, msg, len), 0);
	free(msg);
}

/* The author of the epoch whose id a signal in node's store names. */
static void signal_epoch_author(const struct hnode *node, const uint8_t nbhd[32],
				const char *id_hex, uint8_t author[32], uint64_t *number)
{
	store_t *st = NULL;
	uint8_t *buf, *ebuf;
	size_t len, elen;
	struct record s, e;
	char eid_hex[65];
	assert_int_equal(rawstore_open(&st, node->dir), 0);
	assert_int_equal(rawstore_find(st, nbhd, REC_SIGNAL, id_hex, &buf, &len), 0);
	assert_int_equal(record_decode(buf, len, &s), 0);
	sodium_bin2hex(eid_hex, sizeof(eid_hex), s.u.signal.epoch_id, 32);
	assert_int_equal(rawstore_find(st, nbhd, REC_EPOCH, eid_hex, &ebuf, &elen), 0);
	assert_int_equal(record_decode(ebuf, elen, &e), 0);
	memcpy(author, e.author, 32);
	*number = e.u.epoch.number;
	free(buf);
	free(ebuf);
	store_close(&st);
}

static void test_member_cannot_take_epoch(void **state)
{
	(void)state;
	struct hnode nodes[3];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	hnode_init(&nodes[1], "h1", harness_port(), 0);
	hnode_init(&nodes[2], "mallory", harness_port(), 0);
	assert_true(harness_neighbourhood(nodes, 3, NULL));
	struct hnode *founder = &nodes[0], *h1 = &nodes[1], *mallory = &nodes[2];
	const uint8_t *nbhd = founder->pk;
	uint64_t epoch_before = status_uint(founder, "epoch");
	assert_true(epoch_before >= 1);

	/* the attacker holds mallory's key; its daemon is stopped */
	hnode_stop(mallory, SIGTERM);
	struct identity *m = load_identity(mallory), *stranger = NULL;
	assert_int_equal(identity_generate(&stranger), 0);
	uint64_t seq = max_seq(mallory, m->pk);

	char ep[64];
	struct rawpeer p;
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", founder->port);
	assert_int_equal(rawpeer_open_id(&p, ep, founder->pk, m), 0);
	assert_int_equal(rawpeer_wait_event(&p, HS_EVENTS, 5000, NULL),
			 ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
	uint8_t *hello, zero[32] = {0};
	size_t hello_len;
	assert_int_equal(rawlink_hello(nbhd, zero, "", &hello, &hello_len), 0);
	assert_int_equal(rawpeer_send(&p, hello, hello_len), 0);
	free(hello);

	/* 1: as a member, an epoch numbered 2^64 - 1, and a stranger's
	 * self-revocation forwarded */
	uint64_t base = counters(founder, judged);
	uint8_t *recs[2];
	size_t lens[2];
	epoch_rec(m, nbhd, ++seq, UINT64_MAX, nodes, 3, &recs[0], &lens[0]);
	self_revocation(stranger, nbhd, 1, &recs[1], &lens[1]);
	send_records(&p, recs, lens, 2);
	free(recs[0]);
	free(recs[1]);
	struct judged_watch jw = {founder, base + 2};
	assert_true(harness_wait(all_judged, &jw, 10000));
	assert_int_equal(status_uint(founder, "epoch"), epoch_before);

	/* 2: revoke itself, then the epoch again, in one message */
	static const char *const stored[] = {"stored", NULL};
	uint64_t stored_before = counters(founder, stored);
	base = counters(founder, judged);
	self_revocation(m, nbhd, ++seq, &recs[0], &lens[0]);
	epoch_rec(m, nbhd, ++seq, UINT64_MAX, nodes, 3, &recs[1], &lens[1]);
	send_records(&p, recs, lens, 2);
	free(recs[0]);
	free(recs[1]);
	jw.want = base + 2;
	assert_true(harness_wait(all_judged, &jw, 10000));
	rawpeer_close(&p);
	uint64_t epoch_after = status_uint(founder, "epoch");
	fprintf(stderr, "trust: founder's epoch %llu before, %llu after the attack\n",
		(unsigned long long)epoch_before, (unsigned long long)epoch_after);
	assert_true(epoch_after < UINT64_MAX);
	assert_true(epoch_after <= epoch_before + 1); /* a rekey for the leaver at most */
	/* the leaving is stored (it is mallory's own record), the epoch not */
	assert_int_equal(counters(founder, stored), stored_before + 1);

	/* an honest alert is sealed under an epoch the founder issued */
	char id[65];
	assert_true(hnode_send(h1, "eerlijk na de aanval", false, id));
	struct have hv = {founder, id};
	assert_true(harness_wait(has_signal, &hv, 10000));
	uint8_t author[32];
	uint64_t number = 0;
	signal_epoch_author(h1, nbhd, id, author, &number);
	assert_memory_equal(author, founder->pk, 32);
	assert_true(number < UINT64_MAX);

	/* the attacker left by its own revocation: revoking it again is
	 * refused as pointless, not broken by its epoch ... */
	struct hreply r;
	char arg[100], msg0[200] = "";
	snprintf(arg, sizeof(arg), "key=%s", mallory->key_text);
	assert_true(hnode_call(founder, &r, "op=revoke", arg, "reason=misbruik", NULL));
	assert_false(hreply_ok(&r));
	hreply_str(&r, "error", msg0, sizeof(msg0));
	assert_non_null(strstr(msg0, "revoked already"));
	hreply_free(&r);
	/* ... and revoking works, with a new epoch (0.1.0: "invalid argument") */
	snprintf(arg, sizeof(arg), "key=%s", h1->key_text);
	assert_true(hnode_call(founder, &r, "op=revoke", arg, "reason=verhuisd", NULL));
	if (!hreply_ok(&r)) {
		char msg[200] = "";
		hreply_str(&r, "error", msg, sizeof(msg));
		fail_msg("revoke failed: %s", msg);
	}
	uint64_t epoch_new = hreply_uint(&r, "epoch");
	hreply_free(&r);
	assert_true(epoch_new >= epoch_before + 1);
	assert_true(epoch_new < UINT64_MAX);

	identity_free(&m);
	identity_free(&stranger);
}

/* Runs build/samen-keys with args (a shell word list of safe paths);
 * returns its exit status. */
static int samen_keys(const char *args)
{
	char cmd[2048];
	const char *build = getenv("BUILD");
	snprintf(cmd, sizeof(cmd), "%s/samen-keys %s >/dev/null 2>&1",
		 build && *build ? build : "build", args);
	int st = system(cmd);
	assert_true(st != -1 && WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int read_one(void *ctx, const uint8_t *rec, size_t len)
{
	struct record *r = ctx;
	struct record d;
	assert_int_equal(record_open(rec, len, &d), 0);
	*r = d;
	r->body = NULL; /* borrowed from the file's buffer */
	return 1;
}

/* samen-keys revoke --upto N writes the bound; without it, the 0.1.0 form
 * (no bound: nothing the key signed keeps any authority). */
static void test_samen_keys_upto(void **state)
{
	(void)state;
	const char *d = harness_dir();
	char args[1024], path[600];
	struct record r;

	snprintf(args, sizeof(args), "init -k %s/f.key", d);
	assert_int_equal(samen_keys(args), 0);
	snprintf(args, sizeof(args), "init -k %s/c.key", d);
	assert_int_equal(samen_keys(args), 0);
	snprintf(args, sizeof(args), "found -k %s/f.key --name Buurt -o %s/b.nbhd", d, d);
	assert_int_equal(samen_keys(args), 0);
	snprintf(args, sizeof(args),
		 "revoke -k %s/f.key --nbhd %s/b.nbhd --subject %s/c.key.pub --upto 5 -o %s/c.rev",
		 d, d, d, d);
	assert_int_equal(samen_keys(args), 0);
	snprintf(path, sizeof(path), "%s/c.rev", d);
	assert_int_equal(recfile_read(path, read_one, &r, NULL), 1);
	assert_int_equal(r.kind, REC_REVOCATION);
	assert_true(r.u.rev.has_upto);
	assert_int_equal(r.u.rev.upto, 5);

	snprintf(args, sizeof(args),
		 "revoke -k %s/f.key --nbhd %s/b.nbhd --subject %s/c.key.pub -o %s/c2.rev", d, d, d,
		 d);
	assert_int_equal(samen_keys(args), 0);
	snprintf(path, sizeof(path), "%s/c2.rev", d);
	assert_int_equal(recfile_read(path, read_one, &r, NULL), 1);
	assert_false(r.u.rev.has_upto);

	/* not a number: a usage error, nothing written */
	snprintf(args, sizeof(args),
		 "revoke -k %s/f.key --nbhd %s/b.nbhd --subject %s/c.key.pub --upto 5x -o %s/c3.rev",
		 d, d, d, d);
	assert_int_equal(samen_keys(args), 2);
	snprintf(path, sizeof(path), "%s/c3.rev", d);
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_member_cannot_take_epoch, rawpeer_teardown),
		cmocka_unit_test_teardown(test_samen_keys_upto, rawpeer_teardown),
	};
	return cmocka_run_group_tests_name("trust", tests, NULL, NULL);
}
