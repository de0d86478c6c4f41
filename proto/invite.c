/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * invite.c — encoding and strict decoding of invite codes.
 */
#include "invite.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "mp.h"

#define INVITE_FIELDS 6
#define INVITE_DEPTH 1

static bool endpoint_ok(const char *s)
{
	size_t n = strnlen(s, ENDPOINT_MAX + 1);
	return n > 0 && n <= ENDPOINT_MAX && mp_text_ok(s, n) && !strpbrk(s, "\n\t ");
}

int invite_encode(const struct invite_code *c, char *out, size_t cap)
{
	size_t plen = strlen(INVITE_PREFIX), need;
	struct mp_buf b;
	int e = 0, ret;

	if (!endpoint_ok(c->endpoint))
		return SAMEN_EINVAL;
	mp_buf_init(&b);
	e |= msgpack_pack_array(&b.pk, INVITE_FIELDS);
	e |= msgpack_pack_uint8(&b.pk, INVITE_VERSION);
	e |= mp_pack_bin(&b.pk, c->nbhd, 32);
	e |= mp_pack_str(&b.pk, c->endpoint);
	e |= mp_pack_bin(&b.pk, c->server, 32);
	e |= mp_pack_bin(&b.pk, c->secret, INVITE_SECRET_LEN);
	e |= msgpack_pack_uint64(&b.pk, c->expires);
	need = plen + sodium_base64_encoded_len(b.sb.size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (e) {
		ret = -ENOMEM;
	} else if (b.sb.size > INVITE_BIN_MAX || need > cap) {
		ret = SAMEN_ETOOBIG;
	} else {
		memcpy(out, INVITE_PREFIX, plen);
		sodium_bin2base64(out + plen, cap - plen, (const unsigned char *)b.sb.data,
				  b.sb.size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		ret = 0;
	}
	mp_buf_destroy(&b); /* wipes the secret */
	return ret;
}

static int fields(const uint8_t *bin, size_t len, struct invite_code *c)
{
	msgpack_unpacked u;
	const msgpack_object *f;
	uint64_t version;
	int ret = SAMEN_EINVAL;

	msgpack_unpacked_init(&u);
	if (mp_unpack(bin, len, INVITE_DEPTH, &u) == 0 &&
	    mp_get_array(&u.data, INVITE_FIELDS, &f) == 0 &&
	    mp_get_uint(&f[0], 255, &version) == 0 && version == INVITE_VERSION &&
	    mp_get_bin_fixed(&f[1], c->nbhd, 32) == 0 &&
	    mp_get_str(&f[2], c->endpoint, sizeof(c->endpoint)) == 0 &&
	    endpoint_ok(c->endpoint) &&
	    mp_get_bin_fixed(&f[3], c->server, 32) == 0 &&
	    mp_get_bin_fixed(&f[4], c->secret, INVITE_SECRET_LEN) == 0 &&
	    mp_get_uint(&f[5], UINT64_MAX, &c->expires) == 0)
		ret = 0;
	msgpack_unpacked_destroy(&u);
	return ret;
}

int invite_decode(const char *text, struct invite_code *c)
{
	size_t plen = strlen(INVITE_PREFIX), len;
	uint8_t bin[INVITE_BIN_MAX];
	int ret = SAMEN_EINVAL;

	memset(c, 0, sizeof(*c));
	while (*text == ' ' || *text == '\n')
		text++;
	if (strncmp(text, INVITE_PREFIX, plen) != 0)
		goto out;
	text += plen;
	/* libsodium 1.0.18 accepts bytes >= 0x80 as if they were base64 */
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p >= 0x80)
			goto out;
	if (sodium_base642bin(bin, sizeof(bin), text, strlen(text), " \n\r\t", &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		goto out;
	ret = fields(bin, len, c);
	sodium_memzero(bin, sizeof(bin));
out:
	if (ret < 0)
		sodium_memzero(c, sizeof(*c));
	return ret;
}
