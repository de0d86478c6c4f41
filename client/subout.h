/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * subout.h — the durable side of `samen subscribe`: where its output goes
 * (standard output, a JSON lines file, a directory of CAP documents), the
 * cursor file, how far an earlier run's output got, and the writer thread
 * that writes a batch, makes it durable and only then saves the cursor.
 *
 * The saved cursor may lag the output but never lead it: a batch is written
 * and synced (one fdatasync), then the ids it output are saved (seen.h), then
 * the cursor (write, fsync, rename). subscribe.c decides what goes into a
 * batch; this module decides nothing about records.
 *
 * Plaintext of shared signals passes through here: every buffer is wiped
 * before it is freed or reused.
 */
#ifndef SAMEN_CLIENT_SUBOUT_H
#define SAMEN_CLIENT_SUBOUT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seen.h"

/* Output text not yet written. Plaintext never stays behind in freed memory. */
struct text {
	char *p;
	size_t len, cap;
};

int text_append(struct text *t, const char *p, size_t n);
void text_clear(struct text *t); /* wipes, keeps the buffer */
void text_free(struct text *t);  /* wipes and frees */
/* Wipes and frees a malloc'ed (memstream) text, and clears the pointers. */
void text_wipe(char **text, size_t *len);

struct subout {
	const char *out;          /* --out, or NULL: standard output */
	bool cap;                 /* CAP documents, not JSON lines */
	int fd;                   /* --out opened: the JSON file or the CAP directory; -1 */
	char cursor_file[4200];
	struct seen_set *seen;    /* ids output, across runs */
	/* The writer thread makes a batch durable and then saves the cursor,
	 * while the main thread decrypts the next batch, so the syncs overlap
	 * the crypto. A batch is handed over only once the one before it is
	 * done: batches are written, and cursors saved, strictly in order. */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool running, busy, quit;
	struct text batch;        /* the writer's while busy */
	uint64_t cursor;          /* saved once the batch is durable */
	bool sync_dir;            /* CAP --out: make the new documents' names durable */
	struct seen_pending pend; /* ids the batch output, saved before the cursor */
	int err;                  /* the first failure: nothing is written after it */
	bool err_cursor;          /* it was the cursor save that failed */
	bool reported;            /* that failure was said */
};

/*
 * Opens o->out (o->fd = -1 without one): a JSON file for appending, or the
 * CAP directory, made if missing; never through a symbolic link, since
 * whoever plants one would choose where the plaintext goes. Returns 0 or an
 * exit code (the message said).
 */
int subout_open(struct subout *o);
void subout_close(struct subout *o);

/* The cursor saved in path; 0 when there is none. */
uint64_t subout_load_cursor(const char *path);
/*
 * The highest cursor the output already holds: the last complete JSON line
 * (a torn last line, from a crash mid-write, is cut off), or the highest
 * CURSOR-ID.xml of the directory (leftover .tmp files are removed).
 */
uint64_t subout_cursor_in_output(const struct subout *o);

/*
 * Writes one CAP document (cap_write into a FILE) as CURSOR-ID.xml in the
 * --out directory, atomically (.tmp, fdatasync, rename); the name is made
 * durable with the next batch. Returns 0 or a negative code.
 */
struct cap_input;
int subout_cap_file(struct subout *o, uint64_t cursor, const uint8_t id[32],
		    const struct cap_input *in);

/* Starts the writer thread. Returns 0 or an exit code (the message said). */
int subout_start(struct subout *o);
/* Waits until the writer is done with the batch it has (or, without block,
 * only looks); its failure, if any, is said once and returned as an exit
 * code. */
int subout_wait(struct subout *o, bool block);
/* Hands *batch over (taking back the writer's empty one in its place), with
 * the cursor that covers it and the ids in seen's pending list; new_docs:
 * CAP files were written for it, whose names must be made durable. Call
 * only after subout_wait() returned 0 with the writer idle. */
void subout_hand(struct subout *o, struct text *batch, uint64_t cursor, bool new_docs);
void subout_stop(struct subout *o);

#endif
