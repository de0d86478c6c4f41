/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * authlink.h — what `samen subscribe` and `samen announce` share: their exit
 * codes, the authority's key, and the CURVE connection to a relay's
 * subscriber socket.
 */
#ifndef SAMEN_AUTHLINK_H
#define SAMEN_AUTHLINK_H

#include <stddef.h>
#include <stdint.h>

#include "fail.h"

struct authlink {
	struct identity *id;
	char key_path[4096];
	const char *endpoint;
	uint8_t relay_key[32]; /* the relay's Ed25519 key */
	void *zctx, *sock;     /* a DEALER, CURVE client */
};

/* Reads l->key_path (passphrase from $SAMEN_PASSPHRASE_FILE). Returns 0 or
 * an exit code, said. */
int authlink_load_key(struct authlink *l);
/* Connects to l->endpoint. Returns 0 or an exit code, said. */
int authlink_connect(struct authlink *l);
/* Closes the connection and frees the key. */
void authlink_close(struct authlink *l);

#endif
