/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for the subscriber socket (proto/submsg): any bytes go
 * through both decoders, the relay's (requests) and the subscriber's
 * (replies). A message that decodes must describe itself within bounds — a
 * known op or type, cursors at most SUBMSG_CURSOR_MAX, credit 1..4096, a
 * borrowed record inside the input and at most RECORD_MAX bytes, texts
 * NUL-terminated and valid — and must survive a round trip: encoded again
 * with the submsg encoders, it decodes to the same fields. A refusal names
 * its reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../proto/mp.h"
#include "../../proto/record.h"
#include "../../proto/submsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *p, size_t len, const uint8_t *data, size_t size)
{
	if (len == 0 || len > RECORD_MAX || p < data || p + len > data + size || len > size)
		__builtin_trap();
}

static void text_ok(const char *s, size_t cap)
{
	const char *end = memchr(s, '\0', cap);
	if (!end || !mp_text_ok(s, (size_t)(end - s)))
		__builtin_trap();
}

static void refusal(int ret, const char *why)
{
	if (ret != SAMEN_EMALFORMED && ret != SAMEN_ETOOBIG)
		__builtin_trap();
	if (!why || !*why)
		__builtin_trap();
}

static void requests(const uint8_t *data, size_t size)
{
	msgpack_unpacked u, u2;
	struct submsg_req q, q2;
	const char *why = NULL;
	struct mp_buf b;
	msgpack_unpacked_init(&u);
	int ret = submsg_req_decode(data, size, &u, &q, &why);
	if (ret < 0) {
		refusal(ret, why);
		msgpack_unpacked_destroy(&u);
		return;
	}
	mp_buf_init(&b);
	switch (q.op) {
	case SUBOP_SUBSCRIBE:
		if (q.from > SUBMSG_CURSOR_MAX || q.credit == 0 || q.credit > SUBMSG_CREDIT_MAX)
			__builtin_trap();
		ret = submsg_pack_subscribe(&b, q.from, q.credit);
		break;
	case SUBOP_CREDIT:
		if (q.n == 0 || q.n > SUBMSG_CREDIT_MAX)
			__builtin_trap();
		ret = submsg_pack_credit(&b, q.n);
		break;
	case SUBOP_ANNOUNCE:
		inside(q.record, q.record_len, data, size);
		ret = submsg_pack_announce(&b, q.record, q.record_len);
		break;
	default:
		__builtin_trap();
	}
	msgpack_unpacked_init(&u2);
	if (ret != 0 ||
	    submsg_req_decode((const uint8_t *)b.sb.data, b.sb.size, &u2, &q2, &why) != 0 ||
	    q2.op != q.op || q2.from != q.from || q2.credit != q.credit || q2.n != q.n ||
	    q2.record_len != q.record_len ||
	    (q.record_len && memcmp(q2.record, q.record, q.record_len) != 0))
		__builtin_trap();
	msgpack_unpacked_destroy(&u2);
	mp_buf_destroy(&b);
	msgpack_unpacked_destroy(&u);
}

static void replies(const uint8_t *data, size_t size)
{
	msgpack_unpacked u, u2;
	struct submsg_reply m, m2;
	const char *why = NULL;
	struct mp_buf b;
	msgpack_unpacked_init(&u);
	int ret = submsg_reply_decode(data, size, &u, &m, &why);
	if (ret < 0) {
		refusal(ret, why);
		msgpack_unpacked_destroy(&u);
		return;
	}
	if (m.cursor > SUBMSG_CURSOR_MAX)
		__builtin_trap();
	mp_buf_init(&b);
	switch (m.type) {
	case SUBMSG_RECORD:
		inside(m.record, m.record_len, data, size);
		ret = submsg_pack_record(&b, m.cursor, m.record, m.record_len);
		break;
	case SUBMSG_MEMBER:
		inside(m.record, m.record_len, data, size);
		ret = submsg_pack_member(&b, m.record, m.record_len);
		break;
	case SUBMSG_CAUGHT_UP:
		ret = submsg_pack_caught_up(&b, m.cursor);
		break;
	case SUBMSG_RESULT:
		text_ok(m.error, sizeof(m.error));
		ret = submsg_pack_result(&b, m.ok, m.error);
		break;
	case SUBMSG_ERROR:
		text_ok(m.error, sizeof(m.error));
		text_ok(m.code, sizeof(m.code));
		ret = submsg_pack_error(&b, m.error, m.code[0] ? m.code : NULL);
		break;
	default:
		__builtin_trap();
	}
	msgpack_unpacked_init(&u2);
	if (ret != 0 ||
	    submsg_reply_decode((const uint8_t *)b.sb.data, b.sb.size, &u2, &m2, &why) != 0 ||
	    m2.type != m.type || m2.cursor != m.cursor || m2.record_len != m.record_len ||
	    (m.record_len && memcmp(m2.record, m.record, m.record_len) != 0) ||
	    (m.type == SUBMSG_RESULT && m2.ok != m.ok) || strcmp(m2.error, m.error) != 0 ||
	    strcmp(m2.code, m.code) != 0)
		__builtin_trap();
	msgpack_unpacked_destroy(&u2);
	mp_buf_destroy(&b);
	msgpack_unpacked_destroy(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	requests(data, size);
	replies(data, size);
	return 0;
}
