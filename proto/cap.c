/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * cap.c — a decrypted signal as a CAP 1.2 document (see cap.h for the
 * mapping).
 *
 * The document is produced twice by the same code: first into nothing, which
 * checks every field and every byte of text, then into the caller's FILE.
 * So a refusal never leaves half a document behind, and the check cannot
 * drift from what is written.
 */
#include "cap.h"
#include "mp.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define SENDER_MAX 255

/* The writer: f == NULL writes nothing (the checking pass). The first error
 * sticks and everything after it is skipped. */
struct w {
	FILE *f;
	int err;
};

static void put_raw(struct w *w, const char *s, size_t len)
{
	if (w->err || !w->f || len == 0)
		return;
	if (fwrite(s, 1, len, w->f) != len)
		w->err = -EIO;
}

static void put(struct w *w, const char *s)
{
	put_raw(w, s, strlen(s));
}

static void fail(struct w *w)
{
	if (!w->err)
		w->err = SAMEN_EINVAL;
}

/*
 * Writes s[0..len) as XML character data. Refuses (SAMEN_EINVAL) invalid
 * UTF-8 (overlongs, surrogates, past U+10FFFF) and every C0 control and DEL
 * except newline and tab. See cap.h for C1 controls and U+FFFE/U+FFFF.
 */
static void put_text(struct w *w, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0; /* s[run..i) is waiting to be copied as is */

	while (i < len && !w->err) {
		unsigned c = s[i];
		const char *rep = NULL;
		char ref[16];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			switch (c) {
			case '&': rep = "&amp;"; break;
			case '<': rep = "&lt;"; break;
			case '>': rep = "&gt;"; break;
			case '"': rep = "&quot;"; break;
			case '\'': rep = "&apos;"; break;
			case '\n': case '\t': break;
			default:
				if (c < 0x20 || c == 0x7f)
					fail(w);
			}
			n = 0;
			cp = c;
		} else {
			size_t seq = mp_utf8_decode(s + i, len - i, &cp);
			if (seq == 0) {
				fail(w);
				break;
			}
			n = seq - 1; /* continuation bytes after this one */
			if (cp <= 0x9f) { /* C1 control: legal, but not raw */
				(void)snprintf(ref, sizeof(ref), "&#x%" PRIX32 ";", cp);
				rep = ref;
			} else if (cp == 0xfffe || cp == 0xffff) {
				rep = "\xef\xbf\xbd"; /* U+FFFD */
			}
		}
		if (rep) {
			put_raw(w, (const char *)s + run, i - run);
			put(w, rep);
			run = i + n + 1;
		}
		i += n + 1;
	}
	if (!w->err)
		put_raw(w, (const char *)s + run, len - run);
}

static void indent(struct w *w, int depth)
{
	static const char spaces[] = "        ";
	put_raw(w, spaces, (size_t)depth * 2);
}

/* <name>text</name> on a line of its own. */
static void elem_n(struct w *w, int depth, const char *name, const char *s, size_t len)
{
	indent(w, depth);
	put(w, "<");
	put(w, name);
	put(w, ">");
	put_text(w, s, len);
	put(w, "</");
	put(w, name);
	put(w, ">\n");
}

static void elem(struct w *w, int depth, const char *name, const char *s)
{
	elem_n(w, depth, name, s, strlen(s));
}

static void open_tag(struct w *w, int depth, const char *name)
{
	indent(w, depth);
	put(w, "<");
	put(w, name);
	put(w, ">\n");
}

static void close_tag(struct w *w, int depth, const char *name)
{
	indent(w, depth);
	put(w, "</");
	put(w, name);
	put(w, ">\n");
}

/* <parameter> (or another valueName/value pair) at depth. */
static void pair(struct w *w, int depth, const char *tag, const char *name, const char *value)
{
	open_tag(w, depth, tag);
	elem(w, depth + 1, "valueName", name);
	elem(w, depth + 1, "value", value);
	close_tag(w, depth, tag);
}

