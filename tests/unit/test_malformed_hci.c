/* Malformed HCI events and ACL packets through a real hive-host process:
 * the test plays hci (the controller side), l2cap (frames and link events)
 * and app (HCI command requests). Each case sends what a broken or
 * hostile controller might, checks that the host drops it (or clamps it)
 * as the Core specification and its own robustness rules require, and
 * that it then still serves: a command requested by the app goes out and
 * its Command Complete comes back as a Result, and ACL data still flows. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "malformed_util.h"

#define CMD HIVE__HCI_PACKET__TYPE__COMMAND
#define ACLT HIVE__HCI_PACKET__TYPE__ACL
#define EVT HIVE__HCI_PACKET__TYPE__EVENT

static char *dir;
static struct mu_peer *hci, *l2cap, *app;
static uint64_t next_id = 1;

#define EVENT(...) mu_send_hci(hci, "host", EVT, MU_BYTES(__VA_ARGS__))
#define ACL(...) mu_send_hci(hci, "host", ACLT, MU_BYTES(__VA_ARGS__))
#define EXPECT_CMD(...) expect_hci(CMD, MU_BYTES(__VA_ARGS__))
#define EXPECT_ACL(...) expect_hci(ACLT, MU_BYTES(__VA_ARGS__))

/* The next HCI packet the host sent must be exactly this. */
static void expect_hci(int type, const uint8_t *want, size_t len)
{
	const Hive__Envelope *e = mu_take(hci, HIVE__ENVELOPE__BODY_HCI, "HCI packet");
	cr_assert_eq((int)e->hci->type, type, "HCI packet of type %d, want %d", e->hci->type, type);
	mu_expect_bytes("HCI packet", e->hci->data.data, e->hci->data.len, want, len);
}

/* Nothing to the controller, nothing to l2cap, for MU_SILENCE_MS. */
static void silence(void)
{
	size_t l = l2cap->n, a = app->n;
	mu_expect_silence(hci, HIVE__ENVELOPE__BODY_HCI, MU_SILENCE_MS);
	cr_assert_eq(l2cap->n, l, "l2cap got %zu unexpected message(s)", l2cap->n - l);
	cr_assert_eq(app->n, a, "app got %zu unexpected message(s)", app->n - a);
}

