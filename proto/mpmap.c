/* SPDX-License-Identifier: EUPL-1.2 */
#include "mpmap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mp.h"

static bool key_is(const msgpack_object *k, const char *key)
{
	size_t n = strlen(key);
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
	       memcmp(k->via.str.ptr, key, n) == 0;
}

static void say_bad(char *bad, size_t cap, const char *what, const msgpack_object *k)
{
	if (!bad || !cap)
		return;
	if (k && k->type == MSGPACK_OBJECT_STR && mp_text_ok(k->via.str.ptr, k->via.str.size))
		snprintf(bad, cap, "%s '%.*s'", what, (int)(k->via.str.size > 64 ? 64 : k->via.str.size),
			 k->via.str.ptr);
	else
		snprintf(bad, cap, "%s", what);
}

int mpmap_check(const msgpack_object *o, const char *const *allowed, char *bad, size_t cap)
{
	if (o->type != MSGPACK_OBJECT_MAP) {
		say_bad(bad, cap, "not a map", NULL);
		return SAMEN_EMALFORMED;
	}
	const msgpack_object_kv *kv = o->via.map.ptr;
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &kv[i].key;
		if (k->type != MSGPACK_OBJECT_STR) {
			say_bad(bad, cap, "a key that is not a string", NULL);
			return SAMEN_EMALFORMED;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (kv[j].key.via.str.size == k->via.str.size &&
			    memcmp(kv[j].key.via.str.ptr, k->via.str.ptr, k->via.str.size) == 0) {
				say_bad(bad, cap, "duplicate field", k);
				return SAMEN_EMALFORMED;
			}
		}
		if (!allowed)
			continue;
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = key_is(k, *a);
		if (!ok) {
			say_bad(bad, cap, "unknown field", k);
			return SAMEN_EMALFORMED;
		}
	}
	return 0;
}

const msgpack_object *mpmap_find(const msgpack_object *o, const char *key)
{
	if (o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < o->via.map.size; i++)
		if (key_is(&o->via.map.ptr[i].key, key))
			return &o->via.map.ptr[i].val;
	return NULL;
}

#define FIND_OR_RETURN(v, o, key)                  \
	const msgpack_object *v = mpmap_find(o, key); \
	if (!v)                                       \
		return SAMEN_ENOTFOUND

int mpmap_str(const msgpack_object *o, const char *key, char *out, size_t cap)
{
	FIND_OR_RETURN(v, o, key);
	return mp_get_str(v, out, cap);
}

int mpmap_uint(const msgpack_object *o, const char *key, uint64_t max, uint64_t *out)
{
	FIND_OR_RETURN(v, o, key);
	return mp_get_uint(v, max, out);
}

int mpmap_int(const msgpack_object *o, const char *key, int64_t min, int64_t max, int64_t *out)
{
	FIND_OR_RETURN(v, o, key);
	return mp_get_int(v, min, max, out);
}

int mpmap_bool(const msgpack_object *o, const char *key, bool *out)
{
	FIND_OR_RETURN(v, o, key);
	return mp_get_bool(v, out);
}

int mpmap_bin(const msgpack_object *o, const char *key, void *out, size_t len)
{
	FIND_OR_RETURN(v, o, key);
	return mp_get_bin_fixed(v, out, len);
}

int mpmap_put_key(msgpack_packer *pk, const char *key)
{
	return mp_pack_str(pk, key);
}

int mpmap_put_str(msgpack_packer *pk, const char *key, const char *val)
{
	return mp_pack_str(pk, key) || mp_pack_str(pk, val) ? -ENOMEM : 0;
}

int mpmap_put_uint(msgpack_packer *pk, const char *key, uint64_t val)
{
	return mp_pack_str(pk, key) || msgpack_pack_uint64(pk, val) ? -ENOMEM : 0;
}

int mpmap_put_int(msgpack_packer *pk, const char *key, int64_t val)
{
	return mp_pack_str(pk, key) || msgpack_pack_int64(pk, val) ? -ENOMEM : 0;
}

int mpmap_put_bool(msgpack_packer *pk, const char *key, bool val)
{
	if (mp_pack_str(pk, key))
		return -ENOMEM;
	return (val ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) ? -ENOMEM : 0;
}

int mpmap_put_bin(msgpack_packer *pk, const char *key, const void *p, size_t len)
{
	return mp_pack_str(pk, key) || mp_pack_bin(pk, p, len) ? -ENOMEM : 0;
}
