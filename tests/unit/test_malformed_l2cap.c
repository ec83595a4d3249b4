/* Malformed L2CAP frames, signaling and K-frames through a real hive-l2cap
 * process (peripheral on link 0x40): the test plays host (frames in and
 * out), gatt and smp (the fixed channels' owners) and app (a listener on
 * SPSM 0x80 with MTU 100, MPS 50, 4 credits). Each case checks the exact
 * reaction of the Core specification (Vol 3 Part A) and that l2cap then
 * still routes an ATT frame to gatt. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "malformed_util.h"

#define H 0x40
#define SPSM 0x80
#define PEER_CID 0x0040

static char *dir;
static struct mu_peer *host, *gatt, *smp, *app;
static uint64_t next_id = 1;

static uint64_t l2cap_request(Hive__L2capRequest *q)
{
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = next_id++;
	r.op_case = HIVE__REQUEST__OP_L2CAP;
	r.l2cap = q;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &r;
	mu_send(app, "l2cap", &env);
	return r.id;
}

static const Hive__Result *result_of(uint64_t id)
{
	for (;;) {
		const Hive__Envelope *e = mu_take(app, HIVE__ENVELOPE__BODY_RESULT, "result");
		if (e->result->id == id)
			return e->result;
	}
}

static const Hive__L2capStats *stats(void)
{
	Hive__L2capTableQuery tq = HIVE__L2CAP_TABLE_QUERY__INIT;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_TABLE;
	q.table = &tq;
	const Hive__Result *r = result_of(l2cap_request(&q));
	cr_assert_eq(r->status, 0);
	cr_assert_eq(r->value_case, HIVE__RESULT__VALUE_L2CAP);
	cr_assert_eq(r->l2cap->value_case, HIVE__L2CAP_RESULT__VALUE_TABLE);
	return r->l2cap->table->stats;
}

static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	char blog[600];
	snprintf(blog, sizeof blog, "%s/broker.log", dir);
	cr_assert_gt(th_start_broker_log(dir, NULL, blog), 0);
	host = mu_peer_new(dir, "host");
	gatt = mu_peer_new(dir, "gatt");
	smp = mu_peer_new(dir, "smp");
	app = mu_peer_new(dir, "app");
	mu_spawn(dir, "hive-l2cap", "l2cap", NULL);
	cr_assert(mu_wait_ready(app, "l2cap", TH_DEADLINE_MS), "l2cap not ready (log %s/l2cap.log)",
		  dir);
	Hive__L2capCocParams rx = HIVE__L2CAP_COC_PARAMS__INIT;
	rx.mtu = 100;
	rx.mps = 50;
	rx.credits = 4;
	Hive__L2capListen ls = HIVE__L2CAP_LISTEN__INIT;
	ls.spsm = SPSM;
	ls.rx = &rx;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_LISTEN;
	q.listen = &ls;
	cr_assert_eq(result_of(l2cap_request(&q))->status, 0);
	mu_send_link(host, "l2cap", H, true, false);
}

static void teardown(void)
{
	mu_peers_free();
	th_cleanup();
	free(dir);
}

TestSuite(malformed_l2cap, .init = setup, .fini = teardown, .timeout = 60);

static void send_frame(const uint8_t *b, size_t len)
{
	mu_send_frame(host, "l2cap", H, b, len);
}

/* The next frame l2cap sent to host (its bytes copied into out). */
static size_t take_frame(uint8_t *out, size_t cap)
{
	const Hive__Envelope *e = mu_take(host, HIVE__ENVELOPE__BODY_L2CAP, "frame to host");
	cr_assert_eq(e->l2cap->handle, H);
	size_t n = e->l2cap->data.len < cap ? e->l2cap->data.len : cap;
	memcpy(out, e->l2cap->data.data, n);
	return n;
}

static void expect_frame(const uint8_t *want, size_t len)
{
	uint8_t got[600];
	size_t n = take_frame(got, sizeof got);
	mu_expect_bytes("frame to host", got, n, want, len);
}

