/* libFuzzer target: HCI events (and ACL packets) through the host's event
 * dispatch table and decoders. The input is a list of packets, each
 * [type: bit 0 event/ACL][len][bytes]; after each one the host's outputs
 * are drained, as host_main.c would. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/host/host.h"

static void drain(struct host *h)
{
	uint8_t out[HCI_ACL_HDR_LEN + HOST_ACL_FRAG_MAX + 8];
	int type;
	while (host_next_hci(h, 0, out, sizeof out, &type) > 0)
		;
	h->out.count = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host h;
	host_init(&h, 100);
	/* A started host: buffers known, ready. */
	host_acl_set_buffers(&h.acl, 27, 3);
	h.ready = true;
	uint64_t now = 0;
	while (size >= 2) {
		uint8_t kind = data[0];
		size_t len = data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (kind & 2) {
			/* Also as an L2CAP frame to send on the first link. */
			host_on_l2cap(&h, 0x40, data, len);
		}
		host_on_hci(&h, kind & 1 ? HOST_HCI_ACL : HOST_HCI_EVENT, data, len, now);
		if (kind & 4) {
			now += 150;
			host_on_time(&h, now);
		}
		drain(&h);
		if (h.acl.free > h.acl.total)
			__builtin_trap();
		data += len;
		size -= len;
	}
	host_fini(&h);
	return 0;
}
