/* SPDX-License-Identifier: EUPL-1.2 */
/* Rendering of the replies about the daemon, its links and membership. */
#include "render.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fields.h"
#include "../proto/mpmap.h"
#include "../proto/policy.h"

/* ---- peers, members, pending ---- */

static void head(const struct out *o, const char *const *cols, const unsigned *w, size_t n)
{
	term_sgr(o, SGR_BOLD);
	for (size_t i = 0; i + 1 < n; i++)
		term_cstr_cell(o->f, cols[i], w[i]);
	fputs(cols[n - 1], o->f);
	term_sgr(o, SGR_RESET);
	fputc('\n', o->f);
}

/*
 * PROTOCOL.md makes every time unix seconds, but samend 0.1 sends a peer's
 * "since" as seconds ago. No link began before 2001, so a smaller value is
 * read as an age; either way a person sees "5 min ago".
 */
static void since_text(char *buf, size_t cap, time_t now, uint64_t since)
{
	uint64_t t = since;
	if (since < 1000000000 && now > 0)
		t = (uint64_t)now > since ? (uint64_t)now - since : 0;
	term_age(buf, cap, now, t);
}

int render_peers(struct out *o, const msgpack_object *r)
{
	static const char *const cols[] = {"LINK", "DIR", "LABEL", "ENDPOINT", "SINCE", "KEY"};
	static const unsigned w[] = {4, 3, 16, 28, 11, 0};
	const msgpack_object_array *a;
	unsigned up_count = 0;

	if (field_array(o, r, "peers", &a) < 0)
		return SAMEN_EMALFORMED;
	if (a->size == 0) {
		fputs("no peers yet (samend finds them through the neighbourhood's relay and "
		      "invites)\n", o->f);
		return 0;
	}
	head(o, cols, w, 6);
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *p = &a->ptr[i];
		struct text key, label, endpoint, dir;
		bool up;
		uint64_t since;
		char age[32];
		if (p->type != MSGPACK_OBJECT_MAP)
			return field_bad(o, "peers");
		if (field_str(o, p, "key", &key) < 0 || field_str(o, p, "label", &label) < 0 ||
		    field_str(o, p, "endpoint", &endpoint) < 0 || field_str(o, p, "direction", &dir) < 0 ||
		    field_bool(o, p, "up", &up) < 0 || field_uint(o, p, "since", &since) < 0)
			return SAMEN_EMALFORMED;
		up_count += up;
		since_text(age, sizeof(age), o->now, since);
		term_sgr(o, up ? SGR_GREEN : SGR_DIM);
		term_cstr_cell(o->f, up ? "up" : "down", w[0]);
		term_sgr(o, SGR_RESET);
		term_cell(o->f, TXT(dir), w[1]);
		term_cell(o->f, TXT(label), w[2]);
		if (endpoint.n)
			term_cell(o->f, TXT(endpoint), w[3]);
		else
			term_cstr_cell(o->f, "-", w[3]);
		term_cstr_cell(o->f, age, w[4]);
		term_text(o->f, TXT(key), true);
		fputc('\n', o->f);
	}
	fprintf(o->f, "%" PRIu32 " peer%s, %u up\n", a->size, a->size == 1 ? "" : "s", up_count);
	return 0;
}

int render_members(struct out *o, const msgpack_object *r)
{
	static const char *const cols[] = {"ROLE", "LABEL", "FINGERPRINT", "VALID UNTIL", "KEY"};
	static const unsigned w[] = {11, 16, 19, 11, 0};
	const msgpack_object_array *a;

	if (field_array(o, r, "members", &a) < 0)
		return SAMEN_EMALFORMED;
	if (a->size == 0) {
		fputs("no members known yet\n", o->f);
		return 0;
	}
	head(o, cols, w, 5);
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *m = &a->ptr[i];
		struct text key, fp, role, label;
		uint64_t until;
		char when[32];
		if (m->type != MSGPACK_OBJECT_MAP)
			return field_bad(o, "members");
		if (field_str(o, m, "key", &key) < 0 || field_str(o, m, "fingerprint", &fp) < 0 ||
		    field_name(o, m, "role", field_role_name, &role) < 0 ||
		    field_str(o, m, "label", &label) < 0)
			return SAMEN_EMALFORMED;
		/* the founder's has no end; samend 0.1 sends none at all */
		if (!mpmap_find(m, "not_after"))
			snprintf(when, sizeof(when), "-");
		else if (field_uint(o, m, "not_after", &until) < 0)
			return SAMEN_EMALFORMED;
		else
			term_time(when, sizeof(when), until, T_DAY);
		term_cell(o->f, TXT(role), w[0]);
		term_cell(o->f, TXT(label), w[1]);
		term_cell(o->f, TXT(fp), w[2]);
		term_cstr_cell(o->f, when, w[3]);
		term_text(o->f, TXT(key), true);
		fputc('\n', o->f);
	}
	fprintf(o->f, "%" PRIu32 " member%s\n", a->size, a->size == 1 ? "" : "s");
	return 0;
}

