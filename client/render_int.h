/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * render_int.h — what client/render.c (signal views, send, list) shares with
 * client/render_show.c (show and watch): one signal view as samend sends it,
 * parsed. Not for other files.
 */
#ifndef SAMEN_CLIENT_RENDER_INT_H
#define SAMEN_CLIENT_RENDER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "render.h"

struct view {
	struct text id, author, label, kind, category, severity, status, ack, description,
		where, state;
	uint64_t seq, created, expires, shared, looking, radius_m;
	uint64_t delivered, seen, households; /* receipts (has_receipts) */
	int64_t lat_e6, lon_e6;
	bool readable, called112, retracted, has_point, has_state, has_looking, has_receipts;
	const msgpack_object_array *refs;
};

#define T(s) ((struct text){(s), sizeof(s) - 1})

/* "delivered to 41 of 47 households · seen by 12" */
void put_receipts(FILE *f, uint64_t delivered, uint64_t households, uint64_t seen);

int view_parse(struct out *o, const msgpack_object *m, struct view *v);
struct text view_state(const struct out *o, const struct view *v);
void put_upper(FILE *f, struct text t);
const char *drill_tag(const struct view *v);

#endif
