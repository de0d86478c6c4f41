/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * stream.h — the long responses: the page's Server-Sent Events
 * (/api/events) and ntfy's JSON and SSE streams (/TOPIC/json, /TOPIC/sse).
 * Each follows the ring from its own position in its own connection thread
 * and holds at most one event; a reader that falls a whole ring behind is
 * cut off (it comes back with its last id and gets the ring again).
 */
#ifndef SAMEN_WEB_STREAM_H
#define SAMEN_WEB_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "web.h"

enum stream_kind { STREAM_PAGE, STREAM_NTFY_JSON, STREAM_NTFY_SSE };

/* A response that streams from position after; poll ends it once caught up. */
struct MHD_Response *stream_response(struct web *w, enum stream_kind kind, uint64_t after,
				     bool poll);

#endif
