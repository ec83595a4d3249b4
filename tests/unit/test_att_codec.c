/* The ATT codec: byte-exact vectors, round trips, every opcode of the table
 * at its minimum length and truncated by one byte, malformed lists, UUIDs,
 * names. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../actors/gatt/att_codec.h"

#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

struct vec {
	const uint8_t *b;
	size_t n;
};
#define V(...) { (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }) }

/* The shortest valid PDU of every opcode. */
static const struct vec minimal[] = {
	V(0x01, 0x0a, 0x01, 0x00, 0x0a),
	V(0x02, 0x00, 0x02),
	V(0x03, 0x17, 0x00),
	V(0x04, 0x01, 0x00, 0xff, 0xff),
	V(0x05, 0x01, 0x01, 0x00, 0x00, 0x28),
	V(0x06, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28),
	V(0x07, 0x01, 0x00, 0x05, 0x00),
	V(0x08, 0x01, 0x00, 0xff, 0xff, 0x03, 0x28),
	V(0x09, 0x02, 0x01, 0x00),
	V(0x0a, 0x03, 0x00),
	V(0x0b),
	V(0x0c, 0x03, 0x00, 0x16, 0x00),
	V(0x0d),
	V(0x0e, 0x03, 0x00, 0x05, 0x00),
	V(0x0f),
	V(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28),
	V(0x11, 0x04, 0x01, 0x00, 0x05, 0x00),
	V(0x12, 0x03, 0x00),
	V(0x13),
	V(0x16, 0x03, 0x00, 0x00, 0x00),
	V(0x17, 0x03, 0x00, 0x00, 0x00),
	V(0x18, 0x01),
	V(0x19),
	V(0x1b, 0x03, 0x00),
	V(0x1d, 0x03, 0x00),
	V(0x1e),
	V(0x20, 0x03, 0x00, 0x05, 0x00),
	V(0x21),
	V(0x23, 0x03, 0x00, 0x00, 0x00),
	V(0x52, 0x03, 0x00),
	V(0xd2, 0x03, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
};

/* Typical PDUs, each with content in every field. */
static const struct vec typical[] = {
	V(0x01, 0x12, 0x2a, 0x00, 0x03),
	V(0x02, 0x05, 0x02),
	V(0x04, 0x01, 0x00, 0x10, 0x00),
	V(0x05, 0x01, 0x01, 0x00, 0x00, 0x28, 0x02, 0x00, 0x03, 0x28),
	V(0x05, 0x02, 0x10, 0x00, 0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80, 0x00, 0x10, 0x00,
	  0x00, 0x0d, 0x18, 0x00, 0x00),
	V(0x06, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28, 0x0f, 0x18),
	V(0x07, 0x01, 0x00, 0x05, 0x00, 0x06, 0x00, 0x0d, 0x00),
	V(0x08, 0x01, 0x00, 0xff, 0xff, 0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80, 0x00, 0x10,
	  0x00, 0x00, 0x03, 0x28, 0x00, 0x00),
	V(0x09, 0x07, 0x02, 0x00, 0x02, 0x03, 0x00, 0x00, 0x2a, 0x04, 0x00, 0x02, 0x05, 0x00, 0x01,
	  0x2a),
	V(0x0b, 0x68, 0x69, 0x76, 0x65),
	V(0x0e, 0x03, 0x00, 0x05, 0x00, 0x0b, 0x00),
	V(0x11, 0x06, 0x01, 0x00, 0x05, 0x00, 0x00, 0x18, 0x06, 0x00, 0x0d, 0x00, 0x01, 0x18),
	V(0x12, 0x09, 0x00, 0x01, 0x00),
	V(0x16, 0x03, 0x00, 0x12, 0x00, 0xaa, 0xbb),
	V(0x18, 0x00),
	V(0x1b, 0x03, 0x00, 0x64),
	V(0x1d, 0x08, 0x00, 0x01, 0x00, 0xff, 0xff),
	V(0x21, 0x02, 0x00, 0x01, 0x02, 0x00, 0x00, 0x03, 0x00, 0x61, 0x62),
	V(0x23, 0x03, 0x00, 0x01, 0x00, 0x64, 0x05, 0x00, 0x02, 0x00, 0x01, 0x02),
	V(0x52, 0x03, 0x00, 0x01, 0x02, 0x03),
	V(0xd2, 0x03, 0x00, 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
};

/* Malformed PDUs of known opcodes. */
static const struct vec malformed[] = {
	V(0x01, 0x0a, 0x01, 0x00, 0x0a, 0x00), /* one too many */
	V(0x02, 0x17, 0x00, 0x00),
	V(0x05, 0x03, 0x01, 0x00, 0x00, 0x28), /* unknown format */
	V(0x05, 0x01, 0x01, 0x00, 0x00),       /* short entry */
	V(0x05, 0x02, 0x01, 0x00, 0x00, 0x28), /* format 2 with a 16-bit UUID */
	V(0x05, 0x01),                         /* no entry */
	V(0x07, 0x01, 0x00, 0x05, 0x00, 0x06), /* partial pair */
	V(0x08, 0x01, 0x00, 0xff, 0xff, 0x03, 0x28, 0x00), /* 3-byte UUID */
	V(0x09, 0x01, 0x01, 0x00),             /* length below 2 */
	V(0x09, 0x03, 0x01, 0x00, 0x05, 0x02), /* list not a multiple */
	V(0x09, 0x04),                         /* empty list */
	V(0x0e, 0x03, 0x00),                   /* one handle */
	V(0x0e, 0x03, 0x00, 0x05, 0x00, 0x06), /* odd */
	V(0x10, 0x01, 0x00, 0xff, 0xff, 0x00), /* 1-byte UUID */
	V(0x11, 0x03, 0x01, 0x00, 0x05),       /* length below 4 */
	V(0x18),                               /* no flags */
	V(0x18, 0x01, 0x00),
	V(0x1e, 0x00),
	V(0x21, 0x02),                         /* half a length */
	V(0x23, 0x03, 0x00, 0x02, 0x00, 0x64), /* value shorter than its length */
	V(0x23, 0x03, 0x00, 0x00),             /* half a length */
	V(0xd2, 0x03, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), /* short signature */
};

Test(att_codec, table_is_sorted_and_named)
{
	size_t n;
	const struct att_opcode_info *t = att_opcode_table(&n);
	cr_assert_eq(n, 31);
	for (size_t i = 1; i < n; i++)
		cr_assert_lt(t[i - 1].opcode, t[i].opcode);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(att_opcode_lookup(t[i].opcode), &t[i]);
		cr_assert_str_eq(att_opcode_name(t[i].opcode), t[i].name);
	}
	cr_assert_str_eq(att_opcode_name(ATT_READ_REQ), "att_read_request");
	cr_assert_str_eq(att_opcode_name(0xbf), "att_unknown");
	cr_assert_null(att_opcode_lookup(0x14));
	cr_assert_eq(att_opcode_kind(0xbf), ATT_REQ);
	cr_assert_eq(att_opcode_kind(0x7f), ATT_CMD);
	cr_assert_eq(att_opcode_kind(ATT_HANDLE_VALUE_CFM), ATT_CFM);
	for (unsigned c = 1; c <= 0x13; c++)
		cr_assert_str_neq(att_error_name((uint8_t)c), "unknown", "code 0x%02x", c);
	cr_assert_str_eq(att_error_name(ATT_ECODE_ATTRIBUTE_NOT_LONG), "attribute_not_long");
	cr_assert_str_eq(att_error_name(0x80), "unknown");
}

Test(att_codec, every_opcode_at_minimum_length_and_truncated_by_one)
{
	size_t n;
	const struct att_opcode_info *t = att_opcode_table(&n);
	cr_assert_eq(n, sizeof minimal / sizeof minimal[0]);
	for (size_t i = 0; i < n; i++) {
		const struct vec *v = &minimal[i];
		struct att_pdu p;
		uint8_t buf[64];
		cr_assert_eq(v->b[0], t[i].opcode);
		cr_assert_eq(v->n, t[i].min_len, "%s: min_len %u, vector %zu", t[i].name,
			     t[i].min_len, v->n);
		cr_assert_eq(att_decode(v->b, v->n, &p), 0, "%s", t[i].name);
		cr_assert_eq(p.opcode, t[i].opcode);
		cr_assert_eq(att_encode(&p, buf, sizeof buf), (int)v->n, "%s", t[i].name);
		cr_assert_arr_eq(buf, v->b, v->n, "%s", t[i].name);
		cr_assert_eq(att_decode(v->b, v->n - 1, &p), -EBADMSG, "%s truncated", t[i].name);
		/* Nor is it encoded into a buffer one byte short. */
		cr_assert_eq(att_decode(v->b, v->n, &p), 0);
		cr_assert_eq(att_encode(&p, buf, v->n - 1), -EMSGSIZE, "%s", t[i].name);
	}
}

Test(att_codec, typical_round_trip_and_truncated)
{
	for (size_t i = 0; i < sizeof typical / sizeof typical[0]; i++) {
		const struct vec *v = &typical[i];
		struct att_pdu p;
		uint8_t buf[64];
		cr_assert_eq(att_decode(v->b, v->n, &p), 0, "vector %zu", i);
		cr_assert_eq(att_encode(&p, buf, sizeof buf), (int)v->n, "vector %zu", i);
		cr_assert_arr_eq(buf, v->b, v->n, "vector %zu", i);
		/* Fixed-size and list PDUs fail truncated; values just get shorter. */
		const struct att_opcode_info *info = att_opcode_lookup(v->b[0]);
		bool has_tail = v->b[0] == ATT_READ_RSP || v->b[0] == ATT_WRITE_REQ ||
				v->b[0] == ATT_PREPARE_WRITE_REQ || v->b[0] == ATT_HANDLE_VALUE_NTF ||
				v->b[0] == ATT_HANDLE_VALUE_IND || v->b[0] == ATT_WRITE_CMD ||
				v->b[0] == ATT_FIND_BY_TYPE_VALUE_REQ ||
				v->b[0] == ATT_READ_MULTIPLE_VARIABLE_RSP ||
				v->b[0] == ATT_SIGNED_WRITE_CMD;
		if (!has_tail)
			cr_assert_eq(att_decode(v->b, v->n - 1, &p), -EBADMSG, "%s truncated",
				     info->name);
	}
}

Test(att_codec, malformed_pdus_fail)
{
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		struct att_pdu p;
		cr_assert_eq(att_decode(malformed[i].b, malformed[i].n, &p), -EBADMSG,
			     "malformed %zu (opcode 0x%02x)", i, malformed[i].b[0]);
	}
	struct att_pdu p;
	cr_assert_eq(att_decode(NULL, 0, &p), -EBADMSG);
	cr_assert_eq(att_decode(B(0xbf, 0x00), &p), -ENOTSUP);
	cr_assert_eq(att_decode(B(0x14), &p), -ENOTSUP);
}

