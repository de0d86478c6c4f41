/* SPDX-License-Identifier: EUPL-1.2 */
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

#include "audit.h"
#include "relay.h"
#include "net.h"
#include "router.h"
#include "log.h"
#include "../keys/keytext.h"
#include "../proto/submsg.h"

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
#define SCAN_MAX 4096 /* records looked at per session per loop turn */
/* How soon a session notices that its key lost its authority: the check
 * reads every served membership, so it is not made on every loop turn. */
#define AUTHORITY_CHECK_MS 1000

struct sub_session {
	uint8_t rid[RID_MAX];
	size_t rid_len;
	uint8_t key[32];
	uint64_t cursor;        /* last cursor passed (sent or skipped) */
	uint64_t reported;      /* last cursor told in a caught-up message */
	uint64_t credit;
	uint64_t sent;
	uint64_t from;
	uint64_t member_cursor; /* membership catch-up: last cursor passed */
	bool members_done;      /* every certificate and revocation up to from was sent */
	time_t started;
	uint64_t active_ms;     /* last request from it, or record sent to it */
	uint64_t checked_ms;    /* its authority was last confirmed then */
};

int relay_open(struct relay *relay)
{
	char path[4200];
	relay->audit = NULL;
	if (!relay->cfg->subscriber_listen[0])
		return 0;
	relay->sock = net_curve_server(relay->net, relay->cfg->subscriber_listen, "sub");
	if (!relay->sock)
		return -EADDRINUSE;
	relay->subs = calloc(SUBS_MAX, sizeof(*relay->subs));
	if (!relay->subs)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/audit.log", relay->cfg->state_dir);
	int ret = audit_open(&relay->audit, path, 0);
	if (ret < 0) {
		log_msg(SLOG_ERR, "cannot open the audit log %s: %s", path, strerror(-ret));
		return ret;
	}
	return 0;
}

void *relay_socket(const struct relay *relay)
{
	return relay->sock;
}

void relay_refused(struct relay *relay, const uint8_t key[32], bool curve, const char *why)
{
	audit_refused(relay->audit, key, curve, why, daemon_now_ms());
}

static void end_session(struct relay *relay, struct sub_session *s, const char *why)
{
	char detail[160];
	snprintf(detail, sizeof(detail), "from=%llu to=%llu records=%llu (%s)",
		 (unsigned long long)s->from, (unsigned long long)s->cursor,
		 (unsigned long long)s->sent, why);
	audit_event(relay->audit, "session-end", s->key, detail);
	*s = relay->subs[--relay->n_subs];
}

void relay_close(struct relay *relay)
{
	while (relay->subs && relay->n_subs)
		end_session(relay, &relay->subs[0], "relay stopping");
	free(relay->subs);
	relay->subs = NULL;
	audit_close(&relay->audit, daemon_now_ms());
	if (relay->sock)
		zmq_close(relay->sock);
	relay->sock = NULL;
}

