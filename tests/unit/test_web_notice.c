/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * notice_json(): samend's watch events, packed with the names samend uses
 * (proto/sigview.c for a signal), as the ntfy messages a phone shows —
 * every kind of signal and announcement, its priority and its words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../proto/mp.h"
#include "../../proto/mpmap.h"
#include "../../proto/sigview.h"
#include "../../web/notice.h"
#include "../../web/words.h"

static const struct notice_opts NL = {"samen", "nl", "https://pi.local:8180"};
static const struct notice_opts EN = {"samen", "en", NULL};
static const char ID[] = "ab12cd34ef56ab78ab12cd34ef56ab78ab12cd34ef56ab78ab12cd34ef56ab78";

static struct signal_plain plain(uint8_t kind)
{
	struct signal_plain p;
	memset(&p, 0, sizeof(p));
	p.kind = kind;
	p.category = CAT_BREAKIN_ATTEMPT;
	p.severity = SEV_SEVERE;
	p.status = STATUS_REAL;
	strcpy(p.where, "Lindelaan 14");
	strcpy(p.description, kind == SIG_ALERT ? "probeert portieren" : "");
	if (kind != SIG_ALERT)
		p.n_refs = 1;
	return p;
}

/* The watch event samend sends for p ({"event":EVENT,["level":LEVEL,]
 * ["repeat":N | "after":S,] "signal":{...}}), as notice_json() turns it
 * into a message; NULL when it is not notified. level NULL: an older
 * samend's event, without one. */
static char *notice_told(const struct signal_plain *p, bool readable, const char *about,
			 const char *event, const char *level, uint64_t repeat, uint64_t after,
			 const struct notice_opts *o)
{
	struct mp_buf b;
	msgpack_unpacked u;
	size_t len;
	char *out = NULL;

	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 2 + (level != NULL) + (repeat || after));
	mpmap_put_str(&b.pk, "event", event);
	if (level)
		mpmap_put_str(&b.pk, "level", level);
	if (repeat)
		mpmap_put_uint(&b.pk, "repeat", repeat);
	else if (after)
		mpmap_put_uint(&b.pk, "after", after);
	mpmap_put_key(&b.pk, "signal");
	msgpack_pack_map(&b.pk, 3 + sigview_fields(p));
	mpmap_put_bool(&b.pk, "readable", readable);
	mpmap_put_str(&b.pk, "id", ID);
	mpmap_put_str(&b.pk, "label", "Lindelaan 3");
	assert_int_equal(sigview_pack(&b.pk, p), 0);
	msgpack_unpacked_init(&u);
	assert_int_equal(mp_unpack((const uint8_t *)b.sb.data, b.sb.size, 8, &u), 0);
	out = notice_json(&u.data, about, "ab12cd34ef56ab78", 1733300000, o, &len);
	if (out)
		assert_int_equal(strlen(out), len);
	msgpack_unpacked_destroy(&u);
	mp_buf_destroy(&b);
	return out;
}

static char *notice_about(const struct signal_plain *p, bool readable, const char *about,
			  const struct notice_opts *o)
{
	return notice_told(p, readable, about, "signal", NULL, 0, 0, o);
}

static char *notice_of(const struct signal_plain *p, bool readable, const struct notice_opts *o)
{
	return notice_about(p, readable, NULL, o);
}

static void expect(char *json, const char *const *parts)
{
	assert_non_null(json);
	for (; *parts; parts++)
		if (!strstr(json, *parts))
			fail_msg("%s not in %s", *parts, json);
	free(json);
}

static void test_alerts(void **state)
{
	(void)state;
	struct signal_plain p = plain(SIG_ALERT);
	expect(notice_of(&p, true, &NL),
	       (const char *const[]){"\"event\":\"message\"", "\"priority\":4",
				     "\"title\":\"Melding: inbraakpoging\"",
				     "\"message\":\"Lindelaan 14 — probeert portieren\"",
				     "\"click\":\"https://pi.local:8180/#/s/ab12", NULL});
	p.called112 = true;
	expect(notice_of(&p, true, &EN),
	       (const char *const[]){"\"priority\":5", "\"title\":\"Alert: break-in attempt\"",
				     "rotating_light", NULL});
	p.status = STATUS_EXERCISE; /* a drill never breaks through */
	expect(notice_of(&p, true, &NL), (const char *const[]){"\"priority\":3", "(oefening)", NULL});
	p = plain(SIG_UPDATE);
	expect(notice_of(&p, true, &NL), (const char *const[]){"\"priority\":4", "Aanvulling", NULL});
}

static void test_replies(void **state)
{
	(void)state;
	struct signal_plain p = plain(SIG_ACK);
	p.ack = ACK_CALLED_112;
	p.called112 = true;
	expect(notice_of(&p, true, &NL),
	       (const char *const[]){"\"priority\":5", "\"title\":\"Lindelaan 3 heeft 112 gebeld\"", NULL});
	p.ack = ACK_LOOKING;
	p.called112 = false;
	expect(notice_of(&p, true, &EN),
	       (const char *const[]){"\"priority\":3", "\"title\":\"Lindelaan 3 is looking\"",
				     "\"message\":\"—\"", NULL});
	/* a reply without text names the alert it answers, when that is known */
	expect(notice_about(&p, true, "Lindelaan 14", &NL),
	       (const char *const[]){"\"title\":\"Lindelaan 3 kijkt mee\"",
				     "\"message\":\"Lindelaan 14\"", NULL});
}

