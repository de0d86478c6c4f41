/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * bench.c — `make bench`: measures samen on this machine and prints one
 * table, writes bench/results.json and, when gnuplot is installed, a
 * latency CDF (bench/latency-cdf.png).
 *
 * Environment (all optional):
 *   BENCH_SIZES="10 100 300"  mesh sizes          BENCH_SERF_SIZES  (default: BENCH_SIZES)
 *   BENCH_SCALE=500           the scale row        BENCH_ALERTS=20   alerts per mesh size
 *   BENCH_MODES="eager tree"  gossip modes (default: eager, and tree when samend knows it)
 *   BENCH_INGEST=50000        records pushed       BENCH_RELAY=100000 records a relay replays
 *   BENCH_DECRYPT=20000       signals `samen subscribe` decrypts with fsync'ed output
 *                             (enough that its start-up, 20-45 ms, does not dominate)
 *   BENCH_IDLE_SECONDS=10     BENCH_GAP_MS=300
 *   BENCH_ONLY="mesh idle serf ingest relay web scale"
 *   BENCH_WEB_CLIENTS=200     samen-web streams (half SSE, half ntfy JSON)
 *   BENCH_WEB_ALERTS=10       alerts they wait for
 *   BENCH_WEB_DEVICES=64      devices paired for them (at most the 64 a household holds;
 *                             above 10, pairing is paced to samen-web's 10 a minute)
 *   BENCH_WEB_STATIC=web/static  the page's files for samen-web
 *   BENCH_OUT=bench/results.json  BENCH_PLOT=bench/latency-cdf.png  SAMEN_KEEP=1 keeps files
 *   BENCH_EVENTS=file         appends every arrival: mode n alert sender household ms
 *   BUILD=dir                 where samend and samen are (default build): another
 *                             commit's build, to compare two in one sitting
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define SIZES_MAX 16

struct run {
	int sizes[SIZES_MAX], n_sizes;
	int serf_sizes[SIZES_MAX], n_serf;
	char modes[4][16];
	int n_modes;
	struct mesh_result mesh[SIZES_MAX * 4];
	int n_mesh;
	struct serf_result serf[SIZES_MAX];
	int n_serf_res;
	struct ingest_result ingest;
	struct relay_result relay;
	struct idle_result idle;
	struct mesh_result scale;
	int scale_requested;
	char scale_note[300];
	struct web_result web;
	bool did_ingest, did_relay, did_idle, did_scale, did_web;
	char machine[300];
	double seconds;
};

static struct run R;

static int parse_sizes(const char *s, int *out)
{
	int n = 0;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok(buf, " ,"); t && n < SIZES_MAX; t = strtok(NULL, " ,")) {
		int v = atoi(t);
		if (v >= 2)
			out[n++] = v;
	}
	return n;
}

static bool wanted(const char *part)
{
	const char *only = getenv("BENCH_ONLY");
	if (!only || !*only)
		return true;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", only);
	for (char *t = strtok(buf, " ,"); t; t = strtok(NULL, " ,"))
		if (!strcmp(t, part))
			return true;
	return false;
}

static void machine_name(char *out, size_t cap)
{
	char model[200] = "unknown CPU", line[300];
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10)) {
			char *c = strchr(line, ':');
			if (c) {
				snprintf(model, sizeof(model), "%s", c + 2);
				model[strcspn(model, "\n")] = '\0';
			}
			break;
		}
	if (f)
		fclose(f);
	long mem = 0;
	f = fopen("/proc/meminfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %ld", &mem) == 1)
			break;
	if (f)
		fclose(f);
	struct utsname u;
	uname(&u);
	snprintf(out, cap, "%s, %ld cores, %.0f GiB, Linux %s", model, sysconf(_SC_NPROCESSORS_ONLN),
		 (double)mem / 1048576.0, u.release);
}

/* ---- the table ---- */

#define COLS 6
struct row {
	char c[COLS][160];
};
static struct row rows[64];
static int n_rows;

static void add_row(const char *what, const char *measured, const char *baseline,
		    const char *ratio, const char *target, const char *met)
{
	if (n_rows == 64)
		return;
	struct row *r = &rows[n_rows++];
	snprintf(r->c[0], 160, "%s", what);
	snprintf(r->c[1], 160, "%s", measured);
	snprintf(r->c[2], 160, "%s", baseline);
	snprintf(r->c[3], 160, "%s", ratio);
	snprintf(r->c[4], 160, "%s", target);
	snprintf(r->c[5], 160, "%s", met);
}

static const char *fmt(char *buf, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
static const char *fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vsnprintf(buf, cap, f, ap);
	va_end(ap);
	return buf;
}

/* 12345.6 -> "12,346" */
static const char *thousands(double v, char *buf, size_t cap)
{
	if (isnan(v))
		return snprintf(buf, cap, "—"), buf;
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%.0f", v);
	size_t len = strlen(tmp), j = 0;
	for (size_t i = 0; i < len && j + 2 < cap; i++) {
		buf[j++] = tmp[i];
		size_t left = len - i - 1;
		if (left && left % 3 == 0 && tmp[i] != '-')
			buf[j++] = ',';
	}
	buf[j] = '\0';
	return buf;
}

