/* SPDX-License-Identifier: EUPL-1.2 */
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mp.h"

#define BODY_FIELDS 7
#define BODY_DEPTH 2     /* body array > payload array */
#define ENVELOPE_DEPTH 1

/* ---- field ranges, shared by the encoder and the decoder ---- */

static bool text_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	return n <= max && mp_text_ok(s, n);
}

/* Labels and endpoints are shown on one line: no newline or tab in them, so
 * a label cannot forge a second line of output. */
static bool line_ok(const char *s, size_t max)
{
	return text_ok(s, max) && !strpbrk(s, "\n\t");
}

static int payload_valid(const struct record *r)
{
	switch (r->kind) {
	case REC_CERT: {
		const struct rec_cert *c = &r->u.cert;
		if (c->role < ROLE_MEMBER || c->role > ROLE_AUTHORITY ||
		    c->not_before >= c->not_after || !line_ok(c->label, LABEL_MAX))
			return SAMEN_EINVAL;
		return 0;
	}
	case REC_REVOCATION:
		if (r->u.rev.scope > REVOKE_CASCADE || !text_ok(r->u.rev.reason, REASON_MAX))
			return SAMEN_EINVAL;
		return 0;
	case REC_EPOCH:
		if (r->u.epoch.number == 0 || r->u.epoch.n_entries == 0 ||
		    r->u.epoch.n_entries > EPOCH_MEMBERS_MAX || !r->u.epoch.entries)
			return SAMEN_EINVAL;
		return 0;
	case REC_PEER:
		if (!line_ok(r->u.peer.endpoint, ENDPOINT_MAX) || r->u.peer.endpoint[0] == '\0')
			return SAMEN_EINVAL;
		return 0;
	case REC_SIGNAL: {
		const struct rec_signal *s = &r->u.signal;
		if (s->ct_len < crypto_aead_xchacha20poly1305_ietf_ABYTES ||
		    s->ct_len > SIGNAL_CT_MAX || !s->ct || s->n_sealed > SIGNAL_AUTH_MAX ||
		    (s->n_sealed && !s->sealed))
			return SAMEN_EINVAL;
		return 0;
	}
	case REC_RETRACTION:
		return text_ok(r->u.retraction.reason, REASON_MAX) ? 0 : SAMEN_EINVAL;
	case REC_ANNOUNCE: {
		const struct rec_announce *a = &r->u.announce;
		if (a->kind < ANNOUNCE_LOOKOUT || a->kind > ANNOUNCE_INFO ||
		    !text_ok(a->text, TEXT_MAX) || a->text[0] == '\0' ||
		    !text_ok(a->where, WHERE_MAX))
			return SAMEN_EINVAL;
		return 0;
	}
	default:
		return SAMEN_EKIND;
	}
}

/* ---- encoding ---- */

