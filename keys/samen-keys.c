/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * samen-keys — keys, neighbourhoods, certificates and revocations.
 *
 *   samen-keys init     [-k KEY] [--encrypt]
 *   samen-keys show     [-k KEY | PUBKEY | FILE.pub]
 *   samen-keys found    [-k KEY] --name NAME [-o FILE]
 *   samen-keys certify  [-k KEY] --nbhd ID --subject PUBKEY --role ROLE
 *                       [--label TEXT] [--days N] [-o FILE]
 *   samen-keys revoke   [-k KEY] --nbhd ID --subject PUBKEY [--cascade] [--upto N]
 *                       [--reason TEXT] [-o FILE]
 *   samen-keys verify   [--at WHEN] CERTFILE [CHAINFILE ...]
 *
 * Exit codes: 0 done (verify: valid), 1 verify: not valid, 2 usage,
 * 3 bad input (a file, a key, a value), 4 system error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "identity.h"
#include "keyarg.h"
#include "keyfile.h"
#include "keytext.h"
#include "paths.h"
#include "membership.h"
#include "recfile.h"
#include "seqfile.h"
#include "../proto/exitcode.h"
#include "../proto/record.h"

#define PASS_MAX 256

static const char *prog = "samen-keys";

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* Exit code for a library error: bad input versus the system failing. */
static int code_for(int err)
{
	return err <= SAMEN_EMALFORMED && err > -4096 ? EXIT_INVALID
	       : (err == -ENOENT || err == -EEXIST || err == -ELOOP || err == -EACCES)
		       ? EXIT_INVALID
		       : EXIT_INTERNAL;
}


