/* The actor runtime: what every hive process links to talk to the broker.
 *
 * An actor connects to the broker, registers by name, says it is ready, then
 * runs a poll loop that dispatches envelopes by body case, fires timers and
 * serves extra file descriptors. Sending names only the destination actor;
 * how the message travels is the runtime's business.
 *
 *     struct hive_actor *a;
 *     if (hive_actor_from_args(&a, argc, argv, "gatt", NULL) < 0) return 1;
 *     hive_on(a, HIVE__ENVELOPE__BODY_PDU, on_pdu, self);
 *     hive_actor_ready(a);
 *     return hive_run(a) < 0;
 *
 * Unpacked envelopes handed to handlers belong to the runtime and live until
 * the handler returns.
 */
#ifndef HIVE_H
#define HIVE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive.pb-c.h"

/* Names: 1..64 characters of [A-Za-z0-9_.-]. */
#define HIVE_NAME_MAX 64
/* Largest envelope the runtime sends or accepts by default. */
#define HIVE_FRAME_MAX_DEFAULT 65536
#define HIVE_REGISTER_TIMEOUT_MS 5000
/* An actor on tcp says it is alive this often when idle; the broker declares
 * it down after 2.5 intervals of silence (within 3 s of a cut cable). */
#define HIVE_HEARTBEAT_MS 1000
/* ZMTP heartbeats on tcp sockets (both ends): ping interval, and how long a
 * connection may be silent before ZeroMQ closes it. */
#define HIVE_ZMTP_HEARTBEAT_IVL_MS 1000
#define HIVE_ZMTP_HEARTBEAT_TIMEOUT_MS 3000
/* A CURVE key as Z85 text. */
#define HIVE_KEY_Z85_LEN 40

enum hive_log_level {
	HIVE_LOG_ERROR = 0,
	HIVE_LOG_WARN = 1,
	HIVE_LOG_INFO = 2,
	HIVE_LOG_DEBUG = 3,
	HIVE_LOG_TRACE = 4,
};

struct hive_actor;

struct hive_actor_config {
	const char *name;     /* registration name (required) */
	const char *run_dir;  /* NULL: hive_default_run_dir() */
	const char *endpoint; /* NULL: ipc://RUN_DIR/broker */
	bool replace;         /* take the name from a live holder */
	size_t frame_max;     /* 0: HIVE_FRAME_MAX_DEFAULT */
	bool ephemeral;       /* a tool: forgotten when it goes, nothing queued */
	int register_timeout_ms; /* 0: HIVE_REGISTER_TIMEOUT_MS */
	/* tcp:// endpoints only (every tcp endpoint is CURVE-encrypted): the
	 * keys directory holding broker.pub and actors/NAME.key. */
	const char *keys_dir;
	/* Send a Heartbeat after this long without sending; 0: the default
	 * (HIVE_HEARTBEAT_MS on tcp, none on ipc), < 0: never. */
	int heartbeat_ms;
};

/* ---- life cycle ---------------------------------------------------------- */

/* Creates an actor and registers it with the broker, waiting up to
 * register_timeout_ms for the Welcome. Returns 0, -ETIMEDOUT when no
 * broker answered, -ECANCELED when SIGINT/SIGTERM came first, -EEXIST when the name is held by a live actor (and
 * replace was not asked), -EINVAL for a bad name, -EACCES when a tcp
 * broker refused our CURVE key, or another -errno. The error has been
 * logged in words. */
int hive_actor_new(struct hive_actor **out, const struct hive_actor_config *cfg);

/* Parses the options every actor takes, creates and registers the actor:
 *   --name NAME  --run-dir DIR  --broker ENDPOINT  --replace  --keys DIR
 *   --log-level error|warn|info|debug|trace  --set KEY=VALUE (repeatable)
 * Options it does not know are left for the program in argv[*argc_rest..];
 * pass NULL for argc_rest to reject them. default_name is used without
 * --name. */
int hive_actor_from_args(struct hive_actor **out, int argc, char **argv,
			 const char *default_name, int *argc_rest);

