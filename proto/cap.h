/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * cap.h — one decrypted signal as an OASIS CAP 1.2 XML document, for the
 * authorities a household shared it with (`samen subscribe`).
 *
 * The document is valid against the OASIS schema (tests/data/cap/CAP-v1.2.xsd;
 * the tests check every case with xmllint). The mapping:
 *
 *   identifier   "samen-" + the 64 lowercase hex digits of the record id
 *   sender       in->sender, as given (see below for what it may hold)
 *   sent         created, "YYYY-MM-DDThh:mm:ss-00:00": UTC as CAP 1.2
 *                §3.3.2 requires it (the schema allows no "Z", and its
 *                pattern would also let "+00:00" through)
 *   status       real → Actual, test → Test, exercise → Exercise
 *   msgType      alert → Alert; ack, update → Update; all-clear and every
 *                retraction → Cancel
 *   scope        Restricted, with a <restriction> naming the neighbourhood
 *                and "not for publication"
 *   references   "sender,identifier,sent" for each reference whose sender
 *                and created time the caller knows (a time past
 *                CAP_TIME_MAX counts as unknown), separated by one space;
 *                a retraction references its target (refs[0]) only. The
 *                element is left out when no reference is known.
 *   info         one, in the language the caller names (an RFC 3066 tag;
 *                default CAP_LANGUAGE_DEFAULT, nl-NL: households write
 *                Dutch; the mapped values below are CAP's own English):
 *     category     suspicious, burglary, break-in attempt, nuisance →
 *                  Security; fire → Fire; medical → Health; missing person
 *                  → Rescue; other → Other
 *     event        "Suspicious situation", "Burglary", "Break-in attempt",
 *                  "Fire", "Medical emergency", "Missing person",
 *                  "Nuisance", "Other incident"
 *     urgency      Immediate, except Past for an all-clear or a retraction
 *     severity     minor/moderate/severe/extreme → Minor/Moderate/Severe/
 *                  Extreme
 *     certainty    Observed for an alert or an update (a household's own
 *                  first-hand report); Unknown for an ack, an all-clear or
 *                  a retraction
 *     expires      in the same form as sent; left out when 0 or past
 *                  CAP_TIME_MAX (a record's expiry is the author's choice)
 *     senderName   the author's label, left out when empty
 *     headline     ["TEST: " | "EXERCISE: "] event [" (update)" |
 *                  " (acknowledged)" | " (all clear)" | " (retracted)"]
 *                  ": " where, on one line (newline and tab become spaces),
 *                  at most 160 bytes: a longer one is cut at a UTF-8
 *                  character boundary and ends in "..."
 *     description  the signal's description, after a first line of its own
 *                  for an ack ("112 called", "A neighbour is looking",
 *                  "Acknowledged"), an all-clear ("All clear") and a
 *                  retraction ("Retracted" or "Retracted: " reason); left
 *                  out when there is nothing to say
 *     parameter    112Called = true/false (the signal's called112, or an
 *                  ack of type 112-called); samenKind = alert, ack, update,
 *                  all-clear or retraction; for an ack, samenAck = none,
 *                  112-called, looking or text
 *     area         areaDesc = where ("unspecified" when empty); with a
 *                  point, a <circle> "lat,lon km": six decimals for lat and
 *                  lon, the radius in kilometres with no trailing zeros
 *                  ("52.090737,5.121420 0.15"), all in integer arithmetic
 *
 * Text is written as UTF-8 with & < > " ' escaped; newline and tab are kept.
 * The C1 controls U+0080..U+009F are written as character references, and
 * U+FFFE and U+FFFF (which XML forbids but the signal decoder allows) as
 * U+FFFD. Any other control character, invalid UTF-8, or an out-of-range
 * field is refused with SAMEN_EINVAL before anything is written.
 */
#ifndef SAMEN_CAP_H
#define SAMEN_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "signal.h"

#define CAP_HEADLINE_MAX 160 /* bytes */
#define CAP_DATETIME_LEN 26  /* "YYYY-MM-DDThh:mm:ss-00:00" + NUL */
#define CAP_LANGUAGE_MAX 35  /* bytes of an RFC 3066 tag we accept */
#define CAP_LANGUAGE_DEFAULT "nl-NL"
#define CAP_TIME_MAX 253402300799ULL /* 9999-12-31T23:59:59 */

/* A signal referred to: an ack's, update's or all-clear's target, or the
 * signal a retraction cancels. */
struct cap_ref {
	const uint8_t *id;  /* its 32-byte record id */
	const char *sender; /* its sender string (in the form of cap_input's);
			       NULL if unknown */
	uint64_t sent;      /* its created time; 0 if unknown (as is a time
			       past CAP_TIME_MAX) */
};

struct cap_input {
	const uint8_t *id;        /* 32-byte record id of this signal (of the
				     retraction record, for a retraction) */
	const char *sender;       /* e.g. "samen:" + the author's key text;
				     1..255 printable ASCII characters other
				     than space, ',', '<' and '&' */
	const char *sender_label; /* the author's label; NULL or "" for none */
	const char *nbhd_name;    /* the neighbourhood's name or key text;
				     NULL or "" for none */
	uint64_t created;         /* unix seconds, ≤ CAP_TIME_MAX */
	uint64_t expires;         /* unix seconds; 0 (or > CAP_TIME_MAX) = none */
	const struct signal_plain *p; /* the signal (for a retraction: the
					 signal retracted) */
	const struct cap_ref *refs; /* n_refs references (may be NULL if 0);
				       a reference that lacks a sender or a
				       time is left out of <references> */
	size_t n_refs;
	bool retraction;          /* a retraction record: a Cancel of
				     refs[0], which must be given */
	const char *reason;       /* the retraction's reason; NULL or "" */
	const char *language;     /* <language>: an RFC 3066 tag (see
				     cap_language_ok); NULL = the default */
};

/*
 * Writes the CAP document for in to f: the XML declaration, <alert> … and a
 * final newline, then flushes f. Everything is checked before the first
 * byte is written, so SAMEN_EINVAL (a field out of range, see above) leaves
 * f untouched; -EIO means a write or the flush failed, possibly after part
 * of the document was written. Returns 0 on success.
 */
int cap_write(FILE *f, const struct cap_input *in) SAMEN_MUST_CHECK;

/* Whether s is a language tag CAP accepts (RFC 3066: "nl-NL", "fy", "en"). */
bool cap_language_ok(const char *s);

/*
 * Writes t as "YYYY-MM-DDThh:mm:ss-00:00" (UTC) into out. Returns 0, or
 * SAMEN_EINVAL if t is past CAP_TIME_MAX (a five-digit year).
 */
int cap_datetime(uint64_t t, char out[CAP_DATETIME_LEN]) SAMEN_MUST_CHECK;

#endif
