/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * mp.h — strict msgpack: a structural check before msgpack-c sees any byte,
 * typed accessors on the unpacked objects, and a small packing buffer.
 *
 * msgpack-c's unpacker trusts declared container sizes and allocates for
 * them, so a 5-byte "array of 4 billion" would make it allocate gigabytes.
 * mp_check() walks the bytes first and refuses anything whose declared
 * counts or lengths exceed the bytes that remain, that nests past a depth
 * cap, that uses a type samen never sends (float, ext, 0xc1), or that is
 * followed by trailing bytes. Only then is msgpack_unpack_next() called.
 */
#ifndef SAMEN_MP_H
#define SAMEN_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "err.h"

#define MP_MAX_DEPTH 8
/* PROTOCOL.md section 8: a control request, reply or event nests at most
 * this deep. */
#define CTL_DEPTH 4

/*
 * Checks that buf[0..len) holds exactly one msgpack object that samen's
 * decoders may unpack. Returns 0, SAMEN_EMALFORMED, SAMEN_ETOOBIG (a length
 * or count larger than the bytes that remain) or SAMEN_EDEPTH.
 */
int mp_check(const uint8_t *buf, size_t len, unsigned max_depth) SAMEN_MUST_CHECK;

/*
 * mp_check(), then unpack into *out (which the caller initialised with
 * msgpack_unpacked_init and destroys with msgpack_unpacked_destroy).
 * Strings and bins in the result point into buf: keep buf alive.
 */
int mp_unpack(const uint8_t *buf, size_t len, unsigned max_depth,
	      msgpack_unpacked *out) SAMEN_MUST_CHECK;

/* Typed accessors: each returns 0 or SAMEN_EMALFORMED on a type mismatch. */
int mp_get_array(const msgpack_object *o, uint32_t n, const msgpack_object **items)
	SAMEN_MUST_CHECK;
int mp_get_uint(const msgpack_object *o, uint64_t max, uint64_t *out) SAMEN_MUST_CHECK;
int mp_get_int(const msgpack_object *o, int64_t min, int64_t max, int64_t *out)
	SAMEN_MUST_CHECK;
int mp_get_bool(const msgpack_object *o, bool *out) SAMEN_MUST_CHECK;
/* A bin of exactly len bytes, copied into out. */
int mp_get_bin_fixed(const msgpack_object *o, void *out, size_t len) SAMEN_MUST_CHECK;
/* A bin of at most max bytes whose length is a multiple of unit (unit >= 1);
 * *ptr borrows from the unpacked buffer. */
int mp_get_bin(const msgpack_object *o, size_t max, size_t unit,
	       const uint8_t **ptr, size_t *len) SAMEN_MUST_CHECK;
/* A UTF-8 string of at most cap-1 bytes that passes mp_text_ok(), copied
 * NUL-terminated into out. */
int mp_get_str(const msgpack_object *o, char *out, size_t cap) SAMEN_MUST_CHECK;

/* Decodes the UTF-8 sequence at s[0..len) (len >= 1): returns its length
 * in bytes and stores the code point in *cp, or returns 0 for an ill-formed
 * sequence (overlong, surrogate, past U+10FFFF, truncated, stray
 * continuation byte). The one UTF-8 decoder of samen. */
size_t mp_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* Returns true if s[0..len) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF) with no NUL, no C0 control character
 * other than '\n' and '\t', no DEL and no C1 control (U+0080..U+009F). */
bool mp_text_ok(const char *s, size_t len);

/* A packer writing into a growable buffer (msgpack_sbuffer). */
struct mp_buf {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};
void mp_buf_init(struct mp_buf *b);
/* Frees the buffer's memory (wiping it first: it may hold plaintext). */
void mp_buf_destroy(struct mp_buf *b);
/* Hands the bytes to the caller (free() them); the buffer is left empty. */
uint8_t *mp_buf_release(struct mp_buf *b, size_t *len);

/* Packing helpers that keep call sites short. All report allocation
 * failure through the packer's return, which the helpers accumulate. */
int mp_pack_bin(msgpack_packer *pk, const void *p, size_t len);
int mp_pack_str(msgpack_packer *pk, const char *s);

#endif
