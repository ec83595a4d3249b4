/* The gatt actor's I/O shell, shared by gatt_main.c (the loop, ATT PDUs,
 * link events, the outboxes, events to subscribers, the snapshot) and
 * gatt_main_req.c (Request.gatt from apps and the Results of the client
 * procedures they started). Only these files (and the *_io.c and gatt_smp.c
 * helpers) touch ZeroMQ, timers and protobuf-c; the decisions are the
 * actor's (gatt_actor.h). */
#ifndef GATT_MAIN_H
#define GATT_MAIN_H

#include "gatt_actor.h"
#include "gatt_cache_io.h"
#include "gatt_flow.h"
#include "gatt_secretry_io.h"
#include "gatt_smp.h"
#include "hive.h"

#define GATT_MAIN_SNAPSHOT_MAX 8192

struct gatt_main {
	struct hive_actor *a;
	struct gatt_actor g;
	const char *l2cap;
	bool dirty; /* the snapshot must be saved again */
	uint64_t requests_sent; /* by the client, when the snapshot was last saved */
	uint64_t send_failures;
	/* PDUs waiting while l2cap says the link is busy, and the token of the
	 * notify request being handled (-1: none). */
	struct gatt_flow flow;
	struct gatt_smp smp; /* bonds: CCCDs and signing keys from and to smp */
	int token;
	struct gatt_cio_shell cio; /* how the client cache answers apps */
	unsigned security_retry; /* --set security_retry (gatt_secretry.h) */
	uint8_t snap[GATT_MAIN_SNAPSHOT_MAX];
};

uint64_t gatt_main_now_ms(void);
/* Sends a Result (gr may be NULL), logged when sending fails. */
void gatt_main_send_result(struct gatt_main *self, const char *dest, uint64_t id, int32_t status,
			   Hive__Result__Domain domain, const char *error, Hive__GattResult *gr);
/* A Result of domain LOCAL with "what: strerror(-err)". */
void gatt_main_local_error(struct gatt_main *self, const char *dest, uint64_t id, int err,
			   const char *what);
/* Sends what the actor's outboxes hold, saves the snapshot when dirty. */
void gatt_main_flush(struct gatt_main *self);
/* The Result of a notify or set_value request whose PDUs all went; frees
 * the flow token. */
void gatt_main_notify_result(struct gatt_main *self, int token);

/* gatt_main_req.c: the Result of a client procedure p that ended (done). */
void gatt_main_answer(struct gatt_main *self, struct gatt_pending *p,
		      const struct gatt_client_event *done);
/* gatt_main_req.c: Request (only op gatt is served). */
void gatt_main_on_request(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg);

#endif