Test(att_codec, decoded_fields)
{
	struct att_pdu p;
	cr_assert_eq(att_decode(B(0x01, 0x12, 0x2a, 0x00, 0x03), &p), 0);
	cr_assert_eq(p.error.request_opcode, ATT_WRITE_REQ);
	cr_assert_eq(p.error.handle, 0x002a);
	cr_assert_eq(p.error.code, ATT_ECODE_WRITE_NOT_PERMITTED);

	cr_assert_eq(att_decode(B(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28), &p), 0);
	cr_assert_eq(p.type_req.start, 1);
	cr_assert_eq(p.type_req.end, 0xffff);
	cr_assert(att_uuid_is(&p.type_req.type, 0x2800));

	static const uint8_t pw[] = { 0x16, 0x03, 0x00, 0x12, 0x00, 0xaa, 0xbb };
	cr_assert_eq(att_decode(pw, sizeof pw, &p), 0);
	cr_assert_eq(p.prepare.handle, 3);
	cr_assert_eq(p.prepare.offset, 0x12);
	cr_assert_eq(p.prepare.len, 2);
	cr_assert_eq(p.prepare.value[1], 0xbb);

	static const uint8_t sw[] = { 0xd2, 0x03, 0x00, 0xaa, 0xbb, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
				      11, 12 };
	cr_assert_eq(att_decode(sw, sizeof sw, &p), 0);
	cr_assert_eq(p.signed_write.len, 2);
	cr_assert_eq(p.signed_write.value[0], 0xaa);
	cr_assert_eq(p.signed_write.signature[0], 1);
	cr_assert_eq(p.signed_write.signature[11], 12);
}

