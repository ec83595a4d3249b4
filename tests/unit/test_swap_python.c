/* Swapping the gatt actor for one in another language, and back, while a
 * peer is connected. hive-vctrl serves two controllers; hive-launch runs
 * launcher/graphs/peripheral-python.json (gatt is examples/python/hive_gatt.py,
 * python3-zmq and python3-protobuf, serving its own database) on one and
 * launcher/graphs/central.json on the other. hive-ctl on the central
 * exchanges the MTU, discovers the Python database, reads and writes it.
 * Then the stock hive-gatt is started by hand with --name gatt --replace
 * (the graph allows it): the broker stops the Python actor, the launcher
 * leaves it stopped, and the central's next discovery and reads see
 * examples/heart-rate.json over the same link. Last, a Python actor takes
 * the name back the same way and serves a value longer than 23 bytes in
 * one Read: the negotiated MTU went across both swaps in the snapshot.
 *
 * Skipped when python3, its zmq and protobuf modules or protoc are missing
 * (apt-get install python3-zmq python3-protobuf protobuf-compiler). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "link_watch_util.h"

#define CTL_DEADLINE_MS 30000
#define PY_SERVICE "48697665-0001-4000-8000-707974686f6e"
#define PY_GREETING "48697665-0002-4000-8000-707974686f6e"
#define PY_SCRATCH "48697665-0003-4000-8000-707974686f6e"
/* 120 characters: more than one Read can carry at the default ATT_MTU. */
#define LONG_GREETING                                                                          \
	"a greeting from the second Python gatt, long enough that only the MTU negotiated "  \
	"before two swaps lets a single Read carry it."

static char *dir;
static struct hive_actor *watch_p, *watch_c;
static int ctl_runs;
static char python[1024];

static struct link_watch lw_p, lw_c;

static void fini(void)
{
	hive_actor_destroy(&watch_p);
	hive_actor_destroy(&watch_c);
	th_cleanup();
	free(dir);
	dir = NULL;
}

/* python3 from $PATH as an absolute path (th_spawn runs hive programs by
 * name from HIVE_BIN_DIR, anything else by absolute path). */
static bool find_python(void)
{
	const char *path = getenv("PATH");
	const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		size_t len = strcspn(p, ":");
		if (len && p[0] == '/') {
			snprintf(python, sizeof python, "%.*s/python3", (int)len, p);
			if (access(python, X_OK) == 0)
				return true;
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return false;
}

/* Runs hive-ctl --json -c script on a graph; returns the JSON object of the
 * last line whose "command" is cmd, which must be ok. */
static json_t *ctl_json(const char *run_dir, const char *script, const char *cmd)
{
	char out[600], err[600];
	int n = ++ctl_runs;
	snprintf(out, sizeof out, "%s/ctl%02d.out", dir, n);
	snprintf(err, sizeof err, "%s/ctl%02d.err", dir, n);
	const char *argv[] = { "hive-ctl", "--run-dir", run_dir, "--json", "-c", script, NULL };
	pid_t pid = th_spawn(argv, out, err);
	cr_assert_gt(pid, 0);
	int st = th_wait_exit(pid, CTL_DEADLINE_MS);
	char *text = th_slurp(out, NULL);
	char *etext = th_slurp(err, NULL);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "hive-ctl -c '%s' failed (status %d)\nstdout: %s\nstderr: %s", script, st,
		  text ? text : "", etext ? etext : "");
	free(etext);
	cr_assert_not_null(text);
	json_t *found = NULL;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		json_t *j = json_loads(line, 0, NULL);
		const char *c = json_string_value(json_object_get(j, "command"));
		if (c && !strcmp(c, cmd)) {
			json_decref(found);
			found = j;
		} else {
			json_decref(j);
		}
	}
	free(text);
	cr_assert_not_null(found, "no '%s' answer in the output of '%s'", cmd, script);
	cr_assert(json_is_true(json_object_get(found, "ok")), "'%s' not ok", script);
	return found;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	cr_assert_not_null(s, "no string '%s'", key);
	return s;
}

