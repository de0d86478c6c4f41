/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * store_env.c — the store's environment and its records: opening and closing
 * the LMDB environment, growing its map, committing (durably or deferred),
 * putting and getting records, and the small meta values. The rest of the
 * store (version vector, walks, conversion, deletion) lives in the other
 * store_*.c files, each built on the transaction helpers of store_txn.c,
 * which call nothing back; store_int.h says which file holds what.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static const char *const db_names[DB_COUNT] = {
	"ids", "data", "byseq", "vv", "kinds", "expiries", "meta",
};

#define DEFAULT_INITIAL_MAP ((size_t)16 << 20)
#define DEFAULT_MAX_MAP (SIZE_MAX > 0xffffffffu ? (size_t)4 << 30 : (size_t)1 << 30)

static size_t round_to_page(size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;

	if (n > SIZE_MAX - page)
		return n / page * page;
	return (n + page - 1) / page * page;
}

static int init_txn(store_t *st, MDB_txn *txn, void *ctx)
{
	uint8_t format = STORE_FORMAT;
	int rc;

	(void)ctx;
	for (int i = 0; i < DB_COUNT; i++) {
		rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &st->db[i]);
		if (rc)
			return rc;
	}
	rc = get_exact(txn, st->db[DB_META], META_FORMAT, META_KEY_LEN(META_FORMAT),
		       &format, 1);
	if (rc == MDB_NOTFOUND) /* a new store */
		return put(txn, st->db[DB_META], META_FORMAT,
			   META_KEY_LEN(META_FORMAT), &format, 1, 0);
	if (rc)
		return rc;
	if (format == 1) {
		rc = store_convert_v1(st, txn);
		format = STORE_FORMAT;
		if (rc == 0)
			rc = put(txn, st->db[DB_META], META_FORMAT, META_KEY_LEN(META_FORMAT),
				 &format, 1, 0);
		return rc;
	}
	return format == STORE_FORMAT ? 0 : SAMEN_EVERSION;
}

int store_open(store_t **stp, const char *dir, const struct store_opts *opts)
{
	size_t initial = DEFAULT_INITIAL_MAP, max = DEFAULT_MAX_MAP;
	store_t *st = NULL;
	int dead, rc;

	if (!stp || !dir || !*dir)
		return SAMEN_EINVAL;
	if (opts && opts->initial_map_size)
		initial = opts->initial_map_size;
	if (opts && opts->max_map_size)
		max = opts->max_map_size;
	initial = round_to_page(initial);
	max = round_to_page(max);
	if (initial > max)
		initial = max;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->max_map_size = max;
	rc = mdb_env_create(&st->env);
	if (rc)
		goto out;
	rc = mdb_env_set_maxdbs(st->env, DB_COUNT + V1_COUNT);
	if (rc)
		goto out;
	rc = mdb_env_set_mapsize(st->env, initial);
	if (rc)
		goto out;
	/*
	 * No MDB_NOSYNC/MDB_NOMETASYNC: a 0 from a write must mean on disk.
	 * No MDB_WRITEMAP: with it a full disk arrives as SIGBUS instead of
	 * ENOSPC. MDB_NOTLS ties read slots to transactions, not threads, so a
	 * store_each_*() callback may itself call the read functions.
	 */
	rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600);
	if (rc)
		goto out;
	rc = mdb_reader_check(st->env, &dead);
	if (rc)
		goto out;
	rc = store_write(st, init_txn, NULL);
	if (rc == 0) {
		int repaired = store_vv_repair(st);
		rc = repaired < 0 ? repaired : 0;
	}
out:
	if (rc) {
		if (st->env)
			mdb_env_close(st->env);
		free(st);
		return store_err(rc);
	}
	*stp = st;
	return 0;
}

void store_close(store_t **stp)
{
	if (!stp || !*stp)
		return;
	(void)store_sync(*stp); /* mdb_env_close() does not flush */
	mdb_env_close((*stp)->env);
	free(*stp);
	*stp = NULL;
}

