/* Issue 5 end to end: the demo's two graphs (launcher/graphs/peripheral.json
 * and central.json) on one hive-vctrl radio, driven as an app of each graph
 * through the runtime. The peripheral's app asks its l2cap for a connection
 * parameter update, the central's l2cap accepts it and both hosts announce
 * the new interval; then the central's app opens an LE credit based channel
 * to the SPSM the peripheral's app listens on and sends 1 MB through it in
 * SDUs of the peer's MTU, pipelined and honouring -EAGAIN / writable; the
 * peripheral's app gets every byte in order; the channel is closed. Also:
 * the receiver's back-pressure (rx_hold), refused parameter updates, an
 * oversized SDU, enhanced credit based mode, an SPSM that needs encryption,
 * and l2cap killed in the middle of a transfer. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "harness.h"

/* ---- l2cap requests ------------------------------------------------------------------- */

static bool conn_param_update_ex(struct e2e *e, struct e2e_side *s, uint32_t interval,
				 uint32_t timeout)
{
	Hive__L2capConnParamUpdate u = HIVE__L2CAP_CONN_PARAM_UPDATE__INIT;
	u.handle = s->handle;
	u.interval_min = interval;
	u.interval_max = interval;
	u.latency = 0;
	u.timeout = timeout;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_CONN_PARAM_UPDATE;
	lr.conn_param_update = &u;
	e->p.params = e->c.params = false;
	return e2e_l2cap_call(e, s, &lr, "connection parameter update");
}

static bool conn_param_update(struct e2e *e, uint32_t interval)
{
	if (!conn_param_update_ex(e, &e->p, interval, 400))
		return false;
	const Hive__L2capResult *r = e->result->l2cap;
	if (!r || r->value_case != HIVE__L2CAP_RESULT__VALUE_CONN_PARAM)
		return e2e_fail(e, "connection parameter update: no conn_param answer");
	if (r->conn_param->result != 0)
		return e2e_fail(e, "the central rejected the parameters (%u)",
				r->conn_param->result);
	return e2e_wait(e, &e->c.params, E2E_DEADLINE_MS, "the central's parameters_updated") &&
	       e2e_wait(e, &e->p.params, E2E_DEADLINE_MS, "the peripheral's parameters_updated");
}

/* ---- the tests ------------------------------------------------------------------------ */

static void fini(void)
{
	if (E) {
		e2e_teardown(E);
		free(E);
		E = NULL;
	}
	th_cleanup();
}

static struct e2e *setup_with(const char *const csets[])
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	E->csets = csets;
	cr_assert(e2e_setup(E, NULL, false), "%s", E->err);
	return E;
}

static struct e2e *setup(void)
{
	return setup_with(NULL);
}

Test(l2cap_e2e, conn_param_update_then_1mb_coc, .fini = fini, .timeout = 180)
{
	struct e2e *e = setup();
	/* The default interval is 24..40; ask for 16 (20 ms). */
	uint32_t want = e->c.interval == 16 ? 20 : 16;
	cr_assert(conn_param_update(e, want), "%s", e->err);
	cr_assert_eq(e->c.interval, want, "the central's host: interval %u, asked %u",
		     e->c.interval, want);
	cr_assert_eq(e->p.interval, want, "the peripheral's host: interval %u, asked %u",
		     e->p.interval, want);

	cr_assert(e2e_coc_open(e, 512, 247), "%s", e->err);
	cr_assert_eq(e->c.peer_mtu, 512, "peer MTU %u", e->c.peer_mtu);
	e2e_coc_start(e, E2E_TOTAL);
	cr_assert(e2e_coc_transfer(e, e->c.peer_mtu, 120000, false), "%s", e->err);
	cr_assert_eq(e->p.rx_bytes, E2E_TOTAL);
	cr_assert_not(e->p.rx_bad);
	cr_assert_eq(e->p.rx_sdus, (E2E_TOTAL + 511) / 512, "%llu SDUs arrived",
		     (unsigned long long)e->p.rx_sdus);
	cr_log_info("1 MB through the channel: %llu SDUs, %llu sends refused with -EAGAIN",
		    (unsigned long long)e->p.rx_sdus, (unsigned long long)e->eagain);
	cr_assert(e2e_coc_close(e), "%s", e->err);
	cr_assert_eq(e->c.close_status, 0);
	cr_assert(e2e_disconnect(e), "%s", e->err);
}

