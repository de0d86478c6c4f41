/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * reply.h — what samen-web answers with, with the headers every answer
 * carries (no sniffing, no referrer, a Content-Security-Policy that keeps
 * the page to its own files). Each queues the response on c and returns
 * libmicrohttpd's result.
 */
#ifndef SAMEN_WEB_REPLY_H
#define SAMEN_WEB_REPLY_H

#include <stddef.h>

#include <microhttpd.h>

#include "api.h"

void reply_headers(struct MHD_Response *r);

/* A response of body (malloc'ed; taken over, also on failure) with those
 * headers, not to be cached, for the caller to queue; NULL without memory. */
struct MHD_Response *reply_response(const char *ctype, char *body, size_t len);
/* The response of {"ok":false,"code":code,"error":text}. */
struct MHD_Response *reply_refusal(unsigned status, const char *code, const char *text);

/* body (malloc'ed; taken over, also on failure), not to be cached; with a
 * Set-Cookie when cookie is not NULL. */
enum MHD_Result reply_answer(struct MHD_Connection *c, unsigned status, const char *ctype,
			     char *body, size_t len, const char *cookie);
/* a's JSON with a's status (a->body taken over) */
enum MHD_Result reply_api(struct MHD_Connection *c, struct api_reply *a);
/* {"ok":false,"code":code,"error":text} */
enum MHD_Result reply_refuse(struct MHD_Connection *c, unsigned status, const char *code,
			     const char *text);
/* A small HTML page (the pairing pages); title and body_html are trusted. */
enum MHD_Result reply_page(struct MHD_Connection *c, unsigned status, const char *title,
			   const char *body_html, const char *cookie);
/* dir/name, a file of the page: name of [a-z0-9._-] not starting with a dot,
 * of a known type, a regular file not reached through a symbolic link, at
 * most 1 MiB; else 404. */
enum MHD_Result reply_file(struct MHD_Connection *c, const char *dir, const char *name);
/* /static/words.js (js lives as long as the daemon) */
enum MHD_Result reply_words(struct MHD_Connection *c, const char *js, size_t len);

#endif
