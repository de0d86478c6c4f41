/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * events.c — see events.h.
 */
#include "events.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "clock.h"
#include "hook.h"
#include "log.h"
#include "node_epoch.h"
#include "policyfile.h"
#include "view.h"
#include "../keys/keytext.h"
#include "../proto/json.h"
#include "../proto/mp.h"
#include "../proto/mpmap.h"

/* What kind of event a record makes, for its level. */
static enum notify_level level_of(const struct events *es, const struct record *r,
				  const struct signal_plain *p)
{
	struct policy_event pe = {0};
	if (r->kind == REC_RETRACTION)
		return LEVEL_SILENT;
	if (r->kind == REC_ANNOUNCE) {
		pe.announcement = true;
		pe.kind = r->u.announce.kind;
	} else {
		pe.kind = p->kind;
		pe.category = p->category;
		pe.ack = p->ack;
		pe.called112 = p->called112;
		pe.drill = p->status != STATUS_REAL;
	}
	return policy_level(&es->policy, &pe);
}

/* How a signal event is told: first, again, or to a coordinator. */
struct telling {
	unsigned repeat;   /* the n-th repeat, or 0 */
	bool escalation;
	uint64_t after;    /* seconds unanswered, for an escalation */
};

/* Packs the event for r into ev; false when r makes none (a kind watchers
 * are not told of, or a signal this household cannot read). facts (may be
 * NULL) learns what the signal was. */
static bool event_pack(struct events *es, const struct record *r, const struct telling *t,
		       struct mp_buf *ev, struct event_facts *facts)
{
	char hex[65], key[KEYTEXT_LEN], label[LABEL_MAX + 1];
	int ok = 0;

	if (r->kind != REC_SIGNAL && r->kind != REC_ANNOUNCE && r->kind != REC_RETRACTION)
		return false;
	if (r->kind == REC_SIGNAL) {
		struct sigset one;
		struct sigent e;
		memset(&e, 0, sizeof(e));
		memcpy(e.id, r->id, 32);
		memcpy(e.author, r->author, 32);
		e.seq = r->seq;
		e.created = r->created;
		e.expires = r->u.signal.expires;
		e.shared = r->u.signal.n_sealed;
		e.readable = node_decrypt(es->node, r, &e.p) == 0;
		if (!e.readable) /* nothing to show a person */
			return false;
		one.node = es->node;
		one.e = &e;
		one.n = one.cap = 1;
		enum notify_level base = level_of(es, r, &e.p);
		enum notify_level now = policy_at(&es->policy, base, policyfile_minute_now());
		/* the event is the signal view with "event" and "level" in front */
		msgpack_pack_map(&ev->pk, 3 + (t->repeat || t->escalation));
		mpmap_put_str(&ev->pk, "event", t->escalation ? "escalation" : "signal");
		mpmap_put_str(&ev->pk, "level", policy_level_name(now));
		if (t->repeat)
			mpmap_put_uint(&ev->pk, "repeat", t->repeat);
		else if (t->escalation)
			mpmap_put_uint(&ev->pk, "after", t->after);
		mpmap_put_key(&ev->pk, "signal");
		ok = view_pack(&ev->pk, &one, &e) == 0;
		if (facts) {
			facts->readable = true;
			facts->level = base;
			facts->p = e.p;
			sodium_memzero(facts->p.description, sizeof(facts->p.description));
			sodium_memzero(facts->p.where, sizeof(facts->p.where));
		}
		sodium_memzero(&e, sizeof(e));
	} else {
		const char *level = policy_level_name(
			policy_at(&es->policy, level_of(es, r, NULL), policyfile_minute_now()));
		view_hex(r->id, hex);
		keytext_encode(r->author, key);
		view_label(es->node, r->author, label, sizeof(label));
		if (r->kind == REC_RETRACTION) {
			char target[65];
			view_hex(r->u.retraction.target, target);
			msgpack_pack_map(&ev->pk, 7);
			mpmap_put_str(&ev->pk, "event", "retraction");
			mpmap_put_str(&ev->pk, "level", level);
			mpmap_put_str(&ev->pk, "id", hex);
			mpmap_put_str(&ev->pk, "author", key);
			mpmap_put_str(&ev->pk, "label", label);
			mpmap_put_str(&ev->pk, "target", target);
			mpmap_put_str(&ev->pk, "reason", r->u.retraction.reason);
		} else {
			msgpack_pack_map(&ev->pk, 10);
			mpmap_put_str(&ev->pk, "event", "announcement");
			mpmap_put_str(&ev->pk, "level", level);
			mpmap_put_str(&ev->pk, "id", hex);
			mpmap_put_str(&ev->pk, "author", key);
			mpmap_put_str(&ev->pk, "label", label);
			mpmap_put_uint(&ev->pk, "created", r->created);
			mpmap_put_uint(&ev->pk, "expires", r->u.announce.expires);
			mpmap_put_str(&ev->pk, "kind", record_announce_kind_name(r->u.announce.kind));
			mpmap_put_str(&ev->pk, "text", r->u.announce.text);
			mpmap_put_str(&ev->pk, "where", r->u.announce.where);
		}
		ok = 1;
	}
	return ok;
}

