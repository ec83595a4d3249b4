/* The GATT client: procedures of Core Vol 3 Part G 4 over ATT, without I/O.
 *
 * The shell starts a procedure with gatt_client_request(); the client sends
 * its first request at once when the bearer is idle, otherwise queues it
 * (ATT is sequential: one request outstanding per bearer, Vol 3 Part F
 * 3.3.2). Responses, notifications and indications received on the bearer
 * go to gatt_client_on_pdu(). What the client wants to send (requests,
 * commands, confirmations) and what it learned (discovered attributes,
 * values, the end of a procedure, notifications) is appended to a
 * gatt_client_outbox, which the shell flushes once per input.
 *
 * Every procedure ends with exactly one GATT_CEV_DONE event carrying its id:
 * success, a local failure (-errno: -ETIMEDOUT, -EBADMSG for a malformed or
 * inconsistent response, -EPROTO for an unexpected one, -ENOTCONN when the
 * link went) or the ATT error code the server answered. Discovery results
 * stream as events before the DONE.
 *
 * Time is passed in (milliseconds, any monotonic origin): a request not
 * answered within 30 s fails with -ETIMEDOUT and the bearer is dead (Vol 3
 * Part F 3.3.3): everything queued fails and nothing more is sent on it.
 */
#ifndef HIVE_GATT_CLIENT_H
#define HIVE_GATT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "att_codec.h"
#include "gatt_server.h"

#define GATT_CLIENT_MAX_CONN 8
#define GATT_CLIENT_QUEUE_MAX 16
#define GATT_CLIENT_TIMEOUT_MS 30000
#define GATT_CLIENT_MAX_PDUS 4
#define GATT_CLIENT_MAX_EVENTS 192
#define GATT_CLIENT_DATA_MAX 4096
#define GATT_CLIENT_READ_MULTIPLE_MAX 16

enum gatt_proc_type {
	GATT_PROC_NONE = 0,
	GATT_PROC_EXCHANGE_MTU,
	GATT_PROC_DISCOVER_SERVICES,        /* all primary services */
	GATT_PROC_DISCOVER_SERVICES_BY_UUID, /* primary services of one UUID */
	GATT_PROC_FIND_INCLUDED,            /* included services in start..end */
	GATT_PROC_DISCOVER_CHARACTERISTICS, /* in start..end; by uuid when has_uuid */
	GATT_PROC_DISCOVER_DESCRIPTORS,     /* in start..end */
	GATT_PROC_READ,                     /* handle */
	GATT_PROC_READ_LONG,                /* handle, from offset */
	GATT_PROC_READ_BY_UUID,             /* uuid in start..end */
	GATT_PROC_READ_MULTIPLE,            /* handles[] */
	GATT_PROC_WRITE,                    /* handle, value */
	GATT_PROC_WRITE_LONG,               /* handle, value, from offset */
	GATT_PROC_WRITE_COMMAND,            /* handle, value: no response */
	GATT_PROC_SIGNED_WRITE,             /* handle, value: signed, no response */
	GATT_PROC_SUBSCRIBE,                /* handle (value), cccd (0: find it), indicate */
	GATT_PROC_UNSUBSCRIBE,              /* handle (value), cccd (0: find it) */
};

/* What the shell asks for. */
struct gatt_client_req {
	enum gatt_proc_type type;
	uint64_t id;            /* echoed in every event of the procedure */
	uint16_t handle;
	uint16_t start, end;    /* ranges: 0 and 0 mean 0x0001..0xffff */
	uint16_t offset;        /* read long, write long */
	uint16_t mtu;           /* exchange: our receive MTU (0: the client's) */
	uint16_t cccd;          /* subscribe: the CCCD handle, 0 to discover it */
	bool has_uuid;
	bool indicate;
	struct att_uuid uuid;
	const uint8_t *value;   /* copied */
	size_t len;
	const uint16_t *handles; /* read multiple: 2..GATT_CLIENT_READ_MULTIPLE_MAX */
	size_t n_handles;
};

enum gatt_client_event_type {
	GATT_CEV_SERVICE = 1,  /* handle, end, uuid */
	GATT_CEV_INCLUDE,      /* handle (the include), start, end, uuid */
	GATT_CEV_CHARACTERISTIC, /* handle (declaration), value_handle, props, uuid */
	GATT_CEV_DESCRIPTOR,   /* handle, uuid */
	GATT_CEV_VALUE,        /* read by UUID: handle, value */
	GATT_CEV_DONE,         /* the procedure ended: err, att_error; for reads
				 * the value, for (un)subscribe the CCCD in
				 * value_handle, for MTU exchange the mtu */
	GATT_CEV_NOTIFICATION, /* handle, value */
	GATT_CEV_INDICATION,   /* handle, value (the confirmation is sent) */
};

struct gatt_client_event {
	enum gatt_client_event_type type;
	enum gatt_proc_type proc;
	uint16_t conn;
	uint64_t id;
	uint16_t handle;
	uint16_t start, end;
	uint16_t value_handle;
	uint8_t props;
	struct att_uuid uuid;
	int err;             /* DONE: 0 or -errno */
	uint8_t att_error;   /* DONE: the server's ATT error code, or 0 */
	uint8_t att_request; /* DONE with att_error: the request it answered */
	const char *error;   /* DONE: what went wrong, in words (static), or NULL */
	uint16_t mtu;        /* DONE of an MTU exchange */
	const uint8_t *value; /* into the outbox's data; NULL when none */
	uint16_t len;
};

