/* hive-vctrl: the codec and the command table, driven with byte vectors (no
 * sockets, time passed in). The same binary runs vctrl_radio_tests.c
 * (advertising, connections, data), vctrl_enc_tests.c (encryption) and
 * vctrl_e2e_tests.c (the real program with hosts on sockets). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "hive.h"
#include "vctrl_test.h"

/* ============================================================================
 * Codec
 * ========================================================================== */

Test(vctrl_codec, h4_framer_split_and_merged)
{
	/* Reset, an ACL packet, LE Rand, delivered merged and then byte by byte. */
	const uint8_t stream[] = { 0x01, 0x03, 0x0C, 0x00,
				   0x02, 0x41, 0x00, 0x03, 0x00, 0xAA, 0xBB, 0xCC,
				   0x01, 0x18, 0x20, 0x00 };
	for (int mode = 0; mode < 2; mode++) {
		struct vctrl_h4 f;
		vctrl_h4_init(&f);
		struct vctrl_h4_pkt k;
		uint8_t types[4];
		size_t lens[4], n = 0;
		size_t step = mode == 0 ? sizeof stream : 1;
		for (size_t off = 0; off < sizeof stream; off += step) {
			struct rd in = rd_init(stream + off, step);
			int rc;
			while ((rc = vctrl_h4_pull(&f, &in, &k)) == VCTRL_H4_PACKET) {
				cr_assert_lt(n, 4);
				types[n] = k.type;
				lens[n++] = k.len;
			}
			cr_assert_eq(rc, VCTRL_H4_MORE);
			cr_assert_eq(in.left, 0);
		}
		cr_assert_eq(n, 3);
		cr_assert_eq(types[0], H4_CMD);
		cr_assert_eq(lens[0], 3);
		cr_assert_eq(types[1], H4_ACL);
		cr_assert_eq(lens[1], 7);
		cr_assert_eq(types[2], H4_CMD);
	}
}

Test(vctrl_codec, h4_framer_rejects_bad_type_and_skips_oversize)
{
	struct vctrl_h4 f;
	vctrl_h4_init(&f);
	struct vctrl_h4_pkt k;
	/* An event from a host, and a byte that is no packet type at all. */
	for (uint8_t bad = 0; bad < 8; bad++) {
		if (bad >= 1 && bad <= 5 && bad != H4_EVT)
			continue;
		vctrl_h4_init(&f);
		struct rd in = rd_init(&bad, 1);
		cr_assert_eq(vctrl_h4_pull(&f, &in, &k), -EBADMSG);
		cr_assert_eq(k.type, bad);
	}
	/* An ACL packet longer than the framer keeps is skipped whole, and the
	 * next packet is framed. */
	size_t big = VCTRL_H4_BODY_MAX + 10;
	uint8_t *s = calloc(1, 5 + big + 4);
	s[0] = H4_ACL;
	s[3] = (uint8_t)big;
	s[4] = (uint8_t)(big >> 8);
	memcpy(s + 5 + big, "\x01\x03\x0c\x00", 4);
	vctrl_h4_init(&f);
	struct rd in = rd_init(s, 5 + big + 4);
	cr_assert_eq(vctrl_h4_pull(&f, &in, &k), VCTRL_H4_OVERSIZE);
	cr_assert_eq(k.len, 4 + big);
	cr_assert_null(k.data);
	cr_assert_eq(vctrl_h4_pull(&f, &in, &k), VCTRL_H4_PACKET);
	cr_assert_eq(k.type, H4_CMD);
	cr_assert_eq(get_le16(k.data), HCI_RESET);
	cr_assert_eq(vctrl_h4_pull(&f, &in, &k), VCTRL_H4_MORE);
	free(s);
}

