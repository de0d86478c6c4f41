/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * receipt.c — see receipt.h.
 */
#include "receipt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "mp.h"

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static size_t sort_unique(uint8_t (*ids)[32], size_t n)
{
	size_t out = 0;
	qsort(ids, n, 32, cmp_id);
	for (size_t i = 0; i < n; i++)
		if (out == 0 || memcmp(ids[out - 1], ids[i], 32) != 0)
			memmove(ids[out++], ids[i], 32);
	return out;
}

void receipt_normalise(struct receipt *rc)
{
	rc->n_delivered = sort_unique(rc->delivered, rc->n_delivered);
	rc->n_seen = sort_unique(rc->seen, rc->n_seen);
}

static bool sorted_unique(const uint8_t (*ids)[32], size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (memcmp(ids[i - 1], ids[i], 32) >= 0)
			return false;
	return true;
}

static bool valid(const struct receipt *rc)
{
	return rc->n_delivered + rc->n_seen >= 1 &&
	       rc->n_delivered + rc->n_seen <= RECEIPT_IDS_MAX &&
	       sorted_unique((const uint8_t(*)[32])rc->delivered, rc->n_delivered) &&
	       sorted_unique((const uint8_t(*)[32])rc->seen, rc->n_seen);
}

int receipt_encode(const struct receipt *rc, uint8_t *out, size_t cap, size_t *len)
{
	if (!valid(rc))
		return SAMEN_EINVAL;
	struct mp_buf b;
	mp_buf_init(&b);
	int e = msgpack_pack_array(&b.pk, 3);
	e |= msgpack_pack_uint8(&b.pk, RECEIPT_KIND);
	e |= mp_pack_bin(&b.pk, rc->delivered, rc->n_delivered * 32);
	e |= mp_pack_bin(&b.pk, rc->seen, rc->n_seen * 32);
	int ret = e ? -ENOMEM : b.sb.size > cap ? SAMEN_EINVAL : 0;
	if (ret == 0) {
		memcpy(out, b.sb.data, b.sb.size);
		*len = b.sb.size;
	}
	mp_buf_destroy(&b);
	return ret;
}

int receipt_decode(const uint8_t *buf, size_t len, struct receipt *rc)
{
	msgpack_unpacked u;
	const msgpack_object *f;
	const uint8_t *d, *s;
	size_t nd, ns;
	uint64_t kind;
	int ret = SAMEN_EMALFORMED;

	memset(rc, 0, sizeof(*rc));
	msgpack_unpacked_init(&u);
	if (mp_unpack(buf, len, 2, &u) < 0 || mp_get_array(&u.data, 3, &f) ||
	    mp_get_uint(&f[0], 255, &kind) || kind != RECEIPT_KIND ||
	    mp_get_bin(&f[1], RECEIPT_IDS_MAX * 32, 32, &d, &nd) ||
	    mp_get_bin(&f[2], RECEIPT_IDS_MAX * 32, 32, &s, &ns))
		goto out;
	rc->n_delivered = nd / 32;
	rc->n_seen = ns / 32;
	if (rc->n_delivered + rc->n_seen > RECEIPT_IDS_MAX)
		goto out;
	memcpy(rc->delivered, d, nd);
	memcpy(rc->seen, s, ns);
	if (!valid(rc))
		goto out;
	/* canonical: the bytes are what receipt_encode() writes of it */
	uint8_t again[RECEIPT_IDS_MAX * 32 + 16];
	size_t again_len = 0;
	if (receipt_encode(rc, again, sizeof(again), &again_len) == 0 && again_len == len &&
	    memcmp(again, buf, len) == 0)
		ret = 0;
out:
	if (ret != 0)
		memset(rc, 0, sizeof(*rc));
	msgpack_unpacked_destroy(&u);
	return ret;
}
