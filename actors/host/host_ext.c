/* Extended advertising, scanning and connecting: see host_ext.h. */
#include "host_ext.h"

#include <errno.h>
#include <string.h>

#include "host.h"

#define LEF_CODED_PHY 11
#define LEF_EXTENDED_ADVERTISING 12

/* Supported_Commands bits (octet * 8 + bit, Vol 4 Part E 6.27). */
static const uint16_t ext_command_bits[] = {
	36 * 8 + 1, /* LE Set Advertising Set Random Address */
	36 * 8 + 2, /* LE Set Extended Advertising Parameters */
	36 * 8 + 3, /* LE Set Extended Advertising Data */
	36 * 8 + 4, /* LE Set Extended Scan Response Data */
	36 * 8 + 5, /* LE Set Extended Advertising Enable */
	37 * 8 + 0, /* LE Remove Advertising Set */
	37 * 8 + 5, /* LE Set Extended Scan Parameters */
	37 * 8 + 6, /* LE Set Extended Scan Enable */
	37 * 8 + 7, /* LE Extended Create Connection */
};
#define READ_PHY_BIT (35 * 8 + 4)

static bool command_bit(const struct host *h, unsigned bit)
{
	return h->ctrl.commands[bit / 8] & (1u << (bit % 8));
}

static bool le_feature(const struct host *h, unsigned bit)
{
	return h->ctrl.le_features[bit / 8] & (1u << (bit % 8));
}

bool host_ext_supported(const struct host *h)
{
	if (!le_feature(h, LEF_EXTENDED_ADVERTISING))
		return false;
	for (size_t i = 0; i < sizeof ext_command_bits / sizeof ext_command_bits[0]; i++)
		if (!command_bit(h, ext_command_bits[i]))
			return false;
	return true;
}

int host_ext_known(const struct host *h, const char **why)
{
	if (!h->gap.ext.refreshing)
		return 0;
	*why = "the restarted host is still asking the controller what it supports; retry";
	return -EAGAIN;
}

/* ---- advertising ------------------------------------------------------------------ */

static uint16_t max_adv_len(const struct host *h)
{
	uint16_t m = h->gap.ext.max_adv_len ? h->gap.ext.max_adv_len : GAP_EXT_FRAG_MAX;
	return m > AD_EXT_MAX ? AD_EXT_MAX : m;
}

int host_ext_adv_check(const struct host *h, const struct gap_advertise *a, size_t adlen,
		       bool *ext, const char **why)
{
	*ext = a->extended || a->phy > GAP_PHY_1M || adlen > AD_LEGACY_MAX ||
	       a->rsp_len > AD_LEGACY_MAX;
	if (a->phy > GAP_PHY_CODED) {
		*why = "the advertising PHY must be 1 (1M), 2 (2M) or 3 (Coded)";
		return -EINVAL;
	}
	if (!*ext)
		return 0;
	if (!h->gap.ext.on) {
		*why = "the controller has no extended advertising: keep the data and the scan "
		       "response within 31 bytes, on the 1M PHY, without --extended";
		return -EOPNOTSUPP;
	}
	if (a->phy == GAP_PHY_CODED && !le_feature(h, LEF_CODED_PHY)) {
		*why = "the controller does not support the LE Coded PHY; use --phy 1m or 2m";
		return -EOPNOTSUPP;
	}
	if (adlen > max_adv_len(h) || a->rsp_len > max_adv_len(h)) {
		*why = "advertising data or scan response longer than the controller's maximum "
		       "advertising data length";
		return -EMSGSIZE;
	}
	if (a->connectable && a->rsp_len) {
		*why = "extended connectable advertising has no scan response: put everything in "
		       "the advertising data";
		return -EINVAL;
	}
	if (!a->connectable && a->rsp_len && a->has_data && adlen) {
		*why = "extended scannable advertising carries its data in the scan response only: "
		       "give no advertising data";
		return -EINVAL;
	}
	return 0;
}

