/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * web.h — what samen-web's HTTP side holds: its settings, the event ring,
 * the paired devices (read again whenever the file changes), the key of
 * its CSRF tokens, and the pairing rate limit.
 */
#ifndef SAMEN_WEB_WEB_H
#define SAMEN_WEB_WEB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "devices.h"
#include "feed.h"
#include "ring.h"

#define WEB_CONNECTIONS_MAX 512   /* streams and requests at once */
#define WEB_BODY_MAX 8192         /* a form body; more is 413 */
#define WEB_KEEPALIVE_SECONDS 25  /* a comment on each stream this often */
#define WEB_PAIR_PER_MINUTE 10    /* pairing page requests, all clients together */

struct web_config {
	const char *ctl_path;     /* samend's control socket */
	const char *static_dir;   /* index.html, app.js, ... */
	const char *devices_path;
	const char *host;         /* listen address (IPv4) */
	unsigned port;
	const char *url;          /* how phones reach this: http(s)://host:port */
	const char *topic;        /* the ntfy topic */
	const char *lang;         /* "nl" or "en": notifications, default page */
	const char *tls_cert, *tls_key; /* PEM files, or NULL for plain HTTP */
};

struct web {
	struct web_config cfg;
	struct ring *ring;
	struct feed *feed;
	struct MHD_Daemon *mhd;
	uint8_t csrf_key[32];
	char *tls_cert_pem, *tls_key_pem;
	char *words_js;           /* /static/words.js */
	size_t words_len;
	atomic_bool stopping;     /* web_stop() has begun */

	pthread_mutex_t mu;       /* guards what follows */
	struct devices devices;
	struct timespec devices_mtime;
	double pair_tokens;
	uint64_t pair_last_ms;
	unsigned ws_live;         /* WebSocket streams running (wsstream.c) */
	pthread_cond_t ws_cv;     /* signalled as each ends */
};

/* Starts serving; 0 or a negative code with a message in err. */
int web_start(struct web *w, const struct web_config *cfg, char *err, size_t cap);
void web_stop(struct web *w);

#endif
