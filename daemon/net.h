/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * net.h — links to other daemons: the mesh ROUTER that neighbours dial, the
 * DEALERs this daemon dials, the ZAP handler that decides who may complete
 * a CURVE handshake, and the penalties of peers that misbehave (mesh.c,
 * linkio.c, zap.c, penalty.c). net owns every link; what travels over one
 * is gossip's, which reaches links only through the functions below.
 */
#ifndef SAMEN_NET_H
#define SAMEN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admit.h"
#include "clock.h"
#include "config.h"
#include "linkq.h"
#include "node.h"
#include "outq.h"
#include "router.h"

#define LINKS_MAX 1100      /* active (<= 64) + inbound (<= 1024) + slack */
#define CANDIDATES_MAX 1024
#define PENALTIES_MAX 256
#define STRIKES_MAX 256

enum link_dir { DIR_OUT = 1, DIR_IN = 2 };

/* One link. The queues and the vector wait below are gossip's: they live
 * here because they are per link and end with it (on_link_closed). */
struct link {
	bool used;
	enum link_dir dir;
	void *sock;             /* DIR_OUT: our DEALER */
	void *mon;              /* DIR_OUT: PAIR reading the DEALER's monitor */
	uint8_t key[32];        /* the peer's Ed25519 key */
	uint8_t nbhd[32];       /* the neighbourhood this link carries */
	bool has_nbhd;          /* DIR_IN: set by the peer's HELLO */
	uint8_t rid[RID_MAX];   /* DIR_IN: routing id on the mesh ROUTER */
	size_t rid_len;
	char endpoint[ENDPOINT_MAX + 1];
	bool up;                /* handshake done (out) / HELLO seen (in) */
	uint64_t created_ms, since_ms, last_rx_ms;
	unsigned invalid;       /* misbehaving records received */
	/* what waits to go out on this link after the current ingest */
	struct outq push;       /* full records, pushed eagerly */
	struct outq reply;      /* full records asked for (VV answer, GRAFT) */
	struct outq ihave;      /* ids announced lazily (push tree) */
	bool lazy;              /* push tree: the peer pruned us; send ids only */
	struct linkq backlog;   /* messages libzmq would not take yet (linkio.c) */
	uint8_t *vv_wait;       /* the peer's last vector, answered once it reads */
	size_t vv_wait_n;
	bool vv_waiting;
};

struct candidate {
	char endpoint[ENDPOINT_MAX + 1];
	uint8_t key[32];
	uint64_t failed_until_ms; /* don't dial again before */
};

struct penalty {
	uint8_t key[32];
	uint64_t until_ms;
};

/* Invalid messages counted per key, across all its connections: a peer
 * must not restart its count by reconnecting. */
struct strike {
	uint8_t key[32];
	unsigned count;
	uint64_t last_ms;
};

/* What the daemon refused to spend on a peer, for `status`. One list for
 * the protocol's names; net counts the last two, gossip the others. */
enum bound {
	BOUND_PUSH_DROPPED,   /* pushed records not queued: the peer does not read */
	BOUND_REPLY_DEFERRED, /* asked-for records left for the next round, same cause */
	BOUND_VV_DEFERRED,    /* vector answers postponed until the peer reads */
	BOUND_GRAFT_REFUSED,  /* GRAFT ids repeated, or asked while the peer does not read */
	BOUND_IHAVE_REFUSED,  /* IHAVE ids past the per-link cap */
	BOUND_JOIN_REFUSED,   /* join handshakes over a budget */
	BOUND_LINKS_PER_KEY,  /* inbound connections over a key's cap */
	BOUND_COUNT
};
const char *net_bound_name(enum bound b);

/* Ed25519 keys with their X25519 forms, as CURVE presents them. */
struct keytab {
	uint8_t (*ed)[32];
	uint8_t (*curve)[32];
	size_t n, cap;
};

/* What net counted, for `status`. */
struct net_counters {
	uint64_t links_refused;          /* connections our ZAP refused */
	uint64_t links_refused_by_peers; /* our connections a peer's ZAP refused */
	uint64_t peer_cutoffs;
	uint64_t bounds[BOUND_COUNT];    /* BOUND_JOIN_REFUSED, BOUND_LINKS_PER_KEY */
};

