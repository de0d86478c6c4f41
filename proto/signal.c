/* SPDX-License-Identifier: EUPL-1.2 */
#include "signal.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "mp.h"

#define PLAIN_FIELDS 10
#define PLAIN_DEPTH 2 /* plaintext array > point array */
#define SIGNAL_AD_PREFIX "samen signal v1" /* + NUL = 16 bytes */

/* ---- plaintext ---- */

bool signal_plain_valid(const struct signal_plain *p)
{
	size_t dl = strnlen(p->description, TEXT_MAX + 1);
	size_t wl = strnlen(p->where, WHERE_MAX + 1);

	if (p->kind < SIG_ALERT || p->kind > SIG_ALLCLEAR || p->category < CAT_SUSPICIOUS ||
	    p->category > CAT_OTHER || p->severity < SEV_MINOR || p->severity > SEV_EXTREME ||
	    p->status < STATUS_REAL || p->status > STATUS_EXERCISE || p->ack > ACK_TEXT ||
	    (p->ack != ACK_NONE && p->kind != SIG_ACK) || p->n_refs > SIGNAL_REFS_MAX)
		return false;
	if (dl > TEXT_MAX || wl > WHERE_MAX || !mp_text_ok(p->description, dl) ||
	    !mp_text_ok(p->where, wl))
		return false;
	if (p->has_point && (p->lat_e6 < -90000000 || p->lat_e6 > 90000000 ||
			     p->lon_e6 < -180000000 || p->lon_e6 > 180000000 ||
			     p->radius_m == 0 || p->radius_m > RADIUS_MAX))
		return false;
	return true;
}

int signal_plain_encode(const struct signal_plain *p, uint8_t *out, size_t cap, size_t *len)
{
	struct mp_buf b;
	int e = 0, ret;

	if (!signal_plain_valid(p))
		return SAMEN_EINVAL;
	/* The plaintext stays below msgpack-c's first allocation (8 KiB), so
	 * the sbuffer never reallocs and leaves no stale copy behind. */
	mp_buf_init(&b);
	e |= msgpack_pack_array(&b.pk, PLAIN_FIELDS);
	e |= msgpack_pack_uint8(&b.pk, p->kind);
	e |= msgpack_pack_uint8(&b.pk, p->category);
	e |= msgpack_pack_uint8(&b.pk, p->severity);
	e |= msgpack_pack_uint8(&b.pk, p->status);
	e |= p->called112 ? msgpack_pack_true(&b.pk) : msgpack_pack_false(&b.pk);
	e |= msgpack_pack_uint8(&b.pk, p->ack);
	e |= mp_pack_str(&b.pk, p->description);
	e |= mp_pack_str(&b.pk, p->where);
	if (p->has_point) {
		e |= msgpack_pack_array(&b.pk, 3);
		e |= msgpack_pack_int32(&b.pk, p->lat_e6);
		e |= msgpack_pack_int32(&b.pk, p->lon_e6);
		e |= msgpack_pack_uint32(&b.pk, p->radius_m);
	} else {
		e |= msgpack_pack_nil(&b.pk);
	}
	e |= mp_pack_bin(&b.pk, p->refs, (size_t)p->n_refs * 32);
	if (e) {
		ret = -ENOMEM;
	} else if (b.sb.size > cap) {
		ret = SAMEN_ETOOBIG;
	} else {
		memcpy(out, b.sb.data, b.sb.size);
		*len = b.sb.size;
		ret = 0;
	}
	mp_buf_destroy(&b);
	return ret;
}

