/* hive-vctrl: the radio, its controllers, their outboxes, the entry points
 * for packets and time. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vctrl_int.h"

#define OUTBOX_MAX_DEFAULT (4u << 20)

void vctrl_config_default(struct vctrl_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->count = 1;
	cfg->acl_size = 251;
	cfg->acl_count = 8;
	cfg->bredr_acl_size = 1021;
	cfg->bredr_acl_count = 8;
	cfg->bredr_time_div = 1;
	/* 02:48:49:56:45:00, "HIVE" in a locally administered address */
	static const uint8_t base[6] = { 0x00, 0x45, 0x56, 0x49, 0x48, 0x02 };
	memcpy(cfg->addr_base, base, 6);
	cfg->adv_min_period_ns = 20ull * 1000000ull;
	cfg->outbox_max = OUTBOX_MAX_DEFAULT;
}

void vctrl_log(const struct vctrl_radio *r, const struct vctrl *c, enum hive_log_level lvl,
	       const char *fmt, ...)
{
	if (lvl > hive_log_threshold())
		return;
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	hive_logf(r->log, lvl, "%s: %s", c ? c->name : "radio", msg);
}

/* ---- outbox ------------------------------------------------------------- */

static bool out_reserve(struct vctrl_radio *r, struct vctrl *c, size_t extra, bool hard)
{
	size_t want = c->out_len + extra;
	if (!hard && want > r->cfg.outbox_max) {
		if (c->out_dropped++ == 0)
			vctrl_log(r, c, HIVE_LOG_WARN, "the host is not reading: %zu bytes wait; "
				  "dropping what the controller sends until it reads", c->out_len);
		return false;
	}
	if (want <= c->out_cap)
		return true;
	size_t cap = c->out_cap ? c->out_cap : 4096;
	while (cap < want)
		cap *= 2;
	uint8_t *p = realloc(c->out, cap);
	if (!p) {
		c->out_dropped++;
		vctrl_log(r, c, HIVE_LOG_ERROR, "out of memory for %zu outbox bytes", cap);
		return false;
	}
	c->out = p;
	c->out_cap = cap;
	return true;
}

void vctrl_send(struct vctrl_radio *r, struct vctrl *c, const struct wr *w)
{
	if (!c->attached || !wr_ok(w) || w->len == 0)
		return;
	if (!out_reserve(r, c, w->len, false))
		return;
	memcpy(c->out + c->out_len, w->p, w->len);
	c->out_len += w->len;
}

void vctrl_send_at(struct vctrl_radio *r, struct vctrl *c, size_t at, const uint8_t *p, size_t n)
{
	if (!c->attached || n == 0)
		return;
	if (at > c->out_len)
		at = c->out_len;
	/* A command's answer is never dropped for space: the host waits for it. */
	if (!out_reserve(r, c, n, true))
		return;
	memmove(c->out + at + n, c->out + at, c->out_len - at);
	memcpy(c->out + at, p, n);
	c->out_len += n;
}

const uint8_t *vctrl_outbox(const struct vctrl_radio *r, unsigned idx, size_t *len)
{
	if (idx >= r->cfg.count) {
		*len = 0;
		return NULL;
	}
	*len = r->ctrl[idx].out_len;
	return r->ctrl[idx].out;
}

void vctrl_outbox_consume(struct vctrl_radio *r, unsigned idx, size_t n)
{
	if (idx >= r->cfg.count)
		return;
	struct vctrl *c = &r->ctrl[idx];
	if (n >= c->out_len) {
		c->out_len = 0;
		if (c->out_dropped) {
			vctrl_log(r, c, HIVE_LOG_WARN, "the host reads again; %llu packets were dropped",
				  (unsigned long long)c->out_dropped);
			c->out_dropped = 0;
		}
		return;
	}
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
}

/* ---- event masks -------------------------------------------------------- */

bool vctrl_event_on(const struct vctrl *c, uint8_t code)
{
	switch (code) {
	case HCI_EV_COMMAND_COMPLETE:
	case HCI_EV_COMMAND_STATUS:
	case HCI_EV_NUMBER_OF_COMPLETED_PACKETS:
		return true; /* not maskable */
	default:
		return code >= 1 && code <= 64 && (c->event_mask >> (code - 1) & 1);
	}
}

bool vctrl_le_event_on(const struct vctrl *c, uint8_t subevent)
{
	return vctrl_event_on(c, HCI_EV_LE_META) && subevent >= 1 && subevent <= 64 &&
	       (c->le_event_mask >> (subevent - 1) & 1);
}

bool vctrl_send_event(struct vctrl_radio *r, struct vctrl *c, const struct wr *w)
{
	if (!wr_ok(w) || w->len < 2 || !vctrl_event_on(c, w->p[1]))
		return false;
	vctrl_send(r, c, w);
	return true;
}

/* ---- controller state ------------------------------------------------------- */