/* l2cap still routes: an ATT Read Request reaches gatt, whole. */
static void still_serves(void)
{
	send_frame(MU_BYTES(0x03, 0x00, 0x04, 0x00, 0x0a, 0x01, 0x00));
	const Hive__Envelope *e = mu_take(gatt, HIVE__ENVELOPE__BODY_PDU, "ATT PDU");
	cr_assert_eq(e->pdu->handle, H);
	cr_assert_eq(e->pdu->cid, 4);
	mu_expect_bytes("ATT PDU", e->pdu->payload.data, e->pdu->payload.len,
			MU_BYTES(0x0a, 0x01, 0x00));
	mu_expect_silence(host, HIVE__ENVELOPE__BODY_L2CAP, MU_SILENCE_MS);
}

/* A frame dropped and counted as malformed: nothing goes anywhere. */
static void dropped_as_malformed(const uint8_t *b, size_t len)
{
	send_frame(b, len);
	still_serves();
	cr_assert_eq(gatt->n, 1, "the malformed frame reached gatt");
	cr_assert_eq(stats()->malformed_frames, 1);
}

Test(malformed_l2cap, basic_header_length_longer_than_the_data)
{
	dropped_as_malformed(MU_BYTES(0x05, 0x00, 0x04, 0x00, 0x0a, 0x01, 0x00));
}

Test(malformed_l2cap, basic_header_length_shorter_than_the_data)
{
	dropped_as_malformed(MU_BYTES(0x02, 0x00, 0x04, 0x00, 0x0a, 0x01, 0x00));
}

Test(malformed_l2cap, frame_shorter_than_the_basic_header)
{
	dropped_as_malformed(MU_BYTES(0x03, 0x00, 0x04));
}

/* A fixed CID nobody serves: discarded. */
Test(malformed_l2cap, frame_on_an_unassigned_fixed_cid)
{
	send_frame(MU_BYTES(0x01, 0x00, 0x3e, 0x00, 0xaa));
	still_serves();
	cr_assert_eq(stats()->fixed_dropped, 1);
}

/* A K-frame on a dynamic CID that is not open: discarded. */
Test(malformed_l2cap, kframe_on_a_closed_channel)
{
	send_frame(MU_BYTES(0x03, 0x00, 0x55, 0x00, 0x01, 0x00, 0xaa));
	still_serves();
	cr_assert_eq(stats()->kframes_dropped, 1);
}

/* An unknown signaling code: Command Reject, Command not understood. */
Test(malformed_l2cap, unknown_signaling_code)
{
	send_frame(MU_BYTES(0x04, 0x00, 0x05, 0x00, 0x3f, 0x07, 0x00, 0x00));
	expect_frame(MU_BYTES(0x06, 0x00, 0x05, 0x00, 0x01, 0x07, 0x02, 0x00, 0x00, 0x00));
	still_serves();
}

/* A signaling length longer than the bytes: the C-frame is dropped. */
Test(malformed_l2cap, signaling_length_longer_than_the_data)
{
	send_frame(MU_BYTES(0x08, 0x00, 0x05, 0x00, 0x06, 0x07, 0x08, 0x00, 0x40, 0x00, 0x40,
			    0x00));
	mu_expect_silence(host, HIVE__ENVELOPE__BODY_L2CAP, MU_SILENCE_MS);
	still_serves();
	cr_assert_eq(stats()->sig_malformed, 1);
}

/* A signaling command with identifier 0: dropped. */
Test(malformed_l2cap, signaling_identifier_0)
{
	send_frame(MU_BYTES(0x08, 0x00, 0x05, 0x00, 0x06, 0x00, 0x04, 0x00, 0x40, 0x00, 0x40,
			    0x00));
	mu_expect_silence(host, HIVE__ENVELOPE__BODY_L2CAP, MU_SILENCE_MS);
	still_serves();
	cr_assert_eq(stats()->sig_malformed, 1);
}