/* The GAP request works on either side: on the peripheral the host asks the
 * central through l2cap (Connection Parameter Update Request) and answers
 * when the central accepted; a refusal comes back as the l2cap result. */
Test(l2cap_e2e, peripheral_gap_update_goes_through_l2cap, .fini = fini, .timeout = 120)
{
	struct e2e *e = setup();
	uint32_t want = e->c.interval == 16 ? 20 : 16;
	Hive__UpdateConnection u = HIVE__UPDATE_CONNECTION__INIT;
	u.handle = e->p.handle;
	u.interval_min = u.interval_max = want;
	u.supervision_timeout = 400;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_UPDATE_CONNECTION;
	req.update_connection = &u;
	e->p.params = e->c.params = false;
	cr_assert(e2e_call(e, &e->p, "host", &req, "update (peripheral)"), "%s", e->err);
	cr_assert_eq(e->result->status, 0);
	cr_assert(e2e_wait(e, &e->c.params, E2E_DEADLINE_MS, "central's parameters_updated"),
		  "%s", e->err);
	cr_assert(e2e_wait(e, &e->p.params, E2E_DEADLINE_MS, "peripheral's parameters_updated"),
		  "%s", e->err);
	cr_assert_eq(e->p.interval, want, "interval %u, asked %u", e->p.interval, want);
	/* Invalid values: refused by l2cap, the words come back. */
	u.supervision_timeout = 10;
	u.interval_min = u.interval_max = 48;
	req.id = 0;
	cr_assert_not(e2e_call(e, &e->p, "host", &req, "update (peripheral, invalid)"));
	cr_assert_eq(e->result->status, -EINVAL, "status %d", e->result->status);
	*e->err = 0;
}

/* A send over the peer's MTU is refused; the channel stays usable. */
Test(l2cap_e2e, oversized_sdu_refused, .fini = fini, .timeout = 120)
{
	struct e2e *e = setup();
	cr_assert(e2e_coc_open(e, 256, 64), "%s", e->err);
	uint8_t big[300] = { 0 };
	Hive__L2capSend sd = HIVE__L2CAP_SEND__INIT;
	sd.handle = e->c.handle;
	sd.cid = e->c.cid;
	sd.sdu.data = big;
	sd.sdu.len = sizeof big;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_SEND;
	lr.send = &sd;
	cr_assert_not(e2e_l2cap_call(e, &e->c, &lr, "oversized send"));
	cr_assert_eq(e->result->status, -EMSGSIZE, "status %d", e->result->status);
	*e->err = 0;
	sd.sdu.len = 256;
	cr_assert(e2e_l2cap_call(e, &e->c, &lr, "send"), "%s", e->err);
	uint64_t want = 256;
	cr_assert(th_run_until_count(e->p.a, &e->p.rx_bytes, want, E2E_DEADLINE_MS),
		  "the SDU did not arrive");
	cr_assert(e2e_coc_close(e), "%s", e->err);
}

static bool rx_hold(struct e2e *e, bool hold)
{
	Hive__L2capRxHold h = HIVE__L2CAP_RX_HOLD__INIT;
	h.handle = e->p.handle;
	h.cid = e->p.cid;
	h.hold = hold;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_RX_HOLD;
	lr.rx_hold = &h;
	return e2e_l2cap_call(e, &e->p, &lr, hold ? "hold" : "release");
}

/* The receiver's back-pressure end to end: the peripheral's app holds its
 * credits, so the central's l2cap runs out of them, queues, and refuses
 * sends with -EAGAIN; once released, everything arrives intact and in
 * order. */
