/* SPDX-License-Identifier: EUPL-1.2 */
#include "faults.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "../../keys/keytext.h"
#include "../../proto/mp.h"
#include "../../proto/mpmap.h"

/* ---- randomness ---- */

static uint64_t rng_state;

void faults_seed(const char *test)
{
	const char *env = getenv("SAMEN_FAULTS_SEED");
	rng_state = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid() << 16;
	fprintf(stderr, "%s: seed %llu (SAMEN_FAULTS_SEED=%llu repeats this run's choices)\n", test,
		(unsigned long long)rng_state, (unsigned long long)rng_state);
	if (!rng_state)
		rng_state = 1;
}

uint32_t faults_rand(uint32_t below)
{
	/* xorshift64*: reproducible from the printed seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	uint64_t x = rng_state * 0x2545F4914F6CDD1Dull;
	return below ? (uint32_t)((x >> 32) % below) : 0;
}

bool run_cmd(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = system(cmd);
	if (r != 0) {
		fprintf(stderr, "faults: '%s' failed (status %d)\n", cmd, r);
		return false;
	}
	return true;
}

uint64_t proc_rss_kb(pid_t pid)
{
	char path[64], line[256];
	uint64_t kb = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtoull(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* ---- the fleet ---- */

/*
 * A free port below the kernel's ephemeral range (32768 and up here): a
 * port harness_port() hands out comes from that range, and with fifty
 * daemons dialling out, one of their connections can take it before the
 * daemon meant to listen there starts, or between a kill and a restart.
 * Nothing holds a port between this check and the daemon's bind, so it must
 * also differ from every port given out to this fleet already: with fifty
 * households drawn from 12,000 ports, two shared one in about one fleet in
 * ten, and the second daemon could not bind ("did not start").
 */
static bool port_taken(const struct fleet *f, size_t upto, int port)
{
	for (size_t j = 0; j < upto; j++)
		if (f->node[j].port == port)
			return true;
	return false;
}

static int fleet_port(const struct fleet *f, size_t upto)
{
	for (int tries = 0; tries < 1000; tries++) {
		int port = 20000 + (int)randombytes_uniform(12000);
		if (port_taken(f, upto, port))
			continue;
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a;
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)port);
		a.sin_addr.s_addr = htonl(INADDR_ANY);
		int ok = s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (s >= 0)
			close(s);
		if (ok)
			return port;
	}
	return harness_port();
}

void fleet_init(struct fleet *f, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->n = n;
	f->ae_seconds = 2;
	for (size_t i = 0; i < n; i++) {
		char name[24];
		if (i == 0)
			snprintf(name, sizeof(name), "founder");
		else
			snprintf(name, sizeof(name), "h%zu", i);
		hnode_init(&f->node[i], name, fleet_port(f, i), 0);
		snprintf(f->host[i], sizeof(f->host[i]), "127.0.0.1");
	}
}

void fleet_config(struct fleet *f, size_t i)
{
	struct hnode *n = &f->node[i];
	char nbhd[KEYTEXT_LEN];
	const char *debug = getenv("SAMEN_FAULTS_DEBUG");
	FILE *c = fopen(n->config, "w");
	if (!c) {
		perror(n->config);
		abort();
	}
	keytext_encode(f->node[0].pk, nbhd);
	fprintf(c, "state_dir = %s\nkey = %s\nanti_entropy_seconds = %u\nlog_level = %s\n"
		   "neighbourhood = %s\n",
		n->dir, n->key_path, f->ae_seconds ? f->ae_seconds : 2,
		debug && *debug ? "debug" : "info", nbhd);
	if (!f->nat[i])
		fprintf(c, "listen = tcp://%s:%d\n", f->host[i], n->port);
	for (size_t k = 0; k < f->n_peers[i]; k++) {
		size_t p = f->peers[i][k];
		if (!f->nat[p])
			fprintf(c, "peer = tcp://%s:%d %s\n", f->host[p], f->node[p].port,
				f->node[p].key_text);
	}
	fputs(f->extra, c);
	fputs(f->node_extra[i], c);
	fclose(c);
}

void fleet_start(struct fleet *f, size_t i)
{
	hnode_start_netns(&f->node[i], f->netns[i]);
	f->up[i] = true;
	f->started_ms[i] = harness_ms();
}

