/* Faults: two whole graphs on hive-vctrl (launcher/graphs/peripheral.json
 * and central.json under hive-launch, as test_stack_e2e.c runs them), a
 * link between them, and steady traffic: the central reads the peer's
 * device name back to back, and the peripheral notifies the heart rate
 * every NOTIFY_EVERY_MS. Meanwhile gatt, l2cap, host and smp of the
 * peripheral, then of the central, are killed with SIGKILL in turn; the
 * launchers restart each. Every transaction must end (a value, or an
 * error) within TXN_DEADLINE_MS, the link must stay in both hosts'
 * connection tables across every restart, every notification must reach
 * the central's app once and in order, and each actor must serve again.
 * A CoC stream runs too: the central sends SDUs of a known byte pattern on
 * an LE credit based channel, one at a time every COC_EVERY_MS, and the
 * peripheral's app checks each byte: what arrives is always an intact
 * prefix of what was sent (nothing reordered, changed or repeated); bytes
 * l2cap accepted are lost only with the channel, closed on both sides with
 * the loss reported (status, unsent), after which the central opens a new
 * channel and streams on. Last, each graph's broker is killed; the
 * launcher starts a new one, every actor registers again, and the traffic
 * goes on: every transaction in flight then ends too.
 * Printed: the restart time of each actor (from the kill to its READY in
 * its broker's Status), the time from the kill to the answer of the first
 * read sent after it, the transactions in flight at each kill and what
 * became of them, and the CoC figures. On a failure the launchers' logs are
 * shown (and copied into $CHAOS_KEEP_LOGS when set).
 *
 * A second, scripted case kills hive-gatt while a client read waits for
 * its response and checks that the successor answers the asker. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "malformed_util.h"

#define TXN_DEADLINE_MS 10000 /* a transaction that takes longer hangs */
#define RESTART_DEADLINE_MS 15000
#define NOTIFY_EVERY_MS 20
#define TRAFFIC_AFTER_KILL_MS 500 /* at least, before the next kill */
#define NAME_HANDLE 0x03 /* the GAP device name of examples/heart-rate.json */
#define COC_SPSM 0x0081
#define COC_SDU 64
#define COC_EVERY_MS 10
#define COC_RETRY_MS 100 /* between attempts to open a channel again */
#define LOST_AFTER_MS 3000
#define SERVE_WAIT_MS 6000 /* after a broker kill, for reads to come back */

static char *dir;
static struct mu_peer *P, *C; /* "chaos" on the peripheral's and on the central's broker */
static char victim_now[32] = "none yet"; /* for the failure messages */

static void fini(void)
{
	mu_peers_free();
	th_cleanup();
	free(dir);
	dir = NULL;
}

static const Hive__Result *ask(struct mu_peer *p, const char *dest, Hive__Request *r)
{
	uint64_t id = mu_request(p, dest, r);
	const Hive__Result *res = mu_wait_result(p, id, TH_DEADLINE_MS);
	cr_assert_not_null(res, "%s: no result of request %llu", dest, (unsigned long long)id);
	return res;
}

static pid_t launch(const char *graph, const char *sock, const char *run_dir,
		    const char *keystore)
{
	char cwd[2048], path[2300], transport[700], ks[700], out[600], err[600];
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	snprintf(path, sizeof path, "%s/launcher/graphs/%s.json", cwd, graph);
	snprintf(transport, sizeof transport, "unix:%s", sock);
	snprintf(ks, sizeof ks, "smp.keystore=%s", keystore);
	snprintf(out, sizeof out, "%s/launch-%s.out", dir, graph);
	snprintf(err, sizeof err, "%s/launch-%s.err", dir, graph);
	const char *argv[] = { "hive-launch", path,  "--transport", transport, "--run-dir",
			       run_dir,       "--set", ks,            NULL };
	pid_t pid = th_spawn(argv, out, err);
	cr_assert_gt(pid, 0);
	cr_assert(th_file_contains(out, "ready", TH_DEADLINE_MS), "%s graph not ready (see %s)",
		  graph, err);
	return pid;
}

/* Whether host's connection table (asked from p) holds handle. */
static bool link_in_table(struct mu_peer *p, uint32_t handle)
{
	Hive__ConnectionsQuery q = HIVE__CONNECTIONS_QUERY__INIT;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_CONNECTIONS;
	r.connections = &q;
	const Hive__Result *res = ask(p, "host", &r);
	cr_assert_eq(res->status, 0, "connections: %s", res->error);
	for (size_t i = 0; res->connections && i < res->connections->n_connections; i++)
		if (res->connections->connections[i]->handle == handle)
			return true;
	return false;
}

/* The actor's pid and up/ready in the Status of p's broker. */
static bool actor_state(struct mu_peer *p, const char *name, uint32_t *pid, bool *ready)
{
	Hive__Status *st = th_status(p->a, TH_DEADLINE_MS);
	cr_assert_not_null(st, "no Status from the broker");
	const Hive__ActorStatus *s = th_status_find(st, name);
	bool up = s && s->up;
	*pid = s ? s->pid : 0;
	*ready = s && s->up && s->ready;
	hive__status__free_unpacked(st, NULL);
	return up;
}

/* The CoC stream: the central sends, the peripheral's app receives. Byte
 * i of each channel's stream is e2e_pattern(i). */
