/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * mesh.c — sockets: the mesh ROUTER that neighbours dial, the DEALERs this
 * daemon dials, and the random active set of peers kept at `active_links`.
 * The ZAP handler is zap.c, what goes over one link linkio.c, penalties
 * penalty.c; together they are the daemon's "net" layer (net_*).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "net.h"
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

static int setopt_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

/* Options every CURVE link socket shares: bounded messages, heartbeats so a
 * dead peer is noticed, and no lingering on close. Received messages wait
 * in libzmq until the loop reads them: at most LINK_RCVHWM per peer, so a
 * peer sending faster than this daemon checks what it sends makes its own
 * queue (and TCP) back up, not this daemon's memory (10000 messages of up
 * to 1 MiB each would be 10 GiB). What we send waits the same way, at most
 * LINKQ_SNDHWM messages in libzmq and LINKQ_BYTES_MAX behind them (net_send):
 * a peer that asks for much and reads nothing cannot grow our memory. */
#define LINK_RCVHWM 64
/* A subscriber's send limit: credit-based flow control bounds what the
 * relay queues (at most a window of records); the limit is a second fence,
 * never reached by a well-behaved subscriber. At the mesh's LINKQ_SNDHWM a
 * catch-up stalled at each window until the next timer. */
#define SUB_SNDHWM 4096
static int link_socket_opts(void *s)
{
	int64_t max = LINK_MSG_MAX;
	if (zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof(max)) || setopt_int(s, ZMQ_LINGER, 0) ||
	    setopt_int(s, ZMQ_HEARTBEAT_IVL, HEARTBEAT_IVL_MS) ||
	    setopt_int(s, ZMQ_HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS) ||
	    setopt_int(s, ZMQ_HEARTBEAT_TTL, HEARTBEAT_TIMEOUT_MS) ||
	    setopt_int(s, ZMQ_SNDHWM, LINKQ_SNDHWM) || setopt_int(s, ZMQ_RCVHWM, LINK_RCVHWM))
		return -errno;
	return 0;
}

/* Opens a CURVE server socket bound to endpoint; NULL with *err set (and
 * nothing logged) on failure. */
static void *curve_server_try(struct net *net, const char *endpoint, const char *domain,
			      int *err)
{
	void *s = zmq_socket(net->zctx, ZMQ_ROUTER);
	if (!s) {
		*err = errno;
		return NULL;
	}
	/* the subscriber socket's own send limit, before the bind: libzmq gives
	 * each accepted connection the options the socket had when it was
	 * bound and listening, so a limit set afterwards never reaches them */
	bool sub = strcmp(domain, "sub") == 0;
	if (link_socket_opts(s) || (sub && setopt_int(s, ZMQ_SNDHWM, SUB_SNDHWM)) ||
	    setopt_int(s, ZMQ_CURVE_SERVER, 1) ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, net->node->id->curve_sk, 32) ||
	    zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) ||
	    setopt_int(s, ZMQ_ROUTER_MANDATORY, 1) || zmq_bind(s, endpoint) != 0) {
		*err = errno;
		zmq_close(s);
		return NULL;
	}
	return s;
}

void *net_curve_server(struct net *net, const char *endpoint, const char *domain)
{
	int err = 0;
	void *s = curve_server_try(net, endpoint, domain, &err);
	if (!s)
		log_msg(SLOG_ERR, "cannot bind %s (%s): %s", endpoint, domain, zmq_strerror(err));
	return s;
}

/* Binds the mesh socket again after net_rebind_mesh() closed it. zmq_close()
 * is asynchronous: libzmq's I/O thread releases the old socket's port a
 * moment later, so the first try often fails with EADDRINUSE; net_mesh_tick()
 * tries again every MESH_RETRY_MS until it works. */
