/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * render_show.c — one signal in full (`samen show`, with its thread) and the
 * events of `samen watch`, from the views render.c parses.
 */
#include "render.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "fields.h"
#include "render_int.h"
#include "../proto/mpmap.h"
#include "../proto/signal.h"

/* ---- show ---- */

#define SHOW_INDENT 16

static void show_key(const struct out *o, const char *key)
{
	fprintf(o->f, "  %-*s", SHOW_INDENT - 2, key);
}

static void show_line(const struct out *o, const char *key, struct text t)
{
	show_key(o, key);
	term_block(o->f, t, SHOW_INDENT);
	fputc('\n', o->f);
}

static const char *state_colour(struct text st)
{
	return text_is(st, "resolved") ? SGR_GREEN : text_is(st, "open") || text_is(st, "112-called") ? SGR_RED
									       : SGR_DIM;
}

static void show_head(const struct out *o, const struct view *v)
{
	struct text st = view_state(o, v);
	FILE *f = o->f;

	term_sgr(o, SGR_BOLD);
	fputs(drill_tag(v), f);
	put_upper(f, v->kind);
	fprintf(f, " %.*s  ", ID_SHORT, v->id.p);
	if (v->readable) {
		term_text(f, TXT(v->category), true);
		fputs(", ", f);
		term_text(f, TXT(v->severity), true);
	} else {
		term_text(f, TXT(v->description), true);
	}
	term_sgr(o, SGR_RESET);
	fputs("  [", f);
	term_sgr(o, state_colour(st));
	term_text(f, TXT(st), true);
	term_sgr(o, SGR_RESET);
	fputs("]\n", f);
}

static void show_times(const struct out *o, const struct view *v)
{
	char when[64], rel[64];
	uint64_t now = (uint64_t)o->now;

	term_time(when, sizeof(when), v->created, T_MINUTE);
	term_age(rel, sizeof(rel), o->now, v->created);
	show_key(o, "sent");
	fprintf(o->f, "%s (%s)\n", when, rel);
	term_time(when, sizeof(when), v->expires, T_MINUTE);
	term_span(rel, sizeof(rel), v->expires > now ? v->expires - now : now - v->expires);
	show_key(o, v->expires > now ? "expires" : "expired");
	fprintf(o->f, v->expires > now ? "%s (in %s)\n" : "%s (%s ago)\n", when, rel);
}

static void show_signal(const struct out *o, const struct view *v)
{
	FILE *f = o->f;

	show_head(o, v);
	if (v->readable) {
		show_key(o, "where");
		term_block(f, v->where, SHOW_INDENT);
		if (v->has_point) {
			char pt[64];
			term_point(pt, sizeof(pt), v->lat_e6, v->lon_e6);
			fprintf(f, "%s(%s, radius %" PRIu64 " m)", v->where.n ? "  " : "", pt,
				v->radius_m);
		}
		fputc('\n', f);
		show_line(o, "what", v->description);
	}
	show_key(o, "from");
	term_text(f, TXT(v->label), true);
	fputs(" (", f);
	term_text(f, TXT(v->author), true);
	fprintf(f, ", seq %" PRIu64 ")\n", v->seq);
	show_times(o, v);
	if (v->readable) {
		show_key(o, "112 called");
		fputs(v->called112 ? "yes\n" : "no\n", f);
	}
	if (!text_is(v->ack, "none"))
		show_line(o, "ack", v->ack);
	if (v->has_looking) {
		show_key(o, "looking");
		fprintf(f, "%" PRIu64 " household%s\n", v->looking, v->looking == 1 ? "" : "s");
	}
	if (v->has_receipts) {
		show_key(o, "receipts");
		put_receipts(f, v->delivered, v->households, v->seen);
		fputc('\n', f);
	}
	show_key(o, "shared");
	if (v->shared)
		fprintf(f, "with %" PRIu64 " authorit%s\n", v->shared, v->shared == 1 ? "y" : "ies");
	else
		fputs("with the neighbourhood only\n", f);
	if (v->readable)
		show_line(o, "status", v->status);
	if (v->refs->size) {
		show_key(o, "refers to");
		for (uint32_t i = 0; i < v->refs->size; i++)
			fprintf(f, "%s%.*s", i ? " " : "", ID_SHORT, v->refs->ptr[i].via.str.ptr);
		fputc('\n', f);
	}
	show_line(o, "id", v->id);
}

/* One reply in a thread: "  2 min ago  ack: looking  by Kerkstraat". */
static void thread_item(const struct out *o, const struct view *v)
{
	char age[32];
	FILE *f = o->f;

	term_age(age, sizeof(age), o->now, v->created);
	fprintf(f, "  %-12s%.*s  ", age, ID_SHORT, v->id.p);
	fputs(drill_tag(v), f);
	term_text(f, TXT(v->kind), true);
	if (text_is(v->kind, "ack") && !text_is(v->ack, "text") && !text_is(v->ack, "none")) {
		fputs(": ", f);
		term_text(f, TXT(v->ack), true);
	}
	if (v->called112 && !text_is(v->ack, "112-called"))
		fputs(", 112 called", f);
	fputs("  by ", f);
	term_text(f, TXT(v->label), true);
	if (v->retracted)
		fputs("  [retracted]", f);
	fputc('\n', f);
	if (v->description.n) {
		fprintf(f, "%*s", 24, "");
		term_block(f, v->description, 24);
		fputc('\n', f);
	}
}

