/* hive-vctrl: ACL data. A host's packet takes one of its controller's LE
 * or BR/EDR ACL buffers (two pools, as Read Buffer Size and LE Read Buffer
 * Size tell) until the link layer has sent it to the peer; then the sender's
 * host gets Number Of Completed Packets. A host that sends more packets than
 * there are buffers gets them refused, as hardware does (Data Buffer
 * Overflow). On an LE link a packet travels in link layer PDUs of the
 * connection's data length, and the peer's host gets one HCI packet per PDU,
 * as from a real controller; on a BR/EDR link it arrives whole (baseband
 * packets are not modelled).
 *
 * Nothing is dropped on the way to a host: a receiving host that does not
 * read (or, with controller to host flow control, has no buffer free) holds
 * the packets in the sender's buffers, so the sending host runs out of
 * credits, as over a real link. */
#include <limits.h>
#include <string.h>

#include "vctrl_int.h"

#define NOCP_MAX 63 /* handles in one Number Of Completed Packets event */

void vctrl_on_acl(struct vctrl_radio *r, struct vctrl *c, const uint8_t *p, size_t n)
{
	struct vctrl_acl a;
	if (vctrl_acl_parse(p, n, &a) < 0) {
		vctrl_log(r, c, HIVE_LOG_WARN, "malformed ACL packet of %zu bytes dropped", n);
		return;
	}
	int side;
	struct vctrl_link *l = vctrl_link_find(r, c, a.handle, &side);
	if (!l) {
		vctrl_log(r, c, HIVE_LOG_WARN, "ACL packet for unknown connection handle 0x%03x "
			  "(%u bytes) dropped", a.handle, a.len);
		return;
	}
	const char *kind = l->bredr ? "BR/EDR" : "LE";
	uint16_t size = l->bredr ? r->cfg.bredr_acl_size : r->cfg.acl_size;
	unsigned *free_n = l->bredr ? &c->br_free : &c->acl_free;
	unsigned first = l->bredr ? r->cfg.acl_count : 0;
	unsigned end = l->bredr ? vctrl_slot_count(r) : r->cfg.acl_count;
	if (a.len > size) {
		vctrl_log(r, c, HIVE_LOG_WARN, "ACL packet of %u bytes on 0x%03x is longer than the "
			  "%u-byte %s ACL buffers; dropped", a.len, a.handle, size, kind);
		return;
	}
	if (a.pb == 3 || a.bc != 0) {
		vctrl_log(r, c, HIVE_LOG_WARN, "ACL packet on 0x%03x with packet boundary %u, "
			  "broadcast %u is not valid on %s; dropped", a.handle, a.pb, a.bc, kind);
		return;
	}
	if (*free_n == 0) {
		vctrl_log(r, c, HIVE_LOG_WARN, "the host sent more ACL packets than the %u %s ACL "
			  "buffers; packet of %u bytes on 0x%03x refused (Data Buffer Overflow)",
			  end - first, kind, a.len, a.handle);
		if (vctrl_event_on(c, HCI_EV_DATA_BUFFER_OVERFLOW)) {
			uint8_t buf[VCTRL_PKT_MAX];
			struct wr w = wr_init(buf, sizeof buf);
			vctrl_evt_data_buffer_overflow(&w, HCI_LINK_ACL);
			vctrl_send(r, c, &w);
		}
		return;
	}
	for (unsigned i = first; i < end; i++) {
		struct vctrl_acl_slot *s = &c->slots[i];
		if (s->used)
			continue;
		s->used = true;
		s->seq = c->acl_seq++;
		s->handle = a.handle;
		s->pb = a.pb;
		s->len = a.len;
		s->sent = 0;
		memcpy(c->acl_data + (size_t)i * vctrl_slot_size(r), a.data, a.len);
		(*free_n)--;
		if (hive_log_threshold() >= HIVE_LOG_TRACE)
			vctrl_log(r, c, HIVE_LOG_TRACE, "<<< acl 0x%03x pb=%u len=%u (%u %s buffers free)",
				  a.handle, a.pb, a.len, *free_n, kind);
		return;
	}
}

/* ACL packets the host of c has been sent and not completed (controller to
 * host flow control). */
