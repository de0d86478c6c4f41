/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * harness.h — real samend processes on loopback for integration tests:
 * keys, config files, start/stop, and requests on the real control socket.
 */
#ifndef SAMEN_HARNESS_H
#define SAMEN_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <msgpack.h>

struct hnode {
	char dir[512];       /* state directory (and config, log) */
	char key_path[600];
	char config[600];
	char log[600];
	uint8_t pk[32];
	char key_text[44];
	int port;            /* mesh port, 0 = no listen (behind NAT) */
	int join_port;       /* 0 = no join socket */
	pid_t pid;
	char extra[2048];    /* more config lines */
};

struct hreply {
	msgpack_unpacked u;
	uint8_t *buf;
	size_t len;
	const msgpack_object *m; /* the reply map */
};

/* A fresh temporary directory for one test (removed by harness_cleanup). */
const char *harness_dir(void);
void harness_cleanup(void);
/* Removes path and what is below it (no shell, no symlink followed). */
void harness_rmtree(const char *path);
/* A cmocka teardown that only calls harness_cleanup() (after failed tests too). */
int harness_teardown(void **state);
/* A free TCP port on 127.0.0.1. */
int harness_port(void);

/* Creates the node's directory and key. port/join_port as in struct hnode. */
void hnode_init(struct hnode *n, const char *name, int port, int join_port);
/* Writes the config: neighbourhood nbhd (NULL = none), peers (NULL-ended). */
void hnode_write_config(struct hnode *n, const uint8_t *nbhd, struct hnode *const *peers);
void hnode_start(struct hnode *n);
/* Sends sig (SIGTERM waits for exit; SIGKILL too). Returns the exit status. */
int hnode_stop(struct hnode *n, int sig);
/* Waits until the control socket answers `status`. */
bool hnode_wait_ready(struct hnode *n, int timeout_ms);

/*
 * Sends a request built from "key=value" strings (value: text), "key:b=0|1"
 * (bool), "key:u=N" (uint), "key:i=N" (int), "key:k=<hex>" (bin from hex),
 * "key:a=v1,v2" (array of text), ending with NULL. Returns true when a reply
 * arrived (r filled; free with hreply_free).
 */
bool hnode_call(struct hnode *n, struct hreply *r, ...);
void hreply_free(struct hreply *r);
bool hreply_ok(const struct hreply *r);
const char *hreply_str(const struct hreply *r, const char *key, char *buf, size_t cap);
uint64_t hreply_uint(const struct hreply *r, const char *key);

/* Convenience: `send` an alert; returns true and the id on success. */
bool hnode_send(struct hnode *n, const char *description, bool share, char id[65]);
/* Number of readable signals `list` shows, or -1. */
int hnode_count(struct hnode *n);
/* Whether `list` holds a signal whose id starts with id. */
bool hnode_has(struct hnode *n, const char *id);
/* Polls cond(ctx) every 50 ms until true or timeout; returns the result. */
bool harness_wait(bool (*cond)(void *), void *ctx, int timeout_ms);
uint64_t harness_ms(void);

/*
 * Builds a neighbourhood of n nodes: node 0 founds it (with a join socket),
 * every other node joins with a pre-approved invite through the real join
 * exchange; each later node lists node 0 as a peer. Returns true when all
 * are members.
 */
bool harness_neighbourhood(struct hnode *nodes, size_t n, const char *extra_config);

/* ---- additions for the fault tests (tests/faults) ---- */

/* As hnode_start(), with the daemon in network namespace netns (a name
 * under /run/netns, as `ip netns add` makes; NULL or "" = this one). */
void hnode_start_netns(struct hnode *n, const char *netns);
/* As hnode_call() with a reply timeout of timeout_ms (hnode_call waits 15 s). */
bool hnode_call_timeout(struct hnode *n, struct hreply *r, int timeout_ms, ...);
/* Sends a request already encoded (len bytes of msgpack) and waits up to
 * timeout_ms for the reply. */
bool hnode_call_msg(struct hnode *n, const void *req, size_t len, struct hreply *r, int timeout_ms);

#endif
