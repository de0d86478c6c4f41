/* SPDX-License-Identifier: EUPL-1.2 */
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

/*
 * What both cases start from: households founder, A and C (C behind NAT, so
 * it makes no peer announcement of its own when it restarts), burst 3 at one
 * a second. A spends its burst on three alerts (into acked), once the token
 * its own peer announcement took has surely come back; a fourth at once is
 * refused, and the user is told — the sequence number that send reserved is
 * A's hole. Returns once everyone holds the three.
 */
static void burst_and_refusal(const char *test, const char *burst_desc, struct idset *acked)
{
	char id[65], code[40], desc[64];
	faults_seed(test);
	fleet_init(&fl, 3);
	fl.nat[C] = true;
	fl.ae_seconds = AE_SECONDS;
	snprintf(fl.extra, sizeof(fl.extra), "rate_per_minute = 60\nrate_burst = 3\n");
	assert_true(fleet_build(&fl));
	sleep(3);
	for (int k = 0; k < 3; k++) {
		snprintf(desc, sizeof(desc), "%s %d", burst_desc, k);
		if (!fleet_send(&fl, A, desc, id, code))
			fail_msg("send %d of the burst refused: %s", k, code);
		idset_add(acked, id);
	}
	assert_false(fleet_send(&fl, A, "te snel", id, code));
	assert_string_equal(code, "rate-limited");
	assert_true(fleet_wait_complete(&fl, acked, 10000, NULL));
}

/* The founder holds every id of want (pushed one by one while C is away);
 * then C comes back. */
static void founder_has_then_restart_c(const struct idset *want)
{
	uint64_t end = harness_ms() + 5000;
	while (fleet_missing(&fl, 0, want) != 0 && harness_ms() < end)
		usleep(50000);
	assert_int_equal(fleet_missing(&fl, 0, want), 0);
	fleet_start(&fl, C);
	assert_true(fleet_ready(&fl, C, 10000));
}

static void test_refused_send_leaves_no_hole(void **state)
{
	(void)state;
	struct idset acked = {0}, last = {0};
	char id[65], code[40];
	burst_and_refusal("seqgap", "snel achter elkaar", &acked);

	/* C goes offline; A sends again once its bucket has a token */
	fleet_stop(&fl, C, SIGTERM);
	sleep(2);
	assert_true(fleet_send(&fl, A, "verdachte situatie bij de speeltuin", id, code));
	idset_add(&acked, id);
	idset_add(&last, id);

	/* C comes back: three anti-entropy rounds to catch up */
	founder_has_then_restart_c(&last);
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

/*
 * The same hole, and a neighbour catching up more than its rate limit takes
 * at once. R is offline while A sends five alerts (paced within the rate,
 * all acknowledged), after one of A's sends was refused. When R comes back,
 * anti-entropy hands it all five at once; R's bucket for A (burst 3) takes
 * three and refuses two as rate-limited — "fetched again by a later
 * anti-entropy round". A skip past A's hole, sent in the same answer, must
 * not mark those two as accounted for: within a few rounds (the bucket
 * refills at one a second) R holds all of them.
 */
static void test_catch_up_past_hole_beyond_burst(void **state)
{
	(void)state;
	struct idset acked = {0};
	char id[65], code[40], desc[64];
	burst_and_refusal("seqgap-burst", "eerste reeks", &acked); /* R is C */

	fleet_stop(&fl, C, SIGTERM);
	for (int k = 0; k < 5; k++) {
		sleep(1); /* within A's rate: each is acknowledged */
		snprintf(desc, sizeof(desc), "tweede reeks %d", k);
		if (!fleet_send(&fl, A, desc, id, code))
			fail_msg("paced send %d refused: %s", k, code);
		idset_add(&acked, id);
	}

	founder_has_then_restart_c(&acked);
	uint64_t took = 0;
	bool ok = fleet_wait_complete(&fl, &acked, 6 * AE_SECONDS * 1000 + 3000, &took);
	uint64_t rated = 0;
	fleet_counter(&fl, C, "rate-limited", &rated);
	if (!ok)
		fail_msg("R lacks %ld of the %zu acknowledged alerts after six anti-entropy rounds "
			 "(it refused %llu as rate-limited while catching up)",
			 fleet_missing(&fl, C, &acked), acked.n, (unsigned long long)rated);
	fprintf(stderr, "seqgap: R caught up all %zu (refusing %llu as rate-limited on the way) "
			"%llu ms after it came back\n",
		acked.n, (unsigned long long)rated, (unsigned long long)took);
	idset_free(&acked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_refused_send_leaves_no_hole, harness_teardown),
		cmocka_unit_test_teardown(test_catch_up_past_hole_beyond_burst, harness_teardown),
	};
	return cmocka_run_group_tests_name("faults-seqgap", tests, NULL, NULL);
}
