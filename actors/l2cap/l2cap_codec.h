/* L2CAP codec: the basic frame header and every LE signaling PDU (Core
 * Vol 3 Part A, sections 3 and 4), bytes to structs and back.
 *
 * Pure: no allocation, no globals, no I/O. Every read goes through the
 * bounds-checked reader of hive_bytes.h; a decoder never trusts a length it
 * has not checked against the bytes it holds. Decoded structs point into the
 * caller's bytes (l2cap_frame.payload) or copy the fields out.
 */
#ifndef L2CAP_CODEC_H
#define L2CAP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive_bytes.h"

#define L2CAP_BASIC_HDR_LEN 4
#define L2CAP_SIG_HDR_LEN 4

/* Channel identifiers on an LE-U logical link. */
#define L2CAP_CID_NULL 0x0000
#define L2CAP_CID_BREDR_SIGNALING 0x0001
#define L2CAP_CID_ATT 0x0004
#define L2CAP_CID_LE_SIGNALING 0x0005
#define L2CAP_CID_SMP 0x0006
#define L2CAP_CID_SMP_BREDR 0x0007
#define L2CAP_CID_DYN_MIN 0x0040
#define L2CAP_CID_DYN_MAX 0x007F
#define L2CAP_CID_IS_DYNAMIC(c) ((c) >= L2CAP_CID_DYN_MIN && (c) <= L2CAP_CID_DYN_MAX)

/* The LE signaling MTU's default and minimum (MTUsig, section 4). */
#define L2CAP_LE_MTU_SIG 23
/* LE credit based flow control mode limits (section 4.22-4.23). */
#define L2CAP_LE_MTU_MIN 23
#define L2CAP_LE_MPS_MIN 23
#define L2CAP_LE_MPS_MAX 65533
/* Enhanced credit based flow control mode (section 4.25-4.28). */
#define L2CAP_ECRED_MTU_MIN 64
#define L2CAP_ECRED_MPS_MIN 64
#define L2CAP_ECRED_CIDS_MAX 5
/* The SDU length field that starts the first K-frame of an SDU. */
#define L2CAP_SDU_LEN_SIZE 2
/* LE SPSM ranges. */
#define L2CAP_SPSM_MIN 0x0001
#define L2CAP_SPSM_MAX 0x00FF

/* Signaling command codes used on the LE signaling channel. */
enum l2cap_sig_code {
	L2CAP_COMMAND_REJECT = 0x01,
	L2CAP_DISCONNECTION_REQUEST = 0x06,
	L2CAP_DISCONNECTION_RESPONSE = 0x07,
	L2CAP_CONNECTION_PARAMETER_UPDATE_REQUEST = 0x12,
	L2CAP_CONNECTION_PARAMETER_UPDATE_RESPONSE = 0x13,
	L2CAP_LE_CREDIT_BASED_CONNECTION_REQUEST = 0x14,
	L2CAP_LE_CREDIT_BASED_CONNECTION_RESPONSE = 0x15,
	L2CAP_FLOW_CONTROL_CREDIT_IND = 0x16,
	L2CAP_CREDIT_BASED_CONNECTION_REQUEST = 0x17,
	L2CAP_CREDIT_BASED_CONNECTION_RESPONSE = 0x18,
	L2CAP_CREDIT_BASED_RECONFIGURE_REQUEST = 0x19,
	L2CAP_CREDIT_BASED_RECONFIGURE_RESPONSE = 0x1A,
};

/* Command Reject reasons (section 4.1). */
enum l2cap_reject_reason {
	L2CAP_REJ_NOT_UNDERSTOOD = 0x0000,
	L2CAP_REJ_SIG_MTU_EXCEEDED = 0x0001,
	L2CAP_REJ_INVALID_CID = 0x0002,
};

/* Connection Parameter Update Response results (section 4.21). */
enum l2cap_cpu_result {
	L2CAP_CPU_ACCEPTED = 0x0000,
	L2CAP_CPU_REJECTED = 0x0001,
};

