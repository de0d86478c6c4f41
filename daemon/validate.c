/* SPDX-License-Identifier: EUPL-1.2 */
/* validate.c — the rules of validate.h. */
#include "validate.h"

#include <string.h>

static bool is_founder(const struct record *r)
{
	return memcmp(r->author, r->nbhd, 32) == 0;
}

static enum reject from_membership(int err)
{
	switch (err) {
	case 0:
		return RJ_NONE;
	case SAMEN_EREVOKED:
		return RJ_REVOKED;
	case SAMEN_ENOCERT:
		return RJ_NOCERT;
	default:
		return RJ_ROLE;
	}
}

enum reject validate_time(const struct record *r, uint64_t now, const struct node_params *p)
{
	if (r->created > now + p->clock_skew)
		return RJ_SKEW;
	uint64_t exp = record_expires(r);
	if (exp != 0 && exp <= now)
		return RJ_EXPIRED;
	if ((r->kind == REC_SIGNAL || r->kind == REC_ANNOUNCE) && p->retention &&
	    now > p->retention && r->created < now - p->retention)
		return RJ_EXPIRED;
	return RJ_NONE;
}

enum reject validate_issuer(const membership_t *mem, const struct record *r)
{
	return from_membership(membership_issuer_ok(mem, r));
}

/* The issuer was entitled when the epoch was accepted; what can change
 * since is a revocation bounding it out. Only that is asked again: a
 * coordinator certificate that has since expired (and been pruned) must not
 * take the neighbourhood's epoch with it. */
bool validate_epoch_counts(const membership_t *mem, const struct epoch *e)
{
	return mem && membership_check_seq(mem, e->author, e->seq) == 0;
}

enum reject validate_epoch_number(const struct epoch *epochs, size_t n_epochs,
				  const struct record *r)
{
	uint64_t number = r->u.epoch.number;

	if (number == UINT64_MAX)
		return RJ_EPOCH;
	if (number == 1)
		return RJ_NONE;
	for (size_t i = 0; i < n_epochs; i++) {
		const struct epoch *e = &epochs[i];
		if (e->number == number - 1 && memcmp(e->nbhd, r->nbhd, 32) == 0)
			return RJ_NONE;
	}
	return RJ_EPOCH;
}

enum reject validate_author(const membership_t *mem, const struct record *r, uint64_t now,
			    bool own_target)
{
	int ret;

	switch (r->kind) {
	case REC_SIGNAL:
	case REC_PEER:
		if (is_founder(r))
			return RJ_NONE;
		ret = membership_check(mem, r->author, ROLE_MEMBER, now, NULL);
		if (ret != 0 && r->kind == REC_PEER)
			ret = membership_check(mem, r->author, ROLE_RELAY, now, NULL);
		return from_membership(ret);
	case REC_RETRACTION:
		if (is_founder(r))
			return RJ_NONE;
		ret = membership_check(mem, r->author, ROLE_COORDINATOR, now, NULL);
		if (ret != 0 && own_target)
			ret = membership_check(mem, r->author, ROLE_MEMBER, now, NULL);
		return from_membership(ret);
	case REC_ANNOUNCE:
		return from_membership(membership_check(mem, r->author, ROLE_AUTHORITY, now, NULL));
	default:
		return RJ_MALFORMED;
	}
}
