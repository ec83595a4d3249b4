/* HCI codec for BR/EDR: see hci_codec_bredr.h. */
#include "hci_codec_bredr.h"

#include <errno.h>
#include <string.h>

#define OK(r) (rd_ok(r) ? 0 : -EBADMSG)

int hci_decode_inquiry_complete(const uint8_t *p, size_t len, uint8_t *status)
{
	struct rd r = rd_init(p, len);
	*status = rd_u8(&r);
	return OK(&r);
}

/* Vol 4 Part E 5.2: arrayed parameters are interleaved, one response after
 * the other. Inquiry Result has two reserved octets and no RSSI; the two
 * others one reserved octet and the RSSI; the extended one carries exactly
 * one response and its 240-octet EIR. */
int hci_decode_inquiry_result(uint8_t code, const uint8_t *p, size_t len,
			      struct hci_inquiry_result *o)
{
	struct rd r = rd_init(p, len);
	memset(o, 0, sizeof *o);
	uint8_t n = rd_u8(&r);
	if (code != HCI_EV_INQUIRY_RESULT && code != HCI_EV_INQUIRY_RESULT_WITH_RSSI &&
	    code != HCI_EV_EXTENDED_INQUIRY_RESULT)
		return -EBADMSG;
	/* No response at all (outside the range 1..255) reports nothing. */
	if (!rd_ok(&r) || n > HCI_INQUIRY_RESPONSES_MAX ||
	    (code == HCI_EV_EXTENDED_INQUIRY_RESULT && n > 1))
		return -EBADMSG;
	for (uint8_t i = 0; i < n; i++) {
		struct hci_inquiry_response *x = &o->r[i];
		rd_copy(&r, x->addr, 6);
		x->psrm = rd_u8(&r);
		rd_skip(&r, code == HCI_EV_INQUIRY_RESULT ? 2 : 1);
		rd_copy(&r, x->cod, 3);
		x->clock_offset = rd_le16(&r) & 0x7fff;
		if (code != HCI_EV_INQUIRY_RESULT) {
			x->has_rssi = true;
			x->rssi = (int8_t)rd_u8(&r);
		}
		if (code == HCI_EV_EXTENDED_INQUIRY_RESULT) {
			x->eir = rd_ptr(&r, HCI_EIR_LEN);
			x->eir_len = x->eir ? HCI_EIR_LEN : 0;
		}
	}
	if (!rd_ok(&r))
		return -EBADMSG;
	o->count = n;
	return 0;
}

int hci_decode_connection_complete(const uint8_t *p, size_t len,
				   struct hci_connection_complete *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	o->handle = rd_le16(&r) & 0x0fff;
	rd_copy(&r, o->addr, 6);
	o->link_type = rd_u8(&r);
	o->encryption = rd_u8(&r);
	return OK(&r);
}

int hci_decode_connection_request(const uint8_t *p, size_t len,
				  struct hci_connection_request *o)
{
	struct rd r = rd_init(p, len);
	rd_copy(&r, o->addr, 6);
	rd_copy(&r, o->cod, 3);
	o->link_type = rd_u8(&r);
	return OK(&r);
}

int hci_decode_status_handle(const uint8_t *p, size_t len, struct hci_status_handle *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	o->handle = rd_le16(&r) & 0x0fff;
	return OK(&r);
}

int hci_decode_remote_name(const uint8_t *p, size_t len, struct hci_remote_name *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	rd_copy(&r, o->addr, 6);
	const uint8_t *name = rd_ptr(&r, HCI_NAME_LEN);
	if (!rd_ok(&r))
		return -EBADMSG;
	/* 7.7.4: UTF-8, NUL-terminated when shorter than 248 octets. */
	size_t n = 0;
	while (n < HCI_NAME_LEN && name[n])
		n++;
	memcpy(o->name, name, n);
	o->name[n] = '\0';
	return 0;
}

int hci_decode_role_change(const uint8_t *p, size_t len, struct hci_role_change *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	rd_copy(&r, o->addr, 6);
	o->role = rd_u8(&r);
	if (rd_ok(&r) && o->role > 1)
		return -EBADMSG;
	return OK(&r);
}

int hci_decode_handle(const uint8_t *p, size_t len, uint16_t *handle)
{
	struct rd r = rd_init(p, len);
	*handle = rd_le16(&r) & 0x0fff;
	return OK(&r);
}

