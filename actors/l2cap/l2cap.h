/* The l2cap actor's state machine: fixed channel routing, LE signaling and
 * LE credit based connection-oriented channels for every link.
 *
 * Pure: no sockets, no protobuf, no clock. Time comes in as now_ms; what the
 * actor wants done (frames to the host, payloads and events to other
 * actors, LE Connection Update requests) is appended to the outbox, which
 * the shell (l2cap_main.c, to come) flushes after every input and then
 * clears. One struct l2cap per process, per-link state in its link table.
 *
 *     struct l2cap *l = l2cap_new(NULL);
 *     l2cap_link_add(l, 0x0040, L2CAP_ROLE_CENTRAL);
 *     l2cap_on_frame(l, 0x0040, bytes, len, now_ms);
 *     for (size_t i = 0; i < l->out.n; i++) ... l->out.v[i] ...
 *     l2cap_outbox_clear(l);
 */
#ifndef L2CAP_H
#define L2CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l2cap_codec.h"
#include "l2cap_fixed.h"
#include "l2cap_bredr.h"

#define L2CAP_LINKS_MAX 16
/* Signaling requests of ours awaiting a response, per link. */
#define L2CAP_PENDING_MAX 8
/* Channels per link: the whole LE dynamic range, index = CID - 0x0040. */
#define L2CAP_CHAN_MAX (L2CAP_CID_DYN_MAX - L2CAP_CID_DYN_MIN + 1)
#define L2CAP_SPSM_LISTEN_MAX 32
/* RTX: the spec allows 1..60 s. */
#define L2CAP_RTX_MS_DEFAULT 30000
#define L2CAP_TXQ_MAX_DEFAULT (256 * 1024)

enum l2cap_role {
	L2CAP_ROLE_CENTRAL = 0,
	L2CAP_ROLE_PERIPHERAL = 1,
};

/* LE connection parameters in the units of the specification. */
struct l2cap_conn_params {
	uint16_t interval_min; /* 1.25 ms, 6..3200 */
	uint16_t interval_max; /* 1.25 ms, 6..3200 */
	uint16_t latency;      /* 0..499 */
	uint16_t timeout;      /* 10 ms, 10..3200 */
};

/* What a central accepts from a peripheral's Connection Parameter Update
 * Request, on top of the specification's ranges. */
struct l2cap_cpu_policy {
	bool accept;           /* false: reject every request */
	uint16_t interval_min; /* the request's range must meet [min, max] */
	uint16_t interval_max;
	uint16_t latency_max;
	uint16_t timeout_min;
	uint16_t timeout_max;
};

struct l2cap_config {
	uint16_t mtu_sig;  /* our signaling MTU, >= 23 */
	uint32_t rtx_ms;   /* how long our requests wait for their response */
	size_t txq_max;    /* bytes queued per channel before send says -EAGAIN */
	struct l2cap_cpu_policy cpu;
};

/* The link's security, as the host and smp report it. */
struct l2cap_security {
	bool encrypted;
	bool authenticated; /* the key was made with MITM protection */
	uint8_t key_size;
	bool ltk_present;   /* a key exists (bonded), encryption not yet on */
	bool authorized;    /* the application authorized the peer */
};

/* Security a listener demands of an incoming channel. */
enum l2cap_sec_level {
	L2CAP_SEC_NONE = 0,
	L2CAP_SEC_ENCRYPTED = 1,
	L2CAP_SEC_AUTHENTICATED = 2,
};

/* Our receive side of a channel. */
struct l2cap_coc_params {
	uint16_t mtu;     /* largest SDU we accept, >= 23 */
	uint16_t mps;     /* largest K-frame payload we accept, 23..65533 */
	uint16_t credits; /* K-frames the peer may send ahead, >= 1 */
};

struct l2cap_coc_policy {
	struct l2cap_coc_params rx;
	enum l2cap_sec_level sec_level;
	uint8_t min_key_size;    /* 0: any */
	bool need_authorization;
	unsigned max_channels;   /* 0: no limit beyond the CID range */
};

enum l2cap_chan_state {
	L2CAP_CHAN_FREE = 0,
	L2CAP_CHAN_CONNECTING,    /* our request sent */
	L2CAP_CHAN_OPEN,
	L2CAP_CHAN_DISCONNECTING, /* our Disconnection Request sent */
};

/* One queued SDU (malloc'd with its bytes). */
struct l2cap_sdu {
	struct l2cap_sdu *next;
	size_t len;
	size_t off;   /* bytes already sent */
	bool started; /* the first K-frame (with the SDU length) went */
	uint8_t data[];
};

