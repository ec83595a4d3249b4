/* hive-vctrl: advertising, legacy and extended, and the advertising events
 * that carry reports to scanners (vctrl_scan.c) and connections to
 * initiators (vctrl_conn.c). */
#include <string.h>

#include "vctrl_int.h"

#define MS_NS 1000000ull

/* ---- advertising sets ------------------------------------------------------ */

static void adv_set_default(struct vctrl_adv *s)
{
	memset(s, 0, offsetof(struct vctrl_adv, data));
	s->props = ADV_PROP_CONNECTABLE | ADV_PROP_SCANNABLE | ADV_PROP_LEGACY;
	s->interval = 0x0800; /* 1.28 s */
	s->primary_phy = HCI_PHY_1M;
	s->secondary_phy = HCI_PHY_1M;
	s->tx_power = 0;
}

void vctrl_adv_reset(struct vctrl *c)
{
	for (unsigned i = 0; i <= VCTRL_ADV_SETS; i++)
		adv_set_default(&c->adv[i]);
	c->adv[0].configured = true; /* legacy advertising always has parameters */
}

static bool is_legacy_set(const struct vctrl *c, const struct vctrl_adv *s)
{
	return s == &c->adv[0];
}

void vctrl_adv_address(const struct vctrl *c, const struct vctrl_adv *s, struct vctrl_addr *out)
{
	if (s->props & ADV_PROP_ANONYMOUS) {
		out->type = HCI_ADDR_ANONYMOUS;
		memset(out->a, 0, 6);
		return;
	}
	if ((s->own_addr_type & 1) && !is_legacy_set(c, s) && s->random_set) {
		out->type = HCI_ADDR_RANDOM;
		memcpy(out->a, s->random_addr, 6);
		return;
	}
	vctrl_own_address(c, s->own_addr_type, out);
}

static bool adv_address_ready(const struct vctrl *c, const struct vctrl_adv *s)
{
	struct vctrl_addr a;
	if (!(s->own_addr_type & 1) || (s->props & ADV_PROP_ANONYMOUS))
		return true;
	return (!is_legacy_set(c, s) && s->random_set) || vctrl_own_address(c, s->own_addr_type, &a);
}

static void adv_start(struct vctrl_radio *r, struct vctrl_adv *s, uint16_t duration_10ms,
		      uint8_t max_events)
{
	s->enabled = true;
	s->next_ns = r->now;
	s->events = 0;
	s->max_events = max_events;
	s->end_ns = duration_10ms ? r->now + duration_10ms * 10ull * MS_NS : 0;
	if ((s->props & ADV_PROP_HIGH_DUTY) &&
	    (!s->end_ns || s->end_ns > r->now + VCTRL_HIGH_DUTY_NS))
		s->end_ns = r->now + VCTRL_HIGH_DUTY_NS;
}

/* ---- legacy advertising commands ---------------------------------------- */

static const uint16_t legacy_props[5] = {
	[HCI_ADV_IND] = ADV_PROP_LEGACY | ADV_PROP_CONNECTABLE | ADV_PROP_SCANNABLE,
	[HCI_ADV_DIRECT_IND_HIGH] = ADV_PROP_LEGACY | ADV_PROP_CONNECTABLE | ADV_PROP_DIRECTED |
				    ADV_PROP_HIGH_DUTY,
	[HCI_ADV_SCAN_IND] = ADV_PROP_LEGACY | ADV_PROP_SCANNABLE,
	[HCI_ADV_NONCONN_IND] = ADV_PROP_LEGACY,
	[HCI_ADV_DIRECT_IND_LOW] = ADV_PROP_LEGACY | ADV_PROP_CONNECTABLE | ADV_PROP_DIRECTED,
};

uint8_t on_le_set_advertising_parameters(struct vctrl_radio *r, struct vctrl *c,
					 const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_adv *s = &c->adv[0];
	struct vctrl_adv_params p;
	if (vctrl_parse_adv_params(cmd->params, cmd->n, &p) < 0)
		return HCI_INVALID_PARAMETERS;
	if (s->enabled)
		return HCI_COMMAND_DISALLOWED;
	if (p.type > HCI_ADV_DIRECT_IND_LOW || p.own_addr_type > 3 || p.peer_addr_type > 1 ||
	    !(p.channel_map & 7) || (p.channel_map & ~7u) || p.filter_policy > 3)
		return HCI_INVALID_PARAMETERS;
	if (p.type != HCI_ADV_DIRECT_IND_HIGH &&
	    (p.interval_min > p.interval_max || p.interval_min < 0x20 || p.interval_max > 0x4000))
		return HCI_INVALID_PARAMETERS;
	s->props = legacy_props[p.type];
	/* High duty cycle directed advertising runs at <= 3.75 ms. */
	s->interval = p.type == HCI_ADV_DIRECT_IND_HIGH ? 6 : p.interval_min;
	s->own_addr_type = p.own_addr_type;
	s->peer_addr_type = p.peer_addr_type;
	memcpy(s->peer_addr, p.peer_addr, 6);
	s->filter_policy = p.filter_policy;
	s->primary_phy = HCI_PHY_1M;
	return HCI_SUCCESS;
}

