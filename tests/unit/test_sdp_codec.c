/* The SDP PDU codec: byte-exact vectors decoded and encoded again (round
 * trip), every vector truncated by one byte (whole PDU, and parameters with
 * ParameterLength corrected), the error code each malformed request gets,
 * names. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../actors/sdp/sdp_codec.h"
#include "sdp_test_util.h"

static const char *const vectors[] = {
	/* ServiceSearchRequest: one UUID, 10 records, no state */
	"02 00 01 00 08 35 03 19 11 01 00 0a 00",
	/* ... two UUIDs (16 and 32-bit) and a state */
	"02 00 02 00 0f 35 08 19 11 01 1a 00 01 00 00 ff ff 02 aa bb",
	/* ... a 128-bit UUID */
	"02 00 03 00 16 35 11 1c 00 00 11 01 00 00 10 00 80 00 00 80 5f 9b 34 fb 00 01 00",
	/* ServiceAttributeRequest: every attribute */
	"04 00 03 00 0e 00 01 00 00 ff ff 35 05 0a 00 00 ff ff 00",
	/* ... one ID, one range, a state */
	"04 00 04 00 12 00 01 00 01 00 07 35 08 09 00 01 0a 01 00 01 ff 01 ee",
	/* ServiceSearchAttributeRequest */
	"06 00 05 00 0d 35 03 19 01 00 ff ff 35 03 09 00 01 00",
	/* ErrorResponse */
	"01 00 06 00 02 00 03",
	/* ServiceSearchResponse, without and with a state */
	"03 00 07 00 0d 00 02 00 02 00 01 00 00 00 01 00 01 00",
	"03 00 08 00 11 00 05 00 02 00 01 00 00 00 01 00 01 04 01 02 03 04",
	/* ServiceAttributeResponse */
	"05 00 09 00 0d 00 0a 35 08 09 00 01 35 03 19 11 01 00",
	/* ServiceSearchAttributeResponse, a slice with a state */
	"07 00 0a 00 0a 00 03 35 14 35 04 aa bb cc dd",
};

/* Decodes the parameters as their PDU ID says, encodes them again into w. */
static int round_trip(const struct sdp_hdr *h, const uint8_t *params, size_t len, struct wr *w)
{
	int rc;
	switch (h->pdu_id) {
	case SDP_SERVICE_SEARCH_REQ: {
		struct sdp_service_search_req q;
		if ((rc = sdp_decode_service_search_req(params, len, &q, NULL)) == 0)
			sdp_encode_service_search_req(w, h->tid, &q);
		return rc;
	}
	case SDP_SERVICE_ATTR_REQ: {
		static struct sdp_service_attr_req q;
		if ((rc = sdp_decode_service_attr_req(params, len, &q, NULL)) == 0)
			sdp_encode_service_attr_req(w, h->tid, &q);
		return rc;
	}
	case SDP_SERVICE_SEARCH_ATTR_REQ: {
		static struct sdp_service_search_attr_req q;
		if ((rc = sdp_decode_service_search_attr_req(params, len, &q, NULL)) == 0)
			sdp_encode_service_search_attr_req(w, h->tid, &q);
		return rc;
	}
	case SDP_ERROR_RSP: {
		uint16_t code;
		if ((rc = sdp_decode_error_rsp(params, len, &code)) == 0)
			sdp_encode_error_rsp(w, h->tid, code);
		return rc;
	}
	case SDP_SERVICE_SEARCH_RSP: {
		struct sdp_service_search_rsp r;
		uint32_t hs[64];
		if ((rc = sdp_decode_service_search_rsp(params, len, &r)) == 0) {
			cr_assert_leq(r.current, 64);
			for (unsigned i = 0; i < r.current; i++)
				hs[i] = sdp_rsp_handle(&r, i);
			sdp_encode_service_search_rsp(w, h->tid, r.total, hs, r.current, &r.cont);
		}
		return rc;
	}
	case SDP_SERVICE_ATTR_RSP:
	case SDP_SERVICE_SEARCH_ATTR_RSP: {
		struct sdp_attr_rsp r;
		if ((rc = sdp_decode_attr_rsp(params, len, &r)) == 0)
			sdp_encode_attr_rsp(w, h->pdu_id, h->tid, r.bytes, r.count, &r.cont);
		return rc;
	}
	default:
		return -1;
	}
}

