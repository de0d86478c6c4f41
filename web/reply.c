/* SPDX-License-Identifier: EUPL-1.2 */
#include "reply.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_MAX (1024 * 1024)

/* ---- answers ---- */

void reply_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
}

struct MHD_Response *reply_response(const char *ctype, char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	reply_headers(r);
	return r;
}

struct MHD_Response *reply_refusal(unsigned status, const char *code, const char *text)
{
	struct api_reply a;
	api_refuse(&a, (int)status, code, text);
	return reply_response("application/json; charset=utf-8", a.body, a.len);
}

enum MHD_Result reply_answer(struct MHD_Connection *c, unsigned status, const char *ctype,
			      char *body, size_t len, const char *cookie)
{
	struct MHD_Response *r = reply_response(ctype, body, len);
	if (!r)
		return MHD_NO;
	if (cookie)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result reply_api(struct MHD_Connection *c, struct api_reply *a)
{
	return reply_answer(c, (unsigned)a->status, "application/json; charset=utf-8", a->body, a->len, NULL);
}

enum MHD_Result reply_refuse(struct MHD_Connection *c, unsigned status, const char *code,
			      const char *text)
{
	struct MHD_Response *r = reply_refusal(status, code, text);
	if (!r)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result reply_page(struct MHD_Connection *c, unsigned status, const char *title,
			    const char *body_html, const char *cookie)
{
	char *s = NULL;
	int n = asprintf(&s,
			 "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\">"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
			 "<title>samen — %s</title></head><body style=\"font-family:system-ui;"
			 "max-width:32rem;margin:2rem auto;padding:0 1rem\"><h1>%s</h1>%s</body></html>",
			 title, title, body_html);
	if (n < 0)
		return MHD_NO;
	return reply_answer(c, status, "text/html; charset=utf-8", s, (size_t)n, cookie);
}

/* ---- the page's files ---- */

static const char *type_of(const char *name)
{
	static const char *const types[][2] = {
		{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
		{".png", "image/png"},                 {".webmanifest", "application/manifest+json"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i][0]))
			return types[i][1];
	return NULL;
}

enum MHD_Result reply_file(struct MHD_Connection *c, const char *dir, const char *name)
{
	char path[4200];
	const char *type = type_of(name);
	struct stat st;
	if (!type || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(name) ||
	    name[0] == '.' ||
	    snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return reply_refuse(c, MHD_HTTP_NOT_FOUND, "not-found", "no such file");
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX) {
		if (fd >= 0)
			close(fd);
		return reply_refuse(c, MHD_HTTP_NOT_FOUND, "not-found", "no such file");
	}
	struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	if (!strcmp(name, "sw.js"))
		MHD_add_response_header(r, "Service-Worker-Allowed", "/");
	reply_headers(r);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* /static/words.js, made from words.c at start (the page's names of what
 * samend sends) */
enum MHD_Result reply_words(struct MHD_Connection *c, const char *js, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)js, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/javascript; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	reply_headers(r);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