/* Stores one record and its index entries; *result says what happened. */
static int put_one(store_t *st, MDB_txn *txn, const struct store_rec *r,
		   uint64_t *cursor, int *result)
{
	uint8_t skey[SEQKEY_LEN], kkey[KINDKEY_LEN], ekey[EXPKEY_LEN];
	uint8_t eval[EXPVAL_LEN], ckey[8], other[32];
	MDB_val k = mval(r->id, 32), v;
	int rc;

	rc = mdb_get(txn, st->db[DB_IDS], &k, &v);
	if (rc == 0) {
		*result = SAMEN_EDUPLICATE;
		return 0;
	}
	if (rc != MDB_NOTFOUND)
		return rc;
	seq_key(skey, r->author, r->seq);
	rc = get_exact(txn, st->db[DB_BYSEQ], skey, sizeof(skey), other, 32);
	if (rc == 0) {
		*result = SAMEN_EEQUIVOCATION;
		return 0;
	}
	if (rc != MDB_NOTFOUND)
		return rc;
	if (*cursor == UINT64_MAX)
		return SAMEN_ETOOBIG;
	++*cursor;
	put_u64(ckey, *cursor);

	rc = store_data_put(st, txn, ckey, r->id, r->data, r->len);
	/* the one index keyed by a hash: a page per record, wherever it is */
	if (rc == 0)
		rc = put(txn, st->db[DB_IDS], r->id, 32, ckey, 8, MDB_NOOVERWRITE);
	if (rc == 0)
		rc = put(txn, st->db[DB_BYSEQ], skey, sizeof(skey), r->id, 32, MDB_NOOVERWRITE);
	memcpy(kkey, r->nbhd, 32);
	kkey[32] = r->kind;
	memcpy(kkey + 33, ckey, 8);
	if (rc == 0)
		rc = put(txn, st->db[DB_BYKIND], kkey, sizeof(kkey), "", 0, 0);
	if (rc == 0 && r->expires != 0) {
		/* The expiry entry carries what prune needs to find the indexes. */
		put_u64(ekey, r->expires);
		memcpy(ekey + 8, ckey, 8);
		memcpy(eval, r->author, 32);
		put_u64(eval + 32, r->seq);
		memcpy(eval + 40, r->nbhd, 32);
		eval[72] = r->kind;
		rc = put(txn, st->db[DB_EXPIRY], ekey, sizeof(ekey), eval, sizeof(eval), 0);
	}
	if (rc == 0)
		rc = store_vv_note(st, txn, r->author, r->seq);
	if (rc == 0)
		*result = 0;
	return rc;
}

struct batch {
	const struct store_rec *recs;
	size_t n;
	int *results;
	uint64_t *cursors;
};

static int batch_txn(store_t *st, MDB_txn *txn, void *ctx)
{
	struct batch *b = ctx;
	uint64_t start, cursor;
	uint8_t mark[8];
	int rc;

	rc = store_cursor_hwm(st, txn, &start);
	if (rc)
		return rc;
	cursor = start;
	for (size_t i = 0; i < b->n; i++) {
		uint64_t before = cursor;

		rc = put_one(st, txn, &b->recs[i], &cursor, &b->results[i]);
		if (rc)
			return rc;
		if (b->cursors)
			b->cursors[i] = cursor != before ? cursor : 0;
	}
	if (cursor == start)
		return 0;
	put_u64(mark, cursor);
	return put(txn, st->db[DB_META], META_CURSOR, META_KEY_LEN(META_CURSOR), mark, 8, 0);
}

static int put_batch(store_t *st, const struct store_rec *recs, size_t n, int *results,
		     uint64_t *cursors_out, bool durable)
{
	struct batch b = { recs, n, results, cursors_out };

	if (!st || (n && (!recs || !results)))
		return SAMEN_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (recs[i].seq == 0 || !recs[i].data || recs[i].len == 0 ||
		    recs[i].len > UINT32_MAX)
			return SAMEN_EINVAL;
	}
	if (n == 0)
		return 0;
	return store_err(store_commit(st, batch_txn, &b, durable));
}

int store_put_batch(store_t *st, const struct store_rec *recs, size_t n,
		    int *results, uint64_t *cursors_out)
{
	return put_batch(st, recs, n, results, cursors_out, true);
}

int store_put_batch_deferred(store_t *st, const struct store_rec *recs, size_t n,
			     int *results, uint64_t *cursors_out)
{
	return put_batch(st, recs, n, results, cursors_out, false);
}

int store_sync(store_t *st)
{
	if (!st)
		return SAMEN_EINVAL;
	if (!st->unsynced)
		return 0;
	int rc = mdb_env_sync(st->env, 1);
	if (rc == 0)
		st->unsynced = false;
	return store_err(rc);
}


