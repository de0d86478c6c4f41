/*
 * net.c — sockets and links: the ZAP handler (fail closed), the mesh ROUTER
 * that neighbours dial, the DEALERs this daemon dials, and the random active
 * set of peers kept at `active_links`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "daemon.h"
#include "log.h"
#include "../proto/link.h"

#define HEARTBEAT_IVL_MS 2000
#define HEARTBEAT_TIMEOUT_MS 6000
#define CONNECT_TIMEOUT_MS 15000
/* An outbound link that was up and has been down this long no longer
 * counts toward the active set: a replacement is dialled while it keeps
 * trying (until CONNECT_TIMEOUT_MS), so a household whose neighbours all
 * vanished is linked again in seconds. At most twice active_links outbound
 * links. A link still in its first handshake keeps counting until the
 * timeout: on a loaded machine (hundreds of daemons starting on two cores)
 * handshakes take seconds, and dialling more would only add to the load. */
#define CONNECT_GRACE_MS 3000
/* Now and then one healthy outbound link is replaced by a link to another
 * candidate. Without it, the halves of a mesh split for longer than
 * CONNECT_TIMEOUT_MS fill their active sets among themselves and never meet
 * again after the network heals. Each daemon waits ROTATE_PER_PEER_MS per
 * candidate it knows (within rotate_min_seconds and rotate_max_seconds,
 * 30 s and 10 min by default; ± half, at random), so the whole mesh
 * replaces about one link every 3 s whatever its size: a big mesh is not
 * kept busy re-linking, a small one heals as fast. */
#define ROTATE_PER_PEER_MS 3000
#define RETRY_AFTER_MS 10000
/* How long libzmq waits before it redials a dropped link (growing up to the
 * maximum while connecting fails). When a neighbour rebinds its mesh socket
 * after cutting a flooder off, every link into it is down at least so long:
 * with 200 ms, 0.32-0.40 s after the port was open again (test_flood logs). */
#define RECONNECT_IVL_MS 50
#define RECONNECT_IVL_MAX_MS 3000
#define AUTH_RETRY_MS 2000
#define JOIN_PER_MINUTE 30

uint64_t daemon_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int setopt_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

/* Options every CURVE link socket shares: bounded messages, heartbeats so a
 * dead peer is noticed, and no lingering on close. Received messages wait
 * in libzmq until the loop reads them: at most LINK_RCVHWM per peer, so a
 * peer sending faster than this daemon checks what it sends makes its own
 * queue (and TCP) back up, not this daemon's memory (10000 messages of up
 * to 1 MiB each would be 10 GiB). */
#define LINK_RCVHWM 64
static int link_socket_opts(void *s)
{
	int64_t max = LINK_MSG_MAX;
	if (zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof(max)) || setopt_int(s, ZMQ_LINGER, 0) ||
	    setopt_int(s, ZMQ_HEARTBEAT_IVL, HEARTBEAT_IVL_MS) ||
	    setopt_int(s, ZMQ_HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS) ||
	    setopt_int(s, ZMQ_HEARTBEAT_TTL, HEARTBEAT_TIMEOUT_MS) ||
	    setopt_int(s, ZMQ_SNDHWM, 10000) || setopt_int(s, ZMQ_RCVHWM, LINK_RCVHWM))
		return -errno;
	return 0;
}

/* Opens a CURVE server socket bound to endpoint; NULL with *err set (and
 * nothing logged) on failure. */
static void *curve_server_try(struct daemon *d, const char *endpoint, const char *domain,
			      int *err)
{
	void *s = zmq_socket(d->zctx, ZMQ_ROUTER);
	if (!s) {
		*err = errno;
		return NULL;
	}
	if (link_socket_opts(s) || setopt_int(s, ZMQ_CURVE_SERVER, 1) ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, d->node.id->curve_sk, 32) ||
	    zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) ||
	    setopt_int(s, ZMQ_ROUTER_MANDATORY, 1) || zmq_bind(s, endpoint) != 0) {
		*err = errno;
		zmq_close(s);
		return NULL;
	}
	return s;
}

static void *curve_server(struct daemon *d, const char *endpoint, const char *domain)
{
	int err = 0;
	void *s = curve_server_try(d, endpoint, domain, &err);
	if (!s)
		log_msg(SLOG_ERR, "cannot bind %s (%s): %s", endpoint, domain, zmq_strerror(err));
	return s;
}

