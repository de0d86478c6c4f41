/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * router.c — see router.h.
 */
#include "router.h"

#include <stdbool.h>

static bool more_frames(void *sock)
{
	int more = 0;
	size_t sz = sizeof(more);
	return zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more;
}

static void drop_rest(void *sock)
{
	while (more_frames(sock)) {
		zmq_msg_t junk;
		zmq_msg_init(&junk);
		zmq_msg_recv(&junk, sock, ZMQ_DONTWAIT);
		zmq_msg_close(&junk);
	}
}

int router_recv(void *sock, zmq_msg_t *rid, zmq_msg_t *body)
{
	zmq_msg_init(rid);
	zmq_msg_init(body);
	if (!sock || zmq_msg_recv(rid, sock, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(rid);
		zmq_msg_close(body);
		return 0;
	}
	bool ok = more_frames(sock) && zmq_msg_recv(body, sock, ZMQ_DONTWAIT) >= 0 &&
		  zmq_msg_size(rid) <= RID_MAX;
	drop_rest(sock);
	if (!ok) {
		zmq_msg_close(rid);
		zmq_msg_close(body);
		return -1;
	}
	return 1;
}
