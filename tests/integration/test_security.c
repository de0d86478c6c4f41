/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Integration: the security promises of DESIGN.md against real samend
 * daemons on loopback — ZAP keeps out keys without a certificate, a
 * revocation cuts a household off at once (links, records, epoch key),
 * garbage and floods from a member's key are dropped, counted and cut off
 * without hurting honest neighbours, and the control socket is private to
 * the daemon's user.
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <zmq.h>

#include "../../daemon/store.h"
#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../keys/keytext.h"
#include "../../proto/link.h"
#include "../../proto/mpmap.h"
#include "../../proto/record.h"
#include "../../proto/signal.h"
#include "../support/harness.h"
#include "../support/rawpeer.h"

#define HS_EVENTS                                                                       \
	(ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |              \
	 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
#define ZAP_REFUSED 400 /* the ZAP status code a refused handshake reports */

/* ---- helpers ---- */

static void init_nodes(struct hnode *nodes, size_t n)
{
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	for (size_t i = 1; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "h%zu", i);
		hnode_init(&nodes[i], name, harness_port(), 0);
	}
}

static void mesh_endpoint(const struct hnode *n, char ep[64])
{
	snprintf(ep, 64, "tcp://127.0.0.1:%d", n->port);
}

static struct identity *load_identity(const struct hnode *n)
{
	struct identity *id = NULL;
	assert_int_equal(keyfile_read_secret(n->key_path, NULL, &id), 0);
	return id;
}

/* A top-level field of the `status` reply. */
static uint64_t status_uint(struct hnode *n, const char *key)
{
	struct hreply r;
	assert_true(hnode_call(n, &r, "op=status", NULL));
	assert_true(hreply_ok(&r));
	uint64_t v = 0;
	assert_int_equal(mpmap_uint(r.m, key, UINT64_MAX, &v), 0);
	hreply_free(&r);
	return v;
}

static bool refused_by_peers(void *ctx)
{
	return status_uint(ctx, "links_refused_by_peers") > 0;
}

static bool is_revoked_role(void *ctx)
{
	struct hreply r;
	char role[32] = "";
	assert_true(hnode_call(ctx, &r, "op=status", NULL));
	hreply_str(&r, "role", role, sizeof(role));
	hreply_free(&r);
	return strcmp(role, "revoked") == 0;
}

/* One entry of the status reply's `counters` map (0 when absent). */
static uint64_t status_counter(struct hnode *n, const char *name)
{
	struct hreply r;
	uint64_t v = 0;
	assert_true(hnode_call(n, &r, "op=status", NULL));
	assert_true(hreply_ok(&r));
	const msgpack_object *c = mpmap_find(r.m, "counters");
	assert_non_null(c);
	assert_int_equal(c->type, MSGPACK_OBJECT_MAP);
	int ret = mpmap_uint(c, name, UINT64_MAX, &v);
	assert_true(ret == 0 || ret == SAMEN_ENOTFOUND);
	hreply_free(&r);
	return v;
}

/* Whether n's `peers` reply lists an up link with key. */
static bool has_up_link(struct hnode *n, const uint8_t key[32])
{
	struct hreply r;
	char text[KEYTEXT_LEN];
	bool found = false;
	keytext_encode(key, text);
	assert_true(hnode_call(n, &r, "op=peers", NULL));
	assert_true(hreply_ok(&r));
	const msgpack_object *p = mpmap_find(r.m, "peers");
	assert_non_null(p);
	assert_int_equal(p->type, MSGPACK_OBJECT_ARRAY);
	for (uint32_t i = 0; i < p->via.array.size; i++) {
		char k[80] = "";
		bool up = false;
		assert_int_equal(mpmap_str(&p->via.array.ptr[i], "key", k, sizeof(k)), 0);
		assert_int_equal(mpmap_bool(&p->via.array.ptr[i], "up", &up), 0);
		if (up && !strcmp(k, text))
			found = true;
	}
	hreply_free(&r);
	return found;
}

struct link_watch {
	struct hnode *nodes;
	size_t n;          /* nodes[0..n) are asked */
	const uint8_t *key;
};

/* No inbound link of key is held by nodes[0], up or not: each one counts
 * against the key's cap of inbound links until the daemon drops it. */
static bool no_inbound_from(void *ctx)
{
	struct link_watch *w = ctx;
	struct hreply r;
	char text[KEYTEXT_LEN];
	bool found = false;
	keytext_encode(w->key, text);
	assert_true(hnode_call(&w->nodes[0], &r, "op=peers", NULL));
	const msgpack_object *p = mpmap_find(r.m, "peers");
	for (uint32_t i = 0; p && i < p->via.array.size; i++) {
		char k[80] = "", dir[8] = "";
		if (mpmap_str(&p->via.array.ptr[i], "key", k, sizeof(k)) == 0 &&
		    mpmap_str(&p->via.array.ptr[i], "direction", dir, sizeof(dir)) == 0)
			found |= !strcmp(k, text) && !strcmp(dir, "in");
	}
	hreply_free(&r);
	return !found;
}

