/* Supervised child processes: finding the program, building argv and the
 * environment before fork (the child only calls async-signal-safe functions
 * between fork and exec), and starting it so that it dies with the
 * launcher. */
#ifndef HIVE_LAUNCHER_CHILD_H
#define HIVE_LAUNCHER_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "graph.h"
#include "hive.h"
#include "supervise.h"

/* A growable NULL-terminated list of malloc'd strings. */
struct strv {
	char **v;
	size_t n, cap;
};

int strv_push(struct strv *s, const char *str);
int strv_pushf(struct strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strv_free(struct strv *s);

struct child {
	char name[HIVE_NAME_MAX + 1];
	const struct graph_actor *spec; /* NULL for the broker */
	void *owner;                    /* the launcher, for timer callbacks */
	char *path;                     /* the program, resolved */
	struct strv argv;
	struct strv envp;               /* empty: the launcher's environment */
	int cpu;                        /* -1: not pinned */
	enum graph_restart restart;

	pid_t pid;                      /* 0 while not running */
	pid_t last_pid;                 /* of the latest start, kept after it ends */
	bool said_ready;                /* the latest start said ready (maybe since ended) */
	bool ever_ready;
	uint64_t started_ns;
	unsigned starts;
	int restart_timer;              /* hive timer id, 0: none */
	struct backoff backoff;
	struct intensity intensity;
	char last_exit[64];
};

/* Finds program: with a '/', as given; otherwise in dir (the launcher's own
 * directory) first, then in $PATH. Writes the path to out and returns 0, or
 * returns -ENOENT with the places tried in tried. */
int child_find_program(const char *program, const char *dir, char *out, size_t cap,
		       char *tried, size_t tried_cap);

/* The launcher's environment with the graph's variables set over it. */
int child_build_env(struct strv *envp, const struct graph_env *env, size_t n);

/* Forks and execs c (argv, envp, CPU pinning). The child gets SIGKILL when
 * the launcher dies, its stdout goes to the launcher's stderr, its stdin is
 * /dev/null, its stderr is inherited. parent is the launcher's pid. Returns
 * the pid, or -errno when fork failed (an exec failure is the child's exit
 * status 127). */
pid_t child_spawn(const struct child *c, pid_t parent);

void child_fini(struct child *c);

#endif
