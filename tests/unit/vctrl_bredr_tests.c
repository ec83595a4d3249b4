/* hive-vctrl, BR/EDR: inquiry, paging, ACL links, roles, Secure Simple
 * Pairing, PIN pairing, link keys and encryption, as Vol 4 Part E says
 * controllers behave. Driven with byte vectors, time passed in. */
#include <stdlib.h>

#include "vctrl_test.h"

/* ============================================================================
 * Helpers
 * ========================================================================== */

static struct rig *br_rig(unsigned n, unsigned time_div)
{
	struct vctrl_config cfg;
	vctrl_config_default(&cfg);
	cfg.count = n;
	cfg.bredr_time_div = time_div;
	struct rig *g = rig_new_cfg(&cfg);
	/* Hosts doing BR/EDR unmask every event (the SSP ones are above bit 47). */
	for (unsigned i = 0; i < n; i++)
		rig_ok(g, i, HCI_SET_EVENT_MASK,
		       (uint8_t[]){ 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F }, 8);
	return g;
}

static void br_addr(struct rig *g, unsigned i, uint8_t a[6])
{
	vctrl_public_address(g->r, i, a);
}

/* The next packet must be this event; returns its parameters. */
static const uint8_t *expect_evt(struct rig *g, unsigned i, uint8_t code, struct pkt *k)
{
	cr_assert(rig_pop(g, i, k), "ctrl%u: no event 0x%02x", i, code);
	cr_assert(pkt_is_event(k, code, -1), "ctrl%u: expected event 0x%02x, got type %u code 0x%02x",
		  i, code, k->type, k->b[0]);
	return evt_params(k);
}

static void br_scan(struct rig *g, unsigned i, uint8_t v)
{
	rig_ok(g, i, HCI_WRITE_SCAN_ENABLE, &v, 1);
}

static void br_ssp(struct rig *g, unsigned i)
{
	rig_ok(g, i, HCI_WRITE_SIMPLE_PAIRING_MODE, (uint8_t[]){ 1 }, 1);
}

static void create_conn(struct rig *g, unsigned a, unsigned b, uint8_t allow_switch)
{
	uint8_t p[13] = { 0 };
	br_addr(g, b, p);
	p[6] = 0x18;
	p[7] = 0xCC; /* DM1..DH5 */
	p[8] = 0x01;
	p[12] = allow_switch;
	rig_ok(g, a, HCI_CREATE_CONNECTION, p, sizeof p);
}

/* a pages b, b's host accepts (role: 0x00 become central, 0x01 stay
 * peripheral); both handles back. */
static void br_connect(struct rig *g, unsigned a, unsigned b, uint16_t *ha, uint16_t *hb)
{
	uint8_t aa[6], ab[6];
	br_addr(g, a, aa);
	br_addr(g, b, ab);
	br_scan(g, b, HCI_SCAN_PAGE);
	create_conn(g, a, b, 1);
	struct pkt k;
	const uint8_t *p = expect_evt(g, b, HCI_EV_CONNECTION_REQUEST, &k);
	cr_assert_arr_eq(p, aa, 6);
	cr_assert_eq(p[9], HCI_LINK_ACL);
	uint8_t acc[7];
	memcpy(acc, aa, 6);
	acc[6] = HCI_ROLE_PERIPHERAL;
	rig_ok(g, b, HCI_ACCEPT_CONNECTION_REQUEST, acc, 7);
	p = expect_evt(g, b, HCI_EV_CONNECTION_COMPLETE, &k);
	cr_assert_eq(p[0], 0);
	cr_assert_arr_eq(p + 3, aa, 6);
	cr_assert_eq(p[9], HCI_LINK_ACL);
	cr_assert_eq(p[10], 0, "encryption off");
	*hb = get_le16(p + 1);
	p = expect_evt(g, a, HCI_EV_CONNECTION_COMPLETE, &k);
	cr_assert_eq(p[0], 0);
	cr_assert_arr_eq(p + 3, ab, 6);
	*ha = get_le16(p + 1);
	rig_expect_nothing(g, a);
	rig_expect_nothing(g, b);
}

/* Two controllers, ctrl0 with Simple Pairing on (ctrl1 too when ssp1),
 * their addresses and an ACL link from ctrl0 to ctrl1. */
static struct rig *br_linked(bool ssp1, uint8_t a0[6], uint8_t a1[6], uint16_t *h0,
			     uint16_t *h1)
{
	struct rig *g = br_rig(2, 1);
	br_ssp(g, 0);
	if (ssp1)
		br_ssp(g, 1);
	br_addr(g, 0, a0);
	br_addr(g, 1, a1);
	br_connect(g, 0, 1, h0, h1);
	return g;
}

static void auth_requested(struct rig *g, unsigned i, uint16_t h)
{
	rig_ok(g, i, HCI_AUTHENTICATION_REQUESTED, (uint8_t[]){ (uint8_t)h, (uint8_t)(h >> 8) }, 2);
}

/* A command whose parameters are the peer's BD_ADDR and then more bytes,
 * answered with Command Complete carrying the BD_ADDR. */
static void addr_cmd(struct rig *g, unsigned i, uint16_t op, const uint8_t peer[6],
		     const void *more, size_t n, uint8_t want)
{
	uint8_t p[32];
	memcpy(p, peer, 6);
	if (n)
		memcpy(p + 6, more, n);
	rig_cmd(g, i, op, p, 6 + n);
	uint8_t ret[16];
	size_t nret;
	cr_assert_eq(rig_expect_cc(g, i, op, ret, &nret), want, "ctrl%u 0x%04x", i, op);
	cr_assert_eq(nret, 6);
	cr_assert_arr_eq(ret, peer, 6);
}

/* The IO capability exchange: a initiated authentication, neither host
 * has a key. */
