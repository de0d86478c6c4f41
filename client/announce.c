/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * announce.c — `samen announce`: an authority's signed announcement
 * (PROTOCOL.md section 11), put into a neighbourhood through its relay.
 *
 *   samen announce  --relay ENDPOINT --relay-key KEY [-k KEYFILE] --nbhd NBHD
 *                   --kind lookout|found|enroute|info --text TEXT [--where W] [--hours N]
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "authlink.h"
#include "subscribe.h"
#include "../keys/identity.h"
#include "../keys/keytext.h"
#include "../keys/paths.h"
#include "../keys/seqfile.h"
#include "../proto/mp.h"
#include "../proto/record.h"
#include "../proto/submsg.h"

static const char announce_help[] =
	"usage: samen announce --relay ENDPOINT --relay-key KEY --nbhd NBHD --kind KIND\n"
	"                      --text TEXT [options]\n"
	"\n"
	"An authority's announcement to the households of one neighbourhood, signed\n"
	"with this key and handed to a relay that serves it; every household sees it.\n"
	"\n"
	"      --relay ENDPOINT   the relay's subscriber address, e.g. tcp://relay.example:7402\n"
	"      --relay-key KEY    the relay's public key (from its operator)\n"
	"      --nbhd NBHD        the neighbourhood's id, its founder's key\n"
	"      --kind KIND        lookout (keep an eye out), found (the person or thing\n"
	"                         is found), enroute (help is on its way) or info\n"
	"      --text TEXT        what households should know or do\n"
	"      --where PLACE      where it is about (default: nowhere named)\n"
	"      --hours N          how long it stays current, 1 to 720 (default 12)\n"
	"  -k, --key KEYFILE      this authority's key (default: $SAMEN_KEY, else\n"
	"                         $XDG_CONFIG_HOME/samen/identity.key or\n"
	"                         ~/.config/samen/identity.key)\n"
	"  -h, --help             this help\n"
	"\n"
	"exit status: 0 stored by the relay; 2 usage; 3 a key file that cannot be used,\n"
	"or an announcement the relay refused;\n"
	"4 relay unreachable; 6 this key is not (or no longer) an authority of the\n"
	"neighbourhood; 10 anything else.\n";

const struct option announce_options[] = {
	{"relay", required_argument, NULL, 'r'}, {"relay-key", required_argument, NULL, 'K'},
	{"key", required_argument, NULL, 'k'},   {"nbhd", required_argument, NULL, 'n'},
	{"kind", required_argument, NULL, 'i'},  {"text", required_argument, NULL, 't'},
	{"where", required_argument, NULL, 'w'}, {"hours", required_argument, NULL, 'H'},
	{"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
};

int announce_main(int argc, char **argv)
{
	static struct authlink s;
	struct record r;
	const char *relay_key = NULL, *nbhd = NULL, *kind = NULL, *text = NULL, *where = "";
	unsigned long hours = 12;
	uint8_t *buf = NULL;
	size_t len;
	int c, ret;

	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	if (paths_default_key(s.key_path, sizeof(s.key_path)) < 0)
		s.key_path[0] = '\0';
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:h", announce_options, NULL)) != -1) {
		switch (c) {
		case 'r': s.endpoint = optarg; break;
		case 'K': relay_key = optarg; break;
		case 'k': snprintf(s.key_path, sizeof(s.key_path), "%s", optarg); break;
		case 'n': nbhd = optarg; break;
		case 'i': kind = optarg; break;
		case 't': text = optarg; break;
		case 'w': where = optarg; break;
		case 'H': {
			char *end;
			errno = 0;
			hours = strtoul(optarg, &end, 10);
			if (*end || errno || hours == 0 || hours > 24 * 30)
				return samen_fail(EXIT_USAGE, "--hours: '%s' is not a number from 1 to 720", optarg);
			break;
		}
		case 'h':
			fputs(announce_help, stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	int k = kind ? record_announce_kind_parse(kind) : SAMEN_EINVAL;
	if (k > 0)
		r.u.announce.kind = (uint8_t)k;
	if (!s.endpoint || !relay_key || !nbhd || !text || !r.u.announce.kind)
		return samen_fail(EXIT_USAGE, "announce: --relay, --relay-key, --nbhd, --kind "
					"(lookout, found, enroute, info) and --text are required");
	if (keytext_decode(relay_key, s.relay_key) < 0 || keytext_decode(nbhd, r.nbhd) < 0)
		return samen_fail(EXIT_USAGE, "--relay-key and --nbhd take public keys (43 characters)");
	if (strlen(text) > TEXT_MAX || strlen(where) > WHERE_MAX || !*text)
		return samen_fail(EXIT_USAGE, "--text: 1 to %d bytes; --where: at most %d", TEXT_MAX, WHERE_MAX);
	if (sodium_init() < 0)
		return samen_fail(EXIT_INTERNAL, "libsodium failed to initialise");
	if ((ret = authlink_load_key(&s)) != 0)
		return ret;
	r.kind = REC_ANNOUNCE;
	memcpy(r.author, s.id->pk, 32);
	r.created = (uint64_t)time(NULL);
	snprintf(r.u.announce.text, sizeof(r.u.announce.text), "%s", text);
	snprintf(r.u.announce.where, sizeof(r.u.announce.where), "%s", where);
	r.u.announce.expires = r.created + hours * 3600;
	ret = seqfile_next(s.key_path, 0, &r.seq);
	if (ret == 0)
		ret = record_sign(&r, s.id->sk, &buf, &len);
	if (ret < 0) {
		ret = samen_fail(EXIT_INVALID, "cannot make the announcement: %s", samen_strerror(ret));
		goto out;
	}
	if ((ret = authlink_connect(&s)) != 0)
		goto out;
	struct mp_buf b;
	mp_buf_init(&b);
	if (submsg_pack_announce(&b, buf, len) == 0)
		zmq_send(s.sock, b.sb.data, b.sb.size, 0);
	mp_buf_destroy(&b);
	zmq_pollitem_t it = {s.sock, 0, ZMQ_POLLIN, 0};
	if (zmq_poll(&it, 1, 10000) != 1) {
		ret = samen_fail(EXIT_UNREACHABLE, "no answer from the relay at %s (is this key an "
						      "authority of that neighbourhood?)", s.endpoint);
		goto out;
	}
	zmq_msg_t m;
	zmq_msg_init(&m);
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	struct submsg_reply a;
	const char *why = "";
	if (zmq_msg_recv(&m, s.sock, 0) < 0 ||
	    submsg_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m), &u, &a, &why) < 0) {
		ret = samen_fail(EXIT_INTERNAL, "a malformed answer from the relay (%s)", why);
	} else if (a.type == SUBMSG_RESULT && a.ok) {
		char idh[65];
		sodium_bin2hex(idh, sizeof(idh), r.id, 32);
		printf("announced %.16s to the neighbourhood\n", idh);
		ret = 0;
	} else if (a.type == SUBMSG_ERROR && !strcmp(a.code, SUBMSG_CODE_REVOKED)) {
		ret = samen_fail(EXIT_FORBIDDEN, "the relay refused: this key was revoked (%s)", a.error);
	} else {
		ret = samen_fail(EXIT_INVALID, "the relay refused the announcement: %s", a.error);
	}
	msgpack_unpacked_destroy(&u);
	zmq_msg_close(&m);
out:
	free(buf);
	authlink_close(&s);
	return ret;
}
