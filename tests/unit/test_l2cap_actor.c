/* hive-l2cap as real processes behind a real broker. The test plays host,
 * gatt, smp and apps. Single-actor tests script frames and signaling; the
 * two-actor tests run l2cap-a and l2cap-b whose fake hosts (host-a, host-b)
 * forward L2capFrames between them like a radio. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2cap_actor_util.h"

#define H 0x0040
#define SPSM 0x0080
#define BULK (1024 * 1024)

static char *dir;

static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	cr_assert_gt(th_start_broker(dir, NULL), 0);
}

static void teardown(void)
{
	th_cleanup();
	free(dir);
}

TestSuite(l2cap_actor, .init = setup, .fini = teardown, .timeout = 120);

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* The next frame l2cap sent to host must be exactly these bytes. */
static void expect_frame(struct lt_peer *host, uint16_t handle, const uint8_t *want, size_t len)
{
	const Hive__Envelope *e = lt_take(host, HIVE__ENVELOPE__BODY_L2CAP, "frame");
	cr_assert_eq(e->l2cap->handle, handle);
	lt_expect_bytes("frame to host", e->l2cap->data.data, e->l2cap->data.len, want, len);
}

/* Until l2cap's table shows n links (the LinkEvent and the app's query come
 * from different actors: their order is not fixed). */
static void wait_links(struct lt_peer *app, const char *l2cap, size_t n)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	for (uint64_t id = 1000000;; id++) {
		if (lt_table(app, l2cap, id)->n_links == n)
			return;
		cr_assert_lt(hive_now_ns(), deadline, "%s never had %zu link(s)", l2cap, n);
	}
}

struct single {
	struct lt_peer *host, *gatt, *smp, *app;
};

/* One hive-l2cap with default neighbour names and a link up. */
static struct single single_start(bool central)
{
	struct single s = {
		.host = lt_peer_new(dir, "host"),
		.gatt = lt_peer_new(dir, "gatt"),
		.smp = lt_peer_new(dir, "smp"),
		.app = lt_peer_new(dir, "app"),
	};
	lt_spawn_l2cap(dir, "l2cap", NULL);
	lt_send_connected(s.host, "l2cap", H, central);
	wait_links(s.app, "l2cap", 1);
	return s;
}

