/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Fault test: churn. Fifty households; while 200 alerts are sent (each from
 * a household whose daemon is up), 15 of them (30%) are killed with SIGKILL
 * at random moments, once or twice each, and restarted after a random
 * 0.5-4 s. At the end every household holds all 200 alerts.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "faults.h"

#define HOUSES 50
#define CHURNERS 15 /* 30% */
#define ALERTS 200
#define ALERT_EVERY_MS 150
#define READY_AFTER_MS 1000 /* a restarted daemon is asked to send after this */

struct event {
	int at_alert;  /* before this alert */
	size_t node;
	bool kill;     /* else restart */
};

static struct fleet fl;

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	if (x->at_alert != y->at_alert)
		return x->at_alert - y->at_alert;
	return (int)x->kill - (int)y->kill; /* restarts first */
}

static void test_churn_200_alerts(void **state)
{
	(void)state;
	struct idset acked = {0};
	struct event ev[CHURNERS * 4];
	size_t n_ev = 0, churner[CHURNERS], kills = 0, restarts = 0;
	faults_seed("churn");
	fleet_init(&fl, HOUSES);
	fl.fanout = 3;
	assert_true(fleet_build(&fl));

	/* 15 distinct households; each killed once or twice, down 0.5-4 s
	 * (about 0.5 s is three or four alerts) */
	for (size_t c = 0; c < CHURNERS; c++) {
		bool dup;
		do {
			churner[c] = faults_rand(HOUSES);
			dup = false;
			for (size_t k = 0; k < c; k++)
				dup |= churner[k] == churner[c];
		} while (dup);
		int times = 1 + (int)faults_rand(2), from = 0;
		for (int t = 0; t < times; t++) {
			int span = (ALERTS - from) / (times - t);
			int at = from + (int)faults_rand((uint32_t)(span > 1 ? span : 1));
			int down = (500 + (int)faults_rand(3500)) / ALERT_EVERY_MS + 1;
			ev[n_ev++] = (struct event){at, churner[c], true};
			ev[n_ev++] = (struct event){at + down, churner[c], false};
			from = at + down + 1;
		}
	}
	qsort(ev, n_ev, sizeof(ev[0]), cmp_event);

	uint64_t t0 = harness_ms();
	size_t e = 0, max_down = 0;
	for (int a = 0; a < ALERTS; a++) {
		uint64_t slot = harness_ms();
		for (; e < n_ev && ev[e].at_alert <= a; e++) {
			size_t i = ev[e].node;
			if (ev[e].kill && fl.up[i]) {
				fleet_stop(&fl, i, SIGKILL);
				kills++;
			} else if (!ev[e].kill && !fl.up[i]) {
				fleet_start(&fl, i);
				restarts++;
			}
		}
		size_t down = 0;
		for (size_t i = 0; i < HOUSES; i++)
			down += !fl.up[i];
		if (down > max_down)
			max_down = down;
		size_t s;
		do
			s = faults_rand(HOUSES);
		while (!fl.up[s] || harness_ms() - fl.started_ms[s] < READY_AFTER_MS);
		char id[65], code[40], desc[80];
		snprintf(desc, sizeof(desc), "alarm %d tijdens het komen en gaan", a);
		if (!fleet_send(&fl, s, desc, id, code))
			fail_msg("alert %d: send at node %zu failed: %s", a, s, code);
		idset_add(&acked, id);
		uint64_t spent = harness_ms() - slot;
		if (spent < ALERT_EVERY_MS)
			usleep((useconds_t)(ALERT_EVERY_MS - spent) * 1000);
	}
	/* whoever is still down comes back */
	for (size_t i = 0; i < HOUSES; i++)
		if (!fl.up[i]) {
			fleet_start(&fl, i);
			restarts++;
		}
	uint64_t t_sent = harness_ms();
	for (size_t i = 0; i < HOUSES; i++)
		assert_true(fleet_ready(&fl, i, 15000));
	uint64_t took = 0;
	bool complete = fleet_wait_complete(&fl, &acked, 120000, &took);
	fprintf(stderr,
		"churn: %d alerts in %.1f s while %d of %d households were killed %zu times (at most "
		"%zu down at once) and restarted; all %zu alerts at all %d households %.1f s after "
		"the last was sent%s\n",
		ALERTS, (double)(t_sent - t0) / 1000.0, CHURNERS, HOUSES, kills, max_down, acked.n,
		HOUSES, (double)(harness_ms() - t_sent) / 1000.0, complete ? "" : " — NOT COMPLETE");
	assert_true(complete);
	assert_true(kills >= CHURNERS);
	for (size_t i = 0; i < HOUSES; i++) {
		struct idset have = {0};
		assert_true(fleet_list(&fl, i, &have));
		assert_int_equal(have.n, ALERTS);
		idset_free(&have);
	}
	idset_free(&acked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_churn_200_alerts, harness_teardown),
	};
	return cmocka_run_group_tests_name("faults-churn", tests, NULL, NULL);
}
