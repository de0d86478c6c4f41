/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * keytext.c — public keys as text, and fingerprints people read aloud.
 *
 * These functions need no randomness, so they do not depend on
 * sodium_init(): base64 is plain code and BLAKE2b gives the same digest
 * whichever implementation sodium_init() would pick.
 */
#include "keytext.h"

#include <string.h>

#include <sodium.h>

#define KEYTEXT_CHARS (KEYTEXT_LEN - 1)
#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* Domain separation: a fingerprint is not any other BLAKE2b of a key. */
static const char fingerprint_context[] = "samen-fingerprint-v1";
/* Crockford's base32: no I, L, O, U, so nothing reads as 1, 0 or V. */
static const char crockford32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#define FINGERPRINT_BYTES 10 /* 80 bits = 16 base32 characters */

void keytext_encode(const uint8_t pk[32], char out[KEYTEXT_LEN])
{
	sodium_bin2base64(out, KEYTEXT_LEN, pk, 32, B64_VARIANT);
}

/* Not isspace(): the locale must not change what a key file may hold. */
static int keytext_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/*
 * libsodium 1.0.18 (Debian 12) reads the input as plain, signed char, so a
 * byte >= 0x80 slips through its alphabet check and decodes to some 6-bit
 * value: "1\xc3qYA..." would be accepted as a key. We refuse such bytes
 * first, without branching on them, as libsodium would on the rest.
 */
static int keytext_is_ascii(const char *s, size_t len)
{
	unsigned int high = 0;
	size_t i;

	for (i = 0; i < len; ++i)
		high |= (unsigned char)s[i] & 0x80U;
	return high == 0;
}

int keytext_decode(const char *text, uint8_t pk[32])
{
	uint8_t bin[32];
	const char *start, *stop, *end = NULL;
	size_t bin_len = 0;

	if (!text || !pk)
		return SAMEN_EINVAL;
	start = text;
	while (keytext_is_space(*start))
		++start;
	stop = start + strlen(start);
	while (stop > start && keytext_is_space(stop[-1]))
		--stop;
	if ((size_t)(stop - start) != KEYTEXT_CHARS ||
	    !keytext_is_ascii(start, KEYTEXT_CHARS))
		return SAMEN_EINVAL;

	/*
	 * libsodium stops at the first character outside the alphabet and
	 * still returns 0, so "end" must reach the last character; it also
	 * refuses non-zero unused bits in the last character, which makes
	 * every key's text form unique.
	 */
	if (sodium_base642bin(bin, sizeof(bin), start, KEYTEXT_CHARS, NULL,
			      &bin_len, &end, B64_VARIANT) != 0 ||
	    end != stop || bin_len != sizeof(bin))
		return SAMEN_EINVAL;
	/* pk is written only on success: a caller's key never half-changes. */
	memcpy(pk, bin, sizeof(bin));
	return 0;
}

/* Big-endian bit order, 5 bits per character, as RFC 4648 base32. */
static void keytext_base32(const uint8_t *in, size_t len, char *out)
{
	unsigned int acc = 0, bits = 0;
	size_t i;

	for (i = 0; i < len; ++i) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			*out++ = crockford32[(acc >> bits) & 31];
		}
		acc &= (1U << bits) - 1;
	}
	/* 10 bytes are exactly 16 characters: no partial group remains. */
	*out = '\0';
}

void keytext_fingerprint(const uint8_t pk[32], char out[FINGERPRINT_LEN])
{
	crypto_generichash_state st;
	uint8_t digest[32];
	char b32[FINGERPRINT_BYTES * 8 / 5 + 1];
	size_t i, o = 0;

	crypto_generichash_init(&st, NULL, 0, sizeof(digest));
	crypto_generichash_update(&st, (const uint8_t *)fingerprint_context,
				  sizeof(fingerprint_context) - 1);
	crypto_generichash_update(&st, pk, 32);
	crypto_generichash_final(&st, digest, sizeof(digest));

	keytext_base32(digest, FINGERPRINT_BYTES, b32);
	for (i = 0; i < 16; ++i) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = b32[i];
	}
	out[o] = '\0';
}
