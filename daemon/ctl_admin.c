/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * ctl_admin.c — the control ops about the daemon and membership (PROTOCOL.md
 * section 8): peers, members, status, revoke, certify, import, invite,
 * pending, approve, join; the daemon side of client/cmd_admin.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "control_int.h"
#include "gossip.h"
#include "join.h"
#include "net.h"
#include "log.h"
#include "view.h"
#include "../keys/keytext.h"
#include "../proto/link.h"
#include "../proto/mpmap.h"

void op_peers(struct req *q)
{
	struct control *c = q->c;
	size_t n = 0;
	for (size_t i = 0; i < net_link_slots(c->net); i++)
		n += net_link(c->net, i)->used;
	msgpack_packer *pk = reply_ok(q, 1);
	mpmap_put_key(pk, "peers");
	msgpack_pack_array(pk, n);
	uint64_t now = daemon_now_ms();
	for (size_t i = 0; i < net_link_slots(c->net); i++) {
		const struct link *l = net_link(c->net, i);
		char key[KEYTEXT_LEN], label[LABEL_MAX + 1];
		if (!l->used)
			continue;
		keytext_encode(l->key, key);
		view_label(c->node, l->key, label, sizeof(label));
		msgpack_pack_map(pk, 6);
		mpmap_put_str(pk, "key", key);
		mpmap_put_str(pk, "label", label);
		mpmap_put_str(pk, "endpoint", l->endpoint);
		mpmap_put_str(pk, "direction", l->dir == DIR_OUT ? "out" : "in");
		mpmap_put_bool(pk, "up", l->up);
		mpmap_put_uint(pk, "since", l->since_ms ? (now - l->since_ms) / 1000 : 0);
	}
}

void op_members(struct req *q)
{
	struct control *c = q->c;
	uint64_t now = (uint64_t)time(NULL);
	static const unsigned roles[] = {ROLE_MEMBER, ROLE_RELAY, ROLE_AUTHORITY};
	uint8_t(*keys[3])[32] = {NULL, NULL, NULL};
	size_t counts[3] = {0, 0, 0}, total = 0;
	if (!need_member(q))
		return;
	for (size_t r = 0; r < 3; r++) {
		size_t n = membership_list(c->node->mem, roles[r], now, NULL, 0);
		keys[r] = calloc(n ? n : 1, 32);
		if (keys[r])
			counts[r] = membership_list(c->node->mem, roles[r], now, keys[r], n);
		total += counts[r];
	}
	msgpack_packer *pk = reply_ok(q, 1);
	mpmap_put_key(pk, "members");
	msgpack_pack_array(pk, total);
	for (size_t r = 0; r < 3; r++)
		for (size_t i = 0; i < counts[r]; i++) {
			char key[KEYTEXT_LEN], fp[FINGERPRINT_LEN], label[LABEL_MAX + 1];
			unsigned role = roles[r];
			if (role == ROLE_MEMBER &&
			    (memcmp(keys[r][i], c->node->nbhd, 32) == 0 ||
			     membership_check(c->node->mem, keys[r][i], ROLE_COORDINATOR, now, NULL) == 0))
				role = ROLE_COORDINATOR;
			keytext_encode(keys[r][i], key);
			keytext_fingerprint(keys[r][i], fp);
			view_label(c->node, keys[r][i], label, sizeof(label));
			msgpack_pack_map(pk, 4);
			mpmap_put_str(pk, "key", key);
			mpmap_put_str(pk, "fingerprint", fp);
			mpmap_put_str(pk, "role",
				      memcmp(keys[r][i], c->node->nbhd, 32) == 0 ? "founder"
										: record_role_name(role));
			mpmap_put_str(pk, "label", label);
		}
	for (size_t r = 0; r < 3; r++)
		free(keys[r]);
}

