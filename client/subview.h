/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * subview.h — what `samen subscribe` believes about the neighbourhoods it
 * serves: their membership, built from the certificates and revocations the
 * relay delivers (keys/membership.c decides, exactly as a daemon's does),
 * anchored in the founder keys the authority pinned (--nbhd). The relay is
 * trusted for nothing: a record is output only if it passes these checks,
 * and every refusal is counted by reason and told on stderr.
 */
#ifndef SAMEN_SUBVIEW_H
#define SAMEN_SUBVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../proto/record.h"

#define SUBVIEW_NBHD_MAX 16
/* How far ahead of this machine's clock a record may be dated (the daemon's
 * default clock skew). */
#define SUBVIEW_SKEW 600

/* Why a record from the relay was not output. */
enum subview_reason {
	SV_OK = 0,
	SV_MALFORMED,   /* not a record, or its signature is bad */
	SV_NBHD,        /* of a neighbourhood this authority did not pin */
	SV_NOT_MEMBER,  /* author holds no valid membership (or is revoked) */
	SV_ROLE,        /* a kind the author's role may not author */
	SV_RETRACTOR,   /* a retraction by neither the signal's author nor a coordinator */
	SV_MEMBERSHIP,  /* a certificate or revocation membership refused */
	SV_DUPLICATE,   /* a record already output (at another cursor, or another run) */
	SV_CURSOR,      /* a cursor no relay could have, or a jump no log makes */
	SV_NOT_SHARED,  /* a signal not shared with this key */
	SV_FUTURE,      /* dated beyond this machine's clock */
	SV_COUNT
};

struct subview;

/* A view anchored in n founder keys (1..SUBVIEW_NBHD_MAX). Returns 0,
 * SAMEN_EINVAL or -ENOMEM. */
int subview_new(struct subview **out, const uint8_t (*nbhds)[32], size_t n) SAMEN_MUST_CHECK;
void subview_free(struct subview **v);

/* Takes a verified certificate or revocation into the membership of its
 * neighbourhood. A record the view already holds is SV_OK. */
enum subview_reason subview_add(struct subview *v, const struct record *r);

/* Whether a verified signal may be output: its neighbourhood pinned, its
 * author a member (the founder, a coordinator or a member) when it was
 * signed, not dated in the future (now: unix seconds). */
enum subview_reason subview_signal(const struct subview *v, const struct record *r, uint64_t now);

/* Whether a verified retraction of a signal by target_author may be
 * output: by the founder, a coordinator, or the signal's own author while a
 * member. */
enum subview_reason subview_retraction(const struct subview *v, const struct record *r,
				       const uint8_t target_author[32], uint64_t now);

/* Refusals, counted by reason; the first few of each reason are told on
 * err, one line each (cursor, id, reason), the rest only counted. */
struct subview_refusals {
	uint64_t n[SV_COUNT];
	uint64_t total;
};
void subview_refuse(struct subview_refusals *t, enum subview_reason why, uint64_t cursor,
		    const uint8_t *id, FILE *err);
/* One line on err with the counts ("refused N records from the relay: ..."),
 * nothing when there were none. */
void subview_summary(const struct subview_refusals *t, FILE *err);
const char *subview_reason_name(enum subview_reason why);

#endif
