/* SPDX-License-Identifier: EUPL-1.2 */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../keys/keytext.h"
#include "../../proto/mp.h"
#include "../../proto/mpmap.h"

static char tmpdir[256];
static void *zctx;
static pid_t started[256];
static size_t n_started;

static void die(const char *what)
{
	fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
	abort();
}

uint64_t harness_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *harness_dir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/samen-it-XXXXXX");
		if (!mkdtemp(tmpdir))
			die("mkdtemp");
	}
	return tmpdir;
}

void harness_rmtree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char p[4200];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", path, e->d_name) >= sizeof(p))
			continue;
		if (unlink(p) != 0)
			harness_rmtree(p); /* a directory: unlink refuses it */
	}
	closedir(d);
	rmdir(path);
}

void harness_cleanup(void)
{
	for (size_t i = 0; i < n_started; i++)
		if (started[i] > 0 && kill(started[i], SIGKILL) == 0)
			waitpid(started[i], NULL, 0);
	n_started = 0;
	if (tmpdir[0] && !getenv("SAMEN_KEEP"))
		harness_rmtree(tmpdir);
	tmpdir[0] = '\0';
	if (zctx) {
		zmq_ctx_term(zctx);
		zctx = NULL;
	}
}

int harness_teardown(void **state)
{
	(void)state;
	harness_cleanup();
	return 0;
}

int harness_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0)
		die("port");
	close(s);
	return ntohs(a.sin_port);
}

void hnode_init(struct hnode *n, const char *name, int port, int join_port)
{
	struct identity *id = NULL;
	memset(n, 0, sizeof(*n));
	snprintf(n->dir, sizeof(n->dir), "%s/%s", harness_dir(), name);
	snprintf(n->key_path, sizeof(n->key_path), "%s/identity.key", n->dir);
	snprintf(n->config, sizeof(n->config), "%s/samend.conf", n->dir);
	snprintf(n->log, sizeof(n->log), "%s/log", n->dir);
	if (mkdir(n->dir, 0700) < 0)
		die("mkdir");
	if (sodium_init() < 0 || identity_generate(&id) < 0 ||
	    keyfile_write_secret(n->key_path, id, NULL) < 0)
		die("key");
	memcpy(n->pk, id->pk, 32);
	keytext_encode(id->pk, n->key_text);
	identity_free(&id);
	n->port = port;
	n->join_port = join_port;
}

void hnode_write_config(struct hnode *n, const uint8_t *nbhd, struct hnode *const *peers)
{
	FILE *f = fopen(n->config, "w");
	if (!f)
		die("config");
	fprintf(f, "state_dir = %s\nkey = %s\nanti_entropy_seconds = 2\nlog_level = debug\n", n->dir,
		n->key_path);
	if (nbhd) {
		char t[KEYTEXT_LEN];
		keytext_encode(nbhd, t);
		fprintf(f, "neighbourhood = %s\n", t);
	}
	if (n->port)
		fprintf(f, "listen = tcp://127.0.0.1:%d\n", n->port);
	if (n->join_port)
		fprintf(f, "join_listen = tcp://127.0.0.1:%d\n", n->join_port);
	for (size_t i = 0; peers && peers[i]; i++)
		fprintf(f, "peer = tcp://127.0.0.1:%d %s\n", peers[i]->port, peers[i]->key_text);
	fputs(n->extra, f);
	fclose(f);
}

void hnode_start(struct hnode *n)
{
	char bin[512];
	const char *build = getenv("BUILD");
	snprintf(bin, sizeof(bin), "%s/samend", build && *build ? build : "build");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int fd = open(n->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
			close(fd);
		}
		execl(bin, bin, "-c", n->config, (char *)NULL);
		_exit(127);
	}
	n->pid = pid;
	if (n_started < sizeof(started) / sizeof(started[0]))
		started[n_started++] = pid;
}

