/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * store_walk.c — reading the store in order: by author and seq, by kind in
 * a neighbourhood, and from a relay cursor, all through one store_walk()
 * over an index inside a read transaction (store_vv() uses it too); and the
 * cursor high-water mark that numbers new records. Apart from store_env.c because these are how most of the
 * daemon reads the store (gossip, relay, control, views, purge), each with
 * a callback that runs inside the walk's transaction (store.h says what it
 * may call).
 */
#include "store_int.h"

#include <limits.h>

int store_cursor_hwm(store_t *st, MDB_txn *txn, uint64_t *out)
{
	uint8_t b[8];
	uint64_t hwm = 0;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	rc = get_exact(txn, st->db[DB_META], META_CURSOR, META_KEY_LEN(META_CURSOR), b, 8);
	if (rc == 0)
		hwm = get_u64(b);
	else if (rc != MDB_NOTFOUND)
		goto out;
	rc = mdb_cursor_open(txn, st->db[DB_DATA], &c);
	if (rc)
		goto out;
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == MDB_NOTFOUND) {
		rc = 0;
	} else if (rc == 0) {
		if (k.mv_size != 8)
			rc = SAMEN_ESTORE;
		else if (get_u64(k.mv_data) > hwm)
			hwm = get_u64(k.mv_data);
	}
out:
	if (c)
		mdb_cursor_close(c);
	if (rc == 0)
		*out = hwm;
	return rc;
}

/* The bytes of the record an id index entry points at; absent means
 * corrupt. */
static int rec_data(store_t *st, MDB_txn *txn, const void *id, MDB_val *out)
{
	uint8_t ckey[8];
	const uint8_t *held;
	int rc = get_exact(txn, st->db[DB_IDS], id, 32, ckey, 8);

	if (rc == 0)
		rc = store_data_at(st, txn, ckey, &held, out);
	if (rc == 0 && memcmp(held, id, 32) != 0)
		rc = SAMEN_ESTORE;
	return rc == MDB_NOTFOUND ? SAMEN_ESTORE : rc;
}

int store_walk(store_t *st, int db, const void *start, size_t start_len,
	       size_t prefix_len, size_t klen, visit_fn visit, void *ctx, int *stop)
{
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	MDB_val k = mval(start, start_len), v;
	int rc;

	*stop = 0;
	rc = store_begin(st, MDB_RDONLY, &txn);
	if (rc)
		goto out;
	rc = mdb_cursor_open(txn, st->db[db], &c);
	if (rc)
		goto out;
	for (rc = mdb_cursor_get(c, &k, &v, start_len ? MDB_SET_RANGE : MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < prefix_len || memcmp(k.mv_data, start, prefix_len) != 0)
			break;
		if (k.mv_size != klen) {
			rc = SAMEN_ESTORE;
			break;
		}
		rc = visit(st, txn, &k, &v, ctx, stop);
		if (rc || *stop)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	if (c)
		mdb_cursor_close(c);
	if (txn)
		mdb_txn_abort(txn);
	return rc;
}

struct author_walk {
	store_rec_fn fn;
	void *ctx;
};

static int visit_author(store_t *st, MDB_txn *txn, const MDB_val *k,
			const MDB_val *v, void *ctx, int *stop)
{
	struct author_walk *w = ctx;
	MDB_val data;
	int rc;

	if (v->mv_size != 32)
		return SAMEN_ESTORE;
	rc = rec_data(st, txn, v->mv_data, &data);
	if (rc == 0)
		*stop = w->fn(w->ctx, get_u64((const uint8_t *)k->mv_data + 32),
			      v->mv_data, data.mv_data, data.mv_size);
	return rc;
}

int store_each_by_author(store_t *st, const uint8_t author[32],
			 uint64_t after_seq, store_rec_fn fn, void *ctx)
{
	struct author_walk w = { fn, ctx };
	uint8_t start[SEQKEY_LEN];
	int stop, rc;

	if (!st || !author || !fn)
		return SAMEN_EINVAL;
	if (after_seq == UINT64_MAX)
		return 0;
	seq_key(start, author, after_seq + 1);
	rc = store_walk(st, DB_BYSEQ, start, sizeof(start), 32, SEQKEY_LEN,
			visit_author, &w, &stop);
	return stop ? stop : store_err(rc);
}

struct kind_walk {
	store_kind_fn fn;
	void *ctx;
};

static int visit_kind(store_t *st, MDB_txn *txn, const MDB_val *k,
		      const MDB_val *v, void *ctx, int *stop)
{
	struct kind_walk *w = ctx;
	const uint8_t *id;
	MDB_val data;
	int rc;

	(void)v;
	rc = store_data_at(st, txn, (const uint8_t *)k->mv_data + 33, &id, &data);
	if (rc == 0)
		*stop = w->fn(w->ctx, id, data.mv_data, data.mv_size);
	return rc == MDB_NOTFOUND ? SAMEN_ESTORE : rc;
}

int store_each_by_kind(store_t *st, const uint8_t nbhd[32], uint8_t kind,
		       store_kind_fn fn, void *ctx)
{
	struct kind_walk w = { fn, ctx };
	uint8_t start[33];
	int stop, rc;

	if (!st || !nbhd || !fn)
		return SAMEN_EINVAL;
	memcpy(start, nbhd, 32);
	start[32] = kind;
	rc = store_walk(st, DB_BYKIND, start, sizeof(start), sizeof(start), KINDKEY_LEN,
			visit_kind, &w, &stop);
	return stop ? stop : store_err(rc);
}

struct cursor_walk {
	store_cursor_fn fn;
	void *ctx;
	int count;
	int limit;
};

static int visit_cursor(store_t *st, MDB_txn *txn, const MDB_val *k,
			const MDB_val *v, void *ctx, int *stop)
{
	struct cursor_walk *w = ctx;
	const uint8_t *id;
	MDB_val data;
	int rc;

	(void)st, (void)txn;
	rc = split_data(v, &id, &data);
	if (rc)
		return rc;
	w->count++;
	*stop = w->fn(w->ctx, get_u64(k->mv_data), id, data.mv_data, data.mv_size);
	/* At the limit: MDB_NOTFOUND is what store_walk() treats as a clean end. */
	return w->count >= w->limit ? MDB_NOTFOUND : 0;
}

int store_each_from_cursor(store_t *st, uint64_t after, size_t limit,
			   store_cursor_fn fn, void *ctx)
{
	struct cursor_walk w = { fn, ctx, 0, INT_MAX };
	uint8_t start[8];
	int stop, rc;

	if (!st || !fn)
		return SAMEN_EINVAL;
	if (limit != 0 && limit < INT_MAX)
		w.limit = (int)limit;
	if (after == UINT64_MAX)
		return 0;
	put_u64(start, after + 1);
	rc = store_walk(st, DB_DATA, start, sizeof(start), 0, 8, visit_cursor, &w, &stop);
	if (stop)
		return stop;
	return rc ? store_err(rc) : w.count;
}

int store_last_cursor(store_t *st, uint64_t *out)
{
	MDB_txn *txn;
	int rc;

	if (!st || !out)
		return SAMEN_EINVAL;
	rc = store_begin(st, MDB_RDONLY, &txn);
	if (rc)
		return store_err(rc);
	rc = store_cursor_hwm(st, txn, out);
	mdb_txn_abort(txn);
	return store_err(rc);
}
