/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * err.h — samen's one error convention below the programs.
 *
 * Every library function in proto/, keys/ and daemon/ returns 0 (or a
 * non-negative count) on success and a negative code on failure: either
 * -errno from a failed system call, or one of the SAMEN_E* codes below.
 * samen_strerror() turns either kind into a sentence for a person.
 */
#ifndef SAMEN_ERR_H
#define SAMEN_ERR_H

enum samen_err {
	SAMEN_EMALFORMED = -1000, /* bytes are not a well-formed message */
	SAMEN_ETOOBIG,            /* a size or count exceeds a hard cap */
	SAMEN_EDEPTH,             /* containers nested past the cap */
	SAMEN_EVERSION,           /* unknown format version */
	SAMEN_EKIND,              /* unknown or unexpected record kind */
	SAMEN_EBADSIG,            /* signature does not verify */
	SAMEN_EDECRYPT,           /* authentication failed while decrypting */
	SAMEN_ENOKEY,             /* no key that could open this */
	SAMEN_ENBHD,              /* record belongs to another neighbourhood */
	SAMEN_ENOCERT,            /* author holds no valid certificate */
	SAMEN_EREVOKED,           /* key has been revoked */
	SAMEN_EEXPIRED,           /* validity window has ended */
	SAMEN_ENOTYET,            /* validity window has not begun */
	SAMEN_EISSUER,            /* issuer may not issue this */
	SAMEN_EROLE,              /* key's role does not allow this */
	SAMEN_EEQUIVOCATION,      /* other record with same (author, seq) */
	SAMEN_EDUPLICATE,         /* exactly this record is already held */
	SAMEN_EFILEMODE,          /* secret file readable by others */
	SAMEN_EPASSPHRASE,        /* wrong passphrase */
	SAMEN_ENEEDPASS,          /* key file is encrypted; passphrase needed */
	SAMEN_EKEYFILE,           /* key file is not in samen's format */
	SAMEN_EINVAL,             /* an argument is out of its range */
	SAMEN_ESKEW,              /* timestamp too far from our clock */
	SAMEN_ESTORE,             /* the store failed (LMDB error) */
	SAMEN_ENOTFOUND,          /* no such record or entry */
	SAMEN_EFULL,              /* the store's disk is full */
	SAMEN_ERATE,              /* over the author's rate: try again later */
	SAMEN_ERR_LAST_
};

/* Returns a static string describing err (a SAMEN_E* code or -errno). */
const char *samen_strerror(int err);

#if defined(__GNUC__)
#define SAMEN_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SAMEN_MUST_CHECK
#endif

#endif
