/* hive-bench-pair: LE Secure Connections pairing end to end between two
 * whole graphs (launcher/graphs/peripheral.json and central.json) on one
 * hive-vctrl radio, Just Works and Numeric Comparison: the time from the
 * central app's pair request until both hosts see the link encrypted, and
 * the CPU it cost every process (/proc/PID/task/TID/schedstat, else utime +
 * stime of /proc/PID/stat); then
 * P-256 key generation and ECDH operations per second through
 * actors/smp/smp_crypto.c directly. JSON lines on stdout.
 *
 *   hive-bench-pair [RUNS]   pairings per method (default 20); run from the
 *                            source tree, programs next to it or in
 *                            $HIVE_BIN_DIR */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "harness.h"
#include "../../actors/smp/smp_crypto.h"

/* ---- two graphs, driven as an app of each ------------------------------------------- */


/* ---- smp and l2cap requests ------------------------------------------------------------ */

static bool smp_call(struct e2e *e, struct e2e_side *s, Hive__SmpRequest *sr, const char *what)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = sr;
	return e2e_call(e, s, "smp", &req, what);
}

struct paired {
	bool sc, authenticated, bonded;
	uint32_t key_size;
	int method;
};

/* The central pairs; both hosts see the link encrypted. */
static bool pair(struct e2e *e, bool legacy, bool mitm, Hive__SmpIoCapability io,
		 struct paired *out)
{
	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = e->c.handle;
	p.legacy = legacy;
	p.mitm = mitm;
	p.io_cap = io;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	sr.pair = &p;
	e->c.encrypted = e->p.encrypted = false;
	if (!smp_call(e, &e->c, &sr, "pair"))
		return false;
	const Hive__SmpResult *r = e->result->smp;
	if (!r || r->value_case != HIVE__SMP_RESULT__VALUE_PAIRED)
		return e2e_fail(e, "pair: no outcome in the answer");
	out->sc = r->paired->sc;
	out->authenticated = r->paired->authenticated;
	out->bonded = r->paired->bonded;
	out->key_size = r->paired->key_size;
	out->method = r->paired->method;
	return e2e_wait(e, &e->c.encrypted, E2E_DEADLINE_MS, "the central's encryption") &&
	       e2e_wait(e, &e->p.encrypted, E2E_DEADLINE_MS, "the peripheral's encryption");
}

/* ---- CPU per process ------------------------------------------------------------------ */

#define PROCS_MAX 32

struct proc_cpu {
	char name[48];
	pid_t pid;
	double before, after;
};

/* CPU time of a process, in seconds, with nanosecond resolution: the sum
 * of /proc/PID/task/TID/schedstat over its threads (ZeroMQ's I/O threads
 * included); else utime + stime of /proc/PID/stat (clock ticks); -1 when
 * gone. */
static double cpu_seconds_stat(pid_t pid);

static double cpu_seconds(pid_t pid)
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

static int add_graph(struct e2e_side *s, struct proc_cpu *pc, int n)
{
	Hive__Status *st = th_status(s->a, E2E_DEADLINE_MS);
	if (!st)
		return n;
	if (st->broker_pid && n < PROCS_MAX) {
		snprintf(pc[n].name, sizeof pc[n].name, "%s.broker", s->label);
		pc[n++].pid = (pid_t)st->broker_pid;
	}
	for (size_t i = 0; i < st->n_actors && n < PROCS_MAX; i++) {
		const Hive__ActorStatus *as = st->actors[i];
		if (!as->pid || !strcmp(as->name, "app"))
			continue;
		snprintf(pc[n].name, sizeof pc[n].name, "%s.%s", s->label, as->name);
		pc[n++].pid = (pid_t)as->pid;
	}
	hive__status__free_unpacked(st, NULL);
	return n;
}

/* The tree holding launcher/graphs: here, else above the program. */
static void find_root(void)
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

static void set_bin_dir(void)
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

static double load1(void)
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

/* ---- P-256 through smp_crypto.c ------------------------------------------------------- */

static void p256_bench(double seconds)
{
	struct smp_p256 a, b;
	uint8_t dh[SMP_P256_LEN];
	uint64_t n = 0, t0 = hive_now_ns(), end = t0 + (uint64_t)(seconds * 1e9), t1;
	int bad = 0;
	do {
		bad |= smp_p256_keygen(&a) != 0;
		n++;
	} while ((t1 = hive_now_ns()) < end);
	double keygen = (double)n / ((double)(t1 - t0) / 1e9);
	bad |= smp_p256_keygen(&b) != 0;
	n = 0;
	t0 = hive_now_ns();
	end = t0 + (uint64_t)(seconds * 1e9);
	do {
		bad |= smp_p256_dhkey(&a, b.x, b.y, dh) != 0;
		n++;
	} while ((t1 = hive_now_ns()) < end);
	double ecdh = (double)n / ((double)(t1 - t0) / 1e9);
	uint8_t dh2[SMP_P256_LEN];
	bad |= smp_p256_dhkey(&b, a.x, a.y, dh2) != 0 || memcmp(dh, dh2, sizeof dh) != 0;
	printf("{\"bench\":\"p256\",\"keygen_per_s\":%.1f,\"ecdh_per_s\":%.1f,\"ok\":%s,"
	       "\"load1\":%.2f}\n",
	       keygen, ecdh, bad ? "false" : "true", load1());
	fflush(stdout);
}

