/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * request.h — building a control request (PROTOCOL.md section 8): a msgpack
 * map with string keys, "op" first. Each req_* call packs one field at once,
 * so the values need not outlive the call; the map header, whose count is
 * only known at the end, is put in front by req_finish().
 *
 * Allocation failures are remembered and reported once, by req_finish().
 */
#ifndef SAMEN_CLIENT_REQUEST_H
#define SAMEN_CLIENT_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/mp.h"

struct req {
	struct mp_buf fields; /* the packed key/value pairs, without the header */
	uint32_t n;           /* pairs packed so far */
	int err;              /* first failure, or 0 */
};

/* Starts a request for op (its "op" field). Release with req_destroy(). */
void req_init(struct req *r, const char *op);
void req_destroy(struct req *r);

void req_str(struct req *r, const char *key, const char *val);
void req_uint(struct req *r, const char *key, uint64_t val);
void req_int(struct req *r, const char *key, int64_t val);
void req_bool(struct req *r, const char *key, bool val);
/* An array of n strings. */
void req_strs(struct req *r, const char *key, const char *const *vals, size_t n);

/*
 * Returns the encoded request in *buf (the caller frees it with free()) and
 * its length in *len. Returns 0 or -ENOMEM.
 */
int req_finish(struct req *r, uint8_t **buf, size_t *len) SAMEN_MUST_CHECK;

#endif
