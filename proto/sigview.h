/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * sigview.h — a signal's plaintext as the entries of a msgpack map, written
 * one way for everything that shows a signal: samend's views (list, show,
 * watch, the hook's JSON; daemon/view.c) and samen subscribe's JSON lines
 * (client/subrec.c). The names are in PROTOCOL.md section 8.
 */
#ifndef SAMEN_SIGVIEW_H
#define SAMEN_SIGVIEW_H

#include <stddef.h>

#include <msgpack.h>

#include "signal.h"

/* The key of the number of authorities a signal was sealed to. */
#define SIGVIEW_SHARED_WITH "shared_with"

/* How many map entries sigview_pack() writes for p. */
size_t sigview_fields(const struct signal_plain *p);

/*
 * Writes p's entries (kind, category, severity, status, called112, ack,
 * description, where, the point if it has one, refs as hex ids) into a map
 * the caller has opened with room for sigview_fields(p) of them.
 * Returns 0, or -1 when the packer failed.
 */
int sigview_pack(msgpack_packer *pk, const struct signal_plain *p);

#endif
