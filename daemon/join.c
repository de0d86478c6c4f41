/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * join.c — admission (DESIGN.md, "Admission"): invite codes, the join
 * socket that is the only one admitting keys without a certificate, approval
 * by a coordinator, and the joining side that redeems a code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "join.h"
#include "gossip.h"
#include "router.h"
#include "log.h"
#include "../proto/mpmap.h"
#include "../keys/keytext.h"
#include "../proto/ctl.h"
#include "../proto/invite.h"
#include "../proto/joinmsg.h"

#define META_INVITES "invites"
#define JOIN_RETRY_MS 3000
#define CERT_DAYS 365

/* ---- invites, persisted in the store's meta table ---- */

static int invites_save(struct join *jn)
{
	struct mp_buf b;
	int e = 0;
	mp_buf_init(&b);
	e |= msgpack_pack_array(&b.pk, jn->n_invites);
	for (size_t i = 0; i < jn->n_invites; i++) {
		const struct invite *v = &jn->invites[i];
		e |= msgpack_pack_array(&b.pk, 9);
		e |= mp_pack_bin(&b.pk, v->secret_hash, 32);
		e |= msgpack_pack_uint64(&b.pk, v->expires);
		e |= v->preapproved ? msgpack_pack_true(&b.pk) : msgpack_pack_false(&b.pk);
		e |= mp_pack_str(&b.pk, v->label);
		e |= v->used ? msgpack_pack_true(&b.pk) : msgpack_pack_false(&b.pk);
		e |= v->pending ? msgpack_pack_true(&b.pk) : msgpack_pack_false(&b.pk);
		e |= mp_pack_bin(&b.pk, v->joiner, 32);
		e |= mp_pack_str(&b.pk, v->joiner_label);
		e |= msgpack_pack_uint64(&b.pk, v->since);
	}
	int ret = e ? -ENOMEM : store_meta_put(jn->node->store, META_INVITES, b.sb.data, b.sb.size);
	mp_buf_destroy(&b);
	return ret;
}

int join_load(struct join *jn)
{
	size_t len;
	uint8_t *buf = malloc(1 << 20);
	msgpack_unpacked u;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	jn->n_invites = 0;
	msgpack_unpacked_init(&u);
	if (store_meta_get(jn->node->store, META_INVITES, buf, 1 << 20, &len) != 0 || len > (1 << 20))
		goto out; /* none yet */
	ret = mp_unpack(buf, len, 2, &u);
	if (ret < 0 || u.data.type != MSGPACK_OBJECT_ARRAY)
		goto bad;
	for (uint32_t i = 0; i < u.data.via.array.size && jn->n_invites < INVITES_MAX; i++) {
		const msgpack_object *f;
		struct invite *v = &jn->invites[jn->n_invites];
		int e = mp_get_array(&u.data.via.array.ptr[i], 9, &f);
		if (e)
			goto bad;
		e |= mp_get_bin_fixed(&f[0], v->secret_hash, 32);
		e |= mp_get_uint(&f[1], UINT64_MAX, &v->expires);
		e |= mp_get_bool(&f[2], &v->preapproved);
		e |= mp_get_str(&f[3], v->label, sizeof(v->label));
		e |= mp_get_bool(&f[4], &v->used);
		e |= mp_get_bool(&f[5], &v->pending);
		e |= mp_get_bin_fixed(&f[6], v->joiner, 32);
		e |= mp_get_str(&f[7], v->joiner_label, sizeof(v->joiner_label));
		e |= mp_get_uint(&f[8], UINT64_MAX, &v->since);
		if (e)
			goto bad;
		jn->n_invites++;
	}
	goto out;
bad:
	log_msg(SLOG_WARN, "stored invites are unreadable; outstanding invites are lost");
	jn->n_invites = 0;
	ret = 0;
out:
	msgpack_unpacked_destroy(&u);
	free(buf);
	return ret;
}