/* Binds the mesh socket again after net_rebind_mesh() closed it. zmq_close()
 * is asynchronous: libzmq's I/O thread releases the old socket's port a
 * moment later, so the first try often fails with EADDRINUSE; net_mesh_tick()
 * tries again every MESH_RETRY_MS until it works. */
static void mesh_retry(struct daemon *d)
{
	int err = 0;
	d->mesh = curve_server_try(d, d->cfg->listen, "mesh", &err);
	d->mesh_retry_ms = daemon_now_ms() + MESH_RETRY_MS;
	if (d->mesh) {
		if (d->mesh_lost)
			log_msg(SLOG_INFO, "mesh socket %s open again", d->cfg->listen);
		d->mesh_lost = false;
	} else if (!d->mesh_lost) {
		d->mesh_lost = true;
		log_msg(err == EADDRINUSE ? SLOG_INFO : SLOG_ERR,
			"cannot bind %s again yet (%s); neighbours cannot dial in until it is "
			"back, retrying", d->cfg->listen, zmq_strerror(err));
	}
}

void net_rebind_mesh(struct daemon *d)
{
	if (!d->cfg->listen[0])
		return;
	/* libzmq cannot close one inbound connection of a ROUTER; closing the
	 * socket drops them all. Honest neighbours' DEALERs reconnect at once
	 * and pass ZAP again; a revoked key does not. */
	for (size_t i = 0; i < d->n_links; i++)
		if (d->links[i].used && d->links[i].dir == DIR_IN)
			net_close_link(d, &d->links[i]);
	if (d->mesh)
		zmq_close(d->mesh);
	d->mesh = NULL;
	mesh_retry(d);
}

static int learn_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct daemon *d = ctx;
	struct record r;
	(void)id;
	if (record_decode(data, len, &r) == 0 && r.kind == REC_PEER &&
	    r.u.peer.expires > (uint64_t)time(NULL))
		net_add_candidate(d, r.u.peer.endpoint, r.author);
	return 0;
}

/* Peers learned from announcements before a restart are candidates again
 * at once: a household configured with one peer that is down would
 * otherwise start with nobody to dial. */
static void learn_stored(struct daemon *d)
{
	if (!d->cfg->learn_peers)
		return;
	if (d->node.have_nbhd)
		(void)store_each_by_kind(d->node.store, d->node.nbhd, REC_PEER, learn_one, d);
	for (size_t i = 0; i < d->node.n_served; i++)
		(void)store_each_by_kind(d->node.store, d->node.served[i].nbhd, REC_PEER, learn_one,
					 d);
}

int net_open(struct daemon *d)
{
	d->zctx = zmq_ctx_new();
	if (!d->zctx)
		return -errno;
	/* ZAP first: a CURVE server bound before a handler exists would let
	 * every key in (libzmq admits all when nobody answers ZAP). */
	d->zap = zmq_socket(d->zctx, ZMQ_REP);
	if (!d->zap || setopt_int(d->zap, ZMQ_LINGER, 0) ||
	    zmq_bind(d->zap, "inproc://zeromq.zap.01") != 0) {
		log_msg(SLOG_ERR, "cannot start the ZAP handler: %s", zmq_strerror(errno));
		return -EIO;
	}
	d->zap_stale = true;
	if (d->cfg->listen[0]) {
		d->mesh = curve_server(d, d->cfg->listen, "mesh");
		if (!d->mesh)
			return -EADDRINUSE;
	}
	if (d->cfg->join_listen[0]) {
		d->joinsock = curve_server(d, d->cfg->join_listen, "join");
		if (!d->joinsock)
			return -EADDRINUSE;
	}
	if (d->cfg->subscriber_listen[0]) {
		d->subsock = curve_server(d, d->cfg->subscriber_listen, "sub");
		if (!d->subsock)
			return -EADDRINUSE;
		/* credit-based flow control bounds what we queue; the HWM is a
		 * second fence, never reached by a well-behaved subscriber */
		setopt_int(d->subsock, ZMQ_SNDHWM, 4096);
	}
	if (snprintf(d->ctl_path, sizeof(d->ctl_path), "%s/control", d->cfg->state_dir) >=
	    (int)sizeof(d->ctl_path))
		return -ENAMETOOLONG;
	char ep[4300];
	snprintf(ep, sizeof(ep), "ipc://%s", d->ctl_path);
	unlink(d->ctl_path); /* a stale socket of a previous run */
	d->ctl = zmq_socket(d->zctx, ZMQ_ROUTER);
	int64_t max = 1 << 20;
	if (!d->ctl || setopt_int(d->ctl, ZMQ_LINGER, 0) || setopt_int(d->ctl, ZMQ_ROUTER_MANDATORY, 1) ||
	    zmq_setsockopt(d->ctl, ZMQ_MAXMSGSIZE, &max, sizeof(max)) ||
	    setopt_int(d->ctl, ZMQ_SNDHWM, 100000) || zmq_bind(d->ctl, ep) != 0) {
		log_msg(SLOG_ERR, "cannot bind the control socket %s: %s", ep, zmq_strerror(errno));
		return -EIO;
	}
	chmod(d->ctl_path, 0600);
	learn_stored(d);
	/* after: a configured endpoint wins over an announced one */
	for (unsigned i = 0; i < d->cfg->n_peers; i++)
		net_add_candidate(d, d->cfg->peers[i].endpoint, d->cfg->peers[i].key);
	return 0;
}

