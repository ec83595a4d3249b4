/* hive-vctrl codec: pure functions from H4 bytes to structs and back.
 *
 * No sockets, no globals, no allocation. Every read goes through the
 * bounds-checked reader of hive_bytes.h, every write through its writer: a
 * decoder never trusts a length it has not checked against the bytes it holds.
 * Addresses are kept as on the wire: 6 octets, least significant first.
 */
#ifndef VCTRL_CODEC_H
#define VCTRL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive_bytes.h"

/* ---- H4 framing (Vol 4 Part A) ---------------------------------------------- */

/* Largest packet body (after its header) the framer keeps. Longer packets
 * are skipped byte by byte, so the stream stays in step, and reported. */
#define VCTRL_H4_BODY_MAX 4096
#define VCTRL_H4_HDR_MAX 4

struct vctrl_h4 {
	uint8_t type;     /* packet indicator being framed; 0 between packets */
	bool in_body;     /* header complete, body length known */
	bool skipping;    /* body too long: consumed, not kept */
	size_t have;      /* bytes of the packet (after the indicator) consumed */
	size_t need;      /* bytes of the packet known to be needed so far */
	uint8_t buf[VCTRL_H4_HDR_MAX + VCTRL_H4_BODY_MAX];
};

struct vctrl_h4_pkt {
	uint8_t type;        /* H4 packet indicator */
	const uint8_t *data; /* header and body, without the indicator */
	size_t len;          /* bytes at data (for an oversize packet: its declared size) */
};

enum {
	VCTRL_H4_MORE = 0,     /* the input is used up, no packet complete */
	VCTRL_H4_PACKET = 1,   /* *pkt holds a whole packet */
	VCTRL_H4_OVERSIZE = 2, /* a packet too long to keep was skipped; pkt->data is NULL */
};

void vctrl_h4_init(struct vctrl_h4 *f);

/* Consumes bytes from *in up to the end of one packet. Returns VCTRL_H4_MORE,
 * VCTRL_H4_PACKET (pkt->data points into f, valid until the next call) or
 * VCTRL_H4_OVERSIZE; -EBADMSG when a packet indicator is not one a host may
 * send (command, ACL, SCO, ISO): that byte is consumed, pkt->type holds it,
 * and the stream can no longer be trusted. */
int vctrl_h4_pull(struct vctrl_h4 *f, struct rd *in, struct vctrl_h4_pkt *pkt);

/* ---- commands -------------------------------------------------------------- */

struct vctrl_cmd {
	uint16_t opcode;
	uint8_t plen;          /* Parameter_Total_Length as sent */
	const uint8_t *params; /* the parameter bytes present */
	size_t n;              /* how many are present */
};

/* Splits a command packet (after the indicator). Returns 0; -EBADMSG when
 * the header is short (nothing usable, not even the opcode); -EINVAL when the
 * opcode is known but plen disagrees with the bytes present (answer 0x12). */
int vctrl_cmd_parse(const uint8_t *p, size_t n, struct vctrl_cmd *out);

/* ACL data packet header (Vol 4 Part E 5.4.2). */
struct vctrl_acl {
	uint16_t handle;
	uint8_t pb; /* Packet_Boundary_Flag */
	uint8_t bc; /* Broadcast_Flag */
	const uint8_t *data;
	uint16_t len;
};

/* Returns 0, or -EINVAL when short or the length field disagrees with the
 * bytes present. */
int vctrl_acl_parse(const uint8_t *p, size_t n, struct vctrl_acl *out);

/* Connection parameters of one initiating PHY. */
struct vctrl_conn_params {
	uint16_t scan_interval, scan_window;
	uint16_t interval_min, interval_max;
	uint16_t latency, timeout;
	uint16_t ce_min, ce_max;
};

/* LE Create Connection (7.8.12) and LE Extended Create Connection (7.8.66),
 * one struct. phy[0] is LE 1M, phy[1] LE 2M, phy[2] LE Coded. */
struct vctrl_create_conn {
	uint8_t filter_policy;
	uint8_t own_addr_type;
	uint8_t peer_addr_type;
	uint8_t peer_addr[6];
	uint8_t phys; /* Initiating_PHYs bits; 0x01 for the legacy command */
	struct vctrl_conn_params phy[3];
};

int vctrl_parse_create_conn(const uint8_t *p, size_t n, struct vctrl_create_conn *out);
int vctrl_parse_ext_create_conn(const uint8_t *p, size_t n, struct vctrl_create_conn *out);

