/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * rawpeer.h — hostile and low-level helpers for integration tests: a raw
 * ZeroMQ CURVE client (DEALER) with a socket monitor, hand-built link
 * messages and records, a pipelined control-socket flood, and read-only
 * peeks into a daemon's LMDB store.
 *
 * Each raw client has its own ZeroMQ context, so it may be used from a
 * thread other than the one running the harness.
 */
#ifndef SAMEN_RAWPEER_H
#define SAMEN_RAWPEER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../daemon/store.h"
#include "../../keys/identity.h"
#include "../../proto/record.h"

struct rawpeer {
	void *ctx;
	void *sock; /* DEALER, CURVE client */
	void *mon;  /* PAIR reading the DEALER's monitor */
};

/*
 * Connects a DEALER to endpoint as a CURVE client with the X25519 key pair
 * (curve_pk, curve_sk); the server key is the X25519 form of server_ed (an
 * Ed25519 public key, as daemons use). Every monitor event is recorded.
 * Returns 0 or -1.
 */
int rawpeer_open(struct rawpeer *p, const char *endpoint, const uint8_t server_ed[32],
		 const uint8_t curve_pk[32], const uint8_t curve_sk[32]);
/* As rawpeer_open() with an identity's CURVE keys. */
int rawpeer_open_id(struct rawpeer *p, const char *endpoint, const uint8_t server_ed[32],
		    const struct identity *id);
void rawpeer_close(struct rawpeer *p);
/* Closes every raw client still open (for a teardown after a failed
 * assertion left some behind). */
void rawpeer_close_all(void);
/* A cmocka teardown: every raw client closed, then harness_cleanup(). */
int rawpeer_teardown(void **state);

/*
 * Waits up to timeout_ms for a monitor event in mask (ZMQ_EVENT_* bits);
 * events outside mask are skipped. Returns the event, with its value in
 * *value (may be NULL), or 0 on timeout.
 */
int rawpeer_wait_event(struct rawpeer *p, int mask, int timeout_ms, uint32_t *value);

/* Sends one frame (blocking up to 2 s). Returns 0 or -1. */
int rawpeer_send(struct rawpeer *p, const void *buf, size_t len);
/* Receives one frame within timeout_ms into a malloc'ed *buf. Returns its
 * length, or -1 on timeout. */
long rawpeer_recv(struct rawpeer *p, uint8_t **buf, int timeout_ms);
/* Reads and drops frames until none arrives for quiet_ms; returns how many. */
size_t rawpeer_drain(struct rawpeer *p, int quiet_ms);
/* The link message type of a received frame (LINK_HELLO ...), or -1. */
int rawpeer_link_type(const uint8_t *buf, size_t len);

/* ---- hand-built messages ---- */

/* A signed peer announcement (REC_PEER) by id in nbhd. Caller frees *out. */
int rawrec_peer(const struct identity *id, const uint8_t nbhd[32], uint64_t seq,
		uint64_t created, uint64_t expires, const char *endpoint, uint8_t **out,
		size_t *len);
/* A signal (REC_SIGNAL, an alert) by id in nbhd, sealed under the given
 * epoch (its record id and key). Caller frees *out. */
int rawrec_signal(const struct identity *id, const uint8_t nbhd[32], uint64_t seq,
		  uint64_t created, const uint8_t epoch_id[32], const uint8_t epoch_key[32],
		  const char *description, uint8_t **out, size_t *len);
/* A LINK_RECORDS message holding the n records. Caller frees *out. */
int rawlink_records(const uint8_t *const *recs, const size_t *lens, size_t n, uint8_t **out,
		    size_t *len);
/* A LINK_HELLO message. Caller frees *out. */
int rawlink_hello(const uint8_t nbhd[32], const uint8_t hash[32], const char *advertise,
		  uint8_t **out, size_t *len);

/* ---- control socket flood ---- */

struct rawflood {
	/* in */
	char dir[512];           /* daemon state directory (control socket inside) */
	size_t n;                /* send requests to pipeline */
	/* out */
	size_t ok, rate_limited, other, lost;
	char other_error[300];   /* the first reply that was neither */
	uint64_t start_ms, end_ms;
	atomic_size_t replies;   /* replies so far, readable while it runs */
	atomic_bool done;
	atomic_bool stop;        /* set to make it give up early */
};

/* Pipelines f->n `send` requests on one DEALER to the daemon's control
 * socket, then reads every reply (up to 30 s). Usable as a thread body. */
void *rawflood_run(void *f);

/* ---- store peeks (a running daemon's store may be opened alongside it) ---- */

/* Opens "<node_dir>/store". Returns 0 or a negative code. */
int rawstore_open(store_t **st, const char *node_dir);
/*
 * Finds the record of kind in nbhd whose id is id_hex (64 hex characters)
 * by walking the kind index. Returns 0 with a malloc'ed copy in *buf, or
 * SAMEN_ENOTFOUND.
 */
int rawstore_find(store_t *st, const uint8_t nbhd[32], uint8_t kind, const char *id_hex,
		  uint8_t **buf, size_t *len);

/*
 * The epoch of nbhd with the highest number whose key id can open: its
 * number, record id and key. Returns 0 or SAMEN_ENOKEY when there is none.
 */
int rawstore_epoch_key(store_t *st, const uint8_t nbhd[32], const struct identity *id,
		       uint64_t *number, uint8_t epoch_id[32], uint8_t key[32]);

#endif
