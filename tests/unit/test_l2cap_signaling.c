/* LE signaling scripts: request bytes in, response bytes out, for every code
 * and every rejection; fixed channel routing. Pure, without sockets. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../actors/l2cap/l2cap.h"

#define H 0x0040
#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static struct l2cap *l;
static uint64_t now;

static void start(enum l2cap_role role)
{
	l = l2cap_new(NULL);
	cr_assert_not_null(l);
	cr_assert_eq(l2cap_link_add(l, H, role), 0);
	now = 1000;
}

static void central(void)
{
	start(L2CAP_ROLE_CENTRAL);
}

static void peripheral(void)
{
	start(L2CAP_ROLE_PERIPHERAL);
}

static void teardown(void)
{
	l2cap_destroy(&l);
	cr_assert_null(l);
}

TestSuite(sig_central, .init = central, .fini = teardown);
TestSuite(sig_peripheral, .init = peripheral, .fini = teardown);
TestSuite(fixed, .init = central, .fini = teardown);

static void hexdump(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t at = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && at + 4 < cap; i++)
		at += (size_t)snprintf(out + at, cap - at, "%02x ", p[i]);
}

/* One C-frame on the LE signaling channel. */
static void sig_in(const uint8_t *p, size_t n)
{
	uint8_t f[128];
	cr_assert_leq(n + 4, sizeof f);
	f[0] = (uint8_t)n;
	f[1] = (uint8_t)(n >> 8);
	f[2] = 0x05;
	f[3] = 0x00;
	if (n)
		memcpy(f + 4, p, n);
	l2cap_on_frame(l, H, f, n + 4, now);
}

/* The outbox's item i must be a signaling frame with exactly these bytes. */
static void expect_sig_at(size_t i, const uint8_t *p, size_t n)
{
	char want[400], got[400];
	hexdump(want, sizeof want, p, n);
	cr_assert_gt(l->out.n, i, "nothing sent; wanted %s", want);
	const struct l2cap_out *o = &l->out.v[i];
	cr_assert_eq(o->kind, L2CAP_OUT_FRAME, "item %zu is kind %d", i, o->kind);
	cr_assert_eq(o->handle, H);
	hexdump(got, sizeof got, o->data, o->len);
	cr_assert_eq(o->len, n + 4, "wanted 05 00 + %s got %s", want, got);
	cr_assert_eq(o->data[0] | o->data[1] << 8, n);
	cr_assert_eq(o->data[2] | o->data[3] << 8, 0x0005);
	cr_assert_eq(memcmp(o->data + 4, p, n), 0, "wanted %s got %s", want, got + 12);
}

/* Exactly one item, this signaling frame; the outbox is cleared. */
static void expect_sig(const uint8_t *p, size_t n)
{
	expect_sig_at(0, p, n);
	cr_assert_eq(l->out.n, 1, "%zu items", l->out.n);
	l2cap_outbox_clear(l);
}

static void expect_nothing(void)
{
	cr_assert_eq(l->out.n, 0, "%zu items, first kind %d", l->out.n,
		     l->out.n ? (int)l->out.v[0].kind : -1);
}

#define IN(...) sig_in(B(__VA_ARGS__))
#define OUT(...) expect_sig(B(__VA_ARGS__))

/* ---- the dispatcher's common work --------------------------------------------------- */

Test(sig_central, unknown_code_is_rejected)
{
	/* BR/EDR Connection Request, Echo Request, Information Request,
	 * unassigned codes: command not understood, with their identifiers. */
	IN(0x02, 0x07, 0x04, 0x00, 0x01, 0x00, 0x40, 0x00);
	OUT(0x01, 0x07, 0x02, 0x00, 0x00, 0x00);
	IN(0x08, 0x08, 0x00, 0x00);
	OUT(0x01, 0x08, 0x02, 0x00, 0x00, 0x00);
	IN(0x0a, 0x09, 0x02, 0x00, 0x02, 0x00);
	OUT(0x01, 0x09, 0x02, 0x00, 0x00, 0x00);
	IN(0x1b, 0x0a, 0x00, 0x00);
	OUT(0x01, 0x0a, 0x02, 0x00, 0x00, 0x00);
	IN(0xff, 0xff, 0x00, 0x00);
	OUT(0x01, 0xff, 0x02, 0x00, 0x00, 0x00);
	cr_assert_eq(l->st.sig_rejects_sent, 5);
}

Test(sig_central, oversized_pdu_gets_mtu_exceeded)
{
	/* 24 bytes > MTUsig 23: rejected with our MTUsig, whatever it holds. */
	uint8_t big[24] = { 0x12, 0x21, 0x14, 0x00 };
	sig_in(big, sizeof big);
	OUT(0x01, 0x21, 0x04, 0x00, 0x01, 0x00, 0x17, 0x00);
	/* Exactly 23 bytes is not oversized: here an unknown code. */
	uint8_t ok[23] = { 0x1f, 0x22, 0x13, 0x00 };
	sig_in(ok, sizeof ok);
	OUT(0x01, 0x22, 0x02, 0x00, 0x00, 0x00);
	/* An oversized Command Reject is never answered. */
	uint8_t rej[30] = { 0x01, 0x23, 0x1a, 0x00 };
	sig_in(rej, sizeof rej);
	expect_nothing();
}

