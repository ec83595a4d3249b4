/* hive-vctrl: initiating, connections and their procedures (disconnect,
 * connection update, data length, PHY, remote features and version,
 * encryption). ACL data is in vctrl_data.c. */
#include <string.h>

#include "vctrl_int.h"

/* ---- the link table ------------------------------------------------------- */

struct vctrl_link *vctrl_link_find(struct vctrl_radio *r, const struct vctrl *c, uint16_t handle,
				   int *side)
{
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++) {
		struct vctrl_link *l = &r->link[i];
		if (!l->used)
			continue;
		for (int s = 0; s < 2; s++) {
			if (l->ctrl[s] == c->index && l->handle[s] == handle) {
				*side = s;
				return l;
			}
		}
	}
	return NULL;
}

/* An LE link of c: the LE commands do not act on BR/EDR handles. */
static struct vctrl_link *le_link_find(struct vctrl_radio *r, const struct vctrl *c,
				       uint16_t handle, int *side)
{
	struct vctrl_link *l = vctrl_link_find(r, c, handle, side);
	return l && !l->bredr ? l : NULL;
}

struct vctrl_link *vctrl_link_alloc(struct vctrl_radio *r)
{
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++)
		if (!r->link[i].used)
			return &r->link[i];
	return NULL;
}

unsigned vctrl_conn_count(const struct vctrl_radio *r, const struct vctrl *c)
{
	unsigned n = 0;
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++) {
		const struct vctrl_link *l = &r->link[i];
		n += l->used && (l->ctrl[0] == c->index || l->ctrl[1] == c->index);
	}
	return n;
}

uint16_t vctrl_new_handle(struct vctrl_radio *r, struct vctrl *c)
{
	for (;;) {
		uint16_t h = c->next_handle;
		c->next_handle = (uint16_t)(h >= 0x0EFF ? 0x0001 : h + 1);
		int side;
		if (h != 0 && !vctrl_link_find(r, c, h, &side))
			return h;
	}
}

static struct vctrl *side_ctrl(struct vctrl_radio *r, const struct vctrl_link *l, int side)
{
	return &r->ctrl[l->ctrl[side]];
}

/* Frees c's buffered packets of a handle that ended: the host counts them
 * as completed when it sees Disconnection Complete (Vol 4 Part E 4.3). */
static void free_slots(struct vctrl_radio *r, struct vctrl *c, uint16_t handle)
{
	for (unsigned i = 0; i < vctrl_slot_count(r); i++) {
		if (c->slots[i].used && c->slots[i].handle == handle) {
			c->slots[i].used = false;
			if (i < r->cfg.acl_count)
				c->acl_free++;
			else
				c->br_free++;
		}
	}
}

void vctrl_link_drop(struct vctrl_radio *r, struct vctrl_link *l, const uint8_t reason[2],
		     const bool notify[2])
{
	for (int s = 0; s < 2; s++) {
		struct vctrl *c = side_ctrl(r, l, s);
		free_slots(r, c, l->handle[s]);
		if (notify[s] && vctrl_event_on(c, HCI_EV_DISCONNECTION_COMPLETE)) {
			uint8_t buf[VCTRL_PKT_MAX];
			struct wr w = wr_init(buf, sizeof buf);
			vctrl_evt_disconnection_complete(&w, HCI_SUCCESS, l->handle[s], reason[s]);
			vctrl_send(r, c, &w);
		}
	}
	vctrl_log(r, side_ctrl(r, l, 0), HIVE_LOG_INFO,
		  "%s connection 0x%03x (%s) / %s 0x%03x (%s) ended: reasons 0x%02x/0x%02x",
		  l->bredr ? "BR/EDR" : "LE", l->handle[0],
		  l->bredr ? "pager" : "central", side_ctrl(r, l, 1)->name, l->handle[1],
		  l->bredr ? "paged" : "peripheral", reason[0], reason[1]);
	memset(l, 0, sizeof *l);
}

