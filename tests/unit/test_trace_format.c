/* hive-trace's pure halves: btsnoop bytes, the one-line decodes, JSON lines,
 * tap topics. No sockets, no processes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btsnoop.h"
#include "trace_format.h"

/* ---- btsnoop ------------------------------------------------------------------ */

Test(btsnoop, header_bytes)
{
	uint8_t buf[BTSNOOP_HEADER_LEN];
	struct wr w = wr_init(buf, sizeof buf);
	cr_assert_eq(btsnoop_header(&w), 0);
	static const uint8_t want[16] = { 'b', 't', 's', 'n', 'o', 'o', 'p', 0,
					  0,   0,   0,   1,   0,   0,   0x03, 0xea };
	cr_assert_eq(w.len, 16);
	cr_assert_arr_eq(buf, want, 16);
}

Test(btsnoop, header_needs_room)
{
	uint8_t buf[15];
	struct wr w = wr_init(buf, sizeof buf);
	cr_assert_eq(btsnoop_header(&w), -ENOSPC);
}

Test(btsnoop, command_record_is_sent_command)
{
	uint8_t buf[BTSNOOP_RECORD_PREFIX_LEN];
	struct wr w = wr_init(buf, sizeof buf);
	/* HCI_Reset (03 0c 00) at the Unix epoch plus one second. */
	cr_assert_eq(btsnoop_record_prefix(&w, H4_COMMAND, BTSNOOP_SENT, 3, 0, 1000000), 0);
	uint64_t ts = BTSNOOP_EPOCH_DELTA_US + 1000000;
	const uint8_t want[25] = {
		0, 0, 0, 4,                         /* original length: H4 byte + 3 */
		0, 0, 0, 4,                         /* included length */
		0, 0, 0, 2,                         /* flags: sent, command */
		0, 0, 0, 0,                         /* drops */
		(uint8_t)(ts >> 56), (uint8_t)(ts >> 48), (uint8_t)(ts >> 40),
		(uint8_t)(ts >> 32), (uint8_t)(ts >> 24), (uint8_t)(ts >> 16),
		(uint8_t)(ts >> 8), (uint8_t)ts,
		0x01,                               /* H4: command */
	};
	cr_assert_eq(w.len, 25);
	cr_assert_arr_eq(buf, want, 25);
	/* 0x00DCDDB30F2F8000 + 1 s */
	cr_assert_eq(buf[16], 0x00);
	cr_assert_eq(buf[17], 0xdc);
	cr_assert_eq(buf[18], 0xdd);
}

Test(btsnoop, flags_by_type_and_direction)
{
	cr_assert_eq(btsnoop_flags(H4_COMMAND, BTSNOOP_SENT), 2);
	cr_assert_eq(btsnoop_flags(H4_EVENT, BTSNOOP_RECEIVED), 3);
	cr_assert_eq(btsnoop_flags(H4_ACL, BTSNOOP_SENT), 0);
	cr_assert_eq(btsnoop_flags(H4_ACL, BTSNOOP_RECEIVED), 1);
	cr_assert_eq(btsnoop_flags(H4_ISO, BTSNOOP_RECEIVED), 1);
}

Test(btsnoop, record_rejects_bad_type_and_small_buffer)
{
	uint8_t buf[BTSNOOP_RECORD_PREFIX_LEN];
	struct wr w = wr_init(buf, sizeof buf);
	cr_assert_eq(btsnoop_record_prefix(&w, (enum h4_type)0, BTSNOOP_SENT, 3, 0, 0), -EINVAL);
	cr_assert_eq(btsnoop_record_prefix(&w, (enum h4_type)6, BTSNOOP_SENT, 3, 0, 0), -EINVAL);
	struct wr small = wr_init(buf, 24);
	cr_assert_eq(btsnoop_record_prefix(&small, H4_EVENT, BTSNOOP_RECEIVED, 3, 0, 0),
		     -ENOSPC);
}

/* ---- topics ---------------------------------------------------------------------- */

