/* CPU accounting and the environment of the two-graph benchmarks: the CPU
 * seconds each process of both graphs (every actor, both brokers,
 * hive-vctrl, the bench itself) spends during a measured stretch. */
#ifndef HIVE_BENCH_CPU_H
#define HIVE_BENCH_CPU_H

#include <sys/types.h>

#include "e2e.h"

#define BENCH_PROCS_MAX 32

struct bench_procs {
	int n;
	struct {
		char name[48];
		pid_t pid;
		double before, after;
		double spent; /* the sum over the stretches measured */
	} p[BENCH_PROCS_MAX];
};

/* CPU time of a process in seconds: the sum of
 * /proc/PID/task/TID/schedstat over its threads (nanoseconds), else utime +
 * stime of /proc/PID/stat; -1 when it is gone. */
double bench_cpu_seconds(pid_t pid);
/* vctrl, this program ("apps"), then each graph's broker and actors (from
 * its Status), named "<label>.<actor>". */
void bench_procs_of(struct bench_procs *bp, struct e2e *e);
/* A measured stretch starts; it ends, adding its seconds to each spent. */
void bench_procs_before(struct bench_procs *bp);
void bench_procs_after(struct bench_procs *bp);
/* Writes "name":value,... of each process's seconds spent, scaled by
 * `scale`, with `decimals` digits, into out; returns the sum (scaled). */
double bench_procs_json(const struct bench_procs *bp, double scale, int decimals, char *out,
			size_t cap);

/* Runs from the source tree (graph files): chdir there when started from
 * the build tree; HIVE_BIN_DIR: the program's own directory by default. */
void bench_find_root(void);
void bench_set_bin_dir(void);
double bench_load1(void);

#endif
