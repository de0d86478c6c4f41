/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * config.c — samend's settings: one table of keys, strict values, and
 * messages that name the file, the line and the key.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../keys/keytext.h"
#include "log.h"
#include "../proto/conffile.h"

enum kind {
	K_UINT,  /* unsigned in [min, max] */
	K_PATH,  /* absolute path; empty allowed unless min == 1 */
	K_BIND,  /* endpoint to bind (wildcards allowed) or empty */
	K_DIAL,  /* endpoint to dial or empty */
	K_NBHD,  /* key text or empty */
	K_ROLE,
	K_LEVEL,
	K_USER,
	K_PEER,  /* "ENDPOINT KEYTEXT", appended */
	K_SERVE, /* a neighbourhood key text, appended (relay) */
	K_GOSSIP, /* "tree" or "eager" */
};

struct keydef {
	const char *name;
	enum kind kind;
	size_t off;
	size_t size; /* of a char[] field */
	unsigned min, max;
};

#define FIELD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define STR(f, kind, required) { #f, kind, FIELD(f), required, 0 }
#define NUM(f, lo, hi) { #f, K_UINT, offsetof(struct config, f), 0, lo, hi }
#define OTHER(f, kind) { #f, kind, 0, 0, 0, 0 }

static const struct keydef keydefs[] = {
	STR(state_dir, K_PATH, 1),
	STR(key, K_PATH, 0),
	OTHER(neighbourhood, K_NBHD),
	OTHER(role, K_ROLE),
	STR(listen, K_BIND, 0),
	STR(advertise, K_DIAL, 0),
	STR(join_listen, K_BIND, 0),
	STR(subscriber_listen, K_BIND, 0),
	OTHER(peer, K_PEER),
	OTHER(serve, K_SERVE),
	OTHER(gossip, K_GOSSIP),
	NUM(learn_peers, 0, 1),
	NUM(active_links, 1, 64),
	NUM(max_inbound, 1, 1024),
	NUM(rotate_min_seconds, 1, 3600),
	NUM(rotate_max_seconds, 1, 86400),
	NUM(retention_days, 1, 3650),
	NUM(rate_per_minute, 1, 6000),
	NUM(rate_burst, 1, 10000),
	NUM(anti_entropy_seconds, 1, 3600),
	NUM(clock_skew_seconds, 1, 86400),
	NUM(invalid_limit, 1, 100000),
	NUM(penalty_seconds, 1, 604800),
	NUM(max_map_mb, 16, 1048576),
	STR(on_signal, K_PATH, 0),
	NUM(hook_timeout_seconds, 1, 600),
	NUM(repeat_seconds, 1, 86400),
	NUM(repeat_max, 0, 100),
	NUM(repeat_stop_acks, 1, 100),
	NUM(escalate_seconds, 0, 86400),
	NUM(receipts_seen, 0, 1),
	OTHER(log_level, K_LEVEL),
	OTHER(user, K_USER),
};
#define N_KEYS (sizeof(keydefs) / sizeof(keydefs[0]))

/* Longest ipc:// path: sizeof(sockaddr_un.sun_path) - 1. */
#define IPC_PATH_MAX 107

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->state_dir, "/var/lib/samen");
	cfg->role = CONFIG_ROLE_HOUSEHOLD;
	cfg->learn_peers = 1;
	cfg->active_links = 6;
	cfg->max_inbound = 64;
	cfg->rotate_min_seconds = 30;
	cfg->rotate_max_seconds = 600;
	cfg->retention_days = 14;
	cfg->rate_per_minute = 30;
	cfg->rate_burst = 20;
	cfg->anti_entropy_seconds = 30;
	cfg->clock_skew_seconds = 300;
	cfg->invalid_limit = 20;
	cfg->penalty_seconds = 600;
	cfg->max_map_mb = 4096;
	cfg->hook_timeout_seconds = 10;
	cfg->repeat_seconds = 300;
	cfg->repeat_max = 6;
	cfg->repeat_stop_acks = 2;
	cfg->escalate_seconds = 600;
	cfg->receipts_seen = 1;
	cfg->log_level = SLOG_INFO;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

const char *config_key_name(size_t i)
{
	return i < N_KEYS ? keydefs[i].name : NULL;
}

static const struct keydef *key_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_KEYS; ++i)
		if (strcmp(keydefs[i].name, name) == 0)
			return &keydefs[i];
	return NULL;
}

_Static_assert(N_KEYS <= CONFFILE_KEYS_MAX, "conffile's seen[] holds every key");

