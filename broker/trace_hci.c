/* HCI packets to trace fields: type, opcode or event code with a name, the
 * handle and lengths, and the few parameters worth one line. Pure; every
 * length is checked against the bytes held. */
#include <stddef.h>

#include "hive_bytes.h"
#include "trace_format.h"
#include "trace_fields.h"

struct code_name {
	uint16_t code;
	const char *name;
};

/* Sorted by opcode. */
static const struct code_name hci_commands[] = {
	{ 0x0401, "Inquiry" },
	{ 0x0402, "Inquiry Cancel" },
	{ 0x0405, "Create Connection" },
	{ 0x0406, "Disconnect" },
	{ 0x040b, "Link Key Request Reply" },
	{ 0x040c, "Link Key Request Negative Reply" },
	{ 0x0413, "Authentication Requested" },
	{ 0x0419, "Remote Name Request" },
	{ 0x041b, "Read Remote Supported Features" },
	{ 0x041d, "Read Remote Version Information" },
	{ 0x0c01, "Set Event Mask" },
	{ 0x0c03, "Reset" },
	{ 0x0c05, "Set Event Filter" },
	{ 0x0c13, "Write Local Name" },
	{ 0x0c14, "Read Local Name" },
	{ 0x0c1a, "Write Scan Enable" },
	{ 0x0c24, "Write Class of Device" },
	{ 0x0c2d, "Read Transmit Power Level" },
	{ 0x0c33, "Host Buffer Size" },
	{ 0x0c35, "Host Number of Completed Packets" },
	{ 0x0c52, "Write Extended Inquiry Response" },
	{ 0x0c56, "Write Simple Pairing Mode" },
	{ 0x0c63, "Set Event Mask Page 2" },
	{ 0x0c6d, "Write LE Host Support" },
	{ 0x0c7c, "Write Authenticated Payload Timeout" },
	{ 0x1001, "Read Local Version Information" },
	{ 0x1002, "Read Local Supported Commands" },
	{ 0x1003, "Read Local Supported Features" },
	{ 0x1004, "Read Local Extended Features" },
	{ 0x1005, "Read Buffer Size" },
	{ 0x1009, "Read BD_ADDR" },
	{ 0x1405, "Read RSSI" },
	{ 0x2001, "LE Set Event Mask" },
	{ 0x2002, "LE Read Buffer Size" },
	{ 0x2003, "LE Read Local Supported Features" },
	{ 0x2005, "LE Set Random Address" },
	{ 0x2006, "LE Set Advertising Parameters" },
	{ 0x2007, "LE Read Advertising Physical Channel Tx Power" },
	{ 0x2008, "LE Set Advertising Data" },
	{ 0x2009, "LE Set Scan Response Data" },
	{ 0x200a, "LE Set Advertising Enable" },
	{ 0x200b, "LE Set Scan Parameters" },
	{ 0x200c, "LE Set Scan Enable" },
	{ 0x200d, "LE Create Connection" },
	{ 0x200e, "LE Create Connection Cancel" },
	{ 0x200f, "LE Read Filter Accept List Size" },
	{ 0x2010, "LE Clear Filter Accept List" },
	{ 0x2011, "LE Add Device To Filter Accept List" },
	{ 0x2012, "LE Remove Device From Filter Accept List" },
	{ 0x2013, "LE Connection Update" },
	{ 0x2014, "LE Set Host Channel Classification" },
	{ 0x2016, "LE Read Remote Features" },
	{ 0x2017, "LE Encrypt" },
	{ 0x2018, "LE Rand" },
	{ 0x2019, "LE Enable Encryption" },
	{ 0x201a, "LE Long Term Key Request Reply" },
	{ 0x201b, "LE Long Term Key Request Negative Reply" },
	{ 0x201c, "LE Read Supported States" },
	{ 0x2020, "LE Remote Connection Parameter Request Reply" },
	{ 0x2021, "LE Remote Connection Parameter Request Negative Reply" },
	{ 0x2022, "LE Set Data Length" },
	{ 0x2023, "LE Read Suggested Default Data Length" },
	{ 0x2024, "LE Write Suggested Default Data Length" },
	{ 0x2025, "LE Read Local P-256 Public Key" },
	{ 0x2026, "LE Generate DHKey" },
	{ 0x2027, "LE Add Device To Resolving List" },
	{ 0x2028, "LE Remove Device From Resolving List" },
	{ 0x2029, "LE Clear Resolving List" },
	{ 0x202a, "LE Read Resolving List Size" },
	{ 0x202d, "LE Set Address Resolution Enable" },
	{ 0x202e, "LE Set Resolvable Private Address Timeout" },
	{ 0x202f, "LE Read Maximum Data Length" },
	{ 0x2030, "LE Read PHY" },
	{ 0x2031, "LE Set Default PHY" },
	{ 0x2032, "LE Set PHY" },
	{ 0x2035, "LE Set Advertising Set Random Address" },
	{ 0x2036, "LE Set Extended Advertising Parameters" },
	{ 0x2037, "LE Set Extended Advertising Data" },
	{ 0x2038, "LE Set Extended Scan Response Data" },
	{ 0x2039, "LE Set Extended Advertising Enable" },
	{ 0x203a, "LE Read Maximum Advertising Data Length" },
	{ 0x203b, "LE Read Number of Supported Advertising Sets" },
	{ 0x203c, "LE Remove Advertising Set" },
	{ 0x203d, "LE Clear Advertising Sets" },
	{ 0x2041, "LE Set Extended Scan Parameters" },
	{ 0x2042, "LE Set Extended Scan Enable" },
	{ 0x2043, "LE Extended Create Connection" },
	{ 0x204e, "LE Set Privacy Mode" },
};