Test(l2cap_actor, fixed_channels_reach_their_owners_and_come_back)
{
	struct single s = single_start(true);
	/* ATT on CID 4 goes to gatt as a ChannelPdu ... */
	lt_send_frame(s.host, "l2cap", H, BYTES(0x03, 0x00, 0x04, 0x00, 0x0a, 0x01, 0x00));
	const Hive__Envelope *e = lt_take(s.gatt, HIVE__ENVELOPE__BODY_PDU, "ATT PDU");
	cr_assert_str_eq(s.gatt->from[0], "l2cap");
	cr_assert_eq(e->pdu->handle, H);
	cr_assert_eq(e->pdu->cid, 4);
	lt_expect_bytes("ATT payload", e->pdu->payload.data, e->pdu->payload.len,
			BYTES(0x0a, 0x01, 0x00));
	/* ... and gatt's answer goes to host as a basic frame. */
	Hive__ChannelPdu pdu = HIVE__CHANNEL_PDU__INIT;
	pdu.handle = H;
	pdu.cid = 4;
	pdu.payload.data = (uint8_t *)(const uint8_t[]){ 0x0b, 0x41 };
	pdu.payload.len = 2;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &pdu;
	lt_send(s.gatt, "l2cap", &env);
	expect_frame(s.host, H, BYTES(0x02, 0x00, 0x04, 0x00, 0x0b, 0x41));

	/* SMP on CID 6 goes to smp, and back. */
	lt_send_frame(s.host, "l2cap", H, BYTES(0x02, 0x00, 0x06, 0x00, 0x0b, 0x05));
	e = lt_take(s.smp, HIVE__ENVELOPE__BODY_PDU, "SMP PDU");
	cr_assert_eq(e->pdu->cid, 6);
	lt_expect_bytes("SMP payload", e->pdu->payload.data, e->pdu->payload.len,
			BYTES(0x0b, 0x05));
	pdu.cid = 6;
	pdu.payload.data = (uint8_t *)(const uint8_t[]){ 0x05, 0x08 };
	lt_send(s.smp, "l2cap", &env);
	expect_frame(s.host, H, BYTES(0x02, 0x00, 0x06, 0x00, 0x05, 0x08));

	/* gatt may not send on smp's channel. */
	lt_send(s.gatt, "l2cap", &env);
	lt_expect_silence(s.host, 50);

	/* An unknown CID is dropped and counted. */
	lt_send_frame(s.host, "l2cap", H, BYTES(0x01, 0x00, 0x30, 0x00, 0xee));
	lt_expect_silence(s.gatt, 50);
	const Hive__L2capTable *t = lt_table(s.app, "l2cap", 2);
	cr_assert_eq(t->stats->fixed_dropped, 1);
	cr_assert_eq(t->stats->last_dropped_cid, 0x30);

	/* Once registered, that CID goes to its owner. */
	Hive__L2capFixedRegister fr = HIVE__L2CAP_FIXED_REGISTER__INIT;
	fr.cid = 0x30;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_FIXED_REGISTER;
	q.fixed_register = &fr;
	lt_request(s.app, "l2cap", 3, &q);
	cr_assert_eq(lt_result(s.app, 3)->status, 0);
	lt_send_frame(s.host, "l2cap", H, BYTES(0x01, 0x00, 0x30, 0x00, 0xee));
	e = lt_take(s.app, HIVE__ENVELOPE__BODY_PDU, "PDU on a registered CID");
	cr_assert_eq(e->pdu->cid, 0x30);
}

Test(l2cap_actor, unknown_signaling_code_gets_command_reject)
{
	struct single s = single_start(true);
	lt_send_frame(s.host, "l2cap", H, BYTES(0x04, 0x00, 0x05, 0x00, 0x1f, 0x07, 0x00, 0x00));
	expect_frame(s.host, H, BYTES(0x06, 0x00, 0x05, 0x00, 0x01, 0x07, 0x02, 0x00, 0x00, 0x00));
	/* A Command Reject nobody waits for is not answered. */
	lt_send_frame(s.host, "l2cap", H,
		      BYTES(0x06, 0x00, 0x05, 0x00, 0x01, 0x09, 0x02, 0x00, 0x00, 0x00));
	lt_expect_silence(s.host, 50);
}

Test(l2cap_actor, central_accepts_conn_param_update_and_asks_host)
{
	struct single s = single_start(true);
	/* interval 24..40, latency 0, timeout 500 */
	lt_send_frame(s.host, "l2cap", H,
		      BYTES(0x0c, 0x00, 0x05, 0x00, 0x12, 0x03, 0x08, 0x00, 0x18, 0x00, 0x28, 0x00,
			    0x00, 0x00, 0xf4, 0x01));
	expect_frame(s.host, H, BYTES(0x06, 0x00, 0x05, 0x00, 0x13, 0x03, 0x02, 0x00, 0x00, 0x00));
	const Hive__Envelope *e = lt_take(s.host, HIVE__ENVELOPE__BODY_REQUEST, "update");
	cr_assert_eq(e->request->op_case, HIVE__REQUEST__OP_UPDATE_CONNECTION);
	const Hive__UpdateConnection *u = e->request->update_connection;
	cr_assert_eq(u->handle, H);
	cr_assert_eq(u->interval_min, 24);
	cr_assert_eq(u->interval_max, 40);
	cr_assert_eq(u->latency, 0);
	cr_assert_eq(u->supervision_timeout, 500);
	/* Out of the specification's ranges: rejected, nothing for host. */
	lt_send_frame(s.host, "l2cap", H,
		      BYTES(0x0c, 0x00, 0x05, 0x00, 0x12, 0x04, 0x08, 0x00, 0x02, 0x00, 0x28, 0x00,
			    0x00, 0x00, 0xf4, 0x01));
	expect_frame(s.host, H, BYTES(0x06, 0x00, 0x05, 0x00, 0x13, 0x04, 0x02, 0x00, 0x01, 0x00));
	lt_expect_silence(s.host, 50);
}

