/* A watcher on a graph's broker that subscribes to its host's link events
 * (test_stack_e2e.c, test_swap_python.c): what the graph's links did,
 * whoever drove them. */
#ifndef LINK_WATCH_UTIL_H
#define LINK_WATCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"

struct link_watch {
	bool subscribed;
	bool connected;
	bool encrypted;
	bool disconnected;
	uint32_t handle;
};

/* Joins the graph of run_dir as the actor `name`, subscribes to its host's
 * link events into w and waits for the subscription (asserted). */
struct hive_actor *link_watcher(const char *run_dir, const char *name, struct link_watch *w);

#endif
