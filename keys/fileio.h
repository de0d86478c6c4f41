/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * fileio.h — writing a whole buffer to a descriptor, for every program
 * (key files, the subscriber's output): short writes and EINTR are
 * resumed, and a write() that makes no progress is an error, not a loop.
 */
#ifndef SAMEN_FILEIO_H
#define SAMEN_FILEIO_H

#include <stddef.h>

#include "../proto/err.h"

/* Writes len bytes of buf to fd. Returns 0, -errno, or -EIO (no progress). */
int fileio_write_all(int fd, const void *buf, size_t len) SAMEN_MUST_CHECK;

/*
 * Replaces the file at path with len bytes of buf, mode 0600, so that a
 * reader sees the old file or the new one, never a part: written to
 * PATH.tmp (O_EXCL and O_NOFOLLOW, after removing a stale one), fsync'ed,
 * renamed over path. Returns 0, -ENAMETOOLONG or -errno; on failure path
 * is unchanged and PATH.tmp is gone.
 */
int fileio_write_atomic(const char *path, const void *buf, size_t len) SAMEN_MUST_CHECK;

#endif