Test(sig_central, corrupt_headers_are_dropped)
{
	IN(0x12);                              /* shorter than a header */
	IN(0x12, 0x01, 0x08);                  /* still */
	IN(0x12, 0x01, 0x08, 0x00, 0x06, 0x00); /* length says 8, 2 follow */
	IN(0x13, 0x01, 0x01, 0x00, 0x00, 0x00); /* length says 1, 2 follow */
	IN(0x12, 0x00, 0x08, 0x00, 0x06, 0x00, 0x0c, 0x00, 0x00, 0x00, 0xc8, 0x00); /* ident 0 */
	IN(0x02, 0x00, 0x00, 0x00);            /* unknown code with ident 0 */
	expect_nothing();
	cr_assert_eq(l->st.sig_malformed, 6);
	/* An empty C-frame too. */
	sig_in(NULL, 0);
	expect_nothing();
}

Test(sig_central, wrong_data_length_is_not_understood)
{
	/* Every request and indication, one byte short and one byte long. */
	IN(0x12, 0x01, 0x07, 0x00, 0x06, 0x00, 0x0c, 0x00, 0x00, 0x00, 0xc8);
	OUT(0x01, 0x01, 0x02, 0x00, 0x00, 0x00);
	IN(0x12, 0x02, 0x09, 0x00, 0x06, 0x00, 0x0c, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00);
	OUT(0x01, 0x02, 0x02, 0x00, 0x00, 0x00);
	IN(0x06, 0x03, 0x03, 0x00, 0x40, 0x00, 0x41);
	OUT(0x01, 0x03, 0x02, 0x00, 0x00, 0x00);
	IN(0x14, 0x04, 0x09, 0x00, 0x80, 0x00, 0x40, 0x00, 0x00, 0x02, 0x17, 0x00, 0x0a);
	OUT(0x01, 0x04, 0x02, 0x00, 0x00, 0x00);
	IN(0x16, 0x05, 0x05, 0x00, 0x40, 0x00, 0x01, 0x00, 0x00);
	OUT(0x01, 0x05, 0x02, 0x00, 0x00, 0x00);
	IN(0x17, 0x06, 0x09, 0x00, 0x80, 0x00, 0x40, 0x00, 0x40, 0x00, 0x05, 0x00, 0x40);
	OUT(0x01, 0x06, 0x02, 0x00, 0x00, 0x00);
	IN(0x19, 0x07, 0x05, 0x00, 0x64, 0x00, 0x40, 0x00, 0x40);
	OUT(0x01, 0x07, 0x02, 0x00, 0x00, 0x00);
	/* Responses of the wrong length are dropped, never answered. */
	IN(0x13, 0x08, 0x01, 0x00, 0x00);
	IN(0x07, 0x09, 0x03, 0x00, 0x40, 0x00, 0x41);
	IN(0x01, 0x0a, 0x01, 0x00, 0x00);
	expect_nothing();
}

Test(sig_central, unmatched_responses_are_dropped)
{
	IN(0x01, 0x01, 0x02, 0x00, 0x00, 0x00);
	IN(0x07, 0x02, 0x04, 0x00, 0x40, 0x00, 0x41, 0x00);
	IN(0x15, 0x03, 0x0a, 0x00, 0x41, 0x00, 0x00, 0x01, 0x40, 0x00, 0x05, 0x00, 0x00, 0x00);
	IN(0x18, 0x04, 0x0a, 0x00, 0x40, 0x00, 0x40, 0x00, 0x05, 0x00, 0x00, 0x00, 0x40, 0x00);
	IN(0x1a, 0x05, 0x02, 0x00, 0x00, 0x00);
	/* A Connection Parameter Update Response to a central. */
	IN(0x13, 0x06, 0x02, 0x00, 0x00, 0x00);
	expect_nothing();
	cr_assert_eq(l->st.sig_unexpected, 6);
}

/* ---- Connection Parameter Update: the central -------------------------------------- */

static void expect_conn_update(uint16_t min, uint16_t max, uint16_t lat, uint16_t to)
{
	cr_assert_eq(l->out.n, 2);
	const struct l2cap_out *o = &l->out.v[1];
	cr_assert_eq(o->kind, L2CAP_OUT_CONN_UPDATE);
	cr_assert_eq(o->handle, H);
	cr_assert_eq(o->params.interval_min, min);
	cr_assert_eq(o->params.interval_max, max);
	cr_assert_eq(o->params.latency, lat);
	cr_assert_eq(o->params.timeout, to);
}

