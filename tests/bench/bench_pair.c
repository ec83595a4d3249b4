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

#include "harness.h"
#include "../../actors/smp/smp_crypto.h"

/* ---- two graphs, driven as an app of each ------------------------------------------- */

#define E2E_DEADLINE_MS 20000
#define E2E_SPSM 0x0081
#define E2E_TOTAL (1u << 20)
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
	/* smp events (the central's app subscribes; the peripheral's smp
	 * answers by its policy) */
	bool smp_subscribe;
	uint32_t prompts, completes, failures, bonded_encryptions;
	uint32_t last_prompt, last_number;
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
	uint32_t passkey; /* what the central's app enters when asked */
};

static struct e2e *E;

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
	if (e->send_base_id && r->id >= e->send_base_id && r->id < e->send_base_id + E2E_TOTAL) {
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

/* The central's app answers its prompts: numbers and Just Works
 * accepted, the passkey entered. */
static void on_smp_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			 void *arg)
{
	struct e2e_side *s = arg;
	const Hive__SmpEvent *ev = env->smp_event;
	switch (ev->kind_case) {
	case HIVE__SMP_EVENT__KIND_PROMPT: {
		s->prompts++;
		s->last_prompt = ev->prompt->kind;
		s->last_number = ev->prompt->number;
		if (ev->prompt->kind == HIVE__SMP_PROMPT__KIND__PASSKEY_DISPLAY)
			break;
		Hive__SmpUserReply ur = HIVE__SMP_USER_REPLY__INIT;
		ur.handle = ev->handle;
		ur.accept = true;
		ur.passkey = E->passkey;
		Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
		sr.op_case = HIVE__SMP_REQUEST__OP_USER_REPLY;
		sr.user_reply = &ur;
		Hive__Request req = HIVE__REQUEST__INIT;
		req.op_case = HIVE__REQUEST__OP_SMP;
		req.smp = &sr;
		Hive__Envelope out = HIVE__ENVELOPE__INIT;
		out.body_case = HIVE__ENVELOPE__BODY_REQUEST;
		out.request = &req;
		hive_send(a, "smp", &out);
		break;
	}
	case HIVE__SMP_EVENT__KIND_COMPLETE:
		s->completes++;
		break;
	case HIVE__SMP_EVENT__KIND_FAILED:
		s->failures++;
		break;
	case HIVE__SMP_EVENT__KIND_ENCRYPTED:
		if (ev->encrypted->enabled && ev->encrypted->bonded_key)
			s->bonded_encryptions++;
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
	hive_on(s->a, HIVE__ENVELOPE__BODY_SMP_EVENT, on_smp_event, s);
	Hive__LinkSubscribe ls = HIVE__LINK_SUBSCRIBE__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_LINK_SUBSCRIBE;
	req.link_subscribe = &ls;
	if (!e2e_call(e, s, "host", &req, "link subscription"))
		return false;
	if (!s->smp_subscribe)
		return true;
	Hive__SmpSubscribe ss = HIVE__SMP_SUBSCRIBE__INIT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_SUBSCRIBE;
	sr.subscribe = &ss;
	Hive__Request req2 = HIVE__REQUEST__INIT;
	req2.op_case = HIVE__REQUEST__OP_SMP;
	req2.smp = &sr;
	return e2e_call(e, s, "smp", &req2, "smp subscription");
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

static bool e2e_setup(struct e2e *e, const char *const psets[])
{
	char *d = th_run_dir();
	if (!d)
		return e2e_fail(e, "no run directory");
	snprintf(e->dir, sizeof e->dir, "%s", d);
	free(d);
	e->p.label = "peripheral";
	e->c.label = "central";
	e->c.smp_subscribe = true;
	return e2e_start_vctrl(e) && e2e_launch(e, &e->p, psets) && e2e_launch(e, &e->c, NULL) &&
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
	if (e2e_setup(e, NULL) && e2e_disconnect(e) &&
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
