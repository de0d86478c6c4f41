/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * ring.h — the events samen-web has seen on samend's watch stream, newest
 * last, for every page and phone it serves: a bounded ring that readers
 * follow by position, so a thousand streams cost one copy of each event.
 *
 * Each event has an id that does not change across restarts of samen-web
 * or samend: the first 16 hex digits of the record's id; samend's N-th
 * repeat of an alert adds "-rN" and its escalation "-eSECONDS", since each
 * is a message of its own for the phone (ring_add() drops an id it holds,
 * and since= must resume after the repeat, not the alert). A client that
 * comes back with the id it saw last (SSE Last-Event-ID, ntfy's since=)
 * gets what came after it; an id the ring no longer holds (or never held)
 * gets the whole ring, and the page and the ntfy app drop what they have.
 */
#ifndef SAMEN_WEB_RING_H
#define SAMEN_WEB_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RING_SIZE 1024
#define RING_ID_LEN 16 /* the record's part of an id */
#define RING_ID_MAX 24 /* with a repeat's or an escalation's suffix */

struct ring_event {
	uint64_t pos;            /* 1, 2, ... in arrival order; 0 = empty slot */
	char id[RING_ID_MAX + 1];
	uint64_t time;           /* the record's created time (a repeat's: when it came) */
	char kind[16];           /* "signal", "announcement", "retraction", "escalation" */
	char *json;              /* the watch event as JSON (malloc'ed) */
	size_t len;
	char *ntfy;              /* its ntfy message (notice.h), or NULL */
	size_t ntfy_len;
};

struct ring;

/* Whether s is an id of the form above (what since= may name). */
bool ring_id_valid(const char *s);

struct ring *ring_new(void);
void ring_free(struct ring **r_p);

/* Adds an event (json and ntfy, which may be NULL, are copied); an id
 * already held is not added again (samend's watch replays after a
 * reconnect). 0 or -ENOMEM. */
int ring_add(struct ring *r, const struct ring_event *e);

/* The position after which a client that last saw id resumes: that
 * event's position, or 0 (from the oldest held) when id is not held. */
uint64_t ring_after_id(struct ring *r, const char *id);
/* The position after which events created at or after time follow. */
uint64_t ring_after_time(struct ring *r, uint64_t time);
/* The newest position (0: empty). */
uint64_t ring_head(struct ring *r);

/*
 * Copies the first event after position `after` into *out (json and ntfy
 * malloc'ed copies the caller frees with ring_event_clear()), waiting up to wait_ms for one to come.
 * Returns 1 with an event, 0 when none came in time, -ESPIPE when `after`
 * has fallen out of the ring (a reader too slow to keep up), or -ECANCELED
 * once ring_wake() was called.
 */
int ring_next(struct ring *r, uint64_t after, int wait_ms, struct ring_event *out);

void ring_event_clear(struct ring_event *e);

/* Wakes every waiting reader (at shutdown). */
void ring_wake(struct ring *r);

#endif
