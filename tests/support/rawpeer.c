/* SPDX-License-Identifier: EUPL-1.2 */
#include "rawpeer.h"
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "../../proto/link.h"
#include "../../proto/mp.h"
#include "../../proto/mpmap.h"
#include "../../proto/signal.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int setopt_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

/* Every raw client open now, by value: a failed assertion longjmps past
 * the owner's rawpeer_close() and leaves its stack frame behind. */
#define OPEN_MAX 64
static struct rawpeer open_peers[OPEN_MAX];

static void track(const struct rawpeer *p, bool add)
{
	for (size_t i = 0; i < OPEN_MAX; i++) {
		if (add && !open_peers[i].ctx) {
			open_peers[i] = *p;
			return;
		}
		if (!add && open_peers[i].ctx == p->ctx) {
			memset(&open_peers[i], 0, sizeof(open_peers[i]));
			return;
		}
	}
}

void rawpeer_close_all(void)
{
	for (size_t i = 0; i < OPEN_MAX; i++)
		if (open_peers[i].ctx) {
			struct rawpeer p = open_peers[i];
			rawpeer_close(&p);
		}
}

int rawpeer_teardown(void **state)
{
	(void)state;
	rawpeer_close_all();
	harness_cleanup();
	return 0;
}

int rawpeer_open(struct rawpeer *p, const char *endpoint, const uint8_t server_ed[32],
		 const uint8_t curve_pk[32], const uint8_t curve_sk[32])
{
	static unsigned seq;
	uint8_t server[32];
	char mon_ep[64];

	memset(p, 0, sizeof(*p));
	if (crypto_sign_ed25519_pk_to_curve25519(server, server_ed) != 0)
		return -1;
	p->ctx = zmq_ctx_new();
	if (!p->ctx)
		return -1;
	p->sock = zmq_socket(p->ctx, ZMQ_DEALER);
	if (!p->sock)
		goto fail;
	snprintf(mon_ep, sizeof(mon_ep), "inproc://rawpeer-mon-%u", ++seq);
	if (setopt_int(p->sock, ZMQ_LINGER, 0) || setopt_int(p->sock, ZMQ_SNDHWM, 0) ||
	    setopt_int(p->sock, ZMQ_RCVHWM, 0) || setopt_int(p->sock, ZMQ_SNDTIMEO, 2000) ||
	    setopt_int(p->sock, ZMQ_RECONNECT_IVL, 100) ||
	    zmq_setsockopt(p->sock, ZMQ_CURVE_SERVERKEY, server, 32) ||
	    zmq_setsockopt(p->sock, ZMQ_CURVE_PUBLICKEY, curve_pk, 32) ||
	    zmq_setsockopt(p->sock, ZMQ_CURVE_SECRETKEY, curve_sk, 32) ||
	    zmq_socket_monitor(p->sock, mon_ep, ZMQ_EVENT_ALL) != 0)
		goto fail;
	p->mon = zmq_socket(p->ctx, ZMQ_PAIR);
	if (!p->mon || setopt_int(p->mon, ZMQ_LINGER, 0) || zmq_connect(p->mon, mon_ep) != 0 ||
	    zmq_connect(p->sock, endpoint) != 0)
		goto fail;
	track(p, true);
	return 0;
fail:
	rawpeer_close(p);
	return -1;
}

int rawpeer_open_id(struct rawpeer *p, const char *endpoint, const uint8_t server_ed[32],
		    const struct identity *id)
{
	return rawpeer_open(p, endpoint, server_ed, id->curve_pk, id->curve_sk);
}

void rawpeer_close(struct rawpeer *p)
{
	if (p->ctx)
		track(p, false);
	if (p->sock) {
		zmq_socket_monitor(p->sock, NULL, 0);
		zmq_close(p->sock);
	}
	if (p->mon)
		zmq_close(p->mon);
	if (p->ctx)
		zmq_ctx_term(p->ctx);
	memset(p, 0, sizeof(*p));
}

int rawpeer_wait_event(struct rawpeer *p, int mask, int timeout_ms, uint32_t *value)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		uint64_t now = now_ms();
		if (now >= end)
			return 0;
		zmq_pollitem_t it = {p->mon, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, (long)(end - now)) <= 0)
			continue;
		uint8_t ev[6];
		char addr[256];
		int more = 0;
		size_t sz = sizeof(more);
		int n = zmq_recv(p->mon, ev, sizeof(ev), ZMQ_DONTWAIT);
		if (n < 0)
			continue;
		zmq_getsockopt(p->mon, ZMQ_RCVMORE, &more, &sz);
		if (more)
			zmq_recv(p->mon, addr, sizeof(addr), 0);
		if (n < 6)
			continue;
		uint16_t event;
		uint32_t v;
		memcpy(&event, ev, 2);
		memcpy(&v, ev + 2, 4);
		if (event & mask) {
			if (value)
				*value = v;
			return event;
		}
	}
}

int rawpeer_send(struct rawpeer *p, const void *buf, size_t len)
{
	return zmq_send(p->sock, buf, len, 0) < 0 ? -1 : 0;
}

