/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * fuzz_certverify.c — libFuzzer harness for membership over records.
 *
 * Input: 8 bytes of `now` (big-endian unix seconds), then records, each as a
 * 2-byte big-endian length and that many bytes. Every record that
 * record_open() accepts goes into a membership set of a fixed neighbourhood,
 * whose founder is the key with seed 32 x 0x01; the seeds are signed by keys
 * with seeds 32 x 0x01, 0x02, ... so that mutations which reorder, repeat or
 * drop whole records still carry good signatures.
 *
 * Beyond "no crash, no leak", it aborts when the answers disagree with each
 * other: a granting certificate that explain() calls invalid, a listed key
 * that check() refuses, or two sets holding the same records that answer
 * differently (revocations are taken the founder's first, then in
 * (created, id) order, so the order of arrival must not matter once every
 * certificate is in).
 *
 * The seeds are written by this same file built as a program:
 *   cc -std=c11 -D_DEFAULT_SOURCE -DFUZZ_CERTVERIFY_SEEDS -o /tmp/seeds \
 *      tests/fuzz/fuzz_certverify.c proto/[a-z]*.c keys/membership.c \
 *      keys/membership_explain.c \
 *      keys/keytext.c $(pkg-config --cflags --libs libsodium msgpack)
 *   /tmp/seeds tests/fuzz/seeds/fuzz_certverify
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../keys/membership.h"
#include "../../proto/record.h"

#define MAX_RECORDS 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct record recs[MAX_RECORDS];
static uint8_t nbhd[32];

static void test_key(uint8_t n, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];

	memset(seed, n, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
}

static void setup_once(void)
{
	static int ready;
	uint8_t sk[64];

	if (ready)
		return;
	if (sodium_init() < 0)
		abort();
	test_key(1, nbhd, sk);
	ready = 1;
}

static void require(int ok)
{
	if (!ok)
		abort();
}

/* Adds the certificates, then the revocations, each pass forwards or
 * backwards: every such set must answer alike. */
static membership_t *set_sorted(size_t n, int backwards)
{
	membership_t *m = membership_new(nbhd);

	require(m != NULL);
	for (int kind = REC_CERT; kind <= REC_REVOCATION; kind++) {
		for (size_t i = 0; i < n; i++) {
			const struct record *r = &recs[backwards ? n - 1 - i : i];
			if (r->kind == kind) {
				int ret = membership_add(m, r);
				require(ret == 0 || ret == SAMEN_EDUPLICATE || ret == SAMEN_EISSUER ||
					ret == SAMEN_ENBHD);
			}
		}
	}
	return m;
}

/* Keys worth asking about: every subject and author seen. */
static const uint8_t *key_of(size_t i, int which)
{
	const struct record *r = &recs[i];

	if (which == 0)
		return r->author;
	return r->kind == REC_CERT ? r->u.cert.subject : r->u.rev.subject;
}

static void check_key(const membership_t *m, const membership_t *a, const membership_t *b,
		      const uint8_t key[32], uint64_t now, size_t n)
{
	uint8_t id[32];
	char text[512];

	require(membership_is_revoked(a, key) == membership_is_revoked(b, key));
	for (unsigned role = ROLE_MEMBER; role <= ROLE_AUTHORITY; role++) {
		int ret = membership_check(m, key, role, now, id);
		int ra = membership_check(a, key, role, now, NULL);
		require(ra == membership_check(b, key, role, now, NULL));
		require(ret <= 0);
		if (ret != 0 || memcmp(key, nbhd, 32) == 0)
			continue;
		/* The granting certificate is one we hold, and explain agrees. */
		size_t i;
		for (i = 0; i < n; i++)
			if (recs[i].kind == REC_CERT && memcmp(recs[i].id, id, 32) == 0)
				break;
		require(i < n);
		require(memcmp(recs[i].u.cert.subject, key, 32) == 0);
		require(membership_explain(m, &recs[i], now, text, sizeof(text)) == 0);
		require(strncmp(text, "valid: ", 7) == 0);
	}
}

