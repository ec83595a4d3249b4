/* hive-vctrl internals shared by the state machine's files:
 *   vctrl_radio.c  radio, controllers, outboxes, packet entry, timers
 *   vctrl_cmd.c    the command table, dispatcher, local commands
 *   vctrl_adv.c    advertising, advertising events
 *   vctrl_scan.c   scanning, reports
 *   vctrl_conn.c   initiating, connections, their procedures, encryption
 *   vctrl_data.c   ACL data: buffers, delivery, Number Of Completed Packets
 *   vctrl_crypto.c AES-128 for LE Encrypt, SHA-256 for BR/EDR pairing values
 *   vctrl_bredr.c  BR/EDR: local settings, inquiry, paging, ACL links, roles
 *   vctrl_ssp.c    BR/EDR: authentication, Secure Simple Pairing, PIN,
 *                  link keys, encryption
 */
#ifndef VCTRL_INT_H
#define VCTRL_INT_H

#include "vctrl.h"
#include "vctrl_codec.h"
#include "vctrl_hci.h"

#include "hive.h"

#define VCTRL_MAX_LINKS 64     /* connections on the radio */
#define VCTRL_CONN_PER_CTRL 16 /* connections one controller takes part in */
#define VCTRL_FAL_SIZE 16      /* Filter Accept List entries */
#define VCTRL_ADV_SETS 4       /* extended advertising sets */
#define VCTRL_ADV_DATA_MAX 1650 /* extended advertising / scan response data */
#define VCTRL_DUP_MAX 64       /* duplicate filter entries per scanner */
#define VCTRL_PKT_MAX (1 + 2 + 255) /* one H4 event */
/* A controller whose host has this much unread stops taking data from its
 * peers' link layers, as a controller stalled by UART flow control does;
 * the senders' buffers then fill and their hosts stop getting credits. */
#define VCTRL_RX_STALL_BYTES (64u * 1024u)
#define VCTRL_ENC_TIMEOUT_NS (40ull * 1000000000ull) /* LL procedure response timeout */
#define VCTRL_HIGH_DUTY_NS (1280ull * 1000000ull)    /* high duty cycle directed advertising */
#define VCTRL_MAX_PAGES 32      /* pages and remote name requests under way on the radio */
#define VCTRL_LMP_TIMEOUT_NS (30ull * 1000000000ull) /* LMP response timeout */
#define VCTRL_INQ_SWEEP_NS (10ull * 1000000ull)      /* how often an inquiry listens */

/* What the controller says about itself. */
#define VCTRL_HCI_VERSION 0x09 /* Core 5.0 */
#define VCTRL_HCI_REVISION 0x0001
#define VCTRL_COMPANY_ID 0xFFFF /* "for internal use" in Assigned Numbers */
#define VCTRL_LMP_SUBVERSION 0x0001
#define VCTRL_RSSI (-50)

/* Which advertising command family the host has used since Reset (Vol 4
 * Part E 3.1.1: mixing legacy and extended gives Command Disallowed). */
enum vctrl_api { VCTRL_API_NONE, VCTRL_API_LEGACY, VCTRL_API_EXT };

struct vctrl_addr {
	uint8_t type; /* HCI_ADDR_PUBLIC or HCI_ADDR_RANDOM, or 0xFF anonymous */
	uint8_t a[6];
};

/* One advertising set. The legacy commands drive set [0] of a controller
 * with the properties of the legacy PDU type; extended sets are [1..]. */
struct vctrl_adv {
	bool configured; /* parameters set (an extended set exists) */
	bool enabled;
	uint8_t handle;  /* Advertising_Handle (extended sets) */
	uint16_t props;  /* ADV_PROP_* */
	uint32_t interval; /* 0.625 ms units */
	uint8_t own_addr_type;
	uint8_t peer_addr_type;
	uint8_t peer_addr[6];
	uint8_t filter_policy;
	uint8_t primary_phy, secondary_phy;
	uint8_t sid;
	uint8_t scan_req_notify;
	int8_t tx_power;
	bool random_set;
	uint8_t random_addr[6];
	uint16_t data_len, scan_rsp_len;
	uint8_t did;          /* changes with the data, for duplicate filters */
	bool data_partial;    /* a fragmented Set Extended Advertising Data is open */
	bool rsp_partial;
	uint64_t next_ns;     /* next advertising event */
	uint64_t end_ns;      /* duration end, 0: none */
	uint8_t max_events;   /* 0: none */
	uint16_t events;      /* advertising events since enabled */
	uint8_t data[VCTRL_ADV_DATA_MAX];
	uint8_t scan_rsp[VCTRL_ADV_DATA_MAX];
};

