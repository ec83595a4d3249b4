/* hive-vctrl: the radio as the Core specification says controllers behave:
 * advertising and scanning, connections and their procedures, ACL data and
 * flow control, encryption. Driven with byte vectors, time passed in. */
#include <stdlib.h>

#include "vctrl_test.h"

/* ============================================================================
 * Advertising and scanning
 * ========================================================================== */

Test(vctrl_adv, legacy_report_reaches_every_scanner)
{
	struct rig *g = rig_new(3, 8);
	const uint8_t data[] = { 0x02, 0x01, 0x06, 0x05, 0x09, 'h', 'i', 'v', 'e' };
	rig_legacy_adv(g, 0, HCI_ADV_IND, data, sizeof data);
	rig_legacy_scan(g, 1, 0, 0);
	rig_legacy_scan(g, 2, 0, 0);
	rig_tick(g, 15);
	uint8_t a0[6];
	vctrl_public_address(g->r, 0, a0);
	for (unsigned i = 1; i <= 2; i++) {
		struct pkt k;
		cr_assert(rig_find_event(g, i, HCI_EV_LE_META, HCI_LE_ADVERTISING_REPORT, &k),
			  "ctrl%u heard nothing", i);
		const uint8_t *p = evt_params(&k);
		cr_assert_eq(p[0], 1, "one report");
		cr_assert_eq(p[1], HCI_REPORT_ADV_IND);
		cr_assert_eq(p[2], HCI_ADDR_PUBLIC);
		cr_assert_arr_eq(p + 3, a0, 6);
		cr_assert_eq(p[9], sizeof data);
		cr_assert_arr_eq(p + 10, data, sizeof data);
		cr_assert_eq((int8_t)p[10 + sizeof data], -50, "RSSI");
		cr_assert_eq(k.b[1], 1 + 1 + 1 + 1 + 6 + 1 + sizeof data + 1, "event length");
	}
	rig_expect_nothing(g, 0);
	/* Without duplicate filtering, every advertising event is reported. */
	rig_tick(g, 35);
	struct pkt k;
	cr_assert(rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_ADVERTISING_REPORT, &k));
	/* A masked report is not sent. */
	rig_drain(g, 2);
	rig_le_mask(g, 2, 0x1F & ~0x02ull);
	rig_tick(g, 40);
	rig_expect_nothing(g, 2);
	rig_free(g);
}

Test(vctrl_adv, active_scan_gets_scan_response_once_with_duplicate_filter)
{
	struct rig *g = rig_new(3, 8);
	uint8_t rsp[32] = { 4, 0x03, 0x09, 'r', 's' };
	rig_ok(g, 0, HCI_LE_SET_SCAN_RESPONSE_DATA, rsp, 32);
	rig_legacy_adv(g, 0, HCI_ADV_IND, (const uint8_t *)"\x02\x01\x06", 3);
	rig_legacy_scan(g, 1, 1 /* active */, 1 /* filter duplicates */);
	rig_legacy_scan(g, 2, 0 /* passive */, 0);
	rig_tick(g, 15);
	struct pkt k;
	cr_assert(rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_ADVERTISING_REPORT, &k));
	cr_assert_eq(evt_params(&k)[1], HCI_REPORT_ADV_IND);
	cr_assert(rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_ADVERTISING_REPORT, &k));
	cr_assert_eq(evt_params(&k)[1], HCI_REPORT_SCAN_RSP);
	cr_assert_eq(evt_params(&k)[9], 4);
	cr_assert_arr_eq(evt_params(&k) + 10, rsp + 1, 4);
	for (int i = 0; i < 5; i++)
		rig_tick(g, 25);
	rig_expect_nothing(g, 1); /* duplicates filtered */
	int reports = 0;
	while (rig_find_event(g, 2, HCI_EV_LE_META, HCI_LE_ADVERTISING_REPORT, &k)) {
		cr_assert_neq(evt_params(&k)[1], HCI_REPORT_SCAN_RSP, "a passive scanner sends no "
			      "scan requests");
		reports++;
	}
	cr_assert_geq(reports, 5);
	/* Restarting the scan restarts the filter. */
	rig_ok(g, 1, HCI_LE_SET_SCAN_ENABLE, (uint8_t[]){ 0, 0 }, 2);
	rig_ok(g, 1, HCI_LE_SET_SCAN_ENABLE, (uint8_t[]){ 1, 1 }, 2);
	rig_tick(g, 25);
	cr_assert(rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_ADVERTISING_REPORT, &k));
	rig_free(g);
}

static void ext_adv_params(struct rig *g, unsigned i, uint8_t handle, uint16_t props,
			   uint8_t sec_phy)
{
	uint8_t p[25] = { handle, (uint8_t)props, (uint8_t)(props >> 8),
			  0x20, 0, 0, 0x20, 0, 0, /* intervals */
			  7, 0, 0, 0, 0, 0, 0, 0, 0, /* channels, own, peer type, peer */
			  0, 0x7F, HCI_PHY_1M, 0, sec_phy, 3, 0 };
	rig_cmd(g, i, HCI_LE_SET_EXTENDED_ADVERTISING_PARAMETERS, p, sizeof p);
	uint8_t ret[8];
	size_t n;
	cr_assert_eq(rig_expect_cc(g, i, HCI_LE_SET_EXTENDED_ADVERTISING_PARAMETERS, ret, &n), 0);
	cr_assert_eq(n, 1, "Selected_TX_Power");
}

