/* SPDX-License-Identifier: EUPL-1.2 */
#include "mp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define MP_DEPTH_LIMIT 32

static uint64_t be_read(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Reads one object header at buf[*pos]. Sets *skip to the payload bytes that
 * follow the header (str/bin bodies) and *children to the number of objects
 * the header opens (array elements, or twice the map pairs).
 */
static int header(const uint8_t *buf, size_t len, size_t *pos, uint64_t *skip,
		  uint64_t *children)
{
	size_t p = *pos;
	uint8_t b = buf[p++];
	size_t extra = 0; /* size field bytes */
	*skip = 0;
	*children = 0;

	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
		/* fixint, nil, bool: nothing more */
	} else if (b >= 0x80 && b <= 0x8f) {
		*children = 2u * (b & 0x0f);
	} else if (b >= 0x90 && b <= 0x9f) {
		*children = b & 0x0f;
	} else if (b >= 0xa0 && b <= 0xbf) {
		*skip = b & 0x1f;
	} else {
		switch (b) {
		case 0xc4: case 0xd9: extra = 1; break;  /* bin8, str8 */
		case 0xc5: case 0xda: extra = 2; break;  /* bin16, str16 */
		case 0xc6: case 0xdb: extra = 4; break;  /* bin32, str32 */
		case 0xcc: case 0xd0: *skip = 1; break;
		case 0xcd: case 0xd1: *skip = 2; break;
		case 0xce: case 0xd2: *skip = 4; break;
		case 0xcf: case 0xd3: *skip = 8; break;
		case 0xdc: case 0xde: extra = 2; break;  /* array16, map16 */
		case 0xdd: case 0xdf: extra = 4; break;  /* array32, map32 */
		default:
			/* 0xc1, ext, fixext, float: never sent by samen */
			return SAMEN_EMALFORMED;
		}
		if (extra) {
			if (len - p < extra)
				return SAMEN_EMALFORMED;
			uint64_t n = be_read(buf + p, extra);
			p += extra;
			if (b == 0xdc || b == 0xdd)
				*children = n;
			else if (b == 0xde || b == 0xdf)
				*children = 2 * n;
			else
				*skip = n;
		}
	}
	if (*skip > len - p)
		return *skip > 8 ? SAMEN_ETOOBIG : SAMEN_EMALFORMED;
	*pos = p + (size_t)*skip;
	return 0;
}

int mp_check(const uint8_t *buf, size_t len, unsigned max_depth)
{
	uint64_t left[MP_DEPTH_LIMIT + 1];
	unsigned depth = 0;
	size_t pos = 0;

	if (!buf || len == 0)
		return SAMEN_EMALFORMED;
	if (max_depth > MP_DEPTH_LIMIT)
		max_depth = MP_DEPTH_LIMIT;
	left[0] = 1; /* exactly one top-level object */
	for (;;) {
		while (depth > 0 && left[depth] == 0)
			depth--;
		if (left[depth] == 0)
			break;
		if (pos >= len)
			return SAMEN_EMALFORMED;
		uint64_t skip, children;
		int r = header(buf, len, &pos, &skip, &children);
		if (r < 0)
			return r;
		left[depth]--;
		if (children == 0)
			continue;
		/* Every element takes at least one byte: a count larger than
		 * what remains is a lie, refused before anything allocates. */
		if (children > len - pos)
			return SAMEN_ETOOBIG;
		if (depth + 1 > max_depth)
			return SAMEN_EDEPTH;
		left[++depth] = children;
	}
	return pos == len ? 0 : SAMEN_EMALFORMED;
}

int mp_unpack(const uint8_t *buf, size_t len, unsigned max_depth, msgpack_unpacked *out)
{
	int r = mp_check(buf, len, max_depth);
	if (r < 0)
		return r;
	size_t off = 0;
	msgpack_unpack_return ur = msgpack_unpack_next(out, (const char *)buf, len, &off);
	if (ur == MSGPACK_UNPACK_NOMEM_ERROR)
		return -ENOMEM;
	if (ur != MSGPACK_UNPACK_SUCCESS || off != len)
		return SAMEN_EMALFORMED;
	return 0;
}