struct vctrl_dup {
	uint8_t addr_type;
	uint8_t addr[6];
	uint8_t kind; /* 0 advertising, 1 scan response */
	uint8_t did;
};

struct vctrl_scan {
	bool enabled;
	bool ext;           /* enabled with the extended command */
	bool paused;        /* between the duration and the next period */
	uint8_t filter_dup; /* 0 off, 1 on, 2 on and reset each period */
	uint64_t end_ns;    /* end of the current duration, 0: none */
	uint64_t period_ns; /* 0: no periods */
	uint64_t next_period_ns;
	uint64_t duration_ns;
	unsigned ndup, dup_next;
	struct vctrl_dup dup[VCTRL_DUP_MAX];
};

struct vctrl_init {
	bool active;
	bool ext;
	struct vctrl_create_conn p;
};

struct vctrl_acl_slot {
	bool used;
	uint32_t seq; /* arrival order */
	uint16_t handle;
	uint8_t pb;
	uint16_t len;
	uint16_t sent; /* bytes the peer's host has had */
};

/* An inquiry under way (7.1.1). */
struct vctrl_inquiry {
	bool active;
	uint32_t lap;
	uint8_t max_rsp;   /* 0: unlimited */
	uint8_t nrsp;
	uint32_t found;    /* bit per controller already reported */
	uint64_t end_ns;
	uint64_t next_ns;  /* next sweep for controllers in inquiry scan */
};

struct vctrl {
	unsigned index;
	bool attached;
	char name[16]; /* "ctrl0" for logs */
	uint8_t public_addr[6];
	bool random_set;
	uint8_t random_addr[6];
	uint64_t event_mask, event_mask2, le_event_mask;
	uint8_t le_host;
	uint16_t sugg_tx_octets, sugg_tx_time;
	uint8_t def_all_phys, def_tx_phys, def_rx_phys;
	enum vctrl_api api;
	unsigned nfal;
	struct vctrl_addr fal[VCTRL_FAL_SIZE];
	struct vctrl_adv adv[1 + VCTRL_ADV_SETS];
	struct vctrl_scan_params scan_params;
	struct vctrl_scan scan;
	struct vctrl_init init;
	/* BR/EDR settings (Vol 4 Part E 7.3) and the inquiry */
	uint8_t scan_enable;      /* HCI_SCAN_* bits */
	uint8_t local_name[HCI_NAME_SIZE];
	uint8_t cod[3];
	uint8_t eir_fec;
	uint8_t eir[HCI_EIR_SIZE];
	uint8_t ssp_mode;
	uint8_t inquiry_mode;
	uint16_t page_timeout;    /* 0.625 ms slots */
	uint16_t accept_timeout;  /* 0.625 ms slots */
	struct vctrl_inquiry inq;
	uint16_t next_handle;
	/* controller to host flow control (7.3.38 - 7.3.40) */
	uint8_t host_fc;          /* Flow_Control_Enable; bit 0: ACL */
	uint16_t host_acl_len;    /* Host_ACL_Data_Packet_Length, 0: not given */
	uint16_t host_acl_total;  /* Host_Total_Num_ACL_Data_Packets */
	/* ACL buffers: acl_count LE slots then bredr_acl_count BR/EDR slots,
	 * each vctrl_slot_size() bytes */
	struct vctrl_acl_slot *slots;
	uint8_t *acl_data;
	unsigned acl_free;        /* LE */
	unsigned br_free;         /* BR/EDR */
	uint32_t acl_seq;
	/* bytes for the host */
	uint8_t *out;
	size_t out_len, out_cap;
	uint64_t out_dropped;
};

/* BR/EDR authentication and pairing on a link (vctrl_ssp.c). */
enum vctrl_auth_state {
	AUTH_IDLE,
	AUTH_KEY_INIT,   /* Link Key Request to the initiator's host */
	AUTH_KEY_RESP,   /* Link Key Request to the responder's host */
	AUTH_PIN_INIT,   /* PIN Code Request to the initiator's host */
	AUTH_PIN_RESP,
	AUTH_IO_INIT,    /* IO Capability Request to the initiator's host */
	AUTH_IO_RESP,
	AUTH_USER,       /* User Confirmation / Passkey requests to both */
};

