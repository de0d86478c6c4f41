/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * serf.c — the same measurement against HashiCorp Serf (Debian package
 * `serf`): N agents on loopback (LAN profile, the default), a user event
 * fired over one agent's RPC, and its arrival at every other agent seen on
 * an RPC `stream` — the counterpart of samen's `watch`, so neither side pays
 * for forking an event-handler script. One process, one clock.
 *
 * Serf's RPC (its docs, "RPC Protocol"): msgpack over TCP; each request is
 * a header {"Command", "Seq"} and maybe a body; each response a header
 * {"Seq", "Error"} and maybe a body; a stream repeats the header of its
 * `stream` request before every event.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <msgpack.h>
#include <sodium.h>

struct agent {
	pid_t pid;
	int port, rpc;
	int fd;
	msgpack_unpacker up;
	bool up_init;
	uint64_t seq;          /* next request number */
	uint64_t want;         /* the request awaited */
	uint64_t stream_seq;   /* 0: no stream */
	bool stream_acked;
	uint64_t body_for;     /* the header just read announced a body for this seq */
	bool body_next;
	/* the last response seen (header, and body for members) */
	uint64_t resp_seq;
	char resp_error[128];
	long resp_alive;       /* members: how many are alive; -1 none yet */
	bool dead;
};

struct sev {
	uint32_t agent;
	double t;
	long k;
};

static struct sev *sevs;
static size_t n_sevs, cap_sevs;

static const msgpack_object *mfind(const msgpack_object *o, const char *key)
{
	size_t kl = strlen(key);
	if (!o || o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;
		if ((k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
		     !memcmp(k->via.str.ptr, key, kl)) ||
		    (k->type == MSGPACK_OBJECT_BIN && k->via.bin.size == kl &&
		     !memcmp(k->via.bin.ptr, key, kl)))
			return &o->via.map.ptr[i].val;
	}
	return NULL;
}