/* LE Credit Based Connection Response results (section 4.23). */
enum l2cap_le_result {
	L2CAP_LE_SUCCESS = 0x0000,
	L2CAP_LE_SPSM_NOT_SUPPORTED = 0x0002,
	L2CAP_LE_NO_RESOURCES = 0x0004,
	L2CAP_LE_INSUFFICIENT_AUTHENTICATION = 0x0005,
	L2CAP_LE_INSUFFICIENT_AUTHORIZATION = 0x0006,
	L2CAP_LE_KEY_SIZE_TOO_SHORT = 0x0007,
	L2CAP_LE_INSUFFICIENT_ENCRYPTION = 0x0008,
	L2CAP_LE_INVALID_SOURCE_CID = 0x0009,
	L2CAP_LE_SOURCE_CID_ALREADY_ALLOCATED = 0x000A,
	L2CAP_LE_UNACCEPTABLE_PARAMETERS = 0x000B,
};

/* Credit Based Connection Response results (section 4.26). */
enum l2cap_ecred_result {
	L2CAP_ECRED_SUCCESS = 0x0000,
	L2CAP_ECRED_SPSM_NOT_SUPPORTED = 0x0002,
	L2CAP_ECRED_SOME_NO_RESOURCES = 0x0004,
	L2CAP_ECRED_INSUFFICIENT_AUTHENTICATION = 0x0005,
	L2CAP_ECRED_INSUFFICIENT_AUTHORIZATION = 0x0006,
	L2CAP_ECRED_KEY_SIZE_TOO_SHORT = 0x0007,
	L2CAP_ECRED_INSUFFICIENT_ENCRYPTION = 0x0008,
	L2CAP_ECRED_SOME_INVALID_SOURCE_CID = 0x0009,
	L2CAP_ECRED_SOME_SOURCE_CID_ALREADY_ALLOCATED = 0x000A,
	L2CAP_ECRED_UNACCEPTABLE_PARAMETERS = 0x000B,
	L2CAP_ECRED_INVALID_PARAMETERS = 0x000C,
	L2CAP_ECRED_PENDING = 0x000D,
	L2CAP_ECRED_PENDING_AUTHENTICATION = 0x000E,
	L2CAP_ECRED_PENDING_AUTHORIZATION = 0x000F,
};

/* Credit Based Reconfigure Response results (section 4.28). */
enum l2cap_reconf_result {
	L2CAP_RECONF_SUCCESS = 0x0000,
	L2CAP_RECONF_MTU_REDUCTION = 0x0001,
	L2CAP_RECONF_MPS_REDUCTION = 0x0002,
	L2CAP_RECONF_INVALID_DCID = 0x0003,
	L2CAP_RECONF_UNACCEPTABLE_PARAMETERS = 0x0004,
};

/* A basic L2CAP frame; payload points into the decoded bytes. */
struct l2cap_frame {
	uint16_t cid;
	uint16_t len;
	const uint8_t *payload;
};

struct l2cap_command_reject {
	uint16_t reason;
	uint16_t mtu;        /* L2CAP_REJ_SIG_MTU_EXCEEDED: the actual MTUsig */
	uint16_t local_cid;  /* L2CAP_REJ_INVALID_CID: relative to the rejecter */
	uint16_t remote_cid;
};

/* Disconnection Request and Response share one shape. */
struct l2cap_disconnection {
	uint16_t dcid;
	uint16_t scid;
};

struct l2cap_connection_parameter_update_request {
	uint16_t interval_min; /* 1.25 ms units */
	uint16_t interval_max;
	uint16_t latency;      /* connection events */
	uint16_t timeout;      /* 10 ms units */
};

/* A response carrying only a result (Connection Parameter Update Response,
 * Credit Based Reconfigure Response). */
struct l2cap_result_response {
	uint16_t result;
};

