/* SPDX-License-Identifier: EUPL-1.2 */
/* The parsers of the commands about the daemon and membership: peers,
 * members, status, pending, invite, join, approve, revoke. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "../proto/policy.h"
#include "../proto/record.h"

#define HOURS_MAX (30 * 24) /* as samend caps it */
#define CODE_MAX 1024 /* bytes of an invite code */

/* ---- commands without arguments ---- */

static int cmd_plain(const struct command *cmd, int argc, char **argv, struct globals *g,
		     struct job *j, render_fn *render)
{
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cli_plain_options)) != -1)
		r = cli_common_option(cmd, c, argv, g);
	if (r || (r = cli_positional(cmd, argc, argv, 0, "")))
		return r;
	j->render = render;
	return 0;
}

CMD_BUILD(peers)
{
	return cmd_plain(cmd, argc, argv, g, j, render_peers);
}

CMD_BUILD(members)
{
	return cmd_plain(cmd, argc, argv, g, j, render_members);
}

CMD_BUILD(status)
{
	return cmd_plain(cmd, argc, argv, g, j, render_status);
}

CMD_BUILD(pending)
{
	return cmd_plain(cmd, argc, argv, g, j, render_pending);
}

/* ---- the notification policy ---- */

/* notify [show] | notify set KEY VALUE: the second is the op notify-set. */
CMD_BUILD(notify)
{
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cli_plain_options)) != -1)
		r = cli_common_option(cmd, c, argv, g);
	if (r)
		return r;
	int have = argc - optind;
	const char *what = have ? argv[optind] : "show";
	j->render = render_notify;
	if (strcmp(what, "show") == 0)
		return cli_positional(cmd, argc, argv, have ? 1 : 0, " (notify show takes nothing more)");
	if (strcmp(what, "set") != 0)
		return cli_usage_error(cmd, "say show, or set KEY VALUE");
	if (have != 3)
		return cli_usage_error(cmd, "set takes a KEY and a VALUE, like: set burglary.alert alarm");
	const char *key = argv[optind + 1], *value = argv[optind + 2];
	if ((r = cli_check_text(cmd, "KEY", key, POLICY_KEY_MAX, true)) ||
	    (r = cli_check_text(cmd, "VALUE", value, POLICY_KEY_MAX, true)))
		return r;
	req_destroy(&j->req);
	req_init(&j->req, "notify-set");
	req_str(&j->req, "key", key);
	req_str(&j->req, "value", value);
	return 0;
}

/* ---- membership ---- */

const struct option cmd_invite_options[] = {
	{"preapproved", no_argument, NULL, O_PREAPPROVED},
	{"hours", required_argument, NULL, O_HOURS},
	{"label", required_argument, NULL, O_LABEL},
	COMMON_OPTIONS,
};

CMD_BUILD(invite)
{
	const char *hours = NULL, *label = NULL;
	char err[ARGS_ERR_MAX];
	uint64_t h = 0;
	bool pre = false;
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cmd_invite_options)) != -1) {
		switch (c) {
		case O_PREAPPROVED: pre = true; break;
		case O_HOURS: r = cli_once(cmd, &hours, "--hours"); break;
		case O_LABEL: r = cli_once(cmd, &label, "--label"); break;
		default: r = cli_common_option(cmd, c, argv, g);
		}
	}
	if (r || (r = cli_positional(cmd, argc, argv, 0, " (text with spaces needs quotes)")))
		return r;
	if (hours && args_uint("--hours", hours, 1, HOURS_MAX, &h, err, sizeof(err)) < 0)
		return cli_invalid(cmd, err);
	if (label && (r = cli_check_text(cmd, "--label", label, LABEL_MAX, true)))
		return r;
	if (pre)
		req_bool(&j->req, "preapproved", true);
	if (hours)
		req_uint(&j->req, "hours", h);
	if (label)
		req_str(&j->req, "label", label);
	j->render = render_invite;
	return 0;
}

const struct option cmd_join_options[] = {
	{"label", required_argument, NULL, O_LABEL},
	COMMON_OPTIONS,
};