static void check_list(const membership_t *m, uint64_t now, size_t n)
{
	uint8_t keys[MAX_RECORDS + 1][32];

	for (unsigned role = ROLE_MEMBER; role <= ROLE_AUTHORITY; role++) {
		size_t count = membership_list(m, role, now, keys, MAX_RECORDS + 1);
		require(count <= MAX_RECORDS + 1);
		for (size_t k = 0; k < count; k++)
			require(membership_check(m, keys[k], role, now, NULL) == 0);
		/* Every certified key that check() admits is listed. */
		for (size_t i = 0; i < n; i++) {
			const uint8_t *s = recs[i].u.cert.subject;
			size_t k;
			if (recs[i].kind != REC_CERT ||
			    membership_check(m, s, role, now, NULL) != 0 ||
			    (memcmp(s, nbhd, 32) == 0 && role >= ROLE_RELAY))
				continue;
			for (k = 0; k < count; k++)
				if (memcmp(keys[k], s, 32) == 0)
					break;
			require(k < count);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	membership_t *m = NULL, *a = NULL, *b = NULL;
	char text[256], tiny[7];
	uint64_t now = 0;
	size_t n = 0, off = 8;

	setup_once();
	if (size < 8)
		return 0;
	for (int i = 0; i < 8; i++)
		now = now << 8 | data[i];

	/* Records in arrival order, into the set as a daemon would add them. */
	m = membership_new(nbhd);
	require(m != NULL);
	while (n < MAX_RECORDS && size - off >= 2) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		if (record_open(data + off, len, &recs[n]) == 0) {
			int ret = membership_add(m, &recs[n]);
			require(ret == 0 || ret == SAMEN_EDUPLICATE || ret == SAMEN_EISSUER ||
				ret == SAMEN_ENBHD || ret == SAMEN_EKIND);
			if (recs[n].kind == REC_CERT || recs[n].kind == REC_REVOCATION)
				n++;
		}
		off += len;
	}

	a = set_sorted(n, 0);
	b = set_sorted(n, 1);
	for (size_t i = 0; i < n; i++) {
		check_key(m, a, b, key_of(i, 0), now, n);
		check_key(m, a, b, key_of(i, 1), now, n);
		if (recs[i].kind != REC_CERT)
			continue;
		int ret = membership_explain(m, &recs[i], now, text, sizeof(text));
		require(ret <= 0 && strlen(text) < sizeof(text));
		require(membership_explain(m, &recs[i], now, tiny, sizeof(tiny)) == ret);
		require(strlen(tiny) < sizeof(tiny));
	}
	check_key(m, a, b, nbhd, now, n);
	check_list(m, now, n);

	membership_free(&m);
	membership_free(&a);
	membership_free(&b);
	return 0;
}

#ifdef FUZZ_CERTVERIFY_SEEDS
/* ---- the seed writer ---- */

#define T0 1767225600ULL /* 2026-01-01T00:00:00Z */
#define DAY 86400ULL
#define YEAR (365 * DAY)

struct seedfile {
	uint8_t buf[65536];
	size_t len;
	uint64_t seq[16];
};

static void seed_begin(struct seedfile *s, uint64_t now)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 8; i++)
		s->buf[s->len++] = (uint8_t)(now >> (56 - 8 * i));
}

static void seed_put(struct seedfile *s, const uint8_t *rec, size_t len)
{
	require(len <= 0xffff && s->len + 2 + len <= sizeof(s->buf));
	s->buf[s->len++] = (uint8_t)(len >> 8);
	s->buf[s->len++] = (uint8_t)len;
	memcpy(s->buf + s->len, rec, len);
	s->len += len;
}

/* Signs r as test key `by` (1 = the founder) and appends it. */
static void seed_sign(struct seedfile *s, struct record *r, uint8_t by)
{
	uint8_t pk[32], sk[64], *out = NULL;
	size_t len = 0;

	test_key(by, pk, sk);
	memcpy(r->author, pk, 32);
	r->seq = ++s->seq[by];
	require(record_sign(r, sk, &out, &len) == 0);
	seed_put(s, out, len);
	free(out);
	sodium_memzero(sk, sizeof(sk));
}

static void seed_cert(struct seedfile *s, uint8_t by, uint8_t subject, unsigned role,
		      uint64_t created, uint64_t nb, uint64_t na)
{
	struct record r;
	uint8_t sk[64];

	memset(&r, 0, sizeof(r));
	r.kind = REC_CERT;
	memcpy(r.nbhd, nbhd, 32);
	r.created = created;
	test_key(subject, r.u.cert.subject, sk);
	r.u.cert.role = (uint8_t)role;
	snprintf(r.u.cert.label, sizeof(r.u.cert.label), "Lindelaan %u", subject);
	r.u.cert.not_before = nb;
	r.u.cert.not_after = na;
	seed_sign(s, &r, by);
}

static void seed_rev(struct seedfile *s, uint8_t by, uint8_t subject, unsigned scope,
		     uint64_t created)
{
	struct record r;
	uint8_t sk[64];

	memset(&r, 0, sizeof(r));
	r.kind = REC_REVOCATION;
	memcpy(r.nbhd, nbhd, 32);
	r.created = created;
	test_key(subject, r.u.rev.subject, sk);
	r.u.rev.scope = (uint8_t)scope;
	snprintf(r.u.rev.reason, sizeof(r.u.rev.reason), "key lost");
	seed_sign(s, &r, by);
}

static void seed_write(const struct seedfile *s, const char *dir, const char *name)
{
	char path[4096];
	FILE *fp;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	require(n > 0 && (size_t)n < sizeof(path));
	fp = fopen(path, "wb");
	require(fp != NULL);
	require(fwrite(s->buf, 1, s->len, fp) == s->len);
	require(fclose(fp) == 0);
	/* Each seed must pass the harness itself. */
	require(LLVMFuzzerTestOneInput(s->buf, s->len) == 0);
}

