/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * api.h — the page's requests (web/API.md) as control requests to samend:
 * each answered only with samend's reply, which says ok only once samend
 * has committed what was asked. Nothing here knows HTTP.
 */
#ifndef SAMEN_WEB_API_H
#define SAMEN_WEB_API_H

#include <stdbool.h>
#include <stddef.h>

/* A form field of the request, by name, or NULL (httpd.c's post data). */
typedef const char *(*api_field_fn)(void *ctx, const char *name);

struct api_reply {
	int status;   /* HTTP status */
	char *body;   /* JSON, malloc'ed */
	size_t len;
};

/* Asks samend at ctl_path. op is one of: list, show (id), announcements,
 * status, send, ack, resolve, notify, notify-set (key, value: each 1..64
 * bytes of letters, digits and a few marks), seen (id: 1..64 hex digits);
 * the request's fields come from field().
 * Always fills *out: samend's reply, or {"ok":false,"code":...,"error":...}
 * with the status a refusal maps to (400, 403, 404, 429, 503, 504, 507). */
void api_call(const char *ctl_path, const char *op, api_field_fn field, void *ctx,
	      struct api_reply *out);

/* This household's own key as text (samend's status), for the page to
 * tell its own signals from others'. 0, or a negative code with out "". */
int api_own_key(const char *ctl_path, char *out, size_t cap);

/* A refusal of samen-web's own ({"ok":false,"code":code,"error":text}). */
void api_refuse(struct api_reply *out, int status, const char *code, const char *text);

#endif