Test(trace_topic, split)
{
	char s[TRACE_NAME_CAP], d[TRACE_NAME_CAP];
	cr_assert_eq(trace_topic_split("host>hci", 8, s, d), 0);
	cr_assert_str_eq(s, "host");
	cr_assert_str_eq(d, "hci");
	cr_assert_eq(trace_topic_split("host>", 5, s, d), -EINVAL);
	cr_assert_eq(trace_topic_split(">hci", 4, s, d), -EINVAL);
	cr_assert_eq(trace_topic_split("hosthci", 7, s, d), -EINVAL);
	cr_assert_eq(trace_topic_split("a>b>c", 5, s, d), -EINVAL);
	cr_assert_eq(trace_topic_split("a\033>b", 4, s, d), -EINVAL);
	cr_assert_eq(trace_topic_split(NULL, 0, s, d), -EINVAL);
	char longname[200];
	memset(longname, 'a', sizeof longname);
	longname[65] = '>';
	cr_assert_eq(trace_topic_split(longname, 70, s, d), -EINVAL);
	longname[65] = 'a';
	longname[64] = '>';
	cr_assert_eq(trace_topic_split(longname, 70, s, d), 0);
}

/* ---- text ------------------------------------------------------------------------- */

static Hive__HciPacket hci_pkt(Hive__HciPacket__Type type, const uint8_t *p, size_t n)
{
	Hive__HciPacket h = HIVE__HCI_PACKET__INIT;
	h.type = type;
	h.data.data = (uint8_t *)p;
	h.data.len = n;
	return h;
}

/* The text line for an HciPacket sent at 1.5 s after the first message. */
static void hci_line(char *line, size_t cap, const char *src, const char *dst,
		     Hive__HciPacket__Type type, const uint8_t *p, size_t n)
{
	Hive__HciPacket h = hci_pkt(type, p, n);
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.seq = 7;
	env.sent_ns = 1000;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &h;
	struct trace_msg m = { src, dst, &env, hive__envelope__get_packed_size(&env),
			       1500000000 };
	size_t len = trace_format_text(line, cap, &m);
	cr_assert_eq(len, strlen(line));
	cr_assert_eq(line[len - 1], '\n');
	line[len - 1] = '\0';
}

Test(trace_text, reset_command)
{
	static const uint8_t reset[] = { 0x03, 0x0c, 0x00 };
	char line[TRACE_TEXT_LINE];
	hci_line(line, sizeof line, "host", "hci", HIVE__HCI_PACKET__TYPE__COMMAND, reset, 3);
	cr_assert_str_eq(line, "+1.500000 host>hci 14B hci command opcode=0x0c03 (Reset) "
			       "ogf=0x03 ocf=0x003 plen=0");
}

