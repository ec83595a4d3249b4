/* hive-host as a real process behind a real broker. The test plays "hci"
 * (the controller side: it sees every command and ACL packet the host sends
 * and answers with events), "l2cap" (frames and link events) and "app" (a
 * requester), with the harness of host_gap_util.h. Every wait has a
 * deadline; silence is checked over 50 ms. */
#include "host_gap_util.h"
#include "../../actors/host/host_acl.h"

static void request_command(uint64_t id, uint16_t opcode, const uint8_t *params, size_t len)
{
	Hive__HciCommand c = HIVE__HCI_COMMAND__INIT;
	c.opcode = opcode;
	c.params.data = (uint8_t *)params;
	c.params.len = len;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = id;
	r.op_case = HIVE__REQUEST__OP_HCI_COMMAND;
	r.hci_command = &c;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &r;
	cr_assert_eq(hive_send(app, "host", &env), 0);
}

TestSuite(host_script, .init = setup, .fini = teardown, .timeout = 60);

Test(host_script, start_up_sequence_then_ready)
{
	start_up("2000");
}

Test(host_script, command_burst_honours_one_credit)
{
	start_up("2000");
	request_command(1, 0x2005, (const uint8_t[]){ 1, 2, 3, 4, 5, 0xc6 }, 6);
	request_command(2, 0x0c14, NULL, 0);
	request_command(3, 0x1009, NULL, 0);
	EXPECT_CMD(0x05, 0x20, 0x06, 1, 2, 3, 4, 5, 0xc6);
	expect_silence(SILENCE_MS); /* ncmd was 1 and is used */
	EVENT(0x0e, 0x04, 0x01, 0x05, 0x20, 0x00);
	EXPECT_CMD(0x14, 0x0c, 0x00);
	cr_assert(wait_count(&app_in.results, 1));
	cr_assert_eq(app_in.result[0]->id, 1);
	cr_assert_eq(app_in.result[0]->status, 0);
	cr_assert_eq(app_in.result[0]->value_case, HIVE__RESULT__VALUE_HCI_COMMAND);
	expect_silence(SILENCE_MS);
	/* Command Status with ncmd 0: the third waits for a credit. */
	EVENT(0x0f, 0x04, 0x0c, 0x00, 0x14, 0x0c);
	cr_assert(wait_count(&app_in.results, 2));
	cr_assert_eq(app_in.result[1]->id, 2);
	cr_assert_eq(app_in.result[1]->status, 0x0c);
	cr_assert_eq(app_in.result[1]->domain, HIVE__RESULT__DOMAIN__HCI);
	cr_assert(app_in.result[1]->hci_command->by_status);
	expect_silence(SILENCE_MS);
	EVENT(0x0e, 0x03, 0x01, 0x00, 0x00); /* NOP: one credit */
	EXPECT_CMD(0x09, 0x10, 0x00);
	EVENT(0x0e, 0x0a, 0x01, 0x09, 0x10, 0x00, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6);
	cr_assert(wait_count(&app_in.results, 3));
	const Hive__HciCommandResult *r = app_in.result[2]->hci_command;
	cr_assert_eq(r->opcode, 0x1009);
	cr_assert_eq(r->return_params.len, 6);
	cr_assert_eq(r->return_params.data[5], 0xa6);
}

Test(host_script, command_timeout)
{
	start_up("300");
	request_command(9, 0x0c14, NULL, 0);
	request_command(10, 0x1001, NULL, 0);
	EXPECT_CMD(0x14, 0x0c, 0x00);
	/* No answer: a timeout error, and the queue moves on. */
	cr_assert(wait_count(&app_in.results, 1));
	cr_assert_eq(app_in.result[0]->id, 9);
	cr_assert_eq(app_in.result[0]->status, -ETIMEDOUT);
	cr_assert_str_neq(app_in.result[0]->error, "");
	EXPECT_CMD(0x01, 0x10, 0x00);
	EVENT(0x0e, 0x0c, 0x01, 0x01, 0x10, 0x00, 0x0c, 0x00, 0x00, 0x0c, 0xff, 0xff, 0x00, 0x00);
	cr_assert(wait_count(&app_in.results, 2));
	cr_assert_eq(app_in.result[1]->status, 0);
	/* A late answer to the timed-out command changes nothing. */
	EVENT(0x0e, 0x04, 0x01, 0x14, 0x0c, 0x00);
	expect_silence(SILENCE_MS);
}