static void io_exchange(struct rig *g, unsigned a, unsigned b, uint16_t ha, uint8_t io_a,
			uint8_t io_b, uint8_t auth_req)
{
	uint8_t aa[6], ab[6];
	br_addr(g, a, aa);
	br_addr(g, b, ab);
	struct pkt k;
	auth_requested(g, a, ha);
	cr_assert_arr_eq(expect_evt(g, a, HCI_EV_LINK_KEY_REQUEST, &k), ab, 6);
	addr_cmd(g, a, HCI_LINK_KEY_REQUEST_NEGATIVE_REPLY, ab, NULL, 0, 0);
	cr_assert_arr_eq(expect_evt(g, a, HCI_EV_IO_CAPABILITY_REQUEST, &k), ab, 6);
	addr_cmd(g, a, HCI_IO_CAPABILITY_REQUEST_REPLY, ab, (uint8_t[]){ io_a, 0, auth_req }, 3, 0);
	const uint8_t *p = expect_evt(g, b, HCI_EV_IO_CAPABILITY_RESPONSE, &k);
	cr_assert_arr_eq(p, aa, 6);
	cr_assert_eq(p[6], io_a);
	cr_assert_eq(p[8], auth_req);
	cr_assert_arr_eq(expect_evt(g, b, HCI_EV_IO_CAPABILITY_REQUEST, &k), aa, 6);
	addr_cmd(g, b, HCI_IO_CAPABILITY_REQUEST_REPLY, aa, (uint8_t[]){ io_b, 0, auth_req }, 3, 0);
	p = expect_evt(g, a, HCI_EV_IO_CAPABILITY_RESPONSE, &k);
	cr_assert_arr_eq(p, ab, 6);
	cr_assert_eq(p[6], io_b);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Simple Pairing Complete, Link Key Notification on both, Authentication
 * Complete on a; the key both got. */
static void expect_paired(struct rig *g, unsigned a, unsigned b, uint16_t ha, uint8_t type,
			  bool ssp, uint8_t key[16])
{
	struct pkt k;
	const uint8_t *p;
	uint8_t keys[2][16];
	unsigned who[2] = { a, b };
	for (int s = 0; s < 2; s++) {
		if (ssp) {
			p = expect_evt(g, who[s], HCI_EV_SIMPLE_PAIRING_COMPLETE, &k);
			cr_assert_eq(p[0], 0, "ctrl%u pairing status", who[s]);
		}
		p = expect_evt(g, who[s], HCI_EV_LINK_KEY_NOTIFICATION, &k);
		memcpy(keys[s], p + 6, 16);
		cr_assert_eq(p[22], type, "key type");
	}
	cr_assert_arr_eq(keys[0], keys[1], 16, "both controllers hold the same key");
	p = expect_evt(g, a, HCI_EV_AUTHENTICATION_COMPLETE, &k);
	cr_assert_eq(p[0], 0);
	cr_assert_eq(get_le16(p + 1), ha);
	rig_expect_nothing(g, a);
	rig_expect_nothing(g, b);
	memcpy(key, keys[0], 16);
}

static void expect_auth_failed(struct rig *g, unsigned a, unsigned b, uint8_t status, bool ssp)
{
	struct pkt k;
	if (ssp)
		for (unsigned i = 0; i < 2; i++)
			cr_assert_eq(expect_evt(g, i == 0 ? a : b, HCI_EV_SIMPLE_PAIRING_COMPLETE,
						&k)[0], status);
	cr_assert_eq(expect_evt(g, a, HCI_EV_AUTHENTICATION_COMPLETE, &k)[0], status);
	rig_expect_nothing(g, a);
	rig_expect_nothing(g, b);
}

static void encrypt_ok(struct rig *g, unsigned a, unsigned b, uint16_t ha, uint16_t hb)
{
	rig_ok(g, a, HCI_SET_CONNECTION_ENCRYPTION, (uint8_t[]){ (uint8_t)ha, (uint8_t)(ha >> 8), 1 },
	       3);
	struct pkt k;
	for (unsigned s = 0; s < 2; s++) {
		const uint8_t *p = expect_evt(g, s == 0 ? a : b, HCI_EV_ENCRYPTION_CHANGE, &k);
		cr_assert_eq(p[0], 0);
		cr_assert_eq(get_le16(p + 1), s == 0 ? ha : hb);
		cr_assert_eq(p[3], 0x01, "E0 encryption on");
	}
}

/* ============================================================================
 * Inquiry, names, paging
 * ========================================================================== */

Test(vctrl_bredr, inquiry_finds_peers_with_rssi_and_eir)
{
	struct rig *g = br_rig(4, 8);
	/* ctrl1: discoverable, with its name in the EIR; ctrl2 not
	 * discoverable; ctrl3 discoverable. */
	uint8_t name[248] = "hive-one";
	rig_ok(g, 1, HCI_WRITE_LOCAL_NAME, name, 248);
	uint8_t eir[241] = { 0, 9, 0x09, 'h', 'i', 'v', 'e', '-', 'o', 'n', 'e' };
	rig_ok(g, 1, HCI_WRITE_EXTENDED_INQUIRY_RESPONSE, eir, 241);
	rig_ok(g, 1, HCI_WRITE_CLASS_OF_DEVICE, (uint8_t[]){ 0x0C, 0x01, 0x1A }, 3);
	br_scan(g, 1, HCI_SCAN_INQUIRY | HCI_SCAN_PAGE);
	br_scan(g, 2, HCI_SCAN_PAGE);
	br_scan(g, 3, HCI_SCAN_INQUIRY);
	rig_ok(g, 0, HCI_WRITE_INQUIRY_MODE, (uint8_t[]){ HCI_INQUIRY_MODE_EXTENDED }, 1);
	uint8_t ret[8];
	size_t n;
	rig_cmd(g, 0, HCI_READ_INQUIRY_MODE, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_READ_INQUIRY_MODE, ret, &n), 0);
	cr_assert_eq(ret[0], 2);
	/* General inquiry, 1.28 s (160 ms at 8x), unlimited responses. */
	rig_ok(g, 0, HCI_INQUIRY, (uint8_t[]){ 0x33, 0x8B, 0x9E, 0x01, 0x00 }, 5);
	rig_cmd(g, 0, HCI_INQUIRY, (uint8_t[]){ 0x33, 0x8B, 0x9E, 0x01, 0x00 }, 5);
	cr_assert_eq(rig_expect_cs(g, 0, HCI_INQUIRY), HCI_COMMAND_DISALLOWED, "one at a time");
	rig_tick(g, 1);
	struct pkt k;
	uint8_t a1[6], a3[6];
	br_addr(g, 1, a1);
	br_addr(g, 3, a3);
	const uint8_t *p = expect_evt(g, 0, HCI_EV_EXTENDED_INQUIRY_RESULT, &k);
	cr_assert_eq(k.b[1], 255, "an Extended Inquiry Result fills the event");
	cr_assert_eq(p[0], 1);
	cr_assert_arr_eq(p + 1, a1, 6);
	cr_assert_arr_eq(p + 9, ((uint8_t[]){ 0x0C, 0x01, 0x1A }), 3, "class of device");
	cr_assert_eq((int8_t)p[14], -50, "RSSI");
	cr_assert_arr_eq(p + 15, eir + 1, 240, "the EIR with the name");
	p = expect_evt(g, 0, HCI_EV_EXTENDED_INQUIRY_RESULT, &k);
	cr_assert_arr_eq(p + 1, a3, 6);
	rig_tick(g, 100);
	rig_expect_nothing(g, 0); /* each device answers once per inquiry */
	rig_tick(g, 60);
	cr_assert_eq(expect_evt(g, 0, HCI_EV_INQUIRY_COMPLETE, &k)[0], 0, "after the length");
	rig_expect_nothing(g, 1);

	/* With RSSI, and Num_Responses 1: complete after the first. */
	rig_ok(g, 0, HCI_WRITE_INQUIRY_MODE, (uint8_t[]){ HCI_INQUIRY_MODE_RSSI }, 1);
	rig_ok(g, 0, HCI_INQUIRY, (uint8_t[]){ 0x33, 0x8B, 0x9E, 0x08, 0x01 }, 5);
	rig_tick(g, 1);
	p = expect_evt(g, 0, HCI_EV_INQUIRY_RESULT_WITH_RSSI, &k);
	cr_assert_eq(k.b[1], 15);
	cr_assert_arr_eq(p + 1, a1, 6);
	cr_assert_eq((int8_t)p[14], -50);
	cr_assert_eq(expect_evt(g, 0, HCI_EV_INQUIRY_COMPLETE, &k)[0], 0);

	/* Standard results; Inquiry Cancel ends it without Inquiry Complete. */
	rig_ok(g, 0, HCI_WRITE_INQUIRY_MODE, (uint8_t[]){ HCI_INQUIRY_MODE_STANDARD }, 1);
	rig_ok(g, 0, HCI_INQUIRY, (uint8_t[]){ 0x33, 0x8B, 0x9E, 0x08, 0x00 }, 5);
	rig_tick(g, 1);
	p = expect_evt(g, 0, HCI_EV_INQUIRY_RESULT, &k);
	cr_assert_eq(k.b[1], 15);
	cr_assert_arr_eq(p + 10, ((uint8_t[]){ 0x0C, 0x01, 0x1A }), 3);
	rig_drain(g, 0);
	rig_ok(g, 0, HCI_INQUIRY_CANCEL, NULL, 0);
	rig_tick(g, 2000);
	rig_expect_nothing(g, 0);
	/* The limited access code reaches limited-discoverable devices only. */
	rig_ok(g, 0, HCI_INQUIRY, (uint8_t[]){ 0x00, 0x8B, 0x9E, 0x01, 0x00 }, 5);
	rig_tick(g, 200);
	cr_assert_eq(expect_evt(g, 0, HCI_EV_INQUIRY_COMPLETE, &k)[0], 0, "nobody answered");
	/* A LAP outside 0x9E8B00..0x9E8B3F, a zero length. */
	rig_cmd(g, 0, HCI_INQUIRY, (uint8_t[]){ 0x40, 0x8B, 0x9E, 0x01, 0x00 }, 5);
	cr_assert_eq(rig_expect_cs(g, 0, HCI_INQUIRY), HCI_INVALID_PARAMETERS);
	rig_cmd(g, 0, HCI_INQUIRY, (uint8_t[]){ 0x33, 0x8B, 0x9E, 0x00, 0x00 }, 5);
	cr_assert_eq(rig_expect_cs(g, 0, HCI_INQUIRY), HCI_INVALID_PARAMETERS);
	rig_free(g);
}

