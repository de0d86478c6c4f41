/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Integration: what one peer may make a daemon spend on links.
 *
 *  - One member's key opens 70 connections to a household's mesh socket
 *    and speaks on each (HELLO): the household admits at most
 *    ADMIT_LINKS_PER_KEY of them, so an honest household started afterwards
 *    still links (the cap of 64 inbound links was counted per connection).
 *  - Connections of one member's key that pass ZAP and then say nothing
 *    (libzmq keeps them, and cannot close one) get the key cut off.
 *  - Throw-away keys from another source address (127.0.0.2) open join
 *    handshakes without pause: a household with a valid invite from
 *    127.0.0.1 still joins (one budget of 30 a minute was shared by all).
 *    The refusals are counted, and logged one by one only a few per 10 s.
 *  - A household behind NAT linked only to a relay is revoked: the relay
 *    closes its link (the household's link count falls to 0, its redial is
 *    refused) and a later alert does not reach its store (a relay checked
 *    revocation only in a neighbourhood of its own, which it has none of).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <zmq.h>

#include "../../daemon/admit.h"
#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../proto/record.h"
#include "../support/harness.h"
#include "../support/rawpeer.h"

static uint64_t status_uint(struct hnode *n, const char *key)
{
	struct hreply r;
	if (!hnode_call(n, &r, "op=status", NULL))
		return 0;
	uint64_t v = hreply_uint(&r, key);
	hreply_free(&r);
	return v;
}

static const msgpack_object *map_get(const msgpack_object *m, const char *key)
{
	for (uint32_t i = 0; m && m->type == MSGPACK_OBJECT_MAP && i < m->via.map.size; i++) {
		const msgpack_object_kv *kv = &m->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(key) &&
		    memcmp(kv->key.via.str.ptr, key, strlen(key)) == 0)
			return &kv->val;
	}
	return NULL;
}

