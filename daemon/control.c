/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * control.c — the control socket (PROTOCOL.md section 8): one msgpack map in,
 * one msgpack map out, and a stream of events for `watch`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "daemon.h"
#include "events.h"
#include "hook.h"
#include "log.h"
#include "view.h"
#include "../keys/keytext.h"
#include "../proto/json.h"
#include "../proto/link.h"
#include "../proto/mpmap.h"

#define DEFAULT_EXPIRES 14400

struct req {
	struct daemon *d;
	const msgpack_object *m;
	const uint8_t *rid;
	size_t rid_len;
	struct mp_buf out;
	bool replied;
	bool deferred; /* answered later, by the module that holds the request */
	bool replay;          /* watch --since: events follow the reply */
	uint64_t replay_since;
};

static void send_frame(struct daemon *d, const uint8_t *rid, size_t rid_len, const void *buf,
		       size_t len)
{
	if (zmq_send(d->ctl, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
		zmq_send(d->ctl, buf, len, ZMQ_DONTWAIT);
}

static void reply_error(struct req *q, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reply_error(struct req *q, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	q->out.sb.size = 0;
	msgpack_pack_map(&q->out.pk, 3);
	mpmap_put_bool(&q->out.pk, "ok", false);
	mpmap_put_str(&q->out.pk, "code", code);
	mpmap_put_str(&q->out.pk, "error", msg);
	q->replied = true;
}

/* Starts a success reply with n result fields after "ok". */
static msgpack_packer *reply_ok(struct req *q, size_t n)
{
	q->out.sb.size = 0;
	msgpack_pack_map(&q->out.pk, n + 1);
	mpmap_put_bool(&q->out.pk, "ok", true);
	q->replied = true;
	return &q->out.pk;
}

/* The store refuses with "full" for two reasons that need different
 * fixes: the disk is full, or the store reached its configured ceiling. */
static const char *full_hint(const struct daemon *d, char *buf, size_t cap)
{
	struct statvfs v;
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/store", d->cfg->state_dir); /* as node_open */
	bool disk = statvfs(dir, &v) != 0 ||
		    (uint64_t)v.f_bavail * v.f_frsize < 16ull * 1024 * 1024;
	if (disk)
		snprintf(buf, cap, "the disk holding %s is full; free disk space (nothing was "
				   "written)", dir);
	else
		snprintf(buf, cap, "the store reached max_map_mb = %u; raise it in samend.conf "
				   "(nothing was written)", d->cfg->max_map_mb);
	return buf;
}

/* Maps a library error to the protocol's codes. */
static void reply_err_code(struct req *q, int err, const char *what)
{
	const char *code = err == SAMEN_EFULL	    ? "full"
			   : err == SAMEN_ERATE     ? "rate-limited"
			   : err == SAMEN_EROLE     ? "forbidden"
			   : err == SAMEN_ENOCERT || err == SAMEN_ENBHD || err == SAMEN_EREVOKED
				   ? "not-member"
			   : err == SAMEN_ENOTFOUND ? "not-found"
			   : err == SAMEN_EINVAL    ? "invalid"
						    : "internal";
	char full[4400];
	const char *hint = err == SAMEN_ERATE ? "too many signals from this household just now; "
						  "wait a minute"
			   : err == SAMEN_EFULL ? full_hint(q->d, full, sizeof(full))
					       : samen_strerror(err);
	reply_error(q, code, "%s: %s", what, hint);
}

static bool need_member(struct req *q)
{
	const struct daemon *d = q->d;
	if (!d->node.have_nbhd || !node_my_role(&d->node)) {
		bool revoked = d->node.mem && membership_is_revoked(d->node.mem, d->node.id->pk) == 1;
		reply_error(q, "not-member",
			    revoked ? "this household's key was revoked by a coordinator of the "
				      "neighbourhood: nothing it sends counts, and it reads nothing sent "
				      "since (ask them why)"
			    : d->node.have_nbhd ? "this household holds no valid certificate (yet)"
						: "not a member of a neighbourhood yet: run 'samen join CODE'");
		return false;
	}
	return true;
}

static bool need_coordinator(struct req *q)
{
	if (!need_member(q))
		return false;
	if (node_my_role(&q->d->node) != ROLE_COORDINATOR) {
		reply_error(q, "forbidden", "only a coordinator can do this");
		return false;
	}
	return true;
}

/* Reads an optional field; an absent one keeps *out. False (with the reply
 * written) when present but wrong. */
static bool opt_str(struct req *q, const char *key, char *out, size_t cap)
{
	int r = mpmap_str(q->m, key, out, cap);
	if (r == SAMEN_ENOTFOUND)
		return true;
	if (r < 0) {
		reply_error(q, "invalid", "%s: must be text of at most %zu bytes", key, cap - 1);
		return false;
	}
	return true;
}

static bool opt_bool(struct req *q, const char *key, bool *out)
{
	int r = mpmap_bool(q->m, key, out);
	if (r < 0 && r != SAMEN_ENOTFOUND) {
		reply_error(q, "invalid", "%s: must be true or false", key);
		return false;
	}
	return true;
}

static bool opt_uint(struct req *q, const char *key, uint64_t max, uint64_t *out)
{
	int r = mpmap_uint(q->m, key, max, out);
	if (r < 0 && r != SAMEN_ENOTFOUND) {
		reply_error(q, "invalid", "%s: must be a whole number up to %llu", key,
			    (unsigned long long)max);
		return false;
	}
	return true;
}

static bool req_key(struct req *q, const char *field, uint8_t key[32])
{
	char text[80];
	if (mpmap_str(q->m, field, text, sizeof(text)) < 0 || keytext_decode(text, key) < 0) {
		reply_error(q, "invalid", "%s: give a public key (43 characters, as samen-keys show prints it)",
			    field);
		return false;
	}
	return true;
}

/* ---- signals ---- */

static int authorities(struct daemon *d, uint8_t (*keys)[32], size_t cap)
{
	size_t n = membership_list(d->node.mem, ROLE_AUTHORITY, (uint64_t)time(NULL), keys, cap);
	return (int)(n > cap ? cap : n);
}

static void publish_signal(struct req *q, struct signal_plain *p, bool share, uint64_t expires_in)
{
	struct daemon *d = q->d;
	struct record r;
	struct signal_buf sb;
	uint8_t auth[SIGNAL_AUTH_MAX][32];
	size_t n_auth = 0;
	char hex[65];

	const struct epoch *e = node_current_epoch(&d->node);
	if (!e) {
		reply_error(q, "not-member", "no epoch key has reached this household yet; "
					     "ask a coordinator, or wait for the mesh to catch up");
		return;
	}
	if (share)
		n_auth = (size_t)authorities(d, auth, SIGNAL_AUTH_MAX);
	int ret = node_prepare(&d->node, &r, REC_SIGNAL);
	if (ret == 0) {
		ret = signal_encrypt(&r, p, e->id, e->key, (const uint8_t(*)[32])auth, n_auth,
				     r.created + expires_in, &sb);
		if (ret < 0)
			node_abandon(&d->node, &r);
	}
	if (ret == SAMEN_EINVAL) {
		reply_error(q, "invalid", "a field is out of range (description or place too long, "
					  "or text with control characters)");
		return;
	}
	if (ret == 0)
		ret = node_publish(&d->node, &r, NULL);
	sodium_memzero(&sb, sizeof(sb));
	if (ret < 0) {
		reply_err_code(q, ret, "not sent");
		return;
	}
	gossip_flush(d);
	view_hex(r.id, hex);
	msgpack_packer *pk = reply_ok(q, 3);
	mpmap_put_str(pk, "id", hex);
	mpmap_put_uint(pk, "seq", r.seq);
	mpmap_put_uint(pk, "shared", n_auth);
}

static bool parse_refs(struct req *q, const struct sigset *s, struct signal_plain *p)
{
	const msgpack_object *refs = mpmap_find(q->m, "refs");
	if (!refs)
		return true;
	if (refs->type != MSGPACK_OBJECT_ARRAY || refs->via.array.size > SIGNAL_REFS_MAX) {
		reply_error(q, "invalid", "refs: at most %d signal ids", SIGNAL_REFS_MAX);
		return false;
	}
	for (uint32_t i = 0; i < refs->via.array.size; i++) {
		char id[80];
		int err;
		if (mp_get_str(&refs->via.array.ptr[i], id, sizeof(id)) < 0) {
			reply_error(q, "invalid", "refs: each must be a signal id");
			return false;
		}
		const struct sigent *e = view_find(s, id, &err);
		if (!e) {
			reply_error(q, err == SAMEN_ENOTFOUND ? "not-found" : "invalid",
				    "refs: '%s' %s", id, err == SAMEN_ENOTFOUND ? "is not a signal here"
									: "is not a unique id prefix");
			return false;
		}
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
		reply_error(q, "invalid", "%s: '%s' is not one of %s", key, r < 0 ? "?" : s, list);
		return false;
	}
	*out = (uint8_t)v;
	return true;
}

static int kind_parse(const char *s)
{
	return !strcmp(s, "alert") ? SIG_ALERT : !strcmp(s, "update") ? SIG_UPDATE : SAMEN_EINVAL;
}

static void op_send(struct req *q)
{
	struct signal_plain p;
	struct sigset s;
	uint64_t expires_in = DEFAULT_EXPIRES;
	bool share = false;
	int64_t lat, lon;
	uint64_t radius;

	if (!need_member(q))
		return;
	memset(&p, 0, sizeof(p));
	p.kind = SIG_ALERT;
	p.severity = SEV_MODERATE;
	p.status = STATUS_REAL;
	if (mpmap_find(q->m, "category") == NULL) {
		reply_error(q, "invalid", "category: required (suspicious, burglary, break-in-attempt, "
					  "fire, medical, missing-person, nuisance, other)");
		return;
	}
	if (!parse_enum(q, "category", signal_category_parse,
			"suspicious, burglary, break-in-attempt, fire, medical, missing-person, "
			"nuisance, other",
			&p.category) ||
	    !parse_enum(q, "severity", signal_severity_parse, "minor, moderate, severe, extreme",
			&p.severity) ||
	    !parse_enum(q, "status", signal_status_parse, "real, test, exercise", &p.status) ||
	    !parse_enum(q, "kind", kind_parse, "alert, update", &p.kind) ||
	    !opt_str(q, "description", p.description, sizeof(p.description)) ||
	    !opt_str(q, "where", p.where, sizeof(p.where)) || !opt_bool(q, "called112", &p.called112) ||
	    !opt_bool(q, "share", &share) || !opt_uint(q, "expires_in", 30 * 86400, &expires_in))
		return;
	if (!p.description[0]) {
		reply_error(q, "invalid", "description: say what is happening (behaviour, not appearance)");
		return;
	}
	int nl = mpmap_int(q->m, "lat_e6", -90000000, 90000000, &lat);
	int no = mpmap_int(q->m, "lon_e6", -180000000, 180000000, &lon);
	int nr = mpmap_uint(q->m, "radius_m", RADIUS_MAX, &radius);
	if (nl == 0 && no == 0 && nr == 0 && radius > 0) {
		p.has_point = true;
		p.lat_e6 = (int32_t)lat;
		p.lon_e6 = (int32_t)lon;
		p.radius_m = (uint32_t)radius;
	} else if (nl != SAMEN_ENOTFOUND || no != SAMEN_ENOTFOUND || nr != SAMEN_ENOTFOUND) {
		reply_error(q, "invalid", "point: lat_e6 (-90e6..90e6), lon_e6 (-180e6..180e6) and "
					  "radius_m (1..%d) go together",
			    RADIUS_MAX);
		return;
	}
	if (expires_in == 0) {
		reply_error(q, "invalid", "expires_in: must be at least one second");
		return;
	}
	if (view_collect(&q->d->node, &s) < 0) {
		reply_error(q, "internal", "cannot read the store");
		return;
	}
	if (parse_refs(q, &s, &p))
		publish_signal(q, &p, share, expires_in);
	view_free(&s);
	sodium_memzero(&p, sizeof(p));
}

/* ack and resolve: a signal that refers to an earlier one. */
static void op_reply_to(struct req *q, uint8_t kind)
{
	struct signal_plain p;
	struct sigset s;
	char ref[80], ack[24] = "";
	bool share = false;
	int err;

	if (!need_member(q))
		return;
	memset(&p, 0, sizeof(p));
	if (mpmap_str(q->m, "ref", ref, sizeof(ref)) < 0) {
		reply_error(q, "invalid", "ref: the id of the signal you answer");
		return;
	}
	if (!opt_str(q, "text", p.description, sizeof(p.description)) ||
	    !opt_str(q, "ack", ack, sizeof(ack)) || !opt_bool(q, "share", &share))
		return;
	if (view_collect(&q->d->node, &s) < 0) {
		reply_error(q, "internal", "cannot read the store");
		return;
	}
	const struct sigent *head = view_find(&s, ref, &err);
	if (!head || !head->readable) {
		reply_error(q, head || err == SAMEN_ENOTFOUND ? "not-found" : "invalid",
			    "ref: '%s' %s", ref, head ? "cannot be read here" : err == SAMEN_ENOTFOUND
				    ? "is not a signal here" : "is not a unique id prefix");
		view_free(&s);
		return;
	}
	p.kind = kind;
	p.category = head->p.category;
	p.severity = head->p.severity;
	p.status = head->p.status;
	snprintf(p.where, sizeof(p.where), "%s", head->p.where);
	memcpy(p.refs[0], head->id, 32);
	p.n_refs = 1;
	if (kind == SIG_ACK) {
		if (!strcmp(ack, "112-called")) {
			p.ack = ACK_CALLED_112;
			p.called112 = true;
		} else if (!strcmp(ack, "looking")) {
			p.ack = ACK_LOOKING;
		} else if (!strcmp(ack, "text") && p.description[0]) {
			p.ack = ACK_TEXT;
		} else {
			reply_error(q, "invalid", "ack: one of 112-called, looking, or text (with text)");
			view_free(&s);
			return;
		}
	}
	uint64_t left = head->expires > (uint64_t)time(NULL) ? head->expires - (uint64_t)time(NULL) : 3600;
	publish_signal(q, &p, share || head->shared > 0, left < 3600 ? 3600 : left);
	view_free(&s);
	sodium_memzero(&p, sizeof(p));
}

static void op_ack(struct req *q) { op_reply_to(q, SIG_ACK); }
static void op_resolve(struct req *q) { op_reply_to(q, SIG_ALLCLEAR); }

static void op_retract(struct req *q)
{
	struct sigset s;
	struct record r;
	char ref[80], hex[65];
	int err;

	if (!need_member(q))
		return;
	if (mpmap_str(q->m, "ref", ref, sizeof(ref)) < 0) {
		reply_error(q, "invalid", "ref: the id of the signal to retract");
		return;
	}
	if (view_collect(&q->d->node, &s) < 0) {
		reply_error(q, "internal", "cannot read the store");
		return;
	}
	const struct sigent *e = view_find(&s, ref, &err);
	if (!e) {
		reply_error(q, err == SAMEN_ENOTFOUND ? "not-found" : "invalid", "ref: '%s' %s", ref,
			    err == SAMEN_ENOTFOUND ? "is not a signal here" : "is not a unique id prefix");
		view_free(&s);
		return;
	}
	char reason[sizeof(r.u.retraction.reason)] = "";
	if (!opt_str(q, "reason", reason, sizeof(reason))) {
		view_free(&s);
		return;
	}
	/* fields checked first: a number reserved is a number used */
	int ret = node_prepare(&q->d->node, &r, REC_RETRACTION);
	if (ret == 0) {
		memcpy(r.u.retraction.target, e->id, 32);
		memcpy(r.u.retraction.reason, reason, sizeof(reason));
		ret = node_publish(&q->d->node, &r, NULL);
	}
	view_free(&s);
	if (ret < 0) {
		reply_err_code(q, ret == SAMEN_ENOCERT ? SAMEN_EROLE : ret,
			       "not retracted (only a coordinator or the author can retract)");
		return;
	}
	gossip_flush(q->d);
	view_hex(r.id, hex);
	mpmap_put_str(reply_ok(q, 1), "id", hex);
}

static void op_list(struct req *q)
{
	struct sigset s;
	uint64_t limit = 50;
	bool all = false;
	if (!opt_uint(q, "limit", 100000, &limit) || !opt_bool(q, "all", &all))
		return;
	if (view_collect(&q->d->node, &s) < 0) {
		reply_error(q, "internal", "cannot read the store");
		return;
	}
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

static void op_show(struct req *q)
{
	struct sigset s;
	char id[80];
	int err;
	if (mpmap_str(q->m, "id", id, sizeof(id)) < 0) {
		reply_error(q, "invalid", "id: the id (or a unique prefix of 8+ characters) of a signal");
		return;
	}
	if (view_collect(&q->d->node, &s) < 0) {
		reply_error(q, "internal", "cannot read the store");
		return;
	}
	const struct sigent *e = view_find(&s, id, &err);
	if (!e) {
		reply_error(q, err == SAMEN_ENOTFOUND ? "not-found" : "invalid", "id: '%s' %s", id,
			    err == SAMEN_ENOTFOUND ? "is not a signal here" : "is not a unique id prefix");
		view_free(&s);
		return;
	}
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

static void op_watch(struct req *q)
{
	struct daemon *d = q->d;
	if (d->n_watchers == WATCHERS_MAX) {
		reply_error(q, "internal", "too many watchers (%d)", WATCHERS_MAX);
		return;
	}
	uint64_t since = 0;
	bool replay = mpmap_find(q->m, "since") != NULL;
	if (replay && !opt_uint(q, "since", UINT64_MAX, &since))
		return;
	struct watcher *w = &d->watchers[d->n_watchers++];
	memcpy(w->rid, q->rid, q->rid_len);
	w->rid_len = q->rid_len;
	reply_ok(q, 0);
	/* the events follow the reply, which control_handle sends first */
	q->replay = replay;
	q->replay_since = since;
}

static void op_peers(struct req *q)
{
	struct daemon *d = q->d;
	size_t n = 0;
	for (size_t i = 0; i < d->n_links; i++)
		n += d->links[i].used;
	msgpack_packer *pk = reply_ok(q, 1);
	mpmap_put_key(pk, "peers");
	msgpack_pack_array(pk, n);
	uint64_t now = daemon_now_ms();
	for (size_t i = 0; i < d->n_links; i++) {
		struct link *l = &d->links[i];
		char key[KEYTEXT_LEN], label[LABEL_MAX + 1];
		if (!l->used)
			continue;
		keytext_encode(l->key, key);
		view_label(&d->node, l->key, label, sizeof(label));
		msgpack_pack_map(pk, 6);
		mpmap_put_str(pk, "key", key);
		mpmap_put_str(pk, "label", label);
		mpmap_put_str(pk, "endpoint", l->endpoint);
		mpmap_put_str(pk, "direction", l->dir == DIR_OUT ? "out" : "in");
		mpmap_put_bool(pk, "up", l->up);
		mpmap_put_uint(pk, "since", l->since_ms ? (now - l->since_ms) / 1000 : 0);
	}
}

static void op_members(struct req *q)
{
	struct daemon *d = q->d;
	uint64_t now = (uint64_t)time(NULL);
	static const unsigned roles[] = {ROLE_MEMBER, ROLE_RELAY, ROLE_AUTHORITY};
	uint8_t(*keys[3])[32] = {NULL, NULL, NULL};
	size_t counts[3] = {0, 0, 0}, total = 0;
	if (!need_member(q))
		return;
	for (size_t r = 0; r < 3; r++) {
		size_t n = membership_list(d->node.mem, roles[r], now, NULL, 0);
		keys[r] = calloc(n ? n : 1, 32);
		if (keys[r])
			counts[r] = membership_list(d->node.mem, roles[r], now, keys[r], n);
		total += counts[r];
	}
	msgpack_packer *pk = reply_ok(q, 1);
	mpmap_put_key(pk, "members");
	msgpack_pack_array(pk, total);
	for (size_t r = 0; r < 3; r++)
		for (size_t i = 0; i < counts[r]; i++) {
			char key[KEYTEXT_LEN], fp[FINGERPRINT_LEN], label[LABEL_MAX + 1];
			unsigned role = roles[r];
			if (role == ROLE_MEMBER &&
			    (memcmp(keys[r][i], d->node.nbhd, 32) == 0 ||
			     membership_check(d->node.mem, keys[r][i], ROLE_COORDINATOR, now, NULL) == 0))
				role = ROLE_COORDINATOR;
			keytext_encode(keys[r][i], key);
			keytext_fingerprint(keys[r][i], fp);
			view_label(&d->node, keys[r][i], label, sizeof(label));
			msgpack_pack_map(pk, 4);
			mpmap_put_str(pk, "key", key);
			mpmap_put_str(pk, "fingerprint", fp);
			mpmap_put_str(pk, "role",
				      memcmp(keys[r][i], d->node.nbhd, 32) == 0 ? "founder"
										: record_role_name(role));
			mpmap_put_str(pk, "label", label);
		}
	for (size_t r = 0; r < 3; r++)
		free(keys[r]);
}

static void op_status(struct req *q)
{
	struct daemon *d = q->d;
	struct store_stats st;
	char key[KEYTEXT_LEN], fp[FINGERPRINT_LEN], nbhd[KEYTEXT_LEN] = "";
	memset(&st, 0, sizeof(st));
	if (store_stats(d->node.store, &st) < 0)
		log_msg(SLOG_WARN, "cannot read store statistics");
	keytext_encode(d->node.id->pk, key);
	keytext_fingerprint(d->node.id->pk, fp);
	if (d->node.have_nbhd)
		keytext_encode(d->node.nbhd, nbhd);
	unsigned role = node_my_role(&d->node);
	const struct epoch *e = node_current_epoch(&d->node);
	msgpack_packer *pk = reply_ok(q, 14);
	size_t eager = 0;
	for (size_t i = 0; i < d->n_links; i++)
		eager += d->links[i].used && d->links[i].up && !d->links[i].lazy;
	mpmap_put_key(pk, "traffic");
	msgpack_pack_map(pk, 6);
	mpmap_put_uint(pk, "eager_links", eager);
	mpmap_put_uint(pk, "records_sent", d->sent_records);
	mpmap_put_uint(pk, "record_bytes_sent", d->sent_record_bytes);
	mpmap_put_uint(pk, "ihave_ids_sent", d->sent_ihave_ids);
	mpmap_put_uint(pk, "grafts_sent", d->sent_grafts);
	mpmap_put_uint(pk, "prunes_sent", d->sent_prunes);
	mpmap_put_str(pk, "key", key);
	mpmap_put_str(pk, "fingerprint", fp);
	mpmap_put_str(pk, "nbhd", nbhd);
	/* a revoked household is told so, not left to guess from "none" */
	bool revoked = d->node.mem && membership_is_revoked(d->node.mem, d->node.id->pk) == 1;
	mpmap_put_str(pk, "role", d->node.n_served ? "relay"
				  : revoked ? "revoked"
				  : !role   ? (d->join.active ? "joining" : "none")
				  : memcmp(d->node.id->pk, d->node.nbhd, 32) == 0 ? "founder"
										   : record_role_name(role));
	mpmap_put_uint(pk, "links", net_links_up(d));
	mpmap_put_uint(pk, "records", st.records);
	mpmap_put_uint(pk, "store_bytes", st.used_bytes);
	mpmap_put_uint(pk, "epoch", e ? e->number : 0);
	mpmap_put_uint(pk, "uptime", (daemon_now_ms() - d->started_ms) / 1000);
	mpmap_put_uint(pk, "links_refused", d->counters_links_refused);
	mpmap_put_uint(pk, "links_refused_by_peers", d->counters_links_refused_by_peers);
	mpmap_put_str(pk, "join", d->join.state);
	mpmap_put_key(pk, "counters");
	size_t n = 0;
	for (int i = 1; i < RJ_COUNT; i++)
		n += d->node.counters[i] != 0;
	n += d->counters_skip_clamped != 0;
	msgpack_pack_map(pk, n + 2 + BOUND_COUNT);
	mpmap_put_uint(pk, "stored", d->node.stored_total);
	mpmap_put_uint(pk, "peer-cutoffs", d->counters_peer_cutoffs);
	for (int i = 0; i < BOUND_COUNT; i++)
		mpmap_put_uint(pk, net_bound_name((enum bound)i), d->counters_bounds[i]);
	for (int i = 1; i < RJ_COUNT; i++)
		if (d->node.counters[i])
			mpmap_put_uint(pk, reject_name((enum reject)i), d->node.counters[i]);
	if (d->counters_skip_clamped)
		mpmap_put_uint(pk, "skip-clamped", d->counters_skip_clamped);
}

static void op_revoke(struct req *q)
{
	struct record r;
	uint8_t key[32];
	bool cascade = false;
	char hex[65];
	if (!need_coordinator(q) || !req_key(q, "key", key) || !opt_bool(q, "cascade", &cascade))
		return;
	if (memcmp(key, q->d->node.nbhd, 32) == 0) {
		reply_error(q, "forbidden", "nobody can revoke the founder");
		return;
	}
	char reason[sizeof(r.u.rev.reason)] = "";
	if (!opt_str(q, "reason", reason, sizeof(reason)))
		return;
	/* A second key-only revocation would change nothing but the record
	 * count (and start another epoch for nothing); a cascade may still
	 * add the revocation of what the key certified. */
	if (!cascade && membership_is_revoked(q->d->node.mem, key) == 1) {
		reply_error(q, "invalid", "this key is revoked already (--cascade would also "
			    "revoke what it certified)");
		return;
	}
	/* what the key signed up to now keeps its authority; nothing later,
	 * whatever date it carries */
	struct store_vv_entry seen;
	int ret = store_vv_get(q->d->node.store, key, &seen);
	if (ret == 0)
		ret = node_prepare(&q->d->node, &r, REC_REVOCATION);
	if (ret == 0) {
		memcpy(r.u.rev.subject, key, 32);
		r.u.rev.scope = cascade ? REVOKE_CASCADE : REVOKE_KEY;
		r.u.rev.has_upto = true;
		r.u.rev.upto = seen.max;
		memcpy(r.u.rev.reason, reason, sizeof(reason));
		ret = node_publish(&q->d->node, &r, NULL);
	}
	if (ret == 0 && node_rekey_needed(&q->d->node))
		ret = node_rekey(&q->d->node);
	if (ret < 0) {
		reply_err_code(q, ret, "not revoked");
		return;
	}
	gossip_flush(q->d);
	const struct epoch *e = node_current_epoch(&q->d->node);
	view_hex(r.id, hex);
	msgpack_packer *pk = reply_ok(q, 2);
	mpmap_put_str(pk, "id", hex);
	mpmap_put_uint(pk, "epoch", e ? e->number : 0);
}

/* A coordinator certifies a key directly: a relay, an authority, or a
 * member admitted in person rather than by invite. */
static void op_certify(struct req *q)
{
	struct record r;
	uint8_t key[32];
	char role_s[16] = "", hex[65];
	uint64_t days = 365;
	if (!need_coordinator(q) || !req_key(q, "key", key) || !opt_str(q, "role", role_s, sizeof(role_s)) ||
	    !opt_uint(q, "days", 3650, &days))
		return;
	int role = record_role_parse(role_s);
	if (role < 0) {
		reply_error(q, "invalid", "role: one of member, coordinator, relay, authority");
		return;
	}
	if (role == ROLE_COORDINATOR && memcmp(q->d->node.id->pk, q->d->node.nbhd, 32) != 0) {
		reply_error(q, "forbidden", "only the founder certifies coordinators");
		return;
	}
	char label[sizeof(r.u.cert.label)] = "";
	if (!opt_str(q, "label", label, sizeof(label)))
		return;
	if (strpbrk(label, "\n\t")) {
		reply_error(q, "invalid", "label: one line");
		return;
	}
	int ret = node_prepare(&q->d->node, &r, REC_CERT);
	if (ret == 0) {
		memcpy(r.u.cert.subject, key, 32);
		r.u.cert.role = (uint8_t)role;
		memcpy(r.u.cert.label, label, sizeof(label));
		r.u.cert.not_before = r.created - 300;
		r.u.cert.not_after = r.created + (days ? days : 1) * 86400;
		ret = node_publish(&q->d->node, &r, NULL);
	}
	if (ret < 0) {
		reply_err_code(q, ret, "not certified");
		return;
	}
	gossip_flush(q->d);
	view_hex(r.id, hex);
	mpmap_put_str(reply_ok(q, 1), "cert", hex);
}

static int announce_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct req *q = ctx;
	struct record r;
	char hex[65], key[KEYTEXT_LEN], label[LABEL_MAX + 1];
	static const char *const kinds[] = {"", "lookout", "found", "enroute", "info"};
	(void)id;
	if (record_decode(data, len, &r) != 0)
		return 0;
	view_hex(r.id, hex);
	keytext_encode(r.author, key);
	view_label(&q->d->node, r.author, label, sizeof(label));
	msgpack_pack_map(&q->out.pk, 8);
	mpmap_put_str(&q->out.pk, "id", hex);
	mpmap_put_str(&q->out.pk, "author", key);
	mpmap_put_str(&q->out.pk, "label", label);
	mpmap_put_uint(&q->out.pk, "created", r.created);
	mpmap_put_uint(&q->out.pk, "expires", r.u.announce.expires);
	mpmap_put_str(&q->out.pk, "kind", kinds[r.u.announce.kind]);
	mpmap_put_str(&q->out.pk, "text", r.u.announce.text);
	mpmap_put_str(&q->out.pk, "where", r.u.announce.where);
	return 0;
}

static int count_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	(void)id, (void)data, (void)len;
	++*(size_t *)ctx;
	return 0;
}

static void op_announcements(struct req *q)
{
	size_t n = 0;
	if (!need_member(q))
		return;
	(void)store_each_by_kind(q->d->node.store, q->d->node.nbhd, REC_ANNOUNCE, count_one, &n);
	msgpack_packer *pk = reply_ok(q, 1);
	mpmap_put_key(pk, "announcements");
	msgpack_pack_array(pk, n);
	(void)store_each_by_kind(q->d->node.store, q->d->node.nbhd, REC_ANNOUNCE, announce_one, q);
}

static void op_import(struct req *q)
{
	const msgpack_object *recs = mpmap_find(q->m, "records");
	if (!recs || recs->type != MSGPACK_OBJECT_ARRAY || recs->via.array.size > LINK_RECORDS_MAX) {
		reply_error(q, "invalid", "records: an array of at most %d records", LINK_RECORDS_MAX);
		return;
	}
	if (!q->d->node.have_nbhd) {
		reply_error(q, "not-member", "no neighbourhood configured: set 'neighbourhood' first");
		return;
	}
	size_t n = recs->via.array.size;
	const uint8_t *ptrs[LINK_RECORDS_MAX];
	size_t lens[LINK_RECORDS_MAX];
	enum reject v[LINK_RECORDS_MAX];
	for (size_t i = 0; i < n; i++)
		if (mp_get_bin(&recs->via.array.ptr[i], RECORD_MAX, 1, &ptrs[i], &lens[i]) < 0) {
			reply_error(q, "invalid", "records: element %zu is not a record", i);
			return;
		}
	int ret = node_ingest(&q->d->node, ptrs, lens, n, NULL, v);
	if (ret < 0) {
		reply_err_code(q, ret, "not imported");
		return;
	}
	gossip_flush(q->d);
	msgpack_packer *pk = reply_ok(q, 2);
	mpmap_put_uint(pk, "stored", (uint64_t)ret);
	mpmap_put_key(pk, "verdicts");
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		mp_pack_str(pk, reject_name(v[i]));
}

static void op_invite(struct req *q)
{
	bool pre = false;
	uint64_t hours = 72;
	char label[LABEL_MAX + 1] = "", code[512];
	if (!need_coordinator(q) || !opt_bool(q, "preapproved", &pre) ||
	    !opt_uint(q, "hours", 24 * 30, &hours) || !opt_str(q, "label", label, sizeof(label)))
		return;
	if (!q->d->cfg->join_listen[0]) {
		reply_error(q, "invalid", "this daemon has no join socket: set join_listen in its config");
		return;
	}
	int ret = join_invite(q->d, pre, hours ? hours : 1, label, code, sizeof(code));
	if (ret < 0) {
		reply_err_code(q, ret, "no invite made");
		return;
	}
	msgpack_packer *pk = reply_ok(q, 1);
	mpmap_put_str(pk, "code", code);
}

static void op_pending(struct req *q)
{
	struct daemon *d = q->d;
	size_t n = 0;
	if (!need_coordinator(q))
		return;
	for (size_t i = 0; i < d->n_invites; i++)
		n += d->invites[i].pending;
	msgpack_packer *pk = reply_ok(q, 1);
	mpmap_put_key(pk, "pending");
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < d->n_invites; i++) {
		const struct invite *v = &d->invites[i];
		char key[KEYTEXT_LEN], fp[FINGERPRINT_LEN];
		if (!v->pending)
			continue;
		keytext_encode(v->joiner, key);
		keytext_fingerprint(v->joiner, fp);
		msgpack_pack_map(pk, 4);
		mpmap_put_str(pk, "key", key);
		mpmap_put_str(pk, "fingerprint", fp);
		mpmap_put_str(pk, "label", v->joiner_label);
		mpmap_put_uint(pk, "since", v->since);
	}
}

static void op_approve(struct req *q)
{
	uint8_t key[32], cert[32];
	char hex[65];
	if (!need_coordinator(q) || !req_key(q, "key", key))
		return;
	int ret = join_approve(q->d, key, cert);
	if (ret < 0) {
		reply_err_code(q, ret, "not approved");
		return;
	}
	view_hex(cert, hex);
	mpmap_put_str(reply_ok(q, 1), "cert", hex);
}

static void op_join(struct req *q)
{
	char code[512], label[LABEL_MAX + 1] = "";
	if (mpmap_str(q->m, "code", code, sizeof(code)) < 0) {
		reply_error(q, "invalid", "code: the invite code your coordinator gave you");
		return;
	}
	if (!opt_str(q, "label", label, sizeof(label)))
		return;
	if (q->d->node.have_nbhd && node_my_role(&q->d->node)) {
		reply_error(q, "invalid", "this household is a member already");
		return;
	}
	int ret = join_start(q->d, code, label);
	if (ret < 0) {
		reply_error(q, "invalid", "code: %s", ret == SAMEN_EEXPIRED ? "the invite has expired; "
			    "ask for a new one" : "not a samen invite code (check for a missing piece)");
		return;
	}
	/* the answer waits for the coordinator's: an unknown code is refused
	 * there, and the household should hear it, not read it in a log */
	join_answer_later(q->d, q->rid, q->rid_len);
	q->replied = q->deferred = true;
}

static const struct op {
	const char *name;
	void (*fn)(struct req *);
	const char *const fields[16];
} ops[] = {
	{"send", op_send, {"op", "category", "description", "where", "severity", "lat_e6", "lon_e6",
			   "radius_m", "called112", "share", "status", "expires_in", "kind", "refs", NULL}},
	{"ack", op_ack, {"op", "ref", "ack", "text", "share", NULL}},
	{"resolve", op_resolve, {"op", "ref", "text", "share", NULL}},
	{"retract", op_retract, {"op", "ref", "reason", NULL}},
	{"list", op_list, {"op", "limit", "all", NULL}},
	{"show", op_show, {"op", "id", NULL}},
	{"watch", op_watch, {"op", "since", NULL}},
	{"peers", op_peers, {"op", NULL}},
	{"members", op_members, {"op", NULL}},
	{"status", op_status, {"op", NULL}},
	{"invite", op_invite, {"op", "preapproved", "hours", "label", NULL}},
	{"pending", op_pending, {"op", NULL}},
	{"approve", op_approve, {"op", "key", NULL}},
	{"revoke", op_revoke, {"op", "key", "cascade", "reason", NULL}},
	{"join", op_join, {"op", "code", "label", NULL}},
	{"import", op_import, {"op", "records", NULL}},
	{"certify", op_certify, {"op", "key", "role", "label", "days", NULL}},
	{"announcements", op_announcements, {"op", NULL}},
};

static void dispatch(struct req *q)
{
	char op[32], bad[96];
	if (mpmap_check(q->m, NULL, bad, sizeof(bad)) < 0 ||
	    mpmap_str(q->m, "op", op, sizeof(op)) < 0) {
		reply_error(q, "invalid", "a request is a map with an 'op' field (%s)", bad);
		return;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(op, ops[i].name) != 0)
			continue;
		if (mpmap_check(q->m, ops[i].fields, bad, sizeof(bad)) < 0) {
			reply_error(q, "invalid", "%s: %s", op, bad);
			return;
		}
		ops[i].fn(q);
		return;
	}
	reply_error(q, "invalid", "unknown op '%s'", op);
}

void control_handle(struct daemon *d)
{
	for (int budget = 0; budget < 64; budget++) {
		zmq_msg_t rid, body;
		int more = 0;
		size_t sz = sizeof(more);
		zmq_msg_init(&rid);
		if (zmq_msg_recv(&rid, d->ctl, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&rid);
			return;
		}
		zmq_getsockopt(d->ctl, ZMQ_RCVMORE, &more, &sz);
		zmq_msg_init(&body);
		if (!more || zmq_msg_recv(&body, d->ctl, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&rid);
			zmq_msg_close(&body);
			continue;
		}
		/* drop any further frames: one request is one frame */
		while (zmq_getsockopt(d->ctl, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
			zmq_msg_t junk;
			zmq_msg_init(&junk);
			zmq_msg_recv(&junk, d->ctl, ZMQ_DONTWAIT);
			zmq_msg_close(&junk);
		}
		struct req q;
		msgpack_unpacked u;
		memset(&q, 0, sizeof(q));
		q.d = d;
		q.rid = zmq_msg_data(&rid);
		q.rid_len = zmq_msg_size(&rid);
		mp_buf_init(&q.out);
		msgpack_unpacked_init(&u);
		int ret = mp_unpack(zmq_msg_data(&body), zmq_msg_size(&body), CTL_DEPTH, &u);
		if (ret < 0) {
			reply_error(&q, "invalid", "request is not valid msgpack: %s", samen_strerror(ret));
		} else {
			q.m = &u.data;
			dispatch(&q);
		}
		if (!q.replied)
			reply_error(&q, "internal", "no reply was produced");
		if (!q.deferred)
			send_frame(d, q.rid, q.rid_len, q.out.sb.data, q.out.sb.size);
		if (q.replay)
			events_replay(d, q.rid, q.rid_len, q.replay_since);
		msgpack_unpacked_destroy(&u);
		mp_buf_destroy(&q.out);
		zmq_msg_close(&rid);
		zmq_msg_close(&body);
	}
}

