/* H5: the codec (SLIP, header checksum, CRC) with byte-exact vectors, and
 * the link state machine as two ends joined by an in-memory wire with a
 * test clock: link establishment, packets both ways, the window,
 * retransmission of dropped frames, duplicates, the integrity check, a peer
 * reset. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/hci/h5.h"

/* ---- codec -------------------------------------------------------------------- */

Test(hci_h5_codec, sync_on_the_wire)
{
	/* The SYNC every H5 implementation sends first. */
	static const uint8_t want[] = { 0xc0, 0x00, 0x2f, 0x00, 0xd0, 0x01, 0x7e, 0xc0 };
	uint8_t buf[32];
	struct wr w = wr_init(buf, sizeof buf);
	struct h5_hdr h = { .type = H5_TYPE_LINK };
	const uint8_t sync[] = { 0x01, 0x7e };
	cr_assert_eq(h5_packet_encode(&w, &h, sync, 2), 0);
	cr_assert_eq(w.len, sizeof want);
	cr_assert(memcmp(buf, want, sizeof want) == 0);
}

Test(hci_h5_codec, header_fields_and_checksum)
{
	struct h5_hdr h = { .seq = 5, .ack = 3, .crc = true, .reliable = true, .type = 2,
			    .len = 0xabc };
	uint8_t b[4];
	h5_hdr_encode(&h, b);
	cr_assert_eq(b[0], 5 | 3 << 3 | 0x40 | 0x80);
	cr_assert_eq(b[1], 0x02 | 0xc0);
	cr_assert_eq(b[2], 0xab);
	cr_assert_eq((uint8_t)(b[0] + b[1] + b[2] + b[3]), 0xff);
}

Test(hci_h5_codec, crc_ccitt_vector)
{
	/* CRC-16/MCRF4XX of "123456789" is 0x6f91; H5 sends it bit reversed. */
	cr_assert_eq(h5_crc((const uint8_t *)"123456789", 9), 0x89f6);
}

static uint8_t frame_buf[H5_PACKET_MAX];
static size_t frame_len;
static int frames;

static void keep_frame(void *arg, const uint8_t *f, size_t len)
{
	memcpy(frame_buf, f, len);
	frame_len = len;
	frames++;
}

Test(hci_h5_codec, round_trip_with_escapes_and_crc)
{
	uint8_t payload[300];
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i % 3 == 0 ? 0xc0 : i % 3 == 1 ? 0xdb : i);
	for (int crc = 0; crc < 2; crc++) {
		uint8_t wire[H5_SLIP_MAX];
		struct wr w = wr_init(wire, sizeof wire);
		struct h5_hdr h = { .seq = 2, .ack = 7, .crc = crc, .reliable = true, .type = 2 };
		cr_assert_eq(h5_packet_encode(&w, &h, payload, sizeof payload), 0);
		for (size_t i = 1; i + 1 < w.len; i++)
			cr_assert_neq(wire[i], 0xc0, "an unescaped delimiter inside the frame");
		struct slip_rx *s = calloc(1, sizeof *s);
		frames = 0;
		/* Noise before the first delimiter is ignored. */
		const uint8_t noise[] = { 0x11, 0x22 };
		slip_rx_feed(s, noise, 2, keep_frame, NULL);
		for (size_t i = 0; i < w.len; i++)
			slip_rx_feed(s, wire + i, 1, keep_frame, NULL);
		cr_assert_eq(frames, 1);
		struct h5_hdr got;
		const uint8_t *p;
		cr_assert_eq(h5_packet_decode(frame_buf, frame_len, &got, &p), 0);
		cr_assert_eq(got.seq, 2);
		cr_assert_eq(got.ack, 7);
		cr_assert_eq(got.crc, crc);
		cr_assert(got.reliable);
		cr_assert_eq(got.len, sizeof payload);
		cr_assert(memcmp(p, payload, sizeof payload) == 0);
		if (crc) {
			frame_buf[10] ^= 1;
			cr_assert_eq(h5_packet_decode(frame_buf, frame_len, &got, &p), -EILSEQ);
		}
		free(s);
	}
}

