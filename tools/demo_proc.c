/* hive-demo's processes and taps: start a program with its stdout on a
 * pipe, wait for its "ready" line, stop it; count the messages each
 * broker publishes on its tap, per pipe. */
#include "demo.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.h>

#include "hive.h"

int demo_proc_start(struct demo_proc *p, const char *what, char *const argv[], const char *cwd,
		    const char *log)
{
	int fds[2];
	memset(p, 0, sizeof *p);
	p->pid = -1;
	p->out_fd = -1;
	snprintf(p->what, sizeof p->what, "%s", what);
	snprintf(p->log, sizeof p->log, "%s", log);
	if (pipe2(fds, O_CLOEXEC) < 0) {
		int rc = -errno;
		hive_logf(DEMO_NAME, HIVE_LOG_ERROR, "pipe: %s", strerror(errno));
		return rc;
	}
	int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pid_t pid = logfd < 0 ? -1 : fork();
	if (pid == 0) {
		/* The child dies with us, whatever way we go. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fds[1], STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		if (cwd && chdir(cwd) < 0)
			_exit(127);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "%s: cannot run %s: %s\n", DEMO_NAME, argv[0],
			strerror(errno));
		_exit(127);
	}
	int err = errno;
	close(fds[1]);
	if (logfd >= 0)
		close(logfd);
	if (pid < 0) {
		close(fds[0]);
		hive_logf(DEMO_NAME, HIVE_LOG_ERROR, "cannot start %s (%s): %s", what, argv[0],
			  strerror(err));
		return -err;
	}
	p->pid = pid;
	p->out_fd = fds[0];
	return 0;
}

static void show_log_tail(const struct demo_proc *p)
{
	FILE *f = fopen(p->log, "r");
	char line[512];
	char tail[12][512];
	size_t n = 0;
	if (!f)
		return;
	while (fgets(line, sizeof line, f))
		snprintf(tail[n++ % 12], sizeof tail[0], "%s", line);
	fclose(f);
	fprintf(stderr, "%s: the last lines of %s's log (%s):\n", DEMO_NAME, p->what, p->log);
	for (size_t i = n > 12 ? n - 12 : 0; i < n; i++)
		fprintf(stderr, "  %s", tail[i % 12]);
}

int demo_proc_wait_ready(struct demo_proc *p, int timeout_ms, char *lines, size_t cap)
{
	char buf[4096];
	size_t len = 0;
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	if (lines && cap)
		lines[0] = 0;
	for (;;) {
		char *nl;
		while ((nl = memchr(buf, '\n', len))) {
			*nl = 0;
			if (!strcmp(buf, "ready"))
				return 0;
			if (lines) {
				size_t l = strlen(lines);
				snprintf(lines + l, cap - l, "%s\n", buf);
			}
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		uint64_t now = hive_now_ns();
		if (now >= deadline || hive_signal_received()) {
			hive_logf(DEMO_NAME, HIVE_LOG_ERROR, "%s did not say ready within %d ms",
				  p->what, timeout_ms);
			show_log_tail(p);
			return -ETIMEDOUT;
		}
		struct pollfd pf = { .fd = p->out_fd, .events = POLLIN };
		int n = poll(&pf, 1, (int)((deadline - now) / 1000000ull) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		ssize_t got = n > 0 ? read(p->out_fd, buf + len, sizeof buf - 1 - len) : 0;
		if (n > 0 && got <= 0) {
			hive_logf(DEMO_NAME, HIVE_LOG_ERROR, "%s ended before it was ready", p->what);
			show_log_tail(p);
			return -EPIPE;
		}
		if (got > 0)
			len += (size_t)got;
		if (len == sizeof buf - 1)
			len = 0; /* a line longer than the buffer: not "ready" */
	}
}

int demo_proc_stop(struct demo_proc *p, int timeout_ms)
{
	int st = -1;
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
		pid_t w = 0;
		while ((w = waitpid(p->pid, &st, WNOHANG)) == 0 && hive_now_ns() < deadline)
			poll(NULL, 0, 10);
		if (w == 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
			st = -1;
		}
		p->pid = -1;
	}
	if (p->out_fd >= 0) {
		close(p->out_fd);
		p->out_fd = -1;
	}
	return st;
}