Test(vctrl_bredr, remote_name_and_page_timeouts)
{
	struct rig *g = br_rig(2, 16);
	uint8_t name[248] = "hive-one";
	rig_ok(g, 1, HCI_WRITE_LOCAL_NAME, name, 248);
	uint8_t ret[255];
	size_t n;
	rig_cmd(g, 1, HCI_READ_LOCAL_NAME, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 1, HCI_READ_LOCAL_NAME, ret, &n), 0);
	cr_assert_eq(n, 248);
	cr_assert_str_eq((char *)ret, "hive-one");
	uint8_t rn[10] = { 0 };
	br_addr(g, 1, rn);
	rn[6] = 0x01;
	/* Page scan off: the page times out (5.12 s, 320 ms at 16x). */
	rig_ok(g, 0, HCI_REMOTE_NAME_REQUEST, rn, 10);
	rig_tick(g, 300);
	rig_expect_nothing(g, 0);
	rig_tick(g, 21);
	struct pkt k;
	const uint8_t *p = expect_evt(g, 0, HCI_EV_REMOTE_NAME_REQUEST_COMPLETE, &k);
	cr_assert_eq(p[0], HCI_PAGE_TIMEOUT);
	cr_assert_arr_eq(p + 1, rn, 6);
	/* Page scan on: the name at once. */
	br_scan(g, 1, HCI_SCAN_PAGE);
	rig_ok(g, 0, HCI_REMOTE_NAME_REQUEST, rn, 10);
	p = expect_evt(g, 0, HCI_EV_REMOTE_NAME_REQUEST_COMPLETE, &k);
	cr_assert_eq(k.b[1], 255);
	cr_assert_eq(p[0], 0);
	cr_assert_str_eq((const char *)p + 7, "hive-one");
	/* Create Connection to a device not in page scan: Page Timeout, after
	 * the page timeout the host set (0x0100 slots = 160 ms, 10 ms at 16x). */
	br_scan(g, 1, 0);
	rig_ok(g, 0, HCI_WRITE_PAGE_TIMEOUT, (uint8_t[]){ 0x00, 0x01 }, 2);
	create_conn(g, 0, 1, 0);
	rig_expect_nothing(g, 1);
	rig_tick(g, 11);
	p = expect_evt(g, 0, HCI_EV_CONNECTION_COMPLETE, &k);
	cr_assert_eq(p[0], HCI_PAGE_TIMEOUT);
	cr_assert_arr_eq(p + 3, rn, 6);
	/* Nobody has this address. */
	uint8_t nobody[13] = { 9, 9, 9, 9, 9, 9, 0x18, 0xCC, 1, 0, 0, 0, 0 };
	rig_ok(g, 0, HCI_CREATE_CONNECTION, nobody, 13);
	rig_tick(g, 11);
	cr_assert_eq(expect_evt(g, 0, HCI_EV_CONNECTION_COMPLETE, &k)[0], HCI_PAGE_TIMEOUT);
	/* A host that never answers its Connection Request: Connection Accept
	 * Timeout on both (5 s default, 312.5 ms at 16x). */
	br_scan(g, 1, HCI_SCAN_PAGE);
	create_conn(g, 0, 1, 0);
	expect_evt(g, 1, HCI_EV_CONNECTION_REQUEST, &k);
	rig_tick(g, 320);
	cr_assert_eq(expect_evt(g, 1, HCI_EV_CONNECTION_COMPLETE, &k)[0],
		     HCI_CONNECTION_ACCEPT_TIMEOUT);
	cr_assert_eq(expect_evt(g, 0, HCI_EV_CONNECTION_COMPLETE, &k)[0],
		     HCI_CONNECTION_ACCEPT_TIMEOUT);
	/* Create Connection Cancel. */
	br_scan(g, 1, 0);
	create_conn(g, 0, 1, 0);
	addr_cmd(g, 0, HCI_CREATE_CONNECTION_CANCEL, rn, NULL, 0, 0);
	cr_assert_eq(expect_evt(g, 0, HCI_EV_CONNECTION_COMPLETE, &k)[0],
		     HCI_UNKNOWN_CONNECTION_ID);
	rig_tick(g, 1000);
	rig_expect_nothing(g, 0);
	rig_free(g);
}

