/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * subout.c — see subout.h.
 */
#include "subout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fail.h"
#include "../keys/fileio.h"
#include "../proto/cap.h"

/* ---- text ---- */

int text_append(struct text *t, const char *p, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 65536;
		while (cap < t->len + n)
			cap *= 2;
		char *nb = malloc(cap);
		if (!nb)
			return -ENOMEM;
		if (t->len)
			memcpy(nb, t->p, t->len);
		if (t->p) {
			sodium_memzero(t->p, t->cap);
			free(t->p);
		}
		t->p = nb;
		t->cap = cap;
	}
	memcpy(t->p + t->len, p, n);
	t->len += n;
	return 0;
}

void text_clear(struct text *t)
{
	if (t->len)
		sodium_memzero(t->p, t->len);
	t->len = 0;
}

void text_free(struct text *t)
{
	if (t->p) {
		sodium_memzero(t->p, t->cap);
		free(t->p);
	}
	memset(t, 0, sizeof(*t));
}

void text_wipe(char **text, size_t *len)
{
	if (*text) {
		sodium_memzero(*text, *len);
		free(*text);
	}
	*text = NULL;
	*len = 0;
}

/* ---- the output and the cursor ---- */

int subout_open(struct subout *o)
{
	o->fd = -1;
	if (!o->out)
		return 0;
	if (o->cap && mkdir(o->out, 0700) < 0 && errno != EEXIST)
		return samen_fail(EXIT_INVALID, "--out %s: %s", o->out, strerror(errno));
	o->fd = o->cap ? open(o->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
		       : open(o->out, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (o->fd < 0)
		return samen_fail(EXIT_INVALID, "--out %s: %s", o->out,
				     errno == ELOOP || errno == ENOTDIR ? "is a symbolic link (refused)"
									: strerror(errno));
	return 0;
}

void subout_close(struct subout *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

static int save_cursor(const char *path, uint64_t cursor)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", cursor);
	return fileio_write_atomic(path, buf, (size_t)n);
}

uint64_t subout_load_cursor(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (fd >= 0 && !f)
		close(fd);
	unsigned long long v = 0;
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static uint64_t cursor_in_cap_dir(const struct subout *o)
{
	uint64_t best = 0;
	int fd = dup(o->fd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (fd >= 0 && !dir)
		close(fd);
	struct dirent *e;
	while (dir && (e = readdir(dir))) {
		unsigned long long c;
		if (sscanf(e->d_name, "%llu-", &c) != 1 || !strstr(e->d_name, ".xml"))
			continue;
		if (strstr(e->d_name, ".tmp"))
			(void)unlinkat(dirfd(dir), e->d_name, 0); /* never renamed: a crash */
		else if (c > best)
			best = c;
	}
	if (dir)
		closedir(dir);
	return best;
}

uint64_t subout_cursor_in_output(const struct subout *o)
{
	uint64_t best = 0;
	if (!o->out)
		return 0;
	if (o->cap)
		return cursor_in_cap_dir(o);
	int fd = dup(o->fd);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	/* a torn last line (crash mid-write) is cut off */
	char line[65536];
	long good = 0;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		if (n == 0 || line[n - 1] != '\n')
			break;
		good = ftell(f);
		const char *c = strstr(line, "\"cursor\":");
		unsigned long long v;
		if (c && sscanf(c + 9, "%llu", &v) == 1 && v > best)
			best = v;
	}
	if (ftruncate(o->fd, good) < 0)
		fprintf(stderr, "samen: cannot trim a torn line from %s\n", o->out);
	fclose(f);
	return best;
}

int subout_cap_file(struct subout *o, uint64_t cursor, const uint8_t id[32],
		    const struct cap_input *in)
{
	char name[128], tmp[160], idh[65];
	sodium_bin2hex(idh, sizeof(idh), id, 32);
	snprintf(name, sizeof(name), "%020" PRIu64 "-%s.xml", cursor, idh);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	int fd = openat(o->fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		int err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	int ret = cap_write(f, in);
	if (ret == 0 && (fflush(f) != 0 || fdatasync(fileno(f)) != 0))
		ret = -EIO;
	fclose(f);
	if (ret == 0 && renameat(o->fd, tmp, o->fd, name) < 0)
		ret = -errno;
	if (ret < 0)
		(void)unlinkat(o->fd, tmp, 0);
	return ret;
}

/* ---- the writer ---- */

/* One batch: the output first, durable (one fdatasync), then the cursor,
 * so the saved cursor is never ahead of what the output holds. A failed
 * append is cut off again, so the file ends with a whole line. */
static int write_batch(struct subout *o)
{
	int ret = 0;
	if (o->batch.len && !o->out) {
		if (fwrite(o->batch.p, 1, o->batch.len, stdout) != o->batch.len || fflush(stdout) != 0)
			ret = -EIO;
	} else if (o->batch.len) {
		off_t end = lseek(o->fd, 0, SEEK_END);
		ret = fileio_write_all(o->fd, o->batch.p, o->batch.len);
		if (ret == 0 && fdatasync(o->fd) != 0)
			ret = -errno;
		if (ret < 0 && end >= 0 && ftruncate(o->fd, end) < 0)
			fprintf(stderr, "samen: cannot cut a failed write from %s\n", o->out);
	} else if (o->sync_dir && fsync(o->fd) != 0) {
		ret = -errno;
	}
	text_clear(&o->batch);
	if (ret == 0)
		ret = seen_write(o->seen, &o->pend);
	o->pend.n = 0;
	if (ret == 0 && (ret = save_cursor(o->cursor_file, o->cursor)) < 0)
		o->err_cursor = true;
	return ret;
}

static void *writer_main(void *arg)
{
	struct subout *o = arg;
	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (!o->busy && !o->quit)
			pthread_cond_wait(&o->cv, &o->mu);
		if (!o->busy)
			break;
		pthread_mutex_unlock(&o->mu);
		int ret = write_batch(o);
		pthread_mutex_lock(&o->mu);
		o->err = ret;
		o->busy = false;
		pthread_cond_broadcast(&o->cv);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

int subout_start(struct subout *o)
{
	sigset_t stop, old;
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	sigemptyset(&stop); /* SIGINT and SIGTERM go to the main thread, to end its poll */
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	int rc = pthread_create(&o->th, NULL, writer_main, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return samen_fail(EXIT_INTERNAL, "cannot start the writer thread: %s", strerror(rc));
	o->running = true;
	return 0;
}

int subout_wait(struct subout *o, bool block)
{
	if (!o->running)
		return 0;
	pthread_mutex_lock(&o->mu);
	while (o->busy && block)
		pthread_cond_wait(&o->cv, &o->mu);
	int err = o->err;
	pthread_mutex_unlock(&o->mu);
	if (err == 0)
		return 0;
	if (!o->reported) {
		o->reported = true;
		if (o->err_cursor)
			return samen_fail(EXIT_INTERNAL, "cannot save the cursor to %s", o->cursor_file);
		return samen_fail(EXIT_INTERNAL, "cannot write the output: %s", samen_strerror(err));
	}
	return EXIT_INTERNAL;
}

void subout_hand(struct subout *o, struct text *batch, uint64_t cursor, bool new_docs)
{
	pthread_mutex_lock(&o->mu);
	struct text t = o->batch; /* empty: the writer cleared it */
	o->batch = *batch;
	*batch = t;
	o->cursor = cursor;
	o->sync_dir = new_docs;
	seen_take(o->seen, &o->pend);
	o->busy = true;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
}

void subout_stop(struct subout *o)
{
	if (!o->running)
		return;
	pthread_mutex_lock(&o->mu);
	o->quit = true;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	pthread_join(o->th, NULL);
	o->running = false;
	text_free(&o->batch);
	seen_pending_free(&o->pend);
}