void fleet_stop(struct fleet *f, size_t i, int sig)
{
	hnode_stop(&f->node[i], sig);
	f->up[i] = false;
}

bool fleet_ready(struct fleet *f, size_t i, int timeout_ms)
{
	uint64_t end = harness_ms() + (uint64_t)timeout_ms;
	char path[700];
	snprintf(path, sizeof(path), "%s/control", f->node[i].dir);
	while (harness_ms() < end) {
		struct hreply r;
		if (access(path, F_OK) == 0 &&
		    hnode_call_timeout(&f->node[i], &r, 2000, "op=status", NULL)) {
			bool ok = hreply_ok(&r);
			hreply_free(&r);
			if (ok)
				return true;
		}
		usleep(20000);
	}
	return false;
}

bool fleet_status_uint(struct fleet *f, size_t i, const char *key, uint64_t *v)
{
	struct hreply r;
	*v = 0;
	if (!hnode_call_timeout(&f->node[i], &r, 5000, "op=status", NULL))
		return false;
	bool ok = hreply_ok(&r) && mpmap_uint(r.m, key, UINT64_MAX, v) == 0;
	hreply_free(&r);
	return ok;
}

bool fleet_counter(struct fleet *f, size_t i, const char *name, uint64_t *v)
{
	struct hreply r;
	*v = 0;
	if (!hnode_call_timeout(&f->node[i], &r, 5000, "op=status", NULL))
		return false;
	bool ok = hreply_ok(&r);
	const msgpack_object *c = ok ? mpmap_find(r.m, "counters") : NULL;
	if (!c || c->type != MSGPACK_OBJECT_MAP) {
		ok = false;
	} else {
		int ret = mpmap_uint(c, name, UINT64_MAX, v);
		ok = ret == 0 || ret == SAMEN_ENOTFOUND;
	}
	hreply_free(&r);
	return ok;
}

long fleet_links_out(struct fleet *f, size_t i, bool any_state, size_t *out, size_t cap)
{
	struct hreply r;
	long n = 0;
	if (!hnode_call_timeout(&f->node[i], &r, 5000, "op=peers", NULL))
		return -1;
	const msgpack_object *p = hreply_ok(&r) ? mpmap_find(r.m, "peers") : NULL;
	if (!p || p->type != MSGPACK_OBJECT_ARRAY) {
		hreply_free(&r);
		return -1;
	}
	for (uint32_t k = 0; k < p->via.array.size && (size_t)n < cap; k++) {
		char key[80] = "", dir[8] = "";
		bool up = false;
		const msgpack_object *e = &p->via.array.ptr[k];
		if (mpmap_str(e, "key", key, sizeof(key)) < 0 ||
		    mpmap_str(e, "direction", dir, sizeof(dir)) < 0 || mpmap_bool(e, "up", &up) < 0 ||
		    (!up && !any_state) || strcmp(dir, "out") != 0)
			continue;
		for (size_t j = 0; j < f->n; j++)
			if (!strcmp(f->node[j].key_text, key)) {
				out[n++] = j;
				break;
			}
	}
	hreply_free(&r);
	return n;
}

static bool status_str(struct fleet *f, size_t i, const char *key, char *buf, size_t cap)
{
	struct hreply r;
	buf[0] = '\0';
	if (!hnode_call_timeout(&f->node[i], &r, 5000, "op=status", NULL))
		return false;
	bool ok = hreply_ok(&r);
	if (ok)
		hreply_str(&r, key, buf, cap);
	hreply_free(&r);
	return ok;
}

bool fleet_send(struct fleet *f, size_t i, const char *description, char id[65], char code[40])
{
	struct hreply r;
	char desc[1100];
	snprintf(desc, sizeof(desc), "description=%s", description);
	id[0] = '\0';
	snprintf(code, 40, "no-reply");
	if (!hnode_call_timeout(&f->node[i], &r, 10000, "op=send", "category=suspicious", desc,
				"where=Lindelaan", NULL))
		return false;
	bool ok = hreply_ok(&r);
	if (ok)
		hreply_str(&r, "id", id, 65);
	else
		hreply_str(&r, "code", code, 40);
	hreply_free(&r);
	return ok && strlen(id) == 64;
}

/* Peer lines: the founder and up to `fanout` households started before i
 * (see fleet_build for why only those). */
