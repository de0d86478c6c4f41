/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for samen-web's device list (web/devices.c): any file
 * content is read whole or refused whole; what is read holds only valid
 * names and at most the caps; no token's text matches a random entry.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../web/devices.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct devices d;
	if (devices_parse(&d, (const char *)data, size) != 0)
		return 0;
	if (d.n_dev > DEVICES_MAX || d.n_pair > PAIRINGS_MAX)
		__builtin_trap();
	for (size_t i = 0; i < d.n_dev; i++)
		if (!devices_name_ok(d.dev[i].name))
			__builtin_trap();
	if (devices_find(&d, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") != NULL &&
	    d.n_dev == 0)
		__builtin_trap();
	return 0;
}
