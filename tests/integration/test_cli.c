/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_cli.c — the command lines of samen and samen-keys as a person types
 * them: every command that takes a public key takes one that begins with
 * '-' (about one key in 64) without the user writing "--", and a mistyped
 * option or command is named as typed, with the nearest real one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/wait.h>

#include <sodium.h>

#include "../support/harness.h"
#include "../../keys/identity.h"
#include "../../keys/keyarg.h"
#include "../../keys/keyfile.h"
#include "../../keys/keytext.h"

/* A fresh key whose text form begins with '-'; its secret key is written
 * to path when path is not NULL. */
static void dash_key(char text[KEYTEXT_LEN], const char *path)
{
	for (int tries = 0; tries < 100000; tries++) {
		struct identity *id = NULL;
		assert_int_equal(identity_generate(&id), 0);
		keytext_encode(id->pk, text);
		if (text[0] == '-') {
			if (path)
				assert_int_equal(keyfile_write_secret(path, id, NULL), 0);
			identity_free(&id);
			return;
		}
		identity_free(&id);
	}
	fail_msg("no key beginning with '-' in 100000 tries");
}

/* Runs a command line (no user input in it: keys are base64url) and
 * returns its exit code; its output, both streams, in out. */
static int sh(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *bin(void)
{
	const char *b = getenv("BUILD");
	return b && *b ? b : "build";
}

static void test_protect_unit(void **state)
{
	(void)state;
	char k[KEYTEXT_LEN];
	dash_key(k, NULL);
	char glued[80];
	snprintf(glued, sizeof(glued), "-k%s", k + 1);
	char *argv[] = {"samen", "--role", k, glued, "-s", "--", k, NULL};
	assert_int_equal(keyarg_protect(7, argv), 0);
	assert_string_equal(argv[1], "--role");
	assert_true(argv[2][0] == ' ' && !strcmp(argv[2] + 1, k)); /* shielded */
	assert_ptr_equal(argv[3], glued);                         /* not a key */
	assert_string_equal(argv[4], "-s");
	assert_ptr_equal(argv[6], k);                             /* after "--" */
	uint8_t pk[32], pk2[32];
	assert_int_equal(keytext_decode(argv[2], pk), 0);
	assert_int_equal(keytext_decode(k, pk2), 0);
	assert_memory_equal(pk, pk2, 32);
	free(argv[2]); /* keyarg_protect's copy; a program keeps it until exit */
}

/* samen's commands with a key argument, checked without a daemon
 * (--print-request shows the request that would be sent). */
static void test_samen_commands(void **state)
{
	(void)state;
	char k[KEYTEXT_LEN], out[8192];
	dash_key(k, NULL);
	/* the key first, last, and between options */
	const char *cmds[][2] = {{"certify", "--role relay"}, {"approve", ""},
				 {"revoke", "--cascade"}, {"revoke --reason verhuisd", ""}};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int rc = sh(out, sizeof(out), "%s/samen --print-request %s %s %s", bin(), cmds[i][0],
			    k, cmds[i][1]);
		if (rc != 0 || !strstr(out, k))
			fail_msg("samen %s %s %s: rc %d: %s", cmds[i][0], k, cmds[i][1], rc, out);
	}
	/* keys as option values: the relay's and the neighbourhood's */
	char k2[KEYTEXT_LEN];
	dash_key(k2, NULL);
	int rc = sh(out, sizeof(out), "%s/samen subscribe --relay tcp://127.0.0.1:1 --relay-key %s "
		    "--format xml", bin(), k);
	assert_int_not_equal(rc, 0);
	if (strstr(out, "unknown option") || strstr(out, "invalid option") || !strstr(out, "xml"))
		fail_msg("subscribe: %s", out);
	rc = sh(out, sizeof(out), "%s/samen announce --relay tcp://127.0.0.1:1 --relay-key %s "
		"--nbhd %s --kind info --text x --hours abc", bin(), k, k2);
	assert_int_not_equal(rc, 0);
	if (strstr(out, "unknown option") || strstr(out, "invalid option") ||
	    !strstr(out, "--hours"))
		fail_msg("announce: %s", out);
}

/* samen-keys: show a key, certify and revoke one (as option values and
 * as the founder's own key file). */
