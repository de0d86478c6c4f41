/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * zap.c — the ZAP handler: which key may complete a CURVE handshake on
 * which socket ("mesh": members, coordinators, relays and the founder with a
 * valid certificate; "sub": authorities; "join": anyone, within the join
 * budgets), failing closed. The tables are rebuilt when the membership
 * changes (net->zap_stale).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "admit.h"
#include "net.h"
#include "log.h"

static int keytab_add(struct keytab *t, const uint8_t ed[32])
{
	uint8_t curve[32];
	if (crypto_sign_ed25519_pk_to_curve25519(curve, ed) != 0)
		return 0;
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		uint8_t(*e)[32] = realloc(t->ed, nc * 32);
		if (!e)
			return -ENOMEM;
		t->ed = e;
		uint8_t(*c)[32] = realloc(t->curve, nc * 32);
		if (!c)
			return -ENOMEM;
		t->curve = c;
		t->cap = nc;
	}
	memcpy(t->ed[t->n], ed, 32);
	memcpy(t->curve[t->n++], curve, 32);
	return 0;
}

static void keytab_clear(struct keytab *t)
{
	free(t->ed);
	free(t->curve);
	memset(t, 0, sizeof(*t));
}

static const uint8_t *keytab_find(const struct keytab *t, const uint8_t curve[32])
{
	for (size_t i = 0; i < t->n; i++)
		if (sodium_memcmp(t->curve[i], curve, 32) == 0)
			return t->ed[i];
	return NULL;
}

/* Adds the keys of role: those valid at now, or (named) every key a
 * certificate of role names. */
static void keytab_add_role(struct keytab *t, const membership_t *mem, unsigned role,
			    uint64_t now, bool named)
{
	size_t n = named ? membership_named(mem, role, NULL, 0)
			 : membership_list(mem, role, now, NULL, 0);
	uint8_t(*keys)[32] = calloc(n ? n : 1, 32);
	if (!keys)
		return;
	n = named ? membership_named(mem, role, keys, n) : membership_list(mem, role, now, keys, n);
	for (size_t i = 0; i < n; i++)
		if (keytab_add(t, keys[i]) < 0)
			break;
	free(keys);
}

void zap_free(struct net *net)
{
	keytab_clear(&net->zap_mesh);
	keytab_clear(&net->zap_sub);
	keytab_clear(&net->zap_named);
}

/* Every key that may hold a link on one ZAP domain: on "mesh" members,
 * coordinators, founders and relays with a valid certificate now; on "sub"
 * (a relay's subscriber socket) authorities. */
static void zap_rebuild(struct net *net)
{
	uint64_t now = (uint64_t)time(NULL);
	zap_free(net);
	net->zap_stale = false;
	const membership_t *mems[SERVED_MAX + 1];
	const uint8_t *ids[SERVED_MAX + 1];
	size_t n_mems = 0;
	if (net->node->have_nbhd && net->node->mem) {
		mems[n_mems] = net->node->mem;
		ids[n_mems++] = net->node->nbhd;
	}
	for (size_t i = 0; i < net->node->n_served; i++) {
		mems[n_mems] = net->node->served[i].mem;
		ids[n_mems++] = net->node->served[i].nbhd;
	}
	for (size_t i = 0; i < n_mems; i++) {
		keytab_add_role(&net->zap_mesh, mems[i], ROLE_MEMBER, now, false);
		keytab_add_role(&net->zap_mesh, mems[i], ROLE_RELAY, now, false);
		if (memcmp(ids[i], net->node->id->pk, 32) != 0)
			(void)keytab_add(&net->zap_mesh, ids[i]); /* the founder needs no certificate */
		keytab_add_role(&net->zap_sub, mems[i], ROLE_AUTHORITY, now, false);
		if (net->node->n_served)
			keytab_add_role(&net->zap_named, mems[i], ROLE_AUTHORITY, now, true);
	}
}

/* The Ed25519 key of a connection's X25519 key, if it may link on the mesh
 * (or, with authority, subscribe); NULL otherwise. */
static const uint8_t *zap_lookup(struct net *net, const uint8_t curve[32], bool authority)
{
	if (net->zap_stale)
		zap_rebuild(net);
	return keytab_find(authority ? &net->zap_sub : &net->zap_mesh, curve);
}

/* Inbound links of key (NULL: of every key), counting connections ZAP
 * admitted whose first message has not arrived yet. */
