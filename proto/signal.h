/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * signal.h — what a signal says, and how it is encrypted.
 *
 * The plaintext (struct signal_plain) is encoded as msgpack and encrypted
 * once with a fresh random content key (XChaCha20-Poly1305, additional data
 * = the record header, see signal_ad() and PROTOCOL.md). The content key is
 * wrapped under the neighbourhood's epoch key and, when the author shares the
 * signal, sealed (crypto_box_seal) to each chosen authority's X25519 key.
 * The record's signature covers the ciphertext, so relays verify authorship
 * without being able to read anything.
 */
#ifndef SAMEN_SIGNAL_H
#define SAMEN_SIGNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "record.h"

enum signal_kind { SIG_ALERT = 1, SIG_ACK = 2, SIG_UPDATE = 3, SIG_ALLCLEAR = 4 };

enum signal_category {
	CAT_SUSPICIOUS = 1,  /* suspicious situation */
	CAT_BURGLARY = 2,
	CAT_BREAKIN_ATTEMPT = 3,
	CAT_FIRE = 4,
	CAT_MEDICAL = 5,
	CAT_MISSING = 6,     /* missing person */
	CAT_NUISANCE = 7,
	CAT_OTHER = 8,
};

enum signal_severity { SEV_MINOR = 1, SEV_MODERATE = 2, SEV_SEVERE = 3, SEV_EXTREME = 4 };
enum signal_status { STATUS_REAL = 1, STATUS_TEST = 2, STATUS_EXERCISE = 3 };
enum signal_ack { ACK_NONE = 0, ACK_CALLED_112 = 1, ACK_LOOKING = 2, ACK_TEXT = 3 };

#define SIGNAL_REFS_MAX 8
#define SIGNAL_AD_LEN 136
#define SIGNAL_PLAIN_MAX (SIGNAL_CT_MAX - 16)
#define RADIUS_MAX 100000 /* metres */

struct signal_plain {
	uint8_t kind;        /* enum signal_kind */
	uint8_t category;    /* enum signal_category */
	uint8_t severity;    /* enum signal_severity */
	uint8_t status;      /* enum signal_status */
	bool called112;      /* the author (or this ack) called 112 */
	uint8_t ack;         /* enum signal_ack; ACK_NONE unless kind == SIG_ACK */
	char description[TEXT_MAX + 1]; /* behaviour, not appearance */
	char where[WHERE_MAX + 1];
	bool has_point;      /* a coarse point and radius */
	int32_t lat_e6, lon_e6; /* degrees * 1e6 */
	uint32_t radius_m;   /* 1 .. RADIUS_MAX */
	uint8_t n_refs;
	uint8_t refs[SIGNAL_REFS_MAX][32]; /* ids of earlier signals */
};

/* Storage a signal record borrows from until it is signed (record.h). */
struct signal_buf {
	uint8_t ct[SIGNAL_CT_MAX];
	uint8_t sealed[SIGNAL_AUTH_MAX * KEY_ENTRY_LEN];
};

/* Whether every field of p is in its range (PROTOCOL.md section 3.1): the
 * enumerations, ack only on an ack, at most SIGNAL_REFS_MAX refs, text that
 * fits and passes mp_text_ok(), a point on the globe with a radius. */
bool signal_plain_valid(const struct signal_plain *p);

/* Encodes p; returns 0 or SAMEN_EINVAL (a field out of range). */
int signal_plain_encode(const struct signal_plain *p, uint8_t *out, size_t cap,
			size_t *len) SAMEN_MUST_CHECK;
/* Strictly decodes a plaintext; returns 0 or SAMEN_EMALFORMED. */
int signal_plain_decode(const uint8_t *buf, size_t len, struct signal_plain *p)
	SAMEN_MUST_CHECK;

/* Writes the additional data for r (kind REC_SIGNAL, header set). */
void signal_ad(const struct record *r, uint8_t ad[SIGNAL_AD_LEN]);

/*
 * Fills r->u.signal for plaintext p. r's kind, nbhd, author, seq and created
 * must be set already (they are authenticated); r->u.signal borrows from buf.
 * authorities holds n_auth Ed25519 public keys (0 = not shared). Then sign
 * with record_sign(). Returns 0, SAMEN_EINVAL, or SAMEN_ETOOBIG.
 */
int signal_encrypt(struct record *r, const struct signal_plain *p,
		   const uint8_t epoch_id[32], const uint8_t epoch_key[32],
		   const uint8_t (*authorities)[32], size_t n_auth, uint64_t expires,
		   struct signal_buf *buf) SAMEN_MUST_CHECK;

/* As signal_encrypt(), for a plaintext already encoded (plain_len at most
 * SIGNAL_PLAIN_MAX): a receipt's (receipt.h) travels the same way. */
int signal_encrypt_bytes(struct record *r, const uint8_t *plain, size_t plain_len,
			 const uint8_t epoch_id[32], const uint8_t epoch_key[32],
			 const uint8_t (*authorities)[32], size_t n_auth, uint64_t expires,
			 struct signal_buf *buf) SAMEN_MUST_CHECK;

/* Decrypts with the epoch key named by r->u.signal.epoch_id. Returns 0,
 * SAMEN_EDECRYPT (wrong key or tampered) or SAMEN_EMALFORMED. */
int signal_decrypt_member(const struct record *r, const uint8_t epoch_key[32],
			  struct signal_plain *p) SAMEN_MUST_CHECK;
/* The same, without decoding: the plaintext's bytes into out (*len). */
int signal_decrypt_member_bytes(const struct record *r, const uint8_t epoch_key[32],
				uint8_t out[SIGNAL_PLAIN_MAX], size_t *len) SAMEN_MUST_CHECK;

/* Decrypts as an authority (its Ed25519 public key and X25519 key pair).
 * Returns SAMEN_ENOKEY if the signal was not shared with this key. */
int signal_decrypt_authority(const struct record *r, const uint8_t ed_pk[32],
			     const uint8_t curve_pk[32], const uint8_t curve_sk[32],
			     struct signal_plain *p) SAMEN_MUST_CHECK;

/* A key entry is recipient Ed25519 pk || crypto_box_seal(key32) to the
 * recipient's X25519 form. */
int keyentry_seal(uint8_t entry[KEY_ENTRY_LEN], const uint8_t ed_pk[32],
		  const uint8_t key[32]) SAMEN_MUST_CHECK;
/* Finds ed_pk among n entries and opens its sealed key into key_out.
 * Returns SAMEN_ENOKEY (no entry) or SAMEN_EDECRYPT. */
int keyentry_open(const uint8_t *entries, size_t n, const uint8_t ed_pk[32],
		  const uint8_t curve_pk[32], const uint8_t curve_sk[32],
		  uint8_t key_out[32]) SAMEN_MUST_CHECK;

/*
 * Builds an epoch-key record payload: a fresh key is the caller's (random
 * 32 bytes, e.g. from randombytes_buf), sealed to each of n members' keys
 * into entries (n * KEY_ENTRY_LEN bytes, borrowed by r until signed).
 */
int epoch_seal(struct record *r, uint64_t number, const uint8_t key[32],
	       const uint8_t (*members)[32], size_t n, uint8_t *entries) SAMEN_MUST_CHECK;

/* Names for the CLI and logs; parsers return the value or SAMEN_EINVAL. */
const char *signal_kind_name(unsigned v);
const char *signal_category_name(unsigned v);
const char *signal_severity_name(unsigned v);
const char *signal_status_name(unsigned v);
const char *signal_ack_name(unsigned v);
int signal_category_parse(const char *s);
int signal_severity_parse(const char *s);
int signal_status_parse(const char *s);

#endif
