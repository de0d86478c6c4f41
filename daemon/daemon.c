/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * daemon.c — see daemon.h. Here, not in samend.c, so that the unit tests
 * put a daemon together the way samend does.
 */
#include "daemon.h"

#include <errno.h>
#include <string.h>

#include <zmq.h>

/* net's reports, each told to the one part that listens */
static void link_up(void *ctx, struct link *l)
{
	gossip_on_link_up(ctx, l);
}

static void link_closed(void *ctx, struct link *l)
{
	gossip_link_closed(ctx, l);
}

static void sub_refused(void *ctx, const uint8_t key[32], bool curve, const char *why)
{
	relay_refused(ctx, key, curve, why);
}

void daemon_wire(struct daemon *d)
{
	d->net.cfg = d->cfg;
	d->net.node = &d->node;
	d->net.link_ctx = &d->gossip;
	d->net.on_link_up = link_up;
	d->net.on_link_closed = link_closed;
	d->net.refused_ctx = &d->relay;
	d->net.on_sub_refused = sub_refused;

	d->gossip.cfg = d->cfg;
	d->gossip.node = &d->node;
	d->gossip.net = &d->net;
	d->gossip.tree.node = &d->node;
	d->gossip.tree.net = &d->net;
	d->gossip.vv_stale = true;

	d->join.cfg = d->cfg;
	d->join.node = &d->node;
	d->join.net = &d->net;
	d->join.gossip = &d->gossip;

	d->relay.cfg = d->cfg;
	d->relay.node = &d->node;
	d->relay.net = &d->net;

	d->control.cfg = d->cfg;
	d->control.node = &d->node;
	d->control.net = &d->net;
	d->control.gossip = &d->gossip;
	d->control.join = &d->join;
	d->control.events = &d->events;
	d->control.attend = &d->attend;
	d->control.receipts = &d->receipts;

	d->receipts.seen_on = d->cfg->receipts_seen;

	d->events.node = &d->node;

	attend_configure(&d->attend, d->cfg);
	if (d->node.id)
		memcpy(d->attend.self, d->node.id->pk, 32);
}

/* ZAP before the CURVE servers (net_open), then the sockets in the order
 * samend has always bound them: mesh, join, subscriber, control. */
int daemon_open(struct daemon *d)
{
	d->zctx = zmq_ctx_new();
	if (!d->zctx)
		return -errno;
	d->net.zctx = d->join.zctx = d->zctx;
	int ret = net_open(&d->net);
	if (ret == 0)
		ret = join_open(&d->join);
	if (ret == 0)
		ret = relay_open(&d->relay);
	if (ret == 0)
		ret = control_open(&d->control, d->zctx);
	d->events.sock = control_socket(&d->control);
	return ret;
}

/* Every socket closed before the context, which waits for them. */
void daemon_close(struct daemon *d)
{
	relay_close(&d->relay);
	control_close(&d->control);
	join_close(&d->join);
	net_close(&d->net);
	if (d->zctx)
		zmq_ctx_term(d->zctx);
	d->zctx = NULL;
}
