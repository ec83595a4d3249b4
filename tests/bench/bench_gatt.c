/* hive-bench-gatt: the reference GATT workload of the benchmark spec
 * (BENCH-WORKLOAD.md) between two whole hive graphs on one hive-vctrl:
 * a peripheral (launcher/graphs/bench-peripheral.json, gatt serving
 * examples/bench-db.json: 5 services, 15 characteristics, 38 handles) and
 * a central (launcher/graphs/central.json). Like hive-demo (whose app side
 * it links, see bench_gatt_demo.c) it joins both graphs as an ephemeral app
 * and drives them with the actors' own requests:
 *
 *   connect     median of 5 (advertising interval ADV_INTERVAL_MS)
 *   discovery   all primary services, then the characteristics of each
 *               service, at MTU 23; ATT round trips counted from the
 *               central broker's message counters of gatt
 *   read        2,000 sequential GattRequest read of a 20-byte value after
 *               20 untimed, each timed at this app (request -> Result)
 *   write       the same with write requests of 20 bytes
 *   notify-20   20,000 GattRequest notify of 20 bytes at MTU 23 from the
 *               peripheral app; the central app counts the GattEvents and
 *               checks their order by a sequence number in the value
 *   notify-244  after an MTU exchange to 247 (and a data length of 251),
 *               20,000 of 244 bytes
 *   pair        LE Secure Connections, Just Works (request -> Result)
 *   cost        CPU time of every process of both graphs (launcher, broker,
 *               actors) and of hive-vctrl per step, peak RSS (VmHWM)
 *
 * Back-pressure of notifications: the host gives l2cap ACL credits, l2cap
 * tells gatt when a link's frames pile up, and gatt holds the Result of a
 * notify request until its PDU went to l2cap (and refuses one with -EAGAIN
 * past 256 waiting). So the notifying app paces itself by gatt's Results,
 * keeping at most --window (default 200) requests unanswered: what a real
 * app does, and nothing is lost (all_arrived checks it). --pacing e2e keeps
 * the window between sending and arrival at the central instead, the
 * end-to-end pacing the bench needed before the stack had back-pressure.
 * The data length is set to 251 before notify-244, so one notification is
 * one link-layer PDU.
 *
 * The crossings: a read goes app>gatt>l2cap>host>hci (central), hci>vctrl>
 * hci, host>l2cap>gatt>l2cap>host>hci (peripheral), hci>vctrl>hci,
 * host>l2cap>gatt>app (central): 18 process boundaries, 14 of them through
 * a broker (two socket crossings each) and 4 over hive-vctrl's unix
 * sockets, 32 socket crossings in all. 20 reads with both taps on check it
 * (messages per read per pipe) and time each hop from the envelopes'
 * sent_ns (stderr).
 *
 * CPU: clock_getcpuclockid() of each process (all its threads, ns), which
 * is /proc/PID/stat's utime+stime without the 10 ms ticks; context
 * switches from /proc/PID/task/TID/status (every thread); peak RSS from VmHWM.
 *
 * One JSON line "gatt", then one "gatt_cpu" line per process. */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../tools/demo.h"
#include <zmq.h>

#include "hive.h"
/* For waiting on both graphs' broker sockets in one poll(): the bench is
 * one process, two ephemeral apps (see pump2). */


#define ME "hive-bench-gatt"
#define ADV_INTERVAL_MS 20
#define CONNECTS 5
#define WARMUP 20
#define VALUE_LEN 20
#define MAX_PROCS 32
#define MAX_OPS 100000

/* Bumble on the reference machine (BENCH-WORKLOAD.md), separate processes. */
#define BUMBLE_DISCOVERY_MS 11.3
#define BUMBLE_READ_P50_US 387.0
#define BUMBLE_READ_P99_US 562.0
#define BUMBLE_READS_PER_S 2572.0
#define BUMBLE_WRITES_PER_S 2537.0
#define BUMBLE_NOTIFY_20_PER_S 17854.0
#define BUMBLE_NOTIFY_244_PER_S 3478.0
#define BUMBLE_PAIR_MS 6.0
#define BUMBLE_CPU_US_PER_READ 178.0
#define BUMBLE_CPU_US_PER_NOTIFY 67.0
#define BUMBLE_RSS_MIB 49.0

/* One process whose CPU time is counted. */
struct proc {
	pid_t pid;
	char actor[HIVE_NAME_MAX + 1];
	const char *graph; /* "peripheral", "central", "radio" */
	clockid_t clk;
	bool clk_ok;
	double start_s;        /* CPU seconds when first seen */
	double mark_s;         /* at the start of the current step */
	double read_s, write_s, n20_s, n244_s; /* per step */
	uint64_t cs_mark;       /* context switches of all its threads */
	long hwm_kib;
	long pss_kib, uss_kib; /* at the end: proportional and private memory */
};

struct bench_gatt {
	struct demo d;
	/* options */
	unsigned reads, notifies, window;
	bool pace_by_result;
	/* handles on the peer's database */
	uint32_t read_h, write_h, notify_h;
	unsigned nservices, ncharacteristics, last_handle;
	/* a timed request in flight */
	uint64_t want_id;
	bool got;
	int32_t got_status;
	/* notifications */
	uint64_t n_sent, n_results, n_result_fail, n_recv, n_out_of_order, undeliverable;
	uint64_t n_first_ns, n_last_ns;
	size_t n_len;
	/* processes */
	struct proc procs[MAX_PROCS];
	int nprocs;
	uint64_t samples[MAX_OPS];
	/* broker counters */
	uint64_t gatt_in, gatt_out, dropped;
	char reason[256];
};

