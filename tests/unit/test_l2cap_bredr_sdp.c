/* The SDP client's browse (actors/sdp/sdp_client.c) against the real SDP
 * server's transactions, pure: every record of the public browse group
 * gathered across continuation states at MTU 48 and with a small
 * MaximumAttributeByteCount, the records walked with their attribute names,
 * values in words, and the answers a client must refuse. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../actors/sdp/sdp_client.h"
#include "../../actors/sdp/sdp_server.h"

#define H 0x0001
#define C 0x0040

static const char *db_json =
	"{\"records\": ["
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x1101\"],"
	"   \"0x0004\": [[\"uuid16:0x0100\"], [\"uuid16:0x0003\", \"uint8:1\"]],"
	"   \"0x0005\": [\"uuid16:0x1002\"],"
	"   \"0x0100\": \"text:Serial Port\"}},"
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x1105\"],"
	"   \"0x0004\": [[\"uuid16:0x0100\"], [\"uuid16:0x0003\", \"uint8:2\"], [\"uuid16:0x0008\"]],"
	"   \"0x0005\": [\"uuid16:0x1002\"],"
	"   \"0x0100\": \"text:OBEX Object Push\"}},"
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x1200\"],"
	"   \"0x0100\": \"text:not browsable\"}}]}";

static struct sdp_db *db;
static struct sdp_server *srv;

static void setup(void)
{
	char err[256];
	cr_assert_eq(sdp_db_load_json_string(&db, db_json, "t.json", err, sizeof err), 0, "%s", err);
	struct sdp_server_config cfg = { .seed = 7 };
	cr_assert_eq(sdp_server_new(&srv, db, &cfg), 0);
}

static void teardown(void)
{
	sdp_server_destroy(&srv);
	sdp_db_destroy(&db);
}

TestSuite(sdp_browse, .init = setup, .fini = teardown);

/* Runs a whole browse through the server; returns the last result. */
static int browse(struct sdp_browse *b, uint16_t mtu, uint16_t max_bytes, unsigned *rounds)
{
	static struct sdp_outbox out;
	uint8_t req[256];
	cr_assert_eq(sdp_server_set_mtu(srv, H, C, mtu), 0);
	sdp_browse_init(b, max_bytes);
	*rounds = 0;
	for (;;) {
		struct wr w = wr_init(req, sizeof req);
		cr_assert_eq(sdp_browse_request(b, &w), 0);
		out.n = 0;
		cr_assert_eq(sdp_server_on_pdu(srv, H, C, req, w.len, &out), 0);
		cr_assert_eq(out.n, 1);
		cr_assert_leq(out.pdus[0].len, mtu);
		uint16_t err;
		int rc = sdp_browse_response(b, out.pdus[0].pdu, out.pdus[0].len, &err);
		(*rounds)++;
		if (rc <= 0)
			return rc;
	}
}

struct seen {
	unsigned attrs;
	uint32_t handles[4];
	unsigned nrec;
	char names[8][80];
	unsigned nnames;
};

static void on_attr(uint32_t record, unsigned index, uint16_t id, const struct sdp_de *v,
		    void *arg)
{
	struct seen *s = arg;
	s->attrs++;
	if (index == 0 && s->nrec < 4)
		s->handles[s->nrec++] = record;
	if (id == 0x0100 && s->nnames < 8) {
		char txt[64];
		sdp_de_format(v, txt, sizeof txt);
		snprintf(s->names[s->nnames++], sizeof s->names[0], "%s %s", sdp_attr_name(id), txt);
	}
}

static void expect_two_records(struct sdp_browse *b)
{
	struct seen s = { 0 };
	cr_assert_eq(sdp_browse_each(b, on_attr, &s), 2);
	cr_assert_eq(s.attrs, 10);
	cr_assert_eq(s.handles[0], 0x00010000);
	cr_assert_eq(s.handles[1], 0x00010001);
	cr_assert_eq(s.nnames, 2);
	cr_assert_str_eq(s.names[0], "ServiceName \"Serial Port\"");
	cr_assert_str_eq(s.names[1], "ServiceName \"OBEX Object Push\"");
}