Test(sig_central, cpu_request_accepted_asks_host)
{
	/* 7.5..15 ms, latency 0, 2 s. */
	IN(0x12, 0x11, 0x08, 0x00, 0x06, 0x00, 0x0c, 0x00, 0x00, 0x00, 0xc8, 0x00);
	expect_sig_at(0, B(0x13, 0x11, 0x02, 0x00, 0x00, 0x00));
	expect_conn_update(6, 12, 0, 200);
	l2cap_outbox_clear(l);
	/* The limits themselves: 4 s interval, latency 499 needs timeout > 4 s * 500 * 2:
	 * impossible; latency 0 and timeout 32 s is fine. */
	IN(0x12, 0x12, 0x08, 0x00, 0x80, 0x0c, 0x80, 0x0c, 0x00, 0x00, 0x80, 0x0c);
	expect_sig_at(0, B(0x13, 0x12, 0x02, 0x00, 0x00, 0x00));
	expect_conn_update(3200, 3200, 0, 3200);
	l2cap_outbox_clear(l);
	/* Latency 499 with a 7.5 ms interval: (1+499)*6 = 3000 < 4*800. */
	IN(0x12, 0x13, 0x08, 0x00, 0x06, 0x00, 0x06, 0x00, 0xf3, 0x01, 0x20, 0x03);
	expect_sig_at(0, B(0x13, 0x13, 0x02, 0x00, 0x00, 0x00));
	expect_conn_update(6, 6, 499, 800);
	l2cap_outbox_clear(l);
}

/* Sends a request with these values and expects a rejection, no update. */
static void cpu_rejected(uint8_t ident, uint16_t min, uint16_t max, uint16_t lat, uint16_t to)
{
	uint8_t req[12] = { 0x12, ident, 0x08, 0x00, (uint8_t)min, (uint8_t)(min >> 8),
			    (uint8_t)max, (uint8_t)(max >> 8), (uint8_t)lat, (uint8_t)(lat >> 8),
			    (uint8_t)to, (uint8_t)(to >> 8) };
	sig_in(req, sizeof req);
	expect_sig(B(0x13, ident, 0x02, 0x00, 0x01, 0x00));
}

Test(sig_central, cpu_request_out_of_range_rejected)
{
	cpu_rejected(1, 5, 12, 0, 200);      /* interval below 6 */
	cpu_rejected(2, 6, 3201, 0, 3200);   /* interval above 3200 */
	cpu_rejected(3, 24, 12, 0, 200);     /* min > max */
	cpu_rejected(4, 6, 12, 500, 3200);   /* latency above 499 */
	cpu_rejected(5, 6, 12, 0, 9);        /* timeout below 10 */
	cpu_rejected(6, 6, 12, 0, 3201);     /* timeout above 3200 */
	/* timeout * 4 must exceed (1 + latency) * interval_max: 100 ms interval,
	 * latency 4: 5 * 80 = 400 -> timeout 100 (1 s) is not enough, 101 is. */
	cpu_rejected(7, 80, 80, 4, 100);
	IN(0x12, 0x08, 0x08, 0x00, 0x50, 0x00, 0x50, 0x00, 0x04, 0x00, 0x65, 0x00);
	expect_sig_at(0, B(0x13, 0x08, 0x02, 0x00, 0x00, 0x00));
	expect_conn_update(80, 80, 4, 101);
}

Test(sig_central, cpu_request_policy)
{
	l->cfg.cpu.interval_min = 24; /* nothing faster than 30 ms */
	l->cfg.cpu.latency_max = 4;
	cpu_rejected(1, 6, 12, 0, 200);
	cpu_rejected(2, 24, 40, 5, 400);
	IN(0x12, 0x03, 0x08, 0x00, 0x06, 0x00, 0x28, 0x00, 0x04, 0x00, 0x90, 0x01);
	expect_sig_at(0, B(0x13, 0x03, 0x02, 0x00, 0x00, 0x00));
	expect_conn_update(6, 40, 4, 400);
	l2cap_outbox_clear(l);
	l->cfg.cpu.accept = false;
	cpu_rejected(4, 24, 40, 0, 400);
}

/* ---- Connection Parameter Update: the peripheral ----------------------------------- */

static const struct l2cap_conn_params params_15ms = { 12, 12, 0, 200 };

Test(sig_peripheral, cpu_request_is_not_understood)
{
	IN(0x12, 0x11, 0x08, 0x00, 0x06, 0x00, 0x0c, 0x00, 0x00, 0x00, 0xc8, 0x00);
	OUT(0x01, 0x11, 0x02, 0x00, 0x00, 0x00);
}

static void expect_param_result(int status, uint64_t req_id)
{
	cr_assert_eq(l->out.n, 1);
	const struct l2cap_out *o = &l->out.v[0];
	cr_assert_eq(o->kind, L2CAP_OUT_CONN_PARAM_RESULT);
	cr_assert_str_eq(o->dest, "app");
	cr_assert_eq(o->status, status, "status %d", o->status);
	cr_assert_eq(o->req_id, req_id);
	l2cap_outbox_clear(l);
}

Test(sig_peripheral, cpu_request_and_response)
{
	cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 77, now), 0);
	OUT(0x12, 0x01, 0x08, 0x00, 0x0c, 0x00, 0x0c, 0x00, 0x00, 0x00, 0xc8, 0x00);
	cr_assert_eq(l2cap_deadline(l), now + L2CAP_RTX_MS_DEFAULT);
	/* A response with another identifier is not ours. */
	IN(0x13, 0x02, 0x02, 0x00, 0x00, 0x00);
	expect_nothing();
	IN(0x13, 0x01, 0x02, 0x00, 0x00, 0x00);
	expect_param_result(L2CAP_CPU_ACCEPTED, 77);
	cr_assert_eq(l2cap_deadline(l), UINT64_MAX);
	/* Again: a second response to the same identifier is dropped. */
	IN(0x13, 0x01, 0x02, 0x00, 0x00, 0x00);
	expect_nothing();
	/* The next request has the next identifier; rejected this time. */
	cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 78, now), 0);
	OUT(0x12, 0x02, 0x08, 0x00, 0x0c, 0x00, 0x0c, 0x00, 0x00, 0x00, 0xc8, 0x00);
	IN(0x13, 0x02, 0x02, 0x00, 0x01, 0x00);
	expect_param_result(L2CAP_CPU_REJECTED, 78);
}

