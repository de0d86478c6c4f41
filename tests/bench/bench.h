/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * bench.h — `make bench`: real samend daemons (and HashiCorp Serf agents)
 * on loopback, measured; one table on stdout and bench/results.json.
 *
 * Nothing here asserts on timing: every figure is reported beside a
 * baseline measured in the same run, and the program's exit status only
 * says whether every part could be measured.
 */
#ifndef SAMEN_BENCH_H
#define SAMEN_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <zmq.h>

#include "../support/harness.h"

/* ---- util.c: time, environment, processes, ports, /proc ---- */

double bench_now_ms(void);          /* CLOCK_MONOTONIC, fractional ms */
double bench_elapsed_s(void);       /* since the program started */
double bench_load1(void);           /* 1-minute load average of the machine */
void bench_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int bench_env_int(const char *name, int def);
const char *bench_env_str(const char *name, const char *def);
const char *bench_bin(const char *name); /* $BUILD/name; static buffer per call site */
const char *bench_dir(void);             /* the run's temporary directory */
void bench_init(void);                   /* limits, signal handlers, cleanup at exit */
void bench_cleanup(void);                /* kills what is left, removes the directory */

/* Starts argv[0] with stdout and stderr to log_path (NULL: /dev/null); the
 * child dies with the bench (PR_SET_PDEATHSIG). Returns the pid or -1. */
pid_t bench_spawn(char *const argv[], const char *log_path);
/* Sends sig to each, waits up to timeout_ms, then SIGKILL. Sets pids to 0. */
void bench_stop_many(pid_t *pids, size_t n, int sig, int timeout_ms);
void bench_stop(pid_t *pid, int sig, int timeout_ms);
/* Waits up to timeout_ms for *pid to exit (then kills it); returns its
 * exit status, or -1 when it was killed or died of a signal. */
int bench_wait(pid_t *pid, int timeout_ms);
bool bench_alive(pid_t pid);

/* A TCP and UDP port on 127.0.0.1 that was free just now, below the
 * ephemeral range and never handed out twice in one run. */
int bench_port(void);

long bench_rss_kb(pid_t pid);
/* A field of /proc/PID/status in kB (VmRSS, RssAnon, RssFile ...), or -1. */
long bench_proc_kb(pid_t pid, const char *field);
/* Pss of /proc/PID/smaps_rollup in kB, or -1 (not readable) */
long bench_pss_kb(pid_t pid);
/* Context switches (voluntary + involuntary) of every thread, and of the
 * main thread alone. */
bool bench_ctxt(pid_t pid, uint64_t *all, uint64_t *main_thread);
size_t bench_threads(pid_t pid);
long bench_mem_available_kb(void);

/* ---- stats ---- */

struct lat {
	double *v;
	size_t n, cap;
};
void lat_add(struct lat *l, double ms);
void lat_sort(struct lat *l);
double lat_pct(const struct lat *l, double p); /* sorted first; NAN if empty */
double lat_max(const struct lat *l);
void lat_free(struct lat *l);

/* ---- daemons.c: samend on loopback ---- */

struct bstatus {
	char role[24];
	uint64_t links, records, epoch;
	uint64_t verdicts;  /* sum of every verdict counter (stored + each rejection) */
	uint64_t duplicate;
	bool has_traffic;   /* the daemon reports status.traffic */
	uint64_t records_sent, record_bytes_sent, ihave_ids_sent, grafts_sent, prunes_sent;
	uint64_t receipts_sent, receipt_bytes_sent, receipts_stored; /* 0 before receipts */
	uint64_t eager_links; /* UINT64_MAX when the daemon does not say */
};

void bnode_init(struct hnode *n, const char *name, int port);
/* Writes the config: neighbourhood (NULL: none), peers (n_peers of them), extra lines. */
void bnode_config(struct hnode *n, const uint8_t *nbhd, struct hnode *const *peers,
		  size_t n_peers, const char *extra);
bool bnode_start(struct hnode *n);
bool bnode_status(struct hnode *n, struct bstatus *st);
bool bnode_wait_ready(struct hnode *n, int timeout_ms);
bool bnode_certify(struct hnode *founder, const char *key_text, const char *role,
		   const char *label);
/* Waits until the founder's epoch is non-zero and has not changed for
 * quiet_ms (a coordinator re-keys up to 2 s after membership changes). */
uint64_t bnode_epoch_settled(struct hnode *founder, int quiet_ms, int timeout_ms);

/*
 * A neighbourhood of n daemons without invites: nodes[0] founds it, every
 * other key is certified on the founder's control socket, then each
 * household starts with `neighbourhood = founder` and a few random peers
 * among those already started, and gets certificates, epoch keys and peer
 * addresses by anti-entropy. Returns how many daemons hold the founder's
 * current epoch (n when complete); *note says what went wrong otherwise.
 */
