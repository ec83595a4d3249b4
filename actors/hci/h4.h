/* H4 framing: an HCI packet type byte, then the packet (header and
 * payload). Pure: bytes in, complete packets out through a callback; no I/O,
 * no allocation.
 *
 * The framer holds at most one packet's bytes. It handles packets split
 * across feeds and many packets in one feed, checks the type byte and the
 * length field against limits, and on garbage skips one byte and looks for
 * the next plausible packet. It never reads beyond the bytes it holds.
 *
 * It also serves endpoints that carry one packet type without type bytes
 * (USB: events on the interrupt endpoint, ACL on the bulk one): set
 * fixed_type.
 */
#ifndef HCI_H4_H
#define HCI_H4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive_bytes.h"

enum h4_type {
	H4_COMMAND = 0x01,
	H4_ACL = 0x02,
	H4_SCO = 0x03,
	H4_EVENT = 0x04,
	H4_ISO = 0x05,
};

#define H4_BIT(t) (1u << (t))
/* What a controller sends, and what a host sends. */
#define H4_FROM_CONTROLLER (H4_BIT(H4_ACL) | H4_BIT(H4_SCO) | H4_BIT(H4_EVENT) | H4_BIT(H4_ISO))
#define H4_FROM_HOST (H4_BIT(H4_COMMAND) | H4_BIT(H4_ACL) | H4_BIT(H4_SCO) | H4_BIT(H4_ISO))

/* Largest header (ACL, ISO) and the largest legal payloads. */
#define H4_HEADER_MAX 4
#define H4_ACL_PAYLOAD_MAX 65535
#define H4_ISO_PAYLOAD_MAX 16383
#define H4_SHORT_PAYLOAD_MAX 255
/* Type byte + the largest packet. */
#define H4_FRAME_MAX (1 + H4_HEADER_MAX + H4_ACL_PAYLOAD_MAX)

/* Called once per complete packet; pkt excludes the type byte and points
 * into the framer (valid until the callback returns). The callback must not
 * feed or reset the same framer. */
typedef void (*h4_packet_fn)(void *arg, uint8_t type, const uint8_t *pkt, size_t len);

struct h4_stats {
	uint64_t packets;    /* delivered */
	uint64_t bytes;      /* delivered, without type bytes */
	uint64_t bad_type;   /* bytes skipped because the type was not acceptable */
	uint64_t oversized;  /* headers whose length exceeded the limit */
};

struct h4 {
	uint32_t types;      /* acceptable types, H4_BIT() mask */
	uint8_t fixed_type;  /* 0: type bytes in the stream; else all packets are this type */
	size_t acl_max;      /* ACL payload limit (<= H4_ACL_PAYLOAD_MAX) */
	size_t iso_max;      /* ISO payload limit (<= H4_ISO_PAYLOAD_MAX) */
	size_t junk_limit;   /* skipped bytes in a row at which h4_feed says -EBADMSG; 0: never */
	size_t junk_run;     /* skipped bytes since the last good packet */
	h4_packet_fn fn;
	void *arg;
	struct h4_stats st;
	size_t len;          /* bytes held in buf */
	uint8_t buf[H4_FRAME_MAX];
};

/* Initialises a stream framer accepting `types` with the largest limits.
 * Adjust acl_max, iso_max, junk_limit, fixed_type afterwards. */
void h4_init(struct h4 *h, uint32_t types, h4_packet_fn fn, void *arg);

/* Forgets held bytes (after a reconnection). Statistics stay. */
void h4_reset(struct h4 *h);

/* Consumes data, calling fn for each complete packet. Returns 0, or
 * -EBADMSG when the junk_limit-th byte in a row had to be skipped: the
 * stream cannot be trusted, so the framer stops there and drops the rest of
 * data (h4_reset() before feeding it again). */
int h4_feed(struct h4 *h, const uint8_t *data, size_t len);

/* Header length of a packet type (3 command, 4 ACL, 3 SCO, 2 event, 4 ISO),
 * 0 for an unknown type. */
size_t h4_header_len(uint8_t type);

/* Reads the header of a packet of `type` from r (which holds at least
 * h4_header_len(type) bytes) and returns the payload length it announces. */
size_t h4_payload_len(uint8_t type, struct rd *r);

/* Checks that pkt (no type byte) is exactly one well-formed packet of type:
 * known, header present, length field equal to the bytes that follow and
 * within the limits. Returns 0 or -EBADMSG. */
int h4_check(uint8_t type, const uint8_t *pkt, size_t len, size_t acl_max);

/* Appends type byte and packet to w. Returns 0 or -ENOBUFS. */
int h4_encode(struct wr *w, uint8_t type, const uint8_t *pkt, size_t len);

/* "command", "acl", "sco", "event", "iso", or "unknown". */
const char *h4_type_name(uint8_t type);

#endif
