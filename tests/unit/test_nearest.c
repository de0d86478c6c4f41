/* SPDX-License-Identifier: EUPL-1.2 */
/* nearest_distance(): the distance the "did you mean" hints rank by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../proto/nearest.h"

static void test_distance(void **state)
{
	(void)state;
	assert_int_equal(nearest_distance("list", "list"), 0);
	assert_int_equal(nearest_distance("", "send"), 4);
	assert_int_equal(nearest_distance("lsit", "list"), 1);   /* a swap is one */
	assert_int_equal(nearest_distance("limt", "limit"), 1);  /* a letter dropped */
	assert_int_equal(nearest_distance("sned", "send"), 1);
	assert_int_equal(nearest_distance("kitten", "sitting"), 3);
	assert_int_equal(nearest_distance("ca", "abc"), 3);      /* no edit of a swapped pair */
	assert_int_equal(nearest_distance("retention", "retention_days"), 5);
}

static void test_long_words(void **state)
{
	(void)state;
	char w[NEAREST_LEN_MAX + 2];
	memset(w, 'a', sizeof(w) - 1);
	w[sizeof(w) - 1] = '\0';
	assert_int_equal(nearest_distance(w, "a"), SIZE_MAX);
	w[NEAREST_LEN_MAX] = '\0';
	assert_int_equal(nearest_distance(w, w), 0);
	assert_int_equal(nearest_distance(w, ""), NEAREST_LEN_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_long_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