int signal_plain_decode(const uint8_t *buf, size_t len, struct signal_plain *p)
{
	msgpack_unpacked u;
	const msgpack_object *f, *pt;
	uint64_t v[4], ack;
	int64_t lat, lon;
	const uint8_t *refs;
	size_t nrefs;
	int e = 0, ret;

	memset(p, 0, sizeof(*p));
	msgpack_unpacked_init(&u);
	ret = mp_unpack(buf, len, PLAIN_DEPTH, &u);
	if (ret < 0)
		goto out;
	ret = SAMEN_EMALFORMED;
	if (mp_get_array(&u.data, PLAIN_FIELDS, &f))
		goto out;
	for (int i = 0; i < 4; i++)
		e |= mp_get_uint(&f[i], 255, &v[i]);
	e |= mp_get_bool(&f[4], &p->called112);
	e |= mp_get_uint(&f[5], 255, &ack);
	e |= mp_get_str(&f[6], p->description, sizeof(p->description));
	e |= mp_get_str(&f[7], p->where, sizeof(p->where));
	if (f[8].type != MSGPACK_OBJECT_NIL) {
		uint64_t radius;
		e |= mp_get_array(&f[8], 3, &pt);
		if (!e) {
			e |= mp_get_int(&pt[0], -90000000, 90000000, &lat);
			e |= mp_get_int(&pt[1], -180000000, 180000000, &lon);
			e |= mp_get_uint(&pt[2], RADIUS_MAX, &radius);
			p->has_point = true;
			p->lat_e6 = (int32_t)lat;
			p->lon_e6 = (int32_t)lon;
			p->radius_m = (uint32_t)radius;
		}
	}
	e |= mp_get_bin(&f[9], SIGNAL_REFS_MAX * 32, 32, &refs, &nrefs);
	if (e)
		goto out;
	p->kind = (uint8_t)v[0];
	p->category = (uint8_t)v[1];
	p->severity = (uint8_t)v[2];
	p->status = (uint8_t)v[3];
	p->ack = (uint8_t)ack;
	p->n_refs = (uint8_t)(nrefs / 32);
	memcpy(p->refs, refs, nrefs);
	ret = signal_plain_valid(p) ? 0 : SAMEN_EMALFORMED;
	/* canonical, as a record is (PROTOCOL.md section 3.1): one signal has
	 * one plaintext, whoever reads it */
	if (ret == 0) {
		uint8_t again[4096];
		size_t again_len = 0;
		if (len > sizeof(again) || signal_plain_encode(p, again, sizeof(again), &again_len) != 0 ||
		    again_len != len || memcmp(again, buf, len) != 0)
			ret = SAMEN_EMALFORMED;
		sodium_memzero(again, sizeof(again));
	}
out:
	if (ret != 0)
		sodium_memzero(p, sizeof(*p));
	msgpack_unpacked_destroy(&u);
	return ret;
}

/* ---- encryption ---- */

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void signal_ad(const struct record *r, uint8_t ad[SIGNAL_AD_LEN])
{
	uint8_t *p = ad;
	memcpy(p, SIGNAL_AD_PREFIX, 16), p += 16;
	memcpy(p, r->nbhd, 32), p += 32;
	memcpy(p, r->author, 32), p += 32;
	be64(p, r->seq), p += 8;
	be64(p, r->created), p += 8;
	memcpy(p, r->u.signal.epoch_id, 32), p += 32;
	be64(p, r->u.signal.expires);
}

int keyentry_seal(uint8_t entry[KEY_ENTRY_LEN], const uint8_t ed_pk[32], const uint8_t key[32])
{
	uint8_t curve_pk[32];
	if (crypto_sign_ed25519_pk_to_curve25519(curve_pk, ed_pk) != 0)
		return SAMEN_EINVAL;
	memcpy(entry, ed_pk, 32);
	if (crypto_box_seal(entry + 32, key, 32, curve_pk) != 0)
		return SAMEN_EINVAL;
	return 0;
}

int keyentry_open(const uint8_t *entries, size_t n, const uint8_t ed_pk[32],
		  const uint8_t curve_pk[32], const uint8_t curve_sk[32], uint8_t key_out[32])
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = entries + i * KEY_ENTRY_LEN;
		if (sodium_memcmp(e, ed_pk, 32) != 0)
			continue;
		if (crypto_box_seal_open(key_out, e + 32, SEALED_KEY_LEN, curve_pk, curve_sk) != 0)
			return SAMEN_EDECRYPT;
		return 0;
	}
	return SAMEN_ENOKEY;
}

int signal_encrypt_bytes(struct record *r, const uint8_t *plain, size_t plain_len,
			 const uint8_t epoch_id[32], const uint8_t epoch_key[32],
			 const uint8_t (*authorities)[32], size_t n_auth, uint64_t expires,
			 struct signal_buf *buf)
{
	struct rec_signal *s = &r->u.signal;
	uint8_t ad[SIGNAL_AD_LEN], ck[32];
	unsigned long long clen;
	int ret;

