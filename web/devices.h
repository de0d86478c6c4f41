/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * devices.h — the household's paired devices and its open pairing codes,
 * kept in one file (mode 0600, written whole and renamed into place).
 *
 * A token is 32 random bytes, given out once as base64url text; the file
 * holds only its BLAKE2b hash, so a copy of the file lets nobody in. A
 * pairing code is a token too, valid until its expiry and used once: using
 * it turns it into a device of the name the phone chose.
 *
 * File format, one line per entry, fields separated by one space:
 *   device NAME HASH CREATED
 *   pairing - HASH EXPIRES
 * NAME is 1..DEVICE_NAME_MAX bytes of [A-Za-z0-9._-]; HASH is 64 hex.
 */
#ifndef SAMEN_WEB_DEVICES_H
#define SAMEN_WEB_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/err.h"

#define DEVICE_NAME_MAX 32
#define DEVICES_MAX 64
#define PAIRINGS_MAX 8
#define TOKEN_TEXT_LEN 44 /* base64url of 32 bytes, with its NUL */

struct device {
	char name[DEVICE_NAME_MAX + 1];
	uint8_t hash[32];
	uint64_t created;
};

struct pairing {
	uint8_t hash[32];
	uint64_t expires;
};

struct devices {
	struct device dev[DEVICES_MAX];
	size_t n_dev;
	struct pairing pair[PAIRINGS_MAX];
	size_t n_pair;
};

/* Whether s is a device name the file can hold. */
bool devices_name_ok(const char *s);

/*
 * Reads path into *d (an absent file is an empty list). Returns 0, -errno,
 * or SAMEN_EMALFORMED for a line that is not one of the two forms (the
 * file is refused whole: a damaged list must not let anyone in).
 */
int devices_load(struct devices *d, const char *path) SAMEN_MUST_CHECK;

/* Parses a whole file's text (for devices_load and the fuzzer). */
int devices_parse(struct devices *d, const char *text, size_t len) SAMEN_MUST_CHECK;

/* Writes *d to path: a temporary file 0600, O_NOFOLLOW, fsync, rename. */
int devices_save(const struct devices *d, const char *path) SAMEN_MUST_CHECK;

/*
 * Makes a fresh token into out (TOKEN_TEXT_LEN bytes) and its hash. The
 * caller wipes out when done with it.
 */
void devices_new_token(char out[TOKEN_TEXT_LEN], uint8_t hash[32]);

/* The hash of a token's text; SAMEN_EINVAL when it is not a token's form. */
int devices_hash(const char *token, uint8_t hash[32]) SAMEN_MUST_CHECK;

/* The device the token belongs to, or NULL. Constant time per entry. */
const struct device *devices_find(const struct devices *d, const char *token);

/*
 * Adds an open pairing code that expires at expires; drops expired ones
 * first and the oldest when PAIRINGS_MAX are open. Writes the code's text.
 */
int devices_add_pairing(struct devices *d, uint64_t now, uint64_t expires,
			char code[TOKEN_TEXT_LEN]) SAMEN_MUST_CHECK;

/*
 * Uses pairing code `code` at time now for a device called name: the code
 * goes, the device comes with a new token written to token. Returns 0,
 * SAMEN_ENOTFOUND (no such open code: wrong, used or expired), SAMEN_EINVAL
 * (a bad name), SAMEN_EDUPLICATE (the name is taken) or SAMEN_EFULL.
 */
int devices_pair(struct devices *d, const char *code, const char *name, uint64_t now,
		 char token[TOKEN_TEXT_LEN]) SAMEN_MUST_CHECK;

/*
 * Takes the lock that every read-change-write of path holds (samen-web
 * pairing a phone while `samen-web pair` adds a code): an flock on
 * path.lock, created 0600. Returns the descriptor to close, or -errno.
 */
int devices_lock(const char *path);

/* Removes the device called name. 0 or SAMEN_ENOTFOUND. */
int devices_remove(struct devices *d, const char *name) SAMEN_MUST_CHECK;

#endif
