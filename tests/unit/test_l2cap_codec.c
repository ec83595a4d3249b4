/* The L2CAP codec: byte-exact vectors for the basic frame and every LE
 * signaling PDU, both ways, and every PDU truncated by one byte refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../actors/l2cap/l2cap_codec.h"

#define BYTES(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

struct vector {
	const char *what;
	uint8_t bytes[32];
	size_t len;
	struct l2cap_sig sig;
};

#define V(what_, sig_, ...)                                                             \
	{ .what = what_, .bytes = { __VA_ARGS__ }, .len = sizeof((uint8_t[]){ __VA_ARGS__ }), \
	  .sig = sig_ }

static const struct vector vectors[] = {
	V("command reject: not understood",
	  ((struct l2cap_sig){ .code = 0x01, .ident = 1, .u.command_reject = { .reason = 0 } }),
	  0x01, 0x01, 0x02, 0x00, 0x00, 0x00),
	V("command reject: signaling MTU exceeded",
	  ((struct l2cap_sig){ .code = 0x01, .ident = 2,
			       .u.command_reject = { .reason = 1, .mtu = 23 } }),
	  0x01, 0x02, 0x04, 0x00, 0x01, 0x00, 0x17, 0x00),
	V("command reject: invalid CID",
	  ((struct l2cap_sig){ .code = 0x01, .ident = 3,
			       .u.command_reject = { .reason = 2, .local_cid = 0x40,
						     .remote_cid = 0x41 } }),
	  0x01, 0x03, 0x06, 0x00, 0x02, 0x00, 0x40, 0x00, 0x41, 0x00),
	V("disconnection request",
	  ((struct l2cap_sig){ .code = 0x06, .ident = 4,
			       .u.disconnection = { .dcid = 0x40, .scid = 0x41 } }),
	  0x06, 0x04, 0x04, 0x00, 0x40, 0x00, 0x41, 0x00),
	V("disconnection response",
	  ((struct l2cap_sig){ .code = 0x07, .ident = 4,
			       .u.disconnection = { .dcid = 0x40, .scid = 0x41 } }),
	  0x07, 0x04, 0x04, 0x00, 0x40, 0x00, 0x41, 0x00),
	V("connection parameter update request",
	  ((struct l2cap_sig){ .code = 0x12, .ident = 5,
			       .u.cpu_request = { .interval_min = 6, .interval_max = 12,
						  .latency = 0, .timeout = 200 } }),
	  0x12, 0x05, 0x08, 0x00, 0x06, 0x00, 0x0c, 0x00, 0x00, 0x00, 0xc8, 0x00),
	V("connection parameter update response",
	  ((struct l2cap_sig){ .code = 0x13, .ident = 5, .u.result = { .result = 1 } }),
	  0x13, 0x05, 0x02, 0x00, 0x01, 0x00),
	V("LE credit based connection request",
	  ((struct l2cap_sig){ .code = 0x14, .ident = 6,
			       .u.le_conn_request = { .spsm = 0x80, .scid = 0x40, .mtu = 512,
						      .mps = 23, .credits = 10 } }),
	  0x14, 0x06, 0x0a, 0x00, 0x80, 0x00, 0x40, 0x00, 0x00, 0x02, 0x17, 0x00, 0x0a, 0x00),
	V("LE credit based connection response",
	  ((struct l2cap_sig){ .code = 0x15, .ident = 6,
			       .u.le_conn_response = { .dcid = 0x41, .mtu = 256, .mps = 64,
						       .credits = 5, .result = 0 } }),
	  0x15, 0x06, 0x0a, 0x00, 0x41, 0x00, 0x00, 0x01, 0x40, 0x00, 0x05, 0x00, 0x00, 0x00),
	V("flow control credit indication",
	  ((struct l2cap_sig){ .code = 0x16, .ident = 7,
			       .u.credit_ind = { .cid = 0x40, .credits = 0xffff } }),
	  0x16, 0x07, 0x04, 0x00, 0x40, 0x00, 0xff, 0xff),
	V("credit based connection request, 2 CIDs",
	  ((struct l2cap_sig){ .code = 0x17, .ident = 8,
			       .u.ecred_conn_request = { .spsm = 0x80, .mtu = 64, .mps = 64,
							 .credits = 5, .ncid = 2,
							 .scid = { 0x40, 0x41 } } }),
	  0x17, 0x08, 0x0c, 0x00, 0x80, 0x00, 0x40, 0x00, 0x40, 0x00, 0x05, 0x00, 0x40, 0x00,
	  0x41, 0x00),
	V("credit based connection request, 5 CIDs",
	  ((struct l2cap_sig){ .code = 0x17, .ident = 9,
			       .u.ecred_conn_request = { .spsm = 0x81, .mtu = 100, .mps = 64,
							 .credits = 1, .ncid = 5,
							 .scid = { 0x40, 0x41, 0x42, 0x43, 0x44 } } }),
	  0x17, 0x09, 0x12, 0x00, 0x81, 0x00, 0x64, 0x00, 0x40, 0x00, 0x01, 0x00, 0x40, 0x00,
	  0x41, 0x00, 0x42, 0x00, 0x43, 0x00, 0x44, 0x00),
	V("credit based connection response",
	  ((struct l2cap_sig){ .code = 0x18, .ident = 8,
			       .u.ecred_conn_response = { .mtu = 64, .mps = 64, .credits = 5,
							  .result = 4, .ncid = 2,
							  .dcid = { 0x50, 0x00 } } }),
	  0x18, 0x08, 0x0c, 0x00, 0x40, 0x00, 0x40, 0x00, 0x05, 0x00, 0x04, 0x00, 0x50, 0x00,
	  0x00, 0x00),
	V("credit based reconfigure request",
	  ((struct l2cap_sig){ .code = 0x19, .ident = 10,
			       .u.reconf_request = { .mtu = 100, .mps = 64, .ncid = 1,
						     .dcid = { 0x40 } } }),
	  0x19, 0x0a, 0x06, 0x00, 0x64, 0x00, 0x40, 0x00, 0x40, 0x00),
	V("credit based reconfigure response",
	  ((struct l2cap_sig){ .code = 0x1a, .ident = 10, .u.result = { .result = 3 } }),
	  0x1a, 0x0a, 0x02, 0x00, 0x03, 0x00),
};

#define N_VECTORS (sizeof vectors / sizeof vectors[0])

Test(l2cap_codec, basic_frame)
{
	struct l2cap_frame f;
	const uint8_t att[] = { 0x03, 0x00, 0x04, 0x00, 0x0a, 0x01, 0x00 };
	cr_assert_eq(l2cap_frame_decode(att, sizeof att, &f), 0);
	cr_assert_eq(f.cid, 0x0004);
	cr_assert_eq(f.len, 3);
	cr_assert_eq(f.payload, att + 4);
	/* Empty payload. */
	cr_assert_eq(l2cap_frame_decode(BYTES(0x00, 0x00, 0x05, 0x00), &f), 0);
	cr_assert_eq(f.len, 0);
	/* Short by one, long by one, short header. */
	cr_assert_eq(l2cap_frame_decode(BYTES(0x03, 0x00, 0x04, 0x00, 0x0a, 0x01), &f), -EBADMSG);
	cr_assert_eq(l2cap_frame_decode(BYTES(0x01, 0x00, 0x04, 0x00, 0x0a, 0x01), &f), -EBADMSG);
	cr_assert_eq(l2cap_frame_decode(BYTES(0x00, 0x00, 0x04), &f), -EBADMSG);
	cr_assert_eq(l2cap_frame_decode(NULL, 0, &f), -EBADMSG);

	uint8_t buf[4];
	struct wr w = wr_init(buf, sizeof buf);
	l2cap_frame_header_write(&w, 0x0040, 0x1234);
	cr_assert(wr_ok(&w));
	cr_assert_eq(memcmp(buf, (uint8_t[]){ 0x34, 0x12, 0x40, 0x00 }, 4), 0);
}

