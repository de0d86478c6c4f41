/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * ingest.c — how fast one daemon validates and durably stores what a peer
 * pushes, how fast a relay replays its store to an authority, and how fast
 * `samen subscribe` decrypts; each beside the raw libsodium rate of the
 * operation it is bound by, measured here in the same run.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "../support/rawpeer.h"
#include "../../client/subscribe.h"
#include "../../daemon/node.h"
#include "../../proto/vpool.h"
#include "../../keys/keyfile.h"
#include "../../keys/keytext.h"
#include "../../proto/link.h"
#include "../../proto/mp.h"
#include "../../proto/mpmap.h"
#include "../../proto/signal.h"

#define AUTHOR_RECORDS 8000 /* per author: under the rate_burst of 10000 */
#define RATE_CONFIG "rate_per_minute = 6000\nrate_burst = 10000\n"
#define DESCRIPTION "Persoon loopt langs geparkeerde auto's en probeert de portieren"

/* A signed alert like the ones `samen send` makes, optionally sealed to one
 * authority. Caller frees *out. */
static int make_signal(const struct identity *id, const uint8_t nbhd[32], uint64_t seq,
		       uint64_t created, const uint8_t epoch_id[32], const uint8_t epoch_key[32],
		       const uint8_t *authority, uint8_t **out, size_t *len)
{
	struct record r;
	struct signal_plain *p = calloc(1, sizeof(*p));
	struct signal_buf *b = calloc(1, sizeof(*b));
	int ret = -ENOMEM;
	if (!p || !b)
		goto done;
	memset(&r, 0, sizeof(r));
	r.kind = REC_SIGNAL;
	memcpy(r.nbhd, nbhd, 32);
	memcpy(r.author, id->pk, 32);
	r.seq = seq;
	r.created = created;
	p->kind = SIG_ALERT;
	p->category = CAT_BREAKIN_ATTEMPT;
	p->severity = SEV_SEVERE;
	p->status = STATUS_REAL;
	p->called112 = true;
	snprintf(p->description, sizeof(p->description), "%s (%llu)", DESCRIPTION,
		 (unsigned long long)seq);
	snprintf(p->where, sizeof(p->where), "Lindelaan 14, parkeerplaats");
	const uint8_t(*auth)[32] = (const uint8_t(*)[32])authority;
	ret = signal_encrypt(&r, p, epoch_id, epoch_key, auth, authority ? 1 : 0,
			     created + 4 * 3600, b);
	if (ret == 0)
		ret = record_sign(&r, id->sk, out, len);
done:
	free(p);
	free(b);
	return ret;
}

struct batch {
	struct identity **authors;
	size_t n_authors;
	uint8_t **recs;
	size_t *lens;
	long n;
};

static void batch_free(struct batch *b)
{
	for (long i = 0; b->recs && i < b->n; i++)
		free(b->recs[i]);
	for (size_t i = 0; b->authors && i < b->n_authors; i++)
		identity_free(&b->authors[i]);
	free(b->recs);
	free(b->lens);
	free(b->authors);
	memset(b, 0, sizeof(*b));
}

static bool make_authors(struct batch *b, long records, struct hnode *founder)
{
	b->n_authors = (size_t)((records + AUTHOR_RECORDS - 1) / AUTHOR_RECORDS);
	if (b->n_authors == 0)
		b->n_authors = 1;
	b->authors = calloc(b->n_authors, sizeof(*b->authors));
	if (!b->authors)
		return false;
	for (size_t i = 0; i < b->n_authors; i++) {
		char key[KEYTEXT_LEN], label[32];
		if (identity_generate(&b->authors[i]) < 0)
			return false;
		keytext_encode(b->authors[i]->pk, key);
		snprintf(label, sizeof(label), "Schrijver %zu", i);
		if (!bnode_certify(founder, key, "member", label))
			return false;
	}
	return true;
}

static bool make_records(struct batch *b, long records, const uint8_t nbhd[32],
			 const uint8_t epoch_id[32], const uint8_t epoch_key[32],
			 const uint8_t *authority)
{
	uint64_t *seq = calloc(b->n_authors, sizeof(uint64_t));
	b->recs = calloc((size_t)records, sizeof(*b->recs));
	b->lens = calloc((size_t)records, sizeof(*b->lens));
	if (!seq || !b->recs || !b->lens) {
		free(seq);
		return false;
	}
	uint64_t now = (uint64_t)time(NULL);
	for (long i = 0; i < records; i++) {
		size_t a = (size_t)i % b->n_authors;
		if (make_signal(b->authors[a], nbhd, ++seq[a], now, epoch_id, epoch_key, authority,
				&b->recs[i], &b->lens[i]) != 0) {
			free(seq);
			return false;
		}
		b->n = i + 1;
	}
	free(seq);
	return true;
}

