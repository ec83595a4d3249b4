/* hive-demo: two whole graphs on one virtual radio (or two real
 * controllers), driven from one program. demo_proc.c starts and stops the
 * processes and counts the messages on each broker's tap; hive-demo.c
 * drives the steps through the runtime as an ephemeral app of each graph. */
#ifndef HIVE_DEMO_H
#define HIVE_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hive.h"

#define DEMO_NAME "hive-demo"
#define DEMO_PATH_MAX 4096
#define DEMO_PIPES_MAX 64

/* A child process whose stdout we read until it says "ready". */
struct demo_proc {
	pid_t pid;
	int out_fd; /* read end of its stdout; kept open until it is stopped */
	char what[64];
	char log[DEMO_PATH_MAX]; /* its stderr */
};

/* Messages seen on one broker's tap, per pipe (both directions). */
struct demo_pipe {
	char a[65], b[65]; /* a < b */
	uint64_t n;
};

struct demo_tap {
	void *zctx;
	void *sub;
	struct demo_pipe pipes[DEMO_PIPES_MAX];
	size_t npipes;
	uint64_t total;
};

/* Starts argv[0] (a path) with stdout on a pipe and stderr in log; cwd
 * NULL: ours. Returns 0 or -errno (reported). */
int demo_proc_start(struct demo_proc *p, const char *what, char *const argv[], const char *cwd,
		    const char *log);
/* Reads p's stdout until a line equal to "ready" (others are kept in
 * lines, when not NULL), for at most timeout_ms. Returns 0, -ETIMEDOUT,
 * or -EPIPE when p ended first (reported, with the tail of its log). */
int demo_proc_wait_ready(struct demo_proc *p, int timeout_ms, char *lines, size_t cap);
/* SIGTERM, then SIGKILL after timeout_ms; reaps. Idempotent. Returns the
 * wait status, or -1 when it had to be killed or was not running. */
int demo_proc_stop(struct demo_proc *p, int timeout_ms);

/* Subscribes to everything on ipc://RUN_DIR/tap. Returns 0 or -errno. */
int demo_tap_open(struct demo_tap *t, const char *run_dir);
/* Counts what waits on the tap without blocking. */
void demo_tap_drain(struct demo_tap *t);
void demo_tap_close(struct demo_tap *t);
/* The count of pipe a<->b (0 when never seen). */
uint64_t demo_tap_count(const struct demo_tap *t, const char *a, const char *b);

/* Removes a directory tree (best effort). */
void demo_rmtree(const char *dir);

/* ---- the demo's state ------------------------------------------------------------- */

#define STEPS 9
#define DEVICE_NAME "hive-heart"
#define NOTIFICATIONS 5
#define READY_TIMEOUT_MS 20000
#define STEP_TIMEOUT_MS 15000
#define HR_PERIOD_MS 200

struct side {
	const char *label;
	char run_dir[DEMO_PATH_MAX];
	char transport[DEMO_PATH_MAX];
	struct demo_proc launch;
	struct demo_tap tap;
	struct hive_actor *a;
	/* the host's link events */
	bool connected, encrypted, disconnected;
	uint32_t handle, key_size, reason;
	/* smp prompts */
	bool prompted;
	uint32_t number;
	/* the broker's status */
	bool status_in;
	uint32_t tap_subscriptions;
	uint64_t routed;
};

struct demo {
	struct side p, c;
	struct demo_proc vctrl;
	char work[1024]; /* short: sockets live in it */
	char bin[DEMO_PATH_MAX];
	char root[DEMO_PATH_MAX];
	bool keep;
	uint64_t next_id;
	int step;
	/* the one request waiting for its Result */
	uint64_t call_id;
	bool call_done;
	Hive__Result *result;
	/* scanning */
	uint64_t scan_id;
	bool found, scan_ended;
	uint32_t peer_type;
	uint8_t peer[6];
	int rssi;
	/* heart rate */
	uint32_t hrm;
	int timer;
	int hr_sent, hr_got;
	uint8_t hr_last;
	uint64_t notify_failures;
};


/* ---- hive-demo.c: the app side ------------------------------------------------------- */

/* Reports a failed step on stderr; returns -1. */
int demo_fail(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "[N/STEPS] ..." (one progress line). */
void demo_step(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void demo_addr_text(const uint8_t b[6], char out[18]);
uint16_t demo_uuid16(const ProtobufCBinaryData *u);
/* One turn of both graphs' loops and taps; -1 once stopped. */
int demo_pump(struct demo *d);
/* Pumps until *flag or timeout_ms; 0 or -1 (reported). */
int demo_wait_for(struct demo *d, const bool *flag, int timeout_ms, const char *what);
/* Sends req (its id set here) to dest of side s. */
int demo_send_request(struct demo *d, struct side *s, const char *dest, Hive__Request *req);
/* Sends req and waits for its Result, kept in d->result; 0 only for status 0. */
int demo_call(struct demo *d, struct side *s, const char *dest, Hive__Request *req,
	      const char *what);
/* A GattRequest to the central's gatt on the demo's connection. */
int demo_gatt_call(struct demo *d, Hive__GattRequest *gr, const char *what);
int demo_broker_status(struct demo *d, struct side *s);
int demo_find_root(struct demo *d);
/* Starts hive-vctrl for the sides without a transport; returns how many
 * controllers it serves, or -1. */
int demo_start_vctrl(struct demo *d);
int demo_start_graph(struct demo *d, struct side *s);
/* Joins a graph's broker as the ephemeral app "demo", attaches to its tap
 * and subscribes to link events and smp prompts. */
int demo_join_graph(struct demo *d, struct side *s);

/* ---- demo_steps.c ------------------------------------------------------------------ */

/* Every step in order, then the trace summary. 0 or -1 (reported). */
int demo_run_steps(struct demo *d);

/* The Result handler every joined graph gets (demo_app.c). */
void demo_on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg);

#endif