void net_close(struct daemon *d)
{
	for (size_t i = 0; i < d->n_links; i++)
		if (d->links[i].used)
			net_close_link(d, &d->links[i]);
	void **socks[] = {&d->zap, &d->mesh, &d->joinsock, &d->ctl, &d->join.sock, &d->subsock};
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		if (*socks[i]) {
			zmq_close(*socks[i]);
			*socks[i] = NULL;
		}
	if (d->ctl_path[0])
		unlink(d->ctl_path);
	if (d->zctx)
		zmq_ctx_term(d->zctx);
	d->zctx = NULL;
	free(d->zap_ed);
	free(d->zap_curve);
	free(d->sub_ed);
	free(d->sub_curve);
	d->zap_ed = d->zap_curve = d->sub_ed = d->sub_curve = NULL;
}

/* ---- ZAP ---- */

static int zap_add(struct daemon *d, const uint8_t ed[32], size_t *cap)
{
	uint8_t curve[32];
	if (crypto_sign_ed25519_pk_to_curve25519(curve, ed) != 0)
		return 0;
	if (d->n_zap == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		uint8_t(*e)[32] = realloc(d->zap_ed, nc * 32);
		if (!e)
			return -ENOMEM;
		d->zap_ed = e;
		uint8_t(*c)[32] = realloc(d->zap_curve, nc * 32);
		if (!c)
			return -ENOMEM;
		d->zap_curve = c;
		*cap = nc;
	}
	memcpy(d->zap_ed[d->n_zap], ed, 32);
	memcpy(d->zap_curve[d->n_zap++], curve, 32);
	return 0;
}

static void zap_add_role(struct daemon *d, const membership_t *mem, unsigned role, uint64_t now,
			 size_t *cap)
{
	size_t n = membership_list(mem, role, now, NULL, 0);
	uint8_t(*keys)[32] = calloc(n ? n : 1, 32);
	if (!keys)
		return;
	n = membership_list(mem, role, now, keys, n);
	for (size_t i = 0; i < n; i++)
		if (zap_add(d, keys[i], cap) < 0)
			break;
	free(keys);
}

/* Every key that may hold a link on one ZAP domain: on "mesh" members,
 * coordinators, founders and relays with a valid certificate now; on "sub"
 * (a relay's subscriber socket) authorities. */
