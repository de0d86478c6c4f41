/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * recfile.h — records in files a person can mail, paste or keep.
 *
 * A record file holds one or more records, each as
 *     -----BEGIN SAMEN RECORD-----
 *     base64 (standard alphabet, padded), lines of at most 64 characters
 *     -----END SAMEN RECORD-----
 * Text outside the markers is ignored, so a coordinator can add notes.
 */
#ifndef SAMEN_RECFILE_H
#define SAMEN_RECFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../proto/err.h"

#define RECFILE_MAX (4u << 20) /* bytes read from one file at most */

/* Writes one record, armoured, to f. Returns 0 or -errno. */
int recfile_write(FILE *f, const uint8_t *rec, size_t len) SAMEN_MUST_CHECK;

/*
 * Reads every armoured record in the file at path and calls fn with its
 * decoded bytes (valid during the call). Stops at fn's first non-zero
 * return, which is returned. Returns the number of records on success,
 * SAMEN_EMALFORMED for broken armour or base64 (with *line set to the line
 * number when line is not NULL), SAMEN_ETOOBIG, or -errno.
 */
typedef int (*recfile_fn)(void *ctx, const uint8_t *rec, size_t len);
int recfile_read(const char *path, recfile_fn fn, void *ctx, unsigned *line);

#endif