Test(sig_peripheral, cpu_request_times_out)
{
	cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 5, now), 0);
	l2cap_outbox_clear(l);
	l2cap_on_time(l, now + L2CAP_RTX_MS_DEFAULT - 1);
	expect_nothing();
	l2cap_on_time(l, now + L2CAP_RTX_MS_DEFAULT);
	expect_param_result(-ETIMEDOUT, 5);
	cr_assert_eq(l->st.sig_timeouts, 1);
	/* The late response is nobody's. */
	IN(0x13, 0x01, 0x02, 0x00, 0x00, 0x00);
	expect_nothing();
}

Test(sig_peripheral, cpu_request_command_rejected)
{
	cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 6, now), 0);
	l2cap_outbox_clear(l);
	IN(0x01, 0x01, 0x02, 0x00, 0x00, 0x00);
	expect_param_result(-EOPNOTSUPP, 6);
}

Test(sig_peripheral, cpu_request_refused_locally)
{
	struct l2cap_conn_params bad = { 12, 12, 0, 5 };
	cr_assert_eq(l2cap_request_conn_params(l, H, &bad, "app", 1, now), -EINVAL);
	cr_assert_eq(l2cap_request_conn_params(l, 0x99, &params_15ms, "app", 1, now), -ENOENT);
	for (int i = 0; i < L2CAP_PENDING_MAX; i++)
		cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 1, now), 0);
	cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 1, now), -EBUSY);
	expect_sig_at(L2CAP_PENDING_MAX - 1, B(0x12, 0x08, 0x08, 0x00, 0x0c, 0x00, 0x0c, 0x00,
					       0x00, 0x00, 0xc8, 0x00));
}

Test(sig_central, cpu_request_only_from_peripheral)
{
	cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 1, now), -EINVAL);
	expect_nothing();
}

Test(sig_peripheral, link_drop_fails_pending_request)
{
	cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 9, now), 0);
	l2cap_outbox_clear(l);
	cr_assert_eq(l2cap_link_remove(l, H), 0);
	expect_param_result(-ENOTCONN, 9);
	cr_assert_eq(l2cap_link_remove(l, H), -ENOENT);
}

Test(sig_peripheral, identifiers_skip_zero_and_pending)
{
	l->link[0].next_ident = 254;
	cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 1, now), 0);
	cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 2, now), 0);
	cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 3, now), 0);
	cr_assert_eq(l->out.v[0].data[5], 254);
	cr_assert_eq(l->out.v[1].data[5], 255);
	cr_assert_eq(l->out.v[2].data[5], 1);
	l2cap_outbox_clear(l);
	/* 255 still pending: after wrapping through, it is skipped. */
	IN(0x13, 0xfe, 0x02, 0x00, 0x00, 0x00);
	IN(0x13, 0x01, 0x02, 0x00, 0x00, 0x00);
	l2cap_outbox_clear(l);
	l->link[0].next_ident = 255;
	cr_assert_eq(l2cap_request_conn_params(l, H, &params_15ms, "app", 4, now), 0);
	cr_assert_eq(l->out.v[0].data[5], 1);
}

/* ---- channels: rejections without a channel ------------------------------------------ */

Test(sig_central, disconnection_request_for_unknown_cid)
{
	IN(0x06, 0x31, 0x04, 0x00, 0x40, 0x00, 0x41, 0x00);
	OUT(0x01, 0x31, 0x06, 0x00, 0x02, 0x00, 0x40, 0x00, 0x41, 0x00);
	/* A fixed CID is no channel to disconnect either. */
	IN(0x06, 0x32, 0x04, 0x00, 0x04, 0x00, 0x04, 0x00);
	OUT(0x01, 0x32, 0x06, 0x00, 0x02, 0x00, 0x04, 0x00, 0x04, 0x00);
}

Test(sig_central, credit_ind_for_unknown_channel_is_ignored)
{
	IN(0x16, 0x01, 0x04, 0x00, 0x40, 0x00, 0x01, 0x00);
	expect_nothing();
}

static const struct l2cap_coc_policy open_policy = {
	.rx = { .mtu = 512, .mps = 64, .credits = 8 },
};

/* An LE Credit Based Connection Request for SPSM 0x0080 from SCID scid. */
static void le_conn_req(uint8_t ident, uint16_t scid, uint16_t mtu, uint16_t mps)
{
	uint8_t req[14] = { 0x14, ident, 0x0a, 0x00, 0x80, 0x00, (uint8_t)scid, (uint8_t)(scid >> 8),
			    (uint8_t)mtu, (uint8_t)(mtu >> 8), (uint8_t)mps, (uint8_t)(mps >> 8),
			    0x05, 0x00 };
	sig_in(req, sizeof req);
}