static void zap_rebuild(struct daemon *d)
{
	size_t cap = 0;
	uint64_t now = (uint64_t)time(NULL);
	free(d->zap_ed);
	free(d->zap_curve);
	free(d->sub_ed);
	free(d->sub_curve);
	d->zap_ed = d->zap_curve = d->sub_ed = d->sub_curve = NULL;
	d->n_zap = d->n_sub = 0;
	d->zap_stale = false;
	const membership_t *mems[SERVED_MAX + 1];
	const uint8_t *ids[SERVED_MAX + 1];
	size_t n_mems = 0;
	if (d->node.have_nbhd && d->node.mem) {
		mems[n_mems] = d->node.mem;
		ids[n_mems++] = d->node.nbhd;
	}
	for (size_t i = 0; i < d->node.n_served; i++) {
		mems[n_mems] = d->node.served[i].mem;
		ids[n_mems++] = d->node.served[i].nbhd;
	}
	for (size_t i = 0; i < n_mems; i++) {
		zap_add_role(d, mems[i], ROLE_MEMBER, now, &cap);
		zap_add_role(d, mems[i], ROLE_RELAY, now, &cap);
		if (memcmp(ids[i], d->node.id->pk, 32) != 0)
			(void)zap_add(d, ids[i], &cap); /* the founder needs no certificate */
	}
	/* the authority table reuses zap_add on swapped arrays */
	uint8_t(*me)[32] = d->zap_ed, (*mc)[32] = d->zap_curve;
	size_t mn = d->n_zap;
	d->zap_ed = d->zap_curve = NULL;
	d->n_zap = 0;
	cap = 0;
	for (size_t i = 0; i < n_mems; i++)
		zap_add_role(d, mems[i], ROLE_AUTHORITY, now, &cap);
	d->sub_ed = d->zap_ed;
	d->sub_curve = d->zap_curve;
	d->n_sub = d->n_zap;
	d->zap_ed = me;
	d->zap_curve = mc;
	d->n_zap = mn;
}

static const uint8_t *zap_lookup(struct daemon *d, const uint8_t curve[32], bool authority)
{
	if (d->zap_stale)
		zap_rebuild(d);
	uint8_t(*ed)[32] = authority ? d->sub_ed : d->zap_ed;
	uint8_t(*cv)[32] = authority ? d->sub_curve : d->zap_curve;
	size_t n = authority ? d->n_sub : d->n_zap;
	for (size_t i = 0; i < n; i++)
		if (sodium_memcmp(cv[i], curve, 32) == 0)
			return ed[i];
	return NULL;
}

static size_t inbound_count(const struct daemon *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_links; i++)
		n += d->links[i].used && d->links[i].dir == DIR_IN;
	return n;
}

/* Decides one ZAP request. Returns the user id to give the connection (the
 * key in hex), or NULL to refuse; *why says why for the log. */
static bool zap_decide(struct daemon *d, const char *domain, const uint8_t *cred, size_t cred_len,
		       char user[65], const char **why)
{
	uint64_t now = daemon_now_ms();
	if (cred_len != 32) {
		*why = "not a CURVE key";
		return false;
	}
	if (strcmp(domain, "join") == 0) {
		if (now - d->join_window_ms > 60000) {
			d->join_window_ms = now;
			d->join_count = 0;
		}
		if (++d->join_count > JOIN_PER_MINUTE) {
			*why = "join rate limit";
			return false;
		}
		sodium_bin2hex(user, 65, cred, 32);
		return true;
	}
	bool sub = strcmp(domain, "sub") == 0;
	if (strcmp(domain, "mesh") != 0 && !sub) {
		*why = "unknown domain";
		return false;
	}
	const uint8_t *ed = zap_lookup(d, cred, sub);
	if (!ed) {
		*why = sub ? "no valid authority certificate" : "no valid certificate";
		if (sub)
			relay_refused(d, cred, "X25519 key, no valid authority certificate");
		return false;
	}
	if (sub) {
		sodium_bin2hex(user, 65, ed, 32);
		return true;
	}
	if (net_penalized(d, ed, now)) {
		*why = "cut off for misbehaving";
		return false;
	}
	if (inbound_count(d) >= d->cfg->max_inbound) {
		*why = "inbound links at their cap";
		return false;
	}
	sodium_bin2hex(user, 65, ed, 32);
	return true;
}

static int recv_part(void *s, char *buf, size_t cap, size_t *len, int *more)
{
	int n = zmq_recv(s, buf, cap, ZMQ_DONTWAIT);
	if (n < 0)
		return -1;
	*len = (size_t)n > cap ? cap : (size_t)n;
	size_t sz = sizeof(*more);
	zmq_getsockopt(s, ZMQ_RCVMORE, more, &sz);
	return (size_t)n > cap ? -2 : 0;
}

