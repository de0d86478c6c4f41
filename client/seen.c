/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * seen.c — the persistent, bounded set of output record ids (seen.h).
 *
 * In memory the slots mirror the file; a hash table (linear probing, keyed
 * with a random key so a relay cannot pick ids that collide) finds an id's
 * slot. An id whose slot is reused leaves the table by backward-shift
 * deletion, so no tombstones build up.
 */
#include "seen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define MAGIC "SMNSEEN1"
#define MAGIC_LEN 8
#define SLOT_LEN (8 + 32 + 32)
#define HASH_SIZE (2 * SEEN_MAX) /* a power of two */
#define EMPTY UINT32_MAX

struct seen_set {
	int fd;
	uint8_t (*ids)[32];
	uint8_t (*authors)[32];
	uint64_t *serials; /* 0: empty */
	uint32_t *hash;    /* slot numbers, EMPTY */
	uint64_t next_serial;
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
	struct seen_pending pending;
};

static size_t slot_of(uint64_t serial)
{
	return (size_t)((serial - 1) % SEEN_MAX);
}

static size_t home(const struct seen_set *s, const uint8_t id[32])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;
	crypto_shorthash(h, id, 32, s->hash_key);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (HASH_SIZE - 1));
}

/* The hash position holding id, or the empty one where it would go. */
static size_t probe(const struct seen_set *s, const uint8_t id[32])
{
	size_t i = home(s, id);
	while (s->hash[i] != EMPTY && memcmp(s->ids[s->hash[i]], id, 32) != 0)
		i = (i + 1) & (HASH_SIZE - 1);
	return i;
}

static void hash_remove(struct seen_set *s, size_t slot)
{
	size_t i = probe(s, s->ids[slot]);
	if (s->hash[i] != slot)
		return;
	s->hash[i] = EMPTY;
	for (size_t j = (i + 1) & (HASH_SIZE - 1); s->hash[j] != EMPTY; j = (j + 1) & (HASH_SIZE - 1)) {
		size_t h = home(s, s->ids[s->hash[j]]);
		/* the entry at j may move to i unless its home lies in (i, j] */
		bool stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
		if (!stays) {
			s->hash[i] = s->hash[j];
			s->hash[j] = EMPTY;
			i = j;
		}
	}
}

static void put(struct seen_set *s, uint64_t serial, const uint8_t id[32], const uint8_t author[32])
{
	size_t k = slot_of(serial);
	if (s->serials[k])
		hash_remove(s, k);
	s->serials[k] = serial;
	memcpy(s->ids[k], id, 32);
	memcpy(s->authors[k], author, 32);
	size_t i = probe(s, id);
	if (s->hash[i] == EMPTY)
		s->hash[i] = (uint32_t)k;
}

static void load_le(uint64_t *v, const uint8_t *p)
{
	*v = 0;
	for (int i = 7; i >= 0; i--)
		*v = (*v << 8) | p[i];
}

static void store_le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static int load(struct seen_set *s)
{
	uint8_t magic[MAGIC_LEN], slot[SLOT_LEN];
	ssize_t n = pread(s->fd, magic, MAGIC_LEN, 0);
	if (n == 0)
		return pwrite(s->fd, MAGIC, MAGIC_LEN, 0) == MAGIC_LEN ? 0 : -EIO;
	if (n != MAGIC_LEN || memcmp(magic, MAGIC, MAGIC_LEN) != 0)
		return SAMEN_EMALFORMED;
	/* slots first, then the table: a slot's place is fixed by its serial */
	for (size_t k = 0; k < SEEN_MAX; k++) {
		uint64_t serial;
		if (pread(s->fd, slot, SLOT_LEN, MAGIC_LEN + (off_t)k * SLOT_LEN) != SLOT_LEN)
			break;
		load_le(&serial, slot);
		if (serial == 0 || slot_of(serial) != k)
			continue; /* empty, or torn */
		s->serials[k] = serial;
		memcpy(s->ids[k], slot + 8, 32);
		memcpy(s->authors[k], slot + 40, 32);
		if (serial >= s->next_serial)
			s->next_serial = serial + 1;
	}
	for (size_t k = 0; k < SEEN_MAX; k++)
		if (s->serials[k]) {
			size_t i = probe(s, s->ids[k]);
			if (s->hash[i] == EMPTY || s->serials[s->hash[i]] < s->serials[k])
				s->hash[i] = (uint32_t)k;
		}
	return 0;
}

int seen_open(struct seen_set **out, const char *path)
{
	struct seen_set *s = calloc(1, sizeof(*s));
	int ret = -ENOMEM;
	if (!s)
		return ret;
	s->fd = -1;
	s->ids = calloc(SEEN_MAX, 32);
	s->authors = calloc(SEEN_MAX, 32);
	s->serials = calloc(SEEN_MAX, sizeof(*s->serials));
	s->hash = malloc(HASH_SIZE * sizeof(*s->hash));
	if (!s->ids || !s->authors || !s->serials || !s->hash)
		goto fail;
	memset(s->hash, 0xff, HASH_SIZE * sizeof(*s->hash));
	randombytes_buf(s->hash_key, sizeof(s->hash_key));
	s->next_serial = 1;
	s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->fd < 0) {
		ret = -errno;
		goto fail;
	}
	if ((ret = load(s)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	seen_close(&s);
	return ret;
}

void seen_close(struct seen_set **ps)
{
	struct seen_set *s = *ps;
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->ids);
	free(s->authors);
	free(s->serials);
	free(s->hash);
	seen_pending_free(&s->pending);
	free(s);
	*ps = NULL;
}

bool seen_find(const struct seen_set *s, const uint8_t id[32], uint8_t author[32])
{
	size_t i = probe(s, id);
	if (s->hash[i] == EMPTY)
		return false;
	if (author)
		memcpy(author, s->authors[s->hash[i]], 32);
	return true;
}

int seen_add(struct seen_set *s, const uint8_t id[32], const uint8_t author[32])
{
	struct seen_pending *p = &s->pending;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 256;
		uint8_t *nb = realloc(p->buf, cap * SLOT_LEN);
		if (!nb)
			return -ENOMEM;
		p->buf = nb;
		p->cap = cap;
	}
	uint64_t serial = s->next_serial++;
	uint8_t *slot = p->buf + p->n++ * SLOT_LEN;
	store_le(slot, serial);
	memcpy(slot + 8, id, 32);
	memcpy(slot + 40, author, 32);
	put(s, serial, id, author);
	return 0;
}

void seen_take(struct seen_set *s, struct seen_pending *p)
{
	struct seen_pending t = *p;
	*p = s->pending;
	t.n = 0;
	s->pending = t;
}

int seen_write(const struct seen_set *s, const struct seen_pending *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const uint8_t *slot = p->buf + i * SLOT_LEN;
		uint64_t serial;
		load_le(&serial, slot);
		if (pwrite(s->fd, slot, SLOT_LEN, MAGIC_LEN + (off_t)slot_of(serial) * SLOT_LEN) != SLOT_LEN)
			return -EIO;
	}
	return p->n && fdatasync(s->fd) != 0 ? -errno : 0;
}

void seen_pending_free(struct seen_pending *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}
