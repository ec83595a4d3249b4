/* Between l2cap_bredr.c (signaling, connections) and l2cap_bredr_conf.c
 * (configuration); not for the rest of l2cap. */
#ifndef L2CAP_BREDR_INT_H
#define L2CAP_BREDR_INT_H

#include "l2cap_internal.h"

/* Sends one command on CID 0x0001. Returns 0 or -errno. */
int l2cap_br_send(struct l2cap *l, struct l2cap_link *k, const struct l2cap_bredr_sig *s);
void l2cap_br_reject(struct l2cap *l, struct l2cap_link *k, uint8_t ident, uint16_t reason,
		     uint16_t local_cid, uint16_t remote_cid);
/* Sends a request with a fresh identifier and records it pending; NULL when
 * too many are pending or it could not be sent. */
struct l2cap_pending *l2cap_br_request(struct l2cap *l, struct l2cap_link *k,
				       struct l2cap_bredr_sig *s, uint64_t now_ms);
/* Puts a matched request back as pending until deadline. */
void l2cap_br_repend(struct l2cap_link *k, const struct l2cap_pending *p, uint64_t deadline);
/* The basic channel with this local CID, or NULL. */
struct l2cap_chan *l2cap_br_chan(struct l2cap_link *k, uint16_t cid);
/* Frees a channel and forgets every request of ours about it. */
void l2cap_br_chan_free(struct l2cap_link *k, struct l2cap_chan *ch);

/* l2cap_bredr_conf.c */
/* Our Configuration Request (with our MTU, or empty). 0 or -EBUSY. */
int l2cap_br_send_conf_request(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch,
			       bool with_mtu, uint64_t now_ms);
/* The channel could not be set up: its owner hears (if it asked), the peer
 * gets a Disconnection Request. */
void l2cap_br_conf_failed(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch,
			  int status, uint64_t now_ms);
int on_l2cap_configuration_request(struct l2cap *l, struct l2cap_link *k,
				   const struct l2cap_bredr_sig *s, uint64_t now_ms);
int on_l2cap_configuration_response(struct l2cap *l, struct l2cap_link *k,
				    const struct l2cap_bredr_sig *s, const struct l2cap_pending *p,
				    uint64_t now_ms);

#endif
