/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * fields.h — reading the fields of a control reply (PROTOCOL.md section 8)
 * for display. The reply already passed mp_unpack and mpmap_check; these
 * check each field's presence and type. Each returns 0, or
 * SAMEN_EMALFORMED with o->bad set to the key at fault. Strings are
 * borrowed from the unpacked reply.
 */
#ifndef SAMEN_CLIENT_FIELDS_H
#define SAMEN_CLIENT_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>

#include "term.h"
#include "../proto/err.h"

#define ID_SHORT 8 /* hex characters of an id shown to people */

/* Sets o->bad = field and returns SAMEN_EMALFORMED. */
int field_bad(struct out *o, const char *field);
bool text_is(struct text t, const char *s);

int field_str(struct out *o, const msgpack_object *m, const char *key, struct text *t);
/* Absent: empty text and 0; present: must be a string. */
int field_opt_str(struct out *o, const msgpack_object *m, const char *key, struct text *t);
int field_uint(struct out *o, const msgpack_object *m, const char *key, uint64_t *v);
int field_bool(struct out *o, const msgpack_object *m, const char *key, bool *v);
int field_array(struct out *o, const msgpack_object *m, const char *key,
		const msgpack_object_array **a);
/* A name given as a string, or as its number mapped through name(). */
int field_name(struct out *o, const msgpack_object *m, const char *key,
	       const char *(*name)(unsigned), struct text *t);
/* A record id: exactly 64 lowercase hex characters (so it may be printed
 * as it is). */
bool text_is_id(const msgpack_object *v);
int field_id(struct out *o, const msgpack_object *m, const char *key, struct text *t);

/* member, coordinator, relay, authority (certificate roles), else "unknown". */
const char *field_role_name(unsigned v);

#endif