void op_status(struct req *q)
{
	struct control *c = q->c;
	const struct net_counters *nc = net_counters(c->net);
	struct gossip_counters sent;
	gossip_counters(c->gossip, &sent);
	struct store_stats st;
	char key[KEYTEXT_LEN], fp[FINGERPRINT_LEN], nbhd[KEYTEXT_LEN] = "";
	memset(&st, 0, sizeof(st));
	if (store_stats(c->node->store, &st) < 0)
		log_msg(SLOG_WARN, "cannot read store statistics");
	keytext_encode(c->node->id->pk, key);
	keytext_fingerprint(c->node->id->pk, fp);
	if (c->node->have_nbhd)
		keytext_encode(c->node->nbhd, nbhd);
	unsigned role = node_my_role(c->node);
	const struct epoch *e = node_current_epoch(c->node);
	msgpack_packer *pk = reply_ok(q, 14);
	size_t eager = 0;
	for (size_t i = 0; i < net_link_slots(c->net); i++) {
		const struct link *l = net_link(c->net, i);
		eager += l->used && l->up && !l->lazy;
	}
	mpmap_put_key(pk, "traffic");
	msgpack_pack_map(pk, 9);
	mpmap_put_uint(pk, "eager_links", eager);
	mpmap_put_uint(pk, "receipts_sent", sent.receipt_records);
	mpmap_put_uint(pk, "receipt_bytes_sent", sent.receipt_bytes);
	mpmap_put_uint(pk, "receipts_stored", c->node->receipts_stored);
	mpmap_put_uint(pk, "records_sent", sent.records);
	mpmap_put_uint(pk, "record_bytes_sent", sent.record_bytes);
	mpmap_put_uint(pk, "ihave_ids_sent", sent.ihave_ids);
	mpmap_put_uint(pk, "grafts_sent", sent.grafts);
	mpmap_put_uint(pk, "prunes_sent", sent.prunes);
	mpmap_put_str(pk, "key", key);
	mpmap_put_str(pk, "fingerprint", fp);
	mpmap_put_str(pk, "nbhd", nbhd);
	/* a revoked household is told so, not left to guess from "none" */
	bool revoked = c->node->mem && membership_is_revoked(c->node->mem, c->node->id->pk) == 1;
	mpmap_put_str(pk, "role", c->node->n_served ? "relay"
				  : revoked ? "revoked"
				  : !role   ? (join_active(c->join) ? "joining" : "none")
				  : memcmp(c->node->id->pk, c->node->nbhd, 32) == 0 ? "founder"
										   : record_role_name(role));
	mpmap_put_uint(pk, "links", net_links_up(c->net));
	mpmap_put_uint(pk, "records", st.records);
	mpmap_put_uint(pk, "store_bytes", st.used_bytes);
	mpmap_put_uint(pk, "epoch", e ? e->number : 0);
	mpmap_put_uint(pk, "uptime", (daemon_now_ms() - c->started_ms) / 1000);
	mpmap_put_uint(pk, "links_refused", nc->links_refused);
	mpmap_put_uint(pk, "links_refused_by_peers", nc->links_refused_by_peers);
	mpmap_put_str(pk, "join", join_state_name(c->join));
	mpmap_put_key(pk, "counters");
	size_t n = 0;
	for (int i = 1; i < RJ_COUNT; i++)
		n += c->node->counters[i] != 0;
	n += sent.skip_clamped != 0;
	msgpack_pack_map(pk, n + 2 + BOUND_COUNT);
	mpmap_put_uint(pk, "stored", c->node->stored_total);
	mpmap_put_uint(pk, "peer-cutoffs", nc->peer_cutoffs);
	for (int i = 0; i < BOUND_COUNT; i++)
		mpmap_put_uint(pk, net_bound_name((enum bound)i), nc->bounds[i] + sent.bounds[i]);
	for (int i = 1; i < RJ_COUNT; i++)
		if (c->node->counters[i])
			mpmap_put_uint(pk, reject_name((enum reject)i), c->node->counters[i]);
	if (sent.skip_clamped)
		mpmap_put_uint(pk, "skip-clamped", sent.skip_clamped);
}

