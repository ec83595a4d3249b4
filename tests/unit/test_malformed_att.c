/* Malformed ATT PDUs through a real hive-gatt process: the test plays l2cap
 * (ATT PDUs as ChannelPdu on CID 4, and the link event), host and app. Each case
 * sends one malformed or out-of-range request, checks the exact answer the
 * Core specification requires (Vol 3 Part F) and that the server still
 * answers the next well-formed request (a Read of the device name). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "malformed_util.h"

#define H 0x40

static const char *db_json =
	"{\"gap\": {\"device_name\": \"hive-test\"},"
	" \"services\": ["
	" {\"uuid\": \"180f\", \"characteristics\": ["
	"   {\"uuid\": \"2a19\", \"properties\": [\"read\", \"notify\"],"
	"    \"permissions\": [\"read\"], \"value\": \"64\"}]},"
	" {\"uuid\": \"12345678-1234-5678-1234-56789abcdef0\", \"characteristics\": ["
	"   {\"uuid\": \"2a3d\", \"properties\": [\"read\", \"write\"],"
	"    \"permissions\": [\"read\", \"write\"], \"max_length\": 100,"
	"    \"value_text\": \"0123456789abcdefghijklmnopqrstuvwxyzABCD\"}]}]}";
/* Handles: GAP 0x01-0x07 (name 0x03), GATT 0x08-0x11, battery 0x12-0x15,
 * 128-bit service 0x16-0x18 (value 0x18, writable, up to 100 bytes). */

static char *dir;
static struct mu_peer *l2cap, *host, *app;

static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	char blog[600];
	snprintf(blog, sizeof blog, "%s/broker.log", dir);
	cr_assert_gt(th_start_broker_log(dir, NULL, blog), 0);
	char db_path[600], set_db[700];
	snprintf(db_path, sizeof db_path, "%s/db.json", dir);
	FILE *f = fopen(db_path, "w");
	cr_assert_not_null(f);
	fputs(db_json, f);
	fclose(f);
	l2cap = mu_peer_new(dir, "l2cap");
	host = mu_peer_new(dir, "host");
	app = mu_peer_new(dir, "app");
	snprintf(set_db, sizeof set_db, "db=%s", db_path);
	const char *sets[] = { set_db, "l2cap=l2cap", NULL };
	mu_spawn(dir, "hive-gatt", "gatt", sets);
	cr_assert(mu_wait_ready(app, "gatt", TH_DEADLINE_MS), "gatt not ready (log %s/gatt.log)",
		  dir);
	/* From l2cap, the sender of every PDU after it: the broker keeps each
	 * sender's order, so the link is known before the first PDU. */
	mu_send_link(l2cap, "gatt", H, true, false);
}

static void teardown(void)
{
	mu_peers_free();
	th_cleanup();
	free(dir);
}

TestSuite(malformed_att, .init = setup, .fini = teardown, .timeout = 60);

static void send_att(const uint8_t *b, size_t len)
{
	mu_send_pdu(l2cap, "gatt", H, 4, b, len);
}

/* The next ATT PDU gatt sent must be exactly want. */
static void expect_att(const uint8_t *want, size_t len)
{
	const Hive__Envelope *e = mu_take(l2cap, HIVE__ENVELOPE__BODY_PDU, "ATT PDU");
	cr_assert_eq(e->pdu->handle, H);
	cr_assert_eq(e->pdu->cid, 4);
	mu_expect_bytes("ATT PDU", e->pdu->payload.data, e->pdu->payload.len, want, len);
}

/* The server still serves: Read of the device name. */
static void still_serves(void)
{
	send_att(MU_BYTES(0x0a, 0x03, 0x00));
	expect_att(MU_BYTES(0x0b, 'h', 'i', 'v', 'e', '-', 't', 'e', 's', 't'));
	mu_expect_silence(l2cap, HIVE__ENVELOPE__BODY_PDU, MU_SILENCE_MS);
}

