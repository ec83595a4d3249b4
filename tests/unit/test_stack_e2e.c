/* The whole stack, twice, on one virtual radio: hive-vctrl serves two
 * controllers; hive-launch runs launcher/graphs/peripheral.json (gatt
 * serving examples/heart-rate.json) on one and launcher/graphs/central.json
 * on the other, each with its own run directory, broker and bond store.
 * hive-ctl drives both as a person would: advertise, scan, connect,
 * discover, read, pair (LE Secure Connections, numeric comparison),
 * subscribe and notify, disconnect. A watcher on each graph subscribes to
 * the host's link events to see what the other side did. */
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

static char *dir;
static struct hive_actor *watch_p, *watch_c;
static int ctl_runs;

static struct link_watch lw_p, lw_c;

static void fini(void)
{
	hive_actor_destroy(&watch_p);
	hive_actor_destroy(&watch_c);
	th_cleanup();
	free(dir);
	dir = NULL;
}

/* Starts hive-ctl --json -c script on a graph; out is its stdout path. */
static pid_t ctl_start(const char *run_dir, const char *script, char *out, size_t cap)
{
	char err[600];
	int n = ++ctl_runs;
	snprintf(out, cap, "%s/ctl%02d.out", dir, n);
	snprintf(err, sizeof err, "%s/ctl%02d.err", dir, n);
	const char *argv[] = { "hive-ctl", "--run-dir", run_dir, "--json", "-c", script, NULL };
	pid_t pid = th_spawn(argv, out, err);
	cr_assert_gt(pid, 0);
	return pid;
}

/* Waits for a hive-ctl run to succeed; returns its stdout (malloc'd). */
static char *ctl_finish(pid_t pid, const char *script, const char *out)
{
	int st = th_wait_exit(pid, CTL_DEADLINE_MS);
	char *text = th_slurp(out, NULL);
	char err_path[600];
	snprintf(err_path, sizeof err_path, "%.*serr", (int)(strlen(out) - 3), out);
	char *err = th_slurp(err_path, NULL);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "hive-ctl -c '%s' failed (status %d)\nstdout: %s\nstderr: %s", script, st,
		  text ? text : "", err ? err : "");
	free(err);
	cr_assert_not_null(text);
	return text;
}

/* Runs a script and returns the JSON object of the last line whose
 * "command" is cmd. */
static json_t *ctl_json(const char *run_dir, const char *script, const char *cmd)
{
	char out[600];
	pid_t pid = ctl_start(run_dir, script, out, sizeof out);
	char *text = ctl_finish(pid, script, out);
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
	cr_assert_not_null(found, "no '%s' answer in the output of '%s'", cmd, script);
	cr_assert(json_is_true(json_object_get(found, "ok")), "'%s' not ok", script);
	free(text);
	return found;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	cr_assert_not_null(s, "no string '%s'", key);
	return s;
}

static pid_t launch(const char *graph, const char *sock, const char *run_dir,
		    const char *keystore, const char *tag)
{
	char cwd[2048], path[2300], transport[700], ks[700], out[600], err[600];
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	snprintf(path, sizeof path, "%s/launcher/graphs/%s.json", cwd, graph);
	snprintf(transport, sizeof transport, "unix:%s", sock);
	snprintf(ks, sizeof ks, "smp.keystore=%s", keystore);
	snprintf(out, sizeof out, "%s/launch-%s.out", dir, tag);
	snprintf(err, sizeof err, "%s/launch-%s.err", dir, tag);
	const char *argv[] = { "hive-launch", path,  "--transport", transport, "--run-dir",
			       run_dir,       "--set", ks,            NULL };
	pid_t pid = th_spawn(argv, out, err);
	cr_assert_gt(pid, 0);
	return pid;
}

