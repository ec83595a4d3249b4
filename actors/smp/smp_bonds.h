/* The bond store: SQLite, one row per (local identity, peer identity) in
 * table `bonds`, and our own IRK and CSRK per local identity in table
 * `local_keys`. The database runs in WAL mode; each bond is written in one
 * transaction, so a crash leaves the old bond or the new one, never half of
 * one. Keys are stored most significant octet first, as smp_pairing.h
 * keeps them.
 *
 * Functions return 0 or -errno; SQLite's message is logged by the caller
 * from smp_bonds_error().
 */
#ifndef SMP_BONDS_H
#define SMP_BONDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smp_pairing.h"

struct smp_bond {
	struct smp_addr local; /* our identity */
	struct smp_addr peer;  /* the peer's identity */
	uint8_t key_size;
	bool authenticated;
	bool sc;
	/* The LTK we distributed (legacy; the peer encrypts with it when it
	 * is central) and the one the peer distributed (we encrypt with it
	 * as central). With Secure Connections both are the one LTK, EDIV
	 * and Rand zero. */
	bool has_local_ltk, has_peer_ltk;
	uint8_t local_ltk[16];
	uint16_t local_ediv;
	uint64_t local_rand;
	uint8_t peer_ltk[16];
	uint16_t peer_ediv;
	uint64_t peer_rand;
	bool has_peer_irk, has_peer_csrk, has_local_csrk;
	uint8_t peer_irk[16];
	uint8_t peer_csrk[16];
	uint8_t local_csrk[16];
	uint32_t local_sign_counter, peer_sign_counter;
	uint64_t created_s;
};

struct smp_bonds;

/* Opens (creating when absent) the store at path, in WAL mode. Returns 0,
 * or -errno with a reason in words in err. */
int smp_bonds_open(struct smp_bonds **out, const char *path, char *err, size_t err_cap);
/* Idempotent; nulls the caller's pointer. */
void smp_bonds_close(struct smp_bonds **self_p);
/* The last SQLite error in words. */
const char *smp_bonds_error(const struct smp_bonds *s);

/* The local identity of this stack: once set, smp_bonds_list() and
 * smp_bonds_delete() called without a local identity see only its bonds,
 * so two stacks sharing one file never see each other's. NULL: every bond
 * (the identity is not known yet). */
void smp_bonds_set_scope(struct smp_bonds *s, const struct smp_addr *local);
const struct smp_addr *smp_bonds_scope(const struct smp_bonds *s);

/* Writes (replacing) one bond in one transaction. */
int smp_bonds_put(struct smp_bonds *s, const struct smp_bond *b);
/* The bond of a peer identity, -ENOENT when none. */
int smp_bonds_get(struct smp_bonds *s, const struct smp_addr *local, const struct smp_addr *peer,
		  struct smp_bond *out);
/* Deletes the bonds of a peer identity (local NULL: under the scope's
 * identity, or every one when there is no scope). Returns how many were
 * deleted, or -errno. */
int smp_bonds_delete(struct smp_bonds *s, const struct smp_addr *local, const struct smp_addr *peer);
/* Every bond (local NULL: those of the scope when set) or those of one
 * local identity, into out[cap];
 * returns how many there are (possibly more than cap), or -errno. */
int smp_bonds_list(struct smp_bonds *s, const struct smp_addr *local, struct smp_bond *out,
		   size_t cap);
/* Updates the sign counters of a bond. */
int smp_bonds_set_counters(struct smp_bonds *s, const struct smp_addr *local,
			   const struct smp_addr *peer, uint32_t local_counter, uint32_t peer_counter);

/* The GATT record of a bond (gatt's CCCDs of the peer; opaque here, at
 * most SMP_BONDS_GATT_MAX bytes, len 0 clears it). Written in one
 * statement, so atomically; deleted with the bond; kept when the bond is
 * written again by a new pairing. -ENOENT when there is no such bond,
 * -EMSGSIZE when too long. */
#define SMP_BONDS_GATT_MAX 1024
int smp_bonds_set_gatt(struct smp_bonds *s, const struct smp_addr *local,
		       const struct smp_addr *peer, const uint8_t *record, size_t len);
/* Copies the record into buf[cap]; returns its length (0: none), -ENOENT
 * (no bond), -EMSGSIZE (cap too small) or -EIO. */
int smp_bonds_get_gatt(struct smp_bonds *s, const struct smp_addr *local,
		       const struct smp_addr *peer, uint8_t *buf, size_t cap);

/* Our IRK and CSRK under a local identity: read, or made with rand and
 * stored on first use. */
int smp_bonds_local_keys(struct smp_bonds *s, const struct smp_addr *local,
			 void (*rand)(void *arg, void *buf, size_t n), void *arg, uint8_t irk[16],
			 uint8_t csrk[16]);

/* True when the store's journal is WAL (tests). */
bool smp_bonds_wal(struct smp_bonds *s);

/* Tests: the next smp_bonds_put ends the process (_exit) after writing the
 * row, before COMMIT, as a crash would. */
void smp_bonds_crash_before_commit(struct smp_bonds *s);

/* "public:AA:BB:CC:DD:EE:FF" / "random:..." (most significant first) and
 * back. Returns 0 or -EINVAL. A bare address is public. */
int smp_addr_parse(const char *text, struct smp_addr *out);
void smp_addr_format(const struct smp_addr *a, char *buf, size_t cap);

#endif