static int send_to(struct relay *relay, const uint8_t *rid, size_t rid_len, const struct mp_buf *b)
{
	if (zmq_send(relay->sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		return -errno;
	if (zmq_send(relay->sock, b->sb.data, b->sb.size, ZMQ_DONTWAIT) < 0)
		return -errno;
	return 0;
}

static void reply_error(struct relay *relay, const uint8_t *rid, size_t rid_len, const char *text,
			const char *code)
{
	struct mp_buf b;
	mp_buf_init(&b);
	if (submsg_pack_error(&b, text, code) == 0)
		(void)send_to(relay, rid, rid_len, &b);
	mp_buf_destroy(&b);
}

/* ---- what an authority may read ---- */

/* Whether key holds a valid, unrevoked authority certificate of nbhd now,
 * by the certificates and revocations this relay holds. */
static bool authority_in(const struct relay *relay, const uint8_t key[32], const uint8_t nbhd[32])
{
	const membership_t *m = node_mem_for(relay->node, nbhd);
	return m && !membership_is_revoked(m, key) &&
	       membership_check(m, key, ROLE_AUTHORITY, (uint64_t)time(NULL), NULL) == 0;
}

/* Whether key is still an authority of any neighbourhood held here. */
static bool authority_anywhere(const struct relay *relay, const uint8_t key[32])
{
	if (relay->node->have_nbhd && authority_in(relay, key, relay->node->nbhd))
		return true;
	for (size_t i = 0; i < relay->node->n_served; i++)
		if (authority_in(relay, key, relay->node->served[i].nbhd))
			return true;
	return false;
}

static bool shared_with(const struct record *r, const uint8_t key[32])
{
	for (size_t i = 0; i < r->u.signal.n_sealed; i++)
		if (memcmp(r->u.signal.sealed + i * KEY_ENTRY_LEN, key, 32) == 0)
			return true;
	return false;
}

static bool is_membership(uint8_t kind)
{
	return kind == REC_CERT || kind == REC_REVOCATION;
}

/* What a session receives: the signals shared with its key, the
 * retractions, and the certificates and revocations a subscriber needs to
 * check every author itself, of the neighbourhoods where it is an
 * authority. members_only: the catch-up before `from`. */
static bool relevant(const struct relay *relay, const struct sub_session *s, const uint8_t *data,
		     size_t len, bool members_only)
{
	struct record r;
	if (record_decode(data, len, &r) != 0)
		return false;
	if (members_only ? !is_membership(r.kind)
			 : !(is_membership(r.kind) || r.kind == REC_RETRACTION ||
			     (r.kind == REC_SIGNAL && shared_with(&r, s->key))))
		return false;
	return authority_in(relay, s->key, r.nbhd);
}

struct pump {
	struct relay *relay;
	struct sub_session *s;
	bool blocked; /* no credit, or the socket would block */
	bool gone;    /* the subscriber went away */
};

/* Sends one message that uses a credit; false when it must wait. */
static bool pump_send(struct pump *p, const struct mp_buf *b)
{
	struct sub_session *s = p->s;
	int r = send_to(p->relay, s->rid, s->rid_len, b);
	if (r < 0) {
		p->blocked = true;
		p->gone = r == -EHOSTUNREACH;
		return false;
	}
	s->credit--;
	s->sent++;
	s->active_ms = daemon_now_ms();
	return true;
}

static int pump_one(void *ctx, uint64_t cursor, const uint8_t id[32], const uint8_t *data,
		    size_t len)
{
	struct pump *p = ctx;
	struct sub_session *s = p->s;
	(void)id;
	if (relevant(p->relay, s, data, len, false)) {
		if (s->credit == 0) {
			p->blocked = true;
			return 1; /* wait for credit; this record is next */
		}
		struct mp_buf b;
		mp_buf_init(&b);
		bool sent = submsg_pack_record(&b, cursor, data, len) == 0 && pump_send(p, &b);
		mp_buf_destroy(&b);
		if (!sent)
			return 1;
	}
	s->cursor = cursor;
	return 0;
}

/* The membership catch-up: a subscriber resuming after `from` has not seen
 * the certificates and revocations before it, and needs them all. */
static int pump_member(void *ctx, uint64_t cursor, const uint8_t id[32], const uint8_t *data,
		       size_t len)
{
	struct pump *p = ctx;
	struct sub_session *s = p->s;
	(void)id;
	if (cursor > s->from) {
		s->members_done = true;
		return 1;
	}
	if (relevant(p->relay, s, data, len, true)) {
		if (s->credit == 0) {
			p->blocked = true;
			return 1;
		}
		struct mp_buf b;
		mp_buf_init(&b);
		bool sent = submsg_pack_member(&b, data, len) == 0 && pump_send(p, &b);
		mp_buf_destroy(&b);
		if (!sent)
			return 1;
	}
	s->member_cursor = cursor;
	return 0;
}

/* Ends the session of a key that lost its authority, saying so. */
static bool still_authority(struct relay *relay, struct sub_session *s)
{
	uint64_t now = daemon_now_ms();
	if (now - s->checked_ms < AUTHORITY_CHECK_MS)
		return true;
	s->checked_ms = now;
	if (authority_anywhere(relay, s->key))
		return true;
	reply_error(relay, s->rid, s->rid_len, "this key is no longer an authority of any "
		    "neighbourhood this relay serves", SUBMSG_CODE_REVOKED);
	end_session(relay, s, "revoked");
	return false;
}

void relay_pump(struct relay *relay)
{
	audit_tick(relay->audit, daemon_now_ms());
	for (size_t i = 0; relay->subs && i < relay->n_subs;) {
		struct sub_session *s = &relay->subs[i];
		struct pump p = {relay, s, false, false};
		if (!still_authority(relay, s))
			continue;
		if (!s->members_done) {
			int r = store_each_from_cursor(relay->node->store, s->member_cursor, SCAN_MAX,
						       pump_member, &p);
			if (r >= 0 && r < SCAN_MAX && !p.blocked)
				s->members_done = true; /* the scan ran dry before from */
		}
		int r = s->members_done && !p.blocked
				? store_each_from_cursor(relay->node->store, s->cursor, SCAN_MAX, pump_one, &p)
				: 0;
		if (p.gone) {
			end_session(relay, s, "subscriber went away");
			continue;
		}
		/* the scan ran dry: tell the subscriber how far it has come, so a
		 * cursor saved now skips what was not for it */
		uint64_t last = 0;
		if (s->members_done && r >= 0 && r < SCAN_MAX && !p.blocked &&
		    store_last_cursor(relay->node->store, &last) == 0 && s->cursor == last &&
		    s->reported != s->cursor) {
			struct mp_buf b;
			mp_buf_init(&b);
			if (submsg_pack_caught_up(&b, s->cursor) == 0 &&
			    send_to(relay, s->rid, s->rid_len, &b) == 0)
				s->reported = s->cursor;
			mp_buf_destroy(&b);
		}
		i++;
	}
}

/* ---- requests ---- */

static struct sub_session *session_for(struct relay *relay, const uint8_t *rid, size_t len)
{
	for (size_t i = 0; i < relay->n_subs; i++)
		if (relay->subs[i].rid_len == len && memcmp(relay->subs[i].rid, rid, len) == 0)
			return &relay->subs[i];
	return NULL;
}

static void on_subscribe(struct relay *relay, const uint8_t *rid, size_t rid_len,
			 const uint8_t key[32], const struct submsg_req *q)
{
	uint64_t last = 0;
	char text[128];
	/* ZAP admitted the connection; a revocation since does not close it */
	if (!authority_anywhere(relay, key)) {
		reply_error(relay, rid, rid_len, "this key is no longer an authority of any "
			    "neighbourhood this relay serves", SUBMSG_CODE_REVOKED);
		audit_event(relay->audit, "session-refused", key, "(revoked)");
		return;
	}
	if (store_last_cursor(relay->node->store, &last) < 0 || q->from > last) {
		snprintf(text, sizeof(text), "from %llu is beyond this relay's last cursor %llu",
			 (unsigned long long)q->from, (unsigned long long)last);
		reply_error(relay, rid, rid_len, text, SUBMSG_CODE_CURSOR);
		return;
	}
	struct sub_session *s = session_for(relay, rid, rid_len);
	/* the same connection asking again from where it is (a quiet relay
	 * makes samen subscribe ask every few seconds) goes on with its
	 * session: one session line, not one per request */
	struct sub_session kept = {0};
	bool renewed = s && s->cursor == q->from;
	if (renewed)
		kept = *s;
	if (!s) {
		struct sub_session *oldest = NULL;
		size_t mine = 0;
		for (size_t i = 0; i < relay->n_subs; i++)
			if (memcmp(relay->subs[i].key, key, 32) == 0) {
				mine++;
				if (!oldest || relay->subs[i].active_ms < oldest->active_ms)
					oldest = &relay->subs[i];
			}
		if (mine >= SUBS_PER_KEY)
			end_session(relay, oldest, "replaced by a newer session of the same key");
		uint64_t now = daemon_now_ms();
		for (size_t i = 0; relay->n_subs == SUBS_MAX && i < relay->n_subs;) {
			if (now - relay->subs[i].active_ms > SUB_IDLE_MS)
				end_session(relay, &relay->subs[i], "silent for 30 s: gone");
			else
				i++;
		}
		if (relay->n_subs == SUBS_MAX) {
			reply_error(relay, rid, rid_len, "too many subscribers", NULL);
			return;
		}
		s = &relay->subs[relay->n_subs++];
	}
	memset(s, 0, sizeof(*s));
	memcpy(s->rid, rid, rid_len);
	s->rid_len = rid_len;
	memcpy(s->key, key, 32);
	s->cursor = s->from = q->from;
	s->members_done = q->from == 0;
	s->reported = UINT64_MAX; /* say "caught up" once even if nothing is new */
	s->credit = q->credit;
	s->started = time(NULL);
	s->active_ms = s->checked_ms = daemon_now_ms();
	if (renewed) {
		s->from = kept.from;
		s->sent = kept.sent;
		s->started = kept.started;
		s->members_done = kept.members_done;
		s->member_cursor = kept.member_cursor;
		return;
	}
	char detail[64];
	snprintf(detail, sizeof(detail), "from=%llu", (unsigned long long)q->from);
	audit_event(relay->audit, "session-start", key, detail);
	char fp[FINGERPRINT_LEN];
	keytext_fingerprint(key, fp);
	log_msg(SLOG_INFO, "authority %s subscribed from cursor %llu", fp,
		(unsigned long long)q->from);
}

static void on_credit(struct relay *relay, const uint8_t *rid, size_t rid_len,
		      const struct submsg_req *q)
{
	struct sub_session *s = session_for(relay, rid, rid_len);
	if (!s) {
		reply_error(relay, rid, rid_len, "credit: subscribe first", NULL);
		return;
	}
	s->credit += q->n;
	s->active_ms = daemon_now_ms();
	if (s->credit > SUBMSG_CREDIT_MAX)
		s->credit = SUBMSG_CREDIT_MAX; /* a window, not a bank */
}

static void on_announce(struct relay *relay, const uint8_t *rid, size_t rid_len, const uint8_t key[32],
			const struct submsg_req *q)
{
	const uint8_t *rec = q->record;
	size_t len = q->record_len;
	struct record r;
	enum reject v = RJ_MALFORMED;
	struct mp_buf b;
	mp_buf_init(&b);
	if (record_decode(rec, len, &r) < 0 || r.kind != REC_ANNOUNCE ||
	    memcmp(r.author, key, 32) != 0) {
		if (submsg_pack_result(&b, false, "announce: a signed announcement by this key") == 0)
			(void)send_to(relay, rid, rid_len, &b);
		mp_buf_destroy(&b);
		return;
	}
	int ret = node_ingest(relay->node, &rec, &len, 1, NULL, &v);
	char detail[80];
	snprintf(detail, sizeof(detail), "announcement %s", reject_name(v));
	audit_event(relay->audit, "announce", key, detail);
	if (submsg_pack_result(&b, ret == 1, reject_name(v)) == 0)
		(void)send_to(relay, rid, rid_len, &b);
	mp_buf_destroy(&b);
}

void relay_handle(struct relay *relay)
{
	for (int budget = 0; budget < 64; budget++) {
		zmq_msg_t rid, body;
		int got = router_recv(relay->sock, &rid, &body);
		if (got == 0)
			return;
		if (got < 0)
			continue;
		const char *user = zmq_msg_gets(&body, "User-Id");
		uint8_t key[32];
		msgpack_unpacked u;
		struct submsg_req q;
		const char *why = "";
		msgpack_unpacked_init(&u);
		const uint8_t *r = zmq_msg_data(&rid);
		size_t rl = zmq_msg_size(&rid);
		if (!user || sodium_hex2bin(key, 32, user, strlen(user), NULL, NULL, NULL) != 0) {
			/* cannot happen: ZAP set it */
		} else if (submsg_req_decode(zmq_msg_data(&body), zmq_msg_size(&body), &u, &q,
					     &why) < 0) {
			char text[160];
			snprintf(text, sizeof(text), "not a subscriber request: %s", why);
			reply_error(relay, r, rl, text, NULL);
		} else if (q.op == SUBOP_SUBSCRIBE) {
			on_subscribe(relay, r, rl, key, &q);
		} else if (q.op == SUBOP_CREDIT) {
			on_credit(relay, r, rl, &q);
		} else {
			on_announce(relay, r, rl, key, &q);
		}
		msgpack_unpacked_destroy(&u);
		zmq_msg_close(&rid);
		zmq_msg_close(&body);
	}
}
