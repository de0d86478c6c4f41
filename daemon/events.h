/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * events.h — what `samen watch` and the on_signal hook are told: one event
 * (a msgpack map, PROTOCOL.md section 8) per signal this household can
 * read, retraction and announcement, as it is stored, and on request a
 * replay of those stored since a time. The watchers are events'; control
 * adds one for each `watch` request, events drops those that went away.
 */
#ifndef SAMEN_EVENTS_H
#define SAMEN_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "router.h"
#include "../proto/policy.h"

#define WATCHERS_MAX 64
/* The most events one replay sends (the first ones stored after since). */
#define EVENTS_REPLAY_MAX 1000

struct hook;
struct record;

struct watcher {
	uint8_t rid[RID_MAX];
	size_t rid_len;
};

struct events {
	node_t *node;           /* the loop's, as is hook */
	struct hook *hook;      /* the household's on_signal program, or NULL */
	void *sock;             /* the control socket, where the watchers are */
	struct watcher watchers[WATCHERS_MAX];
	size_t n_watchers;
	struct policy policy;   /* how loud each event is (proto/policy.h) */
};

/* What a stored record was, for the loop's bookkeeping of alerts that wait
 * for an answer (attend.h): filled for a signal this household can read. */
struct event_facts {
	bool readable;
	enum notify_level level;  /* the policy's, before quiet hours */
	struct signal_plain p;    /* kind, refs, ack; the text wiped */
};

/* Tells every watcher, and the hook, about a record just stored, each
 * event with its level ("level", PROTOCOL.md section 8.1); fills facts. */
void events_record_stored(struct events *es, const struct record *r, struct event_facts *facts);
/* Tells every watcher (not the hook) the receipt counts of the stored
 * alert id ("receipts" event); nothing if it is not held. */
void events_receipt_counts(struct events *es, const uint8_t id[32]);
/* Tells them again of the stored alert id: its n-th repeat ("repeat": n),
 * or, with n == 0, an escalation after `after` seconds without an answer.
 * False when the alert is gone (retracted, pruned, unreadable). */
bool events_remind(struct events *es, const uint8_t id[32], unsigned n, uint64_t after);
/* Whether WATCHERS_MAX watch already. */
bool events_full(const struct events *es);
/* rid is told of every record stored from now on (not full). */
void events_watch(struct events *es, const uint8_t *rid, size_t rid_len);
/* Sends the watcher at rid the events of records created at or after
 * since, in the order they were stored; not to the hook. Returns how many. */
size_t events_replay(struct events *es, const uint8_t *rid, size_t rid_len, uint64_t since);

#endif
