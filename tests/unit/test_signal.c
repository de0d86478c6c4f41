/* SPDX-License-Identifier: EUPL-1.2 */
/* Signals: plaintext rules, encryption for members and authorities, epoch keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../proto/record.h"
#include "../../proto/mp.h"
#include "../../proto/mpmap.h"
#include "../../proto/signal.h"
#include "../../proto/sigview.h"

struct party {
	uint8_t pk[32], sk[64], cpk[32], csk[32];
};

static void party_new(struct party *p)
{
	crypto_sign_keypair(p->pk, p->sk);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(p->cpk, p->pk), 0);
	crypto_sign_ed25519_sk_to_curve25519(p->csk, p->sk);
}

static void alert_plain(struct signal_plain *p)
{
	memset(p, 0, sizeof(*p));
	p->kind = SIG_ALERT;
	p->category = CAT_BREAKIN_ATTEMPT;
	p->severity = SEV_SEVERE;
	p->status = STATUS_REAL;
	p->called112 = true;
	strcpy(p->description, "Iemand probeert autodeuren, loopt richting park");
	strcpy(p->where, "Lindelaan, hoek Beukenstraat");
	p->has_point = true;
	p->lat_e6 = 52090737;
	p->lon_e6 = 5121420;
	p->radius_m = 150;
	p->n_refs = 1;
	memset(p->refs[0], 0x5a, 32);
}

/* Encrypts and signs a signal by author; *buf receives the record bytes. */
static void make_signal(const struct party *author, const struct signal_plain *p,
			const uint8_t epoch_key[32], const uint8_t (*auth)[32], size_t n_auth,
			uint8_t **buf, size_t *len)
{
	struct record r;
	struct signal_buf sb;
	uint8_t epoch_id[32];
	memset(&r, 0, sizeof(r));
	memset(epoch_id, 0xe0, 32);
	r.kind = REC_SIGNAL;
	memcpy(r.nbhd, author->pk, 32);
	memcpy(r.author, author->pk, 32);
	r.seq = 3;
	r.created = 1800000000;
	assert_int_equal(signal_encrypt(&r, p, epoch_id, epoch_key, auth, n_auth, 1800003600, &sb),
			 0);
	assert_int_equal(record_sign(&r, author->sk, buf, len), 0);
}

static void test_member_roundtrip(void **state)
{
	(void)state;
	struct party a;
	struct signal_plain p, q;
	struct record d;
	uint8_t key[32], *buf;
	size_t len;
	party_new(&a);
	randombytes_buf(key, 32);
	alert_plain(&p);
	make_signal(&a, &p, key, NULL, 0, &buf, &len);
	assert_int_equal(record_open(buf, len, &d), 0);
	assert_int_equal(d.u.signal.n_sealed, 0);
	assert_int_equal(signal_decrypt_member(&d, key, &q), 0);
	assert_int_equal(q.kind, SIG_ALERT);
	assert_int_equal(q.category, CAT_BREAKIN_ATTEMPT);
	assert_true(q.called112);
	assert_string_equal(q.description, p.description);
	assert_string_equal(q.where, p.where);
	assert_true(q.has_point);
	assert_int_equal(q.lat_e6, 52090737);
	assert_int_equal(q.radius_m, 150);
	assert_int_equal(q.n_refs, 1);
	assert_memory_equal(q.refs[0], p.refs[0], 32);
	/* nothing of the text is visible in the record bytes */
	assert_null(memmem(buf, len, "autodeuren", 10));
	assert_null(memmem(buf, len, "Lindelaan", 9));
	free(buf);
}

static void test_wrong_epoch_key(void **state)
{
	(void)state;
	struct party a;
	struct signal_plain p, q;
	struct record d;
	uint8_t key[32], other[32], *buf;
	size_t len;
	party_new(&a);
	randombytes_buf(key, 32);
	randombytes_buf(other, 32);
	alert_plain(&p);
	make_signal(&a, &p, key, NULL, 0, &buf, &len);
	assert_int_equal(record_open(buf, len, &d), 0);
	assert_int_equal(signal_decrypt_member(&d, other, &q), SAMEN_EDECRYPT);
	free(buf);
}

/* The header is authenticated: the same ciphertext under another seq or
 * expiry does not open, even with the right key. */
static void test_header_bound(void **state)
{
	(void)state;
	struct party a;
	struct signal_plain p, q;
	struct record d;
	uint8_t key[32], *buf;
	size_t len;
	party_new(&a);
	randombytes_buf(key, 32);
	alert_plain(&p);
	make_signal(&a, &p, key, NULL, 0, &buf, &len);
	assert_int_equal(record_open(buf, len, &d), 0);
	d.seq++;
	assert_int_equal(signal_decrypt_member(&d, key, &q), SAMEN_EDECRYPT);
	d.seq--;
	d.u.signal.expires += 1;
	assert_int_equal(signal_decrypt_member(&d, key, &q), SAMEN_EDECRYPT);
	d.u.signal.expires -= 1;
	assert_int_equal(signal_decrypt_member(&d, key, &q), 0);
	free(buf);
}

