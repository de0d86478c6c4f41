/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Fault test: link rotation. A daemon whose set of outbound links is full
 * and healthy replaces one of them now and then (daemon/mesh.c rotate_one;
 * proto/PROTOCOL.md §9): otherwise the halves of a mesh that was split for
 * longer than the connect timeout never meet again, and a household
 * configured with a few peers keeps exactly the links it happened to dial
 * first, whatever it learns later. test_long_partition_heal does not show
 * this: the links that cross after its heal are mostly connect attempts
 * still under way when the cut ends.
 *
 * Here: six households; household X has one peer line (the founder), keeps
 * two outbound links (active_links = 2) and rotates every 1-3 s
 * (rotate_min_seconds = 1, rotate_max_seconds = 2; 3 s per known peer
 * would be 15 s). The others keep their links. Without rotation X's two
 * links never change once it has learned the others' announcements: the
 * founder and one of them. Asserted: within ROTATE_WINDOW_MS X has had up
 * outbound links to at least four households, three of them ones it only
 * learned of; and an alert still reaches everyone afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "faults.h"

#define HOUSES 6
#define X (HOUSES - 1)
#define ACTIVE 2
#define WANT_SEEN 4        /* distinct households X linked out to */
#define ROTATE_WINDOW_MS 30000
#define LINKS_SEEN 16

static struct fleet fl;

static void test_rotation_reaches_learned_peers(void **state)
{
	(void)state;
	faults_seed("rotation");
	fleet_init(&fl, HOUSES);
	fl.fanout = 0; /* every household's only peer line: the founder */
	snprintf(fl.node_extra[X], sizeof(fl.node_extra[X]),
		 "active_links = %d\nrotate_min_seconds = 1\nrotate_max_seconds = 2\n", ACTIVE);
	assert_true(fleet_build(&fl));
	assert_int_equal(fl.n_peers[X], 1);

	bool seen[HOUSES] = {false};
	size_t n_seen = 0, changes = 0, samples = 0;
	size_t prev[LINKS_SEEN];
	long n_prev = -1;
	uint64_t t0 = harness_ms(), t_done = 0;
	while (harness_ms() - t0 < ROTATE_WINDOW_MS) {
		size_t to[LINKS_SEEN];
		long n = fleet_links_out(&fl, X, false, to, LINKS_SEEN);
		if (n < 0)
			fail_msg("household X does not answer `peers`");
		samples++;
		bool same = n == n_prev;
		for (long k = 0; k < n && same; k++) {
			bool found = false;
			for (long j = 0; j < n_prev && !found; j++)
				found = prev[j] == to[k];
			same = found;
		}
		if (n_prev >= 0 && !same)
			changes++;
		memcpy(prev, to, (size_t)n * sizeof(to[0]));
		n_prev = n;
		for (long k = 0; k < n; k++)
			if (!seen[to[k]]) {
				seen[to[k]] = true;
				n_seen++;
			}
		if (n_seen >= WANT_SEEN && !t_done)
			t_done = harness_ms();
		if (t_done)
			break;
		usleep(200000);
	}
	size_t learned = n_seen - (seen[0] ? 1 : 0);
	fprintf(stderr,
		"rotation: household X (peer line: the founder; active_links %d) linked out to %zu of "
		"%d households, %zu of them learned, its set changing %zu times in %zu samples over "
		"%llu ms\n",
		ACTIVE, n_seen, HOUSES - 1, learned, changes, samples,
		(unsigned long long)(harness_ms() - t0));
	if (n_seen < WANT_SEEN)
		fail_msg("X linked out to only %zu households in %d s: its full, healthy set of "
			 "links was not rotated",
			 n_seen, ROTATE_WINDOW_MS / 1000);
	assert_true(learned >= WANT_SEEN - 1);

	/* still one neighbourhood: an alert from h1 reaches everyone, X too */
	struct idset sent = {0};
	char id[65], code[40];
	if (!fleet_send(&fl, 1, "na het wisselen", id, code))
		fail_msg("send from h1 refused: %s", code);
	idset_add(&sent, id);
	assert_true(fleet_wait_complete(&fl, &sent, 10000, NULL));
	idset_free(&sent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rotation_reaches_learned_peers, harness_teardown),
	};
	return cmocka_run_group_tests_name("faults-rotation", tests, NULL, NULL);
}
