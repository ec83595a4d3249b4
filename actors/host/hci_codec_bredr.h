/* HCI codec for BR/EDR (Core Vol 4 Part E 7.1, 7.2, 7.3, 7.7): the opcodes
 * and event codes of inquiry, paging, connections, roles, flush and
 * Secure Simple Pairing, their event decoders and command builders. Pure
 * like hci_codec.c: every decoder reads through the runtime's
 * bounds-checked reader and returns 0 or -EBADMSG; decoded structs never
 * point into the input unless stated. BD_ADDRs stay little-endian as on
 * the wire. */
#ifndef HCI_CODEC_BREDR_H
#define HCI_CODEC_BREDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hci_codec.h"

/* ---- opcodes -------------------------------------------------------------- */
#define HCI_OP_INQUIRY HCI_OPCODE(0x01, 0x0001)
#define HCI_OP_INQUIRY_CANCEL HCI_OPCODE(0x01, 0x0002)
#define HCI_OP_CREATE_CONNECTION HCI_OPCODE(0x01, 0x0005)
#define HCI_OP_CREATE_CONNECTION_CANCEL HCI_OPCODE(0x01, 0x0008)
#define HCI_OP_ACCEPT_CONNECTION_REQUEST HCI_OPCODE(0x01, 0x0009)
#define HCI_OP_REJECT_CONNECTION_REQUEST HCI_OPCODE(0x01, 0x000a)
#define HCI_OP_LINK_KEY_REQUEST_REPLY HCI_OPCODE(0x01, 0x000b)
#define HCI_OP_LINK_KEY_REQUEST_NEG_REPLY HCI_OPCODE(0x01, 0x000c)
#define HCI_OP_PIN_CODE_REQUEST_REPLY HCI_OPCODE(0x01, 0x000d)
#define HCI_OP_PIN_CODE_REQUEST_NEG_REPLY HCI_OPCODE(0x01, 0x000e)
#define HCI_OP_AUTHENTICATION_REQUESTED HCI_OPCODE(0x01, 0x0011)
#define HCI_OP_SET_CONNECTION_ENCRYPTION HCI_OPCODE(0x01, 0x0013)
#define HCI_OP_REMOTE_NAME_REQUEST HCI_OPCODE(0x01, 0x0019)
#define HCI_OP_IO_CAPABILITY_REQUEST_REPLY HCI_OPCODE(0x01, 0x002b)
#define HCI_OP_USER_CONFIRMATION_REQUEST_REPLY HCI_OPCODE(0x01, 0x002c)
#define HCI_OP_USER_CONFIRMATION_REQUEST_NEG_REPLY HCI_OPCODE(0x01, 0x002d)
#define HCI_OP_USER_PASSKEY_REQUEST_REPLY HCI_OPCODE(0x01, 0x002e)
#define HCI_OP_USER_PASSKEY_REQUEST_NEG_REPLY HCI_OPCODE(0x01, 0x002f)
#define HCI_OP_IO_CAPABILITY_REQUEST_NEG_REPLY HCI_OPCODE(0x01, 0x0034)
#define HCI_OP_SWITCH_ROLE HCI_OPCODE(0x02, 0x000b)
#define HCI_OP_FLUSH HCI_OPCODE(0x03, 0x0008)
#define HCI_OP_WRITE_LOCAL_NAME HCI_OPCODE(0x03, 0x0013)
#define HCI_OP_WRITE_SCAN_ENABLE HCI_OPCODE(0x03, 0x001a)
#define HCI_OP_WRITE_CLASS_OF_DEVICE HCI_OPCODE(0x03, 0x0024)
#define HCI_OP_WRITE_INQUIRY_MODE HCI_OPCODE(0x03, 0x0045)
#define HCI_OP_WRITE_EXTENDED_INQUIRY_RESPONSE HCI_OPCODE(0x03, 0x0052)
#define HCI_OP_WRITE_SIMPLE_PAIRING_MODE HCI_OPCODE(0x03, 0x0056)
#define HCI_OP_ENHANCED_FLUSH HCI_OPCODE(0x03, 0x005f)

