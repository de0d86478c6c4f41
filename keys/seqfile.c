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

int seqfile_next(const char *keyfile_path, uint64_t at_least, uint64_t *seq)
{
	char path[4096], buf[SEQ_WIDTH + 2];
	uint64_t cur = 0;
	int fd, ret;

	if (snprintf(path, sizeof(path), "%s.seq", keyfile_path) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		ret = -errno;
		goto out;
	}
	ret = read_counter(fd, &cur);
	if (ret < 0)
		goto out;
	if (at_least > cur)
		cur = at_least;
	if (cur == UINT64_MAX) {
		ret = SAMEN_EINVAL;
		goto out;
	}
	cur++;
	snprintf(buf, sizeof(buf), "%0*" PRIu64 "\n", SEQ_WIDTH, cur);
	if (pwrite(fd, buf, SEQ_WIDTH + 1, 0) != SEQ_WIDTH + 1) {
		ret = errno ? -errno : -EIO;
		goto out;
	}
	if (fsync(fd) < 0) {
		ret = -errno;
		goto out;
	}
	*seq = cur;
	ret = 0;
out:
	close(fd); /* also releases the lock */
	return ret;
}
