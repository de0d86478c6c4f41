/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * samen-web — the household's page and phone push, next to samend.
 *
 *   samen-web [serve] [options]      serve the page and the ntfy stream
 *   samen-web pair [options]         a one-time pairing link and its QR code
 *   samen-web devices [options]      the paired devices
 *   samen-web unpair NAME [options]  forget a device (its token stops working)
 *
 * Settings come from samen-web.conf (web/webconf.h), each overridden by
 * its long option.
 *
 * Exit codes as every samen program (proto/exitcode.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qrencode.h>
#include <sodium.h>

#include "devices.h"
#include "web.h"
#include "webconf.h"
#include "../keys/paths.h"
#include "../proto/exitcode.h"

#ifndef SAMEN_WEB_STATIC
#define SAMEN_WEB_STATIC "/usr/local/share/samen/web"
#endif
#ifndef SAMEN_SYSCONFDIR
#define SAMEN_SYSCONFDIR "/usr/local/etc"
#endif
#define DEFAULT_CONFIG SAMEN_SYSCONFDIR "/samen/samen-web.conf"
#define PAIR_MINUTES 15
#define SW_DONE 1000 /* not an exit code: help printed */
#define OVERRIDES_MAX 32

static const char usage[] =
	"usage: samen-web [serve|pair|devices|unpair NAME] [options]\n"
	"\n"
	"  -c, --config FILE    settings (default " DEFAULT_CONFIG ",\n"
	"                       if it exists); each option below is a key there too,\n"
	"                       and the option wins\n"
	"  -s, --state DIR      samend's state directory (as samen: $SAMEN_STATE, else\n"
	"                       /var/lib/samen as root, else ~/.local/state/samen)\n"
	"  -l, --listen ADDR:PORT  where to serve (default 127.0.0.1:8180; 0.0.0.0:8180\n"
	"                       for the phones on the home network)\n"
	"  -u, --url URL        how phones reach this, for pairing links and notification\n"
	"                       clicks (default http://ADDR:PORT)\n"
	"      --static DIR     the page's files (default " SAMEN_WEB_STATIC ")\n"
	"      --devices FILE   the paired devices (default STATE_DIR/web-devices)\n"
	"      --topic NAME     the ntfy topic (default samen)\n"
	"      --lang nl|en     notifications' language (default nl)\n"
	"      --tls-cert FILE, --tls-key FILE  serve HTTPS with this certificate\n"
	"  -h, --help           this help\n";

struct opts {
	struct webconf c;
	const char *cmd, *arg;
};

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("samen-web: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* An option's value as its key's: a relative path on the command line is
 * the caller's, made absolute here (the file's paths must be absolute). */
static int set_option(struct webconf *c, const char *key, const char *v)
{
	static const char *const paths[] = {"state_dir", "static", "devices", "tls_cert", "tls_key"};
	char err[600], abs[WEBCONF_PATH_MAX + 2], cwd[WEBCONF_PATH_MAX + 1];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && *v && *v != '/'; i++) {
		if (strcmp(key, paths[i]))
			continue;
		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(abs, sizeof(abs), "%s/%s", cwd, v) >= (int)sizeof(abs))
			return fail(EXIT_USAGE, "%s: '%s' is too long a path here", key, v);
		v = abs;
	}
	if (webconf_set(c, key, v, err, sizeof(err)) < 0)
		return fail(EXIT_USAGE, "%s", err);
	return 0;
}

/* The named file, or the default one when it exists. */
static int load_config(struct webconf *c, const char *path)
{
	char err[600];
	int r = webconf_load(c, path ? path : DEFAULT_CONFIG, err, sizeof(err));

	if (r == -ENOENT && !path)
		return 0;
	return r < 0 ? fail(EXIT_USAGE, "%s", err) : 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"state", required_argument, NULL, 's'},  {"listen", required_argument, NULL, 'l'},
		{"url", required_argument, NULL, 'u'},    {"static", required_argument, NULL, 'S'},
		{"devices", required_argument, NULL, 'D'}, {"topic", required_argument, NULL, 'T'},
		{"lang", required_argument, NULL, 'L'},   {"tls-cert", required_argument, NULL, 'C'},
		{"tls-key", required_argument, NULL, 'K'}, {"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *key[OVERRIDES_MAX], *val[OVERRIDES_MAX], *config = NULL, *k;
	size_t n = 0;
	char err[600];
	int c, r;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "c:s:l:u:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; continue;
		case 's': k = "state_dir"; break;
		case 'l': k = "listen"; break;
		case 'u': k = "url"; break;
		case 'S': k = "static"; break;
		case 'D': k = "devices"; break;
		case 'T': k = "topic"; break;
		case 'L': k = "lang"; break;
		case 'C': k = "tls_cert"; break;
		case 'K': k = "tls_key"; break;
		case 'h': fputs(usage, stdout); return SW_DONE;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
		if (n == OVERRIDES_MAX)
			return fail(EXIT_USAGE, "more than %d options", OVERRIDES_MAX);
		key[n] = k;
		val[n++] = optarg;
	}
	o->cmd = optind < argc ? argv[optind++] : "serve";
	o->arg = optind < argc ? argv[optind++] : NULL;
	if (optind < argc)
		return fail(EXIT_USAGE, "unexpected '%s'", argv[optind]);
	/* the file first, then the command line over it */
	webconf_defaults(&o->c);
	if ((r = load_config(&o->c, config)) != 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = set_option(&o->c, key[i], val[i])) != 0)
			return r;
	if (webconf_finish(&o->c, err, sizeof(err)) < 0)
		return fail(EXIT_USAGE, "%s", err);
	return 0;
}