void op_revoke(struct req *q)
{
	struct record r;
	uint8_t key[32];
	bool cascade = false;
	char hex[65];
	if (!need_coordinator(q) || !req_key(q, "key", key) || !opt_bool(q, "cascade", &cascade))
		return;
	if (memcmp(key, q->c->node->nbhd, 32) == 0) {
		reply_error(q, CTL_E_FORBIDDEN, "nobody can revoke the founder");
		return;
	}
	char reason[sizeof(r.u.rev.reason)] = "";
	if (!opt_str(q, "reason", reason, sizeof(reason)))
		return;
	/* A second key-only revocation would change nothing but the record
	 * count (and start another epoch for nothing); a cascade may still
	 * add the revocation of what the key certified. */
	if (!cascade && membership_is_revoked(q->c->node->mem, key) == 1) {
		reply_error(q, CTL_E_INVALID, "this key is revoked already (--cascade would also "
			    "revoke what it certified)");
		return;
	}
	/* what the key signed up to now keeps its authority; nothing later,
	 * whatever date it carries */
	struct store_vv_entry seen;
	int ret = store_vv_get(q->c->node->store, key, &seen);
	if (ret == 0)
		ret = node_prepare(q->c->node, &r, REC_REVOCATION);
	if (ret == 0) {
		memcpy(r.u.rev.subject, key, 32);
		r.u.rev.scope = cascade ? REVOKE_CASCADE : REVOKE_KEY;
		r.u.rev.has_upto = true;
		r.u.rev.upto = seen.max;
		memcpy(r.u.rev.reason, reason, sizeof(reason));
		ret = node_publish(q->c->node, &r, NULL);
	}
	if (ret == 0 && node_rekey_needed(q->c->node))
		ret = node_rekey(q->c->node);
	if (ret < 0) {
		reply_err_code(q, ret, "not revoked");
		return;
	}
	const struct epoch *e = node_current_epoch(q->c->node);
	view_hex(r.id, hex);
	msgpack_packer *pk = reply_ok(q, 2);
	mpmap_put_str(pk, "id", hex);
	mpmap_put_uint(pk, "epoch", e ? e->number : 0);
}

/* A coordinator certifies a key directly: a relay, an authority, or a
 * member admitted in person rather than by invite. */
void op_certify(struct req *q)
{
	struct record r;
	uint8_t key[32];
	char role_s[16] = "", hex[65];
	uint64_t days = 365;
	if (!need_coordinator(q) || !req_key(q, "key", key) || !opt_str(q, "role", role_s, sizeof(role_s)) ||
	    !opt_uint(q, "days", 3650, &days))
		return;
	int role = record_role_parse(role_s);
	if (role < 0) {
		reply_error(q, CTL_E_INVALID, "role: one of member, coordinator, relay, authority");
		return;
	}
	if (role == ROLE_COORDINATOR && memcmp(q->c->node->id->pk, q->c->node->nbhd, 32) != 0) {
		reply_error(q, CTL_E_FORBIDDEN, "only the founder certifies coordinators");
		return;
	}
	char label[sizeof(r.u.cert.label)] = "";
	if (!opt_str(q, "label", label, sizeof(label)))
		return;
	if (strpbrk(label, "\n\t")) {
		reply_error(q, CTL_E_INVALID, "label: one line");
		return;
	}
	int ret = node_prepare(q->c->node, &r, REC_CERT);
	if (ret == 0) {
		memcpy(r.u.cert.subject, key, 32);
		r.u.cert.role = (uint8_t)role;
		memcpy(r.u.cert.label, label, sizeof(label));
		r.u.cert.not_before = r.created - 300;
		r.u.cert.not_after = r.created + (days ? days : 1) * 86400;
		ret = node_publish(q->c->node, &r, NULL);
	}
	if (ret < 0) {
		reply_err_code(q, ret, "not certified");
		return;
	}
	view_hex(r.id, hex);
	mpmap_put_str(reply_ok(q, 1), "cert", hex);
}

