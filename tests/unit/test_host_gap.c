/* hive-host's GAP requests as scripts: the test plays "hci" (it sees each
 * command and answers with events), "l2cap" and "smp" (link events) and
 * "app" (the requester), and checks each command byte for byte and each
 * Result. Every wait has a deadline; silence is checked over 50 ms. */
#include "host_gap_util.h"

TestSuite(host_gap, .init = setup, .fini = teardown, .timeout = 60);

Test(host_gap, advertise_then_stop)
{
	start_up("2000");
	Hive__AdvertisingData d = HIVE__ADVERTISING_DATA__INIT;
	d.name = "hive-a";
	Hive__Advertise adv = HIVE__ADVERTISE__INIT;
	adv.connectable = true;
	adv.interval_ms = 100;
	adv.data = &d;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 7;
	r.op_case = HIVE__REQUEST__OP_ADVERTISE;
	r.advertise = &adv;
	send_request(&r);
	EXPECT_CMD(0x06, 0x20, 0x0f, 0xa0, 0x00, 0xa0, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0,
		   0x07, 0x00);
	CC(0x06, 0x20, 0x00);
	EXPECT_CMD(0x08, 0x20, 0x20, 11, 2, 0x01, 0x06, 7, 0x09, 'h', 'i', 'v', 'e', '-', 'a', 0, 0,
		   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	CC(0x08, 0x20, 0x00);
	EXPECT_CMD(0x09, 0x20, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	CC(0x09, 0x20, 0x00);
	EXPECT_CMD(0x0a, 0x20, 0x01, 0x01);
	expect_silence(SILENCE_MS); /* no result before the enable completes */
	CC(0x0a, 0x20, 0x00);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 7);
	cr_assert_eq(res->status, 0, "%s", res->error);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_ADVERTISE);
	cr_assert_eq(res->advertise->own->type, HIVE__ADDRESS__TYPE__PUBLIC);
	cr_assert_eq(res->advertise->own->bdaddr.data[0], 0x01);

	Hive__StopAdvertising stop = HIVE__STOP_ADVERTISING__INIT;
	r.id = 8;
	r.op_case = HIVE__REQUEST__OP_STOP_ADVERTISING;
	r.stop_advertising = &stop;
	send_request(&r);
	EXPECT_CMD(0x0a, 0x20, 0x01, 0x00);
	CC(0x0a, 0x20, 0x0c); /* refused: the HCI status comes back */
	res = result_at(1);
	cr_assert_eq(res->id, 8);
	cr_assert_eq(res->status, 0x0c);
	cr_assert_eq(res->domain, HIVE__RESULT__DOMAIN__HCI);
	cr_assert_str_neq(res->error, "");
}

Test(host_gap, advertise_data_too_long_is_refused_without_commands)
{
	start_up("2000");
	Hive__AdvertisingData d = HIVE__ADVERTISING_DATA__INIT;
	uint8_t u[3][16] = { { 1 }, { 2 }, { 3 } };
	ProtobufCBinaryData uu[3] = { { 16, u[0] }, { 16, u[1] }, { 16, u[2] } };
	d.n_uuids = 3;
	d.uuids = uu;
	Hive__Advertise adv = HIVE__ADVERTISE__INIT;
	adv.data = &d;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 1;
	r.op_case = HIVE__REQUEST__OP_ADVERTISE;
	r.advertise = &adv;
	send_request(&r);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->status, -EMSGSIZE);
	cr_assert(strstr(res->error, "31"), "%s", res->error);
	expect_silence(SILENCE_MS);
}

