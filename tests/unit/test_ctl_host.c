/* hive-ctl's host commands against two real graphs (broker, hive-hci,
 * hive-host each) on one hive-vctrl: advertise in A, scan in B and see A's
 * name and UUID, connect, the connection table, RSSI, PHY, parameters,
 * disconnect, advertise off; text and --json. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

static char *dir[2], *vdir;
static struct hive_actor *probe[2];
static int runs;

static bool host_ready(int i)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (hive_now_ns() < deadline) {
		Hive__Status *st = th_status(probe[i], TH_DEADLINE_MS);
		if (!st)
			return false;
		const Hive__ActorStatus *s = th_status_find(st, "host");
		bool ready = s && s->up && s->ready;
		hive__status__free_unpacked(st, NULL);
		if (ready)
			return true;
		hive_run_once(probe[i], 20);
	}
	return false;
}

static void setup(void)
{
	vdir = th_run_dir();
	char out[600], p[2][300];
	snprintf(out, sizeof out, "%s/vctrl.out", vdir);
	for (int i = 0; i < 2; i++)
		snprintf(p[i], sizeof p[i], "%s/ctrl%d", vdir, i);
	const char *v[] = { "hive-vctrl", "--unix", p[0], "--unix", p[1], "--adv-min-ms", "10", NULL };
	cr_assert_gt(th_spawn(v, out, NULL), 0);
	cr_assert(th_file_contains(out, "ready\n", TH_DEADLINE_MS));
	for (int i = 0; i < 2; i++) {
		dir[i] = th_run_dir();
		cr_assert_gt(th_start_broker(dir[i], NULL), 0);
		probe[i] = th_actor(dir[i], "probe");
		cr_assert_not_null(probe[i]);
		char transport[700], log[1200], hlog[1200];
		snprintf(transport, sizeof transport, "unix:%s", p[i]);
		snprintf(log, sizeof log, "%s/hci.log", dir[i]);
		snprintf(hlog, sizeof hlog, "%s/host.log", dir[i]);
		const char *hci[] = { "hive-hci", "--run-dir", dir[i], "--transport", transport, NULL };
		const char *host[] = { "hive-host", "--run-dir", dir[i], NULL };
		cr_assert_gt(th_spawn(hci, NULL, log), 0);
		cr_assert_gt(th_spawn(host, NULL, hlog), 0);
		cr_assert(host_ready(i), "host %d not ready (%s)", i, hlog);
	}
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++)
		hive_actor_destroy(&probe[i]);
	th_cleanup();
	for (int i = 0; i < 2; i++)
		free(dir[i]);
	free(vdir);
}

TestSuite(ctl_host, .init = setup, .fini = teardown, .timeout = 120);

/* Runs hive-ctl on graph i; returns its stdout (malloc'd) and checks the
 * exit status. */
static char *ctl(int i, bool json, const char *cmds, int want_status)
{
	char out[700], err[700];
	snprintf(out, sizeof out, "%s/ctl%d.out", vdir, runs);
	snprintf(err, sizeof err, "%s/ctl%d.err", vdir, runs++);
	const char *argv[] = { "hive-ctl", "--run-dir", dir[i], "-c", cmds, json ? "--json" : NULL,
			       NULL };
	if (json) {
		argv[3] = "--json";
		argv[4] = "-c";
		argv[5] = cmds;
	}
	pid_t pid = th_spawn(argv, out, err);
	cr_assert_gt(pid, 0);
	int st = th_wait_exit(pid, 30000);
	char *text = th_slurp(out, NULL), *etext = th_slurp(err, NULL);
	cr_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == want_status,
		  "hive-ctl -c '%s' ended with 0x%x:\n%s\n%s", cmds, st, text ? text : "",
		  etext ? etext : "");
	free(etext);
	return text ? text : strdup("");
}

