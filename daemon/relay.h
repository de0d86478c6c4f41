/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * relay.h — the relay's subscriber socket (PROTOCOL.md section 11): the
 * sessions of authorities reading from a cursor on, their announcements,
 * and the audit log. The loop calls relay_handle() when the socket is
 * readable and relay_pump() every round.
 */
#ifndef SAMEN_RELAY_H
#define SAMEN_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "node.h"
#include "../proto/err.h"

struct net;
struct sub_session;
struct audit;

struct relay {
	struct config *cfg;       /* the loop's, as is node */
	node_t *node;
	struct net *net;          /* binds the socket */
	void *sock;               /* the subscriber socket (subscriber_listen) */
	struct sub_session *subs; /* SUBS_MAX slots */
	size_t n_subs;
	struct audit *audit;      /* STATE_DIR/audit.log */
};

/* Binds the subscriber socket when subscriber_listen is set. */
int relay_open(struct relay *relay) SAMEN_MUST_CHECK;
void relay_close(struct relay *relay);
void *relay_socket(const struct relay *relay);
void relay_handle(struct relay *relay);
void relay_pump(struct relay *relay);
/* A handshake refused on the subscriber socket, added up in the audit log. */
void relay_refused(struct relay *relay, const uint8_t key[32], bool curve, const char *why);

#endif