/* The table as the shared reader sees it: only peer and serve repeat. */
static void file_keys(struct conffile_keys *keys)
{
	size_t i;

	keys->name = &keydefs[0].name;
	keys->n = N_KEYS;
	keys->stride = sizeof(keydefs[0]);
	keys->repeatable = 0;
	for (i = 0; i < N_KEYS; ++i)
		if (keydefs[i].kind == K_PEER || keydefs[i].kind == K_SERVE)
			keys->repeatable |= (uint64_t)1 << i;
}

/* Decimal digits only: 0 ok, -1 not a number, -2 out of range. */
static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; ++s) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v <= max)
			v = v * 10 + (unsigned)(*s - '0');
	}
	if (v < min || v > max)
		return -2;
	*out = (unsigned)v;
	return 0;
}

static int is_wild_host(const char *h, size_t n)
{
	return (n == 1 && h[0] == '*') || (n == 7 && !memcmp(h, "0.0.0.0", 7)) ||
	       (n == 4 && !memcmp(h, "[::]", 4)) || (n == 2 && !memcmp(h, "::", 2));
}

/* Returns NULL if v is an acceptable endpoint, else why not. */
static const char *endpoint_problem(const char *v, int bind)
{
	const char *host, *colon, *port, *p;
	size_t hlen;
	unsigned n;

	for (p = v; *p; ++p)
		if (is_space(*p))
			return "contains white space";
	if (strlen(v) > ENDPOINT_MAX)
		return "is too long";
	if (strncmp(v, "ipc://", 6) == 0) {
		if (v[6] == '\0')
			return "has no path after ipc://";
		if (strlen(v + 6) > IPC_PATH_MAX)
			return "has an ipc path longer than 107 bytes";
		return NULL;
	}
	if (strncmp(v, "tcp://", 6) != 0)
		return "is not tcp://HOST:PORT or ipc://PATH";
	host = v + 6;
	colon = strrchr(host, ':');
	if (!colon || colon == host)
		return "is not tcp://HOST:PORT";
	hlen = (size_t)(colon - host);
	port = colon + 1;
	if (is_wild_host(host, hlen)) {
		if (!bind)
			return "names a wildcard address, which cannot be dialled";
	} else {
		for (p = host; p < colon; ++p) {
			char c = *p;

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			      c == '_' || c == ':' || c == '[' || c == ']'))
				return "has a character that cannot be in a host name";
		}
	}
	if (strcmp(port, "*") == 0)
		return bind ? NULL : "has port '*', which cannot be dialled";
	if (parse_uint(port, 1, 65535, &n) != 0)
		return "has no port in 1..65535";
	return NULL;
}

static int endpoint_is_wild(const char *v)
{
	const char *host = v + 6, *colon;

	if (strncmp(v, "tcp://", 6) != 0)
		return 0;
	colon = strrchr(host, ':');
	return !colon || is_wild_host(host, (size_t)(colon - host)) ||
	       strcmp(colon + 1, "*") == 0;
}

static int set_peer(struct config *cfg, const char *v, char *err, size_t cap)
{
	const char *ep = v, *ep_end, *kt, *kt_end, *why;
	struct config_peer peer;
	size_t eplen;
	unsigned i;

	while (is_space(*ep))
		++ep;
	for (ep_end = ep; *ep_end && !is_space(*ep_end); ++ep_end)
		;
	for (kt = ep_end; is_space(*kt); ++kt)
		;
	for (kt_end = kt; *kt_end && !is_space(*kt_end); ++kt_end)
		;
	for (i = 0; is_space(kt_end[i]); ++i)
		;
	if (ep == ep_end || kt == kt_end || kt_end[i] != '\0')
		return conffile_fail(err, cap, SAMEN_EINVAL,
			    "peer: expected 'ENDPOINT KEY', got '%s'", v);
	eplen = (size_t)(ep_end - ep);
	if (eplen > ENDPOINT_MAX)
		return conffile_fail(err, cap, SAMEN_EINVAL,
			    "peer: endpoint '%.*s' is too long", (int)eplen, ep);
	memset(&peer, 0, sizeof(peer));
	memcpy(peer.endpoint, ep, eplen);
	why = endpoint_problem(peer.endpoint, 0);
	if (why)
		return conffile_fail(err, cap, SAMEN_EINVAL, "peer: endpoint '%s' %s",
			    peer.endpoint, why);
	if ((size_t)(kt_end - kt) != KEYTEXT_LEN - 1 ||
	    keytext_decode(kt, peer.key) != 0)
		return conffile_fail(err, cap, SAMEN_EINVAL,
			    "peer: '%.*s' is not a 43-character key text",
			    (int)(kt_end - kt), kt);
	for (i = 0; i < cfg->n_peers; ++i)
		if (memcmp(cfg->peers[i].key, peer.key, 32) == 0)
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "peer: key %.*s is already listed (for %s)",
				    (int)(kt_end - kt), kt,
				    cfg->peers[i].endpoint);
	if (cfg->n_peers >= CONFIG_PEERS_MAX)
		return conffile_fail(err, cap, SAMEN_EINVAL,
			    "peer: more than %d peers", CONFIG_PEERS_MAX);
	cfg->peers[cfg->n_peers++] = peer;
	return 0;
}

