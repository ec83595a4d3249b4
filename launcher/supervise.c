/* Supervision decisions: backoff, restart intensity, restart policy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "supervise.h"

void backoff_reset(struct backoff *b)
{
	b->next_ms = BACKOFF_FIRST_MS;
}

unsigned backoff_next(struct backoff *b)
{
	if (b->next_ms < BACKOFF_FIRST_MS)
		b->next_ms = BACKOFF_FIRST_MS;
	unsigned ms = b->next_ms;
	b->next_ms = ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : ms * 2;
	return ms;
}

int intensity_init(struct intensity *in, unsigned max_restarts, unsigned period_s)
{
	in->n = 0;
	in->max = max_restarts;
	in->period_ns = (uint64_t)period_s * 1000000000ull;
	in->stamps = calloc((size_t)max_restarts + 1, sizeof *in->stamps);
	return in->stamps ? 0 : -ENOMEM;
}

void intensity_fini(struct intensity *in)
{
	free(in->stamps);
	in->stamps = NULL;
	in->n = 0;
}

/* Drops the restarts older than the period ending at now_ns. */
static void expire(struct intensity *in, uint64_t now_ns)
{
	unsigned keep = 0;
	while (keep < in->n && now_ns - in->stamps[keep] >= in->period_ns)
		keep++;
	if (keep) {
		memmove(in->stamps, in->stamps + keep, (in->n - keep) * sizeof *in->stamps);
		in->n -= keep;
	}
}

bool intensity_add(struct intensity *in, uint64_t now_ns)
{
	expire(in, now_ns);
	if (in->n == in->max + 1) {
		/* Already past the limit: keep the newest max + 1. */
		memmove(in->stamps, in->stamps + 1, in->max * sizeof *in->stamps);
		in->n--;
	}
	in->stamps[in->n++] = now_ns;
	return in->n > in->max;
}

unsigned intensity_count(const struct intensity *in, uint64_t now_ns)
{
	unsigned n = 0;
	for (unsigned i = 0; i < in->n; i++)
		if (now_ns - in->stamps[i] < in->period_ns)
			n++;
	return n;
}

bool sup_should_restart(enum graph_restart policy, int wstatus)
{
	switch (policy) {
	case GRAPH_RESTART_PERMANENT:
		return true;
	case GRAPH_RESTART_TRANSIENT:
		return !(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
	case GRAPH_RESTART_TEMPORARY:
		return false;
	}
	return false;
}

void sup_describe_exit(int wstatus, char *buf, size_t cap)
{
	if (WIFEXITED(wstatus)) {
		snprintf(buf, cap, "exit %d", WEXITSTATUS(wstatus));
	} else if (WIFSIGNALED(wstatus)) {
		int sig = WTERMSIG(wstatus);
		const char *name = sigdescr_np(sig);
		snprintf(buf, cap, "signal %d (%s)", sig, name ? name : "unknown");
	} else {
		snprintf(buf, cap, "wait status 0x%x", (unsigned)wstatus);
	}
}
