/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * mesh.c — alert latency across a neighbourhood of real daemons, payload
 * copies per household, and one idle daemon's footprint.
 *
 * Arrival is seen the way a household sees it: a `watch` stream (PROTOCOL.md
 * section 8) on every daemon's control socket, all read by this one process,
 * so every timestamp comes from the same CLOCK_MONOTONIC. Latency is from the
 * moment `send` returned at the author's daemon to the signal's event at
 * each other household.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "../support/rawpeer.h"
#include "../../proto/link.h"
#include "../../proto/mp.h"
#include "../../proto/mpmap.h"

/* ---- gossip modes ---- */

/* Whether this samend knows the `gossip` key: `--set` is applied before
 * `-h` is looked at, so an unknown key fails with status 2. */
static bool gossip_knob(void)
{
	static int known = -1;
	if (known < 0) {
		char *argv[] = {(char *)bench_bin("samend"), "--set", "gossip=eager", "-h", NULL};
		pid_t pid = bench_spawn(argv, NULL);
		known = pid > 0 && bench_wait(&pid, 5000) == 0;
	}
	return known == 1;
}

const char *bench_mode_config(const char *mode)
{
	static char line[512];
	if (!gossip_knob())
		return strcmp(mode, "eager") ? NULL : ""; /* today's daemon pushes eagerly */
	/* BENCH_CONFIG: extra samend.conf lines for experiments ("\n" or ";" apart) */
	snprintf(line, sizeof(line), "gossip = %s\n%s\n", mode, bench_env_str("BENCH_CONFIG", ""));
	for (char *p = line; *p; p++)
		if (*p == ';')
			*p = '\n';
	return line;
}

/* ---- watch streams ---- */

void *bench_ctl_socket(void *ctx, const struct hnode *node)
{
	char ep[700];
	int zero = 0;
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	if (!s)
		return NULL;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof(zero));
	snprintf(ep, sizeof(ep), "ipc://%s/control", node->dir);
	if (zmq_connect(s, ep) != 0) {
		zmq_close(s);
		return NULL;
	}
	return s;
}

static int send_map(void *s, struct mp_buf *b)
{
	int r = zmq_send(s, b->sb.data, b->sb.size, 0);
	mp_buf_destroy(b);
	return r < 0 ? -1 : 0;
}

void watches_close(struct watches *w)
{
	for (size_t i = 0; w->items && i <= w->n; i++)
		if (w->items[i].socket)
			zmq_close(w->items[i].socket);
	free(w->items);
	free(w->evs);
	if (w->ctx)
		zmq_ctx_term(w->ctx);
	memset(w, 0, sizeof(*w));
}

bool watches_open(struct watches *w, struct hnode *nodes, size_t n)
{
	memset(w, 0, sizeof(*w));
	w->ctx = zmq_ctx_new();
	if (!w->ctx)
		return false;
	zmq_ctx_set(w->ctx, ZMQ_MAX_SOCKETS, (int)n + 64);
	w->n = n;
	w->items = calloc(n + 1, sizeof(*w->items));
	if (!w->items)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct mp_buf b;
		w->items[i].socket = bench_ctl_socket(w->ctx, &nodes[i]);
		w->items[i].events = ZMQ_POLLIN;
		if (!w->items[i].socket)
			return false;
		mp_buf_init(&b);
		msgpack_pack_map(&b.pk, 1);
		mpmap_put_str(&b.pk, "op", "watch");
		if (send_map(w->items[i].socket, &b) < 0)
			return false;
	}
	/* each answers {"ok": true} first */
	size_t acked = 0;
	bool *got = calloc(n, sizeof(bool));
	double end = bench_now_ms() + 10000 + 20.0 * (double)n;
	while (got && acked < n && bench_now_ms() < end) {
		if (zmq_poll(w->items, (int)n, 200) <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (!(w->items[i].revents & ZMQ_POLLIN))
				continue;
			zmq_msg_t m;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, w->items[i].socket, ZMQ_DONTWAIT) >= 0 && !got[i]) {
				got[i] = true;
				acked++;
			}
			zmq_msg_close(&m);
		}
	}
	free(got);
	return acked == n;
}

