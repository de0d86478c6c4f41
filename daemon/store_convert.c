/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * store_convert.c — converts a format 1 store to format 2, once, inside
 * store_open()'s first transaction. Kept apart because nothing else reads
 * format 1: the rest of the store knows only format 2.
 */
#include "store_int.h"

/*
 * Format 1 kept the bytes under their id and keyed bykind and expiry by id
 * too: every record then landed on a random page of three trees (four, with
 * the branch pages above them), and a commit's fsync paid for each page.
 * Format 2 keys everything but `ids` by cursor, so a batch's new entries
 * sit side by side; store_open() converts a format 1 store in place.
 */
static const char *const v1_names[V1_COUNT] = { "records", "bykind", "expiry", "cursor" };

#define V1_EXPVAL_LEN (EXPVAL_LEN + 8) /* author seq nbhd kind cursor */

/* Format 1 -> 2: one record's bytes under its cursor, and its id -> cursor. */
static int convert_one(store_t *st, MDB_txn *txn, const uint8_t ckey[8], const uint8_t id[32],
		       const MDB_val *data)
{
	int rc = store_data_put(st, txn, ckey, id, data->mv_data, data->mv_size);

	return rc ? rc : put(txn, st->db[DB_IDS], id, 32, ckey, 8, MDB_NOOVERWRITE);
}

/* After a loop over cursor *c: closes it; the loop ran out (MDB_NOTFOUND)
 * is 0, any other end its error (a 0 there, a loop left early without one,
 * is SAMEN_ESTORE). */
static int loop_end(MDB_cursor **c, int rc)
{
	if (*c)
		mdb_cursor_close(*c);
	*c = NULL;
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? rc : SAMEN_ESTORE;
}

#define ANY_LEN SIZE_MAX

/*
 * Format 1 keyed bykind and expiry by a prefix and the record's id, format 2
 * by the prefix and its cursor: moves each entry of the format 1 index
 * `from` (key plen + 32 bytes; value old_vlen bytes unless ANY_LEN) to `to`
 * with the first vlen bytes of its value. An entry whose id names no record
 * is dropped.
 */
static int rekey(store_t *st, MDB_txn *txn, MDB_dbi from, int to, size_t plen,
		 size_t old_vlen, size_t vlen)
{
	uint8_t key[KINDKEY_LEN > EXPKEY_LEN ? KINDKEY_LEN : EXPKEY_LEN];
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, from, &c);

	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != plen + 32 || (old_vlen != ANY_LEN && v.mv_size != old_vlen)) {
			rc = SAMEN_ESTORE;
			break;
		}
		memcpy(key, k.mv_data, plen);
		rc = get_exact(txn, st->db[DB_IDS], (const uint8_t *)k.mv_data + plen, 32,
			       key + plen, 8);
		if (rc == 0)
			rc = put(txn, st->db[to], key, plen + 8, v.mv_data, vlen, 0);
		if (rc && rc != MDB_NOTFOUND)
			break;
		rc = 0;
	}
	return loop_end(&c, rc);
}

/*
 * Format 1 to 2, in the caller's transaction (so a crash leaves format 1
 * whole): the bytes move under their cursor, and bykind and expiry are
 * keyed by cursor instead of id. byseq, vv and meta stay as they are.
 * Index entries that point at no record are dropped, as prune would.
 */
int store_convert_v1(store_t *st, MDB_txn *txn)
{
	MDB_dbi old[V1_COUNT];
	MDB_cursor *c = NULL;
	MDB_val k, v, data;
	uint8_t ckey[8];
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
	rc = loop_end(&c, rc);
	if (rc)
		return rc;
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
	rc = loop_end(&c, rc);
	if (rc)
		return rc;
	if (moved) {
		put_u64(ckey, hwm);
		rc = put(txn, st->db[DB_META], META_CURSOR, META_KEY_LEN(META_CURSOR), ckey, 8, 0);
		if (rc)
			return rc;
	}

	/* bykind: nbhd kind id -> nbhd kind cursor (no value) */
	rc = rekey(st, txn, old[V1_BYKIND], DB_BYKIND, 33, ANY_LEN, 0);
	/* expiry: expires id -> author seq nbhd kind cursor, to
	 * expires cursor -> author seq nbhd kind */
	if (rc == 0)
		rc = rekey(st, txn, old[V1_EXPIRY], DB_EXPIRY, 8, V1_EXPVAL_LEN, EXPVAL_LEN);
	if (rc)
		return rc;

	for (int i = 0; i < V1_COUNT; i++) {
		rc = mdb_drop(txn, old[i], 1);
		if (rc)
			return rc;
	}
	return 0;
}
