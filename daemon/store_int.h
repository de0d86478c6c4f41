/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * store_int.h — what the store's own files share, and nobody else sees.
 *
 * store.h is the interface; this is the layout behind it and the helpers
 * the store*.c files call each other with. Only daemon/store*.c include it:
 * everything outside the store goes through store.h, so the layout can
 * change without anyone else noticing.
 *
 *   store_txn.c      transactions: begin, commit (durable or deferred), map
 *                    growth, one record's data; it calls no other store file
 *   store_env.c      the environment (open, close, sync) and the records
 *                    (put, get, has), meta values, stats
 *   store_vv.c       the version vector: entries, SKIP, repair
 *   store_walk.c     the walks (by author, by kind, from a cursor), cursors
 *   store_convert.c  format 1 converted to format 2 by store_open()
 *   store_forget.c   deleting records: prune, delete, forget
 *
 * Sub-databases (format 2):
 *   data      cursor(u64 BE)                 -> id[32] encoded record bytes
 *   ids       id[32]                         -> cursor(u64 BE)
 *   byseq     author[32] seq(u64 BE)         -> id[32]
 *   vv        author[32]                     -> contig(u64 BE) max(u64 BE)
 *   kinds     nbhd[32] kind(u8) cursor(u64 BE) -> (empty)
 *   expiries  expires(u64 BE) cursor(u64 BE) -> author[32] seq(u64 BE) nbhd[32]
 *                                                kind(u8)
 *                                                (expires != 0 only; the value
 *                                                is what store_prune() needs to
 *                                                find the index entries, since
 *                                                data holds opaque bytes)
 *   meta      name (bytes)                   -> value (bytes); names the
 *                                                store uses itself begin with
 *                                                a NUL byte (last cursor given,
 *                                                format version)
 *
 * Each stored record gets the next cursor, and everything but `ids` is keyed
 * so that a batch's new entries sit next to each other (by cursor; byseq by
 * author and seq): a commit then writes about one page per record, in
 * `ids`, rather than one in each of three trees keyed by a hash, and the
 * fsync that makes a commit durable pays per page.
 *
 * Internal helpers return LMDB's own codes (0, a positive errno, or an
 * MDB_* code) or a SAMEN_* verdict: the ranges do not overlap, so
 * MDB_MAP_FULL survives up to store_write(), which grows the map and
 * retries, and the public functions translate once with store_err() on the
 * way out.
 */
#ifndef SAMEN_STORE_INT_H
#define SAMEN_STORE_INT_H

#include "store.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <lmdb.h>

enum { DB_IDS, DB_DATA, DB_BYSEQ, DB_VV, DB_BYKIND, DB_EXPIRY, DB_META, DB_COUNT };

/* Format 1's sub-databases, which store_convert_v1() opens and drops
 * (store_convert.c says what they held). */
enum { V1_RECORDS, V1_BYKIND, V1_EXPIRY, V1_CURSOR, V1_COUNT };

#define STORE_FORMAT 2

/*
 * Internal meta names start with a NUL byte, which no NUL-terminated name
 * given to store_meta_*() can contain, so the two never collide.
 */
#define META_CURSOR "\0cursor" /* u64 BE: last cursor given */
#define META_FORMAT "\0format" /* u8: STORE_FORMAT */
#define META_KEY_LEN(s) (sizeof(s) - 1)

#define SEQKEY_LEN 40             /* author seq */
#define KINDKEY_LEN 41            /* nbhd kind cursor */
#define EXPKEY_LEN 16             /* expires cursor */
#define EXPVAL_LEN (32 + 8 + 32 + 1) /* author seq nbhd kind */
#define VV_LEN 16                 /* contig max */

struct store {
	MDB_env *env;
	MDB_dbi db[DB_COUNT];
	size_t max_map_size;
	bool unsynced; /* a deferred commit's meta page may not be on disk yet */
};

typedef int (*txn_fn)(store_t *st, MDB_txn *txn, void *ctx);

