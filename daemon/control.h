/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * control.h — the control socket (PROTOCOL.md section 8; control.c, the ops
 * in ctl_signals.c and ctl_admin.c). It
 * is the one part that reads every other: `status` and `peers` through net,
 * gossip and join's functions, invites through join's. An op that publishes
 * or imports records only commits them: what the loop's on_stored queued
 * goes out at the end of the same round (gossip_flush in samend.c), right
 * after the reply.
 */
#ifndef SAMEN_CONTROL_H
#define SAMEN_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "config.h"
#include "net.h"
#include "node.h"

#include "../proto/mp.h"

struct attend;
struct receipts;
struct events;
struct gossip;
struct join;

struct control {
	struct config *cfg;     /* the loop's, as is node */
	node_t *node;
	struct net *net;
	struct gossip *gossip;
	struct join *join;
	struct events *events;  /* the watchers, and the notification policy */
	struct attend *attend;  /* alerts waiting for an answer (seen) */
	struct receipts *receipts; /* this household's, going out (seen) */
	uint64_t started_ms;    /* for `status` */
	void *sock;             /* STATE_DIR/control */
	char path[4200];
};

/* Binds STATE_DIR/control (zctx: the loop's context). */
int control_open(struct control *c, void *zctx) SAMEN_MUST_CHECK;
void control_close(struct control *c);
void *control_socket(const struct control *c);
/* One control request's answer, as control_finish() sends it. */
struct ctl_answer {
	struct mp_buf out;     /* the reply's bytes; mp_buf_init() it first */
	bool deferred;         /* no reply now: the module holding rid answers later */
	bool replay;           /* watch --since: events_replay() follows the reply */
	uint64_t replay_since;
};
/* A request taken from the socket and answered, its reply not sent yet. */
struct ctl_request {
	zmq_msg_t rid, body;
	struct ctl_answer a;
};
/*
 * The loop reads the control socket in two steps, so that what a request
 * committed (a household's own alert) can leave for the neighbours before
 * the reply tells samen it is sent: control_take() receives and answers one
 * request (false when none is waiting), control_finish() sends its reply
 * (and a watch's replay) and frees q.
 */
bool control_take(struct control *c, struct ctl_request *q);
void control_finish(struct control *c, struct ctl_request *q);
/* Answers the len bytes of request req from routing id rid (no socket
 * involved: what the op does, and the reply in a->out, replacing what
 * was there). control_take() is the receiving and this. */
void control_answer(struct control *c, const uint8_t *rid, size_t rid_len, const uint8_t *req,
		    size_t len, struct ctl_answer *a);

#endif
