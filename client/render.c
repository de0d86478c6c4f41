/* SPDX-License-Identifier: EUPL-1.2 */
#include "render.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "fields.h"
#include "render_int.h"
#include "../proto/mpmap.h"
#include "../proto/signal.h"
#include "../proto/sigview.h"

/* ---- signal views ---- */



static int view_point(struct out *o, const msgpack_object *m, struct view *v)
{
	bool lat = mpmap_find(m, "lat_e6"), lon = mpmap_find(m, "lon_e6"),
	     rad = mpmap_find(m, "radius_m");
	v->has_point = lat || lon || rad;
	if (!v->has_point)
		return 0;
	if (mpmap_int(m, "lat_e6", -90000000, 90000000, &v->lat_e6) < 0)
		return field_bad(o, "lat_e6");
	if (mpmap_int(m, "lon_e6", -180000000, 180000000, &v->lon_e6) < 0)
		return field_bad(o, "lon_e6");
	if (mpmap_uint(m, "radius_m", RADIUS_MAX, &v->radius_m) < 0)
		return field_bad(o, "radius_m");
	return 0;
}

/* The plaintext fields, present when this household could decrypt it. */
static int view_plain(struct out *o, const msgpack_object *m, struct view *v)
{
	int r;

	if ((r = field_name(o, m, "kind", signal_kind_name, &v->kind)) < 0 ||
	    (r = field_name(o, m, "category", signal_category_name, &v->category)) < 0 ||
	    (r = field_name(o, m, "severity", signal_severity_name, &v->severity)) < 0 ||
	    (r = field_name(o, m, "status", signal_status_name, &v->status)) < 0 ||
	    (r = field_name(o, m, "ack", signal_ack_name, &v->ack)) < 0 ||
	    (r = field_bool(o, m, "called112", &v->called112)) < 0 ||
	    (r = field_str(o, m, "description", &v->description)) < 0 ||
	    (r = field_str(o, m, "where", &v->where)) < 0 ||
	    (r = field_array(o, m, "refs", &v->refs)) < 0 || (r = view_point(o, m, v)) < 0)
		return r;
	for (uint32_t i = 0; i < v->refs->size; i++) {
		if (!text_is_id(&v->refs->ptr[i]))
			return field_bad(o, "refs");
	}
	return 0;
}

/*
 * A signal view (PROTOCOL.md section 8). samend adds "readable": false for
 * a signal under an epoch key this household does not hold; such a view has
 * none of the plaintext fields, and is shown as "sealed".
 */
int view_parse(struct out *o, const msgpack_object *m, struct view *v)
{
	static const msgpack_object_array no_refs = {0, NULL};
	int r;

	memset(v, 0, sizeof(*v));
	if (m->type != MSGPACK_OBJECT_MAP)
		return field_bad(o, "signal view");
	v->readable = true;
	if ((r = field_id(o, m, "id", &v->id)) < 0 || (r = field_str(o, m, "author", &v->author)) < 0 ||
	    (r = field_str(o, m, "label", &v->label)) < 0 ||
	    (r = field_uint(o, m, "seq", &v->seq)) < 0 ||
	    (r = field_uint(o, m, "created", &v->created)) < 0 ||
	    (r = field_uint(o, m, "expires", &v->expires)) < 0 ||
	    (r = field_uint(o, m, SIGVIEW_SHARED_WITH, &v->shared)) < 0 ||
	    (r = field_bool(o, m, "retracted", &v->retracted)) < 0 ||
	    (mpmap_find(m, "readable") && (r = field_bool(o, m, "readable", &v->readable)) < 0))
		return r;
	if (v->readable) {
		if ((r = view_plain(o, m, v)) < 0)
			return r;
	} else {
		v->kind = T("sealed");
		v->category = v->severity = T("-");
		v->status = T("real");
		v->ack = T("none");
		v->description = T("(cannot be read here: no key for its epoch)");
		v->where = T("");
		v->refs = &no_refs;
	}
	if (!v->label.n)
		v->label = T("-"); /* a key without a (valid) certificate */
	v->has_state = mpmap_find(m, "state") != NULL;
	if (v->has_state && (r = field_str(o, m, "state", &v->state)) < 0)
		return r;
	v->has_looking = mpmap_find(m, "looking") != NULL;
	if (v->has_looking && (r = field_uint(o, m, "looking", &v->looking)) < 0)
		return r;
	/* samend before receipts sends none of the three */
	v->has_receipts = mpmap_find(m, "delivered") != NULL;
	if (v->has_receipts && ((r = field_uint(o, m, "delivered", &v->delivered)) < 0 ||
				(r = field_uint(o, m, "seen", &v->seen)) < 0 ||
				(r = field_uint(o, m, "households", &v->households)) < 0))
		return r;
	return 0;
}

