/* GAP command parameters and advertising reports: see gap_codec.h. */
#include "gap_codec.h"

#include <errno.h>
#include <string.h>

#include "hive_bytes.h"

static int done(const struct wr *w)
{
	return wr_ok(w) ? (int)w->len : -EMSGSIZE;
}

int gap_build_adv_params(uint8_t *out, size_t cap, const struct gap_adv_params *p)
{
	static const uint8_t zero[6];
	struct wr w = wr_init(out, cap);
	wr_le16(&w, p->interval_min);
	wr_le16(&w, p->interval_max);
	wr_u8(&w, p->type);
	wr_u8(&w, p->own_addr_type);
	wr_u8(&w, 0); /* peer address type (directed only) */
	wr_bytes(&w, zero, 6);
	wr_u8(&w, p->channel_map ? p->channel_map : 0x07);
	wr_u8(&w, p->filter_policy);
	return done(&w);
}

int gap_build_adv_data(uint8_t *out, size_t cap, const uint8_t *data, size_t len)
{
	if (len > AD_LEGACY_MAX)
		return -EMSGSIZE;
	struct wr w = wr_init(out, cap);
	wr_u8(&w, (uint8_t)len);
	uint8_t *b = wr_reserve(&w, AD_LEGACY_MAX);
	if (b) {
		memset(b, 0, AD_LEGACY_MAX);
		if (len)
			memcpy(b, data, len);
	}
	return done(&w);
}

int gap_build_enable(uint8_t *out, size_t cap, bool enable)
{
	struct wr w = wr_init(out, cap);
	wr_u8(&w, enable);
	return done(&w);
}

int gap_build_scan_params(uint8_t *out, size_t cap, const struct gap_scan_params *p)
{
	struct wr w = wr_init(out, cap);
	wr_u8(&w, p->active);
	wr_le16(&w, p->interval);
	wr_le16(&w, p->window);
	wr_u8(&w, p->own_addr_type);
	wr_u8(&w, p->filter_policy);
	return done(&w);
}

int gap_build_scan_enable(uint8_t *out, size_t cap, bool enable, bool filter_duplicates)
{
	struct wr w = wr_init(out, cap);
	wr_u8(&w, enable);
	wr_u8(&w, filter_duplicates);
	return done(&w);
}

int gap_build_create_conn(uint8_t *out, size_t cap, const struct gap_create_conn *p)
{
	struct wr w = wr_init(out, cap);
	wr_le16(&w, p->scan_interval);
	wr_le16(&w, p->scan_window);
	wr_u8(&w, p->use_filter_accept_list);
	wr_u8(&w, p->peer_type);
	wr_bytes(&w, p->peer, 6);
	wr_u8(&w, p->own_addr_type);
	wr_le16(&w, p->interval_min);
	wr_le16(&w, p->interval_max);
	wr_le16(&w, p->latency);
	wr_le16(&w, p->timeout);
	wr_le16(&w, 0); /* minimum CE length */
	wr_le16(&w, 0); /* maximum CE length */
	return done(&w);
}

int gap_build_conn_update(uint8_t *out, size_t cap, const struct gap_conn_update *p)
{
	struct wr w = wr_init(out, cap);
	wr_le16(&w, p->handle);
	wr_le16(&w, p->interval_min);
	wr_le16(&w, p->interval_max);
	wr_le16(&w, p->latency);
	wr_le16(&w, p->timeout);
	wr_le16(&w, 0);
	wr_le16(&w, 0);
	return done(&w);
}

int gap_build_disconnect(uint8_t *out, size_t cap, uint16_t handle, uint8_t reason)
{
	struct wr w = wr_init(out, cap);
	wr_le16(&w, handle);
	wr_u8(&w, reason);
	return done(&w);
}

int gap_build_handle(uint8_t *out, size_t cap, uint16_t handle)
{
	struct wr w = wr_init(out, cap);
	wr_le16(&w, handle);
	return done(&w);
}

int gap_build_set_phy(uint8_t *out, size_t cap, uint16_t handle, uint8_t tx_phys,
		      uint8_t rx_phys)
{
	struct wr w = wr_init(out, cap);
	wr_le16(&w, handle);
	/* All_PHYs: bit 0 no TX preference, bit 1 no RX preference. */
	wr_u8(&w, (uint8_t)((tx_phys ? 0 : 1) | (rx_phys ? 0 : 2)));
	wr_u8(&w, tx_phys);
	wr_u8(&w, rx_phys);
	wr_le16(&w, 0); /* PHY options */
	return done(&w);
}

int gap_build_set_data_length(uint8_t *out, size_t cap, uint16_t handle, uint16_t octets,
			      uint16_t time)
{
	struct wr w = wr_init(out, cap);
	wr_le16(&w, handle);
	wr_le16(&w, octets);
	wr_le16(&w, time);
	return done(&w);
}

int gap_build_filter_entry(uint8_t *out, size_t cap, uint8_t type, const uint8_t addr[6])
{
	struct wr w = wr_init(out, cap);
	wr_u8(&w, type);
	wr_bytes(&w, addr, 6);
	return done(&w);
}