size_t bench_neighbourhood(struct hnode *nodes, size_t n, const char *extra, char *note,
			   size_t note_cap);
void bench_stop_nodes(struct hnode *nodes, size_t n);

/* ---- mesh.c: households' control sockets ---- */

/* A DEALER on the node's control socket (no linger), or NULL. */
void *bench_ctl_socket(void *ctx, const struct hnode *node);
/* Sends the bench's alert number k (`op: send`, as `samen send` does); 0 or -1. */
int bench_send_request(void *s, int k);
/* Reads the reply to it: true with the record's id, else false and the error. */
bool bench_send_reply(void *s, char id[65], char *err, size_t cap);

/* `watch` streams (PROTOCOL.md section 8) on n daemons, read by this process. */
struct bench_ev {
	uint32_t node;  /* index of the watch */
	double t;       /* bench_now_ms() when read */
	char id[65];
};
struct watches {
	void *ctx;
	size_t n;
	zmq_pollitem_t *items; /* n watch sockets, then one slot for a `send` */
	struct bench_ev *evs;
	size_t n_evs, cap_evs;
};
/* Opens a watch on each node and waits for every {"ok": true}. */
bool watches_open(struct watches *w, struct hnode *nodes, size_t n);
/* Reads what watch i has pending into w->evs (signals only). */
void watches_drain(struct watches *w, size_t i);
void watches_close(struct watches *w);

/* ---- bench.c: the table and results.json, for rows made elsewhere ---- */

void bench_row(const char *what, const char *measured, const char *baseline, const char *ratio,
	       const char *target, const char *met);
const char *bench_ms(double v, char *buf, size_t cap);        /* "12.3", "—" for NAN */
const char *bench_kb(double v, char *buf, size_t cap);        /* "12,345" */
void bench_jnum(FILE *f, const char *key, double v, bool comma); /* NAN: null */
void bench_jstr(FILE *f, const char *key, const char *s, bool comma);

/* ---- webstream.c: samen-web's clients ---- */

#define WEB_ID_LEN 16 /* samen-web's event ids: the record id's first 16 hex digits */
#define WEB_LINE_KEEP 512 /* of each stream line: the id and event come first */

enum web_kind { WEB_SSE, WEB_NTFY };
enum web_state { WS_HEAD, WS_CHUNK_SIZE, WS_CHUNK_DATA, WS_CHUNK_END, WS_BODY, WS_GONE };

struct web_client {
	int fd;
	enum web_kind kind;
	enum web_state st;
	bool chunked, ready;  /* ready: the stream's first line (retry:, or ntfy's open) */
	size_t chunk_left;
	char raw[8192];
	size_t raw_len;
	char line[WEB_LINE_KEEP];
	size_t line_len;
	char ev_id[WEB_ID_LEN + 1]; /* SSE: the id: of the event being read */
};

struct web_arrival {
	int client;
	double t;
	char id[WEB_ID_LEN + 1];
};

struct web_run {
	int port;
	struct web_client *c;
	int n;
	struct watches w;     /* household A's own watch: the baseline */
	zmq_pollitem_t *items; /* n streams, A's watch, a `send` */
	struct web_arrival *arr;
	size_t n_arr, cap_arr;
};

/* A TCP connection to 127.0.0.1:port, or -1. */
int web_connect(int port);
/* One request (with `Connection: close`); the answer, cut at cap, into
 * out. Returns the HTTP status or -1. */
int web_http(int port, const char *req, char *out, size_t cap);
/* Asks for the page's SSE (cookie) or ntfy's JSON stream (bearer token). */
bool web_stream_open(struct web_client *c, int port, enum web_kind kind, const char *token);
void web_stream_close(struct web_run *r, int i);
/* Reads the streams and A's watch for up to ms; true as soon as the
 * `send` slot (r->items[n + 1], when set) is readable. */
bool web_pump(struct web_run *r, double ms);
/* Streams that said their first line and are still open. */
int web_streams_ready(const struct web_run *r);

/* ---- results ---- */

struct mesh_result {
	int n;
	char mode[16];
	int alerts;          /* alerts sent */
	int members;         /* daemons that held the current epoch when alerts began */
	double setup_s;
	double p50, p99, max, delivered_ratio;
	/* the same without the first alert, which meets links still all eager
	 * where no record has crossed them yet, or a tree cut up by records
	 * broadcast at once while the neighbourhood formed (reported beside,
	 * never instead) */
	double p99_after_first, max_after_first;
	double payload_copies;        /* full-record transmissions per household per signal */
	double payload_copies_stable; /* the same after the first alert (the mesh settled) */
	double copies_received;       /* the same counted at the receivers */
	double bytes_per_household;   /* record bytes + announced ids, per household per signal */
	double ihave_per_household;   /* ids announced lazily, per household per signal */
	double grafts, prunes;         /* sent by all households over the measured alerts */
	double record_bytes;          /* one alert record */
	/* receipts (PROTOCOL.md 3.4), per household per alert, set apart from
	 * the figures above: copies sent, their bytes, receipts stored (each
	 * one signature check); NAN from a daemon without receipts */
	double receipt_copies, receipt_bytes, receipts_stored;
	double *alert_copies, *alert_max; /* per alert */
	char copies_source[96];
	int early;           /* arrivals before `send` returned (counted as 0 ms) */
	int no_eager_before; /* households without an eager link when the alerts began; -1 unknown */
	int no_eager_after;  /* the same after the last alert */
	double load1;        /* load average when the alerts began */
	struct lat lat;      /* every delivered (household, alert) pair */
	bool ok;
	char note[400];
};

