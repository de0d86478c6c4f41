/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for ntfy's since= as samen-web reads it (web/since.c):
 * any query value either parses to one of the forms or is refused, and a
 * parsed id is exactly RING_ID_LEN lowercase hex digits.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../web/ring.c"
#include "../../web/since.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64];
	struct since out;
	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (since_parse(s, size & 1, 1800000000, &out) == 0) {
		if (out.kind == SINCE_ID && (strlen(out.id) != RING_ID_LEN ||
					     strspn(out.id, "0123456789abcdef") != RING_ID_LEN))
			__builtin_trap();
		if (out.kind == SINCE_TIME && strlen(s) > 13)
			__builtin_trap();
	}
	return 0;
}
