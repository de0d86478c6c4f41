/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * audit.h — the relay's audit log (STATE_DIR/audit.log): every subscriber
 * session, announcement and refusal, for the neighbourhood to check what its
 * authorities read.
 *
 * Refusals come from keys nobody admitted, so they are not written one line
 * each: they are added up per key and written once per interval ("N refused
 * from KEY in the last S s"). Only so many keys are told apart per interval;
 * the rest share one line. The file has a size cap: past it, it is renamed
 * to audit.log.1 (replacing the one before) and a new one is begun, so the
 * log never holds more than twice the cap and the newest lines are kept.
 */
#ifndef SAMEN_AUDIT_H
#define SAMEN_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/err.h"

#define AUDIT_INTERVAL_MS 60000
#define AUDIT_KEYS_MAX 32               /* keys told apart per interval */
#define AUDIT_MAX_BYTES (64u << 20)     /* one file, before it is rotated */

struct audit;

/* Opens (appends to) path with O_NOFOLLOW. max_bytes 0 = AUDIT_MAX_BYTES.
 * Returns 0 or -errno. */
int audit_open(struct audit **out, const char *path, size_t max_bytes) SAMEN_MUST_CHECK;
/* Writes what refusals are still added up, then closes. */
void audit_close(struct audit **a, uint64_t now_ms);

/* One line now: time, event, `key=` and the Ed25519 key as key text (the
 * form `samen members` shows), detail. */
void audit_event(struct audit *a, const char *event, const uint8_t key[32], const char *detail);
/* Adds one refusal of key (why: a fixed text) to this interval's count.
 * curve: key is the X25519 key a connection presented, which no certificate
 * names; it is written `curve=` and hex, for it has no key text. */
void audit_refused(struct audit *a, const uint8_t key[32], bool curve, const char *why,
		   uint64_t now_ms);
/* Writes the interval's counts once it has ended. Call it often. */
void audit_tick(struct audit *a, uint64_t now_ms);

struct audit_stats {
	uint64_t refused;   /* refusals added up, in total */
	uint64_t lines;     /* lines written */
	uint64_t rotations; /* times the file reached its cap */
	uint64_t failed;    /* lines that could not be written */
};
void audit_stats(const struct audit *a, struct audit_stats *out);

#endif
