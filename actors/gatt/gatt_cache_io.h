/* hive-gatt's side of the client cache (gatt_cache.h) and of runtime
 * database changes (robust caching): what gatt_main.c calls. */
#ifndef HIVE_GATT_CACHE_IO_H
#define HIVE_GATT_CACHE_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "gatt_actor.h"
#include "hive.h"

/* What the shell does for the cache: answer an app (as for a finished
 * procedure), or fail its request. */
struct gatt_cio_shell {
	void (*answer)(void *arg, struct gatt_pending *p, const struct gatt_client_event *done);
	void (*fail)(void *arg, const char *asker, uint64_t request_id, int err, const char *what);
	void *arg;
};

/* An app's client request on conn: true when the cache took it (answered
 * from the cache, or held while the peer's hash is read). */
bool gatt_cio_request(struct gatt_actor *g, const struct gatt_cio_shell *sh, const char *asker,
		      uint64_t request_id, uint16_t conn, struct gatt_client_req *q,
		      uint64_t now_ms);
/* A finished procedure, before it is answered: feeds the cache. True when
 * it was the cache's own hash read (release it, answer no one). */
bool gatt_cio_done(struct gatt_actor *g, struct gatt_pending *p,
		   const struct gatt_client_event *done);
/* After a flush: starts the hash reads due and the held requests that may
 * go. True when it started or answered anything (flush again). */
bool gatt_cio_release(struct gatt_actor *g, const struct gatt_cio_shell *sh, uint64_t now_ms);

/* db_change: adds or removes a service and tells the clients. 0 with
 * out->start/end set, or -errno with what went wrong in *what. */
int gatt_cio_db_change(struct gatt_actor *g, const Hive__GattDbChange *d,
		       Hive__GattDbChanged *out, const char **what);

#endif
