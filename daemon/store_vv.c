/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * store_vv.c — the version vector: per author, how far its records are held
 * without a gap (contig) and the highest held (max). Kept apart from the
 * records because its rules are about trust, not storage: a SKIP may move
 * contig only as far as something the author signed (the clamp), and
 * store_vv_repair() undoes what unclamped SKIPs once did.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>

static int vv_read(store_t *st, MDB_txn *txn, const uint8_t author[32],
		   uint64_t *contig, uint64_t *max)
{
	uint8_t b[VV_LEN];
	int rc = get_exact(txn, st->db[DB_VV], author, 32, b, VV_LEN);

	*contig = *max = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc == 0) {
		*contig = get_u64(b);
		*max = get_u64(b + 8);
	}
	return rc;
}

static int vv_write(store_t *st, MDB_txn *txn, const uint8_t author[32],
		    uint64_t contig, uint64_t max)
{
	uint8_t b[VV_LEN];

	put_u64(b, contig);
	put_u64(b + 8, max);
	return put(txn, st->db[DB_VV], author, 32, b, VV_LEN, 0);
}

/* Moves *contig over every stored seq that directly follows it. */
static int vv_advance(store_t *st, MDB_txn *txn, const uint8_t author[32],
		      uint64_t *contig)
{
	uint8_t key[SEQKEY_LEN];
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if (*contig == UINT64_MAX)
		return 0;
	seq_key(key, author, *contig + 1);
	k = mval(key, sizeof(key));
	rc = mdb_cursor_open(txn, st->db[DB_BYSEQ], &c);
	if (rc)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0) {
		if (k.mv_size != SEQKEY_LEN) {
			rc = SAMEN_ESTORE;
			break;
		}
		if (memcmp(k.mv_data, author, 32) != 0 ||
		    get_u64((const uint8_t *)k.mv_data + 32) != *contig + 1)
			break;
		if (++*contig == UINT64_MAX)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_vv_note(store_t *st, MDB_txn *txn, const uint8_t author[32], uint64_t seq)
{
	uint64_t contig, max;
	int rc = vv_read(st, txn, author, &contig, &max);

	if (rc)
		return rc;
	if (seq > max)
		max = seq;
	/* seq is already in byseq, so advancing walks over it and beyond. */
	if (seq == contig + 1) {
		rc = vv_advance(st, txn, author, &contig);
		if (rc)
			return rc;
	}
	return vv_write(st, txn, author, contig, max);
}

struct vv_list {
	struct store_vv_entry *arr;
	size_t count, cap;
};

static int visit_vv(store_t *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		    void *ctx, int *stop)
{
	struct vv_list *l = ctx;
	struct store_vv_entry *grown;

	(void)st, (void)txn, (void)stop;
	if (v->mv_size != VV_LEN)
		return SAMEN_ESTORE;
	if (l->count == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		grown = reallocarray(l->arr, l->cap, sizeof(*l->arr));
		if (!grown)
			return ENOMEM;
		l->arr = grown;
	}
	memcpy(l->arr[l->count].author, k->mv_data, 32);
	l->arr[l->count].contig = get_u64(v->mv_data);
	l->arr[l->count].max = get_u64((const uint8_t *)v->mv_data + 8);
	l->count++;
	return 0;
}

int store_vv(store_t *st, struct store_vv_entry **entries, size_t *n)
{
	struct vv_list l = { NULL, 0, 0 };
	int stop, rc;

	if (!st || !entries || !n)
		return SAMEN_EINVAL;
	rc = store_walk(st, DB_VV, "", 0, 0, 32, visit_vv, &l, &stop);
	if (rc) {
		free(l.arr);
		return store_err(rc);
	}
	*entries = l.arr;
	*n = l.count;
	return 0;
}

int store_vv_get(store_t *st, const uint8_t author[32], struct store_vv_entry *out)
{
	MDB_txn *txn;
	int rc;

	if (!st || !author || !out)
		return SAMEN_EINVAL;
	rc = store_begin(st, MDB_RDONLY, &txn);
	if (rc)
		return store_err(rc);
	rc = vv_read(st, txn, author, &out->contig, &out->max);
	mdb_txn_abort(txn);
	memcpy(out->author, author, 32);
	return store_err(rc);
}

struct skip {
	const uint8_t *author;
	uint64_t from, upto;
	int flags;
};

/*
 * A gap is skipped only up to the highest seq of author stored here: that
 * record's signature proves the author used every number below it, so the
 * gap is one the peer cannot fill, not one it made up. Beyond it nothing
 * the author signed says the numbers exist, and believing a peer there
 * would let it end the author's stream for everyone.
 */
static int skip_txn(store_t *st, MDB_txn *txn, void *ctx)
{
	struct skip *s = ctx;
	uint64_t contig, max, upto = s->upto;
	int rc = vv_read(st, txn, s->author, &contig, &max);

	if (rc || contig < s->from)
		return rc;
	if (upto > max) {
		upto = max;
		s->flags |= STORE_SKIP_CLAMPED;
	}
	if (upto <= contig)
		return 0;
	contig = upto;
	rc = vv_advance(st, txn, s->author, &contig);
	if (rc)
		return rc;
	s->flags |= STORE_SKIP_MOVED;
	return vv_write(st, txn, s->author, contig, max);
}

int store_vv_skip(store_t *st, const uint8_t author[32], uint64_t from, uint64_t upto)
{
	struct skip s = { author, from, upto, 0 };

	if (!st || !author || from > upto)
		return SAMEN_EINVAL;
	int ret = store_err(store_write(st, skip_txn, &s));
	return ret < 0 ? ret : s.flags;
}

/*
 * Before SKIPs were bounded, a peer could move an author's contig past
 * anything the author signed (up to the largest number, ending its stream).
 * Such an entry is recounted from the start: contig covers exactly the run
 * of stored records from seq 1, and peers' SKIPs, bounded now, account for
 * the pruned gaps again.
 */
static int repair_txn(store_t *st, MDB_txn *txn, void *ctx)
{
	MDB_cursor *c;
	MDB_val k, v;
	int *repaired = ctx, rc;

	*repaired = 0;
	rc = mdb_cursor_open(txn, st->db[DB_VV], &c);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint8_t author[32];
		uint64_t contig = 0, max;
		/* a damaged entry is left for the reads to report */
		if (k.mv_size != 32 || v.mv_size != VV_LEN ||
		    get_u64(v.mv_data) <= get_u64((const uint8_t *)v.mv_data + 8))
			continue;
		memcpy(author, k.mv_data, 32);
		max = get_u64((const uint8_t *)v.mv_data + 8);
		rc = vv_advance(st, txn, author, &contig);
		if (rc == 0) {
			uint8_t b[VV_LEN];
			put_u64(b, contig);
			put_u64(b + 8, max);
			v = mval(b, VV_LEN);
			/* in place: the key stays, so the cursor stays valid */
			rc = mdb_cursor_put(c, &k, &v, MDB_CURRENT);
		}
		if (rc)
			break;
		(*repaired)++;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_vv_repair(store_t *st)
{
	int repaired = 0;

	if (!st)
		return SAMEN_EINVAL;
	int ret = store_err(store_write(st, repair_txn, &repaired));
	return ret < 0 ? ret : repaired;
}
