/* SDP data elements: byte-exact encodings of every type and every size
 * descriptor, strict decoding (reserved types, sizes a type does not allow,
 * every vector truncated by one byte), the nesting depth limit, integers,
 * UUIDs and the Base UUID. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/sdp/sdp_de.h"
#include "sdp_test_util.h"

static uint8_t buf[80000];

static void check_encoding(const char *what, const struct wr *w, const char *hex)
{
	cr_assert(wr_ok(w), "%s: the writer overflowed", what);
	sdp_expect_bytes(what, w->p, w->len, hex);
}

/* Encodes with fn, compares, decodes back and checks type and length. */
#define ENC(what, want_hex, type_, len_, stmt)                                   \
	do {                                                                     \
		struct wr w = wr_init(buf, sizeof buf);                          \
		stmt;                                                            \
		check_encoding(what, &w, want_hex);                              \
		struct rd r = rd_init(buf, w.len);                               \
		struct sdp_de de;                                                \
		cr_assert_eq(sdp_de_read_deep(&r, &de, SDP_DE_MAX_DEPTH), 0, "%s", what); \
		cr_assert(rd_end(&r), "%s", what);                               \
		cr_assert_eq(de.type, type_, "%s", what);                        \
		cr_assert_eq(de.len, len_, "%s", what);                          \
	} while (0)

