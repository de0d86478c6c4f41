/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for a receipt's plaintext (proto/receipt.c), as a
 * member's daemon reads it from every decrypted signal: anything is taken
 * or refused; what is taken holds 1..RECEIPT_IDS_MAX ids in sorted lists
 * without repeats and encodes back to exactly the bytes read.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../proto/receipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct receipt rc;
	uint8_t again[RECEIPT_IDS_MAX * 32 + 16];
	size_t len = 0;
	if (receipt_decode(data, size, &rc) != 0)
		return 0;
	if (rc.n_delivered + rc.n_seen == 0 || rc.n_delivered + rc.n_seen > RECEIPT_IDS_MAX)
		__builtin_trap();
	for (size_t i = 1; i < rc.n_delivered; i++)
		if (memcmp(rc.delivered[i - 1], rc.delivered[i], 32) >= 0)
			__builtin_trap();
	if (receipt_encode(&rc, again, sizeof(again), &len) != 0 || len != size ||
	    memcmp(again, data, size) != 0)
		__builtin_trap();
	return 0;
}
