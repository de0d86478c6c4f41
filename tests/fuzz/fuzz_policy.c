/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for the notification policy's file (proto/policy.c):
 * any bytes as notify.conf through policy_parse(). A file that is taken
 * must leave every cell a level, drills at most normal, quiet hours inside
 * a day, a time zone that cannot leave the zone directory; and what
 * policy_text() writes of it must read back to the same policy. A file
 * that is refused leaves the policy as it was, with a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct policy *p)
{
	for (unsigned c = 0; c < POLICY_CATEGORIES; c++) {
		for (unsigned k = 0; k < POLICY_COLS; k++)
			if (p->cell[c][k] >= LEVEL_COUNT)
				__builtin_trap();
		if (p->cell[c][COL_DRILL] > LEVEL_NORMAL)
			__builtin_trap();
	}
	for (unsigned k = 0; k < POLICY_ANNOUNCE; k++)
		if (p->authority[k] >= LEVEL_COUNT)
			__builtin_trap();
	if (p->quiet && (p->quiet_from >= 1440 || p->quiet_to >= 1440 || p->quiet_from == p->quiet_to))
		__builtin_trap();
	if (!memchr(p->timezone, '\0', sizeof(p->timezone)) || p->timezone[0] == '/' ||
	    strstr(p->timezone, ".."))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy p, before, again;
	char err[256] = "";

	policy_defaults(&p);
	before = p;
	if (policy_parse(&p, "notify.conf", (const char *)data, size, err, sizeof(err)) < 0) {
		if (memcmp(&p, &before, sizeof(p)) != 0 || !err[0])
			__builtin_trap();
		return 0;
	}
	check(&p);
	size_t len = 0;
	char *text = policy_text(&p, &len);
	if (!text)
		return 0;
	policy_defaults(&again);
	if (policy_parse(&again, "again", text, len, err, sizeof(err)) < 0 ||
	    memcmp(&again, &p, sizeof(p)) != 0)
		__builtin_trap();
	free(text);
	return 0;
}
