/* gatt's back-pressure of ATT PDUs (gatt_flow.c): PDUs wait while l2cap
 * says the link is busy, leave in order when it drained, hold back the
 * Result of the request that made them, are refused past the admission
 * bound, dropped past the hard one, and go with their link. Pure. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "../../actors/gatt/gatt_flow.h"

static struct gatt_flow f;

static void setup(void)
{
	gatt_flow_init(&f);
}

static void teardown(void)
{
	gatt_flow_fini(&f);
}

TestSuite(gatt_flow, .init = setup, .fini = teardown, .timeout = 30);

static int submit(uint16_t conn, uint8_t seq, int token)
{
	uint8_t pdu[4] = { 0x1b, 0x03, 0x00, seq };
	return gatt_flow_submit(&f, conn, pdu, sizeof pdu, token);
}

Test(gatt_flow, not_busy_goes_at_once)
{
	cr_assert_eq(submit(0x40, 0, -1), 0);
	uint16_t conn;
	cr_assert_null(gatt_flow_next(&f, &conn));
	cr_assert_not(gatt_flow_refuse(&f, 0x40));
}

Test(gatt_flow, busy_holds_in_order_and_defers_the_result)
{
	gatt_flow_set_busy(&f, 0x40, true);
	int t = gatt_flow_token_open(&f, "app", 7, 0x40, 1);
	cr_assert_geq(t, 0);
	for (uint8_t i = 0; i < 5; i++)
		cr_assert_eq(submit(0x40, i, t), 1);
	cr_assert_not(gatt_flow_token_close(&f, t), "the Result must wait for its PDUs");
	/* Another connection is not held back by this one. */
	cr_assert_eq(submit(0x41, 0, -1), 0);
	uint16_t conn;
	cr_assert_null(gatt_flow_next(&f, &conn), "nothing leaves while busy");
	gatt_flow_set_busy(&f, 0x40, false);
	/* A PDU made now waits behind the held ones (order). */
	cr_assert_eq(submit(0x40, 5, -1), 1);
	for (uint8_t i = 0; i < 6; i++) {
		struct gatt_flow_pdu *p = gatt_flow_next(&f, &conn);
		cr_assert_not_null(p);
		cr_assert_eq(conn, 0x40);
		cr_assert_eq(p->pdu[3], i);
		int done = gatt_flow_sent(&f, p);
		cr_assert_eq(done, i == 4 ? t : -1, "PDU %u: token %d", i, done);
		if (done >= 0) {
			cr_assert_str_eq(f.t[done].asker, "app");
			cr_assert_eq(f.t[done].id, 7);
			gatt_flow_token_free(&f, done);
		}
	}
	cr_assert_null(gatt_flow_next(&f, &conn));
	cr_assert_eq(f.st.held, 6);
}

Test(gatt_flow, admission_then_hard_bound)
{
	gatt_flow_set_busy(&f, 0x40, true);
	for (unsigned i = 0; i < GATT_FLOW_ADMIT; i++) {
		cr_assert_not(gatt_flow_refuse(&f, 0x40), "refused at %u", i);
		cr_assert_eq(submit(0x40, (uint8_t)i, -1), 1);
	}
	cr_assert(gatt_flow_refuse(&f, 0x40));
	cr_assert(gatt_flow_refuse(&f, GATT_FLOW_ANY));
	cr_assert_not(gatt_flow_refuse(&f, 0x41));
	cr_assert_eq(f.st.refused, 2);
	/* Responses and indications still wait, up to the hard bound. */
	for (unsigned i = GATT_FLOW_ADMIT; i < GATT_FLOW_HOLD_MAX; i++)
		cr_assert_eq(submit(0x40, (uint8_t)i, -1), 1);
	cr_assert_eq(submit(0x40, 0, -1), -ENOBUFS);
	cr_assert_eq(f.st.dropped, 1);
	cr_assert_eq(f.st.held_max, GATT_FLOW_HOLD_MAX);
}

static int done_tokens[4], ndone;

static void on_done(int token, void *arg)
{
	done_tokens[ndone++] = token;
}

Test(gatt_flow, link_down_drops_and_answers)
{
	gatt_flow_set_busy(&f, 0x40, true);
	int t = gatt_flow_token_open(&f, "app", 9, 0x40, 1);
	cr_assert_eq(submit(0x40, 0, t), 1);
	cr_assert_eq(submit(0x40, 1, t), 1);
	cr_assert_not(gatt_flow_token_close(&f, t));
	ndone = 0;
	gatt_flow_conn_down(&f, 0x40, on_done, NULL);
	cr_assert_eq(ndone, 1);
	cr_assert_eq(done_tokens[0], t);
	cr_assert_eq(f.st.dropped, 2);
	gatt_flow_token_free(&f, t);
	/* A new link on the same handle starts not busy. */
	cr_assert_eq(submit(0x40, 0, -1), 0);
}

Test(gatt_flow, token_without_held_pdus_closes_at_once)
{
	int t = gatt_flow_token_open(&f, "app", 1, 0x40, 1);
	cr_assert_eq(submit(0x40, 0, t), 0);
	cr_assert(gatt_flow_token_close(&f, t));
	cr_assert_not(f.t[t].used, "the token is free again");
}