/* An entry of status `counters` (0 if absent). */
static uint64_t counter(struct hnode *n, const char *name)
{
	struct hreply r;
	uint64_t v = 0;
	if (!hnode_call(n, &r, "op=status", NULL))
		return 0;
	const msgpack_object *c = map_get(map_get(r.m, "counters"), name);
	if (c && c->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		v = c->via.u64;
	hreply_free(&r);
	return v;
}

struct link_to {
	struct hnode *from, *to;
};

/* Whether from's outbound link to to is up (its handshake passed to's ZAP). */
static bool linked_out(void *ctx)
{
	struct link_to *lt = ctx;
	struct hreply r;
	bool up = false;
	if (!hnode_call(lt->from, &r, "op=peers", NULL))
		return false;
	const msgpack_object *peers = map_get(r.m, "peers");
	for (uint32_t i = 0; peers && peers->type == MSGPACK_OBJECT_ARRAY && i < peers->via.array.size;
	     i++) {
		const msgpack_object *p = &peers->via.array.ptr[i];
		const msgpack_object *key = map_get(p, "key"), *dir = map_get(p, "direction"),
				     *is_up = map_get(p, "up");
		up |= key && key->type == MSGPACK_OBJECT_STR &&
		      key->via.str.size == strlen(lt->to->key_text) &&
		      memcmp(key->via.str.ptr, lt->to->key_text, key->via.str.size) == 0 && dir &&
		      dir->type == MSGPACK_OBJECT_STR && dir->via.str.size == 3 &&
		      memcmp(dir->via.str.ptr, "out", 3) == 0 && is_up &&
		      is_up->type == MSGPACK_OBJECT_BOOLEAN && is_up->via.boolean;
	}
	hreply_free(&r);
	return up;
}

static bool no_link(void *ctx)
{
	return status_uint(ctx, "links") == 0;
}

static bool role_is(struct hnode *n, const char *want)
{
	struct hreply r;
	char role[32] = "";
	if (!hnode_call(n, &r, "op=status", NULL))
		return false;
	hreply_str(&r, "role", role, sizeof(role));
	hreply_free(&r);
	return !strcmp(role, want);
}

static bool is_member(void *ctx)
{
	return role_is(ctx, "member");
}

static bool invite(struct hnode *f, char code[700])
{
	struct hreply r;
	bool ok = hnode_call(f, &r, "op=invite", "preapproved:b=1", NULL) && hreply_ok(&r);
	if (ok)
		hreply_str(&r, "code", code, 700);
	hreply_free(&r);
	return ok;
}

static bool join(struct hnode *f, struct hnode *n, const char *label)
{
	struct hreply r;
	char code[700], arg[800], la[80];
	if (!invite(f, code))
		return false;
	snprintf(arg, sizeof(arg), "code=%s", code);
	snprintf(la, sizeof(la), "label=%s", label);
	bool ok = hnode_call(n, &r, "op=join", arg, la, NULL) && hreply_ok(&r);
	hreply_free(&r);
	return ok;
}

static bool certify(struct hnode *f, const char *key_text, const char *role, const char *label)
{
	struct hreply r;
	char k[80], ro[40], la[80];
	snprintf(k, sizeof(k), "key=%s", key_text);
	snprintf(ro, sizeof(ro), "role=%s", role);
	snprintf(la, sizeof(la), "label=%s", label);
	bool ok = hnode_call(f, &r, "op=certify", k, ro, la, NULL) && hreply_ok(&r);
	hreply_free(&r);
	return ok;
}

static int setopt_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

/* A CURVE DEALER from the X25519 pair (pk, sk) to endpoint, whose server
 * is the X25519 form of server_ed, monitored on mon_ep. */
static void *curve_dealer(void *ctx, const char *endpoint, const uint8_t server_ed[32],
			  const uint8_t pk[32], const uint8_t sk[32], const char *mon_ep)
{
	uint8_t server[32];
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	assert_non_null(s);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(server, server_ed), 0);
	assert_int_equal(setopt_int(s, ZMQ_LINGER, 0), 0);
	assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 32), 0);
	assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pk, 32), 0);
	assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sk, 32), 0);
	if (mon_ep)
		assert_int_equal(zmq_socket_monitor(s, mon_ep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
							ZMQ_EVENT_HANDSHAKE_FAILED_AUTH),
				 0);
	assert_int_equal(zmq_connect(s, endpoint), 0);
	return s;
}

#define CONNS 70

/* The attacker's connections, kept alive (a daemon drops an inbound link
 * that has been silent for three anti-entropy rounds) while we wait. */
struct attack {
	void *socks[CONNS];
	bool up[CONNS];
	const uint8_t *hello;
	size_t hello_len;
	uint64_t next_ping_ms;
	struct link_to lt;
};

static bool linked_despite_attack(void *ctx)
{
	struct attack *a = ctx;
	if (harness_ms() >= a->next_ping_ms) {
		for (int i = 0; i < CONNS; i++)
			if (a->up[i])
				(void)zmq_send(a->socks[i], a->hello, a->hello_len, ZMQ_DONTWAIT);
		a->next_ping_ms = harness_ms() + 1000;
	}
	return linked_out(&a->lt);
}

