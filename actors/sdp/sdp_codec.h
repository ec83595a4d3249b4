/* SDP PDUs (Core Vol 3 Part B 4): bytes to structs and back.
 *
 * Pure: no allocation, no globals, no I/O. Decoders read through the
 * bounds-checked reader and return 0 or the SDP error code the request
 * deserves (SDP_ERR_*), so the server can answer with it unchanged.
 * Decoded structs point into the PDU they were decoded from.
 *
 * Every PDU: PDU ID (1), Transaction ID (2), ParameterLength (2), then
 * ParameterLength bytes of parameters; all numbers are big-endian.
 */
#ifndef SDP_CODEC_H
#define SDP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp_de.h"

enum sdp_pdu_id {
	SDP_ERROR_RSP = 0x01,
	SDP_SERVICE_SEARCH_REQ = 0x02,
	SDP_SERVICE_SEARCH_RSP = 0x03,
	SDP_SERVICE_ATTR_REQ = 0x04,
	SDP_SERVICE_ATTR_RSP = 0x05,
	SDP_SERVICE_SEARCH_ATTR_REQ = 0x06,
	SDP_SERVICE_SEARCH_ATTR_RSP = 0x07,
};

/* Error codes of the Error Response. */
enum sdp_error {
	SDP_ERR_NONE = 0x0000,
	SDP_ERR_UNSUPPORTED_VERSION = 0x0001,
	SDP_ERR_INVALID_HANDLE = 0x0002,
	SDP_ERR_INVALID_SYNTAX = 0x0003,
	SDP_ERR_INVALID_PDU_SIZE = 0x0004,
	SDP_ERR_INVALID_CONTINUATION = 0x0005,
	SDP_ERR_INSUFFICIENT_RESOURCES = 0x0006,
};

#define SDP_HDR_LEN 5
#define SDP_CONT_MAX 16
/* The most UUIDs a ServiceSearchPattern may hold. */
#define SDP_PATTERN_MAX 12
/* The most IDs and ranges we take in one AttributeIDList. */
#define SDP_ID_LIST_MAX 256
/* The smallest MaximumAttributeByteCount a request may give. */
#define SDP_MIN_ATTR_BYTE_COUNT 7

struct sdp_hdr {
	uint8_t pdu_id;
	uint16_t tid;
	uint16_t plen;
};

struct sdp_cont {
	uint8_t len; /* 0: no continuation */
	uint8_t b[SDP_CONT_MAX];
};

struct sdp_pattern {
	uint8_t n;
	struct sdp_uuid uuid[SDP_PATTERN_MAX];
};

/* One AttributeIDList entry: a single ID (lo == hi, range false) or a
 * range lo..hi inclusive. */
struct sdp_id_range {
	uint16_t lo, hi;
	bool range;
};

struct sdp_id_list {
	uint16_t n;
	struct sdp_id_range r[SDP_ID_LIST_MAX];
};

struct sdp_service_search_req {
	struct sdp_pattern pattern;
	uint16_t max_records;
	struct sdp_cont cont;
};

struct sdp_service_attr_req {
	uint32_t handle;
	uint16_t max_bytes;
	struct sdp_id_list ids;
	struct sdp_cont cont;
};

struct sdp_service_search_attr_req {
	struct sdp_pattern pattern;
	uint16_t max_bytes;
	struct sdp_id_list ids;
	struct sdp_cont cont;
};

struct sdp_service_search_rsp {
	uint16_t total;
	uint16_t current;
	const uint8_t *handles; /* current big-endian 32-bit handles */
	struct sdp_cont cont;
};

/* ServiceAttributeResponse and ServiceSearchAttributeResponse. */
struct sdp_attr_rsp {
	uint16_t count; /* AttributeList(s)ByteCount */
	const uint8_t *bytes;
	struct sdp_cont cont;
};

/* What a request's parameters are, apart from the continuation state:
 * the bytes a continuation must be asked with again. */
struct sdp_req_key {
	const uint8_t *p;
	size_t len;
};

/* ---- header, names -------------------------------------------------------- */

/* Reads the header and checks ParameterLength against the bytes held.
 * Returns 0, or SDP_ERR_INVALID_PDU_SIZE (hdr holds what could be read). */
int sdp_decode_hdr(const uint8_t *pdu, size_t len, struct sdp_hdr *hdr);
const char *sdp_pdu_name(uint8_t pdu_id);
const char *sdp_error_name(uint16_t code);
/* The 32-bit handle i of a ServiceSearchResponse's list. */
uint32_t sdp_rsp_handle(const struct sdp_service_search_rsp *r, unsigned i);

/* ---- requests: params are the bytes after the header ----------------------- */

int sdp_decode_service_search_req(const uint8_t *params, size_t len,
				  struct sdp_service_search_req *out, struct sdp_req_key *key);
int sdp_decode_service_attr_req(const uint8_t *params, size_t len,
				struct sdp_service_attr_req *out, struct sdp_req_key *key);
int sdp_decode_service_search_attr_req(const uint8_t *params, size_t len,
				       struct sdp_service_search_attr_req *out,
				       struct sdp_req_key *key);

/* Encoders write a whole PDU into w (check wr_ok). */
void sdp_encode_service_search_req(struct wr *w, uint16_t tid,
				   const struct sdp_service_search_req *q);
void sdp_encode_service_attr_req(struct wr *w, uint16_t tid, const struct sdp_service_attr_req *q);
void sdp_encode_service_search_attr_req(struct wr *w, uint16_t tid,
					const struct sdp_service_search_attr_req *q);

/* ---- responses ------------------------------------------------------------- */

void sdp_encode_error_rsp(struct wr *w, uint16_t tid, uint16_t code);
/* handles: n handles in host order. */
void sdp_encode_service_search_rsp(struct wr *w, uint16_t tid, uint16_t total,
				   const uint32_t *handles, uint16_t n,
				   const struct sdp_cont *cont);
/* pdu_id: SDP_SERVICE_ATTR_RSP or SDP_SERVICE_SEARCH_ATTR_RSP. */
void sdp_encode_attr_rsp(struct wr *w, uint8_t pdu_id, uint16_t tid, const uint8_t *bytes,
			 uint16_t n, const struct sdp_cont *cont);

/* Decoders of responses (for clients and tests); 0 or an SDP_ERR_*. */
int sdp_decode_error_rsp(const uint8_t *params, size_t len, uint16_t *code);
int sdp_decode_service_search_rsp(const uint8_t *params, size_t len,
				  struct sdp_service_search_rsp *out);
int sdp_decode_attr_rsp(const uint8_t *params, size_t len, struct sdp_attr_rsp *out);

#endif