static void ext_adv_enable(struct rig *g, unsigned i, uint8_t handle, uint16_t duration)
{
	uint8_t e[6] = { 1, 1, handle, (uint8_t)duration, (uint8_t)(duration >> 8), 0 };
	rig_ok(g, i, HCI_LE_SET_EXTENDED_ADVERTISING_ENABLE, e, sizeof e);
}

static void ext_scan(struct rig *g, unsigned i, uint8_t active, uint16_t duration)
{
	uint8_t p[8] = { 0, 0, 0x01, active, 0x10, 0, 0x10, 0 };
	rig_ok(g, i, HCI_LE_SET_EXTENDED_SCAN_PARAMETERS, p, sizeof p);
	uint8_t e[6] = { 1, 0, (uint8_t)duration, (uint8_t)(duration >> 8), 0, 0 };
	rig_ok(g, i, HCI_LE_SET_EXTENDED_SCAN_ENABLE, e, sizeof e);
}

Test(vctrl_adv, extended_advertising_long_data_in_fragments)
{
	struct rig *g = rig_new(3, 8);
	ext_adv_params(g, 0, 1, 0 /* non-connectable, non-scannable */, HCI_PHY_2M);
	uint8_t data[300];
	for (int i = 0; i < 300; i++)
		data[i] = (uint8_t)i;
	uint8_t d[4 + 251] = { 1, 1 /* first */, 1, 251 };
	memcpy(d + 4, data, 251);
	rig_ok(g, 0, HCI_LE_SET_EXTENDED_ADVERTISING_DATA, d, 4 + 251);
	uint8_t d2[4 + 49] = { 1, 2 /* last */, 1, 49 };
	memcpy(d2 + 4, data + 251, 49);
	rig_ok(g, 0, HCI_LE_SET_EXTENDED_ADVERTISING_DATA, d2, 4 + 49);
	ext_adv_enable(g, 0, 1, 0);
	rig_le_mask(g, 1, LE_MASK_ALL);
	ext_scan(g, 1, 0, 0);
	rig_legacy_scan(g, 2, 0, 0);
	rig_tick(g, 15);
	struct pkt k;
	cr_assert(rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_EXTENDED_ADVERTISING_REPORT, &k));
	const uint8_t *p = evt_params(&k);
	cr_assert_eq(p[0], 1);
	cr_assert_eq(get_le16(p + 1), EXT_REPORT_MORE_DATA, "incomplete, more to come");
	cr_assert_eq(p[10], HCI_PHY_1M);
	cr_assert_eq(p[11], HCI_PHY_2M);
	cr_assert_eq(p[12], 3, "SID");
	cr_assert_eq(p[13], 127, "TX power not available");
	cr_assert_eq((int8_t)p[14], -50, "RSSI");
	cr_assert_eq(p[24], 229);
	cr_assert_arr_eq(p + 25, data, 229);
	cr_assert(rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_EXTENDED_ADVERTISING_REPORT, &k));
	p = evt_params(&k);
	cr_assert_eq(get_le16(p + 1), 0, "complete");
	cr_assert_eq(p[24], 300 - 229);
	cr_assert_arr_eq(p + 25, data + 229, 300 - 229);
	/* A legacy scanner hears no extended PDUs. */
	rig_expect_nothing(g, 2);
	/* Legacy-PDU sets are heard by both, as ADV_IND (0x13) for the
	 * extended scanner. */
	ext_adv_params(g, 0, 2, ADV_PROP_LEGACY | ADV_PROP_CONNECTABLE | ADV_PROP_SCANNABLE, 1);
	uint8_t d3[4 + 3] = { 2, 3, 1, 3, 2, 1, 6 };
	rig_ok(g, 0, HCI_LE_SET_EXTENDED_ADVERTISING_DATA, d3, sizeof d3);
	ext_adv_enable(g, 0, 2, 0);
	rig_drain(g, 1);
	rig_tick(g, 25);
	bool legacy_seen = false;
	while (rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_EXTENDED_ADVERTISING_REPORT, &k))
		legacy_seen |= get_le16(evt_params(&k) + 1) == 0x13 && evt_params(&k)[12] == 0xFF;
	cr_assert(legacy_seen);
	cr_assert(rig_find_event(g, 2, HCI_EV_LE_META, HCI_LE_ADVERTISING_REPORT, &k));
	rig_free(g);
}