int hnode_stop(struct hnode *n, int sig)
{
	int status = 0;
	if (n->pid <= 0)
		return -1;
	kill(n->pid, sig);
	for (int i = 0; i < 200; i++) {
		pid_t r = waitpid(n->pid, &status, WNOHANG);
		if (r == n->pid)
			break;
		if (i == 199) {
			kill(n->pid, SIGKILL);
			waitpid(n->pid, &status, 0);
		}
		usleep(50000);
	}
	n->pid = 0;
	return status;
}

/* ---- control requests ---- */

static int pack_arg(msgpack_packer *pk, const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *colon = strchr(arg, ':');
	if (!eq)
		return -1;
	char type = 's';
	size_t klen = (size_t)(eq - arg);
	if (colon && colon < eq) {
		type = colon[1];
		klen = (size_t)(colon - arg);
	}
	msgpack_pack_str(pk, klen);
	msgpack_pack_str_body(pk, arg, klen);
	const char *v = eq + 1;
	switch (type) {
	case 'b':
		return *v == '1' ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	case 'u':
		return msgpack_pack_uint64(pk, strtoull(v, NULL, 10));
	case 'i':
		return msgpack_pack_int64(pk, strtoll(v, NULL, 10));
	case 'k': {
		uint8_t bin[4096];
		size_t len;
		if (sodium_hex2bin(bin, sizeof(bin), v, strlen(v), NULL, &len, NULL) != 0)
			return -1;
		return mp_pack_bin(pk, bin, len);
	}
	case 'a': {
		size_t count = *v ? 1 : 0;
		for (const char *p = v; *p; p++)
			count += *p == ',';
		msgpack_pack_array(pk, count);
		while (*v) {
			const char *end = strchr(v, ',');
			size_t len = end ? (size_t)(end - v) : strlen(v);
			msgpack_pack_str(pk, len);
			msgpack_pack_str_body(pk, v, len);
			v += len + (end ? 1 : 0);
		}
		return 0;
	}
	default:
		return mp_pack_str(pk, v);
	}
}

static bool call_raw(struct hnode *n, const void *req, size_t len, struct hreply *r, int timeout_ms)
{
	char ep[700];
	if (!zctx)
		zctx = zmq_ctx_new();
	void *s = zmq_socket(zctx, ZMQ_DEALER);
	int zero = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	snprintf(ep, sizeof(ep), "ipc://%s/control", n->dir);
	memset(r, 0, sizeof(*r));
	msgpack_unpacked_init(&r->u);
	bool ok = false;
	if (zmq_connect(s, ep) == 0 && zmq_send(s, req, len, 0) >= 0) {
		zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, timeout_ms) == 1) {
			zmq_msg_t m;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, s, 0) >= 0) {
				r->len = zmq_msg_size(&m);
				r->buf = malloc(r->len ? r->len : 1);
				memcpy(r->buf, zmq_msg_data(&m), r->len);
				ok = mp_unpack(r->buf, r->len, 8, &r->u) == 0 &&
				     r->u.data.type == MSGPACK_OBJECT_MAP;
				r->m = &r->u.data;
			}
			zmq_msg_close(&m);
		}
	}
	zmq_close(s);
	return ok;
}

bool hnode_call(struct hnode *n, struct hreply *r, ...)
{
	va_list ap;
	const char *arg;
	size_t count = 0;
	struct mp_buf b;

	va_start(ap, r);
	while ((arg = va_arg(ap, const char *)))
		count++;
	va_end(ap);
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, count);
	va_start(ap, r);
	while ((arg = va_arg(ap, const char *)))
		if (pack_arg(&b.pk, arg) < 0) {
			fprintf(stderr, "harness: bad argument '%s'\n", arg);
			abort();
		}
	va_end(ap);
	bool ok = call_raw(n, b.sb.data, b.sb.size, r, 15000);
	mp_buf_destroy(&b);
	return ok;
}