Test(l2cap_e2e, receiver_hold_backpressure, .fini = fini, .timeout = 180)
{
	struct e2e *e = setup();
	cr_assert(e2e_coc_open(e, 512, 247), "%s", e->err);
	cr_assert(rx_hold(e, true), "%s", e->err);
	e2e_coc_start(e, E2E_TOTAL);
	cr_assert(e2e_coc_transfer(e, e->c.peer_mtu, 60000, true), "%s", e->err);
	/* The central spent its credits and queues the rest. */
	Hive__L2capTableQuery q = HIVE__L2CAP_TABLE_QUERY__INIT;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_TABLE;
	lr.table = &q;
	cr_assert(e2e_l2cap_call(e, &e->c, &lr, "table"), "%s", e->err);
	const Hive__L2capTable *t = e->result->l2cap->table;
	cr_assert_eq(t->n_channels, 1);
	cr_assert_eq(t->channels[0]->tx_credits, 0, "the central still has %u credits",
		     t->channels[0]->tx_credits);
	cr_assert_gt(t->channels[0]->queued_sdus, 0);
	/* The peripheral got every K-frame it allowed (its SDU events come
	 * before its answer) and returned no credit. */
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	for (;;) {
		cr_assert(e2e_l2cap_call(e, &e->p, &lr, "table"), "%s", e->err);
		t = e->result->l2cap->table;
		cr_assert_eq(t->n_channels, 1);
		cr_assert(t->channels[0]->rx_hold);
		if (t->channels[0]->rx_credits == 0)
			break;
		cr_assert_lt(hive_now_ns(), deadline, "the peripheral still allows %u K-frames",
			     t->channels[0]->rx_credits);
	}
	uint64_t held = e->p.rx_bytes;
	cr_assert_lt(held, E2E_TOTAL / 2, "%llu bytes arrived while held",
		     (unsigned long long)held);
	/* Nothing more arrives while held: a round trip through both l2caps. */
	cr_assert(e2e_l2cap_call(e, &e->c, &lr, "table"), "%s", e->err);
	cr_assert(e2e_l2cap_call(e, &e->p, &lr, "table"), "%s", e->err);
	cr_assert_eq(e->p.rx_bytes, held, "bytes arrived while held");
	cr_assert(rx_hold(e, false), "%s", e->err);
	cr_assert(e2e_coc_transfer(e, e->c.peer_mtu, 120000, false), "%s", e->err);
	cr_assert_eq(e->p.rx_bytes, E2E_TOTAL);
	cr_assert_not(e->p.rx_bad);
	cr_assert(e2e_coc_close(e), "%s", e->err);
}

/* Only the peripheral may ask, with valid values; a central whose policy
 * refuses answers rejected, and nothing changes. */
Test(l2cap_e2e, conn_param_update_refused, .fini = fini, .timeout = 120)
{
	const char *const csets[] = { "l2cap.cpu_accept=0", NULL };
	struct e2e *e = setup_with(csets);
	cr_assert_not(conn_param_update_ex(e, &e->c, 16, 400), "the central may not ask");
	cr_assert_eq(e->result->status, -EINVAL, "status %d", e->result->status);
	*e->err = 0;
	/* timeout 10 (100 ms) is too short for an interval of 60 ms. */
	cr_assert_not(conn_param_update_ex(e, &e->p, 48, 10), "invalid values were sent");
	cr_assert_eq(e->result->status, -EINVAL, "status %d", e->result->status);
	*e->err = 0;
	/* Rejected: status 1, domain L2CAP, and the value says so too. */
	cr_assert_not(conn_param_update_ex(e, &e->p, 16, 400), "the central accepted");
	cr_assert_eq(e->result->status, 1, "status %d", e->result->status);
	cr_assert_eq(e->result->domain, HIVE__RESULT__DOMAIN__L2CAP);
	*e->err = 0;
	const Hive__L2capResult *r = e->result->l2cap;
	cr_assert(r && r->value_case == HIVE__L2CAP_RESULT__VALUE_CONN_PARAM);
	cr_assert_eq(r->conn_param->result, 1, "the central's policy accepted: %u",
		     r->conn_param->result);
	/* A round trip through both hosts: no parameters_updated came. */
	cr_assert(e2e_disconnect(e), "%s", e->err);
	cr_assert_not(e->c.params);
	cr_assert_not(e->p.params);
}

/* Enhanced credit based mode: one request opens two channels; an SDU on
 * each reaches the peripheral on the right channel; both close. */
