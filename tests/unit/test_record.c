/* SPDX-License-Identifier: EUPL-1.2 */
/* Records: round trips, the PROTOCOL.md test vector, and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../proto/mp.h"
#include "../../proto/record.h"

struct kp {
	uint8_t pk[32], sk[64];
};

static void seeded(struct kp *k, uint8_t first)
{
	uint8_t seed[32];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(first + i);
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

/* The certificate of PROTOCOL.md's worked example. */
static void vector_cert(struct record *r, const struct kp *founder, const struct kp *member)
{
	memset(r, 0, sizeof(*r));
	r->kind = REC_CERT;
	memcpy(r->nbhd, founder->pk, 32);
	memcpy(r->author, founder->pk, 32);
	r->seq = 1;
	r->created = 1764000000;
	memcpy(r->u.cert.subject, member->pk, 32);
	r->u.cert.role = ROLE_MEMBER;
	strcpy(r->u.cert.label, "Lindelaan");
	r->u.cert.not_before = 1764000000;
	r->u.cert.not_after = 1795536000;
}

/* Expected bytes, computed once by this code and checked by hand against
 * PROTOCOL.md's layout (and the id independently with Python's
 * hashlib.blake2b(digest_size=32)). A change here is a protocol change. */
static const char vector_record_hex[] =
#include "vector_cert.inc"
	;
static const char vector_id_hex[] =
#include "vector_id.inc"
	;

static void test_vector(void **state)
{
	(void)state;
	struct kp founder, member;
	struct record r, d;
	uint8_t *buf;
	size_t len;
	seeded(&founder, 0x00);
	seeded(&member, 0x20);
	vector_cert(&r, &founder, &member);
	assert_int_equal(record_sign(&r, founder.sk, &buf, &len), 0);

	char *got = malloc(2 * len + 1), id[65];
	hex(buf, len, got);
	hex(r.id, 32, id);
	if (getenv("SAMEN_PRINT_VECTOR"))
		printf("record %s\nid %s\n", got, id);
	assert_string_equal(got, vector_record_hex);
	assert_string_equal(id, vector_id_hex);

	/* decoding the vector gives back every field */
	assert_int_equal(record_open(buf, len, &d), 0);
	assert_int_equal(d.kind, REC_CERT);
	assert_int_equal(d.seq, 1);
	assert_memory_equal(d.u.cert.subject, member.pk, 32);
	assert_string_equal(d.u.cert.label, "Lindelaan");
	assert_memory_equal(d.id, r.id, 32);
	free(got);
	free(buf);
}

/* A revocation exactly as samen 0.1.0 signed it (three payload fields, no
 * bound), made with that version's code from the keys of test_vector. */
static const char vector_rev_hex[] =
#include "vector_rev.inc"
	;

/* A store or record file written by 0.1.0 holds revocations of three
 * fields: they still open, say they carry no bound, and encode back to
 * the very same bytes (so the id, and the signature, stay the same). The
 * four-field form round-trips too, with its bound. */
static void test_revocation_forms(void **state)
{
	(void)state;
	struct kp founder, member;
	struct record d, r;
	uint8_t old[512], *buf;
	size_t len, old_len;

	seeded(&founder, 0x00);
	seeded(&member, 0x20);
	assert_int_equal(sodium_hex2bin(old, sizeof(old), vector_rev_hex, strlen(vector_rev_hex),
					NULL, &old_len, NULL),
			 0);
	assert_int_equal(record_open(old, old_len, &d), 0);
	assert_int_equal(d.kind, REC_REVOCATION);
	assert_memory_equal(d.u.rev.subject, member.pk, 32);
	assert_string_equal(d.u.rev.reason, "verhuisd");
	assert_false(d.u.rev.has_upto);
	assert_int_equal(d.u.rev.upto, 0);
	r = d;
	assert_int_equal(record_sign(&r, founder.sk, &buf, &len), 0);
	assert_int_equal(len, old_len);
	assert_memory_equal(buf, old, len);
	assert_memory_equal(r.id, d.id, 32);
	free(buf);

	r = d;
	r.u.rev.has_upto = true;
	r.u.rev.upto = UINT64_MAX;
	assert_int_equal(record_sign(&r, founder.sk, &buf, &len), 0);
	assert_int_equal(len, old_len + 9); /* a uint64 more */
	assert_int_equal(record_open(buf, len, &d), 0);
	assert_true(d.u.rev.has_upto);
	assert_true(d.u.rev.upto == UINT64_MAX);
	assert_memory_equal(d.id, r.id, 32);
	free(buf);
}

