/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_seqfile.c — the per-key sequence counter beside a key file: numbers
 * are handed out once, never below what the caller has seen, given back only
 * when nothing later was reserved, and a damaged counter is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../keys/seqfile.h"

struct fixture {
	char dir[64];
	char key[128]; /* the key file's path; the counter is key + ".seq" */
	char seq[160];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/samen-seqfile-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->key, sizeof(f->key), "%s/household.key", f->dir);
	snprintf(f->seq, sizeof(f->seq), "%s.seq", f->key);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unlink(f->seq);
	rmdir(f->dir);
	free(f);
	return 0;
}

static uint64_t next(const struct fixture *f, uint64_t at_least)
{
	uint64_t seq = 0;
	assert_int_equal(seqfile_next(f->key, at_least, &seq), 0);
	return seq;
}

static void test_counts_up_and_persists(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	assert_int_equal(next(f, 0), 1);
	assert_int_equal(next(f, 0), 2);
	assert_int_equal(stat(f->seq, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 21); /* 20 digits and a newline */
	/* never below what the store holds of our own key */
	assert_int_equal(next(f, 40), 41);
	assert_int_equal(next(f, 3), 42);
}

static void test_release_only_the_last(void **state)
{
	struct fixture *f = *state;
	uint64_t a = next(f, 0), b = next(f, 0);
	assert_int_equal(b, 2);
	/* a later number is out: giving back the earlier one would reuse it */
	assert_int_equal(seqfile_release(f->key, a), 0);
	assert_int_equal(next(f, 0), 3);
	assert_int_equal(seqfile_release(f->key, 3), 1);
	assert_int_equal(next(f, 0), 3); /* handed out again: no hole */
	assert_int_equal(seqfile_release(f->key, 0), SAMEN_EINVAL);
}

static void test_damaged_counter_refused(void **state)
{
	struct fixture *f = *state;
	uint64_t seq = 0;
	int fd = open(f->seq, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "12x\n", 4), 4);
	close(fd);
	assert_int_equal(seqfile_next(f->key, 0, &seq), SAMEN_EKEYFILE);
	assert_int_equal(seqfile_release(f->key, 1), SAMEN_EKEYFILE);
}

static void test_symlink_refused(void **state)
{
	struct fixture *f = *state;
	uint64_t seq = 0;
	assert_int_equal(symlink("/dev/null", f->seq), 0);
	assert_true(seqfile_next(f->key, 0, &seq) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counts_up_and_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_only_the_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_counter_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
