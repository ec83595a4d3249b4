/* App value providers: an app (any actor) registers as the provider of a
 * characteristic value or descriptor of the local database; the server
 * forwards the peers' reads and writes of it to the app and answers each
 * peer with what the app returns.
 *
 * Server side (pure, gatt_provider.c with the server's internals): an
 * attribute marked provided is read through its app. A request that needs
 * such a value (Read, Read Blob, Read By Type, Read Multiple, Read Multiple
 * Variable) is held: the server emits GATT_EV_PROVIDER_READ, keeps the
 * request, and when the app answers re-runs it with the value the app gave
 * (so every check and every length limit of the plain path applies). Read
 * Blob asks the app again with the offset; the app answers the whole
 * value and the server slices it at the offset (Attribute Not Long and
 * Invalid Offset as for any value). Read By Type asks only for its first
 * match and stops its list before a later provided one (the client asks
 * again from there); Find By Type Value does not compare provided values.
 * A Write Request (and Execute Write, one provided handle at a time, in
 * queue order) emits GATT_EV_PROVIDER_WRITE and is answered when the app
 * answers; Write Command and Signed Write Command emit it with no_response
 * and nothing waits. The app's answer may be an ATT error code (including
 * the application errors 0x80-0x9F): the peer gets it in an Error
 * Response. The bearer stays sequential: while it waits, further requests
 * from the peer are dropped (a client must not send them, Vol 3 Part F
 * 3.3.2); commands and confirmations are handled.
 *
 * Actor side (struct gatt_providers): who provides what, and the questions
 * in flight with their deadline (a late answer finds nothing and is
 * dropped; the shell answers Unlikely Error 0x0E on the deadline, on
 * Undeliverable, or when the registration is gone).
 */
#ifndef HIVE_GATT_PROVIDER_H
#define HIVE_GATT_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatt_server.h"

#define GATT_PROVIDER_TIMEOUT_MS 5000 /* default; well under the 30 s ATT timeout */
#define GATT_PROVIDERS_MAX 32
#define GATT_PROVIDER_NAME_MAX 64
#define GATT_PROVIDER_ASKS_MAX 16

/* ---- server --------------------------------------------------------------------- */

/* Marks (or unmarks) the attribute at handle as provided by an app. Only
 * plain attributes: -EINVAL for declarations, CCCDs, Client Supported
 * Features, the Database Hash and Service Changed; -ENOENT. */
int gatt_server_set_provided(struct gatt_server *s, uint16_t handle, bool provided);

/* The app answered request token of conn: att_error 0 with the value
 * (a read: the whole value; a write: ignored), or an ATT error code. The
 * peer's response (or the next ask) goes to out. -ENOENT when conn waits
 * for no such token (late, or the link went: drop it), -ENOBUFS. */
int gatt_server_provider_answer(struct gatt_server *s, uint16_t conn, uint32_t token,
				uint8_t att_error, const uint8_t *value, size_t len,
				struct att_outbox *out);

/* The request conn waits on an app for: its opcode and handle (for the
 * snapshot). False when none. */
bool gatt_server_provider_pending(const struct gatt_server *s, uint16_t conn, uint8_t *opcode,
				  uint16_t *handle, uint32_t *token);

/* A restarted actor's bearer had request opcode (on handle) waiting for an
 * app: its answer is lost, so the peer gets Unlikely Error now. */
int gatt_server_provider_abandoned(struct gatt_server *s, uint16_t conn, uint8_t opcode,
				   uint16_t handle, struct att_outbox *out);

/* ---- actor ------------------------------------------------------------------------ */

struct gatt_provider_reg {
	uint16_t handle;
	char name[GATT_PROVIDER_NAME_MAX + 1];
};

struct gatt_provider_ask {
	bool used;
	uint16_t conn;
	uint32_t token;
	uint64_t deadline;
	uint64_t seq; /* of the envelope that carried it (for Undeliverable) */
	char name[GATT_PROVIDER_NAME_MAX + 1];
};

struct gatt_providers {
	uint32_t timeout_ms;
	unsigned n;
	struct gatt_provider_reg reg[GATT_PROVIDERS_MAX];
	struct gatt_provider_ask ask[GATT_PROVIDER_ASKS_MAX];
	/* Questions that failed (no provider, not sent, timed out,
	 * undeliverable), to be answered Unlikely Error by the next drain. */
	unsigned n_failed;
	struct { uint16_t conn; uint32_t token; } failed[GATT_PROVIDER_ASKS_MAX];
};

void gatt_providers_init(struct gatt_providers *p, uint32_t timeout_ms);
/* name provides handle from now on (replacing any other), or, with
 * release, no longer (only its own registration). 0, -ENOENT, -EINVAL,
 * -ENOSPC, -EPERM (release by another). */
int gatt_providers_register(struct gatt_providers *p, struct gatt_server *s,
			    struct gatt_db *db, const char *name, uint16_t handle, bool release);
/* The provider of handle, or NULL. */
const char *gatt_providers_name(const struct gatt_providers *p, uint16_t handle);
/* A question went to name; its answer is due by now + timeout. -ENOSPC. */
int gatt_providers_asked(struct gatt_providers *p, uint16_t conn, uint32_t token,
			 const char *name, uint64_t seq, uint64_t now_ms);
/* Takes the question of token, answered by name (NULL: any). 0 with
 * *conn, -ENOENT (unknown or late), -EPERM (another app answered). */
int gatt_providers_take(struct gatt_providers *p, uint32_t token, const char *name,
			uint16_t *conn);
/* Takes one question past its deadline (true), or returns false. */
bool gatt_providers_expired(struct gatt_providers *p, uint64_t now_ms, uint32_t *token,
			    uint16_t *conn);
/* Takes the question carried by envelope seq (true), or returns false. */
bool gatt_providers_undeliverable(struct gatt_providers *p, uint64_t seq, uint32_t *token,
				  uint16_t *conn);
/* The attributes start..end were removed from the database: their
 * registrations go. */
void gatt_providers_drop_range(struct gatt_providers *p, uint16_t start, uint16_t end);
/* Forgets the questions of a link that went. */
void gatt_providers_forget_conn(struct gatt_providers *p, uint16_t conn);
/* Queues the failure of a question (its ask, if recorded, is dropped). */
void gatt_providers_fail(struct gatt_providers *p, uint16_t conn, uint32_t token);
/* Answers the queued failures with Unlikely Error into out; returns how
 * many PDUs or asks that made (the shell then flushes again). */
int gatt_providers_drain(struct gatt_providers *p, struct gatt_server *s,
			 struct att_outbox *out);

#endif