int store_get(store_t *st, const uint8_t id[32], uint8_t **data, size_t *len)
{
	MDB_txn *txn = NULL;
	MDB_val v;
	uint8_t *copy, ckey[8];
	const uint8_t *held;
	int rc;

	if (!st || !id || !data || !len)
		return SAMEN_EINVAL;
	rc = store_begin(st, MDB_RDONLY, &txn);
	if (rc)
		return store_err(rc);
	rc = get_exact(txn, st->db[DB_IDS], id, 32, ckey, 8);
	if (rc)
		goto out;
	rc = store_data_at(st, txn, ckey, &held, &v);
	if (rc == MDB_NOTFOUND || (rc == 0 && memcmp(held, id, 32) != 0))
		rc = SAMEN_ESTORE; /* the id index points at nothing, or elsewhere */
	if (rc)
		goto out;
	copy = malloc(v.mv_size ? v.mv_size : 1);
	if (!copy) {
		rc = ENOMEM;
		goto out;
	}
	memcpy(copy, v.mv_data, v.mv_size);
	*data = copy;
	*len = v.mv_size;
out:
	mdb_txn_abort(txn);
	return store_err(rc);
}

int store_has(store_t *st, const uint8_t id[32])
{
	int present = 0;
	int rc;

	if (!id)
		return SAMEN_EINVAL;
	rc = store_has_each(st, (const uint8_t(*)[32])id, 1, &present);
	return rc < 0 ? rc : present;
}

int store_has_each(store_t *st, const uint8_t (*ids)[32], size_t n, int *present)
{
	MDB_txn *txn;
	int rc = 0;

	if (!st || (n && (!ids || !present)))
		return SAMEN_EINVAL;
	if (n == 0)
		return 0;
	rc = store_begin(st, MDB_RDONLY, &txn);
	if (rc)
		return store_err(rc);
	for (size_t i = 0; i < n; i++) {
		MDB_val k = mval(ids[i], 32), v;

		rc = mdb_get(txn, st->db[DB_IDS], &k, &v);
		if (rc && rc != MDB_NOTFOUND)
			break;
		present[i] = rc == 0;
		rc = 0;
	}
	mdb_txn_abort(txn);
	return store_err(rc);
}

static int meta_name(store_t *st, const char *name, size_t *len)
{
	if (!st || !name)
		return SAMEN_EINVAL;
	*len = strlen(name);
	if (*len == 0 || *len > (size_t)mdb_env_get_maxkeysize(st->env))
		return SAMEN_EINVAL;
	return 0;
}

struct meta_put {
	const char *name;
	size_t name_len;
	const void *val;
	size_t len;
};

static int meta_put_txn(store_t *st, MDB_txn *txn, void *ctx)
{
	struct meta_put *m = ctx;

	return put(txn, st->db[DB_META], m->name, m->name_len, m->val, m->len, 0);
}

int store_meta_put(store_t *st, const char *name, const void *val, size_t len)
{
	struct meta_put m = { name, 0, val, len };
	int rc = meta_name(st, name, &m.name_len);

	if (rc)
		return rc;
	if ((!val && len) || len > UINT32_MAX)
		return SAMEN_EINVAL;
	return store_err(store_write(st, meta_put_txn, &m));
}

int store_meta_get(store_t *st, const char *name, void *buf, size_t cap, size_t *len)
{
	size_t name_len;
	MDB_txn *txn;
	MDB_val k, v;
	int rc = meta_name(st, name, &name_len);

	if (rc)
		return rc;
	if ((!buf && cap) || !len)
		return SAMEN_EINVAL;
	rc = store_begin(st, MDB_RDONLY, &txn);
	if (rc)
		return store_err(rc);
	k = mval(name, name_len);
	rc = mdb_get(txn, st->db[DB_META], &k, &v);
	if (rc == 0) {
		if (cap)
			memcpy(buf, v.mv_data, v.mv_size < cap ? v.mv_size : cap);
		*len = v.mv_size;
	}
	mdb_txn_abort(txn);
	return store_err(rc);
}

int store_stats(store_t *st, struct store_stats *out)
{
	MDB_txn *txn;
	MDB_stat recs, env;
	MDB_envinfo info;
	int rc;

	if (!st || !out)
		return SAMEN_EINVAL;
	rc = store_begin(st, MDB_RDONLY, &txn);
	if (rc)
		return store_err(rc);
	rc = mdb_stat(txn, st->db[DB_IDS], &recs);
	if (rc == 0)
		rc = mdb_env_stat(st->env, &env);
	if (rc == 0)
		rc = mdb_env_info(st->env, &info);
	if (rc == 0)
		rc = store_cursor_hwm(st, txn, &out->last_cursor);
	mdb_txn_abort(txn);
	if (rc)
		return store_err(rc);
	out->records = recs.ms_entries;
	out->map_size = info.me_mapsize;
	out->used_bytes = (uint64_t)(info.me_last_pgno + 1) * env.ms_psize;
	return 0;
}
