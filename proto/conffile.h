/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * conffile.h — the line reader every samen configuration file shares:
 * samend.conf (daemon/config.c) and samen-web.conf (web/webconf.c) have one
 * syntax and one set of messages because they have one reader.
 *
 *   # a comment                  lines starting with '#', blank lines
 *   key = value                  white space around both is dropped
 *   key = "a b # c"              "..." keeps spaces and '#'; no escapes, no '"'
 *   key = value # x              unquoted, a '#' after white space starts a comment
 *
 * The reader checks what is the same for every file: the file's size
 * (CONFFILE_SIZE_MAX), each line's length, control characters (tab is white
 * space; a CR before the newline is ignored), the '=', the quotes, unknown
 * keys (with a did-you-mean) and keys given twice. What a value means is the
 * caller's: conffile_next() hands out one key and its value at a time, and
 * the caller prefixes its own complaint with conffile_where(). It calls
 * nothing of its caller's.
 *
 * Messages name the file, the line and the key:
 *
 *   samend.conf:12: unknown key 'retension_days' (did you mean 'retention_days'?)
 *   samend.conf:4: duplicate key 'listen' (first set on line 2)
 *
 * Every function returns 0 (conffile_next(): 1 for a key) or a negative
 * code (proto/err.h): SAMEN_EINVAL for a bad line, SAMEN_ETOOBIG for a file
 * over the cap, -errno when the file cannot be read; err (if cap > 0) then
 * holds a one-line message for a person.
 */
#ifndef SAMEN_CONFFILE_H
#define SAMEN_CONFFILE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CONFFILE_SIZE_MAX (64 * 1024) /* bytes of a configuration file */
#define CONFFILE_LINE_MAX 1024        /* bytes of one line */
#define CONFFILE_KEYS_MAX 64          /* keys of one file's table */
#define CONFFILE_NAME_MAX 255         /* bytes of the file's name in messages */

/*
 * The caller's table of keys, read in place: name points at the first
 * entry's name and each next one is stride bytes further on (a table of
 * structs whose first member is the name, or a plain array of names).
 */
struct conffile_keys {
	const char *const *name;
	size_t n;            /* at most CONFFILE_KEYS_MAX */
	size_t stride;
	uint64_t repeatable; /* bit i: key i may be given on more than one line */
};

struct conffile {
	const char *name, *buf;
	size_t len, pos;
	unsigned lineno;
	const struct conffile_keys *keys;
	unsigned seen[CONFFILE_KEYS_MAX]; /* the line each key was first set on */
	char line[CONFFILE_LINE_MAX + 1];
	char where[CONFFILE_NAME_MAX + 32];
};

/* Writes a message into err (when cap > 0) and returns code: the one way
 * samend.conf's and samen-web.conf's readers say what is wrong. */
int conffile_fail(char *err, size_t cap, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Reads the regular file at path (at most CONFFILE_SIZE_MAX bytes) into
 * *buf (malloc'ed, the caller frees it) and its length into *len. A file
 * that does not exist is -ENOENT, so that a caller may treat a missing
 * default file as no file.
 */
int conffile_read(const char *path, char **buf, size_t *len, char *err,
		  size_t cap) SAMEN_MUST_CHECK;

/* Starts reading len bytes at buf (need not be NUL-terminated); name is what
 * messages call the file. keys must outlive cf. */
int conffile_begin(struct conffile *cf, const char *name, const char *buf,
		   size_t len, const struct conffile_keys *keys, char *err,
		   size_t cap) SAMEN_MUST_CHECK;

/*
 * The next "key = value": 1 with *key (its index in the table) and *value
 * (NUL-terminated, valid until the next call), 0 at the end of the file, or
 * a negative code.
 */
int conffile_next(struct conffile *cf, size_t *key, const char **value,
		  char *err, size_t cap) SAMEN_MUST_CHECK;

/* "NAME:LINE: " of the line conffile_next() returned last, for a message
 * about its value. */
const char *conffile_where(const struct conffile *cf);

/* The index of name in the table, or -1. */
int conffile_find(const struct conffile_keys *keys, const char *name);

/* The name of key i. */
const char *conffile_key_name(const struct conffile_keys *keys, size_t i);

/* SAMEN_EINVAL with "PREFIXunknown key 'name'" and a did-you-mean when one
 * key of the table is close enough; prefix may be "". */
int conffile_unknown(const struct conffile_keys *keys, const char *prefix,
		     const char *name, char *err, size_t cap);

#endif