static unsigned host_unacked(const struct vctrl_radio *r, const struct vctrl *c)
{
	unsigned n = 0;
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++) {
		const struct vctrl_link *l = &r->link[i];
		for (int s = 0; l->used && s < 2; s++)
			if (l->ctrl[s] == c->index)
				n += l->host_out[s];
	}
	return n;
}

/* How many ACL packets the host of c can be sent now: none while it leaves
 * too much unread or, with flow control on, has no buffer free. */
static unsigned host_room(const struct vctrl_radio *r, const struct vctrl *c)
{
	if (c->out_len > VCTRL_RX_STALL_BYTES)
		return 0;
	if (!(c->host_fc & 1))
		return UINT_MAX;
	unsigned out = host_unacked(r, c);
	return out < c->host_acl_total ? c->host_acl_total - out : 0;
}

/* Sends what the peer's host can take of one buffered packet over link l
 * from side: link layer PDUs of the link's data length, each one HCI packet
 * (or several, when the peer's host asked for shorter ones with Host Buffer
 * Size). Returns true once the whole packet has gone. */
static bool deliver(struct vctrl_radio *r, struct vctrl_acl_slot *s, const uint8_t *data,
		    struct vctrl_link *l, int side)
{
	struct vctrl *peer = &r->ctrl[l->ctrl[!side]];
	size_t max = l->tx_octets[side];
	if (peer->host_acl_len && peer->host_acl_len < max)
		max = peer->host_acl_len;
	while (s->sent < s->len && host_room(r, peer) > 0) {
		size_t left = (size_t)(s->len - s->sent);
		size_t n = left < max ? left : max;
		/* PB 0b10: the start of a message (LLID start), 0b01: continuing. */
		uint8_t pb = (s->sent == 0 && s->pb != 1) ? 2 : 1;
		uint8_t buf[1 + 4 + VCTRL_ACL_SIZE_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_acl_write(&w, l->handle[!side], pb, data + s->sent, (uint16_t)n);
		vctrl_send(r, peer, &w);
		s->sent = (uint16_t)(s->sent + n);
		if (peer->host_fc & 1)
			l->host_out[!side]++;
	}
	return s->sent >= s->len;
}

static void send_completed(struct vctrl_radio *r, struct vctrl *c, unsigned n,
			   const uint16_t *handles, const uint16_t *counts)
{
	for (unsigned i = 0; i < n; i += NOCP_MAX) {
		unsigned k = n - i < NOCP_MAX ? n - i : NOCP_MAX;
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_num_completed(&w, k, handles + i, counts + i);
		vctrl_send(r, c, &w);
	}
}

static void slot_release(struct vctrl_radio *r, struct vctrl *c, unsigned i)
{
	c->slots[i].used = false;
	if (i < r->cfg.acl_count)
		c->acl_free++;
	else
		c->br_free++;
}

/* Whether c holds ACL packets not yet sent. */
static bool slots_busy(const struct vctrl_radio *r, const struct vctrl *c)
{
	return c->acl_free < r->cfg.acl_count || c->br_free < r->cfg.bredr_acl_count;
}

static void deliver_all(struct vctrl_radio *r, struct vctrl *c, const bool *due)
{
	/* Slots in arrival order: packets of one connection keep their order. */
	unsigned order[512], n = 0;
	for (unsigned i = 0; i < vctrl_slot_count(r); i++) {
		if (!c->slots[i].used)
			continue;
		unsigned k = n++;
		while (k > 0 && (int32_t)(c->slots[order[k - 1]].seq - c->slots[i].seq) > 0) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = i;
	}
	uint16_t handles[VCTRL_CONN_PER_CTRL], counts[VCTRL_CONN_PER_CTRL];
	unsigned nh = 0;
	for (unsigned k = 0; k < n; k++) {
		struct vctrl_acl_slot *s = &c->slots[order[k]];
		int side;
		struct vctrl_link *l = vctrl_link_find(r, c, s->handle, &side);
		if (!l) { /* cannot happen: a link's slots go with it */
			slot_release(r, c, order[k]);
			continue;
		}
		if (!due[l - r->link] ||
		    !deliver(r, s, c->acl_data + (size_t)order[k] * vctrl_slot_size(r), l, side))
			continue;
		slot_release(r, c, order[k]);
		unsigned h = 0;
		while (h < nh && handles[h] != s->handle)
			h++;
		if (h == nh) {
			if (nh == VCTRL_CONN_PER_CTRL) { /* cannot happen either */
				send_completed(r, c, nh, handles, counts);
				nh = h = 0;
			}
			handles[nh] = s->handle;
			counts[nh++] = 0;
		}
		counts[h]++;
	}
	if (nh)
		send_completed(r, c, nh, handles, counts);
}

void vctrl_conn_tick(struct vctrl_radio *r, uint64_t now)
{
	vctrl_conn_timeouts(r, now);
	bool due[VCTRL_MAX_LINKS];
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++)
		due[i] = r->link[i].used && (!r->cfg.paced || r->link[i].bredr ||
					     now >= r->link[i].next_event_ns);
	for (unsigned i = 0; i < r->cfg.count; i++) {
		struct vctrl *c = &r->ctrl[i];
		if (c->attached && slots_busy(r, c))
			deliver_all(r, c, due);
	}
	if (!r->cfg.paced)
		return;
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++) {
		struct vctrl_link *l = &r->link[i];
		if (!l->used || l->bredr || !due[i])
			continue;
		uint64_t period = l->interval * 1250000ull;
		l->next_event_ns += period * ((now - l->next_event_ns) / period + 1);
	}
}

