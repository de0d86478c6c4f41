/*
 * zap.c — the ZAP handler: which key may complete a CURVE handshake on
 * which socket ("mesh": members, coordinators, relays and the founder with a
 * valid certificate; "sub": authorities; "join": anyone, within the join
 * budgets), failing closed. The tables are rebuilt when the membership
 * changes (d->zap_stale).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "admit.h"
#include "daemon.h"
#include "log.h"

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

/* Inbound links of key (NULL: of every key), counting connections ZAP
 * admitted whose first message has not arrived yet. */
static size_t inbound_count(struct daemon *d, const uint8_t *key, uint64_t now)
{
	size_t n = admit_pending_count(&d->admit, key, now);
	for (size_t i = 0; i < d->n_links; i++) {
		const struct link *l = &d->links[i];
		n += l->used && l->dir == DIR_IN && (!key || memcmp(l->key, key, 32) == 0);
	}
	return n;
}

/* Decides one ZAP request. Returns the user id to give the connection (the
 * key in hex), or NULL to refuse; *why says why for the log. */
static bool zap_decide(struct daemon *d, const char *domain, const char *addr, const uint8_t *cred,
		       size_t cred_len, char user[65], const char **why)
{
	uint64_t now = daemon_now_ms();
	if (cred_len != 32) {
		*why = "not a CURVE key";
		return false;
	}
	if (strcmp(domain, "join") == 0) {
		if (!admit_join(&d->admit, cred, addr, now, why)) {
			d->counters_bounds[BOUND_JOIN_REFUSED]++;
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
	if (inbound_count(d, NULL, now) >= d->cfg->max_inbound) {
		*why = "inbound links at their cap";
		return false;
	}
	if (inbound_count(d, ed, now) >= ADMIT_LINKS_PER_KEY || !admit_pending_add(&d->admit, ed, now)) {
		d->counters_bounds[BOUND_LINKS_PER_KEY]++;
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
static bool refusal_logged(struct daemon *d)
{
	uint64_t now = daemon_now_ms();
	if (now - d->refusals_window_ms >= REFUSALS_WINDOW_MS) {
		if (d->refusals_unlogged)
			log_msg(SLOG_INFO, "refused %u more connections (not logged one by one)",
				d->refusals_unlogged);
		d->refusals_window_ms = now;
		d->refusals_logged = 0;
		d->refusals_unlogged = 0;
	}
	if (d->refusals_logged < REFUSALS_LOGGED) {
		d->refusals_logged++;
		return true;
	}
	d->refusals_unlogged++;
	return false;
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
			  zap_decide(d, f[2], f[3], (const uint8_t *)f[6], len[6], user, &why);
		if (!ok) {
			d->counters_links_refused++;
			if (refusal_logged(d))
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

