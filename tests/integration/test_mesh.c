/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Integration: real samend processes on loopback, joined through real
 * invites, talking over CURVE links.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../support/harness.h"
#include "../../proto/invite.h"

#define N_MESH 10

struct have {
	struct hnode *nodes;
	size_t n;
	const char *id;
	int want;
};

static bool all_have(void *ctx)
{
	struct have *h = ctx;
	for (size_t i = 0; i < h->n; i++)
		if (!hnode_has(&h->nodes[i], h->id))
			return false;
	return true;
}

static bool all_count(void *ctx)
{
	struct have *h = ctx;
	for (size_t i = 0; i < h->n; i++)
		if (hnode_count(&h->nodes[i]) < h->want)
			return false;
	return true;
}

static void stop_all(struct hnode *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hnode_stop(&nodes[i], SIGTERM);
}

/* Ten daemons: an alert reaches all; an ack and an all-clear follow it and
 * link to it. */
static void test_ten_daemons_alert_ack_resolve(void **state)
{
	(void)state;
	struct hnode nodes[N_MESH];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	for (int i = 1; i < N_MESH; i++) {
		char name[16];
		snprintf(name, sizeof(name), "h%d", i);
		hnode_init(&nodes[i], name, harness_port(), 0);
	}
	assert_true(harness_neighbourhood(nodes, N_MESH, NULL));

	char id[65];
	uint64_t t0 = harness_ms();
	assert_true(hnode_send(&nodes[3], "Man probeert autodeuren", false, id));
	struct have h = {nodes, N_MESH, id, 0};
	assert_true(harness_wait(all_have, &h, 20000));
	/* an upper bound: it includes polling all ten control sockets */
	print_message("alert at all %d households within %llu ms of send\n", N_MESH,
		      (unsigned long long)(harness_ms() - t0));

	struct hreply r;
	char ref[80], ack_id[65], clear_id[65];
	snprintf(ref, sizeof(ref), "ref=%s", id);
	assert_true(hnode_call(&nodes[5], &r, "op=ack", ref, "ack=112-called", NULL));
	assert_true(hreply_ok(&r));
	hreply_str(&r, "id", ack_id, sizeof(ack_id));
	hreply_free(&r);
	assert_true(hnode_call(&nodes[3], &r, "op=resolve", ref, "text=Politie is ter plaatse", NULL));
	assert_true(hreply_ok(&r));
	hreply_str(&r, "id", clear_id, sizeof(clear_id));
	hreply_free(&r);
	h.id = ack_id;
	assert_true(harness_wait(all_have, &h, 20000));
	h.id = clear_id;
	assert_true(harness_wait(all_have, &h, 20000));

	/* everyone sees the thread: the alert is resolved, the ack refers to it */
	for (int i = 0; i < N_MESH; i++) {
		char arg[80], state_s[32];
		snprintf(arg, sizeof(arg), "id=%s", id);
		assert_true(hnode_call(&nodes[i], &r, "op=show", arg, NULL));
		assert_true(hreply_ok(&r));
		const msgpack_object *sig = NULL, *thread = NULL;
		for (uint32_t k = 0; k < r.m->via.map.size; k++) {
			const msgpack_object_kv *kv = &r.m->via.map.ptr[k];
			if (kv->key.via.str.size == 6 && !memcmp(kv->key.via.str.ptr, "signal", 6))
				sig = &kv->val;
			if (kv->key.via.str.size == 6 && !memcmp(kv->key.via.str.ptr, "thread", 6))
				thread = &kv->val;
		}
		assert_non_null(sig);
		assert_non_null(thread);
		assert_int_equal(thread->via.array.size, 2);
		struct hreply sub = {.m = sig};
		hreply_str(&sub, "state", state_s, sizeof(state_s));
		assert_string_equal(state_s, "resolved");
		hreply_free(&r);
	}
	stop_all(nodes, N_MESH);
	harness_cleanup();
}

/* A daemon killed with SIGKILL and one that was offline while 20 signals
 * were sent both catch up exactly. */
