/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_membership.c — membership rules over real signed records: every record
 * here is made with record_sign() and read back with record_open(), as a
 * daemon would receive it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../keys/keytext.h"
#include "../../keys/membership.h"
#include "../../proto/record.h"

#define T0 1767225600ULL /* 2026-01-01T00:00:00Z */
#define DAY 86400ULL
#define YEAR (365 * DAY)

struct key {
	uint8_t pk[32];
	uint8_t sk[64];
};

struct fx {
	struct key founder, coord, coord2, member, member2, other;
	membership_t *m;
	uint64_t seq;
	size_t last_len; /* length of what seal() made last */
	bool has_upto;   /* rev_rec() gives revocations this bound */
	uint64_t upto;
};

static void key_new(struct key *k)
{
	crypto_sign_keypair(k->pk, k->sk);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || sodium_init() < 0)
		return -1;
	key_new(&f->founder);
	key_new(&f->coord);
	key_new(&f->coord2);
	key_new(&f->member);
	key_new(&f->member2);
	key_new(&f->other);
	f->m = membership_new(f->founder.pk);
	if (!f->m)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	membership_free(&f->m);
	assert_null(f->m);
	free(f);
	return 0;
}

/* Signs r as `by`, then decodes and verifies it into *d; returns the buffer
 * *d borrows from (caller frees). */
static uint8_t *seal(struct fx *f, struct record *r, const struct key *by, struct record *d)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	memcpy(r->author, by->pk, 32);
	r->seq = ++f->seq;
	assert_int_equal(record_sign(r, by->sk, &buf, &len), 0);
	assert_int_equal(record_open(buf, len, d), 0);
	f->last_len = len;
	return buf;
}

static uint8_t *cert_rec(struct fx *f, const uint8_t nbhd[32], const struct key *issuer,
			 const uint8_t subject[32], unsigned role, const char *label,
			 uint64_t created, uint64_t nb, uint64_t na, struct record *d)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.kind = REC_CERT;
	memcpy(r.nbhd, nbhd, 32);
	r.created = created;
	memcpy(r.u.cert.subject, subject, 32);
	r.u.cert.role = (uint8_t)role;
	snprintf(r.u.cert.label, sizeof(r.u.cert.label), "%s", label);
	r.u.cert.not_before = nb;
	r.u.cert.not_after = na;
	return seal(f, &r, issuer, d);
}

/* Adds a one-year certificate of f's neighbourhood made at `created`. */
static int cert(struct fx *f, const struct key *issuer, const struct key *subject, unsigned role,
		uint64_t created, uint8_t id[32])
{
	struct record d;
	uint8_t *buf = cert_rec(f, f->founder.pk, issuer, subject->pk, role, "Lindelaan 12",
				created, T0, T0 + YEAR, &d);
	int ret = membership_add(f->m, &d);

	if (id)
		memcpy(id, d.id, 32);
	free(buf);
	return ret;
}

static uint8_t *rev_rec(struct fx *f, const uint8_t nbhd[32], const struct key *author,
			const uint8_t subject[32], unsigned scope, uint64_t created,
			struct record *d)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.kind = REC_REVOCATION;
	memcpy(r.nbhd, nbhd, 32);
	r.created = created;
	memcpy(r.u.rev.subject, subject, 32);
	r.u.rev.scope = (uint8_t)scope;
	r.u.rev.has_upto = f->has_upto;
	r.u.rev.upto = f->upto;
	snprintf(r.u.rev.reason, sizeof(r.u.rev.reason), "moved away");
	return seal(f, &r, author, d);
}

static int revoke(struct fx *f, const struct key *author, const struct key *subject,
		  unsigned scope, uint64_t created)
{
	struct record d;
	uint8_t *buf = rev_rec(f, f->founder.pk, author, subject->pk, scope, created, &d);
	int ret = membership_add(f->m, &d);

	free(buf);
	return ret;
}

static int check(struct fx *f, const struct key *k, unsigned role, uint64_t now)
{
	return membership_check(f->m, k->pk, role, now, NULL);
}

static void make_coord(struct fx *f, const struct key *k)
{
	assert_int_equal(cert(f, &f->founder, k, ROLE_COORDINATOR, T0, NULL), 0);
}

/* ---- certification ---- */

