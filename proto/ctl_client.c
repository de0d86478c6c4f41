/* SPDX-License-Identifier: EUPL-1.2 */
#include "ctl_client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct ctl {
	void *ctx;
	void *sock;
	void *mon; /* PAIR receiving the DEALER's disconnect events */
};

static int set_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v)) == 0 ? 0 : -errno;
}

/*
 * A socket file left behind by a samend that died refuses connections:
 * say so at once rather than after the timeout. Any other outcome (even a
 * failure to probe) is left to ZeroMQ. The probe connection is closed
 * before any byte is sent; samend's ZeroMQ just sees a peer come and go.
 */
static int probe(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	r = connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	close(fd);
	return r == -ECONNREFUSED ? r : 0;
}

/* The socket file must exist, be a socket, and be ours to connect to:
 * ZeroMQ would otherwise retry in silence until the timeout. */
static int check_path(const char *path)
{
	struct stat st;

	if (strlen(path) > CTL_IPC_PATH_MAX)
		return -ENAMETOOLONG;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	if (access(path, R_OK | W_OK) < 0)
		return -errno;
	return probe(path);
}

int ctl_open(struct ctl **c_p, const char *path, int timeout_ms)
{
	char endpoint[sizeof("ipc://") + CTL_IPC_PATH_MAX];
	char mon_ep[64];
	struct ctl *c;
	int ret;
	int64_t maxmsg = CTL_MSG_MAX;

	*c_p = NULL;
	if ((ret = check_path(path)) < 0)
		return ret;
	if (snprintf(endpoint, sizeof(endpoint), "ipc://%s", path) >= (int)sizeof(endpoint))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ctx = zmq_ctx_new();
	if (!c->ctx) {
		ret = -errno;
		goto out;
	}
	c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
	if (!c->sock) {
		ret = -errno;
		goto out;
	}
	/* LINGER 0: never hang at exit; IMMEDIATE: a send with no live
	 * connection times out instead of queueing for a daemon that is not
	 * there; MAXMSGSIZE: a bounded reply, whatever the other end says. */
	if ((ret = set_int(c->sock, ZMQ_LINGER, 0)) < 0 ||
	    (ret = set_int(c->sock, ZMQ_IMMEDIATE, 1)) < 0 ||
	    (ret = set_int(c->sock, ZMQ_SNDTIMEO, timeout_ms)) < 0 ||
	    (ret = set_int(c->sock, ZMQ_RCVTIMEO, timeout_ms)) < 0)
		goto out;
	if (zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0) {
		ret = -errno;
		goto out;
	}
	/* Watch for the daemon going away, so that neither a reply that will
	 * never come nor an endless watch hangs until a timeout. */
	if (snprintf(mon_ep, sizeof(mon_ep), "inproc://samen-ctl-monitor-%p", (void *)c) >=
	    (int)sizeof(mon_ep)) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	if (zmq_socket_monitor(c->sock, mon_ep, ZMQ_EVENT_DISCONNECTED) < 0) {
		ret = -errno;
		goto out;
	}
	c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
	if (!c->mon || set_int(c->mon, ZMQ_LINGER, 0) < 0 || zmq_connect(c->mon, mon_ep) < 0 ||
	    zmq_connect(c->sock, endpoint) < 0) {
		ret = -errno;
		goto out;
	}
	*c_p = c;
	return 0;
out:
	ctl_close(&c);
	return ret;
}

int ctl_send(struct ctl *c, const void *buf, size_t len)
{
	if (zmq_send(c->sock, buf, len, 0) >= 0)
		return 0;
	return errno == EAGAIN ? -ENOTCONN : -errno;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads one monitor event; returns true if it says the link went down. */
static bool monitor_disconnected(void *mon)
{
	zmq_msg_t part;
	bool down = false;
	uint16_t event;
	int more;
	size_t more_len = sizeof(more);

	/* two frames: u16 event + u32 value, then the endpoint */
	do {
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, mon, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&part);
			return down;
		}
		if (zmq_msg_size(&part) == 6) {
			memcpy(&event, zmq_msg_data(&part), sizeof(event));
			down = down || event == ZMQ_EVENT_DISCONNECTED;
		}
		zmq_msg_close(&part);
		if (zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &more_len) < 0)
			more = 0;
	} while (more);
	return down;
}

/* Takes the frame waiting on the socket; a multi-part message is drained
 * and refused. */
static int take_frame(void *sock, zmq_msg_t *msg)
{
	int more = 0;
	size_t more_len = sizeof(more);
	int ret = 0;

	if (zmq_msg_recv(msg, sock, ZMQ_DONTWAIT) < 0)
		return -errno;
	while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &more_len) == 0 && more) {
		zmq_msg_t extra;
		zmq_msg_init(&extra);
		if (zmq_msg_recv(&extra, sock, ZMQ_DONTWAIT) < 0)
			more = 0;
		zmq_msg_close(&extra);
		ret = -EPROTO;
	}
	return ret;
}

int ctl_recv(struct ctl *c, int timeout_ms, zmq_msg_t *msg)
{
	int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;

	for (;;) {
		zmq_pollitem_t items[2] = {
			{.socket = c->sock, .events = ZMQ_POLLIN},
			{.socket = c->mon, .events = ZMQ_POLLIN},
		};
		long wait = -1;
		if (timeout_ms >= 0) {
			int64_t left = deadline - now_ms();
			wait = left > 0 ? (long)left : 0;
		}
		int n = zmq_poll(items, 2, wait);
		if (n < 0)
			return -errno;
		/* a reply that arrived just before the daemon left still counts */
		if (items[0].revents & ZMQ_POLLIN) {
			int r = take_frame(c->sock, msg);
			if (r != -EAGAIN)
				return r;
		}
		if ((items[1].revents & ZMQ_POLLIN) && monitor_disconnected(c->mon))
			return -ECONNRESET;
		if (n == 0 && timeout_ms >= 0)
			return -ETIMEDOUT;
	}
}

void ctl_close(struct ctl **c_p)
{
	struct ctl *c = *c_p;

	if (!c)
		return;
	if (c->sock) {
		zmq_socket_monitor(c->sock, NULL, 0);
		zmq_close(c->sock);
	}
	if (c->mon)
		zmq_close(c->mon);
	if (c->ctx)
		zmq_ctx_term(c->ctx);
	free(c);
	*c_p = NULL;
}
