/* hive-gatt's security retry (gatt_secretry.h): the I/O half. A client
 * procedure an app started that ends with an insufficient-security ATT
 * error is not answered yet: smp is asked (Request.smp encrypt or pair,
 * ids GATT_SR_ID_BASE | the procedure's cookie), and on its success the
 * procedure runs again once from the start; otherwise, or on a second such
 * error, a disconnection, or no answer within GATT_SR_TIMEOUT_MS, the app
 * gets the first ATT error with words saying what was tried and why it
 * failed. Part of the shell (gatt_main.h). */
#ifndef HIVE_GATT_SECRETRY_IO_H
#define HIVE_GATT_SECRETRY_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "gatt_client.h"
#include "hive.h"

#define GATT_SR_ID_BASE 0x5352000000000000ull /* "SR" */
/* Longer than smp's own 30 s pairing timeout: smp normally answers first. */
#define GATT_SR_TIMEOUT_MS 40000

struct gatt_main;
struct gatt_pending;

/* The DONE event e of p's procedure. True when the retry took p over
 * (waiting for smp, or answered and released); false: answer p as usual
 * (p->why may hold words for the Result). */
bool gatt_sr_on_done(struct gatt_main *self, struct gatt_pending *p,
		     const struct gatt_client_event *e);
/* A Result: true when it answers one of our smp requests. */
bool gatt_sr_on_result(struct gatt_main *self, const Hive__Result *r);
/* An SmpEvent: a prompt of a pairing we asked for goes on to the app whose
 * request it is for (smp prompts the asker, which is us); its user_reply
 * goes straight to smp. True when forwarded. */
bool gatt_sr_on_smp_event(struct gatt_main *self, const Hive__Envelope *env);
/* The link conn went: its requests waiting for smp get their error. */
void gatt_sr_conn_down(struct gatt_main *self, uint16_t conn);
/* Requests that waited for smp too long get their error. */
void gatt_sr_tick(struct gatt_main *self, uint64_t now_ms);

#endif
