/* libFuzzer target: SDP requests into the server with a sample database.
 * The input is a list of operations [op][len][bytes]:
 *   op & 3 == 0  the bytes as one PDU on channel (op >> 2) & 1
 *   op & 3 == 1  the channel's MTU becomes 48 + the first byte * 4
 *   op & 3 == 2  the channel closes (or, with op & 4, the link goes)
 *   op & 3 == 3  the last request of the channel that ended in an empty
 *                continuation state, asked again with the state of the last
 *                answer on the channel (so continuations are reached and
 *                followed to the end), its last byte xored with the first
 *                byte given
 * Every answer must decode, be a response to what was asked (or an Error
 * Response), carry the request's transaction ID and fit the channel's MTU. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/sdp/sdp_server.h"

static const char *db_json =
	"{\"records\": ["
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x1101\"],"
	"   \"0x0004\": [[\"uuid16:0x0100\"], [\"uuid16:0x0003\", \"uint8:1\"]],"
	"   \"0x0005\": [\"uuid16:0x1002\"], \"0x0100\": \"text:Serial Port\"}},"
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x1105\"],"
	"   \"0x0004\": [[\"uuid16:0x0100\"], [\"uuid16:0x0003\", \"uint8:2\"], [\"uuid16:0x0008\"]],"
	"   \"0x0009\": [[\"uuid16:0x1105\", \"uint16:0x0102\"]],"
	"   \"0x0100\": \"text:OBEX Object Push\", \"0x0303\": [\"uint8:1\", \"uint8:2\"]}},"
	" {\"handle\": \"0x00010100\", \"attributes\": {"
	"   \"0x0001\": [\"uuid128:12345678-1234-5678-1234-56789abcdef0\", \"uuid32:0x00011101\"],"
	"   \"0x0006\": [\"uint16:0x656e\", \"uint16:0x006a\", \"uint16:0x0100\"],"
	"   \"0x0101\": \"text:a long description that needs more than one answer at MTU 48, "
	"and more than that at a small MaximumAttributeByteCount\","
	"   \"0x0102\": {\"alt\": [\"url:http://example.com\", \"int128:0x00000000000000000000000000000001\"]}}}"
	"]}";

struct chan {
	uint16_t mtu;
	uint8_t base[256]; /* the last request less its empty state */
	size_t base_len;
	struct sdp_cont cont; /* of the last answer */
};

static void check(const uint8_t *req, size_t req_len, const struct sdp_out_pdu *o,
		  uint16_t mtu, struct sdp_cont *cont)
{
	struct sdp_hdr h;
	if (o->len > mtu || sdp_decode_hdr(o->pdu, o->len, &h) != 0)
		__builtin_trap();
	if (req_len >= 3 && h.tid != (uint16_t)(req[1] << 8 | req[2]))
		__builtin_trap();
	cont->len = 0;
	const uint8_t *p = o->pdu + SDP_HDR_LEN;
	if (h.pdu_id == SDP_ERROR_RSP) {
		uint16_t code;
		if (sdp_decode_error_rsp(p, h.plen, &code) || code < 1 || code > 6)
			__builtin_trap();
		return;
	}
	if (!req_len || h.pdu_id != req[0] + 1)
		__builtin_trap();
	if (h.pdu_id == SDP_SERVICE_SEARCH_RSP) {
		struct sdp_service_search_rsp r;
		if (sdp_decode_service_search_rsp(p, h.plen, &r))
			__builtin_trap();
		*cont = r.cont;
	} else {
		struct sdp_attr_rsp r;
		if (sdp_decode_attr_rsp(p, h.plen, &r))
			__builtin_trap();
		*cont = r.cont;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The fuzzer's only state: big buffers, and the database, which does
	 * not change once loaded. */
	static struct sdp_outbox out;
	static struct chan ch[2];
	static struct sdp_db *db;
	struct sdp_server *s;
	char err[256];
	if (!db && sdp_db_load_json_string(&db, db_json, "fuzz", err, sizeof err) < 0)
		__builtin_trap();
	struct sdp_server_config cfg = { .default_mtu = 672, .seed = 7 };
	if (sdp_server_new(&s, db, &cfg) < 0)
		__builtin_trap();
	memset(ch, 0, sizeof ch);
	ch[0].mtu = ch[1].mtu = 672;
	struct rd r = rd_init(data, size);
	while (r.left >= 2) {
		uint8_t op = rd_u8(&r);
		size_t n = rd_u8(&r);
		if (n > r.left)
			n = r.left;
		const uint8_t *b = rd_ptr(&r, n);
		unsigned c = (op >> 2) & 1;
		uint16_t cid = (uint16_t)(0x40 + c);
		struct chan *k = &ch[c];
		uint8_t pdu[256 + SDP_CONT_MAX + 1];
		size_t len = 0;
		switch (op & 3) {
		case 0:
			memcpy(pdu, b, n);
			len = n;
			break;
		case 1:
			k->mtu = (uint16_t)(48 + (n ? b[0] : 0) * 4);
			if (sdp_server_set_mtu(s, 1, cid, k->mtu) < 0)
				__builtin_trap();
			continue;
		case 2:
			if (op & 4)
				sdp_server_link_down(s, 1), ch[0].mtu = ch[1].mtu = 672;
			else
				sdp_server_channel_closed(s, 1, cid), k->mtu = 672;
			continue;
		default:
			/* The last request, asked with the last answer's state. */
			if (!k->base_len)
				continue;
			len = k->base_len;
			memcpy(pdu, k->base, len);
			pdu[len++] = k->cont.len;
			memcpy(pdu + len, k->cont.b, k->cont.len);
			len += k->cont.len;
			pdu[3] = (uint8_t)((len - SDP_HDR_LEN) >> 8);
			pdu[4] = (uint8_t)(len - SDP_HDR_LEN);
			if (n)
				pdu[len - 1] ^= b[0];
		}
		/* A request ending in an empty state can be continued. */
		if ((op & 3) == 0 && len > SDP_HDR_LEN && pdu[len - 1] == 0 &&
		    len - 1 <= sizeof k->base) {
			memcpy(k->base, pdu, len - 1);
			k->base_len = len - 1;
		}
		out.n = 0;
		int rc = sdp_server_on_pdu(s, 1, cid, pdu, len, &out);
		if (rc == -EPROTO) {
			if (out.n)
				__builtin_trap();
			continue;
		}
		if (rc != 0 || out.n != 1)
			__builtin_trap();
		check(pdu, len, &out.pdus[0], k->mtu, &k->cont);
	}
	sdp_server_destroy(&s);
	return 0;
}