CMD_BUILD(join)
{
	const char *label = NULL;
	char code[CODE_MAX + 1];
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cmd_join_options)) != -1) {
		if (c == O_LABEL)
			r = cli_once(cmd, &label, "--label");
		else
			r = cli_common_option(cmd, c, argv, g);
	}
	if (r || (r = cli_positional(cmd, argc, argv, 1, "the invite CODE from a coordinator")))
		return r;
	/* a code pasted from a message often carries white space around it */
	const char *s = argv[optind] + strspn(argv[optind], " \t\r\n");
	size_t n = strlen(s);
	while (n && strchr(" \t\r\n", s[n - 1]))
		n--;
	if (n == 0 || n > CODE_MAX)
		return cli_invalid(cmd, n ? "the invite code is too long; copy exactly what the "
				   "coordinator gave you"
				   : "the invite code is empty");
	memcpy(code, s, n);
	code[n] = '\0';
	if ((r = cli_check_text(cmd, "the invite code", code, CODE_MAX, true)) ||
	    (label && (r = cli_check_text(cmd, "--label", label, LABEL_MAX, true))))
		return r;
	req_str(&j->req, "code", code);
	if (label)
		req_str(&j->req, "label", label);
	j->render = render_join;
	return 0;
}

CMD_BUILD(approve)
{
	char key[KEYTEXT_LEN];
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cli_plain_options)) != -1)
		r = cli_common_option(cmd, c, argv, g);
	if (r || (r = cli_positional(cmd, argc, argv, 1, "the KEY to approve (see 'samen pending')")) ||
	    (r = cli_take_key(cmd, argv[optind], key)))
		return r;
	req_str(&j->req, "key", key);
	j->render = render_approve;
	return 0;
}

const struct option cmd_revoke_options[] = {
	{"cascade", no_argument, NULL, O_CASCADE},
	{"reason", required_argument, NULL, O_REASON},
	COMMON_OPTIONS,
};

CMD_BUILD(revoke)
{
	const char *reason = NULL;
	char key[KEYTEXT_LEN];
	bool cascade = false;
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cmd_revoke_options)) != -1) {
		switch (c) {
		case O_CASCADE: cascade = true; break;
		case O_REASON: r = cli_once(cmd, &reason, "--reason"); break;
		default: r = cli_common_option(cmd, c, argv, g);
		}
	}
	if (r || (r = cli_positional(cmd, argc, argv, 1, "the KEY to revoke (see 'samen members')")) ||
	    (r = cli_take_key(cmd, argv[optind], key)) ||
	    (reason && (r = cli_check_text(cmd, "--reason", reason, REASON_MAX, false))))
		return r;
	req_str(&j->req, "key", key);
	if (cascade)
		req_bool(&j->req, "cascade", true);
	if (reason)
		req_str(&j->req, "reason", reason);
	j->render = render_revoke;
	return 0;
}

const struct option cmd_certify_options[] = {
	{"role", required_argument, NULL, O_ROLE},
	{"label", required_argument, NULL, O_LABEL},
	{"days", required_argument, NULL, O_DAYS},
	COMMON_OPTIONS,
};

CMD_BUILD(certify)
{
	const char *role = NULL, *label = NULL, *days = NULL;
	char key[KEYTEXT_LEN];
	uint64_t n_days = 0;
	int c, r = 0;

	while (r == 0 && (c = cli_getopt(argc, argv, COMMON_SHORT, cmd_certify_options)) != -1) {
		switch (c) {
		case O_ROLE: r = cli_once(cmd, &role, "--role"); break;
		case O_LABEL: r = cli_once(cmd, &label, "--label"); break;
		case O_DAYS: r = cli_once(cmd, &days, "--days"); break;
		default: r = cli_common_option(cmd, c, argv, g);
		}
	}
	if (r || (r = cli_positional(cmd, argc, argv, 1, "the KEY to certify")) ||
	    (r = cli_take_key(cmd, argv[optind], key)))
		return r;
	if (!role || (strcmp(role, "member") && strcmp(role, "coordinator") && strcmp(role, "relay") &&
		      strcmp(role, "authority")))
		return cli_invalid(cmd, "--role: member, coordinator, relay or authority");
	if (label && (r = cli_check_text(cmd, "--label", label, LABEL_MAX, true)))
		return r;
	if (days) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(days, &end, 10);
		if (!*days || *days == '-' || *end || errno || v == 0 || v > 3650)
			return cli_invalid(cmd, "--days: a whole number from 1 to 3650");
		n_days = v;
	}
	req_str(&j->req, "key", key);
	req_str(&j->req, "role", role);
	if (label)
		req_str(&j->req, "label", label);
	if (n_days)
		req_uint(&j->req, "days", n_days);
	j->render = render_certify;
	return 0;
}