static void pick_peers(struct fleet *f, size_t i)
{
	f->n_peers[i] = 0;
	if (i == 0)
		return;
	f->peers[i][f->n_peers[i]++] = 0;
	size_t want = f->fanout;
	if (want > FLEET_PEERS - 1)
		want = FLEET_PEERS - 1;
	if (want > i - 1)
		want = i - 1;
	for (unsigned tries = 0; f->n_peers[i] < want + 1 && tries < 1000; tries++) {
		size_t p = 1 + faults_rand((uint32_t)(i - 1));
		bool dup = f->nat[p];
		for (size_t k = 0; k < f->n_peers[i] && !dup; k++)
			dup = f->peers[i][k] == p;
		if (!dup)
			f->peers[i][f->n_peers[i]++] = p;
	}
}

static bool is_member(struct fleet *f, size_t i)
{
	char role[32];
	return status_str(f, i, "role", role, sizeof(role)) && !strcmp(role, "member");
}

static bool all_settled(struct fleet *f, uint64_t *epoch)
{
	uint64_t want = 0;
	if (!fleet_status_uint(f, 0, "epoch", &want) || want == 0)
		return false;
	for (size_t i = 1; i < f->n; i++) {
		uint64_t e = 0;
		char role[32];
		if (!f->up[i])
			continue;
		if (!fleet_status_uint(f, i, "epoch", &e) || e != want)
			return false;
		if (!status_str(f, i, "role", role, sizeof(role)) || strcmp(role, "member") != 0)
			return false;
	}
	*epoch = want;
	return true;
}

bool fleet_build(struct fleet *f)
{
	uint64_t t0 = harness_ms();
	fleet_config(f, 0);
	fleet_start(f, 0);
	if (!fleet_ready(f, 0, 10000)) {
		fprintf(stderr, "fleet: the founder did not start (see %s)\n", f->node[0].log);
		return false;
	}
	for (size_t i = 1; i < f->n; i++) {
		struct hreply r;
		char key[80], label[40];
		snprintf(key, sizeof(key), "key=%s", f->node[i].key_text);
		snprintf(label, sizeof(label), "label=Huis %zu", i);
		if (!hnode_call_timeout(&f->node[0], &r, 10000, "op=certify", key, "role=member", label,
					NULL) ||
		    !hreply_ok(&r)) {
			char err[300];
			fprintf(stderr, "fleet: certify %zu: %s\n", i, hreply_str(&r, "error", err, sizeof(err)));
			hreply_free(&r);
			return false;
		}
		hreply_free(&r);
	}
	/*
	 * One at a time, each dialling only households that already hold every
	 * certificate: a daemon that has not yet caught up refuses the keys it
	 * does not know (ZAP), and a refused link is only redialled a moment
	 * later (samend retries it after AUTH_RETRY_MS) — households started
	 * all at once would begin with holes in the mesh, and the tests would
	 * measure those instead of the fault. Households joining one after the
	 * other is also how a neighbourhood grows.
	 */
	for (size_t i = 1; i < f->n; i++) {
		pick_peers(f, i);
		fleet_config(f, i);
		fleet_start(f, i);
		if (!fleet_ready(f, i, 15000)) {
			fprintf(stderr, "fleet: %s did not start (see %s)\n", f->node[i].dir, f->node[i].log);
			return false;
		}
		uint64_t end = harness_ms() + 15000;
		while (!is_member(f, i)) {
			if (harness_ms() > end) {
				fprintf(stderr, "fleet: %s got no certificate (see %s)\n", f->node[i].dir,
					f->node[i].log);
				return false;
			}
			usleep(20000);
		}
	}
	/* the founder issues a new epoch key a moment (< 2 s) after the
	 * membership changed: settled means everyone holds the same one, and
	 * still does a while later */
	uint64_t end = harness_ms() + 60000, epoch = 0, again = 0;
	for (;;) {
		if (all_settled(f, &epoch)) {
			usleep(2500000);
			if (all_settled(f, &again) && again == epoch)
				break;
		}
		if (harness_ms() > end) {
			for (size_t i = 0; i < f->n; i++) {
				uint64_t e = 0;
				char role[32] = "";
				fleet_status_uint(f, i, "epoch", &e);
				status_str(f, i, "role", role, sizeof(role));
				fprintf(stderr, "fleet: node %zu: role '%s', epoch %llu\n", i, role,
					(unsigned long long)e);
			}
			return false;
		}
		usleep(200000);
	}
	fprintf(stderr, "fleet: %zu households certified, started and holding epoch %llu after %llu ms\n",
		f->n, (unsigned long long)epoch, (unsigned long long)(harness_ms() - t0));
	return true;
}

