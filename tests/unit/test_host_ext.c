/* hive-host's extended advertising, scanning and connecting as HCI scripts
 * (harness: host_gap_util.h): with a controller that reports LE Extended
 * Advertising and the extended commands, every advertising, scanning and
 * connecting command is an extended one, long data is fragmented, chained
 * and truncated Extended Advertising Reports are put back together, and
 * malformed ones are dropped; with a controller without them, requests
 * that need them are refused without a command. */
#include "host_gap_util.h"

TestSuite(host_ext, .init = setup, .fini = teardown, .timeout = 60);

/* LE features: DLE, 2M, Coded, Extended Advertising. */
static const uint8_t ext_features[8] = { 0x20, 0x19 };

static void start_up_ext(void)
{
	uint8_t cmds[64] = { 0 };
	cmds[35] = 0x10;                      /* LE Read PHY */
	cmds[36] = 0xfe;                      /* the advertising set commands */
	cmds[37] = 0x01 | 0x02 | 0xe0;        /* remove, clear, scan, create connection */
	start_up_with("2000", ext_features, cmds, true);
}

/* Waits for the next command and checks its opcode, parameter length and
 * parameters. */
static void expect_cmd(uint16_t opcode, const uint8_t *params, size_t plen)
{
	uint8_t pkt[3 + 255];
	pkt[0] = (uint8_t)opcode;
	pkt[1] = (uint8_t)(opcode >> 8);
	pkt[2] = (uint8_t)plen;
	memcpy(pkt + 3, params, plen);
	expect_hci(HIVE__HCI_PACKET__TYPE__COMMAND, pkt, 3 + plen);
}

static void cc_ok(uint16_t opcode)
{
	EVENT(0x0e, 0x04, 0x01, (uint8_t)opcode, (uint8_t)(opcode >> 8), 0x00);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* One LE Extended Advertising Report event with one report from
 * 11:22:33:44:55:<last> (random). */
static void ext_report(uint16_t type, uint8_t last, uint8_t sid, const uint8_t *data,
		       uint8_t len)
{
	uint8_t ev[2 + 2 + 24 + 229];
	size_t n = 0;
	cr_assert_leq(len, 229);
	ev[n++] = 0x3e;
	ev[n++] = (uint8_t)(2 + 24 + len);
	ev[n++] = 0x0d;
	ev[n++] = 1;
	ev[n++] = (uint8_t)type;
	ev[n++] = (uint8_t)(type >> 8);
	ev[n++] = 1; /* random */
	const uint8_t addr[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, last };
	memcpy(ev + n, addr, 6);
	n += 6;
	ev[n++] = 0x01; /* primary PHY 1M */
	ev[n++] = 0x02; /* secondary PHY 2M */
	ev[n++] = sid;
	ev[n++] = 0x7f; /* TX power: none */
	ev[n++] = (uint8_t)-58;
	ev[n++] = 0; /* periodic interval */
	ev[n++] = 0;
	ev[n++] = 0; /* direct address type and address */
	memset(ev + n, 0, 6);
	n += 6;
	ev[n++] = len;
	memcpy(ev + n, data, len);
	n += len;
	send_hci(HIVE__HCI_PACKET__TYPE__EVENT, ev, n);
}

/* How many link events of kind for handle l2cap has had (other kinds, such
 * as ACL credits, come in between). */
static unsigned links_of(Hive__LinkEvent__KindCase kind, uint32_t handle)
{
	unsigned n = 0;
	for (uint64_t i = 0; i < l2cap_in.links && i < PKT_MAX; i++)
		n += l2cap_in.link_kind[i] == kind && l2cap_in.link_handle[i] == handle;
	return n;
}

/* Waits until l2cap has had want link events of kind for handle. */
static bool wait_links(Hive__LinkEvent__KindCase kind, uint32_t handle, unsigned want)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (links_of(kind, handle) < want && hive_now_ns() < deadline)
		pump_once();
	return links_of(kind, handle) >= want;
}

static void advertise(uint64_t id, bool connectable, bool extended, uint32_t phy,
		      const uint8_t *raw, size_t len)
{
	Hive__Advertise adv = HIVE__ADVERTISE__INIT;
	adv.connectable = connectable;
	adv.interval_ms = 100;
	adv.extended = extended;
	adv.phy = phy;
	adv.raw_data.data = (uint8_t *)raw;
	adv.raw_data.len = len;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = id;
	r.op_case = HIVE__REQUEST__OP_ADVERTISE;
	r.advertise = &adv;
	send_request(&r);
}

