/* ATT PDUs: decode and encode (see att_codec.h). */
#include "att_codec.h"

#include <errno.h>
#include <string.h>

/* Bluetooth Base UUID 00000000-0000-1000-8000-00805F9B34FB, little-endian. */
static const uint8_t base_uuid[16] = { 0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80,
				       0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };

struct att_uuid att_uuid16(uint16_t v)
{
	struct att_uuid u = { .len = 2, .b = { (uint8_t)v, (uint8_t)(v >> 8) } };
	return u;
}

void att_uuid_to128(const struct att_uuid *u, uint8_t out[16])
{
	if (u->len == 16) {
		memcpy(out, u->b, 16);
		return;
	}
	memcpy(out, base_uuid, 16);
	out[12] = u->b[0];
	out[13] = u->b[1];
}

struct att_uuid att_uuid_shorten(const struct att_uuid *u)
{
	if (u->len == 16 && !memcmp(u->b, base_uuid, 12) && !u->b[14] && !u->b[15])
		return att_uuid16((uint16_t)(u->b[12] | u->b[13] << 8));
	return *u;
}

bool att_uuid_eq(const struct att_uuid *a, const struct att_uuid *b)
{
	uint8_t x[16], y[16];
	att_uuid_to128(a, x);
	att_uuid_to128(b, y);
	return !memcmp(x, y, 16);
}

bool att_uuid_is(const struct att_uuid *u, uint16_t v)
{
	struct att_uuid s = att_uuid16(v);
	return att_uuid_eq(u, &s);
}

bool att_uuid_read(struct rd *r, size_t n, struct att_uuid *u)
{
	memset(u, 0, sizeof *u);
	if (n != 2 && n != 16) {
		r->bad = true;
		return false;
	}
	u->len = (uint8_t)n;
	return rd_copy(r, u->b, n);
}

void att_uuid_write(struct wr *w, const struct att_uuid *u)
{
	wr_bytes(w, u->b, u->len == 16 ? 16 : 2);
}

/* ---- the opcode table ------------------------------------------------------ */

static const struct att_opcode_info opcodes[] = {
	{ ATT_ERROR_RSP, ATT_RSP, 5, "att_error_response" },
	{ ATT_EXCHANGE_MTU_REQ, ATT_REQ, 3, "att_exchange_mtu_request" },
	{ ATT_EXCHANGE_MTU_RSP, ATT_RSP, 3, "att_exchange_mtu_response" },
	{ ATT_FIND_INFORMATION_REQ, ATT_REQ, 5, "att_find_information_request" },
	{ ATT_FIND_INFORMATION_RSP, ATT_RSP, 6, "att_find_information_response" },
	{ ATT_FIND_BY_TYPE_VALUE_REQ, ATT_REQ, 7, "att_find_by_type_value_request" },
	{ ATT_FIND_BY_TYPE_VALUE_RSP, ATT_RSP, 5, "att_find_by_type_value_response" },
	{ ATT_READ_BY_TYPE_REQ, ATT_REQ, 7, "att_read_by_type_request" },
	{ ATT_READ_BY_TYPE_RSP, ATT_RSP, 4, "att_read_by_type_response" },
	{ ATT_READ_REQ, ATT_REQ, 3, "att_read_request" },
	{ ATT_READ_RSP, ATT_RSP, 1, "att_read_response" },
	{ ATT_READ_BLOB_REQ, ATT_REQ, 5, "att_read_blob_request" },
	{ ATT_READ_BLOB_RSP, ATT_RSP, 1, "att_read_blob_response" },
	{ ATT_READ_MULTIPLE_REQ, ATT_REQ, 5, "att_read_multiple_request" },
	{ ATT_READ_MULTIPLE_RSP, ATT_RSP, 1, "att_read_multiple_response" },
	{ ATT_READ_BY_GROUP_TYPE_REQ, ATT_REQ, 7, "att_read_by_group_type_request" },
	{ ATT_READ_BY_GROUP_TYPE_RSP, ATT_RSP, 6, "att_read_by_group_type_response" },
	{ ATT_WRITE_REQ, ATT_REQ, 3, "att_write_request" },
	{ ATT_WRITE_RSP, ATT_RSP, 1, "att_write_response" },
	{ ATT_PREPARE_WRITE_REQ, ATT_REQ, 5, "att_prepare_write_request" },
	{ ATT_PREPARE_WRITE_RSP, ATT_RSP, 5, "att_prepare_write_response" },
	{ ATT_EXECUTE_WRITE_REQ, ATT_REQ, 2, "att_execute_write_request" },
	{ ATT_EXECUTE_WRITE_RSP, ATT_RSP, 1, "att_execute_write_response" },
	{ ATT_HANDLE_VALUE_NTF, ATT_NTF, 3, "att_handle_value_notification" },
	{ ATT_HANDLE_VALUE_IND, ATT_IND, 3, "att_handle_value_indication" },
	{ ATT_HANDLE_VALUE_CFM, ATT_CFM, 1, "att_handle_value_confirmation" },
	{ ATT_READ_MULTIPLE_VARIABLE_REQ, ATT_REQ, 5, "att_read_multiple_variable_request" },
	{ ATT_READ_MULTIPLE_VARIABLE_RSP, ATT_RSP, 1, "att_read_multiple_variable_response" },
	{ ATT_MULTIPLE_HANDLE_VALUE_NTF, ATT_NTF, 5, "att_multiple_handle_value_notification" },
	{ ATT_WRITE_CMD, ATT_CMD, 3, "att_write_command" },
	{ ATT_SIGNED_WRITE_CMD, ATT_CMD, 15, "att_signed_write_command" },
};