int cap_datetime(uint64_t t, char out[CAP_DATETIME_LEN])
{
	uint64_t days, secs, z, era, doe, yoe, doy, mp, d, m, y;

	if (t > CAP_TIME_MAX)
		return SAMEN_EINVAL;
	days = t / 86400;
	secs = t % 86400;
	/* Howard Hinnant's civil_from_days, for days >= 0. */
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	/* y <= 9999 (t <= CAP_TIME_MAX); the remainders only tell the
	 * compiler how wide each field is. */
	/* CAP 1.2 §3.3.2: UTC is written "-00:00" (the schema would let "+00:00"
	 * through, the standard does not). */
	(void)snprintf(out, CAP_DATETIME_LEN, "%04u-%02u-%02uT%02u:%02u:%02u-00:00",
		       (unsigned)(y % 10000), (unsigned)(m % 100), (unsigned)(d % 100),
		       (unsigned)(secs / 3600 % 100), (unsigned)(secs / 60 % 60),
		       (unsigned)(secs % 60));
	return 0;
}

static void time_elem(struct w *w, int depth, const char *name, uint64_t t)
{
	char buf[CAP_DATETIME_LEN];

	if (cap_datetime(t, buf) != 0) {
		fail(w);
		return;
	}
	elem(w, depth, name, buf);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* "samen-" + 64 hex digits + NUL */
#define IDENT_LEN (6 + 64 + 1)

static void identifier(const uint8_t id[32], char out[IDENT_LEN])
{
	memcpy(out, "samen-", 6);
	hex(id, 32, out + 6);
}

/* CAP: sender and identifier hold no white space, ',' '<' or '&'. We keep to
 * printable ASCII, so that no Unicode space can split a references triple. */
static bool sender_ok(const char *s)
{
	size_t len;

	if (!s)
		return false;
	len = strnlen(s, SENDER_MAX + 1);
	if (len == 0 || len > SENDER_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == ',' || c == '<' || c == '&')
			return false;
	}
	return true;
}

bool cap_language_ok(const char *s)
{
	/* RFC 3066 as CAP 1.2 names it: 1–8 letters, then "-" and 1–8 letters or
	 * digits, any number of times. */
	size_t run = 0, len = s ? strnlen(s, CAP_LANGUAGE_MAX + 1) : 0;
	bool first = true;

	if (len == 0 || len > CAP_LANGUAGE_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '-' || c == '\0') {
			if (run == 0 || run > 8)
				return false;
			run = 0;
			first = false;
			continue;
		}
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (!alpha && (first || c < '0' || c > '9'))
			return false;
		run++;
	}
	return true;
}

/* Degrees × 10^6 as a decimal with six places, without floating point. */
static void e6(char *out, size_t cap, int32_t v)
{
	uint32_t a = v < 0 ? (uint32_t)(-(int64_t)v) : (uint32_t)v;
	(void)snprintf(out, cap, "%s%" PRIu32 ".%06" PRIu32, v < 0 ? "-" : "", a / 1000000,
		       a % 1000000);
}

/* Metres as kilometres: "0.15", "0.001", "1", "12.345". */
static void km(char *out, size_t cap, uint32_t m)
{
	uint32_t frac = m % 1000;
	int places = 3;

	if (frac == 0) {
		(void)snprintf(out, cap, "%" PRIu32, m / 1000);
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		places--;
	}
	(void)snprintf(out, cap, "%" PRIu32 ".%0*" PRIu32, m / 1000, places, frac);
}

static const char *const status_cap[] = {
	[STATUS_REAL] = "Actual", [STATUS_TEST] = "Test", [STATUS_EXERCISE] = "Exercise"};
static const char *const severity_cap[] = {
	[SEV_MINOR] = "Minor", [SEV_MODERATE] = "Moderate", [SEV_SEVERE] = "Severe",
	[SEV_EXTREME] = "Extreme"};
static const char *const category_cap[] = {
	[CAT_SUSPICIOUS] = "Security", [CAT_BURGLARY] = "Security",
	[CAT_BREAKIN_ATTEMPT] = "Security", [CAT_FIRE] = "Fire", [CAT_MEDICAL] = "Health",
	[CAT_MISSING] = "Rescue", [CAT_NUISANCE] = "Security", [CAT_OTHER] = "Other"};
