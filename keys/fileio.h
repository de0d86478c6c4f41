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

#endif
