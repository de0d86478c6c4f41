/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * view.h — decrypted signals for the control socket, watchers and hooks.
 */
#ifndef SAMEN_VIEW_H
#define SAMEN_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "node.h"

struct sigent {
	uint8_t id[32];
	uint8_t author[32];
	uint64_t seq, created, expires;
	size_t shared;
	bool readable;            /* this node holds a key for it */
	struct signal_plain p;    /* valid when readable */
};

struct sigset {
	const node_t *node;
	struct sigent *e;         /* newest first */
	size_t n, cap;
};

/* Decrypts every stored signal of the neighbourhood into s (free with
 * view_free(), which wipes the plaintexts). */
int view_collect(const node_t *n, struct sigset *s) SAMEN_MUST_CHECK;
void view_free(struct sigset *s);

/* Packs "delivered", "seen" and "households" (three map entries) for the
 * alert id by author: what the receipts held say. */
int view_pack_receipts(msgpack_packer *pk, const node_t *n, const uint8_t id[32],
		       const uint8_t author[32]);
/* Packs the signal view of e (a map) onto pk; returns 0 or -1. */
int view_pack(msgpack_packer *pk, const struct sigset *s, const struct sigent *e);

/* Finds a signal by a unique hex prefix (8..64 characters). On failure *err
 * is SAMEN_EINVAL (bad or ambiguous prefix) or SAMEN_ENOTFOUND. */
const struct sigent *view_find(const struct sigset *s, const char *hexid, int *err);

/* The incident state of a head signal: "open", "112-called", "resolved",
 * and the number of distinct households that said they are looking. */
void view_thread_state(const struct sigset *s, const struct sigent *head, const char **state,
		       unsigned *looking);

/* The certificate label of key ("founder" for the founder, "" if none). */
void view_label(const node_t *n, const uint8_t key[32], char *out, size_t cap);
void view_hex(const uint8_t id[32], char out[65]);

#endif
