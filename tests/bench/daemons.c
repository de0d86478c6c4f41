/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * daemons.c — samend processes for the bench: keys, configs, start and
 * stop, `status`, and a neighbourhood of hundreds built by certification
 * rather than one invite at a time.
 */
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../keys/keytext.h"
#include "../../proto/mpmap.h"

void bnode_init(struct hnode *n, const char *name, int port)
{
	struct identity *id = NULL;
	memset(n, 0, sizeof(*n));
	snprintf(n->dir, sizeof(n->dir), "%s/%s", bench_dir(), name);
	snprintf(n->key_path, sizeof(n->key_path), "%s/identity.key", n->dir);
	snprintf(n->config, sizeof(n->config), "%s/samend.conf", n->dir);
	snprintf(n->log, sizeof(n->log), "%s/log", n->dir);
	if (mkdir(n->dir, 0700) < 0 || identity_generate(&id) < 0 ||
	    keyfile_write_secret(n->key_path, id, NULL) < 0) {
		fprintf(stderr, "bench: cannot make %s: %s\n", n->dir, strerror(errno));
		exit(2);
	}
	memcpy(n->pk, id->pk, 32);
	keytext_encode(id->pk, n->key_text);
	identity_free(&id);
	n->port = port;
}

void bnode_config(struct hnode *n, const uint8_t *nbhd, struct hnode *const *peers,
		  size_t n_peers, const char *extra)
{
	FILE *f = fopen(n->config, "w");
	if (!f) {
		fprintf(stderr, "bench: %s: %s\n", n->config, strerror(errno));
		exit(2);
	}
	fprintf(f, "state_dir = %s\nkey = %s\nlog_level = %s\n", n->dir, n->key_path,
		bench_env_str("BENCH_LOG_LEVEL", "warn"));
	if (nbhd) {
		char t[KEYTEXT_LEN];
		keytext_encode(nbhd, t);
		fprintf(f, "neighbourhood = %s\n", t);
	}
	if (n->port)
		fprintf(f, "listen = tcp://127.0.0.1:%d\n", n->port);
	for (size_t i = 0; i < n_peers; i++)
		fprintf(f, "peer = tcp://127.0.0.1:%d %s\n", peers[i]->port, peers[i]->key_text);
	if (extra)
		fputs(extra, f);
	fclose(f);
}

bool bnode_start(struct hnode *n)
{
	char *argv[] = {(char *)bench_bin("samend"), "-c", n->config, NULL};
	n->pid = bench_spawn(argv, n->log);
	return n->pid > 0;
}

/* The sum of every verdict: each record that reached validation once. */
static void counters_of(const msgpack_object *c, struct bstatus *st)
{
	if (!c || c->type != MSGPACK_OBJECT_MAP)
		return;
	for (uint32_t i = 0; i < c->via.map.size; i++) {
		const msgpack_object_kv *kv = &c->via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR || kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			continue;
		const char *k = kv->key.via.str.ptr;
		size_t kl = kv->key.via.str.size;
		if (kl == 12 && !memcmp(k, "peer-cutoffs", 12))
			continue;
		st->verdicts += kv->val.via.u64;
		if (kl == 9 && !memcmp(k, "duplicate", 9))
			st->duplicate = kv->val.via.u64;
	}
}

static uint64_t field(const msgpack_object *m, const char *key, bool *found)
{
	const msgpack_object *o = m ? mpmap_find(m, key) : NULL;
	if (!o || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		*found = false;
		return 0;
	}
	return o->via.u64;
}