/* ---- id sets ---- */

void idset_add(struct idset *s, const char *id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char(*grown)[65] = realloc(s->id, cap * sizeof(*grown));
		if (!grown)
			abort();
		s->id = grown;
		s->cap = cap;
	}
	snprintf(s->id[s->n++], 65, "%s", id);
}

bool idset_has(const struct idset *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->id[i], id))
			return true;
	return false;
}

void idset_free(struct idset *s)
{
	free(s->id);
	memset(s, 0, sizeof(*s));
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

bool fleet_list(struct fleet *f, size_t i, struct idset *out)
{
	struct hreply r;
	out->n = 0;
	if (!hnode_call_timeout(&f->node[i], &r, 10000, "op=list", "limit:u=100000", NULL))
		return false;
	const msgpack_object *s = hreply_ok(&r) ? mpmap_find(r.m, "signals") : NULL;
	bool ok = s && s->type == MSGPACK_OBJECT_ARRAY;
	for (uint32_t k = 0; ok && k < s->via.array.size; k++) {
		char id[65];
		if (mpmap_str(&s->via.array.ptr[k], "id", id, sizeof(id)) == 0)
			idset_add(out, id);
	}
	hreply_free(&r);
	if (ok && out->n)
		qsort(out->id, out->n, sizeof(out->id[0]), cmp_id);
	return ok;
}

long fleet_missing(struct fleet *f, size_t i, const struct idset *want)
{
	struct idset have = {0};
	if (!fleet_list(f, i, &have)) {
		idset_free(&have);
		return -1;
	}
	long missing = 0;
	for (size_t k = 0; k < want->n; k++)
		if (!have.n || !bsearch(want->id[k], have.id, have.n, sizeof(have.id[0]), cmp_id))
			missing++;
	idset_free(&have);
	return missing;
}

bool fleet_wait_complete(struct fleet *f, const struct idset *want, int timeout_ms,
			 uint64_t *took_ms)
{
	uint64_t t0 = harness_ms(), end = t0 + (uint64_t)timeout_ms;
	bool done[FLEET_MAX] = {false};
	for (;;) {
		bool all = true;
		for (size_t i = 0; i < f->n; i++) {
			if (!f->up[i] || done[i])
				continue;
			done[i] = fleet_missing(f, i, want) == 0;
			all &= done[i];
		}
		if (all) {
			if (took_ms)
				*took_ms = harness_ms() - t0;
			return true;
		}
		if (harness_ms() > end)
			break;
		usleep(100000);
	}
	for (size_t i = 0; i < f->n; i++)
		if (f->up[i] && !done[i])
			fprintf(stderr, "fleet: %s lacks %ld of %zu signals\n", f->node[i].dir,
				fleet_missing(f, i, want), want->n);
	return false;
}

/* ---- watch streams ---- */

struct arrival {
	size_t slot;
	char id[65];
	uint64_t t_ms;
};

struct watch {
	void *ctx;
	void *sock[FLEET_MAX];
	size_t n;
	pthread_t thread;
	pthread_mutex_t lock;
	struct arrival *a;
	size_t n_a, cap_a;
	volatile int stop;
};

static void *watch_run(void *arg)
{
	struct watch *w = arg;
	zmq_pollitem_t items[FLEET_MAX];
	for (size_t i = 0; i < w->n; i++)
		items[i] = (zmq_pollitem_t){w->sock[i], 0, ZMQ_POLLIN, 0};
	while (!w->stop) {
		if (zmq_poll(items, (int)w->n, 100) <= 0)
			continue;
		for (size_t i = 0; i < w->n; i++) {
			if (!(items[i].revents & ZMQ_POLLIN))
				continue;
			for (;;) {
				zmq_msg_t m;
				zmq_msg_init(&m);
				if (zmq_msg_recv(&m, w->sock[i], ZMQ_DONTWAIT) < 0) {
					zmq_msg_close(&m);
					break;
				}
				uint64_t now = harness_ms();
				msgpack_unpacked u;
				msgpack_unpacked_init(&u);
				char ev[32], id[65];
				const msgpack_object *sig;
				if (mp_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 8, &u) == 0 &&
				    u.data.type == MSGPACK_OBJECT_MAP &&
				    mpmap_str(&u.data, "event", ev, sizeof(ev)) == 0 &&
				    !strcmp(ev, "signal") && (sig = mpmap_find(&u.data, "signal")) &&
				    sig->type == MSGPACK_OBJECT_MAP &&
				    mpmap_str(sig, "id", id, sizeof(id)) == 0) {
					pthread_mutex_lock(&w->lock);
					if (w->n_a == w->cap_a) {
						size_t cap = w->cap_a ? w->cap_a * 2 : 1024;
						struct arrival *g = realloc(w->a, cap * sizeof(*g));
						if (!g)
							abort();
						w->a = g;
						w->cap_a = cap;
					}
					w->a[w->n_a].slot = i;
					w->a[w->n_a].t_ms = now;
					snprintf(w->a[w->n_a].id, 65, "%s", id);
					w->n_a++;
					pthread_mutex_unlock(&w->lock);
				}
				msgpack_unpacked_destroy(&u);
				zmq_msg_close(&m);
			}
		}
	}
	return NULL;
}

