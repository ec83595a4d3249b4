/* One graph across machines, with processes: the launcher waiting for a
 * "remote" actor (missing: named, exit 1; registered by hand over tcp:
 * ready), and, when root with iproute2, a broker and an actor in two network
 * namespaces joined by a veth pair, the actor's link cut (declared down
 * within 3 s) and restored (back up). */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../launcher/graph.h"
#include "harness.h"

/* ---- the graph file's "where" and "permissions" (no processes) ---------- */

Test(graph_net, where_and_permissions_are_read)
{
	const char *json = "{\"actors\": [{\"name\": \"a\", \"program\": \"x\"},\n"
			   " {\"name\": \"gatt\", \"where\": \"remote\"}],\n"
			   " \"permissions\": {\"gatt\": {\"may_send_to\": [\"l2cap\"], "
			   "\"replace\": true}}}";
	char err[GRAPH_ERR_MAX];
	struct graph *g = NULL;
	cr_assert_eq(graph_parse(json, strlen(json), "t.json", &g, err, sizeof err), 0, "%s", err);
	cr_assert_not(g->actors[0].remote);
	cr_assert(g->actors[1].remote);
	cr_assert_str_eq(g->actors[1].program, "");
	cr_assert(strstr(g->permissions_json, "\"may_send_to\""), "%s", g->permissions_json);
	graph_destroy(&g);
}

Test(graph_net, mistakes_are_named)
{
	const char *bad[][2] = {
		{ "{\"actors\": [{\"name\": \"a\", \"program\": \"x\", \"where\": \"moon\"}]}",
		  "key 'where' is \"moon\"" },
		{ "{\"actors\": [{\"name\": \"a\"}]}", "required key 'program' is missing" },
		{ "{\"actors\": [], \"permissions\": {\"a\": {\"kinds\": [\"hcii\"]}}}",
		  "permissions.a: kinds[0] \"hcii\" is not a body" },
		{ "{\"actors\": [], \"permissions\": []}", "key 'permissions' must be an object" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[GRAPH_ERR_MAX];
		struct graph *g = NULL;
		int rc = graph_parse(bad[i][0], strlen(bad[i][0]), "bad.json", &g, err, sizeof err);
		cr_assert_eq(rc, -EINVAL, "accepted %s", bad[i][0]);
		cr_assert(strstr(err, bad[i][1]) && strncmp(err, "bad.json: ", 10) == 0,
			  "error \"%s\" lacks \"%s\"", err, bad[i][1]);
	}
}

/* ---- the launcher with remote actors ------------------------------------- */

static void fini(void)
{
	th_cleanup();
}

/* Writes a graph file with one local hive-echo "e1" and a remote "r1". */
static void write_graph(const char *path, unsigned remote_timeout_ms)
{
	char echo[512];
	th_bin(echo, sizeof echo, "hive-echo");
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "{\"name\": \"spread\", \"actors\": [\n"
		   " {\"name\": \"e1\", \"program\": \"%s\"},\n"
		   " {\"name\": \"r1\", \"where\": \"remote\", \"ready_timeout_ms\": %u}],\n"
		   " \"permissions\": {\"r1\": {\"may_send_to\": [\"apps\"]}}}\n",
		echo, remote_timeout_ms);
	fclose(f);
}

struct launch {
	char *dir;
	char graph[600], out[600], err[600], keys[600], endpoints[600];
	pid_t pid;
};

static void launch(struct launch *l, unsigned remote_timeout_ms)
{
	l->dir = th_run_dir();
	cr_assert_not_null(l->dir);
	snprintf(l->graph, sizeof l->graph, "%s/graph.json", l->dir);
	snprintf(l->out, sizeof l->out, "%s/launch.out", l->dir);
	snprintf(l->err, sizeof l->err, "%s/launch.err", l->dir);
	snprintf(l->keys, sizeof l->keys, "%s/keys", l->dir);
	snprintf(l->endpoints, sizeof l->endpoints, "%s/broker.endpoints", l->dir);
	write_graph(l->graph, remote_timeout_ms);
	const char *argv[] = { "hive-launch", l->graph, "--run-dir", l->dir, "--keys", l->keys,
			       "--bind", "tcp://127.0.0.1:0", "--log-level", "info", NULL };
	l->pid = th_spawn(argv, l->out, l->err);
	cr_assert_gt(l->pid, 0);
}