static double ms_since(uint64_t t0)
{
	return (double)(hive_now_ns() - t0) / 1e6;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_us(uint64_t *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t i = (size_t)ceil(p * (double)n) - 1;
	if (i >= n)
		i = n - 1;
	return (double)v[i] / 1e3;
}

static int fail(struct bench_gatt *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct bench_gatt *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->reason, sizeof b->reason, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", ME, b->reason);
	return -1;
}

/* ---- both graphs in one loop ---------------------------------------------------------- */

/* Waits up to timeout_ms for a message on either app's broker socket, then
 * serves both. */
static int pump2(struct hive_actor *x, struct hive_actor *y, int timeout_ms)
{
	if (!hive_actor_pending(x) && !hive_actor_pending(y)) {
		struct pollfd pf[2] = { { .fd = hive_actor_fd(x), .events = POLLIN },
					{ .fd = hive_actor_fd(y), .events = POLLIN } };
		poll(pf, 2, timeout_ms);
	}
	if (hive_run_once(x, 0) < 0 || hive_run_once(y, 0) < 0)
		return -1;
	return 0;
}

/* ---- CPU and memory of the processes -------------------------------------------------- */

static double cpu_s(struct proc *p)
{
	struct timespec ts;
	if (p->clk_ok && clock_gettime(p->clk, &ts) == 0)
		return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	/* /proc/PID/stat: utime and stime, fields 14 and 15. */
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)p->pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	char *s = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void add_proc(struct bench_gatt *b, pid_t pid, const char *actor, const char *graph)
{
	if (pid <= 0 || b->nprocs == MAX_PROCS)
		return;
	for (int i = 0; i < b->nprocs; i++)
		if (b->procs[i].pid == pid)
			return;
	struct proc *p = &b->procs[b->nprocs++];
	memset(p, 0, sizeof *p);
	p->pid = pid;
	snprintf(p->actor, sizeof p->actor, "%s", actor);
	p->graph = graph;
	p->clk_ok = clock_getcpuclockid(pid, &p->clk) == 0;
	p->start_s = p->mark_s = cpu_s(p);
}

/* Voluntary and involuntary context switches of every thread of pid. */
static uint64_t ctx_switches(pid_t pid)
{
	char path[64], line[256];
	uint64_t n = 0;
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	struct dirent *de;
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		char st[400];
		snprintf(st, sizeof st, "%s/%s/status", path, de->d_name);
		FILE *f = fopen(st, "r");
		while (f && fgets(line, sizeof line, f))
			if (strstr(line, "ctxt_switches:"))
				n += strtoull(strchr(line, ':') + 1, NULL, 10);
		if (f)
			fclose(f);
	}
	if (dir)
		closedir(dir);
	return n;
}

static void mark(struct bench_gatt *b)
{
	for (int i = 0; i < b->nprocs; i++) {
		b->procs[i].mark_s = cpu_s(&b->procs[i]);
		b->procs[i].cs_mark = ctx_switches(b->procs[i].pid);
	}
}

/* Context switches of every process since mark(). */
static uint64_t switches_since(struct bench_gatt *b)
{
	uint64_t n = 0;
	for (int i = 0; i < b->nprocs; i++)
		n += ctx_switches(b->procs[i].pid) - b->procs[i].cs_mark;
	return n;
}

/* Total CPU since mark() into each process's field at offset off. */
static double take(struct bench_gatt *b, size_t off)
{
	double sum = 0;
	for (int i = 0; i < b->nprocs; i++) {
		struct proc *p = &b->procs[i];
		double d = cpu_s(p) - p->mark_s;
		*(double *)((char *)p + off) = d;
		sum += d;
	}
	return sum;
}

/* Peak RSS from status; PSS (shared pages split between the processes that
 * map them) and USS (private pages) from smaps_rollup. RSS counts every
 * shared library page in every process: summed over a graph of seven
 * processes that share libzmq, libc, libcrypto, ..., it counts them seven
 * times; PSS sums to the memory the graph really takes. */
static void take_hwm(struct bench_gatt *b)
{
	for (int i = 0; i < b->nprocs; i++) {
		struct proc *p = &b->procs[i];
		char path[64], line[256];
		snprintf(path, sizeof path, "/proc/%d/status", (int)p->pid);
		FILE *f = fopen(path, "r");
		while (f && fgets(line, sizeof line, f))
			if (!strncmp(line, "VmHWM:", 6))
				p->hwm_kib = strtol(line + 6, NULL, 10);
		if (f)
			fclose(f);
		snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)p->pid);
		f = fopen(path, "r");
		p->pss_kib = p->uss_kib = 0;
		while (f && fgets(line, sizeof line, f)) {
			if (!strncmp(line, "Pss:", 4))
				p->pss_kib = strtol(line + 4, NULL, 10);
			else if (!strncmp(line, "Private_Clean:", 14))
				p->uss_kib += strtol(line + 14, NULL, 10);
			else if (!strncmp(line, "Private_Dirty:", 14))
				p->uss_kib += strtol(line + 14, NULL, 10);
		}
		if (f)
			fclose(f);
	}
}

/* The broker's status of side s: adds its processes; gatt's counters. */
static Hive__Status *last_status;
static void on_status_copy(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			   void *arg)
{
	struct side *s = arg;
	size_t n = hive__status__get_packed_size(env->status);
	uint8_t *buf = malloc(n ? n : 1);
	if (buf) {
		hive__status__pack(env->status, buf);
		hive__status__free_unpacked(last_status, NULL);
		last_status = hive__status__unpack(NULL, n, buf);
		free(buf);
	}
	s->tap_subscriptions = env->status->tap_subscriptions;
	s->status_in = true;
}

static int status_of(struct bench_gatt *b, struct side *s)
{
	hive_on(s->a, HIVE__ENVELOPE__BODY_STATUS, on_status_copy, s);
	return demo_broker_status(&b->d, s) < 0 || !last_status ? -1 : 0;
}

static int collect_procs(struct bench_gatt *b, struct side *s, const char *graph)
{
	if (status_of(b, s) < 0)
		return -1;
	add_proc(b, s->launch.pid, "launcher", graph);
	add_proc(b, (pid_t)last_status->broker_pid, "broker", graph);
	for (size_t i = 0; i < last_status->n_actors; i++) {
		const Hive__ActorStatus *as = last_status->actors[i];
		if (as->up && strcmp(as->name, "demo"))
			add_proc(b, (pid_t)as->pid, as->name, graph);
	}
	return 0;
}

/* gatt's message counters on the central's broker, and every drop. */
static int counters(struct bench_gatt *b, uint64_t *in, uint64_t *out)
{
	if (status_of(b, &b->d.c) < 0)
		return -1;
	for (size_t i = 0; i < last_status->n_actors; i++) {
		const Hive__ActorStatus *as = last_status->actors[i];
		if (!strcmp(as->name, "gatt")) {
			*in = as->msgs_in;
			*out = as->msgs_out;
		}
	}
	return 0;
}

static uint64_t drops(struct bench_gatt *b)
{
	uint64_t n = 0;
	struct side *sides[2] = { &b->d.p, &b->d.c };
	for (int k = 0; k < 2; k++) {
		if (status_of(b, sides[k]) < 0)
			continue;
		for (size_t i = 0; i < last_status->n_actors; i++)
			n += last_status->actors[i]->dropped;
	}
	return n;
}

