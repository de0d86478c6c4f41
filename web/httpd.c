/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * httpd.c — samen-web's HTTP side on libmicrohttpd: who may see what
 * (a paired device's cookie or bearer token; a CSRF token on every change),
 * the pairing page, and which route goes where: the page's files and the
 * answers (reply.c), the page's API (api.c), its event stream and ntfy's
 * (stream.c, wsstream.c). Routes and answers: web/API.md.
 */
#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "api.h"
#include "reply.h"
#include "since.h"
#include "stream.h"
#include "words.h"
#include "wsstream.h"

#define FIELDS_MAX 12
#define FIELD_MAX 2048

struct field {
	char name[24];
	char value[FIELD_MAX + 1];
	size_t len;
};

struct req {
	struct MHD_PostProcessor *pp;
	struct field f[FIELDS_MAX];
	size_t n;
	size_t body;
	bool bad; /* too big, too many fields, or not a form */
};

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* ---- who is asking ---- */

static void devices_fresh(struct web *w)
{
	struct stat st;
	struct devices d;
	if (stat(w->cfg.devices_path, &st) < 0) {
		if (errno == ENOENT)
			memset(&w->devices, 0, sizeof(w->devices));
		return;
	}
	if (st.st_mtim.tv_sec == w->devices_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == w->devices_mtime.tv_nsec)
		return;
	if (devices_load(&d, w->cfg.devices_path) == 0) {
		w->devices = d;
		w->devices_mtime = st.st_mtim;
	}
	sodium_memzero(&d, sizeof(d));
}

/* The device's hash for the request's token, or false when not paired. */
static bool who(struct web *w, struct MHD_Connection *c, uint8_t hash[32], char name[DEVICE_NAME_MAX + 1])
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *tok = NULL;
	char basic[128];
	size_t got = 0;
	if (auth && !strncmp(auth, "Bearer ", 7)) {
		tok = auth + 7;
	} else if (auth && !strncmp(auth, "Basic ", 6) &&
		   sodium_base642bin((uint8_t *)basic, sizeof(basic) - 1, auth + 6, strlen(auth + 6),
				     NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) == 0) {
		/* ntfy's app sends a user and a password: the token is the password */
		basic[got] = '\0';
		char *colon = strchr(basic, ':');
		tok = colon ? colon + 1 : NULL;
	} else {
		tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "samen");
	}
	if (!tok)
		return false;
	pthread_mutex_lock(&w->mu);
	devices_fresh(w);
	const struct device *d = devices_find(&w->devices, tok);
	if (d) {
		memcpy(hash, d->hash, 32);
		memcpy(name, d->name, sizeof(d->name));
	}
	pthread_mutex_unlock(&w->mu);
	sodium_memzero(basic, sizeof(basic));
	return d != NULL;
}

static void csrf_token(const struct web *w, const uint8_t hash[32], char out[33])
{
	uint8_t mac[16];
	crypto_generichash(mac, sizeof(mac), hash, 32, w->csrf_key, sizeof(w->csrf_key));
	sodium_bin2hex(out, 33, mac, sizeof(mac));
}

static bool csrf_ok(const struct web *w, struct MHD_Connection *c, const uint8_t hash[32])
{
	char want[33];
	const char *got = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	csrf_token(w, hash, want);
	return got && strlen(got) == 32 && sodium_memcmp(got, want, 32) == 0;
}

static bool pair_allowed(struct web *w)
{
	bool ok;
	uint64_t t = now_ms();
	pthread_mutex_lock(&w->mu);
	w->pair_tokens += (double)(t - w->pair_last_ms) * WEB_PAIR_PER_MINUTE / 60000.0;
	if (w->pair_tokens > WEB_PAIR_PER_MINUTE)
		w->pair_tokens = WEB_PAIR_PER_MINUTE;
	w->pair_last_ms = t;
	ok = w->pair_tokens >= 1;
	if (ok)
		w->pair_tokens -= 1;
	pthread_mutex_unlock(&w->mu);
	return ok;
}

/* ---- the request's form fields ---- */

static const char *field(void *ctx, const char *name)
{
	struct req *q = ctx;
	for (size_t i = 0; i < q->n; i++)
		if (!strcmp(q->f[i].name, name))
			return q->f[i].value;
	return NULL;
}

