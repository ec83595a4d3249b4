/* Between l2cap.c, l2cap_signaling.c and l2cap_coc.c; not for the shell. */
#ifndef L2CAP_INTERNAL_H
#define L2CAP_INTERNAL_H

#include "l2cap.h"

/* ---- l2cap.c: outbox and frames --------------------------------------------- */

/* Appends an item (zeroed, kind/handle/dest set; dest may be NULL). NULL on
 * -ENOMEM (counted). */
struct l2cap_out *l2cap_out_push(struct l2cap *l, enum l2cap_out_kind kind, uint16_t handle,
				 const char *dest);
/* Appends one basic frame to the host: header for cid, then a and b (either
 * may be empty). Returns 0 or -ENOMEM. */
int l2cap_out_frame(struct l2cap *l, uint16_t handle, uint16_t cid, const uint8_t *a,
		    size_t alen, const uint8_t *b, size_t blen);

/* ---- l2cap_hostflow.c: frames to the host within its credits ------------------ */

/* True when a frame for the link goes to the host at once. */
bool l2cap_host_room(const struct l2cap_link *k);
/* Sends buf (a whole frame, malloc'd; taken in every case) to the host, or
 * holds it for credits. Returns 0, -ENOBUFS (hard bound) or -ENOMEM. */
int l2cap_host_submit(struct l2cap *l, uint16_t handle, uint16_t cid, uint8_t *buf, size_t len);
/* After a fixed channel PDU: tells its owner busy past the watermark. */
void l2cap_host_fixed_sent(struct l2cap *l, struct l2cap_link *k, uint16_t cid);
/* The link went: frees what it held. */
void l2cap_host_link_down(struct l2cap *l, struct l2cap_link *k);

/* ---- l2cap_signaling.c ------------------------------------------------------- */

/* One C-frame payload from the LE signaling channel. */
void l2cap_sig_on_frame(struct l2cap *l, struct l2cap_link *k, const uint8_t *p, size_t len,
			uint64_t now_ms);
/* Sends one signaling command (its ident set by the caller). Returns 0 or
 * -ENOMEM. */
int l2cap_sig_send(struct l2cap *l, struct l2cap_link *k, const struct l2cap_sig *s);
/* Sends a Command Reject. */
void l2cap_sig_reject(struct l2cap *l, struct l2cap_link *k, uint8_t ident, uint16_t reason,
		      uint16_t local_cid, uint16_t remote_cid);
/* A fresh identifier (1..255, none of the pending ones). */
uint8_t l2cap_sig_next_ident(struct l2cap_link *k);
/* A free pending slot of the link, or NULL. */
struct l2cap_pending *l2cap_pending_slot(struct l2cap_link *k);
/* Fills slot p (zeroed) for a request just sent: ident, code, the RTX
 * deadline. */
void l2cap_pending_start(struct l2cap *l, struct l2cap_pending *p, uint8_t ident, uint8_t code,
			 uint64_t now_ms);
/* The pending request a response (code, answering request codes) with
 * ident matches; a Command Reject matches any code. NULL when none. */
struct l2cap_pending *l2cap_pending_match(struct l2cap_link *k, uint8_t ident, uint8_t code,
					  uint8_t request);
/* Sends a request with a fresh identifier and records it pending with its
 * RTX deadline. Returns the pending slot (to fill in cids, req_id), or NULL
 * when too many are pending. */
struct l2cap_pending *l2cap_sig_request(struct l2cap *l, struct l2cap_link *k,
					struct l2cap_sig *s, uint64_t now_ms);
/* The entry for code in a dispatch table of n entries of size octets,
 * sorted by a uint8_t code that is each entry's first member; NULL when
 * absent (binary search; the BR/EDR table uses it too). */
const void *l2cap_table_find(const void *table, size_t n, size_t size, uint8_t code);
/* Fails every pending request of the link with status (link gone). */
void l2cap_sig_fail_all(struct l2cap *l, struct l2cap_link *k, int status);
/* Expires pending requests. */
void l2cap_sig_on_time(struct l2cap *l, struct l2cap_link *k, uint64_t now_ms);

/* ---- l2cap_coc.c: handlers the signaling table calls -------------------------- */