int gap_build_address(uint8_t *out, size_t cap, const uint8_t addr[6])
{
	struct wr w = wr_init(out, cap);
	wr_bytes(&w, addr, 6);
	return done(&w);
}

int gap_build_enable_encryption(uint8_t *out, size_t cap, uint16_t handle,
				const uint8_t rand[8], uint16_t ediv, const uint8_t ltk[16])
{
	struct wr w = wr_init(out, cap);
	wr_le16(&w, handle);
	wr_bytes(&w, rand, 8);
	wr_le16(&w, ediv);
	wr_bytes(&w, ltk, 16);
	return done(&w);
}

int gap_build_ltk_reply(uint8_t *out, size_t cap, uint16_t handle, const uint8_t ltk[16])
{
	struct wr w = wr_init(out, cap);
	wr_le16(&w, handle);
	wr_bytes(&w, ltk, 16);
	return done(&w);
}

#define REPORTS_MAX 25

int gap_parse_adv_report(const uint8_t *p, size_t len, gap_report_fn fn, void *arg)
{
	/* Zeroed: a legacy report leaves the extended fields (PHYs, SID,
	 * truncated) unset, and the host copies them into its scan reports. */
	struct ad_report_in rep[REPORTS_MAX] = { 0 };
	struct rd r = rd_init(p, len);
	uint8_t n = rd_u8(&r);
	if (n < 1 || n > REPORTS_MAX)
		return -EBADMSG;
	for (unsigned i = 0; i < n; i++) {
		rep[i].event_type = rd_u8(&r);
		rep[i].addr_type = rd_u8(&r);
		rd_copy(&r, rep[i].addr, 6);
		rep[i].len = rd_u8(&r);
		if (rep[i].len > AD_LEGACY_MAX)
			return -EBADMSG;
		rep[i].data = rd_ptr(&r, rep[i].len);
		rep[i].rssi = (int8_t)rd_u8(&r);
		if (!rd_ok(&r))
			return -EBADMSG;
	}
	if (!rd_end(&r))
		return -EBADMSG;
	for (unsigned i = 0; i < n; i++)
		fn(arg, &rep[i]);
	return n;
}

/* ---- extended ---------------------------------------------------------------- */

int gap_build_ext_adv_params(uint8_t *out, size_t cap, const struct gap_ext_adv_params *p)
{
	static const uint8_t zero[6];
	struct wr w = wr_init(out, cap);
	wr_u8(&w, p->handle);
	wr_le16(&w, p->props);
	wr_le24(&w, p->interval_min);
	wr_le24(&w, p->interval_max);
	wr_u8(&w, 0x07); /* all three primary channels */
	wr_u8(&w, p->own_addr_type);
	wr_u8(&w, 0); /* peer address type (directed only) */
	wr_bytes(&w, zero, 6);
	wr_u8(&w, p->filter_policy);
	wr_u8(&w, (uint8_t)p->tx_power);
	wr_u8(&w, p->primary_phy);
	wr_u8(&w, 0); /* secondary max skip */
	wr_u8(&w, p->secondary_phy);
	wr_u8(&w, p->sid);
	wr_u8(&w, 0); /* no scan request notifications */
	return done(&w);
}

int gap_build_ext_adv_data(uint8_t *out, size_t cap, uint8_t handle, uint8_t operation,
			   const uint8_t *data, size_t len)
{
	if (len > GAP_EXT_FRAG_MAX)
		return -EMSGSIZE;
	struct wr w = wr_init(out, cap);
	wr_u8(&w, handle);
	wr_u8(&w, operation);
	wr_u8(&w, 0x01); /* the controller should not fragment */
	wr_u8(&w, (uint8_t)len);
	if (len)
		wr_bytes(&w, data, len);
	return done(&w);
}

int gap_build_ext_adv_enable(uint8_t *out, size_t cap, bool enable, uint8_t handle)
{
	struct wr w = wr_init(out, cap);
	wr_u8(&w, enable);
	wr_u8(&w, 1); /* one set */
	wr_u8(&w, handle);
	wr_le16(&w, 0); /* no duration */
	wr_u8(&w, 0);   /* no event limit */
	return done(&w);
}

int gap_build_set_random_address(uint8_t *out, size_t cap, uint8_t handle,
				 const uint8_t addr[6])
{
	struct wr w = wr_init(out, cap);
	wr_u8(&w, handle);
	wr_bytes(&w, addr, 6);
	return done(&w);
}

int gap_build_ext_scan_params(uint8_t *out, size_t cap, const struct gap_ext_scan_params *p)
{
	struct wr w = wr_init(out, cap);
	wr_u8(&w, p->own_addr_type);
	wr_u8(&w, p->filter_policy);
	wr_u8(&w, p->phys);
	for (unsigned bit = 0; bit < 3; bit++) {
		if (!(p->phys & (1u << bit)))
			continue;
		wr_u8(&w, p->active);
		wr_le16(&w, p->interval);
		wr_le16(&w, p->window);
	}
	return done(&w);
}

