/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * store_txn.c — the store's transactions, under every other store file:
 * LMDB codes as samen's, beginning a transaction, committing one (durably,
 * or with its last flush deferred to store_sync()) and growing the map when
 * a commit finds it full, and reading and writing one record's data. It
 * calls no other part of the store.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>

int store_err(int rc)
{
	if (rc == 0)
		return 0;
	if (rc == MDB_MAP_FULL || rc == ENOSPC)
		return SAMEN_EFULL;
#ifdef EDQUOT
	if (rc == EDQUOT)
		return SAMEN_EFULL;
#endif
	if (rc == MDB_NOTFOUND)
		return SAMEN_ENOTFOUND;
	if (rc > 0)
		return -rc;
	if (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE)
		return SAMEN_ESTORE;
	return rc;
}


int store_data_at(store_t *st, MDB_txn *txn, const uint8_t *ckey, const uint8_t **id,
		  MDB_val *out)
{
	MDB_val k = mval(ckey, 8), v;
	int rc = mdb_get(txn, st->db[DB_DATA], &k, &v);

	return rc ? rc : split_data(&v, id, out);
}

int store_data_put(store_t *st, MDB_txn *txn, const uint8_t ckey[8], const uint8_t id[32],
		   const uint8_t *data, size_t len)
{
	MDB_val k = mval(ckey, 8), v = { .mv_size = 32 + len, .mv_data = NULL };
	/* MDB_APPEND: cursors only grow; a smaller key here means corruption. */
	int rc = mdb_put(txn, st->db[DB_DATA], &k, &v, MDB_APPEND | MDB_RESERVE);

	if (rc)
		return rc;
	memcpy(v.mv_data, id, 32);
	memcpy((uint8_t *)v.mv_data + 32, data, len);
	return 0;
}

int store_begin(store_t *st, unsigned flags, MDB_txn **txn)
{
	int rc = mdb_txn_begin(st->env, NULL, flags, txn);

	/* Another process grew the map: adopt its size and try once more. */
	if (rc == MDB_MAP_RESIZED) {
		rc = mdb_env_set_mapsize(st->env, 0);
		if (rc == 0)
			rc = mdb_txn_begin(st->env, NULL, flags, txn);
	}
	return rc;
}

static int grow_map(store_t *st)
{
	MDB_envinfo info;
	size_t next;
	int rc = mdb_env_info(st->env, &info);

	if (rc)
		return rc;
	if (info.me_mapsize >= st->max_map_size)
		return SAMEN_EFULL;
	next = info.me_mapsize > st->max_map_size / 2 ? st->max_map_size
						      : info.me_mapsize * 2;
	return mdb_env_set_mapsize(st->env, next);
}

/*
 * Runs fn in a write transaction and commits it. On a full map the whole
 * transaction is abandoned, the map doubled and fn run again from scratch,
 * so fn must derive everything from the database, not from an earlier try.
 * Terminates because each retry strictly grows the map up to the cap.
 *
 * A durable commit flushes the data pages, then writes the meta page that
 * makes them current with a synchronous write: on disk when it returns,
 * with every earlier deferred commit. A deferred one (MDB_NOMETASYNC, which
 * LMDB lets us switch per commit) flushes the data pages only: the meta
 * page follows with the next flush. A machine crash before that undoes the
 * commit, whole; the store is never left half-written.
 */
int store_commit(store_t *st, txn_fn fn, void *ctx, bool durable)
{
	for (;;) {
		MDB_txn *txn;
		int rc = durable ? 0 : mdb_env_set_flags(st->env, MDB_NOMETASYNC, 1);

		if (rc == 0)
			rc = store_begin(st, 0, &txn);
		if (rc) {
			if (!durable)
				(void)mdb_env_set_flags(st->env, MDB_NOMETASYNC, 0);
			return rc;
		}
		rc = fn(st, txn, ctx);
		if (rc)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn); /* frees txn even on failure */
		if (!durable)
			(void)mdb_env_set_flags(st->env, MDB_NOMETASYNC, 0);
		/* A durable commit flushes the earlier deferred ones with it, but
		 * one that changed nothing flushes nothing: only store_sync()
		 * clears this. */
		if (rc == 0 && !durable)
			st->unsynced = true;
		if (rc != MDB_MAP_FULL)
			return rc;
		rc = grow_map(st);
		if (rc)
			return rc;
	}
}

int store_write(store_t *st, txn_fn fn, void *ctx)
{
	return store_commit(st, fn, ctx, true);
}