/* LE Set Advertising Parameters (7.8.5). */
struct vctrl_adv_params {
	uint16_t interval_min, interval_max;
	uint8_t type;
	uint8_t own_addr_type;
	uint8_t peer_addr_type;
	uint8_t peer_addr[6];
	uint8_t channel_map;
	uint8_t filter_policy;
};
int vctrl_parse_adv_params(const uint8_t *p, size_t n, struct vctrl_adv_params *out);

/* LE Set Extended Advertising Parameters [v1] (7.8.53). */
struct vctrl_ext_adv_params {
	uint8_t handle;
	uint16_t props;
	uint32_t interval_min, interval_max; /* 24 bits */
	uint8_t channel_map;
	uint8_t own_addr_type;
	uint8_t peer_addr_type;
	uint8_t peer_addr[6];
	uint8_t filter_policy;
	int8_t tx_power;
	uint8_t primary_phy;
	uint8_t secondary_max_skip;
	uint8_t secondary_phy;
	uint8_t sid;
	uint8_t scan_req_notify;
};
int vctrl_parse_ext_adv_params(const uint8_t *p, size_t n, struct vctrl_ext_adv_params *out);

/* LE Set Extended Advertising Data / Scan Response Data (7.8.54, 7.8.55). */
struct vctrl_ext_adv_data {
	uint8_t handle;
	uint8_t operation;
	uint8_t frag_pref;
	uint8_t len;
	const uint8_t *data;
};
int vctrl_parse_ext_adv_data(const uint8_t *p, size_t n, struct vctrl_ext_adv_data *out);

/* LE Set Extended Advertising Enable (7.8.56). */
#define VCTRL_EXT_ADV_ENABLE_MAX 63
struct vctrl_ext_adv_enable {
	uint8_t enable;
	uint8_t num_sets;
	struct {
		uint8_t handle;
		uint16_t duration;  /* 10 ms units, 0: none */
		uint8_t max_events; /* 0: none */
	} set[VCTRL_EXT_ADV_ENABLE_MAX];
};
int vctrl_parse_ext_adv_enable(const uint8_t *p, size_t n, struct vctrl_ext_adv_enable *out);

/* LE Set Scan Parameters (7.8.10) and LE Set Extended Scan Parameters
 * (7.8.64), one struct: type/interval/window per PHY, [0] 1M, [1] Coded. */
struct vctrl_scan_params {
	uint8_t own_addr_type;
	uint8_t filter_policy;
	uint8_t phys; /* Scanning_PHYs bits; 0x01 for the legacy command */
	struct {
		uint8_t type; /* 0 passive, 1 active */
		uint16_t interval, window;
	} phy[2];
};
int vctrl_parse_scan_params(const uint8_t *p, size_t n, struct vctrl_scan_params *out);
int vctrl_parse_ext_scan_params(const uint8_t *p, size_t n, struct vctrl_scan_params *out);

/* LE Set Extended Scan Enable (7.8.65). */
struct vctrl_ext_scan_enable {
	uint8_t enable;
	uint8_t filter_dup;
	uint16_t duration; /* 10 ms units */
	uint16_t period;   /* 1.28 s units */
};
int vctrl_parse_ext_scan_enable(const uint8_t *p, size_t n, struct vctrl_ext_scan_enable *out);

/* LE Connection Update (7.8.18). */
struct vctrl_conn_update {
	uint16_t handle;
	uint16_t interval_min, interval_max, latency, timeout, ce_min, ce_max;
};
int vctrl_parse_conn_update(const uint8_t *p, size_t n, struct vctrl_conn_update *out);

/* LE Enable Encryption (7.8.24). */
struct vctrl_enable_encryption {
	uint16_t handle;
	uint8_t rand[8];
	uint16_t ediv;
	uint8_t ltk[16];
};
int vctrl_parse_enable_encryption(const uint8_t *p, size_t n, struct vctrl_enable_encryption *out);

/* LE Set PHY (7.8.49). */
struct vctrl_set_phy {
	uint16_t handle;
	uint8_t all_phys, tx_phys, rx_phys;
	uint16_t options;
};
int vctrl_parse_set_phy(const uint8_t *p, size_t n, struct vctrl_set_phy *out);

/* ---- events ------------------------------------------------------------- */

/* Starts an H4 event packet (indicator, code, length placeholder) and
 * returns where it starts; vctrl_evt_end() fills in the length. */
