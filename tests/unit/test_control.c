/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_control.c — the control ops (daemon/control.c, ctl_signals.c,
 * ctl_admin.c) without a socket: requests handed to control_answer(), the
 * path control_handle() takes for each one it receives, against a struct
 * daemon whose node is real (an LMDB store in a fresh directory under /tmp,
 * real keys) and which has no sockets at all. Checked: status fields, send
 * (its verdict and id) then list and show, the refusals of requests that are
 * not well formed, the not-member refusals (no neighbourhood, no
 * certificate, revoked), and a rate-limited send.
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
#include "../../keys/keyfile.h"
#include "../../keys/keytext.h"
#include "../../proto/mpmap.h"

/* One samend without sockets: a config, a node, nothing else. */
struct host {
	struct config cfg;
	struct daemon *d;
	struct identity *id;
	char key[600];
	bool open;
};

struct fx {
	char tmp[64];
	struct host founder, other;
};

#define BURST 3

/* nbhd NULL: no neighbourhood; founder: this key's own. */
static void host_open(struct fx *f, struct host *h, const char *name, const uint8_t *nbhd,
		      bool founder)
{
	struct node_params p = {.clock_skew = 300, .rate_per_minute = 1, .rate_burst = BURST,
				.retention = 7 * 86400};

	config_defaults(&h->cfg);
	snprintf(h->cfg.state_dir, sizeof(h->cfg.state_dir), "%s/%s", f->tmp, name);
	assert_int_equal(mkdir(h->cfg.state_dir, 0700), 0);
	snprintf(h->key, sizeof(h->key), "%s/identity.key", h->cfg.state_dir);
	assert_int_equal(identity_generate(&h->id), 0);
	assert_int_equal(keyfile_write_secret(h->key, h->id, NULL), 0);
	h->d = calloc(1, sizeof(*h->d));
	assert_non_null(h->d);
	h->d->cfg = &h->cfg;
	daemon_wire(h->d);
	h->d->control.started_ms = daemon_now_ms();
	assert_int_equal(node_open(&h->d->node, h->cfg.state_dir, h->key, NULL,
				   founder ? h->id->pk : nbhd, &p),
			 0);
	h->open = true;
}

static void host_close(struct host *h)
{
	if (h->open)
		node_close(&h->d->node);
	free(h->d);
	identity_free(&h->id);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/samen-test-control-XXXXXX");
	if (!mkdtemp(f->tmp))
		return -1;
	*state = f;
	/* the founder, with an epoch key as samend's rekey timer issues it */
	host_open(f, &f->founder, "founder", NULL, true);
	assert_int_equal(node_rekey(&f->founder.d->node), 0);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	host_close(&f->founder);
	host_close(&f->other);
	harness_rmtree(f->tmp);
	free(f);
	return 0;
}

/* ---- requests and replies ---- */

struct reply {
	uint8_t *buf;
	size_t len;
	msgpack_unpacked u;
	const msgpack_object *m;
	bool deferred, replay;
	uint64_t replay_since;
};

/* Sends the request bytes through control_answer(); the reply unpacked. */
static void answer_raw(struct daemon *d, const void *req, size_t len, struct reply *r)
{
	struct ctl_answer a;
	static const uint8_t rid[] = {0, 1, 2, 3, 4};

	memset(r, 0, sizeof(*r));
	mp_buf_init(&a.out);
	msgpack_pack_nil(&a.out.pk); /* whatever was there is replaced */
	control_answer(&d->control, rid, sizeof(rid), req, len, &a);
	r->deferred = a.deferred;
	r->replay = a.replay;
	r->replay_since = a.replay_since;
	r->buf = mp_buf_release(&a.out, &r->len);
	mp_buf_destroy(&a.out);
	msgpack_unpacked_init(&r->u);
	assert_int_equal(mp_unpack(r->buf, r->len, 8, &r->u), 0);
	r->m = &r->u.data;
	assert_int_equal(r->m->type, MSGPACK_OBJECT_MAP);
}

static void reply_free(struct reply *r)
{
	msgpack_unpacked_destroy(&r->u);
	free(r->buf);
}

