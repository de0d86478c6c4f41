/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node.h — one daemon's view of its neighbourhood: identity, store,
 * membership, epoch keys, retractions, and the validation pipeline every
 * record passes before it is stored or forwarded (DESIGN.md, "Validation
 * before forwarding").
 *
 * The node knows nothing about sockets. Whoever feeds it records (a link, the
 * control socket, the join exchange) gets per-record verdicts back, and the
 * node calls the `stored` callback for each record that was committed, so
 * the caller can forward it and deliver it.
 */
#ifndef SAMEN_NODE_H
#define SAMEN_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/signal.h"
#include "node_epoch.h"
#include "node_ingest.h"
#include "node_rebuild.h"
#include "node_state.h"

/* The name of a reason, as `status` counts it (PROTOCOL.md section 9). */
const char *reject_name(enum reject r);
/* Whether this reason says something bad about the peer that sent it (and
 * counts towards cutting that peer off), as opposed to ordinary races. */
bool reject_is_misbehaviour(enum reject r);


/*
 * Opens the node: the store in state_dir/store, the identity from key_path
 * (passphrase may be NULL), and the neighbourhood from nbhd (may be NULL: then
 * the one remembered in the store from a join, if any). Rebuilds membership,
 * epochs and retractions from the store. Returns 0 or a negative code; on
 * failure everything opened is closed again.
 */
int node_open(node_t *n, const char *state_dir, const char *key_path, const char *passphrase,
	      const uint8_t *nbhd, const struct node_params *p) SAMEN_MUST_CHECK;
void node_close(node_t *n);



/* Rebuilds membership, epochs and retractions from the store (SIGHUP). */
int node_reload(node_t *n) SAMEN_MUST_CHECK;

/* Sets (and remembers in the store) the neighbourhood, after a join. */
int node_set_nbhd(node_t *n, const uint8_t nbhd[32]) SAMEN_MUST_CHECK;


/*
 * Prepares r as a new record of this node: sets nbhd, author, created and
 * reserves the next sequence number (keys/seqfile.h). The caller fills the
 * payload (for a signal: signal_encrypt()), then calls node_publish().
 */
int node_prepare(node_t *n, struct record *r, uint8_t kind) SAMEN_MUST_CHECK;

/* Gives back r's sequence number when r will not be published after all
 * (node_publish does this itself when it refuses r), so our stream keeps no
 * hole that peers must be told about. */
void node_abandon(node_t *n, const struct record *r);

/*
 * Signs r and ingests it like any other record; returns 0 once it is
 * committed, with r->id set, or the verdict as a negative code:
 * SAMEN_EFULL (store full), SAMEN_EROLE, SAMEN_ENOCERT, SAMEN_ERATE (rate
 * limited), or another negative code. A refused record's sequence number is
 * given back (node_abandon).
 */
int node_publish(node_t *n, struct record *r, enum reject *why) SAMEN_MUST_CHECK;

/* The role this node's key holds now (ROLE_COORDINATOR for the founder), or
 * 0 when it holds none. */
unsigned node_my_role(const node_t *n);


/* Whether the current epoch's members differ from the current valid
 * members (so a coordinator should issue a new epoch). */
bool node_rekey_needed(const node_t *n);

/* Issues a new epoch sealed to every current member (coordinators only). */
int node_rekey(node_t *n) SAMEN_MUST_CHECK;


/* Decrypts a signal record with whichever key this node holds. */
int node_decrypt(const node_t *n, const struct record *r, struct signal_plain *p)
	SAMEN_MUST_CHECK;

/* Prunes expired records now; returns how many. */
int node_prune(node_t *n);

struct receipt;
/* Publishes this household's receipt rc (normalised here) as a signal
 * record under the current epoch, kept until expires (at least a minute);
 * *bytes: its size. 0 or a negative code (SAMEN_ENOKEY: no epoch yet). */
int node_receipt_publish(node_t *n, struct receipt *rc, uint64_t expires, size_t *bytes)
	SAMEN_MUST_CHECK;

#endif