uint8_t on_le_read_advertising_physical_channel_tx_power(struct vctrl_radio *r, struct vctrl *c,
							 const struct vctrl_cmd *cmd,
							 struct wr *ret)
{
	wr_u8(ret, 0);
	return HCI_SUCCESS;
}

static uint8_t set_legacy_data(struct vctrl *c, const struct vctrl_cmd *cmd, bool scan_rsp)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint8_t len = rd_u8(&rd);
	const uint8_t *d = rd_ptr(&rd, 31);
	if (!rd_end(&rd) || len > 31)
		return HCI_INVALID_PARAMETERS;
	struct vctrl_adv *s = &c->adv[0];
	if (scan_rsp) {
		memcpy(s->scan_rsp, d, len);
		s->scan_rsp_len = len;
	} else {
		memcpy(s->data, d, len);
		s->data_len = len;
	}
	s->did++;
	return HCI_SUCCESS;
}

uint8_t on_le_set_advertising_data(struct vctrl_radio *r, struct vctrl *c,
				   const struct vctrl_cmd *cmd, struct wr *ret)
{
	return set_legacy_data(c, cmd, false);
}

uint8_t on_le_set_scan_response_data(struct vctrl_radio *r, struct vctrl *c,
				     const struct vctrl_cmd *cmd, struct wr *ret)
{
	return set_legacy_data(c, cmd, true);
}

uint8_t on_le_set_advertising_enable(struct vctrl_radio *r, struct vctrl *c,
				     const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_adv *s = &c->adv[0];
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint8_t enable = rd_u8(&rd);
	if (enable > 1)
		return HCI_INVALID_PARAMETERS;
	if (!enable) {
		s->enabled = false;
		return HCI_SUCCESS;
	}
	if (s->enabled)
		return HCI_SUCCESS; /* 7.8.9: enabling again has no effect */
	if (!adv_address_ready(c, s))
		return HCI_INVALID_PARAMETERS;
	if ((s->props & ADV_PROP_CONNECTABLE) && vctrl_conn_count(r, c) >= VCTRL_CONN_PER_CTRL)
		return HCI_CONNECTION_LIMIT_EXCEEDED;
	adv_start(r, s, 0, 0);
	return HCI_SUCCESS;
}

/* ---- extended advertising commands ----------------------------------------- */

static struct vctrl_adv *find_set(struct vctrl *c, uint8_t handle)
{
	for (unsigned i = 1; i <= VCTRL_ADV_SETS; i++)
		if (c->adv[i].configured && c->adv[i].handle == handle)
			return &c->adv[i];
	return NULL;
}

static bool legacy_props_valid(uint16_t props)
{
	for (unsigned i = 0; i < 5; i++)
		if (props == legacy_props[i])
			return true;
	return false;
}

uint8_t on_le_set_advertising_set_random_address(struct vctrl_radio *r, struct vctrl *c,
						 const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint8_t handle = rd_u8(&rd);
	const uint8_t *a = rd_ptr(&rd, 6);
	struct vctrl_adv *s = find_set(c, handle);
	if (!a)
		return HCI_INVALID_PARAMETERS;
	if (!s)
		return HCI_UNKNOWN_ADVERTISING_ID;
	memcpy(s->random_addr, a, 6);
	s->random_set = true;
	return HCI_SUCCESS;
}

