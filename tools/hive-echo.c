/* hive-echo: the smallest actor. It registers, says it is ready and answers
 * Request{echo} (the runtime does that for every actor).
 *
 *   hive-echo [--name NAME] [--run-dir DIR] [--set exit_after_ms=N]
 *             [--set exit_code=C] [--set skip_ready=1]
 *
 * exit_after_ms: leave N ms after being ready, with status exit_code (default
 * 0); tests use it to make an actor that dies by itself. skip_ready=1: never
 * say ready (for tests of the launcher's ready timeout). */
#include <stdbool.h>
#include <stdint.h>

#include "hive.h"

struct echo {
	struct hive_actor *actor;
	int exit_code;
	bool timed_out;
};

static void on_exit_timer(struct hive_actor *a, void *arg)
{
	struct echo *self = arg;
	self->timed_out = true;
	hive_log(a, HIVE_LOG_INFO, "exit_after_ms reached; exiting with status %d",
		 self->exit_code);
	hive_actor_stop(a);
}

int main(int argc, char **argv)
{
	struct echo self = { 0 };
	int err = 0, err2 = 0, err3 = 0;
	int status = 1;

	if (hive_actor_from_args(&self.actor, argc, argv, "echo", NULL) < 0)
		return 1;
	struct hive_actor *a = self.actor;
	uint64_t exit_after = hive_config_u64(a, "exit_after_ms", 0, &err);
	uint64_t code = hive_config_u64(a, "exit_code", 0, &err2);
	uint64_t skip_ready = hive_config_u64(a, "skip_ready", 0, &err3);
	if (err || err2 || err3 || code > 255) {
		hive_log(a, HIVE_LOG_ERROR, "bad settings: exit_after_ms and exit_code (0 to 255) "
			 "are numbers, skip_ready is 0 or 1");
		status = 2;
	} else {
		self.exit_code = (int)code;
		int rc = 0;
		if (hive_config(a, "exit_after_ms"))
			rc = hive_timer_start(a, exit_after, 0, on_exit_timer, &self);
		if (rc >= 0 && !skip_ready)
			rc = hive_actor_ready(a);
		if (rc >= 0)
			rc = hive_run(a);
		status = rc < 0 ? 1 : self.timed_out ? self.exit_code : 0;
	}
	hive_actor_destroy(&self.actor);
	return status;
}