/* An all-clear reached no phone while the kind was matched as "allclear"
 * (samend says "all-clear"). */
static void test_all_clear(void **state)
{
	(void)state;
	struct signal_plain p = plain(SIG_ALLCLEAR);
	strcpy(p.description, "politie is er");
	expect(notice_of(&p, true, &NL),
	       (const char *const[]){"\"priority\":2", "\"title\":\"Alles veilig\"",
				     "\"message\":\"Lindelaan 3: politie is er\"", NULL});
}

/* The priority is samend's level, whatever samen-web would have chosen;
 * repeats and escalations say what they are. */
static void test_levels(void **state)
{
	(void)state;
	struct signal_plain p = plain(SIG_ALERT);
	p.called112 = true; /* 5 by samen-web's own mapping */
	expect(notice_told(&p, true, NULL, "signal", "normal", 0, 0, &NL),
	       (const char *const[]){"\"priority\":3", NULL});
	expect(notice_told(&p, true, NULL, "signal", "silent", 0, 0, &NL),
	       (const char *const[]){"\"priority\":2", NULL});
	p.called112 = false; /* 4 by its own mapping */
	expect(notice_told(&p, true, NULL, "signal", "alarm", 0, 0, &NL),
	       (const char *const[]){"\"priority\":5", NULL});
	/* a level this samen-web does not know: its own mapping */
	expect(notice_told(&p, true, NULL, "signal", "deafening", 0, 0, &NL),
	       (const char *const[]){"\"priority\":4", NULL});
	expect(notice_told(&p, true, NULL, "signal", "alarm", 2, 0, &NL),
	       (const char *const[]){"\"priority\":5", "Herhaling 2", NULL});
	expect(notice_told(&p, true, NULL, "escalation", "loud", 0, 300, &NL),
	       (const char *const[]){"\"priority\":4", "Onbeantwoorde melding", "5 min", NULL});
}

static void test_not_notified(void **state)
{
	(void)state;
	struct signal_plain p = plain(SIG_ALERT);
	assert_null(notice_of(&p, false, &NL)); /* this household cannot read it */
	p.kind = 9;                             /* a kind this program does not know */
	assert_null(notice_of(&p, true, &NL));
}

static void test_announcement(void **state)
{
	(void)state;
	static const struct {
		const char *kind, *want[3];
	} cases[] = {
		{"lookout", {"\"priority\":5", "Uitkijken naar", NULL}},
		{"enroute", {"\"priority\":4", "Politie is onderweg", NULL}},
		{"found", {"\"priority\":3", "Gevonden", NULL}},
		{"info", {"\"priority\":3", "Informatie", NULL}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mp_buf b;
		msgpack_unpacked u;
		size_t len;
		mp_buf_init(&b);
		msgpack_pack_map(&b.pk, 5);
		mpmap_put_str(&b.pk, "event", "announcement");
		mpmap_put_str(&b.pk, "kind", cases[i].kind);
		mpmap_put_str(&b.pk, "id", ID);
		mpmap_put_str(&b.pk, "label", "Politie Utrecht-Oost");
		mpmap_put_str(&b.pk, "text", "scooter, rood");
		msgpack_unpacked_init(&u);
		assert_int_equal(mp_unpack((const uint8_t *)b.sb.data, b.sb.size, 4, &u), 0);
		char *j = notice_json(&u.data, NULL, "ab12cd34ef56ab78", 1733300000, &NL, &len);
		expect(j, cases[i].want);
		msgpack_unpacked_destroy(&u);
		mp_buf_destroy(&b);
	}
}

/* The page's names come from the same table: every name samend uses has
 * its key, in both languages. */
static void test_words_script(void **state)
{
	(void)state;
	size_t len;
	char *js = words_script(&len), key[64];
	assert_non_null(js);
	assert_int_equal(strlen(js), len);
	assert_non_null(strstr(js, "const SAMEN_WORDS = {\"nl\":{"));
	for (unsigned c = CAT_SUSPICIOUS; c <= CAT_OTHER; c++) {
		snprintf(key, sizeof(key), "\"cat_%s\":", signal_category_name(c));
		assert_non_null(strstr(js, key));
		assert_non_null(strstr(strstr(js, "\"en\":{"), key));
	}
	for (unsigned k = SIG_ALERT; k <= SIG_ALLCLEAR; k++) {
		snprintf(key, sizeof(key), "\"kind_%s\":", signal_kind_name(k));
		assert_non_null(strstr(js, key));
	}
	assert_non_null(strstr(js, "\"kind_all-clear\":\"alles veilig\""));
	assert_non_null(strstr(js, "\"ack_112-called\":\"heeft 112 gebeld\""));
	assert_non_null(strstr(js, "\"ann_enroute\":\"Police on the way\""));
	assert_non_null(strstr(js, "\"categories\":[\"suspicious\","));
	free(js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alerts),      cmocka_unit_test(test_replies),
		cmocka_unit_test(test_all_clear),   cmocka_unit_test(test_not_notified),
		cmocka_unit_test(test_announcement), cmocka_unit_test(test_words_script),
		cmocka_unit_test(test_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
