/* Back-pressure of the ATT PDUs gatt sends to l2cap. l2cap tells gatt when a
 * link's frames pile up waiting for the controller (L2capEvent fixed_busy);
 * while a connection is busy its PDUs wait here, in order, and the Result of
 * a notify (or set_value) request whose PDUs wait is held back until they
 * went: an app that waits for its Results is paced by the radio, and one
 * that does not gets -EAGAIN once GATT_FLOW_ADMIT PDUs wait. No I/O. */
#ifndef GATT_FLOW_H
#define GATT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GATT_FLOW_CONN_MAX 16
/* Notify and set_value requests are refused (-EAGAIN) from this many waiting
 * PDUs on a connection; responses and indications still wait, up to HOLD_MAX
 * (past it a PDU is dropped and counted: a bug, or a peer that never stops). */
#define GATT_FLOW_ADMIT 256
#define GATT_FLOW_HOLD_MAX 1024
#define GATT_FLOW_TOKENS 512
#define GATT_FLOW_NAME_MAX 64

struct gatt_flow_pdu {
	struct gatt_flow_pdu *next;
	int token; /* the request whose Result waits for it, or -1 */
	uint16_t len;
	uint8_t pdu[];
};

struct gatt_flow_conn {
	bool used;
	bool busy;
	uint16_t conn;
	struct gatt_flow_pdu *head, *tail;
	unsigned count;
};

/* A request's Result held until its PDUs went. */
struct gatt_flow_token {
	bool used;
	bool closed; /* every PDU of the request was handed over */
	char asker[GATT_FLOW_NAME_MAX + 1];
	uint64_t id;
	uint16_t conn;
	uint32_t count;
	unsigned left; /* its PDUs still waiting */
};

struct gatt_flow_stats {
	uint64_t held;      /* PDUs that waited */
	uint64_t held_max;  /* most waiting on one connection */
	uint64_t refused;   /* notify requests answered -EAGAIN */
	uint64_t dropped;   /* past GATT_FLOW_HOLD_MAX, or with their link */
};

struct gatt_flow {
	struct gatt_flow_conn c[GATT_FLOW_CONN_MAX];
	struct gatt_flow_token t[GATT_FLOW_TOKENS];
	struct gatt_flow_stats st;
};

void gatt_flow_init(struct gatt_flow *f);
void gatt_flow_fini(struct gatt_flow *f);

/* l2cap's fixed_busy for the ATT channel of conn. */
void gatt_flow_set_busy(struct gatt_flow *f, uint16_t conn, bool busy);
/* True when notify requests for conn (GATT_FLOW_ANY: for any connection)
 * must be refused now (counted). */
#define GATT_FLOW_ANY 0xffff
bool gatt_flow_refuse(struct gatt_flow *f, uint16_t conn);

/* One PDU for conn: returns 0 when it may go to l2cap now, 1 when it waits
 * here (copied; token's Result waits for it), -ENOBUFS when it was dropped
 * (counted), -ENOMEM. */
int gatt_flow_submit(struct gatt_flow *f, uint16_t conn, const uint8_t *pdu, size_t len,
		     int token);
/* The next PDU that may go (conn not busy), or NULL; the caller sends it and
 * frees it with gatt_flow_sent(). */
struct gatt_flow_pdu *gatt_flow_next(struct gatt_flow *f, uint16_t *conn);
/* After a PDU from gatt_flow_next went (or was dropped): frees it; returns
 * its token when that request's Result may go now, else -1. */
int gatt_flow_sent(struct gatt_flow *f, struct gatt_flow_pdu *p);
/* The link went: its waiting PDUs are dropped (counted). Calls done() for
 * every token whose Result may go now. */
void gatt_flow_conn_down(struct gatt_flow *f, uint16_t conn,
			 void (*done)(int token, void *arg), void *arg);

/* A request about to produce PDUs: returns its token (-1 when the table is
 * full: the Result then goes at once). */
int gatt_flow_token_open(struct gatt_flow *f, const char *asker, uint64_t id, uint16_t conn,
			 uint32_t count);
/* Every PDU of the request was submitted: returns true when none waits (the
 * Result goes now, and the token is free again). */
bool gatt_flow_token_close(struct gatt_flow *f, int token);
/* Frees a token after its Result went. */
void gatt_flow_token_free(struct gatt_flow *f, int token);

#endif
