/*
 * subscribe.c — the authority side of samen (PROTOCOL.md section 11):
 *
 *   samen subscribe --relay ENDPOINT --relay-key KEY [-k KEYFILE]
 *                   [--format json|cap] [--out PATH] [--cursor-file FILE] [--once]
 *   samen announce  --relay ENDPOINT --relay-key KEY [-k KEYFILE] --nbhd NBHD
 *                   --kind lookout|found|enroute|info --text TEXT [--where W] [--hours N]
 *
 * subscribe decrypts exactly the signals households shared with this key and
 * prints them as JSON lines or CAP 1.2 documents. Its cursor is saved after
 * each output (write, fsync, rename). With --out, the output itself says how
 * far it got, so a restart after a crash repeats nothing: JSON lines are
 * appended to the file --out names and its last complete line is the truth;
 * CAP documents are written one file each (CURSOR-ID.xml, atomically) into
 * the directory --out names. Without --out a crash between printing and
 * saving can repeat one signal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "subscribe.h"
#include "../keys/identity.h"
#include "../keys/keyfile.h"
#include "../keys/keytext.h"
#include "../keys/seqfile.h"
#include "../proto/cap.h"
#include "../proto/json.h"
#include "../proto/mp.h"
#include "../proto/mpmap.h"
#include "../proto/record.h"
#include "../proto/signal.h"

#define WINDOW 64
#define SILENCE_MS 5000 /* re-subscribe when the relay says nothing this long */
#define CACHE_MAX 1024

enum { EXIT_OK = 0, EXIT_USAGE = 2, EXIT_INPUT = 3, EXIT_UNREACHABLE = 4, EXIT_INTERNAL = 10 };

static volatile sig_atomic_t stopping;
static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

struct seen { /* signals met this run, for CAP references and Cancels */
	uint8_t id[32];
	char sender[64];
	uint64_t created;
	struct signal_plain p;
	bool have_p;
};

