/* Issue 7 end to end: the demo's two graphs on one hive-vctrl radio,
 * driven as an app of each graph. Each pairing method (LE Secure
 * Connections numeric comparison, Just Works and passkey entry; legacy
 * Just Works and passkey entry) pairs, bonds and encrypts; then the bonds survive a kill -9
 * of both smp actors (the launcher restarts them) and a restart of both
 * whole graphs with the same bond stores: each reconnection encrypts with
 * the stored LTK without pairing (no SMP PDU reaches either smp: the
 * l2cap fixed channel counters of CID 0x0006 do not move, and the central's
 * smp reports no prompt, pairing or failure). The central's app answers
 * its prompts; the peripheral's smp answers by its policy. Also: pairing
 * again keeps one bond, smp killed on a live encrypted link, a pairing the
 * peripheral asks for (Security Request), and a wrong passkey. */
#include <criterion/criterion.h>
#include <errno.h>
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

static bool bonds(struct e2e *e, struct e2e_side *s, size_t *n)
{
	Hive__SmpBondsQuery q = HIVE__SMP_BONDS_QUERY__INIT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_BONDS;
	sr.bonds = &q;
	if (!smp_call(e, s, &sr, "bonds"))
		return false;
	const Hive__SmpResult *r = e->result->smp;
	if (!r || r->value_case != HIVE__SMP_RESULT__VALUE_BONDS)
		return e2e_fail(e, "bonds: no list in the answer");
	*n = r->bonds->n_bonds;
	return true;
}

/* The peripheral stores its bond when the central's keys arrived, after
 * the central's pairing ended: asks until the store has want bonds. */
static bool wait_bonds(struct e2e *e, struct e2e_side *s, size_t want, size_t *n)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while (bonds(e, s, n) && *n != want && hive_now_ns() < deadline)
		e2e_pump(e);
	return !*e->err;
}

/* SMP frames l2cap delivered to smp so far (fixed channel 0x0006). */
static bool smp_frames(struct e2e *e, struct e2e_side *s, uint64_t *n)
{
	Hive__L2capTableQuery q = HIVE__L2CAP_TABLE_QUERY__INIT;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_TABLE;
	lr.table = &q;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_L2CAP;
	req.l2cap = &lr;
	if (!e2e_call(e, s, "l2cap", &req, "l2cap table"))
		return false;
	const Hive__L2capResult *r = e->result->l2cap;
	if (!r || r->value_case != HIVE__L2CAP_RESULT__VALUE_TABLE)
		return e2e_fail(e, "l2cap table: no table in the answer");
	*n = 0;
	for (size_t i = 0; i < r->table->n_fixed; i++)
		if (r->table->fixed[i]->cid == 0x0006)
			*n = r->table->fixed[i]->delivered;
	return true;
}

/* kill -9 the side's smp, and wait until the launcher restarted it and it
 * is ready. */
static bool kill_smp(struct e2e *e, struct e2e_side *s)
{
	Hive__Status *st = th_status(s->a, E2E_DEADLINE_MS);
	const Hive__ActorStatus *as = th_status_find(st, "smp");
	uint32_t old = as && as->up ? as->pid : 0;
	hive__status__free_unpacked(st, NULL);
	if (!old)
		return e2e_fail(e, "the %s graph has no smp up", s->label);
	kill((pid_t)old, SIGKILL);
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	for (;;) {
		st = th_status(s->a, E2E_DEADLINE_MS);
		as = th_status_find(st, "smp");
		bool back = as && as->up && as->ready && as->pid && as->pid != old;
		hive__status__free_unpacked(st, NULL);
		if (back)
			break;
		if (hive_now_ns() > deadline)
			return e2e_fail(e, "the %s smp was not restarted", s->label);
		/* No event says "restarted": ask the broker again (a round trip). */
		e2e_pump(e);
	}
	if (!s->smp_subscribe)
		return true;
	Hive__SmpSubscribe ss = HIVE__SMP_SUBSCRIBE__INIT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_SUBSCRIBE;
	sr.subscribe = &ss;
	return smp_call(e, s, &sr, "smp subscription");
}

/* Both graphs stopped entirely, and started again with the same run
 * directories and bond stores. */
