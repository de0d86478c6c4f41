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

#include "../keys/identity.h"
#include "../keys/membership.h"
#include "../proto/record.h"
#include "../proto/signal.h"
#include "../proto/vpool.h"
#include "node_types.h"
#include "store.h"

/* The name of a reason, as `status` counts it (PROTOCOL.md section 9). */
const char *reject_name(enum reject r);
/* Whether this reason says something bad about the peer that sent it (and
 * counts towards cutting that peer off), as opposed to ordinary races. */
bool reject_is_misbehaviour(enum reject r);

struct node;
/* Called for each record committed by node_ingest(); source is the caller's
 * tag for where it came from (a link number, or -1 for local). */
typedef void (*node_stored_fn)(void *ctx, struct node *n, const struct record *r,
			       const uint8_t *buf, size_t len, int source);

#define SERVED_MAX 16

/* A neighbourhood a relay serves, with its own membership. */
struct served {
	uint8_t nbhd[32];
	membership_t *mem;
};

typedef struct node {
	struct identity *id;
	char key_path[4096];
	uint8_t nbhd[32];
	bool have_nbhd;
	store_t *store;
	membership_t *mem;
	struct epoch *epochs;
	size_t n_epochs;
	struct served served[SERVED_MAX]; /* relay role; households use nbhd/mem */
	size_t n_served;
	uint8_t (*retracted)[32];
	size_t n_retracted;
	struct rate_table rates;
	struct node_params params;
	uint64_t counters[RJ_COUNT];
	uint64_t stored_total;
	uint64_t purged_total;    /* deleted by purge_strangers() (purge.h) */
	uint64_t unreadable;      /* in the last rebuild: stored records that no longer decode */
	node_stored_fn stored;
	void *stored_ctx;
	uint64_t (*now_ms)(void); /* clock; replaceable in tests */
	/* Threads that check a batch's signatures in node_ingest(), the
	 * caller's included: 0 (node_open's default) = one per CPU, at most
	 * NODE_VERIFY_THREADS_MAX; 1 = the caller alone. Verdicts do not
	 * depend on it. The workers start at the first batch that needs them. */
	unsigned verify_threads;
	vpool_t *vpool;
	bool vpool_failed;        /* could not start them: stay serial */
} node_t;

#define NODE_VERIFY_THREADS_MAX 4

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

/* Relay role: serve one more neighbourhood (its membership is rebuilt from
 * the store). Returns 0, SAMEN_ETOOBIG past SERVED_MAX, or -ENOMEM. */
int node_serve(node_t *n, const uint8_t nbhd[32]) SAMEN_MUST_CHECK;

/* The membership that decides records of nbhd here, or NULL when this node
 * neither belongs to nor serves it. */
membership_t *node_mem_for(const node_t *n, const uint8_t nbhd[32]);

/* Rebuilds membership, epochs and retractions from the store (SIGHUP). */
int node_reload(node_t *n) SAMEN_MUST_CHECK;

/* Sets (and remembers in the store) the neighbourhood, after a join. */
int node_set_nbhd(node_t *n, const uint8_t nbhd[32]) SAMEN_MUST_CHECK;

/*
 * Validates and stores n_recs encoded records in one transaction (group
 * commit). verdicts[i] (if not NULL) receives RJ_NONE for a record stored
 * now, or why not. Calls n->stored for every record stored. Returns the
 * number stored, or a negative code if the commit failed (then nothing was
 * stored, and verdicts say RJ_STORE). sources[i] tags where record i came
 * from (a link number; NULL means all local, -1) and is handed to `stored`.
 * Signatures are checked on n->verify_threads threads. A record of a
 * rate-limited kind whose author's bucket is already empty is refused as
 * RJ_RATE without its signature being checked, and takes no token.
 */
int node_ingest(node_t *n, const uint8_t *const *recs, const size_t *lens, size_t n_recs,
		const int *sources, enum reject *verdicts);

/*
 * node_ingest() for records a neighbour sent, which it holds itself: the
 * commit's last disk flush is deferred (store_put_batch_deferred), so a
 * hop costs one flush, not two. The caller makes it durable with
 * store_sync() soon after; a machine crash before that loses at most this
 * batch here, and anti-entropy brings it back from the neighbours.
 */
int node_ingest_relayed(node_t *n, const uint8_t *const *recs, const size_t *lens, size_t n_recs,
			const int *sources, enum reject *verdicts);

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

/* The current epoch of this node's neighbourhood whose key it holds, or
 * NULL: the highest number among those that still count, on a tie the
 * smallest record id, so every daemon picks the same one. */
const struct epoch *node_current_epoch(const node_t *n);
const struct epoch *node_epoch_by_id(const node_t *n, const uint8_t id[32]);

/* Whether the current epoch's members differ from the current valid
 * members (so a coordinator should issue a new epoch). */
bool node_rekey_needed(const node_t *n);

/* Issues a new epoch sealed to every current member (coordinators only). */
int node_rekey(node_t *n) SAMEN_MUST_CHECK;

bool node_is_retracted(const node_t *n, const uint8_t id[32]);

/* Decrypts a signal record with whichever key this node holds. */
int node_decrypt(const node_t *n, const struct record *r, struct signal_plain *p)
	SAMEN_MUST_CHECK;

/* Prunes expired records now; returns how many. */
int node_prune(node_t *n);

#endif
