/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * submsg.c — encoding and strict decoding of the subscriber socket's
 * messages (submsg.h).
 */
#include "submsg.h"

#include <string.h>

#include "mpmap.h"
#include "record.h"

static int fail(const char **why, const char *text, int code)
{
	*why = text;
	return code;
}

/* A cursor: present, an unsigned integer, and one a store could reach. */
static int get_cursor(const msgpack_object *m, const char *key, uint64_t *out, const char **why)
{
	if (mpmap_uint(m, key, UINT64_MAX, out) < 0)
		return fail(why, "a cursor must be an unsigned integer", SAMEN_EMALFORMED);
	if (*out > SUBMSG_CURSOR_MAX)
		return fail(why, "a cursor beyond what any relay can hold", SAMEN_ETOOBIG);
	return 0;
}

static int get_record(const msgpack_object *m, const uint8_t **rec, size_t *len, const char **why)
{
	const msgpack_object *o = mpmap_find(m, "record");
	if (!o || mp_get_bin(o, RECORD_MAX, 1, rec, len) < 0 || *len == 0)
		return fail(why, "record must be 1 to 131072 bytes of bin", SAMEN_EMALFORMED);
	return 0;
}

/* Unpacks a map and checks its fields against allowed; *name receives the
 * value of key (the op or the type). */
static int open_map(const uint8_t *buf, size_t len, msgpack_unpacked *u, const char *key,
		    char *name, size_t cap, const char **why)
{
	if (mp_unpack(buf, len, SUBMSG_DEPTH, u) < 0 || u->data.type != MSGPACK_OBJECT_MAP)
		return fail(why, "not a msgpack map", SAMEN_EMALFORMED);
	if (mpmap_check(&u->data, NULL, NULL, 0) < 0)
		return fail(why, "keys must be distinct strings", SAMEN_EMALFORMED);
	if (mpmap_str(&u->data, key, name, cap) < 0)
		return fail(why, key[0] == 'o' ? "no op" : "no type", SAMEN_EMALFORMED);
	return 0;
}

static int fields(const msgpack_object *m, const char *const *allowed, const char **why)
{
	if (mpmap_check(m, allowed, NULL, 0) < 0)
		return fail(why, "a field this message does not take", SAMEN_EMALFORMED);
	return 0;
}

int submsg_req_decode(const uint8_t *buf, size_t len, msgpack_unpacked *u,
		      struct submsg_req *out, const char **why)
{
	static const char *const f_sub[] = {"op", "from", "credit", NULL};
	static const char *const f_credit[] = {"op", "n", NULL};
	static const char *const f_ann[] = {"op", "record", NULL};
	char op[16];
	int ret;
	memset(out, 0, sizeof(*out));
	if ((ret = open_map(buf, len, u, "op", op, sizeof(op), why)) < 0)
		return ret;
	const msgpack_object *m = &u->data;
	if (!strcmp(op, "subscribe")) {
		out->op = SUBOP_SUBSCRIBE;
		if ((ret = fields(m, f_sub, why)) < 0 || (ret = get_cursor(m, "from", &out->from, why)) < 0)
			return ret;
		if (mpmap_uint(m, "credit", SUBMSG_CREDIT_MAX, &out->credit) < 0 || out->credit == 0)
			return fail(why, "credit must be 1 to 4096", SAMEN_EMALFORMED);
		return 0;
	}
	if (!strcmp(op, "credit")) {
		out->op = SUBOP_CREDIT;
		if ((ret = fields(m, f_credit, why)) < 0)
			return ret;
		if (mpmap_uint(m, "n", SUBMSG_CREDIT_MAX, &out->n) < 0 || out->n == 0)
			return fail(why, "n must be 1 to 4096", SAMEN_EMALFORMED);
		return 0;
	}
	if (!strcmp(op, "announce")) {
		out->op = SUBOP_ANNOUNCE;
		if ((ret = fields(m, f_ann, why)) < 0)
			return ret;
		return get_record(m, &out->record, &out->record_len, why);
	}
	return fail(why, "unknown op", SAMEN_EMALFORMED);
}

