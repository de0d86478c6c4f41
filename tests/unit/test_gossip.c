/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_gossip.c — daemon/gossip.c, gossip_recv.c and tree.c against a fake
 * net: a struct daemon with a real node (LMDB in a fresh directory under
 * /tmp, real keys) and links that have no sockets. An outbound link without
 * a socket is a peer that has not read yet (daemon/linkio.c send_now):
 * whatever gossip sends it stays in its backlog, which the test reads as
 * that peer's inbox. Inbound links need the mesh socket to send, so only
 * their state is checked. Checked: what a committed record queues on which
 * link (push, ids, nothing) and how it goes out, records from a link pushed
 * on (not back), PRUNE on a duplicate push and on the last eager link, GRAFT
 * answered once per id and not while the peer does not read, IHAVE awaited
 * and grafted, the vector exchange, malformed and invalid messages counted
 * against the peer until it is cut off, and a message before HELLO counted
 * as other-neighbourhood.
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
#include "../../daemon/daemon.h"
#include "../../daemon/tree.h"
#include "../../keys/keyfile.h"
#include "../../proto/link.h"

#define PEERS 4

struct fx {
	char tmp[64];
	char key[128];
	struct config cfg;
	struct daemon *d;
	struct identity *founder;
	struct identity *peer[PEERS]; /* the keys at the other ends of the links */
	struct identity *author;      /* a member whose records travel */
	bool open;
};

/* What samend's loop does with a committed record, gossip's part of it. */
static void on_stored(void *ctx, struct node *n, const struct record *r, const uint8_t *buf,
		      size_t len, int source)
{
	(void)n;
	(void)gossip_record_stored(&((struct daemon *)ctx)->gossip, r, buf, len, source, false);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct node_params p = {.clock_skew = 300, .rate_per_minute = 600, .rate_burst = 100,
				.retention = 7 * 86400};

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/samen-test-gossip-XXXXXX");
	if (!mkdtemp(f->tmp))
		return -1;
	*state = f;
	snprintf(f->key, sizeof(f->key), "%s/identity.key", f->tmp);
	assert_int_equal(identity_generate(&f->founder), 0);
	assert_int_equal(keyfile_write_secret(f->key, f->founder, NULL), 0);
	for (int i = 0; i < PEERS; i++)
		assert_int_equal(identity_generate(&f->peer[i]), 0);
	assert_int_equal(identity_generate(&f->author), 0);
	config_defaults(&f->cfg);
	snprintf(f->cfg.state_dir, sizeof(f->cfg.state_dir), "%s", f->tmp);
	f->cfg.invalid_limit = 3;
	f->d = calloc(1, sizeof(*f->d));
	assert_non_null(f->d);
	f->d->cfg = &f->cfg;
	daemon_wire(f->d);
	assert_int_equal(node_open(&f->d->node, f->tmp, f->key, NULL, f->founder->pk, &p), 0);
	f->open = true;
	f->d->node.stored = on_stored;
	f->d->node.stored_ctx = f->d;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < net_link_slots(&f->d->net); i++)
		net_close_link(&f->d->net, net_link(&f->d->net, i));
	if (f->open)
		node_close(&f->d->node);
	free(f->d);
	identity_free(&f->founder);
	identity_free(&f->author);
	for (int i = 0; i < PEERS; i++)
		identity_free(&f->peer[i]);
	harness_rmtree(f->tmp);
	free(f);
	return 0;
}

/* An outbound link to peer i, up, of our neighbourhood, with no socket. */
static struct link *link_out(struct fx *f, int i)
{
	struct link *l = net_link_alloc(&f->d->net);

	assert_non_null(l);
	memset(l, 0, sizeof(*l));
	l->used = true;
	l->dir = DIR_OUT;
	memcpy(l->key, f->peer[i]->pk, 32);
	memcpy(l->nbhd, f->founder->pk, 32);
	l->has_nbhd = true;
	l->up = true;
	snprintf(l->endpoint, sizeof(l->endpoint), "tcp://192.0.2.%d:7400", i + 1);
	return l;
}

static size_t backlog_n(const struct link *l)
{
	size_t n = 0;
	for (size_t off = l->backlog.head; off < l->backlog.q.len; n++) {
		const uint8_t *data;
		off += 4 + outq_entry(&l->backlog.q, off, &data);
	}
	return n;
}

/* The oldest message the peer of l has not read, decoded into *m (valid
 * until the next call), and taken off the backlog: the peer read it. */
