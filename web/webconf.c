/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * webconf.c — samen-web's keys and their values; the lines themselves are
 * read by proto/conffile.c, as samend.conf's are.
 */
#include "webconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../keys/paths.h"
#include "../proto/conffile.h"

#ifndef SAMEN_WEB_STATIC
#define SAMEN_WEB_STATIC "/usr/local/share/samen/web"
#endif

/* In the order of webconf.h and samen-web(8). */
static const char *const key_names[] = {
	"state_dir", "listen", "url", "static", "devices",
	"topic", "lang", "tls_cert", "tls_key",
};
#define N_KEYS (sizeof(key_names) / sizeof(key_names[0]))

static const struct conffile_keys keys = {
	key_names, N_KEYS, sizeof(key_names[0]), 0, /* none repeats */
};

const char *webconf_key_name(size_t i)
{
	return i < N_KEYS ? key_names[i] : NULL;
}

void webconf_defaults(struct webconf *c)
{
	memset(c, 0, sizeof(*c));
	if (paths_default_state(c->state_dir, sizeof(c->state_dir)) < 0 ||
	    c->state_dir[0] != '/')
		c->state_dir[0] = '\0';
	strcpy(c->listen, "127.0.0.1:8180");
	strcpy(c->host, "127.0.0.1");
	c->port = 8180;
	snprintf(c->static_dir, sizeof(c->static_dir), "%s", SAMEN_WEB_STATIC);
	strcpy(c->topic, "samen");
	strcpy(c->lang, "nl");
}

/* An absolute path, or "" when empty is allowed; as samend.conf's paths. */
static int set_path(char *field, size_t size, const char *key, const char *v,
		    int required, char *err, size_t cap)
{
	if (*v == '\0' && !required) {
		*field = '\0';
		return 0;
	}
	if (*v != '/')
		return conffile_fail(err, cap, SAMEN_EINVAL, "%s: '%s' is not an absolute path", key, v);
	if (strlen(v) >= size)
		return conffile_fail(err, cap, SAMEN_EINVAL, "%s: path is longer than %zu bytes", key,
			    size - 1);
	strcpy(field, v);
	return 0;
}

/* "ADDR:PORT": a dotted IPv4 address (what web_start() binds) and a port. */
static int set_listen(struct webconf *c, const char *v, char *err, size_t cap)
{
	const char *colon = strrchr(v, ':');
	char host[sizeof(c->host)];
	struct in_addr a;
	unsigned long port;
	char *end;

	if (!colon || (size_t)(colon - v) >= sizeof(host) || strlen(v) >= sizeof(c->listen))
		goto bad;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	if (inet_pton(AF_INET, host, &a) != 1 || colon[1] < '0' || colon[1] > '9')
		goto bad;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || errno || port == 0 || port > 65535)
		goto bad;
	strcpy(c->listen, v);
	strcpy(c->host, host);
	c->port = (unsigned)port;
	return 0;
bad:
	return conffile_fail(err, cap, SAMEN_EINVAL,
		    "listen: '%s' is not ADDR:PORT with an IPv4 address (e.g. 0.0.0.0:8180)", v);
}

static int set_url(struct webconf *c, const char *v, char *err, size_t cap)
{
	if (*v && strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
		return conffile_fail(err, cap, SAMEN_EINVAL, "url: '%s' is not http://… or https://…", v);
	if (strcspn(v, " \t") != strlen(v))
		return conffile_fail(err, cap, SAMEN_EINVAL, "url: '%s' contains white space", v);
	if (strlen(v) > WEBCONF_URL_MAX)
		return conffile_fail(err, cap, SAMEN_EINVAL, "url: longer than %d bytes", WEBCONF_URL_MAX);
	strcpy(c->url, v);
	return 0;
}

/* The topic is a path segment beside the page's own: not one of those. */
static int set_topic(struct webconf *c, const char *v, char *err, size_t cap)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

	if (!*v || strspn(v, ok) != strlen(v) || strlen(v) > WEBCONF_TOPIC_MAX)
		return conffile_fail(err, cap, SAMEN_EINVAL,
			    "topic: '%s' is not 1 to %d letters, digits, '_' and '-'", v,
			    WEBCONF_TOPIC_MAX);
	if (!strcmp(v, "api") || !strcmp(v, "static") || !strcmp(v, "pair"))
		return conffile_fail(err, cap, SAMEN_EINVAL,
			    "topic: '%s' is one of the page's own paths (api, static, pair)", v);
	strcpy(c->topic, v);
	return 0;
}