size_t vctrl_evt_begin(struct wr *w, uint8_t code);
/* Starts an LE Meta event with its subevent code. */
size_t vctrl_le_evt_begin(struct wr *w, uint8_t subevent);
/* Fills the parameter length of the event started at mark. Returns false
 * (and marks w overflowed) when the parameters exceed 255 octets. */
bool vctrl_evt_end(struct wr *w, size_t mark);

void vctrl_evt_cmd_complete(struct wr *w, uint8_t ncmd, uint16_t opcode, const uint8_t *ret,
			    size_t ret_len);
void vctrl_evt_cmd_status(struct wr *w, uint8_t status, uint8_t ncmd, uint16_t opcode);
void vctrl_evt_disconnection_complete(struct wr *w, uint8_t status, uint16_t handle,
				      uint8_t reason);
void vctrl_evt_encryption_change(struct wr *w, uint8_t status, uint16_t handle, uint8_t enabled);
void vctrl_evt_key_refresh_complete(struct wr *w, uint8_t status, uint16_t handle);
void vctrl_evt_remote_version(struct wr *w, uint8_t status, uint16_t handle, uint8_t version,
			      uint16_t company, uint16_t subversion);
/* Number Of Completed Packets for n handles (n <= 63 fits one event). */
void vctrl_evt_num_completed(struct wr *w, unsigned n, const uint16_t *handles,
			     const uint16_t *counts);
void vctrl_evt_data_buffer_overflow(struct wr *w, uint8_t link_type);

/* LE Connection Complete / LE Enhanced Connection Complete [v1]. */
struct vctrl_conn_complete {
	uint8_t status;
	uint16_t handle;
	uint8_t role;
	uint8_t peer_addr_type;
	uint8_t peer_addr[6];
	uint8_t local_rpa[6], peer_rpa[6]; /* enhanced only */
	uint16_t interval, latency, timeout;
	uint8_t clock_accuracy;
};
void vctrl_evt_le_conn_complete(struct wr *w, const struct vctrl_conn_complete *e, bool enhanced);

/* One report of LE Advertising Report (legacy). */
struct vctrl_adv_report {
	uint8_t event_type;
	uint8_t addr_type;
	uint8_t addr[6];
	const uint8_t *data;
	uint8_t len; /* <= 31 */
	int8_t rssi;
};
void vctrl_evt_le_adv_report(struct wr *w, const struct vctrl_adv_report *r);

/* One report of LE Extended Advertising Report. */
struct vctrl_ext_adv_report {
	uint16_t event_type;
	uint8_t addr_type;
	uint8_t addr[6];
	uint8_t primary_phy, secondary_phy;
	uint8_t sid;
	int8_t tx_power, rssi;
	uint16_t periodic_interval;
	uint8_t direct_addr_type;
	uint8_t direct_addr[6];
	const uint8_t *data;
	uint8_t len; /* <= VCTRL_EXT_REPORT_DATA_MAX */
};
/* Data one extended report can carry: 255 - 1 (subevent) - 1 (count) - 24. */
#define VCTRL_EXT_REPORT_DATA_MAX 229
void vctrl_evt_le_ext_adv_report(struct wr *w, const struct vctrl_ext_adv_report *r);

void vctrl_evt_le_conn_update_complete(struct wr *w, uint8_t status, uint16_t handle,
				       uint16_t interval, uint16_t latency, uint16_t timeout);
void vctrl_evt_le_remote_features(struct wr *w, uint8_t status, uint16_t handle,
				  const uint8_t features[8]);
void vctrl_evt_le_ltk_request(struct wr *w, uint16_t handle, const uint8_t rand[8], uint16_t ediv);
void vctrl_evt_le_data_length_change(struct wr *w, uint16_t handle, uint16_t tx_octets,
				     uint16_t tx_time, uint16_t rx_octets, uint16_t rx_time);
void vctrl_evt_le_phy_update(struct wr *w, uint8_t status, uint16_t handle, uint8_t tx_phy,
			     uint8_t rx_phy);
void vctrl_evt_le_scan_timeout(struct wr *w);
void vctrl_evt_le_adv_set_terminated(struct wr *w, uint8_t status, uint8_t adv_handle,
				     uint16_t conn_handle, uint8_t num_events);
void vctrl_evt_le_scan_request_received(struct wr *w, uint8_t adv_handle, uint8_t addr_type,
					const uint8_t addr[6]);
void vctrl_evt_le_channel_selection(struct wr *w, uint16_t handle, uint8_t algorithm);

