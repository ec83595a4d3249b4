/* hive-launch: one process that starts the broker and the graph's actors,
 * waits for them to be ready, supervises them and stops them.
 *
 * launch_main.c: command line, graph file, run directory and its lock, the
 *                children's command lines.
 * launch_run.c:  the broker, the launcher's own actor, readiness, restarts,
 *                shutdown.
 */
#ifndef HIVE_LAUNCHER_H
#define HIVE_LAUNCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "child.h"
#include "graph.h"
#include "hive.h"

#define LAUNCH_NAME "hive-launch"
#define LAUNCH_STOP_TIMEOUT_MS 5000
#define LAUNCH_SYNC_TIMEOUT_MS 5000
/* How long a ready notice may trail the exit of the actor that sent it. */
#define LAUNCH_READY_GRACE_MS 1000

/* Exit statuses of hive-launch. */
enum {
	LAUNCH_EXIT_OK = 0,       /* stopped by SIGINT, SIGTERM or a Stop message */
	LAUNCH_EXIT_FAILED = 1,   /* bad usage or graph, or the graph did not start */
	LAUNCH_EXIT_GAVE_UP = 2,  /* an actor restarted too often */
};

enum launch_phase {
	LAUNCH_STARTING,
	LAUNCH_RUNNING,
	LAUNCH_STOPPING,
};

struct launcher {
	struct graph *graph;
	char graph_path[4096];
	char run_dir[4096];
	char bin_dir[4096];
	const char *keys_dir;   /* --keys: CURVE keys for tcp; NULL: none */
	struct strv *binds;     /* --bind tcp://...: the broker's tcp endpoints */
	struct strv *tap_binds; /* --tap-bind tcp://...: the tap's tcp endpoints */
	char perm_path[4200];   /* RUN_DIR/permissions.json, handed to the broker */
	pid_t self;
	int lock_fd;
	int sfd; /* signalfd for SIGCHLD, SIGINT and SIGTERM */

	struct hive_actor *hive;
	struct child broker;
	struct child *actors; /* graph order */
	size_t nactors;

	enum launch_phase phase;
	int exit_code;
	bool synced; /* the broker answered our first StatusRequest */
	bool stop_asked; /* SIGINT or SIGTERM: stopping */
	int stop_timer;  /* waiting for the remote actors to stop; 0: not */
	bool remote_stops_sent;
	uint64_t started_ns;
};

/* Starts the broker and the graph, supervises until stopped, stops
 * everything. Returns the exit status for main(). */
int launcher_run(struct launcher *l);

#endif
