/* GAP in the host: advertising, scanning (reports merged per device),
 * connecting with a timeout and cancel, disconnecting, link updates, the
 * filter accept list, encryption requests from smp, the local addresses
 * (public, random static, rotated RPAs) and the IRKs of bonded peers.
 *
 * Each request becomes an operation: a short list of HCI commands sent one
 * after the other through the command queue, then, for some, an event
 * awaited (LE Connection Complete, Disconnection Complete, ...). When it
 * ends, a struct host_result goes to the outbox with the requester's tag
 * (`asker`, the shell's). A scan streams its reports as non-final results.
 * Pure: time and randomness are passed in. */
#ifndef HOST_GAP_H
#define HOST_GAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ad_codec.h"
#include "gap_codec.h"
#include "host_config.h"
#include "host_conn.h"
#include "host_ext.h"

struct host;
struct host_cmd_done;

#define GAP_OPS_MAX 16
/* Extended advertising with the longest data: disable, remove, parameters,
 * address, 7 + 7 fragments, enable. */
#define GAP_CMDS_MAX 20
#define GAP_PARAMS_MAX 255
#define GAP_IRKS_MAX 16
#define GAP_CONNECT_TIMEOUT_MS_DEFAULT 5000
#define GAP_ADV_INTERVAL_MS_DEFAULT 100
#define GAP_SCAN_INTERVAL_MS_DEFAULT 60

enum gap_kind {
	GAP_INTERNAL, /* the host's own (no requester) */
	GAP_ADVERTISE,
	GAP_STOP_ADVERTISING,
	GAP_SCAN,
	GAP_STOP_SCAN,
	GAP_CONNECT,
	GAP_CANCEL_CONNECT,
	GAP_DISCONNECT,
	GAP_UPDATE,
	GAP_SET_PHY,
	GAP_SET_DATA_LENGTH,
	GAP_READ_RSSI,
	GAP_FILTER,
	GAP_ENCRYPT,
	GAP_LTK_REPLY,
};

struct gap_cmd {
	uint16_t opcode;
	uint8_t plen;
	uint8_t params[GAP_PARAMS_MAX];
};

struct gap_op {
	bool in_use;
	bool waiting;   /* commands done, waiting for an event */
	bool timed_out; /* connect: the timeout sent the cancel */
	enum gap_kind kind;
	uint64_t asker;
	uint64_t cookie; /* of the command in flight */
	uint16_t handle;
	uint8_t ncmd, next;
	struct gap_cmd cmd[GAP_CMDS_MAX];
	uint64_t deadline_ms; /* 0: none */
};

/* What the requester gets. */
enum host_value {
	HOST_VALUE_NONE,
	HOST_VALUE_ADVERTISE,
	HOST_VALUE_SCAN_REPORT,
	HOST_VALUE_SCAN_ENDED,
	HOST_VALUE_CONNECTION,
	HOST_VALUE_RSSI,
};

struct host_result {
	uint64_t asker;
	bool final;        /* the request is done (a scan report is not) */
	int32_t status;    /* 0, -errno (domain local) or an HCI code */
	bool hci;          /* status is an HCI code */
	const char *error; /* static text, or NULL */
	enum host_value value;
	struct host_conn conn;   /* connection */
	struct host_addr own;    /* advertise */
	bool extended;
	uint16_t handle;         /* rssi */
	int8_t rssi;
	const struct ad_entry *report; /* scan report: valid until the next input */
	bool has_identity;
	struct host_addr identity;
	uint32_t reports;        /* scan ended */
	const char *reason;
};

struct gap_irk {
	bool in_use;
	struct host_addr identity;
	uint8_t irk[16];
};

struct host_gap {
	struct host_config cfg;
	uint8_t own_type;   /* 0 public, 1 random */
	uint8_t random[6];  /* the random address in use (static or RPA) */
	bool random_set;    /* the controller has it */
	bool rpa_due;       /* a new RPA waits to be set */
	uint64_t rpa_next_ms;
	struct gap_op op[GAP_OPS_MAX];
	uint64_t next_gen;
	bool advertising, scanning;
	int scan_op;    /* index of the running scan, -1 */
	int connect_op; /* index of the connection attempt, -1 */
	bool scan_filter_dup;
	uint32_t scan_reports;
	const char *scan_end_reason;
	struct ad_acc acc;
	struct gap_irk irks[GAP_IRKS_MAX];
	struct host_ext ext;
	uint8_t rnd[16];    /* randomness for the next address (refilled by the shell) */
	bool rnd_fresh;
};

/* ---- requests (from the shell, already decoded) ------------------------------- */