Test(vctrl_bredr, connection_accept_reject_roles_and_disconnect)
{
	struct rig *g = br_rig(2, 1);
	uint8_t a0[6], a1[6];
	br_addr(g, 0, a0);
	br_addr(g, 1, a1);
	uint16_t h0, h1;
	br_connect(g, 0, 1, &h0, &h1);
	uint8_t ret[8];
	size_t n;
	rig_cmd(g, 0, HCI_ROLE_DISCOVERY, (uint8_t[]){ (uint8_t)h0, (uint8_t)(h0 >> 8) }, 2);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_ROLE_DISCOVERY, ret, &n), 0);
	cr_assert_eq(ret[2], HCI_ROLE_CENTRAL, "the pager is central");
	/* A second page to a connected device. */
	rig_cmd(g, 0, HCI_CREATE_CONNECTION, (uint8_t[13]){ a1[0], a1[1], a1[2], a1[3], a1[4], a1[5] },
		13);
	cr_assert_eq(rig_expect_cs(g, 0, HCI_CREATE_CONNECTION), HCI_CONNECTION_ALREADY_EXISTS);
	/* Switch Role: Role Change on both. */
	uint8_t sw[7];
	memcpy(sw, a0, 6);
	sw[6] = HCI_ROLE_CENTRAL;
	rig_ok(g, 1, HCI_SWITCH_ROLE, sw, 7);
	struct pkt k;
	const uint8_t *p = expect_evt(g, 1, HCI_EV_ROLE_CHANGE, &k);
	cr_assert_eq(p[0], 0);
	cr_assert_arr_eq(p + 1, a0, 6);
	cr_assert_eq(p[7], HCI_ROLE_CENTRAL);
	p = expect_evt(g, 0, HCI_EV_ROLE_CHANGE, &k);
	cr_assert_arr_eq(p + 1, a1, 6);
	cr_assert_eq(p[7], HCI_ROLE_PERIPHERAL);
	rig_cmd(g, 1, HCI_SWITCH_ROLE, sw, 7);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_SWITCH_ROLE), HCI_COMMAND_DISALLOWED, "already central");
	/* Remote features and version. */
	rig_ok(g, 0, HCI_READ_REMOTE_SUPPORTED_FEATURES, (uint8_t[]){ (uint8_t)h0, 0 }, 2);
	p = expect_evt(g, 0, HCI_EV_READ_REMOTE_SUPPORTED_FEATURES_COMPLETE, &k);
	cr_assert_eq(p[0], 0);
	cr_assert(p[3 + 6] & 0x08, "the peer does Secure Simple Pairing");
	rig_ok(g, 0, HCI_READ_REMOTE_EXTENDED_FEATURES, (uint8_t[]){ (uint8_t)h0, 0, 1 }, 3);
	p = expect_evt(g, 0, HCI_EV_READ_REMOTE_EXTENDED_FEATURES_COMPLETE, &k);
	cr_assert_eq(p[3], 1);
	cr_assert_eq(p[4], 1, "max page");
	cr_assert_eq(p[5] & 1, 0, "the peer's host has not enabled Simple Pairing");
	rig_ok(g, 0, HCI_READ_REMOTE_VERSION_INFORMATION, (uint8_t[]){ (uint8_t)h0, 0 }, 2);
	expect_evt(g, 0, HCI_EV_READ_REMOTE_VERSION_INFORMATION_COMPLETE, &k);
	/* LE commands do not take BR/EDR handles. */
	rig_cmd(g, 0, HCI_LE_READ_PHY, (uint8_t[]){ (uint8_t)h0, 0 }, 2);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_READ_PHY, NULL, NULL), HCI_UNKNOWN_CONNECTION_ID);
	/* Disconnect: the peer hears the reason, the local host 0x16. */
	rig_ok(g, 0, HCI_DISCONNECT, (uint8_t[]){ (uint8_t)h0, 0, HCI_REMOTE_POWER_OFF }, 3);
	p = expect_evt(g, 0, HCI_EV_DISCONNECTION_COMPLETE, &k);
	cr_assert_eq(get_le16(p + 1), h0);
	cr_assert_eq(p[3], HCI_LOCAL_HOST_TERMINATED);
	p = expect_evt(g, 1, HCI_EV_DISCONNECTION_COMPLETE, &k);
	cr_assert_eq(get_le16(p + 1), h1);
	cr_assert_eq(p[3], HCI_REMOTE_POWER_OFF);

	/* Reject: Connection Complete with the reason on both. */
	create_conn(g, 0, 1, 1);
	expect_evt(g, 1, HCI_EV_CONNECTION_REQUEST, &k);
	uint8_t rj[7];
	memcpy(rj, a0, 6);
	rj[6] = 0x09; /* not a rejection reason */
	rig_cmd(g, 1, HCI_REJECT_CONNECTION_REQUEST, rj, 7);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_REJECT_CONNECTION_REQUEST), HCI_INVALID_PARAMETERS);
	rj[6] = HCI_REJECTED_BAD_BD_ADDR;
	rig_ok(g, 1, HCI_REJECT_CONNECTION_REQUEST, rj, 7);
	cr_assert_eq(expect_evt(g, 1, HCI_EV_CONNECTION_COMPLETE, &k)[0], HCI_REJECTED_BAD_BD_ADDR);
	cr_assert_eq(expect_evt(g, 0, HCI_EV_CONNECTION_COMPLETE, &k)[0], HCI_REJECTED_BAD_BD_ADDR);
	rj[6] = HCI_ROLE_PERIPHERAL;
	rig_cmd(g, 1, HCI_ACCEPT_CONNECTION_REQUEST, rj, 7);
	cr_assert_eq(rig_expect_cs(g, 1, HCI_ACCEPT_CONNECTION_REQUEST), HCI_UNKNOWN_CONNECTION_ID,
		     "no request pending");

	/* Accept with a role switch: Role Change on both, then Connection
	 * Complete. */
	create_conn(g, 0, 1, 1);
	expect_evt(g, 1, HCI_EV_CONNECTION_REQUEST, &k);
	uint8_t acc[7];
	memcpy(acc, a0, 6);
	acc[6] = HCI_ROLE_CENTRAL;
	rig_ok(g, 1, HCI_ACCEPT_CONNECTION_REQUEST, acc, 7);
	cr_assert_eq(expect_evt(g, 1, HCI_EV_ROLE_CHANGE, &k)[7], HCI_ROLE_CENTRAL);
	cr_assert_eq(expect_evt(g, 1, HCI_EV_CONNECTION_COMPLETE, &k)[0], 0);
	cr_assert_eq(expect_evt(g, 0, HCI_EV_ROLE_CHANGE, &k)[7], HCI_ROLE_PERIPHERAL);
	cr_assert_eq(expect_evt(g, 0, HCI_EV_CONNECTION_COMPLETE, &k)[0], 0);
	/* The peer's host going away ends the link with 0x13. */
	vctrl_host_detach(g->r, 1, g->now);
	p = expect_evt(g, 0, HCI_EV_DISCONNECTION_COMPLETE, &k);
	cr_assert_eq(p[3], HCI_REMOTE_USER_TERMINATED);
	rig_free(g);
}

