/* ATT PDUs (Core Vol 3 Part F 3.4): bytes to structs and back.
 *
 * Pure: no allocation, no globals, no I/O. A decoded PDU points into the
 * caller's bytes (values and lists are not copied), so it lives as long as
 * those bytes. Lists in responses stay as raw bytes with their entry size;
 * iterate them with the att_*_next() functions. Every decoder checks every
 * length against the bytes it holds and fails with -EBADMSG on anything
 * short, long or inconsistent.
 */
#ifndef HIVE_ATT_CODEC_H
#define HIVE_ATT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive_bytes.h"

/* ---- opcodes ------------------------------------------------------------- */
enum att_opcode {
	ATT_ERROR_RSP = 0x01,
	ATT_EXCHANGE_MTU_REQ = 0x02,
	ATT_EXCHANGE_MTU_RSP = 0x03,
	ATT_FIND_INFORMATION_REQ = 0x04,
	ATT_FIND_INFORMATION_RSP = 0x05,
	ATT_FIND_BY_TYPE_VALUE_REQ = 0x06,
	ATT_FIND_BY_TYPE_VALUE_RSP = 0x07,
	ATT_READ_BY_TYPE_REQ = 0x08,
	ATT_READ_BY_TYPE_RSP = 0x09,
	ATT_READ_REQ = 0x0a,
	ATT_READ_RSP = 0x0b,
	ATT_READ_BLOB_REQ = 0x0c,
	ATT_READ_BLOB_RSP = 0x0d,
	ATT_READ_MULTIPLE_REQ = 0x0e,
	ATT_READ_MULTIPLE_RSP = 0x0f,
	ATT_READ_BY_GROUP_TYPE_REQ = 0x10,
	ATT_READ_BY_GROUP_TYPE_RSP = 0x11,
	ATT_WRITE_REQ = 0x12,
	ATT_WRITE_RSP = 0x13,
	ATT_PREPARE_WRITE_REQ = 0x16,
	ATT_PREPARE_WRITE_RSP = 0x17,
	ATT_EXECUTE_WRITE_REQ = 0x18,
	ATT_EXECUTE_WRITE_RSP = 0x19,
	ATT_HANDLE_VALUE_NTF = 0x1b,
	ATT_HANDLE_VALUE_IND = 0x1d,
	ATT_HANDLE_VALUE_CFM = 0x1e,
	ATT_READ_MULTIPLE_VARIABLE_REQ = 0x20,
	ATT_READ_MULTIPLE_VARIABLE_RSP = 0x21,
	ATT_MULTIPLE_HANDLE_VALUE_NTF = 0x23,
	ATT_WRITE_CMD = 0x52,
	ATT_SIGNED_WRITE_CMD = 0xd2,
};

/* Opcode bits (Vol 3 Part F 3.3.1). */
#define ATT_OP_COMMAND_FLAG 0x40
#define ATT_OP_SIGNED_FLAG 0x80

/* What a PDU is, from the receiver's point of view. */
enum att_kind {
	ATT_REQ = 1, /* answered by a response or an Error Response */
	ATT_RSP,     /* answers a request */
	ATT_CMD,     /* never answered */
	ATT_NTF,     /* server to client, never answered */
	ATT_IND,     /* server to client, answered by a confirmation */
	ATT_CFM,     /* client to server, answers an indication */
};

/* ---- error codes (Vol 3 Part F 3.4.1.1, Part G and CSS Part B 1.2) ------- */
enum att_error {
	ATT_ECODE_INVALID_HANDLE = 0x01,
	ATT_ECODE_READ_NOT_PERMITTED = 0x02,
	ATT_ECODE_WRITE_NOT_PERMITTED = 0x03,
	ATT_ECODE_INVALID_PDU = 0x04,
	ATT_ECODE_INSUFFICIENT_AUTHENTICATION = 0x05,
	ATT_ECODE_REQUEST_NOT_SUPPORTED = 0x06,
	ATT_ECODE_INVALID_OFFSET = 0x07,
	ATT_ECODE_INSUFFICIENT_AUTHORIZATION = 0x08,
	ATT_ECODE_PREPARE_QUEUE_FULL = 0x09,
	ATT_ECODE_ATTRIBUTE_NOT_FOUND = 0x0a,
	ATT_ECODE_ATTRIBUTE_NOT_LONG = 0x0b,
	ATT_ECODE_INSUFFICIENT_ENCRYPTION_KEY_SIZE = 0x0c,
	ATT_ECODE_INVALID_ATTRIBUTE_VALUE_LENGTH = 0x0d,
	ATT_ECODE_UNLIKELY_ERROR = 0x0e,
	ATT_ECODE_INSUFFICIENT_ENCRYPTION = 0x0f,
	ATT_ECODE_UNSUPPORTED_GROUP_TYPE = 0x10,
	ATT_ECODE_INSUFFICIENT_RESOURCES = 0x11,
	ATT_ECODE_DATABASE_OUT_OF_SYNC = 0x12,
	ATT_ECODE_VALUE_NOT_ALLOWED = 0x13,
	/* Common Profile and Service Error Codes (CSS Part B 1.2). */
	ATT_ECODE_WRITE_REQUEST_REJECTED = 0xfc,
	ATT_ECODE_CCCD_IMPROPERLY_CONFIGURED = 0xfd,
	ATT_ECODE_PROCEDURE_ALREADY_IN_PROGRESS = 0xfe,
	ATT_ECODE_OUT_OF_RANGE = 0xff,
};

