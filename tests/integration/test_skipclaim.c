/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Integration: a SKIP cannot silence an author. A member (its daemon
 * stopped, its key in a raw client) tells the founder's daemon it holds
 * nothing of the founder's records, nor of another household's, up to
 * 2^64 - 1. Before, the founder's own vector became 2^64 - 1 and its next
 * sequence number overflowed: it could no longer send, certify or revoke.
 * Now the gap is believed only up to what the author's own records prove:
 * both vectors stay where they were, the clamped SKIPs are counted, and the
 * founder and the household send as before, to everyone.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <zmq.h>

#include "../../daemon/store.h"
#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../proto/link.h"
#include "../../proto/mp.h"
#include "../../proto/mpmap.h"
#include "../../proto/record.h"
#include "../support/harness.h"
#include "../support/rawpeer.h"

#define HS_EVENTS                                                                       \
	(ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |              \
	 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

static uint64_t counter(struct hnode *n, const char *name)
{
	struct hreply r;
	uint64_t v = 0;
	assert_true(hnode_call(n, &r, "op=status", NULL));
	assert_true(hreply_ok(&r));
	const msgpack_object *c = mpmap_find(r.m, "counters");
	assert_non_null(c);
	int ret = mpmap_uint(c, name, UINT64_MAX, &v);
	assert_true(ret == 0 || ret == SAMEN_ENOTFOUND);
	hreply_free(&r);
	return v;
}

struct counter_watch {
	struct hnode *node;
	const char *name;
	uint64_t want;
};

static bool counter_reached(void *ctx)
{
	struct counter_watch *w = ctx;
	return counter(w->node, w->name) >= w->want;
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

static void vv_of(const struct hnode *node, const uint8_t author[32], struct store_vv_entry *e)
{
	store_t *st = NULL;
	assert_int_equal(rawstore_open(&st, node->dir), 0);
	assert_int_equal(store_vv_get(st, author, e), 0);
	store_close(&st);
}

static int first_record(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct mp_buf *b = ctx;
	(void)id;
	assert_int_equal(link_records_begin(b, 1), 0);
	assert_int_equal(mp_pack_bin(&b->pk, data, len), 0);
	return 1;
}

static void test_skip_cannot_silence(void **state)
{
	(void)state;
	struct hnode nodes[3];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	hnode_init(&nodes[1], "h1", harness_port(), 0);
	hnode_init(&nodes[2], "mallory", harness_port(), 0);
	assert_true(harness_neighbourhood(nodes, 3, NULL));
	struct hnode *founder = &nodes[0], *h1 = &nodes[1], *mallory = &nodes[2];
	const uint8_t *nbhd = founder->pk;

	hnode_stop(mallory, SIGTERM);
	struct identity *m = NULL;
	assert_int_equal(keyfile_read_secret(mallory->key_path, NULL, &m), 0);
	struct store_vv_entry f0, h0;
	vv_of(founder, founder->pk, &f0);
	vv_of(founder, h1->pk, &h0);
	assert_true(f0.contig >= 1);

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

	/* "I hold nothing of the founder's, nor of h1's, up to 2^64 - 1" */
	uint8_t entries[2 * LINK_SKIP_ENTRY];
	link_skip_entry_put(entries, 0, founder->pk, f0.contig, UINT64_MAX);
	link_skip_entry_put(entries, 1, h1->pk, h0.contig, UINT64_MAX);
	struct mp_buf b;
	mp_buf_init(&b);
	assert_int_equal(link_encode_entries(&b, LINK_SKIP, nbhd, entries, 2), 0);
	assert_int_equal(rawpeer_send(&p, b.sb.data, b.sb.size), 0);
	mp_buf_destroy(&b);
	/* then a record the founder holds: once it is counted as a duplicate,
	 * the SKIP before it on this link has been applied */
	uint64_t dup = counter(founder, "duplicate");
	store_t *st = NULL;
	mp_buf_init(&b);
	assert_int_equal(rawstore_open(&st, founder->dir), 0);
	assert_int_equal(store_each_by_kind(st, nbhd, REC_CERT, first_record, &b), 1);
	store_close(&st);
	assert_int_equal(rawpeer_send(&p, b.sb.data, b.sb.size), 0);
	mp_buf_destroy(&b);
	struct counter_watch cw = {founder, "duplicate", dup + 1};
	assert_true(harness_wait(counter_reached, &cw, 10000));
	rawpeer_close(&p);

	struct store_vv_entry f1, h1e;
	vv_of(founder, founder->pk, &f1);
	vv_of(founder, h1->pk, &h1e);
	fprintf(stderr, "skipclaim: founder's vector for itself %llu/%llu -> %llu/%llu, for h1 "
			"%llu/%llu -> %llu/%llu (contig/max)\n",
		(unsigned long long)f0.contig, (unsigned long long)f0.max,
		(unsigned long long)f1.contig, (unsigned long long)f1.max,
		(unsigned long long)h0.contig, (unsigned long long)h0.max,
		(unsigned long long)h1e.contig, (unsigned long long)h1e.max);
	assert_true(f1.contig < UINT64_MAX);
	assert_true(f1.contig <= f1.max);
	assert_true(h1e.contig < UINT64_MAX);
	assert_true(h1e.contig <= h1e.max);

	/* the founder still sends, and the household gets it */
	char id[65];
	assert_true(hnode_send(founder, "de oprichter spreekt nog", false, id));
	struct have hv = {h1, id};
	assert_true(harness_wait(has_signal, &hv, 10000));
	/* and the other way round */
	assert_true(hnode_send(h1, "h1 ook", false, id));
	hv.node = founder;
	hv.id = id;
	assert_true(harness_wait(has_signal, &hv, 10000));
	/* both clamped SKIP entries were counted */
	assert_true(counter(founder, "skip-clamped") >= 2);
	identity_free(&m);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_skip_cannot_silence, rawpeer_teardown),
	};
	return cmocka_run_group_tests_name("skipclaim", tests, NULL, NULL);
}