static enum MHD_Result post_field(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *filename, const char *ctype, const char *enc,
				  const char *data, uint64_t off, size_t size)
{
	struct req *q = cls;
	struct field *f = NULL;
	(void)kind, (void)filename, (void)ctype, (void)enc;
	for (size_t i = 0; i < q->n && !f; i++)
		if (!strcmp(q->f[i].name, key))
			f = &q->f[i];
	if (!f) {
		if (q->n == FIELDS_MAX || strlen(key) >= sizeof(f->name) || off != 0) {
			q->bad = true;
			return MHD_NO;
		}
		f = &q->f[q->n++];
		memcpy(f->name, key, strlen(key) + 1);
	}
	if (off != f->len || size > FIELD_MAX - f->len || memchr(data, '\0', size)) {
		q->bad = true; /* repeated or too long */
		return MHD_NO;
	}
	memcpy(f->value + f->len, data, size);
	f->len += size;
	f->value[f->len] = '\0';
	return MHD_YES;
}

/* ---- pairing ---- */

static enum MHD_Result pairing(struct web *w, struct MHD_Connection *c, const char *method,
			       const char *code, struct req *q)
{
	char token[TOKEN_TEXT_LEN], cookie[160], body[900];
	const char *name = field(q, "name");
	int r, fd;

	if (!pair_allowed(w))
		return reply_page(c, MHD_HTTP_TOO_MANY_REQUESTS, "Te veel pogingen / too many attempts",
			    "<p>Wacht een minuut. / Wait a minute.</p>", NULL);
	if (!strcmp(method, "GET"))
		return reply_page(c, MHD_HTTP_OK, "Toestel koppelen / pair this device",
			    "<form method=\"post\"><p><label>Naam van dit toestel / name of this device"
			    "<br><input name=\"name\" required maxlength=\"32\" pattern=\"[A-Za-z0-9._-]+\""
			    " value=\"telefoon\"></label></p><p><button>Koppelen / pair</button></p></form>",
			    NULL);
	if (q->bad || !name)
		return reply_page(c, MHD_HTTP_BAD_REQUEST, "Niet gekoppeld / not paired",
			    "<p>Geef een naam: letters, cijfers, . _ - / give a name.</p>", NULL);
	fd = devices_lock(w->cfg.devices_path);
	if (fd < 0)
		return reply_page(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "Fout / error",
			    "<p>The device list cannot be written.</p>", NULL);
	pthread_mutex_lock(&w->mu);
	struct devices d;
	r = devices_load(&d, w->cfg.devices_path);
	if (r == 0)
		r = devices_pair(&d, code, name, (uint64_t)time(NULL), token);
	if (r == 0)
		r = devices_save(&d, w->cfg.devices_path);
	if (r == 0) {
		w->devices = d;
		memset(&w->devices_mtime, 0, sizeof(w->devices_mtime)); /* read it again */
	}
	sodium_memzero(&d, sizeof(d));
	pthread_mutex_unlock(&w->mu);
	close(fd);
	if (r == SAMEN_ENOTFOUND)
		return reply_page(c, MHD_HTTP_FORBIDDEN, "Koppelcode ongeldig / pairing code not valid",
			    "<p>Deze code is al gebruikt of verlopen. Vraag een nieuwe met "
			    "<code>samen-web pair</code>. / This code was used or has expired.</p>", NULL);
	if (r == SAMEN_EDUPLICATE || r == SAMEN_EINVAL)
		return reply_page(c, MHD_HTTP_BAD_REQUEST, "Andere naam / another name",
			    "<p>Die naam is bezet of niet toegestaan. / That name is taken or not allowed.</p>",
			    NULL);
	if (r < 0)
		return reply_page(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "Fout / error", "<p>Not paired.</p>", NULL);
	snprintf(cookie, sizeof(cookie), "samen=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000%s",
		 token, w->cfg.tls_cert ? "; Secure" : "");
	snprintf(body, sizeof(body),
		 "<p>Dit toestel is gekoppeld als <b>%s</b>. / This device is paired.</p>"
		 "<p><a href=\"/\">Naar de meldingen / to the alerts</a></p>"
		 "<p>Voor de ntfy-app: server <code>%s</code>, onderwerp <code>%s</code>, "
		 "toegangstoken / access token:<br><code style=\"word-break:break-all\">%s</code></p>",
		 name, w->cfg.url, w->cfg.topic, token);
	sodium_memzero(token, sizeof(token));
	enum MHD_Result ret = reply_page(c, MHD_HTTP_OK, "Gekoppeld / paired", body, cookie);
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(body, sizeof(body));
	return ret;
}

