/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * router.h — reading one message from a ZeroMQ ROUTER socket, the same for
 * every socket samend binds (mesh, control, join, subscriber): the peer's
 * routing id and exactly one body frame, since every samen message is one
 * frame. Whatever else a peer sends in the same message is read and dropped,
 * so it can neither stay queued nor be taken for the next message.
 */
#ifndef SAMEN_ROUTER_H
#define SAMEN_ROUTER_H

#include <zmq.h>

#define RID_MAX 256         /* ZeroMQ routing ids are at most 255 bytes */

/*
 * Receives without waiting. Returns 1 with *rid and *body filled (the
 * caller closes both), 0 when nothing is queued, or -1 for a message that
 * was dropped whole: no body, or a routing id longer than RID_MAX.
 */
int router_recv(void *sock, zmq_msg_t *rid, zmq_msg_t *body);

#endif
