/* What gatt keeps of bonds (Core Vol 3 Part G 3.3.3.3: the CCCDs of a bonded
 * client persist across connections; Part C 10.4: signed writes). No I/O.
 *
 * smp owns the bond store. When it knows a link is to a bonded peer (the
 * peer's address or resolved identity is bonded, the link was encrypted with
 * the bond's key, or a pairing with bonding just ended) it sends gatt the
 * bond's identities, its GATT record and its signing keys; gatt attaches
 * them to the connection here (gatt_bond_attach), restores the CCCDs from
 * the record, and from then on sends smp a new record whenever that peer
 * writes a CCCD, and the sign counters after each signed write sent or
 * accepted. A connection without a bond keeps its CCCDs for itself only.
 *
 * The GATT record, opaque to smp:
 *   version (1) | database hash (16) | count (le16) | count x (value handle
 *   le16, CCCD value le16)
 * A record made for another database (hash differs) is not applied: the
 * handles may mean something else now.
 */
#ifndef HIVE_GATT_BOND_H
#define HIVE_GATT_BOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatt_db.h"
#include "gatt_server.h"

#define GATT_BOND_MAX_CONN GATT_SERVER_MAX_CONN
#define GATT_BOND_RECORD_VERSION 1
#define GATT_BOND_RECORD_MAX 1024 /* smp's limit too */

/* An identity address: type 0 public, 1 random; bdaddr as on the wire. */
struct gatt_bond_addr {
	uint8_t type;
	uint8_t a[6];
};

struct gatt_bond_keys {
	bool has_peer_csrk, has_local_csrk;
	uint8_t peer_csrk[16];  /* least significant octet first */
	uint8_t local_csrk[16];
	uint32_t peer_counter;  /* the lowest SignCounter we still accept */
	uint32_t local_counter; /* the SignCounter of our next signed write */
};

struct gatt_bond_link {
	bool used;
	bool counters_dirty; /* smp must store the counters */
	bool record_dirty;   /* smp must store a new record */
	uint16_t conn;
	struct gatt_bond_addr local, peer;
	struct gatt_bond_keys keys;
};

/* A bond smp told us of before the host's Connected reached us, applied
 * when it comes for the same peer address. */
struct gatt_bond_parked {
	bool used;
	uint16_t conn;
	struct gatt_bond_addr link_peer, local, peer;
	struct gatt_bond_keys keys;
	uint16_t len;
	uint8_t record[GATT_BOND_RECORD_MAX];
};

/* The peer address of a live connection, as the host's Connected gave it. */
struct gatt_bond_seen {
	bool used;
	uint16_t conn;
	struct gatt_bond_addr peer;
};

struct gatt_bonds {
	struct gatt_db *db;         /* borrowed */
	struct gatt_server *server; /* borrowed */
	struct gatt_bond_link links[GATT_BOND_MAX_CONN];
	struct gatt_bond_parked parked[GATT_BOND_MAX_CONN];
	struct gatt_bond_seen seen[GATT_BOND_MAX_CONN];
	uint64_t signed_rejected; /* signed writes dropped (bad MAC, replay, no key) */
};

void gatt_bonds_init(struct gatt_bonds *b, struct gatt_db *db, struct gatt_server *server);
struct gatt_bond_link *gatt_bond_link(struct gatt_bonds *b, uint16_t conn);

/* conn is to the bonded peer `peer` (our identity `local`), with these keys
 * and this record (len 0: none). The record's CCCDs are restored on conn
 * where conn has not set one itself; when conn's CCCDs then differ from the
 * record, record_dirty is set. Returns the number of CCCDs restored (>= 0),
 * -ENOSPC (too many links), or -EBADMSG / -ESTALE for a malformed record or
 * one of another database (the link is attached anyway, its record marked
 * dirty so a good one replaces it). */
int gatt_bond_attach(struct gatt_bonds *b, uint16_t conn, const struct gatt_bond_addr *local,
		     const struct gatt_bond_addr *peer, const struct gatt_bond_keys *keys,
		     const uint8_t *record, size_t len);
/* conn wrote a CCCD: a bonded link's record must be stored again. */
void gatt_bond_cccd_written(struct gatt_bonds *b, uint16_t conn);
/* The peer's bond was deleted: conn keeps its CCCDs for itself only and
 * its signing keys are gone (its address stays known). */
void gatt_bond_unbind(struct gatt_bonds *b, uint16_t conn);
/* The link went down: its bond, parked bond and address are forgotten. */
void gatt_bond_forget(struct gatt_bonds *b, uint16_t conn);

/* smp's word that conn (whose peer has address link_peer) is bonded, checked
 * against what the host told us: 1 when it may be applied now (the
 * connection is known with that address, or known without an address, as
 * after a restart), 0 when it was parked (the connection is not known yet:
 * gatt_bond_link_up() hands it back), -ESTALE when the connection has
 * another peer (a late message for a link gone; the handle was reused). */
int gatt_bond_admit(struct gatt_bonds *b, uint16_t conn, bool known,
		    const struct gatt_bond_addr *link_peer, const struct gatt_bond_addr *local,
		    const struct gatt_bond_addr *peer, const struct gatt_bond_keys *keys,
		    const uint8_t *record, size_t len);
/* The host's Connected: remembers the peer address of conn; returns the
 * bond parked for it when it is for that address (the caller attaches it,
 * then clears `used`), else NULL (a parked bond of another address is
 * dropped). */
struct gatt_bond_parked *gatt_bond_link_up(struct gatt_bonds *b, uint16_t conn,
					   const struct gatt_bond_addr *link_peer);

/* The record of conn's CCCDs into buf[cap]; returns its length or
 * -EMSGSIZE. */
int gatt_bond_record(const struct gatt_bonds *b, uint16_t conn, uint8_t *buf, size_t cap);
/* Checks a record and restores its CCCDs on conn (only where conn's value is
 * 0). Returns the count restored, -EBADMSG (malformed) or -ESTALE (another
 * database). Nothing is applied unless the whole record is good. */
int gatt_bond_record_apply(struct gatt_bonds *b, uint16_t conn, const uint8_t *rec, size_t len);

/* The server's verify_signed hook (arg: struct gatt_bonds): true when conn
 * is to a bonded peer whose CSRK we hold, the MAC is right and the
 * SignCounter is not below the next acceptable one; then the counter moves
 * past it and counters_dirty is set. */
bool gatt_bond_verify_signed(void *arg, uint16_t conn, const uint8_t *pdu, size_t len);
/* The client's sign hook (arg: struct gatt_bonds): signs with our CSRK for
 * the peer of conn and the next local counter. -ENOKEY without one. */
int gatt_bond_sign(void *arg, uint16_t conn, const uint8_t *pdu, size_t len,
		   uint8_t signature[ATT_SIGNATURE_LEN]);

#endif