void vctrl_conn_drop_all(struct vctrl_radio *r, struct vctrl *c, uint8_t peer_reason)
{
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++) {
		struct vctrl_link *l = &r->link[i];
		if (!l->used || (l->ctrl[0] != c->index && l->ctrl[1] != c->index))
			continue;
		int me = l->ctrl[0] == c->index ? 0 : 1;
		uint8_t reason[2] = { peer_reason, peer_reason };
		bool notify[2];
		notify[me] = false;
		notify[!me] = true;
		vctrl_link_drop(r, l, reason, notify);
	}
}

/* ---- initiating ---------------------------------------------------------- */

static bool conn_params_valid(const struct vctrl_conn_params *p, bool scan)
{
	if (scan && (p->scan_interval < 4 || p->scan_window < 4 ||
		     p->scan_window > p->scan_interval))
		return false;
	return p->interval_min >= 6 && p->interval_max <= 0x0C80 &&
	       p->interval_min <= p->interval_max && p->latency <= 0x01F3 && p->timeout >= 0x0A &&
	       p->timeout <= 0x0C80 && p->ce_min <= p->ce_max &&
	       /* supervision timeout > (1 + latency) * interval * 2 (units of
		* 10 ms and 1.25 ms) */
	       (uint32_t)p->timeout * 4 > (1u + p->latency) * p->interval_max;
}

static uint8_t start_initiating(struct vctrl_radio *r, struct vctrl *c,
				const struct vctrl_create_conn *p, bool ext)
{
	if (c->init.active)
		return HCI_COMMAND_DISALLOWED;
	if (p->phys & ~7u)
		return HCI_UNSUPPORTED_FEATURE;
	if (p->filter_policy > 1 || p->own_addr_type > 3 || p->peer_addr_type > 3 ||
	    !(p->phys & 5))
		return HCI_INVALID_PARAMETERS;
	for (int i = 0; i < 3; i++)
		if ((p->phys & (1u << i)) && !conn_params_valid(&p->phy[i], i != 1 || !ext))
			return HCI_INVALID_PARAMETERS;
	struct vctrl_addr me;
	if (!vctrl_own_address(c, p->own_addr_type, &me))
		return HCI_INVALID_PARAMETERS;
	if (vctrl_conn_count(r, c) >= VCTRL_CONN_PER_CTRL)
		return HCI_CONNECTION_LIMIT_EXCEEDED;
	c->init.active = true;
	c->init.ext = ext;
	c->init.p = *p;
	return HCI_SUCCESS;
}

uint8_t on_le_create_connection(struct vctrl_radio *r, struct vctrl *c,
				const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_create_conn p;
	if (vctrl_parse_create_conn(cmd->params, cmd->n, &p) < 0)
		return HCI_INVALID_PARAMETERS;
	if (p.phy[0].scan_interval > 0x4000 || p.phy[0].scan_window > 0x4000)
		return HCI_INVALID_PARAMETERS;
	return start_initiating(r, c, &p, false);
}

uint8_t on_le_extended_create_connection(struct vctrl_radio *r, struct vctrl *c,
					 const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_create_conn p;
	if (vctrl_parse_ext_create_conn(cmd->params, cmd->n, &p) < 0)
		return HCI_INVALID_PARAMETERS;
	return start_initiating(r, c, &p, true);
}

static void send_conn_complete(struct vctrl_radio *r, struct vctrl *c,
			       const struct vctrl_conn_complete *e)
{
	bool enh = vctrl_le_event_on(c, HCI_LE_ENHANCED_CONNECTION_COMPLETE);
	if (!enh && !vctrl_le_event_on(c, HCI_LE_CONNECTION_COMPLETE))
		return;
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_le_conn_complete(&w, e, enh);
	vctrl_send(r, c, &w);
}

uint8_t on_le_create_connection_cancel(struct vctrl_radio *r, struct vctrl *c,
				       const struct vctrl_cmd *cmd, struct wr *ret)
{
	if (!c->init.active)
		return HCI_COMMAND_DISALLOWED;
	c->init.active = false;
	/* 7.8.13: the cancelled attempt ends with Unknown Connection Identifier. */
	struct vctrl_conn_complete e = {
		.status = HCI_UNKNOWN_CONNECTION_ID,
		.role = HCI_ROLE_CENTRAL,
		.peer_addr_type = c->init.p.peer_addr_type,
	};
	memcpy(e.peer_addr, c->init.p.peer_addr, 6);
	send_conn_complete(r, c, &e);
	return HCI_SUCCESS;
}

