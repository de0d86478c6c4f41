/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * test_config.c — samend's settings: defaults, the file syntax, every key,
 * the messages a person sees, and command-line overrides.
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
#include <sys/stat.h>

#include <cmocka.h>

#include "../../daemon/config.h"
#include "../../daemon/log.h"
#include "../../keys/keytext.h"

/* RFC 8032 test 1 public key, as key text. */
static const char K1[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
static const char K2[] = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA"; /* bytes 1..32 */

static char err[512];

static int load(struct config *c, const char *text)
{
	err[0] = '\0';
	return config_load_buffer(c, "samend.conf", text, strlen(text), err,
				  sizeof(err));
}

/* Loads text on top of defaults, expects failure with exactly msg. */
static void expect_error(const char *text, const char *msg)
{
	struct config c, before;

	config_defaults(&c);
	memcpy(&before, &c, sizeof(c));
	assert_int_equal(load(&c, text), SAMEN_EINVAL);
	assert_string_equal(err, msg);
	assert_memory_equal(&c, &before, sizeof(c)); /* all or nothing */
}

static void expect_set_error(const char *key, const char *value,
			     const char *msg)
{
	struct config c, before;

	config_defaults(&c);
	memcpy(&before, &c, sizeof(c));
	err[0] = '\0';
	assert_int_equal(config_set(&c, key, value, err, sizeof(err)),
			 SAMEN_EINVAL);
	assert_string_equal(err, msg);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void decode(const char *text, uint8_t pk[32])
{
	assert_int_equal(keytext_decode(text, pk), 0);
}

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.state_dir, "/var/lib/samen");
	assert_string_equal(c.key, "");
	assert_int_equal(c.has_neighbourhood, 0);
	assert_int_equal(c.role, CONFIG_ROLE_HOUSEHOLD);
	assert_string_equal(c.listen, "");
	assert_string_equal(c.advertise, "");
	assert_string_equal(c.join_listen, "");
	assert_string_equal(c.subscriber_listen, "");
	assert_int_equal(c.n_peers, 0);
	assert_int_equal(c.active_links, 6);
	assert_int_equal(c.max_inbound, 64);
	assert_int_equal(c.rotate_min_seconds, 30);
	assert_int_equal(c.rotate_max_seconds, 600);
	assert_int_equal(c.retention_days, 14);
	assert_int_equal(c.rate_per_minute, 30);
	assert_int_equal(c.rate_burst, 20);
	assert_int_equal(c.anti_entropy_seconds, 30);
	assert_int_equal(c.clock_skew_seconds, 300);
	assert_int_equal(c.invalid_limit, 20);
	assert_int_equal(c.penalty_seconds, 600);
	assert_int_equal(c.max_map_mb, 4096);
	assert_string_equal(c.on_signal, "");
	assert_int_equal(c.hook_timeout_seconds, 10);
	assert_int_equal(c.log_level, SLOG_INFO);
	assert_string_equal(c.user, "");

	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.key, "/var/lib/samen/identity.key");
	assert_string_equal(c.advertise, ""); /* nothing to advertise */

	/* An empty file changes nothing. */
	{
		struct config d;

		config_defaults(&c);
		config_defaults(&d);
		assert_int_equal(load(&d, ""), 0);
		assert_memory_equal(&c, &d, sizeof(c));
	}
}