static void mesh_retry(struct net *net)
{
	int err = 0;
	net->mesh = curve_server_try(net, net->cfg->listen, "mesh", &err);
	net->mesh_retry_ms = daemon_now_ms() + MESH_RETRY_MS;
	if (net->mesh) {
		if (net->mesh_lost)
			log_msg(SLOG_INFO, "mesh socket %s open again", net->cfg->listen);
		net->mesh_lost = false;
	} else if (!net->mesh_lost) {
		net->mesh_lost = true;
		log_msg(err == EADDRINUSE ? SLOG_INFO : SLOG_ERR,
			"cannot bind %s again yet (%s); neighbours cannot dial in until it is "
			"back, retrying", net->cfg->listen, zmq_strerror(err));
	}
}

void net_rebind_mesh(struct net *net)
{
	if (!net->cfg->listen[0])
		return;
	/* libzmq cannot close one inbound connection of a ROUTER; closing the
	 * socket drops them all. Honest neighbours' DEALERs reconnect at once
	 * and pass ZAP again; a revoked key does not. */
	for (size_t i = 0; i < net->n_links; i++)
		if (net->links[i].used && net->links[i].dir == DIR_IN)
			net_close_link(net, &net->links[i]);
	/* connections admitted but not yet links go with the socket: they
	 * were not silent, and their keys redial */
	admit_pending_clear(&net->admit);
	if (net->mesh)
		zmq_close(net->mesh);
	net->mesh = NULL;
	mesh_retry(net);
}

static int learn_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct net *net = ctx;
	struct record r;
	(void)id;
	if (record_decode(data, len, &r) == 0 && r.kind == REC_PEER &&
	    r.u.peer.expires > (uint64_t)time(NULL))
		net_add_candidate(net, r.u.peer.endpoint, r.author);
	return 0;
}

/* Peers learned from announcements before a restart are candidates again
 * at once: a household configured with one peer that is down would
 * otherwise start with nobody to dial. */
void net_learn_stored(struct net *net)
{
	if (!net->cfg->learn_peers)
		return;
	if (net->node->have_nbhd)
		(void)store_each_by_kind(net->node->store, net->node->nbhd, REC_PEER, learn_one, net);
	for (size_t i = 0; i < net->node->n_served; i++)
		(void)store_each_by_kind(net->node->store, net->node->served[i].nbhd, REC_PEER, learn_one,
					 net);
}

int net_open(struct net *net)
{
	/* ZAP first: a CURVE server bound before a handler exists would let
	 * every key in (libzmq admits all when nobody answers ZAP). */
	net->zap = zmq_socket(net->zctx, ZMQ_REP);
	if (!net->zap || setopt_int(net->zap, ZMQ_LINGER, 0) ||
	    zmq_bind(net->zap, "inproc://zeromq.zap.01") != 0) {
		log_msg(SLOG_ERR, "cannot start the ZAP handler: %s", zmq_strerror(errno));
		return -EIO;
	}
	net->zap_stale = true;
	if (net->cfg->listen[0]) {
		net->mesh = net_curve_server(net, net->cfg->listen, "mesh");
		if (!net->mesh)
			return -EADDRINUSE;
	}
	net_learn_stored(net);
	/* after: a configured endpoint wins over an announced one */
	for (unsigned i = 0; i < net->cfg->n_peers; i++)
		net_add_candidate(net, net->cfg->peers[i].endpoint, net->cfg->peers[i].key);
	return 0;
}

void net_close(struct net *net)
{
	for (size_t i = 0; i < net->n_links; i++)
		if (net->links[i].used)
			net_close_link(net, &net->links[i]);
	void **socks[] = {&net->zap, &net->mesh};
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		if (*socks[i]) {
			zmq_close(*socks[i]);
			*socks[i] = NULL;
		}
	zap_free(net);
}

void net_zap_stale(struct net *net)
{
	net->zap_stale = true;
}

void net_relink(struct net *net)
{
	net->relink = true;
}

void *net_mesh_socket(const struct net *net)
{
	return net->mesh;
}

