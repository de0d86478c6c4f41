/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * render.h — samen's human-readable output: replies and watch events of the
 * control protocol (PROTOCOL.md section 8) turned into text for a person.
 *
 * Every function writes to o->f and returns 0, or SAMEN_EMALFORMED with
 * o->bad naming the field that was missing or of the wrong type (the reply
 * already passed mp_unpack; this is the per-field check). Output may be
 * partial on failure: write into an open_memstream() buffer and copy it out
 * only on success when that matters.
 *
 * Text that came from the daemon is printed only through term.h's safe
 * writers, whatever the daemon sent.
 */
#ifndef SAMEN_CLIENT_RENDER_H
#define SAMEN_CLIENT_RENDER_H

#include <stdbool.h>

#include <msgpack.h>

#include "term.h"
#include "../proto/err.h"

/* The renderer of one kind of reply, given the whole reply map. */
typedef int render_fn(struct out *o, const msgpack_object *reply);

/* send, ack, resolve: "sent alert 1a2b3c4d (committed)" */
int render_sent_alert(struct out *o, const msgpack_object *reply);
int render_sent_update(struct out *o, const msgpack_object *reply);
int render_sent_ack(struct out *o, const msgpack_object *reply);
int render_sent_allclear(struct out *o, const msgpack_object *reply);
int render_retract(struct out *o, const msgpack_object *reply);
/* a table, one signal per row */
int render_list(struct out *o, const msgpack_object *reply);
/* one signal in full, then its thread */
int render_show(struct out *o, const msgpack_object *reply);
int render_peers(struct out *o, const msgpack_object *reply);
int render_members(struct out *o, const msgpack_object *reply);
int render_status(struct out *o, const msgpack_object *reply);
int render_invite(struct out *o, const msgpack_object *reply);
int render_join(struct out *o, const msgpack_object *reply);
int render_pending(struct out *o, const msgpack_object *reply);
int render_approve(struct out *o, const msgpack_object *reply);
int render_notify(struct out *o, const msgpack_object *reply);
int render_seen(struct out *o, const msgpack_object *reply);
int render_revoke(struct out *o, const msgpack_object *reply);
int render_certify(struct out *o, const msgpack_object *reply);

/*
 * One watch event frame as a block of lines followed by a blank line.
 * Returns 0, SAMEN_EMALFORMED, or SAMEN_EKIND for an event type this samen
 * does not know (o->bad then points at a static description; the caller may
 * skip the event).
 */
int render_event(struct out *o, const msgpack_object *ev);

#endif
