/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * membership.h — who belongs to a neighbourhood, decided from certificates
 * and revocations.
 *
 * Rules (PROTOCOL.md, "Membership"):
 *  - The neighbourhood id is the founder's key. The founder holds every role
 *    implicitly and needs no certificate.
 *  - A coordinator certificate is valid only if issued by the founder.
 *    Member, relay and authority certificates are valid if issued by the
 *    founder, or by a key that held a valid coordinator certificate at the
 *    certificate's `created` time.
 *  - A certificate is valid at time t if not_before <= t < not_after, its
 *    issuer was entitled (above), its subject is not revoked, and its
 *    issuer is not revoked with REVOKE_CASCADE nor with a bound below the
 *    certificate's seq.
 *  - Authority is ordered by signed sequence numbers, not claimed time: a
 *    revocation's bound (`upto`; 0 when absent, and at most seq - 1 when a
 *    key revokes itself) fixes which of the revoked key's records keep the
 *    authority they had.
 *  - A revocation is effective if its author is the founder, or the subject
 *    itself when it is the subject of a certificate (a household leaving or
 *    losing its key), or a coordinator whose revocation is within the bound
 *    of every effective revocation of it taken earlier. Nobody can revoke
 *    the founder. Revocations are taken founder's first, then in (created,
 *    id) order, so every daemon reaches the same answer from the same set.
 *
 * Records given to membership_add() must have been decoded and verified
 * (record_open()); the set copies what it needs and borrows nothing.
 */
#ifndef SAMEN_MEMBERSHIP_H
#define SAMEN_MEMBERSHIP_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/err.h"
#include "../proto/record.h"

typedef struct membership membership_t;

/* Creates an empty set for neighbourhood nbhd. Caller frees with
 * membership_free(). Returns NULL when out of memory. */
membership_t *membership_new(const uint8_t nbhd[32]);
void membership_free(membership_t **m);

/*
 * Adds a verified certificate or revocation. Returns 0, SAMEN_ENBHD (another
 * neighbourhood), SAMEN_EKIND (neither kind), SAMEN_EDUPLICATE (same id held),
 * SAMEN_EISSUER (a revocation whose author could never revoke: not founder,
 * not a certified subject revoking itself, and never certified coordinator;
 * or one revoking the founder), or -ENOMEM. A certificate is accepted even when not (yet) valid:
 * validity is decided at query time, since the issuer's own certificate may
 * arrive later.
 */
int membership_add(membership_t *m, const struct record *r) SAMEN_MUST_CHECK;

/*
 * Decides whether key may act in role `role` at time now. Returns 0 if it
 * holds a valid certificate for that role (the founder always does; a
 * coordinator also counts as a member), else the most telling reason:
 * SAMEN_EREVOKED, SAMEN_EEXPIRED, SAMEN_ENOTYET, SAMEN_EISSUER or
 * SAMEN_ENOCERT. If cert_id is not NULL, on success it receives the id of
 * the certificate that grants the role (all zero for the founder).
 */
int membership_check(const membership_t *m, const uint8_t key[32], unsigned role,
		     uint64_t now, uint8_t cert_id[32]) SAMEN_MUST_CHECK;

/* Returns 1 if key is the founder or appears in any certificate of the set
 * (as subject or issuer), valid or not, else 0. A relay uses it to tell
 * which authors belong to which neighbourhood. */
int membership_knows(const membership_t *m, const uint8_t key[32]);

/* Returns 1 if key is revoked by an effective revocation, else 0. */
int membership_is_revoked(const membership_t *m, const uint8_t key[32]);

/*
 * Whether key's record number seq still carries the authority key had:
 * 0, or SAMEN_EREVOKED when an effective revocation of key bounds its
 * records below seq. The founder is never bounded.
 */
int membership_check_seq(const membership_t *m, const uint8_t key[32], uint64_t seq)
	SAMEN_MUST_CHECK;

/*
 * Whether r's author may issue r (a verified certificate, revocation or
 * epoch key): the founder always; a key revoking itself if it is the
 * subject of a certificate and not revoked yet; otherwise a key holding a founder's
 * coordinator certificate whose window holds r->created, and r->seq within
 * the bound of every effective revocation of that key. A coordinator
 * certificate is the founder's alone. Returns 0, SAMEN_ENOCERT (the author
 * holds no certificate), SAMEN_EISSUER (not entitled; or a revocation of
 * the founder), SAMEN_EREVOKED (past its bound), SAMEN_ENBHD or SAMEN_EKIND.
 */
int membership_issuer_ok(const membership_t *m, const struct record *r) SAMEN_MUST_CHECK;

/*
 * Explains in one or more lines of text why certificate cert (a decoded,
 * verified REC_CERT) is or is not valid at time now, e.g.
 *   "valid: member \"Lindelaan 12\" certified by coordinator 7KQD-...".
 *   "invalid: issuer 9PZA-... held no coordinator certificate at 2026-..."
 * Writes at most cap bytes (NUL-terminated) to out; returns the same code as
 * membership_check() would for that certificate.
 */
int membership_explain(const membership_t *m, const struct record *cert, uint64_t now,
		       char *out, size_t cap);

/*
 * Lists keys holding a valid certificate of role at now (the founder is
 * included for ROLE_COORDINATOR and ROLE_MEMBER). Writes at most cap keys to
 * keys and returns how many exist (which may be larger than cap).
 */
size_t membership_list(const membership_t *m, unsigned role, uint64_t now,
		       uint8_t (*keys)[32], size_t cap);

/* Lists every key that some certificate of role names, valid, expired or
 * revoked, once each; same contract as membership_list(). */
size_t membership_named(const membership_t *m, unsigned role, uint8_t (*keys)[32], size_t cap);

#endif