static uint8_t inbox_buf[LINK_MSG_MAX];
static msgpack_unpacked inbox_u;
static bool inbox_live;
static const struct link_msg *inbox(struct link *l, uint8_t type)
{
	static struct link_msg m;
	const uint8_t *msg;
	size_t len = linkq_peek(&l->backlog, &msg);

	if (inbox_live)
		msgpack_unpacked_destroy(&inbox_u);
	inbox_live = false;
	if (len == 0) {
		print_error("nothing was sent on the link (wanted type %u)\n", type);
		fail();
	}
	memcpy(inbox_buf, msg, len);
	linkq_pop(&l->backlog);
	int ret = link_decode(inbox_buf, len, &inbox_u, &m);
	inbox_live = true;
	assert_int_equal(ret, 0);
	if (m.type != type)
		print_error("sent type %u, wanted %u\n", m.type, type);
	assert_int_equal(m.type, type);
	return &m;
}

static void inbox_done(void)
{
	if (inbox_live)
		msgpack_unpacked_destroy(&inbox_u);
	inbox_live = false;
}

/* Hands an encoded link message to gossip as if l's peer had sent it. */
static void deliver(struct fx *f, struct link *l, struct mp_buf *b)
{
	gossip_on_message(&f->d->gossip, l, (const uint8_t *)b->sb.data, b->sb.size);
	mp_buf_destroy(b);
}

/* ---- records ---- */

struct rec {
	uint8_t *buf;
	size_t len;
	uint8_t id[32];
};

static void rec_cert(struct fx *f, struct rec *out, uint64_t seq, const uint8_t subject[32])
{
	struct record r;
	uint64_t now = (uint64_t)time(NULL);

	memset(&r, 0, sizeof(r));
	r.kind = REC_CERT;
	memcpy(r.nbhd, f->founder->pk, 32);
	memcpy(r.author, f->founder->pk, 32);
	r.seq = seq;
	r.created = now - 10;
	memcpy(r.u.cert.subject, subject, 32);
	r.u.cert.role = ROLE_MEMBER;
	snprintf(r.u.cert.label, sizeof(r.u.cert.label), "house %llu", (unsigned long long)seq);
	r.u.cert.not_before = now - 60;
	r.u.cert.not_after = now + 86400;
	assert_int_equal(record_sign(&r, f->founder->sk, &out->buf, &out->len), 0);
	memcpy(out->id, r.id, 32);
}

static void rec_signal(struct fx *f, struct rec *out, uint64_t seq, uint8_t salt)
{
	struct record r;
	uint8_t ct[64];

	memset(&r, 0, sizeof(r));
	memset(ct, salt, sizeof(ct));
	r.kind = REC_SIGNAL;
	memcpy(r.nbhd, f->founder->pk, 32);
	memcpy(r.author, f->author->pk, 32);
	r.seq = seq;
	r.created = (uint64_t)time(NULL);
	r.u.signal.expires = r.created + 3600;
	r.u.signal.ct = ct;
	r.u.signal.ct_len = sizeof(ct);
	assert_int_equal(record_sign(&r, f->author->sk, &out->buf, &out->len), 0);
	memcpy(out->id, r.id, 32);
}

static void records_msg(struct mp_buf *b, uint8_t type, const struct rec *r, size_t n)
{
	mp_buf_init(b);
	assert_int_equal(link_records_begin_type(b, type, n), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(mp_pack_bin(&b->pk, r[i].buf, r[i].len), 0);
}

static void ids_msg(struct fx *f, struct mp_buf *b, uint8_t type, const uint8_t *ids, size_t n)
{
	mp_buf_init(b);
	assert_int_equal(link_encode_ids(b, type, f->founder->pk, ids, n), 0);
}

/* The author's certificate and two of its signals, stored locally (as if
 * from no link: source -1). */
static void store_three(struct fx *f, struct rec r[3])
{
	const uint8_t *recs[3];
	size_t lens[3];
	enum reject v[3];

	rec_cert(f, &r[0], 1, f->author->pk);
	rec_signal(f, &r[1], 1, 1);
	rec_signal(f, &r[2], 2, 2);
	for (int i = 0; i < 3; i++) {
		recs[i] = r[i].buf;
		lens[i] = r[i].len;
	}
	assert_int_equal(node_ingest(&f->d->node, recs, lens, 3, NULL, v), 3);
}

static void recs_free(struct rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].buf);
}

/* ---- the tests ---- */

