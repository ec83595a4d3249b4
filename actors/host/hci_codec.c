/* HCI codec: see hci_codec.h. */
#include "hci_codec.h"

#include <errno.h>

int hci_event_parse(const uint8_t *p, size_t len, struct hci_event *ev)
{
	struct rd r = rd_init(p, len);
	ev->code = rd_u8(&r);
	uint8_t plen = rd_u8(&r);
	ev->params = rd_ptr(&r, plen);
	ev->len = plen;
	return rd_end(&r) ? 0 : -EBADMSG;
}

int hci_decode_command_complete(const uint8_t *p, size_t len, struct hci_command_complete *o)
{
	struct rd r = rd_init(p, len);
	o->ncmd = rd_u8(&r);
	o->opcode = rd_le16(&r);
	o->ret = rd_rest(&r, &o->ret_len);
	/* Every Command Complete but the NOP one carries at least a status. */
	if (rd_ok(&r) && o->opcode != HCI_OP_NOP && o->ret_len < 1)
		return -EBADMSG;
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_command_status(const uint8_t *p, size_t len, struct hci_command_status *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	o->ncmd = rd_u8(&r);
	o->opcode = rd_le16(&r);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_disconnection_complete(const uint8_t *p, size_t len,
				      struct hci_disconnection_complete *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	o->handle = rd_le16(&r) & 0x0fff;
	o->reason = rd_u8(&r);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_encryption_change(const uint8_t *p, size_t len, bool v2,
				 struct hci_encryption_change *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	o->handle = rd_le16(&r) & 0x0fff;
	o->enabled = rd_u8(&r);
	o->key_size = v2 ? rd_u8(&r) : 0;
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_key_refresh(const uint8_t *p, size_t len, struct hci_key_refresh *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	o->handle = rd_le16(&r) & 0x0fff;
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_hardware_error(const uint8_t *p, size_t len, uint8_t *code)
{
	struct rd r = rd_init(p, len);
	*code = rd_u8(&r);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_num_completed(const uint8_t *p, size_t len, struct hci_num_completed *o)
{
	struct rd r = rd_init(p, len);
	o->count = rd_u8(&r);
	if (o->count > HCI_NCP_MAX)
		return -EBADMSG;
	/* One (handle, count) pair after another, as every controller sends it. */
	for (unsigned i = 0; i < o->count; i++) {
		o->entry[i].handle = rd_le16(&r) & 0x0fff;
		o->entry[i].packets = rd_le16(&r);
	}
	return rd_end(&r) ? 0 : -EBADMSG;
}

int hci_decode_data_buffer_overflow(const uint8_t *p, size_t len, uint8_t *link_type)
{
	struct rd r = rd_init(p, len);
	*link_type = rd_u8(&r);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_le_connection_complete(const uint8_t *p, size_t len, uint8_t subevent,
				      struct hci_le_connection_complete *o)
{
	struct rd r = rd_init(p, len);
	bool enhanced = subevent == HCI_LE_ENHANCED_CONNECTION_COMPLETE ||
			subevent == HCI_LE_ENHANCED_CONNECTION_COMPLETE_V2;
	o->status = rd_u8(&r);
	o->handle = rd_le16(&r) & 0x0fff;
	o->role = rd_u8(&r);
	o->peer_type = rd_u8(&r);
	rd_copy(&r, o->peer, 6);
	if (enhanced) {
		rd_copy(&r, o->local_rpa, 6);
		rd_copy(&r, o->peer_rpa, 6);
	} else {
		memset(o->local_rpa, 0, 6);
		memset(o->peer_rpa, 0, 6);
	}
	o->interval = rd_le16(&r);
	o->latency = rd_le16(&r);
	o->timeout = rd_le16(&r);
	o->clock_accuracy = rd_u8(&r);
	if (subevent == HCI_LE_ENHANCED_CONNECTION_COMPLETE_V2)
		rd_skip(&r, 3); /* advertising handle, sync handle */
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_le_connection_update_complete(const uint8_t *p, size_t len,
					     struct hci_le_connection_update_complete *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	o->handle = rd_le16(&r) & 0x0fff;
	o->interval = rd_le16(&r);
	o->latency = rd_le16(&r);
	o->timeout = rd_le16(&r);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_le_data_length_change(const uint8_t *p, size_t len,
				     struct hci_le_data_length_change *o)
{
	struct rd r = rd_init(p, len);
	o->handle = rd_le16(&r) & 0x0fff;
	o->max_tx_octets = rd_le16(&r);
	o->max_tx_time = rd_le16(&r);
	o->max_rx_octets = rd_le16(&r);
	o->max_rx_time = rd_le16(&r);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_le_phy_update_complete(const uint8_t *p, size_t len,
				      struct hci_le_phy_update_complete *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	o->handle = rd_le16(&r) & 0x0fff;
	o->tx_phy = rd_u8(&r);
	o->rx_phy = rd_u8(&r);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_le_read_remote_features(const uint8_t *p, size_t len,
				       struct hci_le_read_remote_features *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	o->handle = rd_le16(&r) & 0x0fff;
	rd_copy(&r, o->features, 8);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_le_ltk_request(const uint8_t *p, size_t len, struct hci_le_ltk_request *o)
{
	struct rd r = rd_init(p, len);
	o->handle = rd_le16(&r) & 0x0fff;
	o->random = rd_le64(&r);
	o->ediv = rd_le16(&r);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_le_adv_set_terminated(const uint8_t *p, size_t len,
				     struct hci_le_adv_set_terminated *o)
{
	struct rd r = rd_init(p, len);
	o->status = rd_u8(&r);
	o->adv_handle = rd_u8(&r);
	o->conn_handle = rd_le16(&r) & 0x0fff;
	o->completed_events = rd_u8(&r);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_le_read_phy(const uint8_t *ret, size_t len, uint16_t *handle, uint8_t *tx_phy,
			   uint8_t *rx_phy)
{
	struct rd r = rd_init(ret, len);
	*handle = rd_le16(&r) & 0x0fff;
	*tx_phy = rd_u8(&r);
	*rx_phy = rd_u8(&r);
	if (rd_ok(&r) && (*tx_phy < 1 || *tx_phy > 3 || *rx_phy < 1 || *rx_phy > 3))
		return -EBADMSG;
	return rd_end(&r) ? 0 : -EBADMSG;
}

int hci_decode_le_advertising_report(const uint8_t *p, size_t len, uint8_t *num_reports)
{
	struct rd r = rd_init(p, len);
	uint8_t n = rd_u8(&r);
	if (n < 1 || n > 25)
		return -EBADMSG;
	/* Event_Type[n], Address_Type[n], Address[n], Data_Length[n], Data[],
	 * RSSI[n]: the data lengths decide where the RSSI array starts. */
	rd_skip(&r, (size_t)n * 8);
	size_t total = 0;
	for (unsigned i = 0; i < n; i++) {
		uint8_t dl = rd_u8(&r);
		if (dl > 31)
			return -EBADMSG;
		total += dl;
	}
	rd_skip(&r, total);
	rd_skip(&r, n);
	*num_reports = n;
	return rd_end(&r) ? 0 : -EBADMSG;
}

int hci_decode_local_version(const uint8_t *ret, size_t len, struct hci_local_version *o)
{
	struct rd r = rd_init(ret, len);
	rd_skip(&r, 1);
	o->hci_version = rd_u8(&r);
	o->hci_revision = rd_le16(&r);
	o->lmp_version = rd_u8(&r);
	o->manufacturer = rd_le16(&r);
	o->lmp_subversion = rd_le16(&r);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_bytes_ret(const uint8_t *ret, size_t len, uint8_t *out, size_t n)
{
	struct rd r = rd_init(ret, len);
	rd_skip(&r, 1);
	rd_copy(&r, out, n);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_le_buffer_size(const uint8_t *ret, size_t len, struct hci_buffer_size *o)
{
	struct rd r = rd_init(ret, len);
	rd_skip(&r, 1);
	o->acl_len = rd_le16(&r);
	o->acl_num = rd_u8(&r);
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_decode_buffer_size(const uint8_t *ret, size_t len, struct hci_buffer_size *o)
{
	struct rd r = rd_init(ret, len);
	rd_skip(&r, 1);
	o->acl_len = rd_le16(&r);
	rd_skip(&r, 1); /* synchronous data packet length */
	o->acl_num = rd_le16(&r);
	rd_skip(&r, 2); /* total synchronous data packets */
	return rd_ok(&r) ? 0 : -EBADMSG;
}

int hci_build_command(uint8_t *out, size_t cap, uint16_t opcode, const uint8_t *params,
		      size_t plen)
{
	if (plen > HCI_CMD_PARAM_MAX)
		return -EMSGSIZE;
	struct wr w = wr_init(out, cap);
	wr_le16(&w, opcode);
	wr_u8(&w, (uint8_t)plen);
	wr_bytes(&w, params, plen);
	return wr_ok(&w) ? (int)w.len : -EMSGSIZE;
}

int hci_acl_parse(const uint8_t *p, size_t len, struct hci_acl_header *h, const uint8_t **data)
{
	struct rd r = rd_init(p, len);
	uint16_t hf = rd_le16(&r);
	h->handle = hf & 0x0fff;
	h->pb = (hf >> 12) & 0x3;
	h->bc = (hf >> 14) & 0x3;
	h->len = rd_le16(&r);
	*data = rd_ptr(&r, h->len);
	return rd_end(&r) ? 0 : -EBADMSG;
}

void hci_acl_header_write(struct wr *w, uint16_t handle, uint8_t pb, uint16_t len)
{
	wr_le16(w, (uint16_t)((handle & 0x0fff) | (pb & 0x3) << 12));
	wr_le16(w, len);
}

const char *hci_error_name(uint8_t code)
{
	switch (code) {
	case 0x00: return "success";
	case 0x01: return "unknown HCI command";
	case 0x02: return "unknown connection identifier";
	case 0x03: return "hardware failure";
	case 0x05: return "authentication failure";
	case 0x06: return "PIN or key missing";
	case 0x07: return "memory capacity exceeded";
	case 0x08: return "connection timeout";
	case 0x0c: return "command disallowed";
	case 0x12: return "invalid HCI command parameters";
	case 0x13: return "remote user terminated connection";
	case 0x16: return "connection terminated by local host";
	case 0x1a: return "unsupported remote feature";
	case 0x1f: return "unspecified error";
	case 0x22: return "LL response timeout";
	case 0x28: return "instant passed";
	case 0x3b: return "unacceptable connection parameters";
	case 0x3d: return "connection terminated due to MIC failure";
	case 0x3e: return "connection failed to be established";
	default: return "HCI error";
	}
}
