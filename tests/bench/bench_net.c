/* hive-bench-net: the GATT read round trip and notifications/s of the
 * reference workload (BENCH-WORKLOAD.md, as hive-bench-gatt runs it) with
 * the central's gatt in another network namespace over tcp+CURVE, next to
 * the same figures with everything on ipc.
 *
 *   ipc     both graphs on this host: the peer launcher/graphs/bench-peripheral
 *           .json (gatt serving examples/bench-db.json), the central
 *           launcher/graphs/central.json; every pipe ipc (tests/support/e2e.c)
 *   tcp     the three-namespace lab of test_netns (tests/unit/netns_util.h):
 *           the central's broker, hci, host and l2cap in A, its gatt and smp
 *           in B registering over tcp with CURVE across a veth pair, the peer
 *           graph in C. A read from the central's app crosses the tcp link
 *           twice (app > gatt, gatt > l2cap; l2cap > gatt, gatt > app), each
 *           a broker hop of A with one leg on tcp+CURVE
 *
 * Workload, per placement, after connecting and discovering the bench
 * database: --reads (2,000) sequential reads of its 20-byte read
 * characteristic after 20 untimed, each timed at the central's app from
 * request to Result; --notifications (20,000) notifications of 20 bytes at
 * MTU 23 from the peer's app, at most --window (64) sent and not yet
 * received by the central's app (hive-bench-gatt's end-to-end window),
 * counted and checked in order there.
 *
 * One JSON line "net" with both placements side by side and their ratios.
 * Without root or network namespaces the tcp half is skipped and the line
 * says why. Run from the repository root with HIVE_BIN_DIR set (make bench
 * does). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/netns_util.h"
#include "e2e.h"
#include "harness.h"

#define ME "hive-bench-net"
#define WARMUP 20
#define MAX_READS 100000

struct figures {
	double read_p50_us, read_p99_us, reads_per_s;
	double notify_per_s;
	bool all_arrived;
};

struct bench_net {
	unsigned reads, notifies, window;
	struct e2e run;
	uint32_t read_h, notify_h;
	/* notifications at the central's app */
	uint64_t n_recv, n_out_of_order, n_last_ns;
	uint64_t samples[MAX_READS];
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)ceil(p * (double)n);
	i = i ? i - 1 : 0;
	return (double)v[i < n ? i : n - 1] / 1e3;
}

static bool gatt_call(struct bench_net *b, Hive__GattRequest *gr, const char *what)
{
	gr->conn = b->run.c.handle;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = gr;
	return e2e_call(&b->run, &b->run.c, "gatt", &req, what) && b->run.result->gatt;
}

/* The bench database's 128-bit UUIDs start (little-endian) with 01 0a for
 * the read characteristic and 02 0a for the notifying one. */
static bool discover(struct bench_net *b)
{
	Hive__GattDiscoverCharacteristics dc = HIVE__GATT_DISCOVER_CHARACTERISTICS__INIT;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_CHARACTERISTICS;
	gr.discover_characteristics = &dc;
	if (!gatt_call(b, &gr, "discover characteristics") || !b->run.result->gatt->discovery)
		return false;
	const Hive__GattDiscovery *d = b->run.result->gatt->discovery;
	b->read_h = b->notify_h = 0;
	for (size_t i = 0; i < d->n_characteristics; i++) {
		const ProtobufCBinaryData *u = &d->characteristics[i]->uuid;
		if (u->len == 16 && u->data[1] == 0x0a && u->data[0] == 0x01)
			b->read_h = d->characteristics[i]->value_handle;
		else if (u->len == 16 && u->data[1] == 0x0a && u->data[0] == 0x02)
			b->notify_h = d->characteristics[i]->value_handle;
	}
	if (!b->read_h || !b->notify_h)
		return e2e_fail(&b->run, "the bench database's characteristics were not found");
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	Hive__GattRequest ge = HIVE__GATT_REQUEST__INIT;
	ge.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	ge.subscribe_events = &se;
	Hive__GattSubscribe sub = HIVE__GATT_SUBSCRIBE__INIT;
	sub.handle = b->notify_h;
	Hive__GattRequest gs = HIVE__GATT_REQUEST__INIT;
	gs.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE;
	gs.subscribe = &sub;
	return gatt_call(b, &ge, "gatt events") && gatt_call(b, &gs, "subscribe");
}

/* One read, timed from send to Result at the central's app, which alone is
 * served while waiting (as hive-bench-gatt does). */
static bool timed_read(struct bench_net *b, uint64_t *ns)
{
	struct e2e *e = &b->run;
	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	rd.handle = b->read_h;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_READ;
	gr.read = &rd;
	gr.conn = e->c.handle;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	e->call_done = false;
	uint64_t t0 = hive_now_ns(), deadline = t0 + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	if (e2e_send(e, &e->c, "gatt", &req) < 0)
		return e2e_fail(e, "cannot send a read to gatt");
	e->call_id = req.id;
	while (!e->call_done)
		if (hive_run_once(e->c.a, 100) < 0 || hive_now_ns() > deadline)
			return e2e_fail(e, "no answer to a read within %d ms", E2E_DEADLINE_MS);
	*ns = hive_now_ns() - t0;
	e->call_id = 0;
	if (!e->result || e->result->status)
		return e2e_fail(e, "a read failed (status %d)", e->result ? e->result->status : -1);
	return true;
}

