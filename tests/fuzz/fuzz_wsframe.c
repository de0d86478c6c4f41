/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for the WebSocket frames a client sends samen-web
 * (web/wsframe.c): any bytes, read frame after frame as the stream does,
 * either make a frame that lies inside the input and within the caps, ask
 * for more, or are refused with a close code of RFC 6455's. A control frame
 * answered (pong, close) fits its own cap.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../web/wsframe.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void answer(const struct wsframe_in *f)
{
	uint8_t out[2 + WSFRAME_CONTROL_MAX];
	int n = 0;
	if (f->op == WSFRAME_PING)
		n = wsframe_control(out, sizeof(out), WSFRAME_PONG, 0, f->payload, f->len);
	else if (f->op == WSFRAME_CLOSE)
		n = wsframe_control(out, sizeof(out), WSFRAME_CLOSE, f->code, NULL, 0);
	if (n < 0 || (size_t)n > sizeof(out))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wsframe_in f;
	size_t at = 0;
	while (at < size) {
		long n = wsframe_decode(data + at, size - at, &f);
		if (n == 0)
			break;
		if (n < 0) {
			uint16_t c = wsframe_close_code((int)n);
			if (c != 1002 && c != 1003 && c != 1007 && c != 1009)
				__builtin_trap();
			break;
		}
		if ((size_t)n > size - at || f.len > WSFRAME_MAX || (size_t)n < 6 + f.len)
			__builtin_trap();
		if ((f.op & 0x8) && f.len > WSFRAME_CONTROL_MAX)
			__builtin_trap();
		if (f.op != WSFRAME_TEXT && f.op != WSFRAME_PING && f.op != WSFRAME_PONG &&
		    f.op != WSFRAME_CLOSE)
			__builtin_trap();
		if (f.op == WSFRAME_TEXT && !wsframe_utf8(f.payload, f.len))
			__builtin_trap();
		answer(&f);
		at += (size_t)n;
	}
	/* the header of any length round-trips through its length field */
	uint8_t h[WSFRAME_HEADER_MAX];
	size_t hl = wsframe_header(h, WSFRAME_TEXT, size);
	if (hl != (size < 126 ? 2u : size <= 0xffff ? 4u : 10u))
		__builtin_trap();
	return 0;
}