Test(l2cap_codec, vectors_decode)
{
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct vector *v = &vectors[i];
		struct l2cap_sig s;
		memset(&s, 0xee, sizeof s);
		cr_assert_eq(l2cap_sig_decode(v->bytes, v->len, &s), 0, "%s", v->what);
		cr_assert_eq(s.code, v->sig.code, "%s", v->what);
		cr_assert_eq(s.ident, v->sig.ident, "%s", v->what);
		/* Compare the decoded union member by re-encoding both. */
		uint8_t a[64], b[64];
		struct wr wa = wr_init(a, sizeof a), wb = wr_init(b, sizeof b);
		cr_assert_eq(l2cap_sig_encode(&wa, &s), 0, "%s", v->what);
		cr_assert_eq(l2cap_sig_encode(&wb, &v->sig), 0, "%s", v->what);
		cr_assert_eq(wa.len, wb.len, "%s", v->what);
		cr_assert_eq(memcmp(a, b, wa.len), 0, "%s", v->what);
	}
}

Test(l2cap_codec, vectors_encode_byte_exact)
{
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct vector *v = &vectors[i];
		uint8_t out[64];
		struct wr w = wr_init(out, sizeof out);
		cr_assert_eq(l2cap_sig_encode(&w, &v->sig), 0, "%s", v->what);
		cr_assert_eq(w.len, v->len, "%s: %zu bytes", v->what, w.len);
		cr_assert_eq(memcmp(out, v->bytes, v->len), 0, "%s", v->what);
		/* One byte less room: refused, not truncated. */
		struct wr small = wr_init(out, v->len - 1);
		cr_assert_eq(l2cap_sig_encode(&small, &v->sig), -EMSGSIZE, "%s", v->what);
	}
}