struct watch *watch_start(struct fleet *f, const size_t *idx, size_t n)
{
	struct watch *w = calloc(1, sizeof(*w));
	if (!w || n > FLEET_MAX)
		return NULL;
	w->ctx = zmq_ctx_new();
	pthread_mutex_init(&w->lock, NULL);
	for (size_t i = 0; i < n; i++) {
		char ep[700];
		int zero = 0;
		w->sock[i] = zmq_socket(w->ctx, ZMQ_DEALER);
		zmq_setsockopt(w->sock[i], ZMQ_LINGER, &zero, sizeof(zero));
		w->n = i + 1;
		snprintf(ep, sizeof(ep), "ipc://%s/control", f->node[idx[i]].dir);
		struct mp_buf b;
		mp_buf_init(&b);
		msgpack_pack_map(&b.pk, 1);
		mpmap_put_str(&b.pk, "op", "watch");
		bool ok = zmq_connect(w->sock[i], ep) == 0 &&
			  zmq_send(w->sock[i], b.sb.data, b.sb.size, 0) >= 0;
		mp_buf_destroy(&b);
		/* the first frame back is the request's {"ok": true} */
		zmq_pollitem_t it = {w->sock[i], 0, ZMQ_POLLIN, 0};
		if (ok && zmq_poll(&it, 1, 5000) == 1) {
			zmq_msg_t m;
			zmq_msg_init(&m);
			ok = zmq_msg_recv(&m, w->sock[i], 0) >= 0;
			msgpack_unpacked u;
			msgpack_unpacked_init(&u);
			bool yes = false;
			ok = ok && mp_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 8, &u) == 0 &&
			     mpmap_bool(&u.data, "ok", &yes) == 0 && yes;
			msgpack_unpacked_destroy(&u);
			zmq_msg_close(&m);
		} else {
			ok = false;
		}
		if (!ok) {
			fprintf(stderr, "watch: no stream from %s\n", f->node[idx[i]].dir);
			watch_stop(w);
			return NULL;
		}
	}
	if (pthread_create(&w->thread, NULL, watch_run, w) != 0) {
		watch_stop(w);
		return NULL;
	}
	return w;
}

bool watch_arrival(struct watch *w, size_t slot, const char *id, uint64_t *t_ms)
{
	bool found = false;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->n_a && !found; i++)
		if (w->a[i].slot == slot && !strcmp(w->a[i].id, id)) {
			*t_ms = w->a[i].t_ms;
			found = true;
		}
	pthread_mutex_unlock(&w->lock);
	return found;
}

void watch_stop(struct watch *w)
{
	if (!w)
		return;
	if (w->thread) {
		w->stop = 1;
		pthread_join(w->thread, NULL);
	}
	for (size_t i = 0; i < w->n; i++)
		if (w->sock[i])
			zmq_close(w->sock[i]);
	zmq_ctx_term(w->ctx);
	pthread_mutex_destroy(&w->lock);
	free(w->a);
	free(w);
}

