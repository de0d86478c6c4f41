/* SPDX-License-Identifier: EUPL-1.2 */
#include "ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ring_event ev[RING_SIZE];
	uint64_t head; /* position of the newest event */
	bool closing;
};

bool ring_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < RING_ID_LEN || n > RING_ID_MAX || strspn(s, "0123456789abcdef") < RING_ID_LEN)
		return false;
	if (n == RING_ID_LEN)
		return true;
	s += RING_ID_LEN; /* "-r" or "-e", then at least one digit and only digits */
	return n >= RING_ID_LEN + 3 && s[0] == '-' && (s[1] == 'r' || s[1] == 'e') &&
	       strspn(s + 2, "0123456789") == n - RING_ID_LEN - 2;
}

struct ring *ring_new(void)
{
	struct ring *r = calloc(1, sizeof(*r));
	pthread_condattr_t a;
	if (!r)
		return NULL;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &a);
	pthread_condattr_destroy(&a);
	return r;
}

void ring_free(struct ring **r_p)
{
	struct ring *r = *r_p;
	if (!r)
		return;
	for (size_t i = 0; i < RING_SIZE; i++)
		ring_event_clear(&r->ev[i]);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
	*r_p = NULL;
}

static struct ring_event *slot(struct ring *r, uint64_t pos)
{
	return &r->ev[pos % RING_SIZE];
}

static uint64_t oldest(const struct ring *r)
{
	return r->head > RING_SIZE ? r->head - RING_SIZE + 1 : 1;
}

static bool held(struct ring *r, const char *id)
{
	for (uint64_t p = r->head; p >= oldest(r) && p > 0; p--)
		if (strcmp(slot(r, p)->id, id) == 0)
			return true;
	return false;
}

static char *dup_bytes(const char *p, size_t len)
{
	char *c = malloc(len + 1);
	if (c) {
		memcpy(c, p, len);
		c[len] = '\0';
	}
	return c;
}

void ring_event_clear(struct ring_event *e)
{
	free(e->json);
	free(e->ntfy);
	e->json = e->ntfy = NULL;
}

int ring_add(struct ring *r, const struct ring_event *in)
{
	struct ring_event copy = *in;
	copy.json = dup_bytes(in->json, in->len);
	copy.ntfy = in->ntfy ? dup_bytes(in->ntfy, in->ntfy_len) : NULL;
	if (!copy.json || (in->ntfy && !copy.ntfy)) {
		ring_event_clear(&copy);
		return -ENOMEM;
	}
	pthread_mutex_lock(&r->mu);
	if (held(r, in->id)) {
		pthread_mutex_unlock(&r->mu);
		ring_event_clear(&copy);
		return 0;
	}
	struct ring_event *e = slot(r, ++r->head);
	ring_event_clear(e);
	copy.pos = r->head;
	*e = copy;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

uint64_t ring_after_id(struct ring *r, const char *id)
{
	uint64_t at = 0;
	pthread_mutex_lock(&r->mu);
	for (uint64_t p = r->head; p >= oldest(r) && p > 0 && !at; p--)
		if (strcmp(slot(r, p)->id, id) == 0)
			at = p;
	if (!at && r->head)
		at = oldest(r) - 1;
	pthread_mutex_unlock(&r->mu);
	return at;
}

uint64_t ring_after_time(struct ring *r, uint64_t time)
{
	uint64_t at;
	pthread_mutex_lock(&r->mu);
	at = r->head;
	for (uint64_t p = oldest(r); p <= r->head; p++)
		if (slot(r, p)->time >= time) {
			at = p - 1;
			break;
		}
	pthread_mutex_unlock(&r->mu);
	return at;
}

uint64_t ring_head(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	uint64_t h = r->head;
	pthread_mutex_unlock(&r->mu);
	return h;
}

int ring_next(struct ring *r, uint64_t after, int wait_ms, struct ring_event *out)
{
	struct timespec until;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mu);
	while (r->head <= after && !r->closing)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &until) == ETIMEDOUT)
			break;
	if (r->closing) {
		ret = -ECANCELED;
	} else if (r->head > after) {
		if (after + 1 < oldest(r)) {
			ret = -ESPIPE;
		} else {
			const struct ring_event *e = slot(r, after + 1);
			*out = *e;
			out->json = dup_bytes(e->json, e->len);
			out->ntfy = e->ntfy ? dup_bytes(e->ntfy, e->ntfy_len) : NULL;
			if (!out->json || (e->ntfy && !out->ntfy)) {
				ring_event_clear(out);
				ret = -ENOMEM;
			} else {
				ret = 1;
			}
		}
	}
	pthread_mutex_unlock(&r->mu);
	return ret;
}

void ring_wake(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->closing = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}
