/* SDP data elements (Core Vol 3 Part B 3): decoding and encoding.
 *
 * A data element is a header byte (type << 3 | size index), an optional
 * length (1, 2 or 4 bytes, big-endian) and the data. Everything here is
 * pure: no allocation, no globals. Decoding goes through the bounds-checked
 * reader of hive_bytes.h and never trusts a length it has not checked
 * against the bytes it holds; sequences and alternatives are walked with a
 * sub-reader over their contents, nested at most SDP_DE_MAX_DEPTH deep.
 *
 * Encoding writes through a struct wr; size descriptors are always the
 * smallest that fits. Sequences are written by opening them, writing the
 * contents and closing them (the header is then shrunk in place):
 *
 *     size_t s = sdp_de_seq_open(&w);
 *     sdp_de_put_uuid16(&w, 0x1101);
 *     sdp_de_seq_close(&w, s, SDP_DE_SEQ);
 */
#ifndef SDP_DE_H
#define SDP_DE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive_bytes.h"

/* Type descriptors (the high 5 bits of the header byte). */
enum sdp_de_type {
	SDP_DE_NIL = 0,
	SDP_DE_UINT = 1,
	SDP_DE_INT = 2,
	SDP_DE_UUID = 3,
	SDP_DE_TEXT = 4,
	SDP_DE_BOOL = 5,
	SDP_DE_SEQ = 6,
	SDP_DE_ALT = 7,
	SDP_DE_URL = 8,
};

/* How deep sequences may nest in anything we decode (a top-level sequence
 * is depth 1). Deeper input is refused. */
#define SDP_DE_MAX_DEPTH 8
/* Room an open sequence reserves for its header (type + 4-byte length). */
#define SDP_DE_SEQ_HDR_MAX 5

/* One decoded element: its type, where its data is and how long it is.
 * `data` points into the decoded buffer. For sequences and alternatives it
 * is the contents (walk them with rd_init(data, len)). */
struct sdp_de {
	uint8_t type;       /* enum sdp_de_type */
	uint8_t size_index; /* 0..7 as on the wire */
	uint32_t len;       /* data bytes */
	const uint8_t *data;
};

/* A UUID in its 128-bit form (big-endian, as SDP writes it); `size` is the
 * size it had or will have on the wire: 2, 4 or 16. Two UUIDs are equal when
 * their 128-bit forms are. */
struct sdp_uuid {
	uint8_t size;
	uint8_t b[16];
};

/* ---- big-endian reads through the bounds-checked reader ------------------ */

static inline uint16_t sdp_rd_be16(struct rd *r)
{
	const uint8_t *b = rd_ptr(r, 2);
	return b ? (uint16_t)(b[0] << 8 | b[1]) : 0;
}

static inline uint32_t sdp_rd_be32(struct rd *r)
{
	const uint8_t *b = rd_ptr(r, 4);
	return b ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3] : 0;
}

static inline void sdp_wr_be16(struct wr *w, uint16_t v)
{
	uint8_t *b = wr_reserve(w, 2);
	if (b) {
		b[0] = (uint8_t)(v >> 8);
		b[1] = (uint8_t)v;
	}
}

static inline void sdp_wr_be32(struct wr *w, uint32_t v)
{
	uint8_t *b = wr_reserve(w, 4);
	if (b) {
		b[0] = (uint8_t)(v >> 24);
		b[1] = (uint8_t)(v >> 16);
		b[2] = (uint8_t)(v >> 8);
		b[3] = (uint8_t)v;
	}
}

/* ---- decoding ------------------------------------------------------------ */

/* Reads one element's header and takes its data (not looking inside
 * sequences). Refuses reserved types, size indexes a type does not allow
 * (the table at the top of sdp_de.c) and data longer than what is left.
 * Returns 0, or -EBADMSG with the reader marked bad. */
int sdp_de_read(struct rd *r, struct sdp_de *de);