Test(host_ext, long_data_is_fragmented_and_legacy_pdus_use_the_extended_commands)
{
	start_up_ext();
	uint8_t data[300];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = pattern(i);
	advertise(7, true, true, 2, data, sizeof data);
	/* Extended connectable on 1M primary, 2M secondary, every 100 ms. */
	const uint8_t params[] = { 0x00, 0x01, 0x00, 0xa0, 0x00, 0x00, 0xa0, 0x00, 0x00, 0x07,
				   0x00, 0x00, 0, 0, 0, 0, 0, 0, 0x00, 0x7f, 0x01, 0x00,
				   0x02, 0x00, 0x00 };
	expect_cmd(0x2036, params, sizeof params);
	EVENT(0x0e, 0x05, 0x01, 0x36, 0x20, 0x00, 0x00);
	uint8_t frag[4 + 251] = { 0x00, 0x01, 0x01, 251 }; /* first fragment */
	memcpy(frag + 4, data, 251);
	expect_cmd(0x2037, frag, sizeof frag);
	cc_ok(0x2037);
	uint8_t last[4 + 49] = { 0x00, 0x02, 0x01, 49 }; /* last fragment */
	memcpy(last + 4, data + 251, 49);
	expect_cmd(0x2037, last, sizeof last);
	cc_ok(0x2037);
	expect_cmd(0x2039, (const uint8_t[]){ 0x01, 0x01, 0x00, 0x00, 0x00, 0x00 }, 6);
	cc_ok(0x2039);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 7);
	cr_assert_eq(res->status, 0, "%s", res->error);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_ADVERTISE);
	cr_assert(res->advertise->extended);

	/* Short data while advertising: stop, a fresh set with legacy ADV_IND
	 * properties (legacy scanners hear it), data, an empty response. */
	advertise(8, true, false, 0, (const uint8_t[]){ 2, 0x01, 0x06 }, 3);
	expect_cmd(0x2039, (const uint8_t[]){ 0x00, 0x01, 0x00, 0x00, 0x00, 0x00 }, 6);
	cc_ok(0x2039);
	expect_cmd(0x203c, (const uint8_t[]){ 0x00 }, 1);
	cc_ok(0x203c);
	uint8_t lp[sizeof params];
	memcpy(lp, params, sizeof lp);
	lp[1] = 0x13; /* legacy, connectable, scannable */
	lp[22] = 0x01; /* secondary 1M */
	expect_cmd(0x2036, lp, sizeof lp);
	EVENT(0x0e, 0x05, 0x01, 0x36, 0x20, 0x00, 0x00);
	expect_cmd(0x2037, (const uint8_t[]){ 0x00, 0x03, 0x01, 3, 2, 0x01, 0x06 }, 7);
	cc_ok(0x2037);
	expect_cmd(0x2038, (const uint8_t[]){ 0x00, 0x03, 0x01, 0 }, 4);
	cc_ok(0x2038);
	expect_cmd(0x2039, (const uint8_t[]){ 0x01, 0x01, 0x00, 0x00, 0x00, 0x00 }, 6);
	cc_ok(0x2039);
	res = result_at(1);
	cr_assert_eq(res->id, 8);
	cr_assert_eq(res->status, 0, "%s", res->error);

	/* Stop: disable the set. */
	Hive__StopAdvertising stop = HIVE__STOP_ADVERTISING__INIT;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 9;
	r.op_case = HIVE__REQUEST__OP_STOP_ADVERTISING;
	r.stop_advertising = &stop;
	send_request(&r);
	expect_cmd(0x2039, (const uint8_t[]){ 0x00, 0x01, 0x00, 0x00, 0x00, 0x00 }, 6);
	cc_ok(0x2039);
	res = result_at(2);
	cr_assert_eq(res->id, 9);
	cr_assert_eq(res->status, 0);
	expect_silence(SILENCE_MS);
}

static void start_scan(uint64_t id, uint32_t duration_ms, uint16_t duration)
{
	Hive__Scan scan = HIVE__SCAN__INIT;
	scan.duration_ms = duration_ms;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = id;
	r.op_case = HIVE__REQUEST__OP_SCAN;
	r.scan = &scan;
	send_request(&r);
	/* Active, 60 ms, on 1M and Coded. */
	expect_cmd(0x2041,
		   (const uint8_t[]){ 0x00, 0x00, 0x05, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x60,
				      0x00, 0x60, 0x00 },
		   13);
	cc_ok(0x2041);
	expect_cmd(0x2042,
		   (const uint8_t[]){ 0x01, 0x01, (uint8_t)duration, (uint8_t)(duration >> 8),
				      0x00, 0x00 },
		   6);
	cc_ok(0x2042);
}