static const char *ms(double v, char *buf, size_t cap)
{
	if (isnan(v))
		snprintf(buf, cap, "—");
	else if (v < 10)
		snprintf(buf, cap, "%.2f", v);
	else if (v < 100)
		snprintf(buf, cap, "%.1f", v);
	else
		snprintf(buf, cap, "%.0f", v);
	return buf;
}

/* the same helpers for rows made in the parts' own files */
void bench_row(const char *what, const char *measured, const char *baseline, const char *ratio,
	       const char *target, const char *met)
{
	add_row(what, measured, baseline, ratio, target, met);
}

const char *bench_ms(double v, char *buf, size_t cap)
{
	return ms(v, buf, cap);
}

const char *bench_kb(double v, char *buf, size_t cap)
{
	return thousands(v, buf, cap);
}

static const char *yesno(bool measured, bool met)
{
	return !measured ? "n/a" : met ? "yes" : "NO";
}

static const struct serf_result *serf_for(int n)
{
	for (int i = 0; i < R.n_serf_res; i++)
		if (R.serf[i].n == n && R.serf[i].ok)
			return &R.serf[i];
	return NULL;
}

static void build_table(void)
{
	char a[160], b[160], c[160], d[64], e[64], f[64];
	for (int i = 0; i < R.n_mesh; i++) {
		const struct mesh_result *m = &R.mesh[i];
		char what[64], g[64], h[64], row[256];
		snprintf(what, sizeof(what), "mesh N=%d (%s)", m->n, m->mode);
		if (!m->ok) {
			add_row(what, fmt(a, sizeof(a), "not measured: %s", m->note), "", "", "", "n/a");
			continue;
		}
		bool target = m->delivered_ratio >= 1.0 && (m->n != 100 || m->p99 <= 100);
		add_row(what,
			fmt(row, sizeof(row), "p50 %s / p99 %s / max %s ms, %.2f%% of %d×%d delivered; "
					  "after the first alert p99 %s / max %s ms",
			    ms(m->p50, d, sizeof(d)), ms(m->p99, e, sizeof(e)), ms(m->max, f, sizeof(f)),
			    100 * m->delivered_ratio, m->alerts, m->n - 1,
			    ms(m->p99_after_first, g, sizeof(g)), ms(m->max_after_first, h, sizeof(h))),
			"", "", m->n == 100 ? "100% delivered, p99 ≤ 100 ms" : "100% delivered",
			yesno(true, target));
	}
	for (int i = 0; i < R.n_mesh; i++) {
		const struct mesh_result *m = &R.mesh[i];
		const struct serf_result *s = serf_for(m->n);
		char what[64];
		snprintf(what, sizeof(what), "vs Serf N=%d (%s)", m->n, m->mode);
		if (!m->ok)
			continue;
		if (!s) {
			const char *why = "not run";
			for (int k = 0; k < R.n_serf_res; k++)
				if (R.serf[k].n == m->n)
					why = R.serf[k].note;
			for (int k = 0; k < R.n_serf_res; k++)
				if (R.serf[k].n == m->n && R.serf[k].skipped)
					why = "not run at this size on this machine (see the note below)";
			add_row(what, fmt(a, sizeof(a), "samen p99 %s ms", ms(m->p99, d, sizeof(d))),
				fmt(b, sizeof(b), "Serf: %.120s", why), "", "samen/Serf p99 ≤ 0.1", "n/a");
			continue;
		}
		double ratio = m->p99 / s->p99;
		add_row(what, fmt(a, sizeof(a), "samen p99 %s ms", ms(m->p99, d, sizeof(d))),
			fmt(b, sizeof(b), "Serf p50 %s / p99 %s / max %s ms, %.2f%% delivered",
			    ms(s->p50, d, sizeof(d)), ms(s->p99, e, sizeof(e)), ms(s->max, f, sizeof(f)),
			    100 * s->delivered_ratio),
			fmt(c, sizeof(c), "%.3f", ratio), "samen/Serf p99 ≤ 0.1",
			yesno(true, ratio <= 0.1));
	}
	/* Serf sizes with no samen row beside them */
	for (int i = 0; i < R.n_serf_res; i++) {
		const struct serf_result *s = &R.serf[i];
		bool paired = false;
		for (int k = 0; k < R.n_mesh; k++)
			paired |= R.mesh[k].ok && R.mesh[k].n == s->n;
		if (paired)
			continue;
		char what[64];
		snprintf(what, sizeof(what), "Serf N=%d", s->n);
		add_row(what,
			s->ok ? fmt(a, sizeof(a), "Serf p50 %s / p99 %s / max %s ms, %.2f%% delivered",
				    ms(s->p50, d, sizeof(d)), ms(s->p99, e, sizeof(e)),
				    ms(s->max, f, sizeof(f)), 100 * s->delivered_ratio)
			      : fmt(a, sizeof(a), "not measured: %s", s->note),
			"no samen row of this size", "", "", "n/a");
	}
	for (int i = 0; i < R.n_mesh; i++) {
		const struct mesh_result *m = &R.mesh[i];
		char what[64], g[64];
		snprintf(what, sizeof(what), "payload copies N=%d (%s)", m->n, m->mode);
		if (!m->ok)
			continue;
		/* judged once the mesh is stable: after the first alert */
		double judged = isnan(m->payload_copies_stable) ? m->payload_copies
								: m->payload_copies_stable;
		if (!isnan(m->payload_copies_stable))
			snprintf(g, sizeof(g), ", %.2f after the first", m->payload_copies_stable);
		else
			g[0] = '\0';
		add_row(what,
			fmt(a, sizeof(a), "%.2f per household per signal over %d alerts%s; %s B per household",
			    m->payload_copies, m->alerts, g,
			    thousands(m->bytes_per_household, d, sizeof(d))),
			fmt(b, sizeof(b), "counted at receivers %.2f (receipts too); record %s B; %.1f ids announced",
			    m->copies_received, thousands(m->record_bytes, e, sizeof(e)),
			    isnan(m->ihave_per_household) ? 0.0 : m->ihave_per_household),
			"", "≤ 1.5 once stable", yesno(!isnan(judged), judged <= 1.5));
	}
	for (int i = 0; i < R.n_mesh; i++) {
		const struct mesh_result *m = &R.mesh[i];
		char what[64];
		snprintf(what, sizeof(what), "receipts N=%d (%s)", m->n, m->mode);
		if (!m->ok || isnan(m->receipts_stored))
			continue;
		/* one receipt covers every alert of a 3-second window: the cost per
		 * alert depends on how fast alerts come (the bench's pace) */
		add_row(what,
			fmt(a, sizeof(a), "%.2f receipts stored (each one signature check) and %s B "
					  "of receipts sent per household per alert",
			    m->receipts_stored, thousands(m->receipt_bytes, d, sizeof(d))),
			fmt(b, sizeof(b), "the alert itself: %s B per household; receipt copies %.2f",
			    thousands(m->bytes_per_household, e, sizeof(e)), m->receipt_copies),
			"", "reported", "n/a");
	}
	if (R.did_ingest) {
		const struct ingest_result *g = &R.ingest;
		double ratio = g->records_per_s / g->raw_verify_per_s;
		add_row("ingest",
			g->ok ? fmt(a, sizeof(a), "%s records/s validated and stored (%ld of %s B)",
				    thousands(g->records_per_s, d, sizeof(d)), g->records,
				    thousands(g->record_bytes, e, sizeof(e)))
			      : fmt(a, sizeof(a), "not measured: %s", g->note),
			fmt(b, sizeof(b), "raw Ed25519 verify %s/s, one core (mean of before and after)",
			    thousands(g->raw_verify_per_s, f, sizeof(f))),
			isnan(ratio) ? "—" : fmt(c, sizeof(c), "%.2f", ratio), "≥ 0.70 of raw verify",
			yesno(g->ok, ratio >= 0.70));
	}
	if (R.did_relay) {
		const struct relay_result *r = &R.relay;
		add_row("relay replay",
			!isnan(r->replay_per_s)
				? fmt(a, sizeof(a), "%s records/s from cursor 0 over %s",
				      thousands(r->replay_per_s, d, sizeof(d)),
				      thousands((double)r->records, e, sizeof(e)))
				: fmt(a, sizeof(a), "not measured: %s", r->note),
			fmt(b, sizeof(b), "relay filled at %s records/s",
			    thousands(r->load_per_s, f, sizeof(f))),
			"", "≥ 100,000/s", yesno(!isnan(r->replay_per_s), r->replay_per_s >= 100000));
		double ratio = r->decrypt_per_s / r->raw_seal_open_per_s;
		char shm[64];
		add_row("relay decrypt",
			!isnan(r->decrypt_per_s)
				? fmt(a, sizeof(a), "samen subscribe, %u threads: %s/s over %ld (on tmpfs %s/s)",
				      r->subscribe_threads, thousands(r->decrypt_per_s, d, sizeof(d)),
				      r->decrypt_records,
				      thousands(r->decrypt_shm_per_s, shm, sizeof(shm)))
				: fmt(a, sizeof(a), "not measured: %s", r->note),
			fmt(b, sizeof(b), "raw sealed-box open %s/s; verify+open+decrypt %s/s (1 core)",
			    thousands(r->raw_seal_open_per_s, e, sizeof(e)),
			    thousands(r->raw_open_signal_per_s, f, sizeof(f))),
			isnan(ratio) ? "—"
				     : fmt(c, sizeof(c), "%.3f of open (tmpfs %.3f); %.2f of verify+open+decrypt",
					   ratio, r->decrypt_shm_per_s / r->raw_seal_open_per_s,
					   r->decrypt_per_s / r->raw_open_signal_per_s),
			"≥ 0.70 of raw open", yesno(!isnan(ratio), ratio >= 0.70));
	}
	if (R.did_idle) {
		const struct idle_result *d0 = &R.idle;
		const struct serf_result *s = NULL;
		for (int i = 0; i < R.n_serf_res; i++)
			if (R.serf[i].ok && R.serf[i].rss_kb > 0 && !s)
				s = &R.serf[i];
		bool floor_ok = d0->floor_rss_kb > 0;
		char g[64], h[64], k[64];
		if (s)
			snprintf(k, sizeof(k), "; Serf agent %s kB (median of %d)",
				 thousands((double)s->rss_kb, h, sizeof(h)), s->n);
		else
			k[0] = '\0';
		/* the target is on VmRSS, as measured; the floor says how much of
		 * it no samen code can remove */
		add_row("idle RSS",
			d0->rss_kb > 0 ? fmt(a, sizeof(a), "VmRSS %s kB (%s anon + %s file), Pss %s kB; a household with %d links",
					     thousands((double)d0->rss_kb, d, sizeof(d)),
					     thousands((double)d0->rss_anon_kb, e, sizeof(e)),
					     thousands((double)d0->rss_file_kb, f, sizeof(f)),
					     thousands((double)d0->pss_kb, g, sizeof(g)), d0->links)
				       : fmt(a, sizeof(a), "not measured: %s", d0->note),
			floor_ok ? fmt(b, sizeof(b), "floor %s kB (%s anon + %s file): same libraries, zmq context, ZAP, one CURVE ROUTER, no samen code%s",
				       thousands((double)d0->floor_rss_kb, e, sizeof(e)),
				       thousands((double)d0->floor_anon_kb, f, sizeof(f)),
				       thousands((double)d0->floor_file_kb, g, sizeof(g)), k)
				 : fmt(b, sizeof(b), "floor: not measured%s", k),
			d0->rss_kb > 0 && floor_ok
				? fmt(c, sizeof(c), "%.2f of floor", (double)d0->rss_kb / (double)d0->floor_rss_kb)
				: "—",
			"≤ 4 MB VmRSS",
			d0->rss_kb <= 0 ? "n/a"
			: d0->rss_kb <= 4096 ? "yes"
			: floor_ok && d0->floor_rss_kb > 4096 ? "NO (floor alone > 4 MB)"
			: "NO");
		if (d0->rss_kb > 0 && floor_ok)
			add_row("idle RSS above floor",
				fmt(a, sizeof(a), "%+ld kB (%+ld anon, %+ld file): samen's code, store, links and heap",
				    d0->rss_kb - d0->floor_rss_kb, d0->rss_anon_kb - d0->floor_anon_kb,
				    d0->rss_file_kb - d0->floor_file_kb),
				fmt(b, sizeof(b), "floor Pss %s kB", thousands((double)d0->floor_pss_kb, e, sizeof(e))),
				"", "", "n/a");
		add_row("idle wake-ups",
			!isnan(d0->wakeups_per_s)
				? fmt(a, sizeof(a), "%.1f/s, %zu threads (main loop %.1f/s) over %d s",
				      d0->wakeups_per_s, d0->threads, d0->wakeups_main_per_s, d0->seconds)
				: "not measured",
			s && !isnan(s->wakeups_per_s)
				? fmt(b, sizeof(b), "Serf agent %.1f/s", s->wakeups_per_s)
				: "Serf: not measured",
			s && !isnan(s->wakeups_per_s) && !isnan(d0->wakeups_per_s)
				? fmt(c, sizeof(c), "%.2f", d0->wakeups_per_s / s->wakeups_per_s)
				: "—",
			"no busy polling (< 50/s)",
			yesno(!isnan(d0->wakeups_per_s), d0->wakeups_per_s < 50));
		add_row("start to ready",
			!isnan(d0->start_ms) ? fmt(a, sizeof(a), "%s ms median of 5 restarts (max %s)",
						   ms(d0->start_ms, d, sizeof(d)),
						   ms(d0->start_max_ms, e, sizeof(e)))
					     : "not measured",
			s && !isnan(s->start_ms)
				? fmt(b, sizeof(b), "Serf agent %s ms to its RPC", ms(s->start_ms, f, sizeof(f)))
				: "",
			"", "≤ 50 ms", yesno(!isnan(d0->start_ms), d0->start_ms <= 50));
	}
	if (R.did_web)
		bench_web_rows(&R.web);
	if (R.did_scale) {
		const struct mesh_result *m = &R.scale;
		char what[64];
		snprintf(what, sizeof(what), "scale N=%d (%s)", m->n, m->mode);
		add_row(what,
			m->ok ? fmt(a, sizeof(a), "p99 %s ms (p50 %s, max %s), %.2f%% of %d×%d delivered",
				    ms(m->p99, d, sizeof(d)), ms(m->p50, e, sizeof(e)),
				    ms(m->max, f, sizeof(f)), 100 * m->delivered_ratio, m->alerts, m->n - 1)
			      : fmt(a, sizeof(a), "not measured: %s", m->note),
			R.scale_note[0] ? R.scale_note : fmt(b, sizeof(b), "setup %.0f s", m->setup_s), "",
			fmt(c, sizeof(c), "N=%d: 100%% delivered", R.scale_requested),
			yesno(m->ok, m->ok && m->delivered_ratio >= 1.0 && m->n >= R.scale_requested));
	}
}