Test(l2cap_actor, peripheral_requests_conn_params_through_signaling)
{
	struct single s = single_start(false);
	Hive__L2capConnParamUpdate u = HIVE__L2CAP_CONN_PARAM_UPDATE__INIT;
	u.handle = H;
	u.interval_min = 24;
	u.interval_max = 40;
	u.timeout = 500;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_CONN_PARAM_UPDATE;
	q.conn_param_update = &u;
	lt_request(s.app, "l2cap", 7, &q);
	const Hive__Envelope *e = lt_take(s.host, HIVE__ENVELOPE__BODY_L2CAP, "request");
	const uint8_t *p = e->l2cap->data.data;
	cr_assert_eq(e->l2cap->data.len, 16);
	cr_assert_eq(p[4], 0x12);
	uint8_t ident = p[5];
	lt_expect_bytes("parameters", p + 8, 8,
			BYTES(0x18, 0x00, 0x28, 0x00, 0x00, 0x00, 0xf4, 0x01));
	/* The central accepts. */
	lt_send_frame(s.host, "l2cap", H,
		      (const uint8_t[]){ 0x06, 0x00, 0x05, 0x00, 0x13, ident, 0x02, 0x00, 0x00,
					 0x00 },
		      10);
	const Hive__Result *r = lt_result(s.app, 7);
	cr_assert_eq(r->status, 0);
	cr_assert_eq(r->l2cap->value_case, HIVE__L2CAP_RESULT__VALUE_CONN_PARAM);
	cr_assert_eq(r->l2cap->conn_param->result, 0);
	/* As central the request makes no sense. */
	lt_send_connected(s.host, "l2cap", H, true); /* replaces the link */
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	for (uint64_t id = 10; !lt_table(s.app, "l2cap", id)->links[0]->central; id++)
		cr_assert_lt(hive_now_ns(), deadline);
	lt_request(s.app, "l2cap", 8, &q);
	cr_assert_eq(lt_result(s.app, 8)->status, -EINVAL);
}

/* ---- two actors on a fake radio ------------------------------------------------------- */

struct pair {
	struct lt_peer *host_a, *host_b, *app_a, *app_b;
	pid_t pid_a, pid_b;
	uint32_t cid_a, cid_b; /* the channel's local CID on each side */
};

static const char *const sets_a[] = { "host=host-a", "txq_max=16384", NULL };
static const char *const sets_b[] = { "host=host-b", NULL };

static struct pair pair_start(void)
{
	struct pair s = {
		.host_a = lt_peer_new(dir, "host-a"),
		.host_b = lt_peer_new(dir, "host-b"),
		.app_a = lt_peer_new(dir, "app-a"),
		.app_b = lt_peer_new(dir, "app-b"),
	};
	s.host_a->hook = lt_radio;
	s.host_a->user = s.host_b;
	s.host_b->hook = lt_radio;
	s.host_b->user = s.host_a;
	s.pid_a = lt_spawn_l2cap(dir, "l2cap-a", sets_a);
	s.pid_b = lt_spawn_l2cap(dir, "l2cap-b", sets_b);
	lt_send_connected(s.host_a, "l2cap-a", H, true);
	lt_send_connected(s.host_b, "l2cap-b", H, false);
	wait_links(s.app_a, "l2cap-a", 1);
	wait_links(s.app_b, "l2cap-b", 1);
	return s;
}