/* A raw link to node's mesh socket as `as`: handshake, then HELLO. */
static bool link_open(struct rawpeer *p, struct hnode *node, const uint8_t nbhd[32],
		      const struct identity *as)
{
	char ep[64];
	uint8_t zero[32] = {0}, *msg = NULL;
	size_t len = 0;
	uint32_t v;
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", node->port);
	if (rawpeer_open_id(p, ep, node->pk, as) != 0)
		return false;
	if (rawpeer_wait_event(p, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
			       10000, &v) != ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
		return false;
	bool ok = rawlink_hello(nbhd, zero, "", &msg, &len) == 0 && rawpeer_send(p, msg, len) == 0;
	free(msg);
	return ok;
}

/* Pushes every record in RECORDS messages of at most 256, as fast as the
 * socket takes them, and waits until the daemon's store holds them all.
 * Returns records per second from the first send until `status` showed
 * the last one stored, or NAN. */
static double push_and_wait(struct rawpeer *p, struct hnode *node, const struct batch *b,
			    long *stored, long *rejected)
{
	struct bstatus st0, st;
	if (!bnode_status(node, &st0))
		return NAN;
	double t0 = bench_now_ms();
	for (long i = 0; i < b->n; i += LINK_RECORDS_MAX) {
		size_t k = (size_t)(b->n - i < LINK_RECORDS_MAX ? b->n - i : LINK_RECORDS_MAX);
		uint8_t *msg = NULL;
		size_t len = 0;
		if (rawlink_records((const uint8_t *const *)&b->recs[i], &b->lens[i], k, &msg, &len) != 0 ||
		    rawpeer_send(p, msg, len) != 0) {
			free(msg);
			return NAN;
		}
		free(msg);
	}
	double t_done = NAN, last_progress = bench_now_ms();
	uint64_t last = st0.records;
	for (;;) {
		if (!bnode_status(node, &st))
			break;
		double now = bench_now_ms();
		if (st.records >= st0.records + (uint64_t)b->n) {
			t_done = now;
			break;
		}
		/* every record pushed is counted once it went through validation */
		if (st.verdicts >= st0.verdicts + (uint64_t)b->n && st.records == last)
			break;
		if (st.records != last) {
			last = st.records;
			last_progress = now;
		} else if (now - last_progress > 15000) {
			break;
		}
		rawpeer_drain(p, 0);
		usleep(5000);
	}
	rawpeer_drain(p, 0);
	*stored = (long)(st.records - st0.records);
	*rejected = (long)(st.verdicts - st0.verdicts) - *stored;
	if (isnan(t_done))
		return NAN;
	return (double)b->n / ((t_done - t0) / 1000);
}

static bool epoch_of(struct hnode *founder, const struct identity *member, uint8_t epoch_id[32],
		     uint8_t key[32])
{
	store_t *st = NULL;
	uint64_t number = 0;
	bool ok = rawstore_open(&st, founder->dir) == 0 &&
		  rawstore_epoch_key(st, founder->pk, member, &number, epoch_id, key) == 0;
	store_close(&st);
	return ok;
}

/* ---- raw baselines ---- */

/* Ed25519 verification of these records' signatures, one thread */
static double raw_verify_rate(const struct batch *b)
{
	size_t n = b->n < 2000 ? (size_t)b->n : 2000;
	struct record *r = calloc(n ? n : 1, sizeof(*r));
	double rate = NAN;
	if (!r || !n)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (record_decode(b->recs[i], b->lens[i], &r[i]) != 0)
			goto out;
	long done = 0, bad = 0;
	double t0 = bench_now_ms();
	while (bench_now_ms() - t0 < 1500)
		for (size_t i = 0; i < n; i++, done++)
			bad += record_verify(&r[i]) != 0;
	rate = bad ? NAN : (double)done / ((bench_now_ms() - t0) / 1000);
out:
	free(r);
	return rate;
}

/* crypto_box_seal_open of a 32-byte content key, as in a key entry */
static double raw_seal_open_rate(const struct identity *id)
{
	uint8_t key[32], sealed[32 + crypto_box_SEALBYTES], out[32];
	randombytes_buf(key, sizeof(key));
	if (crypto_box_seal(sealed, key, sizeof(key), id->curve_pk) != 0)
		return NAN;
	long done = 0, bad = 0;
	double t0 = bench_now_ms();
	while (bench_now_ms() - t0 < 1500)
		for (int i = 0; i < 256; i++, done++)
			bad += crypto_box_seal_open(out, sealed, sizeof(sealed), id->curve_pk,
						    id->curve_sk) != 0;
	return bad ? NAN : (double)done / ((bench_now_ms() - t0) / 1000);
}

/* what a subscriber does at the least per shared signal: decode, verify,
 * open its key entry, decrypt the plaintext */
static double raw_open_signal_rate(const struct batch *b, const struct identity *id)
{
	struct signal_plain *p = calloc(1, sizeof(*p));
	size_t n = b->n < 2000 ? (size_t)b->n : 2000;
	long done = 0, bad = 0;
	if (!p || !n) {
		free(p);
		return NAN;
	}
	double t0 = bench_now_ms();
	while (bench_now_ms() - t0 < 1500)
		for (size_t i = 0; i < n && bench_now_ms() - t0 < 1500; i++, done++) {
			struct record r;
			bad += record_open(b->recs[i], b->lens[i], &r) != 0 ||
			       signal_decrypt_authority(&r, id->pk, id->curve_pk, id->curve_sk, p) != 0;
		}
	double rate = bad ? NAN : (double)done / ((bench_now_ms() - t0) / 1000);
	free(p);
	return rate;
}

/* ---- ingest ---- */

void bench_ingest(long records, struct ingest_result *res)
{
	struct hnode f;
	struct batch b;
	struct rawpeer p;
	uint8_t epoch_id[32], key[32];
	char extra[256];

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	memset(&p, 0, sizeof(p));
	res->records = records;
	res->records_per_s = res->raw_verify_per_s = res->record_bytes = NAN;
	res->raw_verify_before = res->raw_verify_after = NAN;
	bench_log("ingest: %ld records into one daemon", records);
	bnode_init(&f, "ingest", bench_port());
	snprintf(extra, sizeof(extra), RATE_CONFIG "learn_peers = 0\n");
	bnode_config(&f, f.pk, NULL, 0, extra);
	if (!bnode_start(&f) || !bnode_wait_ready(&f, 15000)) {
		snprintf(res->note, sizeof(res->note), "the daemon did not start (%.200s)", f.log);
		goto out;
	}
	if (!make_authors(&b, records, &f) || !bnode_epoch_settled(&f, 2500, 30000) ||
	    !epoch_of(&f, b.authors[0], epoch_id, key)) {
		snprintf(res->note, sizeof(res->note), "could not certify the authors");
		goto out;
	}
	bench_log("ingest: signing %ld signals by %zu authors", records, b.n_authors);
	if (!make_records(&b, records, f.pk, epoch_id, key, NULL)) {
		snprintf(res->note, sizeof(res->note), "could not make the records");
		goto out;
	}
	long total = 0;
	for (long i = 0; i < b.n; i++)
		total += (long)b.lens[i];
	res->record_bytes = (double)total / (double)b.n;
	if (!link_open(&p, &f, f.pk, b.authors[0])) {
		snprintf(res->note, sizeof(res->note), "the raw peer got no link");
		goto out;
	}
	/* the baseline right before and right after: the machine is shared */
	double before = raw_verify_rate(&b);
	res->records_per_s = push_and_wait(&p, &f, &b, &res->stored, &res->rejected);
	rawpeer_close(&p);
	double after = raw_verify_rate(&b);
	res->raw_verify_before = before;
	res->raw_verify_after = after;
	res->raw_verify_per_s = (before + after) / 2;
	res->ok = !isnan(res->records_per_s) && !isnan(res->raw_verify_per_s);
	/* samend checks a batch's signatures on as many threads as there are
	 * cores (proto/vpool.c), while the baseline is one core: the ratio
	 * is the target's, and the table must not hide the difference */
	unsigned threads = vpool_cpus(NODE_VERIFY_THREADS_MAX);
	if (res->stored != records)
		snprintf(res->note, sizeof(res->note), "%ld of %ld stored, %ld refused", res->stored,
			 records, res->rejected);
	else if (threads > 1)
		snprintf(res->note, sizeof(res->note),
			 "samend verified on %u threads (%u cores here); the raw verify baseline is 1 core",
			 threads, threads);
	bench_log("ingest: %.0f records/s stored, signatures checked on %u threads; raw verify "
		  "%.0f/s on 1 core", res->records_per_s, threads, res->raw_verify_per_s);
out:
	rawpeer_close(&p);
	batch_free(&b);
	bench_stop(&f.pid, SIGTERM, 10000);
}

/* ---- relay ---- */

static bool wait_records(struct hnode *n, uint64_t want, int timeout_ms)
{
	double end = bench_now_ms() + timeout_ms;
	while (bench_now_ms() < end) {
		struct bstatus st;
		if (bnode_status(n, &st) && st.records >= want)
			return true;
		usleep(100000);
	}
	return false;
}

static void send_sub(struct rawpeer *p, const char *op, const char *k1, uint64_t v1,
		     const char *k2, uint64_t v2)
{
	struct mp_buf b;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, k2 ? 3 : 2);
	mpmap_put_str(&b.pk, "op", op);
	mpmap_put_uint(&b.pk, k1, v1);
	if (k2)
		mpmap_put_uint(&b.pk, k2, v2);
	(void)rawpeer_send(p, b.sb.data, b.sb.size);
	mp_buf_destroy(&b);
}