/* Checks v for key i and stores it; *c is untouched on failure. */
static int set_value(struct webconf *c, size_t i, const char *v, char *err, size_t cap)
{
	const char *k = key_names[i];

	for (const char *p = v; *p; ++p)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "%s: control character 0x%02x in the value", k,
				    (unsigned char)*p);
	switch (i) {
	case 0: return set_path(c->state_dir, sizeof(c->state_dir), k, v, 1, err, cap);
	case 1: return set_listen(c, v, err, cap);
	case 2: return set_url(c, v, err, cap);
	case 3: return set_path(c->static_dir, sizeof(c->static_dir), k, v, 1, err, cap);
	case 4: return set_path(c->devices, sizeof(c->devices), k, v, 0, err, cap);
	case 5: return set_topic(c, v, err, cap);
	case 6:
		if (strcmp(v, "nl") && strcmp(v, "en"))
			return conffile_fail(err, cap, SAMEN_EINVAL, "lang: '%s' is neither 'nl' nor 'en'", v);
		strcpy(c->lang, v);
		return 0;
	case 7: return set_path(c->tls_cert, sizeof(c->tls_cert), k, v, 0, err, cap);
	case 8: return set_path(c->tls_key, sizeof(c->tls_key), k, v, 0, err, cap);
	}
	return conffile_fail(err, cap, SAMEN_EINVAL, "%s: unhandled key", k);
}

int webconf_set(struct webconf *c, const char *key, const char *value, char *err,
		size_t cap)
{
	int i;

	if (!key)
		return conffile_fail(err, cap, SAMEN_EINVAL, "no key given");
	i = conffile_find(&keys, key);
	if (i < 0)
		return conffile_unknown(&keys, "", key, err, cap);
	if (!value)
		return conffile_fail(err, cap, SAMEN_EINVAL, "%s: no value given", key);
	return set_value(c, (size_t)i, value, err, cap);
}

int webconf_load_buffer(struct webconf *c, const char *name, const char *buf,
			size_t len, char *err, size_t cap)
{
	struct conffile *cf = malloc(sizeof(*cf));
	struct webconf tmp = *c;
	const char *v;
	char msg[512];
	size_t k;
	int r;

	if (!cf)
		return conffile_fail(err, cap, -ENOMEM, "%s: out of memory", name);
	r = conffile_begin(cf, name, buf, len, &keys, err, cap);
	while (r == 0 && (r = conffile_next(cf, &k, &v, err, cap)) > 0) {
		if (set_value(&tmp, k, v, msg, sizeof(msg)) != 0)
			r = conffile_fail(err, cap, SAMEN_EINVAL, "%s%s", conffile_where(cf), msg);
		else
			r = 0;
	}
	if (r == 0)
		*c = tmp;
	free(cf);
	return r;
}

int webconf_load(struct webconf *c, const char *path, char *err, size_t cap)
{
	char *buf;
	size_t len;
	int r = conffile_read(path, &buf, &len, err, cap);

	if (r < 0)
		return r;
	r = webconf_load_buffer(c, path, buf, len, err, cap);
	free(buf);
	return r;
}

int webconf_finish(struct webconf *c, char *err, size_t cap)
{
	const char *host = strcmp(c->host, "0.0.0.0") ? c->host : "localhost";
	size_t dl = strlen(c->state_dir);
	int n;

	if (!c->tls_cert[0] != !c->tls_key[0])
		return conffile_fail(err, cap, SAMEN_EINVAL, "tls_cert and tls_key go together (%s is not set)",
			    c->tls_cert[0] ? "tls_key" : "tls_cert");
	if (!dl)
		return conffile_fail(err, cap, SAMEN_EINVAL,
			    "no state directory: set state_dir (samen-web --state DIR)");
	if (c->state_dir[dl - 1] == '/')
		--dl;
	n = snprintf(c->ctl, sizeof(c->ctl), "%.*s/control", (int)dl, c->state_dir);
	if (n < 0 || (size_t)n >= sizeof(c->ctl))
		return conffile_fail(err, cap, SAMEN_EINVAL, "state_dir is too long");
	if (!c->devices[0]) {
		n = snprintf(c->devices, sizeof(c->devices), "%.*s/web-devices", (int)dl,
			     c->state_dir);
		if (n < 0 || (size_t)n >= sizeof(c->devices))
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "state_dir is too long for the default devices path; set devices");
	}
	if (!c->url[0])
		snprintf(c->url, sizeof(c->url), "%s://%s:%u", c->tls_cert[0] ? "https" : "http",
			 host, c->port);
	return 0;
}
