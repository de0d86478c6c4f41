/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for the link decoder: any frame a peer could send goes
 * through link_decode(). A frame that decodes must describe itself within
 * bounds — a known type, at most LINK_RECORDS_MAX records, every borrowed
 * record, entry and id inside the frame, the advertised endpoint a
 * NUL-terminated text — and must survive a round trip: encoded again with
 * the link encoders, it decodes to the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../proto/link.h"
#include "../../proto/mp.h"
#include "../../proto/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct link_msg m, again;

static void inside(const uint8_t *p, size_t len, const uint8_t *data, size_t size)
{
	if (len && (p < data || p + len > data + size || len > size))
		__builtin_trap();
}

static int encode(const struct link_msg *x, struct mp_buf *b)
{
	int ret;
	switch (x->type) {
	case LINK_HELLO:
		return link_encode_hello(b, x->nbhd, x->hash, x->advertise);
	case LINK_RECORDS:
	case LINK_REPLY:
		ret = link_records_begin_type(b, x->type, x->n_records);
		for (size_t i = 0; ret == 0 && i < x->n_records; i++)
			ret = mp_pack_bin(&b->pk, x->rec[i], x->rec_len[i]);
		return ret;
	case LINK_VV_HASH:
		return link_encode_vv_hash(b, x->nbhd, x->hash);
	case LINK_VV:
	case LINK_SKIP:
		return link_encode_entries(b, x->type, x->nbhd, x->entries, x->n_entries);
	case LINK_IHAVE:
	case LINK_GRAFT:
		return link_encode_ids(b, x->type, x->nbhd, x->ids, x->n_ids);
	case LINK_PRUNE:
		return link_encode_prune(b, x->nbhd);
	default:
		__builtin_trap();
	}
}

static void same(const struct link_msg *a, const struct link_msg *b)
{
	if (a->type != b->type)
		__builtin_trap();
	switch (a->type) {
	case LINK_HELLO:
		if (a->version != b->version || strcmp(a->advertise, b->advertise) != 0)
			__builtin_trap();
		/* fall through */
	case LINK_VV_HASH:
		if (memcmp(a->hash, b->hash, 32) != 0)
			__builtin_trap();
		/* fall through */
	case LINK_PRUNE:
		if (memcmp(a->nbhd, b->nbhd, 32) != 0)
			__builtin_trap();
		break;
	case LINK_RECORDS:
	case LINK_REPLY:
		if (a->n_records != b->n_records)
			__builtin_trap();
		for (size_t i = 0; i < a->n_records; i++)
			if (a->rec_len[i] != b->rec_len[i] ||
			    memcmp(a->rec[i], b->rec[i], a->rec_len[i]) != 0)
				__builtin_trap();
		break;
	case LINK_VV:
	case LINK_SKIP:
		if (memcmp(a->nbhd, b->nbhd, 32) != 0 || a->n_entries != b->n_entries ||
		    memcmp(a->entries, b->entries, a->n_entries * link_entry_size(a->type)) != 0)
			__builtin_trap();
		break;
	case LINK_IHAVE:
	case LINK_GRAFT:
		if (memcmp(a->nbhd, b->nbhd, 32) != 0 || a->n_ids != b->n_ids ||
		    memcmp(a->ids, b->ids, a->n_ids * 32) != 0)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	msgpack_unpacked u, u2;
	int ret = link_decode(data, size, &u, &m);
	if (ret != 0) {
		if (ret != SAMEN_EMALFORMED && ret != SAMEN_ETOOBIG && ret != SAMEN_EDEPTH &&
		    ret != SAMEN_EVERSION && ret != SAMEN_EKIND)
			__builtin_trap();
		msgpack_unpacked_destroy(&u);
		return 0;
	}
	if (m.type < LINK_HELLO || m.type > LINK_REPLY)
		__builtin_trap();
	if (m.n_records > LINK_RECORDS_MAX || m.n_entries > LINK_VV_MAX || m.n_ids > LINK_IDS_MAX)
		__builtin_trap();
	for (size_t i = 0; i < m.n_records; i++) {
		if (m.rec_len[i] > RECORD_MAX)
			__builtin_trap();
		inside(m.rec[i], m.rec_len[i], data, size);
	}
	inside(m.entries, m.n_entries * link_entry_size(m.type), data, size);
	inside(m.ids, m.n_ids * 32, data, size);
	if (m.type == LINK_HELLO) {
		const char *end = memchr(m.advertise, '\0', sizeof(m.advertise));
		if (!end || !mp_text_ok(m.advertise, (size_t)(end - m.advertise)))
			__builtin_trap();
	}
	for (size_t i = 0; m.type == LINK_VV && i < m.n_entries; i++) {
		uint8_t author[32], back[LINK_VV_ENTRY];
		uint64_t v;
		link_entry(m.entries, i, author, &v);
		link_entry_put(back, 0, author, v);
		if (memcmp(back, m.entries + i * LINK_VV_ENTRY, LINK_VV_ENTRY) != 0)
			__builtin_trap();
	}
	for (size_t i = 0; m.type == LINK_SKIP && i < m.n_entries; i++) {
		uint8_t author[32], back[LINK_SKIP_ENTRY];
		uint64_t from, upto;
		link_skip_entry(m.entries, i, author, &from, &upto);
		link_skip_entry_put(back, 0, author, from, upto);
		if (memcmp(back, m.entries + i * LINK_SKIP_ENTRY, LINK_SKIP_ENTRY) != 0)
			__builtin_trap();
	}

	struct mp_buf b;
	mp_buf_init(&b);
	if (encode(&m, &b) != 0)
		__builtin_trap();
	if (link_decode((const uint8_t *)b.sb.data, b.sb.size, &u2, &again) != 0)
		__builtin_trap();
	same(&m, &again);
	msgpack_unpacked_destroy(&u2);
	mp_buf_destroy(&b);
	msgpack_unpacked_destroy(&u);
	return 0;
}
