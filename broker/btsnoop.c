/* btsnoop record encoding (see btsnoop.h). Pure. */
#include <errno.h>

#include "btsnoop.h"

static void wr_be32(struct wr *w, uint32_t v)
{
	uint8_t *b = wr_reserve(w, 4);
	if (b) {
		b[0] = (uint8_t)(v >> 24);
		b[1] = (uint8_t)(v >> 16);
		b[2] = (uint8_t)(v >> 8);
		b[3] = (uint8_t)v;
	}
}

static void wr_be64(struct wr *w, uint64_t v)
{
	wr_be32(w, (uint32_t)(v >> 32));
	wr_be32(w, (uint32_t)v);
}

int btsnoop_header(struct wr *w)
{
	static const uint8_t magic[8] = { 'b', 't', 's', 'n', 'o', 'o', 'p', 0 };
	wr_bytes(w, magic, sizeof magic);
	wr_be32(w, BTSNOOP_VERSION);
	wr_be32(w, BTSNOOP_DATALINK_H4);
	return wr_ok(w) ? 0 : -ENOSPC;
}

uint32_t btsnoop_flags(enum h4_type type, enum btsnoop_dir dir)
{
	uint32_t flags = dir == BTSNOOP_RECEIVED ? 0x01 : 0x00;
	if (type == H4_COMMAND || type == H4_EVENT)
		flags |= 0x02;
	return flags;
}

int btsnoop_record_prefix(struct wr *w, enum h4_type type, enum btsnoop_dir dir,
			  size_t pkt_len, uint32_t drops, uint64_t unix_us)
{
	if (type < H4_COMMAND || type > H4_ISO || pkt_len > UINT32_MAX - 1)
		return -EINVAL;
	uint32_t len = (uint32_t)pkt_len + 1; /* the H4 type byte is part of the data */
	wr_be32(w, len);                      /* original length */
	wr_be32(w, len);                      /* included length: nothing is cut */
	wr_be32(w, btsnoop_flags(type, dir));
	wr_be32(w, drops);
	wr_be64(w, unix_us + BTSNOOP_EPOCH_DELTA_US);
	wr_u8(w, (uint8_t)type);
	return wr_ok(w) ? 0 : -ENOSPC;
}