static void test_every_key(void **state)
{
	struct config c;
	uint8_t pk1[32], pk2[32];
	char text[2048];

	(void)state;
	snprintf(text, sizeof(text),
		 "state_dir = /srv/samen\n"
		 "key = /etc/samen/relay.key\n"
		 "neighbourhood = %s\n"
		 "role = relay\n"
		 "listen = tcp://0.0.0.0:7400\n"
		 "advertise = tcp://relay.example.org:7400\n"
		 "join_listen = tcp://*:7401\n"
		 "subscriber_listen = tcp://[::]:7402\n"
		 "peer = tcp://192.0.2.1:7400 %s\n"
		 "active_links = 8\n"
		 "max_inbound = 200\n"
		 "rotate_min_seconds = 5\n"
		 "rotate_max_seconds = 60\n"
		 "retention_days = 30\n"
		 "rate_per_minute = 60\n"
		 "rate_burst = 40\n"
		 "anti_entropy_seconds = 120\n"
		 "clock_skew_seconds = 600\n"
		 "invalid_limit = 5\n"
		 "penalty_seconds = 3600\n"
		 "max_map_mb = 1024\n"
		 "on_signal = /usr/local/bin/siren\n"
		 "hook_timeout_seconds = 30\n"
		 "log_level = debug\n"
		 "user = _samen\n",
		 K1, K2);
	config_defaults(&c);
	assert_int_equal(load(&c, text), 0);
	decode(K1, pk1);
	decode(K2, pk2);
	assert_string_equal(c.state_dir, "/srv/samen");
	assert_string_equal(c.key, "/etc/samen/relay.key");
	assert_int_equal(c.has_neighbourhood, 1);
	assert_memory_equal(c.neighbourhood, pk1, 32);
	assert_int_equal(c.role, CONFIG_ROLE_RELAY);
	assert_string_equal(c.listen, "tcp://0.0.0.0:7400");
	assert_string_equal(c.advertise, "tcp://relay.example.org:7400");
	assert_string_equal(c.join_listen, "tcp://*:7401");
	assert_string_equal(c.subscriber_listen, "tcp://[::]:7402");
	assert_int_equal(c.n_peers, 1);
	assert_string_equal(c.peers[0].endpoint, "tcp://192.0.2.1:7400");
	assert_memory_equal(c.peers[0].key, pk2, 32);
	assert_int_equal(c.active_links, 8);
	assert_int_equal(c.max_inbound, 200);
	assert_int_equal(c.rotate_min_seconds, 5);
	assert_int_equal(c.rotate_max_seconds, 60);
	assert_int_equal(c.retention_days, 30);
	assert_int_equal(c.rate_per_minute, 60);
	assert_int_equal(c.rate_burst, 40);
	assert_int_equal(c.anti_entropy_seconds, 120);
	assert_int_equal(c.clock_skew_seconds, 600);
	assert_int_equal(c.invalid_limit, 5);
	assert_int_equal(c.penalty_seconds, 3600);
	assert_int_equal(c.max_map_mb, 1024);
	assert_string_equal(c.on_signal, "/usr/local/bin/siren");
	assert_int_equal(c.hook_timeout_seconds, 30);
	assert_int_equal(c.log_level, SLOG_DEBUG);
	assert_string_equal(c.user, "_samen");
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.key, "/etc/samen/relay.key"); /* kept */
	assert_string_equal(c.advertise, "tcp://relay.example.org:7400");

	/* The other spellings of the enumerations. */
	config_defaults(&c);
	assert_int_equal(load(&c, "role = relay\nlog_level = error\n"), 0);
	assert_int_equal(load(&c, "role = household\nlog_level = warn\n"), 0);
	assert_int_equal(c.role, CONFIG_ROLE_HOUSEHOLD);
	assert_int_equal(c.log_level, SLOG_WARN);
	assert_int_equal(load(&c, "neighbourhood =\n"), 0); /* leave it */
	assert_int_equal(c.has_neighbourhood, 0);
	assert_int_equal(load(&c, "listen = ipc:///run/samen/mesh\n"), 0);
	assert_string_equal(c.listen, "ipc:///run/samen/mesh");
}