Test(vctrl_adv, durations_end_with_events)
{
	struct rig *g = rig_new(2, 8);
	rig_le_mask(g, 0, LE_MASK_ALL);
	rig_le_mask(g, 1, LE_MASK_ALL);
	ext_adv_params(g, 0, 5, 0, HCI_PHY_1M);
	ext_adv_enable(g, 0, 5, 10 /* 100 ms */);
	ext_scan(g, 1, 0, 10 /* 100 ms */);
	rig_tick(g, 60);
	rig_tick(g, 60);
	struct pkt k;
	cr_assert(rig_find_event(g, 0, HCI_EV_LE_META, HCI_LE_ADVERTISING_SET_TERMINATED, &k));
	cr_assert_eq(evt_params(&k)[0], HCI_ADVERTISING_TIMEOUT);
	cr_assert_eq(evt_params(&k)[1], 5);
	cr_assert(rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_SCAN_TIMEOUT, &k));
	rig_drain(g, 1);
	rig_tick(g, 60);
	rig_expect_nothing(g, 1);
	rig_free(g);
}

/* ============================================================================
 * Connections
 * ========================================================================== */

Test(vctrl_conn, connect_gives_both_sides_their_roles)
{
	struct rig *g = rig_new(2, 8);
	uint8_t a0[6], a1[6], cp[25];
	vctrl_public_address(g->r, 0, a0);
	vctrl_public_address(g->r, 1, a1);
	/* The central asks for the enhanced event, the peripheral does not. */
	rig_le_mask(g, 1, 0x1F | 1u << 9);
	rig_legacy_adv(g, 0, HCI_ADV_IND, NULL, 0);
	create_conn_params(cp, a0);
	rig_cmd(g, 1, HCI_LE_CREATE_CONNECTION, cp, 25);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_LE_CREATE_CONNECTION), 0);
	/* A second attempt while initiating is disallowed. */
	rig_cmd(g, 1, HCI_LE_CREATE_CONNECTION, cp, 25);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_LE_CREATE_CONNECTION), HCI_COMMAND_DISALLOWED);
	rig_tick(g, 20);
	struct pkt k;
	cr_assert(rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_ENHANCED_CONNECTION_COMPLETE, &k));
	const uint8_t *p = evt_params(&k);
	cr_assert_eq(k.b[1], 31);
	cr_assert_eq(p[0], 0);
	cr_assert_eq(p[3], HCI_ROLE_CENTRAL);
	cr_assert_eq(p[4], HCI_ADDR_PUBLIC);
	cr_assert_arr_eq(p + 5, a0, 6);
	cr_assert_eq(get_le16(p + 23), 0x28, "interval");
	cr_assert_eq(get_le16(p + 27), 0x2A, "supervision timeout");
	uint16_t hc = get_le16(p + 1);
	cr_assert(rig_find_event(g, 0, HCI_EV_LE_META, HCI_LE_CONNECTION_COMPLETE, &k));
	p = evt_params(&k);
	cr_assert_eq(k.b[1], 19);
	cr_assert_eq(p[3], HCI_ROLE_PERIPHERAL);
	cr_assert_arr_eq(p + 5, a1, 6);
	uint16_t hp = get_le16(p + 1);
	cr_assert(hc <= 0x0EFF && hp <= 0x0EFF);
	/* Legacy advertising stopped with the connection. */
	rig_legacy_scan(g, 1, 0, 0);
	rig_tick(g, 50);
	cr_assert_not(rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_ADVERTISING_REPORT, &k));
	rig_free(g);
}

Test(vctrl_conn, cancel_ends_the_attempt_with_unknown_connection_id)
{
	struct rig *g = rig_new(2, 8);
	uint8_t a0[6], cp[25];
	vctrl_public_address(g->r, 0, a0);
	create_conn_params(cp, a0);
	rig_cmd(g, 1, HCI_LE_CREATE_CONNECTION_CANCEL, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 1, HCI_LE_CREATE_CONNECTION_CANCEL, NULL, NULL),
		     HCI_COMMAND_DISALLOWED);
	rig_ok(g, 1, HCI_LE_CREATE_CONNECTION, cp, 25);
	rig_tick(g, 50); /* nobody advertises */
	rig_expect_nothing(g, 1);
	rig_ok(g, 1, HCI_LE_CREATE_CONNECTION_CANCEL, NULL, 0);
	struct pkt k;
	cr_assert(rig_pop(g, 1, &k));
	cr_assert(pkt_is_event(&k, HCI_EV_LE_META, HCI_LE_CONNECTION_COMPLETE));
	cr_assert_eq(evt_params(&k)[0], HCI_UNKNOWN_CONNECTION_ID);
	/* Advertising later does not connect a cancelled initiator. */
	rig_legacy_adv(g, 0, HCI_ADV_IND, NULL, 0);
	rig_tick(g, 50);
	rig_expect_nothing(g, 1);
	rig_free(g);
}

