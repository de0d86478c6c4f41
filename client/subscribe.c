/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * subscribe.c — `samen subscribe`, the authority's feed (PROTOCOL.md
 * section 11):
 *
 *   samen subscribe --relay ENDPOINT --relay-key KEY --nbhd NBHD... [-k KEYFILE]
 *                   [--format json|cap] [--out PATH] [--cursor-file FILE] [--once]
 *                   [--threads N]
 *
 * The relay is believed nothing: every record is checked against the
 * membership of the neighbourhoods pinned with --nbhd (client/subview.c),
 * an id is output at most once across runs (client/seen.c), and what is
 * refused is said and counted.
 *
 * subscribe decrypts exactly the signals households shared with this key and
 * prints them as JSON lines or CAP 1.2 documents, in batches: everything
 * already received, up to BATCH_MAX records or BATCH_MS, is verified and
 * decrypted on every core (client/subrec.c; each record into its own slot),
 * then turned into output in cursor order by the main thread, written and
 * made durable at once (one fdatasync of the output), and only then is the
 * cursor saved (write, fsync, rename), once per batch (client/subout.c). With
 * --out, the output itself says how far it got, so a restart after a crash
 * (of this program or the relay, at any moment: before, during or after a
 * batch's write or the cursor save) repeats nothing and misses nothing:
 * JSON lines are appended to the file --out names, each carries its cursor,
 * a torn last line is cut off on start and the last complete line is the
 * truth; CAP documents are written one file each (CURSOR-ID.xml,
 * atomically) into the directory --out names, and the highest CURSOR there
 * is the truth. The saved cursor can only lag the output, never lead it.
 * Without --out a crash between printing and saving can repeat the last
 * batch (each JSON line carries its cursor, so a reader can drop repeats).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "authlink.h"
#include "seen.h"
#include "subscribe.h"
#include "subscribe_int.h"
#include "subview.h"
#include "../keys/identity.h"
#include "../keys/keytext.h"
#include "../keys/paths.h"
#include "../proto/cap.h"
#include "../proto/json.h"
#include "../proto/mp.h"
#include "../proto/mpmap.h"
#include "../proto/record.h"
#include "../proto/signal.h"
#include "../proto/submsg.h"
#include "../proto/vpool.h"

static volatile sig_atomic_t stopping;
static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}


/* ---- the exchange ---- */

static void send_msg(struct sub *s, const struct mp_buf *b)
{
	zmq_send(s->link.sock, b->sb.data, b->sb.size, ZMQ_DONTWAIT);
}

static void send_subscribe(struct sub *s)
{
	struct mp_buf b;
	mp_buf_init(&b);
	if (submsg_pack_subscribe(&b, s->cursor, WINDOW) == 0)
		send_msg(s, &b);
	mp_buf_destroy(&b);
	s->since_credit = 0;
}

static void send_credit(struct sub *s, uint64_t n)
{
	struct mp_buf b;
	mp_buf_init(&b);
	if (submsg_pack_credit(&b, n) == 0)
		send_msg(s, &b);
	mp_buf_destroy(&b);
}

/* A cursor the relay names is believed only if its log could have it: not
 * beyond any store's reach (the decoder refuses those) and not further
 * ahead than one log grows between two messages. */
static bool cursor_possible(const struct sub *s, uint64_t cursor)
{
	return cursor <= s->taken || cursor - s->taken <= CURSOR_JUMP_MAX;
}

/* A membership record from the catch-up before `from`: into the view at
 * once, after whatever the slots hold (they came before it). */
static int on_member(struct sub *s, const uint8_t *rec, size_t len)
{
	struct record r;
	int ret = sub_decrypt(s);
	if (ret != 0)
		return ret;
	if (record_open(rec, len, &r) != 0)
		subview_refuse(&s->refused, SV_MALFORMED, 0, NULL, stderr);
	else if (r.kind != REC_CERT && r.kind != REC_REVOCATION)
		subview_refuse(&s->refused, SV_NOT_SHARED, 0, r.id, stderr);
	else
		sub_membership(s, 0, &r);
	return 0;
}

