/* Bounds-checked little-endian byte reader and writer.
 *
 * Every codec reads wire bytes through a struct rd: a read past the end sets
 * `bad`, returns zero and consumes nothing; once bad, every later read also
 * returns zero (errors are sticky), so a decoder can read a whole PDU and test
 * once at the end with rd_end() (nothing bad, nothing left) or rd_ok()
 * (nothing bad, trailing bytes allowed).
 *
 * A struct wr writes into a caller's buffer; a write that does not fit sets
 * `overflow` and writes nothing. wr_room() tells how much still fits, for
 * lists that stop at an MTU.
 */
#ifndef HIVE_BYTES_H
#define HIVE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static inline struct rd rd_init(const void *p, size_t len)
{
	struct rd r = { .p = p, .left = p ? len : 0, .bad = false };
	return r;
}

/* Returns a pointer to the next n bytes and consumes them, or NULL (and
 * marks the reader bad) when fewer than n are left. */
static inline const uint8_t *rd_ptr(struct rd *r, size_t n)
{
	if (r->bad || r->left < n) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *at = r->p;
	r->p += n;
	r->left -= n;
	return at;
}

static inline uint8_t rd_u8(struct rd *r)
{
	const uint8_t *b = rd_ptr(r, 1);
	return b ? b[0] : 0;
}

static inline uint16_t rd_le16(struct rd *r)
{
	const uint8_t *b = rd_ptr(r, 2);
	return b ? (uint16_t)(b[0] | b[1] << 8) : 0;
}

static inline uint32_t rd_le24(struct rd *r)
{
	const uint8_t *b = rd_ptr(r, 3);
	return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 : 0;
}

static inline uint32_t rd_le32(struct rd *r)
{
	const uint8_t *b = rd_ptr(r, 4);
	return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			   (uint32_t)b[3] << 24
		 : 0;
}

static inline uint64_t rd_le64(struct rd *r)
{
	uint64_t lo = rd_le32(r);
	uint64_t hi = rd_le32(r);
	return r->bad ? 0 : lo | hi << 32;
}

/* Copies n bytes into out; on underflow out is zeroed and the reader bad. */
static inline bool rd_copy(struct rd *r, void *out, size_t n)
{
	const uint8_t *b = rd_ptr(r, n);
	if (!b) {
		memset(out, 0, n);
		return false;
	}
	memcpy(out, b, n);
	return true;
}

static inline void rd_skip(struct rd *r, size_t n)
{
	(void)rd_ptr(r, n);
}

/* The rest of the bytes, consumed. */
static inline const uint8_t *rd_rest(struct rd *r, size_t *n)
{
	*n = r->bad ? 0 : r->left;
	return rd_ptr(r, *n);
}

/* A sub-reader over the next n bytes (bad when fewer are left). */
static inline struct rd rd_sub(struct rd *r, size_t n)
{
	const uint8_t *b = rd_ptr(r, n);
	struct rd s = rd_init(b, b ? n : 0);
	s.bad = !b;
	return s;
}

static inline bool rd_ok(const struct rd *r)
{
	return !r->bad;
}

/* True when every read fitted and every byte was read. */
static inline bool rd_end(const struct rd *r)
{
	return !r->bad && r->left == 0;
}

struct wr {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool overflow;
};

static inline struct wr wr_init(void *p, size_t cap)
{
	struct wr w = { .p = p, .cap = p ? cap : 0, .len = 0, .overflow = false };
	return w;
}

static inline size_t wr_room(const struct wr *w)
{
	return w->overflow ? 0 : w->cap - w->len;
}

/* Reserves n bytes and returns where to write them, or NULL on overflow. */
static inline uint8_t *wr_reserve(struct wr *w, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return NULL;
	}
	uint8_t *at = w->p + w->len;
	w->len += n;
	return at;
}

static inline void wr_u8(struct wr *w, uint8_t v)
{
	uint8_t *b = wr_reserve(w, 1);
	if (b)
		b[0] = v;
}

static inline void wr_le16(struct wr *w, uint16_t v)
{
	uint8_t *b = wr_reserve(w, 2);
	if (b) {
		b[0] = (uint8_t)v;
		b[1] = (uint8_t)(v >> 8);
	}
}

static inline void wr_le24(struct wr *w, uint32_t v)
{
	uint8_t *b = wr_reserve(w, 3);
	if (b) {
		b[0] = (uint8_t)v;
		b[1] = (uint8_t)(v >> 8);
		b[2] = (uint8_t)(v >> 16);
	}
}

static inline void wr_le32(struct wr *w, uint32_t v)
{
	uint8_t *b = wr_reserve(w, 4);
	if (b) {
		b[0] = (uint8_t)v;
		b[1] = (uint8_t)(v >> 8);
		b[2] = (uint8_t)(v >> 16);
		b[3] = (uint8_t)(v >> 24);
	}
}

static inline void wr_le64(struct wr *w, uint64_t v)
{
	uint8_t *b = wr_reserve(w, 8);
	if (b)
		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)(v >> (8 * i));
}

static inline void wr_bytes(struct wr *w, const void *src, size_t n)
{
	uint8_t *b = wr_reserve(w, n);
	if (b && n)
		memcpy(b, src, n);
}

static inline bool wr_ok(const struct wr *w)
{
	return !w->overflow;
}

#endif
