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

struct gatt_conn {
	bool used;
	bool dead; /* an indication timed out */
	bool mtu_exchanged;
	uint16_t conn;
	uint16_t mtu;
	struct gatt_security sec;
	uint16_t *cccd; /* by the CCCD's cccd_index */
	uint8_t client_features;
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

uint8_t on_att_find_information_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_find_by_type_value_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_by_type_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_blob_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_multiple_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_by_group_type_request(struct att_ctx *x, const struct att_pdu *p);
uint8_t on_att_read_multiple_variable_request(struct att_ctx *x, const struct att_pdu *p);

#endif