/* Sorted by event code. */
static const struct code_name hci_events[] = {
	{ 0x01, "Inquiry Complete" },
	{ 0x03, "Connection Complete" },
	{ 0x04, "Connection Request" },
	{ 0x05, "Disconnection Complete" },
	{ 0x06, "Authentication Complete" },
	{ 0x07, "Remote Name Request Complete" },
	{ 0x08, "Encryption Change" },
	{ 0x0b, "Read Remote Supported Features Complete" },
	{ 0x0c, "Read Remote Version Information Complete" },
	{ 0x0e, "Command Complete" },
	{ 0x0f, "Command Status" },
	{ 0x10, "Hardware Error" },
	{ 0x13, "Number of Completed Packets" },
	{ 0x1a, "Data Buffer Overflow" },
	{ 0x30, "Encryption Key Refresh Complete" },
	{ 0x3e, "LE Meta" },
	{ 0x57, "Authenticated Payload Timeout Expired" },
	{ 0x59, "Encryption Change v2" },
	{ 0xff, "Vendor" },
};

/* Sorted by subevent code. */
static const struct code_name hci_le_subevents[] = {
	{ 0x01, "LE Connection Complete" },
	{ 0x02, "LE Advertising Report" },
	{ 0x03, "LE Connection Update Complete" },
	{ 0x04, "LE Read Remote Features Complete" },
	{ 0x05, "LE Long Term Key Request" },
	{ 0x06, "LE Remote Connection Parameter Request" },
	{ 0x07, "LE Data Length Change" },
	{ 0x08, "LE Read Local P-256 Public Key Complete" },
	{ 0x09, "LE Generate DHKey Complete" },
	{ 0x0a, "LE Enhanced Connection Complete" },
	{ 0x0b, "LE Directed Advertising Report" },
	{ 0x0c, "LE PHY Update Complete" },
	{ 0x0d, "LE Extended Advertising Report" },
	{ 0x11, "LE Scan Timeout" },
	{ 0x12, "LE Advertising Set Terminated" },
	{ 0x13, "LE Scan Request Received" },
	{ 0x14, "LE Channel Selection Algorithm" },
	{ 0x29, "LE Enhanced Connection Complete v2" },
};

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

