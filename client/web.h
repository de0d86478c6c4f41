/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * web.h — `samen web pair|devices|unpair NAME|serve`: the household page's
 * devices from the samen command line. samen-web owns the devices file and
 * its lock, so samen runs it (never through a shell) rather than writing
 * that file a second way.
 */
#ifndef SAMEN_CLIENT_WEB_H
#define SAMEN_CLIENT_WEB_H

#include <getopt.h>

/* argv[0] is "web"; the rest go to samen-web. Returns an exit code only
 * when samen-web could not be started (it replaces this process). */
int web_main(int argc, char **argv);
/* none of its own: samen-web's are listed by samen-web --help */
extern const struct option web_options[];

#endif
