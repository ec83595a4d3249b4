/* hive-host's BR/EDR as a real process behind a real broker (the harness of
 * host_gap_util.h: the test plays hci, l2cap, smp and the app). The
 * start-up of a BR/EDR controller (Read Buffer Size, the BR/EDR events in
 * the mask, Simple Pairing, extended inquiry, name, EIR, page scan), an
 * inquiry streamed to its requester and to the link subscriber with the
 * EIR's fields, a connection request accepted into a Connected le=false
 * with its ACL, the security events delivered to smp with the link key
 * (the subscriber gets them without), smp's reply sent as it asked, and
 * malformed BR/EDR events dropped while the host keeps serving. */
#include "host_gap_util.h"

struct bredr_in {
	uint64_t count;
	Hive__BredrEvent *ev[PKT_MAX];
	bool le[PKT_MAX];
	uint64_t connected;
};

static struct bredr_in smp_br, app_br, l2cap_conn;

static void on_bredr(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	struct bredr_in *in = arg;
	if (in->count < PKT_MAX) {
		size_t n = hive__bredr_event__get_packed_size(env->bredr_event);
		uint8_t *buf = malloc(n ? n : 1);
		hive__bredr_event__pack(env->bredr_event, buf);
		in->ev[in->count] = hive__bredr_event__unpack(NULL, n, buf);
		free(buf);
	}
	in->count++;
}

static void on_l2cap_link(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg)
{
	on_link(a, source, env, &l2cap_in);
	if (env->link->kind_case == HIVE__LINK_EVENT__KIND_CONNECTED && l2cap_conn.connected < PKT_MAX)
		l2cap_conn.le[l2cap_conn.connected++] = env->link->connected->le;
}

static void br_setup(void)
{
	setup();
	memset(&smp_br, 0, sizeof smp_br);
	memset(&app_br, 0, sizeof app_br);
	memset(&l2cap_conn, 0, sizeof l2cap_conn);
	hive_on(smp, HIVE__ENVELOPE__BODY_BREDR_EVENT, on_bredr, &smp_br);
	hive_on(app, HIVE__ENVELOPE__BODY_BREDR_EVENT, on_bredr, &app_br);
	hive_on(l2cap, HIVE__ENVELOPE__BODY_LINK, on_l2cap_link, NULL);
}

static void br_teardown(void)
{
	for (uint64_t i = 0; i < smp_br.count && i < PKT_MAX; i++)
		hive__bredr_event__free_unpacked(smp_br.ev[i], NULL);
	for (uint64_t i = 0; i < app_br.count && i < PKT_MAX; i++)
		hive__bredr_event__free_unpacked(app_br.ev[i], NULL);
	teardown();
}

TestSuite(host_bredr_script, .init = br_setup, .fini = br_teardown, .timeout = 60);

/* The start-up of a controller with Simple Pairing: LE buffers 27 x 2,
 * BR/EDR 1021 x 4; then the BR/EDR configuration, each answered. */
