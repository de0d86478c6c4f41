/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for samend's configuration parser: any bytes as a
 * configuration file through config_load_buffer(), then config_finish().
 * A file that loads must leave a struct config whose every field is within
 * what config.h promises; one that fails must leave the struct untouched
 * and say why. The first NUL-free "key=value" of the input also goes
 * through config_set(), as a command-line override would.
 *
 * The fuzz rule links proto/ and keys/ only, so the daemon sources this
 * needs are included here.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../daemon/log.c"
#include "../../daemon/config.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t cap, int path)
{
	const char *end = memchr(s, '\0', cap);
	const char *p;

	if (!end)
		__builtin_trap();
	for (p = s; p < end; ++p)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			__builtin_trap();
	if (path && end != s && s[0] != '/')
		__builtin_trap();
}

static void check_config(const struct config *c)
{
	size_t i;
	unsigned u;

	check_str(c->state_dir, sizeof(c->state_dir), 1);
	if (c->state_dir[0] != '/')
		__builtin_trap();
	check_str(c->key, sizeof(c->key), 1);
	check_str(c->on_signal, sizeof(c->on_signal), 1);
	check_str(c->listen, sizeof(c->listen), 0);
	check_str(c->advertise, sizeof(c->advertise), 0);
	check_str(c->join_listen, sizeof(c->join_listen), 0);
	check_str(c->subscriber_listen, sizeof(c->subscriber_listen), 0);
	check_str(c->user, sizeof(c->user), 0);
	if (c->advertise[0] && endpoint_problem(c->advertise, 0))
		__builtin_trap();
	if (c->n_peers > CONFIG_PEERS_MAX)
		__builtin_trap();
	for (i = 0; i < c->n_peers; ++i) {
		check_str(c->peers[i].endpoint, sizeof(c->peers[i].endpoint), 0);
		if (endpoint_problem(c->peers[i].endpoint, 0))
			__builtin_trap();
	}
	if (c->role != CONFIG_ROLE_HOUSEHOLD && c->role != CONFIG_ROLE_RELAY)
		__builtin_trap();
	if (c->log_level < SLOG_ERR || c->log_level > SLOG_DEBUG)
		__builtin_trap();
	if (c->has_neighbourhood != 0 && c->has_neighbourhood != 1)
		__builtin_trap();
	for (i = 0; i < N_KEYS; ++i) {
		if (keydefs[i].kind != K_UINT)
			continue;
		memcpy(&u, (const char *)c + keydefs[i].off, sizeof(u));
		if (u < keydefs[i].min || u > keydefs[i].max)
			__builtin_trap();
	}
}

static void check_failure(const struct config *c, const struct config *before,
			  const char *err, size_t cap)
{
	if (memcmp(c, before, sizeof(*c)) != 0)
		__builtin_trap();
	if (!memchr(err, '\0', cap) || err[0] == '\0')
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c, before;
	char err[512], key[128], value[CONFIG_LINE_MAX];
	const uint8_t *eq;
	size_t klen, vlen;

	config_defaults(&c);
	memcpy(&before, &c, sizeof(c));
	err[0] = '\0';
	if (config_load_buffer(&c, "fuzz.conf", (const char *)data, size, err,
			       sizeof(err)) != 0) {
		check_failure(&c, &before, err, sizeof(err));
	} else {
		check_config(&c);
		memcpy(&before, &c, sizeof(c));
		err[0] = '\0';
		if (config_finish(&c, err, sizeof(err)) != 0) {
			check_failure(&c, &before, err, sizeof(err));
		} else {
			check_config(&c);
			if (c.key[0] != '/')
				__builtin_trap();
		}
	}

	eq = memchr(data, '=', size);
	if (!eq)
		return 0;
	klen = (size_t)(eq - data);
	vlen = size - klen - 1;
	if (klen >= sizeof(key) || vlen >= sizeof(value) ||
	    memchr(data, '\0', size))
		return 0;
	memcpy(key, data, klen);
	key[klen] = '\0';
	memcpy(value, eq + 1, vlen);
	value[vlen] = '\0';
	config_defaults(&c);
	memcpy(&before, &c, sizeof(c));
	err[0] = '\0';
	if (config_set(&c, key, value, err, sizeof(err)) != 0)
		check_failure(&c, &before, err, sizeof(err));
	else
		check_config(&c);
	return 0;
}
