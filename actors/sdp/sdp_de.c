/* SDP data elements: strict decoding, minimal encoding (see sdp_de.h).
 *
 * Sizes allowed per type (Core Vol 3 Part B 3.2, 3.3):
 *   nil            index 0 (no data)
 *   uint, int      index 0..4 (1, 2, 4, 8, 16 bytes)
 *   UUID           index 1, 2, 4 (2, 4, 16 bytes)
 *   text, URL      index 5, 6, 7 (length in 1, 2, 4 bytes)
 *   boolean        index 0 (1 byte)
 *   sequence, alt  index 5, 6, 7
 * Types 9..31 are reserved and refused. */
#include "sdp_de.h"

#include <errno.h>
#include <string.h>

static const uint8_t base_uuid[16] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
				       0x80, 0x00, 0x00, 0x80, 0x5f, 0x9b, 0x34, 0xfb };

/* Bit i set: size index i allowed for the type. */
static const uint8_t allowed_sizes[] = {
	[SDP_DE_NIL] = 0x01,  [SDP_DE_UINT] = 0x1f, [SDP_DE_INT] = 0x1f,
	[SDP_DE_UUID] = 0x16, [SDP_DE_TEXT] = 0xe0, [SDP_DE_BOOL] = 0x01,
	[SDP_DE_SEQ] = 0xe0,  [SDP_DE_ALT] = 0xe0,  [SDP_DE_URL] = 0xe0,
};

static int bad(struct rd *r)
{
	r->bad = true;
	return -EBADMSG;
}

int sdp_de_read(struct rd *r, struct sdp_de *de)
{
	memset(de, 0, sizeof *de);
	uint8_t h = rd_u8(r);
	if (!rd_ok(r))
		return -EBADMSG;
	uint8_t type = h >> 3, idx = h & 7;
	if (type >= sizeof allowed_sizes || !(allowed_sizes[type] & 1u << idx))
		return bad(r);
	uint32_t len;
	switch (idx) {
	case 0:
		len = type == SDP_DE_NIL ? 0 : 1;
		break;
	case 1:
	case 2:
	case 3:
	case 4:
		len = 1u << idx;
		break;
	case 5:
		len = rd_u8(r);
		break;
	case 6:
		len = sdp_rd_be16(r);
		break;
	default:
		len = sdp_rd_be32(r);
		break;
	}
	const uint8_t *data = rd_ptr(r, len);
	if (!rd_ok(r))
		return -EBADMSG;
	de->type = type;
	de->size_index = idx;
	de->len = len;
	de->data = data;
	return 0;
}

int sdp_de_read_deep(struct rd *r, struct sdp_de *de, unsigned max_depth)
{
	if (sdp_de_read(r, de) < 0)
		return -EBADMSG;
	if (de->type != SDP_DE_SEQ && de->type != SDP_DE_ALT)
		return 0;
	if (max_depth == 0)
		return bad(r);
	struct rd in = rd_init(de->data, de->len);
	while (in.left) {
		struct sdp_de inner;
		if (sdp_de_read_deep(&in, &inner, max_depth - 1) < 0)
			return bad(r);
	}
	return 0;
}

bool sdp_de_valid(const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len);
	struct sdp_de de;
	return sdp_de_read_deep(&r, &de, SDP_DE_MAX_DEPTH) == 0 && rd_end(&r);
}

uint64_t sdp_de_uint(const struct sdp_de *de)
{
	if ((de->type != SDP_DE_UINT && de->type != SDP_DE_INT) || de->len > 8 || !de->len)
		return 0;
	uint64_t v = 0;
	for (uint32_t i = 0; i < de->len; i++)
		v = v << 8 | de->data[i];
	if (de->type == SDP_DE_INT && de->len < 8 && (de->data[0] & 0x80))
		v |= ~0ull << (8 * de->len);
	return v;
}

