/* The GATT server: the state of every ATT bearer and the on_att_<pdu>
 * handlers (Core Vol 3 Parts F and G), without I/O.
 *
 * The shell hands each ATT PDU received on a connection to
 * gatt_server_on_pdu(); the server appends what it wants to send (PDUs and
 * events for the application) to an outbox, which the shell flushes once per
 * input. Connections come and go with gatt_server_connect() and
 * gatt_server_disconnect(); the security of a link (from smp) is fed in with
 * gatt_server_set_security(). Per connection the server keeps the MTU, the
 * CCCD values, Client Supported Features, the prepare-write queue (bounded)
 * and one outstanding indication with the rest queued.
 *
 * The server borrows the database; it must outlive the server and be
 * finished.
 */
#ifndef HIVE_GATT_SERVER_H
#define HIVE_GATT_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "att_codec.h"
#include "gatt_db.h"

#define GATT_SERVER_MAX_CONN 8
#define ATT_OUTBOX_MAX_PDUS 16
#define ATT_OUTBOX_MAX_EVENTS 16
#define GATT_PREPARE_QUEUE_DEFAULT 8      /* entries, at most ATT_OUTBOX_MAX_EVENTS - 1 */
#define GATT_PREPARE_BYTES_DEFAULT 1024   /* value bytes over all entries */
#define GATT_IND_QUEUE_MAX 8

/* What the application learns from the server. */
enum gatt_event_type {
	GATT_EV_WRITE = 1, /* a value changed by a peer: conn, handle */
	GATT_EV_CCCD,      /* a CCCD written: conn, handle (the value's), value */
	GATT_EV_MTU,       /* MTU exchanged: conn, value = new MTU */
	GATT_EV_CONFIRMED, /* an indication confirmed: conn, handle */
	/* A peer's access to an attribute an app provides (gatt_provider.h):
	 * conn, handle, value = the offset (Read Blob, Prepare Write), token;
	 * a write carries the bytes in data/len and no_response for a
	 * command (answer not awaited). Answer with
	 * gatt_server_provider_answer(). */
	GATT_EV_PROVIDER_READ,
	GATT_EV_PROVIDER_WRITE,
};

struct gatt_event {
	enum gatt_event_type type;
	uint16_t conn;
	uint16_t handle;
	uint16_t value;
	uint32_t token;       /* provider events */
	bool no_response;     /* provider writes from commands */
	const uint8_t *data;  /* provider writes: valid until the next input */
	uint16_t len;
};

struct att_out_pdu {
	uint16_t conn;
	uint16_t len;
	uint8_t pdu[ATT_MAX_MTU];
};

/* Filled by the server, flushed by the shell; att_outbox_reset() empties it.
 * When it is full, the server fails the input with -ENOBUFS and appends
 * nothing. */
struct att_outbox {
	unsigned n_pdus;
	unsigned n_events;
	struct att_out_pdu pdus[ATT_OUTBOX_MAX_PDUS];
	struct gatt_event events[ATT_OUTBOX_MAX_EVENTS];
};

void att_outbox_reset(struct att_outbox *out);

/* The security of a link, as smp and host report it. */
struct gatt_security {
	bool encrypted;
	bool authenticated; /* MITM-protected key */
	bool authorized;    /* the application authorised this peer */
	bool has_ltk;       /* a key exists: ask for encryption, not pairing */
	uint8_t key_size;   /* 7..16 when encrypted */
};

/* Verifies an Authenticated Signed Write (the CSRK and counter live in
 * smp): pdu is the whole PDU, signature included. True when it is good. */
typedef bool (*gatt_verify_signed_fn)(void *arg, uint16_t conn, const uint8_t *pdu,
				      size_t len);

struct gatt_server_config {
	uint16_t mtu;              /* our receive MTU, 23..517 (0: 517) */
	uint16_t prepare_entries;  /* 0: GATT_PREPARE_QUEUE_DEFAULT */
	uint16_t prepare_bytes;    /* 0: GATT_PREPARE_BYTES_DEFAULT */
	gatt_verify_signed_fn verify_signed; /* NULL: signed writes are dropped */
	void *verify_arg;
};

struct gatt_server;

/* Returns 0, -EINVAL (db not finished, bad config) or -ENOMEM. */
int gatt_server_new(struct gatt_server **out, struct gatt_db *db,
		    const struct gatt_server_config *cfg);
void gatt_server_destroy(struct gatt_server **self_p);