Test(host_ext, chained_and_truncated_reports_are_reassembled)
{
	start_up_ext();
	start_scan(20, 0, 0);
	expect_silence(SILENCE_MS);
	uint8_t data[400];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = pattern(i);
	/* Device c1: 200 + 150 bytes in two reports, with a whole report
	 * from device c2 between them. */
	ext_report(0x0021, 0xc1, 3, data, 200); /* connectable, incomplete */
	expect_silence(SILENCE_MS);
	ext_report(0x0000, 0xc2, 1, (const uint8_t[]){ 2, 0x01, 0x04 }, 3);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_SCAN_REPORT);
	cr_assert_eq(res->scan_report->address->bdaddr.data[5], 0xc2);
	cr_assert(res->scan_report->extended && !res->scan_report->connectable);
	ext_report(0x0001, 0xc1, 3, data + 200, 150); /* complete */
	res = result_at(1);
	const Hive__ScanReport *sr = res->scan_report;
	cr_assert_eq(sr->address->bdaddr.data[5], 0xc1);
	cr_assert_eq(sr->adv_data.len, 350);
	cr_assert_eq(memcmp(sr->adv_data.data, data, 350), 0);
	cr_assert(sr->extended && sr->connectable && !sr->truncated);
	cr_assert_eq(sr->primary_phy, 1);
	cr_assert_eq(sr->secondary_phy, 2);
	cr_assert_eq(sr->sid, 3);
	cr_assert_eq(sr->rssi, -58);

	/* Device c3: 100 bytes, then the controller gives up (truncated). */
	ext_report(0x0020, 0xc3, 0, data, 100);
	ext_report(0x0040, 0xc3, 0, data + 100, 20);
	res = result_at(2);
	sr = res->scan_report;
	cr_assert_eq(sr->address->bdaddr.data[5], 0xc3);
	cr_assert(sr->truncated);
	cr_assert_eq(sr->adv_data.len, 120);
	cr_assert_eq(memcmp(sr->adv_data.data, data, 120), 0);

	/* A legacy ADV_IND through the extended report waits for its scan
	 * response and is merged with it. */
	ext_report(0x0013, 0xc4, 0xff, (const uint8_t[]){ 2, 0x01, 0x06 }, 3);
	expect_silence(SILENCE_MS);
	ext_report(0x001b, 0xc4, 0xff, (const uint8_t[]){ 5, 0x09, 'e', 'x', 't', '!' }, 6);
	res = result_at(3);
	sr = res->scan_report;
	cr_assert(!sr->extended && sr->connectable && sr->has_scan_response);
	cr_assert_str_eq(sr->data->name, "ext!");
	expect_silence(SILENCE_MS);
}

Test(host_ext, malformed_extended_reports_are_dropped)
{
	start_up_ext();
	start_scan(30, 0, 0);
	/* No reports; eleven reports; reserved data status; a legacy PDU
	 * with 32 bytes; a legacy type that does not exist; a data length
	 * past the end; a byte too many. */
	EVENT(0x3e, 0x02, 0x0d, 0x00);
	EVENT(0x3e, 0x02, 0x0d, 0x0b);
	uint8_t big[32] = { 0 };
	ext_report(0x0060, 0xd1, 0, big, 1);
	ext_report(0x0013, 0xd2, 0, big, 32);
	ext_report(0x0017, 0xd3, 0, big, 1);
	uint8_t ev[2 + 2 + 24 + 4] = { 0x3e, 2 + 24 + 2, 0x0d, 1, 0x00, 0x00, 1 };
	ev[2 + 2 + 23] = 5; /* says 5 bytes, 2 follow */
	send_hci(HIVE__HCI_PACKET__TYPE__EVENT, ev, 2 + 2 + 24 + 2);
	uint8_t extra[2 + 2 + 24 + 2] = { 0x3e, 2 + 24 + 2, 0x0d, 1, 0x00, 0x00, 1 };
	extra[2 + 2 + 23] = 1; /* one byte of data, then one too many */
	send_hci(HIVE__HCI_PACKET__TYPE__EVENT, extra, sizeof extra);
	/* An advertising set terminated and a scan timeout of the wrong size. */
	EVENT(0x3e, 0x03, 0x12, 0x00, 0x00);
	EVENT(0x3e, 0x02, 0x11, 0x00);
	expect_silence(SILENCE_MS);
	/* The host is fine: a good report still arrives, and the scan runs. */
	ext_report(0x0000, 0xd4, 0, (const uint8_t[]){ 2, 0x01, 0x04 }, 3);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_SCAN_REPORT);
	cr_assert_eq(res->scan_report->address->bdaddr.data[5], 0xd4);
	Hive__Status *st = th_status(app, TH_DEADLINE_MS);
	cr_assert_not_null(st);
	const Hive__ActorStatus *s = th_status_find(st, "host");
	cr_assert(s && s->up);
	hive__status__free_unpacked(st, NULL);
}