static void test_quoting(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(load(&c, "state_dir = \"/srv/my samen\"\n"
				  "on_signal = \"/opt/a #b\"   # a comment\n"
				  "user = \"\"\n"),
			 0);
	assert_string_equal(c.state_dir, "/srv/my samen");
	assert_string_equal(c.on_signal, "/opt/a #b");
	assert_string_equal(c.user, "");
	/* Quotes keep the spaces; the value still has to be valid. */
	expect_error("state_dir = \" /srv\"\n",
		     "samend.conf:1: state_dir: ' /srv' is not an absolute path");
	expect_error("state_dir = \"/srv\n",
		     "samend.conf:1: state_dir: the value has no closing '\"'");
	expect_error("state_dir = \"/srv\" x\n",
		     "samend.conf:1: state_dir: text after the closing '\"'");
	expect_error("state_dir = /srv/\"x\"\n",
		     "samend.conf:1: state_dir: a '\"' inside the value "
		     "(quote the whole value)");
}

static void test_comments_and_white_space(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(load(&c, "# samend.conf\n"
				  "\n"
				  "   \t\n"
				  "   # indented comment\n"
				  "\tretention_days\t=\t30\t# a month\n"
				  "on_signal = /opt/a#b\r\n" /* '#' inside a word */
				  "active_links=7\n"
				  "listen = # none\n"
				  "max_inbound = 9"), /* no final newline */
			 0);
	assert_int_equal(c.retention_days, 30);
	assert_string_equal(c.on_signal, "/opt/a#b");
	assert_int_equal(c.active_links, 7);
	assert_string_equal(c.listen, "");
	assert_int_equal(c.max_inbound, 9);
}

static void test_errors_name_file_line_and_key(void **state)
{
	(void)state;
	expect_error("# settings\n\nretension_days = 30\n",
		     "samend.conf:3: unknown key 'retension_days' "
		     "(did you mean 'retention_days'?)");
	expect_error("log level = debug\n",
		     "samend.conf:1: unknown key 'log level' "
		     "(did you mean 'log_level'?)");
	expect_error("Listen = tcp://*:7400\n",
		     "samend.conf:1: unknown key 'Listen' (did you mean 'listen'?)");
	expect_error("frobnicate = 1\n", "samend.conf:1: unknown key 'frobnicate'");
	expect_error("retention_days = 30\nlisten tcp://*:7400\n",
		     "samend.conf:2: 'listen' has no '=' (expected 'key = value')");
	expect_error("= 5\n", "samend.conf:1: no key before '='");
	expect_error("retention_days = 30\n# x\nretention_days = 31\n",
		     "samend.conf:3: duplicate key 'retention_days' "
		     "(first set on line 1)");
	expect_error("user = a\x01" "b\n", "samend.conf:1: control character 0x01");
	expect_error("user = a\x1b" "[2Jb\n", "samend.conf:1: control character 0x1b");
	expect_error("# fine\nuser = a\rb\n",
		     "samend.conf:2: control character 0x0d");
	expect_error("# fine\nuser = \x7f\n", "samend.conf:2: control character 0x7f");
	{
		/* A NUL byte cannot end a line early. */
		struct config c;
		static const char with_nul[] = "user = ab\0c\n";

		config_defaults(&c);
		assert_int_equal(config_load_buffer(&c, "samend.conf", with_nul,
						    sizeof(with_nul) - 1, err,
						    sizeof(err)),
				 SAMEN_EINVAL);
		assert_string_equal(err, "samend.conf:1: control character 0x00");
	}
	{
		char line[CONFIG_LINE_MAX + 20];

		memset(line, '#', sizeof(line) - 1);
		line[sizeof(line) - 1] = '\0';
		expect_error(line, "samend.conf:1: line is longer than 1024 bytes");
	}
	/* Valid lines before the error are not applied either (expect_error
	 * checks the struct is unchanged). */
	expect_error("retention_days = 30\nrole = mayor\n",
		     "samend.conf:2: role: 'mayor' is neither 'household' nor 'relay'");
	expect_error("log_level = verbose\n",
		     "samend.conf:1: log_level: 'verbose' is not one of error, "
		     "warn, info, debug");
	expect_error("user = -root\n", "samend.conf:1: user: '-root' is not a user name");
	expect_error("user = a:b\n", "samend.conf:1: user: 'a:b' is not a user name");
	expect_error("on_signal = notify-send\n",
		     "samend.conf:1: on_signal: 'notify-send' is not an absolute path");
	expect_error("key = identity.key\n",
		     "samend.conf:1: key: 'identity.key' is not an absolute path");
	expect_error("state_dir =\n",
		     "samend.conf:1: state_dir: '' is not an absolute path");
	expect_error("neighbourhood = abc\n",
		     "samend.conf:1: neighbourhood: 'abc' is not a 43-character key text");
	expect_error("listen = udp://*:7400\n",
		     "samend.conf:1: listen: 'udp://*:7400' is not tcp://HOST:PORT "
		     "or ipc://PATH");
	expect_error("listen = tcp://*\n",
		     "samend.conf:1: listen: 'tcp://*' is not tcp://HOST:PORT");
	expect_error("listen = tcp://*:70000\n",
		     "samend.conf:1: listen: 'tcp://*:70000' has no port in 1..65535");
	expect_error("listen = tcp://*:0\n",
		     "samend.conf:1: listen: 'tcp://*:0' has no port in 1..65535");
	expect_error("listen = tcp://a b:1\n",
		     "samend.conf:1: listen: 'tcp://a b:1' contains white space");
	expect_error("advertise = tcp://0.0.0.0:7400\n",
		     "samend.conf:1: advertise: 'tcp://0.0.0.0:7400' names a "
		     "wildcard address, which cannot be dialled");
	expect_error("advertise = tcp://host:*\n",
		     "samend.conf:1: advertise: 'tcp://host:*' has port '*', "
		     "which cannot be dialled");
}

