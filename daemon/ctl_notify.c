/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * ctl_notify.c — the notification policy's control ops: `notify` shows it,
 * `notify-set` changes one key, writes STATE_DIR/notify.conf and applies it
 * to the events that follow (PROTOCOL.md section 8.1). samen notify and
 * samen-web's settings page are their two callers.
 */
#include <string.h>

#include "config.h"
#include "control.h"
#include "control_int.h"
#include "events.h"
#include "log.h"
#include "policyfile.h"
#include "../proto/mpmap.h"

/* The policy as the reply's "policy" map. */
static void pack_policy(msgpack_packer *pk, const struct policy *p)
{
	char v[32];
	mpmap_put_key(pk, "policy");
	msgpack_pack_map(pk, 4);
	mpmap_put_str(pk, "timezone", p->timezone);
	policy_value(p, POLICY_KEYS - 2, v, sizeof(v)); /* "quiet" */
	mpmap_put_str(pk, "quiet", p->quiet ? v : "");
	mpmap_put_bool(pk, "quiet_now", policy_quiet_at(p, policyfile_minute_now()));
	mpmap_put_key(pk, "levels");
	msgpack_pack_map(pk, POLICY_KEYS - 2);
	for (size_t i = 0; i + 2 < POLICY_KEYS; i++) {
		policy_value(p, i, v, sizeof(v));
		mpmap_put_str(pk, policy_key(i), v);
	}
}

void op_notify(struct req *q)
{
	pack_policy(reply_ok(q, 1), &q->c->events->policy);
}

void op_notify_set(struct req *q)
{
	char key[POLICY_KEY_MAX + 1], value[POLICY_KEY_MAX + 1], err[256];
	struct events *es = q->c->events;
	struct policy next = es->policy;

	if (mpmap_str(q->m, "key", key, sizeof(key)) < 0 ||
	    mpmap_str(q->m, "value", value, sizeof(value)) < 0) {
		reply_error(q, CTL_E_INVALID, "key and value: texts of at most %d bytes (samen notify "
			    "show lists the keys)", POLICY_KEY_MAX);
		return;
	}
	if (policy_set(&next, key, value, err, sizeof(err)) < 0 ||
	    policyfile_zone_check(&next, err, sizeof(err)) < 0) {
		reply_error(q, CTL_E_INVALID, "%s", err);
		return;
	}
	/* on disk before it counts, so a restart keeps what was answered */
	int r = policyfile_save(q->c->cfg->state_dir, &next);
	if (r < 0) {
		log_msg(SLOG_ERR, "cannot write %s/%s: %s", q->c->cfg->state_dir, POLICYFILE_NAME,
			samen_strerror(r));
		reply_err_code(q, r, "the notification policy");
		return;
	}
	if (strcmp(next.timezone, es->policy.timezone) != 0)
		policyfile_zone_apply(&next);
	es->policy = next;
	log_msg(SLOG_INFO, "notification policy: %s = %s", key, value);
	pack_policy(reply_ok(q, 1), &es->policy);
}
