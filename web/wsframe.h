/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * wsframe.h — the WebSocket protocol (RFC 6455) as far as samen-web's
 * ntfy stream needs it, without sockets: the handshake's accept value,
 * the server's frames (unmasked text, close, pong) and the client's
 * frames read and checked.
 *
 * Only the server speaks: a client's text is ignored, a ping is answered,
 * a close is answered and ends the stream. Everything else a client sends
 * that RFC 6455 forbids, or that samen-web does not take (binary or
 * fragmented messages, more than WSFRAME_MAX bytes), fails the
 * connection with the close code wsframe_close_code() gives.
 */
#ifndef SAMEN_WEB_WSFRAME_H
#define SAMEN_WEB_WSFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WSFRAME_MAX 4096          /* payload of one client frame */
#define WSFRAME_CONTROL_MAX 125   /* payload of a control frame (RFC 6455 5.5) */
#define WSFRAME_HEADER_MAX 14     /* 2 + 8 length + 4 mask */
#define WSFRAME_KEY_LEN 24        /* base64 of 16 bytes */
#define WSFRAME_ACCEPT_LEN 28     /* base64 of a SHA-1 */

enum wsframe_op {
	WSFRAME_CONT = 0x0,
	WSFRAME_TEXT = 0x1,
	WSFRAME_BINARY = 0x2,
	WSFRAME_CLOSE = 0x8,
	WSFRAME_PING = 0x9,
	WSFRAME_PONG = 0xA,
};

/* Close codes (RFC 6455 7.4.1). */
enum wsframe_code {
	WSFRAME_NORMAL = 1000,
	WSFRAME_GOING_AWAY = 1001,
	WSFRAME_PROTOCOL = 1002,
	WSFRAME_UNSUPPORTED = 1003,
	WSFRAME_NO_STATUS = 1005,  /* never sent: a close without a code */
	WSFRAME_INVALID = 1007,
	WSFRAME_TOO_BIG = 1009,
	WSFRAME_INTERNAL = 1011,
};

/* One frame from a client, its payload unmasked. */
struct wsframe_in {
	enum wsframe_op op;
	uint8_t payload[WSFRAME_MAX];
	size_t len;
	uint16_t code; /* WSFRAME_CLOSE: the code in it, or WSFRAME_NO_STATUS */
};

/*
 * Whether key (a request's Sec-WebSocket-Key) is 16 bytes in base64, and
 * then the Sec-WebSocket-Accept for it in accept (NUL-terminated).
 * 0, SAMEN_EINVAL for a key that is not, or SAMEN_EMALFORMED when the
 * digest cannot be computed.
 */
int wsframe_accept(const char *key, char accept[WSFRAME_ACCEPT_LEN + 1]);

/* The header of a server frame (FIN set, unmasked) for a payload of len
 * bytes; returns its length (2, 4 or 10). */
size_t wsframe_header(uint8_t out[WSFRAME_HEADER_MAX], enum wsframe_op op, uint64_t len);

/*
 * A whole control frame (close, ping or pong) into out: for close, code
 * (or none when WSFRAME_NO_STATUS) and reason; for the others, the
 * payload of reason_len bytes in reason. Returns its length, or
 * SAMEN_ETOOBIG when the payload would pass WSFRAME_CONTROL_MAX or cap.
 */
int wsframe_control(uint8_t *out, size_t cap, enum wsframe_op op, uint16_t code,
		    const void *reason, size_t reason_len);

/*
 * Reads the first frame of a client in buf[0..n). Returns the bytes it
 * took (> 0) with *f filled; 0 while buf holds only part of it; or
 * SAMEN_EMALFORMED (broken framing, unmasked, reserved bits or opcode,
 * bad close code), SAMEN_EKIND (binary or fragmented data: not taken),
 * SAMEN_ETOOBIG (past WSFRAME_MAX) or SAMEN_EINVAL (text or close reason
 * that is not UTF-8): wsframe_close_code() says what to close with.
 */
long wsframe_decode(const uint8_t *buf, size_t n, struct wsframe_in *f);

/* The close code for one of wsframe_decode()'s errors. */
uint16_t wsframe_close_code(int err);

/* Whether s[0..n) is UTF-8 (RFC 3629: no overlongs, surrogates or past U+10FFFF). */
bool wsframe_utf8(const uint8_t *s, size_t n);

#endif
