/* H5 codec: SLIP, header, data integrity check. */
#include <errno.h>
#include <string.h>

#include "h5_codec.h"

/* CRC-CCITT, reflected, four bits at a time. */
static const uint16_t crc_nibble[16] = {
	0x0000, 0x1081, 0x2102, 0x3183, 0x4204, 0x5285, 0x6306, 0x7387,
	0x8408, 0x9489, 0xa50a, 0xb58b, 0xc60c, 0xd68d, 0xe70e, 0xf78f,
};

static uint16_t bit_reverse16(uint16_t v)
{
	uint16_t r = 0;
	for (int i = 0; i < 16; i++) {
		r = (uint16_t)(r << 1 | (v & 1));
		v >>= 1;
	}
	return r;
}

static uint16_t crc_run(uint16_t reg, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		reg = (uint16_t)((reg >> 4) ^ crc_nibble[(reg ^ p[i]) & 0x0f]);
		reg = (uint16_t)((reg >> 4) ^ crc_nibble[(reg ^ (p[i] >> 4)) & 0x0f]);
	}
	return reg;
}

uint16_t h5_crc(const uint8_t *p, size_t n)
{
	return bit_reverse16(crc_run(0xffff, p, n));
}

void h5_hdr_encode(const struct h5_hdr *h, uint8_t out[H5_HDR_LEN])
{
	out[0] = (uint8_t)((h->seq & 7) | (h->ack & 7) << 3 | (h->crc ? 0x40 : 0) |
			   (h->reliable ? 0x80 : 0));
	out[1] = (uint8_t)((h->type & 0x0f) | (h->len & 0x0f) << 4);
	out[2] = (uint8_t)(h->len >> 4);
	out[3] = (uint8_t)~(out[0] + out[1] + out[2]);
}

int h5_packet_decode(const uint8_t *p, size_t n, struct h5_hdr *h, const uint8_t **payload)
{
	struct rd r = rd_init(p, n);
	const uint8_t *b = rd_ptr(&r, H5_HDR_LEN);
	if (!b || (uint8_t)(b[0] + b[1] + b[2] + b[3]) != 0xff)
		return -EBADMSG;
	h->seq = b[0] & 7;
	h->ack = (b[0] >> 3) & 7;
	h->crc = (b[0] & 0x40) != 0;
	h->reliable = (b[0] & 0x80) != 0;
	h->type = b[1] & 0x0f;
	h->len = (uint16_t)(b[1] >> 4 | b[2] << 4);
	*payload = rd_ptr(&r, h->len);
	if (h->crc) {
		uint16_t got = (uint16_t)(rd_u8(&r) << 8);
		got |= rd_u8(&r);
		if (!rd_end(&r))
			return -EBADMSG;
		if (got != h5_crc(p, H5_HDR_LEN + h->len))
			return -EILSEQ;
	}
	return rd_end(&r) ? 0 : -EBADMSG;
}

static size_t escaped_len(const uint8_t *p, size_t n)
{
	size_t len = n;
	for (size_t i = 0; i < n; i++)
		len += p[i] == SLIP_DELIM || p[i] == SLIP_ESC;
	return len;
}

static void put_escaped(struct wr *w, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == SLIP_DELIM) {
			wr_u8(w, SLIP_ESC);
			wr_u8(w, SLIP_ESC_DELIM);
		} else if (p[i] == SLIP_ESC) {
			wr_u8(w, SLIP_ESC);
			wr_u8(w, SLIP_ESC_ESC);
		} else {
			wr_u8(w, p[i]);
		}
	}
}

int h5_packet_encode(struct wr *w, struct h5_hdr *h, const uint8_t *payload, size_t len)
{
	if (len > H5_PAYLOAD_MAX)
		return -EMSGSIZE;
	h->len = (uint16_t)len;
	uint8_t hdr[H5_HDR_LEN];
	h5_hdr_encode(h, hdr);
	uint8_t crc[H5_CRC_LEN] = { 0 };
	if (h->crc) {
		/* The CRC covers the header and payload as one run of bytes. */
		uint16_t v = bit_reverse16(crc_run(crc_run(0xffff, hdr, sizeof hdr), payload, len));
		crc[0] = (uint8_t)(v >> 8);
		crc[1] = (uint8_t)v;
	}
	size_t need = 2 + escaped_len(hdr, sizeof hdr) + escaped_len(payload, len) +
		      (h->crc ? escaped_len(crc, sizeof crc) : 0);
	if (wr_room(w) < need)
		return -ENOBUFS;
	wr_u8(w, SLIP_DELIM);
	put_escaped(w, hdr, sizeof hdr);
	put_escaped(w, payload, len);
	if (h->crc)
		put_escaped(w, crc, sizeof crc);
	wr_u8(w, SLIP_DELIM);
	return 0;
}

void slip_rx_reset(struct slip_rx *s)
{
	s->in_frame = false;
	s->esc = false;
	s->bad = false;
	s->len = 0;
}

static void slip_put(struct slip_rx *s, uint8_t c)
{
	if (s->bad)
		return;
	if (s->len >= sizeof s->buf) {
		s->bad = true;
		return;
	}
	s->buf[s->len++] = c;
}

void slip_rx_feed(struct slip_rx *s, const uint8_t *p, size_t n, slip_frame_fn fn, void *arg)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == SLIP_DELIM) {
			/* Ends a frame and may start the next one. */
			if (s->in_frame && (s->len || s->bad || s->esc)) {
				if (s->bad || s->esc)
					s->dropped++;
				else
					fn(arg, s->buf, s->len);
			}
			s->in_frame = true;
			s->esc = false;
			s->bad = false;
			s->len = 0;
			continue;
		}
		if (!s->in_frame)
			continue; /* noise before the first delimiter */
		if (s->esc) {
			s->esc = false;
			if (c == SLIP_ESC_DELIM)
				slip_put(s, SLIP_DELIM);
			else if (c == SLIP_ESC_ESC)
				slip_put(s, SLIP_ESC);
			else
				s->bad = true; /* no out-of-frame flow control here */
		} else if (c == SLIP_ESC) {
			s->esc = true;
		} else {
			slip_put(s, c);
		}
	}
}
