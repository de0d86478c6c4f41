/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * feed.h — samen-web's one `watch` stream on samend's control socket, kept
 * open by a thread of its own and turned into ring events (ring.h): the
 * page's JSON and, where it notifies, the ntfy message. At start it asks
 * for the last FEED_REPLAY_SECONDS, so a restarted samen-web can still
 * answer a phone's since= or Last-Event-ID; when samend goes away it
 * connects again every second and asks for what it may have missed.
 */
#ifndef SAMEN_WEB_FEED_H
#define SAMEN_WEB_FEED_H

#include <stdbool.h>

#include "notice.h"
#include "ring.h"

#define FEED_REPLAY_SECONDS (24 * 3600)

struct feed;

/* Starts the thread; ctl_path is samend's control socket. NULL on failure. */
struct feed *feed_start(const char *ctl_path, struct ring *ring, const struct notice_opts *o);
/* Whether the stream is connected now. */
bool feed_up(struct feed *f);
void feed_stop(struct feed **f_p);

#endif
