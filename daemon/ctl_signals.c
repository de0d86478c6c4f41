/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * ctl_signals.c — the control ops about signals (PROTOCOL.md section 8):
 * send, ack, resolve, retract, list, show, watch, and the announcements an
 * authority put in; the daemon side of client/cmd_signals.c.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "control.h"
#include "control_int.h"
#include "attend.h"
#include "clock.h"
#include "receipts.h"
#include "events.h"
#include "view.h"
#include "../keys/keytext.h"
#include "../proto/mpmap.h"
#include "../proto/sigview.h"

#define DEFAULT_EXPIRES 14400

/* Decrypts the stored signals into s; false (with the reply written, and
 * nothing to free) when the store cannot be read. */
static bool collect(struct req *q, struct sigset *s)
{
	if (view_collect(q->c->node, s) < 0) {
		reply_error(q, CTL_E_INTERNAL, "cannot read the store");
		return false;
	}
	return true;
}

/* The signal that id (from field) names in s; NULL, with the reply written,
 * when there is none, or when it must be readable here and is not. */
static const struct sigent *find_named(struct req *q, const struct sigset *s, const char *field,
				       const char *id, bool readable)
{
	int err;
	const struct sigent *e = view_find(s, id, &err);
	if (e && (!readable || e->readable))
		return e;
	reply_error(q, e || err == SAMEN_ENOTFOUND ? CTL_E_NOT_FOUND : CTL_E_INVALID, "%s: '%s' %s", field, id,
		    e ? "cannot be read here" : err == SAMEN_ENOTFOUND ? "is not a signal here"
								: "is not a unique id prefix");
	return NULL;
}

/* Reads the signal id in field (what says what it should hold) and finds it
 * among the stored signals, left in s for view_free(); NULL, with the reply
 * written and s freed, when it cannot. */
static const struct sigent *named_signal(struct req *q, struct sigset *s, const char *field,
					 const char *what)
{
	char id[80];
	if (mpmap_str(q->m, field, id, sizeof(id)) < 0) {
		reply_error(q, CTL_E_INVALID, "%s: %s", field, what);
		return NULL;
	}
	if (!collect(q, s))
		return NULL;
	const struct sigent *e = find_named(q, s, field, id, false);
	if (!e)
		view_free(s);
	return e;
}

static int authorities(struct control *c, uint8_t (*keys)[32], size_t cap)
{
	size_t n = membership_list(c->node->mem, ROLE_AUTHORITY, (uint64_t)time(NULL), keys, cap);
	return (int)(n > cap ? cap : n);
}

static void publish_signal(struct req *q, struct signal_plain *p, bool share, uint64_t expires_in)
{
	struct control *c = q->c;
	struct record r;
	struct signal_buf sb;
	uint8_t auth[SIGNAL_AUTH_MAX][32];
	size_t n_auth = 0;
	char hex[65];

	const struct epoch *e = node_current_epoch(c->node);
	if (!e) {
		reply_error(q, CTL_E_NOT_MEMBER, "no epoch key has reached this household yet; "
					     "ask a coordinator, or wait for the mesh to catch up");
		return;
	}
	if (share)
		n_auth = (size_t)authorities(c, auth, SIGNAL_AUTH_MAX);
	int ret = node_prepare(c->node, &r, REC_SIGNAL);
	if (ret == 0) {
		ret = signal_encrypt(&r, p, e->id, e->key, (const uint8_t(*)[32])auth, n_auth,
				     r.created + expires_in, &sb);
		if (ret < 0)
			node_abandon(c->node, &r);
	}
	if (ret == SAMEN_EINVAL) {
		reply_error(q, CTL_E_INVALID, "a field is out of range (description or place too long, "
					  "or text with control characters)");
		return;
	}
	if (ret == 0)
		ret = node_publish(c->node, &r, NULL);
	sodium_memzero(&sb, sizeof(sb));
	if (ret < 0) {
		reply_err_code(q, ret, "not sent");
		return;
	}
	view_hex(r.id, hex);
	msgpack_packer *pk = reply_ok(q, 3);
	mpmap_put_str(pk, "id", hex);
	mpmap_put_uint(pk, "seq", r.seq);
	mpmap_put_uint(pk, SIGVIEW_SHARED_WITH, n_auth);
}