void *net_zap_socket(const struct net *net)
{
	return net->zap;
}

void net_add_candidate(struct net *net, const char *endpoint, const uint8_t key[32])
{
	if (memcmp(key, net->node->id->pk, 32) == 0 || !endpoint[0])
		return;
	for (size_t i = 0; i < net->n_candidates; i++) {
		struct candidate *c = &net->candidates[i];
		if (memcmp(c->key, key, 32) == 0) {
			snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
			return;
		}
	}
	if (net->n_candidates == CANDIDATES_MAX)
		return;
	struct candidate *c = &net->candidates[net->n_candidates++];
	snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
	memcpy(c->key, key, 32);
	c->failed_until_ms = 0;
}

static bool key_linked_out(const struct net *net, const uint8_t key[32])
{
	for (size_t i = 0; i < net->n_links; i++)
		if (net->links[i].used && net->links[i].dir == DIR_OUT &&
		    memcmp(net->links[i].key, key, 32) == 0)
			return true;
	return false;
}

/* The neighbourhood a link to key carries: a household's own; for a relay,
 * the served neighbourhood that knows the key (its founder, at first). */
static const uint8_t *nbhd_for(const struct net *net, const uint8_t key[32])
{
	if (net->node->have_nbhd)
		return net->node->nbhd;
	for (size_t i = 0; i < net->node->n_served; i++)
		if (membership_knows(net->node->served[i].mem, key) == 1)
			return net->node->served[i].nbhd;
	return NULL;
}

static int dial(struct net *net, const struct candidate *c)
{
	uint8_t server_curve[32];
	char mon_ep[64];
	const uint8_t *nbhd = nbhd_for(net, c->key);
	if (!nbhd)
		return SAMEN_ENBHD;
	struct link *l = net_link_alloc(net);
	if (!l)
		return -ENOSPC;
	if (crypto_sign_ed25519_pk_to_curve25519(server_curve, c->key) != 0)
		return SAMEN_EINVAL;
	memset(l, 0, sizeof(*l));
	l->sock = zmq_socket(net->zctx, ZMQ_DEALER);
	if (!l->sock)
		return -errno;
	snprintf(mon_ep, sizeof(mon_ep), "inproc://samen-mon-%u", ++net->mon_seq);
	if (link_socket_opts(l->sock) || setopt_int(l->sock, ZMQ_RECONNECT_IVL, RECONNECT_IVL_MS) ||
	    setopt_int(l->sock, ZMQ_RECONNECT_IVL_MAX, RECONNECT_IVL_MAX_MS) ||
	    zmq_setsockopt(l->sock, ZMQ_CURVE_SERVERKEY, server_curve, 32) ||
	    zmq_setsockopt(l->sock, ZMQ_CURVE_PUBLICKEY, net->node->id->curve_pk, 32) ||
	    zmq_setsockopt(l->sock, ZMQ_CURVE_SECRETKEY, net->node->id->curve_sk, 32) ||
	    zmq_socket_monitor(l->sock, mon_ep,
			       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
				       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
				       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0)
		goto fail;
	l->mon = zmq_socket(net->zctx, ZMQ_PAIR);
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

void net_handle_monitor(struct net *net, struct link *l)
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
			if (net->on_link_up)
				net->on_link_up(net->link_ctx, l);
		} else if (event == ZMQ_EVENT_DISCONNECTED) {
			if (l->up)
				log_msg(SLOG_INFO, "link down to %s", l->endpoint);
			/* the next connection starts with HELLO, not with what
			 * waited for this one */
			linkq_free(&l->backlog);
			l->up = false;
			l->since_ms = now;
		} else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
			/* libzmq does not retry after a ZAP refusal: drop the link and
			 * try again soon (our certificate may not have reached them) */
			log_msg(SLOG_INFO, "%s refused our key (not admitted there yet?)", l->endpoint);
			net->counters.links_refused_by_peers++;
			for (size_t k = 0; k < net->n_candidates; k++)
				if (memcmp(net->candidates[k].key, l->key, 32) == 0)
					net->candidates[k].failed_until_ms = now + AUTH_RETRY_MS;
			net_close_link(net, l);
			return;
		}
	}
}