static bool step_reads(struct bench_net *b, struct figures *f)
{
	uint64_t ns;
	for (unsigned i = 0; i < WARMUP; i++)
		if (!timed_read(b, &ns))
			return false;
	uint64_t t0 = hive_now_ns();
	for (unsigned i = 0; i < b->reads; i++)
		if (!timed_read(b, &b->samples[i]))
			return false;
	double el = (double)(hive_now_ns() - t0) / 1e9;
	qsort(b->samples, b->reads, sizeof b->samples[0], cmp_u64);
	f->read_p50_us = pct_us(b->samples, b->reads, 0.50);
	f->read_p99_us = pct_us(b->samples, b->reads, 0.99);
	f->reads_per_s = (double)b->reads / el;
	return true;
}

static void on_notification(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			    void *arg)
{
	struct bench_net *b = arg;
	const Hive__GattEvent *e = env->gatt_event;
	if (e->kind_case != HIVE__GATT_EVENT__KIND_NOTIFICATION ||
	    e->notification->handle != b->notify_h)
		return;
	const ProtobufCBinaryData *v = &e->notification->value;
	uint32_t seq = v->len == 20 ? (uint32_t)(v->data[0] | v->data[1] << 8 | v->data[2] << 16 |
						  (uint32_t)v->data[3] << 24)
				    : UINT32_MAX;
	if (seq != b->n_recv)
		b->n_out_of_order++;
	b->n_recv++;
	b->n_last_ns = hive_now_ns();
}

/* notify-20 with the end-to-end window. */
static bool step_notify(struct bench_net *b, struct figures *f)
{
	struct e2e *e = &b->run;
	uint8_t val[20];
	memset(val, 0x5a, sizeof val);
	b->n_recv = b->n_out_of_order = b->n_last_ns = 0;
	hive_on(e->c.a, HIVE__ENVELOPE__BODY_GATT_EVENT, on_notification, b);
	Hive__GattNotify nt = HIVE__GATT_NOTIFY__INIT;
	nt.handle = b->notify_h; /* the same database: the peer's handle is ours */
	nt.value.data = val;
	nt.value.len = sizeof val;
	nt.all_subscribers = true;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	gr.notify = &nt;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	uint64_t sent = 0, t0 = hive_now_ns(), deadline = t0 + 60ull * 1000000000ull;
	uint64_t idle_since = 0;
	while (b->n_recv < b->notifies && hive_now_ns() < deadline) {
		while (sent < b->notifies && sent - b->n_recv < b->window) {
			for (int k = 0; k < 4; k++)
				val[k] = (uint8_t)(sent >> (8 * k));
			req.id = 0;
			int rc = e2e_send(e, &e->p, "gatt", &req);
			if (rc == -EAGAIN)
				break;
			if (rc < 0)
				return e2e_fail(e, "cannot send a notify request: %s", strerror(-rc));
			sent++;
		}
		uint64_t before = b->n_recv;
		if (!e2e_pump(e))
			return e2e_fail(e, "stopped");
		/* Everything sent and nothing more arrives for 2 s: lost. */
		if (sent == b->notifies && b->n_recv == before) {
			if (!idle_since)
				idle_since = hive_now_ns();
			else if (hive_now_ns() - idle_since > 2000000000ull)
				break;
		} else {
			idle_since = 0;
		}
	}
	uint64_t end = b->n_last_ns ? b->n_last_ns : hive_now_ns();
	f->notify_per_s = end > t0 ? (double)b->n_recv / ((double)(end - t0) / 1e9) : 0;
	f->all_arrived = b->n_recv == b->notifies && b->n_out_of_order == 0;
	if (!f->all_arrived)
		fprintf(stderr, "%s: %llu of %u notifications arrived, %llu out of order\n", ME,
			(unsigned long long)b->n_recv, b->notifies,
			(unsigned long long)b->n_out_of_order);
	return true;
}

static bool workload(struct bench_net *b, struct figures *f)
{
	return discover(b) && step_reads(b, f) && step_notify(b, f);
}

/* Both graphs on this host, every pipe on ipc (e2e_setup with the bench
 * database on the peer). */
static bool run_ipc(struct bench_net *b, struct figures *f)
{
	struct e2e *e = &b->run;
	char *d = th_run_dir();
	if (!d)
		return e2e_fail(e, "no run directory");
	snprintf(e->dir, sizeof e->dir, "%s", d);
	free(d);
	e->p.label = "bench-peripheral";
	e->c.label = "central";
	bool ok = e2e_start_vctrl(e) && e2e_launch(e, &e->p, NULL) && e2e_launch(e, &e->c, NULL) &&
		  e2e_join(e, &e->p) && e2e_join(e, &e->c) && e2e_connect(e) && workload(b, f);
	e2e_teardown(e);
	th_cleanup();
	return ok;
}