/* ---- routes ---- */

static const char *no_fields(void *ctx, const char *name)
{
	(void)ctx, (void)name;
	return NULL;
}

static enum MHD_Result session(struct web *w, struct MHD_Connection *c, const uint8_t hash[32],
			       const char *name)
{
	char csrf[33], *s = NULL;
	const char *al = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language");
	const char *lang = al ? (!strncmp(al, "nl", 2) ? "nl" : "en") : w->cfg.lang;
	char key[80];

	(void)api_own_key(w->cfg.ctl_path, key, sizeof(key)); /* "" while samend is away */
	csrf_token(w, hash, csrf);
	int n = asprintf(&s, "{\"ok\":true,\"csrf\":\"%s\",\"lang\":\"%s\",\"device\":\"%s\","
			 "\"key\":\"%s\",\"topic\":\"%s\",\"live\":%s}",
			 csrf, lang, name, key, w->cfg.topic, feed_up(w->feed) ? "true" : "false");
	if (n < 0)
		return MHD_NO;
	return reply_answer(c, MHD_HTTP_OK, "application/json; charset=utf-8", s, (size_t)n, NULL);
}

/* samend's op for the page's request (web/API.md), or NULL: not one */
static const char *api_op(const char *url, bool post)
{
	static const char *const ops[][3] = {
		/* url, op of a GET, op of a POST */
		{"/api/signals", "list", NULL},   {"/api/announcements", "announcements", NULL},
		{"/api/notify", "notify", "notify-set"},
		{"/api/send", NULL, "send"},      {"/api/ack", NULL, "ack"},
		{"/api/resolve", NULL, "resolve"}, {"/api/seen", NULL, "seen"},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(url, ops[i][0]))
			return ops[i][post ? 2 : 1];
	return NULL;
}

struct one_field {
	const char *name, *value;
};

static const char *the_field(void *ctx, const char *name)
{
	const struct one_field *f = ctx;
	return !strcmp(f->name, name) ? f->value : NULL;
}