/* Revoked in this household's neighbourhood or, on a relay, in any it
 * serves: a relay holds no neighbourhood of its own. */
static bool is_revoked(const struct net *net, const uint8_t key[32])
{
	if (net->node->mem && membership_is_revoked(net->node->mem, key) == 1)
		return true;
	for (size_t i = 0; i < net->node->n_served; i++)
		if (net->node->served[i].mem && membership_is_revoked(net->node->served[i].mem, key) == 1)
			return true;
	return false;
}

static void candidate_rest(struct net *net, const uint8_t key[32], uint64_t until)
{
	for (size_t k = 0; k < net->n_candidates; k++)
		if (memcmp(net->candidates[k].key, key, 32) == 0)
			net->candidates[k].failed_until_ms = until;
}

static uint64_t rotate_after(const struct net *net)
{
	uint64_t lo = (uint64_t)net->cfg->rotate_min_seconds * 1000;
	uint64_t hi = (uint64_t)net->cfg->rotate_max_seconds * 1000;
	uint64_t ms = (uint64_t)ROTATE_PER_PEER_MS * net->n_candidates;
	ms = ms < lo ? lo : ms > hi ? hi : ms;
	return ms / 2 + randombytes_uniform((uint32_t)ms);
}

/* Whether some candidate could be dialled now that is not linked already. */
static bool spare_candidate(const struct net *net, uint64_t now)
{
	for (size_t k = 0; k < net->n_candidates; k++) {
		const struct candidate *c = &net->candidates[k];
		if (c->failed_until_ms <= now && !key_linked_out(net, c->key) &&
		    !net_penalized(net, c->key, now))
			return true;
	}
	return false;
}

/* Closes one up outbound link at random, so the fill below dials another
 * candidate; the closed one rests for a while. A lazy link (push tree: one
 * that only announces ids) if there is one, so the tree that delivers stays
 * whole. */
static bool rotate_one(struct net *net, uint64_t now)
{
	size_t up = 0, lazy = 0;
	for (size_t i = 0; i < net->n_links; i++) {
		const struct link *l = &net->links[i];
		if (l->used && l->dir == DIR_OUT && l->up)
			up++, lazy += l->lazy;
	}
	if (!up || !spare_candidate(net, now))
		return false;
	bool want_lazy = lazy > 0;
	uint32_t pick = randombytes_uniform((uint32_t)(want_lazy ? lazy : up));
	for (size_t i = 0; i < net->n_links; i++) {
		struct link *l = &net->links[i];
		if (!l->used || l->dir != DIR_OUT || !l->up || (want_lazy && !l->lazy) || pick--)
			continue;
		log_msg(SLOG_DEBUG, "rotating the link to %s", l->endpoint);
		candidate_rest(net, l->key, now + (uint64_t)net->cfg->rotate_min_seconds * 1000);
		net_close_link(net, l);
		return true;
	}
	return false;
}

/* A revoked key's links close as soon as the revocation is stored, before
 * anything else is forwarded over them. libzmq cannot close one inbound
 * connection, so a revoked key's inbound link takes the whole mesh socket
 * with it; ZAP then refuses that key when it redials. */
static void close_revoked(struct net *net)
{
	bool had_revoked_in = false;
	net->relink = false;
	for (size_t i = 0; i < net->n_links; i++) {
		struct link *l = &net->links[i];
		if (!l->used || !is_revoked(net, l->key))
			continue;
		log_msg(SLOG_INFO, "closing the link of a revoked key (%s)",
			l->dir == DIR_OUT ? l->endpoint : "inbound");
		if (l->dir == DIR_IN)
			had_revoked_in = true;
		net_close_link(net, l);
	}
	if (had_revoked_in)
		net_rebind_mesh(net);
}