/* app-b listens, app-a opens a channel to it. */
static void pair_open(struct pair *s)
{
	Hive__L2capCocParams rxb = HIVE__L2CAP_COC_PARAMS__INIT;
	rxb.mtu = 4096;
	rxb.mps = 1000;
	rxb.credits = 8;
	Hive__L2capListen ls = HIVE__L2CAP_LISTEN__INIT;
	ls.spsm = SPSM;
	ls.rx = &rxb;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_LISTEN;
	q.listen = &ls;
	lt_request(s->app_b, "l2cap-b", 100, &q);
	cr_assert_eq(lt_result(s->app_b, 100)->status, 0);

	Hive__L2capConnect c = HIVE__L2CAP_CONNECT__INIT;
	c.handle = H;
	c.spsm = SPSM;
	q.op_case = HIVE__L2CAP_REQUEST__OP_CONNECT;
	q.connect = &c;
	lt_request(s->app_a, "l2cap-a", 101, &q);
	const Hive__Result *r = lt_result(s->app_a, 101);
	cr_assert_eq(r->status, 0, "connect: %d %s", r->status, r->error);
	cr_assert_eq(r->l2cap->value_case, HIVE__L2CAP_RESULT__VALUE_CONNECTED);
	cr_assert_eq(r->l2cap->connected->n_channels, 1);
	const Hive__L2capChannelInfo *ca = r->l2cap->connected->channels[0];
	cr_assert_eq(ca->peer_mtu, 4096);
	cr_assert_eq(ca->peer_mps, 1000);
	s->cid_a = ca->cid;
	const Hive__L2capEvent *ev = lt_take_event(s->app_b, HIVE__L2CAP_EVENT__KIND_OPENED);
	cr_assert(ev->opened->channel->incoming);
	cr_assert_eq(ev->opened->channel->spsm, SPSM);
	cr_assert_eq(ev->opened->channel->remote_cid, s->cid_a);
	s->cid_b = ev->opened->channel->cid;
}

static void send_sdu(struct lt_peer *app, const char *l2cap, uint64_t id, uint32_t cid,
		     const uint8_t *p, size_t len, bool resume)
{
	Hive__L2capSend sd = HIVE__L2CAP_SEND__INIT;
	sd.handle = H;
	sd.cid = cid;
	sd.sdu.data = (uint8_t *)p;
	sd.sdu.len = len;
	sd.resume = resume;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_SEND;
	q.send = &sd;
	lt_request(app, l2cap, id, &q);
}

/* The bulk sender's and receiver's state, driven by hooks. */
struct bulk {
	uint8_t *src, *dst;
	size_t sent_upto;   /* bytes handed to send (not yet known accepted) */
	size_t acked_upto;  /* bytes whose sends were accepted, in order */
	size_t received;
	size_t next_sdu;    /* index of the next SDU to send */
	size_t acked_sdus;
	size_t nsdus;
	size_t *off, *len;  /* each SDU */
	uint32_t gen;       /* increases at every rewind */
	bool paused;
	bool writable;      /* a writable event came while paused */
	size_t refusals;
	size_t inflight;
	uint32_t cid;
	bool done;
	struct lt_peer *app_a;
};

#define WINDOW 16

static uint64_t bulk_id(const struct bulk *b, size_t sdu)
{
	return ((uint64_t)b->gen << 32) | sdu;
}

static void bulk_fill(struct bulk *b)
{
	while (!b->paused && b->inflight < WINDOW && b->next_sdu < b->nsdus) {
		size_t i = b->next_sdu++;
		bool resume = b->writable;
		b->writable = false;
		send_sdu(b->app_a, "l2cap-a", bulk_id(b, i), b->cid, b->src + b->off[i], b->len[i],
			 resume);
		b->inflight++;
	}
}

