/* SPDX-License-Identifier: EUPL-1.2 */
#include "json.h"
#include "mp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>


/* The escape for code point cp, or NULL if it is written as it is. */
static const char *short_escape(uint32_t cp)
{
	switch (cp) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\t': return "\\t";
	case '\r': return "\\r";
	case '\b': return "\\b";
	case '\f': return "\\f";
	default: return NULL;
	}
}

static bool needs_u_escape(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
	       cp == 0x2029;
}

int json_escape(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0; /* s[run..i) is pending plain output */

	if (fputc('"', f) == EOF)
		return -EIO;
	while (i < len) {
		uint32_t cp;
		size_t n = mp_utf8_decode(s + i, len - i, &cp);
		if (n == 0)
			return SAMEN_EMALFORMED;
		const char *esc = short_escape(cp);
		if (!esc && !needs_u_escape(cp)) {
			i += n;
			continue;
		}
		if (i > run && fwrite(s + run, 1, i - run, f) != i - run)
			return -EIO;
		if (esc ? fputs(esc, f) == EOF : fprintf(f, "\\u%04" PRIx32, cp) < 0)
			return -EIO;
		i += n;
		run = i;
	}
	if (i > run && fwrite(s + run, 1, i - run, f) != i - run)
		return -EIO;
	return fputc('"', f) == EOF ? -EIO : 0;
}

static int write_hex(FILE *f, const unsigned char *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	if (fputc('"', f) == EOF)
		return -EIO;
	for (size_t i = 0; i < len; i++)
		if (fputc(digits[p[i] >> 4], f) == EOF || fputc(digits[p[i] & 15], f) == EOF)
			return -EIO;
	return fputc('"', f) == EOF ? -EIO : 0;
}

static int write_value(FILE *f, const msgpack_object *o, unsigned depth);

static int write_array(FILE *f, const msgpack_object_array *a, unsigned depth)
{
	int r;

	if (fputc('[', f) == EOF)
		return -EIO;
	for (uint32_t i = 0; i < a->size; i++) {
		if (i && fputc(',', f) == EOF)
			return -EIO;
		if ((r = write_value(f, &a->ptr[i], depth)) < 0)
			return r;
	}
	return fputc(']', f) == EOF ? -EIO : 0;
}

static int write_map(FILE *f, const msgpack_object_map *m, unsigned depth)
{
	int r;

	if (fputc('{', f) == EOF)
		return -EIO;
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object *k = &m->ptr[i].key;
		if (k->type != MSGPACK_OBJECT_STR)
			return SAMEN_EMALFORMED;
		if (i && fputc(',', f) == EOF)
			return -EIO;
		if ((r = json_escape(f, k->via.str.ptr, k->via.str.size)) < 0)
			return r;
		if (fputc(':', f) == EOF)
			return -EIO;
		if ((r = write_value(f, &m->ptr[i].val, depth)) < 0)
			return r;
	}
	return fputc('}', f) == EOF ? -EIO : 0;
}

static int write_value(FILE *f, const msgpack_object *o, unsigned depth)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return fputs("null", f) == EOF ? -EIO : 0;
	case MSGPACK_OBJECT_BOOLEAN:
		return fputs(o->via.boolean ? "true" : "false", f) == EOF ? -EIO : 0;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return fprintf(f, "%" PRIu64, o->via.u64) < 0 ? -EIO : 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return fprintf(f, "%" PRId64, o->via.i64) < 0 ? -EIO : 0;
	case MSGPACK_OBJECT_STR:
		return json_escape(f, o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_BIN:
		return write_hex(f, (const unsigned char *)o->via.bin.ptr, o->via.bin.size);
	case MSGPACK_OBJECT_ARRAY:
		if (depth >= JSON_MAX_DEPTH)
			return SAMEN_EDEPTH;
		return write_array(f, &o->via.array, depth + 1);
	case MSGPACK_OBJECT_MAP:
		if (depth >= JSON_MAX_DEPTH)
			return SAMEN_EDEPTH;
		return write_map(f, &o->via.map, depth + 1);
	default:
		/* float32, float64, ext: never part of a samen message */
		return SAMEN_EMALFORMED;
	}
}

int json_write(FILE *f, const msgpack_object *o)
{
	return write_value(f, o, 0);
}
