/* libFuzzer: bytes as the H4 streams of two hosts into hive-vctrl's framer
 * and state machine (two controllers on one radio), with time passing.
 *
 * Input: records [header][payload]. Header bit 7 picks the controller, bits
 * 0..6 the payload length; 0x7F instead jumps the clock by 5 s (procedure
 * timeouts). After each record the radio ticks 3 ms later. A framing error
 * power-cycles that controller, as the program closes such a host. Every
 * byte the controller sends must be whole, well-formed H4 packets.
 *
 * The last input byte picks the set-up: bit 0 paced ACL delivery; bit 1 the
 * hosts already unmasked every event, enabled Simple Pairing and put
 * controller 1 in inquiry and page scan, so short inputs reach BR/EDR
 * paging, pairing and encryption. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../controller/vctrl.h"
#include "../../controller/vctrl_codec.h"
#include "../../controller/vctrl_hci.h"
#include "hive.h"

static int counting_rand(void *arg, uint8_t *out, size_t n)
{
	uint8_t *next = arg;
	for (size_t i = 0; i < n; i++)
		out[i] = (*next)++;
	return 0;
}

static void command(struct vctrl_radio *r, unsigned i, uint16_t op, const uint8_t *p, uint8_t n,
		    uint64_t now)
{
	uint8_t b[3 + 255] = { (uint8_t)op, (uint8_t)(op >> 8), n };
	if (n)
		memcpy(b + 3, p, n);
	vctrl_on_packet(r, i, H4_CMD, b, 3u + n, now);
}

static void bredr_setup(struct vctrl_radio *r, uint64_t now)
{
	static const uint8_t all[8] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F };
	for (unsigned i = 0; i < 2; i++) {
		command(r, i, HCI_SET_EVENT_MASK, all, 8, now);
		command(r, i, HCI_WRITE_SIMPLE_PAIRING_MODE, (const uint8_t[]){ 1 }, 1, now);
		vctrl_outbox_consume(r, i, SIZE_MAX);
	}
	command(r, 1, HCI_WRITE_SCAN_ENABLE, (const uint8_t[]){ 3 }, 1, now);
	vctrl_outbox_consume(r, 1, SIZE_MAX);
}

/* Checks and empties what controller i has for its host. */
static void check_outbox(struct vctrl_radio *r, unsigned i)
{
	size_t len;
	const uint8_t *p = vctrl_outbox(r, i, &len);
	struct rd rd = rd_init(p, len);
	while (rd.left) {
		uint8_t type = rd_u8(&rd);
		if (type == H4_EVT) {
			uint8_t code = rd_u8(&rd);
			uint8_t plen = rd_u8(&rd);
			const uint8_t *body = rd_ptr(&rd, plen);
			if (!body || code == 0)
				abort();
			if ((code == HCI_EV_COMMAND_COMPLETE && plen < 4) ||
			    (code == HCI_EV_COMMAND_STATUS && plen != 4) ||
			    (code == HCI_EV_LE_META && plen < 1))
				abort();
		} else if (type == H4_ACL) {
			rd_le16(&rd);
			uint16_t n = rd_le16(&rd);
			if (!rd_ptr(&rd, n) || n > 251)
				abort();
		} else {
			abort();
		}
	}
	if (!rd_ok(&rd))
		abort();
	vctrl_outbox_consume(r, i, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!getenv("HIVE_LOG"))
		hive_log_set_threshold(HIVE_LOG_ERROR); /* HIVE_LOG=debug to replay a case */
	uint8_t rng = 0;
	struct vctrl_config cfg;
	vctrl_config_default(&cfg);
	cfg.count = 2;
	cfg.acl_count = 4;
	cfg.acl_size = 64;
	cfg.bredr_acl_count = 4;
	cfg.bredr_acl_size = 64;
	cfg.bredr_time_div = 64;
	cfg.adv_min_period_ns = 10000000ull;
	cfg.rand = counting_rand;
	cfg.rand_arg = &rng;
	cfg.paced = size > 0 && (data[size - 1] & 1);
	struct vctrl_radio *r;
	if (vctrl_radio_new(&r, &cfg) < 0)
		abort();
	uint64_t now = 1000000000ull, last_tick = 0;
	struct vctrl_h4 *f = calloc(2, sizeof *f);
	if (!f)
		abort();
	for (unsigned i = 0; i < 2; i++) {
		vctrl_h4_init(&f[i]);
		vctrl_host_attach(r, i, now);
	}
	if (size > 0 && (data[size - 1] & 2))
		bredr_setup(r, now);
	struct rd in = rd_init(data, size);
	while (rd_ok(&in) && in.left) {
		uint8_t hdr = rd_u8(&in);
		unsigned c = hdr >> 7;
		size_t n = hdr & 0x7F;
		if (n == 0x7F) {
			now += 5000000000ull;
		} else {
			if (n > in.left)
				n = in.left;
			struct rd chunk = rd_sub(&in, n);
			for (;;) {
				struct vctrl_h4_pkt pkt;
				int rc = vctrl_h4_pull(&f[c], &chunk, &pkt);
				if (rc == VCTRL_H4_MORE)
					break;
				if (rc == VCTRL_H4_PACKET)
					vctrl_on_packet(r, c, pkt.type, pkt.data, pkt.len, now);
				if (rc < 0) {
					vctrl_host_detach(r, c, now);
					vctrl_h4_init(&f[c]);
					vctrl_host_attach(r, c, now);
				}
			}
		}
		/* A deadline the last tick should have consumed means a timer that
		 * would spin the program's poll loop. */
		uint64_t due = vctrl_next_deadline(r);
		if (due != 0 && due < last_tick)
			abort();
		now += 3000000ull;
		vctrl_tick(r, now);
		last_tick = now;
		for (unsigned i = 0; i < 2; i++)
			check_outbox(r, i);
	}
	free(f);
	vctrl_radio_destroy(&r);
	return 0;
}
