/* The SDP server's transactions, scripted: request bytes in, exact answer
 * bytes out. ServiceSearch, ServiceAttribute and ServiceSearchAttribute,
 * continuation across several answers at MTU 48 and with a small
 * MaximumAttributeByteCount, MaximumServiceRecordCount, bad continuation
 * states (never issued, stale, for another request, on another channel),
 * bad syntax, bad sizes, unknown PDU IDs, invalid record handles, the
 * channel table. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/sdp/sdp_server.h"
#include "sdp_test_util.h"

#define H 0x0040  /* connection handle */
#define C 0x0041  /* channel */
#define C2 0x0042 /* another channel of the same link */
#define SEED 0x11223344u

static const char *small_db =
	"{\"records\": ["
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x1101\"],"
	"   \"0x0004\": [[\"uuid16:0x0100\"], [\"uuid16:0x0003\", \"uint8:1\"]],"
	"   \"0x0100\": \"text:Serial Port\"}},"
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x1105\"],"
	"   \"0x0004\": [[\"uuid16:0x0100\"], [\"uuid16:0x0003\", \"uint8:2\"], [\"uuid16:0x0008\"]],"
	"   \"0x0100\": \"text:OBEX Object Push\"}}]}";

/* The whole attribute list of the Serial Port record (51 bytes). */
#define SPP_LIST                                                                          \
	"35 31 09 00 00 0a 00 01 00 00 09 00 01 35 03 19 11 01 09 00 04 35 0c 35 03 19 01 00" \
	" 35 05 19 00 03 08 01 09 01 00 25 0b 53 65 72 69 61 6c 20 50 6f 72 74"

static struct sdp_db *db;
static struct sdp_server *srv;
static struct sdp_outbox out;

static void load(const char *json)
{
	char err[256];
	cr_assert_eq(sdp_db_load_json_string(&db, json, "test.json", err, sizeof err), 0, "%s",
		     err);
	struct sdp_server_config cfg = { .seed = SEED };
	cr_assert_eq(sdp_server_new(&srv, db, &cfg), 0);
}

static void setup(void)
{
	memset(&out, 0, sizeof out);
	load(small_db);
}

static void teardown(void)
{
	sdp_server_destroy(&srv);
	sdp_db_destroy(&db);
}

TestSuite(sdp_server, .init = setup, .fini = teardown);

/* Sends one request on (handle, cid) and returns the answer's length. */
static size_t ask_on(uint16_t handle, uint16_t cid, const char *req)
{
	static uint8_t pdu[8192];
	size_t n = sdp_hex(req, pdu, sizeof pdu);
	out.n = 0;
	cr_assert_eq(sdp_server_on_pdu(srv, handle, cid, pdu, n, &out), 0, "%s", req);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.pdus[0].handle, handle);
	cr_assert_eq(out.pdus[0].cid, cid);
	return out.pdus[0].len;
}

static void expect_on(uint16_t handle, uint16_t cid, const char *what, const char *req,
		      const char *rsp)
{
	size_t n = ask_on(handle, cid, req);
	sdp_expect_bytes(what, out.pdus[0].pdu, n, rsp);
}

static void expect(const char *what, const char *req, const char *rsp)
{
	expect_on(H, C, what, req, rsp);
}

Test(sdp_server, service_search)
{
	expect("SPP", "02 00 01 00 08 35 03 19 11 01 00 0a 00",
	       "03 00 01 00 09 00 01 00 01 00 01 00 00 00");
	expect("SPP as 128 bits",
	       "02 00 02 00 16 35 11 1c 00 00 11 01 00 00 10 00 80 00 00 80 5f 9b 34 fb 00 0a 00",
	       "03 00 02 00 09 00 01 00 01 00 01 00 00 00");
	expect("SPP as 32 bits", "02 00 03 00 0a 35 05 1a 00 00 11 01 00 0a 00",
	       "03 00 03 00 09 00 01 00 01 00 01 00 00 00");
	expect("L2CAP: both", "02 00 04 00 08 35 03 19 01 00 00 0a 00",
	       "03 00 04 00 0d 00 02 00 02 00 01 00 00 00 01 00 01 00");
	expect("L2CAP and OBEX: every UUID must be there",
	       "02 00 05 00 0b 35 06 19 01 00 19 00 08 00 0a 00",
	       "03 00 05 00 09 00 01 00 01 00 01 00 01 00");
	expect("the SDP server's own record", "02 00 06 00 08 35 03 19 10 00 00 0a 00",
	       "03 00 06 00 09 00 01 00 01 00 00 00 00 00");
	expect("nothing", "02 00 07 00 08 35 03 19 12 34 00 0a 00",
	       "03 00 07 00 05 00 00 00 00 00");
	expect("MaximumServiceRecordCount 1", "02 00 08 00 08 35 03 19 01 00 00 01 00",
	       "03 00 08 00 09 00 01 00 01 00 01 00 00 00");
}