struct net {
	struct config *cfg;      /* the loop's, as are node and zctx */
	node_t *node;
	void *zctx;
	void *zap, *mesh;
	struct link links[LINKS_MAX];
	size_t n_links;          /* slots in use or free below this index */
	struct candidate candidates[CANDIDATES_MAX];
	size_t n_candidates;
	struct penalty penalties[PENALTIES_MAX];
	size_t n_penalties;
	struct strike strikes[STRIKES_MAX];
	size_t n_strikes;
	/* ZAP (zap.c): the keys that may link on the mesh, the authorities that
	 * may subscribe, and every key an authority certificate names (to name a
	 * refused one in the audit log) */
	struct keytab zap_mesh, zap_sub, zap_named;
	bool zap_stale;
	bool relink;             /* revocation seen: drop inbound links */
	bool rebind;             /* a cut-off key had an inbound link: drop them all */
	bool mesh_lost;          /* the mesh socket awaits binding again */
	uint64_t mesh_retry_ms;  /* not before then */
	uint64_t next_rotate_ms; /* replace one healthy outbound link then */
	unsigned mon_seq;        /* names each dialled link's monitor socket */
	struct admit admit;      /* links per key, join budgets (zap.c) */
	uint64_t refusals_window_ms; /* ZAP refusals logged one by one (zap.c) */
	unsigned refusals_logged, refusals_unlogged;
	struct net_counters counters;
	/* What net tells, to whoever the loop names: a link is up once its
	 * handshake succeeded (a dialled link), closed just before its slot
	 * is cleared (gossip listens); a subscriber's handshake was refused
	 * (the relay's audit log listens). net does not know who listens. */
	void *link_ctx;
	void (*on_link_up)(void *ctx, struct link *l);
	void (*on_link_closed)(void *ctx, struct link *l);
	void *refused_ctx;
	void (*on_sub_refused)(void *ctx, const uint8_t key[32], bool curve, const char *why);
};

/* mesh.c, linkio.c, penalty.c, zap.c. cfg, node and zctx are set first. */
int net_open(struct net *net) SAMEN_MUST_CHECK;
void net_close(struct net *net);
/* A CURVE server socket of this daemon's key bound to endpoint, its ZAP
 * domain "mesh", "join" or "sub"; NULL (logged) when it cannot bind. */
void *net_curve_server(struct net *net, const char *endpoint, const char *domain);
void net_zap_handle(struct net *net);
void zap_free(struct net *net);
/* The next time a ZAP request comes, who may link is worked out afresh
 * (after a certificate or revocation, a reload, a join). */
void net_zap_stale(struct net *net);
/* Inbound links are checked against the membership again (after a
 * reload): a revoked key's links close. */
void net_relink(struct net *net);
void net_maintain(struct net *net, uint64_t now_ms);
void net_rebind_mesh(struct net *net);
/* Drops the inbound links after a cut-off (rebind) and binds the mesh
 * socket again, every MESH_RETRY_MS until it works. net_mesh_due() says
 * when the loop must call it next: 0 = nothing pending. */
#define MESH_RETRY_MS 5
void net_mesh_tick(struct net *net, uint64_t now_ms);
uint64_t net_mesh_due(const struct net *net);
/* The mesh ROUTER, for the loop's poll and reads (NULL while rebinding). */
void *net_mesh_socket(const struct net *net);
void *net_zap_socket(const struct net *net);
/* The link slots below this index, and slot i of them (used or not): how
 * other modules walk the links. */
size_t net_link_slots(const struct net *net);
struct link *net_link(struct net *net, size_t i);
struct link *net_link_by_rid(struct net *net, const uint8_t *rid, size_t len);
/* Hands one message to libzmq for l, or keeps it in l's backlog (in order)
 * while libzmq's queue for l is full. 0, -ENOBUFS when the backlog is full
 * too (the message is dropped), or another negative code. */
int net_send(struct net *net, struct link *l, const void *buf, size_t len);
/* Moves backlogged messages to libzmq as far as it takes them. Returns
 * whether some link still has a backlog (call again within NET_PUMP_MS). */
#define NET_PUMP_MS 20
bool net_pump(struct net *net);
/* A committed record, for net: who may link (ZAP) after a certificate or
 * revocation, which links close after a revocation, whom to dial after a
 * peer announcement. */
void net_record_stored(struct net *net, const struct record *r);
/* The link for a new inbound connection of key on the mesh ROUTER, or NULL
 * when key holds ADMIT_LINKS_PER_KEY inbound links already (counted). */
struct link *net_accept_inbound(struct net *net, const uint8_t key[32], const uint8_t *rid,
				size_t rid_len);
void net_close_link(struct net *net, struct link *l);
/* A free link slot, or NULL when LINKS_MAX are in use. */
struct link *net_link_alloc(struct net *net);
/* l's index among the slots (what gossip names links by). */
int net_link_index(const struct net *net, const struct link *l);
/* Counts connections ZAP admitted that never became links against their
 * keys, cutting off a key with invalid_limit of them. */
void net_silent_admissions(struct net *net, uint64_t now_ms);
bool net_penalized(const struct net *net, const uint8_t key[32], uint64_t now_ms);
void net_penalize(struct net *net, const uint8_t key[32], uint64_t now_ms);
unsigned net_strike(struct net *net, const uint8_t key[32], unsigned count, uint64_t now_ms);
void net_add_candidate(struct net *net, const char *endpoint, const uint8_t key[32]);
/* With learn_peers, makes the peers announced in stored records candidates
 * (at start, and when a reload turns learn_peers on). */
void net_learn_stored(struct net *net);
void net_handle_monitor(struct net *net, struct link *l);
size_t net_links_up(const struct net *net);
const struct net_counters *net_counters(const struct net *net);

#endif
