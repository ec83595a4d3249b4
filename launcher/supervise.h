/* Supervision decisions, pure and testable without processes: the restart
 * policy, exponential backoff, OTP-style restart intensity (more than
 * max_restarts restarts within period: give up), and exit statuses in
 * words. */
#ifndef HIVE_LAUNCHER_SUPERVISE_H
#define HIVE_LAUNCHER_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"

#define BACKOFF_FIRST_MS 20
#define BACKOFF_MAX_MS 2000

/* Delay before the next restart: BACKOFF_FIRST_MS, doubling, capped at
 * BACKOFF_MAX_MS; back to the first after a run that lasted long enough. */
struct backoff {
	unsigned next_ms;
};

void backoff_reset(struct backoff *b);
/* The delay for this restart; the following one will be twice as long. */
unsigned backoff_next(struct backoff *b);

/* The times of the recent restarts of one process. */
struct intensity {
	uint64_t *stamps; /* ascending, at most max + 1 */
	unsigned n;
	unsigned max;
	uint64_t period_ns;
};

/* Returns 0 or -ENOMEM. */
int intensity_init(struct intensity *in, unsigned max_restarts, unsigned period_s);
void intensity_fini(struct intensity *in);
/* Records a restart at now_ns. Returns true when that makes more than
 * max_restarts restarts within the period: the supervisor must give up. */
bool intensity_add(struct intensity *in, uint64_t now_ns);
/* Restarts counted in the period ending at now_ns. */
unsigned intensity_count(const struct intensity *in, uint64_t now_ns);

/* Whether a process that ended with wait status wstatus is restarted. */
bool sup_should_restart(enum graph_restart policy, int wstatus);

/* "exit 3", "signal 9 (Killed)". */
void sup_describe_exit(int wstatus, char *buf, size_t cap);

#endif
