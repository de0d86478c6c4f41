/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * mpmap.h — msgpack maps with string keys, as used by the control protocol
 * (PROTOCOL.md section 8): strict lookup on the reading side, short helpers
 * on the writing side.
 *
 * Reading: mpmap_check() refuses a map with a non-string key, a duplicate
 * key, or a key not in the allowed list (so a typo in a script is an error,
 * not a silently ignored option). The getters return 0 when found,
 * SAMEN_ENOTFOUND when the key is absent, SAMEN_EMALFORMED when the value has
 * the wrong type or is out of range.
 */
#ifndef SAMEN_MPMAP_H
#define SAMEN_MPMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "err.h"

/*
 * Checks that o is a map whose keys are distinct strings drawn from allowed
 * (a NULL-terminated list; NULL allows any key). On failure writes the
 * offending key (or a description) into bad, NUL-terminated, when bad is not
 * NULL. Returns 0 or SAMEN_EMALFORMED.
 */
int mpmap_check(const msgpack_object *o, const char *const *allowed, char *bad, size_t cap)
	SAMEN_MUST_CHECK;

/* Returns the value stored under key, or NULL. o must be a map. */
const msgpack_object *mpmap_find(const msgpack_object *o, const char *key);

int mpmap_str(const msgpack_object *o, const char *key, char *out, size_t cap)
	SAMEN_MUST_CHECK;
int mpmap_uint(const msgpack_object *o, const char *key, uint64_t max, uint64_t *out)
	SAMEN_MUST_CHECK;
int mpmap_int(const msgpack_object *o, const char *key, int64_t min, int64_t max,
	      int64_t *out) SAMEN_MUST_CHECK;
int mpmap_bool(const msgpack_object *o, const char *key, bool *out) SAMEN_MUST_CHECK;
/* A bin of exactly len bytes. */
int mpmap_bin(const msgpack_object *o, const char *key, void *out, size_t len)
	SAMEN_MUST_CHECK;

/* Writing: each packs a string key followed by the value. They return 0 or
 * -ENOMEM. */
int mpmap_put_str(msgpack_packer *pk, const char *key, const char *val);
int mpmap_put_uint(msgpack_packer *pk, const char *key, uint64_t val);
int mpmap_put_int(msgpack_packer *pk, const char *key, int64_t val);
int mpmap_put_bool(msgpack_packer *pk, const char *key, bool val);
int mpmap_put_bin(msgpack_packer *pk, const char *key, const void *p, size_t len);
/* Packs only the key; the caller packs the value next. */
int mpmap_put_key(msgpack_packer *pk, const char *key);

#endif
