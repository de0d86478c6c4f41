/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Integration: the push tree (PROTOCOL.md section 9) seen from a raw
 * neighbour. A real samend in `gossip = tree` mode is linked only to raw
 * CURVE clients holding member keys (their own daemons stopped), so the
 * test decides every message the daemon receives and sees every one it
 * sends: a PRUNE on the household's last eager link is refused with an
 * empty GRAFT and full records keep coming; with another eager link the
 * PRUNE is taken and records come as ids. Likewise a duplicate push makes
 * the daemon prune that link, unless it is its last eager one.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <zmq.h>

#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../proto/link.h"
#include "../../proto/mp.h"
#include "../../proto/mpmap.h"
#include "../../proto/record.h"
#include "../support/harness.h"
#include "../support/rawpeer.h"

#define TREE_CONFIG "gossip = tree\n"
#define SEEN(type) (1u << (type))

/* A raw neighbour: a member's key on a raw DEALER linked to the daemon. */
struct nb {
	struct rawpeer p;
	unsigned seen; /* SEEN(type) of every link message received */
};

/* link_decode() into *m, zeroed first (large: keep it static). */
static int decode(const uint8_t *buf, size_t len, msgpack_unpacked *u, struct link_msg *m)
{
	memset(m, 0, sizeof(*m));
	return link_decode(buf, len, u, m);
}

/*
 * Receives on n for up to timeout_ms. A VV_HASH is sent back as it came
 * (the daemon's own hash: it asks for nothing), which keeps the inbound
 * link from going stale. Returns the first frame whose type is in want
 * (SEEN bits; malloc'ed *buf, its length returned), or -1 when none came.
 */
static long nb_recv(struct nb *n, unsigned want, int timeout_ms, uint8_t **buf)
{
	uint64_t end = harness_ms() + (uint64_t)timeout_ms;
	*buf = NULL;
	for (;;) {
		uint64_t now = harness_ms();
		if (now >= end)
			return -1;
		uint8_t *in;
		long len = rawpeer_recv(&n->p, &in, (int)(end - now));
		if (len < 0)
			return -1;
		int type = rawpeer_link_type(in, (size_t)len);
		if (type > 0 && type < 32)
			n->seen |= SEEN(type);
		if (type == LINK_VV_HASH)
			assert_int_equal(rawpeer_send(&n->p, in, (size_t)len), 0);
		if (type > 0 && type < 32 && (want & SEEN(type))) {
			*buf = in;
			return len;
		}
		free(in);
	}
}

/* Links n to the daemon as the member key of node `as` (stopped) and names
 * the neighbourhood in a HELLO; returns when the daemon's HELLO came back. */
