/* SPDX-License-Identifier: EUPL-1.2 */
/* Invite codes: round trip, the text people paste, and hostile codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../proto/invite.h"

static void sample(struct invite_code *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 32; i++) {
		c->nbhd[i] = (uint8_t)i;
		c->server[i] = (uint8_t)(32 + i);
	}
	for (int i = 0; i < INVITE_SECRET_LEN; i++)
		c->secret[i] = (uint8_t)(64 + i);
	strcpy(c->endpoint, "tcp://192.0.2.7:7701");
	c->expires = 1795536000;
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct invite_code c, d;
	char code[512], wrapped[600];
	sample(&c);
	assert_int_equal(invite_encode(&c, code, sizeof(code)), 0);
	assert_memory_equal(code, INVITE_PREFIX, strlen(INVITE_PREFIX));
	assert_int_equal(invite_decode(code, &d), 0);
	assert_memory_equal(&c, &d, sizeof(c));

	/* as pasted from a message: leading blank line, broken into lines */
	snprintf(wrapped, sizeof(wrapped), " \n%.40s\n%s", code, code + 40);
	assert_int_equal(invite_decode(wrapped, &d), 0);
	assert_memory_equal(&c, &d, sizeof(c));

	/* too small a buffer */
	assert_int_equal(invite_encode(&c, code, 20), SAMEN_ETOOBIG);
}

/* A code with the fields changed but base64 intact. */
static void encode_raw(const uint8_t *bin, size_t len, char *out, size_t cap)
{
	size_t plen = strlen(INVITE_PREFIX);
	memcpy(out, INVITE_PREFIX, plen);
	sodium_bin2base64(out + plen, cap - plen, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_hostile(void **state)
{
	(void)state;
	struct invite_code c, d;
	char code[512], bad[600];
	uint8_t bin[INVITE_BIN_MAX];
	size_t len;
	sample(&c);
	assert_int_equal(invite_encode(&c, code, sizeof(code)), 0);

	assert_int_equal(invite_decode("samen-invite:", &d), SAMEN_EINVAL);
	assert_int_equal(invite_decode("", &d), SAMEN_EINVAL);
	assert_int_equal(invite_decode(code + 1, &d), SAMEN_EINVAL);  /* prefix cut */
	/* a byte >= 0x80 inside the base64 */
	snprintf(bad, sizeof(bad), "%.30s\xc3\xa9%s", code, code + 30);
	assert_int_equal(invite_decode(bad, &d), SAMEN_EINVAL);
	/* truncated */
	snprintf(bad, sizeof(bad), "%.60s", code);
	assert_int_equal(invite_decode(bad, &d), SAMEN_EINVAL);
	/* the secret does not survive a refusal */
	for (size_t i = 0; i < sizeof(d); i++)
		assert_int_equal(((uint8_t *)&d)[i], 0);

	/* version 2, and an endpoint holding C1 / a newline */
	assert_int_equal(sodium_base642bin(bin, sizeof(bin), code + strlen(INVITE_PREFIX),
					   strlen(code) - strlen(INVITE_PREFIX), NULL, &len, NULL,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
			 0);
	bin[1] = 2;
	encode_raw(bin, len, bad, sizeof(bad));
	assert_int_equal(invite_decode(bad, &d), SAMEN_EINVAL);
	bin[1] = 1;
	uint8_t *ep = memmem(bin, len, "192.0", 5);
	assert_non_null(ep);
	memcpy(ep, "\xc2\x9b", 2);
	encode_raw(bin, len, bad, sizeof(bad));
	assert_int_equal(invite_decode(bad, &d), SAMEN_EINVAL);
	memcpy(ep, "\n ", 2);
	encode_raw(bin, len, bad, sizeof(bad));
	assert_int_equal(invite_decode(bad, &d), SAMEN_EINVAL);
	memcpy(ep, "19", 2);
	encode_raw(bin, len, bad, sizeof(bad));
	assert_int_equal(invite_decode(bad, &d), 0);

	strcpy(c.endpoint, "");
	assert_int_equal(invite_encode(&c, code, sizeof(code)), SAMEN_EINVAL);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests_name("invite", tests, NULL, NULL);
}
