/* Inside the GATT client: shared by gatt_client.c (bearers, queue, dispatch,
 * timeouts) and gatt_client_proc.c (what each procedure sends and how it
 * reads its responses). Not for other modules. */
#ifndef HIVE_GATT_CLIENT_INT_H
#define HIVE_GATT_CLIENT_INT_H

#include "gatt_client.h"

/* One procedure: the request as asked (value copied) and its progress. */
struct gatt_proc {
	struct gatt_client_req req; /* req.value and req.handles point into value */
	uint16_t len;
	uint8_t value[ATT_MAX_VALUE_LEN];
	uint8_t sent_op;  /* the request outstanding, 0 when none */
	uint16_t cursor;  /* discovery: next start handle; long write: bytes sent */
	uint16_t chunk;   /* long write: length of the part in flight */
	uint16_t inc_handle, inc_start, inc_end; /* an include waiting for its UUID */
	uint16_t cccd;    /* subscribe: the CCCD found */
	bool whole_read;  /* read long from an offset of a short value: Read, sliced */
	bool cancelling;  /* long write: the Execute Write (cancel) is in flight */
	int pend_err;     /* ... and the failure to report once it is answered */
	uint8_t pend_att;
	const char *pend_msg;
};

struct gatt_client_conn {
	bool used;
	bool dead; /* a request timed out: nothing more on this bearer */
	bool busy; /* cur holds a procedure */
	/* A request our predecessor (a gatt actor that died) sent on this
	 * bearer and whose response has not come: nothing is sent until that
	 * response arrives (it is discarded) or the transaction times out
	 * (deadline; 0 until the clock is first seen). */
	uint8_t stale_op;
	uint16_t conn;
	uint16_t mtu;
	uint64_t deadline; /* of the request outstanding */
	struct gatt_proc cur;
	unsigned qhead, qn;
	struct gatt_proc queue[GATT_CLIENT_QUEUE_MAX];
	uint16_t acc_len; /* read long: the value so far */
	uint8_t acc[ATT_MAX_VALUE_LEN];
};

struct gatt_client {
	struct gatt_client_config cfg;
	uint64_t requests_sent;
	struct gatt_client_conn conns[GATT_CLIENT_MAX_CONN];
};

/* What a procedure step gets. */
struct cl_ctx {
	struct gatt_client *c;
	struct gatt_client_conn *k;
	struct gatt_client_outbox *out;
	uint64_t now;
};

/* gatt_client.c */
struct gatt_client_event *cl_emit(struct cl_ctx *x, enum gatt_client_event_type type);
/* Copies a value into the outbox's data for ev; false when it has no room. */
bool cl_emit_value(struct cl_ctx *x, struct gatt_client_event *ev, const uint8_t *v, size_t n);
/* Encodes p as the next request of the current procedure and sends it. */
void cl_send_request(struct cl_ctx *x, const struct att_pdu *p);
/* Sends a PDU that is not answered (command, confirmation). */
bool cl_send_pdu(struct cl_ctx *x, const struct att_pdu *p);
/* Ends the current procedure with one DONE event (value may be NULL) and
 * starts the next queued one. */
void cl_finish(struct cl_ctx *x, int err, uint8_t att_error, const char *msg,
	       const uint8_t *value, size_t len);

/* gatt_client_proc.c */
/* Sends the first PDU of the current procedure (or finishes it). */
void cl_proc_start(struct cl_ctx *x);
/* A decoded response (not an Error Response) to the current procedure,
 * already checked to answer the request outstanding. */
void cl_proc_response(struct cl_ctx *x, const struct att_pdu *p, size_t raw_len);
/* An Error Response to the request outstanding. */
void cl_proc_error(struct cl_ctx *x, const struct att_error_rsp *e);

#endif