/* A committed record goes in full on eager links, as an id on lazy ones,
 * not at all to its author, on links not up, or of another neighbourhood;
 * gossip_flush() sends the pushes at once and the ids when they are due. */
static void test_stored_fanout(void **state)
{
	struct fx *f = *state;
	struct daemon *d = f->d;
	struct link *eager = link_out(f, 0), *lazy = link_out(f, 1), *down = link_out(f, 2);
	struct link *other = link_out(f, 3), *author;
	struct rec r[3];

	lazy->lazy = true;
	down->up = false;
	memset(other->nbhd, 0x77, 32);
	author = link_out(f, 3);
	memcpy(author->key, f->author->pk, 32);
	d->gossip.vv_stale = false;

	store_three(f, r);
	assert_true(d->gossip.vv_stale);
	assert_int_equal(eager->push.n, 3);
	assert_int_equal(lazy->push.n, 0);
	assert_int_equal(lazy->ihave.n, 3);
	assert_true(d->gossip.ihave_due_ms > 0);
	/* the author's own link gets its certificate, not its signals */
	assert_int_equal(author->push.n, 1);
	assert_int_equal(down->push.n + down->ihave.n, 0);
	assert_int_equal(other->push.n + other->ihave.n, 0);
	/* committed in order: the pushes hold the records' bytes */
	const uint8_t *data;
	size_t len = outq_entry(&eager->push, 0, &data);
	assert_int_equal(len, r[0].len);
	assert_memory_equal(data, r[0].buf, len);

	gossip_flush(&d->gossip);
	assert_int_equal(eager->push.n, 0);
	assert_int_equal(backlog_n(eager), 1);
	const struct link_msg *m = inbox(eager, LINK_RECORDS);
	assert_int_equal(m->n_records, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(m->rec_len[i], r[i].len);
		assert_memory_equal(m->rec[i], r[i].buf, r[i].len);
	}
	assert_int_equal(d->gossip.counters.records, 4); /* 3 to eager, 1 to author */
	/* ids wait for their announcement time */
	assert_int_equal(backlog_n(lazy), 0);
	assert_int_equal(lazy->ihave.n, 3);
	d->gossip.ihave_due_ms = 1;
	gossip_flush(&d->gossip);
	assert_int_equal(d->gossip.ihave_due_ms, 0);
	m = inbox(lazy, LINK_IHAVE);
	assert_int_equal(m->n_ids, 3);
	assert_memory_equal(m->nbhd, f->founder->pk, 32);
	for (size_t i = 0; i < 3; i++)
		assert_memory_equal(m->ids + 32 * i, r[i].id, 32);
	assert_int_equal(d->gossip.tree.ihave_ids_sent, 3);
	inbox_done();
	recs_free(r, 3);
}

/* Records that came on a link are stored and pushed on, never back; the
 * same push again is a redundant tree edge: PRUNE, unless it is the last
 * eager link. */
static void test_records_and_prune(void **state)
{
	struct fx *f = *state;
	struct daemon *d = f->d;
	struct link *from = link_out(f, 0), *to = link_out(f, 1);
	struct rec r[2];
	struct mp_buf b;

	rec_cert(f, &r[0], 1, f->author->pk);
	rec_signal(f, &r[1], 1, 1);
	records_msg(&b, LINK_RECORDS, r, 2);
	deliver(f, from, &b);
	assert_int_equal(store_has(d->node.store, r[0].id), 1);
	assert_int_equal(store_has(d->node.store, r[1].id), 1);
	assert_int_equal(backlog_n(from), 0);          /* not back to the sender */
	const struct link_msg *m = inbox(to, LINK_RECORDS); /* flushed at once */
	assert_int_equal(m->n_records, 2);
	assert_int_equal(from->invalid, 0);

	/* again on `from`, while `to` is eager: from is pruned, both ends */
	records_msg(&b, LINK_RECORDS, r, 2);
	deliver(f, from, &b);
	assert_true(from->lazy);
	inbox(from, LINK_PRUNE);
	assert_int_equal(d->gossip.tree.prunes_sent, 1);
	assert_int_equal(from->invalid, 0); /* a duplicate is no misbehaviour */
	assert_int_equal(d->node.counters[RJ_DUPLICATE], 2);

	/* again on `to`, now the last eager link: kept */
	records_msg(&b, LINK_RECORDS, r, 2);
	deliver(f, to, &b);
	assert_false(to->lazy);
	assert_int_equal(backlog_n(to), 0);
	assert_int_equal(d->gossip.tree.prunes_sent, 1);
	/* a REPLY (asked for) with duplicates prunes nothing either */
	from->lazy = false;
	records_msg(&b, LINK_REPLY, r, 2);
	deliver(f, from, &b);
	assert_false(from->lazy);
	assert_int_equal(backlog_n(from), 0);
	inbox_done();
	recs_free(r, 2);
}