static bool parse_refs(struct req *q, const struct sigset *s, struct signal_plain *p)
{
	const msgpack_object *refs = mpmap_find(q->m, "refs");
	if (!refs)
		return true;
	if (refs->type != MSGPACK_OBJECT_ARRAY || refs->via.array.size > SIGNAL_REFS_MAX) {
		reply_error(q, CTL_E_INVALID, "refs: at most %d signal ids", SIGNAL_REFS_MAX);
		return false;
	}
	for (uint32_t i = 0; i < refs->via.array.size; i++) {
		char id[80];
		if (mp_get_str(&refs->via.array.ptr[i], id, sizeof(id)) < 0) {
			reply_error(q, CTL_E_INVALID, "refs: each must be a signal id");
			return false;
		}
		const struct sigent *e = find_named(q, s, "refs", id, false);
		if (!e)
			return false;
		memcpy(p->refs[p->n_refs++], e->id, 32);
	}
	return true;
}

static bool parse_enum(struct req *q, const char *key, int (*parse)(const char *), const char *list,
		       uint8_t *out)
{
	char s[40];
	int r = mpmap_str(q->m, key, s, sizeof(s));
	if (r == SAMEN_ENOTFOUND)
		return true;
	int v = r < 0 ? -1 : parse(s);
	if (v < 0) {
		reply_error(q, CTL_E_INVALID, "%s: '%s' is not one of %s", key, r < 0 ? "?" : s, list);
		return false;
	}
	*out = (uint8_t)v;
	return true;
}

static int kind_parse(const char *s)
{
	return !strcmp(s, "alert") ? SIG_ALERT : !strcmp(s, "update") ? SIG_UPDATE : SAMEN_EINVAL;
}

static void send_signal(struct req *q, struct signal_plain *p)
{
	struct sigset s;
	uint64_t expires_in = DEFAULT_EXPIRES;
	bool share = false;
	int64_t lat, lon;
	uint64_t radius;

	if (!need_member(q))
		return;
	memset(p, 0, sizeof(*p));
	p->kind = SIG_ALERT;
	p->severity = SEV_MODERATE;
	p->status = STATUS_REAL;
	if (mpmap_find(q->m, "category") == NULL) {
		reply_error(q, CTL_E_INVALID, "category: required (suspicious, burglary, break-in-attempt, "
					  "fire, medical, missing-person, nuisance, other)");
		return;
	}
	if (!parse_enum(q, "category", signal_category_parse,
			"suspicious, burglary, break-in-attempt, fire, medical, missing-person, "
			"nuisance, other",
			&p->category) ||
	    !parse_enum(q, "severity", signal_severity_parse, "minor, moderate, severe, extreme",
			&p->severity) ||
	    !parse_enum(q, "status", signal_status_parse, "real, test, exercise", &p->status) ||
	    !parse_enum(q, "kind", kind_parse, "alert, update", &p->kind) ||
	    !opt_str(q, "description", p->description, sizeof(p->description)) ||
	    !opt_str(q, "where", p->where, sizeof(p->where)) || !opt_bool(q, "called112", &p->called112) ||
	    !opt_bool(q, "share", &share) || !opt_uint(q, "expires_in", 30 * 86400, &expires_in))
		return;
	if (!p->description[0]) {
		reply_error(q, CTL_E_INVALID, "description: say what is happening (behaviour, not appearance)");
		return;
	}
	int nl = mpmap_int(q->m, "lat_e6", -90000000, 90000000, &lat);
	int no = mpmap_int(q->m, "lon_e6", -180000000, 180000000, &lon);
	int nr = mpmap_uint(q->m, "radius_m", RADIUS_MAX, &radius);
	if (nl == 0 && no == 0 && nr == 0 && radius > 0) {
		p->has_point = true;
		p->lat_e6 = (int32_t)lat;
		p->lon_e6 = (int32_t)lon;
		p->radius_m = (uint32_t)radius;
	} else if (nl != SAMEN_ENOTFOUND || no != SAMEN_ENOTFOUND || nr != SAMEN_ENOTFOUND) {
		reply_error(q, CTL_E_INVALID, "point: lat_e6 (-90e6..90e6), lon_e6 (-180e6..180e6) and "
					  "radius_m (1..%d) go together",
			    RADIUS_MAX);
		return;
	}
	if (expires_in == 0) {
		reply_error(q, CTL_E_INVALID, "expires_in: must be at least one second");
		return;
	}
	if (!collect(q, &s))
		return;
	if (parse_refs(q, &s, p))
		publish_signal(q, p, share, expires_in);
	view_free(&s);
}