/* A Disconnection Request of a short length: Command not understood. */
Test(malformed_l2cap, truncated_disconnection_request)
{
	send_frame(MU_BYTES(0x06, 0x00, 0x05, 0x00, 0x06, 0x09, 0x02, 0x00, 0x40, 0x00));
	expect_frame(MU_BYTES(0x06, 0x00, 0x05, 0x00, 0x01, 0x09, 0x02, 0x00, 0x00, 0x00));
	still_serves();
}

/* A Disconnection Request for a CID not open: Command Reject, Invalid
 * CID in request, with the CIDs (4.1). */
Test(malformed_l2cap, disconnection_request_for_an_unknown_cid)
{
	send_frame(MU_BYTES(0x08, 0x00, 0x05, 0x00, 0x06, 0x0a, 0x04, 0x00, 0x77, 0x00, 0x40,
			    0x00));
	expect_frame(MU_BYTES(0x0a, 0x00, 0x05, 0x00, 0x01, 0x0a, 0x06, 0x00, 0x02, 0x00, 0x77,
			      0x00, 0x40, 0x00));
	still_serves();
}

/* The peripheral does not take a Connection Parameter Update Request. */
Test(malformed_l2cap, conn_param_update_request_at_the_peripheral)
{
	send_frame(MU_BYTES(0x0c, 0x00, 0x05, 0x00, 0x12, 0x0b, 0x08, 0x00, 0x18, 0x00, 0x28,
			    0x00, 0x00, 0x00, 0xf4, 0x01));
	expect_frame(MU_BYTES(0x06, 0x00, 0x05, 0x00, 0x01, 0x0b, 0x02, 0x00, 0x00, 0x00));
	still_serves();
}

/* A Credit Indication for a CID that is not open: ignored. */
Test(malformed_l2cap, credit_indication_for_an_unknown_cid)
{
	send_frame(MU_BYTES(0x08, 0x00, 0x05, 0x00, 0x16, 0x0c, 0x04, 0x00, 0x77, 0x00, 0x01,
			    0x00));
	mu_expect_silence(host, HIVE__ENVELOPE__BODY_L2CAP, MU_SILENCE_MS);
	still_serves();
	cr_assert_eq(stats()->sig_unexpected, 1);
}

/* LE Credit Based Connection Request from the peer; returns the response
 * result and, on success, the local CID (*dcid). */
static uint16_t le_connect(uint8_t ident, uint16_t spsm, uint16_t scid, uint16_t mps,
			   uint16_t credits, uint16_t *dcid)
{
	uint8_t req[] = { 0x0e,
			  0x00,
			  0x05,
			  0x00,
			  0x14,
			  ident,
			  0x0a,
			  0x00,
			  (uint8_t)spsm,
			  (uint8_t)(spsm >> 8),
			  (uint8_t)scid,
			  (uint8_t)(scid >> 8),
			  0x00,
			  0x01,
			  (uint8_t)mps,
			  (uint8_t)(mps >> 8),
			  (uint8_t)credits,
			  (uint8_t)(credits >> 8) };
	send_frame(req, sizeof req);
	uint8_t b[64];
	size_t n = take_frame(b, sizeof b);
	cr_assert_eq(n, 18);
	cr_assert_eq(b[4], 0x15);
	cr_assert_eq(b[5], ident);
	uint16_t result = (uint16_t)(b[16] | b[17] << 8);
	if (dcid)
		*dcid = (uint16_t)(b[8] | b[9] << 8);
	if (result == 0) {
		/* MTU 100, MPS 50, 4 credits. */
		mu_expect_bytes("response parameters", b + 10, 6,
				MU_BYTES(0x64, 0x00, 0x32, 0x00, 0x04, 0x00));
	} else {
		mu_expect_bytes("refusal", b + 8, 8,
				MU_BYTES(0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00));
	}
	return result;
}

/* A channel open, from the peer, with these initial credits. */
static uint16_t open_channel(uint16_t credits)
{
	uint16_t dcid = 0;
	cr_assert_eq(le_connect(0x20, SPSM, PEER_CID, 100, credits, &dcid), 0);
	const Hive__Envelope *e = mu_take(app, HIVE__ENVELOPE__BODY_L2CAP_EVENT, "opened");
	cr_assert_eq(e->l2cap_event->kind_case, HIVE__L2CAP_EVENT__KIND_OPENED);
	cr_assert_eq(e->l2cap_event->opened->channel->cid, dcid);
	return dcid;
}