static bool bulk_sender(struct lt_peer *p, const char *source, const Hive__Envelope *env)
{
	struct bulk *b = p->user;
	if (env->body_case == HIVE__ENVELOPE__BODY_RESULT) {
		const Hive__Result *r = env->result;
		if ((r->id >> 32) != b->gen)
			return true; /* a send of before the rewind: refused, resent */
		size_t i = (size_t)(r->id & 0xffffffffu);
		b->inflight--;
		if (r->status == 0) {
			cr_assert_eq(i, b->acked_sdus, "sends accepted out of order");
			b->acked_sdus++;
		} else {
			cr_assert_eq(r->status, -EAGAIN, "send refused: %d %s", r->status,
				     r->error);
			b->refusals++;
			/* Everything from i on is refused: rewind there. */
			b->paused = true;
			b->gen++;
			b->next_sdu = i;
			b->inflight = 0;
		}
		bulk_fill(b);
		return true;
	}
	if (env->body_case == HIVE__ENVELOPE__BODY_L2CAP_EVENT &&
	    env->l2cap_event->kind_case == HIVE__L2CAP_EVENT__KIND_WRITABLE) {
		if (b->paused) {
			b->paused = false;
			b->writable = true;
			bulk_fill(b);
		}
		return true;
	}
	return false;
}

static bool bulk_receiver(struct lt_peer *p, const char *source, const Hive__Envelope *env)
{
	struct bulk *b = p->user;
	if (env->body_case != HIVE__ENVELOPE__BODY_L2CAP_EVENT ||
	    env->l2cap_event->kind_case != HIVE__L2CAP_EVENT__KIND_SDU)
		return false;
	const Hive__L2capChannelSdu *s = env->l2cap_event->sdu;
	cr_assert_leq(b->received + s->sdu.len, BULK);
	memcpy(b->dst + b->received, s->sdu.data, s->sdu.len);
	b->received += s->sdu.len;
	b->done = b->received == BULK;
	return true;
}

Test(l2cap_actor, coc_carries_1mb_in_order_with_back_pressure)
{
	struct pair s = pair_start();
	pair_open(&s);
	struct bulk b = { .cid = s.cid_a, .app_a = s.app_a };
	b.src = malloc(BULK);
	b.dst = malloc(BULK);
	b.off = calloc(BULK / 23 + 2, sizeof *b.off);
	b.len = calloc(BULK / 23 + 2, sizeof *b.len);
	cr_assert(b.src && b.dst && b.off && b.len);
	uint32_t x = 12345;
	for (size_t i = 0; i < BULK; i++) {
		x = x * 1103515245u + 12345u;
		b.src[i] = (uint8_t)(x >> 16);
	}
	/* SDUs of 1..4096 bytes (the peer's MTU), sizes varied. */
	for (size_t off = 0; off < BULK; b.nsdus++) {
		x = x * 1103515245u + 12345u;
		size_t n = 1 + (x >> 8) % 4096;
		if (n > BULK - off)
			n = BULK - off;
		b.off[b.nsdus] = off;
		b.len[b.nsdus] = n;
		off += n;
	}
	s.app_a->hook = bulk_sender;
	s.app_a->user = &b;
	s.app_b->hook = bulk_receiver;
	s.app_b->user = &b;
	bulk_fill(&b);
	cr_assert(lt_wait_flag(&b.done, 90000), "received %zu of %d bytes (%zu SDUs accepted)",
		  b.received, BULK, b.acked_sdus);
	cr_assert_eq(memcmp(b.src, b.dst, BULK), 0, "the bytes differ");
	cr_assert_eq(b.acked_sdus, b.nsdus);
	cr_assert_gt(b.refusals, 0, "the queue never filled: back-pressure not exercised");
	s.app_a->hook = NULL;
	s.app_b->hook = NULL;

	/* Closed by app-a: both owners hear it. */
	Hive__L2capDisconnect d = HIVE__L2CAP_DISCONNECT__INIT;
	d.handle = H;
	d.cid = s.cid_a;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_DISCONNECT;
	q.disconnect = &d;
	lt_request(s.app_a, "l2cap-a", 200, &q);
	cr_assert_eq(lt_result(s.app_a, 200)->status, 0);
	const Hive__L2capEvent *ev = lt_take_event(s.app_a, HIVE__L2CAP_EVENT__KIND_CLOSED);
	cr_assert_eq(ev->closed->status, 0);
	cr_assert_eq(ev->closed->unsent, 0);
	ev = lt_take_event(s.app_b, HIVE__L2CAP_EVENT__KIND_CLOSED);
	cr_assert_eq(ev->closed->status, -ECONNRESET);
	cr_assert_eq(lt_table(s.app_a, "l2cap-a", 201)->n_channels, 0);
	cr_assert_eq(lt_table(s.app_b, "l2cap-b", 202)->n_channels, 0);
	free(b.src);
	free(b.dst);
	free(b.off);
	free(b.len);
}

