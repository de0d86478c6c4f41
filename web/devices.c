/* SPDX-License-Identifier: EUPL-1.2 */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../keys/fileio.h"

#define FILE_MAX (64 * 1024) /* far more than DEVICES_MAX + PAIRINGS_MAX lines */

bool devices_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > DEVICE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s || strlen(s) > 19)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int parse_hash(const char *s, uint8_t out[32])
{
	size_t got = 0;
	if (strlen(s) != 64)
		return -1;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	return sodium_hex2bin(out, 32, s, 64, NULL, &got, NULL) == 0 && got == 32 ? 0 : -1;
}

/* One line (NUL-terminated, without its newline) into d. */
static int parse_line(struct devices *d, char *line)
{
	char *f[5];
	size_t n = 0;
	for (char *p = line; n < 5;) {
		f[n++] = p;
		p = strchr(p, ' ');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (n != 4)
		return SAMEN_EMALFORMED;
	if (strcmp(f[0], "device") == 0) {
		struct device *v;
		if (d->n_dev == DEVICES_MAX)
			return SAMEN_EMALFORMED;
		v = &d->dev[d->n_dev];
		if (!devices_name_ok(f[1]) || parse_hash(f[2], v->hash) < 0 ||
		    parse_u64(f[3], &v->created) < 0)
			return SAMEN_EMALFORMED;
		for (size_t i = 0; i < d->n_dev; i++)
			if (strcmp(d->dev[i].name, f[1]) == 0)
				return SAMEN_EMALFORMED;
		memcpy(v->name, f[1], strlen(f[1]) + 1);
		d->n_dev++;
		return 0;
	}
	if (strcmp(f[0], "pairing") == 0 && strcmp(f[1], "-") == 0) {
		struct pairing *p;
		if (d->n_pair == PAIRINGS_MAX)
			return SAMEN_EMALFORMED;
		p = &d->pair[d->n_pair];
		if (parse_hash(f[2], p->hash) < 0 || parse_u64(f[3], &p->expires) < 0)
			return SAMEN_EMALFORMED;
		d->n_pair++;
		return 0;
	}
	return SAMEN_EMALFORMED;
}

int devices_parse(struct devices *d, const char *text, size_t len)
{
	char line[160];
	memset(d, 0, sizeof(*d));
	while (len > 0) {
		const char *nl = memchr(text, '\n', len);
		size_t l = nl ? (size_t)(nl - text) : len;
		if (!nl || l >= sizeof(line) || memchr(text, '\0', l))
			return SAMEN_EMALFORMED; /* every line ends in a newline */
		memcpy(line, text, l);
		line[l] = '\0';
		int r = parse_line(d, line);
		if (r < 0)
			return r;
		text += l + 1;
		len -= l + 1;
	}
	return 0;
}

int devices_load(struct devices *d, const char *path)
{
	char *buf = NULL;
	ssize_t got;
	size_t len = 0;
	int ret, fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	memset(d, 0, sizeof(*d));
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	buf = malloc(FILE_MAX);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while ((got = read(fd, buf + len, FILE_MAX - len)) > 0)
		len += (size_t)got;
	ret = got < 0 ? -errno : len == FILE_MAX ? SAMEN_ETOOBIG : devices_parse(d, buf, len);
	close(fd);
	sodium_memzero(buf, FILE_MAX);
	free(buf);
	return ret;
}

int devices_save(const struct devices *d, const char *path)
{
	char hex[65], *text = NULL;
	size_t len = 0;
	FILE *m;

	m = open_memstream(&text, &len);
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_dev; i++) {
		sodium_bin2hex(hex, sizeof(hex), d->dev[i].hash, 32);
		fprintf(m, "device %s %s %" PRIu64 "\n", d->dev[i].name, hex, d->dev[i].created);
	}
	for (size_t i = 0; i < d->n_pair; i++) {
		sodium_bin2hex(hex, sizeof(hex), d->pair[i].hash, 32);
		fprintf(m, "pairing - %s %" PRIu64 "\n", hex, d->pair[i].expires);
	}
	if (fclose(m) != 0) {
		free(text);
		return -ENOMEM;
	}
	/* the tokens' hashes only, but still the household's: wiped */
	int ret = fileio_write_atomic(path, text, len);
	sodium_memzero(text, len);
	free(text);
	return ret;
}