Test(l2cap_e2e, ecred_two_channels, .fini = fini, .timeout = 120)
{
	struct e2e *e = setup();
	Hive__L2capCocParams rx = HIVE__L2CAP_COC_PARAMS__INIT;
	rx.mtu = 512;
	rx.mps = 247;
	Hive__L2capListen li = HIVE__L2CAP_LISTEN__INIT;
	li.spsm = E2E_SPSM;
	li.rx = &rx;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_LISTEN;
	lr.listen = &li;
	cr_assert(e2e_l2cap_call(e, &e->p, &lr, "listen"), "%s", e->err);
	Hive__L2capConnect co = HIVE__L2CAP_CONNECT__INIT;
	co.handle = e->c.handle;
	co.spsm = E2E_SPSM;
	co.rx = &rx;
	co.count = 2;
	Hive__L2capRequest lc = HIVE__L2CAP_REQUEST__INIT;
	lc.op_case = HIVE__L2CAP_REQUEST__OP_CONNECT;
	lc.connect = &co;
	cr_assert(e2e_l2cap_call(e, &e->c, &lc, "open two channels"), "%s", e->err);
	const Hive__L2capResult *r = e->result->l2cap;
	cr_assert(r && r->value_case == HIVE__L2CAP_RESULT__VALUE_CONNECTED);
	cr_assert_eq(r->connected->n_channels, 2, "%zu channels opened",
		     r->connected->n_channels);
	uint32_t cids[2], remote[2];
	for (int i = 0; i < 2; i++) {
		cids[i] = r->connected->channels[i]->cid;
		remote[i] = r->connected->channels[i]->remote_cid;
		cr_assert(r->connected->channels[i]->ecred);
		cr_assert_eq(r->connected->channels[i]->peer_mtu, 512);
	}
	cr_assert_neq(cids[0], cids[1]);
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while (e->p.nopened < 2 && hive_now_ns() < deadline)
		e2e_pump(e);
	cr_assert_eq(e->p.nopened, 2, "the peripheral saw %u channels open", e->p.nopened);
	/* SDU i on channel i: i + 1 SDUs, so each channel's count is its own. */
	uint8_t buf[512];
	for (uint64_t i = 0; i < sizeof buf; i++)
		buf[i] = e2e_pattern(i);
	for (int ch = 0; ch < 2; ch++)
		for (int k = 0; k <= ch; k++) {
			Hive__L2capSend sd = HIVE__L2CAP_SEND__INIT;
			sd.handle = e->c.handle;
			sd.cid = cids[ch];
			sd.sdu.data = buf;
			sd.sdu.len = sizeof buf;
			Hive__L2capRequest ls = HIVE__L2CAP_REQUEST__INIT;
			ls.op_case = HIVE__L2CAP_REQUEST__OP_SEND;
			ls.send = &sd;
			cr_assert(e2e_l2cap_call(e, &e->c, &ls, "send"), "%s", e->err);
		}
	cr_assert(th_run_until_count(e->p.a, &e->p.rx_sdus, 3, E2E_DEADLINE_MS),
		  "%llu SDUs of 3 arrived", (unsigned long long)e->p.rx_sdus);
	for (int ch = 0; ch < 2; ch++) {
		unsigned k = 0;
		while (k < 2 && e->p.opened_cids[k] != remote[ch])
			k++;
		cr_assert_lt(k, 2, "channel 0x%04x is not the peer's 0x%04x", cids[ch], remote[ch]);
		cr_assert_eq(e->p.cid_sdus[k], (uint32_t)ch + 1, "channel %d: %u SDUs", ch,
			     e->p.cid_sdus[k]);
	}
	for (int ch = 0; ch < 2; ch++) {
		Hive__L2capDisconnect dc = HIVE__L2CAP_DISCONNECT__INIT;
		dc.handle = e->c.handle;
		dc.cid = cids[ch];
		Hive__L2capRequest ld = HIVE__L2CAP_REQUEST__INIT;
		ld.op_case = HIVE__L2CAP_REQUEST__OP_DISCONNECT;
		ld.disconnect = &dc;
		cr_assert(e2e_l2cap_call(e, &e->c, &ld, "close"), "%s", e->err);
	}
	deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while ((e->p.nclosed < 2 || e->c.nclosed < 2) && hive_now_ns() < deadline)
		e2e_pump(e);
	cr_assert_eq(e->c.nclosed, 2, "the central saw %u channels close", e->c.nclosed);
	cr_assert_eq(e->p.nclosed, 2, "the peripheral saw %u channels close", e->p.nclosed);
}

/* An SPSM that needs encryption refuses a channel on a clear link (result
 * 5 insufficient authentication or 8 insufficient encryption), and accepts
 * it once the central's smp paired and encrypted the link. */
