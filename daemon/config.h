/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * config.h — samend's settings: defaults, the configuration file, and
 * command-line overrides.
 *
 * File syntax (docs/samend.conf.example is a complete, commented example):
 *
 *   # a comment                  lines starting with '#', blank lines
 *   retention_days = 14          key = value, white space around both
 *   state_dir = "/srv/my samen"  "..." keeps spaces; no escapes, no '"'
 *   listen = tcp://[::]:7400 # x  unquoted, " #" starts a comment
 *   peer = tcp://a.example:7400 KEYTEXT
 *                                peer may repeat; no other key may
 *
 * A line without '=', an unknown key (with a did-you-mean), a key given
 * twice, a control character (tab is white space; a CR before the newline
 * is ignored), a value that does not parse, and a file over CONFIG_FILE_MAX
 * bytes are errors (proto/conffile.c reads the lines, for samen-web.conf
 * too). The message names the file, the line and the key:
 *
 *   samend.conf:12: unknown key 'retension_days' (did you mean 'retention_days'?)
 *   samend.conf:7: active_links: '0' is out of range (1..64)
 *
 * Use: config_defaults(), config_load() (optional), config_set() for each
 * command-line override, then config_finish() once. Only config_finish()
 * derives the defaults that depend on other keys (key, advertise), so an
 * override of state_dir or listen still counts.
 *
 * struct config holds no heap memory and no secrets: it may be copied with
 * memcpy and needs no free. The configuration names the secret key file;
 * it never holds a key.
 *
 * Every function returns 0 or a negative code (proto/err.h): SAMEN_EINVAL
 * for a bad file or value, SAMEN_ETOOBIG for a file over the cap, -errno if
 * the file cannot be read. On failure err (if errcap > 0) holds a one-line
 * message for a person and *cfg is unchanged.
 */
#ifndef SAMEN_CONFIG_H
#define SAMEN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/conffile.h" /* the line reader samen-web.conf shares */
#include "../proto/err.h"
#include "../proto/record.h" /* ENDPOINT_MAX: advertise goes into peer records */

#define CONFIG_FILE_MAX CONFFILE_SIZE_MAX /* bytes of a configuration file */
#define CONFIG_LINE_MAX CONFFILE_LINE_MAX /* bytes of one line */
#define CONFIG_PATH_MAX 255         /* bytes of a path */
#define CONFIG_USER_MAX 32          /* bytes of a user name */
#define CONFIG_PEERS_MAX 64         /* peer lines */
#define CONFIG_SERVED_MAX 16        /* serve lines (relay) */

enum config_gossip {
	CONFIG_GOSSIP_TREE = 0,  /* push tree (Plumtree): full records on a tree, ids elsewhere */
	CONFIG_GOSSIP_EAGER = 1, /* every new record in full on every link */
};

enum config_role {
	CONFIG_ROLE_HOUSEHOLD = 0,
	CONFIG_ROLE_RELAY = 1,
};

struct config_peer {
	char endpoint[ENDPOINT_MAX + 1]; /* "tcp://host:port" or "ipc://path" */
	uint8_t key[32];                 /* its CURVE/Ed25519 public key */
};

/*
 * Endpoints are ZeroMQ endpoints: "tcp://HOST:PORT" or "ipc://PATH".
 * Keys marked (bind) also accept a wildcard host ("*", "0.0.0.0", "[::]")
 * and port ("*"); the others must name something that can be dialled.
 * Numbers are decimal digits only, no sign, within the range shown.
 */
struct config {
	/* Directory for the store, the control socket and the identity.
	 * Absolute. Default "/var/lib/samen" (samend picks another when not
	 * run as root). */
	char state_dir[CONFIG_PATH_MAX + 1];
	/* Secret key file. Absolute. Default "" = "<state_dir>/identity.key",
	 * filled in by config_finish(). */
	char key[CONFIG_PATH_MAX + 1];
	/* Neighbourhood public key (43-character key text). Default: none
	 * (has_neighbourhood == 0) until the household has joined. */
	uint8_t neighbourhood[32];
	int has_neighbourhood;
	/* "household" or "relay". Default household. */
	enum config_role role;

	/* (bind) Mesh ROUTER endpoint, e.g. "tcp://0.0.0.0:7400". Default ""
	 * = bind nothing: behind NAT, dial out only. */
	char listen[ENDPOINT_MAX + 1];
	/* Endpoint other households should dial. Default "" = listen, filled
	 * in by config_finish() when listen names no wildcard host or port. */
	char advertise[ENDPOINT_MAX + 1];
	/* (bind) Join socket. Default "" = none. */
	char join_listen[ENDPOINT_MAX + 1];
	/* (bind) Relay only: authority subscriber socket. Default "" = none. */
	char subscriber_listen[ENDPOINT_MAX + 1];