/* Expects a refusal with this result (DCID, MTU, MPS, credits zero). */
static void expect_le_refused(uint8_t ident, uint16_t result)
{
	expect_sig(B(0x15, ident, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		     (uint8_t)result, 0x00));
}

Test(sig_central, le_conn_request_success)
{
	cr_assert_eq(l2cap_coc_listen(l, 0x80, "app", &open_policy), 0);
	le_conn_req(0x41, 0x0050, 100, 30);
	/* DCID 0x0040, MTU 512, MPS 64, 8 credits, success. */
	expect_sig_at(0, B(0x15, 0x41, 0x0a, 0x00, 0x40, 0x00, 0x00, 0x02, 0x40, 0x00, 0x08, 0x00,
			   0x00, 0x00));
	cr_assert_eq(l->out.n, 2);
	const struct l2cap_out *o = &l->out.v[1];
	cr_assert_eq(o->kind, L2CAP_OUT_COC_OPENED);
	cr_assert_str_eq(o->dest, "app");
	cr_assert_eq(o->cid, 0x40);
	cr_assert_eq(o->mtu, 100);
	cr_assert_eq(o->mps, 30);
	cr_assert(o->incoming);
	l2cap_outbox_clear(l);
	struct l2cap_chan *ch = l2cap_chan_find(l, H, 0x40);
	cr_assert_not_null(ch);
	cr_assert_eq(ch->remote_cid, 0x50);
	cr_assert_eq(ch->tx_credits, 5);
	/* The peer disconnects it: response, owner told. */
	IN(0x06, 0x42, 0x04, 0x00, 0x40, 0x00, 0x50, 0x00);
	expect_sig_at(0, B(0x07, 0x42, 0x04, 0x00, 0x40, 0x00, 0x50, 0x00));
	cr_assert_eq(l->out.n, 2);
	cr_assert_eq(l->out.v[1].kind, L2CAP_OUT_COC_CLOSED);
	cr_assert_eq(l->out.v[1].status, -ECONNRESET);
	l2cap_outbox_clear(l);
	cr_assert_null(l2cap_chan_find(l, H, 0x40));
}

Test(sig_central, disconnection_request_with_wrong_scid_is_discarded)
{
	cr_assert_eq(l2cap_coc_listen(l, 0x80, "app", &open_policy), 0);
	le_conn_req(0x41, 0x0050, 100, 30);
	l2cap_outbox_clear(l);
	IN(0x06, 0x42, 0x04, 0x00, 0x40, 0x00, 0x51, 0x00);
	expect_nothing();
	cr_assert_not_null(l2cap_chan_find(l, H, 0x40));
}

Test(sig_central, le_conn_request_every_refusal)
{
	/* 0x0002: nobody listens. */
	le_conn_req(1, 0x40, 100, 30);
	expect_le_refused(1, L2CAP_LE_SPSM_NOT_SUPPORTED);

	struct l2cap_coc_policy pol = open_policy;
	pol.sec_level = L2CAP_SEC_ENCRYPTED;
	cr_assert_eq(l2cap_coc_listen(l, 0x80, "app", &pol), 0);
	/* 0x0005: encryption needed, no key at all. */
	le_conn_req(2, 0x40, 100, 30);
	expect_le_refused(2, L2CAP_LE_INSUFFICIENT_AUTHENTICATION);
	/* 0x0008: a key exists but the link is not encrypted. */
	struct l2cap_security sec = { .ltk_present = true };
	cr_assert_eq(l2cap_link_set_security(l, H, &sec), 0);
	le_conn_req(3, 0x40, 100, 30);
	expect_le_refused(3, L2CAP_LE_INSUFFICIENT_ENCRYPTION);
	/* 0x0005: authenticated (MITM) needed, the key is unauthenticated. */
	pol.sec_level = L2CAP_SEC_AUTHENTICATED;
	cr_assert_eq(l2cap_coc_listen(l, 0x80, "app", &pol), 0);
	sec = (struct l2cap_security){ .encrypted = true, .key_size = 16, .ltk_present = true };
	cr_assert_eq(l2cap_link_set_security(l, H, &sec), 0);
	le_conn_req(4, 0x40, 100, 30);
	expect_le_refused(4, L2CAP_LE_INSUFFICIENT_AUTHENTICATION);
	/* 0x0007: key of 7 bytes, 16 needed. */
	pol.min_key_size = 16;
	cr_assert_eq(l2cap_coc_listen(l, 0x80, "app", &pol), 0);
	sec = (struct l2cap_security){ .encrypted = true, .authenticated = true, .key_size = 7 };
	cr_assert_eq(l2cap_link_set_security(l, H, &sec), 0);
	le_conn_req(5, 0x40, 100, 30);
	expect_le_refused(5, L2CAP_LE_KEY_SIZE_TOO_SHORT);
	/* 0x0006: authorization needed. */
	pol.need_authorization = true;
	cr_assert_eq(l2cap_coc_listen(l, 0x80, "app", &pol), 0);
	sec.key_size = 16;
	cr_assert_eq(l2cap_link_set_security(l, H, &sec), 0);
	le_conn_req(6, 0x40, 100, 30);
	expect_le_refused(6, L2CAP_LE_INSUFFICIENT_AUTHORIZATION);
	sec.authorized = true;
	cr_assert_eq(l2cap_link_set_security(l, H, &sec), 0);

	/* 0x0009: SCID outside the dynamic range. */
	le_conn_req(7, 0x0004, 100, 30);
	expect_le_refused(7, L2CAP_LE_INVALID_SOURCE_CID);
	le_conn_req(8, 0x0080, 100, 30);
	expect_le_refused(8, L2CAP_LE_INVALID_SOURCE_CID);
	/* 0x000B: MTU 22, MPS 22, MPS 65534. */
	le_conn_req(9, 0x40, 22, 30);
	expect_le_refused(9, L2CAP_LE_UNACCEPTABLE_PARAMETERS);
	le_conn_req(10, 0x40, 100, 22);
	expect_le_refused(10, L2CAP_LE_UNACCEPTABLE_PARAMETERS);
	le_conn_req(11, 0x40, 100, 65534);
	expect_le_refused(11, L2CAP_LE_UNACCEPTABLE_PARAMETERS);
	/* Accepted, then 0x000A: the same SCID again. */
	le_conn_req(12, 0x40, 23, 23);
	expect_sig_at(0, B(0x15, 12, 0x0a, 0x00, 0x40, 0x00, 0x00, 0x02, 0x40, 0x00, 0x08, 0x00,
			   0x00, 0x00));
	l2cap_outbox_clear(l);
	le_conn_req(13, 0x40, 100, 30);
	expect_le_refused(13, L2CAP_LE_SOURCE_CID_ALREADY_ALLOCATED);
	/* 0x0004: the listener takes one channel per link. */
	pol.max_channels = 1;
	cr_assert_eq(l2cap_coc_listen(l, 0x80, "app", &pol), 0);
	le_conn_req(14, 0x41, 100, 30);
	expect_le_refused(14, L2CAP_LE_NO_RESOURCES);
}

