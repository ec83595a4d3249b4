/* hive-smp's side of what gatt needs from bonds (see actors/gatt/gatt_bond.h):
 * part of the I/O shell, kept out of smp_main.c.
 *
 * After each input smp_gatt_update() looks at the link table: a link newly
 * tied to a bond (the peer's address or resolved identity is bonded, it was
 * encrypted with the bond's LTK, or a pairing with bonding just ended) is
 * told to gatt with SmpEvent gatt_bond: the bond's identities, its stored
 * GATT record and its signing keys and counters. gatt's requests
 * gatt_record and sign_counters are written to the bond store; gatt_sync
 * tells gatt every bonded link again (gatt restarted). */
#ifndef SMP_GATT_H
#define SMP_GATT_H

#include <stdbool.h>
#include <stdint.h>

#include "hive.h"
#include "smp_actor.h"

struct smp_gatt_told {
	bool used;
	uint16_t handle;
	struct smp_addr local, peer, link_peer;
};

struct smp_gatt {
	struct hive_actor *a;
	const char *gatt;
	struct smp_bonds *store;
	struct smp_actor *s; /* its identity is set when learned */
	struct smp_gatt_told told[SMP_LINKS_MAX];
};

void smp_gatt_init(struct smp_gatt *g, struct hive_actor *a, const char *gatt,
		   struct smp_bonds *store, struct smp_actor *s);
/* Before the outbox is cleared: a pairing that stored keys makes its link
 * be told again (new keys). */
void smp_gatt_note_acts(struct smp_gatt *g, const struct smp_actor *s);
/* Tells gatt the links newly tied to a bond; forgets links that are gone. */
void smp_gatt_update(struct smp_gatt *g, struct smp_actor *s);
/* gatt_record, sign_counters, gatt_sync: served (Result sent), true.
 * Anything else: false. */
bool smp_gatt_request(struct smp_gatt *g, const char *source, uint64_t id,
		      const Hive__SmpRequest *q);

/* ---- the local identity of this stack ------------------------------------
 * The bond store is filtered by it (smp_bonds_set_scope): the configured
 * identity; else what the host says it uses (DeviceInfo.own, when it is a
 * public or static random address); else the own address of the first
 * connection that is one. Until then every bond is seen. Once learned it
 * is also the identity smp pairs and looks bonds up with (as if configured),
 * so a link made with a private address still finds the stack's bonds. */
#define SMP_SCOPE_REQUEST_ID 0x5343ffffffffffffull
/* Asks host for its DeviceInfo. */
void smp_scope_ask_host(struct smp_gatt *g, const char *host);
/* A Result: true when it answers that question (*learned: the scope was
 * set by it). */
bool smp_scope_on_result(struct smp_gatt *g, const Hive__Result *r, bool *learned);
/* A connection's own address (type 0..3 as Address.Type, most significant
 * first). True when it set the scope. */
bool smp_scope_learn(struct smp_gatt *g, const struct smp_addr *own);

#endif