static void fill_kind(struct record *r, unsigned kind, const struct kp *author,
		      uint8_t *scratch)
{
	memset(r, 0, sizeof(*r));
	r->kind = (uint8_t)kind;
	memcpy(r->nbhd, author->pk, 32);
	memcpy(r->author, author->pk, 32);
	r->seq = 7;
	r->created = 1800000000;
	switch (kind) {
	case REC_CERT:
		r->u.cert.role = ROLE_AUTHORITY;
		strcpy(r->u.cert.label, "Politie basisteam");
		r->u.cert.not_before = 1;
		r->u.cert.not_after = 2;
		break;
	case REC_REVOCATION:
		r->u.rev.scope = REVOKE_CASCADE;
		strcpy(r->u.rev.reason, "verhuisd");
		break;
	case REC_EPOCH:
		randombytes_buf(scratch, 3 * KEY_ENTRY_LEN);
		r->u.epoch.number = 4;
		r->u.epoch.entries = scratch;
		r->u.epoch.n_entries = 3;
		break;
	case REC_PEER:
		strcpy(r->u.peer.endpoint, "tcp://127.0.0.1:7400");
		r->u.peer.expires = 1800086400;
		break;
	case REC_SIGNAL:
		randombytes_buf(scratch, 300 + 2 * KEY_ENTRY_LEN);
		r->u.signal.ct = scratch;
		r->u.signal.ct_len = 300;
		r->u.signal.sealed = scratch + 300;
		r->u.signal.n_sealed = 2;
		r->u.signal.expires = 1800003600;
		break;
	case REC_RETRACTION:
		memset(r->u.retraction.target, 0xab, 32);
		strcpy(r->u.retraction.reason, "beschrijft uiterlijk, niet gedrag");
		break;
	case REC_ANNOUNCE:
		r->u.announce.kind = ANNOUNCE_LOOKOUT;
		strcpy(r->u.announce.text, "Let op: grijze bestelbus");
		strcpy(r->u.announce.where, "Wijk Oost");
		r->u.announce.expires = 1800007200;
		break;
	}
}

/* SAMEN_SEED_DIR=tests/fuzz/seeds/fuzz_record regenerates the fuzz seeds. */
static void write_seed(unsigned kind, const uint8_t *buf, size_t len)
{
	const char *dir = getenv("SAMEN_SEED_DIR");
	char path[512];
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, record_kind_name(kind));
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void test_roundtrip_every_kind(void **state)
{
	(void)state;
	struct kp k;
	uint8_t scratch[2048];
	seeded(&k, 0x40);
	for (unsigned kind = REC_CERT; kind <= REC_ANNOUNCE; kind++) {
		struct record r, d;
		uint8_t *buf;
		size_t len;
		fill_kind(&r, kind, &k, scratch);
		assert_int_equal(record_sign(&r, k.sk, &buf, &len), 0);
		assert_int_equal(record_open(buf, len, &d), 0);
		assert_int_equal(d.kind, kind);
		assert_int_equal(d.seq, 7);
		assert_int_equal(d.created, 1800000000);
		assert_memory_equal(d.id, r.id, 32);
		assert_memory_equal(d.body, r.body, r.body_len);
		assert_int_equal(record_expires(&d), record_expires(&r));
		write_seed(kind, buf, len);
		if (kind == REC_SIGNAL) {
			assert_int_equal(d.u.signal.ct_len, 300);
			assert_memory_equal(d.u.signal.ct, scratch, 300);
			assert_int_equal(d.u.signal.n_sealed, 2);
		}
		if (kind == REC_EPOCH)
			assert_memory_equal(d.u.epoch.entries, scratch, 3 * KEY_ENTRY_LEN);
		free(buf);
	}
}

static void signed_cert(uint8_t **buf, size_t *len)
{
	struct kp f, m;
	struct record r;
	seeded(&f, 0x00);
	seeded(&m, 0x20);
	vector_cert(&r, &f, &m);
	assert_int_equal(record_sign(&r, f.sk, buf, len), 0);
}