static int valid_user(const char *v)
{
	const char *p;

	if (*v == '-')
		return 0;
	for (p = v; *p; ++p)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			return 0;
	return p - v <= CONFIG_USER_MAX;
}

/* Checks v for def and stores it; *cfg is untouched on failure. */
static int set_value(struct config *cfg, const struct keydef *def,
		     const char *v, char *err, size_t cap)
{
	char *field = (char *)cfg + def->off;
	const char *p, *why;
	uint8_t pk[32];
	unsigned u;
	int r;

	for (p = v; *p; ++p) {
		unsigned char c = (unsigned char)*p;

		if ((c < 0x20 && !(c == '\t' && def->kind == K_PEER)) ||
		    c == 0x7f)
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "%s: control character 0x%02x in the value",
				    def->name, c);
	}

	switch (def->kind) {
	case K_UINT:
		r = parse_uint(v, def->min, def->max, &u);
		if (r == -1)
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "%s: '%s' is not a whole number", def->name, v);
		if (r == -2)
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "%s: '%s' is out of range (%u..%u)",
				    def->name, v, def->min, def->max);
		memcpy(field, &u, sizeof(u));
		return 0;
	case K_PATH:
		if (*v == '\0' && def->min == 0) {
			*field = '\0';
			return 0;
		}
		if (*v != '/')
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "%s: '%s' is not an absolute path", def->name, v);
		if (strlen(v) >= def->size)
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "%s: path is longer than %zu bytes", def->name,
				    def->size - 1);
		strcpy(field, v);
		return 0;
	case K_BIND:
	case K_DIAL:
		why = *v ? endpoint_problem(v, def->kind == K_BIND) : NULL;
		if (why)
			return conffile_fail(err, cap, SAMEN_EINVAL, "%s: '%s' %s",
				    def->name, v, why);
		strcpy(field, v); /* endpoint_problem() checked the length */
		return 0;
	case K_NBHD:
		if (*v == '\0') {
			cfg->has_neighbourhood = 0;
			memset(cfg->neighbourhood, 0, sizeof(cfg->neighbourhood));
			return 0;
		}
		if (strlen(v) != KEYTEXT_LEN - 1 || keytext_decode(v, pk) != 0)
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "neighbourhood: '%s' is not a 43-character key text",
				    v);
		memcpy(cfg->neighbourhood, pk, sizeof(pk));
		cfg->has_neighbourhood = 1;
		return 0;
	case K_ROLE:
		if (strcmp(v, "household") == 0)
			cfg->role = CONFIG_ROLE_HOUSEHOLD;
		else if (strcmp(v, "relay") == 0)
			cfg->role = CONFIG_ROLE_RELAY;
		else
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "role: '%s' is neither 'household' nor 'relay'", v);
		return 0;
	case K_LEVEL:
		r = log_level_parse(v);
		if (r < 0)
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "log_level: '%s' is not one of error, warn, info, debug",
				    v);
		cfg->log_level = r;
		return 0;
	case K_USER:
		if (!valid_user(v))
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "user: '%s' is not a user name", v);
		strcpy(cfg->user, v);
		return 0;
	case K_PEER:
		return set_peer(cfg, v, err, cap);
	case K_GOSSIP:
		if (strcmp(v, "tree") == 0)
			cfg->gossip = CONFIG_GOSSIP_TREE;
		else if (strcmp(v, "eager") == 0)
			cfg->gossip = CONFIG_GOSSIP_EAGER;
		else
			return conffile_fail(err, cap, SAMEN_EINVAL, "gossip: '%s' is neither 'tree' nor 'eager'", v);
		return 0;
	case K_SERVE:
		if (strlen(v) != KEYTEXT_LEN - 1 || keytext_decode(v, pk) != 0)
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "serve: '%s' is not a 43-character neighbourhood key text", v);
		for (unsigned i = 0; i < cfg->n_served; i++)
			if (memcmp(cfg->served[i], pk, 32) == 0)
				return conffile_fail(err, cap, SAMEN_EINVAL, "serve: '%s' is listed twice", v);
		if (cfg->n_served >= CONFIG_SERVED_MAX)
			return conffile_fail(err, cap, SAMEN_EINVAL, "serve: more than %d neighbourhoods",
				    CONFIG_SERVED_MAX);
		memcpy(cfg->served[cfg->n_served++], pk, 32);
		return 0;
	}
	return conffile_fail(err, cap, SAMEN_EINVAL, "%s: unhandled key", def->name);
}