/* The channel broke the protocol: l2cap disconnects it (Disconnection
 * Request with both CIDs) and tells the owner -EPROTO. */
static void expect_violation(uint16_t dcid)
{
	uint8_t b[64];
	size_t n = take_frame(b, sizeof b);
	uint8_t want[] = { 0x08, 0x00, 0x05, 0x00, 0x06, b[5], 0x04, 0x00,
			   PEER_CID & 0xff, PEER_CID >> 8, (uint8_t)dcid, (uint8_t)(dcid >> 8) };
	mu_expect_bytes("Disconnection Request", b, n, want, sizeof want);
	const Hive__Envelope *e = mu_take(app, HIVE__ENVELOPE__BODY_L2CAP_EVENT, "closed");
	cr_assert_eq(e->l2cap_event->kind_case, HIVE__L2CAP_EVENT__KIND_CLOSED);
	cr_assert_eq(e->l2cap_event->closed->cid, dcid);
	cr_assert_eq(e->l2cap_event->closed->status, -EPROTO);
	/* The peer answers; the channel is gone. */
	uint8_t rsp[] = { 0x08, 0x00, 0x05, 0x00, 0x07, b[5], 0x04, 0x00,
			  want[8], want[9], want[10], want[11] };
	send_frame(rsp, sizeof rsp);
	still_serves();
	cr_assert_eq(stats()->coc_violations, 1);
}

Test(malformed_l2cap, kframe_larger_than_mps)
{
	uint16_t dcid = open_channel(4);
	uint8_t k[4 + 51] = { 51, 0x00, (uint8_t)dcid, (uint8_t)(dcid >> 8) };
	send_frame(k, sizeof k);
	expect_violation(dcid);
}

Test(malformed_l2cap, sdu_longer_than_mtu)
{
	uint16_t dcid = open_channel(4);
	uint8_t k[4 + 2 + 10] = { 12, 0x00, (uint8_t)dcid, (uint8_t)(dcid >> 8), 101, 0x00 };
	send_frame(k, sizeof k);
	expect_violation(dcid);
}

Test(malformed_l2cap, kframes_longer_than_their_sdu)
{
	uint16_t dcid = open_channel(4);
	uint8_t k1[4 + 2 + 10] = { 12, 0x00, (uint8_t)dcid, (uint8_t)(dcid >> 8), 15, 0x00 };
	send_frame(k1, sizeof k1);
	uint8_t k2[4 + 10] = { 10, 0x00, (uint8_t)dcid, (uint8_t)(dcid >> 8) };
	send_frame(k2, sizeof k2);
	expect_violation(dcid);
}

Test(malformed_l2cap, le_credit_packet_past_65535)
{
	uint16_t dcid = open_channel(65535);
	uint8_t ind[] = { 0x08, 0x00, 0x05, 0x00, 0x16, 0x21, 0x04, 0x00,
			  PEER_CID & 0xff, PEER_CID >> 8, 0x01, 0x00 };
	send_frame(ind, sizeof ind);
	expect_violation(dcid);
}

/* A well-formed SDU over two K-frames reaches the owner whole. */
Test(malformed_l2cap, sdu_in_two_kframes_after_a_refusal)
{
	/* MPS 22 is below the minimum: Unacceptable Parameters (0x000B). */
	cr_assert_eq(le_connect(0x22, SPSM, PEER_CID, 22, 4, NULL), 0x000b);
	uint16_t dcid = open_channel(4);
	uint8_t k1[4 + 2 + 3] = { 5, 0x00, (uint8_t)dcid, (uint8_t)(dcid >> 8), 5, 0x00,
				  'h', 'i', 'v' };
	uint8_t k2[4 + 2] = { 2, 0x00, (uint8_t)dcid, (uint8_t)(dcid >> 8), 'e', '!' };
	send_frame(k1, sizeof k1);
	send_frame(k2, sizeof k2);
	const Hive__Envelope *e = mu_take(app, HIVE__ENVELOPE__BODY_L2CAP_EVENT, "sdu");
	cr_assert_eq(e->l2cap_event->kind_case, HIVE__L2CAP_EVENT__KIND_SDU);
	mu_expect_bytes("SDU", e->l2cap_event->sdu->sdu.data, e->l2cap_event->sdu->sdu.len,
			MU_BYTES('h', 'i', 'v', 'e', '!'));
	still_serves();
}