static bool someone_linked(void *ctx)
{
	struct link_watch *w = ctx;
	for (size_t i = 0; i < w->n; i++)
		if (has_up_link(&w->nodes[i], w->key))
			return true;
	return false;
}

static bool nobody_linked(void *ctx)
{
	return !someone_linked(ctx);
}

struct have {
	struct hnode *nodes;
	size_t n;
	const char *id;
};

static bool all_have(void *ctx)
{
	struct have *h = ctx;
	for (size_t i = 0; i < h->n; i++)
		if (!hnode_has(&h->nodes[i], h->id))
			return false;
	return true;
}

struct epoch_watch {
	struct hnode *node;
	uint64_t want;
};

static bool epoch_reached(void *ctx)
{
	struct epoch_watch *w = ctx;
	return status_uint(w->node, "epoch") >= w->want;
}

struct counter_watch {
	struct hnode *node;
	const char *name;
	uint64_t want;
};

static bool counter_reached(void *ctx)
{
	struct counter_watch *w = ctx;
	return status_counter(w->node, w->name) >= w->want;
}

static void random_frame(struct rawpeer *p, size_t len)
{
	uint8_t *g = malloc(len);
	assert_non_null(g);
	randombytes_buf(g, len);
	assert_int_equal(rawpeer_send(p, g, len), 0);
	free(g);
}

static void send_records(struct rawpeer *p, const uint8_t *const *recs, const size_t *lens,
			 size_t n)
{
	uint8_t *msg;
	size_t len;
	assert_int_equal(rawlink_records(recs, lens, n, &msg, &len), 0);
	assert_int_equal(rawpeer_send(p, msg, len), 0);
	free(msg);
}

/* ---- 1. a key without a certificate gets no link ---- */