uint8_t on_le_set_extended_advertising_parameters(struct vctrl_radio *r, struct vctrl *c,
						  const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_ext_adv_params p;
	if (vctrl_parse_ext_adv_params(cmd->params, cmd->n, &p) < 0 || p.handle > 0xEF)
		return HCI_INVALID_PARAMETERS;
	struct vctrl_adv *s = find_set(c, p.handle);
	if (s && s->enabled)
		return HCI_COMMAND_DISALLOWED;
	bool legacy = p.props & ADV_PROP_LEGACY;
	if (p.props & ~0x7Fu)
		return HCI_INVALID_PARAMETERS;
	if (legacy && !legacy_props_valid(p.props & ~ADV_PROP_TX_POWER))
		return HCI_INVALID_PARAMETERS;
	if (!legacy && (p.props & ADV_PROP_CONNECTABLE) && (p.props & ADV_PROP_SCANNABLE))
		return HCI_INVALID_PARAMETERS;
	if ((p.props & ADV_PROP_ANONYMOUS) &&
	    (legacy || (p.props & (ADV_PROP_CONNECTABLE | ADV_PROP_SCANNABLE))))
		return HCI_INVALID_PARAMETERS;
	if (!(p.props & ADV_PROP_HIGH_DUTY) &&
	    (p.interval_min > p.interval_max || p.interval_min < 0x20))
		return HCI_INVALID_PARAMETERS;
	if (!(p.channel_map & 7) || (p.channel_map & ~7u) || p.own_addr_type > 3 ||
	    p.peer_addr_type > 1 || p.filter_policy > 3 || p.sid > 0x0F)
		return HCI_INVALID_PARAMETERS;
	if (p.primary_phy != HCI_PHY_1M && p.primary_phy != HCI_PHY_CODED)
		return HCI_INVALID_PARAMETERS;
	if (!legacy && (p.secondary_phy < HCI_PHY_1M || p.secondary_phy > HCI_PHY_CODED))
		return HCI_INVALID_PARAMETERS;
	if (legacy && p.primary_phy != HCI_PHY_1M)
		return HCI_INVALID_PARAMETERS;
	if (s && legacy && (s->data_len > 31 || s->scan_rsp_len > 31))
		return HCI_INVALID_PARAMETERS;
	if (!s) {
		for (unsigned i = 1; i <= VCTRL_ADV_SETS && !s; i++)
			if (!c->adv[i].configured)
				s = &c->adv[i];
		if (!s)
			return HCI_MEMORY_CAPACITY_EXCEEDED;
		adv_set_default(s);
		s->data_len = 0;
		s->scan_rsp_len = 0;
		s->configured = true;
		s->handle = p.handle;
	}
	s->props = p.props;
	s->interval = (p.props & ADV_PROP_HIGH_DUTY) ? 6 : p.interval_min;
	s->own_addr_type = p.own_addr_type;
	s->peer_addr_type = p.peer_addr_type;
	memcpy(s->peer_addr, p.peer_addr, 6);
	s->filter_policy = p.filter_policy;
	s->primary_phy = p.primary_phy;
	s->secondary_phy = legacy ? HCI_PHY_1M : p.secondary_phy;
	s->sid = p.sid;
	s->scan_req_notify = p.scan_req_notify & 1;
	int8_t tx = p.tx_power == 127 ? 0 : p.tx_power;
	s->tx_power = tx < -20 ? -20 : tx > 10 ? 10 : tx;
	wr_u8(ret, (uint8_t)s->tx_power);
	return HCI_SUCCESS;
}

/* Operations of Set Extended Advertising / Scan Response Data (7.8.54). */
enum { OP_INTERMEDIATE, OP_FIRST, OP_LAST, OP_COMPLETE, OP_UNCHANGED };

static uint8_t set_ext_data(struct vctrl *c, const struct vctrl_cmd *cmd, bool scan_rsp)
{
	struct vctrl_ext_adv_data d;
	if (vctrl_parse_ext_adv_data(cmd->params, cmd->n, &d) < 0 || d.handle > 0xEF ||
	    d.operation > OP_UNCHANGED || d.frag_pref > 1 || d.len > 251)
		return HCI_INVALID_PARAMETERS;
	struct vctrl_adv *s = find_set(c, d.handle);
	if (!s)
		return HCI_UNKNOWN_ADVERTISING_ID;
	bool legacy = s->props & ADV_PROP_LEGACY;
	if (legacy && (d.operation != OP_COMPLETE || d.len > 31))
		return HCI_INVALID_PARAMETERS;
	if (scan_rsp && !(s->props & ADV_PROP_SCANNABLE) && d.len > 0)
		return HCI_INVALID_PARAMETERS;
	if (!scan_rsp && !legacy && (s->props & ADV_PROP_SCANNABLE) && d.len > 0)
		return HCI_INVALID_PARAMETERS;
	if (d.operation == OP_UNCHANGED) {
		/* Only a new DID for unchanged data while advertising. */
		if (scan_rsp || d.len || !s->enabled)
			return HCI_INVALID_PARAMETERS;
		s->did++;
		return HCI_SUCCESS;
	}
	if (s->enabled && d.operation != OP_COMPLETE)
		return HCI_COMMAND_DISALLOWED;
	uint8_t *buf = scan_rsp ? s->scan_rsp : s->data;
	uint16_t *len = scan_rsp ? &s->scan_rsp_len : &s->data_len;
	bool *partial = scan_rsp ? &s->rsp_partial : &s->data_partial;
	if ((d.operation == OP_INTERMEDIATE || d.operation == OP_LAST) && !*partial)
		return HCI_COMMAND_DISALLOWED;
	if (d.operation == OP_FIRST || d.operation == OP_COMPLETE)
		*len = 0;
	if (*len + d.len > VCTRL_ADV_DATA_MAX) {
		*len = 0;
		*partial = false;
		return HCI_MEMORY_CAPACITY_EXCEEDED;
	}
	memcpy(buf + *len, d.data, d.len);
	*len = (uint16_t)(*len + d.len);
	*partial = d.operation == OP_FIRST || d.operation == OP_INTERMEDIATE;
	if (!*partial)
		s->did++;
	return HCI_SUCCESS;
}

