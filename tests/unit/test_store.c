/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_store.c — daemon/store*.c against a real LMDB environment in a fresh
 * directory under /tmp. Records are random bytes whose id is their
 * BLAKE2b-256, as the store's callers will hand them over. The node on top
 * of it (daemon/node.c) is tested in test_node.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "../support/harness.h"
#include "../../daemon/store.h"

struct fixture {
	char tmp[64];   /* mkdtemp directory */
	char dir[96];   /* the store's own directory, created by store_open */
	store_t *st;
};

/* A record with its own heap copy of the bytes; free with rec_free(). */
static struct store_rec rec_new(const uint8_t author[32], uint64_t seq, size_t len)
{
	struct store_rec r;
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	memset(&r, 0, sizeof(r));
	randombytes_buf(buf, len);
	crypto_generichash(r.id, 32, buf, len, NULL, 0);
	memcpy(r.author, author, 32);
	memset(r.nbhd, 0xAB, 32);
	r.seq = seq;
	r.kind = 5;
	r.data = buf;
	r.len = len;
	return r;
}

static void rec_free(struct store_rec *r)
{
	free((void *)r->data);
	r->data = NULL;
}

static void author_fill(uint8_t author[32], uint8_t b)
{
	memset(author, b, 32);
}

static int setup_opts(void **state, const struct store_opts *opts)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/samen-test-store-XXXXXX");
	if (!mkdtemp(f->tmp))
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/db", f->tmp);
	if (store_open(&f->st, f->dir, opts) != 0)
		return -1;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_opts(state, NULL);
}

static int setup_tiny_map(void **state)
{
	struct store_opts o = { .initial_map_size = 64 << 10 };

	return setup_opts(state, &o);
}

static int setup_capped_map(void **state)
{
	struct store_opts o = { .initial_map_size = 64 << 10, .max_map_size = 1 << 20 };

	return setup_opts(state, &o);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(&f->st);
	harness_rmtree(f->tmp);
	free(f);
	return 0;
}

static void reopen(struct fixture *f, const struct store_opts *opts)
{
	store_close(&f->st);
	assert_null(f->st);
	assert_int_equal(store_open(&f->st, f->dir, opts), 0);
}

static void put1(store_t *st, const struct store_rec *r, int want, uint64_t *cursor)
{
	int res = 12345;
	uint64_t cur = 999;

	assert_int_equal(store_put_batch(st, r, 1, &res, &cur), 0);
	assert_int_equal(res, want);
	if (want != 0)
		assert_int_equal(cur, 0);
	if (cursor)
		*cursor = cur;
}

static void assert_stored(store_t *st, const struct store_rec *r)
{
	uint8_t *data = NULL;
	size_t len = 0;

	assert_int_equal(store_get(st, r->id, &data, &len), 0);
	assert_int_equal(len, r->len);
	assert_memory_equal(data, r->data, len);
	free(data);
	assert_int_equal(store_has(st, r->id), 1);
}

static void assert_absent(store_t *st, const uint8_t id[32])
{
	uint8_t *data = NULL;
	size_t len = 0;

	assert_int_equal(store_get(st, id, &data, &len), SAMEN_ENOTFOUND);
	assert_null(data);
	assert_int_equal(store_has(st, id), 0);
}

static void assert_vv(store_t *st, const uint8_t author[32], uint64_t contig, uint64_t max)
{
	struct store_vv_entry e;

	assert_int_equal(store_vv_get(st, author, &e), 0);
	assert_memory_equal(e.author, author, 32);
	assert_int_equal(e.contig, contig);
	assert_int_equal(e.max, max);
}

struct seq_find {
	uint64_t seq;
	uint8_t *id;
};

static int on_seq(void *ctx, uint64_t seq, const uint8_t id[32], const uint8_t *data,
		  size_t len)
{
	struct seq_find *q = ctx;

	(void)data, (void)len;
	if (seq != q->seq)
		return 2;
	memcpy(q->id, id, 32);
	return 1;
}

/* The id stored under (author, seq >= 1), read through the walk by author,
 * the one way the interface offers: 0, SAMEN_ENOTFOUND, or the walk's
 * error. */
static int id_by_seq(store_t *st, const uint8_t author[32], uint64_t seq, uint8_t id[32])
{
	struct seq_find q = { seq, id };
	int rc = store_each_by_author(st, author, seq - 1, on_seq, &q);

	return rc == 1 ? 0 : rc < 0 ? rc : SAMEN_ENOTFOUND;
}

static void test_open_modes(void **state)
{
	struct fixture *f = *state;
	char p[160];
	struct stat sb;
	store_t *st = (store_t *)&sb; /* must stay untouched on failure */

	assert_int_equal(stat(f->dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/data.mdb", f->dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	snprintf(p, sizeof(p), "%s/lock.mdb", f->dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);

	/* A regular file where the directory should be. */
	st = (store_t *)&sb;
	assert_int_equal(store_open(&st, p, NULL), -ENOTDIR);
	assert_ptr_equal(st, (store_t *)&sb);
	assert_int_equal(store_open(&st, "", NULL), SAMEN_EINVAL);
}

static void test_put_get(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], id[32];
	struct store_rec r[3];
	int res[3];
	uint64_t cur[3];
	struct store_stats s;

	author_fill(a, 1);
	for (int i = 0; i < 3; i++)
		r[i] = rec_new(a, (uint64_t)i + 1, 100 + (size_t)i * 1000);
	assert_int_equal(store_put_batch(f->st, r, 3, res, cur), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(res[i], 0);
		assert_int_equal(cur[i], (uint64_t)i + 1);
		assert_stored(f->st, &r[i]);
		assert_int_equal(id_by_seq(f->st, a, (uint64_t)i + 1, id), 0);
		assert_memory_equal(id, r[i].id, 32);
	}
	assert_int_equal(id_by_seq(f->st, a, 4, id), SAMEN_ENOTFOUND);
	memset(id, 0x77, 32);
	assert_absent(f->st, id);
	assert_int_equal(store_stats(f->st, &s), 0);
	assert_int_equal(s.records, 3);
	assert_int_equal(s.last_cursor, 3);
	assert_true(s.used_bytes > 0 && s.used_bytes <= s.map_size);

	/* Still there after close and reopen. */
	reopen(f, NULL);
	for (int i = 0; i < 3; i++) {
		assert_stored(f->st, &r[i]);
		rec_free(&r[i]);
	}
}

/*
 * LMDB's disk flushes, counted: a commit flushes its data pages with
 * fdatasync() and makes itself current with a write to a descriptor opened
 * O_DSYNC, unless MDB_NOMETASYNC. These wrap libc's (or the sanitizer's)
 * pwrite and fdatasync for this test binary.
 */
static unsigned dsync_writes, datasyncs;

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*next)(int, const void *, size_t, off_t);
	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "pwrite");
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_DSYNC) == O_DSYNC)
		dsync_writes++;
	return next(fd, buf, n, off);
}

