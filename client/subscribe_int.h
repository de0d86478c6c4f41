/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * subscribe_int.h — what client/subscribe.c (the exchange with the relay)
 * and client/subrec.c (the records of a batch: checked, decrypted, turned
 * into output in cursor order) share: one subscriber's state. Not for
 * other files.
 */
#ifndef SAMEN_CLIENT_SUBSCRIBE_INT_H
#define SAMEN_CLIENT_SUBSCRIBE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "authlink.h"
#include "subout.h"
#include "subview.h"
#include "../proto/record.h"
#include "../proto/signal.h"
#include "../proto/vpool.h"

#define BATCH_MAX 256 /* records per write + fdatasync + cursor save */
/* Records the relay may send ahead: flow control, not durability. A whole
 * batch, so that the relay fills the next one while this one is decrypted
 * (credit is returned as records arrive, not as they are decrypted). */
#define WINDOW BATCH_MAX
#define BATCH_MS 10   /* and no batch collects for longer than this */
#define SILENCE_MS 5000 /* re-subscribe when the relay says nothing this long */
#define CACHE_MAX 1024
#define PARALLEL_MIN 2 /* records a batch needs before the pool helps */
/* The furthest one message may move the cursor: a relay's log grows by the
 * records it stores, and none stores this many between two messages. */
#define CURSOR_JUMP_MAX (UINT64_C(1) << 32)

struct recent { /* signals met this run, for CAP references and Cancels */
	uint8_t id[32];
	char sender[64];
	uint64_t created;
	struct signal_plain p;
	bool have_p;
};

/* One record of the batch being collected, in cursor order. A pool thread
 * verifies and decrypts it (and renders a JSON signal) into the slot; the
 * main thread then outputs the slots in order and wipes the plaintext. */
struct slot {
	uint64_t cursor;
	uint8_t *buf; /* the record as received; r points into it */
	size_t len, cap;
	struct record r;
	bool opened;           /* decoded, and its signature is good */
	int dec;               /* a signal: signal_decrypt_authority()'s result */
	struct signal_plain p; /* plaintext: wiped once output */
	char *text;            /* a JSON signal's line (plaintext: wiped, freed) */
	size_t text_len;
	int text_ret;
};

struct sub {
	struct authlink link; /* the key, and the connection to the relay */
	struct subout o;      /* where the output goes, the cursor file, the writer */
	const char *language; /* CAP <language>; NULL: cap.c's default */
	uint64_t cursor; /* the last record handled: its output is in a batch or written */
	uint64_t handed; /* the cursor of the last batch handed to the writer */
	bool once;
	unsigned since_credit;
	struct recent *cache;
	size_t n_cache, next_cache;
	struct text batch; /* the batch being decrypted */
	unsigned pending;  /* records it covers */
	uint64_t batch_t0;
	struct slot *slots; /* records received, not yet decrypted: BATCH_MAX */
	unsigned n_slots;
	uint64_t taken;    /* the cursor of the last record taken (slots or handled) */
	unsigned threads;  /* that decrypt, the main one included */
	vpool_t *pool;     /* threads - 1 workers; NULL for one thread */
	uint8_t nbhds[SUBVIEW_NBHD_MAX][32]; /* --nbhd: the founder keys trusted */
	size_t n_nbhds;
	struct subview *view;       /* their membership, from what the relay delivers */
	struct subview_refusals refused;
};

static inline uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* subrec.c */
/* Takes a copy of one received record into the next slot. */
int sub_take(struct sub *s, uint64_t cursor, const uint8_t *rec, size_t len);
/* Checks and decrypts the slots (on the pool), outputs them in order into
 * the batch. Returns 0 or an exit code. */
int sub_decrypt(struct sub *s);
/* Hands the batch to the writer once the one before is done (with wait,
 * also waits for this one). Returns 0 or an exit code. */
int sub_flush(struct sub *s, bool wait);
/* A certificate or revocation: into the view of the membership. */
void sub_membership(struct sub *s, uint64_t cursor, const struct record *r);
void sub_slot_wipe(struct slot *t);

#endif
