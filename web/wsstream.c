/* SPDX-License-Identifier: EUPL-1.2 */
#include "wsstream.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "reply.h"
#include "since.h"
#include "stream.h"
#include "wsframe.h"

#define WS_TICK_MS 250   /* how long the ring is waited on before the client is read */
#define WS_WRITE_SECONDS (3 * WEB_KEEPALIVE_SECONDS) /* as MHD's connection timeout */
#define WS_LINGER_MS 1000 /* for the client's close after ours */

struct ws {
	struct web *w;
	struct stream *s;
	struct MHD_UpgradeResponseHandle *urh;
	int fd;
	bool peer_closed, sent_close; /* after a close, nothing more is sent (5.5.1) */
	uint8_t in[WSFRAME_HEADER_MAX + WSFRAME_MAX]; /* a frame never outgrows it */
	size_t in_len;
	struct wsframe_in f;
};

/* ---- writing ---- */

/* Writes all of iov, waiting for the socket at most WS_WRITE_SECONDS in
 * all: a client that does not read costs one frame, then its connection. */
static int send_all(struct ws *ws, struct iovec *iov, int n)
{
	time_t until = time(NULL) + WS_WRITE_SECONDS;
	while (n > 0) {
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t k = sendmsg(ws->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (k < 0) {
			struct pollfd p = {.fd = ws->fd, .events = POLLOUT};
			if (atomic_load(&ws->w->stopping) || time(NULL) >= until)
				return -ETIMEDOUT;
			poll(&p, 1, 1000);
			continue;
		}
		while (n > 0 && (size_t)k >= iov->iov_len)
			k -= (ssize_t)iov->iov_len, iov++, n--;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

static int send_frame(struct ws *ws, enum wsframe_op op, const void *p, size_t len)
{
	uint8_t h[WSFRAME_HEADER_MAX];
	if (ws->sent_close)
		return 0;
	struct iovec iov[2] = {{h, wsframe_header(h, op, len)}, {(void *)p, len}};
	return send_all(ws, iov, len ? 2 : 1);
}

static int send_close(struct ws *ws, uint16_t code, const char *reason)
{
	uint8_t out[2 + WSFRAME_CONTROL_MAX];
	int n = wsframe_control(out, sizeof(out), WSFRAME_CLOSE, code, reason, strlen(reason));
	if (n < 0 || ws->sent_close)
		return n < 0 ? n : 0;
	ws->sent_close = true;
	struct iovec iov = {out, (size_t)n};
	return send_all(ws, &iov, 1);
}

/* ---- reading ---- */

/* Acts on one frame of the client's: 1 once it closed. */
static int take(struct ws *ws)
{
	struct wsframe_in *f = &ws->f;
	if (f->op == WSFRAME_PING)
		return send_frame(ws, WSFRAME_PONG, f->payload, f->len);
	if (f->op != WSFRAME_CLOSE)
		return 0; /* text and pongs: nothing is asked of a subscriber */
	ws->peer_closed = true;
	if (ws->sent_close)
		return 1; /* the answer to ours */
	/* echo its code (RFC 6455 5.5.1); a close without one gets none */
	uint8_t out[4];
	int n = wsframe_control(out, sizeof(out), WSFRAME_CLOSE, f->code, NULL, 0);
	struct iovec iov = {out, (size_t)n};
	ws->sent_close = true;
	send_all(ws, &iov, 1);
	return 1;
}

/* The frames in ws->in: 0, 1 once the client closed, < 0 once it broke the
 * protocol (the close with its code is sent). */
static int frames(struct ws *ws)
{
	for (;;) {
		long n = wsframe_decode(ws->in, ws->in_len, &ws->f);
		if (n == 0)
			return 0;
		if (n < 0) {
			send_close(ws, wsframe_close_code((int)n), "");
			return (int)n;
		}
		memmove(ws->in, ws->in + n, ws->in_len - (size_t)n);
		ws->in_len -= (size_t)n;
		int r = take(ws);
		if (r != 0)
			return r;
	}
}

/* Reads what the client has sent, waiting up to wait_ms: as frames(), or
 * -EPIPE when the connection is gone. */
static int read_client(struct ws *ws, int wait_ms)
{
	struct pollfd p = {.fd = ws->fd, .events = POLLIN};
	if (wait_ms > 0 && poll(&p, 1, wait_ms) <= 0)
		return 0;
	for (;;) {
		int r = frames(ws);
		if (r != 0)
			return r;
		ssize_t k = recv(ws->fd, ws->in + ws->in_len, sizeof(ws->in) - ws->in_len, MSG_DONTWAIT);
		if (k == 0)
			return -EPIPE;
		if (k < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -EPIPE;
		ws->in_len += (size_t)k;
	}
}

/* ---- the stream ---- */

static uint16_t end_code(int r, const char **why)
{
	switch (r) {
	case -ENODATA:
		*why = "caught up";
		return WSFRAME_NORMAL;
	case -ECANCELED:
		*why = "samen-web stops";
		return WSFRAME_GOING_AWAY;
	case -ESPIPE:
		*why = "fell behind: come back with since=";
		return WSFRAME_GOING_AWAY;
	default:
		*why = "out of memory";
		return WSFRAME_INTERNAL;
	}
}

/* Until the stream ends, its client closes or the connection breaks. */
static void follow(struct ws *ws)
{
	int r = read_client(ws, 0);
	while (r == 0) {
		char *out = NULL;
		size_t len = 0;
		r = stream_next(ws->s, WS_TICK_MS, &out, &len);
		if (r == 1) {
			r = send_frame(ws, WSFRAME_TEXT, out, len);
			free(out);
			if (r < 0)
				return;
		} else if (r < 0) {
			const char *why;
			uint16_t code = end_code(r, &why);
			if (send_close(ws, code, why) == 0)
				for (int i = 0; i < 4 && !ws->peer_closed && read_client(ws, WS_LINGER_MS / 4) >= 0;)
					i++; /* its close ends the handshake (RFC 6455 7.1.1) */
			return;
		}
		r = read_client(ws, 0);
	}
}

/* Hands the socket back and forgets the stream; wsstream_drain() counts it. */
static void done(struct ws *ws)
{
	struct web *w = ws->w;
	MHD_upgrade_action(ws->urh, MHD_UPGRADE_ACTION_CLOSE);
	stream_free(ws->s);
	free(ws);
	pthread_mutex_lock(&w->mu);
	w->ws_live--;
	pthread_cond_broadcast(&w->ws_cv);
	pthread_mutex_unlock(&w->mu);
}

static void *run(void *arg)
{
	follow(arg);
	done(arg);
	return NULL;
}

/* libmicrohttpd's upgrade handler: the 101 is out; the stream gets a thread. */
static void upgraded(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra,
		     size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct web *w = cls;
	struct ws *ws = calloc(1, sizeof(*ws));
	bool polls;
	uint64_t after;
	pthread_t t;
	pthread_attr_t a;
	(void)con_cls;

	/* since= was checked before the upgrade; read again here, so that a
	 * response whose upgrade never happens holds nothing of its own */
	if (!ws || extra_len > sizeof(ws->in) ||
	    since_request(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since"),
			  MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "poll"),
			  (uint64_t)time(NULL), w->ring, &polls, &after) < 0 ||
	    !(ws->s = stream_new(w, STREAM_NTFY_WS, after, polls))) {
		free(ws);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		return;
	}
	ws->w = w;
	ws->fd = sock;
	ws->urh = urh;
	memcpy(ws->in, extra, extra_len); /* MHD's buffer is not ours after this */
	ws->in_len = extra_len;
	/* counted under the lock wsstream_drain() waits with, so that a
	 * handshake that ends while samen-web stops is not left running */
	pthread_mutex_lock(&w->mu);
	bool stopping = atomic_load(&w->stopping);
	if (!stopping)
		w->ws_live++;
	pthread_mutex_unlock(&w->mu);
	if (stopping) {
		stream_free(ws->s);
		free(ws);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		return;
	}
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, run, ws) != 0)
		done(ws);
	pthread_attr_destroy(&a);
}

/* ---- the handshake (RFC 6455 4.2.1) ---- */

static bool has_token(const char *list, const char *token)
{
	size_t n = strlen(token);
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, ",");
		size_t end = len;
		while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		if (end == n && !strncasecmp(p, token, n))
			return true;
		p += len;
	}
	return false;
}

