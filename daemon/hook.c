/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * hook.c — the household's program, run per delivered signal, without a
 * shell, without signal text outside its stdin, and without ever making the
 * daemon wait for it.
 */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct hook_child {
	pid_t pid;         /* 0: free slot */
	int fd;            /* write end of its stdin, or -1 once closed */
	char *rest;        /* bytes the pipe did not take yet */
	size_t rest_len, rest_off;
	uint64_t deadline_ms;
	int killed;
};

struct hook {
	char *path;
	unsigned timeout_s;
	unsigned max_running;
	struct hook_child *kids; /* max_running slots */
};

int hook_new(hook_t **hp, const char *path, unsigned timeout_s,
	     unsigned max_running)
{
	struct stat st;
	hook_t *h;

	if (!hp || !path || path[0] != '/' || timeout_s < 1 ||
	    timeout_s > HOOK_TIMEOUT_MAX || max_running < 1 ||
	    max_running > HOOK_RUNNING_MAX || strlen(path) >= PATH_MAX)
		return -EINVAL;
	if (stat(path, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (access(path, X_OK) != 0)
		return -errno;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->kids = calloc(max_running, sizeof(*h->kids));
	h->path = strdup(path);
	if (!h->kids || !h->path) {
		free(h->kids);
		free(h->path);
		free(h);
		return -ENOMEM;
	}
	h->timeout_s = timeout_s;
	h->max_running = max_running;
	*hp = h;
	return 0;
}

/* Moves fd to 3 or above, so the child's dup2() onto 0..2 cannot clash. */
static int fd_above_stdio(int fd)
{
	int nfd, saved;

	if (fd > STDERR_FILENO)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	saved = errno;
	close(fd);
	errno = saved;
	return nfd;
}

static void child_close_input(struct hook_child *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->rest);
	c->rest = NULL;
	c->rest_len = c->rest_off = 0;
}

/*
 * write() that turns a hook which closed its stdin into EPIPE instead of
 * a SIGPIPE that would end the daemon, whatever its SIGPIPE disposition:
 * SIGPIPE is blocked for the call and a SIGPIPE it raised is consumed.
 */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe_set, old, pending;
	int was_pending, saved;
	ssize_t n;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	saved = errno;
	if (n < 0 && errno == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

/* Writes what the pipe takes of buf; returns bytes written, or -1 when the
 * input is finished with (all written or the hook stopped reading). */
static ssize_t child_write(const hook_t *h, struct hook_child *c,
			   const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write_nosigpipe(c->fd, buf + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return (ssize_t)done;
		if (n < 0 && errno == EPIPE)
			log_msg(SLOG_DEBUG,
				"hook %s (pid %ld) closed its stdin early",
				h->path, (long)c->pid);
		else
			log_msg(SLOG_WARN, "hook %s (pid %ld): writing its stdin: %s",
				h->path, (long)c->pid, strerror(errno));
		return -1;
	}
	return -1;
}

static int spawn(const hook_t *h, int stdin_fd, pid_t *pid)
{
	static char env_path[] = "PATH=/usr/bin:/bin";
	static char env_event[] = "SAMEN_EVENT=signal";
	char *envp[] = { env_path, env_event, NULL };
	char *argv[] = { h->path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int r;

	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	r = posix_spawnattr_init(&attr);
	if (r != 0)
		return -r;
	r = posix_spawn_file_actions_init(&fa);
	if (r != 0) {
		posix_spawnattr_destroy(&attr);
		return -r;
	}
	if ((r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
						 POSIX_SPAWN_SETSIGDEF |
						 POSIX_SPAWN_SETPGROUP)) ||
	    (r = posix_spawnattr_setsigmask(&attr, &none)) ||
	    (r = posix_spawnattr_setsigdefault(&attr, &all)) ||
	    (r = posix_spawnattr_setpgroup(&attr, 0)) ||
	    (r = posix_spawn_file_actions_adddup2(&fa, stdin_fd, STDIN_FILENO)) ||
	    (r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
						  O_WRONLY, 0)) ||
	    (r = posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO,
						  STDERR_FILENO)) ||
	    (r = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1)))
		goto out;
	/* glibc reports a failed execve() here, not as exit status 127. */
	r = posix_spawn(pid, h->path, &fa, &attr, argv, envp);
out:
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return -r;
}

