/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * membership.c — the rules of membership.h over compact copies of
 * certificates and revocations.
 *
 * Certificates are kept in arrival order and reached through an index sorted
 * by (subject, id): a key's certificates are one run, found by binary search,
 * and a duplicate lands on its own twin. Revocations are kept the same way
 * with an index in the order the rules take them in (rev_order: the
 * founder's first, then by (created, id)). Which revocations are effective
 * depends on every revocation before it and on the founder's coordinator
 * certificates, so it is recomputed whenever one of those arrives, into a
 * third index sorted by subject, then rule order; the queries then only
 * read. The recursion the rules could suggest is bounded by
 * construction: a coordinator is only ever certified by the founder, who
 * cannot be revoked, so no chain is longer than founder -> coordinator ->
 * subject.
 */
#include "membership.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "membership_int.h"

/* Hard cap per kind: indexes are uint32_t, and a neighbourhood with more
 * certificates than this is an attack, not a street. */
#define MEMBERSHIP_MAX 65536
#define GROW_FIRST 16

static bool role_ok(unsigned role)
{
	return role >= ROLE_MEMBER && role <= ROLE_AUTHORITY;
}

/* A coordinator can do whatever a member can. */
static bool role_grants(unsigned held, unsigned wanted)
{
	return held == wanted || (wanted == ROLE_MEMBER && held == ROLE_COORDINATOR);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* ---- lookups ---- */

/* First position in cert_idx whose subject is >= key (with id when given). */
static size_t certs_lower(const membership_t *m, const uint8_t key[32], const uint8_t *id)
{
	size_t lo = 0, hi = m->n_certs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mcert *c = &m->certs[m->cert_idx[mid]];
		int d = memcmp(c->subject, key, 32);
		if (d == 0 && id)
			d = memcmp(c->id, id, 32);
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The run [*begin, *end) of cert_idx holding key's certificates. */
static void certs_run(const membership_t *m, const uint8_t key[32], size_t *begin, size_t *end)
{
	size_t i = certs_lower(m, key, NULL);

	*begin = i;
	while (i < m->n_certs && memcmp(m->certs[m->cert_idx[i]].subject, key, 32) == 0)
		i++;
	*end = i;
}

/*
 * The order the rules take revocations in: the founder's first, since they
 * are effective whatever else holds and so must settle who may still revoke
 * before anyone's claimed time is looked at; then (created, id), so every
 * daemon reaches the same answer from the same set.
 */
static int rev_order(const struct mrev *a, const struct mrev *b)
{
	if (a->by_founder != b->by_founder)
		return a->by_founder ? -1 : 1;
	int d = cmp_u64(a->created, b->created);
	return d ? d : memcmp(a->id, b->id, 32);
}

static size_t revs_lower(const membership_t *m, const struct mrev *key)
{
	size_t lo = 0, hi = m->n_revs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rev_order(&m->revs[m->rev_idx[mid]], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Effective revocations are ordered by subject, then in rule order, so the
 * first of a key's run is the earliest. */
static int eff_order(const struct mrev *a, const struct mrev *b)
{
	int d = memcmp(a->subject, b->subject, 32);
	return d ? d : rev_order(a, b);
}

static size_t eff_lower_key(const membership_t *m, const uint8_t key[32])
{
	size_t lo = 0, hi = m->n_eff;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(m->revs[m->eff_idx[mid]].subject, key, 32) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Earliest effective revocation of key, or NULL. */
static const struct mrev *eff_first(const membership_t *m, const uint8_t key[32])
{
	size_t i = eff_lower_key(m, key);

	if (i < m->n_eff && memcmp(m->revs[m->eff_idx[i]].subject, key, 32) == 0)
		return &m->revs[m->eff_idx[i]];
	return NULL;
}

/*
 * Whether key held a coordinator certificate from the founder whose window
 * holds t. The certificate's own revocation is the caller's business: it
 * decides differently for revocations (revoked before t) and certificates
 * (the issuer-revocation rule).
 */
static bool coord_at(const membership_t *m, const uint8_t key[32], uint64_t t)
{
	size_t i, end;

	for (certs_run(m, key, &i, &end); i < end; i++) {
		const struct mcert *c = &m->certs[m->cert_idx[i]];
		if (c->role == ROLE_COORDINATOR && memcmp(c->issuer, m->founder, 32) == 0 &&
		    c->not_before <= t && t < c->not_after)
			return true;
	}
	return false;
}

/* Whether key was ever certified coordinator by the founder, at any time. */
static bool coord_ever(const membership_t *m, const uint8_t key[32])
{
	size_t i, end;

	for (certs_run(m, key, &i, &end); i < end; i++) {
		const struct mcert *c = &m->certs[m->cert_idx[i]];
		if (c->role == ROLE_COORDINATOR && memcmp(c->issuer, m->founder, 32) == 0)
			return true;
	}
	return false;
}

/* Whether key is the subject of any certificate of the set: only such a
 * key has anything to leave, so only it may revoke itself. */
static bool cert_subject(const membership_t *m, const uint8_t key[32])
{
	size_t i, end;

	certs_run(m, key, &i, &end);
	return i < end;
}

/*
 * Whether key's record with sequence number seq is outside an effective
 * revocation's bound, with the revocation that says so in *by (may be NULL).
 * A cascade revocation concerns certificates, which the caller judges; here
 * every kind of record is bounded alike.
 */
static bool past_bound(const membership_t *m, const uint8_t key[32], uint64_t seq,
		       const struct mrev **by)
{
	for (size_t i = eff_lower_key(m, key); i < m->n_eff; i++) {
		const struct mrev *r = &m->revs[m->eff_idx[i]];
		if (memcmp(r->subject, key, 32) != 0)
			break;
		if (seq > r->bound) {
			if (by)
				*by = r;
			return true;
		}
	}
	return false;
}

/* ---- effective revocations ---- */

static void eff_insert(membership_t *m, uint32_t k)
{
	size_t lo = 0, hi = m->n_eff;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (eff_order(&m->revs[m->eff_idx[mid]], &m->revs[k]) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&m->eff_idx[lo + 1], &m->eff_idx[lo], (m->n_eff - lo) * sizeof(*m->eff_idx));
	m->eff_idx[lo] = k;
	m->n_eff++;
}

/*
 * Whether r is effective, given that eff holds exactly the effective
 * revocations before r in rule order: a coordinator's revocation counts
 * only within the bound of every one of those that revoke it.
 */
static bool rev_effective(const membership_t *m, const struct mrev *r)
{
	if (memcmp(r->subject, m->founder, 32) == 0)
		return false; /* refused by membership_add(); kept for safety */
	if (r->by_founder)
		return true;
	if (memcmp(r->author, r->subject, 32) == 0)
		return cert_subject(m, r->author);
	return coord_at(m, r->author, r->created) && !past_bound(m, r->author, r->seq, NULL);
}

/* Walks the revocations in rule order. Never allocates: eff_idx is grown
 * together with revs. */
static void eff_recompute(membership_t *m)
{
	m->n_eff = 0;
	for (size_t i = 0; i < m->n_revs; i++)
		if (rev_effective(m, &m->revs[m->rev_idx[i]]))
			eff_insert(m, m->rev_idx[i]);
}

/* ---- judging one certificate ---- */

static void judge_issuer(const membership_t *m, const struct mcert *c, struct verdict *v)
{
	size_t i;

	if (memcmp(c->issuer, m->founder, 32) == 0) {
		v->issuer = ISSUER_FOUNDER;
		return;
	}
	if (c->role == ROLE_COORDINATOR) {
		v->issuer = ISSUER_NOT_FOUNDER;
		return;
	}
	if (!coord_at(m, c->issuer, c->created)) {
		v->issuer = ISSUER_NO_COORD;
		return;
	}
	v->issuer = ISSUER_COORDINATOR;
	/*
	 * A cascade voids everything the issuer certified. A key-only
	 * revocation voids what the issuer signed past its bound, by sequence
	 * number: a `created` can be backdated, a sequence number cannot be
	 * moved below one the revoker has seen.
	 */
	for (i = eff_lower_key(m, c->issuer); i < m->n_eff; i++) {
		const struct mrev *r = &m->revs[m->eff_idx[i]];
		if (memcmp(r->subject, c->issuer, 32) != 0)
			break;
		if (!v->issuer_rev)
			v->issuer_rev = r;
		if (r->scope == REVOKE_CASCADE) {
			v->issuer_void = r;
			return;
		}
	}
	(void)past_bound(m, c->issuer, c->seq, &v->issuer_void);
}

/* Per certificate, a revoked subject outranks a bad issuer, which outranks
 * the window: a certificate whose issuer was never entitled stays worthless
 * however its dates move, so renewing it is the wrong advice. */
void membership_judge(const membership_t *m, const struct mcert *c, uint64_t now,
		      struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->subject_rev = eff_first(m, c->subject);
	judge_issuer(m, c, v);
	if (now < c->not_before)
		v->window = SAMEN_ENOTYET;
	else if (now >= c->not_after)
		v->window = SAMEN_EEXPIRED;

	if (v->subject_rev)
		v->code = SAMEN_EREVOKED;
	else if (v->issuer == ISSUER_NOT_FOUNDER || v->issuer == ISSUER_NO_COORD ||
		 v->issuer_void)
		v->code = SAMEN_EISSUER;
	else
		v->code = v->window;
}

/*
 * How close a failing certificate came to granting the role, for choosing
 * among a key's certificates: not yet valid (it will be, with nothing to do)
 * > expired (renewal by the same issuer fixes it) > bad issuer (needs a new
 * certificate from someone else) > none at all. Revoked needs no rank: it
 * concerns the key, so membership_check() answers it before looking.
 */
static int reason_rank(int code)
{
	switch (code) {
	case SAMEN_ENOTYET:
		return 3;
	case SAMEN_EEXPIRED:
		return 2;
	case SAMEN_EISSUER:
		return 1;
	default:
		return 0;
	}
}

/* Checks a key that is not the founder and not revoked. */
static int check_run(const membership_t *m, size_t i, size_t end, unsigned role, uint64_t now,
		     uint8_t cert_id[32])
{
	int best = SAMEN_ENOCERT;
	struct verdict v;

	for (; i < end; i++) {
		const struct mcert *c = &m->certs[m->cert_idx[i]];
		if (!role_grants(c->role, role))
			continue;
		membership_judge(m, c, now, &v);
		if (v.code == 0) {
			if (cert_id)
				memcpy(cert_id, c->id, 32);
			return 0;
		}
		if (reason_rank(v.code) > reason_rank(best))
			best = v.code;
	}
	return best;
}

/* ---- public: set ---- */

membership_t *membership_new(const uint8_t nbhd[32])
{
	membership_t *m = calloc(1, sizeof(*m));

	if (m)
		memcpy(m->founder, nbhd, 32);
	return m;
}

void membership_free(membership_t **m)
{
	if (!m || !*m)
		return;
	free((*m)->certs);
	free((*m)->cert_idx);
	free((*m)->revs);
	free((*m)->rev_idx);
	free((*m)->eff_idx);
	free(*m);
	*m = NULL;
}

/* The next capacity of an array that is full at cap. */
static int cap_next(size_t cap, size_t *want)
{
	if (cap >= MEMBERSHIP_MAX)
		return SAMEN_ETOOBIG;
	*want = cap ? cap * 2 : GROW_FIRST;
	if (*want > MEMBERSHIP_MAX)
		*want = MEMBERSHIP_MAX;
	return 0;
}

/* The capacity moves only once every array has grown, so a failure half-way
 * leaves some arrays merely larger than needed. */
static int certs_grow(membership_t *m)
{
	struct mcert *c;
	uint32_t *idx;
	size_t want;
	int ret;

	if (m->n_certs < m->cap_certs)
		return 0;
	ret = cap_next(m->cap_certs, &want);
	if (ret < 0)
		return ret;
	c = realloc(m->certs, want * sizeof(*c));
	if (!c)
		return -ENOMEM;
	m->certs = c;
	idx = realloc(m->cert_idx, want * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	m->cert_idx = idx;
	m->cap_certs = want;
	return 0;
}

static int revs_grow(membership_t *m)
{
	struct mrev *r;
	uint32_t *idx;
	size_t want;
	int ret;

	if (m->n_revs < m->cap_revs)
		return 0;
	ret = cap_next(m->cap_revs, &want);
	if (ret < 0)
		return ret;
	r = realloc(m->revs, want * sizeof(*r));
	if (!r)
		return -ENOMEM;
	m->revs = r;
	idx = realloc(m->rev_idx, want * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	m->rev_idx = idx;
	idx = realloc(m->eff_idx, want * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	m->eff_idx = idx;
	m->cap_revs = want;
	return 0;
}

static int add_cert(membership_t *m, const struct record *r)
{
	const struct rec_cert *rc = &r->u.cert;
	struct mcert *c;
	size_t pos;
	int ret;

	pos = certs_lower(m, rc->subject, r->id);
	if (pos < m->n_certs && memcmp(m->certs[m->cert_idx[pos]].id, r->id, 32) == 0)
		return SAMEN_EDUPLICATE;
	ret = certs_grow(m);
	if (ret < 0)
		return ret;

	c = &m->certs[m->n_certs];
	membership_copy_cert(c, r);
	memmove(&m->cert_idx[pos + 1], &m->cert_idx[pos],
		(m->n_certs - pos) * sizeof(*m->cert_idx));
	m->cert_idx[pos] = (uint32_t)m->n_certs;
	m->n_certs++;

	/* Only a founder's coordinator certificate can make a revocation
	 * effective (or, by being earlier, another one ineffective). */
	if (m->n_revs && c->role == ROLE_COORDINATOR && memcmp(c->issuer, m->founder, 32) == 0)
		eff_recompute(m);
	return 0;
}

/* A missing bound (the 0.1.0 form) is 0: fail closed. A key revoking
 * itself cannot vouch for the record doing it, nor anything after. */
static uint64_t rev_bound(const struct record *r)
{
	uint64_t bound = r->u.rev.has_upto ? r->u.rev.upto : 0;

	if (memcmp(r->author, r->u.rev.subject, 32) == 0 && bound >= r->seq)
		bound = r->seq - 1;
	return bound;
}

static int add_revocation(membership_t *m, const struct record *r)
{
	const struct rec_revocation *rr = &r->u.rev;
	struct mrev *v, key;
	size_t pos;
	int ret;

	memset(&key, 0, sizeof(key));
	memcpy(key.id, r->id, 32);
	memcpy(key.author, r->author, 32);
	memcpy(key.subject, rr->subject, 32);
	key.seq = r->seq;
	key.created = r->created;
	key.bound = rev_bound(r);
	key.scope = rr->scope;
	key.by_founder = memcmp(r->author, m->founder, 32) == 0;

	pos = revs_lower(m, &key);
	if (pos < m->n_revs && memcmp(m->revs[m->rev_idx[pos]].id, r->id, 32) == 0)
		return SAMEN_EDUPLICATE;
	if (memcmp(rr->subject, m->founder, 32) == 0)
		return SAMEN_EISSUER;
	/* Judged on what is held now: a certificate that arrives later does
	 * not bring back a revocation refused here. */
	if (!key.by_founder &&
	    (memcmp(r->author, rr->subject, 32) == 0 ? !cert_subject(m, r->author)
						     : !coord_ever(m, r->author)))
		return SAMEN_EISSUER;
	ret = revs_grow(m);
	if (ret < 0)
		return ret;

	v = &m->revs[m->n_revs];
	*v = key;
	memmove(&m->rev_idx[pos + 1], &m->rev_idx[pos], (m->n_revs - pos) * sizeof(*m->rev_idx));
	m->rev_idx[pos] = (uint32_t)m->n_revs;
	m->n_revs++;
	/* The newest revocation, the usual case, changes no earlier verdict. */
	if (pos == m->n_revs - 1) {
		if (rev_effective(m, v))
			eff_insert(m, m->rev_idx[pos]);
	} else {
		eff_recompute(m);
	}
	return 0;
}

void membership_copy_cert(struct mcert *c, const struct record *r)
{
	const struct rec_cert *rc = &r->u.cert;
	size_t len = strnlen(rc->label, LABEL_MAX);

	memset(c, 0, sizeof(*c));
	memcpy(c->id, r->id, 32);
	memcpy(c->issuer, r->author, 32);
	memcpy(c->subject, rc->subject, 32);
	c->seq = r->seq;
	c->created = r->created;
	c->not_before = rc->not_before;
	c->not_after = rc->not_after;
	c->role = rc->role;
	memcpy(c->label, rc->label, len);
}

int membership_add(membership_t *m, const struct record *r)
{
	if (!m || !r)
		return SAMEN_EINVAL;
	if (r->kind != REC_CERT && r->kind != REC_REVOCATION)
		return SAMEN_EKIND;
	if (memcmp(r->nbhd, m->founder, 32) != 0)
		return SAMEN_ENBHD;
	return r->kind == REC_CERT ? add_cert(m, r) : add_revocation(m, r);
}

/* ---- public: queries ---- */

/* An unknown role is the caller's mistake, not a missing certificate, so it
 * gets SAMEN_EINVAL rather than one of the documented reasons. */
int membership_check(const membership_t *m, const uint8_t key[32], unsigned role,
		     uint64_t now, uint8_t cert_id[32])
{
	size_t begin, end;

	if (!m || !key || !role_ok(role))
		return SAMEN_EINVAL;
	if (memcmp(key, m->founder, 32) == 0) {
		if (cert_id)
			memset(cert_id, 0, 32);
		return 0;
	}
	if (eff_first(m, key))
		return SAMEN_EREVOKED;
	certs_run(m, key, &begin, &end);
	return check_run(m, begin, end, role, now, cert_id);
}

int membership_check_seq(const membership_t *m, const uint8_t key[32], uint64_t seq)
{
	if (!m || !key)
		return SAMEN_EINVAL;
	if (memcmp(key, m->founder, 32) == 0)
		return 0;
	return past_bound(m, key, seq, NULL) ? SAMEN_EREVOKED : 0;
}

int membership_issuer_ok(const membership_t *m, const struct record *r)
{
	const uint8_t *author;

	if (!m || !r)
		return SAMEN_EINVAL;
	if (memcmp(r->nbhd, m->founder, 32) != 0)
		return SAMEN_ENBHD;
	author = r->author;
	switch (r->kind) {
	case REC_CERT:
		if (memcmp(author, m->founder, 32) == 0)
			return 0;
		if (r->u.cert.role == ROLE_COORDINATOR)
			return SAMEN_EISSUER;
		break;
	case REC_REVOCATION:
		if (memcmp(r->u.rev.subject, m->founder, 32) == 0)
			return SAMEN_EISSUER;
		if (memcmp(author, m->founder, 32) == 0)
			return 0;
		/* one leaving is enough: more would only be permanent records */
		if (memcmp(author, r->u.rev.subject, 32) == 0)
			return !cert_subject(m, author) ? SAMEN_ENOCERT :
			       eff_first(m, author)	? SAMEN_EREVOKED : 0;
		break;
	case REC_EPOCH:
		if (memcmp(author, m->founder, 32) == 0)
			return 0;
		break;
	default:
		return SAMEN_EKIND;
	}
	if (!coord_at(m, author, r->created))
		return cert_subject(m, author) ? SAMEN_EISSUER : SAMEN_ENOCERT;
	return membership_check_seq(m, author, r->seq);
}

int membership_is_revoked(const membership_t *m, const uint8_t key[32])
{
	return m && key && eff_first(m, key) ? 1 : 0;
}

size_t membership_list(const membership_t *m, unsigned role, uint64_t now,
		       uint8_t (*keys)[32], size_t cap)
{
	size_t count = 0, i = 0, end;
	bool founder_listed = role == ROLE_MEMBER || role == ROLE_COORDINATOR;

	if (!m || !role_ok(role))
		return 0;
	if (founder_listed) {
		if (keys && count < cap)
			memcpy(keys[count], m->founder, 32);
		count++;
	}
	/* cert_idx groups each subject's certificates: one verdict per key,
	 * in ascending key order, so every daemon lists alike. */
	for (; i < m->n_certs; i = end) {
		const uint8_t *key = m->certs[m->cert_idx[i]].subject;
		certs_run(m, key, &i, &end);
		if (founder_listed && memcmp(key, m->founder, 32) == 0)
			continue;
		if (eff_first(m, key) || check_run(m, i, end, role, now, NULL) != 0)
			continue;
		if (keys && count < cap)
			memcpy(keys[count], key, 32);
		count++;
	}
	return count;
}

int membership_knows(const membership_t *m, const uint8_t key[32])
{
	if (!m)
		return 0;
	if (memcmp(key, m->founder, 32) == 0)
		return 1;
	for (size_t i = 0; i < m->n_certs; i++)
		if (memcmp(m->certs[i].subject, key, 32) == 0 ||
		    memcmp(m->certs[i].issuer, key, 32) == 0)
			return 1;
	return 0;
}
