/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * wsstream.h — ntfy's WebSocket stream (/TOPIC/ws): the handshake of
 * RFC 6455 on libmicrohttpd's upgrade, then stream.c's ntfy objects as one
 * text message each, in a thread of its own per connection (with TLS,
 * libmicrohttpd forwards the connection only once its upgrade handler has
 * returned). A client's pings are answered and its close ends the stream;
 * the stream ends too when samen-web stops (ring_wake()).
 */
#ifndef SAMEN_WEB_WSSTREAM_H
#define SAMEN_WEB_WSSTREAM_H

#include <microhttpd.h>

#include "web.h"

/*
 * The answer to GET /TOPIC/ws from a paired device: the 101 upgrade with
 * *status MHD_HTTP_SWITCHING_PROTOCOLS, or a refusal of the handshake
 * (400; 426 for another protocol version) with its status. NULL: no memory.
 * The stream starts where the request's since= and poll= say (since.h).
 */
struct MHD_Response *wsstream_response(struct web *w, struct MHD_Connection *c, unsigned *status);

/* Waits until every WebSocket stream has ended; after ring_wake(). */
void wsstream_drain(struct web *w);

#endif