static void send_data_length_change(struct vctrl_radio *r, const struct vctrl_link *l)
{
	for (int s = 0; s < 2; s++) {
		struct vctrl *c = side_ctrl(r, l, s);
		if (!vctrl_le_event_on(c, HCI_LE_DATA_LENGTH_CHANGE))
			continue;
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_le_data_length_change(&w, l->handle[s], l->tx_octets[s], l->tx_time[s],
						l->tx_octets[!s], l->tx_time[!s]);
		vctrl_send(r, c, &w);
	}
}

static int phy_index(uint8_t phy)
{
	return phy == HCI_PHY_2M ? 1 : phy == HCI_PHY_CODED ? 2 : 0;
}

bool vctrl_conn_try(struct vctrl_radio *r, struct vctrl *d, struct vctrl *c, struct vctrl_adv *s,
		    uint64_t now)
{
	const struct vctrl_create_conn *p = &d->init.p;
	bool legacy = s->props & ADV_PROP_LEGACY;
	if (!d->init.ext && !legacy)
		return false; /* LE Create Connection answers legacy PDUs only */
	uint8_t primary = legacy ? HCI_PHY_1M : s->primary_phy;
	if (!(p->phys & (primary == HCI_PHY_CODED ? 4 : 1)))
		return false;
	struct vctrl_addr adv, me;
	vctrl_adv_address(c, s, &adv);
	if (adv.type == HCI_ADDR_ANONYMOUS || !vctrl_own_address(d, p->own_addr_type, &me))
		return false;
	if (p->filter_policy & 1) {
		if (!vctrl_fal_contains(d, &adv))
			return false;
	} else if ((p->peer_addr_type & 1) != adv.type || memcmp(p->peer_addr, adv.a, 6)) {
		return false;
	}
	if ((s->props & ADV_PROP_DIRECTED) &&
	    ((s->peer_addr_type & 1) != me.type || memcmp(s->peer_addr, me.a, 6)))
		return false;
	if ((s->filter_policy & 2) && !vctrl_fal_contains(c, &me))
		return false;
	if (vctrl_conn_count(r, c) >= VCTRL_CONN_PER_CTRL ||
	    vctrl_conn_count(r, d) >= VCTRL_CONN_PER_CTRL)
		return false;
	struct vctrl_link *l = vctrl_link_alloc(r);
	if (!l) {
		vctrl_log(r, d, HIVE_LOG_WARN, "the radio has no room for another connection");
		return false;
	}
	/* Legacy PDUs connect on LE 1M; extended ones on the secondary PHY, with
	 * that PHY's parameters when the initiator gave them. */
	uint8_t phy = legacy ? HCI_PHY_1M : s->secondary_phy;
	int pi = phy_index(phy);
	if (!(p->phys & (1u << pi)))
		pi = phy_index(primary);
	const struct vctrl_conn_params *cp = &p->phy[pi];

	memset(l, 0, sizeof *l);
	l->used = true;
	l->ctrl[0] = d->index;
	l->ctrl[1] = c->index;
	l->handle[0] = vctrl_new_handle(r, d);
	l->handle[1] = vctrl_new_handle(r, c);
	l->addr[0] = me;
	l->addr[1] = adv;
	l->interval = cp->interval_max;
	l->latency = cp->latency;
	l->timeout = cp->timeout;
	l->phy[0] = l->phy[1] = phy;
	for (int k = 0; k < 2; k++) {
		l->tx_octets[k] = 27;
		l->tx_time[k] = phy == HCI_PHY_CODED ? 2704 : 328;
	}
	l->next_event_ns = now + l->interval * 1250000ull;
	d->init.active = false;
	s->enabled = false;

	for (int k = 0; k < 2; k++) {
		struct vctrl_conn_complete e = {
			.handle = l->handle[k],
			.role = k == 0 ? HCI_ROLE_CENTRAL : HCI_ROLE_PERIPHERAL,
			.peer_addr_type = l->addr[!k].type,
			.interval = l->interval,
			.latency = l->latency,
			.timeout = l->timeout,
		};
		memcpy(e.peer_addr, l->addr[!k].a, 6);
		send_conn_complete(r, side_ctrl(r, l, k), &e);
	}
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w;
	if (s != &c->adv[0] && vctrl_le_event_on(c, HCI_LE_ADVERTISING_SET_TERMINATED)) {
		w = wr_init(buf, sizeof buf);
		vctrl_evt_le_adv_set_terminated(&w, HCI_SUCCESS, s->handle, l->handle[1],
						(uint8_t)(s->events > 255 ? 255 : s->events));
		vctrl_send(r, c, &w);
	}
	for (int k = 0; k < 2; k++) {
		struct vctrl *x = side_ctrl(r, l, k);
		if (!vctrl_le_event_on(x, HCI_LE_CHANNEL_SELECTION_ALGORITHM))
			continue;
		w = wr_init(buf, sizeof buf);
		vctrl_evt_le_channel_selection(&w, l->handle[k], 0x01); /* #2 */
		vctrl_send(r, x, &w);
	}
	char a0[18], a1[18];
	vctrl_log(r, d, HIVE_LOG_INFO, "connected as central 0x%03x (%s) to %s 0x%03x (%s)",
		  l->handle[0], vctrl_addr_str(me.a, a0), c->name, l->handle[1],
		  vctrl_addr_str(adv.a, a1));
	/* Each link layer starts the Data Length Update procedure on its own
	 * when its host suggested more than the initial 27 octets. */
	if (d->sugg_tx_octets > 27 || c->sugg_tx_octets > 27) {
		l->tx_octets[0] = d->sugg_tx_octets;
		l->tx_time[0] = d->sugg_tx_time;
		l->tx_octets[1] = c->sugg_tx_octets;
		l->tx_time[1] = c->sugg_tx_time;
		send_data_length_change(r, l);
	}
	return true;
}

