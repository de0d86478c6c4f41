/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * policyfile.h — the household's notification policy on disk
 * (STATE_DIR/notify.conf, 0600, replaced atomically) and the local time it
 * is read against. The rules are proto/policy.h's; this is only where they
 * are kept and which clock they see.
 */
#ifndef SAMEN_POLICYFILE_H
#define SAMEN_POLICYFILE_H

#include <stddef.h>

#include "../proto/policy.h"

#define POLICYFILE_NAME "notify.conf"
/* Where the tz database's zones are (a zone name is a file under it). */
#define POLICYFILE_ZONES "/usr/share/zoneinfo"

/* Reads STATE_DIR/notify.conf over the defaults into p; a missing file is
 * the defaults. On a refusal err names the file, the line and the fix. */
int policyfile_load(const char *state_dir, struct policy *p, char *err, size_t cap)
	SAMEN_MUST_CHECK;
/* Writes p to STATE_DIR/notify.conf. */
int policyfile_save(const char *state_dir, const struct policy *p) SAMEN_MUST_CHECK;

/* Whether p's time zone (if any) is a zone of this machine; err says why
 * not. */
int policyfile_zone_check(const struct policy *p, char *err, size_t cap) SAMEN_MUST_CHECK;
/* Makes p's time zone (or, with none, the one samend started with) the
 * one localtime() uses. */
void policyfile_zone_apply(const struct policy *p);
/* Minutes since local midnight now (0..1439). */
unsigned policyfile_minute_now(void);

#endif
