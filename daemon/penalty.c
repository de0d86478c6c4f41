/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * penalty.c — peers that misbehave: invalid messages counted per key across
 * its connections (strikes), keys cut off for `penalty_seconds`, and
 * connections that pass ZAP but never speak counted like invalid messages.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "daemon.h"
#include "log.h"

bool net_penalized(const struct daemon *d, const uint8_t key[32], uint64_t now_ms)
{
	for (size_t i = 0; i < d->n_penalties; i++)
		if (d->penalties[i].until_ms > now_ms && memcmp(d->penalties[i].key, key, 32) == 0)
			return true;
	return false;
}

void net_penalize(struct daemon *d, const uint8_t key[32], uint64_t now_ms)
{
	size_t slot = d->n_penalties;
	for (size_t i = 0; i < d->n_penalties; i++)
		if (d->penalties[i].until_ms <= now_ms || memcmp(d->penalties[i].key, key, 32) == 0) {
			slot = i;
			break;
		}
	if (slot == PENALTIES_MAX)
		slot = randombytes_uniform(PENALTIES_MAX);
	else if (slot == d->n_penalties)
		d->n_penalties++;
	memcpy(d->penalties[slot].key, key, 32);
	d->penalties[slot].until_ms = now_ms + (uint64_t)d->cfg->penalty_seconds * 1000;
	d->counters_peer_cutoffs++;
	for (size_t i = 0; i < d->n_strikes; i++)
		if (memcmp(d->strikes[i].key, key, 32) == 0)
			d->strikes[i].count = 0; /* a fresh count once the penalty is over */
	for (size_t i = 0; i < d->n_links; i++)
		if (d->links[i].used && memcmp(d->links[i].key, key, 32) == 0) {
			/* an inbound connection stays open under libzmq and keeps
			 * costing us its decryption: drop them all (net_maintain) */
			if (d->links[i].dir == DIR_IN)
				d->rebind = true;
			net_close_link(d, &d->links[i]);
		}
}

/* Adds count invalid messages to key's tally and returns the tally. A key
 * quiet for a whole penalty period starts afresh; when the table is full the
 * key heard from longest ago makes room. */
unsigned net_strike(struct daemon *d, const uint8_t key[32], unsigned count, uint64_t now_ms)
{
	struct strike *s = NULL, *oldest = NULL;
	for (size_t i = 0; i < d->n_strikes && !s; i++) {
		struct strike *t = &d->strikes[i];
		if (memcmp(t->key, key, 32) == 0)
			s = t;
		else if (!oldest || t->last_ms < oldest->last_ms)
			oldest = t;
	}
	if (!s) {
		s = d->n_strikes < STRIKES_MAX ? &d->strikes[d->n_strikes++] : oldest;
		memcpy(s->key, key, 32);
		s->count = 0;
	} else if (now_ms - s->last_ms > (uint64_t)d->cfg->penalty_seconds * 1000) {
		s->count = 0;
	}
	s->count += count;
	s->last_ms = now_ms;
	return s->count;
}

/* A key whose admitted connections stay silent collects them in libzmq,
 * which cannot close one inbound connection: count each against the key,
 * so that enough of them cut it off (and net_penalize drops them all). */
void net_silent_admissions(struct daemon *d, uint64_t now)
{
	uint8_t key[32];
	while (admit_pending_expired(&d->admit, now, key)) {
		char fp[20];
		sodium_bin2hex(fp, sizeof(fp), key, 8);
		unsigned total = net_strike(d, key, 1, now);
		log_msg(SLOG_INFO, "%s passed ZAP and sent nothing (%u so far)", fp, total);
		if (total >= d->cfg->invalid_limit && !net_penalized(d, key, now)) {
			net_penalize(d, key, now);
			d->rebind = true; /* its silent connections are no links */
		}
	}
}