bool bnode_status(struct hnode *n, struct bstatus *st)
{
	struct hreply r;
	memset(st, 0, sizeof(*st));
	if (!hnode_call(n, &r, "op=status", NULL))
		return false;
	bool ok = hreply_ok(&r);
	if (ok) {
		hreply_str(&r, "role", st->role, sizeof(st->role));
		st->links = hreply_uint(&r, "links");
		st->records = hreply_uint(&r, "records");
		st->epoch = hreply_uint(&r, "epoch");
		counters_of(mpmap_find(r.m, "counters"), st);
		/* status.traffic: what this daemon sent over its links */
		const msgpack_object *t = mpmap_find(r.m, "traffic");
		if (t && t->type == MSGPACK_OBJECT_MAP) {
			bool found = true;
			st->records_sent = field(t, "records_sent", &found);
			st->record_bytes_sent = field(t, "record_bytes_sent", &found);
			st->has_traffic = found;
			bool optional = true; /* eager-only daemons may lack these */
			st->ihave_ids_sent = field(t, "ihave_ids_sent", &optional);
			st->grafts_sent = field(t, "grafts_sent", &optional);
			st->prunes_sent = field(t, "prunes_sent", &optional);
			st->receipts_sent = field(t, "receipts_sent", &optional);
			st->receipt_bytes_sent = field(t, "receipt_bytes_sent", &optional);
			st->receipts_stored = field(t, "receipts_stored", &optional);
			bool known = true;
			st->eager_links = field(t, "eager_links", &known);
			if (!known)
				st->eager_links = UINT64_MAX;
		}
	}
	hreply_free(&r);
	return ok;
}

bool bnode_wait_ready(struct hnode *n, int timeout_ms)
{
	char path[700];
	double end = bench_now_ms() + timeout_ms;
	snprintf(path, sizeof(path), "%s/control", n->dir);
	while (bench_now_ms() < end) {
		if (!bench_alive(n->pid))
			return false;
		struct bstatus st;
		if (access(path, F_OK) == 0 && bnode_status(n, &st))
			return true;
		usleep(10000);
	}
	return false;
}

bool bnode_certify(struct hnode *f, const char *key_text, const char *role, const char *label)
{
	struct hreply r;
	char k[80], ro[40], la[100];
	snprintf(k, sizeof(k), "key=%s", key_text);
	snprintf(ro, sizeof(ro), "role=%s", role);
	snprintf(la, sizeof(la), "label=%s", label);
	bool ok = hnode_call(f, &r, "op=certify", k, ro, la, NULL) && hreply_ok(&r);
	if (!ok) {
		char err[300];
		fprintf(stderr, "bench: certify %s as %s: %s\n", key_text, role,
			r.m ? hreply_str(&r, "error", err, sizeof(err)) : "no answer");
	}
	hreply_free(&r);
	return ok;
}

uint64_t bnode_epoch_settled(struct hnode *f, int quiet_ms, int timeout_ms)
{
	double end = bench_now_ms() + timeout_ms, since = bench_now_ms();
	uint64_t last = 0;
	while (bench_now_ms() < end) {
		struct bstatus st;
		if (bnode_status(f, &st)) {
			if (st.epoch != last) {
				last = st.epoch;
				since = bench_now_ms();
			} else if (last && bench_now_ms() - since >= quiet_ms) {
				return last;
			}
		}
		usleep(100000);
	}
	return 0;
}

void bench_stop_nodes(struct hnode *nodes, size_t n)
{
	pid_t *pids = calloc(n ? n : 1, sizeof(*pids));
	if (!pids)
		return;
	for (size_t i = 0; i < n; i++)
		pids[i] = nodes[i].pid;
	bench_stop_many(pids, n, SIGTERM, 10000);
	for (size_t i = 0; i < n; i++)
		nodes[i].pid = 0;
	free(pids);
}

#define PEERS_PER_NODE 3
#define START_BATCH 25

