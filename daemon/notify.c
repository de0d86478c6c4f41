/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * notify.c — the sd_notify(3) datagram protocol, by hand (see notify.h).
 */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int notify_send(const char *state)
{
	const char *addr = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	size_t n;
	int fd, ret = 1;

	if (!addr || !*addr)
		return 0;
	if (!state || !*state)
		return -EINVAL;
	if (addr[0] != '/' && addr[0] != '@')
		return -EAFNOSUPPORT;
	n = strlen(addr);
	if (n > sizeof(sa.sun_path) - (addr[0] == '/'))
		return -ENAMETOOLONG;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, addr, n);
	if (addr[0] == '@') {
		/* abstract: a leading NUL, and the length counts exactly the name */
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	size_t sl = strlen(state);
	ssize_t w;
	do
		w = sendto(fd, state, sl, MSG_NOSIGNAL, (const struct sockaddr *)&sa, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		ret = -errno;
	else if ((size_t)w != sl)
		ret = -EMSGSIZE;
	close(fd);
	return ret;
}
