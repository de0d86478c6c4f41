/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * admit.h — how many links and join handshakes a peer may get, decided when
 * ZAP is asked: inbound mesh links per key (links made plus admissions whose
 * first message has not come yet) and join handshakes per key, per source
 * address and in all. A pure bookkeeping module: it sees keys, addresses and
 * the clock, never sockets.
 */
#ifndef SAMEN_ADMIT_H
#define SAMEN_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Inbound links one key may hold at once: one, and one more for the moment
 * when its old connection is gone but we have not noticed yet. */
#define ADMIT_LINKS_PER_KEY 2
/* A connection ZAP admitted counts toward its key until its first message
 * makes it a link, or until this passes: a key cannot open connections that
 * stay silent to get past ADMIT_LINKS_PER_KEY. */
#define ADMIT_PENDING_MS 10000
#define ADMIT_PENDING_MAX 256
/* Join handshakes per minute: per key, per source address, and in all. The
 * per-address share keeps throw-away keys from one machine from using the
 * whole budget; the total bounds the CPU spent on handshakes. */
#define ADMIT_JOIN_PER_KEY 6
#define ADMIT_JOIN_PER_ADDR 10
#define ADMIT_JOIN_TOTAL 60
#define ADMIT_JOIN_WINDOW_MS 60000
/* Admitted handshakes are remembered for one window: the total bounds how
 * many there can be (two windows' worth, as windows start per entry). */
#define ADMIT_JOIN_TRACK (2 * ADMIT_JOIN_TOTAL)

struct admit_pending {
	uint8_t key[32];
	uint64_t until_ms;
};

struct admit_budget {
	uint8_t tag[32];          /* a key, or a hash of an address */
	uint64_t window_ms;       /* when its minute began */
	unsigned count;
};

struct admit {
	struct admit_pending pending[ADMIT_PENDING_MAX];
	struct admit_budget by_key[ADMIT_JOIN_TRACK], by_addr[ADMIT_JOIN_TRACK];
	uint64_t total_window_ms;
	unsigned total;
};

/* Admissions of key (NULL: of every key) not yet links and not expired. */
size_t admit_pending_count(const struct admit *a, const uint8_t *key, uint64_t now_ms);
/* Records an admission of key. false when the table is full of live ones
 * (then refuse the connection). */
bool admit_pending_add(struct admit *a, const uint8_t key[32], uint64_t now_ms);
/* key's connection became a link: one admission fewer waits. */
void admit_pending_take(struct admit *a, const uint8_t key[32], uint64_t now_ms);
/* Takes one admission that expired without becoming a link: true with its
 * key in key. Each is a connection that passed ZAP and never spoke, which
 * no honest daemon makes (it says HELLO at once): the caller counts it
 * against the key. */
bool admit_pending_expired(struct admit *a, uint64_t now_ms, uint8_t key[32]);
/* Forgets every admission (their connections were dropped). */
void admit_pending_clear(struct admit *a);

/* Whether a join handshake by key from addr (as ZAP gives it) may go on; if
 * so it is charged to all three budgets. false with *why set otherwise. */
bool admit_join(struct admit *a, const uint8_t key[32], const char *addr, uint64_t now_ms,
		const char **why);

#endif