/* A flipped bit anywhere in a record makes it fail to open. */
static void test_every_bit_flip_refused(void **state)
{
	(void)state;
	uint8_t *buf;
	size_t len;
	struct record d;
	signed_cert(&buf, &len);
	for (size_t i = 0; i < len * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		int r = record_open(buf, len, &d);
		if (r == 0)
			fail_msg("bit %zu flipped and the record still opened", i);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(record_open(buf, len, &d), 0);
	free(buf);
}

static void test_every_truncation_refused(void **state)
{
	(void)state;
	uint8_t *buf;
	size_t len;
	struct record d;
	signed_cert(&buf, &len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
		memcpy(copy, buf, n);
		assert_true(record_open(copy, n, &d) < 0);
		free(copy);
	}
	free(buf);
}

static void test_signer_must_be_author(void **state)
{
	(void)state;
	struct kp f, m;
	struct record r;
	uint8_t *buf;
	size_t len;
	seeded(&f, 0x00);
	seeded(&m, 0x20);
	vector_cert(&r, &f, &m);
	assert_int_equal(record_sign(&r, m.sk, &buf, &len), SAMEN_EINVAL);

	/* A record whose author field names someone else than the signer: sign
	 * as m, then claim f as author in a body re-signed by m. */
	memcpy(r.author, m.pk, 32);
	assert_int_equal(record_sign(&r, m.sk, &buf, &len), 0);
	struct record d;
	assert_int_equal(record_decode(buf, len, &d), 0);
	memcpy(d.author, f.pk, 32); /* as if the body had said f */
	assert_int_equal(record_verify(&d), SAMEN_EBADSIG);
	free(buf);
}

/* Wraps body bytes and a signature in an envelope, optionally with a
 * non-canonical (bin16) body header. */
static size_t envelope(uint8_t *out, const uint8_t *body, size_t blen, const uint8_t sig[64],
		       int wide)
{
	size_t n = 0;
	out[n++] = 0x92;
	if (wide || blen > 255) {
		out[n++] = 0xc5;
		out[n++] = (uint8_t)(blen >> 8);
		out[n++] = (uint8_t)blen;
	} else {
		out[n++] = 0xc4;
		out[n++] = (uint8_t)blen;
	}
	memcpy(out + n, body, blen);
	n += blen;
	out[n++] = 0xc4;
	out[n++] = 64;
	memcpy(out + n, sig, 64);
	return n + 64;
}

static void sign_raw(const uint8_t *body, size_t blen, const uint8_t sk[64], uint8_t sig[64])
{
	uint8_t msg[1024];
	memcpy(msg, RECORD_SIG_PREFIX, RECORD_SIG_PREFIX_LEN);
	memcpy(msg + RECORD_SIG_PREFIX_LEN, body, blen);
	crypto_sign_detached(sig, NULL, msg, RECORD_SIG_PREFIX_LEN + blen, sk);
}

static void test_non_canonical_refused(void **state)
{
	(void)state;
	uint8_t *buf, out[1024];
	size_t len;
	struct record d;
	signed_cert(&buf, &len);
	assert_int_equal(record_decode(buf, len, &d), 0);
	/* same body and signature, body length written as bin16: a different
	 * id for the same signed body, which would fake an equivocation */
	size_t n = envelope(out, d.body, d.body_len, d.sig, 1);
	assert_int_equal(record_decode(out, n, &d), SAMEN_EMALFORMED);
	/* trailing byte after the envelope */
	memcpy(out, buf, len);
	out[len] = 0xc0;
	assert_int_equal(record_decode(out, len + 1, &d), SAMEN_EMALFORMED);
	free(buf);
}

/* Builds a correctly signed record around a hand-written body. */
static int open_raw_body(const uint8_t *body, size_t blen)
{
	struct kp k;
	uint8_t sig[64], out[1024];
	struct record d;
	seeded(&k, 0x00);
	sign_raw(body, blen, k.sk, sig);
	size_t n = envelope(out, body, blen, sig, 0);
	return record_open(out, n, &d);
}

static void test_bad_bodies(void **state)
{
	(void)state;
	uint8_t body[256];
	struct kp k;
	seeded(&k, 0x00);
	/* [version, kind, nbhd, author, seq, created, payload] with variations */
	size_t n;
#define HEAD(ver, kind)                                                 \
	n = 0;                                                          \
	body[n++] = 0x97;                                               \
	body[n++] = (ver);                                              \
	body[n++] = (kind);                                             \
	body[n++] = 0xc4, body[n++] = 32, memcpy(body + n, k.pk, 32), n += 32; \
	body[n++] = 0xc4, body[n++] = 32, memcpy(body + n, k.pk, 32), n += 32; \
	body[n++] = 0x01;                                               \
	body[n++] = 0x02
	/* a valid retraction: [target, reason] */
	HEAD(1, REC_RETRACTION);
	body[n++] = 0x92;
	body[n++] = 0xc4, body[n++] = 32, memset(body + n, 1, 32), n += 32;
	body[n++] = 0xa0;
	assert_int_equal(open_raw_body(body, n), 0);
	HEAD(2, REC_RETRACTION);
	body[n++] = 0x92;
	body[n++] = 0xc4, body[n++] = 32, memset(body + n, 1, 32), n += 32;
	body[n++] = 0xa0;
	assert_int_equal(open_raw_body(body, n), SAMEN_EVERSION);
	HEAD(1, 9);
	body[n++] = 0x90;
	assert_int_equal(open_raw_body(body, n), SAMEN_EKIND);
	/* target too short */
	HEAD(1, REC_RETRACTION);
	body[n++] = 0x92;
	body[n++] = 0xc4, body[n++] = 31, memset(body + n, 1, 31), n += 31;
	body[n++] = 0xa0;
	assert_int_equal(open_raw_body(body, n), SAMEN_EMALFORMED);
	/* reason with a terminal escape sequence */
	HEAD(1, REC_RETRACTION);
	body[n++] = 0x92;
	body[n++] = 0xc4, body[n++] = 32, memset(body + n, 1, 32), n += 32;
	body[n++] = 0xa2, body[n++] = 0x1b, body[n++] = '[';
	assert_int_equal(open_raw_body(body, n), SAMEN_EMALFORMED);
	/* a lying array count inside the signed body */
	HEAD(1, REC_RETRACTION);
	body[n++] = 0xdd, body[n++] = 0xff, body[n++] = 0, body[n++] = 0, body[n++] = 0;
	assert_int_equal(open_raw_body(body, n), SAMEN_ETOOBIG);
	/* nesting past the body's depth */
	HEAD(1, REC_RETRACTION);
	body[n++] = 0x91, body[n++] = 0x91, body[n++] = 0xc0;
	assert_int_equal(open_raw_body(body, n), SAMEN_EDEPTH);
	/* seq 0 is not a sequence number */
	HEAD(1, REC_RETRACTION);
	body[71] = 0x00;
	body[n++] = 0x92;
	body[n++] = 0xc4, body[n++] = 32, memset(body + n, 1, 32), n += 32;
	body[n++] = 0xa0;
	assert_int_equal(open_raw_body(body, n), SAMEN_EMALFORMED);
#undef HEAD
}

static void test_oversized_refused(void **state)
{
	(void)state;
	struct record d;
	uint8_t *big = calloc(1, RECORD_MAX + 1);
	assert_int_equal(record_decode(big, RECORD_MAX + 1, &d), SAMEN_ETOOBIG);
	free(big);
}

static void test_field_ranges_on_sign(void **state)
{
	(void)state;
	struct kp k;
	struct record r;
	uint8_t *buf;
	size_t len, scratch_len = 2048;
	uint8_t scratch[2048];
	(void)scratch_len;
	seeded(&k, 0x40);
	fill_kind(&r, REC_CERT, &k, scratch);
	r.u.cert.role = 9;
	assert_int_equal(record_sign(&r, k.sk, &buf, &len), SAMEN_EINVAL);
	fill_kind(&r, REC_CERT, &k, scratch);
	r.u.cert.not_after = r.u.cert.not_before;
	assert_int_equal(record_sign(&r, k.sk, &buf, &len), SAMEN_EINVAL);
	fill_kind(&r, REC_CERT, &k, scratch);
	strcpy(r.u.cert.label, "Lindelaan\nvalid: forged"); /* one line only */
	assert_int_equal(record_sign(&r, k.sk, &buf, &len), SAMEN_EINVAL);
	fill_kind(&r, REC_SIGNAL, &k, scratch);
	r.u.signal.n_sealed = SIGNAL_AUTH_MAX + 1;
	assert_int_equal(record_sign(&r, k.sk, &buf, &len), SAMEN_EINVAL);
	fill_kind(&r, REC_PEER, &k, scratch);
	r.seq = 0;
	assert_int_equal(record_sign(&r, k.sk, &buf, &len), SAMEN_EINVAL);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_revocation_forms),
		cmocka_unit_test(test_roundtrip_every_kind),
		cmocka_unit_test(test_every_bit_flip_refused),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_signer_must_be_author),
		cmocka_unit_test(test_non_canonical_refused),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_oversized_refused),
		cmocka_unit_test(test_field_ranges_on_sign),
	};
	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