uint8_t on_le_set_extended_advertising_data(struct vctrl_radio *r, struct vctrl *c,
					    const struct vctrl_cmd *cmd, struct wr *ret)
{
	return set_ext_data(c, cmd, false);
}

uint8_t on_le_set_extended_scan_response_data(struct vctrl_radio *r, struct vctrl *c,
					      const struct vctrl_cmd *cmd, struct wr *ret)
{
	return set_ext_data(c, cmd, true);
}

uint8_t on_le_set_extended_advertising_enable(struct vctrl_radio *r, struct vctrl *c,
					      const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_ext_adv_enable e;
	if (vctrl_parse_ext_adv_enable(cmd->params, cmd->n, &e) < 0 || e.enable > 1)
		return HCI_INVALID_PARAMETERS;
	if (e.num_sets == 0) {
		if (e.enable)
			return HCI_INVALID_PARAMETERS;
		for (unsigned i = 1; i <= VCTRL_ADV_SETS; i++)
			c->adv[i].enabled = false;
		return HCI_SUCCESS;
	}
	/* Check every set first: the command applies to all or none. */
	for (unsigned i = 0; i < e.num_sets; i++) {
		for (unsigned j = 0; j < i; j++)
			if (e.set[j].handle == e.set[i].handle)
				return HCI_INVALID_PARAMETERS;
		struct vctrl_adv *s = find_set(c, e.set[i].handle);
		if (!s)
			return HCI_UNKNOWN_ADVERTISING_ID;
		if (!e.enable)
			continue;
		if (s->data_partial || s->rsp_partial)
			return HCI_COMMAND_DISALLOWED;
		if (!adv_address_ready(c, s))
			return HCI_INVALID_PARAMETERS;
		if (!(s->props & ADV_PROP_LEGACY) && (s->props & ADV_PROP_SCANNABLE) &&
		    s->scan_rsp_len == 0)
			return HCI_INVALID_PARAMETERS;
		if ((s->props & ADV_PROP_CONNECTABLE) &&
		    vctrl_conn_count(r, c) >= VCTRL_CONN_PER_CTRL)
			return HCI_CONNECTION_LIMIT_EXCEEDED;
	}
	for (unsigned i = 0; i < e.num_sets; i++) {
		struct vctrl_adv *s = find_set(c, e.set[i].handle);
		if (e.enable)
			adv_start(r, s, e.set[i].duration, e.set[i].max_events);
		else
			s->enabled = false;
	}
	return HCI_SUCCESS;
}

uint8_t on_le_read_maximum_advertising_data_length(struct vctrl_radio *r, struct vctrl *c,
						   const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_le16(ret, VCTRL_ADV_DATA_MAX);
	return HCI_SUCCESS;
}

uint8_t on_le_read_number_of_supported_advertising_sets(struct vctrl_radio *r, struct vctrl *c,
							const struct vctrl_cmd *cmd,
							struct wr *ret)
{
	wr_u8(ret, VCTRL_ADV_SETS);
	return HCI_SUCCESS;
}

uint8_t on_le_remove_advertising_set(struct vctrl_radio *r, struct vctrl *c,
				     const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	struct vctrl_adv *s = find_set(c, rd_u8(&rd));
	if (!s)
		return HCI_UNKNOWN_ADVERTISING_ID;
	if (s->enabled)
		return HCI_COMMAND_DISALLOWED;
	adv_set_default(s);
	return HCI_SUCCESS;
}