static bool restart_graphs(struct e2e *e)
{
	hive_actor_destroy(&e->p.a);
	hive_actor_destroy(&e->c.a);
	th_kill(e->c.launch, SIGTERM);
	th_kill(e->p.launch, SIGTERM);
	e->c.launch = e->p.launch = 0;
	return e2e_launch(e, &e->p, NULL) && e2e_launch(e, &e->c, NULL) && e2e_join(e, &e->p) &&
	       e2e_join(e, &e->c);
}

/* Reconnects and encrypts with the stored LTK: no SMP PDU on either side,
 * no prompt, pairing or failure on the central. */
static bool reconnect_encrypts(struct e2e *e, const char *when)
{
	uint32_t prompts = e->c.prompts, completes = e->c.completes, failures = e->c.failures;
	uint32_t bonded = e->c.bonded_encryptions;
	uint64_t pf0, cf0, pf1, cf1;
	if (!e2e_connect(e) || !smp_frames(e, &e->p, &pf0) || !smp_frames(e, &e->c, &cf0))
		return false;
	e->c.encrypted = e->p.encrypted = false;
	Hive__SmpEncrypt en = HIVE__SMP_ENCRYPT__INIT;
	en.handle = e->c.handle;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_ENCRYPT;
	sr.encrypt = &en;
	if (!smp_call(e, &e->c, &sr, "encrypt"))
		return e2e_fail(e, "%s: %s", when, e->err);
	const Hive__SmpResult *r = e->result->smp;
	if (!r || r->value_case != HIVE__SMP_RESULT__VALUE_ENCRYPTED || !r->encrypted->enabled)
		return e2e_fail(e, "%s: encrypt: not encrypted", when);
	if (!r->encrypted->bonded_key)
		return e2e_fail(e, "%s: encrypt: not with the stored key", when);
	if (!e2e_wait(e, &e->c.encrypted, E2E_DEADLINE_MS, "the central's encryption") ||
	    !e2e_wait(e, &e->p.encrypted, E2E_DEADLINE_MS, "the peripheral's encryption") ||
	    !smp_frames(e, &e->p, &pf1) || !smp_frames(e, &e->c, &cf1))
		return e2e_fail(e, "%s: %s", when, e->err);
	if (pf1 != pf0 || cf1 != cf0)
		return e2e_fail(e, "%s: SMP PDUs while encrypting: peripheral %llu, central %llu",
				when, (unsigned long long)(pf1 - pf0),
				(unsigned long long)(cf1 - cf0));
	if (e->c.prompts != prompts || e->c.completes != completes || e->c.failures != failures)
		return e2e_fail(e, "%s: the central's smp prompted or paired again", when);
	(void)bonded;
	return true;
}

static void fini(void)
{
	if (E) {
		e2e_teardown(E);
		free(E);
		E = NULL;
	}
	th_cleanup();
}

/* Pairs with one method, then: bonds on both sides; kill -9 of both smp
 * and a reconnection; a restart of both graphs and a reconnection. */
