/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * samen-web — the household's page and phone push, next to samend.
 *
 *   samen-web [serve] [options]      serve the page and the ntfy stream
 *   samen-web pair [options]         a one-time pairing link and its QR code
 *   samen-web devices [options]      the paired devices
 *   samen-web unpair NAME [options]  forget a device (its token stops working)
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
#include "../keys/paths.h"
#include "../proto/exitcode.h"

#ifndef SAMEN_WEB_STATIC
#define SAMEN_WEB_STATIC "/usr/local/share/samen/web"
#endif
#define PAIR_MINUTES 15
#define SW_DONE 1000 /* not an exit code: help printed */

static const char usage[] =
	"usage: samen-web [serve|pair|devices|unpair NAME] [options]\n"
	"\n"
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
	char state[4096], ctl[4200], devices[4200], url[300], host[64];
	const char *static_dir, *topic, *lang, *tls_cert, *tls_key, *cmd, *arg;
	unsigned port;
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

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"state", required_argument, NULL, 's'},  {"listen", required_argument, NULL, 'l'},
		{"url", required_argument, NULL, 'u'},    {"static", required_argument, NULL, 'S'},
		{"devices", required_argument, NULL, 'D'}, {"topic", required_argument, NULL, 'T'},
		{"lang", required_argument, NULL, 'L'},   {"tls-cert", required_argument, NULL, 'C'},
		{"tls-key", required_argument, NULL, 'K'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *listen = "127.0.0.1:8180", *url = NULL, *devices = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	o->static_dir = SAMEN_WEB_STATIC;
	o->topic = "samen";
	o->lang = "nl";
	if (paths_default_state(o->state, sizeof(o->state)) < 0)
		o->state[0] = '\0';
	while ((c = getopt_long(argc, argv, "s:l:u:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': snprintf(o->state, sizeof(o->state), "%s", optarg); break;
		case 'l': listen = optarg; break;
		case 'u': url = optarg; break;
		case 'S': o->static_dir = optarg; break;
		case 'D': devices = optarg; break;
		case 'T': o->topic = optarg; break;
		case 'L': o->lang = optarg; break;
		case 'C': o->tls_cert = optarg; break;
		case 'K': o->tls_key = optarg; break;
		case 'h': fputs(usage, stdout); return SW_DONE;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	o->cmd = optind < argc ? argv[optind++] : "serve";
	o->arg = optind < argc ? argv[optind++] : NULL;
	if (optind < argc)
		return fail(EXIT_USAGE, "unexpected '%s'", argv[optind]);
	if (strcmp(o->lang, "nl") && strcmp(o->lang, "en"))
		return fail(EXIT_USAGE, "--lang: nl or en, not '%s'", o->lang);
	if (strspn(o->topic, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
		    strlen(o->topic) || !*o->topic || strlen(o->topic) > 64 ||
	    !strcmp(o->topic, "api") || !strcmp(o->topic, "static") || !strcmp(o->topic, "pair"))
		return fail(EXIT_USAGE, "--topic: letters, digits, _ and - (not api, static, pair)");
	if (!!o->tls_cert != !!o->tls_key)
		return fail(EXIT_USAGE, "--tls-cert and --tls-key go together");
	if (sscanf(listen, "%63[0-9.]:%u", o->host, &o->port) != 2 || o->port == 0 || o->port > 65535)
		return fail(EXIT_USAGE, "--listen: ADDR:PORT with an IPv4 address, not '%s'", listen);
	if (!o->state[0])
		return fail(EXIT_USAGE, "no state directory: give --state DIR");
	if (snprintf(o->ctl, sizeof(o->ctl), "%s/control", o->state) >= (int)sizeof(o->ctl) ||
	    snprintf(o->devices, sizeof(o->devices), "%s", devices ? devices : "") >= (int)sizeof(o->devices))
		return fail(EXIT_USAGE, "path too long");
	if (!devices && snprintf(o->devices, sizeof(o->devices), "%s/web-devices", o->state) >=
				(int)sizeof(o->devices))
		return fail(EXIT_USAGE, "path too long");
	if (url)
		snprintf(o->url, sizeof(o->url), "%s", url);
	else
		snprintf(o->url, sizeof(o->url), "%s://%s:%u", o->tls_cert ? "https" : "http",
			 strcmp(o->host, "0.0.0.0") ? o->host : "localhost", o->port);
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
	int fd = devices_lock(o->devices), r;
	char code[TOKEN_TEXT_LEN];
	time_t now = time(NULL);

	if (fd < 0)
		return fail(EXIT_INTERNAL, "%s: %s", o->devices, strerror(-fd));
	r = devices_load(&d, o->devices);
	if (r < 0) {
		close(fd);
		return fail(EXIT_INVALID, "%s: %s", o->devices, samen_strerror(r));
	}
	if (!strcmp(o->cmd, "pair")) {
		r = devices_add_pairing(&d, (uint64_t)now, (uint64_t)now + PAIR_MINUTES * 60, code);
		if (r == 0)
			r = devices_save(&d, o->devices);
		close(fd);
		if (r < 0)
			return fail(EXIT_INTERNAL, "%s: %s", o->devices, samen_strerror(r));
		char link[400];
		snprintf(link, sizeof(link), "%s/pair/%s", o->url, code);
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
			r = devices_save(&d, o->devices);
		close(fd);
		if (r == SAMEN_ENOTFOUND)
			return fail(EXIT_NOT_FOUND, "no device called '%s'", o->arg);
		if (r < 0)
			return fail(EXIT_INTERNAL, "%s: %s", o->devices, samen_strerror(r));
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
	struct web_config cfg = {o->ctl, o->static_dir, o->devices, o->host, o->port, o->url,
				 o->topic, o->lang, o->tls_cert, o->tls_key};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (web_start(&w, &cfg, err, sizeof(err)) < 0) {
		web_stop(&w);
		return fail(EXIT_INTERNAL, "%s", err);
	}
	printf("samen-web: serving %s (samend at %s)\n", o->url, o->ctl);
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