/* display width of UTF-8 text: count code points */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void print_table(FILE *out)
{
	static const char *head[COLS] = {"row", "measured", "baseline (same run)", "ratio", "target",
					 "met"};
	size_t w[COLS];
	for (int c = 0; c < COLS; c++) {
		w[c] = width(head[c]);
		for (int r = 0; r < n_rows; r++)
			if (width(rows[r].c[c]) > w[c])
				w[c] = width(rows[r].c[c]);
	}
	fprintf(out, "\nsamen bench — %s\n", R.machine);
	fprintf(out, "(%.0f s; every ratio is against a baseline measured in this run)\n\n", R.seconds);
	for (int r = -1; r < n_rows; r++) {
		for (int c = 0; c < COLS; c++) {
			const char *t = r < 0 ? head[c] : rows[r].c[c];
			fprintf(out, "%s%s", c ? " | " : "", t);
			if (c < COLS - 1)
				for (size_t k = width(t); k < w[c]; k++)
					fputc(' ', out);
		}
		fputc('\n', out);
		if (r < 0) {
			for (int c = 0; c < COLS; c++) {
				fprintf(out, "%s", c ? "-|-" : "");
				for (size_t k = 0; k < w[c]; k++)
					fputc('-', out);
			}
			fputc('\n', out);
		}
	}
	fputc('\n', out);
	fprintf(out, "load average (1 min) when the alerts began:");
	for (int i = 0; i < R.n_mesh; i++)
		if (R.mesh[i].ok)
			fprintf(out, " samen N=%d %s %.0f;", R.mesh[i].n, R.mesh[i].mode, R.mesh[i].load1);
	for (int i = 0; i < R.n_serf_res; i++)
		if (R.serf[i].ok)
			fprintf(out, " Serf N=%d %.0f;", R.serf[i].n, R.serf[i].load1);
	if (R.did_web && R.web.ok)
		fprintf(out, " web %.1f;", R.web.load1);
	if (R.did_scale && R.scale.ok)
		fprintf(out, " scale N=%d %.0f", R.scale.n, R.scale.load1);
	fprintf(out, "\n");
	for (int i = 0; i < R.n_mesh; i++)
		if (R.mesh[i].ok && R.mesh[i].note[0])
			fprintf(out, "note: mesh N=%d: %s\n", R.mesh[i].n, R.mesh[i].note);
	for (int i = 0; i < R.n_serf_res; i++)
		if (R.serf[i].note[0])
			fprintf(out, "note: Serf N=%d: %s\n", R.serf[i].n, R.serf[i].note);
	if (R.did_ingest && R.ingest.note[0])
		fprintf(out, "note: ingest: %s\n", R.ingest.note);
	if (R.did_relay && R.relay.note[0])
		fprintf(out, "note: relay: %s\n", R.relay.note);
	if (R.did_web && R.web.note[0])
		fprintf(out, "note: web: %s\n", R.web.note);
	if (R.did_scale && R.scale.ok && R.scale.note[0])
		fprintf(out, "note: scale: %s\n", R.scale.note);
	for (int i = 0; i < R.n_mesh; i++)
		if (R.mesh[i].ok) {
			if (!strncmp(R.mesh[i].copies_source, "verdict", 7))
				fprintf(out, "note: payload copies are counted at the receivers (every copy "
					     "that arrived was stored, a duplicate or refused): this samend has "
					     "no status.traffic; bytes are copies × record size\n");
			else
				fprintf(out, "note: payload copies = records sent in full (pushes and "
					     "replies) per household per signal, from status.traffic; bytes = "
					     "record bytes sent + 32 per id announced (IHAVE), without link "
					     "framing, CURVE and anti-entropy\n");
			break;
		}
}