int hook_fire(hook_t *h, const char *json, size_t len, uint64_t now_ms)
{
	struct hook_child *c = NULL;
	unsigned i;
	ssize_t done;
	int fds[2], r;
	pid_t pid;

	if (len > HOOK_EVENT_MAX) {
		log_msg(SLOG_WARN, "hook %s: event of %zu bytes is over %d; dropped",
			h->path, len, HOOK_EVENT_MAX);
		return SAMEN_ETOOBIG;
	}
	for (i = 0; i < h->max_running && !c; ++i)
		if (h->kids[i].pid == 0)
			c = &h->kids[i];
	if (!c) {
		log_msg(SLOG_WARN, "hook %s: %u still running; event dropped",
			h->path, h->max_running);
		return -EBUSY;
	}

	if (pipe2(fds, O_CLOEXEC) != 0) {
		r = -errno;
		log_msg(SLOG_ERR, "hook %s: pipe: %s", h->path, strerror(-r));
		return r;
	}
	fds[0] = fd_above_stdio(fds[0]);
	fds[1] = fd_above_stdio(fds[1]);
	/* Only our end is non-blocking: the hook reads an ordinary stdin. */
	if (fds[0] < 0 || fds[1] < 0 ||
	    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK) != 0) {
		r = -errno;
		log_msg(SLOG_ERR, "hook %s: pipe: %s", h->path, strerror(-r));
		goto fail;
	}
	r = spawn(h, fds[0], &pid);
	if (r != 0) {
		log_msg(SLOG_ERR, "hook %s: cannot run it: %s", h->path,
			strerror(-r));
		goto fail;
	}
	close(fds[0]);

	c->pid = pid;
	c->fd = fds[1];
	c->killed = 0;
	c->deadline_ms = now_ms + (uint64_t)h->timeout_s * 1000;
	log_msg(SLOG_DEBUG, "hook %s (pid %ld) started for %zu bytes", h->path,
		(long)pid, len);

	done = child_write(h, c, json, len);
	if (done < 0) {
		child_close_input(c);
		return 0;
	}
	c->rest_len = len - (size_t)done;
	c->rest = malloc(c->rest_len);
	if (!c->rest) {
		log_msg(SLOG_ERR, "hook %s (pid %ld): out of memory; its stdin "
			"ends after %zd of %zu bytes", h->path, (long)pid, done, len);
		child_close_input(c);
		return 0;
	}
	memcpy(c->rest, json + done, c->rest_len);
	return 0;

fail:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return r;
}

static void child_report(const hook_t *h, const struct hook_child *c,
			 int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_msg(SLOG_DEBUG, "hook %s (pid %ld) done", h->path,
			(long)c->pid);
	else if (WIFEXITED(status))
		log_msg(SLOG_WARN, "hook %s (pid %ld) exited with status %d",
			h->path, (long)c->pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && !c->killed)
		log_msg(SLOG_WARN, "hook %s (pid %ld) killed by signal %d (%s)",
			h->path, (long)c->pid, WTERMSIG(status),
			strsignal(WTERMSIG(status)));
}

void hook_poll(hook_t *h, uint64_t now_ms)
{
	struct hook_child *c;
	unsigned i;
	ssize_t n;
	pid_t r;
	int status;

	for (i = 0; i < h->max_running; ++i) {
		c = &h->kids[i];
		if (c->pid == 0)
			continue;
		if (c->fd >= 0) {
			n = child_write(h, c, c->rest + c->rest_off,
					c->rest_len - c->rest_off);
			if (n < 0)
				child_close_input(c);
			else
				c->rest_off += (size_t)n;
		}
		do
			r = waitpid(c->pid, &status, WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r == c->pid || r < 0) {
			if (r < 0)
				log_msg(SLOG_WARN, "hook %s (pid %ld): waitpid: %s",
					h->path, (long)c->pid, strerror(errno));
			else
				child_report(h, c, status);
			child_close_input(c);
			c->pid = 0;
		} else if (!c->killed && now_ms >= c->deadline_ms) {
			kill(-c->pid, SIGKILL);
			kill(c->pid, SIGKILL);
			c->killed = 1;
			child_close_input(c);
			log_msg(SLOG_WARN,
				"hook %s (pid %ld) still running after %u s; killed",
				h->path, (long)c->pid, h->timeout_s);
		}
	}
}

int hook_running(const hook_t *h)
{
	unsigned i;
	int n = 0;

	for (i = 0; i < h->max_running; ++i)
		n += h->kids[i].pid != 0;
	return n;
}

void hook_free(hook_t **hp)
{
	struct hook_child *c;
	hook_t *h;
	unsigned i;

	if (!hp || !*hp)
		return;
	h = *hp;
	for (i = 0; i < h->max_running; ++i) {
		c = &h->kids[i];
		if (c->pid == 0)
			continue;
		child_close_input(c);
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(h->kids);
	free(h->path);
	free(h);
	*hp = NULL;
}