enum vctrl_ssp_need { SSP_NONE, SSP_CONFIRM, SSP_PASSKEY };

struct vctrl_auth {
	uint8_t state;       /* enum vctrl_auth_state */
	int init;            /* side that asked for authentication */
	bool ssp_seen[2];    /* sides whose hosts took part in Simple Pairing */
	uint8_t io[2], oob[2], auth_req[2];
	uint8_t need[2];     /* enum vctrl_ssp_need */
	bool done[2];
	bool authenticated;  /* the association model protects against MITM */
	uint32_t value;      /* numeric comparison value or passkey */
	uint32_t entered[2]; /* passkeys the hosts typed */
	uint8_t pin[2][16];
	uint8_t pin_len[2];
	uint8_t rnd[16];     /* this pairing's random */
	uint64_t deadline;   /* LMP response timeout */
};

struct vctrl_link {
	bool used;
	bool bredr;         /* a BR/EDR ACL link (otherwise LE) */
	uint8_t role[2];    /* BR/EDR: each side's HCI_ROLE_* */
	unsigned ctrl[2];   /* [0] central, [1] peripheral; BR/EDR: [0] paged [1] */
	uint16_t handle[2];
	struct vctrl_addr addr[2]; /* the address each side used */
	uint16_t interval, latency, timeout;
	uint8_t phy[2];            /* TX PHY of each side */
	uint16_t tx_octets[2], tx_time[2]; /* effective maximum from each side */
	unsigned host_out[2];      /* ACL packets each side's host has not completed */
	bool encrypted;
	bool enc_pending;          /* LTK Request sent, waiting for the peripheral's host */
	uint8_t ltk[16];           /* the central's key of the pending procedure */
	uint64_t enc_deadline;
	uint64_t next_event_ns;    /* paced mode: next connection event */
	/* BR/EDR security */
	bool has_key[2];           /* the link key each controller holds */
	uint8_t key[2][16];
	struct vctrl_auth auth;
};

/* A page (Create Connection) or a remote name request under way. */
enum vctrl_page_kind { PAGE_CONN, PAGE_NAME };
struct vctrl_page {
	bool used;
	uint8_t kind;       /* enum vctrl_page_kind */
	bool asked;         /* Connection Request sent: waiting for the target's host */
	unsigned from;      /* the paging controller */
	unsigned to;        /* the paged controller, when asked */
	uint8_t addr[6];    /* the BD_ADDR paged */
	uint8_t allow_role_switch;
	uint64_t deadline;  /* page or connection accept timeout */
};

struct vctrl_radio {
	struct vctrl_config cfg;
	const char *log;
	uint64_t now;
	struct vctrl ctrl[VCTRL_MAX];
	struct vctrl_link link[VCTRL_MAX_LINKS];
	struct vctrl_page page[VCTRL_MAX_PAGES];
	uint32_t pair_seq;  /* pairings so far, when there is no random source */
};

/* ACL buffer slots of a controller, and the bytes of each. */
static inline unsigned vctrl_slot_count(const struct vctrl_radio *r)
{
	return (unsigned)r->cfg.acl_count + r->cfg.bredr_acl_count;
}

static inline size_t vctrl_slot_size(const struct vctrl_radio *r)
{
	return r->cfg.acl_size > r->cfg.bredr_acl_size ? r->cfg.acl_size : r->cfg.bredr_acl_size;
}

/* ---- vctrl_radio.c ----------------------------------------------------- */

/* Logging with the radio's name and the controller's. */
void vctrl_log(const struct vctrl_radio *r, const struct vctrl *c, enum hive_log_level lvl,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Appends a finished packet to c's outbox (dropped when no host is attached
 * or the outbox is full). */
void vctrl_send(struct vctrl_radio *r, struct vctrl *c, const struct wr *w);
/* Inserts bytes at an earlier outbox offset (a command's response goes
 * before the events its handler produced). */
void vctrl_send_at(struct vctrl_radio *r, struct vctrl *c, size_t at, const uint8_t *p, size_t n);

/* Whether the host of c asked for this event (Set Event Mask) or LE
 * subevent (LE Meta event bit and LE Set Event Mask). */
bool vctrl_event_on(const struct vctrl *c, uint8_t code);
bool vctrl_le_event_on(const struct vctrl *c, uint8_t subevent);

/* The controller's state after power-on or Reset; peers of its connections
 * see them end with reason. */
