/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * control_int.h — what the control socket (control.c) shares with the files
 * of its ops (ctl_signals.c, ctl_admin.c): the request being answered, the
 * reply writers and the checks every op starts with. Private to those files.
 */
#ifndef SAMEN_CONTROL_INT_H
#define SAMEN_CONTROL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "../proto/ctl.h"
#include "../proto/mp.h"

struct control;

struct req {
	struct control *c;
	const msgpack_object *m;
	const uint8_t *rid;
	size_t rid_len;
	struct mp_buf *out;   /* the reply (control_answer's caller's) */
	bool replied;
	bool deferred; /* answered later, by the module that holds the request */
	bool replay;          /* watch --since: events follow the reply */
	uint64_t replay_since;
};

/* Each writes the whole reply, replacing anything written before. */
void reply_error(struct req *q, enum ctl_error code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Starts a success reply with n result fields after "ok". */
msgpack_packer *reply_ok(struct req *q, size_t n);
/* Maps a library error to the protocol's codes. */
void reply_err_code(struct req *q, int err, const char *what);

/* False, with the refusal written, when this household may not do the op. */
bool need_member(struct req *q);
bool need_coordinator(struct req *q);

/* Read an optional field; an absent one keeps *out. False (with the reply
 * written) when present but wrong. */
bool opt_str(struct req *q, const char *key, char *out, size_t cap);
bool opt_bool(struct req *q, const char *key, bool *out);
bool opt_uint(struct req *q, const char *key, uint64_t max, uint64_t *out);
/* Reads a required public key; false (with the reply written) without one. */
bool req_key(struct req *q, const char *field, uint8_t key[32]);

/* The ops about signals (ctl_signals.c). */
void op_send(struct req *q);
void op_ack(struct req *q);
void op_resolve(struct req *q);
void op_retract(struct req *q);
void op_list(struct req *q);
void op_show(struct req *q);
void op_watch(struct req *q);
void op_announcements(struct req *q);
void op_seen(struct req *q);

/* The notification policy's ops (ctl_notify.c). */
void op_notify(struct req *q);
void op_notify_set(struct req *q);

/* The ops about the daemon and membership (ctl_admin.c). */
void op_peers(struct req *q);
void op_members(struct req *q);
void op_status(struct req *q);
void op_invite(struct req *q);
void op_pending(struct req *q);
void op_approve(struct req *q);
void op_revoke(struct req *q);
void op_join(struct req *q);
void op_import(struct req *q);
void op_certify(struct req *q);

#endif
