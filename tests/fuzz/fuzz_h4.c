/* libFuzzer target: bytes into the H4 framer. The first byte picks the
 * direction, the ACL limit, the junk limit and a fixed-type endpoint; the
 * second the chunk size the rest is fed in (each chunk an exact-size heap
 * copy, so a read past what the framer holds is caught). Every packet
 * delivered must be one well-formed packet. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/hci/h4.h"

struct ctx {
	size_t acl_max;
	uint64_t packets;
	uint8_t sum;
};

static void on_packet(void *arg, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct ctx *c = arg;
	if (h4_check(type, pkt, len, c->acl_max) != 0)
		__builtin_trap();
	for (size_t i = 0; i < len; i++)
		c->sum ^= pkt[i];
	c->packets++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t mode = data[0];
	size_t chunk = data[1] ? data[1] : 4096;
	data += 2;
	size -= 2;
	struct h4 *h = malloc(sizeof *h);
	struct ctx c = { .acl_max = (mode & 2) ? 27 : H4_ACL_PAYLOAD_MAX };
	uint32_t types = (mode & 1) ? H4_FROM_HOST : H4_FROM_CONTROLLER;
	if (mode & 8)
		types = H4_BIT((mode & 16) ? H4_ACL : H4_EVENT);
	h4_init(h, types, on_packet, &c);
	h->acl_max = c.acl_max;
	h->junk_limit = (mode & 4) ? 1 + (mode >> 5) : 0;
	if (mode & 8)
		h->fixed_type = (mode & 16) ? H4_ACL : H4_EVENT;
	uint64_t fed = 0;
	while (size > 0) {
		size_t n = size < chunk ? size : chunk;
		uint8_t *copy = malloc(n);
		memcpy(copy, data, n);
		if (h4_feed(h, copy, n) < 0)
			h4_reset(h);
		free(copy);
		if (h->len > sizeof h->buf)
			__builtin_trap();
		fed += n;
		data += n;
		size -= n;
	}
	/* Nothing delivered that was not fed. */
	if (h->st.bytes > fed)
		__builtin_trap();
	free(h);
	return 0;
}