static void ev_add(struct watches *w, uint32_t node, double t, const char *id)
{
	if (w->n_evs == w->cap_evs) {
		size_t cap = w->cap_evs ? w->cap_evs * 2 : 1024;
		struct bench_ev *e = realloc(w->evs, cap * sizeof(*e));
		if (!e)
			return;
		w->evs = e;
		w->cap_evs = cap;
	}
	struct bench_ev *e = &w->evs[w->n_evs++];
	e->node = node;
	e->t = t;
	snprintf(e->id, sizeof(e->id), "%s", id);
}

/* Reads every pending event; a watch frame is {"event": "signal", "signal": VIEW}. */
void watches_drain(struct watches *w, size_t i)
{
	for (;;) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, w->items[i].socket, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		double t = bench_now_ms();
		msgpack_unpacked u;
		char kind[16], id[65];
		msgpack_unpacked_init(&u);
		if (mp_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 8, &u) == 0 &&
		    mpmap_str(&u.data, "event", kind, sizeof(kind)) == 0 && !strcmp(kind, "signal")) {
			const msgpack_object *sig = mpmap_find(&u.data, "signal");
			if (sig && mpmap_str(sig, "id", id, sizeof(id)) == 0)
				ev_add(w, (uint32_t)i, t, id);
		}
		msgpack_unpacked_destroy(&u);
		zmq_msg_close(&m);
	}
}

/* Polls the watches (and the `send` slot if set) for up to ms; returns true
 * when the send slot became readable. */
static bool pump(struct watches *w, double ms)
{
	double end = bench_now_ms() + ms;
	int count = (int)w->n + (w->items[w->n].socket ? 1 : 0);
	for (;;) {
		double left = end - bench_now_ms();
		if (left < 0)
			left = 0;
		int rc = zmq_poll(w->items, count, (long)ceil(left));
		if (rc > 0) {
			for (size_t i = 0; i < w->n; i++)
				if (w->items[i].revents & ZMQ_POLLIN)
					watches_drain(w, i);
			if (count > (int)w->n && (w->items[w->n].revents & ZMQ_POLLIN))
				return true;
		}
		if (bench_now_ms() >= end)
			return false;
	}
}

/* ---- `send` ---- */

int bench_send_request(void *s, int k)
{
	struct mp_buf b;
	char desc[128];
	snprintf(desc, sizeof(desc),
		 "Persoon loopt langs geparkeerde auto's en probeert de portieren (%d)", k);
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 4);
	mpmap_put_str(&b.pk, "op", "send");
	mpmap_put_str(&b.pk, "category", "break-in-attempt");
	mpmap_put_str(&b.pk, "description", desc);
	mpmap_put_str(&b.pk, "where", "Lindelaan 14, parkeerplaats");
	return send_map(s, &b);
}

bool bench_send_reply(void *s, char id[65], char *err, size_t cap)
{
	zmq_msg_t m;
	msgpack_unpacked u;
	bool ok = false, got = false;
	zmq_msg_init(&m);
	msgpack_unpacked_init(&u);
	err[0] = '\0';
	if (zmq_msg_recv(&m, s, 0) >= 0 &&
	    mp_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 8, &u) == 0) {
		got = mpmap_bool(&u.data, "ok", &ok) == 0 && ok &&
		      mpmap_str(&u.data, "id", id, 65) == 0;
		if (!got && mpmap_str(&u.data, "error", err, cap) < 0)
			err[0] = '\0';
	}
	msgpack_unpacked_destroy(&u);
	zmq_msg_close(&m);
	return got;
}

/* ---- counters ---- */