Test(sig_central, le_conn_request_no_free_cid)
{
	cr_assert_eq(l2cap_coc_listen(l, 0x80, "app", &open_policy), 0);
	for (unsigned i = 0; i < L2CAP_CHAN_MAX; i++) {
		le_conn_req((uint8_t)(i + 1), (uint16_t)(0x40 + i), 100, 30);
		cr_assert_eq(l->out.v[0].data[4 + 12], 0, "channel %u refused", i);
		l2cap_outbox_clear(l);
	}
	/* The 65th is refused for want of a local CID: every peer SCID is taken
	 * as well, so free one pair by a disconnection and take it again. */
	IN(0x06, 0x70, 0x04, 0x00, 0x41, 0x00, 0x41, 0x00);
	l2cap_outbox_clear(l);
	le_conn_req(0x72, 0x41, 100, 30);
	cr_assert_eq(l->out.v[0].data[4 + 12], 0);
	l2cap_outbox_clear(l);
	le_conn_req(0x73, 0x41, 100, 30);
	cr_assert_eq(l->out.v[0].data[4 + 12], L2CAP_LE_SOURCE_CID_ALREADY_ALLOCATED);
	l2cap_outbox_clear(l);
	IN(0x06, 0x70, 0x04, 0x00, 0x40, 0x00, 0x40, 0x00);
	l2cap_outbox_clear(l);
	le_conn_req(0x71, 0x40, 100, 30);
	cr_assert_eq(l->out.v[0].data[4 + 12], 0);
	l2cap_outbox_clear(l);
	/* Now every local CID is used: an outgoing connect has none. */
	struct l2cap_coc_params rx = { 100, 50, 4 };
	cr_assert_eq(l2cap_coc_connect(l, H, 0x81, "app", &rx, 1, now), -ENOSPC);
}

Test(sig_central, ecred_request_refused_whole)
{
	/* Nobody listens: SPSM not supported, the one DCID 0. */
	IN(0x17, 0x51, 0x0a, 0x00, 0x80, 0x00, 0x40, 0x00, 0x40, 0x00, 0x05, 0x00, 0x40, 0x00);
	OUT(0x18, 0x51, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00);
	cr_assert_eq(l2cap_coc_listen(l, 0x80, "app", &open_policy), 0);
	/* MTU 63, then MPS 63: invalid parameters, every DCID 0. */
	IN(0x17, 0x52, 0x0c, 0x00, 0x80, 0x00, 0x3f, 0x00, 0x40, 0x00, 0x05, 0x00, 0x40, 0x00,
	   0x41, 0x00);
	OUT(0x18, 0x52, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,
	    0x00, 0x00);
	IN(0x17, 0x53, 0x0a, 0x00, 0x80, 0x00, 0x40, 0x00, 0x3f, 0x00, 0x05, 0x00, 0x40, 0x00);
	OUT(0x18, 0x53, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00);
	/* Encryption demanded, none there: insufficient authentication. */
	struct l2cap_coc_policy pol = open_policy;
	pol.sec_level = L2CAP_SEC_ENCRYPTED;
	cr_assert_eq(l2cap_coc_listen(l, 0x81, "app", &pol), 0);
	IN(0x17, 0x54, 0x0a, 0x00, 0x81, 0x00, 0x40, 0x00, 0x40, 0x00, 0x05, 0x00, 0x40, 0x00);
	OUT(0x18, 0x54, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00);
	expect_nothing();
	cr_assert_null(l2cap_chan_find(l, H, 0x40));
}