Test(vctrl_codec, parsers_reject_truncated_and_long)
{
	uint8_t z[64] = { 0 };
	struct vctrl_create_conn cc;
	struct vctrl_adv_params ap;
	struct vctrl_ext_adv_params ep;
	struct vctrl_scan_params sp;
	struct vctrl_ext_scan_enable se;
	struct vctrl_conn_update cu;
	struct vctrl_enable_encryption ee;
	struct vctrl_set_phy ph;
	struct vctrl_cmd c;
	struct vctrl_acl a;
#define CHECK(call, exact)                                                    \
	do {                                                                  \
		size_t n_ = (exact);                                          \
		cr_assert_eq(call(z, n_, &PARSE_OUT), 0, #call " %zu", n_);   \
		cr_assert_lt(call(z, n_ - 1, &PARSE_OUT), 0, #call " short"); \
		cr_assert_lt(call(z, n_ + 1, &PARSE_OUT), 0, #call " long");  \
	} while (0)
#define PARSE_OUT cc
	CHECK(vctrl_parse_create_conn, 25);
#undef PARSE_OUT
#define PARSE_OUT ap
	CHECK(vctrl_parse_adv_params, 15);
#undef PARSE_OUT
#define PARSE_OUT ep
	CHECK(vctrl_parse_ext_adv_params, 25);
#undef PARSE_OUT
#define PARSE_OUT sp
	CHECK(vctrl_parse_scan_params, 7);
#undef PARSE_OUT
#define PARSE_OUT se
	CHECK(vctrl_parse_ext_scan_enable, 6);
#undef PARSE_OUT
#define PARSE_OUT cu
	CHECK(vctrl_parse_conn_update, 14);
#undef PARSE_OUT
#define PARSE_OUT ee
	CHECK(vctrl_parse_enable_encryption, 28);
#undef PARSE_OUT
#define PARSE_OUT ph
	CHECK(vctrl_parse_set_phy, 7);
#undef PARSE_OUT
#undef CHECK
	/* Variable lengths follow their own fields. */
	uint8_t ecc[10 + 32] = { 0, 0, 0, 1, 2, 3, 4, 5, 6, 0x05 /* 1M + Coded */ };
	cr_assert_eq(vctrl_parse_ext_create_conn(ecc, 42, &cc), 0);
	cr_assert_eq(cc.phys, 5);
	cr_assert_lt(vctrl_parse_ext_create_conn(ecc, 41, &cc), 0);
	cr_assert_lt(vctrl_parse_ext_create_conn(ecc, 26, &cc), 0);
	uint8_t esp[3 + 10] = { 0, 0, 0x05 };
	cr_assert_eq(vctrl_parse_ext_scan_params(esp, 13, &sp), 0);
	cr_assert_lt(vctrl_parse_ext_scan_params(esp, 12, &sp), 0);
	uint8_t ead[4 + 3] = { 1, 3, 1, 3, 'a', 'b', 'c' };
	struct vctrl_ext_adv_data ad;
	cr_assert_eq(vctrl_parse_ext_adv_data(ead, 7, &ad), 0);
	cr_assert_eq(ad.len, 3);
	cr_assert_lt(vctrl_parse_ext_adv_data(ead, 6, &ad), 0);
	struct vctrl_ext_adv_enable en;
	uint8_t eae[2 + 8] = { 1, 2 };
	cr_assert_eq(vctrl_parse_ext_adv_enable(eae, 10, &en), 0);
	cr_assert_lt(vctrl_parse_ext_adv_enable(eae, 9, &en), 0);
	eae[1] = 64;
	cr_assert_lt(vctrl_parse_ext_adv_enable(eae, 10, &en), 0);
	/* Command and ACL headers. */
	cr_assert_eq(vctrl_cmd_parse((const uint8_t *)"\x03\x0c", 2, &c), -EBADMSG);
	cr_assert_eq(vctrl_cmd_parse((const uint8_t *)"\x03\x0c\x01", 3, &c), -EINVAL);
	cr_assert_eq(c.opcode, HCI_RESET);
	cr_assert_eq(vctrl_cmd_parse((const uint8_t *)"\x03\x0c\x00", 3, &c), 0);
	cr_assert_eq(vctrl_acl_parse((const uint8_t *)"\x41\x20\x02\x00\xaa", 5, &a), -EINVAL);
	cr_assert_eq(vctrl_acl_parse((const uint8_t *)"\x41\x20\x02\x00\xaa\xbb", 6, &a), 0);
	cr_assert_eq(a.handle, 0x041);
	cr_assert_eq(a.pb, 2);
	cr_assert_eq(a.len, 2);
}

Test(vctrl_codec, event_bytes_exact)
{
	uint8_t b[300];
	struct wr w = wr_init(b, sizeof b);
	vctrl_evt_cmd_complete(&w, 1, HCI_RESET, (const uint8_t *)"\x00", 1);
	vctrl_evt_cmd_status(&w, 0x02, 1, HCI_DISCONNECT);
	vctrl_evt_disconnection_complete(&w, 0, 0x0040, 0x13);
	const uint8_t want[] = { 0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00,
				 0x04, 0x0F, 0x04, 0x02, 0x01, 0x06, 0x04,
				 0x04, 0x05, 0x04, 0x00, 0x40, 0x00, 0x13 };
	cr_assert_eq(w.len, sizeof want);
	cr_assert_arr_eq(b, want, sizeof want);

	w = wr_init(b, sizeof b);
	struct vctrl_conn_complete e = { .status = 0, .handle = 0x0001, .role = 1,
					 .peer_addr_type = 0, .peer_addr = { 1, 2, 3, 4, 5, 6 },
					 .interval = 0x28, .latency = 0, .timeout = 0x2A,
					 .clock_accuracy = 0 };
	vctrl_evt_le_conn_complete(&w, &e, false);
	const uint8_t cc[] = { 0x04, 0x3E, 0x13, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 1, 2, 3, 4,
			       5,    6,    0x28, 0x00, 0x00, 0x00, 0x2A, 0x00, 0x00 };
	cr_assert_eq(w.len, sizeof cc);
	cr_assert_arr_eq(b, cc, sizeof cc);
	w = wr_init(b, sizeof b);
	vctrl_evt_le_conn_complete(&w, &e, true);
	cr_assert_eq(w.len, 3 + 31, "enhanced connection complete has 31 parameter bytes");
	cr_assert_eq(b[3], HCI_LE_ENHANCED_CONNECTION_COMPLETE);

	/* An extended report: 1 + 1 + 24 + data. */
	w = wr_init(b, sizeof b);
	struct vctrl_ext_adv_report r = { .event_type = 0x13, .sid = 0xFF, .tx_power = 127,
					  .rssi = -50, .data = (const uint8_t *)"xy", .len = 2 };
	vctrl_evt_le_ext_adv_report(&w, &r);
	cr_assert_eq(w.len, 3 + 2 + 24 + 2);
	cr_assert_eq(b[2], 2 + 24 + 2);
	cr_assert_eq(b[3], HCI_LE_EXTENDED_ADVERTISING_REPORT);
	cr_assert_eq(b[4], 1);
	cr_assert_eq(get_le16(b + 5), 0x13);
	cr_assert_eq(b[3 + 1 + 1 + 23], 2, "data length");

	/* Parameters past 255 bytes do not make an event. */
	w = wr_init(b, sizeof b);
	size_t m = vctrl_evt_begin(&w, 0x3E);
	uint8_t big[256] = { 0 };
	wr_bytes(&w, big, 256);
	cr_assert_not(vctrl_evt_end(&w, m));
	cr_assert_not(wr_ok(&w));

	uint8_t addr[6];
	char s[18];
	cr_assert_eq(vctrl_addr_parse("12:34:56:78:9A:bc", addr), 0);
	cr_assert_eq(addr[0], 0xBC);
	cr_assert_eq(addr[5], 0x12);
	cr_assert_str_eq(vctrl_addr_str(addr, s), "12:34:56:78:9A:BC");
	cr_assert_lt(vctrl_addr_parse("12:34:56:78:9A", addr), 0);
	cr_assert_lt(vctrl_addr_parse("12:34:56:78:9A:BC:", addr), 0);
	cr_assert_lt(vctrl_addr_parse("12-34-56-78-9A-BC", addr), 0);
}

/* ============================================================================
 * Commands
 * ========================================================================== */

enum { CC, CS };
#define VAR (-1)

/* Every command hive-vctrl implements, with its length and answer (Vol 4
 * Part E 7), written out independently of the controller's own table. */
static const struct {
	uint16_t op;
	int plen;
	int kind;
	int bit; /* Supported_Commands octet * 8 + bit, -1 none */
} implemented[] = {
	{ HCI_INQUIRY, 5, CS, 0 * 8 + 0 },
	{ HCI_INQUIRY_CANCEL, 0, CC, 0 * 8 + 1 },
	{ HCI_CREATE_CONNECTION, 13, CS, 0 * 8 + 4 },
	{ HCI_DISCONNECT, 3, CS, 0 * 8 + 5 },
	{ HCI_CREATE_CONNECTION_CANCEL, 6, CC, 0 * 8 + 7 },
	{ HCI_ACCEPT_CONNECTION_REQUEST, 7, CS, 1 * 8 + 0 },
	{ HCI_REJECT_CONNECTION_REQUEST, 7, CS, 1 * 8 + 1 },
	{ HCI_LINK_KEY_REQUEST_REPLY, 22, CC, 1 * 8 + 2 },
	{ HCI_LINK_KEY_REQUEST_NEGATIVE_REPLY, 6, CC, 1 * 8 + 3 },
	{ HCI_PIN_CODE_REQUEST_REPLY, 23, CC, 1 * 8 + 4 },
	{ HCI_PIN_CODE_REQUEST_NEGATIVE_REPLY, 6, CC, 1 * 8 + 5 },
	{ HCI_AUTHENTICATION_REQUESTED, 2, CS, 1 * 8 + 7 },
	{ HCI_SET_CONNECTION_ENCRYPTION, 3, CS, 2 * 8 + 0 },
	{ HCI_REMOTE_NAME_REQUEST, 10, CS, 2 * 8 + 3 },
	{ HCI_READ_REMOTE_SUPPORTED_FEATURES, 2, CS, 2 * 8 + 5 },
	{ HCI_READ_REMOTE_EXTENDED_FEATURES, 3, CS, 2 * 8 + 6 },
	{ HCI_READ_REMOTE_VERSION_INFORMATION, 2, CS, 2 * 8 + 7 },
	{ HCI_IO_CAPABILITY_REQUEST_REPLY, 9, CC, 18 * 8 + 7 },
	{ HCI_USER_CONFIRMATION_REQUEST_REPLY, 6, CC, 19 * 8 + 0 },
	{ HCI_USER_CONFIRMATION_REQUEST_NEGATIVE_REPLY, 6, CC, 19 * 8 + 1 },
	{ HCI_USER_PASSKEY_REQUEST_REPLY, 10, CC, 19 * 8 + 2 },
	{ HCI_USER_PASSKEY_REQUEST_NEGATIVE_REPLY, 6, CC, 19 * 8 + 3 },
	{ HCI_IO_CAPABILITY_REQUEST_NEGATIVE_REPLY, 7, CC, 20 * 8 + 3 },
	{ HCI_ROLE_DISCOVERY, 2, CC, 4 * 8 + 7 },
	{ HCI_SWITCH_ROLE, 7, CS, 5 * 8 + 0 },
	{ HCI_SET_EVENT_MASK, 8, CC, 5 * 8 + 6 },
	{ HCI_RESET, 0, CC, 5 * 8 + 7 },
	{ HCI_FLUSH, 2, CC, 6 * 8 + 1 },
	{ HCI_WRITE_LOCAL_NAME, 248, CC, 7 * 8 + 0 },
	{ HCI_READ_LOCAL_NAME, 0, CC, 7 * 8 + 1 },
	{ HCI_WRITE_CONNECTION_ACCEPT_TIMEOUT, 2, CC, 7 * 8 + 3 },
	{ HCI_WRITE_PAGE_TIMEOUT, 2, CC, 7 * 8 + 5 },
	{ HCI_READ_SCAN_ENABLE, 0, CC, 7 * 8 + 6 },
	{ HCI_WRITE_SCAN_ENABLE, 1, CC, 7 * 8 + 7 },
	{ HCI_READ_CLASS_OF_DEVICE, 0, CC, 9 * 8 + 0 },
	{ HCI_WRITE_CLASS_OF_DEVICE, 3, CC, 9 * 8 + 1 },
	{ HCI_READ_INQUIRY_MODE, 0, CC, 12 * 8 + 6 },
	{ HCI_WRITE_INQUIRY_MODE, 1, CC, 12 * 8 + 7 },
	{ HCI_READ_EXTENDED_INQUIRY_RESPONSE, 0, CC, 17 * 8 + 0 },
	{ HCI_WRITE_EXTENDED_INQUIRY_RESPONSE, 241, CC, 17 * 8 + 1 },
	{ HCI_READ_SIMPLE_PAIRING_MODE, 0, CC, 17 * 8 + 5 },
	{ HCI_WRITE_SIMPLE_PAIRING_MODE, 1, CC, 17 * 8 + 6 },
	{ HCI_SET_CONTROLLER_TO_HOST_FLOW_CONTROL, 1, CC, 10 * 8 + 5 },
	{ HCI_HOST_BUFFER_SIZE, 7, CC, 10 * 8 + 6 },
	{ HCI_HOST_NUMBER_OF_COMPLETED_PACKETS, VAR, CC /* errors only */, 10 * 8 + 7 },
	{ HCI_SET_EVENT_MASK_PAGE_2, 8, CC, 22 * 8 + 2 },
	{ HCI_READ_LE_HOST_SUPPORT, 0, CC, 24 * 8 + 5 },
	{ HCI_WRITE_LE_HOST_SUPPORT, 2, CC, 24 * 8 + 6 },
	{ HCI_READ_LOCAL_VERSION_INFORMATION, 0, CC, 14 * 8 + 3 },
	{ HCI_READ_LOCAL_SUPPORTED_COMMANDS, 0, CC, -1 },
	{ HCI_READ_LOCAL_SUPPORTED_FEATURES, 0, CC, 14 * 8 + 5 },
	{ HCI_READ_LOCAL_EXTENDED_FEATURES, 1, CC, 14 * 8 + 6 },
	{ HCI_READ_BUFFER_SIZE, 0, CC, 14 * 8 + 7 },
	{ HCI_READ_BD_ADDR, 0, CC, 15 * 8 + 1 },
	{ HCI_READ_RSSI, 2, CC, 15 * 8 + 5 },
	{ HCI_LE_SET_EVENT_MASK, 8, CC, 25 * 8 + 0 },
	{ HCI_LE_READ_BUFFER_SIZE, 0, CC, 25 * 8 + 1 },
	{ HCI_LE_READ_LOCAL_SUPPORTED_FEATURES, 0, CC, 25 * 8 + 2 },
	{ HCI_LE_SET_RANDOM_ADDRESS, 6, CC, 25 * 8 + 4 },
	{ HCI_LE_SET_ADVERTISING_PARAMETERS, 15, CC, 25 * 8 + 5 },
	{ HCI_LE_READ_ADVERTISING_PHYSICAL_CHANNEL_TX_POWER, 0, CC, 25 * 8 + 6 },
	{ HCI_LE_SET_ADVERTISING_DATA, 32, CC, 25 * 8 + 7 },
	{ HCI_LE_SET_SCAN_RESPONSE_DATA, 32, CC, 26 * 8 + 0 },
	{ HCI_LE_SET_ADVERTISING_ENABLE, 1, CC, 26 * 8 + 1 },
	{ HCI_LE_SET_SCAN_PARAMETERS, 7, CC, 26 * 8 + 2 },
	{ HCI_LE_SET_SCAN_ENABLE, 2, CC, 26 * 8 + 3 },
	{ HCI_LE_CREATE_CONNECTION, 25, CS, 26 * 8 + 4 },
	{ HCI_LE_CREATE_CONNECTION_CANCEL, 0, CC, 26 * 8 + 5 },
	{ HCI_LE_READ_FILTER_ACCEPT_LIST_SIZE, 0, CC, 26 * 8 + 6 },
	{ HCI_LE_CLEAR_FILTER_ACCEPT_LIST, 0, CC, 26 * 8 + 7 },
	{ HCI_LE_ADD_DEVICE_TO_FILTER_ACCEPT_LIST, 7, CC, 27 * 8 + 0 },
	{ HCI_LE_REMOVE_DEVICE_FROM_FILTER_ACCEPT_LIST, 7, CC, 27 * 8 + 1 },
	{ HCI_LE_CONNECTION_UPDATE, 14, CS, 27 * 8 + 2 },
	{ HCI_LE_SET_HOST_CHANNEL_CLASSIFICATION, 5, CC, 27 * 8 + 3 },
	{ HCI_LE_READ_CHANNEL_MAP, 2, CC, 27 * 8 + 4 },
	{ HCI_LE_READ_REMOTE_FEATURES, 2, CS, 27 * 8 + 5 },
	{ HCI_LE_ENCRYPT, 32, CC, 27 * 8 + 6 },
	{ HCI_LE_RAND, 0, CC, 27 * 8 + 7 },
	{ HCI_LE_ENABLE_ENCRYPTION, 28, CS, 28 * 8 + 0 },
	{ HCI_LE_LONG_TERM_KEY_REQUEST_REPLY, 18, CC, 28 * 8 + 1 },
	{ HCI_LE_LONG_TERM_KEY_REQUEST_NEGATIVE_REPLY, 2, CC, 28 * 8 + 2 },
	{ HCI_LE_READ_SUPPORTED_STATES, 0, CC, 28 * 8 + 3 },
	{ HCI_LE_SET_DATA_LENGTH, 6, CC, 33 * 8 + 6 },
	{ HCI_LE_READ_SUGGESTED_DEFAULT_DATA_LENGTH, 0, CC, 33 * 8 + 7 },
	{ HCI_LE_WRITE_SUGGESTED_DEFAULT_DATA_LENGTH, 4, CC, 34 * 8 + 0 },
	{ HCI_LE_READ_MAXIMUM_DATA_LENGTH, 0, CC, 35 * 8 + 3 },
	{ HCI_LE_READ_PHY, 2, CC, 35 * 8 + 4 },
	{ HCI_LE_SET_DEFAULT_PHY, 3, CC, 35 * 8 + 5 },
	{ HCI_LE_SET_PHY, 7, CS, 35 * 8 + 6 },
	{ HCI_LE_SET_ADVERTISING_SET_RANDOM_ADDRESS, 7, CC, 36 * 8 + 1 },
	{ HCI_LE_SET_EXTENDED_ADVERTISING_PARAMETERS, 25, CC, 36 * 8 + 2 },
	{ HCI_LE_SET_EXTENDED_ADVERTISING_DATA, VAR, CC, 36 * 8 + 3 },
	{ HCI_LE_SET_EXTENDED_SCAN_RESPONSE_DATA, VAR, CC, 36 * 8 + 4 },
	{ HCI_LE_SET_EXTENDED_ADVERTISING_ENABLE, VAR, CC, 36 * 8 + 5 },
	{ HCI_LE_READ_MAXIMUM_ADVERTISING_DATA_LENGTH, 0, CC, 36 * 8 + 6 },
	{ HCI_LE_READ_NUMBER_OF_SUPPORTED_ADVERTISING_SETS, 0, CC, 36 * 8 + 7 },
	{ HCI_LE_REMOVE_ADVERTISING_SET, 1, CC, 37 * 8 + 0 },
	{ HCI_LE_CLEAR_ADVERTISING_SETS, 0, CC, 37 * 8 + 1 },
	{ HCI_LE_SET_EXTENDED_SCAN_PARAMETERS, VAR, CC, 37 * 8 + 5 },
	{ HCI_LE_SET_EXTENDED_SCAN_ENABLE, 6, CC, 37 * 8 + 6 },
	{ HCI_LE_EXTENDED_CREATE_CONNECTION, VAR, CS, 37 * 8 + 7 },
	{ HCI_LE_READ_TRANSMIT_POWER, 0, CC, 38 * 8 + 7 },
};
#define N_IMPLEMENTED (sizeof implemented / sizeof implemented[0])

/* The answer must be exactly one Command Complete / Status for op. */
static uint8_t answer_of(struct rig *g, unsigned i, uint16_t op, int kind)
{
	uint8_t st = kind == CC ? rig_expect_cc(g, i, op, NULL, NULL) : rig_expect_cs(g, i, op);
	return st;
}

Test(vctrl_cmd, every_command_answered_and_lengths_checked)
{
	struct rig *g = rig_new(2, 8);
	uint8_t zero[255] = { 0 };
	for (size_t k = 0; k < N_IMPLEMENTED; k++) {
		uint16_t op = implemented[k].op;
		int plen = implemented[k].plen;
		rig_ok(g, 0, HCI_RESET, NULL, 0); /* legacy and extended commands do not mix */
		/* One byte short, one byte long: Invalid HCI Command Parameters,
		 * in the command's own kind of answer. */
		if (plen > 0) {
			rig_cmd(g, 0, op, zero, (size_t)plen - 1);
			cr_assert_eq(answer_of(g, 0, op, implemented[k].kind), HCI_INVALID_PARAMETERS,
				     "0x%04x short", op);
		}
		if (plen != VAR) {
			rig_cmd(g, 0, op, zero, (size_t)plen + 1);
			cr_assert_eq(answer_of(g, 0, op, implemented[k].kind), HCI_INVALID_PARAMETERS,
				     "0x%04x long", op);
		} else {
			rig_cmd(g, 0, op, zero, 0);
			cr_assert_eq(answer_of(g, 0, op, implemented[k].kind), HCI_INVALID_PARAMETERS,
				     "0x%04x empty", op);
		}
		/* Right length, all zero: answered (whatever the status). */
		if (plen != VAR) {
			rig_cmd(g, 0, op, zero, (size_t)plen);
			answer_of(g, 0, op, implemented[k].kind);
			rig_drain(g, 0);
		}
	}
	/* The length field disagreeing with the bytes present. */
	uint8_t bad[] = { 0x09, 0x10, 0x05 };
	vctrl_on_packet(g->r, 0, H4_CMD, bad, sizeof bad, g->now);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_READ_BD_ADDR, NULL, NULL), HCI_INVALID_PARAMETERS);
	/* Too short for a header: nothing usable to answer; the controller
	 * keeps working. */
	vctrl_on_packet(g->r, 0, H4_CMD, bad, 2, g->now);
	rig_expect_nothing(g, 0);
	rig_ok(g, 0, HCI_RESET, NULL, 0);
	rig_free(g);
}

Test(vctrl_cmd, every_opcode_gets_one_answer)
{
	hive_log_set_threshold(HIVE_LOG_ERROR);
	struct rig *g = rig_new(1, 8);
	for (unsigned op = 0; op <= 0xFFFF; op++) {
		rig_cmd(g, 0, (uint16_t)op, NULL, 0);
		struct pkt k;
		cr_assert(rig_pop(g, 0, &k), "no answer to 0x%04x", op);
		cr_assert_eq(k.type, H4_EVT);
		if (k.b[0] == HCI_EV_COMMAND_COMPLETE)
			cr_assert_eq(get_le16(k.b + 3), op);
		else
			cr_assert(k.b[0] == HCI_EV_COMMAND_STATUS && get_le16(k.b + 4) == op,
				  "0x%04x answered with event 0x%02x", op, k.b[0]);
		bool known = false;
		for (size_t i = 0; i < N_IMPLEMENTED; i++)
			known |= implemented[i].op == op;
		if (!known)
			cr_assert_eq(k.b[0] == HCI_EV_COMMAND_COMPLETE ? k.b[5] : k.b[2],
				     HCI_UNKNOWN_COMMAND, "0x%04x", op);
		rig_drain(g, 0);
	}
	rig_free(g);
}

Test(vctrl_cmd, reset_identity_and_buffers)
{
	struct vctrl_config cfg;
	vctrl_config_default(&cfg);
	cfg.count = 3;
	cfg.acl_size = 100;
	cfg.acl_count = 5;
	cr_assert_eq(vctrl_addr_parse("C0:00:00:00:00:FF", cfg.addr_base), 0);
	struct rig *g = rig_new_cfg(&cfg);
	uint8_t ret[300];
	size_t n;
	rig_ok(g, 0, HCI_RESET, NULL, 0);
	/* Addresses: base + i, carried. */
	for (unsigned i = 0; i < 3; i++) {
		rig_cmd(g, i, HCI_READ_BD_ADDR, NULL, 0);
		cr_assert_eq(rig_expect_cc(g, i, HCI_READ_BD_ADDR, ret, &n), 0);
		cr_assert_eq(n, 6);
		const uint8_t want[3][6] = { { 0xFF, 0, 0, 0, 0, 0xC0 },
					     { 0x00, 1, 0, 0, 0, 0xC0 },
					     { 0x01, 1, 0, 0, 0, 0xC0 } };
		cr_assert_arr_eq(ret, want[i], 6, "ctrl%u address", i);
	}
	rig_cmd(g, 0, HCI_LE_READ_BUFFER_SIZE, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_READ_BUFFER_SIZE, ret, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(get_le16(ret), 100);
	cr_assert_eq(ret[2], 5);
	rig_cmd(g, 0, HCI_READ_BUFFER_SIZE, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_READ_BUFFER_SIZE, ret, &n), 0);
	cr_assert_eq(n, 7);
	cr_assert_eq(get_le16(ret), 1021, "BR/EDR buffers, apart from LE's");
	cr_assert_eq(get_le16(ret + 3), 8);
	rig_cmd(g, 0, HCI_READ_LOCAL_VERSION_INFORMATION, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_READ_LOCAL_VERSION_INFORMATION, ret, &n), 0);
	cr_assert_eq(n, 8);
	cr_assert_geq(ret[0], 0x09, "HCI version 5.0 or later (extended advertising)");
	rig_cmd(g, 0, HCI_READ_LOCAL_SUPPORTED_FEATURES, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_READ_LOCAL_SUPPORTED_FEATURES, ret, &n), 0);
	cr_assert_eq(n, 8);
	cr_assert(ret[4] & 0x40, "LE Supported (Controller)");
	cr_assert_not(ret[4] & 0x20, "BR/EDR Not Supported is clear");
	cr_assert(ret[6] & 0x08, "Secure Simple Pairing");
	cr_assert(ret[6] & 0x01, "Extended Inquiry Response");
	cr_assert(ret[7] & 0x80, "Extended Features");
	rig_cmd(g, 0, HCI_LE_READ_LOCAL_SUPPORTED_FEATURES, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_READ_LOCAL_SUPPORTED_FEATURES, ret, &n), 0);
	cr_assert(ret[0] & 0x01, "LE Encryption");
	cr_assert(ret[0] & 0x20, "Data Packet Length Extension");
	cr_assert(ret[1] & 0x01, "LE 2M PHY");
	cr_assert(ret[1] & 0x10, "LE Extended Advertising");
	cr_assert_not(ret[0] & 0x02, "no Connection Parameters Request procedure");
	rig_cmd(g, 0, HCI_READ_LOCAL_SUPPORTED_COMMANDS, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_READ_LOCAL_SUPPORTED_COMMANDS, ret, &n), 0);
	cr_assert_eq(n, 64);
	/* Exactly the implemented commands are claimed. */
	uint8_t want[64] = { 0 };
	for (size_t k = 0; k < N_IMPLEMENTED; k++)
		if (implemented[k].bit >= 0)
			want[implemented[k].bit / 8] |= (uint8_t)(1u << (implemented[k].bit % 8));
	cr_assert_arr_eq(ret, want, 64);
	rig_cmd(g, 0, HCI_LE_READ_FILTER_ACCEPT_LIST_SIZE, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_READ_FILTER_ACCEPT_LIST_SIZE, ret, &n), 0);
	cr_assert_gt(ret[0], 0);
	rig_free(g);
}

