/* The HCI commands of GAP (advertising, scanning, connecting, link
 * management) written as parameter bytes, and the LE Advertising Report
 * decoder. Pure: each builder writes the command's parameters through a
 * bounds-checked writer and returns the length or -EMSGSIZE. */
#ifndef GAP_CODEC_H
#define GAP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ad_codec.h"

/* Advertising_Type of LE Set Advertising Parameters. */
#define GAP_ADV_IND 0x00
#define GAP_ADV_SCAN_IND 0x02
#define GAP_ADV_NONCONN_IND 0x03

struct gap_adv_params {
	uint16_t interval_min, interval_max; /* units of 0.625 ms */
	uint8_t type;
	uint8_t own_addr_type; /* 0 public, 1 random */
	uint8_t channel_map;   /* 0: all three */
	uint8_t filter_policy;
};

struct gap_scan_params {
	bool active;
	uint16_t interval, window; /* units of 0.625 ms */
	uint8_t own_addr_type;
	uint8_t filter_policy;
};

struct gap_create_conn {
	uint16_t scan_interval, scan_window;
	bool use_filter_accept_list;
	uint8_t peer_type;
	uint8_t peer[6];
	uint8_t own_addr_type;
	uint16_t interval_min, interval_max, latency, timeout;
};

struct gap_conn_update {
	uint16_t handle;
	uint16_t interval_min, interval_max, latency, timeout;
};

int gap_build_adv_params(uint8_t *out, size_t cap, const struct gap_adv_params *p);
/* Advertising or scan response data: the length octet, then the data
 * padded with zeros to 31 octets. */
int gap_build_adv_data(uint8_t *out, size_t cap, const uint8_t *data, size_t len);
int gap_build_enable(uint8_t *out, size_t cap, bool enable);
int gap_build_scan_params(uint8_t *out, size_t cap, const struct gap_scan_params *p);
int gap_build_scan_enable(uint8_t *out, size_t cap, bool enable, bool filter_duplicates);
int gap_build_create_conn(uint8_t *out, size_t cap, const struct gap_create_conn *p);
int gap_build_conn_update(uint8_t *out, size_t cap, const struct gap_conn_update *p);
int gap_build_disconnect(uint8_t *out, size_t cap, uint16_t handle, uint8_t reason);
int gap_build_handle(uint8_t *out, size_t cap, uint16_t handle);
int gap_build_set_phy(uint8_t *out, size_t cap, uint16_t handle, uint8_t tx_phys,
		      uint8_t rx_phys);
int gap_build_set_data_length(uint8_t *out, size_t cap, uint16_t handle, uint16_t octets,
			      uint16_t time);
int gap_build_filter_entry(uint8_t *out, size_t cap, uint8_t type, const uint8_t addr[6]);
int gap_build_address(uint8_t *out, size_t cap, const uint8_t addr[6]);
int gap_build_enable_encryption(uint8_t *out, size_t cap, uint16_t handle,
				const uint8_t rand[8], uint16_t ediv, const uint8_t ltk[16]);
int gap_build_ltk_reply(uint8_t *out, size_t cap, uint16_t handle, const uint8_t ltk[16]);

/* LE Advertising Report (parameters after the subevent code). Reports are
 * read one after the other (event type, address type, address, data
 * length, data, RSSI), as controllers send them. Calls fn for each report
 * once the whole event was checked. Returns the number of reports or
 * -EBADMSG (then fn was not called). */
typedef void (*gap_report_fn)(void *arg, const struct ad_report_in *r);
int gap_parse_adv_report(const uint8_t *p, size_t len, gap_report_fn fn, void *arg);

/* ---- extended advertising, scanning and connecting (Vol 4 Part E 7.8.53-66) ---- */

/* Advertising_Event_Properties bits. */
#define GAP_PROP_CONNECTABLE 0x0001
#define GAP_PROP_SCANNABLE 0x0002
#define GAP_PROP_LEGACY 0x0010
/* PHYs as HCI numbers them. */
#define GAP_PHY_1M 1
#define GAP_PHY_2M 2
#define GAP_PHY_CODED 3
/* Operation of Set Extended Advertising / Scan Response Data. */
#define GAP_OP_INTERMEDIATE 0
#define GAP_OP_FIRST 1
#define GAP_OP_LAST 2
#define GAP_OP_COMPLETE 3
/* Data in one Set Extended Advertising Data command. */
#define GAP_EXT_FRAG_MAX 251

