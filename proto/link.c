/* SPDX-License-Identifier: EUPL-1.2 */
#include "link.h"

#include <errno.h>
#include <string.h>

#include "record.h"

#define LINK_DEPTH 2 /* message array > records array */

int link_decode(const uint8_t *buf, size_t len, msgpack_unpacked *u, struct link_msg *m)
{
	const msgpack_object *f, *o;
	uint64_t type;
	int ret;

	msgpack_unpacked_init(u);
	m->type = 0;
	m->n_records = 0;
	m->n_entries = 0;
	m->n_ids = 0;
	if (len > LINK_MSG_MAX)
		return SAMEN_ETOOBIG;
	ret = mp_unpack(buf, len, LINK_DEPTH, u);
	if (ret < 0)
		return ret;
	o = &u->data;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 1)
		return SAMEN_EMALFORMED;
	f = o->via.array.ptr;
	if (mp_get_uint(&f[0], 255, &type))
		return SAMEN_EMALFORMED;
	m->type = (uint8_t)type;
	switch (type) {
	case LINK_HELLO:
		if (mp_get_array(o, 5, &f) || mp_get_uint(&f[1], UINT32_MAX, &m->version))
			return SAMEN_EMALFORMED;
		if (m->version != LINK_VERSION)
			return SAMEN_EVERSION;
		if (mp_get_bin_fixed(&f[2], m->nbhd, 32) || mp_get_bin_fixed(&f[3], m->hash, 32) ||
		    mp_get_str(&f[4], m->advertise, sizeof(m->advertise)))
			return SAMEN_EMALFORMED;
		return 0;
	case LINK_RECORDS:
	case LINK_REPLY: {
		if (mp_get_array(o, 2, &f) || f[1].type != MSGPACK_OBJECT_ARRAY)
			return SAMEN_EMALFORMED;
		const msgpack_object_array *a = &f[1].via.array;
		if (a->size > LINK_RECORDS_MAX)
			return SAMEN_ETOOBIG;
		for (uint32_t i = 0; i < a->size; i++) {
			if (mp_get_bin(&a->ptr[i], RECORD_MAX, 1, &m->rec[i], &m->rec_len[i]))
				return SAMEN_EMALFORMED;
		}
		m->n_records = a->size;
		return 0;
	}
	case LINK_VV_HASH:
		if (mp_get_array(o, 3, &f) || mp_get_bin_fixed(&f[1], m->nbhd, 32) ||
		    mp_get_bin_fixed(&f[2], m->hash, 32))
			return SAMEN_EMALFORMED;
		return 0;
	case LINK_VV:
	case LINK_SKIP: {
		size_t n, size = link_entry_size(m->type);
		if (mp_get_array(o, 3, &f) || mp_get_bin_fixed(&f[1], m->nbhd, 32) ||
		    mp_get_bin(&f[2], (size_t)LINK_VV_MAX * size, size, &m->entries, &n))
			return SAMEN_EMALFORMED;
		m->n_entries = n / size;
		return 0;
	}
	case LINK_IHAVE:
	case LINK_GRAFT: {
		size_t n;
		if (mp_get_array(o, 3, &f) || mp_get_bin_fixed(&f[1], m->nbhd, 32) ||
		    mp_get_bin(&f[2], (size_t)LINK_IDS_MAX * 32, 32, &m->ids, &n))
			return SAMEN_EMALFORMED;
		m->n_ids = n / 32;
		return 0;
	}
	case LINK_PRUNE:
		if (mp_get_array(o, 2, &f) || mp_get_bin_fixed(&f[1], m->nbhd, 32))
			return SAMEN_EMALFORMED;
		return 0;
	default:
		return SAMEN_EKIND;
	}
}

int link_encode_hello(struct mp_buf *b, const uint8_t nbhd[32], const uint8_t hash[32],
		      const char *advertise)
{
	int e = 0;
	e |= msgpack_pack_array(&b->pk, 5);
	e |= msgpack_pack_uint8(&b->pk, LINK_HELLO);
	e |= msgpack_pack_uint8(&b->pk, LINK_VERSION);
	e |= mp_pack_bin(&b->pk, nbhd, 32);
	e |= mp_pack_bin(&b->pk, hash, 32);
	e |= mp_pack_str(&b->pk, advertise ? advertise : "");
	return e ? -ENOMEM : 0;
}

