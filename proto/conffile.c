/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * conffile.c — the shared "key = value" reader: size, lines, control
 * characters, quotes, comments, unknown and repeated keys.
 */
#include "conffile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nearest.h"

int conffile_fail(char *err, size_t cap, int code, const char *fmt, ...)
{
	va_list ap;

	if (cap > 0) {
		va_start(ap, fmt);
		vsnprintf(err, cap, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

const char *conffile_key_name(const struct conffile_keys *keys, size_t i)
{
	return *(const char *const *)((const char *)keys->name + i * keys->stride);
}

int conffile_find(const struct conffile_keys *keys, const char *name)
{
	size_t i;

	for (i = 0; i < keys->n; ++i)
		if (strcmp(conffile_key_name(keys, i), name) == 0)
			return (int)i;
	return -1;
}

int conffile_unknown(const struct conffile_keys *keys, const char *prefix,
		     const char *name, char *err, size_t cap)
{
	const char *best = NULL, *k;
	size_t best_d = 3, i, d;

	for (i = 0; i < keys->n; ++i) {
		k = conffile_key_name(keys, i);
		d = nearest_distance(name, k);
		/* "retention" for "retention_days": a start counts as close. */
		if (d > 2 && strlen(name) >= 4 && strncmp(name, k, strlen(name)) == 0)
			d = 2;
		if (d < best_d && d < strlen(name)) {
			best_d = d;
			best = k;
		}
	}
	if (best)
		return conffile_fail(err, cap, SAMEN_EINVAL,
			    "%sunknown key '%s' (did you mean '%s'?)", prefix,
			    name, best);
	return conffile_fail(err, cap, SAMEN_EINVAL, "%sunknown key '%s'", prefix, name);
}

/* Reads what is left of fd into buf, up to cap bytes. */
static int read_all(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < cap) {
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

int conffile_read(const char *path, char **buf_out, size_t *len, char *err,
		  size_t cap)
{
	struct stat st;
	char *buf = NULL;
	int fd, r;

	*buf_out = NULL;
	/* O_NONBLOCK keeps open() from waiting on a FIFO; it does nothing to a
	 * regular file. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		return conffile_fail(err, cap, r, "%s: %s", path, samen_strerror(r));
	}
	if (fstat(fd, &st) != 0) {
		r = -errno;
		conffile_fail(err, cap, r, "%s: %s", path, samen_strerror(r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = conffile_fail(err, cap, SAMEN_EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > CONFFILE_SIZE_MAX) {
		r = conffile_fail(err, cap, SAMEN_ETOOBIG, "%s: larger than %d bytes",
			 path, CONFFILE_SIZE_MAX);
		goto out;
	}
	/* One byte more than allowed, to notice a file that grew. */
	buf = malloc(CONFFILE_SIZE_MAX + 1);
	if (!buf) {
		r = conffile_fail(err, cap, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	r = read_all(fd, buf, CONFFILE_SIZE_MAX + 1, len);
	if (r < 0) {
		conffile_fail(err, cap, r, "%s: %s", path, samen_strerror(r));
		free(buf);
		goto out;
	}
	*buf_out = buf;
out:
	close(fd);
	return r;
}

int conffile_begin(struct conffile *cf, const char *name, const char *buf,
		   size_t len, const struct conffile_keys *keys, char *err,
		   size_t cap)
{
	memset(cf, 0, sizeof(*cf));
	if (keys->n > CONFFILE_KEYS_MAX)
		return conffile_fail(err, cap, SAMEN_EINVAL, "%s: more than %d keys",
			    name, CONFFILE_KEYS_MAX);
	if (len > CONFFILE_SIZE_MAX)
		return conffile_fail(err, cap, SAMEN_ETOOBIG,
			    "%s: larger than %d bytes", name, CONFFILE_SIZE_MAX);
	cf->name = name;
	cf->buf = buf;
	cf->len = len;
	cf->keys = keys;
	return 0;
}

const char *conffile_where(const struct conffile *cf)
{
	return cf->where;
}

/* The next line into cf->line: 1, 0 at the end, or a negative code. */
static int next_line(struct conffile *cf, char *err, size_t cap)
{
	const char *start = cf->buf + cf->pos, *eol;
	size_t n, i;

	if (cf->pos >= cf->len)
		return 0;
	++cf->lineno;
	eol = memchr(start, '\n', cf->len - cf->pos);
	n = eol ? (size_t)(eol - start) : cf->len - cf->pos;
	cf->pos += eol ? n + 1 : n;
	if (n > 0 && start[n - 1] == '\r')
		--n;
	if (n > CONFFILE_LINE_MAX)
		return conffile_fail(err, cap, SAMEN_EINVAL,
			    "%s:%u: line is longer than %d bytes", cf->name,
			    cf->lineno, CONFFILE_LINE_MAX);
	for (i = 0; i < n; ++i) {
		unsigned char c = (unsigned char)start[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "%s:%u: control character 0x%02x", cf->name,
				    cf->lineno, c);
	}
	memcpy(cf->line, start, n);
	cf->line[n] = '\0';
	snprintf(cf->where, sizeof(cf->where), "%s:%u: ", cf->name, cf->lineno);
	return 1;
}

/* The value after the '=' of key (NUL-terminated in place): 0 and *out, or
 * a negative code. */
static int split_value(struct conffile *cf, const char *key, char *v,
		       char **out, char *err, size_t cap)
{
	char *q;

	while (is_space(*v))
		++v;
	if (*v == '"') {
		q = strchr(++v, '"');
		if (!q)
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "%s%s: the value has no closing '\"'", cf->where, key);
		*q++ = '\0';
		while (is_space(*q))
			++q;
		if (*q != '\0' && *q != '#')
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "%s%s: text after the closing '\"'", cf->where, key);
	} else {
		/* A '#' starts a comment at the start or after white space. */
		for (q = v; *q; ++q)
			if (*q == '#' && (q == v || is_space(q[-1])))
				break;
		*q = '\0';
		while (q > v && is_space(q[-1]))
			*--q = '\0';
		if (strchr(v, '"'))
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "%s%s: a '\"' inside the value (quote the whole value)",
				    cf->where, key);
	}
	*out = v;
	return 0;
}

/* One line that is neither blank nor a comment: its key and value. */
static int parse_line(struct conffile *cf, char *p, size_t *key,
		      const char **value, char *err, size_t cap)
{
	char *eq, *k_end, *q, *v = NULL;
	int idx, r;

	eq = strchr(p, '=');
	if (!eq) {
		for (q = p; *q && !is_space(*q); ++q)
			;
		return conffile_fail(err, cap, SAMEN_EINVAL,
			    "%s'%.*s' has no '=' (expected 'key = value')",
			    cf->where, (int)(q - p), p);
	}
	for (k_end = eq; k_end > p && is_space(k_end[-1]); --k_end)
		;
	if (k_end == p)
		return conffile_fail(err, cap, SAMEN_EINVAL, "%sno key before '='", cf->where);
	*k_end = '\0';
	r = split_value(cf, p, eq + 1, &v, err, cap);
	if (r < 0)
		return r;
	idx = conffile_find(cf->keys, p);
	if (idx < 0)
		return conffile_unknown(cf->keys, cf->where, p, err, cap);
	if (!(cf->keys->repeatable & ((uint64_t)1 << idx))) {
		if (cf->seen[idx])
			return conffile_fail(err, cap, SAMEN_EINVAL,
				    "%sduplicate key '%s' (first set on line %u)",
				    cf->where, p, cf->seen[idx]);
		cf->seen[idx] = cf->lineno;
	}
	*key = (size_t)idx;
	*value = v;
	return 1;
}

int conffile_next(struct conffile *cf, size_t *key, const char **value,
		  char *err, size_t cap)
{
	char *p;
	int r;

	for (;;) {
		r = next_line(cf, err, cap);
		if (r <= 0)
			return r;
		for (p = cf->line; is_space(*p); ++p)
			;
		if (*p != '\0' && *p != '#')
			return parse_line(cf, p, key, value, err, cap);
	}
}