/* LE Connection Complete: handle 0x0040, peripheral, peer random
 * 11:22:33:44:55:66, interval 0x28. */
#define CONNECT_0040() \
	EVENT(0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, 0x01, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, \
	      0x66, 0x28, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00)

Test(host_script, connection_acl_in_and_out)
{
	start_up("2000");
	CONNECT_0040();
	cr_assert(wait_count(&l2cap_in.links, 1), "no link event at l2cap");
	cr_assert_eq(l2cap_in.link_kind[0], HIVE__LINK_EVENT__KIND_CONNECTED);
	cr_assert_eq(l2cap_in.link_handle[0], 0x40);
	cr_assert_eq(l2cap_in.link_value[0], 0x28);
	/* l2cap gets its window of ACL credits for the new link. */
	cr_assert(wait_count(&l2cap_in.credit_resets, 1), "no AclCredits reset at l2cap");
	cr_assert_eq(l2cap_in.credit_window, HOST_ACL_L2CAP_WINDOW);

	/* In: an ATT frame of 9 bytes in three fragments -> one L2capFrame. */
	ACL(0x40, 0x20, 0x03, 0x00, 0x05, 0x00, 0x04);
	ACL(0x40, 0x10, 0x03, 0x00, 0x00, 0x0a, 0x01);
	ACL(0x40, 0x10, 0x03, 0x00, 0x00, 0x02, 0x03);
	cr_assert(wait_count(&l2cap_in.count, 1));
	cr_assert_eq(l2cap_in.pkt[0].handle, 0x40);
	cr_assert_eq(l2cap_in.pkt[0].len, 9);
	cr_assert_eq(memcmp(l2cap_in.pkt[0].data,
			    (uint8_t[]){ 0x05, 0x00, 0x04, 0x00, 0x0a, 0x01, 0x00, 0x02, 0x03 }, 9),
		     0);
	/* A continuation without a start and an unknown handle: dropped. */
	ACL(0x40, 0x10, 0x01, 0x00, 0xff);
	ACL(0x77, 0x20, 0x04, 0x00, 0x00, 0x00, 0x04, 0x00);
	expect_silence(SILENCE_MS);

	/* Out: 70 bytes -> 27 + 27 + 16, no more than 2 buffers in flight. */
	uint8_t frame[70];
	frame[0] = 66;
	frame[1] = 0;
	frame[2] = 0x04;
	frame[3] = 0x00;
	for (int i = 4; i < 70; i++)
		frame[i] = (uint8_t)i;
	Hive__L2capFrame f = HIVE__L2CAP_FRAME__INIT;
	f.handle = 0x40;
	f.data.data = frame;
	f.data.len = sizeof frame;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_L2CAP;
	env.l2cap = &f;
	cr_assert_eq(hive_send(l2cap, "host", &env), 0);
	uint8_t want[4 + 27];
	struct wr w = wr_init(want, sizeof want);
	hci_acl_header_write(&w, 0x40, HCI_ACL_PB_START_NONFLUSH, 27);
	wr_bytes(&w, frame, 27);
	expect_hci(HIVE__HCI_PACKET__TYPE__ACL, want, sizeof want);
	w = wr_init(want, sizeof want);
	hci_acl_header_write(&w, 0x40, HCI_ACL_PB_CONT, 27);
	wr_bytes(&w, frame + 27, 27);
	expect_hci(HIVE__HCI_PACKET__TYPE__ACL, want, sizeof want);
	expect_silence(SILENCE_MS); /* both controller buffers are busy */
	EVENT(0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00);
	w = wr_init(want, sizeof want);
	hci_acl_header_write(&w, 0x40, HCI_ACL_PB_CONT, 16);
	wr_bytes(&w, frame + 54, 16);
	expect_hci(HIVE__HCI_PACKET__TYPE__ACL, want, w.len);
	/* The whole frame left the host's queue: one credit back to l2cap. */
	cr_assert(wait_count(&l2cap_in.credit_frames, 1), "no credit back for the frame sent");
	cr_assert_eq(l2cap_in.credit_resets, 1);

	/* Disconnection: a link event with the reason. */
	EVENT(0x05, 0x04, 0x00, 0x40, 0x00, 0x13);
	cr_assert(wait_count(&l2cap_in.links, 2));
	cr_assert_eq(l2cap_in.link_kind[1], HIVE__LINK_EVENT__KIND_DISCONNECTED);
	cr_assert_eq(l2cap_in.link_value[1], 0x13);
	/* Frames for the gone link are not sent. */
	cr_assert_eq(hive_send(l2cap, "host", &env), 0);
	expect_silence(SILENCE_MS);
}

