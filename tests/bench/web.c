/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * web.c — samen-web under load: a small neighbourhood, one samen-web next
 * to household A, and many paired clients holding its streams open (half
 * the page's Server-Sent Events, half ntfy's JSON stream), each a real TCP
 * connection with a real device token, all read by this one process.
 *
 * Latency is from `send` returning at household B to the alert's event on
 * each stream, beside the same alert on A's own `watch` stream (the
 * baseline, read by this process too, with the same clock). Memory is
 * samen-web's with no stream open and with all of them open.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../web/devices.h" /* DEVICES_MAX */
#include "../../web/web.h"     /* WEB_PAIR_PER_MINUTE */

#define HOUSEHOLDS 3
#define WEB_ID_LEN 16 /* samen-web's event ids: the record id's first 16 hex digits */
#define LINE_KEEP 512 /* of each stream line: the id and event come first */

enum kind { SSE, NTFY };
enum state { HEAD, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, BODY, GONE };

struct client {
	int fd;
	enum kind kind;
	enum state st;
	bool chunked, ready;  /* ready: the stream's first line (retry:, or ntfy's open) */
	size_t chunk_left;
	char raw[8192];
	size_t raw_len;
	char line[LINE_KEEP];
	size_t line_len;
	char ev_id[WEB_ID_LEN + 1]; /* SSE: the id: of the event being read */
};

struct arrival {
	int client;
	double t;
	char id[WEB_ID_LEN + 1];
};

struct run {
	int port;
	struct client *c;
	int n;
	struct watches w;     /* household A's own watch: the baseline */
	zmq_pollitem_t *items; /* n streams, A's watch, a `send` */
	struct arrival *arr;
	size_t n_arr, cap_arr;
};

/* ---- HTTP, as a phone speaks it ---- */