	/* "peer = ENDPOINT KEYTEXT" lines, in file order; at most
	 * CONFIG_PEERS_MAX, no key twice. Default: none. */
	struct config_peer peers[CONFIG_PEERS_MAX];
	unsigned n_peers;

	/* Relay only: "serve = NBHD" lines, the neighbourhoods this relay holds
	 * a relay certificate in. Default: none. */
	uint8_t served[CONFIG_SERVED_MAX][32];
	unsigned n_served;

	/* "tree" (default) or "eager". */
	enum config_gossip gossip;
	unsigned learn_peers;          /* default 1: also dial the endpoints other
	                                  households announce; 0 = only peer lines */
	unsigned active_links;         /* default 6, 1..64 */
	unsigned max_inbound;          /* default 64, 1..1024 */
	/* Link rotation (proto/PROTOCOL.md §9): one healthy outbound link is
	 * replaced after 3 s per known candidate, clamped to
	 * [rotate_min_seconds, rotate_max_seconds], ± half at random; a
	 * replaced peer rests rotate_min_seconds. A tuning knob (tests, tiny
	 * meshes): the defaults suit every neighbourhood. config_finish()
	 * refuses min > max. */
	unsigned rotate_min_seconds;   /* default 30, 1..3600 */
	unsigned rotate_max_seconds;   /* default 600, 1..86400 */
	unsigned retention_days;       /* default 14, 1..3650 */
	unsigned rate_per_minute;      /* default 30, 1..6000 (records per author) */
	unsigned rate_burst;           /* default 20, 1..10000 */
	unsigned anti_entropy_seconds; /* default 30, 1..3600 */
	unsigned clock_skew_seconds;   /* default 300, 1..86400 */
	unsigned invalid_limit;        /* default 20, 1..100000: invalid records
	                                  from one peer before it is cut off */
	unsigned penalty_seconds;      /* default 600, 1..604800: how long */
	unsigned max_map_mb;           /* default 4096, 16..1048576 (LMDB map) */

	/* Hook program run for each delivered signal. Absolute path. Default
	 * "" = none. Whether it exists is checked by hook_new(), not here. */
	char on_signal[CONFIG_PATH_MAX + 1];
	unsigned hook_timeout_seconds; /* default 10, 1..600 */
	/* alarm-level alerts without an answer (attend.h) */
	unsigned repeat_seconds;   /* between repeats: default 300, 1..86400 */
	unsigned repeat_max;       /* repeats at most: default 6, 0 (none)..100 */
	unsigned repeat_stop_acks; /* other households' acks that stop them: default 2 */
	unsigned escalate_seconds; /* coordinators told after: default 600, 0 = never */
	unsigned receipts_seen;    /* 1 (default): say "seen" in receipts; 0: delivered only */
	/* SLOG_ERR .. SLOG_DEBUG (daemon/log.h), from "error", "warn", "info",
	 * "debug". Default info. */
	int log_level;
	/* User to switch to after binding. Letters, digits, '.', '_', '-'.
	 * Default "" = stay. */
	char user[CONFIG_USER_MAX + 1];
};

/* Sets every key to its default. */
void config_defaults(struct config *cfg);

/*
 * Reads the file at path (a regular file of at most CONFIG_FILE_MAX bytes)
 * and applies it on top of *cfg (normally fresh from config_defaults()).
 * All or nothing: on any error *cfg is unchanged.
 */
int config_load(struct config *cfg, const char *path, char *err,
		size_t errcap) SAMEN_MUST_CHECK;

/*
 * As config_load() for len bytes at buf (need not be NUL-terminated);
 * name is what messages call the file.
 */
int config_load_buffer(struct config *cfg, const char *name, const char *buf,
		       size_t len, char *err, size_t errcap) SAMEN_MUST_CHECK;

/*
 * Sets one key, e.g. from "samend --set listen=tcp://0.0.0.0:7400". The
 * value is taken as is (no quotes, no comments, no trimming). A later call
 * overrides an earlier one or the file; "peer" adds one more peer.
 * Messages name the key but no file.
 */
int config_set(struct config *cfg, const char *key, const char *value,
	       char *err, size_t errcap) SAMEN_MUST_CHECK;

/*
 * Call once, after the last config_set(): fills in key and advertise when
 * they were left empty, and checks what depends on more than one key
 * (subscriber_listen needs role = relay; a relay needs listen;
 * rotate_min_seconds <= rotate_max_seconds).
 */
/* After config_finish(): true when samend listens on a wildcard address
 * (tcp://0.0.0.0:7400, or a port of "*") and no advertise says where others can
 * reach it, so no neighbour learns to dial it. */
bool config_unadvertised(const struct config *cfg);

/* The name of the i-th configuration key, in the order samend.conf(5) lists
 * them, or NULL past the last (for the bash completion). */
const char *config_key_name(size_t i);

int config_finish(struct config *cfg, char *err, size_t errcap)
	SAMEN_MUST_CHECK;

#endif