static void expect_refused(struct hnode *founder, const char *ep, const uint8_t curve_pk[32],
			   const uint8_t curve_sk[32])
{
	struct rawpeer p;
	uint32_t value = 0;
	uint64_t before = status_uint(founder, "links_refused");
	assert_int_equal(rawpeer_open(&p, ep, founder->pk, curve_pk, curve_sk), 0);
	int ev = rawpeer_wait_event(&p, HS_EVENTS, 5000, &value);
	rawpeer_close(&p);
	/* the refusal comes from ZAP (status 400), not from a timeout */
	assert_int_equal(ev, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
	assert_int_equal(value, ZAP_REFUSED);
	assert_true(status_uint(founder, "links_refused") > before);
}

static void test_no_certificate_no_link(void **state)
{
	(void)state;
	struct hnode nodes[2];
	char ep[64];
	init_nodes(nodes, 2);
	assert_true(harness_neighbourhood(nodes, 2, NULL));
	mesh_endpoint(&nodes[0], ep);

	/* a real samen identity that nobody certified */
	struct identity *stranger = NULL;
	assert_int_equal(identity_generate(&stranger), 0);
	expect_refused(&nodes[0], ep, stranger->curve_pk, stranger->curve_sk);
	identity_free(&stranger);

	/* a bare X25519 key pair */
	uint8_t pk[32], sk[32];
	crypto_box_keypair(pk, sk);
	expect_refused(&nodes[0], ep, pk, sk);

	/* contrast: the same raw client with a member's key is admitted, and
	 * the daemon refuses nothing for it */
	struct identity *member = load_identity(&nodes[1]);
	struct rawpeer p;
	uint32_t value = 0;
	uint64_t before = status_uint(&nodes[0], "links_refused");
	assert_int_equal(rawpeer_open_id(&p, ep, nodes[0].pk, member), 0);
	int ev = rawpeer_wait_event(&p, HS_EVENTS, 5000, &value);
	rawpeer_close(&p);
	identity_free(&member);
	assert_int_equal(ev, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
	assert_int_equal(status_uint(&nodes[0], "links_refused"), before);
}

/* ---- 2. revocation ---- */

static void test_revocation(void **state)
{
	(void)state;
	struct hnode nodes[4];
	struct hreply r;
	char arg[128], id1[65] = "", id3[65] = "";
	init_nodes(nodes, 4);
	assert_true(harness_neighbourhood(nodes, 4, NULL));
	struct hnode *founder = &nodes[0], *h1 = &nodes[1], *h3 = &nodes[3];

	/* before: household 3 is linked to at least one of the others */
	struct link_watch lw = {nodes, 3, h3->pk};
	assert_true(harness_wait(someone_linked, &lw, 10000));
	uint64_t epoch_before = status_uint(founder, "epoch");
	assert_true(epoch_before >= 1);

	snprintf(arg, sizeof(arg), "key=%s", h3->key_text);
	assert_true(hnode_call(founder, &r, "op=revoke", arg, "reason=sleutel kwijt", NULL));
	assert_true(hreply_ok(&r));
	uint64_t epoch_new = hreply_uint(&r, "epoch");
	hreply_free(&r);
	assert_true(epoch_new > epoch_before);
	assert_int_equal(status_uint(founder, "epoch"), epoch_new);

	/* revoking it again makes no second record and no new epoch */
	uint64_t records = status_uint(founder, "records");
	assert_true(hnode_call(founder, &r, "op=revoke", arg, NULL));
	assert_false(hreply_ok(&r));
	char again[512];
	hreply_str(&r, "error", again, sizeof(again));
	assert_non_null(strstr(again, "revoked already"));
	hreply_free(&r);
	assert_int_equal(status_uint(founder, "epoch"), epoch_new);
	assert_int_equal(status_uint(founder, "records"), records);

	/* (a) within a few seconds nobody holds a link with the revoked key */
	uint64_t t0 = harness_ms();
	assert_true(harness_wait(nobody_linked, &lw, 5000));
	fprintf(stderr, "revocation: links to the revoked key gone after %llu ms\n",
		(unsigned long long)(harness_ms() - t0));

	/* ZAP refuses the revoked key outright */
	char ep[64];
	struct rawpeer p;
	uint32_t value = 0;
	struct identity *id_h3 = load_identity(h3), *id_h1 = load_identity(h1);
	struct identity *id_h2 = load_identity(&nodes[2]);
	mesh_endpoint(founder, ep);
	assert_int_equal(rawpeer_open_id(&p, ep, founder->pk, id_h3), 0);
	assert_int_equal(rawpeer_wait_event(&p, HS_EVENTS, 5000, &value),
			 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
	assert_int_equal(value, ZAP_REFUSED);
	rawpeer_close(&p);

	/* household 1 holds the new epoch before it sends */
	struct epoch_watch ew = {h1, epoch_new};
	assert_true(harness_wait(epoch_reached, &ew, 5000));
	char desc1[64];
	snprintf(desc1, sizeof(desc1), "na de intrekking %u", randombytes_random());
	assert_true(hnode_send(h1, desc1, false, id1));

	/* (b) household 3 sends afterwards: its own daemon may refuse */
	bool sent3;
	assert_true(hnode_call(h3, &r, "op=send", "category=burglary",
			       "description=ik ben er nog", "where=Lindelaan", NULL));
	sent3 = hreply_ok(&r);
	if (sent3) {
		hreply_str(&r, "id", id3, sizeof(id3));
		assert_int_equal(strlen(id3), 64);
	} else {
		char code[40];
		hreply_str(&r, "code", code, sizeof(code));
		fprintf(stderr, "revocation: the revoked daemon refused to send (%s)\n", code);
		assert_string_equal(code, "not-member");
	}
	hreply_free(&r);
	/* a revoked household that holds its revocation says so in status */
	bool knows = harness_wait(is_revoked_role, h3, sent3 ? 3000 : 10000);
	fprintf(stderr, "revocation: the revoked daemon's status says %s\n",
		knows ? "revoked" : "nothing yet");
	if (!sent3)
		assert_true(knows);
	if (knows) { /* and a send from it now is refused, saying why */
		char why[512] = "";
		assert_true(hnode_call(h3, &r, "op=send", "category=burglary",
				       "description=nog een keer", "where=Lindelaan", NULL));
		assert_false(hreply_ok(&r));
		hreply_str(&r, "error", why, sizeof(why));
		hreply_free(&r);
		assert_non_null(strstr(why, "revoked by a coordinator"));
	}
	/* and its own connections, which the others' ZAP now refuses, are
	 * counted on its side too */
	assert_true(harness_wait(refused_by_peers, h3, 15000));

	/* ...and a signal made with household 3's key and the last epoch key it
	 * holds, handed to the founder by a member's connection (as a careless
	 * or hostile forwarder would), is refused as revoked */
	store_t *st = NULL;
	uint64_t num3 = 0;
	uint8_t eid3[32], key3[32], *forged, forged_id[32];
	size_t forged_len;
	char forged_hex[65];
	assert_int_equal(rawstore_open(&st, h3->dir), 0);
	assert_int_equal(rawstore_epoch_key(st, founder->pk, id_h3, &num3, eid3, key3), 0);
	store_close(&st);
	assert_int_equal(num3, epoch_before); /* never the new one */
	assert_int_equal(rawrec_signal(id_h3, founder->pk, 5000, (uint64_t)time(NULL), eid3, key3,
				       "vervalst na de intrekking", &forged, &forged_len),
			 0);
	record_id(forged, forged_len, forged_id);
	sodium_bin2hex(forged_hex, sizeof(forged_hex), forged_id, 32);
	uint64_t revoked0 = status_counter(founder, "revoked");
	uint8_t *hello, zero[32] = {0};
	size_t hello_len;
	assert_int_equal(rawlink_hello(founder->pk, zero, "", &hello, &hello_len), 0);
	assert_int_equal(rawpeer_open_id(&p, ep, founder->pk, id_h2), 0);
	assert_int_equal(rawpeer_wait_event(&p, HS_EVENTS, 5000, NULL),
			 ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
	assert_int_equal(rawpeer_send(&p, hello, hello_len), 0);
	send_records(&p, (const uint8_t *const *)&forged, &forged_len, 1);
	struct counter_watch cw = {founder, "revoked", revoked0 + 1};
	assert_true(harness_wait(counter_reached, &cw, 5000));
	rawpeer_close(&p);
	free(hello);
	free(forged);

	/* the honest signal reaches the others... */
	struct have h = {nodes, 3, id1};
	assert_true(harness_wait(all_have, &h, 5000));
	/* ...and for three anti-entropy rounds (2 s each) nothing of household
	 * 3's arrives and no link to it comes back */
	uint64_t end = harness_ms() + 3 * 2000 + 500;
	while (harness_ms() < end) {
		for (int i = 0; i < 3; i++) {
			if (sent3)
				assert_false(hnode_has(&nodes[i], id3));
			assert_false(hnode_has(&nodes[i], forged_hex));
			assert_false(has_up_link(&nodes[i], h3->pk));
		}
		usleep(250000);
	}
	assert_int_equal(rawstore_open(&st, founder->dir), 0);
	assert_int_equal(store_has(st, forged_id), 0);
	store_close(&st);
	/* household 3 cannot read what was sent after its revocation */
	assert_false(hnode_has(h3, id1));

	/* (c) the stored record: sealed under an epoch household 3 holds no key of */
	uint8_t *sbuf = NULL, *ebuf = NULL;
	size_t slen, elen;
	struct record sig, epr;
	assert_int_equal(rawstore_open(&st, h1->dir), 0);
	assert_int_equal(rawstore_find(st, founder->pk, REC_SIGNAL, id1, &sbuf, &slen), 0);
	assert_int_equal(record_open(sbuf, slen, &sig), 0);
	assert_int_equal(store_get(st, sig.u.signal.epoch_id, &ebuf, &elen), 0);
	store_close(&st);
	assert_int_equal(record_open(ebuf, elen, &epr), 0);
	assert_int_equal(epr.kind, REC_EPOCH);
	assert_memory_equal(epr.author, founder->pk, 32);
	assert_int_equal(epr.u.epoch.number, epoch_new);
	assert_int_equal(epr.u.epoch.n_entries, 3);

	uint8_t key[32];
	assert_int_equal(keyentry_open(epr.u.epoch.entries, epr.u.epoch.n_entries, id_h3->pk,
				       id_h3->curve_pk, id_h3->curve_sk, key),
			 SAMEN_ENOKEY);
	assert_int_equal(keyentry_open(epr.u.epoch.entries, epr.u.epoch.n_entries, id_h1->pk,
				       id_h1->curve_pk, id_h1->curve_sk, key),
			 0);
	struct signal_plain *plain = calloc(1, sizeof(*plain));
	assert_non_null(plain);
	assert_int_equal(signal_decrypt_member(&sig, key, plain), 0);
	assert_string_equal(plain->description, desc1);
	free(plain);
	identity_free(&id_h3);
	identity_free(&id_h1);
	identity_free(&id_h2);
	free(sbuf);
	free(ebuf);
}

/* ---- 3. garbage from a member's key ---- */

struct stored_count {
	uint64_t n;
};

static int count_one(void *ctx, uint64_t seq, const uint8_t id[32], const uint8_t *data,
		     size_t len)
{
	(void)seq, (void)id, (void)data, (void)len;
	((struct stored_count *)ctx)->n++;
	return 0;
}

static void test_garbage_from_member(void **state)
{
	(void)state;
	struct hnode nodes[3];
	char ep[64];
	uint32_t value;
	init_nodes(nodes, 3);
	assert_true(harness_neighbourhood(nodes, 3, "invalid_limit = 5\n"));
	struct hnode *founder = &nodes[0], *h1 = &nodes[1], *h2 = &nodes[2];
	mesh_endpoint(founder, ep);

	/* household 2's key, its daemon stopped: the attacker holds a member key.
	 * The founder must have let go of household 2's own inbound link first:
	 * with it and the attacker's first connection, the reconnection below
	 * would be over the key's cap of two (a refusal this test does not
	 * look at) */
	assert_int_equal(hnode_stop(h2, SIGTERM), 0);
	struct link_watch gone = {nodes, 1, h2->pk};
	assert_true(harness_wait(no_inbound_from, &gone, 30000));
	struct identity *mate = load_identity(h2), *stranger = NULL;
	assert_int_equal(identity_generate(&stranger), 0);
	uint64_t malformed0 = status_counter(founder, "malformed");
	uint64_t badsig0 = status_counter(founder, "bad-signature");
	uint64_t nocert0 = status_counter(founder, "no-certificate");
	uint64_t cutoffs0 = status_counter(founder, "peer-cutoffs");
	assert_int_equal(cutoffs0, 0);

	struct rawpeer p;
	assert_int_equal(rawpeer_open_id(&p, ep, founder->pk, mate), 0);
	assert_int_equal(rawpeer_wait_event(&p, HS_EVENTS, 5000, NULL),
			 ZMQ_EVENT_HANDSHAKE_SUCCEEDED);

	/* garbage frames and a truncated HELLO: three invalid messages */
	random_frame(&p, 100);
	random_frame(&p, 5000);
	uint8_t *hello, zero[32] = {0};
	size_t hello_len;
	assert_int_equal(rawlink_hello(founder->pk, zero, "", &hello, &hello_len), 0);
	assert_int_equal(rawpeer_send(&p, hello, hello_len / 2), 0);
	struct counter_watch cw = {founder, "malformed", malformed0 + 3};
	assert_true(harness_wait(counter_reached, &cw, 5000));

	/* a frame over the 1 MiB link maximum: the founder drops the connection
	 * (libzmq reconnects this DEALER by itself) */
	random_frame(&p, LINK_MSG_MAX + 1);
	assert_int_equal(rawpeer_wait_event(&p, ZMQ_EVENT_DISCONNECTED, 5000, NULL),
			 ZMQ_EVENT_DISCONNECTED);
	assert_int_equal(rawpeer_wait_event(&p, HS_EVENTS, 5000, NULL),
			 ZMQ_EVENT_HANDSHAKE_SUCCEEDED);

	/* on the new connection a proper HELLO is answered: the key is served */
	assert_int_equal(rawpeer_send(&p, hello, hello_len), 0);
	uint8_t *in;
	long in_len;
	int type = -1;
	while (type != LINK_HELLO && (in_len = rawpeer_recv(&p, &in, 3000)) >= 0) {
		type = rawpeer_link_type(in, (size_t)in_len);
		free(in);
	}
	assert_int_equal(type, LINK_HELLO);

	/* records with a bad signature and from a key without a certificate */
	uint64_t now = (uint64_t)time(NULL);
	uint8_t *recs[8];
	size_t lens[8];
	uint8_t bad_ids[8][32];
	assert_int_equal(rawrec_peer(mate, founder->pk, 1000, now, now + 3600,
				     "tcp://127.0.0.1:1", &recs[0], &lens[0]),
			 0);
	recs[0][lens[0] - 1] ^= 0x01; /* the signature's last byte */
	assert_int_equal(rawrec_peer(stranger, founder->pk, 1, now, now + 3600,
				     "tcp://127.0.0.1:1", &recs[1], &lens[1]),
			 0);
	for (int i = 0; i < 2; i++)
		record_id(recs[i], lens[i], bad_ids[i]);
	send_records(&p, (const uint8_t *const *)recs, lens, 2);
	cw.name = "bad-signature";
	cw.want = badsig0 + 1;
	assert_true(harness_wait(counter_reached, &cw, 5000));
	cw.name = "no-certificate";
	cw.want = nocert0 + 1;
	assert_true(harness_wait(counter_reached, &cw, 5000));

	/* five invalid messages and records from this key so far (the limit),
	 * across a reconnect: the founder cuts the key off */
	cw.name = "peer-cutoffs";
	cw.want = 1;
	bool cut_by_total = harness_wait(counter_reached, &cw, 2000);
	if (!cut_by_total) {
		fprintf(stderr, "garbage: NOT cut off after 5 invalid from one key across a "
				"reconnect (the count restarted with the connection)\n");
		/* keep going on this connection: three more bad signatures */
		for (int i = 2; i < 5; i++) {
			assert_int_equal(rawrec_peer(mate, founder->pk, 1000 + (uint64_t)i, now,
						     now + 3600, "tcp://127.0.0.1:1", &recs[i],
						     &lens[i]),
					 0);
			recs[i][lens[i] - 1] ^= 0x01;
			record_id(recs[i], lens[i], bad_ids[i]);
		}
		send_records(&p, (const uint8_t *const *)recs + 2, lens + 2, 3);
		assert_true(harness_wait(counter_reached, &cw, 5000));
	}
	assert_true(status_counter(founder, "peer-cutoffs") >= 1);

	/* the old connection is dropped (the founder rebinds its mesh socket,
	 * since libzmq cannot close one inbound connection), or at least no
	 * longer served: a HELLO cannot go out or gets no answer, and no
	 * anti-entropy message comes for longer than a round (2 s) */
	rawpeer_drain(&p, 300);
	if (rawpeer_send(&p, hello, hello_len) == 0)
		assert_int_equal(rawpeer_recv(&p, &in, 2500), -1);
	rawpeer_close(&p);

	/* a new connection with that key is refused by ZAP */
	assert_int_equal(rawpeer_open_id(&p, ep, founder->pk, mate), 0);
	value = 0;
	assert_int_equal(rawpeer_wait_event(&p, HS_EVENTS, 5000, &value),
			 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
	assert_int_equal(value, ZAP_REFUSED);
	rawpeer_close(&p);

	/* the founder still serves honest neighbours */
	char id[65];
	uint64_t t0 = harness_ms();
	assert_true(hnode_send(h1, "eerlijk signaal na de rommel", false, id));
	struct have h = {nodes, 2, id};
	assert_true(harness_wait(all_have, &h, 15000));
	fprintf(stderr, "garbage: honest alert at the founder after %llu ms%s\n",
		(unsigned long long)(harness_ms() - t0),
		cut_by_total ? "" : " (cut off only after 5 on one connection)");

	/* counted by reason */
	assert_true(status_counter(founder, "malformed") >= malformed0 + 3);
	assert_true(status_counter(founder, "bad-signature") >= badsig0 + 1);
	assert_true(status_counter(founder, "no-certificate") >= nocert0 + 1);

	/* nothing bad stored: only the honest signal is listed... */
	assert_int_equal(hnode_count(founder), 1);
	assert_int_equal(hnode_count(h1), 1);
	assert_true(hnode_has(founder, id));
	assert_true(hnode_has(h1, id));
	/* ...and the founder's store holds none of the refused records */
	store_t *st = NULL;
	assert_int_equal(rawstore_open(&st, founder->dir), 0);
	size_t n_bad = cut_by_total ? 2 : 5;
	for (size_t i = 0; i < n_bad; i++)
		assert_int_equal(store_has(st, bad_ids[i]), 0);
	struct stored_count c = {0};
	assert_int_equal(store_each_by_author(st, mate->pk, 999, count_one, &c), 0);
	assert_int_equal(c.n, 0);
	struct store_vv_entry e;
	assert_int_equal(store_vv_get(st, stranger->pk, &e), 0);
	assert_int_equal(e.max, 0);
	store_close(&st);

	for (size_t i = 0; i < n_bad; i++)
		free(recs[i]);
	free(hello);
	identity_free(&mate);
	identity_free(&stranger);
	/* the bypass is a finding in its own right: fail on it */
	assert_true(cut_by_total);
}

/* ---- 4. flood ---- */

#define FLOOD_N 1000

static struct rawflood flood;
static pthread_t flood_thread;
static bool flood_started;
#define RATE_PER_MINUTE 60
#define RATE_BURST 20

struct processed_watch {
	struct hnode *node;
	uint64_t records0, rated0, want;
};

static bool all_processed(void *ctx)
{
	struct processed_watch *w = ctx;
	uint64_t stored = status_uint(w->node, "records") - w->records0;
	uint64_t rated = status_counter(w->node, "rate-limited") - w->rated0;
	return stored + rated >= w->want;
}

static void test_flood(void **state)
{
	(void)state;
	struct hnode nodes[3];
	char ep[64];
	init_nodes(nodes, 3);
	assert_true(harness_neighbourhood(nodes, 3, "rate_per_minute = 60\nrate_burst = 20\n"));
	struct hnode *founder = &nodes[0], *h1 = &nodes[1], *h2 = &nodes[2];
	mesh_endpoint(founder, ep);

	/* household 2 floods its own daemon through the control socket */
	memset(&flood, 0, sizeof(flood));
	snprintf(flood.dir, sizeof(flood.dir), "%s", h2->dir);
	flood.n = FLOOD_N;
	assert_int_equal(pthread_create(&flood_thread, NULL, rawflood_run, &flood), 0);
	flood_started = true;
	while (atomic_load(&flood.replies) < 20 && !atomic_load(&flood.done))
		usleep(2000);
	/* while it runs, household 1 raises an honest alert: all three see it */
	char id[65];
	uint64_t t0 = harness_ms();
	bool flood_running = !atomic_load(&flood.done);
	assert_true(hnode_send(h1, "eerlijk alarm tijdens de vloed", false, id));
	struct have h = {nodes, 3, id};
	bool reached = harness_wait(all_have, &h, 5000);
	uint64_t took = harness_ms() - t0;
	pthread_join(flood_thread, NULL);
	flood_started = false;
	double elapsed = (double)(flood.end_ms - flood.start_ms) / 1000.0;
	fprintf(stderr,
		"flood: %zu ok, %zu rate-limited, %zu other, %zu lost in %.2f s; honest alert "
		"everywhere after %llu ms (flood %s when it was sent)\n",
		flood.ok, flood.rate_limited, flood.other, flood.lost, elapsed, (unsigned long long)took,
		flood_running ? "still running" : "already over");
	if (flood.other)
		fprintf(stderr, "flood: first other reply: %s\n", flood.other_error);
	assert_true(reached);
	assert_true(flood_running);
	assert_int_equal(flood.lost, 0);
	assert_int_equal(flood.other, 0);
	assert_int_equal(flood.ok + flood.rate_limited, FLOOD_N);
	assert_true(flood.ok >= RATE_BURST / 2);
	assert_true((double)flood.ok <= RATE_BURST + RATE_PER_MINUTE * elapsed / 60.0 + 1);
	assert_true(flood.rate_limited > FLOOD_N / 2);

	/* the same key, raw, pushing 300 validly signed peer records of its
	 * own: over its rate, which its own daemon never does, so the first
	 * hundred refused as rate-limited also count as misbehaviour and cut
	 * it off (invalid_limit 20); what follows is ignored */
	assert_int_equal(hnode_stop(h2, SIGTERM), 0);
	struct identity *mate = load_identity(h2);
	uint64_t cut0 = status_counter(founder, "peer-cutoffs");
	struct processed_watch pw = {founder, status_uint(founder, "records"),
				     status_counter(founder, "rate-limited"), 100};
	struct rawpeer p;
	assert_int_equal(rawpeer_open_id(&p, ep, founder->pk, mate), 0);
	assert_int_equal(rawpeer_wait_event(&p, HS_EVENTS, 5000, NULL),
			 ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
	/* a link names its neighbourhood in its HELLO first */
	uint8_t *hello, zero[32] = {0};
	size_t hello_len;
	assert_int_equal(rawlink_hello(founder->pk, zero, "", &hello, &hello_len), 0);
	assert_int_equal(rawpeer_send(&p, hello, hello_len), 0);
	free(hello);
	uint64_t now = (uint64_t)time(NULL), base = 100000;
	uint64_t t1 = harness_ms();
	for (int m = 0; m < 3; m++) {
		uint8_t *recs[100];
		size_t lens[100];
		for (int i = 0; i < 100; i++)
			assert_int_equal(rawrec_peer(mate, founder->pk, base + (uint64_t)(m * 100 + i),
						     now, now + 3600, "tcp://127.0.0.1:1", &recs[i],
						     &lens[i]),
					 0);
		send_records(&p, (const uint8_t *const *)recs, lens, 100);
		for (int i = 0; i < 100; i++)
			free(recs[i]);
	}
	assert_true(harness_wait(all_processed, &pw, 10000));
	double secs = (double)(harness_ms() - t1) / 1000.0;
	rawpeer_close(&p);

	uint64_t rated = status_counter(founder, "rate-limited") - pw.rated0;
	uint64_t stored = status_uint(founder, "records") - pw.records0;
	store_t *st = NULL;
	struct stored_count c = {0};
	assert_int_equal(rawstore_open(&st, founder->dir), 0);
	assert_int_equal(store_each_by_author(st, mate->pk, base - 1, count_one, &c), 0);
	store_close(&st);
	uint64_t cut = status_counter(founder, "peer-cutoffs") - cut0;
	fprintf(stderr, "flood: raw push of 300: %llu stored (%llu from that key), %llu "
			"rate-limited, in %.2f s; the pusher cut off %llu time(s)\n",
		(unsigned long long)stored, (unsigned long long)c.n, (unsigned long long)rated,
		secs, (unsigned long long)cut);
	assert_true(rated > 0);
	assert_int_equal(cut, 1);
	double bound = RATE_BURST + RATE_PER_MINUTE * secs / 60.0 + 3;
	assert_true((double)c.n <= bound);
	assert_true((double)stored <= bound);
	identity_free(&mate);
}

/* ---- 5. the control socket is private ---- */

enum child_result {
	CHILD_EACCES = 0,
	CHILD_CONNECTED = 1,
	CHILD_OTHER_ERRNO = 2,
	CHILD_NO_SETUID = 3,
	CHILD_NO_TRAVERSE = 4,
};

/* As user nobody: can it reach path's directory, and connect to path? */
static int connect_as_nobody(const char *dir, const char *path)
{
	struct passwd *pw = getpwnam("nobody");
	assert_non_null(pw);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0 ||
		    setuid(0) == 0)
			_exit(CHILD_NO_SETUID);
		struct stat st;
		if (stat(dir, &st) < 0) /* the parent directories let it through */
			_exit(CHILD_NO_TRAVERSE);
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un a;
		memset(&a, 0, sizeof(a));
		a.sun_family = AF_UNIX;
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
		if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
			_exit(CHILD_CONNECTED);
		_exit(errno == EACCES ? CHILD_EACCES : CHILD_OTHER_ERRNO);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_control_socket_private(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "control socket: needs root to switch users\n");
		skip();
	}
	struct hnode n;
	char ctl[700];
	struct stat st;
	hnode_init(&n, "solo", harness_port(), 0);
	/* only the state directory itself may stand in the way: the parents
	 * are open to search, and the directory starts out too open */
	assert_int_equal(chmod(harness_dir(), 0711), 0);
	assert_int_equal(chmod(n.dir, 0755), 0);
	hnode_write_config(&n, n.pk, NULL);
	hnode_start(&n);
	assert_true(hnode_wait_ready(&n, 10000));
	snprintf(ctl, sizeof(ctl), "%s/control", n.dir);

	assert_int_equal(stat(n.dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(lstat(ctl, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0177, 0); /* 0600 or stricter */
	assert_int_equal(st.st_uid, geteuid());

	assert_int_equal(connect_as_nobody(n.dir, ctl), CHILD_EACCES);

	/* a request without an op text is refused with a message of samend's
	 * own words, not with whatever was on its stack */
	static const uint8_t no_op[][4] = {{0x80}, {0x81, 0xa2, 'o', 'p'}};
	static const size_t no_op_len[] = {1, 4};
	for (size_t i = 0; i < 2; i++) {
		uint8_t req[8];
		struct hreply r;
		char why[256] = "";
		size_t len = no_op_len[i];
		memcpy(req, no_op[i], len);
		if (i == 1)
			req[len++] = 0x05; /* {"op": 5} */
		assert_true(hnode_call_msg(&n, req, len, &r, 5000));
		assert_false(hreply_ok(&r));
		hreply_str(&r, "error", why, sizeof(why));
		hreply_free(&r);
		assert_string_equal(why, "a request is a map with an 'op' field (no 'op' text)");
	}

	/* the socket's own mode holds even if someone opens the directory */
	assert_int_equal(chmod(n.dir, 0711), 0);
	int r = connect_as_nobody(n.dir, ctl);
	assert_int_equal(chmod(n.dir, 0700), 0);
	assert_int_equal(r, CHILD_EACCES);

	/* and the daemon's own user still reaches it */
	assert_true(hnode_wait_ready(&n, 2000));
	hnode_stop(&n, SIGTERM);
}

/* Whatever a test left behind (after a failed assertion too): the flood
 * thread, raw clients, daemons and directories. */
static int teardown(void **state)
{
	(void)state;
	if (flood_started) {
		atomic_store(&flood.stop, true);
		pthread_join(flood_thread, NULL);
		flood_started = false;
	}
	rawpeer_close_all();
	harness_cleanup();
	return 0;
}

/* SIGHUP applies learn_peers: a household that learns no peers links only
 * to the one in its config, and to the others once its config says
 * learn_peers = 1 and it is reloaded. */
static void test_reload_learn_peers(void **state)
{
	(void)state;
	struct hnode nodes[3];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	hnode_init(&nodes[1], "h1", harness_port(), 0);
	hnode_init(&nodes[2], "h2", harness_port(), 0);
	assert_true(harness_neighbourhood(nodes, 3, NULL));
	struct link_watch h1_h2 = {&nodes[1], 1, nodes[2].pk};
	struct link_watch h2_h1 = {&nodes[2], 1, nodes[1].pk};

	/* h1 restarts knowing only the founder, and h2 forgets h1 */
	struct hnode *const founder[] = {&nodes[0], NULL};
	hnode_stop(&nodes[1], SIGTERM);
	hnode_stop(&nodes[2], SIGTERM);
	snprintf(nodes[1].extra, sizeof(nodes[1].extra), "learn_peers = 0\n");
	hnode_write_config(&nodes[1], NULL, founder);
	snprintf(nodes[2].extra, sizeof(nodes[2].extra), "learn_peers = 0\n");
	hnode_write_config(&nodes[2], NULL, founder);
	hnode_start(&nodes[1]);
	hnode_start(&nodes[2]);
	assert_true(hnode_wait_ready(&nodes[1], 10000));
	assert_true(hnode_wait_ready(&nodes[2], 10000));
	char id[65];
	assert_true(hnode_send(&nodes[2], "iedereen hoort dit", false, id));
	struct have h = {nodes, 3, id};
	assert_true(harness_wait(all_have, &h, 15000));
	assert_false(someone_linked(&h1_h2));
	assert_false(someone_linked(&h2_h1));

	snprintf(nodes[1].extra, sizeof(nodes[1].extra), "learn_peers = 1\n");
	hnode_write_config(&nodes[1], NULL, founder);
	assert_int_equal(kill(nodes[1].pid, SIGHUP), 0);
	assert_true(harness_wait(someone_linked, &h1_h2, 20000));
	for (int i = 0; i < 3; i++)
		hnode_stop(&nodes[i], SIGTERM);
	harness_cleanup();
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_no_certificate_no_link, teardown),
		cmocka_unit_test_teardown(test_revocation, teardown),
		cmocka_unit_test_teardown(test_garbage_from_member, teardown),
		cmocka_unit_test_teardown(test_flood, teardown),
		cmocka_unit_test_teardown(test_control_socket_private, teardown),
		cmocka_unit_test_teardown(test_reload_learn_peers, teardown),
	};
	/* SECURITY_TEST=test_flood runs one test (a cmocka filter pattern) */
	const char *only = getenv("SECURITY_TEST");
	if (only && *only)
		cmocka_set_test_filter(only);
	return cmocka_run_group_tests_name("security", tests, NULL, NULL);
}