TestSuite(net_graph, .fini = fini, .timeout = 90);

Test(net_graph, a_remote_actor_that_never_registers_is_named)
{
	struct launch l;
	launch(&l, 1500);
	int st = th_wait_exit(l.pid, TH_DEADLINE_MS + 6000);
	cr_assert_neq(st, -1, "the launcher did not give up");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status 0x%x", st);
	char *err = th_slurp(l.err, NULL);
	cr_assert(err && strstr(err, "1 remote actor did not register and say ready in time: r1"),
		  "the launcher did not name r1:\n%s", err);
	free(err);
	char *out = th_slurp(l.out, NULL);
	cr_assert(!out || !strstr(out, "ready"), "it printed ready");
	free(out);
	free(l.dir);
}

Test(net_graph, a_remote_actor_started_by_hand_completes_the_graph)
{
	struct launch l;
	launch(&l, 20000);
	cr_assert(th_file_contains(l.endpoints, "tcp://", TH_DEADLINE_MS),
		  "the broker wrote no endpoint; launcher:\n%s", th_slurp(l.err, NULL));
	char *ep = th_slurp(l.endpoints, NULL);
	ep[strcspn(ep, "\n")] = '\0';
	char log[700];
	snprintf(log, sizeof log, "%s/r1.log", l.dir);
	/* The launcher made r1's key pair: the remote host would get a copy. */
	const char *argv[] = { "hive-echo", "--name", "r1", "--broker", ep, "--keys", l.keys, NULL };
	pid_t r1 = th_spawn(argv, NULL, log);
	cr_assert(th_file_contains(l.out, "ready\n", TH_DEADLINE_MS),
		  "no ready; launcher:\n%s\nr1:\n%s", th_slurp(l.err, NULL), th_slurp(log, NULL));
	cr_assert(th_file_contains(l.err, "remote actor 'r1'", 1000));

	/* A remote actor's death is reported, not restarted. */
	th_kill(r1, SIGKILL);
	cr_assert(th_file_contains(l.err, "remote actor 'r1' (pid", TH_DEADLINE_MS));
	cr_assert(th_file_contains(l.err, "is down", TH_DEADLINE_MS), "%s",
		  th_slurp(l.err, NULL));
	kill(l.pid, SIGTERM);
	int st = th_wait_exit(l.pid, TH_DEADLINE_MS);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
	free(ep);
	free(l.dir);
}

Test(net_graph, shutdown_sends_stop_to_remote_actors_which_exit)
{
	struct launch l;
	launch(&l, 20000);
	cr_assert(th_file_contains(l.endpoints, "tcp://", TH_DEADLINE_MS),
		  "the broker wrote no endpoint; launcher:\n%s", th_slurp(l.err, NULL));
	char *ep = th_slurp(l.endpoints, NULL);
	ep[strcspn(ep, "\n")] = '\0';
	char log[700];
	snprintf(log, sizeof log, "%s/r1.log", l.dir);
	const char *argv[] = { "hive-echo", "--name", "r1", "--broker", ep, "--keys", l.keys,
			       "--log-level", "info", NULL };
	pid_t r1 = th_spawn(argv, NULL, log);
	cr_assert(th_file_contains(l.out, "ready\n", TH_DEADLINE_MS),
		  "no ready; launcher:\n%s\nr1:\n%s", th_slurp(l.err, NULL), th_slurp(log, NULL));

	/* r1 is not the launcher's child: only a Stop message can end it. */
	kill(l.pid, SIGTERM);
	int st = th_wait_exit(r1, TH_DEADLINE_MS);
	cr_assert_neq(st, -1, "the remote actor did not exit; launcher:\n%s\nr1:\n%s",
		      th_slurp(l.err, NULL), th_slurp(log, NULL));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "r1: status 0x%x", st);
	cr_assert(th_file_contains(log, "stop asked by launcher", 1000), "%s", th_slurp(log, NULL));
	st = th_wait_exit(l.pid, TH_DEADLINE_MS);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "launcher: status 0x%x", st);
	cr_assert(th_file_contains(l.err, "remote actor 'r1' (pid", 1000) &&
		  th_file_contains(l.err, "stopped", 1000), "%s", th_slurp(l.err, NULL));
	free(ep);
	free(l.dir);
}