#define ATT_DEFAULT_LE_MTU 23
#define ATT_MAX_MTU 517
#define ATT_MAX_VALUE_LEN 512
#define ATT_SIGNATURE_LEN 12

/* ---- UUIDs ---------------------------------------------------------------- */
/* A UUID as it travels: 2 or 16 bytes, little-endian. 16-bit UUIDs compare
 * equal to their expansion on the Bluetooth Base UUID. */
struct att_uuid {
	uint8_t len; /* 2 or 16 */
	uint8_t b[16];
};

struct att_uuid att_uuid16(uint16_t v);
/* True when u is 16 bits (or a 128-bit UUID on the base) equal to v. */
bool att_uuid_is(const struct att_uuid *u, uint16_t v);
bool att_uuid_eq(const struct att_uuid *a, const struct att_uuid *b);
/* The 128-bit little-endian form of any UUID. */
void att_uuid_to128(const struct att_uuid *u, uint8_t out[16]);
/* A 128-bit UUID on the base becomes 16 bits; others are left alone. */
struct att_uuid att_uuid_shorten(const struct att_uuid *u);
/* Reads a 2- or 16-byte UUID of length n; false (reader bad) otherwise. */
bool att_uuid_read(struct rd *r, size_t n, struct att_uuid *u);
void att_uuid_write(struct wr *w, const struct att_uuid *u);

/* ---- PDU parameters --------------------------------------------------------- */
struct att_error_rsp {
	uint8_t request_opcode;
	uint16_t handle;
	uint8_t code;
};

struct att_handle_range {
	uint16_t start;
	uint16_t end;
};

/* Find Information Response: format 1 (handle, 16-bit UUID) or 2 (handle,
 * 128-bit UUID). */
#define ATT_FIND_INFO_FORMAT_16 1
#define ATT_FIND_INFO_FORMAT_128 2
struct att_find_information_rsp {
	uint8_t format;
	const uint8_t *list; /* entries of 4 or 18 bytes */
	size_t list_len;
};

struct att_find_by_type_value_req {
	uint16_t start;
	uint16_t end;
	uint16_t type;
	const uint8_t *value;
	size_t value_len;
};

/* Find By Type Value Response: (found handle, group end handle) pairs. */
struct att_handles_info_list {
	const uint8_t *list;
	size_t list_len;
};

/* Read By Type Request and Read By Group Type Request. */
struct att_type_req {
	uint16_t start;
	uint16_t end;
	struct att_uuid type;
};

/* Read By Type Response (entry: handle, value) and Read By Group Type
 * Response (entry: handle, end group handle, value): all entries of one
 * length. */
struct att_data_list {
	uint8_t length;
	const uint8_t *list;
	size_t list_len;
};

struct att_handle_req {
	uint16_t handle;
};

/* A bare value: Read, Read Blob and Read Multiple Responses. */
struct att_value {
	const uint8_t *value;
	size_t len;
};

struct att_read_blob_req {
	uint16_t handle;
	uint16_t offset;
};

/* Read Multiple (Variable) Request: a set of two or more handles. */
struct att_handle_set {
	const uint8_t *list;
	size_t count;
};

/* Read Multiple Variable Response: (length, value) tuples; the last value
 * may be truncated. Multiple Handle Value Notification: (handle, length,
 * value) tuples, none truncated. */
struct att_tuple_list {
	const uint8_t *list;
	size_t list_len;
};

/* Write Request, Write Command, Handle Value Notification and Indication. */
struct att_handle_value {
	uint16_t handle;
	const uint8_t *value;
	size_t len;
};

struct att_signed_write_cmd {
	uint16_t handle;
	const uint8_t *value;
	size_t len;
	uint8_t signature[ATT_SIGNATURE_LEN];
};

