/* ACL data: per-connection reassembly of L2CAP frames from controller
 * fragments, fragmentation of L2CAP frames to the controller's ACL size, and
 * the controller's buffer credits shared round-robin between connections.
 * No I/O; frames queued for transmission are copied (owned by host_acl). */
#ifndef HOST_ACL_H
#define HOST_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOST_LINKS_MAX 16
#define HOST_L2CAP_FRAME_MAX (4 + 65535)
#define HOST_ACL_TXQ_MAX 64
/* Frames l2cap may have outstanding in a link's queue (AclCredits in
 * hive.proto). Half the queue: a restarted l2cap, which cannot know what its
 * predecessor left in flight, starts again with a full window and still
 * cannot overflow the queue. */
#define HOST_ACL_L2CAP_WINDOW (HOST_ACL_TXQ_MAX / 2)
/* Largest fragment the host sends, whatever the controller allows. */
#define HOST_ACL_FRAG_MAX 1024

struct host_acl_frame {
	uint8_t *data; /* malloc'd copy */
	size_t len;
	size_t off;    /* bytes already sent */
};

struct host_acl_link {
	bool in_use;
	uint16_t handle;
	uint8_t *rx;     /* HOST_L2CAP_FRAME_MAX bytes */
	size_t rx_have;
	bool rx_active;  /* a start fragment came and the frame is incomplete */
	struct host_acl_frame txq[HOST_ACL_TXQ_MAX];
	unsigned tx_head, tx_count;
	unsigned in_flight; /* fragments the controller holds for this link */
	/* Credits owed to l2cap: frames that left the queue since the last
	 * report, and whether its window must (re)start (a new link, or one
	 * resumed after a restart). host_acl_take_credits() collects them. */
	unsigned tx_done;
	bool credit_reset;
	bool bredr;         /* a BR/EDR link: uses the BR/EDR pool when there is one */
};

struct host_acl_stats {
	uint64_t rx_frames;
	uint64_t rx_no_start;      /* continuation without a start */
	uint64_t rx_too_long;      /* more bytes than the L2CAP length */
	uint64_t rx_unknown_handle;
	uint64_t rx_malformed;     /* ACL header disagrees with the bytes */
	uint64_t rx_abandoned;     /* a start came before the previous frame ended */
	uint64_t tx_frames;
	uint64_t tx_fragments;
	uint64_t tx_refused;       /* queue full, unknown handle or bad frame */
	uint64_t tx_flushed;       /* frames dropped by a disconnection */
	uint64_t completed_unknown;/* completions for nothing in flight */
};

struct host_acl {
	struct host_acl_link link[HOST_LINKS_MAX];
	uint16_t mtu;     /* fragment size in use */
	unsigned total;   /* controller buffers */
	unsigned free;
	unsigned rr;      /* the link served next */
	/* The BR/EDR pool (Read Buffer Size) when the controller has separate
	 * LE buffers; br_total 0: BR/EDR links share the pool above. */
	uint16_t br_mtu;
	unsigned br_total, br_free;
	struct host_acl_stats st;
	/* After a restart: buffers the controller may still hold for a dead
	 * predecessor (per pool), busy until their completions come or until
	 * debt_until_ms (see host_acl_resume). */
	unsigned debt, br_debt;
	uint64_t debt_until_ms;
};

/* mtu: the controller's ACL data length; total: its ACL buffer count. */
void host_acl_init(struct host_acl *acl, uint16_t mtu, unsigned total);
/* Changes the buffer sizes (after start-up); in-flight packets stay counted. */
void host_acl_set_buffers(struct host_acl *acl, uint16_t mtu, unsigned total);
/* The BR/EDR buffers, when LE has its own (host_acl_set_buffers gave the
 * LE ones); total 0: BR/EDR links share the LE pool. */
void host_acl_set_bredr_buffers(struct host_acl *acl, uint16_t mtu, unsigned total);
/* Marks a link as BR/EDR (its fragments and credits use the BR/EDR pool).
 * Returns 0 or -ENOENT. */
int host_acl_link_set_bredr(struct host_acl *acl, uint16_t handle);
/* Frees every link's buffers and queues. */
void host_acl_fini(struct host_acl *acl);

/* Returns 0, -EEXIST, -ENOSPC (table full) or -ENOMEM. */
int host_acl_link_add(struct host_acl *acl, uint16_t handle);
/* Drops the link's partial frame and queued frames and frees the buffers
 * it held in the controller (the controller flushes them on disconnection).
 * Returns the number of frames dropped from the queue; -ENOENT. */
int host_acl_link_remove(struct host_acl *acl, uint16_t handle);
bool host_acl_link_known(const struct host_acl *acl, uint16_t handle);

/* One ACL packet from the controller (no H4 byte). Returns 1 when it
 * completed a frame (*frame points at the link's buffer, valid until the
 * next call for that link; *handle set), 0 when more fragments are needed,
 * -EBADMSG for a malformed packet, -ENOENT for an unknown handle, -EPROTO
 * for a continuation without a start or a frame longer than its length.
 * Every negative case is counted. */
int host_acl_rx(struct host_acl *acl, const uint8_t *pkt, size_t len, uint16_t *handle,
		const uint8_t **frame, size_t *frame_len);

/* Queues one basic L2CAP frame (header included; copied). Returns 0,
 * -ENOENT (unknown handle), -EINVAL (the L2CAP length disagrees with the
 * frame), -ENOBUFS (the link's queue is full: back-pressure), -ENOMEM. */
int host_acl_tx_submit(struct host_acl *acl, uint16_t handle, const uint8_t *frame,
		       size_t len);

/* When a controller buffer is free and a fragment waits, writes the next
 * ACL packet (round-robin between links) into out and returns its length;
 * 0 otherwise; -EMSGSIZE when cap is too small. */
int host_acl_tx_next(struct host_acl *acl, uint8_t *out, size_t cap);

/* Number Of Completed Packets for one handle: gives the credits back.
 * Returns how many were freed (never more than were in flight). */
unsigned host_acl_completed(struct host_acl *acl, uint16_t handle, unsigned packets);

/* After a restart with links taken back: the controller may still hold
 * packets the predecessor sent, how many nobody knows. Every buffer counts
 * as busy; a completion beyond what a link has in flight gives one back;
 * at until_ms (a few connection intervals on: the controller has sent them
 * by then) what is still owed is taken as free. */
void host_acl_resume(struct host_acl *acl, uint64_t until_ms);
/* Ends the debt once its deadline passed. */
void host_acl_on_time(struct host_acl *acl, uint64_t now_ms);
/* The debt's deadline, UINT64_MAX for none. */
uint64_t host_acl_deadline(const struct host_acl *acl);

/* The credits owed to l2cap on a link (AclCredits): returns the number of
 * frames that left its queue since the last call and sets *reset when its
 * window must restart (then the count is HOST_ACL_L2CAP_WINDOW). Clears
 * both. Returns 0 when nothing is owed. */
unsigned host_acl_take_credits(struct host_acl_link *l, bool *reset);

/* Fragments waiting on one link (all links with handle 0xffff). */
unsigned host_acl_pending(const struct host_acl *acl, uint16_t handle);

#endif