int fdatasync(int fd)
{
	static int (*next)(int);
	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "fdatasync");
	datasyncs++;
	return next(fd);
}

/* How many disk flushes store_sync() makes now: 1 while a deferred write
 * waits for one, 0 when none does. */
static unsigned sync_flushes(store_t *st)
{
	unsigned d0 = datasyncs;

	assert_int_equal(store_sync(st), 0);
	return datasyncs - d0;
}

/* A deferred batch is stored and readable at once, waits for a flush
 * (store_sync, a durable write, or close), and is on disk after close. */
static void test_deferred_flush(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32];
	struct store_rec r[3];
	int res[2];
	uint64_t cur[2];

	author_fill(a, 4);
	for (int i = 0; i < 3; i++)
		r[i] = rec_new(a, (uint64_t)i + 1, 300);
	assert_int_equal(sync_flushes(f->st), 0); /* nothing to do */

	assert_int_equal(store_put_batch_deferred(f->st, r, 2, res, cur), 0);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], 0);
	assert_int_equal(cur[1], 2);
	assert_stored(f->st, &r[0]);
	assert_stored(f->st, &r[1]);
	assert_int_equal(sync_flushes(f->st), 1);
	assert_int_equal(sync_flushes(f->st), 0);

	/* a durable write leaves it pending (LMDB skips the flush of a commit
	 * that changed nothing, so only store_sync says it is done) */
	assert_int_equal(store_put_batch_deferred(f->st, r + 2, 1, res, NULL), 0);
	assert_int_equal(store_meta_put(f->st, "probe", (const uint8_t *)"x", 1), 0);
	assert_int_equal(sync_flushes(f->st), 1);

	/* duplicates and equivocation are judged as in a durable batch */
	struct store_rec twin = rec_new(a, 1, 300);
	assert_int_equal(store_put_batch_deferred(f->st, &twin, 1, res, NULL), 0);
	assert_int_equal(res[0], SAMEN_EEQUIVOCATION);
	rec_free(&twin);

	assert_int_equal(store_put_batch_deferred(f->st, r, 1, res, NULL), 0);
	assert_int_equal(res[0], SAMEN_EDUPLICATE);
	assert_int_equal(store_sync(f->st), 0);

	/* the flushes: a durable commit makes two (data, then a synchronous
	 * meta write), a deferred one only the first, store_sync the second */
	unsigned w0 = dsync_writes, d0 = datasyncs;
	struct store_rec extra = rec_new(a, 20, 300);
	put1(f->st, &extra, 0, NULL);
	rec_free(&extra);
	assert_int_equal(dsync_writes - w0, 1);
	assert_int_equal(datasyncs - d0, 1);
	assert_int_equal(sync_flushes(f->st), 0);
	extra = rec_new(a, 21, 300);
	w0 = dsync_writes;
	d0 = datasyncs;
	assert_int_equal(store_put_batch_deferred(f->st, &extra, 1, res, NULL), 0);
	assert_int_equal(dsync_writes - w0, 0);
	assert_int_equal(datasyncs - d0, 1);
	assert_int_equal(sync_flushes(f->st), 1);
	assert_int_equal(dsync_writes - w0, 0);
	assert_int_equal(sync_flushes(f->st), 0);
	assert_stored(f->st, &extra);
	rec_free(&extra);

	reopen(f, NULL); /* close flushes */
	for (int i = 0; i < 3; i++) {
		assert_stored(f->st, &r[i]);
		rec_free(&r[i]);
	}
	assert_int_equal(sync_flushes(f->st), 0);
	assert_int_equal(store_sync(NULL), SAMEN_EINVAL);
}

static void test_invalid_batch(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32];
	struct store_rec r[2];
	int res[2];

	author_fill(a, 2);
	r[0] = rec_new(a, 1, 10);
	r[1] = rec_new(a, 0, 10); /* seq 0 is not a sequence number */
	assert_int_equal(store_put_batch(f->st, r, 2, res, NULL), SAMEN_EINVAL);
	assert_absent(f->st, r[0].id);
	assert_vv(f->st, a, 0, 0);
	assert_int_equal(store_put_batch(f->st, NULL, 0, NULL, NULL), 0);
	rec_free(&r[0]);
	rec_free(&r[1]);
}

static void test_duplicate(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32];
	struct store_rec r[3];
	int res[3];
	uint64_t cur[3], c;
	struct store_stats s;

	author_fill(a, 3);
	r[0] = rec_new(a, 1, 64);
	put1(f->st, &r[0], 0, &c);
	assert_int_equal(c, 1);
	put1(f->st, &r[0], SAMEN_EDUPLICATE, NULL);

	/* The same record twice in one batch, after a new one. */
	r[1] = rec_new(a, 2, 64);
	r[2] = r[1];
	assert_int_equal(store_put_batch(f->st, r + 1, 2, res, cur), 0);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], SAMEN_EDUPLICATE);
	assert_int_equal(cur[0], 2);
	assert_int_equal(cur[1], 0);
	assert_int_equal(store_stats(f->st, &s), 0);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.last_cursor, 2);
	rec_free(&r[0]);
	rec_free(&r[1]);
}

static void test_equivocation_across_batches(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], id[32];
	struct store_rec first, second;

	author_fill(a, 4);
	first = rec_new(a, 7, 80);
	second = rec_new(a, 7, 80);
	put1(f->st, &first, 0, NULL);
	put1(f->st, &second, SAMEN_EEQUIVOCATION, NULL);
	assert_stored(f->st, &first);
	assert_absent(f->st, second.id);
	assert_int_equal(id_by_seq(f->st, a, 7, id), 0);
	assert_memory_equal(id, first.id, 32);
	reopen(f, NULL);
	put1(f->st, &second, SAMEN_EEQUIVOCATION, NULL);
	rec_free(&first);
	rec_free(&second);
}

