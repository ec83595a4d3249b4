/* hive-bench: the processes of a measurement. Every child dies with the
 * parent (PR_SET_PDEATHSIG), and the parent kills and reaps every child and
 * removes every run directory it made, on success, failure or signal. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "hive.h"

#define KILL_GRACE_MS 5000

/* The only process-wide state: set by a signal in the parent. */
static volatile sig_atomic_t bench_signalled;

static void on_signal(int sig)
{
	(void)sig;
	bench_signalled = 1;
}

bool bench_interrupted(void)
{
	return bench_signalled != 0;
}

void bench_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: waits return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void child_signals_default(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
}

void bench_pin_self(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) < 0)
		fprintf(stderr, "hive-bench: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
}

static void remember(struct bench *b, pid_t pid)
{
	for (int i = 0; i < b->nprocs; i++) {
		if (b->procs[i] == 0) {
			b->procs[i] = pid;
			return;
		}
	}
	if (b->nprocs < BENCH_MAX_PROCS)
		b->procs[b->nprocs++] = pid;
}

static void forget(struct bench *b, pid_t pid)
{
	for (int i = 0; i < b->nprocs; i++)
		if (b->procs[i] == pid)
			b->procs[i] = 0;
}

/* In a fresh child: die with the parent, default signals, stdout away from
 * the JSON. Returns false when the parent is already gone. */
static bool child_setup(pid_t parent, int cpu)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		return false;
	child_signals_default();
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 1);
		close(null);
	}
	if (cpu >= 0)
		bench_pin_self(cpu);
	return true;
}

pid_t bench_fork(struct bench *b, int cpu, int *ready_fd)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(fds[0]);
		close(fds[1]);
		return -err;
	}
	if (pid == 0) {
		close(fds[0]);
		if (!child_setup(parent, cpu))
			_exit(127);
		*ready_fd = fds[1];
		return 0;
	}
	close(fds[1]);
	remember(b, pid);
	*ready_fd = fds[0];
	return pid;
}

void bench_child_ready(int fd)
{
	char c = 'R';
	ssize_t n;
	do
		n = write(fd, &c, 1);
	while (n < 0 && errno == EINTR);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Polls fd for input until the deadline. 1: readable, -ETIMEDOUT, -EINTR. */
static int poll_until(int fd, uint64_t deadline)
{
	for (;;) {
		if (bench_interrupted())
			return -EINTR;
		uint64_t now = now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

int bench_wait_ready(int fd, int timeout_ms)
{
	int rc = poll_until(fd, now_ms() + (uint64_t)timeout_ms);
	if (rc < 0)
		return rc;
	char c;
	ssize_t n = read(fd, &c, 1);
	return n == 1 ? 1 : 0;
}

int bench_wait_exit(struct bench *b, pid_t pid, int fd, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	int rc;
	for (;;) {
		rc = poll_until(fd, deadline);
		if (rc < 0)
			break;
		char buf[64];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
			rc = 0;
			break;
		}
	}
	close(fd);
	if (rc < 0)
		return rc;
	int status = 0;
	/* The pipe closed: the child is exiting; reap it. */
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	forget(b, pid);
	return status;
}

pid_t bench_spawn_broker(struct bench *b, const char *run_dir, int cpu)
{
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (!child_setup(parent, cpu))
			_exit(127);
		const char *argv[] = { b->broker_bin, "--run-dir", run_dir, "--log-level", "warn",
				       NULL };
		execv(b->broker_bin, (char *const *)argv);
		fprintf(stderr, "hive-bench: cannot run %s: %s\n", b->broker_bin, strerror(errno));
		_exit(127);
	}
	remember(b, pid);
	char path[4200];
	snprintf(path, sizeof path, "%s/broker", run_dir);
	uint64_t deadline = now_ms() + 5000;
	struct stat st;
	while (stat(path, &st) < 0) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			forget(b, pid);
			fprintf(stderr, "hive-bench: hive-broker exited before serving %s\n", run_dir);
			return -ECHILD;
		}
		if (now_ms() >= deadline || bench_interrupted()) {
			fprintf(stderr, "hive-bench: hive-broker did not bind %s within 5 s\n", path);
			return -ETIMEDOUT;
		}
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return pid;
}