static void test_authority_sharing(void **state)
{
	(void)state;
	struct party a, police, council, stranger;
	struct signal_plain p, q;
	struct record d;
	uint8_t key[32], auth[2][32], *buf;
	size_t len;
	party_new(&a);
	party_new(&police);
	party_new(&council);
	party_new(&stranger);
	randombytes_buf(key, 32);
	memcpy(auth[0], police.pk, 32);
	memcpy(auth[1], council.pk, 32);
	alert_plain(&p);
	make_signal(&a, &p, key, (const uint8_t(*)[32])auth, 2, &buf, &len);
	assert_int_equal(record_open(buf, len, &d), 0);
	assert_int_equal(d.u.signal.n_sealed, 2);
	assert_int_equal(signal_decrypt_authority(&d, police.pk, police.cpk, police.csk, &q), 0);
	assert_string_equal(q.description, p.description);
	assert_int_equal(signal_decrypt_authority(&d, council.pk, council.cpk, council.csk, &q), 0);
	assert_int_equal(
		signal_decrypt_authority(&d, stranger.pk, stranger.cpk, stranger.csk, &q),
		SAMEN_ENOKEY);
	/* a stranger that copies the police key's entry still cannot open it */
	assert_int_equal(signal_decrypt_authority(&d, police.pk, stranger.cpk, stranger.csk, &q),
			 SAMEN_EDECRYPT);
	free(buf);

	/* not shared: no authority can read it */
	make_signal(&a, &p, key, NULL, 0, &buf, &len);
	assert_int_equal(record_open(buf, len, &d), 0);
	assert_int_equal(signal_decrypt_authority(&d, police.pk, police.cpk, police.csk, &q),
			 SAMEN_ENOKEY);
	free(buf);
}

static void test_plain_rules(void **state)
{
	(void)state;
	struct signal_plain p, q;
	uint8_t buf[SIGNAL_PLAIN_MAX];
	size_t len;
	alert_plain(&p);
	assert_int_equal(signal_plain_encode(&p, buf, sizeof(buf), &len), 0);
	assert_int_equal(signal_plain_decode(buf, len, &q), 0);
	assert_int_equal(signal_plain_decode(buf, len - 1, &q), SAMEN_ETOOBIG); /* bin runs past the end */

	alert_plain(&p);
	p.category = 0;
	assert_int_equal(signal_plain_encode(&p, buf, sizeof(buf), &len), SAMEN_EINVAL);
	alert_plain(&p);
	p.ack = ACK_LOOKING; /* only an ack carries an ack kind */
	assert_int_equal(signal_plain_encode(&p, buf, sizeof(buf), &len), SAMEN_EINVAL);
	alert_plain(&p);
	p.lat_e6 = 91000000;
	assert_int_equal(signal_plain_encode(&p, buf, sizeof(buf), &len), SAMEN_EINVAL);
	alert_plain(&p);
	strcpy(p.description, "bad \xff utf-8");
	assert_int_equal(signal_plain_encode(&p, buf, sizeof(buf), &len), SAMEN_EINVAL);
	alert_plain(&p);
	memset(p.description, 'x', TEXT_MAX);
	p.description[TEXT_MAX] = '\0';
	memset(p.where, 'y', WHERE_MAX);
	p.where[WHERE_MAX] = '\0';
	p.n_refs = SIGNAL_REFS_MAX;
	assert_int_equal(signal_plain_encode(&p, buf, sizeof(buf), &len), 0); /* max fits */
	assert_int_equal(signal_plain_decode(buf, len, &q), 0);
	assert_int_equal(q.n_refs, SIGNAL_REFS_MAX);
}

/* The plaintext, like a record, has one encoding: the same values in a
 * longer form are refused, so that no two readers see one signal as two. */
static void test_plain_canonical(void **state)
{
	(void)state;
	struct signal_plain p, q;
	uint8_t buf[SIGNAL_PLAIN_MAX], alt[SIGNAL_PLAIN_MAX + 8];
	size_t len;
	alert_plain(&p);
	p.has_point = true;
	p.lat_e6 = 5; /* small: a positive fixint */
	p.lon_e6 = 5;
	p.radius_m = 100;
	assert_int_equal(signal_plain_encode(&p, buf, sizeof(buf), &len), 0);
	assert_int_equal(signal_plain_decode(buf, len, &q), 0);
	/* each variant: one value written in a form longer than the shortest */
	struct {
		size_t at;          /* the byte to widen */
		uint8_t with[3];    /* what replaces it */
		size_t n;
	} widen[] = {
		{1, {0xcc, 0x01}, 2},     /* kind 1 as uint8 */
		{1, {0xd0, 0x01}, 2},     /* kind 1 as int8 */
	};
	for (size_t i = 0; i < sizeof(widen) / sizeof(widen[0]); i++) {
		size_t at = widen[i].at, n = widen[i].n;
		memcpy(alt, buf, at);
		memcpy(alt + at, widen[i].with, n);
		memcpy(alt + at + n, buf + at + 1, len - at - 1);
		assert_int_not_equal(signal_plain_decode(alt, len + n - 1, &q), 0);
	}
	/* the point's lat 5 (a fixint, 0x05) written as int8 */
	uint8_t *pt = memchr(buf, 0x93, len); /* the point's array(3) header */
	assert_non_null(pt);
	assert_int_equal(pt[1], 0x05);
	size_t at = (size_t)(pt - buf) + 1;
	memcpy(alt, buf, at);
	alt[at] = 0xd0;
	alt[at + 1] = 0x05;
	memcpy(alt + at + 2, buf + at + 1, len - at - 1);
	assert_int_not_equal(signal_plain_decode(alt, len + 1, &q), 0);
}

