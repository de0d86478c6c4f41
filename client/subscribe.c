/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * subscribe.c — `samen subscribe`, the authority's feed (PROTOCOL.md
 * section 11):
 *
 *   samen subscribe --relay ENDPOINT --relay-key KEY --nbhd NBHD... [-k KEYFILE]
 *                   [--format json|cap] [--out PATH] [--cursor-file FILE] [--once]
 *                   [--threads N]
 *
 * The relay is believed nothing: every record is checked against the
 * membership of the neighbourhoods pinned with --nbhd (client/subview.c),
 * an id is output at most once across runs (client/seen.c), and what is
 * refused is said and counted.
 *
 * subscribe decrypts exactly the signals households shared with this key and
 * prints them as JSON lines or CAP 1.2 documents, in batches: everything
 * already received, up to BATCH_MAX records or BATCH_MS, is verified and
 * decrypted on every core (proto/vpool.c; each record into its own slot),
 * then turned into output in cursor order by the main thread, written and
 * made durable at once (one fdatasync of the output), and only then is the
 * cursor saved (write, fsync, rename), once per batch (client/subout.c). With
 * --out, the output itself says how far it got, so a restart after a crash
 * (of this program or the relay, at any moment: before, during or after a
 * batch's write or the cursor save) repeats nothing and misses nothing:
 * JSON lines are appended to the file --out names, each carries its cursor,
 * a torn last line is cut off on start and the last complete line is the
 * truth; CAP documents are written one file each (CURSOR-ID.xml,
 * atomically) into the directory --out names, and the highest CURSOR there
 * is the truth. The saved cursor can only lag the output, never lead it.
 * Without --out a crash between printing and saving can repeat the last
 * batch (each JSON line carries its cursor, so a reader can drop repeats).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "authlink.h"
#include "seen.h"
#include "subscribe.h"
#include "subout.h"
#include "subview.h"
#include "../keys/identity.h"
#include "../keys/keytext.h"
#include "../proto/cap.h"
#include "../proto/json.h"
#include "../proto/mp.h"
#include "../proto/mpmap.h"
#include "../proto/record.h"
#include "../proto/signal.h"
#include "../proto/submsg.h"
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


static volatile sig_atomic_t stopping;
static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

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

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

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
	msgpack_pack_map(pk, 17 + (p->has_point ? 3 : 0));
	mpmap_put_uint(pk, "cursor", cursor);
	mpmap_put_str(pk, "event", "signal");
	mpmap_put_str(pk, "id", idh);
	mpmap_put_str(pk, "nbhd", nbhd);
	mpmap_put_str(pk, "author", author);
	mpmap_put_uint(pk, "created", r->created);
	mpmap_put_uint(pk, "expires", r->u.signal.expires);
	mpmap_put_str(pk, "kind", signal_kind_name(p->kind));
	mpmap_put_str(pk, "category", signal_category_name(p->category));
	mpmap_put_str(pk, "severity", signal_severity_name(p->severity));
	mpmap_put_str(pk, "status", signal_status_name(p->status));
	mpmap_put_bool(pk, "called112", p->called112);
	mpmap_put_str(pk, "ack", signal_ack_name(p->ack));
	mpmap_put_str(pk, "description", p->description);
	mpmap_put_str(pk, "where", p->where);
	if (p->has_point) {
		mpmap_put_int(pk, "lat_e6", p->lat_e6);
		mpmap_put_int(pk, "lon_e6", p->lon_e6);
		mpmap_put_uint(pk, "radius_m", p->radius_m);
	}
	mpmap_put_key(pk, "refs");
	msgpack_pack_array(pk, p->n_refs);
	for (unsigned i = 0; i < p->n_refs; i++) {
		hex(p->refs[i], 32, idh);
		mp_pack_str(pk, idh);
	}
	mpmap_put_uint(pk, "shared_with", r->u.signal.n_sealed);
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
static int slot_take(struct sub *s, uint64_t cursor, const uint8_t *rec, size_t len)
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

static void slot_wipe(struct slot *t)
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
static void on_membership(struct sub *s, uint64_t cursor, const struct record *r)
{
	enum subview_reason why = subview_add(s->view, r);
	if (why != SV_OK)
		subview_refuse(&s->refused, why, cursor, r->id, stderr);
}

/* Verifies and decrypts the slots on every thread, then outputs them in
 * cursor order into the batch. Reports the first record that cannot be
 * output (the ones before it are in the batch, the cursor right before it)
 * and drops the rest: they are asked for again on the next run. */
static int batch_decrypt(struct sub *s)
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
				on_membership(s, t->cursor, &t->r);
			else /* epochs, peers, announcements: never for a subscriber */
				subview_refuse(&s->refused, SV_NOT_SHARED, t->cursor, t->r.id, stderr);
		}
		if (ret == 0) {
			s->cursor = t->cursor;
			s->pending++;
		}
		slot_wipe(t);
	}
	s->n_slots = 0;
	if (ret < 0) {
		s->taken = s->cursor;
		return authlink_fail(EXIT_INTERNAL, "cannot write the output: %s", samen_strerror(ret));
	}
	return 0;
}