/* ---- event codes ---------------------------------------------------------- */
#define HCI_EV_INQUIRY_COMPLETE 0x01
#define HCI_EV_INQUIRY_RESULT 0x02
#define HCI_EV_CONNECTION_COMPLETE 0x03
#define HCI_EV_CONNECTION_REQUEST 0x04
#define HCI_EV_AUTHENTICATION_COMPLETE 0x06
#define HCI_EV_REMOTE_NAME_REQUEST_COMPLETE 0x07
#define HCI_EV_FLUSH_OCCURRED 0x11
#define HCI_EV_ROLE_CHANGE 0x12
#define HCI_EV_PIN_CODE_REQUEST 0x16
#define HCI_EV_LINK_KEY_REQUEST 0x17
#define HCI_EV_LINK_KEY_NOTIFICATION 0x18
#define HCI_EV_INQUIRY_RESULT_WITH_RSSI 0x22
#define HCI_EV_EXTENDED_INQUIRY_RESULT 0x2f
#define HCI_EV_IO_CAPABILITY_REQUEST 0x31
#define HCI_EV_IO_CAPABILITY_RESPONSE 0x32
#define HCI_EV_USER_CONFIRMATION_REQUEST 0x33
#define HCI_EV_USER_PASSKEY_REQUEST 0x34
#define HCI_EV_SIMPLE_PAIRING_COMPLETE 0x36
#define HCI_EV_ENHANCED_FLUSH_COMPLETE 0x39
#define HCI_EV_USER_PASSKEY_NOTIFICATION 0x3b

/* Write Scan Enable bits, inquiry modes, the General Inquiry Access Code. */
#define HCI_SCAN_INQUIRY 0x01
#define HCI_SCAN_PAGE 0x02
#define HCI_INQUIRY_MODE_EXTENDED 0x02
#define HCI_GIAC 0x9e8b33
#define HCI_LINK_TYPE_ACL 0x01
#define HCI_NAME_LEN 248
#define HCI_EIR_LEN 240
#define HCI_ERR_REJECTED_LIMITED_RESOURCES 0x0d
#define HCI_ERR_REJECTED_SECURITY 0x0e
#define HCI_ERR_PAIRING_NOT_ALLOWED 0x18
#define HCI_ERR_AUTHENTICATION_FAILURE 0x05
#define HCI_ERR_PIN_OR_KEY_MISSING 0x06

/* ---- structs -------------------------------------------------------------- */

/* One response of any of the three inquiry result events. */
struct hci_inquiry_response {
	uint8_t addr[6];
	uint8_t psrm;
	uint8_t cod[3];
	uint16_t clock_offset;
	bool has_rssi;
	int8_t rssi;
	const uint8_t *eir; /* extended only; points into the input */
	size_t eir_len;
};

#define HCI_INQUIRY_RESPONSES_MAX 16
struct hci_inquiry_result {
	uint8_t count;
	struct hci_inquiry_response r[HCI_INQUIRY_RESPONSES_MAX];
};

struct hci_connection_complete {
	uint8_t status;
	uint16_t handle;
	uint8_t addr[6];
	uint8_t link_type;
	uint8_t encryption;
};

struct hci_connection_request {
	uint8_t addr[6];
	uint8_t cod[3];
	uint8_t link_type;
};

struct hci_status_handle {
	uint8_t status;
	uint16_t handle;
};

struct hci_remote_name {
	uint8_t status;
	uint8_t addr[6];
	char name[HCI_NAME_LEN + 1]; /* up to the first NUL, NUL-terminated */
};

struct hci_role_change {
	uint8_t status;
	uint8_t addr[6];
	uint8_t role;
};

struct hci_link_key_notification {
	uint8_t addr[6];
	uint8_t key[16];
	uint8_t type;
};