void hreply_free(struct hreply *r)
{
	msgpack_unpacked_destroy(&r->u);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

bool hreply_ok(const struct hreply *r)
{
	bool ok = false;
	return r->m && mpmap_bool(r->m, "ok", &ok) == 0 && ok;
}

const char *hreply_str(const struct hreply *r, const char *key, char *buf, size_t cap)
{
	if (!r->m || mpmap_str(r->m, key, buf, cap) < 0)
		buf[0] = '\0';
	return buf;
}

uint64_t hreply_uint(const struct hreply *r, const char *key)
{
	uint64_t v = 0;
	if (!r->m || mpmap_uint(r->m, key, UINT64_MAX, &v) < 0)
		return 0;
	return v;
}

bool hnode_wait_ready(struct hnode *n, int timeout_ms)
{
	uint64_t end = harness_ms() + (uint64_t)timeout_ms;
	char path[700];
	snprintf(path, sizeof(path), "%s/control", n->dir);
	while (harness_ms() < end) {
		struct hreply r;
		if (access(path, F_OK) == 0 && hnode_call(n, &r, "op=status", NULL)) {
			bool ok = hreply_ok(&r);
			hreply_free(&r);
			if (ok)
				return true;
		}
		usleep(50000);
	}
	return false;
}

bool hnode_send(struct hnode *n, const char *description, bool share, char id[65])
{
	struct hreply r;
	char desc[1100];
	snprintf(desc, sizeof(desc), "description=%s", description);
	if (!hnode_call(n, &r, "op=send", "category=suspicious", desc, "where=Lindelaan",
			share ? "share:b=1" : "share:b=0", NULL))
		return false;
	bool ok = hreply_ok(&r);
	if (ok && id)
		hreply_str(&r, "id", id, 65);
	if (!ok) {
		char err[300];
		fprintf(stderr, "harness: send failed: %s\n", hreply_str(&r, "error", err, sizeof(err)));
	}
	hreply_free(&r);
	return ok;
}

static const msgpack_object *list_signals(struct hnode *n, struct hreply *r)
{
	if (!hnode_call(n, r, "op=list", "limit:u=100000", NULL))
		return NULL;
	const msgpack_object *s = mpmap_find(r->m, "signals");
	return s && s->type == MSGPACK_OBJECT_ARRAY ? s : NULL;
}

int hnode_count(struct hnode *n)
{
	struct hreply r;
	const msgpack_object *s = list_signals(n, &r);
	int count = s ? (int)s->via.array.size : -1;
	hreply_free(&r);
	return count;
}

bool hnode_has(struct hnode *n, const char *id)
{
	struct hreply r;
	bool found = false;
	const msgpack_object *s = list_signals(n, &r);
	for (uint32_t i = 0; s && i < s->via.array.size && !found; i++) {
		char got[65];
		if (mpmap_str(&s->via.array.ptr[i], "id", got, sizeof(got)) == 0 &&
		    strncmp(got, id, strlen(id)) == 0)
			found = true;
	}
	hreply_free(&r);
	return found;
}

bool harness_wait(bool (*cond)(void *), void *ctx, int timeout_ms)
{
	uint64_t end = harness_ms() + (uint64_t)timeout_ms;
	for (;;) {
		if (cond(ctx))
			return true;
		if (harness_ms() >= end)
			return false;
		usleep(50000);
	}
}

static bool is_member(void *ctx)
{
	struct hnode *n = ctx;
	struct hreply r;
	char role[32] = "";
	if (!hnode_call(n, &r, "op=status", NULL))
		return false;
	hreply_str(&r, "role", role, sizeof(role));
	hreply_free(&r);
	return !strcmp(role, "member") || !strcmp(role, "coordinator") || !strcmp(role, "founder");
}

struct epoch_wait {
	struct hnode *nodes;
	size_t n;
};

static uint64_t epoch_of(struct hnode *n)
{
	struct hreply r;
	if (!hnode_call(n, &r, "op=status", NULL))
		return 0;
	uint64_t e = hreply_uint(&r, "epoch");
	hreply_free(&r);
	return e;
}

static bool same_epoch(void *ctx)
{
	struct epoch_wait *w = ctx;
	uint64_t want = epoch_of(&w->nodes[0]);
	for (size_t i = 1; i < w->n; i++)
		if (epoch_of(&w->nodes[i]) != want)
			return false;
	return want > 0;
}

/* Says which step of building the neighbourhood failed, for a failure
 * under a loaded machine to be told from a broken daemon. */
static bool setup_failed(const struct hnode *n, const char *step)
{
	fprintf(stderr, "harness: %s: %s failed (log: %s)\n", n->dir, step, n->log);
	return false;
}

bool harness_neighbourhood(struct hnode *nodes, size_t n, const char *extra)
{
	struct hnode *founder = &nodes[0];
	if (extra)
		snprintf(founder->extra, sizeof(founder->extra), "%s", extra);
	hnode_write_config(founder, founder->pk, NULL);
	hnode_start(founder);
	if (!hnode_wait_ready(founder, 10000))
		return setup_failed(founder, "ready within 10 s");
	for (size_t i = 1; i < n; i++) {
		struct hreply r;
		char code[600], arg[700], label[64];
		if (extra)
			snprintf(nodes[i].extra, sizeof(nodes[i].extra), "%s", extra);
		hnode_write_config(&nodes[i], NULL, NULL);
		hnode_start(&nodes[i]);
		if (!hnode_wait_ready(&nodes[i], 10000))
			return setup_failed(&nodes[i], "ready within 10 s");
		if (!hnode_call(founder, &r, "op=invite", "preapproved:b=1", NULL) || !hreply_ok(&r)) {
			hreply_free(&r);
			return setup_failed(founder, "invite");
		}
		hreply_str(&r, "code", code, sizeof(code));
		hreply_free(&r);
		snprintf(arg, sizeof(arg), "code=%s", code);
		snprintf(label, sizeof(label), "label=Huis %zu", i);
		if (!hnode_call(&nodes[i], &r, "op=join", arg, label, NULL) || !hreply_ok(&r)) {
			hreply_free(&r);
			return setup_failed(&nodes[i], "join");
		}
		hreply_free(&r);
		if (!harness_wait(is_member, &nodes[i], 15000))
			return setup_failed(&nodes[i], "member within 15 s");
	}
	/* a signal is sealed under its author's current epoch: wait until
	 * every household holds the newest one, so all can read what follows */
	struct epoch_wait w = {nodes, n};
	if (!harness_wait(same_epoch, &w, 20000))
		return setup_failed(founder, "one epoch everywhere within 20 s");
	return true;
}

/* ---- additions for the fault tests (tests/faults) ---- */

void hnode_start_netns(struct hnode *n, const char *netns)
{
	char bin[512], nspath[300];
	const char *build = getenv("BUILD");
	if (!netns || !*netns) {
		hnode_start(n);
		return;
	}
	snprintf(bin, sizeof(bin), "%s/samend", build && *build ? build : "build");
	snprintf(nspath, sizeof(nspath), "/run/netns/%s", netns);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int fd = open(n->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
			close(fd);
		}
		int ns = open(nspath, O_RDONLY | O_CLOEXEC);
		if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
			fprintf(stderr, "harness: cannot enter network namespace %s: %s\n", netns,
				strerror(errno));
			_exit(126);
		}
		close(ns);
		execl(bin, bin, "-c", n->config, (char *)NULL);
		_exit(127);
	}
	n->pid = pid;
	if (n_started < sizeof(started) / sizeof(started[0]))
		started[n_started++] = pid;
}

bool hnode_call_timeout(struct hnode *n, struct hreply *r, int timeout_ms, ...)
{
	va_list ap;
	const char *arg;
	size_t count = 0;
	struct mp_buf b;

	va_start(ap, timeout_ms);
	while ((arg = va_arg(ap, const char *)))
		count++;
	va_end(ap);
	mp_buf_init(&b);
	msgpack_pack_map(&b.pk, count);
	va_start(ap, timeout_ms);
	while ((arg = va_arg(ap, const char *)))
		if (pack_arg(&b.pk, arg) < 0) {
			fprintf(stderr, "harness: bad argument '%s'\n", arg);
			abort();
		}
	va_end(ap);
	bool ok = call_raw(n, b.sb.data, b.sb.size, r, timeout_ms);
	mp_buf_destroy(&b);
	return ok;
}

bool hnode_call_msg(struct hnode *n, const void *req, size_t len, struct hreply *r, int timeout_ms)
{
	return call_raw(n, req, len, r, timeout_ms);
}
