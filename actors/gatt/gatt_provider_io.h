/* hive-gatt's messages with value providers (see gatt_provider.h):
 * GattRequest provider_register / provider_answer in, GattEvent
 * provider_ask out, the deadline of each question, Undeliverable. The
 * protobuf side of gatt_provider.c, called by gatt_main.c. */
#ifndef HIVE_GATT_PROVIDER_IO_H
#define HIVE_GATT_PROVIDER_IO_H

#include <stdint.h>

#include "gatt_actor.h"
#include "hive.h"

/* Sends a provider event of the server's outbox to the app that provides
 * its handle; a question that cannot go (no provider, send failed) is
 * queued as failed (gatt_providers_drain() answers it). */
void gatt_pio_ask(struct hive_actor *a, struct gatt_actor *g, const struct gatt_event *e,
		  uint64_t now_ms);
/* provider_register or provider_answer from source. Returns 0 or -errno,
 * with what went wrong in words in *what. */
int gatt_pio_request(struct gatt_actor *g, const char *source, const Hive__GattRequest *r,
		     const char **what);
/* Questions past their deadline become failures. */
void gatt_pio_tick(struct hive_actor *a, struct gatt_actor *g, uint64_t now_ms);
/* A question the broker could not deliver becomes a failure; true when u
 * was one. */
bool gatt_pio_undeliverable(struct hive_actor *a, struct gatt_actor *g,
			    const Hive__Undeliverable *u);

#endif
