/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * subscribe.h — `samen subscribe` and `samen announce`, the authority side:
 * they talk to a relay's subscriber socket, not to a local daemon.
 * Each takes the arguments after the subcommand name (argv[0] is the name)
 * and returns the process exit code.
 */
#ifndef SAMEN_SUBSCRIBE_H
#define SAMEN_SUBSCRIBE_H

#include <getopt.h>

/* subscribe verifies and decrypts on this many threads by default: one per
 * CPU it may run on, at most SUBSCRIBE_THREADS_DEFAULT_MAX; --threads N
 * takes 1 to SUBSCRIBE_THREADS_MAX. */
#define SUBSCRIBE_THREADS_DEFAULT_MAX 8
#define SUBSCRIBE_THREADS_MAX 64

int subscribe_main(int argc, char **argv);
int announce_main(int argc, char **argv);
/* their long options (the bash completion is made from them) */
extern const struct option subscribe_options[], announce_options[];

#endif
