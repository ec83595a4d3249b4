/* hive-vctrl, BR/EDR: the local settings a host writes (scan enable, name,
 * class of device, extended inquiry response, modes, timeouts), inquiry,
 * paging (remote name request, Create Connection and the Connection Request
 * the paged host accepts or rejects), ACL links and roles, remote features.
 *
 * What happens on air between two controllers is not modelled: no LMP, no
 * baseband, no hopping. A controller in inquiry scan answers every inquiry
 * with the general (or, in limited discoverable mode, limited) access code
 * it hears; a controller in page scan answers every page. Authentication,
 * pairing and encryption are in vctrl_ssp.c; ACL data in vctrl_data.c. */
#include <string.h>

#include "vctrl_int.h"

#define PAGE_TIMEOUT_DEFAULT 0x2000   /* 5.12 s */
#define ACCEPT_TIMEOUT_DEFAULT 0x1F40 /* 5 s */
#define COD_LIMITED_DISCOVERABLE 0x20 /* octet 1 bit 5: Class of Device bit 13 */

uint64_t vctrl_bredr_slots_ns(const struct vctrl_radio *r, uint32_t slots)
{
	return (uint64_t)slots * 625000ull / r->cfg.bredr_time_div;
}

static struct vctrl *ctrl_by_addr(struct vctrl_radio *r, const struct vctrl *self,
				  const uint8_t addr[6])
{
	for (unsigned i = 0; i < r->cfg.count; i++) {
		struct vctrl *d = &r->ctrl[i];
		if (d != self && d->attached && !memcmp(d->public_addr, addr, 6))
			return d;
	}
	return NULL;
}

struct vctrl_link *vctrl_bredr_link_by_addr(struct vctrl_radio *r, const struct vctrl *c,
					    const uint8_t addr[6], int *side)
{
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++) {
		struct vctrl_link *l = &r->link[i];
		if (!l->used || !l->bredr)
			continue;
		for (int s = 0; s < 2; s++) {
			if (l->ctrl[s] == c->index &&
			    !memcmp(r->ctrl[l->ctrl[!s]].public_addr, addr, 6)) {
				*side = s;
				return l;
			}
		}
	}
	return NULL;
}

static struct vctrl_link *bredr_link_find(struct vctrl_radio *r, const struct vctrl *c,
					  uint16_t handle, int *side)
{
	struct vctrl_link *l = vctrl_link_find(r, c, handle, side);
	return l && l->bredr ? l : NULL;
}

void vctrl_bredr_reset(struct vctrl_radio *r, struct vctrl *c)
{
	c->scan_enable = 0;
	memset(c->local_name, 0, sizeof c->local_name);
	memset(c->cod, 0, sizeof c->cod);
	c->eir_fec = 0;
	memset(c->eir, 0, sizeof c->eir);
	c->ssp_mode = 0;
	c->inquiry_mode = HCI_INQUIRY_MODE_STANDARD;
	c->page_timeout = PAGE_TIMEOUT_DEFAULT;
	c->accept_timeout = ACCEPT_TIMEOUT_DEFAULT;
	memset(&c->inq, 0, sizeof c->inq);
	for (unsigned i = 0; i < VCTRL_MAX_PAGES; i++) {
		struct vctrl_page *pg = &r->page[i];
		if (!pg->used)
			continue;
		if (pg->from == c->index)
			memset(pg, 0, sizeof *pg);
		else if (pg->asked && pg->to == c->index)
			pg->asked = false; /* nobody answers: the page times out */
	}
}

/* ---- local settings (7.3) ------------------------------------------------ */

uint8_t on_write_local_name(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			    struct wr *ret)
{
	memcpy(c->local_name, cmd->params, HCI_NAME_SIZE);
	return HCI_SUCCESS;
}

uint8_t on_read_local_name(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			   struct wr *ret)
{
	wr_bytes(ret, c->local_name, HCI_NAME_SIZE);
	return HCI_SUCCESS;
}

static uint8_t write_timeout(const struct vctrl_cmd *cmd, uint16_t min, uint16_t *out)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t v = rd_le16(&rd);
	if (v < min)
		return HCI_INVALID_PARAMETERS;
	*out = v;
	return HCI_SUCCESS;
}

uint8_t on_write_connection_accept_timeout(struct vctrl_radio *r, struct vctrl *c,
					   const struct vctrl_cmd *cmd, struct wr *ret)
{
	return write_timeout(cmd, 0x0001, &c->accept_timeout);
}