Test(sig_central, ecred_request_judged_per_cid)
{
	cr_assert_eq(l2cap_coc_listen(l, 0x80, "app", &open_policy), 0);
	/* SCIDs 0x0050 (fine), 0x0004 (invalid), 0x0050 again (already allocated). */
	IN(0x17, 0x61, 0x0e, 0x00, 0x80, 0x00, 0x64, 0x00, 0x40, 0x00, 0x05, 0x00, 0x50, 0x00,
	   0x04, 0x00, 0x50, 0x00);
	expect_sig_at(0, B(0x18, 0x61, 0x0e, 0x00, 0x00, 0x02, 0x40, 0x00, 0x08, 0x00, 0x0a, 0x00,
			   0x40, 0x00, 0x00, 0x00, 0x00, 0x00));
	cr_assert_eq(l->out.n, 2);
	cr_assert_eq(l->out.v[1].kind, L2CAP_OUT_COC_OPENED);
	cr_assert_eq(l->out.v[1].cid, 0x40);
	cr_assert_eq(l->out.v[1].mtu, 100);
	l2cap_outbox_clear(l);
	/* Two more, all fine. */
	IN(0x17, 0x62, 0x0c, 0x00, 0x80, 0x00, 0x64, 0x00, 0x40, 0x00, 0x05, 0x00, 0x51, 0x00,
	   0x52, 0x00);
	expect_sig_at(0, B(0x18, 0x62, 0x0c, 0x00, 0x00, 0x02, 0x40, 0x00, 0x08, 0x00, 0x00, 0x00,
			   0x41, 0x00, 0x42, 0x00));
	l2cap_outbox_clear(l);

	/* Reconfigure, by the peer's CIDs: MTU 128 on one channel. */
	IN(0x19, 0x63, 0x06, 0x00, 0x80, 0x00, 0x40, 0x00, 0x50, 0x00);
	OUT(0x1a, 0x63, 0x02, 0x00, 0x00, 0x00);
	cr_assert_eq(l2cap_chan_find(l, H, 0x40)->peer_mtu, 128);
	/* A smaller MTU: refused. */
	IN(0x19, 0x64, 0x06, 0x00, 0x7f, 0x00, 0x40, 0x00, 0x50, 0x00);
	OUT(0x1a, 0x64, 0x02, 0x00, 0x01, 0x00);
	/* MPS up on two channels; then down on both at once: refused; on one: fine. */
	IN(0x19, 0x65, 0x08, 0x00, 0x80, 0x00, 0x41, 0x00, 0x51, 0x00, 0x52, 0x00);
	OUT(0x1a, 0x65, 0x02, 0x00, 0x00, 0x00);
	IN(0x19, 0x66, 0x08, 0x00, 0x80, 0x00, 0x40, 0x00, 0x51, 0x00, 0x52, 0x00);
	OUT(0x1a, 0x66, 0x02, 0x00, 0x02, 0x00);
	IN(0x19, 0x67, 0x06, 0x00, 0x80, 0x00, 0x40, 0x00, 0x51, 0x00);
	OUT(0x1a, 0x67, 0x02, 0x00, 0x00, 0x00);
	/* An unknown CID; MTU below 64. */
	IN(0x19, 0x68, 0x06, 0x00, 0x80, 0x00, 0x40, 0x00, 0x5f, 0x00);
	OUT(0x1a, 0x68, 0x02, 0x00, 0x03, 0x00);
	IN(0x19, 0x69, 0x06, 0x00, 0x3f, 0x00, 0x40, 0x00, 0x50, 0x00);
	OUT(0x1a, 0x69, 0x02, 0x00, 0x04, 0x00);
}

Test(sig_central, reconfigure_of_le_channel_is_invalid_dcid)
{
	cr_assert_eq(l2cap_coc_listen(l, 0x80, "app", &open_policy), 0);
	le_conn_req(0x41, 0x0050, 100, 30);
	l2cap_outbox_clear(l);
	IN(0x19, 0x42, 0x06, 0x00, 0x80, 0x00, 0x40, 0x00, 0x50, 0x00);
	OUT(0x1a, 0x42, 0x02, 0x00, 0x03, 0x00);
}

Test(sig_central, oversized_with_ident_zero_is_dropped)
{
	uint8_t big[27] = { 0x05, 0x00, 0x17, 0x00 };
	sig_in(big, sizeof big);
	expect_nothing();
}

/* ---- fixed channels --------------------------------------------------------------- */

static void frame_in(uint16_t cid, const uint8_t *p, size_t n)
{
	uint8_t f[64];
	f[0] = (uint8_t)n;
	f[1] = (uint8_t)(n >> 8);
	f[2] = (uint8_t)cid;
	f[3] = (uint8_t)(cid >> 8);
	memcpy(f + 4, p, n);
	l2cap_on_frame(l, H, f, n + 4, now);
}

