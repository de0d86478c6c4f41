/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * webconf.h — samen-web's settings: defaults, the configuration file
 * (samen-web.conf, docs/samen-web.conf.example) and command-line overrides.
 *
 * The file has samend.conf's syntax and messages: proto/conffile.c reads
 * the lines, this module knows the keys, one per long option:
 *
 *   state_dir  samend's state directory: its control socket, web-devices
 *   listen     ADDR:PORT, an IPv4 address (default 127.0.0.1:8180)
 *   url        how phones reach this (default http(s)://ADDR:PORT)
 *   static     the page's files (default SAMEN_WEB_STATIC)
 *   devices    the paired devices (default STATE_DIR/web-devices)
 *   topic      the ntfy topic (default samen)
 *   lang       nl or en (default nl)
 *   tls_cert, tls_key   PEM files: serve HTTPS (both or neither)
 *
 * Paths are absolute; an empty value means the default. Use:
 * webconf_defaults(), webconf_load() (optional), webconf_set() for each
 * command-line option, then webconf_finish() once, which fills in what
 * depends on other keys (devices, url, the control socket).
 *
 * struct webconf holds no heap memory. Functions return 0 or a negative
 * code (proto/err.h): SAMEN_EINVAL for a bad file or value, SAMEN_ETOOBIG
 * for a file over the cap, -errno when the file cannot be read (-ENOENT:
 * it does not exist). On failure err holds a one-line message naming the
 * file, the line and the key (webconf_set(): the key), and *c is unchanged
 * (but for what webconf_finish() filled in before it failed).
 */
#ifndef SAMEN_WEB_WEBCONF_H
#define SAMEN_WEB_WEBCONF_H

#include <stddef.h>

#include "../proto/err.h"

#define WEBCONF_PATH_MAX 255 /* bytes of a path, as in samend.conf */
#define WEBCONF_URL_MAX 255
#define WEBCONF_TOPIC_MAX 64

struct webconf {
	char state_dir[WEBCONF_PATH_MAX + 1];
	char listen[32];          /* "ADDR:PORT" as given */
	char host[16];            /* its address */
	unsigned port;            /* and its port */
	char url[WEBCONF_URL_MAX + 1];
	char static_dir[WEBCONF_PATH_MAX + 1];
	char devices[WEBCONF_PATH_MAX + 1];
	char topic[WEBCONF_TOPIC_MAX + 1];
	char lang[3];
	char tls_cert[WEBCONF_PATH_MAX + 1];
	char tls_key[WEBCONF_PATH_MAX + 1];
	char ctl[WEBCONF_PATH_MAX + 16]; /* by webconf_finish(): STATE_DIR/control */
};

/* Every key at its default; state_dir as samen's (keys/paths.h), or empty
 * when there is none. */
void webconf_defaults(struct webconf *c);

/* Reads the file at path and applies it on top of *c; all or nothing. */
int webconf_load(struct webconf *c, const char *path, char *err, size_t cap)
	SAMEN_MUST_CHECK;

/* As webconf_load() for len bytes at buf; name is what messages call it. */
int webconf_load_buffer(struct webconf *c, const char *name, const char *buf,
			size_t len, char *err, size_t cap) SAMEN_MUST_CHECK;

/* Sets one key, the value taken as is; a later call wins. */
int webconf_set(struct webconf *c, const char *key, const char *value,
		char *err, size_t cap) SAMEN_MUST_CHECK;

/* Once, after the last webconf_set(): checks tls_cert with tls_key and a
 * state directory, and fills in devices, url and ctl. */
int webconf_finish(struct webconf *c, char *err, size_t cap) SAMEN_MUST_CHECK;

/* The name of the i-th key, in the order above, or NULL past the last. */
const char *webconf_key_name(size_t i);

#endif