Test(host_script, malformed_and_unknown_events_are_dropped)
{
	start_up("2000");
	EVENT(0x0e, 0x05, 0x01, 0x03, 0x0c, 0x00);            /* length says 5, 4 present */
	EVENT(0x0e, 0x02, 0x01, 0x03, 0x0c, 0x00);            /* length says 2, 4 present */
	EVENT(0x3e, 0x03, 0x01, 0x00, 0x40);                  /* connection complete, short */
	EVENT(0xfe, 0x01, 0x00);                              /* unknown event */
	EVENT(0x13, 0x05, 0x02, 0x40, 0x00, 0x01, 0x00);      /* 2 handles announced, 1 given */
	send_hci(HIVE__HCI_PACKET__TYPE__EVENT, NULL, 0);
	expect_silence(SILENCE_MS);
	cr_assert_eq(l2cap_in.links, 0);
	/* Still serving. */
	request_command(5, 0x1001, NULL, 0);
	EXPECT_CMD(0x01, 0x10, 0x00);
	EVENT(0x0e, 0x0c, 0x01, 0x01, 0x10, 0x00, 0x0c, 0x00, 0x00, 0x0c, 0xff, 0xff, 0x00, 0x00);
	cr_assert(wait_count(&app_in.results, 1));
	cr_assert_eq(app_in.result[0]->status, 0);
	cr_assert(th_file_contains(host_log, "malformed event dropped", TH_DEADLINE_MS));
	cr_assert(th_file_contains(host_log, "unknown event dropped", TH_DEADLINE_MS));
}

Test(host_script, link_subscriber_and_connection_table_after_restart)
{
	start_up("2000");
	Hive__LinkSubscribe sub = HIVE__LINK_SUBSCRIBE__INIT;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 1;
	r.op_case = HIVE__REQUEST__OP_LINK_SUBSCRIBE;
	r.link_subscribe = &sub;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &r;
	cr_assert_eq(hive_send(app, "host", &env), 0);
	cr_assert(wait_count(&app_in.results, 1));
	CONNECT_0040();
	cr_assert(wait_count(&app_in.links, 1), "the subscriber got no link event");
	cr_assert(wait_count(&l2cap_in.links, 1));

	/* The host dies; its replacement takes the table back without Reset. */
	th_kill(host, SIGKILL);
	uint64_t before = hci_in.count;
	spawn_host("2000");
	cr_assert(host_ready(), "the restarted host is not ready (log %s)", host_log);
	Hive__ConnectionsQuery q = HIVE__CONNECTIONS_QUERY__INIT;
	r.id = 2;
	r.op_case = HIVE__REQUEST__OP_CONNECTIONS;
	r.connections = &q;
	cr_assert_eq(hive_send(app, "host", &env), 0);
	cr_assert(wait_count(&app_in.results, 2));
	const Hive__ConnectionTable *t = app_in.result[1]->connections;
	cr_assert_not_null(t);
	cr_assert_eq(t->n_connections, 1);
	cr_assert_eq(t->connections[0]->handle, 0x40);
	cr_assert_eq(t->connections[0]->role, HIVE__CONNECTED__ROLE__PERIPHERAL);
	cr_assert_eq(t->connections[0]->peer->bdaddr.data[5], 0x66);
	cr_assert_eq(t->connections[0]->own->bdaddr.data[0], 0x01);
	/* It asks what the controller supports (to keep the advertising command
	 * family of the controller's session), and does not reset it. */
	cr_assert(wait_count(&hci_in.count, before + 1));
	cr_assert_eq(hci_in.pkt[before].len, 3);
	cr_assert_eq(memcmp(hci_in.pkt[before].data, (uint8_t[]){ 0x02, 0x10, 0x00 }, 3), 0,
		     "the restarted host sent 0x%02x%02x, not Read Local Supported Commands",
		     hci_in.pkt[before].data[1], hci_in.pkt[before].data[0]);
	/* ACL still flows on the restored link. */
	ACL(0x40, 0x20, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x13);
	cr_assert(wait_count(&l2cap_in.count, 1));
	cr_assert_eq(l2cap_in.pkt[0].len, 5);
}