Test(ctl_host, advertise_scan_connect_and_the_link_commands)
{
	char *o = ctl(0, true, "advertise --name hive-a --uuid 180d --interval 20", 0);
	cr_assert(strstr(o, "\"ok\":true"), "%s", o);
	const char *at = strstr(o, "\"address\":\"");
	cr_assert_not_null(at, "%s", o);
	char addr[18];
	memcpy(addr, at + 11, 17);
	addr[17] = 0;
	bool random = strstr(o, "\"type\":\"random\"") != NULL;
	free(o);

	o = ctl(1, false, "scan --seconds 1", 0);
	cr_assert(strstr(o, addr) && strstr(o, "hive-a") && strstr(o, "uuids 180d"), "%s", o);
	free(o);
	o = ctl(1, true, "scan --seconds 1 --passive", 0);
	cr_assert(strstr(o, "\"devices\"") && strstr(o, addr), "%s", o);
	free(o);

	char cmd[200];
	snprintf(cmd, sizeof cmd, "connect %s%s --timeout 5", addr, random ? " --random" : "");
	o = ctl(1, false, cmd, 0);
	cr_assert(strstr(o, "connected: handle 0x"), "%s", o);
	free(o);
	o = ctl(1, true, "connections", 0);
	cr_assert(strstr(o, "\"role\":\"central\"") && strstr(o, addr), "%s", o);
	free(o);
	o = ctl(0, false, "connections", 0);
	cr_assert(strstr(o, "peripheral"), "%s", o);
	free(o);
	o = ctl(1, true, "rssi", 0);
	cr_assert(strstr(o, "\"rssi\""), "%s", o);
	free(o);
	o = ctl(1, false, "conn-update --interval 20 --timeout 2000; phy 2m", 0);
	cr_assert(strstr(o, "parameters updated") && strstr(o, "PHY updated"), "%s", o);
	free(o);
	/* The peripheral cannot update by itself: a clear failure. */
	free(ctl(0, false, "conn-update", 1));
	o = ctl(1, false, "disconnect", 0);
	cr_assert(strstr(o, "disconnected: handle"), "%s", o);
	free(o);
	free(ctl(1, false, "disconnect", 1)); /* nothing left to disconnect */
	o = ctl(0, false, "advertise off", 0);
	cr_assert(strstr(o, "advertising stopped"), "%s", o);
	free(o);
	o = ctl(0, true, "connect 11:22:33:44:55:66 --timeout 1", 1);
	cr_assert(strstr(o, "\"ok\":false"), "%s", o);
	free(o);
}

Test(ctl_host, extended_advertising_long_data_scan_phy_and_connect_on_2m)
{
	/* 300 bytes of manufacturer data in two AD structures. */
	char cmd[1200], hex[700] = "";
	for (int s = 0; s < 2; s++) {
		size_t l = strlen(hex);
		snprintf(hex + l, sizeof hex - l, "95ffffff");
		for (int k = 0; k < 146; k++) {
			l = strlen(hex);
			snprintf(hex + l, sizeof hex - l, "%02x", (s * 146 + k) & 0xff);
		}
	}
	snprintf(cmd, sizeof cmd, "advertise --extended --phy 2m --data %s", hex);
	char *o = ctl(0, true, cmd, 0);
	cr_assert(strstr(o, "\"extended_commands\":true"), "%s", o);
	const char *at = strstr(o, "\"address\":\"");
	cr_assert_not_null(at, "%s", o);
	char addr[18];
	memcpy(addr, at + 11, 17);
	addr[17] = 0;
	bool random = strstr(o, "\"type\":\"random\"") != NULL;
	free(o);

	o = ctl(1, false, "scan --seconds 1", 0);
	cr_assert(strstr(o, addr) && strstr(o, "1M/2M"), "%s", o);
	free(o);
	o = ctl(1, true, "scan --seconds 1", 0);
	cr_assert(strstr(o, "\"data_len\":300") && strstr(o, "\"secondary_phy\":2"), "%s", o);
	free(o);
	free(ctl(1, false, "advertise --phy 4m", 1)); /* a clear refusal */

	snprintf(cmd, sizeof cmd, "connect %s%s --phy 1m --phy 2m", addr,
		 random ? " --random" : "");
	free(ctl(1, true, cmd, 0));
	/* The host reads the new link's PHY right after the connection. */
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	bool on_2m = false;
	while (!on_2m && hive_now_ns() < deadline) {
		o = ctl(1, true, "connections", 0);
		on_2m = strstr(o, "\"tx_phy\":2") != NULL;
		free(o);
	}
	cr_assert(on_2m, "the connection is not on 2M");
}