Test(net_graph, a_remote_actor_deaf_to_stop_is_named_and_the_launcher_still_exits)
{
	struct launch l;
	launch(&l, 20000);
	cr_assert(th_file_contains(l.endpoints, "tcp://", TH_DEADLINE_MS),
		  "the broker wrote no endpoint; launcher:\n%s", th_slurp(l.err, NULL));
	char *ep = th_slurp(l.endpoints, NULL);
	ep[strcspn(ep, "\n")] = '\0';
	/* r1 in this process, never served after it said ready: the Stop
	 * waits unread, and its long heartbeat keeps it up meanwhile. */
	struct hive_actor *r1 = NULL;
	struct hive_actor_config cfg = { .name = "r1", .endpoint = ep, .keys_dir = l.keys,
					 .heartbeat_ms = 30000 };
	cr_assert_eq(hive_actor_new(&r1, &cfg), 0);
	cr_assert_eq(hive_actor_ready(r1), 0);
	cr_assert(th_file_contains(l.out, "ready\n", TH_DEADLINE_MS), "%s", th_slurp(l.err, NULL));
	kill(l.pid, SIGTERM);
	int st = th_wait_exit(l.pid, TH_DEADLINE_MS + 5000);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "launcher: 0x%x\n%s", st,
		  th_slurp(l.err, NULL));
	cr_assert(th_file_contains(l.err, "1 remote actor did not stop within 5000 ms of a Stop "
				   "message: r1", 1000), "%s", th_slurp(l.err, NULL));
	/* The Stop is there, unread. */
	int rc;
	while ((rc = hive_run_once(r1, 100)) > 0)
		;
	cr_assert_eq(rc, -ECANCELED, "r1 was not asked to stop");
	hive_actor_destroy(&r1);
	free(ep);
	free(l.dir);
}

/* ============================================================================
 * Two network namespaces (root and iproute2 only)
 * ========================================================================== */

static char ns_b[64], ns_a[64];

/* Runs a shell command; returns its exit status (-1 when it did not run). */
static int __attribute__((format(printf, 1, 2))) run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return st < 0 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static void netns_fini(void)
{
	/* The processes inside first, then the namespaces (with their veths). */
	th_cleanup();
	if (ns_a[0])
		run("ip netns del %s 2>/dev/null", ns_a);
	if (ns_b[0])
		run("ip netns del %s 2>/dev/null", ns_b);
}

TestSuite(netns, .fini = netns_fini, .timeout = 90);

/* Polls Status over ipc until name's up flag is want; ms taken, or -1. */
static long wait_up(struct hive_actor *w, const char *name, bool want, int timeout_ms)
{
	uint64_t t0 = hive_now_ns(), deadline = t0 + (uint64_t)timeout_ms * 1000000ull;
	while (hive_now_ns() < deadline) {
		Hive__Status *st = th_status(w, TH_DEADLINE_MS);
		const Hive__ActorStatus *s = th_status_find(st, name);
		bool up = s && s->up && (!want || s->ready);
		hive__status__free_unpacked(st, NULL);
		if (up == want)
			return (long)((hive_now_ns() - t0) / 1000000ull);
		hive_run_once(w, 20);
	}
	return -1;
}