pid_t bench_spawn_self(struct bench *b, char *const argv[], int *ready_fd)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(fds[0]);
		close(fds[1]);
		return -err;
	}
	if (pid == 0) {
		if (!child_setup(parent, -1))
			_exit(127);
		/* The write end survives exec as fd 3, which argv names. */
		if (dup2(fds[1], 3) < 0)
			_exit(127);
		execv(b->self_exe, argv);
		fprintf(stderr, "hive-bench: cannot run %s: %s\n", b->self_exe, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	remember(b, pid);
	*ready_fd = fds[0];
	return pid;
}

void bench_kill_all(struct bench *b)
{
	/* SIGTERM first, so a broker exits cleanly (and a profiler under it
	 * writes its data); SIGKILL what is left after the grace period. */
	int left = 0;
	for (int i = 0; i < b->nprocs; i++)
		if (b->procs[i] > 0 && kill(b->procs[i], SIGTERM) == 0)
			left++;
	uint64_t deadline = now_ms() + KILL_GRACE_MS;
	while (left > 0 && now_ms() < deadline) {
		left = 0;
		for (int i = 0; i < b->nprocs; i++) {
			if (b->procs[i] <= 0)
				continue;
			if (waitpid(b->procs[i], NULL, WNOHANG) == b->procs[i])
				b->procs[i] = 0;
			else
				left++;
		}
		if (left) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	for (int i = 0; i < b->nprocs; i++) {
		pid_t pid = b->procs[i];
		if (pid <= 0)
			continue;
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		b->procs[i] = 0;
	}
	b->nprocs = 0;
}

int bench_run_dir(struct bench *b, char *buf, size_t cap, const char *what)
{
	int n = snprintf(buf, cap, "%s/%s-%u", b->tmp, what, ++b->run_serial);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	if (mkdir(buf, 0700) < 0)
		return -errno;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void bench_remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

long bench_proc_kib(pid_t pid, const char *file, const char *field)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[256];
	long kib = -1;
	size_t n = strlen(field);
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kib = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kib;
}

void bench_child_fail(struct bench_shared *sh, const char *fmt, ...)
{
	char msg[sizeof sh->error];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "hive-bench[%d]: %s\n", (int)getpid(), msg);
	if (sh->error[0] == '\0')
		memcpy(sh->error, msg, sizeof msg);
}

int bench_pair(struct bench *b, const struct bench_params *p, bench_role_fn responder,
	       bench_role_fn driver, void *ctx, struct bench_result *r)
{
	struct bench_shared *sh = b->sh;
	memset(r, 0, sizeof *r);
	/* The samples need no clearing: nsamples says how many are valid. */
	memset(&sh->nsamples, 0, sizeof *sh - offsetof(struct bench_shared, nsamples));
	int rfd = -1, dfd = -1;
	int rc = 0;
	const char *why = NULL;

	pid_t rpid = bench_fork(b, p->cpu_responder, &rfd);
	if (rpid == 0)
		_exit(responder(ctx, p, sh, rfd) < 0 ? 1 : 0);
	if (rpid < 0) {
		rc = (int)rpid;
		why = "cannot fork the responder";
		goto out;
	}
	rc = bench_wait_ready(rfd, 10000);
	if (rc <= 0) {
		why = rc == 0 ? "the responder ended before it was ready"
			      : "the responder was not ready within 10 s";
		rc = rc == 0 ? -ECHILD : rc;
		goto out;
	}
	rc = 0;
	uint64_t t0 = hive_now_ns();
	pid_t dpid = bench_fork(b, p->cpu_driver, &dfd);
	if (dpid == 0)
		_exit(driver(ctx, p, sh, dfd) < 0 ? 1 : 0);
	if (dpid < 0) {
		rc = (int)dpid;
		why = "cannot fork the driver";
		goto out;
	}
	int st = bench_wait_exit(b, dpid, dfd, BENCH_STEP_TIMEOUT_MS);
	dfd = -1;
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		rc = st < 0 ? st : -ECHILD;
		why = st == -ETIMEDOUT ? "the driver did not finish in time" : "the driver failed";
		goto out;
	}
	st = bench_wait_exit(b, rpid, rfd, 10000);
	rfd = -1;
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		rc = st < 0 ? st : -ECHILD;
		why = st == -ETIMEDOUT ? "the responder did not finish in time"
				       : "the responder failed";
		goto out;
	}
	r->elapsed_s = (double)(hive_now_ns() - t0) / 1e9;
	bench_latency(sh, r);
	bench_rate(sh, r);
	r->drops = sh->drops;
	r->ok = sh->error[0] == '\0' && r->samples > 0 && r->drops == 0;
	if (!r->ok) {
		rc = -EPROTO;
		why = sh->error[0] ? sh->error : r->drops ? "messages were dropped" : "no samples";
	}
out:
	if (rfd >= 0)
		close(rfd);
	if (dfd >= 0)
		close(dfd);
	if (rc < 0) {
		r->ok = false;
		bool detail = sh->error[0] && why != sh->error;
		char msg[2 * sizeof r->error + 8];
		snprintf(msg, sizeof msg, "%s%s%s", why ? why : strerror(-rc), detail ? ": " : "",
			 detail ? sh->error : "");
		snprintf(r->error, sizeof r->error, "%.*s", (int)sizeof r->error - 1, msg);
		if (bench_interrupted())
			snprintf(r->error, sizeof r->error, "interrupted");
	}
	return rc;
}