Test(trace_text, events)
{
	char line[TRACE_TEXT_LINE];
	static const uint8_t cc[] = { 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	hci_line(line, sizeof line, "hci", "host", HIVE__HCI_PACKET__TYPE__EVENT, cc, sizeof cc);
	cr_assert(strstr(line, "hci>host"), "%s", line);
	cr_assert(strstr(line, "hci event code=0x0e (Command Complete) plen=4 ncmd=1 "
			       "command=0x0c03 (Reset) status=0x00"), "%s", line);

	static const uint8_t conn[] = { 0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, 0x01, 0x00, 0x11,
					0x22, 0x33, 0x44, 0x55, 0x66, 0x18, 0x00, 0x00, 0x00,
					0xc8, 0x00, 0x00 };
	hci_line(line, sizeof line, "hci", "host", HIVE__HCI_PACKET__TYPE__EVENT, conn,
		 sizeof conn);
	cr_assert(strstr(line, "code=0x3e (LE Meta) plen=19 subevent=0x01 (LE Connection "
			       "Complete) status=0x00 handle=0x0040 peripheral"), "%s", line);
	cr_assert_null(strchr(line, '['), "%s", line);

	static const uint8_t disc[] = { 0x05, 0x04, 0x00, 0x40, 0x00, 0x13 };
	hci_line(line, sizeof line, "hci", "host", HIVE__HCI_PACKET__TYPE__EVENT, disc,
		 sizeof disc);
	cr_assert(strstr(line, "(Disconnection Complete) plen=4 status=0x00 handle=0x0040 "
			       "reason=0x13"), "%s", line);

	static const uint8_t ncp[] = { 0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00 };
	hci_line(line, sizeof line, "hci", "host", HIVE__HCI_PACKET__TYPE__EVENT, ncp,
		 sizeof ncp);
	cr_assert(strstr(line, "(Number of Completed Packets) plen=5 handles=1 handle=0x0040 "
			       "completed=1"), "%s", line);
}

Test(trace_text, acl)
{
	char line[TRACE_TEXT_LINE];
	static const uint8_t acl[] = { 0x40, 0x20, 0x07, 0x00, 0x03, 0x00, 0x04, 0x00,
				       0x0a, 0x03, 0x00 };
	hci_line(line, sizeof line, "hci", "host", HIVE__HCI_PACKET__TYPE__ACL, acl, sizeof acl);
	cr_assert(strstr(line, "hci acl handle=0x0040 pb=2 bc=0 len=7 l2cap_len=3 cid=0x0004"),
		  "%s", line);
	cr_assert_null(strchr(line, '['), "%s", line);
}

Test(trace_text, malformed_hci_says_so)
{
	char line[TRACE_TEXT_LINE];
	static const uint8_t cmd[] = { 0x03, 0x0c, 0x05, 0x01 };
	hci_line(line, sizeof line, "host", "hci", HIVE__HCI_PACKET__TYPE__COMMAND, cmd,
		 sizeof cmd);
	cr_assert(strstr(line, "plen=5 [truncated"), "%s", line);
	hci_line(line, sizeof line, "host", "hci", HIVE__HCI_PACKET__TYPE__COMMAND, cmd, 2);
	cr_assert(strstr(line, "[short command"), "%s", line);
	hci_line(line, sizeof line, "host", "hci", (Hive__HciPacket__Type)9, cmd, 2);
	cr_assert(strstr(line, "unknown type_code=9 [unknown HCI packet type]"), "%s", line);
}

/* Every prefix of every vector decodes without reading past it (ASan
 * watches) and a cut packet is flagged. */
Test(trace_text, every_truncation_is_flagged)
{
	static const struct {
		Hive__HciPacket__Type type;
		uint8_t b[24];
		size_t n;
	} v[] = {
		{ HIVE__HCI_PACKET__TYPE__COMMAND, { 0x06, 0x20, 0x02, 0x00, 0x08 }, 5 },
		{ HIVE__HCI_PACKET__TYPE__EVENT, { 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 }, 6 },
		{ HIVE__HCI_PACKET__TYPE__EVENT, { 0x0f, 0x04, 0x00, 0x01, 0x06, 0x04 }, 6 },
		{ HIVE__HCI_PACKET__TYPE__EVENT, { 0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00 }, 7 },
		{ HIVE__HCI_PACKET__TYPE__ACL, { 0x40, 0x00, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00,
						 0x0b }, 9 },
		{ HIVE__HCI_PACKET__TYPE__SCO, { 0x01, 0x00, 0x01, 0xaa }, 4 },
		{ HIVE__HCI_PACKET__TYPE__ISO, { 0x01, 0x00, 0x01, 0x00, 0xaa }, 5 },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		for (size_t n = 0; n <= v[i].n; n++) {
			uint8_t *copy = malloc(n ? n : 1); /* exact size, for ASan */
			memcpy(copy, v[i].b, n);
			char line[TRACE_TEXT_LINE];
			hci_line(line, sizeof line, "host", "hci", v[i].type, copy, n);
			if (n < v[i].n)
				cr_assert(strchr(line, '['), "vector %zu cut at %zu: %s", i, n, line);
			else
				cr_assert_null(strchr(line, '['), "vector %zu: %s", i, line);
			free(copy);
		}
	}
}

Test(trace_text, other_bodies)
{
	char line[TRACE_TEXT_LINE];
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	struct trace_msg m = { "l2cap", "gatt", &env, 20, 0 };

	uint8_t att[] = { 0x0a, 0x03, 0x00 };
	Hive__ChannelPdu pdu = HIVE__CHANNEL_PDU__INIT;
	pdu.handle = 0x40;
	pdu.cid = 4;
	pdu.payload.data = att;
	pdu.payload.len = 3;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &pdu;
	trace_format_text(line, sizeof line, &m);
	cr_assert_str_eq(line, "+0.000000 l2cap>gatt 20B pdu handle=0x0040 cid=0x0004 len=3 "
			       "op=0x0a\n");

	uint8_t frame[] = { 0x03, 0x00, 0x04, 0x00, 0x0a, 0x03, 0x00 };
	Hive__L2capFrame l2 = HIVE__L2CAP_FRAME__INIT;
	l2.handle = 0x40;
	l2.data.data = frame;
	l2.data.len = sizeof frame;
	env.body_case = HIVE__ENVELOPE__BODY_L2CAP;
	env.l2cap = &l2;
	m.source = "host";
	m.destination = "l2cap";
	m.time_ns = -2500;
	trace_format_text(line, sizeof line, &m);
	cr_assert_str_eq(line, "-0.000002 host>l2cap 20B l2cap handle=0x0040 cid=0x0004 len=3\n");

	Hive__Disconnected dis = HIVE__DISCONNECTED__INIT;
	dis.reason = 0x13;
	Hive__LinkEvent link = HIVE__LINK_EVENT__INIT;
	link.handle = 0x40;
	link.kind_case = HIVE__LINK_EVENT__KIND_DISCONNECTED;
	link.disconnected = &dis;
	env.body_case = HIVE__ENVELOPE__BODY_LINK;
	env.link = &link;
	m.time_ns = 0;
	trace_format_text(line, sizeof line, &m);
	cr_assert(strstr(line, "link handle=0x0040 disconnected reason=0x13\n"), "%s", line);

	Hive__Ping ping = HIVE__PING__INIT;
	ping.id = 42;
	ping.payload.len = 64;
	ping.payload.data = calloc(1, 64);
	env.body_case = HIVE__ENVELOPE__BODY_PING;
	env.ping = &ping;
	trace_format_text(line, sizeof line, &m);
	cr_assert(strstr(line, "ping ping_id=42 len=64\n"), "%s", line);
	free(ping.payload.data);

	Hive__Stop stop = HIVE__STOP__INIT;
	stop.reason = "bye \"now\"\n";
	env.body_case = HIVE__ENVELOPE__BODY_STOP;
	env.stop = &stop;
	trace_format_text(line, sizeof line, &m);
	cr_assert(strstr(line, "stop why=\"bye \\x22now\\x22\\x0a\"\n"), "%s", line);

	Hive__Ready ready = HIVE__READY__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_READY;
	env.ready = &ready;
	trace_format_text(line, sizeof line, &m);
	cr_assert(strstr(line, "20B ready\n"), "%s", line);

	env.body_case = HIVE__ENVELOPE__BODY__NOT_SET;
	trace_format_text(line, sizeof line, &m);
	cr_assert(strstr(line, "20B none\n"), "%s", line);

	env.body_case = HIVE__ENVELOPE__BODY_HELLO;
	env.hello = NULL;
	trace_format_text(line, sizeof line, &m);
	cr_assert(strstr(line, "hello [body case set but no body]\n"), "%s", line);
}

Test(trace_text, long_line_is_cut)
{
	char reason[3000];
	memset(reason, 'x', sizeof reason - 1);
	reason[sizeof reason - 1] = '\0';
	Hive__Stop stop = HIVE__STOP__INIT;
	stop.reason = reason;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_STOP;
	env.stop = &stop;
	struct trace_msg m = { "launcher", "gatt", &env, 3010, 0 };
	char line[TRACE_TEXT_LINE];
	size_t n = trace_format_text(line, sizeof line, &m);
	cr_assert_lt(n, sizeof line);
	cr_assert(strstr(line, "xxx...\"\n"), "%s", line);
	/* A tiny buffer still ends the line. */
	char small[TRACE_TEXT_MIN];
	n = trace_format_text(small, sizeof small, &m);
	cr_assert_eq(n, strlen(small));
	cr_assert_str_eq(small + n - 4, "...\n");
}

/* ---- JSON ------------------------------------------------------------------------- */

static json_t *json_line(const struct trace_msg *m)
{
	char *buf = NULL;
	size_t cap = 0;
	int n = trace_format_json(&buf, &cap, m);
	cr_assert_gt(n, 0);
	cr_assert_eq(buf[n - 1], '\n');
	cr_assert_null(memchr(buf, '\n', (size_t)n - 1), "one line: %s", buf);
	json_error_t err;
	json_t *j = json_loadb(buf, (size_t)n, 0, &err);
	cr_assert_not_null(j, "%s: %s", err.text, buf);
	free(buf);
	return j;
}

Test(trace_json, hci_command)
{
	static const uint8_t reset[] = { 0x03, 0x0c, 0x00 };
	Hive__HciPacket h = hci_pkt(HIVE__HCI_PACKET__TYPE__COMMAND, reset, 3);
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.seq = 9;
	env.sent_ns = 123456789;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &h;
	struct trace_msg m = { "host", "hci", &env, 21, 5000 };
	json_t *j = json_line(&m);
	cr_assert_eq(json_integer_value(json_object_get(j, "time_ns")), 5000);
	cr_assert_eq(json_integer_value(json_object_get(j, "sent_ns")), 123456789);
	cr_assert_str_eq(json_string_value(json_object_get(j, "source")), "host");
	cr_assert_str_eq(json_string_value(json_object_get(j, "destination")), "hci");
	cr_assert_eq(json_integer_value(json_object_get(j, "seq")), 9);
	cr_assert_str_eq(json_string_value(json_object_get(j, "body")), "hci");
	cr_assert_eq(json_integer_value(json_object_get(j, "size")), 21);
	cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "command");
	cr_assert_eq(json_integer_value(json_object_get(j, "opcode")), 0x0c03);
	cr_assert_str_eq(json_string_value(json_object_get(j, "opcode_name")), "Reset");
	cr_assert_eq(json_integer_value(json_object_get(j, "ogf")), 3);
	cr_assert_eq(json_integer_value(json_object_get(j, "ocf")), 3);
	cr_assert_eq(json_integer_value(json_object_get(j, "plen")), 0);
	cr_assert_str_eq(json_string_value(json_object_get(j, "data")), "030c00");
	cr_assert_null(json_object_get(j, "error"));
	json_decref(j);
}

