/* The gatt actor's state, without I/O: the database, the server and the
 * client of every ATT bearer, the connection table fed by link events, the
 * app requests waiting for a client procedure to end, the apps that asked
 * for events, and the snapshot a restarted actor resumes from.
 *
 * gatt_main.c owns one struct gatt_actor, turns messages into calls here,
 * and flushes the two outboxes (sout: the server's PDUs and events; cout:
 * the client's) after each input.
 */
#ifndef HIVE_GATT_ACTOR_H
#define HIVE_GATT_ACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatt_bond.h"
#include "gatt_cache.h"
#include "gatt_client.h"
#include "gatt_db.h"
#include "gatt_provider.h"
#include "gatt_server.h"

#define GATT_ACTOR_MAX_CONN GATT_SERVER_MAX_CONN
#define GATT_ACTOR_MAX_PENDING 128
#define GATT_ACTOR_MAX_SUBSCRIBERS 8
#define GATT_ACTOR_NAME_MAX 64
#define GATT_INDICATION_TIMEOUT_MS 30000

struct gatt_actor_conn {
	bool used;
	uint16_t handle;
	struct gatt_security sec;
	uint64_t ind_since; /* when the outstanding indication was first seen; 0 none */
};

/* An app request waiting for its client procedure: the events it
 * collected (discovery items; values copied and owned here). */
struct gatt_pending {
	bool used;
	bool orphan; /* restored from a snapshot: its procedure died with us */
	uint64_t cookie; /* the procedure id given to the client */
	uint64_t request_id;
	uint16_t conn;
	enum gatt_proc_type type;
	int cache_kind;  /* gatt_cache_kind() of the request: -1 not cached */
	bool from_cache; /* answered from the cache of the peer's database */
	char asker[GATT_ACTOR_NAME_MAX + 1];
	struct gatt_client_event *items;
	size_t n, cap;
	/* The security retry (gatt_secretry.h): the procedure as started
	 * (value and handles owned; type NONE when it could not be kept),
	 * whether the app allows pairing, smp's request while waiting for it
	 * (0: not waiting), the first run's ATT error, and words for the
	 * app's Result ("" none). */
	struct gatt_client_req req;
	bool secure, retried;
	uint8_t sr_act;
	uint64_t smp_id, smp_since;
	uint8_t att_error, att_request;
	char why[256];
};

struct gatt_actor {
	struct gatt_db *db;
	struct gatt_server *server;
	struct gatt_client *client;
	struct gatt_actor_conn conns[GATT_ACTOR_MAX_CONN];
	struct att_outbox sout;
	struct gatt_client_outbox cout;
	uint64_t next_cookie;
	struct gatt_pending pending[GATT_ACTOR_MAX_PENDING];
	unsigned n_subscribers;
	char subscribers[GATT_ACTOR_MAX_SUBSCRIBERS][GATT_ACTOR_NAME_MAX + 1];
	struct gatt_providers providers; /* apps that provide values, questions in flight */
	struct gatt_cache cache;         /* peers' databases as discovered */
	struct gatt_bonds bonds; /* links to bonded peers: CCCD records, signing keys */
};

/* Loads db_path (JSON, see gatt_db_json.c) or, when NULL, builds the GAP
 * and GATT services only with device_name (NULL: "hive"). Returns 0 or
 * -errno with a message in err. */
int gatt_actor_init(struct gatt_actor *self, const char *db_path, const char *device_name,
		    char *err, size_t errlen);
void gatt_actor_fini(struct gatt_actor *self);
/* Empties both outboxes (after the shell flushed them). */
void gatt_actor_reset_outboxes(struct gatt_actor *self);

/* ---- links ------------------------------------------------------------------ */
int gatt_actor_connected(struct gatt_actor *self, uint16_t handle);
/* Ends the bearer; the client's procedures end with -ENOTCONN in cout. */
int gatt_actor_disconnected(struct gatt_actor *self, uint16_t handle);
int gatt_actor_encryption(struct gatt_actor *self, uint16_t handle, bool enabled,
			  uint8_t key_size);
int gatt_actor_set_mtu(struct gatt_actor *self, uint16_t handle, uint16_t mtu);
struct gatt_actor_conn *gatt_actor_conn(struct gatt_actor *self, uint16_t handle);
/* Resolves a request's conn: 0 means the only connection. 0 with *out set,
 * -ENOTCONN (none, or not that one) or -EINVAL (several). */
int gatt_actor_pick_conn(struct gatt_actor *self, uint32_t conn, uint16_t *out);

/* ---- ATT ----------------------------------------------------------------------- */
/* One ATT PDU from the peer on handle: requests, commands and
 * confirmations go to the server, the rest to the client. An unknown
 * handle is taken as connected (l2cap only routes live links). Returns 0
 * or the -errno the server or the client gave. */
int gatt_actor_on_att(struct gatt_actor *self, uint16_t handle, const uint8_t *pdu, size_t len,
		      uint64_t now_ms);
/* Timeouts: client transactions and server indications. */
void gatt_actor_tick(struct gatt_actor *self, uint64_t now_ms);

/* ---- the local server -------------------------------------------------------------- */
/* Sends value to conn (or, with all, to every connection whose CCCD asks
 * for it). Returns the connections reached or -errno. */
int gatt_actor_notify(struct gatt_actor *self, uint16_t conn, bool all, uint16_t handle,
		      const uint8_t *value, size_t len, bool indicate);

/* ---- client procedures for apps ---------------------------------------------------- */
/* Starts a procedure for asker's request; the answer is built when its
 * DONE event comes through gatt_actor_collect(). Returns 0 or -errno. */
int gatt_actor_client_request(struct gatt_actor *self, const char *asker, uint64_t request_id,
			      uint16_t conn, struct gatt_client_req *req, uint64_t now_ms);
/* Feeds one client event that belongs to a procedure: discovery items are
 * kept; for a DONE returns the finished pending request (release it with
 * gatt_actor_pending_release() once answered), else NULL. */
struct gatt_pending *gatt_actor_collect(struct gatt_actor *self,
					const struct gatt_client_event *ev);
void gatt_actor_pending_release(struct gatt_pending *p);
/* The pending request of a procedure id (its cookie), or NULL. */
struct gatt_pending *gatt_actor_pending(struct gatt_actor *self, uint64_t cookie);
/* Runs p's procedure again from the start (the security retry): what it
 * collected is dropped, p->retried set. Returns gatt_client_request()'s
 * result (-EINVAL when the procedure was not kept). */
int gatt_actor_client_retry(struct gatt_actor *self, struct gatt_pending *p, uint64_t now_ms);

/* ---- apps that want events ---------------------------------------------------------- */
int gatt_actor_subscribe_events(struct gatt_actor *self, const char *name);

/* ---- restart ------------------------------------------------------------------------ */
/* The state a restarted actor resumes from: connections, their security,
 * MTU and CCCDs, the event subscribers, and the app requests in progress
 * (restored as orphan pendings, to be answered with an error). Returns the
 * length written or -EMSGSIZE. */
int gatt_actor_snapshot(struct gatt_actor *self, uint8_t *buf, size_t cap);
/* Restores a snapshot. 0 or -EBADMSG (nothing restored past the error). */
int gatt_actor_restore(struct gatt_actor *self, const uint8_t *buf, size_t len);

#endif
