/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * node_types.h — the plain types node.c shares with the small modules it
 * uses (validate.c, rate.c): why a record was refused, an epoch key held,
 * the rate buckets, the node's parameters. Types only, so that those
 * modules need not include node.h, which includes them.
 */
#ifndef SAMEN_NODE_TYPES_H
#define SAMEN_NODE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a record was not stored. Counted per reason and shown by `status`. */
enum reject {
	RJ_NONE = 0,
	RJ_MALFORMED,
	RJ_BADSIG,
	RJ_NBHD,
	RJ_NOCERT,
	RJ_REVOKED,
	RJ_ROLE,
	RJ_EXPIRED,
	RJ_SKEW,
	RJ_EQUIVOCATION,
	RJ_DUPLICATE,
	RJ_RATE,
	RJ_RETRACTED,
	RJ_PENALIZED,
	RJ_STORE,
	RJ_EPOCH,     /* an epoch number that does not follow a held one */
	RJ_COUNT
};


struct epoch {
	uint8_t id[32];     /* id of the epoch-key record */
	uint8_t nbhd[32];
	uint8_t author[32]; /* its issuer, with seq and created: whether it */
	uint64_t seq;       /* still counts depends on later revocations */
	uint64_t number;
	uint64_t created;
	uint8_t *key;       /* sodium_malloc'ed 32 bytes, or NULL if not ours */
	uint8_t (*members)[32];
	size_t n_members;
};

struct bucket {
	uint8_t author[32];
	uint8_t cls;        /* enum rate_class (rate.h) */
	double tokens;
	uint64_t last_ms;
};

/* Token buckets per (author, class), kept by rate.c. */
struct rate_table {
	struct bucket *b;
	size_t n;
};

struct node_params {
	uint64_t clock_skew;      /* seconds */
	uint64_t rate_per_minute; /* per author */
	uint64_t rate_burst;
	uint64_t retention;       /* seconds a signal is kept at most */
	uint64_t max_map_bytes;   /* the store's map may grow to this; 0 = the store's default */
};

#endif
