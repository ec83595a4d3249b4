/* hive-bench-coc: LE credit based channel throughput between two whole
 * graphs (launcher/graphs/peripheral.json and central.json) on one
 * hive-vctrl radio, driven as an app of each graph: the central's app sends
 * N MB (default 8) in SDUs of the peer's MTU (512, MPS 247) with at most 64
 * sends in flight, honouring -EAGAIN / writable; the peripheral's app
 * checks every byte. One JSON line on stdout: MB/s, and the CPU seconds
 * per MB of every process (/proc/PID/task/TID/schedstat, else utime + stime
 * of /proc/PID/stat, before and after the transfer): each actor of both graphs, both brokers, hive-vctrl
 * and this program (the two apps).
 *
 *   hive-bench-coc [MB]    run from the source tree (graph files); the
 *                          programs are next to it, or in $HIVE_BIN_DIR */
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

#include "harness.h"

/* ---- two graphs, driven as an app of each ------------------------------------------- */

#define E2E_DEADLINE_MS 20000
#define E2E_SPSM 0x0081
#define E2E_WINDOW 64 /* sends in flight */

struct e2e_side {
	const char *label;
	char run[600], ks[600], sock[600], out[700];
	pid_t launch;
	int launches;
	struct hive_actor *a;
	/* the host's link events */
	bool connected, encrypted, disconnected, params;
	uint32_t handle, interval, key_size;
	/* l2cap events */
	bool opened, closed, writable;
	uint32_t cid, peer_mtu;
	int32_t close_status;
	/* receiving: bytes so far, and whether they all matched */
	uint64_t rx_bytes, rx_sdus;
	bool rx_bad;
};

struct e2e {
	char dir[256];
	pid_t vctrl;
	struct e2e_side p, c;
	uint64_t next_id;
	uint64_t call_id;
	bool call_done;
	Hive__Result *result;
	char err[512];
	/* sending */
	uint64_t send_base_id; /* ids of data sends: base + SDU index */
	uint64_t sends_answered, sends_in_flight;
	bool blocked;
	uint64_t rewind; /* the first refused SDU */
	uint64_t eagain;
};

static struct e2e *E;
static uint64_t g_total = 8u << 20;

static bool e2e_fail(struct e2e *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->err, sizeof e->err, fmt, ap);
	va_end(ap);
	return false;
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(((i * 2654435761u) >> 13) ^ (i >> 9));
}

static Hive__Result *copy_result(const Hive__Result *r)
{
	size_t n = hive__result__get_packed_size(r);
	uint8_t *buf = malloc(n ? n : 1);
	Hive__Result *c = NULL;
	if (buf) {
		hive__result__pack(r, buf);
		c = hive__result__unpack(NULL, n, buf);
		free(buf);
	}
	return c;
}

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct e2e *e = arg;
	const Hive__Result *r = env->result;
	if (e->send_base_id && r->id >= e->send_base_id && r->id < e->send_base_id + g_total) {
		uint64_t idx = r->id - e->send_base_id;
		e->sends_answered++;
		e->sends_in_flight--;
		if (r->status == -EAGAIN) {
			e->eagain++;
			if (!e->blocked || idx < e->rewind)
				e->rewind = idx;
			e->blocked = true;
		} else if (r->status != 0) {
			e2e_fail(e, "send of SDU %llu: status %d", (unsigned long long)idx,
				 r->status);
		}
		return;
	}
	if (e->call_id && r->id == e->call_id && !e->call_done) {
		hive__result__free_unpacked(e->result, NULL);
		e->result = copy_result(r);
		e->call_done = true;
	}
}

static void on_link(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	struct e2e_side *s = arg;
	const Hive__LinkEvent *le = env->link;
	switch (le->kind_case) {
	case HIVE__LINK_EVENT__KIND_CONNECTED:
		s->connected = true;
		s->disconnected = false;
		s->handle = le->handle;
		break;
	case HIVE__LINK_EVENT__KIND_ENCRYPTION_CHANGED:
		if (le->encryption_changed->enabled && !le->encryption_changed->status) {
			s->encrypted = true;
			s->key_size = le->encryption_changed->key_size;
		}
		break;
	case HIVE__LINK_EVENT__KIND_PARAMETERS_UPDATED:
		s->params = true;
		s->interval = le->parameters_updated->interval;
		break;
	case HIVE__LINK_EVENT__KIND_DISCONNECTED:
		s->disconnected = true;
		s->connected = false;
		s->encrypted = false;
		break;
	default:
		break;
	}
}

