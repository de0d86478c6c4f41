/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Unit: the per-peer budgets a daemon keeps — admit.c (links per key, join
 * handshakes per key, per address and in all) and linkq.c (a link's backlog,
 * bounded in bytes).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../daemon/admit.h"
#include "../../daemon/linkq.h"

static struct admit a;

static void key_of(uint8_t k[32], unsigned n)
{
	memset(k, 0, 32);
	memcpy(k, &n, sizeof(n));
}

static void test_join_per_key(void **state)
{
	(void)state;
	const char *why = NULL;
	uint8_t k[32];
	memset(&a, 0, sizeof(a));
	key_of(k, 1);
	/* spread over addresses so only the key's own budget applies */
	const char *addrs[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
	for (int i = 0; i < ADMIT_JOIN_PER_KEY; i++)
		assert_true(admit_join(&a, k, addrs[i % 3], 1000, &why));
	assert_false(admit_join(&a, k, "10.0.0.4", 1000, &why));
	assert_string_equal(why, "join rate limit (this key)");
	/* a minute later the key has its budget again */
	assert_true(admit_join(&a, k, "10.0.0.4", 1000 + ADMIT_JOIN_WINDOW_MS, &why));
}

static void test_join_per_address_spares_others(void **state)
{
	(void)state;
	const char *why = NULL;
	uint8_t k[32];
	memset(&a, 0, sizeof(a));
	/* throw-away keys from one address use that address's budget only */
	unsigned n = 0, ok = 0;
	for (; n < 200; n++) {
		key_of(k, 100 + n);
		ok += admit_join(&a, k, "192.0.2.66", 5000, &why);
	}
	assert_int_equal(ok, ADMIT_JOIN_PER_ADDR);
	assert_string_equal(why, "join rate limit (this address)");
	key_of(k, 7);
	assert_true(admit_join(&a, k, "192.0.2.10", 5000, &why));
}

static void test_join_total(void **state)
{
	(void)state;
	const char *why = NULL;
	uint8_t k[32];
	char addr[32];
	memset(&a, 0, sizeof(a));
	unsigned ok = 0;
	for (unsigned n = 0; n < 500; n++) {
		key_of(k, n);
		snprintf(addr, sizeof(addr), "198.51.100.%u", n % 250);
		ok += admit_join(&a, k, addr, 9000, &why);
	}
	assert_int_equal(ok, ADMIT_JOIN_TOTAL);
	assert_string_equal(why, "join rate limit (all)");
}

static void test_pending_admissions(void **state)
{
	(void)state;
	uint8_t k[32], other[32], got[32];
	memset(&a, 0, sizeof(a));
	key_of(k, 1);
	key_of(other, 2);
	assert_true(admit_pending_add(&a, k, 100));
	assert_true(admit_pending_add(&a, k, 200));
	assert_true(admit_pending_add(&a, other, 200));
	assert_int_equal(admit_pending_count(&a, k, 300), 2);
	assert_int_equal(admit_pending_count(&a, NULL, 300), 3);
	/* one became a link */
	admit_pending_take(&a, k, 300);
	assert_int_equal(admit_pending_count(&a, k, 300), 1);
	assert_false(admit_pending_expired(&a, 300, got));
	/* the others stayed silent: each is reported once, with its key */
	uint64_t late = 200 + ADMIT_PENDING_MS;
	assert_int_equal(admit_pending_count(&a, NULL, late), 0);
	int seen_k = 0, seen_other = 0;
	while (admit_pending_expired(&a, late, got)) {
		seen_k += memcmp(got, k, 32) == 0;
		seen_other += memcmp(got, other, 32) == 0;
	}
	assert_int_equal(seen_k, 1);
	assert_int_equal(seen_other, 1);
}

static void test_pending_table_full(void **state)
{
	(void)state;
	uint8_t k[32];
	memset(&a, 0, sizeof(a));
	for (unsigned n = 0; n < ADMIT_PENDING_MAX; n++) {
		key_of(k, n);
		assert_true(admit_pending_add(&a, k, 10));
	}
	key_of(k, 9999);
	assert_false(admit_pending_add(&a, k, 11));
}

static void test_linkq_bounded_in_bytes(void **state)
{
	(void)state;
	static uint8_t msg[64 * 1024];
	struct linkq q = {0};
	const uint8_t *p;
	memset(msg, 'x', sizeof(msg));
	size_t n = 0;
	while (linkq_push(&q, msg, sizeof(msg)) == 0)
		n++;
	assert_int_equal(linkq_push(&q, msg, sizeof(msg)), -ENOBUFS);
	assert_true(linkq_bytes(&q) <= LINKQ_BYTES_MAX);
	assert_int_equal(n, LINKQ_BYTES_MAX / (sizeof(msg) + 4));
	/* in order, and room again once the oldest went out */
	msg[0] = 'y';
	linkq_pop(&q);
	assert_int_equal(linkq_push(&q, msg, 10), 0);
	size_t len = 0;
	for (size_t i = 0; i < n - 1; i++) {
		len = linkq_peek(&q, &p);
		assert_int_equal(len, sizeof(msg));
		assert_int_equal(p[0], 'x');
		linkq_pop(&q);
	}
	len = linkq_peek(&q, &p);
	assert_int_equal(len, 10);
	assert_int_equal(p[0], 'y');
	linkq_pop(&q);
	assert_true(linkq_empty(&q));
	assert_int_equal(linkq_peek(&q, &p), 0);
	assert_null(q.q.buf); /* an emptied queue holds no memory */
	linkq_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_per_key),
		cmocka_unit_test(test_join_per_address_spares_others),
		cmocka_unit_test(test_join_total),
		cmocka_unit_test(test_pending_admissions),
		cmocka_unit_test(test_pending_table_full),
		cmocka_unit_test(test_linkq_bounded_in_bytes),
	};
	return cmocka_run_group_tests_name("admit", tests, NULL, NULL);
}