int gap_build_ext_scan_enable(uint8_t *out, size_t cap, bool enable, bool filter_duplicates,
			      uint16_t duration)
{
	struct wr w = wr_init(out, cap);
	wr_u8(&w, enable);
	wr_u8(&w, filter_duplicates);
	wr_le16(&w, duration);
	wr_le16(&w, 0); /* no periods */
	return done(&w);
}

int gap_build_ext_create_conn(uint8_t *out, size_t cap, const struct gap_ext_create_conn *p)
{
	struct wr w = wr_init(out, cap);
	wr_u8(&w, p->use_filter_accept_list);
	wr_u8(&w, p->own_addr_type);
	wr_u8(&w, p->peer_type);
	wr_bytes(&w, p->peer, 6);
	wr_u8(&w, p->phys);
	for (unsigned bit = 0; bit < 3; bit++) {
		if (!(p->phys & (1u << bit)))
			continue;
		wr_le16(&w, p->scan_interval);
		wr_le16(&w, p->scan_window);
		wr_le16(&w, p->interval_min);
		wr_le16(&w, p->interval_max);
		wr_le16(&w, p->latency);
		wr_le16(&w, p->timeout);
		wr_le16(&w, 0); /* connection event length: no preference */
		wr_le16(&w, 0);
	}
	return done(&w);
}

#define EXT_REPORTS_MAX 10

/* The legacy PDUs an extended report may describe (7.7.65.13). */
static bool legacy_event_valid(uint16_t t)
{
	switch (t & 0x1f) {
	case 0x13: /* ADV_IND */
	case 0x15: /* ADV_DIRECT_IND */
	case 0x12: /* ADV_SCAN_IND */
	case 0x10: /* ADV_NONCONN_IND */
	case 0x1b: /* SCAN_RSP to an ADV_IND */
	case 0x1a: /* SCAN_RSP to an ADV_SCAN_IND */
		return GAP_EXT_STATUS(t) == GAP_EXT_COMPLETE;
	default:
		return false;
	}
}

int gap_parse_ext_adv_report(const uint8_t *p, size_t len, gap_ext_report_fn fn, void *arg)
{
	struct gap_ext_report rep[EXT_REPORTS_MAX];
	struct rd r = rd_init(p, len);
	uint8_t n = rd_u8(&r);
	if (n < 1 || n > EXT_REPORTS_MAX)
		return -EBADMSG;
	for (unsigned i = 0; i < n; i++) {
		struct gap_ext_report *x = &rep[i];
		x->event_type = rd_le16(&r);
		x->addr_type = rd_u8(&r);
		rd_copy(&r, x->addr, 6);
		x->primary_phy = rd_u8(&r);
		x->secondary_phy = rd_u8(&r);
		x->sid = rd_u8(&r);
		x->tx_power = (int8_t)rd_u8(&r);
		x->rssi = (int8_t)rd_u8(&r);
		rd_skip(&r, 2 + 1 + 6); /* periodic interval, direct address type and address */
		x->len = rd_u8(&r);
		x->data = rd_ptr(&r, x->len);
		if (!rd_ok(&r) || (x->event_type & 0xff80) ||
		    GAP_EXT_STATUS(x->event_type) == 3)
			return -EBADMSG;
		if ((x->event_type & GAP_EXT_EVT_LEGACY) &&
		    (!legacy_event_valid(x->event_type) || x->len > AD_LEGACY_MAX))
			return -EBADMSG;
	}
	if (!rd_end(&r))
		return -EBADMSG;
	for (unsigned i = 0; i < n; i++)
		fn(arg, &rep[i]);
	return n;
}

uint8_t gap_ext_event_to_ad(uint16_t t)
{
	bool conn = t & GAP_EXT_EVT_CONNECTABLE, scan = t & GAP_EXT_EVT_SCANNABLE;
	if (t & GAP_EXT_EVT_SCAN_RSP)
		return AD_EVT_SCAN_RSP;
	if (t & GAP_EXT_EVT_DIRECTED)
		return conn ? AD_EVT_ADV_DIRECT_IND : AD_EVT_ADV_NONCONN_IND;
	if (conn && scan)
		return AD_EVT_ADV_IND;
	if (conn)
		return AD_EVT_EXT_CONNECTABLE;
	return scan ? AD_EVT_ADV_SCAN_IND : AD_EVT_ADV_NONCONN_IND;
}

int gap_decode_rssi(const uint8_t *ret, size_t len, uint16_t *handle, int8_t *rssi)
{
	struct rd r = rd_init(ret, len);
	*handle = rd_le16(&r);
	*rssi = (int8_t)rd_u8(&r);
	return rd_end(&r) ? 0 : -EBADMSG;
}

uint16_t gap_ms_to_slots(uint32_t ms, uint16_t lo, uint16_t hi)
{
	uint64_t s = (uint64_t)ms * 1000 / 625;
	if (s < lo)
		s = lo;
	if (s > hi)
		s = hi;
	return (uint16_t)s;
}