uint8_t on_write_page_timeout(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			      struct wr *ret)
{
	return write_timeout(cmd, 0x0001, &c->page_timeout);
}

uint8_t on_read_scan_enable(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			    struct wr *ret)
{
	wr_u8(ret, c->scan_enable);
	return HCI_SUCCESS;
}

uint8_t on_write_scan_enable(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			     struct wr *ret)
{
	uint8_t v = cmd->params[0];
	if (v > (HCI_SCAN_INQUIRY | HCI_SCAN_PAGE))
		return HCI_INVALID_PARAMETERS;
	c->scan_enable = v;
	vctrl_log(r, c, HIVE_LOG_DEBUG, "inquiry scan %s, page scan %s",
		  v & HCI_SCAN_INQUIRY ? "on" : "off", v & HCI_SCAN_PAGE ? "on" : "off");
	return HCI_SUCCESS;
}

uint8_t on_read_class_of_device(struct vctrl_radio *r, struct vctrl *c,
				const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_bytes(ret, c->cod, 3);
	return HCI_SUCCESS;
}

uint8_t on_write_class_of_device(struct vctrl_radio *r, struct vctrl *c,
				 const struct vctrl_cmd *cmd, struct wr *ret)
{
	memcpy(c->cod, cmd->params, 3);
	return HCI_SUCCESS;
}

uint8_t on_read_inquiry_mode(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			     struct wr *ret)
{
	wr_u8(ret, c->inquiry_mode);
	return HCI_SUCCESS;
}

uint8_t on_write_inquiry_mode(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			      struct wr *ret)
{
	if (cmd->params[0] > HCI_INQUIRY_MODE_EXTENDED)
		return HCI_INVALID_PARAMETERS;
	c->inquiry_mode = cmd->params[0];
	return HCI_SUCCESS;
}

uint8_t on_read_extended_inquiry_response(struct vctrl_radio *r, struct vctrl *c,
					  const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_u8(ret, c->eir_fec);
	wr_bytes(ret, c->eir, HCI_EIR_SIZE);
	return HCI_SUCCESS;
}

uint8_t on_write_extended_inquiry_response(struct vctrl_radio *r, struct vctrl *c,
					   const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint8_t fec = rd_u8(&rd);
	if (fec > 1)
		return HCI_INVALID_PARAMETERS;
	c->eir_fec = fec;
	rd_copy(&rd, c->eir, HCI_EIR_SIZE);
	return HCI_SUCCESS;
}

uint8_t on_read_simple_pairing_mode(struct vctrl_radio *r, struct vctrl *c,
				    const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_u8(ret, c->ssp_mode);
	return HCI_SUCCESS;
}

uint8_t on_write_simple_pairing_mode(struct vctrl_radio *r, struct vctrl *c,
				     const struct vctrl_cmd *cmd, struct wr *ret)
{
	/* 7.3.59: once enabled, only a Reset disables it. */
	uint8_t v = cmd->params[0];
	if (v > 1)
		return HCI_INVALID_PARAMETERS;
	if (c->ssp_mode && !v)
		return HCI_COMMAND_DISALLOWED;
	c->ssp_mode = v;
	return HCI_SUCCESS;
}

/* ---- inquiry (7.1.1, 7.1.2) ------------------------------------------------ */

static void inquiry_complete(struct vctrl_radio *r, struct vctrl *c, uint8_t status)
{
	c->inq.active = false;
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_inquiry_complete(&w, status);
	vctrl_send_event(r, c, &w);
	vctrl_log(r, c, HIVE_LOG_DEBUG, "inquiry complete: %u responses", c->inq.nrsp);
}

/* Whether d answers an inquiry with this access code. */
static bool answers_inquiry(const struct vctrl *d, uint32_t lap)
{
	if (!d->attached || !(d->scan_enable & HCI_SCAN_INQUIRY))
		return false;
	return lap == HCI_GIAC || (lap == HCI_LIAC && (d->cod[1] & COD_LIMITED_DISCOVERABLE));
}