struct l2cap_le_credit_based_connection_request {
	uint16_t spsm;
	uint16_t scid;
	uint16_t mtu;
	uint16_t mps;
	uint16_t credits;
};

struct l2cap_le_credit_based_connection_response {
	uint16_t dcid;
	uint16_t mtu;
	uint16_t mps;
	uint16_t credits;
	uint16_t result;
};

struct l2cap_flow_control_credit_ind {
	uint16_t cid;
	uint16_t credits;
};

struct l2cap_credit_based_connection_request {
	uint16_t spsm;
	uint16_t mtu;
	uint16_t mps;
	uint16_t credits;
	uint8_t ncid; /* 1..5 */
	uint16_t scid[L2CAP_ECRED_CIDS_MAX];
};

struct l2cap_credit_based_connection_response {
	uint16_t mtu;
	uint16_t mps;
	uint16_t credits;
	uint16_t result;
	uint8_t ncid; /* 0..5 */
	uint16_t dcid[L2CAP_ECRED_CIDS_MAX];
};

struct l2cap_credit_based_reconfigure_request {
	uint16_t mtu;
	uint16_t mps;
	uint8_t ncid; /* 1..5 */
	uint16_t dcid[L2CAP_ECRED_CIDS_MAX];
};

/* One signaling command: header fields and the decoded data. */
struct l2cap_sig {
	uint8_t code;
	uint8_t ident;
	union {
		struct l2cap_command_reject command_reject;
		struct l2cap_disconnection disconnection;
		struct l2cap_connection_parameter_update_request cpu_request;
		struct l2cap_result_response result;
		struct l2cap_le_credit_based_connection_request le_conn_request;
		struct l2cap_le_credit_based_connection_response le_conn_response;
		struct l2cap_flow_control_credit_ind credit_ind;
		struct l2cap_credit_based_connection_request ecred_conn_request;
		struct l2cap_credit_based_connection_response ecred_conn_response;
		struct l2cap_credit_based_reconfigure_request reconf_request;
	} u;
};

/* ---- basic frame --------------------------------------------------------------- */

/* Decodes a complete basic frame. Returns 0, or -EBADMSG when the bytes are
 * fewer than the header or disagree with its length. */
int l2cap_frame_decode(const uint8_t *p, size_t len, struct l2cap_frame *f);
/* Writes the 4-byte basic header for a payload of len bytes. */
void l2cap_frame_header_write(struct wr *w, uint16_t cid, uint16_t len);

/* ---- signaling ---------------------------------------------------------------- */

/* Reads the 4-byte signaling command header. Returns 0, or -EBADMSG when
 * fewer than 4 bytes are left or the length disagrees with the bytes that
 * follow (on LE one C-frame holds one command). code and ident are set
 * whenever the first two bytes are there. */
int l2cap_sig_header_decode(const uint8_t *p, size_t len, uint8_t *code, uint8_t *ident,
			    uint16_t *data_len);
/* Decodes the data of a command of the given code into s->u. Returns 0,
 * -ENOTSUP for a code this codec does not know, -EPROTO when the data has
 * the wrong length or shape for its code (ECRED lists of 0 or more than 5
 * CIDs included). */
int l2cap_sig_data_decode(uint8_t code, const uint8_t *p, size_t len, struct l2cap_sig *s);
/* Both of the above on one C-frame payload. */
int l2cap_sig_decode(const uint8_t *p, size_t len, struct l2cap_sig *s);

/* Encodes one command (header and data) into w. Returns 0, -EINVAL for an
 * unknown code or a CID count out of range, -EMSGSIZE when it does not fit. */
int l2cap_sig_encode(struct wr *w, const struct l2cap_sig *s);

/* The smallest data length of a command of this code, or -1 when unknown. */
int l2cap_sig_min_len(uint8_t code);

/* Names for logs. */
const char *l2cap_sig_name(uint8_t code);
const char *l2cap_le_result_str(uint16_t result);
const char *l2cap_reject_reason_str(uint16_t reason);

#endif
