/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * purge.h — removing what an earlier version stored that today's rules
 * would refuse, so an upgraded store sheds a flood it took in before.
 */
#ifndef SAMEN_PURGE_H
#define SAMEN_PURGE_H

#include <stdint.h>

#include "../keys/membership.h"
#include "store.h"

/*
 * Deletes the self-revocations of nbhd by keys that are the subject of no
 * certificate in mem (samen 0.1.0 stored them from anyone, for good; they
 * revoke nothing). mem must have been rebuilt from the same store. Returns
 * how many were deleted, or a negative code.
 */
int purge_strangers(store_t *st, const membership_t *mem, const uint8_t nbhd[32])
	SAMEN_MUST_CHECK;

#endif
