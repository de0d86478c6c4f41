/* SPDX-License-Identifier: EUPL-1.2 */
#include "words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/json.h"
#include "../proto/mp.h"
#include "../proto/mpmap.h"

static const struct words nl = {
	"nl",
	{[CAT_SUSPICIOUS] = "verdachte situatie", [CAT_BURGLARY] = "inbraak",
	 [CAT_BREAKIN_ATTEMPT] = "inbraakpoging", [CAT_FIRE] = "brand", [CAT_MEDICAL] = "medisch",
	 [CAT_MISSING] = "vermiste persoon", [CAT_NUISANCE] = "overlast", [CAT_OTHER] = "anders"},
	{[SIG_ALERT] = "melding", [SIG_ACK] = "reactie", [SIG_UPDATE] = "aanvulling",
	 [SIG_ALLCLEAR] = "alles veilig"},
	{[ACK_CALLED_112] = "heeft 112 gebeld", [ACK_LOOKING] = "kijkt mee", [ACK_TEXT] = "schrijft"},
	{[ANNOUNCE_LOOKOUT] = "Uitkijken naar", [ANNOUNCE_FOUND] = "Gevonden / opgelost",
	 [ANNOUNCE_ENROUTE] = "Politie is onderweg", [ANNOUNCE_INFO] = "Informatie"},
	"oefening",
	{[LEVEL_SILENT] = "stil", [LEVEL_NORMAL] = "normaal", [LEVEL_LOUD] = "luid",
	 [LEVEL_ALARM] = "alarm"},
	"herhaling",
	"Onbeantwoorde melding",
	"niemand reageerde in",
};

static const struct words en = {
	"en",
	{[CAT_SUSPICIOUS] = "suspicious situation", [CAT_BURGLARY] = "burglary",
	 [CAT_BREAKIN_ATTEMPT] = "break-in attempt", [CAT_FIRE] = "fire", [CAT_MEDICAL] = "medical",
	 [CAT_MISSING] = "missing person", [CAT_NUISANCE] = "nuisance", [CAT_OTHER] = "other"},
	{[SIG_ALERT] = "alert", [SIG_ACK] = "reply", [SIG_UPDATE] = "update",
	 [SIG_ALLCLEAR] = "all clear"},
	{[ACK_CALLED_112] = "called 112", [ACK_LOOKING] = "is looking", [ACK_TEXT] = "writes"},
	{[ANNOUNCE_LOOKOUT] = "Look out for", [ANNOUNCE_FOUND] = "Found / resolved",
	 [ANNOUNCE_ENROUTE] = "Police on the way", [ANNOUNCE_INFO] = "Information"},
	"drill",
	{[LEVEL_SILENT] = "silent", [LEVEL_NORMAL] = "normal", [LEVEL_LOUD] = "loud",
	 [LEVEL_ALARM] = "alarm"},
	"repeat",
	"Unanswered alert",
	"no one answered in",
};


const struct words *words_for(const char *lang)
{
	return lang && strcmp(lang, "nl") == 0 ? &nl : &en;
}

const char *words_category(const struct words *w, const char *name)
{
	for (unsigned c = CAT_SUSPICIOUS; c <= CAT_OTHER; c++)
		if (strcmp(name, signal_category_name(c)) == 0)
			return w->category[c];
	return name;
}

static void put(msgpack_packer *pk, const char *prefix, const char *name, const char *word)
{
	char key[64];
	snprintf(key, sizeof(key), "%s%s", prefix, name);
	mpmap_put_str(pk, key, word);
}

static void pack_words(msgpack_packer *pk, const struct words *w)
{
	msgpack_pack_map(pk, (CAT_OTHER - CAT_SUSPICIOUS + 1) + (SIG_ALLCLEAR - SIG_ALERT + 1) +
				     (ACK_TEXT - ACK_CALLED_112 + 1) +
				     (ANNOUNCE_INFO - ANNOUNCE_LOOKOUT + 1) + LEVEL_COUNT + 4);
	for (unsigned c = CAT_SUSPICIOUS; c <= CAT_OTHER; c++)
		put(pk, "cat_", signal_category_name(c), w->category[c]);
	for (unsigned k = SIG_ALERT; k <= SIG_ALLCLEAR; k++)
		put(pk, "kind_", signal_kind_name(k), w->kind[k]);
	for (unsigned a = ACK_CALLED_112; a <= ACK_TEXT; a++)
		put(pk, "ack_", signal_ack_name(a), w->ack[a]);
	for (unsigned a = ANNOUNCE_LOOKOUT; a <= ANNOUNCE_INFO; a++)
		put(pk, "ann_", record_announce_kind_name(a), w->announce[a]);
	for (unsigned l = 0; l < LEVEL_COUNT; l++)
		put(pk, "level_", policy_level_name(l), w->level[l]);
	mpmap_put_str(pk, "exercise", w->drill);
	mpmap_put_str(pk, "repeat", w->repeat);
	mpmap_put_str(pk, "unanswered", w->unanswered);
	mpmap_put_str(pk, "no_answer", w->no_answer);
}

char *words_script(size_t *len)
{
	struct mp_buf b;
	msgpack_unpacked u;
	char *text = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&text, &n);
	int r = -1;

	if (!m)
		return NULL;
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, 4);
	mpmap_put_key(&b.pk, "nl");
	pack_words(&b.pk, &nl);
	mpmap_put_key(&b.pk, "en");
	pack_words(&b.pk, &en);
	mpmap_put_key(&b.pk, "categories");
	msgpack_pack_array(&b.pk, CAT_OTHER - CAT_SUSPICIOUS + 1);
	for (unsigned c = CAT_SUSPICIOUS; c <= CAT_OTHER; c++)
		mp_pack_str(&b.pk, signal_category_name(c));
	mpmap_put_key(&b.pk, "levels");
	msgpack_pack_array(&b.pk, LEVEL_COUNT);
	for (unsigned l = 0; l < LEVEL_COUNT; l++)
		mp_pack_str(&b.pk, policy_level_name(l));
	msgpack_unpacked_init(&u);
	fputs("// samen-web's web/words.c: the names of what samend sends\n"
	      "\"use strict\";\nconst SAMEN_WORDS = ", m);
	if (mp_unpack((const uint8_t *)b.sb.data, b.sb.size, 4, &u) == 0)
		r = json_write(m, &u.data);
	fputs(";\n", m);
	msgpack_unpacked_destroy(&u);
	mp_buf_destroy(&b);
	if (fclose(m) != 0 || r < 0) {
		free(text);
		return NULL;
	}
	*len = n;
	return text;
}
