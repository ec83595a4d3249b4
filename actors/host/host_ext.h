/* Extended advertising, scanning and connecting (Core Vol 4 Part E 7.8.53-66)
 * in the host: the part of GAP used when the controller supports the LE
 * Extended Advertising feature and its commands. The host then uses only
 * the extended commands for the whole controller session (3.1.1 forbids
 * mixing the two families); legacy PDUs go out through them when the data
 * fits 31 bytes and no other PHY is asked for, so legacy scanners still
 * hear us.
 *
 * Extended Advertising Reports arrive in pieces (data status "incomplete,
 * more to come"), one advertiser's pieces possibly interleaved with
 * another's: they are put back together per advertiser (address, SID,
 * advertisement or scan response) before the accumulator merges the data
 * with the scan response, as for legacy reports. A truncated chain is
 * reported with what arrived and marked truncated. Pure. */
#ifndef HOST_EXT_H
#define HOST_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ad_codec.h"

struct host;
struct gap_op;
struct gap_advertise;
struct gap_scan;
struct gap_connect;
struct host_cmd_done;
struct gap_cmd;

#define HOST_EXT_CHAINS 4   /* advertisers whose reports are reassembled at once */
#define HOST_EXT_ADV_HANDLE 0 /* the one advertising set the host uses */

struct host_ext_chain {
	bool in_use;
	bool scan_rsp;
	uint8_t addr_type, addr[6], sid;
	uint64_t seen;
	uint16_t len;
	uint8_t data[AD_EXT_MAX];
};

struct host_ext {
	bool on;             /* the controller has the extended commands: use them */
	bool set_exists;     /* advertising set HOST_EXT_ADV_HANDLE is configured */
	bool scan_by_ctrl;   /* the controller ends the running scan (its duration) */
	bool sets_unknown;   /* after a restart: the controller may still have sets */
	uint8_t refreshing;  /* reads of host_ext_refresh still to complete */
	uint16_t max_adv_len; /* Read Maximum Advertising Data Length, capped */
	uint8_t num_sets;
	uint64_t clock;
	struct host_ext_chain chain[HOST_EXT_CHAINS];
	uint64_t reports, chained, truncated, dropped;
};

/* Whether the controller reported the LE Extended Advertising feature and
 * every extended command the host uses. */
bool host_ext_supported(const struct host *h);
/* 0, or -EAGAIN with *why while the host does not know yet which command
 * family the controller's session uses (just after a restart). */
int host_ext_known(const struct host *h, const char **why);

/* The checks of an advertise request that needs no command; *ext says
 * whether it goes out as extended PDUs. Returns 0 or -errno with *why. */
int host_ext_adv_check(const struct host *h, const struct gap_advertise *a, size_t adlen,
		       bool *ext, const char **why);
/* Adds the extended commands of an advertise request to op. */
void host_ext_adv_cmds(struct host *h, struct gap_op *op, const struct gap_advertise *a,
		       const uint8_t *ad, size_t adlen, bool ext);
void host_ext_stop_adv_cmds(struct host *h, struct gap_op *op);
void host_ext_scan_cmds(struct host *h, struct gap_op *op, const struct gap_scan *s,
			uint16_t interval, uint16_t window);
void host_ext_stop_scan_cmds(struct host *h, struct gap_op *op);
int host_ext_connect_check(const struct host *h, const struct gap_connect *c,
			   const char **why);
void host_ext_connect_cmds(struct host *h, struct gap_op *op, const struct gap_connect *c,
			   uint16_t interval_min, uint16_t interval_max, uint16_t timeout);

/* A command of an operation succeeded: keep track of the set and of
 * advertising. */
void host_ext_cmd_applied(struct host *h, const struct gap_cmd *c);
/* A new connection: read its PHY (extended connections may start on 2M or
 * Coded). */
void host_ext_on_connection(struct host *h, uint16_t handle);
/* After a restart from a snapshot (no start-up): ask the controller again
 * what it supports, to keep using the command family of its session. */
void host_ext_refresh(struct host *h);
/* One of the host's own commands about a link or the controller completed
 * (LE Read PHY, or the reads of host_ext_refresh). */
void host_ext_internal_done(struct host *h, uint16_t opcode, const struct host_cmd_done *d);

/* LE meta event handlers of host_events.c's table (parameters after the
 * subevent code). Return 0 or -EBADMSG. */
int host_ext_on_adv_report(struct host *h, uint8_t code, const uint8_t *p, size_t len,
			   uint64_t now_ms);
int host_ext_on_adv_set_terminated(struct host *h, uint8_t code, const uint8_t *p, size_t len,
				   uint64_t now_ms);
int host_ext_on_scan_timeout(struct host *h, uint8_t code, const uint8_t *p, size_t len,
			     uint64_t now_ms);

#endif