/* Buffered packets are due at once (or at their link's next connection
 * event when paced) unless the receiving host cannot take them: then the
 * host's reading or completing is what makes them due. */
uint64_t vctrl_conn_deadline(const struct vctrl_radio *r)
{
	uint64_t t = vctrl_conn_timeouts_deadline(r);
	for (unsigned i = 0; i < r->cfg.count; i++) {
		const struct vctrl *c = &r->ctrl[i];
		if (!c->attached || !slots_busy(r, c))
			continue;
		for (unsigned k = 0; k < VCTRL_MAX_LINKS; k++) {
			const struct vctrl_link *l = &r->link[k];
			if (!l->used || (l->ctrl[0] != i && l->ctrl[1] != i))
				continue;
			int side = l->ctrl[0] == i ? 0 : 1;
			bool queued = false;
			for (unsigned q = 0; q < vctrl_slot_count(r) && !queued; q++)
				queued = c->slots[q].used && c->slots[q].handle == l->handle[side];
			if (!queued || host_room(r, &r->ctrl[l->ctrl[!side]]) == 0)
				continue;
			if (!r->cfg.paced || l->bredr)
				return 0;
			if (l->next_event_ns < t)
				t = l->next_event_ns;
		}
	}
	return t;
}

/* ---- controller to host flow control -------------------------------------- */

uint8_t on_set_controller_to_host_flow_control(struct vctrl_radio *r, struct vctrl *c,
					       const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint8_t fc = rd_u8(&rd);
	if (fc > 3)
		return HCI_INVALID_PARAMETERS;
	/* 7.3.38: only while there are no connections. */
	if (vctrl_conn_count(r, c) > 0)
		return HCI_COMMAND_DISALLOWED;
	c->host_fc = fc;
	return HCI_SUCCESS;
}

uint8_t on_host_buffer_size(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			    struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t len = rd_le16(&rd);
	rd_u8(&rd); /* synchronous data: none here */
	uint16_t num = rd_le16(&rd);
	if (len == 0 || num == 0)
		return HCI_INVALID_PARAMETERS;
	c->host_acl_len = len;
	c->host_acl_total = num;
	return HCI_SUCCESS;
}

uint8_t on_host_number_of_completed_packets(struct vctrl_radio *r, struct vctrl *c,
					    const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint8_t n = rd_u8(&rd);
	if (cmd->n != 1 + 4u * n)
		return HCI_INVALID_PARAMETERS;
	for (unsigned i = 0; i < n; i++) {
		uint16_t handle = rd_le16(&rd) & 0x0FFF;
		uint16_t count = rd_le16(&rd);
		int side;
		struct vctrl_link *l = vctrl_link_find(r, c, handle, &side);
		/* A handle that just ended: its buffers were freed with it. */
		if (l)
			l->host_out[side] = count >= l->host_out[side] ? 0 : l->host_out[side] - count;
	}
	return HCI_SUCCESS;
}
