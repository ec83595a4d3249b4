/* CPU accounting of the two-graph benchmarks: see bench_cpu.h. */
#include "bench_cpu.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static double cpu_seconds_stat(pid_t pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* the command may hold spaces */
	unsigned long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
			 &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double bench_cpu_seconds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return cpu_seconds_stat(pid);
	struct dirent *de;
	uint64_t ns = 0;
	int threads = 0;
	while ((de = readdir(d))) {
		char sp[400];
		unsigned long long v;
		if (de->d_name[0] == '.')
			continue;
		snprintf(sp, sizeof sp, "%s/%s/schedstat", path, de->d_name);
		FILE *f = fopen(sp, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &v) == 1) {
			ns += v;
			threads++;
		}
		fclose(f);
	}
	closedir(d);
	return threads ? (double)ns / 1e9 : cpu_seconds_stat(pid);
}

static void add(struct bench_procs *bp, const char *label, const char *name, pid_t pid)
{
	if (bp->n >= BENCH_PROCS_MAX || pid <= 0)
		return;
	snprintf(bp->p[bp->n].name, sizeof bp->p[bp->n].name, "%s%s%s", label, *label ? "." : "",
		 name);
	bp->p[bp->n++].pid = pid;
}

static void add_graph(struct bench_procs *bp, struct e2e_side *s)
{
	Hive__Status *st = th_status(s->a, E2E_DEADLINE_MS);
	if (!st)
		return;
	add(bp, s->label, "broker", (pid_t)st->broker_pid);
	for (size_t i = 0; i < st->n_actors; i++) {
		const Hive__ActorStatus *as = st->actors[i];
		if (as->pid && strcmp(as->name, "app"))
			add(bp, s->label, as->name, (pid_t)as->pid);
	}
	hive__status__free_unpacked(st, NULL);
}

void bench_procs_of(struct bench_procs *bp, struct e2e *e)
{
	memset(bp, 0, sizeof *bp);
	add(bp, "", "vctrl", e->vctrl);
	add(bp, "", "apps", getpid());
	add_graph(bp, &e->p);
	add_graph(bp, &e->c);
}

void bench_procs_before(struct bench_procs *bp)
{
	for (int i = 0; i < bp->n; i++)
		bp->p[i].before = bench_cpu_seconds(bp->p[i].pid);
}

void bench_procs_after(struct bench_procs *bp)
{
	for (int i = 0; i < bp->n; i++) {
		bp->p[i].after = bench_cpu_seconds(bp->p[i].pid);
		if (bp->p[i].before >= 0 && bp->p[i].after >= 0)
			bp->p[i].spent += bp->p[i].after - bp->p[i].before;
	}
}

double bench_procs_json(const struct bench_procs *bp, double scale, int decimals, char *out,
			size_t cap)
{
	double total = 0;
	size_t l = 0;
	out[0] = 0;
	for (int i = 0; i < bp->n && l < cap; i++) {
		double s = bp->p[i].spent * scale;
		total += s;
		l += (size_t)snprintf(out + l, cap - l, "%s\"%s\":%.*f", i ? "," : "", bp->p[i].name,
				      decimals, s);
	}
	return total;
}

void bench_find_root(void)
{
	char exe[PATH_MAX], cand[PATH_MAX + 64];
	struct stat st;
	if (stat("launcher/graphs/peripheral.json", &st) == 0)
		return;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	const char *ups[] = { "..", "../..", "../../.." };
	for (size_t i = 0; i < 3; i++) {
		snprintf(cand, sizeof cand, "%s/%s/launcher/graphs/peripheral.json", exe, ups[i]);
		if (stat(cand, &st) == 0) {
			snprintf(cand, sizeof cand, "%s/%s", exe, ups[i]);
			if (chdir(cand) == 0)
				return;
		}
	}
}

void bench_set_bin_dir(void)
{
	char exe[PATH_MAX];
	if (getenv("HIVE_BIN_DIR"))
		return;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	setenv("HIVE_BIN_DIR", exe, 1);
}

double bench_load1(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}