struct totals {
	uint64_t verdicts, records_sent, record_bytes_sent, ihave_ids_sent, grafts_sent, prunes_sent;
	uint64_t receipts_sent, receipt_bytes_sent, receipts_stored;
	int no_eager; /* households with no eager link; -1 if one does not say */
	bool has_traffic;
	size_t answered;
};

static void totals_of(struct hnode *nodes, size_t n, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	t->has_traffic = true;
	t->no_eager = 0;
	for (size_t i = 0; i < n; i++) {
		struct bstatus st;
		if (!bnode_status(&nodes[i], &st))
			continue;
		t->answered++;
		t->verdicts += st.verdicts;
		/* the alerts' own traffic, receipts apart */
		t->records_sent += st.records_sent - st.receipts_sent;
		t->record_bytes_sent += st.record_bytes_sent - st.receipt_bytes_sent;
		t->receipts_sent += st.receipts_sent;
		t->receipt_bytes_sent += st.receipt_bytes_sent;
		t->receipts_stored += st.receipts_stored;
		t->ihave_ids_sent += st.ihave_ids_sent;
		t->grafts_sent += st.grafts_sent;
		t->prunes_sent += st.prunes_sent;
		if (st.eager_links == UINT64_MAX || !st.has_traffic)
			t->no_eager = -1;
		else if (t->no_eager >= 0 && st.eager_links == 0)
			t->no_eager++;
		t->has_traffic &= st.has_traffic;
	}
}

static double record_size(struct hnode *author, const uint8_t nbhd[32], const char *id)
{
	store_t *st = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	double size = NAN;
	if (rawstore_open(&st, author->dir) == 0) {
		if (rawstore_find(st, nbhd, REC_SIGNAL, id, &buf, &len) == 0)
			size = (double)len;
		free(buf);
		store_close(&st);
	}
	return size;
}

/* ---- the measurement ---- */

static size_t pairs_delivered(const struct watches *w, int sent, char (*ids)[65], const int *sender,
			      bool *seen, int n)
{
	size_t delivered = 0;
	for (int k = 0; k < sent; k++) {
		memset(seen, 0, (size_t)n);
		for (size_t i = 0; i < w->n_evs; i++) {
			const struct bench_ev *e = &w->evs[i];
			if ((int)e->node == sender[k] || seen[e->node] || strcmp(e->id, ids[k]))
				continue;
			seen[e->node] = true;
			delivered++;
		}
	}
	return delivered;
}

static void res_init(struct mesh_result *res, int n, const char *mode)
{
	memset(res, 0, sizeof(*res));
	res->n = n;
	snprintf(res->mode, sizeof(res->mode), "%s", mode);
	res->p50 = res->p99 = res->max = res->delivered_ratio = NAN;
	res->payload_copies = res->bytes_per_household = res->record_bytes = NAN;
	res->receipt_copies = res->receipt_bytes = res->receipts_stored = NAN;
	res->payload_copies_stable = res->copies_received = res->ihave_per_household = NAN;
	res->grafts = res->prunes = NAN;
	res->load1 = NAN;
	res->no_eager_before = res->no_eager_after = -1;
}

/* Waits until every daemon has at least `want` links up and the number of
 * links in the whole neighbourhood has not changed for 2 s: households dial
 * peers they learned while the neighbourhood formed, and each new link
 * starts eager, so a measurement during that is one of a mesh still being
 * built. Returns false (and says so in note) if it did not settle in time. */
static bool links_settled(struct hnode *nodes, int n, char *note, size_t cap)
{
	int want = n - 1 < 6 ? n - 1 : 6; /* samend's default active_links */
	double end = bench_now_ms() + 30000 + 100.0 * n, stable_since = 0;
	uint64_t last_total = UINT64_MAX;
	int good = 0;
	while (bench_now_ms() < end) {
		uint64_t total = 0;
		good = 0;
		for (int i = 0; i < n; i++) {
			struct bstatus st;
			if (bnode_status(&nodes[i], &st)) {
				good += st.links >= (uint64_t)want;
				total += st.links;
			}
		}
		double now = bench_now_ms();
		if (good < n || total != last_total)
			stable_since = now;
		last_total = total;
		if (now - stable_since >= 2000)
			return true;
		usleep(300000);
	}
	snprintf(note, cap, "links still changing when the alerts began (%d of %d daemons had %d)",
		 good, n, want);
	return false;
}