Test(sdp_de, fixed_size_types_byte_exact)
{
	static const uint8_t u128[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	ENC("nil", "00", SDP_DE_NIL, 0, sdp_de_put_nil(&w));
	ENC("bool true", "28 01", SDP_DE_BOOL, 1, sdp_de_put_bool(&w, true));
	ENC("bool false", "28 00", SDP_DE_BOOL, 1, sdp_de_put_bool(&w, false));
	ENC("uint8", "08 12", SDP_DE_UINT, 1, sdp_de_put_u8(&w, 0x12));
	ENC("uint16", "09 12 34", SDP_DE_UINT, 2, sdp_de_put_u16(&w, 0x1234));
	ENC("uint32", "0a 12 34 56 78", SDP_DE_UINT, 4, sdp_de_put_u32(&w, 0x12345678));
	ENC("uint64", "0b 01 02 03 04 05 06 07 08", SDP_DE_UINT, 8,
	    sdp_de_put_int(&w, SDP_DE_UINT, 8, 0x0102030405060708ull));
	ENC("uint128", "0c 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", SDP_DE_UINT, 16,
	    sdp_de_put_int128(&w, SDP_DE_UINT, u128));
	ENC("int8", "10 ff", SDP_DE_INT, 1, sdp_de_put_int(&w, SDP_DE_INT, 1, (uint64_t)-1));
	ENC("int16", "11 ff fe", SDP_DE_INT, 2, sdp_de_put_int(&w, SDP_DE_INT, 2, (uint64_t)-2));
	ENC("int32", "12 80 00 00 00", SDP_DE_INT, 4,
	    sdp_de_put_int(&w, SDP_DE_INT, 4, 0x80000000u));
	ENC("int64", "13 ff ff ff ff ff ff ff fd", SDP_DE_INT, 8,
	    sdp_de_put_int(&w, SDP_DE_INT, 8, (uint64_t)-3));
	ENC("int128", "14 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", SDP_DE_INT, 16,
	    sdp_de_put_int128(&w, SDP_DE_INT, u128));
	ENC("uuid16", "19 11 01", SDP_DE_UUID, 2, sdp_de_put_uuid16(&w, 0x1101));
	ENC("uuid32", "1a 12 34 56 78", SDP_DE_UUID, 4, sdp_de_put_uuid32(&w, 0x12345678));
	ENC("uuid128", "1c 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", SDP_DE_UUID, 16,
	    sdp_de_put_uuid128(&w, u128));
}

Test(sdp_de, strings_and_sequences_every_size_descriptor)
{
	ENC("text 8-bit length", "25 03 61 62 63", SDP_DE_TEXT, 3,
	    sdp_de_put_string(&w, SDP_DE_TEXT, "abc", 3));
	ENC("url", "45 04 68 74 74 70", SDP_DE_URL, 4,
	    sdp_de_put_string(&w, SDP_DE_URL, "http", 4));
	ENC("empty text", "25 00", SDP_DE_TEXT, 0, sdp_de_put_string(&w, SDP_DE_TEXT, "", 0));
	ENC("empty sequence", "35 00", SDP_DE_SEQ, 0,
	    size_t s = sdp_de_seq_open(&w); sdp_de_seq_close(&w, s, SDP_DE_SEQ));
	ENC("alternative", "3d 05 35 00 19 11 01", SDP_DE_ALT, 5, size_t a = sdp_de_seq_open(&w);
	    size_t s = sdp_de_seq_open(&w); sdp_de_seq_close(&w, s, SDP_DE_SEQ);
	    sdp_de_put_uuid16(&w, 0x1101); sdp_de_seq_close(&w, a, SDP_DE_ALT));

	/* 255 bytes: 8-bit length; 256: 16-bit; 65535: 16-bit; 65536: 32-bit. */
	static char text[70000];
	memset(text, 'x', sizeof text);
	const struct {
		size_t len;
		const char *hdr;
	} sizes[] = { { 255, "25 ff" }, { 256, "26 01 00" }, { 65535, "26 ff ff" },
		      { 65536, "27 00 01 00 00" } };
	for (size_t i = 0; i < 4; i++) {
		struct wr w = wr_init(buf, sizeof buf);
		sdp_de_put_string(&w, SDP_DE_TEXT, text, sizes[i].len);
		uint8_t h[5];
		size_t hn = sdp_hex(sizes[i].hdr, h, sizeof h);
		cr_assert(wr_ok(&w));
		cr_assert_eq(w.len, hn + sizes[i].len);
		cr_assert_arr_eq(buf, h, hn, "text of %zu bytes", sizes[i].len);
		cr_assert(sdp_de_valid(buf, w.len));
		/* The same sizes for a sequence of nils: the header shrinks. */
		w = wr_init(buf, sizeof buf);
		size_t s = sdp_de_seq_open(&w);
		for (size_t j = 0; j < sizes[i].len; j++)
			sdp_de_put_nil(&w);
		sdp_de_seq_close(&w, s, SDP_DE_SEQ);
		cr_assert(wr_ok(&w));
		cr_assert_eq(w.len, hn + sizes[i].len, "sequence of %zu", sizes[i].len);
		h[0] = (uint8_t)(SDP_DE_SEQ << 3 | (h[0] & 7));
		cr_assert_arr_eq(buf, h, hn, "sequence of %zu nils", sizes[i].len);
		cr_assert_eq(buf[hn], 0x00);
		cr_assert(sdp_de_valid(buf, w.len));
	}
}

Test(sdp_de, decoding_takes_any_size_descriptor_a_type_allows)
{
	/* Not minimal, still valid: a 16-bit and a 32-bit length of 3 bytes. */
	const char *ok[] = { "36 00 03 19 11 01", "37 00 00 00 03 19 11 01", "26 00 01 41",
			     "47 00 00 00 00", "3e 00 00", "3f 00 00 00 00" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint8_t b[16];
		size_t n = sdp_hex(ok[i], b, sizeof b);
		cr_assert(sdp_de_valid(b, n), "%s", ok[i]);
	}
}

Test(sdp_de, reserved_types_and_bad_sizes_are_refused)
{
	const char *bad[] = {
		"01 00",          /* nil with a size */
		"05 00",          /* nil with a length */
		"29 00 01",       /* boolean of 2 bytes */
		"2d 01 01",       /* boolean with a length */
		"0d 01 01",       /* unsigned with a length */
		"15 01 01",       /* signed with a length */
		"18 01",          /* UUID of 1 byte */
		"1b 00 00 00 00 00 00 00 00", /* UUID of 8 bytes */
		"1d 02 11 01",    /* UUID with a length */
		"20 41",          /* text with a fixed size */
		"22 41 41 41 41", /* text with a fixed size */
		"30 00",          /* sequence with a fixed size */
		"3a 00 00 00 00", /* alternative with a fixed size */
		"40 41",          /* URL with a fixed size */
		"48 00",          /* type 9: reserved */
		"4d 00",          /* type 9 with a length */
		"f8 00",          /* type 31 */
		"",               /* nothing */
		"35 01 48",       /* a reserved type inside a sequence */
		"35 02 19 11",    /* a truncated UUID inside */
		"35 04 19 11 01", /* a sequence longer than what is held */
		"27 ff ff ff ff 41", /* a 32-bit length far beyond the bytes */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t b[16];
		size_t n = sdp_hex(bad[i], b, sizeof b);
		cr_assert_not(sdp_de_valid(b, n), "accepted \"%s\"", bad[i]);
	}
	/* Trailing bytes after the one element. */
	uint8_t b[3] = { 0x08, 0x01, 0x00 };
	cr_assert_not(sdp_de_valid(b, 3));
	struct rd r = rd_init(b, 3);
	struct sdp_de de;
	cr_assert_eq(sdp_de_read(&r, &de), 0);
	cr_assert_eq(r.left, 1);
}

Test(sdp_de, every_vector_truncated_by_one_byte_is_refused)
{
	const char *vec[] = {
		"28 01", "08 12", "09 12 34", "0a 12 34 56 78", "0b 01 02 03 04 05 06 07 08",
		"0c 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", "10 ff", "11 ff fe",
		"12 80 00 00 00", "13 ff ff ff ff ff ff ff fd",
		"14 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", "19 11 01", "1a 12 34 56 78",
		"1c 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", "25 03 61 62 63",
		"26 00 01 41", "27 00 00 00 01 41", "45 01 61", "46 00 01 61", "47 00 00 00 01 61",
		"35 03 19 11 01", "36 00 03 19 11 01", "37 00 00 00 03 19 11 01",
		"3d 05 35 00 19 11 01", "3e 00 02 35 00", "3f 00 00 00 02 35 00", "35 00", "25 00",
	};
	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		uint8_t b[32];
		size_t n = sdp_hex(vec[i], b, sizeof b);
		cr_assert(sdp_de_valid(b, n), "refused \"%s\"", vec[i]);
		cr_assert_not(sdp_de_valid(b, n - 1), "accepted \"%s\" less its last byte", vec[i]);
		/* The reader alone also refuses it (bad, nothing taken). */
		struct rd r = rd_init(b, n - 1);
		struct sdp_de de;
		cr_assert_eq(sdp_de_read(&r, &de), -EBADMSG, "%s", vec[i]);
		cr_assert_not(rd_ok(&r));
	}
}