static void test_one_key_cannot_fill_inbound(void **state)
{
	(void)state;
	struct hnode n[3];
	hnode_init(&n[0], "founder", harness_port(), harness_port());
	hnode_init(&n[1], "mate", harness_port(), 0);
	hnode_init(&n[2], "honest", harness_port(), 0);
	assert_true(harness_neighbourhood(n, 3, NULL));
	/* the mate's key connects on its own; the honest household comes back later */
	assert_int_equal(hnode_stop(&n[1], SIGTERM), 0);
	assert_int_equal(hnode_stop(&n[2], SIGTERM), 0);

	struct identity *mate = NULL;
	assert_int_equal(keyfile_read_secret(n[1].key_path, NULL, &mate), 0);
	char ep[64];
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", n[0].port);
	uint8_t *hello, hz[32] = {0};
	size_t hello_len;
	assert_int_equal(rawlink_hello(n[0].pk, hz, "", &hello, &hello_len), 0);

	void *ctx = zmq_ctx_new();
	static struct attack at;
	memset(&at, 0, sizeof(at));
	void **socks = at.socks, *mons[CONNS];
	for (int i = 0; i < CONNS; i++) {
		char mon_ep[64];
		snprintf(mon_ep, sizeof(mon_ep), "inproc://bounds-mon-%d", i);
		socks[i] = curve_dealer(ctx, ep, n[0].pk, mate->curve_pk, mate->curve_sk, mon_ep);
		mons[i] = zmq_socket(ctx, ZMQ_PAIR);
		assert_int_equal(zmq_connect(mons[i], mon_ep), 0);
	}
	/* each connection speaks as soon as it is up, so the daemon makes it a
	 * link; one after the other, so every admission is decided */
	int admitted = 0, refused = 0;
	for (int i = 0; i < CONNS; i++) {
		zmq_pollitem_t it = {mons[i], 0, ZMQ_POLLIN, 0};
		uint16_t ev = 0;
		if (zmq_poll(&it, 1, 5000) == 1) {
			uint8_t frame[6];
			char addr[256];
			if (zmq_recv(mons[i], frame, sizeof(frame), 0) >= 2)
				memcpy(&ev, frame, 2);
			(void)zmq_recv(mons[i], addr, sizeof(addr), 0);
		}
		if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
			admitted++;
			at.up[i] = true;
			assert_true(zmq_send(socks[i], hello, hello_len, 0) >= 0);
			usleep(50000);
		} else {
			refused++;
		}
	}
	print_message("one key, %d connections: %d admitted, %d refused; refusals counted %llu\n",
		      CONNS, admitted, refused,
		      (unsigned long long)counter(&n[0], "links-per-key-refused"));

	/* the honest household links while all of them are still open */
	hnode_start(&n[2]);
	assert_true(hnode_wait_ready(&n[2], 10000));
	at.hello = hello;
	at.hello_len = hello_len;
	at.lt = (struct link_to){&n[2], &n[0]};
	assert_true(harness_wait(linked_despite_attack, &at, 20000));
	assert_true(admitted <= ADMIT_LINKS_PER_KEY);
	assert_true(counter(&n[0], "links-per-key-refused") >= CONNS - ADMIT_LINKS_PER_KEY);

	for (int i = 0; i < CONNS; i++) {
		zmq_close(socks[i]);
		zmq_close(mons[i]);
	}
	zmq_ctx_term(ctx);
	free(hello);
	identity_free(&mate);
	hnode_stop(&n[2], SIGTERM);
	hnode_stop(&n[0], SIGTERM);
}

static bool cut_off(void *ctx)
{
	return counter(ctx, "peer-cutoffs") >= 1;
}

