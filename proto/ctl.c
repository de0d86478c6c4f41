/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * ctl.c — the control ops and their fields (ctl.h).
 */
#include "ctl.h"

#include <string.h>

#include "exitcode.h"

const struct ctl_op_def ctl_ops[CTL_OP_COUNT] = {
	[CTL_OP_SEND] = {"send", {"op", "category", "description", "where", "severity", "lat_e6",
				  "lon_e6", "radius_m", "called112", "share", "status", "expires_in",
				  "kind", "refs", NULL}},
	[CTL_OP_ACK] = {"ack", {"op", "ref", "ack", "text", "share", NULL}},
	[CTL_OP_RESOLVE] = {"resolve", {"op", "ref", "text", "share", NULL}},
	[CTL_OP_RETRACT] = {"retract", {"op", "ref", "reason", NULL}},
	[CTL_OP_LIST] = {"list", {"op", "limit", "all", NULL}},
	[CTL_OP_SHOW] = {"show", {"op", "id", NULL}},
	[CTL_OP_WATCH] = {"watch", {"op", "since", NULL}},
	[CTL_OP_PEERS] = {"peers", {"op", NULL}},
	[CTL_OP_MEMBERS] = {"members", {"op", NULL}},
	[CTL_OP_STATUS] = {"status", {"op", NULL}},
	[CTL_OP_INVITE] = {"invite", {"op", "preapproved", "hours", "label", NULL}},
	[CTL_OP_PENDING] = {"pending", {"op", NULL}},
	[CTL_OP_APPROVE] = {"approve", {"op", "key", NULL}},
	[CTL_OP_REVOKE] = {"revoke", {"op", "key", "cascade", "reason", NULL}},
	[CTL_OP_JOIN] = {"join", {"op", "code", "label", NULL}},
	[CTL_OP_IMPORT] = {"import", {"op", "records", NULL}},
	[CTL_OP_CERTIFY] = {"certify", {"op", "key", "role", "label", "days", NULL}},
	[CTL_OP_ANNOUNCEMENTS] = {"announcements", {"op", NULL}},
	[CTL_OP_SEEN] = {"seen", {"op", "id", NULL}},
	[CTL_OP_NOTIFY] = {"notify", {"op", NULL}},
	[CTL_OP_NOTIFY_SET] = {"notify-set", {"op", "key", "value", NULL}},
};

int ctl_op_find(const char *name)
{
	for (int i = 0; i < CTL_OP_COUNT; i++)
		if (strcmp(name, ctl_ops[i].name) == 0)
			return i;
	return -1;
}

const struct ctl_error_def ctl_errors[CTL_E_COUNT] = {
	[CTL_E_INVALID] = {"invalid", EXIT_INVALID},
	[CTL_E_NOT_MEMBER] = {"not-member", EXIT_NOT_MEMBER},
	[CTL_E_FORBIDDEN] = {"forbidden", EXIT_FORBIDDEN},
	[CTL_E_NOT_FOUND] = {"not-found", EXIT_NOT_FOUND},
	[CTL_E_RATE_LIMITED] = {"rate-limited", EXIT_RATE_LIMITED},
	[CTL_E_FULL] = {"full", EXIT_FULL},
	[CTL_E_INTERNAL] = {"internal", EXIT_INTERNAL},
	[CTL_E_NO_ANSWER] = {"no-answer", EXIT_UNREACHABLE},
};

int ctl_error_find(const char *name, size_t len)
{
	for (int i = 0; i < CTL_E_COUNT; i++)
		if (strlen(ctl_errors[i].name) == len && memcmp(name, ctl_errors[i].name, len) == 0)
			return i;
	return -1;
}