Test(host_gap, scan_merges_advertisement_and_scan_response)
{
	start_up("2000");
	Hive__Scan scan = HIVE__SCAN__INIT;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 20;
	r.op_case = HIVE__REQUEST__OP_SCAN;
	r.scan = &scan;
	send_request(&r);
	EXPECT_CMD(0x0b, 0x20, 0x07, 0x01, 0x60, 0x00, 0x60, 0x00, 0x00, 0x00);
	CC(0x0b, 0x20, 0x00);
	EXPECT_CMD(0x0c, 0x20, 0x02, 0x01, 0x01);
	CC(0x0c, 0x20, 0x00);
	expect_silence(SILENCE_MS);
	adv_report(0x00, 0xc6, (const uint8_t[]){ 2, 0x01, 0x06, 3, 0x03, 0x0d, 0x18 }, 7, -60);
	expect_silence(SILENCE_MS); /* waiting for the scan response */
	adv_report(0x04, 0xc6, (const uint8_t[]){ 7, 0x09, 'h', 'i', 'v', 'e', '-', 'a' }, 8, -55);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 20);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_SCAN_REPORT);
	const Hive__ScanReport *sr = res->scan_report;
	cr_assert_str_eq(sr->data->name, "hive-a");
	cr_assert(sr->connectable && sr->has_scan_response);
	cr_assert_eq(sr->rssi, -55);
	cr_assert_eq(sr->data->n_uuids, 1);
	cr_assert_eq(sr->data->uuids[0].data[1], 0x18);
	cr_assert_eq(sr->address->type, HIVE__ADDRESS__TYPE__RANDOM);
	cr_assert_eq(sr->address->bdaddr.data[5], 0xc6);
	/* A non-connectable one at once; a malformed report is dropped. */
	adv_report(0x03, 0xc7, (const uint8_t[]){ 2, 0x01, 0x04 }, 3, -70);
	EVENT(0x3e, 0x05, 0x02, 0x01, 0x03, 0x01, 0x11);
	res = result_at(1);
	cr_assert(!res->scan_report->connectable && !res->scan_report->has_scan_response);

	Hive__StopScan stop = HIVE__STOP_SCAN__INIT;
	r.id = 21;
	r.op_case = HIVE__REQUEST__OP_STOP_SCAN;
	r.stop_scan = &stop;
	send_request(&r);
	EXPECT_CMD(0x0c, 0x20, 0x02, 0x00, 0x00);
	CC(0x0c, 0x20, 0x00);
	res = result_at(2);
	cr_assert_eq(res->id, 21);
	cr_assert_eq(res->status, 0);
	res = result_at(3);
	cr_assert_eq(res->id, 20);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_SCAN_ENDED);
	cr_assert_eq(res->scan_ended->reports, 2);
	cr_assert_str_eq(res->scan_ended->reason, "stopped");
	/* Reports after the end go nowhere. */
	adv_report(0x03, 0xc8, (const uint8_t[]){ 2, 0x01, 0x04 }, 3, -70);
	expect_silence(SILENCE_MS);
}

Test(host_gap, scan_with_duration_ends_by_itself)
{
	start_up("2000");
	Hive__Scan scan = HIVE__SCAN__INIT;
	scan.passive = true;
	scan.interval_ms = 100;
	scan.window_ms = 50;
	scan.report_duplicates = true;
	scan.duration_ms = 200;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 30;
	r.op_case = HIVE__REQUEST__OP_SCAN;
	r.scan = &scan;
	send_request(&r);
	EXPECT_CMD(0x0b, 0x20, 0x07, 0x00, 0xa0, 0x00, 0x50, 0x00, 0x00, 0x00);
	CC(0x0b, 0x20, 0x00);
	EXPECT_CMD(0x0c, 0x20, 0x02, 0x01, 0x00);
	CC(0x0c, 0x20, 0x00);
	/* Passive: a scannable advertisement is reported at once. */
	adv_report(0x00, 0xc6, (const uint8_t[]){ 2, 0x01, 0x06 }, 3, -60);
	cr_assert_eq(result_at(0)->value_case, HIVE__RESULT__VALUE_SCAN_REPORT);
	EXPECT_CMD(0x0c, 0x20, 0x02, 0x00, 0x00);
	CC(0x0c, 0x20, 0x00);
	const Hive__Result *res = result_at(1);
	cr_assert_eq(res->id, 30);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_SCAN_ENDED);
	cr_assert_str_eq(res->scan_ended->reason, "duration");
}

static void connect_request(uint64_t id, uint32_t timeout_ms)
{
	uint8_t peer[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6 };
	Hive__Address a = HIVE__ADDRESS__INIT;
	a.type = HIVE__ADDRESS__TYPE__RANDOM;
	a.bdaddr.data = peer;
	a.bdaddr.len = 6;
	Hive__Connect c = HIVE__CONNECT__INIT;
	c.peer = &a;
	c.timeout_ms = timeout_ms;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = id;
	r.op_case = HIVE__REQUEST__OP_CONNECT;
	r.connect = &c;
	send_request(&r);
	EXPECT_CMD(0x0d, 0x20, 0x19, 0x60, 0x00, 0x60, 0x00, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44,
		   0x55, 0xc6, 0x00, 0x18, 0x00, 0x28, 0x00, 0x00, 0x00, 0xa4, 0x01, 0, 0, 0, 0);
	CS(0x0d, 0x20, 0x00);
}

