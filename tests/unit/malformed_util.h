/* Helpers of the malformed-PDU and chaos tests: in-process actors that play
 * the neighbours of one real actor process behind a real broker and keep
 * every envelope they get (deep copies). Every wait has a deadline. */
#ifndef MALFORMED_UTIL_H
#define MALFORMED_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

#define MU_KEPT 1024
#define MU_PEERS 8
#define MU_SILENCE_MS 50

#define MU_BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

struct mu_peer {
	struct hive_actor *a;
	char name[HIVE_NAME_MAX + 1];
	Hive__Envelope *kept[MU_KEPT];
	bool taken[MU_KEPT];
	size_t n;
};

/* Registers an actor on dir that keeps every envelope it gets. */
struct mu_peer *mu_peer_new(const char *dir, const char *name);
/* Frees every peer mu_peer_new made (suite fini, before th_cleanup). */
void mu_peers_free(void);

/* Runs every peer's loop once; waits up to 1 ms when none had work. */
void mu_pump(void);
/* The next kept envelope of this body case not taken yet, waiting up to
 * TH_DEADLINE_MS; the test fails with what on timeout. */
const Hive__Envelope *mu_take(struct mu_peer *p, Hive__Envelope__BodyCase body,
			      const char *what);
/* The kept envelope with a Result of this id, not taken yet, or NULL
 * (no waiting); it is then taken. */
const Hive__Envelope *mu_find_result(struct mu_peer *p, uint64_t id);
/* Frees the envelopes already taken (long-running tests). */
void mu_forget_taken(struct mu_peer *p);
/* Pumps for ms and asserts that p kept nothing new of this body case
 * (HIVE__ENVELOPE__BODY__NOT_SET: of any case). */
void mu_expect_silence(struct mu_peer *p, Hive__Envelope__BodyCase body, int ms);

/* Starts program prog registered as name with "--set" values (NULL-ended);
 * stderr goes to DIR/NAME.log. Returns the pid. */
pid_t mu_spawn(const char *dir, const char *prog, const char *name, const char *const sets[]);
/* Waits until the broker's Status shows name up and ready. */
bool mu_wait_ready(struct mu_peer *asker, const char *name, int timeout_ms);

void mu_send(struct mu_peer *p, const char *dest, Hive__Envelope *env);
/* Sends r (its id set from a counter of this process) to dest; returns the id. */
uint64_t mu_request(struct mu_peer *p, const char *dest, Hive__Request *r);
/* The Result of id kept by p, waiting up to ms; NULL when none came. */
const Hive__Result *mu_wait_result(struct mu_peer *p, uint64_t id, int ms);
void mu_send_pdu(struct mu_peer *p, const char *dest, uint32_t handle, uint32_t cid,
		 const uint8_t *b, size_t len);
void mu_send_frame(struct mu_peer *p, const char *dest, uint32_t handle, const uint8_t *b,
		   size_t len);
void mu_send_hci(struct mu_peer *p, const char *dest, int type, const uint8_t *b, size_t len);
void mu_send_link(struct mu_peer *p, const char *dest, uint32_t handle, bool up, bool central);

/* Asserts that bytes equal want, printing both hexdumps when not. */
void mu_expect_bytes(const char *what, const uint8_t *got, size_t got_len, const uint8_t *want,
		     size_t want_len);

#endif
