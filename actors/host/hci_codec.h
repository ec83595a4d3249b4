/* HCI codec for the host actor: opcodes and event codes from the Core
 * specification (Vol 4, Part E), command builders, event decoders and the
 * ACL data header. Pure: no allocation, no globals, no I/O. Every decoder
 * reads through the runtime's bounds-checked reader and returns 0 or
 * -EBADMSG; decoded structs never point into the input unless stated. */
#ifndef HCI_CODEC_H
#define HCI_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive_bytes.h"

/* ---- opcodes (OGF << 10 | OCF) ------------------------------------------- */
#define HCI_OPCODE(ogf, ocf) ((uint16_t)((ogf) << 10 | (ocf)))
#define HCI_OP_NOP 0x0000
#define HCI_OP_DISCONNECT HCI_OPCODE(0x01, 0x0006)
#define HCI_OP_SET_EVENT_MASK HCI_OPCODE(0x03, 0x0001)
#define HCI_OP_RESET HCI_OPCODE(0x03, 0x0003)
#define HCI_OP_READ_LOCAL_VERSION HCI_OPCODE(0x04, 0x0001)
#define HCI_OP_READ_LOCAL_COMMANDS HCI_OPCODE(0x04, 0x0002)
#define HCI_OP_READ_LOCAL_FEATURES HCI_OPCODE(0x04, 0x0003)
#define HCI_OP_READ_BUFFER_SIZE HCI_OPCODE(0x04, 0x0005)
#define HCI_OP_READ_BD_ADDR HCI_OPCODE(0x04, 0x0009)
#define HCI_OP_LE_SET_EVENT_MASK HCI_OPCODE(0x08, 0x0001)
#define HCI_OP_LE_READ_BUFFER_SIZE HCI_OPCODE(0x08, 0x0002)
#define HCI_OP_LE_READ_LOCAL_FEATURES HCI_OPCODE(0x08, 0x0003)
#define HCI_OP_LE_SET_RANDOM_ADDRESS HCI_OPCODE(0x08, 0x0005)
#define HCI_OP_LE_SET_ADV_PARAMS HCI_OPCODE(0x08, 0x0006)
#define HCI_OP_LE_SET_ADV_DATA HCI_OPCODE(0x08, 0x0008)
#define HCI_OP_LE_SET_SCAN_RSP_DATA HCI_OPCODE(0x08, 0x0009)
#define HCI_OP_LE_SET_ADV_ENABLE HCI_OPCODE(0x08, 0x000a)
#define HCI_OP_LE_SET_SCAN_PARAMS HCI_OPCODE(0x08, 0x000b)
#define HCI_OP_LE_SET_SCAN_ENABLE HCI_OPCODE(0x08, 0x000c)
#define HCI_OP_LE_CREATE_CONNECTION HCI_OPCODE(0x08, 0x000d)
#define HCI_OP_LE_CREATE_CONNECTION_CANCEL HCI_OPCODE(0x08, 0x000e)
#define HCI_OP_READ_RSSI HCI_OPCODE(0x05, 0x0005)
#define HCI_OP_LE_CLEAR_FILTER_ACCEPT_LIST HCI_OPCODE(0x08, 0x0010)
#define HCI_OP_LE_ADD_FILTER_ACCEPT_LIST HCI_OPCODE(0x08, 0x0011)
#define HCI_OP_LE_REMOVE_FILTER_ACCEPT_LIST HCI_OPCODE(0x08, 0x0012)
#define HCI_OP_LE_CONNECTION_UPDATE HCI_OPCODE(0x08, 0x0013)
#define HCI_OP_LE_ENABLE_ENCRYPTION HCI_OPCODE(0x08, 0x0019)
#define HCI_OP_LE_LTK_REPLY HCI_OPCODE(0x08, 0x001a)
#define HCI_OP_LE_LTK_NEG_REPLY HCI_OPCODE(0x08, 0x001b)
#define HCI_OP_LE_SET_DATA_LENGTH HCI_OPCODE(0x08, 0x0022)
#define HCI_OP_LE_SET_PHY HCI_OPCODE(0x08, 0x0032)
#define HCI_OP_LE_SET_EXT_ADV_PARAMS HCI_OPCODE(0x08, 0x0036)
#define HCI_OP_LE_SET_EXT_ADV_DATA HCI_OPCODE(0x08, 0x0037)
#define HCI_OP_LE_SET_EXT_SCAN_RSP_DATA HCI_OPCODE(0x08, 0x0038)
#define HCI_OP_LE_SET_EXT_ADV_ENABLE HCI_OPCODE(0x08, 0x0039)
#define HCI_OP_LE_READ_PHY HCI_OPCODE(0x08, 0x0030)
#define HCI_OP_LE_SET_ADV_SET_RANDOM_ADDRESS HCI_OPCODE(0x08, 0x0035)
#define HCI_OP_LE_READ_MAX_ADV_DATA_LEN HCI_OPCODE(0x08, 0x003a)
#define HCI_OP_LE_READ_NUM_ADV_SETS HCI_OPCODE(0x08, 0x003b)
#define HCI_OP_LE_REMOVE_ADV_SET HCI_OPCODE(0x08, 0x003c)
#define HCI_OP_LE_CLEAR_ADV_SETS HCI_OPCODE(0x08, 0x003d)
#define HCI_OP_LE_SET_EXT_SCAN_PARAMS HCI_OPCODE(0x08, 0x0041)
#define HCI_OP_LE_SET_EXT_SCAN_ENABLE HCI_OPCODE(0x08, 0x0042)
#define HCI_OP_LE_EXT_CREATE_CONNECTION HCI_OPCODE(0x08, 0x0043)

