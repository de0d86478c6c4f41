/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * store.h — samend's durable record store (one LMDB environment).
 *
 * The store knows records only as opaque encoded bytes plus the few header
 * fields it indexes (struct store_rec); decoding and validation happen before
 * anything reaches it. A record counts as stored only once the call that put
 * it has returned 0: that call returns after mdb_txn_commit() succeeded, and
 * the environment is opened without MDB_NOSYNC/MDB_NOMETASYNC, so a returned
 * 0 means the bytes are on disk.
 *
 * The records are kept in format 2; a format 1 store is converted by
 * store_open(), in one transaction. The layout on disk, and which
 * daemon/store*.c file does what, is in daemon/store_int.h, which only the
 * store's own files include.
 *
 * The version vector entry of an author holds `contig`, the highest n such
 * that seq 1..n have all been stored (or skipped with store_vv_skip()),
 * and `max`, the highest seq stored. The store does not hand out sequence
 * numbers, not even the node's own: keys/seqfile.h says where they come from.
 *
 * Every function returns 0 (or a count) on success, or a negative code: a
 * SAMEN_E* code from proto/err.h or -errno. Single-threaded use: a store_t
 * must be used from one thread at a time.
 *
 * The store_each_*() callbacks run inside a read transaction: they may call
 * the read-only functions (store_get, store_has, store_vv_get, ...) but not
 * one that writes (store_put_batch, store_vv_skip, store_prune,
 * store_meta_put, ...), since growing the map would pull the bytes they are
 * looking at from under them.
 */
#ifndef SAMEN_STORE_H
#define SAMEN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/err.h"

typedef struct store store_t;

struct store_rec {
	uint8_t id[32];     /* BLAKE2b-256 of data */
	uint8_t nbhd[32];   /* neighbourhood id */
	uint8_t author[32]; /* author's public key */
	uint64_t seq;       /* author's sequence number, >= 1 */
	uint8_t kind;       /* record kind (proto/record.h) */
	uint64_t expires;   /* unix seconds after which it is pruned; 0 = never */
	const uint8_t *data;/* encoded record; borrowed for the call */
	size_t len;
};

struct store_opts {
	size_t initial_map_size; /* bytes; 0 = default 16 MiB */
	size_t max_map_size;     /* bytes; 0 = default 4 GiB; growth stops here */
};

/*
 * Opens (creating if needed, mode 0700 for dir, 0600 for files) the store in
 * directory dir. Clears stale reader slots left by dead processes.
 * opts may be NULL. On success *st is set; the caller frees it with
 * store_close(). On failure *st is untouched. A format 1 store is
 * converted to format 2 first; a format it does not know is SAMEN_EVERSION.
 */
int store_open(store_t **st, const char *dir, const struct store_opts *opts)
	SAMEN_MUST_CHECK;

/* Closes the store and sets *st to NULL. Accepts NULL or *st == NULL. */
void store_close(store_t **st);

/*
 * Group commit: stores n records in one write transaction.
 * For each i, results[i] is set to
 *   0                    stored now;
 *   SAMEN_EDUPLICATE     this exact id was already stored (nothing done);
 *   SAMEN_EEQUIVOCATION  a different record with the same (author, seq) is
 *                        held (or was earlier in this batch): the first one
 *                        is kept, this one is not stored.
 * Each newly stored record gets the next relay cursor (if cursors_out is not
 * NULL, cursors_out[i] receives it, 0 when not stored).
 * Returns 0 once the transaction committed (then every results[i] == 0 record
 * is durable), or a negative code if nothing at all was stored (then results
 * are meaningless). A full map is grown and the batch retried transparently,
 * up to max_map_size; beyond that, or on ENOSPC, returns SAMEN_EFULL.
 * SAMEN_EINVAL, with nothing stored, if any record has seq 0 or no data.
 */
int store_put_batch(store_t *st, const struct store_rec *recs, size_t n,
		    int *results, uint64_t *cursors_out) SAMEN_MUST_CHECK;

/*
 * store_put_batch() for records that someone else holds too (gossip): the
 * commit flushes the data pages before it returns but defers the flush of
 * the page that makes them current, to the next durable write, store_sync()
 * or store_close(). One disk flush per batch instead of two. A crash of the
 * process loses nothing (the page cache has it); a crash of the machine
 * before that flush undoes the last such batch, whole: never a corrupt or
 * half-written store. Not for anything whose success is acknowledged.
 */
int store_put_batch_deferred(store_t *st, const struct store_rec *recs, size_t n,
			     int *results, uint64_t *cursors_out) SAMEN_MUST_CHECK;

/* Makes every deferred write durable; 0 at once when none is pending. */
int store_sync(store_t *st);

/*
 * Copies the record with this id into a malloc'ed buffer (*data, *len);
 * the caller frees *data. Returns SAMEN_ENOTFOUND if absent.
 */
int store_get(store_t *st, const uint8_t id[32], uint8_t **data, size_t *len)
	SAMEN_MUST_CHECK;

/* Returns 1 if a record with this id is stored, 0 if not, negative on error. */
int store_has(store_t *st, const uint8_t id[32]);

/* store_has() for n ids in one read transaction: present[i] is 1 if ids[i]
 * is stored, else 0. Returns 0 or a negative code (then present is
 * meaningless). */
int store_has_each(store_t *st, const uint8_t (*ids)[32], size_t n, int *present)
	SAMEN_MUST_CHECK;

