/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * events.h — what `samen watch` and the on_signal hook are told: one event
 * (a msgpack map, PROTOCOL.md section 8) per signal this household can
 * read, retraction and announcement, as it is stored, and on request a
 * replay of those stored since a time.
 */
#ifndef SAMEN_EVENTS_H
#define SAMEN_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct record;

/* The most events one replay sends (the first ones stored after since). */
#define EVENTS_REPLAY_MAX 1000

/* Tells every watcher, and the hook, about a record just stored. */
void control_event(struct daemon *d, const struct record *r);

/* Sends the watcher at rid the events of records created at or after
 * since, in the order they were stored; not to the hook. Returns how many. */
size_t events_replay(struct daemon *d, const uint8_t *rid, size_t rid_len, uint64_t since);

#endif
