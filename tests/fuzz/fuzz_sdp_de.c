/* libFuzzer target: SDP data elements. Any bytes into the strict decoder;
 * what it accepts is encoded again with minimal size descriptors, which
 * must decode, hold the same UUIDs and be no longer than the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/sdp/sdp_de.h"

/* Re-encodes one element (valid, so every read succeeds). */
static void reencode(struct rd *r, struct wr *w)
{
	struct sdp_de de;
	if (sdp_de_read(r, &de) < 0)
		__builtin_trap();
	switch (de.type) {
	case SDP_DE_SEQ:
	case SDP_DE_ALT: {
		size_t s = sdp_de_seq_open(w);
		struct rd in = rd_init(de.data, de.len);
		while (in.left)
			reencode(&in, w);
		sdp_de_seq_close(w, s, de.type);
		break;
	}
	case SDP_DE_TEXT:
	case SDP_DE_URL:
		sdp_de_put_string(w, de.type, de.data, de.len);
		break;
	default:
		if (sdp_de_put_header(w, de.type, de.len) < 0)
			__builtin_trap();
		wr_bytes(w, de.data, de.len);
	}
}

static void count(const struct sdp_uuid *u, void *arg)
{
	uint32_t *h = arg;
	for (int i = 0; i < 16; i++)
		*h = *h * 31 + u->b[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 17]; /* the fuzzer's only state */
	struct sdp_de de;
	struct rd r = rd_init(data, size);
	bool valid = sdp_de_read_deep(&r, &de, SDP_DE_MAX_DEPTH) == 0 && rd_end(&r);
	if (valid != sdp_de_valid(data, size))
		__builtin_trap();
	if (!valid || size + SDP_DE_SEQ_HDR_MAX * SDP_DE_MAX_DEPTH > sizeof out)
		return 0;
	(void)sdp_de_uint(&de);
	struct wr w = wr_init(out, sizeof out);
	r = rd_init(data, size);
	reencode(&r, &w);
	if (!wr_ok(&w) || w.len > size || !sdp_de_valid(out, w.len))
		__builtin_trap();
	uint32_t a = 0, b = 0;
	if (sdp_de_each_uuid(data, size, count, &a) != sdp_de_each_uuid(out, w.len, count, &b) ||
	    a != b)
		__builtin_trap();
	/* Minimal already: encoding again changes nothing. */
	static uint8_t again[1 << 17];
	struct wr w2 = wr_init(again, sizeof again);
	r = rd_init(out, w.len);
	reencode(&r, &w2);
	if (w2.len != w.len || memcmp(again, out, w.len))
		__builtin_trap();
	return 0;
}
