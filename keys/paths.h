/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * paths.h — the default places every samen program agrees on, so that
 * `samen`, `samend`, `samen-keys`, `samen subscribe` and `samen announce`
 * look for the same key and the same daemon when nothing is given:
 *
 *   identity key    $SAMEN_KEY, else $XDG_CONFIG_HOME/samen/identity.key,
 *                   else ~/.config/samen/identity.key (the authority tools
 *                   and samen-keys; samend's own key is in its config)
 *   state directory $SAMEN_STATE, else /var/lib/samen as root, else
 *                   $XDG_STATE_HOME/samen, else ~/.local/state/samen
 *                   (samend, and samen looking for its control socket)
 *
 * XDG variables count only when they hold an absolute path, as the XDG
 * base directory specification says.
 */
#ifndef SAMEN_PATHS_H
#define SAMEN_PATHS_H

#include <stddef.h>

#define PATHS_SYSTEM_STATE "/var/lib/samen" /* the service's, and root's */

/* Each returns 0, -ENOENT (no variable set and no HOME) or -ENAMETOOLONG. */
int paths_default_key(char *out, size_t cap);
int paths_default_state(char *out, size_t cap);

#endif
