/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * capcheck.h — the rules of the CAP 1.2 data dictionary (OASIS CAP 1.2,
 * §3.2 and §3.3) that the XML schema does not express, checked on a
 * document's text. The tests run it on every CAP document samen writes,
 * after xmllint has checked the schema.
 */
#ifndef SAMEN_CAPCHECK_H
#define SAMEN_CAPCHECK_H

#include <stddef.h>

/*
 * Checks doc (a NUL-terminated CAP document): every date-time
 * (sent, effective, onset, expires) is "YYYY-MM-DDThh:mm:ss±hh:mm" with
 * real values and UTC written "-00:00" (§3.3.2); references are
 * space-separated "sender,identifier,sent" triples; every circle is
 * "lat,lon radius" with |lat| ≤ 90, |lon| ≤ 180 and radius ≥ 0 (WGS 84,
 * §3.3.1); identifier and sender hold no space, ',' or '<' or '&'; language
 * is an RFC 3066 tag. Returns 0, or -1 with the first broken rule in
 * why[cap].
 */
int capcheck(const char *doc, char *why, size_t cap);

#endif