static void test_equivocation_within_batch(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], id[32];
	struct store_rec r[3];
	int res[3];
	uint64_t cur[3], last;

	author_fill(a, 5);
	r[0] = rec_new(a, 1, 50);
	r[1] = rec_new(a, 1, 60);
	r[2] = rec_new(a, 2, 70);
	assert_int_equal(store_put_batch(f->st, r, 3, res, cur), 0);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], SAMEN_EEQUIVOCATION);
	assert_int_equal(res[2], 0);
	assert_int_equal(cur[0], 1);
	assert_int_equal(cur[1], 0);
	assert_int_equal(cur[2], 2);
	assert_stored(f->st, &r[0]);
	assert_absent(f->st, r[1].id);
	assert_int_equal(id_by_seq(f->st, a, 1, id), 0);
	assert_memory_equal(id, r[0].id, 32);
	assert_int_equal(store_last_cursor(f->st, &last), 0);
	assert_int_equal(last, 2);
	assert_vv(f->st, a, 2, 2);
	for (int i = 0; i < 3; i++)
		rec_free(&r[i]);
}

static void test_vv_out_of_order(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], b[32];
	struct store_rec r[6];
	int res[3];
	struct store_vv_entry *vv = NULL;
	size_t n = 99;

	assert_int_equal(store_vv(f->st, &vv, &n), 0);
	assert_int_equal(n, 0);
	assert_null(vv);

	author_fill(a, 0x20);
	author_fill(b, 0x10);
	for (int i = 0; i < 3; i++)
		r[i] = rec_new(a, (uint64_t)i + 1, 40);
	assert_vv(f->st, a, 0, 0);
	put1(f->st, &r[2], 0, NULL);
	assert_vv(f->st, a, 0, 3);
	put1(f->st, &r[0], 0, NULL);
	assert_vv(f->st, a, 1, 3);
	put1(f->st, &r[1], 0, NULL);
	assert_vv(f->st, a, 3, 3);

	/* Out of order inside one batch: 3, 2, 1 with a gap at 4, then 5. */
	for (int i = 0; i < 3; i++)
		r[3 + i] = rec_new(b, 3 - (uint64_t)i, 40);
	assert_int_equal(store_put_batch(f->st, r + 3, 3, res, NULL), 0);
	assert_vv(f->st, b, 3, 3);
	rec_free(&r[3]);
	r[3] = rec_new(b, 5, 40);
	put1(f->st, &r[3], 0, NULL);
	assert_vv(f->st, b, 3, 5);

	reopen(f, NULL);
	assert_int_equal(store_vv(f->st, &vv, &n), 0);
	assert_int_equal(n, 2);
	/* Sorted by author: b (0x10...) before a (0x20...). */
	assert_memory_equal(vv[0].author, b, 32);
	assert_int_equal(vv[0].contig, 3);
	assert_int_equal(vv[0].max, 5);
	assert_memory_equal(vv[1].author, a, 32);
	assert_int_equal(vv[1].contig, 3);
	assert_int_equal(vv[1].max, 3);
	free(vv);
	for (int i = 0; i < 6; i++)
		rec_free(&r[i]);
}

static void test_vv_skip(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], u[32];
	struct store_rec r[3];
	uint64_t seqs[3] = { 4, 5, 7 };

	author_fill(a, 6);
	for (int i = 0; i < 3; i++) {
		r[i] = rec_new(a, seqs[i], 30);
		put1(f->st, &r[i], 0, NULL);
	}
	assert_vv(f->st, a, 0, 7);
	assert_int_equal(store_vv_skip(f->st, a, 0, 3), STORE_SKIP_MOVED);
	assert_vv(f->st, a, 5, 7); /* walked over the stored 4 and 5 */
	assert_int_equal(store_vv_skip(f->st, a, 0, 2), 0);
	assert_vv(f->st, a, 5, 7); /* never backwards */
	assert_int_equal(store_vv_skip(f->st, a, 5, 6), STORE_SKIP_MOVED);
	assert_vv(f->st, a, 7, 7);
	assert_int_equal(store_vv_skip(f->st, a, 9, 8), SAMEN_EINVAL);

	/* a gap above a record we still lack is not applied: that record
	 * must stay missing so it is fetched again */
	author_fill(u, 7);
	assert_int_equal(store_vv_skip(f->st, u, 2, 10), 0);
	assert_vv(f->st, u, 0, 0);
	/* nothing of u's is held: no record proves any of its numbers */
	assert_int_equal(store_vv_skip(f->st, u, 0, 10), STORE_SKIP_CLAMPED);
	assert_vv(f->st, u, 0, 0);
	reopen(f, NULL);
	assert_vv(f->st, u, 0, 0);
	assert_vv(f->st, a, 7, 7);
	for (int i = 0; i < 3; i++)
		rec_free(&r[i]);
}

static void raw_put(const char *dir, const char *db, const void *k, size_t klen,
		    const void *v, size_t vlen);

/* A SKIP may move contig only up to the highest seq a record of the author
 * proves: one naming the largest number does not end its stream. */
static void test_vv_skip_bound(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32];
	struct store_rec r[3];
	uint64_t seqs[3] = { 1, 2, 9 };

	author_fill(a, 8);
	for (int i = 0; i < 2; i++) {
		r[i] = rec_new(a, seqs[i], 30);
		put1(f->st, &r[i], 0, NULL);
	}
	assert_vv(f->st, a, 2, 2);
	assert_int_equal(store_vv_skip(f->st, a, 2, UINT64_MAX), STORE_SKIP_CLAMPED);
	assert_vv(f->st, a, 2, 2);
	/* the author's seq 9 proves 3..8 were used: skippable now, no further */
	r[2] = rec_new(a, seqs[2], 30);
	put1(f->st, &r[2], 0, NULL);
	assert_int_equal(store_vv_skip(f->st, a, 2, UINT64_MAX),
			 STORE_SKIP_MOVED | STORE_SKIP_CLAMPED);
	assert_vv(f->st, a, 9, 9);
	assert_int_equal(store_vv_skip(f->st, a, 9, 12), STORE_SKIP_CLAMPED);
	assert_vv(f->st, a, 9, 9);
	/* and the author can still go on */
	struct store_rec next = rec_new(a, 10, 30);
	put1(f->st, &next, 0, NULL);
	assert_vv(f->st, a, 10, 10);
	rec_free(&next);
	for (int i = 0; i < 3; i++)
		rec_free(&r[i]);
}

