#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define TH_MAX 64

/* The harness is test-process state by nature: what to clean up at the end. */
static pid_t th_pids[TH_MAX];
static int th_npids;
static char *th_dirs[TH_MAX];
static int th_ndirs;

char *th_run_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[512];
	snprintf(tmpl, sizeof tmpl, "%s/hive-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl))
		return NULL;
	chmod(tmpl, 0700);
	char *dir = strdup(tmpl);
	if (dir && th_ndirs < TH_MAX)
		th_dirs[th_ndirs++] = strdup(dir);
	return dir;
}

const char *th_bin(char *buf, size_t cap, const char *name)
{
	if (name[0] == '/') {
		snprintf(buf, cap, "%s", name);
		return buf;
	}
	const char *dir = getenv("HIVE_BIN_DIR");
	snprintf(buf, cap, "%s/%s", dir && *dir ? dir : "build/bin", name);
	return buf;
}

int th_slow(void)
{
	const char *s = getenv("HIVE_TEST_SLOW");
	int n = s ? atoi(s) : 1;
	return n >= 1 && n <= 100 ? n : 1;
}

#define TH_VG_ARGS 64

/* argv under valgrind (HIVE_VALGRIND=DIR) into v: memcheck, following
 * execs into hive programs only, one log per process (written into log). */
static void valgrind_argv(const char *v[TH_VG_ARGS], char *log, size_t log_cap,
			  const char *dir, const char *path, const char *const argv[])
{
	int n = 0;
	snprintf(log, log_cap, "--log-file=%s/%%p.vg", dir);
	v[n++] = "valgrind";
	v[n++] = "--tool=memcheck";
	v[n++] = "--trace-children=yes";
	v[n++] = "--trace-children-skip=*python*,/bin/*,/usr/bin/*,/usr/sbin/*";
	v[n++] = "--child-silent-after-fork=yes";
	v[n++] = "--leak-check=full";
	v[n++] = "--show-leak-kinds=definite";
	v[n++] = "--errors-for-leak-kinds=definite";
	v[n++] = "--num-callers=30";
	v[n++] = log;
	v[n++] = path;
	for (int i = 1; argv[i] && n < TH_VG_ARGS - 1; i++)
		v[n++] = argv[i];
	v[n] = NULL;
}

pid_t th_spawn(const char *const argv[], const char *stdout_path, const char *stderr_path)
{
	char path[1024];
	th_bin(path, sizeof path, argv[0]);
	const char *vg = getenv("HIVE_VALGRIND");
	bool under_valgrind = vg && *vg && argv[0][0] != '/';
	const char *vargv[TH_VG_ARGS];
	char vlog[1200];
	if (under_valgrind)
		valgrind_argv(vargv, vlog, sizeof vlog, vg, path, argv);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (stdout_path) {
			int fd = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd >= 0) {
				dup2(fd, 1);
				close(fd);
			}
		}
		if (stderr_path) {
			int fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd >= 0) {
				dup2(fd, 2);
				close(fd);
			}
		}
		/* Criterion's redirections and pipes must not leak into children. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		if (under_valgrind)
			execvp("valgrind", (char *const *)vargv);
		else
			execv(path, (char *const *)argv);
		fprintf(stderr, "th_spawn: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	if (th_npids < TH_MAX)
		th_pids[th_npids++] = pid;
	return pid;
}

static void forget_pid(pid_t pid)
{
	for (int i = 0; i < th_npids; i++)
		if (th_pids[i] == pid)
			th_pids[i] = 0;
}

int th_wait_exit(pid_t pid, int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			forget_pid(pid);
			return status;
		}
		if (r < 0)
			return -1;
		if (hive_now_ns() > deadline)
			return -1;
		/* Polling a child's exit: no event to wait on without a SIGCHLD
		 * handler, which would disturb Criterion. */
		usleep(2000);
	}
}

void th_kill(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	kill(pid, sig);
	if (th_wait_exit(pid, TH_DEADLINE_MS) < 0) {
		kill(pid, SIGKILL);
		th_wait_exit(pid, TH_DEADLINE_MS);
	}
}

bool th_alive(pid_t pid)
{
	int status;
	pid_t r = waitpid(pid, &status, WNOHANG);
	if (r == pid) {
		forget_pid(pid);
		return false;
	}
	if (r < 0 && errno == ECHILD)
		return kill(pid, 0) == 0;
	return r == 0;
}

pid_t th_start_broker(const char *run_dir, const char *const extra[])
{
	return th_start_broker_log(run_dir, extra, NULL);
}

