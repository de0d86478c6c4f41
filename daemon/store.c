/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * store.c — samend's durable record store on one LMDB environment.
 *
 * Internal helpers return LMDB's own codes (0, a positive errno, or an
 * MDB_* code) or a SAMEN_* verdict: the ranges do not overlap, so
 * MDB_MAP_FULL survives up to write_txn(), which grows the map and retries,
 * and the public functions translate once with store_err() on the way out.
 */
#include "store.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <lmdb.h>

enum { DB_IDS, DB_DATA, DB_BYSEQ, DB_VV, DB_BYKIND, DB_EXPIRY, DB_META, DB_COUNT };

static const char *const db_names[DB_COUNT] = {
	"ids", "data", "byseq", "vv", "kinds", "expiries", "meta",
};

/*
 * Format 1 kept the bytes under their id and keyed bykind and expiry by id
 * too: every record then landed on a random page of three trees (four, with
 * the branch pages above them), and a commit's fsync paid for each page.
 * Format 2 keys everything but `ids` by cursor, so a batch's new entries
 * sit side by side; store_open() converts a format 1 store in place.
 */
enum { V1_RECORDS, V1_BYKIND, V1_EXPIRY, V1_CURSOR, V1_COUNT };
static const char *const v1_names[V1_COUNT] = { "records", "bykind", "expiry", "cursor" };

#define STORE_FORMAT 2
#define DEFAULT_INITIAL_MAP ((size_t)16 << 20)
#define DEFAULT_MAX_MAP (SIZE_MAX > 0xffffffffu ? (size_t)4 << 30 : (size_t)1 << 30)

/*
 * Internal meta names start with a NUL byte, which no NUL-terminated name
 * given to store_meta_*() can contain, so the two never collide.
 */
static const char META_CURSOR[] = "\0cursor"; /* u64 BE: last cursor given */
static const char META_FORMAT[] = "\0format"; /* u8: STORE_FORMAT */
#define META_KEY_LEN(s) (sizeof(s) - 1)

#define SEQKEY_LEN 40             /* author seq */
#define KINDKEY_LEN 41            /* nbhd kind cursor */
#define EXPKEY_LEN 16             /* expires cursor */
#define EXPVAL_LEN (32 + 8 + 32 + 1) /* author seq nbhd kind */
#define VV_LEN 16                 /* contig max */
#define V1_KINDKEY_LEN 65         /* nbhd kind id */
#define V1_EXPKEY_LEN 40          /* expires id */
#define V1_EXPVAL_LEN (EXPVAL_LEN + 8) /* author seq nbhd kind cursor */

struct store {
	MDB_env *env;
	MDB_dbi db[DB_COUNT];
	size_t max_map_size;
	bool unsynced; /* a deferred commit's meta page may not be on disk yet */
};

typedef int (*txn_fn)(store_t *st, MDB_txn *txn, void *ctx);

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void seq_key(uint8_t key[SEQKEY_LEN], const uint8_t author[32], uint64_t seq)
{
	memcpy(key, author, 32);
	put_u64(key + 32, seq);
}

static MDB_val mval(const void *p, size_t len)
{
	return (MDB_val){ .mv_size = len, .mv_data = (void *)p };
}

static int store_err(int rc)
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

static size_t round_to_page(size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;

	if (n > SIZE_MAX - page)
		return n / page * page;
	return (n + page - 1) / page * page;
}

/* Reads a value that must be exactly len bytes; anything else is corruption. */
static int get_exact(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
		     void *out, size_t len)
{
	MDB_val key = mval(k, klen), val;
	int rc = mdb_get(txn, dbi, &key, &val);

	if (rc)
		return rc;
	if (val.mv_size != len)
		return SAMEN_ESTORE;
	memcpy(out, val.mv_data, len);
	return 0;
}

/* A data entry's parts: the id, and the record's bytes (in the map). */
static int split_data(const MDB_val *v, const uint8_t **id, MDB_val *out)
{
	if (v->mv_size <= 32)
		return SAMEN_ESTORE;
	*id = v->mv_data;
	out->mv_data = (uint8_t *)v->mv_data + 32;
	out->mv_size = v->mv_size - 32;
	return 0;
}

/* The record at cursor ckey (8 bytes, big-endian); MDB_NOTFOUND if none. */
static int data_at(store_t *st, MDB_txn *txn, const uint8_t *ckey, const uint8_t **id,
		   MDB_val *out)
{
	MDB_val k = mval(ckey, 8), v;
	int rc = mdb_get(txn, st->db[DB_DATA], &k, &v);

	return rc ? rc : split_data(&v, id, out);
}

