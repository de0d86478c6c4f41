/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * since.h — ntfy's since= parameter (docs.ntfy.sh, "Fetch cached
 * messages"): a duration (30s, 10m, 2h, 1d), a Unix time, a message id, or
 * "all"; "latest" is taken as the newest message alone.
 */
#ifndef SAMEN_WEB_SINCE_H
#define SAMEN_WEB_SINCE_H

#include <stdbool.h>
#include <stdint.h>

#include "ring.h"

enum since_kind { SINCE_NOW, SINCE_ALL, SINCE_TIME, SINCE_ID, SINCE_LATEST };

struct since {
	enum since_kind kind;
	uint64_t time;               /* SINCE_TIME: created at or after */
	char id[RING_ID_MAX + 1];    /* SINCE_ID */
};

/*
 * Parses s (NULL: not given) at time now. poll makes "not given" mean all,
 * as ntfy's poll=1 does. Returns 0, or -1 for a value of none of the forms
 * (the caller answers 400).
 */
int since_parse(const char *s, int poll, uint64_t now, struct since *out);

/* Where in ring a stream of since starts (the position it resumes after). */
uint64_t since_position(const struct since *s, struct ring *ring);

/* A request's since= and poll= (NULL when absent) at time now: whether it
 * polls, and the position its stream resumes after. 0, or -1 as since_parse. */
int since_request(const char *since, const char *poll, uint64_t now, struct ring *ring,
		  bool *polls, uint64_t *after);

#endif