static void test_offline_catch_up(void **state)
{
	(void)state;
	struct hnode nodes[4];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	for (int i = 1; i < 4; i++) {
		char name[16];
		snprintf(name, sizeof(name), "h%d", i);
		hnode_init(&nodes[i], name, harness_port(), 0);
	}
	assert_true(harness_neighbourhood(nodes, 4, NULL));
	char id[65];
	assert_true(hnode_send(&nodes[1], "eerste", false, id));
	struct have h = {nodes, 4, id, 0};
	assert_true(harness_wait(all_have, &h, 20000));

	hnode_stop(&nodes[2], SIGKILL);
	hnode_stop(&nodes[3], SIGTERM);
	for (int i = 0; i < 20; i++) {
		char d[64];
		snprintf(d, sizeof(d), "signaal %d terwijl 2 en 3 weg zijn", i);
		assert_true(hnode_send(&nodes[i % 2], d, false, NULL));
	}
	/* h1's signals reach the founder by gossip: wait for them */
	struct have up = {nodes, 2, NULL, 21};
	assert_true(harness_wait(all_count, &up, 15000));
	hnode_start(&nodes[2]);
	hnode_start(&nodes[3]);
	assert_true(hnode_wait_ready(&nodes[2], 10000));
	assert_true(hnode_wait_ready(&nodes[3], 10000));
	h.want = 21;
	/* one anti-entropy round is 2 s here; allow a few for links to form */
	assert_true(harness_wait(all_count, &h, 15000));
	for (int i = 0; i < 4; i++)
		assert_int_equal(hnode_count(&nodes[i]), 21);
	stop_all(nodes, 4);
	harness_cleanup();
}

static bool file_has(void *ctx)
{
	const char **a = ctx;
	FILE *f = fopen(a[0], "r");
	char buf[65536];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return strstr(buf, a[1]) != NULL;
}

/* on_signal: the hook program gets a JSON event on stdin for each delivered
 * signal, with no signal text in its argv or environment. */
static void test_hook_gets_json(void **state)
{
	(void)state;
	struct hnode nodes[2];
	char script[700], out[700], envout[700], extra[800];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	hnode_init(&nodes[1], "h1", harness_port(), 0);
	snprintf(script, sizeof(script), "%s/hook.sh", harness_dir());
	snprintf(out, sizeof(out), "%s/hook.out", harness_dir());
	snprintf(envout, sizeof(envout), "%s/hook.env", harness_dir());
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\ncat >> %s\necho \"argc=$#\" >> %s\nenv >> %s\n", out, envout, envout);
	fclose(f);
	assert_int_equal(chmod(script, 0755), 0);
	snprintf(extra, sizeof(extra), "on_signal = %s\n", script);
	assert_true(harness_neighbourhood(nodes, 2, extra));
	char id[65];
	assert_true(hnode_send(&nodes[0], "Rookontwikkeling bij de garageboxen", false, id));
	const char *want[2] = {out, "Rookontwikkeling bij de garageboxen"};
	assert_true(harness_wait(file_has, want, 10000));
	want[1] = "\"event\":\"signal\"";
	assert_true(file_has(want));
	want[1] = id;
	assert_true(file_has(want));
	const char *env_want[2] = {envout, "argc=0"};
	assert_true(harness_wait(file_has, env_want, 5000));
	env_want[1] = "Rookontwikkeling";
	assert_false(file_has(env_want));

	/* SIGHUP reloads the configuration and membership; the daemon goes on */
	assert_int_equal(kill(nodes[0].pid, SIGHUP), 0);
	const char *reloaded[2] = {nodes[0].log, "reloaded the configuration"};
	assert_true(harness_wait(file_has, reloaded, 5000));
	assert_true(hnode_send(&nodes[0], "Na herladen", false, id));
	struct have h = {nodes, 2, id, 0};
	assert_true(harness_wait(all_have, &h, 10000));
	stop_all(nodes, 2);
}

static bool none_have(void *ctx)
{
	struct have *h = ctx;
	for (size_t i = 0; i < h->n; i++)
		if (hnode_has(&h->nodes[i], h->id))
			return false;
	return true;
}

/* An invite that needs approval: pending until a coordinator approves; a
 * retracted signal disappears everywhere and is not fetched again. */
