/* The host actor's state machine: HCI events through a dispatch table, the
 * command queue, ACL data, the connection table and the start-up sequence.
 * No sockets, no protobuf: what it wants sent is appended to the outbox (or
 * pulled with host_next_hci), and host_main.c does the I/O. Time comes in
 * as milliseconds of a monotonic clock. */
#ifndef HOST_H
#define HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hci_codec.h"
#include "host_acl.h"
#include "host_bredr.h"
#include "host_cmd.h"
#include "host_conn.h"
#include "host_gap.h"

/* Cookies of commands the host sends for itself (start-up). Requesters'
 * cookies are >= HOST_COOKIE_FIRST. */
#define HOST_COOKIE_SETUP 1
#define HOST_COOKIE_FIRST 16
/* Cookies of GAP operations' commands have this bit (see host_gap.c). */
#define HOST_COOKIE_GAP (1ull << 62)
/* Cookies of BR/EDR operations' commands have this bit (host_bredr.c). */
#define HOST_COOKIE_BREDR (1ull << 61)

/* HciPacket types, as in hive.proto. */
enum host_hci_type {
	HOST_HCI_COMMAND = 1,
	HOST_HCI_ACL = 2,
	HOST_HCI_SCO = 3,
	HOST_HCI_EVENT = 4,
	HOST_HCI_ISO = 5,
};

enum host_out_kind {
	HOST_OUT_L2CAP,  /* a reassembled frame for l2cap */
	HOST_OUT_LINK,   /* a link event */
	HOST_OUT_DONE,   /* a requester's command finished or timed out */
	HOST_OUT_READY,  /* start-up done */
	HOST_OUT_FAILED, /* start-up failed: the host cannot serve */
	HOST_OUT_RESULT, /* a GAP request's result (or one scan report) */
	HOST_OUT_BREDR,  /* a BR/EDR event for smp, apps or a requester */
};

struct host_out {
	enum host_out_kind kind;
	union {
		struct {
			uint16_t handle;
			const uint8_t *data; /* valid until the next input */
			size_t len;
		} l2cap;
		struct host_link_event link;
		struct host_cmd_done done;
		struct host_result result;
		struct host_bredr_event bredr;
	};
};

#define HOST_OUTBOX_MAX 64

struct host_outbox {
	struct host_out item[HOST_OUTBOX_MAX];
	unsigned count;
	uint64_t overflow; /* items that did not fit (a bug if ever non-zero) */
};

/* What the controller told us at start-up. */
struct host_ctrl {
	struct hci_local_version version;
	uint8_t commands[64];
	uint8_t features[8];
	uint8_t le_features[8];
	uint8_t bdaddr[6];
	struct hci_buffer_size le_buf, buf;
};

struct host_stats {
	uint64_t events;
	uint64_t unknown_events;
	uint64_t malformed_events;
	uint64_t ignored_packets; /* SCO, ISO, commands from the controller side */
	uint64_t hardware_errors;
	uint64_t buffer_overflows;
	uint64_t unknown_handle_events;
};

struct host {
	struct host_cmdq cmd;
	struct host_acl acl;
	struct host_conn_table conns;
	struct host_ctrl ctrl;
	struct host_outbox out;
	struct host_stats st;
	struct host_gap gap;
	struct host_bredr bredr;
	uint64_t now_ms;    /* of the input being handled */
	int setup_step;     /* index in the start-up list; -1 before start */
	bool ready;
	bool failed;
	bool conns_changed; /* the shell saves a snapshot and clears it */
	/* The name of the last handled event, for logs. */
	const char *last_event;
};

void host_init(struct host *h, uint64_t cmd_timeout_ms);
void host_fini(struct host *h);

/* Starts the start-up sequence (with or without Reset). */
void host_start(struct host *h, bool reset);
/* Resumes from a snapshot instead of a start-up: the table and the buffer
 * sizes come back, ACL links are re-created, the host is ready at once.
 * Returns 0 or -EBADMSG (the caller then starts up without Reset). */
int host_resume(struct host *h, const uint8_t *snap, size_t len);
int host_snapshot(const struct host *h, uint8_t *out, size_t cap);

/* One HciPacket from the controller. */
void host_on_hci(struct host *h, int type, const uint8_t *p, size_t len, uint64_t now_ms);
/* One L2CAP frame from l2cap to send on handle. Returns 0 or the -errno of
 * host_acl_tx_submit (the frame was not queued). */
int host_on_l2cap(struct host *h, uint16_t handle, const uint8_t *frame, size_t len);
/* A requester's command. Returns 0, -ENOBUFS, -EMSGSIZE, -EAGAIN (not
 * ready yet). */
int host_submit_command(struct host *h, uint16_t opcode, const uint8_t *params, size_t plen,
			uint64_t cookie);
/* Expires the commands whose deadline passed. */
void host_on_time(struct host *h, uint64_t now_ms);
/* The next deadline (UINT64_MAX for none). */
uint64_t host_deadline(const struct host *h);

/* The next HCI packet to send (command first, then ACL), written into out.
 * Returns its length and sets *type, or 0 when nothing may go now. */
int host_next_hci(struct host *h, uint64_t now_ms, uint8_t *out, size_t cap, int *type);

/* Appends to the outbox (used by the handlers). */
struct host_out *host_out_push(struct host *h, enum host_out_kind kind);
void host_link_event(struct host *h, enum host_link_kind kind, const struct host_conn *c,
		     uint8_t status);
/* A new link's entries in the connection and ACL tables; NULL (after a
 * CONNECTION_FAILED event about failed) when the handle is in use or a table
 * is full. */
struct host_conn *host_link_open(struct host *h, uint16_t handle, const struct host_conn *failed);

/* ---- internal between host.c, host_events.c and host_setup.c ---------------- */
/* Dispatches one event packet through the tables; returns 0 or -errno
 * (counted). */
int host_dispatch_event(struct host *h, const uint8_t *p, size_t len, uint64_t now_ms);
/* A completed command: start-up ones advance the sequence, the others go to
 * the outbox. */
void host_command_done(struct host *h, const struct host_cmd_done *d);
void host_setup_done(struct host *h, const struct host_cmd_done *d);
/* The start-up list, for tests: its length and the opcode of step i. */
unsigned host_setup_steps(void);
uint16_t host_setup_opcode(unsigned i);

#endif
