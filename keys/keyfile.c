/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * keyfile.c — secret and public key files.
 *
 * The byte layout is in proto/PROTOCOL.md, "Key files". In short, a secret
 * key file is two lines:
 *
 *	samen-secret-key-v1
 *	<base64url, no padding, of the blob>
 *
 * and the blob is one of
 *
 *	0x00 seed[32] check[32]                                (plain)
 *	0x01 salt[16] ops[8] mem[8] nonce[24] ct[48] check[32] (Argon2id +
 *	                                                   XChaCha20-Poly1305)
 *
 * where check is BLAKE2b-256 of every blob byte before it. The check lets
 * us tell a damaged file (SAMEN_EKEYFILE) from a wrong passphrase, and
 * catches damage to a plain file at all, which would otherwise read back as
 * a valid, different key.
 *
 * Everything read from a file is untrusted: lengths are exact, the cost
 * parameters are capped before Argon2 sees them, and every buffer that ever
 * held the seed, a derived key or their encodings is wiped.
 */
#include "keyfile.h"
#include "fileio.h"
#include "keytext.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define SECRET_MAGIC "samen-secret-key-v1\n"
#define SECRET_MAGIC_LEN (sizeof(SECRET_MAGIC) - 1)

/* A valid secret file is at most 204 bytes; nothing bigger is ours. */
#define KEYFILE_MAX_SIZE 4096

enum keyfile_format {
	KEYFILE_PLAIN = 0,
	KEYFILE_ARGON2ID_XCHACHA = 1,
};

#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define SEED_BYTES crypto_sign_SEEDBYTES
#define CHECK_BYTES crypto_generichash_BYTES
#define SALT_BYTES crypto_pwhash_SALTBYTES
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define CT_BYTES (SEED_BYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)

/* Offsets in an encrypted blob. */
#define ENC_SALT 1
#define ENC_OPS (ENC_SALT + SALT_BYTES)
#define ENC_MEM (ENC_OPS + 8)
#define ENC_NONCE (ENC_MEM + 8)
#define ENC_CT (ENC_NONCE + NONCE_BYTES) /* = the AEAD's additional data */
#define ENC_CHECK (ENC_CT + CT_BYTES)

#define PLAIN_BLOB_BYTES (1 + SEED_BYTES + CHECK_BYTES)
#define ENC_BLOB_BYTES (ENC_CHECK + CHECK_BYTES)
#define MAX_BLOB_BYTES ENC_BLOB_BYTES
#define MAX_TEXT_BYTES \
	(SECRET_MAGIC_LEN + \
	 sodium_base64_ENCODED_LEN(MAX_BLOB_BYTES, B64_VARIANT) - 1 + 1)

/* The layout above is the file format: a library change must not move it. */
_Static_assert(SALT_BYTES == 16, "salt length is part of the file format");
_Static_assert(NONCE_BYTES == 24, "nonce length is part of the file format");
_Static_assert(CHECK_BYTES == 32, "check length is part of the file format");
_Static_assert(ENC_BLOB_BYTES == 137, "encrypted blob is 137 bytes");
_Static_assert(PLAIN_BLOB_BYTES == 65, "plain blob is 65 bytes");

/*
 * What we write: libsodium's "interactive" cost, so unlocking a key takes a
 * fraction of a second. The limits are stored in the file, so raising them
 * later leaves old files readable.
 */
#define WRITE_OPSLIMIT crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE
#define WRITE_MEMLIMIT crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE

/*
 * What we accept: a file must not make us allocate more than 1 GiB
 * (libsodium's "sensitive" level) or spin for minutes. 16 passes at 1 GiB
 * is already far beyond anything we would write.
 */
#define READ_OPSLIMIT_MIN crypto_pwhash_argon2id_OPSLIMIT_MIN
#define READ_OPSLIMIT_MAX 16ULL
#define READ_MEMLIMIT_MIN crypto_pwhash_argon2id_MEMLIMIT_MIN
#define READ_MEMLIMIT_MAX (1ULL << 30)

static int keyfile_sodium_init(void)
{
	/* Fails only without a source of randomness; see identity.c. */
	return sodium_init() < 0 ? -EIO : 0;
}

static void store64_be(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; --i) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t load64_be(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; ++i)
		v = (v << 8) | p[i];
	return v;
}

/* Wipes and frees sodium_malloc'ed memory; accepts NULL. */
static void secret_free(void *p, size_t len)
{
	if (!p)
		return;
	sodium_memzero(p, len);
	sodium_free(p);
}