/* ============================================================================
 * Secure Simple Pairing, PIN, link keys, encryption
 * ========================================================================== */

Test(vctrl_bredr, ssp_numeric_comparison_same_value_key_and_encryption)
{
	uint8_t a0[6], a1[6];
	uint16_t h0, h1;
	struct rig *g = br_linked(true, a0, a1, &h0, &h1);
	/* Encryption needs a key first. */
	rig_cmd(g, 0, HCI_SET_CONNECTION_ENCRYPTION, (uint8_t[]){ (uint8_t)h0, 0, 1 }, 3);
	cr_assert_eq(rig_expect_cs(g, 0, HCI_SET_CONNECTION_ENCRYPTION), HCI_PIN_OR_KEY_MISSING);
	io_exchange(g, 0, 1, h0, HCI_IO_DISPLAY_YES_NO, HCI_IO_DISPLAY_YES_NO, 0x03);
	struct pkt k;
	const uint8_t *p = expect_evt(g, 0, HCI_EV_USER_CONFIRMATION_REQUEST, &k);
	cr_assert_arr_eq(p, a1, 6);
	uint32_t v0 = get_le32(p + 6);
	p = expect_evt(g, 1, HCI_EV_USER_CONFIRMATION_REQUEST, &k);
	cr_assert_arr_eq(p, a0, 6);
	cr_assert_eq(get_le32(p + 6), v0, "both hosts show the same number");
	cr_assert_lt(v0, 1000000u, "six digits");
	addr_cmd(g, 0, HCI_USER_CONFIRMATION_REQUEST_REPLY, a1, NULL, 0, 0);
	addr_cmd(g, 0, HCI_USER_CONFIRMATION_REQUEST_REPLY, a1, NULL, 0, HCI_COMMAND_DISALLOWED);
	rig_expect_nothing(g, 1);
	addr_cmd(g, 1, HCI_USER_CONFIRMATION_REQUEST_REPLY, a0, NULL, 0, 0);
	uint8_t key[16];
	expect_paired(g, 0, 1, h0, HCI_KEY_AUTHENTICATED_P192, true, key);
	encrypt_ok(g, 0, 1, h0, h1);

	/* Another pairing on a new link gives another value and key. */
	rig_ok(g, 0, HCI_DISCONNECT, (uint8_t[]){ (uint8_t)h0, 0, HCI_REMOTE_USER_TERMINATED }, 3);
	rig_drain(g, 0);
	rig_drain(g, 1);
	br_connect(g, 0, 1, &h0, &h1);
	io_exchange(g, 0, 1, h0, HCI_IO_DISPLAY_YES_NO, HCI_IO_DISPLAY_YES_NO, 0x03);
	uint32_t v1 = get_le32(expect_evt(g, 0, HCI_EV_USER_CONFIRMATION_REQUEST, &k) + 6);
	cr_assert_neq(v1, v0);
	/* The responder's user says no: Authentication Failure. */
	expect_evt(g, 1, HCI_EV_USER_CONFIRMATION_REQUEST, &k);
	addr_cmd(g, 0, HCI_USER_CONFIRMATION_REQUEST_REPLY, a1, NULL, 0, 0);
	addr_cmd(g, 1, HCI_USER_CONFIRMATION_REQUEST_NEGATIVE_REPLY, a0, NULL, 0, 0);
	expect_auth_failed(g, 0, 1, HCI_AUTHENTICATION_FAILURE, true);
	rig_free(g);
}

