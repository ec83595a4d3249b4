/* libFuzzer target: K-frame reassembly, segmentation and credits on one
 * open LE credit based channel. The first 6 bytes choose the peer's MTU,
 * MPS and initial credits; then operations [op][len][bytes]: a K-frame
 * from the peer, a Flow Control Credit Indication, an SDU to send, a hold
 * or release of our credits. Invariants: no SDU longer than our MTU is
 * delivered, no K-frame we send exceeds the peer's MPS, the credits we hold
 * never pass 65535, and a channel is only ever closed with a reason. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/l2cap/l2cap.h"

#define H 0x0040
#define OUR_MTU 200
#define OUR_MPS 40

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void check(struct l2cap *l, uint16_t peer_mps)
{
	for (size_t i = 0; i < l->out.n; i++) {
		const struct l2cap_out *o = &l->out.v[i];
		if (o->kind == L2CAP_OUT_COC_SDU && o->len > OUR_MTU)
			__builtin_trap();
		if (o->kind == L2CAP_OUT_FRAME && L2CAP_CID_IS_DYNAMIC(o->cid) &&
		    o->len - 4 > peer_mps)
			__builtin_trap();
		if (o->kind == L2CAP_OUT_COC_CLOSED && o->status == 0)
			__builtin_trap(); /* nobody asked for it */
	}
	l2cap_outbox_clear(l);
	struct l2cap_chan *ch = l2cap_chan_find(l, H, 0x40);
	if (ch && ch->tx_credits > 65535)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 6)
		return 0;
	struct l2cap *l = l2cap_new(NULL);
	if (!l)
		return 0;
	l2cap_link_add(l, H, L2CAP_ROLE_CENTRAL);
	struct l2cap_coc_policy pol = { .rx = { OUR_MTU, OUR_MPS, 4 } };
	l2cap_coc_listen(l, 0x80, "srv", &pol);
	uint16_t peer_mtu = le16(data), peer_mps = le16(data + 2), credits = le16(data + 4);
	data += 6;
	size -= 6;
	uint8_t req[] = { 10, 0, 5, 0, 0x14, 1, 10, 0, 0x80, 0, 0x50, 0,
			  (uint8_t)peer_mtu, (uint8_t)(peer_mtu >> 8), (uint8_t)peer_mps,
			  (uint8_t)(peer_mps >> 8), (uint8_t)credits, (uint8_t)(credits >> 8) };
	l2cap_on_frame(l, H, req, sizeof req, 0);
	check(l, peer_mps);
	uint8_t frame[4 + 256];
	while (size >= 2) {
		uint8_t op = data[0];
		size_t len = data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		switch (op & 3) {
		case 0: /* a K-frame to our CID */
			frame[0] = (uint8_t)len;
			frame[1] = 0;
			frame[2] = 0x40;
			frame[3] = 0;
			memcpy(frame + 4, data, len);
			l2cap_on_frame(l, H, frame, len + 4, 0);
			break;
		case 1: { /* credits from the peer */
			uint8_t ind[] = { 8, 0, 5, 0, 0x16, (uint8_t)(op | 1), 4, 0, 0x50, 0,
					  len ? data[0] : 0, (uint8_t)(op >> 2) };
			l2cap_on_frame(l, H, ind, sizeof ind, 0);
			break;
		}
		case 2: { /* an SDU of ours, up to 4 KB */
			static const uint8_t zeros[4096];
			size_t n = (size_t)len * 16 + (op >> 2);
			l2cap_coc_send(l, H, 0x40, zeros, n);
			break;
		}
		default:
			l2cap_coc_rx_hold(l, H, 0x40, op & 4);
			break;
		}
		check(l, peer_mps);
		data += len;
		size -= len;
	}
	l2cap_destroy(&l);
	return 0;
}