void net_zap_handle(struct daemon *d)
{
	for (;;) {
		char f[8][256];
		size_t len[8];
		int more = 1, parts = 0, bad = 0;
		while (more && parts < 8) {
			int r = recv_part(d->zap, f[parts], sizeof(f[0]) - 1, &len[parts], &more);
			if (r == -1 && parts == 0)
				return; /* EAGAIN: nothing queued */
			if (r < 0)
				bad = 1;
			f[parts][len[parts]] = '\0';
			parts++;
		}
		while (more) { /* drain anything unexpected */
			char junk[256];
			size_t jl;
			if (recv_part(d->zap, junk, sizeof(junk), &jl, &more) == -1)
				break;
			bad = 1;
		}
		char user[65] = "";
		const char *why = "malformed ZAP request";
		bool ok = !bad && parts >= 7 && strcmp(f[0], "1.0") == 0 &&
			  strcmp(f[5], "CURVE") == 0 &&
			  zap_decide(d, f[2], (const uint8_t *)f[6], len[6], user, &why);
		if (!ok) {
			d->counters_links_refused++;
			log_msg(SLOG_INFO, "refused a %s connection from %s: %s",
				parts > 2 ? f[2] : "?", parts > 3 ? f[3] : "?", why);
		}
		zmq_send(d->zap, "1.0", 3, ZMQ_SNDMORE);
		zmq_send(d->zap, f[1], parts > 1 ? len[1] : 0, ZMQ_SNDMORE);
		zmq_send(d->zap, ok ? "200" : "400", 3, ZMQ_SNDMORE);
		zmq_send(d->zap, ok ? "OK" : why, strlen(ok ? "OK" : why), ZMQ_SNDMORE);
		zmq_send(d->zap, user, strlen(user), ZMQ_SNDMORE);
		zmq_send(d->zap, "", 0, 0);
	}
}

/* ---- penalties ---- */

bool net_penalized(const struct daemon *d, const uint8_t key[32], uint64_t now_ms)
{
	for (size_t i = 0; i < d->n_penalties; i++)
		if (d->penalties[i].until_ms > now_ms && memcmp(d->penalties[i].key, key, 32) == 0)
			return true;
	return false;
}

void net_penalize(struct daemon *d, const uint8_t key[32], uint64_t now_ms)
{
	size_t slot = d->n_penalties;
	for (size_t i = 0; i < d->n_penalties; i++)
		if (d->penalties[i].until_ms <= now_ms || memcmp(d->penalties[i].key, key, 32) == 0) {
			slot = i;
			break;
		}
	if (slot == PENALTIES_MAX)
		slot = randombytes_uniform(PENALTIES_MAX);
	else if (slot == d->n_penalties)
		d->n_penalties++;
	memcpy(d->penalties[slot].key, key, 32);
	d->penalties[slot].until_ms = now_ms + (uint64_t)d->cfg->penalty_seconds * 1000;
	d->counters_peer_cutoffs++;
	for (size_t i = 0; i < d->n_strikes; i++)
		if (memcmp(d->strikes[i].key, key, 32) == 0)
			d->strikes[i].count = 0; /* a fresh count once the penalty is over */
	for (size_t i = 0; i < d->n_links; i++)
		if (d->links[i].used && memcmp(d->links[i].key, key, 32) == 0) {
			/* an inbound connection stays open under libzmq and keeps
			 * costing us its decryption: drop them all (net_maintain) */
			if (d->links[i].dir == DIR_IN)
				d->rebind = true;
			net_close_link(d, &d->links[i]);
		}
}

/* Adds count invalid messages to key's tally and returns the tally. A key
 * quiet for a whole penalty period starts afresh; when the table is full the
 * key heard from longest ago makes room. */
unsigned net_strike(struct daemon *d, const uint8_t key[32], unsigned count, uint64_t now_ms)
{
	struct strike *s = NULL, *oldest = NULL;
	for (size_t i = 0; i < d->n_strikes && !s; i++) {
		struct strike *t = &d->strikes[i];
		if (memcmp(t->key, key, 32) == 0)
			s = t;
		else if (!oldest || t->last_ms < oldest->last_ms)
			oldest = t;
	}
	if (!s) {
		s = d->n_strikes < STRIKES_MAX ? &d->strikes[d->n_strikes++] : oldest;
		memcpy(s->key, key, 32);
		s->count = 0;
	} else if (now_ms - s->last_ms > (uint64_t)d->cfg->penalty_seconds * 1000) {
		s->count = 0;
	}
	s->count += count;
	s->last_ms = now_ms;
	return s->count;
}