/* A store poisoned before SKIPs were clamped (contig far past anything
 * stored) is repaired when opened: contig is recounted over what is held. */
static void test_vv_repair(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], b[32], vv[16];
	struct store_rec r[3];
	uint64_t seqs[3] = { 1, 2, 4 };

	author_fill(a, 9);
	author_fill(b, 10);
	for (int i = 0; i < 3; i++) {
		r[i] = rec_new(a, seqs[i], 30);
		put1(f->st, &r[i], 0, NULL);
	}
	struct store_rec rb = rec_new(b, 1, 30);
	put1(f->st, &rb, 0, NULL);
	assert_vv(f->st, a, 2, 4);
	store_close(&f->st);
	/* contig = 2^64 - 1, max = 4: what an unbounded SKIP left behind */
	memset(vv, 0xff, 8);
	memset(vv + 8, 0, 8);
	vv[15] = 4;
	raw_put(f->dir, "vv", a, 32, vv, sizeof(vv));
	assert_int_equal(store_open(&f->st, f->dir, NULL), 0);
	assert_vv(f->st, a, 2, 4); /* the hole at 3 is missing again */
	assert_vv(f->st, b, 1, 1); /* a sound entry is untouched */
	assert_int_equal(store_vv_repair(f->st), 0);
	rec_free(&rb);
	for (int i = 0; i < 3; i++)
		rec_free(&r[i]);
}

struct seen {
	int n;
	uint64_t seq[64];
	uint8_t id[64][32];
	size_t len[64];
	const struct store_rec *recs; /* to check the bytes against */
	size_t nrecs;
	int stop_at;                  /* return 7 on this visit (1-based); 0 never */
};

static const struct store_rec *find_rec(const struct seen *s, const uint8_t id[32])
{
	for (size_t i = 0; i < s->nrecs; i++)
		if (memcmp(s->recs[i].id, id, 32) == 0)
			return &s->recs[i];
	return NULL;
}

static int note(struct seen *s, uint64_t seq, const uint8_t id[32],
		const uint8_t *data, size_t len)
{
	const struct store_rec *r = find_rec(s, id);

	assert_non_null(r);
	assert_int_equal(len, r->len);
	assert_memory_equal(data, r->data, len);
	assert_true(s->n < 64);
	s->seq[s->n] = seq;
	memcpy(s->id[s->n], id, 32);
	s->len[s->n] = len;
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

static int on_author(void *ctx, uint64_t seq, const uint8_t id[32],
		     const uint8_t *data, size_t len)
{
	return note(ctx, seq, id, data, len);
}

static int on_kind(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	return note(ctx, 0, id, data, len);
}

static int on_cursor(void *ctx, uint64_t cursor, const uint8_t id[32],
		     const uint8_t *data, size_t len)
{
	return note(ctx, cursor, id, data, len);
}

/* store_forget() deletes permanent records with their indexes and keeps
 * the version vector; an unknown id is skipped; an expiring one is for
 * store_delete(). */
static void test_forget(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], id[32];
	struct store_rec r[3];
	struct seen s;

	author_fill(a, 11);
	for (int i = 0; i < 3; i++) {
		r[i] = rec_new(a, (uint64_t)i + 1, 40);
		r[i].kind = 2;
		put1(f->st, &r[i], 0, NULL);
	}
	struct store_rec gone[2] = { r[0], r[2] };
	assert_int_equal(store_forget(f->st, gone, 2), 2);
	assert_absent(f->st, r[0].id);
	assert_absent(f->st, r[2].id);
	assert_stored(f->st, &r[1]);
	assert_int_equal(id_by_seq(f->st, a, 1, id), SAMEN_ENOTFOUND);
	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 3;
	assert_int_equal(store_each_by_kind(f->st, r[1].nbhd, 2, on_kind, &s), 0);
	assert_int_equal(s.n, 1);
	assert_vv(f->st, a, 3, 3);
	assert_int_equal(store_forget(f->st, gone, 2), 0);
	gone[0].expires = 99;
	assert_int_equal(store_forget(f->st, gone, 1), SAMEN_EINVAL);
	for (int i = 0; i < 3; i++)
		rec_free(&r[i]);
}

