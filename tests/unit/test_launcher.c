/* hive-launch: graph files and supervision decisions as pure functions, then
 * the real launcher with a real broker and hive-echo actors: readiness,
 * restart of a killed actor, giving up past the restart intensity, and no
 * process left behind after SIGTERM or after the launcher's own SIGKILL. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../launcher/graph.h"
#include "../../launcher/supervise.h"
#include "harness.h"

/* Time the launcher may take to stop its children after its deadline. */
#define LAUNCH_GRACE_MS 6000

/* ============================================================================
 * Graph files (no processes)
 * ========================================================================== */

static struct graph *parse_ok(const char *json)
{
	char err[GRAPH_ERR_MAX];
	struct graph *g = NULL;
	int rc = graph_parse(json, strlen(json), "t.json", &g, err, sizeof err);
	cr_assert_eq(rc, 0, "graph_parse failed: %s", err);
	cr_assert_not_null(g);
	return g;
}

/* Parses json, expects -EINVAL and an error containing every needle. */
static void parse_fails(const char *json, const char *const needles[])
{
	char err[GRAPH_ERR_MAX];
	struct graph *g = NULL;
	int rc = graph_parse(json, strlen(json), "bad.json", &g, err, sizeof err);
	cr_assert_eq(rc, -EINVAL, "expected -EINVAL for %s", json);
	cr_assert_null(g);
	cr_assert(strncmp(err, "bad.json: ", 10) == 0, "error does not name the file: %s", err);
	for (size_t i = 0; needles[i]; i++)
		cr_assert(strstr(err, needles[i]), "error \"%s\" lacks \"%s\"", err, needles[i]);
}

Test(graph, full_graph_is_read)
{
	struct graph *g = parse_ok(
		"{\"name\": \"two\", \"supervision\": {\"max_restarts\": 3, \"period_s\": 7},\n"
		" \"broker\": {\"queue_messages\": 100, \"queue_bytes\": 4096, \"max_frame\": 1024},\n"
		" \"actors\": [\n"
		"  {\"name\": \"a\", \"program\": \"hive-echo\", \"args\": [\"-x\", \"y\"],\n"
		"   \"env\": {\"K\": \"V\", \"L\": \"\"}, \"restart\": \"transient\",\n"
		"   \"ready_timeout_ms\": 500, \"cpu\": 1},\n"
		"  {\"name\": \"b.c\", \"program\": \"/bin/true\", \"restart\": \"temporary\"}]}");
	cr_assert_str_eq(g->name, "two");
	cr_assert_eq(g->max_restarts, 3);
	cr_assert_eq(g->period_s, 7);
	cr_assert_eq(g->queue_messages, 100);
	cr_assert_eq(g->queue_bytes, 4096);
	cr_assert_eq(g->max_frame, 1024);
	cr_assert_eq(g->nactors, 2);
	const struct graph_actor *a = &g->actors[0];
	cr_assert_str_eq(a->name, "a");
	cr_assert_str_eq(a->program, "hive-echo");
	cr_assert_eq(a->nargs, 2);
	cr_assert_str_eq(a->args[1], "y");
	cr_assert_eq(a->nenv, 2);
	cr_assert_str_eq(a->env[0].key, "K");
	cr_assert_str_eq(a->env[0].value, "V");
	cr_assert_eq(a->restart, GRAPH_RESTART_TRANSIENT);
	cr_assert_eq(a->ready_timeout_ms, 500);
	cr_assert_eq(a->cpu, 1);
	cr_assert_eq(g->actors[1].restart, GRAPH_RESTART_TEMPORARY);
	cr_assert_eq(graph_find(g, "b.c"), &g->actors[1]);
	cr_assert_null(graph_find(g, "b"));
	graph_destroy(&g);
	cr_assert_null(g);
	graph_destroy(&g);
}

