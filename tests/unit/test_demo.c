/* hive-demo, the program behind `make run`: two whole graphs on hive-vctrl,
 * driven step by step. It must end with status 0 within its deadline and
 * print every step, the numeric comparison, five heart rate notifications
 * and the trace summary. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

static char *dir;

static void fini(void)
{
	th_cleanup();
	free(dir);
	dir = NULL;
}

Test(demo, runs_every_step_and_exits_0, .fini = fini, .timeout = 120)
{
	char out[600], err[600];
	dir = th_run_dir();
	snprintf(out, sizeof out, "%s/demo.out", dir);
	snprintf(err, sizeof err, "%s/demo.err", dir);
	/* The demo's work folder (run dirs, sockets, logs) inside ours. */
	setenv("TMPDIR", dir, 1);
	const char *argv[] = { "hive-demo", NULL };
	pid_t pid = th_spawn(argv, out, err);
	cr_assert_gt(pid, 0);
	int st = th_wait_exit(pid, 60000);
	char *text = th_slurp(out, NULL);
	char *etext = th_slurp(err, NULL);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "hive-demo failed (status %d)\nstdout:\n%s\nstderr:\n%s", st, text ? text : "",
		  etext ? etext : "");
	cr_assert_not_null(text);
	static const char *const steps[] = {
		"[1/9] started", "[2/9] advertising", "[3/9] scanned", "[4/9] connected",
		"[5/9] paired: LE Secure Connections, numeric comparison",
		"[6/9] discovered: 5 services", "[7/9] read: device name \"hive-heart\", battery level",
		"[8/9] subscribed", "[9/9] disconnected", "trace: messages per pipe",
		"stopped: every process ended; exit 0",
	};
	const char *at = text;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		const char *p = strstr(at, steps[i]);
		cr_assert_not_null(p, "no \"%s\" (in order) in:\n%s", steps[i], text);
		at = p;
	}
	/* Five notifications, in order, between the subscription and the end. */
	const char *sub = strstr(text, "[8/9]"), *end = strstr(text, "[9/9]");
	for (int i = 1; i <= 5; i++) {
		char want[40];
		snprintf(want, sizeof want, "(notification %d/5)", i);
		const char *p = strstr(sub, want);
		cr_assert(p && p < end, "no %s between [8/9] and [9/9] in:\n%s", want, text);
		sub = p;
	}
	cr_assert_null(strstr(text, "(notification 6/5)"));
	/* The busiest pipe of both graphs is counted. */
	cr_assert_not_null(strstr(text, "hci<->host"), "no hci<->host count in:\n%s", text);
	free(text);
	free(etext);
}
