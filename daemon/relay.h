/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * relay.h — the relay's subscriber socket (PROTOCOL.md section 11): the
 * sessions of authorities reading from a cursor on, their announcements,
 * and the audit log. Its state is its own (struct relay, relay_state.h, in
 * the daemon as d->relay); the loop calls relay_handle() when the socket is readable and
 * relay_pump() every round.
 */
#ifndef SAMEN_RELAY_H
#define SAMEN_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay_state.h"
#include "../proto/err.h"

struct daemon;

int relay_open(struct daemon *d) SAMEN_MUST_CHECK;
void relay_close(struct daemon *d);
void relay_handle(struct daemon *d);
void relay_pump(struct daemon *d);
/* A handshake refused on the subscriber socket, added up in the audit log. */
void relay_refused(struct daemon *d, const uint8_t key[32], bool curve, const char *why);

#endif