int hci_decode_addr(const uint8_t *p, size_t len, uint8_t addr[6])
{
	struct rd r = rd_init(p, len);
	rd_copy(&r, addr, 6);
	return OK(&r);
}

int hci_decode_link_key_notification(const uint8_t *p, size_t len,
				     struct hci_link_key_notification *o)
{
	struct rd r = rd_init(p, len);
	rd_copy(&r, o->addr, 6);
	rd_copy(&r, o->key, 16);
	o->type = rd_u8(&r);
	return OK(&r);
}

int hci_decode_io_capability_response(const uint8_t *p, size_t len, struct hci_io_capability *o)
{
	struct rd r = rd_init(p, len);
	rd_copy(&r, o->addr, 6);
	o->io = rd_u8(&r);
	o->oob = rd_u8(&r);
	o->auth_req = rd_u8(&r);
	return OK(&r);
}

int hci_decode_addr_value(const uint8_t *p, size_t len, struct hci_addr_value *o)
{
	struct rd r = rd_init(p, len);
	rd_copy(&r, o->addr, 6);
	o->value = rd_le32(&r);
	if (rd_ok(&r) && o->value > 999999)
		return -EBADMSG; /* 7.7.42, 7.7.48: 0 to 999999 */
	return OK(&r);
}

int hci_decode_status_addr(const uint8_t *p, size_t len, struct hci_status_addr *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	rd_copy(&r, o->addr, 6);
	return OK(&r);
}

/* ---- builders ------------------------------------------------------------- */

static int done(const struct wr *w)
{
	return wr_ok(w) ? (int)w->len : -EMSGSIZE;
}

int hci_build_inquiry(uint8_t *out, size_t cap, uint32_t lap, uint8_t length_128,
		      uint8_t num_responses)
{
	struct wr w = wr_init(out, cap);
	wr_le24(&w, lap);
	wr_u8(&w, length_128);
	wr_u8(&w, num_responses);
	return done(&w);
}

int hci_build_create_connection(uint8_t *out, size_t cap, const uint8_t addr[6],
				bool allow_role_switch)
{
	struct wr w = wr_init(out, cap);
	wr_bytes(&w, addr, 6);
	wr_le16(&w, 0xcc18); /* DM1 DH1 DM3 DH3 DM5 DH5 */
	wr_u8(&w, 0x01);     /* Page_Scan_Repetition_Mode R1 */
	wr_u8(&w, 0x00);     /* Reserved */
	wr_le16(&w, 0x0000); /* Clock_Offset: not known */
	wr_u8(&w, allow_role_switch ? 1 : 0);
	return done(&w);
}

int hci_build_addr_u8(uint8_t *out, size_t cap, const uint8_t addr[6], uint8_t v)
{
	struct wr w = wr_init(out, cap);
	wr_bytes(&w, addr, 6);
	wr_u8(&w, v);
	return done(&w);
}

int hci_build_addr(uint8_t *out, size_t cap, const uint8_t addr[6])
{
	struct wr w = wr_init(out, cap);
	wr_bytes(&w, addr, 6);
	return done(&w);
}

int hci_build_remote_name_request(uint8_t *out, size_t cap, const uint8_t addr[6],
				  uint8_t psrm, uint16_t clock_offset)
{
	struct wr w = wr_init(out, cap);
	wr_bytes(&w, addr, 6);
	wr_u8(&w, psrm);
	wr_u8(&w, 0);
	wr_le16(&w, clock_offset);
	return done(&w);
}

int hci_build_link_key_reply(uint8_t *out, size_t cap, const uint8_t addr[6],
			     const uint8_t key[16])
{
	struct wr w = wr_init(out, cap);
	wr_bytes(&w, addr, 6);
	wr_bytes(&w, key, 16);
	return done(&w);
}

int hci_build_pin_reply(uint8_t *out, size_t cap, const uint8_t addr[6], const uint8_t *pin,
			size_t pin_len)
{
	uint8_t padded[16] = { 0 };
	if (pin_len < 1 || pin_len > 16)
		return -EINVAL;
	memcpy(padded, pin, pin_len);
	struct wr w = wr_init(out, cap);
	wr_bytes(&w, addr, 6);
	wr_u8(&w, (uint8_t)pin_len);
	wr_bytes(&w, padded, 16);
	return done(&w);
}

