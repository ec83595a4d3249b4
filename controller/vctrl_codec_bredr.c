/* hive-vctrl codec, BR/EDR: command parameters of inquiry, paging and
 * pairing in, their events out (Vol 4 Part E 7.1, 7.7). Pure: no sockets,
 * no globals, no allocation. */
#include <errno.h>
#include <string.h>

#include "vctrl_codec.h"
#include "vctrl_hci.h"

int vctrl_parse_inquiry(const uint8_t *p, size_t n, struct vctrl_inquiry_cmd *out)
{
	struct rd r = rd_init(p, n);
	out->lap = rd_le24(&r);
	out->length = rd_u8(&r);
	out->num_rsp = rd_u8(&r);
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_create_conn_br(const uint8_t *p, size_t n, struct vctrl_create_conn_br *out)
{
	struct rd r = rd_init(p, n);
	rd_copy(&r, out->addr, 6);
	out->packet_type = rd_le16(&r);
	out->psrm = rd_u8(&r);
	rd_u8(&r); /* Reserved */
	out->clock_offset = rd_le16(&r);
	out->allow_role_switch = rd_u8(&r);
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_io_cap_reply(const uint8_t *p, size_t n, struct vctrl_io_cap *out)
{
	struct rd r = rd_init(p, n);
	rd_copy(&r, out->addr, 6);
	out->io = rd_u8(&r);
	out->oob = rd_u8(&r);
	out->auth_req = rd_u8(&r);
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_pin_reply(const uint8_t *p, size_t n, struct vctrl_pin_reply *out)
{
	struct rd r = rd_init(p, n);
	rd_copy(&r, out->addr, 6);
	out->len = rd_u8(&r);
	rd_copy(&r, out->pin, 16);
	return rd_end(&r) ? 0 : -EINVAL;
}

void vctrl_evt_inquiry_result(struct wr *w, uint8_t mode, const struct vctrl_inquiry_result *r)
{
	static const uint8_t no_eir[HCI_EIR_SIZE];
	uint8_t code = mode == HCI_INQUIRY_MODE_EXTENDED ? HCI_EV_EXTENDED_INQUIRY_RESULT
		     : mode == HCI_INQUIRY_MODE_RSSI   ? HCI_EV_INQUIRY_RESULT_WITH_RSSI
						       : HCI_EV_INQUIRY_RESULT;
	size_t m = vctrl_evt_begin(w, code);
	wr_u8(w, 1); /* Num_Responses */
	wr_bytes(w, r->addr, 6);
	wr_u8(w, r->psrm);
	wr_u8(w, 0); /* Reserved */
	if (code == HCI_EV_INQUIRY_RESULT)
		wr_u8(w, 0); /* a second Reserved octet */
	wr_bytes(w, r->cod, 3);
	wr_le16(w, r->clock_offset);
	if (code != HCI_EV_INQUIRY_RESULT)
		wr_u8(w, (uint8_t)r->rssi);
	if (code == HCI_EV_EXTENDED_INQUIRY_RESULT)
		wr_bytes(w, r->eir ? r->eir : no_eir, HCI_EIR_SIZE);
	vctrl_evt_end(w, m);
}

void vctrl_evt_inquiry_complete(struct wr *w, uint8_t status)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_INQUIRY_COMPLETE);
	wr_u8(w, status);
	vctrl_evt_end(w, m);
}

void vctrl_evt_conn_complete_br(struct wr *w, uint8_t status, uint16_t handle,
				const uint8_t addr[6], uint8_t encryption)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_CONNECTION_COMPLETE);
	wr_u8(w, status);
	wr_le16(w, handle);
	wr_bytes(w, addr, 6);
	wr_u8(w, HCI_LINK_ACL);
	wr_u8(w, encryption);
	vctrl_evt_end(w, m);
}

void vctrl_evt_conn_request(struct wr *w, const uint8_t addr[6], const uint8_t cod[3])
{
	size_t m = vctrl_evt_begin(w, HCI_EV_CONNECTION_REQUEST);
	wr_bytes(w, addr, 6);
	wr_bytes(w, cod, 3);
	wr_u8(w, HCI_LINK_ACL);
	vctrl_evt_end(w, m);
}

void vctrl_evt_status_handle(struct wr *w, uint8_t code, uint8_t status, uint16_t handle)
{
	size_t m = vctrl_evt_begin(w, code);
	wr_u8(w, status);
	wr_le16(w, handle);
	vctrl_evt_end(w, m);
}

void vctrl_evt_remote_name(struct wr *w, uint8_t status, const uint8_t addr[6],
			   const uint8_t *name)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_REMOTE_NAME_REQUEST_COMPLETE);
	wr_u8(w, status);
	wr_bytes(w, addr, 6);
	wr_bytes(w, name, HCI_NAME_SIZE);
	vctrl_evt_end(w, m);
}

void vctrl_evt_remote_features(struct wr *w, uint8_t status, uint16_t handle,
			       const uint8_t features[8])
{
	size_t m = vctrl_evt_begin(w, HCI_EV_READ_REMOTE_SUPPORTED_FEATURES_COMPLETE);
	wr_u8(w, status);
	wr_le16(w, handle);
	wr_bytes(w, features, 8);
	vctrl_evt_end(w, m);
}

void vctrl_evt_remote_ext_features(struct wr *w, uint8_t status, uint16_t handle, uint8_t page,
				   uint8_t max_page, const uint8_t features[8])
{
	size_t m = vctrl_evt_begin(w, HCI_EV_READ_REMOTE_EXTENDED_FEATURES_COMPLETE);
	wr_u8(w, status);
	wr_le16(w, handle);
	wr_u8(w, page);
	wr_u8(w, max_page);
	wr_bytes(w, features, 8);
	vctrl_evt_end(w, m);
}

void vctrl_evt_role_change(struct wr *w, uint8_t status, const uint8_t addr[6], uint8_t role)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_ROLE_CHANGE);
	wr_u8(w, status);
	wr_bytes(w, addr, 6);
	wr_u8(w, role);
	vctrl_evt_end(w, m);
}

void vctrl_evt_addr(struct wr *w, uint8_t code, const uint8_t addr[6])
{
	size_t m = vctrl_evt_begin(w, code);
	wr_bytes(w, addr, 6);
	vctrl_evt_end(w, m);
}

void vctrl_evt_addr_value(struct wr *w, uint8_t code, const uint8_t addr[6], uint32_t value)
{
	size_t m = vctrl_evt_begin(w, code);
	wr_bytes(w, addr, 6);
	wr_le32(w, value);
	vctrl_evt_end(w, m);
}

void vctrl_evt_io_cap_response(struct wr *w, const struct vctrl_io_cap *c)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_IO_CAPABILITY_RESPONSE);
	wr_bytes(w, c->addr, 6);
	wr_u8(w, c->io);
	wr_u8(w, c->oob);
	wr_u8(w, c->auth_req);
	vctrl_evt_end(w, m);
}

void vctrl_evt_simple_pairing_complete(struct wr *w, uint8_t status, const uint8_t addr[6])
{
	size_t m = vctrl_evt_begin(w, HCI_EV_SIMPLE_PAIRING_COMPLETE);
	wr_u8(w, status);
	wr_bytes(w, addr, 6);
	vctrl_evt_end(w, m);
}

void vctrl_evt_link_key_notification(struct wr *w, const uint8_t addr[6], const uint8_t key[16],
				     uint8_t type)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_LINK_KEY_NOTIFICATION);
	wr_bytes(w, addr, 6);
	wr_bytes(w, key, 16);
	wr_u8(w, type);
	vctrl_evt_end(w, m);
}