/* Handlers return 0, or -EPROTO for "command not understood". */
int on_l2cap_le_credit_based_connection_request(struct l2cap *l, struct l2cap_link *k,
						const struct l2cap_sig *s, uint64_t now_ms);
int on_l2cap_le_credit_based_connection_response(struct l2cap *l, struct l2cap_link *k,
						 const struct l2cap_sig *s,
						 const struct l2cap_pending *p, uint64_t now_ms);
int on_l2cap_flow_control_credit_ind(struct l2cap *l, struct l2cap_link *k,
				     const struct l2cap_sig *s, uint64_t now_ms);
int on_l2cap_disconnection_request(struct l2cap *l, struct l2cap_link *k,
				   const struct l2cap_sig *s, uint64_t now_ms);
int on_l2cap_disconnection_response(struct l2cap *l, struct l2cap_link *k,
				    const struct l2cap_sig *s, const struct l2cap_pending *p,
				    uint64_t now_ms);
int on_l2cap_credit_based_connection_request(struct l2cap *l, struct l2cap_link *k,
					     const struct l2cap_sig *s, uint64_t now_ms);
int on_l2cap_credit_based_connection_response(struct l2cap *l, struct l2cap_link *k,
					      const struct l2cap_sig *s,
					      const struct l2cap_pending *p, uint64_t now_ms);
int on_l2cap_credit_based_reconfigure_request(struct l2cap *l, struct l2cap_link *k,
					      const struct l2cap_sig *s, uint64_t now_ms);
/* Shared by l2cap_coc.c and l2cap_ecred.c. */
bool l2cap_rx_params_ok(const struct l2cap_coc_params *rx);
struct l2cap_listener *l2cap_listener_find(struct l2cap *l, uint16_t spsm);
/* The channel with this local CID (NULL when free or out of range). */
struct l2cap_chan *l2cap_chan_local(struct l2cap_link *k, uint16_t cid);
/* The channel whose peer endpoint is cid. */
struct l2cap_chan *l2cap_chan_remote(struct l2cap_link *k, uint16_t cid);
unsigned l2cap_chan_count_spsm(const struct l2cap_link *k, uint16_t spsm);
/* A free slot, zeroed, with its local CID set; NULL when all are used. */
struct l2cap_chan *l2cap_chan_alloc(struct l2cap_link *k);
/* A free slot (l2cap_chan_alloc) in CONNECTING to psm for owner's request
 * req_id; NULL when all are used. */
struct l2cap_chan *l2cap_chan_connecting(struct l2cap_link *k, uint16_t psm, const char *owner,
					 uint64_t req_id);
/* After sending the channel's connection request: p, its pending slot,
 * names the channel and the owner's request. Returns the local CID; when p
 * is NULL (too many pending) frees the channel and returns -EBUSY. */
int l2cap_chan_requested(struct l2cap_link *k, struct l2cap_chan *ch, struct l2cap_pending *p);
void l2cap_chan_free(struct l2cap_link *k, struct l2cap_chan *ch);
void l2cap_chan_disconnect(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch,
			   uint64_t now_ms);
/* Tells the owner COC_CLOSED with status at once, then disconnects. */
void l2cap_chan_abort(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch, int status,
		      uint64_t now_ms);
void l2cap_tell_opened(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch);
void l2cap_tell_open_failed(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch,
			    int status);
void l2cap_tx_pump(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch);
/* The security a listener demands, as an LE result code (0: enough). */
uint16_t l2cap_sec_check(const struct l2cap_security *sec, const struct l2cap_coc_policy *pol);

/* One of our CoC requests failed (Command Reject: -ECONNREFUSED; RTX:
 * -ETIMEDOUT; link gone: -ENOTCONN). */
void l2cap_coc_request_failed(struct l2cap *l, struct l2cap_link *k,
			      const struct l2cap_pending *p, int status);
/* One K-frame on a dynamic CID. */
void l2cap_coc_on_kframe(struct l2cap *l, struct l2cap_link *k, uint16_t cid,
			 const uint8_t *p, size_t len, uint64_t now_ms);
/* Closes every channel of a link going away and tells the owners. */
void l2cap_coc_link_down(struct l2cap *l, struct l2cap_link *k);

#endif
