/* SPDX-License-Identifier: EUPL-1.2 */
#include "stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "notice.h"

struct stream {
	struct web *w;
	enum stream_kind kind;
	uint64_t after;
	bool poll, opened;
	char *out;        /* what is still to be written */
	size_t len, off;
	time_t last;      /* when something was last written */
};

static char *text_printf(size_t *len, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *text_printf(size_t *len, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}

/* A random id for open and keepalive objects, which are no messages. */
static void plain_id(char id[RING_ID_LEN + 1])
{
	uint8_t r[RING_ID_LEN / 2];
	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(id, RING_ID_LEN + 1, r, sizeof(r));
}

static char *ntfy_plain(struct stream *s, const char *event, size_t *len)
{
	char id[RING_ID_LEN + 1];
	size_t n;
	plain_id(id);
	char *j = notice_plain(event, id, (uint64_t)time(NULL), s->w->cfg.topic, &n);
	if (!j)
		return NULL;
	char *t = s->kind == STREAM_NTFY_JSON ? text_printf(len, "%s\n", j)
		: !strcmp(event, "message") ? text_printf(len, "data: %s\n\n", j)
		: text_printf(len, "event: %s\ndata: %s\n\n", event, j);
	free(j);
	return t;
}

/* The next thing to write, waiting for it; NULL at the end. */
static char *next(struct stream *s, size_t *len, bool *end)
{
	struct ring_event e;
	*end = false;
	if (!s->opened) {
		s->opened = true;
		if (s->kind != STREAM_PAGE)
			return ntfy_plain(s, "open", len);
		return text_printf(len, "retry: 2000\n\n");
	}
	for (;;) {
		int r = ring_next(s->w->ring, s->after, 1000, &e);
		if (r < 0) {
			*end = true; /* fell out of the ring, or shutting down */
			return NULL;
		}
		if (r == 1) {
			s->after = e.pos;
			char *t = NULL;
			if (s->kind == STREAM_PAGE)
				t = text_printf(len, "id: %s\nevent: %s\ndata: %s\n\n", e.id, e.kind, e.json);
			else if (e.ntfy && s->kind == STREAM_NTFY_JSON)
				t = text_printf(len, "%s\n", e.ntfy);
			else if (e.ntfy)
				t = text_printf(len, "id: %s\ndata: %s\n\n", e.id, e.ntfy);
			ring_event_clear(&e);
			if (t)
				return t;
			continue; /* not notified: nothing for this stream */
		}
		if (s->poll) {
			*end = true;
			return NULL;
		}
		if (time(NULL) - s->last >= WEB_KEEPALIVE_SECONDS)
			return s->kind == STREAM_PAGE ? text_printf(len, ": keepalive\n\n")
						      : ntfy_plain(s, "keepalive", len);
	}
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	(void)pos;
	while (s->off == s->len) {
		bool end;
		free(s->out);
		s->out = next(s, &s->len, &end);
		s->off = 0;
		if (!s->out) {
			s->len = 0;
			return end ? (ssize_t)MHD_CONTENT_READER_END_OF_STREAM
				   : (ssize_t)MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
	size_t n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->out + s->off, n);
	s->off += n;
	s->last = time(NULL);
	return (ssize_t)n;
}

static void release(void *cls)
{
	struct stream *s = cls;
	free(s->out);
	free(s);
}

struct MHD_Response *stream_response(struct web *w, enum stream_kind kind, uint64_t after,
				     bool poll)
{
	struct stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->w = w;
	s->kind = kind;
	s->after = after;
	s->poll = poll;
	s->last = time(NULL);
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, release);
	if (!r) {
		free(s);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type",
				kind == STREAM_NTFY_JSON ? "application/x-ndjson; charset=utf-8"
							 : "text/event-stream; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	return r;
}