int render_show(struct out *o, const msgpack_object *r)
{
	const msgpack_object *sig = mpmap_find(r, "signal");
	const msgpack_object_array *thread;
	struct view v;

	if (!sig)
		return field_bad(o, "signal");
	if (view_parse(o, sig, &v) < 0)
		return SAMEN_EMALFORMED;
	if (field_array(o, r, "thread", &thread) < 0)
		return SAMEN_EMALFORMED;
	show_signal(o, &v);
	if (thread->size == 0) {
		fputs("no replies yet\n", o->f);
		return 0;
	}
	fprintf(o->f, "thread (%" PRIu32 " repl%s):\n", thread->size, thread->size == 1 ? "y" : "ies");
	for (uint32_t i = 0; i < thread->size; i++) {
		if (view_parse(o, &thread->ptr[i], &v) < 0)
			return SAMEN_EMALFORMED;
		thread_item(o, &v);
	}
	return 0;
}

/* ---- watch ---- */

static void event_time(const struct out *o, uint64_t created)
{
	char when[64];
	term_time(when, sizeof(when), created,
		 term_same_day(term_to_time(created), o->now) ? T_CLOCK : T_MINUTE);
	fprintf(o->f, "[%s] ", when);
}

static const char *signal_colour(const struct view *v)
{
	if (text_is(v->kind, "all-clear"))
		return SGR_GREEN;
	if (text_is(v->kind, "ack"))
		return SGR_CYAN;
	if (text_is(v->severity, "severe") || text_is(v->severity, "extreme"))
		return SGR_RED;
	return text_is(v->severity, "moderate") ? SGR_YELLOW : SGR_BOLD;
}

/* How loud samend made the event (PROTOCOL.md section 8.1), said after
 * the first line's text: nothing for normal, which is most events. */
struct loudness {
	struct text level;
	uint64_t repeat;      /* the n-th repeat, or 0 */
	bool escalation;
	uint64_t after;       /* seconds unanswered */
};

static void put_loudness(const struct out *o, const struct loudness *l)
{
	FILE *f = o->f;
	bool shown = l->level.n && !text_is(l->level, "normal");
	if (!shown && !l->repeat)
		return;
	fputs(" [", f);
	if (shown)
		term_text(f, TXT(l->level), true);
	if (l->repeat)
		fprintf(f, "%srepeat %" PRIu64, shown ? ", " : "", l->repeat);
	fputc(']', f);
}

static void event_signal(const struct out *o, const struct view *v, const struct loudness *l)
{
	FILE *f = o->f;
	bool reply = text_is(v->kind, "ack") || text_is(v->kind, "all-clear") ||
		     text_is(v->kind, "update");

	event_time(o, v->created);
	if (l->escalation) {
		term_sgr(o, SGR_RED);
		fprintf(f, "NO ANSWER after %" PRIu64 " min (to coordinators): ", (l->after + 59) / 60);
	}
	term_sgr(o, signal_colour(v));
	fputs(drill_tag(v), f);
	put_upper(f, v->kind);
	if (text_is(v->kind, "ack") && !text_is(v->ack, "text") && !text_is(v->ack, "none")) {
		fputs(" ", f);
		term_text(f, TXT(v->ack), true);
	}
	if (reply && v->refs->size)
		fprintf(f, " on %.*s", ID_SHORT, v->refs->ptr[0].via.str.ptr);
	if (v->readable && !text_is(v->kind, "ack") && !text_is(v->kind, "all-clear")) {
		fputc(' ', f);
		term_text(f, TXT(v->category), true);
		fputs(", ", f);
		term_text(f, TXT(v->severity), true);
	}
	term_sgr(o, SGR_RESET);
	if (v->where.n) {
		fputs(" - ", f);
		term_text(f, TXT(v->where), true);
	}
	put_loudness(o, l);
	fputc('\n', f);
	if (v->description.n) {
		fputs("  ", f);
		term_block(f, v->description, 2);
		fputc('\n', f);
	}
	fputs("  by ", f);
	term_text(f, TXT(v->label), true);
	if (v->called112)
		fputs(", 112 called", f);
	if (v->has_point) {
		char pt[64];
		term_point(pt, sizeof(pt), v->lat_e6, v->lon_e6);
		fprintf(f, ", near %s (%" PRIu64 " m)", pt, v->radius_m);
	}
	fprintf(f, ", id %.*s\n\n", ID_SHORT, v->id.p);
}

