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

struct run {
	uint32_t sdu_len;
	uint64_t frames;
	uint64_t byte0; /* the stream offset of the first byte */
};

static bool l2cap_call(struct e2e *e, struct e2e_side *s, Hive__L2capRequest *lr,
		       const char *what)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_L2CAP;
	req.l2cap = lr;
	return e2e_call(e, s, "l2cap", &req, what);
}

static bool coc_open(struct e2e *e)
{
	Hive__L2capCocParams rx = HIVE__L2CAP_COC_PARAMS__INIT;
	rx.mtu = MTU;
	rx.mps = MPS;
	Hive__L2capListen li = HIVE__L2CAP_LISTEN__INIT;
	li.spsm = E2E_SPSM;
	li.rx = &rx;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_LISTEN;
	lr.listen = &li;
	if (!l2cap_call(e, &e->p, &lr, "listen"))
		return false;
	Hive__L2capConnect co = HIVE__L2CAP_CONNECT__INIT;
	co.handle = e->c.handle;
	co.spsm = E2E_SPSM;
	co.rx = &rx;
	Hive__L2capRequest lc = HIVE__L2CAP_REQUEST__INIT;
	lc.op_case = HIVE__L2CAP_REQUEST__OP_CONNECT;
	lc.connect = &co;
	if (!l2cap_call(e, &e->c, &lc, "open a channel"))
		return false;
	const Hive__L2capResult *r = e->result->l2cap;
	if (!r || r->value_case != HIVE__L2CAP_RESULT__VALUE_CONNECTED ||
	    r->connected->n_channels != 1)
		return e2e_fail(e, "open a channel: no channel in the answer");
	e->c.cid = r->connected->channels[0]->cid;
	e->c.peer_mtu = r->connected->channels[0]->peer_mtu;
	return e2e_wait(e, &e->p.opened, E2E_DEADLINE_MS, "the peripheral's opened event");
}

static int send_frame(struct e2e *e, const struct run *run, uint64_t idx, bool resume)
{
	uint8_t buf[MPS];
	uint64_t off = run->byte0 + idx * run->sdu_len;
	for (uint32_t i = 0; i < run->sdu_len; i++)
		buf[i] = e2e_pattern(off + i);
	Hive__L2capSend sd = HIVE__L2CAP_SEND__INIT;
	sd.handle = e->c.handle;
	sd.cid = e->c.cid;
	sd.sdu.data = buf;
	sd.sdu.len = run->sdu_len;
	sd.resume = resume;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_SEND;
	lr.send = &sd;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = e->send_base_id + idx;
	req.op_case = HIVE__REQUEST__OP_L2CAP;
	req.l2cap = &lr;
	int rc = e2e_send(e, &e->c, "l2cap", &req);
	if (rc == 0)
		e->sends_in_flight++;
	return rc;
}

/* Sends run->frames one-frame SDUs and waits until the peripheral has them
 * all, byte for byte. */
static bool transfer(struct e2e *e, const struct run *run, int timeout_ms)
{
	uint64_t want_sdus = e->p.rx_sdus + run->frames;
	uint64_t next = 0;
	bool resume = false;
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	e->send_base_id = e->next_id + 1000;
	e->next_id += 1000 + run->frames;
	e->blocked = false;
	e->c.writable = false;
	while (e->p.rx_sdus < want_sdus || e->sends_in_flight) {
		if (*e->err)
			return false;
		if (e->p.rx_bad)
			return e2e_fail(e, "the peripheral received bytes out of order or changed");
		if (e->p.closed || e->c.closed)
			return e2e_fail(e, "the channel closed during the transfer");
		if (hive_now_ns() > deadline)
			return e2e_fail(e, "%llu of %llu frames within %d ms",
					(unsigned long long)(run->frames - (want_sdus - e->p.rx_sdus)),
					(unsigned long long)run->frames, timeout_ms);
		if (e->blocked && e->c.writable && e->sends_in_flight == 0) {
			next = e->rewind;
			e->blocked = false;
			e->c.writable = false;
			resume = true;
		}
		while (!e->blocked && next < run->frames && e->sends_in_flight < E2E_WINDOW) {
			if (send_frame(e, run, next, resume) < 0)
				return e2e_fail(e, "cannot send to l2cap");
			resume = false;
			next++;
		}
		if (!e2e_pump(e))
			return e2e_fail(e, "stopped");
	}
	e->send_base_id = 0;
	return true;
}

static bool bench_size(struct e2e *e, unsigned frame_bytes, uint64_t frames)
{
	struct run run = { .sdu_len = frame_bytes - L2CAP_HDR - SDU_HDR,
			   .frames = frames,
			   .byte0 = e->p.rx_bytes };
	struct bench_procs bp;
	bench_procs_of(&bp, e);
	uint64_t eagain0 = e->eagain;
	bench_procs_before(&bp);
	uint64_t t0 = hive_now_ns();
	if (!transfer(e, &run, 600000))
		return false;
	uint64_t t1 = hive_now_ns();
	bench_procs_after(&bp);
	double secs = (double)(t1 - t0) / 1e9;
	char per[4096];
	double total = bench_procs_json(&bp, 1e4 / (double)frames, per, sizeof per);
	printf("{\"bench\":\"l2cap_frames\",\"transport\":\"hive-vctrl\",\"channel\":\"coc\","
	       "\"frame_bytes\":%u,\"sdu_bytes\":%u,\"frames\":%llu,\"seconds\":%.3f,"
	       "\"frames_per_s\":%.0f,\"payload_mb_per_s\":%.3f,\"eagain\":%llu,"
	       "\"cpu_s_per_10k_frames_total\":%.3f,\"cpu_s_per_10k_frames\":{%s},"
	       "\"cpus\":%ld,\"load1\":%.2f}\n",
	       frame_bytes, run.sdu_len, (unsigned long long)frames, secs, (double)frames / secs,
	       (double)frames * run.sdu_len / secs / 1e6,
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
	if (e2e_setup(e, NULL, false) && coc_open(e) && bench_size(e, 27, frames) &&
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
