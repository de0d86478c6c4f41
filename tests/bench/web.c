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

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../web/devices.h" /* DEVICES_MAX */
#include "../../web/web.h"     /* WEB_PAIR_PER_MINUTE */

#define HOUSEHOLDS 3

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
	int status = web_http(port, req, out, sizeof(out));
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
		if (web_http(port, req, out, sizeof(out)) == 200 && strstr(out, "\"live\":true"))
			return true;
	return false;
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
static int holders(const struct web_run *r, size_t from, const char *id, bool *seen, bool *watch)
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
static int send_alerts(struct web_run *r, struct hnode *b, int alerts, double *t0, char (*ids)[65])
{
	int sent = 0, open = web_streams_ready(r);
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
		bool ok = bench_send_request(s, 1000 + k) == 0 && web_pump(r, 15000);
		double t = bench_now_ms();
		ok = ok && bench_send_reply(s, ids[sent], err, sizeof(err));
		r->items[r->n + 1].socket = NULL;
		zmq_close(s);
		if (!ok) {
			bench_log("web: send %d failed: %s", k, err[0] ? err : "no answer");
			continue;
		}
		t0[sent] = t;
		for (double end = t + 10000; bench_now_ms() < end; web_pump(r, 20))
			if (holders(r, from, ids[sent], seen, &watch) >= open && watch)
				break;
		sent++;
		web_pump(r, gap_ms);
	}
	free(seen);
	return sent;
}

/* Every (stream, alert) pair: the first event for it counts; before `send`
 * returned counts as 0 ms, as in the mesh rows. */
static void tally(const struct web_run *r, int sent, const double *t0, char (*ids)[65],
		  struct web_result *res)
{
	struct lat watch = {0};
	size_t watched = 0;
	bool *seen = calloc((size_t)r->n, sizeof(bool));
	for (int k = 0; seen && k < sent; k++) {
		memset(seen, 0, (size_t)r->n);
		for (size_t i = 0; i < r->n_arr; i++) {
			const struct web_arrival *a = &r->arr[i];
			if (seen[a->client] || strncmp(a->id, ids[k], WEB_ID_LEN))
				continue;
			seen[a->client] = true;
			struct web_stream_result *s = r->c[a->client].kind == WEB_SSE ? &res->sse : &res->ntfy;
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
		int fd = web_connect(port);
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
static bool streams_start(struct web_run *r, pid_t web, char (*tokens)[TOKEN_TEXT_LEN], int devices,
			  struct web_result *res)
{
	r->items = calloc((size_t)r->n + 2, sizeof(*r->items));
	if (!r->items)
		return false;
	for (int i = 0; i < r->n; i++) {
		web_stream_open(&r->c[i], r->port, i % 2 ? WEB_NTFY : WEB_SSE, tokens[i % devices]);
		r->items[i].fd = r->c[i].fd;
		r->items[i].events = r->c[i].fd >= 0 ? ZMQ_POLLIN : 0;
	}
	r->items[r->n].socket = r->w.items[0].socket;
	r->items[r->n].events = ZMQ_POLLIN;
	for (double end = bench_now_ms() + 20000; bench_now_ms() < end && web_streams_ready(r) < r->n;)
		web_pump(r, 100);
	for (int i = 0; i < r->n; i++)
		if (r->c[i].ready && r->c[i].st != WS_GONE)
			(r->c[i].kind == WEB_SSE ? &res->sse : &res->ntfy)->open++;
	web_pump(r, 1000); /* every stream thread idle in its wait, as a quiet evening */
	memory(web, &res->rss_open_kb, &res->pss_open_kb, &res->threads_open);
	return web_streams_ready(r) > 0;
}

static void note(struct web_result *res, const char *text)
{
	size_t len = strlen(res->note);
	snprintf(res->note + len, sizeof(res->note) - len, "%s%s", len ? "; " : "", text);
}

void bench_web(int clients, int devices, int alerts, struct web_result *res)
{
	struct hnode nodes[HOUSEHOLDS];
	struct web_run r = {.n = clients};
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
		web_stream_close(&r, i);
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