pid_t th_start_broker_log(const char *run_dir, const char *const extra[],
			  const char *stderr_path)
{
	const char *argv[32] = { "hive-broker", "--run-dir", run_dir };
	int n = 3;
	for (int i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid_t pid = th_spawn(argv, NULL, stderr_path);
	if (pid < 0)
		return -1;
	struct hive_actor *probe = th_actor(run_dir, "th-probe");
	if (!probe) {
		th_kill(pid, SIGKILL);
		return -1;
	}
	hive_actor_destroy(&probe);
	return pid;
}

struct hive_actor *th_actor(const char *run_dir, const char *name)
{
	struct hive_actor_config cfg = { .name = name, .run_dir = run_dir };
	struct hive_actor *a = NULL;
	if (hive_actor_new(&a, &cfg) < 0)
		return NULL;
	return a;
}

bool th_run_until(struct hive_actor *a, const bool *flag, int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (!*flag) {
		uint64_t now = hive_now_ns();
		if (now >= deadline)
			return false;
		if (hive_run_once(a, (int)((deadline - now) / 1000000ull) + 1) < 0)
			return *flag;
	}
	return true;
}

bool th_run_until_count(struct hive_actor *a, const uint64_t *count, uint64_t want,
			int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (*count < want) {
		uint64_t now = hive_now_ns();
		if (now >= deadline)
			return false;
		if (hive_run_once(a, (int)((deadline - now) / 1000000ull) + 1) < 0)
			return *count >= want;
	}
	return true;
}

char *th_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *b = realloc(buf, cap * 2 + 1);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

bool th_file_contains(const char *path, const char *needle, int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		char *s = th_slurp(path, NULL);
		bool found = s && strstr(s, needle);
		free(s);
		if (found)
			return true;
		if (hive_now_ns() > deadline)
			return false;
		usleep(5000);
	}
}

struct status_wait {
	Hive__Status *status;
	bool done;
};

static void on_status(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct status_wait *w = arg;
	if (strcmp(source, "broker") != 0)
		return;
	/* The envelope is the runtime's: keep a deep copy through pack/unpack. */
	size_t len = hive__status__get_packed_size(env->status);
	uint8_t *buf = malloc(len ? len : 1);
	hive__status__pack(env->status, buf);
	w->status = hive__status__unpack(NULL, len, buf);
	free(buf);
	w->done = true;
}

Hive__Status *th_status(struct hive_actor *a, int timeout_ms)
{
	struct status_wait w = { 0 };
	hive_on(a, HIVE__ENVELOPE__BODY_STATUS, on_status, &w);
	Hive__StatusRequest req = HIVE__STATUS_REQUEST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_STATUS_REQUEST;
	env.status_request = &req;
	if (hive_send(a, "broker", &env) == 0)
		th_run_until(a, &w.done, timeout_ms);
	hive_on(a, HIVE__ENVELOPE__BODY_STATUS, NULL, NULL);
	return w.status;
}

const Hive__ActorStatus *th_status_find(const Hive__Status *s, const char *name)
{
	for (size_t i = 0; s && i < s->n_actors; i++)
		if (strcmp(s->actors[i]->name, name) == 0)
			return s->actors[i];
	return NULL;
}

Hive__Result *th_result_copy(const Hive__Result *r)
{
	size_t n = hive__result__get_packed_size(r);
	uint8_t *buf = malloc(n ? n : 1);
	Hive__Result *c = NULL;
	if (buf) {
		hive__result__pack(r, buf);
		c = hive__result__unpack(NULL, n, buf);
		free(buf);
	}
	return c;
}

static void rm_rf(const char *path)
{
	const char *argv[] = { "/bin/rm", "-rf", path, NULL };
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

void th_cleanup(void)
{
	/* Under valgrind, a clean stop first: its leak check runs at exit
	 * (a launcher stops its actors on SIGTERM). */
	const char *vg = getenv("HIVE_VALGRIND");
	for (int i = 0; vg && *vg && i < th_npids; i++)
		if (th_pids[i] > 0)
			kill(th_pids[i], SIGTERM);
	for (int i = 0; vg && *vg && i < th_npids; i++)
		if (th_pids[i] > 0)
			th_wait_exit(th_pids[i], TH_DEADLINE_MS);
	for (int i = 0; i < th_npids; i++) {
		if (th_pids[i] > 0) {
			kill(th_pids[i], SIGKILL);
			waitpid(th_pids[i], NULL, 0);
		}
	}
	th_npids = 0;
	for (int i = 0; i < th_ndirs; i++) {
		rm_rf(th_dirs[i]);
		free(th_dirs[i]);
	}
	th_ndirs = 0;
}
