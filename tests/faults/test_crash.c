/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Fault test: crash. A household's daemon is killed (SIGKILL, no clean
 * shutdown) at a random moment 0-50 ms after `send` answered, 100 times,
 * the sending household chosen at random each round. A signal that `send`
 * acknowledged is on the sender's disk: it is there the moment the daemon
 * is back, and it reaches every household — checked every 10 rounds and at
 * the end, when each household holds exactly the acknowledged signals.
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

#define HOUSES 4
#define ROUNDS 100
#define KILL_WITHIN_MS 50

static struct fleet fl;

static void test_kill_after_send(void **state)
{
	(void)state;
	struct idset acked = {0};
	uint64_t restart_sum = 0, restart_max = 0, converge_max = 0;
	faults_seed("crash");
	fleet_init(&fl, HOUSES);
	/* the test is about durability, not the rate limit: 100 alerts in half
	 * a minute from four households is above the default 30 per minute */
	snprintf(fl.extra, sizeof(fl.extra), "rate_per_minute = 600\n");
	assert_true(fleet_build(&fl));

	uint64_t t0 = harness_ms();
	for (int round = 0; round < ROUNDS; round++) {
		size_t s = faults_rand(HOUSES);
		char id[65], code[40], desc[80];
		snprintf(desc, sizeof(desc), "crashronde %d van huis %zu", round, s);
		if (!fleet_send(&fl, s, desc, id, code))
			fail_msg("round %d: send at node %zu failed: %s", round, s, code);
		idset_add(&acked, id);
		usleep(faults_rand(KILL_WITHIN_MS + 1) * 1000);
		fleet_stop(&fl, s, SIGKILL);

		uint64_t t1 = harness_ms();
		fleet_start(&fl, s);
		assert_true(fleet_ready(&fl, s, 10000));
		uint64_t took = harness_ms() - t1;
		restart_sum += took;
		if (took > restart_max)
			restart_max = took;
		/* acknowledged means on disk: the sender has it before any
		 * neighbour could have given it back */
		struct idset one = {0};
		idset_add(&one, id);
		long miss = fleet_missing(&fl, s, &one);
		idset_free(&one);
		if (miss != 0)
			fail_msg("round %d: node %zu lost its acknowledged signal %s in the crash", round,
				 s, id);

		if ((round + 1) % 10 == 0) {
			uint64_t conv = 0;
			if (!fleet_wait_complete(&fl, &acked, 20000, &conv))
				fail_msg("after round %d: not every acknowledged signal reached every "
					 "household within 20 s",
					 round);
			if (conv > converge_max)
				converge_max = conv;
		}
	}
	uint64_t conv = 0;
	assert_true(fleet_wait_complete(&fl, &acked, 20000, &conv));
	/* exactly the acknowledged signals, each once, everywhere */
	for (size_t i = 0; i < HOUSES; i++) {
		struct idset have = {0};
		assert_true(fleet_list(&fl, i, &have));
		assert_int_equal(have.n, ROUNDS);
		for (size_t k = 0; k < have.n; k++)
			assert_true(idset_has(&acked, have.id[k]));
		idset_free(&have);
	}
	fprintf(stderr,
		"crash: %d kills 0-%d ms after send returned; restart to ready: mean %llu ms, max "
		"%llu ms; all %zu acknowledged signals at all %d households (slowest check %llu ms, "
		"final %llu ms); %.1f s in all\n",
		ROUNDS, KILL_WITHIN_MS, (unsigned long long)(restart_sum / ROUNDS),
		(unsigned long long)restart_max, acked.n, HOUSES, (unsigned long long)converge_max,
		(unsigned long long)conv, (double)(harness_ms() - t0) / 1000.0);
	idset_free(&acked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kill_after_send, harness_teardown),
	};
	return cmocka_run_group_tests_name("faults-crash", tests, NULL, NULL);
}
