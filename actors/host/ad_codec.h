/* Advertising data (Core Supplement Part A): AD structures parsed into
 * fields and built from them, and the accumulator that merges a device's
 * advertisement with its scan response (the seed's
 * AdvertisingDataAccumulator). Pure: no allocation, no globals, no I/O.
 *
 * Parsed fields point into the parsed bytes (names, manufacturer and
 * service data): they live as long as those bytes. UUIDs are copied. */
#ifndef AD_CODEC_H
#define AD_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* AD types. */
#define AD_FLAGS 0x01
#define AD_UUID16_INCOMPLETE 0x02
#define AD_UUID16_COMPLETE 0x03
#define AD_UUID32_INCOMPLETE 0x04
#define AD_UUID32_COMPLETE 0x05
#define AD_UUID128_INCOMPLETE 0x06
#define AD_UUID128_COMPLETE 0x07
#define AD_NAME_SHORT 0x08
#define AD_NAME_COMPLETE 0x09
#define AD_TX_POWER 0x0a
#define AD_SERVICE_DATA16 0x16
#define AD_APPEARANCE 0x19
#define AD_SERVICE_DATA32 0x20
#define AD_SERVICE_DATA128 0x21
#define AD_MANUFACTURER 0xff

/* Flags bits. */
#define AD_FLAG_LE_LIMITED 0x01
#define AD_FLAG_LE_GENERAL 0x02
#define AD_FLAG_NO_BREDR 0x04

#define AD_LEGACY_MAX 31
#define AD_DATA_MAX 251
/* Extended advertising data or scan response, whole (Vol 4 Part E 7.8.57). */
#define AD_EXT_MAX 1650
#define AD_UUIDS_MAX 16
#define AD_MANUF_MAX 4
#define AD_SVC_MAX 4
#define AD_OTHER_MAX 8

struct ad_bytes {
	const uint8_t *p;
	uint8_t len;
};

struct ad_uuid {
	uint8_t len; /* 2, 4 or 16 */
	uint8_t b[16]; /* least significant octet first */
};

struct ad_fields {
	bool has_flags;
	uint8_t flags;
	struct ad_bytes name; /* not NUL-terminated */
	bool name_shortened;
	unsigned n_uuids;
	struct ad_uuid uuids[AD_UUIDS_MAX];
	bool has_appearance;
	uint16_t appearance;
	bool has_tx_power;
	int8_t tx_power;
	unsigned n_manuf;
	struct {
		uint16_t company;
		struct ad_bytes data;
	} manuf[AD_MANUF_MAX];
	unsigned n_svc;
	struct {
		struct ad_uuid uuid;
		struct ad_bytes data;
	} svc[AD_SVC_MAX];
	unsigned n_other;
	struct {
		uint8_t type;
		struct ad_bytes data;
	} other[AD_OTHER_MAX];
	unsigned dropped; /* structures that did not fit the arrays above */
};

void ad_fields_init(struct ad_fields *f);

/* Parses AD structures and adds them to f (so parsing the advertising data
 * and then the scan response merges them; a later name, flags, appearance
 * or TX power replaces an earlier one). A zero length octet ends the data
 * (the rest is padding). Returns 0, or -EBADMSG when a structure runs past
 * the end or a field has a length its type does not allow; f then holds
 * what came before the bad structure. */
int ad_parse(const uint8_t *p, size_t len, struct ad_fields *f);

/* Builds AD structures in this order: flags, name, UUIDs (16, 32, 128-bit
 * complete lists), appearance, TX power, service data, manufacturer data,
 * other. A name that does not fit is shortened to what fits (type 0x08).
 * Returns the length, or -EMSGSIZE when the fields other than the name do
 * not fit in cap (or a field is too long for one structure). */
int ad_build(const struct ad_fields *f, uint8_t *out, size_t cap);

/* ---- the accumulator ---------------------------------------------------------- */

/* Legacy advertising report event types. */
#define AD_EVT_ADV_IND 0x00
#define AD_EVT_ADV_DIRECT_IND 0x01
#define AD_EVT_ADV_SCAN_IND 0x02
#define AD_EVT_ADV_NONCONN_IND 0x03
#define AD_EVT_SCAN_RSP 0x04
/* Not a legacy type: an extended advertisement that is connectable and not
 * scannable (the accumulator's view of an extended report). */
#define AD_EVT_EXT_CONNECTABLE 0x05

#define AD_ACC_MAX 32
/* Scannable advertisements seen without a response before the host reports
 * the device without one. */
#define AD_ACC_PATIENCE 3

struct ad_report_in {
	uint8_t event_type; /* AD_EVT_* */
	uint8_t addr_type;
	uint8_t addr[6];
	const uint8_t *data;
	uint16_t len;
	int8_t rssi;
	/* Extended advertising reports only (zero otherwise). */
	bool extended;   /* not a legacy PDU */
	bool truncated;  /* the controller lost the rest of the data */
	uint8_t primary_phy, secondary_phy;
	uint8_t sid;
};

/* One device: its last advertisement and scan response. */
struct ad_entry {
	bool in_use;
	bool pending; /* waiting for the scan response */
	bool has_rsp;
	uint8_t waits;
	uint8_t addr_type;
	uint8_t addr[6];
	uint8_t adv_type; /* event type of the advertisement */
	int8_t rssi;
	uint16_t adv_len, rsp_len;
	bool extended, truncated; /* of the advertisement */
	uint8_t primary_phy, secondary_phy, sid;
	uint8_t adv[AD_EXT_MAX];
	uint8_t rsp[AD_EXT_MAX];
	uint64_t seen; /* update counter, for eviction */
};

struct ad_acc {
	bool passive;
	uint64_t clock;
	struct ad_entry e[AD_ACC_MAX];
};

void ad_acc_init(struct ad_acc *acc, bool passive);

/* Adds one report. Returns the device's entry when it is to be reported
 * now (advertisement and scan response merged), NULL while waiting for a
 * scan response or for a scan response nobody asked for. The entry lives
 * until the next call. */
const struct ad_entry *ad_acc_update(struct ad_acc *acc, const struct ad_report_in *r);

/* The next device still waiting for a scan response (reported without
 * one, and no longer waiting), or NULL. For the end of a scan. */
const struct ad_entry *ad_acc_take_pending(struct ad_acc *acc);

bool ad_entry_connectable(const struct ad_entry *e);
bool ad_entry_scannable(const struct ad_entry *e);

#endif
