/* SPDX-License-Identifier: EUPL-1.2 */
#include "request.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/mpmap.h"

static void note(struct req *r, int e)
{
	if (e && !r->err)
		r->err = -ENOMEM;
	if (!e)
		r->n++;
}

void req_init(struct req *r, const char *op)
{
	mp_buf_init(&r->fields);
	r->n = 0;
	r->err = 0;
	req_str(r, "op", op);
}

void req_destroy(struct req *r)
{
	mp_buf_destroy(&r->fields);
}

void req_str(struct req *r, const char *key, const char *val)
{
	note(r, mpmap_put_str(&r->fields.pk, key, val));
}

void req_uint(struct req *r, const char *key, uint64_t val)
{
	note(r, mpmap_put_uint(&r->fields.pk, key, val));
}

void req_int(struct req *r, const char *key, int64_t val)
{
	note(r, mpmap_put_int(&r->fields.pk, key, val));
}

void req_bool(struct req *r, const char *key, bool val)
{
	note(r, mpmap_put_bool(&r->fields.pk, key, val));
}

void req_strs(struct req *r, const char *key, const char *const *vals, size_t n)
{
	int e = mpmap_put_key(&r->fields.pk, key) ||
		msgpack_pack_array(&r->fields.pk, n);
	for (size_t i = 0; i < n && !e; i++)
		e = mp_pack_str(&r->fields.pk, vals[i]);
	note(r, e);
}

int req_finish(struct req *r, uint8_t **buf, size_t *len)
{
	struct mp_buf out;
	int ret = r->err;

	if (ret)
		return ret;
	mp_buf_init(&out);
	if (msgpack_pack_map(&out.pk, r->n) != 0 ||
	    (r->fields.sb.size &&
	     msgpack_sbuffer_write(&out.sb, r->fields.sb.data, r->fields.sb.size) != 0)) {
		mp_buf_destroy(&out);
		return -ENOMEM;
	}
	*buf = mp_buf_release(&out, len);
	return 0;
}