/* A new ATT bearer. -EEXIST, -ENOSPC, -ENOMEM. */
int gatt_server_connect(struct gatt_server *s, uint16_t conn);
/* Forgets the bearer (its queues; CCCDs of unbonded peers). -ENOENT. */
int gatt_server_disconnect(struct gatt_server *s, uint16_t conn);
int gatt_server_set_security(struct gatt_server *s, uint16_t conn,
			     const struct gatt_security *sec);
/* The MTU of a bearer (0 when unknown). */
uint16_t gatt_server_mtu(const struct gatt_server *s, uint16_t conn);
/* The bearer's MTU was set by our client's exchange (23..517). -ENOENT,
 * -EINVAL. */
int gatt_server_set_mtu(struct gatt_server *s, uint16_t conn, uint16_t mtu);
/* Restores a CCCD value of a connection (a restarted actor's snapshot).
 * -ENOENT when conn or the CCCD of value_handle is unknown. */
int gatt_server_set_cccd(struct gatt_server *s, uint16_t conn, uint16_t value_handle,
			 uint16_t value);
/* The CCCD value a connection wrote for a characteristic value handle. */
uint16_t gatt_server_cccd(const struct gatt_server *s, uint16_t conn, uint16_t value_handle);

/* Handles one PDU received from the client of conn. Returns 0 when handled
 * (the answer, if any, is in out), 1 when the PDU is not for the server (a
 * response, notification or indication: the shell gives it to the client),
 * -ENOTCONN for an unknown connection, -ENOBUFS when the outbox is full. */
int gatt_server_on_pdu(struct gatt_server *s, uint16_t conn, const uint8_t *pdu, size_t len,
		       struct att_outbox *out);

/* Sets a characteristic value locally (copied) and sends it to every
 * subscriber: a Handle Value Notification (truncated to MTU-3) to those with
 * the notify bit, an indication (one outstanding per connection, others
 * queued) to those with the indicate bit. Returns the number of
 * connections reached or -errno. */
int gatt_server_set_value(struct gatt_server *s, uint16_t handle, const uint8_t *value,
			  size_t len, struct att_outbox *out);
/* Sends a value to one connection whatever its CCCD says: notify or
 * indicate. 0, -ENOENT, -ENOTCONN, -ENOBUFS (outbox or indication queue full). */
int gatt_server_notify(struct gatt_server *s, uint16_t conn, uint16_t handle,
		       const uint8_t *value, size_t len, bool indicate, struct att_outbox *out);
/* Robust caching (gatt_robust.c). The Client Supported Features bit a
 * client sets to enable it. */
#define GATT_CLIENT_FEAT_ROBUST_CACHING 0x01
/* The database changed in start..end (gatt_db_append_service(),
 * gatt_db_remove_service()): every connected client that enabled robust
 * caching becomes change-unaware (its requests get Database Out Of Sync
 * until it reads the Database Hash, confirms Service Changed, or sends a
 * request after being told), and Service Changed is indicated to every
 * subscriber. Returns the connections indicated or -errno. */
int gatt_server_db_changed(struct gatt_server *s, uint16_t start, uint16_t end,
			   struct att_outbox *out);
/* False while conn is change-unaware. */
bool gatt_server_change_aware(const struct gatt_server *s, uint16_t conn);
/* A connection's Client Supported Features and robust caching state, for
 * the snapshot: bit 0 change-unaware, bit 1 told (Out Of Sync sent).
 * Get: false for an unknown conn. Set: -ENOENT. */
bool gatt_server_robust_state(const struct gatt_server *s, uint16_t conn, uint8_t *features,
			      uint8_t *state);
int gatt_server_set_robust_state(struct gatt_server *s, uint16_t conn, uint8_t features,
				 uint8_t state);
/* Indicates Service Changed (start..end) to every subscriber. */
int gatt_server_service_changed(struct gatt_server *s, uint16_t start, uint16_t end,
				struct att_outbox *out);
/* The 30 s indication timer of conn fired: the bearer is dead (Vol 3 Part F
 * 3.3.3); further PDUs on it are ignored until it is disconnected. */
void gatt_server_indication_timeout(struct gatt_server *s, uint16_t conn);
/* True when conn has an indication waiting for its confirmation. */
bool gatt_server_indication_pending(const struct gatt_server *s, uint16_t conn);

/* The name of the handler for logs: "att_read_request". */
const char *gatt_server_pdu_name(uint8_t opcode);

#endif