void put_receipts(FILE *f, uint64_t delivered, uint64_t households, uint64_t seen)
{
	fprintf(f, "delivered to %" PRIu64 " of %" PRIu64 " household%s \xc2\xb7 seen by %" PRIu64 "",
		delivered, households, households == 1 ? "" : "s", seen);
}

/* What a row's STATE column says. */
struct text view_state(const struct out *o, const struct view *v)
{
	static const char *const fixed[] = {"retracted", "expired", "-"};
	const char *s = v->retracted ? fixed[0]
			: v->expires <= (uint64_t)o->now ? fixed[1]
			: v->has_state ? NULL
				       : fixed[2];
	if (!s)
		return v->state;
	return (struct text){s, strlen(s)};
}

/* A kind name as a heading: "ALERT", "ALL-CLEAR". */
void put_upper(FILE *f, struct text t)
{
	for (size_t i = 0; i < t.n; i++) {
		char c = t.p[i];
		if (c >= 'a' && c <= 'z')
			fputc(c - 'a' + 'A', f);
		else if (c >= '-' && c <= 'Z')
			fputc(c, f);
		else
			fputc('?', f);
	}
}

/* "[TEST] " / "[EXERCISE] " in front of drills, so nobody mistakes one. */
const char *drill_tag(const struct view *v)
{
	return text_is(v->status, "test")       ? "[TEST] "
	       : text_is(v->status, "exercise") ? "[EXERCISE] "
						: "";
}

/* ---- send, ack, resolve, retract ---- */

static int sent(struct out *o, const msgpack_object *r, const char *what)
{
	struct text id;
	if (field_id(o, r, "id", &id) < 0)
		return SAMEN_EMALFORMED;
	fprintf(o->f, "sent %s %.*s (committed)\n", what, ID_SHORT, id.p);
	return 0;
}

int render_sent_alert(struct out *o, const msgpack_object *r)
{
	return sent(o, r, "alert");
}

int render_sent_update(struct out *o, const msgpack_object *r)
{
	return sent(o, r, "update");
}

int render_sent_ack(struct out *o, const msgpack_object *r)
{
	return sent(o, r, "ack");
}

int render_sent_allclear(struct out *o, const msgpack_object *r)
{
	return sent(o, r, "all-clear");
}

int render_retract(struct out *o, const msgpack_object *r)
{
	struct text id;
	if (field_id(o, r, "id", &id) < 0)
		return SAMEN_EMALFORMED;
	fprintf(o->f, "retracted: retraction %.*s (committed)\n", ID_SHORT, id.p);
	return 0;
}

/* ---- list ---- */

enum { COL_ID, COL_AGE, COL_KIND, COL_CAT, COL_STATE, COL_WHERE, COL_LABEL, COL_DESC, NCOL };

static const char *const col_head[NCOL] = {"ID",    "AGE",   "KIND",  "CATEGORY",
					   "STATE", "WHERE", "LABEL", "DESCRIPTION"};
static const unsigned col_cap[NCOL] = {ID_SHORT, 12, 9, 16, 10, 24, 16, 0};
#define DESC_MIN 20  /* columns the description gets at least */
#define WHERE_MIN 12
#define LABEL_MIN 10

static void list_row_widths(const struct out *o, const struct view *v, unsigned w[NCOL])
{
	char age[32];
	struct text st = view_state(o, v);
	unsigned got[NCOL] = {0};

	term_age(age, sizeof(age), o->now, v->created);
	got[COL_ID] = ID_SHORT;
	got[COL_AGE] = (unsigned)strlen(age);
	got[COL_KIND] = term_width_of(TXT(v->kind));
	got[COL_CAT] = term_width_of(TXT(v->category));
	got[COL_STATE] = term_width_of(TXT(st));
	got[COL_WHERE] = term_width_of(TXT(v->where));
	got[COL_LABEL] = term_width_of(TXT(v->label));
	for (int c = 0; c < COL_DESC; c++) {
		if (got[c] > col_cap[c])
			got[c] = col_cap[c];
		if (got[c] > w[c])
			w[c] = got[c];
	}
}

