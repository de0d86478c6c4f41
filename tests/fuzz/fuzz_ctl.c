/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for control requests (PROTOCOL.md section 8): any bytes
 * a local client could write to the control socket go the daemon's way —
 * mp_unpack() at the control depth, mpmap_check() with no list and then with
 * each op's field list, and every getter the ops use on every field they
 * read, array elements included (refs, records). Whatever a getter hands
 * back must keep its promise: text NUL-terminated, within its buffer and
 * valid UTF-8 without control characters; numbers within the bounds asked
 * for; a checked map has distinct string keys; a refusal names the problem
 * in a NUL-terminated message.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../proto/ctl.h"
#include "../../proto/mp.h"
#include "../../proto/mpmap.h"
#include "../../proto/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void text_ok(const char *s, size_t cap)
{
	const char *end = memchr(s, '\0', cap);
	if (!end || !mp_text_ok(s, (size_t)(end - s)))
		__builtin_trap();
}

static void getters(const msgpack_object *m, const char *key)
{
	/* the buffer sizes the daemon reads into */
	static const size_t caps[] = {1, 8, 24, 32, 40, 80, 512, 1025};
	char buf[1100];
	uint64_t u;
	int64_t i;
	bool b;
	uint8_t bin[32];
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		memset(buf, 'Z', sizeof(buf));
		int r = mpmap_str(m, key, buf, caps[c]);
		if (r == 0)
			text_ok(buf, caps[c]);
		else if (r != SAMEN_ENOTFOUND && r != SAMEN_EMALFORMED)
			__builtin_trap();
		if (buf[caps[c]] != 'Z') /* nothing written past the buffer */
			__builtin_trap();
	}
	static const uint64_t umax[] = {0, 1, 3650, 100000, 30 * 86400, UINT32_MAX, UINT64_MAX};
	for (size_t c = 0; c < sizeof(umax) / sizeof(umax[0]); c++)
		if (mpmap_uint(m, key, umax[c], &u) == 0 && u > umax[c])
			__builtin_trap();
	if (mpmap_int(m, key, -90000000, 90000000, &i) == 0 && (i < -90000000 || i > 90000000))
		__builtin_trap();
	if (mpmap_int(m, key, INT64_MIN, INT64_MAX, &i) != 0 && mpmap_find(m, key) &&
	    mpmap_find(m, key)->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    mpmap_find(m, key)->via.u64 <= INT64_MAX)
		__builtin_trap(); /* an int64 in range must be accepted */
	(void)mpmap_bool(m, key, &b);
	(void)mpmap_bin(m, key, bin, sizeof(bin));

	const msgpack_object *o = mpmap_find(m, key);
	if (o && o->type == MSGPACK_OBJECT_ARRAY) {
		for (uint32_t k = 0; k < o->via.array.size; k++) {
			const uint8_t *p;
			size_t len;
			char id[80];
			if (mp_get_str(&o->via.array.ptr[k], id, sizeof(id)) == 0)
				text_ok(id, sizeof(id));
			if (mp_get_bin(&o->via.array.ptr[k], RECORD_MAX, 1, &p, &len) == 0 &&
			    len > RECORD_MAX)
				__builtin_trap();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	msgpack_unpacked u;
	char bad[96], op[32];
	msgpack_unpacked_init(&u);
	if (mp_unpack(data, size, CTL_DEPTH, &u) != 0) {
		msgpack_unpacked_destroy(&u);
		return 0;
	}
	const msgpack_object *m = &u.data;
	memset(bad, 'Z', sizeof(bad));
	if (mpmap_check(m, NULL, bad, sizeof(bad)) != 0) {
		if (!memchr(bad, '\0', sizeof(bad)))
			__builtin_trap();
		msgpack_unpacked_destroy(&u);
		return 0;
	}
	if (m->type != MSGPACK_OBJECT_MAP)
		__builtin_trap();
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object *k = &m->via.map.ptr[i].key;
		if (k->type != MSGPACK_OBJECT_STR)
			__builtin_trap();
		for (uint32_t j = 0; j < i; j++) {
			const msgpack_object *o = &m->via.map.ptr[j].key;
			if (o->via.str.size == k->via.str.size &&
			    memcmp(o->via.str.ptr, k->via.str.ptr, k->via.str.size) == 0)
				__builtin_trap(); /* a duplicate key passed */
		}
	}
	bool known = false;
	if (mpmap_str(m, "op", op, sizeof(op)) == 0) {
		text_ok(op, sizeof(op));
		int i = ctl_op_find(op);
		known = i >= 0;
		if (known) {
			const char *const *fields = ctl_ops[i].fields;
			memset(bad, 'Z', sizeof(bad));
			if (mpmap_check(m, fields, bad, sizeof(bad)) != 0) {
				if (!memchr(bad, '\0', sizeof(bad)))
					__builtin_trap();
			} else {
				for (size_t f = 0; fields[f]; f++)
					getters(m, fields[f]);
			}
		}
	}
	/* keys no op knows (what a reply holds, or a typo) */
	if (!known)
		for (uint32_t i = 0; i < m->via.map.size && i < 8; i++) {
			char key[64];
			const msgpack_object *k = &m->via.map.ptr[i].key;
			if (k->via.str.size >= sizeof(key) || memchr(k->via.str.ptr, '\0', k->via.str.size))
				continue;
			memcpy(key, k->via.str.ptr, k->via.str.size);
			key[k->via.str.size] = '\0';
			getters(m, key);
		}
	msgpack_unpacked_destroy(&u);
	return 0;
}
