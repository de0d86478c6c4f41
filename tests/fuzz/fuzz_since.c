/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for ntfy's since= as samen-web reads it (web/since.c):
 * any query value either parses to one of the forms or is refused, and a
 * parsed id is RING_ID_LEN lowercase hex digits (a record's), alone or
 * followed by a repeat's "-rN" or an escalation's "-eN", at most
 * RING_ID_MAX characters (web/API.md).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../web/ring.c"
#include "../../web/since.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The rule written out again, not ring_id_valid() called back. */
static bool id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n < RING_ID_LEN || n > RING_ID_MAX)
		return false;
	for (size_t i = 0; i < RING_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	if (n == RING_ID_LEN)
		return true;
	if (n < RING_ID_LEN + 3 || id[RING_ID_LEN] != '-' ||
	    (id[RING_ID_LEN + 1] != 'r' && id[RING_ID_LEN + 1] != 'e'))
		return false;
	for (size_t i = RING_ID_LEN + 2; i < n; i++)
		if (id[i] < '0' || id[i] > '9')
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64];
	struct since out;
	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (since_parse(s, size & 1, 1800000000, &out) == 0) {
		if (out.kind == SINCE_ID && !id_ok(out.id))
			__builtin_trap();
		if (out.kind == SINCE_TIME && strlen(s) > 13)
			__builtin_trap();
	}
	return 0;
}