/* A request of "key=text" and "key:b=0|1" / "key:u=N" strings, NULL-ended. */
static void call(struct daemon *d, struct reply *r, ...)
{
	va_list ap;
	const char *kv;
	size_t n = 0;
	struct mp_buf b;

	va_start(ap, r);
	while (va_arg(ap, const char *))
		n++;
	va_end(ap);
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, n);
	va_start(ap, r);
	while ((kv = va_arg(ap, const char *)) != NULL) {
		char key[64];
		const char *eq = strchr(kv, '=');
		assert_non_null(eq);
		size_t kl = (size_t)(eq - kv);
		assert_true(kl < sizeof(key));
		memcpy(key, kv, kl);
		key[kl] = 0;
		char *type = strchr(key, ':');
		if (type)
			*type++ = 0;
		if (!type)
			mpmap_put_str(&b.pk, key, eq + 1);
		else if (*type == 'b')
			mpmap_put_bool(&b.pk, key, eq[1] == '1');
		else
			mpmap_put_uint(&b.pk, key, strtoull(eq + 1, NULL, 10));
	}
	va_end(ap);
	answer_raw(d, b.sb.data, b.sb.size, r);
	mp_buf_destroy(&b);
}

static bool r_ok(const struct reply *r)
{
	bool ok = false;
	assert_int_equal(mpmap_bool(r->m, "ok", &ok), 0);
	return ok;
}

static const char *r_str(const struct reply *r, const char *key, char *buf, size_t cap)
{
	if (mpmap_str(r->m, key, buf, cap) < 0) {
		print_error("reply has no text '%s'\n", key);
		fail();
	}
	return buf;
}

static uint64_t r_uint(const msgpack_object *m, const char *key)
{
	uint64_t v = 0;
	if (mpmap_uint(m, key, UINT64_MAX, &v) < 0) {
		print_error("reply has no number '%s'\n", key);
		fail();
	}
	return v;
}

/* A refusal: ok false, this code, and (if error is not NULL) this message. */
static void assert_refused(const struct reply *r, const char *code, const char *error)
{
	char buf[600];

	assert_false(r_ok(r));
	assert_string_equal(r_str(r, "code", buf, sizeof(buf)), code);
	if (error)
		assert_string_equal(r_str(r, "error", buf, sizeof(buf)), error);
}

static bool starts(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) == 0)
		return true;
	print_error("'%s' does not start with '%s'\n", s, prefix);
	return false;
}

/* ---- the tests ---- */

static void test_status(void **state)
{
	struct fx *f = *state;
	struct reply r;
	char buf[200], key[KEYTEXT_LEN];

	call(f->founder.d, &r, "op=status", NULL);
	assert_true(r_ok(&r));
	assert_false(r.deferred);
	keytext_encode(f->founder.id->pk, key);
	assert_string_equal(r_str(&r, "key", buf, sizeof(buf)), key);
	assert_string_equal(r_str(&r, "nbhd", buf, sizeof(buf)), key);
	assert_string_equal(r_str(&r, "role", buf, sizeof(buf)), "founder");
	assert_int_equal(r_uint(r.m, "links"), 0);
	assert_int_equal(r_uint(r.m, "epoch"), 1);
	assert_int_equal(r_uint(r.m, "records"), 1); /* the epoch key */
	const msgpack_object *c = mpmap_find(r.m, "counters");
	assert_non_null(c);
	assert_int_equal(r_uint(c, "stored"), 1);
	assert_int_equal(r_uint(c, "push-dropped"), 0);
	assert_null(mpmap_find(c, "bad-signature")); /* reasons never seen are left out */
	reply_free(&r);

	/* the counters are the daemon's own */
	f->founder.d->node.counters[RJ_BADSIG] = 7;
	f->founder.d->gossip.tree.bounds[BOUND_GRAFT_REFUSED] = 3;
	call(f->founder.d, &r, "op=status", NULL);
	c = mpmap_find(r.m, "counters");
	assert_non_null(c);
	assert_int_equal(r_uint(c, "bad-signature"), 7);
	assert_int_equal(r_uint(c, "graft-refused"), 3);
	reply_free(&r);
}