struct l2cap_chan {
	enum l2cap_chan_state state;
	uint16_t local_cid;
	uint16_t remote_cid;
	uint16_t spsm;
	bool incoming;   /* the peer opened it */
	bool ecred;      /* opened in enhanced credit based mode */
	bool owner_told; /* the owner already has its CLOSED / OPEN_FAILED */
	char owner[L2CAP_NAME_MAX + 1];
	uint64_t req_id; /* the owner's request that opened it */
	struct l2cap_coc_params rx; /* ours */
	uint16_t peer_mtu;
	uint16_t peer_mps;
	/* Transmit: credits the peer granted, and the SDUs waiting for them. */
	uint32_t tx_credits;
	struct l2cap_sdu *txq_head, *txq_tail;
	size_t txq_bytes;
	size_t txq_count;
	bool tx_blocked; /* a send was refused with -EAGAIN; tell when writable */
	/* The shell's: after -EAGAIN every send is refused until the owner says
	 * resume (so SDUs in flight from the owner cannot overtake the refused
	 * one). Not used by the core. */
	bool send_paused;
	/* Receive: credits the peer still holds, and the SDU being reassembled. */
	uint32_t rx_credits;
	bool rx_hold;    /* no credits returned (the owner is behind) */
	uint8_t *rx_buf;
	size_t rx_sdu_len;
	size_t rx_have;
	bool rx_active;
	int close_status; /* told to the owner when the channel goes */
	size_t unsent;    /* queued SDUs dropped by a disconnection */
	struct l2cap_bredr_chan br; /* BR/EDR basic mode (l2cap_bredr.h) */
};

/* A signaling request of ours awaiting its response. */
struct l2cap_pending {
	uint8_t ident; /* 0: free */
	uint8_t code;
	uint64_t deadline_ms;
	uint8_t ncid;
	uint16_t cid[L2CAP_ECRED_CIDS_MAX]; /* local CIDs concerned */
	uint64_t req_id;
	char requester[L2CAP_NAME_MAX + 1];
};

struct l2cap_hframe;

/* Frames held for the host's credits (l2cap_hostflow.c): told busy at HIGH,
 * not busy at LOW, refused past MAX. */
#define L2CAP_HOSTQ_HIGH 64
#define L2CAP_HOSTQ_LOW 16
#define L2CAP_HOSTQ_MAX 4096

struct l2cap_link {
	bool in_use;
	uint16_t handle;
	enum l2cap_role role;
	bool bredr; /* ACL-U: signaling on 0x0001, basic-mode channels */
	struct l2cap_security sec;
	uint8_t next_ident;
	struct l2cap_pending pending[L2CAP_PENDING_MAX];
	struct l2cap_chan chan[L2CAP_CHAN_MAX];
	/* Frames to the host: its credits (once it sent AclCredits) and the
	 * frames waiting for them, in order; fixed CIDs told busy (bit = CID). */
	bool host_flow;
	uint32_t host_credits;
	uint32_t host_epoch; /* stamped on every frame (L2capFrame.epoch) */
	struct l2cap_hframe *hq_head, *hq_tail;
	unsigned hq_count;
	/* Copies of the frames the host has not credited back yet: sent again
	 * when a restarted host resets the window (its queue died with it). */
	struct l2cap_hframe *sent_head, *sent_tail;
	unsigned sent_count;
	uint64_t busy_told;
};

struct l2cap_listener {
	uint16_t spsm; /* 0: free */
	char owner[L2CAP_NAME_MAX + 1];
	struct l2cap_coc_policy policy;
};

enum l2cap_out_kind {
	L2CAP_OUT_FRAME,             /* host: one basic frame (data) on handle */
	L2CAP_OUT_PDU,               /* dest: a fixed channel's payload (data), cid */
	L2CAP_OUT_CONN_UPDATE,       /* host: run LE Connection Update with params */
	L2CAP_OUT_CONN_PARAM_RESULT, /* dest: our request's outcome: status is the
				      * result (0 accepted, 1 rejected),
				      * -ETIMEDOUT or -EOPNOTSUPP (rejected) */
	L2CAP_OUT_COC_OPENED,        /* dest: channel cid is open (incoming or
				      * req_id's); peer mtu/mps */
	L2CAP_OUT_COC_OPEN_FAILED,   /* dest: req_id failed: status is the
				      * result code (> 0) or -errno */
	L2CAP_OUT_COC_SDU,           /* dest: one reassembled SDU (data) on cid */
	L2CAP_OUT_COC_CLOSED,        /* dest: cid is gone: status 0 (asked for),
				      * -ECONNRESET (peer), -EPROTO (peer broke
				      * the protocol: we disconnected),
				      * -ETIMEDOUT, -ENOTCONN (link gone);
				      * unsent: SDUs that will never go */
	L2CAP_OUT_COC_WRITABLE,      /* dest: cid's queue drained after -EAGAIN */
	L2CAP_OUT_FIXED_BUSY,        /* dest: fixed cid's link is backed up
				      * (status 1) or drained (0); unsent:
				      * the frames waiting */
};

