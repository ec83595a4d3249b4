/* Inside the GATT server: shared by gatt_server.c (state, dispatch, writes,
 * notifications) and gatt_server_read.c (discovery and read handlers). Not
 * for other modules. */
#ifndef HIVE_GATT_SERVER_INT_H
#define HIVE_GATT_SERVER_INT_H

#include "gatt_server.h"

struct gatt_prep {
	uint16_t handle;
	uint16_t offset;
	uint16_t len;
	uint16_t at; /* where its bytes start in prep_buf */
};

struct gatt_ind {
	uint16_t handle;
	uint16_t len;
	uint8_t value[ATT_MAX_MTU - 3];
};

struct gatt_prov_state; /* gatt_provider.c: a request waiting for an app */

struct gatt_conn {
	struct gatt_prov_state *prov; /* NULL until an app-provided value is touched */
	bool used;
	bool dead; /* an indication timed out */
	bool mtu_exchanged;
	uint16_t conn;
	uint16_t mtu;
	struct gatt_security sec;
	uint16_t *cccd; /* by the CCCD's cccd_index */
	uint8_t client_features;
	/* Robust caching (Vol 3 Part G 2.5.2.1; gatt_robust.c): the database
	 * changed since this client last synchronised, and whether it was
	 * told so with Database Out Of Sync. */
	bool change_unaware, oos_sent;
	struct gatt_prep *prep;
	uint16_t prep_n;
	uint16_t prep_used;
	uint8_t *prep_buf;
	bool ind_pending;
	uint16_t ind_handle;
	unsigned ind_head, ind_n;
	struct gatt_ind indq[GATT_IND_QUEUE_MAX];
};

struct gatt_server {
	struct gatt_db *db;
	struct gatt_server_config cfg;
	uint32_t next_token; /* of provider requests */
	struct gatt_conn conns[GATT_SERVER_MAX_CONN];
};

/* What a handler gets: the server, the bearer, the outbox, and a writer
 * over the response slot (capacity: the bearer's MTU). A handler that
 * returns a non-zero ATT code sets err_handle; the dispatcher then sends
 * the Error Response instead of whatever was written. */
struct att_ctx {
	struct gatt_server *s;
	struct gatt_conn *c;
	struct att_outbox *out;
	struct wr w;
	uint16_t err_handle;
	const uint8_t *raw; /* the PDU as received */
	size_t raw_len;
	uint8_t tmp[16]; /* per-connection values are read into it */
	/* Set when the request needs an app's value (need_read) or hands a
	 * value to an app (need_write): the dispatcher then asks the app and
	 * answers the peer later (gatt_provider.c). */
	uint16_t need_read;
	bool need_write;
	uint16_t need_handle;
	const uint8_t *need_value;
	size_t need_len;
};

typedef uint8_t (*att_handler_fn)(struct att_ctx *x, const struct att_pdu *p);

/* 0 or the ATT code that forbids this access on this bearer. */
uint8_t gatt_check_access(const struct gatt_conn *c, const struct gatt_attr *a, bool write);
/* The value of a as this bearer sees it (CCCDs and Client Supported
 * Features are per connection); points into the db or into x->tmp. */
const uint8_t *gatt_attr_value(struct att_ctx *x, const struct gatt_attr *a, size_t *len);
/* Start and end of a handle range: Invalid Handle (at start) when start is
 * 0 or above end. */
uint8_t gatt_check_range(struct att_ctx *x, uint16_t start, uint16_t end);

/* gatt_robust.c: before a PDU of a change-unaware client is handled.
 * 0: handle it; 1: dropped (a command); 2: answered Database Out Of Sync
 * (in out). */
int gatt_robust_gate(struct gatt_server *s, struct gatt_conn *c, const uint8_t *pdu,
		     size_t len, struct att_outbox *out);
/* The client confirmed an indication of handle. */
void gatt_robust_confirmed(struct gatt_server *s, struct gatt_conn *c, uint16_t handle);

/* The bearer of conn, or NULL. */
struct gatt_conn *gatt_server_conn(const struct gatt_server *s, uint16_t conn);
/* Handles one PDU on a bearer (gatt_server_on_pdu() without the lookup;
 * also re-runs a request once its app answered). */
int gatt_server_dispatch(struct gatt_server *s, struct gatt_conn *c, const uint8_t *pdu,
			 size_t len, struct att_outbox *out);

/* gatt_provider.c: the server's side of app-provided values. */
/* The value of an app-provided attribute fetched for the request being
 * handled; empty (and x->need_read set) when the app must be asked. */
const uint8_t *gatt_provider_value(struct att_ctx *x, const struct gatt_attr *a, size_t *len);
/* True when a is app-provided and its value has not been fetched yet. */
bool gatt_provider_unfetched(const struct att_ctx *x, const struct gatt_attr *a);
/* store() of an app-provided value: asks the app (0) or fails (ATT code). */
uint8_t gatt_provider_write(struct att_ctx *x, const struct gatt_attr *a, const uint8_t *v,
			    size_t len);
/* After a handler: when it needs an app, emits the ask, keeps the request
 * and returns true (nothing is sent to the peer now); false when it did
 * not wait (a command's write is handed over without waiting; *rc may
 * then hold an error for the request). */
bool gatt_provider_defer(struct att_ctx *x, uint8_t opcode, enum att_kind kind, uint8_t *rc);
/* The request is answered: forget what was fetched for it. */
void gatt_provider_done(struct gatt_conn *c);
/* True while c waits for an app: further requests are not taken. */
bool gatt_provider_waiting(const struct gatt_conn *c);
/* Execute Write: the prepare-queue entry to resume from after an app
 * answered a write of it (0: a new execute), and where to resume next. */
size_t gatt_provider_exec_from(const struct gatt_conn *c);
void gatt_provider_exec_at(struct gatt_conn *c, size_t next);
void gatt_provider_free(struct gatt_conn *c);

uint8_t on_att_find_information_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_find_by_type_value_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_by_type_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_blob_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_multiple_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_by_group_type_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_multiple_variable_request(struct att_ctx *x, const struct att_pdu *p);

#endif
