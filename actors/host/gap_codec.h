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

/* Read RSSI return parameters (after the status): handle, RSSI. */
int gap_decode_rssi(const uint8_t *ret, size_t len, uint16_t *handle, int8_t *rssi);

/* Milliseconds to units of 0.625 ms, clamped to [lo, hi]. */
uint16_t gap_ms_to_slots(uint32_t ms, uint16_t lo, uint16_t hi);

#endif