Test(sdp_server, service_attribute)
{
	expect("every attribute of SPP",
	       "04 00 02 00 0e 00 01 00 00 ff ff 35 05 0a 00 00 ff ff 00",
	       "05 00 02 00 36 00 33 " SPP_LIST " 00");
	expect("one ID and one range, asked out of order",
	       "04 00 03 00 11 00 01 00 00 ff ff 35 08 09 01 00 0a 00 01 00 04 00",
	       "05 00 03 00 2e 00 2b 35 29 09 00 01 35 03 19 11 01 09 00 04 35 0c 35 03 19 01 00"
	       " 35 05 19 00 03 08 01 09 01 00 25 0b 53 65 72 69 61 6c 20 50 6f 72 74 00");
	expect("an ID the record lacks", "04 00 04 00 0c 00 01 00 00 ff ff 35 03 09 00 09 00",
	       "05 00 04 00 05 00 02 35 00 00");
	expect("the SDP server's record",
	       "04 00 05 00 0e 00 00 00 00 ff ff 35 05 0a 00 00 ff ff 00",
	       "05 00 05 00 1d 00 1a 35 18 09 00 00 0a 00 00 00 00 09 00 01 35 03 19 10 00"
	       " 09 02 00 35 03 09 01 00 00");
}

Test(sdp_server, service_attribute_continues_at_mtu_48)
{
	cr_assert_eq(sdp_server_set_mtu(srv, H, C, 48), 0);
	size_t n = ask_on(H, C, "04 00 02 00 0e 00 01 00 00 ff ff 35 05 0a 00 00 ff ff 00");
	cr_assert_eq(n, 48);
	sdp_expect_bytes("first part", out.pdus[0].pdu, n,
			 "05 00 02 00 2b 00 20 35 31 09 00 00 0a 00 01 00 00 09 00 01 35 03 19"
			 " 11 01 09 00 04 35 0c 35 03 19 01 00 35 05 19 00"
			 " 08 00 00 00 20 11 22 33 44");
	expect("second part",
	       "04 00 03 00 16 00 01 00 00 ff ff 35 05 0a 00 00 ff ff 08 00 00 00 20 11 22 33 44",
	       "05 00 03 00 16 00 13 03 08 01 09 01 00 25 0b 53 65 72 69 61 6c 20 50 6f 72 74 00");
	cr_assert_eq(sdp_server_stats(srv)->continuations, 1);
	/* The state is used up: asking again with it is refused. */
	expect("the same state again",
	       "04 00 04 00 16 00 01 00 00 ff ff 35 05 0a 00 00 ff ff 08 00 00 00 20 11 22 33 44",
	       "01 00 04 00 02 00 05");
}

/* Asks req (a ServiceAttribute or ServiceSearchAttribute request without
 * a state, written with a 0 state byte last) again and again with the state
 * of each answer; returns the reassembled attribute list(s). */
static size_t reassemble(const char *req, uint8_t *list, size_t cap, uint16_t max_part,
			 unsigned *parts)
{
	uint8_t q[256];
	size_t qn = sdp_hex(req, q, sizeof q), total = 0;
	struct sdp_cont c = { 0 };
	*parts = 0;
	for (;;) {
		/* the request with the last state */
		q[qn - 1] = c.len;
		memcpy(q + qn, c.b, c.len);
		q[3] = (uint8_t)((qn - SDP_HDR_LEN + c.len) >> 8);
		q[4] = (uint8_t)(qn - SDP_HDR_LEN + c.len);
		q[2] = (uint8_t)(*parts + 1);
		out.n = 0;
		cr_assert_eq(sdp_server_on_pdu(srv, H, C, q, qn + c.len, &out), 0);
		struct sdp_hdr h;
		struct sdp_attr_rsp r;
		const struct sdp_out_pdu *o = &out.pdus[0];
		cr_assert_eq(sdp_decode_hdr(o->pdu, o->len, &h), 0);
		cr_assert_eq(h.pdu_id, q[0] + 1, "part %u: an error (%02x %02x)", *parts,
			     o->pdu[5], o->pdu[6]);
		cr_assert_eq(h.tid, *parts + 1);
		cr_assert_eq(sdp_decode_attr_rsp(o->pdu + SDP_HDR_LEN, h.plen, &r), 0);
		cr_assert_leq(r.count, max_part, "part %u has %u bytes", *parts, r.count);
		cr_assert_leq(total + r.count, cap);
		memcpy(list + total, r.bytes, r.count);
		total += r.count;
		(*parts)++;
		c = r.cont;
		if (!c.len)
			return total;
		cr_assert_eq(c.len, SDP_TOKEN_LEN);
		cr_assert_lt(*parts, 100);
	}
}