/*
 * Creates path with mode and writes buf to it, durably. O_EXCL never
 * overwrites and, with O_NOFOLLOW, never writes through a symlink (an
 * existing symlink, dangling or not, gives -EEXIST). On failure the file we
 * created is removed, so there is never a half-written key file.
 */
static int keyfile_create(const char *path, const uint8_t *buf, size_t len,
			  mode_t mode)
{
	int fd, ret;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0)
		return -errno;
	ret = fileio_write_all(fd, buf, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	/* On Linux the descriptor is gone even when close() fails. */
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret)
		unlink(path);
	return ret;
}

/*
 * Reads a whole key file into buf (KEYFILE_MAX_SIZE + 1 bytes) after
 * checking what it is. O_NONBLOCK keeps a FIFO planted at path from hanging
 * us in open(); fstat() then refuses it. For secret files any group or
 * other permission bit is refused, as ssh and signify do: a key that others
 * could read may already be theirs.
 */
static int keyfile_slurp(const char *path, int secret, uint8_t *buf,
			 size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : SAMEN_EKEYFILE;
		goto out;
	}
	if (secret && (st.st_mode & 077)) {
		ret = SAMEN_EFILEMODE;
		goto out;
	}
	if (st.st_size > KEYFILE_MAX_SIZE) {
		ret = SAMEN_EKEYFILE;
		goto out;
	}

	/* The file may grow after fstat(); read one byte past the cap. */
	while (got < KEYFILE_MAX_SIZE + 1) {
		ssize_t n = read(fd, buf + got, KEYFILE_MAX_SIZE + 1 - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > KEYFILE_MAX_SIZE) {
		ret = SAMEN_EKEYFILE;
		goto out;
	}
	*len = got;
	ret = 0;
out:
	close(fd);
	return ret;
}

/* See keytext.c: libsodium 1.0.18 lets bytes >= 0x80 through base64. */
static int keyfile_is_ascii(const uint8_t *s, size_t len)
{
	unsigned int high = 0;
	size_t i;

	for (i = 0; i < len; ++i)
		high |= s[i] & 0x80U;
	return high == 0;
}

static void blob_check(const uint8_t *blob, size_t len, uint8_t out[32])
{
	crypto_generichash(out, CHECK_BYTES, blob, len, NULL, 0);
}

/*
 * Parses the text of a secret key file into blob (MAX_BLOB_BYTES). On
 * success the blob has the exact length of its format, a matching check and,
 * if encrypted, cost limits within our caps. Anything else is
 * SAMEN_EKEYFILE.
 */
static int keyfile_parse_secret(const uint8_t *text, size_t len, uint8_t *blob)
{
	const char *b64, *end = NULL;
	size_t b64_len, blob_len = 0, want;
	uint8_t check[CHECK_BYTES];
	uint64_t ops, mem;

	if (len < SECRET_MAGIC_LEN + 2 ||
	    memcmp(text, SECRET_MAGIC, SECRET_MAGIC_LEN) != 0 ||
	    text[len - 1] != '\n')
		return SAMEN_EKEYFILE;
	b64 = (const char *)text + SECRET_MAGIC_LEN;
	b64_len = len - SECRET_MAGIC_LEN - 1;
	if (!keyfile_is_ascii(text, len))
		return SAMEN_EKEYFILE;

	/*
	 * libsodium stops early at a byte outside the alphabet (a second
	 * newline, a CR, a space) and still returns 0: end must reach the
	 * final newline. It refuses input that would not fit in blob, and
	 * non-zero unused bits in the last character.
	 */
	if (sodium_base642bin(blob, MAX_BLOB_BYTES, b64, b64_len, NULL,
			      &blob_len, &end, B64_VARIANT) != 0 ||
	    end != b64 + b64_len || blob_len < 1)
		return SAMEN_EKEYFILE;

	switch (blob[0]) {
	case KEYFILE_PLAIN:
		want = PLAIN_BLOB_BYTES;
		break;
	case KEYFILE_ARGON2ID_XCHACHA:
		want = ENC_BLOB_BYTES;
		break;
	default:
		return SAMEN_EKEYFILE;
	}
	if (blob_len != want)
		return SAMEN_EKEYFILE;

	blob_check(blob, want - CHECK_BYTES, check);
	if (crypto_verify_32(check, blob + want - CHECK_BYTES) != 0)
		return SAMEN_EKEYFILE;

	if (blob[0] == KEYFILE_ARGON2ID_XCHACHA) {
		ops = load64_be(blob + ENC_OPS);
		mem = load64_be(blob + ENC_MEM);
		if (ops < READ_OPSLIMIT_MIN || ops > READ_OPSLIMIT_MAX ||
		    mem < READ_MEMLIMIT_MIN || mem > READ_MEMLIMIT_MAX)
			return SAMEN_EKEYFILE;
	}
	return 0;
}