struct l2cap_out {
	enum l2cap_out_kind kind;
	uint16_t handle;
	uint16_t cid;
	char dest[L2CAP_NAME_MAX + 1]; /* empty for host-bound items */
	int status;
	uint64_t req_id;
	struct l2cap_conn_params params;
	uint16_t spsm;
	uint16_t mtu;
	uint16_t mps;
	bool incoming;
	size_t unsent;
	uint8_t *data; /* malloc'd, owned by the outbox */
	size_t len;
	uint32_t epoch; /* FRAME: the host's epoch it is meant for */
};

struct l2cap_outbox {
	struct l2cap_out *v;
	size_t n;
	size_t cap;
};

struct l2cap_stats {
	uint64_t frames_in;
	uint64_t frames_out;
	uint64_t malformed_frames; /* basic header disagrees with the bytes */
	uint64_t unknown_handle;
	uint64_t sig_malformed;    /* bad header or identifier 0: dropped */
	uint64_t sig_rejects_sent;
	uint64_t sig_unexpected;   /* responses nobody waits for, gated PDUs */
	uint64_t sig_timeouts;
	uint64_t kframes_dropped;  /* K-frames for no open channel */
	uint64_t coc_violations;   /* channels we disconnected for the peer's fault */
	uint64_t no_memory;
	uint64_t host_backlog_max;     /* most frames held for host credits */
	uint64_t host_backlog_refused; /* refused past L2CAP_HOSTQ_MAX */
	uint64_t host_backlog_flushed; /* dropped with their link */
	uint64_t host_resent;          /* sent again after a host restart */
};

struct l2cap {
	struct l2cap_config cfg;
	struct l2cap_fixed fixed;
	struct l2cap_listener listen[L2CAP_SPSM_LISTEN_MAX];
	struct l2cap_bredr bredr; /* the PSM registry (l2cap_bredr.h) */
	struct l2cap_link link[L2CAP_LINKS_MAX];
	struct l2cap_outbox out;
	struct l2cap_stats st;
	/* The name of the last handled signaling PDU, for logs. */
	const char *last_pdu;
};

void l2cap_config_default(struct l2cap_config *cfg);
/* cfg NULL: defaults. Returns NULL on -ENOMEM. */
struct l2cap *l2cap_new(const struct l2cap_config *cfg);
/* Frees every queue and the outbox; idempotent, nulls the pointer. */
void l2cap_destroy(struct l2cap **self_p);

/* ---- links ---------------------------------------------------------------- */

/* Returns 0, -EEXIST or -ENOSPC. */
int l2cap_link_add(struct l2cap *l, uint16_t handle, enum l2cap_role role);
/* The link dropped: every channel is closed and its owner told (-ENOTCONN),
 * pending requests are failed the same way. Returns 0 or -ENOENT. */
int l2cap_link_remove(struct l2cap *l, uint16_t handle);
/* Records the link's security (from the host's encryption events and smp).
 * Returns 0 or -ENOENT. */
int l2cap_link_set_security(struct l2cap *l, uint16_t handle, const struct l2cap_security *sec);
struct l2cap_link *l2cap_link_find(struct l2cap *l, uint16_t handle);

/* ---- input ---------------------------------------------------------------- */

/* One complete basic frame from the host (header included; not consumed). */
void l2cap_on_frame(struct l2cap *l, uint16_t handle, const uint8_t *p, size_t len,
		    uint64_t now_ms);
/* Expires the requests whose RTX passed. */
void l2cap_on_time(struct l2cap *l, uint64_t now_ms);
/* The earliest RTX deadline, UINT64_MAX for none. */
uint64_t l2cap_deadline(const struct l2cap *l);

