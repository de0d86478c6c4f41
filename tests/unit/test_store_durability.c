/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_store_durability.c — "a 0 from store_put_batch means on disk", tried
 * the hard way. Each round forks a writer that opens the store (with a tiny
 * map, so it also grows the map while being shot) and commits random
 * batches, reporting every acknowledged id over a pipe only after the call
 * returned 0. The parent kills it with SIGKILL at a random moment, reopens
 * the store and checks that every id ever acknowledged is there with bytes
 * that hash to it, and that the store as a whole is consistent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../support/harness.h"
#include "../../daemon/store.h"

#define ROUNDS 40
#define BATCH_MAX 50
#define REC_MAX 8192
#define CHILD_LIFETIME_S 120 /* a writer the parent forgot still ends */
#define FIRST_ACK_MS 60000    /* well inside the writer's lifetime, on any load */

struct acks {
	uint8_t (*id)[32];
	size_t n, cap;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * The writer. Never returns; its exit status says why it stopped on its own
 * (the parent normally kills it first). One author per round, seqs 1, 2, ...
 * in order, so the acknowledged seqs are always a prefix.
 */
static void writer(const char *dir, int fd)
{
	struct store_opts o = { .initial_map_size = 64 << 10 };
	struct store_rec recs[BATCH_MAX];
	uint8_t ids[BATCH_MAX][32], author[32], nbhd[32];
	int results[BATCH_MAX];
	uint8_t *pool = malloc((size_t)BATCH_MAX * REC_MAX);
	uint64_t seq = 1, deadline = now_ms() + CHILD_LIFETIME_S * 1000;
	store_t *st = NULL;

	if (!pool || store_open(&st, dir, &o) != 0)
		_exit(2);
	randombytes_buf(author, sizeof(author));
	memset(nbhd, 0x5a, sizeof(nbhd));
	while (now_ms() < deadline) {
		size_t n = 1 + randombytes_uniform(BATCH_MAX);

		for (size_t i = 0; i < n; i++) {
			struct store_rec *r = &recs[i];
			uint8_t *buf = pool + i * REC_MAX;
			/* author and seq first: two records never have one id (short
			 * random records alone would collide, and be refused as
			 * duplicates, within a few thousand) */
			size_t len = 40 + randombytes_uniform(REC_MAX - 40 + 1);

			memset(r, 0, sizeof(*r));
			randombytes_buf(buf, len);
			memcpy(buf, author, 32);
			for (int b = 0; b < 8; b++)
				buf[32 + b] = (uint8_t)(seq >> (56 - 8 * b));
			crypto_generichash(r->id, 32, buf, len, NULL, 0);
			memcpy(r->author, author, 32);
			memcpy(r->nbhd, nbhd, 32);
			r->seq = seq++;
			r->kind = (uint8_t)(1 + i % 7);
			r->data = buf;
			r->len = len;
		}
		if (store_put_batch(st, recs, n, results, NULL) != 0)
			_exit(3);
		for (size_t i = 0; i < n; i++) {
			if (results[i] != 0)
				_exit(4);
			memcpy(ids[i], recs[i].id, 32);
		}
		/* Only now, after the commit returned. At most 1600 bytes, below
		 * PIPE_BUF, so a kill never leaves half an id in the pipe. */
		if (write_all(fd, ids, n * 32) != 0)
			_exit(5);
	}
	_exit(6);
}

static void acks_add(struct acks *a, const uint8_t *id)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->id = realloc(a->id, a->cap * 32);
		assert_non_null(a->id);
	}
	memcpy(a->id[a->n++], id, 32);
}

/* Reads acks until the deadline (or for ever, deadline 0, until EOF), or
 * until `enough` acks are held (0: no such limit). */