/* ---- handlers ------------------------------------------------------------------------- */

/* The timed requests' Results, at the central app; others go to the demo's. */
static void on_result_fast(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			   void *arg)
{
	struct bench_gatt *b = arg;
	if (b->want_id && env->result->id == b->want_id) {
		b->got = true;
		b->got_status = env->result->status;
		return;
	}
	demo_on_result(a, source, env, &b->d);
}

/* The notify requests' Results, at the peripheral app. */
static void on_notify_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			     void *arg)
{
	struct bench_gatt *b = arg;
	const Hive__Result *r = env->result;
	b->n_results++;
	if (r->status || r->value_case != HIVE__RESULT__VALUE_GATT || !r->gatt->done ||
	    r->gatt->done->count == 0) {
		if (b->n_result_fail++ < 3)
			fprintf(stderr, "%s: a notify request failed: %s (status %d)\n", ME,
				r->error ? r->error : "", r->status);
	}
}

static void on_undeliverable(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			     void *arg)
{
	struct bench_gatt *b = arg;
	if (b->undeliverable++ < 3)
		fprintf(stderr, "%s: %s: not delivered to %s: %s\n", ME, hive_actor_name(a),
			env->undeliverable->destination, env->undeliverable->reason);
}

static void on_notification(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			    void *arg)
{
	struct bench_gatt *b = arg;
	const Hive__GattEvent *e = env->gatt_event;
	if (e->kind_case != HIVE__GATT_EVENT__KIND_NOTIFICATION || e->notification->handle != b->notify_h)
		return;
	const ProtobufCBinaryData *v = &e->notification->value;
	uint32_t seq = v->len >= 4 ? (uint32_t)(v->data[0] | v->data[1] << 8 | v->data[2] << 16 |
						  (uint32_t)v->data[3] << 24)
				   : UINT32_MAX;
	if (seq != b->n_recv || v->len != b->n_len)
		b->n_out_of_order++;
	b->n_recv++;
	b->n_last_ns = hive_now_ns();
}

/* ---- requests ------------------------------------------------------------------------- */

static int gatt_req(struct bench_gatt *b, struct side *s, Hive__GattRequest *gr, const char *what)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = gr;
	gr->conn = s->handle;
	if (demo_call(&b->d, s, "gatt", &req, what) < 0)
		return fail(b, "%s failed", what);
	return 0;
}

static int host_req(struct bench_gatt *b, struct side *s, Hive__Request *req, const char *what)
{
	if (demo_call(&b->d, s, "host", req, what) < 0)
		return fail(b, "%s failed", what);
	return 0;
}

static int advertise(struct bench_gatt *b, Hive__Address *own, uint8_t addr[6])
{
	Hive__AdvertisingData ad = HIVE__ADVERTISING_DATA__INIT;
	ad.name = "hive-bench";
	Hive__Advertise adv = HIVE__ADVERTISE__INIT;
	adv.connectable = true;
	adv.interval_ms = ADV_INTERVAL_MS;
	adv.data = &ad;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_ADVERTISE;
	req.advertise = &adv;
	if (host_req(b, &b->d.p, &req, "advertise") < 0)
		return -1;
	const Hive__AdvertiseResult *ar = b->d.result->advertise;
	if (!ar || !ar->own || ar->own->bdaddr.len != 6)
		return fail(b, "advertise: no address in the answer");
	own->type = ar->own->type;
	memcpy(addr, ar->own->bdaddr.data, 6);
	return 0;
}

static int disconnect(struct bench_gatt *b)
{
	struct demo *d = &b->d;
	d->c.disconnected = d->p.disconnected = false;
	Hive__Disconnect dis = HIVE__DISCONNECT__INIT;
	dis.handle = d->c.handle;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_DISCONNECT;
	req.disconnect = &dis;
	if (host_req(b, &d->c, &req, "disconnect") < 0 ||
	    demo_wait_for(d, &d->c.disconnected, STEP_TIMEOUT_MS, "central disconnection") < 0 ||
	    demo_wait_for(d, &d->p.disconnected, STEP_TIMEOUT_MS, "peripheral disconnection") < 0)
		return fail(b, "disconnect failed");
	return 0;
}

/* connect: median of CONNECTS, each from the Connect request to its Result
 * (the peripheral advertising every ADV_INTERVAL_MS). */
static int step_connect(struct bench_gatt *b, double *median_ms)
{
	struct demo *d = &b->d;
	double t[CONNECTS];
	for (int i = 0; i < CONNECTS; i++) {
		Hive__Address peer = HIVE__ADDRESS__INIT;
		uint8_t addr[6];
		if (advertise(b, &peer, addr) < 0)
			return -1;
		peer.bdaddr.data = addr;
		peer.bdaddr.len = 6;
		Hive__Connect con = HIVE__CONNECT__INIT;
		con.peer = &peer;
		Hive__Request req = HIVE__REQUEST__INIT;
		req.op_case = HIVE__REQUEST__OP_CONNECT;
		req.connect = &con;
		d->p.connected = false;
		uint64_t t0 = hive_now_ns();
		if (host_req(b, &d->c, &req, "connect") < 0)
			return -1;
		t[i] = ms_since(t0);
		if (!d->result->connection)
			return fail(b, "connect: no connection in the answer");
		d->c.handle = d->result->connection->handle;
		if (demo_wait_for(d, &d->p.connected, STEP_TIMEOUT_MS, "peripheral link") < 0)
			return fail(b, "the peripheral saw no connection");
		if (i < CONNECTS - 1 && disconnect(b) < 0)
			return -1;
	}
	for (int i = 1; i < CONNECTS; i++)
		for (int k = i; k > 0 && t[k] < t[k - 1]; k--) {
			double x = t[k];
			t[k] = t[k - 1];
			t[k - 1] = x;
		}
	*median_ms = t[CONNECTS / 2];
	return 0;
}

static bool uuid_tail(const ProtobufCBinaryData *u, uint8_t hi, uint8_t lo)
{
	/* the bench database's 128-bit UUIDs end (little-endian: start) ..0a01 */
	return u->len == 16 && u->data[0] == lo && u->data[1] == hi;
}

/* discovery: all primary services, then each service's characteristics
 * (as Bumble's discover_services + discover_characteristics per service). */
