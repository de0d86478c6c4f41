/* SPDX-License-Identifier: EUPL-1.2 */
#include "seqfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Fixed-width decimal so the value is rewritten in place, in one pwrite
 * that never straddles a sector. */
#define SEQ_WIDTH 20

static int read_counter(int fd, uint64_t *out)
{
	char buf[SEQ_WIDTH + 2];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	if (n == 0) {
		*out = 0;
		return 0;
	}
	buf[n] = '\0';
	if (n != SEQ_WIDTH + 1 || buf[SEQ_WIDTH] != '\n')
		return SAMEN_EKEYFILE;
	for (int i = 0; i < SEQ_WIDTH; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return SAMEN_EKEYFILE;
	errno = 0;
	unsigned long long v = strtoull(buf, NULL, 10);
	if (errno)
		return SAMEN_EKEYFILE;
	*out = v;
	return 0;
}

/* Opens and locks the counter file; returns the fd or -errno. */
static int open_locked(const char *keyfile_path)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s.seq", keyfile_path) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		int ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* Writes the counter in place and makes it durable before it is used. */
static int write_counter(int fd, uint64_t v)
{
	char buf[SEQ_WIDTH + 2];
	snprintf(buf, sizeof(buf), "%0*" PRIu64 "\n", SEQ_WIDTH, v);
	errno = 0;
	if (pwrite(fd, buf, SEQ_WIDTH + 1, 0) != SEQ_WIDTH + 1)
		return errno ? -errno : -EIO;
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

int seqfile_next(const char *keyfile_path, uint64_t at_least, uint64_t *seq)
{
	uint64_t cur = 0;
	int fd = open_locked(keyfile_path);
	if (fd < 0)
		return fd;
	int ret = read_counter(fd, &cur);
	if (ret < 0)
		goto out;
	if (at_least > cur)
		cur = at_least;
	if (cur == UINT64_MAX) {
		ret = SAMEN_EINVAL;
		goto out;
	}
	cur++;
	ret = write_counter(fd, cur);
	if (ret == 0)
		*seq = cur;
out:
	close(fd); /* also releases the lock */
	return ret;
}

int seqfile_release(const char *keyfile_path, uint64_t seq)
{
	uint64_t cur = 0;
	if (seq == 0)
		return SAMEN_EINVAL;
	int fd = open_locked(keyfile_path);
	if (fd < 0)
		return fd;
	int ret = read_counter(fd, &cur);
	if (ret == 0 && cur == seq) {
		ret = write_counter(fd, seq - 1);
		if (ret == 0)
			ret = 1;
	}
	close(fd);
	return ret;
}