Test(l2cap_actor, link_drop_closes_channels_and_tells_owners)
{
	struct pair s = pair_start();
	pair_open(&s);
	lt_send_disconnected(s.host_a, "l2cap-a", H);
	lt_send_disconnected(s.host_b, "l2cap-b", H);
	const Hive__L2capEvent *ev = lt_take_event(s.app_a, HIVE__L2CAP_EVENT__KIND_CLOSED);
	cr_assert_eq(ev->closed->cid, s.cid_a);
	cr_assert_eq(ev->closed->status, -ENOTCONN);
	ev = lt_take_event(s.app_b, HIVE__L2CAP_EVENT__KIND_CLOSED);
	cr_assert_eq(ev->closed->cid, s.cid_b);
	cr_assert_eq(ev->closed->status, -ENOTCONN);
	/* The closed event went after the link was removed: the table says so. */
	const Hive__L2capTable *t = lt_table(s.app_a, "l2cap-a", 300);
	cr_assert_eq(t->n_links, 0);
	cr_assert_eq(t->n_channels, 0);
	/* Sending on it now: no such channel. */
	send_sdu(s.app_a, "l2cap-a", 301, s.cid_a, (const uint8_t *)"x", 1, false);
	cr_assert_eq(lt_result(s.app_a, 301)->status, -ENOENT);
}

static bool down(struct lt_peer *p, const char *name)
{
	Hive__Status *st = th_status(p->a, TH_DEADLINE_MS);
	const Hive__ActorStatus *a = st ? th_status_find(st, name) : NULL;
	bool d = a && !a->up;
	hive__status__free_unpacked(st, NULL);
	return d;
}