struct serf_result {
	int n, events, members;
	bool skipped;        /* not attempted (BENCH_SERF_MAX) */
	double setup_s, load1;
	double p50, p99, max, delivered_ratio;
	long rss_kb;         /* median agent RSS */
	double wakeups_per_s;/* one idle agent, all threads */
	double start_ms;     /* first agent: spawn until its RPC answers */
	struct lat lat;
	bool ok;
	char note[300];
};

struct ingest_result {
	long records;
	double records_per_s, raw_verify_per_s, record_bytes;
	double raw_verify_before, raw_verify_after; /* the baseline is their mean */
	long stored, rejected;
	bool ok;
	char note[300];
};

struct relay_result {
	long records;
	double load_per_s;       /* the relay's own ingest while being filled */
	double replay_per_s;
	long decrypt_records;
	double decrypt_per_s;    /* samen subscribe --out, files in the run's directory */
	double decrypt_shm_per_s;/* the same with output and cursor on /dev/shm */
	double raw_seal_open_per_s;
	double raw_open_signal_per_s; /* verify + sealed-box open + AEAD: the least a subscriber does */
	unsigned subscribe_threads;   /* samen subscribe's on this machine; the raw rates are 1 core */
	bool ok;
	char note[400];
};

struct idle_result {
	long rss_kb, rss_anon_kb, rss_file_kb, pss_kb;
	/* the floor: the same libraries, a zmq context as samend makes it, a
	 * ZAP handler and one bound CURVE ROUTER; no samen code (-1: none) */
	long floor_rss_kb, floor_anon_kb, floor_file_kb, floor_pss_kb;
	double wakeups_per_s, wakeups_main_per_s;
	size_t threads;
	int links;
	double start_ms, start_max_ms;
	int seconds;
	bool ok;
	char note[300];
};

/* samen-web next to one household: its streams' latency beside that
 * household's own watch stream, and its memory per stream (web.c). */
struct web_stream_result {
	int wanted, open;    /* streams asked for, streams that opened */
	double p50, p99, max, delivered_ratio;
	int early;           /* events before `send` returned (counted as 0 ms) */
	struct lat lat;      /* every delivered (stream, alert) pair */
};

struct web_result {
	int households, alerts, devices;
	int pair_waits;      /* 429 answers met while pairing (the pacing should make none) */
	double pair_s;       /* pairing every device, paced to the server's limit */
	struct web_stream_result sse, ntfy;
	double watch_p50, watch_p99, watch_max, watch_delivered; /* the baseline */
	long rss0_kb, pss0_kb;         /* samen-web with no stream open */
	long rss_open_kb, pss_open_kb; /* every stream open, before the alerts */
	long rss_after_kb, pss_after_kb; /* after the alerts */
	size_t threads0, threads_open;
	double load1;        /* when the alerts began */
	bool ok;
	char note[400];
};

/* Builds one neighbourhood of n daemons and measures it in each gossip
 * mode in turn (every daemon restarted with the next mode's config);
 * results[m] for modes[m]. With nodes_out, the daemons stay up for the
 * caller (bench_stop_nodes, free). Returns 0 when any mode was measured. */
int bench_mesh(struct hnode **nodes_out, int n, char modes[][16], int n_modes, int alerts,
	       struct mesh_result *results);
void bench_idle(struct hnode *nodes, int n, struct idle_result *res);
/* The floor process: `samen-bench --idle-floor`; binds, says "ready", waits for a signal. */
int bench_idle_floor(void);
void bench_serf(int n, int events, bool measure_idle, struct serf_result *res);
void bench_ingest(long records, struct ingest_result *res);
void bench_relay(long records, long decrypt_records, struct relay_result *res);
/* clients streams (half SSE, half ntfy) on `devices` paired devices' tokens */
void bench_web(int clients, int devices, int alerts, struct web_result *res);
void bench_web_rows(const struct web_result *res);
void bench_web_json(FILE *f, const struct web_result *res);

/* The extra config line that selects a gossip mode ("" for the default). */
const char *bench_mode_config(const char *mode);

#endif