Test(vctrl_conn, disconnect_reason_reaches_the_peer)
{
	struct rig *g = rig_new(2, 8);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	uint8_t d[3] = { 0xEE, 0x0E, 0x13 };
	rig_cmd(g, 1, HCI_DISCONNECT, d, 3);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_DISCONNECT), HCI_UNKNOWN_CONNECTION_ID);
	d[0] = (uint8_t)hc;
	d[1] = (uint8_t)(hc >> 8);
	d[2] = 0x08; /* not a reason a host may give */
	rig_cmd(g, 1, HCI_DISCONNECT, d, 3);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_DISCONNECT), HCI_INVALID_PARAMETERS);
	d[2] = HCI_REMOTE_USER_TERMINATED;
	rig_cmd(g, 1, HCI_DISCONNECT, d, 3);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_DISCONNECT), 0);
	struct pkt k;
	cr_assert(rig_pop(g, 1, &k));
	cr_assert(pkt_is_event(&k, HCI_EV_DISCONNECTION_COMPLETE, -1));
	cr_assert_eq(evt_params(&k)[0], 0);
	cr_assert_eq(get_le16(evt_params(&k) + 1), hc);
	cr_assert_eq(evt_params(&k)[3], HCI_LOCAL_HOST_TERMINATED);
	cr_assert(rig_pop(g, 0, &k));
	cr_assert(pkt_is_event(&k, HCI_EV_DISCONNECTION_COMPLETE, -1));
	cr_assert_eq(get_le16(evt_params(&k) + 1), hp);
	cr_assert_eq(evt_params(&k)[3], HCI_REMOTE_USER_TERMINATED);
	rig_cmd(g, 1, HCI_DISCONNECT, d, 3);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_DISCONNECT), HCI_UNKNOWN_CONNECTION_ID);
	rig_free(g);
}

Test(vctrl_conn, power_off_ends_links_towards_peers)
{
	struct rig *g = rig_new(2, 8);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	vctrl_host_detach(g->r, 1, g->now);
	cr_assert_not(vctrl_host_attached(g->r, 1));
	struct pkt k;
	cr_assert(rig_pop(g, 0, &k));
	cr_assert(pkt_is_event(&k, HCI_EV_DISCONNECTION_COMPLETE, -1));
	cr_assert_eq(get_le16(evt_params(&k) + 1), hp);
	cr_assert_eq(evt_params(&k)[3], HCI_REMOTE_USER_TERMINATED);
	/* A new host finds a controller in its reset state that connects again. */
	rig_power_on(g, 1);
	rig_expect_nothing(g, 1);
	rig_link_up(g, 1, 0, &hc, &hp);
	/* Reset ends links too, without events to the resetting host. */
	rig_cmd(g, 0, HCI_RESET, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_RESET, NULL, NULL), 0);
	rig_expect_nothing(g, 0);
	cr_assert(rig_find_event(g, 1, HCI_EV_DISCONNECTION_COMPLETE, -1, &k));
	rig_free(g);
}

