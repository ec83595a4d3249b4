/* libFuzzer target: the ACL reassembler, fragmenter and credit accounting.
 * The input is a list of operations [op][len][bytes]: ACL packet in, L2CAP
 * frame out, take fragments, completions, link removal and addition. The
 * credits must never exceed the controller's buffers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/host/hci_codec.h"
#include "../../actors/host/host_acl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_acl acl;
	uint8_t out[HCI_ACL_HDR_LEN + HOST_ACL_FRAG_MAX];
	host_acl_init(&acl, 27, 4);
	host_acl_link_add(&acl, 0x40);
	host_acl_link_add(&acl, 0x41);
	while (size >= 2) {
		uint8_t op = data[0];
		size_t len = data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		uint16_t handle = op & 0x10 ? 0x41 : 0x40;
		switch (op & 0x7) {
		case 0: {
			uint16_t h;
			const uint8_t *frame;
			size_t flen;
			if (host_acl_rx(&acl, data, len, &h, &frame, &flen) == 1) {
				struct rd r = rd_init(frame, flen);
				if ((size_t)rd_le16(&r) + L2CAP_HDR_LEN != flen)
					__builtin_trap();
			}
			break;
		}
		case 1:
			host_acl_tx_submit(&acl, handle, data, len);
			break;
		case 2:
			for (unsigned i = 0; i < (len & 7) + 1u; i++) {
				int n = host_acl_tx_next(&acl, out, sizeof out);
				if (n > (int)sizeof out || (n > 0 && n < HCI_ACL_HDR_LEN))
					__builtin_trap();
			}
			break;
		case 3:
			host_acl_completed(&acl, handle, len & 7);
			break;
		case 4:
			host_acl_link_remove(&acl, handle);
			break;
		case 5:
			host_acl_link_add(&acl, handle);
			break;
		default:
			host_acl_set_buffers(&acl, (uint16_t)(len * 4), (len & 7) + 1u);
			break;
		}
		if (acl.free > acl.total)
			__builtin_trap();
		data += len;
		size -= len;
	}
	host_acl_fini(&acl);
	return 0;
}