static bool mstr(const msgpack_object *o, char *out, size_t cap)
{
	const char *p;
	size_t n;
	if (!o)
		return false;
	if (o->type == MSGPACK_OBJECT_STR) {
		p = o->via.str.ptr;
		n = o->via.str.size;
	} else if (o->type == MSGPACK_OBJECT_BIN) {
		p = o->via.bin.ptr;
		n = o->via.bin.size;
	} else {
		return false;
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static uint64_t muint(const msgpack_object *o)
{
	if (!o)
		return 0;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return o->via.u64;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && o->via.i64 >= 0)
		return (uint64_t)o->via.i64;
	return 0;
}

static void pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Sends a request; body: NULL, or a map of string keys to values where
 * each value is "s:text", "b:0|1" or "i:N". Returns its seq or 0. */
static uint64_t request(struct agent *a, const char *cmd, const char *const *body)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint64_t seq = a->seq++;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	pack_str(&pk, "Command");
	pack_str(&pk, cmd);
	pack_str(&pk, "Seq");
	msgpack_pack_uint64(&pk, seq);
	if (body) {
		size_t n = 0;
		while (body[n])
			n += 2;
		msgpack_pack_map(&pk, n / 2);
		for (size_t i = 0; i < n; i += 2) {
			pack_str(&pk, body[i]);
			const char *v = body[i + 1];
			if (v[0] == 'b')
				v[2] == '1' ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
			else if (v[0] == 'i')
				msgpack_pack_int64(&pk, strtoll(v + 2, NULL, 10));
			else
				pack_str(&pk, v + 2);
		}
	}
	bool ok = write_all(a->fd, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return ok ? seq : 0;
}

static void sev_add(uint32_t agent, double t, long k)
{
	if (n_sevs == cap_sevs) {
		size_t cap = cap_sevs ? cap_sevs * 2 : 1024;
		struct sev *s = realloc(sevs, cap * sizeof(*s));
		if (!s)
			return;
		sevs = s;
		cap_sevs = cap;
	}
	sevs[n_sevs++] = (struct sev){agent, t, k};
}

static void on_object(struct agent *a, uint32_t idx, const msgpack_object *o, double t)
{
	if (a->body_next) {
		a->body_next = false;
		if (a->body_for == a->stream_seq) {
			char ev[16] = "", payload[64] = "";
			if (mstr(mfind(o, "Event"), ev, sizeof(ev)) && !strcmp(ev, "user") &&
			    mstr(mfind(o, "Payload"), payload, sizeof(payload)) &&
			    !strncmp(payload, "bench-", 6))
				sev_add(idx, t, strtol(payload + 6, NULL, 10));
		} else {
			const msgpack_object *m = mfind(o, "Members");
			long alive = 0;
			for (uint32_t i = 0; m && m->type == MSGPACK_OBJECT_ARRAY && i < m->via.array.size; i++) {
				char st[16];
				if (mstr(mfind(&m->via.array.ptr[i], "Status"), st, sizeof(st)) &&
				    !strcmp(st, "alive"))
					alive++;
			}
			a->resp_alive = alive;
			a->resp_seq = a->body_for;
		}
		return;
	}
	uint64_t seq = muint(mfind(o, "Seq"));
	char err[128] = "";
	mstr(mfind(o, "Error"), err, sizeof(err));
	if (a->stream_seq && seq == a->stream_seq) {
		if (!a->stream_acked) {
			a->stream_acked = true;
			a->resp_seq = seq;
			snprintf(a->resp_error, sizeof(a->resp_error), "%s", err);
		} else {
			a->body_next = true;
			a->body_for = seq;
		}
		return;
	}
	if (a->resp_alive == -2 && !err[0]) { /* a members request: the body follows */
		a->body_next = true;
		a->body_for = seq;
		return;
	}
	a->resp_seq = seq;
	snprintf(a->resp_error, sizeof(a->resp_error), "%s", err);
}

static void read_agent(struct agent *a, uint32_t idx)
{
	if (!msgpack_unpacker_reserve_buffer(&a->up, 65536))
		return;
	ssize_t n = read(a->fd, msgpack_unpacker_buffer(&a->up), msgpack_unpacker_buffer_capacity(&a->up));
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			a->dead = true;
		return;
	}
	double t = bench_now_ms();
	msgpack_unpacker_buffer_consumed(&a->up, (size_t)n);
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	while (msgpack_unpacker_next(&a->up, &u) == MSGPACK_UNPACK_SUCCESS)
		on_object(a, idx, &u.data, t);
	msgpack_unpacked_destroy(&u);
}

/* Reads from every connection for up to ms. */
static void pump_all(struct agent *ag, int n, double ms)
{
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	double end = bench_now_ms() + ms;
	if (!p)
		return;
	do {
		int k = 0;
		for (int i = 0; i < n; i++) {
			p[i].fd = ag[i].fd >= 0 && !ag[i].dead ? ag[i].fd : -1;
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		double left = end - bench_now_ms();
		k = poll(p, (nfds_t)n, left > 0 ? (int)ceil(left) : 0);
		for (int i = 0; k > 0 && i < n; i++)
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
				read_agent(&ag[i], (uint32_t)i);
	} while (bench_now_ms() < end);
	free(p);
}

/* Waits for the response to seq on one agent, reading from all. */
static bool await(struct agent *ag, int n, int i, uint64_t seq, int timeout_ms)
{
	double end = bench_now_ms() + timeout_ms;
	while (ag[i].resp_seq != seq && !ag[i].dead && bench_now_ms() < end)
		pump_all(ag, n, 5);
	return ag[i].resp_seq == seq && !ag[i].resp_error[0];
}

static bool rpc_connect(struct agent *a, int timeout_ms)
{
	double end = bench_now_ms() + timeout_ms;
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)a->rpc);
	while (bench_now_ms() < end) {
		if (!bench_alive(a->pid))
			return false;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			a->fd = fd;
			msgpack_unpacker_init(&a->up, 65536);
			a->up_init = true;
			a->seq = 1;
			return true;
		}
		if (fd >= 0)
			close(fd);
		usleep(1000);
	}
	return false;
}