/* ---- event codes --------------------------------------------------------- */
#define HCI_EV_DISCONNECTION_COMPLETE 0x05
#define HCI_EV_ENCRYPTION_CHANGE 0x08
#define HCI_EV_COMMAND_COMPLETE 0x0e
#define HCI_EV_COMMAND_STATUS 0x0f
#define HCI_EV_HARDWARE_ERROR 0x10
#define HCI_EV_NUM_COMPLETED_PACKETS 0x13
#define HCI_EV_DATA_BUFFER_OVERFLOW 0x1a
#define HCI_EV_ENCRYPTION_KEY_REFRESH_COMPLETE 0x30
#define HCI_EV_LE_META 0x3e
#define HCI_EV_ENCRYPTION_CHANGE_V2 0x59

/* LE Meta subevent codes. */
#define HCI_LE_CONNECTION_COMPLETE 0x01
#define HCI_LE_ADVERTISING_REPORT 0x02
#define HCI_LE_CONNECTION_UPDATE_COMPLETE 0x03
#define HCI_LE_READ_REMOTE_FEATURES_COMPLETE 0x04
#define HCI_LE_LONG_TERM_KEY_REQUEST 0x05
#define HCI_LE_DATA_LENGTH_CHANGE 0x07
#define HCI_LE_ENHANCED_CONNECTION_COMPLETE 0x0a
#define HCI_LE_PHY_UPDATE_COMPLETE 0x0c
#define HCI_LE_EXTENDED_ADVERTISING_REPORT 0x0d
#define HCI_LE_SCAN_TIMEOUT 0x11
#define HCI_LE_ADVERTISING_SET_TERMINATED 0x12
#define HCI_LE_ENHANCED_CONNECTION_COMPLETE_V2 0x29

/* HCI error codes the host produces or tests for. */
#define HCI_SUCCESS 0x00
#define HCI_ERR_UNKNOWN_CONNECTION 0x02
#define HCI_ERR_HARDWARE_FAILURE 0x03
#define HCI_ERR_CONNECTION_TIMEOUT 0x08
#define HCI_ERR_COMMAND_DISALLOWED 0x0c
#define HCI_ERR_REMOTE_USER_TERMINATED 0x13

/* ---- sizes ----------------------------------------------------------------- */
#define HCI_CMD_HDR_LEN 3
#define HCI_CMD_PARAM_MAX 255
#define HCI_EVENT_HDR_LEN 2
#define HCI_ACL_HDR_LEN 4
#define L2CAP_HDR_LEN 4
#define HCI_HANDLE_MAX 0x0eff

/* ACL Packet_Boundary_Flag. */
#define HCI_ACL_PB_START_NONFLUSH 0x0
#define HCI_ACL_PB_CONT 0x1
#define HCI_ACL_PB_START 0x2

/* ---- structs -------------------------------------------------------------- */
struct hci_event {
	uint8_t code;
	const uint8_t *params; /* points into the input */
	size_t len;
};

struct hci_command_complete {
	uint8_t ncmd;
	uint16_t opcode;
	const uint8_t *ret; /* return parameters, points into the input */
	size_t ret_len;
};

struct hci_command_status {
	uint8_t status;
	uint8_t ncmd;
	uint16_t opcode;
};

struct hci_disconnection_complete {
	uint8_t status;
	uint16_t handle;
	uint8_t reason;
};

struct hci_encryption_change {
	uint8_t status;
	uint16_t handle;
	uint8_t enabled;
	uint8_t key_size; /* v2 only; 0 from v1 */
};

struct hci_key_refresh {
	uint8_t status;
	uint16_t handle;
};

#define HCI_NCP_MAX 64
struct hci_num_completed {
	uint8_t count;
	struct {
		uint16_t handle;
		uint16_t packets;
	} entry[HCI_NCP_MAX];
};

/* LE Connection Complete and both Enhanced Connection Complete versions. */
struct hci_le_connection_complete {
	uint8_t status;
	uint16_t handle;
	uint8_t role;
	uint8_t peer_type;
	uint8_t peer[6];
	uint8_t local_rpa[6];  /* enhanced only */
	uint8_t peer_rpa[6];   /* enhanced only */
	uint16_t interval;
	uint16_t latency;
	uint16_t timeout;
	uint8_t clock_accuracy;
};

struct hci_le_connection_update_complete {
	uint8_t status;
	uint16_t handle;
	uint16_t interval;
	uint16_t latency;
	uint16_t timeout;
};

