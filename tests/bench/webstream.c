/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * webstream.c — the web part's clients: HTTP/1.1 over plain sockets as a
 * phone speaks it, and many of samen-web's streams (the page's SSE, ntfy's
 * JSON lines, both chunked) read in one poll loop with household A's watch,
 * noting when each alert's event arrives on each.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- HTTP, as a phone speaks it ---- */

int web_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static bool write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t w = write(fd, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		len -= (size_t)w;
	}
	return true;
}

/* One request with `Connection: close`; the whole answer (cut at cap) into
 * out. Returns the HTTP status, or -1. */
int web_http(int port, const char *req, char *out, size_t cap)
{
	int fd = web_connect(port), status = -1;
	size_t len = 0;
	if (fd < 0)
		return -1;
	if (write_all(fd, req, strlen(req))) {
		double end = bench_now_ms() + 10000;
		struct pollfd p = {fd, POLLIN, 0};
		while (len + 1 < cap && bench_now_ms() < end && poll(&p, 1, 200) >= 0) {
			if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(fd, out + len, cap - 1 - len);
			if (r <= 0)
				break;
			len += (size_t)r;
		}
		out[len] = '\0';
		if (len > 12 && !strncmp(out, "HTTP/1.", 7))
			status = atoi(out + 9);
	}
	close(fd);
	return status;
}

/* ---- the streams ---- */

