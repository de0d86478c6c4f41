/* SPDX-License-Identifier: EUPL-1.2 */
#include "err.h"

#include <string.h>

static const char *const messages[] = {
	[SAMEN_EMALFORMED - SAMEN_EMALFORMED] = "malformed message",
	[SAMEN_ETOOBIG - SAMEN_EMALFORMED] = "a declared size or count exceeds its limit or the bytes that remain",
	[SAMEN_EDEPTH - SAMEN_EMALFORMED] = "nesting too deep",
	[SAMEN_EVERSION - SAMEN_EMALFORMED] = "unknown format version",
	[SAMEN_EKIND - SAMEN_EMALFORMED] = "unknown or unexpected record kind",
	[SAMEN_EBADSIG - SAMEN_EMALFORMED] = "signature does not verify",
	[SAMEN_EDECRYPT - SAMEN_EMALFORMED] = "decryption failed (wrong key or tampered data)",
	[SAMEN_ENOKEY - SAMEN_EMALFORMED] = "no key available to open this",
	[SAMEN_ENBHD - SAMEN_EMALFORMED] = "record belongs to another neighbourhood",
	[SAMEN_ENOCERT - SAMEN_EMALFORMED] = "no valid certificate for this key",
	[SAMEN_EREVOKED - SAMEN_EMALFORMED] = "key has been revoked",
	[SAMEN_EEXPIRED - SAMEN_EMALFORMED] = "validity window has ended",
	[SAMEN_ENOTYET - SAMEN_EMALFORMED] = "validity window has not begun yet",
	[SAMEN_EISSUER - SAMEN_EMALFORMED] = "issuer is not allowed to issue this",
	[SAMEN_EROLE - SAMEN_EMALFORMED] = "key's role does not allow this",
	[SAMEN_EEQUIVOCATION - SAMEN_EMALFORMED] = "equivocation: another record has the same author and sequence number",
	[SAMEN_EDUPLICATE - SAMEN_EMALFORMED] = "record already stored",
	[SAMEN_EFILEMODE - SAMEN_EMALFORMED] = "secret file is readable by group or others (chmod 600 it)",
	[SAMEN_EPASSPHRASE - SAMEN_EMALFORMED] = "wrong passphrase",
	[SAMEN_ENEEDPASS - SAMEN_EMALFORMED] = "key file is encrypted; a passphrase is needed",
	[SAMEN_EKEYFILE - SAMEN_EMALFORMED] = "not a samen key file",
	[SAMEN_EINVAL - SAMEN_EMALFORMED] = "invalid argument",
	[SAMEN_ESKEW - SAMEN_EMALFORMED] = "timestamp too far from the local clock",
	[SAMEN_ESTORE - SAMEN_EMALFORMED] = "store failure",
	[SAMEN_ENOTFOUND - SAMEN_EMALFORMED] = "not found",
	[SAMEN_EFULL - SAMEN_EMALFORMED] = "store is full (disk or map size)",
	[SAMEN_ERATE - SAMEN_EMALFORMED] = "rate-limited: too many records from this author just now",
};

const char *samen_strerror(int err)
{
	if (err >= 0)
		return "success";
	if (err >= SAMEN_EMALFORMED && err < SAMEN_ERR_LAST_) {
		const char *m = messages[err - SAMEN_EMALFORMED];
		return m ? m : "unknown samen error";
	}
	if (err > -4096)
		return strerror(-err);
	return "unknown error";
}