/* A PRUNE makes the link lazy; on the last eager link it is refused with
 * an empty GRAFT. */
static void test_prune_last_eager(void **state)
{
	struct fx *f = *state;
	struct link *a = link_out(f, 0), *b = link_out(f, 1);
	struct mp_buf m;

	mp_buf_init(&m);
	assert_int_equal(link_encode_prune(&m, f->founder->pk), 0);
	deliver(f, a, &m);
	assert_true(a->lazy);
	assert_int_equal(backlog_n(a), 0);
	mp_buf_init(&m);
	assert_int_equal(link_encode_prune(&m, f->founder->pk), 0);
	deliver(f, b, &m);
	assert_false(b->lazy);
	const struct link_msg *g = inbox(b, LINK_GRAFT);
	assert_int_equal(g->n_ids, 0);
	inbox_done();
}

/* A GRAFT makes the link eager and is answered with each held record once;
 * while the peer has not read what we sent, it is refused and counted. */
static void test_graft(void **state)
{
	struct fx *f = *state;
	struct daemon *d = f->d;
	struct link *l = link_out(f, 0);
	struct rec r[3];
	struct mp_buf b;
	uint8_t ids[4 * 32];

	store_three(f, r);
	gossip_flush(&d->gossip);
	inbox(l, LINK_RECORDS); /* the push of the three */
	l->lazy = true;
	memcpy(ids, r[1].id, 32);
	memcpy(ids + 32, r[1].id, 32);
	memset(ids + 64, 0x42, 32); /* not held */
	memcpy(ids + 96, r[2].id, 32);
	ids_msg(f, &b, LINK_GRAFT, ids, 4);
	deliver(f, l, &b);
	assert_false(l->lazy);
	assert_int_equal(d->gossip.tree.bounds[BOUND_GRAFT_REFUSED], 1);
	const struct link_msg *m = inbox(l, LINK_REPLY);
	assert_int_equal(m->n_records, 2);
	assert_int_equal(backlog_n(l), 0);

	/* not read yet: a GRAFT gets nothing, each id counted */
	struct mp_buf hold;
	mp_buf_init(&hold);
	assert_int_equal(link_encode_prune(&hold, f->founder->pk), 0);
	assert_int_equal(net_send(&d->net, l, hold.sb.data, hold.sb.size), 0);
	mp_buf_destroy(&hold);
	ids_msg(f, &b, LINK_GRAFT, ids, 4);
	deliver(f, l, &b);
	assert_int_equal(d->gossip.tree.bounds[BOUND_GRAFT_REFUSED], 5);
	assert_int_equal(backlog_n(l), 1);
	inbox_done();
	recs_free(r, 3);
}

/* Announced ids we lack are awaited, from the first announcer and another;
 * when they do not come in time they are grafted. */
static void test_ihave(void **state)
{
	struct fx *f = *state;
	struct daemon *d = f->d;
	struct link *a = link_out(f, 0), *b = link_out(f, 1);
	struct rec r[3], late;
	struct mp_buf m;
	uint8_t ids[3 * 32];

	store_three(f, r);
	gossip_flush(&d->gossip);
	inbox(a, LINK_RECORDS);
	inbox(b, LINK_RECORDS);
	rec_signal(f, &late, 3, 3);
	memcpy(ids, r[0].id, 32);     /* held: not awaited */
	memcpy(ids + 32, late.id, 32);
	memcpy(ids + 64, late.id, 32); /* named twice */
	ids_msg(f, &m, LINK_IHAVE, ids, 3);
	deliver(f, a, &m);
	assert_int_equal(d->gossip.tree.n_missing, 1);
	assert_memory_equal(d->gossip.tree.missing[0].id, late.id, 32);
	assert_int_equal(d->gossip.tree.missing[0].link, net_link_index(&d->net, a));
	assert_int_equal(d->gossip.tree.missing[0].alt, -1);
	ids_msg(f, &m, LINK_IHAVE, late.id, 1);
	deliver(f, b, &m);
	assert_int_equal(d->gossip.tree.n_missing, 1);
	assert_int_equal(d->gossip.tree.missing[0].alt, net_link_index(&d->net, b));

	/* the deadline passes: grafted from a (made eager), then b is next */
	a->lazy = true;
	tree_timers(&d->gossip.tree, d->gossip.tree.missing[0].deadline_ms);
	const struct link_msg *g = inbox(a, LINK_GRAFT);
	assert_int_equal(g->n_ids, 1);
	assert_memory_equal(g->ids, late.id, 32);
	assert_false(a->lazy);
	assert_int_equal(d->gossip.tree.grafts_sent, 1);
	assert_int_equal(d->gossip.tree.missing[0].tries, 1);
	assert_int_equal(d->gossip.tree.missing[0].link, net_link_index(&d->net, b));

	/* it arrives: awaited no more */
	records_msg(&m, LINK_REPLY, &late, 1);
	deliver(f, b, &m);
	assert_int_equal(store_has(d->node.store, late.id), 1);
	assert_int_equal(d->gossip.tree.n_missing, 0);
	inbox_done();
	free(late.buf);
	recs_free(r, 3);
}

