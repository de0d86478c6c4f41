/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * vpool.h — a small fixed pool of worker threads that runs one
 * data-parallel job at a time: fn(ctx, i) for every i in [0, n).
 *
 * samend is single-threaded; this is the one place it uses threads, to check
 * the Ed25519 signatures of a batch of records on every core (node.c,
 * node_ingest). It lives in proto/, not daemon/, so that the other programs
 * can link the same pool: it does no I/O and never logs.
 * A job must only read shared state and write its own slot i:
 * the caller runs part of the job itself and gets control back only once
 * every i is done, and everything the job wrote is then visible to it.
 * Which thread runs which i is not fixed, so a job's results must not
 * depend on it; they then are the same as from a plain loop.
 *
 * Workers block every signal, so signals keep going to the loop thread.
 */
#ifndef SAMEN_VPOOL_H
#define SAMEN_VPOOL_H

#include <stddef.h>

typedef struct vpool vpool_t;
typedef void (*vpool_fn)(void *ctx, size_t i);

/* How many threads (workers plus the caller) would use every CPU this
 * process may run on, at most `cap`; 1 on a single CPU. */
unsigned vpool_cpus(unsigned cap);

/* Starts `workers` threads (>= 1). Returns 0 or a negative code. */
int vpool_new(vpool_t **p, unsigned workers);

/* Stops and joins the workers; accepts NULL or *p == NULL. Not while a
 * job runs. */
void vpool_free(vpool_t **p);

/* Runs fn(ctx, i) for i in [0, n) on the workers and the calling thread;
 * returns when all are done. One caller at a time. */
void vpool_run(vpool_t *p, size_t n, vpool_fn fn, void *ctx);

#endif
