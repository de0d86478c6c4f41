/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * faults.h — shared helpers of the fault and attack tests (make
 * test-faults): a "fleet" of real samend daemons built quickly (the founder
 * certifies every household directly; the households catch up the
 * certificates and the epoch key by anti-entropy), sets of acknowledged
 * signal ids checked at every household, `watch` streams that time each
 * delivery, and two network namespaces joined by a veth pair that can be
 * cut and healed.
 */
#ifndef SAMEN_FAULTS_H
#define SAMEN_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../support/harness.h"

#define FLEET_MAX 64
#define FLEET_PEERS 8

struct fleet {
	struct hnode node[FLEET_MAX]; /* node[0] founds the neighbourhood */
	size_t n;
	char host[FLEET_MAX][32];     /* address it listens on (default 127.0.0.1) */
	char netns[FLEET_MAX][40];    /* network namespace ("" = this one) */
	bool nat[FLEET_MAX];          /* behind NAT: no listen socket, dials out */
	size_t peers[FLEET_MAX][FLEET_PEERS]; /* its peer lines (node indexes) */
	size_t n_peers[FLEET_MAX];
	bool up[FLEET_MAX];           /* started and not stopped since */
	uint64_t started_ms[FLEET_MAX];
	unsigned fanout;              /* peer lines to random households besides the founder */
	unsigned ae_seconds;          /* anti_entropy_seconds (default 2) */
	char extra[1024];             /* more config lines for every node */
	char node_extra[FLEET_MAX][256]; /* ... and for one node */
};

/* Creates the n nodes' directories and keys (no daemon runs yet). */
void fleet_init(struct fleet *f, size_t n);
/* Writes node i's configuration file (called by fleet_build; call again
 * after changing what goes into it). */
void fleet_config(struct fleet *f, size_t i);
void fleet_start(struct fleet *f, size_t i);
/* Stops node i with sig (SIGKILL: at once, no clean shutdown). */
void fleet_stop(struct fleet *f, size_t i, int sig);
/*
 * Starts the founder, certifies every other node's key as a member with the
 * control op `certify`, starts every household (peer lines: the founder and
 * `fanout` random others) and waits until all of them hold a certificate
 * and the same, settled epoch key. Prints how long it took.
 */
bool fleet_build(struct fleet *f);
/* Whether node i answers `status` within timeout_ms. */
bool fleet_ready(struct fleet *f, size_t i, int timeout_ms);
/* status fields: a top-level uint, or an entry of `counters` (0 if absent).
 * Return false when the daemon did not answer. */
bool fleet_status_uint(struct fleet *f, size_t i, const char *key, uint64_t *v);
bool fleet_counter(struct fleet *f, size_t i, const char *name, uint64_t *v);
/* The fleet indexes of node i's outbound links (`peers`): the up ones, or
 * (any_state) also those still connecting; at most cap into out. Returns how
 * many, or -1 when the daemon did not answer. */
long fleet_links_out(struct fleet *f, size_t i, bool any_state, size_t *out, size_t cap);
/* `send` an alert from node i. true with the id; false with the reply's
 * code (or "no-reply") in code[40]. */
bool fleet_send(struct fleet *f, size_t i, const char *description, char id[65], char code[40]);

/* ---- sets of signal ids ---- */

struct idset {
	char (*id)[65];
	size_t n, cap;
};
void idset_add(struct idset *s, const char *id);
bool idset_has(const struct idset *s, const char *id);
void idset_free(struct idset *s);
/* The ids node i lists (`list`, readable signals); false if it did not answer. */
bool fleet_list(struct fleet *f, size_t i, struct idset *out);
/* How many of want node i does not list; -1 if it did not answer. */
long fleet_missing(struct fleet *f, size_t i, const struct idset *want);
/*
 * Waits until every node that is up lists every id of want. true with the
 * time it took in *took_ms; on a timeout prints, per node, how many it
 * lacks.
 */
bool fleet_wait_complete(struct fleet *f, const struct idset *want, int timeout_ms,
			 uint64_t *took_ms);

/* ---- watch streams: when did each signal reach each household ---- */

struct watch;
/* Opens a `watch` stream on each of the n nodes idx[0..n) and records, in a
 * thread of its own, the monotonic time (harness_ms) every signal event
 * arrives. NULL if a stream could not be opened. */
struct watch *watch_start(struct fleet *f, const size_t *idx, size_t n);
/* When the signal id (64 hex) reached stream slot (an index into idx). */
bool watch_arrival(struct watch *w, size_t slot, const char *id, uint64_t *t_ms);
void watch_stop(struct watch *w);

/* ---- percentiles ---- */

/* The p-th percentile (0..100, nearest rank) of n values; sorts v. */
uint64_t percentile(uint64_t *v, size_t n, double p);

/* ---- two network namespaces joined by a veth pair ---- */

/*
 * Creates namespaces a and b, each with loopback up, joined by a veth pair
 * whose ends carry addr_a/24 (in a) and addr_b/24 (in b). Returns false,
 * having printed why, when that is not possible here.
 */
bool netns_pair(const char *a, const char *b, const char *addr_a, const char *addr_b);
/* Whether this machine lets us make a network namespace joined by a veth
 * pair at all; when not, writes why into why[n]. A machine that cannot is a
 * reason to skip, where a failure after this probe succeeded is a failure. */
bool netns_available(char *why, size_t n);
/* Makes the other side unreachable from each namespace (cut = true), or
 * reachable again. */
bool netns_cut(bool cut);
/* Removes the namespaces (and so the veth pair). */
void netns_teardown(void);

/* Runs a shell command; true when it exits 0 (prints it otherwise). */
bool run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Resident set size of a process in KiB (VmRSS), or 0. */
uint64_t proc_rss_kb(pid_t pid);

/* Seeds the tests' random choices from SAMEN_FAULTS_SEED or the clock and
 * prints the seed, so a failing run can be repeated. */
void faults_seed(const char *test);
uint32_t faults_rand(uint32_t below);

#endif
