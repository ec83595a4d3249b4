/* L2CAP codec, BR/EDR part: the signaling commands of the ACL-U signaling
 * channel (CID 0x0001, Core Vol 3 Part A 4.1-4.11) and the configuration
 * options of a basic-mode channel (section 5), bytes to structs and back.
 *
 * Pure: no allocation, no globals, no I/O. Every read goes through the
 * bounds-checked reader of hive_bytes.h. Decoded structs point into the
 * caller's bytes (options, echo data, information data).
 *
 * One C-frame on ACL-U may hold several commands: l2cap_bredr_sig_next()
 * takes them one at a time. Command Reject and Disconnection Request and
 * Response have the same shape as on LE and use l2cap_codec.h's structs.
 */
#ifndef L2CAP_CODEC_BREDR_H
#define L2CAP_CODEC_BREDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive_bytes.h"
#include "l2cap_codec.h"

/* MTUsig on ACL-U: at least 48 (section 4); ours by default is 672. */
#define L2CAP_BREDR_MTU_SIG_MIN 48
#define L2CAP_BREDR_MTU_SIG_DEFAULT 672
/* A basic-mode channel's MTU: at least 48, 672 when not configured (5.1). */
#define L2CAP_BREDR_MTU_MIN 48
#define L2CAP_BREDR_MTU_DEFAULT 672
/* BR/EDR dynamic CIDs: 0x0040..0xFFFF. */
#define L2CAP_BREDR_CID_IS_DYNAMIC(c) ((c) >= 0x0040)
/* A valid PSM: odd, and the least significant bit of its upper octet 0. */
#define L2CAP_PSM_VALID(p) (((p) & 0x0001) && !((p) & 0x0100))
#define L2CAP_PSM_SDP 0x0001

enum l2cap_bredr_sig_code {
	L2CAP_CONNECTION_REQUEST = 0x02,
	L2CAP_CONNECTION_RESPONSE = 0x03,
	L2CAP_CONFIGURATION_REQUEST = 0x04,
	L2CAP_CONFIGURATION_RESPONSE = 0x05,
	L2CAP_ECHO_REQUEST = 0x08,
	L2CAP_ECHO_RESPONSE = 0x09,
	L2CAP_INFORMATION_REQUEST = 0x0A,
	L2CAP_INFORMATION_RESPONSE = 0x0B,
};

/* Connection Response results and status (section 4.3). */
enum l2cap_conn_result {
	L2CAP_CONN_SUCCESS = 0x0000,
	L2CAP_CONN_PENDING = 0x0001,
	L2CAP_CONN_PSM_NOT_SUPPORTED = 0x0002,
	L2CAP_CONN_SECURITY_BLOCK = 0x0003,
	L2CAP_CONN_NO_RESOURCES = 0x0004,
	L2CAP_CONN_INVALID_SCID = 0x0006,
	L2CAP_CONN_SCID_ALREADY_ALLOCATED = 0x0007,
};

enum l2cap_conn_status {
	L2CAP_CONN_STATUS_NONE = 0x0000,
	L2CAP_CONN_STATUS_AUTHENTICATION_PENDING = 0x0001,
	L2CAP_CONN_STATUS_AUTHORIZATION_PENDING = 0x0002,
};

/* Configuration Response results (section 4.5). */
enum l2cap_conf_result {
	L2CAP_CONF_SUCCESS = 0x0000,
	L2CAP_CONF_UNACCEPTABLE_PARAMETERS = 0x0001,
	L2CAP_CONF_REJECTED = 0x0002,
	L2CAP_CONF_UNKNOWN_OPTIONS = 0x0003,
	L2CAP_CONF_PENDING = 0x0004,
	L2CAP_CONF_FLOW_SPEC_REJECTED = 0x0005,
};

/* The continuation flag of Configuration Request and Response. */
#define L2CAP_CONF_FLAG_C 0x0001

/* Configuration option types (section 5); bit 7 marks a hint. */
enum l2cap_conf_opt {
	L2CAP_OPT_MTU = 0x01,
	L2CAP_OPT_FLUSH_TIMEOUT = 0x02,
	L2CAP_OPT_QOS = 0x03,
	L2CAP_OPT_RFC = 0x04,
	L2CAP_OPT_FCS = 0x05,
	L2CAP_OPT_EFS = 0x06,
	L2CAP_OPT_EWS = 0x07,
};
#define L2CAP_OPT_HINT 0x80
#define L2CAP_OPT_QOS_LEN 22
#define L2CAP_OPT_RFC_LEN 9
/* Retransmission and flow control option modes (5.4). */
#define L2CAP_MODE_BASIC 0x00