/* Creates the parent directory of path (one level) with mode 0700. */
static int make_parent(const char *path)
{
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		/* one more level for ~/.config on a fresh account */
		char *up = strrchr(dir, '/');
		if (errno != ENOENT || !up || up == dir)
			return -errno;
		*up = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		*up = '/';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

/*
 * Reads a passphrase: from SAMEN_PASSPHRASE_FILE if set (for scripts and
 * systemd credentials), else from the terminal with echo off. Never from
 * argv or a plain environment variable, which other users can read.
 */
static int read_passphrase(const char *prompt, char *out, size_t cap)
{
	const char *file = getenv("SAMEN_PASSPHRASE_FILE");
	FILE *f;
	struct termios old, quiet;
	int tty = 0;

	if (file && *file) {
		f = fopen(file, "re");
	} else {
		f = fopen("/dev/tty", "r+e");
		tty = 1;
	}
	if (!f)
		return -errno;
	if (tty) {
		fputs(prompt, f);
		fflush(f);
		if (tcgetattr(fileno(f), &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(fileno(f), TCSAFLUSH, &quiet);
		} else {
			tty = 0;
		}
	}
	char *got = fgets(out, (int)cap, f);
	if (tty) {
		tcsetattr(fileno(f), TCSAFLUSH, &old);
		fputc('\n', f);
	}
	fclose(f);
	if (!got)
		return -EIO;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static int load_identity(const char *path, struct identity **id)
{
	char pass[PASS_MAX];
	int enc = keyfile_is_encrypted(path);
	int ret;

	if (enc < 0) {
		if (enc == -ENOENT)
			return fail(EXIT_INVALID, "%s: no key file (create one with 'samen-keys init')",
				    path);
		return fail(code_for(enc), "%s: %s", path, samen_strerror(enc));
	}
	if (enc) {
		ret = read_passphrase("Passphrase: ", pass, sizeof(pass));
		if (ret < 0)
			return fail(EXIT_INVALID, "cannot read the passphrase: %s", samen_strerror(ret));
	}
	ret = keyfile_read_secret(path, enc ? pass : NULL, id);
	sodium_memzero(pass, sizeof(pass));
	if (ret < 0)
		return fail(code_for(ret), "%s: %s", path, samen_strerror(ret));
	return 0;
}

/* A key given as text, a public key file, or a neighbourhood file. */
static int parse_key_arg(const char *arg, uint8_t pk[32])
{
	if (keytext_decode(arg, pk) == 0)
		return 0;
	FILE *f = fopen(arg, "re");
	if (!f)
		return SAMEN_EINVAL;
	char line[256];
	int ret = SAMEN_EINVAL;
	while (fgets(line, sizeof(line), f)) {
		char *v = line;
		if (strncmp(v, "id", 2) == 0 && strchr(v, '='))
			v = strchr(v, '=') + 1;
		if (keytext_decode(v, pk) == 0) {
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int parse_u64(const char *name, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || v < min || v > max)
		return fail(EXIT_USAGE, "%s: '%s' is not a number from %" PRIu64 " to %" PRIu64,
			    name, s, min, max);
	*out = v;
	return 0;
}

/* A time as unix seconds or YYYY-MM-DD (UTC midnight). */
static int parse_when(const char *s, uint64_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	char *end = strptime(s, "%Y-%m-%d", &tm);
	if (end && !*end) {
		time_t t = timegm(&tm);
		if (t < 0)
			return fail(EXIT_USAGE, "--at: '%s' is before 1970", s);
		*out = (uint64_t)t;
		return 0;
	}
	return parse_u64("--at", s, 0, UINT64_MAX / 2, out);
}

static void print_key(const char *what, const uint8_t pk[32])
{
	char text[KEYTEXT_LEN], fp[FINGERPRINT_LEN];
	keytext_encode(pk, text);
	keytext_fingerprint(pk, fp);
	printf("%-12s %s\nfingerprint  %s\n", what, text, fp);
}

/* Signs r with id, reserving the next sequence number of the key file, and
 * writes the armoured record to out_path (or stdout). */
static int sign_and_write(struct record *r, const char *key_path, const struct identity *id,
			  const char *out_path)
{
	uint8_t *buf;
	size_t len;
	int ret;

	memcpy(r->author, id->pk, 32);
	r->created = (uint64_t)time(NULL);
	ret = seqfile_next(key_path, 0, &r->seq);
	if (ret < 0)
		return fail(code_for(ret), "%s.seq: %s", key_path, samen_strerror(ret));
	ret = record_sign(r, id->sk, &buf, &len);
	if (ret < 0)
		return fail(EXIT_INVALID, "cannot sign: %s", samen_strerror(ret));
	FILE *f = stdout;
	if (out_path) {
		/* O_EXCL: never overwrite an earlier certificate by accident */
		f = fopen(out_path, "wxe");
		if (!f) {
			free(buf);
			return fail(errno == EEXIST ? EXIT_INVALID : EXIT_INTERNAL, "%s: %s", out_path,
				    strerror(errno));
		}
	}
	ret = recfile_write(f, buf, len);
	if (out_path && fclose(f) != 0 && ret == 0)
		ret = -errno;
	free(buf);
	if (ret < 0)
		return fail(EXIT_INTERNAL, "%s: %s", out_path ? out_path : "stdout",
			    samen_strerror(ret));
	return 0;
}

/* ---- subcommands ---- */

struct opts {
	char key[4096];
	const char *name, *nbhd, *subject, *role, *label, *reason, *out, *at;
	uint64_t days, upto;
	int encrypt, cascade, has_upto;
	int argc;
	char **argv;
};

static int cmd_init(struct opts *o)
{
	struct identity *id = NULL;
	char pass[PASS_MAX] = "", again[PASS_MAX] = "", pub[4200];
	int ret;

	if (o->encrypt) {
		if (read_passphrase("New passphrase: ", pass, sizeof(pass)) < 0 ||
		    (!getenv("SAMEN_PASSPHRASE_FILE") &&
		     read_passphrase("Again: ", again, sizeof(again)) < 0))
			return fail(EXIT_INVALID, "cannot read the passphrase");
		if (!getenv("SAMEN_PASSPHRASE_FILE") && strcmp(pass, again) != 0) {
			sodium_memzero(pass, sizeof(pass));
			sodium_memzero(again, sizeof(again));
			return fail(EXIT_INVALID, "the passphrases differ; nothing was written");
		}
		if (!pass[0])
			return fail(EXIT_INVALID, "empty passphrase; leave out --encrypt for none");
	}
	ret = make_parent(o->key);
	if (ret == 0)
		ret = identity_generate(&id);
	if (ret == 0)
		ret = keyfile_write_secret(o->key, id, pass[0] ? pass : NULL);
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(again, sizeof(again));
	if (ret == -EEXIST) {
		identity_free(&id);
		return fail(EXIT_INVALID, "%s exists already; samen-keys never overwrites a key", o->key);
	}
	if (ret < 0) {
		identity_free(&id);
		return fail(code_for(ret), "%s: %s", o->key, samen_strerror(ret));
	}
	snprintf(pub, sizeof(pub), "%s.pub", o->key);
	ret = keyfile_write_public(pub, id->pk);
	if (ret < 0 && ret != -EEXIST)
		fprintf(stderr, "%s: warning: %s: %s\n", prog, pub, samen_strerror(ret));
	printf("secret key   %s (mode 0600%s)\n", o->key, o->encrypt ? ", passphrase" : "");
	print_key("public key", id->pk);
	identity_free(&id);
	return 0;
}

static int cmd_show(struct opts *o)
{
	uint8_t pk[32];
	if (o->argc > 0) {
		if (parse_key_arg(o->argv[0], pk) < 0)
			return fail(EXIT_INVALID, "'%s' is neither a public key nor a file holding one",
				    o->argv[0]);
	} else {
		struct identity *id = NULL;
		int r = load_identity(o->key, &id);
		if (r)
			return r;
		memcpy(pk, id->pk, 32);
		identity_free(&id);
	}
	print_key("public key", pk);
	uint8_t curve[32];
	char z85[41];
	if (crypto_sign_ed25519_pk_to_curve25519(curve, pk) == 0) {
		/* the CURVE key in ZeroMQ's Z85 text, for firewall notes and logs */
		static const char enc[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
					  "TUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
		size_t n = 0;
		for (size_t i = 0; i < 32; i += 4) {
			uint32_t v = (uint32_t)curve[i] << 24 | (uint32_t)curve[i + 1] << 16 |
				     (uint32_t)curve[i + 2] << 8 | curve[i + 3];
			for (int k = 4; k >= 0; k--, v /= 85)
				z85[n + (size_t)k] = enc[v % 85];
			n += 5;
		}
		z85[n] = '\0';
		printf("curve key    %s\n", z85);
	}
	return 0;
}

static int cmd_found(struct opts *o)
{
	struct identity *id = NULL;
	char text[KEYTEXT_LEN], fp[FINGERPRINT_LEN];
	if (!o->name)
		return fail(EXIT_USAGE, "found: --name is required (e.g. --name \"Buurt Lindelaan\")");
	if (strlen(o->name) > LABEL_MAX || !*o->name)
		return fail(EXIT_USAGE, "--name: 1 to %d bytes", LABEL_MAX);
	int r = load_identity(o->key, &id);
	if (r)
		return r;
	keytext_encode(id->pk, text);
	keytext_fingerprint(id->pk, fp);
	identity_free(&id);
	FILE *f = stdout;
	if (o->out && !(f = fopen(o->out, "wxe")))
		return fail(EXIT_INVALID, "%s: %s", o->out, strerror(errno));
	fprintf(f, "# samen neighbourhood, founded with key %s\nid = %s\nname = %s\n", fp, text,
		o->name);
	if (o->out) {
		fclose(f);
		printf("neighbourhood %s\nid           %s\nfingerprint  %s\nwritten to   %s\n",
		       o->name, text, fp, o->out);
	}
	return 0;
}

static int need_nbhd_subject(struct opts *o, uint8_t nbhd[32], uint8_t subject[32])
{
	if (!o->nbhd || !o->subject)
		return fail(EXIT_USAGE, "--nbhd and --subject are required");
	if (parse_key_arg(o->nbhd, nbhd) < 0)
		return fail(EXIT_INVALID, "--nbhd: '%s' is neither a neighbourhood id nor a file holding one",
			    o->nbhd);
	if (parse_key_arg(o->subject, subject) < 0)
		return fail(EXIT_INVALID, "--subject: '%s' is neither a public key nor a .pub file",
			    o->subject);
	return 0;
}

static int cmd_certify(struct opts *o)
{
	struct record r;
	struct identity *id = NULL;
	memset(&r, 0, sizeof(r));
	r.kind = REC_CERT;
	int ret = need_nbhd_subject(o, r.nbhd, r.u.cert.subject);
	if (ret)
		return ret;
	if (!o->role)
		return fail(EXIT_USAGE, "--role is required: member, coordinator, relay or authority");
	ret = record_role_parse(o->role);
	if (ret < 0)
		return fail(EXIT_USAGE, "--role: '%s' is not member, coordinator, relay or authority",
			    o->role);
	r.u.cert.role = (uint8_t)ret;
	const char *label = o->label ? o->label : "";
	if (strlen(label) > LABEL_MAX)
		return fail(EXIT_USAGE, "--label: at most %d bytes (a street or a pseudonym)", LABEL_MAX);
	strcpy(r.u.cert.label, label);
	uint64_t now = (uint64_t)time(NULL);
	r.u.cert.not_before = now - 300; /* tolerate a neighbour's slow clock */
	r.u.cert.not_after = now + o->days * 86400;
	ret = load_identity(o->key, &id);
	if (ret)
		return ret;
	ret = sign_and_write(&r, o->key, id, o->out);
	if (ret == 0 && o->out)
		fprintf(stderr, "certified %s as %s for %" PRIu64 " days: %s\n", o->subject, o->role,
			o->days, o->out);
	identity_free(&id);
	return ret;
}

static int cmd_revoke(struct opts *o)
{
	struct record r;
	struct identity *id = NULL;
	memset(&r, 0, sizeof(r));
	r.kind = REC_REVOCATION;
	int ret = need_nbhd_subject(o, r.nbhd, r.u.rev.subject);
	if (ret)
		return ret;
	const char *reason = o->reason ? o->reason : "";
	if (strlen(reason) > REASON_MAX)
		return fail(EXIT_USAGE, "--reason: at most %d bytes", REASON_MAX);
	strcpy(r.u.rev.reason, reason);
	r.u.rev.scope = o->cascade ? REVOKE_CASCADE : REVOKE_KEY;
	/* without --upto the 0.1.0 form: nothing the key signed keeps any
	 * authority it had */
	r.u.rev.has_upto = o->has_upto != 0;
	r.u.rev.upto = o->upto;
	ret = load_identity(o->key, &id);
	if (ret)
		return ret;
	ret = sign_and_write(&r, o->key, id, o->out);
	identity_free(&id);
	return ret;
}

struct verify_ctx {
	membership_t *m;
	uint8_t nbhd[32];
	int have_nbhd;
	int first_file;
	struct {
		uint8_t *buf;
		size_t len;
	} certs[64];
	size_t n_certs;
	const char *path;
	int err;
};

static int verify_collect(void *p, const uint8_t *rec, size_t len)
{
	struct verify_ctx *v = p;
	struct record r;
	int ret = record_open(rec, len, &r);
	if (ret < 0) {
		fprintf(stderr, "%s: %s: a record does not verify: %s\n", prog, v->path,
			samen_strerror(ret));
		v->err = 1;
		return 0;
	}
	if (!v->have_nbhd) {
		memcpy(v->nbhd, r.nbhd, 32);
		v->m = membership_new(r.nbhd);
		v->have_nbhd = 1;
		if (!v->m)
			return -ENOMEM;
	}
	if (r.kind == REC_CERT || r.kind == REC_REVOCATION) {
		ret = membership_add(v->m, &r);
		if (ret < 0 && ret != SAMEN_EDUPLICATE)
			fprintf(stderr, "%s: %s: %s %s not taken into account: %s\n", prog, v->path,
				record_kind_name(r.kind), "record", samen_strerror(ret));
	}
	if (v->first_file && r.kind == REC_CERT && v->n_certs < 64) {
		v->certs[v->n_certs].buf = malloc(len);
		if (!v->certs[v->n_certs].buf)
			return -ENOMEM;
		memcpy(v->certs[v->n_certs].buf, rec, len);
		v->certs[v->n_certs++].len = len;
	}
	return 0;
}

static int cmd_verify(struct opts *o)
{
	struct verify_ctx v;
	uint64_t at = (uint64_t)time(NULL);
	int code = 0;

	memset(&v, 0, sizeof(v));
	if (o->argc < 1)
		return fail(EXIT_USAGE, "verify: name a certificate file (and files with the issuer's "
					"certificate and any revocations)");
	if (o->at && parse_when(o->at, &at))
		return EXIT_USAGE;
	for (int i = 0; i < o->argc; i++) {
		unsigned line = 0;
		v.path = o->argv[i];
		v.first_file = i == 0;
		int ret = recfile_read(o->argv[i], verify_collect, &v, &line);
		if (ret < 0) {
			code = fail(code_for(ret), "%s:%u: %s", o->argv[i], line, samen_strerror(ret));
			goto out;
		}
	}
	if (v.n_certs == 0) {
		code = fail(EXIT_INVALID, "%s holds no valid certificate record", o->argv[0]);
		goto out;
	}
	for (size_t i = 0; i < v.n_certs; i++) {
		struct record r;
		char text[2048];
		if (record_open(v.certs[i].buf, v.certs[i].len, &r) < 0)
			continue;
		int ret = membership_explain(v.m, &r, at, text, sizeof(text));
		fputs(text, stdout);
		if (!*text || text[strlen(text) - 1] != '\n')
			putchar('\n');
		if (ret < 0)
			code = EXIT_NOT_VALID;
	}
	if (v.err && code == 0)
		code = EXIT_NOT_VALID;
out:
	for (size_t i = 0; i < v.n_certs; i++)
		free(v.certs[i].buf);
	membership_free(&v.m);
	return code;
}

static const struct {
	const char *name;
	int (*fn)(struct opts *);
	const char *help;
} commands[] = {
	{"init", cmd_init, "create a key pair: [-k KEY] [--encrypt]"},
	{"show", cmd_show, "show a public key and its fingerprint: [-k KEY | PUBKEY | FILE]"},
	{"found", cmd_found, "found a neighbourhood with your key: --name NAME [-o FILE]"},
	{"certify", cmd_certify,
	 "certify a key: --nbhd ID --subject KEY --role ROLE [--label TEXT] [--days N] [-o FILE]"},
	{"revoke", cmd_revoke,
	 "revoke a key: --nbhd ID --subject KEY [--cascade] [--upto N] [--reason TEXT] [-o FILE]"},
	{"verify", cmd_verify, "explain whether a certificate is valid: [--at WHEN] CERT [CHAIN...]"},
};

static int usage(FILE *f, int code)
{
	fprintf(f, "usage: %s COMMAND [OPTIONS]\n\n", prog);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n  -k KEY defaults to $SAMEN_KEY or ~/.config/samen/identity.key.\n"
		   "  Passphrases are read from the terminal, or from the file named by\n"
		   "  $SAMEN_PASSPHRASE_FILE.\n");
	return code;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"key", required_argument, NULL, 'k'},   {"name", required_argument, NULL, 'n'},
		{"nbhd", required_argument, NULL, 'N'},  {"subject", required_argument, NULL, 's'},
		{"role", required_argument, NULL, 'r'},  {"label", required_argument, NULL, 'l'},
		{"days", required_argument, NULL, 'd'},  {"reason", required_argument, NULL, 'R'},
		{"output", required_argument, NULL, 'o'}, {"at", required_argument, NULL, 'a'},
		{"encrypt", no_argument, NULL, 'e'},     {"cascade", no_argument, NULL, 'c'},
		{"upto", required_argument, NULL, 'u'},  {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct opts o;
	int c, ret;

	if (sodium_init() < 0)
		return fail(EXIT_INTERNAL, "libsodium failed to initialise");
	if (argc < 2)
		return usage(stderr, EXIT_USAGE);
	if (keyarg_protect(argc, argv) < 0)
		return fail(EXIT_INTERNAL, "out of memory");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return usage(stdout, 0);
	if (!strcmp(argv[1], "--version")) {
		printf("samen-keys %s\n", SAMEN_VERSION);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.days = 365;
	ret = paths_default_key(o.key, sizeof(o.key));
	if (ret < 0)
		return fail(EXIT_USAGE, "no key path: set -k, $SAMEN_KEY or $HOME");
	optind = 2;
	while ((c = getopt_long(argc, argv, "k:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (snprintf(o.key, sizeof(o.key), "%s", optarg) >= (int)sizeof(o.key))
				return fail(EXIT_USAGE, "-k: path too long");
			break;
		case 'n': o.name = optarg; break;
		case 'N': o.nbhd = optarg; break;
		case 's': o.subject = optarg; break;
		case 'r': o.role = optarg; break;
		case 'l': o.label = optarg; break;
		case 'R': o.reason = optarg; break;
		case 'o': o.out = optarg; break;
		case 'a': o.at = optarg; break;
		case 'e': o.encrypt = 1; break;
		case 'c': o.cascade = 1; break;
		case 'd':
			if (parse_u64("--days", optarg, 1, 3650, &o.days))
				return EXIT_USAGE;
			break;
		case 'u':
			if (parse_u64("--upto", optarg, 0, UINT64_MAX - 1, &o.upto))
				return EXIT_USAGE;
			o.has_upto = 1;
			break;
		case 'h': return usage(stdout, 0);
		default: return usage(stderr, EXIT_USAGE);
		}
	}
	o.argc = argc - optind;
	o.argv = argv + optind;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(&o);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	return usage(stderr, EXIT_USAGE);
}