Test(hci_h5_codec, bad_frames)
{
	uint8_t f[16] = { 0x00, 0x2f, 0x00, 0xd0, 0x01, 0x7e };
	struct h5_hdr h;
	const uint8_t *p;
	cr_assert_eq(h5_packet_decode(f, 6, &h, &p), 0);
	for (size_t cut = 0; cut < 6; cut++)
		cr_assert_eq(h5_packet_decode(f, cut, &h, &p), -EBADMSG, "cut to %zu", cut);
	cr_assert_eq(h5_packet_decode(f, 7, &h, &p), -EBADMSG, "one byte too many");
	f[3] = 0xd1;
	cr_assert_eq(h5_packet_decode(f, 6, &h, &p), -EBADMSG, "bad checksum");
	/* A bad escape drops the frame; the next one is fine. */
	struct slip_rx *s = calloc(1, sizeof *s);
	frames = 0;
	const uint8_t bad[] = { 0xc0, 0x01, 0xdb, 0x01, 0x02, 0xc0, 0x05, 0xc0 };
	slip_rx_feed(s, bad, sizeof bad, keep_frame, NULL);
	cr_assert_eq(frames, 1);
	cr_assert_eq(frame_len, 1);
	cr_assert_eq(frame_buf[0], 0x05);
	cr_assert_eq(s->dropped, 1);
	/* Too long for any packet: dropped up to the next delimiter. */
	uint8_t *longf = malloc(H5_PACKET_MAX + 10);
	memset(longf, 0x33, H5_PACKET_MAX + 10);
	longf[0] = 0xc0;
	slip_rx_feed(s, longf, H5_PACKET_MAX + 10, keep_frame, NULL);
	const uint8_t end[] = { 0xc0 };
	slip_rx_feed(s, end, 1, keep_frame, NULL);
	cr_assert_eq(frames, 1);
	cr_assert_eq(s->dropped, 2);
	free(longf);
	free(s);
	/* Too long to encode. */
	uint8_t out[64];
	struct wr w = wr_init(out, sizeof out);
	struct h5_hdr big = { .type = 2 };
	cr_assert_eq(h5_packet_encode(&w, &big, out, H5_PAYLOAD_MAX + 1), -EMSGSIZE);
	cr_assert_eq(h5_packet_encode(&w, &big, out, 60), -ENOBUFS);
	cr_assert_eq(w.len, 0);
}

/* ---- two ends on a wire ----------------------------------------------------------- */

#define WIRE_MAX (256 * 1024)
#define RX_MAX 64

struct end {
	struct h5 *h5;
	struct end *peer;
	uint8_t *wire;          /* bytes on their way to peer */
	size_t wire_len;
	int drop_reliable;      /* drop this many of our next reliable data frames */
	int sent_reliable;      /* reliable data frames put on the wire (incl. retransmits) */
	int states[8];
	enum h5_state last_state;
	size_t nrx;
	uint8_t rx_type[RX_MAX];
	uint8_t rx[RX_MAX][64];
	size_t rx_len[RX_MAX];
	uint8_t auto_reply;     /* answer each command with this event code (0: no) */
};

static uint64_t clock_ms;

static bool is_reliable_data(const uint8_t *bytes, size_t len)
{
	/* bytes is one SLIP frame; the header's first byte follows the
	 * delimiter (and is never escaped for seq/ack/flags values we use
	 * unless it is 0xc0 or 0xdb, which have bit 6 and 7 set: reliable). */
	return len > 2 && (bytes[1] & 0x80);
}

static void out_cb(void *arg, const uint8_t *bytes, size_t len)
{
	struct end *e = arg;
	if (is_reliable_data(bytes, len)) {
		e->sent_reliable++;
		if (e->drop_reliable > 0) {
			e->drop_reliable--;
			return;
		}
	}
	cr_assert_leq(e->wire_len + len, WIRE_MAX);
	memcpy(e->wire + e->wire_len, bytes, len);
	e->wire_len += len;
}