static void founder_certified_member_is_valid(void **state)
{
	struct fx *f = *state;
	uint8_t id[32], got[32], zero[32] = { 0 };

	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), SAMEN_ENOCERT);
	assert_int_equal(cert(f, &f->founder, &f->member, ROLE_MEMBER, T0, id), 0);
	memset(got, 0xaa, sizeof(got));
	assert_int_equal(membership_check(f->m, f->member.pk, ROLE_MEMBER, T0 + DAY, got), 0);
	assert_memory_equal(got, id, 32);
	/* A member is not a coordinator, relay or authority. */
	assert_int_equal(check(f, &f->member, ROLE_COORDINATOR, T0 + DAY), SAMEN_ENOCERT);
	assert_int_equal(check(f, &f->member, ROLE_RELAY, T0 + DAY), SAMEN_ENOCERT);
	assert_int_equal(check(f, &f->other, ROLE_MEMBER, T0 + DAY), SAMEN_ENOCERT);
	/* The founder holds every role without a certificate. */
	for (unsigned role = ROLE_MEMBER; role <= ROLE_AUTHORITY; role++) {
		memset(got, 0xaa, sizeof(got));
		assert_int_equal(membership_check(f->m, f->founder.pk, role, 0, got), 0);
		assert_memory_equal(got, zero, 32);
	}
	assert_int_equal(check(f, &f->member, 0, T0 + DAY), SAMEN_EINVAL);
	assert_int_equal(check(f, &f->member, 5, T0 + DAY), SAMEN_EINVAL);
}

static void coordinator_certified_member_is_valid(void **state)
{
	struct fx *f = *state;
	uint8_t id[32], got[32];

	make_coord(f, &f->coord);
	assert_int_equal(cert(f, &f->coord, &f->member, ROLE_MEMBER, T0 + 10, id), 0);
	assert_int_equal(membership_check(f->m, f->member.pk, ROLE_MEMBER, T0 + DAY, got), 0);
	assert_memory_equal(got, id, 32);
	assert_int_equal(cert(f, &f->coord, &f->other, ROLE_RELAY, T0 + 10, NULL), 0);
	assert_int_equal(check(f, &f->other, ROLE_RELAY, T0 + DAY), 0);
	/* A coordinator also counts as a member. */
	assert_int_equal(check(f, &f->coord, ROLE_COORDINATOR, T0 + DAY), 0);
	assert_int_equal(check(f, &f->coord, ROLE_MEMBER, T0 + DAY), 0);
	assert_int_equal(check(f, &f->coord, ROLE_AUTHORITY, T0 + DAY), SAMEN_ENOCERT);
}

static void member_certified_by_plain_member_is_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cert(f, &f->founder, &f->member, ROLE_MEMBER, T0, NULL), 0);
	/* Accepted into the set: the issuer's own certificate might come later. */
	assert_int_equal(cert(f, &f->member, &f->member2, ROLE_MEMBER, T0 + 10, NULL), 0);
	assert_int_equal(check(f, &f->member2, ROLE_MEMBER, T0 + DAY), SAMEN_EISSUER);
	/* An unknown key certifying is no better. */
	assert_int_equal(cert(f, &f->other, &f->coord2, ROLE_AUTHORITY, T0 + 10, NULL), 0);
	assert_int_equal(check(f, &f->coord2, ROLE_AUTHORITY, T0 + DAY), SAMEN_EISSUER);
}

static void coordinator_certified_by_coordinator_is_invalid(void **state)
{
	struct fx *f = *state;

	make_coord(f, &f->coord);
	assert_int_equal(cert(f, &f->coord, &f->coord2, ROLE_COORDINATOR, T0 + 10, NULL), 0);
	assert_int_equal(check(f, &f->coord2, ROLE_COORDINATOR, T0 + DAY), SAMEN_EISSUER);
	assert_int_equal(check(f, &f->coord2, ROLE_MEMBER, T0 + DAY), SAMEN_EISSUER);
	/* ... and so coord2 cannot certify anyone either. */
	assert_int_equal(cert(f, &f->coord2, &f->member, ROLE_MEMBER, T0 + 20, NULL), 0);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), SAMEN_EISSUER);
}

static void issuer_must_be_coordinator_when_certifying(void **state)
{
	struct fx *f = *state;
	struct record d;
	uint8_t *buf;

	/* coord is a coordinator only during [T0, T0 + 100). */
	buf = cert_rec(f, f->founder.pk, &f->founder, f->coord.pk, ROLE_COORDINATOR, "c", T0,
		       T0, T0 + 100, &d);
	assert_int_equal(membership_add(f->m, &d), 0);
	free(buf);
	assert_int_equal(cert(f, &f->coord, &f->member, ROLE_MEMBER, T0 + 50, NULL), 0);
	assert_int_equal(cert(f, &f->coord, &f->member2, ROLE_MEMBER, T0 + 100, NULL), 0);
	/* Made while coord was one: stays good after coord's own window ends. */
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), 0);
	assert_int_equal(check(f, &f->member2, ROLE_MEMBER, T0 + DAY), SAMEN_EISSUER);
	assert_int_equal(check(f, &f->coord, ROLE_COORDINATOR, T0 + DAY), SAMEN_EEXPIRED);
}

static void validity_window_is_half_open(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cert(f, &f->founder, &f->member, ROLE_MEMBER, T0, NULL), 0);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 - 1), SAMEN_ENOTYET);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0), 0);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + YEAR - 1), 0);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + YEAR), SAMEN_EEXPIRED);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, UINT64_MAX), SAMEN_EEXPIRED);
}