static void test_silent_connections_cut_off(void **state)
{
	(void)state;
	struct hnode n[2];
	hnode_init(&n[0], "founder", harness_port(), harness_port());
	hnode_init(&n[1], "mate", harness_port(), 0);
	/* one silent connection is enough to count here */
	assert_true(harness_neighbourhood(n, 2, "invalid_limit = 1\n"));
	assert_int_equal(hnode_stop(&n[1], SIGTERM), 0);
	struct identity *mate = NULL;
	assert_int_equal(keyfile_read_secret(n[1].key_path, NULL, &mate), 0);
	char ep[64];
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", n[0].port);
	struct rawpeer p;
	assert_int_equal(rawpeer_open_id(&p, ep, n[0].pk, mate), 0);
	assert_int_equal(rawpeer_wait_event(&p, ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
						    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
					    5000, NULL),
			 ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
	uint64_t t0 = harness_ms();
	bool cut = harness_wait(cut_off, &n[0], 20000);
	print_message("a connection that passed ZAP and said nothing: key %s after %llu ms\n",
		      cut ? "cut off" : "not cut off", (unsigned long long)(harness_ms() - t0));
	rawpeer_close(&p);
	identity_free(&mate);
	assert_true(cut);
	hnode_stop(&n[0], SIGTERM);
}

/* How often needle occurs in the file at path. */
static size_t count_in_file(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t n = 0;
	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

struct joinflood {
	char ep[128];
	uint8_t server[32];
	atomic_bool stop;
	atomic_uint handshakes;
};

/* Throw-away keys, a new one every 20 ms, each opening a join handshake
 * from 127.0.0.2 (ZeroMQ's "source;destination" form) and going away. */
static void *joinflood_run(void *arg)
{
	struct joinflood *jf = arg;
	void *ctx = zmq_ctx_new();
	void *open_socks[16] = {0};
	unsigned k = 0;
	while (!atomic_load(&jf->stop)) {
		uint8_t pk[32], sk[32];
		crypto_box_keypair(pk, sk);
		unsigned slot = k++ % 16;
		if (open_socks[slot])
			zmq_close(open_socks[slot]);
		open_socks[slot] = curve_dealer(ctx, jf->ep, jf->server, pk, sk, NULL);
		sodium_memzero(sk, sizeof(sk));
		atomic_fetch_add(&jf->handshakes, 1);
		usleep(20000);
	}
	for (unsigned i = 0; i < 16; i++)
		if (open_socks[i])
			zmq_close(open_socks[i]);
	zmq_ctx_term(ctx);
	return NULL;
}

static void test_join_flood_does_not_lock_out(void **state)
{
	(void)state;
	struct hnode f, h;
	hnode_init(&f, "founder", harness_port(), harness_port());
	hnode_init(&h, "newcomer", harness_port(), 0);
	hnode_write_config(&f, f.pk, NULL);
	hnode_start(&f);
	assert_true(hnode_wait_ready(&f, 10000));

	static struct joinflood jf;
	memset(&jf, 0, sizeof(jf));
	snprintf(jf.ep, sizeof(jf.ep), "tcp://127.0.0.2:0;127.0.0.1:%d", f.join_port);
	memcpy(jf.server, f.pk, 32);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, joinflood_run, &jf), 0);
	/* long enough for the flood to use up any one shared minute's budget */
	usleep(3000000);

	hnode_write_config(&h, NULL, NULL);
	hnode_start(&h);
	assert_true(hnode_wait_ready(&h, 10000));
	uint64_t t0 = harness_ms();
	assert_true(join(&f, &h, "Lindelaan 5"));
	bool joined = harness_wait(is_member, &h, 20000);
	uint64_t took = harness_ms() - t0;
	atomic_store(&jf.stop, true);
	pthread_join(t, NULL);
	uint64_t refused = counter(&f, "join-refused");
	print_message("join flood: %u throw-away handshakes from 127.0.0.2, %llu refused; the "
		      "household with an invite %s after %llu ms\n",
		      atomic_load(&jf.handshakes), (unsigned long long)refused,
		      joined ? "joined" : "had not joined", (unsigned long long)took);
	size_t lines = count_in_file(f.log, "refused a join connection");
	print_message("join flood: %zu refusals logged one by one\n", lines);
	assert_true(joined);
	assert_true(refused > 0);
	/* a stranger's handshakes cost it nothing: they must not fill the log */
	assert_true(lines <= 10 * (1 + took / 10000 + 1));
	hnode_stop(&h, SIGTERM);
	hnode_stop(&f, SIGTERM);
}

struct relay_world {
	struct hnode f, a, b, r;
	char id[65]; /* the alert sent after the revocation */
};