int render_pending(struct out *o, const msgpack_object *r)
{
	static const char *const cols[] = {"LABEL", "FINGERPRINT", "WAITING", "KEY"};
	static const unsigned w[] = {16, 19, 11, 0};
	const msgpack_object_array *a;

	if (field_array(o, r, "pending", &a) < 0)
		return SAMEN_EMALFORMED;
	if (a->size == 0) {
		fputs("no households are waiting for approval\n", o->f);
		return 0;
	}
	head(o, cols, w, 4);
	for (uint32_t i = 0; i < a->size; i++) {
		const msgpack_object *p = &a->ptr[i];
		struct text key, fp, label;
		uint64_t since;
		char age[32];
		if (p->type != MSGPACK_OBJECT_MAP)
			return field_bad(o, "pending");
		if (field_str(o, p, "key", &key) < 0 || field_str(o, p, "fingerprint", &fp) < 0 ||
		    field_str(o, p, "label", &label) < 0 || field_uint(o, p, "since", &since) < 0)
			return SAMEN_EMALFORMED;
		term_age(age, sizeof(age), o->now, since);
		term_cell(o->f, TXT(label), w[0]);
		term_cell(o->f, TXT(fp), w[1]);
		term_cstr_cell(o->f, age, w[2]);
		term_text(o->f, TXT(key), true);
		fputc('\n', o->f);
	}
	fputs("compare the fingerprint with the household in person, then: samen approve KEY\n",
	      o->f);
	return 0;
}

/* ---- status ---- */