static void method(const char *const psets[], bool legacy, bool mitm, Hive__SmpIoCapability io,
		   uint32_t passkey, int want_method, bool want_sc, bool want_auth)
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	struct e2e *e = E;
	e->passkey = passkey;
	cr_assert(e2e_setup(e, psets), "%s", e->err);
	struct paired pd = { 0 };
	cr_assert(pair(e, legacy, mitm, io, &pd), "%s", e->err);
	cr_assert_eq(pd.method, want_method, "method %d, want %d", pd.method, want_method);
	cr_assert_eq(pd.sc, want_sc);
	cr_assert_eq(pd.authenticated, want_auth);
	cr_assert(pd.bonded);
	cr_assert_eq(pd.key_size, 16);
	size_t n = 0;
	cr_assert(bonds(e, &e->c, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the central has %zu bonds", n);
	cr_assert(wait_bonds(e, &e->p, 1, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the peripheral has %zu bonds", n);
	cr_assert(e2e_disconnect(e), "%s", e->err);

	/* smp restarted on both sides. */
	cr_assert(kill_smp(e, &e->p), "%s", e->err);
	cr_assert(kill_smp(e, &e->c), "%s", e->err);
	cr_assert(reconnect_encrypts(e, "after kill -9 smp"), "%s", e->err);
	cr_assert(e2e_disconnect(e), "%s", e->err);

	/* Both whole graphs restarted. */
	cr_assert(restart_graphs(e), "%s", e->err);
	cr_assert(reconnect_encrypts(e, "after restarting the graphs"), "%s", e->err);
	cr_assert(bonds(e, &e->c, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the central has %zu bonds", n);
	cr_assert(bonds(e, &e->p, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the peripheral has %zu bonds", n);
	cr_assert(e2e_disconnect(e), "%s", e->err);
}

Test(smp_e2e, sc_numeric_comparison, .fini = fini, .timeout = 240)
{
	method(NULL, false, true, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, 0,
	       HIVE__SMP_METHOD__METHOD_NUMERIC_COMPARISON, true, true);
	cr_assert_gt(E->c.prompts, 0, "the central's app was not asked to compare");
	cr_assert_eq(E->c.last_prompt, HIVE__SMP_PROMPT__KIND__CONFIRM_NUMBER);
}

Test(smp_e2e, sc_just_works, .fini = fini, .timeout = 240)
{
	method(NULL, false, false, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, 0,
	       HIVE__SMP_METHOD__METHOD_JUST_WORKS, true, false);
}

/* Both sides keyboards: each enters the same passkey (the peripheral's smp
 * by its policy passkey:N, the central's app when asked). */
Test(smp_e2e, sc_passkey, .fini = fini, .timeout = 240)
{
	const char *const psets[] = { "smp.io_cap=keyboard_only", "smp.pairing_policy=passkey:314159",
				      NULL };
	method(psets, false, true, HIVE__SMP_IO_CAPABILITY__IO_KEYBOARD_ONLY, 314159,
	       HIVE__SMP_METHOD__METHOD_PASSKEY, true, true);
	cr_assert_eq(E->c.last_prompt, HIVE__SMP_PROMPT__KIND__PASSKEY_ENTRY);
}

/* Legacy passkey entry, both sides keyboards. */
Test(smp_e2e, legacy_passkey, .fini = fini, .timeout = 240)
{
	const char *const psets[] = { "smp.io_cap=keyboard_only", "smp.pairing_policy=passkey:271828",
				      NULL };
	method(psets, true, true, HIVE__SMP_IO_CAPABILITY__IO_KEYBOARD_ONLY, 271828,
	       HIVE__SMP_METHOD__METHOD_PASSKEY, false, true);
	cr_assert_eq(E->c.last_prompt, HIVE__SMP_PROMPT__KIND__PASSKEY_ENTRY);
}

Test(smp_e2e, legacy_just_works, .fini = fini, .timeout = 240)
{
	method(NULL, true, false, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, 0,
	       HIVE__SMP_METHOD__METHOD_JUST_WORKS, false, false);
}

static void setup_paired(const char *const psets[], bool mitm)
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	cr_assert(e2e_setup(E, psets), "%s", E->err);
	struct paired pd = { 0 };
	cr_assert(pair(E, false, mitm, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, &pd), "%s", E->err);
	cr_assert(pd.bonded);
	size_t n = 0;
	cr_assert(wait_bonds(E, &E->p, 1, &n), "%s", E->err);
	cr_assert_eq(n, 1);
}

/* Pairing again with a bonded peer replaces its bond: one on each side. */
Test(smp_e2e, pair_again_keeps_one_bond, .fini = fini, .timeout = 240)
{
	setup_paired(NULL, false);
	struct e2e *e = E;
	cr_assert(e2e_disconnect(e), "%s", e->err);
	cr_assert(e2e_connect(e), "%s", e->err);
	struct paired pd = { 0 };
	cr_assert(pair(e, false, true, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, &pd), "%s", e->err);
	cr_assert_eq(pd.method, HIVE__SMP_METHOD__METHOD_NUMERIC_COMPARISON);
	size_t n = 0;
	cr_assert(bonds(e, &e->c, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the central has %zu bonds", n);
	cr_assert(wait_bonds(e, &e->p, 1, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the peripheral has %zu bonds", n);
	cr_assert(e2e_disconnect(e), "%s", e->err);
	cr_assert(reconnect_encrypts(e, "after pairing again"), "%s", e->err);
}

/* Both smp actors killed while the link is up and encrypted: the link
 * stays; after a reconnection the bond encrypts it without pairing. */
Test(smp_e2e, smp_killed_while_encrypted, .fini = fini, .timeout = 240)
{
	setup_paired(NULL, true);
	struct e2e *e = E;
	cr_assert(kill_smp(e, &e->p), "%s", e->err);
	cr_assert(kill_smp(e, &e->c), "%s", e->err);
	cr_assert_not(e->c.disconnected);
	cr_assert_not(e->p.disconnected);
	size_t n = 0;
	cr_assert(bonds(e, &e->c, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the central has %zu bonds", n);
	cr_assert(bonds(e, &e->p, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the peripheral has %zu bonds", n);
	cr_assert(e2e_disconnect(e), "%s", e->err);
	cr_assert(reconnect_encrypts(e, "after kill -9 smp while encrypted"), "%s", e->err);
	cr_assert(e2e_disconnect(e), "%s", e->err);
}

/* The peripheral's app asks (Security Request); the central's smp pairs
 * (pair_on_security_request), its app confirming; both bond. */
Test(smp_e2e, peripheral_security_request, .fini = fini, .timeout = 240)
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	struct e2e *e = E;
	cr_assert(e2e_setup(e, NULL), "%s", e->err);
	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = e->p.handle;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	sr.pair = &p;
	e->c.encrypted = e->p.encrypted = false;
	cr_assert(smp_call(e, &e->p, &sr, "pair (peripheral)"), "%s", e->err);
	const Hive__SmpResult *r = e->result->smp;
	cr_assert(r && r->value_case == HIVE__SMP_RESULT__VALUE_PAIRED);
	cr_assert(r->paired->sc);
	cr_assert(r->paired->bonded);
	cr_assert(e2e_wait(e, &e->c.encrypted, E2E_DEADLINE_MS, "the central's encryption"),
		  "%s", e->err);
	cr_assert(e2e_wait(e, &e->p.encrypted, E2E_DEADLINE_MS, "the peripheral's encryption"),
		  "%s", e->err);
	size_t n = 0;
	cr_assert(wait_bonds(e, &e->c, 1, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the central has %zu bonds", n);
	cr_assert(wait_bonds(e, &e->p, 1, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the peripheral has %zu bonds", n);
	cr_assert(e2e_disconnect(e), "%s", e->err);
	cr_assert(reconnect_encrypts(e, "after a peripheral-initiated pairing"), "%s", e->err);
}

/* The wrong passkey: pairing fails (Confirm Value Failed, 0x04) on both
 * sides, nothing is stored, and the link is not encrypted. */
Test(smp_e2e, sc_wrong_passkey_fails, .fini = fini, .timeout = 240)
{
	const char *const psets[] = { "smp.io_cap=keyboard_only", "smp.pairing_policy=passkey:314159",
				      NULL };
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	struct e2e *e = E;
	e->passkey = 314158;
	cr_assert(e2e_setup(e, psets), "%s", e->err);
	struct paired pd = { 0 };
	cr_assert_not(pair(e, false, true, HIVE__SMP_IO_CAPABILITY__IO_KEYBOARD_ONLY, &pd),
		      "paired with the wrong passkey");
	cr_assert_eq(e->result->domain, HIVE__RESULT__DOMAIN__SMP, "%s", e->err);
	cr_assert_eq(e->result->status, 0x04, "reason %d", e->result->status);
	*e->err = 0;
	size_t n = 1;
	cr_assert(bonds(e, &e->c, &n), "%s", e->err);
	cr_assert_eq(n, 0, "the central has %zu bonds", n);
	cr_assert(bonds(e, &e->p, &n), "%s", e->err);
	cr_assert_eq(n, 0, "the peripheral has %zu bonds", n);
	cr_assert_not(e->c.encrypted);
	cr_assert_not(e->p.encrypted);
	cr_assert(e2e_disconnect(e), "%s", e->err);
}