static void test_each_by_author(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], b[32], c[32];
	struct store_rec r[7];
	int res[7];
	struct seen s;

	/* Neighbouring authors, so a walk that overran its prefix would show. */
	author_fill(a, 0x40);
	author_fill(b, 0x40);
	b[31] = 0x41;
	author_fill(c, 0x40);
	c[31] = 0x3f;
	/* Seqs of a arrive out of order. */
	uint64_t seqs[5] = { 5, 1, 3, 2, 4 };
	for (int i = 0; i < 5; i++)
		r[i] = rec_new(a, seqs[i], 20 + (size_t)i);
	r[5] = rec_new(b, 1, 20);
	r[6] = rec_new(c, 9, 20);
	assert_int_equal(store_put_batch(f->st, r, 7, res, NULL), 0);

	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 7;
	assert_int_equal(store_each_by_author(f->st, a, 2, on_author, &s), 0);
	assert_int_equal(s.n, 3);
	for (int i = 0; i < 3; i++) {
		uint8_t id[32];

		assert_int_equal(s.seq[i], (uint64_t)i + 3);
		assert_int_equal(id_by_seq(f->st, a, s.seq[i], id), 0);
		assert_memory_equal(s.id[i], id, 32);
	}

	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 7;
	assert_int_equal(store_each_by_author(f->st, a, 0, on_author, &s), 0);
	assert_int_equal(s.n, 5);

	/* A non-zero return stops the walk and is passed back. */
	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 7;
	s.stop_at = 2;
	assert_int_equal(store_each_by_author(f->st, a, 0, on_author, &s), 7);
	assert_int_equal(s.n, 2);

	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 7;
	assert_int_equal(store_each_by_author(f->st, a, 5, on_author, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(store_each_by_author(f->st, c, 0, on_author, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seq[0], 9);
	for (int i = 0; i < 7; i++)
		rec_free(&r[i]);
}

static void test_each_by_kind(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], n1[32], n2[32];
	struct store_rec r[6];
	int res[6];
	struct seen s;

	author_fill(a, 8);
	memset(n1, 0x51, 32);
	memset(n2, 0x52, 32);
	for (int i = 0; i < 6; i++) {
		r[i] = rec_new(a, (uint64_t)i + 1, 33);
		memcpy(r[i].nbhd, i == 5 ? n2 : n1, 32);
		r[i].kind = i < 3 || i == 5 ? 5 : 6;
	}
	assert_int_equal(store_put_batch(f->st, r, 6, res, NULL), 0);

	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 6;
	/* in the order they were stored */
	assert_int_equal(store_each_by_kind(f->st, n1, 5, on_kind, &s), 0);
	assert_int_equal(s.n, 3);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(s.id[i], r[i].id, 32);

	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 6;
	assert_int_equal(store_each_by_kind(f->st, n1, 6, on_kind, &s), 0);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 6;
	assert_int_equal(store_each_by_kind(f->st, n2, 5, on_kind, &s), 0);
	assert_int_equal(s.n, 1);
	assert_memory_equal(s.id[0], r[5].id, 32);
	assert_int_equal(store_each_by_kind(f->st, n2, 6, on_kind, &s), 0);
	assert_int_equal(s.n, 1);
	for (int i = 0; i < 6; i++)
		rec_free(&r[i]);
}

static void test_each_from_cursor(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32];
	struct store_rec r[10];
	int res[10];
	uint64_t cur[10];
	struct seen s;

	author_fill(a, 9);
	for (int i = 0; i < 10; i++)
		r[i] = rec_new(a, (uint64_t)i + 1, 16);
	assert_int_equal(store_put_batch(f->st, r, 4, res, cur), 0);
	assert_int_equal(store_put_batch(f->st, r + 4, 6, res, cur + 4), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(cur[i], (uint64_t)i + 1);

	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 10;
	assert_int_equal(store_each_from_cursor(f->st, 0, 0, on_cursor, &s), 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(s.seq[i], (uint64_t)i + 1);
		assert_memory_equal(s.id[i], r[i].id, 32);
	}

	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 10;
	assert_int_equal(store_each_from_cursor(f->st, 3, 4, on_cursor, &s), 4);
	assert_int_equal(s.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(s.seq[i], (uint64_t)i + 4);

	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 10;
	assert_int_equal(store_each_from_cursor(f->st, 8, 100, on_cursor, &s), 2);
	assert_int_equal(store_each_from_cursor(f->st, 10, 0, on_cursor, &s), 0);
	assert_int_equal(store_each_from_cursor(f->st, UINT64_MAX, 0, on_cursor, &s), 0);
	assert_int_equal(s.n, 2);

	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 10;
	s.stop_at = 3;
	assert_int_equal(store_each_from_cursor(f->st, 0, 0, on_cursor, &s), 7);
	assert_int_equal(s.n, 3);
	for (int i = 0; i < 10; i++)
		rec_free(&r[i]);
}

static void test_prune(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32];
	struct store_rec r[5];
	uint64_t exp[5] = { 0, 50, 100, 200, 100 };
	int res[5];
	uint64_t cur[5], last;
	struct seen s;
	uint8_t id[32];

	author_fill(a, 10);
	for (int i = 0; i < 5; i++) {
		r[i] = rec_new(a, (uint64_t)i + 1, 200);
		r[i].expires = exp[i];
	}
	assert_int_equal(store_put_batch(f->st, r, 5, res, cur), 0);
	assert_vv(f->st, a, 5, 5);

	assert_int_equal(store_prune(f->st, 49), 0);
	assert_int_equal(store_prune(f->st, 100), 3); /* 50, 100, 100 */
	for (int i = 0; i < 5; i++) {
		if (exp[i] == 0 || exp[i] > 100) {
			assert_stored(f->st, &r[i]);
			continue;
		}
		assert_absent(f->st, r[i].id);
		assert_int_equal(id_by_seq(f->st, a, r[i].seq, id), SAMEN_ENOTFOUND);
	}
	/* No index still names a pruned record. */
	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 5;
	assert_int_equal(store_each_from_cursor(f->st, 0, 0, on_cursor, &s), 2);
	assert_int_equal(s.seq[0], cur[0]);
	assert_int_equal(s.seq[1], cur[3]);
	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 5;
	assert_int_equal(store_each_by_kind(f->st, r[0].nbhd, r[0].kind, on_kind, &s), 0);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 5;
	assert_int_equal(store_each_by_author(f->st, a, 0, on_author, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seq[0], 1);
	assert_int_equal(s.seq[1], 4);
	/* The version vector still says 1..5 were had. */
	assert_vv(f->st, a, 5, 5);

	assert_int_equal(store_prune(f->st, 100), 0);
	assert_int_equal(store_prune(f->st, UINT64_MAX), 1);
	assert_stored(f->st, &r[0]); /* expires 0: never */
	assert_absent(f->st, r[3].id);
	assert_int_equal(store_last_cursor(f->st, &last), 0);
	assert_int_equal(last, 5);
	assert_vv(f->st, a, 5, 5);
	for (int i = 0; i < 5; i++)
		rec_free(&r[i]);
}

static void test_cursor_not_reused_after_prune(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32];
	struct store_rec r[5], more[2];
	int res[5];
	uint64_t cur[5], c, last;
	struct store_stats s;

	author_fill(a, 11);
	for (int i = 0; i < 5; i++) {
		r[i] = rec_new(a, (uint64_t)i + 1, 100);
		r[i].expires = 1000;
	}
	assert_int_equal(store_put_batch(f->st, r, 5, res, cur), 0);
	assert_int_equal(cur[4], 5);
	/* Every record gone, so the cursor db is empty: the mark must hold. */
	assert_int_equal(store_prune(f->st, 1000), 5);
	assert_int_equal(store_stats(f->st, &s), 0);
	assert_int_equal(s.records, 0);
	assert_int_equal(s.last_cursor, 5);
	more[0] = rec_new(a, 6, 100);
	put1(f->st, &more[0], 0, &c);
	assert_int_equal(c, 6);

	assert_int_equal(store_prune(f->st, 1000), 0);
	reopen(f, NULL);
	assert_int_equal(store_last_cursor(f->st, &last), 0);
	assert_int_equal(last, 6);
	more[1] = rec_new(a, 7, 100);
	put1(f->st, &more[1], 0, &c);
	assert_int_equal(c, 7);
	for (int i = 0; i < 5; i++)
		rec_free(&r[i]);
	rec_free(&more[0]);
	rec_free(&more[1]);
}

static void test_meta(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[16];
	size_t len = 0;

	assert_int_equal(store_meta_get(f->st, "retention", buf, sizeof(buf), &len),
			 SAMEN_ENOTFOUND);
	assert_int_equal(store_meta_put(f->st, "retention", "86400", 5), 0);
	assert_int_equal(store_meta_get(f->st, "retention", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "86400", 5);
	/* A short buffer gets the first cap bytes and the full length. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(store_meta_get(f->st, "retention", buf, 2, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "86\0", 3);
	assert_int_equal(store_meta_put(f->st, "", "x", 1), SAMEN_EINVAL);

	reopen(f, NULL);
	assert_int_equal(store_meta_get(f->st, "retention", buf, sizeof(buf), &len), 0);
	assert_memory_equal(buf, "86400", 5);
}

#define GROW_RECS 1000
#define GROW_LEN 4096

static void test_map_growth(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32];
	struct store_rec *r = calloc(GROW_RECS, sizeof(*r));
	int res[250];
	uint64_t cur[250], expect = 1;
	struct store_stats s;
	size_t i;

	assert_non_null(r);
	author_fill(a, 12);
	for (i = 0; i < GROW_RECS; i++)
		r[i] = rec_new(a, i + 1, GROW_LEN);
	/* The first batch alone (1 MB) is sixteen times the 64 KiB map. */
	for (i = 0; i < GROW_RECS; i += 250) {
		assert_int_equal(store_put_batch(f->st, r + i, 250, res, cur), 0);
		for (size_t j = 0; j < 250; j++) {
			assert_int_equal(res[j], 0);
			assert_int_equal(cur[j], expect++);
		}
	}
	assert_int_equal(store_stats(f->st, &s), 0);
	assert_int_equal(s.records, GROW_RECS);
	assert_true(s.map_size >= (uint64_t)GROW_RECS * GROW_LEN);
	assert_true(s.used_bytes <= s.map_size);
	assert_vv(f->st, a, GROW_RECS, GROW_RECS);

	/* Reopened with the tiny map again: everything readable, and it grows. */
	struct store_opts o = { .initial_map_size = 64 << 10 };
	reopen(f, &o);
	for (i = 0; i < GROW_RECS; i++)
		assert_stored(f->st, &r[i]);
	struct store_rec extra = rec_new(a, GROW_RECS + 1, GROW_LEN * 4);
	put1(f->st, &extra, 0, NULL);
	rec_free(&extra);
	for (i = 0; i < GROW_RECS; i++)
		rec_free(&r[i]);
	free(r);
}

static void test_map_cap_full(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], b[32];
	struct store_rec early[4], big[64], late;
	int res[64];
	uint64_t cur[64], last, c;

	author_fill(a, 13);
	author_fill(b, 14);
	for (int i = 0; i < 4; i++)
		early[i] = rec_new(a, (uint64_t)i + 1, 1000);
	assert_int_equal(store_put_batch(f->st, early, 4, res, cur), 0);

	/* 64 x 32 KiB = 2 MiB against a 1 MiB cap. */
	for (int i = 0; i < 64; i++)
		big[i] = rec_new(b, (uint64_t)i + 1, 32 << 10);
	assert_int_equal(store_put_batch(f->st, big, 64, res, cur), SAMEN_EFULL);
	for (int i = 0; i < 64; i++)
		assert_absent(f->st, big[i].id);
	assert_vv(f->st, b, 0, 0);
	for (int i = 0; i < 4; i++)
		assert_stored(f->st, &early[i]);
	assert_vv(f->st, a, 4, 4);
	assert_int_equal(store_last_cursor(f->st, &last), 0);
	assert_int_equal(last, 4);

	/* The store is still usable, and cursors carry on without a gap. */
	late = rec_new(a, 5, 1000);
	put1(f->st, &late, 0, &c);
	assert_int_equal(c, 5);
	reopen(f, NULL);
	assert_stored(f->st, &late);
	for (int i = 0; i < 64; i++)
		assert_absent(f->st, big[i].id);
	rec_free(&late);
	for (int i = 0; i < 4; i++)
		rec_free(&early[i]);
	for (int i = 0; i < 64; i++)
		rec_free(&big[i]);
}

struct nested {
	store_t *st;
	int n;
};

/* The header allows read calls from inside a walk (MDB_NOTLS makes it so). */
static int read_inside(void *ctx, uint64_t cursor, const uint8_t id[32],
		       const uint8_t *data, size_t len)
{
	struct nested *x = ctx;
	uint8_t *copy = NULL;
	size_t clen = 0;
	struct store_vv_entry e;
	uint8_t a[32];

	(void)cursor;
	assert_int_equal(store_get(x->st, id, &copy, &clen), 0);
	assert_int_equal(clen, len);
	assert_memory_equal(copy, data, len);
	free(copy);
	author_fill(a, 18);
	assert_int_equal(store_vv_get(x->st, a, &e), 0);
	assert_int_equal(e.contig, 3);
	x->n++;
	return 0;
}

static void test_read_inside_callback(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32];
	struct store_rec r[3];
	int res[3];
	struct nested x = { f->st, 0 };

	author_fill(a, 18);
	for (int i = 0; i < 3; i++)
		r[i] = rec_new(a, (uint64_t)i + 1, 300);
	assert_int_equal(store_put_batch(f->st, r, 3, res, NULL), 0);
	assert_int_equal(store_each_from_cursor(f->st, 0, 0, read_inside, &x), 3);
	assert_int_equal(x.n, 3);
	for (int i = 0; i < 3; i++)
		rec_free(&r[i]);
}