Test(graph, defaults)
{
	struct graph *g = parse_ok("{\"actors\": [{\"name\": \"e\", \"program\": \"p\"}]}");
	cr_assert_str_eq(g->name, "unnamed");
	cr_assert_eq(g->max_restarts, GRAPH_DEFAULT_MAX_RESTARTS);
	cr_assert_eq(g->period_s, GRAPH_DEFAULT_PERIOD_S);
	cr_assert_eq(g->queue_messages, 0);
	cr_assert_eq(g->actors[0].restart, GRAPH_RESTART_PERMANENT);
	cr_assert_eq(g->actors[0].ready_timeout_ms, GRAPH_DEFAULT_READY_TIMEOUT_MS);
	cr_assert_eq(g->actors[0].cpu, -1);
	cr_assert_eq(g->actors[0].nargs, 0);
	graph_destroy(&g);
	g = parse_ok("{\"actors\": []}");
	cr_assert_eq(g->nactors, 0);
	graph_destroy(&g);
}

Test(graph, bad_json_names_file_line_and_column)
{
	parse_fails("{\n  \"actors\": [\n    {\"name\": \"e\",, \"program\": \"p\"}\n  ]\n}",
		    (const char *const[]){ "line 3", "column", "invalid JSON", NULL });
	parse_fails("", (const char *const[]){ "invalid JSON", NULL });
	parse_fails("{\"actors\": [], \"actors\": []}",
		    (const char *const[]){ "line 1", "duplicate", NULL });
	parse_fails("[1, 2]", (const char *const[]){ "not an array", NULL });
}

