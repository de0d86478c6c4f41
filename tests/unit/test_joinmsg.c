/* SPDX-License-Identifier: EUPL-1.2 */
/* The join exchange: round trips and what a stranger or a false
 * coordinator could send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../proto/joinmsg.h"
#include "../../proto/mpmap.h"

static void test_request(void **state)
{
	(void)state;
	struct joinmsg_request q, d;
	struct mp_buf b;
	memset(&q, 0, sizeof(q));
	memset(q.secret, 0x11, sizeof(q.secret));
	memset(q.key, 0x22, sizeof(q.key));
	strcpy(q.label, "Lindelaan 12");
	mp_buf_init(&b);
	assert_int_equal(joinmsg_request_pack(&b, &q), 0);
	assert_int_equal(joinmsg_request_decode((uint8_t *)b.sb.data, b.sb.size, &d), 0);
	assert_memory_equal(&q, &d, sizeof(q));
	mp_buf_destroy(&b);

	/* without a label */
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 3);
	mpmap_put_str(&b.pk, "op", "join");
	mpmap_put_bin(&b.pk, "secret", q.secret, 16);
	mpmap_put_bin(&b.pk, "key", q.key, 32);
	assert_int_equal(joinmsg_request_decode((uint8_t *)b.sb.data, b.sb.size, &d), 0);
	assert_string_equal(d.label, "");
	mp_buf_destroy(&b);

	/* another op, an extra key, a short secret, a label on two lines */
	static const struct {
		const char *op, *extra, *label;
		size_t secret;
		int want;
	} bad[] = {
		{"leave", NULL, "x", 16, SAMEN_EMALFORMED},
		{"join", "admin", "x", 16, SAMEN_EMALFORMED},
		{"join", NULL, "x", 15, SAMEN_EMALFORMED},
		{"join", NULL, "a\nb", 16, SAMEN_EINVAL},
		{"join", NULL, "a\xc2\x9b" "b", 16, SAMEN_EMALFORMED},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mp_buf_init(&b);
		msgpack_pack_map(&b.pk, 4 + (bad[i].extra != NULL));
		mpmap_put_str(&b.pk, "op", bad[i].op);
		mpmap_put_bin(&b.pk, "secret", q.secret, bad[i].secret);
		mpmap_put_bin(&b.pk, "key", q.key, 32);
		mpmap_put_str(&b.pk, "label", bad[i].label);
		if (bad[i].extra)
			mpmap_put_str(&b.pk, bad[i].extra, "1");
		memset(&d, 0x55, sizeof(d));
		assert_int_equal(joinmsg_request_decode((uint8_t *)b.sb.data, b.sb.size, &d),
				 bad[i].want);
		for (size_t k = 0; k < sizeof(d.secret); k++) /* wiped */
			assert_int_equal(d.secret[k], 0);
		mp_buf_destroy(&b);
	}
	strcpy(q.label, "two\nlines");
	mp_buf_init(&b);
	assert_int_equal(joinmsg_request_pack(&b, &q), SAMEN_EINVAL);
	mp_buf_destroy(&b);
}

static void test_reply(void **state)
{
	(void)state;
	uint8_t nbhd[32], other[32];
	struct joinmsg_reply r = {0};
	struct mp_buf b;
	memset(nbhd, 0x33, 32);
	memset(other, 0x44, 32);

	mp_buf_init(&b);
	assert_int_equal(joinmsg_reply_pack_head(&b.pk, JOINMSG_MEMBER, nbhd, NULL, 2), 0);
	mp_pack_bin(&b.pk, "rec-one", 7);
	mp_pack_bin(&b.pk, "rec-two!", 8);
	assert_int_equal(joinmsg_reply_decode((uint8_t *)b.sb.data, b.sb.size, &r), 0);
	assert_int_equal(r.state, JOINMSG_MEMBER);
	assert_memory_equal(r.nbhd, nbhd, 32);
	assert_int_equal(r.n_records, 2);
	assert_int_equal(r.rec_len[1], 8);
	assert_memory_equal(r.rec[1], "rec-two!", 8);
	/* borrowed from the buffer */
	assert_true(r.rec[0] > (uint8_t *)b.sb.data &&
		    r.rec[0] + 7 <= (uint8_t *)b.sb.data + b.sb.size);
	mp_buf_destroy(&b);

	mp_buf_init(&b);
	assert_int_equal(joinmsg_reply_pack_head(&b.pk, JOINMSG_REFUSED, other, "expired", 0), 0);
	assert_int_equal(joinmsg_reply_decode((uint8_t *)b.sb.data, b.sb.size, &r), 0);
	assert_int_equal(r.state, JOINMSG_REFUSED);
	assert_string_equal(r.error, "expired");
	assert_int_equal(r.n_records, 0);
	mp_buf_destroy(&b);

	/* records with a state other than member; a state nobody knows; records
	 * that are not bins */
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 3);
	mpmap_put_str(&b.pk, "state", "pending");
	mpmap_put_bin(&b.pk, "nbhd", nbhd, 32);
	mpmap_put_key(&b.pk, "records");
	msgpack_pack_array(&b.pk, 0);
	assert_int_equal(joinmsg_reply_decode((uint8_t *)b.sb.data, b.sb.size, &r),
			 SAMEN_EMALFORMED);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 2);
	mpmap_put_str(&b.pk, "state", "admin");
	mpmap_put_bin(&b.pk, "nbhd", nbhd, 32);
	assert_int_equal(joinmsg_reply_decode((uint8_t *)b.sb.data, b.sb.size, &r),
			 SAMEN_EMALFORMED);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(joinmsg_reply_pack_head(&b.pk, JOINMSG_MEMBER, nbhd, NULL, 1), 0);
	mpmap_put_str(&b.pk, "x", "y"); /* oops: not a bin, and one element too many */
	assert_true(joinmsg_reply_decode((uint8_t *)b.sb.data, b.sb.size, &r) < 0);
	mp_buf_destroy(&b);
	/* more records than an answer may carry: refused from the header */
	mp_buf_init(&b);
	assert_int_equal(joinmsg_reply_pack_head(&b.pk, JOINMSG_MEMBER, nbhd, NULL,
						 JOINMSG_RECORDS_MAX + 1),
			 SAMEN_EINVAL);
	mp_buf_destroy(&b);
	joinmsg_reply_free(&r);
	assert_null(r.rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_reply),
	};
	return cmocka_run_group_tests_name("joinmsg", tests, NULL, NULL);
}