/* Writes a raw entry behind the store's back, as a corrupted file would. */
static void raw_put(const char *dir, const char *db, const void *k, size_t klen,
		    const void *v, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = { klen, (void *)k }, val = { vlen, (void *)v };

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void test_corrupt_lengths(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], b[32], c[32], key[40], longer[20] = { 0 };
	struct store_vv_entry e, *vv = NULL;
	size_t n = 0;
	uint64_t last;
	struct seen s;

	author_fill(a, 15);
	author_fill(b, 16);
	author_fill(c, 17);
	store_close(&f->st);

	memcpy(key, a, 32);
	memset(key + 32, 0, 7);
	key[39] = 1;
	raw_put(f->dir, "byseq", key, 40, "short", 5);  /* id must be 32 */
	raw_put(f->dir, "vv", b, 32, "abc", 3);         /* vv must be 16 */
	raw_put(f->dir, "vv", c, 32, longer, sizeof(longer)); /* neither more */
	raw_put(f->dir, "data", "\0\0\0\0\0\0\0\1", 8, "tiny", 4); /* no room for the id */
	raw_put(f->dir, "ids", c, 32, "\0\0\1", 3);      /* a cursor must be 8 */

	assert_int_equal(store_open(&f->st, f->dir, NULL), 0);
	assert_int_equal(store_vv_get(f->st, b, &e), SAMEN_ESTORE);
	assert_int_equal(store_vv_get(f->st, c, &e), SAMEN_ESTORE);
	assert_int_equal(store_vv(f->st, &vv, &n), SAMEN_ESTORE);
	assert_null(vv);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_each_by_author(f->st, a, 0, on_author, &s), SAMEN_ESTORE);
	assert_int_equal(store_each_from_cursor(f->st, 0, 0, on_cursor, &s), SAMEN_ESTORE);
	assert_int_equal(s.n, 0);
	uint8_t *data = NULL;
	size_t len = 0;
	assert_int_equal(store_get(f->st, c, &data, &len), SAMEN_ESTORE);
	assert_null(data);
	assert_int_equal(store_last_cursor(f->st, &last), 0);
	assert_int_equal(last, 1);
}