static int measure(struct hnode *nodes, int n, int alerts, struct mesh_result *res);

/* Each mode gets a neighbourhood of its own, built the same way: a mesh
 * restarted into another mode would measure a mass restart (every household
 * announcing itself at once, links formed anew) rather than the mode. */
int bench_mesh(struct hnode **nodes_out, int n, char modes[][16], int n_modes, int alerts,
	       struct mesh_result *results)
{
	struct hnode *nodes = calloc((size_t)n, sizeof(*nodes));
	int ret = -1, ret_mode = -1;
	for (int m = 0; m < n_modes; m++)
		res_init(&results[m], n, modes[m]);
	if (!nodes || n < 2) {
		snprintf(results[0].note, sizeof(results[0].note), "needs at least 2 daemons");
		free(nodes);
		return -1;
	}
	bool running = false;
	for (int m = 0; m < n_modes; m++) {
		struct mesh_result *res = &results[m];
		const char *mode_line = bench_mode_config(modes[m]);
		if (!mode_line) {
			snprintf(res->note, sizeof(res->note), "this samend has no `gossip = %s`", modes[m]);
			continue;
		}
		if (running) {
			bench_log("mesh n=%d: stopping the %s neighbourhood", n, modes[m - 1]);
			bench_stop_nodes(nodes, (size_t)n);
			running = false;
		}
		for (int i = 0; i < n; i++) {
			char name[48];
			snprintf(name, sizeof(name), "m%d-%s-%d", n, modes[m], i);
			bnode_init(&nodes[i], name, bench_port());
		}
		double t_setup = bench_now_ms();
		bench_log("mesh n=%d (%s): building the neighbourhood", n, modes[m]);
		size_t members = bench_neighbourhood(nodes, (size_t)n, mode_line, res->note,
						     sizeof(res->note));
		running = true;
		res->members = (int)members;
		if (members < 2) {
			bench_log("mesh n=%d: setup failed: %s", n, res->note);
			continue;
		}
		if (!res->note[0])
			(void)links_settled(nodes, n, res->note, sizeof(res->note));
		res->setup_s = (bench_now_ms() - t_setup) / 1000;
		bench_log("mesh n=%d: %zu members, links settled, after %.1f s%s%s", n, members,
			  res->setup_s, res->note[0] ? "; " : "", res->note);
		if (measure(nodes, n, alerts, res) == 0)
			ret = 0, ret_mode = m;
	}
	if (nodes_out && ret == 0 && running && ret_mode == n_modes - 1) {
		*nodes_out = nodes;
	} else {
		bench_log("mesh n=%d: stopping the daemons", n);
		if (running)
			bench_stop_nodes(nodes, (size_t)n);
		free(nodes);
	}
	return ret;
}