long rawpeer_recv(struct rawpeer *p, uint8_t **buf, int timeout_ms)
{
	zmq_pollitem_t it = {p->sock, 0, ZMQ_POLLIN, 0};
	*buf = NULL;
	if (zmq_poll(&it, 1, timeout_ms) != 1)
		return -1;
	zmq_msg_t m;
	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, p->sock, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&m);
		return -1;
	}
	size_t len = zmq_msg_size(&m);
	*buf = malloc(len ? len : 1);
	if (*buf)
		memcpy(*buf, zmq_msg_data(&m), len);
	zmq_msg_close(&m);
	return *buf ? (long)len : -1;
}

size_t rawpeer_drain(struct rawpeer *p, int quiet_ms)
{
	size_t n = 0;
	uint8_t *buf;
	while (rawpeer_recv(p, &buf, quiet_ms) >= 0) {
		free(buf);
		n++;
	}
	return n;
}

int rawpeer_link_type(const uint8_t *buf, size_t len)
{
	struct link_msg *m = calloc(1, sizeof(*m));
	msgpack_unpacked u;
	int type = -1;
	if (!m)
		return -1;
	if (link_decode(buf, len, &u, m) == 0)
		type = m->type;
	msgpack_unpacked_destroy(&u);
	free(m);
	return type;
}

/* ---- hand-built messages ---- */

int rawrec_peer(const struct identity *id, const uint8_t nbhd[32], uint64_t seq,
		uint64_t created, uint64_t expires, const char *endpoint, uint8_t **out,
		size_t *len)
{
	struct record r;
	memset(&r, 0, sizeof(r));
	r.kind = REC_PEER;
	memcpy(r.nbhd, nbhd, 32);
	memcpy(r.author, id->pk, 32);
	r.seq = seq;
	r.created = created;
	snprintf(r.u.peer.endpoint, sizeof(r.u.peer.endpoint), "%s", endpoint);
	r.u.peer.expires = expires;
	return record_sign(&r, id->sk, out, len);
}

int rawrec_signal(const struct identity *id, const uint8_t nbhd[32], uint64_t seq,
		  uint64_t created, const uint8_t epoch_id[32], const uint8_t epoch_key[32],
		  const char *description, uint8_t **out, size_t *len)
{
	struct record r;
	struct signal_plain *p = calloc(1, sizeof(*p));
	struct signal_buf *b = calloc(1, sizeof(*b));
	int ret = -ENOMEM;
	if (!p || !b)
		goto out;
	memset(&r, 0, sizeof(r));
	r.kind = REC_SIGNAL;
	memcpy(r.nbhd, nbhd, 32);
	memcpy(r.author, id->pk, 32);
	r.seq = seq;
	r.created = created;
	p->kind = SIG_ALERT;
	p->category = CAT_BURGLARY;
	p->severity = SEV_MODERATE;
	p->status = STATUS_REAL;
	snprintf(p->description, sizeof(p->description), "%s", description);
	snprintf(p->where, sizeof(p->where), "Lindelaan");
	ret = signal_encrypt(&r, p, epoch_id, epoch_key, NULL, 0, created + 3600, b);
	if (ret == 0)
		ret = record_sign(&r, id->sk, out, len);
out:
	free(p);
	free(b);
	return ret;
}

int rawlink_records(const uint8_t *const *recs, const size_t *lens, size_t n, uint8_t **out,
		    size_t *len)
{
	struct mp_buf b;
	mp_buf_init(&b);
	int ret = link_records_begin(&b, n);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = mp_pack_bin(&b.pk, recs[i], lens[i]);
	if (ret != 0) {
		mp_buf_destroy(&b);
		return ret;
	}
	*out = mp_buf_release(&b, len);
	return *out ? 0 : -ENOMEM;
}

int rawlink_hello(const uint8_t nbhd[32], const uint8_t hash[32], const char *advertise,
		  uint8_t **out, size_t *len)
{
	struct mp_buf b;
	mp_buf_init(&b);
	int ret = link_encode_hello(&b, nbhd, hash, advertise);
	if (ret != 0) {
		mp_buf_destroy(&b);
		return ret;
	}
	*out = mp_buf_release(&b, len);
	return *out ? 0 : -ENOMEM;
}

/* ---- control socket flood ---- */

