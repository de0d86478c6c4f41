/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * daemon.h — the parts of samend that share one event loop: links to other
 * daemons (net.c), gossip and anti-entropy (gossip.c), the control socket
 * (control.c) and the join exchange (join.c). One thread does all protocol
 * work; nothing here blocks except the LMDB commit.
 */
#ifndef SAMEN_DAEMON_H
#define SAMEN_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admit.h"
#include "clock.h"
#include "config.h"
#include "linkq.h"
#include "outq.h"
#include "relay_state.h"
#include "node.h"
#include "../proto/mp.h"

#define LINKS_MAX 1100      /* active (<= 64) + inbound (<= 1024) + slack */
#define RID_MAX 256         /* ZeroMQ routing ids are at most 255 bytes */
#define WATCHERS_MAX 64
#define CANDIDATES_MAX 1024
#define PENALTIES_MAX 256
#define STRIKES_MAX 256
#define INVITES_MAX 256

enum link_dir { DIR_OUT = 1, DIR_IN = 2 };


/* A record announced lazily (IHAVE) that has not arrived yet. */
struct missing {
	uint8_t id[32];
	int link, alt;            /* who announced it (alt: another announcer, or -1) */
	uint64_t first_ms;        /* when it was first announced */
	uint64_t deadline_ms;     /* GRAFT if still missing then */
	unsigned tries;
};
#define MISSING_MAX 4096

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
	struct linkq backlog;   /* messages libzmq would not take yet (net.c) */
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

struct watcher {
	uint8_t rid[RID_MAX];
	size_t rid_len;
};

struct invite {
	uint8_t secret_hash[32];
	uint64_t expires;
	bool preapproved;
	char label[LABEL_MAX + 1];
	bool used;
	bool pending;            /* redeemed, awaiting approval */
	uint8_t joiner[32];
	char joiner_label[LABEL_MAX + 1];
	uint64_t since;
};

struct join_state {           /* this household joining elsewhere */
	bool active;
	void *sock;               /* DEALER to the coordinator's join socket */
	uint8_t nbhd[32];
	uint8_t server[32];
	uint8_t secret[16];
	char endpoint[ENDPOINT_MAX + 1];
	char label[LABEL_MAX + 1];
	uint64_t expires;
	uint64_t next_try_ms;
	char state[16];           /* "asked" (no answer yet), "pending", "refused", "member" */
	char error[128];          /* why it was refused */
	/* the `samen join` that started it waits for the coordinator's first
	 * answer (or JOIN_ANSWER_WAIT_MS) before it is told the state */
	uint8_t waiter[RID_MAX];
	size_t waiter_len;
	uint64_t waiter_until_ms;
};

/* What the daemon refused to spend on a peer, for `status` (counters). */
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

struct daemon {
	struct config *cfg;
	node_t node;
	void *zctx;
	void *zap, *mesh, *joinsock, *ctl, *subsock;
	char ctl_path[4200];
	struct link links[LINKS_MAX];
	size_t n_links;          /* slots in use or free below this index */
	struct candidate candidates[CANDIDATES_MAX];
	size_t n_candidates;
	struct penalty penalties[PENALTIES_MAX];
	size_t n_penalties;
	struct strike strikes[STRIKES_MAX];
	size_t n_strikes;
	struct watcher watchers[WATCHERS_MAX];
	size_t n_watchers;
	struct invite invites[INVITES_MAX];
	size_t n_invites;
	struct join_state join;
	struct missing missing[MISSING_MAX];
	size_t n_missing;
	uint64_t ihave_due_ms;  /* announce queued ids then (0: none queued) */
	double graft_lag_ms;    /* how late eager copies come after an id (decaying max) */
	/* traffic, for `status` and the benchmarks */
	uint64_t sent_records, sent_record_bytes, sent_ihave_ids, sent_grafts, sent_prunes;
	/* ZAP (zap.c): the keys that may link on the mesh, the authorities that
	 * may subscribe, and every key an authority certificate names (to name a
	 * refused one in the audit log) */
	struct keytab zap_mesh, zap_sub, zap_named;
	struct relay relay;      /* relay.h: subscriber sessions and the audit log */
	/* What net tells of a link's life, to whoever the loop names (gossip):
	 * up once its handshake succeeded (a dialled link), closed just before
	 * its slot is cleared. net does not know who listens. */
	void (*on_link_up)(struct daemon *d, struct link *l);
	void (*on_link_closed)(struct daemon *d, struct link *l);
	bool zap_stale;
	bool relink;             /* revocation seen: drop inbound links */
	bool rebind;             /* a cut-off key had an inbound link: drop them all */
	bool mesh_lost;          /* the mesh socket awaits binding again */
	bool pumping;            /* some link has a backlog (net_pump) */
	uint64_t mesh_retry_ms;  /* not before then */
	uint64_t next_ae_ms, next_maint_ms, next_prune_ms, next_peer_ms, next_rekey_ms;
	uint64_t next_rotate_ms; /* replace one healthy outbound link then */
	struct admit admit;      /* links per key, join budgets (zap.c) */
	uint64_t counters_bounds[BOUND_COUNT];
	uint64_t refusals_window_ms; /* ZAP refusals logged one by one (zap.c) */
	unsigned refusals_logged, refusals_unlogged;
	struct hook *hook;
	uint8_t vv_hash[32];
	bool vv_stale;
	uint64_t counters_links_refused;          /* connections our ZAP refused */
	uint64_t counters_links_refused_by_peers; /* our connections a peer's ZAP refused */
	uint64_t counters_peer_cutoffs;
	uint64_t counters_skip_clamped; /* SKIPs reaching past what the author signed */
	uint64_t started_ms;
	unsigned mon_seq;
};