bool vctrl_lmp_features(const struct vctrl *c, unsigned page, uint8_t out[8])
{
	memset(out, 0, 8);
	if (page == 0) {
		/* bit 2 Encryption, 5 Role Switch; 30 Inquiry with RSSI (octet 3);
		 * 38 LE Supported (Controller); 48 Extended Inquiry Response,
		 * 49 Simultaneous LE and BR/EDR, 51 Secure Simple Pairing,
		 * 52 Encapsulated PDU, 54 Non-flushable Packet Boundary Flag;
		 * 63 Extended Features */
		out[0] = 0x04 | 0x20;
		out[3] = 0x40;
		out[4] = 0x40;
		out[6] = 0x01 | 0x02 | 0x08 | 0x10 | 0x40;
		out[7] = 0x80;
		return true;
	}
	if (page == 1) {
		/* host features: bit 0 Secure Simple Pairing (Host Support), 1 LE
		 * Supported (Host) */
		out[0] = (uint8_t)((c->ssp_mode ? 0x01 : 0) | (c->le_host ? 0x02 : 0));
		return true;
	}
	return false;
}

void vctrl_le_features(uint8_t out[8])
{
	memset(out, 0, 8);
	/* bit 0 LE Encryption, 2 Extended Reject Indication, 3 Peripheral-initiated
	 * Features Exchange, 4 LE Ping, 5 LE Data Packet Length Extension */
	out[0] = 0x01 | 0x04 | 0x08 | 0x10 | 0x20;
	/* bit 8 LE 2M PHY, 11 LE Coded PHY, 12 LE Extended Advertising,
	 * 14 Channel Selection Algorithm #2 */
	out[1] = 0x01 | 0x08 | 0x10 | 0x40;
}

void vctrl_ctrl_reset(struct vctrl_radio *r, struct vctrl *c, uint8_t peer_reason)
{
	vctrl_conn_drop_all(r, c, peer_reason);
	vctrl_bredr_reset(r, c);
	vctrl_adv_reset(c);
	vctrl_scan_reset(c);
	c->random_set = false;
	memset(c->random_addr, 0, 6);
	c->event_mask = HCI_EVENT_MASK_DEFAULT;
	c->event_mask2 = 0;
	c->le_event_mask = HCI_LE_EVENT_MASK_DEFAULT;
	c->le_host = 0;
	c->sugg_tx_octets = 27;
	c->sugg_tx_time = 328;
	c->def_all_phys = 0x03; /* no preference either way */
	c->def_tx_phys = 0;
	c->def_rx_phys = 0;
	c->api = VCTRL_API_NONE;
	c->nfal = 0;
	memset(&c->init, 0, sizeof c->init);
	c->host_fc = 0;
	c->host_acl_len = 0;
	c->host_acl_total = 0;
	memset(c->slots, 0, sizeof *c->slots * vctrl_slot_count(r));
	c->acl_free = r->cfg.acl_count;
	c->br_free = r->cfg.bredr_acl_count;
	c->acl_seq = 0;
}

bool vctrl_own_address(const struct vctrl *c, uint8_t own_addr_type, struct vctrl_addr *out)
{
	/* Without a resolving list, types 2 and 3 fall back to the identity
	 * address of types 0 and 1 (7.8.5). */
	if (own_addr_type == HCI_ADDR_RANDOM || own_addr_type == HCI_ADDR_RANDOM_ID) {
		out->type = HCI_ADDR_RANDOM;
		memcpy(out->a, c->random_addr, 6);
		return c->random_set;
	}
	out->type = HCI_ADDR_PUBLIC;
	memcpy(out->a, c->public_addr, 6);
	return true;
}

bool vctrl_fal_contains(const struct vctrl *c, const struct vctrl_addr *a)
{
	for (unsigned i = 0; i < c->nfal; i++) {
		const struct vctrl_addr *e = &c->fal[i];
		if (e->type == HCI_ADDR_ANONYMOUS ? a->type == HCI_ADDR_ANONYMOUS
						  : e->type == a->type && !memcmp(e->a, a->a, 6))
			return true;
	}
	return false;
}

/* ---- life cycle ---------------------------------------------------------- */

