/* libFuzzer target: bytes into the H5 SLIP decoder and link state machine.
 * The first byte picks whether the link is brought up first (canned SYNC,
 * SYNC_RSP, CONFIG and CONFIG_RSP from a peer, so the fuzzer spends its time
 * on sequence numbers, acknowledgements and retransmission), whether packets
 * are sent meanwhile, the integrity check and the chunk size. Everything
 * the machine writes must decode again, and nothing it delivers may be
 * longer than H5 allows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/hci/h5.h"

struct ctx {
	struct slip_rx *check;
	uint64_t frames;
	uint8_t sum;
};

static void check_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct ctx *c = arg;
	struct h5_hdr hdr;
	const uint8_t *payload;
	if (h5_packet_decode(frame, len, &hdr, &payload) != 0)
		__builtin_trap(); /* we wrote something that does not decode */
	c->frames++;
}

static void on_output(void *arg, const uint8_t *bytes, size_t len)
{
	struct ctx *c = arg;
	slip_rx_feed(c->check, bytes, len, check_frame, c);
}

static void on_packet(void *arg, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct ctx *c = arg;
	if (len > H5_PAYLOAD_MAX || type < 1 || type > 5)
		__builtin_trap();
	for (size_t i = 0; i < len; i++)
		c->sum ^= pkt[i];
}

static void feed_link(struct h5 *h, const uint8_t *msg, size_t len, uint64_t now)
{
	uint8_t wire[32];
	struct wr w = wr_init(wire, sizeof wire);
	struct h5_hdr hdr = { .type = H5_TYPE_LINK };
	h5_packet_encode(&w, &hdr, msg, len);
	h5_feed(h, wire, w.len, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	struct ctx c = { .check = calloc(1, sizeof *c.check) };
	struct h5 *h = malloc(sizeof *h);
	struct h5_config cfg = { .window = (uint8_t)(1 + (mode >> 5)), .crc = mode & 4 };
	struct h5_ops ops = { .output = on_output, .packet = on_packet };
	h5_init(h, &cfg, &ops, &c);
	uint64_t now = 1000;
	h5_start(h, now);
	if (mode & 1) {
		const uint8_t sync[] = { 0x01, 0x7e }, sync_rsp[] = { 0x02, 0x7d };
		const uint8_t config[] = { 0x03, 0xfc, 0x17 }, config_rsp[] = { 0x04, 0x7b, 0x17 };
		feed_link(h, sync, sizeof sync, now);
		feed_link(h, sync_rsp, sizeof sync_rsp, now);
		feed_link(h, config, sizeof config, now);
		feed_link(h, config_rsp, sizeof config_rsp, now);
		if (h->state != H5_ACTIVE)
			__builtin_trap();
	}
	size_t chunk = 1 + ((mode >> 3) & 3) * 37;
	const uint8_t acl[] = { 0x01, 0x00, 0x01, 0x00, 0xc0 };
	while (size > 0) {
		size_t n = size < chunk ? size : chunk;
		uint8_t *copy = malloc(n);
		memcpy(copy, data, n);
		h5_feed(h, copy, n, now);
		free(copy);
		if (mode & 2)
			h5_send(h, H5_TYPE_ACL, acl, sizeof acl, now);
		now += data[0] & 0x80 ? 300 : 7;
		h5_tick(h, now);
		if (h->nunacked > h->window || h->window > H5_WINDOW_MAX)
			__builtin_trap();
		data += n;
		size -= n;
	}
	free(h);
	free(c.check);
	return 0;
}
