/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * statedir.c — see statedir.h.
 */
#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "../keys/identity.h"
#include "../keys/keyfile.h"
#include "../keys/keytext.h"

int statedir_ensure(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* the control socket inside is reachable by whoever can enter here */
	if ((st.st_mode & 077) && chmod(dir, 0700) < 0)
		return -errno;
	return 0;
}

static pid_t read_holder(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *end;
	long v = strtol(buf, &end, 10);
	return v > 0 && (*end == '\n' || *end == '\0') ? (pid_t)v : 0;
}

int statedir_lock(const char *dir, pid_t *holder)
{
	char path[4200];
	*holder = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/samend.lock", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* Two daemons on one store would each think they own the control
	 * socket, and the one leaving first would remove the other's. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (e == EWOULDBLOCK)
			*holder = read_holder(fd);
		close(fd);
		return -e;
	}
	char pid[24];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		int e = errno ? errno : EIO;
		close(fd);
		return -e;
	}
	return fd;
}

static void pub_path(char *buf, size_t cap, const char *path)
{
	snprintf(buf, cap, "%s.pub", path);
}

int statedir_ensure_key(const char *path, bool *created)
{
	struct identity *id = NULL;
	*created = false;
	if (access(path, F_OK) == 0)
		return 0;
	int ret = identity_generate(&id);
	if (ret == 0)
		ret = keyfile_write_secret(path, id, NULL);
	if (ret == 0) {
		char pub[4200], text[KEYTEXT_LEN], fp[FINGERPRINT_LEN];
		*created = true;
		pub_path(pub, sizeof(pub), path);
		if (keyfile_write_public(pub, id->pk) < 0)
			log_msg(SLOG_WARN, "cannot write %s", pub);
		keytext_encode(id->pk, text);
		keytext_fingerprint(id->pk, fp);
		log_msg(SLOG_INFO, "created a new key %s: %s (fingerprint %s)", path, text, fp);
	}
	identity_free(&id);
	return ret;
}

void statedir_unmake_key(const char *path)
{
	char pub[4200];
	pub_path(pub, sizeof(pub), path);
	if (unlink(path) == 0)
		log_msg(SLOG_INFO, "removed the key %s made by this failed start", path);
	unlink(pub);
}

/* "name (uid N)" into out, and the bare name (or "USER") into name. */
static void user_name(uid_t uid, char *out, size_t cap, char *name, size_t name_cap)
{
	struct passwd *pw = getpwuid(uid);
	snprintf(name, name_cap, "%s", pw ? pw->pw_name : "USER");
	if (pw)
		snprintf(out, cap, "%s (uid %u)", pw->pw_name, (unsigned)uid);
	else
		snprintf(out, cap, "uid %u", (unsigned)uid);
}

int statedir_owner_check(const char *dir, const char *key, bool will_drop, char *why, size_t cap)
{
	struct stat st;
	char owner[96], name[64], me[96], my_name[64];
	uid_t uid = geteuid();
	user_name(uid, me, sizeof(me), my_name, sizeof(my_name));
	if (uid == 0 && !will_drop && stat(dir, &st) == 0 && st.st_uid != 0) {
		user_name(st.st_uid, owner, sizeof(owner), name, sizeof(name));
		snprintf(why, cap, "%s belongs to %s, but this samend runs as root: what it made there "
			 "would be root's, and samend as %s could no longer open it; start the service "
			 "(systemctl start samend), run samend as that user (runuser -u %s -- samend "
			 "...), or set user = %s", dir, owner, name, name, name);
		return -EACCES;
	}
	if (uid != 0 && lstat(key, &st) == 0 && st.st_uid != uid) {
		user_name(st.st_uid, owner, sizeof(owner), name, sizeof(name));
		snprintf(why, cap, "the key %s belongs to %s, but samend runs as %s and cannot use it "
			 "(made as root for the service?); as root: chown %s: %s", key, owner, me,
			 my_name, key);
		return -EACCES;
	}
	return 0;
}