/* Derives the file key from the passphrase with the blob's parameters. */
static int keyfile_derive(const uint8_t *blob, const char *passphrase,
			  uint8_t key[KEY_BYTES])
{
	/* Caps are checked by keyfile_parse_secret (or are our constants). */
	unsigned long long ops = load64_be(blob + ENC_OPS);
	size_t mem = (size_t)load64_be(blob + ENC_MEM);

	/* libsodium fails here only when it cannot allocate mem bytes. */
	if (crypto_pwhash(key, KEY_BYTES, passphrase, strlen(passphrase),
			  blob + ENC_SALT, ops, mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -ENOMEM;
	return 0;
}

static int keyfile_decrypt_seed(const uint8_t *blob, const char *passphrase,
				uint8_t seed[SEED_BYTES])
{
	uint8_t *key;
	unsigned long long seed_len = 0;
	int ret;

	key = sodium_malloc(KEY_BYTES);
	if (!key)
		return -ENOMEM;
	ret = keyfile_derive(blob, passphrase, key);
	if (ret < 0)
		goto out;
	/*
	 * The check already proved the file undamaged, so an authentication
	 * failure means the key is wrong, i.e. the passphrase. The header
	 * bytes are additional data: changing the cost, salt or format byte
	 * fails here too.
	 */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    seed, &seed_len, NULL, blob + ENC_CT, CT_BYTES, blob, ENC_CT,
		    blob + ENC_NONCE, key) != 0 ||
	    seed_len != SEED_BYTES) {
		ret = SAMEN_EPASSPHRASE;
		goto out;
	}
	ret = 0;
out:
	secret_free(key, KEY_BYTES);
	return ret;
}

/* Fills blob with the encrypted form of seed; returns its length. */
static int keyfile_encrypt_seed(const uint8_t seed[SEED_BYTES],
				const char *passphrase, uint8_t *blob)
{
	uint8_t *key;
	int ret;

	blob[0] = KEYFILE_ARGON2ID_XCHACHA;
	randombytes_buf(blob + ENC_SALT, SALT_BYTES);
	store64_be(blob + ENC_OPS, WRITE_OPSLIMIT);
	store64_be(blob + ENC_MEM, WRITE_MEMLIMIT);
	/* A random 24-byte nonce under a key derived from a fresh salt:
	 * reuse is out of the question. */
	randombytes_buf(blob + ENC_NONCE, NONCE_BYTES);

	key = sodium_malloc(KEY_BYTES);
	if (!key)
		return -ENOMEM;
	ret = keyfile_derive(blob, passphrase, key);
	if (ret < 0)
		goto out;
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + ENC_CT, NULL, seed,
						   SEED_BYTES, blob, ENC_CT,
						   NULL, blob + ENC_NONCE, key);
	ret = ENC_BLOB_BYTES;
out:
	secret_free(key, KEY_BYTES);
	return ret;
}

int keyfile_write_secret(const char *path, const struct identity *id,
			 const char *passphrase)
{
	uint8_t *seed = NULL, *blob = NULL, *text = NULL;
	size_t blob_len, text_len;
	int ret;

	if (!path || !id || !id->sk)
		return SAMEN_EINVAL;
	ret = keyfile_sodium_init();
	if (ret < 0)
		return ret;

	seed = sodium_malloc(SEED_BYTES);
	blob = sodium_malloc(MAX_BLOB_BYTES);
	text = sodium_malloc(MAX_TEXT_BYTES + 1);
	if (!seed || !blob || !text) {
		ret = -ENOMEM;
		goto out;
	}
	crypto_sign_ed25519_sk_to_seed(seed, id->sk);

	if (passphrase && *passphrase) {
		ret = keyfile_encrypt_seed(seed, passphrase, blob);
		if (ret < 0)
			goto out;
		blob_len = (size_t)ret;
	} else {
		blob[0] = KEYFILE_PLAIN;
		memcpy(blob + 1, seed, SEED_BYTES);
		blob_len = PLAIN_BLOB_BYTES;
	}
	blob_check(blob, blob_len - CHECK_BYTES, blob + blob_len - CHECK_BYTES);

	memcpy(text, SECRET_MAGIC, SECRET_MAGIC_LEN);
	sodium_bin2base64((char *)text + SECRET_MAGIC_LEN,
			  MAX_TEXT_BYTES + 1 - SECRET_MAGIC_LEN, blob, blob_len,
			  B64_VARIANT);
	text_len = strlen((char *)text);
	text[text_len++] = '\n';

	ret = keyfile_create(path, text, text_len, 0600);
out:
	secret_free(text, MAX_TEXT_BYTES + 1);
	secret_free(blob, MAX_BLOB_BYTES);
	secret_free(seed, SEED_BYTES);
	return ret;
}