/* ---- results.json ---- */

static void jnum(FILE *f, const char *key, double v, bool comma)
{
	if (isnan(v) || isinf(v))
		fprintf(f, "\"%s\": null%s", key, comma ? ", " : "");
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "\"%s\": %.0f%s", key, v, comma ? ", " : "");
	else
		fprintf(f, "\"%s\": %.6g%s", key, v, comma ? ", " : "");
}

static void jstr(FILE *f, const char *key, const char *s, bool comma)
{
	fprintf(f, "\"%s\": \"", key);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fprintf(f, "\"%s", comma ? ", " : "");
}

void bench_jnum(FILE *f, const char *key, double v, bool comma)
{
	jnum(f, key, v, comma);
}

void bench_jstr(FILE *f, const char *key, const char *s, bool comma)
{
	jstr(f, key, s, comma);
}

static void mesh_json(FILE *f, const struct mesh_result *m)
{
	fputc('{', f);
	jnum(f, "n", m->n, true);
	jstr(f, "mode", m->mode, true);
	jnum(f, "alerts", m->alerts, true);
	jnum(f, "p50_ms", m->ok ? m->p50 : NAN, true);
	jnum(f, "p99_ms", m->ok ? m->p99 : NAN, true);
	jnum(f, "p99_after_first_ms", m->ok ? m->p99_after_first : NAN, true);
	jnum(f, "max_after_first_ms", m->ok ? m->max_after_first : NAN, true);
	jnum(f, "max_ms", m->ok ? m->max : NAN, true);
	jnum(f, "delivered_ratio", m->ok ? m->delivered_ratio : NAN, true);
	jnum(f, "payload_copies", m->ok ? m->payload_copies : NAN, true);
	jnum(f, "bytes_per_household", m->ok ? m->bytes_per_household : NAN, true);
	jnum(f, "payload_copies_after_first", m->ok ? m->payload_copies_stable : NAN, true);
	jnum(f, "copies_received", m->ok ? m->copies_received : NAN, true);
	jnum(f, "ihave_ids_per_household", m->ok ? m->ihave_per_household : NAN, true);
	jnum(f, "receipt_copies_per_household", m->ok ? m->receipt_copies : NAN, true);
	jnum(f, "receipt_bytes_per_household", m->ok ? m->receipt_bytes : NAN, true);
	jnum(f, "receipts_stored_per_household", m->ok ? m->receipts_stored : NAN, true);
	fprintf(f, "\"alert_copies\": [");
	for (int k = 0; m->ok && m->alert_copies && k < m->alerts; k++) {
		char buf[32];
		fprintf(f, "%s%s", k ? ", " : "",
			isnan(m->alert_copies[k]) ? "null" : (snprintf(buf, sizeof(buf), "%.3f", m->alert_copies[k]), buf));
	}
	fprintf(f, "], \"alert_max_ms\": [");
	for (int k = 0; m->ok && m->alert_max && k < m->alerts; k++) {
		char buf[32];
		fprintf(f, "%s%s", k ? ", " : "",
			isnan(m->alert_max[k]) ? "null" : (snprintf(buf, sizeof(buf), "%.2f", m->alert_max[k]), buf));
	}
	fprintf(f, "], ");
	jnum(f, "record_bytes", m->record_bytes, true);
	jstr(f, "copies_source", m->copies_source, true);
	jnum(f, "members", m->members, true);
	jnum(f, "early_arrivals", m->early, true);
	jnum(f, "no_eager_link_before", m->no_eager_before < 0 ? NAN : m->no_eager_before, true);
	jnum(f, "no_eager_link_after", m->no_eager_after < 0 ? NAN : m->no_eager_after, true);
	jnum(f, "setup_s", m->setup_s, true);
	jnum(f, "load1", m->load1, true);
	jstr(f, "note", m->note, false);
	fputc('}', f);
}