int hci_build_io_capability_reply(uint8_t *out, size_t cap, const struct hci_io_capability *c)
{
	struct wr w = wr_init(out, cap);
	wr_bytes(&w, c->addr, 6);
	wr_u8(&w, c->io);
	wr_u8(&w, c->oob);
	wr_u8(&w, c->auth_req);
	return done(&w);
}

int hci_build_passkey_reply(uint8_t *out, size_t cap, const uint8_t addr[6], uint32_t passkey)
{
	struct wr w = wr_init(out, cap);
	wr_bytes(&w, addr, 6);
	wr_le32(&w, passkey);
	return done(&w);
}

int hci_build_handle(uint8_t *out, size_t cap, uint16_t handle)
{
	struct wr w = wr_init(out, cap);
	wr_le16(&w, handle);
	return done(&w);
}

int hci_build_handle_u8(uint8_t *out, size_t cap, uint16_t handle, uint8_t v)
{
	struct wr w = wr_init(out, cap);
	wr_le16(&w, handle);
	wr_u8(&w, v);
	return done(&w);
}

int hci_build_local_name(uint8_t *out, size_t cap, const char *name)
{
	uint8_t buf[HCI_NAME_LEN] = { 0 };
	size_t n = strlen(name);
	memcpy(buf, name, n < HCI_NAME_LEN ? n : HCI_NAME_LEN);
	struct wr w = wr_init(out, cap);
	wr_bytes(&w, buf, HCI_NAME_LEN);
	return done(&w);
}

int hci_build_eir_name(uint8_t *out, size_t cap, const char *name)
{
	uint8_t eir[HCI_EIR_LEN] = { 0 };
	size_t n = strlen(name), max = HCI_EIR_LEN - 2;
	bool cut = n > max;
	if (cut)
		n = max;
	eir[0] = (uint8_t)(n + 1);
	eir[1] = cut ? 0x08 : 0x09; /* Shortened / Complete Local Name */
	memcpy(eir + 2, name, n);
	struct wr w = wr_init(out, cap);
	wr_u8(&w, 0); /* FEC not required */
	wr_bytes(&w, eir, HCI_EIR_LEN);
	return done(&w);
}

const char *hci_bredr_event_name(uint8_t code)
{
	switch (code) {
	case HCI_EV_INQUIRY_COMPLETE: return "inquiry_complete";
	case HCI_EV_INQUIRY_RESULT: return "inquiry_result";
	case HCI_EV_CONNECTION_COMPLETE: return "connection_complete";
	case HCI_EV_CONNECTION_REQUEST: return "connection_request";
	case HCI_EV_AUTHENTICATION_COMPLETE: return "authentication_complete";
	case HCI_EV_REMOTE_NAME_REQUEST_COMPLETE: return "remote_name_request_complete";
	case HCI_EV_FLUSH_OCCURRED: return "flush_occurred";
	case HCI_EV_ROLE_CHANGE: return "role_change";
	case HCI_EV_PIN_CODE_REQUEST: return "pin_code_request";
	case HCI_EV_LINK_KEY_REQUEST: return "link_key_request";
	case HCI_EV_LINK_KEY_NOTIFICATION: return "link_key_notification";
	case HCI_EV_INQUIRY_RESULT_WITH_RSSI: return "inquiry_result_with_rssi";
	case HCI_EV_EXTENDED_INQUIRY_RESULT: return "extended_inquiry_result";
	case HCI_EV_IO_CAPABILITY_REQUEST: return "io_capability_request";
	case HCI_EV_IO_CAPABILITY_RESPONSE: return "io_capability_response";
	case HCI_EV_USER_CONFIRMATION_REQUEST: return "user_confirmation_request";
	case HCI_EV_USER_PASSKEY_REQUEST: return "user_passkey_request";
	case HCI_EV_SIMPLE_PAIRING_COMPLETE: return "simple_pairing_complete";
	case HCI_EV_ENHANCED_FLUSH_COMPLETE: return "enhanced_flush_complete";
	case HCI_EV_USER_PASSKEY_NOTIFICATION: return "user_passkey_notification";
	default: return "unknown";
	}
}
