/* SPDX-License-Identifier: EUPL-1.2 */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notice.h"
#include "../proto/ctl.h"
#include "../proto/ctl_client.h"
#include "../proto/mp.h"
#include "../proto/mpmap.h"

#define CALL_MS 5000 /* as samen waits for a reply */
#define POLICY_FIELD_MAX 64 /* bytes of a policy key or value (samend's own bound) */

void api_refuse(struct api_reply *out, int status, const char *code, const char *text)
{
	struct mp_buf b;
	msgpack_unpacked u;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 3);
	mpmap_put_bool(&b.pk, "ok", false);
	mpmap_put_str(&b.pk, "code", code);
	mpmap_put_str(&b.pk, "error", text);
	msgpack_unpacked_init(&u);
	out->status = status;
	out->body = NULL;
	if (mp_unpack((const uint8_t *)b.sb.data, b.sb.size, 2, &u) == 0)
		out->body = notice_to_json(&u.data, &out->len);
	msgpack_unpacked_destroy(&u);
	mp_buf_destroy(&b);
	if (!out->body) {
		out->body = strdup("{\"ok\":false,\"code\":\"internal\",\"error\":\"out of memory\"}");
		out->len = out->body ? strlen(out->body) : 0;
		out->status = 500;
	}
}

static int status_for(const char *code, size_t len)
{
	switch (ctl_error_find(code, len)) {
	case CTL_E_INVALID: return 400;
	case CTL_E_NOT_MEMBER:
	case CTL_E_FORBIDDEN: return 403;
	case CTL_E_NOT_FOUND: return 404;
	case CTL_E_RATE_LIMITED: return 429;
	case CTL_E_FULL: return 507;
	case CTL_E_NO_ANSWER: return 504;
	default: return 500;
	}
}

/* A yes/no field: absent, "", "0" or "false" is no; "1", "on" or "true" is
 * yes; anything else is refused. */
static int flag(api_field_fn field, void *ctx, const char *name, bool *out)
{
	const char *v = field(ctx, name);
	if (!v || !*v || !strcmp(v, "0") || !strcmp(v, "false")) {
		*out = false;
		return 0;
	}
	if (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true")) {
		*out = true;
		return 0;
	}
	return -1;
}

/* Whether v is 1..max bytes, each of set: samend checks what they mean,
 * this keeps what reaches it short and plain. */
static bool plain(const char *v, size_t max, const char *set)
{
	size_t n = v ? strlen(v) : 0;
	return n > 0 && n <= max && strspn(v, set) == n;
}