Test(host_gap, connect_timeout_cancels)
{
	start_up("2000");
	connect_request(40, 300);
	expect_silence(SILENCE_MS);
	EXPECT_CMD(0x0e, 0x20, 0x00); /* LE Create Connection Cancel at the timeout */
	CC(0x0e, 0x20, 0x00);
	EVENT(0x3e, 0x13, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6,
	      0, 0, 0, 0, 0, 0, 0);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 40);
	cr_assert_eq(res->status, -ETIMEDOUT);
	cr_assert_eq(res->domain, HIVE__RESULT__DOMAIN__LOCAL);
}

Test(host_gap, connect_cancel_by_request)
{
	start_up("2000");
	connect_request(41, 10000);
	Hive__CancelConnect cc = HIVE__CANCEL_CONNECT__INIT;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 42;
	r.op_case = HIVE__REQUEST__OP_CANCEL_CONNECT;
	r.cancel_connect = &cc;
	send_request(&r);
	EXPECT_CMD(0x0e, 0x20, 0x00);
	CC(0x0e, 0x20, 0x00);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 42);
	cr_assert_eq(res->status, 0);
	EVENT(0x3e, 0x13, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6,
	      0, 0, 0, 0, 0, 0, 0);
	res = result_at(1);
	cr_assert_eq(res->id, 41);
	cr_assert_eq(res->status, -ECANCELED);
}

Test(host_gap, connect_update_rssi_phy_disconnect)
{
	start_up("2000");
	connect_request(50, 5000);
	EVENT(0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6,
	      0x28, 0x00, 0x00, 0x00, 0xa4, 0x01, 0x00);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 50);
	cr_assert_eq(res->status, 0, "%s", res->error);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_CONNECTION);
	cr_assert_eq(res->connection->handle, 0x40);
	cr_assert_eq(res->connection->role, HIVE__CONNECTED__ROLE__CENTRAL);
	cr_assert(wait_count(&l2cap_in.links, 1));

	Hive__UpdateConnection u = HIVE__UPDATE_CONNECTION__INIT;
	u.handle = 0x40;
	u.interval_min = 6;
	u.interval_max = 12;
	u.latency = 0;
	u.supervision_timeout = 100;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 51;
	r.op_case = HIVE__REQUEST__OP_UPDATE_CONNECTION;
	r.update_connection = &u;
	send_request(&r);
	EXPECT_CMD(0x13, 0x20, 0x0e, 0x40, 0x00, 0x06, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x64, 0x00, 0,
		   0, 0, 0);
	CS(0x13, 0x20, 0x00);
	expect_silence(SILENCE_MS);
	EVENT(0x3e, 0x0a, 0x03, 0x00, 0x40, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x64, 0x00);
	res = result_at(1);
	cr_assert_eq(res->id, 51);
	cr_assert_eq(res->status, 0);

	Hive__ReadRssi rr = HIVE__READ_RSSI__INIT;
	rr.handle = 0x40;
	r.id = 52;
	r.op_case = HIVE__REQUEST__OP_READ_RSSI;
	r.read_rssi = &rr;
	send_request(&r);
	EXPECT_CMD(0x05, 0x14, 0x02, 0x40, 0x00);
	CC(0x05, 0x14, 0x00, 0x40, 0x00, 0xc4);
	res = result_at(2);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_RSSI);
	cr_assert_eq(res->rssi->rssi, -60);

	Hive__SetPhy phy = HIVE__SET_PHY__INIT;
	phy.handle = 0x40;
	phy.tx_phys = 2;
	phy.rx_phys = 2;
	r.id = 53;
	r.op_case = HIVE__REQUEST__OP_SET_PHY;
	r.set_phy = &phy;
	send_request(&r);
	EXPECT_CMD(0x32, 0x20, 0x07, 0x40, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00);
	CS(0x32, 0x20, 0x00);
	EVENT(0x3e, 0x06, 0x0c, 0x00, 0x40, 0x00, 0x02, 0x02);
	res = result_at(3);
	cr_assert_eq(res->id, 53);
	cr_assert_eq(res->status, 0);

	Hive__SetDataLength dl = HIVE__SET_DATA_LENGTH__INIT;
	dl.handle = 0x40;
	dl.tx_octets = 251;
	r.id = 54;
	r.op_case = HIVE__REQUEST__OP_SET_DATA_LENGTH;
	r.set_data_length = &dl;
	send_request(&r);
	EXPECT_CMD(0x22, 0x20, 0x06, 0x40, 0x00, 0xfb, 0x00, 0x48, 0x08);
	CC(0x22, 0x20, 0x00, 0x40, 0x00);
	cr_assert_eq(result_at(4)->status, 0);

	Hive__Disconnect d = HIVE__DISCONNECT__INIT;
	d.handle = 0x40;
	r.id = 55;
	r.op_case = HIVE__REQUEST__OP_DISCONNECT;
	r.disconnect = &d;
	send_request(&r);
	EXPECT_CMD(0x06, 0x04, 0x03, 0x40, 0x00, 0x13);
	CS(0x06, 0x04, 0x00);
	expect_silence(SILENCE_MS);
	EVENT(0x05, 0x04, 0x00, 0x40, 0x00, 0x16);
	res = result_at(5);
	cr_assert_eq(res->id, 55);
	cr_assert_eq(res->status, 0);
	/* connected, parameters updated, PHY updated, disconnected */
	cr_assert(wait_count(&l2cap_in.links, 4));
	cr_assert_eq(l2cap_in.link_kind[3], HIVE__LINK_EVENT__KIND_DISCONNECTED);
	cr_assert_eq(l2cap_in.link_value[3], 0x16);

	/* Requests on a gone link are refused without a command. */
	r.id = 56;
	send_request(&r);
	res = result_at(6);
	cr_assert_eq(res->status, -ENOTCONN);
	expect_silence(SILENCE_MS);
}