void vctrl_ctrl_reset(struct vctrl_radio *r, struct vctrl *c, uint8_t peer_reason);

/* The address c uses for own_addr_type (0/2 public, 1/3 random); false
 * when it needs a random address that was not set. */
bool vctrl_own_address(const struct vctrl *c, uint8_t own_addr_type, struct vctrl_addr *out);
bool vctrl_fal_contains(const struct vctrl *c, const struct vctrl_addr *a);

/* LE features (Vol 6 Part B 4.6) of every controller. */
void vctrl_le_features(uint8_t out[8]);
/* LMP features of c, page 0 (controller) or 1 (host); false for another
 * page. VCTRL_LMP_MAX_PAGE is the last. */
#define VCTRL_LMP_MAX_PAGE 1
bool vctrl_lmp_features(const struct vctrl *c, unsigned page, uint8_t out[8]);
/* Sends one event of w to c when its host asked for that event code. */
bool vctrl_send_event(struct vctrl_radio *r, struct vctrl *c, const struct wr *w);

/* ---- vctrl_cmd.c ------------------------------------------------------- */

void vctrl_on_command(struct vctrl_radio *r, struct vctrl *c, const uint8_t *p, size_t n);
/* The Supported_Commands bit field built from the command table. */
void vctrl_supported_commands(uint8_t out[64]);
void vctrl_ext_commands_clear(uint8_t out[64]);

/* Command handlers: return the status; Command Complete handlers append
 * their return parameters after the status to ret. */
typedef uint8_t (*vctrl_cmd_fn)(struct vctrl_radio *r, struct vctrl *c,
				const struct vctrl_cmd *cmd, struct wr *ret);

