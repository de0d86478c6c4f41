/* SPDX-License-Identifier: EUPL-1.2 */
#include "feed.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/ctl_client.h"
#include "../proto/mp.h"
#include "../proto/mpmap.h"
#include "../proto/record.h"
#include "../proto/signal.h"

#define FEED_PLACES 256 /* alerts remembered; more than the ring's day holds */

struct feed {
	char path[4200];
	struct ring *ring;
	struct notice_opts o;
	pthread_t thread;
	atomic_bool stop, up;
	uint64_t last_time; /* created time of the newest event seen */
	/* where the last alerts were, so that a reply's notification can say
	 * which alert it answers (a reply's record names only the alert's id) */
	struct {
		char id[65];
		char where[WHERE_MAX + 1];
	} places[FEED_PLACES];
	size_t next_place;
};

#define FEED_REPEAT_MAX 99999 /* "-rN" and "-eSECONDS" fit RING_ID_MAX */

/* The id and time of one watch event: its record's, for a record's first
 * event. A repeat (samend's "repeat": N) and an escalation are messages of
 * their own about a record held already: an id of their own (ring.h) and
 * the time they came, which the phone shows and sorts by. *again says it
 * is one of them. */
static int event_id(const msgpack_object *ev, char id[RING_ID_MAX + 1], uint64_t *at,
		    char kind[16], bool *again)
{
	char full[65];
	uint64_t n = 0;
	const msgpack_object *v = ev;
	*again = false;
	if (mpmap_str(ev, "event", kind, 16) < 0)
		return -1;
	/* what a record makes; others (samend's receipt counts, "receipts",
	 * which name an alert's id) are no messages and have no id of their own */
	if (strcmp(kind, "signal") && strcmp(kind, "escalation") && strcmp(kind, "announcement") &&
	    strcmp(kind, "retraction"))
		return -1;
	bool escalation = strcmp(kind, "escalation") == 0;
	if ((strcmp(kind, "signal") == 0 || escalation) && !(v = mpmap_find(ev, "signal")))
		return -1;
	if (mpmap_str(v, "id", full, sizeof(full)) < 0 || strlen(full) < RING_ID_LEN ||
	    mpmap_uint(v, "created", UINT64_MAX, at) < 0)
		return -1;
	memcpy(id, full, RING_ID_LEN);
	id[RING_ID_LEN] = '\0';
	if (escalation || mpmap_find(ev, "repeat")) {
		/* a repeat counts from 1; an escalation says after how long */
		if (mpmap_uint(ev, escalation ? "after" : "repeat", UINT64_MAX, &n) < 0 ||
		    (!escalation && n == 0))
			return -1;
		if (n > FEED_REPEAT_MAX)
			n = FEED_REPEAT_MAX; /* an id that long is no longer exact, but told */
		snprintf(id + RING_ID_LEN, RING_ID_MAX + 1 - RING_ID_LEN, "-%c%llu",
			 escalation ? 'e' : 'r', (unsigned long long)n);
		*at = (uint64_t)time(NULL);
		*again = true;
	}
	return 0;
}

/* Remembers where an alert is; returns where the alert a reply answers
 * is, or NULL (not a reply, or an alert this feed did not see). */
static const char *place_of(struct feed *f, const msgpack_object *ev)
{
	const msgpack_object *v = mpmap_find(ev, "signal"), *refs;
	char kind[16], id[65];
	if (!v || v->type != MSGPACK_OBJECT_MAP || mpmap_str(v, "kind", kind, sizeof(kind)) < 0)
		return NULL;
	if (strcmp(kind, signal_kind_name(SIG_ALERT)) == 0) {
		size_t i = f->next_place++ % FEED_PLACES;
		if (mpmap_str(v, "id", f->places[i].id, sizeof(f->places[i].id)) < 0 ||
		    mpmap_str(v, "where", f->places[i].where, sizeof(f->places[i].where)) < 0)
			f->places[i].id[0] = '\0';
		return NULL;
	}
	refs = mpmap_find(v, "refs");
	if (!refs || refs->type != MSGPACK_OBJECT_ARRAY || refs->via.array.size == 0 ||
	    refs->via.array.ptr[0].type != MSGPACK_OBJECT_STR ||
	    refs->via.array.ptr[0].via.str.size >= sizeof(id))
		return NULL;
	memcpy(id, refs->via.array.ptr[0].via.str.ptr, refs->via.array.ptr[0].via.str.size);
	id[refs->via.array.ptr[0].via.str.size] = '\0';
	for (size_t i = 0; i < FEED_PLACES; i++)
		if (f->places[i].id[0] && strcmp(f->places[i].id, id) == 0)
			return f->places[i].where;
	return NULL;
}