struct sub {
	struct identity *id;
	char key_path[4096];
	void *zctx, *sock;
	uint8_t relay_key[32];
	const char *endpoint;
	bool cap;
	const char *out;
	char cursor_file[4200];
	uint64_t cursor;
	bool once;
	unsigned since_credit;
	struct seen *cache;
	size_t n_cache, next_cache;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("samen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* ---- the cursor ---- */

static int write_atomic(const char *path, const void *buf, size_t len)
{
	char tmp[4300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, buf, len);
	int ret = (w == (ssize_t)len && fsync(fd) == 0) ? 0 : -EIO;
	close(fd);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(tmp);
	return ret;
}

static int save_cursor(struct sub *s)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", s->cursor);
	return write_atomic(s->cursor_file, buf, (size_t)n);
}

static uint64_t load_cursor(const char *path)
{
	FILE *f = fopen(path, "re");
	unsigned long long v = 0;
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* The highest cursor the output already holds (see the file comment). */
static uint64_t cursor_in_output(const struct sub *s)
{
	uint64_t best = 0;
	if (!s->out)
		return 0;
	if (s->cap) {
		DIR *dir = opendir(s->out);
		struct dirent *e;
		while (dir && (e = readdir(dir))) {
			unsigned long long c;
			if (sscanf(e->d_name, "%llu-", &c) == 1 && strstr(e->d_name, ".xml") &&
			    !strstr(e->d_name, ".tmp") && c > best)
				best = c;
		}
		if (dir)
			closedir(dir);
		return best;
	}
	FILE *f = fopen(s->out, "r+e");
	if (!f)
		return 0;
	/* a torn last line (crash mid-write) is cut off */
	char line[65536];
	long good = 0;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		if (n == 0 || line[n - 1] != '\n')
			break;
		good = ftell(f);
		const char *c = strstr(line, "\"cursor\":");
		unsigned long long v;
		if (c && sscanf(c + 9, "%llu", &v) == 1 && v > best)
			best = v;
	}
	if (ftruncate(fileno(f), good) < 0)
		fprintf(stderr, "samen: cannot trim a torn line from %s\n", s->out);
	fclose(f);
	return best;
}

/* ---- output ---- */

static struct seen *cache_find(struct sub *s, const uint8_t id[32])
{
	for (size_t i = 0; i < s->n_cache; i++)
		if (memcmp(s->cache[i].id, id, 32) == 0)
			return &s->cache[i];
	return NULL;
}

static struct seen *cache_add(struct sub *s)
{
	struct seen *e;
	if (s->n_cache < CACHE_MAX) {
		e = &s->cache[s->n_cache++];
	} else {
		e = &s->cache[s->next_cache];
		s->next_cache = (s->next_cache + 1) % CACHE_MAX;
	}
	memset(e, 0, sizeof(*e));
	return e;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

static void pack_signal_json(msgpack_packer *pk, uint64_t cursor, const struct record *r,
			     const struct signal_plain *p)
{
	char idh[65], author[KEYTEXT_LEN], nbhd[KEYTEXT_LEN];
	hex(r->id, 32, idh);
	keytext_encode(r->author, author);
	keytext_encode(r->nbhd, nbhd);
	msgpack_pack_map(pk, 17 + (p->has_point ? 3 : 0));
	mpmap_put_uint(pk, "cursor", cursor);
	mpmap_put_str(pk, "event", "signal");
	mpmap_put_str(pk, "id", idh);
	mpmap_put_str(pk, "nbhd", nbhd);
	mpmap_put_str(pk, "author", author);
	mpmap_put_uint(pk, "created", r->created);
	mpmap_put_uint(pk, "expires", r->u.signal.expires);
	mpmap_put_str(pk, "kind", signal_kind_name(p->kind));
	mpmap_put_str(pk, "category", signal_category_name(p->category));
	mpmap_put_str(pk, "severity", signal_severity_name(p->severity));
	mpmap_put_str(pk, "status", signal_status_name(p->status));
	mpmap_put_bool(pk, "called112", p->called112);
	mpmap_put_str(pk, "ack", signal_ack_name(p->ack));
	mpmap_put_str(pk, "description", p->description);
	mpmap_put_str(pk, "where", p->where);
	if (p->has_point) {
		mpmap_put_int(pk, "lat_e6", p->lat_e6);
		mpmap_put_int(pk, "lon_e6", p->lon_e6);
		mpmap_put_uint(pk, "radius_m", p->radius_m);
	}
	mpmap_put_key(pk, "refs");
	msgpack_pack_array(pk, p->n_refs);
	for (unsigned i = 0; i < p->n_refs; i++) {
		hex(p->refs[i], 32, idh);
		mp_pack_str(pk, idh);
	}
	mpmap_put_uint(pk, "shared_with", r->u.signal.n_sealed);
}

/* Writes one JSON line (to stdout or appended to --out). */
static int emit_json(struct sub *s, const struct mp_buf *b)
{
	msgpack_unpacked u;
	char *text = NULL;
	size_t len = 0;
	int ret = -EIO;
	msgpack_unpacked_init(&u);
	FILE *m = open_memstream(&text, &len);
	if (m && mp_unpack((const uint8_t *)b->sb.data, b->sb.size, 4, &u) == 0 &&
	    json_write(m, &u.data) == 0 && fputc('\n', m) != EOF && fflush(m) == 0) {
		if (s->out) {
			int fd = open(s->out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
			if (fd >= 0) {
				ret = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : -EIO;
				close(fd);
			}
		} else {
			ret = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -EIO;
		}
	}
	if (m)
		fclose(m);
	if (text) {
		sodium_memzero(text, len);
		free(text);
	}
	msgpack_unpacked_destroy(&u);
	return ret;
}

static int emit_cap(struct sub *s, uint64_t cursor, const struct cap_input *in)
{
	if (!s->out)
		return cap_write(stdout, in);
	char path[4300], tmp[4400], idh[65];
	hex(in->id, 32, idh);
	snprintf(path, sizeof(path), "%s/%020" PRIu64 "-%s.xml", s->out, cursor, idh);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -errno;
	int ret = cap_write(f, in);
	if (ret == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0))
		ret = -EIO;
	fclose(f);
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(tmp);
	return ret;
}

static int on_signal(struct sub *s, uint64_t cursor, const struct record *r)
{
	struct signal_plain p;
	char author[KEYTEXT_LEN], nbhd[KEYTEXT_LEN];
	int ret = signal_decrypt_authority(r, s->id->pk, s->id->curve_pk, s->id->curve_sk, &p);
	if (ret < 0)
		return 0; /* not shared with us: the relay should not have sent it */
	struct seen *c = cache_add(s);
	memcpy(c->id, r->id, 32);
	keytext_encode(r->author, author);
	keytext_encode(r->nbhd, nbhd);
	snprintf(c->sender, sizeof(c->sender), "samen:%s", author);
	c->created = r->created;
	c->p = p;
	c->have_p = true;
	if (!s->cap) {
		struct mp_buf b;
		mp_buf_init(&b);
		pack_signal_json(&b.pk, cursor, r, &p);
		ret = emit_json(s, &b);
		mp_buf_destroy(&b);
	} else {
		struct cap_ref refs[SIGNAL_REFS_MAX];
		for (unsigned i = 0; i < p.n_refs; i++) {
			struct seen *t = cache_find(s, p.refs[i]);
			refs[i].id = p.refs[i];
			refs[i].sender = t ? t->sender : NULL;
			refs[i].sent = t ? t->created : 0;
		}
		struct cap_input in = {r->id, c->sender, NULL, nbhd, r->created, r->u.signal.expires,
				       &p, refs, p.n_refs, false, NULL};
		ret = emit_cap(s, cursor, &in);
	}
	sodium_memzero(&p, sizeof(p));
	return ret;
}

static int on_retraction(struct sub *s, uint64_t cursor, const struct record *r)
{
	struct seen *t = cache_find(s, r->u.retraction.target);
	char idh[65], target[65], author[KEYTEXT_LEN], nbhd[KEYTEXT_LEN];
	if (!t)
		return 0; /* a retraction of something never shared with us */
	hex(r->id, 32, idh);
	hex(r->u.retraction.target, 32, target);
	keytext_encode(r->author, author);
	keytext_encode(r->nbhd, nbhd);
	if (!s->cap) {
		struct mp_buf b;
		mp_buf_init(&b);
		msgpack_pack_map(&b.pk, 8);
		mpmap_put_uint(&b.pk, "cursor", cursor);
		mpmap_put_str(&b.pk, "event", "retraction");
		mpmap_put_str(&b.pk, "id", idh);
		mpmap_put_str(&b.pk, "nbhd", nbhd);
		mpmap_put_str(&b.pk, "author", author);
		mpmap_put_uint(&b.pk, "created", r->created);
		mpmap_put_str(&b.pk, "target", target);
		mpmap_put_str(&b.pk, "reason", r->u.retraction.reason);
		int ret = emit_json(s, &b);
		mp_buf_destroy(&b);
		return ret;
	}
	char sender[64];
	snprintf(sender, sizeof(sender), "samen:%s", author);
	struct cap_ref ref = {t->id, t->sender, t->created};
	struct cap_input in = {r->id, sender, NULL, nbhd, r->created, 0, &t->p, &ref, 1, true,
			       r->u.retraction.reason};
	return emit_cap(s, cursor, &in);
}

/* ---- the exchange ---- */

static void send_map2(struct sub *s, const char *op, const char *k1, uint64_t v1, const char *k2,
		      uint64_t v2)
{
	struct mp_buf b;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, k2 ? 3 : 2);
	mpmap_put_str(&b.pk, "op", op);
	mpmap_put_uint(&b.pk, k1, v1);
	if (k2)
		mpmap_put_uint(&b.pk, k2, v2);
	zmq_send(s->sock, b.sb.data, b.sb.size, ZMQ_DONTWAIT);
	mp_buf_destroy(&b);
}

static int connect_relay(struct sub *s)
{
	uint8_t server[32];
	int64_t max = 1 << 20;
	int zero = 0;
	if (crypto_sign_ed25519_pk_to_curve25519(server, s->relay_key) != 0)
		return fail(EXIT_USAGE, "--relay-key: not a valid key");
	s->zctx = zmq_ctx_new();
	s->sock = zmq_socket(s->zctx, ZMQ_DEALER);
	if (!s->sock || zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) ||
	    zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof(zero)) ||
	    zmq_setsockopt(s->sock, ZMQ_CURVE_SERVERKEY, server, 32) ||
	    zmq_setsockopt(s->sock, ZMQ_CURVE_PUBLICKEY, s->id->curve_pk, 32) ||
	    zmq_setsockopt(s->sock, ZMQ_CURVE_SECRETKEY, s->id->curve_sk, 32) ||
	    zmq_connect(s->sock, s->endpoint) != 0)
		return fail(EXIT_UNREACHABLE, "cannot connect to %s: %s", s->endpoint,
			    zmq_strerror(errno));
	return 0;
}

