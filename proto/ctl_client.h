/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * ctl_client.h — the client end of samend's control socket, for samen and
 * samen-web alike: a ZeroMQ DEALER connected to ipc://STATE_DIR/control
 * (PROTOCOL.md section 8), one frame per request and per reply.
 *
 * Every failure to reach the daemon is a distinct -errno, so the program can
 * tell a person exactly what is wrong:
 *   -ENOENT        no socket file: samend is not running (or another STATE_DIR)
 *   -EACCES        the state directory or socket belongs to another user
 *   -ENOTSOCK      the path exists but is not a socket
 *   -ENAMETOOLONG  the path does not fit an ipc:// endpoint (107 bytes)
 *   -ECONNREFUSED  the socket file exists but refuses connections (left
 *                  behind by a samend that stopped)
 *   -ENOTCONN      no ZeroMQ connection came up within the timeout (a
 *                  samend that accepts but does not speak)
 *   -ETIMEDOUT     connected, but no reply within the timeout
 *   -ECONNRESET    samend closed the connection (it stopped, or refused a
 *                  frame over the size cap)
 *   -EPROTO        a reply of more than one frame
 *   -EINTR         interrupted by a signal
 */
#ifndef SAMEN_CTL_CLIENT_H
#define SAMEN_CTL_CLIENT_H

#include <stddef.h>

#include <zmq.h>

#include "err.h"

#define CTL_MSG_MAX (4 * 1024 * 1024) /* ZMQ_MAXMSGSIZE: largest reply taken */
#define CTL_IPC_PATH_MAX 107          /* sun_path less its NUL */

struct ctl;

/*
 * Connects to the control socket at path (a file name, without "ipc://").
 * timeout_ms bounds each send. On success *c_p owns the connection; free it
 * with ctl_close(). Returns 0 or a -errno listed above.
 */
int ctl_open(struct ctl **c_p, const char *path, int timeout_ms) SAMEN_MUST_CHECK;

/* Sends one frame. Returns 0, -ENOTCONN (no connection in time) or
 * another -errno. */
int ctl_send(struct ctl *c, const void *buf, size_t len) SAMEN_MUST_CHECK;

/*
 * Waits up to timeout_ms (-1: without limit) for one frame and moves it into
 * msg (which the caller initialised with zmq_msg_init and closes). Returns 0
 * or a -errno listed above.
 */
int ctl_recv(struct ctl *c, int timeout_ms, zmq_msg_t *msg) SAMEN_MUST_CHECK;

/* Closes the connection without waiting for unsent frames; sets *c_p to
 * NULL. Does nothing for NULL. */
void ctl_close(struct ctl **c_p);

#endif
