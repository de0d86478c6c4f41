/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * control.c — the control socket (PROTOCOL.md section 8): one msgpack map in,
 * one msgpack map out, and a stream of events for `watch`. Here the socket,
 * the checks every request passes, the op table and the reply writers; the
 * ops themselves in ctl_signals.c and ctl_admin.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <zmq.h>

#include "control.h"
#include "control_int.h"
#include "log.h"
#include "router.h"
#include "events.h"
#include "../keys/keytext.h"
#include "../proto/ctl.h"
#include "../proto/mpmap.h"

static void send_frame(struct control *c, const uint8_t *rid, size_t rid_len, const void *buf,
		       size_t len)
{
	if (zmq_send(c->sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
		zmq_send(c->sock, buf, len, ZMQ_DONTWAIT);
}

void reply_error(struct req *q, enum ctl_error code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	q->out->sb.size = 0;
	msgpack_pack_map(&q->out->pk, 3);
	mpmap_put_bool(&q->out->pk, "ok", false);
	mpmap_put_str(&q->out->pk, "code", ctl_errors[code].name);
	mpmap_put_str(&q->out->pk, "error", msg);
	q->replied = true;
}

msgpack_packer *reply_ok(struct req *q, size_t n)
{
	q->out->sb.size = 0;
	msgpack_pack_map(&q->out->pk, n + 1);
	mpmap_put_bool(&q->out->pk, "ok", true);
	q->replied = true;
	return &q->out->pk;
}

/* The store refuses with "full" for two reasons that need different
 * fixes: the disk is full, or the store reached its configured ceiling. */
static const char *full_hint(const struct control *c, char *buf, size_t cap)
{
	struct statvfs v;
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/store", c->cfg->state_dir); /* as node_open */
	bool disk = statvfs(dir, &v) != 0 ||
		    (uint64_t)v.f_bavail * v.f_frsize < 16ull * 1024 * 1024;
	if (disk)
		snprintf(buf, cap, "the disk holding %s is full; free disk space (nothing was "
				   "written)", dir);
	else
		snprintf(buf, cap, "the store reached max_map_mb = %u; raise it in samend.conf "
				   "(nothing was written)", c->cfg->max_map_mb);
	return buf;
}

void reply_err_code(struct req *q, int err, const char *what)
{
	enum ctl_error code = err == SAMEN_EFULL    ? CTL_E_FULL
			      : err == SAMEN_ERATE  ? CTL_E_RATE_LIMITED
			      : err == SAMEN_EROLE  ? CTL_E_FORBIDDEN
			      : err == SAMEN_ENOCERT || err == SAMEN_ENBHD || err == SAMEN_EREVOKED
				      ? CTL_E_NOT_MEMBER
			      : err == SAMEN_ENOTFOUND ? CTL_E_NOT_FOUND
			      : err == SAMEN_EINVAL    ? CTL_E_INVALID
						       : CTL_E_INTERNAL;
	char full[4400];
	const char *hint = err == SAMEN_ERATE ? "too many signals from this household just now; "
						  "wait a minute"
			   : err == SAMEN_EFULL ? full_hint(q->c, full, sizeof(full))
					       : samen_strerror(err);
	reply_error(q, code, "%s: %s", what, hint);
}

bool need_member(struct req *q)
{
	const struct control *c = q->c;
	if (!c->node->have_nbhd || !node_my_role(c->node)) {
		bool revoked = c->node->mem && membership_is_revoked(c->node->mem, c->node->id->pk) == 1;
		reply_error(q, CTL_E_NOT_MEMBER,
			    revoked ? "this household's key was revoked by a coordinator of the "
				      "neighbourhood: nothing it sends counts, and it reads nothing sent "
				      "since (ask them why)"
			    : c->node->have_nbhd ? "this household holds no valid certificate (yet)"
						: "not a member of a neighbourhood yet: run 'samen join CODE'");
		return false;
	}
	return true;
}

bool need_coordinator(struct req *q)
{
	if (!need_member(q))
		return false;
	if (node_my_role(q->c->node) != ROLE_COORDINATOR) {
		reply_error(q, CTL_E_FORBIDDEN, "only a coordinator can do this");
		return false;
	}
	return true;
}

bool opt_str(struct req *q, const char *key, char *out, size_t cap)
{
	int r = mpmap_str(q->m, key, out, cap);
	if (r == SAMEN_ENOTFOUND)
		return true;
	if (r < 0) {
		reply_error(q, CTL_E_INVALID, "%s: must be text of at most %zu bytes", key, cap - 1);
		return false;
	}
	return true;
}

bool opt_bool(struct req *q, const char *key, bool *out)
{
	int r = mpmap_bool(q->m, key, out);
	if (r < 0 && r != SAMEN_ENOTFOUND) {
		reply_error(q, CTL_E_INVALID, "%s: must be true or false", key);
		return false;
	}
	return true;
}

bool opt_uint(struct req *q, const char *key, uint64_t max, uint64_t *out)
{
	int r = mpmap_uint(q->m, key, max, out);
	if (r < 0 && r != SAMEN_ENOTFOUND) {
		reply_error(q, CTL_E_INVALID, "%s: must be a whole number up to %llu", key,
			    (unsigned long long)max);
		return false;
	}
	return true;
}

bool req_key(struct req *q, const char *field, uint8_t key[32])
{
	char text[80];
	if (mpmap_str(q->m, field, text, sizeof(text)) < 0 || keytext_decode(text, key) < 0) {
		reply_error(q, CTL_E_INVALID, "%s: give a public key (43 characters, as samen-keys show prints it)",
			    field);
		return false;
	}
	return true;
}

/* The names and fields of the ops are in proto/ctl.c, which the fuzzer reads
 * too; here what answers each. */
static void (*const handlers[])(struct req *) = {
	[CTL_OP_SEND] = op_send,
	[CTL_OP_ACK] = op_ack,
	[CTL_OP_RESOLVE] = op_resolve,
	[CTL_OP_RETRACT] = op_retract,
	[CTL_OP_LIST] = op_list,
	[CTL_OP_SHOW] = op_show,
	[CTL_OP_WATCH] = op_watch,
	[CTL_OP_PEERS] = op_peers,
	[CTL_OP_MEMBERS] = op_members,
	[CTL_OP_STATUS] = op_status,
	[CTL_OP_INVITE] = op_invite,
	[CTL_OP_PENDING] = op_pending,
	[CTL_OP_APPROVE] = op_approve,
	[CTL_OP_REVOKE] = op_revoke,
	[CTL_OP_JOIN] = op_join,
	[CTL_OP_IMPORT] = op_import,
	[CTL_OP_CERTIFY] = op_certify,
	[CTL_OP_ANNOUNCEMENTS] = op_announcements,
	[CTL_OP_SEEN] = op_seen,
	[CTL_OP_NOTIFY] = op_notify,
	[CTL_OP_NOTIFY_SET] = op_notify_set,
};
_Static_assert(sizeof(handlers) / sizeof(handlers[0]) == CTL_OP_COUNT,
	       "every op in proto/ctl.h has a handler");

static void dispatch(struct req *q)
{
	char op[32], bad[96];
	if (mpmap_check(q->m, NULL, bad, sizeof(bad)) < 0) {
		reply_error(q, CTL_E_INVALID, "a request is a map with an 'op' field (%s)", bad);
		return;
	}
	if (mpmap_str(q->m, "op", op, sizeof(op)) < 0) {
		/* bad says nothing here: mpmap_check found the map well formed */
		reply_error(q, CTL_E_INVALID, "a request is a map with an 'op' field (no 'op' text)");
		return;
	}
	int i = ctl_op_find(op);
	if (i < 0) {
		reply_error(q, CTL_E_INVALID, "unknown op '%s'", op);
		return;
	}
	if (mpmap_check(q->m, ctl_ops[i].fields, bad, sizeof(bad)) < 0) {
		reply_error(q, CTL_E_INVALID, "%s: %s", op, bad);
		return;
	}
	handlers[i](q);
}

void control_answer(struct control *c, const uint8_t *rid, size_t rid_len, const uint8_t *req,
		    size_t len, struct ctl_answer *a)
{
	struct req q;
	msgpack_unpacked u;
	memset(&q, 0, sizeof(q));
	q.c = c;
	q.rid = rid;
	q.rid_len = rid_len;
	q.out = &a->out;
	a->out.sb.size = 0;
	msgpack_unpacked_init(&u);
	int ret = mp_unpack(req, len, CTL_DEPTH, &u);
	if (ret < 0) {
		reply_error(&q, CTL_E_INVALID, "request is not valid msgpack: %s", samen_strerror(ret));
	} else {
		q.m = &u.data;
		dispatch(&q);
	}
	if (!q.replied)
		reply_error(&q, CTL_E_INTERNAL, "no reply was produced");
	a->deferred = q.deferred;
	a->replay = q.replay;
	a->replay_since = q.replay_since;
	msgpack_unpacked_destroy(&u);
}

static int setopt_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

int control_open(struct control *c, void *zctx)
{
	if (snprintf(c->path, sizeof(c->path), "%s/control", c->cfg->state_dir) >=
	    (int)sizeof(c->path))
		return -ENAMETOOLONG;
	char ep[4300];
	snprintf(ep, sizeof(ep), "ipc://%s", c->path);
	unlink(c->path); /* a stale socket of a previous run */
	c->sock = zmq_socket(zctx, ZMQ_ROUTER);
	int64_t max = 1 << 20;
	if (!c->sock || setopt_int(c->sock, ZMQ_LINGER, 0) ||
	    setopt_int(c->sock, ZMQ_ROUTER_MANDATORY, 1) ||
	    zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) ||
	    setopt_int(c->sock, ZMQ_SNDHWM, 100000) || zmq_bind(c->sock, ep) != 0) {
		log_msg(SLOG_ERR, "cannot bind the control socket %s: %s", ep, zmq_strerror(errno));
		return -EIO;
	}
	chmod(c->path, 0600);
	return 0;
}

void control_close(struct control *c)
{
	if (c->sock)
		zmq_close(c->sock);
	c->sock = NULL;
	if (c->path[0])
		unlink(c->path);
}

void *control_socket(const struct control *c)
{
	return c->sock;
}

bool control_take(struct control *c, struct ctl_request *q)
{
	/* dropped messages count too: a flood of them gives the loop back */
	for (int tries = 0; tries < 64; tries++) {
		int got = router_recv(c->sock, &q->rid, &q->body);
		if (got == 0)
			return false;
		if (got < 0)
			continue; /* dropped (router.c): the next one */
		mp_buf_init(&q->a.out);
		control_answer(c, zmq_msg_data(&q->rid), zmq_msg_size(&q->rid), zmq_msg_data(&q->body),
			       zmq_msg_size(&q->body), &q->a);
		return true;
	}
	return false;
}

void control_finish(struct control *c, struct ctl_request *q)
{
	const uint8_t *r = zmq_msg_data(&q->rid);
	size_t r_len = zmq_msg_size(&q->rid);
	if (!q->a.deferred)
		send_frame(c, r, r_len, q->a.out.sb.data, q->a.out.sb.size);
	if (q->a.replay)
		events_replay(c->events, r, r_len, q->a.replay_since);
	mp_buf_destroy(&q->a.out);
	zmq_msg_close(&q->rid);
	zmq_msg_close(&q->body);
}