static int handle(struct sub *s, const uint8_t *buf, size_t len, bool *caught_up)
{
	msgpack_unpacked u;
	char type[16];
	uint64_t cursor = 0;
	const uint8_t *rec;
	size_t rec_len;
	struct record r;
	int ret = 0;

	msgpack_unpacked_init(&u);
	if (mp_unpack(buf, len, 2, &u) < 0 || mpmap_str(&u.data, "type", type, sizeof(type)) < 0) {
		msgpack_unpacked_destroy(&u);
		return fail(EXIT_INTERNAL, "the relay sent something that is not a subscriber message");
	}
	if (!strcmp(type, "error")) {
		char err[256] = "";
		if (mpmap_str(&u.data, "error", err, sizeof(err)) < 0)
			snprintf(err, sizeof(err), "unknown");
		ret = fail(EXIT_INPUT, "the relay refused: %s", err);
	} else if (!strcmp(type, "caught-up")) {
		if (mpmap_uint(&u.data, "cursor", UINT64_MAX, &cursor) == 0 && cursor > s->cursor) {
			s->cursor = cursor;
			if (save_cursor(s) < 0)
				ret = fail(EXIT_INTERNAL, "cannot save the cursor to %s", s->cursor_file);
		}
		*caught_up = true;
	} else if (!strcmp(type, "record")) {
		const msgpack_object *o = mpmap_find(&u.data, "record");
		if (mpmap_uint(&u.data, "cursor", UINT64_MAX, &cursor) < 0 || !o ||
		    mp_get_bin(o, RECORD_MAX, 1, &rec, &rec_len) < 0) {
			ret = fail(EXIT_INTERNAL, "a malformed record message from the relay");
		} else if (cursor > s->cursor) { /* older ones: a resent window */
			if (record_open(rec, rec_len, &r) == 0) {
				if (r.kind == REC_SIGNAL)
					ret = on_signal(s, cursor, &r);
				else if (r.kind == REC_RETRACTION)
					ret = on_retraction(s, cursor, &r);
			}
			if (ret < 0) {
				ret = fail(EXIT_INTERNAL, "cannot write the output: %s", samen_strerror(ret));
			} else {
				s->cursor = cursor;
				if (save_cursor(s) < 0)
					ret = fail(EXIT_INTERNAL, "cannot save the cursor to %s",
						   s->cursor_file);
			}
		}
		if (++s->since_credit >= WINDOW / 4) {
			send_map2(s, "credit", "n", s->since_credit, NULL, 0);
			s->since_credit = 0;
		}
	}
	msgpack_unpacked_destroy(&u);
	return ret;
}