int mp_get_array(const msgpack_object *o, uint32_t n, const msgpack_object **items)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != n)
		return SAMEN_EMALFORMED;
	*items = o->via.array.ptr;
	return 0;
}

int mp_get_uint(const msgpack_object *o, uint64_t max, uint64_t *out)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return SAMEN_EMALFORMED;
	*out = o->via.u64;
	return 0;
}

int mp_get_int(const msgpack_object *o, int64_t min, int64_t max, int64_t *out)
{
	int64_t v;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > (uint64_t)INT64_MAX)
			return SAMEN_EMALFORMED;
		v = (int64_t)o->via.u64;
	} else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		v = o->via.i64;
	} else {
		return SAMEN_EMALFORMED;
	}
	if (v < min || v > max)
		return SAMEN_EMALFORMED;
	*out = v;
	return 0;
}

int mp_get_bool(const msgpack_object *o, bool *out)
{
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return SAMEN_EMALFORMED;
	*out = o->via.boolean;
	return 0;
}

int mp_get_bin_fixed(const msgpack_object *o, void *out, size_t len)
{
	if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != len)
		return SAMEN_EMALFORMED;
	memcpy(out, o->via.bin.ptr, len);
	return 0;
}

int mp_get_bin(const msgpack_object *o, size_t max, size_t unit, const uint8_t **ptr,
	       size_t *len)
{
	if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size > max || unit == 0 ||
	    o->via.bin.size % unit != 0)
		return SAMEN_EMALFORMED;
	/* msgpack-c gives a NULL pointer for an empty bin; callers may memcpy 0 bytes */
	*ptr = o->via.bin.size ? (const uint8_t *)o->via.bin.ptr : (const uint8_t *)"";
	*len = o->via.bin.size;
	return 0;
}

size_t mp_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned c = s[0];
	size_t n;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, v = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, v = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, v = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[k] & 0x3f);
	}
	if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* C1 controls are refused with C0 and DEL because text travels on to
 * consumers that do not filter it (JSON readers, hooks, logs), and a
 * terminal takes U+009B as CSI just as it takes ESC [. */
bool mp_text_ok(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = mp_utf8_decode(s + i, len - i, &cp);
		if (n == 0 || cp == 0 || (cp < 0x20 && cp != '\n' && cp != '\t') ||
		    (cp >= 0x7f && cp <= 0x9f))
			return false;
		i += n;
	}
	return true;
}

int mp_get_str(const msgpack_object *o, char *out, size_t cap)
{
	if (o->type != MSGPACK_OBJECT_STR || cap == 0 || o->via.str.size >= cap)
		return SAMEN_EMALFORMED;
	if (!mp_text_ok(o->via.str.ptr, o->via.str.size))
		return SAMEN_EMALFORMED;
	/* msgpack-c gives a NULL pointer for an empty string */
	if (o->via.str.size)
		memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return 0;
}

void mp_buf_init(struct mp_buf *b)
{
	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

void mp_buf_destroy(struct mp_buf *b)
{
	if (b->sb.data)
		sodium_memzero(b->sb.data, b->sb.alloc);
	msgpack_sbuffer_destroy(&b->sb);
	msgpack_sbuffer_init(&b->sb);
}

uint8_t *mp_buf_release(struct mp_buf *b, size_t *len)
{
	*len = b->sb.size;
	return (uint8_t *)msgpack_sbuffer_release(&b->sb);
}

int mp_pack_bin(msgpack_packer *pk, const void *p, size_t len)
{
	if (msgpack_pack_bin(pk, len) != 0)
		return -ENOMEM;
	if (len && msgpack_pack_bin_body(pk, p, len) != 0)
		return -ENOMEM;
	return 0;
}

int mp_pack_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);
	if (msgpack_pack_str(pk, len) != 0)
		return -ENOMEM;
	if (len && msgpack_pack_str_body(pk, s, len) != 0)
		return -ENOMEM;
	return 0;
}
