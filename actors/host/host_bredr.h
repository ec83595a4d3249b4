/* BR/EDR in the host: inquiry, remote names, scan enable and the accept
 * policy, Create/Accept/Reject Connection, role switch, authentication and
 * encryption, flush, and the Secure Simple Pairing and link key events
 * forwarded to smp (which answers with HCI replies through hci_command).
 * The handlers of the BR/EDR events sit in host_events.c's table; what
 * they report goes to the outbox as HOST_OUT_BREDR (host_bredr_main.c
 * turns it into a BredrEvent or a Result). Pure. */
#ifndef HOST_BREDR_H
#define HOST_BREDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hci_codec_bredr.h"

struct host;
struct host_cmd_done;

/* As BredrEvent.Kind in hive.proto. */
enum host_bredr_kind {
	BREDR_NONE = 0,
	BREDR_INQUIRY_RESULT = 1,
	BREDR_INQUIRY_COMPLETE = 2,
	BREDR_CONNECTION_REQUEST = 3,
	BREDR_REMOTE_NAME = 4,
	BREDR_REMOTE_NAME_FAILURE = 5,
	BREDR_ROLE_CHANGE = 6,
	BREDR_ROLE_CHANGE_FAILURE = 7,
	BREDR_FLUSH = 8,
	BREDR_AUTHENTICATION = 9,
	BREDR_AUTHENTICATION_FAILURE = 10,
	BREDR_LINK_KEY_REQUEST = 11,
	BREDR_LINK_KEY = 12,
	BREDR_PIN_CODE_REQUEST = 13,
	BREDR_IO_CAPABILITY_REQUEST = 14,
	BREDR_IO_CAPABILITY_RESPONSE = 15,
	BREDR_USER_CONFIRMATION_REQUEST = 16,
	BREDR_USER_PASSKEY_REQUEST = 17,
	BREDR_USER_PASSKEY_NOTIFICATION = 18,
	BREDR_SSP_COMPLETE = 19,
};

/* One report. With `asker` set it is (also) the Result of that request:
 * `final` ends it; status/hci/error as in struct host_result. */
struct host_bredr_event {
	enum host_bredr_kind kind;
	bool to_smp, to_apps;
	uint64_t asker;
	bool final;
	int32_t status; /* of the Result: 0, -errno or an HCI code (hci) */
	bool hci;
	const char *error;
	uint16_t handle;
	uint8_t addr[6];
	uint8_t hci_status;
	uint32_t cod;
	bool has_rssi;
	int8_t rssi;
	char name[HCI_NAME_LEN + 1];
	const uint8_t *eir; /* valid until the next input */
	size_t eir_len;
	uint8_t role;
	uint32_t value;
	uint8_t key[16];
	uint8_t key_type;
	uint8_t io, oob, auth_req;
	uint32_t responses;
};

#define BREDR_NAME_OPS 4
#define BREDR_CONNECT_TIMEOUT_MS_DEFAULT 10000
#define BREDR_INQUIRY_SECONDS_DEFAULT 5

struct host_bredr_auth {
	bool used;
	uint64_t asker;
	uint16_t handle;
	bool encrypt;
	bool encrypting; /* Set Connection Encryption sent */
};

struct host_bredr {
	bool enabled;   /* the controller does BR/EDR with Simple Pairing */
	uint8_t scan;   /* Write Scan Enable value wanted */
	bool reject;    /* refuse Connection Requests even when connectable */
	bool no_ssp;    /* leave Simple Pairing off: legacy PIN pairing only */
	uint32_t cod;   /* Class of Device to write at start-up; 0: the controller's */
	/* inquiry */
	bool inq_active;
	uint64_t inq_asker;
	uint32_t inq_found;
	uint64_t inq_cancel_asker;
	/* the outgoing connection */
	bool conn_active;
	bool conn_timed_out;
	uint64_t conn_asker;
	uint8_t conn_addr[6];
	uint64_t conn_deadline;
	/* a Role Change that came before its Connection Complete */
	bool role_pending;
	uint8_t role_addr[6];
	uint8_t role_role;
	struct {
		bool used;
		uint64_t asker;
		uint8_t addr[6];
	} name[BREDR_NAME_OPS];
	struct host_bredr_auth auth[4];
	struct {
		bool used;
		uint64_t asker;
		uint8_t addr[6];
	} role_op;
	struct {
		bool used;
		uint64_t asker;
		uint16_t handle;
	} flush_op;
	uint64_t scan_asker;
	struct {
		uint64_t connection_requests, accepted, rejected, unknown_addr;
	} st;
};