struct gap_ext_adv_params {
	uint8_t handle;
	uint16_t props;
	uint32_t interval_min, interval_max; /* units of 0.625 ms, 24 bits */
	uint8_t own_addr_type;
	uint8_t filter_policy;
	int8_t tx_power; /* 127: no preference */
	uint8_t primary_phy, secondary_phy;
	uint8_t sid;
};

struct gap_ext_scan_params {
	uint8_t own_addr_type;
	uint8_t filter_policy;
	uint8_t phys; /* bit 0 1M, bit 2 Coded */
	bool active;
	uint16_t interval, window; /* units of 0.625 ms, the same on each PHY */
};

struct gap_ext_create_conn {
	bool use_filter_accept_list;
	uint8_t own_addr_type;
	uint8_t peer_type;
	uint8_t peer[6];
	uint8_t phys; /* bit 0 1M, bit 1 2M, bit 2 Coded */
	uint16_t scan_interval, scan_window;
	uint16_t interval_min, interval_max, latency, timeout;
};

int gap_build_ext_adv_params(uint8_t *out, size_t cap, const struct gap_ext_adv_params *p);
/* One fragment of Set Extended Advertising (or Scan Response) Data. */
int gap_build_ext_adv_data(uint8_t *out, size_t cap, uint8_t handle, uint8_t operation,
			   const uint8_t *data, size_t len);
/* Enables or disables one set, without duration or event limit. */
int gap_build_ext_adv_enable(uint8_t *out, size_t cap, bool enable, uint8_t handle);
int gap_build_set_random_address(uint8_t *out, size_t cap, uint8_t handle,
				 const uint8_t addr[6]);
int gap_build_ext_scan_params(uint8_t *out, size_t cap, const struct gap_ext_scan_params *p);
/* duration in units of 10 ms (0: until disabled). */
int gap_build_ext_scan_enable(uint8_t *out, size_t cap, bool enable, bool filter_duplicates,
			      uint16_t duration);
int gap_build_ext_create_conn(uint8_t *out, size_t cap, const struct gap_ext_create_conn *p);

/* Event_Type bits of an extended advertising report. */
#define GAP_EXT_EVT_CONNECTABLE 0x0001
#define GAP_EXT_EVT_SCANNABLE 0x0002
#define GAP_EXT_EVT_DIRECTED 0x0004
#define GAP_EXT_EVT_SCAN_RSP 0x0008
#define GAP_EXT_EVT_LEGACY 0x0010
#define GAP_EXT_STATUS(t) (((t) >> 5) & 3)
#define GAP_EXT_COMPLETE 0
#define GAP_EXT_INCOMPLETE 1
#define GAP_EXT_TRUNCATED 2

/* One report of an LE Extended Advertising Report event. */
struct gap_ext_report {
	uint16_t event_type;
	uint8_t addr_type;
	uint8_t addr[6];
	uint8_t primary_phy, secondary_phy, sid;
	int8_t tx_power, rssi;
	const uint8_t *data; /* points into the event */
	uint8_t len;
};

/* LE Extended Advertising Report (parameters after the subevent code):
 * checks the whole event (1..10 reports, each with its fixed fields, a data
 * status that is not the reserved one, a legacy PDU with at most 31 bytes
 * and a known legacy type), then calls fn for each report in order.
 * Returns the number of reports or -EBADMSG (fn not called). */
typedef void (*gap_ext_report_fn)(void *arg, const struct gap_ext_report *r);
int gap_parse_ext_adv_report(const uint8_t *p, size_t len, gap_ext_report_fn fn, void *arg);

/* The accumulator's event type (AD_EVT_*) of an extended report. */
uint8_t gap_ext_event_to_ad(uint16_t event_type);

/* Read RSSI return parameters (after the status): handle, RSSI. */
int gap_decode_rssi(const uint8_t *ret, size_t len, uint16_t *handle, int8_t *rssi);

/* Milliseconds to units of 0.625 ms, clamped to [lo, hi]. */
uint16_t gap_ms_to_slots(uint32_t ms, uint16_t lo, uint16_t hi);

#endif