static int measure(struct hnode *nodes, int n, int alerts, struct mesh_result *res)
{
	struct watches w;
	const char *mode = res->mode;
	int ret = -1;
	memset(&w, 0, sizeof(w));
	if (!watches_open(&w, nodes, (size_t)n)) {
		snprintf(res->note, sizeof(res->note), "could not open a watch stream on every daemon");
		goto out;
	}
	pump(&w, 500);
	w.n_evs = 0;
	res->load1 = bench_load1();

	struct totals before, after, *snap = calloc((size_t)alerts + 1, sizeof(*snap));
	totals_of(nodes, (size_t)n, &before);
	res->no_eager_before = before.no_eager;
	res->alert_copies = calloc((size_t)alerts, sizeof(double));
	res->alert_max = calloc((size_t)alerts, sizeof(double));
	double *t0 = calloc((size_t)alerts, sizeof(double));
	char(*ids)[65] = calloc((size_t)alerts, 65);
	int *sender = calloc((size_t)alerts, sizeof(int));
	bool *seen = calloc((size_t)n, sizeof(bool));
	int sent_ok = 0, failed = 0;
	double alert_timeout = 10000 + 20.0 * n;
	int gap_ms = bench_env_int("BENCH_GAP_MS", 300);
	if (!t0 || !ids || !sender || !seen || !snap || !res->alert_copies || !res->alert_max)
		goto out_free;
	snap[0] = before;
	for (int k = 0; k < alerts; k++) {
		int who = (int)((1 + (unsigned)k * 7919u) % (unsigned)n);
		void *s = bench_ctl_socket(w.ctx, &nodes[who]);
		if (!s) {
			failed++;
			continue;
		}
		w.items[w.n].socket = s;
		w.items[w.n].events = ZMQ_POLLIN;
		bool replied = bench_send_request(s, k) == 0 && pump(&w, 15000);
		double t_reply = bench_now_ms();
		char id[65] = "", err[200] = "";
		if (replied && !bench_send_reply(s, id, err, sizeof(err))) {
			replied = false;
			if (!failed)
				bench_log("mesh n=%d: send refused: %s", n, err);
		}
		w.items[w.n].socket = NULL;
		zmq_close(s);
		if (!replied) {
			failed++;
			continue;
		}
		t0[sent_ok] = t_reply;
		sender[sent_ok] = who;
		snprintf(ids[sent_ok], 65, "%s", id);
		sent_ok++;
		/* wait until every other household has it, or give up */
		memset(seen, 0, (size_t)n);
		size_t have = 0, scanned = 0;
		double end = t_reply + alert_timeout;
		while (have < (size_t)n - 1 && bench_now_ms() < end) {
			for (; scanned < w.n_evs; scanned++) {
				const struct bench_ev *e = &w.evs[scanned];
				if ((int)e->node != who && !seen[e->node] && !strcmp(e->id, id)) {
					seen[e->node] = true;
					have++;
				}
			}
			if (have < (size_t)n - 1)
				pump(&w, 20);
		}
		pump(&w, gap_ms);
		/* what this alert cost (status of every daemon between alerts;
		 * past 100 daemons only after the first, to save time) */
		if (n > 100 && sent_ok > 1) {
			res->alert_copies[sent_ok - 1] = NAN;
			snap[sent_ok] = snap[1];
			snap[sent_ok].answered = 0;
		} else {
			totals_of(nodes, (size_t)n, &snap[sent_ok]);
		}
		if (snap[sent_ok].answered == (size_t)n && snap[sent_ok - 1].answered == (size_t)n &&
		    snap[sent_ok].has_traffic)
			res->alert_copies[sent_ok - 1] =
				(double)(snap[sent_ok].records_sent - snap[sent_ok - 1].records_sent) /
				(double)(n - 1);
		else
			res->alert_copies[sent_ok - 1] = NAN;
		res->alert_max[sent_ok - 1] = NAN;
		for (size_t i = 0; i < w.n_evs; i++)
			if (!strcmp(w.evs[i].id, id) && (int)w.evs[i].node != who) {
				double ms = w.evs[i].t - t_reply;
				if (ms < 0)
					ms = 0; /* before `send` returned: counted as 0 ms, as below */
				if (isnan(res->alert_max[sent_ok - 1]) || ms > res->alert_max[sent_ok - 1])
					res->alert_max[sent_ok - 1] = ms;
			}
	}
	/* anything still missing may come by anti-entropy (every 30 s by
	 * default): it counts as delivered, late, if it arrives meanwhile */
	double settle_end = bench_now_ms() + 35000;
	pump(&w, 2000); /* late copies land in the counters */
	while (pairs_delivered(&w, sent_ok, ids, sender, seen, n) < (size_t)sent_ok * (size_t)(n - 1) &&
	       bench_now_ms() < settle_end)
		pump(&w, 500);
	totals_of(nodes, (size_t)n, &after);
	res->no_eager_after = after.no_eager;
	res->alerts = sent_ok;

	/* every (household, alert) pair: the first event counts */
	size_t delivered = 0;
	struct lat later = {0};
	/* BENCH_EVENTS=file: every arrival as "mode n alert sender household ms" */
	const char *dump_path = bench_env_str("BENCH_EVENTS", "");
	FILE *dump = dump_path[0] ? fopen(dump_path, "a") : NULL;
	for (int k = 0; k < sent_ok; k++) {
		memset(seen, 0, (size_t)n);
		for (size_t i = 0; i < w.n_evs; i++) {
			const struct bench_ev *e = &w.evs[i];
			if ((int)e->node == sender[k] || seen[e->node] || strcmp(e->id, ids[k]))
				continue;
			seen[e->node] = true;
			double ms = e->t - t0[k];
			if (ms < 0) {
				res->early++;
				ms = 0;
			}
			lat_add(&res->lat, ms);
			if (k > 0)
				lat_add(&later, ms);
			if (dump)
				fprintf(dump, "%s %d %d %d %u %.3f\n", mode, n, k, sender[k], e->node, ms);
			delivered++;
		}
	}
	if (dump)
		fclose(dump);
	lat_sort(&res->lat);
	lat_sort(&later);
	res->p99_after_first = lat_pct(&later, 0.99);
	res->max_after_first = lat_max(&later);
	free(later.v);
	if (sent_ok) {
		double pairs = (double)sent_ok * (double)(n - 1);
		res->delivered_ratio = (double)delivered / pairs;
		res->p50 = lat_pct(&res->lat, 0.50);
		res->p99 = lat_pct(&res->lat, 0.99);
		res->max = lat_max(&res->lat);
		res->record_bytes = record_size(&nodes[sender[sent_ok - 1]], nodes[0].pk,
						ids[sent_ok - 1]);
		bool all = after.answered == (size_t)n && before.answered == (size_t)n;
		/* every copy that reached a daemon went through validation once:
		 * stored, duplicate or refused (the author's own send counts too) */
		if (all)
			res->copies_received =
				((double)(after.verdicts - before.verdicts) - sent_ok) / pairs;
		if (all && before.has_traffic && after.has_traffic) {
			res->payload_copies = (double)(after.records_sent - before.records_sent) / pairs;
			res->ihave_per_household =
				(double)(after.ihave_ids_sent - before.ihave_ids_sent) / pairs;
			res->grafts = (double)(after.grafts_sent - before.grafts_sent);
			res->prunes = (double)(after.prunes_sent - before.prunes_sent);
			res->bytes_per_household =
				((double)(after.record_bytes_sent - before.record_bytes_sent) +
				 32.0 * (double)(after.ihave_ids_sent - before.ihave_ids_sent)) /
				pairs;
			if (sent_ok >= 2 && snap[1].answered == (size_t)n)
				res->payload_copies_stable =
					(double)(after.records_sent - snap[1].records_sent) /
					((double)(sent_ok - 1) * (double)(n - 1));
			snprintf(res->copies_source, sizeof(res->copies_source), "status.traffic");
			if (after.receipts_stored > before.receipts_stored) {
				double per = (double)n * (double)sent_ok;
				res->receipt_copies =
					(double)(after.receipts_sent - before.receipts_sent) / per;
				res->receipt_bytes =
					(double)(after.receipt_bytes_sent - before.receipt_bytes_sent) / per;
				res->receipts_stored =
					(double)(after.receipts_stored - before.receipts_stored) / per;
			}
		} else if (all) {
			res->payload_copies = res->copies_received;
			res->bytes_per_household = res->payload_copies * res->record_bytes;
			snprintf(res->copies_source, sizeof(res->copies_source),
				 "verdict counters; bytes = copies x record size");
		}
		ret = 0;
		res->ok = true;
	}
	if (failed) {
		size_t len = strlen(res->note);
		snprintf(res->note + len, sizeof(res->note) - len, "%s%d of %d sends failed",
			 len ? "; " : "", failed, alerts);
	}
	bench_log("mesh n=%d (%s): %d alerts, delivered %.4f, p50 %.1f ms, p99 %.1f ms, max %.1f ms, "
		  "copies %.2f, grafts %.0f, prunes %.0f; households without an eager link %d before, "
		  "%d after (-1: not known)",
		  n, mode, sent_ok, res->delivered_ratio, res->p50, res->p99, res->max,
		  res->payload_copies, res->grafts, res->prunes, res->no_eager_before,
		  res->no_eager_after);
out_free:
	free(snap);
	free(t0);
	free(ids);
	free(sender);
	free(seen);
out:
	watches_close(&w);
	return ret;
}

