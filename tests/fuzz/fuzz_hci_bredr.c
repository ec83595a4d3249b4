/* libFuzzer target: BR/EDR HCI events through the host's event table and
 * hci_codec_bredr's decoders, on a host whose controller does BR/EDR with
 * Simple Pairing (two ACL pools), with requests under way. The input is a
 * list of packets [kind][len, 2 octets LE][bytes] (a BR/EDR event may be
 * 257 octets): kind bit 0 ACL instead of an event,
 * bit 1 also an L2CAP frame to send on handle 0x0001, bit 2 time passes,
 * bit 3 starts BR/EDR requests (inquiry, connect, name, authenticate,
 * role switch, flush) first. The outputs are drained after each packet.
 * The whole input is also read as a host snapshot (its BR/EDR part first,
 * host_bredr_snapshot_read, then the connection table). */
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

static void requests(struct host *h)
{
	static const uint8_t peer[6] = { 1, 2, 3, 4, 5, 6 };
	const char *why;
	host_bredr_inquiry(h, 17, 2, 0, &why);
	host_bredr_connect(h, 18, peer, 1000, true, &why);
	host_bredr_remote_name(h, 19, peer, &why);
	host_bredr_authenticate(h, 20, 0x0001, true, &why);
	host_bredr_switch_role(h, 21, 0x0001, 0, &why);
	host_bredr_flush(h, 22, 0x0001, &why);
	host_bredr_scan_enable(h, 23, true, true, false, &why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host h;
	host_init(&h, 100);
	if (host_resume(&h, data, size) == 0 &&
	    (h.acl.br_free > h.acl.br_total || h.acl.free > h.acl.total))
		__builtin_trap();
	host_fini(&h);
	host_init(&h, 100);
	h.ctrl.features[6] = 0x08; /* Secure Simple Pairing */
	host_acl_set_buffers(&h.acl, 27, 3);
	host_acl_set_bredr_buffers(&h.acl, 1021, 4);
	h.ready = true;
	host_bredr_setup(&h);
	uint64_t now = 0;
	while (size >= 3) {
		uint8_t kind = data[0];
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (kind & 8)
			requests(&h);
		if (kind & 2)
			host_on_l2cap(&h, 0x0001, data, len);
		host_on_hci(&h, kind & 1 ? HOST_HCI_ACL : HOST_HCI_EVENT, data, len, now);
		if (kind & 4) {
			now += 1500;
			host_on_time(&h, now);
		}
		drain(&h);
		if (h.acl.free > h.acl.total || h.acl.br_free > h.acl.br_total)
			__builtin_trap();
		data += len;
		size -= len;
	}
	host_fini(&h);
	return 0;
}