static int payload_pack(msgpack_packer *pk, const struct record *r)
{
	int e = 0;
	switch (r->kind) {
	case REC_CERT: {
		const struct rec_cert *c = &r->u.cert;
		e |= msgpack_pack_array(pk, 5);
		e |= mp_pack_bin(pk, c->subject, 32);
		e |= msgpack_pack_uint8(pk, c->role);
		e |= mp_pack_str(pk, c->label);
		e |= msgpack_pack_uint64(pk, c->not_before);
		e |= msgpack_pack_uint64(pk, c->not_after);
		break;
	}
	case REC_REVOCATION:
		e |= msgpack_pack_array(pk, r->u.rev.has_upto ? 4 : 3);
		e |= mp_pack_bin(pk, r->u.rev.subject, 32);
		e |= msgpack_pack_uint8(pk, r->u.rev.scope);
		e |= mp_pack_str(pk, r->u.rev.reason);
		if (r->u.rev.has_upto)
			e |= msgpack_pack_uint64(pk, r->u.rev.upto);
		break;
	case REC_EPOCH:
		e |= msgpack_pack_array(pk, 2);
		e |= msgpack_pack_uint64(pk, r->u.epoch.number);
		e |= mp_pack_bin(pk, r->u.epoch.entries, r->u.epoch.n_entries * KEY_ENTRY_LEN);
		break;
	case REC_PEER:
		e |= msgpack_pack_array(pk, 2);
		e |= mp_pack_str(pk, r->u.peer.endpoint);
		e |= msgpack_pack_uint64(pk, r->u.peer.expires);
		break;
	case REC_SIGNAL: {
		const struct rec_signal *s = &r->u.signal;
		e |= msgpack_pack_array(pk, 7);
		e |= mp_pack_bin(pk, s->epoch_id, 32);
		e |= msgpack_pack_uint64(pk, s->expires);
		e |= mp_pack_bin(pk, s->nonce, 24);
		e |= mp_pack_bin(pk, s->ct, s->ct_len);
		e |= mp_pack_bin(pk, s->wrap_nonce, 24);
		e |= mp_pack_bin(pk, s->wrapped, 48);
		e |= mp_pack_bin(pk, s->sealed, s->n_sealed * KEY_ENTRY_LEN);
		break;
	}
	case REC_RETRACTION:
		e |= msgpack_pack_array(pk, 2);
		e |= mp_pack_bin(pk, r->u.retraction.target, 32);
		e |= mp_pack_str(pk, r->u.retraction.reason);
		break;
	case REC_ANNOUNCE: {
		const struct rec_announce *a = &r->u.announce;
		e |= msgpack_pack_array(pk, 4);
		e |= msgpack_pack_uint8(pk, a->kind);
		e |= mp_pack_str(pk, a->text);
		e |= mp_pack_str(pk, a->where);
		e |= msgpack_pack_uint64(pk, a->expires);
		break;
	}
	default:
		return SAMEN_EKIND;
	}
	return e ? -ENOMEM : 0;
}

static int body_pack(msgpack_packer *pk, const struct record *r)
{
	int e = 0;
	e |= msgpack_pack_array(pk, BODY_FIELDS);
	e |= msgpack_pack_uint8(pk, RECORD_VERSION);
	e |= msgpack_pack_uint8(pk, r->kind);
	e |= mp_pack_bin(pk, r->nbhd, 32);
	e |= mp_pack_bin(pk, r->author, 32);
	e |= msgpack_pack_uint64(pk, r->seq);
	e |= msgpack_pack_uint64(pk, r->created);
	if (e)
		return -ENOMEM;
	return payload_pack(pk, r);
}

static int envelope_pack(msgpack_packer *pk, const uint8_t *body, size_t body_len,
			 const uint8_t sig[64])
{
	int e = 0;
	e |= msgpack_pack_array(pk, 2);
	e |= mp_pack_bin(pk, body, body_len);
	e |= mp_pack_bin(pk, sig, 64);
	return e ? -ENOMEM : 0;
}

/*
 * Ed25519 over prefix || body. libsodium's detached API signs one buffer;
 * rather than copy the body behind the prefix we build the message in a
 * stack buffer when it fits and fall back to the heap.
 */
static int sig_message(const uint8_t *body, size_t body_len, uint8_t **msg, size_t *msg_len,
		       uint8_t *stackbuf, size_t stackcap)
{
	size_t n = RECORD_SIG_PREFIX_LEN + body_len;
	uint8_t *m = n <= stackcap ? stackbuf : malloc(n);
	if (!m)
		return -ENOMEM;
	memcpy(m, RECORD_SIG_PREFIX, RECORD_SIG_PREFIX_LEN);
	memcpy(m + RECORD_SIG_PREFIX_LEN, body, body_len);
	*msg = m;
	*msg_len = n;
	return 0;
}