struct sdp_uuid sdp_uuid32(uint32_t v)
{
	struct sdp_uuid u = { .size = 4 };
	memcpy(u.b, base_uuid, 16);
	u.b[0] = (uint8_t)(v >> 24);
	u.b[1] = (uint8_t)(v >> 16);
	u.b[2] = (uint8_t)(v >> 8);
	u.b[3] = (uint8_t)v;
	return u;
}

struct sdp_uuid sdp_uuid16(uint16_t v)
{
	struct sdp_uuid u = sdp_uuid32(v);
	u.size = 2;
	return u;
}

bool sdp_uuid_short(const struct sdp_uuid *u, uint32_t *v)
{
	if (memcmp(u->b + 4, base_uuid + 4, 12))
		return false;
	*v = (uint32_t)u->b[0] << 24 | (uint32_t)u->b[1] << 16 | (uint32_t)u->b[2] << 8 | u->b[3];
	return true;
}

bool sdp_uuid_eq(const struct sdp_uuid *a, const struct sdp_uuid *b)
{
	return !memcmp(a->b, b->b, 16);
}

int sdp_de_uuid(const struct sdp_de *de, struct sdp_uuid *u)
{
	if (de->type != SDP_DE_UUID)
		return -EINVAL;
	switch (de->len) {
	case 2:
		*u = sdp_uuid16((uint16_t)(de->data[0] << 8 | de->data[1]));
		return 0;
	case 4:
		*u = sdp_uuid32((uint32_t)de->data[0] << 24 | (uint32_t)de->data[1] << 16 |
				(uint32_t)de->data[2] << 8 | de->data[3]);
		return 0;
	case 16:
		u->size = 16;
		memcpy(u->b, de->data, 16);
		return 0;
	default:
		return -EINVAL;
	}
}

static unsigned each_uuid(struct rd *r, unsigned depth,
			  void (*fn)(const struct sdp_uuid *u, void *arg), void *arg)
{
	struct sdp_de de;
	unsigned n = 0;
	if (sdp_de_read(r, &de) < 0)
		return 0;
	if (de.type == SDP_DE_UUID) {
		struct sdp_uuid u;
		if (sdp_de_uuid(&de, &u) == 0) {
			fn(&u, arg);
			n++;
		}
	} else if ((de.type == SDP_DE_SEQ || de.type == SDP_DE_ALT) && depth < SDP_DE_MAX_DEPTH) {
		struct rd in = rd_init(de.data, de.len);
		while (in.left && rd_ok(&in))
			n += each_uuid(&in, depth + 1, fn, arg);
	}
	return n;
}

unsigned sdp_de_each_uuid(const uint8_t *buf, size_t len,
			  void (*fn)(const struct sdp_uuid *u, void *arg), void *arg)
{
	struct rd r = rd_init(buf, len);
	return each_uuid(&r, 0, fn, arg);
}

/* ---- encoding ------------------------------------------------------------ */

int sdp_de_put_header(struct wr *w, enum sdp_de_type type, size_t len)
{
	uint8_t idx;
	if ((unsigned)type >= sizeof allowed_sizes)
		goto invalid;
	if (allowed_sizes[type] & 0x1f) { /* fixed sizes */
		if (type == SDP_DE_NIL || type == SDP_DE_BOOL) {
			if (len != (type == SDP_DE_BOOL))
				goto invalid;
			idx = 0;
		} else if (len == 1)
			idx = 0;
		else if (len == 2)
			idx = 1;
		else if (len == 4)
			idx = 2;
		else if (len == 8)
			idx = 3;
		else if (len == 16)
			idx = 4;
		else
			goto invalid;
		if (!(allowed_sizes[type] & 1u << idx))
			goto invalid;
		wr_u8(w, (uint8_t)(type << 3 | idx));
		return 0;
	}
	if (len <= 0xff) {
		wr_u8(w, (uint8_t)(type << 3 | 5));
		wr_u8(w, (uint8_t)len);
	} else if (len <= 0xffff) {
		wr_u8(w, (uint8_t)(type << 3 | 6));
		sdp_wr_be16(w, (uint16_t)len);
	} else if (len <= 0xffffffffu) {
		wr_u8(w, (uint8_t)(type << 3 | 7));
		sdp_wr_be32(w, (uint32_t)len);
	} else {
		goto invalid;
	}
	return 0;
invalid:
	w->overflow = true;
	return -EINVAL;
}

