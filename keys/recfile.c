/* SPDX-License-Identifier: EUPL-1.2 */
#include "recfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../proto/record.h"

#define BEGIN_LINE "-----BEGIN SAMEN RECORD-----"
#define END_LINE "-----END SAMEN RECORD-----"
#define B64_MAX (((RECORD_MAX + 2) / 3) * 4)

int recfile_write(FILE *f, const uint8_t *rec, size_t len)
{
	size_t b64len = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(b64len);
	if (!b64)
		return -ENOMEM;
	sodium_bin2base64(b64, b64len, rec, len, sodium_base64_VARIANT_ORIGINAL);
	int e = fprintf(f, "%s\n", BEGIN_LINE) < 0;
	size_t chars = strlen(b64);
	for (size_t i = 0; i < chars && !e; i += 64)
		e |= fprintf(f, "%.64s\n", b64 + i) < 0;
	e |= fprintf(f, "%s\n", END_LINE) < 0;
	free(b64);
	return e ? -EIO : 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(RECFILE_MAX + 1);
	size_t n = buf ? fread(buf, 1, RECFILE_MAX + 1, f) : 0;
	int err = ferror(f) ? EIO : 0;
	fclose(f);
	if (!buf || err || n > RECFILE_MAX) {
		free(buf);
		errno = !buf ? ENOMEM : err ? err : EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* libsodium 1.0.18 decodes any byte >= 0x80 as if it were a valid base64
 * character, so the armour is checked against the alphabet first. */
static int b64_chars_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			return 0;
	}
	return 1;
}

/* Trims trailing white space (CR from a pasted file included). */
static size_t trimmed_len(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n;
}

int recfile_read(const char *path, recfile_fn fn, void *ctx, unsigned *line_out)
{
	size_t len;
	char *text = slurp(path, &len);
	char *b64 = NULL;
	uint8_t *bin = NULL;
	size_t b64len = 0;
	unsigned line = 0;
	int inside = 0, count = 0, ret = 0;

	if (!text)
		return errno == EFBIG ? SAMEN_ETOOBIG : -errno;
	b64 = malloc(B64_MAX + 1);
	bin = malloc(RECORD_MAX);
	if (!b64 || !bin) {
		ret = -ENOMEM;
		goto out;
	}
	for (char *p = text; p < text + len;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
		char *next = nl ? nl + 1 : text + len;
		line++;
		n = trimmed_len(p, n);
		if (!inside) {
			if (n == strlen(BEGIN_LINE) && memcmp(p, BEGIN_LINE, n) == 0) {
				inside = 1;
				b64len = 0;
			}
		} else if (n == strlen(END_LINE) && memcmp(p, END_LINE, n) == 0) {
			size_t binlen;
			inside = 0;
			if (sodium_base642bin(bin, RECORD_MAX, b64, b64len, NULL, &binlen, NULL,
					      sodium_base64_VARIANT_ORIGINAL) != 0 ||
			    binlen == 0) {
				ret = SAMEN_EMALFORMED;
				goto out;
			}
			ret = fn(ctx, bin, binlen);
			if (ret != 0)
				goto out;
			count++;
		} else {
			if (!b64_chars_ok(p, n)) {
				ret = SAMEN_EMALFORMED;
				goto out;
			}
			if (b64len + n > B64_MAX) {
				ret = SAMEN_ETOOBIG;
				goto out;
			}
			memcpy(b64 + b64len, p, n);
			b64len += n;
		}
		p = next;
	}
	ret = inside ? SAMEN_EMALFORMED : count;
out:
	if (ret < 0 && line_out)
		*line_out = line;
	free(b64);
	free(bin);
	free(text);
	return ret;
}
