/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * subrec.c — the records of one `samen subscribe` batch: each verified and
 * decrypted into its own slot on every thread (proto/vpool.c), then, in
 * cursor order on the main thread, checked against the pinned membership
 * (subview.c) and the ids output before (seen.c), and turned into JSON
 * lines or CAP documents; finally handed to the writer (subout.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "subscribe_int.h"
#include "../keys/identity.h"
#include "../keys/keytext.h"
#include "../proto/cap.h"
#include "../proto/json.h"
#include "../proto/mp.h"
#include "../proto/mpmap.h"
#include "../proto/sigview.h"

/* ---- output ---- */

static struct recent *cache_find(struct sub *s, const uint8_t id[32])
{
	for (size_t i = 0; i < s->n_cache; i++)
		if (memcmp(s->cache[i].id, id, 32) == 0)
			return &s->cache[i];
	return NULL;
}

static struct recent *cache_add(struct sub *s)
{
	struct recent *e;
	if (s->n_cache < CACHE_MAX) {
		e = &s->cache[s->n_cache++];
	} else {
		e = &s->cache[s->next_cache];
		s->next_cache = (s->next_cache + 1) % CACHE_MAX;
	}
	memset(e, 0, sizeof(*e));
	return e;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

static void pack_signal_json(msgpack_packer *pk, uint64_t cursor, const struct record *r,
			     const struct signal_plain *p)
{
	char idh[65], author[KEYTEXT_LEN], nbhd[KEYTEXT_LEN];
	hex(r->id, 32, idh);
	keytext_encode(r->author, author);
	keytext_encode(r->nbhd, nbhd);
	msgpack_pack_map(pk, 8 + sigview_fields(p));
	mpmap_put_uint(pk, "cursor", cursor);
	mpmap_put_str(pk, "event", "signal");
	mpmap_put_str(pk, "id", idh);
	mpmap_put_str(pk, "nbhd", nbhd);
	mpmap_put_str(pk, "author", author);
	mpmap_put_uint(pk, "created", r->created);
	mpmap_put_uint(pk, "expires", r->u.signal.expires);
	sigview_pack(pk, p);
	mpmap_put_uint(pk, SIGVIEW_SHARED_WITH, r->u.signal.n_sealed);
}

/* Adds what a memstream holds to the batch, all or nothing. */
static int batch_add(struct sub *s, FILE *m, char **text, size_t *len, bool ok)
{
	int ret = ok && fflush(m) == 0 ? text_append(&s->batch, *text, *len) : -EIO;
	fclose(m);
	text_wipe(text, len);
	return ret;
}

/* One msgpack map as a JSON line, into a malloc'ed *text that the caller
 * wipes and frees (text_wipe), also on failure. Safe on any thread. */
static int json_line(const struct mp_buf *b, char **text, size_t *len)
{
	msgpack_unpacked u;
	*text = NULL;
	*len = 0;
	msgpack_unpacked_init(&u);
	FILE *m = open_memstream(text, len);
	int ret = -ENOMEM;
	if (m) {
		bool ok = mp_unpack((const uint8_t *)b->sb.data, b->sb.size, 4, &u) == 0 &&
			  json_write(m, &u.data) == 0 && fputc('\n', m) != EOF;
		ret = ok && fflush(m) == 0 ? 0 : -EIO;
		fclose(m);
	}
	msgpack_unpacked_destroy(&u);
	return ret;
}

/* Adds one JSON line to the batch. */
static int emit_json(struct sub *s, const struct mp_buf *b)
{
	char *text;
	size_t len;
	int ret = json_line(b, &text, &len);
	if (ret == 0)
		ret = text_append(&s->batch, text, len);
	text_wipe(&text, &len);
	return ret;
}

/* Adds one CAP document to the batch (standard output), or writes it to
 * its own file in the --out directory (atomically; the writer makes the
 * name durable with the batch). */
static int emit_cap(struct sub *s, uint64_t cursor, const struct cap_input *in)
{
	if (!s->o.out) {
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		return m ? batch_add(s, m, &text, &len, cap_write(m, in) == 0) : -ENOMEM;
	}
	return subout_cap_file(&s->o, cursor, in->id, in);
}

/* ---- signals: verified and decrypted on every thread, output in order ---- */

/* Takes a copy of one received record into the next slot. */
int sub_take(struct sub *s, uint64_t cursor, const uint8_t *rec, size_t len)
{
	struct slot *t = &s->slots[s->n_slots];
	if (len > t->cap) {
		uint8_t *nb = malloc(len);
		if (!nb)
			return -ENOMEM;
		free(t->buf); /* ciphertext, as the relay sent it */
		t->buf = nb;
		t->cap = len;
	}
	memcpy(t->buf, rec, len);
	t->len = len;
	t->cursor = cursor;
	if (s->n_slots++ == 0)
		s->batch_t0 = now_ms();
	s->taken = cursor;
	return 0;
}

/* A pool job: reads only s->link.id and s->o.cap, writes only slot i. */
static void slot_open(void *ctx, size_t i)
{
	struct sub *s = ctx;
	struct slot *t = &s->slots[i];
	t->dec = SAMEN_EKIND;
	t->text = NULL;
	t->text_len = 0;
	t->text_ret = 0;
	t->opened = record_open(t->buf, t->len, &t->r) == 0;
	if (!t->opened || t->r.kind != REC_SIGNAL)
		return;
	t->dec = signal_decrypt_authority(&t->r, s->link.id->pk, s->link.id->curve_pk, s->link.id->curve_sk, &t->p);
	if (t->dec < 0 || s->o.cap)
		return; /* CAP refers to earlier signals: rendered in order */
	struct mp_buf b;
	mp_buf_init(&b);
	pack_signal_json(&b.pk, t->cursor, &t->r, &t->p);
	t->text_ret = json_line(&b, &t->text, &t->text_len);
	mp_buf_destroy(&b);
}

void sub_slot_wipe(struct slot *t)
{
	sodium_memzero(&t->p, sizeof(t->p));
	text_wipe(&t->text, &t->text_len);
}

static int on_signal(struct sub *s, struct slot *t)
{
	const struct record *r = &t->r;
	char author[KEYTEXT_LEN], nbhd[KEYTEXT_LEN];
	int ret;
	enum subview_reason why = t->dec < 0 ? SV_NOT_SHARED
				  : seen_find(s->o.seen, r->id, NULL)
				  ? SV_DUPLICATE
				  : subview_signal(s->view, r, (uint64_t)time(NULL));
	if (why != SV_OK) {
		subview_refuse(&s->refused, why, t->cursor, r->id, stderr);
		return 0;
	}
	struct recent *c = cache_add(s);
	memcpy(c->id, r->id, 32);
	keytext_encode(r->author, author);
	keytext_encode(r->nbhd, nbhd);
	snprintf(c->sender, sizeof(c->sender), "samen:%s", author);
	c->created = r->created;
	c->p = t->p;
	c->have_p = true;
	if (!s->o.cap) {
		ret = t->text_ret < 0 ? t->text_ret : text_append(&s->batch, t->text, t->text_len);
	} else {
		struct cap_ref refs[SIGNAL_REFS_MAX];
		for (unsigned i = 0; i < t->p.n_refs; i++) {
			struct recent *e = cache_find(s, t->p.refs[i]);
			refs[i].id = t->p.refs[i];
			refs[i].sender = e ? e->sender : NULL;
			refs[i].sent = e ? e->created : 0;
		}
		struct cap_input in = {r->id, c->sender, NULL, nbhd, r->created, r->u.signal.expires,
				       &t->p, refs, t->p.n_refs, false, NULL, s->language};
		ret = emit_cap(s, t->cursor, &in);
	}
	return ret == 0 ? seen_add(s->o.seen, r->id, r->author) : ret;
}

/* A retraction is output only for a signal this subscriber output (in this
 * run or an earlier one), and only when its author may retract it. */
static int on_retraction(struct sub *s, uint64_t cursor, const struct record *r)
{
	uint8_t target_author[32];
	char idh[65], target[65], author[KEYTEXT_LEN], nbhd[KEYTEXT_LEN];
	int ret;
	if (!seen_find(s->o.seen, r->u.retraction.target, target_author))
		return 0; /* of a signal never shared with us: nothing to take back */
	enum subview_reason why = seen_find(s->o.seen, r->id, NULL)
				  ? SV_DUPLICATE
				  : subview_retraction(s->view, r, target_author, (uint64_t)time(NULL));
	if (why != SV_OK) {
		subview_refuse(&s->refused, why, cursor, r->id, stderr);
		return 0;
	}
	hex(r->id, 32, idh);
	hex(r->u.retraction.target, 32, target);
	keytext_encode(r->author, author);
	keytext_encode(r->nbhd, nbhd);
	if (!s->o.cap) {
		struct mp_buf b;
		mp_buf_init(&b);
		msgpack_pack_map(&b.pk, 8);
		mpmap_put_uint(&b.pk, "cursor", cursor);
		mpmap_put_str(&b.pk, "event", "retraction");
		mpmap_put_str(&b.pk, "id", idh);
		mpmap_put_str(&b.pk, "nbhd", nbhd);
		mpmap_put_str(&b.pk, "author", author);
		mpmap_put_uint(&b.pk, "created", r->created);
		mpmap_put_str(&b.pk, "target", target);
		mpmap_put_str(&b.pk, "reason", r->u.retraction.reason);
		ret = emit_json(s, &b);
		mp_buf_destroy(&b);
	} else {
		/* a CAP Cancel repeats the original's details: only for one met
		 * this run */
		const struct recent *t = cache_find(s, r->u.retraction.target);
		if (!t)
			return 0;
		char sender[64];
		snprintf(sender, sizeof(sender), "samen:%s", author);
		struct cap_ref ref = {t->id, t->sender, t->created};
		struct cap_input in = {r->id, sender, NULL, nbhd, r->created, 0, &t->p, &ref, 1, true,
				       r->u.retraction.reason, s->language};
		ret = emit_cap(s, cursor, &in);
	}
	return ret == 0 ? seen_add(s->o.seen, r->id, r->author) : ret;
}

/* A certificate or revocation into the view, in cursor order with the
 * records around it. */
void sub_membership(struct sub *s, uint64_t cursor, const struct record *r)
{
	enum subview_reason why = subview_add(s->view, r);
	if (why != SV_OK)
		subview_refuse(&s->refused, why, cursor, r->id, stderr);
}

/* Verifies and decrypts the slots on every thread, then outputs them in
 * cursor order into the batch. Reports the first record that cannot be
 * output (the ones before it are in the batch, the cursor right before it)
 * and drops the rest: they are asked for again on the next run. */
int sub_decrypt(struct sub *s)
{
	unsigned n = s->n_slots;
	int ret = 0;
	if (n == 0)
		return 0;
	if (s->pool && n >= PARALLEL_MIN)
		vpool_run(s->pool, n, slot_open, s);
	else
		for (unsigned i = 0; i < n; i++)
			slot_open(s, i);
	for (unsigned i = 0; i < n; i++) {
		struct slot *t = &s->slots[i];
		if (ret == 0 && !t->opened) {
			subview_refuse(&s->refused, SV_MALFORMED, t->cursor, NULL, stderr);
		} else if (ret == 0) {
			if (t->r.kind == REC_SIGNAL)
				ret = on_signal(s, t);
			else if (t->r.kind == REC_RETRACTION)
				ret = on_retraction(s, t->cursor, &t->r);
			else if (t->r.kind == REC_CERT || t->r.kind == REC_REVOCATION)
				sub_membership(s, t->cursor, &t->r);
			else /* epochs, peers, announcements: never for a subscriber */
				subview_refuse(&s->refused, SV_NOT_SHARED, t->cursor, t->r.id, stderr);
		}
		if (ret == 0) {
			s->cursor = t->cursor;
			s->pending++;
		}
		sub_slot_wipe(t);
	}
	s->n_slots = 0;
	if (ret < 0) {
		s->taken = s->cursor;
		return samen_fail(EXIT_INTERNAL, "cannot write the output: %s", samen_strerror(ret));
	}
	return 0;
}

/* Decrypts what the slots hold, turns it into output and hands the batch
 * (and the cursor that covers it) to the writer, once the one before is
 * done; with wait, also waits for this one. When a record cannot be output,
 * the ones before it still are: the cursor stops right before it. */
int sub_flush(struct sub *s, bool wait)
{
	int derr = sub_decrypt(s);
	if (derr != 0)
		wait = true;
	bool some = s->pending || s->cursor != s->handed;
	int ret = subout_wait(&s->o, some || wait);
	if (ret != 0 || !s->o.running)
		return derr != 0 ? derr : ret;
	if (some) {
		subout_hand(&s->o, &s->batch, s->cursor, s->o.cap && s->o.out && s->pending);
		s->handed = s->cursor;
		s->pending = 0;
	}
	ret = wait ? subout_wait(&s->o, true) : 0;
	return derr != 0 ? derr : ret;
}