static void packet_cb(void *arg, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct end *e = arg;
	cr_assert_lt(e->nrx, RX_MAX);
	cr_assert_leq(len, 64);
	e->rx_type[e->nrx] = type;
	memcpy(e->rx[e->nrx], pkt, len);
	e->rx_len[e->nrx] = len;
	e->nrx++;
	if (e->auto_reply && type == H5_TYPE_COMMAND) {
		/* Answer from inside the callback, as a controller would. */
		uint8_t evt[] = { e->auto_reply, 0x04, 0x01, pkt[0], pkt[1], 0x00 };
		cr_assert_eq(h5_send(e->h5, H5_TYPE_EVENT, evt, sizeof evt, clock_ms), 0);
	}
}

static void state_cb(void *arg, enum h5_state from, enum h5_state to)
{
	struct end *e = arg;
	e->states[to]++;
	e->last_state = to;
}

static void end_init(struct end *e, struct end *peer, uint8_t window, bool crc)
{
	memset(e, 0, sizeof *e);
	e->peer = peer;
	e->h5 = malloc(sizeof *e->h5);
	e->wire = malloc(WIRE_MAX);
	struct h5_config cfg = { .window = window, .crc = crc };
	struct h5_ops ops = { .output = out_cb, .packet = packet_cb, .state = state_cb };
	h5_init(e->h5, &cfg, &ops, e);
}

static void end_fini(struct end *e)
{
	free(e->h5);
	free(e->wire);
}

/* Delivers what is on both wires, in pieces of `chunk` bytes, until quiet. */
static void pump(struct end *a, struct end *b, size_t chunk)
{
	for (int round = 0; round < 100 && (a->wire_len || b->wire_len); round++) {
		struct end *ends[2] = { a, b };
		for (int k = 0; k < 2; k++) {
			struct end *e = ends[k];
			size_t n = e->wire_len;
			uint8_t *copy = malloc(n ? n : 1);
			memcpy(copy, e->wire, n);
			e->wire_len = 0;
			for (size_t off = 0; off < n; off += chunk)
				h5_feed(e->peer->h5, copy + off, n - off < chunk ? n - off : chunk,
					clock_ms);
			free(copy);
		}
	}
}

/* Advances the clock to the next deadline of either end and ticks. */
static void advance(struct end *a, struct end *b)
{
	uint64_t da = h5_next_deadline(a->h5), db = h5_next_deadline(b->h5);
	uint64_t d = da < db ? da : db;
	cr_assert_neq(d, H5_NO_DEADLINE, "nothing due");
	if (d > clock_ms)
		clock_ms = d;
	h5_tick(a->h5, clock_ms);
	h5_tick(b->h5, clock_ms);
}

static void establish(struct end *a, struct end *b)
{
	clock_ms = 1000;
	h5_start(a->h5, clock_ms);
	h5_start(b->h5, clock_ms);
	pump(a, b, 3);
	cr_assert_eq(a->h5->state, H5_ACTIVE);
	cr_assert_eq(b->h5->state, H5_ACTIVE);
	cr_assert_eq(a->states[H5_ACTIVE], 1);
	cr_assert_eq(b->states[H5_ACTIVE], 1);
}

Test(hci_h5, link_establishment_both_start)
{
	struct end a, b;
	end_init(&a, &b, 4, false);
	end_init(&b, &a, 7, false);
	establish(&a, &b);
	cr_assert_eq(a.h5->window, 4);
	cr_assert_eq(b.h5->window, 4, "the smaller window wins");
	cr_assert_not(a.h5->crc);
	cr_assert_eq(h5_next_deadline(a.h5), H5_NO_DEADLINE, "nothing left to do");
	end_fini(&a);
	end_fini(&b);
}