static void nb_open(struct nb *n, struct hnode *daemon, struct hnode *as)
{
	char ep[64];
	uint8_t *hello, *in, zero[32] = {0};
	size_t hello_len;
	struct identity *id = NULL;
	memset(n, 0, sizeof(*n));
	assert_int_equal(keyfile_read_secret(as->key_path, NULL, &id), 0);
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", daemon->port);
	assert_int_equal(rawpeer_open_id(&n->p, ep, daemon->pk, id), 0);
	identity_free(&id);
	assert_int_equal(rawpeer_wait_event(&n->p, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 10000, NULL),
			 ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
	/* the founder's key names the neighbourhood */
	assert_int_equal(rawlink_hello(daemon->pk, zero, "", &hello, &hello_len), 0);
	assert_int_equal(rawpeer_send(&n->p, hello, hello_len), 0);
	free(hello);
	assert_true(nb_recv(n, SEEN(LINK_HELLO), 10000, &in) >= 0);
	free(in);
}

static void nb_send_prune(struct nb *n, const uint8_t nbhd[32])
{
	struct mp_buf b;
	mp_buf_init(&b);
	assert_int_equal(link_encode_prune(&b, nbhd), 0);
	assert_int_equal(rawpeer_send(&n->p, b.sb.data, b.sb.size), 0);
	mp_buf_destroy(&b);
}

/*
 * Waits up to timeout_ms for the pushed record whose id is id_hex: returns
 * LINK_RECORDS when it came in full (a push; a malloc'ed copy in *rec when
 * rec is not NULL), LINK_IHAVE when it came as an id, or 0.
 */
static int nb_await_record(struct nb *n, const char *id_hex, int timeout_ms, uint8_t **rec,
			   size_t *rec_len)
{
	static struct link_msg m;
	uint64_t end = harness_ms() + (uint64_t)timeout_ms;
	uint8_t want[32];
	assert_int_equal(sodium_hex2bin(want, sizeof(want), id_hex, 64, NULL, NULL, NULL), 0);
	while (harness_ms() < end) {
		uint8_t *in;
		msgpack_unpacked u;
		int found = 0;
		long len = nb_recv(n, SEEN(LINK_RECORDS) | SEEN(LINK_IHAVE),
				   (int)(end - harness_ms()), &in);
		if (len < 0)
			break;
		assert_int_equal(decode(in, (size_t)len, &u, &m), 0);
		if (m.type == LINK_RECORDS) {
			for (size_t i = 0; i < m.n_records && !found; i++) {
				uint8_t id[32];
				record_id(m.rec[i], m.rec_len[i], id);
				if (memcmp(id, want, 32) != 0)
					continue;
				found = LINK_RECORDS;
				if (rec) {
					*rec = malloc(m.rec_len[i]);
					assert_non_null(*rec);
					memcpy(*rec, m.rec[i], m.rec_len[i]);
					*rec_len = m.rec_len[i];
				}
			}
		} else {
			for (size_t i = 0; i < m.n_ids && !found; i++)
				if (!memcmp(m.ids + i * 32, want, 32))
					found = LINK_IHAVE;
		}
		msgpack_unpacked_destroy(&u);
		free(in);
		if (found)
			return found;
	}
	return 0;
}

/* The daemon's up links (`links`) and those that carry full records
 * (`traffic.eager_links`). */
static void status_links(struct hnode *d, uint64_t *links, uint64_t *eager)
{
	struct hreply r;
	assert_true(hnode_call(d, &r, "op=status", NULL));
	assert_true(hreply_ok(&r));
	assert_int_equal(mpmap_uint(r.m, "links", UINT64_MAX, links), 0);
	const msgpack_object *t = mpmap_find(r.m, "traffic");
	assert_non_null(t);
	assert_int_equal(mpmap_uint(t, "eager_links", UINT64_MAX, eager), 0);
	hreply_free(&r);
}

struct settle {
	struct hnode *daemon;
	struct nb *nbs;
	size_t n_nbs;
	uint64_t links, eager; /* wanted */
};

/* Whether the daemon reports the wanted links; keeps the raw links alive. */
static bool links_are(void *ctx)
{
	struct settle *s = ctx;
	uint64_t links, eager;
	for (size_t i = 0; i < s->n_nbs; i++) {
		uint8_t *in;
		(void)nb_recv(&s->nbs[i], 0, 20, &in);
	}
	status_links(s->daemon, &links, &eager);
	return links == s->links && eager == s->eager;
}

/*
 * A neighbourhood of n households in tree mode; households 1..n-1 are
 * stopped and their keys linked to the founder by raw neighbours nbs[0..n-1).
 * Returns when the founder's only up links are those, all eager.
 */
static void raw_neighbourhood(struct hnode *nodes, size_t n, struct nb *nbs)
{
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	for (size_t i = 1; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "h%zu", i);
		hnode_init(&nodes[i], name, harness_port(), 0);
	}
	assert_true(harness_neighbourhood(nodes, n, TREE_CONFIG));
	for (size_t i = 1; i < n; i++)
		assert_int_equal(hnode_stop(&nodes[i], SIGTERM), 0);
	for (size_t i = 1; i < n; i++)
		nb_open(&nbs[i - 1], &nodes[0], &nodes[i]);
	/* the stopped daemons' own links go down (an inbound one when a
	 * message to it fails: within an anti-entropy round, 2 s here) */
	struct settle s = {&nodes[0], nbs, n - 1, n - 1, n - 1};
	assert_true(harness_wait(links_are, &s, 30000));
}

/* ---- 1. a PRUNE on the last eager link is refused ---- */

static void test_last_eager_link_kept(void **state)
{
	(void)state;
	static struct link_msg m;
	struct hnode nodes[2], *founder = &nodes[0];
	struct nb a;
	uint64_t links, eager;
	raw_neighbourhood(nodes, 2, &a);

	nb_send_prune(&a, founder->pk);
	/* the answer is an empty GRAFT: "push to me eagerly" */
	uint8_t *in;
	msgpack_unpacked u;
	long len = nb_recv(&a, SEEN(LINK_GRAFT), 10000, &in);
	assert_true(len >= 0);
	assert_int_equal(decode(in, (size_t)len, &u, &m), 0);
	assert_int_equal(m.type, LINK_GRAFT);
	assert_memory_equal(m.nbhd, founder->pk, 32);
	assert_int_equal(m.n_ids, 0);
	msgpack_unpacked_destroy(&u);
	free(in);

	status_links(founder, &links, &eager);
	assert_int_equal(links, 1);
	assert_int_equal(eager, 1);

	/* the founder's next alert still goes out in full on that link */
	char id[65];
	assert_true(hnode_send(founder, "Fietsendief bij het station", false, id));
	assert_int_equal(nb_await_record(&a, id, 10000, NULL, NULL), LINK_RECORDS);
	hnode_stop(founder, SIGTERM);
}