static int put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
	       const void *v, size_t vlen, unsigned flags)
{
	MDB_val key = mval(k, klen), val = mval(v, vlen);

	return mdb_put(txn, dbi, &key, &val, flags);
}

/* The bytes under their cursor, behind the id: cursor -> id || data. */
static int put_data(store_t *st, MDB_txn *txn, const uint8_t ckey[8], const uint8_t id[32],
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

/* Format 1 -> 2: one record's bytes under its cursor, and its id -> cursor. */
static int convert_one(store_t *st, MDB_txn *txn, const uint8_t ckey[8], const uint8_t id[32],
		       const MDB_val *data)
{
	int rc = put_data(st, txn, ckey, id, data->mv_data, data->mv_size);

	return rc ? rc : put(txn, st->db[DB_IDS], id, 32, ckey, 8, MDB_NOOVERWRITE);
}

/* Deletes a key; an absent one is fine (prune heals half-missing indexes). */
static int del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen)
{
	MDB_val key = mval(k, klen);
	int rc = mdb_del(txn, dbi, &key, NULL);

	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int begin_txn(store_t *st, unsigned flags, MDB_txn **txn)
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
static int commit_txn(store_t *st, txn_fn fn, void *ctx, bool durable)
{
	for (;;) {
		MDB_txn *txn;
		int rc = durable ? 0 : mdb_env_set_flags(st->env, MDB_NOMETASYNC, 1);

		if (rc == 0)
			rc = begin_txn(st, 0, &txn);
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

static int write_txn(store_t *st, txn_fn fn, void *ctx)
{
	return commit_txn(st, fn, ctx, true);
}

/*
 * Format 1 to 2, in the caller's transaction (so a crash leaves format 1
 * whole): the bytes move under their cursor, and bykind and expiry are
 * keyed by cursor instead of id. byseq, vv and meta stay as they are.
 * Index entries that point at no record are dropped, as prune would.
 */
static int migrate_v1(store_t *st, MDB_txn *txn)
{
	MDB_dbi old[V1_COUNT];
	MDB_cursor *c = NULL;
	MDB_val k, v, data;
	uint8_t ckey[8], key[KINDKEY_LEN > EXPKEY_LEN ? KINDKEY_LEN : EXPKEY_LEN];
	uint64_t hwm, last = 0;
	int rc;

	for (int i = 0; i < V1_COUNT; i++) {
		rc = mdb_dbi_open(txn, v1_names[i], 0, &old[i]);
		if (rc)
			return rc == MDB_NOTFOUND ? SAMEN_ESTORE : rc;
	}
	rc = get_exact(txn, st->db[DB_META], META_CURSOR, META_KEY_LEN(META_CURSOR), ckey, 8);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	hwm = rc == 0 ? get_u64(ckey) : 0;

	/* records, in cursor order: cursor -> id, id -> bytes */
	rc = mdb_cursor_open(txn, old[V1_CURSOR], &c);
	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || v.mv_size != 32) {
			rc = SAMEN_ESTORE;
			break;
		}
		last = get_u64(k.mv_data);
		rc = mdb_get(txn, st->db[DB_IDS], &v, &data);
		if (rc == 0)
			continue; /* one id under two cursors: the first stays */
		if (rc == MDB_NOTFOUND)
			rc = mdb_get(txn, old[V1_RECORDS], &v, &data);
		if (rc == MDB_NOTFOUND)
			continue; /* a cursor entry naming no record */
		if (rc == 0)
			rc = convert_one(st, txn, k.mv_data, v.mv_data, &data);
		if (rc)
			break;
	}
	if (c)
		mdb_cursor_close(c);
	c = NULL;
	if (rc != MDB_NOTFOUND)
		return rc ? rc : SAMEN_ESTORE;
	if (last > hwm)
		hwm = last;

	/* a record without a cursor (never made by format 1) gets a new one */
	bool moved = false;
	rc = mdb_cursor_open(txn, old[V1_RECORDS], &c);
	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 32 || v.mv_size == 0) {
			rc = SAMEN_ESTORE;
			break;
		}
		rc = mdb_get(txn, st->db[DB_IDS], &k, &data);
		if (rc == 0)
			continue; /* moved already */
		if (rc != MDB_NOTFOUND)
			break; /* an error: the loop's next step must not overwrite it */
		if (hwm == UINT64_MAX) {
			rc = SAMEN_ETOOBIG;
			break;
		}
		put_u64(ckey, ++hwm);
		moved = true;
		rc = convert_one(st, txn, ckey, k.mv_data, &v);
		if (rc)
			break;
	}
	if (c)
		mdb_cursor_close(c);
	c = NULL;
	if (rc != MDB_NOTFOUND)
		return rc ? rc : SAMEN_ESTORE;
	if (moved) {
		put_u64(ckey, hwm);
		rc = put(txn, st->db[DB_META], META_CURSOR, META_KEY_LEN(META_CURSOR), ckey, 8, 0);
		if (rc)
			return rc;
	}

	/* bykind: nbhd kind id -> nbhd kind cursor */
	rc = mdb_cursor_open(txn, old[V1_BYKIND], &c);
	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != V1_KINDKEY_LEN) {
			rc = SAMEN_ESTORE;
			break;
		}
		memcpy(key, k.mv_data, 33);
		rc = get_exact(txn, st->db[DB_IDS], (const uint8_t *)k.mv_data + 33, 32, key + 33, 8);
		if (rc == 0)
			rc = put(txn, st->db[DB_BYKIND], key, KINDKEY_LEN, "", 0, 0);
		if (rc && rc != MDB_NOTFOUND)
			break;
		rc = 0;
	}
	if (c)
		mdb_cursor_close(c);
	c = NULL;
	if (rc != MDB_NOTFOUND)
		return rc ? rc : SAMEN_ESTORE;

	/* expiry: expires id -> author seq nbhd kind cursor, to
	 * expires cursor -> author seq nbhd kind */
	rc = mdb_cursor_open(txn, old[V1_EXPIRY], &c);
	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != V1_EXPKEY_LEN || v.mv_size != V1_EXPVAL_LEN) {
			rc = SAMEN_ESTORE;
			break;
		}
		memcpy(key, k.mv_data, 8);
		rc = get_exact(txn, st->db[DB_IDS], (const uint8_t *)k.mv_data + 8, 32, key + 8, 8);
		if (rc == 0)
			rc = put(txn, st->db[DB_EXPIRY], key, EXPKEY_LEN, v.mv_data, EXPVAL_LEN, 0);
		if (rc && rc != MDB_NOTFOUND)
			break;
		rc = 0;
	}
	if (c)
		mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return rc ? rc : SAMEN_ESTORE;

	for (int i = 0; i < V1_COUNT; i++) {
		rc = mdb_drop(txn, old[i], 1);
		if (rc)
			return rc;
	}
	return 0;
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
		rc = migrate_v1(st, txn);
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
	rc = write_txn(st, init_txn, NULL);
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