/* A value of a type the protocol leaves open: shown as it is. */
static void put_scalar(FILE *f, const msgpack_object *v)
{
	switch (v->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(f, "%" PRIu64, v->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(f, "%" PRId64, v->via.i64);
		break;
	case MSGPACK_OBJECT_STR:
		term_text(f, v->via.str.ptr, v->via.str.size, true);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(v->via.boolean ? "yes" : "no", f);
		break;
	case MSGPACK_OBJECT_ARRAY:
		fprintf(f, "%" PRIu32, v->via.array.size);
		break;
	default:
		fputs("-", f);
	}
}

static bool is_key(const msgpack_object *k, const char *s)
{
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(s) &&
	       memcmp(k->via.str.ptr, s, k->via.str.size) == 0;
}

/* "bad-signature 2, expired 5": the non-zero counters, or "none". */
static int put_counters(struct out *o, const msgpack_object *c)
{
	unsigned shown = 0;

	if (!c || c->type != MSGPACK_OBJECT_MAP)
		return field_bad(o, "counters");
	for (uint32_t i = 0; i < c->via.map.size; i++) {
		const msgpack_object_kv *kv = &c->via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR ||
		    kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return field_bad(o, "counters");
		if (kv->val.via.u64 == 0)
			continue;
		fputs(shown++ ? ", " : "", o->f);
		term_text(o->f, kv->key.via.str.ptr, kv->key.via.str.size, true);
		fprintf(o->f, " %" PRIu64, kv->val.via.u64);
	}
	fputs(shown ? "\n" : "none\n", o->f);
	return 0;
}

int render_status(struct out *o, const msgpack_object *r)
{
	static const struct {
		const char *key, *title;
	} rows[] = {{"key", "key"},     {"fingerprint", "fingerprint"}, {"nbhd", "neighbourhood"},
		    {"role", "role"},   {"epoch", "epoch"},             {"links", "links"},
		    {"records", "records"}, {"store_bytes", "store"}};
	const size_t n_rows = sizeof(rows) / sizeof(rows[0]);
	char buf[64];
	uint64_t u;

	for (size_t i = 0; i < n_rows; i++) {
		const msgpack_object *v = mpmap_find(r, rows[i].key);
		if (!v)
			return field_bad(o, rows[i].key);
		fprintf(o->f, "%-15s", rows[i].title);
		if (strcmp(rows[i].key, "store_bytes") == 0) {
			if (field_uint(o, r, "store_bytes", &u) < 0)
				return SAMEN_EMALFORMED;
			term_bytes(buf, sizeof(buf), u);
			fputs(buf, o->f);
		} else if (strcmp(rows[i].key, "nbhd") == 0 && v->type == MSGPACK_OBJECT_STR &&
			   v->via.str.size == 0) {
			const msgpack_object *role = mpmap_find(r, "role");
			bool relay = role && role->type == MSGPACK_OBJECT_STR &&
				     role->via.str.size == 5 && !memcmp(role->via.str.ptr, "relay", 5);
			/* a relay joins nothing: it serves what its config names */
			fputs(relay ? "none (a relay serves the neighbourhoods its config names)"
				    : "none yet (samen join CODE)", o->f);
		} else if (strcmp(rows[i].key, "role") == 0 && v->type == MSGPACK_OBJECT_STR &&
			   v->via.str.size == 7 && !memcmp(v->via.str.ptr, "revoked", 7)) {
			fputs("revoked: a coordinator removed this key from the neighbourhood; "
			      "nothing sent from now on reaches it (ask them why)", o->f);
		} else if (strcmp(rows[i].key, "role") == 0 &&
			   v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
			fputs(field_role_name(v->via.u64 > 4 ? 0 : (unsigned)v->via.u64), o->f);
		} else {
			put_scalar(o->f, v);
		}
		fputc('\n', o->f);
	}
	/* what else samend reports, by its own names */
	for (uint32_t i = 0; i < r->via.map.size; i++) {
		const msgpack_object_kv *kv = &r->via.map.ptr[i];
		bool known = is_key(&kv->key, "ok") || is_key(&kv->key, "counters");
		for (size_t k = 0; k < n_rows && !known; k++)
			known = is_key(&kv->key, rows[k].key);
		if (known || kv->key.type != MSGPACK_OBJECT_STR || kv->val.type == MSGPACK_OBJECT_MAP ||
		    (kv->val.type == MSGPACK_OBJECT_STR && kv->val.via.str.size == 0))
			continue;
		unsigned w = term_text(o->f, kv->key.via.str.ptr, kv->key.via.str.size, true);
		fprintf(o->f, "%*s", w < 15 ? (int)(15 - w) : 1, "");
		if (is_key(&kv->key, "uptime") && kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
			term_span(buf, sizeof(buf), kv->val.via.u64);
			fputs(buf, o->f);
		} else {
			put_scalar(o->f, &kv->val);
		}
		fputc('\n', o->f);
	}
	fprintf(o->f, "%-15s", "counters");
	return put_counters(o, mpmap_find(r, "counters"));
}

/* ---- membership ---- */

int render_invite(struct out *o, const msgpack_object *r)
{
	struct text code;
	if (field_str(o, r, "code", &code) < 0)
		return SAMEN_EMALFORMED;
	fputs("invite code:\n\n  ", o->f);
	term_text(o->f, TXT(code), true);
	fputs("\n\nhand it over in person; the new household runs: samen join CODE\n"
	      "unless it was pre-approved, compare fingerprints and approve it:\n  samen pending, then samen approve KEY\n",
	      o->f);
	return 0;
}

int render_join(struct out *o, const msgpack_object *r)
{
	struct text st;
	if (field_str(o, r, "state", &st) < 0)
		return SAMEN_EMALFORMED;
	if (text_is(st, "member"))
		fputs("joined: this household is now a member of the neighbourhood\n", o->f);
	else if (text_is(st, "pending"))
		fputs("joined: waiting for a coordinator to approve this household\n"
		      "show them your fingerprint ('samen status') so they can check it\n",
		      o->f);
	else
		return field_bad(o, "state");
	return 0;
}

int render_approve(struct out *o, const msgpack_object *r)
{
	struct text id;
	if (field_id(o, r, "cert", &id) < 0)
		return SAMEN_EMALFORMED;
	fprintf(o->f, "approved: certificate %.*s (committed)\n", ID_SHORT, id.p);
	return 0;
}

int render_certify(struct out *o, const msgpack_object *r)
{
	struct text id;
	if (field_id(o, r, "cert", &id) < 0)
		return SAMEN_EMALFORMED;
	fprintf(o->f, "certified: certificate %.*s (committed)\n", ID_SHORT, id.p);
	return 0;
}

int render_revoke(struct out *o, const msgpack_object *r)
{
	struct text id;
	uint64_t epoch;
	if (field_id(o, r, "id", &id) < 0 || field_uint(o, r, "epoch", &epoch) < 0)
		return SAMEN_EMALFORMED;
	fprintf(o->f, "revoked: revocation %.*s (committed); new epoch %" PRIu64 "\n", ID_SHORT,
		id.p, epoch);
	return 0;
}

/* ---- the notification policy, and "seen" ---- */

int render_notify(struct out *o, const msgpack_object *r)
{
	static const char *const cols[] = {"CATEGORY", "ALERT", "112", "ACK", "ALL-CLEAR", "DRILL"};
	static const unsigned w[] = {18, 8, 8, 8, 11, 6};
	const msgpack_object *p = mpmap_find(r, "policy");
	const msgpack_object *levels = p ? mpmap_find(p, "levels") : NULL;
	struct text tz, quiet, cell;
	bool quiet_now = false;

	if (!p || !levels || field_str(o, p, "timezone", &tz) < 0 ||
	    field_str(o, p, "quiet", &quiet) < 0 || field_bool(o, p, "quiet_now", &quiet_now) < 0) {
		o->bad = "policy";
		return SAMEN_EMALFORMED;
	}
	fputs("quiet hours: ", o->f);
	if (quiet.n) {
		term_text(o->f, TXT(quiet), true);
		fputs(quiet_now ? " (now: only alarm sounds)" : "", o->f);
	} else {
		fputs("none", o->f);
	}
	fputs("\ntime zone:   ", o->f);
	if (tz.n)
		term_text(o->f, TXT(tz), true);
	else
		fputs("the system's", o->f);
	fputs("\n\n", o->f);
	head(o, cols, w, sizeof(cols) / sizeof(cols[0]));
	size_t cells = POLICY_CATEGORIES * POLICY_COLS;
	for (size_t i = 0; i < cells; i++) {
		const char *key = policy_key(i);
		if (i % POLICY_COLS == 0)
			term_cell(o->f, key, strcspn(key, "."), w[0]);
		if (field_str(o, levels, key, &cell) < 0)
			return SAMEN_EMALFORMED;
		if (i % POLICY_COLS == POLICY_COLS - 1) {
			term_text(o->f, TXT(cell), true);
			fputc('\n', o->f);
		} else {
			term_cell(o->f, TXT(cell), w[i % POLICY_COLS + 1]);
		}
	}
	fputs("\nauthority:   ", o->f);
	for (size_t i = cells; i < cells + POLICY_ANNOUNCE; i++) {
		const char *key = policy_key(i);
		if (field_str(o, levels, key, &cell) < 0)
			return SAMEN_EMALFORMED;
		fprintf(o->f, "%s%s ", i > cells ? ", " : "", strchr(key, '.') + 1);
		term_text(o->f, TXT(cell), true);
	}
	fputs("\n\nchange one with: samen notify set KEY LEVEL (e.g. burglary.alert alarm, "
	      "*.ack silent, quiet 23:00-07:00)\n", o->f);
	return 0;
}

int render_seen(struct out *o, const msgpack_object *r)
{
	bool waited = false;
	if (field_bool(o, r, "waited", &waited) < 0)
		return SAMEN_EMALFORMED;
	fputs(waited ? "seen: no more repeats of this alert here\n"
		     : "seen (it was not repeating here)\n", o->f);
	return 0;
}
