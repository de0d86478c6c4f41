/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_control.c — the control ops (daemon/control.c, ctl_signals.c,
 * ctl_admin.c) without a socket: requests handed to control_answer(), the
 * path control_take() takes for each one it receives, against a struct
 * daemon whose node is real (an LMDB store in a fresh directory under /tmp,
 * real keys) and which has no sockets at all. Checked: status fields, send
 * (its verdict and id) then list and show, the refusals of requests that are
 * not well formed, the not-member refusals (no neighbourhood, no
 * certificate, revoked), a rate-limited send, watch, ack and resolve as the
 * thread's state in show, retract (the author may, another member may not),
 * members, invite then pending then approve, certify, import of a
 * certificate made offline, and announcements.
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
#include "../../proto/invite.h"
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

#define BURST 8 /* signals a household may send at once */

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

/* A record of by's, signed as samen-keys would sign it offline: kind and
 * its fields are the caller's, the rest is filled in here. */
static void sign_offline(const struct host *by, struct record *rec, uint64_t seq, uint64_t created,
			 uint8_t **bytes, size_t *len)
{
	memcpy(rec->nbhd, by->d->node.nbhd, 32);
	memcpy(rec->author, by->id->pk, 32);
	rec->seq = seq;
	rec->created = created;
	assert_int_equal(record_sign(rec, by->id->sk, bytes, len), 0);
}