static void launch(const char *graph, const char *sock, const char *run_dir, const char *tag)
{
	char cwd[2048], path[2300], transport[700], ks[700], out[600], err[600];
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	snprintf(path, sizeof path, "%s/launcher/graphs/%s.json", cwd, graph);
	snprintf(transport, sizeof transport, "unix:%s", sock);
	snprintf(ks, sizeof ks, "smp.keystore=%s/%s-bonds.sqlite3", dir, tag);
	snprintf(out, sizeof out, "%s/launch-%s.out", dir, tag);
	snprintf(err, sizeof err, "%s/launch-%s.err", dir, tag);
	const char *argv[] = { "hive-launch", path,  "--transport", transport, "--run-dir",
			       run_dir,       "--set", ks,            NULL };
	cr_assert_gt(th_spawn(argv, out, err), 0);
	cr_assert(th_file_contains(out, "ready", 30000), "graph %s not ready; see %s", graph, err);
}

static json_t *find_service(json_t *services, const char *uuid)
{
	size_t i;
	json_t *s;
	json_array_foreach(services, i, s) {
		if (!strcmp(jstr(s, "uuid"), uuid))
			return s;
	}
	return NULL;
}

/* The characteristic UUIDs of a service in a discover answer, in order. */
static void expect_service(json_t *services, const char *uuid, const char *const chars[])
{
	json_t *found = find_service(services, uuid);
	cr_assert_not_null(found, "service %s not discovered", uuid);
	json_t *cs = json_object_get(found, "characteristics");
	size_t n = 0;
	while (chars[n])
		n++;
	cr_assert_eq(json_array_size(cs), n, "service %s: %zu characteristics, want %zu", uuid,
		     json_array_size(cs), n);
	for (size_t k = 0; k < n; k++)
		cr_assert_str_eq(jstr(json_array_get(cs, k), "uuid"), chars[k]);
}

static int value_handle(json_t *services, const char *uuid)
{
	size_t i, k;
	json_t *s, *ch;
	json_array_foreach(services, i, s) {
		json_array_foreach(json_object_get(s, "characteristics"), k, ch) {
			if (!strcmp(jstr(ch, "uuid"), uuid))
				return (int)json_integer_value(json_object_get(ch, "value_handle"));
		}
	}
	cr_assert_fail("characteristic %s not discovered", uuid);
	return 0;
}

static char *hex(const char *text)
{
	size_t n = strlen(text);
	char *h = malloc(2 * n + 1);
	cr_assert_not_null(h);
	for (size_t i = 0; i < n; i++)
		snprintf(h + 2 * i, 3, "%02x", (unsigned char)text[i]);
	h[2 * n] = 0;
	return h;
}

static void expect_read(const char *run_dir, const char *what, const char *text)
{
	char script[200];
	snprintf(script, sizeof script, "read %s", what);
	json_t *r = ctl_json(run_dir, script, "read");
	char *want = hex(text);
	cr_assert_str_eq(jstr(r, "value"), want, "read %s: want \"%s\"", what, text);
	free(want);
	json_decref(r);
}

/* The peripheral broker's view of gatt. */
struct gatt_seen {
	pid_t pid;
	bool up, ready;
	char program[256];
};

static struct gatt_seen gatt_status(void)
{
	struct gatt_seen g = { 0 };
	Hive__Status *s = th_status(watch_p, TH_DEADLINE_MS);
	cr_assert_not_null(s, "the peripheral's broker did not answer a StatusRequest");
	const Hive__ActorStatus *a = th_status_find(s, "gatt");
	cr_assert_not_null(a);
	g.pid = (pid_t)a->pid;
	g.up = a->up;
	g.ready = a->ready;
	snprintf(g.program, sizeof g.program, "%s", a->program);
	hive__status__free_unpacked(s, NULL);
	return g;
}

/* Waits until the registered, ready gatt is pid. */
static struct gatt_seen await_gatt(pid_t pid, const char *what)
{
	struct gatt_seen g = { 0 };
	for (int waited = 0; waited < TH_DEADLINE_MS; waited += 50) {
		g = gatt_status();
		if (g.pid == pid && g.up && g.ready)
			return g;
		usleep(50 * 1000);
	}
	cr_assert_fail("%s (pid %d) did not take over gatt: the broker has pid %d (up %d, "
		       "ready %d)", what, (int)pid, (int)g.pid, g.up, g.ready);
	return g;
}