/* From cursor 0 with a full window, returning credit as records arrive.
 * Returns records/s and the last cursor. */
static double replay(struct rawpeer *p, long want, uint64_t *last_cursor, long *got_out)
{
	long got = 0, since_credit = 0;
	double t0 = bench_now_ms(), t_last = t0;
	send_sub(p, "subscribe", "from", 0, "credit", 4096);
	while (got < want) {
		uint8_t *msg;
		long n = rawpeer_recv(p, &msg, 10000);
		if (n < 0)
			break;
		msgpack_unpacked u;
		char type[16] = "";
		uint64_t c = 0;
		msgpack_unpacked_init(&u);
		if (mp_unpack(msg, (size_t)n, 2, &u) == 0 &&
		    mpmap_str(&u.data, "type", type, sizeof(type)) == 0 && !strcmp(type, "record") &&
		    mpmap_uint(&u.data, "cursor", UINT64_MAX, &c) == 0) {
			got++;
			*last_cursor = c;
			t_last = bench_now_ms();
			if (++since_credit == 1024) {
				send_sub(p, "credit", "n", 1024, NULL, 0);
				since_credit = 0;
			}
		}
		msgpack_unpacked_destroy(&u);
		free(msg);
	}
	*got_out = got;
	return got ? (double)got / ((t_last - t0) / 1000) : NAN;
}