Test(att_codec, iterators)
{
	struct att_pdu p;
	static const uint8_t fi[] = { 0x05, 0x01, 0x01, 0x00, 0x00, 0x28, 0x02, 0x00, 0x03, 0x28 };
	cr_assert_eq(att_decode(fi, sizeof fi, &p), 0);
	struct rd r = rd_init(p.find_info.list, p.find_info.list_len);
	struct att_info_entry e;
	cr_assert(att_find_info_next(&r, p.find_info.format, &e));
	cr_assert_eq(e.handle, 1);
	cr_assert(att_uuid_is(&e.type, 0x2800));
	cr_assert(att_find_info_next(&r, p.find_info.format, &e));
	cr_assert_eq(e.handle, 2);
	cr_assert_not(att_find_info_next(&r, p.find_info.format, &e));

	static const uint8_t rbt[] = { 0x09, 0x07, 0x02, 0x00, 0x02, 0x03, 0x00, 0x00, 0x2a,
				       0x04, 0x00, 0x02, 0x05, 0x00, 0x01, 0x2a };
	cr_assert_eq(att_decode(rbt, sizeof rbt, &p), 0);
	r = rd_init(p.data_list.list, p.data_list.list_len);
	struct att_type_entry te;
	int count = 0;
	while (att_read_by_type_next(&r, p.data_list.length, &te)) {
		cr_assert_eq(te.len, 5);
		count++;
	}
	cr_assert_eq(count, 2);
	cr_assert_eq(te.handle, 4);

	static const uint8_t rmv[] = { 0x21, 0x02, 0x00, 0x01, 0x02, 0x05, 0x00, 0x61, 0x62 };
	cr_assert_eq(att_decode(rmv, sizeof rmv, &p), 0);
	r = rd_init(p.tuples.list, p.tuples.list_len);
	struct att_len_value lv;
	cr_assert(att_read_mult_var_next(&r, &lv));
	cr_assert_eq(lv.value_len, 2);
	cr_assert_eq(lv.len, 2);
	cr_assert(att_read_mult_var_next(&r, &lv));
	cr_assert_eq(lv.value_len, 5); /* truncated last tuple */
	cr_assert_eq(lv.len, 2);
	cr_assert_not(att_read_mult_var_next(&r, &lv));

	static const uint8_t mn[] = { 0x23, 0x03, 0x00, 0x01, 0x00, 0x64, 0x05, 0x00, 0x00, 0x00 };
	cr_assert_eq(att_decode(mn, sizeof mn, &p), 0);
	r = rd_init(p.tuples.list, p.tuples.list_len);
	struct att_handle_value hv;
	cr_assert(att_mult_ntf_next(&r, &hv));
	cr_assert_eq(hv.handle, 3);
	cr_assert_eq(hv.value[0], 0x64);
	cr_assert(att_mult_ntf_next(&r, &hv));
	cr_assert_eq(hv.handle, 5);
	cr_assert_eq(hv.len, 0);
	cr_assert_not(att_mult_ntf_next(&r, &hv));
}

