/* The SDP server's transactions (Core Vol 3 Part B 4.5-4.7): pure state.
 *
 * The server takes one SDP request PDU of one channel at a time and appends
 * its one answer to an outbox; the I/O shell (sdp_main.c) sends it. Channels
 * are keyed by (connection handle, CID) and carry the peer's MTU (every
 * answer fits it) and the continuation state last issued on the channel.
 *
 * Continuation: an answer that does not fit the MTU, the request's
 * MaximumServiceRecordCount or MaximumAttributeByteCount ends with a
 * continuation state of SDP_TOKEN_LEN bytes (big-endian offset, then a
 * 32-bit nonce). The peer gets the rest by asking the same request again
 * with it. Only the state last issued on the channel, asked with the same
 * PDU ID and the same parameters, is taken; anything else gets Invalid
 * Continuation State. A request without one starts afresh (the client has
 * one outstanding transaction per channel, so a new request abandons the
 * old one).
 */
#ifndef SDP_SERVER_H
#define SDP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp_codec.h"
#include "sdp_db.h"

/* The smallest MTU an L2CAP BR/EDR channel has (and the smallest we use). */
#define SDP_MTU_MIN 48
/* The default when nobody said: the L2CAP default signaling MTU. */
#define SDP_MTU_DEFAULT 672
/* Answers are at most this long whatever the MTU. */
#define SDP_RSP_MAX 4096
#define SDP_TOKEN_LEN 8
#define SDP_CHANNELS_MAX 64

struct sdp_out_pdu {
	uint16_t handle, cid;
	uint16_t len;
	uint8_t pdu[SDP_RSP_MAX];
};

/* One input gives at most one answer. */
#define SDP_OUTBOX_MAX 1
struct sdp_outbox {
	unsigned n;
	struct sdp_out_pdu pdus[SDP_OUTBOX_MAX];
};

struct sdp_server_config {
	uint16_t default_mtu; /* 0: SDP_MTU_DEFAULT */
	uint32_t seed;        /* first continuation nonce (tests fix it) */
};

struct sdp_server_stats {
	uint64_t requests;
	uint64_t errors;       /* Error Responses sent */
	uint64_t continuations; /* answers that carried a continuation state */
	uint64_t dropped;      /* PDUs not answered (responses sent to us) */
};

struct sdp_server;

/* Takes a database it does not own (it must outlive the server).
 * Returns 0 or -ENOMEM. */
int sdp_server_new(struct sdp_server **out, const struct sdp_db *db,
		   const struct sdp_server_config *cfg);
/* Idempotent; nulls the caller's pointer. */
void sdp_server_destroy(struct sdp_server **self_p);

/* One SDP PDU received on a channel. Appends the answer to out (out->n is
 * not reset: the caller empties it after sending). Returns 0 when it
 * answered (even with an Error Response), -EPROTO for a response PDU, which
 * a server does not answer, -ENOSPC when the outbox is full. */
int sdp_server_on_pdu(struct sdp_server *s, uint16_t handle, uint16_t cid, const uint8_t *pdu,
		      size_t len, struct sdp_outbox *out);

/* The peer's MTU of a channel (clamped to SDP_MTU_MIN..SDP_RSP_MAX); makes
 * the channel known. Returns 0, -ENOSPC (table full). */
int sdp_server_set_mtu(struct sdp_server *s, uint16_t handle, uint16_t cid, uint32_t mtu);
/* Forgets a channel, or every channel of a link. */
void sdp_server_channel_closed(struct sdp_server *s, uint16_t handle, uint16_t cid);
void sdp_server_link_down(struct sdp_server *s, uint16_t handle);

size_t sdp_server_channel_count(const struct sdp_server *s);
const struct sdp_server_stats *sdp_server_stats(const struct sdp_server *s);

#endif