Test(l2cap_actor, killed_l2cap_restarts_with_its_channels)
{
	struct pair s = pair_start();
	pair_open(&s);
	/* A little traffic both ways first. */
	send_sdu(s.app_a, "l2cap-a", 400, s.cid_a, (const uint8_t *)"before", 6, false);
	cr_assert_eq(lt_result(s.app_a, 400)->status, 0);
	const Hive__L2capEvent *ev = lt_take_event(s.app_b, HIVE__L2CAP_EVENT__KIND_SDU);
	lt_expect_bytes("SDU", ev->sdu->sdu.data, ev->sdu->sdu.len, (const uint8_t *)"before", 6);
	/* The table as l2cap-b holds it (its snapshot follows every change). */
	const Hive__L2capTable *t0 = lt_table(s.app_b, "l2cap-b", 401);
	cr_assert_eq(t0->n_channels, 1);
	uint32_t rx_credits = t0->channels[0]->rx_credits, tx_credits = t0->channels[0]->tx_credits;
	cr_assert_not(t0->restored);

	th_kill(s.pid_b, SIGKILL);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (!down(s.app_a, "l2cap-b") && hive_now_ns() < deadline)
		lt_pump();
	s.pid_b = lt_spawn_l2cap(dir, "l2cap-b", sets_b);

	const Hive__L2capTable *t = lt_table(s.app_b, "l2cap-b", 402);
	cr_assert(t->restored);
	cr_assert_eq(t->n_links, 1);
	cr_assert_eq(t->links[0]->handle, H);
	cr_assert_not(t->links[0]->central);
	cr_assert_eq(t->n_listeners, 1);
	cr_assert_eq(t->listeners[0]->spsm, SPSM);
	cr_assert_str_eq(t->listeners[0]->owner, "app-b");
	cr_assert_eq(t->n_channels, 1);
	const Hive__L2capChannelInfo *c = t->channels[0];
	cr_assert_eq(c->cid, s.cid_b);
	cr_assert_eq(c->remote_cid, s.cid_a);
	cr_assert_eq(c->state, HIVE__L2CAP_CHANNEL_INFO__STATE__OPEN);
	cr_assert_str_eq(c->owner, "app-b");
	cr_assert_eq(c->rx_credits, rx_credits);
	cr_assert_eq(c->tx_credits, tx_credits);

	/* The channel works both ways through the new incarnation. */
	for (int i = 0; i < 20; i++) {
		char msg[32];
		int n = snprintf(msg, sizeof msg, "after %d", i);
		send_sdu(s.app_a, "l2cap-a", 410 + (uint64_t)i, s.cid_a, (const uint8_t *)msg,
			 (size_t)n, false);
		cr_assert_eq(lt_result(s.app_a, 410 + (uint64_t)i)->status, 0);
		ev = lt_take_event(s.app_b, HIVE__L2CAP_EVENT__KIND_SDU);
		lt_expect_bytes("SDU after restart", ev->sdu->sdu.data, ev->sdu->sdu.len,
				(const uint8_t *)msg, (size_t)n);
	}
	send_sdu(s.app_b, "l2cap-b", 450, s.cid_b, (const uint8_t *)"back", 4, false);
	cr_assert_eq(lt_result(s.app_b, 450)->status, 0);
	ev = lt_take_event(s.app_a, HIVE__L2CAP_EVENT__KIND_SDU);
	lt_expect_bytes("SDU back", ev->sdu->sdu.data, ev->sdu->sdu.len, (const uint8_t *)"back",
			4);
	cr_assert_eq(lt_table(s.app_a, "l2cap-a", 451)->stats->coc_violations, 0);
	cr_assert_eq(lt_table(s.app_b, "l2cap-b", 452)->stats->coc_violations, 0);
}

Test(l2cap_actor, only_the_owner_may_use_a_channel)
{
	struct pair s = pair_start();
	pair_open(&s);
	send_sdu(s.app_b, "l2cap-a", 500, s.cid_a, (const uint8_t *)"x", 1, false);
	cr_assert_eq(lt_result(s.app_b, 500)->status, -EPERM);
	/* Connecting to an SPSM nobody listens on: the peer's result. */
	Hive__L2capConnect c = HIVE__L2CAP_CONNECT__INIT;
	c.handle = H;
	c.spsm = 0x99;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_CONNECT;
	q.connect = &c;
	lt_request(s.app_a, "l2cap-a", 501, &q);
	const Hive__Result *r = lt_result(s.app_a, 501);
	cr_assert_eq(r->status, 2, "SPSM not supported, got %d", r->status);
	cr_assert_eq(r->domain, HIVE__RESULT__DOMAIN__L2CAP);
	/* Enhanced mode: two channels in one request. */
	c.spsm = SPSM;
	c.count = 2;
	lt_request(s.app_a, "l2cap-a", 502, &q);
	r = lt_result(s.app_a, 502);
	cr_assert_eq(r->status, 0, "%d %s", r->status, r->error);
	cr_assert_eq(r->l2cap->connected->n_channels, 2);
	cr_assert(r->l2cap->connected->channels[0]->ecred);
}