/* An endpoint a joiner can dial: join_listen, with a wildcard host replaced
 * by the host of `advertise`. */
static int invite_endpoint(struct join *jn, char *out, size_t cap)
{
	const char *jl = jn->cfg->join_listen;
	const char *host = strstr(jl, "://");
	if (!host)
		return SAMEN_EINVAL;
	host += 3;
	if (strncmp(host, "0.0.0.0:", 8) != 0 && strncmp(host, "*:", 2) != 0)
		return snprintf(out, cap, "%s", jl) < (int)cap ? 0 : SAMEN_ETOOBIG;
	const char *port = strchr(host, ':');
	const char *adv = strstr(jn->cfg->advertise, "://");
	if (!adv || !port)
		return SAMEN_EINVAL;
	adv += 3;
	const char *adv_port = strrchr(adv, ':');
	if (!adv_port)
		return SAMEN_EINVAL;
	int n = snprintf(out, cap, "tcp://%.*s%s", (int)(adv_port - adv), adv, port);
	return n < (int)cap ? 0 : SAMEN_ETOOBIG;
}

int join_invite(struct join *jn, bool preapproved, uint64_t hours, const char *label, char *code,
		size_t cap)
{
	struct invite_code c;
	int ret;
	uint64_t now = (uint64_t)time(NULL);

	memset(&c, 0, sizeof(c));
	ret = invite_endpoint(jn, c.endpoint, sizeof(c.endpoint));
	if (ret < 0)
		return ret;
	/* forget invites that expired a week ago */
	for (size_t i = 0; i < jn->n_invites;) {
		if (jn->invites[i].expires + 7 * 86400 < now && !jn->invites[i].pending)
			jn->invites[i] = jn->invites[--jn->n_invites];
		else
			i++;
	}
	if (jn->n_invites == INVITES_MAX)
		return SAMEN_ETOOBIG;
	randombytes_buf(c.secret, sizeof(c.secret));
	struct invite *v = &jn->invites[jn->n_invites];
	memset(v, 0, sizeof(*v));
	crypto_generichash(v->secret_hash, 32, c.secret, sizeof(c.secret), NULL, 0);
	v->expires = now + hours * 3600;
	v->preapproved = preapproved;
	snprintf(v->label, sizeof(v->label), "%s", label);

	memcpy(c.nbhd, jn->node->nbhd, 32);
	memcpy(c.server, jn->node->id->pk, 32);
	c.expires = v->expires;
	ret = invite_encode(&c, code, cap);
	if (ret == 0) {
		jn->n_invites++;
		ret = invites_save(jn);
		if (ret < 0)
			jn->n_invites--;
	}
	sodium_memzero(&c, sizeof(c));
	return ret;
}

/* ---- the coordinator's side ---- */

static int add_kind(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	(void)id;
	return mp_pack_bin(ctx, data, len);
}

static int count_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	(void)id, (void)data, (void)len;
	++*(size_t *)ctx;
	return 0;
}

static size_t count_kind(struct join *jn, uint8_t kind)
{
	size_t n = 0;
	(void)store_each_by_kind(jn->node->store, jn->node->nbhd, kind, count_one, &n);
	return n;
}

int join_open(struct join *jn)
{
	if (!jn->cfg->join_listen[0])
		return 0;
	jn->sock = net_curve_server(jn->net, jn->cfg->join_listen, "join");
	return jn->sock ? 0 : -EADDRINUSE;
}

void join_close(struct join *jn)
{
	void **socks[] = {&jn->sock, &jn->joining.sock};
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		if (*socks[i]) {
			zmq_close(*socks[i]);
			*socks[i] = NULL;
		}
}

void *join_server_socket(const struct join *jn)
{
	return jn->sock;
}

void *join_client_socket(const struct join *jn)
{
	return jn->joining.sock;
}

bool join_active(const struct join *jn)
{
	return jn->joining.active;
}