static void on_l2cap_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			   void *arg)
{
	struct e2e_side *s = arg;
	const Hive__L2capEvent *ev = env->l2cap_event;
	switch (ev->kind_case) {
	case HIVE__L2CAP_EVENT__KIND_OPENED:
		if (ev->opened->channel) {
			s->opened = true;
			s->cid = ev->opened->channel->cid;
			s->peer_mtu = ev->opened->channel->peer_mtu;
		}
		break;
	case HIVE__L2CAP_EVENT__KIND_SDU: {
		const ProtobufCBinaryData *d = &ev->sdu->sdu;
		for (size_t i = 0; i < d->len && !s->rx_bad; i++)
			if (d->data[i] != pattern(s->rx_bytes + i))
				s->rx_bad = true;
		s->rx_bytes += d->len;
		s->rx_sdus++;
		break;
	}
	case HIVE__L2CAP_EVENT__KIND_CLOSED:
		s->closed = true;
		s->close_status = ev->closed->status;
		break;
	case HIVE__L2CAP_EVENT__KIND_WRITABLE:
		s->writable = true;
		break;
	default:
		break;
	}
}

static bool e2e_pump(struct e2e *e)
{
	if ((e->p.a && hive_run_once(e->p.a, e->c.a ? 0 : 2) < 0) ||
	    (e->c.a && hive_run_once(e->c.a, 1) < 0))
		return false;
	return true;
}

static bool e2e_wait(struct e2e *e, const bool *flag, int ms, const char *what)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)ms * 1000000ull;
	while (!*flag) {
		if (hive_now_ns() > deadline)
			return e2e_fail(e, "%s: nothing within %d ms", what, ms);
		if (!e2e_pump(e))
			return e2e_fail(e, "%s: stopped", what);
	}
	return true;
}

static int e2e_send(struct e2e *e, struct e2e_side *s, const char *dest, Hive__Request *req)
{
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = req;
	if (!req->id)
		req->id = ++e->next_id;
	return hive_send(s->a, dest, &env);
}

/* Sends req and waits for its Result (e->result); true only for status 0. */
static bool e2e_call(struct e2e *e, struct e2e_side *s, const char *dest, Hive__Request *req,
		     const char *what)
{
	e->call_done = false;
	req->id = 0;
	if (e2e_send(e, s, dest, req) < 0)
		return e2e_fail(e, "%s: cannot send to %s", what, dest);
	e->call_id = req->id;
	bool ok = e2e_wait(e, &e->call_done, E2E_DEADLINE_MS, what);
	e->call_id = 0;
	if (!ok)
		return false;
	if (!e->result)
		return e2e_fail(e, "%s: no memory", what);
	if (e->result->status)
		return e2e_fail(e, "%s: %s (status %d, domain %d)", what,
				e->result->error && *e->result->error ? e->result->error : "failed",
				e->result->status, (int)e->result->domain);
	return true;
}

static bool e2e_start_vctrl(struct e2e *e)
{
	char out[700];
	snprintf(e->p.sock, sizeof e->p.sock, "%s/c0", e->dir);
	snprintf(e->c.sock, sizeof e->c.sock, "%s/c1", e->dir);
	snprintf(out, sizeof out, "%s/vctrl.out", e->dir);
	const char *argv[] = { "hive-vctrl", "--unix", e->p.sock, "--unix", e->c.sock, NULL };
	char err[700];
	snprintf(err, sizeof err, "%s/vctrl.err", e->dir);
	e->vctrl = th_spawn(argv, out, err);
	if (e->vctrl <= 0 || !th_file_contains(out, "ready", E2E_DEADLINE_MS))
		return e2e_fail(e, "hive-vctrl did not start");
	return true;
}

/* Starts the side's graph (again: same run directory and keystore) with
 * extra --set ACTOR.KEY=VALUE settings, and waits until it is ready. */
