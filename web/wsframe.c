/* SPDX-License-Identifier: EUPL-1.2 */
#include "wsframe.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sodium.h>

#include "../proto/err.h"

/* RFC 6455 1.3: what the key is hashed with. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int wsframe_accept(const char *key, char accept[WSFRAME_ACCEPT_LEN + 1])
{
	uint8_t nonce[18], digest[20];
	char joined[WSFRAME_KEY_LEN + sizeof(ws_guid)];
	size_t got = 0;
	const char *end = NULL;

	if (!key || strlen(key) != WSFRAME_KEY_LEN ||
	    sodium_base642bin(nonce, sizeof(nonce), key, WSFRAME_KEY_LEN, NULL, &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != key + WSFRAME_KEY_LEN || got != 16)
		return SAMEN_EINVAL;
	/* the key as sent, not its bytes, is what is hashed */
	memcpy(joined, key, WSFRAME_KEY_LEN);
	memcpy(joined + WSFRAME_KEY_LEN, ws_guid, sizeof(ws_guid) - 1);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, joined, WSFRAME_KEY_LEN + sizeof(ws_guid) - 1,
			     digest) != 0)
		return SAMEN_EMALFORMED;
	sodium_bin2base64(accept, WSFRAME_ACCEPT_LEN + 1, digest, sizeof(digest),
			  sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

size_t wsframe_header(uint8_t out[WSFRAME_HEADER_MAX], enum wsframe_op op, uint64_t len)
{
	out[0] = (uint8_t)(0x80 | (op & 0x0f));
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

int wsframe_control(uint8_t *out, size_t cap, enum wsframe_op op, uint16_t code,
		    const void *reason, size_t reason_len)
{
	bool has_code = op == WSFRAME_CLOSE && code != WSFRAME_NO_STATUS;
	if (!(op & 0x8) || (op == WSFRAME_CLOSE && !has_code && reason_len))
		return SAMEN_EINVAL; /* a reason needs a code before it */
	size_t len = (has_code ? 2 : 0) + reason_len;
	if (len > WSFRAME_CONTROL_MAX || cap < 2 + len)
		return SAMEN_ETOOBIG;
	size_t at = wsframe_header(out, op, len);
	if (has_code) {
		out[at++] = (uint8_t)(code >> 8);
		out[at++] = (uint8_t)code;
	}
	if (reason_len)
		memcpy(out + at, reason, reason_len);
	return (int)(at + reason_len);
}

bool wsframe_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		size_t more;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			more = 1, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			more = 2, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			more = 3, cp = c & 0x07, min = 0x10000;
		else
			return false;
		if (more > n - i - 1)
			return false;
		for (size_t k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += more + 1;
	}
	return true;
}

/* Codes a peer may send (RFC 6455 7.4, and IANA's 1012..1014). */
static bool close_code_ok(uint16_t c)
{
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

/* What the first byte allows, before any length is known. */
static int check_opcode(uint8_t b0)
{
	enum wsframe_op op = b0 & 0x0f;
	bool fin = b0 & 0x80;
	if (b0 & 0x70)
		return SAMEN_EMALFORMED; /* RSV1..3 without an extension */
	if (op == WSFRAME_CLOSE || op == WSFRAME_PING || op == WSFRAME_PONG)
		return fin ? 0 : SAMEN_EMALFORMED; /* control frames are never fragmented */
	if (op == WSFRAME_TEXT)
		return fin ? 0 : SAMEN_EKIND;
	if (op == WSFRAME_BINARY)
		return SAMEN_EKIND;
	/* a continuation of nothing (we take no first fragment), or reserved */
	return SAMEN_EMALFORMED;
}

/* The payload length at buf[1..]; its header length in *at; 0 for more. */
static long payload_len(const uint8_t *buf, size_t n, size_t *at, uint64_t *len)
{
	uint8_t l7 = buf[1] & 0x7f;
	if (l7 < 126) {
		*at = 2;
		*len = l7;
	} else if (l7 == 126) {
		if (n < 4)
			return 0;
		*at = 4;
		*len = (uint64_t)buf[2] << 8 | buf[3];
		if (*len < 126)
			return SAMEN_EMALFORMED; /* not the shortest form */
	} else {
		if (n < 10)
			return 0;
		*at = 10;
		*len = 0;
		for (int i = 0; i < 8; i++)
			*len = *len << 8 | buf[2 + i];
		if (*len >> 63 || *len <= 0xffff)
			return SAMEN_EMALFORMED;
	}
	return 1;
}

static int check_close(struct wsframe_in *f)
{
	f->code = WSFRAME_NO_STATUS;
	if (f->len == 0)
		return 0;
	if (f->len == 1)
		return SAMEN_EMALFORMED;
	f->code = (uint16_t)(f->payload[0] << 8 | f->payload[1]);
	if (!close_code_ok(f->code))
		return SAMEN_EMALFORMED;
	return wsframe_utf8(f->payload + 2, f->len - 2) ? 0 : SAMEN_EINVAL;
}

long wsframe_decode(const uint8_t *buf, size_t n, struct wsframe_in *f)
{
	size_t at;
	uint64_t len;
	if (n < 2)
		return 0;
	int r = check_opcode(buf[0]);
	if (r < 0)
		return r;
	if (!(buf[1] & 0x80))
		return SAMEN_EMALFORMED; /* a client masks every frame (5.1) */
	f->op = buf[0] & 0x0f;
	if ((f->op & 0x8) && (buf[1] & 0x7f) > WSFRAME_CONTROL_MAX)
		return SAMEN_EMALFORMED;
	long p = payload_len(buf, n, &at, &len);
	if (p <= 0)
		return p;
	if (len > WSFRAME_MAX)
		return SAMEN_ETOOBIG; /* said before its bytes are waited for */
	if (n - at < 4 + len)
		return 0;
	const uint8_t *mask = buf + at;
	for (size_t i = 0; i < len; i++)
		f->payload[i] = buf[at + 4 + i] ^ mask[i % 4];
	f->len = (size_t)len;
	f->code = 0;
	if (f->op == WSFRAME_TEXT && !wsframe_utf8(f->payload, f->len))
		return SAMEN_EINVAL;
	if (f->op == WSFRAME_CLOSE && (r = check_close(f)) < 0)
		return r;
	return (long)(at + 4 + len);
}

uint16_t wsframe_close_code(int err)
{
	switch (err) {
	case SAMEN_EMALFORMED:
		return WSFRAME_PROTOCOL;
	case SAMEN_EKIND:
		return WSFRAME_UNSUPPORTED;
	case SAMEN_ETOOBIG:
		return WSFRAME_TOO_BIG;
	case SAMEN_EINVAL:
		return WSFRAME_INVALID;
	default:
		return WSFRAME_INTERNAL;
	}
}