/* n sequences one inside the other, the innermost holding a UUID. */
static size_t nested(uint8_t *b, size_t cap, unsigned n)
{
	struct wr w = wr_init(b, cap);
	size_t at[32];
	for (unsigned i = 0; i < n; i++)
		at[i] = sdp_de_seq_open(&w);
	sdp_de_put_uuid16(&w, 0x1101);
	for (unsigned i = n; i-- > 0;)
		sdp_de_seq_close(&w, at[i], SDP_DE_SEQ);
	cr_assert(wr_ok(&w));
	return w.len;
}

Test(sdp_de, nesting_depth_limit)
{
	uint8_t b[256];
	size_t n = nested(b, sizeof b, SDP_DE_MAX_DEPTH);
	cr_assert(sdp_de_valid(b, n), "%d levels refused", SDP_DE_MAX_DEPTH);
	n = nested(b, sizeof b, SDP_DE_MAX_DEPTH + 1);
	cr_assert_not(sdp_de_valid(b, n), "%d levels accepted", SDP_DE_MAX_DEPTH + 1);
	/* The depth given to read_deep is what counts. */
	n = nested(b, sizeof b, 2);
	struct rd r = rd_init(b, n);
	struct sdp_de de;
	cr_assert_eq(sdp_de_read_deep(&r, &de, 1), -EBADMSG);
	r = rd_init(b, n);
	cr_assert_eq(sdp_de_read_deep(&r, &de, 2), 0);
	/* Shallow reading does not look inside. */
	r = rd_init(b, n);
	cr_assert_eq(sdp_de_read(&r, &de), 0);
	cr_assert_eq(de.type, SDP_DE_SEQ);
	cr_assert_eq(de.len, n - 2);
}

Test(sdp_de, integers)
{
	uint8_t b[32];
	struct rd r;
	struct sdp_de de;
	const struct {
		const char *hex;
		uint64_t v;
	} v[] = {
		{ "08 ff", 0xff },
		{ "10 ff", (uint64_t)-1 },
		{ "10 7f", 0x7f },
		{ "11 80 00", (uint64_t)-32768 },
		{ "0a de ad be ef", 0xdeadbeef },
		{ "12 ff ff ff fe", (uint64_t)-2 },
		{ "0b 80 00 00 00 00 00 00 01", 0x8000000000000001ull },
		{ "0c 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", 0 }, /* 128-bit: read data */
		{ "19 11 01", 0 },                                         /* not an integer */
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t n = sdp_hex(v[i].hex, b, sizeof b);
		r = rd_init(b, n);
		cr_assert_eq(sdp_de_read(&r, &de), 0);
		cr_assert_eq(sdp_de_uint(&de), v[i].v, "%s", v[i].hex);
	}
}

static void count(const struct sdp_uuid *u, void *arg)
{
	struct sdp_uuid *seen = arg;
	for (int i = 0; i < 4; i++)
		if (!seen[i].size) {
			seen[i] = *u;
			return;
		}
}