static int event_announcement(struct out *o, const msgpack_object *m)
{
	static const struct {
		const char *kind, *title;
	} titles[] = {{"lookout", "LOOK OUT"},
		      {"found", "FOUND"},
		      {"enroute", "POLICE ON THEIR WAY"},
		      {"info", "INFORMATION"}};
	struct text id, label, kind, text, where;
	struct loudness l = {0};
	uint64_t created;
	const char *title = NULL;

	if (field_opt_str(o, m, "level", &l.level) < 0 ||
	    field_id(o, m, "id", &id) < 0 || field_str(o, m, "label", &label) < 0 ||
	    field_uint(o, m, "created", &created) < 0 || field_str(o, m, "kind", &kind) < 0 ||
	    field_str(o, m, "text", &text) < 0 || field_str(o, m, "where", &where) < 0)
		return SAMEN_EMALFORMED;
	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (text_is(kind, titles[i].kind))
			title = titles[i].title;
	event_time(o, created);
	term_sgr(o, SGR_BLUE);
	fputs("AUTHORITY: ", o->f);
	if (title)
		fputs(title, o->f);
	else
		term_text(o->f, TXT(kind), true);
	term_sgr(o, SGR_RESET);
	if (where.n) {
		fputs(" - ", o->f);
		term_text(o->f, TXT(where), true);
	}
	put_loudness(o, &l);
	fputs("\n  ", o->f);
	term_block(o->f, text, 2);
	fputs("\n  from ", o->f);
	term_text(o->f, TXT(label), true);
	fprintf(o->f, ", id %.*s\n\n", ID_SHORT, id.p);
	return 0;
}

/*
 * A retraction event. PROTOCOL.md does not list its fields; samend 0.1 sends
 * id, author, label, target (the retracted signal) and reason. "ref" is
 * taken for "target" too, and a "created" or "where" is shown if present.
 */
static int event_retraction(struct out *o, const msgpack_object *m)
{
	struct text id, ref = {"", 0}, reason, label, where;
	uint64_t created = (uint64_t)o->now;
	const char *tkey = mpmap_find(m, "target") ? "target" : "ref";

	if (field_id(o, m, "id", &id) < 0 ||
	    (mpmap_find(m, tkey) && field_id(o, m, tkey, &ref) < 0) ||
	    field_opt_str(o, m, "reason", &reason) < 0 || field_opt_str(o, m, "label", &label) < 0 ||
	    field_opt_str(o, m, "where", &where) < 0)
		return SAMEN_EMALFORMED;
	if (mpmap_find(m, "created") && field_uint(o, m, "created", &created) < 0)
		return SAMEN_EMALFORMED;
	event_time(o, created);
	term_sgr(o, SGR_DIM);
	fprintf(o->f, "RETRACTED %.*s", ID_SHORT, ref.n ? ref.p : id.p);
	term_sgr(o, SGR_RESET);
	if (where.n) {
		fputs(" - ", o->f);
		term_text(o->f, TXT(where), true);
	}
	fputc('\n', o->f);
	if (reason.n) {
		fputs("  reason: ", o->f);
		term_block(o->f, reason, 10);
		fputc('\n', o->f);
	}
	if (label.n) {
		fputs("  by ", o->f);
		term_text(o->f, TXT(label), true);
		fputc('\n', o->f);
	}
	fputc('\n', o->f);
	return 0;
}

int render_event(struct out *o, const msgpack_object *ev)
{
	struct text type;
	struct view v;

	if (field_str(o, ev, "event", &type) < 0)
		return SAMEN_EMALFORMED;
	if (text_is(type, "signal") || text_is(type, "escalation")) {
		/* PROTOCOL.md puts the view's fields beside "event"; samend 0.1
		 * nests them under "signal". Both are read. */
		const msgpack_object *nested = mpmap_find(ev, "signal");
		struct loudness l = {.escalation = text_is(type, "escalation")};
		if (view_parse(o, nested ? nested : ev, &v) < 0 ||
		    field_opt_str(o, ev, "level", &l.level) < 0 ||
		    (mpmap_find(ev, "repeat") && field_uint(o, ev, "repeat", &l.repeat) < 0) ||
		    (mpmap_find(ev, "after") && field_uint(o, ev, "after", &l.after) < 0))
			return SAMEN_EMALFORMED;
		event_signal(o, &v, &l);
		return 0;
	}
	if (text_is(type, "receipts")) {
		struct text id;
		uint64_t d, s, h;
		if (field_id(o, ev, "id", &id) < 0 || field_uint(o, ev, "delivered", &d) < 0 ||
		    field_uint(o, ev, "seen", &s) < 0 || field_uint(o, ev, "households", &h) < 0)
			return SAMEN_EMALFORMED;
		event_time(o, (uint64_t)o->now);
		term_sgr(o, SGR_DIM);
		fprintf(o->f, "RECEIPTS for %.*s: ", ID_SHORT, id.p);
		put_receipts(o->f, d, h, s);
		term_sgr(o, SGR_RESET);
		fputs("\n\n", o->f);
		return 0;
	}
	if (text_is(type, "announcement"))
		return event_announcement(o, ev);
	if (text_is(type, "retraction"))
		return event_retraction(o, ev);
	o->bad = "event type";
	return SAMEN_EKIND;
}