Test(trace_json, errors_join_and_bad_utf8_is_cleaned)
{
	static const uint8_t ev[] = { 0x0e, 0x09, 0x01 }; /* Command Complete, cut */
	Hive__HciPacket h = hci_pkt(HIVE__HCI_PACKET__TYPE__EVENT, ev, sizeof ev);
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &h;
	struct trace_msg m = { "hci", "host", &env, 10, 0 };
	json_t *j = json_line(&m);
	const char *err = json_string_value(json_object_get(j, "error"));
	cr_assert_not_null(err);
	cr_assert(strstr(err, "too short") && strstr(err, "; truncated"), "%s", err);
	json_decref(j);

	Hive__Hello hello = HIVE__HELLO__INIT;
	hello.name = "g\xff\xfe" "att";
	hello.pid = 12;
	env.body_case = HIVE__ENVELOPE__BODY_HELLO;
	env.hello = &hello;
	j = json_line(&m);
	cr_assert_str_eq(json_string_value(json_object_get(j, "actor")), "g??att");
	cr_assert_eq(json_integer_value(json_object_get(j, "pid")), 12);
	cr_assert(json_is_false(json_object_get(j, "replace")));
	json_decref(j);
}

Test(trace_json, control_bodies)
{
	Hive__Notice n = HIVE__NOTICE__INIT;
	n.kind = HIVE__NOTICE__KIND__READY;
	n.name = "gatt";
	n.pid = 77;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_NOTICE;
	env.notice = &n;
	struct trace_msg m = { "broker", "ctl", &env, 10, 0 };
	json_t *j = json_line(&m);
	cr_assert_str_eq(json_string_value(json_object_get(j, "body")), "notice");
	cr_assert_str_eq(json_string_value(json_object_get(j, "kind")), "READY");
	cr_assert_str_eq(json_string_value(json_object_get(j, "actor")), "gatt");
	json_decref(j);

	n.kind = (Hive__Notice__Kind)99; /* a value from a newer contract */
	j = json_line(&m);
	cr_assert_eq(json_integer_value(json_object_get(j, "kind")), 99);
	json_decref(j);
}