Test(sdp_de, uuids_and_the_base_uuid)
{
	uint8_t b[64];
	struct sdp_de de;
	struct sdp_uuid u16, u32, u128;
	static const uint8_t spp[16] = { 0x00, 0x00, 0x11, 0x01, 0x00, 0x00, 0x10, 0x00,
					 0x80, 0x00, 0x00, 0x80, 0x5f, 0x9b, 0x34, 0xfb };
	size_t n = sdp_hex("19 11 01", b, sizeof b);
	struct rd r = rd_init(b, n);
	cr_assert_eq(sdp_de_read(&r, &de), 0);
	cr_assert_eq(sdp_de_uuid(&de, &u16), 0);
	n = sdp_hex("1a 00 00 11 01", b, sizeof b);
	r = rd_init(b, n);
	cr_assert_eq(sdp_de_read(&r, &de), 0);
	cr_assert_eq(sdp_de_uuid(&de, &u32), 0);
	n = sdp_hex("1c 00 00 11 01 00 00 10 00 80 00 00 80 5f 9b 34 fb", b, sizeof b);
	r = rd_init(b, n);
	cr_assert_eq(sdp_de_read(&r, &de), 0);
	cr_assert_eq(sdp_de_uuid(&de, &u128), 0);
	cr_assert_arr_eq(u16.b, spp, 16);
	cr_assert(sdp_uuid_eq(&u16, &u32) && sdp_uuid_eq(&u32, &u128));
	cr_assert_eq(u16.size, 2);
	cr_assert_eq(u32.size, 4);
	cr_assert_eq(u128.size, 16);
	uint32_t v;
	cr_assert(sdp_uuid_short(&u128, &v));
	cr_assert_eq(v, 0x1101);
	u128.b[15] ^= 1;
	cr_assert_not(sdp_uuid_short(&u128, &v));
	cr_assert_not(sdp_uuid_eq(&u16, &u128));
	/* Not a UUID. */
	n = sdp_hex("09 11 01", b, sizeof b);
	r = rd_init(b, n);
	cr_assert_eq(sdp_de_read(&r, &de), 0);
	cr_assert_eq(sdp_de_uuid(&de, &u16), -EINVAL);

	/* Writing a UUID in the size it says. */
	struct wr w = wr_init(b, sizeof b);
	struct sdp_uuid x = sdp_uuid16(0x0100), y = sdp_uuid32(0x00010000);
	sdp_de_put_uuid(&w, &x);
	sdp_de_put_uuid(&w, &y);
	y.size = 2; /* does not fit 16 bits: written as 128 */
	sdp_de_put_uuid(&w, &y);
	sdp_expect_bytes("uuids", b, w.len,
			 "19 01 00  1a 00 01 00 00"
			 "  1c 00 01 00 00 00 00 10 00 80 00 00 80 5f 9b 34 fb");

	/* Every UUID anywhere inside. */
	n = sdp_hex("35 0c 35 03 19 01 00 35 05 19 00 03 08 01", b, sizeof b);
	struct sdp_uuid seen[4] = { 0 };
	cr_assert_eq(sdp_de_each_uuid(b, n, count, seen), 2);
	x = sdp_uuid16(0x0100);
	y = sdp_uuid16(0x0003);
	cr_assert(sdp_uuid_eq(&seen[0], &x) && sdp_uuid_eq(&seen[1], &y));
}

Test(sdp_de, encoding_refuses_what_cannot_be_written)
{
	uint8_t b[8];
	struct wr w = wr_init(b, sizeof b);
	cr_assert_eq(sdp_de_put_header(&w, SDP_DE_UUID, 3), -EINVAL);
	cr_assert_not(wr_ok(&w));
	w = wr_init(b, sizeof b);
	cr_assert_eq(sdp_de_put_header(&w, SDP_DE_NIL, 1), -EINVAL);
	w = wr_init(b, sizeof b);
	cr_assert_eq(sdp_de_put_header(&w, 9, 0), -EINVAL);
	w = wr_init(b, sizeof b);
	sdp_de_put_int(&w, SDP_DE_UINT, 3, 1);
	cr_assert_not(wr_ok(&w));
	/* A sequence whose contents do not fit. */
	w = wr_init(b, sizeof b);
	size_t s = sdp_de_seq_open(&w);
	sdp_de_put_u32(&w, 1);
	sdp_de_seq_close(&w, s, SDP_DE_SEQ);
	cr_assert_not(wr_ok(&w));
	/* The header byte of every fixed size. */
	const struct {
		enum sdp_de_type t;
		size_t len;
		uint8_t hdr;
	} h[] = { { SDP_DE_NIL, 0, 0x00 },  { SDP_DE_BOOL, 1, 0x28 }, { SDP_DE_UINT, 1, 0x08 },
		  { SDP_DE_UINT, 2, 0x09 }, { SDP_DE_UINT, 4, 0x0a }, { SDP_DE_UINT, 8, 0x0b },
		  { SDP_DE_UINT, 16, 0x0c }, { SDP_DE_INT, 16, 0x14 }, { SDP_DE_UUID, 2, 0x19 },
		  { SDP_DE_UUID, 4, 0x1a }, { SDP_DE_UUID, 16, 0x1c } };
	for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
		w = wr_init(b, sizeof b);
		cr_assert_eq(sdp_de_put_header(&w, h[i].t, h[i].len), 0);
		cr_assert_eq(w.len, 1);
		cr_assert_eq(b[0], h[i].hdr, "type %d len %zu", h[i].t, h[i].len);
	}
}
