/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * notify.h — tell systemd (or whoever set NOTIFY_SOCKET) how samend is
 * doing, without libsystemd: the sd_notify(3) datagram protocol by hand.
 *
 * A service with Type=notify is "started" only when it sends READY=1, so
 * units ordered after samend.service wait until its sockets are bound and
 * its store is open. samend sends
 *
 *   "READY=1\nSTATUS=..."   once it is ready (after dropping privileges)
 *   "STOPPING=1"            when it begins to shut down
 *
 * NOTIFY_SOCKET is the address of a unix datagram socket: a path
 * ("/run/systemd/notify") or, starting with '@', a name in the abstract
 * namespace ("@/org/freedesktop/systemd1/notify": the '@' stands for the
 * leading NUL byte). Anything else (e.g. "vsock:...") is refused with
 * -EAFNOSUPPORT. The variable is left in the environment, so both messages
 * go to the same place; hooks never see it (hook.h: their environment is
 * fixed).
 */
#ifndef SAMEN_NOTIFY_H
#define SAMEN_NOTIFY_H

/*
 * Sends state (e.g. "READY=1", newline-separated assignments) as one
 * datagram to $NOTIFY_SOCKET. Returns 1 when sent, 0 when NOTIFY_SOCKET is
 * unset or empty (not started by a service manager: nothing to do), or a
 * negative errno: -EINVAL (state empty), -EAFNOSUPPORT (not a unix
 * address), -ENAMETOOLONG, or what socket()/sendmsg() failed with. Never
 * blocks for long: the socket is non-blocking. Never raises SIGPIPE.
 */
int notify_send(const char *state);

#endif