/* The QR code in the terminal: two rows of modules per line of text. */
static void print_qr(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return;
	int n = q->width, m = 2; /* with a quiet zone of two modules */
	for (int y = -m; y < n + m; y += 2) {
		for (int x = -m; x < n + m; x++) {
			int top = y >= 0 && y < n && x >= 0 && x < n && (q->data[y * n + x] & 1);
			int bot = y + 1 >= 0 && y + 1 < n && x >= 0 && x < n && (q->data[(y + 1) * n + x] & 1);
			/* dark modules as spaces on a light block, so it reads on dark terminals too */
			fputs(top && bot ? " " : top ? "\u2584" : bot ? "\u2580" : "\u2588", stdout);
		}
		fputc('\n', stdout);
	}
	QRcode_free(q);
}

static int change_devices(const struct opts *o)
{
	struct devices d;
	int fd = devices_lock(o->c.devices), r;
	char code[TOKEN_TEXT_LEN];
	time_t now = time(NULL);

	if (fd < 0)
		return fail(EXIT_INTERNAL, "%s: %s", o->c.devices, strerror(-fd));
	r = devices_load(&d, o->c.devices);
	if (r < 0) {
		close(fd);
		return fail(EXIT_INVALID, "%s: %s", o->c.devices, samen_strerror(r));
	}
	if (!strcmp(o->cmd, "pair")) {
		r = devices_add_pairing(&d, (uint64_t)now, (uint64_t)now + PAIR_MINUTES * 60, code);
		if (r == 0)
			r = devices_save(&d, o->c.devices);
		close(fd);
		if (r < 0)
			return fail(EXIT_INTERNAL, "%s: %s", o->c.devices, samen_strerror(r));
		char link[400];
		snprintf(link, sizeof(link), "%s/pair/%s", o->c.url, code);
		sodium_memzero(code, sizeof(code));
		printf("Open this on the phone within %d minutes (once):\n%s\n\n", PAIR_MINUTES, link);
		print_qr(link);
		sodium_memzero(link, sizeof(link));
		return 0;
	}
	if (!strcmp(o->cmd, "unpair")) {
		if (!o->arg) {
			close(fd);
			return fail(EXIT_USAGE, "unpair NAME (see samen-web devices)");
		}
		r = devices_remove(&d, o->arg);
		if (r == 0)
			r = devices_save(&d, o->c.devices);
		close(fd);
		if (r == SAMEN_ENOTFOUND)
			return fail(EXIT_NOT_FOUND, "no device called '%s'", o->arg);
		if (r < 0)
			return fail(EXIT_INTERNAL, "%s: %s", o->c.devices, samen_strerror(r));
		printf("unpaired %s\n", o->arg);
		return 0;
	}
	close(fd);
	for (size_t i = 0; i < d.n_dev; i++) {
		char when[32];
		time_t t = (time_t)d.dev[i].created;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&t));
		printf("%-32s paired %s\n", d.dev[i].name, when);
	}
	if (!d.n_dev)
		printf("no paired devices (samen-web pair makes a link)\n");
	return 0;
}

static volatile sig_atomic_t stopping;
static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int serve(const struct opts *o)
{
	struct web w;
	char err[300];
	const struct webconf *c = &o->c;
	struct web_config cfg = {c->ctl, c->static_dir, c->devices, c->host, c->port, c->url,
				 c->topic, c->lang, c->tls_cert[0] ? c->tls_cert : NULL,
				 c->tls_key[0] ? c->tls_key : NULL};
	int r;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	r = web_start(&w, &cfg, err, sizeof(err));
	if (r < 0) {
		web_stop(&w);
		/* as samend's: a port that is taken may come free (systemd tries
		 * again); a file that cannot be used needs a person */
		return fail(r == -EADDRINUSE ? EXIT_UNREACHABLE :
			    r == -EINVAL || r == SAMEN_EINVAL ? EXIT_INVALID : EXIT_INTERNAL,
			    "%s", err);
	}
	printf("samen-web: serving %s (samend at %s)\n", c->url, c->ctl);
	fflush(stdout);
	while (!stopping)
		pause();
	web_stop(&w);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	int r;

	if (sodium_init() < 0)
		return fail(EXIT_INTERNAL, "libsodium did not start");
	r = parse(argc, argv, &o);
	if (r == SW_DONE)
		return 0;
	if (r)
		return r;
	if (!strcmp(o.cmd, "serve"))
		return serve(&o);
	if (!strcmp(o.cmd, "pair") || !strcmp(o.cmd, "devices") || !strcmp(o.cmd, "unpair"))
		return change_devices(&o);
	return fail(EXIT_USAGE, "unknown command '%s' (serve, pair, devices, unpair)", o.cmd);
}
