/* libFuzzer target: the LE signaling dispatcher and its handlers, with the
 * fixed channel routing. The input is a list of operations [op][len][bytes]:
 * a C-frame on 0x0005 of one of two links (central, peripheral), a raw
 * basic frame, time passing, and the local requests (parameter update,
 * channel connect, send, disconnect, link drop and re-add). Everything the
 * state machine sends must be a well-formed frame, every signaling command
 * must fit the peer's minimum MTUsig (23), every K-frame the peer's MPS. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/l2cap/l2cap.h"

static void check_outbox(struct l2cap *l)
{
	for (size_t i = 0; i < l->out.n; i++) {
		const struct l2cap_out *o = &l->out.v[i];
		if (o->kind != L2CAP_OUT_FRAME)
			continue;
		struct l2cap_frame f;
		if (l2cap_frame_decode(o->data, o->len, &f) < 0)
			__builtin_trap();
		if (f.cid == L2CAP_CID_LE_SIGNALING) {
			struct l2cap_sig s;
			if (f.len > L2CAP_LE_MTU_SIG || l2cap_sig_decode(f.payload, f.len, &s) < 0 ||
			    s.ident == 0)
				__builtin_trap();
		}
		if (L2CAP_CID_IS_DYNAMIC(f.cid) && f.len > L2CAP_LE_MPS_MAX)
			__builtin_trap();
	}
	l2cap_outbox_clear(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l2cap *l = l2cap_new(NULL);
	if (!l)
		return 0;
	uint64_t now = 0;
	l2cap_link_add(l, 0x40, L2CAP_ROLE_CENTRAL);
	l2cap_link_add(l, 0x41, L2CAP_ROLE_PERIPHERAL);
	struct l2cap_coc_policy pol = { .rx = { 64, 30, 3 } };
	l2cap_coc_listen(l, 0x80, "srv", &pol);
	pol.sec_level = L2CAP_SEC_ENCRYPTED;
	l2cap_coc_listen(l, 0x81, "sec", &pol);
	uint8_t frame[4 + 256];
	while (size >= 2) {
		uint8_t op = data[0];
		size_t len = data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		uint16_t handle = op & 0x80 ? 0x41 : 0x40;
		struct l2cap_conn_params cp = { 6, 12, 0, 200 };
		struct l2cap_coc_params rx = { 100, 40, 2 };
		switch (op & 0x0f) {
		case 0: case 1: case 2: case 3: /* a C-frame */
			frame[0] = (uint8_t)len;
			frame[1] = 0;
			frame[2] = 0x05;
			frame[3] = 0x00;
			memcpy(frame + 4, data, len);
			l2cap_on_frame(l, handle, frame, len + 4, now);
			break;
		case 4: /* any bytes as a basic frame */
			l2cap_on_frame(l, handle, data, len, now);
			break;
		case 5:
			now += (uint64_t)len * 1000;
			l2cap_on_time(l, now);
			break;
		case 6:
			if (len >= 8)
				memcpy(&cp, data, 8);
			l2cap_request_conn_params(l, handle, &cp, "app", len, now);
			break;
		case 7:
			l2cap_coc_connect(l, handle, len ? (uint16_t)len : 0x80, "cli", &rx, op, now);
			break;
		case 8:
			if (len >= 1)
				l2cap_coc_send(l, handle, (uint16_t)(0x40 + (data[0] & 0x3f)), data,
					       len - 1);
			break;
		case 9:
			if (len >= 1)
				l2cap_coc_disconnect(l, handle, (uint16_t)(0x40 + (data[0] & 0x3f)),
						     now);
			break;
		case 10:
			l2cap_link_remove(l, handle);
			l2cap_link_add(l, handle, op & 0x80 ? L2CAP_ROLE_PERIPHERAL :
							       L2CAP_ROLE_CENTRAL);
			break;
		case 11: {
			struct l2cap_security sec = { .encrypted = op & 0x10, .ltk_present = op & 0x20,
						      .authenticated = op & 0x40, .key_size = 16 };
			l2cap_link_set_security(l, handle, &sec);
			break;
		}
		case 12:
			if (len >= 1)
				l2cap_coc_rx_hold(l, handle, (uint16_t)(0x40 + (data[0] & 0x3f)),
						  op & 0x10);
			break;
		default:
			l2cap_send_fixed(l, handle, (uint16_t)(op >> 4), data, len);
			break;
		}
		check_outbox(l);
		if (l2cap_deadline(l) != UINT64_MAX && l2cap_deadline(l) < now)
			__builtin_trap();
		data += len;
		size -= len;
	}
	l2cap_destroy(&l);
	return 0;
}