int main(int argc, char **argv)
{
	static struct seedfile s;
	struct record r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	setup_once();

	/* Keys: 1 founder, 2 and 3 coordinators, 4.. households. */
	seed_begin(&s, T0 + DAY);
	seed_cert(&s, 1, 2, ROLE_COORDINATOR, T0, T0, T0 + YEAR);
	seed_cert(&s, 2, 4, ROLE_MEMBER, T0 + 10, T0, T0 + YEAR);
	seed_cert(&s, 1, 5, ROLE_MEMBER, T0, T0, T0 + YEAR);
	seed_cert(&s, 2, 6, ROLE_RELAY, T0 + 10, T0, T0 + YEAR);
	seed_cert(&s, 1, 7, ROLE_AUTHORITY, T0, T0, T0 + YEAR);
	seed_write(&s, argv[1], "certified");

	/* Key-only revocation of a coordinator; certificates before and after. */
	seed_begin(&s, T0 + DAY);
	seed_cert(&s, 1, 2, ROLE_COORDINATOR, T0, T0, T0 + YEAR);
	seed_cert(&s, 2, 4, ROLE_MEMBER, T0 + 10, T0, T0 + YEAR);
	seed_rev(&s, 2, 5, REVOKE_KEY, T0 + 15);
	seed_cert(&s, 1, 5, ROLE_MEMBER, T0, T0, T0 + YEAR);
	seed_rev(&s, 1, 2, REVOKE_KEY, T0 + 20);
	seed_cert(&s, 2, 8, ROLE_MEMBER, T0 + 30, T0, T0 + YEAR);
	seed_write(&s, argv[1], "revoke-key");

	/* Cascade, and two coordinators revoking each other. */
	seed_begin(&s, T0 + DAY);
	seed_cert(&s, 1, 2, ROLE_COORDINATOR, T0, T0, T0 + YEAR);
	seed_cert(&s, 1, 3, ROLE_COORDINATOR, T0, T0, T0 + YEAR);
	seed_cert(&s, 2, 4, ROLE_MEMBER, T0 + 10, T0, T0 + YEAR);
	seed_cert(&s, 3, 5, ROLE_MEMBER, T0 + 10, T0, T0 + YEAR);
	seed_rev(&s, 3, 2, REVOKE_CASCADE, T0 + 100);
	seed_rev(&s, 2, 3, REVOKE_CASCADE, T0 + 100);
	seed_write(&s, argv[1], "mutual-cascade");

	/* Windows, self-revocation, unentitled issuers, revoking the founder. */
	seed_begin(&s, T0 + 200 * DAY);
	seed_cert(&s, 1, 2, ROLE_COORDINATOR, T0, T0, T0 + 100 * DAY);
	seed_cert(&s, 2, 4, ROLE_MEMBER, T0 + 50 * DAY, T0, T0 + YEAR);
	seed_cert(&s, 2, 5, ROLE_MEMBER, T0 + 150 * DAY, T0, T0 + YEAR);
	seed_cert(&s, 1, 6, ROLE_MEMBER, T0, T0 + 300 * DAY, T0 + YEAR);
	seed_cert(&s, 1, 7, ROLE_MEMBER, T0, T0, T0 + 10 * DAY);
	seed_cert(&s, 4, 8, ROLE_MEMBER, T0 + DAY, T0, T0 + YEAR);
	seed_cert(&s, 2, 3, ROLE_COORDINATOR, T0 + DAY, T0, T0 + YEAR);
	seed_rev(&s, 7, 7, REVOKE_KEY, T0 + 2 * DAY);
	seed_rev(&s, 2, 1, REVOKE_CASCADE, T0 + 3 * DAY);
	seed_rev(&s, 4, 5, REVOKE_KEY, T0 + 3 * DAY);
	seed_write(&s, argv[1], "windows-issuers");

	/* Another neighbourhood, another kind, a duplicate. */
	seed_begin(&s, T0 + DAY);
	seed_cert(&s, 1, 4, ROLE_MEMBER, T0, T0, T0 + YEAR);
	memset(&r, 0, sizeof(r));
	r.kind = REC_CERT;
	test_key(9, r.nbhd, (uint8_t[64]){ 0 });
	r.created = T0;
	memcpy(r.u.cert.subject, r.nbhd, 32);
	r.u.cert.role = ROLE_COORDINATOR;
	r.u.cert.not_before = T0;
	r.u.cert.not_after = T0 + YEAR;
	seed_sign(&s, &r, 9);
	memset(&r, 0, sizeof(r));
	r.kind = REC_PEER;
	memcpy(r.nbhd, nbhd, 32);
	r.created = T0;
	snprintf(r.u.peer.endpoint, sizeof(r.u.peer.endpoint), "tcp://192.0.2.7:7400");
	r.u.peer.expires = T0 + DAY;
	seed_sign(&s, &r, 4);
	{
		/* The first record again, byte for byte. */
		size_t len = (size_t)s.buf[8] << 8 | s.buf[9];
		uint8_t copy[2048];
		require(len <= sizeof(copy));
		memcpy(copy, s.buf + 10, len);
		seed_put(&s, copy, len);
	}
	seed_write(&s, argv[1], "foreign-duplicate");
	return 0;
}
#endif