/* Waits for the awaited response of every agent in [lo, hi); returns how
 * many answered without an error. */
static int await_all(struct agent *ag, int n, int lo, int hi, int timeout_ms)
{
	double end = bench_now_ms() + timeout_ms;
	int ok;
	for (;;) {
		int pending = 0;
		ok = 0;
		for (int i = lo; i < hi; i++) {
			if (!ag[i].want)
				continue;
			if (ag[i].resp_seq == ag[i].want)
				ok += !ag[i].resp_error[0];
			else if (!ag[i].dead)
				pending++;
		}
		if (!pending || bench_now_ms() >= end)
			return ok;
		pump_all(ag, n, 10);
	}
}

static const char *const handshake_body[] = {"Version", "i:1", NULL};

static bool handshake(struct agent *ag, int n, int i)
{
	uint64_t seq = request(&ag[i], "handshake", handshake_body);
	return seq && await(ag, n, i, seq, 10000);
}

static const char *serf_path(void)
{
	static char path[256];
	const char *env = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", env && *env ? env : "/usr/bin:/bin");
	for (char *dir = strtok(buf, ":"); dir; dir = strtok(NULL, ":")) {
		snprintf(path, sizeof(path), "%s/serf", dir);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

static bool spawn_agent(struct agent *a, int i, const struct agent *join)
{
	char node[32], bind[64], rpc[64], joinarg[64], log[600];
	snprintf(node, sizeof(node), "-node=s%d", i);
	snprintf(bind, sizeof(bind), "-bind=127.0.0.1:%d", a->port);
	snprintf(rpc, sizeof(rpc), "-rpc-addr=127.0.0.1:%d", a->rpc);
	snprintf(log, sizeof(log), "%s/serf-%d.log", bench_dir(), i);
	char *argv[10] = {(char *)serf_path(), "agent", node, bind, rpc, "-log-level=err"};
	int k = 6;
	if (join) {
		snprintf(joinarg, sizeof(joinarg), "-join=127.0.0.1:%d", join->port);
		argv[k++] = joinarg;
	}
	argv[k] = NULL;
	a->pid = bench_spawn(argv, i < 3 ? log : NULL);
	return a->pid > 0;
}

static void close_agents(struct agent *ag, int n)
{
	pid_t *pids = calloc((size_t)n, sizeof(pid_t));
	for (int i = 0; i < n; i++) {
		if (ag[i].fd >= 0)
			close(ag[i].fd);
		if (ag[i].up_init)
			msgpack_unpacker_destroy(&ag[i].up);
		if (pids)
			pids[i] = ag[i].pid;
	}
	if (pids) {
		bench_stop_many(pids, (size_t)n, SIGTERM, 10000);
		free(pids);
	}
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

void bench_serf(int n, int events, bool measure_idle, struct serf_result *res)
{
	struct agent *ag = calloc((size_t)n, sizeof(*ag));
	double t_setup = bench_now_ms();
	memset(res, 0, sizeof(*res));
	res->n = n;
	res->p50 = res->p99 = res->max = res->delivered_ratio = NAN;
	res->wakeups_per_s = res->start_ms = res->load1 = NAN;
	res->rss_kb = -1;
	n_sevs = 0;
	if (!ag || n < 2) {
		snprintf(res->note, sizeof(res->note), "needs at least 2 agents");
		free(ag);
		return;
	}
	if (!serf_path()) {
		snprintf(res->note, sizeof(res->note), "serf is not installed (apt-get install serf)");
		free(ag);
		return;
	}
	for (int i = 0; i < n; i++) {
		ag[i].fd = -1;
		ag[i].port = bench_port();
		ag[i].rpc = bench_port();
	}
	bench_log("serf n=%d: starting agents", n);
	/* the first: spawn until its RPC answers a handshake */
	double t0 = bench_now_ms();
	if (!spawn_agent(&ag[0], 0, NULL) || !rpc_connect(&ag[0], 15000) || !handshake(ag, 1, 0)) {
		snprintf(res->note, sizeof(res->note), "the first agent did not start");
		goto out;
	}
	res->start_ms = bench_now_ms() - t0;
	/* the rest in batches, each joining a random agent already up */
	double setup_end = t_setup + 1000.0 * bench_env_int("BENCH_SERF_SETUP_S", 120);
	for (int i = 1; i < n; i += 25) {
		if (bench_now_ms() > setup_end) {
			snprintf(res->note, sizeof(res->note), "only %d of %d agents started within %d s", i,
				 n, bench_env_int("BENCH_SERF_SETUP_S", 120));
			goto out;
		}
		int hi = i + 25 < n ? i + 25 : n;
		for (int j = i; j < hi; j++)
			if (!spawn_agent(&ag[j], j, &ag[randombytes_uniform((uint32_t)i)])) {
				snprintf(res->note, sizeof(res->note), "fork failed");
				goto out;
			}
		for (int j = i; j < hi; j++) {
			if (!rpc_connect(&ag[j], 20000)) {
				snprintf(res->note, sizeof(res->note), "agent %d did not start", j);
				goto out;
			}
			ag[j].want = request(&ag[j], "handshake", handshake_body);
		}
		if (await_all(ag, hi, i, hi, 20000) < hi - i) {
			snprintf(res->note, sizeof(res->note), "agents %d..%d did not all answer", i, hi - 1);
			goto out;
		}
	}
	/* every agent sees every other alive */
	double end = setup_end, last_log = bench_now_ms();
	bool *conv = calloc((size_t)n, sizeof(bool));
	int good = 0;
	while (conv && good < n && bench_now_ms() < end) {
		for (int i = 0; i < n; i++) {
			ag[i].want = 0;
			if (conv[i] || ag[i].dead)
				continue;
			ag[i].resp_alive = -2;
			ag[i].want = request(&ag[i], "members", NULL);
		}
		await_all(ag, n, 0, n, 10000);
		for (int i = 0; i < n; i++)
			if (!conv[i] && ag[i].want && ag[i].resp_seq == ag[i].want && ag[i].resp_alive == n) {
				conv[i] = true;
				good++;
			}
		if (good < n) {
			if (bench_now_ms() - last_log > 5000) {
				bench_log("  %d of %d agents see all %d", good, n, n);
				last_log = bench_now_ms();
			}
			pump_all(ag, n, 300);
		}
	}
	free(conv);
	res->members = good;
	res->setup_s = (bench_now_ms() - t_setup) / 1000;
	if (good < n) {
		snprintf(res->note, sizeof(res->note), "only %d of %d agents saw every member after %.0f s",
			 good, n, res->setup_s);
		if (good < 2)
			goto out;
	}
	bench_log("serf n=%d: converged after %.1f s", n, res->setup_s);
	for (int i = 0; i < n; i++) {
		static const char *const body[] = {"Type", "s:user:bench", NULL};
		ag[i].stream_seq = ag[i].want = request(&ag[i], "stream", body);
	}
	if (await_all(ag, n, 0, n, 20000) < n) {
		snprintf(res->note, sizeof(res->note), "not every agent opened an event stream");
		goto out;
	}
	pump_all(ag, n, 500);
	n_sevs = 0;
	res->load1 = bench_load1();

	/* idle footprint of one agent, for the resources row */
	long *rss = calloc((size_t)n, sizeof(long));
	int got_rss = 0;
	for (int i = 0; rss && i < n; i++)
		if ((rss[got_rss] = bench_rss_kb(ag[i].pid)) > 0)
			got_rss++;
	if (got_rss) {
		qsort(rss, (size_t)got_rss, sizeof(long), cmp_long);
		res->rss_kb = rss[got_rss / 2];
	}
	free(rss);
	if (measure_idle) {
		uint64_t a0, m0, a1, m1;
		int secs = bench_env_int("BENCH_IDLE_SECONDS", 10);
		double ti = bench_now_ms();
		if (bench_ctxt(ag[1].pid, &a0, &m0)) {
			pump_all(ag, n, secs * 1000.0);
			bench_ctxt(ag[1].pid, &a1, &m1);
			res->wakeups_per_s = (double)(a1 - a0) / ((bench_now_ms() - ti) / 1000);
		}
		n_sevs = 0;
	}

	double *t_sent = calloc((size_t)events, sizeof(double));
	int *sender = calloc((size_t)events, sizeof(int));
	bool *seen = calloc((size_t)n, sizeof(bool));
	int sent = 0;
	int gap_ms = bench_env_int("BENCH_GAP_MS", 300);
	double budget_end = bench_now_ms() + 1000.0 * bench_env_int("BENCH_SERF_BUDGET_S", 180);
	for (int k = 0; t_sent && sender && seen && k < events; k++) {
		if (bench_now_ms() > budget_end) {
			size_t len = strlen(res->note);
			snprintf(res->note + len, sizeof(res->note) - len,
				 "%s%d of %d events sent within the time budget", len ? "; " : "", k,
				 events);
			break;
		}
		int who = (int)((1 + (unsigned)k * 7919u) % (unsigned)n);
		char payload[40], pl[48];
		snprintf(payload, sizeof(payload), "bench-%d", k);
		snprintf(pl, sizeof(pl), "s:%s", payload);
		const char *body[] = {"Name", "s:bench", "Payload", pl, "Coalesce", "b:0", NULL};
		uint64_t seq = request(&ag[who], "event", body);
		if (!seq || !await(ag, n, who, seq, 15000)) {
			bench_log("serf n=%d: event %d refused: %s", n, k, ag[who].resp_error);
			continue;
		}
		t_sent[k] = bench_now_ms();
		sender[k] = who;
		sent++;
		memset(seen, 0, (size_t)n);
		int have = 0;
		size_t scanned = 0;
		double stop = t_sent[k] + 10000 + 10.0 * n;
		while (have < n - 1 && bench_now_ms() < stop) {
			for (; scanned < n_sevs; scanned++)
				if (sevs[scanned].k == k && (int)sevs[scanned].agent != who &&
				    !seen[sevs[scanned].agent]) {
					seen[sevs[scanned].agent] = true;
					have++;
				}
			if (have < n - 1)
				pump_all(ag, n, 10);
		}
		pump_all(ag, n, gap_ms);
	}
	pump_all(ag, n, 1000);
	res->events = sent;
	size_t delivered = 0;
	for (int k = 0; seen && k < events; k++) {
		if (!t_sent || t_sent[k] == 0)
			continue;
		memset(seen, 0, (size_t)n);
		for (size_t i = 0; i < n_sevs; i++) {
			const struct sev *e = &sevs[i];
			if (e->k != k || (int)e->agent == sender[k] || seen[e->agent])
				continue;
			seen[e->agent] = true;
			lat_add(&res->lat, e->t > t_sent[k] ? e->t - t_sent[k] : 0);
			delivered++;
		}
	}
	free(t_sent);
	free(sender);
	free(seen);
	lat_sort(&res->lat);
	if (sent) {
		res->delivered_ratio = (double)delivered / ((double)sent * (n - 1));
		res->p50 = lat_pct(&res->lat, 0.5);
		res->p99 = lat_pct(&res->lat, 0.99);
		res->max = lat_max(&res->lat);
		res->ok = true;
	}
	bench_log("serf n=%d: %d events, delivered %.4f, p50 %.1f ms, p99 %.1f ms, max %.1f ms, "
		  "agent RSS %ld kB",
		  n, sent, res->delivered_ratio, res->p50, res->p99, res->max, res->rss_kb);
out:
	close_agents(ag, n);
	free(ag);
}