static void start_up_bredr(void)
{
	spawn_host("2000");
	EXPECT_CMD(0x03, 0x0c, 0x00);
	EVENT(0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00);
	EXPECT_CMD(0x01, 0x10, 0x00);
	EVENT(0x0e, 0x0c, 0x01, 0x01, 0x10, 0x00, 0x0c, 0x00, 0x00, 0x0c, 0xff, 0xff, 0x00, 0x00);
	EXPECT_CMD(0x02, 0x10, 0x00);
	uint8_t cmds[3 + 2 + 1 + 64] = { 0x0e, 68, 0x01, 0x02, 0x10, 0x00 };
	send_hci(HIVE__HCI_PACKET__TYPE__EVENT, cmds, sizeof cmds);
	EXPECT_CMD(0x03, 0x10, 0x00); /* features: Secure Simple Pairing (bit 51) */
	EVENT(0x0e, 0x0c, 0x01, 0x03, 0x10, 0x00, 0, 0, 0, 0, 0, 0x60, 0x08, 0);
	EXPECT_CMD(0x03, 0x20, 0x00);
	EVENT(0x0e, 0x0c, 0x01, 0x03, 0x20, 0x00, 0x20, 0x01, 0, 0, 0, 0, 0, 0);
	EXPECT_CMD(0x09, 0x10, 0x00);
	EVENT(0x0e, 0x0a, 0x01, 0x09, 0x10, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06);
	EXPECT_CMD(0x02, 0x20, 0x00);
	EVENT(0x0e, 0x07, 0x01, 0x02, 0x20, 0x00, 0x1b, 0x00, 0x02);
	EXPECT_CMD(0x05, 0x10, 0x00); /* Read Buffer Size: BR/EDR has its own pool */
	EVENT(0x0e, 0x0b, 0x01, 0x05, 0x10, 0x00, 0xfd, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00);
	/* Set Event Mask: the LE set, and inquiry, connections, authentication,
	 * names, flush, roles, PIN and link keys, inquiry with RSSI and
	 * extended, Simple Pairing, enhanced flush. */
	EXPECT_CMD(0x01, 0x0c, 0x08, 0xff, 0x80, 0xe3, 0x02, 0x02, 0xc0, 0x2f, 0x25);
	EVENT(0x0e, 0x04, 0x01, 0x01, 0x0c, 0x00);
	EXPECT_CMD(0x01, 0x20, 0x08, 0x5f, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EVENT(0x0e, 0x04, 0x01, 0x01, 0x20, 0x00);
	cr_assert(host_ready(), "the host did not say ready (log %s)", host_log);
	EXPECT_CMD(0x56, 0x0c, 0x01, 0x01);
	CC(0x56, 0x0c, 0x00);
	EXPECT_CMD(0x45, 0x0c, 0x01, 0x02);
	CC(0x45, 0x0c, 0x00);
	uint8_t name[3 + 248] = { 0x13, 0x0c, 248, 'h', 'i', 'v', 'e' };
	expect_hci(HIVE__HCI_PACKET__TYPE__COMMAND, name, sizeof name);
	CC(0x13, 0x0c, 0x00);
	uint8_t eir[3 + 241] = { 0x52, 0x0c, 241, 0x00, 0x05, 0x09, 'h', 'i', 'v', 'e' };
	expect_hci(HIVE__HCI_PACKET__TYPE__COMMAND, eir, sizeof eir);
	CC(0x52, 0x0c, 0x00);
	EXPECT_CMD(0x1a, 0x0c, 0x01, 0x02);
	CC(0x1a, 0x0c, 0x00);
	expect_silence(SILENCE_MS);
}

static void subscribe(uint64_t id)
{
	Hive__LinkSubscribe sub = HIVE__LINK_SUBSCRIBE__INIT;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = id;
	r.op_case = HIVE__REQUEST__OP_LINK_SUBSCRIBE;
	r.link_subscribe = &sub;
	send_request(&r);
	cr_assert_eq(result_at(id - 1)->status, 0);
}

Test(host_bredr_script, inquiry_streams_results_with_the_eir_to_asker_and_subscriber)
{
	start_up_bredr();
	subscribe(1);
	Hive__BredrInquiry iq = HIVE__BREDR_INQUIRY__INIT;
	iq.seconds = 3;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 2;
	r.op_case = HIVE__REQUEST__OP_BREDR_INQUIRY;
	r.bredr_inquiry = &iq;
	send_request(&r);
	EXPECT_CMD(0x01, 0x04, 0x05, 0x33, 0x8b, 0x9e, 0x03, 0x00);
	CS(0x01, 0x04, 0x00);
	uint8_t ext[257] = { 0x2f, 0xff, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01, 0x00,
			     0x0c, 0x02, 0x5a, 0x34, 0x12, 0xc4, 0x05, 0x09, 'p', 'e', 'e', 'r',
			     0x03, 0x03, 0x0d, 0x18 };
	send_hci(HIVE__HCI_PACKET__TYPE__EVENT, ext, sizeof ext);
	const Hive__Result *res = result_at(1);
	cr_assert_eq(res->id, 2);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_BREDR);
	const Hive__BredrEvent *e = res->bredr;
	cr_assert_eq(e->kind, HIVE__BREDR_EVENT__KIND__INQUIRY_RESULT);
	cr_assert_str_eq(e->name, "peer");
	cr_assert_eq(e->rssi, -60);
	cr_assert_eq(e->class_of_device, 0x5a020c);
	cr_assert_not_null(e->eir);
	cr_assert_eq(e->eir->n_uuids, 1);
	cr_assert_eq(e->eir->uuids[0].data[0], 0x0d);
	cr_assert(wait_count(&app_br.count, 1));
	cr_assert_eq(app_br.ev[0]->kind, HIVE__BREDR_EVENT__KIND__INQUIRY_RESULT);
	EVENT(0x01, 0x01, 0x00);
	res = result_at(2);
	cr_assert_eq(res->bredr->kind, HIVE__BREDR_EVENT__KIND__INQUIRY_COMPLETE);
	cr_assert_eq(res->bredr->responses, 1);
	cr_assert_eq(smp_br.count, 0, "inquiry results went to smp");
	expect_silence(SILENCE_MS);
}