Test(sdp_server, small_maximum_attribute_byte_count)
{
	uint8_t list[256], want[64];
	unsigned parts;
	/* MaximumAttributeByteCount 7: 51 bytes in 8 parts. */
	size_t n = ask_on(H, C, "04 00 01 00 0e 00 01 00 00 00 07 35 05 0a 00 00 ff ff 00");
	sdp_expect_bytes("first part", out.pdus[0].pdu, n,
			 "05 00 01 00 12 00 07 35 31 09 00 00 0a 00 08 00 00 00 07 11 22 33 44");
	n = reassemble("04 00 01 00 0e 00 01 00 00 00 07 35 05 0a 00 00 ff ff 00", list,
		       sizeof list, 7, &parts);
	cr_assert_eq(parts, 8);
	size_t wn = sdp_hex(SPP_LIST, want, sizeof want);
	cr_assert_eq(n, wn);
	cr_assert_arr_eq(list, want, wn);
	cr_assert(sdp_de_valid(list, n));
}

Test(sdp_server, service_search_attribute)
{
	expect("ServiceClassIDList of every L2CAP record",
	       "06 00 05 00 0d 35 03 19 01 00 ff ff 35 03 09 00 01 00",
	       "07 00 05 00 19 00 16 35 14 35 08 09 00 01 35 03 19 11 01 35 08 09 00 01 35 03"
	       " 19 11 05 00");
	expect("records with none of the IDs are left out",
	       "06 00 06 00 0d 35 03 19 01 00 ff ff 35 03 09 00 09 00",
	       "07 00 06 00 05 00 02 35 00 00");
	expect("nothing matches", "06 00 07 00 0d 35 03 19 12 34 ff ff 35 03 09 00 01 00",
	       "07 00 07 00 05 00 02 35 00 00");
}

Test(sdp_server, service_search_attribute_continues_at_mtu_48)
{
	static const char *req = "06 00 01 00 0f 35 03 19 01 00 ff ff 35 05 0a 00 00 ff ff 00";
	uint8_t whole[512], parts_list[512];
	/* At the default MTU: one answer. */
	size_t n = ask_on(H, C, req);
	struct sdp_hdr h;
	struct sdp_attr_rsp r;
	cr_assert_eq(sdp_decode_hdr(out.pdus[0].pdu, n, &h), 0);
	cr_assert_eq(sdp_decode_attr_rsp(out.pdus[0].pdu + SDP_HDR_LEN, h.plen, &r), 0);
	cr_assert_eq(r.cont.len, 0);
	memcpy(whole, r.bytes, r.count);
	cr_assert(sdp_de_valid(whole, r.count));
	cr_assert_eq(r.count, 2 + 51 + 2 + 59);
	/* At 48: the same bytes in parts of at most 48 - 8 - 8 = 32. */
	cr_assert_eq(sdp_server_set_mtu(srv, H, C, 48), 0);
	unsigned parts;
	size_t pn = reassemble(req, parts_list, sizeof parts_list, 32, &parts);
	cr_assert_eq(pn, r.count);
	cr_assert_arr_eq(parts_list, whole, pn);
	cr_assert_eq(parts, 4);
	/* A small MaximumAttributeByteCount at MTU 48. */
	pn = reassemble("06 00 01 00 0f 35 03 19 01 00 00 0b 35 05 0a 00 00 ff ff 00", parts_list,
			sizeof parts_list, 11, &parts);
	cr_assert_eq(pn, r.count);
	cr_assert_arr_eq(parts_list, whole, pn);
	cr_assert_eq(parts, 11);
}