static inline void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void seq_key(uint8_t key[SEQKEY_LEN], const uint8_t author[32], uint64_t seq)
{
	memcpy(key, author, 32);
	put_u64(key + 32, seq);
}

static inline MDB_val mval(const void *p, size_t len)
{
	return (MDB_val){ .mv_size = len, .mv_data = (void *)p };
}

/* Reads a value that must be exactly len bytes; anything else is corruption. */
static inline int get_exact(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
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
static inline int split_data(const MDB_val *v, const uint8_t **id, MDB_val *out)
{
	if (v->mv_size <= 32)
		return SAMEN_ESTORE;
	*id = v->mv_data;
	out->mv_data = (uint8_t *)v->mv_data + 32;
	out->mv_size = v->mv_size - 32;
	return 0;
}

static inline int put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
		      const void *v, size_t vlen, unsigned flags)
{
	MDB_val key = mval(k, klen), val = mval(v, vlen);

	return mdb_put(txn, dbi, &key, &val, flags);
}

/* Deletes a key; an absent one is fine (prune heals half-missing indexes). */
static inline int del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen)
{
	MDB_val key = mval(k, klen);
	int rc = mdb_del(txn, dbi, &key, NULL);

	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- store_txn.c ---- */

/* An internal code as the public functions return it (store.h). */
int store_err(int rc);

/* Begins a transaction (MDB_RDONLY or 0), adopting a map another process
 * grew. */
int store_begin(store_t *st, unsigned flags, MDB_txn **txn);

/*
 * Runs fn in a write transaction and commits it durably. On a full map the
 * whole transaction is abandoned, the map doubled and fn run again from
 * scratch, so fn must derive everything from the database, not from an
 * earlier try.
 */
int store_write(store_t *st, txn_fn fn, void *ctx);
/* store_write(), or with durable false its last flush left to store_sync(). */
int store_commit(store_t *st, txn_fn fn, void *ctx, bool durable);

/* The record at cursor ckey (8 bytes, big-endian); MDB_NOTFOUND if none. */
int store_data_at(store_t *st, MDB_txn *txn, const uint8_t *ckey, const uint8_t **id,
		  MDB_val *out);

/* The bytes under their cursor, behind the id: cursor -> id || data. */
int store_data_put(store_t *st, MDB_txn *txn, const uint8_t ckey[8], const uint8_t id[32],
		   const uint8_t *data, size_t len);

/* ---- store_vv.c ---- */

/* Raises author's max to seq and, when seq directly follows contig, moves
 * contig over it and the stored run after it; seq must be in byseq already. */
int store_vv_note(store_t *st, MDB_txn *txn, const uint8_t author[32], uint64_t seq);

/* ---- store_walk.c ---- */

/*
 * Walks one index in a read transaction of its own: from the first key >=
 * start (from the first key when start_len is 0), while keys begin with the
 * first prefix_len bytes of start; a key of another length than klen is
 * corruption. Hands each entry to visit; *stop receives a non-zero return of
 * the caller's callback, and visit returning MDB_NOTFOUND ends the walk
 * cleanly.
 */
typedef int (*visit_fn)(store_t *st, MDB_txn *txn, const MDB_val *k,
			const MDB_val *v, void *ctx, int *stop);
int store_walk(store_t *st, int db, const void *start, size_t start_len,
	       size_t prefix_len, size_t klen, visit_fn visit, void *ctx, int *stop);

/*
 * The highest cursor ever given: the persisted mark, or the data db's last
 * key should that ever be ahead of it. Pruning deletes data keys but never
 * the mark, so a cursor is not handed out twice.
 */
int store_cursor_hwm(store_t *st, MDB_txn *txn, uint64_t *out);

/* ---- store_convert.c ---- */

/* Converts a format 1 store to format 2 in the caller's transaction. */
int store_convert_v1(store_t *st, MDB_txn *txn);

#endif
