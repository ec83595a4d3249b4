/* The GATT client's cache of peers' databases (robust caching, Core Vol 3
 * Part G 2.5.2), without I/O.
 *
 * What is cached: the whole-database discoveries an app asks for (all
 * primary services; all characteristics and all descriptors over
 * 0x0001-0xffff), per peer, keyed by the peer's address from the link's
 * Connected event (a stable identity address on the links where it
 * matters; a resolvable private address gives a fresh entry), with the
 * peer's Database Hash read when the first result is stored.
 *
 * When it is used: on a later connection to the same peer, the first
 * whole-database discovery holds while the shell reads the peer's Database
 * Hash (an internal Read By Type of 0x2B2A); an equal hash makes the cache
 * valid for the link and every cached discovery is answered from it (the
 * Result says so); a different hash, or none, drops it. On the link where
 * it was filled the cache is valid at once.
 *
 * What drops it: a Service Changed indication from the peer (the handle of
 * its characteristic 0x2A05 as cached), and Database Out Of Sync (0x12) in
 * an answer on the link; the next discovery goes to the peer again.
 */
#ifndef HIVE_GATT_CACHE_H
#define HIVE_GATT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatt_client.h"

#define GATT_CACHE_PEERS 8
#define GATT_CACHE_LINKS 8
#define GATT_CACHE_HELD 16
#define GATT_CACHE_KINDS 3 /* services, characteristics, descriptors */
#define GATT_CACHE_NAME_MAX 64

enum gatt_cache_link_state {
	GATT_CACHE_UNCHECKED = 0, /* a cache exists; the peer's hash not read yet */
	GATT_CACHE_CHECKING,      /* the hash read is in flight */
	GATT_CACHE_VALID,         /* use and fill the cache */
};

struct gatt_cache_list {
	bool present;
	size_t n;
	struct gatt_client_event *items;
};

struct gatt_cache_peer {
	bool used;
	uint8_t addr[7]; /* type, then the 6 address bytes */
	bool has_hash;
	uint8_t hash[16];
	uint64_t stamp; /* least recently used goes first */
	uint16_t sc_handle; /* its Service Changed value, as last discovered */
	struct gatt_cache_list list[GATT_CACHE_KINDS];
};

struct gatt_cache_link {
	bool used;
	uint16_t conn;
	int peer; /* index in peers, -1: none (no address known) */
	enum gatt_cache_link_state state;
	uint64_t cookie; /* of the hash read in flight */
	bool want_hash;  /* a result was stored without the peer's hash */
};

/* An app's discovery waiting for the hash check. */
struct gatt_cache_held {
	bool used;
	uint16_t conn;
	uint64_t request_id;
	char asker[GATT_CACHE_NAME_MAX + 1];
	struct gatt_client_req req;
};

struct gatt_cache {
	uint64_t clock;
	struct gatt_cache_peer peers[GATT_CACHE_PEERS];
	struct gatt_cache_link links[GATT_CACHE_LINKS];
	struct gatt_cache_held held[GATT_CACHE_HELD];
};

void gatt_cache_init(struct gatt_cache *c);
void gatt_cache_fini(struct gatt_cache *c);

/* A link to the peer at addr (type + 6 bytes; NULL: unknown, never
 * cached). */
void gatt_cache_connected(struct gatt_cache *c, uint16_t conn, const uint8_t addr[7]);
/* The link went; its held requests stay to be released (they fail). */
void gatt_cache_disconnected(struct gatt_cache *c, uint16_t conn);

/* The cache kind of a request (0..2), or -1 when it is not cached. */
int gatt_cache_kind(const struct gatt_client_req *r);

enum gatt_cache_decision {
	GATT_CACHE_MISS,  /* ask the peer (and gatt_cache_store() the answer) */
	GATT_CACHE_HIT,   /* answer with gatt_cache_items() */
	GATT_CACHE_HOLD,  /* held; nothing to do now */
	GATT_CACHE_CHECK, /* held; start the hash read, then gatt_cache_checking() */
};
enum gatt_cache_decision gatt_cache_on_request(struct gatt_cache *c, uint16_t conn,
					       const struct gatt_client_req *r, const char *asker,
					       uint64_t request_id);
/* The cached answer of kind for conn (valid until the cache changes). */
bool gatt_cache_items(const struct gatt_cache *c, uint16_t conn, int kind,
		      const struct gatt_client_event **items, size_t *n);
/* The hash read for conn went out as procedure cookie. */
void gatt_cache_checking(struct gatt_cache *c, uint16_t conn, uint64_t cookie);
/* True when cookie is a hash read of ours (the answer is not an app's). */
bool gatt_cache_is_check(const struct gatt_cache *c, uint64_t cookie, uint16_t *conn);
/* The peer's Database Hash (NULL: it has none, or the read failed). */
void gatt_cache_hash_result(struct gatt_cache *c, uint16_t conn, const uint8_t *hash);
/* Takes the next held request that can go now (its link checked or gone). */
bool gatt_cache_next_held(struct gatt_cache *c, struct gatt_cache_held *out);

/* A whole-database discovery of kind succeeded on conn with these items
 * (copied). True when the peer's hash is not known yet: the shell reads
 * it (gatt_cache_checking(), then gatt_cache_hash_result()). */
bool gatt_cache_store(struct gatt_cache *c, uint16_t conn, int kind,
		      const struct gatt_client_event *items, size_t n);
/* An indication from the peer of conn: when handle is its Service
 * Changed, the cache of the peer is dropped (true). */
bool gatt_cache_indication(struct gatt_cache *c, uint16_t conn, uint16_t handle);
/* The peer's database changed (Database Out Of Sync): dropped. */
void gatt_cache_invalidate(struct gatt_cache *c, uint16_t conn);

#endif