/* The fragments of one Set Extended Advertising (or Scan Response) Data. */
static void add_data(struct gap_op *op, uint16_t opcode, const uint8_t *d, size_t len)
{
	uint8_t p[GAP_PARAMS_MAX];
	if (len <= GAP_EXT_FRAG_MAX) {
		host_gap_add(op, opcode, p,
			     gap_build_ext_adv_data(p, sizeof p, HOST_EXT_ADV_HANDLE,
						    GAP_OP_COMPLETE, d, len));
		return;
	}
	for (size_t off = 0; off < len; off += GAP_EXT_FRAG_MAX) {
		size_t n = len - off > GAP_EXT_FRAG_MAX ? GAP_EXT_FRAG_MAX : len - off;
		uint8_t operation = off == 0 ? GAP_OP_FIRST
				    : off + n == len ? GAP_OP_LAST
						     : GAP_OP_INTERMEDIATE;
		host_gap_add(op, opcode, p,
			     gap_build_ext_adv_data(p, sizeof p, HOST_EXT_ADV_HANDLE, operation,
						    d + off, n));
	}
}

void host_ext_adv_cmds(struct host *h, struct gap_op *op, const struct gap_advertise *a,
		       const uint8_t *ad, size_t adlen, bool ext)
{
	uint8_t p[GAP_PARAMS_MAX];
	if (h->gap.ext.sets_unknown) {
		/* Restarted without Reset: whatever sets the controller still
		 * has go (Enable 0 with no set: all of them). */
		memset(p, 0, 2);
		host_gap_add(op, HCI_OP_LE_SET_EXT_ADV_ENABLE, p, 2);
		host_gap_add(op, HCI_OP_LE_CLEAR_ADV_SETS, NULL, 0);
	} else if (h->gap.advertising) {
		host_gap_add(op, HCI_OP_LE_SET_EXT_ADV_ENABLE, p,
			     gap_build_ext_adv_enable(p, sizeof p, false, HOST_EXT_ADV_HANDLE));
	}
	/* A set keeps its data: start from a new one, so that legacy
	 * properties never meet data longer than 31 bytes. */
	if (h->gap.ext.set_exists && !h->gap.ext.sets_unknown) {
		p[0] = HOST_EXT_ADV_HANDLE;
		host_gap_add(op, HCI_OP_LE_REMOVE_ADV_SET, p, 1);
	}
	struct gap_ext_adv_params ep = { 0 };
	ep.handle = HOST_EXT_ADV_HANDLE;
	uint32_t ms = a->interval_ms ? a->interval_ms
		      : h->gap.cfg.adv_interval_ms ? h->gap.cfg.adv_interval_ms
						     : GAP_ADV_INTERVAL_MS_DEFAULT;
	ep.interval_min = ep.interval_max = gap_ms_to_slots(ms, 0x20, 0x4000);
	bool scannable;
	if (ext) {
		ep.props = a->connectable ? GAP_PROP_CONNECTABLE
			   : a->rsp_len   ? GAP_PROP_SCANNABLE
					  : 0;
		ep.primary_phy = a->phy == GAP_PHY_CODED ? GAP_PHY_CODED : GAP_PHY_1M;
		ep.secondary_phy = a->phy ? a->phy : GAP_PHY_1M;
		scannable = !a->connectable && a->rsp_len;
	} else {
		ep.props = GAP_PROP_LEGACY | (a->connectable ? GAP_PROP_CONNECTABLE : 0) |
			   (a->connectable || a->rsp_len ? GAP_PROP_SCANNABLE : 0);
		ep.primary_phy = ep.secondary_phy = GAP_PHY_1M;
		scannable = ep.props & GAP_PROP_SCANNABLE;
	}
	ep.own_addr_type = h->gap.own_type;
	ep.tx_power = 127;
	host_gap_add(op, HCI_OP_LE_SET_EXT_ADV_PARAMS, p, gap_build_ext_adv_params(p, sizeof p, &ep));
	if (h->gap.own_type == 1)
		host_gap_add(op, HCI_OP_LE_SET_ADV_SET_RANDOM_ADDRESS, p,
			     gap_build_set_random_address(p, sizeof p, HOST_EXT_ADV_HANDLE,
							  h->gap.random));
	if (!(ext && scannable))
		add_data(op, HCI_OP_LE_SET_EXT_ADV_DATA, ad, adlen);
	if (scannable)
		add_data(op, HCI_OP_LE_SET_EXT_SCAN_RSP_DATA, a->rsp, a->rsp_len);
	host_gap_add(op, HCI_OP_LE_SET_EXT_ADV_ENABLE, p,
		     gap_build_ext_adv_enable(p, sizeof p, true, HOST_EXT_ADV_HANDLE));
}