/* The DESCRIPTION cell: drill tag, what an ack says, then the text; all cut
 * to width columns (0: no limit). */
static void list_description(FILE *f, const struct view *v, unsigned width)
{
	char head[64];
	bool says = text_is(v->kind, "ack") && !text_is(v->ack, "text") && !text_is(v->ack, "none");
	int n = snprintf(head, sizeof(head), "%s%s%s", drill_tag(v),
			 !says ? "" : text_is(v->ack, "112-called") ? "112 called" : "looking",
			 says && v->description.n ? ": " : "");
	unsigned used = n > 0 && (size_t)n < sizeof(head) ? (unsigned)n : 0;

	if (width && used >= width) {
		term_line(f, head, used, width);
		return;
	}
	fputs(used ? head : "", f);
	term_line(f, TXT(v->description), width ? width - used : 0);
}

static void list_row(const struct out *o, const struct view *v, const unsigned w[NCOL])
{
	char age[32];
	FILE *f = o->f;

	term_age(age, sizeof(age), o->now, v->created);
	term_cell(f, v->id.p, ID_SHORT, w[COL_ID]);
	term_cstr_cell(f, age, w[COL_AGE]);
	term_cell(f, TXT(v->kind), w[COL_KIND]);
	term_cell(f, TXT(v->category), w[COL_CAT]);
	struct text st = view_state(o, v);
	term_cell(f, TXT(st), w[COL_STATE]);
	term_cell(f, TXT(v->where), w[COL_WHERE]);
	term_cell(f, TXT(v->label), w[COL_LABEL]);
	list_description(f, v, w[COL_DESC]);
	fputc('\n', f);
}

/* Gives the description what is left of the terminal's width, first
 * narrowing WHERE and LABEL down to a minimum if the row would not fit. */
static void list_fit(unsigned width, unsigned w[NCOL])
{
	unsigned used = 0;

	for (int c = 0; c < COL_DESC; c++)
		used += w[c] + 2;
	while (used + DESC_MIN > width && (w[COL_WHERE] > WHERE_MIN || w[COL_LABEL] > LABEL_MIN)) {
		if (w[COL_WHERE] > WHERE_MIN && (w[COL_WHERE] >= w[COL_LABEL] || w[COL_LABEL] <= LABEL_MIN))
			w[COL_WHERE]--;
		else
			w[COL_LABEL]--;
		used--;
	}
	w[COL_DESC] = width > used + DESC_MIN ? width - used : DESC_MIN;
}

int render_list(struct out *o, const msgpack_object *r)
{
	const msgpack_object_array *a;
	struct view v;
	unsigned w[NCOL];

	if (field_array(o, r, "signals", &a) < 0)
		return SAMEN_EMALFORMED;
	if (a->size == 0) {
		fputs("no signals (samen list --all also shows expired and retracted ones)\n", o->f);
		return 0;
	}
	for (int c = 0; c < NCOL; c++)
		w[c] = (unsigned)strlen(col_head[c]);
	for (uint32_t i = 0; i < a->size; i++) {
		if (view_parse(o, &a->ptr[i], &v) < 0)
			return SAMEN_EMALFORMED;
		list_row_widths(o, &v, w);
	}
	w[COL_DESC] = 0;
	if (o->width)
		list_fit(o->width, w);
	term_sgr(o, SGR_BOLD);
	for (int c = 0; c < COL_DESC; c++)
		term_cstr_cell(o->f, col_head[c], w[c]);
	fputs(col_head[COL_DESC], o->f);
	term_sgr(o, SGR_RESET);
	fputc('\n', o->f);
	for (uint32_t i = 0; i < a->size; i++) {
		if (view_parse(o, &a->ptr[i], &v) < 0)
			return SAMEN_EMALFORMED;
		list_row(o, &v, w);
	}
	return 0;
}