static size_t inbound_count(struct net *net, const uint8_t *key, uint64_t now)
{
	size_t n = admit_pending_count(&net->admit, key, now);
	for (size_t i = 0; i < net->n_links; i++) {
		const struct link *l = &net->links[i];
		n += l->used && l->dir == DIR_IN && (!key || memcmp(l->key, key, 32) == 0);
	}
	return n;
}

/* Decides one ZAP request. Returns the user id to give the connection (the
 * key in hex), or NULL to refuse; *why says why for the log. */
static bool zap_decide(struct net *net, const char *domain, const char *addr, const uint8_t *cred,
		       size_t cred_len, char user[65], const char **why)
{
	uint64_t now = daemon_now_ms();
	if (cred_len != 32) {
		*why = "not a CURVE key";
		return false;
	}
	if (strcmp(domain, "join") == 0) {
		if (!admit_join(&net->admit, cred, addr, now, why)) {
			net->counters.bounds[BOUND_JOIN_REFUSED]++;
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
	const uint8_t *ed = zap_lookup(net, cred, sub);
	if (!ed) {
		*why = sub ? "no valid authority certificate" : "no valid certificate";
		if (sub) {
			/* named as `samen members` names it, if a certificate names it */
			const uint8_t *known = keytab_find(&net->zap_named, cred);
			if (net->on_sub_refused)
				net->on_sub_refused(net->refused_ctx, known ? known : cred, !known,
						    known ? "authority certificate revoked or expired"
							  : "no certificate names this key");
		}
		return false;
	}
	if (sub) {
		sodium_bin2hex(user, 65, ed, 32);
		return true;
	}
	if (net_penalized(net, ed, now)) {
		*why = "cut off for misbehaving";
		return false;
	}
	if (inbound_count(net, NULL, now) >= net->cfg->max_inbound) {
		*why = "inbound links at their cap";
		return false;
	}
	if (inbound_count(net, ed, now) >= ADMIT_LINKS_PER_KEY || !admit_pending_add(&net->admit, ed, now)) {
		net->counters.bounds[BOUND_LINKS_PER_KEY]++;
		*why = "this key's inbound links at their cap";
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

/* Whether to log this refusal: a stranger's handshakes cost nothing to
 * make, and one line each would let it fill the log. Within each window the
 * first few are logged and the rest summed up in one line when the next
 * window begins; links_refused counts them all. */
#define REFUSALS_LOGGED 10
#define REFUSALS_WINDOW_MS 10000
static bool refusal_logged(struct net *net)
{
	uint64_t now = daemon_now_ms();
	if (now - net->refusals_window_ms >= REFUSALS_WINDOW_MS) {
		if (net->refusals_unlogged)
			log_msg(SLOG_INFO, "refused %u more connections (not logged one by one)",
				net->refusals_unlogged);
		net->refusals_window_ms = now;
		net->refusals_logged = 0;
		net->refusals_unlogged = 0;
	}
	if (net->refusals_logged < REFUSALS_LOGGED) {
		net->refusals_logged++;
		return true;
	}
	net->refusals_unlogged++;
	return false;
}

void net_zap_handle(struct net *net)
{
	for (;;) {
		char f[8][256];
		size_t len[8];
		int more = 1, parts = 0, bad = 0;
		while (more && parts < 8) {
			int r = recv_part(net->zap, f[parts], sizeof(f[0]) - 1, &len[parts], &more);
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
			if (recv_part(net->zap, junk, sizeof(junk), &jl, &more) == -1)
				break;
			bad = 1;
		}
		char user[65] = "";
		const char *why = "malformed ZAP request";
		bool ok = !bad && parts >= 7 && strcmp(f[0], "1.0") == 0 &&
			  strcmp(f[5], "CURVE") == 0 &&
			  zap_decide(net, f[2], f[3], (const uint8_t *)f[6], len[6], user, &why);
		if (!ok) {
			net->counters.links_refused++;
			if (refusal_logged(net))
				log_msg(SLOG_INFO, "refused a %s connection from %s: %s",
					parts > 2 ? f[2] : "?", parts > 3 ? f[3] : "?", why);
		}
		zmq_send(net->zap, "1.0", 3, ZMQ_SNDMORE);
		zmq_send(net->zap, f[1], parts > 1 ? len[1] : 0, ZMQ_SNDMORE);
		zmq_send(net->zap, ok ? "200" : "400", 3, ZMQ_SNDMORE);
		zmq_send(net->zap, ok ? "OK" : why, strlen(ok ? "OK" : why), ZMQ_SNDMORE);
		zmq_send(net->zap, user, strlen(user), ZMQ_SNDMORE);
		zmq_send(net->zap, "", 0, 0);
	}
}

