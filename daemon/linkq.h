/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * linkq.h — the backlog of one link: whole link messages that libzmq would
 * not take yet (its per-link queue was at ZMQ_SNDHWM because the peer does
 * not read), kept in order and bounded in bytes. A pure container: linkio.c
 * hands messages to libzmq and decides what happens when this is full.
 */
#ifndef SAMEN_LINKQ_H
#define SAMEN_LINKQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outq.h"

/* Messages libzmq holds per link before it refuses more (ZMQ_SNDHWM). */
#define LINKQ_SNDHWM 32
/* Bytes one link may keep waiting behind libzmq's queue. A peer that reads
 * nothing costs at most this (plus libzmq's LINKQ_SNDHWM messages), however
 * much it asks for. */
#define LINKQ_BYTES_MAX (1u << 20)

struct linkq {
	struct outq q; /* the entries (outq's length-prefixed layout) */
	size_t head;   /* byte offset of the oldest entry not yet popped */
};

/* Appends one message. 0, or -ENOBUFS when it would pass LINKQ_BYTES_MAX
 * (nothing is kept then), or -ENOMEM. */
int linkq_push(struct linkq *q, const uint8_t *msg, size_t len);
/* The oldest message (*msg points into the queue until the next call), or 0
 * bytes when the queue is empty. */
size_t linkq_peek(const struct linkq *q, const uint8_t **msg);
/* Drops the oldest message. */
void linkq_pop(struct linkq *q);
bool linkq_empty(const struct linkq *q);
/* Bytes held, counting each message's length prefix. */
size_t linkq_bytes(const struct linkq *q);
void linkq_free(struct linkq *q);

#endif