/*
 * The highest cursor ever given: the persisted mark, or the data db's last
 * key should that ever be ahead of it. Pruning deletes data keys but never
 * the mark, so a cursor is not handed out twice.
 */
static int cursor_hwm(store_t *st, MDB_txn *txn, uint64_t *out)
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

static int vv_note(store_t *st, MDB_txn *txn, const uint8_t author[32], uint64_t seq)
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

	rc = put_data(st, txn, ckey, r->id, r->data, r->len);
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
		rc = vv_note(st, txn, r->author, r->seq);
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

	rc = cursor_hwm(st, txn, &start);
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
	return store_err(commit_txn(st, batch_txn, &b, durable));
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
	rc = begin_txn(st, MDB_RDONLY, &txn);
	if (rc)
		return store_err(rc);
	rc = get_exact(txn, st->db[DB_IDS], id, 32, ckey, 8);
	if (rc)
		goto out;
	rc = data_at(st, txn, ckey, &held, &v);
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
	MDB_txn *txn;
	MDB_val k = mval(id, 32), v;
	int rc;

	if (!st || !id)
		return SAMEN_EINVAL;
	rc = begin_txn(st, MDB_RDONLY, &txn);
	if (rc)
		return store_err(rc);
	rc = mdb_get(txn, st->db[DB_IDS], &k, &v);
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? store_err(rc) : 1;
}

int store_has_each(store_t *st, const uint8_t (*ids)[32], size_t n, int *present)
{
	MDB_txn *txn;
	int rc = 0;

	if (!st || (n && (!ids || !present)))
		return SAMEN_EINVAL;
	if (n == 0)
		return 0;
	rc = begin_txn(st, MDB_RDONLY, &txn);
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

int store_vv(store_t *st, struct store_vv_entry **entries, size_t *n)
{
	struct store_vv_entry *arr = NULL, *grown;
	size_t count = 0, cap = 0;
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	if (!st || !entries || !n)
		return SAMEN_EINVAL;
	rc = begin_txn(st, MDB_RDONLY, &txn);
	if (rc)
		goto out;
	rc = mdb_cursor_open(txn, st->db[DB_VV], &c);
	if (rc)
		goto out;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 32 || v.mv_size != VV_LEN) {
			rc = SAMEN_ESTORE;
			goto out;
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			grown = reallocarray(arr, cap, sizeof(*arr));
			if (!grown) {
				rc = ENOMEM;
				goto out;
			}
			arr = grown;
		}
		memcpy(arr[count].author, k.mv_data, 32);
		arr[count].contig = get_u64(v.mv_data);
		arr[count].max = get_u64((const uint8_t *)v.mv_data + 8);
		count++;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	if (c)
		mdb_cursor_close(c);
	if (txn)
		mdb_txn_abort(txn);
	if (rc) {
		free(arr);
		return store_err(rc);
	}
	*entries = arr;
	*n = count;
	return 0;
}