/* net.c, linkio.c, penalty.c (zap.c: net_zap_handle, zap_free) */
int net_open(struct daemon *d) SAMEN_MUST_CHECK;
void net_close(struct daemon *d);
void net_zap_handle(struct daemon *d);
void zap_free(struct daemon *d);
void net_maintain(struct daemon *d, uint64_t now_ms);
void net_rebind_mesh(struct daemon *d);
/* Drops the inbound links after a cut-off (d->rebind) and binds the mesh
 * socket again, every MESH_RETRY_MS until it works. net_mesh_due() says
 * when the loop must call it next: 0 = nothing pending. */
#define MESH_RETRY_MS 5
void net_mesh_tick(struct daemon *d, uint64_t now_ms);
uint64_t net_mesh_due(const struct daemon *d);
struct link *net_link_by_rid(struct daemon *d, const uint8_t *rid, size_t len);
/* Hands one message to libzmq for l, or keeps it in l's backlog (in order)
 * while libzmq's queue for l is full. 0, -ENOBUFS when the backlog is full
 * too (the message is dropped), or another negative code. */
int net_send(struct daemon *d, struct link *l, const void *buf, size_t len);
/* Moves backlogged messages to libzmq as far as it takes them. Returns
 * whether some link still has a backlog (call again within NET_PUMP_MS). */
#define NET_PUMP_MS 20
bool net_pump(struct daemon *d);
/* The link for a new inbound connection of key on the mesh ROUTER, or NULL
 * when key holds ADMIT_LINKS_PER_KEY inbound links already (counted). */
/* A committed record, for net: who may link (ZAP) after a certificate or
 * revocation, which links close after a revocation, whom to dial after a
 * peer announcement. */
void net_record_stored(struct daemon *d, const struct record *r);
struct link *net_accept_inbound(struct daemon *d, const uint8_t key[32], const uint8_t *rid,
				size_t rid_len);
void net_close_link(struct daemon *d, struct link *l);
/* A free link slot, or NULL when LINKS_MAX are in use. */
struct link *net_link_alloc(struct daemon *d);
/* l's index in d->links (what struct missing names links by). */
int net_link_index(const struct daemon *d, const struct link *l);
/* Counts connections ZAP admitted that never became links against their
 * keys, cutting off a key with invalid_limit of them. */
void net_silent_admissions(struct daemon *d, uint64_t now_ms);
bool net_penalized(const struct daemon *d, const uint8_t key[32], uint64_t now_ms);
void net_penalize(struct daemon *d, const uint8_t key[32], uint64_t now_ms);
unsigned net_strike(struct daemon *d, const uint8_t key[32], unsigned count, uint64_t now_ms);
void net_add_candidate(struct daemon *d, const char *endpoint, const uint8_t key[32]);
/* With learn_peers, makes the peers announced in stored records candidates
 * (at start, and when a reload turns learn_peers on). */
void net_learn_stored(struct daemon *d);
void net_handle_monitor(struct daemon *d, struct link *l);
size_t net_links_up(const struct daemon *d);

/* gossip.c */
void gossip_on_message(struct daemon *d, struct link *l, const uint8_t *buf, size_t len);
void gossip_on_link_up(struct daemon *d, struct link *l);
void gossip_tick(struct daemon *d);
/* A committed record: queued for the links (pushed or announced), the
 * vector marked stale. source: the link it came on, or -1. */
void gossip_record_stored(struct daemon *d, const struct record *r, const uint8_t *buf,
			  size_t len, int source);
void gossip_flush(struct daemon *d);
void gossip_vv_hash(struct daemon *d, const uint8_t nbhd[32], uint8_t out[32]);
void gossip_publish_peer(struct daemon *d);
void gossip_link_closed(struct daemon *d, struct link *l);
/* Answers the vectors of links that kept us waiting once they read again. */
void gossip_resume(struct daemon *d);

/* control.c */
void control_handle(struct daemon *d);
/* One control request's answer, as control_handle() sends it. */
struct ctl_answer {
	struct mp_buf out;     /* the reply's bytes; mp_buf_init() it first */
	bool deferred;         /* no reply now: the module holding rid answers later */
	bool replay;           /* watch --since: events_replay() follows the reply */
	uint64_t replay_since;
};
/* Answers the len bytes of request req from routing id rid (no socket
 * involved: what the op does to d, and the reply in a->out, replacing what
 * was there). control_handle() is this and the sending. */
void control_answer(struct daemon *d, const uint8_t *rid, size_t rid_len, const uint8_t *req,
		    size_t len, struct ctl_answer *a);

/* join.c */
void join_server_handle(struct daemon *d);
void join_client_handle(struct daemon *d);
void join_tick(struct daemon *d, uint64_t now_ms);
int join_load(struct daemon *d);
int join_invite(struct daemon *d, bool preapproved, uint64_t hours, const char *label,
		char *code, size_t cap) SAMEN_MUST_CHECK;
int join_approve(struct daemon *d, const uint8_t key[32], uint8_t cert_id[32]) SAMEN_MUST_CHECK;
int join_start(struct daemon *d, const char *code, const char *label) SAMEN_MUST_CHECK;
/* rid's control request is answered once the coordinator first answers the
 * join join_start() began, or after JOIN_ANSWER_WAIT_MS. */
void join_answer_later(struct daemon *d, const uint8_t *rid, size_t rid_len);
#define JOIN_ANSWER_WAIT_MS 10000

#endif
