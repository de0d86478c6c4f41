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

#include "net.h"
#include "log.h"

bool net_penalized(const struct net *net, const uint8_t key[32], uint64_t now_ms)
{
	for (size_t i = 0; i < net->n_penalties; i++)
		if (net->penalties[i].until_ms > now_ms && memcmp(net->penalties[i].key, key, 32) == 0)
			return true;
	return false;
}

void net_penalize(struct net *net, const uint8_t key[32], uint64_t now_ms)
{
	size_t slot = net->n_penalties;
	for (size_t i = 0; i < net->n_penalties; i++)
		if (net->penalties[i].until_ms <= now_ms || memcmp(net->penalties[i].key, key, 32) == 0) {
			slot = i;
			break;
		}
	if (slot == PENALTIES_MAX)
		slot = randombytes_uniform(PENALTIES_MAX);
	else if (slot == net->n_penalties)
		net->n_penalties++;
	memcpy(net->penalties[slot].key, key, 32);
	net->penalties[slot].until_ms = now_ms + (uint64_t)net->cfg->penalty_seconds * 1000;
	net->counters.peer_cutoffs++;
	for (size_t i = 0; i < net->n_strikes; i++)
		if (memcmp(net->strikes[i].key, key, 32) == 0)
			net->strikes[i].count = 0; /* a fresh count once the penalty is over */
	for (size_t i = 0; i < net->n_links; i++)
		if (net->links[i].used && memcmp(net->links[i].key, key, 32) == 0) {
			/* an inbound connection stays open under libzmq and keeps
			 * costing us its decryption: drop them all (net_maintain) */
			if (net->links[i].dir == DIR_IN)
				net->rebind = true;
			net_close_link(net, &net->links[i]);
		}
}

/* Adds count invalid messages to key's tally and returns the tally. A key
 * quiet for a whole penalty period starts afresh; when the table is full the
 * key heard from longest ago makes room. */
unsigned net_strike(struct net *net, const uint8_t key[32], unsigned count, uint64_t now_ms)
{
	struct strike *s = NULL, *oldest = NULL;
	for (size_t i = 0; i < net->n_strikes && !s; i++) {
		struct strike *t = &net->strikes[i];
		if (memcmp(t->key, key, 32) == 0)
			s = t;
		else if (!oldest || t->last_ms < oldest->last_ms)
			oldest = t;
	}
	if (!s) {
		s = net->n_strikes < STRIKES_MAX ? &net->strikes[net->n_strikes++] : oldest;
		memcpy(s->key, key, 32);
		s->count = 0;
	} else if (now_ms - s->last_ms > (uint64_t)net->cfg->penalty_seconds * 1000) {
		s->count = 0;
	}
	s->count += count;
	s->last_ms = now_ms;
	return s->count;
}

/* A key whose admitted connections stay silent collects them in libzmq,
 * which cannot close one inbound connection: count each against the key,
 * so that enough of them cut it off (and net_penalize drops them all). */
void net_silent_admissions(struct net *net, uint64_t now)
{
	uint8_t key[32];
	while (admit_pending_expired(&net->admit, now, key)) {
		char fp[20];
		sodium_bin2hex(fp, sizeof(fp), key, 8);
		unsigned total = net_strike(net, key, 1, now);
		log_msg(SLOG_INFO, "%s passed ZAP and sent nothing (%u so far)", fp, total);
		if (total >= net->cfg->invalid_limit && !net_penalized(net, key, now)) {
			net_penalize(net, key, now);
			net->rebind = true; /* its silent connections are no links */
		}
	}
}

