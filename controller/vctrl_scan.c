/* hive-vctrl: scanning, legacy and extended: what a scanner hears of each
 * advertising event (reports, scan responses, duplicate filtering) and
 * scan durations. */
#include <string.h>

#include "vctrl_int.h"

#define MS_NS 1000000ull

void vctrl_scan_reset(struct vctrl *c)
{
	memset(&c->scan, 0, sizeof c->scan);
	memset(&c->scan_params, 0, sizeof c->scan_params);
	c->scan_params.phys = 0x01;
	c->scan_params.phy[0].interval = 0x0010;
	c->scan_params.phy[0].window = 0x0010;
	c->scan_params.phy[1] = c->scan_params.phy[0];
}

/* ---- commands ------------------------------------------------------------ */

static bool scan_phy_valid(uint8_t type, uint16_t interval, uint16_t window, bool legacy)
{
	return type <= 1 && interval >= 4 && window >= 4 && window <= interval &&
	       (!legacy || interval <= 0x4000);
}

uint8_t on_le_set_scan_parameters(struct vctrl_radio *r, struct vctrl *c,
				  const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_scan_params p;
	if (vctrl_parse_scan_params(cmd->params, cmd->n, &p) < 0)
		return HCI_INVALID_PARAMETERS;
	if (c->scan.enabled)
		return HCI_COMMAND_DISALLOWED;
	if (!scan_phy_valid(p.phy[0].type, p.phy[0].interval, p.phy[0].window, true) ||
	    p.own_addr_type > 3 || p.filter_policy > 3)
		return HCI_INVALID_PARAMETERS;
	c->scan_params = p;
	return HCI_SUCCESS;
}

static void dup_reset(struct vctrl_scan *sc)
{
	sc->ndup = 0;
	sc->dup_next = 0;
}

static uint8_t scan_start(struct vctrl_radio *r, struct vctrl *c, bool ext, uint8_t filter_dup,
			  uint16_t duration, uint16_t period)
{
	struct vctrl_addr a;
	if (!vctrl_own_address(c, c->scan_params.own_addr_type, &a))
		return HCI_INVALID_PARAMETERS;
	struct vctrl_scan *sc = &c->scan;
	bool was = sc->enabled;
	sc->enabled = true;
	sc->ext = ext;
	sc->filter_dup = filter_dup;
	sc->paused = false;
	sc->duration_ns = duration * 10ull * MS_NS;
	sc->period_ns = duration ? period * 1280ull * MS_NS : 0;
	sc->end_ns = duration ? r->now + sc->duration_ns : 0;
	sc->next_period_ns = sc->period_ns ? r->now + sc->period_ns : 0;
	/* A new scan (or a new Filter_Duplicates setting) starts a new filter. */
	if (!was || ext)
		dup_reset(sc);
	return HCI_SUCCESS;
}

uint8_t on_le_set_scan_enable(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			      struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint8_t enable = rd_u8(&rd), dup = rd_u8(&rd);
	if (enable > 1 || dup > 1)
		return HCI_INVALID_PARAMETERS;
	if (!enable) {
		c->scan.enabled = false;
		return HCI_SUCCESS;
	}
	return scan_start(r, c, false, dup, 0, 0);
}

uint8_t on_le_set_extended_scan_parameters(struct vctrl_radio *r, struct vctrl *c,
					   const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_scan_params p;
	if (vctrl_parse_ext_scan_params(cmd->params, cmd->n, &p) < 0)
		return HCI_INVALID_PARAMETERS;
	if (c->scan.enabled)
		return HCI_COMMAND_DISALLOWED;
	if (p.phys & ~0x05u)
		return HCI_UNSUPPORTED_FEATURE;
	if (!p.phys || p.own_addr_type > 3 || p.filter_policy > 3)
		return HCI_INVALID_PARAMETERS;
	for (int i = 0; i < 2; i++)
		if ((p.phys & (i ? 4 : 1)) &&
		    !scan_phy_valid(p.phy[i].type, p.phy[i].interval, p.phy[i].window, false))
			return HCI_INVALID_PARAMETERS;
	c->scan_params = p;
	return HCI_SUCCESS;
}