Test(fixed, default_routes)
{
	frame_in(0x0004, B(0x0a, 0x01, 0x00));
	frame_in(0x0006, B(0x01, 0x03, 0x00, 0x01, 0x10, 0x07, 0x07));
	frame_in(0x0007, B(0x05));
	cr_assert_eq(l->out.n, 3);
	cr_assert_eq(l->out.v[0].kind, L2CAP_OUT_PDU);
	cr_assert_str_eq(l->out.v[0].dest, "gatt");
	cr_assert_eq(l->out.v[0].cid, 4);
	cr_assert_eq(l->out.v[0].len, 3);
	cr_assert_eq(memcmp(l->out.v[0].data, (uint8_t[]){ 0x0a, 0x01, 0x00 }, 3), 0);
	cr_assert_str_eq(l->out.v[1].dest, "smp");
	cr_assert_eq(l->out.v[1].len, 7);
	cr_assert_str_eq(l->out.v[2].dest, "smp");
	cr_assert_eq(l->out.v[2].cid, 7);
}

Test(fixed, unserved_cid_is_counted_dropped)
{
	frame_in(0x0003, B(0x01));
	frame_in(0x003f, B(0x01));
	expect_nothing();
	cr_assert_eq(l->fixed.dropped, 2);
	cr_assert_eq(l->fixed.last_dropped_cid, 0x003f);
	/* A K-frame for no channel is counted too. */
	frame_in(0x0040, B(0x01, 0x00, 0xaa));
	expect_nothing();
	cr_assert_eq(l->st.kframes_dropped, 1);
}

Test(fixed, register_and_unregister)
{
	cr_assert_eq(l2cap_fixed_register(&l->fixed, 0x0003, "custom"), 0);
	frame_in(0x0003, B(0x01));
	cr_assert_eq(l->out.n, 1);
	cr_assert_str_eq(l->out.v[0].dest, "custom");
	l2cap_outbox_clear(l);
	/* Replacing an owner, removing one, and what cannot be registered. */
	cr_assert_eq(l2cap_fixed_register(&l->fixed, 0x0004, "gatt2"), 0);
	cr_assert_str_eq(l2cap_fixed_owner(&l->fixed, 0x0004), "gatt2");
	cr_assert_eq(l2cap_fixed_unregister(&l->fixed, 0x0004, "gatt"), -ENOENT);
	cr_assert_eq(l2cap_fixed_unregister(&l->fixed, 0x0004, "gatt2"), 0);
	cr_assert_null(l2cap_fixed_owner(&l->fixed, 0x0004));
	frame_in(0x0004, B(0x0a, 0x01, 0x00));
	expect_nothing();
	cr_assert_eq(l2cap_fixed_register(&l->fixed, 0x0005, "x"), -EINVAL);
	cr_assert_eq(l2cap_fixed_register(&l->fixed, 0x0000, "x"), -EINVAL);
	cr_assert_eq(l2cap_fixed_register(&l->fixed, 0x0040, "x"), -EINVAL);
	cr_assert_eq(l2cap_fixed_register(&l->fixed, 0x0003, "bad name"), -EINVAL);
	cr_assert_eq(l2cap_fixed_register(&l->fixed, 0x0003, ""), -EINVAL);
	cr_assert_eq(l2cap_fixed_forget(&l->fixed, "smp"), 2);
	cr_assert_null(l2cap_fixed_owner(&l->fixed, 0x0006));
	/* The table fills up. */
	int rc = 0;
	for (uint16_t cid = 0x0008; cid < 0x0040 && rc == 0; cid++)
		rc = l2cap_fixed_register(&l->fixed, cid, "many");
	cr_assert_eq(rc, -ENOSPC);
}

Test(fixed, send_fixed_frames)
{
	cr_assert_eq(l2cap_send_fixed(l, H, 0x0004, B(0x0b, 0x01)), 0);
	cr_assert_eq(l->out.n, 1);
	cr_assert_eq(l->out.v[0].kind, L2CAP_OUT_FRAME);
	cr_assert_eq(l->out.v[0].len, 6);
	cr_assert_eq(memcmp(l->out.v[0].data, (uint8_t[]){ 0x02, 0x00, 0x04, 0x00, 0x0b, 0x01 }, 6),
		     0);
	cr_assert_eq(l2cap_send_fixed(l, H, 0x0005, B(0x01)), -EINVAL);
	cr_assert_eq(l2cap_send_fixed(l, H, 0x0041, B(0x01)), -EINVAL);
	cr_assert_eq(l2cap_send_fixed(l, 0x77, 0x0004, B(0x01)), -ENOENT);
}

Test(fixed, unknown_link_and_malformed_frames)
{
	uint8_t f[] = { 0x01, 0x00, 0x04, 0x00, 0x0a };
	l2cap_on_frame(l, 0x99, f, sizeof f, now);
	cr_assert_eq(l->st.unknown_handle, 1);
	l2cap_on_frame(l, H, f, sizeof f - 1, now);
	l2cap_on_frame(l, H, f, 3, now);
	cr_assert_eq(l->st.malformed_frames, 2);
	expect_nothing();
	cr_assert_eq(l2cap_link_add(l, H, L2CAP_ROLE_CENTRAL), -EEXIST);
}