struct store_vv_entry {
	uint8_t author[32];
	uint64_t contig; /* all of 1..contig stored or skipped */
	uint64_t max;    /* highest seq stored */
};

/*
 * Reads the whole version vector, sorted by author. *entries is malloc'ed
 * (caller frees; NULL when *n == 0).
 */
int store_vv(store_t *st, struct store_vv_entry **entries, size_t *n)
	SAMEN_MUST_CHECK;

/* One author's entry; returns 0 with contig = max = 0 for an unknown author. */
int store_vv_get(store_t *st, const uint8_t author[32],
		 struct store_vv_entry *out) SAMEN_MUST_CHECK;

/*
 * Marks seq from+1..upto of author as accounted for even where not stored
 * (a peer holds nothing there: pruned, or numbers never used), then advances
 * contig over any stored records that follow. Applies only once contig has
 * reached `from`: a record below the gap that we still lack (refused as
 * rate-limited, say) must stay missing so anti-entropy fetches it again.
 * upto is clamped to the highest seq of author stored here (max): only a
 * record the author signed proves its numbers exist, so contig <= max
 * always holds. Never moves contig backwards. Returns a negative code, or
 * STORE_SKIP_MOVED if contig moved, | STORE_SKIP_CLAMPED if upto was cut.
 */
#define STORE_SKIP_MOVED 1
#define STORE_SKIP_CLAMPED 2
int store_vv_skip(store_t *st, const uint8_t author[32], uint64_t from, uint64_t upto)
	SAMEN_MUST_CHECK;

/* Restores contig <= max for every author (a store written before SKIPs
 * were clamped may break it): such an entry's contig is recounted over the
 * records stored from seq 1. Returns how many entries were repaired, or a
 * negative code. store_open() runs it. */
int store_vv_repair(store_t *st) SAMEN_MUST_CHECK;

/*
 * Calls fn for each stored record of author with seq > after_seq, in
 * ascending seq order, until fn returns non-zero (which is then returned)
 * or the records run out (returns 0). data is valid only during the call.
 */
typedef int (*store_rec_fn)(void *ctx, uint64_t seq, const uint8_t id[32],
			    const uint8_t *data, size_t len);
int store_each_by_author(store_t *st, const uint8_t author[32],
			 uint64_t after_seq, store_rec_fn fn, void *ctx);

/* Calls fn for each stored record of kind in nbhd, in the order they were
 * stored (by cursor). */
typedef int (*store_kind_fn)(void *ctx, const uint8_t id[32],
			     const uint8_t *data, size_t len);
int store_each_by_kind(store_t *st, const uint8_t nbhd[32], uint8_t kind,
		       store_kind_fn fn, void *ctx);

/*
 * Calls fn for each stored record with cursor > after, ascending, at most
 * limit records (0 = no limit). Returns the number visited, or a negative
 * code, or fn's non-zero return.
 */
typedef int (*store_cursor_fn)(void *ctx, uint64_t cursor, const uint8_t id[32],
			       const uint8_t *data, size_t len);
int store_each_from_cursor(store_t *st, uint64_t after, size_t limit,
			   store_cursor_fn fn, void *ctx);

/* Highest cursor assigned so far (0 if none). */
int store_last_cursor(store_t *st, uint64_t *out) SAMEN_MUST_CHECK;

/*
 * Deletes every record whose expires is in (0, now] together with its index
 * entries (byseq, bykind, cursor). The version vector is kept, so a pruned
 * record is not fetched again. Returns the number pruned.
 */
int store_prune(store_t *st, uint64_t now) SAMEN_MUST_CHECK;

/*
 * Deletes one record before its time (a retracted signal), with its index
 * entries, keeping the version vector like store_prune(). expires must be the
 * expiry it was stored with (records stored with expires 0 cannot be
 * deleted). Returns 0 or SAMEN_ENOTFOUND.
 */
int store_delete(store_t *st, const uint8_t id[32], uint64_t expires) SAMEN_MUST_CHECK;

/*
 * Deletes n permanent records (stored with expires 0) in one transaction,
 * each described by its id, author, seq, nbhd and kind (data unused), with
 * their index entries, keeping the version vector; an id not held is
 * skipped. For records today's rules would never have stored. Returns how
 * many were deleted, or a negative code (nothing deleted).
 */
int store_forget(store_t *st, const struct store_rec *recs, size_t n) SAMEN_MUST_CHECK;

/*
 * Small persistent values the daemon keeps beside its records (its
 * neighbourhood, the invites it issued). name is a NUL-terminated string
 * of 1 to 511 bytes (SAMEN_EINVAL otherwise).
 * store_meta_get copies at most cap bytes into buf and sets *len to the
 * stored length; SAMEN_ENOTFOUND if absent.
 */
int store_meta_put(store_t *st, const char *name, const void *val, size_t len)
	SAMEN_MUST_CHECK;
int store_meta_get(store_t *st, const char *name, void *buf, size_t cap,
		   size_t *len) SAMEN_MUST_CHECK;

struct store_stats {
	uint64_t records;
	uint64_t map_size;  /* current map size in bytes */
	uint64_t used_bytes;/* pages in use * page size */
	uint64_t last_cursor;
};
int store_stats(store_t *st, struct store_stats *out) SAMEN_MUST_CHECK;

#endif
