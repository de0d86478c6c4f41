/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for the join exchange: every input goes through both
 * decoders, the request decoder (what a stranger sends the join socket)
 * and the answer decoder (what the joining daemon reads). What decodes must
 * be within bounds — a known state, at most JOINMSG_RECORDS_MAX records,
 * each borrowed record inside the input, labels and reasons one line of
 * text — and must survive a round trip: packed again, it decodes to the
 * same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/joinmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static bool one_line(const char *s, size_t cap)
{
	const char *end = memchr(s, '\0', cap);
	return end && mp_text_ok(s, (size_t)(end - s)) && !strpbrk(s, "\n\t");
}

static void request(const uint8_t *data, size_t size)
{
	struct joinmsg_request q, again;
	struct mp_buf b;
	if (joinmsg_request_decode(data, size, &q) != 0)
		return;
	check(one_line(q.label, sizeof(q.label)));
	mp_buf_init(&b);
	check(joinmsg_request_pack(&b, &q) == 0);
	check(joinmsg_request_decode((const uint8_t *)b.sb.data, b.sb.size, &again) == 0);
	check(memcmp(q.secret, again.secret, sizeof(q.secret)) == 0);
	check(memcmp(q.key, again.key, 32) == 0);
	check(strcmp(q.label, again.label) == 0);
	mp_buf_destroy(&b);
}

static void reply(const uint8_t *data, size_t size)
{
	struct joinmsg_reply r = {0}, again = {0};
	struct mp_buf b;
	if (joinmsg_reply_decode(data, size, &r) != 0) {
		joinmsg_reply_free(&r);
		return;
	}
	check(joinmsg_state_name(r.state) != NULL);
	check(one_line(r.error, sizeof(r.error)));
	check(r.n_records <= JOINMSG_RECORDS_MAX);
	check(r.state == JOINMSG_MEMBER || r.n_records == 0);
	for (size_t i = 0; i < r.n_records; i++) {
		check(r.rec_len[i] <= RECORD_MAX);
		check(r.rec_len[i] == 0 ||
		      (r.rec[i] >= data && r.rec[i] + r.rec_len[i] <= data + size));
	}
	mp_buf_init(&b);
	check(joinmsg_reply_pack_head(&b.pk, r.state, r.nbhd, r.error[0] ? r.error : NULL,
				      r.n_records) == 0);
	for (size_t i = 0; i < r.n_records; i++)
		check(mp_pack_bin(&b.pk, r.rec[i], r.rec_len[i]) == 0);
	check(joinmsg_reply_decode((const uint8_t *)b.sb.data, b.sb.size, &again) == 0);
	check(again.state == r.state && again.n_records == r.n_records);
	check(memcmp(again.nbhd, r.nbhd, 32) == 0 && strcmp(again.error, r.error) == 0);
	for (size_t i = 0; i < r.n_records; i++)
		check(again.rec_len[i] == r.rec_len[i] &&
		      memcmp(again.rec[i], r.rec[i], r.rec_len[i]) == 0);
	mp_buf_destroy(&b);
	joinmsg_reply_free(&again);
	joinmsg_reply_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	request(data, size);
	reply(data, size);
	return 0;
}
