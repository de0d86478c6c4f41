/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * clock.h — the daemon's one clock for timers and rates: monotonic
 * milliseconds, which a change of the wall clock does not move. Wall time
 * (records' `created`) is time(NULL), kept apart on purpose.
 */
#ifndef SAMEN_CLOCK_H
#define SAMEN_CLOCK_H

#include <stdint.h>

uint64_t daemon_now_ms(void);

#endif