Test(vctrl_cmd, le_encrypt_is_aes_with_hci_byte_order)
{
	struct rig *g = rig_new(1, 8);
	uint8_t p[32], ret[64], want[16];
	size_t n;
	/* FIPS-197 C.1, octets reversed for HCI. */
	hex_in("000102030405060708090a0b0c0d0e0f", p, 16);
	hex_in("00112233445566778899aabbccddeeff", p + 16, 16);
	reverse_bytes(p, 16);
	reverse_bytes(p + 16, 16);
	rig_cmd(g, 0, HCI_LE_ENCRYPT, p, 32);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_ENCRYPT, ret, &n), 0);
	cr_assert_eq(n, 16);
	hex_in("69c4e0d86a7b0430d8cdb78070b4c55a", want, 16);
	reverse_bytes(want, 16);
	cr_assert_arr_eq(ret, want, 16);
	/* The ah sample of /work/shared/vectors/smp-crypto.json (Core Vol 3
	 * Part H D.7): ah(irk, 708194) = 0dfbaa is e(irk, 0^104 || r) mod 2^24. */
	hex_in("ec0234a357c8ad05341010a60a397d9b", p, 16);
	memset(p + 16, 0, 16);
	hex_in("708194", p + 16 + 13, 3);
	reverse_bytes(p, 16);
	reverse_bytes(p + 16, 16);
	rig_cmd(g, 0, HCI_LE_ENCRYPT, p, 32);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_ENCRYPT, ret, &n), 0);
	cr_assert_eq(ret[0], 0xAA);
	cr_assert_eq(ret[1], 0xFB);
	cr_assert_eq(ret[2], 0x0D);
	/* LE Rand: the radio's source of randomness, 8 octets at a time. */
	rig_cmd(g, 0, HCI_LE_RAND, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_RAND, ret, &n), 0);
	cr_assert_eq(n, 8);
	cr_assert_arr_eq(ret, ((uint8_t[]){ 0, 1, 2, 3, 4, 5, 6, 7 }), 8);
	rig_cmd(g, 0, HCI_LE_RAND, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_RAND, ret, &n), 0);
	cr_assert_eq(ret[0], 8);
	rig_free(g);
}

