/* SPDX-License-Identifier: EUPL-1.2 */
#include "stream.h"

#include <errno.h>
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
	time_t last;      /* when a piece was last handed out */
};

/* What an HTTP response still has to write of one piece. */
struct http_stream {
	struct stream *s;
	char *out;
	size_t len, off;
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

/* One ntfy object j in the stream's format: a line, an SSE event or bare. */
static char *ntfy_format(const struct stream *s, const char *event, const char *j, size_t *len)
{
	if (s->kind == STREAM_NTFY_WS)
		return text_printf(len, "%s", j);
	if (s->kind == STREAM_NTFY_JSON)
		return text_printf(len, "%s\n", j);
	if (!strcmp(event, "message"))
		return text_printf(len, "data: %s\n\n", j);
	return text_printf(len, "event: %s\ndata: %s\n\n", event, j);
}

static char *ntfy_plain(struct stream *s, const char *event, size_t *len)
{
	char id[RING_ID_LEN + 1];
	size_t n;
	plain_id(id);
	char *j = notice_plain(event, id, (uint64_t)time(NULL), s->w->cfg.topic, &n);
	if (!j)
		return NULL;
	char *t = ntfy_format(s, event, j, len);
	free(j);
	return t;
}

/* An event in the stream's format; NULL when it is not for this stream. */
static char *event_text(struct stream *s, struct ring_event *e, size_t *len)
{
	if (s->kind == STREAM_PAGE)
		return text_printf(len, "id: %s\nevent: %s\ndata: %s\n\n", e->id, e->kind, e->json);
	if (!e->ntfy)
		return NULL; /* not notified */
	if (s->kind == STREAM_NTFY_SSE)
		return text_printf(len, "id: %s\ndata: %s\n\n", e->id, e->ntfy);
	return ntfy_format(s, "message", e->ntfy, len);
}

static int handed(struct stream *s, char *t, char **out)
{
	if (!t)
		return -ENOMEM;
	s->last = time(NULL);
	*out = t;
	return 1;
}

int stream_next(struct stream *s, int wait_ms, char **out, size_t *len)
{
	struct ring_event e;
	if (!s->opened) {
		s->opened = true;
		return handed(s, s->kind == STREAM_PAGE ? text_printf(len, "retry: 2000\n\n")
							: ntfy_plain(s, "open", len), out);
	}
	/* a poll answers what is held and ends at once, as ntfy's does: it
	 * waited a second for nothing more to come */
	int r = ring_next(s->w->ring, s->after, s->poll ? 0 : wait_ms, &e);
	if (r < 0)
		return r; /* fell out of the ring, or shutting down */
	if (r == 1) {
		s->after = e.pos;
		char *t = event_text(s, &e, len);
		bool theirs = e.ntfy || s->kind == STREAM_PAGE;
		ring_event_clear(&e);
		return theirs ? handed(s, t, out) : 0;
	}
	if (s->poll)
		return -ENODATA;
	if (time(NULL) - s->last >= WEB_KEEPALIVE_SECONDS)
		return handed(s, s->kind == STREAM_PAGE ? text_printf(len, ": keepalive\n\n")
							: ntfy_plain(s, "keepalive", len), out);
	return 0;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *h = cls;
	(void)pos;
	while (h->off == h->len) {
		free(h->out);
		h->out = NULL;
		h->len = h->off = 0;
		int r = stream_next(h->s, 1000, &h->out, &h->len);
		if (r == -ENOMEM)
			return (ssize_t)MHD_CONTENT_READER_END_WITH_ERROR;
		if (r < 0)
			return (ssize_t)MHD_CONTENT_READER_END_OF_STREAM;
	}
	size_t n = h->len - h->off < max ? h->len - h->off : max;
	memcpy(buf, h->out + h->off, n);
	h->off += n;
	return (ssize_t)n;
}

static void release(void *cls)
{
	struct http_stream *h = cls;
	free(h->out);
	stream_free(h->s);
	free(h);
}

struct stream *stream_new(struct web *w, enum stream_kind kind, uint64_t after, bool poll)
{
	struct stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->w = w;
	s->kind = kind;
	s->after = after;
	s->poll = poll;
	s->last = time(NULL);
	return s;
}

void stream_free(struct stream *s)
{
	free(s);
}

struct MHD_Response *stream_response(struct web *w, enum stream_kind kind, uint64_t after,
				     bool poll)
{
	struct http_stream *h = calloc(1, sizeof(*h));
	if (!h || !(h->s = stream_new(w, kind, after, poll))) {
		free(h);
		return NULL;
	}
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, h, release);
	if (!r) {
		release(h);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type",
				kind == STREAM_NTFY_JSON ? "application/x-ndjson; charset=utf-8"
							 : "text/event-stream; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	return r;
}
