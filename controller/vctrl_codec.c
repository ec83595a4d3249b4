/* hive-vctrl codec: H4 framing, HCI command parameters in, events out.
 * Pure: no sockets, no globals, no allocation. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vctrl_codec.h"
#include "vctrl_hci.h"
#include "hive.h"

/* ---- H4 framing ---------------------------------------------------------- */

void vctrl_h4_init(struct vctrl_h4 *f)
{
	f->type = 0;
	f->in_body = false;
	f->skipping = false;
	f->have = 0;
	f->need = 0;
}

/* Header length of the packets a host may send; 0 for any other indicator. */
static size_t h4_header_len(uint8_t type)
{
	switch (type) {
	case H4_CMD:
	case H4_SCO:
		return 3;
	case H4_ACL:
	case H4_ISO:
		return 4;
	default:
		return 0;
	}
}

/* Body length from a complete header. */
static size_t h4_body_len(uint8_t type, const uint8_t *hdr)
{
	struct rd r = rd_init(hdr + 2, type == H4_CMD || type == H4_SCO ? 1 : 2);
	switch (type) {
	case H4_CMD:
	case H4_SCO:
		return rd_u8(&r);
	case H4_ACL:
		return rd_le16(&r);
	case H4_ISO:
		return rd_le16(&r) & 0x3FFF;
	default:
		return 0;
	}
}

int vctrl_h4_pull(struct vctrl_h4 *f, struct rd *in, struct vctrl_h4_pkt *pkt)
{
	for (;;) {
		if (f->type == 0) {
			if (!rd_ok(in) || in->left == 0)
				return VCTRL_H4_MORE;
			uint8_t t = rd_u8(in);
			size_t hl = h4_header_len(t);
			if (hl == 0) {
				pkt->type = t;
				pkt->data = NULL;
				pkt->len = 0;
				return -EBADMSG;
			}
			f->type = t;
			f->in_body = false;
			f->skipping = false;
			f->have = 0;
			f->need = hl;
		}
		if (f->have == f->need) {
			if (!f->in_body) {
				size_t body = h4_body_len(f->type, f->buf);
				f->in_body = true;
				f->skipping = body > VCTRL_H4_BODY_MAX;
				f->need += body;
				continue;
			}
			pkt->type = f->type;
			pkt->len = f->need;
			pkt->data = f->skipping ? NULL : f->buf;
			int rc = f->skipping ? VCTRL_H4_OVERSIZE : VCTRL_H4_PACKET;
			f->type = 0;
			return rc;
		}
		size_t take = f->need - f->have;
		if (!rd_ok(in) || in->left == 0)
			return VCTRL_H4_MORE;
		if (take > in->left)
			take = in->left;
		if (f->skipping)
			rd_skip(in, take);
		else
			rd_copy(in, f->buf + f->have, take);
		f->have += take;
	}
}

/* ---- commands ------------------------------------------------------------ */

int vctrl_cmd_parse(const uint8_t *p, size_t n, struct vctrl_cmd *out)
{
	struct rd r = rd_init(p, n);
	out->opcode = rd_le16(&r);
	out->plen = rd_u8(&r);
	if (!rd_ok(&r)) {
		out->params = NULL;
		out->n = 0;
		return -EBADMSG;
	}
	out->params = rd_rest(&r, &out->n);
	return out->n == out->plen ? 0 : -EINVAL;
}

int vctrl_acl_parse(const uint8_t *p, size_t n, struct vctrl_acl *out)
{
	struct rd r = rd_init(p, n);
	uint16_t hf = rd_le16(&r);
	out->handle = hf & 0x0FFF;
	out->pb = (uint8_t)(hf >> 12 & 3);
	out->bc = (uint8_t)(hf >> 14 & 3);
	out->len = rd_le16(&r);
	out->data = rd_ptr(&r, out->len);
	return rd_end(&r) ? 0 : -EINVAL;
}

static void rd_addr(struct rd *r, uint8_t out[6])
{
	rd_copy(r, out, 6);
}