Test(sdp_codec, vectors_round_trip_byte_exact)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		uint8_t pdu[128], out[128];
		size_t n = sdp_hex(vectors[i], pdu, sizeof pdu);
		struct sdp_hdr h;
		cr_assert_eq(sdp_decode_hdr(pdu, n, &h), 0, "%s", vectors[i]);
		cr_assert_eq(h.plen, n - SDP_HDR_LEN);
		struct wr w = wr_init(out, sizeof out);
		cr_assert_eq(round_trip(&h, pdu + SDP_HDR_LEN, h.plen, &w), 0, "%s", vectors[i]);
		cr_assert(wr_ok(&w));
		sdp_expect_bytes(sdp_pdu_name(h.pdu_id), out, w.len, vectors[i]);
	}
}

Test(sdp_codec, every_vector_truncated_by_one_byte_fails)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		uint8_t pdu[128], out[128];
		size_t n = sdp_hex(vectors[i], pdu, sizeof pdu);
		struct sdp_hdr h;
		/* The whole PDU less a byte: ParameterLength no longer matches. */
		for (size_t k = 0; k < n; k++)
			cr_assert_eq(sdp_decode_hdr(pdu, k, &h), SDP_ERR_INVALID_PDU_SIZE,
				     "%s at %zu bytes", vectors[i], k);
		/* The parameters less their last byte, the length corrected. */
		cr_assert_eq(sdp_decode_hdr(pdu, n, &h), 0);
		struct wr w = wr_init(out, sizeof out);
		cr_assert_neq(round_trip(&h, pdu + SDP_HDR_LEN, h.plen - 1u, &w), 0,
			      "%s less its last byte accepted", vectors[i]);
		/* And one byte too many after the state (requests and the ones
		 * with a state). */
		if (h.pdu_id != SDP_ERROR_RSP) {
			pdu[n] = 0x00;
			w = wr_init(out, sizeof out);
			cr_assert_neq(round_trip(&h, pdu + SDP_HDR_LEN, h.plen + 1u, &w), 0,
				      "%s with a byte more accepted", vectors[i]);
		}
	}
}

Test(sdp_codec, malformed_requests_get_their_error_codes)
{
	const struct {
		const char *params; /* after the header */
		uint8_t pdu_id;
		int code;
	} bad[] = {
		/* pattern not a sequence */
		{ "19 11 01 00 0a 00", SDP_SERVICE_SEARCH_REQ, SDP_ERR_INVALID_SYNTAX },
		/* pattern holding an integer */
		{ "35 02 08 01 00 0a 00", SDP_SERVICE_SEARCH_REQ, SDP_ERR_INVALID_SYNTAX },
		/* empty pattern */
		{ "35 00 00 0a 00", SDP_SERVICE_SEARCH_REQ, SDP_ERR_INVALID_SYNTAX },
		/* 13 UUIDs */
		{ "35 27 19 00 01 19 00 02 19 00 03 19 00 04 19 00 05 19 00 06 19 00 07 19 00 08"
		  " 19 00 09 19 00 0a 19 00 0b 19 00 0c 19 00 0d 00 0a 00",
		  SDP_SERVICE_SEARCH_REQ, SDP_ERR_INVALID_SYNTAX },
		/* MaximumServiceRecordCount 0 */
		{ "35 03 19 11 01 00 00 00", SDP_SERVICE_SEARCH_REQ, SDP_ERR_INVALID_SYNTAX },
		/* a reserved type in the pattern */
		{ "35 03 49 11 01 00 0a 00", SDP_SERVICE_SEARCH_REQ, SDP_ERR_INVALID_SYNTAX },
		/* continuation state of 17 bytes */
		{ "35 03 19 11 01 00 0a 11 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10",
		  SDP_SERVICE_SEARCH_REQ, SDP_ERR_INVALID_CONTINUATION },
		/* state length beyond the bytes */
		{ "35 03 19 11 01 00 0a 02 aa", SDP_SERVICE_SEARCH_REQ, SDP_ERR_INVALID_SYNTAX },
		/* MaximumAttributeByteCount 6 */
		{ "00 01 00 00 00 06 35 03 09 00 01 00", SDP_SERVICE_ATTR_REQ, SDP_ERR_INVALID_SYNTAX },
		/* a range lo > hi */
		{ "00 01 00 00 00 07 35 05 0a 00 02 00 01 00", SDP_SERVICE_ATTR_REQ,
		  SDP_ERR_INVALID_SYNTAX },
		/* an 8-bit ID */
		{ "00 01 00 00 00 07 35 02 08 01 00", SDP_SERVICE_ATTR_REQ, SDP_ERR_INVALID_SYNTAX },
		/* an empty ID list */
		{ "00 01 00 00 00 07 35 00 00", SDP_SERVICE_ATTR_REQ, SDP_ERR_INVALID_SYNTAX },
		/* IDs as an alternative */
		{ "00 01 00 00 00 07 3d 03 09 00 01 00", SDP_SERVICE_ATTR_REQ,
		  SDP_ERR_INVALID_SYNTAX },
		/* a UUID among the IDs */
		{ "35 03 19 11 01 00 07 35 03 19 00 01 00", SDP_SERVICE_SEARCH_ATTR_REQ,
		  SDP_ERR_INVALID_SYNTAX },
		/* no ID list at all */
		{ "35 03 19 11 01 00 07 00", SDP_SERVICE_SEARCH_ATTR_REQ, SDP_ERR_INVALID_SYNTAX },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t p[128];
		size_t n = sdp_hex(bad[i].params, p, sizeof p);
		static struct sdp_service_search_req ss;
		static struct sdp_service_attr_req sa;
		static struct sdp_service_search_attr_req ssa;
		int rc = bad[i].pdu_id == SDP_SERVICE_SEARCH_REQ
				 ? sdp_decode_service_search_req(p, n, &ss, NULL)
			 : bad[i].pdu_id == SDP_SERVICE_ATTR_REQ
				 ? sdp_decode_service_attr_req(p, n, &sa, NULL)
				 : sdp_decode_service_search_attr_req(p, n, &ssa, NULL);
		cr_assert_eq(rc, bad[i].code, "%s: got 0x%04x", bad[i].params, rc);
	}
}