/* Prepare Write Request and Response. */
struct att_prepare_write {
	uint16_t handle;
	uint16_t offset;
	const uint8_t *value;
	size_t len;
};

#define ATT_EXEC_WRITE_CANCEL 0x00
#define ATT_EXEC_WRITE_WRITE 0x01
struct att_execute_write_req {
	uint8_t flags;
};

struct att_pdu {
	uint8_t opcode;
	union {
		struct att_error_rsp error;
		uint16_t mtu; /* Exchange MTU Request and Response */
		struct att_handle_range range; /* Find Information Request */
		struct att_find_information_rsp find_info;
		struct att_find_by_type_value_req find_by_type;
		struct att_handles_info_list handles_info;
		struct att_type_req type_req; /* Read By (Group) Type Request */
		struct att_data_list data_list; /* Read By (Group) Type Response */
		struct att_handle_req read;
		struct att_value value; /* Read, Read Blob, Read Multiple Rsp */
		struct att_read_blob_req read_blob;
		struct att_handle_set handles; /* Read Multiple (Variable) Request */
		struct att_tuple_list tuples; /* Read Mult Var Rsp, Mult Handle Value Ntf */
		struct att_handle_value hv; /* Write Req/Cmd, Notification, Indication */
		struct att_signed_write_cmd signed_write;
		struct att_prepare_write prepare;
		struct att_execute_write_req execute;
	};
};

/* ---- the opcode table --------------------------------------------------- */
struct att_opcode_info {
	uint8_t opcode;
	enum att_kind kind;
	uint8_t min_len; /* including the opcode */
	const char *name;
};

/* The entry of a known opcode, or NULL. */
const struct att_opcode_info *att_opcode_lookup(uint8_t opcode);
/* All known opcodes, sorted; *n gets the count. */
const struct att_opcode_info *att_opcode_table(size_t *n);
/* "att_read_request", or "att_unknown". */
const char *att_opcode_name(uint8_t opcode);
/* "invalid_handle", ..., or "unknown". */
const char *att_error_name(uint8_t code);
/* The kind of any opcode: known ones from the table, unknown ones by the
 * command flag (ATT_CMD) or else ATT_REQ. */
enum att_kind att_opcode_kind(uint8_t opcode);

/* ---- decode and encode ----------------------------------------------------- */

/* Decodes one PDU. Returns 0, -EBADMSG when malformed, or -ENOTSUP for an
 * unknown opcode (out->opcode is set in both failure cases when len > 0). */
int att_decode(const uint8_t *pdu, size_t len, struct att_pdu *out);

/* Encodes one PDU into buf. Returns its length, -EMSGSIZE when it does not
 * fit, -EINVAL when the struct is not encodable (bad format, bad list), or
 * -ENOTSUP for an unknown opcode. */
int att_encode(const struct att_pdu *p, uint8_t *buf, size_t cap);

/* Convenience encoders of the PDUs a server sends most. Return the length
 * or -EMSGSIZE. */
int att_encode_error_rsp(uint8_t *buf, size_t cap, uint8_t request_opcode, uint16_t handle,
			 uint8_t code);

/* ---- list iterators ---------------------------------------------------------
 * Each takes a reader over the list and returns true with the next entry, or
 * false at the end. Lists were checked by att_decode(). */
struct att_info_entry {
	uint16_t handle;
	struct att_uuid type;
};
bool att_find_info_next(struct rd *r, uint8_t format, struct att_info_entry *e);

struct att_handles_info {
	uint16_t found;
	uint16_t group_end;
};
bool att_handles_info_next(struct rd *r, struct att_handles_info *e);

/* Read By Type Response entries. */
struct att_type_entry {
	uint16_t handle;
	const uint8_t *value;
	size_t len;
};
bool att_read_by_type_next(struct rd *r, uint8_t length, struct att_type_entry *e);

/* Read By Group Type Response entries. */
struct att_group_entry {
	uint16_t handle;
	uint16_t end;
	const uint8_t *value;
	size_t len;
};
bool att_read_by_group_type_next(struct rd *r, uint8_t length, struct att_group_entry *e);

bool att_handle_set_next(struct rd *r, uint16_t *handle);

/* Read Multiple Variable Response tuples: value_len is the length field,
 * len what the PDU holds (shorter only for a truncated last tuple). */
struct att_len_value {
	uint16_t value_len;
	const uint8_t *value;
	size_t len;
};
bool att_read_mult_var_next(struct rd *r, struct att_len_value *e);

bool att_mult_ntf_next(struct rd *r, struct att_handle_value *e);

#endif