Test(host_bredr_script, connection_acl_and_security_events_to_smp)
{
	start_up_bredr();
	subscribe(1);
	EVENT(0x04, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x0c, 0x02, 0x5a, 0x01);
	EXPECT_CMD(0x09, 0x04, 0x07, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01);
	CS(0x09, 0x04, 0x00);
	EVENT(0x03, 0x0b, 0x00, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01, 0x00);
	cr_assert(wait_count(&l2cap_conn.connected, 1));
	cr_assert_not(l2cap_conn.le[0], "a BR/EDR link reported as LE");
	/* ACL both ways on handle 0x0001: 100 octets leave in one packet. */
	ACL(0x01, 0x20, 0x06, 0x00, 0x02, 0x00, 0x01, 0x00, 0xaa, 0xbb);
	cr_assert(wait_count(&l2cap_in.count, 1));
	cr_assert_eq(l2cap_in.pkt[0].handle, 0x0001);
	uint8_t frame[104] = { 100, 0x00, 0x40, 0x00 };
	Hive__L2capFrame f = HIVE__L2CAP_FRAME__INIT;
	f.handle = 0x0001;
	f.data.data = frame;
	f.data.len = sizeof frame;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_L2CAP;
	env.l2cap = &f;
	cr_assert_eq(hive_send(l2cap, "host", &env), 0);
	uint8_t acl[4 + 104] = { 0x01, 0x00, 104, 0x00, 100, 0x00, 0x40, 0x00 };
	expect_hci(HIVE__HCI_PACKET__TYPE__ACL, acl, sizeof acl);
	/* Link Key Request: to smp (and the subscriber), nothing to the
	 * controller until smp answers. */
	EVENT(0x17, 0x06, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66);
	cr_assert(wait_count(&smp_br.count, 1));
	cr_assert_eq(smp_br.ev[0]->kind, HIVE__BREDR_EVENT__KIND__LINK_KEY_REQUEST);
	cr_assert_eq(smp_br.ev[0]->handle, 0x0001);
	expect_silence(SILENCE_MS);
	/* smp answers: the host sends its reply as it is. */
	uint8_t p[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };
	Hive__HciCommand hc = HIVE__HCI_COMMAND__INIT;
	hc.opcode = 0x040c;
	hc.params.data = p;
	hc.params.len = 6;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 77;
	r.op_case = HIVE__REQUEST__OP_HCI_COMMAND;
	r.hci_command = &hc;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &r;
	cr_assert_eq(hive_send(smp, "host", &env), 0);
	EXPECT_CMD(0x0c, 0x04, 0x06, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66);
	CC(0x0c, 0x04, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66);
	/* Link Key Notification: the key to smp only. */
	EVENT(0x18, 0x17, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
	      0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0x05);
	cr_assert(wait_count(&smp_br.count, 2));
	cr_assert_eq(smp_br.ev[1]->kind, HIVE__BREDR_EVENT__KIND__LINK_KEY);
	cr_assert_eq(smp_br.ev[1]->link_key.len, 16);
	cr_assert_eq(smp_br.ev[1]->link_key.data[15], 0xaf);
	cr_assert_eq(smp_br.ev[1]->key_type, 5);
	uint64_t k = 0;
	cr_assert(wait_count(&app_br.count, 3)); /* request, link key request, link key */
	for (uint64_t i = 0; i < app_br.count; i++)
		if (app_br.ev[i]->kind == HIVE__BREDR_EVENT__KIND__LINK_KEY) {
			k++;
			cr_assert_eq(app_br.ev[i]->link_key.len, 0, "the subscriber got the key");
		}
	cr_assert_eq(k, 1);
	/* User Confirmation Request with its value; Simple Pairing Complete. */
	EVENT(0x33, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x40, 0xe2, 0x01, 0x00);
	EVENT(0x36, 0x07, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66);
	cr_assert(wait_count(&smp_br.count, 4));
	cr_assert_eq(smp_br.ev[2]->kind, HIVE__BREDR_EVENT__KIND__USER_CONFIRMATION_REQUEST);
	cr_assert_eq(smp_br.ev[2]->value, 123456);
	cr_assert_eq(smp_br.ev[3]->kind, HIVE__BREDR_EVENT__KIND__SSP_COMPLETE);
	/* Disconnection with its reason. */
	EVENT(0x05, 0x04, 0x00, 0x01, 0x00, 0x13);
	cr_assert(wait_count(&l2cap_in.links, 2));
}

Test(host_bredr_script, malformed_bredr_events_are_dropped)
{
	start_up_bredr();
	EVENT(0x04, 0x09, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x0c, 0x02, 0x5a); /* short */
	EVENT(0x03, 0x0a, 0x00, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01); /* short */
	EVENT(0x22, 0x0f, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01, 0x00, 0x0c, 0x02, 0x5a,
	      0x34, 0x12, 0xc4); /* two responses announced, one given */
	EVENT(0x33, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x40, 0x42, 0x0f, 0x00); /* > 999999 */
	EVENT(0x12, 0x08, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x07); /* role 7 */
	EVENT(0x07, 0x07, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66);       /* no name */
	expect_silence(SILENCE_MS);
	cr_assert_eq(l2cap_in.links, 0);
	cr_assert_eq(smp_br.count, 0);
	/* Still serving: a well-formed request is accepted. */
	EVENT(0x04, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x0c, 0x02, 0x5a, 0x01);
	EXPECT_CMD(0x09, 0x04, 0x07, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01);
}