static int load_key(const char *path, struct identity **id)
{
	char pass[256] = "";
	const char *pf = getenv("SAMEN_PASSPHRASE_FILE");
	if (pf && *pf) {
		FILE *f = fopen(pf, "re");
		if (f) {
			if (!fgets(pass, sizeof(pass), f))
				pass[0] = '\0';
			fclose(f);
			pass[strcspn(pass, "\r\n")] = '\0';
		}
	}
	int ret = keyfile_read_secret(path, pass[0] ? pass : NULL, id);
	sodium_memzero(pass, sizeof(pass));
	if (ret < 0)
		return fail(EXIT_INPUT, "%s: %s", path, samen_strerror(ret));
	return 0;
}

static int default_key(char *out, size_t cap)
{
	const char *env = getenv("SAMEN_KEY"), *home = getenv("HOME");
	if (env && *env)
		return snprintf(out, cap, "%s", env) < (int)cap ? 0 : -1;
	if (!home)
		return -1;
	return snprintf(out, cap, "%s/.config/samen/identity.key", home) < (int)cap ? 0 : -1;
}

int subscribe_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"relay", required_argument, NULL, 'r'},   {"relay-key", required_argument, NULL, 'K'},
		{"key", required_argument, NULL, 'k'},     {"format", required_argument, NULL, 'f'},
		{"out", required_argument, NULL, 'o'},     {"cursor-file", required_argument, NULL, 'c'},
		{"once", no_argument, NULL, '1'},          {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct sub s;
	const char *relay_key = NULL, *cursor_file = NULL;
	int c, ret;

	memset(&s, 0, sizeof(s));
	if (default_key(s.key_path, sizeof(s.key_path)) < 0)
		s.key_path[0] = '\0';
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': s.endpoint = optarg; break;
		case 'K': relay_key = optarg; break;
		case 'k': snprintf(s.key_path, sizeof(s.key_path), "%s", optarg); break;
		case 'o': s.out = optarg; break;
		case 'c': cursor_file = optarg; break;
		case '1': s.once = true; break;
		case 'f':
			if (!strcmp(optarg, "cap"))
				s.cap = true;
			else if (strcmp(optarg, "json") != 0)
				return fail(EXIT_USAGE, "--format: '%s' is neither json nor cap", optarg);
			break;
		case 'h':
			printf("usage: samen subscribe --relay ENDPOINT --relay-key KEY [-k KEYFILE]\n"
			       "                       [--format json|cap] [--out PATH] [--cursor-file FILE] [--once]\n");
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (!s.endpoint || !relay_key)
		return fail(EXIT_USAGE, "subscribe: --relay and --relay-key are required (ask the "
					"neighbourhood's coordinator for them)");
	if (keytext_decode(relay_key, s.relay_key) < 0)
		return fail(EXIT_USAGE, "--relay-key: '%s' is not a public key", relay_key);
	if (sodium_init() < 0)
		return fail(EXIT_INTERNAL, "libsodium failed to initialise");
	if ((ret = load_key(s.key_path, &s.id)) != 0)
		return ret;
	if (s.cap && s.out && mkdir(s.out, 0700) < 0 && errno != EEXIST)
		return fail(EXIT_INPUT, "--out %s: %s", s.out, strerror(errno));
	snprintf(s.cursor_file, sizeof(s.cursor_file), "%s", cursor_file ? cursor_file : "");
	if (!cursor_file)
		snprintf(s.cursor_file, sizeof(s.cursor_file), "%s.cursor", s.key_path);
	s.cursor = load_cursor(s.cursor_file);
	uint64_t in_out = cursor_in_output(&s);
	if (in_out > s.cursor)
		s.cursor = in_out; /* the output got further than the saved cursor */
	s.cache = calloc(CACHE_MAX, sizeof(*s.cache));
	if (!s.cache)
		return fail(EXIT_INTERNAL, "out of memory");
	if ((ret = connect_relay(&s)) != 0)
		goto out;
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	send_map2(&s, "subscribe", "from", s.cursor, "credit", WINDOW);
	uint64_t last_rx = now_ms();
	bool done = false;
	while (!stopping && !done) {
		zmq_pollitem_t it = {s.sock, 0, ZMQ_POLLIN, 0};
		int rc = zmq_poll(&it, 1, 500);
		if (rc < 0 && errno != EINTR) {
			ret = fail(EXIT_INTERNAL, "poll: %s", zmq_strerror(errno));
			break;
		}
		if (rc > 0) {
			zmq_msg_t m;
			zmq_msg_init(&m);
			while (zmq_msg_recv(&m, s.sock, ZMQ_DONTWAIT) >= 0) {
				bool caught_up = false;
				last_rx = now_ms();
				ret = handle(&s, zmq_msg_data(&m), zmq_msg_size(&m), &caught_up);
				done = ret != 0 || (caught_up && s.once);
				if (done)
					break;
			}
			zmq_msg_close(&m);
		}
		if (ret != 0)
			break;
		/* a relay that restarted has forgotten us; ask again from where we are */
		if (now_ms() - last_rx > SILENCE_MS) {
			send_map2(&s, "subscribe", "from", s.cursor, "credit", WINDOW);
			s.since_credit = 0;
			last_rx = now_ms();
			if (s.once)
				fprintf(stderr, "samen: waiting for the relay at %s\n", s.endpoint);
		}
	}
out:
	if (s.cache)
		sodium_memzero(s.cache, CACHE_MAX * sizeof(*s.cache));
	free(s.cache);
	if (s.sock)
		zmq_close(s.sock);
	if (s.zctx)
		zmq_ctx_term(s.zctx);
	identity_free(&s.id);
	return ret;
}