Test(att_codec, encode_checks_structs)
{
	uint8_t buf[32];
	static const uint8_t src[4] = { 1, 0, 2, 0 };
	struct att_pdu p = { .opcode = ATT_FIND_INFORMATION_RSP,
			     .find_info = { .format = 3, .list = src, .list_len = 4 } };
	cr_assert_eq(att_encode(&p, buf, sizeof buf), -EINVAL);
	p = (struct att_pdu){ .opcode = ATT_READ_MULTIPLE_REQ,
			      .handles = { .list = src, .count = 1 } };
	cr_assert_eq(att_encode(&p, buf, sizeof buf), -EINVAL);
	p = (struct att_pdu){ .opcode = 0x14 };
	cr_assert_eq(att_encode(&p, buf, sizeof buf), -ENOTSUP);
	cr_assert_eq(att_encode_error_rsp(buf, sizeof buf, 0xbf, 0, ATT_ECODE_REQUEST_NOT_SUPPORTED),
		     5);
	static const uint8_t want[] = { 0x01, 0xbf, 0x00, 0x00, 0x06 };
	cr_assert_arr_eq(buf, want, 5);
	cr_assert_eq(att_encode_error_rsp(buf, 4, 0xbf, 0, 6), -EMSGSIZE);
	p = (struct att_pdu){ .opcode = ATT_READ_BY_TYPE_REQ,
			      .type_req = { .start = 1, .end = 0xffff, .type = att_uuid16(0x2803) } };
	static const uint8_t rbt[] = { 0x08, 0x01, 0x00, 0xff, 0xff, 0x03, 0x28 };
	cr_assert_eq(att_encode(&p, buf, sizeof buf), 7);
	cr_assert_arr_eq(buf, rbt, 7);
}

Test(att_codec, uuids)
{
	struct att_uuid a = att_uuid16(0x180f), b;
	uint8_t full[16];
	att_uuid_to128(&a, full);
	static const uint8_t want[16] = { 0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80,
					  0x00, 0x10, 0x00, 0x00, 0x0f, 0x18, 0x00, 0x00 };
	cr_assert_arr_eq(full, want, 16);
	b.len = 16;
	memcpy(b.b, full, 16);
	cr_assert(att_uuid_eq(&a, &b));
	cr_assert(att_uuid_is(&b, 0x180f));
	struct att_uuid s = att_uuid_shorten(&b);
	cr_assert_eq(s.len, 2);
	cr_assert_eq(s.b[0], 0x0f);
	b.b[0] ^= 1;
	cr_assert_not(att_uuid_eq(&a, &b));
	cr_assert_eq(att_uuid_shorten(&b).len, 16);
}