/* ---- pairing end to end ---------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#define RUNS_MAX 50

static bool pair_bench(struct e2e *e, const char *name, bool mitm, int want_method, int runs)
{
	struct proc_cpu pc[PROCS_MAX];
	double ms[RUNS_MAX], cpu[PROCS_MAX] = { 0 };
	memset(pc, 0, sizeof pc);
	int n = 0;
	snprintf(pc[n].name, sizeof pc[n].name, "vctrl");
	pc[n++].pid = e->vctrl;
	snprintf(pc[n].name, sizeof pc[n].name, "apps");
	pc[n++].pid = getpid();
	n = add_graph(&e->p, pc, n);
	n = add_graph(&e->c, pc, n);
	for (int r = 0; r < runs; r++) {
		if (!e2e_connect(e))
			return false;
		struct paired pd = { 0 };
		for (int i = 0; i < n; i++)
			pc[i].before = cpu_seconds(pc[i].pid);
		uint64_t t0 = hive_now_ns();
		if (!pair(e, false, mitm, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, &pd))
			return false;
		uint64_t t1 = hive_now_ns();
		for (int i = 0; i < n; i++) {
			pc[i].after = cpu_seconds(pc[i].pid);
			if (pc[i].before >= 0 && pc[i].after >= 0)
				cpu[i] += pc[i].after - pc[i].before;
		}
		if (pd.method != want_method || !pd.sc)
			return e2e_fail(e, "%s: method %d, sc %d", name, pd.method, pd.sc);
		ms[r] = (double)(t1 - t0) / 1e6;
		if (!e2e_disconnect(e))
			return false;
	}
	double sum = 0, total = 0;
	for (int r = 0; r < runs; r++)
		sum += ms[r];
	qsort(ms, (size_t)runs, sizeof ms[0], cmp_double);
	char per[4096] = "";
	for (int i = 0; i < n; i++) {
		size_t l = strlen(per);
		total += cpu[i];
		snprintf(per + l, sizeof per - l, "%s\"%.47s\":%.2f", i ? "," : "", pc[i].name,
			 cpu[i] * 1e3 / runs);
	}
	printf("{\"bench\":\"pair\",\"method\":\"%s\",\"transport\":\"hive-vctrl\",\"runs\":%d,"
	       "\"p50_ms\":%.1f,\"mean_ms\":%.1f,\"min_ms\":%.1f,\"max_ms\":%.1f,"
	       "\"cpu_ms_total\":%.2f,\"cpu_ms\":{%s},\"cpus\":%ld,\"load1\":%.2f}\n",
	       name, runs, ms[runs / 2], sum / runs, ms[0], ms[runs - 1], total * 1e3 / runs, per,
	       sysconf(_SC_NPROCESSORS_ONLN), load1());
	fflush(stdout);
	return true;
}

int main(int argc, char **argv)
{
	int runs = 20;
	if (argc > 1) {
		runs = atoi(argv[1]);
		if (runs < 1 || runs > RUNS_MAX) {
			fprintf(stderr, "usage: hive-bench-pair [RUNS 1..%d]\n", RUNS_MAX);
			return 2;
		}
	}
	hive_signals_install();
	if (!getenv("HIVE_LOG"))
		hive_log_set_threshold(HIVE_LOG_WARN);
	set_bin_dir();
	find_root();
	E = calloc(1, sizeof *E);
	struct e2e *e = E;
	int rc = 1;
	if (!e)
		return 1;
	/* e2e_setup connects once: that link goes first. */
	if (e2e_setup(e, NULL, true) && e2e_disconnect(e) &&
	    pair_bench(e, "sc_just_works", false, HIVE__SMP_METHOD__METHOD_JUST_WORKS, runs) &&
	    pair_bench(e, "sc_numeric_comparison", true,
		       HIVE__SMP_METHOD__METHOD_NUMERIC_COMPARISON, runs))
		rc = 0;
	if (rc)
		fprintf(stderr, "hive-bench-pair: %s\n", e->err);
	e2e_teardown(e);
	th_kill(e->vctrl, SIGTERM);
	th_cleanup();
	free(e);
	p256_bench(1.0);
	return rc;
}
