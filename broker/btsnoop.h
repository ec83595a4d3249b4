/* btsnoop capture records, as btmon, tshark and Wireshark read them.
 *
 * Pure encoding: bytes in a caller's buffer, no I/O, no allocation. A file
 * is one header followed by records; every number is big-endian.
 *
 *   header (16 bytes): "btsnoop\0", version 1, datalink type
 *   record (24 bytes + data): original length, included length, flags,
 *     cumulative drops, timestamp (microseconds since midnight, 1 Jan 0 AD)
 *
 * With datalink 1002 (HCI UART, "H4") a record's data is the H4 packet type
 * byte followed by the HCI packet. Flags: bit 0 is the direction (0: sent,
 * host to controller; 1: received, controller to host), bit 1 is set for a
 * command or an event and clear for data (ACL, SCO, ISO).
 */
#ifndef HIVE_BTSNOOP_H
#define HIVE_BTSNOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive_bytes.h"

#define BTSNOOP_HEADER_LEN 16
/* The record header plus the H4 type byte that starts the record's data. */
#define BTSNOOP_RECORD_PREFIX_LEN 25
#define BTSNOOP_VERSION 1
#define BTSNOOP_DATALINK_H4 1002
/* Microseconds from 0 AD to the Unix epoch, as the format defines them. */
#define BTSNOOP_EPOCH_DELTA_US 0x00DCDDB30F2F8000ull

enum h4_type {
	H4_COMMAND = 0x01,
	H4_ACL = 0x02,
	H4_SCO = 0x03,
	H4_EVENT = 0x04,
	H4_ISO = 0x05,
};

enum btsnoop_dir {
	BTSNOOP_SENT = 0,     /* host to controller */
	BTSNOOP_RECEIVED = 1, /* controller to host */
};

/* Writes the 16-byte file header. Returns 0, or -ENOSPC (w overflowed). */
int btsnoop_header(struct wr *w);

/* The record flags for a packet of this H4 type going this way. */
uint32_t btsnoop_flags(enum h4_type type, enum btsnoop_dir dir);

/* Writes the record header and the H4 type byte (BTSNOOP_RECORD_PREFIX_LEN
 * bytes) for an HCI packet of pkt_len bytes that follows them in the file.
 * unix_us is the packet's time in microseconds since the Unix epoch; drops
 * the number of packets lost before this one. Returns 0, -EINVAL for an H4
 * type outside 1..5 or a packet too long for the format, -ENOSPC when w
 * overflowed. */
int btsnoop_record_prefix(struct wr *w, enum h4_type type, enum btsnoop_dir dir,
			  size_t pkt_len, uint32_t drops, uint64_t unix_us);

#endif
