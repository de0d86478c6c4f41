/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * stream.h — the long responses: the page's Server-Sent Events
 * (/api/events) and ntfy's JSON, SSE and WebSocket streams (/TOPIC/json,
 * /TOPIC/sse, /TOPIC/ws: wsstream.h). Each follows the ring from its own
 * position in its own thread and holds at most one event; a reader that
 * falls a whole ring behind is cut off (it comes back with its last id and
 * gets the ring again).
 */
#ifndef SAMEN_WEB_STREAM_H
#define SAMEN_WEB_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "web.h"

enum stream_kind { STREAM_PAGE, STREAM_NTFY_JSON, STREAM_NTFY_SSE, STREAM_NTFY_WS };

struct stream;

/* A stream from position after; poll ends it once caught up. NULL: no memory. */
struct stream *stream_new(struct web *w, enum stream_kind kind, uint64_t after, bool poll);
void stream_free(struct stream *s);

/*
 * The next piece to write, waiting up to wait_ms for an event: the open
 * object first, then each event, and a keepalive after
 * WEB_KEEPALIVE_SECONDS of nothing, in the stream's format (for
 * STREAM_NTFY_WS, the bare JSON object of one text message).
 * Returns 1 with *out (malloc'ed, *len bytes; the caller frees it), 0 when
 * nothing is due yet, or at the end: -ENODATA once a poll has caught up,
 * -ECANCELED when samen-web stops, -ESPIPE when the reader fell out of
 * the ring, -ENOMEM.
 */
int stream_next(struct stream *s, int wait_ms, char **out, size_t *len);

/* An HTTP response that writes an http kind's stream (not STREAM_NTFY_WS). */
struct MHD_Response *stream_response(struct web *w, enum stream_kind kind, uint64_t after,
				     bool poll);

#endif
