/* hive-bench-pair: LE Secure Connections pairing end to end between two
 * whole graphs (launcher/graphs/peripheral.json and central.json) on one
 * hive-vctrl radio, Just Works and Numeric Comparison: the time from the
 * central app's pair request until both hosts see the link encrypted, and
 * the CPU it cost every process (bench_cpu.h); then
 * P-256 key generation and ECDH operations per second through
 * actors/smp/smp_crypto.c directly. JSON lines on stdout.
 *
 *   hive-bench-pair [RUNS]   pairings per method (default 20); run from the
 *                            source tree, programs next to it or in
 *                            $HIVE_BIN_DIR */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_cpu.h"
#include "e2e.h"
#include "harness.h"
#include "../../actors/smp/smp_crypto.h"

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
	       keygen, ecdh, bad ? "false" : "true", bench_load1());
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
	struct bench_procs bp;
	double ms[RUNS_MAX];
	bench_procs_of(&bp, e);
	for (int r = 0; r < runs; r++) {
		if (!e2e_connect(e))
			return false;
		struct e2e_paired pd = { 0 };
		bench_procs_before(&bp);
		uint64_t t0 = hive_now_ns();
		if (!e2e_pair(e, false, mitm, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, &pd))
			return false;
		uint64_t t1 = hive_now_ns();
		bench_procs_after(&bp);
		if (pd.method != want_method || !pd.sc)
			return e2e_fail(e, "%s: method %d, sc %d", name, pd.method, pd.sc);
		ms[r] = (double)(t1 - t0) / 1e6;
		if (!e2e_disconnect(e))
			return false;
	}
	double sum = 0;
	for (int r = 0; r < runs; r++)
		sum += ms[r];
	qsort(ms, (size_t)runs, sizeof ms[0], cmp_double);
	char per[4096];
	double total = bench_procs_json(&bp, 1e3 / runs, 2, per, sizeof per);
	printf("{\"bench\":\"pair\",\"method\":\"%s\",\"transport\":\"hive-vctrl\",\"runs\":%d,"
	       "\"p50_ms\":%.1f,\"mean_ms\":%.1f,\"min_ms\":%.1f,\"max_ms\":%.1f,"
	       "\"cpu_ms_total\":%.2f,\"cpu_ms\":{%s},\"cpus\":%ld,\"load1\":%.2f}\n",
	       name, runs, ms[runs / 2], sum / runs, ms[0], ms[runs - 1], total, per,
	       sysconf(_SC_NPROCESSORS_ONLN), bench_load1());
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
	bench_set_bin_dir();
	bench_find_root();
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