struct hci_le_data_length_change {
	uint16_t handle;
	uint16_t max_tx_octets, max_tx_time, max_rx_octets, max_rx_time;
};

struct hci_le_phy_update_complete {
	uint8_t status;
	uint16_t handle;
	uint8_t tx_phy, rx_phy;
};

struct hci_le_read_remote_features {
	uint8_t status;
	uint16_t handle;
	uint8_t features[8];
};

struct hci_le_ltk_request {
	uint16_t handle;
	uint64_t random;
	uint16_t ediv;
};

struct hci_acl_header {
	uint16_t handle;
	uint8_t pb;
	uint8_t bc;
	uint16_t len;
};

/* Return parameters of the start-up commands. */
struct hci_local_version {
	uint8_t hci_version;
	uint16_t hci_revision;
	uint8_t lmp_version;
	uint16_t manufacturer;
	uint16_t lmp_subversion;
};

struct hci_buffer_size {
	uint16_t acl_len;
	uint16_t acl_num;
};

/* ---- events --------------------------------------------------------------- */

/* Splits an HCI event packet (no H4 byte) into code and parameters. Fails
 * unless the parameter length equals the bytes present. */
int hci_event_parse(const uint8_t *p, size_t len, struct hci_event *ev);

/* Each decoder takes the event parameters (after the 2-byte header). */
int hci_decode_command_complete(const uint8_t *p, size_t len, struct hci_command_complete *o);
int hci_decode_command_status(const uint8_t *p, size_t len, struct hci_command_status *o);
int hci_decode_disconnection_complete(const uint8_t *p, size_t len,
				      struct hci_disconnection_complete *o);
int hci_decode_encryption_change(const uint8_t *p, size_t len, bool v2,
				 struct hci_encryption_change *o);
int hci_decode_key_refresh(const uint8_t *p, size_t len, struct hci_key_refresh *o);
int hci_decode_hardware_error(const uint8_t *p, size_t len, uint8_t *code);
int hci_decode_num_completed(const uint8_t *p, size_t len, struct hci_num_completed *o);
int hci_decode_data_buffer_overflow(const uint8_t *p, size_t len, uint8_t *link_type);

/* LE subevent decoders take the parameters after the subevent code. */
int hci_decode_le_connection_complete(const uint8_t *p, size_t len, uint8_t subevent,
				      struct hci_le_connection_complete *o);
int hci_decode_le_connection_update_complete(const uint8_t *p, size_t len,
					     struct hci_le_connection_update_complete *o);
int hci_decode_le_data_length_change(const uint8_t *p, size_t len,
				     struct hci_le_data_length_change *o);
int hci_decode_le_phy_update_complete(const uint8_t *p, size_t len,
				      struct hci_le_phy_update_complete *o);
int hci_decode_le_read_remote_features(const uint8_t *p, size_t len,
				       struct hci_le_read_remote_features *o);
int hci_decode_le_ltk_request(const uint8_t *p, size_t len, struct hci_le_ltk_request *o);
/* LE Advertising Set Terminated. */
struct hci_le_adv_set_terminated {
	uint8_t status;
	uint8_t adv_handle;
	uint16_t conn_handle;
	uint8_t completed_events;
};
int hci_decode_le_adv_set_terminated(const uint8_t *p, size_t len,
				     struct hci_le_adv_set_terminated *o);
/* LE Read PHY return parameters (after the status): handle, TX and RX PHY. */
int hci_decode_le_read_phy(const uint8_t *ret, size_t len, uint16_t *handle, uint8_t *tx_phy,
			   uint8_t *rx_phy);
/* Checks the structure of an advertising report (every report fits). */
int hci_decode_le_advertising_report(const uint8_t *p, size_t len, uint8_t *num_reports);

/* Return parameters (after the status byte was checked to be present). */
int hci_decode_local_version(const uint8_t *ret, size_t len, struct hci_local_version *o);
int hci_decode_bytes_ret(const uint8_t *ret, size_t len, uint8_t *out, size_t n);
int hci_decode_le_buffer_size(const uint8_t *ret, size_t len, struct hci_buffer_size *o);
int hci_decode_buffer_size(const uint8_t *ret, size_t len, struct hci_buffer_size *o);

/* ---- commands -------------------------------------------------------------- */

/* Writes opcode, length and params into out (cap bytes). Returns the packet
 * length or -EMSGSIZE. */
int hci_build_command(uint8_t *out, size_t cap, uint16_t opcode, const uint8_t *params,
		      size_t plen);

/* ---- ACL ------------------------------------------------------------------- */

/* Parses the 4-byte ACL header; fails unless the data length equals the
 * bytes present after it. *data points into p. */
int hci_acl_parse(const uint8_t *p, size_t len, struct hci_acl_header *h,
		  const uint8_t **data);
/* Writes an ACL header. */
void hci_acl_header_write(struct wr *w, uint16_t handle, uint8_t pb, uint16_t len);

/* ---- names ----------------------------------------------------------------- */
const char *hci_error_name(uint8_t code);

#endif
