/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * view.c — signals as the control protocol shows them (PROTOCOL.md section
 * 8, "signal view"): decrypted, with the author's label, and for an alert
 * the state of its incident worked out from the signals that refer to it.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "view.h"
#include "node_receipts.h"
#include "../keys/keytext.h"
#include "../proto/mp.h"
#include "../proto/mpmap.h"
#include "../proto/sigview.h"

void view_hex(const uint8_t id[32], char out[65])
{
	sodium_bin2hex(out, 65, id, 32);
}

void view_label(const node_t *n, const uint8_t key[32], char *out, size_t cap)
{
	uint8_t cert_id[32], *buf;
	size_t len;
	struct record c;
	static const unsigned roles[] = {ROLE_COORDINATOR, ROLE_MEMBER, ROLE_RELAY, ROLE_AUTHORITY};
	uint64_t now = n->now_ms() / 1000;

	out[0] = '\0';
	if (!n->mem)
		return;
	for (size_t i = 0; i < 4; i++) {
		if (membership_check(n->mem, key, roles[i], now, cert_id) != 0)
			continue;
		if (sodium_is_zero(cert_id, 32)) {
			snprintf(out, cap, "founder");
			return;
		}
		if (store_get(n->store, cert_id, &buf, &len) == 0) {
			if (record_decode(buf, len, &c) == 0)
				snprintf(out, cap, "%s", c.u.cert.label);
			free(buf);
		}
		return;
	}
}

static int collect_one(void *ctx, const uint8_t id[32], const uint8_t *data, size_t len)
{
	struct sigset *s = ctx;
	struct record r;
	(void)id;
	struct receipt rc;
	if (record_decode(data, len, &r) != 0)
		return 0;
	/* a receipt is not a signal a person reads: its counts are in the
	 * alert's view */
	if (node_receipt_open(s->node, &r, &rc))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct sigent *grown = realloc(s->e, cap * sizeof(*grown));
		if (!grown)
			return -1;
		s->e = grown;
		s->cap = cap;
	}
	struct sigent *e = &s->e[s->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, r.id, 32);
	memcpy(e->author, r.author, 32);
	e->seq = r.seq;
	e->created = r.created;
	e->expires = r.u.signal.expires;
	e->shared = r.u.signal.n_sealed;
	e->readable = node_decrypt(s->node, &r, &e->p) == 0;
	s->n++;
	return 0;
}

static int by_created_desc(const void *a, const void *b)
{
	const struct sigent *x = a, *y = b;
	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return memcmp(x->id, y->id, 32);
}

int view_collect(const node_t *n, struct sigset *s)
{
	memset(s, 0, sizeof(*s));
	s->node = n;
	int ret = store_each_by_kind(n->store, n->nbhd, REC_SIGNAL, collect_one, s);
	if (ret < 0)
		return ret;
	if (s->n > 1) /* s->e is NULL while empty: qsort(NULL, 0, ...) is undefined */
		qsort(s->e, s->n, sizeof(*s->e), by_created_desc);
	return 0;
}

void view_free(struct sigset *s)
{
	if (s->e)
		sodium_memzero(s->e, s->cap * sizeof(*s->e));
	free(s->e);
	memset(s, 0, sizeof(*s));
}

static bool refers_to(const struct sigent *e, const uint8_t id[32])
{
	for (unsigned i = 0; i < e->p.n_refs; i++)
		if (memcmp(e->p.refs[i], id, 32) == 0)
			return true;
	return false;
}

void view_thread_state(const struct sigset *s, const struct sigent *head, const char **state,
		       unsigned *looking)
{
	bool called = head->readable && head->p.called112, resolved = false;
	uint8_t seen[64][32];
	unsigned n_seen = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct sigent *e = &s->e[i];
		if (!e->readable || !refers_to(e, head->id))
			continue;
		if (e->p.kind == SIG_ALLCLEAR)
			resolved = true;
		if (e->p.called112 || e->p.ack == ACK_CALLED_112)
			called = true;
		if (e->p.ack == ACK_LOOKING) {
			bool dup = false;
			for (unsigned k = 0; k < n_seen && !dup; k++)
				dup = memcmp(seen[k], e->author, 32) == 0;
			if (!dup && n_seen < 64)
				memcpy(seen[n_seen++], e->author, 32);
		}
	}
	*state = resolved ? "resolved" : called ? "112-called" : "open";
	*looking = n_seen;
}

int view_pack_receipts(msgpack_packer *pk, const node_t *n, const uint8_t id[32],
		       const uint8_t author[32])
{
	unsigned delivered, seen, households = node_households(n);
	node_receipt_counts(n, id, author, &delivered, &seen);
	int r = mpmap_put_uint(pk, "delivered", delivered);
	r |= mpmap_put_uint(pk, "seen", seen);
	/* the others: the author's own daemon sends no receipt for its alert */
	r |= mpmap_put_uint(pk, "households", households ? households - 1 : 0);
	return r;
}

int view_pack(msgpack_packer *pk, const struct sigset *s, const struct sigent *e)
{
	char hex[65], key[KEYTEXT_LEN], label[LABEL_MAX + 1];
	const struct signal_plain *p = &e->p;
	bool head = e->readable && (p->kind == SIG_ALERT || p->kind == SIG_UPDATE);
	size_t fields = 9 + (e->readable ? sigview_fields(p) : 0) + (head ? 5 : 0);
	int r = 0;

	view_hex(e->id, hex);
	keytext_encode(e->author, key);
	view_label(s->node, e->author, label, sizeof(label));
	r |= msgpack_pack_map(pk, fields);
	r |= mpmap_put_str(pk, "id", hex);
	r |= mpmap_put_str(pk, "author", key);
	r |= mpmap_put_str(pk, "label", label);
	r |= mpmap_put_uint(pk, "seq", e->seq);
	r |= mpmap_put_uint(pk, "created", e->created);
	r |= mpmap_put_uint(pk, "expires", e->expires);
	r |= mpmap_put_uint(pk, SIGVIEW_SHARED_WITH, e->shared);
	r |= mpmap_put_bool(pk, "retracted", false);
	r |= mpmap_put_bool(pk, "readable", e->readable);
	if (e->readable)
		r |= sigview_pack(pk, p);
	if (head) {
		const char *state;
		unsigned looking;
		view_thread_state(s, e, &state, &looking);
		r |= mpmap_put_str(pk, "state", state);
		r |= mpmap_put_uint(pk, "looking", looking);
		r |= view_pack_receipts(pk, s->node, e->id, e->author);
	}
	return r ? -1 : 0;
}

const struct sigent *view_find(const struct sigset *s, const char *hexid, int *err)
{
	const struct sigent *hit = NULL;
	size_t len = strlen(hexid);
	*err = 0;
	if (len < 8 || len > 64) {
		*err = SAMEN_EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < s->n; i++) {
		char hex[65];
		view_hex(s->e[i].id, hex);
		if (strncmp(hex, hexid, len) != 0)
			continue;
		if (hit) {
			*err = SAMEN_EINVAL; /* ambiguous prefix */
			return NULL;
		}
		hit = &s->e[i];
	}
	if (!hit)
		*err = SAMEN_ENOTFOUND;
	return hit;
}
