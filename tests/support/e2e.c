/* The two-graph harness (see e2e.h). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"

struct e2e *E;


bool e2e_fail(struct e2e *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->err, sizeof e->err, fmt, ap);
	va_end(ap);
	return false;
}

uint8_t e2e_pattern(uint64_t i)
{
	return (uint8_t)(((i * 2654435761u) >> 13) ^ (i >> 9));
}

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct e2e *e = arg;
	const Hive__Result *r = env->result;
	if (e->send_base_id && r->id >= e->send_base_id && r->id < e->send_base_id + e->tx_total) {
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
		e->result = th_result_copy(r);
		e->call_done = true;
	}
}

void e2e_on_link(struct hive_actor *a, const char *source, const Hive__Envelope *env,
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
			if (s->nopened < 8)
				s->opened_cids[s->nopened++] = ev->opened->channel->cid;
			s->opened = true;
			s->cid = ev->opened->channel->cid;
			s->peer_mtu = ev->opened->channel->peer_mtu;
		}
		break;
	case HIVE__L2CAP_EVENT__KIND_SDU: {
		const ProtobufCBinaryData *d = &ev->sdu->sdu;
		for (unsigned k = 0; k < s->nopened; k++)
			if (s->opened_cids[k] == ev->sdu->cid)
				s->cid_sdus[k]++;
		for (size_t i = 0; i < d->len && !s->rx_bad; i++)
			if (d->data[i] != e2e_pattern(s->rx_bytes + i))
				s->rx_bad = true;
		s->rx_bytes += d->len;
		s->rx_sdus++;
		break;
	}
	case HIVE__L2CAP_EVENT__KIND_CLOSED:
		s->nclosed++;
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

bool e2e_pump(struct e2e *e)
{
	if ((e->p.a && hive_run_once(e->p.a, e->c.a ? 0 : 2) < 0) ||
	    (e->c.a && hive_run_once(e->c.a, 1) < 0))
		return false;
	return true;
}

bool e2e_wait(struct e2e *e, const bool *flag, int ms, const char *what)
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

int e2e_send(struct e2e *e, struct e2e_side *s, const char *dest, Hive__Request *req)
{
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = req;
	if (!req->id)
		req->id = ++e->next_id;
	return hive_send(s->a, dest, &env);
}

/* Sends req and waits for its Result (e->result); true only for status 0. */
bool e2e_call(struct e2e *e, struct e2e_side *s, const char *dest, Hive__Request *req,
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

bool e2e_start_vctrl(struct e2e *e)
{
	char out[700];
	snprintf(e->p.sock, sizeof e->p.sock, "%s/c0", e->dir);
	snprintf(e->c.sock, sizeof e->c.sock, "%s/c1", e->dir);
	snprintf(out, sizeof out, "%s/vctrl.out", e->dir);
	const char *argv[16] = { "hive-vctrl", "--unix", e->p.sock, "--unix", e->c.sock };
	for (int i = 0, n = 5; e->vctrl_args && e->vctrl_args[i] && n < 15; i++)
		argv[n++] = e->vctrl_args[i];
	char err[700];
	snprintf(err, sizeof err, "%s/vctrl.err", e->dir);
	e->vctrl = th_spawn(argv, out, err);
	if (e->vctrl <= 0 || !th_file_contains(out, "ready", E2E_DEADLINE_MS))
		return e2e_fail(e, "hive-vctrl did not start");
	return true;
}

/* Starts the side's graph (again: same run directory and keystore) with
 * extra --set ACTOR.KEY=VALUE settings, and waits until it is ready. */
bool e2e_launch(struct e2e *e, struct e2e_side *s, const char *const sets[])
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
bool e2e_join(struct e2e *e, struct e2e_side *s)
{
	struct hive_actor_config cfg = { .name = "app", .run_dir = s->run, .ephemeral = true };
	if (hive_actor_new(&s->a, &cfg) < 0)
		return e2e_fail(e, "cannot join the %s graph", s->label);
	hive_on(s->a, HIVE__ENVELOPE__BODY_RESULT, on_result, e);
	hive_on(s->a, HIVE__ENVELOPE__BODY_LINK, e2e_on_link, s);
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
bool e2e_connect(struct e2e *e)
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

bool e2e_disconnect(struct e2e *e)
{
	return e2e_disconnect_reason(e, 0);
}

bool e2e_disconnect_reason(struct e2e *e, uint32_t reason)
{
	Hive__Disconnect dis = HIVE__DISCONNECT__INIT;
	dis.handle = e->c.handle;
	dis.reason = reason;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_DISCONNECT;
	req.disconnect = &dis;
	e->c.disconnected = e->p.disconnected = false;
	return e2e_call(e, &e->c, "host", &req, "disconnect") &&
	       e2e_wait(e, &e->c.disconnected, E2E_DEADLINE_MS, "the central's disconnection") &&
	       e2e_wait(e, &e->p.disconnected, E2E_DEADLINE_MS, "the peripheral's disconnection");
}

bool e2e_run_dir(struct e2e *e)
{
	char *d = th_run_dir();
	if (!d)
		return e2e_fail(e, "no run directory");
	snprintf(e->dir, sizeof e->dir, "%s", d);
	free(d);
	e->p.label = "peripheral";
	e->c.label = "central";
	return true;
}

bool e2e_setup(struct e2e *e, const char *const psets[], bool central_smp_events)
{
	if (!e2e_run_dir(e))
		return false;
	e->c.smp_subscribe = central_smp_events;
	return e2e_start_vctrl(e) && e2e_launch(e, &e->p, psets) && e2e_launch(e, &e->c, e->csets) &&
	       e2e_join(e, &e->p) && e2e_join(e, &e->c) && e2e_connect(e);
}

void e2e_teardown(struct e2e *e)
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

/* ---- an LE credit based channel from the central's app to the peripheral's */

bool e2e_l2cap_call(struct e2e *e, struct e2e_side *s, Hive__L2capRequest *lr,
		    const char *what)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_L2CAP;
	req.l2cap = lr;
	return e2e_call(e, s, "l2cap", &req, what);
}

bool e2e_coc_open(struct e2e *e, uint32_t mtu, uint32_t mps)
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
	if (!e2e_l2cap_call(e, &e->p, &lr, "listen"))
		return false;
	Hive__L2capConnect co = HIVE__L2CAP_CONNECT__INIT;
	co.handle = e->c.handle;
	co.spsm = E2E_SPSM;
	co.rx = &rx;
	Hive__L2capRequest lc = HIVE__L2CAP_REQUEST__INIT;
	lc.op_case = HIVE__L2CAP_REQUEST__OP_CONNECT;
	lc.connect = &co;
	if (!e2e_l2cap_call(e, &e->c, &lc, "open a channel"))
		return false;
	const Hive__L2capResult *r = e->result->l2cap;
	if (!r || r->value_case != HIVE__L2CAP_RESULT__VALUE_CONNECTED ||
	    r->connected->n_channels != 1)
		return e2e_fail(e, "open a channel: no channel in the answer");
	e->c.cid = r->connected->channels[0]->cid;
	e->c.peer_mtu = r->connected->channels[0]->peer_mtu;
	return e2e_wait(e, &e->p.opened, E2E_DEADLINE_MS, "the peripheral's opened event");
}