uint64_t net_mesh_due(const struct net *net)
{
	if (net->rebind || net->relink)
		return 1;
	return !net->mesh && net->mesh_lost ? net->mesh_retry_ms : 0;
}

/* Every inbound link stays down from the rebind until the mesh socket is
 * bound again and each neighbour's dialer retries (RECONNECT_IVL_MS), and
 * records meanwhile wait for the push tree's grafts: so the loop calls this
 * right after a cut-off and every MESH_RETRY_MS while libzmq still holds the
 * port, not at the next maintenance tick (up to MAINT_MS later, and again
 * for each failed bind — a second or more in all). */
void net_mesh_tick(struct net *net, uint64_t now)
{
	if (!net->mesh && net->mesh_lost && now >= net->mesh_retry_ms)
		mesh_retry(net);
	if (net->relink)
		close_revoked(net);
	if (net->rebind) {
		net->rebind = false;
		log_msg(SLOG_INFO, "dropping inbound connections to shut out a cut-off key; "
				   "neighbours redial at once");
		net_rebind_mesh(net);
	}
}

void net_maintain(struct net *net, uint64_t now)
{
	size_t out = 0, healthy = 0;
	uint64_t stale_in = 3ull * net->cfg->anti_entropy_seconds * 1000 + 10000;

	net_mesh_tick(net, now);
	net_silent_admissions(net, now);

	for (size_t i = 0; i < net->n_links; i++) {
		struct link *l = &net->links[i];
		if (!l->used)
			continue;
		if (l->dir == DIR_IN) {
			if (now - l->last_rx_ms > stale_in)
				net_close_link(net, l);
			continue;
		}
		/* an outbound link that never came up, or stayed down: try another */
		uint64_t ref = l->up ? 0 : (l->since_ms ? l->since_ms : l->created_ms);
		if (!l->up && now - ref > CONNECT_TIMEOUT_MS) {
			candidate_rest(net, l->key, now + RETRY_AFTER_MS);
			net_close_link(net, l);
			continue;
		}
		out++;
		healthy += l->up || !l->since_ms || now - ref <= CONNECT_GRACE_MS;
	}
	if (!net->node->have_nbhd && !net->node->n_served)
		return;
	if (!net->next_rotate_ms)
		net->next_rotate_ms = now + rotate_after(net);
	if (now >= net->next_rotate_ms) {
		net->next_rotate_ms = now + rotate_after(net);
		if (healthy >= net->cfg->active_links && rotate_one(net, now))
			out--, healthy--;
	}
	/* fill the active set with random candidates */
	unsigned tries = 0;
	while (healthy < net->cfg->active_links && out < 2 * (size_t)net->cfg->active_links &&
	       tries++ < 4 * CANDIDATES_MAX && net->n_candidates) {
		struct candidate *c = &net->candidates[randombytes_uniform((uint32_t)net->n_candidates)];
		if (c->failed_until_ms > now || key_linked_out(net, c->key) ||
		    net_penalized(net, c->key, now) || is_revoked(net, c->key))
			continue;
		if (dial(net, c) == 0)
			out++, healthy++;
		else
			c->failed_until_ms = now + RETRY_AFTER_MS;
		if (tries > net->n_candidates * 4)
			break;
	}
}

void net_record_stored(struct net *net, const struct record *r)
{
	if (r->kind == REC_CERT || r->kind == REC_REVOCATION) {
		net->zap_stale = true; /* who may link has changed */
		if (r->kind == REC_REVOCATION)
			net->relink = true; /* and a revoked key's links close */
	}
	if (r->kind == REC_PEER && net->cfg->learn_peers && memcmp(r->author, net->node->id->pk, 32) != 0)
		net_add_candidate(net, r->u.peer.endpoint, r->author);
}