/* ---- 2. with another eager link, a PRUNE is taken ---- */

static void test_prune_taken_with_another_eager_link(void **state)
{
	(void)state;
	struct hnode nodes[3], *founder = &nodes[0];
	struct nb nbs[2], *a = &nbs[0], *b = &nbs[1];
	raw_neighbourhood(nodes, 3, nbs);

	a->seen = 0;
	nb_send_prune(a, founder->pk);
	/* taken: one eager link fewer, and no GRAFT comes back (watched for
	 * a while longer: a refusal is sent at once) */
	struct settle s = {founder, nbs, 2, 2, 1};
	assert_true(harness_wait(links_are, &s, 10000));
	uint8_t *in;
	assert_int_equal(nb_recv(a, SEEN(LINK_GRAFT), 2000, &in), -1);
	assert_false(a->seen & SEEN(LINK_GRAFT));

	/* the founder's next alert reaches a as an id, b in full */
	char id[65];
	assert_true(hnode_send(founder, "Inbraak in de schuur", false, id));
	assert_int_equal(nb_await_record(b, id, 10000, NULL, NULL), LINK_RECORDS);
	assert_int_equal(nb_await_record(a, id, 10000, NULL, NULL), LINK_IHAVE);
	hnode_stop(founder, SIGTERM);
}

/* ---- 3. a duplicate push prunes a link, but never the last eager one ---- */

/* Pushes rec back to the daemon in a RECORDS message (a duplicate there). */
static void nb_push(struct nb *n, const uint8_t *rec, size_t len)
{
	uint8_t *msg;
	size_t msg_len;
	assert_int_equal(rawlink_records(&rec, &len, 1, &msg, &msg_len), 0);
	assert_int_equal(rawpeer_send(&n->p, msg, msg_len), 0);
	free(msg);
}

static void test_duplicate_prunes_all_but_last(void **state)
{
	(void)state;
	struct hnode nodes[3], *founder = &nodes[0];
	struct nb nbs[2], *a = &nbs[0], *b = &nbs[1];
	uint8_t *rec_a, *rec_b, *in;
	size_t len_a, len_b;
	raw_neighbourhood(nodes, 3, nbs);

	char id[65];
	assert_true(hnode_send(founder, "Verdachte bestelbus", false, id));
	assert_int_equal(nb_await_record(a, id, 10000, &rec_a, &len_a), LINK_RECORDS);
	assert_int_equal(nb_await_record(b, id, 10000, &rec_b, &len_b), LINK_RECORDS);

	/* a pushes it back: a redundant edge, and b is still eager, so the
	 * founder prunes a's link */
	nb_push(a, rec_a, len_a);
	assert_true(nb_recv(a, SEEN(LINK_PRUNE), 10000, &in) >= 0);
	free(in);
	struct settle s = {founder, nbs, 2, 2, 1};
	assert_true(harness_wait(links_are, &s, 10000));

	/* b pushes it back too, but b's is the founder's last eager link: no
	 * PRUNE, and the next alert still reaches b in full */
	b->seen = 0;
	nb_push(b, rec_b, len_b);
	assert_int_equal(nb_recv(b, SEEN(LINK_PRUNE), 2000, &in), -1);
	assert_false(b->seen & SEEN(LINK_PRUNE));
	assert_true(links_are(&s));
	assert_true(hnode_send(founder, "Bestelbus rijdt weg", false, id));
	assert_int_equal(nb_await_record(b, id, 10000, NULL, NULL), LINK_RECORDS);
	free(rec_a);
	free(rec_b);
	hnode_stop(founder, SIGTERM);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_last_eager_link_kept, rawpeer_teardown),
		cmocka_unit_test_teardown(test_prune_taken_with_another_eager_link, rawpeer_teardown),
		cmocka_unit_test_teardown(test_duplicate_prunes_all_but_last, rawpeer_teardown),
	};
	return cmocka_run_group_tests_name("tree", tests, NULL, NULL);
}
