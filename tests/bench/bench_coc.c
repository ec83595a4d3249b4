/* hive-bench-coc: LE credit based channel throughput between two whole
 * graphs (launcher/graphs/peripheral.json and central.json) on one
 * hive-vctrl radio, driven as an app of each graph: the central's app sends
 * N MB (default 8) in SDUs of the peer's MTU (512, MPS 247) with at most 64
 * sends in flight, honouring -EAGAIN / writable; the peripheral's app
 * checks every byte. One JSON line on stdout: MB/s, and the CPU seconds
 * per MB of every process (bench_cpu.h, before and after the transfer):
 * each actor of both graphs, both brokers, hive-vctrl and this program
 * (the two apps).
 *
 *   hive-bench-coc [MB]    run from the source tree (graph files); the
 *                          programs are next to it, or in $HIVE_BIN_DIR */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_cpu.h"
#include "e2e.h"
#include "harness.h"

int main(int argc, char **argv)
{
	uint64_t total = 8u << 20;
	if (argc > 1) {
		long mb = strtol(argv[1], NULL, 10);
		if (mb < 1 || mb > 1024) {
			fprintf(stderr, "usage: hive-bench-coc [MB 1..1024]\n");
			return 2;
		}
		total = (uint64_t)mb << 20;
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
	struct bench_procs bp;
	if (!e2e_setup(e, NULL, false) || !e2e_coc_open(e, 512, 247))
		goto out;
	bench_procs_of(&bp, e);
	bench_procs_before(&bp);
	uint64_t t0 = hive_now_ns();
	e2e_coc_start(e, total);
	bool ok = e2e_coc_transfer(e, e->c.peer_mtu, 600000, false);
	uint64_t t1 = hive_now_ns();
	bench_procs_after(&bp);
	if (!ok || e->p.rx_bad)
		goto out;
	double s = (double)(t1 - t0) / 1e9, mb = (double)total / (1024.0 * 1024.0);
	char per[4096];
	double total_cpu = bench_procs_json(&bp, 1.0 / mb, 4, per, sizeof per);
	printf("{\"bench\":\"coc\",\"transport\":\"hive-vctrl\",\"mtu\":512,\"mps\":247,"
	       "\"peer_mtu\":%u,\"bytes\":%llu,\"sdus\":%llu,\"eagain\":%llu,\"seconds\":%.3f,"
	       "\"mb_per_s\":%.3f,\"cpu_s_per_mb_total\":%.4f,\"cpu_s_per_mb\":{%s},"
	       "\"cpus\":%ld,\"load1\":%.2f}\n",
	       e->c.peer_mtu, (unsigned long long)total, (unsigned long long)e->p.rx_sdus,
	       (unsigned long long)e->eagain, s, mb / s, total_cpu, per,
	       sysconf(_SC_NPROCESSORS_ONLN), bench_load1());
	fflush(stdout);
	rc = e2e_coc_close(e) && e2e_disconnect(e) ? 0 : 1;
out:
	if (rc)
		fprintf(stderr, "hive-bench-coc: %s (logs in %s)\n", e->err, e->dir);
	e2e_teardown(e);
	th_kill(e->vctrl, SIGTERM);
	th_cleanup();
	free(e);
	return rc;
}