void sdp_de_put_nil(struct wr *w)
{
	wr_u8(w, 0x00);
}

void sdp_de_put_bool(struct wr *w, bool v)
{
	wr_u8(w, SDP_DE_BOOL << 3);
	wr_u8(w, v ? 1 : 0);
}

void sdp_de_put_int(struct wr *w, enum sdp_de_type type, unsigned bytes, uint64_t v)
{
	if ((type != SDP_DE_UINT && type != SDP_DE_INT) || bytes > 8 ||
	    sdp_de_put_header(w, type, bytes) < 0) {
		w->overflow = true;
		return;
	}
	uint8_t *b = wr_reserve(w, bytes);
	for (unsigned i = 0; b && i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

void sdp_de_put_int128(struct wr *w, enum sdp_de_type type, const uint8_t be[16])
{
	if ((type != SDP_DE_UINT && type != SDP_DE_INT) || sdp_de_put_header(w, type, 16) < 0) {
		w->overflow = true;
		return;
	}
	wr_bytes(w, be, 16);
}

void sdp_de_put_uuid16(struct wr *w, uint16_t v)
{
	wr_u8(w, SDP_DE_UUID << 3 | 1);
	sdp_wr_be16(w, v);
}

void sdp_de_put_uuid32(struct wr *w, uint32_t v)
{
	wr_u8(w, SDP_DE_UUID << 3 | 2);
	sdp_wr_be32(w, v);
}

void sdp_de_put_uuid128(struct wr *w, const uint8_t be[16])
{
	wr_u8(w, SDP_DE_UUID << 3 | 4);
	wr_bytes(w, be, 16);
}

void sdp_de_put_uuid(struct wr *w, const struct sdp_uuid *u)
{
	uint32_t v;
	bool sh = sdp_uuid_short(u, &v);
	if (u->size == 2 && sh && v <= 0xffff)
		sdp_de_put_uuid16(w, (uint16_t)v);
	else if (u->size == 4 && sh)
		sdp_de_put_uuid32(w, v);
	else
		sdp_de_put_uuid128(w, u->b);
}

void sdp_de_put_string(struct wr *w, enum sdp_de_type type, const void *s, size_t len)
{
	if ((type != SDP_DE_TEXT && type != SDP_DE_URL) || sdp_de_put_header(w, type, len) < 0) {
		w->overflow = true;
		return;
	}
	wr_bytes(w, s, len);
}

size_t sdp_de_seq_open(struct wr *w)
{
	size_t at = w->len;
	(void)wr_reserve(w, SDP_DE_SEQ_HDR_MAX);
	return at;
}

void sdp_de_seq_close(struct wr *w, size_t at, enum sdp_de_type type)
{
	if (!wr_ok(w) || at + SDP_DE_SEQ_HDR_MAX > w->len ||
	    (type != SDP_DE_SEQ && type != SDP_DE_ALT)) {
		w->overflow = true;
		return;
	}
	size_t body = w->len - at - SDP_DE_SEQ_HDR_MAX;
	uint8_t hdr[SDP_DE_SEQ_HDR_MAX];
	struct wr h = wr_init(hdr, sizeof hdr);
	if (sdp_de_put_header(&h, type, body) < 0) {
		w->overflow = true;
		return;
	}
	memmove(w->p + at + h.len, w->p + at + SDP_DE_SEQ_HDR_MAX, body);
	memcpy(w->p + at, hdr, h.len);
	w->len = at + h.len + body;
}