static void test_samen_keys(void **state)
{
	(void)state;
	char k[KEYTEXT_LEN], nb[KEYTEXT_LEN], out[8192], keyf[700], cert[700], rev[700];
	snprintf(keyf, sizeof(keyf), "%s/founder.key", harness_dir());
	snprintf(cert, sizeof(cert), "%s/cert", harness_dir());
	snprintf(rev, sizeof(rev), "%s/rev", harness_dir());
	dash_key(nb, keyf);
	dash_key(k, NULL);
	int rc = sh(out, sizeof(out), "%s/samen-keys show %s", bin(), k);
	if (rc != 0 || !strstr(out, k))
		fail_msg("samen-keys show: rc %d: %s", rc, out);
	rc = sh(out, sizeof(out), "%s/samen-keys certify -k %s --nbhd %s --subject %s --role member "
		"-o %s", bin(), keyf, nb, k, cert);
	if (rc != 0)
		fail_msg("samen-keys certify: rc %d: %s", rc, out);
	rc = sh(out, sizeof(out), "%s/samen-keys revoke -k %s --nbhd %s --subject %s -o %s", bin(),
		keyf, nb, k, rev);
	if (rc != 0)
		fail_msg("samen-keys revoke: rc %d: %s", rc, out);
	uint8_t pk[32];
	char fp[FINGERPRINT_LEN];
	assert_int_equal(keytext_decode(k, pk), 0);
	keytext_fingerprint(pk, fp);
	rc = sh(out, sizeof(out), "%s/samen-keys verify %s", bin(), cert);
	if (rc != 0 || !strstr(out, fp))
		fail_msg("samen-keys verify: rc %d: %s", rc, out);
	harness_cleanup();
}

/* Runs samen with args; its exit code must be want and its output hold
 * each of the NULL-ended strings that follow. */
static void expect(int want, const char *args, ...)
{
	char out[8192];
	int rc = sh(out, sizeof(out), "%s/samen %s", bin(), args);
	if (rc != want)
		fail_msg("samen %s: rc %d, expected %d: %s", args, rc, want, out);
	va_list ap;
	va_start(ap, args);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
		if (!strstr(out, s))
			fail_msg("samen %s: expected \"%s\" in: %s", args, s, out);
	va_end(ap);
}

static void test_mistyped(void **state)
{
	(void)state;
	expect(2, "list --limt 3", "unknown option '--limt'; did you mean --limit?", NULL);
	expect(2, "revoke --cascde", "did you mean --cascade?", NULL);
	expect(2, "send --descripton x", "did you mean --description?", NULL);
	expect(2, "--jsno list", "unknown option '--jsno'; did you mean --json?", NULL);
	expect(2, "list --zzzzzz", "unknown option '--zzzzzz'", NULL);
	/* the option as it was typed, long or short */
	expect(2, "list --state", "option '--state' needs a value", NULL);
	expect(2, "list -s", "option '-s' needs a value", NULL);
	expect(2, "lst", "'lst' is not a samen command; did you mean 'list'?", NULL);
	expect(2, "frobnicate", "'frobnicate' is not a samen command; see 'samen --help'", NULL);
}

/* A desktop user with no samend of its own, on a machine where the service
 * keeps /var/lib/samen: told to ask as root, not that samend is not
 * running. The directory is made for the test (and removed) only where the
 * package did not make it. */
static void test_desktop_user_told_of_the_service(void **state)
{
	(void)state;
	char out[4096], samen[PATH_MAX + 16];
	struct stat st;
	bool made = false;
	if (geteuid() != 0)
		skip(); /* needs root to be another user */
	if (stat("/var/lib/samen", &st) < 0) {
		assert_int_equal(mkdir("/var/lib/samen", 0700), 0);
		made = true;
	}
	assert_non_null(realpath(bin(), samen));
	strncat(samen, "/samen", sizeof(samen) - strlen(samen) - 1);
	int rc = sh(out, sizeof(out), "runuser -u nobody -- env -u SAMEN_STATE -u XDG_STATE_HOME "
		    "HOME=/nonexistent %s status", samen);
	if (made)
		rmdir("/var/lib/samen");
	print_message("%s", out);
	assert_int_equal(rc, 4);
	assert_non_null(strstr(out, "/var/lib/samen/control: permission denied"));
	assert_non_null(strstr(out, "run samen as root"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protect_unit),
		cmocka_unit_test(test_samen_commands),
		cmocka_unit_test_teardown(test_samen_keys, harness_teardown),
		cmocka_unit_test(test_mistyped),
		cmocka_unit_test(test_desktop_user_told_of_the_service),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
