/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * util.c — the bench's plumbing: clocks, environment, child processes that
 * never outlive it, ports, /proc readings and percentiles.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

static double t_start;
static char dir[256];
static pid_t main_pid;

/* every child still running, for the cleanup (also from a signal handler) */
#define KIDS_MAX 8192
static volatile pid_t kids[KIDS_MAX];

double bench_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

double bench_elapsed_s(void)
{
	return (bench_now_ms() - t_start) / 1000.0;
}

double bench_load1(void)
{
	double l = NAN;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = NAN;
		fclose(f);
	}
	return l;
}

void bench_log(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "[%6.1fs] ", bench_elapsed_s());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int bench_env_int(const char *name, int def)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	char *end;
	long x = strtol(v, &end, 10);
	return *end || x < 0 || x > 1000000000 ? def : (int)x;
}

const char *bench_env_str(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

const char *bench_bin(const char *name)
{
	static char paths[8][600];
	static unsigned next;
	char *p = paths[next++ % 8];
	const char *build = getenv("BUILD");
	snprintf(p, 600, "%s/%s", build && *build ? build : "build", name);
	return p;
}

static void track(pid_t pid, bool add)
{
	for (size_t i = 0; i < KIDS_MAX; i++) {
		if (add && kids[i] == 0) {
			kids[i] = pid;
			return;
		}
		if (!add && kids[i] == pid) {
			kids[i] = 0;
			return;
		}
	}
}

/* Async-signal-safe: kill, waitpid, fork, execve. */
static void kill_all_now(void)
{
	for (size_t i = 0; i < KIDS_MAX; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	for (size_t i = 0; i < KIDS_MAX; i++)
		if (kids[i] > 0) {
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
}

static void remove_dir_now(void)
{
	if (!dir[0] || getenv("SAMEN_KEEP"))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char *const argv[] = {"/bin/rm", "-rf", dir, NULL};
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

void bench_cleanup(void)
{
	if (getpid() != main_pid)
		return;
	kill_all_now();
	remove_dir_now();
	if (dir[0] && getenv("SAMEN_KEEP"))
		fprintf(stderr, "bench: kept %s\n", dir);
	dir[0] = '\0';
}

static void on_fatal(int sig)
{
	kill_all_now();
	remove_dir_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

void bench_init(void)
{
	struct rlimit rl;
	t_start = bench_now_ms();
	main_pid = getpid();
	/* many daemons, sockets and threads: raise what may be raised */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NPROC, &rl);
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "bench: libsodium failed to initialise\n");
		exit(2);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(bench_cleanup);
}

const char *bench_dir(void)
{
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/samen-bench-XXXXXX");
		if (!mkdtemp(dir)) {
			fprintf(stderr, "bench: mkdtemp: %s\n", strerror(errno));
			exit(2);
		}
	}
	return dir;
}

pid_t bench_spawn(char *const argv[], const char *log_path)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		int fd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
		int in = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		if (in >= 0) {
			dup2(in, 0);
			close(in);
		}
		/* a fresh default signal state for the program */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	track(pid, true);
	return pid;
}

bool bench_alive(pid_t pid)
{
	if (pid <= 0)
		return false;
	pid_t r = waitpid(pid, NULL, WNOHANG);
	if (r == pid)
		track(pid, false); /* reaped: never signal that number again */
	return r == 0;
}

void bench_stop_many(pid_t *pids, size_t n, int sig, int timeout_ms)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], sig);
	double end = bench_now_ms() + timeout_ms;
	for (;;) {
		size_t left = 0;
		for (size_t i = 0; i < n; i++) {
			if (pids[i] <= 0)
				continue;
			pid_t r = waitpid(pids[i], NULL, WNOHANG);
			if (r == pids[i] || (r < 0 && errno == ECHILD)) {
				track(pids[i], false);
				pids[i] = 0;
			} else {
				left++;
			}
		}
		if (!left)
			return;
		if (bench_now_ms() > end)
			break;
		usleep(20000);
	}
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			track(pids[i], false);
			pids[i] = 0;
		}
}

int bench_wait(pid_t *pid, int timeout_ms)
{
	int st = 0;
	double end = bench_now_ms() + timeout_ms;
	if (*pid <= 0)
		return -1;
	for (;;) {
		pid_t r = waitpid(*pid, &st, WNOHANG);
		if (r == *pid) {
			track(*pid, false);
			*pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		if (r < 0 || bench_now_ms() > end)
			break;
		usleep(5000);
	}
	bench_stop(pid, SIGKILL, 1000);
	return -1;
}

void bench_stop(pid_t *pid, int sig, int timeout_ms)
{
	bench_stop_many(pid, 1, sig, timeout_ms);
}

static bool can_bind(int type, int port)
{
	int s = socket(AF_INET, type, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	bool ok = s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

int bench_port(void)
{
	static int next;
	int lo = 20000, hi = 32000;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	int a, b;
	if (f) {
		if (fscanf(f, "%d %d", &a, &b) == 2 && a > 12000)
			hi = a; /* stay below the ephemeral range: no dialler takes ours */
		fclose(f);
	}
	if (hi - lo < 4000)
		lo = hi - 8000;
	if (!next)
		next = lo + (int)randombytes_uniform((uint32_t)(hi - lo) / 2);
	for (int tries = 0; tries < 20000; tries++) {
		int p = next++;
		if (next >= hi)
			next = lo;
		if (can_bind(SOCK_STREAM, p) && can_bind(SOCK_DGRAM, p))
			return p;
	}
	fprintf(stderr, "bench: no free port\n");
	exit(2);
}

static long status_field(const char *path, const char *field)
{
	char line[256];
	long v = -1;
	size_t fl = strlen(field);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, fl) && line[fl] == ':') {
			v = strtol(line + fl + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

long bench_rss_kb(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return status_field(path, "VmRSS");
}

long bench_proc_kb(pid_t pid, const char *field)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return status_field(path, field);
}

long bench_pss_kb(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Pss: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

long bench_mem_available_kb(void)
{
	return status_field("/proc/meminfo", "MemAvailable");
}

bool bench_ctxt(pid_t pid, uint64_t *all, uint64_t *main_thread)
{
	char path[128];
	*all = *main_thread = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char st[300];
		snprintf(st, sizeof(st), "/proc/%d/task/%s/status", (int)pid, e->d_name);
		long v = status_field(st, "voluntary_ctxt_switches");
		long nv = status_field(st, "nonvoluntary_ctxt_switches");
		uint64_t sum = (uint64_t)(v > 0 ? v : 0) + (uint64_t)(nv > 0 ? nv : 0);
		*all += sum;
		if (atoi(e->d_name) == (int)pid)
			*main_thread = sum;
	}
	closedir(d);
	return true;
}

size_t bench_threads(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	long t = status_field(path, "Threads");
	return t > 0 ? (size_t)t : 0;
}

/* ---- stats ---- */

void lat_add(struct lat *l, double ms)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		double *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = ms;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void lat_sort(struct lat *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(double), dcmp);
}

/* nearest rank: the smallest value with at least p of the samples at or below it */
double lat_pct(const struct lat *l, double p)
{
	if (!l->n)
		return NAN;
	size_t rank = (size_t)ceil(p * (double)l->n);
	if (rank < 1)
		rank = 1;
	if (rank > l->n)
		rank = l->n;
	return l->v[rank - 1];
}

double lat_max(const struct lat *l)
{
	return l->n ? l->v[l->n - 1] : NAN;
}

void lat_free(struct lat *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
