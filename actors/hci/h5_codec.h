/* H5, the three-wire UART transport (Core Vol 4 Part D): the codec. Pure:
 * SLIP framing, the 4-byte packet header with its checksum, the optional
 * CRC-CCITT data integrity check. The link state machine is in h5.h.
 *
 * Header: byte 0 = seq (bits 0-2), ack (3-5), integrity check present (6),
 * reliable (7); byte 1 = packet type (bits 0-3), length bits 0-3 (4-7);
 * byte 2 = length bits 4-11; byte 3 = checksum making the four bytes sum to
 * 0xff.
 */
#ifndef HCI_H5_CODEC_H
#define HCI_H5_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive_bytes.h"

#define H5_HDR_LEN 4
#define H5_PAYLOAD_MAX 4095
#define H5_CRC_LEN 2
#define H5_PACKET_MAX (H5_HDR_LEN + H5_PAYLOAD_MAX + H5_CRC_LEN)
/* A packet SLIP-encoded: every byte escaped, plus both delimiters. */
#define H5_SLIP_MAX (2 * H5_PACKET_MAX + 2)

#define SLIP_DELIM 0xc0
#define SLIP_ESC 0xdb
#define SLIP_ESC_DELIM 0xdc
#define SLIP_ESC_ESC 0xdd

enum h5_type {
	H5_TYPE_ACK = 0,
	H5_TYPE_COMMAND = 1, /* the HCI types keep their H4 numbers */
	H5_TYPE_ACL = 2,
	H5_TYPE_SCO = 3,
	H5_TYPE_EVENT = 4,
	H5_TYPE_ISO = 5,
	H5_TYPE_VENDOR = 14,
	H5_TYPE_LINK = 15,
};

struct h5_hdr {
	uint8_t seq;    /* 0..7 */
	uint8_t ack;    /* 0..7 */
	bool crc;       /* a data integrity check follows the payload */
	bool reliable;
	uint8_t type;   /* enum h5_type */
	uint16_t len;   /* payload length, 0..4095 */
};

/* The data integrity check over header and payload: CRC-CCITT (x^16 + x^12
 * + x^5 + 1) from 0xffff, bits fed least significant first, the result bit
 * reversed; sent most significant byte first. */
uint16_t h5_crc(const uint8_t *p, size_t n);

void h5_hdr_encode(const struct h5_hdr *h, uint8_t out[H5_HDR_LEN]);

/* Decodes one unescaped packet (header, payload, optional CRC). On success
 * *payload points into p. Returns 0, or -EBADMSG (short, header checksum,
 * length mismatch) or -EILSEQ (CRC mismatch). */
int h5_packet_decode(const uint8_t *p, size_t n, struct h5_hdr *h, const uint8_t **payload);

/* Appends the packet, SLIP-framed, to w: delimiter, escaped header, payload
 * and CRC (when h->crc), delimiter. h->len is set from len. Returns 0,
 * -EMSGSIZE (payload too long) or -ENOBUFS (w too small; nothing written). */
int h5_packet_encode(struct wr *w, struct h5_hdr *h, const uint8_t *payload, size_t len);

/* SLIP decoder. Frames longer than H5_PACKET_MAX or with a bad escape are
 * dropped (counted) up to the next delimiter. */
typedef void (*slip_frame_fn)(void *arg, const uint8_t *frame, size_t len);

struct slip_rx {
	bool in_frame;   /* a delimiter was seen */
	bool esc;        /* the previous byte was SLIP_ESC */
	bool bad;        /* this frame is being dropped */
	uint64_t dropped;
	size_t len;
	uint8_t buf[H5_PACKET_MAX];
};

void slip_rx_reset(struct slip_rx *s);
/* Consumes all bytes, calling fn for each complete non-empty frame (frame
 * points into s, valid during the call; fn must not feed s). */
void slip_rx_feed(struct slip_rx *s, const uint8_t *p, size_t n, slip_frame_fn fn, void *arg);

#endif
