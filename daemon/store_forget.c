/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * store_forget.c — taking records out: store_prune() (expired),
 * store_delete() (a retracted signal before its time) and store_forget()
 * (permanent records today's rules refuse). All three remove a record with
 * every index entry that still names it and keep the version vector, so
 * what is gone is not fetched again; one unindex() does it for all three.
 */
#include "store_int.h"

#include <limits.h>

/* Removes the record at cursor ckey and each index entry that still points
 * at it; val is its expiry entry's value. */
static int unindex(store_t *st, MDB_txn *txn, const uint8_t ckey[8],
		   const uint8_t val[EXPVAL_LEN], int *removed)
{
	uint8_t skey[SEQKEY_LEN], kkey[KINDKEY_LEN], id[32], held[32];
	MDB_val k = mval(ckey, 8), v;
	int rc;

	*removed = 0;
	rc = mdb_get(txn, st->db[DB_DATA], &k, &v);
	if (rc == 0) {
		if (v.mv_size <= 32)
			return SAMEN_ESTORE;
		memcpy(id, v.mv_data, 32);
		rc = mdb_del(txn, st->db[DB_DATA], &k, NULL);
		if (rc)
			return rc;
		*removed = 1;
		rc = get_exact(txn, st->db[DB_IDS], id, 32, held, 8);
		if (rc == 0 && memcmp(held, ckey, 8) == 0)
			rc = del(txn, st->db[DB_IDS], id, 32);
		if (rc && rc != MDB_NOTFOUND)
			return rc;
		memcpy(skey, val, SEQKEY_LEN); /* author seq */
		rc = get_exact(txn, st->db[DB_BYSEQ], skey, sizeof(skey), held, 32);
		if (rc == 0 && memcmp(held, id, 32) == 0)
			rc = del(txn, st->db[DB_BYSEQ], skey, sizeof(skey));
	}
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	memcpy(kkey, val + 40, 33); /* nbhd kind */
	memcpy(kkey + 33, ckey, 8);
	return del(txn, st->db[DB_BYKIND], kkey, sizeof(kkey));
}

struct prune {
	uint64_t now;
	int count;
};

static int prune_txn(store_t *st, MDB_txn *txn, void *ctx)
{
	struct prune *p = ctx;
	uint8_t key[EXPKEY_LEN], val[EXPVAL_LEN];
	MDB_cursor *c;
	MDB_val k, v;
	int removed, rc;

	p->count = 0;
	rc = mdb_cursor_open(txn, st->db[DB_EXPIRY], &c);
	if (rc)
		return rc;
	/* Always take the first entry: what we delete is always the smallest. */
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0) {
		if (k.mv_size != EXPKEY_LEN || v.mv_size != EXPVAL_LEN) {
			rc = SAMEN_ESTORE;
			break;
		}
		if (get_u64(k.mv_data) > p->now)
			break;
		/* Copy out: the pages behind k and v change as we delete. */
		memcpy(key, k.mv_data, sizeof(key));
		memcpy(val, v.mv_data, sizeof(val));
		rc = mdb_cursor_del(c, 0);
		if (rc == 0)
			rc = unindex(st, txn, key + 8, val, &removed);
		if (rc)
			break;
		if (removed && p->count < INT_MAX)
			p->count++;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_prune(store_t *st, uint64_t now)
{
	struct prune p = { now, 0 };
	int rc;

	if (!st)
		return SAMEN_EINVAL;
	rc = store_write(st, prune_txn, &p);
	return rc ? store_err(rc) : p.count;
}

struct delete_one {
	uint8_t id[32];
	uint64_t expires;
	int removed;
};

static int delete_txn(store_t *st, MDB_txn *txn, void *ctx)
{
	struct delete_one *d = ctx;
	uint8_t key[EXPKEY_LEN], val[EXPVAL_LEN];
	int rc;

	put_u64(key, d->expires);
	rc = get_exact(txn, st->db[DB_IDS], d->id, 32, key + 8, 8);
	if (rc)
		return rc;
	rc = get_exact(txn, st->db[DB_EXPIRY], key, sizeof(key), val, sizeof(val));
	if (rc)
		return rc;
	rc = del(txn, st->db[DB_EXPIRY], key, sizeof(key));
	if (rc == 0)
		rc = unindex(st, txn, key + 8, val, &d->removed);
	return rc;
}

struct forget {
	const struct store_rec *recs;
	size_t n;
	int removed;
};

/* Permanent records have no expiry entry: what unindex() needs comes from
 * the caller's description of each record instead. */
static int forget_txn(store_t *st, MDB_txn *txn, void *ctx)
{
	struct forget *f = ctx;
	uint8_t ckey[8], val[EXPVAL_LEN];
	int removed, rc;

	f->removed = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct store_rec *r = &f->recs[i];
		rc = get_exact(txn, st->db[DB_IDS], r->id, 32, ckey, 8);
		if (rc == MDB_NOTFOUND)
			continue;
		if (rc)
			return rc;
		memcpy(val, r->author, 32);
		put_u64(val + 32, r->seq);
		memcpy(val + 40, r->nbhd, 32);
		val[72] = r->kind;
		rc = unindex(st, txn, ckey, val, &removed);
		if (rc && rc != MDB_NOTFOUND)
			return rc;
		f->removed += removed;
	}
	return 0;
}

int store_forget(store_t *st, const struct store_rec *recs, size_t n)
{
	struct forget f = { recs, n, 0 };

	if (!st || (n && !recs))
		return SAMEN_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (recs[i].expires != 0)
			return SAMEN_EINVAL;
	int rc = store_write(st, forget_txn, &f);
	return rc ? store_err(rc) : f.removed;
}

int store_delete(store_t *st, const uint8_t id[32], uint64_t expires)
{
	struct delete_one d;
	int rc;

	if (!st || expires == 0)
		return SAMEN_EINVAL;
	memcpy(d.id, id, 32);
	d.expires = expires;
	d.removed = 0;
	rc = store_write(st, delete_txn, &d);
	if (rc == MDB_NOTFOUND)
		return SAMEN_ENOTFOUND;
	return rc ? store_err(rc) : 0;
}