/* Matches argv[*i] against "--opt VALUE" or "--opt=VALUE": returns the value
 * and advances *i past what it used; NULL when argv[*i] is not this option,
 * or when its value is missing, which sets *missing. */
const char *hive_opt_value(int argc, char **argv, int *i, const char *opt, bool *missing);

/* Idempotent; nulls the caller's pointer. Says goodbye to nothing: a clean
 * exit looks to the broker like any other, and the launcher reports it. */
void hive_actor_destroy(struct hive_actor **self_p);

/* Tells the broker (and so the launcher) that this actor is serving. */
int hive_actor_ready(struct hive_actor *a);

const char *hive_actor_name(const struct hive_actor *a);
/* The value given with --set KEY=VALUE, or NULL. */
const char *hive_config(const struct hive_actor *a, const char *key);
/* --set KEY=VALUE as an unsigned number; def when absent; -EINVAL in *err
 * (and def returned) when present but not a number. */
uint64_t hive_config_u64(const struct hive_actor *a, const char *key, uint64_t def,
			 int *err);
/* True when this registration is a restart of the name. */
bool hive_actor_restarted(const struct hive_actor *a);
/* The snapshot the broker returned at registration, or NULL. */
const uint8_t *hive_actor_snapshot(const struct hive_actor *a, size_t *len);
/* Hands the broker a new state snapshot (copied). */
int hive_snapshot_save(struct hive_actor *a, const void *data, size_t len);

/* ---- messages ------------------------------------------------------------ */

typedef void (*hive_msg_fn)(struct hive_actor *a, const char *source,
			    const Hive__Envelope *env, void *arg);

/* Sets the handler of one body case (replacing any earlier one). Envelopes
 * with no handler are logged at debug level and counted. */
void hive_on(struct hive_actor *a, Hive__Envelope__BodyCase body, hive_msg_fn fn,
	     void *arg);

/* Sends env to the named actor. Fills env->seq and env->sent_ns. Returns 0,
 * -EMSGSIZE when the packed envelope exceeds frame_max, -EAGAIN when the
 * pipe to the broker is full (back-pressure: try again later), -EINVAL for a
 * bad name, or another -errno. env is not consumed. */
int hive_send(struct hive_actor *a, const char *dest, Hive__Envelope *env);

/* ---- the loop ------------------------------------------------------------ */

typedef void (*hive_timer_fn)(struct hive_actor *a, void *arg);
typedef void (*hive_fd_fn)(struct hive_actor *a, int fd, short revents, void *arg);

/* Starts a timer that fires after delay_ms and then every period_ms (0: once).
 * Returns an id > 0, or -ENOMEM. A fired one-shot timer is gone. */
int hive_timer_start(struct hive_actor *a, uint64_t delay_ms, uint64_t period_ms,
		     hive_timer_fn fn, void *arg);
/* Cancels a timer; unknown ids are ignored. Safe inside any callback. */
void hive_timer_cancel(struct hive_actor *a, int id);

/* Watches fd in the loop for poll(2) events (POLLIN, POLLOUT); the callback
 * gets poll's revents (POLLERR, POLLHUP, POLLNVAL included). Returns 0,
 * -EEXIST, -ENOMEM. */
int hive_fd_watch(struct hive_actor *a, int fd, short events, hive_fd_fn fn, void *arg);
int hive_fd_unwatch(struct hive_actor *a, int fd);

/* Runs until hive_actor_stop(), a Stop message, SIGINT or SIGTERM. Returns 0
 * on a clean stop, -errno on failure. */
int hive_run(struct hive_actor *a);
/* One loop iteration, waiting at most timeout_ms (-1: forever). Returns 1
 * when it did something, 0 on timeout, -ECANCELED once stopped, -errno. */
int hive_run_once(struct hive_actor *a, int timeout_ms);
void hive_actor_stop(struct hive_actor *a);
/* For a program that waits on several actors (or other fds) itself: a file
 * descriptor that becomes readable when messages may wait, and whether some
 * do now. Ask hive_actor_pending() before sleeping on the fd (it is
 * edge-triggered), then serve with hive_run_once(a, 0). */