uint8_t on_le_set_extended_scan_enable(struct vctrl_radio *r, struct vctrl *c,
				       const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_ext_scan_enable e;
	if (vctrl_parse_ext_scan_enable(cmd->params, cmd->n, &e) < 0 || e.enable > 1 ||
	    e.filter_dup > 2)
		return HCI_INVALID_PARAMETERS;
	if (!e.enable) {
		c->scan.enabled = false;
		return HCI_SUCCESS;
	}
	if (e.duration && e.period && (uint64_t)e.duration * 10 >= (uint64_t)e.period * 1280)
		return HCI_INVALID_PARAMETERS;
	if (e.filter_dup == 2 && (!e.duration || !e.period))
		return HCI_INVALID_PARAMETERS;
	return scan_start(r, c, true, e.filter_dup, e.duration, e.period);
}

/* ---- reports ------------------------------------------------------------- */

/* True when the scanner already reported this (duplicate filtering on);
 * records it otherwise. A full table forgets its oldest entry, as a
 * controller's limited filter does. */
static bool dup_seen(struct vctrl *d, const struct vctrl_addr *a, uint8_t kind, uint8_t did)
{
	struct vctrl_scan *sc = &d->scan;
	if (!sc->filter_dup)
		return false;
	if (!sc->ext)
		did = 0; /* legacy filtering is by address */
	for (unsigned i = 0; i < sc->ndup; i++) {
		struct vctrl_dup *e = &sc->dup[i];
		if (e->addr_type == a->type && e->kind == kind && !memcmp(e->addr, a->a, 6)) {
			if (e->did == did)
				return true;
			e->did = did;
			return false;
		}
	}
	struct vctrl_dup *e = sc->ndup < VCTRL_DUP_MAX ? &sc->dup[sc->ndup++]
						       : &sc->dup[sc->dup_next++ % VCTRL_DUP_MAX];
	e->addr_type = a->type;
	memcpy(e->addr, a->a, 6);
	e->kind = kind;
	e->did = did;
	return false;
}

static uint8_t legacy_report_type(uint16_t props)
{
	if (props & ADV_PROP_DIRECTED)
		return HCI_REPORT_ADV_DIRECT_IND;
	if (props & ADV_PROP_CONNECTABLE)
		return HCI_REPORT_ADV_IND;
	if (props & ADV_PROP_SCANNABLE)
		return HCI_REPORT_ADV_SCAN_IND;
	return HCI_REPORT_ADV_NONCONN_IND;
}

static void send_legacy_report(struct vctrl_radio *r, struct vctrl *d, const struct vctrl_adv *s,
			       const struct vctrl_addr *a, bool scan_rsp)
{
	if (!vctrl_le_event_on(d, HCI_LE_ADVERTISING_REPORT))
		return;
	struct vctrl_adv_report rep = {
		.event_type = scan_rsp ? HCI_REPORT_SCAN_RSP : legacy_report_type(s->props),
		.addr_type = a->type,
		.rssi = VCTRL_RSSI,
	};
	memcpy(rep.addr, a->a, 6);
	if (scan_rsp) {
		rep.data = s->scan_rsp;
		rep.len = (uint8_t)(s->scan_rsp_len > 31 ? 31 : s->scan_rsp_len);
	} else if (!(s->props & ADV_PROP_DIRECTED)) {
		rep.data = s->data;
		rep.len = (uint8_t)(s->data_len > 31 ? 31 : s->data_len);
	}
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_le_adv_report(&w, &rep);
	vctrl_send(r, d, &w);
}

static void send_ext_report(struct vctrl_radio *r, struct vctrl *d, const struct vctrl_adv *s,
			    const struct vctrl_addr *a, bool scan_rsp)
{
	if (!vctrl_le_event_on(d, HCI_LE_EXTENDED_ADVERTISING_REPORT))
		return;
	bool legacy = s->props & ADV_PROP_LEGACY;
	struct vctrl_ext_adv_report rep = {
		.addr_type = a->type,
		.primary_phy = legacy ? HCI_PHY_1M : s->primary_phy,
		.secondary_phy = legacy ? 0 : s->secondary_phy,
		.sid = legacy ? 0xFF : s->sid,
		.tx_power = (s->props & ADV_PROP_TX_POWER) ? s->tx_power : 127,
		.rssi = VCTRL_RSSI,
	};
	memcpy(rep.addr, a->a, 6);
	/* Legacy PDUs report as the fixed values of 7.7.65.13. */
	uint16_t type = s->props & (ADV_PROP_CONNECTABLE | ADV_PROP_SCANNABLE | ADV_PROP_DIRECTED);
	if (legacy)
		type |= EXT_REPORT_LEGACY;
	if (scan_rsp)
		type |= EXT_REPORT_SCAN_RSP | EXT_REPORT_SCANNABLE;
	if (s->props & ADV_PROP_DIRECTED) {
		rep.direct_addr_type = s->peer_addr_type;
		memcpy(rep.direct_addr, s->peer_addr, 6);
	}
	const uint8_t *data = scan_rsp ? s->scan_rsp : s->data;
	size_t len = scan_rsp ? s->scan_rsp_len : s->data_len;
	if (!scan_rsp && (s->props & ADV_PROP_DIRECTED) && legacy)
		len = 0;
	if (legacy && len > 31)
		len = 31;
	/* Data longer than one event carries goes in several reports, all but
	 * the last marked "incomplete, more data to come". */
	size_t off = 0;
	do {
		size_t n = len - off > VCTRL_EXT_REPORT_DATA_MAX ? VCTRL_EXT_REPORT_DATA_MAX
								 : len - off;
		rep.event_type = (uint16_t)(type | (off + n < len ? EXT_REPORT_MORE_DATA : 0));
		rep.data = data + off;
		rep.len = (uint8_t)n;
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_le_ext_adv_report(&w, &rep);
		vctrl_send(r, d, &w);
		off += n;
	} while (off < len);
}