static enum MHD_Result ntfy(struct web *w, struct MHD_Connection *c, const char *fmt)
{
	bool poll;
	uint64_t after;
	unsigned status = MHD_HTTP_OK;
	struct MHD_Response *r;
	if (since_request(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since"),
			  MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "poll"),
			  (uint64_t)time(NULL), w->ring, &poll, &after) < 0)
		return reply_refuse(c, MHD_HTTP_BAD_REQUEST, "invalid", "since= is a duration, a time, an id or all");
	if (!strcmp(fmt, "ws"))
		r = wsstream_response(w, c, &status);
	else
		r = stream_response(w, !strcmp(fmt, "json") ? STREAM_NTFY_JSON : STREAM_NTFY_SSE, after, poll);
	if (!r)
		return MHD_NO;
	if (status != MHD_HTTP_SWITCHING_PROTOCOLS)
		reply_headers(r);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result route(struct web *w, struct MHD_Connection *c, const char *url,
			     const char *method, struct req *q)
{
	uint8_t hash[32];
	char name[DEVICE_NAME_MAX + 1], topic[80], fmt[8];
	bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");

	if (!strncmp(url, "/pair/", 6) && (get || post))
		return pairing(w, c, method, url + 6, q);
	if (!who(w, c, hash, name)) {
		if (get && (!strcmp(url, "/") || !strcmp(url, "/index.html")))
			return reply_page(c, MHD_HTTP_FORBIDDEN, "Niet gekoppeld / not paired",
				    "<p>Dit toestel is niet gekoppeld. Vraag op de computer van het huishouden "
				    "een koppellink met <code>samen-web pair</code>. / This device is not "
				    "paired: ask for a pairing link (<code>samen-web pair</code>).</p>", NULL);
		return reply_refuse(c, MHD_HTTP_UNAUTHORIZED, "forbidden", "not a paired device");
	}
	if (get && (!strcmp(url, "/") || !strcmp(url, "/index.html")))
		return reply_file(c, w->cfg.static_dir, "index.html");
	if (get && !strcmp(url, "/sw.js"))
		return reply_file(c, w->cfg.static_dir, "sw.js");
	if (get && !strcmp(url, "/static/words.js"))
		return reply_words(c, w->words_js, w->words_len);
	if (get && !strncmp(url, "/static/", 8))
		return reply_file(c, w->cfg.static_dir, url + 8);
	if (get && !strcmp(url, "/api/session"))
		return session(w, c, hash, name);
	if (get && !strcmp(url, "/api/events")) {
		const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
		uint64_t after = last ? ring_after_id(w->ring, last) : ring_head(w->ring);
		struct MHD_Response *r = stream_response(w, STREAM_PAGE, after, false);
		if (!r)
			return MHD_NO;
		enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
		MHD_destroy_response(r);
		return ret;
	}
	struct api_reply a;
	const char *op = api_op(url, post);
	if (get && op) {
		api_call(w->cfg.ctl_path, op, no_fields, NULL, &a);
		return reply_api(c, &a);
	}
	if (get && !strncmp(url, "/api/signals/", 13)) {
		struct one_field f = {"id", url + 13};
		api_call(w->cfg.ctl_path, "show", the_field, &f, &a);
		return reply_api(c, &a);
	}
	if (post && op) {
		if (!csrf_ok(w, c, hash))
			return reply_refuse(c, MHD_HTTP_FORBIDDEN, "csrf", "the request lacks this page's CSRF token");
		if (q->bad)
			return reply_refuse(c, MHD_HTTP_BAD_REQUEST, "invalid", "the form is too large or malformed");
		api_call(w->cfg.ctl_path, op, field, q, &a);
		return reply_api(c, &a);
	}
	if (get && sscanf(url, "/%79[A-Za-z0-9_-]/%7[a-z]", topic, fmt) == 2 &&
	    strlen(url) == 2 + strlen(topic) + strlen(fmt)) {
		if (strcmp(topic, w->cfg.topic) != 0)
			return reply_refuse(c, MHD_HTTP_NOT_FOUND, "not-found", "no such topic");
		if (!strcmp(fmt, "json") || !strcmp(fmt, "sse") || !strcmp(fmt, "ws"))
			return ntfy(w, c, fmt);
	}
	if (!get && !post)
		return reply_refuse(c, MHD_HTTP_METHOD_NOT_ALLOWED, "invalid", "GET or POST only");
	return reply_refuse(c, MHD_HTTP_NOT_FOUND, "not-found", "no such page");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct web *w = cls;
	struct req *q = *con_cls;
	(void)version;

	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		*con_cls = q;
		if (!strcmp(method, "POST")) {
			q->pp = MHD_create_post_processor(c, 4096, post_field, q);
			if (!q->pp)
				q->bad = true; /* not application/x-www-form-urlencoded */
		}
		return MHD_YES;
	}
	if (*upload_size) {
		q->body += *upload_size;
		if (q->body > WEB_BODY_MAX)
			q->bad = true;
		else if (q->pp && !q->bad && MHD_post_process(q->pp, upload, *upload_size) != MHD_YES)
			q->bad = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->body > WEB_BODY_MAX)
		return reply_refuse(c, MHD_HTTP_CONTENT_TOO_LARGE, "invalid", "the body is too large");
	return route(w, c, url, method, q);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode code)
{
	struct req *q = *con_cls;
	(void)cls, (void)c, (void)code;
	if (!q)
		return;
	if (q->pp)
		MHD_destroy_post_processor(q->pp);
	sodium_memzero(q, sizeof(*q));
	free(q);
	*con_cls = NULL;
}

#define PEM_MAX 65536

/* A certificate or key file, whole, into *out (malloc'ed, NUL-ended).
 * A key readable by every user is refused: a group may read it (Debian's
 * ssl-cert convention, 0640), others may not. Returns 0 or a negative
 * code; -EFBIG for a file past PEM_MAX. */
