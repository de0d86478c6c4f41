/* SPDX-License-Identifier: EUPL-1.2 */
/* The subscriber socket's messages (proto/submsg): what each end accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../proto/mpmap.h"
#include "../../proto/submsg.h"

static int req(const struct mp_buf *b, struct submsg_req *q)
{
	msgpack_unpacked u;
	const char *why = NULL;
	msgpack_unpacked_init(&u);
	int ret = submsg_req_decode((const uint8_t *)b->sb.data, b->sb.size, &u, q, &why);
	assert_true(ret == 0 || (why && *why));
	msgpack_unpacked_destroy(&u);
	return ret;
}

static int rep(const struct mp_buf *b, struct submsg_reply *m)
{
	msgpack_unpacked u;
	const char *why = NULL;
	msgpack_unpacked_init(&u);
	int ret = submsg_reply_decode((const uint8_t *)b->sb.data, b->sb.size, &u, m, &why);
	assert_true(ret == 0 || (why && *why));
	msgpack_unpacked_destroy(&u);
	return ret;
}

/* A map of a type (or op) and one uint field, any value. */
static void one_uint(struct mp_buf *b, const char *tkey, const char *type, const char *key,
		     uint64_t v)
{
	mp_buf_init(b);
	msgpack_pack_map(&b->pk, 2);
	mpmap_put_str(&b->pk, tkey, type);
	mpmap_put_uint(&b->pk, key, v);
}

static void test_requests_round_trip(void **state)
{
	(void)state;
	struct mp_buf b;
	struct submsg_req q;
	const uint8_t rec[] = {1, 2, 3};
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_subscribe(&b, 42, 256), 0);
	assert_int_equal(req(&b, &q), 0);
	assert_int_equal(q.op, SUBOP_SUBSCRIBE);
	assert_int_equal(q.from, 42);
	assert_int_equal(q.credit, 256);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_credit(&b, 4096), 0);
	assert_int_equal(req(&b, &q), 0);
	assert_int_equal(q.op, SUBOP_CREDIT);
	assert_int_equal(q.n, 4096);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_announce(&b, rec, sizeof(rec)), 0);
	assert_int_equal(req(&b, &q), 0);
	assert_int_equal(q.op, SUBOP_ANNOUNCE);
	assert_int_equal(q.record_len, 3);
	mp_buf_destroy(&b);
}

/* from up to 2^64 - 1 was taken before; no store reaches past 2^53 - 1 */
static void test_request_bounds(void **state)
{
	(void)state;
	struct mp_buf b;
	struct submsg_req q;
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_subscribe(&b, UINT64_MAX, 1), 0);
	assert_int_equal(req(&b, &q), SAMEN_ETOOBIG);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_subscribe(&b, SUBMSG_CURSOR_MAX, 1), 0);
	assert_int_equal(req(&b, &q), 0);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_subscribe(&b, 0, 0), 0);
	assert_int_equal(req(&b, &q), SAMEN_EMALFORMED);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_subscribe(&b, 0, 4097), 0);
	assert_int_equal(req(&b, &q), SAMEN_EMALFORMED);
	mp_buf_destroy(&b);
	one_uint(&b, "op", "credit", "n", 0);
	assert_int_equal(req(&b, &q), SAMEN_EMALFORMED);
	mp_buf_destroy(&b);
	/* a field another op takes is still a field this one does not */
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 3);
	mpmap_put_str(&b.pk, "op", "credit");
	mpmap_put_uint(&b.pk, "n", 1);
	mpmap_put_uint(&b.pk, "from", 1);
	assert_int_equal(req(&b, &q), SAMEN_EMALFORMED);
	mp_buf_destroy(&b);
	one_uint(&b, "op", "unsubscribe", "n", 1);
	assert_int_equal(req(&b, &q), SAMEN_EMALFORMED);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	msgpack_pack_array(&b.pk, 0);
	assert_int_equal(req(&b, &q), SAMEN_EMALFORMED);
	mp_buf_destroy(&b);
}

static void test_replies_round_trip(void **state)
{
	(void)state;
	struct mp_buf b;
	struct submsg_reply m;
	const uint8_t rec[] = {9, 8};
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_record(&b, 7, rec, sizeof(rec)), 0);
	assert_int_equal(rep(&b, &m), 0);
	assert_int_equal(m.type, SUBMSG_RECORD);
	assert_int_equal(m.cursor, 7);
	assert_int_equal(m.record_len, 2);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_member(&b, rec, sizeof(rec)), 0);
	assert_int_equal(rep(&b, &m), 0);
	assert_int_equal(m.type, SUBMSG_MEMBER);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_caught_up(&b, 12), 0);
	assert_int_equal(rep(&b, &m), 0);
	assert_int_equal(m.type, SUBMSG_CAUGHT_UP);
	assert_int_equal(m.cursor, 12);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_result(&b, true, "stored"), 0);
	assert_int_equal(rep(&b, &m), 0);
	assert_int_equal(m.type, SUBMSG_RESULT);
	assert_true(m.ok);
	assert_string_equal(m.error, "stored");
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_error(&b, "no longer an authority", SUBMSG_CODE_REVOKED), 0);
	assert_int_equal(rep(&b, &m), 0);
	assert_int_equal(m.type, SUBMSG_ERROR);
	assert_string_equal(m.code, "revoked");
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_error(&b, "too many subscribers", NULL), 0);
	assert_int_equal(rep(&b, &m), 0);
	assert_string_equal(m.code, "");
	mp_buf_destroy(&b);
}

/* a caught-up at 2^64 - 1 is a lie the receiver must be able to count */
static void test_reply_bounds(void **state)
{
	(void)state;
	struct mp_buf b;
	struct submsg_reply m;
	one_uint(&b, "type", "caught-up", "cursor", UINT64_MAX);
	assert_int_equal(rep(&b, &m), SAMEN_ETOOBIG);
	assert_int_equal(m.type, SUBMSG_CAUGHT_UP);
	mp_buf_destroy(&b);
	one_uint(&b, "type", "caught-up", "cursor", SUBMSG_CURSOR_MAX + 1);
	assert_int_equal(rep(&b, &m), SAMEN_ETOOBIG);
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 2);
	mpmap_put_str(&b.pk, "type", "record");
	mpmap_put_uint(&b.pk, "cursor", 1);
	assert_int_equal(rep(&b, &m), SAMEN_EMALFORMED); /* no record */
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	assert_int_equal(submsg_pack_member(&b, (const uint8_t *)"", 0), 0);
	assert_int_equal(rep(&b, &m), SAMEN_EMALFORMED); /* an empty record */
	mp_buf_destroy(&b);
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 4);
	mpmap_put_str(&b.pk, "type", "result");
	mpmap_put_bool(&b.pk, "ok", true);
	mpmap_put_str(&b.pk, "error", "stored");
	mpmap_put_str(&b.pk, "code", "revoked");
	assert_int_equal(rep(&b, &m), SAMEN_EMALFORMED); /* a code only on an error */
	mp_buf_destroy(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests_round_trip),
		cmocka_unit_test(test_request_bounds),
		cmocka_unit_test(test_replies_round_trip),
		cmocka_unit_test(test_reply_bounds),
	};
	return cmocka_run_group_tests_name("submsg", tests, NULL, NULL);
}