static void send_report(struct vctrl_radio *r, struct vctrl *d, const struct vctrl_adv *s,
			const struct vctrl_addr *a, bool scan_rsp)
{
	if (d->scan.ext)
		send_ext_report(r, d, s, a, scan_rsp);
	else
		send_legacy_report(r, d, s, a, scan_rsp);
}

void vctrl_scan_receive(struct vctrl_radio *r, struct vctrl *d, struct vctrl *c,
			 struct vctrl_adv *s, const struct vctrl_addr *a)
{
	bool legacy = s->props & ADV_PROP_LEGACY;
	if (!d->scan.enabled || d->scan.paused)
		return;
	if (!legacy && !d->scan.ext)
		return; /* legacy scanning hears legacy PDUs only */
	int phy = (legacy || s->primary_phy == HCI_PHY_1M) ? 0 : 1;
	if (!(d->scan_params.phys & (phy ? 4 : 1)))
		return;
	struct vctrl_addr me;
	vctrl_own_address(d, d->scan_params.own_addr_type, &me);
	if ((s->props & ADV_PROP_DIRECTED) &&
	    ((s->peer_addr_type & 1) != me.type || memcmp(s->peer_addr, me.a, 6)))
		return;
	if ((d->scan_params.filter_policy & 1) && !vctrl_fal_contains(d, a))
		return;
	if (!dup_seen(d, a, 0, s->did))
		send_report(r, d, s, a, false);
	if (!d->scan_params.phy[phy].type || !(s->props & ADV_PROP_SCANNABLE))
		return;
	/* Active scanning: a scan request, answered unless the advertiser's
	 * filter policy keeps d out. */
	if ((s->filter_policy & 1) && !vctrl_fal_contains(c, &me))
		return;
	if (s->scan_req_notify && vctrl_le_event_on(c, HCI_LE_SCAN_REQUEST_RECEIVED)) {
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_le_scan_request_received(&w, s->handle, me.type, me.a);
		vctrl_send(r, c, &w);
	}
	if (!dup_seen(d, a, 1, s->did))
		send_report(r, d, s, a, true);
}

void vctrl_scan_tick(struct vctrl_radio *r, struct vctrl *c, uint64_t now)
{
	struct vctrl_scan *sc = &c->scan;
	if (!sc->enabled)
		return;
	if (sc->paused && now >= sc->next_period_ns) {
		sc->paused = false;
		sc->end_ns = now + sc->duration_ns;
		sc->next_period_ns += sc->period_ns;
		if (sc->next_period_ns <= now)
			sc->next_period_ns = now + sc->period_ns;
		if (sc->filter_dup == 2)
			dup_reset(sc);
	}
	if (!sc->paused && sc->end_ns && now >= sc->end_ns) {
		if (sc->period_ns) {
			sc->paused = true;
			return;
		}
		sc->enabled = false;
		if (vctrl_le_event_on(c, HCI_LE_SCAN_TIMEOUT)) {
			uint8_t buf[VCTRL_PKT_MAX];
			struct wr w = wr_init(buf, sizeof buf);
			vctrl_evt_le_scan_timeout(&w);
			vctrl_send(r, c, &w);
		}
	}
}

uint64_t vctrl_scan_deadline(const struct vctrl *c)
{
	const struct vctrl_scan *sc = &c->scan;
	if (!sc->enabled)
		return UINT64_MAX;
	if (sc->paused)
		return sc->next_period_ns;
	return sc->end_ns ? sc->end_ns : UINT64_MAX;
}