static void best_certificate_and_reason_are_chosen(void **state)
{
	struct fx *f = *state;
	struct record d;
	uint8_t *buf, renewal[32], got[32];

	/* A bad-issuer certificate and an expired one: expired is more telling. */
	assert_int_equal(cert(f, &f->other, &f->member, ROLE_MEMBER, T0, NULL), 0);
	assert_int_equal(cert(f, &f->founder, &f->member, ROLE_MEMBER, T0, NULL), 0);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + YEAR), SAMEN_EEXPIRED);
	/* Add the renewal, valid from next year: "not yet" beats "expired". */
	buf = cert_rec(f, f->founder.pk, &f->founder, f->member.pk, ROLE_MEMBER, "renewed",
		       T0 + YEAR - DAY, T0 + YEAR + DAY, T0 + 2 * YEAR, &d);
	assert_int_equal(membership_add(f->m, &d), 0);
	memcpy(renewal, d.id, 32);
	free(buf);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + YEAR), SAMEN_ENOTYET);
	/* And once it starts, it is the one that grants. */
	assert_int_equal(membership_check(f->m, f->member.pk, ROLE_MEMBER, T0 + YEAR + DAY, got),
			 0);
	assert_memory_equal(got, renewal, 32);
}

/* ---- revocation ---- */

static void member_revoked_by_coordinator(void **state)
{
	struct fx *f = *state;

	make_coord(f, &f->coord);
	assert_int_equal(cert(f, &f->founder, &f->member, ROLE_MEMBER, T0, NULL), 0);
	assert_int_equal(membership_is_revoked(f->m, f->member.pk), 0);
	assert_int_equal(revoke(f, &f->coord, &f->member, REVOKE_KEY, T0 + DAY), 0);
	assert_int_equal(membership_is_revoked(f->m, f->member.pk), 1);
	/* Regardless of time: before the revocation was made too. */
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + 10), SAMEN_EREVOKED);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 - 10), SAMEN_EREVOKED);
	/* A new certificate does not bring a revoked key back. */
	assert_int_equal(cert(f, &f->founder, &f->member, ROLE_MEMBER, T0 + 2 * DAY, NULL), 0);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + 3 * DAY), SAMEN_EREVOKED);
	assert_int_equal(check(f, &f->coord, ROLE_MEMBER, T0 + 3 * DAY), 0);
}

static void revocation_by_non_coordinator_is_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cert(f, &f->founder, &f->member, ROLE_MEMBER, T0, NULL), 0);
	assert_int_equal(cert(f, &f->founder, &f->member2, ROLE_MEMBER, T0, NULL), 0);
	assert_int_equal(revoke(f, &f->member, &f->member2, REVOKE_KEY, T0 + 10), SAMEN_EISSUER);
	assert_int_equal(revoke(f, &f->other, &f->member2, REVOKE_CASCADE, T0 + 10),
			 SAMEN_EISSUER);
	/* A "coordinator" certified by a coordinator is no coordinator. */
	make_coord(f, &f->coord);
	assert_int_equal(cert(f, &f->coord, &f->coord2, ROLE_COORDINATOR, T0 + 5, NULL), 0);
	assert_int_equal(revoke(f, &f->coord2, &f->member2, REVOKE_KEY, T0 + 10),
			 SAMEN_EISSUER);
	assert_int_equal(membership_is_revoked(f->m, f->member2.pk), 0);
	assert_int_equal(check(f, &f->member2, ROLE_MEMBER, T0 + DAY), 0);
}

static void revocation_outside_coordinator_window_is_ineffective(void **state)
{
	struct fx *f = *state;
	struct record d;
	uint8_t *buf;

	assert_int_equal(cert(f, &f->founder, &f->member, ROLE_MEMBER, T0, NULL), 0);
	/* coord becomes coordinator only at T0 + 100; its revocation is older. */
	buf = cert_rec(f, f->founder.pk, &f->founder, f->coord.pk, ROLE_COORDINATOR, "c",
		       T0 + 100, T0 + 100, T0 + YEAR, &d);
	assert_int_equal(membership_add(f->m, &d), 0);
	free(buf);
	assert_int_equal(revoke(f, &f->coord, &f->member, REVOKE_KEY, T0 + 50), 0);
	assert_int_equal(membership_is_revoked(f->m, f->member.pk), 0);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), 0);
	/* A coordinator certificate that covers T0 + 50, arriving later, makes
	 * the held revocation effective. */
	buf = cert_rec(f, f->founder.pk, &f->founder, f->coord.pk, ROLE_COORDINATOR, "c", T0,
		       T0, T0 + YEAR, &d);
	assert_int_equal(membership_add(f->m, &d), 0);
	free(buf);
	assert_int_equal(membership_is_revoked(f->m, f->member.pk), 1);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), SAMEN_EREVOKED);
}

