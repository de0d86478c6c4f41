/* SPDX-License-Identifier: EUPL-1.2 */
/* sched_getaffinity() and CPU_COUNT() are GNU: the Makefile defines
 * _GNU_SOURCE, the fuzz build (which compiles every proto/ file) does not */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "vpool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct vpool {
	pthread_mutex_t mu;
	pthread_cond_t start, done;
	pthread_t *threads;
	unsigned n_threads;
	/* the current job; all of it under mu. Each i is handed out once,
	 * together with fn and ctx, so a worker that wakes late cannot mix
	 * one job's index with another's function. */
	vpool_fn fn;
	void *ctx;
	size_t n, next, finished;
	bool stop;
};

unsigned vpool_cpus(unsigned cap)
{
	cpu_set_t set;
	long n = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return (unsigned long)n < cap ? (unsigned)n : cap;
}

static void *worker(void *arg)
{
	struct vpool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->next >= p->n)
			pthread_cond_wait(&p->start, &p->mu);
		if (p->stop)
			break;
		size_t i = p->next++;
		vpool_fn fn = p->fn;
		void *ctx = p->ctx;
		pthread_mutex_unlock(&p->mu);
		fn(ctx, i);
		pthread_mutex_lock(&p->mu);
		/* the job cannot end, nor the next begin, before this */
		if (++p->finished == p->n)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void stop_all(struct vpool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	p->n_threads = 0;
}

int vpool_new(vpool_t **out, unsigned workers)
{
	sigset_t all, old;
	int ret = 0;

	if (!out || workers == 0)
		return -EINVAL;
	struct vpool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->threads = calloc(workers, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return -ENOMEM;
	}
	if ((ret = pthread_mutex_init(&p->mu, NULL)) != 0) {
		free(p->threads);
		free(p);
		return -ret;
	}
	if ((ret = pthread_cond_init(&p->start, NULL)) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p->threads);
		free(p);
		return -ret;
	}
	if ((ret = pthread_cond_init(&p->done, NULL)) != 0) {
		pthread_cond_destroy(&p->start);
		pthread_mutex_destroy(&p->mu);
		free(p->threads);
		free(p);
		return -ret;
	}
	/* threads inherit the creator's mask: block everything for them */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < workers; i++) {
		ret = pthread_create(&p->threads[i], NULL, worker, p);
		if (ret != 0)
			break;
		p->n_threads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0) {
		vpool_free(&p);
		return -ret;
	}
	*out = p;
	return 0;
}

void vpool_free(vpool_t **pp)
{
	if (!pp || !*pp)
		return;
	struct vpool *p = *pp;
	stop_all(p);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->start);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
	*pp = NULL;
}

void vpool_run(vpool_t *p, size_t n, vpool_fn fn, void *ctx)
{
	if (n == 0)
		return;
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->ctx = ctx;
	p->n = n;
	p->next = p->finished = 0;
	pthread_cond_broadcast(&p->start);
	/* the caller works too, and waits only for indices already taken: a
	 * worker the scheduler has not woken yet is not waited for */
	while (p->next < n) {
		size_t i = p->next++;
		pthread_mutex_unlock(&p->mu);
		fn(ctx, i);
		pthread_mutex_lock(&p->mu);
		p->finished++;
	}
	while (p->finished < n)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}