static bool b_member_linked(void *ctx)
{
	struct relay_world *w = ctx;
	return is_member(&w->b) && status_uint(&w->b, "links") >= 1 &&
	       status_uint(&w->b, "epoch") == status_uint(&w->f, "epoch");
}

static bool a_has(void *ctx)
{
	struct relay_world *w = ctx;
	return hnode_has(&w->a, w->id);
}

static void test_revoked_link_closed_at_relay(void **state)
{
	(void)state;
	static struct relay_world w;
	memset(&w, 0, sizeof(w));
	hnode_init(&w.f, "founder", harness_port(), harness_port());
	hnode_init(&w.a, "a", harness_port(), 0);
	hnode_init(&w.b, "b-nat", 0, 0);
	hnode_init(&w.r, "relay", harness_port(), 0);
	hnode_write_config(&w.f, w.f.pk, NULL);
	hnode_start(&w.f);
	assert_true(hnode_wait_ready(&w.f, 10000));
	hnode_write_config(&w.a, NULL, NULL);
	hnode_start(&w.a);
	assert_true(hnode_wait_ready(&w.a, 10000));
	assert_true(join(&w.f, &w.a, "Lindelaan 3"));
	assert_true(harness_wait(is_member, &w.a, 15000));

	assert_true(certify(&w.f, w.r.key_text, "relay", "Relay wijkcentrum"));
	snprintf(w.r.extra, sizeof(w.r.extra),
		 "role = relay\nserve = %s\npeer = tcp://127.0.0.1:%d %s\n",
		 w.f.key_text, w.f.port, w.f.key_text);
	hnode_write_config(&w.r, NULL, NULL);
	hnode_start(&w.r);
	assert_true(hnode_wait_ready(&w.r, 10000));

	/* B binds nothing and dials only the relay */
	snprintf(w.b.extra, sizeof(w.b.extra),
		 "learn_peers = 0\npeer = tcp://127.0.0.1:%d %s\n", w.r.port,
		 w.r.key_text);
	hnode_write_config(&w.b, NULL, NULL);
	hnode_start(&w.b);
	assert_true(hnode_wait_ready(&w.b, 10000));
	assert_true(join(&w.f, &w.b, "Achterom 7"));
	assert_true(harness_wait(b_member_linked, &w, 30000));

	struct hreply r;
	char k[80];
	snprintf(k, sizeof(k), "key=%s", w.b.key_text);
	assert_true(hnode_call(&w.f, &r, "op=revoke", k, NULL));
	assert_true(hreply_ok(&r));
	hreply_free(&r);

	/* the relay drops B's link and refuses B's redial */
	bool closed = harness_wait(no_link, &w.b, 20000);
	print_message("revoked B: its link through the relay %s\n", closed ? "closed" : "stayed up");
	assert_true(closed);

	assert_true(hnode_send(&w.f, "na de intrekking", false, w.id));
	assert_true(harness_wait(a_has, &w, 20000));
	/* two anti-entropy rounds more: B gets it by no path */
	usleep(5000000);
	store_t *st = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(rawstore_open(&st, w.b.dir), 0);
	int found = rawstore_find(st, w.f.pk, REC_SIGNAL, w.id, &buf, &len);
	store_close(&st);
	free(buf);
	assert_int_equal(found, SAMEN_ENOTFOUND);
	hnode_stop(&w.b, SIGTERM);
	hnode_stop(&w.r, SIGTERM);
	hnode_stop(&w.a, SIGTERM);
	hnode_stop(&w.f, SIGTERM);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_one_key_cannot_fill_inbound, harness_teardown),
		cmocka_unit_test_teardown(test_silent_connections_cut_off, rawpeer_teardown),
		cmocka_unit_test_teardown(test_join_flood_does_not_lock_out, harness_teardown),
		cmocka_unit_test_teardown(test_revoked_link_closed_at_relay, harness_teardown),
	};
	return cmocka_run_group_tests_name("bounds", tests, NULL, NULL);
}
