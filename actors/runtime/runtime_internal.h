/* The runtime's own view of an actor; not for actors to include. */
#ifndef HIVE_RUNTIME_INTERNAL_H
#define HIVE_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>

#include <zmq.h>

#include "arena.h"
#include "hive.h"

#define HANDLER_SLOTS 128  /* body case numbers are below this */
#define RECV_BATCH 256     /* messages per loop turn before fds and timers */
#define ACTOR_HWM 100000
/* A standalone Ack goes out after this many unacknowledged messages or this
 * long after the first; most acknowledgements ride on outgoing messages. */
#define ACK_BATCH 128
#define ACK_DELAY_NS (2ull * 1000000ull)


struct timer {
	int id;
	uint64_t due_ns;
	uint64_t period_ns;
	hive_timer_fn fn;
	void *arg;
};

struct fd_watch {
	int fd;
	short events;
	hive_fd_fn fn;
	void *arg;
};

struct handler {
	hive_msg_fn fn;
	void *arg;
};

struct setting {
	char *key;
	char *value;
};

struct hive_actor {
	char name[HIVE_NAME_MAX + 1];
	char endpoint[4200];
	void *zctx;
	void *sock;
	void *monitor;      /* connection events of sock */
	bool broker_lost;   /* disconnected since the last Welcome */
	bool ready_sent;
	struct hive_actor_config cfg; /* for registering again */
	size_t frame_max;
	uint8_t *txbuf;
	struct arena arena;

	uint64_t seq;       /* last Envelope.seq sent */
	uint64_t received;  /* routed messages consumed since Welcome */
	uint64_t acked;     /* last count told to the broker */

	bool restarted;
	uint32_t incarnation;
	uint8_t *snapshot;
	size_t snapshot_len;
	bool stop;

	struct handler handlers[HANDLER_SLOTS];
	uint64_t unhandled;

	struct timer *timers;
	size_t ntimers, captimers;
	int next_timer_id;

	struct fd_watch *fds;
	size_t nfds, capfds;
	struct pollfd *pfds;  /* the broker socket's fd, the monitor's, then fds */
	size_t cappfds;
	int sock_fd;          /* ZMQ_FD of sock: edge-triggered, see loop.c */
	int monitor_fd;
	uint64_t ack_due_ns;  /* when a pending count must be sent; 0: none */
	uint64_t heartbeat_ns;  /* send a Heartbeat after this long idle; 0: never */
	uint64_t last_send_ns;  /* when we last sent anything to the broker */
	bool auth_refused_logged; /* the broker's refusal of our key was logged */

	struct setting *settings;
	size_t nsettings;
};

/* runtime.c */
int runtime_say_hello(struct hive_actor *a, const struct hive_actor_config *cfg);
int runtime_send_ack(struct hive_actor *a);
/* Receives one [source][envelope] message without waiting: 1 when one was
 * taken (*out NULL when it was malformed), 0 when none waited, -errno. */
int runtime_recv_one(struct hive_actor *a, Hive__Envelope **out, char *source, size_t cap);
void runtime_dispatch(struct hive_actor *a, const char *source, const Hive__Envelope *env);
/* Reads the events waiting on the connection monitor. Returns -EACCES when
 * the broker refused our CURVE key (logged once), else 0. */
int runtime_monitor_events(struct hive_actor *a);
int runtime_send_heartbeat(struct hive_actor *a);

#endif