/* Every controller in inquiry scan not yet reported answers once. */
static void inquiry_sweep(struct vctrl_radio *r, struct vctrl *c)
{
	for (unsigned i = 0; i < r->cfg.count && c->inq.active; i++) {
		struct vctrl *d = &r->ctrl[i];
		if (d == c || (c->inq.found >> i & 1) || !answers_inquiry(d, c->inq.lap))
			continue;
		c->inq.found |= 1u << i;
		c->inq.nrsp++;
		struct vctrl_inquiry_result res = {
			.psrm = 0x01, /* R1 */
			.clock_offset = (uint16_t)((0x1234u * (i + 1)) & 0x7FFF),
			.rssi = VCTRL_RSSI,
			.eir = d->eir,
		};
		memcpy(res.addr, d->public_addr, 6);
		memcpy(res.cod, d->cod, 3);
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_inquiry_result(&w, c->inquiry_mode, &res);
		vctrl_send_event(r, c, &w);
		if (c->inq.max_rsp && c->inq.nrsp >= c->inq.max_rsp)
			inquiry_complete(r, c, HCI_SUCCESS);
	}
}

uint8_t on_inquiry(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
		   struct wr *ret)
{
	struct vctrl_inquiry_cmd q;
	if (vctrl_parse_inquiry(cmd->params, cmd->n, &q) < 0 || q.lap < 0x9E8B00 ||
	    q.lap > 0x9E8B3F || q.length < 0x01 || q.length > 0x30)
		return HCI_INVALID_PARAMETERS;
	if (c->inq.active)
		return HCI_COMMAND_DISALLOWED;
	memset(&c->inq, 0, sizeof c->inq);
	c->inq.active = true;
	c->inq.lap = q.lap;
	c->inq.max_rsp = q.num_rsp;
	c->inq.end_ns = r->now + vctrl_bredr_slots_ns(r, q.length * 2048u); /* 1.28 s units */
	c->inq.next_ns = r->now; /* the first sweep at the next tick */
	return HCI_SUCCESS;
}

uint8_t on_inquiry_cancel(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			  struct wr *ret)
{
	if (!c->inq.active)
		return HCI_COMMAND_DISALLOWED;
	c->inq.active = false; /* 7.1.2: no Inquiry Complete event */
	return HCI_SUCCESS;
}

/* ---- paging: remote name, connections (7.1.5 - 7.1.9, 7.1.19) ----------- */

static struct vctrl_page *page_alloc(struct vctrl_radio *r)
{
	for (unsigned i = 0; i < VCTRL_MAX_PAGES; i++)
		if (!r->page[i].used)
			return &r->page[i];
	return NULL;
}

/* Whether a page from c reaches d: d scans for pages, or the two are
 * already connected (a remote name request then needs no page). */
static bool page_reaches(struct vctrl_radio *r, const struct vctrl *c, const struct vctrl *d)
{
	int side;
	return d && ((d->scan_enable & HCI_SCAN_PAGE) ||
		     vctrl_bredr_link_by_addr(r, c, d->public_addr, &side));
}

static void send_name_complete(struct vctrl_radio *r, struct vctrl *c, uint8_t status,
			       const uint8_t addr[6], const uint8_t *name)
{
	static const uint8_t none[HCI_NAME_SIZE];
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_remote_name(&w, status, addr, name ? name : none);
	vctrl_send_event(r, c, &w);
}

uint8_t on_remote_name_request(struct vctrl_radio *r, struct vctrl *c,
			       const struct vctrl_cmd *cmd, struct wr *ret)
{
	const uint8_t *addr = cmd->params;
	struct vctrl *d = ctrl_by_addr(r, c, addr);
	if (page_reaches(r, c, d)) {
		send_name_complete(r, c, HCI_SUCCESS, addr, d->local_name);
		return HCI_SUCCESS;
	}
	struct vctrl_page *pg = page_alloc(r);
	if (!pg)
		return HCI_MEMORY_CAPACITY_EXCEEDED;
	memset(pg, 0, sizeof *pg);
	pg->used = true;
	pg->kind = PAGE_NAME;
	pg->from = c->index;
	memcpy(pg->addr, addr, 6);
	pg->deadline = r->now + vctrl_bredr_slots_ns(r, c->page_timeout);
	return HCI_SUCCESS;
}

static struct vctrl_page *page_find(struct vctrl_radio *r, unsigned from, const uint8_t addr[6])
{
	for (unsigned i = 0; i < VCTRL_MAX_PAGES; i++) {
		struct vctrl_page *pg = &r->page[i];
		if (pg->used && pg->kind == PAGE_CONN && pg->from == from &&
		    !memcmp(pg->addr, addr, 6))
			return pg;
	}
	return NULL;
}

