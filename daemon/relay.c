/*
 * relay.c — the relay's subscriber socket (PROTOCOL.md section 11):
 * authorities read, from a cursor on, the records households shared with
 * them, under credit-based flow control, and publish announcements. The
 * store is the only buffer: a slow subscriber holds a cursor, not memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "daemon.h"
#include "log.h"
#include "../keys/keytext.h"
#include "../proto/mpmap.h"

#define SUBS_MAX 64
/* A subscriber that exits (or crashes) leaves its session behind: a ROUTER
 * does not say when a peer went away, and a caught-up session is quiet
 * anyway. An authority running `samen subscribe --once` from cron would fill
 * SUBS_MAX in an hour. So a key holds at most this many sessions; a new one
 * replaces that key's least recently active session. */
#define SUBS_PER_KEY 4
/* A live subscriber that hears nothing subscribes again every 5 s (see
 * client/subscribe.c), so a session quiet this long has gone: when the table
 * is full, such sessions make room. */
#define SUB_IDLE_MS 30000
#define CREDIT_MAX 4096
#define SCAN_MAX 4096 /* records looked at per session per loop turn */

struct sub_session {
	uint8_t rid[RID_MAX];
	size_t rid_len;
	uint8_t key[32];
	uint64_t cursor;        /* last cursor passed (sent or skipped) */
	uint64_t reported;      /* last cursor told in a caught-up message */
	uint64_t credit;
	uint64_t sent;
	uint64_t from;
	time_t started;
	uint64_t active_ms;     /* last request from it, or record sent to it */
};

