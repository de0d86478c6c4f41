/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Attack test: amplification into a queue nobody reads. A member's key (its
 * daemon stopped) links to one household and sends, as fast as it can,
 * GRAFTs that name one stored record LINK_IDS_MAX times and empty version
 * vectors (each asking for every record the household holds), and never
 * reads its socket. Afterwards it announces LINK_IDS_MAX ids nobody has
 * (IHAVE), which would take the whole table of awaited ids from honest links. Meanwhile an honest household raises an alert.
 *
 * Asserted: the alert reaches every household during the flood; the
 * attacked daemon's resident memory (VmRSS) stays under its level before
 * the flood plus RSS_BOUND_MB (each GRAFT answered once per record, and
 * only while the peer reads; vector answers paced by what the peer reads;
 * what waits for a link bounded in bytes); the refusals are counted.
 * Printed: RSS before, peak and after.
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

#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../proto/link.h"
#include "../../proto/mp.h"
#include "../support/rawpeer.h"
#include "faults.h"

#define NODES 4
#define ENTRY 1           /* the household attacked */
#define MATE 3            /* whose key attacks */
#define PRELOAD 3000      /* records every empty vector asks for */
#define FLOOD_MS 8000
#define RSS_BOUND_MB 48

static struct fleet fl;

struct amplifier {
	void *ctx, *sock;
	uint8_t *graft, *vv;
	size_t graft_len, vv_len;
	atomic_bool stop;
	atomic_ullong grafts, vvs;
	pthread_t thread;
	bool running;
};
static struct amplifier amp;

static void *amplify_run(void *arg)
{
	struct amplifier *a = arg;
	while (!atomic_load(&a->stop)) {
		if (zmq_send(a->sock, a->graft, a->graft_len, 0) >= 0)
			atomic_fetch_add(&a->grafts, 1);
		if (zmq_send(a->sock, a->vv, a->vv_len, 0) >= 0)
			atomic_fetch_add(&a->vvs, 1);
	}
	return NULL;
}

static void amplifier_close(struct amplifier *a)
{
	if (a->running) {
		atomic_store(&a->stop, true);
		pthread_join(a->thread, NULL);
		a->running = false;
	}
	if (a->sock)
		zmq_close(a->sock);
	if (a->ctx)
		zmq_ctx_term(a->ctx);
	free(a->graft);
	free(a->vv);
	memset(a, 0, sizeof(*a));
}

static uint8_t *encode(struct mp_buf *b, size_t *len)
{
	uint8_t *out = mp_buf_release(b, len);
	assert_non_null(out);
	return out;
}

static int setopt_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