/* The Connection Request to c from the device with BD_ADDR addr. */
static struct vctrl_page *request_find(struct vctrl_radio *r, const struct vctrl *c,
				       const uint8_t addr[6])
{
	for (unsigned i = 0; i < VCTRL_MAX_PAGES; i++) {
		struct vctrl_page *pg = &r->page[i];
		if (pg->used && pg->kind == PAGE_CONN && pg->asked && pg->to == c->index &&
		    !memcmp(r->ctrl[pg->from].public_addr, addr, 6))
			return pg;
	}
	return NULL;
}

static void send_conn_complete(struct vctrl_radio *r, struct vctrl *c, uint8_t status,
			       uint16_t handle, const uint8_t addr[6])
{
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_conn_complete_br(&w, status, handle, addr, 0x00);
	vctrl_send_event(r, c, &w);
}

uint8_t on_create_connection(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			     struct wr *ret)
{
	struct vctrl_create_conn_br p;
	if (vctrl_parse_create_conn_br(cmd->params, cmd->n, &p) < 0 || p.allow_role_switch > 1)
		return HCI_INVALID_PARAMETERS;
	int side;
	if (vctrl_bredr_link_by_addr(r, c, p.addr, &side))
		return HCI_CONNECTION_ALREADY_EXISTS;
	if (page_find(r, c->index, p.addr))
		return HCI_COMMAND_DISALLOWED;
	if (vctrl_conn_count(r, c) >= VCTRL_CONN_PER_CTRL)
		return HCI_CONNECTION_LIMIT_EXCEEDED;
	struct vctrl_page *pg = page_alloc(r);
	if (!pg)
		return HCI_MEMORY_CAPACITY_EXCEEDED;
	memset(pg, 0, sizeof *pg);
	pg->used = true;
	pg->kind = PAGE_CONN;
	pg->from = c->index;
	memcpy(pg->addr, p.addr, 6);
	pg->allow_role_switch = p.allow_role_switch;
	pg->deadline = r->now + vctrl_bredr_slots_ns(r, c->page_timeout);
	struct vctrl *d = ctrl_by_addr(r, c, p.addr);
	if (!d || !(d->scan_enable & HCI_SCAN_PAGE) ||
	    vctrl_conn_count(r, d) >= VCTRL_CONN_PER_CTRL)
		return HCI_SUCCESS; /* nobody answers: Page Timeout later */
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_conn_request(&w, c->public_addr, c->cod);
	if (!vctrl_send_event(r, d, &w))
		return HCI_SUCCESS; /* a host that masked the request cannot accept */
	pg->asked = true;
	pg->to = d->index;
	pg->deadline = r->now + vctrl_bredr_slots_ns(r, d->accept_timeout);
	return HCI_SUCCESS;
}

uint8_t on_create_connection_cancel(struct vctrl_radio *r, struct vctrl *c,
				    const struct vctrl_cmd *cmd, struct wr *ret)
{
	const uint8_t *addr = cmd->params;
	wr_bytes(ret, addr, 6);
	struct vctrl_page *pg = page_find(r, c->index, addr);
	if (!pg) {
		int side;
		return vctrl_bredr_link_by_addr(r, c, addr, &side) ? HCI_CONNECTION_ALREADY_EXISTS
								    : HCI_UNKNOWN_CONNECTION_ID;
	}
	memset(pg, 0, sizeof *pg);
	/* 7.1.7: the attempt ends with Unknown Connection Identifier. */
	send_conn_complete(r, c, HCI_UNKNOWN_CONNECTION_ID, 0, addr);
	return HCI_SUCCESS;
}

static void send_role_change(struct vctrl_radio *r, const struct vctrl_link *l)
{
	for (int s = 0; s < 2; s++) {
		struct vctrl *x = &r->ctrl[l->ctrl[s]];
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_role_change(&w, HCI_SUCCESS, r->ctrl[l->ctrl[!s]].public_addr, l->role[s]);
		vctrl_send_event(r, x, &w);
	}
}