static void rd_conn_params(struct rd *r, struct vctrl_conn_params *c, bool with_scan)
{
	if (with_scan) {
		c->scan_interval = rd_le16(r);
		c->scan_window = rd_le16(r);
	}
	c->interval_min = rd_le16(r);
	c->interval_max = rd_le16(r);
	c->latency = rd_le16(r);
	c->timeout = rd_le16(r);
	c->ce_min = rd_le16(r);
	c->ce_max = rd_le16(r);
}

int vctrl_parse_create_conn(const uint8_t *p, size_t n, struct vctrl_create_conn *out)
{
	struct rd r = rd_init(p, n);
	memset(out, 0, sizeof *out);
	out->phy[0].scan_interval = rd_le16(&r);
	out->phy[0].scan_window = rd_le16(&r);
	out->filter_policy = rd_u8(&r);
	out->peer_addr_type = rd_u8(&r);
	rd_addr(&r, out->peer_addr);
	out->own_addr_type = rd_u8(&r);
	rd_conn_params(&r, &out->phy[0], false);
	out->phys = 0x01;
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_ext_create_conn(const uint8_t *p, size_t n, struct vctrl_create_conn *out)
{
	struct rd r = rd_init(p, n);
	memset(out, 0, sizeof *out);
	out->filter_policy = rd_u8(&r);
	out->own_addr_type = rd_u8(&r);
	out->peer_addr_type = rd_u8(&r);
	rd_addr(&r, out->peer_addr);
	out->phys = rd_u8(&r);
	/* One parameter block per bit set, in bit order: 1M, 2M, Coded. */
	for (int i = 0; i < 3; i++)
		if (out->phys & (1u << i))
			rd_conn_params(&r, &out->phy[i], true);
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_adv_params(const uint8_t *p, size_t n, struct vctrl_adv_params *out)
{
	struct rd r = rd_init(p, n);
	out->interval_min = rd_le16(&r);
	out->interval_max = rd_le16(&r);
	out->type = rd_u8(&r);
	out->own_addr_type = rd_u8(&r);
	out->peer_addr_type = rd_u8(&r);
	rd_addr(&r, out->peer_addr);
	out->channel_map = rd_u8(&r);
	out->filter_policy = rd_u8(&r);
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_ext_adv_params(const uint8_t *p, size_t n, struct vctrl_ext_adv_params *out)
{
	struct rd r = rd_init(p, n);
	out->handle = rd_u8(&r);
	out->props = rd_le16(&r);
	out->interval_min = rd_le24(&r);
	out->interval_max = rd_le24(&r);
	out->channel_map = rd_u8(&r);
	out->own_addr_type = rd_u8(&r);
	out->peer_addr_type = rd_u8(&r);
	rd_addr(&r, out->peer_addr);
	out->filter_policy = rd_u8(&r);
	out->tx_power = (int8_t)rd_u8(&r);
	out->primary_phy = rd_u8(&r);
	out->secondary_max_skip = rd_u8(&r);
	out->secondary_phy = rd_u8(&r);
	out->sid = rd_u8(&r);
	out->scan_req_notify = rd_u8(&r);
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_ext_adv_data(const uint8_t *p, size_t n, struct vctrl_ext_adv_data *out)
{
	struct rd r = rd_init(p, n);
	out->handle = rd_u8(&r);
	out->operation = rd_u8(&r);
	out->frag_pref = rd_u8(&r);
	out->len = rd_u8(&r);
	out->data = rd_ptr(&r, out->len);
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_ext_adv_enable(const uint8_t *p, size_t n, struct vctrl_ext_adv_enable *out)
{
	struct rd r = rd_init(p, n);
	out->enable = rd_u8(&r);
	out->num_sets = rd_u8(&r);
	if (out->num_sets > VCTRL_EXT_ADV_ENABLE_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < out->num_sets; i++) {
		out->set[i].handle = rd_u8(&r);
		out->set[i].duration = rd_le16(&r);
		out->set[i].max_events = rd_u8(&r);
	}
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_scan_params(const uint8_t *p, size_t n, struct vctrl_scan_params *out)
{
	struct rd r = rd_init(p, n);
	memset(out, 0, sizeof *out);
	out->phy[0].type = rd_u8(&r);
	out->phy[0].interval = rd_le16(&r);
	out->phy[0].window = rd_le16(&r);
	out->own_addr_type = rd_u8(&r);
	out->filter_policy = rd_u8(&r);
	out->phys = 0x01;
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_ext_scan_params(const uint8_t *p, size_t n, struct vctrl_scan_params *out)
{
	struct rd r = rd_init(p, n);
	memset(out, 0, sizeof *out);
	out->own_addr_type = rd_u8(&r);
	out->filter_policy = rd_u8(&r);
	out->phys = rd_u8(&r);
	/* Blocks for bit 0 (1M) then bit 2 (Coded); other bits are invalid and
	 * checked by the caller, they carry no block. */
	static const int bit[2] = { 0, 2 };
	for (int i = 0; i < 2; i++) {
		if (!(out->phys & (1u << bit[i])))
			continue;
		out->phy[i].type = rd_u8(&r);
		out->phy[i].interval = rd_le16(&r);
		out->phy[i].window = rd_le16(&r);
	}
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_ext_scan_enable(const uint8_t *p, size_t n, struct vctrl_ext_scan_enable *out)
{
	struct rd r = rd_init(p, n);
	out->enable = rd_u8(&r);
	out->filter_dup = rd_u8(&r);
	out->duration = rd_le16(&r);
	out->period = rd_le16(&r);
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_conn_update(const uint8_t *p, size_t n, struct vctrl_conn_update *out)
{
	struct rd r = rd_init(p, n);
	out->handle = rd_le16(&r);
	out->interval_min = rd_le16(&r);
	out->interval_max = rd_le16(&r);
	out->latency = rd_le16(&r);
	out->timeout = rd_le16(&r);
	out->ce_min = rd_le16(&r);
	out->ce_max = rd_le16(&r);
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_enable_encryption(const uint8_t *p, size_t n, struct vctrl_enable_encryption *out)
{
	struct rd r = rd_init(p, n);
	out->handle = rd_le16(&r);
	rd_copy(&r, out->rand, 8);
	out->ediv = rd_le16(&r);
	rd_copy(&r, out->ltk, 16);
	return rd_end(&r) ? 0 : -EINVAL;
}

int vctrl_parse_set_phy(const uint8_t *p, size_t n, struct vctrl_set_phy *out)
{
	struct rd r = rd_init(p, n);
	out->handle = rd_le16(&r);
	out->all_phys = rd_u8(&r);
	out->tx_phys = rd_u8(&r);
	out->rx_phys = rd_u8(&r);
	out->options = rd_le16(&r);
	return rd_end(&r) ? 0 : -EINVAL;
}

/* ---- events -------------------------------------------------------------- */

size_t vctrl_evt_begin(struct wr *w, uint8_t code)
{
	size_t mark = w->len;
	wr_u8(w, H4_EVT);
	wr_u8(w, code);
	wr_u8(w, 0);
	return mark;
}

size_t vctrl_le_evt_begin(struct wr *w, uint8_t subevent)
{
	size_t mark = vctrl_evt_begin(w, HCI_EV_LE_META);
	wr_u8(w, subevent);
	return mark;
}

bool vctrl_evt_end(struct wr *w, size_t mark)
{
	if (!wr_ok(w))
		return false;
	size_t plen = w->len - mark - 3;
	if (plen > 255) {
		w->overflow = true;
		return false;
	}
	w->p[mark + 2] = (uint8_t)plen;
	return true;
}

void vctrl_evt_cmd_complete(struct wr *w, uint8_t ncmd, uint16_t opcode, const uint8_t *ret,
			    size_t ret_len)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_COMMAND_COMPLETE);
	wr_u8(w, ncmd);
	wr_le16(w, opcode);
	wr_bytes(w, ret, ret_len);
	vctrl_evt_end(w, m);
}

void vctrl_evt_cmd_status(struct wr *w, uint8_t status, uint8_t ncmd, uint16_t opcode)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_COMMAND_STATUS);
	wr_u8(w, status);
	wr_u8(w, ncmd);
	wr_le16(w, opcode);
	vctrl_evt_end(w, m);
}

void vctrl_evt_disconnection_complete(struct wr *w, uint8_t status, uint16_t handle,
				      uint8_t reason)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_DISCONNECTION_COMPLETE);
	wr_u8(w, status);
	wr_le16(w, handle);
	wr_u8(w, reason);
	vctrl_evt_end(w, m);
}

void vctrl_evt_encryption_change(struct wr *w, uint8_t status, uint16_t handle, uint8_t enabled)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_ENCRYPTION_CHANGE);
	wr_u8(w, status);
	wr_le16(w, handle);
	wr_u8(w, enabled);
	vctrl_evt_end(w, m);
}

void vctrl_evt_key_refresh_complete(struct wr *w, uint8_t status, uint16_t handle)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_ENCRYPTION_KEY_REFRESH_COMPLETE);
	wr_u8(w, status);
	wr_le16(w, handle);
	vctrl_evt_end(w, m);
}