static void test_repeated_peer(void **state)
{
	struct config c;
	uint8_t pk1[32], pk2[32], pk[32];
	char text[256];
	char *many;
	size_t off = 0;
	int i;

	(void)state;
	decode(K1, pk1);
	decode(K2, pk2);
	snprintf(text, sizeof(text),
		 "peer = tcp://192.0.2.1:7400 %s\n"
		 "peer =\ttcp://relay.example.org:7400\t\t%s  # the relay\n",
		 K1, K2);
	config_defaults(&c);
	assert_int_equal(load(&c, text), 0);
	assert_int_equal(c.n_peers, 2);
	assert_string_equal(c.peers[0].endpoint, "tcp://192.0.2.1:7400");
	assert_memory_equal(c.peers[0].key, pk1, 32);
	assert_string_equal(c.peers[1].endpoint, "tcp://relay.example.org:7400");
	assert_memory_equal(c.peers[1].key, pk2, 32);

	snprintf(text, sizeof(text),
		 "peer = tcp://192.0.2.1:7400 %s\npeer = tcp://192.0.2.2:7400 %s\n",
		 K1, K1);
	expect_error(text, "samend.conf:2: peer: key "
			   "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo is already "
			   "listed (for tcp://192.0.2.1:7400)");
	expect_error("peer = tcp://192.0.2.1:7400\n",
		     "samend.conf:1: peer: expected 'ENDPOINT KEY', got "
		     "'tcp://192.0.2.1:7400'");
	snprintf(text, sizeof(text), "peer = tcp://h:1 %s extra\n", K1);
	expect_error(text, "samend.conf:1: peer: expected 'ENDPOINT KEY', got "
			   "'tcp://h:1 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo extra'");
	expect_error("peer = tcp://h:1 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR\n",
		     "samend.conf:1: peer: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR' "
		     "is not a 43-character key text");
	snprintf(text, sizeof(text), "peer = tcp://*:7400 %s\n", K1);
	expect_error(text, "samend.conf:1: peer: endpoint 'tcp://*:7400' names a "
			   "wildcard address, which cannot be dialled");

	/* 64 peers fit, the 65th is refused. */
	many = malloc(80 * 70);
	assert_non_null(many);
	for (i = 0; i < 65; ++i) {
		char kt[KEYTEXT_LEN];

		memset(pk, i + 1, sizeof(pk));
		keytext_encode(pk, kt);
		off += (size_t)sprintf(many + off, "peer = tcp://10.0.0.%d:7400 %s\n",
				       i + 1, kt);
		if (i == 63) {
			config_defaults(&c);
			assert_int_equal(load(&c, many), 0);
			assert_int_equal(c.n_peers, 64);
			assert_string_equal(c.peers[63].endpoint, "tcp://10.0.0.64:7400");
			assert_memory_equal(c.peers[63].key, pk, 32);
		}
	}
	expect_error(many, "samend.conf:65: peer: more than 64 peers");
	free(many);
}

