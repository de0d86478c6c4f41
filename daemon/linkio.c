/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * linkio.c — what goes over one link: a message handed to libzmq or kept in
 * the link's bounded backlog (linkq.h) while libzmq's queue for it is full,
 * the backlog pumped out as the peer reads, inbound links made (within a
 * key's cap) and closed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "net.h"
#include "log.h"

struct link *net_link_alloc(struct net *net)
{
	for (size_t i = 0; i < net->n_links; i++)
		if (!net->links[i].used)
			return &net->links[i];
	if (net->n_links == LINKS_MAX)
		return NULL;
	return &net->links[net->n_links++];
}

size_t net_link_slots(const struct net *net)
{
	return net->n_links;
}

struct link *net_link(struct net *net, size_t i)
{
	return &net->links[i];
}

const struct net_counters *net_counters(const struct net *net)
{
	return &net->counters;
}

int net_link_index(const struct net *net, const struct link *l)
{
	return (int)(l - net->links);
}

void net_close_link(struct net *net, struct link *l)
{
	if (!l->used)
		return;
	if (l->sock)
		zmq_close(l->sock);
	if (l->mon)
		zmq_close(l->mon);
	linkq_free(&l->backlog);
	if (net->on_link_closed)
		net->on_link_closed(net->link_ctx, l);
	memset(l, 0, sizeof(*l));
}

struct link *net_link_by_rid(struct net *net, const uint8_t *rid, size_t len)
{
	for (size_t i = 0; i < net->n_links; i++) {
		struct link *l = &net->links[i];
		if (l->used && l->dir == DIR_IN && l->rid_len == len && memcmp(l->rid, rid, len) == 0)
			return l;
	}
	return NULL;
}

size_t net_links_up(const struct net *net)
{
	size_t n = 0;
	for (size_t i = 0; i < net->n_links; i++)
		n += net->links[i].used && net->links[i].up;
	return n;
}

/* One message straight to libzmq: 0, -EAGAIN while its queue for l is at
 * the high-water mark, or another negative code. An outbound link without a
 * socket of its own exists only in the unit tests (mesh.c makes none without
 * one): it is a peer that has not read yet, so what it is sent stays in its
 * backlog, where the test reads it (tests/unit/test_gossip.c). */
static int send_now(struct net *net, struct link *l, const void *buf, size_t len)
{
	int r;
	if (l->dir == DIR_OUT && !l->sock)
		return -EAGAIN;
	if (l->dir == DIR_OUT) {
		r = zmq_send(l->sock, buf, len, ZMQ_DONTWAIT);
	} else {
		if (!net->mesh)
			return -ENOTCONN;
		r = zmq_send(net->mesh, l->rid, l->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
		if (r >= 0)
			r = zmq_send(net->mesh, buf, len, ZMQ_DONTWAIT);
		if (r < 0 && errno == EHOSTUNREACH) {
			/* the neighbour went away: its DEALER will come back */
			net_close_link(net, l);
			return -ENOTCONN;
		}
	}
	return r < 0 ? -errno : 0;
}

int net_send(struct net *net, struct link *l, const void *buf, size_t len)
{
	int r = linkq_empty(&l->backlog) ? send_now(net, l, buf, len) : -EAGAIN;
	if (r == -EAGAIN && l->used)
		r = linkq_push(&l->backlog, buf, len);
	return r;
}

bool net_pump(struct net *net)
{
	bool waiting = false;
	for (size_t i = 0; i < net->n_links; i++) {
		struct link *l = &net->links[i];
		const uint8_t *msg;
		size_t len;
		while (l->used && (len = linkq_peek(&l->backlog, &msg)) > 0) {
			int r = send_now(net, l, msg, len);
			if (r == -EAGAIN)
				break;
			if (l->used)
				linkq_pop(&l->backlog);
		}
		waiting |= l->used && !linkq_empty(&l->backlog);
	}
	return waiting;
}

struct link *net_accept_inbound(struct net *net, const uint8_t key[32], const uint8_t *rid,
				size_t rid_len)
{
	size_t have = 0;
	for (size_t i = 0; i < net->n_links; i++)
		have += net->links[i].used && net->links[i].dir == DIR_IN &&
			memcmp(net->links[i].key, key, 32) == 0;
	/* ZAP admits at most ADMIT_LINKS_PER_KEY at a time, but a connection
	 * admitted long ago may speak only now */
	if (have >= ADMIT_LINKS_PER_KEY || rid_len > RID_MAX) {
		net->counters.bounds[BOUND_LINKS_PER_KEY]++;
		return NULL;
	}
	struct link *l = net_link_alloc(net);
	if (!l)
		return NULL;
	uint64_t now = daemon_now_ms();
	admit_pending_take(&net->admit, key, now);
	memset(l, 0, sizeof(*l));
	l->used = true;
	l->dir = DIR_IN;
	memcpy(l->key, key, 32);
	memcpy(l->rid, rid, rid_len);
	l->rid_len = rid_len;
	l->created_ms = now;
	snprintf(l->endpoint, sizeof(l->endpoint), "inbound");
	return l;
}

const char *net_bound_name(enum bound b)
{
	static const char *const names[BOUND_COUNT] = {
		[BOUND_PUSH_DROPPED] = "push-dropped",     [BOUND_REPLY_DEFERRED] = "reply-deferred",
		[BOUND_VV_DEFERRED] = "vv-deferred",       [BOUND_GRAFT_REFUSED] = "graft-refused",
		[BOUND_IHAVE_REFUSED] = "ihave-refused",   [BOUND_JOIN_REFUSED] = "join-refused",
		[BOUND_LINKS_PER_KEY] = "links-per-key-refused",
	};
	return b < BOUND_COUNT ? names[b] : "?";
}

