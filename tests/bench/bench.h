/* hive-bench: one-way latency and streaming rate of a message between two
 * processes, through the hive broker and through what it is compared with
 * (the floor: a raw unix socket pair; the references: a poll() router over
 * raw sockets, a direct ZeroMQ pipe, a naive ZeroMQ ROUTER loop), and the
 * RSS of the broker and of an idle actor. Every figure is measured in one
 * run on this machine; each path is measured next to its floor.
 *
 * The parent process only orchestrates: it forks the two ends of a path
 * (and execs hive-broker), blocks until they finish and prints JSON. The
 * children write their samples into one shared anonymous mapping. */
#ifndef HIVE_BENCH_H
#define HIVE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_MAX_SAMPLES 200000
#define BENCH_MAX_PROCS 8
#define BENCH_MAX_SIZE 65536
/* Streaming with a credit window: the receiver returns a credit every
 * BENCH_CREDIT_EVERY messages and the sender keeps at most BENCH_WINDOW
 * unacknowledged, so the broker's bounded queue never overflows. */
#define BENCH_WINDOW 8192
#define BENCH_CREDIT_EVERY 1024
#define BENCH_STEP_TIMEOUT_MS 60000

/* Written by the children, read by the parent once they are done. */
struct bench_shared {
	uint64_t rtt_ns[BENCH_MAX_SAMPLES];
	uint64_t nsamples;          /* round trips recorded (after warm-up) */
	uint64_t stream_count;      /* messages counted by the receiver */
	uint64_t stream_first_ns;   /* receiver's clock at the first one */
	uint64_t stream_last_ns;    /* and at the last one */
	uint64_t drops;             /* messages the path refused (Undeliverable) */
	char error[256];            /* set by a child that failed */
};

/* What to measure. */
struct bench_params {
	size_t size;        /* payload bytes */
	unsigned warmup;    /* round trips before the measured ones */
	unsigned samples;   /* measured round trips */
	unsigned stream;    /* messages streamed */
	/* CPU of each process of the path, -1: wherever the scheduler puts it. */
	int cpu_driver, cpu_responder, cpu_middle; /* middle: broker or router */
	bool loop_driven;   /* hive: send the next ping from the loop, not the handler */
};

struct bench_result {
	bool ok;
	double p50_us, p99_us;   /* one way: round trip / 2 */
	double msgs_per_s;
	uint64_t samples;
	uint64_t drops;
	double elapsed_s;
	char error[256];
};

/* The orchestrating process. */
struct bench {
	const char *tmp;          /* private directory for run dirs (mode 0700) */
	const char *broker_bin;   /* hive-broker */
	const char *self_exe;     /* this program, for exec'd roles */
	struct bench_shared *sh;  /* shared with the children */
	pid_t procs[BENCH_MAX_PROCS];
	int nprocs;
	unsigned run_serial;      /* names run dirs */
	long broker_loaded_rss_kib; /* the last hive broker, after its run */
	long broker_loaded_hwm_kib;
};

/* ---- processes (bench_proc.c) ------------------------------------------------ */

/* Set by SIGINT/SIGTERM/SIGHUP in the parent. */
bool bench_interrupted(void);
void bench_signals_install(void);

/* Forks a child that dies with the parent, pinned to cpu unless it is -1.
 * *ready_fd receives (in the parent) the read end of a pipe whose write end
 * the child gets in *ready_fd: the child writes one byte when ready, and the
 * pipe reaches EOF when it exits. Returns the pid in the parent, 0 in the
 * child, -errno on failure. */
pid_t bench_fork(struct bench *b, int cpu, int *ready_fd);
/* Child side: says it is ready. */
void bench_child_ready(int fd);
/* Waits for the ready byte (1), EOF (0: the child ended first) or the
 * timeout (-ETIMEDOUT); -EINTR when interrupted. */
