/* hive-ctl as a script runs it: exit status, text and JSON output. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char *dir;

static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	cr_assert_gt(th_start_broker(dir, NULL), 0);
}

static void teardown(void)
{
	th_cleanup();
	free(dir);
}

TestSuite(ctl, .init = setup, .fini = teardown, .timeout = 60);

/* Runs hive-ctl with a script; returns its exit code and its stdout. */
static int ctl(const char *script, bool json, char **out)
{
	char path[600];
	snprintf(path, sizeof path, "%s/ctl.out", dir);
	const char *argv[] = { "hive-ctl", "--run-dir", dir, "-c", script, json ? "--json" : NULL,
			       NULL };
	pid_t pid = th_spawn(argv, path, NULL);
	cr_assert_gt(pid, 0);
	int status = th_wait_exit(pid, TH_DEADLINE_MS * 3);
	cr_assert_neq(status, -1, "hive-ctl did not finish");
	*out = th_slurp(path, NULL);
	cr_assert_not_null(*out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(ctl, status_lists_actors)
{
	struct hive_actor *a = th_actor(dir, "gatt");
	cr_assert_not_null(a);
	cr_assert_eq(hive_actor_ready(a), 0);
	char *out;
	cr_assert_eq(ctl("status", false, &out), 0);
	cr_assert(strstr(out, "ACTOR") && strstr(out, "gatt"), "%s", out);
	cr_assert(strstr(out, "graph not ready"), "%s", out);
	free(out);

	cr_assert_eq(ctl("status", true, &out), 0);
	json_error_t err;
	json_t *j = json_loads(out, 0, &err);
	cr_assert_not_null(j, "not JSON: %s", out);
	cr_assert(json_is_true(json_object_get(j, "ok")));
	json_t *actors = json_object_get(j, "actors");
	size_t i;
	json_t *v;
	bool found = false;
	json_array_foreach(actors, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "name")), "gatt") == 0) {
			found = true;
			cr_assert(json_is_true(json_object_get(v, "up")));
			cr_assert(json_is_true(json_object_get(v, "ready")));
			cr_assert_eq(json_integer_value(json_object_get(v, "pid")), getpid());
		}
		cr_assert_neq(strncmp(json_string_value(json_object_get(v, "name")), "ctl-", 4), 0,
			      "hive-ctl lists its own connection");
	}
	cr_assert(found);
	json_decref(j);
	free(out);

	/* A tool's connection is forgotten once it has gone. */
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	bool listed = true;
	while (listed && hive_now_ns() < deadline) {
		Hive__Status *st = th_status(a, TH_DEADLINE_MS);
		listed = false;
		for (size_t k = 0; k < st->n_actors; k++)
			listed |= strncmp(st->actors[k]->name, "ctl-", 4) == 0;
		hive__status__free_unpacked(st, NULL);
	}
	cr_assert_not(listed);
	hive_actor_destroy(&a);
}

Test(ctl, exit_status_is_zero_only_when_every_command_succeeds)
{
	char *out;
	cr_assert_eq(ctl("status; help", false, &out), 0);
	free(out);
	cr_assert_eq(ctl("status; no-such-command; status", false, &out), 1);
	cr_assert(strstr(out, "ACTOR"), "the commands after a failure still run");
	free(out);
	cr_assert_eq(ctl("wait-ready --timeout 0.3", false, &out), 1);
	free(out);
	cr_assert_eq(ctl("ping 'bad name'", false, &out), 1);
	free(out);
	cr_assert_eq(ctl("wait-ready --timeout nonsense", true, &out), 1);
	json_t *j = json_loads(out, 0, NULL);
	cr_assert_not_null(j, "%s", out);
	cr_assert(json_is_false(json_object_get(j, "ok")));
	cr_assert(strstr(json_string_value(json_object_get(j, "error")), "--timeout"));
	json_decref(j);
	free(out);
}

Test(ctl, wait_ready_returns_when_the_graph_is_ready)
{
	char path[600];
	snprintf(path, sizeof path, "%s/wait.out", dir);
	const char *argv[] = { "hive-ctl", "--run-dir", dir, "-c", "wait-ready --timeout 20", NULL };
	pid_t pid = th_spawn(argv, path, NULL);
	/* It must be waiting, registered and watching, before the graph is ready:
	 * its connection shows in Status. */
	struct hive_actor *l = th_actor(dir, "launcher");
	cr_assert_not_null(l);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	bool waiting = false;
	char name[32];
	snprintf(name, sizeof name, "ctl-%d", (int)pid);
	while (!waiting && hive_now_ns() < deadline) {
		Hive__Status *st = th_status(l, TH_DEADLINE_MS);
		waiting = th_status_find(st, name) != NULL;
		hive__status__free_unpacked(st, NULL);
	}
	cr_assert(waiting);
	cr_assert(th_alive(pid));
	Hive__GraphReady gr = HIVE__GRAPH_READY__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_GRAPH_READY;
	env.graph_ready = &gr;
	cr_assert_eq(hive_send(l, "broker", &env), 0);
	int status = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	cr_assert(th_file_contains(path, "ready", 1000));

	/* Once ready, wait-ready answers at once. */
	char *out;
	cr_assert_eq(ctl("wait-ready --timeout 5", false, &out), 0);
	free(out);
	hive_actor_destroy(&l);
}

Test(ctl, ping_measures_an_echo)
{
	struct hive_actor *e = th_actor(dir, "echoer");
	cr_assert_not_null(e);
	char path[600];
	snprintf(path, sizeof path, "%s/ping.out", dir);
	const char *argv[] = { "hive-ctl", "--run-dir", dir, "--json", "-c", "ping echoer --count 5",
			       NULL };
	pid_t pid = th_spawn(argv, path, NULL);
	int status = -1;
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	/* Serve the echoes while hive-ctl runs. */
	while (hive_now_ns() < deadline) {
		hive_run_once(e, 5);
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			status = st;
			break;
		}
	}
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char *out = th_slurp(path, NULL);
	json_t *j = json_loads(out, 0, NULL);
	cr_assert_not_null(j, "%s", out);
	cr_assert_eq(json_integer_value(json_object_get(j, "count")), 5);
	cr_assert_gt(json_real_value(json_object_get(j, "avg_us")), 0);
	json_decref(j);
	free(out);
	hive_actor_destroy(&e);
}

Test(ctl, no_graph_is_a_clear_error)
{
	char *empty = th_run_dir();
	char path[600], err[600];
	snprintf(path, sizeof path, "%s/out", empty);
	snprintf(err, sizeof err, "%s/err", empty);
	const char *argv[] = { "hive-ctl", "--run-dir", empty, "-c", "status", NULL };
	pid_t pid = th_spawn(argv, path, err);
	int status = th_wait_exit(pid, TH_DEADLINE_MS * 2);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	cr_assert(th_file_contains(err, "start one with hive-launch", 1000));
	free(empty);
}