Test(vctrl_cmd, legacy_and_extended_do_not_mix_until_reset)
{
	struct rig *g = rig_new(1, 8);
	uint8_t sp[7] = { 0, 0x10, 0, 0x10, 0, 0, 0 };
	rig_ok(g, 0, HCI_LE_SET_SCAN_PARAMETERS, sp, 7);
	uint8_t esp[8] = { 0, 0, 1, 0, 0x10, 0, 0x10, 0 };
	rig_cmd(g, 0, HCI_LE_SET_EXTENDED_SCAN_PARAMETERS, esp, 8);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_SET_EXTENDED_SCAN_PARAMETERS, NULL, NULL),
		     HCI_COMMAND_DISALLOWED);
	rig_ok(g, 0, HCI_RESET, NULL, 0);
	rig_ok(g, 0, HCI_LE_SET_EXTENDED_SCAN_PARAMETERS, esp, 8);
	rig_cmd(g, 0, HCI_LE_SET_SCAN_PARAMETERS, sp, 7);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_SET_SCAN_PARAMETERS, NULL, NULL),
		     HCI_COMMAND_DISALLOWED);
	rig_free(g);
}

Test(vctrl_cmd, filter_accept_list)
{
	struct rig *g = rig_new(1, 8);
	uint8_t e[7] = { 0, 1, 2, 3, 4, 5, 6 };
	uint8_t ret[8];
	size_t n;
	rig_cmd(g, 0, HCI_LE_READ_FILTER_ACCEPT_LIST_SIZE, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_READ_FILTER_ACCEPT_LIST_SIZE, ret, &n), 0);
	unsigned size = ret[0];
	for (unsigned i = 0; i < size; i++) {
		e[1] = (uint8_t)i;
		rig_ok(g, 0, HCI_LE_ADD_DEVICE_TO_FILTER_ACCEPT_LIST, e, 7);
	}
	rig_ok(g, 0, HCI_LE_ADD_DEVICE_TO_FILTER_ACCEPT_LIST, e, 7); /* already there */
	e[1] = 0xEE;
	rig_cmd(g, 0, HCI_LE_ADD_DEVICE_TO_FILTER_ACCEPT_LIST, e, 7);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_ADD_DEVICE_TO_FILTER_ACCEPT_LIST, NULL, NULL),
		     HCI_MEMORY_CAPACITY_EXCEEDED);
	e[1] = 0;
	rig_ok(g, 0, HCI_LE_REMOVE_DEVICE_FROM_FILTER_ACCEPT_LIST, e, 7);
	e[1] = 0xEE;
	rig_ok(g, 0, HCI_LE_ADD_DEVICE_TO_FILTER_ACCEPT_LIST, e, 7);
	e[0] = 7; /* no such address type */
	rig_cmd(g, 0, HCI_LE_ADD_DEVICE_TO_FILTER_ACCEPT_LIST, e, 7);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_ADD_DEVICE_TO_FILTER_ACCEPT_LIST, NULL, NULL),
		     HCI_INVALID_PARAMETERS);
	/* In use by scanning with the accept-list policy: disallowed. */
	uint8_t sp[7] = { 0, 0x10, 0, 0x10, 0, 0, 1 };
	rig_ok(g, 0, HCI_LE_SET_SCAN_PARAMETERS, sp, 7);
	rig_ok(g, 0, HCI_LE_SET_SCAN_ENABLE, (uint8_t[]){ 1, 0 }, 2);
	rig_cmd(g, 0, HCI_LE_CLEAR_FILTER_ACCEPT_LIST, NULL, 0);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_CLEAR_FILTER_ACCEPT_LIST, NULL, NULL),
		     HCI_COMMAND_DISALLOWED);
	rig_ok(g, 0, HCI_LE_SET_SCAN_ENABLE, (uint8_t[]){ 0, 0 }, 2);
	rig_ok(g, 0, HCI_LE_CLEAR_FILTER_ACCEPT_LIST, NULL, 0);
	rig_free(g);
}