void host_ext_stop_adv_cmds(struct host *h, struct gap_op *op)
{
	uint8_t p[8] = { 0 };
	/* Without our set: Enable 0 with Num_Sets 0 (every set). */
	int n = h->gap.ext.set_exists
			? gap_build_ext_adv_enable(p, sizeof p, false, HOST_EXT_ADV_HANDLE)
			: 2;
	host_gap_add(op, HCI_OP_LE_SET_EXT_ADV_ENABLE, p, n);
}

/* ---- scanning and connecting ---------------------------------------------------------- */

void host_ext_scan_cmds(struct host *h, struct gap_op *op, const struct gap_scan *s,
			uint16_t interval, uint16_t window)
{
	uint8_t p[GAP_PARAMS_MAX];
	struct gap_ext_scan_params sp = { 0 };
	sp.own_addr_type = h->gap.own_type;
	sp.filter_policy = s->use_filter_accept_list;
	sp.phys = 1u | (le_feature(h, LEF_CODED_PHY) ? 4u : 0u);
	sp.active = !s->passive;
	sp.interval = interval;
	sp.window = window;
	host_gap_add(op, HCI_OP_LE_SET_EXT_SCAN_PARAMS, p, gap_build_ext_scan_params(p, sizeof p, &sp));
	/* The controller ends a scan of up to 655.35 s itself (LE Scan Timeout). */
	uint16_t duration = 0;
	if (s->duration_ms && s->duration_ms <= 655350u)
		duration = (uint16_t)((s->duration_ms + 9) / 10);
	h->gap.ext.scan_by_ctrl = duration != 0;
	host_gap_add(op, HCI_OP_LE_SET_EXT_SCAN_ENABLE, p,
		     gap_build_ext_scan_enable(p, sizeof p, true, !s->report_duplicates, duration));
}

void host_ext_stop_scan_cmds(struct host *h, struct gap_op *op)
{
	uint8_t p[8];
	host_gap_add(op, HCI_OP_LE_SET_EXT_SCAN_ENABLE, p,
		     gap_build_ext_scan_enable(p, sizeof p, false, false, 0));
}

int host_ext_connect_check(const struct host *h, const struct gap_connect *c,
			   const char **why)
{
	if (c->phys & ~7u) {
		*why = "connect PHYs are bits: 1 (1M), 2 (2M), 4 (Coded)";
		return -EINVAL;
	}
	if (c->phys && c->phys != 1 && !h->gap.ext.on) {
		*why = "the controller has no extended create connection: connect on 1M only";
		return -EOPNOTSUPP;
	}
	if ((c->phys & 4) && !le_feature(h, LEF_CODED_PHY)) {
		*why = "the controller does not support the LE Coded PHY";
		return -EOPNOTSUPP;
	}
	return 0;
}