static struct MHD_Response *refusal(unsigned status, const char *text)
{
	struct MHD_Response *r = reply_refusal(status, "invalid", text);
	if (r && status == MHD_HTTP_UPGRADE_REQUIRED)
		MHD_add_response_header(r, "Sec-WebSocket-Version", "13");
	return r;
}

struct MHD_Response *wsstream_response(struct web *w, struct MHD_Connection *c, unsigned *status)
{
	const char *up = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Upgrade");
	const char *conn = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Connection");
	const char *ver = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Version");
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Key");
	char accept[WSFRAME_ACCEPT_LEN + 1];

	*status = MHD_HTTP_BAD_REQUEST;
	if (!has_token(up, "websocket") || !has_token(conn, "upgrade"))
		return refusal(*status, "a WebSocket stream needs Upgrade: websocket");
	if (!ver || strcmp(ver, "13") != 0) {
		*status = MHD_HTTP_UPGRADE_REQUIRED;
		return refusal(*status, "WebSocket version 13 only");
	}
	if (wsframe_accept(key, accept) < 0)
		return refusal(*status, "Sec-WebSocket-Key is not 16 bytes in base64");
	struct MHD_Response *r = MHD_create_response_for_upgrade(upgraded, w);
	if (!r)
		return NULL;
	MHD_add_response_header(r, "Upgrade", "websocket");
	MHD_add_response_header(r, "Connection", "Upgrade");
	MHD_add_response_header(r, "Sec-WebSocket-Accept", accept);
	*status = MHD_HTTP_SWITCHING_PROTOCOLS;
	return r;
}

void wsstream_drain(struct web *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->ws_live > 0)
		pthread_cond_wait(&w->ws_cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}