int bench_wait_ready(int fd, int timeout_ms);
/* Waits until the child's pipe reaches EOF, then reaps it. Returns its wait
 * status, -ETIMEDOUT or -EINTR. Closes fd. */
int bench_wait_exit(struct bench *b, pid_t pid, int fd, int timeout_ms);
/* Starts hive-broker on run_dir and waits for its socket. */
pid_t bench_spawn_broker(struct bench *b, const char *run_dir, int cpu);
/* Starts this program again with argv (exec'd, so its RSS is its own); the
 * write end of the ready pipe is fd 3 in the child. */
pid_t bench_spawn_self(struct bench *b, char *const argv[], int *ready_fd);
/* Ends and reaps every child still running: SIGTERM (a broker exits
 * cleanly, and a profiler under it writes its data), SIGKILL after 5 s. */
void bench_kill_all(struct bench *b);
/* A fresh run directory under b->tmp (mode 0700); path into buf. */
int bench_run_dir(struct bench *b, char *buf, size_t cap, const char *what);
/* rm -r of a directory this program made. */
void bench_remove_tree(const char *dir);
/* A "Name:   N kB" field of /proc/PID/FILE (status, smaps_rollup), in KiB;
 * -1 when absent. */
long bench_proc_kib(pid_t pid, const char *file, const char *field);
void bench_pin_self(int cpu);
/* One end of a path, run in a forked child: ready_fd gets one byte once it
 * serves (bench_child_ready), and the child exits when the function returns
 * (non-negative: success). */
typedef int (*bench_role_fn)(void *ctx, const struct bench_params *p, struct bench_shared *sh,
			     int ready_fd);
/* Forks the responder, waits until it is ready, forks the driver, waits for
 * both to finish and fills r from the shared samples. The caller kills what
 * else it started (broker, router). Returns 0 or -errno (r->error says). */
int bench_pair(struct bench *b, const struct bench_params *p, bench_role_fn responder,
	       bench_role_fn driver, void *ctx, struct bench_result *r);
/* Fails the measurement from a child: the message goes to the parent. */
void bench_child_fail(struct bench_shared *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- statistics and output (hive_bench.c) -------------------------------------- */

/* Fills p50/p99 (one way, us) from the shared round trips. */
void bench_latency(const struct bench_shared *sh, struct bench_result *r);
void bench_rate(const struct bench_shared *sh, struct bench_result *r);

/* ---- the paths ------------------------------------------------------------------ */

/* A unix SOCK_STREAM socket pair between two forked processes. */
int bench_floor(struct bench *b, const struct bench_params *p, struct bench_result *r);
/* Two SOCK_SEQPACKET pairs through a poll() loop that routes by a header
 * byte: a broker without ZeroMQ. */
int bench_raw_router(struct bench *b, const struct bench_params *p, struct bench_result *r);
/* Two ZeroMQ PAIR sockets over ipc://, no broker. */
int bench_zmq_pipe(struct bench *b, const struct bench_params *p, struct bench_result *r);
/* Two DEALERs through a ROUTER process that forwards [dest][payload]. */
int bench_naive_router(struct bench *b, const struct bench_params *p, struct bench_result *r);
/* Two runtime actors through a real hive-broker. */
int bench_hive(struct bench *b, const struct bench_params *p, struct bench_result *r);
/* Broker and idle-actor RSS, KiB: fields of /proc/PID/status. */
struct bench_rss {
	long broker_rss, broker_hwm, broker_anon, broker_file, broker_pss;
	long actor_rss, actor_hwm, actor_anon, actor_file, actor_pss;
};
int bench_rss(struct bench *b, struct bench_rss *out);
/* The exec'd idle actor: registers on run_dir, says ready on fd, serves. */
int bench_idle_actor_main(const char *run_dir, int ready_fd);
/* In-process cost of packing and unpacking a Ping envelope, ns. */
void bench_codec(size_t size, double *pack_ns, double *unpack_ns, size_t *packed_len);

#endif