static int on_error(const struct submsg_reply *m)
{
	if (!strcmp(m->code, SUBMSG_CODE_REVOKED))
		return samen_fail(EXIT_FORBIDDEN, "the relay ended the session: this key was revoked, it is no "
					  "longer an authority of the neighbourhood (%s)", m->error);
	if (!strcmp(m->code, SUBMSG_CODE_CURSOR))
		return samen_fail(EXIT_INVALID, "the relay refused the saved cursor: %s (was its store "
					"reset? remove the cursor file to read from the start)", m->error);
	return samen_fail(EXIT_INVALID, "the relay refused: %s", m->error);
}

static int handle(struct sub *s, const uint8_t *buf, size_t len, bool *caught_up)
{
	msgpack_unpacked u;
	struct submsg_reply m;
	const char *why = "";
	int ret = 0;

	msgpack_unpacked_init(&u);
	int dec = submsg_reply_decode(buf, len, &u, &m, &why);
	if (dec == SAMEN_ETOOBIG || (dec == 0 && (m.type == SUBMSG_RECORD || m.type == SUBMSG_CAUGHT_UP) &&
				     !cursor_possible(s, m.cursor))) {
		/* believed, it would be saved and skip everything after it */
		subview_refuse(&s->refused, SV_CURSOR, m.cursor, NULL, stderr);
		*caught_up = m.type == SUBMSG_CAUGHT_UP;
	} else if (dec < 0) {
		ret = samen_fail(EXIT_INTERNAL, "the relay sent something that is not a subscriber message "
					  "(%s)", why);
	} else if (m.type == SUBMSG_ERROR) {
		ret = on_error(&m);
	} else if (m.type == SUBMSG_CAUGHT_UP) {
		/* everything up to cursor was seen: what the batch holds, then nothing */
		ret = sub_decrypt(s);
		if (ret == 0 && m.cursor > s->cursor)
			s->cursor = s->taken = m.cursor;
		if (ret == 0)
			ret = sub_flush(s, false);
		*caught_up = true;
	} else if (m.type == SUBMSG_MEMBER) {
		ret = on_member(s, m.record, m.record_len);
	} else if (m.type == SUBMSG_RECORD && m.cursor > s->taken) { /* older: a resent window */
		if (sub_take(s, m.cursor, m.record, m.record_len) < 0)
			ret = samen_fail(EXIT_INTERNAL, "out of memory");
		else if (s->n_slots >= BATCH_MAX || now_ms() - s->batch_t0 >= BATCH_MS)
			ret = sub_flush(s, false);
	}
	/* the relay spends a credit on each record and member message */
	if (dec == 0 && (m.type == SUBMSG_RECORD || m.type == SUBMSG_MEMBER) &&
	    ++s->since_credit >= WINDOW / 4) {
		send_credit(s, s->since_credit);
		s->since_credit = 0;
	}
	msgpack_unpacked_destroy(&u);
	return ret;
}

static const char subscribe_help[] =
	"usage: samen subscribe --relay ENDPOINT --relay-key KEY --nbhd NBHD... [options]\n"
	"\n"
	"An authority's feed: every signal the households of the neighbourhoods named\n"
	"shared with this key, from a relay, as JSON lines or CAP 1.2 documents. It\n"
	"goes on after the last one and follows what comes (--once: stop there).\n"
	"\n"
	"      --relay ENDPOINT   the relay's subscriber address, e.g. tcp://relay.example:7402\n"
	"      --relay-key KEY    the relay's public key (from its operator)\n"
	"      --nbhd NBHD        a neighbourhood's id, its founder's key; once per\n"
	"                         neighbourhood (from its coordinator)\n"
	"  -k, --key KEYFILE      this authority's key (default: $SAMEN_KEY, else\n"
	"                         $XDG_CONFIG_HOME/samen/identity.key or\n"
	"                         ~/.config/samen/identity.key)\n"
	"      --format json|cap  one JSON object per line (default), or CAP 1.2 XML\n"
	"      --language TAG     CAP <language> of each <info> (default nl-NL)\n"
	"  -o, --out PATH         json: the file to append to; cap: a directory, one file\n"
	"                         per document (default: standard output)\n"
	"      --cursor-file FILE where the last record handled is kept, so that a restart\n"
	"                         goes on from there (default: KEYFILE.cursor; use one per\n"
	"                         format and output)\n"
	"      --once             stop when caught up\n"
	"      --threads N        check and decrypt on N threads, 1 to 64 (default: one\n"
	"                         per CPU, at most 8)\n"
	"  -h, --help             this help\n"
	"\n"
	"exit status: 0 caught up (--once) or stopped; 2 usage; 3 a file that cannot be\n"
	"used; 4 relay unreachable; 6 this key is not (or no longer) an authority of the\n"
	"neighbourhood; 10 anything else.\n";