static void test_numbers_strict(void **state)
{
	static const struct {
		const char *key, *value, *msg;
	} bad[] = {
		{ "active_links", "0", "active_links: '0' is out of range (1..64)" },
		{ "active_links", "65", "active_links: '65' is out of range (1..64)" },
		{ "max_inbound", "1025", "max_inbound: '1025' is out of range (1..1024)" },
		{ "rotate_min_seconds", "0",
		  "rotate_min_seconds: '0' is out of range (1..3600)" },
		{ "rotate_max_seconds", "86401",
		  "rotate_max_seconds: '86401' is out of range (1..86400)" },
		{ "retention_days", "3651",
		  "retention_days: '3651' is out of range (1..3650)" },
		{ "rate_per_minute", "6001",
		  "rate_per_minute: '6001' is out of range (1..6000)" },
		{ "rate_burst", "10001", "rate_burst: '10001' is out of range (1..10000)" },
		{ "anti_entropy_seconds", "3601",
		  "anti_entropy_seconds: '3601' is out of range (1..3600)" },
		{ "hook_timeout_seconds", "601",
		  "hook_timeout_seconds: '601' is out of range (1..600)" },
		{ "max_map_mb", "15", "max_map_mb: '15' is out of range (16..1048576)" },
		{ "clock_skew_seconds", "0",
		  "clock_skew_seconds: '0' is out of range (1..86400)" },
		{ "retention_days", "99999999999999999999999",
		  "retention_days: '99999999999999999999999' is out of range (1..3650)" },
		{ "retention_days", "-1", "retention_days: '-1' is not a whole number" },
		{ "retention_days", "+5", "retention_days: '+5' is not a whole number" },
		{ "retention_days", "14d", "retention_days: '14d' is not a whole number" },
		{ "retention_days", "0x10", "retention_days: '0x10' is not a whole number" },
		{ "retention_days", "1.5", "retention_days: '1.5' is not a whole number" },
		{ "retention_days", " 14", "retention_days: ' 14' is not a whole number" },
		{ "retention_days", "", "retention_days: '' is not a whole number" },
	};
	struct config c;
	char text[256], msg[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
		expect_set_error(bad[i].key, bad[i].value, bad[i].msg);
		if (bad[i].value[0] == ' ' || bad[i].value[0] == '\0')
			continue; /* the file trims these */
		snprintf(text, sizeof(text), "# x\n%s = %s\n", bad[i].key,
			 bad[i].value);
		snprintf(msg, sizeof(msg), "samend.conf:2: %s", bad[i].msg);
		expect_error(text, msg);
	}
	/* The limits themselves are fine; leading zeros too. */
	config_defaults(&c);
	assert_int_equal(load(&c, "active_links = 64\nmax_inbound = 1\n"
				  "max_map_mb = 1048576\nretention_days = 0007\n"),
			 0);
	assert_int_equal(c.active_links, 64);
	assert_int_equal(c.max_inbound, 1);
	assert_int_equal(c.max_map_mb, 1048576);
	assert_int_equal(c.retention_days, 7);
}