/* ---- connection commands ---------------------------------------------------- */

static bool disconnect_reason_valid(uint8_t reason)
{
	switch (reason) {
	case HCI_AUTHENTICATION_FAILURE:
	case HCI_REMOTE_USER_TERMINATED:
	case HCI_REMOTE_LOW_RESOURCES:
	case HCI_REMOTE_POWER_OFF:
	case HCI_UNSUPPORTED_REMOTE_FEATURE:
	case HCI_UNIT_KEY_NOT_SUPPORTED:
	case HCI_UNACCEPTABLE_CONN_PARAMS:
		return true;
	default:
		return false;
	}
}

uint8_t on_disconnect(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
		      struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	uint8_t reason = rd_u8(&rd);
	int side;
	struct vctrl_link *l = vctrl_link_find(r, c, handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	if (!disconnect_reason_valid(reason))
		return HCI_INVALID_PARAMETERS;
	uint8_t reasons[2];
	reasons[side] = HCI_LOCAL_HOST_TERMINATED;
	reasons[!side] = reason;
	const bool notify[2] = { true, true };
	vctrl_link_drop(r, l, reasons, notify);
	return HCI_SUCCESS;
}

uint8_t on_read_remote_version_information(struct vctrl_radio *r, struct vctrl *c,
					   const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	int side;
	if (!vctrl_link_find(r, c, handle, &side))
		return HCI_UNKNOWN_CONNECTION_ID;
	if (vctrl_event_on(c, HCI_EV_READ_REMOTE_VERSION_INFORMATION_COMPLETE)) {
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_remote_version(&w, HCI_SUCCESS, handle, VCTRL_HCI_VERSION,
					 VCTRL_COMPANY_ID, VCTRL_LMP_SUBVERSION);
		vctrl_send(r, c, &w);
	}
	return HCI_SUCCESS;
}

uint8_t on_read_rssi(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
		     struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	int side;
	bool known = vctrl_link_find(r, c, handle, &side);
	wr_le16(ret, handle);
	wr_u8(ret, known ? (uint8_t)(int8_t)VCTRL_RSSI : 0);
	return known ? HCI_SUCCESS : HCI_UNKNOWN_CONNECTION_ID;
}

uint8_t on_le_read_channel_map(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			       struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	int side;
	bool known = le_link_find(r, c, handle, &side);
	static const uint8_t all[5] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x1F };
	static const uint8_t none[5] = { 0 };
	wr_le16(ret, handle);
	wr_bytes(ret, known ? all : none, 5);
	return known ? HCI_SUCCESS : HCI_UNKNOWN_CONNECTION_ID;
}