static void take(struct feed *f, const zmq_msg_t *msg)
{
	msgpack_unpacked u;
	struct ring_event e;
	bool again = false;
	memset(&e, 0, sizeof(e));
	msgpack_unpacked_init(&u);
	if (mp_unpack(zmq_msg_data((zmq_msg_t *)msg), zmq_msg_size((zmq_msg_t *)msg), 8, &u) == 0 &&
	    event_id(&u.data, e.id, &e.time, e.kind, &again) == 0) {
		e.json = notice_to_json(&u.data, &e.len);
		e.ntfy = notice_json(&u.data, again ? NULL : place_of(f, &u.data), e.id, e.time,
				     &f->o, &e.ntfy_len);
		/* a repeat's time is now's, not a record's: asking for what came
		 * since it after a reconnect could miss a record made earlier */
		if (e.json && ring_add(f->ring, &e) == 0 && !again && e.time > f->last_time)
			f->last_time = e.time;
	}
	ring_event_clear(&e);
	msgpack_unpacked_destroy(&u);
}

/* One connection: ask, then read until it breaks or we stop. */
static void follow(struct feed *f)
{
	struct ctl *c = NULL;
	struct mp_buf b;
	uint64_t since = f->last_time ? f->last_time : (uint64_t)time(NULL) - FEED_REPLAY_SECONDS;
	int r;

	if (ctl_open(&c, f->path, 2000) < 0)
		return;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 2);
	mpmap_put_str(&b.pk, "op", "watch");
	mpmap_put_uint(&b.pk, "since", since);
	r = ctl_send(c, b.sb.data, b.sb.size);
	mp_buf_destroy(&b);
	bool first = true;
	while (r == 0 && !atomic_load(&f->stop)) {
		zmq_msg_t msg;
		zmq_msg_init(&msg);
		r = ctl_recv(c, 500, &msg);
		if (r == -ETIMEDOUT)
			r = 0; /* quiet street; look at stop again */
		else if (r == 0 && first)
			atomic_store(&f->up, true), first = false; /* the "ok" reply */
		else if (r == 0)
			take(f, &msg);
		zmq_msg_close(&msg);
	}
	atomic_store(&f->up, false);
	ctl_close(&c);
}

static void *run(void *arg)
{
	struct feed *f = arg;
	while (!atomic_load(&f->stop)) {
		follow(f);
		for (int i = 0; i < 10 && !atomic_load(&f->stop); i++)
			nanosleep(&(struct timespec){0, 100000000L}, NULL);
	}
	return NULL;
}

struct feed *feed_start(const char *ctl_path, struct ring *ring, const struct notice_opts *o)
{
	struct feed *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	if (snprintf(f->path, sizeof(f->path), "%s", ctl_path) >= (int)sizeof(f->path)) {
		free(f);
		return NULL;
	}
	f->ring = ring;
	f->o = *o;
	if (pthread_create(&f->thread, NULL, run, f) != 0) {
		free(f);
		return NULL;
	}
	return f;
}

bool feed_up(struct feed *f)
{
	return atomic_load(&f->up);
}

void feed_stop(struct feed **f_p)
{
	struct feed *f = *f_p;
	if (!f)
		return;
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
	free(f);
	*f_p = NULL;
}
