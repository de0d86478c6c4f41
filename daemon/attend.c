/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * attend.c — see attend.h.
 */
#include "attend.h"

#include <string.h>

#include "config.h"

void attend_configure(struct attend *a, const struct config *cfg)
{
	a->params.repeat_ms = (uint64_t)cfg->repeat_seconds * 1000;
	a->params.repeat_max = cfg->repeat_max;
	a->params.enough_acks = cfg->repeat_stop_acks;
	a->params.escalate_ms = (uint64_t)cfg->escalate_seconds * 1000;
}

static struct attend_item *find(struct attend *a, const uint8_t id[32])
{
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(a->items[i].id, id, 32) == 0)
			return &a->items[i];
	return NULL;
}

static void drop(struct attend *a, struct attend_item *it)
{
	*it = a->items[--a->n];
}

/* Nothing more to tell about it. */
static bool done(const struct attend_item *it)
{
	return !it->repeat_ms && !it->escalate_ms;
}

static void start(struct attend *a, const uint8_t id[32], uint64_t expires, uint64_t now_ms)
{
	const struct attend_params *pp = &a->params;
	if (find(a, id) || (!pp->repeat_max && !(pp->coordinator && pp->escalate_ms)))
		return;
	if (a->n == ATTEND_MAX) { /* the oldest gives way to the newest */
		size_t oldest = 0;
		for (size_t i = 1; i < a->n; i++)
			if (a->items[i].stored_ms < a->items[oldest].stored_ms)
				oldest = i;
		drop(a, &a->items[oldest]);
		a->counters[ATTEND_DROPPED]++;
	}
	struct attend_item *it = &a->items[a->n++];
	memset(it, 0, sizeof(*it));
	memcpy(it->id, id, 32);
	it->expires = expires;
	it->stored_ms = now_ms;
	it->repeat_ms = pp->repeat_max ? now_ms + pp->repeat_ms : 0;
	it->escalate_ms = pp->coordinator && pp->escalate_ms ? now_ms + pp->escalate_ms : 0;
}

/* An answer from author to the alert it refers to. */
static void answer(struct attend *a, struct attend_item *it, const uint8_t author[32],
		   const struct signal_plain *p)
{
	if (memcmp(author, a->self, 32) == 0 || p->kind == SIG_ALLCLEAR) {
		/* this household acted, or the incident is over */
		it->repeat_ms = it->escalate_ms = 0;
		return;
	}
	if (p->kind != SIG_ACK || (p->ack != ACK_CALLED_112 && p->ack != ACK_LOOKING))
		return; /* a text or an update answers nobody's question */
	it->escalate_ms = 0; /* somebody answered */
	for (unsigned k = 0; k < it->n_ackers; k++)
		if (memcmp(it->ackers[k], author, 32) == 0)
			return; /* counted once per household */
	if (it->n_ackers < ATTEND_ACKERS_MAX)
		memcpy(it->ackers[it->n_ackers++], author, 32);
	if (it->n_ackers >= a->params.enough_acks)
		it->repeat_ms = 0;
}

void attend_signal(struct attend *a, const uint8_t id[32], const uint8_t author[32],
		   const struct signal_plain *p, enum notify_level level, uint64_t expires,
		   uint64_t now_ms)
{
	if (p->kind == SIG_ALERT) {
		if (level == LEVEL_ALARM && p->status == STATUS_REAL && memcmp(author, a->self, 32) != 0)
			start(a, id, expires, now_ms);
		return;
	}
	for (unsigned r = 0; r < p->n_refs; r++) {
		struct attend_item *it = find(a, p->refs[r]);
		if (!it)
			continue;
		answer(a, it, author, p);
		if (done(it))
			drop(a, it);
	}
}

void attend_retracted(struct attend *a, const uint8_t target[32])
{
	struct attend_item *it = find(a, target);
	if (it)
		drop(a, it);
}

bool attend_seen(struct attend *a, const uint8_t id[32])
{
	struct attend_item *it = find(a, id);
	if (!it)
		return false;
	it->repeat_ms = 0;
	if (done(it))
		drop(a, it);
	return true;
}

bool attend_next(struct attend *a, uint64_t now_ms, uint64_t wall_s, struct attend_due *out)
{
	for (size_t i = 0; i < a->n;) {
		struct attend_item *it = &a->items[i];
		if (it->expires && it->expires <= wall_s) {
			drop(a, it);
			continue;
		}
		bool esc = it->escalate_ms && it->escalate_ms <= now_ms;
		bool rep = !esc && it->repeat_ms && it->repeat_ms <= now_ms;
		if (!esc && !rep) {
			i++;
			continue;
		}
		memcpy(out->id, it->id, 32);
		out->after_s = (now_ms - it->stored_ms) / 1000;
		if (esc) {
			it->escalate_ms = 0;
			out->repeat = 0;
			a->counters[ATTEND_ESCALATIONS]++;
		} else {
			out->repeat = ++it->repeats;
			it->repeat_ms = it->repeats < a->params.repeat_max ? now_ms + a->params.repeat_ms : 0;
			a->counters[ATTEND_REPEATS]++;
		}
		if (done(it))
			drop(a, it);
		return true;
	}
	return false;
}

uint64_t attend_due_ms(const struct attend *a)
{
	uint64_t due = UINT64_MAX;
	for (size_t i = 0; i < a->n; i++) {
		const struct attend_item *it = &a->items[i];
		if (it->repeat_ms && it->repeat_ms < due)
			due = it->repeat_ms;
		if (it->escalate_ms && it->escalate_ms < due)
			due = it->escalate_ms;
	}
	return due;
}