/* Packs the request for op; -1 when a field is missing or malformed. */
static int pack(msgpack_packer *pk, const char *op, api_field_fn field, void *ctx)
{
	const char *id = field(ctx, "id"), *ref = field(ctx, "ref");
	bool called = false, share = false;

	if (!strcmp(op, "list") || !strcmp(op, "announcements") || !strcmp(op, "status") ||
	    !strcmp(op, "notify")) {
		msgpack_pack_map(pk, 1);
		return mpmap_put_str(pk, "op", op);
	}
	if (!strcmp(op, "show")) {
		if (!id)
			return -1;
		msgpack_pack_map(pk, 2);
		mpmap_put_str(pk, "op", op);
		return mpmap_put_str(pk, "id", id);
	}
	if (!strcmp(op, "send")) {
		const char *cat = field(ctx, "category"), *where = field(ctx, "where"),
			   *what = field(ctx, "description"), *status = field(ctx, "status");
		if (!cat || !where || !what || flag(field, ctx, "called112", &called) < 0 ||
		    flag(field, ctx, "share", &share) < 0)
			return -1;
		if (!status || !*status)
			status = "real";
		msgpack_pack_map(pk, 7);
		mpmap_put_str(pk, "op", op);
		mpmap_put_str(pk, "category", cat);
		mpmap_put_str(pk, "where", where);
		mpmap_put_str(pk, "description", what);
		mpmap_put_bool(pk, "called112", called);
		mpmap_put_bool(pk, "share", share);
		return mpmap_put_str(pk, "status", status);
	}
	if (!strcmp(op, "ack")) {
		const char *ack = field(ctx, "ack");
		if (!ref || !ack || (strcmp(ack, "112-called") && strcmp(ack, "looking")))
			return -1;
		msgpack_pack_map(pk, 3);
		mpmap_put_str(pk, "op", op);
		mpmap_put_str(pk, "ref", ref);
		return mpmap_put_str(pk, "ack", ack);
	}
	if (!strcmp(op, "resolve")) {
		if (!ref)
			return -1;
		msgpack_pack_map(pk, 2);
		mpmap_put_str(pk, "op", op);
		return mpmap_put_str(pk, "ref", ref);
	}
	if (!strcmp(op, "notify-set")) {
		/* keys like "break-in-attempt.all-clear", "*.112", "quiet"; values
		 * a level, "22:00-07:00", "off", "America/Port-au-Prince", "Etc/GMT+5" */
		const char *key = field(ctx, "key"), *value = field(ctx, "value");
		if (!plain(key, POLICY_FIELD_MAX, "abcdefghijklmnopqrstuvwxyz0123456789.*-") ||
		    !plain(value, POLICY_FIELD_MAX,
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_+/-"))
			return -1;
		msgpack_pack_map(pk, 3);
		mpmap_put_str(pk, "op", op);
		mpmap_put_str(pk, "key", key);
		return mpmap_put_str(pk, "value", value);
	}
	if (!strcmp(op, "seen")) {
		if (!plain(id, 64, "0123456789abcdef")) /* an id or its prefix */
			return -1;
		msgpack_pack_map(pk, 2);
		mpmap_put_str(pk, "op", op);
		return mpmap_put_str(pk, "id", id);
	}
	return -1;
}

/* One request to samend and its reply, unpacked into *u (msg keeps the
 * bytes u points into). Returns 0, or -ETIMEDOUT / another negative code
 * when samend did not answer or its reply is not a map. */
static int ask(const char *ctl_path, const struct mp_buf *req, zmq_msg_t *msg,
	       msgpack_unpacked *u)
{
	struct ctl *c = NULL;
	int r = ctl_open(&c, ctl_path, 2000);
	if (r == 0)
		r = ctl_send(c, req->sb.data, req->sb.size);
	if (r == 0)
		r = ctl_recv(c, CALL_MS, msg);
	ctl_close(&c);
	if (r < 0)
		return r;
	if (mp_unpack(zmq_msg_data(msg), zmq_msg_size(msg), 16, u) < 0 ||
	    u->data.type != MSGPACK_OBJECT_MAP)
		return SAMEN_EMALFORMED;
	return 0;
}

void api_call(const char *ctl_path, const char *op, api_field_fn field, void *ctx,
	      struct api_reply *out)
{
	struct mp_buf b;
	zmq_msg_t msg;
	msgpack_unpacked u;
	int r;

	mp_buf_init(&b);
	if (pack(&b.pk, op, field, ctx) < 0) {
		mp_buf_destroy(&b);
		api_refuse(out, 400, "invalid",
			   !strcmp(op, "notify-set") ? "key and value are each 1 to 64 bytes of letters, "
						       "digits and . * - : _ + /"
						     : "a field is missing or not of its form");
		return;
	}
	zmq_msg_init(&msg);
	msgpack_unpacked_init(&u);
	r = ask(ctl_path, &b, &msg, &u);
	mp_buf_destroy(&b);
	bool ok = false;
	const msgpack_object *code = NULL;
	out->body = NULL;
	if (r == 0 && mpmap_bool(&u.data, "ok", &ok) == 0) {
		code = mpmap_find(&u.data, "code");
		out->status = ok ? 200
			  : code && code->type == MSGPACK_OBJECT_STR
				  ? status_for(code->via.str.ptr, code->via.str.size)
				  : 500;
		out->body = notice_to_json(&u.data, &out->len);
	}
	msgpack_unpacked_destroy(&u);
	zmq_msg_close(&msg);
	if (r == -ETIMEDOUT || (r < 0 && r != SAMEN_EMALFORMED))
		api_refuse(out, r == -ETIMEDOUT ? 504 : 503, "no-answer",
			   r == -ETIMEDOUT ? "samend did not answer in time" : "samend is not running");
	else if (!out->body)
		api_refuse(out, 502, "internal", "samend's reply could not be read");
}

int api_own_key(const char *ctl_path, char *out, size_t cap)
{
	struct mp_buf b;
	zmq_msg_t msg;
	msgpack_unpacked u;
	bool ok = false;
	int r;

	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 1);
	mpmap_put_str(&b.pk, "op", "status");
	zmq_msg_init(&msg);
	msgpack_unpacked_init(&u);
	r = ask(ctl_path, &b, &msg, &u);
	mp_buf_destroy(&b);
	if (r == 0 && (mpmap_bool(&u.data, "ok", &ok) < 0 || !ok))
		r = SAMEN_EMALFORMED;
	if (r == 0 && mpmap_str(&u.data, "key", out, cap) < 0)
		r = SAMEN_EMALFORMED;
	msgpack_unpacked_destroy(&u);
	zmq_msg_close(&msg);
	if (r < 0 && cap)
		out[0] = '\0';
	return r;
}
