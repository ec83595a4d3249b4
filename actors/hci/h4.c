/* H4 framer. Every read of held bytes goes through a struct rd bounded by
 * what the framer holds. */
#include <errno.h>
#include <string.h>

#include "h4.h"

void h4_init(struct h4 *h, uint32_t types, h4_packet_fn fn, void *arg)
{
	memset(h, 0, offsetof(struct h4, buf));
	h->types = types;
	h->acl_max = H4_ACL_PAYLOAD_MAX;
	h->iso_max = H4_ISO_PAYLOAD_MAX;
	h->fn = fn;
	h->arg = arg;
}

void h4_reset(struct h4 *h)
{
	h->len = 0;
	h->junk_run = 0;
}

size_t h4_header_len(uint8_t type)
{
	switch (type) {
	case H4_COMMAND: return 3; /* opcode (2), length (1) */
	case H4_ACL: return 4;     /* handle and flags (2), length (2) */
	case H4_SCO: return 3;     /* handle and flags (2), length (1) */
	case H4_EVENT: return 2;   /* code (1), length (1) */
	case H4_ISO: return 4;     /* handle and flags (2), length (14 bits of 2) */
	default: return 0;
	}
}

size_t h4_payload_len(uint8_t type, struct rd *r)
{
	switch (type) {
	case H4_COMMAND:
	case H4_SCO:
		rd_skip(r, 2);
		return rd_u8(r);
	case H4_ACL:
		rd_skip(r, 2);
		return rd_le16(r);
	case H4_EVENT:
		rd_skip(r, 1);
		return rd_u8(r);
	case H4_ISO:
		rd_skip(r, 2);
		return rd_le16(r) & 0x3fff; /* the top two bits are reserved */
	default:
		return 0;
	}
}

static size_t payload_limit(const struct h4 *h, uint8_t type)
{
	switch (type) {
	case H4_ACL: return h->acl_max;
	case H4_ISO: return h->iso_max;
	default: return H4_SHORT_PAYLOAD_MAX;
	}
}

static bool type_ok(const struct h4 *h, uint8_t type)
{
	return type < 32 && h4_header_len(type) && (h->types & H4_BIT(type));
}

/* Counts a skipped byte; true when the run reaches the limit. */
static bool junk(struct h4 *h)
{
	h->junk_run++;
	return h->junk_limit && h->junk_run >= h->junk_limit;
}

/* Delivers every complete packet held, skipping bad bytes, and keeps the
 * unfinished tail at the front of buf. Returns false when the junk limit
 * was reached (and stops there). */
static bool drain(struct h4 *h)
{
	bool ok = true;
	size_t off = 0;
	size_t lead = h->fixed_type ? 0 : 1; /* the type byte in the stream */
	while (off < h->len) {
		struct rd r = rd_init(h->buf + off, h->len - off);
		uint8_t type = h->fixed_type ? h->fixed_type : rd_u8(&r);
		if (!type_ok(h, type)) {
			h->st.bad_type++;
			off++;
			if (junk(h)) {
				ok = false;
				break;
			}
			continue;
		}
		size_t hl = h4_header_len(type);
		if (r.left < hl)
			break;
		struct rd hdr = rd_init(r.p, hl);
		size_t plen = h4_payload_len(type, &hdr);
		if (plen > payload_limit(h, type)) {
			h->st.oversized++;
			off++;
			if (junk(h)) {
				ok = false;
				break;
			}
			continue;
		}
		const uint8_t *pkt = rd_ptr(&r, hl + plen);
		if (!pkt)
			break;
		h->st.packets++;
		h->st.bytes += hl + plen;
		h->junk_run = 0;
		h->fn(h->arg, type, pkt, hl + plen);
		off += lead + hl + plen;
	}
	if (off) {
		memmove(h->buf, h->buf + off, h->len - off);
		h->len -= off;
	}
	return ok;
}

int h4_feed(struct h4 *h, const uint8_t *data, size_t len)
{
	while (len > 0) {
		/* The buffer holds one largest frame, and a full buffer always holds
		 * a complete packet or a bad header, so drain() makes room. */
		size_t n = sizeof h->buf - h->len;
		if (n > len)
			n = len;
		memcpy(h->buf + h->len, data, n);
		h->len += n;
		data += n;
		len -= n;
		if (!drain(h))
			return -EBADMSG;
	}
	return 0;
}

int h4_check(uint8_t type, const uint8_t *pkt, size_t len, size_t acl_max)
{
	size_t hl = h4_header_len(type);
	if (!hl)
		return -EBADMSG;
	struct rd r = rd_init(pkt, len);
	struct rd hdr = rd_sub(&r, hl);
	if (!rd_ok(&hdr))
		return -EBADMSG;
	size_t plen = h4_payload_len(type, &hdr);
	size_t limit = type == H4_ACL ? acl_max
		       : type == H4_ISO ? H4_ISO_PAYLOAD_MAX
					: H4_SHORT_PAYLOAD_MAX;
	if (plen > limit)
		return -EBADMSG;
	rd_skip(&r, plen);
	return rd_end(&r) ? 0 : -EBADMSG;
}

int h4_encode(struct wr *w, uint8_t type, const uint8_t *pkt, size_t len)
{
	if (wr_room(w) < 1 + len) {
		w->overflow = true;
		return -ENOBUFS;
	}
	wr_u8(w, type);
	wr_bytes(w, pkt, len);
	return 0;
}

const char *h4_type_name(uint8_t type)
{
	switch (type) {
	case H4_COMMAND: return "command";
	case H4_ACL: return "acl";
	case H4_SCO: return "sco";
	case H4_EVENT: return "event";
	case H4_ISO: return "iso";
	default: return "unknown";
	}
}