static void test_amplify_unread_queue(void **state)
{
	(void)state;
	faults_seed("amplify");
	fleet_init(&fl, NODES);
	/* the preload comes from one household in a burst */
	snprintf(fl.extra, sizeof(fl.extra), "rate_per_minute = 6000\nrate_burst = 10000\n");
	assert_true(fleet_build(&fl));
	const uint8_t *nbhd = fl.node[0].pk;

	char first[65], code[40];
	assert_true(fleet_send(&fl, 0, "het eerste", first, code));
	static struct rawflood pre;
	memset(&pre, 0, sizeof(pre));
	snprintf(pre.dir, sizeof(pre.dir), "%s", fl.node[0].dir);
	pre.n = PRELOAD;
	rawflood_run(&pre);
	fprintf(stderr, "amplify: preloaded %zu signals at node 0 (%zu refused)\n", pre.ok,
		pre.rate_limited + pre.other + pre.lost);
	assert_true(pre.ok >= PRELOAD / 2);
	uint64_t recs = 0, end = harness_ms() + 60000;
	while (harness_ms() < end && (!fleet_status_uint(&fl, ENTRY, "records", &recs) ||
				      recs < pre.ok))
		usleep(200000);
	fprintf(stderr, "amplify: household %d holds %llu records\n", ENTRY,
		(unsigned long long)recs);
	assert_true(recs >= pre.ok);

	/* the attacker: the mate's key, its daemon stopped */
	fleet_stop(&fl, MATE, SIGTERM);
	struct identity *mate = NULL;
	assert_int_equal(keyfile_read_secret(fl.node[MATE].key_path, NULL, &mate), 0);
	static uint8_t ids[LINK_IDS_MAX * 32];
	uint8_t one[32], nothing[LINK_VV_ENTRY] = {0};
	assert_int_equal(sodium_hex2bin(one, 32, first, 64, NULL, NULL, NULL), 0);
	for (size_t k = 0; k < LINK_IDS_MAX; k++)
		memcpy(ids + k * 32, one, 32);
	struct mp_buf b;
	mp_buf_init(&b);
	assert_int_equal(link_encode_ids(&b, LINK_GRAFT, nbhd, ids, LINK_IDS_MAX), 0);
	amp.graft = encode(&b, &amp.graft_len);
	mp_buf_init(&b);
	assert_int_equal(link_encode_entries(&b, LINK_VV, nbhd, nothing, 0), 0);
	amp.vv = encode(&b, &amp.vv_len);

	uint8_t server[32];
	char ep[64];
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(server, fl.node[ENTRY].pk), 0);
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", fl.node[ENTRY].port);
	amp.ctx = zmq_ctx_new();
	amp.sock = zmq_socket(amp.ctx, ZMQ_DEALER);
	assert_non_null(amp.sock);
	/* it reads nothing: what the household sends stays in its own queues
	 * once this socket's (and the kernel's) buffers are full */
	assert_int_equal(setopt_int(amp.sock, ZMQ_LINGER, 0), 0);
	assert_int_equal(setopt_int(amp.sock, ZMQ_RCVHWM, 1), 0);
	assert_int_equal(setopt_int(amp.sock, ZMQ_RCVBUF, 4096), 0);
	assert_int_equal(setopt_int(amp.sock, ZMQ_SNDHWM, 16), 0);
	assert_int_equal(setopt_int(amp.sock, ZMQ_SNDTIMEO, 100), 0);
	assert_int_equal(zmq_setsockopt(amp.sock, ZMQ_CURVE_SERVERKEY, server, 32), 0);
	assert_int_equal(zmq_setsockopt(amp.sock, ZMQ_CURVE_PUBLICKEY, mate->curve_pk, 32), 0);
	assert_int_equal(zmq_setsockopt(amp.sock, ZMQ_CURVE_SECRETKEY, mate->curve_sk, 32), 0);
	assert_int_equal(zmq_connect(amp.sock, ep), 0);
	uint8_t *hello, hz[32] = {0};
	size_t hello_len;
	assert_int_equal(rawlink_hello(nbhd, hz, "", &hello, &hello_len), 0);
	assert_true(zmq_send(amp.sock, hello, hello_len, 0) >= 0);
	free(hello);

	pid_t pid = fl.node[ENTRY].pid;
	uint64_t rss0 = proc_rss_kb(pid), peak = rss0;
	atomic_store(&amp.stop, false);
	assert_int_equal(pthread_create(&amp.thread, NULL, amplify_run, &amp), 0);
	amp.running = true;
	uint64_t t0 = harness_ms();
	bool sent = false;
	struct idset want = {0};
	while (harness_ms() - t0 < FLOOD_MS) {
		if (!sent && harness_ms() - t0 >= 2000) {
			char id[65];
			assert_true(fleet_send(&fl, 0, "alarm tijdens de vloed", id, code));
			idset_add(&want, id);
			sent = true;
		}
		uint64_t rss = proc_rss_kb(pid);
		if (rss > peak)
			peak = rss;
		usleep(100000);
	}
	/* the alert must arrive while the attacker still holds its link */
	uint64_t took = 0;
	bool delivered = fleet_wait_complete(&fl, &want, 20000, &took);
	uint64_t rss = proc_rss_kb(pid);
	if (rss > peak)
		peak = rss;
	/* then the announcement, on its own: its thousands of grafts back
	 * would fill the unread queue with small messages and so hide what
	 * the answers above cost */
	atomic_store(&amp.stop, true);
	pthread_join(amp.thread, NULL);
	amp.running = false;
	randombytes_buf(ids, sizeof(ids));
	mp_buf_init(&b);
	assert_int_equal(link_encode_ids(&b, LINK_IHAVE, nbhd, ids, LINK_IDS_MAX), 0);
	size_t ihave_len;
	uint8_t *ihave = encode(&b, &ihave_len);
	assert_true(zmq_send(amp.sock, ihave, ihave_len, 0) >= 0);
	free(ihave);
	usleep(1000000);
	amplifier_close(&amp);
	usleep(3000000);
	uint64_t after = proc_rss_kb(pid);

	uint64_t graft_refused = 0, vv_deferred = 0, reply_deferred = 0, ihave_refused = 0;
	assert_true(fleet_counter(&fl, ENTRY, "ihave-refused", &ihave_refused));
	assert_true(fleet_counter(&fl, ENTRY, "graft-refused", &graft_refused));
	assert_true(fleet_counter(&fl, ENTRY, "vv-deferred", &vv_deferred));
	assert_true(fleet_counter(&fl, ENTRY, "reply-deferred", &reply_deferred));
	fprintf(stderr,
		"amplify: %.1f s of GRAFTs naming one record %d times and empty vectors, never "
		"read; household %d RSS %llu KiB before, peak %llu KiB, %llu KiB 3 s after (bound "
		"%llu KiB); graft-refused %llu, vv-deferred %llu, reply-deferred %llu, ihave-refused "
		"%llu; the honest "
		"alert %s every household (%llu ms)\n",
		FLOOD_MS / 1000.0, LINK_IDS_MAX, ENTRY, (unsigned long long)rss0,
		(unsigned long long)peak, (unsigned long long)after,
		(unsigned long long)(rss0 + RSS_BOUND_MB * 1024), (unsigned long long)graft_refused,
		(unsigned long long)vv_deferred, (unsigned long long)reply_deferred,
		(unsigned long long)ihave_refused, delivered ? "reached" : "did not reach", (unsigned long long)took);
	idset_free(&want);
	identity_free(&mate);
	assert_true(delivered);
	assert_true(peak < rss0 + RSS_BOUND_MB * 1024);
	assert_true(graft_refused > 0);
	assert_true(vv_deferred > 0);
	/* one link may have us await IHAVE_PENDING_PER_LINK (512) of its ids */
	assert_true(ihave_refused >= LINK_IDS_MAX - 512);
}

static int teardown(void **state)
{
	(void)state;
	amplifier_close(&amp);
	harness_cleanup();
	return 0;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_amplify_unread_queue, teardown),
	};
	return cmocka_run_group_tests_name("faults-amplify", tests, NULL, NULL);
}
