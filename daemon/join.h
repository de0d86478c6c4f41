/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * join.h — admission (join.c): the invites this coordinator made and the
 * join socket that redeems them, and the joining side, this household
 * redeeming a code elsewhere. join owns the invites: control asks for one
 * (join_invite), approves one (join_approve) and lists the pending ones
 * (join_invites); the join socket is what consumes them.
 */
#ifndef SAMEN_JOIN_H
#define SAMEN_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "net.h"
#include "node.h"

#define INVITES_MAX 256

struct gossip;

struct invite {
	uint8_t secret_hash[32];
	uint64_t expires;
	bool preapproved;
	char label[LABEL_MAX + 1];
	bool used;
	bool pending;            /* redeemed, awaiting approval */
	uint8_t joiner[32];
	char joiner_label[LABEL_MAX + 1];
	uint64_t since;
};

struct join_state {           /* this household joining elsewhere */
	bool active;
	void *sock;               /* DEALER to the coordinator's join socket */
	uint8_t nbhd[32];
	uint8_t server[32];
	uint8_t secret[16];
	char endpoint[ENDPOINT_MAX + 1];
	char label[LABEL_MAX + 1];
	uint64_t expires;
	uint64_t next_try_ms;
	char state[16];           /* "asked" (no answer yet), "pending", "refused", "member" */
	char error[128];          /* why it was refused */
	/* the `samen join` that started it waits for the coordinator's first
	 * answer (or JOIN_ANSWER_WAIT_MS) before it is told the state, on the
	 * control socket it asked on */
	void *waiter_sock;
	uint8_t waiter[RID_MAX];
	size_t waiter_len;
	uint64_t waiter_until_ms;
};

struct join {
	struct config *cfg;       /* the loop's, as are node and zctx */
	node_t *node;
	void *zctx;
	struct net *net;          /* binds the join socket; told when ZAP must look again */
	struct gossip *gossip;    /* announces this household once it is a member */
	void *sock;               /* the join socket (join_listen) */
	struct invite invites[INVITES_MAX];
	size_t n_invites;
	struct join_state joining;
};

/* Binds the join socket when join_listen is set. */
int join_open(struct join *jn) SAMEN_MUST_CHECK;
void join_close(struct join *jn);
void *join_server_socket(const struct join *jn);
void *join_client_socket(const struct join *jn);
void join_server_handle(struct join *jn);
void join_client_handle(struct join *jn);
void join_tick(struct join *jn, uint64_t now_ms);
int join_load(struct join *jn);
int join_invite(struct join *jn, bool preapproved, uint64_t hours, const char *label,
		char *code, size_t cap) SAMEN_MUST_CHECK;
int join_approve(struct join *jn, const uint8_t key[32], uint8_t cert_id[32]) SAMEN_MUST_CHECK;
/* The invites, pending or not, in *out; returns how many. */
size_t join_invites(const struct join *jn, const struct invite **out);
int join_start(struct join *jn, const char *code, const char *label) SAMEN_MUST_CHECK;
/* Whether this household is joining elsewhere, and how far it got
 * ("asked", "pending", "refused", "member"; "" before any join). */
bool join_active(const struct join *jn);
const char *join_state_name(const struct join *jn);
/* rid's control request is answered on sock once the coordinator first
 * answers the join join_start() began, or after JOIN_ANSWER_WAIT_MS. */
void join_answer_later(struct join *jn, void *sock, const uint8_t *rid, size_t rid_len);
#define JOIN_ANSWER_WAIT_MS 10000

#endif