/* A hash that differs from ours is answered with our vector; a vector is
 * answered with what the peer lacks, membership records first. */
static void test_vectors(void **state)
{
	struct fx *f = *state;
	struct daemon *d = f->d;
	struct link *l = link_out(f, 0);
	struct rec r[3];
	struct mp_buf b;
	uint8_t hash[32], entry[LINK_VV_ENTRY];

	store_three(f, r);
	gossip_flush(&d->gossip);
	inbox(l, LINK_RECORDS);

	/* the same hash: nothing to say */
	gossip_vv_hash(&d->gossip, f->founder->pk, hash);
	mp_buf_init(&b);
	assert_int_equal(link_encode_vv_hash(&b, f->founder->pk, hash), 0);
	deliver(f, l, &b);
	assert_int_equal(backlog_n(l), 0);
	/* another: our vector */
	hash[0] ^= 1;
	mp_buf_init(&b);
	assert_int_equal(link_encode_vv_hash(&b, f->founder->pk, hash), 0);
	deliver(f, l, &b);
	const struct link_msg *m = inbox(l, LINK_VV);
	assert_int_equal(m->n_entries, 2); /* the founder's and the author's */

	/* the peer holds the author's first signal only: it gets the
	 * certificate (first) and the second signal */
	link_entry_put(entry, 0, f->author->pk, 1);
	mp_buf_init(&b);
	assert_int_equal(link_encode_entries(&b, LINK_VV, f->founder->pk, entry, 1), 0);
	deliver(f, l, &b);
	m = inbox(l, LINK_REPLY);
	assert_int_equal(m->n_records, 1);
	assert_memory_equal(m->rec[0], r[0].buf, r[0].len);
	m = inbox(l, LINK_REPLY);
	assert_int_equal(m->n_records, 1);
	assert_memory_equal(m->rec[0], r[2].buf, r[2].len);
	assert_int_equal(backlog_n(l), 0);

	/* a vector while the peer has not read: kept, answered once it has */
	mp_buf_init(&b);
	assert_int_equal(link_encode_prune(&b, f->founder->pk), 0);
	assert_int_equal(net_send(&d->net, l, b.sb.data, b.sb.size), 0);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(link_encode_entries(&b, LINK_VV, f->founder->pk, entry, 1), 0);
	deliver(f, l, &b);
	assert_int_equal(d->gossip.counters.bounds[BOUND_VV_DEFERRED], 1);
	assert_true(l->vv_waiting);
	assert_int_equal(backlog_n(l), 1);
	inbox(l, LINK_PRUNE); /* read */
	gossip_resume(&d->gossip);
	assert_false(l->vv_waiting);
	inbox(l, LINK_REPLY);
	inbox_done();
	recs_free(r, 3);
}

/* Malformed messages and invalid records count against the peer's key;
 * at invalid_limit it is cut off: its links closed, what it sends then
 * ignored. */
