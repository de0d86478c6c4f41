/* SPDX-License-Identifier: EUPL-1.2 */
/* A receipt's plaintext (proto/receipt.c): PROTOCOL.md 3.4's vector, the
 * canonical form (sorted, no repeats, shortest), and that a signal's
 * plaintext is not a receipt, nor a receipt a signal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../proto/receipt.h"
#include "../../proto/signal.h"

static void vector(uint8_t *out, size_t *len)
{
	size_t n = 0;
	out[n++] = 0x93;
	out[n++] = 0x05;
	out[n++] = 0xc4;
	out[n++] = 0x40;
	memset(out + n, 0x11, 32);
	memset(out + n + 32, 0x22, 32);
	n += 64;
	out[n++] = 0xc4;
	out[n++] = 0x20;
	memset(out + n, 0x22, 32);
	*len = n + 32;
}

static void test_vector(void **state)
{
	(void)state;
	uint8_t want[200], got[200];
	size_t want_len, got_len = 0;
	struct receipt rc = {0}, back;
	vector(want, &want_len);
	/* given out of order and twice: normalised to the vector */
	memset(rc.delivered[0], 0x22, 32);
	memset(rc.delivered[1], 0x11, 32);
	memset(rc.delivered[2], 0x22, 32);
	rc.n_delivered = 3;
	memset(rc.seen[0], 0x22, 32);
	rc.n_seen = 1;
	assert_int_equal(receipt_encode(&rc, got, sizeof(got), &got_len), SAMEN_EINVAL);
	receipt_normalise(&rc);
	assert_int_equal(rc.n_delivered, 2);
	assert_int_equal(receipt_encode(&rc, got, sizeof(got), &got_len), 0);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
	assert_int_equal(receipt_decode(want, want_len, &back), 0);
	assert_int_equal(back.n_delivered, 2);
	assert_int_equal(back.n_seen, 1);
	assert_memory_equal(back.seen[0], rc.seen[0], 32);
}

static void test_refused(void **state)
{
	(void)state;
	uint8_t b[200];
	size_t len;
	struct receipt rc;
	vector(b, &len);
	/* unsorted delivered list */
	uint8_t u[200];
	memcpy(u, b, len);
	memset(u + 4, 0x22, 32);
	memset(u + 36, 0x11, 32);
	assert_int_equal(receipt_decode(u, len, &rc), SAMEN_EMALFORMED);
	/* a repeat */
	memset(u + 4, 0x22, 32);
	assert_int_equal(receipt_decode(u, len, &rc), SAMEN_EMALFORMED);
	/* another kind */
	memcpy(u, b, len);
	u[1] = 0x01;
	assert_int_equal(receipt_decode(u, len, &rc), SAMEN_EMALFORMED);
	/* an id cut short */
	memcpy(u, b, len);
	u[3] = 0x3f;
	assert_int_equal(receipt_decode(u, len - 1, &rc), SAMEN_EMALFORMED);
	/* nothing in either list */
	const uint8_t empty[] = {0x93, 0x05, 0xc4, 0x00, 0xc4, 0x00};
	assert_int_equal(receipt_decode(empty, sizeof(empty), &rc), SAMEN_EMALFORMED);
	/* a longer form than the shortest (bin16 for 32 bytes) */
	uint8_t longer[200];
	size_t n = 0;
	longer[n++] = 0x93;
	longer[n++] = 0x05;
	longer[n++] = 0xc4;
	longer[n++] = 0x00;
	longer[n++] = 0xc5;
	longer[n++] = 0x00;
	longer[n++] = 0x20;
	memset(longer + n, 0x33, 32);
	n += 32;
	assert_int_equal(receipt_decode(longer, n, &rc), SAMEN_EMALFORMED);
	/* too many ids */
	struct receipt big = {0};
	for (int i = 0; i < RECEIPT_IDS_MAX + 1 && i < RECEIPT_IDS_MAX; i++)
		memset(big.delivered[i], i + 1, 32);
	big.n_delivered = RECEIPT_IDS_MAX;
	memset(big.seen[0], 0xee, 32);
	big.n_seen = 1;
	uint8_t out[4096];
	assert_int_equal(receipt_encode(&big, out, sizeof(out), &len), SAMEN_EINVAL);
	big.n_seen = 0;
	assert_int_equal(receipt_encode(&big, out, sizeof(out), &len), 0);
	assert_true(len <= SIGNAL_PLAIN_MAX);
	assert_int_equal(receipt_decode(out, len, &rc), 0);
}

static void test_not_a_signal(void **state)
{
	(void)state;
	uint8_t b[200];
	size_t len;
	struct signal_plain p;
	struct receipt rc;
	vector(b, &len);
	/* what an older daemon does with a receipt: not a signal's plaintext */
	assert_int_equal(signal_plain_decode(b, len, &p), SAMEN_EMALFORMED);
	/* and a signal's plaintext is no receipt */
	memset(&p, 0, sizeof(p));
	p.kind = SIG_ALERT;
	p.category = CAT_OTHER;
	p.severity = SEV_MODERATE;
	p.status = STATUS_REAL;
	strcpy(p.description, "x");
	uint8_t sp[SIGNAL_PLAIN_MAX];
	size_t sp_len = 0;
	assert_int_equal(signal_plain_encode(&p, sp, sizeof(sp), &sp_len), 0);
	assert_int_equal(receipt_decode(sp, sp_len, &rc), SAMEN_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_not_a_signal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