Test(hci_h5, link_establishment_one_late)
{
	struct end a, b;
	end_init(&a, &b, 4, false);
	end_init(&b, &a, 4, false);
	clock_ms = 0;
	h5_start(a.h5, clock_ms);
	/* b is not listening yet: a's SYNCs go nowhere. */
	for (int i = 0; i < 5; i++) {
		a.wire_len = 0;
		advance(&a, &a);
	}
	cr_assert_geq(a.h5->st.syncs_sent, 5);
	cr_assert_eq(a.h5->state, H5_UNINITIALIZED);
	a.wire_len = 0;
	h5_start(b.h5, clock_ms);
	pump(&a, &b, 64);
	cr_assert_eq(b.h5->state, H5_INITIALIZED, "b got SYNC_RSP, waits for CONFIG_RSP");
	for (int i = 0; i < 4 && (a.h5->state != H5_ACTIVE || b.h5->state != H5_ACTIVE); i++) {
		advance(&a, &b);
		pump(&a, &b, 64);
	}
	cr_assert_eq(a.h5->state, H5_ACTIVE);
	cr_assert_eq(b.h5->state, H5_ACTIVE);
	end_fini(&a);
	end_fini(&b);
}

Test(hci_h5, command_and_event)
{
	struct end host, ctrl;
	end_init(&host, &ctrl, 4, false);
	end_init(&ctrl, &host, 4, false);
	ctrl.auto_reply = 0x0e;
	establish(&host, &ctrl);
	const uint8_t reset[] = { 0x03, 0x0c, 0x00 };
	cr_assert_eq(h5_send(host.h5, H5_TYPE_COMMAND, reset, 3, clock_ms), 0);
	cr_assert_eq(h5_send(host.h5, 0, reset, 3, clock_ms), -EINVAL);
	pump(&host, &ctrl, 1);
	cr_assert_eq(ctrl.nrx, 1);
	cr_assert_eq(ctrl.rx_type[0], H5_TYPE_COMMAND);
	cr_assert(memcmp(ctrl.rx[0], reset, 3) == 0);
	cr_assert_eq(host.nrx, 1);
	cr_assert_eq(host.rx_type[0], H5_TYPE_EVENT);
	const uint8_t evt[] = { 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
	cr_assert(memcmp(host.rx[0], evt, sizeof evt) == 0);
	/* Everything acknowledged: no retransmission pending. */
	cr_assert_eq(host.h5->nunacked, 0);
	cr_assert_eq(ctrl.h5->nunacked, 0);
	cr_assert_eq(host.h5->st.retransmits + ctrl.h5->st.retransmits, 0);
	end_fini(&host);
	end_fini(&ctrl);
}

Test(hci_h5, window_fills_then_opens)
{
	struct end a, b;
	end_init(&a, &b, 3, false);
	end_init(&b, &a, 3, false);
	establish(&a, &b);
	uint8_t acl[] = { 0x01, 0x00, 0x01, 0x00, 0x42 };
	for (int i = 0; i < 3; i++)
		cr_assert_eq(h5_send(a.h5, H5_TYPE_ACL, acl, sizeof acl, clock_ms), 0);
	cr_assert_not(h5_can_send(a.h5));
	cr_assert_eq(h5_send(a.h5, H5_TYPE_ACL, acl, sizeof acl, clock_ms), -EAGAIN);
	pump(&a, &b, 7);
	cr_assert_eq(b.nrx, 3);
	cr_assert(h5_can_send(a.h5), "b's acknowledgement opened the window");
	/* Sequence numbers wrap past 7. */
	for (int i = 0; i < 20; i++) {
		acl[4] = (uint8_t)i;
		cr_assert_eq(h5_send(a.h5, H5_TYPE_ACL, acl, sizeof acl, clock_ms), 0);
		pump(&a, &b, 64);
	}
	cr_assert_eq(b.nrx, 23);
	cr_assert_eq(b.rx[22][4], 19);
	cr_assert_eq(b.h5->st.out_of_order, 0);
	end_fini(&a);
	end_fini(&b);
}

Test(hci_h5, dropped_frame_is_retransmitted)
{
	struct end host, ctrl;
	end_init(&host, &ctrl, 4, false);
	end_init(&ctrl, &host, 4, false);
	ctrl.auto_reply = 0x0e;
	establish(&host, &ctrl);
	/* The command is lost on the wire once; so is the controller's event. */
	host.drop_reliable = 1;
	ctrl.drop_reliable = 1;
	const uint8_t reset[] = { 0x03, 0x0c, 0x00 };
	cr_assert_eq(h5_send(host.h5, H5_TYPE_COMMAND, reset, 3, clock_ms), 0);
	pump(&host, &ctrl, 64);
	cr_assert_eq(ctrl.nrx, 0);
	uint64_t t0 = clock_ms;
	advance(&host, &ctrl); /* the host's retransmission timer */
	cr_assert_eq(clock_ms - t0, H5_DEFAULT_RETRANSMIT_MS);
	pump(&host, &ctrl, 64);
	cr_assert_eq(ctrl.nrx, 1, "the command arrived on the second try");
	cr_assert_eq(host.nrx, 0, "the event was dropped");
	advance(&host, &ctrl);
	pump(&host, &ctrl, 64);
	cr_assert_eq(host.nrx, 1, "the event arrived on the second try");
	cr_assert_eq(ctrl.nrx, 1, "no duplicate command");
	/* The dropped event also carried the acknowledgement of the command, so
	 * the host sent it a third time, and the controller dropped that copy. */
	cr_assert_eq(host.h5->st.retransmits, 2);
	cr_assert_eq(ctrl.h5->st.retransmits, 1);
	cr_assert_eq(ctrl.h5->st.out_of_order, 1);
	cr_assert_eq(host.h5->nunacked, 0);
	cr_assert_eq(ctrl.h5->nunacked, 0);
	end_fini(&host);
	end_fini(&ctrl);
}

Test(hci_h5, lost_ack_gives_a_duplicate_that_is_dropped)
{
	struct end a, b;
	end_init(&a, &b, 4, false);
	end_init(&b, &a, 4, false);
	establish(&a, &b);
	const uint8_t acl[] = { 0x01, 0x00, 0x01, 0x00, 0x42 };
	cr_assert_eq(h5_send(a.h5, H5_TYPE_ACL, acl, sizeof acl, clock_ms), 0);
	/* b receives it; its acknowledgement is lost. */
	h5_feed(b.h5, a.wire, a.wire_len, clock_ms);
	a.wire_len = 0;
	b.wire_len = 0;
	cr_assert_eq(b.nrx, 1);
	advance(&a, &b);
	pump(&a, &b, 64);
	cr_assert_eq(b.nrx, 1, "the retransmitted copy was not delivered again");
	cr_assert_eq(b.h5->st.out_of_order, 1);
	cr_assert_eq(a.h5->nunacked, 0, "the new acknowledgement arrived");
	end_fini(&a);
	end_fini(&b);
}

Test(hci_h5, integrity_check_negotiated)
{
	struct end a, b;
	end_init(&a, &b, 4, true);
	end_init(&b, &a, 4, true);
	establish(&a, &b);
	cr_assert(a.h5->crc);
	cr_assert(b.h5->crc);
	const uint8_t acl[] = { 0x01, 0x00, 0x02, 0x00, 0xc0, 0xdb };
	cr_assert_eq(h5_send(a.h5, H5_TYPE_ACL, acl, sizeof acl, clock_ms), 0);
	cr_assert(a.wire_len > 0);
	/* Corrupt a payload byte: the CRC catches it, the retransmission heals. */
	a.wire[a.wire_len - 4] ^= 0x01;
	pump(&a, &b, 64);
	cr_assert_eq(b.nrx, 0);
	cr_assert_eq(b.h5->st.bad_crc + b.h5->st.bad_header, 1);
	advance(&a, &b);
	pump(&a, &b, 64);
	cr_assert_eq(b.nrx, 1);
	cr_assert(memcmp(b.rx[0], acl, sizeof acl) == 0);
	end_fini(&a);
	end_fini(&b);

	/* Only one side asks: off. */
	end_init(&a, &b, 4, true);
	end_init(&b, &a, 4, false);
	establish(&a, &b);
	cr_assert_not(a.h5->crc);
	cr_assert_not(b.h5->crc);
	end_fini(&a);
	end_fini(&b);
}

Test(hci_h5, peer_reset_starts_over)
{
	struct end host, ctrl;
	end_init(&host, &ctrl, 4, false);
	end_init(&ctrl, &host, 4, false);
	ctrl.auto_reply = 0x0e;
	establish(&host, &ctrl);
	const uint8_t reset[] = { 0x03, 0x0c, 0x00 };
	cr_assert_eq(h5_send(host.h5, H5_TYPE_COMMAND, reset, 3, clock_ms), 0);
	pump(&host, &ctrl, 64);
	cr_assert_eq(host.nrx, 1);
	/* The controller reboots. */
	h5_start(ctrl.h5, clock_ms);
	pump(&host, &ctrl, 64);
	cr_assert_eq(host.h5->st.peer_resets, 1);
	cr_assert_eq(host.states[H5_UNINITIALIZED], 1, "the host saw the link go");
	for (int i = 0; i < 4 && host.h5->state != H5_ACTIVE; i++) {
		advance(&host, &ctrl);
		pump(&host, &ctrl, 64);
	}
	cr_assert_eq(host.h5->state, H5_ACTIVE);
	cr_assert_eq(ctrl.h5->state, H5_ACTIVE);
	cr_assert_eq(host.states[H5_ACTIVE], 2);
	cr_assert_eq(h5_send(host.h5, H5_TYPE_COMMAND, reset, 3, clock_ms), 0);
	pump(&host, &ctrl, 64);
	cr_assert_eq(host.nrx, 2, "traffic flows again with fresh sequence numbers");
	end_fini(&host);
	end_fini(&ctrl);
}

Test(hci_h5, data_before_active_is_ignored)
{
	struct end a, b;
	end_init(&a, &b, 4, false);
	end_init(&b, &a, 4, false);
	clock_ms = 0;
	h5_start(b.h5, clock_ms);
	b.wire_len = 0;
	cr_assert_eq(h5_send(b.h5, H5_TYPE_EVENT, (const uint8_t *)"\x0e\x00", 2, clock_ms),
		     -EAGAIN);
	/* A reliable event arriving at an uninitialised end. */
	uint8_t wire[64];
	struct wr w = wr_init(wire, sizeof wire);
	struct h5_hdr h = { .reliable = true, .type = H5_TYPE_EVENT };
	const uint8_t evt[] = { 0x0e, 0x00 };
	cr_assert_eq(h5_packet_encode(&w, &h, evt, 2), 0);
	h5_feed(b.h5, wire, w.len, clock_ms);
	cr_assert_eq(b.nrx, 0);
	cr_assert_eq(b.h5->st.ignored, 1);
	end_fini(&a);
	end_fini(&b);
}

Test(hci_h5, wakeup_is_answered)
{
	struct end a, b;
	end_init(&a, &b, 4, false);
	end_init(&b, &a, 4, false);
	establish(&a, &b);
	uint8_t wire[32];
	struct wr w = wr_init(wire, sizeof wire);
	struct h5_hdr h = { .type = H5_TYPE_LINK };
	const uint8_t wakeup[] = { 0x05, 0xfa };
	cr_assert_eq(h5_packet_encode(&w, &h, wakeup, 2), 0);
	b.wire_len = 0;
	h5_feed(b.h5, wire, w.len, clock_ms);
	/* WOKEN: c0 00 2f 00 d0 06 f9 c0 */
	const uint8_t woken[] = { 0xc0, 0x00, 0x2f, 0x00, 0xd0, 0x06, 0xf9, 0xc0 };
	cr_assert_eq(b.wire_len, sizeof woken);
	cr_assert(memcmp(b.wire, woken, sizeof woken) == 0);
	end_fini(&a);
	end_fini(&b);
}