uint8_t on_accept_connection_request(struct vctrl_radio *r, struct vctrl *c,
				     const struct vctrl_cmd *cmd, struct wr *ret)
{
	const uint8_t *addr = cmd->params;
	uint8_t role = cmd->params[6];
	if (role > HCI_ROLE_PERIPHERAL)
		return HCI_INVALID_PARAMETERS;
	struct vctrl_page *pg = request_find(r, c, addr);
	if (!pg)
		return HCI_UNKNOWN_CONNECTION_ID;
	struct vctrl_link *l = vctrl_link_alloc(r);
	if (!l)
		return HCI_CONNECTION_LIMIT_EXCEEDED;
	struct vctrl *d = &r->ctrl[pg->from];
	memset(l, 0, sizeof *l);
	l->used = true;
	l->bredr = true;
	l->ctrl[0] = d->index;
	l->ctrl[1] = c->index;
	l->role[0] = HCI_ROLE_CENTRAL;
	l->role[1] = HCI_ROLE_PERIPHERAL;
	bool do_switch = role == HCI_ROLE_CENTRAL && pg->allow_role_switch;
	memset(pg, 0, sizeof *pg);
	l->handle[0] = vctrl_new_handle(r, d);
	l->handle[1] = vctrl_new_handle(r, c);
	for (int s = 0; s < 2; s++) {
		l->addr[s].type = HCI_ADDR_PUBLIC;
		memcpy(l->addr[s].a, r->ctrl[l->ctrl[s]].public_addr, 6);
		l->tx_octets[s] = r->cfg.bredr_acl_size;
	}
	l->interval = 6; /* no connection events on BR/EDR; kept valid for pacing */
	l->next_event_ns = r->now;
	if (do_switch) {
		/* 7.1.8: the acceptor becomes central before the connection is up. */
		l->role[0] = HCI_ROLE_PERIPHERAL;
		l->role[1] = HCI_ROLE_CENTRAL;
		send_role_change(r, l);
	}
	for (int s = 0; s < 2; s++)
		send_conn_complete(r, &r->ctrl[l->ctrl[s]], HCI_SUCCESS, l->handle[s],
				   r->ctrl[l->ctrl[!s]].public_addr);
	char a[18];
	vctrl_log(r, d, HIVE_LOG_INFO, "BR/EDR connection 0x%03x to %s (%s) 0x%03x, %s central",
		  l->handle[0], c->name, vctrl_addr_str(c->public_addr, a), l->handle[1],
		  do_switch ? c->name : d->name);
	return HCI_SUCCESS;
}

uint8_t on_reject_connection_request(struct vctrl_radio *r, struct vctrl *c,
				     const struct vctrl_cmd *cmd, struct wr *ret)
{
	const uint8_t *addr = cmd->params;
	uint8_t reason = cmd->params[6];
	if (reason < HCI_REJECTED_LIMITED_RESOURCES || reason > HCI_REJECTED_BAD_BD_ADDR)
		return HCI_INVALID_PARAMETERS;
	struct vctrl_page *pg = request_find(r, c, addr);
	if (!pg)
		return HCI_UNKNOWN_CONNECTION_ID;
	struct vctrl *d = &r->ctrl[pg->from];
	memset(pg, 0, sizeof *pg);
	send_conn_complete(r, c, reason, 0, addr);
	send_conn_complete(r, d, reason, 0, c->public_addr);
	return HCI_SUCCESS;
}

/* ---- roles, remote features (7.2.7, 7.2.8, 7.1.21, 7.1.22) ----------------- */

uint8_t on_role_discovery(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			  struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	int side;
	struct vctrl_link *l = vctrl_link_find(r, c, handle, &side);
	wr_le16(ret, handle);
	if (!l) {
		wr_u8(ret, 0);
		return HCI_UNKNOWN_CONNECTION_ID;
	}
	/* An LE link's roles never change: side 0 is its central. */
	wr_u8(ret, l->bredr ? l->role[side] : (uint8_t)side);
	return HCI_SUCCESS;
}