bool e2e_coc_close(struct e2e *e)
{
	Hive__L2capDisconnect dc = HIVE__L2CAP_DISCONNECT__INIT;
	dc.handle = e->c.handle;
	dc.cid = e->c.cid;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_DISCONNECT;
	lr.disconnect = &dc;
	return e2e_l2cap_call(e, &e->c, &lr, "close the channel") &&
	       e2e_wait(e, &e->c.closed, E2E_DEADLINE_MS, "the central's closed event") &&
	       e2e_wait(e, &e->p.closed, E2E_DEADLINE_MS, "the peripheral's closed event");
}

void e2e_coc_start(struct e2e *e, uint64_t total)
{
	e->tx_total = total;
	e->tx_byte0 = e->p.rx_bytes;
	e->send_base_id = e->next_id + 1000;
	e->next_id += 1000 + total; /* ids enough for SDUs of one byte */
	e->blocked = false;
	e->c.writable = false;
	e->tx_next = 0;
	e->tx_resume = false;
}

int e2e_coc_send_sdu(struct e2e *e, uint64_t idx, uint32_t sdu_len, bool resume)
{
	static uint8_t buf[65536];
	uint64_t off = idx * sdu_len;
	if (sdu_len > sizeof buf || off >= e->tx_total)
		return -EINVAL;
	uint32_t len = (uint32_t)(e->tx_total - off < sdu_len ? e->tx_total - off : sdu_len);
	for (uint32_t i = 0; i < len; i++)
		buf[i] = e2e_pattern(e->tx_byte0 + off + i);
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

bool e2e_coc_transfer(struct e2e *e, uint32_t sdu_len, int timeout_ms, bool until_blocked)
{
	uint64_t nsdu = (e->tx_total + sdu_len - 1) / sdu_len;
	uint64_t end = e->tx_byte0 + e->tx_total;
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (e->p.rx_bytes < end || e->sends_in_flight) {
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
					(unsigned long long)(e->p.rx_bytes - e->tx_byte0),
					(unsigned long long)e->tx_total, timeout_ms,
					(unsigned long long)e->tx_next,
					(unsigned long long)e->sends_in_flight, e->blocked);
		if (until_blocked && e->blocked && e->sends_in_flight == 0)
			return true;
		if (e->blocked && e->c.writable && e->sends_in_flight == 0) {
			e->tx_next = e->rewind;
			e->blocked = false;
			e->c.writable = false;
			e->tx_resume = true;
		}
		while (!e->blocked && e->tx_next < nsdu && e->sends_in_flight < E2E_WINDOW) {
			if (e2e_coc_send_sdu(e, e->tx_next, sdu_len, e->tx_resume) < 0)
				return e2e_fail(e, "cannot send to l2cap");
			e->tx_resume = false;
			e->tx_next++;
		}
		if (!e2e_pump(e))
			return e2e_fail(e, "stopped");
	}
	if (until_blocked)
		return e2e_fail(e, "every byte went: l2cap never refused a send");
	e->send_base_id = 0;
	return true;
}