int config_set(struct config *cfg, const char *key, const char *value,
	       char *err, size_t errcap)
{
	const struct keydef *def = key ? key_find(key) : NULL;

	if (!key)
		return conffile_fail(err, errcap, SAMEN_EINVAL, "no key given");
	if (!def) {
		struct conffile_keys keys;

		file_keys(&keys);
		return conffile_unknown(&keys, "", key, err, errcap);
	}
	if (!value)
		return conffile_fail(err, errcap, SAMEN_EINVAL, "%s: no value given", key);
	return set_value(cfg, def, value, err, errcap);
}

int config_load_buffer(struct config *cfg, const char *name, const char *buf,
		       size_t len, char *err, size_t errcap)
{
	struct conffile_keys keys;
	struct conffile *cf;
	struct config *tmp;
	const char *v;
	char msg[512];
	size_t k;
	int r;

	file_keys(&keys);
	/* Both on the heap: struct config is large, and the reader holds a line. */
	tmp = malloc(sizeof(*tmp));
	cf = malloc(sizeof(*cf));
	if (!tmp || !cf) {
		r = conffile_fail(err, errcap, -ENOMEM, "%s: out of memory", name);
		goto out;
	}
	r = conffile_begin(cf, name, buf, len, &keys, err, errcap);
	if (r < 0)
		goto out;
	memcpy(tmp, cfg, sizeof(*tmp));
	while ((r = conffile_next(cf, &k, &v, err, errcap)) > 0) {
		if (set_value(tmp, &keydefs[k], v, msg, sizeof(msg)) != 0) {
			r = conffile_fail(err, errcap, SAMEN_EINVAL, "%s%s", conffile_where(cf), msg);
			goto out;
		}
	}
	if (r == 0)
		memcpy(cfg, tmp, sizeof(*cfg));
out:
	free(cf);
	free(tmp);
	return r;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errcap)
{
	char *buf;
	size_t len;
	int r;

	r = conffile_read(path, &buf, &len, err, errcap);
	if (r < 0)
		return r;
	r = config_load_buffer(cfg, path, buf, len, err, errcap);
	free(buf);
	return r;
}

bool config_unadvertised(const struct config *cfg)
{
	return cfg->listen[0] && !cfg->advertise[0];
}

int config_finish(struct config *cfg, char *err, size_t errcap)
{
	char key[sizeof(cfg->key)];
	size_t dl = strlen(cfg->state_dir);
	int n;

	if (cfg->subscriber_listen[0] && cfg->role != CONFIG_ROLE_RELAY)
		return conffile_fail(err, errcap, SAMEN_EINVAL,
			    "subscriber_listen is only for role = relay");
	if (cfg->n_served && cfg->role != CONFIG_ROLE_RELAY)
		return conffile_fail(err, errcap, SAMEN_EINVAL,
			    "serve is only for role = relay (a household uses neighbourhood)");
	if (cfg->role == CONFIG_ROLE_RELAY && !cfg->listen[0])
		return conffile_fail(err, errcap, SAMEN_EINVAL,
			    "role = relay needs listen: a relay must be reachable");
	if (cfg->rotate_min_seconds > cfg->rotate_max_seconds)
		return conffile_fail(err, errcap, SAMEN_EINVAL,
			    "rotate_min_seconds (%u) is above rotate_max_seconds (%u)",
			    cfg->rotate_min_seconds, cfg->rotate_max_seconds);
	if (!cfg->key[0]) {
		n = snprintf(key, sizeof(key), "%s%sidentity.key", cfg->state_dir,
			     dl > 0 && cfg->state_dir[dl - 1] == '/' ? "" : "/");
		if (n < 0 || (size_t)n >= sizeof(key))
			return conffile_fail(err, errcap, SAMEN_EINVAL,
				    "state_dir is too long for the default key path; set key");
		strcpy(cfg->key, key);
	}
	if (!cfg->advertise[0] && cfg->listen[0] && !endpoint_is_wild(cfg->listen))
		strcpy(cfg->advertise, cfg->listen);
	return 0;
}