uint8_t on_le_read_remote_features(struct vctrl_radio *r, struct vctrl *c,
				   const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	int side;
	if (!le_link_find(r, c, handle, &side))
		return HCI_UNKNOWN_CONNECTION_ID;
	if (vctrl_le_event_on(c, HCI_LE_READ_REMOTE_FEATURES_COMPLETE)) {
		uint8_t f[8], buf[VCTRL_PKT_MAX];
		vctrl_le_features(f);
		if (r->cfg.no_extended)
			f[1] &= (uint8_t)~0x10; /* bit 12 LE Extended Advertising */
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_le_remote_features(&w, HCI_SUCCESS, handle, f);
		vctrl_send(r, c, &w);
	}
	return HCI_SUCCESS;
}

uint8_t on_le_connection_update(struct vctrl_radio *r, struct vctrl *c,
				const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_conn_update u;
	if (vctrl_parse_conn_update(cmd->params, cmd->n, &u) < 0)
		return HCI_INVALID_PARAMETERS;
	int side;
	struct vctrl_link *l = le_link_find(r, c, u.handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	struct vctrl_conn_params p = {
		.interval_min = u.interval_min, .interval_max = u.interval_max,
		.latency = u.latency, .timeout = u.timeout, .ce_min = u.ce_min, .ce_max = u.ce_max,
	};
	if (!conn_params_valid(&p, false))
		return HCI_INVALID_PARAMETERS;
	/* A peripheral needs the Connection Parameters Request procedure,
	 * which these link layers do not have (7.8.18). */
	if (side == 1)
		return HCI_UNSUPPORTED_REMOTE_FEATURE;
	bool changed = l->interval != u.interval_max || l->latency != u.latency ||
		       l->timeout != u.timeout;
	l->interval = u.interval_max;
	l->latency = u.latency;
	l->timeout = u.timeout;
	for (int s = 0; s < 2; s++) {
		struct vctrl *x = side_ctrl(r, l, s);
		if ((s != side && !changed) ||
		    !vctrl_le_event_on(x, HCI_LE_CONNECTION_UPDATE_COMPLETE))
			continue;
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_le_conn_update_complete(&w, HCI_SUCCESS, l->handle[s], l->interval,
						  l->latency, l->timeout);
		vctrl_send(r, x, &w);
	}
	return HCI_SUCCESS;
}

uint8_t on_le_set_data_length(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			      struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	uint16_t octets = rd_le16(&rd);
	uint16_t time = rd_le16(&rd);
	wr_le16(ret, handle);
	int side;
	struct vctrl_link *l = le_link_find(r, c, handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	if (octets < 27 || octets > 251 || time < 328 || time > 17040)
		return HCI_INVALID_PARAMETERS;
	/* The peer can receive 251 octets / 17040 us, so what this side asks
	 * for is what it gets. */
	bool changed = l->tx_octets[side] != octets || l->tx_time[side] != time;
	l->tx_octets[side] = octets;
	l->tx_time[side] = time;
	if (changed)
		send_data_length_change(r, l);
	return HCI_SUCCESS;
}

uint8_t on_le_read_phy(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
		       struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	int side;
	struct vctrl_link *l = le_link_find(r, c, handle, &side);
	wr_le16(ret, handle);
	wr_u8(ret, l ? l->phy[side] : 0);
	wr_u8(ret, l ? l->phy[!side] : 0);
	return l ? HCI_SUCCESS : HCI_UNKNOWN_CONNECTION_ID;
}

/* The PHY chosen from a preference mask (bit 0 1M, 1 2M, 2 Coded): the
 * fastest one allowed, or cur when none is. */
static uint8_t pick_phy(unsigned mask, uint8_t cur)
{
	if (mask & 2)
		return HCI_PHY_2M;
	if (mask & 1)
		return HCI_PHY_1M;
	if (mask & 4)
		return HCI_PHY_CODED;
	return cur;
}

uint8_t on_le_set_phy(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
		      struct wr *ret)
{
	struct vctrl_set_phy p;
	if (vctrl_parse_set_phy(cmd->params, cmd->n, &p) < 0)
		return HCI_INVALID_PARAMETERS;
	int side;
	struct vctrl_link *l = le_link_find(r, c, p.handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	if ((p.all_phys & ~3u) || (p.tx_phys & ~7u) || (p.rx_phys & ~7u))
		return HCI_UNSUPPORTED_FEATURE;
	if ((!(p.all_phys & 1) && !p.tx_phys) || (!(p.all_phys & 2) && !p.rx_phys) ||
	    p.options > 2)
		return HCI_INVALID_PARAMETERS;
	struct vctrl *peer = side_ctrl(r, l, !side);
	/* "No preference" keeps the PHY in use; the peer's defaults (LE Set
	 * Default PHY) limit what it sends and receives. */
	unsigned tx = (p.all_phys & 1) ? 1u << (l->phy[side] - 1) : p.tx_phys;
	unsigned rx = (p.all_phys & 2) ? 1u << (l->phy[!side] - 1) : p.rx_phys;
	unsigned peer_rx = (peer->def_all_phys & 2) ? 7 : peer->def_rx_phys;
	unsigned peer_tx = (peer->def_all_phys & 1) ? 7 : peer->def_tx_phys;
	uint8_t new_tx = pick_phy(tx & peer_rx, l->phy[side]);
	uint8_t new_rx = pick_phy(rx & peer_tx, l->phy[!side]);
	bool changed = new_tx != l->phy[side] || new_rx != l->phy[!side];
	l->phy[side] = new_tx;
	l->phy[!side] = new_rx;
	for (int s = 0; s < 2; s++) {
		struct vctrl *x = side_ctrl(r, l, s);
		if ((s != side && !changed) || !vctrl_le_event_on(x, HCI_LE_PHY_UPDATE_COMPLETE))
			continue;
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_le_phy_update(&w, HCI_SUCCESS, l->handle[s], l->phy[s], l->phy[!s]);
		vctrl_send(r, x, &w);
	}
	return HCI_SUCCESS;
}

/* ---- encryption ------------------------------------------------------------ */

static void send_encryption_change(struct vctrl_radio *r, const struct vctrl_link *l, int s,
				   uint8_t status, uint8_t enabled)
{
	struct vctrl *c = side_ctrl(r, l, s);
	if (!vctrl_event_on(c, HCI_EV_ENCRYPTION_CHANGE))
		return;
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_encryption_change(&w, status, l->handle[s], enabled);
	vctrl_send(r, c, &w);
}

/* The peripheral has no key: LL_REJECT_EXT_IND with PIN or Key Missing.
 * A link that was encrypted was paused for the refresh and stays clear. */
static void enc_reject(struct vctrl_radio *r, struct vctrl_link *l)
{
	bool was = l->encrypted;
	l->enc_pending = false;
	l->encrypted = false;
	memset(l->ltk, 0, sizeof l->ltk);
	send_encryption_change(r, l, 0, HCI_PIN_OR_KEY_MISSING, 0x00);
	if (was)
		send_encryption_change(r, l, 1, HCI_PIN_OR_KEY_MISSING, 0x00);
}

/* Both link layers derive the session key from their LTK: with different
 * keys the first encrypted PDU fails its MIC check. */
static void enc_finish(struct vctrl_radio *r, struct vctrl_link *l, const uint8_t ltk[16])
{
	l->enc_pending = false;
	bool same = memcmp(ltk, l->ltk, 16) == 0;
	memset(l->ltk, 0, sizeof l->ltk);
	if (!same) {
		const uint8_t reason[2] = { HCI_MIC_FAILURE, HCI_MIC_FAILURE };
		const bool notify[2] = { true, true };
		vctrl_log(r, side_ctrl(r, l, 0), HIVE_LOG_INFO,
			  "connection 0x%03x: the two sides used different keys: MIC failure",
			  l->handle[0]);
		vctrl_link_drop(r, l, reason, notify);
		return;
	}
	bool refresh = l->encrypted;
	l->encrypted = true;
	for (int s = 0; s < 2; s++) {
		if (!refresh) {
			send_encryption_change(r, l, s, HCI_SUCCESS, 0x01);
			continue;
		}
		struct vctrl *c = side_ctrl(r, l, s);
		if (!vctrl_event_on(c, HCI_EV_ENCRYPTION_KEY_REFRESH_COMPLETE))
			continue;
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_key_refresh_complete(&w, HCI_SUCCESS, l->handle[s]);
		vctrl_send(r, c, &w);
	}
}

uint8_t on_le_enable_encryption(struct vctrl_radio *r, struct vctrl *c,
				const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_enable_encryption e;
	if (vctrl_parse_enable_encryption(cmd->params, cmd->n, &e) < 0)
		return HCI_INVALID_PARAMETERS;
	int side;
	struct vctrl_link *l = le_link_find(r, c, e.handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	if (side != 0 || l->enc_pending)
		return HCI_COMMAND_DISALLOWED;
	memcpy(l->ltk, e.ltk, 16);
	l->enc_pending = true;
	l->enc_deadline = r->now + VCTRL_ENC_TIMEOUT_NS;
	struct vctrl *p = side_ctrl(r, l, 1);
	if (!vctrl_le_event_on(p, HCI_LE_LONG_TERM_KEY_REQUEST)) {
		/* A host that masked the request cannot answer it. */
		enc_reject(r, l);
		return HCI_SUCCESS;
	}
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_le_ltk_request(&w, l->handle[1], e.rand, e.ediv);
	vctrl_send(r, p, &w);
	return HCI_SUCCESS;
}

uint8_t on_le_long_term_key_request_reply(struct vctrl_radio *r, struct vctrl *c,
					  const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	uint8_t ltk[16];
	rd_copy(&rd, ltk, 16);
	wr_le16(ret, handle);
	int side;
	struct vctrl_link *l = le_link_find(r, c, handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	if (side != 1 || !l->enc_pending)
		return HCI_COMMAND_DISALLOWED;
	enc_finish(r, l, ltk);
	memset(ltk, 0, sizeof ltk);
	return HCI_SUCCESS;
}

uint8_t on_le_long_term_key_request_negative_reply(struct vctrl_radio *r, struct vctrl *c,
						   const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	wr_le16(ret, handle);
	int side;
	struct vctrl_link *l = le_link_find(r, c, handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	if (side != 1 || !l->enc_pending)
		return HCI_COMMAND_DISALLOWED;
	enc_reject(r, l);
	return HCI_SUCCESS;
}

/* ---- time ------------------------------------------------------------------ */

void vctrl_conn_timeouts(struct vctrl_radio *r, uint64_t now)
{
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++) {
		struct vctrl_link *l = &r->link[i];
		if (!l->used || !l->enc_pending || now < l->enc_deadline)
			continue;
		/* The peripheral's host never answered the LTK Request. */
		const uint8_t reason[2] = { HCI_LL_RESPONSE_TIMEOUT, HCI_LL_RESPONSE_TIMEOUT };
		const bool notify[2] = { true, true };
		vctrl_link_drop(r, l, reason, notify);
	}
}

uint64_t vctrl_conn_timeouts_deadline(const struct vctrl_radio *r)
{
	uint64_t t = UINT64_MAX;
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++) {
		const struct vctrl_link *l = &r->link[i];
		if (l->used && l->enc_pending && l->enc_deadline < t)
			t = l->enc_deadline;
	}
	return t;
}