uint8_t on_le_clear_advertising_sets(struct vctrl_radio *r, struct vctrl *c,
				     const struct vctrl_cmd *cmd, struct wr *ret)
{
	for (unsigned i = 1; i <= VCTRL_ADV_SETS; i++)
		if (c->adv[i].enabled)
			return HCI_COMMAND_DISALLOWED;
	for (unsigned i = 1; i <= VCTRL_ADV_SETS; i++)
		adv_set_default(&c->adv[i]);
	return HCI_SUCCESS;
}

/* ---- advertising events -------------------------------------------------- */

static void adv_terminated(struct vctrl_radio *r, struct vctrl *c, struct vctrl_adv *s,
			   uint8_t status)
{
	s->enabled = false;
	if ((s->props & ADV_PROP_HIGH_DUTY) && status == HCI_ADVERTISING_TIMEOUT) {
		/* 7.8.9 / 7.8.56: directed advertising that ends unconnected
		 * reports a failed connection. */
		struct vctrl_conn_complete e = { .status = status, .role = HCI_ROLE_PERIPHERAL };
		bool enh = vctrl_le_event_on(c, HCI_LE_ENHANCED_CONNECTION_COMPLETE);
		if (enh || vctrl_le_event_on(c, HCI_LE_CONNECTION_COMPLETE)) {
			uint8_t buf[VCTRL_PKT_MAX];
			struct wr w = wr_init(buf, sizeof buf);
			vctrl_evt_le_conn_complete(&w, &e, enh);
			vctrl_send(r, c, &w);
		}
	}
	if (!is_legacy_set(c, s) && vctrl_le_event_on(c, HCI_LE_ADVERTISING_SET_TERMINATED)) {
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_le_adv_set_terminated(&w, status, s->handle, 0,
						(uint8_t)(s->events > 255 ? 255 : s->events));
		vctrl_send(r, c, &w);
	}
}

static void adv_event(struct vctrl_radio *r, struct vctrl *c, struct vctrl_adv *s, uint64_t now)
{
	struct vctrl_addr a;
	vctrl_adv_address(c, s, &a);
	if (s->events < 0xFFFF)
		s->events++;
	if (s->props & ADV_PROP_CONNECTABLE) {
		for (unsigned i = 0; i < r->cfg.count; i++) {
			struct vctrl *d = &r->ctrl[i];
			if (d != c && d->attached && d->init.active && vctrl_conn_try(r, d, c, s, now))
				return;
		}
	}
	for (unsigned i = 0; i < r->cfg.count; i++) {
		struct vctrl *d = &r->ctrl[i];
		if (d != c && d->attached)
			vctrl_scan_receive(r, d, c, s, &a);
	}
	if (s->max_events && s->events >= s->max_events) {
		adv_terminated(r, c, s, HCI_LIMIT_REACHED);
		return;
	}
	uint64_t period = s->interval * 625ull * 1000ull;
	if (period < r->cfg.adv_min_period_ns)
		period = r->cfg.adv_min_period_ns;
	s->next_ns = now + period;
}

void vctrl_adv_tick(struct vctrl_radio *r, uint64_t now)
{
	for (unsigned i = 0; i < r->cfg.count; i++) {
		struct vctrl *c = &r->ctrl[i];
		if (c->attached)
			vctrl_scan_tick(r, c, now);
	}
	for (unsigned i = 0; i < r->cfg.count; i++) {
		struct vctrl *c = &r->ctrl[i];
		if (!c->attached)
			continue;
		for (unsigned k = 0; k <= VCTRL_ADV_SETS; k++) {
			struct vctrl_adv *s = &c->adv[k];
			if (!s->enabled)
				continue;
			if (s->end_ns && now >= s->end_ns)
				adv_terminated(r, c, s, HCI_ADVERTISING_TIMEOUT);
			else if (now >= s->next_ns)
				adv_event(r, c, s, now);
		}
	}
}

uint64_t vctrl_adv_deadline(const struct vctrl_radio *r)
{
	uint64_t t = UINT64_MAX;
	for (unsigned i = 0; i < r->cfg.count; i++) {
		const struct vctrl *c = &r->ctrl[i];
		if (!c->attached)
			continue;
		for (unsigned k = 0; k <= VCTRL_ADV_SETS; k++) {
			const struct vctrl_adv *s = &c->adv[k];
			if (!s->enabled)
				continue;
			if (s->next_ns < t)
				t = s->next_ns;
			if (s->end_ns && s->end_ns < t)
				t = s->end_ns;
		}
		uint64_t st = vctrl_scan_deadline(c);
		if (st < t)
			t = st;
	}
	return t;
}