Test(vctrl_bredr, ssp_just_works_and_io_capability_refused)
{
	uint8_t a0[6], a1[6];
	uint16_t h0, h1;
	struct rig *g = br_linked(true, a0, a1, &h0, &h1);
	/* NoInputNoOutput: just works, confirmed by both hosts unasked, an
	 * unauthenticated key. */
	io_exchange(g, 0, 1, h0, HCI_IO_DISPLAY_YES_NO, HCI_IO_NO_INPUT_NO_OUTPUT, 0x05);
	struct pkt k;
	expect_evt(g, 0, HCI_EV_USER_CONFIRMATION_REQUEST, &k);
	expect_evt(g, 1, HCI_EV_USER_CONFIRMATION_REQUEST, &k);
	addr_cmd(g, 1, HCI_USER_CONFIRMATION_REQUEST_REPLY, a0, NULL, 0, 0);
	addr_cmd(g, 0, HCI_USER_CONFIRMATION_REQUEST_REPLY, a1, NULL, 0, 0);
	uint8_t key[16];
	expect_paired(g, 0, 1, h0, HCI_KEY_UNAUTHENTICATED_P192, true, key);
	/* The responder's host refuses to pair. */
	auth_requested(g, 1, h1);
	expect_evt(g, 1, HCI_EV_LINK_KEY_REQUEST, &k);
	addr_cmd(g, 1, HCI_LINK_KEY_REQUEST_NEGATIVE_REPLY, a0, NULL, 0, 0);
	expect_evt(g, 1, HCI_EV_IO_CAPABILITY_REQUEST, &k);
	addr_cmd(g, 1, HCI_IO_CAPABILITY_REQUEST_REPLY, a0, (uint8_t[]){ 1, 0, 3 }, 3, 0);
	expect_evt(g, 0, HCI_EV_IO_CAPABILITY_RESPONSE, &k);
	expect_evt(g, 0, HCI_EV_IO_CAPABILITY_REQUEST, &k);
	addr_cmd(g, 0, HCI_IO_CAPABILITY_REQUEST_NEGATIVE_REPLY, a1,
		 (uint8_t[]){ HCI_PAIRING_NOT_ALLOWED }, 1, 0);
	expect_auth_failed(g, 1, 0, HCI_PAIRING_NOT_ALLOWED, true);
	/* A host that never answers: LMP Response Timeout after 30 s. */
	auth_requested(g, 0, h0);
	expect_evt(g, 0, HCI_EV_LINK_KEY_REQUEST, &k);
	rig_tick(g, 29000);
	rig_expect_nothing(g, 0);
	rig_tick(g, 1001);
	cr_assert_eq(expect_evt(g, 0, HCI_EV_AUTHENTICATION_COMPLETE, &k)[0],
		     HCI_LMP_RESPONSE_TIMEOUT);
	rig_free(g);
}

Test(vctrl_bredr, ssp_passkey_entry_match_and_mismatch)
{
	uint8_t a0[6], a1[6];
	uint16_t h0, h1;
	struct rig *g = br_linked(true, a0, a1, &h0, &h1);
	for (int round = 0; round < 2; round++) {
		/* ctrl0 has a keyboard, ctrl1 a display. */
		io_exchange(g, 0, 1, h0, HCI_IO_KEYBOARD_ONLY, HCI_IO_DISPLAY_ONLY, 0x03);
		struct pkt k;
		cr_assert_arr_eq(expect_evt(g, 0, HCI_EV_USER_PASSKEY_REQUEST, &k), a1, 6);
		const uint8_t *p = expect_evt(g, 1, HCI_EV_USER_PASSKEY_NOTIFICATION, &k);
		cr_assert_arr_eq(p, a0, 6);
		uint32_t passkey = get_le32(p + 6);
		cr_assert_lt(passkey, 1000000u);
		uint32_t typed = round == 0 ? passkey : (passkey + 1) % 1000000u;
		uint8_t v[4] = { (uint8_t)typed, (uint8_t)(typed >> 8), (uint8_t)(typed >> 16), 0 };
		addr_cmd(g, 0, HCI_USER_PASSKEY_REQUEST_REPLY, a1, v, 4, 0);
		if (round == 0) {
			uint8_t key[16];
			expect_paired(g, 0, 1, h0, HCI_KEY_AUTHENTICATED_P192, true, key);
		} else {
			expect_auth_failed(g, 0, 1, HCI_AUTHENTICATION_FAILURE, true);
		}
	}
	/* More than six digits is not a passkey. */
	io_exchange(g, 0, 1, h0, HCI_IO_KEYBOARD_ONLY, HCI_IO_DISPLAY_ONLY, 0x03);
	rig_drain(g, 0);
	rig_drain(g, 1);
	addr_cmd(g, 0, HCI_USER_PASSKEY_REQUEST_REPLY, a1, (uint8_t[]){ 0x40, 0x42, 0x0F, 0 }, 4,
		 HCI_INVALID_PARAMETERS);
	addr_cmd(g, 0, HCI_USER_PASSKEY_REQUEST_NEGATIVE_REPLY, a1, NULL, 0, 0);
	expect_auth_failed(g, 0, 1, HCI_AUTHENTICATION_FAILURE, true);
	rig_free(g);
}

/* Authentication with keys the hosts stored: Link Key Request on the
 * initiator, then on the responder. */
