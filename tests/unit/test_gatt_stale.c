/* The stale-response bug: a response to a request made before a gatt
 * restart must never be taken as the answer to a request made after it.
 *
 * First the client alone: a bearer marked with a predecessor's outstanding
 * request holds its own requests until that response comes (and drops
 * it), or times out like any transaction. Then hive-gatt as a process,
 * killed with SIGKILL between a Read Request and its response: the
 * successor queues the next read until the old response arrives, discards
 * it, and only then sends its own request, whose answer is the one the
 * app gets. The test plays l2cap and the app around one hive-gatt. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "malformed_util.h"
#include "../../actors/gatt/gatt_client.h"

#define P(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* ---- the client alone ---------------------------------------------------------- */

Test(gatt_stale, client_holds_requests_until_the_old_response_and_drops_it)
{
	struct gatt_client *c;
	struct gatt_client_outbox out = { 0 };
	cr_assert_eq(gatt_client_new(&c, NULL), 0);
	cr_assert_eq(gatt_client_connect(c, 1), 0);
	cr_assert_eq(gatt_client_set_stale(c, 2, ATT_READ_REQ), -ENOENT);
	cr_assert_eq(gatt_client_set_stale(c, 1, ATT_READ_RSP), -EINVAL);
	cr_assert_eq(gatt_client_set_stale(c, 1, ATT_READ_REQ), 0);
	cr_assert(gatt_client_busy(c, 1));
	cr_assert_eq(gatt_client_outstanding(c, 1), ATT_READ_REQ);

	struct gatt_client_req r = { .type = GATT_PROC_READ, .id = 7, .handle = 3 };
	cr_assert_eq(gatt_client_request(c, 1, &r, 1000, &out), 0);
	cr_assert_eq(out.n_pdus, 0, "a request went out before the old response came");
	cr_assert_eq(out.n_events, 0);

	/* The old response: dropped, and the queued read goes out. */
	uint64_t sent = gatt_client_requests_sent(c);
	cr_assert_eq(gatt_client_on_pdu(c, 1, P(0x0b, 'o', 'l', 'd'), 1010, &out), 0);
	cr_assert_eq(out.n_events, 0, "the old response reached a procedure");
	cr_assert_eq(out.n_pdus, 1);
	mu_expect_bytes("read", out.pdus[0].pdu, out.pdus[0].len, MU_BYTES(0x0a, 0x03, 0x00));
	cr_assert_eq(gatt_client_requests_sent(c), sent + 1);
	cr_assert_eq(gatt_client_outstanding(c, 1), ATT_READ_REQ);

	/* Its own response answers it. */
	gatt_client_outbox_reset(&out);
	cr_assert_eq(gatt_client_on_pdu(c, 1, P(0x0b, 'n', 'e', 'w'), 1020, &out), 0);
	cr_assert_eq(out.n_events, 1);
	const struct gatt_client_event *ev = &out.events[0];
	cr_assert_eq(ev->type, GATT_CEV_DONE);
	cr_assert_eq(ev->id, 7u);
	cr_assert_eq(ev->err, 0);
	mu_expect_bytes("value", ev->value, ev->len, MU_BYTES('n', 'e', 'w'));
	cr_assert_not(gatt_client_busy(c, 1));
	gatt_client_destroy(&c);
}

Test(gatt_stale, an_old_response_that_never_comes_times_the_bearer_out)
{
	struct gatt_client *c;
	struct gatt_client_outbox out = { 0 };
	struct gatt_client_config cfg = { .timeout_ms = 500 };
	cr_assert_eq(gatt_client_new(&c, &cfg), 0);
	cr_assert_eq(gatt_client_connect(c, 1), 0);
	cr_assert_eq(gatt_client_set_stale(c, 1, ATT_WRITE_REQ), 0);
	/* The timer starts at the first tick after the restore. */
	gatt_client_tick(c, 10000, &out);
	cr_assert_eq(gatt_client_next_deadline(c), 10500u);
	struct gatt_client_req r = { .type = GATT_PROC_READ, .id = 9, .handle = 3 };
	cr_assert_eq(gatt_client_request(c, 1, &r, 10100, &out), 0);
	cr_assert_eq(out.n_pdus, 0);
	gatt_client_tick(c, 10499, &out);
	cr_assert_eq(out.n_events, 0);
	gatt_client_tick(c, 10500, &out);
	cr_assert_eq(out.n_events, 1);
	cr_assert_eq(out.events[0].id, 9u);
	cr_assert_eq(out.events[0].err, -ENOTCONN, "err %d", out.events[0].err);
	cr_assert_eq(out.n_pdus, 0, "a request went out on a timed-out bearer");
	/* The bearer is dead, as after any transaction timeout. */
	cr_assert_eq(gatt_client_request(c, 1, &r, 10600, &out), -ENOTCONN);
	gatt_client_destroy(&c);
}

/* ---- hive-gatt killed between a request and its response ----------------------- */

static char *dir;

static void fini(void)
{
	mu_peers_free();
	th_cleanup();
	free(dir);
	dir = NULL;
}

Test(gatt_stale, sigkill_between_request_and_response_never_mixes_answers, .fini = fini,
     .timeout = 60)
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

	/* A new read, then the peer's late answer to the old one, from one
	 * sender so they arrive in this order: without the fix the new
	 * request goes out at once and takes "old" as its answer. */
	uint64_t id2 = mu_request(l2cap, "gatt", &r);
	mu_send_pdu(l2cap, "gatt", 0x40, 4, MU_BYTES(0x0b, 'o', 'l', 'd'));
	e = mu_take(l2cap, HIVE__ENVELOPE__BODY_PDU, "Read Request after the old response");
	mu_expect_bytes("Read Request", e->pdu->payload.data, e->pdu->payload.len,
			MU_BYTES(0x0a, 0x03, 0x00));
	mu_expect_silence(l2cap, HIVE__ENVELOPE__BODY_RESULT, MU_SILENCE_MS);
	mu_send_pdu(l2cap, "gatt", 0x40, 4, MU_BYTES(0x0b, 'n', 'e', 'w'));
	res = mu_wait_result(l2cap, id2, TH_DEADLINE_MS);
	cr_assert_not_null(res, "the second read was never answered (log %s/gatt.log)", dir);
	cr_assert_eq(res->status, 0, "status %d: %s", res->status, res->error);
	mu_expect_bytes("value", res->gatt->read->value.data, res->gatt->read->value.len,
			MU_BYTES('n', 'e', 'w'));
}