/* ---- pairing --------------------------------------------------------------------------- */

bool e2e_smp_call(struct e2e *e, struct e2e_side *s, Hive__SmpRequest *sr, const char *what)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = sr;
	return e2e_call(e, s, "smp", &req, what);
}

bool e2e_pair(struct e2e *e, bool legacy, bool mitm, Hive__SmpIoCapability io,
	      struct e2e_paired *out)
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
	if (!e2e_smp_call(e, &e->c, &sr, "pair"))
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

/* ---- BR/EDR ---------------------------------------------------------------------------- */

bool e2e_device_addr(struct e2e *e, struct e2e_side *s, uint8_t out[6])
{
	Hive__DeviceInfoQuery q = HIVE__DEVICE_INFO_QUERY__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_DEVICE_INFO;
	req.device_info = &q;
	if (!e2e_call(e, s, "host", &req, "device info"))
		return false;
	const Hive__DeviceInfo *di = e->result->device_info;
	if (!di || !di->public_address || di->public_address->bdaddr.len != 6)
		return e2e_fail(e, "device info: no public address");
	memcpy(out, di->public_address->bdaddr.data, 6);
	return true;
}

bool e2e_bredr_connect(struct e2e *e, const uint8_t addr[6])
{
	Hive__BredrConnect bc = HIVE__BREDR_CONNECT__INIT;
	bc.bdaddr.data = (uint8_t *)addr;
	bc.bdaddr.len = 6;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_BREDR_CONNECT;
	req.bredr_connect = &bc;
	e->p.connected = e->c.connected = false;
	if (!e2e_call(e, &e->c, "host", &req, "BR/EDR connect"))
		return false;
	if (!e->result->connection)
		return e2e_fail(e, "BR/EDR connect: no connection in the answer");
	e->c.handle = e->result->connection->handle;
	return e2e_wait(e, &e->c.connected, E2E_DEADLINE_MS, "the central's link") &&
	       e2e_wait(e, &e->p.connected, E2E_DEADLINE_MS, "the peripheral's link");
}