/* Information Request types and Response results (section 4.10, 4.11). */
enum l2cap_info_type {
	L2CAP_INFO_CONNECTIONLESS_MTU = 0x0001,
	L2CAP_INFO_EXTENDED_FEATURES = 0x0002,
	L2CAP_INFO_FIXED_CHANNELS = 0x0003,
};
#define L2CAP_INFO_SUCCESS 0x0000
#define L2CAP_INFO_NOT_SUPPORTED 0x0001
/* Extended features mask bits (4.12). */
#define L2CAP_FEAT_FIXED_CHANNELS 0x00000080u

struct l2cap_connection_request {
	uint16_t psm;
	uint16_t scid;
};

struct l2cap_connection_response {
	uint16_t dcid;
	uint16_t scid;
	uint16_t result;
	uint16_t status;
};

/* Configuration Request (dcid) and Response (scid, result) with their
 * options, which point into the decoded bytes. */
struct l2cap_configuration {
	uint16_t cid;
	uint16_t flags;
	uint16_t result; /* responses only */
	const uint8_t *opts;
	uint16_t opts_len;
};

struct l2cap_echo {
	const uint8_t *data;
	uint16_t len;
};

struct l2cap_information {
	uint16_t type;
	uint16_t result; /* responses only */
	const uint8_t *data;
	uint16_t len;
};

struct l2cap_bredr_sig {
	uint8_t code;
	uint8_t ident;
	union {
		struct l2cap_command_reject command_reject;
		struct l2cap_disconnection disconnection;
		struct l2cap_connection_request conn_request;
		struct l2cap_connection_response conn_response;
		struct l2cap_configuration conf;
		struct l2cap_echo echo;
		struct l2cap_information info;
	} u;
};

/* The options of one Configuration Request or Response, parsed. */
#define L2CAP_CONF_UNKNOWN_MAX 16
struct l2cap_conf_opts {
	bool has_mtu;
	uint16_t mtu;
	bool has_flush_timeout;
	uint16_t flush_timeout;
	bool has_qos;
	bool has_rfc;
	uint8_t rfc_mode;
	bool has_fcs;
	uint8_t fcs;
	/* Options neither known nor hints: their types, in order. */
	uint8_t n_unknown;
	uint8_t unknown[L2CAP_CONF_UNKNOWN_MAX];
};

/* ---- decoding ------------------------------------------------------------------ */

/* Takes the next command of a C-frame from r. Returns 1 with the header and
 * its data (data points into r's bytes), 0 when r is empty, or -EBADMSG
 * when fewer than 4 bytes are left or the length runs past the frame (code
 * and ident are set when the first two bytes are there; r is then
 * emptied). */
int l2cap_bredr_sig_next(struct rd *r, uint8_t *code, uint8_t *ident, const uint8_t **data,
			 uint16_t *data_len);
/* Decodes the data of a command into s->u. Returns 0, -ENOTSUP for a code
 * of no ACL-U command, -EPROTO when the data has the wrong length for its
 * code (fixed-shape commands must be exact). */
int l2cap_bredr_sig_data_decode(uint8_t code, const uint8_t *p, size_t len,
				struct l2cap_bredr_sig *s);
/* Parses a configuration option list. Returns 0, or -EPROTO when an option
 * runs past the list or a known option has the wrong length. Unknown
 * options that are hints are skipped; others are listed in o->unknown (up
 * to L2CAP_CONF_UNKNOWN_MAX; n_unknown still counts them all, capped at
 * 255). */
int l2cap_conf_opts_parse(const uint8_t *p, size_t len, struct l2cap_conf_opts *o);

/* ---- encoding ------------------------------------------------------------------- */

/* Encodes one command (header and data) into w. Returns 0, -EINVAL for a
 * code this codec does not encode, -EMSGSIZE when it does not fit. */
int l2cap_bredr_sig_encode(struct wr *w, const struct l2cap_bredr_sig *s);
/* Appends an MTU option to w. */
void l2cap_conf_opt_mtu(struct wr *w, uint16_t mtu);

/* ---- names ------------------------------------------------------------------------ */

const char *l2cap_bredr_sig_name(uint8_t code);
const char *l2cap_conn_result_str(uint16_t result);
const char *l2cap_conf_result_str(uint16_t result);

#endif