void *rawflood_run(void *arg)
{
	struct rawflood *f = arg;
	char ep[600];
	void *ctx = zmq_ctx_new();
	void *s = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;

	f->ok = f->rate_limited = f->other = 0;
	f->lost = f->n;
	f->other_error[0] = '\0';
	atomic_store(&f->replies, 0);
	f->start_ms = now_ms();
	snprintf(ep, sizeof(ep), "ipc://%s/control", f->dir);
	if (!s || setopt_int(s, ZMQ_LINGER, 0) || setopt_int(s, ZMQ_SNDHWM, 0) ||
	    setopt_int(s, ZMQ_RCVHWM, 0) || zmq_connect(s, ep) != 0)
		goto out;
	for (size_t i = 0; i < f->n; i++) {
		struct mp_buf b;
		char desc[64];
		snprintf(desc, sizeof(desc), "vloed %zu", i);
		mp_buf_init(&b);
		msgpack_pack_map(&b.pk, 4);
		mpmap_put_str(&b.pk, "op", "send");
		mpmap_put_str(&b.pk, "category", "nuisance");
		mpmap_put_str(&b.pk, "description", desc);
		mpmap_put_str(&b.pk, "where", "overal");
		int r = zmq_send(s, b.sb.data, b.sb.size, 0);
		mp_buf_destroy(&b);
		if (r < 0)
			goto out;
	}
	uint64_t end = now_ms() + 30000;
	size_t got = 0;
	while (got < f->n && now_ms() < end && !atomic_load(&f->stop)) {
		zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, 500) != 1)
			continue;
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, 0) < 0) {
			zmq_msg_close(&m);
			continue;
		}
		msgpack_unpacked u;
		msgpack_unpacked_init(&u);
		bool ok = false;
		char code[40] = "", err[256] = "";
		if (mp_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 8, &u) == 0 &&
		    mpmap_bool(&u.data, "ok", &ok) == 0) {
			if (!ok) {
				if (mpmap_str(&u.data, "code", code, sizeof(code)) < 0)
					code[0] = '\0';
				if (mpmap_str(&u.data, "error", err, sizeof(err)) < 0)
					err[0] = '\0';
			}
		}
		if (ok)
			f->ok++;
		else if (!strcmp(code, "rate-limited"))
			f->rate_limited++;
		else {
			if (!f->other++)
				snprintf(f->other_error, sizeof(f->other_error), "%s: %s", code, err);
		}
		msgpack_unpacked_destroy(&u);
		zmq_msg_close(&m);
		got++;
		atomic_store(&f->replies, got);
	}
	f->lost = f->n - got;
out:
	f->end_ms = now_ms();
	if (s)
		zmq_close(s);
	if (ctx)
		zmq_ctx_term(ctx);
	atomic_store(&f->done, true);
	return NULL;
}

/* ---- store peeks ---- */

int rawstore_open(store_t **st, const char *node_dir)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/store", node_dir);
	return store_open(st, path, NULL);
}

struct find_ctx {
	uint8_t id[32];
	uint8_t *buf;
	size_t len;
};

static int find_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct find_ctx *c = ctx;
	struct record r;
	if (record_open(data, len, &r) != 0 || memcmp(r.id, c->id, 32) != 0 ||
	    memcmp(id, c->id, 32) != 0)
		return 0;
	c->buf = malloc(len);
	if (!c->buf)
		return -ENOMEM;
	memcpy(c->buf, data, len);
	c->len = len;
	return 1;
}

int rawstore_find(store_t *st, const uint8_t nbhd[32], uint8_t kind, const char *id_hex,
		  uint8_t **buf, size_t *len)
{
	struct find_ctx c;
	size_t n = 0;
	memset(&c, 0, sizeof(c));
	if (sodium_hex2bin(c.id, 32, id_hex, strlen(id_hex), NULL, &n, NULL) != 0 || n != 32)
		return SAMEN_EINVAL;
	int ret = store_each_by_kind(st, nbhd, kind, find_one, &c);
	if (ret < 0)
		return ret;
	if (!c.buf)
		return SAMEN_ENOTFOUND;
	*buf = c.buf;
	*len = c.len;
	return 0;
}

struct epoch_ctx {
	const struct identity *id;
	uint64_t number;
	uint8_t epoch_id[32];
	uint8_t key[32];
	bool found;
};

static int epoch_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct epoch_ctx *c = ctx;
	struct record r;
	uint8_t key[32];
	(void)id;
	if (record_open(data, len, &r) != 0 || r.kind != REC_EPOCH)
		return 0;
	if (c->found && r.u.epoch.number <= c->number)
		return 0;
	if (keyentry_open(r.u.epoch.entries, r.u.epoch.n_entries, c->id->pk, c->id->curve_pk,
			  c->id->curve_sk, key) != 0)
		return 0;
	c->found = true;
	c->number = r.u.epoch.number;
	memcpy(c->epoch_id, r.id, 32);
	memcpy(c->key, key, 32);
	sodium_memzero(key, sizeof(key));
	return 0;
}

int rawstore_epoch_key(store_t *st, const uint8_t nbhd[32], const struct identity *id,
		       uint64_t *number, uint8_t epoch_id[32], uint8_t key[32])
{
	struct epoch_ctx c;
	memset(&c, 0, sizeof(c));
	c.id = id;
	int ret = store_each_by_kind(st, nbhd, REC_EPOCH, epoch_one, &c);
	if (ret < 0)
		return ret;
	if (!c.found)
		return SAMEN_ENOKEY;
	*number = c.number;
	memcpy(epoch_id, c.epoch_id, 32);
	memcpy(key, c.key, 32);
	sodium_memzero(&c, sizeof(c));
	return 0;
}