void vctrl_evt_remote_version(struct wr *w, uint8_t status, uint16_t handle, uint8_t version,
			      uint16_t company, uint16_t subversion)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_READ_REMOTE_VERSION_INFORMATION_COMPLETE);
	wr_u8(w, status);
	wr_le16(w, handle);
	wr_u8(w, version);
	wr_le16(w, company);
	wr_le16(w, subversion);
	vctrl_evt_end(w, m);
}

void vctrl_evt_num_completed(struct wr *w, unsigned n, const uint16_t *handles,
			     const uint16_t *counts)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_NUMBER_OF_COMPLETED_PACKETS);
	wr_u8(w, (uint8_t)n);
	for (unsigned i = 0; i < n; i++) {
		wr_le16(w, handles[i]);
		wr_le16(w, counts[i]);
	}
	vctrl_evt_end(w, m);
}

void vctrl_evt_data_buffer_overflow(struct wr *w, uint8_t link_type)
{
	size_t m = vctrl_evt_begin(w, HCI_EV_DATA_BUFFER_OVERFLOW);
	wr_u8(w, link_type);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_conn_complete(struct wr *w, const struct vctrl_conn_complete *e, bool enhanced)
{
	size_t m = vctrl_le_evt_begin(w, enhanced ? HCI_LE_ENHANCED_CONNECTION_COMPLETE
						  : HCI_LE_CONNECTION_COMPLETE);
	wr_u8(w, e->status);
	wr_le16(w, e->handle);
	wr_u8(w, e->role);
	wr_u8(w, e->peer_addr_type);
	wr_bytes(w, e->peer_addr, 6);
	if (enhanced) {
		wr_bytes(w, e->local_rpa, 6);
		wr_bytes(w, e->peer_rpa, 6);
	}
	wr_le16(w, e->interval);
	wr_le16(w, e->latency);
	wr_le16(w, e->timeout);
	wr_u8(w, e->clock_accuracy);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_adv_report(struct wr *w, const struct vctrl_adv_report *r)
{
	size_t m = vctrl_le_evt_begin(w, HCI_LE_ADVERTISING_REPORT);
	wr_u8(w, 1);
	wr_u8(w, r->event_type);
	wr_u8(w, r->addr_type);
	wr_bytes(w, r->addr, 6);
	wr_u8(w, r->len);
	wr_bytes(w, r->data, r->len);
	wr_u8(w, (uint8_t)r->rssi);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_ext_adv_report(struct wr *w, const struct vctrl_ext_adv_report *r)
{
	size_t m = vctrl_le_evt_begin(w, HCI_LE_EXTENDED_ADVERTISING_REPORT);
	wr_u8(w, 1);
	wr_le16(w, r->event_type);
	wr_u8(w, r->addr_type);
	wr_bytes(w, r->addr, 6);
	wr_u8(w, r->primary_phy);
	wr_u8(w, r->secondary_phy);
	wr_u8(w, r->sid);
	wr_u8(w, (uint8_t)r->tx_power);
	wr_u8(w, (uint8_t)r->rssi);
	wr_le16(w, r->periodic_interval);
	wr_u8(w, r->direct_addr_type);
	wr_bytes(w, r->direct_addr, 6);
	wr_u8(w, r->len);
	wr_bytes(w, r->data, r->len);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_conn_update_complete(struct wr *w, uint8_t status, uint16_t handle,
				       uint16_t interval, uint16_t latency, uint16_t timeout)
{
	size_t m = vctrl_le_evt_begin(w, HCI_LE_CONNECTION_UPDATE_COMPLETE);
	wr_u8(w, status);
	wr_le16(w, handle);
	wr_le16(w, interval);
	wr_le16(w, latency);
	wr_le16(w, timeout);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_remote_features(struct wr *w, uint8_t status, uint16_t handle,
				  const uint8_t features[8])
{
	size_t m = vctrl_le_evt_begin(w, HCI_LE_READ_REMOTE_FEATURES_COMPLETE);
	wr_u8(w, status);
	wr_le16(w, handle);
	wr_bytes(w, features, 8);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_ltk_request(struct wr *w, uint16_t handle, const uint8_t rand[8], uint16_t ediv)
{
	size_t m = vctrl_le_evt_begin(w, HCI_LE_LONG_TERM_KEY_REQUEST);
	wr_le16(w, handle);
	wr_bytes(w, rand, 8);
	wr_le16(w, ediv);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_data_length_change(struct wr *w, uint16_t handle, uint16_t tx_octets,
				     uint16_t tx_time, uint16_t rx_octets, uint16_t rx_time)
{
	size_t m = vctrl_le_evt_begin(w, HCI_LE_DATA_LENGTH_CHANGE);
	wr_le16(w, handle);
	wr_le16(w, tx_octets);
	wr_le16(w, tx_time);
	wr_le16(w, rx_octets);
	wr_le16(w, rx_time);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_phy_update(struct wr *w, uint8_t status, uint16_t handle, uint8_t tx_phy,
			     uint8_t rx_phy)
{
	size_t m = vctrl_le_evt_begin(w, HCI_LE_PHY_UPDATE_COMPLETE);
	wr_u8(w, status);
	wr_le16(w, handle);
	wr_u8(w, tx_phy);
	wr_u8(w, rx_phy);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_scan_timeout(struct wr *w)
{
	size_t m = vctrl_le_evt_begin(w, HCI_LE_SCAN_TIMEOUT);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_adv_set_terminated(struct wr *w, uint8_t status, uint8_t adv_handle,
				     uint16_t conn_handle, uint8_t num_events)
{
	size_t m = vctrl_le_evt_begin(w, HCI_LE_ADVERTISING_SET_TERMINATED);
	wr_u8(w, status);
	wr_u8(w, adv_handle);
	wr_le16(w, conn_handle);
	wr_u8(w, num_events);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_scan_request_received(struct wr *w, uint8_t adv_handle, uint8_t addr_type,
					const uint8_t addr[6])
{
	size_t m = vctrl_le_evt_begin(w, HCI_LE_SCAN_REQUEST_RECEIVED);
	wr_u8(w, adv_handle);
	wr_u8(w, addr_type);
	wr_bytes(w, addr, 6);
	vctrl_evt_end(w, m);
}

void vctrl_evt_le_channel_selection(struct wr *w, uint16_t handle, uint8_t algorithm)
{
	size_t m = vctrl_le_evt_begin(w, HCI_LE_CHANNEL_SELECTION_ALGORITHM);
	wr_le16(w, handle);
	wr_u8(w, algorithm);
	vctrl_evt_end(w, m);
}

void vctrl_acl_write(struct wr *w, uint16_t handle, uint8_t pb, const uint8_t *data, uint16_t len)
{
	wr_u8(w, H4_ACL);
	wr_le16(w, (uint16_t)((handle & 0x0FFF) | (pb & 3) << 12));
	wr_le16(w, len);
	wr_bytes(w, data, len);
}

/* ---- addresses -------------------------------------------------------------- */

int vctrl_addr_parse(const char *s, uint8_t out[6])
{
	uint8_t a[6];
	for (int i = 0; i < 6; i++) {
		int hi = hive_hexval(s[0]);
		int lo = hi < 0 ? -1 : hive_hexval(s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		a[5 - i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5) {
			if (*s != ':')
				return -EINVAL;
			s++;
		}
	}
	if (*s)
		return -EINVAL;
	memcpy(out, a, 6);
	return 0;
}

const char *vctrl_addr_str(const uint8_t a[6], char *buf)
{
	snprintf(buf, 18, "%02X:%02X:%02X:%02X:%02X:%02X", a[5], a[4], a[3], a[2], a[1], a[0]);
	return buf;
}
