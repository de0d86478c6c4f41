/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for the record decoder: any bytes a peer could send go
 * through record_open(); a record that decodes must re-sign-free round-trip
 * (its id is the hash of the input) and, for signals, must survive a
 * decryption attempt with a fixed wrong key without crashing.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "../../proto/record.h"
#include "../../proto/signal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct record r;
	uint8_t id[32];

	if (!ready) {
		if (sodium_init() < 0)
			return 0;
		ready = 1;
	}
	if (record_decode(data, size, &r) != 0)
		return 0;
	record_id(data, size, id);
	if (memcmp(id, r.id, 32) != 0)
		__builtin_trap();
	if (r.body < data || r.body + r.body_len > data + size)
		__builtin_trap();
	(void)record_verify(&r);
	if (r.kind == REC_SIGNAL) {
		static const uint8_t key[32] = {1};
		struct signal_plain p;
		(void)signal_decrypt_member(&r, key, &p);
	}
	return 0;
}
