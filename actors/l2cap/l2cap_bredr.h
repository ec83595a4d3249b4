/* BR/EDR signaling (ACL-U, CID 0x0001) and basic-mode connection-oriented
 * channels (Core Vol 3 Part A 3.1, 4, 5, 6, 7), part of the l2cap core.
 *
 * A link is BR/EDR when it was added with l2cap_link_set_bredr(); its
 * signaling then runs here and its dynamic CIDs carry B-frames: one frame
 * is one SDU, no credits, no segmentation at L2CAP (the host fragments to
 * ACL). The channels live in the link's channel table next to LE ones and
 * use the same owner events: COC_OPENED / COC_OPEN_FAILED / COC_CLOSED, and
 * each received SDU as L2CAP_OUT_PDU (a ChannelPdu for the owner, cid = our
 * local CID), which is what hive-sdp expects.
 *
 *     l2cap_link_add(l, 0x0001, L2CAP_ROLE_CENTRAL);
 *     l2cap_link_set_bredr(l, 0x0001);
 *     l2cap_psm_listen(l, 0x0001, "sdp", 672, L2CAP_SEC_NONE);
 *     l2cap_on_frame(l, 0x0001, bytes, len, now_ms);  // signaling, B-frames
 *
 * Types only here and the entry points; pure, like the rest of the core.
 */
#ifndef L2CAP_BREDR_H
#define L2CAP_BREDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l2cap_codec_bredr.h"
#include "l2cap_fixed.h"

#define L2CAP_PSM_LISTEN_MAX 16
/* How often we offer new values after Unacceptable Parameters. */
#define L2CAP_CONF_TRIES_MAX 3
/* ERTX: how long a pending Connection Response may keep us waiting. */
#define L2CAP_ERTX_MS 120000

/* A channel's configuration progress (basic mode), in struct l2cap_chan. */
enum {
	L2CAP_BR_BASIC = 1 << 0,        /* a BR/EDR basic-mode channel */
	L2CAP_BR_CONNECTED = 1 << 1,    /* both CIDs known: configuring */
	L2CAP_BR_OUT_SENT = 1 << 2,     /* our Configuration Request is pending */
	L2CAP_BR_OUT_DONE = 1 << 3,     /* the peer accepted our options */
	L2CAP_BR_IN_DONE = 1 << 4,      /* we accepted the peer's options */
	L2CAP_BR_IN_CONT = 1 << 5,      /* the peer's request continues */
};

struct l2cap_bredr_chan {
	uint8_t flags;
	uint8_t conf_tries;
	uint16_t in_mtu;        /* the peer's MTU gathered over continuations */
	uint16_t flush_timeout; /* the peer's, 0xFFFF when not given */
};

struct l2cap_psm_listener {
	uint16_t psm; /* 0: free */
	char owner[L2CAP_NAME_MAX + 1];
	uint16_t mtu;      /* our receive MTU on its channels */
	uint8_t sec_level; /* enum l2cap_sec_level */
};

struct l2cap_bredr_stats {
	uint64_t sig_in;
	uint64_t bframes_in;
	uint64_t bframes_dropped; /* for no open channel or over our MTU */
	uint64_t echo_answered;
	uint64_t info_answered;
};

/* In struct l2cap: the PSM registry and our ACL-U signaling MTU. */
struct l2cap_bredr {
	uint16_t mtu_sig;
	uint64_t now_ms; /* the time of the last l2cap_on_time() */
	struct l2cap_psm_listener psm[L2CAP_PSM_LISTEN_MAX];
	struct l2cap_bredr_stats st;
};

struct l2cap;
struct l2cap_link;
struct l2cap_pending;

/* Marks a link as ACL-U (BR/EDR). Returns 0 or -ENOENT. */
int l2cap_link_set_bredr(struct l2cap *l, uint16_t handle);

/* Serves connections to psm (a valid PSM) for owner, with our receive MTU
 * (>= 48; 0: 672) and the security the link must have. Returns 0,
 * -EINVAL, -EADDRINUSE (another owner serves it), -ENOSPC. */
int l2cap_psm_listen(struct l2cap *l, uint16_t psm, const char *owner, uint16_t mtu,
		     uint8_t sec_level);
/* Returns 0 or -ENOENT. Open channels stay open. */
int l2cap_psm_unlisten(struct l2cap *l, uint16_t psm, const char *owner);
const struct l2cap_psm_listener *l2cap_psm_find(const struct l2cap *l, uint16_t psm);

/* Opens a basic-mode channel to the peer's psm: Connection Request, then
 * configuration both ways. The outcome comes as COC_OPENED or
 * COC_OPEN_FAILED (status: a Connection Response result > 0, a
 * Configuration Response result + 0x100, or -errno) with req_id. Returns
 * the local CID, -ENOENT (no link), -EINVAL (not BR/EDR, bad PSM or MTU),
 * -ENOSPC, -EBUSY (too many requests pending). */
int l2cap_bredr_connect(struct l2cap *l, uint16_t handle, uint16_t psm, const char *owner,
			uint16_t mtu, uint64_t req_id, uint64_t now_ms);
/* Sends one SDU as one B-frame. Returns 0, -ENOENT (no such open basic
 * channel), -EMSGSIZE (over the peer's MTU), -ENOMEM. */
int l2cap_bredr_send(struct l2cap *l, uint16_t handle, uint16_t cid, const uint8_t *p,
		     size_t len);
/* Sends an Echo Request with data; the answer is only counted. Returns 0,
 * -ENOENT, -EINVAL (not BR/EDR or too long), -EBUSY. */
int l2cap_bredr_echo(struct l2cap *l, uint16_t handle, const uint8_t *p, size_t len,
		     uint64_t now_ms);

/* ---- for l2cap.c and l2cap_signaling.c ------------------------------------------ */

void l2cap_bredr_init(struct l2cap_bredr *b);
/* One C-frame payload from CID 0x0001 of a BR/EDR link. */
void l2cap_bredr_sig_on_frame(struct l2cap *l, struct l2cap_link *k, const uint8_t *p,
			      size_t len, uint64_t now_ms);
/* One B-frame on a dynamic CID of a BR/EDR link. */
void l2cap_bredr_on_bframe(struct l2cap *l, struct l2cap_link *k, uint16_t cid,
			   const uint8_t *p, size_t len, uint64_t now_ms);
struct l2cap_chan;
/* Sends a basic channel's queued SDUs, one B-frame each, while the host
 * has room (l2cap_tx_pump calls it for basic channels). */
void l2cap_bredr_tx_pump(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch);
/* One of our requests on a BR/EDR link failed (RTX: -ETIMEDOUT, link gone:
 * -ENOTCONN). */
void l2cap_bredr_request_failed(struct l2cap *l, struct l2cap_link *k,
				const struct l2cap_pending *p, int status);

#endif
