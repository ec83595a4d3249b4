/* The l2cap state as bytes, for the broker to keep (hive_snapshot_save) and
 * hand back to the next incarnation: the fixed channel registry, the
 * listeners, the links with their security and pending signaling requests,
 * and every channel with its endpoints, parameters and credits.
 *
 * Not kept: SDUs queued for sending and SDUs half reassembled (their bytes
 * live only in the process). A channel that had either when the snapshot
 * was made comes back closed loudly: its owner hears COC_CLOSED with -EIO
 * and the unsent count, and the peer gets a Disconnection Request.
 *
 * Pure: a writer and a bounds-checked reader, no I/O. */
#ifndef L2CAP_SNAPSHOT_H
#define L2CAP_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "l2cap.h"

/* The largest snapshot the state can make (every link and channel used). */
size_t l2cap_snapshot_max(void);

/* Writes the state into buf. Returns the length, or -EMSGSIZE when cap is
 * too small. */
int l2cap_snapshot_write(const struct l2cap *l, uint8_t *buf, size_t cap);

/* Replaces the registry, the listeners and the links of l (which must have
 * no links yet) with the snapshot's. Channels that lost data are aborted
 * (see above; the outbox says so). Returns the number of channels restored
 * (aborted ones included), or -EBADMSG for bytes that are not a snapshot
 * (l is then left without links, listeners or registrations beyond its
 * defaults), -EEXIST when l already has links. */
int l2cap_snapshot_restore(struct l2cap *l, const uint8_t *p, size_t len, uint64_t now_ms);

#endif