static void self_revocation(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cert(f, &f->founder, &f->member, ROLE_MEMBER, T0, NULL), 0);
	assert_int_equal(revoke(f, &f->member, &f->member, REVOKE_KEY, T0 + 10), 0);
	assert_int_equal(membership_is_revoked(f->m, f->member.pk), 1);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), SAMEN_EREVOKED);
	/* A key that never had a certificate has nothing to leave: its
	 * "self-revocation" would only be a permanent record of a stranger. */
	assert_int_equal(revoke(f, &f->other, &f->other, REVOKE_KEY, T0 + 10), SAMEN_EISSUER);
	assert_int_equal(check(f, &f->other, ROLE_MEMBER, T0 + DAY), SAMEN_ENOCERT);
}

static void founder_cannot_be_revoked(void **state)
{
	struct fx *f = *state;

	make_coord(f, &f->coord);
	assert_int_equal(revoke(f, &f->coord, &f->founder, REVOKE_CASCADE, T0 + 10),
			 SAMEN_EISSUER);
	assert_int_equal(revoke(f, &f->founder, &f->founder, REVOKE_KEY, T0 + 10),
			 SAMEN_EISSUER);
	assert_int_equal(membership_is_revoked(f->m, f->founder.pk), 0);
	assert_int_equal(check(f, &f->founder, ROLE_COORDINATOR, T0 + DAY), 0);
	assert_int_equal(check(f, &f->coord, ROLE_COORDINATOR, T0 + DAY), 0);
}

static void key_only_revocation_keeps_earlier_certificates(void **state)
{
	struct fx *f = *state;

	make_coord(f, &f->coord);
	assert_int_equal(cert(f, &f->coord, &f->member, ROLE_MEMBER, T0 + 10, NULL), 0);
	/* valid up to the certificate just made, by its sequence number */
	f->has_upto = true;
	f->upto = f->seq;
	assert_int_equal(revoke(f, &f->founder, &f->coord, REVOKE_KEY, T0 + 20), 0);
	assert_int_equal(cert(f, &f->coord, &f->member2, ROLE_MEMBER, T0 + 30, NULL), 0);
	/* dated before the revocation, but signed after it: no authority */
	assert_int_equal(cert(f, &f->coord, &f->other, ROLE_MEMBER, T0 + 5, NULL), 0);

	assert_int_equal(check(f, &f->coord, ROLE_COORDINATOR, T0 + DAY), SAMEN_EREVOKED);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), 0);
	assert_int_equal(check(f, &f->member2, ROLE_MEMBER, T0 + DAY), SAMEN_EISSUER);
	assert_int_equal(check(f, &f->other, ROLE_MEMBER, T0 + DAY), SAMEN_EISSUER);
}

/* A revocation without a bound (the 0.1.0 form) fails closed: nothing the
 * revoked coordinator signed keeps any authority. */
static void missing_bound_fails_closed(void **state)
{
	struct fx *f = *state;

	make_coord(f, &f->coord);
	assert_int_equal(cert(f, &f->coord, &f->member, ROLE_MEMBER, T0 + 10, NULL), 0);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), 0);
	assert_int_equal(revoke(f, &f->founder, &f->coord, REVOKE_KEY, T0 + 20), 0);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), SAMEN_EISSUER);
	assert_int_equal(membership_check_seq(f->m, f->coord.pk, 1), SAMEN_EREVOKED);
	assert_int_equal(membership_check_seq(f->m, f->founder.pk, UINT64_MAX), 0);
}

/* A key revoking itself cannot keep authority past that record, whatever
 * bound it names. */
static void self_revocation_bound(void **state)
{
	struct fx *f = *state;
	uint64_t self_seq;

	make_coord(f, &f->coord);
	assert_int_equal(cert(f, &f->coord, &f->member, ROLE_MEMBER, T0 + 10, NULL), 0);
	f->has_upto = true;
	f->upto = UINT64_MAX;
	assert_int_equal(revoke(f, &f->coord, &f->coord, REVOKE_KEY, T0 + 20), 0);
	self_seq = f->seq;
	assert_int_equal(cert(f, &f->coord, &f->member2, ROLE_MEMBER, T0 + 5, NULL), 0);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), 0);
	assert_int_equal(check(f, &f->member2, ROLE_MEMBER, T0 + DAY), SAMEN_EISSUER);
	assert_int_equal(membership_check_seq(f->m, f->coord.pk, self_seq - 1), 0);
	assert_int_equal(membership_check_seq(f->m, f->coord.pk, self_seq), SAMEN_EREVOKED);
}

/* The founder's revocations are taken first: a coordinator the founder
 * bounded cannot revoke anyone past its bound by claiming an earlier time. */