Test(vctrl_conn, procedures_update_phy_data_length_remote_info)
{
	struct rig *g = rig_new(2, 8);
	uint16_t hc, hp;
	rig_le_mask(g, 0, LE_MASK_ALL);
	rig_le_mask(g, 1, LE_MASK_ALL);
	rig_link_up(g, 1, 0, &hc, &hp);
	struct pkt k;
	uint8_t u[14] = { (uint8_t)hc, (uint8_t)(hc >> 8), 0x10, 0, 0x10, 0, 2, 0, 0x64, 0, 0, 0,
			  0,           0 };
	rig_cmd(g, 1, HCI_LE_CONNECTION_UPDATE, u, 14);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_LE_CONNECTION_UPDATE), 0);
	for (unsigned i = 0; i < 2; i++) {
		cr_assert(rig_find_event(g, i, HCI_EV_LE_META, HCI_LE_CONNECTION_UPDATE_COMPLETE, &k));
		cr_assert_eq(evt_params(&k)[0], 0);
		cr_assert_eq(get_le16(evt_params(&k) + 1), i ? hc : hp);
		cr_assert_eq(get_le16(evt_params(&k) + 3), 0x10);
		cr_assert_eq(get_le16(evt_params(&k) + 5), 2);
		cr_assert_eq(get_le16(evt_params(&k) + 7), 0x64);
	}
	/* Timeout too short for the latency: invalid. */
	u[8] = 0x0A;
	rig_cmd(g, 1, HCI_LE_CONNECTION_UPDATE, u, 14);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_LE_CONNECTION_UPDATE), HCI_INVALID_PARAMETERS);
	/* The peripheral would need the Connection Parameters Request procedure. */
	u[0] = (uint8_t)hp;
	u[1] = (uint8_t)(hp >> 8);
	u[8] = 0x64;
	rig_cmd(g, 0, HCI_LE_CONNECTION_UPDATE, u, 14);
	cr_assert_eq(rig_expect_cs(g, 0, HCI_LE_CONNECTION_UPDATE), HCI_UNSUPPORTED_REMOTE_FEATURE);

	uint8_t ph[7] = { (uint8_t)hc, (uint8_t)(hc >> 8), 0, 2, 2, 0, 0 };
	rig_cmd(g, 1, HCI_LE_SET_PHY, ph, 7);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_LE_SET_PHY), 0);
	for (unsigned i = 0; i < 2; i++) {
		cr_assert(rig_find_event(g, i, HCI_EV_LE_META, HCI_LE_PHY_UPDATE_COMPLETE, &k));
		cr_assert_eq(evt_params(&k)[3], HCI_PHY_2M);
		cr_assert_eq(evt_params(&k)[4], HCI_PHY_2M);
	}
	uint8_t ret[16];
	size_t n;
	rig_cmd(g, 0, HCI_LE_READ_PHY, (uint8_t[]){ (uint8_t)hp, (uint8_t)(hp >> 8) }, 2);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_READ_PHY, ret, &n), 0);
	cr_assert_eq(n, 4);
	cr_assert_eq(get_le16(ret), hp);
	cr_assert_eq(ret[2], HCI_PHY_2M);

	uint8_t dl[6] = { (uint8_t)hp, (uint8_t)(hp >> 8), 251, 0, 0x48, 0x08 };
	rig_cmd(g, 0, HCI_LE_SET_DATA_LENGTH, dl, 6);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_SET_DATA_LENGTH, ret, &n), 0);
	cr_assert_eq(get_le16(ret), hp);
	cr_assert(rig_find_event(g, 0, HCI_EV_LE_META, HCI_LE_DATA_LENGTH_CHANGE, &k));
	cr_assert_eq(get_le16(evt_params(&k) + 2), 251, "peripheral's MaxTxOctets");
	cr_assert_eq(get_le16(evt_params(&k) + 6), 27, "peripheral's MaxRxOctets");
	cr_assert(rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_DATA_LENGTH_CHANGE, &k));
	cr_assert_eq(get_le16(evt_params(&k) + 2), 27);
	cr_assert_eq(get_le16(evt_params(&k) + 6), 251);

	rig_cmd(g, 1, HCI_LE_READ_REMOTE_FEATURES, (uint8_t[]){ (uint8_t)hc, (uint8_t)(hc >> 8) }, 2);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_LE_READ_REMOTE_FEATURES), 0);
	cr_assert(rig_pop(g, 1, &k));
	cr_assert(pkt_is_event(&k, HCI_EV_LE_META, HCI_LE_READ_REMOTE_FEATURES_COMPLETE));
	cr_assert(evt_params(&k)[3] & 0x01, "the peer does LE Encryption");
	rig_cmd(g, 0, HCI_READ_REMOTE_VERSION_INFORMATION, (uint8_t[]){ (uint8_t)hp, (uint8_t)(hp >> 8) },
	    2);
	cr_assert_eq(rig_expect_cs(g, 0, HCI_READ_REMOTE_VERSION_INFORMATION), 0);
	cr_assert(rig_pop(g, 0, &k));
	cr_assert(pkt_is_event(&k, HCI_EV_READ_REMOTE_VERSION_INFORMATION_COMPLETE, -1));
	cr_assert_eq(get_le16(evt_params(&k) + 1), hp);
	rig_free(g);
}

Test(vctrl_conn, extended_connection_ends_the_set_with_enhanced_events)
{
	struct rig *g = rig_new(2, 8);
	rig_le_mask(g, 0, LE_MASK_ALL | 1u << 9);
	rig_le_mask(g, 1, LE_MASK_ALL | 1u << 9);
	ext_adv_params(g, 0, 7, ADV_PROP_CONNECTABLE, HCI_PHY_2M);
	ext_adv_enable(g, 0, 7, 0);
	uint8_t a0[6];
	vctrl_public_address(g->r, 0, a0);
	uint8_t p[26] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x10, 0, 0x10, 0, 0x18, 0,
			  0x28, 0, 0, 0, 0x2A, 0, 0, 0, 0, 0 };
	memcpy(p + 3, a0, 6);
	rig_cmd(g, 1, HCI_LE_EXTENDED_CREATE_CONNECTION, p, 26);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_LE_EXTENDED_CREATE_CONNECTION), 0);
	rig_tick(g, 25);
	struct pkt k;
	cr_assert(rig_pop(g, 0, &k));
	cr_assert(pkt_is_event(&k, HCI_EV_LE_META, HCI_LE_ENHANCED_CONNECTION_COMPLETE));
	cr_assert_eq(evt_params(&k)[3], HCI_ROLE_PERIPHERAL);
	uint16_t hp = get_le16(evt_params(&k) + 1);
	cr_assert(rig_pop(g, 0, &k));
	cr_assert(pkt_is_event(&k, HCI_EV_LE_META, HCI_LE_ADVERTISING_SET_TERMINATED));
	cr_assert_eq(evt_params(&k)[0], 0);
	cr_assert_eq(evt_params(&k)[1], 7);
	cr_assert_eq(get_le16(evt_params(&k) + 2), hp);
	cr_assert(rig_find_event(g, 0, HCI_EV_LE_META, HCI_LE_CHANNEL_SELECTION_ALGORITHM, &k));
	cr_assert(rig_find_event(g, 1, HCI_EV_LE_META, HCI_LE_ENHANCED_CONNECTION_COMPLETE, &k));
	cr_assert_eq(evt_params(&k)[3], HCI_ROLE_CENTRAL);
	uint16_t hc = get_le16(evt_params(&k) + 1);
	rig_drain(g, 1);
	/* Connected on the set's secondary PHY. */
	uint8_t ret[8];
	size_t n;
	rig_cmd(g, 1, HCI_LE_READ_PHY, (uint8_t[]){ (uint8_t)hc, (uint8_t)(hc >> 8) }, 2);
	cr_assert_eq(rig_expect_cc(g, 1, HCI_LE_READ_PHY, ret, &n), 0);
	cr_assert_eq(ret[2], HCI_PHY_2M);
	cr_assert_eq(ret[3], HCI_PHY_2M);
	rig_free(g);
}

