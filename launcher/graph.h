/* The launcher's graph file: which actors to run, how, and how to supervise
 * them. Pure: JSON text in, a validated struct graph out; no processes, no
 * files other than the one asked for.
 *
 *   {"name": "default",
 *    "supervision": {"max_restarts": 5, "period_s": 10},
 *    "broker": {"queue_messages": 10000, "queue_bytes": 16777216,
 *               "max_frame": 65536},
 *    "actors": [{"name": "echo", "program": "hive-echo", "args": [],
 *                "env": {"K": "V"}, "restart": "permanent",
 *                "ready_timeout_ms": 10000, "cpu": 0, "where": "local"}],
 *    "permissions": {"gatt": {"may_send_to": ["l2cap", "apps"],
 *                             "kinds": ["pdu", "result"], "replace": true}}}
 *
 * Only "actors" and each actor's "name" and "program" are required; a
 * "where": "remote" actor is started by hand on another host (and only
 * expected to register), so it needs no program. Unknown keys are errors,
 * so a misspelt option is never silently ignored. "permissions" is checked
 * here and handed to the broker as it is (broker/broker_perm.h).
 */
#ifndef HIVE_LAUNCHER_GRAPH_H
#define HIVE_LAUNCHER_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRAPH_MAX_ACTORS 256
#define GRAPH_MAX_ARGS 256
#define GRAPH_MAX_RESTARTS 1000
#define GRAPH_MAX_PERIOD_S 86400
#define GRAPH_MAX_READY_TIMEOUT_MS 3600000
#define GRAPH_DEFAULT_MAX_RESTARTS 5
#define GRAPH_DEFAULT_PERIOD_S 10
#define GRAPH_DEFAULT_READY_TIMEOUT_MS 10000
/* Room for the longest error message graph_parse() writes. */
#define GRAPH_ERR_MAX 1024

/* OTP's restart types. */
enum graph_restart {
	GRAPH_RESTART_PERMANENT = 0, /* always restarted */
	GRAPH_RESTART_TRANSIENT,     /* restarted unless it exited with status 0 */
	GRAPH_RESTART_TEMPORARY,     /* never restarted */
};

struct graph_env {
	char *key;
	char *value;
};

struct graph_actor {
	char *name;
	char *program;
	char **args;
	size_t nargs;
	struct graph_env *env;
	size_t nenv;
	enum graph_restart restart;
	uint64_t ready_timeout_ms;
	int cpu; /* -1: not pinned */
	bool remote; /* "where": "remote": not started, only expected to register */
};

struct graph {
	char *name;
	unsigned max_restarts;
	unsigned period_s;
	/* Broker options; 0: not given (the broker's own default). */
	uint64_t queue_messages;
	uint64_t queue_bytes;
	uint64_t max_frame;
	struct graph_actor *actors;
	size_t nactors;
	/* The "permissions" section as JSON text, validated; NULL when absent. */
	char *permissions_json;
};

/* Parses and validates len bytes of JSON. source names the text in error
 * messages (the file path). Returns 0 and a new graph in *out (free it with
 * graph_destroy), or -EINVAL with a message in err naming the source, the
 * line and column when the JSON itself is bad, and the offending key, or
 * -ENOMEM. */
int graph_parse(const void *text, size_t len, const char *source, struct graph **out,
		char *err, size_t err_cap);

/* Reads path and parses it as graph_parse() does; -errno with a message when
 * the file cannot be read. */
int graph_load(const char *path, struct graph **out, char *err, size_t err_cap);

/* Idempotent; nulls the caller's pointer. */
void graph_destroy(struct graph **self_p);

/* The actor of that name, or NULL. */
const struct graph_actor *graph_find(const struct graph *g, const char *name);

const char *graph_restart_name(enum graph_restart r);

#endif