Test(l2cap_e2e, encrypted_spsm, .fini = fini, .timeout = 120)
{
	struct e2e *e = setup();
	Hive__L2capCocParams rx = HIVE__L2CAP_COC_PARAMS__INIT;
	Hive__L2capListen li = HIVE__L2CAP_LISTEN__INIT;
	li.spsm = E2E_SPSM;
	li.rx = &rx;
	li.sec_level = 1;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_LISTEN;
	lr.listen = &li;
	cr_assert(e2e_l2cap_call(e, &e->p, &lr, "listen"), "%s", e->err);
	Hive__L2capConnect co = HIVE__L2CAP_CONNECT__INIT;
	co.handle = e->c.handle;
	co.spsm = E2E_SPSM;
	co.rx = &rx;
	Hive__L2capRequest lc = HIVE__L2CAP_REQUEST__INIT;
	lc.op_case = HIVE__L2CAP_REQUEST__OP_CONNECT;
	lc.connect = &co;
	cr_assert_not(e2e_l2cap_call(e, &e->c, &lc, "open on a clear link"), "the channel opened");
	cr_assert_eq(e->result->domain, HIVE__RESULT__DOMAIN__L2CAP, "%s", e->err);
	cr_assert(e->result->status == 5 || e->result->status == 8, "status %d",
		  e->result->status);
	cr_assert_not(e->p.opened);
	*e->err = 0;

	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = e->c.handle;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	sr.pair = &p;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	cr_assert(e2e_call(e, &e->c, "smp", &req, "pair"), "%s", e->err);
	cr_assert(e2e_wait(e, &e->p.encrypted, E2E_DEADLINE_MS, "the peripheral's encryption"),
		  "%s", e->err);
	cr_assert(e2e_wait(e, &e->c.encrypted, E2E_DEADLINE_MS, "the central's encryption"),
		  "%s", e->err);
	cr_assert(e2e_l2cap_call(e, &e->c, &lc, "open on the encrypted link"), "%s", e->err);
	cr_assert(e2e_wait(e, &e->p.opened, E2E_DEADLINE_MS, "the peripheral's opened event"),
		  "%s", e->err);
}

/* The central's l2cap killed (-9) in the middle of a transfer: the
 * launcher restarts it from its last snapshot. Either the channel goes on
 * and every byte arrives intact, or (data was queued and lost) it is closed
 * on both sides, -EIO to the sender's app; what arrived is an intact prefix
 * either way. */
Test(l2cap_e2e, l2cap_killed_mid_transfer, .fini = fini, .timeout = 180)
{
	struct e2e *e = setup();
	cr_assert(e2e_coc_open(e, 512, 247), "%s", e->err);
	Hive__Status *st = th_status(e->c.a, E2E_DEADLINE_MS);
	const Hive__ActorStatus *as = th_status_find(st, "l2cap");
	cr_assert(as && as->pid);
	pid_t pid = (pid_t)as->pid;
	hive__status__free_unpacked(st, NULL);
	e2e_coc_start(e, E2E_TOTAL);
	/* A quarter of the way. */
	uint64_t deadline = hive_now_ns() + 60000ull * 1000000ull;
	uint64_t nsdu = E2E_TOTAL / 512;
	while (e->p.rx_bytes < E2E_TOTAL / 4 && hive_now_ns() < deadline && !*e->err) {
		if (e->blocked && e->c.writable && e->sends_in_flight == 0) {
			e->tx_next = e->rewind;
			e->blocked = false;
			e->c.writable = false;
			e->tx_resume = true;
		}
		while (!e->blocked && e->tx_next < nsdu && e->sends_in_flight < E2E_WINDOW) {
			cr_assert_eq(e2e_coc_send_sdu(e, e->tx_next, 512, e->tx_resume), 0);
			e->tx_resume = false;
			e->tx_next++;
		}
		e2e_pump(e);
	}
	cr_assert_geq(e->p.rx_bytes, E2E_TOTAL / 4, "%s", e->err);
	kill(pid, SIGKILL);
	/* Go on sending as before; a refused send other than -EAGAIN ends it. */
	bool ok = e2e_coc_transfer(e, 512, 60000, false);
	cr_log_info("after the kill: transfer %s (%s); central closed %d (status %d), "
		    "peripheral closed %d (status %d), %llu bytes arrived",
		    ok ? "complete" : "ended", e->err, e->c.closed, e->c.close_status, e->p.closed,
		    e->p.close_status, (unsigned long long)e->p.rx_bytes);
	cr_assert_not(e->p.rx_bad, "the bytes that arrived are not an intact prefix");
	if (ok) {
		cr_assert_eq(e->p.rx_bytes, E2E_TOTAL);
		return;
	}
	cr_assert(e2e_wait(e, &e->c.closed, E2E_DEADLINE_MS, "the central's closed event"), "%s",
		  e->err);
	cr_assert(e2e_wait(e, &e->p.closed, E2E_DEADLINE_MS, "the peripheral's closed event"),
		  "%s", e->err);
	cr_assert_eq(e->c.close_status, -EIO, "the central's app: closed with %d",
		     e->c.close_status);
}