static void test_send_list_show(void **state)
{
	struct fx *f = *state;
	struct daemon *d = f->founder.d;
	struct reply r;
	char id[80], buf[300];
	uint8_t bin[32];

	call(d, &r, "op=send", "category=burglary", "description=someone at the back door",
	     "where=Elm Street 4", NULL);
	assert_true(r_ok(&r));
	assert_int_equal(strlen(r_str(&r, "id", id, sizeof(id))), 64);
	assert_int_equal(r_uint(r.m, "seq"), 2); /* after the epoch key */
	assert_int_equal(r_uint(r.m, "shared_with"), 0);
	reply_free(&r);
	assert_int_equal(sodium_hex2bin(bin, 32, id, 64, NULL, NULL, NULL), 0);
	assert_int_equal(store_has(d->node.store, bin), 1);
	assert_int_equal(d->node.stored_total, 2);

	call(d, &r, "op=list", NULL);
	assert_true(r_ok(&r));
	const msgpack_object *s = mpmap_find(r.m, "signals");
	assert_non_null(s);
	assert_int_equal(s->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(s->via.array.size, 1);
	const msgpack_object *e = &s->via.array.ptr[0];
	assert_int_equal(mpmap_str(e, "id", buf, sizeof(buf)), 0);
	assert_string_equal(buf, id);
	assert_int_equal(mpmap_str(e, "category", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "burglary");
	assert_int_equal(mpmap_str(e, "description", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "someone at the back door");
	reply_free(&r);

	/* show takes a unique prefix */
	id[12] = 0;
	char field[100];
	snprintf(field, sizeof(field), "id=%s", id);
	call(d, &r, "op=show", field, NULL);
	assert_true(r_ok(&r));
	e = mpmap_find(r.m, "signal");
	assert_non_null(e);
	assert_int_equal(mpmap_str(e, "where", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Elm Street 4");
	reply_free(&r);
	call(d, &r, "op=show", "id=0123456789abcdef", NULL);
	assert_refused(&r, "not-found", "id: '0123456789abcdef' is not a signal here");
	reply_free(&r);

	/* a send the op itself refuses: nothing stored, the number not used */
	call(d, &r, "op=send", "category=burglary", NULL);
	assert_refused(&r, "invalid", "description: say what is happening (behaviour, not "
				      "appearance)");
	reply_free(&r);
	call(d, &r, "op=send", "category=dragons", "description=x", NULL);
	assert_refused(&r, "invalid", NULL);
	reply_free(&r);
	assert_int_equal(d->node.stored_total, 2);
}

static void test_invalid_requests(void **state)
{
	struct fx *f = *state;
	struct daemon *d = f->founder.d;
	struct reply r;
	char buf[300];

	call(d, &r, "op=nope", NULL);
	assert_refused(&r, "invalid", "unknown op 'nope'");
	reply_free(&r);

	call(d, &r, "op=status", "colour=blue", NULL);
	assert_refused(&r, "invalid", NULL);
	r_str(&r, "error", buf, sizeof(buf));
	assert_true(starts(buf, "status: "));
	assert_non_null(strstr(buf, "colour"));
	reply_free(&r);

	call(d, &r, "limit:u=3", NULL);
	assert_refused(&r, "invalid", "a request is a map with an 'op' field (no 'op' text)");
	reply_free(&r);
	call(d, &r, "op:u=3", NULL);
	assert_refused(&r, "invalid", "a request is a map with an 'op' field (no 'op' text)");
	reply_free(&r);

	/* not a map */
	answer_raw(d, "\x93\x01\x02\x03", 4, &r);
	assert_refused(&r, "invalid", NULL);
	r_str(&r, "error", buf, sizeof(buf));
	assert_true(starts(buf, "a request is a map with an 'op' field ("));
	reply_free(&r);

	/* not msgpack at all */
	answer_raw(d, "\xc1", 1, &r);
	assert_refused(&r, "invalid", NULL);
	r_str(&r, "error", buf, sizeof(buf));
	assert_true(starts(buf, "request is not valid msgpack: "));
	reply_free(&r);

	/* a field of the wrong type */
	call(d, &r, "op=list", "limit=ten", NULL);
	assert_refused(&r, "invalid", "limit: must be a whole number up to 100000");
	reply_free(&r);
	/* none of that touched the store */
	assert_int_equal(d->node.stored_total, 1);
}

static void test_not_member(void **state)
{
	struct fx *f = *state;
	struct reply r;
	char buf[200];

	/* no neighbourhood at all */
	host_open(f, &f->other, "stranger", NULL, false);
	call(f->other.d, &r, "op=send", "category=fire", "description=smoke", NULL);
	assert_refused(&r, "not-member", "not a member of a neighbourhood yet: run 'samen join CODE'");
	reply_free(&r);
	call(f->other.d, &r, "op=status", NULL);
	assert_true(r_ok(&r));
	assert_string_equal(r_str(&r, "role", buf, sizeof(buf)), "none");
	reply_free(&r);
	/* coordinator ops say the same */
	call(f->other.d, &r, "op=pending", NULL);
	assert_refused(&r, "not-member", NULL);
	reply_free(&r);
}

/* A household of the founder's neighbourhood: certified, then revoked. */
static void test_revoked(void **state)
{
	struct fx *f = *state;
	struct reply r;
	char buf[200];
	struct record rec;
	uint8_t *bytes[2];
	size_t lens[2];
	enum reject v[2];
	uint64_t now = (uint64_t)time(NULL);

	host_open(f, &f->other, "household", f->founder.id->pk, false);
	call(f->other.d, &r, "op=send", "category=fire", "description=smoke", NULL);
	assert_refused(&r, "not-member", "this household holds no valid certificate (yet)");
	reply_free(&r);

	memset(&rec, 0, sizeof(rec));
	rec.kind = REC_CERT;
	memcpy(rec.nbhd, f->founder.id->pk, 32);
	memcpy(rec.author, f->founder.id->pk, 32);
	rec.seq = 10;
	rec.created = now - 10;
	memcpy(rec.u.cert.subject, f->other.id->pk, 32);
	rec.u.cert.role = ROLE_MEMBER;
	snprintf(rec.u.cert.label, sizeof(rec.u.cert.label), "number 4");
	rec.u.cert.not_before = now - 60;
	rec.u.cert.not_after = now + 86400;
	assert_int_equal(record_sign(&rec, f->founder.id->sk, &bytes[0], &lens[0]), 0);
	memset(&rec, 0, sizeof(rec));
	rec.kind = REC_REVOCATION;
	memcpy(rec.nbhd, f->founder.id->pk, 32);
	memcpy(rec.author, f->founder.id->pk, 32);
	rec.seq = 11;
	rec.created = now - 5;
	memcpy(rec.u.rev.subject, f->other.id->pk, 32);
	rec.u.rev.scope = REVOKE_KEY;
	snprintf(rec.u.rev.reason, sizeof(rec.u.rev.reason), "moved away");
	rec.u.rev.has_upto = true;
	rec.u.rev.upto = 0;
	assert_int_equal(record_sign(&rec, f->founder.id->sk, &bytes[1], &lens[1]), 0);

	/* the certificate alone makes it a member */
	assert_int_equal(node_ingest(&f->other.d->node, (const uint8_t *const *)bytes, lens, 1,
				     NULL, v),
			 1);
	call(f->other.d, &r, "op=status", NULL);
	assert_string_equal(r_str(&r, "role", buf, sizeof(buf)), "member");
	reply_free(&r);
	/* member, but with no epoch key held: refused for that */
	call(f->other.d, &r, "op=send", "category=fire", "description=smoke", NULL);
	assert_refused(&r, "not-member", NULL);
	r_str(&r, "error", buf, sizeof(buf));
	assert_true(starts(buf, "no epoch key has reached this household yet;"));
	reply_free(&r);

	assert_int_equal(node_ingest(&f->other.d->node, (const uint8_t *const *)&bytes[1],
				     &lens[1], 1, NULL, v),
			 1);
	call(f->other.d, &r, "op=send", "category=fire", "description=smoke", NULL);
	assert_refused(&r, "not-member",
		       "this household's key was revoked by a coordinator of the neighbourhood: "
		       "nothing it sends counts, and it reads nothing sent since (ask them why)");
	reply_free(&r);
	call(f->other.d, &r, "op=status", NULL);
	assert_string_equal(r_str(&r, "role", buf, sizeof(buf)), "revoked");
	reply_free(&r);
	free(bytes[0]);
	free(bytes[1]);
}

/* The node's rate limit, as the household is told it. */
static void test_rate_limited(void **state)
{
	struct fx *f = *state;
	struct reply r;

	for (int i = 0; i < BURST; i++) {
		call(f->founder.d, &r, "op=send", "category=nuisance", "description=loud music",
		     NULL);
		assert_true(r_ok(&r));
		reply_free(&r);
	}
	call(f->founder.d, &r, "op=send", "category=nuisance", "description=loud music", NULL);
	assert_refused(&r, "rate-limited", "not sent: too many signals from this household just "
					   "now; wait a minute");
	reply_free(&r);
	/* the refused number was given back: the next one uses it */
	struct record rec;
	assert_int_equal(node_prepare(&f->founder.d->node, &rec, REC_SIGNAL), 0);
	assert_int_equal(rec.seq, 2 + BURST);
	node_abandon(&f->founder.d->node, &rec);
}

/* watch: the watcher is the request's routing id; with `since`, the events
 * since then are to follow the reply (control_handle replays them). */
static void test_watch(void **state)
{
	struct fx *f = *state;
	struct reply r;

	call(f->founder.d, &r, "op=watch", NULL);
	assert_true(r_ok(&r));
	assert_false(r.deferred);
	reply_free(&r);
	assert_int_equal(f->founder.d->events.n_watchers, 1);
	assert_int_equal(f->founder.d->events.watchers[0].rid_len, 5);
	assert_memory_equal(f->founder.d->events.watchers[0].rid, "\0\1\2\3\4", 5);
	assert_false(r.replay);
	call(f->founder.d, &r, "op=watch", "since:u=1234", NULL);
	assert_true(r_ok(&r));
	assert_true(r.replay);
	assert_int_equal(r.replay_since, 1234);
	reply_free(&r);
	assert_int_equal(f->founder.d->events.n_watchers, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_list_show, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