struct coc {
	bool open; /* the central's channel */
	uint32_t cid;
	uint64_t connect_id, connect_sent, next_try; /* ns */
	uint64_t send_id, send_sent; /* ns */
	uint32_t send_len;
	bool blocked, resume; /* -EAGAIN: wait for writable, then send with resume */
	uint64_t tx_next, tx_acked; /* bytes of this channel: sent, accepted */
	uint64_t rx; /* bytes of the peripheral's current channel */
	bool rx_bad, p_closed, c_closed;
	bool draining; /* no new sends or channels */
	uint64_t rx_total, acked_total, lost, max_send_ms;
	uint64_t gap_bytes; /* skipped over after a broker kill */
	unsigned dup_sdus, foreign_sdus; /* after a broker kill: again, or unknown */
	unsigned sends_lost;
	unsigned channels, closes, unsent, eagain, refused;
	int32_t last_close_status;
};

struct traffic {
	struct coc coc;
	uint32_t hc, hp, notify_handle;
	uint64_t read_id, notify_id;
	uint64_t read_sent, notify_sent; /* ns */
	unsigned reads_ok, reads_err, notifies_ok, notifies_err;
	uint64_t max_read_ms, max_notify_ms;
	unsigned notes_rx, notes_gaps; /* notifications the central heard; out of sequence */
	uint8_t next_bpm;
	uint64_t last_read_ok, last_ok_sent; /* ns: a successful read's end, and its start */
	/* While brokers are killed, what they lose is counted, not failed:
	 * a transaction with no answer after LOST_AFTER_MS is lost. */
	bool broker_phase;
	unsigned reads_lost, notifies_lost, notes_lost;
};

static void send_read(struct traffic *t)
{
	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	rd.handle = NAME_HANDLE;
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.conn = t->hc;
	g.op_case = HIVE__GATT_REQUEST__OP_READ;
	g.read = &rd;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_GATT;
	r.gatt = &g;
	t->read_id = mu_request(C, "gatt", &r);
	t->read_sent = hive_now_ns();
}

static void send_notify(struct traffic *t)
{
	static uint8_t bpm = 60;
	uint8_t v[2] = { 0x00, bpm++ };
	Hive__GattNotify n = HIVE__GATT_NOTIFY__INIT;
	n.handle = t->notify_handle;
	n.value.data = v;
	n.value.len = sizeof v;
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.conn = t->hp;
	g.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	g.notify = &n;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_GATT;
	r.gatt = &g;
	t->notify_id = mu_request(P, "gatt", &r);
	t->notify_sent = hive_now_ns();
}

/* The central's gatt hands each notification on, in order. */
static void collect_notifications(struct traffic *t)
{
	for (size_t i = 0; i < C->n; i++) {
		const Hive__Envelope *ev = C->kept[i];
		if (C->taken[i] || ev->body_case != HIVE__ENVELOPE__BODY_GATT_EVENT)
			continue;
		C->taken[i] = true;
		if (ev->gatt_event->kind_case != HIVE__GATT_EVENT__KIND_NOTIFICATION)
			continue;
		const Hive__GattValue *gv = ev->gatt_event->notification;
		cr_assert_eq(gv->handle, t->notify_handle);
		cr_assert_eq(gv->value.len, 2);
		if (gv->value.data[1] != t->next_bpm && t->broker_phase) {
			t->notes_lost += (uint8_t)(gv->value.data[1] - t->next_bpm);
		} else if (gv->value.data[1] != t->next_bpm) {
			fprintf(stderr, "chaos: notification %u where %u was due (last kill: %s)\n",
				gv->value.data[1], t->next_bpm, victim_now);
			t->notes_gaps++;
		}
		t->next_bpm = (uint8_t)(gv->value.data[1] + 1);
		t->notes_rx++;
	}
}

/* On a failure: the last lines of both launchers' logs. */
static void dump_logs(void)
{
	static const char *const graphs[] = { "peripheral", "central" };
	for (size_t i = 0; i < 2; i++) {
		char path[700];
		snprintf(path, sizeof path, "%s/launch-%s.err", dir, graphs[i]);
		char *text = th_slurp(path, NULL);
		if (!text)
			continue;
		size_t len = strlen(text), lines = 0;
		const char *from = text + len;
		while (from > text && lines < 40)
			if (*--from == '\n')
				lines++;
		fprintf(stderr, "---- %s (last lines)\n%s\n", path, from);
		const char *keep = getenv("CHAOS_KEEP_LOGS"); /* a directory */
		if (keep && *keep) {
			char out[700];
			snprintf(out, sizeof out, "%s/launch-%s.err", keep, graphs[i]);
			FILE *f = fopen(out, "w");
			if (f) {
				fputs(text, f);
				fclose(f);
			}
		}
		free(text);
	}
}

static uint64_t l2cap_request(struct mu_peer *p, Hive__L2capRequest *lr)
{
	Hive__Request r = HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_L2CAP;
	r.l2cap = lr;
	return mu_request(p, "l2cap", &r);
}

static void coc_listen(void)
{
	Hive__L2capCocParams rx = HIVE__L2CAP_COC_PARAMS__INIT;
	rx.mtu = 256;
	rx.mps = 128;
	Hive__L2capListen li = HIVE__L2CAP_LISTEN__INIT;
	li.spsm = COC_SPSM;
	li.rx = &rx;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_LISTEN;
	lr.listen = &li;
	const Hive__Result *res = mu_wait_result(P, l2cap_request(P, &lr), TH_DEADLINE_MS);
	cr_assert(res && res->status == 0, "listen: %s", res ? res->error : "no answer");
}