/* ---- percentiles ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

uint64_t percentile(uint64_t *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* ---- network namespaces ---- */

static char ns_a[40], ns_b[40], ip_a[32], ip_b[32], veth_a[16], veth_b[16];

bool netns_available(char *why, size_t n)
{
	char ns[40], va[16], vb[16];

	if (geteuid() != 0) {
		snprintf(why, n, "needs root for network namespaces (ip netns)");
		return false;
	}
	if (system("ip -V >/dev/null 2>&1") != 0) {
		snprintf(why, n, "the 'ip' command (Debian package iproute2) is missing");
		return false;
	}
	snprintf(ns, sizeof(ns), "samen-probe-%d", (int)getpid());
	snprintf(va, sizeof(va), "spa%d", (int)getpid() % 1000000);
	snprintf(vb, sizeof(vb), "spb%d", (int)getpid() % 1000000);
	/* Root in a container may still lack CAP_NET_ADMIN or /run/netns. */
	bool ok = run_cmd("ip netns add %s 2>/dev/null", ns);
	if (!ok) {
		snprintf(why, n, "cannot create a network namespace here (ip netns add)");
		return false;
	}
	ok = run_cmd("ip link add %s type veth peer name %s 2>/dev/null", va, vb);
	if (ok)
		run_cmd("ip link del %s", va);
	run_cmd("ip netns del %s", ns);
	if (!ok)
		snprintf(why, n, "cannot create a veth pair here (ip link add type veth)");
	return ok;
}

bool netns_pair(const char *a, const char *b, const char *addr_a, const char *addr_b)
{
	snprintf(ns_a, sizeof(ns_a), "%s", a);
	snprintf(ns_b, sizeof(ns_b), "%s", b);
	snprintf(ip_a, sizeof(ip_a), "%s", addr_a);
	snprintf(ip_b, sizeof(ip_b), "%s", addr_b);
	snprintf(veth_a, sizeof(veth_a), "sva%d", (int)getpid() % 1000000);
	snprintf(veth_b, sizeof(veth_b), "svb%d", (int)getpid() % 1000000);
	if (system("ip -V >/dev/null 2>&1") != 0) {
		fprintf(stderr, "netns: the 'ip' command (Debian package iproute2) is missing\n");
		return false;
	}
	return run_cmd("ip netns add %s", ns_a) && run_cmd("ip netns add %s", ns_b) &&
	       run_cmd("ip link add %s type veth peer name %s", veth_a, veth_b) &&
	       run_cmd("ip link set %s netns %s", veth_a, ns_a) &&
	       run_cmd("ip link set %s netns %s", veth_b, ns_b) &&
	       run_cmd("ip -n %s addr add %s/24 dev %s", ns_a, ip_a, veth_a) &&
	       run_cmd("ip -n %s addr add %s/24 dev %s", ns_b, ip_b, veth_b) &&
	       run_cmd("ip -n %s link set lo up", ns_a) && run_cmd("ip -n %s link set lo up", ns_b) &&
	       run_cmd("ip -n %s link set %s up", ns_a, veth_a) &&
	       run_cmd("ip -n %s link set %s up", ns_b, veth_b);
}

/*
 * An `unreachable` host route to the other side in each namespace: packets
 * of established connections are no longer sent (TCP retransmits into the
 * void until the ZMTP heartbeat, 6 s, gives up on the link), and new
 * connections fail at once with EHOSTUNREACH, which libzmq retries with its
 * reconnect back-off. Deleting the routes heals it. (A `blackhole` route
 * would make connect() fail with EINVAL; `prohibit` gives EACCES, which
 * libzmq does not expect from an asynchronous connect.)
 */
bool netns_cut(bool cut)
{
	const char *op = cut ? "add" : "del";
	return run_cmd("ip -n %s route %s unreachable %s/32", ns_a, op, ip_b) &&
	       run_cmd("ip -n %s route %s unreachable %s/32", ns_b, op, ip_a);
}

void netns_teardown(void)
{
	const char *ns[2] = {ns_a, ns_b};
	for (int i = 0; i < 2; i++) {
		char cmd[200];
		if (!ns[i][0])
			continue;
		snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", ns[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "netns: could not remove %s\n", ns[i]);
	}
	ns_a[0] = ns_b[0] = '\0';
}
