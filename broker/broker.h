/* hive-broker: routes envelopes between actors by name, queues for absent
 * ones, keeps snapshots, publishes a tap while someone listens. */
#ifndef HIVE_BROKER_H
#define HIVE_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <zmq.h>

#include "hive.h"

#define BROKER_MAX_ACTORS 1024
#define BROKER_RID_MAX 255

/* One routed message held by the broker: the source name and the envelope,
 * as the ZeroMQ frames they arrived in (no copy of the bytes). */
struct qmsg {
	zmq_msg_t src;
	zmq_msg_t env;
};

/* A ring of held messages. */
struct mqueue {
	struct qmsg *items;
	size_t head;
	size_t len;
	size_t cap;
	size_t bytes;
};

struct actor {
	char name[HIVE_NAME_MAX + 1];
	uint8_t rid[BROKER_RID_MAX];
	size_t rid_len;          /* 0: never connected */
	pid_t pid;
	bool up;
	bool ready;
	bool reliable;
	bool registered_once;
	bool watcher;
	bool ephemeral;          /* a tool: forgotten when it goes */
	bool blocked;            /* the last send hit the pipe's limit */
	uint32_t incarnation;
	uint32_t restarts;
	struct mqueue queue;     /* waiting: not yet delivered */
	struct mqueue inflight;  /* delivered to this incarnation, not yet acked */
	uint64_t delivered;      /* routed messages delivered to this incarnation */
	uint64_t acked;
	uint64_t msgs_in, msgs_out, bytes_in, bytes_out, dropped;
	uint8_t *snapshot;
	size_t snapshot_len;
	bool has_snapshot;
	char program[256];
};

struct tap_sub {
	uint8_t *prefix;
	size_t len;
	unsigned count;
};

struct broker_config {
	const char *run_dir;
	size_t queue_max_msgs;
	size_t queue_max_bytes;
	size_t frame_max;
};

struct broker {
	struct broker_config cfg;
	void *zctx;
	void *router;
	void *tap;
	int router_fd; /* ZMQ_FD of router and tap, polled with poll() */
	int tap_fd;
	int lock_fd;
	struct actor *actors;
	size_t nactors;
	struct tap_sub *subs;
	size_t nsubs;
	uint64_t malformed;
	uint64_t routed;
	bool graph_ready;
	uint8_t *txbuf;
	size_t txcap;
	char endpoint[4200];
	char tap_endpoint[4200];
};

/* ---- queues (broker_queue.c) ---------------------------------------------------- */
void mqueue_fini(struct mqueue *q);
/* Takes both messages (they are moved, the caller's become empty). */
int mqueue_push_back(struct mqueue *q, zmq_msg_t *src, zmq_msg_t *env);
/* Moves every message of `from` in front of `to`, keeping their order. */
int mqueue_prepend_all(struct mqueue *to, struct mqueue *from);
struct qmsg *mqueue_front(struct mqueue *q);
/* Closes the front message. */
void mqueue_drop_front(struct mqueue *q);
/* Moves the front message out into *out (the caller closes it). */
void mqueue_pop_front(struct mqueue *q, struct qmsg *out);

/* ---- the broker (broker.c) -------------------------------------------------------- */
int broker_open(struct broker *b, const struct broker_config *cfg);
void broker_close(struct broker *b);
/* Serves until a signal. Returns 0 or -errno. */
int broker_run(struct broker *b);

struct actor *broker_find(struct broker *b, const char *name, size_t len);
/* The live actor connected with this routing id, or NULL. */
struct actor *broker_find_rid(struct broker *b, const uint8_t *rid, size_t len);
/* Finds or adds the entry of a name; NULL when the table is full. */
struct actor *broker_entry(struct broker *b, const char *name, size_t len);
void broker_mark_down(struct broker *b, struct actor *a, const char *why);
void broker_flush(struct broker *b, struct actor *a);
void broker_ack(struct broker *b, struct actor *a, uint64_t received);
/* Sends a broker-made envelope to a routing id (registered or not). */
int broker_send_control(struct broker *b, const uint8_t *rid, size_t rid_len,
			Hive__Envelope *env);

/* ---- control messages (broker_control.c) ------------------------------------------ */
/* Handles an envelope addressed to "broker". from is NULL for a connection
 * that has not registered. */
void broker_control(struct broker *b, struct actor *from, const uint8_t *rid, size_t rid_len,
		    zmq_msg_t *env);
/* Registers a connection that sends without a Hello (the broker restarted
 * under it) from the name in its routing id. NULL when it cannot. */
struct actor *broker_adopt(struct broker *b, const uint8_t *rid, size_t rid_len);
void broker_notice(struct broker *b, Hive__Notice__Kind kind, const struct actor *a,
		   const char *detail);

#endif