static const char *const event_text[] = {
	[CAT_SUSPICIOUS] = "Suspicious situation", [CAT_BURGLARY] = "Burglary",
	[CAT_BREAKIN_ATTEMPT] = "Break-in attempt", [CAT_FIRE] = "Fire",
	[CAT_MEDICAL] = "Medical emergency", [CAT_MISSING] = "Missing person",
	[CAT_NUISANCE] = "Nuisance", [CAT_OTHER] = "Other incident"};
static const char *const ack_text[] = {
	[ACK_NONE] = "Acknowledged", [ACK_CALLED_112] = "112 called",
	[ACK_LOOKING] = "A neighbour is looking", [ACK_TEXT] = "Acknowledged"};

/* Appends s to buf (cap bytes, NUL-terminated), as much as fits. */
static void append(char *buf, size_t cap, const char *s)
{
	size_t have = strlen(buf), n = strlen(s);
	if (n > cap - 1 - have)
		n = cap - 1 - have;
	memcpy(buf + have, s, n);
	buf[have + n] = '\0';
}

static void headline(const struct cap_input *in, char *buf, size_t cap)
{
	const struct signal_plain *p = in->p;
	size_t len, cut;

	buf[0] = '\0';
	if (p->status == STATUS_TEST)
		append(buf, cap, "TEST: ");
	else if (p->status == STATUS_EXERCISE)
		append(buf, cap, "EXERCISE: ");
	append(buf, cap, event_text[p->category]);
	if (in->retraction)
		append(buf, cap, " (retracted)");
	else if (p->kind == SIG_UPDATE)
		append(buf, cap, " (update)");
	else if (p->kind == SIG_ACK)
		append(buf, cap, " (acknowledged)");
	else if (p->kind == SIG_ALLCLEAR)
		append(buf, cap, " (all clear)");
	if (p->where[0]) {
		append(buf, cap, ": ");
		len = strlen(buf);
		append(buf, cap, p->where);
		for (size_t i = len; buf[i]; i++)
			if (buf[i] == '\n' || buf[i] == '\t')
				buf[i] = ' ';
	}
	len = strlen(buf);
	if (len <= CAP_HEADLINE_MAX)
		return;
	cut = CAP_HEADLINE_MAX - 3;
	while (cut > 0 && ((unsigned char)buf[cut] & 0xc0) == 0x80)
		cut--; /* buf[cut] starts the first character left out */
	while (cut > 0 && buf[cut - 1] == ' ')
		cut--;
	memcpy(buf + cut, "...", 4);
}

/* A reference goes into <references> only with a sender and a time; a
 * time that CAP cannot write (a peer's record says so, not the caller) counts
 * as unknown rather than spoiling the whole document. */
static bool ref_known(const struct cap_ref *r)
{
	return r->sender && r->sent && r->sent <= CAP_TIME_MAX;
}