static void founder_revocations_first(void **state)
{
	struct fx *f = *state;
	uint64_t bound;

	make_coord(f, &f->coord);
	make_coord(f, &f->coord2);
	bound = f->seq;
	/* coord revokes coord2, dated well before the founder revokes coord */
	assert_int_equal(revoke(f, &f->coord, &f->coord2, REVOKE_KEY, T0 + 10), 0);
	f->has_upto = true;
	f->upto = bound;
	assert_int_equal(revoke(f, &f->founder, &f->coord, REVOKE_KEY, T0 + 50), 0);
	assert_int_equal(membership_is_revoked(f->m, f->coord.pk), 1);
	assert_int_equal(membership_is_revoked(f->m, f->coord2.pk), 0);
	assert_int_equal(check(f, &f->coord2, ROLE_COORDINATOR, T0 + DAY), 0);
	/* the issuer rules agree: coord may issue nothing past its bound */
	struct record d;
	uint8_t *buf = cert_rec(f, f->founder.pk, &f->coord, f->other.pk, ROLE_MEMBER, "x",
				T0 + 1, T0, T0 + YEAR, &d);
	assert_int_equal(membership_issuer_ok(f->m, &d), SAMEN_EREVOKED);
	free(buf);
	buf = cert_rec(f, f->founder.pk, &f->coord2, f->other.pk, ROLE_MEMBER, "x", T0 + 60, T0,
		       T0 + YEAR, &d);
	assert_int_equal(membership_issuer_ok(f->m, &d), 0);
	free(buf);
	buf = cert_rec(f, f->founder.pk, &f->member, f->other.pk, ROLE_MEMBER, "x", T0 + 60, T0,
		       T0 + YEAR, &d);
	assert_int_equal(membership_issuer_ok(f->m, &d), SAMEN_ENOCERT);
	free(buf);
}

static void cascade_revocation_voids_everything_certified(void **state)
{
	struct fx *f = *state;

	make_coord(f, &f->coord);
	make_coord(f, &f->coord2);
	assert_int_equal(cert(f, &f->coord, &f->member, ROLE_MEMBER, T0 + 10, NULL), 0);
	assert_int_equal(cert(f, &f->coord2, &f->member2, ROLE_MEMBER, T0 + 10, NULL), 0);
	assert_int_equal(revoke(f, &f->coord2, &f->coord, REVOKE_CASCADE, T0 + 20), 0);
	assert_int_equal(check(f, &f->coord, ROLE_COORDINATOR, T0 + DAY), SAMEN_EREVOKED);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), SAMEN_EISSUER);
	assert_int_equal(check(f, &f->member2, ROLE_MEMBER, T0 + DAY), 0);
}

/* Adds the four records of two coordinators revoking each other in the given
 * order to a fresh set of f's neighbourhood, then reports who is revoked. */
static void mutual(struct fx *f, const uint8_t *recs[4], const size_t lens[4],
		   const int order[4], int *c1_revoked, int *c2_revoked)
{
	membership_t *m = membership_new(f->founder.pk);
	struct record d;

	assert_non_null(m);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(record_open(recs[order[i]], lens[order[i]], &d), 0);
		assert_int_equal(membership_add(m, &d), 0);
	}
	*c1_revoked = membership_is_revoked(m, f->coord.pk);
	*c2_revoked = membership_is_revoked(m, f->coord2.pk);
	membership_free(&m);
}

static void mutual_revocation_earlier_wins(uint64_t t1, uint64_t t2, struct fx *f,
					   int *c1_revoked, int *c2_revoked, int *c1_id_lower)
{
	/* Certificates first: a revocation needs its author certified. */
	static const int orders[][4] = { { 0, 1, 2, 3 }, { 1, 0, 3, 2 }, { 0, 1, 3, 2 } };
	struct record d[4];
	uint8_t *recs[4];
	size_t lens[4];
	int a = -1, b = -1;

	recs[0] = cert_rec(f, f->founder.pk, &f->founder, f->coord.pk, ROLE_COORDINATOR, "c1",
			   T0, T0, T0 + YEAR, &d[0]);
	lens[0] = f->last_len;
	recs[1] = cert_rec(f, f->founder.pk, &f->founder, f->coord2.pk, ROLE_COORDINATOR, "c2",
			   T0, T0, T0 + YEAR, &d[1]);
	lens[1] = f->last_len;
	recs[2] = rev_rec(f, f->founder.pk, &f->coord, f->coord2.pk, REVOKE_KEY, t1, &d[2]);
	lens[2] = f->last_len;
	recs[3] = rev_rec(f, f->founder.pk, &f->coord2, f->coord.pk, REVOKE_KEY, t2, &d[3]);
	lens[3] = f->last_len;
	*c1_id_lower = memcmp(d[2].id, d[3].id, 32) < 0;
	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		int r1, r2;
		mutual(f, (const uint8_t **)recs, lens, orders[o], &r1, &r2);
		if (o == 0) {
			a = r1;
			b = r2;
		}
		assert_int_equal(r1, a);
		assert_int_equal(r2, b);
	}
	*c1_revoked = a;
	*c2_revoked = b;
	for (int i = 0; i < 4; i++)
		free(recs[i]);
}