/* ---- the tap ------------------------------------------------------------------ */

int demo_tap_open(struct demo_tap *t, const char *run_dir)
{
	char ep[DEMO_PATH_MAX + 16];
	int hwm = 0, linger = 0;
	int64_t maxmsg = 1 << 20;
	memset(t, 0, sizeof *t);
	snprintf(ep, sizeof ep, "ipc://%s/tap", run_dir);
	t->zctx = zmq_ctx_new();
	t->sub = t->zctx ? zmq_socket(t->zctx, ZMQ_SUB) : NULL;
	if (!t->sub || zmq_setsockopt(t->sub, ZMQ_RCVHWM, &hwm, sizeof hwm) < 0 ||
	    zmq_setsockopt(t->sub, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
	    zmq_setsockopt(t->sub, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) < 0 ||
	    zmq_setsockopt(t->sub, ZMQ_SUBSCRIBE, "", 0) < 0 || zmq_connect(t->sub, ep) < 0) {
		int rc = -zmq_errno();
		hive_logf(DEMO_NAME, HIVE_LOG_ERROR, "cannot attach to the tap %s: %s", ep,
			  zmq_strerror(-rc));
		demo_tap_close(t);
		return rc;
	}
	return 0;
}

static void count(struct demo_tap *t, const char *topic, size_t len)
{
	char a[65], b[65];
	const char *gt = memchr(topic, '>', len);
	if (!gt || gt == topic || (size_t)(gt - topic) > 64 || len - (size_t)(gt - topic) - 1 > 64)
		return;
	snprintf(a, sizeof a, "%.*s", (int)(gt - topic), topic);
	snprintf(b, sizeof b, "%.*s", (int)(len - (size_t)(gt - topic) - 1), gt + 1);
	if (strcmp(a, b) > 0) {
		char x[65];
		memcpy(x, a, sizeof x);
		memcpy(a, b, sizeof a);
		memcpy(b, x, sizeof b);
	}
	t->total++;
	for (size_t i = 0; i < t->npipes; i++) {
		if (!strcmp(t->pipes[i].a, a) && !strcmp(t->pipes[i].b, b)) {
			t->pipes[i].n++;
			return;
		}
	}
	if (t->npipes == DEMO_PIPES_MAX)
		return;
	struct demo_pipe *p = &t->pipes[t->npipes++];
	memcpy(p->a, a, sizeof p->a);
	memcpy(p->b, b, sizeof p->b);
	p->n = 1;
}

void demo_tap_drain(struct demo_tap *t)
{
	char topic[160];
	while (t->sub) {
		int n = zmq_recv(t->sub, topic, sizeof topic, ZMQ_DONTWAIT);
		if (n < 0)
			return;
		int more = 0;
		size_t ml = sizeof more;
		zmq_getsockopt(t->sub, ZMQ_RCVMORE, &more, &ml);
		/* The envelope (and anything after it) is not needed: only counted. */
		while (more) {
			zmq_msg_t m;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, t->sub, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&m);
				break;
			}
			more = zmq_msg_more(&m);
			zmq_msg_close(&m);
		}
		count(t, topic, (size_t)n < sizeof topic ? (size_t)n : sizeof topic);
	}
}

void demo_tap_close(struct demo_tap *t)
{
	if (t->sub)
		zmq_close(t->sub);
	if (t->zctx)
		zmq_ctx_term(t->zctx);
	t->sub = NULL;
	t->zctx = NULL;
}

uint64_t demo_tap_count(const struct demo_tap *t, const char *a, const char *b)
{
	if (strcmp(a, b) > 0) {
		const char *x = a;
		a = b;
		b = x;
	}
	for (size_t i = 0; i < t->npipes; i++)
		if (!strcmp(t->pipes[i].a, a) && !strcmp(t->pipes[i].b, b))
			return t->pipes[i].n;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

void demo_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