static void await_gone(pid_t pid, const char *what)
{
	for (int waited = 0; waited < TH_DEADLINE_MS && th_alive(pid); waited += 20)
		usleep(20 * 1000);
	cr_assert(!th_alive(pid), "%s (pid %d) did not stop when replaced", what, (int)pid);
}

/* The link is still there, on both sides, with the same handle. */
static void expect_link(const char *run_dir, int handle, const char *side)
{
	json_t *conns = ctl_json(run_dir, "connections", "connections");
	json_t *list = json_object_get(conns, "connections");
	cr_assert_eq(json_array_size(list), 1, "the %s has %zu connections, want 1", side,
		     json_array_size(list));
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(list, 0), "handle")),
		     handle, "the %s's link changed handle", side);
	json_decref(conns);
}

Test(swap_python, python_gatt_then_stock_then_python_while_connected, .fini = fini,
     .timeout = 240)
{
	if (!find_python())
		cr_skip_test("python3 is not on PATH; install the Debian packages python3 "
			     "python3-zmq python3-protobuf protobuf-compiler");
	dir = th_run_dir();
	char check_out[600], check_err[600];
	snprintf(check_out, sizeof check_out, "%s/check.out", dir);
	snprintf(check_err, sizeof check_err, "%s/check.err", dir);
	const char *cargv[] = { python, "examples/python/hive_gatt.py", "--check", NULL };
	int st = th_wait_exit(th_spawn(cargv, check_out, check_err), 60000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *why = th_slurp(check_err, NULL);
		cr_skip_test("the Python gatt cannot run here (%s); install the Debian packages "
			     "python3-zmq python3-protobuf protobuf-compiler",
			     why && *why ? strtok(why, "\n") : "no reason given");
	}

	char s0[600], s1[600], prun[600], crun[600], vout[600], script[800];
	snprintf(s0, sizeof s0, "%s/c0", dir);
	snprintf(s1, sizeof s1, "%s/c1", dir);
	snprintf(prun, sizeof prun, "%s/peripheral", dir);
	snprintf(crun, sizeof crun, "%s/central", dir);
	snprintf(vout, sizeof vout, "%s/vctrl.out", dir);
	cr_assert_eq(mkdir(prun, 0700), 0);
	cr_assert_eq(mkdir(crun, 0700), 0);
	const char *vargv[] = { "hive-vctrl", "--unix", s0, "--unix", s1, NULL };
	cr_assert_gt(th_spawn(vargv, vout, NULL), 0);
	cr_assert(th_file_contains(vout, "ready", TH_DEADLINE_MS), "hive-vctrl not ready");

	launch("peripheral-python", s0, prun, "peripheral");
	launch("central", s1, crun, "central");
	watch_p = link_watcher(prun, "swap-watch", &lw_p);
	watch_c = link_watcher(crun, "swap-watch", &lw_c);

	/* The graph's gatt is the Python program. */
	struct gatt_seen py = gatt_status();
	cr_assert(py.up && py.ready, "the Python gatt is not up and ready");
	cr_assert_not_null(strstr(py.program, "hive_gatt.py"), "gatt runs %s, not hive_gatt.py",
			   py.program);

	json_t *adv = ctl_json(prun, "advertise --name hive-python", "advertise");
	snprintf(script, sizeof script, "connect %s", jstr(adv, "address"));
	json_decref(adv);
	json_t *con = ctl_json(crun, script, "connect");
	int handle = (int)json_integer_value(json_object_get(con, "handle"));
	json_decref(con);
	cr_assert_gt(handle, 0);
	cr_assert(th_run_until(watch_p, &lw_p.connected, TH_DEADLINE_MS),
		  "the peripheral's host announced no link");
	cr_assert(th_run_until(watch_c, &lw_c.connected, TH_DEADLINE_MS));

	/* Exchange MTU, then the Python database. */
	json_t *mtu = ctl_json(crun, "mtu 247", "mtu");
	cr_assert_eq(json_integer_value(json_object_get(mtu, "mtu")), 247);
	json_decref(mtu);
	json_t *disc = ctl_json(crun, "discover", "discover");
	json_t *services = json_object_get(disc, "services");
	cr_assert_eq(json_array_size(services), 2, "the Python database has 2 services");
	expect_service(services, "1800", (const char *const[]){ "2a00", "2a01", NULL });
	expect_service(services, PY_SERVICE,
		       (const char *const[]){ PY_GREETING, PY_SCRATCH, NULL });
	int greeting = value_handle(services, PY_GREETING);
	json_decref(disc);
	expect_read(crun, "2a00", "hive-python");
	expect_read(crun, PY_GREETING, "hello from python");
	char by_handle[16];
	snprintf(by_handle, sizeof by_handle, "%d", greeting);
	expect_read(crun, by_handle, "hello from python");
	snprintf(script, sizeof script, "write %s 68697665", PY_SCRATCH);
	json_decref(ctl_json(crun, script, "write"));
	expect_read(crun, PY_SCRATCH, "hive");

	/* The stock actor takes the name over while the link is up. */
	char gout[600], gerr[600];
	snprintf(gout, sizeof gout, "%s/stock-gatt.out", dir);
	snprintf(gerr, sizeof gerr, "%s/stock-gatt.err", dir);
	const char *gargv[] = { "hive-gatt", "--name", "gatt", "--replace", "--run-dir", prun,
				"--set", "db=examples/heart-rate.json", "--log-level", "info", NULL };
	pid_t stock = th_spawn(gargv, gout, gerr);
	cr_assert_gt(stock, 0);
	await_gatt(stock, "the stock hive-gatt");
	await_gone(py.pid, "the Python gatt");
	cr_assert(th_file_contains(gerr, "resumed from the snapshot: ok", TH_DEADLINE_MS),
		  "the stock gatt did not take the Python actor's snapshot");

	disc = ctl_json(crun, "discover", "discover");
	services = json_object_get(disc, "services");
	cr_assert_null(find_service(services, PY_SERVICE), "the Python service is still served");
	expect_service(services, "180d", (const char *const[]){ "2a37", "2a38", NULL });
	expect_service(services, "180f", (const char *const[]){ "2a19", NULL });
	json_decref(disc);
	expect_read(crun, "2a00", "hive-heart");
	json_t *bat = ctl_json(crun, "read 2a19", "read");
	cr_assert_str_eq(jstr(bat, "value"), "5a");
	json_decref(bat);

	/* The launcher did not start the Python actor again to fight for the
	 * name (its restart policy is transient and it exited 0): by now a
	 * restart (after 20 ms) would have been refused by the broker. */
	char perr[600];
	snprintf(perr, sizeof perr, "%s/launch-peripheral.err", dir);
	char *plog = th_slurp(perr, NULL);
	cr_assert(plog && !strstr(plog, "refused actor 'gatt'") && !strstr(plog, "; restart "),
		  "the launcher restarted the replaced Python gatt:\n%s", plog ? plog : "");
	free(plog);
	cr_assert_eq(gatt_status().pid, stock);
	expect_link(crun, handle, "central");
	expect_link(prun, (int)lw_p.handle, "peripheral");

	/* And back to Python, by hand: one Read at the MTU negotiated before
	 * both swaps carries the long greeting whole. */
	char pyout[600], pyerr[600], set[200];
	snprintf(pyout, sizeof pyout, "%s/python-gatt.out", dir);
	snprintf(pyerr, sizeof pyerr, "%s/python-gatt.err", dir);
	snprintf(set, sizeof set, "greeting=%s", LONG_GREETING);
	const char *pargv[] = { python, "examples/python/hive_gatt.py", "--name", "gatt",
				"--replace", "--run-dir", prun, "--set", set, NULL };
	pid_t py2 = th_spawn(pargv, pyout, pyerr);
	cr_assert_gt(py2, 0);
	await_gatt(py2, "the second Python gatt");
	await_gone(stock, "the stock hive-gatt");
	expect_read(crun, by_handle, LONG_GREETING);
	expect_read(crun, "2a00", "hive-python");

	expect_link(crun, handle, "central");
	th_run_until(watch_c, &lw_c.disconnected, 200);
	th_run_until(watch_p, &lw_p.disconnected, 200);
	cr_assert(!lw_c.disconnected && !lw_p.disconnected, "the link went down during the swaps");
}
