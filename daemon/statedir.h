/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * statedir.h — samend's state directory: made private, held by one daemon
 * at a time, and the identity key created in it on a first start.
 */
#ifndef SAMEN_STATEDIR_H
#define SAMEN_STATEDIR_H

#include <stdbool.h>
#include <sys/types.h>

/* Creates dir (0700) if missing and takes it private; negative errno. */
int statedir_ensure(const char *dir);

/*
 * Takes dir's lock file ("samend.lock", held with flock() for the life of
 * the process, so it goes when the daemon dies in any way). Returns the
 * descriptor, -EWOULDBLOCK when another samend holds it (its pid in
 * *holder, 0 if unknown), or another negative errno.
 */
int statedir_lock(const char *dir, pid_t *holder);

/*
 * Creates a new identity key at path if none is there. *created tells
 * whether one was made, so that a start failing later can take it back
 * (statedir_unmake_key) rather than leave a key nobody saw announced.
 */
int statedir_ensure_key(const char *path, bool *created);
void statedir_unmake_key(const char *path);

/*
 * Whether files of another user stand in the way: dir (the state directory)
 * belongs to another user while this process is root and will not change
 * user (what root made there, the service's user could not open), or key
 * belongs to another user than this process. Returns 0, or -EACCES with
 * what to do in why.
 */
int statedir_owner_check(const char *dir, const char *key, bool will_drop, char *why, size_t cap);

#endif