/* ---- an idle household ---- */

/* fork/exec until the control socket answers `status` */
static double start_once(struct hnode *node)
{
	void *ctx = zmq_ctx_new();
	void *s = NULL;
	double ms = NAN;
	int one = 1, zero = 0;
	char ep[700];
	double t = bench_now_ms();
	if (!ctx || !bnode_start(node))
		goto out;
	s = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &one, sizeof(one)); /* the socket file appears late */
	snprintf(ep, sizeof(ep), "ipc://%s/control", node->dir);
	struct mp_buf b;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 1);
	mpmap_put_str(&b.pk, "op", "status");
	if (zmq_connect(s, ep) == 0 && send_map(s, &b) == 0) {
		zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, 10000) == 1)
			ms = bench_now_ms() - t;
	}
out:
	if (s)
		zmq_close(s);
	if (ctx)
		zmq_ctx_term(ctx);
	return ms;
}

/*
 * The floor: a process that loads the same libraries as samend (this
 * binary links the same ones), makes a zmq context as net_open() does (no
 * context options: one I/O thread), binds the ZAP handler and one CURVE
 * ROUTER with the options daemon/mesh.c gives every link socket, and then waits.
 * It runs no samen code, so what an idle samend has above it is samen's
 * own: its code, its store, its links and what it allocates.
 */