int record_sign(struct record *r, const uint8_t sk[64], uint8_t **out, size_t *out_len)
{
	struct mp_buf body, env;
	uint8_t stackbuf[4096], *msg = NULL;
	size_t msg_len = 0;
	int ret;

	if (r->seq == 0 || sodium_memcmp(sk + 32, r->author, 32) != 0)
		return SAMEN_EINVAL;
	ret = payload_valid(r);
	if (ret < 0)
		return ret;
	mp_buf_init(&body);
	mp_buf_init(&env);
	ret = body_pack(&body.pk, r);
	if (ret < 0)
		goto out;
	ret = sig_message((const uint8_t *)body.sb.data, body.sb.size, &msg, &msg_len,
			  stackbuf, sizeof(stackbuf));
	if (ret < 0)
		goto out;
	crypto_sign_detached(r->sig, NULL, msg, msg_len, sk);
	ret = envelope_pack(&env.pk, (const uint8_t *)body.sb.data, body.sb.size, r->sig);
	if (ret < 0)
		goto out;
	if (env.sb.size > RECORD_MAX) {
		ret = SAMEN_ETOOBIG;
		goto out;
	}
	*out = mp_buf_release(&env, out_len);
	record_id(*out, *out_len, r->id);
	/* The envelope is [array-header, bin-header, body, bin-header, sig]:
	 * the body ends 66 bytes before the end (bin8 header + 64). */
	r->body_len = body.sb.size;
	r->body = *out + (*out_len - 66 - r->body_len);
	ret = 0;
out:
	if (msg && msg != stackbuf)
		free(msg);
	mp_buf_destroy(&body);
	mp_buf_destroy(&env);
	return ret;
}

/* ---- decoding ---- */

static int payload_unpack(const msgpack_object *o, struct record *r)
{
	const msgpack_object *f;
	uint64_t v;
	size_t n;
	int e = 0;

	switch (r->kind) {
	case REC_CERT: {
		struct rec_cert *c = &r->u.cert;
		if (mp_get_array(o, 5, &f))
			return SAMEN_EMALFORMED;
		e |= mp_get_bin_fixed(&f[0], c->subject, 32);
		e |= mp_get_uint(&f[1], ROLE_AUTHORITY, &v);
		c->role = (uint8_t)v;
		e |= mp_get_str(&f[2], c->label, sizeof(c->label));
		e |= mp_get_uint(&f[3], UINT64_MAX, &c->not_before);
		e |= mp_get_uint(&f[4], UINT64_MAX, &c->not_after);
		break;
	}
	case REC_REVOCATION:
		/* the 0.1.0 form has no bound; both forms are canonical */
		r->u.rev.has_upto = o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 4;
		if (mp_get_array(o, r->u.rev.has_upto ? 4 : 3, &f))
			return SAMEN_EMALFORMED;
		e |= mp_get_bin_fixed(&f[0], r->u.rev.subject, 32);
		e |= mp_get_uint(&f[1], REVOKE_CASCADE, &v);
		r->u.rev.scope = (uint8_t)v;
		e |= mp_get_str(&f[2], r->u.rev.reason, sizeof(r->u.rev.reason));
		if (r->u.rev.has_upto)
			e |= mp_get_uint(&f[3], UINT64_MAX, &r->u.rev.upto);
		else
			r->u.rev.upto = 0;
		break;
	case REC_EPOCH:
		if (mp_get_array(o, 2, &f))
			return SAMEN_EMALFORMED;
		e |= mp_get_uint(&f[0], UINT64_MAX, &r->u.epoch.number);
		e |= mp_get_bin(&f[1], EPOCH_MEMBERS_MAX * KEY_ENTRY_LEN, KEY_ENTRY_LEN,
				&r->u.epoch.entries, &n);
		r->u.epoch.n_entries = n / KEY_ENTRY_LEN;
		break;
	case REC_PEER:
		if (mp_get_array(o, 2, &f))
			return SAMEN_EMALFORMED;
		e |= mp_get_str(&f[0], r->u.peer.endpoint, sizeof(r->u.peer.endpoint));
		e |= mp_get_uint(&f[1], UINT64_MAX, &r->u.peer.expires);
		break;
	case REC_SIGNAL: {
		struct rec_signal *s = &r->u.signal;
		if (mp_get_array(o, 7, &f))
			return SAMEN_EMALFORMED;
		e |= mp_get_bin_fixed(&f[0], s->epoch_id, 32);
		e |= mp_get_uint(&f[1], UINT64_MAX, &s->expires);
		e |= mp_get_bin_fixed(&f[2], s->nonce, 24);
		e |= mp_get_bin(&f[3], SIGNAL_CT_MAX, 1, &s->ct, &s->ct_len);
		e |= mp_get_bin_fixed(&f[4], s->wrap_nonce, 24);
		e |= mp_get_bin_fixed(&f[5], s->wrapped, 48);
		e |= mp_get_bin(&f[6], SIGNAL_AUTH_MAX * KEY_ENTRY_LEN, KEY_ENTRY_LEN,
				&s->sealed, &n);
		s->n_sealed = n / KEY_ENTRY_LEN;
		break;
	}
	case REC_RETRACTION:
		if (mp_get_array(o, 2, &f))
			return SAMEN_EMALFORMED;
		e |= mp_get_bin_fixed(&f[0], r->u.retraction.target, 32);
		e |= mp_get_str(&f[1], r->u.retraction.reason, sizeof(r->u.retraction.reason));
		break;
	case REC_ANNOUNCE: {
		struct rec_announce *a = &r->u.announce;
		if (mp_get_array(o, 4, &f))
			return SAMEN_EMALFORMED;
		e |= mp_get_uint(&f[0], ANNOUNCE_INFO, &v);
		a->kind = (uint8_t)v;
		e |= mp_get_str(&f[1], a->text, sizeof(a->text));
		e |= mp_get_str(&f[2], a->where, sizeof(a->where));
		e |= mp_get_uint(&f[3], UINT64_MAX, &a->expires);
		break;
	}
	default:
		return SAMEN_EKIND;
	}
	if (e)
		return SAMEN_EMALFORMED;
	return payload_valid(r) == 0 ? 0 : SAMEN_EMALFORMED;
}