static void test_delete(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], id[32];
	struct store_rec r[3];
	int res[3];
	struct seen s;

	author_fill(a, 19);
	for (int i = 0; i < 3; i++) {
		r[i] = rec_new(a, (uint64_t)i + 1, 120);
		r[i].expires = 1000 + (uint64_t)i;
	}
	r[2].expires = 0;
	assert_int_equal(store_put_batch(f->st, r, 3, res, NULL), 0);
	/* the expiry it was stored with, or nothing */
	assert_int_equal(store_delete(f->st, r[1].id, 1000), SAMEN_ENOTFOUND);
	assert_int_equal(store_delete(f->st, r[2].id, 1002), SAMEN_ENOTFOUND);
	assert_int_equal(store_delete(f->st, r[2].id, 0), SAMEN_EINVAL);
	assert_int_equal(store_delete(f->st, r[1].id, 1001), 0);
	assert_absent(f->st, r[1].id);
	assert_int_equal(id_by_seq(f->st, a, 2, id), SAMEN_ENOTFOUND);
	assert_int_equal(store_delete(f->st, r[1].id, 1001), SAMEN_ENOTFOUND);
	assert_stored(f->st, &r[0]);
	assert_stored(f->st, &r[2]);
	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 3;
	assert_int_equal(store_each_by_kind(f->st, r[0].nbhd, r[0].kind, on_kind, &s), 0);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 3;
	assert_int_equal(store_each_from_cursor(f->st, 0, 0, on_cursor, &s), 2);
	/* gone from the expiry index too: pruning later finds only r[0] */
	assert_int_equal(store_prune(f->st, 5000), 1);
	assert_vv(f->st, a, 3, 3);
	for (int i = 0; i < 3; i++)
		rec_free(&r[i]);
}

static void test_has_each(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], ids[4][32];
	struct store_rec r[3];
	int res[3], present[4] = { 9, 9, 9, 9 };

	author_fill(a, 20);
	for (int i = 0; i < 3; i++)
		r[i] = rec_new(a, (uint64_t)i + 1, 50);
	assert_int_equal(store_put_batch(f->st, r, 2, res, NULL), 0);
	memcpy(ids[0], r[1].id, 32);
	memcpy(ids[1], r[2].id, 32);
	memcpy(ids[2], r[0].id, 32);
	memset(ids[3], 0, 32);
	assert_int_equal(store_has_each(f->st, (const uint8_t(*)[32])ids, 4, present), 0);
	assert_int_equal(present[0], 1);
	assert_int_equal(present[1], 0);
	assert_int_equal(present[2], 1);
	assert_int_equal(present[3], 0);
	assert_int_equal(store_has_each(f->st, NULL, 0, NULL), 0);
	assert_int_equal(store_has_each(f->st, NULL, 1, present), SAMEN_EINVAL);
	for (int i = 0; i < 3; i++)
		rec_free(&r[i]);
}

/*
 * A store written in format 1 (bytes under their id, bykind and expiry
 * keyed by id) opens as format 2 with everything where it was: the same
 * cursors, ids, bytes, kinds, expiries and version vector.
 */
struct v1 {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi records, byseq, vv, bykind, expiry, cursor, meta;
};

