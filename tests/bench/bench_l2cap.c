/* hive-bench-l2cap: L2CAP frames per second end to end between two whole
 * graphs (launcher/graphs/peripheral.json and central.json) on one
 * hive-vctrl radio, and the CPU seconds every process spends per 10,000
 * frames. The central's app sends on an LE credit based channel (MTU 512,
 * MPS 247) SDUs that each make exactly one L2CAP frame of 27 bytes (the
 * LE minimum: 4 header, 2 SDU length, 21 data) or 247 bytes (241 data),
 * with at most 64 sends in flight and l2cap's -EAGAIN / writable honoured;
 * the peripheral's app checks every byte. So each frame crosses app,
 * l2cap, host, hci, hive-vctrl, hci, host, l2cap, app: the host/ACL data
 * path with what surrounds it in a graph. One JSON line per frame size.
 *
 *   hive-bench-l2cap [FRAMES]   frames per size (default 20000); run from
 *                               the source tree, programs next to it or
 *                               in $HIVE_BIN_DIR */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_cpu.h"
#include "e2e.h"
#include "harness.h"

#define MTU 512
#define MPS 247
#define SDU_HDR 2   /* the first K-frame of an SDU carries its length */
#define L2CAP_HDR 4

static bool bench_size(struct e2e *e, unsigned frame_bytes, uint64_t frames)
{
	uint32_t sdu_len = frame_bytes - L2CAP_HDR - SDU_HDR;
	struct bench_procs bp;
	bench_procs_of(&bp, e);
	uint64_t eagain0 = e->eagain;
	bench_procs_before(&bp);
	uint64_t t0 = hive_now_ns();
	/* frames one-frame SDUs; the peripheral gets them all, byte for byte */
	e2e_coc_start(e, frames * sdu_len);
	if (!e2e_coc_transfer(e, sdu_len, 600000, false))
		return false;
	uint64_t t1 = hive_now_ns();
	bench_procs_after(&bp);
	double secs = (double)(t1 - t0) / 1e9;
	char per[4096];
	double total = bench_procs_json(&bp, 1e4 / (double)frames, 4, per, sizeof per);
	printf("{\"bench\":\"l2cap_frames\",\"transport\":\"hive-vctrl\",\"channel\":\"coc\","
	       "\"frame_bytes\":%u,\"sdu_bytes\":%u,\"frames\":%llu,\"seconds\":%.3f,"
	       "\"frames_per_s\":%.0f,\"payload_mb_per_s\":%.3f,\"eagain\":%llu,"
	       "\"cpu_s_per_10k_frames_total\":%.3f,\"cpu_s_per_10k_frames\":{%s},"
	       "\"cpus\":%ld,\"load1\":%.2f}\n",
	       frame_bytes, sdu_len, (unsigned long long)frames, secs, (double)frames / secs,
	       (double)frames * sdu_len / secs / 1e6,
	       (unsigned long long)(e->eagain - eagain0), total, per,
	       sysconf(_SC_NPROCESSORS_ONLN), bench_load1());
	fflush(stdout);
	return true;
}

int main(int argc, char **argv)
{
	uint64_t frames = 20000;
	if (argc > 1) {
		char *end;
		frames = strtoull(argv[1], &end, 10);
		if (*end || frames < 100 || frames > E2E_TOTAL - 1000) {
			fprintf(stderr, "usage: hive-bench-l2cap [FRAMES 100..%u]\n",
				E2E_TOTAL - 1000);
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
	if (!e)
		return 1;
	int rc = 1;
	if (e2e_setup(e, NULL, false) && e2e_coc_open(e, MTU, MPS) && bench_size(e, 27, frames) &&
	    bench_size(e, 247, frames))
		rc = 0;
	if (rc)
		fprintf(stderr, "hive-bench-l2cap: %s\n", e->err);
	e2e_teardown(e);
	th_kill(e->vctrl, SIGTERM);
	th_cleanup();
	free(e);
	return rc;
}
