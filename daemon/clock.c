/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * clock.c — see clock.h.
 */
#include "clock.h"

#include <time.h>

uint64_t daemon_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