Test(vctrl_conn, high_duty_directed_advertising_times_out)
{
	struct rig *g = rig_new(3, 8);
	uint8_t a2[6];
	vctrl_public_address(g->r, 2, a2);
	uint8_t p[15] = { 0, 0, 0, 0, HCI_ADV_DIRECT_IND_HIGH, 0, 0 };
	memcpy(p + 7, a2, 6);
	p[13] = 7;
	rig_ok(g, 0, HCI_LE_SET_ADVERTISING_PARAMETERS, p, 15);
	rig_ok(g, 0, HCI_LE_SET_ADVERTISING_ENABLE, (uint8_t[]){ 1 }, 1);
	/* ctrl1 is not the target: it neither hears nor connects. */
	uint8_t a0[6], cp[25];
	vctrl_public_address(g->r, 0, a0);
	create_conn_params(cp, a0);
	rig_ok(g, 1, HCI_LE_CREATE_CONNECTION, cp, 25);
	rig_legacy_scan(g, 2, 0, 1);
	rig_tick(g, 10);
	struct pkt k;
	cr_assert(rig_find_event(g, 2, HCI_EV_LE_META, HCI_LE_ADVERTISING_REPORT, &k));
	cr_assert_eq(evt_params(&k)[1], HCI_REPORT_ADV_DIRECT_IND);
	cr_assert_eq(evt_params(&k)[9], 0, "no data in ADV_DIRECT_IND");
	for (int i = 0; i < 14; i++)
		rig_tick(g, 100);
	rig_expect_nothing(g, 1);
	cr_assert(rig_find_event(g, 0, HCI_EV_LE_META, HCI_LE_CONNECTION_COMPLETE, &k));
	cr_assert_eq(evt_params(&k)[0], HCI_ADVERTISING_TIMEOUT);
	rig_free(g);
}

/* ============================================================================
 * ACL data
 * ========================================================================== */

Test(vctrl_data, acl_both_ways_in_link_layer_pdus_with_completed_packets)
{
	struct rig *g = rig_new(2, 8);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	uint8_t data[251];
	for (int i = 0; i < 251; i++)
		data[i] = (uint8_t)(i * 7);
	/* 100 bytes in 27-octet PDUs until the data length is updated. */
	rig_acl(g, 1, hc, 0, data, 100);
	rig_expect_nothing(g, 0); /* not before the link layer has sent it */
	rig_tick(g, 0);
	rig_expect_acl(g, 0, hp, 2, data, 27);
	rig_expect_acl(g, 0, hp, 1, data + 27, 27);
	rig_expect_acl(g, 0, hp, 1, data + 54, 27);
	rig_expect_acl(g, 0, hp, 1, data + 81, 19);
	rig_expect_nothing(g, 0);
	cr_assert_eq(rig_expect_nocp(g, 1, hc), 1);
	/* A continuing fragment from the host stays a continuation. */
	rig_acl(g, 1, hc, 1, data, 5);
	rig_tick(g, 0);
	rig_expect_acl(g, 0, hp, 1, data, 5);
	cr_assert_eq(rig_expect_nocp(g, 1, hc), 1);
	/* The other way, after LE Set Data Length: one PDU. */
	uint8_t dl[6] = { (uint8_t)hp, (uint8_t)(hp >> 8), 251, 0, 0x48, 0x08 };
	rig_ok(g, 0, HCI_LE_SET_DATA_LENGTH, dl, 6);
	rig_drain(g, 0);
	rig_drain(g, 1);
	rig_acl(g, 0, hp, 0, data, 251);
	rig_acl(g, 0, hp, 0, data + 1, 200);
	rig_tick(g, 0);
	rig_expect_acl(g, 1, hc, 2, data, 251);
	rig_expect_acl(g, 1, hc, 2, data + 1, 200);
	cr_assert_eq(rig_expect_nocp(g, 0, hp), 2);
	rig_expect_nothing(g, 0);
	rig_free(g);
}

