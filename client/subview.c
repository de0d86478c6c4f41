/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * subview.c — the subscriber's own membership view and the checks it makes
 * on every record before output (subview.h).
 */
#include "subview.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../keys/membership.h"

/* Refusals told one line each, per reason; the rest are only counted. */
#define TOLD_MAX 10

struct subview {
	uint8_t nbhd[SUBVIEW_NBHD_MAX][32];
	membership_t *mem[SUBVIEW_NBHD_MAX];
	size_t n;
};

int subview_new(struct subview **out, const uint8_t (*nbhds)[32], size_t n)
{
	if (n == 0 || n > SUBVIEW_NBHD_MAX)
		return SAMEN_EINVAL;
	struct subview *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		memcpy(v->nbhd[i], nbhds[i], 32);
		v->mem[i] = membership_new(nbhds[i]);
		v->n++;
		if (!v->mem[i]) {
			subview_free(&v);
			return -ENOMEM;
		}
	}
	*out = v;
	return 0;
}

void subview_free(struct subview **pv)
{
	struct subview *v = *pv;
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		membership_free(&v->mem[i]);
	free(v);
	*pv = NULL;
}

static membership_t *mem_for(const struct subview *v, const uint8_t nbhd[32])
{
	for (size_t i = 0; i < v->n; i++)
		if (memcmp(v->nbhd[i], nbhd, 32) == 0)
			return v->mem[i];
	return NULL;
}

enum subview_reason subview_add(struct subview *v, const struct record *r)
{
	membership_t *m = mem_for(v, r->nbhd);
	if (!m)
		return SV_NBHD;
	if (r->kind != REC_CERT && r->kind != REC_REVOCATION)
		return SV_MALFORMED;
	int ret = membership_add(m, r);
	return ret == 0 || ret == SAMEN_EDUPLICATE ? SV_OK : SV_MEMBERSHIP;
}

/* The one question every check asks: did author hold role when it signed
 * r? The founder holds every role; the rules are membership.c's. */
static bool holds(const membership_t *m, const struct record *r, unsigned role)
{
	if (memcmp(r->author, r->nbhd, 32) == 0)
		return true;
	return membership_check(m, r->author, role, r->created, NULL) == 0;
}

/* Why an author that may not do this is refused: a relay's or an
 * authority's key signing what only members sign is a role violation. */
static enum subview_reason not_member(const membership_t *m, const struct record *r)
{
	return holds(m, r, ROLE_RELAY) || holds(m, r, ROLE_AUTHORITY) ? SV_ROLE : SV_NOT_MEMBER;
}

enum subview_reason subview_signal(const struct subview *v, const struct record *r, uint64_t now)
{
	const membership_t *m = mem_for(v, r->nbhd);
	if (!m)
		return SV_NBHD;
	if (r->kind != REC_SIGNAL)
		return SV_MALFORMED;
	if (r->created > now + SUBVIEW_SKEW)
		return SV_FUTURE;
	return holds(m, r, ROLE_MEMBER) ? SV_OK : not_member(m, r);
}

enum subview_reason subview_retraction(const struct subview *v, const struct record *r,
				       const uint8_t target_author[32], uint64_t now)
{
	const membership_t *m = mem_for(v, r->nbhd);
	if (!m)
		return SV_NBHD;
	if (r->kind != REC_RETRACTION)
		return SV_MALFORMED;
	if (r->created > now + SUBVIEW_SKEW)
		return SV_FUTURE;
	if (holds(m, r, ROLE_COORDINATOR))
		return SV_OK;
	if (target_author && memcmp(target_author, r->author, 32) == 0)
		return holds(m, r, ROLE_MEMBER) ? SV_OK : not_member(m, r);
	return SV_RETRACTOR;
}

const char *subview_reason_name(enum subview_reason why)
{
	static const char *const names[SV_COUNT] = {
		[SV_OK] = "ok",
		[SV_MALFORMED] = "malformed or badly signed",
		[SV_NBHD] = "not a pinned neighbourhood",
		[SV_NOT_MEMBER] = "author not a member",
		[SV_ROLE] = "kind not allowed for the author's role",
		[SV_RETRACTOR] = "retraction by neither the author nor a coordinator",
		[SV_MEMBERSHIP] = "membership record refused",
		[SV_DUPLICATE] = "already output",
		[SV_CURSOR] = "impossible cursor",
		[SV_NOT_SHARED] = "not shared with this key",
		[SV_FUTURE] = "dated in the future",
	};
	return (unsigned)why < SV_COUNT ? names[why] : "unknown";
}

void subview_refuse(struct subview_refusals *t, enum subview_reason why, uint64_t cursor,
		    const uint8_t *id, FILE *err)
{
	if ((unsigned)why >= SV_COUNT || why == SV_OK)
		return;
	t->total++;
	if (++t->n[why] > TOLD_MAX)
		return;
	char idh[65] = "-";
	if (id)
		sodium_bin2hex(idh, sizeof(idh), id, 32);
	fprintf(err, "samen: refused a record from the relay (cursor %" PRIu64 ", id %.16s): %s%s\n",
		cursor, idh, subview_reason_name(why),
		t->n[why] == TOLD_MAX ? " (more of these are only counted)" : "");
}

void subview_summary(const struct subview_refusals *t, FILE *err)
{
	if (!t->total)
		return;
	fprintf(err, "samen: refused %" PRIu64 " records from the relay:", t->total);
	const char *sep = " ";
	for (unsigned i = 1; i < SV_COUNT; i++)
		if (t->n[i]) {
			fprintf(err, "%s%" PRIu64 " %s", sep, t->n[i], subview_reason_name(i));
			sep = ", ";
		}
	fputc('\n', err);
}