/* One event to one watcher; false when it is gone. */
static bool send_to(struct events *es, const uint8_t *rid, size_t rid_len, const struct mp_buf *ev)
{
	int r = zmq_send(es->sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	if (r >= 0)
		r = zmq_send(es->sock, ev->sb.data, ev->sb.size, ZMQ_DONTWAIT);
	return !(r < 0 && errno == EHOSTUNREACH);
}

static void deliver_watchers(struct events *es, const struct mp_buf *ev)
{
	for (size_t i = 0; i < es->n_watchers;) {
		struct watcher *w = &es->watchers[i];
		if (!send_to(es, w->rid, w->rid_len, ev)) {
			es->watchers[i] = es->watchers[--es->n_watchers]; /* gone */
			continue;
		}
		i++;
	}
}

static void deliver(struct events *es, const struct mp_buf *ev)
{
	deliver_watchers(es, ev);
	if (!es->hook)
		return;
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);
	if (f && mp_unpack((const uint8_t *)ev->sb.data, ev->sb.size, CTL_DEPTH, &u) == 0 &&
	    json_write(f, &u.data) == 0 && fputc('\n', f) != EOF && fflush(f) == 0) {
		int r = hook_fire(es->hook, json, len, daemon_now_ms());
		if (r < 0)
			log_msg(SLOG_WARN, "hook not run: %s", samen_strerror(r));
	}
	if (f)
		fclose(f);
	if (json) {
		sodium_memzero(json, len);
		free(json);
	}
	msgpack_unpacked_destroy(&u);
}

void events_record_stored(struct events *es, const struct record *r, struct event_facts *facts)
{
	static const struct telling first;
	struct mp_buf ev;

	memset(facts, 0, sizeof(*facts));
	mp_buf_init(&ev);
	/* packed even with nobody to tell: the facts decide later reminders */
	if (event_pack(es, r, &first, &ev, facts) && (es->n_watchers || es->hook))
		deliver(es, &ev);
	mp_buf_destroy(&ev);
}

void events_receipt_counts(struct events *es, const uint8_t id[32])
{
	struct record r;
	struct mp_buf ev;
	uint8_t *buf;
	size_t len;
	char hex[65];

	if (!es->n_watchers)
		return;
	if (store_get(es->node->store, id, &buf, &len) != 0)
		return;
	if (record_decode(buf, len, &r) == 0 && r.kind == REC_SIGNAL) {
		mp_buf_init(&ev);
		view_hex(id, hex);
		msgpack_pack_map(&ev.pk, 6);
		mpmap_put_str(&ev.pk, "event", "receipts");
		mpmap_put_str(&ev.pk, "level", policy_level_name(LEVEL_SILENT));
		mpmap_put_str(&ev.pk, "id", hex);
		/* the watchers only: a hook is for what should make a sound */
		if (view_pack_receipts(&ev.pk, es->node, id, r.author) == 0)
			deliver_watchers(es, &ev);
		mp_buf_destroy(&ev);
	}
	free(buf);
}

bool events_remind(struct events *es, const uint8_t id[32], unsigned n, uint64_t after)
{
	struct telling t = {n, n == 0, after};
	struct record r;
	struct mp_buf ev;
	uint8_t *buf;
	size_t len;
	bool told = false;

	if (node_is_retracted(es->node, id) || store_get(es->node->store, id, &buf, &len) != 0)
		return false;
	mp_buf_init(&ev);
	if (record_decode(buf, len, &r) == 0 && r.kind == REC_SIGNAL &&
	    event_pack(es, &r, &t, &ev, NULL)) {
		deliver(es, &ev);
		told = true;
	}
	mp_buf_destroy(&ev);
	free(buf);
	return told;
}

bool events_full(const struct events *es)
{
	return es->n_watchers == WATCHERS_MAX;
}

void events_watch(struct events *es, const uint8_t *rid, size_t rid_len)
{
	struct watcher *w = &es->watchers[es->n_watchers++];
	memcpy(w->rid, rid, rid_len);
	w->rid_len = rid_len;
}

struct replay {
	struct events *es;
	const uint8_t *rid;
	size_t rid_len;
	uint64_t since;
	size_t sent;
};

static int replay_one(void *ctx, uint64_t cursor, const uint8_t id[32], const uint8_t *data,
		      size_t len)
{
	struct replay *rp = ctx;
	struct record r;
	struct mp_buf ev;
	(void)cursor;
	(void)id;

	if (record_decode(data, len, &r) != 0 || r.created < rp->since)
		return 0;
	mp_buf_init(&ev);
	static const struct telling first;
	bool packed = event_pack(rp->es, &r, &first, &ev, NULL);
	bool alive = !packed || send_to(rp->es, rp->rid, rp->rid_len, &ev);
	mp_buf_destroy(&ev);
	rp->sent += packed && alive;
	/* stop when the watcher left or had enough */
	return !alive || rp->sent >= EVENTS_REPLAY_MAX ? 1 : 0;
}

size_t events_replay(struct events *es, const uint8_t *rid, size_t rid_len, uint64_t since)
{
	struct replay rp = {es, rid, rid_len, since, 0};
	int r = store_each_from_cursor(es->node->store, 0, 0, replay_one, &rp);
	if (r < 0)
		log_msg(SLOG_WARN, "watch: replay stopped: %s", samen_strerror(r));
	return rp.sent;
}
