/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * policyfile.c — see policyfile.h.
 */
#include "policyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../keys/fileio.h"
#include "../proto/conffile.h"

static int path_of(const char *state_dir, char *out, size_t cap)
{
	return snprintf(out, cap, "%s/%s", state_dir, POLICYFILE_NAME) < (int)cap ? 0 : -ENAMETOOLONG;
}

int policyfile_load(const char *state_dir, struct policy *p, char *err, size_t cap)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	int r = path_of(state_dir, path, sizeof(path));

	policy_defaults(p);
	if (r < 0)
		return conffile_fail(err, cap, r, "%s/%s: the path is too long", state_dir,
				     POLICYFILE_NAME);
	r = conffile_read(path, &buf, &len, err, cap);
	if (r == -ENOENT)
		return 0; /* nothing set yet */
	if (r == 0)
		r = policy_parse(p, path, buf, len, err, cap);
	free(buf);
	if (r == 0)
		r = policyfile_zone_check(p, err, cap);
	return r;
}

int policyfile_save(const char *state_dir, const struct policy *p)
{
	char path[PATH_MAX];
	size_t len = 0;
	int r = path_of(state_dir, path, sizeof(path));
	if (r < 0)
		return r;
	char *text = policy_text(p, &len);
	if (!text)
		return -ENOMEM;
	r = fileio_write_atomic(path, text, len);
	free(text);
	return r;
}

int policyfile_zone_check(const struct policy *p, char *err, size_t cap)
{
	char path[PATH_MAX];
	struct stat st;
	if (!p->timezone[0])
		return 0;
	/* policy_set() let no ".." or leading '/' through */
	if (snprintf(path, sizeof(path), "%s/%s", POLICYFILE_ZONES, p->timezone) >= (int)sizeof(path) ||
	    stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return conffile_fail(err, cap, SAMEN_EINVAL,
				     "time zone '%s' is not one of this machine's (%s; Debian's "
				     "package tzdata)", p->timezone, POLICYFILE_ZONES);
	return 0;
}

void policyfile_zone_apply(const struct policy *p)
{
	/* the TZ samend started with, kept for a policy that names none */
	static char started[POLICY_TZ_MAX + 2];
	static bool had, saved;
	if (!saved) {
		const char *tz = getenv("TZ");
		had = tz && strlen(tz) < sizeof(started);
		if (had)
			memcpy(started, tz, strlen(tz) + 1);
		saved = true;
	}
	if (p->timezone[0]) {
		char tz[POLICY_TZ_MAX + 2];
		snprintf(tz, sizeof(tz), ":%s", p->timezone);
		setenv("TZ", tz, 1);
	} else if (had) {
		setenv("TZ", started, 1);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

unsigned policyfile_minute_now(void)
{
	time_t now = time(NULL);
	struct tm tm;
	if (!localtime_r(&now, &tm))
		return 0;
	return (unsigned)(tm.tm_hour * 60 + tm.tm_min);
}
