/* SPDX-License-Identifier: EUPL-1.2 */
#include "fields.h"

#include <string.h>

#include "../proto/mpmap.h"

int field_bad(struct out *o, const char *field)
{
	o->bad = field;
	return SAMEN_EMALFORMED;
}

bool text_is(struct text t, const char *s)
{
	size_t n = strlen(s);
	return t.n == n && memcmp(t.p, s, n) == 0;
}

int field_str(struct out *o, const msgpack_object *m, const char *key, struct text *t)
{
	const msgpack_object *v = mpmap_find(m, key);
	if (!v || v->type != MSGPACK_OBJECT_STR)
		return field_bad(o, key);
	t->p = v->via.str.ptr;
	t->n = v->via.str.size;
	return 0;
}

/* Absent is fine (empty text); present must be a string. */
int field_opt_str(struct out *o, const msgpack_object *m, const char *key, struct text *t)
{
	t->p = "";
	t->n = 0;
	return mpmap_find(m, key) ? field_str(o, m, key, t) : 0;
}

int field_uint(struct out *o, const msgpack_object *m, const char *key, uint64_t *v)
{
	return mpmap_uint(m, key, UINT64_MAX, v) == 0 ? 0 : field_bad(o, key);
}

int field_bool(struct out *o, const msgpack_object *m, const char *key, bool *v)
{
	return mpmap_bool(m, key, v) == 0 ? 0 : field_bad(o, key);
}

int field_array(struct out *o, const msgpack_object *m, const char *key,
		      const msgpack_object_array **a)
{
	const msgpack_object *v = mpmap_find(m, key);
	if (!v || v->type != MSGPACK_OBJECT_ARRAY)
		return field_bad(o, key);
	*a = &v->via.array;
	return 0;
}

/* A name given as a string, or as its number (mapped through name()). */
int field_name(struct out *o, const msgpack_object *m, const char *key,
		     const char *(*name)(unsigned), struct text *t)
{
	const msgpack_object *v = mpmap_find(m, key);
	if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && name) {
		t->p = name(v->via.u64 > 255 ? 0 : (unsigned)v->via.u64);
		t->n = strlen(t->p);
		return 0;
	}
	return field_str(o, m, key, t);
}

/* A record id: 64 lowercase hex characters. */
bool text_is_id(const msgpack_object *v)
{
	if (v->type != MSGPACK_OBJECT_STR || v->via.str.size != 64)
		return false;
	for (size_t i = 0; i < 64; i++) {
		char c = v->via.str.ptr[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

int field_id(struct out *o, const msgpack_object *m, const char *key, struct text *t)
{
	const msgpack_object *v = mpmap_find(m, key);
	if (!v || !text_is_id(v))
		return field_bad(o, key);
	t->p = v->via.str.ptr;
	t->n = v->via.str.size;
	return 0;
}

const char *field_role_name(unsigned v)
{
	static const char *const t[] = {"unknown", "member", "coordinator", "relay", "authority"};
	return v < sizeof(t) / sizeof(t[0]) ? t[v] : "unknown";
}