Test(l2cap_codec, decoded_fields)
{
	struct l2cap_sig s;
	cr_assert_eq(l2cap_sig_decode(vectors[5].bytes, vectors[5].len, &s), 0);
	cr_assert_eq(s.u.cpu_request.interval_min, 6);
	cr_assert_eq(s.u.cpu_request.interval_max, 12);
	cr_assert_eq(s.u.cpu_request.timeout, 200);
	cr_assert_eq(l2cap_sig_decode(vectors[7].bytes, vectors[7].len, &s), 0);
	cr_assert_eq(s.u.le_conn_request.spsm, 0x80);
	cr_assert_eq(s.u.le_conn_request.scid, 0x40);
	cr_assert_eq(s.u.le_conn_request.mtu, 512);
	cr_assert_eq(s.u.le_conn_request.mps, 23);
	cr_assert_eq(s.u.le_conn_request.credits, 10);
	cr_assert_eq(l2cap_sig_decode(vectors[11].bytes, vectors[11].len, &s), 0);
	cr_assert_eq(s.u.ecred_conn_request.ncid, 5);
	cr_assert_eq(s.u.ecred_conn_request.scid[4], 0x44);
	cr_assert_eq(l2cap_sig_decode(vectors[12].bytes, vectors[12].len, &s), 0);
	cr_assert_eq(s.u.ecred_conn_response.ncid, 2);
	cr_assert_eq(s.u.ecred_conn_response.dcid[0], 0x50);
	cr_assert_eq(s.u.ecred_conn_response.result, L2CAP_ECRED_SOME_NO_RESOURCES);
	cr_assert_eq(l2cap_sig_decode(vectors[2].bytes, vectors[2].len, &s), 0);
	cr_assert_eq(s.u.command_reject.local_cid, 0x40);
	cr_assert_eq(s.u.command_reject.remote_cid, 0x41);
}

/* Every PDU short by one byte is refused: as the C-frame is (the header's
 * length no longer matches), and with the header's length corrected (the
 * data is too short for its code). */
Test(l2cap_codec, every_pdu_truncated_by_one_is_refused)
{
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct vector *v = &vectors[i];
		struct l2cap_sig s;
		cr_assert_eq(l2cap_sig_decode(v->bytes, v->len - 1, &s), -EBADMSG, "%s", v->what);
		uint8_t b[32];
		memcpy(b, v->bytes, v->len - 1);
		b[2] = (uint8_t)(v->len - 1 - L2CAP_SIG_HDR_LEN);
		cr_assert_eq(l2cap_sig_decode(b, v->len - 1, &s), -EPROTO, "%s", v->what);
		/* And a byte too many. */
		memcpy(b, v->bytes, v->len);
		b[v->len] = 0;
		b[2] = (uint8_t)(v->len + 1 - L2CAP_SIG_HDR_LEN);
		cr_assert_eq(l2cap_sig_decode(b, v->len + 1, &s), -EPROTO, "%s", v->what);
	}
	/* Every header shorter than 4 bytes. */
	struct l2cap_sig s;
	for (size_t n = 0; n < L2CAP_SIG_HDR_LEN; n++)
		cr_assert_eq(l2cap_sig_decode(vectors[0].bytes, n, &s), -EBADMSG);
}

