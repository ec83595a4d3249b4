/* An SDP client's browse (Core Vol 3 Part B 2.6, 4.7): every record of the
 * public browse group with all its attributes, by ServiceSearchAttribute
 * transactions that follow continuation states until the peer has said
 * everything. Pure: the caller carries the PDUs (hive-ctl sdp over an L2CAP
 * basic channel on PSM 0x0001, tests straight into sdp_server).
 *
 *     struct sdp_browse b;
 *     sdp_browse_init(&b, 0xffff);
 *     for (;;) {
 *         sdp_browse_request(&b, &w);          // send w's bytes
 *         rc = sdp_browse_response(&b, rsp, n, &err);  // the answer
 *         if (rc <= 0) break;                  // 1: ask again (continuation)
 *     }
 *     sdp_browse_each(&b, fn, arg);            // the records
 *     sdp_browse_free(&b);
 */
#ifndef SDP_CLIENT_H
#define SDP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "sdp_codec.h"

/* The UUID of the public browse group. */
#define SDP_PUBLIC_BROWSE_GROUP 0x1002
/* The most a browse gathers; a peer saying more is refused. */
#define SDP_BROWSE_MAX (1u << 20)
/* The most rounds (continuations) one browse follows. */
#define SDP_BROWSE_ROUNDS_MAX 4096

struct sdp_browse {
	uint16_t tid;
	uint16_t max_bytes; /* MaximumAttributeByteCount of each request */
	struct sdp_cont cont;
	unsigned rounds;
	uint8_t *buf; /* the AttributeLists gathered so far */
	size_t len, cap;
};

void sdp_browse_init(struct sdp_browse *b, uint16_t max_bytes);
void sdp_browse_free(struct sdp_browse *b);
/* Writes the next request PDU into w. Returns 0 or -EMSGSIZE. */
int sdp_browse_request(struct sdp_browse *b, struct wr *w);
/* Takes the answer to the last request. Returns 1 when another request
 * must follow (a continuation state), 0 when the browse is complete (the
 * gathered bytes are one valid data element sequence), or: -EREMOTEIO for
 * an Error Response (*sdp_err its code), -EBADMSG for an answer that is not
 * the response to our request or whose lists are malformed, -E2BIG past
 * SDP_BROWSE_MAX or SDP_BROWSE_ROUNDS_MAX, -ENOMEM. */
int sdp_browse_response(struct sdp_browse *b, const uint8_t *pdu, size_t len,
			uint16_t *sdp_err);

/* One attribute of one record: its record's handle (0xffffffff when the
 * record has no ServiceRecordHandle), its ID and its value. */
typedef void (*sdp_attr_fn)(uint32_t record, unsigned index, uint16_t id,
			    const struct sdp_de *value, void *arg);
/* Calls fn for every attribute of every record, in order. Returns the
 * number of records, or -EBADMSG when a record is not a sequence of
 * (uint16 ID, value) pairs. */
int sdp_browse_each(const struct sdp_browse *b, sdp_attr_fn fn, void *arg);

/* The name of a universal attribute ID (or "" when it has none). */
const char *sdp_attr_name(uint16_t id);
/* A value in words: integers in hex, UUIDs (16/32-bit short, 128-bit
 * dashed), text quoted, sequences in brackets. Truncated with "..." to fit
 * cap (cap >= 4). Returns strlen(out). */
size_t sdp_de_format(const struct sdp_de *de, char *out, size_t cap);

#endif
