/*
 * Fault test: a refused send must not make later signals unrepairable.
 *
 * `send` reserves the household's next sequence number before the record is
 * checked and stored. When the record is then refused — rate-limited, or
 * the store is full (test_diskfull) — that number is never used, and every
 * daemon's version vector for the household stops at it: `contig` cannot
 * pass a number nobody holds. Anti-entropy compares hashes of the contig
 * entries only, so a later signal of the household that a neighbour missed
 * (offline while it was pushed) looks like nothing is missing, and is never
 * sent. What a user sees: household C, behind NAT, is off for a moment while
 * A raises an alert; C comes back and never gets it.
 *
 * Here: A sends three alerts (its burst), a fourth is refused as
 * rate-limited, C goes offline, A sends a fifth once its bucket has refilled,
 * C comes back: within three anti-entropy rounds C must hold all four
 * acknowledged alerts.
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

#define A 1
#define C 2
#define AE_SECONDS 2

static struct fleet fl;

static void test_refused_send_leaves_no_hole(void **state)
{
	(void)state;
	struct idset acked = {0}, last = {0};
	char id[65], code[40], desc[64];
	faults_seed("seqgap");
	fleet_init(&fl, 3);
	fl.nat[C] = true;
	fl.ae_seconds = AE_SECONDS;
	snprintf(fl.extra, sizeof(fl.extra), "rate_per_minute = 60\nrate_burst = 3\n");
	assert_true(fleet_build(&fl));
	/* the burst: three alerts; A's own peer announcement took one token
	 * at start, which has long been refilled */
	for (int k = 0; k < 3; k++) {
		snprintf(desc, sizeof(desc), "snel achter elkaar %d", k);
		assert_true(fleet_send(&fl, A, desc, id, code));
		idset_add(&acked, id);
	}
	/* a fourth at once is refused — the user is told */
	assert_false(fleet_send(&fl, A, "te snel", id, code));
	assert_string_equal(code, "rate-limited");
	assert_true(fleet_wait_complete(&fl, &acked, 10000, NULL));

	/* C goes offline; A sends again once its bucket has a token */
	fleet_stop(&fl, C, SIGTERM);
	sleep(2);
	assert_true(fleet_send(&fl, A, "verdachte situatie bij de speeltuin", id, code));
	idset_add(&acked, id);
	idset_add(&last, id);
	struct fleet *f = &fl;
	uint64_t end = harness_ms() + 5000;
	while (fleet_missing(f, 0, &last) != 0 && harness_ms() < end)
		usleep(50000);
	assert_int_equal(fleet_missing(f, 0, &last), 0);

	/* C comes back: three anti-entropy rounds to catch up */
	fleet_start(&fl, C);
	assert_true(fleet_ready(&fl, C, 10000));
	uint64_t took = 0;
	bool ok = fleet_wait_complete(&fl, &acked, 3 * AE_SECONDS * 1000 + 2000, &took);
	if (!ok)
		fail_msg("household C never got A's alert sent while it was offline: the "
			 "sequence number of A's refused send is a hole no daemon's contig passes, "
			 "and anti-entropy hashes contig only");
	fprintf(stderr, "seqgap: C caught up %llu ms after it came back\n", (unsigned long long)took);
	idset_free(&acked);
	idset_free(&last);
}

static int teardown(void **state)
{
	(void)state;
	harness_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_refused_send_leaves_no_hole, teardown),
	};
	return cmocka_run_group_tests_name("faults-seqgap", tests, NULL, NULL);
}