static bool write_json(const char *path)
{
	char tmp[700];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return false;
	time_t now = time(NULL);
	char when[64];
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f, "{\n  ");
	jstr(f, "machine", R.machine, true);
	jstr(f, "finished", when, true);
	jnum(f, "seconds", R.seconds, false);
	fprintf(f, ",\n  \"mesh\": [");
	for (int i = 0; i < R.n_mesh; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		mesh_json(f, &R.mesh[i]);
	}
	fprintf(f, "\n  ],\n  \"serf\": [");
	for (int i = 0; i < R.n_serf_res; i++) {
		const struct serf_result *s = &R.serf[i];
		fprintf(f, "%s\n    {", i ? "," : "");
		jnum(f, "n", s->n, true);
		jnum(f, "events", s->events, true);
		jnum(f, "p50_ms", s->ok ? s->p50 : NAN, true);
		jnum(f, "p99_ms", s->ok ? s->p99 : NAN, true);
		jnum(f, "max_ms", s->ok ? s->max : NAN, true);
		jnum(f, "delivered_ratio", s->ok ? s->delivered_ratio : NAN, true);
		jnum(f, "agent_rss_kb", s->rss_kb > 0 ? (double)s->rss_kb : NAN, true);
		jnum(f, "agent_wakeups_per_s", s->wakeups_per_s, true);
		jnum(f, "start_ms", s->start_ms, true);
		jnum(f, "setup_s", s->setup_s, true);
		jnum(f, "load1", s->load1, true);
		fprintf(f, "\"skipped\": %s, ", s->skipped ? "true" : "false");
		jstr(f, "profile", "lan", true);
		jstr(f, "note", s->note, false);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"ingest\": ");
	if (R.did_ingest) {
		const struct ingest_result *g = &R.ingest;
		fputc('{', f);
		jnum(f, "records", (double)g->records, true);
		jnum(f, "records_per_s", g->ok ? g->records_per_s : NAN, true);
		jnum(f, "raw_verify_per_s", g->raw_verify_per_s, true);
		jnum(f, "raw_verify_before_per_s", g->raw_verify_before, true);
		jnum(f, "raw_verify_after_per_s", g->raw_verify_after, true);
		jnum(f, "ratio", g->records_per_s / g->raw_verify_per_s, true);
		jnum(f, "record_bytes", g->record_bytes, true);
		jnum(f, "stored", (double)g->stored, true);
		jnum(f, "refused", (double)g->rejected, true);
		jstr(f, "note", g->note, false);
		fputc('}', f);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\n  \"relay\": ");
	if (R.did_relay) {
		const struct relay_result *r = &R.relay;
		fputc('{', f);
		jnum(f, "records", (double)r->records, true);
		jnum(f, "load_per_s", r->load_per_s, true);
		jnum(f, "replay_per_s", r->replay_per_s, true);
		jnum(f, "decrypt_per_s", r->decrypt_per_s, true);
		jnum(f, "decrypt_records", (double)r->decrypt_records, true);
		jnum(f, "decrypt_tmpfs_per_s", r->decrypt_shm_per_s, true);
		jnum(f, "raw_seal_open_per_s", r->raw_seal_open_per_s, true);
		jnum(f, "raw_verify_open_decrypt_per_s", r->raw_open_signal_per_s, true);
		jnum(f, "subscribe_threads", (double)r->subscribe_threads, true);
		jstr(f, "note", r->note, false);
		fputc('}', f);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\n  \"idle\": ");
	if (R.did_idle) {
		const struct idle_result *d = &R.idle;
		fputc('{', f);
		jnum(f, "rss_kb", d->rss_kb > 0 ? (double)d->rss_kb : NAN, true);
		jnum(f, "rss_anon_kb", d->rss_anon_kb >= 0 ? (double)d->rss_anon_kb : NAN, true);
		jnum(f, "rss_file_kb", d->rss_file_kb >= 0 ? (double)d->rss_file_kb : NAN, true);
		jnum(f, "pss_kb", d->pss_kb >= 0 ? (double)d->pss_kb : NAN, true);
		jnum(f, "floor_rss_kb", d->floor_rss_kb > 0 ? (double)d->floor_rss_kb : NAN, true);
		jnum(f, "floor_rss_anon_kb", d->floor_anon_kb >= 0 ? (double)d->floor_anon_kb : NAN, true);
		jnum(f, "floor_rss_file_kb", d->floor_file_kb >= 0 ? (double)d->floor_file_kb : NAN, true);
		jnum(f, "floor_pss_kb", d->floor_pss_kb >= 0 ? (double)d->floor_pss_kb : NAN, true);
		jstr(f, "floor", "the same libraries, a zmq context as samend makes it, a ZAP handler and "
				 "one bound CURVE ROUTER with the link socket options; no samen code", true);
		jnum(f, "target_rss_kb", 4096, true);
		jnum(f, "wakeups_per_s", d->wakeups_per_s, true);
		jnum(f, "wakeups_main_thread_per_s", d->wakeups_main_per_s, true);
		jnum(f, "threads", (double)d->threads, true);
		jnum(f, "links", d->links, true);
		jnum(f, "seconds", d->seconds, true);
		jnum(f, "start_ms", d->start_ms, true);
		jnum(f, "start_max_ms", d->start_max_ms, false);
		fputc('}', f);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\n  \"web\": ");
	if (R.did_web)
		bench_web_json(f, &R.web);
	else
		fprintf(f, "null");
	fprintf(f, ",\n  \"scale\": ");
	if (R.did_scale) {
		const struct mesh_result *m = &R.scale;
		fputc('{', f);
		jnum(f, "n", m->n, true);
		jnum(f, "requested_n", R.scale_requested, true);
		jstr(f, "mode", m->mode, true);
		jnum(f, "alerts", m->alerts, true);
		jnum(f, "delivered_ratio", m->ok ? m->delivered_ratio : NAN, true);
		jnum(f, "p50_ms", m->ok ? m->p50 : NAN, true);
		jnum(f, "p99_ms", m->ok ? m->p99 : NAN, true);
		jnum(f, "max_ms", m->ok ? m->max : NAN, true);
		jnum(f, "payload_copies", m->ok ? m->payload_copies : NAN, true);
		jnum(f, "setup_s", m->setup_s, true);
		jstr(f, "note", R.scale_note[0] ? R.scale_note : m->note, false);
		fputc('}', f);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, "\n}\n");
	bool ok = fclose(f) == 0;
	return ok && rename(tmp, path) == 0;
}