static int body_unpack(const uint8_t *body, size_t len, struct record *r)
{
	msgpack_unpacked u;
	const msgpack_object *f;
	uint64_t v;
	int ret;

	msgpack_unpacked_init(&u);
	ret = mp_unpack(body, len, BODY_DEPTH, &u);
	if (ret < 0)
		goto out;
	ret = SAMEN_EMALFORMED;
	if (mp_get_array(&u.data, BODY_FIELDS, &f))
		goto out;
	if (mp_get_uint(&f[0], UINT64_MAX, &v))
		goto out;
	if (v != RECORD_VERSION) {
		ret = SAMEN_EVERSION;
		goto out;
	}
	if (mp_get_uint(&f[1], UINT64_MAX, &v))
		goto out;
	if (v < REC_CERT || v > REC_ANNOUNCE) {
		ret = SAMEN_EKIND;
		goto out;
	}
	r->kind = (uint8_t)v;
	if (mp_get_bin_fixed(&f[2], r->nbhd, 32) || mp_get_bin_fixed(&f[3], r->author, 32) ||
	    mp_get_uint(&f[4], UINT64_MAX, &r->seq) || r->seq == 0 ||
	    mp_get_uint(&f[5], UINT64_MAX, &r->created))
		goto out;
	ret = payload_unpack(&f[6], r);
out:
	msgpack_unpacked_destroy(&u);
	return ret;
}

/* Re-encodes what was decoded and requires the very same bytes. */
static int canonical(const struct record *r, const uint8_t *buf, size_t len)
{
	struct mp_buf b;
	int ret;

	mp_buf_init(&b);
	ret = body_pack(&b.pk, r);
	if (ret == 0 && (b.sb.size != r->body_len || memcmp(b.sb.data, r->body, r->body_len)))
		ret = SAMEN_EMALFORMED;
	if (ret == 0) {
		b.sb.size = 0;
		ret = envelope_pack(&b.pk, r->body, r->body_len, r->sig);
		if (ret == 0 && (b.sb.size != len || memcmp(b.sb.data, buf, len)))
			ret = SAMEN_EMALFORMED;
	}
	msgpack_sbuffer_destroy(&b.sb);
	return ret;
}