Test(host_gap, ltk_request_goes_to_smp_and_its_reply_to_the_controller)
{
	start_up("2000");
	/* LE Connection Complete: handle 0x0040, peripheral. */
	EVENT(0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, 0x01, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
	      0x28, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00);
	cr_assert(wait_count(&smp_in.links, 1));
	/* LE Long Term Key Request: rand 0102030405060708, ediv 0x1234. */
	EVENT(0x3e, 0x0d, 0x05, 0x40, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 0x34, 0x12);
	cr_assert(wait_count(&smp_in.links, 2));
	cr_assert_eq(smp_in.link_kind[1], HIVE__LINK_EVENT__KIND_LTK_REQUESTED);
	cr_assert_eq(smp_in.link_handle[1], 0x40);
	uint8_t ltk[16];
	for (int i = 0; i < 16; i++)
		ltk[i] = (uint8_t)(0xa0 + i);
	Hive__LtkReply lr = HIVE__LTK_REPLY__INIT;
	lr.handle = 0x40;
	lr.found = true;
	lr.ltk.data = ltk;
	lr.ltk.len = 16;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 60;
	r.op_case = HIVE__REQUEST__OP_LTK_REPLY;
	r.ltk_reply = &lr;
	/* smp's Results: the second reply may only go once the first is done
	 * (the host refuses the same request twice in progress on a link). */
	hive_on(smp, HIVE__ENVELOPE__BODY_RESULT, on_result, &smp_in);
	send_request(&r);
	EXPECT_CMD(0x1a, 0x20, 0x12, 0x40, 0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
		   0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf);
	CC(0x1a, 0x20, 0x00, 0x40, 0x00);
	cr_assert(wait_count(&smp_in.results, 1), "no Result for the LTK reply");
	cr_assert_eq(smp_in.result[0]->status, 0);
	/* No key: the negative reply. */
	lr.found = false;
	r.id = 61;
	send_request(&r);
	EXPECT_CMD(0x1b, 0x20, 0x02, 0x40, 0x00);
	CC(0x1b, 0x20, 0x00, 0x40, 0x00);
	cr_assert(wait_count(&smp_in.results, 2), "no Result for the negative reply");
	expect_silence(SILENCE_MS);
	for (uint64_t i = 0; i < smp_in.results && i < PKT_MAX; i++)
		hive__result__free_unpacked(smp_in.result[i], NULL);
}