static void test_epoch_seal_open(void **state)
{
	(void)state;
	struct party coord, m1, m2, outsider;
	uint8_t key[32], got[32], members[2][32], entries[2 * KEY_ENTRY_LEN], *buf;
	struct record r, d;
	size_t len;
	party_new(&coord);
	party_new(&m1);
	party_new(&m2);
	party_new(&outsider);
	randombytes_buf(key, 32);
	memcpy(members[0], m1.pk, 32);
	memcpy(members[1], m2.pk, 32);
	memset(&r, 0, sizeof(r));
	r.kind = REC_EPOCH;
	memcpy(r.nbhd, coord.pk, 32);
	memcpy(r.author, coord.pk, 32);
	r.seq = 1;
	r.created = 1800000000;
	assert_int_equal(epoch_seal(&r, 2, key, (const uint8_t(*)[32])members, 2, entries), 0);
	assert_int_equal(record_sign(&r, coord.sk, &buf, &len), 0);
	assert_int_equal(record_open(buf, len, &d), 0);
	assert_int_equal(d.u.epoch.number, 2);
	assert_int_equal(keyentry_open(d.u.epoch.entries, d.u.epoch.n_entries, m2.pk, m2.cpk,
				       m2.csk, got),
			 0);
	assert_memory_equal(got, key, 32);
	assert_int_equal(keyentry_open(d.u.epoch.entries, d.u.epoch.n_entries, outsider.pk,
				       outsider.cpk, outsider.csk, got),
			 SAMEN_ENOKEY);
	assert_null(memmem(buf, len, key, 32));
	free(buf);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(signal_category_parse("break-in-attempt"), CAT_BREAKIN_ATTEMPT);
	assert_string_equal(signal_category_name(CAT_MISSING), "missing-person");
	assert_int_equal(signal_category_parse("vampires"), SAMEN_EINVAL);
	assert_int_equal(signal_status_parse("exercise"), STATUS_EXERCISE);
	assert_string_equal(signal_kind_name(SIG_ALLCLEAR), "all-clear");
	assert_string_equal(signal_severity_name(0), "unknown");
}

/* The view of a plaintext has exactly the entries sigview_fields() counts,
 * with and without a point, so the maps samend and samen subscribe open
 * around it are well formed. */
static void test_sigview(void **state)
{
	(void)state;
	struct signal_plain p;
	char s[80];
	for (int point = 0; point < 2; point++) {
		msgpack_sbuffer sb;
		msgpack_packer pk;
		msgpack_unpacked u;
		alert_plain(&p);
		p.has_point = point;
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		assert_int_equal(msgpack_pack_map(&pk, sigview_fields(&p)), 0);
		assert_int_equal(sigview_pack(&pk, &p), 0);
		msgpack_unpacked_init(&u);
		assert_int_equal(mp_unpack((const uint8_t *)sb.data, sb.size, 4, &u), 0);
		assert_int_equal(u.data.via.map.size, point ? 12 : 9);
		assert_int_equal(mpmap_str(&u.data, "category", s, sizeof(s)), 0);
		assert_string_equal(s, "break-in-attempt");
		assert_true((mpmap_find(&u.data, "lat_e6") != NULL) == point);
		const msgpack_object *refs = mpmap_find(&u.data, "refs");
		assert_non_null(refs);
		assert_int_equal(refs->via.array.size, 1);
		assert_int_equal(refs->via.array.ptr[0].via.str.size, 64);
		assert_memory_equal(refs->via.array.ptr[0].via.str.ptr, "5a5a5a5a", 8);
		msgpack_unpacked_destroy(&u);
		msgpack_sbuffer_destroy(&sb);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_roundtrip),
		cmocka_unit_test(test_wrong_epoch_key),
		cmocka_unit_test(test_header_bound),
		cmocka_unit_test(test_authority_sharing),
		cmocka_unit_test(test_plain_rules),
		cmocka_unit_test(test_plain_canonical),
		cmocka_unit_test(test_epoch_seal_open),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sigview),
	};
	return cmocka_run_group_tests_name("signal", tests, NULL, NULL);
}
