/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * attend.h — alarm-level alerts that wait for an answer (PROTOCOL.md
 * section 8.2): each is told again every repeat interval until this
 * household acts on it (an ack, an all-clear or "seen"), enough other
 * households have said "112 called" or "I'm looking", it expires, is
 * retracted or resolved, or it has been repeated the most times. On a
 * coordinator's daemon, one that nobody answered within the escalation
 * time is told once more as an escalation — to the coordinator's own
 * devices only, never to an authority.
 *
 * Only bookkeeping: the loop tells attend what was stored (events.h's
 * facts), asks it what is due, and has events.c tell the watchers. It
 * calls nothing.
 */
#ifndef SAMEN_ATTEND_H
#define SAMEN_ATTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/policy.h"
#include "../proto/signal.h"

#define ATTEND_MAX 32      /* alerts waiting at once; the oldest gives way */
#define ATTEND_ACKERS_MAX 16 /* distinct households counted per alert */

struct attend_item {
	uint8_t id[32];
	uint64_t expires;        /* wall seconds */
	uint64_t stored_ms;      /* when it arrived */
	uint64_t repeat_ms;      /* next repeat; 0: no more */
	uint64_t escalate_ms;    /* when to escalate; 0: not (any more) */
	unsigned repeats;        /* told again so often */
	uint8_t ackers[ATTEND_ACKERS_MAX][32];
	unsigned n_ackers;
};

struct attend_params {
	uint64_t repeat_ms;      /* between repeats */
	unsigned repeat_max;     /* 0: no repeats */
	unsigned enough_acks;    /* other households' acks that stop repeats */
	uint64_t escalate_ms;    /* 0: never */
	bool coordinator;        /* this household escalates */
};

struct attend {
	struct attend_params params;
	uint8_t self[32];        /* this household's key */
	struct attend_item items[ATTEND_MAX];
	size_t n;
	uint64_t counters[4];    /* enum attend_counter */
};

enum attend_counter { ATTEND_REPEATS, ATTEND_ESCALATIONS, ATTEND_DROPPED, ATTEND_COUNTERS };

struct config;
/* Takes the repeat and escalation settings of cfg (samend.conf). */
void attend_configure(struct attend *a, const struct config *cfg);

/* A readable signal was stored: an alarm-level alert by another household
 * starts waiting; an answer from anyone counts towards those it refers to. */
void attend_signal(struct attend *a, const uint8_t id[32], const uint8_t author[32],
		   const struct signal_plain *p, enum notify_level level, uint64_t expires,
		   uint64_t now_ms);
/* A retraction of target was stored. */
void attend_retracted(struct attend *a, const uint8_t target[32]);
/* This household saw the alert: no more repeats. False if it waits for nothing. */
bool attend_seen(struct attend *a, const uint8_t id[32]);

/* What is due at now_ms (wall_s for expiry): one at a time. */
struct attend_due {
	uint8_t id[32];
	unsigned repeat;         /* the n-th repeat, or 0 for an escalation */
	uint64_t after_s;        /* seconds since it arrived */
};
bool attend_next(struct attend *a, uint64_t now_ms, uint64_t wall_s, struct attend_due *out);
/* The earliest time something is due, or UINT64_MAX. */
uint64_t attend_due_ms(const struct attend *a);

#endif