static int step_discovery(struct bench_gatt *b, double *ms, uint64_t *round_trips,
			  uint64_t *requests)
{
	uint64_t in0 = 0, out0 = 0, in1 = 0, out1 = 0;
	unsigned calls = 0;
	if (counters(b, &in0, &out0) < 0)
		return fail(b, "no broker status");
	uint64_t t0 = hive_now_ns();
	Hive__GattDiscoverServices ds = HIVE__GATT_DISCOVER_SERVICES__INIT;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_SERVICES;
	gr.discover_services = &ds;
	if (gatt_req(b, &b->d.c, &gr, "discover services") < 0 || !b->d.result->gatt->discovery)
		return -1;
	calls++;
	Hive__Result *sres = b->d.result;
	b->d.result = NULL; /* keep it: the next calls replace d->result */
	const Hive__GattDiscovery *sv = sres->gatt->discovery;
	b->nservices = (unsigned)sv->n_services;
	b->ncharacteristics = 0;
	for (size_t i = 0; i < sv->n_services; i++) {
		Hive__GattDiscoverCharacteristics dc = HIVE__GATT_DISCOVER_CHARACTERISTICS__INIT;
		dc.start = sv->services[i]->handle;
		dc.end = sv->services[i]->end;
		if (dc.end > b->last_handle)
			b->last_handle = dc.end;
		Hive__GattRequest g2 = HIVE__GATT_REQUEST__INIT;
		g2.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_CHARACTERISTICS;
		g2.discover_characteristics = &dc;
		if (gatt_req(b, &b->d.c, &g2, "discover characteristics") < 0 ||
		    !b->d.result->gatt->discovery)
			return -1;
		calls++;
		const Hive__GattDiscovery *ch = b->d.result->gatt->discovery;
		for (size_t k = 0; k < ch->n_characteristics; k++) {
			const Hive__GattCharacteristic *c = ch->characteristics[k];
			b->ncharacteristics++;
			if (uuid_tail(&c->uuid, 0x0a, 0x01))
				b->read_h = c->value_handle;
			else if (uuid_tail(&c->uuid, 0x0a, 0x03))
				b->write_h = c->value_handle;
			else if (uuid_tail(&c->uuid, 0x0a, 0x02))
				b->notify_h = c->value_handle;
		}
	}
	*ms = ms_since(t0);
	hive__result__free_unpacked(sres, NULL);
	if (counters(b, &in1, &out1) < 0)
		return fail(b, "no broker status");
	/* gatt got one request per call and one ATT response per round trip;
	 * it sent one Result per call and one ATT request per round trip.
	 * (Broker status requests to the broker are not counted for gatt.) */
	*round_trips = (in1 - in0) - calls;
	*requests = (out1 - out0) - calls;
	if (!b->read_h || !b->write_h || !b->notify_h)
		return fail(b, "the bench database's characteristics were not found");
	return 0;
}

/* One request timed from send to Result at this app; waits on the central
 * app's socket only. */
static int timed(struct bench_gatt *b, Hive__GattRequest *gr, uint64_t *ns)
{
	struct side *c = &b->d.c;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = gr;
	req.id = ++b->d.next_id;
	gr->conn = c->handle;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	b->want_id = req.id;
	b->got = false;
	uint64_t t0 = hive_now_ns();
	if (hive_send(c->a, "gatt", &env) < 0)
		return fail(b, "cannot send to gatt");
	uint64_t deadline = t0 + (uint64_t)STEP_TIMEOUT_MS * 1000000ull;
	while (!b->got) {
		if (hive_run_once(c->a, 100) < 0 || hive_now_ns() > deadline)
			return fail(b, "no Result within %d ms", STEP_TIMEOUT_MS);
	}
	*ns = hive_now_ns() - t0;
	b->want_id = 0;
	if (b->got_status)
		return fail(b, "the request failed (status %d)", b->got_status);
	return 0;
}

/* read or write: warm-up, then n timed; p50/p99 in us and ops/s. */
static int step_seq(struct bench_gatt *b, bool write, unsigned n, double *p50, double *p99,
		    double *per_s, double *cpu_total, double *cs_per_op)
{
	uint8_t val[VALUE_LEN];
	memset(val, 0xa5, sizeof val);
	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	rd.handle = b->read_h;
	Hive__GattWrite wr = HIVE__GATT_WRITE__INIT;
	wr.handle = b->write_h;
	wr.value.data = val;
	wr.value.len = sizeof val;
	hive_on(b->d.c.a, HIVE__ENVELOPE__BODY_RESULT, on_result_fast, b);
	int rc = 0;
	uint64_t ns;
	for (unsigned i = 0; i < WARMUP && rc == 0; i++) {
		Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
		if (write) {
			gr.op_case = HIVE__GATT_REQUEST__OP_WRITE;
			gr.write = &wr;
		} else {
			gr.op_case = HIVE__GATT_REQUEST__OP_READ;
			gr.read = &rd;
		}
		rc = timed(b, &gr, &ns);
	}
	mark(b);
	uint64_t t0 = hive_now_ns();
	for (unsigned i = 0; i < n && rc == 0; i++) {
		Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
		if (write) {
			gr.op_case = HIVE__GATT_REQUEST__OP_WRITE;
			val[0] = (uint8_t)i;
			gr.write = &wr;
		} else {
			gr.op_case = HIVE__GATT_REQUEST__OP_READ;
			gr.read = &rd;
		}
		rc = timed(b, &gr, &b->samples[i]);
	}
	double el = (double)(hive_now_ns() - t0) / 1e9;
	*cpu_total = take(b, write ? offsetof(struct proc, write_s) : offsetof(struct proc, read_s));
	*cs_per_op = (double)switches_since(b) / n;
	hive_on(b->d.c.a, HIVE__ENVELOPE__BODY_RESULT, demo_on_result, &b->d);
	if (rc < 0)
		return -1;
	qsort(b->samples, n, sizeof b->samples[0], cmp_u64);
	*p50 = pct_us(b->samples, n, 0.50);
	*p99 = pct_us(b->samples, n, 0.99);
	*per_s = (double)n / el;
	return 0;
}

static int subscribe(struct bench_gatt *b)
{
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	Hive__GattRequest ge = HIVE__GATT_REQUEST__INIT;
	ge.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	ge.subscribe_events = &se;
	if (gatt_req(b, &b->d.c, &ge, "gatt events") < 0)
		return -1;
	Hive__GattSubscribe sub = HIVE__GATT_SUBSCRIBE__INIT;
	sub.handle = b->notify_h;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE;
	gr.subscribe = &sub;
	return gatt_req(b, &b->d.c, &gr, "subscribe");
}

/* notify-N: n notifications of len bytes from the peripheral app, counted
 * at the central app. */