/* vctrl_adv.c */
uint8_t on_le_set_advertising_parameters(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_read_advertising_physical_channel_tx_power(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_advertising_data(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_scan_response_data(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_advertising_enable(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_advertising_set_random_address(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_extended_advertising_parameters(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_extended_advertising_data(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_extended_scan_response_data(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_extended_advertising_enable(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_read_maximum_advertising_data_length(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_read_number_of_supported_advertising_sets(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_remove_advertising_set(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_clear_advertising_sets(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);

/* vctrl_data.c */
uint8_t on_set_controller_to_host_flow_control(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_host_buffer_size(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_host_number_of_completed_packets(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);

/* vctrl_scan.c */
uint8_t on_le_set_scan_parameters(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_scan_enable(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_extended_scan_parameters(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_extended_scan_enable(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);

/* vctrl_conn.c */
uint8_t on_disconnect(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_read_remote_version_information(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_read_rssi(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_create_connection(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_extended_create_connection(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_create_connection_cancel(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_connection_update(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_read_channel_map(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_read_remote_features(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_enable_encryption(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_long_term_key_request_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_long_term_key_request_negative_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_data_length(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_read_phy(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_le_set_phy(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);

/* vctrl_bredr.c */
uint8_t on_inquiry(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_inquiry_cancel(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_create_connection(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_create_connection_cancel(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_accept_connection_request(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_reject_connection_request(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_remote_name_request(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_read_remote_supported_features(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_read_remote_extended_features(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_role_discovery(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_switch_role(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_write_local_name(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_read_local_name(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_write_connection_accept_timeout(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_write_page_timeout(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_read_scan_enable(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_write_scan_enable(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_flush(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_read_class_of_device(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_write_class_of_device(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_read_inquiry_mode(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_write_inquiry_mode(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_read_extended_inquiry_response(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_write_extended_inquiry_response(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_read_simple_pairing_mode(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_write_simple_pairing_mode(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);

/* vctrl_ssp.c */
uint8_t on_authentication_requested(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_link_key_request_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_link_key_request_negative_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_pin_code_request_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_pin_code_request_negative_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_io_capability_request_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_io_capability_request_negative_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_user_confirmation_request_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_user_confirmation_request_negative_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_user_passkey_request_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_user_passkey_request_negative_reply(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);
uint8_t on_set_connection_encryption(struct vctrl_radio *, struct vctrl *, const struct vctrl_cmd *, struct wr *);

/* ---- vctrl_adv.c ------------------------------------------------------- */

/* Advertising events, scan durations; returns the earliest next deadline. */
void vctrl_adv_tick(struct vctrl_radio *r, uint64_t now);
uint64_t vctrl_adv_deadline(const struct vctrl_radio *r);
/* Stops c's advertising without events (Reset, power-off). */
void vctrl_adv_reset(struct vctrl *c);
/* The address an advertising set uses on air. */
void vctrl_adv_address(const struct vctrl *c, const struct vctrl_adv *s, struct vctrl_addr *out);

/* ---- vctrl_scan.c ------------------------------------------------------ */

void vctrl_scan_reset(struct vctrl *c);
/* What scanner d hears of one advertising event of set s of c, whose
 * address on air is a. */
void vctrl_scan_receive(struct vctrl_radio *r, struct vctrl *d, struct vctrl *c,
			struct vctrl_adv *s, const struct vctrl_addr *a);
/* Scan durations and periods. */
void vctrl_scan_tick(struct vctrl_radio *r, struct vctrl *c, uint64_t now);
uint64_t vctrl_scan_deadline(const struct vctrl *c);

/* ---- vctrl_conn.c ------------------------------------------------------ */

/* Tries an initiator d on advertising set s of c; true when a connection was
 * made (the set is then no longer advertising). */
bool vctrl_conn_try(struct vctrl_radio *r, struct vctrl *d, struct vctrl *c, struct vctrl_adv *s,
		    uint64_t now);
/* Procedure response timeouts (an LTK Request never answered). */
void vctrl_conn_timeouts(struct vctrl_radio *r, uint64_t now);
uint64_t vctrl_conn_timeouts_deadline(const struct vctrl_radio *r);
/* Ends every connection of c: c's host hears nothing, peers get reason. */
void vctrl_conn_drop_all(struct vctrl_radio *r, struct vctrl *c, uint8_t peer_reason);
/* The link of c's connection handle, and c's side in it, or NULL. */
struct vctrl_link *vctrl_link_find(struct vctrl_radio *r, const struct vctrl *c, uint16_t handle,
				   int *side);
unsigned vctrl_conn_count(const struct vctrl_radio *r, const struct vctrl *c);

/* A free link table entry, or NULL. */
struct vctrl_link *vctrl_link_alloc(struct vctrl_radio *r);
/* A new connection handle of c. */
uint16_t vctrl_new_handle(struct vctrl_radio *r, struct vctrl *c);
/* Ends a link. reason[side] goes to that side's host when notify[side]. */
void vctrl_link_drop(struct vctrl_radio *r, struct vctrl_link *l, const uint8_t reason[2],
		     const bool notify[2]);

/* ---- vctrl_bredr.c ----------------------------------------------------- */

/* BR/EDR settings to their defaults, the inquiry stopped, c's pages
 * forgotten and pages to c left to time out (Reset, power-off). */
void vctrl_bredr_reset(struct vctrl_radio *r, struct vctrl *c);
/* Inquiry sweeps and ends, page and accept timeouts, pairing timeouts. */
void vctrl_bredr_tick(struct vctrl_radio *r, uint64_t now);
uint64_t vctrl_bredr_deadline(const struct vctrl_radio *r);
/* The BR/EDR link between c and the device with BD_ADDR addr, and c's side. */
struct vctrl_link *vctrl_bredr_link_by_addr(struct vctrl_radio *r, const struct vctrl *c,
					    const uint8_t addr[6], int *side);
/* A BR/EDR timeout in 0.625 ms slots as nanoseconds, scaled down by the
 * configured divisor. */
uint64_t vctrl_bredr_slots_ns(const struct vctrl_radio *r, uint32_t slots);

/* ---- vctrl_ssp.c ------------------------------------------------------- */

/* A pairing whose host did not answer within the LMP response timeout. */
void vctrl_ssp_timeouts(struct vctrl_radio *r, uint64_t now);
uint64_t vctrl_ssp_deadline(const struct vctrl_radio *r);

/* ---- vctrl_data.c ------------------------------------------------------ */

/* ACL data from c's host. */
void vctrl_on_acl(struct vctrl_radio *r, struct vctrl *c, const uint8_t *p, size_t n);
/* ACL delivery with Number Of Completed Packets, and procedure timeouts. */
void vctrl_conn_tick(struct vctrl_radio *r, uint64_t now);
uint64_t vctrl_conn_deadline(const struct vctrl_radio *r);

/* ---- vctrl_crypto.c ---------------------------------------------------- */

/* AES-128 of one block, key and data most significant octet first (as the
 * Core specification prints them). Returns 0 or -EIO. */
int vctrl_aes128(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);
/* SHA-256 of n bytes. Returns 0 or -EIO. */
int vctrl_sha256(const void *p, size_t n, uint8_t out[32]);

#endif