	if (r->kind != REC_SIGNAL || n_auth > SIGNAL_AUTH_MAX || plain_len > SIGNAL_PLAIN_MAX)
		return SAMEN_EINVAL;
	memset(s, 0, sizeof(*s));
	memcpy(s->epoch_id, epoch_id, 32);
	s->expires = expires;
	signal_ad(r, ad);

	crypto_aead_xchacha20poly1305_ietf_keygen(ck);
	randombytes_buf(s->nonce, sizeof(s->nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf->ct, &clen, plain, plain_len, ad,
						   sizeof(ad), NULL, s->nonce, ck);
	s->ct = buf->ct;
	s->ct_len = (size_t)clen;

	randombytes_buf(s->wrap_nonce, sizeof(s->wrap_nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(s->wrapped, &clen, ck, sizeof(ck), ad,
						   sizeof(ad), NULL, s->wrap_nonce, epoch_key);

	for (size_t i = 0; i < n_auth; i++) {
		ret = keyentry_seal(buf->sealed + i * KEY_ENTRY_LEN, authorities[i], ck);
		if (ret < 0)
			goto out;
	}
	s->sealed = buf->sealed;
	s->n_sealed = n_auth;
	ret = 0;
out:
	sodium_memzero(ck, sizeof(ck));
	return ret;
}

int signal_encrypt(struct record *r, const struct signal_plain *p, const uint8_t epoch_id[32],
		   const uint8_t epoch_key[32], const uint8_t (*authorities)[32], size_t n_auth,
		   uint64_t expires, struct signal_buf *buf)
{
	uint8_t plain[SIGNAL_PLAIN_MAX];
	size_t plain_len = 0;
	int ret = signal_plain_encode(p, plain, sizeof(plain), &plain_len);
	if (ret == 0)
		ret = signal_encrypt_bytes(r, plain, plain_len, epoch_id, epoch_key, authorities,
					   n_auth, expires, buf);
	sodium_memzero(plain, sizeof(plain));
	return ret;
}

/* Opens the ciphertext with content key ck into out (SIGNAL_PLAIN_MAX). */
static int open_bytes(const struct record *r, const uint8_t ck[32], const uint8_t ad[SIGNAL_AD_LEN],
		      uint8_t *out, size_t *len)
{
	const struct rec_signal *s = &r->u.signal;
	unsigned long long plen;

	if (s->ct_len > SIGNAL_PLAIN_MAX + crypto_aead_xchacha20poly1305_ietf_ABYTES)
		return SAMEN_EMALFORMED;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &plen, NULL, s->ct, s->ct_len, ad,
						       SIGNAL_AD_LEN, s->nonce, ck) != 0)
		return SAMEN_EDECRYPT;
	*len = (size_t)plen;
	return 0;
}

/* Opens the ciphertext with content key ck and decodes it. */
static int open_body(const struct record *r, const uint8_t ck[32], const uint8_t ad[SIGNAL_AD_LEN],
		     struct signal_plain *p)
{
	uint8_t plain[SIGNAL_PLAIN_MAX];
	size_t plen = 0;
	int ret = open_bytes(r, ck, ad, plain, &plen);
	if (ret == 0)
		ret = signal_plain_decode(plain, plen, p);
	sodium_memzero(plain, sizeof(plain));
	return ret;
}

/* The content key under the epoch key. */
static int unwrap(const struct record *r, const uint8_t epoch_key[32], uint8_t ad[SIGNAL_AD_LEN],
		  uint8_t ck[32])
{
	const struct rec_signal *s = &r->u.signal;
	unsigned long long klen;

	if (r->kind != REC_SIGNAL)
		return SAMEN_EKIND;
	signal_ad(r, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(ck, &klen, NULL, s->wrapped,
						       sizeof(s->wrapped), ad, SIGNAL_AD_LEN,
						       s->wrap_nonce, epoch_key) != 0 ||
	    klen != 32)
		return SAMEN_EDECRYPT;
	return 0;
}

int signal_decrypt_member(const struct record *r, const uint8_t epoch_key[32],
			  struct signal_plain *p)
{
	uint8_t ad[SIGNAL_AD_LEN], ck[32];
	int ret = unwrap(r, epoch_key, ad, ck);
	if (ret == 0)
		ret = open_body(r, ck, ad, p);
	sodium_memzero(ck, sizeof(ck));
	return ret;
}

int signal_decrypt_member_bytes(const struct record *r, const uint8_t epoch_key[32],
				uint8_t out[SIGNAL_PLAIN_MAX], size_t *len)
{
	uint8_t ad[SIGNAL_AD_LEN], ck[32];
	int ret = unwrap(r, epoch_key, ad, ck);
	if (ret == 0)
		ret = open_bytes(r, ck, ad, out, len);
	sodium_memzero(ck, sizeof(ck));
	return ret;
}

int signal_decrypt_authority(const struct record *r, const uint8_t ed_pk[32],
			     const uint8_t curve_pk[32], const uint8_t curve_sk[32],
			     struct signal_plain *p)
{
	uint8_t ad[SIGNAL_AD_LEN], ck[32];
	int ret;