static bool e2e_launch(struct e2e *e, struct e2e_side *s, const char *const sets[])
{
	char cwd[1024], graph[1200], transport[700], ks[700], err[700];
	const char *argv[32];
	int n = 0;
	if (!getcwd(cwd, sizeof cwd))
		return e2e_fail(e, "getcwd");
	snprintf(graph, sizeof graph, "%s/launcher/graphs/%s.json", cwd, s->label);
	snprintf(s->run, sizeof s->run, "%s/%s", e->dir, s->label);
	snprintf(s->ks, sizeof s->ks, "%s/%s-bonds.sqlite3", e->dir, s->label);
	mkdir(s->run, 0700);
	snprintf(transport, sizeof transport, "unix:%s", s->sock);
	snprintf(ks, sizeof ks, "smp.keystore=%s", s->ks);
	s->launches++;
	snprintf(s->out, sizeof s->out, "%s/launch-%s-%d.out", e->dir, s->label, s->launches);
	snprintf(err, sizeof err, "%s/launch-%s-%d.err", e->dir, s->label, s->launches);
	argv[n++] = "hive-launch";
	argv[n++] = graph;
	argv[n++] = "--transport";
	argv[n++] = transport;
	argv[n++] = "--run-dir";
	argv[n++] = s->run;
	argv[n++] = "--set";
	argv[n++] = ks;
	for (int i = 0; sets && sets[i] && n < 30; i++) {
		argv[n++] = "--set";
		argv[n++] = sets[i];
	}
	argv[n] = NULL;
	s->launch = th_spawn(argv, s->out, err);
	if (s->launch <= 0 || !th_file_contains(s->out, "ready", E2E_DEADLINE_MS))
		return e2e_fail(e, "the %s graph did not start (see %s)", s->label, err);
	return true;
}

/* Joins the side's graph as the ephemeral app "app": link events from the
 * host, l2cap events, results. */
static bool e2e_join(struct e2e *e, struct e2e_side *s)
{
	struct hive_actor_config cfg = { .name = "app", .run_dir = s->run, .ephemeral = true };
	if (hive_actor_new(&s->a, &cfg) < 0)
		return e2e_fail(e, "cannot join the %s graph", s->label);
	hive_on(s->a, HIVE__ENVELOPE__BODY_RESULT, on_result, e);
	hive_on(s->a, HIVE__ENVELOPE__BODY_LINK, on_link, s);
	hive_on(s->a, HIVE__ENVELOPE__BODY_L2CAP_EVENT, on_l2cap_event, s);
	Hive__LinkSubscribe ls = HIVE__LINK_SUBSCRIBE__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_LINK_SUBSCRIBE;
	req.link_subscribe = &ls;
	return e2e_call(e, s, "host", &req, "link subscription");
}

/* The peripheral advertises; the central connects to its address. */
static bool e2e_connect(struct e2e *e)
{
	Hive__AdvertisingData ad = HIVE__ADVERTISING_DATA__INIT;
	ad.name = "hive-e2e";
	Hive__Advertise adv = HIVE__ADVERTISE__INIT;
	adv.connectable = true;
	adv.interval_ms = 20;
	adv.data = &ad;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_ADVERTISE;
	req.advertise = &adv;
	if (!e2e_call(e, &e->p, "host", &req, "advertise"))
		return false;
	const Hive__AdvertiseResult *ar = e->result->advertise;
	if (!ar || !ar->own || ar->own->bdaddr.len != 6)
		return e2e_fail(e, "advertise: no own address");
	uint8_t addr[6];
	memcpy(addr, ar->own->bdaddr.data, 6);
	Hive__Address peer = HIVE__ADDRESS__INIT;
	peer.type = ar->own->type;
	peer.bdaddr.data = addr;
	peer.bdaddr.len = 6;
	Hive__Connect con = HIVE__CONNECT__INIT;
	con.peer = &peer;
	Hive__Request creq = HIVE__REQUEST__INIT;
	creq.op_case = HIVE__REQUEST__OP_CONNECT;
	creq.connect = &con;
	e->p.connected = e->c.connected = false;
	if (!e2e_call(e, &e->c, "host", &creq, "connect"))
		return false;
	if (!e->result->connection)
		return e2e_fail(e, "connect: no connection in the answer");
	e->c.handle = e->result->connection->handle;
	e->c.interval = e->result->connection->interval;
	return e2e_wait(e, &e->p.connected, E2E_DEADLINE_MS, "the peripheral's link");
}

