/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * keyfile.h — secret and public key files.
 *
 * A secret key file holds the identity's 32-byte seed, either in the clear
 * or encrypted under a key derived from a passphrase with Argon2id. It is
 * created with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 (an existing file is
 * never overwritten), and refused on read if group or others may read it or
 * if it is a symlink. The format is in proto/PROTOCOL.md ("Key files").
 *
 * A public key file holds the key's text form (keytext.h) and a newline.
 */
#ifndef SAMEN_KEYFILE_H
#define SAMEN_KEYFILE_H

#include "identity.h"

/*
 * Writes id's secret key to path. passphrase NULL or "" = unencrypted.
 * Returns -EEXIST if path exists; on any failure no file is left behind.
 */
int keyfile_write_secret(const char *path, const struct identity *id,
			 const char *passphrase) SAMEN_MUST_CHECK;

/*
 * Reads a secret key file. passphrase may be NULL for an unencrypted file.
 * Returns SAMEN_EFILEMODE (group/other may read), SAMEN_ENEEDPASS (encrypted,
 * no passphrase given), SAMEN_EPASSPHRASE (wrong passphrase), SAMEN_EKEYFILE
 * (not our format), -ELOOP (symlink), or -errno. On success *out is set and
 * the caller frees it with identity_free().
 */
int keyfile_read_secret(const char *path, const char *passphrase,
			struct identity **out) SAMEN_MUST_CHECK;

/* Returns 1 if the secret key file at path is passphrase-protected, 0 if
 * not, negative on error. */
int keyfile_is_encrypted(const char *path);

/* Writes pk's text form to path (mode 0644, O_EXCL|O_NOFOLLOW). */
int keyfile_write_public(const char *path, const uint8_t pk[32])
	SAMEN_MUST_CHECK;

/* Reads a public key file (text form, surrounding white space ignored). */
int keyfile_read_public(const char *path, uint8_t pk[32]) SAMEN_MUST_CHECK;

#endif