/*
 * Reads and parses a secret key file into blob. Shared by
 * keyfile_read_secret() and keyfile_is_encrypted(), so the latter refuses
 * exactly what the former would.
 */
static int keyfile_load_secret(const char *path, uint8_t *blob)
{
	uint8_t *text;
	size_t len = 0;
	int ret;

	text = sodium_malloc(KEYFILE_MAX_SIZE + 1);
	if (!text)
		return -ENOMEM;
	ret = keyfile_slurp(path, 1, text, &len);
	if (ret < 0)
		goto out;
	ret = keyfile_parse_secret(text, len, blob);
out:
	secret_free(text, KEYFILE_MAX_SIZE + 1);
	return ret;
}

int keyfile_read_secret(const char *path, const char *passphrase,
			struct identity **out)
{
	uint8_t *blob = NULL, *seed = NULL;
	int ret;

	if (!path || !out)
		return SAMEN_EINVAL;
	*out = NULL;
	ret = keyfile_sodium_init();
	if (ret < 0)
		return ret;

	blob = sodium_malloc(MAX_BLOB_BYTES);
	seed = sodium_malloc(SEED_BYTES);
	if (!blob || !seed) {
		ret = -ENOMEM;
		goto out;
	}
	ret = keyfile_load_secret(path, blob);
	if (ret < 0)
		goto out;

	if (blob[0] == KEYFILE_PLAIN) {
		/* A passphrase given for a plain file is ignored. */
		memcpy(seed, blob + 1, SEED_BYTES);
	} else {
		if (!passphrase || !*passphrase) {
			ret = SAMEN_ENEEDPASS;
			goto out;
		}
		ret = keyfile_decrypt_seed(blob, passphrase, seed);
		if (ret < 0)
			goto out;
	}
	ret = identity_from_seed(seed, out);
out:
	secret_free(seed, SEED_BYTES);
	secret_free(blob, MAX_BLOB_BYTES);
	return ret;
}

int keyfile_is_encrypted(const char *path)
{
	uint8_t *blob;
	int ret;

	if (!path)
		return SAMEN_EINVAL;
	ret = keyfile_sodium_init();
	if (ret < 0)
		return ret;
	blob = sodium_malloc(MAX_BLOB_BYTES);
	if (!blob)
		return -ENOMEM;
	ret = keyfile_load_secret(path, blob);
	if (ret == 0)
		ret = blob[0] == KEYFILE_ARGON2ID_XCHACHA;
	secret_free(blob, MAX_BLOB_BYTES);
	return ret;
}

int keyfile_write_public(const char *path, const uint8_t pk[32])
{
	char text[KEYTEXT_LEN];

	if (!path || !pk)
		return SAMEN_EINVAL;
	keytext_encode(pk, text);
	text[KEYTEXT_LEN - 1] = '\n'; /* the NUL becomes the newline */
	return keyfile_create(path, (const uint8_t *)text, KEYTEXT_LEN, 0644);
}

int keyfile_read_public(const char *path, uint8_t pk[32])
{
	uint8_t text[KEYFILE_MAX_SIZE + 1];
	size_t len = 0;
	int ret;

	if (!path || !pk)
		return SAMEN_EINVAL;
	ret = keyfile_slurp(path, 0, text, &len);
	if (ret < 0)
		return ret;
	/* A NUL would hide whatever follows it from keytext_decode(). */
	if (memchr(text, '\0', len))
		return SAMEN_EKEYFILE;
	text[len] = '\0';
	if (keytext_decode((const char *)text, pk) != 0)
		return SAMEN_EKEYFILE;
	return 0;
}
