/* Peeking at a packed Envelope without decoding it: the broker's routing
 * path learns the body case (and, for a ChannelPdu, its CID) from the bytes,
 * bounds-checked, to apply permissions. Pure: no sockets, no allocation (the generated descriptor says which field
 * numbers are bodies). */
#ifndef HIVE_BROKER_PEEK_H
#define HIVE_BROKER_PEEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct env_peek {
	uint64_t seq;     /* Envelope.seq, 0 when absent */
	uint32_t body;    /* the body's field number (Hive__Envelope__BodyCase), 0: none */
	bool has_cid;     /* body is a ChannelPdu with a cid */
	uint32_t cid;
};

/* Walks the top-level fields of a packed Envelope. The body is the last
 * length-delimited field numbered 10 or more that is a body of the Envelope
 * (protobuf: the last member of a oneof wins; unknown fields are skipped,
 * as the receiver's decoder skips them). Returns 0, or -EINVAL when the bytes are not a well-formed
 * sequence of fields (a truncated varint or length, a length past the end,
 * a group or an unknown wire type, field number 0). */
int env_peek(const uint8_t *p, size_t len, struct env_peek *out);

#endif