static int step_notify(struct bench_gatt *b, unsigned n, size_t len, double *per_s,
		       bool *all_arrived, double *cpu_total, size_t off, double *cs_per_op)
{
	struct demo *d = &b->d;
	uint8_t val[512];
	memset(val, 0x5a, sizeof val);
	b->n_sent = b->n_results = b->n_result_fail = b->n_recv = b->n_out_of_order = 0;
	b->undeliverable = 0;
	b->n_len = len;
	hive_on(d->p.a, HIVE__ENVELOPE__BODY_RESULT, on_notify_result, b);
	hive_on(d->c.a, HIVE__ENVELOPE__BODY_GATT_EVENT, on_notification, b);
	Hive__GattNotify nt = HIVE__GATT_NOTIFY__INIT;
	nt.handle = b->notify_h; /* the same database: the peer's handle is ours */
	nt.value.data = val;
	nt.value.len = len;
	nt.all_subscribers = true;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	gr.notify = &nt;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	mark(b);
	uint64_t t0 = hive_now_ns();
	uint64_t deadline = t0 + 60ull * 1000000000ull, idle_since = 0;
	int rc = 0;
	while (b->n_recv < n) {
		uint64_t now = hive_now_ns();
		if (now > deadline) {
			rc = fail(b, "notify-%zu: %llu of %u arrived within 60 s", len,
				  (unsigned long long)b->n_recv, n);
			break;
		}
		uint64_t outstanding = b->pace_by_result ? b->n_sent - b->n_results
							 : b->n_sent - b->n_recv;
		while (b->n_sent < n && outstanding < b->window) {
			val[0] = (uint8_t)b->n_sent;
			val[1] = (uint8_t)(b->n_sent >> 8);
			val[2] = (uint8_t)(b->n_sent >> 16);
			val[3] = (uint8_t)(b->n_sent >> 24);
			req.id = ++d->next_id;
			int s = hive_send(d->p.a, "gatt", &env);
			if (s == -EAGAIN)
				break;
			if (s < 0) {
				rc = fail(b, "cannot send to gatt: %s", strerror(-s));
				break;
			}
			b->n_sent++;
			outstanding++;
		}
		if (rc < 0)
			break;
		uint64_t before = b->n_recv + b->n_results;
		if (pump2(d->p.a, d->c.a, 100) < 0) {
			rc = fail(b, "stopped");
			break;
		}
		/* Everything sent and answered, and nothing more arrives: lost. */
		if (b->n_sent == n && b->n_results == n && b->n_recv + b->n_results == before) {
			if (!idle_since)
				idle_since = hive_now_ns();
			else if (hive_now_ns() - idle_since > 2000000000ull)
				break;
		} else {
			idle_since = 0;
		}
	}
	uint64_t end = b->n_last_ns ? b->n_last_ns : hive_now_ns();
	*cpu_total = take(b, off);
	*cs_per_op = (double)switches_since(b) / n;
	/* Results still on their way. */
	uint64_t settle = hive_now_ns() + 2000000000ull;
	while (b->n_results < b->n_sent && hive_now_ns() < settle)
		pump2(d->p.a, d->c.a, 10);
	hive_on(d->p.a, HIVE__ENVELOPE__BODY_RESULT, demo_on_result, d);
	*per_s = end > t0 ? (double)b->n_recv / ((double)(end - t0) / 1e9) : 0;
	*all_arrived = b->n_recv == n && b->n_out_of_order == 0;
	if (!*all_arrived)
		fprintf(stderr, "%s: notify-%zu: sent %llu, results %llu (%llu failed), arrived %llu, "
			"out of order %llu, undeliverable %llu\n", ME, len,
			(unsigned long long)b->n_sent, (unsigned long long)b->n_results,
			(unsigned long long)b->n_result_fail, (unsigned long long)b->n_recv,
			(unsigned long long)b->n_out_of_order, (unsigned long long)b->undeliverable);
	return rc;
}

static int exchange_mtu(struct bench_gatt *b, uint32_t mtu, uint32_t *got)
{
	Hive__GattExchangeMtu em = HIVE__GATT_EXCHANGE_MTU__INIT;
	em.mtu = mtu;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_EXCHANGE_MTU;
	gr.exchange_mtu = &em;
	if (gatt_req(b, &b->d.c, &gr, "exchange mtu") < 0)
		return -1;
	*got = b->d.result->gatt->mtu ? b->d.result->gatt->mtu->mtu : 0;
	return 0;
}

static int data_length(struct bench_gatt *b, struct side *s)
{
	Hive__SetDataLength dl = HIVE__SET_DATA_LENGTH__INIT;
	dl.handle = s->handle;
	dl.tx_octets = 251;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SET_DATA_LENGTH;
	req.set_data_length = &dl;
	return host_req(b, s, &req, "set data length");
}

static int step_pair(struct bench_gatt *b, double *ms)
{
	struct demo *d = &b->d;
	d->p.encrypted = d->c.encrypted = false;
	Hive__SmpPair pair = HIVE__SMP_PAIR__INIT;
	pair.handle = d->c.handle;
	pair.mitm = false;
	pair.io_cap = HIVE__SMP_IO_CAPABILITY__IO_NO_INPUT_NO_OUTPUT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	sr.pair = &pair;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	uint64_t t0 = hive_now_ns();
	if (demo_call(d, &d->c, "smp", &req, "pair") < 0)
		return fail(b, "pairing failed");
	*ms = ms_since(t0);
	const Hive__SmpPairingComplete *pc =
		d->result->value_case == HIVE__RESULT__VALUE_SMP ? d->result->smp->paired : NULL;
	if (!pc || !pc->sc || pc->method != HIVE__SMP_METHOD__METHOD_JUST_WORKS)
		return fail(b, "pairing: not LE Secure Connections Just Works (method %d)",
			    pc ? (int)pc->method : -1);
	if (demo_wait_for(d, &d->p.encrypted, STEP_TIMEOUT_MS, "peripheral encryption") < 0 ||
	    demo_wait_for(d, &d->c.encrypted, STEP_TIMEOUT_MS, "central encryption") < 0)
		return fail(b, "the link was not encrypted");
	return 0;
}

/* ---- where a read's time goes: the taps' envelopes ----------------------------------- */

#define TL_MAX 2048
#define TL_HOPS 16

/* One message seen on a tap: its pipe and the sender's send time. */
struct tl_msg {
	char topic[40]; /* "P hci>host" */
	uint64_t sent_ns;
	bool nocp;      /* an HCI event (Number Of Completed Packets) */
};