/* An H4 ACL data packet towards a host. */
void vctrl_acl_write(struct wr *w, uint16_t handle, uint8_t pb, const uint8_t *data, uint16_t len);

/* ---- BR/EDR (vctrl_codec_bredr.c) ------------------------------------------ */

/* Inquiry (7.1.1). */
struct vctrl_inquiry_cmd {
	uint32_t lap;     /* 24 bits */
	uint8_t length;   /* 1.28 s units */
	uint8_t num_rsp;  /* 0: unlimited */
};
int vctrl_parse_inquiry(const uint8_t *p, size_t n, struct vctrl_inquiry_cmd *out);

/* Create Connection (7.1.5). */
struct vctrl_create_conn_br {
	uint8_t addr[6];
	uint16_t packet_type;
	uint8_t psrm;
	uint16_t clock_offset;
	uint8_t allow_role_switch;
};
int vctrl_parse_create_conn_br(const uint8_t *p, size_t n, struct vctrl_create_conn_br *out);

/* IO Capability Request Reply (7.1.29). */
struct vctrl_io_cap {
	uint8_t addr[6];
	uint8_t io;
	uint8_t oob;
	uint8_t auth_req;
};
int vctrl_parse_io_cap_reply(const uint8_t *p, size_t n, struct vctrl_io_cap *out);

/* PIN Code Request Reply (7.1.12). */
struct vctrl_pin_reply {
	uint8_t addr[6];
	uint8_t len;
	uint8_t pin[16];
};
int vctrl_parse_pin_reply(const uint8_t *p, size_t n, struct vctrl_pin_reply *out);

/* One inquiry response: the event follows the inquiry mode (0 Inquiry
 * Result, 1 with RSSI, 2 Extended Inquiry Result with the EIR data). */
struct vctrl_inquiry_result {
	uint8_t addr[6];
	uint8_t psrm;
	uint8_t cod[3];
	uint16_t clock_offset;
	int8_t rssi;
	const uint8_t *eir; /* HCI_EIR_SIZE octets, extended mode only */
};
void vctrl_evt_inquiry_result(struct wr *w, uint8_t mode, const struct vctrl_inquiry_result *r);
void vctrl_evt_inquiry_complete(struct wr *w, uint8_t status);
void vctrl_evt_conn_complete_br(struct wr *w, uint8_t status, uint16_t handle,
				const uint8_t addr[6], uint8_t encryption);
void vctrl_evt_conn_request(struct wr *w, const uint8_t addr[6], const uint8_t cod[3]);
/* Authentication Complete and other events of a status and a handle. */
void vctrl_evt_status_handle(struct wr *w, uint8_t code, uint8_t status, uint16_t handle);
/* Remote Name Request Complete: name holds HCI_NAME_SIZE octets. */
void vctrl_evt_remote_name(struct wr *w, uint8_t status, const uint8_t addr[6],
			   const uint8_t *name);
void vctrl_evt_remote_features(struct wr *w, uint8_t status, uint16_t handle,
			       const uint8_t features[8]);
void vctrl_evt_remote_ext_features(struct wr *w, uint8_t status, uint16_t handle, uint8_t page,
				   uint8_t max_page, const uint8_t features[8]);
void vctrl_evt_role_change(struct wr *w, uint8_t status, const uint8_t addr[6], uint8_t role);
/* Link Key Request, PIN Code Request, IO Capability Request, User Passkey
 * Request: a BD_ADDR only. */
void vctrl_evt_addr(struct wr *w, uint8_t code, const uint8_t addr[6]);
/* User Confirmation Request, User Passkey Notification: BD_ADDR, value. */
void vctrl_evt_addr_value(struct wr *w, uint8_t code, const uint8_t addr[6], uint32_t value);
void vctrl_evt_io_cap_response(struct wr *w, const struct vctrl_io_cap *c);
void vctrl_evt_simple_pairing_complete(struct wr *w, uint8_t status, const uint8_t addr[6]);
void vctrl_evt_link_key_notification(struct wr *w, const uint8_t addr[6], const uint8_t key[16],
				     uint8_t type);

/* "12:34:56:78:9A:BC" (most significant first, as people write them) to
 * wire order; returns 0 or -EINVAL. */
int vctrl_addr_parse(const char *s, uint8_t out[6]);
/* Wire order to text; buf holds at least 18 bytes. */
const char *vctrl_addr_str(const uint8_t a[6], char *buf);

#endif