void host_ext_connect_cmds(struct host *h, struct gap_op *op, const struct gap_connect *c,
			   uint16_t interval_min, uint16_t interval_max, uint16_t timeout)
{
	uint8_t p[GAP_PARAMS_MAX];
	struct gap_ext_create_conn cc = { 0 };
	cc.use_filter_accept_list = c->use_filter_accept_list;
	cc.own_addr_type = h->gap.own_type;
	cc.peer_type = c->peer.type & 1;
	memcpy(cc.peer, c->peer.a, 6);
	/* Initiating scans on 1M or Coded; 2M only gives parameters for a
	 * connection that starts on 2M, so it comes with 1M. */
	cc.phys = c->phys ? (uint8_t)c->phys : 1;
	if (!(cc.phys & 5))
		cc.phys |= 1;
	cc.scan_interval = cc.scan_window = 0x60;
	cc.interval_min = interval_min;
	cc.interval_max = interval_max;
	cc.latency = c->latency;
	cc.timeout = timeout;
	host_gap_add(op, HCI_OP_LE_EXT_CREATE_CONNECTION, p,
		     gap_build_ext_create_conn(p, sizeof p, &cc));
}

/* ---- completions ------------------------------------------------------------------------ */

void host_ext_cmd_applied(struct host *h, const struct gap_cmd *c)
{
	switch (c->opcode) {
	case HCI_OP_LE_SET_EXT_ADV_PARAMS:
		h->gap.ext.set_exists = true;
		break;
	case HCI_OP_LE_REMOVE_ADV_SET:
	case HCI_OP_LE_CLEAR_ADV_SETS:
		h->gap.ext.set_exists = false;
		h->gap.ext.sets_unknown = false;
		break;
	case HCI_OP_LE_SET_EXT_ADV_ENABLE:
		h->gap.advertising = c->params[0] != 0;
		break;
	default:
		break;
	}
}

void host_ext_on_connection(struct host *h, uint16_t handle)
{
	if (!h->gap.ext.on || !command_bit(h, READ_PHY_BIT))
		return;
	uint8_t p[2];
	host_gap_internal(h, handle, HCI_OP_LE_READ_PHY, p, gap_build_handle(p, sizeof p, handle));
}

void host_ext_refresh(struct host *h)
{
	h->gap.ext.sets_unknown = true;
	h->gap.ext.refreshing = 2;
	host_gap_internal(h, 0, HCI_OP_READ_LOCAL_COMMANDS, NULL, 0);
	host_gap_internal(h, 0, HCI_OP_LE_READ_LOCAL_FEATURES, NULL, 0);
}

static void read_phy_done(struct host *h, const struct host_cmd_done *d)
{
	uint16_t handle;
	uint8_t tx, rx;
	if (hci_decode_le_read_phy(d->ret, d->ret_len, &handle, &tx, &rx) < 0)
		return;
	struct host_conn *c = host_conn_find(&h->conns, handle);
	if (!c || (c->tx_phy == tx && c->rx_phy == rx))
		return;
	c->tx_phy = tx;
	c->rx_phy = rx;
	h->conns_changed = true;
	host_link_event(h, HOST_LINK_PHY_UPDATED, c, HCI_SUCCESS);
}

void host_ext_internal_done(struct host *h, uint16_t opcode, const struct host_cmd_done *d)
{
	if ((opcode == HCI_OP_READ_LOCAL_COMMANDS || opcode == HCI_OP_LE_READ_LOCAL_FEATURES) &&
	    h->gap.ext.refreshing)
		h->gap.ext.refreshing--;
	if (d->err || d->status)
		return;
	if (opcode == HCI_OP_LE_READ_PHY) {
		read_phy_done(h, d);
	} else if (opcode == HCI_OP_READ_LOCAL_COMMANDS && d->ret_len >= 64) {
		memcpy(h->ctrl.commands, d->ret, 64);
		h->gap.ext.on = host_ext_supported(h);
	} else if (opcode == HCI_OP_LE_READ_LOCAL_FEATURES && d->ret_len >= 8) {
		memcpy(h->ctrl.le_features, d->ret, 8);
		h->gap.ext.on = host_ext_supported(h);
	}
}

/* ---- reports -------------------------------------------------------------------------------- */

