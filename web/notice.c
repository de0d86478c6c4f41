/* SPDX-License-Identifier: EUPL-1.2 */
#include "notice.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/json.h"
#include "../proto/mp.h"
#include "../proto/mpmap.h"
#include "../proto/policy.h"
#include "../proto/record.h"
#include "../proto/signal.h"
#include "words.h"

/* word with its first letter upper case (the words start with ASCII) */
static void capital(char *out, size_t cap, const char *word)
{
	snprintf(out, cap, "%s", word);
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

char *notice_to_json(const msgpack_object *o, size_t *len)
{
	char *text = NULL;
	FILE *m = open_memstream(&text, len);
	if (!m)
		return NULL;
	int r = json_write(m, o);
	if (fclose(m) != 0 || r < 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Packs what is in b (one map) as JSON. */
static char *finish(struct mp_buf *b, size_t *len)
{
	msgpack_unpacked u;
	char *out = NULL;
	msgpack_unpacked_init(&u);
	if (mp_unpack((const uint8_t *)b->sb.data, b->sb.size, 4, &u) == 0)
		out = notice_to_json(&u.data, len);
	msgpack_unpacked_destroy(&u);
	mp_buf_destroy(b);
	return out;
}

char *notice_plain(const char *event, const char *id, uint64_t time, const char *topic,
		   size_t *len)
{
	struct mp_buf b;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 4);
	mpmap_put_str(&b.pk, "id", id);
	mpmap_put_uint(&b.pk, "time", time);
	mpmap_put_str(&b.pk, "event", event);
	mpmap_put_str(&b.pk, "topic", topic);
	return finish(&b, len);
}

struct shown {
	char title[300], message[1400], tag[32], full_id[65];
	const char *category; /* an alert's, in words */
	int priority;         /* samen-web's own, for an event without a level */
};

/* The signal kind the watch stream names (signal.c's names), or 0. */
static unsigned kind_of(const char *name)
{
	for (unsigned k = SIG_ALERT; k <= SIG_ALLCLEAR; k++)
		if (strcmp(name, signal_kind_name(k)) == 0)
			return k;
	return 0;
}

/* The words are words.c's, the page's too. */
static bool from_signal(const msgpack_object *v, const struct words *w, const char *about,
			struct shown *s)
{
	char kind[16], cat[32], where[256], what[1024], label[128], ack[16], status[16];
	bool readable = false, called = false;

	if (mpmap_bool(v, "readable", &readable) < 0 || !readable ||
	    mpmap_str(v, "kind", kind, sizeof(kind)) < 0 ||
	    mpmap_str(v, "id", s->full_id, sizeof(s->full_id)) < 0 ||
	    mpmap_str(v, "label", label, sizeof(label)) < 0 ||
	    mpmap_str(v, "category", cat, sizeof(cat)) < 0 ||
	    mpmap_str(v, "where", where, sizeof(where)) < 0 ||
	    mpmap_str(v, "description", what, sizeof(what)) < 0 ||
	    mpmap_str(v, "ack", ack, sizeof(ack)) < 0 ||
	    mpmap_str(v, "status", status, sizeof(status)) < 0 ||
	    mpmap_bool(v, "called112", &called) < 0)
		return false;
	const char *catw = words_category(w, cat);
	char kindw[64];
	s->category = catw;
	bool drill = strcmp(status, "real") != 0;
	unsigned k = kind_of(kind);
	if (k == SIG_ALERT || k == SIG_UPDATE) {
		capital(kindw, sizeof(kindw), w->kind[k]);
		snprintf(s->title, sizeof(s->title), "%s: %s%s%s%s", kindw, catw, drill ? " (" : "",
			 drill ? w->drill : "", drill ? ")" : "");
		snprintf(s->message, sizeof(s->message), "%s — %s", where, what);
		s->priority = drill ? 3 : called ? 5 : 4;
		snprintf(s->tag, sizeof(s->tag), "%s", called ? "rotating_light" : "warning");
	} else if (k == SIG_ACK) {
		bool c112 = strcmp(ack, signal_ack_name(ACK_CALLED_112)) == 0;
		bool looking = strcmp(ack, signal_ack_name(ACK_LOOKING)) == 0;
		snprintf(s->title, sizeof(s->title), "%s %s", label,
			 w->ack[c112 ? ACK_CALLED_112 : looking ? ACK_LOOKING : ACK_TEXT]);
		snprintf(s->message, sizeof(s->message), "%s", what[0] ? what : about ? about : "—");
		s->priority = c112 && !drill ? 5 : 3;
		snprintf(s->tag, sizeof(s->tag), "%s", c112 ? "telephone_receiver" : "eyes");
	} else if (k == SIG_ALLCLEAR) {
		capital(s->title, sizeof(s->title), w->kind[SIG_ALLCLEAR]);
		snprintf(s->message, sizeof(s->message), "%s%s%s", label, what[0] ? ": " : "", what);
		s->priority = 2;
		snprintf(s->tag, sizeof(s->tag), "%s", "white_check_mark");
	} else {
		return false;
	}
	return true;
}

static bool from_announcement(const msgpack_object *e, const struct words *w, struct shown *s)
{
	char kind[16], text[1024], where[256] = "", label[128];
	if (mpmap_str(e, "kind", kind, sizeof(kind)) < 0 ||
	    mpmap_str(e, "text", text, sizeof(text)) < 0 ||
	    mpmap_str(e, "label", label, sizeof(label)) < 0 ||
	    mpmap_str(e, "id", s->full_id, sizeof(s->full_id)) < 0)
		return false;
	if (mpmap_str(e, "where", where, sizeof(where)) < 0)
		where[0] = '\0'; /* an announcement may name no place */
	int k = record_announce_kind_parse(kind);
	if (k < ANNOUNCE_LOOKOUT || k > ANNOUNCE_INFO)
		return false;
	snprintf(s->title, sizeof(s->title), "%s: %s", label, w->announce[k]);
	snprintf(s->message, sizeof(s->message), "%s%s%s", text, where[0] ? " — " : "", where);
	s->priority = k == ANNOUNCE_LOOKOUT ? 5 : k == ANNOUNCE_ENROUTE ? 4 : 3;
	snprintf(s->tag, sizeof(s->tag), "%s", k == ANNOUNCE_LOOKOUT ? "rotating_light" : "police_car");
	s->full_id[0] = '\0'; /* the page has no thread for an announcement */
	return true;
}

/* An escalation: an alarm-level alert nobody answered within after
 * seconds, for the coordinator (its title says so). */
static void unanswered(const msgpack_object *event, const struct words *w, struct shown *s)
{
	uint64_t after = 0;
	char took[32];
	size_t n = strlen(s->message);
	if (mpmap_uint(event, "after", UINT32_MAX, &after) < 0)
		after = 0;
	if (after >= 60)
		snprintf(took, sizeof(took), "%llu min", (unsigned long long)(after + 59) / 60);
	else
		snprintf(took, sizeof(took), "%llu s", (unsigned long long)after);
	snprintf(s->title, sizeof(s->title), "%s: %s", w->unanswered, s->category);
	snprintf(s->message + n, sizeof(s->message) - n, " (%s %s)", w->no_answer, took);
	snprintf(s->tag, sizeof(s->tag), "%s", "sos");
}

/* The priority of samend's level for the event, or -1 for an event of an
 * older samend without one (or a level this program does not know). */
static int level_priority(const msgpack_object *event)
{
	char name[16];
	int l = mpmap_str(event, "level", name, sizeof(name)) < 0 ? -1 : policy_level_parse(name);
	return l < 0 ? -1 : (int)policy_ntfy_priority((unsigned)l); /* silent 2 .. alarm 5 */
}

char *notice_json(const msgpack_object *event, const char *about, const char *id,
		  uint64_t time, const struct notice_opts *o, size_t *len)
{
	char ev[16], click[512] = "";
	struct shown s;
	const struct words *w = words_for(o->lang);
	uint64_t repeat = 0;
	bool ok;

	memset(&s, 0, sizeof(s));
	if (mpmap_str(event, "event", ev, sizeof(ev)) < 0)
		return NULL;
	bool escalation = strcmp(ev, "escalation") == 0;
	if (strcmp(ev, "signal") == 0 || escalation) {
		const msgpack_object *v = mpmap_find(event, "signal");
		ok = v && from_signal(v, w, about, &s);
	} else if (strcmp(ev, "announcement") == 0) {
		ok = from_announcement(event, w, &s);
	} else {
		ok = false;
	}
	if (!ok)
		return NULL;
	if (escalation)
		unanswered(event, w, &s);
	if (mpmap_find(event, "repeat") && mpmap_uint(event, "repeat", UINT32_MAX, &repeat) == 0 &&
	    repeat > 0) {
		char word[64], pre[96];
		size_t t = strlen(s.title);
		capital(word, sizeof(word), w->repeat);
		int n = snprintf(pre, sizeof(pre), "%s %llu: ", word, (unsigned long long)repeat);
		if (n > 0 && (size_t)n < sizeof(pre) && (size_t)n + t < sizeof(s.title)) {
			memmove(s.title + n, s.title, t + 1); /* "Herhaling 2: " before it */
			memcpy(s.title, pre, (size_t)n);
		}
	}
	int p = level_priority(event);
	if (p > 0)
		s.priority = p;
	if (o->click_base && s.full_id[0] &&
	    snprintf(click, sizeof(click), "%s/#/s/%s", o->click_base, s.full_id) >=
		    (int)sizeof(click))
		click[0] = '\0';

	struct mp_buf b;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 8 + (click[0] ? 1 : 0));
	mpmap_put_str(&b.pk, "id", id);
	mpmap_put_uint(&b.pk, "time", time);
	mpmap_put_str(&b.pk, "event", "message");
	mpmap_put_str(&b.pk, "topic", o->topic);
	mpmap_put_str(&b.pk, "title", s.title);
	mpmap_put_str(&b.pk, "message", s.message);
	mpmap_put_uint(&b.pk, "priority", (uint64_t)s.priority);
	mpmap_put_key(&b.pk, "tags");
	msgpack_pack_array(&b.pk, 1);
	mp_pack_str(&b.pk, s.tag);
	if (click[0])
		mpmap_put_str(&b.pk, "click", click);
	return finish(&b, len);
}
