/* Helpers of the hive-l2cap tests: in-process actors that play host, gatt,
 * smp and apps around real hive-l2cap processes behind a real broker.
 * Every wait has a deadline; silence is checked over a short window. */
#ifndef L2CAP_ACTOR_UTIL_H
#define L2CAP_ACTOR_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

#define LT_KEPT 512
#define LT_PEERS 8

struct lt_peer;
/* Returns true when it consumed the envelope (it is then not kept). */
typedef bool (*lt_hook)(struct lt_peer *p, const char *source, const Hive__Envelope *env);

/* One in-process actor and what it received (deep copies). */
struct lt_peer {
	struct hive_actor *a;
	char name[HIVE_NAME_MAX + 1];
	Hive__Envelope *kept[LT_KEPT];
	char from[LT_KEPT][HIVE_NAME_MAX + 1];
	bool taken[LT_KEPT];
	size_t n;
	lt_hook hook;
	void *user;
};

/* Registers an actor on dir that keeps every envelope it gets. */
struct lt_peer *lt_peer_new(const char *dir, const char *name);
void lt_peer_free(struct lt_peer *p);

/* Runs every peer's loop once; waits up to 1 ms when none had work. */
void lt_pump(void);
/* Pumps until *flag or the deadline. */
bool lt_wait_flag(const bool *flag, int timeout_ms);
/* The next kept envelope of this body case not taken yet, waiting up to
 * TH_DEADLINE_MS; NULL on timeout (the test then fails with what). */
const Hive__Envelope *lt_take(struct lt_peer *p, Hive__Envelope__BodyCase body,
			      const char *what);
/* The next L2capEvent of this kind (others of the kind are skipped). */
const Hive__L2capEvent *lt_take_event(struct lt_peer *p, Hive__L2capEvent__KindCase kind);
/* Pumps for ms and asserts that p kept nothing new. */
void lt_expect_silence(struct lt_peer *p, int ms);

/* Starts hive-l2cap named name with extra "--set" values (NULL-ended);
 * stderr goes to DIR/NAME.log. Returns the pid. */
pid_t lt_spawn_l2cap(const char *dir, const char *name, const char *const sets[]);

/* Sends one envelope from p to dest (asserted). */
void lt_send(struct lt_peer *p, const char *dest, Hive__Envelope *env);
void lt_send_frame(struct lt_peer *host, const char *l2cap, uint16_t handle, const uint8_t *p,
		   size_t len);
void lt_send_connected(struct lt_peer *host, const char *l2cap, uint16_t handle, bool central);
/* A fake radio between two fake hosts named host-a and host-b: the hook
 * (lt_peer.hook) of each forwards every L2capFrame it gets to the other
 * side's l2cap (l2cap-b, l2cap-a), sent as the peer in p->user. */
bool lt_radio(struct lt_peer *p, const char *source, const Hive__Envelope *env);
void lt_send_disconnected(struct lt_peer *host, const char *l2cap, uint16_t handle);
/* Sends an L2capRequest (the op set by the caller) with id. */
void lt_request(struct lt_peer *app, const char *l2cap, uint64_t id, Hive__L2capRequest *q);
/* Waits for the Result of id (other Results are skipped). */
const Hive__Result *lt_result(struct lt_peer *app, uint64_t id);
/* Sends a table query and returns its L2capTable. */
const Hive__L2capTable *lt_table(struct lt_peer *app, const char *l2cap, uint64_t id);

/* Asserts that bytes equal want, printing both hexdumps when not. */
void lt_expect_bytes(const char *what, const uint8_t *got, size_t got_len, const uint8_t *want,
		     size_t want_len);

#endif