size_t bench_neighbourhood(struct hnode *nodes, size_t n, const char *extra, char *note,
			   size_t note_cap)
{
	struct hnode *f = &nodes[0];
	note[0] = '\0';
	bnode_config(f, f->pk, NULL, 0, extra);
	if (!bnode_start(f) || !bnode_wait_ready(f, 15000)) {
		snprintf(note, note_cap, "the founder did not start (see %s)", f->log);
		return 0;
	}
	/* every household's certificate first: then a household's first link
	 * brings it everything, and ZAP everywhere admits everyone */
	for (size_t i = 1; i < n; i++) {
		char label[32];
		snprintf(label, sizeof(label), "Huis %zu", i);
		if (!bnode_certify(f, nodes[i].key_text, "member", label)) {
			snprintf(note, note_cap, "certify failed at household %zu", i);
			return 0;
		}
	}
	uint64_t epoch = bnode_epoch_settled(f, 2500, 60000);
	if (!epoch) {
		snprintf(note, note_cap, "the founder's epoch did not settle");
		return 0;
	}
	bench_log("  %zu certificates issued, founder at epoch %llu; starting households", n - 1,
		  (unsigned long long)epoch);
	double t_start = bench_now_ms();
	/* In batches, each household dialling only daemons that already hold
	 * everything: a daemon that has not yet heard of a newcomer's
	 * certificate refuses it, and samend retries a refused dial only after
	 * about 25 s (see the report). */
	size_t *synced = calloc(n, sizeof(size_t)), n_synced = 1;
	if (!synced)
		return 0;
	synced[0] = 0;
	for (size_t lo = 1; lo < n; lo += START_BATCH) {
		size_t hi = lo + START_BATCH < n ? lo + START_BATCH : n;
		for (size_t i = lo; i < hi; i++) {
			struct hnode *peers[PEERS_PER_NODE];
			size_t k = 0;
			while (k < PEERS_PER_NODE && k < n_synced) {
				struct hnode *p = &nodes[synced[randombytes_uniform((uint32_t)n_synced)]];
				bool dup = false;
				for (size_t j = 0; j < k; j++)
					dup |= peers[j] == p;
				if (!dup)
					peers[k++] = p;
			}
			bnode_config(&nodes[i], f->pk, peers, k, extra);
			if (!bnode_start(&nodes[i])) {
				snprintf(note, note_cap, "fork failed at household %zu", i);
				free(synced);
				return 0;
			}
		}
		for (size_t i = lo; i < hi; i++)
			if (!bnode_wait_ready(&nodes[i], 20000)) {
				snprintf(note, note_cap, "household %zu did not start (see %.200s)", i,
					 nodes[i].log);
				free(synced);
				return 0;
			}
		double end = bench_now_ms() + 30000;
		for (size_t i = lo; i < hi; i++) {
			struct bstatus st;
			while (bench_now_ms() < end && (!bnode_status(&nodes[i], &st) || st.epoch != epoch))
				usleep(20000);
			if (st.epoch == epoch)
				synced[n_synced++] = i;
		}
	}
	free(synced);
	bench_log("  %zu households started in %.1f s", n - 1, (bench_now_ms() - t_start) / 1000);
	/* everyone a member holding the founder's epoch */
	double t0 = bench_now_ms(), end = t0 + 60000 + 300.0 * (double)n, last_log = t0;
	size_t good = 0;
	bool *done = calloc(n, sizeof(bool));
	if (!done)
		return 0;
	while (bench_now_ms() < end) {
		for (size_t i = 0; i < n; i++) {
			struct bstatus st;
			if (done[i] || !bnode_status(&nodes[i], &st))
				continue;
			bool member = !strcmp(st.role, "member") || !strcmp(st.role, "founder") ||
				      !strcmp(st.role, "coordinator");
			if (member && st.epoch == epoch) {
				done[i] = true;
				good++;
			}
		}
		if (good == n)
			break;
		if (bench_now_ms() - last_log > 5000) {
			bench_log("  %zu of %zu daemons hold epoch %llu", good, n, (unsigned long long)epoch);
			last_log = bench_now_ms();
		}
		usleep(200000);
	}
	free(done);
	if (good < n) {
		snprintf(note, note_cap, "only %zu of %zu daemons held the current epoch after %.0f s",
			 good, n, (bench_now_ms() - t0) / 1000);
		return good;
	}
	/* quiet: every store holds the same records (certificates, epochs, every
	 * household's peer announcement), twice in a row */
	uint64_t prev = 0;
	int same = 0;
	end = bench_now_ms() + 30000 + 100.0 * (double)n;
	while (bench_now_ms() < end && same < 2) {
		uint64_t lo = UINT64_MAX, hi = 0;
		for (size_t i = 0; i < n; i++) {
			struct bstatus st;
			if (!bnode_status(&nodes[i], &st))
				continue;
			if (st.records < lo)
				lo = st.records;
			if (st.records > hi)
				hi = st.records;
		}
		if (lo == hi && lo == prev)
			same++;
		else
			same = 0;
		prev = lo == hi ? lo : 0;
		usleep(500000);
	}
	if (same < 2)
		snprintf(note, note_cap, "stores still differed when the alerts began");
	return good;
}