const struct att_opcode_info *att_opcode_table(size_t *n)
{
	*n = sizeof opcodes / sizeof opcodes[0];
	return opcodes;
}

const struct att_opcode_info *att_opcode_lookup(uint8_t opcode)
{
	size_t lo = 0, hi = sizeof opcodes / sizeof opcodes[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (opcodes[mid].opcode == opcode)
			return &opcodes[mid];
		if (opcodes[mid].opcode < opcode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *att_opcode_name(uint8_t opcode)
{
	const struct att_opcode_info *i = att_opcode_lookup(opcode);
	return i ? i->name : "att_unknown";
}

enum att_kind att_opcode_kind(uint8_t opcode)
{
	const struct att_opcode_info *i = att_opcode_lookup(opcode);
	if (i)
		return i->kind;
	return opcode & ATT_OP_COMMAND_FLAG ? ATT_CMD : ATT_REQ;
}

const char *att_error_name(uint8_t code)
{
	switch (code) {
	case ATT_ECODE_INVALID_HANDLE: return "invalid_handle";
	case ATT_ECODE_READ_NOT_PERMITTED: return "read_not_permitted";
	case ATT_ECODE_WRITE_NOT_PERMITTED: return "write_not_permitted";
	case ATT_ECODE_INVALID_PDU: return "invalid_pdu";
	case ATT_ECODE_INSUFFICIENT_AUTHENTICATION: return "insufficient_authentication";
	case ATT_ECODE_REQUEST_NOT_SUPPORTED: return "request_not_supported";
	case ATT_ECODE_INVALID_OFFSET: return "invalid_offset";
	case ATT_ECODE_INSUFFICIENT_AUTHORIZATION: return "insufficient_authorization";
	case ATT_ECODE_PREPARE_QUEUE_FULL: return "prepare_queue_full";
	case ATT_ECODE_ATTRIBUTE_NOT_FOUND: return "attribute_not_found";
	case ATT_ECODE_ATTRIBUTE_NOT_LONG: return "attribute_not_long";
	case ATT_ECODE_INSUFFICIENT_ENCRYPTION_KEY_SIZE: return "insufficient_encryption_key_size";
	case ATT_ECODE_INVALID_ATTRIBUTE_VALUE_LENGTH: return "invalid_attribute_value_length";
	case ATT_ECODE_UNLIKELY_ERROR: return "unlikely_error";
	case ATT_ECODE_INSUFFICIENT_ENCRYPTION: return "insufficient_encryption";
	case ATT_ECODE_UNSUPPORTED_GROUP_TYPE: return "unsupported_group_type";
	case ATT_ECODE_INSUFFICIENT_RESOURCES: return "insufficient_resources";
	case ATT_ECODE_DATABASE_OUT_OF_SYNC: return "database_out_of_sync";
	case ATT_ECODE_VALUE_NOT_ALLOWED: return "value_not_allowed";
	case ATT_ECODE_WRITE_REQUEST_REJECTED: return "write_request_rejected";
	case ATT_ECODE_CCCD_IMPROPERLY_CONFIGURED: return "cccd_improperly_configured";
	case ATT_ECODE_PROCEDURE_ALREADY_IN_PROGRESS: return "procedure_already_in_progress";
	case ATT_ECODE_OUT_OF_RANGE: return "out_of_range";
	default: return "unknown";
	}
}

/* ---- list checks ---------------------------------------------------------- */

/* A non-empty list of entries of n bytes each. */
static bool list_of(size_t list_len, size_t n)
{
	return n && list_len && list_len % n == 0;
}

static bool read_mult_var_ok(const uint8_t *p, size_t n)
{
	struct rd r = rd_init(p, n);
	struct att_len_value e;
	while (att_read_mult_var_next(&r, &e))
		;
	return rd_end(&r);
}

static bool mult_ntf_ok(const uint8_t *p, size_t n)
{
	struct rd r = rd_init(p, n);
	struct att_handle_value e;
	size_t count = 0;
	while (att_mult_ntf_next(&r, &e))
		count++;
	return count > 0 && rd_end(&r);
}

/* ---- decode ----------------------------------------------------------------- */

int att_decode(const uint8_t *pdu, size_t len, struct att_pdu *out)
{
	memset(out, 0, sizeof *out);
	struct rd r = rd_init(pdu, len);
	out->opcode = rd_u8(&r);
	if (!rd_ok(&r))
		return -EBADMSG;
	size_t rest_len = 0;
	const uint8_t *rest;
	bool ok = true; /* list and value checks beyond the reader's */

	switch (out->opcode) {
	case ATT_ERROR_RSP:
		out->error.request_opcode = rd_u8(&r);
		out->error.handle = rd_le16(&r);
		out->error.code = rd_u8(&r);
		break;
	case ATT_EXCHANGE_MTU_REQ:
	case ATT_EXCHANGE_MTU_RSP:
		out->mtu = rd_le16(&r);
		break;
	case ATT_FIND_INFORMATION_REQ:
		out->range.start = rd_le16(&r);
		out->range.end = rd_le16(&r);
		break;
	case ATT_FIND_INFORMATION_RSP:
		out->find_info.format = rd_u8(&r);
		rest = rd_rest(&r, &rest_len);
		out->find_info.list = rest;
		out->find_info.list_len = rest_len;
		ok = (out->find_info.format == ATT_FIND_INFO_FORMAT_16 && list_of(rest_len, 4)) ||
		     (out->find_info.format == ATT_FIND_INFO_FORMAT_128 && list_of(rest_len, 18));
		break;
	case ATT_FIND_BY_TYPE_VALUE_REQ:
		out->find_by_type.start = rd_le16(&r);
		out->find_by_type.end = rd_le16(&r);
		out->find_by_type.type = rd_le16(&r);
		out->find_by_type.value = rd_rest(&r, &out->find_by_type.value_len);
		break;
	case ATT_FIND_BY_TYPE_VALUE_RSP:
		out->handles_info.list = rd_rest(&r, &out->handles_info.list_len);
		ok = list_of(out->handles_info.list_len, 4);
		break;
	case ATT_READ_BY_TYPE_REQ:
	case ATT_READ_BY_GROUP_TYPE_REQ:
		out->type_req.start = rd_le16(&r);
		out->type_req.end = rd_le16(&r);
		att_uuid_read(&r, r.left, &out->type_req.type);
		break;
	case ATT_READ_BY_TYPE_RSP:
	case ATT_READ_BY_GROUP_TYPE_RSP:
		out->data_list.length = rd_u8(&r);
		out->data_list.list = rd_rest(&r, &out->data_list.list_len);
		ok = out->data_list.length >= (out->opcode == ATT_READ_BY_TYPE_RSP ? 2 : 4) &&
		     list_of(out->data_list.list_len, out->data_list.length);
		break;
	case ATT_READ_REQ:
		out->read.handle = rd_le16(&r);
		break;
	case ATT_READ_RSP:
	case ATT_READ_BLOB_RSP:
	case ATT_READ_MULTIPLE_RSP:
		out->value.value = rd_rest(&r, &out->value.len);
		break;
	case ATT_READ_BLOB_REQ:
		out->read_blob.handle = rd_le16(&r);
		out->read_blob.offset = rd_le16(&r);
		break;
	case ATT_READ_MULTIPLE_REQ:
	case ATT_READ_MULTIPLE_VARIABLE_REQ:
		rest = rd_rest(&r, &rest_len);
		out->handles.list = rest;
		out->handles.count = rest_len / 2;
		ok = rest_len >= 4 && rest_len % 2 == 0;
		break;
	case ATT_READ_MULTIPLE_VARIABLE_RSP:
		out->tuples.list = rd_rest(&r, &out->tuples.list_len);
		ok = read_mult_var_ok(out->tuples.list, out->tuples.list_len);
		break;
	case ATT_MULTIPLE_HANDLE_VALUE_NTF:
		out->tuples.list = rd_rest(&r, &out->tuples.list_len);
		ok = mult_ntf_ok(out->tuples.list, out->tuples.list_len);
		break;
	case ATT_WRITE_REQ:
	case ATT_WRITE_CMD:
	case ATT_HANDLE_VALUE_NTF:
	case ATT_HANDLE_VALUE_IND:
		out->hv.handle = rd_le16(&r);
		out->hv.value = rd_rest(&r, &out->hv.len);
		break;
	case ATT_SIGNED_WRITE_CMD:
		out->signed_write.handle = rd_le16(&r);
		if (r.left < ATT_SIGNATURE_LEN) {
			r.bad = true;
			break;
		}
		out->signed_write.len = r.left - ATT_SIGNATURE_LEN;
		out->signed_write.value = rd_ptr(&r, out->signed_write.len);
		rd_copy(&r, out->signed_write.signature, ATT_SIGNATURE_LEN);
		break;
	case ATT_PREPARE_WRITE_REQ:
	case ATT_PREPARE_WRITE_RSP:
		out->prepare.handle = rd_le16(&r);
		out->prepare.offset = rd_le16(&r);
		out->prepare.value = rd_rest(&r, &out->prepare.len);
		break;
	case ATT_EXECUTE_WRITE_REQ:
		out->execute.flags = rd_u8(&r);
		break;
	case ATT_WRITE_RSP:
	case ATT_EXECUTE_WRITE_RSP:
	case ATT_HANDLE_VALUE_CFM:
		break;
	default:
		return -ENOTSUP;
	}
	return ok && rd_end(&r) ? 0 : -EBADMSG;
}

/* ---- encode ------------------------------------------------------------------ */

int att_encode(const struct att_pdu *p, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);
	bool ok = true;
	wr_u8(&w, p->opcode);
	switch (p->opcode) {
	case ATT_ERROR_RSP:
		wr_u8(&w, p->error.request_opcode);
		wr_le16(&w, p->error.handle);
		wr_u8(&w, p->error.code);
		break;
	case ATT_EXCHANGE_MTU_REQ:
	case ATT_EXCHANGE_MTU_RSP:
		wr_le16(&w, p->mtu);
		break;
	case ATT_FIND_INFORMATION_REQ:
		wr_le16(&w, p->range.start);
		wr_le16(&w, p->range.end);
		break;
	case ATT_FIND_INFORMATION_RSP:
		ok = (p->find_info.format == ATT_FIND_INFO_FORMAT_16 &&
		      list_of(p->find_info.list_len, 4)) ||
		     (p->find_info.format == ATT_FIND_INFO_FORMAT_128 &&
		      list_of(p->find_info.list_len, 18));
		wr_u8(&w, p->find_info.format);
		wr_bytes(&w, p->find_info.list, p->find_info.list_len);
		break;
	case ATT_FIND_BY_TYPE_VALUE_REQ:
		wr_le16(&w, p->find_by_type.start);
		wr_le16(&w, p->find_by_type.end);
		wr_le16(&w, p->find_by_type.type);
		wr_bytes(&w, p->find_by_type.value, p->find_by_type.value_len);
		break;
	case ATT_FIND_BY_TYPE_VALUE_RSP:
		ok = list_of(p->handles_info.list_len, 4);
		wr_bytes(&w, p->handles_info.list, p->handles_info.list_len);
		break;
	case ATT_READ_BY_TYPE_REQ:
	case ATT_READ_BY_GROUP_TYPE_REQ:
		ok = p->type_req.type.len == 2 || p->type_req.type.len == 16;
		wr_le16(&w, p->type_req.start);
		wr_le16(&w, p->type_req.end);
		att_uuid_write(&w, &p->type_req.type);
		break;
	case ATT_READ_BY_TYPE_RSP:
	case ATT_READ_BY_GROUP_TYPE_RSP:
		ok = p->data_list.length >= (p->opcode == ATT_READ_BY_TYPE_RSP ? 2 : 4) &&
		     list_of(p->data_list.list_len, p->data_list.length);
		wr_u8(&w, p->data_list.length);
		wr_bytes(&w, p->data_list.list, p->data_list.list_len);
		break;
	case ATT_READ_REQ:
		wr_le16(&w, p->read.handle);
		break;
	case ATT_READ_RSP:
	case ATT_READ_BLOB_RSP:
	case ATT_READ_MULTIPLE_RSP:
		wr_bytes(&w, p->value.value, p->value.len);
		break;
	case ATT_READ_BLOB_REQ:
		wr_le16(&w, p->read_blob.handle);
		wr_le16(&w, p->read_blob.offset);
		break;
	case ATT_READ_MULTIPLE_REQ:
	case ATT_READ_MULTIPLE_VARIABLE_REQ:
		ok = p->handles.count >= 2;
		wr_bytes(&w, p->handles.list, p->handles.count * 2);
		break;
	case ATT_READ_MULTIPLE_VARIABLE_RSP:
		ok = read_mult_var_ok(p->tuples.list, p->tuples.list_len);
		wr_bytes(&w, p->tuples.list, p->tuples.list_len);
		break;
	case ATT_MULTIPLE_HANDLE_VALUE_NTF:
		ok = mult_ntf_ok(p->tuples.list, p->tuples.list_len);
		wr_bytes(&w, p->tuples.list, p->tuples.list_len);
		break;
	case ATT_WRITE_REQ:
	case ATT_WRITE_CMD:
	case ATT_HANDLE_VALUE_NTF:
	case ATT_HANDLE_VALUE_IND:
		wr_le16(&w, p->hv.handle);
		wr_bytes(&w, p->hv.value, p->hv.len);
		break;
	case ATT_SIGNED_WRITE_CMD:
		wr_le16(&w, p->signed_write.handle);
		wr_bytes(&w, p->signed_write.value, p->signed_write.len);
		wr_bytes(&w, p->signed_write.signature, ATT_SIGNATURE_LEN);
		break;
	case ATT_PREPARE_WRITE_REQ:
	case ATT_PREPARE_WRITE_RSP:
		wr_le16(&w, p->prepare.handle);
		wr_le16(&w, p->prepare.offset);
		wr_bytes(&w, p->prepare.value, p->prepare.len);
		break;
	case ATT_EXECUTE_WRITE_REQ:
		wr_u8(&w, p->execute.flags);
		break;
	case ATT_WRITE_RSP:
	case ATT_EXECUTE_WRITE_RSP:
	case ATT_HANDLE_VALUE_CFM:
		break;
	default:
		return -ENOTSUP;
	}
	if (!ok)
		return -EINVAL;
	return wr_ok(&w) ? (int)w.len : -EMSGSIZE;
}

int att_encode_error_rsp(uint8_t *buf, size_t cap, uint8_t request_opcode, uint16_t handle,
			 uint8_t code)
{
	struct att_pdu p = { .opcode = ATT_ERROR_RSP,
			     .error = { .request_opcode = request_opcode,
					.handle = handle,
					.code = code } };
	return att_encode(&p, buf, cap);
}

/* ---- iterators ---------------------------------------------------------------- */

bool att_find_info_next(struct rd *r, uint8_t format, struct att_info_entry *e)
{
	if (!rd_ok(r) || !r->left)
		return false;
	e->handle = rd_le16(r);
	att_uuid_read(r, format == ATT_FIND_INFO_FORMAT_128 ? 16 : 2, &e->type);
	return rd_ok(r);
}

bool att_handles_info_next(struct rd *r, struct att_handles_info *e)
{
	if (!rd_ok(r) || !r->left)
		return false;
	e->found = rd_le16(r);
	e->group_end = rd_le16(r);
	return rd_ok(r);
}

bool att_read_by_type_next(struct rd *r, uint8_t length, struct att_type_entry *e)
{
	if (!rd_ok(r) || !r->left || length < 2)
		return false;
	e->handle = rd_le16(r);
	e->len = length - 2u;
	e->value = rd_ptr(r, e->len);
	return rd_ok(r);
}

bool att_read_by_group_type_next(struct rd *r, uint8_t length, struct att_group_entry *e)
{
	if (!rd_ok(r) || !r->left || length < 4)
		return false;
	e->handle = rd_le16(r);
	e->end = rd_le16(r);
	e->len = length - 4u;
	e->value = rd_ptr(r, e->len);
	return rd_ok(r);
}

bool att_handle_set_next(struct rd *r, uint16_t *handle)
{
	if (!rd_ok(r) || !r->left)
		return false;
	*handle = rd_le16(r);
	return rd_ok(r);
}

bool att_read_mult_var_next(struct rd *r, struct att_len_value *e)
{
	if (!rd_ok(r) || !r->left)
		return false;
	e->value_len = rd_le16(r);
	if (!rd_ok(r))
		return false;
	/* Only the last tuple may be shorter than its length says. */
	e->len = r->left < e->value_len ? r->left : e->value_len;
	e->value = rd_ptr(r, e->len);
	return rd_ok(r);
}

bool att_mult_ntf_next(struct rd *r, struct att_handle_value *e)
{
	if (!rd_ok(r) || !r->left)
		return false;
	e->handle = rd_le16(r);
	e->len = rd_le16(r);
	e->value = rd_ptr(r, e->len);
	return rd_ok(r);
}
