/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * joinmsg.c — packing and strict decoding of the join exchange.
 */
#include "joinmsg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mpmap.h"

#define REQUEST_DEPTH 1
#define REPLY_DEPTH 2 /* answer map > records array */

static bool one_line(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	return n < cap && mp_text_ok(s, n) && !strpbrk(s, "\n\t");
}

int joinmsg_request_pack(struct mp_buf *b, const struct joinmsg_request *q)
{
	int e = 0;
	if (!one_line(q->label, sizeof(q->label)))
		return SAMEN_EINVAL;
	e |= msgpack_pack_map(&b->pk, 4);
	e |= mpmap_put_str(&b->pk, "op", "join");
	e |= mpmap_put_bin(&b->pk, "secret", q->secret, sizeof(q->secret));
	e |= mpmap_put_bin(&b->pk, "key", q->key, 32);
	e |= mpmap_put_str(&b->pk, "label", q->label);
	return e ? -ENOMEM : 0;
}

int joinmsg_request_decode(const uint8_t *buf, size_t len, struct joinmsg_request *q)
{
	static const char *const allowed[] = {"op", "secret", "key", "label", NULL};
	msgpack_unpacked u;
	char op[8];
	int ret;

	memset(q, 0, sizeof(*q));
	msgpack_unpacked_init(&u);
	ret = mp_unpack(buf, len, REQUEST_DEPTH, &u);
	if (ret < 0)
		goto out;
	ret = SAMEN_EMALFORMED;
	if (mpmap_check(&u.data, allowed, NULL, 0) < 0 ||
	    mpmap_str(&u.data, "op", op, sizeof(op)) < 0 || strcmp(op, "join") != 0 ||
	    mpmap_bin(&u.data, "secret", q->secret, sizeof(q->secret)) < 0 ||
	    mpmap_bin(&u.data, "key", q->key, 32) < 0 ||
	    (mpmap_find(&u.data, "label") &&
	     mpmap_str(&u.data, "label", q->label, sizeof(q->label)) < 0))
		goto out;
	ret = one_line(q->label, sizeof(q->label)) ? 0 : SAMEN_EINVAL;
out:
	msgpack_unpacked_destroy(&u);
	if (ret < 0)
		sodium_memzero(q, sizeof(*q));
	return ret;
}

const char *joinmsg_state_name(enum joinmsg_state s)
{
	switch (s) {
	case JOINMSG_PENDING: return "pending";
	case JOINMSG_MEMBER: return "member";
	case JOINMSG_REFUSED: return "refused";
	}
	return NULL;
}

static int state_parse(const char *name, enum joinmsg_state *out)
{
	for (enum joinmsg_state s = JOINMSG_PENDING; s <= JOINMSG_REFUSED; s++) {
		if (strcmp(name, joinmsg_state_name(s)) == 0) {
			*out = s;
			return 0;
		}
	}
	return SAMEN_EMALFORMED;
}

int joinmsg_reply_pack_head(msgpack_packer *pk, enum joinmsg_state state,
			    const uint8_t nbhd[32], const char *error, size_t n_records)
{
	const char *name = joinmsg_state_name(state);
	bool with_records = state == JOINMSG_MEMBER;
	int e = 0;

	if (!name || (error && !one_line(error, JOINMSG_ERROR_MAX + 1)) ||
	    (!with_records && n_records) || n_records > JOINMSG_RECORDS_MAX)
		return SAMEN_EINVAL;
	e |= msgpack_pack_map(pk, 2 + (error != NULL) + with_records);
	e |= mpmap_put_str(pk, "state", name);
	e |= mpmap_put_bin(pk, "nbhd", nbhd, 32);
	if (error)
		e |= mpmap_put_str(pk, "error", error);
	if (with_records) {
		e |= mpmap_put_key(pk, "records");
		e |= msgpack_pack_array(pk, n_records);
	}
	return e ? -ENOMEM : 0;
}

static int records(const msgpack_object *o, struct joinmsg_reply *r)
{
	if (!o || o->type != MSGPACK_OBJECT_ARRAY)
		return SAMEN_EMALFORMED;
	const msgpack_object_array *a = &o->via.array;
	if (a->size > JOINMSG_RECORDS_MAX)
		return SAMEN_ETOOBIG;
	r->rec = calloc(a->size ? a->size : 1, sizeof(*r->rec));
	r->rec_len = calloc(a->size ? a->size : 1, sizeof(*r->rec_len));
	if (!r->rec || !r->rec_len)
		return -ENOMEM;
	for (uint32_t i = 0; i < a->size; i++)
		if (mp_get_bin(&a->ptr[i], RECORD_MAX, 1, &r->rec[i], &r->rec_len[i]) < 0)
			return SAMEN_EMALFORMED;
	r->n_records = a->size;
	return 0;
}

int joinmsg_reply_decode(const uint8_t *buf, size_t len, struct joinmsg_reply *r)
{
	static const char *const allowed[] = {"state", "nbhd", "error", "records", NULL};
	msgpack_unpacked u;
	char state[16];
	int ret;

	joinmsg_reply_free(r);
	if (len > JOINMSG_MAX)
		return SAMEN_ETOOBIG;
	msgpack_unpacked_init(&u);
	ret = mp_unpack(buf, len, REPLY_DEPTH, &u);
	if (ret < 0)
		goto out;
	ret = SAMEN_EMALFORMED;
	if (mpmap_check(&u.data, allowed, NULL, 0) < 0 ||
	    mpmap_str(&u.data, "state", state, sizeof(state)) < 0 ||
	    state_parse(state, &r->state) < 0 || mpmap_bin(&u.data, "nbhd", r->nbhd, 32) < 0 ||
	    (mpmap_find(&u.data, "error") &&
	     (mpmap_str(&u.data, "error", r->error, sizeof(r->error)) < 0 ||
	      !one_line(r->error, sizeof(r->error)))))
		goto out;
	if (r->state == JOINMSG_MEMBER)
		ret = records(mpmap_find(&u.data, "records"), r);
	else
		ret = mpmap_find(&u.data, "records") ? SAMEN_EMALFORMED : 0;
out:
	msgpack_unpacked_destroy(&u);
	if (ret < 0) {
		/* keep the arrays for joinmsg_reply_free, drop the half-decoded fields */
		r->n_records = 0;
	}
	return ret;
}

void joinmsg_reply_free(struct joinmsg_reply *r)
{
	free(r->rec);
	free(r->rec_len);
	memset(r, 0, sizeof(*r));
}