void op_send(struct req *q)
{
	struct signal_plain p;
	send_signal(q, &p);
	sodium_memzero(&p, sizeof(p)); /* on every path: the text is a household's */
}

/* ack and resolve: a signal that refers to an earlier one. */
static void reply_signal(struct req *q, uint8_t kind, struct signal_plain *p)
{
	struct sigset s;
	char ref[80], ack[24] = "";
	bool share = false;

	if (!need_member(q))
		return;
	memset(p, 0, sizeof(*p));
	if (mpmap_str(q->m, "ref", ref, sizeof(ref)) < 0) {
		reply_error(q, CTL_E_INVALID, "ref: the id of the signal you answer");
		return;
	}
	if (!opt_str(q, "text", p->description, sizeof(p->description)) ||
	    !opt_str(q, "ack", ack, sizeof(ack)) || !opt_bool(q, "share", &share))
		return;
	if (!collect(q, &s))
		return;
	const struct sigent *head = find_named(q, &s, "ref", ref, true);
	if (!head) {
		view_free(&s);
		return;
	}
	p->kind = kind;
	p->category = head->p.category;
	p->severity = head->p.severity;
	p->status = head->p.status;
	snprintf(p->where, sizeof(p->where), "%s", head->p.where);
	memcpy(p->refs[0], head->id, 32);
	p->n_refs = 1;
	if (kind == SIG_ACK) {
		if (!strcmp(ack, "112-called")) {
			p->ack = ACK_CALLED_112;
			p->called112 = true;
		} else if (!strcmp(ack, "looking")) {
			p->ack = ACK_LOOKING;
		} else if (!strcmp(ack, "text") && p->description[0]) {
			p->ack = ACK_TEXT;
		} else {
			reply_error(q, CTL_E_INVALID, "ack: one of 112-called, looking, or text (with text)");
			view_free(&s);
			return;
		}
	}
	uint64_t now = (uint64_t)time(NULL);
	uint64_t left = head->expires > now ? head->expires - now : 3600;
	publish_signal(q, p, share || head->shared > 0, left < 3600 ? 3600 : left);
	view_free(&s);
}

static void op_reply_to(struct req *q, uint8_t kind)
{
	struct signal_plain p;
	reply_signal(q, kind, &p);
	sodium_memzero(&p, sizeof(p)); /* on every path: the text is a household's */
}

void op_ack(struct req *q) { op_reply_to(q, SIG_ACK); }
void op_resolve(struct req *q) { op_reply_to(q, SIG_ALLCLEAR); }

void op_retract(struct req *q)
{
	struct sigset s;
	struct record r;
	char hex[65];

	if (!need_member(q))
		return;
	const struct sigent *e = named_signal(q, &s, "ref", "the id of the signal to retract");
	if (!e)
		return;
	char reason[sizeof(r.u.retraction.reason)] = "";
	if (!opt_str(q, "reason", reason, sizeof(reason))) {
		view_free(&s);
		return;
	}
	/* fields checked first: a number reserved is a number used */
	int ret = node_prepare(q->c->node, &r, REC_RETRACTION);
	if (ret == 0) {
		memcpy(r.u.retraction.target, e->id, 32);
		memcpy(r.u.retraction.reason, reason, sizeof(reason));
		ret = node_publish(q->c->node, &r, NULL);
	}
	view_free(&s);
	if (ret < 0) {
		reply_err_code(q, ret == SAMEN_ENOCERT ? SAMEN_EROLE : ret,
			       "not retracted (only a coordinator or the author can retract)");
		return;
	}
	view_hex(r.id, hex);
	mpmap_put_str(reply_ok(q, 1), "id", hex);
}

void op_list(struct req *q)
{
	struct sigset s;
	uint64_t limit = 50;
	bool all = false;
	if (!opt_uint(q, "limit", 100000, &limit) || !opt_bool(q, "all", &all))
		return;
	if (!collect(q, &s))
		return;
	size_t n = 0;
	for (size_t i = 0; i < s.n && n < limit; i++)
		n += all || s.e[i].readable;
	msgpack_packer *pk = reply_ok(q, 1);
	mpmap_put_key(pk, "signals");
	msgpack_pack_array(pk, n);
	for (size_t i = 0, k = 0; i < s.n && k < n; i++)
		if (all || s.e[i].readable) {
			view_pack(pk, &s, &s.e[i]);
			k++;
		}
	view_free(&s);
}