int submsg_reply_decode(const uint8_t *buf, size_t len, msgpack_unpacked *u,
			struct submsg_reply *out, const char **why)
{
	static const char *const f_rec[] = {"type", "cursor", "record", NULL};
	static const char *const f_mem[] = {"type", "record", NULL};
	static const char *const f_cu[] = {"type", "cursor", NULL};
	static const char *const f_res[] = {"type", "ok", "error", "code", NULL};
	char type[16];
	int ret;
	memset(out, 0, sizeof(*out));
	if ((ret = open_map(buf, len, u, "type", type, sizeof(type), why)) < 0)
		return ret;
	const msgpack_object *m = &u->data;
	if (!strcmp(type, "record")) {
		out->type = SUBMSG_RECORD;
		if ((ret = fields(m, f_rec, why)) < 0 ||
		    (ret = get_cursor(m, "cursor", &out->cursor, why)) < 0)
			return ret;
		return get_record(m, &out->record, &out->record_len, why);
	}
	if (!strcmp(type, "member")) {
		out->type = SUBMSG_MEMBER;
		if ((ret = fields(m, f_mem, why)) < 0)
			return ret;
		return get_record(m, &out->record, &out->record_len, why);
	}
	if (!strcmp(type, "caught-up")) {
		out->type = SUBMSG_CAUGHT_UP;
		if ((ret = fields(m, f_cu, why)) < 0)
			return ret;
		return get_cursor(m, "cursor", &out->cursor, why);
	}
	if (strcmp(type, "result") != 0 && strcmp(type, "error") != 0)
		return fail(why, "unknown type", SAMEN_EMALFORMED);
	out->type = type[0] == 'r' ? SUBMSG_RESULT : SUBMSG_ERROR;
	if ((ret = fields(m, f_res, why)) < 0)
		return ret;
	if (mpmap_bool(m, "ok", &out->ok) < 0 ||
	    mpmap_str(m, "error", out->error, sizeof(out->error)) < 0)
		return fail(why, "ok must be a bool and error a text of under 256 bytes",
			    SAMEN_EMALFORMED);
	ret = mpmap_str(m, "code", out->code, sizeof(out->code));
	if (ret == SAMEN_ENOTFOUND)
		out->code[0] = '\0';
	else if (ret < 0 || out->type == SUBMSG_RESULT)
		return fail(why, "code is a short text, only on an error", SAMEN_EMALFORMED);
	return 0;
}

/* ---- encoders ---- */

int submsg_pack_subscribe(struct mp_buf *b, uint64_t from, uint64_t credit)
{
	msgpack_pack_map(&b->pk, 3);
	mpmap_put_str(&b->pk, "op", "subscribe");
	mpmap_put_uint(&b->pk, "from", from);
	return mpmap_put_uint(&b->pk, "credit", credit);
}

int submsg_pack_credit(struct mp_buf *b, uint64_t n)
{
	msgpack_pack_map(&b->pk, 2);
	mpmap_put_str(&b->pk, "op", "credit");
	return mpmap_put_uint(&b->pk, "n", n);
}

int submsg_pack_announce(struct mp_buf *b, const uint8_t *rec, size_t len)
{
	msgpack_pack_map(&b->pk, 2);
	mpmap_put_str(&b->pk, "op", "announce");
	return mpmap_put_bin(&b->pk, "record", rec, len);
}

int submsg_pack_record(struct mp_buf *b, uint64_t cursor, const uint8_t *rec, size_t len)
{
	msgpack_pack_map(&b->pk, 3);
	mpmap_put_str(&b->pk, "type", "record");
	mpmap_put_uint(&b->pk, "cursor", cursor);
	return mpmap_put_bin(&b->pk, "record", rec, len);
}

int submsg_pack_member(struct mp_buf *b, const uint8_t *rec, size_t len)
{
	msgpack_pack_map(&b->pk, 2);
	mpmap_put_str(&b->pk, "type", "member");
	return mpmap_put_bin(&b->pk, "record", rec, len);
}

int submsg_pack_caught_up(struct mp_buf *b, uint64_t cursor)
{
	msgpack_pack_map(&b->pk, 2);
	mpmap_put_str(&b->pk, "type", "caught-up");
	return mpmap_put_uint(&b->pk, "cursor", cursor);
}

int submsg_pack_result(struct mp_buf *b, bool ok, const char *verdict)
{
	msgpack_pack_map(&b->pk, 3);
	mpmap_put_str(&b->pk, "type", "result");
	mpmap_put_bool(&b->pk, "ok", ok);
	return mpmap_put_str(&b->pk, "error", verdict);
}

int submsg_pack_error(struct mp_buf *b, const char *text, const char *code)
{
	msgpack_pack_map(&b->pk, code ? 4 : 3);
	mpmap_put_str(&b->pk, "type", "error");
	mpmap_put_bool(&b->pk, "ok", false);
	if (code)
		mpmap_put_str(&b->pk, "code", code);
	return mpmap_put_str(&b->pk, "error", text);
}
