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

#include "daemon.h"
#include "log.h"

struct link *net_link_alloc(struct daemon *d)
{
	for (size_t i = 0; i < d->n_links; i++)
		if (!d->links[i].used)
			return &d->links[i];
	if (d->n_links == LINKS_MAX)
		return NULL;
	return &d->links[d->n_links++];
}

int net_link_index(const struct daemon *d, const struct link *l)
{
	return (int)(l - d->links);
}

void net_close_link(struct daemon *d, struct link *l)
{
	if (!l->used)
		return;
	if (l->sock)
		zmq_close(l->sock);
	if (l->mon)
		zmq_close(l->mon);
	linkq_free(&l->backlog);
	if (d->on_link_closed)
		d->on_link_closed(d, l);
	memset(l, 0, sizeof(*l));
}

struct link *net_link_by_rid(struct daemon *d, const uint8_t *rid, size_t len)
{
	for (size_t i = 0; i < d->n_links; i++) {
		struct link *l = &d->links[i];
		if (l->used && l->dir == DIR_IN && l->rid_len == len && memcmp(l->rid, rid, len) == 0)
			return l;
	}
	return NULL;
}

size_t net_links_up(const struct daemon *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_links; i++)
		n += d->links[i].used && d->links[i].up;
	return n;
}

/* One message straight to libzmq: 0, -EAGAIN while its queue for l is at
 * the high-water mark, or another negative code. An outbound link without a
 * socket of its own exists only in the unit tests (net.c makes none without
 * one): it is a peer that has not read yet, so what it is sent stays in its
 * backlog, where the test reads it (tests/unit/test_gossip.c). */
static int send_now(struct daemon *d, struct link *l, const void *buf, size_t len)
{
	int r;
	if (l->dir == DIR_OUT && !l->sock)
		return -EAGAIN;
	if (l->dir == DIR_OUT) {
		r = zmq_send(l->sock, buf, len, ZMQ_DONTWAIT);
	} else {
		if (!d->mesh)
			return -ENOTCONN;
		r = zmq_send(d->mesh, l->rid, l->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
		if (r >= 0)
			r = zmq_send(d->mesh, buf, len, ZMQ_DONTWAIT);
		if (r < 0 && errno == EHOSTUNREACH) {
			/* the neighbour went away: its DEALER will come back */
			net_close_link(d, l);
			return -ENOTCONN;
		}
	}
	return r < 0 ? -errno : 0;
}

int net_send(struct daemon *d, struct link *l, const void *buf, size_t len)
{
	int r = linkq_empty(&l->backlog) ? send_now(d, l, buf, len) : -EAGAIN;
	if (r == -EAGAIN && l->used)
		r = linkq_push(&l->backlog, buf, len);
	return r;
}

bool net_pump(struct daemon *d)
{
	bool waiting = false;
	for (size_t i = 0; i < d->n_links; i++) {
		struct link *l = &d->links[i];
		const uint8_t *msg;
		size_t len;
		while (l->used && (len = linkq_peek(&l->backlog, &msg)) > 0) {
			int r = send_now(d, l, msg, len);
			if (r == -EAGAIN)
				break;
			if (l->used)
				linkq_pop(&l->backlog);
		}
		waiting |= l->used && !linkq_empty(&l->backlog);
	}
	return waiting;
}

struct link *net_accept_inbound(struct daemon *d, const uint8_t key[32], const uint8_t *rid,
				size_t rid_len)
{
	size_t have = 0;
	for (size_t i = 0; i < d->n_links; i++)
		have += d->links[i].used && d->links[i].dir == DIR_IN &&
			memcmp(d->links[i].key, key, 32) == 0;
	/* ZAP admits at most ADMIT_LINKS_PER_KEY at a time, but a connection
	 * admitted long ago may speak only now */
	if (have >= ADMIT_LINKS_PER_KEY || rid_len > RID_MAX) {
		d->counters_bounds[BOUND_LINKS_PER_KEY]++;
		return NULL;
	}
	struct link *l = net_link_alloc(d);
	if (!l)
		return NULL;
	uint64_t now = daemon_now_ms();
	admit_pending_take(&d->admit, key, now);
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