static void test_misbehaviour(void **state)
{
	struct fx *f = *state;
	struct daemon *d = f->d;
	struct link *l = link_out(f, 0), *other = link_out(f, 1);
	struct rec r[2];
	struct mp_buf b;

	gossip_on_message(&d->gossip, l, (const uint8_t *)"\x92\x02\xc0", 3);
	assert_int_equal(d->node.counters[RJ_MALFORMED], 1);
	assert_int_equal(l->invalid, 1);
	assert_true(l->used);

	rec_cert(f, &r[0], 1, f->author->pk);
	rec_signal(f, &r[1], 1, 1);
	r[1].buf[r[1].len - 1] ^= 1; /* its signature */
	records_msg(&b, LINK_RECORDS, r, 2);
	deliver(f, l, &b);
	assert_int_equal(store_has(d->node.store, r[0].id), 1);
	assert_int_equal(d->node.counters[RJ_BADSIG], 1);
	assert_int_equal(l->invalid, 2);
	assert_int_equal(d->net.counters.peer_cutoffs, 0);

	/* the count is per key: a second link of the same key adds to it */
	memcpy(other->key, l->key, 32);
	gossip_on_message(&d->gossip, other, (const uint8_t *)"junk", 4);
	assert_int_equal(d->node.counters[RJ_MALFORMED], 2);
	assert_int_equal(d->net.counters.peer_cutoffs, 1);
	assert_false(l->used);
	assert_false(other->used);
	assert_true(net_penalized(&d->net, f->peer[0]->pk, daemon_now_ms()));

	/* cut off: a new link of that key is not listened to */
	struct link *again = link_out(f, 0);
	gossip_on_message(&d->gossip, again, (const uint8_t *)"junk", 4);
	assert_int_equal(d->node.counters[RJ_MALFORMED], 2);
	assert_int_equal(again->invalid, 0);
	recs_free(r, 2);
}

/* An inbound link carries the neighbourhood its HELLO names: anything
 * before that HELLO, or naming another neighbourhood, is counted as
 * other-neighbourhood against the peer. */
static void test_before_hello(void **state)
{
	struct fx *f = *state;
	struct daemon *d = f->d;
	uint8_t rid[5] = {0, 9, 8, 7, 6}, hash[32] = {0}, foreign[32];
	struct link *l = net_accept_inbound(&d->net, f->peer[0]->pk, rid, sizeof(rid));
	struct mp_buf b;

	struct rec r;

	f->cfg.invalid_limit = 4;
	assert_non_null(l);
	assert_false(l->up);
	assert_false(l->has_nbhd);
	/* records (which name no neighbourhood in the message) before HELLO */
	rec_cert(f, &r, 1, f->author->pk);
	records_msg(&b, LINK_RECORDS, &r, 1);
	deliver(f, l, &b);
	assert_int_equal(d->node.counters[RJ_NBHD], 1);
	assert_int_equal(store_has(d->node.store, r.id), 0);
	assert_int_equal(l->invalid, 1);
	free(r.buf);
	mp_buf_init(&b);
	assert_int_equal(link_encode_vv_hash(&b, f->founder->pk, hash), 0);
	deliver(f, l, &b);
	assert_int_equal(d->node.counters[RJ_NBHD], 2);
	assert_int_equal(l->invalid, 2);
	assert_false(l->up);

	/* a HELLO for a neighbourhood not ours sets nothing */
	memset(foreign, 0x55, 32);
	mp_buf_init(&b);
	assert_int_equal(link_encode_hello(&b, foreign, hash, ""), 0);
	deliver(f, l, &b);
	assert_int_equal(d->node.counters[RJ_NBHD], 3);
	assert_false(l->has_nbhd);
	assert_false(l->up);

	/* ours: the link is up, carrying it */
	mp_buf_init(&b);
	assert_int_equal(link_encode_hello(&b, f->founder->pk, hash, ""), 0);
	deliver(f, l, &b);
	assert_true(l->up);
	assert_true(l->has_nbhd);
	assert_memory_equal(l->nbhd, f->founder->pk, 32);
	assert_true(l->since_ms > 0);
	assert_int_equal(d->node.counters[RJ_NBHD], 3);
	assert_int_equal(l->invalid, 3);

	/* later messages must name that same neighbourhood */
	mp_buf_init(&b);
	assert_int_equal(link_encode_vv_hash(&b, foreign, hash), 0);
	deliver(f, l, &b);
	assert_int_equal(d->node.counters[RJ_NBHD], 4);
	/* the fourth (invalid_limit): cut off, its inbound links dropped */
	assert_false(l->used);
	assert_int_equal(d->net.counters.peer_cutoffs, 1);
	assert_true(d->net.rebind);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stored_fanout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records_and_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_last_eager, setup, teardown),
		cmocka_unit_test_setup_teardown(test_graft, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ihave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misbehaviour, setup, teardown),
		cmocka_unit_test_setup_teardown(test_before_hello, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