uint8_t on_switch_role(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
		       struct wr *ret)
{
	const uint8_t *addr = cmd->params;
	uint8_t role = cmd->params[6];
	if (role > HCI_ROLE_PERIPHERAL)
		return HCI_INVALID_PARAMETERS;
	int side;
	struct vctrl_link *l = vctrl_bredr_link_by_addr(r, c, addr, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	if (l->role[side] == role || l->auth.state != AUTH_IDLE)
		return HCI_COMMAND_DISALLOWED;
	l->role[side] = role;
	l->role[!side] = (uint8_t)!role;
	send_role_change(r, l);
	return HCI_SUCCESS;
}

uint8_t on_read_remote_supported_features(struct vctrl_radio *r, struct vctrl *c,
					  const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	int side;
	struct vctrl_link *l = bredr_link_find(r, c, handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	uint8_t f[8], buf[VCTRL_PKT_MAX];
	vctrl_lmp_features(&r->ctrl[l->ctrl[!side]], 0, f);
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_remote_features(&w, HCI_SUCCESS, handle, f);
	vctrl_send_event(r, c, &w);
	return HCI_SUCCESS;
}

uint8_t on_read_remote_extended_features(struct vctrl_radio *r, struct vctrl *c,
					 const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	uint8_t page = rd_u8(&rd);
	int side;
	struct vctrl_link *l = bredr_link_find(r, c, handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	uint8_t f[8], buf[VCTRL_PKT_MAX];
	if (!vctrl_lmp_features(&r->ctrl[l->ctrl[!side]], page, f))
		return HCI_INVALID_PARAMETERS;
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_remote_ext_features(&w, HCI_SUCCESS, handle, page, VCTRL_LMP_MAX_PAGE, f);
	vctrl_send_event(r, c, &w);
	return HCI_SUCCESS;
}

/* ---- flush (7.3.4) ---------------------------------------------------------- */

/* The emulated link delivers every packet at once, so nothing automatically
 * flushable waits: the flush completes at once, with its Flush Occurred. */
uint8_t on_flush(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
		 struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	int side;
	wr_le16(ret, handle);
	struct vctrl_link *l = bredr_link_find(r, c, handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	size_t m = vctrl_evt_begin(&w, HCI_EV_FLUSH_OCCURRED);
	wr_le16(&w, handle);
	vctrl_evt_end(&w, m);
	vctrl_send_event(r, c, &w);
	return HCI_SUCCESS;
}

/* ---- time ------------------------------------------------------------------ */

static void page_expire(struct vctrl_radio *r, struct vctrl_page *pg)
{
	struct vctrl *c = &r->ctrl[pg->from];
	uint8_t addr[6];
	memcpy(addr, pg->addr, 6);
	if (pg->kind == PAGE_NAME) {
		memset(pg, 0, sizeof *pg);
		send_name_complete(r, c, HCI_PAGE_TIMEOUT, addr, NULL);
		return;
	}
	if (!pg->asked) {
		memset(pg, 0, sizeof *pg);
		send_conn_complete(r, c, HCI_PAGE_TIMEOUT, 0, addr);
		return;
	}
	/* The paged host never answered its Connection Request. */
	struct vctrl *d = &r->ctrl[pg->to];
	memset(pg, 0, sizeof *pg);
	send_conn_complete(r, d, HCI_CONNECTION_ACCEPT_TIMEOUT, 0, c->public_addr);
	send_conn_complete(r, c, HCI_CONNECTION_ACCEPT_TIMEOUT, 0, addr);
}

void vctrl_bredr_tick(struct vctrl_radio *r, uint64_t now)
{
	for (unsigned i = 0; i < r->cfg.count; i++) {
		struct vctrl *c = &r->ctrl[i];
		if (!c->attached || !c->inq.active)
			continue;
		if (now >= c->inq.next_ns) {
			inquiry_sweep(r, c);
			c->inq.next_ns = now + VCTRL_INQ_SWEEP_NS;
		}
		if (c->inq.active && now >= c->inq.end_ns)
			inquiry_complete(r, c, HCI_SUCCESS);
	}
	for (unsigned i = 0; i < VCTRL_MAX_PAGES; i++)
		if (r->page[i].used && now >= r->page[i].deadline)
			page_expire(r, &r->page[i]);
	vctrl_ssp_timeouts(r, now);
}

uint64_t vctrl_bredr_deadline(const struct vctrl_radio *r)
{
	uint64_t t = vctrl_ssp_deadline(r);
	for (unsigned i = 0; i < r->cfg.count; i++) {
		const struct vctrl *c = &r->ctrl[i];
		if (!c->attached || !c->inq.active)
			continue;
		if (c->inq.next_ns < t)
			t = c->inq.next_ns;
		if (c->inq.end_ns < t)
			t = c->inq.end_ns;
	}
	for (unsigned i = 0; i < VCTRL_MAX_PAGES; i++)
		if (r->page[i].used && r->page[i].deadline < t)
			t = r->page[i].deadline;
	return t;
}