static const char *lookup(const struct code_name *t, size_t n, uint16_t code)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid].code == code)
			return t[mid].name;
		if (t[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *trace_hci_command_name(uint16_t opcode)
{
	return lookup(hci_commands, COUNT(hci_commands), opcode);
}

const char *trace_hci_event_name(uint8_t code)
{
	return lookup(hci_events, COUNT(hci_events), code);
}

const char *trace_hci_le_subevent_name(uint8_t subevent)
{
	return lookup(hci_le_subevents, COUNT(hci_le_subevents), subevent);
}

static void add_opcode(struct trace_fields *out, const char *key, const char *name_key,
		       uint16_t opcode)
{
	tf_hex(out, key, opcode, 4);
	const char *name = trace_hci_command_name(opcode);
	if (name)
		tf_name(out, name_key, name);
}

/* A declared length that disagrees with the bytes held. */
static void check_len(struct trace_fields *out, size_t declared, size_t held)
{
	if (declared > held)
		tf_error(out, "truncated: the header announces more bytes than the packet holds");
	else if (declared < held)
		tf_error(out, "trailing bytes after the length the header announces");
}

static void decode_command(const uint8_t *data, size_t len, struct trace_fields *out)
{
	struct rd r = rd_init(data, len);
	uint16_t opcode = rd_le16(&r);
	uint8_t plen = rd_u8(&r);
	if (!rd_ok(&r)) {
		tf_error(out, "short command: fewer than 3 header bytes");
		return;
	}
	add_opcode(out, "opcode", "opcode_name", opcode);
	tf_hex(out, "ogf", opcode >> 10, 2);
	tf_hex(out, "ocf", opcode & 0x03ff, 3);
	tf_dec(out, "plen", plen);
	check_len(out, plen, r.left);
}

static void decode_le_meta(struct rd *p, struct trace_fields *out)
{
	uint8_t sub = rd_u8(p);
	if (!rd_ok(p)) {
		tf_error(out, "LE Meta event without a subevent code");
		return;
	}
	tf_hex(out, "subevent", sub, 2);
	const char *name = trace_hci_le_subevent_name(sub);
	if (name)
		tf_name(out, "subevent_name", name);
	switch (sub) {
	case 0x01: /* LE Connection Complete */
	case 0x0a: /* LE Enhanced Connection Complete */
	case 0x29: { /* ... v2 */
		uint8_t status = rd_u8(p);
		uint16_t handle = rd_le16(p);
		uint8_t role = rd_u8(p);
		if (rd_ok(p)) {
			tf_hex(out, "status", status, 2);
			tf_hex(out, "handle", handle & 0x0fff, 4);
			tf_word(out, "role", role == 0 ? "central" : role == 1 ? "peripheral"
									: "role?");
		}
		break;
	}
	case 0x02: /* LE Advertising Report */
	case 0x0b:
	case 0x0d: {
		uint8_t n = rd_u8(p);
		if (rd_ok(p))
			tf_dec(out, "reports", n);
		break;
	}
	case 0x03: /* LE Connection Update Complete */
	case 0x0c: { /* LE PHY Update Complete */
		uint8_t status = rd_u8(p);
		uint16_t handle = rd_le16(p);
		if (rd_ok(p)) {
			tf_hex(out, "status", status, 2);
			tf_hex(out, "handle", handle & 0x0fff, 4);
		}
		break;
	}
	case 0x04: /* LE Read Remote Features Complete */
		rd_skip(p, 1);
		/* fall through */
	case 0x05:   /* LE Long Term Key Request */
	case 0x06:   /* LE Remote Connection Parameter Request */
	case 0x07: { /* LE Data Length Change */
		uint16_t handle = rd_le16(p);
		if (rd_ok(p))
			tf_hex(out, "handle", handle & 0x0fff, 4);
		break;
	}
	default:
		break;
	}
}

static void decode_event_params(uint8_t code, struct rd *p, struct trace_fields *out)
{
	switch (code) {
	case 0x0e: { /* Command Complete */
		uint8_t ncmd = rd_u8(p);
		uint16_t opcode = rd_le16(p);
		if (!rd_ok(p))
			break;
		tf_dec(out, "ncmd", ncmd);
		add_opcode(out, "command", "command_name", opcode);
		uint8_t status = rd_u8(p);
		if (rd_ok(p))
			tf_hex(out, "status", status, 2);
		break;
	}
	case 0x0f: { /* Command Status */
		uint8_t status = rd_u8(p);
		uint8_t ncmd = rd_u8(p);
		uint16_t opcode = rd_le16(p);
		if (!rd_ok(p))
			break;
		tf_hex(out, "status", status, 2);
		tf_dec(out, "ncmd", ncmd);
		add_opcode(out, "command", "command_name", opcode);
		break;
	}
	case 0x05:   /* Disconnection Complete */
	case 0x08:   /* Encryption Change */
	case 0x59: { /* Encryption Change v2 */
		uint8_t status = rd_u8(p);
		uint16_t handle = rd_le16(p);
		uint8_t v = rd_u8(p);
		if (!rd_ok(p))
			break;
		tf_hex(out, "status", status, 2);
		tf_hex(out, "handle", handle & 0x0fff, 4);
		if (code == 0x05)
			tf_hex(out, "reason", v, 2);
		else
			tf_dec(out, "encryption", v);
		break;
	}
	case 0x30: { /* Encryption Key Refresh Complete */
		uint8_t status = rd_u8(p);
		uint16_t handle = rd_le16(p);
		if (!rd_ok(p))
			break;
		tf_hex(out, "status", status, 2);
		tf_hex(out, "handle", handle & 0x0fff, 4);
		break;
	}
	case 0x13: { /* Number of Completed Packets */
		uint8_t n = rd_u8(p);
		if (!rd_ok(p))
			break;
		tf_dec(out, "handles", n);
		uint16_t handle = rd_le16(p);
		uint16_t done = rd_le16(p);
		if (n >= 1 && rd_ok(p)) {
			tf_hex(out, "handle", handle & 0x0fff, 4);
			tf_dec(out, "completed", done);
		}
		break;
	}
	case 0x10: { /* Hardware Error */
		uint8_t hw = rd_u8(p);
		if (rd_ok(p))
			tf_hex(out, "hardware_code", hw, 2);
		break;
	}
	case 0x3e:
		decode_le_meta(p, out);
		break;
	default:
		break;
	}
}

static void decode_event(const uint8_t *data, size_t len, struct trace_fields *out)
{
	struct rd r = rd_init(data, len);
	uint8_t code = rd_u8(&r);
	uint8_t plen = rd_u8(&r);
	if (!rd_ok(&r)) {
		tf_error(out, "short event: fewer than 2 header bytes");
		return;
	}
	tf_hex(out, "code", code, 2);
	const char *name = trace_hci_event_name(code);
	if (name)
		tf_name(out, "event_name", name);
	tf_dec(out, "plen", plen);
	/* Decode what is there, within what plen announces. */
	size_t have = r.left < plen ? r.left : plen;
	struct rd p = rd_sub(&r, have);
	decode_event_params(code, &p, out);
	if (!rd_ok(&p))
		tf_error(out, "event parameters too short for this event");
	check_len(out, plen, len - 2);
}

static void decode_acl(const uint8_t *data, size_t len, struct trace_fields *out)
{
	struct rd r = rd_init(data, len);
	uint16_t hf = rd_le16(&r);
	uint16_t dlen = rd_le16(&r);
	if (!rd_ok(&r)) {
		tf_error(out, "short ACL packet: fewer than 4 header bytes");
		return;
	}
	unsigned pb = (hf >> 12) & 3;
	tf_hex(out, "handle", hf & 0x0fff, 4);
	tf_dec(out, "pb", pb);
	tf_dec(out, "bc", (hf >> 14) & 3);
	tf_dec(out, "len", dlen);
	/* A start fragment (pb 0 or 2) begins with the L2CAP basic header. */
	if (pb != 1 && dlen >= 4 && r.left >= 4) {
		uint16_t l2len = rd_le16(&r);
		uint16_t cid = rd_le16(&r);
		tf_dec(out, "l2cap_len", l2len);
		tf_hex(out, "cid", cid, 4);
	}
	check_len(out, dlen, len - 4);
}

static void decode_sco(const uint8_t *data, size_t len, struct trace_fields *out)
{
	struct rd r = rd_init(data, len);
	uint16_t hf = rd_le16(&r);
	uint8_t dlen = rd_u8(&r);
	if (!rd_ok(&r)) {
		tf_error(out, "short SCO packet: fewer than 3 header bytes");
		return;
	}
	tf_hex(out, "handle", hf & 0x0fff, 4);
	tf_dec(out, "len", dlen);
	check_len(out, dlen, len - 3);
}

static void decode_iso(const uint8_t *data, size_t len, struct trace_fields *out)
{
	struct rd r = rd_init(data, len);
	uint16_t hf = rd_le16(&r);
	uint16_t dl = rd_le16(&r);
	if (!rd_ok(&r)) {
		tf_error(out, "short ISO packet: fewer than 4 header bytes");
		return;
	}
	tf_hex(out, "handle", hf & 0x0fff, 4);
	tf_dec(out, "pb", (hf >> 12) & 3);
	tf_dec(out, "ts", (hf >> 14) & 1);
	tf_dec(out, "len", dl & 0x3fff);
	check_len(out, dl & 0x3fff, len - 4);
}

void trace_decode_hci(Hive__HciPacket__Type type, const uint8_t *data, size_t len,
		      struct trace_fields *out)
{
	switch (type) {
	case HIVE__HCI_PACKET__TYPE__COMMAND:
		tf_word(out, "type", "command");
		decode_command(data, len, out);
		break;
	case HIVE__HCI_PACKET__TYPE__EVENT:
		tf_word(out, "type", "event");
		decode_event(data, len, out);
		break;
	case HIVE__HCI_PACKET__TYPE__ACL:
		tf_word(out, "type", "acl");
		decode_acl(data, len, out);
		break;
	case HIVE__HCI_PACKET__TYPE__SCO:
		tf_word(out, "type", "sco");
		decode_sco(data, len, out);
		break;
	case HIVE__HCI_PACKET__TYPE__ISO:
		tf_word(out, "type", "iso");
		decode_iso(data, len, out);
		break;
	default:
		tf_word(out, "type", "unknown");
		tf_dec(out, "type_code", (uint64_t)type);
		tf_error(out, "unknown HCI packet type");
		break;
	}
	tf_data(out, "data", data, len);
}