/* Defaults (page scan on, accept) before the configuration. */
void host_bredr_init(struct host *h, uint8_t scan, bool reject);
/* The Event Mask bits of the BR/EDR events (0 when BR/EDR is off). */
uint64_t host_bredr_event_mask(const struct host *h);
/* Whether the controller's features say BR/EDR with Simple Pairing. */
bool host_bredr_supported(const struct host *h);
/* The end of start-up: Simple Pairing mode, inquiry mode, name, EIR and
 * scan enable are queued (their completions come to host_bredr_cmd_done). */
void host_bredr_setup(struct host *h);
void host_bredr_cmd_done(struct host *h, const struct host_cmd_done *d);
void host_bredr_on_time(struct host *h, uint64_t now_ms);
uint64_t host_bredr_deadline(const struct host *h);
/* The BR/EDR part of the host's snapshot (written before the connection
 * table's, so a snapshot without it still reads): which links are BR/EDR,
 * the BR/EDR buffers and settings. write returns its length or -EMSGSIZE;
 * read returns the octets it took (0: the snapshot has no BR/EDR part) or
 * -EBADMSG, and resume applies it after the table came back. */
struct host_bredr_snap {
	bool enabled;
	uint8_t scan;
	bool reject;
	uint8_t n;
	uint16_t handle[16];
	uint16_t br_mtu, br_total;
};
int host_bredr_snapshot_write(const struct host *h, uint8_t *out, size_t cap);
int host_bredr_snapshot_read(struct host_bredr_snap *s, const uint8_t *p, size_t len);
void host_bredr_resume(struct host *h, const struct host_bredr_snap *s);

/* Hooks of the generic handlers. */
void host_bredr_on_encryption_change(struct host *h, uint16_t handle, uint8_t status,
				     bool enabled);
void host_bredr_on_disconnection(struct host *h, uint16_t handle);

/* Requests (asker: the shell's tag). Return 0 (the Result comes through
 * the outbox) or -errno with *why set to a static sentence. */
int host_bredr_inquiry(struct host *h, uint64_t asker, uint32_t seconds, uint32_t max,
		       const char **why);
int host_bredr_cancel_inquiry(struct host *h, uint64_t asker, const char **why);
int host_bredr_connect(struct host *h, uint64_t asker, const uint8_t addr[6],
		       uint32_t timeout_ms, bool role_switch, const char **why);
int host_bredr_scan_enable(struct host *h, uint64_t asker, bool discoverable,
			   bool connectable, bool reject, const char **why);
int host_bredr_remote_name(struct host *h, uint64_t asker, const uint8_t addr[6],
			   const char **why);
int host_bredr_authenticate(struct host *h, uint64_t asker, uint16_t handle, bool encrypt,
			    const char **why);
int host_bredr_switch_role(struct host *h, uint64_t asker, uint16_t handle, uint8_t role,
			   const char **why);
int host_bredr_flush(struct host *h, uint64_t asker, uint16_t handle, const char **why);

/* Event handlers (host_events.c's table): parameters after the header. */
#define BREDR_HANDLER(name) \
	int host_bredr_on_##name(struct host *h, uint8_t code, const uint8_t *p, size_t len, \
				 uint64_t now_ms)
BREDR_HANDLER(inquiry_complete);
BREDR_HANDLER(inquiry_result);
BREDR_HANDLER(connection_complete);
BREDR_HANDLER(connection_request);
BREDR_HANDLER(authentication_complete);
BREDR_HANDLER(remote_name_request_complete);
BREDR_HANDLER(flush_occurred);
BREDR_HANDLER(role_change);
BREDR_HANDLER(security_request); /* PIN, link key, IO capability, passkey requests */
BREDR_HANDLER(link_key_notification);
BREDR_HANDLER(io_capability_response);
BREDR_HANDLER(user_value); /* user confirmation request, passkey notification */
BREDR_HANDLER(simple_pairing_complete);

#endif