/* ---- the CDF plot ---- */

static const char *find_gnuplot(void)
{
	static char path[300];
	const char *env = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", env && *env ? env : "/usr/bin:/bin");
	for (char *d = strtok(buf, ":"); d; d = strtok(NULL, ":")) {
		snprintf(path, sizeof(path), "%s/gnuplot", d);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

static bool cdf_file(const char *path, const struct lat *l, double total)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%.4f %.6f\n", l->v[i] < 0.5 ? 0.5 : l->v[i], (double)(i + 1) / total);
	return fclose(f) == 0;
}

static void plot(const char *png)
{
	const char *gp = find_gnuplot();
	if (!gp) {
		bench_log("no gnuplot: no latency plot (apt-get install gnuplot-nox)");
		return;
	}
	char script[600];
	snprintf(script, sizeof(script), "%s/cdf.gp", bench_dir());
	FILE *s = fopen(script, "w");
	if (!s)
		return;
	fprintf(s, "set terminal png size 1000,600\nset output '%s'\n"
		   "set title 'Alert delivery latency, %s'\n"
		   "set xlabel 'ms from send returning to arrival (log scale; under 0.5 ms shown at 0.5)'\n"
		   "set ylabel 'fraction of (household, alert) pairs'\nset logscale x\n"
		   "set xrange [0.5:*]\nset yrange [0:1.02]\nset grid\nset key left top\nplot ",
		png, R.machine);
	int series = 0;
	for (int i = 0; i < R.n_mesh + R.n_serf_res; i++) {
		bool is_mesh = i < R.n_mesh;
		const struct lat *l = is_mesh ? &R.mesh[i].lat : &R.serf[i - R.n_mesh].lat;
		int n = is_mesh ? R.mesh[i].n : R.serf[i - R.n_mesh].n;
		int k = is_mesh ? R.mesh[i].alerts : R.serf[i - R.n_mesh].events;
		if (!l->n || k <= 0)
			continue;
		char dat[600];
		snprintf(dat, sizeof(dat), "%s/cdf-%d.dat", bench_dir(), i);
		if (!cdf_file(dat, l, (double)k * (n - 1)))
			continue;
		fprintf(s, "%s'%s' using 1:2 with steps lw 2 title '%s N=%d%s%s'", series++ ? ", " : "",
			dat, is_mesh ? "samen" : "Serf", n, is_mesh ? " " : "",
			is_mesh ? R.mesh[i].mode : "");
	}
	fputc('\n', s);
	fclose(s);
	if (!series)
		return;
	char *argv[] = {(char *)gp, script, NULL};
	char log[600];
	snprintf(log, sizeof(log), "%s/gnuplot.log", bench_dir());
	pid_t pid = bench_spawn(argv, log);
	if (bench_wait(&pid, 60000) == 0)
		bench_log("latency CDF in %s", png);
	else
		bench_log("gnuplot failed (see %s)", log);
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--idle-floor"))
		return bench_idle_floor(); /* the idle row's baseline process */
	bench_init();
	machine_name(R.machine, sizeof(R.machine));
	R.n_sizes = parse_sizes(bench_env_str("BENCH_SIZES", "10 100 300"), R.sizes);
	R.n_serf = parse_sizes(bench_env_str("BENCH_SERF_SIZES", bench_env_str("BENCH_SIZES", "10 100 300")),
			       R.serf_sizes);
	int alerts = bench_env_int("BENCH_ALERTS", 20);
	R.scale_requested = bench_env_int("BENCH_SCALE", 500);
	/* eager always; tree as soon as samend has `gossip = tree` */
	char modes[128];
	snprintf(modes, sizeof(modes), "%s",
		 bench_env_str("BENCH_MODES", bench_mode_config("tree") ? "eager tree" : "eager"));
	for (char *t = strtok(modes, " ,"); t && R.n_modes < 4; t = strtok(NULL, " ,"))
		snprintf(R.modes[R.n_modes++], 16, "%s", t);
	bench_log("samen bench on %s; work in %s", R.machine, bench_dir());

	bool all_ok = true;
	if (wanted("mesh")) {
		for (int i = 0; i < R.n_sizes; i++) {
			struct hnode *nodes = NULL;
			bool idle_here = !R.did_idle && wanted("idle");
			struct mesh_result *res = &R.mesh[R.n_mesh];
			bench_mesh(idle_here ? &nodes : NULL, R.sizes[i], R.modes, R.n_modes, alerts, res);
			for (int m = 0; m < R.n_modes; m++)
				all_ok &= res[m].ok;
			R.n_mesh += R.n_modes;
			if (nodes) {
				bench_idle(nodes, R.sizes[i], &R.idle);
				R.did_idle = true;
				all_ok &= R.idle.ok;
				bench_stop_nodes(nodes, (size_t)R.sizes[i]);
				free(nodes);
			}
		}
	}
	if (wanted("serf")) {
		/* 300 Serf agents overload this machine's 2 cores: a try left the
		 * load average near 800, memberlist probes timing out, and no agent
		 * seeing all the others after 6 minutes */
		int serf_max = bench_env_int("BENCH_SERF_MAX", 100);
		for (int i = 0; i < R.n_serf; i++) {
			struct serf_result *s = &R.serf[R.n_serf_res++];
			if (R.serf_sizes[i] > serf_max) {
				memset(s, 0, sizeof(*s));
				s->n = R.serf_sizes[i];
				s->skipped = true;
				s->p50 = s->p99 = s->max = s->delivered_ratio = NAN;
				s->wakeups_per_s = s->start_ms = s->load1 = NAN;
				snprintf(s->note, sizeof(s->note),
					 "not run: more than BENCH_SERF_MAX=%d Serf agents overload %ld cores "
					 "(a try at 300: none converged in 6 min, load average ~800)",
					 serf_max, sysconf(_SC_NPROCESSORS_ONLN));
				continue;
			}
			bench_serf(R.serf_sizes[i], alerts, i == 0, s);
			all_ok &= s->ok;
		}
	}
	if (wanted("ingest")) {
		bench_ingest(bench_env_int("BENCH_INGEST", 50000), &R.ingest);
		R.did_ingest = true;
		all_ok &= R.ingest.ok;
	}
	if (wanted("relay")) {
		bench_relay(bench_env_int("BENCH_RELAY", 100000), bench_env_int("BENCH_DECRYPT", 20000),
			    &R.relay);
		R.did_relay = true;
		all_ok &= R.relay.ok;
	}
	if (wanted("web")) {
		bench_web(bench_env_int("BENCH_WEB_CLIENTS", 200), bench_env_int("BENCH_WEB_DEVICES", 64),
			  bench_env_int("BENCH_WEB_ALERTS", 10), &R.web);
		R.did_web = true;
		all_ok &= R.web.ok;
	}
	if (wanted("scale") && R.scale_requested >= 2) {
		int n = R.scale_requested;
		/* about 3 MB per daemon and its threads; leave half the memory free */
		long avail = bench_mem_available_kb();
		if (avail > 0 && (long)n * 3 * 1024 > avail / 2) {
			n = (int)(avail / 2 / (3 * 1024));
			snprintf(R.scale_note, sizeof(R.scale_note),
				 "only %d daemons fit in half of the %ld MB available", n, avail / 1024);
		}
		char mode[1][16];
		snprintf(mode[0], 16, "%s", R.n_modes ? R.modes[R.n_modes - 1] : "eager");
		bench_mesh(NULL, n, mode, 1, bench_env_int("BENCH_SCALE_ALERTS", 1), &R.scale);
		R.did_scale = true;
		all_ok &= R.scale.ok;
	}
	R.seconds = bench_elapsed_s();
	build_table();
	print_table(stdout);
	const char *out = bench_env_str("BENCH_OUT", "bench/results.json");
	const char *png = bench_env_str("BENCH_PLOT", "bench/latency-cdf.png");
	char d[600];
	snprintf(d, sizeof(d), "%s", out);
	char *slash = strrchr(d, '/');
	if (slash) {
		*slash = '\0';
		mkdir(d, 0755);
	}
	if (write_json(out))
		printf("results: %s\n", out);
	else
		fprintf(stderr, "bench: cannot write %s: %s\n", out, strerror(errno));
	plot(png);
	bench_cleanup();
	harness_cleanup();
	return all_ok ? 0 : 1;
}