void devices_new_token(char out[TOKEN_TEXT_LEN], uint8_t hash[32])
{
	uint8_t raw[32];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, TOKEN_TEXT_LEN, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_generichash(hash, 32, (const uint8_t *)out, TOKEN_TEXT_LEN - 1, NULL, 0);
	sodium_memzero(raw, sizeof(raw));
}

int devices_hash(const char *token, uint8_t hash[32])
{
	uint8_t raw[32];
	size_t got = 0;
	if (strlen(token) != TOKEN_TEXT_LEN - 1 ||
	    sodium_base642bin(raw, sizeof(raw), token, TOKEN_TEXT_LEN - 1, NULL, &got, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    got != 32)
		return SAMEN_EINVAL;
	sodium_memzero(raw, sizeof(raw));
	crypto_generichash(hash, 32, (const uint8_t *)token, TOKEN_TEXT_LEN - 1, NULL, 0);
	return 0;
}

const struct device *devices_find(const struct devices *d, const char *token)
{
	uint8_t h[32];
	const struct device *hit = NULL;
	if (devices_hash(token, h) < 0)
		return NULL;
	for (size_t i = 0; i < d->n_dev; i++)
		if (sodium_memcmp(h, d->dev[i].hash, 32) == 0)
			hit = &d->dev[i];
	return hit;
}

int devices_add_pairing(struct devices *d, uint64_t now, uint64_t expires,
			char code[TOKEN_TEXT_LEN])
{
	size_t k = 0;
	for (size_t i = 0; i < d->n_pair; i++)
		if (d->pair[i].expires > now)
			d->pair[k++] = d->pair[i];
	d->n_pair = k;
	if (d->n_pair == PAIRINGS_MAX) {
		memmove(&d->pair[0], &d->pair[1], (PAIRINGS_MAX - 1) * sizeof(d->pair[0]));
		d->n_pair--;
	}
	devices_new_token(code, d->pair[d->n_pair].hash);
	d->pair[d->n_pair++].expires = expires;
	return 0;
}

int devices_pair(struct devices *d, const char *code, const char *name, uint64_t now,
		 char token[TOKEN_TEXT_LEN])
{
	uint8_t h[32];
	size_t hit = SIZE_MAX;
	if (devices_hash(code, h) < 0)
		return SAMEN_ENOTFOUND;
	for (size_t i = 0; i < d->n_pair; i++)
		if (sodium_memcmp(h, d->pair[i].hash, 32) == 0 && d->pair[i].expires > now)
			hit = i;
	if (hit == SIZE_MAX)
		return SAMEN_ENOTFOUND;
	if (!devices_name_ok(name))
		return SAMEN_EINVAL;
	for (size_t i = 0; i < d->n_dev; i++)
		if (strcmp(d->dev[i].name, name) == 0)
			return SAMEN_EDUPLICATE;
	if (d->n_dev == DEVICES_MAX)
		return SAMEN_EFULL;
	struct device *v = &d->dev[d->n_dev++];
	memcpy(v->name, name, strlen(name) + 1);
	v->created = now;
	devices_new_token(token, v->hash);
	d->pair[hit] = d->pair[--d->n_pair]; /* used once */
	return 0;
}

int devices_lock(const char *path)
{
	char lock[4200];
	int fd;
	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
		return -ENAMETOOLONG;
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int e = -errno;
			close(fd);
			return e;
		}
	return fd;
}

int devices_remove(struct devices *d, const char *name)
{
	for (size_t i = 0; i < d->n_dev; i++)
		if (strcmp(d->dev[i].name, name) == 0) {
			d->dev[i] = d->dev[--d->n_dev];
			return 0;
		}
	return SAMEN_ENOTFOUND;
}
