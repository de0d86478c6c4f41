/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * validate.h — the rules a record from anyone must pass before the node
 * stores or forwards it (PROTOCOL.md, "Validation"), each on plain data:
 * the node gathers what a rule needs (the membership, the epochs held,
 * whether a retracted signal is the author's own) and combines the
 * verdicts. Nothing here touches the store or the network.
 *
 * The principle throughout: authority runs in a chain from the founder and
 * is ordered by signed sequence numbers, never by a claimed time, and
 * nothing a peer claims about another key's records is believed without a
 * record that key signed.
 */
#ifndef SAMEN_VALIDATE_H
#define SAMEN_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../keys/membership.h"
#include "../proto/record.h"
#include "node_types.h"

/*
 * `created` at most clock_skew in the future, the record's own expiry not
 * passed, and, for the kinds kept for the retention period at most
 * (signals, announcements), `created` within it: a record dated further
 * back would have been forgotten already, whatever its `expires` says.
 */
enum reject validate_time(const struct record *r, uint64_t now, const struct node_params *p);

/* A certificate, revocation or epoch key: whether its author may issue it
 * (membership_issuer_ok()), as a reason. */
enum reject validate_issuer(const membership_t *mem, const struct record *r);

/* Whether a held epoch still counts: no revocation of its issuer accepted
 * since bounds it out. */
bool validate_epoch_counts(const membership_t *mem, const struct epoch *e);

/*
 * An epoch key record r (its issuer already checked): epochs advance by
 * one, so number 1, or a number whose predecessor is held in r's
 * neighbourhood; the largest number is never issued, so nothing can end
 * the sequence or make it wrap. RJ_EPOCH otherwise.
 */
enum reject validate_epoch_number(const struct epoch *epochs, size_t n_epochs,
				  const struct record *r);

/*
 * A signal, peer announcement, retraction or authority announcement: the
 * author's role at now. own_target: for a retraction, whether the
 * retracted signal is held and by the same author (who may retract it
 * without being a coordinator).
 */
enum reject validate_author(const membership_t *mem, const struct record *r, uint64_t now,
			    bool own_target);

#endif
