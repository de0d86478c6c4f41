/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * daemon.h — samend as its loop (samend.c) puts it together: one struct per
 * part, each declared in the part's own header, and what only the loop
 * owns — the configuration, the node, the ZeroMQ context, the hook and the
 * timers. The loop wires the parts to each other once at start (the
 * pointers in each struct) and is the only file that sees them all.
 */
#ifndef SAMEN_DAEMON_H
#define SAMEN_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "attend.h"
#include "receipts.h"
#include "config.h"
#include "control.h"
#include "events.h"
#include "gossip.h"
#include "join.h"
#include "net.h"
#include "node.h"
#include "relay.h"

struct daemon {
	struct config *cfg;
	node_t node;
	void *zctx;
	struct hook *hook;
	struct net net;
	struct gossip gossip;
	struct control control;
	struct events events;
	struct join join;
	struct relay relay;
	struct attend attend;
	struct receipts receipts;
	bool pumping;            /* some link has a backlog (net_pump) */
	uint64_t next_ae_ms, next_maint_ms, next_prune_ms, next_rekey_ms;
};

/* Points each part at the loop's cfg and node and at the parts it
 * uses, and names who hears net's reports. Before anything is opened. */
void daemon_wire(struct daemon *d);
/* Makes the ZeroMQ context and opens every part's sockets; on failure
 * (logged) daemon_close() undoes what was done. */
int daemon_open(struct daemon *d) SAMEN_MUST_CHECK;
void daemon_close(struct daemon *d);

#endif