/* Owned by the shell; gatt_client_outbox_reset() empties it. Values of
 * events point into data and live until the reset. */
struct gatt_client_outbox {
	unsigned n_pdus;
	unsigned n_events;
	size_t data_len;
	struct att_out_pdu pdus[GATT_CLIENT_MAX_PDUS];
	struct gatt_client_event events[GATT_CLIENT_MAX_EVENTS];
	uint8_t data[GATT_CLIENT_DATA_MAX];
};

void gatt_client_outbox_reset(struct gatt_client_outbox *out);

/* Signs an Authenticated Signed Write: pdu holds opcode, handle and value
 * (len bytes); writes the 12-byte signature (sign counter and MAC, as on the
 * wire). Returns 0 or -errno (no CSRK: -ENOKEY). */
typedef int (*gatt_sign_fn)(void *arg, uint16_t conn, const uint8_t *pdu, size_t len,
			    uint8_t signature[ATT_SIGNATURE_LEN]);

struct gatt_client_config {
	uint16_t mtu;          /* our receive MTU offered in exchanges (0: 517) */
	uint32_t timeout_ms;   /* 0: GATT_CLIENT_TIMEOUT_MS */
	gatt_sign_fn sign;     /* NULL: signed writes fail with -ENOKEY */
	void *sign_arg;
};

struct gatt_client;

/* Returns 0, -EINVAL or -ENOMEM. */
int gatt_client_new(struct gatt_client **out, const struct gatt_client_config *cfg);
/* Idempotent; nulls the caller's pointer. */
void gatt_client_destroy(struct gatt_client **self_p);

/* A new bearer (MTU 23). -EEXIST, -ENOSPC. */
int gatt_client_connect(struct gatt_client *c, uint16_t conn);
/* The bearer is gone: the current and queued procedures end with
 * -ENOTCONN (DONE events in out). -ENOENT. */
int gatt_client_disconnect(struct gatt_client *c, uint16_t conn, struct gatt_client_outbox *out);
bool gatt_client_connected(const struct gatt_client *c, uint16_t conn);
/* The bearer's MTU changed elsewhere (our server answered the peer's
 * exchange): the client uses it from now on. -ENOENT. */
int gatt_client_set_mtu(struct gatt_client *c, uint16_t conn, uint16_t mtu);
uint16_t gatt_client_mtu(const struct gatt_client *c, uint16_t conn);

/* Starts or queues a procedure. Returns 0 (the DONE event will come, maybe
 * already in out), -ENOTCONN (unknown or dead bearer), -EINVAL (bad
 * parameters), -EMSGSIZE (value too long), -ENOBUFS (queue full). On
 * failure nothing is queued and no event is emitted. */
int gatt_client_request(struct gatt_client *c, uint16_t conn, const struct gatt_client_req *req,
			uint64_t now_ms, struct gatt_client_outbox *out);

/* One PDU from the server of conn: a response, notification or
 * indication. Returns 0 when it was consumed (a procedure advanced or
 * ended, or an event was emitted), -ENOTCONN for an unknown bearer,
 * -EPROTO for a response nobody asked for or a PDU that is not for a
 * client, -EBADMSG for a malformed notification (dropped). */
int gatt_client_on_pdu(struct gatt_client *c, uint16_t conn, const uint8_t *pdu, size_t len,
		       uint64_t now_ms, struct gatt_client_outbox *out);

/* Fails the procedures whose request has waited too long (see above). */
void gatt_client_tick(struct gatt_client *c, uint64_t now_ms, struct gatt_client_outbox *out);
/* The earliest time at which gatt_client_tick() has something to do, or
 * UINT64_MAX. */
uint64_t gatt_client_next_deadline(const struct gatt_client *c);

/* True while conn has a request outstanding (ours or a predecessor's). */
bool gatt_client_busy(const struct gatt_client *c, uint16_t conn);
/* The opcode of the request outstanding on conn (ours or a predecessor's),
 * 0 when none: what a snapshot keeps so a successor does not take the
 * response to it for the answer to one of its own requests. */
uint8_t gatt_client_outstanding(const struct gatt_client *c, uint16_t conn);
/* A restarted actor's bearer had request op outstanding when its
 * predecessor died: the next response on conn is that one's and is
 * discarded; nothing is sent on conn before it comes, and if it does not
 * come within the transaction timeout (counted from the first tick or
 * PDU after this call) the bearer times out like any other. -ENOENT,
 * -EINVAL (op 0). */
int gatt_client_set_stale(struct gatt_client *c, uint16_t conn, uint8_t op);
/* How many requests the client has sent so far: the shell saves its
 * snapshot before sending when this moved, so the snapshot knows of every
 * request on the wire. */
uint64_t gatt_client_requests_sent(const struct gatt_client *c);

const char *gatt_proc_name(enum gatt_proc_type t);

#endif
