/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * seqfile.h — an author's sequence counter, persisted before use.
 *
 * Every record carries its author's sequence number (1, 2, 3 ...); using a
 * number twice would be an equivocation and the second record would be
 * refused everywhere. The counter belongs to the key, so it lives beside the
 * secret key file as KEYFILE.seq, holding the last number reserved, and
 * every program that signs with the key (samen-keys, samend's
 * node_prepare(), `samen announce`) reserves numbers from it under an
 * exclusive lock. The new value is written and fsync'ed before the number is
 * handed out. This file is the only place own numbers come from: samend's
 * store keeps none, though its version vector (the highest seq it holds of
 * the daemon's own key) is the floor samend passes as at_least.
 */
#ifndef SAMEN_SEQFILE_H
#define SAMEN_SEQFILE_H

#include <stdint.h>

#include "../proto/err.h"

/*
 * Reserves the next sequence number for the key at keyfile_path (the counter
 * file is keyfile_path + ".seq", created 0600 on first use). If at_least is
 * greater than the stored counter, numbering continues after at_least
 * (samend's floor, above: a lost counter file cannot make it reuse a
 * number). Returns 0 and sets *seq, or SAMEN_EKEYFILE (counter file
 * corrupt) or -errno.
 */
int seqfile_next(const char *keyfile_path, uint64_t at_least, uint64_t *seq)
	SAMEN_MUST_CHECK;

/*
 * Gives back seq, reserved by seqfile_next() for a record that was then
 * refused before anyone saw it (rate-limited, disk full): if nothing later
 * was reserved meanwhile, the counter goes back to seq - 1, so the author's
 * stream keeps no hole. Returns 1 if given back, 0 if a later number was
 * already reserved (the hole stays; see daemon/gossip.c own_gaps), or
 * SAMEN_EKEYFILE / -errno.
 */
int seqfile_release(const char *keyfile_path, uint64_t seq) SAMEN_MUST_CHECK;

#endif
