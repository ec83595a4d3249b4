/* The fixed channel registry: which actor serves a fixed CID on LE-U.
 *
 * Defaults: 0x0004 (ATT) -> "gatt", 0x0006 (SMP) -> "smp", 0x0007 (BR/EDR
 * SMP) -> "smp". Actors may register and unregister at run time; a frame on
 * a CID that nobody serves is counted as dropped. The LE signaling channel
 * 0x0005 and the dynamic range belong to l2cap itself and cannot be
 * registered. Pure: no I/O, no allocation.
 */
#ifndef L2CAP_FIXED_H
#define L2CAP_FIXED_H

#include <stdbool.h>
#include <stdint.h>

#define L2CAP_NAME_MAX 64
#define L2CAP_FIXED_MAX 16

struct l2cap_fixed_entry {
	uint16_t cid; /* 0: free slot */
	char owner[L2CAP_NAME_MAX + 1];
	uint64_t delivered;
};

struct l2cap_fixed {
	struct l2cap_fixed_entry e[L2CAP_FIXED_MAX];
	uint64_t dropped;          /* frames on a CID nobody serves */
	uint16_t last_dropped_cid;
};

/* True for an actor name: 1..64 characters of [A-Za-z0-9_.-]. */
bool l2cap_name_valid(const char *name);
/* Empties the registry and registers the defaults. */
void l2cap_fixed_init(struct l2cap_fixed *f);
/* Serves cid by owner. Returns 0 (also when owner already serves it: the
 * new owner replaces the old one), -EINVAL for a CID that cannot be fixed
 * (0x0000, 0x0005, the dynamic range and above) or a bad name, -ENOSPC when
 * the table is full. */
int l2cap_fixed_register(struct l2cap_fixed *f, uint16_t cid, const char *owner);
/* Stops serving cid. When owner is not NULL, only that owner's entry goes.
 * Returns 0 or -ENOENT. */
int l2cap_fixed_unregister(struct l2cap_fixed *f, uint16_t cid, const char *owner);
/* The actor serving cid, or NULL. */
const char *l2cap_fixed_owner(const struct l2cap_fixed *f, uint16_t cid);
/* Looks up the owner of a received frame and counts it: delivered, or
 * dropped (NULL returned). */
const char *l2cap_fixed_route(struct l2cap_fixed *f, uint16_t cid);
/* Unregisters every CID of owner (an actor that went away); returns how
 * many. */
int l2cap_fixed_forget(struct l2cap_fixed *f, const char *owner);

#endif