static bool e2e_disconnect(struct e2e *e)
{
	Hive__Disconnect dis = HIVE__DISCONNECT__INIT;
	dis.handle = e->c.handle;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_DISCONNECT;
	req.disconnect = &dis;
	e->c.disconnected = e->p.disconnected = false;
	return e2e_call(e, &e->c, "host", &req, "disconnect") &&
	       e2e_wait(e, &e->c.disconnected, E2E_DEADLINE_MS, "the central's disconnection") &&
	       e2e_wait(e, &e->p.disconnected, E2E_DEADLINE_MS, "the peripheral's disconnection");
}

static bool e2e_setup(struct e2e *e)
{
	char *d = th_run_dir();
	if (!d)
		return e2e_fail(e, "no run directory");
	snprintf(e->dir, sizeof e->dir, "%s", d);
	free(d);
	e->p.label = "peripheral";
	e->c.label = "central";
	return e2e_start_vctrl(e) && e2e_launch(e, &e->p, NULL) && e2e_launch(e, &e->c, NULL) &&
	       e2e_join(e, &e->p) && e2e_join(e, &e->c) && e2e_connect(e);
}

static void e2e_teardown(struct e2e *e)
{
	hive_actor_destroy(&e->p.a);
	hive_actor_destroy(&e->c.a);
	hive__result__free_unpacked(e->result, NULL);
	e->result = NULL;
	/* hive-launch stops its graph on SIGTERM; th_cleanup kills the rest. */
	if (e->c.launch > 0) {
		th_kill(e->c.launch, SIGTERM);
		e->c.launch = 0;
	}
	if (e->p.launch > 0) {
		th_kill(e->p.launch, SIGTERM);
		e->p.launch = 0;
	}
}

/* ---- l2cap requests ------------------------------------------------------------------- */

static bool l2cap_call(struct e2e *e, struct e2e_side *s, Hive__L2capRequest *lr,
		       const char *what)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_L2CAP;
	req.l2cap = lr;
	return e2e_call(e, s, "l2cap", &req, what);
}

