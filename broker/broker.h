/* hive-broker: routes envelopes between actors by name, queues for absent
 * ones, keeps snapshots, publishes a tap while someone listens. */
#ifndef HIVE_BROKER_H
#define HIVE_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <zmq.h>

#include "broker_peek.h"
#include "broker_perm.h"
#include "hive.h"

#define BROKER_MAX_ACTORS 1024
#define BROKER_RID_MAX 255
#define BROKER_MAX_BINDS 8

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
	bool remote;             /* connected over tcp with a CURVE key */
	uint32_t heartbeat_ms;   /* it sends at least this often; 0: pid watched */
	uint64_t last_heard_ns;  /* when it last sent anything */
	uint64_t refused;        /* its messages refused by the permissions */
};

/* A public key allowed on tcp: DIR/actors/NAME.pub. */
struct broker_key {
	char name[HIVE_NAME_MAX + 1];
	uint8_t pub[32];
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
	const char *keys_dir;           /* CURVE keys; required with tcp binds */
	const char *binds[BROKER_MAX_BINDS]; /* tcp:// endpoints besides ipc */
	size_t nbinds;
	const char *permissions_path;   /* NULL: no permissions (all allowed) */
	const char *tap_binds[BROKER_MAX_BINDS]; /* tcp:// endpoints of the tap (CURVE) */
	size_t ntap_binds;
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

	/* across machines (broker_net.c) */
	void *zap;              /* REP at inproc://zeromq.zap.01: CURVE clients */
	int zap_fd;
	struct broker_key *keys;
	size_t nkeys;
	uint64_t keys_scanned_ns;
	uint8_t last_refused_key[32];
	uint64_t last_refused_log_ns;
	struct perm_table perms;
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

/* ---- across machines (broker_net.c) ----------------------------------------------- */
/* After the ipc bind: the ZAP handler, CURVE on the router, the tcp binds,
 * RUN_DIR/broker.endpoints; and the permissions. Returns 0 or -errno (logged). */
int broker_net_open(struct broker *b);
void broker_net_close(struct broker *b);
/* Answers the ZAP requests waiting (one per CURVE handshake). */
void broker_on_zap(struct broker *b);
/* The actor name bound to the CURVE key of the connection msg came on, or
 * NULL for ipc (no key). */
const char *broker_key_name(zmq_msg_t *msg);
/* Whether the holder of a live name is still there: its heartbeat for a
 * remote actor, its pid for a local one. */
bool broker_holder_alive(const struct actor *a);

/* ---- control messages (broker_control.c) ------------------------------------------ */
/* Handles an envelope addressed to "broker". from is NULL for a connection
 * that has not registered. */
void broker_control(struct broker *b, struct actor *from, const uint8_t *rid, size_t rid_len,
		    zmq_msg_t *env);
/* Registers a connection that sends without a Hello (the broker restarted
 * under it) from the name in its routing id. NULL when it cannot. */
struct actor *broker_adopt(struct broker *b, const uint8_t *rid, size_t rid_len,
			   zmq_msg_t *msg);
void broker_notice(struct broker *b, Hive__Notice__Kind kind, const struct actor *a,
		   const char *detail);

#endif
