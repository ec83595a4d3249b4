/* A bounds-checked walk over protobuf fields: only what routing needs. */
#include <errno.h>
#include <string.h>

#include "broker_peek.h"
#include "hive.pb-c.h"

#define ENVELOPE_PDU_FIELD 12 /* Envelope.pdu (ChannelPdu) */
#define CHANNEL_PDU_CID_FIELD 2

struct cursor {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static uint64_t rd_varint(struct cursor *c)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 10; i++) {
		if (c->left == 0) {
			c->bad = true;
			return 0;
		}
		uint8_t b = *c->p++;
		c->left--;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return v;
	}
	c->bad = true; /* more than 10 bytes */
	return 0;
}

static void skip(struct cursor *c, uint64_t n)
{
	if (n > c->left) {
		c->bad = true;
		return;
	}
	c->p += n;
	c->left -= n;
}

/* One field: its number, wire type, and for varints the value, for
 * length-delimited fields where the bytes are. Returns false at the end or
 * when malformed (c->bad). */
struct field {
	uint32_t number;
	unsigned type;
	uint64_t value;
	const uint8_t *data;
	size_t len;
};

static bool next_field(struct cursor *c, struct field *f)
{
	if (c->left == 0 || c->bad)
		return false;
	uint64_t tag = rd_varint(c);
	f->number = (uint32_t)(tag >> 3);
	f->type = (unsigned)(tag & 7);
	f->data = NULL;
	f->len = 0;
	f->value = 0;
	if (c->bad || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
		c->bad = true;
		return false;
	}
	switch (f->type) {
	case 0:
		f->value = rd_varint(c);
		break;
	case 1:
		skip(c, 8);
		break;
	case 2:
		f->len = (size_t)rd_varint(c);
		f->data = c->p;
		skip(c, f->len);
		break;
	case 5:
		skip(c, 4);
		break;
	default: /* groups (3, 4) and 6, 7 are not in our messages */
		c->bad = true;
	}
	return !c->bad;
}

/* The cid of a packed ChannelPdu, when present and well-formed. */
static bool peek_cid(const uint8_t *p, size_t len, uint32_t *cid)
{
	struct cursor c = { p, len, false };
	struct field f;
	bool found = false;
	while (next_field(&c, &f))
		if (f.number == CHANNEL_PDU_CID_FIELD && f.type == 0) {
			*cid = (uint32_t)f.value;
			found = true;
		}
	return found && !c.bad;
}

int env_peek(const uint8_t *p, size_t len, struct env_peek *out)
{
	struct cursor c = { p, len, false };
	struct field f, body = { 0 };
	memset(out, 0, sizeof *out);
	while (next_field(&c, &f)) {
		if (f.number == 1 && f.type == 0)
			out->seq = f.value;
		else if (f.number >= 10 && f.type == 2 &&
			 protobuf_c_message_descriptor_get_field(&hive__envelope__descriptor,
								 f.number))
			body = f; /* unknown fields do not hide the body */
	}
	if (c.bad)
		return -EINVAL;
	out->body = body.number;
	if (body.number == ENVELOPE_PDU_FIELD)
		out->has_cid = peek_cid(body.data, body.len, &out->cid);
	return 0;
}