static void render(struct w *w, const struct cap_input *in)
{
	const struct signal_plain *p = in->p;
	bool cancel = in->retraction || p->kind == SIG_ALLCLEAR;
	char ident[IDENT_LEN], buf[64], buf2[32];
	char hl[64 + WHERE_MAX + 1];
	const char *lead = NULL;
	size_t n_known = 0, n_cand = in->retraction ? 1 : in->n_refs;

	put(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	put(w, "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n");
	identifier(in->id, ident);
	elem(w, 1, "identifier", ident);
	elem(w, 1, "sender", in->sender);
	time_elem(w, 1, "sent", in->created);
	elem(w, 1, "status", status_cap[p->status]);
	elem(w, 1, "msgType", cancel ? "Cancel" : p->kind == SIG_ALERT ? "Alert" : "Update");
	elem(w, 1, "scope", "Restricted");
	indent(w, 1);
	put(w, "<restriction>Shared by a household of ");
	if (in->nbhd_name && in->nbhd_name[0]) {
		put(w, "neighbourhood ");
		put_text(w, in->nbhd_name, strlen(in->nbhd_name));
	} else {
		put(w, "a samen neighbourhood");
	}
	put(w, " with its authorities; not for publication</restriction>\n");

	for (size_t i = 0; i < n_cand; i++)
		n_known += ref_known(&in->refs[i]);
	if (n_known) {
		bool first = true;
		indent(w, 1);
		put(w, "<references>");
		for (size_t i = 0; i < n_cand; i++) {
			const struct cap_ref *r = &in->refs[i];
			if (!ref_known(r))
				continue;
			if (!sender_ok(r->sender) || cap_datetime(r->sent, buf) != 0) {
				fail(w);
				return;
			}
			if (!first)
				put(w, " ");
			first = false;
			put_text(w, r->sender, strlen(r->sender));
			put(w, ",");
			identifier(r->id, ident);
			put(w, ident);
			put(w, ",");
			put(w, buf);
		}
		put(w, "</references>\n");
	}

	open_tag(w, 1, "info");
	elem(w, 2, "language", in->language ? in->language : CAP_LANGUAGE_DEFAULT);
	elem(w, 2, "category", category_cap[p->category]);
	elem(w, 2, "event", event_text[p->category]);
	elem(w, 2, "urgency", cancel ? "Past" : "Immediate");
	elem(w, 2, "severity", severity_cap[p->severity]);
	elem(w, 2, "certainty",
	     !in->retraction && (p->kind == SIG_ALERT || p->kind == SIG_UPDATE) ? "Observed"
										 : "Unknown");
	if (in->expires && in->expires <= CAP_TIME_MAX)
		time_elem(w, 2, "expires", in->expires);
	if (in->sender_label && in->sender_label[0])
		elem(w, 2, "senderName", in->sender_label);
	headline(in, hl, sizeof(hl));
	elem(w, 2, "headline", hl);

	if (in->retraction)
		lead = "Retracted";
	else if (p->kind == SIG_ACK)
		lead = ack_text[p->ack];
	else if (p->kind == SIG_ALLCLEAR)
		lead = "All clear";
	if (lead || p->description[0]) {
		indent(w, 2);
		put(w, "<description>");
		if (lead) {
			put(w, lead);
			if (in->retraction && in->reason && in->reason[0]) {
				put(w, ": ");
				put_text(w, in->reason, strlen(in->reason));
			}
			if (p->description[0] && !in->retraction)
				put(w, "\n");
		}
		if (!in->retraction)
			put_text(w, p->description, strlen(p->description));
		put(w, "</description>\n");
	}

	pair(w, 2, "parameter", "112Called",
	     p->called112 || p->ack == ACK_CALLED_112 ? "true" : "false");
	pair(w, 2, "parameter", "samenKind",
	     in->retraction ? "retraction" : signal_kind_name(p->kind));
	if (p->kind == SIG_ACK && !in->retraction)
		pair(w, 2, "parameter", "samenAck", signal_ack_name(p->ack));

	open_tag(w, 2, "area");
	elem(w, 3, "areaDesc", p->where[0] ? p->where : "unspecified");
	if (p->has_point) {
		e6(buf, sizeof(buf), p->lat_e6);
		e6(buf2, sizeof(buf2), p->lon_e6);
		indent(w, 3);
		put(w, "<circle>");
		put(w, buf);
		put(w, ",");
		put(w, buf2);
		put(w, " ");
		km(buf, sizeof(buf), p->radius_m);
		put(w, buf);
		put(w, "</circle>\n");
	}
	close_tag(w, 2, "area");
	close_tag(w, 1, "info");
	put(w, "</alert>\n");
}

int cap_write(FILE *f, const struct cap_input *in)
{
	struct w w = {NULL, 0};

	if (!f || !in || !in->id || !in->p || !sender_ok(in->sender) || !signal_plain_valid(in->p) ||
	    (in->language && !cap_language_ok(in->language)) ||
	    in->created > CAP_TIME_MAX ||
	    (in->n_refs && !in->refs) || (in->retraction && in->n_refs == 0))
		return SAMEN_EINVAL;
	for (size_t i = 0; i < in->n_refs; i++)
		if (!in->refs[i].id)
			return SAMEN_EINVAL;
	render(&w, in); /* the check */
	if (w.err)
		return w.err;
	w.f = f;
	render(&w, in);
	if (!w.err && fflush(f) != 0)
		w.err = -EIO;
	return w.err;
}
