/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * ctl.h — the ops of the control socket (PROTOCOL.md section 8) and the
 * fields each may carry, written once for the daemon that answers them and
 * the fuzzer that checks what they read.
 */
#ifndef SAMEN_CTL_H
#define SAMEN_CTL_H

#include <stddef.h>

enum ctl_op {
	CTL_OP_SEND,
	CTL_OP_ACK,
	CTL_OP_RESOLVE,
	CTL_OP_RETRACT,
	CTL_OP_LIST,
	CTL_OP_SHOW,
	CTL_OP_WATCH,
	CTL_OP_PEERS,
	CTL_OP_MEMBERS,
	CTL_OP_STATUS,
	CTL_OP_INVITE,
	CTL_OP_PENDING,
	CTL_OP_APPROVE,
	CTL_OP_REVOKE,
	CTL_OP_JOIN,
	CTL_OP_IMPORT,
	CTL_OP_CERTIFY,
	CTL_OP_ANNOUNCEMENTS,
	CTL_OP_SEEN,
	CTL_OP_NOTIFY,
	CTL_OP_NOTIFY_SET,
	CTL_OP_COUNT
};

struct ctl_op_def {
	const char *name;
	/* the keys a request of this op may hold ("op" among them), NULL-terminated,
	 * as mpmap_check() takes them */
	const char *const fields[16];
};

extern const struct ctl_op_def ctl_ops[CTL_OP_COUNT];

/* The op called name, or -1 when there is none. */
int ctl_op_find(const char *name);

/* The codes of a refusal ({"ok": false, "code": NAME, "error": text}),
 * with the exit code samen gives each (PROTOCOL.md section 8). */
enum ctl_error {
	CTL_E_INVALID,
	CTL_E_NOT_MEMBER,
	CTL_E_FORBIDDEN,
	CTL_E_NOT_FOUND,
	CTL_E_RATE_LIMITED,
	CTL_E_FULL,
	CTL_E_INTERNAL,
	CTL_E_NO_ANSWER,
	CTL_E_COUNT
};

struct ctl_error_def {
	const char *name; /* as it travels */
	int exit;         /* proto/exitcode.h */
};

extern const struct ctl_error_def ctl_errors[CTL_E_COUNT];

/* The code called name (len bytes, not NUL-terminated), or -1. */
int ctl_error_find(const char *name, size_t len);

#endif