static struct tl_msg tl[TL_MAX];
static size_t ntl;

/* Reads what waits on a tap, keeping the topic and Envelope.sent_ns. */
static void tl_drain(struct demo_tap *t, char tag)
{
	char topic[160];
	while (t->sub) {
		int n = zmq_recv(t->sub, topic, sizeof topic - 1, ZMQ_DONTWAIT);
		if (n < 0)
			return;
		topic[n < (int)sizeof topic - 1 ? n : (int)sizeof topic - 1] = 0;
		int more = 0;
		size_t ml = sizeof more;
		zmq_getsockopt(t->sub, ZMQ_RCVMORE, &more, &ml);
		bool first = true;
		while (more) {
			zmq_msg_t m;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, t->sub, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&m);
				break;
			}
			more = zmq_msg_more(&m);
			if (first && ntl < TL_MAX && !strstr(topic, "broker")) {
				Hive__Envelope *env = hive__envelope__unpack(NULL, zmq_msg_size(&m),
									      zmq_msg_data(&m));
				if (env) {
					struct tl_msg *x = &tl[ntl++];
					snprintf(x->topic, sizeof x->topic, "%c %.36s", tag, topic);
					x->sent_ns = env->sent_ns;
					x->nocp = env->body_case == HIVE__ENVELOPE__BODY_HCI &&
						  env->hci->type == HIVE__HCI_PACKET__TYPE__EVENT;
					hive__envelope__free_unpacked(env, NULL);
				}
			}
			first = false;
			zmq_msg_close(&m);
		}
	}
}

static int cmp_tl(const void *a, const void *b)
{
	const struct tl_msg *x = a, *y = b;
	return x->sent_ns < y->sent_ns ? -1 : x->sent_ns > y->sent_ns;
}

/* n reads with both taps on: the messages per read through the brokers, and
 * the time from each message's send to the next one's on the read's path
 * (a broker hop plus the next actor's work; the hop into hci also holds
 * hive-vctrl and the other graph's hci), printed on stderr. */
static int crossings(struct bench_gatt *b, unsigned n, double *per_read, double *broker_hops)
{
	struct demo *d = &b->d;
	struct side *sides[2] = { &d->p, &d->c };
	const char tags[2] = { 'P', 'C' };
	for (int k = 0; k < 2; k++) {
		if (demo_tap_open(&sides[k]->tap, sides[k]->run_dir) < 0)
			return fail(b, "no tap");
		uint64_t deadline = hive_now_ns() + 5000000000ull;
		do {
			if (status_of(b, sides[k]) < 0)
				return fail(b, "no status");
		} while (sides[k]->tap_subscriptions == 0 && hive_now_ns() < deadline);
	}
	for (int k = 0; k < 2; k++)
		tl_drain(&sides[k]->tap, tags[k]);
	ntl = 0;
	static uint64_t t0s[64], t1s[64];
	if (n > 64)
		n = 64;
	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	rd.handle = b->read_h;
	hive_on(d->c.a, HIVE__ENVELOPE__BODY_RESULT, on_result_fast, b);
	uint64_t ns;
	for (unsigned i = 0; i < n; i++) {
		Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
		gr.op_case = HIVE__GATT_REQUEST__OP_READ;
		gr.read = &rd;
		t0s[i] = hive_now_ns();
		if (timed(b, &gr, &ns) < 0)
			return -1;
		t1s[i] = hive_now_ns();
		for (int k = 0; k < 2; k++)
			tl_drain(&sides[k]->tap, tags[k]);
	}
	hive_on(d->c.a, HIVE__ENVELOPE__BODY_RESULT, demo_on_result, d);
	/* Let the taps catch up (completed-packets events). */
	uint64_t until = hive_now_ns() + 50000000ull;
	while (hive_now_ns() < until) {
		pump2(d->p.a, d->c.a, 5);
		for (int k = 0; k < 2; k++)
			tl_drain(&sides[k]->tap, tags[k]);
	}
	*per_read = (double)ntl / n;
	qsort(tl, ntl, sizeof tl[0], cmp_tl);
	/* Per read: the path's messages in send order (no NOCP), then the
	 * Result's arrival at this app. */
	double sum[TL_HOPS] = { 0 };
	char label[TL_HOPS][96];
	unsigned good = 0, path_len = 0;
	for (unsigned i = 0; i < n; i++) {
		struct tl_msg *m[TL_HOPS];
		unsigned k = 0;
		for (size_t j = 0; j < ntl; j++)
			if (!tl[j].nocp && tl[j].sent_ns >= t0s[i] && tl[j].sent_ns <= t1s[i] &&
			    k < TL_HOPS - 1)
				m[k++] = &tl[j];
		if (good == 0)
			path_len = k;
		if (k != path_len || k < 2)
			continue;
		for (unsigned h = 0; h + 1 < k; h++) {
			sum[h] += (double)(m[h + 1]->sent_ns - m[h]->sent_ns) / 1e3;
			snprintf(label[h], sizeof label[h], "%s -> %s", m[h]->topic, m[h + 1]->topic);
		}
		sum[k - 1] += (double)(t1s[i] - m[k - 1]->sent_ns) / 1e3;
		snprintf(label[k - 1], sizeof label[k - 1], "%s -> the app has the Result",
			 m[k - 1]->topic);
		good++;
	}
	fprintf(stderr, "%s: a read's path with the taps on (%u reads, %.1f messages per read "
		"through the brokers, %u on the path), mean us from each send to the next:\n", ME,
		good, *per_read, path_len);
	double total = 0;
	for (unsigned h = 0; good && h < path_len; h++) {
		fprintf(stderr, "  %2u %-44s %8.1f\n", h + 1, label[h], sum[h] / good);
		total += sum[h] / good;
	}
	fprintf(stderr, "     %-44s %8.1f\n", "from the first send to the Result", total);
	*broker_hops = path_len;
	for (int k = 0; k < 2; k++) {
		demo_tap_close(&sides[k]->tap);
		uint64_t deadline = hive_now_ns() + 5000000000ull;
		do {
			if (status_of(b, sides[k]) < 0)
				return fail(b, "no status");
		} while (sides[k]->tap_subscriptions != 0 && hive_now_ns() < deadline);
	}
	return 0;
}

/* ---- output --------------------------------------------------------------------------- */