int vctrl_radio_new(struct vctrl_radio **out, const struct vctrl_config *cfg)
{
	*out = NULL;
	if (cfg->count < 1 || cfg->count > VCTRL_MAX || cfg->acl_size < 27 ||
	    cfg->acl_size > VCTRL_ACL_SIZE_MAX || cfg->acl_count < 1 ||
	    cfg->bredr_acl_size < 27 || cfg->bredr_acl_size > VCTRL_ACL_SIZE_MAX ||
	    cfg->bredr_acl_count < 1)
		return -EINVAL;
	struct vctrl_radio *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	if (!r->cfg.outbox_max)
		r->cfg.outbox_max = OUTBOX_MAX_DEFAULT;
	if (!r->cfg.bredr_time_div)
		r->cfg.bredr_time_div = 1;
	r->log = cfg->log_name ? cfg->log_name : "hive-vctrl";
	for (unsigned i = 0; i < cfg->count; i++) {
		struct vctrl *c = &r->ctrl[i];
		c->index = i;
		snprintf(c->name, sizeof c->name, "ctrl%u", i);
		/* base + i, carried through the octets (wire order: LSB first) */
		unsigned carry = i;
		for (int k = 0; k < 6; k++) {
			unsigned v = cfg->addr_base[k] + carry;
			c->public_addr[k] = (uint8_t)v;
			carry = v >> 8;
		}
		c->slots = calloc(vctrl_slot_count(r), sizeof *c->slots);
		c->acl_data = malloc((size_t)vctrl_slot_count(r) * vctrl_slot_size(r));
		if (!c->slots || !c->acl_data) {
			vctrl_radio_destroy(&r);
			return -ENOMEM;
		}
		vctrl_ctrl_reset(r, c, HCI_REMOTE_USER_TERMINATED);
	}
	*out = r;
	return 0;
}

void vctrl_radio_destroy(struct vctrl_radio **self_p)
{
	struct vctrl_radio *r = *self_p;
	if (!r)
		return;
	for (unsigned i = 0; i < VCTRL_MAX; i++) {
		free(r->ctrl[i].slots);
		free(r->ctrl[i].acl_data);
		free(r->ctrl[i].out);
	}
	free(r);
	*self_p = NULL;
}

unsigned vctrl_count(const struct vctrl_radio *r)
{
	return r->cfg.count;
}

void vctrl_public_address(const struct vctrl_radio *r, unsigned idx, uint8_t out[6])
{
	memcpy(out, idx < r->cfg.count ? r->ctrl[idx].public_addr : (const uint8_t[6]){ 0 }, 6);
}

bool vctrl_host_attached(const struct vctrl_radio *r, unsigned idx)
{
	return idx < r->cfg.count && r->ctrl[idx].attached;
}

void vctrl_host_attach(struct vctrl_radio *r, unsigned idx, uint64_t now_ns)
{
	if (idx >= r->cfg.count)
		return;
	struct vctrl *c = &r->ctrl[idx];
	r->now = now_ns;
	if (c->attached)
		vctrl_host_detach(r, idx, now_ns);
	vctrl_ctrl_reset(r, c, HCI_REMOTE_USER_TERMINATED);
	c->out_len = 0;
	c->out_dropped = 0;
	c->attached = true;
	char a[18];
	vctrl_log(r, c, HIVE_LOG_INFO, "host attached; powered on as %s",
		  vctrl_addr_str(c->public_addr, a));
}

void vctrl_host_detach(struct vctrl_radio *r, unsigned idx, uint64_t now_ns)
{
	if (idx >= r->cfg.count)
		return;
	struct vctrl *c = &r->ctrl[idx];
	r->now = now_ns;
	if (!c->attached)
		return;
	c->attached = false;
	unsigned n = vctrl_conn_count(r, c);
	vctrl_ctrl_reset(r, c, HCI_REMOTE_USER_TERMINATED);
	c->out_len = 0;
	c->out_dropped = 0;
	vctrl_log(r, c, HIVE_LOG_INFO, "host detached; powered off (%u connection%s dropped)", n,
		  n == 1 ? "" : "s");
}

/* ---- packets and time ------------------------------------------------------- */

void vctrl_on_packet(struct vctrl_radio *r, unsigned idx, uint8_t type, const uint8_t *p,
		     size_t n, uint64_t now_ns)
{
	if (idx >= r->cfg.count)
		return;
	struct vctrl *c = &r->ctrl[idx];
	if (!c->attached)
		return;
	r->now = now_ns;
	switch (type) {
	case H4_CMD:
		vctrl_on_command(r, c, p, n);
		break;
	case H4_ACL:
		vctrl_on_acl(r, c, p, n);
		break;
	case H4_SCO:
	case H4_ISO:
		vctrl_log(r, c, HIVE_LOG_WARN, "%s data packet of %zu bytes dropped: this "
			  "controller has no %s channels", type == H4_SCO ? "SCO" : "ISO", n,
			  type == H4_SCO ? "synchronous" : "isochronous");
		break;
	default:
		vctrl_log(r, c, HIVE_LOG_WARN, "packet type 0x%02x from the host dropped", type);
		break;
	}
}

void vctrl_tick(struct vctrl_radio *r, uint64_t now_ns)
{
	r->now = now_ns;
	vctrl_conn_tick(r, now_ns);
	vctrl_adv_tick(r, now_ns);
	vctrl_bredr_tick(r, now_ns);
}

uint64_t vctrl_next_deadline(const struct vctrl_radio *r)
{
	uint64_t a = vctrl_adv_deadline(r);
	uint64_t b = vctrl_conn_deadline(r);
	uint64_t c = vctrl_bredr_deadline(r);
	uint64_t t = a < b ? a : b;
	return c < t ? c : t;
}