struct hci_io_capability {
	uint8_t addr[6];
	uint8_t io;
	uint8_t oob;
	uint8_t auth_req;
};

/* User Confirmation Request, User Passkey Notification. */
struct hci_addr_value {
	uint8_t addr[6];
	uint32_t value;
};

struct hci_status_addr {
	uint8_t status;
	uint8_t addr[6];
};

/* ---- event decoders (parameters after the 2-byte header) ------------------ */

int hci_decode_inquiry_complete(const uint8_t *p, size_t len, uint8_t *status);
/* Any of Inquiry Result (0x02), with RSSI (0x22), Extended (0x2f). */
int hci_decode_inquiry_result(uint8_t code, const uint8_t *p, size_t len,
			      struct hci_inquiry_result *o);
int hci_decode_connection_complete(const uint8_t *p, size_t len,
				   struct hci_connection_complete *o);
int hci_decode_connection_request(const uint8_t *p, size_t len,
				  struct hci_connection_request *o);
/* Authentication Complete. */
int hci_decode_status_handle(const uint8_t *p, size_t len, struct hci_status_handle *o);
int hci_decode_remote_name(const uint8_t *p, size_t len, struct hci_remote_name *o);
int hci_decode_role_change(const uint8_t *p, size_t len, struct hci_role_change *o);
/* Flush Occurred, Enhanced Flush Complete: one handle. */
int hci_decode_handle(const uint8_t *p, size_t len, uint16_t *handle);
/* PIN Code, Link Key, IO Capability, User Passkey Request: one BD_ADDR. */
int hci_decode_addr(const uint8_t *p, size_t len, uint8_t addr[6]);
int hci_decode_link_key_notification(const uint8_t *p, size_t len,
				     struct hci_link_key_notification *o);
int hci_decode_io_capability_response(const uint8_t *p, size_t len, struct hci_io_capability *o);
int hci_decode_addr_value(const uint8_t *p, size_t len, struct hci_addr_value *o);
/* Simple Pairing Complete. */
int hci_decode_status_addr(const uint8_t *p, size_t len, struct hci_status_addr *o);

/* ---- command parameter builders: return the length or -EMSGSIZE ---------- */

int hci_build_inquiry(uint8_t *out, size_t cap, uint32_t lap, uint8_t length_128,
		      uint8_t num_responses);
int hci_build_create_connection(uint8_t *out, size_t cap, const uint8_t addr[6],
				bool allow_role_switch);
int hci_build_addr_u8(uint8_t *out, size_t cap, const uint8_t addr[6], uint8_t v);
int hci_build_addr(uint8_t *out, size_t cap, const uint8_t addr[6]);
int hci_build_remote_name_request(uint8_t *out, size_t cap, const uint8_t addr[6],
				  uint8_t psrm, uint16_t clock_offset);
int hci_build_link_key_reply(uint8_t *out, size_t cap, const uint8_t addr[6],
			     const uint8_t key[16]);
int hci_build_pin_reply(uint8_t *out, size_t cap, const uint8_t addr[6], const uint8_t *pin,
			size_t pin_len);
int hci_build_io_capability_reply(uint8_t *out, size_t cap, const struct hci_io_capability *c);
int hci_build_passkey_reply(uint8_t *out, size_t cap, const uint8_t addr[6], uint32_t passkey);
int hci_build_handle(uint8_t *out, size_t cap, uint16_t handle);
int hci_build_handle_u8(uint8_t *out, size_t cap, uint16_t handle, uint8_t v);
/* Write Local Name: name padded with NULs to 248 bytes. */
int hci_build_local_name(uint8_t *out, size_t cap, const char *name);
/* Write Extended Inquiry Response: FEC 0 and the EIR padded to 240 bytes
 * (the complete local name, cut to fit as a shortened one). */
int hci_build_eir_name(uint8_t *out, size_t cap, const char *name);

const char *hci_bredr_event_name(uint8_t code);

#endif