struct gap_advertise {
	bool connectable;
	uint32_t interval_ms;
	bool has_data, has_rsp;
	uint8_t data[AD_EXT_MAX], rsp[AD_EXT_MAX];
	size_t data_len, rsp_len;
	bool no_flags;
	bool extended; /* extended PDUs even when legacy ones would do */
	uint8_t phy;   /* 0 or GAP_PHY_*: of the extended advertisement */
};

struct gap_scan {
	bool passive;
	uint32_t interval_ms, window_ms, duration_ms;
	bool report_duplicates;
	bool use_filter_accept_list;
};

struct gap_connect {
	struct host_addr peer;
	uint32_t timeout_ms;
	uint16_t interval_min, interval_max, latency, timeout;
	bool use_filter_accept_list;
	uint8_t phys; /* initiating PHYs, bits 1M, 2M, Coded; 0: 1M */
};

/* Each returns 0 when the operation started (its result comes later) or a
 * -errno with *why set to a sentence (nothing was sent). */
void host_gap_init(struct host *h, const struct host_config *cfg);
int host_gap_advertise(struct host *h, uint64_t asker, const struct gap_advertise *a,
		       const char **why);
int host_gap_stop_advertising(struct host *h, uint64_t asker, const char **why);
int host_gap_scan(struct host *h, uint64_t asker, const struct gap_scan *s, uint64_t now_ms,
		  const char **why);
int host_gap_stop_scan(struct host *h, uint64_t asker, const char **why);
int host_gap_connect(struct host *h, uint64_t asker, const struct gap_connect *c,
		     uint64_t now_ms, const char **why);
int host_gap_cancel_connect(struct host *h, uint64_t asker, const char **why);
int host_gap_disconnect(struct host *h, uint64_t asker, uint16_t handle, uint8_t reason,
			const char **why);
int host_gap_update(struct host *h, uint64_t asker, const struct gap_conn_update *u,
		    const char **why);
int host_gap_set_phy(struct host *h, uint64_t asker, uint16_t handle, uint8_t tx, uint8_t rx,
		     const char **why);
int host_gap_set_data_length(struct host *h, uint64_t asker, uint16_t handle, uint16_t octets,
			     uint16_t time, const char **why);
int host_gap_read_rssi(struct host *h, uint64_t asker, uint16_t handle, const char **why);
/* op: 0 clear, 1 add, 2 remove. */
int host_gap_filter(struct host *h, uint64_t asker, int op, const struct host_addr *a,
		    const char **why);
int host_gap_start_encryption(struct host *h, uint64_t asker, uint16_t handle,
			      const uint8_t ltk[16], uint16_t ediv, const uint8_t rand[8],
			      const char **why);
int host_gap_ltk_reply(struct host *h, uint64_t asker, uint16_t handle, bool found,
		       const uint8_t ltk[16], const char **why);
int host_gap_add_irk(struct host *h, const struct host_addr *identity, const uint8_t irk[16]);
void host_gap_remove_irk(struct host *h, const struct host_addr *identity);

/* The address advertising and connecting use now. */
void host_gap_own_address(const struct host *h, struct host_addr *out);

/* ---- from the rest of the host ---------------------------------------------------- */

/* Start-up finished: set the random address when one is used. */
void host_gap_ready(struct host *h, uint64_t now_ms);
void host_gap_cmd_done(struct host *h, const struct host_cmd_done *d);
void host_gap_on_connection(struct host *h, uint8_t status, uint8_t role,
			    const struct host_conn *c);
void host_gap_on_disconnection(struct host *h, uint16_t handle, uint8_t status);
void host_gap_on_link_update(struct host *h, enum host_link_kind kind, uint16_t handle,
			     uint8_t status);
void host_gap_on_adv_report(struct host *h, const struct ad_report_in *r);
void host_gap_on_time(struct host *h, uint64_t now_ms);
uint64_t host_gap_deadline(const struct host *h);
/* ---- for host_ext.c -------------------------------------------------------------- */

/* Appends a command to op (a plen < 0 from a builder marks op broken). */
void host_gap_add(struct gap_op *op, uint16_t opcode, const uint8_t *params, int plen);
/* Sends one command of the host's own about a link. */
void host_gap_internal(struct host *h, uint16_t handle, uint16_t opcode, const uint8_t *p,
		       int plen);
/* The running scan ended (the controller stopped it). */
void host_gap_scan_ended(struct host *h, const char *reason);

/* The shell gives fresh randomness for the next address (16 bytes). */
void host_gap_randomness(struct host *h, const uint8_t rnd[16]);

#endif