static void v1_begin(struct v1 *w, const char *dir)
{
	uint8_t format = 1;
	MDB_val k = { 7, (void *)"\0format" }, v = { 1, &format };

	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mdb_env_create(&w->env), 0);
	assert_int_equal(mdb_env_set_maxdbs(w->env, 16), 0);
	assert_int_equal(mdb_env_open(w->env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(w->env, NULL, 0, &w->txn), 0);
	assert_int_equal(mdb_dbi_open(w->txn, "records", MDB_CREATE, &w->records), 0);
	assert_int_equal(mdb_dbi_open(w->txn, "byseq", MDB_CREATE, &w->byseq), 0);
	assert_int_equal(mdb_dbi_open(w->txn, "vv", MDB_CREATE, &w->vv), 0);
	assert_int_equal(mdb_dbi_open(w->txn, "bykind", MDB_CREATE, &w->bykind), 0);
	assert_int_equal(mdb_dbi_open(w->txn, "expiry", MDB_CREATE, &w->expiry), 0);
	assert_int_equal(mdb_dbi_open(w->txn, "cursor", MDB_CREATE, &w->cursor), 0);
	assert_int_equal(mdb_dbi_open(w->txn, "meta", MDB_CREATE, &w->meta), 0);
	assert_int_equal(mdb_put(w->txn, w->meta, &k, &v, 0), 0);
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void v1_raw(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const void *v,
		   size_t vlen)
{
	MDB_val key = { klen, (void *)k }, val = { vlen, (void *)v };

	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
}

/* One record as format 1 stored it; cursor 0 = none (cannot happen, but a
 * conversion must not lose the record). */
static void v1_put(struct v1 *w, const struct store_rec *r, uint64_t cursor)
{
	uint8_t skey[40], kkey[65], ekey[40], eval[81], ckey[8];

	be64(ckey, cursor);
	v1_raw(w->txn, w->records, r->id, 32, r->data, r->len);
	memcpy(skey, r->author, 32);
	be64(skey + 32, r->seq);
	v1_raw(w->txn, w->byseq, skey, 40, r->id, 32);
	memcpy(kkey, r->nbhd, 32);
	kkey[32] = r->kind;
	memcpy(kkey + 33, r->id, 32);
	v1_raw(w->txn, w->bykind, kkey, 65, "", 0);
	if (cursor)
		v1_raw(w->txn, w->cursor, ckey, 8, r->id, 32);
	if (r->expires) {
		be64(ekey, r->expires);
		memcpy(ekey + 8, r->id, 32);
		memcpy(eval, r->author, 32);
		be64(eval + 32, r->seq);
		memcpy(eval + 40, r->nbhd, 32);
		eval[72] = r->kind;
		be64(eval + 73, cursor);
		v1_raw(w->txn, w->expiry, ekey, 40, eval, 81);
	}
}

static void v1_end(struct v1 *w, const uint8_t author[32], uint64_t contig, uint64_t max,
		   uint64_t last_cursor)
{
	uint8_t vv[16], mark[8];

	be64(vv, contig);
	be64(vv + 8, max);
	v1_raw(w->txn, w->vv, author, 32, vv, 16);
	be64(mark, last_cursor);
	v1_raw(w->txn, w->meta, "\0cursor", 7, mark, 8);
	assert_int_equal(mdb_txn_commit(w->txn), 0);
	mdb_env_close(w->env);
}

static bool raw_has_db(const char *dir, const char *name)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	rc = mdb_dbi_open(txn, name, 0, &dbi);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return rc == 0;
}

static void test_migrate_v1(void **state)
{
	struct fixture *f = *state;
	uint8_t a[32], id[32];
	struct store_rec r[7], extra;
	struct store_vv_entry e;
	struct v1 w;
	struct seen s;
	uint64_t last, cur;
	int res;

	author_fill(a, 21);
	for (int i = 0; i < 7; i++) {
		r[i] = rec_new(a, (uint64_t)i + 1, 100 + (size_t)i * 700);
		r[i].kind = (uint8_t)(i % 3 == 0 ? 1 : 5);
		r[i].expires = i % 2 ? 1000 + (uint64_t)i : 0;
	}
	/* format 1 as the old daemon left it: cursors 3, 5, 6, ... with gaps
	 * from pruning, the mark beyond the last (a pruned record) */
	store_close(&f->st);
	harness_rmtree(f->dir);
	v1_begin(&w, f->dir);
	for (int i = 0; i < 6; i++)
		v1_put(&w, &r[i], (uint64_t)i + 3 + (i > 0) + (i > 2));
	v1_put(&w, &r[6], 0); /* no cursor */
	v1_end(&w, a, 7, 7, 20);

	assert_int_equal(store_open(&f->st, f->dir, NULL), 0);
	assert_false(raw_has_db(f->dir, "records"));
	assert_false(raw_has_db(f->dir, "bykind"));
	assert_false(raw_has_db(f->dir, "expiry"));
	assert_false(raw_has_db(f->dir, "cursor"));
	for (int i = 0; i < 7; i++) {
		assert_stored(f->st, &r[i]);
		assert_int_equal(id_by_seq(f->st, a, r[i].seq, id), 0);
		assert_memory_equal(id, r[i].id, 32);
	}
	assert_int_equal(store_vv_get(f->st, a, &e), 0);
	assert_int_equal(e.contig, 7);
	assert_int_equal(e.max, 7);
	/* the same cursors; the one without gets the next after the mark */
	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 7;
	assert_int_equal(store_each_from_cursor(f->st, 0, 0, on_cursor, &s), 7);
	uint64_t want[7] = { 3, 5, 6, 8, 9, 10, 21 };
	for (int i = 0; i < 7; i++) {
		assert_int_equal(s.seq[i], want[i]);
		assert_memory_equal(s.id[i], r[i].id, 32);
	}
	assert_int_equal(store_last_cursor(f->st, &last), 0);
	assert_int_equal(last, 21);
	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 7;
	assert_int_equal(store_each_by_kind(f->st, r[0].nbhd, 1, on_kind, &s), 0);
	assert_int_equal(s.n, 3); /* 0, 3, 6 */
	memset(&s, 0, sizeof(s));
	s.recs = r;
	s.nrecs = 7;
	assert_int_equal(store_each_by_author(f->st, a, 2, on_author, &s), 0);
	assert_int_equal(s.n, 5);
	/* expiries kept: 1, 3, 5 expire at 1001, 1003, 1005 */
	assert_int_equal(store_delete(f->st, r[3].id, 1003), 0);
	assert_absent(f->st, r[3].id);
	assert_int_equal(store_prune(f->st, 1004), 1);
	assert_absent(f->st, r[1].id);
	assert_stored(f->st, &r[5]);
	/* and it takes new records after the last cursor */
	extra = rec_new(a, 8, 64);
	assert_int_equal(store_put_batch(f->st, &extra, 1, &res, &cur), 0);
	assert_int_equal(res, 0);
	assert_int_equal(cur, 22);
	/* once converted, it opens as it is */
	reopen(f, NULL);
	assert_stored(f->st, &extra);
	assert_stored(f->st, &r[6]);
	assert_int_equal(store_prune(f->st, UINT64_MAX), 1);
	assert_absent(f->st, r[5].id);
	rec_free(&extra);
	for (int i = 0; i < 7; i++)
		rec_free(&r[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_equivocation_across_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_equivocation_within_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vv_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vv_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vv_skip_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vv_repair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_by_author, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_by_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_from_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_not_reused_after_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_growth, setup_tiny_map, teardown),
		cmocka_unit_test_setup_teardown(test_map_cap_full, setup_capped_map, teardown),
		cmocka_unit_test_setup_teardown(test_read_inside_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_has_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