void op_show(struct req *q)
{
	struct sigset s;
	const struct sigent *e =
		named_signal(q, &s, "id", "the id (or a unique prefix of 8+ characters) of a signal");
	if (!e)
		return;
	size_t n = 0;
	for (size_t i = 0; i < s.n; i++)
		for (unsigned k = 0; k < s.e[i].p.n_refs; k++)
			n += s.e[i].readable && memcmp(s.e[i].p.refs[k], e->id, 32) == 0;
	msgpack_packer *pk = reply_ok(q, 2);
	mpmap_put_key(pk, "signal");
	view_pack(pk, &s, e);
	mpmap_put_key(pk, "thread");
	msgpack_pack_array(pk, n);
	for (size_t i = s.n; i-- > 0;) /* oldest first */
		for (unsigned k = 0; k < s.e[i].p.n_refs; k++)
			if (s.e[i].readable && memcmp(s.e[i].p.refs[k], e->id, 32) == 0)
				view_pack(pk, &s, &s.e[i]);
	view_free(&s);
}

/* This household has seen the alert: its repeats stop (attend.h). Any
 * readable signal may be named; one that waits for nothing is not an error,
 * as a second phone may say "seen" after the first. */
void op_seen(struct req *q)
{
	struct sigset s;
	const struct sigent *e =
		named_signal(q, &s, "id", "the id (or a unique prefix of 8+ characters) of a signal");
	if (!e)
		return;
	bool waited = attend_seen(q->c->attend, e->id);
	if (e->readable && e->p.kind == SIG_ALERT && memcmp(e->author, q->c->node->id->pk, 32) != 0)
		receipts_seen(q->c->receipts, e->id, e->expires, daemon_now_ms());
	view_free(&s);
	mpmap_put_bool(reply_ok(q, 1), "waited", waited);
}

void op_watch(struct req *q)
{
	struct control *c = q->c;
	if (events_full(c->events)) {
		reply_error(q, CTL_E_INTERNAL, "too many watchers (%d)", WATCHERS_MAX);
		return;
	}
	uint64_t since = 0;
	bool replay = mpmap_find(q->m, "since") != NULL;
	if (replay && !opt_uint(q, "since", UINT64_MAX, &since))
		return;
	events_watch(c->events, q->rid, q->rid_len);
	reply_ok(q, 0);
	/* the events follow the reply, which control_finish sends first */
	q->replay = replay;
	q->replay_since = since;
}

static int announce_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct req *q = ctx;
	struct record r;
	char hex[65], key[KEYTEXT_LEN], label[LABEL_MAX + 1];
	(void)id;
	if (record_decode(data, len, &r) != 0)
		return 0;
	view_hex(r.id, hex);
	keytext_encode(r.author, key);
	view_label(q->c->node, r.author, label, sizeof(label));
	msgpack_pack_map(&q->out->pk, 8);
	mpmap_put_str(&q->out->pk, "id", hex);
	mpmap_put_str(&q->out->pk, "author", key);
	mpmap_put_str(&q->out->pk, "label", label);
	mpmap_put_uint(&q->out->pk, "created", r.created);
	mpmap_put_uint(&q->out->pk, "expires", r.u.announce.expires);
	mpmap_put_str(&q->out->pk, "kind", record_announce_kind_name(r.u.announce.kind));
	mpmap_put_str(&q->out->pk, "text", r.u.announce.text);
	mpmap_put_str(&q->out->pk, "where", r.u.announce.where);
	return 0;
}

static int count_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	(void)id, (void)data, (void)len;
	++*(size_t *)ctx;
	return 0;
}

void op_announcements(struct req *q)
{
	size_t n = 0;
	if (!need_member(q))
		return;
	(void)store_each_by_kind(q->c->node->store, q->c->node->nbhd, REC_ANNOUNCE, count_one, &n);
	msgpack_packer *pk = reply_ok(q, 1);
	mpmap_put_key(pk, "announcements");
	msgpack_pack_array(pk, n);
	(void)store_each_by_kind(q->c->node->store, q->c->node->nbhd, REC_ANNOUNCE, announce_one, q);
}