Test(vctrl_data, overrunning_the_buffer_count_is_refused)
{
	struct rig *g = rig_new(2, 4);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	uint8_t d[6][8];
	for (int i = 0; i < 6; i++) {
		memset(d[i], 'a' + i, 8);
		rig_acl(g, 1, hc, 0, d[i], 8);
	}
	/* Two packets beyond the 4 buffers: refused, each with Data Buffer
	 * Overflow. */
	struct pkt k;
	for (int i = 0; i < 2; i++) {
		cr_assert(rig_pop(g, 1, &k));
		cr_assert(pkt_is_event(&k, HCI_EV_DATA_BUFFER_OVERFLOW, -1));
		cr_assert_eq(evt_params(&k)[0], HCI_LINK_ACL);
	}
	rig_expect_nothing(g, 1);
	rig_tick(g, 0);
	for (int i = 0; i < 4; i++)
		rig_expect_acl(g, 0, hp, 2, d[i], 8);
	rig_expect_nothing(g, 0);
	cr_assert_eq(rig_expect_nocp(g, 1, hc), 4);
	/* Credits are back: the host may send 4 more. */
	for (int i = 0; i < 4; i++)
		rig_acl(g, 1, hc, 0, d[5], 8);
	rig_expect_nothing(g, 1);
	rig_tick(g, 0);
	cr_assert_eq(rig_expect_nocp(g, 1, hc), 4);
	rig_free(g);
}

Test(vctrl_data, bad_acl_is_dropped)
{
	struct rig *g = rig_new(2, 4);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	uint8_t d[300] = { 0 };
	rig_acl(g, 1, 0x0EEE, 0, d, 8);                  /* unknown handle */
	rig_acl(g, 1, hc, 0, d, 252);                   /* longer than the buffers */
	rig_acl(g, 1, hc, 3, d, 8);                     /* packet boundary 0b11 */
	vctrl_on_packet(g->r, 1, H4_ACL, d, 3, g->now); /* no header */
	uint8_t lie[6] = { (uint8_t)hc, (uint8_t)(hc >> 8), 9, 0, 1, 2 };
	vctrl_on_packet(g->r, 1, H4_ACL, lie, 6, g->now); /* length says 9 */
	vctrl_on_packet(g->r, 1, H4_SCO, d, 3, g->now);
	vctrl_on_packet(g->r, 1, H4_ISO, d, 4, g->now);
	rig_tick(g, 0);
	rig_expect_nothing(g, 0);
	rig_expect_nothing(g, 1);
	/* None of them took a buffer. */
	for (int i = 0; i < 4; i++)
		rig_acl(g, 1, hc, 0, d, 1);
	rig_expect_nothing(g, 1);
	rig_free(g);
}

Test(vctrl_data, disconnect_frees_buffers_without_completed_packets)
{
	struct rig *g = rig_new(2, 2);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	uint8_t d[4] = { 1, 2, 3, 4 };
	rig_acl(g, 1, hc, 0, d, 4);
	rig_acl(g, 1, hc, 0, d, 4);
	uint8_t dc[3] = { (uint8_t)hc, (uint8_t)(hc >> 8), 0x13 };
	rig_ok(g, 1, HCI_DISCONNECT, dc, 3);
	rig_tick(g, 0);
	struct pkt k;
	cr_assert(rig_pop(g, 1, &k));
	cr_assert(pkt_is_event(&k, HCI_EV_DISCONNECTION_COMPLETE, -1));
	rig_expect_nothing(g, 1);
	cr_assert(rig_find_event(g, 0, HCI_EV_DISCONNECTION_COMPLETE, -1, &k));
	rig_expect_nothing(g, 0);
	/* Both buffers are free again for the next connection. */
	rig_link_up(g, 1, 0, &hc, &hp);
	rig_acl(g, 1, hc, 0, d, 4);
	rig_acl(g, 1, hc, 0, d, 4);
	rig_expect_nothing(g, 1);
	rig_tick(g, 0);
	cr_assert_eq(rig_expect_nocp(g, 1, hc), 2);
	rig_free(g);
}

