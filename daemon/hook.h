/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * hook.h — run the household's program for each delivered signal.
 *
 * The program gets the event as JSON on its standard input and nothing else
 * of it:
 *
 *   - it is started with posix_spawn() from its absolute path, never through
 *     a shell; argv = { path, NULL }
 *   - its environment is fixed: PATH=/usr/bin:/bin and SAMEN_EVENT=signal;
 *     no signal text is ever in argv or the environment (other users can
 *     read both in /proc)
 *   - stdin is a pipe carrying the JSON bytes, then end of file
 *   - stdout and stderr are /dev/null: signal text a hook echoes must not
 *     land in the system journal, which keeps it past the retention the
 *     neighbourhood chose. A hook that wants a log writes its own.
 *   - every other file descriptor is closed; signal dispositions and the
 *     signal mask are reset to the defaults
 *   - it runs in a process group of its own, and the whole group is
 *     SIGKILLed when it outlives the timeout, so a script's children go too
 *
 * Nothing here blocks: hook_fire() writes what the pipe takes and keeps the
 * rest for hook_poll(); hook_poll() reaps with WNOHANG. The daemon calls
 * hook_poll() from its loop, e.g. every 100 ms while hook_running() > 0.
 *
 * Everything that goes wrong with a hook (cannot start, non-zero exit,
 * killed by a signal, killed after the timeout, event dropped) is logged
 * through log_msg() by this module; return codes are for the caller's
 * counters and tests. Times are milliseconds of one monotonic clock
 * (CLOCK_MONOTONIC), the same in every call.
 *
 * Waiting is per child pid, so other children of the daemon are left alone.
 * SIGCHLD must not be set to SIG_IGN (the kernel would reap for us and the
 * exit status would be lost).
 */
#ifndef SAMEN_HOOK_H
#define SAMEN_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/err.h"

typedef struct hook hook_t;

#define HOOK_EVENT_MAX (256 * 1024) /* bytes of one JSON event */
#define HOOK_TIMEOUT_MAX 600        /* seconds */
#define HOOK_RUNNING_MAX 1024

/*
 * Prepares to run the program at path: an absolute path to a regular file
 * that this process may execute. timeout_s is 1..HOOK_TIMEOUT_MAX;
 * max_running (1..HOOK_RUNNING_MAX) bounds the hooks alive at one time.
 * Returns 0 and sets *hp (free with hook_free()), or -EINVAL (bad argument,
 * relative path, not a regular file), -ENOENT, -EACCES or another -errno
 * from stat()/access(); *hp is untouched on failure. Does not log.
 */
int hook_new(hook_t **hp, const char *path, unsigned timeout_s,
	     unsigned max_running) SAMEN_MUST_CHECK;

/*
 * Starts the program for one event of len bytes (copied as needed; json
 * need not outlive the call). now_ms is the current monotonic time; the
 * child is killed once now_ms + timeout has passed. Returns 0 if the program
 * started, -EBUSY if max_running hooks are still running (the event is
 * dropped), SAMEN_ETOOBIG if len > HOOK_EVENT_MAX, or -errno if it could not
 * be started (e.g. -ENOENT: the program was removed since hook_new()).
 */
int hook_fire(hook_t *h, const char *json, size_t len, uint64_t now_ms);

/*
 * Continues writing pending events, reaps finished hooks (logging a
 * non-zero exit or a death by signal), and SIGKILLs hooks past their
 * deadline (logging it; they are reaped by a later call).
 */
void hook_poll(hook_t *h, uint64_t now_ms);

/* Hooks started and not yet reaped (killed ones included). */
int hook_running(const hook_t *h);

/*
 * Kills (SIGKILL, whole process group) and reaps every remaining hook,
 * frees h and sets *hp to NULL. Accepts NULL and *hp == NULL.
 */
void hook_free(hook_t **hp);

#endif