static void coc_connect(struct traffic *t)
{
	Hive__L2capCocParams rx = HIVE__L2CAP_COC_PARAMS__INIT;
	rx.mtu = 256;
	rx.mps = 128;
	Hive__L2capConnect co = HIVE__L2CAP_CONNECT__INIT;
	co.handle = t->hc;
	co.spsm = COC_SPSM;
	co.rx = &rx;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_CONNECT;
	lr.connect = &co;
	t->coc.connect_id = l2cap_request(C, &lr);
	t->coc.connect_sent = hive_now_ns();
}

static void coc_send(struct traffic *t)
{
	struct coc *c = &t->coc;
	uint8_t buf[COC_SDU];
	for (uint32_t i = 0; i < COC_SDU; i++)
		buf[i] = e2e_pattern(c->tx_next + i);
	Hive__L2capSend sd = HIVE__L2CAP_SEND__INIT;
	sd.handle = t->hc;
	sd.cid = c->cid;
	sd.sdu.data = buf;
	sd.sdu.len = COC_SDU;
	sd.resume = c->resume;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_SEND;
	lr.send = &sd;
	c->resume = false;
	c->send_len = COC_SDU;
	c->send_id = l2cap_request(C, &lr);
	c->send_sent = hive_now_ns();
}

/* A channel ended (either side told first): what l2cap accepted and the
 * peripheral did not get is lost with it. */
static void coc_channel_gone(struct coc *c)
{
	if (c->tx_acked > c->rx)
		c->lost += c->tx_acked - c->rx;
	c->open = false;
	c->cid = 0;
	c->send_id = 0;
	c->blocked = false;
	c->tx_next = c->tx_acked = c->rx = 0;
}

/* After a broker kill SDUs may be lost on the way (never reordered): an
 * SDU that is not the next one must be a later one of the stream; the bytes
 * skipped are counted. */
static bool coc_sdu_at(const ProtobufCBinaryData *d, uint64_t at)
{
	for (size_t k = 0; k < d->len; k++)
		if (d->data[k] != e2e_pattern(at + k))
			return false;
	return true;
}

/* Returns false when the SDU is to be skipped (an earlier one again, or
 * bytes of no place in the stream: counted). */
static bool coc_resync(struct coc *c, const ProtobufCBinaryData *d)
{
	if (d->len != COC_SDU || c->rx % COC_SDU || coc_sdu_at(d, c->rx))
		return true;
	for (uint64_t at = c->rx + COC_SDU; at < c->rx + 4096u * COC_SDU; at += COC_SDU)
		if (coc_sdu_at(d, at)) {
			c->gap_bytes += at - c->rx;
			c->rx = at;
			return true;
		}
	for (uint64_t at = c->rx; at >= COC_SDU && at + 4096u * COC_SDU > c->rx;) {
		at -= COC_SDU;
		if (coc_sdu_at(d, at)) {
			c->dup_sdus++;
			return false;
		}
	}
	c->foreign_sdus++;
	return false;
}

/* The l2cap events of both apps. */
static void coc_events(struct traffic *t)
{
	struct coc *c = &t->coc;
	for (size_t i = 0; i < P->n; i++) {
		const Hive__Envelope *ev = P->kept[i];
		if (P->taken[i] || ev->body_case != HIVE__ENVELOPE__BODY_L2CAP_EVENT)
			continue;
		P->taken[i] = true;
		const Hive__L2capEvent *le = ev->l2cap_event;
		if (le->kind_case == HIVE__L2CAP_EVENT__KIND_OPENED) {
			c->rx = 0;
			c->p_closed = false;
		} else if (le->kind_case == HIVE__L2CAP_EVENT__KIND_SDU) {
			const ProtobufCBinaryData *d = &le->sdu->sdu;
			if (t->broker_phase && !coc_resync(c, d))
				continue;
			for (size_t k = 0; k < d->len && !c->rx_bad; k++)
				if (d->data[k] != e2e_pattern(c->rx + k)) {
					fprintf(stderr, "chaos: CoC byte %llu differs (last kill: %s)\n",
						(unsigned long long)(c->rx + k), victim_now);
					c->rx_bad = true;
				}
			c->rx += d->len;
			c->rx_total += d->len;
		} else if (le->kind_case == HIVE__L2CAP_EVENT__KIND_CLOSED) {
			c->p_closed = true;
		}
	}
	for (size_t i = 0; i < C->n; i++) {
		const Hive__Envelope *ev = C->kept[i];
		if (C->taken[i] || ev->body_case != HIVE__ENVELOPE__BODY_L2CAP_EVENT)
			continue;
		C->taken[i] = true;
		const Hive__L2capEvent *le = ev->l2cap_event;
		if (le->kind_case == HIVE__L2CAP_EVENT__KIND_WRITABLE) {
			c->blocked = false;
			c->resume = true;
		} else if (le->kind_case == HIVE__L2CAP_EVENT__KIND_CLOSED && c->open &&
			   le->closed->cid == c->cid) {
			c->c_closed = true;
			c->closes++;
			c->unsent += le->closed->unsent;
			c->last_close_status = le->closed->status;
			fprintf(stderr, "chaos: CoC channel 0x%04x closed (status %d, %u unsent, "
					"last kill: %s)\n",
				c->cid, le->closed->status, le->closed->unsent, victim_now);
		}
	}
	/* Both sides closed: count the loss, open again later. */
	if (c->open && c->c_closed && c->p_closed) {
		coc_channel_gone(c);
		c->next_try = hive_now_ns() + COC_RETRY_MS * 1000000ull;
	}
}