static void test_approval_and_retraction(void **state)
{
	(void)state;
	struct hnode nodes[3];
	struct hreply r;
	char code[700], arg[800], key[80], state_s[32];
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	hnode_init(&nodes[1], "h1", harness_port(), 0);
	hnode_init(&nodes[2], "h2", harness_port(), 0);
	assert_true(harness_neighbourhood(nodes, 2, NULL));

	hnode_write_config(&nodes[2], NULL, NULL);
	hnode_start(&nodes[2]);
	assert_true(hnode_wait_ready(&nodes[2], 10000));
	assert_true(hnode_call(&nodes[0], &r, "op=invite", NULL));
	assert_true(hreply_ok(&r));
	hreply_str(&r, "code", code, sizeof(code));
	hreply_free(&r);
	snprintf(arg, sizeof(arg), "code=%s", code);
	assert_true(hnode_call(&nodes[2], &r, "op=join", arg, "label=Beukenstraat 2", NULL));
	assert_true(hreply_ok(&r));
	/* answered after the coordinator answered */
	hreply_str(&r, "state", state_s, sizeof(state_s));
	assert_string_equal(state_s, "pending");
	hreply_free(&r);
	/* pending at the coordinator, not a member yet */
	bool listed = false;
	for (int i = 0; i < 100 && !listed; i++) {
		assert_true(hnode_call(&nodes[0], &r, "op=pending", NULL));
		listed = memmem(r.buf, r.len, nodes[2].key_text, 43) != NULL;
		hreply_free(&r);
		if (!listed)
			usleep(50000);
	}
	assert_true(listed);
	assert_true(hnode_call(&nodes[2], &r, "op=status", NULL));
	hreply_str(&r, "role", state_s, sizeof(state_s));
	hreply_free(&r);
	assert_string_equal(state_s, "joining");
	/* a plain member cannot approve */
	snprintf(key, sizeof(key), "key=%s", nodes[2].key_text);
	assert_true(hnode_call(&nodes[1], &r, "op=approve", key, NULL));
	assert_false(hreply_ok(&r));
	hreply_str(&r, "code", state_s, sizeof(state_s));
	assert_string_equal(state_s, "forbidden");
	hreply_free(&r);
	assert_true(hnode_call(&nodes[0], &r, "op=approve", key, NULL));
	assert_true(hreply_ok(&r));
	hreply_free(&r);
	bool member = false;
	for (int i = 0; i < 200 && !member; i++) {
		assert_true(hnode_call(&nodes[2], &r, "op=status", NULL));
		hreply_str(&r, "role", state_s, sizeof(state_s));
		member = !strcmp(state_s, "member");
		hreply_free(&r);
		if (!member)
			usleep(50000);
	}
	assert_true(member);

	/* h1 posts something that profiles a person; the coordinator retracts it */
	char id[65], ref[80];
	struct have h = {nodes, 2, NULL, 0};
	assert_true(hnode_send(&nodes[1], "Verdacht uitziende man met een donkere huidskleur", false, id));
	h.id = id;
	assert_true(harness_wait(all_have, &h, 10000));
	snprintf(ref, sizeof(ref), "ref=%s", id);
	assert_true(hnode_call(&nodes[2], &r, "op=retract", ref, "reason=profiling", NULL));
	assert_false(hreply_ok(&r)); /* a member who is not its author may not */
	hreply_free(&r);
	assert_true(hnode_call(&nodes[0], &r, "op=retract", ref,
			       "reason=beschrijft uiterlijk in plaats van gedrag", NULL));
	assert_true(hreply_ok(&r));
	hreply_free(&r);
	h.n = 3;
	assert_true(harness_wait(none_have, &h, 10000));
	sleep(5); /* two anti-entropy rounds: nobody fetches it back */
	assert_true(none_have(&h));
	stop_all(nodes, 3);
}

static uint64_t records_sent(struct hnode *n)
{
	struct hreply r;
	uint64_t v = 0;
	if (!hnode_call(n, &r, "op=status", NULL))
		return 0;
	const msgpack_object *t = NULL;
	for (uint32_t k = 0; k < r.m->via.map.size; k++) {
		const msgpack_object_kv *kv = &r.m->via.map.ptr[k];
		if (kv->key.via.str.size == 7 && !memcmp(kv->key.via.str.ptr, "traffic", 7))
			t = &kv->val;
	}
	struct hreply sub = {.m = t};
	if (t)
		v = hreply_uint(&sub, "records_sent");
	hreply_free(&r);
	return v;
}

/* Full copies of a record per household: the push tree sends each record
 * about once per household once it has settled; eager push sends one per
 * link. Counted by the daemons themselves, so this is no timing assert. */
static double copies_per_household(const char *mode)
{
	struct hnode nodes[N_MESH];
	char extra[64];
	snprintf(extra, sizeof(extra), "gossip = %s\n", mode);
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	for (int i = 1; i < N_MESH; i++) {
		char name[16];
		snprintf(name, sizeof(name), "h%d", i);
		hnode_init(&nodes[i], name, harness_port(), 0);
	}
	assert_true(harness_neighbourhood(nodes, N_MESH, extra));
	struct have h = {nodes, N_MESH, NULL, 0};
	char id[65];
	for (int i = 0; i < 5; i++) { /* let the tree settle */
		assert_true(hnode_send(&nodes[i % N_MESH], "opwarmen", false, id));
		h.id = id;
		assert_true(harness_wait(all_have, &h, 20000));
	}
	sleep(1);
	uint64_t before = 0, after = 0;
	for (int i = 0; i < N_MESH; i++)
		before += records_sent(&nodes[i]);
	const int signals = 10;
	for (int i = 0; i < signals; i++) {
		assert_true(hnode_send(&nodes[(i * 3) % N_MESH], "meting", false, id));
		h.id = id;
		assert_true(harness_wait(all_have, &h, 20000));
	}
	for (int i = 0; i < N_MESH; i++)
		after += records_sent(&nodes[i]);
	stop_all(nodes, N_MESH);
	harness_cleanup();
	return (double)(after - before) / (signals * (N_MESH - 1));
}