/* A certificate of by's for subject, made offline, valid for a day. */
static void offline_cert(const struct host *by, const uint8_t subject[32], unsigned role,
			 const char *label, uint64_t seq, uint8_t **bytes, size_t *len)
{
	struct record rec;
	uint64_t now = (uint64_t)time(NULL);

	memset(&rec, 0, sizeof(rec));
	rec.kind = REC_CERT;
	memcpy(rec.u.cert.subject, subject, 32);
	rec.u.cert.role = (uint8_t)role;
	snprintf(rec.u.cert.label, sizeof(rec.u.cert.label), "%s", label);
	rec.u.cert.not_before = now - 60;
	rec.u.cert.not_after = now + 86400;
	sign_offline(by, &rec, seq, now - 10, bytes, len);
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

/* The array under key in m, which must be there. */
static const msgpack_object *r_array(const msgpack_object *m, const char *key)
{
	const msgpack_object *a = mpmap_find(m, key);
	assert_non_null(a);
	assert_int_equal(a->type, MSGPACK_OBJECT_ARRAY);
	return a;
}

/* The text under key in m, compared with want. */
static void assert_field(const msgpack_object *m, const char *key, const char *want)
{
	char buf[600];
	if (mpmap_str(m, key, buf, sizeof(buf)) < 0) {
		print_error("no text '%s'\n", key);
		fail();
	}
	assert_string_equal(buf, want);
}

/* The (last) entry of a list whose text field is value; NULL if none. */
static const msgpack_object *entry_with(const msgpack_object *list, const char *field,
					const char *value)
{
	const msgpack_object *hit = NULL;
	char buf[600];
	for (uint32_t i = 0; i < list->via.array.size; i++)
		if (mpmap_str(&list->via.array.ptr[i], field, buf, sizeof(buf)) == 0 &&
		    strcmp(buf, value) == 0)
			hit = &list->via.array.ptr[i];
	return hit;
}

/* The entry of a list (members, pending) whose "key" is pk; NULL if none. */
static const msgpack_object *entry_for(const msgpack_object *list, const uint8_t pk[32])
{
	char key[KEYTEXT_LEN];
	keytext_encode(pk, key);
	return entry_with(list, "key", key);
}

/* A "key=..." field naming pk. */
static const char *key_field(const uint8_t pk[32], char *out, size_t cap)
{
	char key[KEYTEXT_LEN];
	keytext_encode(pk, key);
	snprintf(out, cap, "key=%s", key);
	return out;
}

/* A "name=hex" field. */
static const char *id_field(const char *name, const char *hex, char *out, size_t cap)
{
	snprintf(out, cap, "%s=%s", name, hex);
	return out;
}

/* op=send of a burglary; its id in id (65 bytes). */
static void send_one(struct daemon *d, const char *description, char *id)
{
	struct reply r;
	char field[700];
	snprintf(field, sizeof(field), "description=%s", description);
	call(d, &r, "op=send", "category=burglary", field, NULL);
	assert_true(r_ok(&r));
	r_str(&r, "id", id, 65);
	reply_free(&r);
}

/* How many signals op=list shows d. */
static uint32_t listed(struct daemon *d)
{
	struct reply r;
	call(d, &r, "op=list", NULL);
	assert_true(r_ok(&r));
	uint32_t n = r_array(r.m, "signals")->via.array.size;
	reply_free(&r);
	return n;
}

/* ---- households of the founder's neighbourhood ---- */

struct batch {
	uint8_t *rec[64];
	size_t len[64], n;
};

static int batch_add(void *ctx, uint64_t seq, const uint8_t id[32], const uint8_t *data,
		     size_t len)
{
	struct batch *b = ctx;
	(void)seq, (void)id;
	assert_true(b->n < 64);
	b->rec[b->n] = malloc(len);
	assert_non_null(b->rec[b->n]);
	memcpy(b->rec[b->n], data, len);
	b->len[b->n++] = len;
	return 0;
}

/* What the mesh would bring: every record the founder wrote, handed to
 * to's node; returns how many it stored. */
static int catch_up(struct fx *f, struct host *to)
{
	struct batch b = {.n = 0};
	enum reject v[64];
	assert_int_equal(store_each_by_author(f->founder.d->node.store, f->founder.id->pk, 0,
					      batch_add, &b),
			 0);
	int stored = node_ingest(&to->d->node, (const uint8_t *const *)b.rec, b.len, b.n, NULL, v);
	for (size_t i = 0; i < b.n; i++)
		free(b.rec[i]);
	assert_true(stored >= 0);
	return stored;
}

/* f->other as a household of the founder's neighbourhood with this role:
 * certified by the founder (op certify), given the epoch key as the
 * founder's rekey timer would, and caught up with the founder. */
static void household_open(struct fx *f, const char *role, const char *label)
{
	struct reply r;
	char key[KEYTEXT_LEN + 8], rf[40], lf[80];

	host_open(f, &f->other, "household", f->founder.id->pk, false);
	snprintf(rf, sizeof(rf), "role=%s", role);
	snprintf(lf, sizeof(lf), "label=%s", label);
	call(f->founder.d, &r, "op=certify", key_field(f->other.id->pk, key, sizeof(key)), rf, lf,
	     NULL);
	assert_true(r_ok(&r));
	reply_free(&r);
	if (node_rekey_needed(&f->founder.d->node))
		assert_int_equal(node_rekey(&f->founder.d->node), 0);
	assert_true(catch_up(f, &f->other) > 0);
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

	offline_cert(&f->founder, f->other.id->pk, ROLE_MEMBER, "number 4", 10, &bytes[0], &lens[0]);
	memset(&rec, 0, sizeof(rec));
	rec.kind = REC_REVOCATION;
	memcpy(rec.u.rev.subject, f->other.id->pk, 32);
	rec.u.rev.scope = REVOKE_KEY;
	snprintf(rec.u.rev.reason, sizeof(rec.u.rev.reason), "moved away");
	rec.u.rev.has_upto = true;
	rec.u.rev.upto = 0;
	sign_offline(&f->founder, &rec, 11, now - 5, &bytes[1], &lens[1]);

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
 * since then are to follow the reply (control_finish replays them). */
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

/* The thread head as show shows it: its state, how many are looking, and
 * the thread under it. */
static void assert_thread(struct daemon *d, const char *id, const char *state, uint64_t looking,
			  uint32_t thread)
{
	struct reply r;
	char field[100];

	call(d, &r, "op=show", id_field("id", id, field, sizeof(field)), NULL);
	assert_true(r_ok(&r));
	const msgpack_object *s = mpmap_find(r.m, "signal");
	assert_non_null(s);
	assert_field(s, "state", state);
	assert_int_equal(r_uint(s, "looking"), looking);
	assert_int_equal(r_array(r.m, "thread")->via.array.size, thread);
	reply_free(&r);
}

/* An ack or a resolve of ref (field: "ref=ID") that must be sent. */
static void answer(struct daemon *d, const char *op, const char *ref, const char *field)
{
	struct reply r;
	char buf[100];
	call(d, &r, op, ref, field, NULL);
	assert_true(r_ok(&r));
	assert_int_equal(strlen(r_str(&r, "id", buf, sizeof(buf))), 64);
	reply_free(&r);
}

/* ack and resolve: each is a signal in the head's thread, and together they
 * are the incident's state. */
static void test_ack_resolve(void **state)
{
	struct fx *f = *state;
	struct daemon *d = f->founder.d;
	struct reply r;
	char head[65], ref[100], buf[300];

	send_one(d, "someone trying the doors of parked cars", head);
	id_field("ref", head, ref, sizeof(ref));
	assert_thread(d, head, "open", 0, 0);

	answer(d, "op=ack", ref, "ack=looking");
	assert_thread(d, head, "open", 1, 1);
	/* looking is counted per household, not per ack */
	answer(d, "op=ack", ref, "ack=looking");
	assert_thread(d, head, "open", 1, 2);

	/* a text ack needs its text */
	call(d, &r, "op=ack", ref, "ack=text", NULL);
	assert_refused(&r, "invalid", "ack: one of 112-called, looking, or text (with text)");
	reply_free(&r);
	call(d, &r, "op=ack", ref, "ack=text", "text=he went towards the station", NULL);
	assert_true(r_ok(&r));
	reply_free(&r);
	call(d, &r, "op=show", id_field("id", head, buf, sizeof(buf)), NULL);
	const msgpack_object *th = r_array(r.m, "thread");
	assert_int_equal(th->via.array.size, 3);
	/* oldest first, but by id within one second: looked up by its ack */
	const msgpack_object *text = entry_with(th, "ack", "text");
	assert_non_null(text);
	assert_field(text, "kind", "ack");
	assert_field(text, "description", "he went towards the station");
	assert_field(text, "category", "burglary"); /* taken from the head */
	reply_free(&r);
	assert_thread(d, head, "open", 1, 3);

	answer(d, "op=ack", ref, "ack=112-called");
	assert_thread(d, head, "112-called", 1, 4);
	answer(d, "op=resolve", ref, "text=the police have him");
	assert_thread(d, head, "resolved", 1, 5);

	/* an answer names a signal that is there */
	call(d, &r, "op=ack", "ref=0123456789abcdef", "ack=looking", NULL);
	assert_refused(&r, "not-found", "ref: '0123456789abcdef' is not a signal here");
	reply_free(&r);
	call(d, &r, "op=resolve", NULL);
	assert_refused(&r, "invalid", "ref: the id of the signal you answer");
	reply_free(&r);
}

/* retract: the author may take back its own signal, a plain member may not
 * take back another's. */
static void test_retract(void **state)
{
	struct fx *f = *state;
	struct reply r;
	char theirs[65], mine[65], ref[100], buf[300];

	household_open(f, "member", "number 4");
	send_one(f->founder.d, "a van reversing into the hedge", theirs);
	assert_int_equal(catch_up(f, &f->other), 1);
	send_one(f->other.d, "a dog loose on the playground", mine);
	assert_int_equal(listed(f->other.d), 2);

	call(f->other.d, &r, "op=retract", id_field("ref", theirs, ref, sizeof(ref)), NULL);
	assert_refused(&r, "forbidden", NULL);
	r_str(&r, "error", buf, sizeof(buf));
	assert_true(starts(buf, "not retracted (only a coordinator or the author can retract)"));
	reply_free(&r);
	assert_int_equal(listed(f->other.d), 2);

	call(f->other.d, &r, "op=retract", id_field("ref", mine, ref, sizeof(ref)),
	     "reason=it was ours, and back home", NULL);
	assert_true(r_ok(&r));
	assert_int_equal(strlen(r_str(&r, "id", buf, sizeof(buf))), 64);
	reply_free(&r);
	call(f->other.d, &r, "op=list", NULL);
	const msgpack_object *s = r_array(r.m, "signals");
	assert_int_equal(s->via.array.size, 1);
	assert_field(&s->via.array.ptr[0], "id", theirs);
	reply_free(&r);
	call(f->other.d, &r, "op=show", id_field("id", mine, buf, sizeof(buf)), NULL);
	assert_refused(&r, "not-found", NULL);
	reply_free(&r);
}

static void test_members(void **state)
{
	struct fx *f = *state;
	struct reply r;
	char fp[FINGERPRINT_LEN];

	call(f->founder.d, &r, "op=members", NULL);
	assert_true(r_ok(&r));
	const msgpack_object *m = r_array(r.m, "members");
	assert_int_equal(m->via.array.size, 1);
	const msgpack_object *e = entry_for(m, f->founder.id->pk);
	assert_non_null(e);
	assert_field(e, "role", "founder");
	keytext_fingerprint(f->founder.id->pk, fp);
	assert_field(e, "fingerprint", fp);
	reply_free(&r);

	/* a household sees the same list as the founder */
	household_open(f, "member", "number 4");
	for (int k = 0; k < 2; k++) {
		call(k ? f->other.d : f->founder.d, &r, "op=members", NULL);
		m = r_array(r.m, "members");
		assert_int_equal(m->via.array.size, 2);
		e = entry_for(m, f->other.id->pk);
		assert_non_null(e);
		assert_field(e, "role", "member");
		assert_field(e, "label", "number 4");
		assert_field(entry_for(m, f->founder.id->pk), "role", "founder");
		reply_free(&r);
	}
}

/* invite makes a code; the join socket redeems it (here: the invite marked
 * as join.c's serve_request marks it), pending lists the household, approve
 * certifies it. */
static void test_invite_pending_approve(void **state)
{
	struct fx *f = *state;
	struct daemon *d = f->founder.d;
	struct reply r;
	struct identity *joiner = NULL;
	char code[600], kf[KEYTEXT_LEN + 8], buf[100];
	struct invite_code ic;
	uint8_t hash[32];

	call(d, &r, "op=invite", "label=number 7", NULL);
	assert_refused(&r, "invalid", "this daemon has no join socket: set join_listen in its config");
	reply_free(&r);
	snprintf(f->founder.cfg.join_listen, sizeof(f->founder.cfg.join_listen),
		 "tcp://127.0.0.1:7401");
	call(d, &r, "op=invite", "label=number 7", NULL);
	assert_true(r_ok(&r));
	r_str(&r, "code", code, sizeof(code));
	reply_free(&r);
	assert_int_equal(invite_decode(code, &ic), 0);
	assert_memory_equal(ic.nbhd, f->founder.id->pk, 32);
	assert_memory_equal(ic.server, f->founder.id->pk, 32);
	assert_string_equal(ic.endpoint, "tcp://127.0.0.1:7401");

	call(d, &r, "op=pending", NULL);
	assert_true(r_ok(&r));
	assert_int_equal(r_array(r.m, "pending")->via.array.size, 0);
	reply_free(&r);

	/* redeemed by a household that calls itself "the Jansens" */
	assert_int_equal(identity_generate(&joiner), 0);
	crypto_generichash(hash, 32, ic.secret, sizeof(ic.secret), NULL, 0);
	struct invite *v = NULL;
	for (size_t i = 0; i < d->join.n_invites; i++)
		if (memcmp(d->join.invites[i].secret_hash, hash, 32) == 0)
			v = &d->join.invites[i];
	assert_non_null(v);
	v->used = v->pending = true;
	memcpy(v->joiner, joiner->pk, 32);
	snprintf(v->joiner_label, sizeof(v->joiner_label), "the Jansens");
	v->since = (uint64_t)time(NULL);

	call(d, &r, "op=pending", NULL);
	const msgpack_object *p = r_array(r.m, "pending");
	assert_int_equal(p->via.array.size, 1);
	assert_non_null(entry_for(p, joiner->pk));
	assert_field(&p->via.array.ptr[0], "label", "the Jansens");
	reply_free(&r);

	key_field(joiner->pk, kf, sizeof(kf));
	call(d, &r, "op=approve", kf, NULL);
	assert_true(r_ok(&r));
	assert_int_equal(strlen(r_str(&r, "cert", buf, sizeof(buf))), 64);
	reply_free(&r);
	call(d, &r, "op=pending", NULL);
	assert_int_equal(r_array(r.m, "pending")->via.array.size, 0);
	reply_free(&r);
	call(d, &r, "op=members", NULL);
	const msgpack_object *e = entry_for(r_array(r.m, "members"), joiner->pk);
	assert_non_null(e);
	assert_field(e, "role", "member");
	assert_field(e, "label", "the Jansens");
	reply_free(&r);
	/* nothing is pending for it any more */
	call(d, &r, "op=approve", kf, NULL);
	assert_refused(&r, "not-found", NULL);
	r_str(&r, "error", buf, sizeof(buf));
	assert_true(starts(buf, "not approved"));
	reply_free(&r);
	sodium_memzero(&ic, sizeof(ic));
	identity_free(&joiner);
}

/* certify: the founder certifies any role; a coordinator it made may
 * certify members, not coordinators. */
static void test_certify(void **state)
{
	struct fx *f = *state;
	struct reply r;
	struct identity *police = NULL, *next = NULL;
	char kf[KEYTEXT_LEN + 8], buf[100];

	assert_int_equal(identity_generate(&police), 0);
	assert_int_equal(identity_generate(&next), 0);
	key_field(police->pk, kf, sizeof(kf));
	call(f->founder.d, &r, "op=certify", kf, "role=authority", "label=wijkagent", NULL);
	assert_true(r_ok(&r));
	assert_int_equal(strlen(r_str(&r, "cert", buf, sizeof(buf))), 64);
	reply_free(&r);
	call(f->founder.d, &r, "op=members", NULL);
	const msgpack_object *e = entry_for(r_array(r.m, "members"), police->pk);
	assert_non_null(e);
	assert_field(e, "role", "authority");
	assert_field(e, "label", "wijkagent");
	reply_free(&r);
	call(f->founder.d, &r, "op=certify", kf, "role=sheriff", NULL);
	assert_refused(&r, "invalid", "role: one of member, coordinator, relay, authority");
	reply_free(&r);

	household_open(f, "coordinator", "number 9");
	call(f->other.d, &r, "op=status", NULL);
	assert_field(r.m, "role", "coordinator");
	reply_free(&r);
	key_field(next->pk, kf, sizeof(kf));
	call(f->other.d, &r, "op=certify", kf, "role=coordinator", NULL);
	assert_refused(&r, "forbidden", "only the founder certifies coordinators");
	reply_free(&r);
	call(f->other.d, &r, "op=certify", kf, "role=member", "label=number 11", NULL);
	assert_true(r_ok(&r));
	reply_free(&r);
	call(f->other.d, &r, "op=members", NULL);
	e = entry_for(r_array(r.m, "members"), next->pk);
	assert_non_null(e);
	assert_field(e, "role", "member");
	reply_free(&r);
	identity_free(&police);
	identity_free(&next);
}

/* op=import with records as bytes, as `samen import FILE` sends them. */
static void import(struct daemon *d, struct reply *r, const uint8_t *const *recs,
		   const size_t *lens, size_t n)
{
	struct mp_buf b;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 2);
	mpmap_put_str(&b.pk, "op", "import");
	mpmap_put_key(&b.pk, "records");
	msgpack_pack_array(&b.pk, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(mp_pack_bin(&b.pk, recs[i], lens[i]), 0);
	answer_raw(d, b.sb.data, b.sb.size, r);
	mp_buf_destroy(&b);
}

static void assert_verdict(const struct reply *r, uint32_t i, const char *want)
{
	const msgpack_object *v = r_array(r->m, "verdicts");
	char buf[40];
	assert_true(i < v->via.array.size);
	assert_int_equal(mp_get_str(&v->via.array.ptr[i], buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

/* import: a certificate the founder made offline (samen-keys) makes the
 * household a member; each record has its verdict. */
static void test_import(void **state)
{
	struct fx *f = *state;
	struct reply r;
	uint8_t *cert = NULL;
	size_t cert_len = 0;
	static const uint8_t junk[] = {0x92, 0xc4, 0x01, 0x00, 0xc4, 0x00};
	const uint8_t *recs[2];
	size_t lens[2];

	host_open(f, &f->other, "household", f->founder.id->pk, false);
	offline_cert(&f->founder, f->other.id->pk, ROLE_MEMBER, "number 4", 50, &cert, &cert_len);
	recs[0] = cert, lens[0] = cert_len;
	recs[1] = junk, lens[1] = sizeof(junk);
	import(f->other.d, &r, recs, lens, 2);
	assert_true(r_ok(&r));
	assert_int_equal(r_uint(r.m, "stored"), 1);
	assert_int_equal(r_array(r.m, "verdicts")->via.array.size, 2);
	assert_verdict(&r, 0, "stored");
	assert_verdict(&r, 1, "malformed");
	reply_free(&r);
	call(f->other.d, &r, "op=status", NULL);
	assert_field(r.m, "role", "member");
	reply_free(&r);

	/* the same again: nothing new */
	import(f->other.d, &r, recs, lens, 1);
	assert_true(r_ok(&r));
	assert_int_equal(r_uint(r.m, "stored"), 0);
	assert_verdict(&r, 0, "duplicate");
	reply_free(&r);

	/* records is an array of byte strings */
	call(f->other.d, &r, "op=import", "records=cert.rec", NULL);
	assert_refused(&r, "invalid", NULL);
	reply_free(&r);
	free(cert);
}

static void test_announcements_empty(void **state)
{
	struct fx *f = *state;
	struct reply r;

	call(f->founder.d, &r, "op=announcements", NULL);
	assert_true(r_ok(&r));
	assert_int_equal(r_array(r.m, "announcements")->via.array.size, 0);
	reply_free(&r);
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
		cmocka_unit_test_setup_teardown(test_ack_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retract, setup, teardown),
		cmocka_unit_test_setup_teardown(test_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invite_pending_approve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_announcements_empty, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