/* One step of the CoC stream. */
static void coc_step(struct traffic *t)
{
	struct coc *c = &t->coc;
	uint64_t now = hive_now_ns();
	const Hive__Envelope *e;
	coc_events(t);
	if (c->connect_id && (e = mu_find_result(C, c->connect_id))) {
		const Hive__L2capResult *lr = e->result->l2cap;
		c->connect_id = 0;
		if (e->result->status == 0 && lr &&
		    lr->value_case == HIVE__L2CAP_RESULT__VALUE_CONNECTED &&
		    lr->connected->n_channels == 1) {
			c->open = true;
			c->c_closed = false;
			c->cid = lr->connected->channels[0]->cid;
			c->channels++;
		} else {
			c->refused++;
			c->next_try = now + COC_RETRY_MS * 1000000ull;
		}
	}
	if (t->broker_phase && c->connect_id && now - c->connect_sent >= LOST_AFTER_MS * 1000000ull) {
		c->connect_id = 0;
		c->refused++;
	}
	cr_assert(!c->connect_id || now - c->connect_sent < TXN_DEADLINE_MS * 1000000ull,
		  "a CoC connect hangs (last kill: %s)", victim_now);
	if (!c->open && !c->connect_id && !c->draining && now >= c->next_try)
		coc_connect(t);
	if (c->send_id && (e = mu_find_result(C, c->send_id))) {
		uint64_t ms = (now - c->send_sent) / 1000000u;
		if (ms > c->max_send_ms)
			c->max_send_ms = ms;
		c->send_id = 0;
		if (e->result->status == 0) {
			c->tx_next += c->send_len;
			c->tx_acked += c->send_len;
			c->acked_total += c->send_len;
		} else if (e->result->status == -EAGAIN) {
			c->eagain++;
			c->blocked = true;
		} else {
			/* The channel is going (its closed events follow). */
			c->refused++;
			c->blocked = true;
		}
	}
	if (t->broker_phase && c->send_id && now - c->send_sent >= LOST_AFTER_MS * 1000000ull) {
		/* Its bytes went or not: the receiver tells (resync). */
		c->send_id = 0;
		c->sends_lost++;
		c->tx_next += c->send_len;
		c->tx_acked += c->send_len;
	}
	cr_assert(!c->send_id || now - c->send_sent < TXN_DEADLINE_MS * 1000000ull,
		  "a CoC send hangs (last kill: %s)", victim_now);
	if (c->open && !c->c_closed && !c->send_id && !c->blocked && !c->draining &&
	    now - c->send_sent >= COC_EVERY_MS * 1000000ull)
		coc_send(t);
}

/* One step of traffic: collects what ended, sends what is due, fails on a
 * transaction older than TXN_DEADLINE_MS. */
static void traffic_step(struct traffic *t)
{
	uint64_t now = hive_now_ns();
	const Hive__Envelope *e;
	if (t->read_id && (e = mu_find_result(C, t->read_id))) {
		uint64_t ms = (now - t->read_sent) / 1000000u;
		if (ms > t->max_read_ms)
			t->max_read_ms = ms;
		if (e->result->status == 0) {
			cr_assert_eq(e->result->gatt->value_case, HIVE__GATT_RESULT__VALUE_READ);
			const ProtobufCBinaryData *v = &e->result->gatt->read->value;
			cr_assert(v->len == 10 && !memcmp(v->data, "hive-heart", 10),
				  "read a wrong value");
			t->reads_ok++;
			t->last_read_ok = now;
			t->last_ok_sent = t->read_sent;
		} else {
			t->reads_err++;
		}
		t->read_id = 0;
	}
	if (t->notify_id && (e = mu_find_result(P, t->notify_id))) {
		uint64_t ms = (now - t->notify_sent) / 1000000u;
		if (ms > t->max_notify_ms)
			t->max_notify_ms = ms;
		if (e->result->status == 0)
			t->notifies_ok++;
		else
			t->notifies_err++;
		t->notify_id = 0;
	}
	if (t->broker_phase && t->read_id && now - t->read_sent >= LOST_AFTER_MS * 1000000ull) {
		t->read_id = 0;
		t->reads_lost++;
	}
	if (t->broker_phase && t->notify_id && now - t->notify_sent >= LOST_AFTER_MS * 1000000ull) {
		t->notify_id = 0;
		t->notifies_lost++;
	}
	if ((t->read_id && now - t->read_sent >= TXN_DEADLINE_MS * 1000000ull) ||
	    (t->notify_id && now - t->notify_sent >= TXN_DEADLINE_MS * 1000000ull))
		dump_logs();
	cr_assert(!t->read_id || now - t->read_sent < TXN_DEADLINE_MS * 1000000ull,
		  "a read hangs (request %llu, last kill: %s)", (unsigned long long)t->read_id,
		  victim_now);
	cr_assert(!t->notify_id || now - t->notify_sent < TXN_DEADLINE_MS * 1000000ull,
		  "a notify hangs (request %llu, last kill: %s)", (unsigned long long)t->notify_id,
		  victim_now);
	collect_notifications(t);
	coc_step(t);
	cr_assert(!t->coc.rx_bad, "CoC bytes arrived changed or out of order (last kill: %s)",
		  victim_now);
	if (!t->read_id)
		send_read(t);
	/* Steady, not flat out: a notification every NOTIFY_EVERY_MS, within
	 * what the link carries (the hosts' queues are not the subject). */
	if (!t->notify_id && now - t->notify_sent >= NOTIFY_EVERY_MS * 1000000ull)
		send_notify(t);
	mu_pump();
	mu_forget_taken(C);
	mu_forget_taken(P);
}

