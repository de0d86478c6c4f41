/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * authlink.c — the authority's key and its connection to a relay
 * (authlink.h).
 */
#include "authlink.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "../keys/identity.h"
#include "../keys/keyfile.h"
#include "../proto/err.h"

int authlink_load_key(struct authlink *l)
{
	char pass[256] = "";
	const char *pf = getenv("SAMEN_PASSPHRASE_FILE");
	if (pf && *pf) {
		FILE *f = fopen(pf, "re");
		if (f) {
			if (!fgets(pass, sizeof(pass), f))
				pass[0] = '\0';
			fclose(f);
			pass[strcspn(pass, "\r\n")] = '\0';
		}
	}
	int ret = keyfile_read_secret(l->key_path, pass[0] ? pass : NULL, &l->id);
	sodium_memzero(pass, sizeof(pass));
	if (ret < 0)
		return samen_fail(EXIT_INVALID, "%s: %s", l->key_path, samen_strerror(ret));
	return 0;
}

int authlink_connect(struct authlink *s)
{
	uint8_t server[32];
	int64_t max = 1 << 20;
	int zero = 0;
	if (crypto_sign_ed25519_pk_to_curve25519(server, s->relay_key) != 0)
		return samen_fail(EXIT_USAGE, "--relay-key: not a valid key");
	s->zctx = zmq_ctx_new();
	s->sock = zmq_socket(s->zctx, ZMQ_DEALER);
	if (!s->sock || zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) ||
	    zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof(zero)) ||
	    zmq_setsockopt(s->sock, ZMQ_CURVE_SERVERKEY, server, 32) ||
	    zmq_setsockopt(s->sock, ZMQ_CURVE_PUBLICKEY, s->id->curve_pk, 32) ||
	    zmq_setsockopt(s->sock, ZMQ_CURVE_SECRETKEY, s->id->curve_sk, 32) ||
	    zmq_connect(s->sock, s->endpoint) != 0)
		return samen_fail(EXIT_UNREACHABLE, "cannot connect to %s: %s", s->endpoint,
			    zmq_strerror(errno));
	return 0;
}

void authlink_close(struct authlink *l)
{
	if (l->sock)
		zmq_close(l->sock);
	if (l->zctx)
		zmq_ctx_term(l->zctx);
	l->sock = l->zctx = NULL;
	identity_free(&l->id);
}
