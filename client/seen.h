/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * seen.h — the record ids `samen subscribe` has output, kept across runs
 * next to the cursor file, so that a relay cannot get one record output
 * twice by offering it again at another cursor.
 *
 * Bounded: the newest SEEN_MAX ids (with each one's author, which decides
 * who may retract it) are kept; an older record offered again is still
 * refused by the cursor, which only moves forward. The file is a fixed ring
 * of SEEN_MAX slots after an 8-byte magic, each slot [serial: u64 LE, id:
 * 32, author: 32]; serial 0 is an empty slot, and the highest serials are
 * the newest. A torn slot (a crash mid-write) costs at most that one entry.
 *
 * Threads: the main thread finds and adds; seen_take() hands the entries
 * added since to another thread, which writes them with seen_write() while
 * the main thread goes on.
 */
#ifndef SAMEN_SEEN_H
#define SAMEN_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/err.h"

#define SEEN_MAX 32768

struct seen_set;

/* Entries not yet written, in the order they were added. */
struct seen_pending {
	uint8_t *buf; /* n slots, as they go into the file */
	size_t n, cap;
};

/* Opens (creating) path with O_NOFOLLOW and loads it. Returns 0, -errno, or
 * SAMEN_EMALFORMED when the file is not a seen file. */
int seen_open(struct seen_set **out, const char *path) SAMEN_MUST_CHECK;
void seen_close(struct seen_set **s);

/* Whether id was output; its author into author (when not NULL). */
bool seen_find(const struct seen_set *s, const uint8_t id[32], uint8_t author[32]);
/* Records id (by author) as output. Returns 0 or -ENOMEM. */
int seen_add(struct seen_set *s, const uint8_t id[32], const uint8_t author[32]) SAMEN_MUST_CHECK;

/* Moves the entries added since the last take into p (p's old contents are
 * dropped; p may be reused). */
void seen_take(struct seen_set *s, struct seen_pending *p);
/* Writes p's entries into their slots and makes them durable. Returns 0 or
 * -errno. */
int seen_write(const struct seen_set *s, const struct seen_pending *p) SAMEN_MUST_CHECK;
void seen_pending_free(struct seen_pending *p);

#endif
