/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * notice.h — one watch event of samend as a phone notification in ntfy's
 * message format (docs.ntfy.sh, "Subscribe via API", JSON message format):
 * title, message, tags, click and priority 1..5.
 *
 * Priority, as ntfy's app treats it (5 breaks through Do Not Disturb,
 * 2 makes no sound), follows the level samend gives the event from the
 * household's notification policy (PROTOCOL.md 8.4): silent 2, normal 3,
 * loud 4, alarm 5. An event without a level (an older samend) gets
 * samen-web's own:
 *   5  an alert whose author called 112, a "112 called" reply, an
 *      authority's look-out
 *   4  any other alert or update, an authority's "police on the way"
 *   3  "I'm looking", a short reply, a drill or test alert, other
 *      announcements
 *   2  an all-clear
 * samend's repeat of an alert ("repeat": N) is notified again, its title
 * saying which repeat; an escalation (an alarm nobody answered, sent to
 * coordinators) says it is an unanswered alert and after how long.
 * Retractions and signals this household cannot read are not notified.
 */
#ifndef SAMEN_WEB_NOTICE_H
#define SAMEN_WEB_NOTICE_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

struct notice_opts {
	const char *topic;
	const char *lang;       /* "nl" or "en" */
	const char *click_base; /* the page's URL, or NULL: no click link */
};

/*
 * The event's notification as an ntfy "message" object (JSON, malloc'ed,
 * caller frees) with id and time given, or NULL when the event is not
 * notified (or memory ran out). about, when not NULL, is where the alert a
 * reply answers is: a reply without text says that.
 */
char *notice_json(const msgpack_object *event, const char *about, const char *id,
		  uint64_t time, const struct notice_opts *o, size_t *len);

/* An ntfy "open" or "keepalive" object for topic (malloc'ed). */
char *notice_plain(const char *event, const char *id, uint64_t time, const char *topic,
		   size_t *len);

/* o (a msgpack object) as JSON, malloc'ed, or NULL. */
char *notice_to_json(const msgpack_object *o, size_t *len);

#endif
