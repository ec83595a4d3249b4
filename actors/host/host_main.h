/* The host actor's I/O shell, shared by host_main.c (the loop, HCI, L2CAP,
 * link events, the command requests) and host_main_gap.c (GAP requests and
 * their results). Only these two files touch ZeroMQ, timers and
 * protobuf-c. */
#ifndef HOST_MAIN_H
#define HOST_MAIN_H

#include "hive.h"
#include "host.h"

#define SUBSCRIBERS_MAX 8
#define ASKERS_MAX 64

/* Who asked: a Request's source and id, by the cookie the host tags it
 * with. */
struct asker {
	bool in_use;
	uint64_t cookie;
	uint64_t request_id;
	char source[HIVE_NAME_MAX + 1];
};

struct host_actor {
	struct hive_actor *a;
	struct host h;
	int timer;
	uint64_t timer_due;
	uint64_t next_cookie;
	struct asker askers[ASKERS_MAX];
	char subscribers[SUBSCRIBERS_MAX][HIVE_NAME_MAX + 1];
	unsigned nsubscribers;
	uint64_t send_failures;
	/* This process's epoch in AclCredits (random, non-zero), and the
	 * frames l2cap had meant for a predecessor (dropped: l2cap sends them
	 * again after our reset). */
	uint32_t epoch;
	uint64_t stale_frames;
	const char *config_path;
	uint8_t pkt[HCI_ACL_HDR_LEN + HOST_ACL_FRAG_MAX + 8];
	uint8_t snap[HOST_SNAPSHOT_MAX];
};

void host_send_result(struct host_actor *self, const char *dest, uint64_t id, int32_t status,
		      Hive__Result__Domain domain, const char *error, Hive__Result *res);
/* A new asker for (source, id), or NULL when too many requests wait. */
struct asker *host_asker_new(struct host_actor *self, const char *source, uint64_t id);
struct asker *host_asker_find(struct host_actor *self, uint64_t cookie);
void host_addr_to_pb(Hive__Address *pa, const struct host_addr *a, uint8_t *buf);
void host_conn_info_to_pb(Hive__ConnectionInfo *info, const struct host_conn *c,
			  Hive__Address *own, Hive__Address *peer, uint8_t buf[12]);

/* host_main_gap.c: serves the GAP requests; false when req is not one. */
bool host_gap_request(struct host_actor *self, const char *source, const Hive__Request *req);
/* l2cap's Result of a request the host made for an app (a peripheral's
 * connection update): relayed to the app. */
void host_gap_on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			void *arg);
/* Sends one HOST_OUT_RESULT. */
void host_send_gap_result(struct host_actor *self, const struct host_result *r);
/* Loads --set config=PATH (generating and storing what is missing) and
 * gives it to the GAP state. Returns 0 or -errno (logged). */
int host_load_config(struct host_actor *self);
/* Fresh randomness for the next address, when the GAP state used it. */
void host_refill_randomness(struct host_actor *self);

#endif
