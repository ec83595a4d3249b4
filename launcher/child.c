/* Starting supervised children. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"

extern char **environ;

/* ---- string lists ------------------------------------------------------------ */

static int strv_take(struct strv *s, char *str)
{
	if (!str)
		return -ENOMEM;
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof *v);
		if (!v) {
			free(str);
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	return 0;
}

int strv_push(struct strv *s, const char *str)
{
	return strv_take(s, strdup(str));
}

int strv_pushf(struct strv *s, const char *fmt, ...)
{
	char *str = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&str, fmt, ap);
	va_end(ap);
	return strv_take(s, n < 0 ? NULL : str);
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct strv){ 0 };
}

/* ---- programs and environment ------------------------------------------------- */

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Appends "place" to the list of places tried. */
static void tried_add(char *tried, size_t cap, const char *place)
{
	size_t n = strlen(tried);
	if (n < cap)
		snprintf(tried + n, cap - n, "%s%s", n ? ", " : "", place);
}

int child_find_program(const char *program, const char *dir, char *out, size_t cap,
		       char *tried, size_t tried_cap)
{
	char cand[4096];
	int rc = -ENOENT;
	if (tried_cap)
		tried[0] = '\0';

	if (strchr(program, '/')) {
		/* A path: as given, relative to the current directory. */
		if (is_executable(program)) {
			snprintf(out, cap, "%s", program);
			rc = 0;
		} else {
			tried_add(tried, tried_cap, program);
		}
	} else if (dir && dir[0]) {
		snprintf(cand, sizeof cand, "%s/%s", dir, program);
		if (is_executable(cand)) {
			snprintf(out, cap, "%s", cand);
			rc = 0;
		} else {
			tried_add(tried, tried_cap, cand);
		}
	}
	const char *path = getenv("PATH");
	const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
	while (rc < 0 && !strchr(program, '/') && *p) {
		size_t len = strcspn(p, ":");
		snprintf(cand, sizeof cand, "%.*s/%s", (int)(len ? len : 1), len ? p : ".",
			 program);
		if (is_executable(cand)) {
			snprintf(out, cap, "%s", cand);
			rc = 0;
		}
		p += len;
		if (*p == ':')
			p++;
		if (rc < 0 && !*p)
			tried_add(tried, tried_cap, "$PATH");
	}
	return rc;
}

int child_build_env(struct strv *envp, const struct graph_env *env, size_t n)
{
	int rc = 0;
	for (char **e = environ; rc == 0 && e && *e; e++) {
		bool overridden = false;
		for (size_t i = 0; i < n && !overridden; i++) {
			size_t klen = strlen(env[i].key);
			overridden = strncmp(*e, env[i].key, klen) == 0 && (*e)[klen] == '=';
		}
		if (!overridden)
			rc = strv_push(envp, *e);
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = strv_pushf(envp, "%s=%s", env[i].key, env[i].value);
	return rc;
}

/* ---- spawning ---------------------------------------------------------------------- */

/* Async-signal-safe: writes "hive-launch: WHAT PATH failed (errno N)\n". */
static void child_complain(const char *what, const char *path, int err)
{
	char num[16];
	int i = (int)sizeof num;
	unsigned u = (unsigned)err;
	num[--i] = '\0';
	do {
		num[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u && i > 0);
	const char *parts[] = { "hive-launch: ", what, " ", path, " failed (errno ", num + i,
				")\n" };
	for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
		if (write(2, parts[k], strlen(parts[k])) < 0)
			break;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn)) child_exec(const struct child *c, pid_t parent)
{
	/* Die with the launcher, even when it is killed with SIGKILL; if it
	 * died before this line, the signal would never come: leave now. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);

	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGPIPE, &dfl, NULL);
	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGTERM, &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Its own process group: a terminal's Ctrl-C reaches the launcher
	 * alone, which then stops the graph in reverse order. */
	setpgid(0, 0);

	int null = open("/dev/null", O_RDONLY);
	if (null >= 0 && null != 0) {
		dup2(null, 0);
		close(null);
	}
	/* The launcher's stdout carries only "ready". */
	dup2(2, 1);
	close_range(3, ~0u, 0);

	if (c->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(c->cpu, &set);
		if (sched_setaffinity(0, sizeof set, &set) < 0)
			child_complain("pinning to a CPU for", c->path, errno);
	}
	execve(c->path, c->argv.v, c->envp.n ? c->envp.v : environ);
	child_complain("exec", c->path, errno);
	_exit(127);
}

pid_t child_spawn(const struct child *c, pid_t parent)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		child_exec(c, parent);
	return pid;
}

void child_fini(struct child *c)
{
	free(c->path);
	c->path = NULL;
	strv_free(&c->argv);
	strv_free(&c->envp);
	intensity_fini(&c->intensity);
}