/* Decrypts what the slots hold, turns it into output and hands the batch
 * (and the cursor that covers it) to the writer, once the one before is
 * done; with wait, also waits for this one. When a record cannot be output,
 * the ones before it still are: the cursor stops right before it. */
static int flush_batch(struct sub *s, bool wait)
{
	int derr = batch_decrypt(s);
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

/* ---- the exchange ---- */

static void send_msg(struct sub *s, const struct mp_buf *b)
{
	zmq_send(s->link.sock, b->sb.data, b->sb.size, ZMQ_DONTWAIT);
}

static void send_subscribe(struct sub *s)
{
	struct mp_buf b;
	mp_buf_init(&b);
	if (submsg_pack_subscribe(&b, s->cursor, WINDOW) == 0)
		send_msg(s, &b);
	mp_buf_destroy(&b);
	s->since_credit = 0;
}

static void send_credit(struct sub *s, uint64_t n)
{
	struct mp_buf b;
	mp_buf_init(&b);
	if (submsg_pack_credit(&b, n) == 0)
		send_msg(s, &b);
	mp_buf_destroy(&b);
}

/* A cursor the relay names is believed only if its log could have it: not
 * beyond any store's reach (the decoder refuses those) and not further
 * ahead than one log grows between two messages. */
static bool cursor_possible(const struct sub *s, uint64_t cursor)
{
	return cursor <= s->taken || cursor - s->taken <= CURSOR_JUMP_MAX;
}

/* A membership record from the catch-up before `from`: into the view at
 * once, after whatever the slots hold (they came before it). */
static int on_member(struct sub *s, const uint8_t *rec, size_t len)
{
	struct record r;
	int ret = batch_decrypt(s);
	if (ret != 0)
		return ret;
	if (record_open(rec, len, &r) != 0)
		subview_refuse(&s->refused, SV_MALFORMED, 0, NULL, stderr);
	else if (r.kind != REC_CERT && r.kind != REC_REVOCATION)
		subview_refuse(&s->refused, SV_NOT_SHARED, 0, r.id, stderr);
	else
		on_membership(s, 0, &r);
	return 0;
}

static int on_error(const struct submsg_reply *m)
{
	if (!strcmp(m->code, SUBMSG_CODE_REVOKED))
		return authlink_fail(EXIT_REVOKED, "the relay ended the session: this key was revoked, it is no "
					  "longer an authority of the neighbourhood (%s)", m->error);
	if (!strcmp(m->code, SUBMSG_CODE_CURSOR))
		return authlink_fail(EXIT_INPUT, "the relay refused the saved cursor: %s (was its store "
					"reset? remove the cursor file to read from the start)", m->error);
	return authlink_fail(EXIT_INPUT, "the relay refused: %s", m->error);
}

static int handle(struct sub *s, const uint8_t *buf, size_t len, bool *caught_up)
{
	msgpack_unpacked u;
	struct submsg_reply m;
	const char *why = "";
	int ret = 0;

	msgpack_unpacked_init(&u);
	int dec = submsg_reply_decode(buf, len, &u, &m, &why);
	if (dec == SAMEN_ETOOBIG || (dec == 0 && (m.type == SUBMSG_RECORD || m.type == SUBMSG_CAUGHT_UP) &&
				     !cursor_possible(s, m.cursor))) {
		/* believed, it would be saved and skip everything after it */
		subview_refuse(&s->refused, SV_CURSOR, m.cursor, NULL, stderr);
		*caught_up = m.type == SUBMSG_CAUGHT_UP;
	} else if (dec < 0) {
		ret = authlink_fail(EXIT_INTERNAL, "the relay sent something that is not a subscriber message "
					  "(%s)", why);
	} else if (m.type == SUBMSG_ERROR) {
		ret = on_error(&m);
	} else if (m.type == SUBMSG_CAUGHT_UP) {
		/* everything up to cursor was seen: what the batch holds, then nothing */
		ret = batch_decrypt(s);
		if (ret == 0 && m.cursor > s->cursor)
			s->cursor = s->taken = m.cursor;
		if (ret == 0)
			ret = flush_batch(s, false);
		*caught_up = true;
	} else if (m.type == SUBMSG_MEMBER) {
		ret = on_member(s, m.record, m.record_len);
	} else if (m.type == SUBMSG_RECORD && m.cursor > s->taken) { /* older: a resent window */
		if (slot_take(s, m.cursor, m.record, m.record_len) < 0)
			ret = authlink_fail(EXIT_INTERNAL, "out of memory");
		else if (s->n_slots >= BATCH_MAX || now_ms() - s->batch_t0 >= BATCH_MS)
			ret = flush_batch(s, false);
	}
	/* the relay spends a credit on each record and member message */
	if (dec == 0 && (m.type == SUBMSG_RECORD || m.type == SUBMSG_MEMBER) &&
	    ++s->since_credit >= WINDOW / 4) {
		send_credit(s, s->since_credit);
		s->since_credit = 0;
	}
	msgpack_unpacked_destroy(&u);
	return ret;
}

static const char subscribe_help[] =
	"usage: samen subscribe --relay ENDPOINT --relay-key KEY --nbhd NBHD... [options]\n"
	"\n"
	"An authority's feed: every signal the households of the neighbourhoods named\n"
	"shared with this key, from a relay, as JSON lines or CAP 1.2 documents. It\n"
	"goes on after the last one and follows what comes (--once: stop there).\n"
	"\n"
	"      --relay ENDPOINT   the relay's subscriber address, e.g. tcp://relay.example:7402\n"
	"      --relay-key KEY    the relay's public key (from its operator)\n"
	"      --nbhd NBHD        a neighbourhood's id, its founder's key; once per\n"
	"                         neighbourhood (from its coordinator)\n"
	"  -k, --key KEYFILE      this authority's key (default: $SAMEN_KEY, else\n"
	"                         ~/.config/samen/identity.key)\n"
	"      --format json|cap  one JSON object per line (default), or CAP 1.2 XML\n"
	"      --language TAG     CAP <language> of each <info> (default nl-NL)\n"
	"  -o, --out PATH         json: the file to append to; cap: a directory, one file\n"
	"                         per document (default: standard output)\n"
	"      --cursor-file FILE where the last record handled is kept, so that a restart\n"
	"                         goes on from there (default: KEYFILE.cursor; use one per\n"
	"                         format and output)\n"
	"      --once             stop when caught up\n"
	"      --threads N        check and decrypt on N threads, 1 to 64 (default: one\n"
	"                         per CPU, at most 8)\n"
	"  -h, --help             this help\n"
	"\n"
	"exit status: 0 caught up (--once) or stopped; 2 usage; 3 a file that cannot be\n"
	"used; 4 relay unreachable; 6 this key is not (or no longer) an authority of the\n"
	"neighbourhood; 10 anything else.\n";

int subscribe_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"relay", required_argument, NULL, 'r'},   {"relay-key", required_argument, NULL, 'K'},
		{"key", required_argument, NULL, 'k'},     {"format", required_argument, NULL, 'f'},
		{"out", required_argument, NULL, 'o'},     {"cursor-file", required_argument, NULL, 'c'},
		{"once", no_argument, NULL, '1'},          {"help", no_argument, NULL, 'h'},
		{"threads", required_argument, NULL, 'T'}, {"nbhd", required_argument, NULL, 'n'},
		{"language", required_argument, NULL, 'L'}, {NULL, 0, NULL, 0},
	};
	static struct sub s;
	const char *relay_key = NULL, *cursor_file = NULL;
	int c, ret;
	unsigned long threads = 0;

	memset(&s, 0, sizeof(s));
	if (authlink_default_key(s.link.key_path, sizeof(s.link.key_path)) < 0)
		s.link.key_path[0] = '\0';
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': s.link.endpoint = optarg; break;
		case 'K': relay_key = optarg; break;
		case 'k': snprintf(s.link.key_path, sizeof(s.link.key_path), "%s", optarg); break;
		case 'o': s.o.out = optarg; break;
		case 'c': cursor_file = optarg; break;
		case '1': s.once = true; break;
		case 'n':
			if (s.n_nbhds == SUBVIEW_NBHD_MAX)
				return authlink_fail(EXIT_USAGE, "--nbhd: at most %d neighbourhoods", SUBVIEW_NBHD_MAX);
			if (keytext_decode(optarg, s.nbhds[s.n_nbhds]) < 0)
				return authlink_fail(EXIT_USAGE, "--nbhd: '%s' is not a neighbourhood id (its "
							"founder's public key)", optarg);
			s.n_nbhds++;
			break;
		case 'T': {
			char *end;
			errno = 0;
			threads = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || threads == 0 || threads > SUBSCRIBE_THREADS_MAX)
				return authlink_fail(EXIT_USAGE, "--threads: '%s' is not a number from 1 to %d", optarg,
					    SUBSCRIBE_THREADS_MAX);
			break;
		}
		case 'f':
			if (!strcmp(optarg, "cap"))
				s.o.cap = true;
			else if (strcmp(optarg, "json") != 0)
				return authlink_fail(EXIT_USAGE, "--format: '%s' is neither json nor cap", optarg);
			break;
		case 'L':
			if (!cap_language_ok(optarg))
				return authlink_fail(EXIT_USAGE, "--language: '%s' is not a language tag "
							"(like nl-NL, fy or en)", optarg);
			s.language = optarg;
			break;
		case 'h':
			fputs(subscribe_help, stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (!s.link.endpoint || !relay_key || !s.n_nbhds)
		return authlink_fail(EXIT_USAGE, "subscribe: --relay, --relay-key and --nbhd (each "
					"neighbourhood's id, its founder's key) are required (ask the "
					"neighbourhood's coordinator for them)");
	if (keytext_decode(relay_key, s.link.relay_key) < 0)
		return authlink_fail(EXIT_USAGE, "--relay-key: '%s' is not a public key", relay_key);
	if (sodium_init() < 0)
		return authlink_fail(EXIT_INTERNAL, "libsodium failed to initialise");
	if ((ret = authlink_load_key(&s.link)) != 0)
		return ret;
	if (cursor_file)
		snprintf(s.o.cursor_file, sizeof(s.o.cursor_file), "%s", cursor_file);
	else
		snprintf(s.o.cursor_file, sizeof(s.o.cursor_file), "%s.cursor", s.link.key_path);
	s.threads = threads ? (unsigned)threads : vpool_cpus(SUBSCRIBE_THREADS_DEFAULT_MAX);
	if ((ret = subout_open(&s.o)) != 0)
		return ret;
	s.cursor = s.handed = subout_load_cursor(s.o.cursor_file);
	if (s.cursor > SUBMSG_CURSOR_MAX) {
		fprintf(stderr, "samen: the saved cursor %" PRIu64 " in %s is beyond what any relay "
				"holds (an older samen believed a relay that lied): ignored\n",
			s.cursor, s.o.cursor_file);
		s.cursor = s.handed = 0;
	}
	uint64_t in_out = subout_cursor_in_output(&s.o);
	if (in_out > s.cursor && in_out <= SUBMSG_CURSOR_MAX)
		s.cursor = in_out; /* the output got further than the saved cursor */
	s.taken = s.cursor;
	char seen_path[4300];
	snprintf(seen_path, sizeof(seen_path), "%s.seen", s.o.cursor_file);
	if ((ret = seen_open(&s.o.seen, seen_path)) < 0) {
		ret = authlink_fail(EXIT_INPUT, "%s: %s", seen_path, samen_strerror(ret));
		goto out;
	}
	if ((ret = subview_new(&s.view, (const uint8_t(*)[32])s.nbhds, s.n_nbhds)) < 0) {
		ret = authlink_fail(EXIT_INTERNAL, "out of memory");
		goto out;
	}
	s.cache = calloc(CACHE_MAX, sizeof(*s.cache));
	s.slots = calloc(BATCH_MAX, sizeof(*s.slots));
	if (!s.cache || !s.slots) {
		ret = authlink_fail(EXIT_INTERNAL, "out of memory");
		goto out;
	}
	if (s.threads > 1 && (ret = vpool_new(&s.pool, s.threads - 1)) < 0) {
		ret = authlink_fail(EXIT_INTERNAL, "cannot start %u decrypt threads: %s", s.threads,
			   samen_strerror(ret));
		goto out;
	}
	if ((ret = subout_start(&s.o)) != 0 || (ret = authlink_connect(&s.link)) != 0)
		goto out;
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	send_subscribe(&s);
	uint64_t last_rx = now_ms();
	bool done = false;
	while (!stopping && !done) {
		zmq_pollitem_t it = {s.link.sock, 0, ZMQ_POLLIN, 0};
		int rc = zmq_poll(&it, 1, 500);
		if (rc < 0 && errno != EINTR) {
			ret = authlink_fail(EXIT_INTERNAL, "poll: %s", zmq_strerror(errno));
			break;
		}
		if (rc > 0) {
			zmq_msg_t m;
			zmq_msg_init(&m);
			while (zmq_msg_recv(&m, s.link.sock, ZMQ_DONTWAIT) >= 0) {
				bool caught_up = false;
				last_rx = now_ms();
				ret = handle(&s, zmq_msg_data(&m), zmq_msg_size(&m), &caught_up);
				done = ret != 0 || (caught_up && s.once);
				if (done)
					break;
			}
			zmq_msg_close(&m);
			/* everything already received is decrypted: to the writer */
			if (ret == 0)
				ret = flush_batch(&s, false);
		}
		if (ret != 0)
			break;
		/* a relay that restarted has forgotten us; ask again from where we are */
		if (now_ms() - last_rx > SILENCE_MS) {
			s.taken = s.cursor; /* the slots are empty: every drain flushed them */
			send_subscribe(&s);
			last_rx = now_ms();
			if (s.once)
				fprintf(stderr, "samen: waiting for the relay at %s\n", s.link.endpoint);
		}
	}
out:
	/* stopped, caught up, or the relay refused: what was decrypted is kept */
	if ((c = flush_batch(&s, true)) != 0 && ret == 0)
		ret = c;
	subout_stop(&s.o);
	vpool_free(&s.pool);
	subview_summary(&s.refused, stderr);
	subview_free(&s.view);
	seen_close(&s.o.seen);
	subout_close(&s.o);
	text_free(&s.batch);
	if (s.cache)
		sodium_memzero(s.cache, CACHE_MAX * sizeof(*s.cache));
	free(s.cache);
	for (unsigned i = 0; s.slots && i < BATCH_MAX; i++) {
		slot_wipe(&s.slots[i]);
		free(s.slots[i].buf);
	}
	free(s.slots);
	authlink_close(&s.link);
	return ret;
}
