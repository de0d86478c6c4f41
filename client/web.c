/* SPDX-License-Identifier: EUPL-1.2 */
#include "web.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fail.h"
#include "../proto/exitcode.h"

#ifndef SAMEN_SBINDIR
#define SAMEN_SBINDIR "/usr/local/sbin"
#endif
#define WEB_ARGS_MAX 64

const struct option web_options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};

/* samen-web beside this samen (a build directory, or one installation's
 * bin), else in the installation's sbin. */
static int find_samen_web(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(out, cap, "%s/samen-web", self) < (int)cap &&
			    access(out, X_OK) == 0)
				return 0;
		}
	}
	if (snprintf(out, cap, "%s/samen-web", SAMEN_SBINDIR) < (int)cap && access(out, X_OK) == 0)
		return 0;
	return -ENOENT;
}

int web_main(int argc, char **argv)
{
	char path[PATH_MAX];
	char *args[WEB_ARGS_MAX + 1];

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		/* answered here, so that it works where samen-web is not installed */
		fputs("usage: samen web pair|devices|unpair NAME [options]\n"
		      "Runs samen-web (see samen-web --help and samen-web(8)) with samen's state directory.\n",
		      stdout);
		return 0;
	}
	if (argc > WEB_ARGS_MAX)
		return samen_fail(EXIT_USAGE, "web: too many arguments");
	if (find_samen_web(path, sizeof(path)) < 0)
		return samen_fail(EXIT_INTERNAL, "web: samen-web is not installed (looked beside samen "
				  "and in %s)", SAMEN_SBINDIR);
	args[0] = "samen-web";
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	args[argc > 0 ? argc : 1] = NULL;
	execv(path, args);
	return samen_fail(EXIT_INTERNAL, "web: cannot run %s: %s", path, strerror(errno));
}