Test(graph, missing_key_is_named)
{
	parse_fails("{\"name\": \"x\"}",
		    (const char *const[]){ "required key 'actors' is missing", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\"}]}",
		    (const char *const[]){ "actors[0] (\"e\")", "'program'", "missing", NULL });
	parse_fails("{\"actors\": [{\"program\": \"p\"}]}",
		    (const char *const[]){ "actors[0]", "'name'", "missing", NULL });
}

Test(graph, wrong_type_is_named)
{
	parse_fails("{\"actors\": {}}",
		    (const char *const[]){ "'actors'", "must be an array", "an object", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\", \"program\": \"p\", \"args\": \"-v\"}]}",
		    (const char *const[]){ "'args'", "array of strings", "a string", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\", \"program\": \"p\", \"args\": [1]}]}",
		    (const char *const[]){ "'args'", "entry 0", "an integer", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\", \"program\": 3}]}",
		    (const char *const[]){ "'program'", "must be a string", NULL });
	parse_fails("{\"supervision\": {\"max_restarts\": \"5\"}, \"actors\": []}",
		    (const char *const[]){ "supervision", "'max_restarts'", "integer", NULL });
	parse_fails("{\"supervision\": {\"period_s\": 0}, \"actors\": []}",
		    (const char *const[]){ "'period_s'", "is 0", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\", \"program\": \"p\", \"env\": {\"A\": 1}}]}",
		    (const char *const[]){ "'env'", "'A'", "must be a string", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\", \"program\": \"p\", \"restart\": 1}]}",
		    (const char *const[]){ "'restart'", "must be a string", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\", \"program\": \"p\", \"restart\": \"always\"}]}",
		    (const char *const[]){ "'restart'", "\"always\"", "transient", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\", \"program\": \"p\", \"cpu\": -1}]}",
		    (const char *const[]){ "'cpu'", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\", \"program\": \"p\", "
		    "\"ready_timeout_ms\": 1.5}]}",
		    (const char *const[]){ "'ready_timeout_ms'", "a real number", NULL });
	parse_fails("{\"broker\": [], \"actors\": []}",
		    (const char *const[]){ "'broker'", "must be an object", NULL });
}

Test(graph, unknown_key_is_named)
{
	parse_fails("{\"actors\": [], \"supervisor\": {}}",
		    (const char *const[]){ "unknown key 'supervisor'", "known keys", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\", \"programme\": \"p\"}]}",
		    (const char *const[]){ "actors[0] (\"e\")", "unknown key 'programme'", NULL });
	parse_fails("{\"broker\": {\"queue\": 1}, \"actors\": []}",
		    (const char *const[]){ "broker", "unknown key 'queue'", NULL });
}

Test(graph, actor_names_are_checked)
{
	parse_fails("{\"actors\": [{\"name\": \"a b\", \"program\": \"p\"}]}",
		    (const char *const[]){ "'a b' is not a valid actor name", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\", \"program\": \"p\"}, "
		    "{\"name\": \"e\", \"program\": \"q\"}]}",
		    (const char *const[]){ "actors[1]", "already the name of actors[0]", NULL });
	parse_fails("{\"actors\": [{\"name\": \"broker\", \"program\": \"p\"}]}",
		    (const char *const[]){ "reserved", NULL });
	parse_fails("{\"actors\": [{\"name\": \"e\", \"program\": \"\"}]}",
		    (const char *const[]){ "'program' is empty", NULL });
}

Test(graph, load_names_a_missing_file)
{
	char err[GRAPH_ERR_MAX];
	struct graph *g = NULL;
	int rc = graph_load("/nonexistent/g.json", &g, err, sizeof err);
	cr_assert_eq(rc, -ENOENT);
	cr_assert_null(g);
	cr_assert(strstr(err, "/nonexistent/g.json") && strstr(err, "No such file"), "%s", err);
}

/* ============================================================================
 * Supervision decisions (no processes)
 * ========================================================================== */

Test(supervise, backoff_doubles_to_a_cap)
{
	struct backoff b;
	backoff_reset(&b);
	unsigned first = backoff_next(&b);
	cr_assert(first >= 10 && first <= 50, "first retry after %u ms", first);
	cr_assert_eq(backoff_next(&b), 2 * first);
	unsigned last = 0;
	for (int i = 0; i < 20; i++)
		last = backoff_next(&b);
	cr_assert_eq(last, BACKOFF_MAX_MS);
	backoff_reset(&b);
	cr_assert_eq(backoff_next(&b), first);
}

Test(supervise, intensity_is_otp_like)
{
	const uint64_t s = 1000000000ull;
	struct intensity in;
	cr_assert_eq(intensity_init(&in, 3, 10), 0);
	/* Three restarts in the period are allowed, the fourth is one too many. */
	cr_assert_not(intensity_add(&in, 100 * s));
	cr_assert_not(intensity_add(&in, 101 * s));
	cr_assert_not(intensity_add(&in, 102 * s));
	cr_assert(intensity_add(&in, 103 * s));
	intensity_fini(&in);

	/* Restarts older than the period no longer count. */
	cr_assert_eq(intensity_init(&in, 2, 10), 0);
	cr_assert_not(intensity_add(&in, 100 * s));
	cr_assert_not(intensity_add(&in, 105 * s));
	cr_assert_not(intensity_add(&in, 110 * s)); /* 100 has expired */
	cr_assert_eq(intensity_count(&in, 110 * s), 2);
	cr_assert(intensity_add(&in, 111 * s));
	intensity_fini(&in);

	/* max_restarts 0: the first end is fatal. */
	cr_assert_eq(intensity_init(&in, 0, 1), 0);
	cr_assert(intensity_add(&in, 5 * s));
	cr_assert(intensity_add(&in, 5 * s));
	intensity_fini(&in);
}

Test(supervise, restart_policy_and_exit_words)
{
	int exit0 = 0, exit3 = 3 << 8, killed = SIGKILL;
	cr_assert(sup_should_restart(GRAPH_RESTART_PERMANENT, exit0));
	cr_assert(sup_should_restart(GRAPH_RESTART_PERMANENT, killed));
	cr_assert_not(sup_should_restart(GRAPH_RESTART_TRANSIENT, exit0));
	cr_assert(sup_should_restart(GRAPH_RESTART_TRANSIENT, exit3));
	cr_assert(sup_should_restart(GRAPH_RESTART_TRANSIENT, killed));
	cr_assert_not(sup_should_restart(GRAPH_RESTART_TEMPORARY, killed));
	char buf[64];
	sup_describe_exit(exit3, buf, sizeof buf);
	cr_assert_str_eq(buf, "exit 3");
	sup_describe_exit(killed, buf, sizeof buf);
	cr_assert_str_eq(buf, "signal 9 (Killed)");
}


/* ============================================================================
 * The launcher as a process, with a real broker and hive-echo actors
 * ========================================================================== */

struct launch {
	char *dir;
	char graph[600];
	char out[600];
	char err[600];
	pid_t pid;
};

static void launch_fini(void)
{
	th_cleanup();
}

TestSuite(launch, .fini = launch_fini, .timeout = 90);

/* A run dir and a graph file in it. fmt gets the hive-echo path for every
 * %1$s. */
static void launch_init(struct launch *l, const char *fmt)
{
	char echo[512];
	l->dir = th_run_dir();
	cr_assert_not_null(l->dir);
	th_bin(echo, sizeof echo, "hive-echo");
	cr_assert_eq(access(echo, X_OK), 0, "%s is missing: build it first", echo);
	snprintf(l->graph, sizeof l->graph, "%s/graph.json", l->dir);
	snprintf(l->out, sizeof l->out, "%s/launch.out", l->dir);
	snprintf(l->err, sizeof l->err, "%s/launch.err", l->dir);
	FILE *f = fopen(l->graph, "w");
	cr_assert_not_null(f);
	fprintf(f, fmt, echo);
	fclose(f);
}

/* Starts hive-launch GRAPH --run-dir DIR extra... */
static void launch_start(struct launch *l, const char *const extra[])
{
	/* The assertions read the launcher's info lines, whatever $HIVE_LOG says. */
	const char *argv[32] = { "hive-launch", l->graph, "--run-dir", l->dir, "--log-level", "info" };
	int n = 6;
	for (int i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	l->pid = th_spawn(argv, l->out, l->err);
	cr_assert_gt(l->pid, 0);
}

static void launch_ready(struct launch *l, const char *const extra[])
{
	launch_start(l, extra);
	cr_assert(th_file_contains(l->out, "ready\n", TH_DEADLINE_MS),
		  "the launcher did not print ready; its stderr:\n%s", th_slurp(l->err, NULL));
}

/* Waits for the launcher to exit; returns its wait status. */
static int launch_wait(struct launch *l)
{
	int st = th_wait_exit(l->pid, TH_DEADLINE_MS + LAUNCH_GRACE_MS);
	cr_assert_neq(st, -1, "the launcher did not exit");
	return st;
}

/* True when pid is gone (or a zombie nobody reaped: dead all the same). */
static bool pid_gone(pid_t pid)
{
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return true;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')');
	return paren && (paren[2] == 'Z' || paren[2] == 'X');
}

/* The live processes (other than except) whose command line contains
 * needle. */
static size_t procs_with(const char *needle, pid_t except, pid_t *out, size_t cap)
{
	size_t n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid() || pid == except)
			continue;
		char path[64];
		snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
		size_t len = 0;
		char *cmd = th_slurp(path, &len);
		if (!cmd)
			continue;
		for (size_t i = 0; i < len; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		if (strstr(cmd, needle) && !pid_gone((pid_t)pid) && n < cap)
			out[n++] = (pid_t)pid;
		free(cmd);
	}
	if (d)
		closedir(d);
	return n;
}

/* Waits until no process but except runs with dir in its command line. */
static void expect_nothing_left(const char *dir, pid_t except)
{
	pid_t pids[16];
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	size_t n;
	while ((n = procs_with(dir, except, pids, 16)) > 0 && hive_now_ns() < deadline)
		usleep(5000);
	cr_assert_eq(n, 0, "%zu processes outlived the launcher (first: pid %d)", n,
		     n ? (int)pids[0] : 0);
}

static bool wait_gone(const pid_t *pids, size_t n)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	for (size_t i = 0; i < n; i++)
		while (!pid_gone(pids[i]))
			if (hive_now_ns() > deadline)
				return false;
			else
				usleep(5000);
	return true;
}

/* Asks the broker for its Status until name is up and ready with a pid other
 * than not_pid. Returns that pid, or 0. */
static pid_t wait_actor(struct hive_actor *t, const char *name, pid_t not_pid)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	pid_t pid = 0;
	while (!pid && hive_now_ns() < deadline) {
		Hive__Status *s = th_status(t, TH_DEADLINE_MS);
		const Hive__ActorStatus *as = th_status_find(s, name);
		if (as && as->up && as->ready && (pid_t)as->pid != not_pid)
			pid = (pid_t)as->pid;
		if (s)
			hive__status__free_unpacked(s, NULL);
		if (!pid)
			hive_run_once(t, 5);
	}
	return pid;
}

static const char *const two_echoes =
	"{\"name\": \"t\", \"supervision\": {\"max_restarts\": 5, \"period_s\": 10},\n"
	" \"actors\": [{\"name\": \"e1\", \"program\": \"%1$s\"},\n"
	"              {\"name\": \"e2\", \"program\": \"%1$s\", \"env\": {\"X\": \"1\"}}]}\n";

Test(launch, ready_then_sigterm_stops_everything)
{
	struct launch l;
	launch_init(&l, two_echoes);
	launch_ready(&l, NULL);
	struct hive_actor *t = th_actor(l.dir, "tester");
	cr_assert_not_null(t);
	Hive__Status *s = th_status(t, TH_DEADLINE_MS);
	cr_assert_not_null(s);
	cr_assert(s->graph_ready, "the broker was not told GraphReady");
	pid_t pids[3] = { (pid_t)s->broker_pid, 0, 0 };
	for (int i = 0; i < 2; i++) {
		const Hive__ActorStatus *as = th_status_find(s, i ? "e2" : "e1");
		cr_assert(as && as->up && as->ready, "actor e%d is not up and ready", i + 1);
		pids[1 + i] = (pid_t)as->pid;
	}
	hive__status__free_unpacked(s, NULL);
	hive_actor_destroy(&t);

	kill(l.pid, SIGTERM);
	int st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
	cr_assert(wait_gone(pids, 3), "the broker or an actor outlived the launcher");
	expect_nothing_left(l.dir, 0);
	char sock[700];
	snprintf(sock, sizeof sock, "%s/broker", l.dir);
	cr_assert_neq(access(sock, F_OK), 0, "the broker socket was left behind");
	char *out = th_slurp(l.out, NULL);
	cr_assert_str_eq(out, "ready\n", "stdout must carry only the ready line");
	free(out);
	free(l.dir);
}

Test(launch, restarts_a_killed_actor)
{
	struct launch l;
	launch_init(&l, two_echoes);
	launch_ready(&l, NULL);
	struct hive_actor *t = th_actor(l.dir, "tester");
	cr_assert_not_null(t);
	pid_t old = wait_actor(t, "e2", 0);
	cr_assert_gt(old, 0);
	kill(old, SIGKILL);
	pid_t fresh = wait_actor(t, "e2", old);
	cr_assert_gt(fresh, 0, "e2 was not restarted; launcher stderr:\n%s",
		     th_slurp(l.err, NULL));
	cr_assert(th_file_contains(l.err, "actor 'e2'", TH_DEADLINE_MS));
	cr_assert(th_file_contains(l.err, "signal 9 (Killed); restart 1 in 20 ms",
				   TH_DEADLINE_MS));
	cr_assert(th_alive(l.pid));
	hive_actor_destroy(&t);
	kill(l.pid, SIGTERM);
	int st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
	expect_nothing_left(l.dir, 0);
	free(l.dir);
}

Test(launch, gives_up_past_the_restart_intensity)
{
	struct launch l;
	launch_init(&l, "{\"supervision\": {\"max_restarts\": 3, \"period_s\": 30},\n"
			" \"actors\": [{\"name\": \"crashy\", \"program\": \"%1$s\"}]}\n");
	launch_start(&l, (const char *const[]){ "--set", "crashy.exit_after_ms=0",
						"--set=crashy.exit_code=3", NULL });
	int st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "exit status 0x%x; stderr:\n%s", st,
		  th_slurp(l.err, NULL));
	cr_assert(th_file_contains(l.err, "actor 'crashy' restarted more than 3 times in 30 s; "
				   "last exit: exit 3; giving up", 0),
		  "stderr:\n%s", th_slurp(l.err, NULL));
	expect_nothing_left(l.dir, 0);
	free(l.dir);
}

Test(launch, nothing_outlives_a_killed_launcher)
{
	struct launch l;
	launch_init(&l, two_echoes);
	launch_ready(&l, NULL);
	pid_t pids[8];
	size_t n = procs_with(l.dir, l.pid, pids, 8);
	cr_assert_eq(n, 3, "expected the broker and two actors, found %zu processes", n);
	kill(l.pid, SIGKILL);
	int st = launch_wait(&l);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	cr_assert(wait_gone(pids, n), "a child outlived the launcher's SIGKILL");
	expect_nothing_left(l.dir, 0);
	free(l.dir);
}

/* The pid of the broker among the processes of dir other than not_pid. */
static pid_t find_broker(const char *dir, pid_t launcher, pid_t not_pid)
{
	pid_t pids[8], broker = 0;
	size_t n = procs_with(dir, launcher, pids, 8);
	for (size_t i = 0; i < n && !broker; i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pids[i]);
		char *cmd = th_slurp(path, NULL);
		if (cmd && strstr(cmd, "hive-broker") && pids[i] != not_pid)
			broker = pids[i];
		free(cmd);
	}
	return broker;
}

Test(launch, restarts_the_broker)
{
	struct launch l;
	launch_init(&l, two_echoes);
	launch_ready(&l, NULL);
	pid_t old = find_broker(l.dir, l.pid, 0);
	cr_assert_gt(old, 0);
	kill(old, SIGKILL);
	cr_assert(th_file_contains(l.err, "the broker (pid", TH_DEADLINE_MS));
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	pid_t fresh = 0;
	while (!(fresh = find_broker(l.dir, l.pid, old)) && hive_now_ns() < deadline)
		usleep(5000);
	cr_assert_gt(fresh, 0, "no new broker; stderr:\n%s", th_slurp(l.err, NULL));

	/* The launcher registers again and repeats GraphReady to the new broker. */
	struct hive_actor *t = th_actor(l.dir, "tester");
	cr_assert_not_null(t);
	bool ready = false;
	while (!ready && hive_now_ns() < deadline) {
		Hive__Status *s = th_status(t, TH_DEADLINE_MS);
		ready = s && s->graph_ready && (pid_t)s->broker_pid == fresh;
		if (s)
			hive__status__free_unpacked(s, NULL);
		if (!ready)
			hive_run_once(t, 5);
	}
	cr_assert(ready, "the new broker was not told GraphReady");
	hive_actor_destroy(&t);
	cr_assert(th_alive(l.pid));
	kill(l.pid, SIGTERM);
	int st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
	expect_nothing_left(l.dir, 0);
	free(l.dir);
}

Test(launch, reports_an_actor_that_never_gets_ready)
{
	struct launch l;
	launch_init(&l, "{\"actors\": [{\"name\": \"slow\", \"program\": \"%1$s\",\n"
			" \"args\": [\"--set\", \"skip_ready=1\"], \"ready_timeout_ms\": 300}]}\n");
	launch_start(&l, NULL);
	int st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit status 0x%x", st);
	cr_assert(th_file_contains(l.err, "actor 'slow' did not say it was ready within 300 ms",
				   0), "stderr:\n%s", th_slurp(l.err, NULL));
	expect_nothing_left(l.dir, 0);
	char *out = th_slurp(l.out, NULL);
	cr_assert_str_eq(out, "");
	free(out);
	free(l.dir);
}

Test(launch, a_run_dir_has_one_launcher)
{
	struct launch l, second;
	launch_init(&l, two_echoes);
	launch_ready(&l, NULL);
	second = l;
	snprintf(second.out, sizeof second.out, "%s/second.out", l.dir);
	snprintf(second.err, sizeof second.err, "%s/second.err", l.dir);
	launch_start(&second, NULL);
	int st = launch_wait(&second);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit status 0x%x", st);
	cr_assert(th_file_contains(second.err, "is in use by another hive-launch", 0),
		  "stderr:\n%s", th_slurp(second.err, NULL));
	cr_assert(th_alive(l.pid));
	kill(l.pid, SIGTERM);
	st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	expect_nothing_left(l.dir, 0);
	free(l.dir);
}

Test(launch, a_wrong_graph_file_is_named_with_line_and_key)
{
	struct launch l;
	launch_init(&l, "{\n  \"actors\": [\n    {\"name\": \"e\" \"program\": \"%1$s\"}\n  ]\n}\n");
	launch_start(&l, NULL);
	int st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit status 0x%x", st);
	char want[700];
	snprintf(want, sizeof want, "%s: line 3, column", l.graph);
	cr_assert(th_file_contains(l.err, want, 0), "stderr:\n%s", th_slurp(l.err, NULL));

	FILE *f = fopen(l.graph, "w");
	fprintf(f, "{\"actors\": [{\"name\": \"e\", \"program\": \"hive-echo\", \"args\": 1}]}");
	fclose(f);
	launch_start(&l, NULL);
	st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	snprintf(want, sizeof want, "%s: actors[0] (\"e\"): key 'args' must be an array", l.graph);
	cr_assert(th_file_contains(l.err, want, 0), "stderr:\n%s", th_slurp(l.err, NULL));
	free(l.dir);
}

Test(launch, a_set_for_an_unknown_actor_is_refused)
{
	struct launch l;
	launch_init(&l, two_echoes);
	launch_start(&l, (const char *const[]){ "--set", "e3.x=1", NULL });
	int st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit status 0x%x", st);
	cr_assert(th_file_contains(l.err, "has no actor 'e3'", 0), "stderr:\n%s",
		  th_slurp(l.err, NULL));
	launch_start(&l, (const char *const[]){ "--transport", "tcp-client:127.0.0.1:1", NULL });
	st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	cr_assert(th_file_contains(l.err, "has no actor 'hci'", 0), "stderr:\n%s",
		  th_slurp(l.err, NULL));
	free(l.dir);
}

Test(launch, a_missing_program_is_named)
{
	struct launch l;
	launch_init(&l, "{\"actors\": [{\"name\": \"e\", \"program\": \"hive-no-such-program\"}]}");
	launch_start(&l, NULL);
	int st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit status 0x%x", st);
	cr_assert(th_file_contains(l.err, "actor 'e': program 'hive-no-such-program' not found "
				   "(tried ", 0), "stderr:\n%s", th_slurp(l.err, NULL));
	free(l.dir);
}

Test(launch, transient_clean_exit_is_not_restarted_and_transport_reaches_hci)
{
	struct launch l;
	launch_init(&l, "{\"actors\": [{\"name\": \"hci\", \"program\": \"%1$s\"},\n"
			" {\"name\": \"once\", \"program\": \"%1$s\", \"restart\": \"transient\",\n"
			"  \"args\": [\"--set\", \"exit_after_ms=0\"]}]}\n");
	launch_ready(&l, (const char *const[]){ "--transport", "tcp-client:127.0.0.1:9",
						"--log-level", "info", NULL });
	cr_assert(th_file_contains(l.err, "actor 'once' (pid", TH_DEADLINE_MS));
	cr_assert(th_file_contains(l.err, "ended: exit 0; not restarted (restart policy "
				   "\"transient\")", TH_DEADLINE_MS), "stderr:\n%s",
		  th_slurp(l.err, NULL));
	pid_t pids[4];
	cr_assert_eq(procs_with("--set transport=tcp-client:127.0.0.1:9", 0, pids, 4), 1,
		     "hci did not get --set transport=SPEC");
	cr_assert(th_alive(l.pid));
	kill(l.pid, SIGTERM);
	int st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
	expect_nothing_left(l.dir, 0);
	free(l.dir);
}

Test(launch, an_actor_that_ends_before_ready_is_reported)
{
	struct launch l;
	launch_init(&l, "{\"actors\": [{\"name\": \"quitter\", \"program\": \"%1$s\",\n"
			" \"restart\": \"temporary\", \"args\": [\"--set\", \"skip_ready=1\",\n"
			" \"--set\", \"exit_after_ms=0\", \"--set\", \"exit_code=4\"]}]}\n");
	launch_start(&l, NULL);
	int st = launch_wait(&l);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit status 0x%x", st);
	cr_assert(th_file_contains(l.err, "actor 'quitter' ended before it was ready (exit 4)",
				   0), "stderr:\n%s", th_slurp(l.err, NULL));
	expect_nothing_left(l.dir, 0);
	free(l.dir);
}
