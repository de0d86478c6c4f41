/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * membership_int.h — what membership.c and membership_explain.c share: the
 * compact copies of certificates and revocations, the set, and the verdict
 * on one certificate. Not for use outside keys/membership*.c.
 */
#ifndef SAMEN_MEMBERSHIP_INT_H
#define SAMEN_MEMBERSHIP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "membership.h"

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

/* Copies what the rules need of a verified certificate. */
void membership_copy_cert(struct mcert *c, const struct record *r);

/* The verdict on certificate c at time now, with its reasons. */
void membership_judge(const membership_t *m, const struct mcert *c, uint64_t now,
		      struct verdict *v);

#endif