/* ---- links ---- */

static struct link *link_alloc(struct daemon *d)
{
	for (size_t i = 0; i < d->n_links; i++)
		if (!d->links[i].used)
			return &d->links[i];
	if (d->n_links == LINKS_MAX)
		return NULL;
	return &d->links[d->n_links++];
}

void net_close_link(struct daemon *d, struct link *l)
{
	if (!l->used)
		return;
	if (l->sock)
		zmq_close(l->sock);
	if (l->mon)
		zmq_close(l->mon);
	gossip_link_closed(d, l);
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

int net_send(struct daemon *d, struct link *l, const void *buf, size_t len)
{
	int r;
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

void net_add_candidate(struct daemon *d, const char *endpoint, const uint8_t key[32])
{
	if (memcmp(key, d->node.id->pk, 32) == 0 || !endpoint[0])
		return;
	for (size_t i = 0; i < d->n_candidates; i++) {
		struct candidate *c = &d->candidates[i];
		if (memcmp(c->key, key, 32) == 0) {
			snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
			return;
		}
	}
	if (d->n_candidates == CANDIDATES_MAX)
		return;
	struct candidate *c = &d->candidates[d->n_candidates++];
	snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
	memcpy(c->key, key, 32);
	c->failed_until_ms = 0;
}

static bool key_linked_out(const struct daemon *d, const uint8_t key[32])
{
	for (size_t i = 0; i < d->n_links; i++)
		if (d->links[i].used && d->links[i].dir == DIR_OUT &&
		    memcmp(d->links[i].key, key, 32) == 0)
			return true;
	return false;
}

/* The neighbourhood a link to key carries: a household's own; for a relay,
 * the served neighbourhood that knows the key (its founder, at first). */
static const uint8_t *nbhd_for(const struct daemon *d, const uint8_t key[32])
{
	if (d->node.have_nbhd)
		return d->node.nbhd;
	for (size_t i = 0; i < d->node.n_served; i++)
		if (membership_knows(d->node.served[i].mem, key) == 1)
			return d->node.served[i].nbhd;
	return NULL;
}

static int dial(struct daemon *d, const struct candidate *c)
{
	uint8_t server_curve[32];
	char mon_ep[64];
	const uint8_t *nbhd = nbhd_for(d, c->key);
	if (!nbhd)
		return SAMEN_ENBHD;
	struct link *l = link_alloc(d);
	if (!l)
		return -ENOSPC;
	if (crypto_sign_ed25519_pk_to_curve25519(server_curve, c->key) != 0)
		return SAMEN_EINVAL;
	memset(l, 0, sizeof(*l));
	l->sock = zmq_socket(d->zctx, ZMQ_DEALER);
	if (!l->sock)
		return -errno;
	snprintf(mon_ep, sizeof(mon_ep), "inproc://samen-mon-%u", ++d->mon_seq);
	if (link_socket_opts(l->sock) || setopt_int(l->sock, ZMQ_RECONNECT_IVL, RECONNECT_IVL_MS) ||
	    setopt_int(l->sock, ZMQ_RECONNECT_IVL_MAX, RECONNECT_IVL_MAX_MS) ||
	    zmq_setsockopt(l->sock, ZMQ_CURVE_SERVERKEY, server_curve, 32) ||
	    zmq_setsockopt(l->sock, ZMQ_CURVE_PUBLICKEY, d->node.id->curve_pk, 32) ||
	    zmq_setsockopt(l->sock, ZMQ_CURVE_SECRETKEY, d->node.id->curve_sk, 32) ||
	    zmq_socket_monitor(l->sock, mon_ep,
			       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
				       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
				       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0)
		goto fail;
	l->mon = zmq_socket(d->zctx, ZMQ_PAIR);
	if (!l->mon || setopt_int(l->mon, ZMQ_LINGER, 0) || zmq_connect(l->mon, mon_ep) != 0 ||
	    zmq_connect(l->sock, c->endpoint) != 0)
		goto fail;
	l->used = true;
	l->dir = DIR_OUT;
	memcpy(l->key, c->key, 32);
	memcpy(l->nbhd, nbhd, 32);
	l->has_nbhd = true;
	snprintf(l->endpoint, sizeof(l->endpoint), "%s", c->endpoint);
	l->created_ms = daemon_now_ms();
	log_msg(SLOG_DEBUG, "dialling %s", c->endpoint);
	return 0;
fail:
	log_msg(SLOG_WARN, "cannot dial %s: %s", c->endpoint, zmq_strerror(errno));
	if (l->mon)
		zmq_close(l->mon);
	if (l->sock)
		zmq_close(l->sock);
	memset(l, 0, sizeof(*l));
	return -EIO;
}

void net_handle_monitor(struct daemon *d, struct link *l)
{
	for (;;) {
		uint8_t ev[6];
		char addr[256];
		int n = zmq_recv(l->mon, ev, sizeof(ev), ZMQ_DONTWAIT);
		if (n < 0)
			return;
		zmq_recv(l->mon, addr, sizeof(addr), ZMQ_DONTWAIT); /* second frame */
		uint16_t event;
		memcpy(&event, ev, 2);
		uint64_t now = daemon_now_ms();
		if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
			l->up = true;
			l->since_ms = now;
			l->last_rx_ms = now;
			log_msg(SLOG_INFO, "link up to %s", l->endpoint);
			gossip_on_link_up(d, l);
		} else if (event == ZMQ_EVENT_DISCONNECTED) {
			if (l->up)
				log_msg(SLOG_INFO, "link down to %s", l->endpoint);
			l->up = false;
			l->since_ms = now;
		} else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
			/* libzmq does not retry after a ZAP refusal: drop the link and
			 * try again soon (our certificate may not have reached them) */
			log_msg(SLOG_INFO, "%s refused our key (not admitted there yet?)", l->endpoint);
			for (size_t k = 0; k < d->n_candidates; k++)
				if (memcmp(d->candidates[k].key, l->key, 32) == 0)
					d->candidates[k].failed_until_ms = now + AUTH_RETRY_MS;
			net_close_link(d, l);
			return;
		}
	}
}

static bool is_revoked(const struct daemon *d, const uint8_t key[32])
{
	return d->node.mem && membership_is_revoked(d->node.mem, key) == 1;
}

static void candidate_rest(struct daemon *d, const uint8_t key[32], uint64_t until)
{
	for (size_t k = 0; k < d->n_candidates; k++)
		if (memcmp(d->candidates[k].key, key, 32) == 0)
			d->candidates[k].failed_until_ms = until;
}

static uint64_t rotate_after(const struct daemon *d)
{
	uint64_t lo = (uint64_t)d->cfg->rotate_min_seconds * 1000;
	uint64_t hi = (uint64_t)d->cfg->rotate_max_seconds * 1000;
	uint64_t ms = (uint64_t)ROTATE_PER_PEER_MS * d->n_candidates;
	ms = ms < lo ? lo : ms > hi ? hi : ms;
	return ms / 2 + randombytes_uniform((uint32_t)ms);
}

/* Whether some candidate could be dialled now that is not linked already. */
static bool spare_candidate(const struct daemon *d, uint64_t now)
{
	for (size_t k = 0; k < d->n_candidates; k++) {
		const struct candidate *c = &d->candidates[k];
		if (c->failed_until_ms <= now && !key_linked_out(d, c->key) &&
		    !net_penalized(d, c->key, now))
			return true;
	}
	return false;
}

/* Closes one up outbound link at random, so the fill below dials another
 * candidate; the closed one rests for a while. A lazy link (push tree: one
 * that only announces ids) if there is one, so the tree that delivers stays
 * whole. */
static bool rotate_one(struct daemon *d, uint64_t now)
{
	size_t up = 0, lazy = 0;
	for (size_t i = 0; i < d->n_links; i++) {
		const struct link *l = &d->links[i];
		if (l->used && l->dir == DIR_OUT && l->up)
			up++, lazy += l->lazy;
	}
	if (!up || !spare_candidate(d, now))
		return false;
	bool want_lazy = lazy > 0;
	uint32_t pick = randombytes_uniform((uint32_t)(want_lazy ? lazy : up));
	for (size_t i = 0; i < d->n_links; i++) {
		struct link *l = &d->links[i];
		if (!l->used || l->dir != DIR_OUT || !l->up || (want_lazy && !l->lazy) || pick--)
			continue;
		log_msg(SLOG_DEBUG, "rotating the link to %s", l->endpoint);
		candidate_rest(d, l->key, now + (uint64_t)d->cfg->rotate_min_seconds * 1000);
		net_close_link(d, l);
		return true;
	}
	return false;
}

uint64_t net_mesh_due(const struct daemon *d)
{
	if (d->rebind)
		return 1;
	return !d->mesh && d->mesh_lost ? d->mesh_retry_ms : 0;
}

/* Every inbound link stays down from the rebind until the mesh socket is
 * bound again and each neighbour's dialer retries (RECONNECT_IVL_MS), and
 * records meanwhile wait for the push tree's grafts: so the loop calls this
 * right after a cut-off and every MESH_RETRY_MS while libzmq still holds the
 * port, not at the next maintenance tick (up to MAINT_MS later, and again
 * for each failed bind — a second or more in all). */
void net_mesh_tick(struct daemon *d, uint64_t now)
{
	if (!d->mesh && d->mesh_lost && now >= d->mesh_retry_ms)
		mesh_retry(d);
	if (d->rebind) {
		d->rebind = false;
		log_msg(SLOG_INFO, "dropping inbound connections to shut out a cut-off key; "
				   "neighbours redial at once");
		net_rebind_mesh(d);
	}
}

void net_maintain(struct daemon *d, uint64_t now)
{
	size_t out = 0, healthy = 0;
	uint64_t stale_in = 3ull * d->cfg->anti_entropy_seconds * 1000 + 10000;

	net_mesh_tick(d, now);

	if (d->relink) {
		d->relink = false;
		bool had_revoked_in = false;
		for (size_t i = 0; i < d->n_links; i++) {
			struct link *l = &d->links[i];
			if (!l->used || !is_revoked(d, l->key))
				continue;
			log_msg(SLOG_INFO, "closing the link of a revoked key (%s)",
				l->dir == DIR_OUT ? l->endpoint : "inbound");
			if (l->dir == DIR_IN)
				had_revoked_in = true;
			net_close_link(d, l);
		}
		if (had_revoked_in)
			net_rebind_mesh(d);
	}
	for (size_t i = 0; i < d->n_links; i++) {
		struct link *l = &d->links[i];
		if (!l->used)
			continue;
		if (l->dir == DIR_IN) {
			if (now - l->last_rx_ms > stale_in)
				net_close_link(d, l);
			continue;
		}
		/* an outbound link that never came up, or stayed down: try another */
		uint64_t ref = l->up ? 0 : (l->since_ms ? l->since_ms : l->created_ms);
		if (!l->up && now - ref > CONNECT_TIMEOUT_MS) {
			candidate_rest(d, l->key, now + RETRY_AFTER_MS);
			net_close_link(d, l);
			continue;
		}
		out++;
		healthy += l->up || !l->since_ms || now - ref <= CONNECT_GRACE_MS;
	}
	if (!d->node.have_nbhd && !d->node.n_served)
		return;
	if (!d->next_rotate_ms)
		d->next_rotate_ms = now + rotate_after(d);
	if (now >= d->next_rotate_ms) {
		d->next_rotate_ms = now + rotate_after(d);
		if (healthy >= d->cfg->active_links && rotate_one(d, now))
			out--, healthy--;
	}
	/* fill the active set with random candidates */
	unsigned tries = 0;
	while (healthy < d->cfg->active_links && out < 2 * (size_t)d->cfg->active_links &&
	       tries++ < 4 * CANDIDATES_MAX && d->n_candidates) {
		struct candidate *c = &d->candidates[randombytes_uniform((uint32_t)d->n_candidates)];
		if (c->failed_until_ms > now || key_linked_out(d, c->key) ||
		    net_penalized(d, c->key, now) || is_revoked(d, c->key))
			continue;
		if (dial(d, c) == 0)
			out++, healthy++;
		else
			c->failed_until_ms = now + RETRY_AFTER_MS;
		if (tries > d->n_candidates * 4)
			break;
	}
}