	if (r->kind != REC_SIGNAL)
		return SAMEN_EKIND;
	ret = keyentry_open(r->u.signal.sealed, r->u.signal.n_sealed, ed_pk, curve_pk, curve_sk,
			    ck);
	if (ret < 0)
		return ret;
	signal_ad(r, ad);
	ret = open_body(r, ck, ad, p);
	sodium_memzero(ck, sizeof(ck));
	return ret;
}

int epoch_seal(struct record *r, uint64_t number, const uint8_t key[32],
	       const uint8_t (*members)[32], size_t n, uint8_t *entries)
{
	if (r->kind != REC_EPOCH || number == 0 || n == 0 || n > EPOCH_MEMBERS_MAX)
		return SAMEN_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int ret = keyentry_seal(entries + i * KEY_ENTRY_LEN, members[i], key);
		if (ret < 0)
			return ret;
	}
	r->u.epoch.number = number;
	r->u.epoch.entries = entries;
	r->u.epoch.n_entries = n;
	return 0;
}

/* ---- names ---- */

#define NAME_TABLE(fn, parse, ...)                                              \
	static const char *const fn##_tab[] = {__VA_ARGS__};                    \
	const char *fn(unsigned v)                                              \
	{                                                                       \
		return v < sizeof(fn##_tab) / sizeof(fn##_tab[0]) && fn##_tab[v] \
			       ? fn##_tab[v]                                    \
			       : "unknown";                                     \
	}                                                                       \
	int parse(const char *s)                                                \
	{                                                                       \
		for (unsigned i = 0; i < sizeof(fn##_tab) / sizeof(fn##_tab[0]); i++) \
			if (fn##_tab[i] && strcmp(s, fn##_tab[i]) == 0)         \
				return (int)i;                                  \
		return SAMEN_EINVAL;                                            \
	}

NAME_TABLE(signal_category_name, signal_category_parse, [CAT_SUSPICIOUS] = "suspicious",
	   [CAT_BURGLARY] = "burglary", [CAT_BREAKIN_ATTEMPT] = "break-in-attempt",
	   [CAT_FIRE] = "fire", [CAT_MEDICAL] = "medical", [CAT_MISSING] = "missing-person",
	   [CAT_NUISANCE] = "nuisance", [CAT_OTHER] = "other")
NAME_TABLE(signal_severity_name, signal_severity_parse, [SEV_MINOR] = "minor",
	   [SEV_MODERATE] = "moderate", [SEV_SEVERE] = "severe", [SEV_EXTREME] = "extreme")
NAME_TABLE(signal_status_name, signal_status_parse, [STATUS_REAL] = "real",
	   [STATUS_TEST] = "test", [STATUS_EXERCISE] = "exercise")

const char *signal_kind_name(unsigned v)
{
	static const char *const t[] = {[SIG_ALERT] = "alert", [SIG_ACK] = "ack",
					[SIG_UPDATE] = "update", [SIG_ALLCLEAR] = "all-clear"};
	return v < sizeof(t) / sizeof(t[0]) && t[v] ? t[v] : "unknown";
}

const char *signal_ack_name(unsigned v)
{
	static const char *const t[] = {[ACK_NONE] = "none", [ACK_CALLED_112] = "112-called",
					[ACK_LOOKING] = "looking", [ACK_TEXT] = "text"};
	return v < sizeof(t) / sizeof(t[0]) ? t[v] : "unknown";
}