Test(netns, a_cut_link_is_a_crash_within_3_s_and_recovers)
{
	if (geteuid() != 0)
		cr_skip_test("network namespaces need root; run as root to test tcp across them");
	if (run("ip netns list >/dev/null 2>&1") != 0)
		cr_skip_test("'ip netns' is not available (install iproute2)");
	snprintf(ns_b, sizeof ns_b, "hive-t%d-b", (int)getpid());
	snprintf(ns_a, sizeof ns_a, "hive-t%d-a", (int)getpid());
	char vb[16], va[16];
	snprintf(vb, sizeof vb, "hvb%d", (int)getpid() % 100000);
	snprintf(va, sizeof va, "hva%d", (int)getpid() % 100000);
	cr_assert_eq(run("ip netns add %s && ip netns add %s", ns_b, ns_a), 0);
	cr_assert_eq(run("ip link add %s netns %s type veth peer name %s netns %s", vb, ns_b, va,
			 ns_a), 0);
	cr_assert_eq(run("ip -n %s addr add 10.77.0.1/24 dev %s && ip -n %s link set %s up && "
			 "ip -n %s link set lo up", ns_b, vb, ns_b, vb, ns_b), 0);
	cr_assert_eq(run("ip -n %s addr add 10.77.0.2/24 dev %s && ip -n %s link set %s up && "
			 "ip -n %s link set lo up", ns_a, va, ns_a, va, ns_a), 0);

	char *dir = th_run_dir();
	char keys[600], blog[600], alog[600], broker[512], echo[512], path[700];
	snprintf(keys, sizeof keys, "%s/keys", dir);
	snprintf(blog, sizeof blog, "%s/broker.log", dir);
	snprintf(alog, sizeof alog, "%s/far.log", dir);
	cr_assert_eq(hive_keys_prepare(keys, (const char *const[]){ "far" }, 1), 0);
	th_bin(broker, sizeof broker, "hive-broker");
	th_bin(echo, sizeof echo, "hive-echo");
	/* ipc works across network namespaces (a path), so the test watches
	 * over ipc while the actor comes over tcp. */
	const char *bargv[] = { "/usr/sbin/ip", "netns", "exec", ns_b, broker, "--run-dir", dir,
				"--bind", "tcp://10.77.0.1:0", "--keys", keys, "--log-level", "info",
				NULL };
	pid_t bpid = th_spawn(bargv, NULL, blog);
	cr_assert_gt(bpid, 0);
	snprintf(path, sizeof path, "%s/broker.endpoints", dir);
	cr_assert(th_file_contains(path, "tcp://10.77.0.1:", TH_DEADLINE_MS), "broker:\n%s",
		  th_slurp(blog, NULL));
	char *ep = th_slurp(path, NULL);
	ep[strcspn(ep, "\n")] = '\0';
	const char *aargv[] = { "/usr/sbin/ip", "netns", "exec", ns_a, echo, "--name", "far",
				"--broker", ep, "--keys", keys, NULL };
	cr_assert_gt(th_spawn(aargv, NULL, alog), 0);

	struct hive_actor *w = th_actor(dir, "watcher");
	cr_assert_not_null(w);
	cr_assert_geq(wait_up(w, "far", true, TH_DEADLINE_MS), 0, "far did not come up:\n%s",
		      th_slurp(alog, NULL));
	cr_assert_eq(run("ip -n %s link set %s down", ns_a, va), 0);
	long ms = wait_up(w, "far", false, 6000);
	cr_assert_geq(ms, 0, "the broker did not declare far down");
	cr_assert_leq(ms, 3000, "declared down after %ld ms; the bound is 3 s", ms);
	cr_assert_eq(run("ip -n %s link set %s up", ns_a, va), 0);
	long back = wait_up(w, "far", true, 15000);
	cr_assert_geq(back, 0, "far did not come back:\n%s\nbroker:\n%s", th_slurp(alog, NULL),
		      th_slurp(blog, NULL));
	hive_actor_destroy(&w);
	free(ep);
	free(dir);
}