static void coordinators_revoking_each_other(void **state)
{
	struct fx *f = *state;
	int r1, r2, c1_lower;

	/* coord revokes coord2 first: coord2's answer comes too late. */
	mutual_revocation_earlier_wins(T0 + 100, T0 + 200, f, &r1, &r2, &c1_lower);
	assert_int_equal(r1, 0);
	assert_int_equal(r2, 1);
	/* The other way round. */
	mutual_revocation_earlier_wins(T0 + 300, T0 + 200, f, &r1, &r2, &c1_lower);
	assert_int_equal(r1, 1);
	assert_int_equal(r2, 0);
	/* Same second: the lower record id goes first. */
	mutual_revocation_earlier_wins(T0 + 100, T0 + 100, f, &r1, &r2, &c1_lower);
	assert_int_equal(r1, !c1_lower);
	assert_int_equal(r2, c1_lower);
}

/* ---- what membership_add() refuses ---- */

static void other_neighbourhood_and_kind_are_refused(void **state)
{
	struct fx *f = *state;
	struct record r, d;
	uint8_t *buf;

	buf = cert_rec(f, f->other.pk, &f->other, f->member.pk, ROLE_MEMBER, "x", T0, T0,
		       T0 + YEAR, &d);
	assert_int_equal(membership_add(f->m, &d), SAMEN_ENBHD);
	free(buf);
	buf = rev_rec(f, f->other.pk, &f->founder, f->member.pk, REVOKE_KEY, T0, &d);
	assert_int_equal(membership_add(f->m, &d), SAMEN_ENBHD);
	free(buf);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), SAMEN_ENOCERT);

	memset(&r, 0, sizeof(r));
	r.kind = REC_PEER;
	memcpy(r.nbhd, f->founder.pk, 32);
	r.created = T0;
	snprintf(r.u.peer.endpoint, sizeof(r.u.peer.endpoint), "tcp://192.0.2.7:7400");
	r.u.peer.expires = T0 + DAY;
	buf = seal(f, &r, &f->founder, &d);
	assert_int_equal(membership_add(f->m, &d), SAMEN_EKIND);
	free(buf);
}

static void duplicates_are_refused(void **state)
{
	struct fx *f = *state;
	struct record d;
	uint8_t *buf;

	buf = cert_rec(f, f->founder.pk, &f->founder, f->member.pk, ROLE_MEMBER, "x", T0, T0,
		       T0 + YEAR, &d);
	assert_int_equal(membership_add(f->m, &d), 0);
	assert_int_equal(membership_add(f->m, &d), SAMEN_EDUPLICATE);
	free(buf);
	buf = rev_rec(f, f->founder.pk, &f->founder, f->member.pk, REVOKE_KEY, T0 + 5, &d);
	assert_int_equal(membership_add(f->m, &d), 0);
	assert_int_equal(membership_add(f->m, &d), SAMEN_EDUPLICATE);
	free(buf);
}

static void many_records_grow_the_set(void **state)
{
	struct fx *f = *state;
	struct key k;

	/* Past a few reallocations, and the first key stays findable. */
	for (int i = 0; i < 100; i++) {
		key_new(&k);
		assert_int_equal(cert(f, &f->founder, &k, ROLE_MEMBER, T0 + (uint64_t)i, NULL), 0);
		assert_int_equal(revoke(f, &k, &k, REVOKE_KEY, T0 + (uint64_t)i), 0);
	}
	assert_int_equal(cert(f, &f->founder, &f->member, ROLE_MEMBER, T0, NULL), 0);
	assert_int_equal(check(f, &f->member, ROLE_MEMBER, T0 + DAY), 0);
	assert_int_equal(check(f, &k, ROLE_MEMBER, T0 + DAY), SAMEN_EREVOKED);
	assert_int_equal(membership_list(f->m, ROLE_MEMBER, T0 + DAY, NULL, 0), 2);
}