static uint64_t request_command(uint16_t opcode)
{
	Hive__HciCommand c = HIVE__HCI_COMMAND__INIT;
	c.opcode = opcode;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = next_id++;
	r.op_case = HIVE__REQUEST__OP_HCI_COMMAND;
	r.hci_command = &c;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &r;
	mu_send(app, "host", &env);
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

/* The host still serves a command: Read Local Version Information. */
static void still_serves(void)
{
	uint64_t id = request_command(0x1001);
	EXPECT_CMD(0x01, 0x10, 0x00);
	EVENT(0x0e, 0x0c, 0x01, 0x01, 0x10, 0x00, 0x0c, 0x00, 0x00, 0x0c, 0xff, 0xff, 0x00, 0x00);
	const Hive__Result *r = result_of(id);
	cr_assert_eq(r->status, 0, "status %d: %s", r->status, r->error);
	cr_assert_eq(r->value_case, HIVE__RESULT__VALUE_HCI_COMMAND);
	cr_assert_eq(r->hci_command->return_params.len, 8);
}

/* The whole start-up, answered with LE buffers of 27 bytes x 2. */
static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	char blog[600];
	snprintf(blog, sizeof blog, "%s/broker.log", dir);
	cr_assert_gt(th_start_broker_log(dir, NULL, blog), 0);
	hci = mu_peer_new(dir, "hci");
	l2cap = mu_peer_new(dir, "l2cap");
	app = mu_peer_new(dir, "app");
	const char *sets[] = { "cmd_timeout_ms=2000", NULL };
	mu_spawn(dir, "hive-host", "host", sets);
	EXPECT_CMD(0x03, 0x0c, 0x00); /* Reset */
	EVENT(0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00);
	EXPECT_CMD(0x01, 0x10, 0x00); /* Read Local Version Information */
	EVENT(0x0e, 0x0c, 0x01, 0x01, 0x10, 0x00, 0x0c, 0x00, 0x00, 0x0c, 0xff, 0xff, 0x00, 0x00);
	EXPECT_CMD(0x02, 0x10, 0x00); /* Read Local Supported Commands */
	uint8_t cmds[3 + 2 + 1 + 64] = { 0x0e, 68, 0x01, 0x02, 0x10, 0x00 };
	mu_send_hci(hci, "host", EVT, cmds, sizeof cmds);
	EXPECT_CMD(0x03, 0x10, 0x00); /* Read Local Supported Features */
	EVENT(0x0e, 0x0c, 0x01, 0x03, 0x10, 0x00, 0, 0, 0, 0, 0, 0x60, 0, 0);
	EXPECT_CMD(0x03, 0x20, 0x00); /* LE Read Local Supported Features */
	EVENT(0x0e, 0x0c, 0x01, 0x03, 0x20, 0x00, 0x20, 0x01, 0, 0, 0, 0, 0, 0);
	EXPECT_CMD(0x09, 0x10, 0x00); /* Read BD_ADDR */
	EVENT(0x0e, 0x0a, 0x01, 0x09, 0x10, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06);
	EXPECT_CMD(0x02, 0x20, 0x00); /* LE Read Buffer Size */
	EVENT(0x0e, 0x07, 0x01, 0x02, 0x20, 0x00, 0x1b, 0x00, 0x02);
	EXPECT_CMD(0x01, 0x0c, 0x08, 0x90, 0x80, 0x00, 0x02, 0x00, 0x80, 0x00, 0x20);
	EVENT(0x0e, 0x04, 0x01, 0x01, 0x0c, 0x00);
	EXPECT_CMD(0x01, 0x20, 0x08, 0x5f, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EVENT(0x0e, 0x04, 0x01, 0x01, 0x20, 0x00);
	cr_assert(mu_wait_ready(app, "host", TH_DEADLINE_MS), "host not ready (log %s/host.log)",
		  dir);
}

static void teardown(void)
{
	mu_peers_free();
	th_cleanup();
	free(dir);
}

TestSuite(malformed_hci, .init = setup, .fini = teardown, .timeout = 60);

/* LE Connection Complete: handle 0x0040, peripheral, peer random
 * 11:22:33:44:55:66; l2cap hears of it. */
static void connect_0040(void)
{
	EVENT(0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, 0x01, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
	      0x28, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00);
	const Hive__Envelope *e = mu_take(l2cap, HIVE__ENVELOPE__BODY_LINK, "connected");
	cr_assert_eq(e->link->kind_case, HIVE__LINK_EVENT__KIND_CONNECTED);
	cr_assert_eq(e->link->handle, 0x40);
}

/* A well-formed ACL frame of link 0x40 reaches l2cap whole. */
static void acl_still_flows(void)
{
	ACL(0x40, 0x20, 0x07, 0x00, 0x03, 0x00, 0x04, 0x00, 0x0a, 0x03, 0x00);
	const Hive__Envelope *e = mu_take(l2cap, HIVE__ENVELOPE__BODY_L2CAP, "frame");
	cr_assert_eq(e->l2cap->handle, 0x40);
	mu_expect_bytes("frame to l2cap", e->l2cap->data.data, e->l2cap->data.len,
			MU_BYTES(0x03, 0x00, 0x04, 0x00, 0x0a, 0x03, 0x00));
}

/* Sends an L2CAP frame of n bytes (n >= 4) from l2cap on link 0x40. */
static void frame_out(uint8_t tag, size_t n)
{
	uint8_t f[64] = { (uint8_t)(n - 4), 0x00, 0x04, 0x00 };
	cr_assert_leq(n, sizeof f);
	memset(f + 4, tag, n - 4);
	mu_send_frame(l2cap, "host", 0x40, f, n);
}

/* The ACL packet of a whole frame of n <= 27 bytes sent by frame_out. */
static void expect_frame_acl(uint8_t tag, size_t n)
{
	uint8_t want[4 + 64] = { 0x40, 0x00, (uint8_t)n, 0x00, (uint8_t)(n - 4), 0x00, 0x04, 0x00 };
	memset(want + 8, tag, n - 4);
	expect_hci(ACLT, want, 4 + n);
}

Test(malformed_hci, event_parameter_length_exceeds_the_bytes)
{
	EVENT(0x0e, 0x05, 0x01, 0x03, 0x0c, 0x00);
	silence();
	still_serves();
}

Test(malformed_hci, event_parameter_length_below_the_bytes)
{
	EVENT(0x0e, 0x02, 0x01, 0x03, 0x0c, 0x00);
	silence();
	still_serves();
}

Test(malformed_hci, event_of_one_byte)
{
	EVENT(0x0e);
	silence();
	still_serves();
}

Test(malformed_hci, truncated_le_connection_complete)
{
	EVENT(0x3e, 0x03, 0x01, 0x00, 0x40);
	silence();
	cr_assert_eq(l2cap->n, 0, "a link event for a truncated connection complete");
	still_serves();
	connect_0040();
}

Test(malformed_hci, unknown_event_code)
{
	EVENT(0xfe, 0x01, 0x00);
	silence();
	still_serves();
}

/* A Command Complete nobody waits for changes nothing (and is not a
 * Result of the next command). */
Test(malformed_hci, command_complete_for_a_command_never_sent)
{
	EVENT(0x0e, 0x04, 0x01, 0x14, 0x0c, 0x00);
	silence();
	cr_assert_eq(app->n, 0);
	still_serves();
}

/* Number Of Completed Packets for a handle with no connection gives no
 * buffer back: the third frame still waits for link 0x40's credit. */
Test(malformed_hci, number_of_completed_packets_for_an_unknown_handle)
{
	connect_0040();
	frame_out(0xa1, 8);
	frame_out(0xa2, 8);
	frame_out(0xa3, 8);
	expect_frame_acl(0xa1, 8);
	expect_frame_acl(0xa2, 8);
	silence();
	EVENT(0x13, 0x05, 0x01, 0x77, 0x00, 0x01, 0x00);
	silence();
	EVENT(0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00);
	expect_frame_acl(0xa3, 8);
	still_serves();
}

/* More packets completed than sent: the host counts at most what it
 * sent, so it never has more than the controller's 2 buffers in flight. */
Test(malformed_hci, number_of_completed_packets_more_than_sent)
{
	connect_0040();
	frame_out(0xb1, 8);
	expect_frame_acl(0xb1, 8);
	EVENT(0x13, 0x05, 0x01, 0x40, 0x00, 0x05, 0x00);
	silence();
	frame_out(0xb2, 8);
	frame_out(0xb3, 8);
	frame_out(0xb4, 8);
	expect_frame_acl(0xb2, 8);
	expect_frame_acl(0xb3, 8);
	silence(); /* 2 in flight: the fourth waits */
	EVENT(0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00);
	expect_frame_acl(0xb4, 8);
	still_serves();
}

/* Two handles announced, one given: the event is dropped whole. */
Test(malformed_hci, number_of_completed_packets_shorter_than_its_count)
{
	connect_0040();
	frame_out(0xc1, 8);
	frame_out(0xc2, 8);
	frame_out(0xc3, 8);
	expect_frame_acl(0xc1, 8);
	expect_frame_acl(0xc2, 8);
	EVENT(0x13, 0x05, 0x02, 0x40, 0x00, 0x01, 0x00);
	silence();
	EVENT(0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00);
	expect_frame_acl(0xc3, 8);
	still_serves();
}

Test(malformed_hci, acl_continuation_with_no_start)
{
	connect_0040();
	ACL(0x40, 0x10, 0x03, 0x00, 0x00, 0x0a, 0x01);
	silence();
	acl_still_flows();
	still_serves();
}

/* A new start abandons the frame being reassembled. */
Test(malformed_hci, acl_start_during_reassembly)
{
	connect_0040();
	ACL(0x40, 0x20, 0x03, 0x00, 0x05, 0x00, 0x04);
	acl_still_flows();
	silence();
	still_serves();
}

/* An ACL header length above the bytes present: dropped. */
Test(malformed_hci, acl_length_exceeds_the_bytes)
{
	connect_0040();
	ACL(0x40, 0x20, 0x09, 0x00, 0x03, 0x00, 0x04, 0x00, 0x0a, 0x03, 0x00);
	silence();
	acl_still_flows();
	still_serves();
}

/* An L2CAP basic header length below the ACL data: the frame is dropped. */
Test(malformed_hci, acl_with_more_data_than_its_l2cap_length)
{
	connect_0040();
	ACL(0x40, 0x20, 0x08, 0x00, 0x03, 0x00, 0x04, 0x00, 0x0a, 0x03, 0x00, 0xee);
	silence();
	acl_still_flows();
	still_serves();
}

Test(malformed_hci, acl_for_an_unknown_handle)
{
	connect_0040();
	ACL(0x77, 0x20, 0x04, 0x00, 0x00, 0x00, 0x04, 0x00);
	silence();
	acl_still_flows();
	still_serves();
}

Test(malformed_hci, acl_shorter_than_its_header)
{
	connect_0040();
	ACL(0x40, 0x20, 0x04);
	silence();
	acl_still_flows();
	still_serves();
}

Test(malformed_hci, disconnection_complete_for_an_unknown_handle)
{
	connect_0040();
	EVENT(0x05, 0x04, 0x00, 0x77, 0x00, 0x13);
	silence();
	acl_still_flows();
	still_serves();
}

Test(malformed_hci, le_meta_event_of_an_unknown_subevent)
{
	EVENT(0x3e, 0x02, 0x7f, 0x00);
	silence();
	still_serves();
}

Test(malformed_hci, command_status_for_a_command_never_sent)
{
	EVENT(0x0f, 0x04, 0x00, 0x01, 0x14, 0x0c);
	silence();
	still_serves();
}

/* A second LE Connection Complete for a handle in use: no second link,
 * its users hear that this connection failed (Hardware Failure) and the
 * first link stays as it was. */
Test(malformed_hci, le_connection_complete_for_a_handle_in_use)
{
	connect_0040();
	EVENT(0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, 0x00, 0x00, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
	      0x18, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00);
	const Hive__Envelope *e = mu_take(l2cap, HIVE__ENVELOPE__BODY_LINK, "connection failed");
	cr_assert_eq(e->link->kind_case, HIVE__LINK_EVENT__KIND_CONNECTION_FAILED);
	cr_assert_eq(e->link->connection_failed->status, 0x03);
	cr_assert_eq(e->link->connection_failed->peer->bdaddr.len, 6);
	cr_assert_eq(e->link->connection_failed->peer->bdaddr.data[0], 0xa1);
	silence();
	acl_still_flows();
	still_serves();
}

/* Command packets come from the host, never from the controller. */
Test(malformed_hci, command_packet_from_the_controller)
{
	mu_send_hci(hci, "host", CMD, MU_BYTES(0x03, 0x0c, 0x00));
	silence();
	still_serves();
}