/* Ends the traffic: waits for what is in flight, sends nothing new. */
static void drain(struct traffic *t)
{
	t->coc.draining = true;
	while (t->read_id || t->notify_id || t->coc.send_id || t->coc.connect_id) {
		coc_step(t);
		uint64_t now = hive_now_ns();
		const Hive__Envelope *e;
		if (t->read_id && (e = mu_find_result(C, t->read_id)))
			t->read_id = 0, (e->result->status ? t->reads_err++ : t->reads_ok++);
		if (t->notify_id && (e = mu_find_result(P, t->notify_id)))
			t->notify_id = 0, (e->result->status ? t->notifies_err++ : t->notifies_ok++);
		if (t->broker_phase && t->read_id && now - t->read_sent >= LOST_AFTER_MS * 1000000ull)
			t->read_id = 0, t->reads_lost++;
		if (t->broker_phase && t->notify_id &&
		    now - t->notify_sent >= LOST_AFTER_MS * 1000000ull)
			t->notify_id = 0, t->notifies_lost++;
		cr_assert(!t->read_id || now - t->read_sent < TXN_DEADLINE_MS * 1000000ull,
			  "a read hangs (last kill: %s)", victim_now);
		cr_assert(!t->notify_id || now - t->notify_sent < TXN_DEADLINE_MS * 1000000ull,
			  "a notify hangs (last kill: %s)", victim_now);
		mu_pump();
		collect_notifications(t);
	}
}

/* The transactions in flight at a kill, and what became of each. */
struct inflight {
	uint64_t read_id, notify_id, send_id;
	unsigned reads_ok, reads_err, notifies_ok, notifies_err, sends_acked;
	unsigned reads_lost, notifies_lost, sends_lost;
	char text[160];
};

static void inflight_before(const struct traffic *t, struct inflight *f)
{
	*f = (struct inflight){ .read_id = t->read_id,
				.notify_id = t->notify_id,
				.send_id = t->coc.send_id,
				.reads_ok = t->reads_ok,
				.reads_err = t->reads_err,
				.notifies_ok = t->notifies_ok,
				.notifies_err = t->notifies_err,
				.reads_lost = t->reads_lost,
				.notifies_lost = t->notifies_lost,
				.sends_lost = t->coc.sends_lost };
	snprintf(f->text, sizeof f->text, "none");
}

/* Once the transactions in flight at the kill ended: how. */
static void inflight_after(const struct traffic *t, struct inflight *f)
{
	if ((f->read_id && t->read_id == f->read_id) ||
	    (f->notify_id && t->notify_id == f->notify_id) ||
	    (f->send_id && t->coc.send_id == f->send_id) || strcmp(f->text, "none") != 0)
		return;
	size_t n = 0;
	f->text[0] = '\0';
	if (f->read_id)
		n += (size_t)snprintf(f->text + n, sizeof f->text - n, "read %s",
				      t->reads_ok > f->reads_ok	    ? "ok" :
				      t->reads_lost > f->reads_lost ? "lost" :
								      "error");
	if (f->notify_id)
		n += (size_t)snprintf(f->text + n, sizeof f->text - n, "%snotify %s", n ? ", " : "",
				      t->notifies_ok > f->notifies_ok	    ? "ok" :
				      t->notifies_lost > f->notifies_lost ? "lost" :
									    "error");
	if (f->send_id)
		n += (size_t)snprintf(f->text + n, sizeof f->text - n, "%sCoC send %s",
				      n ? ", " : "",
				      t->coc.sends_lost > f->sends_lost ? "lost" : "ended");
	if (!n)
		snprintf(f->text, sizeof f->text, "nothing");
}

/* The pid of p's broker, from its Status, or 0. */
static uint32_t broker_pid(struct mu_peer *p, int timeout_ms)
{
	Hive__Status *st = th_status(p->a, timeout_ms);
	uint32_t pid = st ? st->broker_pid : 0;
	hive__status__free_unpacked(st, NULL);
	return pid;
}

/* Whether a broker other than old_pid answers p with every actor of the
 * graph up and ready. */
static bool graph_back(struct mu_peer *p, uint32_t old_pid)
{
	static const char *const names[] = { "hci", "host", "l2cap", "gatt", "smp" };
	Hive__Status *st = th_status(p->a, 200);
	bool back = st && st->broker_pid && st->broker_pid != old_pid;
	for (size_t i = 0; back && i < sizeof names / sizeof names[0]; i++) {
		const Hive__ActorStatus *s = th_status_find(st, names[i]);
		back = s && s->up && s->ready;
	}
	if (st)
		hive__status__free_unpacked(st, NULL);
	return back;
}