Test(host_ext, the_controller_ends_a_scan_with_scan_timeout)
{
	start_up_ext();
	start_scan(40, 500, 50);
	expect_silence(SILENCE_MS); /* the host keeps no timer of its own */
	EVENT(0x3e, 0x01, 0x11);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 40);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_SCAN_ENDED);
	cr_assert_str_eq(res->scan_ended->reason, "duration");
	expect_silence(SILENCE_MS);
}

Test(host_ext, connect_on_2m_then_read_the_phy)
{
	start_up_ext();
	Hive__Address peer = HIVE__ADDRESS__INIT;
	peer.type = HIVE__ADDRESS__TYPE__RANDOM;
	peer.bdaddr.data = (uint8_t[]){ 0x01, 0x02, 0x03, 0x04, 0x05, 0xc9 };
	peer.bdaddr.len = 6;
	Hive__Connect c = HIVE__CONNECT__INIT;
	c.peer = &peer;
	c.phys = 2; /* 2M: initiating on 1M with 2M parameters */
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 50;
	r.op_case = HIVE__REQUEST__OP_CONNECT;
	r.connect = &c;
	send_request(&r);
	uint8_t p[10 + 32] = { 0x00, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0xc9, 0x03 };
	for (int k = 0; k < 2; k++) {
		const uint8_t phy[16] = { 0x60, 0x00, 0x60, 0x00, 24, 0, 40, 0, 0, 0, 0xa4, 0x01 };
		memcpy(p + 10 + 16 * k, phy, 16);
	}
	expect_cmd(0x2043, p, sizeof p);
	CS(0x43, 0x20, 0x00);
	/* LE Enhanced Connection Complete (v1), central, handle 0x0040. */
	EVENT(0x3e, 0x1f, 0x0a, 0x00, 0x40, 0x00, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0xc9,
	      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x28, 0x00, 0x00, 0x00, 0xa4, 0x01, 0x00);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 50);
	cr_assert_eq(res->status, 0, "%s", res->error);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_CONNECTION);
	cr_assert_eq(res->connection->handle, 0x40);
	expect_cmd(0x2030, (const uint8_t[]){ 0x40, 0x00 }, 2);
	CC(0x30, 0x20, 0x00, 0x40, 0x00, 0x02, 0x02);
	/* l2cap hears connected, then the PHY. */
	cr_assert(wait_links(HIVE__LINK_EVENT__KIND_CONNECTED, 0x40, 1));
	cr_assert(wait_links(HIVE__LINK_EVENT__KIND_PHY_UPDATED, 0x40, 1));

	/* A peripheral link from Enhanced Connection Complete v2, then the
	 * set's end: the PHY read says 1M, nothing to tell. */
	EVENT(0x3e, 0x22, 0x29, 0x00, 0x41, 0x00, 0x01, 0x00, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x28, 0x00, 0x00, 0x00, 0xa4, 0x01, 0x00, 0x00,
	      0xff, 0xff);
	EVENT(0x3e, 0x06, 0x12, 0x00, 0x00, 0x41, 0x00, 0x01);
	expect_cmd(0x2030, (const uint8_t[]){ 0x41, 0x00 }, 2);
	CC(0x30, 0x20, 0x00, 0x41, 0x00, 0x01, 0x01);
	cr_assert(wait_links(HIVE__LINK_EVENT__KIND_CONNECTED, 0x41, 1));
	expect_silence(SILENCE_MS);
	cr_assert_eq(links_of(HIVE__LINK_EVENT__KIND_PHY_UPDATED, 0x41), 0);
}

Test(host_ext, a_legacy_controller_refuses_what_needs_extended)
{
	start_up("2000");
	uint8_t data[40] = { 39, 0xff };
	advertise(60, true, false, 0, data, sizeof data);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->status, -EOPNOTSUPP);
	cr_assert(strstr(res->error, "extended"), "%s", res->error);
	advertise(61, true, true, 0, data, 3);
	res = result_at(1);
	cr_assert_eq(res->status, -EOPNOTSUPP);
	Hive__Address peer = HIVE__ADDRESS__INIT;
	peer.bdaddr.data = (uint8_t[]){ 1, 2, 3, 4, 5, 6 };
	peer.bdaddr.len = 6;
	Hive__Connect c = HIVE__CONNECT__INIT;
	c.peer = &peer;
	c.phys = 4;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 62;
	r.op_case = HIVE__REQUEST__OP_CONNECT;
	r.connect = &c;
	send_request(&r);
	res = result_at(2);
	cr_assert_eq(res->status, -EOPNOTSUPP);
	expect_silence(SILENCE_MS);
	/* Short data still goes out with the legacy commands. */
	advertise(63, false, false, 0, data, 3);
	EXPECT_CMD(0x06, 0x20, 0x0f, 0xa0, 0x00, 0xa0, 0x00, 0x03, 0x00, 0x00, 0, 0, 0, 0, 0, 0,
		   0x07, 0x00);
}