Test(malformed_l2cap, le_connection_request_for_an_spsm_nobody_serves)
{
	cr_assert_eq(le_connect(0x23, 0x0081, PEER_CID, 100, 4, NULL), 0x0002);
	still_serves();
}

Test(malformed_l2cap, le_connection_request_with_a_fixed_source_cid)
{
	cr_assert_eq(le_connect(0x24, SPSM, 0x0004, 100, 4, NULL), 0x0009);
	still_serves();
}

Test(malformed_l2cap, le_connection_request_with_a_source_cid_in_use)
{
	open_channel(4);
	cr_assert_eq(le_connect(0x25, SPSM, PEER_CID, 100, 4, NULL), 0x000a);
	still_serves();
}

/* A C-frame above MTUsig (23): Command Reject, Signaling MTU exceeded,
 * with our MTUsig. */
Test(malformed_l2cap, signaling_frame_above_mtu_sig)
{
	uint8_t f[4 + 24] = { 24, 0x00, 0x05, 0x00, 0x14, 0x05, 20, 0x00, 0x80, 0x00, 0x40, 0x00 };
	send_frame(f, sizeof f);
	expect_frame(MU_BYTES(0x08, 0x00, 0x05, 0x00, 0x01, 0x05, 0x04, 0x00, 0x01, 0x00, 0x17,
			      0x00));
	still_serves();
}

/* A Command Reject of no request of ours is never answered. */
Test(malformed_l2cap, unsolicited_command_reject)
{
	send_frame(MU_BYTES(0x06, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x02, 0x00, 0x00, 0x00));
	mu_expect_silence(host, HIVE__ENVELOPE__BODY_L2CAP, MU_SILENCE_MS);
	still_serves();
	cr_assert_eq(stats()->sig_unexpected, 1);
}

Test(malformed_l2cap, le_connection_request_with_mtu_22)
{
	uint8_t req[] = { 0x0e, 0x00, 0x05, 0x00, 0x14, 0x26, 0x0a, 0x00, SPSM, 0x00,
			  0x40, 0x00, 22,   0x00, 0x40, 0x00, 0x04, 0x00 };
	send_frame(req, sizeof req);
	expect_frame(MU_BYTES(0x0e, 0x00, 0x05, 0x00, 0x15, 0x26, 0x0a, 0x00, 0, 0, 0, 0, 0, 0,
			      0, 0, 0x0b, 0x00));
	still_serves();
}

/* A Disconnection Request whose source CID is not the channel's peer:
 * silently discarded (4.6), the channel stays open. */
Test(malformed_l2cap, disconnection_request_with_the_wrong_source_cid)
{
	uint16_t dcid = open_channel(4);
	uint8_t d[] = { 0x08, 0x00, 0x05, 0x00, 0x06, 0x27, 0x04, 0x00,
			(uint8_t)dcid, (uint8_t)(dcid >> 8), 0x41, 0x00 };
	send_frame(d, sizeof d);
	mu_expect_silence(host, HIVE__ENVELOPE__BODY_L2CAP, MU_SILENCE_MS);
	uint8_t k[4 + 2 + 2] = { 4, 0x00, (uint8_t)dcid, (uint8_t)(dcid >> 8), 2, 0x00, 'o', 'k' };
	send_frame(k, sizeof k);
	const Hive__Envelope *e = mu_take(app, HIVE__ENVELOPE__BODY_L2CAP_EVENT, "sdu");
	cr_assert_eq(e->l2cap_event->kind_case, HIVE__L2CAP_EVENT__KIND_SDU);
	still_serves();
}