Test(chaos, kill_each_actor_of_both_graphs_during_traffic, .fini = fini, .timeout = 240)
{
	char s0[600], s1[600], prun[600], crun[600], pks[600], cks[600], vout[600];
	dir = th_run_dir();
	cr_assert_not_null(dir);
	snprintf(s0, sizeof s0, "%s/c0", dir);
	snprintf(s1, sizeof s1, "%s/c1", dir);
	snprintf(prun, sizeof prun, "%s/peripheral", dir);
	snprintf(crun, sizeof crun, "%s/central", dir);
	snprintf(pks, sizeof pks, "%s/peripheral-bonds.sqlite3", dir);
	snprintf(cks, sizeof cks, "%s/central-bonds.sqlite3", dir);
	snprintf(vout, sizeof vout, "%s/vctrl.out", dir);
	cr_assert_eq(mkdir(prun, 0700), 0);
	cr_assert_eq(mkdir(crun, 0700), 0);
	const char *vargv[] = { "hive-vctrl", "--unix", s0, "--unix", s1, NULL };
	cr_assert_gt(th_spawn(vargv, vout, NULL), 0);
	cr_assert(th_file_contains(vout, "ready", TH_DEADLINE_MS), "hive-vctrl not ready");
	launch("peripheral", s0, prun, pks);
	launch("central", s1, crun, cks);
	P = mu_peer_new(prun, "chaos");
	C = mu_peer_new(crun, "chaos");

	/* Advertise, connect. */
	Hive__Advertise adv = HIVE__ADVERTISE__INIT;
	adv.connectable = true;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_ADVERTISE;
	r.advertise = &adv;
	const Hive__Result *res = ask(P, "host", &r);
	cr_assert_eq(res->status, 0, "advertise: %s", res->error);
	cr_assert_not_null(res->advertise);
	Hive__Address peer = *res->advertise->own;
	Hive__Connect con = HIVE__CONNECT__INIT;
	con.peer = &peer;
	r = (Hive__Request)HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_CONNECT;
	r.connect = &con;
	res = ask(C, "host", &r);
	cr_assert_eq(res->status, 0, "connect: %s", res->error);
	struct traffic t = { .hc = res->connection->handle, .next_bpm = 60 };
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	Hive__GattRequest gs = HIVE__GATT_REQUEST__INIT;
	gs.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	gs.subscribe_events = &se;
	r = (Hive__Request)HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_GATT;
	r.gatt = &gs;
	cr_assert_eq(ask(C, "gatt", &r)->status, 0, "the central's gatt took no subscription");
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	for (;;) {
		Hive__ConnectionsQuery q = HIVE__CONNECTIONS_QUERY__INIT;
		r = (Hive__Request)HIVE__REQUEST__INIT;
		r.op_case = HIVE__REQUEST__OP_CONNECTIONS;
		r.connections = &q;
		res = ask(P, "host", &r);
		if (res->connections && res->connections->n_connections == 1) {
			t.hp = res->connections->connections[0]->handle;
			break;
		}
		cr_assert_lt(hive_now_ns(), deadline, "the peripheral's host has no link");
	}

	/* The heart rate measurement's value handle, from the local database. */
	Hive__GattDbQuery dq = HIVE__GATT_DB_QUERY__INIT;
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.op_case = HIVE__GATT_REQUEST__OP_DB;
	g.db = &dq;
	r = (Hive__Request)HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_GATT;
	r.gatt = &g;
	res = ask(P, "gatt", &r);
	cr_assert_eq(res->status, 0);
	for (size_t i = 0; i < res->gatt->db->n_attributes; i++) {
		const Hive__GattAttribute *a = res->gatt->db->attributes[i];
		if (a->type.len == 2 && a->type.data[0] == 0x37 && a->type.data[1] == 0x2a)
			t.notify_handle = a->handle;
	}
	cr_assert_neq(t.notify_handle, 0, "no 2a37 value in the peripheral's database");

	/* Traffic runs before the first kill: every kind completes. */
	coc_listen();
	while (t.reads_ok < 5 || t.notifies_ok < 5 || t.coc.acked_total < 10 * COC_SDU)
		traffic_step(&t);

	static const char *const victims[] = { "gatt", "l2cap", "host", "smp",
					       "gatt", "l2cap", "host", "smp" };
	enum { NV = sizeof victims / sizeof victims[0] };
	uint64_t restart_ms[NV + 2], serve_ms[NV + 2];
	struct inflight fl[NV + 2];
	for (size_t v = 0; v < NV; v++) {
		struct mu_peer *gr = v < NV / 2 ? P : C;
		uint32_t pid;
		bool ready;
		cr_assert(actor_state(gr, victims[v], &pid, &ready) && ready && pid > 0);
		snprintf(victim_now, sizeof victim_now, "%s %s", gr == P ? "peripheral" : "central",
			 victims[v]);
		uint64_t t0 = hive_now_ns();
		inflight_before(&t, &fl[v]);
		cr_assert_eq(kill((pid_t)pid, SIGKILL), 0);
		uint64_t until = t0 + (uint64_t)RESTART_DEADLINE_MS * 1000000ull;
		restart_ms[v] = serve_ms[v] = 0;
		unsigned ok_before = t.reads_ok;
		uint64_t coc_before = t.coc.rx_total;
		uint64_t next_poll = 0;
		/* Until it is READY again, a read after that came back and CoC
		 * bytes flowed. */
		while (!restart_ms[v] || !serve_ms[v] || t.reads_ok < ok_before + 3 ||
		       t.coc.rx_total < coc_before + 2 * COC_SDU ||
		       hive_now_ns() - t0 < TRAFFIC_AFTER_KILL_MS * 1000000ull) {
			inflight_after(&t, &fl[v]);
			cr_assert_lt(hive_now_ns(), until, "%s: not serving again (restart %llu ms)",
				     victims[v], (unsigned long long)restart_ms[v]);
			traffic_step(&t);
			uint64_t now = hive_now_ns();
			if (!restart_ms[v] && now >= next_poll) {
				uint32_t npid;
				if (actor_state(gr, victims[v], &npid, &ready) && ready && npid != pid)
					restart_ms[v] = (hive_now_ns() - t0) / 1000000u;
				next_poll = hive_now_ns() + 2000000u; /* every 2 ms */
			}
			/* Served again: a read sent after the kill came back. */
			if (!serve_ms[v] && t.last_ok_sent > t0)
				serve_ms[v] = (t.last_read_ok - t0) / 1000000u;
		}
		cr_assert(link_in_table(P, t.hp), "the peripheral lost the link after %s", victims[v]);
		cr_assert(link_in_table(C, t.hc), "the central lost the link after %s", victims[v]);
	}
	/* Drain what is in flight. */
	drain(&t);
	/* Every notification sent arrives, once, in order. */
	deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (t.notes_rx < t.notifies_ok && hive_now_ns() < deadline) {
		mu_pump();
		collect_notifications(&t);
	}
	fprintf(stderr, "chaos: the central heard %u notifications of %u, %u out of sequence\n",
		t.notes_rx, t.notifies_ok, t.notes_gaps);
	fprintf(stderr, "chaos: %u reads ok, %u read errors (slowest %llu ms); %u notifies ok, "
			"%u notify errors (slowest %llu ms)\n",
		t.reads_ok, t.reads_err, (unsigned long long)t.max_read_ms, t.notifies_ok,
		t.notifies_err, (unsigned long long)t.max_notify_ms);
	/* Every CoC byte l2cap accepted on the open channel arrives. */
	struct coc *cc = &t.coc;
	deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (cc->open && !cc->c_closed && cc->rx < cc->tx_acked && hive_now_ns() < deadline) {
		mu_pump();
		coc_events(&t);
		mu_forget_taken(C);
		mu_forget_taken(P);
	}
	fprintf(stderr, "chaos: CoC %llu bytes accepted, %llu arrived intact and in order, on %u "
			"channels; %u closed (last status %d, %u SDUs unsent) losing %llu bytes; "
			"%u -EAGAIN, %u refused; slowest send %llu ms\n",
		(unsigned long long)cc->acked_total, (unsigned long long)cc->rx_total, cc->channels,
		cc->closes, cc->last_close_status, cc->unsent, (unsigned long long)cc->lost,
		cc->eagain, cc->refused, (unsigned long long)cc->max_send_ms);
	if (t.notes_rx != t.notifies_ok || t.notes_gaps || cc->rx_bad ||
	    (cc->open && cc->rx != cc->tx_acked))
		dump_logs();
	cr_assert_eq(t.notes_rx, t.notifies_ok, "notifications lost");
	cr_assert_eq(t.notes_gaps, 0, "notifications out of sequence");
	cr_assert_not(cc->rx_bad, "CoC bytes arrived changed or out of order");
	cr_assert(!cc->open || cc->c_closed || cc->rx == cc->tx_acked,
		  "CoC: %llu bytes accepted on the open channel, %llu arrived: lost silently",
		  (unsigned long long)cc->tx_acked, (unsigned long long)cc->rx);
	/* Last, each graph's broker: the launcher starts a new one, the actors
	 * and the apps register again by themselves, the traffic goes on. The
	 * broker holds messages in memory: what it held when killed is lost
	 * (counted and printed here; nothing tells the sender), so only the
	 * recovery is asserted: every actor READY again, the link up, CoC
	 * bytes flowing, intact and in order. Reads are counted: one lost ATT
	 * request stalls the bearer until ATT's 30 s timeout. */
	t.broker_phase = true;
	t.coc.draining = false;
	unsigned reads_before = t.reads_ok, notes_before = t.notes_rx;
	uint64_t coc_start = t.coc.rx_total;
	for (size_t b = 0; b < 2; b++) {
		struct mu_peer *gr = b == 0 ? P : C;
		size_t v = NV + b;
		uint32_t bpid = broker_pid(gr, TH_DEADLINE_MS);
		cr_assert_gt(bpid, 0, "no broker pid in the Status");
		/* Traffic in flight when it dies. */
		for (uint64_t w = hive_now_ns(); hive_now_ns() - w < 300000000ull;)
			traffic_step(&t);
		snprintf(victim_now, sizeof victim_now, "%s broker", b == 0 ? "peripheral" : "central");
		uint64_t t0 = hive_now_ns();
		inflight_before(&t, &fl[v]);
		cr_assert_eq(kill((pid_t)bpid, SIGKILL), 0);
		uint64_t until = t0 + (uint64_t)RESTART_DEADLINE_MS * 1000000ull;
		restart_ms[v] = serve_ms[v] = 0;
		unsigned ok_before = t.reads_ok;
		uint64_t coc_before = t.coc.rx_total;
		uint64_t next_poll = 0;
		/* Reads may stall behind an ATT request the broker lost (ATT
		 * allows one at a time): they get SERVE_WAIT_MS, not forever. */
		while (!restart_ms[v] || t.coc.rx_total < coc_before + 2 * COC_SDU ||
		       hive_now_ns() - t0 < TRAFFIC_AFTER_KILL_MS * 1000000ull ||
		       ((!serve_ms[v] || t.reads_ok < ok_before + 3) &&
			hive_now_ns() - t0 < SERVE_WAIT_MS * 1000000ull)) {
			inflight_after(&t, &fl[v]);
			cr_assert_lt(hive_now_ns(), until, "%s: not serving again (restart %llu ms, "
				     "served %llu ms, %u reads, CoC %llu bytes, open %d, closed %d/%d, "
				     "blocked %d, %u reads lost, %u sends lost)",
				     victim_now, (unsigned long long)restart_ms[v],
				     (unsigned long long)serve_ms[v], t.reads_ok - ok_before,
				     (unsigned long long)(t.coc.rx_total - coc_before), t.coc.open,
				     t.coc.c_closed, t.coc.p_closed, t.coc.blocked, t.reads_lost,
				     t.coc.sends_lost);
			traffic_step(&t);
			if (!restart_ms[v] && hive_now_ns() >= next_poll) {
				if (graph_back(gr, bpid))
					restart_ms[v] = (hive_now_ns() - t0) / 1000000u;
				next_poll = hive_now_ns() + 5000000u;
			}
			if (!serve_ms[v] && t.last_ok_sent > t0)
				serve_ms[v] = (t.last_read_ok - t0) / 1000000u;
		}
		cr_assert(link_in_table(P, t.hp), "the peripheral lost the link after %s", victim_now);
		cr_assert(link_in_table(C, t.hc), "the central lost the link after %s", victim_now);
	}
	/* Drain what is in flight again. */
	drain(&t);
	cr_assert_not(cc->rx_bad, "CoC bytes arrived changed or out of order after a broker kill");
	cr_assert_gt(t.coc.rx_total, coc_start);
	fprintf(stderr, "chaos: after the broker kills: %u reads ok, %u notifications heard\n",
		t.reads_ok - reads_before, t.notes_rx - notes_before);
	fprintf(stderr, "chaos: broker kills lost %u reads, %u notify requests, %u notifications, "
			"%u CoC sends and %llu CoC bytes, without an error to anyone; %u CoC SDUs "
			"came twice, %u matched no place in the stream\n",
		t.reads_lost, t.notifies_lost, t.notes_lost, cc->sends_lost,
		(unsigned long long)cc->gap_bytes, cc->dup_sdus, cc->foreign_sdus);
	for (size_t v = 0; v < NV + 2; v++) {
		const char *who = v < NV / 2 || v == NV ? "peripheral" : "central";
		fprintf(stderr, "chaos: %-10s %-6s kill -> READY %4llu ms, kill -> a later read "
				"answered %4llu ms; in flight: %s\n",
			who, v < NV ? victims[v] : "broker", (unsigned long long)restart_ms[v],
			(unsigned long long)serve_ms[v], fl[v].text);
	}
}