/* ---- announce ---- */

int announce_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"relay", required_argument, NULL, 'r'}, {"relay-key", required_argument, NULL, 'K'},
		{"key", required_argument, NULL, 'k'},   {"nbhd", required_argument, NULL, 'n'},
		{"kind", required_argument, NULL, 'i'},  {"text", required_argument, NULL, 't'},
		{"where", required_argument, NULL, 'w'}, {"hours", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	static struct sub s;
	struct record r;
	const char *relay_key = NULL, *nbhd = NULL, *kind = NULL, *text = NULL, *where = "";
	unsigned long hours = 12;
	uint8_t *buf = NULL;
	size_t len;
	int c, ret;

	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	if (default_key(s.key_path, sizeof(s.key_path)) < 0)
		s.key_path[0] = '\0';
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
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
				return fail(EXIT_USAGE, "--hours: '%s' is not a number from 1 to 720", optarg);
			break;
		}
		case 'h':
			printf("usage: samen announce --relay ENDPOINT --relay-key KEY [-k KEYFILE] --nbhd NBHD\n"
			       "                      --kind lookout|found|enroute|info --text TEXT [--where W] [--hours N]\n");
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	static const char *const kinds[] = {"", "lookout", "found", "enroute", "info"};
	for (unsigned i = 1; kind && i < 5; i++)
		if (!strcmp(kind, kinds[i]))
			r.u.announce.kind = (uint8_t)i;
	if (!s.endpoint || !relay_key || !nbhd || !text || !r.u.announce.kind)
		return fail(EXIT_USAGE, "announce: --relay, --relay-key, --nbhd, --kind "
					"(lookout, found, enroute, info) and --text are required");
	if (keytext_decode(relay_key, s.relay_key) < 0 || keytext_decode(nbhd, r.nbhd) < 0)
		return fail(EXIT_USAGE, "--relay-key and --nbhd take public keys (43 characters)");
	if (strlen(text) > TEXT_MAX || strlen(where) > WHERE_MAX || !*text)
		return fail(EXIT_USAGE, "--text: 1 to %d bytes; --where: at most %d", TEXT_MAX, WHERE_MAX);
	if (sodium_init() < 0)
		return fail(EXIT_INTERNAL, "libsodium failed to initialise");
	if ((ret = load_key(s.key_path, &s.id)) != 0)
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
		ret = fail(EXIT_INPUT, "cannot make the announcement: %s", samen_strerror(ret));
		goto out;
	}
	if ((ret = connect_relay(&s)) != 0)
		goto out;
	struct mp_buf b;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 2);
	mpmap_put_str(&b.pk, "op", "announce");
	mpmap_put_bin(&b.pk, "record", buf, len);
	zmq_send(s.sock, b.sb.data, b.sb.size, 0);
	mp_buf_destroy(&b);
	zmq_pollitem_t it = {s.sock, 0, ZMQ_POLLIN, 0};
	if (zmq_poll(&it, 1, 10000) != 1) {
		ret = fail(EXIT_UNREACHABLE, "no answer from the relay at %s (is this key an "
					     "authority of that neighbourhood?)", s.endpoint);
		goto out;
	}
	zmq_msg_t m;
	zmq_msg_init(&m);
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	bool ok = false;
	char verdict[64] = "";
	if (zmq_msg_recv(&m, s.sock, 0) >= 0 &&
	    mp_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 2, &u) == 0 &&
	    mpmap_bool(&u.data, "ok", &ok) == 0 && mpmap_str(&u.data, "error", verdict, sizeof(verdict)) == 0) {
		if (ok) {
			char idh[65];
			hex(r.id, 32, idh);
			printf("announced %.16s to the neighbourhood\n", idh);
			ret = 0;
		} else {
			ret = fail(EXIT_INPUT, "the relay refused the announcement: %s", verdict);
		}
	} else {
		ret = fail(EXIT_INTERNAL, "a malformed answer from the relay");
	}
	msgpack_unpacked_destroy(&u);
	zmq_msg_close(&m);
out:
	free(buf);
	if (s.sock)
		zmq_close(s.sock);
	if (s.zctx)
		zmq_ctx_term(s.zctx);
	identity_free(&s.id);
	return ret;
}
