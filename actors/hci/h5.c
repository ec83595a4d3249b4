/* H5 link layer state machine. */
#include <errno.h>
#include <string.h>

#include "h5.h"

/* Link control messages (type 15, unreliable). */
static const uint8_t msg_sync[] = { 0x01, 0x7e };
static const uint8_t msg_sync_rsp[] = { 0x02, 0x7d };
static const uint8_t msg_config[] = { 0x03, 0xfc };
static const uint8_t msg_config_rsp[] = { 0x04, 0x7b };
static const uint8_t msg_wakeup[] = { 0x05, 0xfa };
static const uint8_t msg_woken[] = { 0x06, 0xf9 };

/* Configuration field: window (bits 0-2), out-of-frame flow control (3, never
 * asked here), data integrity check type (4), version (5-7, 0). */
#define CFG_WINDOW(c) ((c) & 0x07)
#define CFG_CRC 0x10

const char *h5_state_name(enum h5_state s)
{
	switch (s) {
	case H5_UNINITIALIZED: return "uninitialized";
	case H5_INITIALIZED: return "initialized";
	case H5_ACTIVE: return "active";
	default: return "?";
	}
}

void h5_init(struct h5 *h, const struct h5_config *cfg, const struct h5_ops *ops, void *arg)
{
	memset(h, 0, offsetof(struct h5, unacked));
	h->cfg = *cfg;
	if (h->cfg.window == 0 || h->cfg.window > H5_WINDOW_MAX)
		h->cfg.window = H5_DEFAULT_WINDOW;
	if (!h->cfg.sync_ms)
		h->cfg.sync_ms = H5_DEFAULT_SYNC_MS;
	if (!h->cfg.retransmit_ms)
		h->cfg.retransmit_ms = H5_DEFAULT_RETRANSMIT_MS;
	h->ops = *ops;
	h->arg = arg;
	h->state = H5_UNINITIALIZED;
	h->link_due_ms = H5_NO_DEADLINE;
	h->retransmit_due_ms = H5_NO_DEADLINE;
}

static uint8_t our_config(const struct h5 *h)
{
	return (uint8_t)(CFG_WINDOW(h->cfg.window) | (h->cfg.crc ? CFG_CRC : 0));
}

/* Frames and writes one packet. */
static void emit(struct h5 *h, uint8_t type, bool reliable, uint8_t seq, const uint8_t *p,
		 size_t len)
{
	struct h5_hdr hdr = {
		.seq = reliable ? seq : 0,
		.ack = h->rx_ack,
		.crc = reliable && h->crc,
		.reliable = reliable,
		.type = type,
	};
	struct wr w = wr_init(h->out, sizeof h->out);
	if (h5_packet_encode(&w, &hdr, p, len) == 0)
		h->ops.output(h->arg, h->out, w.len);
	/* Every packet carries our acknowledgement. */
	if (h->state == H5_ACTIVE)
		h->ack_pending = false;
}

static void link_msg(struct h5 *h, const uint8_t *msg, size_t len)
{
	emit(h, H5_TYPE_LINK, false, 0, msg, len);
}

static void send_sync_or_config(struct h5 *h)
{
	if (h->state == H5_UNINITIALIZED) {
		link_msg(h, msg_sync, sizeof msg_sync);
	} else if (h->state == H5_INITIALIZED) {
		uint8_t m[3] = { msg_config[0], msg_config[1], our_config(h) };
		link_msg(h, m, sizeof m);
	} else {
		return;
	}
	h->st.syncs_sent++;
	h->link_due_ms = h->now_ms + h->cfg.sync_ms;
}

static void set_state(struct h5 *h, enum h5_state to)
{
	enum h5_state from = h->state;
	h->state = to;
	if (from != to && h->ops.state)
		h->ops.state(h->arg, from, to);
}

static void reset_link(struct h5 *h)
{
	h->st.lost_on_reset += h->nunacked;
	h->tx_seq = h->tx_una = h->nunacked = 0;
	h->rx_ack = 0;
	h->ack_pending = false;
	h->window = h->cfg.window;
	h->crc = false;
	h->retransmit_due_ms = H5_NO_DEADLINE;
	slip_rx_reset(&h->rx);
}

void h5_start(struct h5 *h, uint64_t now_ms)
{
	h->now_ms = now_ms;
	reset_link(h);
	set_state(h, H5_UNINITIALIZED);
	send_sync_or_config(h);
}

static bool msg_is(const uint8_t *p, size_t len, const uint8_t *msg)
{
	return len >= 2 && p[0] == msg[0] && p[1] == msg[1];
}