static struct host_ext_chain *chain_for(struct host *h, const struct gap_ext_report *r,
					bool scan_rsp, bool make)
{
	struct host_ext *x = &h->gap.ext;
	struct host_ext_chain *free_c = NULL, *oldest = NULL;
	for (unsigned i = 0; i < HOST_EXT_CHAINS; i++) {
		struct host_ext_chain *c = &x->chain[i];
		if (!c->in_use) {
			if (!free_c)
				free_c = c;
			continue;
		}
		if (c->addr_type == r->addr_type && !memcmp(c->addr, r->addr, 6) &&
		    c->sid == r->sid && c->scan_rsp == scan_rsp)
			return c;
		if (!oldest || c->seen < oldest->seen)
			oldest = c;
	}
	if (!make)
		return NULL;
	struct host_ext_chain *c = free_c ? free_c : oldest;
	if (c->in_use)
		x->dropped++; /* an advertiser whose chain never ended */
	c->in_use = true;
	c->scan_rsp = scan_rsp;
	c->addr_type = r->addr_type;
	memcpy(c->addr, r->addr, 6);
	c->sid = r->sid;
	c->len = 0;
	return c;
}

static void deliver(struct host *h, const struct gap_ext_report *r, const uint8_t *data,
		    uint16_t len, bool truncated)
{
	struct ad_report_in in = { 0 };
	in.event_type = gap_ext_event_to_ad(r->event_type);
	in.addr_type = r->addr_type;
	memcpy(in.addr, r->addr, 6);
	in.data = data;
	in.len = len;
	in.rssi = r->rssi;
	in.extended = !(r->event_type & GAP_EXT_EVT_LEGACY);
	in.truncated = truncated;
	in.primary_phy = r->primary_phy;
	in.secondary_phy = r->secondary_phy;
	in.sid = r->sid;
	if (truncated)
		h->gap.ext.truncated++;
	host_gap_on_adv_report(h, &in);
}

static void on_report(void *arg, const struct gap_ext_report *r)
{
	struct host *h = arg;
	struct host_ext *x = &h->gap.ext;
	bool scan_rsp = r->event_type & GAP_EXT_EVT_SCAN_RSP;
	int status = GAP_EXT_STATUS(r->event_type);
	x->reports++;
	struct host_ext_chain *c = chain_for(h, r, scan_rsp, status == GAP_EXT_INCOMPLETE);
	if (!c) {
		/* A whole report, or the end of a chain we never saw start. */
		deliver(h, r, r->data, r->len, status == GAP_EXT_TRUNCATED);
		return;
	}
	c->seen = ++x->clock;
	bool overflow = (size_t)c->len + r->len > AD_EXT_MAX;
	if (!overflow) {
		memcpy(c->data + c->len, r->data, r->len);
		c->len = (uint16_t)(c->len + r->len);
	}
	if (status == GAP_EXT_INCOMPLETE && !overflow)
		return;
	x->chained++;
	deliver(h, r, c->data, c->len, status == GAP_EXT_TRUNCATED || overflow);
	c->in_use = false;
}

int host_ext_on_adv_report(struct host *h, uint8_t code, const uint8_t *p, size_t len,
			   uint64_t now_ms)
{
	return gap_parse_ext_adv_report(p, len, on_report, h) < 0 ? -EBADMSG : 0;
}

int host_ext_on_adv_set_terminated(struct host *h, uint8_t code, const uint8_t *p, size_t len,
				   uint64_t now_ms)
{
	struct hci_le_adv_set_terminated e;
	if (hci_decode_le_adv_set_terminated(p, len, &e) < 0)
		return -EBADMSG;
	if (e.adv_handle == HOST_EXT_ADV_HANDLE)
		h->gap.advertising = false;
	return 0;
}

int host_ext_on_scan_timeout(struct host *h, uint8_t code, const uint8_t *p, size_t len,
			     uint64_t now_ms)
{
	if (len != 0)
		return -EBADMSG;
	if (h->gap.scanning && h->gap.ext.scan_by_ctrl)
		host_gap_scan_ended(h, "duration");
	return 0;
}