Test(sdp_server, bad_continuation_states)
{
	const char *state_req =
		"04 00 09 00 16 00 01 00 00 00 07 35 05 0a 00 00 ff ff 08 00 00 00 07 11 22 33 44";
	expect("a state never issued", state_req, "01 00 09 00 02 00 05");
	/* Issue one: offset 7, nonce SEED. */
	ask_on(H, C, "04 00 01 00 0e 00 01 00 00 00 07 35 05 0a 00 00 ff ff 00");
	expect("the state with another request (another ID list)",
	       "04 00 0a 00 16 00 01 00 00 00 07 35 05 0a 00 00 00 ff 08 00 00 00 07 11 22 33 44",
	       "01 00 0a 00 02 00 05");
	/* The refusal dropped the state: the right request is refused now too. */
	expect("after a refusal", state_req, "01 00 09 00 02 00 05");

	ask_on(H, C, "04 00 01 00 0e 00 01 00 00 00 07 35 05 0a 00 00 ff ff 00");
	expect_on(H, C2, "on another channel", state_req, "01 00 09 00 02 00 05");
	expect("with another PDU ID",
	       "06 00 0b 00 17 35 03 19 11 01 00 07 35 05 0a 00 00 ff ff 08 00 00 00 07 11 22 33 44",
	       "01 00 0b 00 02 00 05");

	ask_on(H, C, "04 00 01 00 0e 00 01 00 00 00 07 35 05 0a 00 00 ff ff 00");
	expect("a forged offset",
	       "04 00 0c 00 16 00 01 00 00 00 07 35 05 0a 00 00 ff ff 08 00 00 00 08 11 22 33 45",
	       "01 00 0c 00 02 00 05");
	expect("17 bytes of state",
	       "04 00 0d 00 1f 00 01 00 00 00 07 35 05 0a 00 00 ff ff"
	       " 11 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10",
	       "01 00 0d 00 02 00 05");

	/* A new request without a state abandons the old one. */
	ask_on(H, C, "04 00 01 00 0e 00 01 00 00 00 07 35 05 0a 00 00 ff ff 00");
	ask_on(H, C, "02 00 01 00 08 35 03 19 11 01 00 0a 00");
	expect("after a new request", state_req, "01 00 09 00 02 00 05");

	/* The current state works (nonce SEED + 4: the fifth issued). */
	ask_on(H, C, "04 00 01 00 0e 00 01 00 00 00 07 35 05 0a 00 00 ff ff 00");
	expect("the state just issued",
	       "04 00 0e 00 16 00 01 00 00 00 07 35 05 0a 00 00 ff ff 08 00 00 00 07 11 22 33 48",
	       "05 00 0e 00 12 00 07 01 00 00 09 00 01 35 08 00 00 00 0e 11 22 33 49");
}

Test(sdp_server, malformed_requests)
{
	expect("unknown PDU ID 0x08", "08 00 01 00 00", "01 00 01 00 02 00 03");
	expect("unknown PDU ID 0x00", "00 12 34 00 01 00", "01 12 34 00 02 00 03");
	expect("unknown PDU ID 0xff", "ff 00 02 00 00", "01 00 02 00 02 00 03");
	expect("ParameterLength too long", "02 00 03 00 09 35 03 19 11 01 00 0a 00",
	       "01 00 03 00 02 00 04");
	expect("ParameterLength too short", "02 00 04 00 07 35 03 19 11 01 00 0a 00",
	       "01 00 04 00 02 00 04");
	expect("a header of 4 bytes", "02 00 05 00", "01 00 05 00 02 00 04");
	expect("one byte", "02", "01 00 00 00 02 00 04");
	expect("nothing", "", "01 00 00 00 02 00 04");
	expect("parameters shorter than any request", "02 00 06 00 02 35 00",
	       "01 00 06 00 02 00 03");
	expect("a pattern holding an integer", "02 00 07 00 08 35 03 09 11 01 00 0a 00",
	       "01 00 07 00 02 00 03");
	expect("MaximumServiceRecordCount 0", "02 00 08 00 08 35 03 19 11 01 00 00 00",
	       "01 00 08 00 02 00 03");
	expect("MaximumAttributeByteCount 6",
	       "04 00 09 00 0e 00 01 00 00 00 06 35 05 0a 00 00 ff ff 00", "01 00 09 00 02 00 03");
	expect("a range upside down",
	       "04 00 0a 00 0e 00 01 00 00 ff ff 35 05 0a ff ff 00 00 00", "01 00 0a 00 02 00 03");
	expect("a byte after the state", "02 00 0b 00 09 35 03 19 11 01 00 0a 00 00",
	       "01 00 0b 00 02 00 03");
	expect("a sequence longer than the parameters",
	       "06 00 0c 00 0d 35 04 19 01 00 ff ff 35 03 09 00 01 00", "01 00 0c 00 02 00 03");
	cr_assert_eq(sdp_server_stats(srv)->errors, 15);

	/* A response sent to the server is not answered. */
	uint8_t rsp[] = { 0x03, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00 };
	out.n = 0;
	cr_assert_eq(sdp_server_on_pdu(srv, H, C, rsp, sizeof rsp, &out), -EPROTO);
	cr_assert_eq(out.n, 0);
	cr_assert_eq(sdp_server_stats(srv)->dropped, 1);
}

