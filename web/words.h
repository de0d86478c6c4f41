/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * words.h — the names of what samend sends, in Dutch and English, written
 * once for both places that show them: the notifications samen-web pushes
 * (notice.c) and the page (served to it as /static/words.js, which
 * i18n.js adds to the page's own words). The keys the page sees are
 * "cat_", "kind_", "ack_", "ann_" and "level_" followed by samen's own
 * name for the value (proto/signal.c, proto/record.c, samend's levels of
 * notification), so a name samend uses cannot be missing from the page
 * without this table missing it too.
 */
#ifndef SAMEN_WEB_WORDS_H
#define SAMEN_WEB_WORDS_H

#include <stddef.h>

#include "../proto/record.h"
#include "../proto/policy.h"
#include "../proto/signal.h"

struct words {
	const char *lang;                           /* "nl" or "en" */
	const char *category[CAT_OTHER + 1];        /* by enum signal_category */
	const char *kind[SIG_ALLCLEAR + 1];         /* by enum signal_kind */
	const char *ack[ACK_TEXT + 1];              /* by enum signal_ack: "X <ack>" */
	const char *announce[ANNOUNCE_INFO + 1];    /* by announcement kind */
	const char *drill;                          /* a drill or test signal */
	const char *level[LEVEL_COUNT];             /* by enum notify_level */
	const char *repeat;                         /* "<repeat> N: <title>" */
	const char *unanswered;                     /* an escalation's title */
	const char *no_answer;                      /* "<no_answer> N min" */
};

/* The words for "nl" or "en" (English for anything else). */
const struct words *words_for(const char *lang);

/* The name of category c in w, or samen's own name when w has none. */
const char *words_category(const struct words *w, const char *name);

/* /static/words.js: both languages as the page's keys, and the
 * categories in samen's order (malloc'ed; NULL when memory ran out). */
char *words_script(size_t *len);

#endif
