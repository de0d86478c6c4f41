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
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keytext.h"

/* Hard cap per kind: indexes are uint32_t, and a neighbourhood with more
 * certificates than this is an attack, not a street. */
#define MEMBERSHIP_MAX 65536
#define GROW_FIRST 16

struct mcert {
	uint8_t id[32];
	uint8_t issuer[32]; /* the record's author */
	uint8_t subject[32];
	uint64_t seq, created, not_before, not_after;
	uint8_t role;
	char label[LABEL_MAX + 1];
};

struct mrev {
	uint8_t id[32];
	uint8_t author[32];
	uint8_t subject[32];
	uint64_t seq, created;
	uint64_t bound; /* the subject's records above this seq have no authority */
	uint8_t scope;
	bool by_founder;
};

struct membership {
	uint8_t founder[32];
	struct mcert *certs;
	uint32_t *cert_idx; /* into certs, by (subject, id) */
	size_t n_certs, cap_certs;
	struct mrev *revs;
	uint32_t *rev_idx; /* into revs, in rule order (rev_order) */
	uint32_t *eff_idx; /* effective ones, by subject, then rule order */
	size_t n_revs, n_eff, cap_revs;
};

/* Why one certificate is or is not valid, in enough detail to explain it. */
enum issuer_state {
	ISSUER_FOUNDER,
	ISSUER_COORDINATOR,   /* held a founder's coordinator cert at created */
	ISSUER_NOT_FOUNDER,   /* a coordinator certificate not by the founder */
	ISSUER_NO_COORD,      /* held no coordinator certificate at created */
};

struct verdict {
	int code;                       /* 0 or the certificate's reason */
	const struct mrev *subject_rev; /* earliest effective revocation of subject */
	enum issuer_state issuer;
	const struct mrev *issuer_void; /* issuer revocation that voids the cert */
	const struct mrev *issuer_rev;  /* earliest issuer revocation, voiding or not */
	int window;                     /* 0, SAMEN_ENOTYET or SAMEN_EEXPIRED */
};

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
 * revocations before r in (created, id) order: that is what "not already
 * revoked by an earlier effective revocation" asks.
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

/* Walks the revocations in (created, id) order. Never allocates: eff_idx
 * is grown together with revs. */
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
static void judge(const membership_t *m, const struct mcert *c, uint64_t now, struct verdict *v)
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
		judge(m, c, now, &v);
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
	size_t pos, len;
	int ret;

	pos = certs_lower(m, rc->subject, r->id);
	if (pos < m->n_certs && memcmp(m->certs[m->cert_idx[pos]].id, r->id, 32) == 0)
		return SAMEN_EDUPLICATE;
	ret = certs_grow(m);
	if (ret < 0)
		return ret;

	c = &m->certs[m->n_certs];
	memset(c, 0, sizeof(*c));
	memcpy(c->id, r->id, 32);
	memcpy(c->issuer, r->author, 32);
	memcpy(c->subject, rc->subject, 32);
	c->seq = r->seq;
	c->created = r->created;
	c->not_before = rc->not_before;
	c->not_after = rc->not_after;
	c->role = rc->role;
	len = strnlen(rc->label, LABEL_MAX);
	memcpy(c->label, rc->label, len);
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
		if (memcmp(author, r->u.rev.subject, 32) == 0)
			return cert_subject(m, author) ? 0 : SAMEN_ENOCERT;
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

/* ---- explaining ---- */

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
	size_t len;
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
	memset(&c, 0, sizeof(c));
	memcpy(c.id, cert->id, 32);
	memcpy(c.issuer, cert->author, 32);
	memcpy(c.subject, cert->u.cert.subject, 32);
	c.seq = cert->seq;
	c.created = cert->created;
	c.not_before = cert->u.cert.not_before;
	c.not_after = cert->u.cert.not_after;
	c.role = cert->u.cert.role;
	len = strnlen(cert->u.cert.label, LABEL_MAX);
	memcpy(c.label, cert->u.cert.label, len);
	judge(m, &c, now, &v);
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