static int send_sdu(struct e2e *e, uint64_t idx, uint32_t sdu_len, bool resume)
{
	static uint8_t buf[65536];
	uint64_t off = idx * sdu_len;
	uint32_t len = (uint32_t)(g_total - off < sdu_len ? g_total - off : sdu_len);
	for (uint32_t i = 0; i < len; i++)
		buf[i] = pattern(off + i);
	Hive__L2capSend sd = HIVE__L2CAP_SEND__INIT;
	sd.handle = e->c.handle;
	sd.cid = e->c.cid;
	sd.sdu.data = buf;
	sd.sdu.len = len;
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

/* Sends g_total bytes on the central's open channel in SDUs of sdu_len,
 * with at most E2E_WINDOW sends in flight; a refused send (-EAGAIN) is sent
 * again, with resume, once l2cap says writable and every send in flight
 * was answered. Waits until the peripheral received it all. */
static bool coc_transfer(struct e2e *e, uint32_t sdu_len, int timeout_ms)
{
	uint64_t nsdu = (g_total + sdu_len - 1) / sdu_len;
	uint64_t next = 0;
	bool resume = false;
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	e->send_base_id = e->next_id + 1000;
	e->next_id += 1000 + g_total;
	e->blocked = false;
	e->c.writable = false;
	while (e->p.rx_bytes < g_total || e->sends_in_flight) {
		if (*e->err)
			return false;
		if (e->p.rx_bad)
			return e2e_fail(e, "the peripheral received bytes out of order or changed "
					   "before offset %llu",
					(unsigned long long)e->p.rx_bytes);
		if (e->p.closed || e->c.closed)
			return e2e_fail(e, "the channel closed during the transfer");
		if (hive_now_ns() > deadline)
			return e2e_fail(e, "transfer: %llu of %llu bytes within %d ms (%llu sent, "
					   "%llu in flight, blocked %d)",
					(unsigned long long)e->p.rx_bytes, (unsigned long long)g_total, timeout_ms,
					(unsigned long long)next,
					(unsigned long long)e->sends_in_flight, e->blocked);
		if (e->blocked && e->c.writable && e->sends_in_flight == 0) {
			next = e->rewind;
			e->blocked = false;
			e->c.writable = false;
			resume = true;
		}
		while (!e->blocked && next < nsdu && e->sends_in_flight < E2E_WINDOW) {
			if (send_sdu(e, next, sdu_len, resume) < 0)
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

/* Listen on the peripheral, connect from the central. */
static bool coc_open(struct e2e *e, uint32_t mtu, uint32_t mps)
{
	Hive__L2capCocParams rx = HIVE__L2CAP_COC_PARAMS__INIT;
	rx.mtu = mtu;
	rx.mps = mps;
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

static bool coc_close(struct e2e *e)
{
	Hive__L2capDisconnect dc = HIVE__L2CAP_DISCONNECT__INIT;
	dc.handle = e->c.handle;
	dc.cid = e->c.cid;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_DISCONNECT;
	lr.disconnect = &dc;
	return l2cap_call(e, &e->c, &lr, "close the channel") &&
	       e2e_wait(e, &e->c.closed, E2E_DEADLINE_MS, "the central's closed event") &&
	       e2e_wait(e, &e->p.closed, E2E_DEADLINE_MS, "the peripheral's closed event");
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

int main(int argc, char **argv)
{
	if (argc > 1) {
		long mb = strtol(argv[1], NULL, 10);
		if (mb < 1 || mb > 1024) {
			fprintf(stderr, "usage: hive-bench-coc [MB 1..1024]\n");
			return 2;
		}
		g_total = (uint64_t)mb << 20;
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
	struct proc_cpu pc[PROCS_MAX];
	memset(pc, 0, sizeof pc);
	int n = 0;
	if (!e2e_setup(e) || !coc_open(e, 512, 247))
		goto out;
	snprintf(pc[n].name, sizeof pc[n].name, "vctrl");
	pc[n++].pid = e->vctrl;
	snprintf(pc[n].name, sizeof pc[n].name, "apps");
	pc[n++].pid = getpid();
	n = add_graph(&e->p, pc, n);
	n = add_graph(&e->c, pc, n);
	for (int i = 0; i < n; i++)
		pc[i].before = cpu_seconds(pc[i].pid);
	uint64_t t0 = hive_now_ns();
	bool ok = coc_transfer(e, e->c.peer_mtu, 600000);
	uint64_t t1 = hive_now_ns();
	for (int i = 0; i < n; i++)
		pc[i].after = cpu_seconds(pc[i].pid);
	if (!ok || e->p.rx_bad)
		goto out;
	double s = (double)(t1 - t0) / 1e9, mb = (double)g_total / (1024.0 * 1024.0);
	double total = 0;
	char per[4096] = "";
	for (int i = 0; i < n; i++) {
		double c = pc[i].before >= 0 && pc[i].after >= 0 ? pc[i].after - pc[i].before : 0;
		total += c;
		size_t l = strlen(per);
		snprintf(per + l, sizeof per - l, "%s\"%.47s\":%.4f", i ? "," : "", pc[i].name, c / mb);
	}
	printf("{\"bench\":\"coc\",\"transport\":\"hive-vctrl\",\"mtu\":512,\"mps\":247,"
	       "\"peer_mtu\":%u,\"bytes\":%llu,\"sdus\":%llu,\"eagain\":%llu,\"seconds\":%.3f,"
	       "\"mb_per_s\":%.3f,\"cpu_s_per_mb_total\":%.4f,\"cpu_s_per_mb\":{%s},"
	       "\"cpus\":%ld,\"load1\":%.2f}\n",
	       e->c.peer_mtu, (unsigned long long)g_total, (unsigned long long)e->p.rx_sdus,
	       (unsigned long long)e->eagain, s, mb / s, total / mb, per,
	       sysconf(_SC_NPROCESSORS_ONLN), load1());
	fflush(stdout);
	rc = coc_close(e) && e2e_disconnect(e) ? 0 : 1;
out:
	if (rc)
		fprintf(stderr, "hive-bench-coc: %s (logs in %s)\n", e->err, e->dir);
	e2e_teardown(e);
	th_kill(e->vctrl, SIGTERM);
	th_cleanup();
	free(e);
	return rc;
}
