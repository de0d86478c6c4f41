/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_spdx.c — every source file of the project says its licence in its
 * first lines (an SPDX-License-Identifier line naming EUPL-1.2), so that a
 * file copied out of the tree still carries it. Walks the tree from the
 * directory the tests run in (the repository's top), not git: a source
 * tarball has no .git.
 *
 * Left out: the licence text itself, files whose format has no comments or
 * belongs to Debian's tools (debian/changelog, control, copyright,
 * source/format), and third-party or generated data (tests/data, fuzz seeds).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>

#define TAG "SPDX-License-Identifier: EUPL-1.2"

static const char *const roots[] = {".ci", "bench", "client", "daemon", "debian", "docs",
				    "keys", "proto", "tests", "tools", "web"};
static const char *const top_files[] = {"Makefile", "README.md"};
static const char *const skipped_dirs[] = {"./tests/data", "./tests/fuzz/seeds", "./debian/samen",
					   "./debian/.debhelper", "./debian/source"};
static const char *const skipped_files[] = {"./debian/changelog", "./debian/control",
					    "./debian/copyright", "./debian/files",
					    "./debian/debhelper-build-stamp", "./bench/.gitkeep",
					    /* JSON has no comments; it is the repository's licence */
					    "./web/static/manifest.webmanifest",
					    /* a PNG has no comments: the browser test's screenshot */
					    "./docs/web-nl.png"};
/* What a build leaves in debian/ (dpkg-buildpackage) is not source. */
static const char *const skipped_suffixes[] = {".debhelper.log", ".substvars", ".debhelper",
					       ".o", ".d", ".log", ".pyc"};

static size_t checked, missing;

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool has_tag(const char *path)
{
	char buf[512];
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* within the first three lines */
	char *end = buf;
	for (int i = 0; i < 3 && end; i++)
		end = strchr(end + (i > 0), '\n');
	if (end)
		*end = '\0';
	return strstr(buf, TAG) != NULL;
}

static void check(const char *path)
{
	checked++;
	if (!has_tag(path)) {
		missing++;
		print_message("no SPDX line: %s\n", path);
	}
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	for (size_t i = 0; i < sizeof(skipped_dirs) / sizeof(skipped_dirs[0]); i++)
		if (strncmp(path, skipped_dirs[i], strlen(skipped_dirs[i])) == 0)
			return type == FTW_D ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
	if (type != FTW_F)
		return FTW_CONTINUE;
	for (size_t i = 0; i < sizeof(skipped_files) / sizeof(skipped_files[0]); i++)
		if (strcmp(path, skipped_files[i]) == 0)
			return FTW_CONTINUE;
	for (size_t i = 0; i < sizeof(skipped_suffixes) / sizeof(skipped_suffixes[0]); i++)
		if (ends_with(path, skipped_suffixes[i]))
			return FTW_CONTINUE;
	check(path);
	return FTW_CONTINUE;
}

static void test_every_source_file_names_its_licence(void **state)
{
	(void)state;
	char root[64];
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(root, sizeof(root), "./%s", roots[i]);
		assert_int_equal(nftw(root, visit, 16, FTW_PHYS | FTW_ACTIONRETVAL), 0);
	}
	for (size_t i = 0; i < sizeof(top_files) / sizeof(top_files[0]); i++) {
		snprintf(root, sizeof(root), "./%s", top_files[i]);
		check(root);
	}
	print_message("%zu files checked, %zu without an SPDX line\n", checked, missing);
	assert_true(checked > 100);
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_source_file_names_its_licence),
	};
	return cmocka_run_group_tests_name("spdx", tests, NULL, NULL);
}