int store_vv_get(store_t *st, const uint8_t author[32], struct store_vv_entry *out)
{
	MDB_txn *txn;
	int rc;

	if (!st || !author || !out)
		return SAMEN_EINVAL;
	rc = begin_txn(st, MDB_RDONLY, &txn);
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
	int ret = store_err(write_txn(st, skip_txn, &s));
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
	int ret = store_err(write_txn(st, repair_txn, &repaired));
	return ret < 0 ? ret : repaired;
}

/* The bytes of the record an id index entry points at; absent means
 * corrupt. */
static int rec_data(store_t *st, MDB_txn *txn, const void *id, MDB_val *out)
{
	uint8_t ckey[8];
	const uint8_t *held;
	int rc = get_exact(txn, st->db[DB_IDS], id, 32, ckey, 8);

	if (rc == 0)
		rc = data_at(st, txn, ckey, &held, out);
	if (rc == 0 && memcmp(held, id, 32) != 0)
		rc = SAMEN_ESTORE;
	return rc == MDB_NOTFOUND ? SAMEN_ESTORE : rc;
}

/*
 * Shared walk over one index: starts at the first key >= start, stays while
 * keys are klen bytes long and begin with prefix, and hands each entry to
 * visit. *stop receives a non-zero return of the caller's callback.
 */
typedef int (*visit_fn)(store_t *st, MDB_txn *txn, const MDB_val *k,
			const MDB_val *v, void *ctx, int *stop);

static int walk(store_t *st, int db, const void *start, size_t start_len,
		size_t prefix_len, size_t klen, visit_fn visit, void *ctx, int *stop)
{
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	MDB_val k = mval(start, start_len), v;
	int rc;

	*stop = 0;
	rc = begin_txn(st, MDB_RDONLY, &txn);
	if (rc)
		goto out;
	rc = mdb_cursor_open(txn, st->db[db], &c);
	if (rc)
		goto out;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
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
	rc = walk(st, DB_BYSEQ, start, sizeof(start), 32, SEQKEY_LEN,
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
	rc = data_at(st, txn, (const uint8_t *)k->mv_data + 33, &id, &data);
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
	rc = walk(st, DB_BYKIND, start, sizeof(start), sizeof(start), KINDKEY_LEN,
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
	/* At the limit: MDB_NOTFOUND is what walk() treats as a clean end. */
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
	rc = walk(st, DB_DATA, start, sizeof(start), 0, 8, visit_cursor, &w, &stop);
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
	rc = begin_txn(st, MDB_RDONLY, &txn);
	if (rc)
		return store_err(rc);
	rc = cursor_hwm(st, txn, out);
	mdb_txn_abort(txn);
	return store_err(rc);
}

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
	rc = write_txn(st, prune_txn, &p);
	return rc ? store_err(rc) : p.count;
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
	return store_err(write_txn(st, meta_put_txn, &m));
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
	rc = begin_txn(st, MDB_RDONLY, &txn);
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
	rc = begin_txn(st, MDB_RDONLY, &txn);
	if (rc)
		return store_err(rc);
	rc = mdb_stat(txn, st->db[DB_IDS], &recs);
	if (rc == 0)
		rc = mdb_env_stat(st->env, &env);
	if (rc == 0)
		rc = mdb_env_info(st->env, &info);
	if (rc == 0)
		rc = cursor_hwm(st, txn, &out->last_cursor);
	mdb_txn_abort(txn);
	if (rc)
		return store_err(rc);
	out->records = recs.ms_entries;
	out->map_size = info.me_mapsize;
	out->used_bytes = (uint64_t)(info.me_last_pgno + 1) * env.ms_psize;
	return 0;
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
	int rc = write_txn(st, forget_txn, &f);
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
	rc = write_txn(st, delete_txn, &d);
	if (rc == MDB_NOTFOUND)
		return SAMEN_ENOTFOUND;
	return rc ? store_err(rc) : 0;
}