/* The characteristic UUIDs of a service in a discover answer. */
static void expect_service(json_t *services, const char *uuid, const char *const chars[])
{
	size_t i;
	json_t *s, *found = NULL;
	json_array_foreach(services, i, s) {
		if (!strcmp(jstr(s, "uuid"), uuid))
			found = s;
	}
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

static json_t *find_char(json_t *services, const char *uuid)
{
	size_t i, k;
	json_t *s, *ch;
	json_array_foreach(services, i, s) {
		json_array_foreach(json_object_get(s, "characteristics"), k, ch) {
			if (!strcmp(jstr(ch, "uuid"), uuid))
				return ch;
		}
	}
	cr_assert_fail("characteristic %s not discovered", uuid);
	return NULL;
}

Test(stack_e2e, peripheral_and_central_over_vctrl, .fini = fini, .timeout = 180)
{
	char s0[600], s1[600], prun[600], crun[600], pks[600], cks[600], vout[600], script[800];
	dir = th_run_dir();
	snprintf(s0, sizeof s0, "%s/c0", dir);
	snprintf(s1, sizeof s1, "%s/c1", dir);
	snprintf(prun, sizeof prun, "%s/peripheral", dir);
	snprintf(crun, sizeof crun, "%s/central", dir);
	snprintf(pks, sizeof pks, "%s/peripheral-bonds.sqlite3", dir);
	snprintf(cks, sizeof cks, "%s/central-bonds.sqlite3", dir);
	snprintf(vout, sizeof vout, "%s/vctrl.out", dir);
	cr_assert_eq(mkdir(prun, 0700), 0);
	cr_assert_eq(mkdir(crun, 0700), 0);

	const char *vargv[] = { "hive-vctrl", "--unix", s0, "--unix", s1, NULL };
	cr_assert_gt(th_spawn(vargv, vout, NULL), 0);
	cr_assert(th_file_contains(vout, "ready", TH_DEADLINE_MS), "hive-vctrl not ready");

	launch("peripheral", s0, prun, pks, "peripheral");
	launch("central", s1, crun, cks, "central");
	char p_out[700], c_out[700];
	snprintf(p_out, sizeof p_out, "%s/launch-peripheral.out", dir);
	snprintf(c_out, sizeof c_out, "%s/launch-central.out", dir);
	cr_assert(th_file_contains(p_out, "ready", TH_DEADLINE_MS), "peripheral graph not ready");
	cr_assert(th_file_contains(c_out, "ready", TH_DEADLINE_MS), "central graph not ready");

	watch_p = link_watcher(prun, "e2e-watch", &lw_p);
	watch_c = link_watcher(crun, "e2e-watch", &lw_c);

	/* The peripheral advertises with a name; the central hears it. */
	json_t *adv = ctl_json(prun, "advertise --name hive-heart", "advertise");
	char addr[32];
	snprintf(addr, sizeof addr, "%s", jstr(adv, "address"));
	json_decref(adv);

	json_t *scan = ctl_json(crun, "scan --seconds 1", "scan");
	size_t i;
	json_t *d;
	bool heard = false;
	json_array_foreach(json_object_get(scan, "devices"), i, d) {
		if (!strcmp(jstr(d, "address"), addr)) {
			cr_assert_str_eq(jstr(d, "name"), "hive-heart");
			cr_assert(json_is_true(json_object_get(d, "connectable")));
			heard = true;
		}
	}
	json_decref(scan);
	cr_assert(heard, "the central's scan did not hear %s", addr);

	/* Connect; both hosts announce the link. */
	snprintf(script, sizeof script, "connect %s", addr);
	json_t *con = ctl_json(crun, script, "connect");
	int handle = (int)json_integer_value(json_object_get(con, "handle"));
	json_decref(con);
	cr_assert_gt(handle, 0);
	cr_assert(th_run_until(watch_p, &lw_p.connected, TH_DEADLINE_MS),
		  "the peripheral's host announced no link");
	cr_assert(th_run_until(watch_c, &lw_c.connected, TH_DEADLINE_MS));
	cr_assert_eq((int)lw_c.handle, handle);

	/* Discovery matches examples/heart-rate.json. */
	json_t *disc = ctl_json(crun, "discover", "discover");
	json_t *services = json_object_get(disc, "services");
	expect_service(services, "1800", (const char *const[]){ "2a00", "2a01", "2a04", NULL });
	expect_service(services, "180d", (const char *const[]){ "2a37", "2a38", NULL });
	expect_service(services, "180f", (const char *const[]){ "2a19", NULL });
	expect_service(services, "180a", (const char *const[]){ "2a29", "2a24", NULL });
	json_t *hrm = find_char(services, "2a37");
	int hrm_value = (int)json_integer_value(json_object_get(hrm, "value_handle"));
	cr_assert_eq(json_integer_value(json_object_get(hrm, "properties")), 0x10);
	cr_assert_eq(json_array_size(json_object_get(hrm, "descriptors")), 1, "no CCCD on 2a37");
	cr_assert_str_eq(jstr(json_array_get(json_object_get(hrm, "descriptors"), 0), "uuid"),
			 "2902");
	cr_assert_eq(json_integer_value(json_object_get(find_char(services, "2a19"), "properties")),
		     0x12);
	json_decref(disc);

	/* The device name and the battery level. */
	json_t *name = ctl_json(crun, "read 2a00", "read");
	cr_assert_str_eq(jstr(name, "value"), "686976652d6865617274"); /* "hive-heart" */
	json_decref(name);
	json_t *bat = ctl_json(crun, "read 2a19", "read");
	cr_assert_str_eq(jstr(bat, "value"), "5a");
	json_decref(bat);

	/* LE Secure Connections with numeric comparison (MITM asked, both
	 * sides display_yes_no); the peripheral's smp accepts by policy. */
	snprintf(script, sizeof script, "pair %d --sc --mitm --yes", handle);
	json_t *pair = ctl_json(crun, script, "pair");
	cr_assert_str_eq(jstr(pair, "method"), "numeric comparison");
	cr_assert(json_is_true(json_object_get(pair, "sc")));
	cr_assert(json_is_true(json_object_get(pair, "authenticated")));
	json_decref(pair);
	cr_assert(th_run_until(watch_p, &lw_p.encrypted, TH_DEADLINE_MS),
		  "the peripheral saw no encryption change");
	cr_assert(th_run_until(watch_c, &lw_c.encrypted, TH_DEADLINE_MS));
	json_t *conns = ctl_json(prun, "connections", "connections");
	json_t *c0 = json_array_get(json_object_get(conns, "connections"), 0);
	cr_assert(json_is_true(json_object_get(c0, "encrypted")), "peripheral link not encrypted");
	cr_assert_eq(json_integer_value(json_object_get(c0, "key_size")), 16,
		     "the peripheral's host does not know the key size");
	json_decref(conns);
	conns = ctl_json(crun, "connections", "connections");
	c0 = json_array_get(json_object_get(conns, "connections"), 0);
	cr_assert(json_is_true(json_object_get(c0, "encrypted")), "central link not encrypted");
	cr_assert_eq(json_integer_value(json_object_get(c0, "key_size")), 16,
		     "the central's host does not know the key size");
	json_decref(conns);

	/* Subscribe on the central; the peripheral notifies five values. */
	char sub_out[600];
	const char *sub_script = "subscribe 2a37 --count 5 --timeout 20";
	pid_t sub = ctl_start(crun, sub_script, sub_out, sizeof sub_out);
	cr_assert(th_file_contains(sub_out, "\"ok\":true", CTL_DEADLINE_MS),
		  "the central did not subscribe");
	script[0] = 0;
	for (int k = 0; k < 5; k++) {
		size_t l = strlen(script);
		snprintf(script + l, sizeof script - l, "notify %d 00%02x; ", hrm_value, 70 + k);
	}
	json_decref(ctl_json(prun, script, "notify"));
	char *text = ctl_finish(sub, sub_script, sub_out);
	int got = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		json_t *j = json_loads(line, 0, NULL);
		const char *ev = json_string_value(json_object_get(j, "event"));
		if (ev && !strcmp(ev, "notification")) {
			char want[16];
			snprintf(want, sizeof want, "00%02x", 70 + got);
			cr_assert_eq(json_integer_value(json_object_get(j, "handle")), hrm_value);
			cr_assert_str_eq(jstr(j, "value"), want, "notification %d out of order", got);
			got++;
		}
		json_decref(j);
	}
	free(text);
	cr_assert_eq(got, 5, "%d notifications of 5 arrived", got);

	/* Disconnect; both sides see it. */
	snprintf(script, sizeof script, "disconnect %d", handle);
	json_decref(ctl_json(crun, script, "disconnect"));
	cr_assert(th_run_until(watch_c, &lw_c.disconnected, TH_DEADLINE_MS));
	cr_assert(th_run_until(watch_p, &lw_p.disconnected, TH_DEADLINE_MS),
		  "the peripheral saw no disconnection");
	conns = ctl_json(prun, "connections", "connections");
	cr_assert_eq(json_array_size(json_object_get(conns, "connections")), 0);
	json_decref(conns);
}