const struct option subscribe_options[] = {
	{"relay", required_argument, NULL, 'r'},   {"relay-key", required_argument, NULL, 'K'},
	{"key", required_argument, NULL, 'k'},     {"format", required_argument, NULL, 'f'},
	{"out", required_argument, NULL, 'o'},     {"cursor-file", required_argument, NULL, 'c'},
	{"once", no_argument, NULL, '1'},          {"help", no_argument, NULL, 'h'},
	{"threads", required_argument, NULL, 'T'}, {"nbhd", required_argument, NULL, 'n'},
	{"language", required_argument, NULL, 'L'}, {NULL, 0, NULL, 0},
};

int subscribe_main(int argc, char **argv)
{
	static struct sub s;
	const char *relay_key = NULL, *cursor_file = NULL;
	int c, ret;
	unsigned long threads = 0;

	memset(&s, 0, sizeof(s));
	if (paths_default_key(s.link.key_path, sizeof(s.link.key_path)) < 0)
		s.link.key_path[0] = '\0';
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:o:h", subscribe_options, NULL)) != -1) {
		switch (c) {
		case 'r': s.link.endpoint = optarg; break;
		case 'K': relay_key = optarg; break;
		case 'k': snprintf(s.link.key_path, sizeof(s.link.key_path), "%s", optarg); break;
		case 'o': s.o.out = optarg; break;
		case 'c': cursor_file = optarg; break;
		case '1': s.once = true; break;
		case 'n':
			if (s.n_nbhds == SUBVIEW_NBHD_MAX)
				return samen_fail(EXIT_USAGE, "--nbhd: at most %d neighbourhoods", SUBVIEW_NBHD_MAX);
			if (keytext_decode(optarg, s.nbhds[s.n_nbhds]) < 0)
				return samen_fail(EXIT_USAGE, "--nbhd: '%s' is not a neighbourhood id (its "
							"founder's public key)", optarg);
			s.n_nbhds++;
			break;
		case 'T': {
			char *end;
			errno = 0;
			threads = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || threads == 0 || threads > SUBSCRIBE_THREADS_MAX)
				return samen_fail(EXIT_USAGE, "--threads: '%s' is not a number from 1 to %d", optarg,
					    SUBSCRIBE_THREADS_MAX);
			break;
		}
		case 'f':
			if (!strcmp(optarg, "cap"))
				s.o.cap = true;
			else if (strcmp(optarg, "json") != 0)
				return samen_fail(EXIT_USAGE, "--format: '%s' is neither json nor cap", optarg);
			break;
		case 'L':
			if (!cap_language_ok(optarg))
				return samen_fail(EXIT_USAGE, "--language: '%s' is not a language tag "
							"(like nl-NL, fy or en)", optarg);
			s.language = optarg;
			break;
		case 'h':
			fputs(subscribe_help, stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (!s.link.endpoint || !relay_key || !s.n_nbhds)
		return samen_fail(EXIT_USAGE, "subscribe: --relay, --relay-key and --nbhd (each "
					"neighbourhood's id, its founder's key) are required (ask the "
					"neighbourhood's coordinator for them)");
	if (keytext_decode(relay_key, s.link.relay_key) < 0)
		return samen_fail(EXIT_USAGE, "--relay-key: '%s' is not a public key", relay_key);
	if (sodium_init() < 0)
		return samen_fail(EXIT_INTERNAL, "libsodium failed to initialise");
	if ((ret = authlink_load_key(&s.link)) != 0)
		return ret;
	if (cursor_file)
		snprintf(s.o.cursor_file, sizeof(s.o.cursor_file), "%s", cursor_file);
	else
		snprintf(s.o.cursor_file, sizeof(s.o.cursor_file), "%s.cursor", s.link.key_path);
	s.threads = threads ? (unsigned)threads : vpool_cpus(SUBSCRIBE_THREADS_DEFAULT_MAX);
	if ((ret = subout_open(&s.o)) != 0)
		return ret;
	s.cursor = s.handed = subout_load_cursor(s.o.cursor_file);
	if (s.cursor > SUBMSG_CURSOR_MAX) {
		fprintf(stderr, "samen: the saved cursor %" PRIu64 " in %s is beyond what any relay "
				"holds (an older samen believed a relay that lied): ignored\n",
			s.cursor, s.o.cursor_file);
		s.cursor = s.handed = 0;
	}
	uint64_t in_out = subout_cursor_in_output(&s.o);
	if (in_out > s.cursor && in_out <= SUBMSG_CURSOR_MAX)
		s.cursor = in_out; /* the output got further than the saved cursor */
	s.taken = s.cursor;
	char seen_path[4300];
	snprintf(seen_path, sizeof(seen_path), "%s.seen", s.o.cursor_file);
	if ((ret = seen_open(&s.o.seen, seen_path)) < 0) {
		ret = samen_fail(EXIT_INVALID, "%s: %s", seen_path, samen_strerror(ret));
		goto out;
	}
	if ((ret = subview_new(&s.view, (const uint8_t(*)[32])s.nbhds, s.n_nbhds)) < 0) {
		ret = samen_fail(EXIT_INTERNAL, "out of memory");
		goto out;
	}
	s.cache = calloc(CACHE_MAX, sizeof(*s.cache));
	s.slots = calloc(BATCH_MAX, sizeof(*s.slots));
	if (!s.cache || !s.slots) {
		ret = samen_fail(EXIT_INTERNAL, "out of memory");
		goto out;
	}
	if (s.threads > 1 && (ret = vpool_new(&s.pool, s.threads - 1)) < 0) {
		ret = samen_fail(EXIT_INTERNAL, "cannot start %u decrypt threads: %s", s.threads,
			   samen_strerror(ret));
		goto out;
	}
	if ((ret = subout_start(&s.o)) != 0 || (ret = authlink_connect(&s.link)) != 0)
		goto out;
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	send_subscribe(&s);
	uint64_t last_rx = now_ms();
	bool done = false;
	while (!stopping && !done) {
		zmq_pollitem_t it = {s.link.sock, 0, ZMQ_POLLIN, 0};
		int rc = zmq_poll(&it, 1, 500);
		if (rc < 0 && errno != EINTR) {
			ret = samen_fail(EXIT_INTERNAL, "poll: %s", zmq_strerror(errno));
			break;
		}
		if (rc > 0) {
			zmq_msg_t m;
			zmq_msg_init(&m);
			while (zmq_msg_recv(&m, s.link.sock, ZMQ_DONTWAIT) >= 0) {
				bool caught_up = false;
				last_rx = now_ms();
				ret = handle(&s, zmq_msg_data(&m), zmq_msg_size(&m), &caught_up);
				done = ret != 0 || (caught_up && s.once);
				if (done)
					break;
			}
			zmq_msg_close(&m);
			/* everything already received is decrypted: to the writer */
			if (ret == 0)
				ret = sub_flush(&s, false);
		}
		if (ret != 0)
			break;
		/* a relay that restarted has forgotten us; ask again from where we are */
		if (now_ms() - last_rx > SILENCE_MS) {
			s.taken = s.cursor; /* the slots are empty: every drain flushed them */
			send_subscribe(&s);
			last_rx = now_ms();
			if (s.once)
				fprintf(stderr, "samen: waiting for the relay at %s\n", s.link.endpoint);
		}
	}
out:
	/* stopped, caught up, or the relay refused: what was decrypted is kept */
	if ((c = sub_flush(&s, true)) != 0 && ret == 0)
		ret = c;
	subout_stop(&s.o);
	vpool_free(&s.pool);
	subview_summary(&s.refused, stderr);
	subview_free(&s.view);
	seen_close(&s.o.seen);
	subout_close(&s.o);
	text_free(&s.batch);
	if (s.cache)
		sodium_memzero(s.cache, CACHE_MAX * sizeof(*s.cache));
	free(s.cache);
	for (unsigned i = 0; s.slots && i < BATCH_MAX; i++) {
		sub_slot_wipe(&s.slots[i]);
		free(s.slots[i].buf);
	}
	free(s.slots);
	authlink_close(&s.link);
	return ret;
}