Test(sdp_codec, id_list_over_the_limit_is_insufficient_resources)
{
	static uint8_t p[4 + 2 + 5 + 3 * (SDP_ID_LIST_MAX + 1) + 1];
	struct wr w = wr_init(p, sizeof p);
	sdp_wr_be32(&w, 0x00010000);
	sdp_wr_be16(&w, 100);
	size_t s = sdp_de_seq_open(&w);
	for (unsigned i = 0; i <= SDP_ID_LIST_MAX; i++)
		sdp_de_put_u16(&w, (uint16_t)i);
	sdp_de_seq_close(&w, s, SDP_DE_SEQ);
	wr_u8(&w, 0);
	cr_assert(wr_ok(&w));
	static struct sdp_service_attr_req q;
	cr_assert_eq(sdp_decode_service_attr_req(p, w.len, &q, NULL),
		     SDP_ERR_INSUFFICIENT_RESOURCES);
}

Test(sdp_codec, request_key_is_the_parameters_before_the_state)
{
	uint8_t p[64];
	size_t n = sdp_hex("35 03 19 11 01 00 0a 02 aa bb", p, sizeof p);
	struct sdp_service_search_req q;
	struct sdp_req_key key;
	cr_assert_eq(sdp_decode_service_search_req(p, n, &q, &key), 0);
	cr_assert_eq(key.p, p);
	cr_assert_eq(key.len, 7);
	cr_assert_eq(q.cont.len, 2);
	cr_assert_eq(q.cont.b[0], 0xaa);
	cr_assert_eq(q.max_records, 10);
	cr_assert_eq(q.pattern.n, 1);
	struct sdp_uuid spp = sdp_uuid16(0x1101);
	cr_assert(sdp_uuid_eq(&q.pattern.uuid[0], &spp));
}

Test(sdp_codec, names)
{
	cr_assert_str_eq(sdp_pdu_name(SDP_SERVICE_SEARCH_ATTR_REQ),
			 "sdp_service_search_attribute_request");
	cr_assert_str_eq(sdp_pdu_name(0x42), "sdp_unknown");
	cr_assert_str_eq(sdp_error_name(SDP_ERR_INVALID_CONTINUATION), "invalid continuation state");
	cr_assert_str_eq(sdp_error_name(0x4242), "unknown SDP error");
}