Test(sdp_browse, whole_at_once)
{
	struct sdp_browse b;
	unsigned rounds;
	cr_assert_eq(browse(&b, 672, 0xffff, &rounds), 0);
	cr_assert_eq(rounds, 1);
	expect_two_records(&b);
	sdp_browse_free(&b);
}

Test(sdp_browse, continuation_at_mtu_48)
{
	struct sdp_browse b;
	unsigned rounds;
	cr_assert_eq(browse(&b, 48, 0xffff, &rounds), 0);
	cr_assert_gt(rounds, 3, "%u rounds", rounds);
	expect_two_records(&b);
	sdp_browse_free(&b);
}

Test(sdp_browse, continuation_with_small_byte_count)
{
	struct sdp_browse b;
	unsigned rounds;
	cr_assert_eq(browse(&b, 672, 9, &rounds), 0);
	cr_assert_gt(rounds, 10, "%u rounds", rounds);
	expect_two_records(&b);
	sdp_browse_free(&b);
}

Test(sdp_browse, answers_refused)
{
	struct sdp_browse b;
	uint16_t err;
	uint8_t req[64];
	struct wr w = wr_init(req, sizeof req);
	sdp_browse_init(&b, 100);
	cr_assert_eq(sdp_browse_request(&b, &w), 0);
	cr_assert_eq(req[0], SDP_SERVICE_SEARCH_ATTR_REQ);
	/* An Error Response: its code. */
	const uint8_t e[] = { 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03 };
	cr_assert_eq(sdp_browse_response(&b, e, sizeof e, &err), -EREMOTEIO);
	cr_assert_eq(err, SDP_ERR_INVALID_SYNTAX);
	/* Another transaction, another PDU, truncated, over our byte count,
	 * lists that are no data element. */
	const uint8_t tid[] = { 0x07, 0x00, 0x02, 0x00, 0x05, 0x00, 0x02, 0x35, 0x00, 0x00 };
	const uint8_t pdu[] = { 0x05, 0x00, 0x01, 0x00, 0x05, 0x00, 0x02, 0x35, 0x00, 0x00 };
	const uint8_t shrt[] = { 0x07, 0x00, 0x01, 0x00, 0x06, 0x00, 0x02, 0x35, 0x00, 0x00 };
	uint8_t big[5 + 2 + 101 + 1] = { 0x07, 0x00, 0x01, 0x00, 0x68, 0x00, 0x65 };
	const uint8_t bad[] = { 0x07, 0x00, 0x01, 0x00, 0x05, 0x00, 0x02, 0x35, 0x05, 0x00 };
	cr_assert_eq(sdp_browse_response(&b, tid, sizeof tid, &err), -EBADMSG);
	cr_assert_eq(sdp_browse_response(&b, pdu, sizeof pdu, &err), -EBADMSG);
	cr_assert_eq(sdp_browse_response(&b, shrt, sizeof shrt, &err), -EBADMSG);
	cr_assert_eq(sdp_browse_response(&b, big, sizeof big, &err), -EBADMSG);
	cr_assert_eq(sdp_browse_response(&b, bad, sizeof bad, &err), -EBADMSG);
	sdp_browse_free(&b);
}

Test(sdp_browse, values_in_words)
{
	char out[64];
	const uint8_t seq[] = { 0x35, 0x0b, 0x19, 0x11, 0x01, 0x08, 0x05, 0x25, 0x02, 'h', 'i',
				0x28, 0x01, 0x09 };
	struct sdp_de de;
	struct rd r = rd_init(seq, sizeof seq - 1);
	cr_assert_eq(sdp_de_read(&r, &de), 0);
	sdp_de_format(&de, out, sizeof out);
	cr_assert_str_eq(out, "[uuid 0x1101, 0x05, \"hi\", true]");
	/* Cut to fit. */
	sdp_de_format(&de, out, 12);
	cr_assert_str_eq(out, "[uuid 0x...");
	cr_assert_str_eq(sdp_attr_name(0x0004), "ProtocolDescriptorList");
	cr_assert_str_eq(sdp_attr_name(0x7777), "");
}