static void read_acks(int fd, struct acks *a, uint8_t *part, size_t *plen,
		      uint64_t deadline, size_t enough)
{
	uint8_t buf[4096];

	for (;;) {
		int timeout = -1;

		if (enough && a->n >= enough)
			return;
		if (deadline) {
			uint64_t t = now_ms();

			if (t >= deadline)
				return;
			timeout = (int)(deadline - t);
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int rc = poll(&p, 1, timeout);

		if (rc < 0 && errno == EINTR)
			continue;
		assert_true(rc >= 0);
		if (rc == 0)
			continue;
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		assert_true(r >= 0);
		if (r == 0)
			return;
		for (ssize_t i = 0; i < r; i++) {
			part[(*plen)++] = buf[i];
			if (*plen == 32) {
				acks_add(a, part);
				*plen = 0;
			}
		}
	}
}

struct scan {
	uint64_t last_cursor;
	uint64_t count;
	int bad;
};

static int scan_one(void *ctx, uint64_t cursor, const uint8_t id[32],
		    const uint8_t *data, size_t len)
{
	struct scan *s = ctx;
	uint8_t h[32];

	crypto_generichash(h, 32, data, len, NULL, 0);
	if (memcmp(h, id, 32) != 0 || cursor <= s->last_cursor)
		s->bad++;
	s->last_cursor = cursor;
	s->count++;
	return 0;
}

static void check_store(const char *dir, const struct acks *a, uint64_t round)
{
	store_t *st = NULL;
	struct store_stats stats;
	struct scan s = { 0, 0, 0 };
	uint64_t marker = 0;
	uint8_t h[32];

	/* The store must open cleanly after every kill. */
	assert_int_equal(store_open(&st, dir, NULL), 0);
	for (size_t i = 0; i < a->n; i++) {
		uint8_t *data = NULL;
		size_t len = 0;

		assert_int_equal(store_get(st, a->id[i], &data, &len), 0);
		crypto_generichash(h, 32, data, len, NULL, 0);
		assert_memory_equal(h, a->id[i], 32);
		free(data);
	}
	/* Everything that is there, acknowledged or not, is whole. */
	assert_true(store_each_from_cursor(st, 0, 0, scan_one, &s) >= 0);
	assert_int_equal(s.bad, 0);
	assert_int_equal(store_stats(st, &stats), 0);
	assert_int_equal(s.count, stats.records);
	assert_true(stats.records >= a->n);
	assert_true(stats.last_cursor >= s.last_cursor);
	/* And it takes writes again: a counter bumped once per round. */
	uint8_t be[8] = { 0 };
	size_t len = 0;
	int rc = store_meta_get(st, "rounds", be, sizeof(be), &len);
	if (round == 0) {
		assert_int_equal(rc, SAMEN_ENOTFOUND);
	} else {
		assert_int_equal(rc, 0);
		assert_int_equal(len, 8);
	}
	for (int i = 0; i < 8; i++)
		marker = marker << 8 | be[i];
	assert_int_equal(marker, round);
	marker++;
	for (int i = 7; i >= 0; i--, marker >>= 8)
		be[i] = (uint8_t)marker;
	assert_int_equal(store_meta_put(st, "rounds", be, sizeof(be)), 0);
	store_close(&st);
}

struct fixture {
	char tmp[64];
	char dir[80];
	pid_t pid;        /* the live writer, so teardown can end it */
	struct acks acks;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	strcpy(f->tmp, "/tmp/samen-test-durability-XXXXXX");
	if (!mkdtemp(f->tmp))
		return -1;
	if ((size_t)snprintf(f->dir, sizeof(f->dir), "%s/db", f->tmp) >= sizeof(f->dir))
		return -1;
	return 0;
}

/* Runs after a failed assertion too: no stray writer, no stray directory. */
static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	if (f->tmp[0])
		harness_rmtree(f->tmp);
	free(f->acks.id);
	free(f);
	return 0;
}

static void test_kill_during_writes(void **state)
{
	struct fixture *f = *state;
	struct acks *a = &f->acks;
	for (uint64_t round = 0; round < ROUNDS; round++) {
		uint8_t part[32];
		size_t plen = 0, before = a->n;
		int fds[2], status;
		pid_t pid;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			writer(f->dir, fds[1]);
		}
		f->pid = pid;
		close(fds[1]);
		/* Kill mid-stream: only once the writer has acknowledged
		 * something (a loaded machine may take long to get there), then
		 * after a random further while. */
		read_acks(fds[0], a, part, &plen, now_ms() + FIRST_ACK_MS,
			  before + 1);
		if (a->n == before) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			f->pid = 0;
			fail_msg("round %llu: the writer acknowledged nothing and %s %d",
				 (unsigned long long)round, WIFEXITED(status) ? "exited with" : "died of",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		}
		read_acks(fds[0], a, part, &plen,
			  now_ms() + randombytes_uniform(100), 0);
		assert_int_equal(kill(pid, SIGKILL), 0);
		read_acks(fds[0], a, part, &plen, 0, 0); /* what it said before dying */
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		f->pid = 0;
		/* Killed by us, not stopped by a failure of its own. */
		if (!WIFSIGNALED(status))
			fail_msg("round %llu: the writer exited with %d before the kill (2: open, "
				 "3: commit, 4: a record refused, 5: pipe, 6: its lifetime ended)",
				 (unsigned long long)round, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		assert_int_equal(WTERMSIG(status), SIGKILL);
		assert_int_equal(plen, 0);
		check_store(f->dir, a, round);
	}
	print_message("%zu acknowledged records over %d kills, each mid-stream\n",
		      a->n, ROUNDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kill_during_writes, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