Test(vctrl_cmd, random_address_rules)
{
	struct rig *g = rig_new(1, 8);
	/* Advertising from a random address that was never set. */
	uint8_t ap[15] = { 0x20, 0, 0x20, 0, HCI_ADV_NONCONN_IND, 1 /* random */, 0, 0, 0, 0,
			   0,    0, 0,    7, 0 };
	rig_ok(g, 0, HCI_LE_SET_ADVERTISING_PARAMETERS, ap, 15);
	rig_cmd(g, 0, HCI_LE_SET_ADVERTISING_ENABLE, (uint8_t[]){ 1 }, 1);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_SET_ADVERTISING_ENABLE, NULL, NULL),
		     HCI_INVALID_PARAMETERS);
	uint8_t ra[6] = { 1, 2, 3, 4, 5, 0xC6 };
	rig_ok(g, 0, HCI_LE_SET_RANDOM_ADDRESS, ra, 6);
	rig_ok(g, 0, HCI_LE_SET_ADVERTISING_ENABLE, (uint8_t[]){ 1 }, 1);
	/* Changing it while legacy advertising: disallowed. */
	rig_cmd(g, 0, HCI_LE_SET_RANDOM_ADDRESS, ra, 6);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_SET_RANDOM_ADDRESS, NULL, NULL),
		     HCI_COMMAND_DISALLOWED);
	/* Parameters while advertising: disallowed too. */
	rig_cmd(g, 0, HCI_LE_SET_ADVERTISING_PARAMETERS, ap, 15);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_SET_ADVERTISING_PARAMETERS, NULL, NULL),
		     HCI_COMMAND_DISALLOWED);
	rig_free(g);
}

