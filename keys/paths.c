/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * paths.c — see paths.h.
 */
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* What snprintf() into a buffer of cap bytes returned, as our result. */
static int put(size_t cap, int n)
{
	return n < 0 ? -ENOENT : (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static const char *absolute(const char *name)
{
	const char *v = getenv(name);
	return v && v[0] == '/' ? v : NULL;
}

int paths_default_key(char *out, size_t cap)
{
	const char *env = getenv("SAMEN_KEY"), *xdg = absolute("XDG_CONFIG_HOME"),
		   *home = absolute("HOME");
	if (env && *env)
		return put(cap, snprintf(out, cap, "%s", env));
	if (xdg)
		return put(cap, snprintf(out, cap, "%s/samen/identity.key", xdg));
	if (home)
		return put(cap, snprintf(out, cap, "%s/.config/samen/identity.key", home));
	return -ENOENT;
}

int paths_default_state(char *out, size_t cap)
{
	const char *env = getenv("SAMEN_STATE"), *xdg = absolute("XDG_STATE_HOME"),
		   *home = absolute("HOME");
	if (env && *env)
		return put(cap, snprintf(out, cap, "%s", env));
	if (geteuid() == 0)
		return put(cap, snprintf(out, cap, "%s", PATHS_SYSTEM_STATE));
	if (xdg)
		return put(cap, snprintf(out, cap, "%s/samen", xdg));
	if (home)
		return put(cap, snprintf(out, cap, "%s/.local/state/samen", home));
	return -ENOENT;
}