static bool run_tcp(struct bench_net *b, struct netns_lab *lab, struct figures *f)
{
	struct netns_stack stk = { 0 };
	b->run.p.label = "bench-peripheral";
	bool ok = netns_stack_start(lab, &stk, &b->run) && workload(b, f);
	e2e_teardown(&b->run);
	th_cleanup();
	return ok;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " ME " [--reads N] [--notifications N] [--window N]\n"
		   "The GATT read round trip and notifications/s with the central's gatt in\n"
		   "another network namespace over tcp+CURVE, next to all-ipc; one JSON line\n"
		   "\"net\". Needs root for the namespaces (the tcp half is skipped otherwise).\n");
}

static bool parse(struct bench_net *b, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;
		if ((v = hive_opt_value(argc, argv, &i, "--reads", &missing)))
			b->reads = (unsigned)strtoul(v, NULL, 10);
		else if ((v = hive_opt_value(argc, argv, &i, "--notifications", &missing)))
			b->notifies = (unsigned)strtoul(v, NULL, 10);
		else if ((v = hive_opt_value(argc, argv, &i, "--window", &missing)))
			b->window = (unsigned)strtoul(v, NULL, 10);
		else
			return false;
	}
	return b->reads && b->reads <= MAX_READS && b->notifies && b->window;
}

int main(int argc, char **argv)
{
	struct bench_net *b = calloc(1, sizeof *b);
	if (!b)
		return 1;
	b->reads = 2000;
	b->notifies = 20000;
	b->window = 64;
	if (!parse(b, argc, argv)) {
		bool help = argc > 1 && !strcmp(argv[argc - 1], "--help");
		usage(help ? stdout : stderr);
		free(b);
		return help ? 0 : 1;
	}
	if (!getenv("HIVE_LOG"))
		hive_log_set_threshold(HIVE_LOG_WARN);
	E = &b->run;
	struct figures ipc = { 0 }, tcp = { 0 };
	uint64_t t0 = hive_now_ns();
	if (!run_ipc(b, &ipc)) {
		fprintf(stderr, "%s: all-ipc: %s\n", ME, b->run.err);
		free(b);
		return 1;
	}
	struct netns_lab lab;
	int lrc = netns_lab_make(&lab);
	bool tcp_ok = false;
	if (lrc == 0) {
		memset(&b->run, 0, sizeof b->run);
		tcp_ok = run_tcp(b, &lab, &tcp);
		if (!tcp_ok)
			fprintf(stderr, "%s: tcp: %s\n", ME, b->run.err);
	} else {
		fprintf(stderr, "%s: the tcp half is skipped: %s\n", ME, lab.skip);
	}
	netns_lab_destroy(&lab);
	printf("{\"bench\":\"net\",\"reads\":%u,\"notifications\":%u,\"notify_window\":%u,"
	       "\"ipc_read_p50_us\":%.0f,\"ipc_read_p99_us\":%.0f,\"ipc_reads_per_s\":%.0f,"
	       "\"ipc_notify_20_per_s\":%.0f,\"ipc_all_arrived\":%s",
	       b->reads, b->notifies, b->window, ipc.read_p50_us, ipc.read_p99_us, ipc.reads_per_s,
	       ipc.notify_per_s, ipc.all_arrived ? "true" : "false");
	if (tcp_ok)
		printf(",\"tcp_read_p50_us\":%.0f,\"tcp_read_p99_us\":%.0f,\"tcp_reads_per_s\":%.0f,"
		       "\"tcp_notify_20_per_s\":%.0f,\"tcp_all_arrived\":%s,"
		       "\"read_p50_tcp_vs_ipc\":%.2f,\"notify_20_tcp_vs_ipc\":%.2f,"
		       "\"gatt_placement\":\"another network namespace, tcp+CURVE over veth\"",
		       tcp.read_p50_us, tcp.read_p99_us, tcp.reads_per_s, tcp.notify_per_s,
		       tcp.all_arrived ? "true" : "false",
		       ipc.read_p50_us > 0 ? tcp.read_p50_us / ipc.read_p50_us : 0,
		       ipc.notify_per_s > 0 ? tcp.notify_per_s / ipc.notify_per_s : 0);
	else
		printf(",\"tcp_skipped\":\"%s\"", lrc == 0 ? "the tcp run failed (see stderr)"
						      : "network namespaces unavailable (see stderr)");
	printf(",\"run_s\":%.1f}\n", (double)(hive_now_ns() - t0) / 1e9);
	fflush(stdout);
	int rc = lrc == 0 && !tcp_ok ? 1 : 0;
	free(b);
	return rc;
}