/* ---- list ---- */

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static void list_valid_keys(void **state)
{
	struct fx *f = *state;
	uint8_t keys[8][32], expect[3][32];
	struct record d;
	uint8_t *buf;

	make_coord(f, &f->coord);
	assert_int_equal(cert(f, &f->coord, &f->member, ROLE_MEMBER, T0 + 1, NULL), 0);
	/* Two certificates, one key: listed once. */
	assert_int_equal(cert(f, &f->founder, &f->member, ROLE_MEMBER, T0 + 2, NULL), 0);
	assert_int_equal(cert(f, &f->founder, &f->member2, ROLE_MEMBER, T0, NULL), 0);
	assert_int_equal(revoke(f, &f->coord, &f->member2, REVOKE_KEY, T0 + 3), 0);
	assert_int_equal(cert(f, &f->founder, &f->other, ROLE_RELAY, T0, NULL), 0);
	buf = cert_rec(f, f->founder.pk, &f->founder, f->coord2.pk, ROLE_MEMBER, "old", T0 - YEAR,
		       T0 - YEAR, T0, &d);
	assert_int_equal(membership_add(f->m, &d), 0);
	free(buf);

	/* Members: founder first, then coord and member in key order. */
	assert_int_equal(membership_list(f->m, ROLE_MEMBER, T0 + DAY, keys, 8), 3);
	assert_memory_equal(keys[0], f->founder.pk, 32);
	memcpy(expect[0], f->coord.pk, 32);
	memcpy(expect[1], f->member.pk, 32);
	qsort(expect, 2, 32, key_cmp);
	assert_memory_equal(keys[1], expect[0], 32);
	assert_memory_equal(keys[2], expect[1], 32);

	/* A short array still gets the full count. */
	memset(keys, 0, sizeof(keys));
	assert_int_equal(membership_list(f->m, ROLE_MEMBER, T0 + DAY, keys, 1), 3);
	assert_memory_equal(keys[0], f->founder.pk, 32);
	memset(expect[2], 0, 32);
	assert_memory_equal(keys[1], expect[2], 32);
	assert_int_equal(membership_list(f->m, ROLE_MEMBER, T0 + DAY, NULL, 0), 3);

	assert_int_equal(membership_list(f->m, ROLE_COORDINATOR, T0 + DAY, keys, 8), 2);
	assert_memory_equal(keys[1], f->coord.pk, 32);
	assert_int_equal(membership_list(f->m, ROLE_RELAY, T0 + DAY, keys, 8), 1);
	assert_memory_equal(keys[0], f->other.pk, 32);
	assert_int_equal(membership_list(f->m, ROLE_AUTHORITY, T0 + DAY, keys, 8), 0);
	/* Last year, coord2's old certificate was good and nobody else's yet. */
	assert_int_equal(membership_list(f->m, ROLE_MEMBER, T0 - DAY, keys, 8), 2);
	assert_memory_equal(keys[1], f->coord2.pk, 32);
	assert_int_equal(membership_list(f->m, 9, T0, keys, 8), 0);
}

/* ---- explain ---- */

/* Explains a certificate and checks the code against membership_check(),
 * which holds only for a key's sole certificate of that role. */
static int explain(struct fx *f, const struct record *c, uint64_t now, char *out, size_t cap)
{
	int ret = membership_explain(f->m, c, now, out, cap);

	if (c->kind == REC_CERT && memcmp(c->nbhd, f->founder.pk, 32) == 0)
		assert_int_equal(ret, membership_check(f->m, c->u.cert.subject, c->u.cert.role,
						       now, NULL));
	return ret;
}

static void explain_says_why(void **state)
{
	struct fx *f = *state;
	char text[1024], fp[FINGERPRINT_LEN];
	struct record d, dk;
	uint8_t *buf, *bufk;

	make_coord(f, &f->coord);
	buf = cert_rec(f, f->founder.pk, &f->coord, f->member.pk, ROLE_MEMBER, "Lindelaan 12",
		       T0 + 10, T0, T0 + YEAR, &d);
	assert_int_equal(membership_add(f->m, &d), 0);

	assert_int_equal(explain(f, &d, T0 + DAY, text, sizeof(text)), 0);
	assert_true(strncmp(text, "valid: member \"Lindelaan 12\"", 28) == 0);
	keytext_fingerprint(f->member.pk, fp);
	assert_non_null(strstr(text, fp));
	keytext_fingerprint(f->coord.pk, fp);
	assert_non_null(strstr(text, "certified by coordinator "));
	assert_non_null(strstr(text, fp));
	assert_non_null(strstr(text, "from 2026-01-01T00:00:00Z until 2027-01-01T00:00:00Z"));
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);

	assert_int_equal(explain(f, &d, T0 + YEAR, text, sizeof(text)), SAMEN_EEXPIRED);
	assert_true(strncmp(text, "invalid: ", 9) == 0);
	assert_non_null(strstr(text, "\nexpired: its window ended at 2027-01-01T00:00:00Z"));
	assert_int_equal(explain(f, &d, T0 - 1, text, sizeof(text)), SAMEN_ENOTYET);
	assert_non_null(strstr(text, "\nnot yet valid: its window begins at 2026-01-01T00:00:00Z"));

	/* Key-only revocation of the issuer afterwards: still good, and said. */
	f->has_upto = true;
	f->upto = f->seq;
	assert_int_equal(revoke(f, &f->founder, &f->coord, REVOKE_KEY, T0 + 20), 0);
	assert_int_equal(explain(f, &d, T0 + DAY, text, sizeof(text)), 0);
	assert_true(strncmp(text, "valid: ", 7) == 0);
	assert_non_null(strstr(text, "stays good"));
	/* A certificate the revoked coordinator makes afterwards is not. */
	bufk = cert_rec(f, f->founder.pk, &f->coord, f->member2.pk, ROLE_MEMBER, "late",
			T0 + 30, T0, T0 + YEAR, &dk);
	assert_int_equal(membership_add(f->m, &dk), 0);
	assert_int_equal(explain(f, &dk, T0 + DAY, text, sizeof(text)), SAMEN_EISSUER);
	assert_true(strncmp(text, "invalid: ", 9) == 0);
	assert_non_null(strstr(text, "was revoked at 2026-01-01T00:00:20Z"));
	assert_non_null(strstr(text, "and this certificate is its record"));
	free(bufk);

	/* The subject revoked (several reasons: one line each). */
	assert_int_equal(revoke(f, &f->member, &f->member, REVOKE_KEY, T0 + 40), 0);
	assert_int_equal(explain(f, &d, T0 + YEAR, text, sizeof(text)), SAMEN_EREVOKED);
	assert_non_null(strstr(text, "\nrevoked: "));
	assert_non_null(strstr(text, "was revoked by itself at 2026-01-01T00:00:40Z"));
	assert_non_null(strstr(text, "\nexpired: "));
	free(buf);

	/* A member issuer that never was a coordinator. */
	bufk = cert_rec(f, f->founder.pk, &f->other, f->member2.pk, ROLE_MEMBER, "x", T0, T0,
			T0 + YEAR, &dk);
	assert_int_equal(membership_add(f->m, &dk), 0);
	assert_int_equal(explain(f, &dk, T0 + DAY, text, sizeof(text)), SAMEN_EISSUER);
	assert_non_null(strstr(text, "held no coordinator certificate from the founder at "
				     "2026-01-01T00:00:00Z"));
	free(bufk);
	/* A coordinator certificate not made by the founder. */
	bufk = cert_rec(f, f->founder.pk, &f->coord2, f->member2.pk, ROLE_COORDINATOR, "x", T0,
			T0, T0 + YEAR, &dk);
	assert_int_equal(membership_add(f->m, &dk), 0);
	assert_int_equal(explain(f, &dk, T0 + DAY, text, sizeof(text)), SAMEN_EISSUER);
	assert_non_null(strstr(text, "only the founder may certify a coordinator"));
	free(bufk);
}