Test(vctrl_data, controller_to_host_flow_control)
{
	struct rig *g = rig_new(2, 8);
	rig_ok(g, 0, HCI_SET_CONTROLLER_TO_HOST_FLOW_CONTROL, (uint8_t[]){ 1 }, 1);
	/* 20-byte packets, 2 of them. */
	rig_ok(g, 0, HCI_HOST_BUFFER_SIZE, (uint8_t[]){ 20, 0, 0, 2, 0, 0, 0 }, 7);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	/* Only while there are no connections. */
	rig_cmd(g, 0, HCI_SET_CONTROLLER_TO_HOST_FLOW_CONTROL, (uint8_t[]){ 0 }, 1);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_SET_CONTROLLER_TO_HOST_FLOW_CONTROL, NULL, NULL),
		     HCI_COMMAND_DISALLOWED);
	uint8_t data[100];
	for (int i = 0; i < 100; i++)
		data[i] = (uint8_t)i;
	rig_acl(g, 1, hc, 0, data, 100);
	rig_tick(g, 0);
	/* No longer than the host's packets, no more than its buffers. */
	rig_expect_acl(g, 0, hp, 2, data, 20);
	rig_expect_acl(g, 0, hp, 1, data + 20, 20);
	rig_expect_nothing(g, 0);
	rig_expect_nothing(g, 1); /* not complete before the host has it all */
	cr_assert_eq(vctrl_next_deadline(g->r), UINT64_MAX, "waiting for the host, not time");
	uint8_t done[5] = { 1, (uint8_t)hp, (uint8_t)(hp >> 8), 2, 0 };
	rig_cmd(g, 0, HCI_HOST_NUMBER_OF_COMPLETED_PACKETS, done, 5);
	rig_expect_nothing(g, 0); /* no event for this command */
	cr_assert_eq(vctrl_next_deadline(g->r), 0);
	rig_tick(g, 0);
	rig_expect_acl(g, 0, hp, 1, data + 40, 20);
	rig_expect_acl(g, 0, hp, 1, data + 60, 20);
	rig_expect_nothing(g, 1);
	unsigned got = 80;
	while (got < 100) {
		rig_cmd(g, 0, HCI_HOST_NUMBER_OF_COMPLETED_PACKETS, done, 5);
		rig_tick(g, 0);
		struct pkt k;
		while (rig_pop(g, 0, &k)) {
			cr_assert_eq(k.type, H4_ACL);
			cr_assert_leq(get_le16(k.b + 2), 20);
			cr_assert_arr_eq(k.b + 4, data + got, get_le16(k.b + 2));
			got += get_le16(k.b + 2);
		}
	}
	cr_assert_eq(got, 100);
	cr_assert_eq(rig_expect_nocp(g, 1, hc), 1);
	/* A malformed completion is answered; a good one never is. */
	rig_cmd(g, 0, HCI_HOST_NUMBER_OF_COMPLETED_PACKETS, done, 4);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_HOST_NUMBER_OF_COMPLETED_PACKETS, NULL, NULL),
		     HCI_INVALID_PARAMETERS);
	rig_free(g);
}

Test(vctrl_data, a_host_that_does_not_read_stalls_its_peer_without_loss)
{
	struct rig *g = rig_new(2, 8);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	uint8_t dl[6] = { (uint8_t)hc, (uint8_t)(hc >> 8), 251, 0, 0x48, 0x08 };
	rig_ok(g, 1, HCI_LE_SET_DATA_LENGTH, dl, 6);
	rig_drain(g, 1);
	uint8_t data[251];
	memset(data, 0x42, sizeof data);
	/* The peripheral's host reads nothing; the central sends while it gets
	 * credits back. */
	unsigned sent = 0, completed = 0;
	for (int round = 0; round < 1000; round++) {
		unsigned credits = 8 - (sent - completed);
		for (unsigned i = 0; i < credits; i++, sent++)
			rig_acl(g, 1, hc, 0, data, sizeof data);
		rig_tick(g, 0);
		struct pkt k;
		unsigned before = completed;
		while (rig_pop(g, 1, &k))
			if (pkt_is_event(&k, HCI_EV_NUMBER_OF_COMPLETED_PACKETS, -1))
				completed += get_le16(k.b + 5);
		if (completed == before)
			break;
	}
	cr_assert_eq(sent - completed, 8, "the central's buffers fill up");
	size_t unread;
	vctrl_outbox(g->r, 0, &unread);
	cr_assert_gt(unread, 64 * 1024);
	cr_assert_lt(unread, 64 * 1024 + 8 * 260, "nothing piles up past the stall point");
	cr_assert_eq(vctrl_next_deadline(g->r), UINT64_MAX);
	/* The host reads: delivery resumes, and everything arrives. */
	size_t total = 0;
	while (total < (size_t)sent * sizeof data) {
		struct pkt k;
		while (rig_pop(g, 0, &k)) {
			cr_assert_eq(k.type, H4_ACL);
			total += get_le16(k.b + 2);
		}
		rig_tick(g, 0);
	}
	cr_assert_eq(total, (size_t)sent * sizeof data);
	cr_assert_eq(rig_expect_nocp(g, 1, hc), 8);
	rig_free(g);
}

Test(vctrl_data, paced_delivery_waits_for_connection_events)
{
	struct vctrl_config cfg;
	vctrl_config_default(&cfg);
	cfg.count = 2;
	cfg.paced = true;
	cfg.adv_min_period_ns = 10 * MS;
	struct rig *g = rig_new_cfg(&cfg);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp); /* interval 0x28: 50 ms */
	uint8_t d[4] = { 9, 8, 7, 6 };
	rig_acl(g, 1, hc, 0, d, 4);
	uint64_t due = vctrl_next_deadline(g->r);
	cr_assert_gt(due, g->now, "paced: not at once");
	cr_assert_leq(due, g->now + 50 * MS);
	vctrl_tick(g->r, due - 1);
	rig_expect_nothing(g, 0);
	g->now = due;
	vctrl_tick(g->r, due);
	rig_expect_acl(g, 0, hp, 2, d, 4);
	cr_assert_eq(rig_expect_nocp(g, 1, hc), 1);
	rig_free(g);
}