Test(sdp_server, invalid_record_handle)
{
	expect("a handle nobody has", "04 00 01 00 0e 00 02 00 00 ff ff 35 05 0a 00 00 ff ff 00",
	       "01 00 01 00 02 00 02");
	expect("one past the last", "04 00 02 00 0e 00 01 00 02 ff ff 35 05 0a 00 00 ff ff 00",
	       "01 00 02 00 02 00 02");
}

Test(sdp_server, channels)
{
	cr_assert_eq(sdp_server_set_mtu(srv, H, C, 20), 0); /* clamped to 48 */
	cr_assert_eq(sdp_server_channel_count(srv), 1);
	cr_assert_eq(ask_on(H, C, "04 00 02 00 0e 00 01 00 00 ff ff 35 05 0a 00 00 ff ff 00"), 48);
	ask_on(H, C2, "02 00 01 00 08 35 03 19 11 01 00 0a 00");
	ask_on(H + 1, C, "02 00 01 00 08 35 03 19 11 01 00 0a 00");
	cr_assert_eq(sdp_server_channel_count(srv), 3);
	sdp_server_link_down(srv, H);
	cr_assert_eq(sdp_server_channel_count(srv), 1);
	sdp_server_channel_closed(srv, H + 1, C);
	cr_assert_eq(sdp_server_channel_count(srv), 0);
	/* Back at the default MTU after the channel was forgotten. */
	cr_assert_eq(ask_on(H, C, "04 00 02 00 0e 00 01 00 00 ff ff 35 05 0a 00 00 ff ff 00"), 59);
	/* A full table: Insufficient Resources. */
	for (uint16_t i = 1; i < SDP_CHANNELS_MAX; i++)
		cr_assert_eq(sdp_server_set_mtu(srv, H, (uint16_t)(0x100 + i), 672), 0);
	cr_assert_eq(sdp_server_set_mtu(srv, H, 0x0fff, 672), -ENOSPC);
	expect_on(H, 0x0fff, "no room for the channel", "02 00 01 00 08 35 03 19 11 01 00 0a 00",
		  "01 00 01 00 02 00 06");
}

Test(sdp_server, service_search_continues_and_counts)
{
	char json[4096];
	size_t at = (size_t)snprintf(json, sizeof json, "{\"records\": [");
	for (int i = 0; i < 10; i++)
		at += (size_t)snprintf(json + at, sizeof json - at,
				       "%s{\"attributes\": {\"0x0001\": [\"uuid16:0x1101\"]}}",
				       i ? "," : "");
	snprintf(json + at, sizeof json - at, "]}");
	teardown(); /* another database */
	load(json);
	expect("MaximumServiceRecordCount 3", "02 00 01 00 08 35 03 19 11 01 00 03 00",
	       "03 00 01 00 11 00 03 00 03 00 01 00 00 00 01 00 01 00 01 00 02 00");
	cr_assert_eq(sdp_server_set_mtu(srv, H, C, 48), 0);
	size_t n = ask_on(H, C, "02 00 02 00 08 35 03 19 11 01 00 0a 00");
	cr_assert_leq(n, 48);
	sdp_expect_bytes("first 7 of 10", out.pdus[0].pdu, n,
			 "03 00 02 00 29 00 0a 00 07 00 01 00 00 00 01 00 01 00 01 00 02 00 01 00 03"
			 " 00 01 00 04 00 01 00 05 00 01 00 06 08 00 00 00 07 11 22 33 44");
	expect("the last 3",
	       "02 00 03 00 10 35 03 19 11 01 00 0a 08 00 00 00 07 11 22 33 44",
	       "03 00 03 00 11 00 0a 00 03 00 01 00 07 00 01 00 08 00 01 00 09 00");
	/* A state of ServiceSearch with another MaximumServiceRecordCount. */
	ask_on(H, C, "02 00 02 00 08 35 03 19 11 01 00 0a 00");
	expect("another count", "02 00 04 00 10 35 03 19 11 01 00 09 08 00 00 00 07 11 22 33 45",
	       "01 00 04 00 02 00 05");
}
