/* libFuzzer target: the BR/EDR signaling codec and dispatcher (CID 0x0001)
 * and basic-mode channels, with the configuration option parser. The input
 * is a list of operations [op][len][bytes]: a C-frame on 0x0001 of one of
 * two BR/EDR links, a raw basic frame, a B-frame on a dynamic CID, time
 * passing, and the local requests (connect by PSM, send, disconnect, echo,
 * link drop and re-add, security). Everything the state machine sends must
 * be a well-formed frame; every signaling frame must decode command by
 * command, have non-zero identifiers and fit our MTUsig; every B-frame must
 * fit the peer's MTU. */
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
		if (f.cid == L2CAP_CID_BREDR_SIGNALING) {
			if (f.len > L2CAP_SIG_HDR_LEN + L2CAP_BREDR_MTU_SIG_DEFAULT)
				__builtin_trap();
			struct rd r = rd_init(f.payload, f.len);
			uint8_t code, ident;
			const uint8_t *d;
			uint16_t dlen;
			int rc, n = 0;
			while ((rc = l2cap_bredr_sig_next(&r, &code, &ident, &d, &dlen)) > 0) {
				struct l2cap_bredr_sig s;
				if (ident == 0 || l2cap_bredr_sig_data_decode(code, d, dlen, &s) < 0)
					__builtin_trap();
				n++;
			}
			if (rc < 0 || n != 1)
				__builtin_trap();
		}
		if (f.cid >= L2CAP_CID_DYN_MIN && f.len > 65535)
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
	l2cap_link_add(l, 0x01, L2CAP_ROLE_CENTRAL);
	l2cap_link_set_bredr(l, 0x01);
	l2cap_link_add(l, 0x02, L2CAP_ROLE_PERIPHERAL);
	l2cap_link_set_bredr(l, 0x02);
	l2cap_psm_listen(l, 0x0001, "sdp", 0, L2CAP_SEC_NONE);
	l2cap_psm_listen(l, 0x0003, "rfcomm", 48, L2CAP_SEC_ENCRYPTED);
	uint8_t frame[4 + 256];
	while (size >= 2) {
		uint8_t op = data[0];
		size_t len = data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		uint16_t handle = op & 0x80 ? 0x02 : 0x01;
		uint16_t cid = (uint16_t)(0x40 + (len ? data[0] & 0x3f : 0));
		switch (op & 0x0f) {
		case 0: case 1: case 2: case 3: case 4: /* a C-frame */
			frame[0] = (uint8_t)len;
			frame[1] = 0;
			frame[2] = 0x01;
			frame[3] = 0x00;
			memcpy(frame + 4, data, len);
			l2cap_on_frame(l, handle, frame, len + 4, now);
			break;
		case 5: /* any bytes as a basic frame */
			l2cap_on_frame(l, handle, data, len, now);
			break;
		case 6: /* a B-frame */
			frame[0] = (uint8_t)len;
			frame[1] = 0;
			frame[2] = (uint8_t)cid;
			frame[3] = 0x00;
			memcpy(frame + 4, data, len);
			l2cap_on_frame(l, handle, frame, len + 4, now);
			break;
		case 7:
			now += (uint64_t)len * 1000;
			l2cap_on_time(l, now);
			break;
		case 8:
			l2cap_bredr_connect(l, handle, len >= 2 ? (uint16_t)(data[0] | data[1] << 8) : 3,
					    "cli", (uint16_t)(len * 4), op, now);
			break;
		case 9:
			l2cap_bredr_send(l, handle, cid, data, len);
			break;
		case 10:
			l2cap_coc_disconnect(l, handle, cid, now);
			break;
		case 11:
			l2cap_bredr_echo(l, handle, data, len, now);
			break;
		case 12:
			l2cap_link_remove(l, handle);
			l2cap_link_add(l, handle, L2CAP_ROLE_CENTRAL);
			if (!(op & 0x10))
				l2cap_link_set_bredr(l, handle);
			break;
		case 13: {
			struct l2cap_security sec = { .encrypted = op & 0x10, .authenticated = op & 0x20,
						      .key_size = 16 };
			l2cap_link_set_security(l, handle, &sec);
			break;
		}
		case 14: {
			struct l2cap_conf_opts o;
			l2cap_conf_opts_parse(data, len, &o);
			break;
		}
		default:
			l->bredr.mtu_sig = (uint16_t)(L2CAP_BREDR_MTU_SIG_MIN + len);
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
