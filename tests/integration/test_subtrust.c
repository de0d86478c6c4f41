/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Integration: `samen subscribe` trusts the founder key it pinned, not the
 * relay. A fake relay (a raw CURVE ROUTER in this process, speaking the
 * subscriber protocol) offers forged and replayed records; a real relay
 * ends a revoked authority's session and keeps its audit log bounded under
 * a flood of refused handshakes; --out never follows a symbolic link.
 *
 * SUBTRUST_NO_PIN=1 leaves --nbhd out of every command line, to run these
 * tests against a samen that does not know it (0.1.0).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <zmq.h>

#include "../support/harness.h"
#include "../support/rawpeer.h"
#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../keys/keytext.h"
#include "../../proto/mp.h"
#include "../../proto/record.h"
#include "../../proto/signal.h"
#include "../../proto/submsg.h"

static const char *bin(const char *name)
{
	static char path[600];
	const char *build = getenv("BUILD");
	snprintf(path, sizeof(path), "%s/%s", build && *build ? build : "build", name);
	return path;
}

static bool pinned(void)
{
	const char *e = getenv("SUBTRUST_NO_PIN");
	return !e || !*e;
}

/* Starts `samen subscribe` with args (NULL-ended) after the common ones,
 * its standard error into err_path. */
static pid_t subscriber(const char *endpoint, const char *relay_key, const char *nbhd,
			const char *key_path, const char *err_path, ...)
{
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)bin("samen");
	argv[n++] = "subscribe";
	argv[n++] = "--relay";
	argv[n++] = (char *)endpoint;
	argv[n++] = "--relay-key";
	argv[n++] = (char *)relay_key;
	argv[n++] = "--key";
	argv[n++] = (char *)key_path;
	if (pinned()) {
		argv[n++] = "--nbhd";
		argv[n++] = (char *)nbhd;
	}
	va_list ap;
	va_start(ap, err_path);
	for (const char *a; n < 31 && (a = va_arg(ap, const char *));)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Waits up to timeout_ms for pid; its exit status, or -1 (then killed). */
