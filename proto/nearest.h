/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * nearest.h — how far apart two short words are, for "did you mean"
 * hints: a mistyped command or option of samen (client/args.c), a
 * mistyped key of samend.conf (daemon/config.c).
 */
#ifndef SAMEN_NEAREST_H
#define SAMEN_NEAREST_H

#include <stddef.h>

/* Words longer than this are never close to anything. */
#define NEAREST_LEN_MAX 64

/*
 * The optimal string alignment distance between a and b: letters added,
 * dropped, changed or two neighbours swapped, each counting one. SIZE_MAX
 * when either is longer than NEAREST_LEN_MAX.
 */
size_t nearest_distance(const char *a, const char *b);

#endif