/* The sum over a graph's processes of the field at offset off (kiB), MiB. */
static double graph_mib(struct bench_gatt *b, const char *graph, bool with_launcher, size_t off)
{
	long s = 0;
	for (int i = 0; i < b->nprocs; i++)
		if (!strcmp(b->procs[i].graph, graph) &&
		    (with_launcher || strcmp(b->procs[i].actor, "launcher")))
			s += *(const long *)((const char *)&b->procs[i] + off);
	return (double)s / 1024.0;
}

static double graph_hwm_mib(struct bench_gatt *b, const char *graph, bool with_launcher)
{
	return graph_mib(b, graph, with_launcher, offsetof(struct proc, hwm_kib));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " ME " [--reads N] [--notifications N] [--window N] [--pacing e2e|result]\n"
		   "                       [--keep] [--bin-dir DIR]\n"
		   "The reference GATT workload between two hive graphs on hive-vctrl; one JSON\n"
		   "line \"gatt\" and one \"gatt_cpu\" line per process on stdout.\n");
}

int main(int argc, char **argv)
{
	struct bench_gatt *b = calloc(1, sizeof *b);
	if (!b)
		return 1;
	struct demo *d = &b->d;
	b->reads = 2000;
	b->notifies = 20000;
	b->window = 200;
	b->pace_by_result = true;
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;
		if ((v = hive_opt_value(argc, argv, &i, "--reads", &missing)))
			b->reads = (unsigned)strtoul(v, NULL, 10);
		else if ((v = hive_opt_value(argc, argv, &i, "--notifications", &missing)))
			b->notifies = (unsigned)strtoul(v, NULL, 10);
		else if ((v = hive_opt_value(argc, argv, &i, "--window", &missing)))
			b->window = (unsigned)strtoul(v, NULL, 10);
		else if ((v = hive_opt_value(argc, argv, &i, "--pacing", &missing)))
			b->pace_by_result = !strcmp(v, "result");
		else if ((v = hive_opt_value(argc, argv, &i, "--bin-dir", &missing)))
			snprintf(d->bin, sizeof d->bin, "%s", v);
		else if (!missing && !strcmp(argv[i], "--keep"))
			d->keep = true;
		else {
			usage(!strcmp(argv[i], "--help") ? stdout : stderr);
			free(b);
			return !strcmp(argv[i], "--help") ? 0 : 1;
		}
	}
	if (b->reads == 0 || b->reads > MAX_OPS || b->notifies == 0 || b->window == 0) {
		usage(stderr);
		free(b);
		return 1;
	}
	hive_signals_install();
	if (!getenv("HIVE_LOG"))
		hive_log_set_threshold(HIVE_LOG_WARN);
	d->p.label = "bench-peripheral";
	d->c.label = "central";
	const char *tmp = getenv("TMPDIR");
	snprintf(d->work, sizeof d->work, "%s/hive-bgatt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d->work)) {
		fprintf(stderr, "%s: cannot make a work folder: %s\n", ME, strerror(errno));
		free(b);
		return 1;
	}
	uint64_t run0 = hive_now_ns();
	int rc = 0;
	double connect_ms = 0, disc_ms = 0, r50 = 0, r99 = 0, rps = 0, w50 = 0, w99 = 0, wps = 0;
	double n20 = 0, n244 = 0, pair_ms = 0, cpu_read = 0, cpu_write = 0, cpu_n20 = 0,
	       cpu_n244 = 0, msgs_per_read = 0, hops = 0, cs_read = 0, cs_write = 0, cs_n20 = 0,
	       cs_n244 = 0;
	uint64_t rtt = 0, att_req = 0;
	bool all20 = false, all244 = false;
	uint32_t mtu = 0;

	if (demo_find_root(d) < 0 || demo_start_vctrl(d) < 0 || demo_start_graph(d, &d->p) < 0 ||
	    demo_start_graph(d, &d->c) < 0 ||
	    demo_proc_wait_ready(&d->p.launch, READY_TIMEOUT_MS, NULL, 0) < 0 ||
	    demo_proc_wait_ready(&d->c.launch, READY_TIMEOUT_MS, NULL, 0) < 0 ||
	    demo_join_graph(d, &d->p) < 0 || demo_join_graph(d, &d->c) < 0)
		rc = fail(b, "the graphs did not start");
	if (rc == 0) {
		hive_on(d->p.a, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, b);
		hive_on(d->c.a, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, b);
		/* No tap while measuring: the brokers copy nothing. */
		demo_tap_close(&d->p.tap);
		demo_tap_close(&d->c.tap);
		if (collect_procs(b, &d->p, "peripheral") < 0 || collect_procs(b, &d->c, "central") < 0)
			rc = fail(b, "no broker status");
		add_proc(b, d->vctrl.pid, "vctrl", "radio");
	}
	if (rc == 0)
		rc = step_connect(b, &connect_ms);
	if (rc == 0)
		rc = step_discovery(b, &disc_ms, &rtt, &att_req);
	if (rc == 0)
		rc = crossings(b, 20, &msgs_per_read, &hops);
	if (rc == 0)
		rc = step_seq(b, false, b->reads, &r50, &r99, &rps, &cpu_read, &cs_read);
	if (rc == 0)
		rc = step_seq(b, true, b->reads, &w50, &w99, &wps, &cpu_write, &cs_write);
	if (rc == 0)
		rc = subscribe(b);
	if (rc == 0)
		rc = step_notify(b, b->notifies, 20, &n20, &all20, &cpu_n20,
				 offsetof(struct proc, n20_s), &cs_n20);
	if (rc == 0)
		rc = exchange_mtu(b, 247, &mtu);
	if (rc == 0)
		rc = data_length(b, &d->p);
	if (rc == 0)
		rc = step_notify(b, b->notifies, mtu >= 247 ? 244 : mtu - 3, &n244, &all244,
				 &cpu_n244, offsetof(struct proc, n244_s), &cs_n244);
	if (rc == 0)
		rc = step_pair(b, &pair_ms);
	b->dropped = drops(b);
	take_hwm(b);
	double run_s = (double)(hive_now_ns() - run0) / 1e9;
	double total_cpu = 0;
	for (int i = 0; i < b->nprocs; i++)
		total_cpu += cpu_s(&b->procs[i]) - b->procs[i].start_s;

	if (rc == 0) {
		double rss_p = graph_hwm_mib(b, "peripheral", false),
		       rss_c = graph_hwm_mib(b, "central", false);
		double rss_graph = rss_p > rss_c ? rss_p : rss_c;
		double pss_graph = graph_mib(b, "peripheral", false, offsetof(struct proc, pss_kib));
		double uss_graph = graph_mib(b, "peripheral", false, offsetof(struct proc, uss_kib));
		double cpr = cpu_read * 1e6 / b->reads, cpn = cpu_n20 * 1e6 / b->notifies;
		char load[64] = "?";
		FILE *f = fopen("/proc/loadavg", "r");
		if (f) {
			if (fgets(load, sizeof load, f))
				load[strcspn(load, " ")] = 0;
			fclose(f);
		}
		printf("{\"bench\":\"gatt\",\"connect_ms\":%.2f,\"adv_interval_ms\":%d,"
		       "\"discovery_ms\":%.2f,\"discovery_round_trips\":%llu,\"services\":%u,"
		       "\"characteristics\":%u,\"handles\":%u,"
		       "\"read_p50_us\":%.0f,\"read_p99_us\":%.0f,\"reads_per_s\":%.0f,"
		       "\"write_p50_us\":%.0f,\"write_p99_us\":%.0f,\"writes_per_s\":%.0f,"
		       "\"notify_20_per_s\":%.0f,\"notify_20_mb_per_s\":%.3f,"
		       "\"notify_244_per_s\":%.0f,\"notify_244_mb_per_s\":%.3f,\"mtu\":%u,"
		       "\"all_arrived\":%s,\"notify_window\":%u,\"notify_pacing\":\"%s\","
		       "\"pair_ms\":%.2f,\"cpu_us_per_read\":%.0f,\"cpu_us_per_write\":%.0f,"
		       "\"cpu_us_per_notify_20\":%.1f,\"cpu_us_per_notify_244\":%.1f,"
		       "\"rss_mib_graph\":%.1f,\"rss_mib_peripheral\":%.1f,\"rss_mib_central\":%.1f,"
		       "\"pss_mib_graph\":%.1f,\"uss_mib_graph\":%.1f,"
		       "\"crossings_per_read\":18,\"broker_hops_per_read\":%.0f,"
		       "\"socket_crossings_per_read\":32,\"broker_msgs_per_read\":%.2f,"
		       "\"read_us_per_crossing\":%.1f,\"broker_dropped\":%llu,"
		       "\"ctx_switches_per_read\":%.1f,\"ctx_switches_per_write\":%.1f,"
		       "\"ctx_switches_per_notify_20\":%.2f,\"ctx_switches_per_notify_244\":%.2f,"
		       "\"discovery_vs_bumble\":%.2f,\"read_p50_vs_bumble\":%.2f,"
		       "\"read_p99_vs_bumble\":%.2f,\"reads_per_s_vs_bumble\":%.3f,"
		       "\"writes_per_s_vs_bumble\":%.3f,\"notify_20_per_s_vs_bumble\":%.3f,"
		       "\"notify_244_per_s_vs_bumble\":%.3f,\"pair_vs_bumble\":%.2f,"
		       "\"cpu_per_read_vs_bumble\":%.2f,\"cpu_per_notify_vs_bumble\":%.2f,"
		       "\"rss_graph_vs_bumble_device\":%.2f,\"cpu_s_total\":%.2f,\"run_s\":%.1f,"
		       "\"load1\":%s,\"cpus\":%ld}\n",
		       connect_ms, ADV_INTERVAL_MS, disc_ms, (unsigned long long)rtt, b->nservices,
		       b->ncharacteristics, b->last_handle, r50, r99, rps, w50, w99, wps, n20,
		       n20 * 20 / 1e6, n244, n244 * 244 / 1e6, mtu,
		       all20 && all244 ? "true" : "false", b->window,
		       b->pace_by_result ? "result" : "e2e", pair_ms, cpr, cpu_write * 1e6 / b->reads,
		       cpn, cpu_n244 * 1e6 / b->notifies, rss_graph, rss_p, rss_c, pss_graph,
		       uss_graph, hops, msgs_per_read,
		       r50 / 18, (unsigned long long)b->dropped, cs_read, cs_write, cs_n20, cs_n244,
		       disc_ms / BUMBLE_DISCOVERY_MS,
		       r50 / BUMBLE_READ_P50_US, r99 / BUMBLE_READ_P99_US, rps / BUMBLE_READS_PER_S,
		       wps / BUMBLE_WRITES_PER_S, n20 / BUMBLE_NOTIFY_20_PER_S,
		       n244 / BUMBLE_NOTIFY_244_PER_S, pair_ms / BUMBLE_PAIR_MS,
		       cpr / BUMBLE_CPU_US_PER_READ, cpn / BUMBLE_CPU_US_PER_NOTIFY,
		       rss_graph / BUMBLE_RSS_MIB, total_cpu, run_s, load, sysconf(_SC_NPROCESSORS_ONLN));
		for (int i = 0; i < b->nprocs; i++) {
			struct proc *p = &b->procs[i];
			printf("{\"bench\":\"gatt_cpu\",\"actor\":\"%s\",\"graph\":\"%s\",\"pid\":%d,"
			       "\"cpu_s\":%.3f,\"read_us_per_op\":%.1f,\"write_us_per_op\":%.1f,"
			       "\"notify_20_us_per_op\":%.2f,\"notify_244_us_per_op\":%.2f,"
			       "\"rss_hwm_mib\":%.1f,\"pss_mib\":%.1f,\"uss_mib\":%.1f}\n",
			       p->actor, p->graph, (int)p->pid, cpu_s(p) - p->start_s,
			       p->read_s * 1e6 / b->reads, p->write_s * 1e6 / b->reads,
			       p->n20_s * 1e6 / b->notifies, p->n244_s * 1e6 / b->notifies,
			       (double)p->hwm_kib / 1024.0, (double)p->pss_kib / 1024.0,
			       (double)p->uss_kib / 1024.0);
		}
		fflush(stdout);
	}
	/* Stop everything (the demo's order) and remove the work folder. */
	hive_actor_destroy(&d->p.a);
	hive_actor_destroy(&d->c.a);
	demo_proc_stop(&d->c.launch, 5000);
	demo_proc_stop(&d->p.launch, 5000);
	demo_proc_stop(&d->vctrl, 2000);
	hive__result__free_unpacked(d->result, NULL);
	hive__status__free_unpacked(last_status, NULL);
	if (rc && *d->work) {
		d->keep = true;
		fprintf(stderr, "%s: the logs are in %s\n", ME, d->work);
	}
	if (!d->keep)
		demo_rmtree(d->work);
	free(b);
	return rc ? 1 : 0;
}