void op_import(struct req *q)
{
	const msgpack_object *recs = mpmap_find(q->m, "records");
	if (!recs || recs->type != MSGPACK_OBJECT_ARRAY || recs->via.array.size > LINK_RECORDS_MAX) {
		reply_error(q, CTL_E_INVALID, "records: an array of at most %d records", LINK_RECORDS_MAX);
		return;
	}
	if (!q->c->node->have_nbhd) {
		reply_error(q, CTL_E_NOT_MEMBER, "no neighbourhood configured: set 'neighbourhood' first");
		return;
	}
	size_t n = recs->via.array.size;
	const uint8_t *ptrs[LINK_RECORDS_MAX];
	size_t lens[LINK_RECORDS_MAX];
	enum reject v[LINK_RECORDS_MAX];
	for (size_t i = 0; i < n; i++)
		if (mp_get_bin(&recs->via.array.ptr[i], RECORD_MAX, 1, &ptrs[i], &lens[i]) < 0) {
			reply_error(q, CTL_E_INVALID, "records: element %zu is not a record", i);
			return;
		}
	int ret = node_ingest(q->c->node, ptrs, lens, n, NULL, v);
	if (ret < 0) {
		reply_err_code(q, ret, "not imported");
		return;
	}
	msgpack_packer *pk = reply_ok(q, 2);
	mpmap_put_uint(pk, "stored", (uint64_t)ret);
	mpmap_put_key(pk, "verdicts");
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		mp_pack_str(pk, reject_name(v[i]));
}

void op_invite(struct req *q)
{
	bool pre = false;
	uint64_t hours = 72;
	char label[LABEL_MAX + 1] = "", code[512];
	if (!need_coordinator(q) || !opt_bool(q, "preapproved", &pre) ||
	    !opt_uint(q, "hours", 24 * 30, &hours) || !opt_str(q, "label", label, sizeof(label)))
		return;
	if (!q->c->cfg->join_listen[0]) {
		reply_error(q, CTL_E_INVALID, "this daemon has no join socket: set join_listen in its config");
		return;
	}
	int ret = join_invite(q->c->join, pre, hours ? hours : 1, label, code, sizeof(code));
	if (ret < 0) {
		reply_err_code(q, ret, "no invite made");
		return;
	}
	msgpack_packer *pk = reply_ok(q, 1);
	mpmap_put_str(pk, "code", code);
}

void op_pending(struct req *q)
{
	struct control *c = q->c;
	size_t n = 0;
	if (!need_coordinator(q))
		return;
	const struct invite *invites;
	size_t n_invites = join_invites(c->join, &invites);
	for (size_t i = 0; i < n_invites; i++)
		n += invites[i].pending;
	msgpack_packer *pk = reply_ok(q, 1);
	mpmap_put_key(pk, "pending");
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n_invites; i++) {
		const struct invite *v = &invites[i];
		char key[KEYTEXT_LEN], fp[FINGERPRINT_LEN];
		if (!v->pending)
			continue;
		keytext_encode(v->joiner, key);
		keytext_fingerprint(v->joiner, fp);
		msgpack_pack_map(pk, 4);
		mpmap_put_str(pk, "key", key);
		mpmap_put_str(pk, "fingerprint", fp);
		mpmap_put_str(pk, "label", v->joiner_label);
		mpmap_put_uint(pk, "since", v->since);
	}
}

void op_approve(struct req *q)
{
	uint8_t key[32], cert[32];
	char hex[65];
	if (!need_coordinator(q) || !req_key(q, "key", key))
		return;
	int ret = join_approve(q->c->join, key, cert);
	if (ret < 0) {
		reply_err_code(q, ret, "not approved");
		return;
	}
	view_hex(cert, hex);
	mpmap_put_str(reply_ok(q, 1), "cert", hex);
}

void op_join(struct req *q)
{
	char code[512], label[LABEL_MAX + 1] = "";
	if (mpmap_str(q->m, "code", code, sizeof(code)) < 0) {
		reply_error(q, CTL_E_INVALID, "code: the invite code your coordinator gave you");
		return;
	}
	if (!opt_str(q, "label", label, sizeof(label)))
		return;
	if (q->c->node->have_nbhd && node_my_role(q->c->node)) {
		reply_error(q, CTL_E_INVALID, "this household is a member already");
		return;
	}
	int ret = join_start(q->c->join, code, label);
	if (ret < 0) {
		reply_error(q, CTL_E_INVALID, "code: %s", ret == SAMEN_EEXPIRED ? "the invite has expired; "
			    "ask for a new one" : "not a samen invite code (check for a missing piece)");
		return;
	}
	/* the answer waits for the coordinator's: an unknown code is refused
	 * there, and the household should hear it, not read it in a log */
	join_answer_later(q->c->join, q->c->sock, q->rid, q->rid_len);
	q->replied = q->deferred = true;
}