static void auth_with_keys(struct rig *g, uint16_t h0, const uint8_t k0[16], const uint8_t k1[16],
			   uint8_t want)
{
	uint8_t a0[6], a1[6];
	br_addr(g, 0, a0);
	br_addr(g, 1, a1);
	struct pkt k;
	auth_requested(g, 0, h0);
	cr_assert_arr_eq(expect_evt(g, 0, HCI_EV_LINK_KEY_REQUEST, &k), a1, 6);
	rig_expect_nothing(g, 1);
	addr_cmd(g, 0, HCI_LINK_KEY_REQUEST_REPLY, a1, k0, 16, 0);
	cr_assert_arr_eq(expect_evt(g, 1, HCI_EV_LINK_KEY_REQUEST, &k), a0, 6);
	addr_cmd(g, 1, HCI_LINK_KEY_REQUEST_REPLY, a0, k1, 16, 0);
	const uint8_t *p = expect_evt(g, 0, HCI_EV_AUTHENTICATION_COMPLETE, &k);
	cr_assert_eq(p[0], want);
	cr_assert_eq(get_le16(p + 1), h0);
	rig_expect_nothing(g, 1);
}

Test(vctrl_bredr, reconnect_with_stored_key_then_encrypt)
{
	uint8_t a0[6], a1[6];
	uint16_t h0, h1;
	struct rig *g = br_linked(true, a0, a1, &h0, &h1);
	io_exchange(g, 0, 1, h0, HCI_IO_NO_INPUT_NO_OUTPUT, HCI_IO_NO_INPUT_NO_OUTPUT, 0x04);
	struct pkt k;
	expect_evt(g, 0, HCI_EV_USER_CONFIRMATION_REQUEST, &k);
	expect_evt(g, 1, HCI_EV_USER_CONFIRMATION_REQUEST, &k);
	addr_cmd(g, 0, HCI_USER_CONFIRMATION_REQUEST_REPLY, a1, NULL, 0, 0);
	addr_cmd(g, 1, HCI_USER_CONFIRMATION_REQUEST_REPLY, a0, NULL, 0, 0);
	uint8_t key[16];
	expect_paired(g, 0, 1, h0, HCI_KEY_UNAUTHENTICATED_P192, true, key);
	rig_ok(g, 1, HCI_DISCONNECT, (uint8_t[]){ (uint8_t)h1, 0, HCI_REMOTE_USER_TERMINATED }, 3);
	rig_drain(g, 0);
	rig_drain(g, 1);

	/* Reconnected: both hosts give the stored key; no pairing. */
	br_connect(g, 0, 1, &h0, &h1);
	auth_with_keys(g, h0, key, key, HCI_SUCCESS);
	encrypt_ok(g, 0, 1, h0, h1);
	rig_ok(g, 0, HCI_DISCONNECT, (uint8_t[]){ (uint8_t)h0, 0, HCI_REMOTE_USER_TERMINATED }, 3);
	rig_drain(g, 0);
	rig_drain(g, 1);

	/* The responder lost its key: PIN or Key Missing on the initiator. */
	br_connect(g, 0, 1, &h0, &h1);
	auth_requested(g, 0, h0);
	expect_evt(g, 0, HCI_EV_LINK_KEY_REQUEST, &k);
	addr_cmd(g, 0, HCI_LINK_KEY_REQUEST_REPLY, a1, key, 16, 0);
	expect_evt(g, 1, HCI_EV_LINK_KEY_REQUEST, &k);
	addr_cmd(g, 1, HCI_LINK_KEY_REQUEST_NEGATIVE_REPLY, a0, NULL, 0, 0);
	cr_assert_eq(expect_evt(g, 0, HCI_EV_AUTHENTICATION_COMPLETE, &k)[0], HCI_PIN_OR_KEY_MISSING);
	/* Different keys: authentication fails, and encryption ends the link
	 * with Authentication Failure on both. */
	uint8_t other[16];
	memcpy(other, key, 16);
	other[0] ^= 1;
	auth_with_keys(g, h0, key, other, HCI_AUTHENTICATION_FAILURE);
	rig_ok(g, 0, HCI_SET_CONNECTION_ENCRYPTION, (uint8_t[]){ (uint8_t)h0, 0, 1 }, 3);
	const uint8_t *p = expect_evt(g, 0, HCI_EV_DISCONNECTION_COMPLETE, &k);
	cr_assert_eq(p[3], HCI_AUTHENTICATION_FAILURE);
	p = expect_evt(g, 1, HCI_EV_DISCONNECTION_COMPLETE, &k);
	cr_assert_eq(get_le16(p + 1), h1);
	cr_assert_eq(p[3], HCI_AUTHENTICATION_FAILURE);
	rig_free(g);
}

Test(vctrl_bredr, legacy_pin_pairing)
{
	uint8_t a0[6], a1[6];
	uint16_t h0, h1;
	/* ctrl1 has Simple Pairing off: PIN pairing */
	struct rig *g = br_linked(false, a0, a1, &h0, &h1);
	for (int round = 0; round < 2; round++) {
		struct pkt k;
		auth_requested(g, 0, h0);
		expect_evt(g, 0, HCI_EV_LINK_KEY_REQUEST, &k);
		addr_cmd(g, 0, HCI_LINK_KEY_REQUEST_NEGATIVE_REPLY, a1, NULL, 0, 0);
		cr_assert_arr_eq(expect_evt(g, 0, HCI_EV_PIN_CODE_REQUEST, &k), a1, 6);
		uint8_t pin[17] = { 4, '0', '0', '0', '0' };
		addr_cmd(g, 0, HCI_PIN_CODE_REQUEST_REPLY, a1, pin, 17, 0);
		cr_assert_arr_eq(expect_evt(g, 1, HCI_EV_PIN_CODE_REQUEST, &k), a0, 6);
		if (round == 1)
			pin[4] = '1';
		addr_cmd(g, 1, HCI_PIN_CODE_REQUEST_REPLY, a0, pin, 17, 0);
		if (round == 0) {
			uint8_t key[16];
			expect_paired(g, 0, 1, h0, HCI_KEY_COMBINATION, false, key);
			encrypt_ok(g, 0, 1, h0, h1);
		} else {
			expect_auth_failed(g, 0, 1, HCI_AUTHENTICATION_FAILURE, false);
		}
	}
	/* A PIN of 17 digits, and a refused PIN. */
	struct pkt k;
	auth_requested(g, 0, h0);
	expect_evt(g, 0, HCI_EV_LINK_KEY_REQUEST, &k);
	addr_cmd(g, 0, HCI_LINK_KEY_REQUEST_NEGATIVE_REPLY, a1, NULL, 0, 0);
	expect_evt(g, 0, HCI_EV_PIN_CODE_REQUEST, &k);
	uint8_t bad[17] = { 17 };
	addr_cmd(g, 0, HCI_PIN_CODE_REQUEST_REPLY, a1, bad, 17, HCI_INVALID_PARAMETERS);
	addr_cmd(g, 0, HCI_PIN_CODE_REQUEST_NEGATIVE_REPLY, a1, NULL, 0, 0);
	expect_auth_failed(g, 0, 1, HCI_PIN_OR_KEY_MISSING, false);
	rig_free(g);
}