/* A fixed channel payload from its owner (gatt, smp) to send on handle.
 * Returns 0, -ENOENT (no link), -EINVAL (CID 0x0005 or dynamic),
 * -EMSGSIZE (> 65535), -ENOBUFS (L2CAP_HOSTQ_MAX frames already wait for
 * the host's credits) or -ENOMEM. */
int l2cap_send_fixed(struct l2cap *l, uint16_t handle, uint16_t cid, const uint8_t *p,
		     size_t len);

/* The host's AclCredits for a link: frames that left its queue, or (reset)
 * a new window. Sends what waited for them, tells fixed owners the link
 * drained, resumes credit based channels. */
void l2cap_on_host_credits(struct l2cap *l, uint16_t handle, unsigned frames, unsigned window,
			   bool reset, uint32_t epoch);

/* ---- connection parameters -------------------------------------------------- */

/* True when the values are within the specification's ranges, including
 * timeout * 10 ms > (1 + latency) * interval_max * 1.25 ms * 2. */
bool l2cap_conn_params_valid(const struct l2cap_conn_params *p);
/* Peripheral: asks the central for new parameters. The outcome comes as
 * L2CAP_OUT_CONN_PARAM_RESULT to requester with req_id. Returns 0, -ENOENT,
 * -EINVAL (bad values, or this side is the central), -EBUSY (too many
 * requests pending). */
int l2cap_request_conn_params(struct l2cap *l, uint16_t handle,
			      const struct l2cap_conn_params *p, const char *requester,
			      uint64_t req_id, uint64_t now_ms);

/* ---- credit based channels (l2cap_coc.c) ------------------------------------- */

/* Listens on spsm for owner. Returns 0, -EINVAL (SPSM out of 0x0001..0x00FF,
 * bad parameters or name), -EADDRINUSE (another owner listens), -ENOSPC. */
int l2cap_coc_listen(struct l2cap *l, uint16_t spsm, const char *owner,
		     const struct l2cap_coc_policy *policy);
/* Returns 0 or -ENOENT. Open channels stay open. */
int l2cap_coc_unlisten(struct l2cap *l, uint16_t spsm, const char *owner);
/* Opens a channel to the peer's spsm. The outcome comes as COC_OPENED or
 * COC_OPEN_FAILED to owner with req_id. Returns the local CID (> 0),
 * -ENOENT (no link), -EINVAL, -ENOSPC (no free CID), -EBUSY. */
int l2cap_coc_connect(struct l2cap *l, uint16_t handle, uint16_t spsm, const char *owner,
		      const struct l2cap_coc_params *rx, uint64_t req_id, uint64_t now_ms);
/* Opens n (1..5) channels to the peer's spsm in one enhanced Credit Based
 * Connection Request (MTU and MPS >= 64). The local CIDs are written to
 * cids; each channel's outcome comes as COC_OPENED or COC_OPEN_FAILED with
 * req_id. Returns n, -ENOENT, -EINVAL, -ENOSPC, -EBUSY. */
int l2cap_ecred_connect(struct l2cap *l, uint16_t handle, uint16_t spsm, const char *owner,
			const struct l2cap_coc_params *rx, unsigned n, uint64_t req_id,
			uint64_t now_ms, uint16_t *cids);
/* Queues one SDU (copied) and sends what the credits allow. Returns 0,
 * -ENOENT (no such open channel), -EMSGSIZE (longer than the peer's MTU),
 * -EAGAIN (the queue is full: COC_WRITABLE follows when it drains), -ENOMEM. */
int l2cap_coc_send(struct l2cap *l, uint16_t handle, uint16_t cid, const uint8_t *p,
		   size_t len);
/* Closes a channel: Disconnection Request, COC_CLOSED (status 0) when the
 * response comes or RTX passes. SDUs still queued are not sent (counted in
 * unsent). Returns 0, -ENOENT, -EALREADY, -EBUSY. */
int l2cap_coc_disconnect(struct l2cap *l, uint16_t handle, uint16_t cid, uint64_t now_ms);
/* Holds or releases the credits returned to the peer: back-pressure when the
 * owner cannot keep up. Returns 0 or -ENOENT. */
int l2cap_coc_rx_hold(struct l2cap *l, uint16_t handle, uint16_t cid, bool hold);
struct l2cap_chan *l2cap_chan_find(struct l2cap *l, uint16_t handle, uint16_t local_cid);

/* ---- outbox ------------------------------------------------------------------- */

/* Frees every item's data and empties the outbox. */
void l2cap_outbox_clear(struct l2cap *l);

#endif