static void explain_escapes_label_and_truncates(void **state)
{
	struct fx *f = *state;
	char text[1024], small[24];
	struct record d;
	uint8_t *buf;

	buf = cert_rec(f, f->founder.pk, &f->founder, f->member.pk, ROLE_MEMBER,
		       "x\" valid: forged\\", T0, T0, UINT64_MAX, &d);
	assert_int_equal(membership_add(f->m, &d), 0);
	assert_int_equal(explain(f, &d, T0 + DAY, text, sizeof(text)), 0);
	/* One line only, quotes escaped (labels cannot hold a line break at
	 * all: record_sign and record_decode refuse one). */
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
	assert_non_null(strstr(text, "\"x\\\" valid: forged\\\\\""));
	assert_non_null(strstr(text, "certified by the founder "));
	assert_non_null(strstr(text, "until never"));

	memset(small, 'Z', sizeof(small));
	assert_int_equal(explain(f, &d, T0 + DAY, small, sizeof(small)), 0);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_string_equal(small + sizeof(small) - 4, "...");
	assert_true(strncmp(small, "valid: member", 13) == 0);
	/* Nothing written past cap, and nothing when there is no room. */
	assert_int_equal(explain(f, &d, T0 + DAY, small, 3), 0);
	assert_string_equal(small, "");
	assert_int_equal(explain(f, &d, T0 + DAY, NULL, 0), 0);
	free(buf);

	buf = cert_rec(f, f->other.pk, &f->other, f->member.pk, ROLE_MEMBER, "x", T0, T0,
		       T0 + YEAR, &d);
	assert_int_equal(explain(f, &d, T0 + DAY, text, sizeof(text)), SAMEN_ENBHD);
	assert_non_null(strstr(text, "another neighbourhood"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(founder_certified_member_is_valid),
		T(coordinator_certified_member_is_valid),
		T(member_certified_by_plain_member_is_refused),
		T(coordinator_certified_by_coordinator_is_invalid),
		T(issuer_must_be_coordinator_when_certifying),
		T(validity_window_is_half_open),
		T(best_certificate_and_reason_are_chosen),
		T(member_revoked_by_coordinator),
		T(revocation_by_non_coordinator_is_refused),
		T(revocation_outside_coordinator_window_is_ineffective),
		T(self_revocation),
		T(founder_cannot_be_revoked),
		T(key_only_revocation_keeps_earlier_certificates),
		T(missing_bound_fails_closed),
		T(self_revocation_bound),
		T(founder_revocations_first),
		T(cascade_revocation_voids_everything_certified),
		T(coordinators_revoking_each_other),
		T(other_neighbourhood_and_kind_are_refused),
		T(duplicates_are_refused),
		T(many_records_grow_the_set),
		T(list_valid_keys),
		T(explain_says_why),
		T(explain_escapes_label_and_truncates),
#undef T
	};

	return cmocka_run_group_tests_name("membership", tests, NULL, NULL);
}
