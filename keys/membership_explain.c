/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * membership_explain.c — membership_explain(): why one certificate is or
 * is not valid, in words for a person (samen-keys verify); and
 * membership_named(): every key a certificate of a role names, valid or not,
 * so that a refusal can name the key as `samen members` does.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "keytext.h"
#include "membership_int.h"

#define TIME_TEXT 48

/* Unix seconds as ISO 8601 UTC, by the proleptic Gregorian calendar
 * (H. Hinnant's civil_from_days), so no value is out of gmtime's range. */
static void time_text(uint64_t t, char out[TIME_TEXT])
{
	uint64_t days = t / 86400, s = t % 86400;
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned mo = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	uint64_t y = yoe + era * 400 + (mo <= 2);
	int n;

	if (t == UINT64_MAX) {
		/* The conventional "no end" of a window. */
		memcpy(out, "never", sizeof("never"));
		return;
	}
	n = snprintf(out, TIME_TEXT, "%04" PRIu64 "-%02u-%02uT%02u:%02u:%02uZ", y, mo, d,
		     (unsigned)(s / 3600), (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	if (n < 0 || n >= TIME_TEXT)
		memcpy(out, "?", sizeof("?"));
}

struct text {
	char *out;
	size_t cap, len;
	bool truncated;
};

static __attribute__((format(printf, 2, 3))) void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->truncated || t->cap == 0) {
		t->truncated = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(t->out + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->out[t->len] = '\0';
		t->truncated = true;
		return;
	}
	if ((size_t)n >= t->cap - t->len) {
		/* vsnprintf kept what fits, NUL-terminated; text_finish() marks it. */
		t->len = t->cap - 1;
		t->truncated = true;
		return;
	}
	t->len += (size_t)n;
}

/* A cut explanation must not read as a whole one: mark it. */
static void text_finish(struct text *t)
{
	size_t pos;

	if (!t->truncated || t->cap == 0)
		return;
	if (t->cap < 4) {
		t->out[0] = '\0';
		return;
	}
	pos = t->len < t->cap - 4 ? t->len : t->cap - 4;
	memcpy(t->out + pos, "...", 4);
	t->len = pos + 3;
}

/*
 * A label is the household's own text and may hold quotes and line breaks
 * (record.h allows '\n' and '\t'): escaped, it cannot end its quotes or
 * forge a line of the explanation such as "valid: ...".
 */
#define LABEL_TEXT (2 * LABEL_MAX + 1)

static void label_text(const char *label, char out[LABEL_TEXT])
{
	size_t o = 0;

	for (size_t i = 0; label[i] && i < LABEL_MAX; i++) {
		char ch = label[i];
		if (ch == '"' || ch == '\\' || ch == '\n' || ch == '\t') {
			out[o++] = '\\';
			ch = ch == '\n' ? 'n' : ch == '\t' ? 't' : ch;
		}
		out[o++] = ch;
	}
	out[o] = '\0';
}

/* "the founder", "itself" or "coordinator 7KQD-...": who revoked. */
#define WHO_TEXT (sizeof("coordinator ") + FINGERPRINT_LEN)

static void who_text(const membership_t *m, const struct mrev *r, char out[WHO_TEXT])
{
	char fp[FINGERPRINT_LEN];

	if (memcmp(r->author, m->founder, 32) == 0) {
		memcpy(out, "the founder", sizeof("the founder"));
	} else if (memcmp(r->author, r->subject, 32) == 0) {
		memcpy(out, "itself", sizeof("itself"));
	} else {
		keytext_fingerprint(r->author, fp);
		memcpy(out, "coordinator ", sizeof("coordinator ") - 1);
		memcpy(out + sizeof("coordinator ") - 1, fp, FINGERPRINT_LEN);
	}
}

static void explain_reasons(const membership_t *m, const struct mcert *c,
			    const struct verdict *v, struct text *t)
{
	char fp[FINGERPRINT_LEN], by[WHO_TEXT], when[TIME_TEXT], made[TIME_TEXT];

	time_text(c->created, made);
	if (v->subject_rev) {
		const struct mrev *r = v->subject_rev;
		keytext_fingerprint(c->subject, fp);
		who_text(m, r, by);
		time_text(r->created, when);
		text_add(t, "revoked: %s was revoked by %s at %s%s.\n", fp, by, when,
			 r->scope == REVOKE_CASCADE ? ", with everything it certified" : "");
	}
	keytext_fingerprint(c->issuer, fp);
	switch (v->issuer) {
	case ISSUER_NOT_FOUNDER:
		text_add(t, "issuer: only the founder may certify a coordinator, and %s is "
			    "not the founder.\n", fp);
		break;
	case ISSUER_NO_COORD:
		text_add(t, "issuer: %s held no coordinator certificate from the founder at "
			    "%s, when this certificate was made.\n", fp, made);
		break;
	default:
		break;
	}
	if (v->issuer_void) {
		time_text(v->issuer_void->created, when);
		if (v->issuer_void->scope == REVOKE_CASCADE)
			text_add(t, "issuer: coordinator %s was revoked at %s together with "
				    "everything it certified.\n", fp, when);
		else
			text_add(t, "issuer: coordinator %s was revoked at %s, valid up to its "
				    "record %" PRIu64 ", and this certificate is its record %" PRIu64
				    ".\n", fp, when, v->issuer_void->bound, c->seq);
	} else if (v->issuer_rev) {
		time_text(v->issuer_rev->created, when);
		text_add(t, "note: coordinator %s was revoked at %s (its key only), valid up to "
			    "its record %" PRIu64 "; this certificate is its record %" PRIu64
			    " and stays good.\n", fp, when, v->issuer_rev->bound, c->seq);
	}
	time_text(c->not_before, when);
	if (v->window == SAMEN_ENOTYET)
		text_add(t, "not yet valid: its window begins at %s.\n", when);
	time_text(c->not_after, when);
	if (v->window == SAMEN_EEXPIRED)
		text_add(t, "expired: its window ended at %s.\n", when);
}

int membership_explain(const membership_t *m, const struct record *cert, uint64_t now,
		       char *out, size_t cap)
{
	struct text t = { out, out ? cap : 0, 0, false };
	char subj[FINGERPRINT_LEN], iss[FINGERPRINT_LEN], from[TIME_TEXT], until[TIME_TEXT];
	char label[LABEL_TEXT];
	const char *issuer_is;
	struct mcert c;
	struct verdict v;
	int ret;

	if (t.cap)
		out[0] = '\0';
	if (!m || !cert) {
		ret = SAMEN_EINVAL;
		goto out;
	}
	if (cert->kind != REC_CERT) {
		text_add(&t, "invalid: a %s is not a certificate.\n", record_kind_name(cert->kind));
		ret = SAMEN_EKIND;
		goto out;
	}
	if (memcmp(cert->nbhd, m->founder, 32) != 0) {
		keytext_fingerprint(cert->nbhd, iss);
		text_add(&t, "invalid: certificate of another neighbourhood (%s).\n", iss);
		ret = SAMEN_ENBHD;
		goto out;
	}

	/* The same copy membership_add() keeps, so the verdict is the same. */
	membership_copy_cert(&c, cert);
	membership_judge(m, &c, now, &v);
	ret = v.code;

	keytext_fingerprint(c.subject, subj);
	keytext_fingerprint(c.issuer, iss);
	time_text(c.not_before, from);
	time_text(c.not_after, until);
	label_text(c.label, label);
	issuer_is = v.issuer == ISSUER_FOUNDER ? "the founder " :
		    v.issuer == ISSUER_COORDINATOR ? "coordinator " : "";
	text_add(&t, "%s: %s \"%s\" %s, certified by %s%s, from %s until %s.\n",
		 ret == 0 ? "valid" : "invalid", record_role_name(c.role), label, subj,
		 issuer_is, iss, from, until);
	explain_reasons(m, &c, &v, &t);
out:
	text_finish(&t);
	return ret;
}


size_t membership_named(const membership_t *m, unsigned role, uint8_t (*keys)[32], size_t cap)
{
	size_t count = 0;
	const uint8_t *last = NULL;

	if (!m)
		return 0;
	/* cert_idx is sorted by subject: one entry per key */
	for (size_t i = 0; i < m->n_certs; i++) {
		const struct mcert *c = &m->certs[m->cert_idx[i]];
		if (c->role != role || (last && memcmp(last, c->subject, 32) == 0))
			continue;
		if (keys && count < cap)
			memcpy(keys[count], c->subject, 32);
		count++;
		last = c->subject;
	}
	return count;
}
