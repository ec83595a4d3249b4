/* The device configuration's keystore and io_capability reach smp
 * (launcher/launch_device.c): the command-line rule on its own, then
 * through hive-launch and whole graphs on hive-vctrl: the bond store opens
 * at the configured path, and a peripheral configured "no_input_no_output"
 * can only offer Just Works, which a central asking for MITM protection
 * refuses (the graph's default IO capability gives numeric comparison). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "harness.h"
#include "../../launcher/launch_device.h"

static char *write_config(const char *dir, const char *name, const char *json)
{
	char *path = NULL;
	cr_assert_gt(asprintf(&path, "%s/%s", dir, name), 0);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(json, f);
	fclose(f);
	return path;
}

static void push_set(struct strv *s, const char *kv)
{
	cr_assert_eq(strv_push(s, "--set"), 0);
	cr_assert_eq(strv_push(s, kv), 0);
}

/* The last value of "--set KEY=..." in s, or NULL. */
static const char *set_of(const struct strv *s, const char *key)
{
	const char *v = NULL;
	size_t kl = strlen(key);
	for (size_t i = 0; i + 1 < s->n; i++)
		if (!strcmp(s->v[i], "--set") && !strncmp(s->v[i + 1], key, kl) &&
		    s->v[i + 1][kl] == '=')
			v = s->v[i + 1] + kl + 1;
	return v;
}

Test(launch_device, settings_go_to_smp_unless_it_has_its_own, .fini = th_cleanup)
{
	char *dir = th_run_dir();
	char *cfg = write_config(dir, "dev.json",
				 "{\"name\": \"d\", \"keystore\": \"/tmp/k.sqlite3\", "
				 "\"io_capability\": \"keyboard_only\"}");
	char *bad = write_config(dir, "bad.json", "{\"io_capability\": \"telepathy\"}");
	char set[600], err[600];
	snprintf(set, sizeof set, "config=%s", cfg);

	/* No device configuration: nothing. */
	struct strv host = { 0 }, smp = { 0 };
	cr_assert_eq(launch_device_settings(&host, &smp, err, sizeof err), 0);
	cr_assert_eq(smp.n, 0);

	/* Both given to smp. */
	push_set(&host, set);
	push_set(&smp, "pairing_policy=accept");
	cr_assert_eq(launch_device_settings(&host, &smp, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(set_of(&smp, "keystore"), "/tmp/k.sqlite3");
	cr_assert_str_eq(set_of(&smp, "io_cap"), "keyboard_only");
	strv_free(&smp);

	/* smp's own keystore wins; the IO capability still comes. */
	push_set(&smp, "keystore=/own.sqlite3");
	cr_assert_eq(launch_device_settings(&host, &smp, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(set_of(&smp, "keystore"), "/own.sqlite3");
	cr_assert_str_eq(set_of(&smp, "io_cap"), "keyboard_only");
	strv_free(&smp);

	/* A configuration that does not load is an error that names the key. */
	snprintf(set, sizeof set, "config=%s", bad);
	push_set(&host, set);
	cr_assert_lt(launch_device_settings(&host, &smp, err, sizeof err), 0);
	cr_assert(strstr(err, "io_capability"), "%s", err);
	strv_free(&host);
	strv_free(&smp);
	free(cfg);
	free(bad);
	free(dir);
}

Test(launch_device, hive_launch_opens_the_configured_bond_store, .fini = th_cleanup,
     .timeout = 120)
{
	struct e2e *e = calloc(1, sizeof *e);
	cr_assert_not_null(e);
	char *d = th_run_dir();
	snprintf(e->dir, sizeof e->dir, "%s", d);
	free(d);
	e->p.label = "peripheral";
	e->c.label = "central";
	cr_assert(e2e_start_vctrl(e), "%s", e->err);
	char ks[600], json[900], set[700], cwd[600], graph[800], transport[700], run[700];
	char out[700], err[700];
	snprintf(ks, sizeof ks, "%s/device-bonds.sqlite3", e->dir);
	snprintf(json, sizeof json,
		 "{\"name\": \"hive-p\", \"keystore\": \"%s\", \"io_capability\": "
		 "\"display_only\"}",
		 ks);
	char *cfg = write_config(e->dir, "dev.json", json);
	snprintf(set, sizeof set, "host.config=%s", cfg);
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	snprintf(graph, sizeof graph, "%s/launcher/graphs/peripheral.json", cwd);
	snprintf(transport, sizeof transport, "unix:%s", e->p.sock);
	snprintf(run, sizeof run, "%s/run", e->dir);
	snprintf(out, sizeof out, "%s/launch.out", e->dir);
	snprintf(err, sizeof err, "%s/launch.err", e->dir);
	mkdir(run, 0700);
	const char *argv[] = { "hive-launch", graph, "--transport", transport, "--run-dir", run,
			       "--set", set, NULL };
	pid_t launch = th_spawn(argv, out, err);
	cr_assert_gt(launch, 0);
	cr_assert(th_file_contains(out, "ready", E2E_DEADLINE_MS), "the graph did not start (%s)",
		  err);
	/* smp opened its store at the configured path. */
	struct stat st;
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while (stat(ks, &st) != 0 && hive_now_ns() < deadline)
		usleep(10000);
	cr_assert_eq(stat(ks, &st), 0, "no bond store at %s (see %s)", ks, err);
	th_kill(launch, SIGTERM);
	free(cfg);
	free(e);
}

/* The central asks for MITM protection; returns the Result's status. */
static int32_t pair_mitm(struct e2e *e)
{
	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = e->c.handle;
	p.mitm = true;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	sr.pair = &p;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	bool ok = e2e_call(e, &e->c, "smp", &req, "pair");
	cr_assert(ok || e->result, "%s", e->err);
	cr_assert(ok || e->result->domain == HIVE__RESULT__DOMAIN__SMP, "%s", e->err);
	return ok ? 0 : e->result->status;
}

static void fini_e2e(void)
{
	if (E) {
		e2e_teardown(E);
		free(E);
		E = NULL;
	}
	th_cleanup();
}

/* With the graph's default IO capability (display_yes_no) this pairing is
 * numeric comparison (test_smp_e2e sc_numeric_comparison); configured
 * "no_input_no_output", the peripheral can only offer Just Works, which
 * the central, wanting MITM protection, refuses: SMP Authentication
 * Requirements (0x03). */
Test(launch_device, the_configured_io_capability_reaches_smp, .fini = fini_e2e,
     .timeout = 240)
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	char *d = th_run_dir();
	char *cfg = write_config(d, "dev.json",
				 "{\"name\": \"hive-p\", \"io_capability\": \"no_input_no_output\"}");
	char set[700];
	snprintf(set, sizeof set, "host.config=%s", cfg);
	const char *const psets[] = { set, NULL };
	cr_assert(e2e_setup(E, psets, true), "%s", E->err);
	cr_assert_eq(pair_mitm(E), 0x03, "%s", E->err);
	free(cfg);
	free(d);
}
