/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_webconf.c — samen-web's settings: a good file, the messages of a
 * bad one (the same reader and wording as samend.conf), command-line
 * overrides, what webconf_finish() derives, and the example file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../web/webconf.h"

static char err[600];

static int load(struct webconf *c, const char *text)
{
	err[0] = '\0';
	return webconf_load_buffer(c, "samen-web.conf", text, strlen(text), err, sizeof(err));
}

/* On top of the defaults, text fails with exactly msg and changes nothing. */
static void expect_error(const char *text, const char *msg)
{
	struct webconf c, before;

	webconf_defaults(&c);
	before = c;
	assert_int_equal(load(&c, text), SAMEN_EINVAL);
	assert_string_equal(err, msg);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_good_file(void **state)
{
	struct webconf c;
	(void)state;

	webconf_defaults(&c);
	assert_int_equal(load(&c, "# the household's page\n"
				  "state_dir = /var/lib/samen\n"
				  "listen    = 0.0.0.0:8443   # the home network\n"
				  "url       = \"https://pi.local:8443\"\n"
				  "static    = /usr/share/samen/web\r\n"
				  "topic     = buurt-12\n"
				  "\tlang = en\n"
				  "tls_cert  = /etc/samen/web.crt\n"
				  "tls_key   = /etc/samen/web.key\n"),
			 0);
	assert_int_equal(webconf_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.state_dir, "/var/lib/samen");
	assert_string_equal(c.host, "0.0.0.0");
	assert_int_equal(c.port, 8443);
	assert_string_equal(c.url, "https://pi.local:8443");
	assert_string_equal(c.static_dir, "/usr/share/samen/web");
	assert_string_equal(c.topic, "buurt-12");
	assert_string_equal(c.lang, "en");
	assert_string_equal(c.tls_cert, "/etc/samen/web.crt");
	assert_string_equal(c.tls_key, "/etc/samen/web.key");
	/* derived from state_dir */
	assert_string_equal(c.devices, "/var/lib/samen/web-devices");
	assert_string_equal(c.ctl, "/var/lib/samen/control");
}

static void test_defaults(void **state)
{
	struct webconf c;
	(void)state;

	webconf_defaults(&c);
	assert_int_equal(webconf_set(&c, "state_dir", "/srv/samen/", err, sizeof(err)), 0);
	assert_int_equal(webconf_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.url, "http://127.0.0.1:8180");
	assert_string_equal(c.devices, "/srv/samen/web-devices");
	assert_string_equal(c.ctl, "/srv/samen/control");
	assert_string_equal(c.topic, "samen");
	assert_string_equal(c.lang, "nl");
	assert_string_equal(c.tls_cert, "");

	/* 0.0.0.0 is not an address to give a phone */
	webconf_defaults(&c);
	assert_int_equal(load(&c, "state_dir = /s\nlisten = 0.0.0.0:8180\n"), 0);
	assert_int_equal(webconf_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.url, "http://localhost:8180");
}

static void test_unknown_key(void **state)
{
	(void)state;
	expect_error("state_dir = /s\nlangauge = en\n",
		     "samen-web.conf:2: unknown key 'langauge'");
	expect_error("tls-cert = /x\n",
		     "samen-web.conf:1: unknown key 'tls-cert' (did you mean 'tls_cert'?)");
	expect_error("\n\nstate = /var/lib/samen\n",
		     "samen-web.conf:3: unknown key 'state' (did you mean 'state_dir'?)");

	struct webconf c;
	webconf_defaults(&c);
	assert_int_equal(webconf_set(&c, "lsiten", "0.0.0.0:80", err, sizeof(err)), SAMEN_EINVAL);
	assert_string_equal(err, "unknown key 'lsiten' (did you mean 'listen'?)");
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_error("lang = fr\n", "samen-web.conf:1: lang: 'fr' is neither 'nl' nor 'en'");
	expect_error("lang = \"nl \"\n", "samen-web.conf:1: lang: 'nl ' is neither 'nl' nor 'en'");
	expect_error("listen = [::]:8180\n",
		     "samen-web.conf:1: listen: '[::]:8180' is not ADDR:PORT with an IPv4 address "
		     "(e.g. 0.0.0.0:8180)");
	expect_error("listen = 127.0.0.1:0\n",
		     "samen-web.conf:1: listen: '127.0.0.1:0' is not ADDR:PORT with an IPv4 address "
		     "(e.g. 0.0.0.0:8180)");
	expect_error("static = web/static\n",
		     "samen-web.conf:1: static: 'web/static' is not an absolute path");
	expect_error("topic = api\n",
		     "samen-web.conf:1: topic: 'api' is one of the page's own paths (api, static, pair)");
	expect_error("url = ftp://x\n", "samen-web.conf:1: url: 'ftp://x' is not http://… or https://…");
}

/* The reader's own rules, worded as for samend.conf. */
static void test_syntax(void **state)
{
	(void)state;
	expect_error("lang = en\nlang = nl\n",
		     "samen-web.conf:2: duplicate key 'lang' (first set on line 1)");
	expect_error("topic samen\n", "samen-web.conf:1: 'topic' has no '=' (expected 'key = value')");
	expect_error("url = \"http://x\n", "samen-web.conf:1: url: the value has no closing '\"'");
	expect_error("topic = sa\x01men\n", "samen-web.conf:1: control character 0x01");
}

static void test_tls_pair(void **state)
{
	struct webconf c;
	(void)state;

	webconf_defaults(&c);
	assert_int_equal(load(&c, "state_dir = /s\ntls_cert = /etc/samen/web.crt\n"), 0);
	assert_int_equal(webconf_finish(&c, err, sizeof(err)), SAMEN_EINVAL);
	assert_string_equal(err, "tls_cert and tls_key go together (tls_key is not set)");

	webconf_defaults(&c);
	assert_int_equal(load(&c, "state_dir = /s\ntls_key = /k\n"), 0);
	assert_int_equal(webconf_finish(&c, err, sizeof(err)), SAMEN_EINVAL);
	assert_string_equal(err, "tls_cert and tls_key go together (tls_cert is not set)");

	/* with both, the default url is https */
	webconf_defaults(&c);
	assert_int_equal(load(&c, "state_dir = /s\ntls_key = /k\ntls_cert = /c\n"), 0);
	assert_int_equal(webconf_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.url, "https://127.0.0.1:8180");
}

/* The command line over the file: a later set wins, the file is kept. */
static void test_override(void **state)
{
	struct webconf c;
	(void)state;

	webconf_defaults(&c);
	assert_int_equal(load(&c, "state_dir = /var/lib/samen\nlang = en\ntopic = t1\n"), 0);
	assert_int_equal(webconf_set(&c, "lang", "nl", err, sizeof(err)), 0);
	assert_int_equal(webconf_set(&c, "devices", "/tmp/d", err, sizeof(err)), 0);
	assert_int_equal(webconf_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.lang, "nl");
	assert_string_equal(c.topic, "t1");
	assert_string_equal(c.devices, "/tmp/d");
}

static void test_files(void **state)
{
	struct webconf c;
	(void)state;

	webconf_defaults(&c);
	assert_int_equal(webconf_load(&c, "/nonexistent/samen-web.conf", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/samen-web.conf: No such file or directory");
	assert_int_equal(webconf_load(&c, "/tmp", err, sizeof(err)), SAMEN_EINVAL);
	assert_string_equal(err, "/tmp: not a regular file");
	/* the shipped example, as `make install` puts it in /etc/samen */
	assert_int_equal(webconf_load(&c, "docs/samen-web.conf.example", err, sizeof(err)), 0);
	assert_int_equal(webconf_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.state_dir, "/var/lib/samen");
	assert_string_equal(c.listen, "127.0.0.1:8180");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),   cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_unknown_key), cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_syntax),      cmocka_unit_test(test_tls_pair),
		cmocka_unit_test(test_override),    cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