bool web_stream_open(struct web_client *c, int port, enum web_kind kind, const char *token)
{
	char req[400];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	if (kind == WEB_SSE)
		snprintf(req, sizeof(req), "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			 "Accept: text/event-stream\r\nCookie: samen=%s\r\n\r\n", port, token);
	else
		snprintf(req, sizeof(req), "GET /samen/json HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			 "Authorization: Bearer %s\r\n\r\n", port, token);
	c->fd = web_connect(port);
	if (c->fd < 0 || !write_all(c->fd, req, strlen(req))) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1; /* poll leaves a negative fd alone */
		c->st = WS_GONE;
		return false;
	}
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	return true;
}

static void arrived(struct web_run *r, int client, double t, const char *id)
{
	if (r->n_arr == r->cap_arr) {
		size_t cap = r->cap_arr ? r->cap_arr * 2 : 1024;
		struct web_arrival *a = realloc(r->arr, cap * sizeof(*a));
		if (!a)
			return;
		r->arr = a;
		r->cap_arr = cap;
	}
	struct web_arrival *a = &r->arr[r->n_arr++];
	a->client = client;
	a->t = t;
	snprintf(a->id, sizeof(a->id), "%.*s", WEB_ID_LEN, id);
}

/* One line of the body: an SSE field or blank line, or one ntfy message. */
static void stream_line(struct web_run *r, int i, double t)
{
	struct web_client *c = &r->c[i];
	const char *l = c->line, *p;
	if (c->kind == WEB_SSE) {
		if (!l[0] && c->ev_id[0])
			arrived(r, i, t, c->ev_id); /* the event is dispatched at its blank line */
		if (!l[0])
			c->ev_id[0] = '\0';
		else if (!strncmp(l, "id: ", 4))
			snprintf(c->ev_id, sizeof(c->ev_id), "%.*s", WEB_ID_LEN, l + 4);
		else if (!strncmp(l, "retry:", 6))
			c->ready = true;
		return;
	}
	if (strstr(l, "\"event\":\"open\""))
		c->ready = true;
	else if (strstr(l, "\"event\":\"message\"") && (p = strstr(l, "\"id\":\"")))
		arrived(r, i, t, p + 6);
}

static void body_bytes(struct web_run *r, int i, const char *s, size_t len, double t)
{
	struct web_client *c = &r->c[i];
	for (size_t k = 0; k < len; k++) {
		if (s[k] == '\n') {
			if (c->line_len && c->line[c->line_len - 1] == '\r')
				c->line_len--;
			c->line[c->line_len < WEB_LINE_KEEP ? c->line_len : WEB_LINE_KEEP - 1] = '\0';
			stream_line(r, i, t);
			c->line_len = 0;
		} else if (c->line_len < WEB_LINE_KEEP - 1) {
			c->line[c->line_len++] = s[k];
		}
	}
}

/* Takes what it can from c->raw: the head, then chunks (MHD sends a
 * stream of unknown length chunked) or a plain body. false: stop reading. */
static bool parse(struct web_run *r, int i, double t)
{
	struct web_client *c = &r->c[i];
	char *b = c->raw, *e;
	size_t used = 0;
	for (;;) {
		size_t left = c->raw_len - used;
		char *p = b + used;
		if (c->st == WS_HEAD) {
			b[c->raw_len] = '\0'; /* raw keeps one byte spare for this */
			if (!(e = memmem(p, left, "\r\n\r\n", 4)))
				break;
			*e = '\0';
			if (strncmp(p, "HTTP/1.1 200", 12))
				return false;
			c->chunked = strcasestr(p, "\r\nTransfer-Encoding: chunked") != NULL;
			c->st = c->chunked ? WS_CHUNK_SIZE : WS_BODY;
			used += (size_t)(e - p) + 4;
		} else if (c->st == WS_CHUNK_SIZE) {
			if (!(e = memmem(p, left, "\r\n", 2)))
				break;
			c->chunk_left = strtoul(p, NULL, 16);
			if (!c->chunk_left)
				return false; /* the stream ended */
			c->st = WS_CHUNK_DATA;
			used += (size_t)(e - p) + 2;
		} else if (c->st == WS_CHUNK_DATA || c->st == WS_BODY) {
			size_t n = c->st == WS_BODY || left < c->chunk_left ? left : c->chunk_left;
			if (!n)
				break;
			body_bytes(r, i, p, n, t);
			used += n;
			if (c->st == WS_CHUNK_DATA && !(c->chunk_left -= n))
				c->st = WS_CHUNK_END;
		} else {
			if (left < 2)
				break;
			used += 2;
			c->st = WS_CHUNK_SIZE;
		}
	}
	memmove(b, b + used, c->raw_len - used);
	c->raw_len -= used;
	return c->raw_len < sizeof(c->raw) - 1; /* a head that does not fit is refused */
}

void web_stream_close(struct web_run *r, int i)
{
	if (r->c[i].fd >= 0)
		close(r->c[i].fd);
	r->c[i].fd = -1;
	r->c[i].st = WS_GONE;
	r->items[i].fd = -1;
	r->items[i].events = 0;
}

static void stream_read(struct web_run *r, int i)
{
	struct web_client *c = &r->c[i];
	for (;;) {
		ssize_t got = read(c->fd, c->raw + c->raw_len, sizeof(c->raw) - 1 - c->raw_len);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (got > 0)
			c->raw_len += (size_t)got;
		if (got <= 0 || !parse(r, i, bench_now_ms())) {
			web_stream_close(r, i);
			return;
		}
	}
}

/* Reads the streams and A's watch for up to ms; true as soon as the send
 * slot (when set) is readable. */
bool web_pump(struct web_run *r, double ms)
{
	double end = bench_now_ms() + ms;
	int count = r->n + 1 + (r->items[r->n + 1].socket ? 1 : 0);
	for (;;) {
		double left = end - bench_now_ms();
		int rc = zmq_poll(r->items, count, left > 0 ? (long)ceil(left) : 0);
		if (rc > 0) {
			for (int i = 0; i < r->n; i++)
				if (r->items[i].revents & ZMQ_POLLIN)
					stream_read(r, i);
			if (r->items[r->n].revents & ZMQ_POLLIN)
				watches_drain(&r->w, 0);
			if (count > r->n + 1 && (r->items[r->n + 1].revents & ZMQ_POLLIN))
				return true;
		}
		if (bench_now_ms() >= end)
			return false;
	}
}

int web_streams_ready(const struct web_run *r)
{
	int k = 0;
	for (int i = 0; i < r->n; i++)
		k += r->c[i].ready && r->c[i].st != WS_GONE;
	return k;
}