int relay_open(struct daemon *d)
{
	char path[4200];
	d->audit_fd = -1;
	if (!d->subsock)
		return 0;
	d->subs = calloc(SUBS_MAX, sizeof(*d->subs));
	if (!d->subs)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/audit.log", d->cfg->state_dir);
	/* append-only: every subscriber session and every refusal, for the
	 * neighbourhood to check what its authorities read */
	d->audit_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->audit_fd < 0) {
		log_msg(SLOG_ERR, "cannot open the audit log %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

void relay_audit(struct daemon *d, const char *event, const uint8_t key[32], const char *detail)
{
	char line[512], ts[32], hex[65];
	time_t now = time(NULL);
	struct tm tm;
	if (d->audit_fd < 0)
		return;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	sodium_bin2hex(hex, sizeof(hex), key, 32);
	int n = snprintf(line, sizeof(line), "%s %s key=%s %s\n", ts, event, hex, detail);
	if (n > 0 && (size_t)n < sizeof(line) && write(d->audit_fd, line, (size_t)n) != n)
		log_msg(SLOG_WARN, "audit log write failed: %s", strerror(errno));
}

static void end_session(struct daemon *d, struct sub_session *s, const char *why)
{
	char detail[160];
	snprintf(detail, sizeof(detail), "from=%llu to=%llu records=%llu (%s)",
		 (unsigned long long)s->from, (unsigned long long)s->cursor,
		 (unsigned long long)s->sent, why);
	relay_audit(d, "session-end", s->key, detail);
	*s = d->subs[--d->n_subs];
}

void relay_close(struct daemon *d)
{
	while (d->subs && d->n_subs)
		end_session(d, &d->subs[0], "relay stopping");
	free(d->subs);
	d->subs = NULL;
	if (d->audit_fd >= 0)
		close(d->audit_fd);
	d->audit_fd = -1;
}

static int send_map(struct daemon *d, struct sub_session *s, const struct mp_buf *b)
{
	if (zmq_send(d->subsock, s->rid, s->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		return -errno;
	if (zmq_send(d->subsock, b->sb.data, b->sb.size, ZMQ_DONTWAIT) < 0)
		return -errno;
	return 0;
}

static void reply(struct daemon *d, const uint8_t *rid, size_t rid_len, const char *type,
		  bool ok, const char *text)
{
	struct mp_buf b;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 3);
	mpmap_put_str(&b.pk, "type", type);
	mpmap_put_bool(&b.pk, "ok", ok);
	mpmap_put_str(&b.pk, "error", text);
	if (zmq_send(d->subsock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
		zmq_send(d->subsock, b.sb.data, b.sb.size, ZMQ_DONTWAIT);
	mp_buf_destroy(&b);
}

/* ---- what an authority may read ---- */

static bool authority_in(const struct daemon *d, const uint8_t key[32], const uint8_t nbhd[32])
{
	const membership_t *m = node_mem_for(&d->node, nbhd);
	return m && membership_check(m, key, ROLE_AUTHORITY, (uint64_t)time(NULL), NULL) == 0;
}

static bool shared_with(const struct record *r, const uint8_t key[32])
{
	for (size_t i = 0; i < r->u.signal.n_sealed; i++)
		if (memcmp(r->u.signal.sealed + i * KEY_ENTRY_LEN, key, 32) == 0)
			return true;
	return false;
}

static bool relevant(const struct daemon *d, const struct sub_session *s, const uint8_t *data,
		     size_t len)
{
	struct record r;
	if (record_decode(data, len, &r) != 0 || !authority_in(d, s->key, r.nbhd))
		return false;
	return (r.kind == REC_SIGNAL && shared_with(&r, s->key)) || r.kind == REC_RETRACTION;
}

struct pump {
	struct daemon *d;
	struct sub_session *s;
	bool blocked;
};

static int pump_one(void *ctx, uint64_t cursor, const uint8_t id[32], const uint8_t *data,
		    size_t len)
{
	struct pump *p = ctx;
	struct sub_session *s = p->s;
	(void)id;
	if (relevant(p->d, s, data, len)) {
		if (s->credit == 0)
			return 1; /* wait for credit; this record is next */
		struct mp_buf b;
		mp_buf_init(&b);
		msgpack_pack_map(&b.pk, 3);
		mpmap_put_str(&b.pk, "type", "record");
		mpmap_put_uint(&b.pk, "cursor", cursor);
		mpmap_put_bin(&b.pk, "record", data, len);
		int r = send_map(p->d, s, &b);
		mp_buf_destroy(&b);
		if (r < 0) {
			p->blocked = true;
			return r == -EHOSTUNREACH ? 2 : 1;
		}
		s->credit--;
		s->sent++;
		s->active_ms = daemon_now_ms();
	}
	s->cursor = cursor;
	return 0;
}

void relay_pump(struct daemon *d)
{
	for (size_t i = 0; d->subs && i < d->n_subs;) {
		struct sub_session *s = &d->subs[i];
		struct pump p = {d, s, false};
		int r = store_each_from_cursor(d->node.store, s->cursor, SCAN_MAX, pump_one, &p);
		if (r == 2) {
			end_session(d, s, "subscriber went away");
			continue;
		}
		/* the scan ran dry: tell the subscriber how far it has come, so a
		 * cursor saved now skips what was not for it */
		uint64_t last = 0;
		if (r >= 0 && r < SCAN_MAX && !p.blocked && store_last_cursor(d->node.store, &last) == 0 &&
		    s->cursor == last && s->reported != s->cursor) {
			struct mp_buf b;
			mp_buf_init(&b);
			msgpack_pack_map(&b.pk, 2);
			mpmap_put_str(&b.pk, "type", "caught-up");
			mpmap_put_uint(&b.pk, "cursor", s->cursor);
			if (send_map(d, s, &b) == 0)
				s->reported = s->cursor;
			mp_buf_destroy(&b);
		}
		i++;
	}
}

/* ---- requests ---- */

static struct sub_session *session_for(struct daemon *d, const uint8_t *rid, size_t len)
{
	for (size_t i = 0; i < d->n_subs; i++)
		if (d->subs[i].rid_len == len && memcmp(d->subs[i].rid, rid, len) == 0)
			return &d->subs[i];
	return NULL;
}

static void on_subscribe(struct daemon *d, const uint8_t *rid, size_t rid_len,
			 const uint8_t key[32], const msgpack_object *m)
{
	uint64_t from = 0, credit = 0;
	if (mpmap_uint(m, "from", UINT64_MAX, &from) < 0 ||
	    mpmap_uint(m, "credit", CREDIT_MAX, &credit) < 0 || credit == 0) {
		reply(d, rid, rid_len, "error", false, "subscribe: needs from (a cursor) and credit (1..4096)");
		return;
	}
	struct sub_session *s = session_for(d, rid, rid_len);
	if (!s) {
		struct sub_session *oldest = NULL;
		size_t mine = 0;
		for (size_t i = 0; i < d->n_subs; i++)
			if (memcmp(d->subs[i].key, key, 32) == 0) {
				mine++;
				if (!oldest || d->subs[i].active_ms < oldest->active_ms)
					oldest = &d->subs[i];
			}
		if (mine >= SUBS_PER_KEY)
			end_session(d, oldest, "replaced by a newer session of the same key");
		uint64_t now = daemon_now_ms();
		for (size_t i = 0; d->n_subs == SUBS_MAX && i < d->n_subs;) {
			if (now - d->subs[i].active_ms > SUB_IDLE_MS)
				end_session(d, &d->subs[i], "silent for 30 s: gone");
			else
				i++;
		}
		if (d->n_subs == SUBS_MAX) {
			reply(d, rid, rid_len, "error", false, "too many subscribers");
			return;
		}
		s = &d->subs[d->n_subs++];
	}
	memset(s, 0, sizeof(*s));
	memcpy(s->rid, rid, rid_len);
	s->rid_len = rid_len;
	memcpy(s->key, key, 32);
	s->cursor = s->from = from;
	s->reported = UINT64_MAX; /* say "caught up" once even if nothing is new */
	s->credit = credit;
	s->started = time(NULL);
	s->active_ms = daemon_now_ms();
	char detail[64];
	snprintf(detail, sizeof(detail), "from=%llu", (unsigned long long)from);
	relay_audit(d, "session-start", key, detail);
	char fp[FINGERPRINT_LEN];
	keytext_fingerprint(key, fp);
	log_msg(SLOG_INFO, "authority %s subscribed from cursor %llu", fp, (unsigned long long)from);
}

static void on_credit(struct daemon *d, const uint8_t *rid, size_t rid_len, const msgpack_object *m)
{
	uint64_t n = 0;
	struct sub_session *s = session_for(d, rid, rid_len);
	if (!s || mpmap_uint(m, "n", CREDIT_MAX, &n) < 0) {
		reply(d, rid, rid_len, "error", false, "credit: subscribe first; n is 1..4096");
		return;
	}
	s->credit += n;
	s->active_ms = daemon_now_ms();
	if (s->credit > CREDIT_MAX)
		s->credit = CREDIT_MAX; /* a window, not a bank */
}

static void on_announce(struct daemon *d, const uint8_t *rid, size_t rid_len, const uint8_t key[32],
			const msgpack_object *m)
{
	const msgpack_object *o = mpmap_find(m, "record");
	const uint8_t *rec;
	size_t len;
	struct record r;
	enum reject v = RJ_MALFORMED;
	if (!o || mp_get_bin(o, RECORD_MAX, 1, &rec, &len) < 0 || record_decode(rec, len, &r) < 0 ||
	    r.kind != REC_ANNOUNCE || memcmp(r.author, key, 32) != 0) {
		reply(d, rid, rid_len, "result", false, "announce: a signed announcement by this key");
		return;
	}
	int ret = node_ingest(&d->node, &rec, &len, 1, NULL, &v);
	gossip_flush(d);
	char detail[80];
	snprintf(detail, sizeof(detail), "announcement %s", reject_name(v));
	relay_audit(d, "announce", key, detail);
	reply(d, rid, rid_len, "result", ret == 1, reject_name(v));
}

void relay_handle(struct daemon *d)
{
	static const char *const fields[] = {"op", "from", "credit", "n", "record", NULL};
	for (int budget = 0; budget < 64; budget++) {
		zmq_msg_t rid, body;
		int more = 0;
		size_t sz = sizeof(more);
		zmq_msg_init(&rid);
		zmq_msg_init(&body);
		if (zmq_msg_recv(&rid, d->subsock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&rid);
			zmq_msg_close(&body);
			return;
		}
		zmq_getsockopt(d->subsock, ZMQ_RCVMORE, &more, &sz);
		if (more && zmq_msg_recv(&body, d->subsock, ZMQ_DONTWAIT) >= 0 &&
		    zmq_msg_size(&rid) <= RID_MAX) {
			const char *user = zmq_msg_gets(&body, "User-Id");
			uint8_t key[32];
			msgpack_unpacked u;
			char op[16];
			msgpack_unpacked_init(&u);
			const uint8_t *r = zmq_msg_data(&rid);
			size_t rl = zmq_msg_size(&rid);
			if (!user || sodium_hex2bin(key, 32, user, strlen(user), NULL, NULL, NULL) != 0) {
				/* cannot happen: ZAP set it */
			} else if (mp_unpack(zmq_msg_data(&body), zmq_msg_size(&body), 2, &u) < 0 ||
				   mpmap_check(&u.data, fields, NULL, 0) < 0 ||
				   mpmap_str(&u.data, "op", op, sizeof(op)) < 0) {
				reply(d, r, rl, "error", false, "not a subscriber request");
			} else if (!strcmp(op, "subscribe")) {
				on_subscribe(d, r, rl, key, &u.data);
			} else if (!strcmp(op, "credit")) {
				on_credit(d, r, rl, &u.data);
			} else if (!strcmp(op, "announce")) {
				on_announce(d, r, rl, key, &u.data);
			} else {
				reply(d, r, rl, "error", false, "unknown op");
			}
			msgpack_unpacked_destroy(&u);
		}
		while (zmq_getsockopt(d->subsock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
			zmq_msg_t junk;
			zmq_msg_init(&junk);
			zmq_msg_recv(&junk, d->subsock, ZMQ_DONTWAIT);
			zmq_msg_close(&junk);
		}
		zmq_msg_close(&rid);
		zmq_msg_close(&body);
	}
}