const char *join_state_name(const struct join *jn)
{
	return jn->joining.state;
}

size_t join_invites(const struct join *jn, const struct invite **out)
{
	*out = jn->invites;
	return jn->n_invites;
}

static void join_reply(struct join *jn, const uint8_t *rid, size_t rid_len,
		       enum joinmsg_state state, const char *error)
{
	static const uint8_t kinds[] = {REC_CERT, REC_REVOCATION, REC_EPOCH, REC_PEER};
	struct mp_buf b;
	size_t n = 0;
	mp_buf_init(&b);
	if (state == JOINMSG_MEMBER)
		for (size_t k = 0; k < sizeof(kinds); k++)
			n += count_kind(jn, kinds[k]);
	if (joinmsg_reply_pack_head(&b.pk, state, jn->node->nbhd, error, n) < 0) {
		log_msg(SLOG_WARN, "cannot answer a join request");
		mp_buf_destroy(&b);
		return;
	}
	if (state == JOINMSG_MEMBER)
		for (size_t k = 0; k < sizeof(kinds); k++)
			(void)store_each_by_kind(jn->node->store, jn->node->nbhd, kinds[k], add_kind, &b.pk);
	if (zmq_send(jn->sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
		zmq_send(jn->sock, b.sb.data, b.sb.size, ZMQ_DONTWAIT);
	mp_buf_destroy(&b);
}

static int issue_cert(struct join *jn, const uint8_t key[32], const char *label, uint8_t id[32])
{
	struct record r;
	int ret = node_prepare(jn->node, &r, REC_CERT);
	if (ret < 0)
		return ret;
	memcpy(r.u.cert.subject, key, 32);
	r.u.cert.role = ROLE_MEMBER;
	snprintf(r.u.cert.label, sizeof(r.u.cert.label), "%s", label);
	r.u.cert.not_before = r.created - 300;
	r.u.cert.not_after = r.created + CERT_DAYS * 86400ull;
	ret = node_publish(jn->node, &r, NULL);
	if (ret == 0)
		memcpy(id, r.id, 32);
	return ret;
}

int join_approve(struct join *jn, const uint8_t key[32], uint8_t cert_id[32])
{
	struct invite *v = NULL;
	for (size_t i = 0; i < jn->n_invites; i++)
		if (jn->invites[i].pending && memcmp(jn->invites[i].joiner, key, 32) == 0)
			v = &jn->invites[i];
	if (!v)
		return SAMEN_ENOTFOUND;
	const char *label = v->joiner_label[0] ? v->joiner_label : v->label;
	int ret = issue_cert(jn, key, label, cert_id);
	/* the new household reads only what is sent from now on */
	if (ret == 0 && node_rekey_needed(jn->node))
		ret = node_rekey(jn->node);
	if (ret < 0)
		return ret;
	v->pending = false;
	char fp[FINGERPRINT_LEN];
	keytext_fingerprint(key, fp);
	log_msg(SLOG_INFO, "admitted %s (\"%s\")", fp, label);
	return invites_save(jn);
}

static void serve_request(struct join *jn, const uint8_t *rid, size_t rid_len, const char *user,
			  const uint8_t *buf, size_t len)
{
	struct joinmsg_request q;
	uint8_t curve[32], hash[32];
	char curve_hex[65];
	const uint8_t *key = q.key;
	const char *label = q.label;
	uint64_t now = (uint64_t)time(NULL);

	int rc = joinmsg_request_decode(buf, len, &q);
	if (rc == SAMEN_EINVAL) {
		join_reply(jn, rid, rid_len, JOINMSG_REFUSED, "label must be one line");
		return;
	}
	if (rc < 0) {
		join_reply(jn, rid, rid_len, JOINMSG_REFUSED, "malformed join request");
		return;
	}
	/* the key named must be the one that did the CURVE handshake */
	if (crypto_sign_ed25519_pk_to_curve25519(curve, key) != 0) {
		join_reply(jn, rid, rid_len, JOINMSG_REFUSED, "not a valid key");
		goto out;
	}
	sodium_bin2hex(curve_hex, sizeof(curve_hex), curve, 32);
	if (strcmp(curve_hex, user) != 0) {
		join_reply(jn, rid, rid_len, JOINMSG_REFUSED, "key does not match the connection");
		goto out;
	}
	crypto_generichash(hash, 32, q.secret, sizeof(q.secret), NULL, 0);
	struct invite *v = NULL;
	for (size_t i = 0; i < jn->n_invites; i++)
		if (sodium_memcmp(jn->invites[i].secret_hash, hash, 32) == 0)
			v = &jn->invites[i];
	if (!v || (!v->used && v->expires <= now)) {
		join_reply(jn, rid, rid_len, JOINMSG_REFUSED, "unknown or expired invite code");
		goto out;
	}
	if (v->used && memcmp(v->joiner, key, 32) != 0) {
		join_reply(jn, rid, rid_len, JOINMSG_REFUSED, "this invite has been used already");
		goto out;
	}
	if (!v->used) {
		v->used = true;
		v->pending = true;
		memcpy(v->joiner, key, 32);
		snprintf(v->joiner_label, sizeof(v->joiner_label), "%s", label);
		v->since = now;
		char fp[FINGERPRINT_LEN];
		keytext_fingerprint(key, fp);
		log_msg(SLOG_INFO, "invite redeemed by %s (\"%s\")%s", fp, label,
			v->preapproved ? ", pre-approved" : "; approve with 'samen approve'");
		if (v->preapproved) {
			uint8_t cert[32];
			if (join_approve(jn, key, cert) < 0) {
				join_reply(jn, rid, rid_len, JOINMSG_REFUSED,
					   "the coordinator could not issue a certificate");
				goto out;
			}
		} else if (invites_save(jn) < 0) {
			log_msg(SLOG_WARN, "cannot save invites");
		}
	}
	if (v->pending)
		join_reply(jn, rid, rid_len, JOINMSG_PENDING, NULL);
	else
		join_reply(jn, rid, rid_len, JOINMSG_MEMBER, NULL);
out:
	sodium_memzero(&q, sizeof(q));
}

void join_server_handle(struct join *jn)
{
	for (int budget = 0; budget < 16; budget++) {
		zmq_msg_t rid, body;
		int got = router_recv(jn->sock, &rid, &body);
		if (got == 0)
			return;
		if (got < 0)
			continue;
		const char *user = zmq_msg_gets(&body, "User-Id");
		if (user && jn->node->have_nbhd && node_my_role(jn->node) == ROLE_COORDINATOR)
			serve_request(jn, zmq_msg_data(&rid), zmq_msg_size(&rid), user,
				      zmq_msg_data(&body), zmq_msg_size(&body));
		zmq_msg_close(&rid);
		zmq_msg_close(&body);
	}
}

/* ---- the joining household's side ---- */

static int parse_code(const char *code, struct join_state *j)
{
	struct invite_code c;
	int ret = invite_decode(code, &c);
	if (ret < 0)
		return ret;
	memcpy(j->nbhd, c.nbhd, 32);
	memcpy(j->endpoint, c.endpoint, sizeof(j->endpoint));
	memcpy(j->server, c.server, 32);
	memcpy(j->secret, c.secret, sizeof(j->secret));
	j->expires = c.expires;
	sodium_memzero(&c, sizeof(c));
	return j->expires <= (uint64_t)time(NULL) ? SAMEN_EEXPIRED : 0;
}

static void send_request(struct join *jn)
{
	struct joinmsg_request q;
	struct mp_buf b;
	memcpy(q.secret, jn->joining.secret, sizeof(q.secret));
	memcpy(q.key, jn->node->id->pk, 32);
	snprintf(q.label, sizeof(q.label), "%s", jn->joining.label);
	mp_buf_init(&b);
	if (joinmsg_request_pack(&b, &q) == 0)
		zmq_send(jn->joining.sock, b.sb.data, b.sb.size, ZMQ_DONTWAIT);
	mp_buf_destroy(&b);
	sodium_memzero(&q, sizeof(q));
	jn->joining.next_try_ms = daemon_now_ms() + JOIN_RETRY_MS;
}

/* The waiting `samen join`, told what the coordinator answered (PROTOCOL.md
 * section 8, op join). */
static void answer_waiter(struct join *jn)
{
	struct mp_buf b;
	const struct join_state *j = &jn->joining;
	bool refused = strcmp(j->state, "refused") == 0, silent = strcmp(j->state, "asked") == 0;
	char text[ENDPOINT_MAX + 200];
	if (!j->waiter_len)
		return;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 3);
	mpmap_put_bool(&b.pk, "ok", !refused && !silent);
	if (refused) {
		mpmap_put_str(&b.pk, "code", ctl_errors[CTL_E_INVALID].name);
		snprintf(text, sizeof(text), "the coordinator refused the join: %s",
			 j->error[0] ? j->error : "no reason given");
		mpmap_put_str(&b.pk, "error", text);
	} else if (silent) {
		mpmap_put_str(&b.pk, "code", ctl_errors[CTL_E_NO_ANSWER].name);
		snprintf(text, sizeof(text), "the coordinator at %s has not answered in %d s",
			 j->endpoint, JOIN_ANSWER_WAIT_MS / 1000);
		mpmap_put_str(&b.pk, "error", text);
	} else {
		mpmap_put_str(&b.pk, "state", j->state);
		mpmap_put_str(&b.pk, "endpoint", j->endpoint);
	}
	if (zmq_send(j->waiter_sock, j->waiter, j->waiter_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
		zmq_send(j->waiter_sock, b.sb.data, b.sb.size, ZMQ_DONTWAIT);
	mp_buf_destroy(&b);
	jn->joining.waiter_len = 0;
}

void join_answer_later(struct join *jn, void *sock, const uint8_t *rid, size_t rid_len)
{
	if (rid_len > sizeof(jn->joining.waiter))
		return;
	jn->joining.waiter_sock = sock;
	memcpy(jn->joining.waiter, rid, rid_len);
	jn->joining.waiter_len = rid_len;
	jn->joining.waiter_until_ms = daemon_now_ms() + JOIN_ANSWER_WAIT_MS;
}

static void join_set_state(struct join *jn, const char *state)
{
	snprintf(jn->joining.state, sizeof(jn->joining.state), "%s", state);
	answer_waiter(jn);
}

static void join_done(struct join *jn, const char *state)
{
	join_set_state(jn, state);
	jn->joining.active = false;
	sodium_memzero(jn->joining.secret, sizeof(jn->joining.secret));
	if (jn->joining.sock)
		zmq_close(jn->joining.sock);
	jn->joining.sock = NULL;
}

int join_start(struct join *jn, const char *code, const char *label)
{
	struct join_state j;
	uint8_t server_curve[32];
	int ret;

	memset(&j, 0, sizeof(j));
	ret = parse_code(code, &j);
	if (ret < 0)
		return ret;
	if (crypto_sign_ed25519_pk_to_curve25519(server_curve, j.server) != 0)
		return SAMEN_EINVAL;
	snprintf(j.label, sizeof(j.label), "%s", label);
	if (jn->joining.sock)
		zmq_close(jn->joining.sock);
	j.sock = zmq_socket(jn->zctx, ZMQ_DEALER);
	int64_t max = JOINMSG_MAX;
	int zero = 0;
	if (!j.sock || zmq_setsockopt(j.sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) ||
	    zmq_setsockopt(j.sock, ZMQ_LINGER, &zero, sizeof(zero)) ||
	    zmq_setsockopt(j.sock, ZMQ_CURVE_SERVERKEY, server_curve, 32) ||
	    zmq_setsockopt(j.sock, ZMQ_CURVE_PUBLICKEY, jn->node->id->curve_pk, 32) ||
	    zmq_setsockopt(j.sock, ZMQ_CURVE_SECRETKEY, jn->node->id->curve_sk, 32) ||
	    zmq_connect(j.sock, j.endpoint) != 0) {
		if (j.sock)
			zmq_close(j.sock);
		return -EIO;
	}
	j.active = true;
	snprintf(j.state, sizeof(j.state), "asked");
	answer_waiter(jn); /* an earlier `samen join` still waiting: told where it stood */
	jn->joining = j;
	sodium_memzero(&j, sizeof(j));
	send_request(jn);
	log_msg(SLOG_INFO, "joining through %s", jn->joining.endpoint);
	return 0;
}

static void welcome(struct join *jn, const struct joinmsg_reply *r)
{
	size_t stored = 0;
	if (node_set_nbhd(jn->node, jn->joining.nbhd) < 0) {
		log_msg(SLOG_ERR, "this store belongs to another neighbourhood; cannot join");
		join_done(jn, "refused");
		return;
	}
	/* in chunks: ingest sorts membership records first within a batch */
	int ret = node_ingest(jn->node, r->rec, r->rec_len, r->n_records, NULL, NULL);
	if (ret > 0)
		stored = (size_t)ret;
	net_zap_stale(jn->net);
	if (node_my_role(jn->node)) {
		char fp[FINGERPRINT_LEN];
		keytext_fingerprint(jn->node->nbhd, fp);
		log_msg(SLOG_INFO, "joined neighbourhood %s (%zu records)", fp, stored);
		join_done(jn, "member");
		gossip_publish_peer(jn->gossip);
	}
}

void join_client_handle(struct join *jn)
{
	for (;;) {
		zmq_msg_t body;
		struct joinmsg_reply r = {0};
		zmq_msg_init(&body);
		if (!jn->joining.sock || zmq_msg_recv(&body, jn->joining.sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&body);
			return;
		}
		int rc = joinmsg_reply_decode(zmq_msg_data(&body), zmq_msg_size(&body), &r);
		if (rc < 0) {
			log_msg(SLOG_WARN, "join: unreadable answer from the coordinator: %s",
				samen_strerror(rc));
		} else if (memcmp(r.nbhd, jn->joining.nbhd, 32) != 0) {
			log_msg(SLOG_WARN, "join: the answer is for another neighbourhood; ignored");
		} else if (r.state == JOINMSG_MEMBER) {
			welcome(jn, &r);
		} else if (r.state == JOINMSG_REFUSED) {
			log_msg(SLOG_ERR, "join refused: %s", r.error[0] ? r.error : "no reason given");
			snprintf(jn->joining.error, sizeof(jn->joining.error), "%s", r.error);
			join_done(jn, "refused");
		} else {
			log_msg(SLOG_DEBUG, "join pending approval");
			join_set_state(jn, "pending");
		}
		joinmsg_reply_free(&r);
		zmq_msg_close(&body);
	}
}

void join_tick(struct join *jn, uint64_t now_ms)
{
	if (jn->joining.waiter_len && now_ms >= jn->joining.waiter_until_ms)
		answer_waiter(jn); /* still "asked": no answer yet */
	if (!jn->joining.active || now_ms < jn->joining.next_try_ms)
		return;
	if (jn->joining.expires + 3600 < (uint64_t)time(NULL) && strcmp(jn->joining.state, "member") != 0) {
		log_msg(SLOG_WARN, "gave up joining: the invite expired without approval");
		snprintf(jn->joining.error, sizeof(jn->joining.error), "the invite expired without approval");
		join_done(jn, "refused");
		return;
	}
	send_request(jn);
}