Test(l2cap_codec, min_len_matches_shortest_pdu)
{
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct vector *v = &vectors[i];
		int min = l2cap_sig_min_len(v->sig.code);
		cr_assert_geq(min, 0, "%s", v->what);
		cr_assert_leq((size_t)min, v->len - L2CAP_SIG_HDR_LEN, "%s", v->what);
	}
	cr_assert_eq(l2cap_sig_min_len(0x02), -1);
	cr_assert_str_eq(l2cap_sig_name(0x12), "l2cap_connection_parameter_update_request");
	cr_assert_str_eq(l2cap_sig_name(0x02), "l2cap_unknown_command");
	cr_assert_str_eq(l2cap_le_result_str(0x000b), "unacceptable parameters");
	cr_assert_str_eq(l2cap_reject_reason_str(2), "invalid CID in request");
}

Test(l2cap_codec, unknown_codes)
{
	struct l2cap_sig s;
	/* BR/EDR-only Connection Request, Echo, and an unassigned code. */
	cr_assert_eq(l2cap_sig_decode(BYTES(0x02, 0x01, 0x04, 0x00, 0x01, 0x00, 0x40, 0x00), &s),
		     -ENOTSUP);
	cr_assert_eq(s.code, 0x02);
	cr_assert_eq(s.ident, 0x01);
	cr_assert_eq(l2cap_sig_decode(BYTES(0x08, 0x02, 0x00, 0x00), &s), -ENOTSUP);
	cr_assert_eq(l2cap_sig_decode(BYTES(0xff, 0x03, 0x00, 0x00), &s), -ENOTSUP);
	uint8_t out[16];
	struct wr w = wr_init(out, sizeof out);
	s.code = 0xff;
	cr_assert_eq(l2cap_sig_encode(&w, &s), -EINVAL);
	cr_assert_eq(w.len, 0);
}

Test(l2cap_codec, ecred_cid_counts)
{
	struct l2cap_sig s;
	/* Request with no CID, with 6 CIDs, with an odd byte: refused. */
	cr_assert_eq(l2cap_sig_decode(BYTES(0x17, 0x01, 0x08, 0x00, 0x80, 0x00, 0x40, 0x00, 0x40,
					    0x00, 0x05, 0x00),
				      &s),
		     -EPROTO);
	cr_assert_eq(l2cap_sig_decode(BYTES(0x17, 0x01, 0x14, 0x00, 0x80, 0x00, 0x40, 0x00, 0x40,
					    0x00, 0x05, 0x00, 0x40, 0x00, 0x41, 0x00, 0x42, 0x00,
					    0x43, 0x00, 0x44, 0x00, 0x45, 0x00),
				      &s),
		     -EPROTO);
	/* A response with no CID is fine (all refused). */
	cr_assert_eq(l2cap_sig_decode(BYTES(0x18, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					    0x00, 0x02, 0x00),
				      &s),
		     0);
	cr_assert_eq(s.u.ecred_conn_response.ncid, 0);
	cr_assert_eq(s.u.ecred_conn_response.result, L2CAP_ECRED_SPSM_NOT_SUPPORTED);
	/* Reconfigure with no CID: refused. */
	cr_assert_eq(l2cap_sig_decode(BYTES(0x19, 0x01, 0x04, 0x00, 0x64, 0x00, 0x40, 0x00), &s),
		     -EPROTO);
	/* Encoding 0 or 6 CIDs in a request: refused. */
	uint8_t out[64];
	struct wr w = wr_init(out, sizeof out);
	struct l2cap_sig e = { .code = 0x17, .ident = 1 };
	cr_assert_eq(l2cap_sig_encode(&w, &e), -EINVAL);
	e.u.ecred_conn_request.ncid = 6;
	cr_assert_eq(l2cap_sig_encode(&w, &e), -EINVAL);
}

Test(l2cap_codec, command_reject_future_reason)
{
	struct l2cap_sig s;
	/* A reason from a later specification with data: accepted, data opaque. */
	cr_assert_eq(l2cap_sig_decode(BYTES(0x01, 0x01, 0x05, 0x00, 0x07, 0x00, 0xaa, 0xbb, 0xcc),
				      &s),
		     0);
	cr_assert_eq(s.u.command_reject.reason, 7);
	/* Known reasons must carry exactly their data. */
	cr_assert_eq(l2cap_sig_decode(BYTES(0x01, 0x01, 0x03, 0x00, 0x01, 0x00, 0x17), &s),
		     -EPROTO);
}