static void on_link_control(struct h5 *h, const uint8_t *p, size_t len)
{
	if (msg_is(p, len, msg_sync)) {
		if (h->state == H5_ACTIVE) {
			/* The peer started over: so do we. */
			h->st.peer_resets++;
			reset_link(h);
			set_state(h, H5_UNINITIALIZED);
			send_sync_or_config(h);
		}
		link_msg(h, msg_sync_rsp, sizeof msg_sync_rsp);
	} else if (msg_is(p, len, msg_sync_rsp)) {
		if (h->state == H5_UNINITIALIZED) {
			set_state(h, H5_INITIALIZED);
			send_sync_or_config(h);
		}
	} else if (msg_is(p, len, msg_config)) {
		if (h->state != H5_UNINITIALIZED) {
			uint8_t m[3] = { msg_config_rsp[0], msg_config_rsp[1], our_config(h) };
			link_msg(h, m, sizeof m);
		} else {
			h->st.ignored++;
		}
	} else if (msg_is(p, len, msg_config_rsp)) {
		if (h->state != H5_INITIALIZED) {
			h->st.ignored++;
			return;
		}
		/* A peer without a configuration field takes ours. */
		uint8_t theirs = len >= 3 ? p[2] : our_config(h);
		h->peer_config = theirs;
		uint8_t win = CFG_WINDOW(theirs);
		h->window = win && win < h->cfg.window ? win : h->cfg.window;
		h->crc = h->cfg.crc && (theirs & CFG_CRC);
		h->link_due_ms = H5_NO_DEADLINE;
		set_state(h, H5_ACTIVE);
	} else if (msg_is(p, len, msg_wakeup)) {
		link_msg(h, msg_woken, sizeof msg_woken);
	} else {
		h->st.ignored++; /* woken, sleep, unknown: nothing to do */
	}
}

/* The peer expects `ack` next: everything before it arrived. */
static void on_ack(struct h5 *h, uint8_t ack)
{
	uint8_t n = (uint8_t)((ack - h->tx_una) & 7);
	if (n == 0 || n > h->nunacked)
		return; /* nothing new, or an ack for what we never sent */
	h->tx_una = ack;
	h->nunacked = (uint8_t)(h->nunacked - n);
	h->retransmit_due_ms = h->nunacked ? h->now_ms + h->cfg.retransmit_ms : H5_NO_DEADLINE;
}

static bool hci_type(uint8_t type)
{
	return type >= H5_TYPE_COMMAND && type <= H5_TYPE_ISO;
}

static void on_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct h5 *h = arg;
	struct h5_hdr hdr;
	const uint8_t *payload;
	int rc = h5_packet_decode(frame, len, &hdr, &payload);
	if (rc == -EILSEQ) {
		h->st.bad_crc++;
		return;
	}
	if (rc < 0) {
		h->st.bad_header++;
		return;
	}
	if (hdr.type == H5_TYPE_LINK) {
		on_link_control(h, payload, hdr.len);
		return;
	}
	if (h->state != H5_ACTIVE) {
		h->st.ignored++;
		return;
	}
	on_ack(h, hdr.ack);
	if (hdr.reliable) {
		h->ack_pending = true; /* answer even a duplicate: our ack was lost */
		if (hdr.seq != h->rx_ack) {
			h->st.out_of_order++;
			return;
		}
		h->rx_ack = (uint8_t)((h->rx_ack + 1) & 7);
	}
	if (hci_type(hdr.type)) {
		h->st.rx_packets++;
		h->ops.packet(h->arg, hdr.type, payload, hdr.len);
	} else if (hdr.type != H5_TYPE_ACK) {
		h->st.ignored++; /* vendor packets */
	}
}

void h5_feed(struct h5 *h, const uint8_t *bytes, size_t len, uint64_t now_ms)
{
	h->now_ms = now_ms;
	slip_rx_feed(&h->rx, bytes, len, on_frame, h);
	if (h->ack_pending && h->state == H5_ACTIVE) {
		emit(h, H5_TYPE_ACK, false, 0, NULL, 0);
		h->st.acks_sent++;
	}
}

bool h5_can_send(const struct h5 *h)
{
	return h->state == H5_ACTIVE && h->nunacked < h->window;
}

int h5_send(struct h5 *h, uint8_t type, const uint8_t *pkt, size_t len, uint64_t now_ms)
{
	if (!hci_type(type))
		return -EINVAL;
	if (len > H5_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (!h5_can_send(h))
		return -EAGAIN;
	h->now_ms = now_ms;
	struct h5_unacked *u = &h->unacked[h->tx_seq];
	u->type = type;
	u->len = (uint16_t)len;
	if (len)
		memcpy(u->data, pkt, len);
	emit(h, type, true, h->tx_seq, u->data, len);
	h->tx_seq = (uint8_t)((h->tx_seq + 1) & 7);
	h->nunacked++;
	h->st.tx_packets++;
	if (h->retransmit_due_ms == H5_NO_DEADLINE)
		h->retransmit_due_ms = now_ms + h->cfg.retransmit_ms;
	return 0;
}

void h5_tick(struct h5 *h, uint64_t now_ms)
{
	h->now_ms = now_ms;
	if (h->link_due_ms != H5_NO_DEADLINE && now_ms >= h->link_due_ms)
		send_sync_or_config(h);
	if (h->retransmit_due_ms != H5_NO_DEADLINE && now_ms >= h->retransmit_due_ms) {
		/* Go back N: everything not acknowledged, oldest first. */
		for (uint8_t i = 0; i < h->nunacked; i++) {
			uint8_t seq = (uint8_t)((h->tx_una + i) & 7);
			struct h5_unacked *u = &h->unacked[seq];
			emit(h, u->type, true, seq, u->data, u->len);
			h->st.retransmits++;
		}
		h->retransmit_due_ms = h->nunacked ? now_ms + h->cfg.retransmit_ms
						   : H5_NO_DEADLINE;
	}
}

uint64_t h5_next_deadline(const struct h5 *h)
{
	return h->link_due_ms < h->retransmit_due_ms ? h->link_due_ms : h->retransmit_due_ms;
}