static int read_pem(const char *path, bool secret, char **out)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r = 0;
	size_t len = 0;
	ssize_t n;

	*out = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (secret && (st.st_mode & S_IRWXO))
		r = SAMEN_EFILEMODE;
	else if (st.st_size >= PEM_MAX)
		r = -EFBIG;
	else if (!(*out = malloc(PEM_MAX)))
		r = -ENOMEM;
	while (r == 0 && (n = read(fd, *out + len, PEM_MAX - 1 - len)) > 0)
		len += (size_t)n;
	if (r == 0 && n < 0)
		r = -errno;
	close(fd);
	if (r == 0)
		(*out)[len] = '\0';
	else if (*out) {
		sodium_memzero(*out, PEM_MAX);
		free(*out);
		*out = NULL;
	}
	return r;
}

int web_start(struct web *w, const struct web_config *cfg, char *err, size_t cap)
{
	struct sockaddr_in sa;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE;

	memset(w, 0, sizeof(*w));
	w->cfg = *cfg;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->ws_cv, NULL);
	randombytes_buf(w->csrf_key, sizeof(w->csrf_key));
	w->pair_tokens = WEB_PAIR_PER_MINUTE;
	w->pair_last_ms = now_ms();
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)cfg->port);
	if (inet_pton(AF_INET, cfg->host, &sa.sin_addr) != 1) {
		snprintf(err, cap, "listen: '%s' is not an IPv4 address", cfg->host);
		return SAMEN_EINVAL;
	}
	if (cfg->tls_cert) {
		int r = read_pem(cfg->tls_cert, false, &w->tls_cert_pem);
		if (r < 0) {
			snprintf(err, cap, "tls_cert %s: %s", cfg->tls_cert, samen_strerror(r));
			return r;
		}
		r = read_pem(cfg->tls_key, true, &w->tls_key_pem);
		if (r < 0) {
			snprintf(err, cap, "tls_key %s: %s", cfg->tls_key,
				 r == SAMEN_EFILEMODE ? "readable by every user (chmod o-rwx it)"
						      : samen_strerror(r));
			return r;
		}
		flags |= MHD_USE_TLS;
	}
	w->words_js = words_script(&w->words_len);
	w->ring = w->words_js ? ring_new() : NULL;
	struct notice_opts o = {cfg->topic, cfg->lang, cfg->url};
	w->feed = w->ring ? feed_start(cfg->ctl_path, w->ring, &o) : NULL;
	if (!w->feed) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	/* the certificate and key only when TLS is on (an empty list otherwise) */
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, w->tls_cert_pem},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, w->tls_key_pem},
		{MHD_OPTION_END, 0, NULL},
	};
	w->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, w, MHD_OPTION_SOCK_ADDR, &sa,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEB_CONNECTIONS_MAX,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)WEB_CONNECTIONS_MAX,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(3 * WEB_KEEPALIVE_SECONDS),
				  MHD_OPTION_NOTIFY_COMPLETED, completed, w,
				  MHD_OPTION_ARRAY, cfg->tls_cert ? tls : tls + 2, MHD_OPTION_END);
	if (!w->mhd) {
		snprintf(err, cap, "cannot listen on %s:%u (in use, or TLS files not usable)", cfg->host,
			 cfg->port);
		return -EADDRINUSE;
	}
	return 0;
}

void web_stop(struct web *w)
{
	atomic_store(&w->stopping, true);
	if (w->ring)
		ring_wake(w->ring);
	/* libmicrohttpd does not wait for upgraded connections: each stream
	 * hands its socket back before the daemon and the ring go */
	wsstream_drain(w);
	if (w->mhd)
		MHD_stop_daemon(w->mhd);
	feed_stop(&w->feed);
	ring_free(&w->ring);
	if (w->tls_key_pem) {
		sodium_memzero(w->tls_key_pem, strlen(w->tls_key_pem));
		free(w->tls_key_pem);
	}
	free(w->tls_cert_pem);
	free(w->words_js);
	pthread_cond_destroy(&w->ws_cv);
	pthread_mutex_destroy(&w->mu);
}