static void test_overrides(void **state)
{
	struct config c;
	char line[128];

	(void)state;
	config_defaults(&c);
	snprintf(line, sizeof(line), "listen = tcp://*:7400\npeer = tcp://a:1 %s\n",
		 K1);
	assert_int_equal(load(&c, line), 0);
	/* The command line overrides the file, and a key given twice. */
	assert_int_equal(config_set(&c, "listen", "tcp://192.0.2.9:7500", err,
				    sizeof(err)), 0);
	assert_int_equal(config_set(&c, "retention_days", "3", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "retention_days", "4", err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "tcp://b:2 %s", K2);
	assert_int_equal(config_set(&c, "peer", line, err, sizeof(err)), 0);
	/* Taken as is: spaces are part of the value, no comment stripping. */
	assert_int_equal(config_set(&c, "on_signal", "/opt/my hook #1", err,
				    sizeof(err)), 0);
	assert_string_equal(c.listen, "tcp://192.0.2.9:7500");
	assert_int_equal(c.retention_days, 4);
	assert_int_equal(c.n_peers, 2);
	assert_string_equal(c.peers[1].endpoint, "tcp://b:2");
	assert_string_equal(c.on_signal, "/opt/my hook #1");
	assert_int_equal(config_set(&c, "state_dir", "/home/u/.samen", err,
				    sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.key, "/home/u/.samen/identity.key");
	assert_string_equal(c.advertise, "tcp://192.0.2.9:7500");

	expect_set_error("retension_days", "3",
			 "unknown key 'retension_days' (did you mean 'retention_days'?)");
	expect_set_error("user", "a\nb", "user: control character 0x0a in the value");
	expect_set_error("listen", "tcp://*:1\t", "listen: control character 0x09 in the value");
	expect_set_error("neighbourhood", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR!",
			 "neighbourhood: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR!' "
			 "is not a 43-character key text");
	expect_set_error("listen", NULL, "listen: no value given");
}

static void test_finish(void **state)
{
	struct config c;

	(void)state;
	/* A wildcard listen advertises nothing unless told. */
	config_defaults(&c);
	assert_int_equal(config_set(&c, "listen", "tcp://0.0.0.0:7400", err,
				    sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.advertise, "");
	config_defaults(&c);
	assert_int_equal(config_set(&c, "listen", "tcp://192.0.2.1:*", err,
				    sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.advertise, "");
	config_defaults(&c);
	assert_int_equal(config_set(&c, "listen", "ipc:///tmp/s/mesh", err,
				    sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.advertise, "ipc:///tmp/s/mesh");

	config_defaults(&c);
	assert_int_equal(config_set(&c, "state_dir", "/", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.key, "/identity.key");

	config_defaults(&c);
	assert_int_equal(config_set(&c, "subscriber_listen", "tcp://*:7402", err,
				    sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), SAMEN_EINVAL);
	assert_string_equal(err, "subscriber_listen is only for role = relay");
	assert_int_equal(config_set(&c, "role", "relay", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), SAMEN_EINVAL);
	assert_string_equal(err, "role = relay needs listen: a relay must be reachable");
	assert_string_equal(c.key, ""); /* unchanged on failure */
	assert_int_equal(config_set(&c, "listen", "tcp://*:7400", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);

	/* The rotation floor may not pass the ceiling. */
	config_defaults(&c);
	assert_int_equal(config_set(&c, "rotate_min_seconds", "700", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), SAMEN_EINVAL);
	assert_string_equal(err, "rotate_min_seconds (700) is above rotate_max_seconds (600)");
	assert_string_equal(c.key, ""); /* unchanged on failure */
	assert_int_equal(config_set(&c, "rotate_max_seconds", "700", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);

	{
		char dir[CONFIG_PATH_MAX + 1];

		memset(dir, 'd', sizeof(dir) - 1);
		dir[0] = '/';
		dir[sizeof(dir) - 1] = '\0';
		config_defaults(&c);
		assert_int_equal(config_set(&c, "state_dir", dir, err, sizeof(err)), 0);
		assert_int_equal(config_finish(&c, err, sizeof(err)), SAMEN_EINVAL);
		assert_string_equal(err, "state_dir is too long for the default "
					 "key path; set key");
	}
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_text(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/samen-test-config-XXXXXX", path[128], big_path[128];
	char *big;
	struct config c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/samend.conf", dir);
	snprintf(big_path, sizeof(big_path), "%s/big.conf", dir);

	write_text(path, "retention_days = 7\nlisten = tcp://*:7400\n");
	config_defaults(&c);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.retention_days, 7);

	write_text(path, "retention_days = 7\nretention = 8\n");
	assert_int_equal(config_load(&c, path, err, sizeof(err)), SAMEN_EINVAL);
	{
		char want[256];

		snprintf(want, sizeof(want), "%s:2: unknown key 'retention' "
			 "(did you mean 'retention_days'?)", path);
		assert_string_equal(err, want);
	}

	big = malloc(CONFIG_FILE_MAX + 1);
	assert_non_null(big);
	memset(big, '\n', CONFIG_FILE_MAX + 1);
	write_file(big_path, big, CONFIG_FILE_MAX);
	assert_int_equal(config_load(&c, big_path, err, sizeof(err)), 0);
	write_file(big_path, big, CONFIG_FILE_MAX + 1);
	assert_int_equal(config_load(&c, big_path, err, sizeof(err)), SAMEN_ETOOBIG);
	assert_non_null(strstr(err, "larger than 65536 bytes"));
	assert_int_equal(config_load_buffer(&c, "x", big, CONFIG_FILE_MAX + 1, err,
					    sizeof(err)), SAMEN_ETOOBIG);
	free(big);

	assert_int_equal(config_load(&c, dir, err, sizeof(err)), SAMEN_EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(path);
	unlink(big_path);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));
	rmdir(dir);
}

/*
 * docs/samend.conf.example loads, and its commented-out "#key = value"
 * lines (the first one of each key) are exactly the defaults.
 */
static void test_example_matches_defaults(void **state)
{
	char path[512], *text, *out, *line, *save = NULL;
	const char *dir_end = strrchr(__FILE__, '/');
	char seen[4096] = "";
	struct config c, d;
	int n_keys = 0;
	FILE *f;
	long n;

	(void)state;
	snprintf(path, sizeof(path), "%.*s/../../docs/samend.conf.example",
		 (int)(dir_end - __FILE__), __FILE__);
	f = fopen(path, "r");
	assert_non_null(f);
	text = calloc(1, CONFIG_FILE_MAX + 1);
	out = calloc(1, CONFIG_FILE_MAX + 1);
	assert_non_null(text);
	assert_non_null(out);
	n = (long)fread(text, 1, CONFIG_FILE_MAX, f);
	fclose(f);
	assert_true(n > 0);

	config_defaults(&c);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), 0);
	config_defaults(&d);
	assert_memory_equal(&c, &d, sizeof(c)); /* everything is commented out */

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char key[64], probe[70];

		if (sscanf(line, "#%63[a-z_] =", key) != 1 || !strchr(line, '='))
			continue;
		snprintf(probe, sizeof(probe), " %s ", key);
		/* peer and serve have no default to show, only an example */
		if (strstr(seen, probe) || strcmp(key, "peer") == 0 || strcmp(key, "serve") == 0)
			continue;
		strcat(seen, probe);
		++n_keys;
		strcat(out, line + 1);
		strcat(out, "\n");
	}
	/* Every key is documented. */
	assert_non_null(strstr(seen, " state_dir "));
	assert_non_null(strstr(seen, " user "));
	assert_non_null(strstr(seen, " hook_timeout_seconds "));
	assert_non_null(strstr(seen, " max_map_mb "));
	config_defaults(&c);
	assert_int_equal(load(&c, out), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(n_keys, 31); /* all 33 but peer and serve */
	free(text);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_comments_and_white_space),
		cmocka_unit_test(test_errors_name_file_line_and_key),
		cmocka_unit_test(test_repeated_peer),
		cmocka_unit_test(test_numbers_strict),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_example_matches_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