static int floor_opt(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

int bench_idle_floor(void)
{
	uint8_t pk[32], sk[32];
	int64_t max = LINK_MSG_MAX;
	if (sodium_init() < 0)
		return 1;
	crypto_box_keypair(pk, sk);
	void *ctx = zmq_ctx_new();
	void *zap = ctx ? zmq_socket(ctx, ZMQ_REP) : NULL;
	void *s = ctx ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
	if (!zap || !s || floor_opt(zap, ZMQ_LINGER, 0) ||
	    zmq_bind(zap, "inproc://zeromq.zap.01") != 0 ||
	    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof(max)) || floor_opt(s, ZMQ_LINGER, 0) ||
	    floor_opt(s, ZMQ_HEARTBEAT_IVL, 2000) || floor_opt(s, ZMQ_HEARTBEAT_TIMEOUT, 6000) ||
	    floor_opt(s, ZMQ_HEARTBEAT_TTL, 6000) || floor_opt(s, ZMQ_SNDHWM, 10000) ||
	    floor_opt(s, ZMQ_RCVHWM, 64) || floor_opt(s, ZMQ_CURVE_SERVER, 1) ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sk, 32) ||
	    zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, "mesh", 4) || floor_opt(s, ZMQ_ROUTER_MANDATORY, 1) ||
	    zmq_bind(s, "tcp://127.0.0.1:*") != 0) {
		printf("floor: %s\n", zmq_strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause(); /* SIGTERM ends it */
}

/* Starts the floor, waits for "ready" and one more second (the daemon is
 * measured a second after its last request too), reads it, stops it. */
static void measure_floor(struct idle_result *res)
{
	char self[512], log[600], buf[256];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		return;
	self[len] = '\0';
	snprintf(log, sizeof(log), "%s/idle-floor.log", bench_dir());
	char *argv[] = {self, "--idle-floor", NULL};
	pid_t pid = bench_spawn(argv, log);
	bool ready = false;
	for (int i = 0; pid > 0 && i < 100 && !ready && bench_alive(pid); i++) {
		FILE *f = fopen(log, "r");
		size_t got = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		buf[got] = '\0';
		if (f)
			fclose(f);
		ready = strstr(buf, "ready") != NULL;
		if (!ready)
			usleep(50000);
	}
	if (ready) {
		sleep(1);
		res->floor_rss_kb = bench_rss_kb(pid);
		res->floor_anon_kb = bench_proc_kb(pid, "RssAnon");
		res->floor_file_kb = bench_proc_kb(pid, "RssFile");
		res->floor_pss_kb = bench_pss_kb(pid);
	} else {
		bench_log("idle: the floor process did not start (see %s)", log);
	}
	if (pid > 0)
		bench_stop(&pid, SIGTERM, 2000);
}

void bench_idle(struct hnode *nodes, int n, struct idle_result *res)
{
	struct hnode *h = &nodes[n > 1 ? 1 : 0];
	struct bstatus st;
	uint64_t a0, m0, a1, m1;
	memset(res, 0, sizeof(*res));
	res->rss_kb = res->rss_anon_kb = res->rss_file_kb = res->pss_kb = -1;
	res->floor_rss_kb = res->floor_anon_kb = res->floor_file_kb = res->floor_pss_kb = -1;
	res->wakeups_per_s = res->wakeups_main_per_s = res->start_ms = res->start_max_ms = NAN;
	res->seconds = bench_env_int("BENCH_IDLE_SECONDS", 10);
	bench_log("idle: one household of %d, %d s", n, res->seconds);
	if (bnode_status(h, &st))
		res->links = (int)st.links;
	sleep(1);
	double t = bench_now_ms();
	if (!bench_ctxt(h->pid, &a0, &m0)) {
		snprintf(res->note, sizeof(res->note), "cannot read /proc/%d", (int)h->pid);
		return;
	}
	sleep((unsigned)res->seconds);
	bench_ctxt(h->pid, &a1, &m1);
	double secs = (bench_now_ms() - t) / 1000;
	res->wakeups_per_s = (double)(a1 - a0) / secs;
	res->wakeups_main_per_s = (double)(m1 - m0) / secs;
	/* memory at the end of the idle window, not a second after the mesh
	 * run and the status request: what an idle household holds */
	res->rss_kb = bench_rss_kb(h->pid);
	res->rss_anon_kb = bench_proc_kb(h->pid, "RssAnon");
	res->rss_file_kb = bench_proc_kb(h->pid, "RssFile");
	res->pss_kb = bench_pss_kb(h->pid); /* before the floor shares its pages */
	res->threads = bench_threads(h->pid);
	measure_floor(res);

	/* start to ready: the same household restarted, median of five */
	struct lat starts = {0};
	for (int i = 0; i < 5; i++) {
		bench_stop(&h->pid, SIGTERM, 10000);
		double ms = start_once(h);
		if (!isnan(ms))
			lat_add(&starts, ms);
	}
	lat_sort(&starts);
	res->start_ms = lat_pct(&starts, 0.5);
	res->start_max_ms = lat_max(&starts);
	lat_free(&starts);
	res->ok = res->rss_kb > 0 && !isnan(res->start_ms);
	bench_log("idle: RSS %ld kB (%ld anon + %ld file, Pss %ld), floor %ld kB (%ld anon + %ld file), "
		  "%.1f wake-ups/s (main thread %.1f), %zu threads, %d links, start %.1f ms",
		  res->rss_kb, res->rss_anon_kb, res->rss_file_kb, res->pss_kb, res->floor_rss_kb,
		  res->floor_anon_kb, res->floor_file_kb, res->wakeups_per_s, res->wakeups_main_per_s,
		  res->threads, res->links, res->start_ms);
}