/* --no-extended: a controller without LE Extended Advertising, so that
 * hosts' legacy paths can be tested on the same radio. */
Test(vctrl_cmd, no_extended_hides_the_feature_and_its_commands)
{
	for (int off = 0; off < 2; off++) {
		struct vctrl_config cfg;
		vctrl_config_default(&cfg);
		cfg.count = 1;
		cfg.no_extended = off;
		struct rig *g = rig_new_cfg(&cfg);
		uint8_t ret[256];
		size_t n;
		rig_cmd(g, 0, HCI_LE_READ_LOCAL_SUPPORTED_FEATURES, NULL, 0);
		cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_READ_LOCAL_SUPPORTED_FEATURES, ret, &n), 0);
		cr_assert_eq(n, 8);
		cr_assert_eq(!!(ret[1] & 0x10), !off, "bit 12 LE Extended Advertising");
		rig_cmd(g, 0, HCI_READ_LOCAL_SUPPORTED_COMMANDS, NULL, 0);
		cr_assert_eq(rig_expect_cc(g, 0, HCI_READ_LOCAL_SUPPORTED_COMMANDS, ret, &n), 0);
		cr_assert_eq(n, 64);
		cr_assert_eq(ret[36] & 0xfe, off ? 0 : 0xfe, "octet 36: the advertising sets");
		cr_assert_eq(ret[37] & 0xe3, off ? 0 : 0xe3, "octet 37: sets, scan, connect");
		cr_assert_eq(ret[26] & 0x1f, 0x1f, "the legacy commands stay");
		/* An extended command is unknown; the legacy family works. */
		uint8_t en[6] = { 0 };
		rig_cmd(g, 0, HCI_LE_SET_EXTENDED_ADVERTISING_ENABLE, en, 2);
		cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_SET_EXTENDED_ADVERTISING_ENABLE, NULL, NULL),
			     off ? HCI_UNKNOWN_COMMAND : 0);
		if (off)
			rig_legacy_adv(g, 0, HCI_ADV_IND, (const uint8_t *)"\x02\x01\x06", 3);
		rig_free(g);
	}
}