/* ============================================================================
 * ACL data
 * ========================================================================== */

Test(vctrl_bredr, acl_both_ways_with_completed_packets)
{
	struct rig *g = br_rig(2, 1);
	uint16_t h0, h1;
	br_connect(g, 0, 1, &h0, &h1);
	/* BR/EDR and LE buffers are apart. */
	uint8_t ret[8];
	size_t n;
	rig_cmd(g, 0, HCI_READ_BUFFER_SIZE, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_READ_BUFFER_SIZE, ret, &n), 0);
	cr_assert_eq(get_le16(ret), 1021);
	cr_assert_eq(get_le16(ret + 3), 8);
	rig_cmd(g, 0, HCI_LE_READ_BUFFER_SIZE, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_READ_BUFFER_SIZE, ret, &n), 0);
	cr_assert_eq(get_le16(ret), 251);
	/* An L2CAP frame longer than an LE buffer, whole, each way. */
	uint8_t data[600];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7);
	rig_acl(g, 0, h0, 0 /* first, non-flushable */, data, sizeof data);
	rig_acl(g, 0, h0, 1 /* continuing */, data, 100);
	rig_acl(g, 1, h1, 2, data + 1, 300);
	rig_tick(g, 1);
	rig_expect_acl(g, 1, h1, 2, data, sizeof data);
	rig_expect_acl(g, 1, h1, 1, data, 100);
	cr_assert_eq(rig_expect_nocp(g, 1, h1), 1);
	cr_assert_eq(rig_expect_nocp(g, 0, h0), 2);
	rig_expect_acl(g, 0, h0, 2, data + 1, 300);
	rig_expect_nothing(g, 0);
	rig_expect_nothing(g, 1);
	/* Eight BR/EDR buffers: the ninth packet overflows. */
	for (int i = 0; i < 9; i++)
		rig_acl(g, 0, h0, 0, data, 10);
	struct pkt k;
	cr_assert_eq(expect_evt(g, 0, HCI_EV_DATA_BUFFER_OVERFLOW, &k)[0], HCI_LINK_ACL);
	rig_tick(g, 1);
	cr_assert_eq(rig_expect_nocp(g, 0, h0), 8);
	/* Longer than the BR/EDR buffers: dropped. */
	uint8_t *big = calloc(1, 1100);
	rig_acl(g, 0, h0, 0, big, 1100);
	free(big);
	rig_tick(g, 1);
	rig_expect_nothing(g, 0);
	rig_drain(g, 1);
	rig_expect_nothing(g, 1);
	rig_free(g);
}

/* ============================================================================
 * Codec
 * ========================================================================== */

Test(vctrl_bredr, codec_parsers_and_event_bytes)
{
	uint8_t z[32] = { 0 };
	struct vctrl_inquiry_cmd q;
	struct vctrl_create_conn_br cc;
	struct vctrl_io_cap io;
	struct vctrl_pin_reply pin;
	cr_assert_eq(vctrl_parse_inquiry(z, 5, &q), 0);
	cr_assert_lt(vctrl_parse_inquiry(z, 4, &q), 0);
	cr_assert_lt(vctrl_parse_inquiry(z, 6, &q), 0);
	cr_assert_eq(vctrl_parse_create_conn_br(z, 13, &cc), 0);
	cr_assert_lt(vctrl_parse_create_conn_br(z, 12, &cc), 0);
	cr_assert_lt(vctrl_parse_create_conn_br(z, 14, &cc), 0);
	cr_assert_eq(vctrl_parse_io_cap_reply(z, 9, &io), 0);
	cr_assert_lt(vctrl_parse_io_cap_reply(z, 8, &io), 0);
	cr_assert_eq(vctrl_parse_pin_reply(z, 23, &pin), 0);
	cr_assert_lt(vctrl_parse_pin_reply(z, 22, &pin), 0);
	uint8_t b[300];
	struct wr w = wr_init(b, sizeof b);
	const uint8_t a[6] = { 1, 2, 3, 4, 5, 6 };
	vctrl_evt_conn_complete_br(&w, 0, 0x0042, a, 0);
	vctrl_evt_addr_value(&w, HCI_EV_USER_CONFIRMATION_REQUEST, a, 123456);
	const uint8_t want[] = { 0x04, 0x03, 0x0B, 0x00, 0x42, 0x00, 1, 2, 3, 4, 5, 6, 0x01, 0x00,
				 0x04, 0x33, 0x0A, 1, 2, 3, 4, 5, 6, 0x40, 0xE2, 0x01, 0x00 };
	cr_assert_eq(w.len, sizeof want);
	cr_assert_arr_eq(b, want, sizeof want);
	w = wr_init(b, sizeof b);
	struct vctrl_inquiry_result r = { .psrm = 1, .rssi = -50 };
	vctrl_evt_inquiry_result(&w, HCI_INQUIRY_MODE_EXTENDED, &r);
	cr_assert(wr_ok(&w));
	cr_assert_eq(w.len, 3 + 255);
}