/* A truncated request: Error Response, Invalid PDU (0x04), handle 0. */
#define TRUNCATED(op, ...)                                               \
	do {                                                             \
		send_att(MU_BYTES(op, ##__VA_ARGS__));                   \
		expect_att(MU_BYTES(0x01, op, 0x00, 0x00, 0x04));        \
		still_serves();                                          \
	} while (0)

Test(malformed_att, truncated_exchange_mtu_request)
{
	TRUNCATED(0x02, 0x40);
}

Test(malformed_att, truncated_find_information_request)
{
	TRUNCATED(0x04, 0x01, 0x00, 0xff);
}

Test(malformed_att, truncated_find_by_type_value_request)
{
	TRUNCATED(0x06, 0x01, 0x00, 0xff, 0xff, 0x00);
}

Test(malformed_att, truncated_read_by_type_request)
{
	TRUNCATED(0x08, 0x01, 0x00, 0xff, 0xff, 0x03);
}

Test(malformed_att, read_by_type_request_with_a_3_byte_uuid)
{
	TRUNCATED(0x08, 0x01, 0x00, 0xff, 0xff, 0x03, 0x28, 0x00);
}

Test(malformed_att, truncated_read_request)
{
	TRUNCATED(0x0a, 0x03);
}

Test(malformed_att, truncated_read_blob_request)
{
	TRUNCATED(0x0c, 0x03, 0x00, 0x00);
}

Test(malformed_att, truncated_read_multiple_request)
{
	TRUNCATED(0x0e, 0x03, 0x00);
}

Test(malformed_att, truncated_read_by_group_type_request)
{
	TRUNCATED(0x10, 0x01, 0x00, 0xff, 0xff, 0x00);
}

Test(malformed_att, truncated_write_request)
{
	TRUNCATED(0x12, 0x18);
}

Test(malformed_att, truncated_prepare_write_request)
{
	TRUNCATED(0x16, 0x18, 0x00, 0x00);
}

Test(malformed_att, truncated_execute_write_request)
{
	TRUNCATED(0x18);
}

Test(malformed_att, truncated_read_multiple_variable_request)
{
	TRUNCATED(0x20, 0x03, 0x00);
}

/* A command is never answered, malformed or not (3.4.7). */
Test(malformed_att, truncated_write_command_is_silent)
{
	send_att(MU_BYTES(0x52, 0x18));
	mu_expect_silence(l2cap, HIVE__ENVELOPE__BODY_PDU, MU_SILENCE_MS);
	still_serves();
}

/* Execute Write with flags other than 0 and 1: Invalid PDU. */
Test(malformed_att, execute_write_request_with_flags_2)
{
	send_att(MU_BYTES(0x18, 0x02));
	expect_att(MU_BYTES(0x01, 0x18, 0x00, 0x00, 0x04));
	still_serves();
}

/* Find Information with start 0: Invalid Handle, at handle 0 (3.4.3.1). */
Test(malformed_att, find_information_request_with_start_handle_0)
{
	send_att(MU_BYTES(0x04, 0x00, 0x00, 0xff, 0xff));
	expect_att(MU_BYTES(0x01, 0x04, 0x00, 0x00, 0x01));
	still_serves();
}

/* Find Information with start > end: Invalid Handle, at the start. */
Test(malformed_att, find_information_request_with_start_after_end)
{
	send_att(MU_BYTES(0x04, 0x05, 0x00, 0x01, 0x00));
	expect_att(MU_BYTES(0x01, 0x04, 0x05, 0x00, 0x01));
	still_serves();
}

/* Read Blob of a value shorter than ATT_MTU - 1: Attribute Not Long. */
Test(malformed_att, read_blob_request_of_a_short_value)
{
	send_att(MU_BYTES(0x0c, 0x03, 0x00, 0x0a, 0x00));
	expect_att(MU_BYTES(0x01, 0x0c, 0x03, 0x00, 0x0b));
	still_serves();
}

/* Read By Group Type with start > end: Invalid Handle, at the start. */
Test(malformed_att, read_by_group_type_request_with_start_after_end)
{
	send_att(MU_BYTES(0x10, 0x10, 0x00, 0x01, 0x00, 0x00, 0x28));
	expect_att(MU_BYTES(0x01, 0x10, 0x10, 0x00, 0x01));
	still_serves();
}

/* Read of handle 0: Invalid Handle. */
Test(malformed_att, read_request_of_handle_0)
{
	send_att(MU_BYTES(0x0a, 0x00, 0x00));
	expect_att(MU_BYTES(0x01, 0x0a, 0x00, 0x00, 0x01));
	still_serves();
}

/* Read Blob past the end of the 40-byte value: Invalid Offset (3.4.4.5). */
Test(malformed_att, read_blob_request_past_the_end)
{
	send_att(MU_BYTES(0x0c, 0x18, 0x00, 0x29, 0x00));
	expect_att(MU_BYTES(0x01, 0x0c, 0x18, 0x00, 0x07));
	still_serves();
}

/* Read Blob at exactly the length: an empty Read Blob Response. */
Test(malformed_att, read_blob_request_at_the_end)
{
	send_att(MU_BYTES(0x0c, 0x18, 0x00, 0x28, 0x00));
	expect_att(MU_BYTES(0x0d));
	still_serves();
}

/* Execute Write with nothing prepared: Execute Write Response. */
Test(malformed_att, execute_write_request_with_nothing_prepared)
{
	send_att(MU_BYTES(0x18, 0x01));
	expect_att(MU_BYTES(0x19));
	still_serves();
}

/* The ninth Prepare Write of a queue of 8: Prepare Queue Full (0x09);
 * the queue is then cancelled and the value is untouched. */
Test(malformed_att, prepare_write_request_past_a_full_queue)
{
	for (uint8_t i = 0; i < 8; i++) {
		send_att(MU_BYTES(0x16, 0x18, 0x00, i, 0x00, 'x'));
		expect_att(MU_BYTES(0x17, 0x18, 0x00, i, 0x00, 'x'));
	}
	send_att(MU_BYTES(0x16, 0x18, 0x00, 0x08, 0x00, 'x'));
	expect_att(MU_BYTES(0x01, 0x16, 0x18, 0x00, 0x09));
	send_att(MU_BYTES(0x18, 0x00));
	expect_att(MU_BYTES(0x19));
	send_att(MU_BYTES(0x0c, 0x18, 0x00, 0x24, 0x00));
	expect_att(MU_BYTES(0x0d, 'A', 'B', 'C', 'D'));
	still_serves();
}

/* Exchange MTU with a client MTU below 23: the server answers with its
 * own and keeps 23 (3.4.2.2). */
Test(malformed_att, exchange_mtu_request_below_23)
{
	send_att(MU_BYTES(0x02, 0x05, 0x00));
	expect_att(MU_BYTES(0x03, 0x05, 0x02));
	still_serves();
}

/* A request longer than the ATT_MTU: Invalid PDU. */
Test(malformed_att, write_request_longer_than_the_mtu)
{
	uint8_t w[24] = { 0x12, 0x18, 0x00 };
	memset(w + 3, 'z', sizeof w - 3);
	send_att(w, sizeof w);
	expect_att(MU_BYTES(0x01, 0x12, 0x00, 0x00, 0x04));
	still_serves();
}

/* An empty PDU: nothing to answer. */
Test(malformed_att, empty_pdu_is_silent)
{
	send_att((const uint8_t *)"", 0);
	mu_expect_silence(l2cap, HIVE__ENVELOPE__BODY_PDU, MU_SILENCE_MS);
	still_serves();
}

/* Read Multiple needs whole handles: an odd byte is Invalid PDU. */
Test(malformed_att, read_multiple_request_with_an_odd_byte)
{
	TRUNCATED(0x0e, 0x03, 0x00, 0x18);
}

Test(malformed_att, find_by_type_value_request_with_start_after_end)
{
	send_att(MU_BYTES(0x06, 0x05, 0x00, 0x01, 0x00, 0x00, 0x28, 0x0f, 0x18));
	expect_att(MU_BYTES(0x01, 0x06, 0x05, 0x00, 0x01));
	still_serves();
}

Test(malformed_att, read_by_type_request_with_start_handle_0)
{
	send_att(MU_BYTES(0x08, 0x00, 0x00, 0xff, 0xff, 0x03, 0x28));
	expect_att(MU_BYTES(0x01, 0x08, 0x00, 0x00, 0x01));
	still_serves();
}

Test(malformed_att, write_request_to_handle_0)
{
	send_att(MU_BYTES(0x12, 0x00, 0x00, 0x01));
	expect_att(MU_BYTES(0x01, 0x12, 0x00, 0x00, 0x01));
	still_serves();
}

/* Offsets are checked when the queue is executed (3.4.6.1): a part past
 * the end fails the Execute Write with Invalid Offset; nothing written. */
Test(malformed_att, execute_write_request_of_a_part_past_the_end)
{
	send_att(MU_BYTES(0x16, 0x18, 0x00, 0x29, 0x00, 'x'));
	expect_att(MU_BYTES(0x17, 0x18, 0x00, 0x29, 0x00, 'x'));
	send_att(MU_BYTES(0x18, 0x01));
	expect_att(MU_BYTES(0x01, 0x18, 0x18, 0x00, 0x07));
	send_att(MU_BYTES(0x0c, 0x18, 0x00, 0x24, 0x00));
	expect_att(MU_BYTES(0x0d, 'A', 'B', 'C', 'D'));
	/* The queue is gone: a new Execute Write has nothing to do. */
	send_att(MU_BYTES(0x18, 0x01));
	expect_att(MU_BYTES(0x19));
	still_serves();
}

/* Parts adding up past the maximum length (100): Invalid Attribute Value
 * Length at Execute Write; nothing written. */
Test(malformed_att, execute_write_request_past_the_maximum_length)
{
	static const uint8_t offsets[] = { 40, 58, 76, 94 };
	for (size_t i = 0; i < sizeof offsets; i++) {
		size_t n = i < 3 ? 18 : 7; /* up to 101 bytes */
		uint8_t part[5 + 18] = { 0x16, 0x18, 0x00, offsets[i], 0x00 };
		memset(part + 5, 'z', n);
		send_att(part, 5 + n);
		part[0] = 0x17;
		expect_att(part, 5 + n);
	}
	send_att(MU_BYTES(0x18, 0x01));
	expect_att(MU_BYTES(0x01, 0x18, 0x18, 0x00, 0x0d));
	send_att(MU_BYTES(0x0c, 0x18, 0x00, 0x24, 0x00));
	expect_att(MU_BYTES(0x0d, 'A', 'B', 'C', 'D'));
	still_serves();
}

/* A response nobody asked for, a confirmation of no indication: silence. */
Test(malformed_att, unsolicited_read_response_is_ignored)
{
	send_att(MU_BYTES(0x0b, 0x01, 0x02));
	send_att(MU_BYTES(0x1e));
	send_att(MU_BYTES(0x01, 0x0a, 0x03, 0x00, 0x01));
	mu_expect_silence(l2cap, HIVE__ENVELOPE__BODY_PDU, MU_SILENCE_MS);
	still_serves();
}
