/* libFuzzer target: the SDP client's browse (actors/sdp/sdp_client.c). The
 * input is a list of answers [len_hi][len_lo][bytes] fed to
 * sdp_browse_response() in turn, with the transaction ID of each patched
 * to the expected one half of the time (so the decoders behind it are
 * reached); a completed browse is walked and every value formatted. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/sdp/sdp_client.h"

static void on_attr(uint32_t record, unsigned index, uint16_t id, const struct sdp_de *v,
		    void *arg)
{
	char out[96];
	size_t n = sdp_de_format(v, out, sizeof out);
	if (n >= sizeof out || strlen(out) != n)
		__builtin_trap();
	(void)sdp_attr_name(id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_browse b;
	uint8_t pdu[1024], req[128];
	sdp_browse_init(&b, size ? (uint16_t)(data[0] * 4) : 0);
	while (size >= 2) {
		size_t len = (size_t)(data[0] << 8 | data[1]) % sizeof pdu;
		bool patch = data[0] & 0x80;
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		memcpy(pdu, data, len);
		if (patch && len >= 3) {
			pdu[1] = (uint8_t)(b.tid >> 8);
			pdu[2] = (uint8_t)b.tid;
		}
		struct wr w = wr_init(req, sizeof req);
		if (sdp_browse_request(&b, &w) < 0)
			__builtin_trap();
		uint16_t err;
		int rc = sdp_browse_response(&b, pdu, len, &err);
		if (rc == 0 && sdp_browse_each(&b, on_attr, NULL) < -EBADMSG)
			__builtin_trap();
		if (rc <= 0 && rc != -EBADMSG && rc != -EREMOTEIO)
			break;
		data += len;
		size -= len;
	}
	sdp_browse_free(&b);
	return 0;
}