/* hive-gatt killed while a client read waits for the peer's response: its
 * successor answers the asker with an error (-EIO) instead of leaving it
 * waiting forever, then serves reads again. The test plays l2cap and the
 * app (which also announces the link) around one hive-gatt. */
Test(chaos, gatt_killed_during_a_read_answers_it_after_restart, .fini = fini, .timeout = 60)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	char blog[600];
	snprintf(blog, sizeof blog, "%s/broker.log", dir);
	cr_assert_gt(th_start_broker_log(dir, NULL, blog), 0);
	struct mu_peer *l2cap = mu_peer_new(dir, "l2cap");
	struct mu_peer *app = mu_peer_new(dir, "app");
	const char *sets[] = { "l2cap=l2cap", NULL };
	pid_t gatt = mu_spawn(dir, "hive-gatt", "gatt", sets);
	cr_assert(mu_wait_ready(app, "gatt", TH_DEADLINE_MS));
	/* From app, the sender of the requests: it arrives first. */
	mu_send_link(app, "gatt", 0x40, true, true);

	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	rd.handle = 0x03;
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.conn = 0x40;
	g.op_case = HIVE__GATT_REQUEST__OP_READ;
	g.read = &rd;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_GATT;
	r.gatt = &g;
	uint64_t id = mu_request(app, "gatt", &r);
	const Hive__Envelope *e = mu_take(l2cap, HIVE__ENVELOPE__BODY_PDU, "Read Request");
	mu_expect_bytes("Read Request", e->pdu->payload.data, e->pdu->payload.len,
			MU_BYTES(0x0a, 0x03, 0x00));

	th_kill(gatt, SIGKILL);
	gatt = mu_spawn(dir, "hive-gatt", "gatt", sets);
	const Hive__Result *res = mu_wait_result(app, id, TH_DEADLINE_MS);
	cr_assert_not_null(res, "the read was never answered (log %s/gatt.log)", dir);
	cr_assert_eq(res->status, -EIO, "status %d: %s", res->status, res->error);
	cr_assert(mu_wait_ready(app, "gatt", TH_DEADLINE_MS));

	/* The link came back from the snapshot: once the peer's late answer
	 * to the old read came (and was dropped: see test_gatt_stale.c), a
	 * new read goes out and its response is the read's value. */
	mu_send_pdu(l2cap, "gatt", 0x40, 4, MU_BYTES(0x0b, 'o', 'l', 'd'));
	uint64_t id2 = mu_request(app, "gatt", &r);
	e = mu_take(l2cap, HIVE__ENVELOPE__BODY_PDU, "Read Request");
	mu_expect_bytes("Read Request", e->pdu->payload.data, e->pdu->payload.len,
			MU_BYTES(0x0a, 0x03, 0x00));
	mu_send_pdu(l2cap, "gatt", 0x40, 4, MU_BYTES(0x0b, 'o', 'k'));
	res = mu_wait_result(app, id2, TH_DEADLINE_MS);
	cr_assert_not_null(res);
	cr_assert_eq(res->status, 0, "status %d: %s", res->status, res->error);
	mu_expect_bytes("value", res->gatt->read->value.data, res->gatt->read->value.len,
			MU_BYTES('o', 'k'));
}
