/* Test harness: private run directories, hive programs started as real
 * processes, waiting on events with deadlines (never fixed sleeps), and
 * cleanup of everything a test made. */
#ifndef HIVE_TEST_HARNESS_H
#define HIVE_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hive.h"

/* How many times slower than usual the hive programs run: HIVE_TEST_SLOW
 * (an integer, default 1; make valgrind sets it). Deadlines scale by it. */
int th_slow(void);

/* Generous deadline for anything a loaded 2-core machine must do. */
#define TH_DEADLINE_MS (10000 * th_slow())

/* A fresh private run directory (mode 0700) under $TMPDIR or /tmp; the path
 * is malloc'd. th_cleanup() removes it. */
char *th_run_dir(void);

/* Path of a hive program: $HIVE_BIN_DIR/NAME, else build/bin/NAME. Written
 * into a static-free caller buffer. */
const char *th_bin(char *buf, size_t cap, const char *name);

/* Starts a process (argv[0] is a hive program name resolved with th_bin,
 * or an absolute path). stdout and stderr go to the given files when not
 * NULL (stderr otherwise inherits). The child dies with the test process.
 * Returns the pid, or -1. The pid is remembered for th_cleanup().
 * With HIVE_VALGRIND=DIR a hive program (given by name) runs under
 * valgrind memcheck, its children too, each logging to DIR/PID.vg. */
pid_t th_spawn(const char *const argv[], const char *stdout_path, const char *stderr_path);

/* Waits for pid to end. Returns its wait status, or -1 on timeout. */
int th_wait_exit(pid_t pid, int timeout_ms);

/* Sends sig and reaps. */
void th_kill(pid_t pid, int sig);

/* True while pid exists (not a zombie of ours: it is reaped when it ended). */
bool th_alive(pid_t pid);

/* Starts hive-broker on run_dir with extra arguments (NULL-terminated list)
 * and waits until it answers a registration. Returns the pid or -1. */
pid_t th_start_broker(const char *run_dir, const char *const extra[]);

/* th_start_broker with the broker's stderr in stderr_path (NULL: inherit). */
pid_t th_start_broker_log(const char *run_dir, const char *const extra[],
			  const char *stderr_path);

/* A registered in-process actor on run_dir, or NULL (the test fails). */
struct hive_actor *th_actor(const char *run_dir, const char *name);

/* Runs a's loop until *flag becomes true or the deadline passes. Returns
 * whether the flag was set. */
bool th_run_until(struct hive_actor *a, const bool *flag, int timeout_ms);
/* Same for a counter reaching a value. */
bool th_run_until_count(struct hive_actor *a, const uint64_t *count, uint64_t want,
			int timeout_ms);

/* Waits until path's contents contain needle. */
bool th_file_contains(const char *path, const char *needle, int timeout_ms);

/* Sends a Status request to the broker from a and waits for the answer;
 * returns the unpacked Status (free with hive__status__free_unpacked) or
 * NULL. */
Hive__Status *th_status(struct hive_actor *a, int timeout_ms);
/* The entry of one actor in a Status, or NULL. */
const Hive__ActorStatus *th_status_find(const Hive__Status *s, const char *name);

/* A copy of r the caller owns (free with hive__result__free_unpacked), or
 * NULL: a handler keeps it past the envelope, which belongs to the runtime. */
Hive__Result *th_result_copy(const Hive__Result *r);

/* Kills every process th_spawn started (SIGKILL, reaped) and removes every
 * run directory th_run_dir made. Register it as the suite's fini. */
void th_cleanup(void);

/* Reads a whole file (malloc'd, NUL-terminated) or NULL. */
char *th_slurp(const char *path, size_t *len);

#endif