int hive_actor_fd(const struct hive_actor *a);
bool hive_actor_pending(const struct hive_actor *a);
bool hive_actor_stopping(const struct hive_actor *a);

/* Installs SIGINT/SIGTERM handlers that stop every loop of this process. */
void hive_signals_install(void);
/* True once SIGINT or SIGTERM arrived (after hive_signals_install). */
bool hive_signal_received(void);

/* ---- utilities ------------------------------------------------------------ */

uint64_t hive_now_ns(void);
/* $HIVE_RUN_DIR, else $XDG_RUNTIME_DIR/hive, else /tmp/hive-UID. Static
 * storage per call site is not used: the result is written to buf. */
const char *hive_default_run_dir(char *buf, size_t cap);
/* Creates dir (and parents) with mode 0700 and checks that it is a directory
 * owned by us and not accessible by others. Returns 0 or -errno (logged). */
int hive_run_dir_prepare(const char *dir);
bool hive_name_valid(const char *name);
/* The value of a hex digit, or -1. */
int hive_hexval(char c);
/* Loops poll() a ZeroMQ socket's ZMQ_FD rather than zmq_poll (fewer system
 * calls per message). That fd only says "look again": whether a message
 * waits is this, which must be asked before sleeping and after draining. */
bool hive_zsock_readable(void *sock);

/* Logging to stderr: "name +12.345678 LEVEL message". The level comes from
 * --log-level or $HIVE_LOG (error, warn, info, debug, trace); default info. */
void hive_log(const struct hive_actor *a, enum hive_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hive_vlog(const char *name, enum hive_log_level lvl, const char *fmt, va_list ap);
/* Same format for programs without an actor (broker, launcher, tools). */
void hive_logf(const char *name, enum hive_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
enum hive_log_level hive_log_threshold(void);
void hive_log_set_threshold(enum hive_log_level lvl);
int hive_log_level_parse(const char *s, enum hive_log_level *out);

#define HLOG_ERROR(a, ...) hive_log((a), HIVE_LOG_ERROR, __VA_ARGS__)
#define HLOG_WARN(a, ...) hive_log((a), HIVE_LOG_WARN, __VA_ARGS__)
#define HLOG_INFO(a, ...) hive_log((a), HIVE_LOG_INFO, __VA_ARGS__)
#define HLOG_DEBUG(a, ...)                                              \
	do {                                                            \
		if (hive_log_threshold() >= HIVE_LOG_DEBUG)             \
			hive_log((a), HIVE_LOG_DEBUG, __VA_ARGS__);     \
	} while (0)

/* ---- across machines (keys.c) -------------------------------------------- */

/* True for "tcp://..." endpoints (which hive always runs with CURVE). */
bool hive_endpoint_is_tcp(const char *endpoint);
/* 0 when libzmq has CURVE; otherwise -ENOTSUP, logged in words as who. */
int hive_curve_check(const char *who);
/* The key file of name ("broker" or an actor) in dir: DIR/broker.key|pub or
 * DIR/actors/NAME.key|pub. */
void hive_key_path(char *buf, size_t cap, const char *dir, const char *name, bool secret);
/* Reads a key file (comment lines '#', then 40 Z85 characters) into z85.
 * A secret key readable by group or others is refused. Returns 0 or -errno
 * (logged). */
int hive_key_load(const char *path, char z85[HIVE_KEY_Z85_LEN + 1], bool secret);
/* Creates dir (0700), dir/actors, the broker's key pair and one pair per
 * name, each only when missing (an existing secret key is read and
 * checked). Returns 0 or -errno (logged). */
int hive_keys_prepare(const char *dir, const char *const names[], size_t n);

/* The envelope body's name ("hci", "ping", ...) for logs and traces. */
const char *hive_body_name(Hive__Envelope__BodyCase c);

#endif