/* Like sdp_de_read, and checks everything inside sequences and alternatives
 * too, at most max_depth levels of nesting (1: a sequence may hold no
 * sequence). Returns 0 or -EBADMSG. */
int sdp_de_read_deep(struct rd *r, struct sdp_de *de, unsigned max_depth);

/* True when buf holds exactly one well-formed element nested at most
 * SDP_DE_MAX_DEPTH deep. */
bool sdp_de_valid(const uint8_t *buf, size_t len);

/* The value of an unsigned or signed integer of at most 8 bytes (signed
 * ones sign-extended into the uint64_t). 16-byte integers give 0: read
 * their data. */
uint64_t sdp_de_uint(const struct sdp_de *de);

/* The UUID of a UUID element (16 and 32-bit ones widened with the Bluetooth
 * Base UUID). Returns 0, or -EINVAL when de is not a UUID. */
int sdp_de_uuid(const struct sdp_de *de, struct sdp_uuid *u);

/* 16/32-bit UUIDs to their 128-bit form; the 32-bit value of a 128-bit
 * UUID built on the Base UUID (true), or false. */
struct sdp_uuid sdp_uuid16(uint16_t v);
struct sdp_uuid sdp_uuid32(uint32_t v);
bool sdp_uuid_short(const struct sdp_uuid *u, uint32_t *v);
bool sdp_uuid_eq(const struct sdp_uuid *a, const struct sdp_uuid *b);

/* Calls fn for every UUID inside buf (one element, walked to any depth up
 * to SDP_DE_MAX_DEPTH; buf must be valid). Returns how many it found. */
unsigned sdp_de_each_uuid(const uint8_t *buf, size_t len,
			  void (*fn)(const struct sdp_uuid *u, void *arg), void *arg);

/* ---- encoding ------------------------------------------------------------ */

/* The header of an element of this type whose data is len bytes, with the
 * smallest size descriptor that fits (types with fixed sizes: len must be
 * one they allow, else the writer is marked overflowed and -EINVAL given).
 * Returns 0 or -EINVAL. */
int sdp_de_put_header(struct wr *w, enum sdp_de_type type, size_t len);

void sdp_de_put_nil(struct wr *w);
void sdp_de_put_bool(struct wr *w, bool v);
/* Unsigned (SDP_DE_UINT) or signed (SDP_DE_INT) of 1, 2, 4 or 8 bytes. */
void sdp_de_put_int(struct wr *w, enum sdp_de_type type, unsigned bytes, uint64_t v);
static inline void sdp_de_put_u8(struct wr *w, uint8_t v) { sdp_de_put_int(w, SDP_DE_UINT, 1, v); }
static inline void sdp_de_put_u16(struct wr *w, uint16_t v) { sdp_de_put_int(w, SDP_DE_UINT, 2, v); }
static inline void sdp_de_put_u32(struct wr *w, uint32_t v) { sdp_de_put_int(w, SDP_DE_UINT, 4, v); }
/* A 16-byte integer, big-endian bytes as given. */
void sdp_de_put_int128(struct wr *w, enum sdp_de_type type, const uint8_t be[16]);
void sdp_de_put_uuid16(struct wr *w, uint16_t v);
void sdp_de_put_uuid32(struct wr *w, uint32_t v);
void sdp_de_put_uuid128(struct wr *w, const uint8_t be[16]);
/* A UUID in the size it says (u->size 2 or 4 need a Base UUID form). */
void sdp_de_put_uuid(struct wr *w, const struct sdp_uuid *u);
/* SDP_DE_TEXT or SDP_DE_URL. */
void sdp_de_put_string(struct wr *w, enum sdp_de_type type, const void *s, size_t len);

/* Opens a sequence or alternative: reserves the largest header and returns
 * where the element starts. */
size_t sdp_de_seq_open(struct wr *w);
/* Closes what sdp_de_seq_open(w) returned as `at`, writing the smallest
 * header for what was written since (the contents move down). */
void sdp_de_seq_close(struct wr *w, size_t at, enum sdp_de_type type);

#endif
