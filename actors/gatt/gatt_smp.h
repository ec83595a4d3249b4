/* hive-gatt's messages to and from smp about bonds (see gatt_bond.h): the
 * I/O half of gatt_bond.c, kept out of gatt_main.c.
 *
 * In: SmpEvent gatt_bond (a link is to a bonded peer), Result of our
 * requests. Out: SmpRequest gatt_record (a bonded peer's CCCDs changed),
 * sign_counters (after a signed write sent or accepted), gatt_sync (at start:
 * tell us the bonds of live links again); GattEvent bond_restored to the
 * apps that subscribed to events. */
#ifndef HIVE_GATT_SMP_H
#define HIVE_GATT_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "gatt_actor.h"
#include "hive.h"

#define GATT_SMP_ID_BASE 0x5347000000000000ull /* "SG": ids of our requests */

struct gatt_smp {
	struct hive_actor *a;
	const char *smp; /* smp's actor name */
	struct gatt_actor *g;
	uint64_t next_id;
};

void gatt_smp_init(struct gatt_smp *x, struct hive_actor *a, const char *smp,
		   struct gatt_actor *g);
/* Asks smp for the bonds of the links alive now (a restarted gatt). */
void gatt_smp_sync(struct gatt_smp *x);
/* An SmpEvent; gatt_bond is applied when the connection is known with the
 * same peer address (parked until the host's Connected when not known yet;
 * dropped when the connection has another peer), others are ignored.
 * Returns true when something changed (the snapshot should be saved). */
bool gatt_smp_on_event(struct gatt_smp *x, const Hive__SmpEvent *ev);
/* The host's Connected: remembers the peer's address of conn and applies
 * a bond smp announced before it. True when one was applied. */
bool gatt_smp_link_up(struct gatt_smp *x, uint16_t conn, const Hive__Address *peer);
/* Sends smp the records and counters of bonded links that changed. Call
 * once per input, after the outboxes were flushed. */
void gatt_smp_flush(struct gatt_smp *x);
/* A Result: true when it answers one of our requests (failures logged). */
bool gatt_smp_on_result(struct gatt_smp *x, const Hive__Result *r);

#endif