static int tcp_connect(int port)
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
static int http_once(int port, const char *req, char *out, size_t cap)
{
	int fd = tcp_connect(port), status = -1;
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

/* A one-time pairing path (/pair/CODE) from `samen-web pair`, as the
 * household's computer makes one. */
static bool pair_code(const struct hnode *a, int port, char *path, size_t cap)
{
	char log[700], url[64], buf[4096];
	snprintf(log, sizeof(log), "%s/web-pair.log", bench_dir());
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	unlink(log);
	char *argv[] = {(char *)bench_bin("samen-web"), "pair", "--state", (char *)a->dir, "--url",
			url, NULL};
	pid_t pid = bench_spawn(argv, log);
	if (pid <= 0 || bench_wait(&pid, 10000) != 0)
		return false;
	FILE *f = fopen(log, "r");
	size_t got = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[got] = '\0';
	const char *p = strstr(buf, "/pair/");
	if (!p)
		return false;
	snprintf(path, cap, "%.*s", (int)strcspn(p, "\r\n"), p);
	return true;
}

/* POSTs the device's name to the pairing path; 200 gives the token in the
 * cookie (the page shows the same token for the ntfy app). */
static int pair_post(int port, const char *path, const char *name, char token[TOKEN_TEXT_LEN])
{
	char req[600], out[8192];
	snprintf(req, sizeof(req),
		 "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\nname=%s",
		 path, port, strlen(name) + 5, name);
	int status = http_once(port, req, out, sizeof(out));
	const char *c = strcasestr(out, "\r\nSet-Cookie: samen=");
	token[0] = '\0';
	if (status == 200 && c)
		snprintf(token, TOKEN_TEXT_LEN, "%.*s", (int)strcspn(c + 20, ";\r\n"), c + 20);
	if (status == 200 && strlen(token) != TOKEN_TEXT_LEN - 1)
		return -1; /* paired, but no token we could read */
	return status;
}

/*
 * Pairs n devices as the household would, one after the other: a code from
 * `samen-web pair`, then the phone's POST. Every request to /pair/ costs
 * one of samen-web's WEB_PAIR_PER_MINUTE (a bucket that starts full and
 * refills evenly), failed or not, so past the first bucketful each POST
 * waits its turn; a 429 all the same (someone else pairing) waits a turn
 * more and tries the same code again. Returns how many were paired.
 */
static int pair_devices(const struct hnode *a, int port, int n, char (*tokens)[TOKEN_TEXT_LEN],
			struct web_result *res)
{
	const double turn_ms = 60000.0 / WEB_PAIR_PER_MINUTE + 100;
	double t0 = bench_now_ms(), last = 0;
	int done = 0;
	for (int i = 0; i < n; i++) {
		char path[200], name[32];
		snprintf(name, sizeof(name), "bench-%02d", i);
		if (!pair_code(a, port, path, sizeof(path)))
			break;
		int status = 0;
		for (int tries = 0; tries < 5; tries++) {
			double wait = last + turn_ms - bench_now_ms();
			if (i + tries >= WEB_PAIR_PER_MINUTE && wait > 0)
				usleep((useconds_t)(wait * 1000));
			last = bench_now_ms();
			status = pair_post(port, path, name, tokens[i]);
			if (status != 429)
				break;
			res->pair_waits++;
		}
		if (status != 200) {
			bench_log("web: pairing device %d: HTTP %d", i, status);
			break;
		}
		done++;
		if (done % 10 == 0 || done == n)
			bench_log("web: %d of %d devices paired (%.0f s)", done, n,
				  (bench_now_ms() - t0) / 1000);
	}
	res->pair_s = (bench_now_ms() - t0) / 1000;
	return done;
}

/* Whether samen-web's own watch on samend is up (/api/session says "live"). */
static bool web_live(int port, const char *token, int timeout_ms)
{
	char req[300], out[4096];
	snprintf(req, sizeof(req),
		 "GET /api/session HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nCookie: samen=%s\r\n"
		 "Connection: close\r\n\r\n", port, token);
	for (double end = bench_now_ms() + timeout_ms; bench_now_ms() < end; usleep(100000))
		if (http_once(port, req, out, sizeof(out)) == 200 && strstr(out, "\"live\":true"))
			return true;
	return false;
}

/* ---- the streams ---- */

static bool stream_open(struct client *c, int port, enum kind kind, const char *token)
{
	char req[400];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	if (kind == SSE)
		snprintf(req, sizeof(req), "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			 "Accept: text/event-stream\r\nCookie: samen=%s\r\n\r\n", port, token);
	else
		snprintf(req, sizeof(req), "GET /samen/json HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			 "Authorization: Bearer %s\r\n\r\n", port, token);
	c->fd = tcp_connect(port);
	if (c->fd < 0 || !write_all(c->fd, req, strlen(req))) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1; /* poll leaves a negative fd alone */
		c->st = GONE;
		return false;
	}
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	return true;
}

static void arrived(struct run *r, int client, double t, const char *id)
{
	if (r->n_arr == r->cap_arr) {
		size_t cap = r->cap_arr ? r->cap_arr * 2 : 1024;
		struct arrival *a = realloc(r->arr, cap * sizeof(*a));
		if (!a)
			return;
		r->arr = a;
		r->cap_arr = cap;
	}
	struct arrival *a = &r->arr[r->n_arr++];
	a->client = client;
	a->t = t;
	snprintf(a->id, sizeof(a->id), "%.*s", WEB_ID_LEN, id);
}

/* One line of the body: an SSE field or blank line, or one ntfy message. */
static void stream_line(struct run *r, int i, double t)
{
	struct client *c = &r->c[i];
	const char *l = c->line, *p;
	if (c->kind == SSE) {
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

static void body_bytes(struct run *r, int i, const char *s, size_t len, double t)
{
	struct client *c = &r->c[i];
	for (size_t k = 0; k < len; k++) {
		if (s[k] == '\n') {
			if (c->line_len && c->line[c->line_len - 1] == '\r')
				c->line_len--;
			c->line[c->line_len < LINE_KEEP ? c->line_len : LINE_KEEP - 1] = '\0';
			stream_line(r, i, t);
			c->line_len = 0;
		} else if (c->line_len < LINE_KEEP - 1) {
			c->line[c->line_len++] = s[k];
		}
	}
}

/* Takes what it can from c->raw: the head, then chunks (MHD sends a
 * stream of unknown length chunked) or a plain body. false: stop reading. */
static bool parse(struct run *r, int i, double t)
{
	struct client *c = &r->c[i];
	char *b = c->raw, *e;
	size_t used = 0;
	for (;;) {
		size_t left = c->raw_len - used;
		char *p = b + used;
		if (c->st == HEAD) {
			b[c->raw_len] = '\0'; /* raw keeps one byte spare for this */
			if (!(e = memmem(p, left, "\r\n\r\n", 4)))
				break;
			*e = '\0';
			if (strncmp(p, "HTTP/1.1 200", 12))
				return false;
			c->chunked = strcasestr(p, "\r\nTransfer-Encoding: chunked") != NULL;
			c->st = c->chunked ? CHUNK_SIZE : BODY;
			used += (size_t)(e - p) + 4;
		} else if (c->st == CHUNK_SIZE) {
			if (!(e = memmem(p, left, "\r\n", 2)))
				break;
			c->chunk_left = strtoul(p, NULL, 16);
			if (!c->chunk_left)
				return false; /* the stream ended */
			c->st = CHUNK_DATA;
			used += (size_t)(e - p) + 2;
		} else if (c->st == CHUNK_DATA || c->st == BODY) {
			size_t n = c->st == BODY || left < c->chunk_left ? left : c->chunk_left;
			if (!n)
				break;
			body_bytes(r, i, p, n, t);
			used += n;
			if (c->st == CHUNK_DATA && !(c->chunk_left -= n))
				c->st = CHUNK_END;
		} else {
			if (left < 2)
				break;
			used += 2;
			c->st = CHUNK_SIZE;
		}
	}
	memmove(b, b + used, c->raw_len - used);
	c->raw_len -= used;
	return c->raw_len < sizeof(c->raw) - 1; /* a head that does not fit is refused */
}

static void stream_close(struct run *r, int i)
{
	if (r->c[i].fd >= 0)
		close(r->c[i].fd);
	r->c[i].fd = -1;
	r->c[i].st = GONE;
	r->items[i].fd = -1;
	r->items[i].events = 0;
}

static void stream_read(struct run *r, int i)
{
	struct client *c = &r->c[i];
	for (;;) {
		ssize_t got = read(c->fd, c->raw + c->raw_len, sizeof(c->raw) - 1 - c->raw_len);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (got > 0)
			c->raw_len += (size_t)got;
		if (got <= 0 || !parse(r, i, bench_now_ms())) {
			stream_close(r, i);
			return;
		}
	}
}

/* Reads the streams and A's watch for up to ms; true as soon as the send
 * slot (when set) is readable. */
static bool pump(struct run *r, double ms)
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

static int streams_ready(const struct run *r)
{
	int k = 0;
	for (int i = 0; i < r->n; i++)
		k += r->c[i].ready && r->c[i].st != GONE;
	return k;
}

/* ---- the measurement ---- */

static void memory(pid_t pid, long *rss, long *pss, size_t *threads)
{
	*rss = bench_rss_kb(pid);
	*pss = bench_pss_kb(pid);
	if (threads)
		*threads = bench_threads(pid);
}

/* How many streams, and A's watch, hold the alert with this id. */
static int holders(const struct run *r, size_t from, const char *id, bool *seen, bool *watch)
{
	int have = 0;
	memset(seen, 0, (size_t)r->n);
	for (size_t i = from; i < r->n_arr; i++)
		if (!seen[r->arr[i].client] && !strncmp(r->arr[i].id, id, WEB_ID_LEN))
			seen[r->arr[i].client] = true, have++;
	*watch = false;
	for (size_t i = 0; i < r->w.n_evs; i++)
		*watch |= !strcmp(r->w.evs[i].id, id);
	return have;
}

/* Sends the alerts from B one at a time; each waits for every open stream
 * and A's watch, or 10 s. Fills t0 and ids; returns how many were sent. */
static int send_alerts(struct run *r, struct hnode *b, int alerts, double *t0, char (*ids)[65])
{
	int sent = 0, open = streams_ready(r);
	bool *seen = calloc((size_t)r->n, sizeof(bool));
	int gap_ms = bench_env_int("BENCH_GAP_MS", 300);
	for (int k = 0; seen && k < alerts; k++) {
		void *s = bench_ctl_socket(r->w.ctx, b);
		char err[200] = "";
		bool watch = false;
		if (!s)
			continue;
		size_t from = r->n_arr;
		r->items[r->n + 1].socket = s;
		r->items[r->n + 1].events = ZMQ_POLLIN;
		bool ok = bench_send_request(s, 1000 + k) == 0 && pump(r, 15000);
		double t = bench_now_ms();
		ok = ok && bench_send_reply(s, ids[sent], err, sizeof(err));
		r->items[r->n + 1].socket = NULL;
		zmq_close(s);
		if (!ok) {
			bench_log("web: send %d failed: %s", k, err[0] ? err : "no answer");
			continue;
		}
		t0[sent] = t;
		for (double end = t + 10000; bench_now_ms() < end; pump(r, 20))
			if (holders(r, from, ids[sent], seen, &watch) >= open && watch)
				break;
		sent++;
		pump(r, gap_ms);
	}
	free(seen);
	return sent;
}

/* Every (stream, alert) pair: the first event for it counts; before `send`
 * returned counts as 0 ms, as in the mesh rows. */
static void tally(const struct run *r, int sent, const double *t0, char (*ids)[65],
		  struct web_result *res)
{
	struct lat watch = {0};
	size_t watched = 0;
	bool *seen = calloc((size_t)r->n, sizeof(bool));
	for (int k = 0; seen && k < sent; k++) {
		memset(seen, 0, (size_t)r->n);
		for (size_t i = 0; i < r->n_arr; i++) {
			const struct arrival *a = &r->arr[i];
			if (seen[a->client] || strncmp(a->id, ids[k], WEB_ID_LEN))
				continue;
			seen[a->client] = true;
			struct web_stream_result *s = r->c[a->client].kind == SSE ? &res->sse : &res->ntfy;
			double ms = a->t - t0[k];
			s->early += ms < 0;
			lat_add(&s->lat, ms < 0 ? 0 : ms);
		}
		for (size_t i = 0; i < r->w.n_evs; i++)
			if (!strcmp(r->w.evs[i].id, ids[k])) {
				double ms = r->w.evs[i].t - t0[k];
				lat_add(&watch, ms < 0 ? 0 : ms);
				watched++;
				break;
			}
	}
	free(seen);
	struct web_stream_result *both[2] = {&res->sse, &res->ntfy};
	for (int j = 0; j < 2; j++) {
		struct web_stream_result *s = both[j];
		lat_sort(&s->lat);
		s->p50 = lat_pct(&s->lat, 0.50);
		s->p99 = lat_pct(&s->lat, 0.99);
		s->max = lat_max(&s->lat);
		if (sent && s->wanted)
			s->delivered_ratio = (double)s->lat.n / ((double)sent * s->wanted);
	}
	lat_sort(&watch);
	res->watch_p50 = lat_pct(&watch, 0.50);
	res->watch_p99 = lat_pct(&watch, 0.99);
	res->watch_max = lat_max(&watch);
	res->watch_delivered = sent ? (double)watched / sent : NAN;
	lat_free(&watch);
}

static void res_init(struct web_result *res, int clients, int devices, int alerts)
{
	memset(res, 0, sizeof(*res));
	res->households = HOUSEHOLDS;
	res->alerts = alerts;
	res->devices = devices;
	res->sse.wanted = (clients + 1) / 2;
	res->ntfy.wanted = clients / 2;
	struct web_stream_result *both[2] = {&res->sse, &res->ntfy};
	for (int j = 0; j < 2; j++)
		both[j]->p50 = both[j]->p99 = both[j]->max = both[j]->delivered_ratio = NAN;
	res->watch_p50 = res->watch_p99 = res->watch_max = res->watch_delivered = NAN;
	res->rss0_kb = res->pss0_kb = res->rss_open_kb = res->pss_open_kb = -1;
	res->rss_after_kb = res->pss_after_kb = -1;
	res->pair_s = res->load1 = NAN;
}

static pid_t web_spawn(const struct hnode *a, int port)
{
	char listen[32], url[64], log[700];
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(url, sizeof(url), "http://%s", listen);
	snprintf(log, sizeof(log), "%s/samen-web.log", bench_dir());
	char *argv[] = {(char *)bench_bin("samen-web"), "--state", (char *)a->dir, "--listen", listen,
			"--url", url, "--static", (char *)bench_env_str("BENCH_WEB_STATIC", "web/static"),
			NULL};
	pid_t pid = bench_spawn(argv, log);
	for (int i = 0; pid > 0 && i < 200 && bench_alive(pid); i++) {
		int fd = tcp_connect(port);
		if (fd >= 0) {
			close(fd);
			return pid;
		}
		usleep(50000);
	}
	if (pid > 0)
		bench_stop(&pid, SIGKILL, 1000);
	return -1;
}

/* Opens the streams (SSE and ntfy taking turns, device tokens round the
 * list) and waits until each has said its first line. */
static bool streams_start(struct run *r, pid_t web, char (*tokens)[TOKEN_TEXT_LEN], int devices,
			  struct web_result *res)
{
	r->items = calloc((size_t)r->n + 2, sizeof(*r->items));
	if (!r->items)
		return false;
	for (int i = 0; i < r->n; i++) {
		stream_open(&r->c[i], r->port, i % 2 ? NTFY : SSE, tokens[i % devices]);
		r->items[i].fd = r->c[i].fd;
		r->items[i].events = r->c[i].fd >= 0 ? ZMQ_POLLIN : 0;
	}
	r->items[r->n].socket = r->w.items[0].socket;
	r->items[r->n].events = ZMQ_POLLIN;
	for (double end = bench_now_ms() + 20000; bench_now_ms() < end && streams_ready(r) < r->n;)
		pump(r, 100);
	for (int i = 0; i < r->n; i++)
		if (r->c[i].ready && r->c[i].st != GONE)
			(r->c[i].kind == SSE ? &res->sse : &res->ntfy)->open++;
	pump(r, 1000); /* every stream thread idle in its wait, as a quiet evening */
	memory(web, &res->rss_open_kb, &res->pss_open_kb, &res->threads_open);
	return streams_ready(r) > 0;
}

static void note(struct web_result *res, const char *text)
{
	size_t len = strlen(res->note);
	snprintf(res->note + len, sizeof(res->note) - len, "%s%s", len ? "; " : "", text);
}

void bench_web(int clients, int devices, int alerts, struct web_result *res)
{
	struct hnode nodes[HOUSEHOLDS];
	struct run r = {.n = clients};
	pid_t web = -1;
	char msg[300];
	/* A household holds at most DEVICES_MAX paired devices: more streams
	 * than that share the tokens, as a phone with the page and the ntfy app does */
	devices = devices < 1 ? 1 : devices > DEVICES_MAX ? DEVICES_MAX : devices;
	devices = devices > clients ? clients : devices;
	res_init(res, clients, devices, alerts);
	char(*tokens)[TOKEN_TEXT_LEN] = calloc((size_t)devices, TOKEN_TEXT_LEN);
	double *t0 = calloc((size_t)alerts + 1, sizeof(double));
	char(*ids)[65] = calloc((size_t)alerts + 1, 65);
	r.c = calloc((size_t)clients + 1, sizeof(*r.c));
	if (!tokens || !t0 || !ids || !r.c || clients < 2) {
		note(res, "needs at least 2 clients");
		goto out;
	}
	for (int i = 0; i < HOUSEHOLDS; i++) {
		snprintf(msg, sizeof(msg), "web-%d", i);
		bnode_init(&nodes[i], msg, bench_port());
	}
	bench_log("web: %d households, samen-web next to the second", HOUSEHOLDS);
	if (bench_neighbourhood(nodes, HOUSEHOLDS, NULL, msg, sizeof(msg)) < HOUSEHOLDS) {
		note(res, msg);
		goto out_nodes;
	}
	struct hnode *a = &nodes[1], *b = &nodes[2];
	r.port = bench_port();
	if ((web = web_spawn(a, r.port)) < 0) {
		note(res, "samen-web did not start (see samen-web.log in the run's directory)");
		goto out_nodes;
	}
	bench_log("web: pairing %d devices (samen-web allows %d pairing requests a minute)", devices,
		  WEB_PAIR_PER_MINUTE);
	int paired = pair_devices(a, r.port, devices, tokens, res);
	if (paired < devices) {
		snprintf(msg, sizeof(msg), "only %d of %d devices paired", paired, devices);
		note(res, msg);
	}
	res->devices = paired;
	if (!paired || !web_live(r.port, tokens[0], 10000) || !watches_open(&r.w, a, 1)) {
		note(res, "samen-web's or A's watch on samend did not come up");
		goto out_web;
	}
	sleep(1); /* the pairing connections' threads gone */
	memory(web, &res->rss0_kb, &res->pss0_kb, &res->threads0);
	bench_log("web: opening %d streams", clients);
	if (!streams_start(&r, web, tokens, paired, res)) {
		note(res, "no stream opened");
		goto out_web;
	}
	bench_log("web: %d SSE + %d ntfy streams open, samen-web %ld kB (%ld with none); %d alerts",
		  res->sse.open, res->ntfy.open, res->rss_open_kb, res->rss0_kb, alerts);
	res->load1 = bench_load1();
	int sent = send_alerts(&r, b, alerts, t0, ids);
	memory(web, &res->rss_after_kb, &res->pss_after_kb, NULL);
	res->alerts = sent;
	tally(&r, sent, t0, ids, res);
	res->ok = sent > 0 && res->sse.lat.n + res->ntfy.lat.n > 0;
	if (sent < alerts) {
		snprintf(msg, sizeof(msg), "%d of %d sends failed", alerts - sent, alerts);
		note(res, msg);
	}
	bench_log("web: SSE p50 %.1f / p99 %.1f ms (%.4f delivered), ntfy p50 %.1f / p99 %.1f ms "
		  "(%.4f), A's watch p99 %.1f ms; RSS %ld -> %ld kB",
		  res->sse.p50, res->sse.p99, res->sse.delivered_ratio, res->ntfy.p50, res->ntfy.p99,
		  res->ntfy.delivered_ratio, res->watch_p99, res->rss0_kb, res->rss_after_kb);
out_web:
	for (int i = 0; r.items && i < r.n; i++)
		stream_close(&r, i);
	watches_close(&r.w);
	if (web > 0)
		bench_stop(&web, SIGTERM, 5000);
out_nodes:
	bench_stop_nodes(nodes, HOUSEHOLDS);
out:
	free(r.items);
	free(r.arr);
	free(r.c);
	free(tokens);
	free(t0);
	free(ids);
}

/* ---- rows ---- */

static void stream_row(const struct web_result *w, const struct web_stream_result *s,
		       const char *what)
{
	char a[300], b[200], c[64], d[5][32], row[64];
	snprintf(row, sizeof(row), "web %s, %d streams", what, s->wanted);
	if (!w->ok) {
		snprintf(a, sizeof(a), "not measured: %.280s", w->note);
		bench_row(row, a, "", "", "", "n/a");
		return;
	}
	double ratio = s->p99 / w->watch_p99;
	bool met = s->delivered_ratio >= 1.0 && s->p99 <= 1000 && s->p99 <= w->watch_p99 + 50;
	snprintf(a, sizeof(a), "p50 %s / p99 %s / max %s ms from send returning, %.2f%% of %d×%d delivered",
		 bench_ms(s->p50, d[0], 32), bench_ms(s->p99, d[1], 32), bench_ms(s->max, d[2], 32),
		 100 * s->delivered_ratio, w->alerts, s->wanted);
	snprintf(b, sizeof(b), "A's own watch p50 %s / p99 %s ms (%d alerts)",
		 bench_ms(w->watch_p50, d[3], 32), bench_ms(w->watch_p99, d[4], 32), w->alerts);
	snprintf(c, sizeof(c), "%.2f", ratio);
	bench_row(row, a, b, isnan(ratio) ? "—" : c,
		  "100% delivered; p99 ≤ 1 s and ≤ watch p99 + 50 ms", met ? "yes" : "NO");
}

void bench_web_rows(const struct web_result *w)
{
	char a[300], b[300], c[64], d[6][32];
	int open = w->sse.open + w->ntfy.open;
	stream_row(w, &w->sse, "SSE /api/events");
	stream_row(w, &w->ntfy, "ntfy /samen/json");
	if (!w->ok || w->rss0_kb <= 0 || w->rss_after_kb <= 0 || !open)
		return;
	snprintf(a, sizeof(a), "VmRSS %s kB with %d streams open, %s after %d alerts (Pss %s / %s); %zu threads",
		 bench_kb((double)w->rss_open_kb, d[0], 32), open, bench_kb((double)w->rss_after_kb, d[1], 32),
		 w->alerts, bench_kb((double)w->pss_open_kb, d[2], 32),
		 bench_kb((double)w->pss_after_kb, d[3], 32), w->threads_open);
	snprintf(b, sizeof(b), "no stream open: VmRSS %s kB, Pss %s kB, %zu threads",
		 bench_kb((double)w->rss0_kb, d[4], 32), bench_kb((double)w->pss0_kb, d[5], 32),
		 w->threads0);
	snprintf(c, sizeof(c), "%.1f kB per stream", (double)(w->rss_after_kb - w->rss0_kb) / open);
	bench_row("web RSS (samen-web)", a, b, c, "", "n/a");
	snprintf(a, sizeof(a), "%d devices paired in %.0f s (%d answers 429), %d streams on their tokens",
		 w->devices, w->pair_s, w->pair_waits, open);
	snprintf(b, sizeof(b), "samen-web: %d pairing requests a minute, %d devices a household",
		 WEB_PAIR_PER_MINUTE, DEVICES_MAX);
	bench_row("web pairing", a, b, "", "", "n/a");
}

static void stream_json(FILE *f, const char *key, const struct web_stream_result *s)
{
	fprintf(f, "\"%s\": {", key);
	bench_jnum(f, "streams", s->wanted, true);
	bench_jnum(f, "open", s->open, true);
	bench_jnum(f, "p50_ms", s->p50, true);
	bench_jnum(f, "p99_ms", s->p99, true);
	bench_jnum(f, "max_ms", s->max, true);
	bench_jnum(f, "delivered_ratio", s->delivered_ratio, true);
	bench_jnum(f, "early_arrivals", s->early, false);
	fprintf(f, "}, ");
}

static double kb(long v)
{
	return v >= 0 ? (double)v : NAN;
}

void bench_web_json(FILE *f, const struct web_result *w)
{
	int open = w->sse.open + w->ntfy.open;
	fputc('{', f);
	bench_jnum(f, "households", w->households, true);
	bench_jnum(f, "alerts", w->alerts, true);
	bench_jnum(f, "devices", w->devices, true);
	bench_jnum(f, "pair_seconds", w->pair_s, true);
	bench_jnum(f, "pair_429", w->pair_waits, true);
	stream_json(f, "sse", &w->sse);
	stream_json(f, "ntfy", &w->ntfy);
	bench_jnum(f, "watch_p50_ms", w->watch_p50, true);
	bench_jnum(f, "watch_p99_ms", w->watch_p99, true);
	bench_jnum(f, "watch_max_ms", w->watch_max, true);
	bench_jnum(f, "watch_delivered_ratio", w->watch_delivered, true);
	bench_jnum(f, "sse_p99_over_watch_p99", w->sse.p99 / w->watch_p99, true);
	bench_jnum(f, "ntfy_p99_over_watch_p99", w->ntfy.p99 / w->watch_p99, true);
	bench_jstr(f, "target", "100% delivered; p99 <= 1000 ms and <= watch p99 + 50 ms", true);
	bench_jnum(f, "rss0_kb", kb(w->rss0_kb), true);
	bench_jnum(f, "pss0_kb", kb(w->pss0_kb), true);
	bench_jnum(f, "rss_open_kb", kb(w->rss_open_kb), true);
	bench_jnum(f, "pss_open_kb", kb(w->pss_open_kb), true);
	bench_jnum(f, "rss_after_alerts_kb", kb(w->rss_after_kb), true);
	bench_jnum(f, "pss_after_alerts_kb", kb(w->pss_after_kb), true);
	bench_jnum(f, "rss_per_stream_kb",
		   open && w->rss0_kb > 0 && w->rss_after_kb > 0
			   ? (double)(w->rss_after_kb - w->rss0_kb) / open : NAN, true);
	bench_jnum(f, "threads0", (double)w->threads0, true);
	bench_jnum(f, "threads_open", (double)w->threads_open, true);
	bench_jnum(f, "load1", w->load1, true);
	bench_jstr(f, "note", w->note, false);
	fputc('}', f);
}