/* `samen join CODE` run by a person; its exit code, stderr in err. */
static int samen_join(const struct hnode *n, const char *code, char *err, size_t cap)
{
	char cmd[2400], path[700];
	const char *b = getenv("BUILD");
	snprintf(path, sizeof(path), "%s/join.err", n->dir);
	snprintf(cmd, sizeof(cmd), "%s/samen --state %s join '%s' >/dev/null 2>%s",
		 b && *b ? b : "build", n->dir, code, path);
	int st = system(cmd);
	FILE *f = fopen(path, "r");
	size_t len = f ? fread(err, 1, cap - 1, f) : 0;
	err[len] = '\0';
	if (f)
		fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A code that decodes but that the coordinator does not know, and one whose
 * coordinator does not answer: the household is told so by `samen join`,
 * not left to read it in samend's log. */
static void test_join_told_the_answer(void **state)
{
	(void)state;
	struct hnode nodes[2];
	struct hreply r;
	char code[700], other[700], err[2048];
	struct invite_code c;
	hnode_init(&nodes[0], "founder", harness_port(), harness_port());
	hnode_init(&nodes[1], "h1", harness_port(), 0);
	assert_true(harness_neighbourhood(nodes, 1, NULL));
	hnode_write_config(&nodes[1], NULL, NULL);
	hnode_start(&nodes[1]);
	assert_true(hnode_wait_ready(&nodes[1], 10000));
	assert_true(hnode_call(&nodes[0], &r, "op=invite", NULL));
	assert_true(hreply_ok(&r));
	hreply_str(&r, "code", code, sizeof(code));
	hreply_free(&r);

	/* the same code with another secret: well formed, unknown */
	assert_int_equal(invite_decode(code, &c), 0);
	randombytes_buf(c.secret, sizeof(c.secret));
	assert_int_equal(invite_encode(&c, other, sizeof(other)), 0);
	int rc = samen_join(&nodes[1], other, err, sizeof(err));
	print_message("unknown code: exit %d: %s", rc, err);
	assert_int_equal(rc, 3);
	assert_non_null(strstr(err, "refused the join: unknown or expired invite code"));

	/* a coordinator that does not answer: said after 10 s */
	snprintf(c.endpoint, sizeof(c.endpoint), "tcp://127.0.0.1:%d", harness_port());
	assert_int_equal(invite_encode(&c, other, sizeof(other)), 0);
	rc = samen_join(&nodes[1], other, err, sizeof(err));
	print_message("silent coordinator: exit %d: %s", rc, err);
	assert_int_equal(rc, 4);
	assert_non_null(strstr(err, "has not answered in 10 s"));
	sodium_memzero(&c, sizeof(c));

	/* the real code: waiting for approval */
	rc = samen_join(&nodes[1], code, err, sizeof(err));
	assert_int_equal(rc, 0);
	stop_all(nodes, 2);
}

static void test_push_tree_copies(void **state)
{
	(void)state;
	double tree = copies_per_household("tree");
	double eager = copies_per_household("eager");
	print_message("full copies per household per signal: tree %.2f, eager %.2f\n", tree, eager);
	/* The target (<= 1.5) is reported by `make bench`; here, on a loaded
	 * machine or under ASan, late eager copies cost grafts and duplicates
	 * (2.4 seen beside a CI run and a benchmark), so the assert is the
	 * structural one, measured in this run: the tree sends a fraction of
	 * what eager gossip sends, never every copy. */
	assert_true(eager > 3 * tree);
}

/* Whatever a test left running is killed, and its directory removed. */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ten_daemons_alert_ack_resolve, harness_teardown),
		cmocka_unit_test_teardown(test_offline_catch_up, harness_teardown),
		cmocka_unit_test_teardown(test_hook_gets_json, harness_teardown),
		cmocka_unit_test_teardown(test_approval_and_retraction, harness_teardown),
		cmocka_unit_test_teardown(test_push_tree_copies, harness_teardown),
		cmocka_unit_test_teardown(test_join_told_the_answer, harness_teardown),
	};
	return cmocka_run_group_tests_name("mesh", tests, NULL, NULL);
}