static int reap(pid_t pid, int timeout_ms)
{
	for (int t = 0; t < timeout_ms / 20; t++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return calloc(1, 1);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static size_t count_in(const char *path, const char *needle)
{
	size_t n = 0;
	char *buf = slurp(path);
	for (const char *p = buf; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(buf);
	return n;
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* ---- records, signed by keys this test holds ---- */

struct rec {
	uint8_t *buf;
	size_t len;
	char hex[65];
};

static void sign(struct record *r, const struct identity *by, struct rec *out)
{
	memcpy(r->author, by->pk, 32);
	assert_int_equal(record_sign(r, by->sk, &out->buf, &out->len), 0);
	sodium_bin2hex(out->hex, sizeof(out->hex), r->id, 32);
}

static void cert(const struct identity *founder, const uint8_t subject[32], unsigned role,
		 uint64_t seq, struct rec *out)
{
	struct record r;
	uint64_t now = (uint64_t)time(NULL);
	memset(&r, 0, sizeof(r));
	r.kind = REC_CERT;
	memcpy(r.nbhd, founder->pk, 32);
	r.seq = seq;
	r.created = now - 60;
	memcpy(r.u.cert.subject, subject, 32);
	r.u.cert.role = (uint8_t)role;
	snprintf(r.u.cert.label, sizeof(r.u.cert.label), "huis %llu", (unsigned long long)seq);
	r.u.cert.not_before = now - 60;
	r.u.cert.not_after = now + 86400 * 30;
	sign(&r, founder, out);
}

/* An alert by `by` in nbhd, shared with the authority key `police`. */
static void alert(const struct identity *by, const uint8_t nbhd[32], uint64_t seq,
		  const uint8_t police[32], const char *text, struct rec *out)
{
	struct record r;
	struct signal_plain *p = calloc(1, sizeof(*p));
	struct signal_buf *b = calloc(1, sizeof(*b));
	uint8_t epoch_id[32], epoch_key[32];
	assert_non_null(p);
	assert_non_null(b);
	randombytes_buf(epoch_id, sizeof(epoch_id));
	randombytes_buf(epoch_key, sizeof(epoch_key));
	memset(&r, 0, sizeof(r));
	r.kind = REC_SIGNAL;
	memcpy(r.nbhd, nbhd, 32);
	memcpy(r.author, by->pk, 32);
	r.seq = seq;
	r.created = (uint64_t)time(NULL) - 10;
	p->kind = SIG_ALERT;
	p->category = CAT_BURGLARY;
	p->severity = SEV_MODERATE;
	p->status = STATUS_REAL;
	snprintf(p->description, sizeof(p->description), "%s", text);
	snprintf(p->where, sizeof(p->where), "Lindelaan");
	assert_int_equal(signal_encrypt(&r, p, epoch_id, epoch_key,
					(const uint8_t(*)[32])police, 1, r.created + 3600, b), 0);
	sign(&r, by, out);
	free(p);
	free(b);
}

static void retraction(const struct identity *by, const uint8_t nbhd[32], uint64_t seq,
		       const struct rec *target, struct rec *out)
{
	struct record r;
	memset(&r, 0, sizeof(r));
	r.kind = REC_RETRACTION;
	memcpy(r.nbhd, nbhd, 32);
	r.seq = seq;
	r.created = (uint64_t)time(NULL) - 5;
	assert_int_equal(sodium_hex2bin(r.u.retraction.target, 32, target->hex, 64, NULL, NULL, NULL), 0);
	snprintf(r.u.retraction.reason, sizeof(r.u.retraction.reason), "vergissing");
	sign(&r, by, out);
}

/* ---- the fake relay ---- */

struct fake {
	void *ctx, *sock;
	struct identity *id;
	char key_text[KEYTEXT_LEN];
	char endpoint[64];
	uint8_t rid[256];
	size_t rid_len;
};

static void fake_open(struct fake *f)
{
	int one = 1, linger = 0;
	assert_int_equal(identity_generate(&f->id), 0);
	keytext_encode(f->id->pk, f->key_text);
	snprintf(f->endpoint, sizeof(f->endpoint), "tcp://127.0.0.1:%d", harness_port());
	f->ctx = zmq_ctx_new();
	f->sock = zmq_socket(f->ctx, ZMQ_ROUTER);
	assert_int_equal(zmq_setsockopt(f->sock, ZMQ_CURVE_SERVER, &one, sizeof(one)), 0);
	assert_int_equal(zmq_setsockopt(f->sock, ZMQ_CURVE_SECRETKEY, f->id->curve_sk, 32), 0);
	assert_int_equal(zmq_setsockopt(f->sock, ZMQ_LINGER, &linger, sizeof(linger)), 0);
	assert_int_equal(zmq_bind(f->sock, f->endpoint), 0);
}

static void fake_close(struct fake *f)
{
	zmq_close(f->sock);
	zmq_ctx_term(f->ctx);
	identity_free(&f->id);
}

/* Waits for the subscriber's `subscribe`; returns its from. */
static uint64_t fake_accept(struct fake *f)
{
	zmq_pollitem_t it = {f->sock, 0, ZMQ_POLLIN, 0};
	for (int i = 0; i < 100; i++) {
		if (zmq_poll(&it, 1, 200) <= 0)
			continue;
		uint8_t body[4096];
		int rl = zmq_recv(f->sock, f->rid, sizeof(f->rid), 0);
		int bl = zmq_recv(f->sock, body, sizeof(body), 0);
		assert_true(rl > 0 && bl > 0);
		f->rid_len = (size_t)rl;
		msgpack_unpacked u;
		struct submsg_req q;
		const char *why;
		msgpack_unpacked_init(&u);
		int ok = submsg_req_decode(body, (size_t)bl, &u, &q, &why);
		msgpack_unpacked_destroy(&u);
		if (ok == 0 && q.op == SUBOP_SUBSCRIBE)
			return q.from;
	}
	fail_msg("the subscriber never subscribed");
	return 0;
}

static void fake_send(struct fake *f, struct mp_buf *b)
{
	assert_true(zmq_send(f->sock, f->rid, f->rid_len, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(f->sock, b->sb.data, b->sb.size, 0) >= 0);
	mp_buf_destroy(b);
}

static void fake_record(struct fake *f, uint64_t cursor, const struct rec *r)
{
	struct mp_buf b;
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_record(&b, cursor, r->buf, r->len), 0);
	fake_send(f, &b);
}

static void fake_member(struct fake *f, const struct rec *r)
{
	struct mp_buf b;
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_member(&b, r->buf, r->len), 0);
	fake_send(f, &b);
}

/* Any cursor, 2^64 - 1 included: the encoder does not judge. */
static void fake_caught_up(struct fake *f, uint64_t cursor)
{
	struct mp_buf b;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 2);
	mp_pack_str(&b.pk, "type");
	mp_pack_str(&b.pk, "caught-up");
	mp_pack_str(&b.pk, "cursor");
	msgpack_pack_uint64(&b.pk, cursor);
	fake_send(f, &b);
}

/* A lying relay: signals by a non-member, under a neighbourhood nobody
 * founded, by an authority, a retraction by a non-member, one signal at two
 * cursors (and again in the next run), a cursor jump and a caught-up at
 * 2^64 - 1. Only the honest records come out, once each; every lie is
 * counted; the saved cursor is the last honest one. */
static void test_fake_relay_lies(void **state)
{
	(void)state;
	struct identity *F, *M, *X, *Z, *P;
	struct rec cm, cp, s1, s2, s3, s4, r1, s5, r2, s6;
	struct fake fk;
	char out[600], cur[600], err[600], nbhd[KEYTEXT_LEN], key_path[600];
	const char *dir = harness_dir();
	assert_int_equal(sodium_init() >= 0, 1);
	assert_int_equal(identity_generate(&F), 0);
	assert_int_equal(identity_generate(&M), 0);
	assert_int_equal(identity_generate(&X), 0);
	assert_int_equal(identity_generate(&Z), 0);
	assert_int_equal(identity_generate(&P), 0);
	keytext_encode(F->pk, nbhd);
	snprintf(key_path, sizeof(key_path), "%s/police.key", dir);
	assert_int_equal(keyfile_write_secret(key_path, P, NULL), 0);
	snprintf(out, sizeof(out), "%s/out.jsonl", dir);
	snprintf(cur, sizeof(cur), "%s/cursor", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);

	cert(F, M->pk, ROLE_MEMBER, 1, &cm);
	cert(F, P->pk, ROLE_AUTHORITY, 2, &cp);
	alert(M, F->pk, 1, P->pk, "echt: man bij de autodeuren", &s1);
	alert(X, F->pk, 1, P->pk, "vals: geen lid", &s2);
	alert(Z, Z->pk, 1, P->pk, "vals: verzonnen buurt", &s3);
	alert(P, F->pk, 1, P->pk, "vals: de politie zelf", &s4);
	retraction(X, F->pk, 2, &s1, &r1);
	alert(F, F->pk, 3, P->pk, "echt: de oprichter", &s5);
	retraction(M, F->pk, 2, &s1, &r2);
	alert(M, F->pk, 3, P->pk, "echt: tweede run", &s6);

	fake_open(&fk);
	pid_t pid = subscriber(fk.endpoint, fk.key_text, nbhd, key_path, err, "--out", out,
			       "--cursor-file", cur, "--once", NULL);
	assert_int_equal(fake_accept(&fk), 0);
	fake_record(&fk, 1, &cm);
	fake_record(&fk, 2, &cp);
	fake_record(&fk, 3, &s1);
	fake_record(&fk, 4, &s2);
	fake_record(&fk, 5, &s3);
	fake_record(&fk, 6, &s4);
	fake_record(&fk, 7, &r1);
	fake_record(&fk, 8, &s1); /* the same signal at another cursor */
	fake_record(&fk, 9, &s5);
	fake_record(&fk, 10, &r2);
	fake_caught_up(&fk, UINT64_MAX);
	int rc = reap(pid, 20000);

	char *text = slurp(out);
	print_message("first run (exit %d):\n%s", rc, text);
	free(text);
	assert_int_equal(count_in(out, s1.hex), 2); /* once, and as r2's target */
	assert_int_equal(count_in(out, s2.hex), 0);
	assert_int_equal(count_in(out, s3.hex), 0);
	assert_int_equal(count_in(out, s4.hex), 0);
	assert_int_equal(count_in(out, r1.hex), 0);
	assert_int_equal(count_in(out, s5.hex), 1);
	assert_int_equal(count_in(out, r2.hex), 1);
	assert_int_equal(count_in(out, "\"event\":\"signal\""), 2);
	assert_int_equal(count_in(out, "\"event\":\"retraction\""), 1);
	char *saved = slurp(cur);
	assert_int_equal(strtoull(saved, NULL, 10), 10);
	free(saved);
	assert_int_equal(rc, 0);
	text = slurp(err);
	print_message("its stderr:\n%s", text);
	free(text);
	assert_int_equal(count_in(err, "refused 6 records from the relay"), 1);
	assert_int_equal(count_in(err, "1 author not a member"), 1);
	assert_int_equal(count_in(err, "1 not a pinned neighbourhood"), 1);
	assert_int_equal(count_in(err, "1 kind not allowed"), 1);
	assert_int_equal(count_in(err, "1 retraction by neither"), 1);
	assert_int_equal(count_in(err, "1 already output"), 1);
	assert_int_equal(count_in(err, "1 impossible cursor"), 1);

	/* the next run: membership again (the catch-up before from), the old
	 * signal once more at a new cursor, a jump no log makes */
	pid = subscriber(fk.endpoint, fk.key_text, nbhd, key_path, err, "--out", out,
			 "--cursor-file", cur, "--once", NULL);
	assert_int_equal(fake_accept(&fk), 10);
	fake_member(&fk, &cm);
	fake_member(&fk, &cp);
	fake_record(&fk, 11, &s1);
	fake_record(&fk, 12, &s6);
	fake_record(&fk, 13 + (UINT64_C(1) << 33), &s5);
	fake_caught_up(&fk, 12);
	rc = reap(pid, 20000);
	assert_int_equal(rc, 0);
	assert_int_equal(count_in(out, s1.hex), 2);
	assert_int_equal(count_in(out, s6.hex), 1);
	assert_int_equal(count_in(out, s5.hex), 1);
	saved = slurp(cur);
	assert_int_equal(strtoull(saved, NULL, 10), 12);
	free(saved);
	assert_int_equal(count_in(err, "refused 2 records from the relay"), 1);
	assert_int_equal(count_in(err, "1 already output"), 1);
	assert_int_equal(count_in(err, "1 impossible cursor"), 1);

	fake_close(&fk);
	struct rec *all[] = {&cm, &cp, &s1, &s2, &s3, &s4, &r1, &s5, &r2, &s6};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(all[i]->buf);
	identity_free(&F);
	identity_free(&M);
	identity_free(&X);
	identity_free(&Z);
	identity_free(&P);
}

/* --out naming a symbolic link is refused, and nothing is written through it. */
static void test_out_symlink_refused(void **state)
{
	(void)state;
	struct identity *P, *F;
	struct fake fk;
	char out[600], target[600], cur[600], err[600], key_path[600], nbhd[KEYTEXT_LEN];
	const char *dir = harness_dir();
	assert_int_equal(identity_generate(&P), 0);
	assert_int_equal(identity_generate(&F), 0);
	keytext_encode(F->pk, nbhd);
	snprintf(key_path, sizeof(key_path), "%s/police.key", dir);
	assert_int_equal(keyfile_write_secret(key_path, P, NULL), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	snprintf(out, sizeof(out), "%s/out.jsonl", dir);
	snprintf(cur, sizeof(cur), "%s/cursor", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	FILE *f = fopen(target, "w");
	assert_non_null(f);
	fputs("someone else's file\n", f);
	fclose(f);
	assert_int_equal(symlink(target, out), 0);

	fake_open(&fk);
	pid_t pid = subscriber(fk.endpoint, fk.key_text, nbhd, key_path, err, "--out", out,
			       "--cursor-file", cur, "--once", NULL);
	/* an old samen follows the link: let it finish, so the test fails on
	 * what it wrote rather than on a wait */
	zmq_pollitem_t it = {fk.sock, 0, ZMQ_POLLIN, 0};
	if (zmq_poll(&it, 1, 3000) == 1) {
		(void)fake_accept(&fk);
		fake_caught_up(&fk, 7);
	}
	int rc = reap(pid, 20000);
	assert_int_equal(count_in(err, "symbolic link"), 1);
	assert_int_equal(rc, 3);
	char *text = slurp(target);
	assert_string_equal(text, "someone else's file\n");
	free(text);
	assert_int_equal(file_size(cur), 0);
	fake_close(&fk);
	identity_free(&P);
	identity_free(&F);
}

/* ---- a real relay ---- */

struct world {
	struct hnode f, r, police;
	char sub_ep[64];
};

static bool certify(struct hnode *f, const char *key_text, const char *role)
{
	struct hreply r;
	char k[80], ro[40];
	snprintf(k, sizeof(k), "key=%s", key_text);
	snprintf(ro, sizeof(ro), "role=%s", role);
	bool ok = hnode_call(f, &r, "op=certify", k, ro, "label=test", NULL) && hreply_ok(&r);
	hreply_free(&r);
	return ok;
}

static bool relay_has_certs(void *ctx)
{
	struct hreply r;
	if (!hnode_call(ctx, &r, "op=status", NULL))
		return false;
	uint64_t n = hreply_uint(&r, "records");
	hreply_free(&r);
	return n >= 2;
}

/* F founds; R relays for it (dialling F) with a subscriber socket; P is an
 * authority key (no daemon). */
static void world_up(struct world *w)
{
	memset(w, 0, sizeof(*w));
	hnode_init(&w->f, "founder", harness_port(), 0);
	hnode_init(&w->r, "relay", harness_port(), 0);
	hnode_init(&w->police, "police", 0, 0);
	snprintf(w->sub_ep, sizeof(w->sub_ep), "tcp://127.0.0.1:%d", harness_port());
	hnode_write_config(&w->f, w->f.pk, NULL);
	hnode_start(&w->f);
	assert_true(hnode_wait_ready(&w->f, 10000));
	assert_true(certify(&w->f, w->r.key_text, "relay"));
	assert_true(certify(&w->f, w->police.key_text, "authority"));
	snprintf(w->r.extra, sizeof(w->r.extra),
		 "role = relay\nserve = %s\nsubscriber_listen = %s\npeer = tcp://127.0.0.1:%d %s\n",
		 w->f.key_text, w->sub_ep, w->f.port, w->f.key_text);
	hnode_write_config(&w->r, NULL, NULL);
	hnode_start(&w->r);
	assert_true(hnode_wait_ready(&w->r, 10000));
	assert_true(harness_wait(relay_has_certs, &w->r, 20000));
}

static bool file_exists(void *ctx)
{
	return access(ctx, F_OK) == 0;
}

/* A revoked authority's running `samen subscribe` is ended by the relay,
 * and says it was revoked (exit 6), not that the relay went away. */
static void test_revoked_session_ends(void **state)
{
	(void)state;
	struct world w;
	char out[700], cur[700], err[700];
	world_up(&w);
	snprintf(out, sizeof(out), "%s/out.jsonl", w.police.dir);
	snprintf(cur, sizeof(cur), "%s/cursor", w.police.dir);
	snprintf(err, sizeof(err), "%s/stderr", w.police.dir);
	pid_t pid = subscriber(w.sub_ep, w.r.key_text, w.f.key_text, w.police.key_path, err,
			       "--out", out, "--cursor-file", cur, NULL);
	assert_true(harness_wait(file_exists, cur, 20000)); /* it is in session */
	/* a quiet relay: the subscriber asks again every few seconds, and the
	 * audit log keeps one session for it */
	sleep(12);

	struct hreply r;
	char k[80];
	snprintf(k, sizeof(k), "key=%s", w.police.key_text);
	assert_true(hnode_call(&w.f, &r, "op=revoke", k, "reason=sleutel verloren", NULL));
	assert_true(hreply_ok(&r));
	hreply_free(&r);
	int rc = reap(pid, 20000);
	char *text = slurp(err);
	print_message("the subscriber exited %d:\n%s", rc, text);
	free(text);
	assert_int_equal(rc, 6);
	assert_int_equal(count_in(err, "revoked"), 1);
	/* coming back with the revoked key: refused at the handshake, and
	 * named in the audit log as in its session lines, by key text */
	struct identity *police = NULL;
	struct rawpeer p;
	uint32_t v;
	assert_int_equal(keyfile_read_secret(w.police.key_path, NULL, &police), 0);
	assert_int_equal(rawpeer_open_id(&p, w.sub_ep, w.r.pk, police), 0);
	assert_int_equal(rawpeer_wait_event(&p, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 5000, &v),
			 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
	rawpeer_close(&p);
	identity_free(&police);
	hnode_stop(&w.r, SIGTERM);
	char audit[700], named[120];
	snprintf(audit, sizeof(audit), "%s/audit.log", w.r.dir);
	char *log = slurp(audit);
	print_message("audit.log:\n%s", log);
	free(log);
	assert_int_equal(count_in(audit, "(revoked)"), 1);
	snprintf(named, sizeof(named), "session-start key=%s ", w.police.key_text);
	assert_int_equal(count_in(audit, named), 1);
	snprintf(named, sizeof(named), "refused key=%s 1 refused", w.police.key_text);
	assert_int_equal(count_in(audit, named), 1);
	assert_int_equal(count_in(audit, "curve="), 0);
}

/* Refused handshakes on the subscriber socket, from one key again and
 * again and from many throw-away keys: the audit log gets one line per key
 * per interval (and one for the keys past those it tells apart), not one
 * per refusal. */
static void test_audit_bounded_under_refusals(void **state)
{
	(void)state;
	struct world w;
	enum { SAME = 300, OTHERS = 60 };
	char audit[700];
	uint8_t pk[32], sk[32];
	uint32_t v;
	world_up(&w);
	snprintf(audit, sizeof(audit), "%s/audit.log", w.r.dir);
	off_t before = file_size(audit);
	crypto_box_keypair(pk, sk);
	int refused = 0;
	for (int i = 0; i < SAME + OTHERS; i++) {
		struct rawpeer p;
		if (i >= SAME)
			crypto_box_keypair(pk, sk);
		assert_int_equal(rawpeer_open(&p, w.sub_ep, w.r.pk, pk, sk), 0);
		refused += rawpeer_wait_event(&p, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 5000, &v) > 0;
		rawpeer_close(&p);
	}
	assert_int_equal(refused, SAME + OTHERS);
	off_t during = file_size(audit);
	print_message("audit.log: %lld bytes before, %lld after %d refused handshakes\n",
		      (long long)before, (long long)during, refused);
	assert_true(during - before < 1024);

	hnode_stop(&w.r, SIGTERM);
	off_t after = file_size(audit);
	char *text = slurp(audit);
	print_message("after the relay stopped, %lld bytes:\n%.1500s\n", (long long)after, text);
	/* the key refused again and again: one line with its count */
	unsigned long long n = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long c;
		if (sscanf(l, "%*s refused curve=%*s %llu refused in the last", &c) == 1 && c > n)
			n = c;
	}
	free(text);
	assert_true(n >= SAME);
	assert_int_equal(count_in(audit, "refused-others"), 1);
	assert_true(count_in(audit, "refused in the last") + count_in(audit, "refused-others") <= 32 + 1);
	assert_true(after - before < 8 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_fake_relay_lies, harness_teardown),
		cmocka_unit_test_teardown(test_out_symlink_refused, harness_teardown),
		cmocka_unit_test_teardown(test_revoked_session_ends, rawpeer_teardown),
		cmocka_unit_test_teardown(test_audit_bounded_under_refusals, rawpeer_teardown),
	};
	return cmocka_run_group_tests_name("subtrust", tests, NULL, NULL);
}