int link_records_begin(struct mp_buf *b, size_t n)
{
	return link_records_begin_type(b, LINK_RECORDS, n);
}

int link_records_begin_type(struct mp_buf *b, uint8_t type, size_t n)
{
	int e = 0;
	if (n > LINK_RECORDS_MAX || (type != LINK_RECORDS && type != LINK_REPLY))
		return SAMEN_EINVAL;
	e |= msgpack_pack_array(&b->pk, 2);
	e |= msgpack_pack_uint8(&b->pk, type);
	e |= msgpack_pack_array(&b->pk, (size_t)n);
	return e ? -ENOMEM : 0;
}

int link_encode_vv_hash(struct mp_buf *b, const uint8_t nbhd[32], const uint8_t hash[32])
{
	int e = 0;
	e |= msgpack_pack_array(&b->pk, 3);
	e |= msgpack_pack_uint8(&b->pk, LINK_VV_HASH);
	e |= mp_pack_bin(&b->pk, nbhd, 32);
	e |= mp_pack_bin(&b->pk, hash, 32);
	return e ? -ENOMEM : 0;
}

int link_encode_entries(struct mp_buf *b, uint8_t type, const uint8_t nbhd[32],
			const uint8_t *entries, size_t n)
{
	int e = 0;
	if (n > LINK_VV_MAX || (type != LINK_VV && type != LINK_SKIP))
		return SAMEN_EINVAL;
	e |= msgpack_pack_array(&b->pk, 3);
	e |= msgpack_pack_uint8(&b->pk, type);
	e |= mp_pack_bin(&b->pk, nbhd, 32);
	e |= mp_pack_bin(&b->pk, entries, n * link_entry_size(type));
	return e ? -ENOMEM : 0;
}

size_t link_entry_size(uint8_t type)
{
	return type == LINK_SKIP ? LINK_SKIP_ENTRY : LINK_VV_ENTRY;
}

static uint64_t get_u64be(const uint8_t *p)
{
	uint64_t v = 0;
	for (int k = 0; k < 8; k++)
		v = (v << 8) | p[k];
	return v;
}

static void put_u64be(uint8_t *p, uint64_t v)
{
	for (int k = 7; k >= 0; k--, v >>= 8)
		p[k] = (uint8_t)v;
}

void link_entry(const uint8_t *entries, size_t i, uint8_t author[32], uint64_t *value)
{
	const uint8_t *p = entries + i * LINK_VV_ENTRY;
	memcpy(author, p, 32);
	*value = get_u64be(p + 32);
}

void link_entry_put(uint8_t *entries, size_t i, const uint8_t author[32], uint64_t value)
{
	uint8_t *p = entries + i * LINK_VV_ENTRY;
	memcpy(p, author, 32);
	put_u64be(p + 32, value);
}

void link_skip_entry(const uint8_t *entries, size_t i, uint8_t author[32], uint64_t *from,
		     uint64_t *upto)
{
	const uint8_t *p = entries + i * LINK_SKIP_ENTRY;
	memcpy(author, p, 32);
	*from = get_u64be(p + 32);
	*upto = get_u64be(p + 40);
}

void link_skip_entry_put(uint8_t *entries, size_t i, const uint8_t author[32], uint64_t from,
			 uint64_t upto)
{
	uint8_t *p = entries + i * LINK_SKIP_ENTRY;
	memcpy(p, author, 32);
	put_u64be(p + 32, from);
	put_u64be(p + 40, upto);
}

int link_encode_ids(struct mp_buf *b, uint8_t type, const uint8_t nbhd[32], const uint8_t *ids,
		    size_t n)
{
	int e = 0;
	if (n > LINK_IDS_MAX || (type != LINK_IHAVE && type != LINK_GRAFT))
		return SAMEN_EINVAL;
	e |= msgpack_pack_array(&b->pk, 3);
	e |= msgpack_pack_uint8(&b->pk, type);
	e |= mp_pack_bin(&b->pk, nbhd, 32);
	e |= mp_pack_bin(&b->pk, ids, n * 32);
	return e ? -ENOMEM : 0;
}

int link_encode_prune(struct mp_buf *b, const uint8_t nbhd[32])
{
	int e = 0;
	e |= msgpack_pack_array(&b->pk, 2);
	e |= msgpack_pack_uint8(&b->pk, LINK_PRUNE);
	e |= mp_pack_bin(&b->pk, nbhd, 32);
	return e ? -ENOMEM : 0;
}