static long count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = 0;
	int c;
	while (f && (c = getc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

/* Whether this samen's subscribe takes --nbhd (required since 5a34dab;
 * unknown before it): options are read in order, so an unknown one fails
 * with status 2 before -h is reached. Lets BUILD name an older build. */
static bool subscribe_nbhd_knob(void)
{
	static int known = -1;
	if (known < 0) {
		char *argv[] = {(char *)bench_bin("samen"), "subscribe", "--nbhd",
				"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "-h", NULL};
		pid_t pid = bench_spawn(argv, NULL);
		known = pid > 0 && bench_wait(&pid, 5000) == 0;
	}
	return known == 1;
}

/* `samen subscribe --once` from `from` on, output and cursor in dir;
 * returns signals per second, with the count in *lines. */
static double subscribe_rate(struct hnode *relay, const char *sub_ep, struct hnode *police,
			     const char *nbhd, const char *dir, uint64_t from, long *lines)
{
	char out[600], cur[600], log[600];
	snprintf(out, sizeof(out), "%s/out.jsonl", dir);
	snprintf(cur, sizeof(cur), "%s/cursor", dir);
	snprintf(log, sizeof(log), "%s/subscribe.log", dir);
	FILE *f = fopen(cur, "w");
	if (!f)
		return NAN;
	fprintf(f, "%llu\n", (unsigned long long)from);
	fclose(f);
	unlink(out);
	char *argv[] = {(char *)bench_bin("samen"), "subscribe", "--relay", (char *)sub_ep,
			"--relay-key", relay->key_text, "--key", police->key_path, "--format", "json",
			"--out", out, "--cursor-file", cur, "--once", NULL, NULL, NULL};
	if (subscribe_nbhd_knob()) {
		argv[15] = "--nbhd";
		argv[16] = (char *)nbhd;
	}
	double t0 = bench_now_ms();
	pid_t pid = bench_spawn(argv, log);
	int st = bench_wait(&pid, 600000);
	double secs = (bench_now_ms() - t0) / 1000;
	*lines = count_lines(out);
	if (st != 0) {
		bench_log("relay: samen subscribe exited with %d (see %s)", st, log);
		return NAN;
	}
	return (double)*lines / secs;
}

void bench_relay(long records, long decrypt_records, struct relay_result *res)
{
	struct hnode f, r, police;
	struct batch b;
	struct rawpeer p, sub;
	struct identity *pol = NULL;
	uint8_t epoch_id[32], key[32];
	char extra[1024], sub_ep[64], shm[64] = "";

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	memset(&p, 0, sizeof(p));
	memset(&sub, 0, sizeof(sub));
	res->records = records;
	res->load_per_s = res->replay_per_s = res->decrypt_per_s = res->decrypt_shm_per_s = NAN;
	res->raw_seal_open_per_s = res->raw_open_signal_per_s = NAN;
	/* samen subscribe verifies and decrypts on as many threads as there
	 * are cores (client/subscribe.c), the baselines on one core: the
	 * ratio is the target's, and the table must not hide the difference */
	res->subscribe_threads = vpool_cpus(SUBSCRIBE_THREADS_DEFAULT_MAX);
	bench_log("relay: %ld shared signals into a relay", records);
	bnode_init(&f, "relay-founder", bench_port());
	bnode_init(&r, "relay", bench_port());
	bnode_init(&police, "police", 0);
	int sub_port = bench_port();
	snprintf(sub_ep, sizeof(sub_ep), "tcp://127.0.0.1:%d", sub_port);
	bnode_config(&f, f.pk, NULL, 0, RATE_CONFIG);
	if (!bnode_start(&f) || !bnode_wait_ready(&f, 15000)) {
		snprintf(res->note, sizeof(res->note), "the founder did not start");
		goto out;
	}
	if (!make_authors(&b, records, &f) ||
	    !bnode_certify(&f, r.key_text, "relay", "Relay wijkcentrum") ||
	    !bnode_certify(&f, police.key_text, "authority", "Politie basisteam") ||
	    !bnode_epoch_settled(&f, 2500, 30000) || !epoch_of(&f, b.authors[0], epoch_id, key) ||
	    keyfile_read_secret(police.key_path, NULL, &pol) != 0) {
		snprintf(res->note, sizeof(res->note), "could not certify the relay, authority and authors");
		goto out;
	}
	snprintf(extra, sizeof(extra), "role = relay\nserve = %s\nsubscriber_listen = %s\n" RATE_CONFIG,
		 f.key_text, sub_ep);
	struct hnode *peers[1] = {&f};
	bnode_config(&r, NULL, peers, 1, extra);
	struct bstatus fst;
	if (!bnode_start(&r) || !bnode_wait_ready(&r, 15000) || !bnode_status(&f, &fst) ||
	    !wait_records(&r, fst.records, 30000)) {
		snprintf(res->note, sizeof(res->note), "the relay did not start or sync (%.200s)", r.log);
		goto out;
	}
	/* the founder goes: the relay then forwards to nobody, and what is
	 * measured is the relay alone */
	bench_stop(&f.pid, SIGTERM, 10000);
	bench_log("relay: signing %ld signals shared with the authority", records);
	if (!make_records(&b, records, f.pk, epoch_id, key, pol->pk)) {
		snprintf(res->note, sizeof(res->note), "could not make the records");
		goto out;
	}
	if (!link_open(&p, &r, f.pk, b.authors[0])) {
		snprintf(res->note, sizeof(res->note), "the raw peer got no link to the relay");
		goto out;
	}
	long stored = 0, rejected = 0;
	res->load_per_s = push_and_wait(&p, &r, &b, &stored, &rejected);
	rawpeer_close(&p);
	if (stored != records) {
		snprintf(res->note, sizeof(res->note), "the relay stored %ld of %ld (%ld refused)", stored,
			 records, rejected);
		goto out;
	}
	bench_log("relay: loaded at %.0f records/s; replaying from cursor 0", res->load_per_s);

	if (rawpeer_open_id(&sub, sub_ep, r.pk, pol) != 0) {
		snprintf(res->note, sizeof(res->note), "no subscriber connection");
		goto out;
	}
	uint32_t v;
	if (rawpeer_wait_event(&sub, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
			       10000, &v) != ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
		snprintf(res->note, sizeof(res->note), "the relay refused the authority");
		goto out;
	}
	uint64_t last_cursor = 0;
	long got = 0;
	res->replay_per_s = replay(&sub, records, &last_cursor, &got);
	rawpeer_close(&sub);
	if (got != records) {
		snprintf(res->note, sizeof(res->note), "replay delivered %ld of %ld", got, records);
		goto out;
	}
	bench_log("relay: replay %.0f records/s; samen subscribe over the last %ld",
		  res->replay_per_s, decrypt_records);

	/* the baselines right before and right after the two runs: the machine is
	 * shared, and a baseline taken a minute away from what it is compared
	 * with says little */
	bench_log("relay: raw sealed-box open and verify+open+decrypt rates, before");
	double seal0 = raw_seal_open_rate(pol), sig0 = raw_open_signal_rate(&b, pol);

	/* the CLI, as an authority runs it: output fdatasync'ed and the cursor
	 * saved once per batch of decrypted signals */
	if (decrypt_records > records)
		decrypt_records = records;
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/subscriber", bench_dir());
	mkdir(dir, 0700);
	long lines = 0;
	res->decrypt_per_s = subscribe_rate(&r, sub_ep, &police, f.key_text, dir,
					    last_cursor - (uint64_t)decrypt_records, &lines);
	res->decrypt_records = lines;
	if (lines != decrypt_records)
		snprintf(res->note, sizeof(res->note), "samen subscribe wrote %ld of %ld", lines,
			 decrypt_records);
	else if (res->subscribe_threads > 1)
		snprintf(res->note, sizeof(res->note),
			 "samen subscribe verified and decrypted on %u threads (%u cores here); the raw "
			 "sealed-box open and verify+open+decrypt baselines are 1 core",
			 res->subscribe_threads, res->subscribe_threads);
	/* the same on tmpfs: what is left when fsync costs nothing */
	long shm_records = bench_env_int("BENCH_DECRYPT_SHM", 20000);
	if (shm_records > records)
		shm_records = records;
	snprintf(shm, sizeof(shm), "/dev/shm/samen-bench-XXXXXX");
	if (mkdtemp(shm)) {
		long l2 = 0;
		res->decrypt_shm_per_s = subscribe_rate(&r, sub_ep, &police, f.key_text, shm,
							last_cursor - (uint64_t)shm_records, &l2);
		if (l2 != shm_records)
			res->decrypt_shm_per_s = NAN;
	} else {
		shm[0] = '\0';
	}
	bench_log("relay: raw sealed-box open and verify+open+decrypt rates, after");
	double seal1 = raw_seal_open_rate(pol), sig1 = raw_open_signal_rate(&b, pol);
	res->raw_seal_open_per_s = (seal0 + seal1) / 2;
	res->raw_open_signal_per_s = (sig0 + sig1) / 2;
	res->ok = !isnan(res->replay_per_s) && !isnan(res->decrypt_per_s) &&
		  !isnan(res->raw_seal_open_per_s);
	bench_log("relay: raw seal open %.0f/s (before %.0f, after %.0f), raw verify+open+decrypt "
		  "%.0f/s (before %.0f, after %.0f)",
		  res->raw_seal_open_per_s, seal0, seal1, res->raw_open_signal_per_s, sig0, sig1);
	/* a subscriber verifies the signature and decrypts the body as well as
	 * opening its key entry: the second ratio compares like with like */
	bench_log("relay: subscribe on %u threads %.0f/s (tmpfs %.0f/s) = %.3f (tmpfs %.3f) of raw "
		  "seal open, %.3f (tmpfs %.3f) of raw verify+open+decrypt, both on 1 core",
		  res->subscribe_threads, res->decrypt_per_s, res->decrypt_shm_per_s,
		  res->decrypt_per_s / res->raw_seal_open_per_s,
		  res->decrypt_shm_per_s / res->raw_seal_open_per_s,
		  res->decrypt_per_s / res->raw_open_signal_per_s,
		  res->decrypt_shm_per_s / res->raw_open_signal_per_s);
out:
	if (shm[0]) {
		char *argv[] = {"/bin/rm", "-rf", shm, NULL};
		pid_t pid = bench_spawn(argv, NULL);
		bench_wait(&pid, 30000);
	}
	rawpeer_close(&p);
	rawpeer_close(&sub);
	identity_free(&pol);
	batch_free(&b);
	bench_stop(&r.pid, SIGTERM, 10000);
	bench_stop(&f.pid, SIGTERM, 10000);
}