int record_decode(const uint8_t *buf, size_t len, struct record *r)
{
	msgpack_unpacked u;
	const msgpack_object *f;
	int ret;

	memset(r, 0, sizeof(*r));
	if (len > RECORD_MAX)
		return SAMEN_ETOOBIG;
	msgpack_unpacked_init(&u);
	ret = mp_unpack(buf, len, ENVELOPE_DEPTH, &u);
	if (ret < 0)
		goto out;
	ret = SAMEN_EMALFORMED;
	if (mp_get_array(&u.data, 2, &f) || f[0].type != MSGPACK_OBJECT_BIN ||
	    mp_get_bin_fixed(&f[1], r->sig, 64))
		goto out;
	r->body = (const uint8_t *)f[0].via.bin.ptr;
	r->body_len = f[0].via.bin.size;
	ret = body_unpack(r->body, r->body_len, r);
	if (ret < 0)
		goto out;
	ret = canonical(r, buf, len);
	if (ret < 0)
		goto out;
	record_id(buf, len, r->id);
out:
	msgpack_unpacked_destroy(&u);
	return ret;
}

int record_verify(const struct record *r)
{
	uint8_t stackbuf[4096], *msg = NULL;
	size_t msg_len;
	int ret = sig_message(r->body, r->body_len, &msg, &msg_len, stackbuf, sizeof(stackbuf));
	if (ret < 0)
		return ret;
	ret = crypto_sign_verify_detached(r->sig, msg, msg_len, r->author) == 0 ? 0
										 : SAMEN_EBADSIG;
	if (msg != stackbuf)
		free(msg);
	return ret;
}

int record_open(const uint8_t *buf, size_t len, struct record *r)
{
	int ret = record_decode(buf, len, r);
	return ret < 0 ? ret : record_verify(r);
}

void record_id(const uint8_t *buf, size_t len, uint8_t id[32])
{
	crypto_generichash(id, 32, buf, len, NULL, 0);
}

uint64_t record_expires(const struct record *r)
{
	switch (r->kind) {
	case REC_SIGNAL:
		return r->u.signal.expires;
	case REC_PEER:
		return r->u.peer.expires;
	case REC_ANNOUNCE:
		return r->u.announce.expires;
	case REC_CERT:
		return r->u.cert.not_after;
	default:
		return 0;
	}
}

const char *record_kind_name(unsigned kind)
{
	static const char *const names[] = {
		[REC_CERT] = "certificate", [REC_REVOCATION] = "revocation",
		[REC_EPOCH] = "epoch-key",  [REC_PEER] = "peer",
		[REC_SIGNAL] = "signal",    [REC_RETRACTION] = "retraction",
		[REC_ANNOUNCE] = "announcement",
	};
	return kind < sizeof(names) / sizeof(names[0]) && names[kind] ? names[kind] : "unknown";
}

static const char *const role_names[] = {
	[ROLE_MEMBER] = "member", [ROLE_COORDINATOR] = "coordinator",
	[ROLE_RELAY] = "relay", [ROLE_AUTHORITY] = "authority",
};

const char *record_role_name(unsigned role)
{
	return role >= ROLE_MEMBER && role <= ROLE_AUTHORITY ? role_names[role] : "unknown";
}

int record_role_parse(const char *name)
{
	for (int i = ROLE_MEMBER; i <= ROLE_AUTHORITY; i++)
		if (strcmp(name, role_names[i]) == 0)
			return i;
	return SAMEN_EINVAL;
}

static const char *const announce_names[] = {
	[ANNOUNCE_LOOKOUT] = "lookout", [ANNOUNCE_FOUND] = "found",
	[ANNOUNCE_ENROUTE] = "enroute", [ANNOUNCE_INFO] = "info",
};

const char *record_announce_kind_name(unsigned kind)
{
	return kind >= ANNOUNCE_LOOKOUT && kind <= ANNOUNCE_INFO ? announce_names[kind] : "unknown";
}

int record_announce_kind_parse(const char *name)
{
	for (int i = ANNOUNCE_LOOKOUT; i <= ANNOUNCE_INFO; i++)
		if (strcmp(name, announce_names[i]) == 0)
			return i;
	return SAMEN_EINVAL;
}
