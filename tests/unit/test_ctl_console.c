/* hive-ctl as a console: protocol codes in words, the script splitter and
 * tokenizer, -c and -f scripts, the interactive mode on a pseudo-terminal
 * (line editing, Tab completion, history) and the live scan table. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../tools/ctl_errors.h"
#include "../../tools/ctl_script.h"
#include "harness.h"

/* ---- error words ---------------------------------------------------------------- */

static void expect_words(int domain, int code, const char *want)
{
	char got[200];
	ctl_code_text(domain, code, got, sizeof got);
	cr_assert_str_eq(got, want);
}

Test(ctl_errors, codes_in_words)
{
	expect_words(HIVE__RESULT__DOMAIN__ATT, 0x0a, "ATT error 0x0a Attribute Not Found");
	expect_words(HIVE__RESULT__DOMAIN__ATT, 0x05, "ATT error 0x05 Insufficient Authentication");
	expect_words(HIVE__RESULT__DOMAIN__ATT, 0x85, "ATT error 0x85 Application Error");
	expect_words(HIVE__RESULT__DOMAIN__ATT, 0x14, "ATT error 0x14 (unknown code)");
	expect_words(HIVE__RESULT__DOMAIN__HCI, 0x3e,
		     "HCI status 0x3e Connection Failed to be Established");
	expect_words(HIVE__RESULT__DOMAIN__HCI, 0x13, "HCI status 0x13 Remote User Terminated "
						      "Connection");
	expect_words(HIVE__RESULT__DOMAIN__HCI, 0x0c, "HCI status 0x0c Command Disallowed");
	expect_words(HIVE__RESULT__DOMAIN__SMP, 0x04, "SMP 0x04 Confirm Value Failed");
	expect_words(HIVE__RESULT__DOMAIN__SMP, 0x0c, "SMP 0x0c Numeric Comparison Failed");
	expect_words(HIVE__RESULT__DOMAIN__L2CAP, 0x02, "L2CAP result 0x0002 SPSM Not Supported");
	expect_words(HIVE__RESULT__DOMAIN__LOCAL, -ETIMEDOUT, strerror(ETIMEDOUT));
}

Test(ctl_errors, every_defined_code_has_a_name)
{
	for (int c = 0x01; c <= 0x13; c++)
		cr_assert_not_null(ctl_att_error_name(c), "ATT 0x%02x", c);
	for (int c = 0xfc; c <= 0xff; c++)
		cr_assert_not_null(ctl_att_error_name(c), "ATT 0x%02x", c);
	for (int c = 0x01; c <= 0x45; c++)
		if (c != 0x2b && c != 0x31 && c != 0x33)
			cr_assert_not_null(ctl_hci_status_name(c), "HCI 0x%02x", c);
	for (int c = 0x01; c <= 0x10; c++)
		cr_assert_not_null(ctl_smp_reason_name(c), "SMP 0x%02x", c);
	cr_assert_null(ctl_hci_status_name(0x2b));
	cr_assert_null(ctl_smp_reason_name(0x11));
	cr_assert_null(ctl_smp_reason_name(-1));
	cr_assert_null(ctl_att_error_name(0x00));
}

Test(ctl_errors, result_text_joins_the_actor_words_and_the_code)
{
	Hive__Result r = HIVE__RESULT__INIT;
	char out[300];
	r.status = 0x0a;
	r.domain = HIVE__RESULT__DOMAIN__ATT;
	r.error = "read of 0x0003 failed";
	ctl_result_text(&r, out, sizeof out);
	cr_assert_str_eq(out, "read of 0x0003 failed (ATT error 0x0a Attribute Not Found)");
	r.error = "";
	ctl_result_text(&r, out, sizeof out);
	cr_assert_str_eq(out, "ATT error 0x0a Attribute Not Found");
	r.status = 0x04;
	r.domain = HIVE__RESULT__DOMAIN__SMP;
	r.error = "pairing failed";
	ctl_result_text(&r, out, sizeof out);
	cr_assert_str_eq(out, "pairing failed (SMP 0x04 Confirm Value Failed)");
	r.status = -ENOTCONN;
	r.domain = HIVE__RESULT__DOMAIN__LOCAL;
	r.error = "no such connection handle";
	ctl_result_text(&r, out, sizeof out);
	cr_assert_str_eq(out, "no such connection handle");
	r.error = NULL;
	ctl_result_text(&r, out, sizeof out);
	cr_assert_str_eq(out, strerror(ENOTCONN));
	r.status = 0x3e;
	r.domain = HIVE__RESULT__DOMAIN__HCI;
	r.error = "connection failed";
	ctl_result_text(&r, out, sizeof out);
	cr_assert_str_eq(out, "connection failed (HCI status 0x3e Connection Failed to be "
			      "Established)");
	cr_assert_str_eq(ctl_domain_name(HIVE__RESULT__DOMAIN__HCI), "hci");
}

/* ---- scripts and words -------------------------------------------------------------- */

/* The commands of a script, joined with '|'. */
static void split(const char *script, char *out, size_t cap)
{
	out[0] = '\0';
	const char *p = script;
	for (;;) {
		size_t n = ctl_command_end(p);
		size_t l = strlen(out);
		snprintf(out + l, cap - l, "%s%.*s", l ? "|" : "", (int)n, p);
		if (!p[n])
			break;
		p += n + 1;
	}
}

Test(ctl_script, semicolons_and_newlines_split_outside_quotes)
{
	char out[300];
	split("connect 00:11:22:33:44:55; discover; read 0x0003", out, sizeof out);
	cr_assert_str_eq(out, "connect 00:11:22:33:44:55| discover| read 0x0003");
	split("status\nping gatt\n", out, sizeof out);
	cr_assert_str_eq(out, "status|ping gatt|");
	split("write 0x0003 \"a;b\nc\"; read 'x;y'", out, sizeof out);
	cr_assert_str_eq(out, "write 0x0003 \"a;b\nc\"| read 'x;y'");
	split("write 1 \"q\\\";\"; status", out, sizeof out);
	cr_assert_str_eq(out, "write 1 \"q\\\";\"| status");
	split("", out, sizeof out);
	cr_assert_str_eq(out, "");
}

Test(ctl_script, tokenizer_quotes_escapes_comments)
{
	const char *line = "write 0x0003 \"hello world\" 'it''s' \"a\\\"b\" # not this";
	char buf[100], *argv[10];
	int n = ctl_tokenize(line, buf, argv, 10);
	cr_assert_eq(n, 5);
	cr_assert_str_eq(argv[0], "write");
	cr_assert_str_eq(argv[1], "0x0003");
	cr_assert_str_eq(argv[2], "hello world");
	cr_assert_str_eq(argv[3], "its");
	cr_assert_str_eq(argv[4], "a\"b");
	cr_assert_eq(ctl_tokenize("  \t\r\n", buf, argv, 10), 0);
	cr_assert_eq(ctl_tokenize("# a comment line", buf, argv, 10), 0);
	cr_assert_eq(ctl_tokenize("read \"open", buf, argv, 10), -1);
	cr_assert_eq(ctl_tokenize("a b c", buf, argv, 2), -1);
}

/* ---- the program: -c, -f, a terminal ------------------------------------------------ */

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
	dir = NULL;
}

static int run_ctl(const char *const extra[], char **out, char **err)
{
	char opath[600], epath[600];
	const char *argv[16] = { "hive-ctl", "--run-dir", dir };
	int n = 3;
	while (*extra)
		argv[n++] = *extra++;
	argv[n] = NULL;
	snprintf(opath, sizeof opath, "%s/ctl.out", dir);
	snprintf(epath, sizeof epath, "%s/ctl.err", dir);
	pid_t pid = th_spawn(argv, opath, epath);
	cr_assert_gt(pid, 0);
	int st = th_wait_exit(pid, TH_DEADLINE_MS * 3);
	cr_assert_neq(st, -1, "hive-ctl did not finish");
	*out = th_slurp(opath, NULL);
	*err = th_slurp(epath, NULL);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(ctl_run, script_file_and_newlines, .init = setup, .fini = teardown, .timeout = 60)
{
	char path[600], *out, *err;
	snprintf(path, sizeof path, "%s/script.hive", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("# a script file\nstatus\n\nping broker-nobody-here   # fails\nstatus\n", f);
	fclose(f);
	const char *fail[] = { "--timeout", "0.5", "-f", path, NULL };
	cr_assert_eq(run_ctl(fail, &out, &err), 1, "stdout: %s\nstderr: %s", out, err);
	cr_assert(strstr(err, "ping: broker-nobody-here did not answer within 500 ms"), "%s", err);
	char *second = strstr(out, "ACTOR");
	cr_assert(second && strstr(second + 1, "ACTOR"), "both statuses ran: %s", out);
	free(out);
	free(err);

	const char *ok[] = { "--json", "-c", "status\nstatus; status", NULL };
	cr_assert_eq(run_ctl(ok, &out, &err), 0, "stderr: %s", err);
	int lines = 0;
	for (char *p = out; (p = strchr(p, '\n')); p++)
		lines++;
	cr_assert_eq(lines, 3, "%s", out);
	free(out);
	free(err);

	const char *missing[] = { "-f", "/nonexistent/script", NULL };
	cr_assert_eq(run_ctl(missing, &out, &err), 1);
	cr_assert(strstr(err, "-f /nonexistent/script: No such file"), "%s", err);
	free(out);
	free(err);
}

/* hive-ctl on the slave side of a pseudo-terminal; we type on the master. */
struct term {
	pid_t pid;
	int fd;
	char buf[1 << 16];
	size_t len, mark;
};

static void term_start(struct term *t, const char *const args[])
{
	char bin[600], home[700];
	const char *argv[16] = { "hive-ctl", "--run-dir", dir };
	int n = 3;
	while (*args)
		argv[n++] = *args++;
	argv[n] = NULL;
	th_bin(bin, sizeof bin, "hive-ctl");
	snprintf(home, sizeof home, "%s/home", dir);
	mkdir(home, 0700);
	int slave;
	struct winsize ws = { .ws_row = 40, .ws_col = 132 };
	memset(t, 0, sizeof *t);
	cr_assert_eq(openpty(&t->fd, &slave, NULL, NULL, &ws), 0);
	t->pid = fork();
	cr_assert_geq(t->pid, 0);
	if (t->pid == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(slave);
		close(t->fd);
		setenv("HOME", home, 1);
		setenv("TERM", "xterm", 1);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(slave);
}

/* Reads until needle appears after the last match. */
static bool term_expect(struct term *t, const char *needle, int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		t->buf[t->len] = '\0';
		char *hit = strstr(t->buf + t->mark, needle);
		if (hit) {
			t->mark = (size_t)(hit - t->buf) + strlen(needle);
			return true;
		}
		uint64_t now = hive_now_ns();
		if (now >= deadline || t->len + 1 >= sizeof t->buf)
			return false;
		struct pollfd p = { .fd = t->fd, .events = POLLIN };
		if (poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1) <= 0)
			continue;
		ssize_t r = read(t->fd, t->buf + t->len, sizeof t->buf - 1 - t->len);
		if (r <= 0)
			return false;
		t->len += (size_t)r;
	}
}

static void term_type(struct term *t, const char *s)
{
	cr_assert_eq(write(t->fd, s, strlen(s)), (ssize_t)strlen(s));
}

static int term_exit(struct term *t)
{
	int st = -1;
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (hive_now_ns() < deadline) {
		char sink[4096];
		/* Keep the terminal drained so the child never blocks writing. */
		while (read(t->fd, sink, sizeof sink) > 0)
			;
		if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
			t->pid = 0;
			break;
		}
		usleep(20000);
	}
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
	}
	close(t->fd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(ctl_run, interactive_on_a_terminal, .init = setup, .fini = teardown, .timeout = 60)
{
	struct term *t = calloc(1, sizeof *t);
	const char *none[] = { NULL };
	term_start(t, none);
	fcntl(t->fd, F_SETFL, O_NONBLOCK);
	cr_assert(term_expect(t, "> ", TH_DEADLINE_MS), "no prompt: %s", t->buf);
	term_type(t, "status\n");
	cr_assert(term_expect(t, "ACTOR", TH_DEADLINE_MS), "no status table: %s", t->buf);
	cr_assert(term_expect(t, "> ", TH_DEADLINE_MS), "no second prompt: %s", t->buf);
	/* Tab completes the command name, then an option of it. */
	term_type(t, "sta\t");
	cr_assert(term_expect(t, "tus", TH_DEADLINE_MS), "sta<TAB> not completed: %s", t->buf);
	term_type(t, "\n");
	cr_assert(term_expect(t, "ACTOR", TH_DEADLINE_MS), "completed line not run: %s", t->buf);
	cr_assert(term_expect(t, "> ", TH_DEADLINE_MS));
	term_type(t, "wait-ready --tim\t");
	cr_assert(term_expect(t, "eout", TH_DEADLINE_MS), "option not completed: %s", t->buf);
	term_type(t, "\025"); /* Ctrl-U: drop the line */
	term_type(t, "quit\n");
	cr_assert_eq(term_exit(t), 0, "%s", t->buf);
	free(t);
	char hist[700];
	snprintf(hist, sizeof hist, "%s/home/.hive_history", dir);
	char *h = th_slurp(hist, NULL);
	cr_assert(h && strstr(h, "status") && strstr(h, "quit"), "history: %s", h ? h : "(none)");
	free(h);
}

/* ---- the live scan table ------------------------------------------------------------- */

/* Sends an HCI command as H4 and waits for its Command Complete. */
static void h4_cmd(int fd, uint16_t op, const uint8_t *p, uint8_t n)
{
	uint8_t b[260] = { 0x01, (uint8_t)op, (uint8_t)(op >> 8), n };
	if (n)
		memcpy(b + 4, p, n);
	cr_assert_eq(write(fd, b, 4u + n), 4 + n);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	uint8_t in[300];
	size_t len = 0;
	while (hive_now_ns() < deadline) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t r = read(fd, in + len, sizeof in - len);
		cr_assert_gt(r, 0);
		len += (size_t)r;
		/* 04 0e LEN NCMD OP_LO OP_HI STATUS */
		while (len >= 3 && len >= 3u + in[2]) {
			size_t pk = 3u + in[2];
			if (in[0] == 0x04 && in[1] == 0x0e && in[2] >= 4 && in[4] == (uint8_t)op &&
			    in[5] == (uint8_t)(op >> 8)) {
				cr_assert_eq(in[6], 0, "HCI command 0x%04x failed: 0x%02x", op, in[6]);
				return;
			}
			memmove(in, in + pk, len - pk);
			len -= pk;
		}
	}
	cr_assert_fail("no Command Complete for 0x%04x", op);
}

Test(ctl_scan, live_table_until_a_key, .fini = teardown, .timeout = 90)
{
	char s0[600], s1[600], vout[600], run[600], lout[600], graph[2300], cwd[2048], tr[700],
		ks[700];
	dir = th_run_dir();
	snprintf(s0, sizeof s0, "%s/c0", dir);
	snprintf(s1, sizeof s1, "%s/c1", dir);
	snprintf(vout, sizeof vout, "%s/vctrl.out", dir);
	snprintf(run, sizeof run, "%s/central", dir);
	snprintf(lout, sizeof lout, "%s/launch.out", dir);
	cr_assert_eq(mkdir(run, 0700), 0);
	const char *vargv[] = { "hive-vctrl", "--unix", s0, "--unix", s1, NULL };
	cr_assert_gt(th_spawn(vargv, vout, NULL), 0);
	cr_assert(th_file_contains(vout, "ready", TH_DEADLINE_MS), "hive-vctrl not ready");

	/* The peer: a raw H4 host on c0 advertising a name and Heart Rate. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cr_assert_lt(strlen(s0), sizeof sa.sun_path);
	memcpy(sa.sun_path, s0, strlen(s0) + 1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	h4_cmd(fd, 0x0c03, NULL, 0); /* Reset */
	const uint8_t params[15] = { 0x20, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07, 0 };
	h4_cmd(fd, 0x2006, params, sizeof params);
	uint8_t data[32] = { 19, 2, 0x01, 0x06, 11, 0x09, 'p', 't', 'y', '-', 'b', 'e', 'a', 'c',
			     'o', 'n', 3, 0x03, 0x0d, 0x18 };
	h4_cmd(fd, 0x2008, data, sizeof data);
	const uint8_t on = 1;
	h4_cmd(fd, 0x200a, &on, 1);

	/* The central: a whole graph on c1. */
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	snprintf(graph, sizeof graph, "%s/launcher/graphs/central.json", cwd);
	snprintf(tr, sizeof tr, "unix:%s", s1);
	snprintf(ks, sizeof ks, "smp.keystore=%s/bonds.sqlite3", dir);
	const char *largv[] = { "hive-launch", graph, "--transport", tr, "--run-dir", run,
				"--set", ks, NULL };
	cr_assert_gt(th_spawn(largv, lout, NULL), 0);
	cr_assert(th_file_contains(lout, "ready", TH_DEADLINE_MS * 2), "central graph not ready");

	struct term *t = calloc(1, sizeof *t);
	const char *args[] = { "-c", "scan", NULL };
	/* term_start runs on dir: point it at the central's run directory. */
	char *saved = dir;
	dir = run;
	term_start(t, args);
	dir = saved;
	fcntl(t->fd, F_SETFL, O_NONBLOCK);
	cr_assert(term_expect(t, "ADDRESS", TH_DEADLINE_MS), "no table: %s", t->buf);
	cr_assert(term_expect(t, "pty-beacon", TH_DEADLINE_MS), "peer not in the table: %s",
		  t->buf);
	cr_assert(strstr(t->buf, "180d"), "no service: %s", t->buf);
	cr_assert(term_expect(t, "press a key to stop", TH_DEADLINE_MS), "%s", t->buf);
	/* Redrawn in place: the cursor moves up over the previous table. */
	cr_assert(term_expect(t, "\033[", TH_DEADLINE_MS), "no redraw: %s", t->buf);
	term_type(t, "q");
	cr_assert(term_expect(t, "1 device\r\n", TH_DEADLINE_MS), "no final table: %s", t->buf);
	cr_assert_eq(term_exit(t), 0, "%s", t->buf);
	free(t);
	close(fd);
}

/* ---- device configuration examples, ATT errors in words -------------------------------- */

static pid_t launch_dev(const char *graph, const char *sock, const char *run, const char *dev)
{
	char cwd[2048], g[2300], tr[700], ks[700], cfg[2400], out[700];
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	snprintf(g, sizeof g, "%s/launcher/graphs/%s.json", cwd, graph);
	snprintf(tr, sizeof tr, "unix:%s", sock);
	snprintf(ks, sizeof ks, "smp.keystore=%s/bonds.sqlite3", run);
	snprintf(cfg, sizeof cfg, "host.config=%s/examples/devices/%s.json", cwd, dev);
	snprintf(out, sizeof out, "%s/launch.out", run);
	cr_assert_eq(mkdir(run, 0700), 0);
	const char *argv[] = { "hive-launch", g,  "--transport", tr,  "--run-dir", run,
			       "--set",       ks, "--set",       cfg, NULL };
	pid_t pid = th_spawn(argv, out, NULL);
	cr_assert_gt(pid, 0);
	cr_assert(th_file_contains(out, "ready", TH_DEADLINE_MS * 2), "%s graph with %s not ready",
		  graph, dev);
	return pid;
}

/* hive-ctl --json -c script on run; its exit code, stdout and stderr. */
static int ctl_on(const char *run, const char *script, char **out, char **err)
{
	char *saved = dir;
	dir = (char *)run;
	const char *args[] = { "--json", "-c", script, NULL };
	int rc = run_ctl(args, out, err);
	dir = saved;
	return rc;
}

static json_t *last_json(const char *out)
{
	const char *nl = out + strlen(out);
	while (nl > out && nl[-1] == '\n')
		nl--;
	const char *start = nl;
	while (start > out && start[-1] != '\n')
		start--;
	json_t *j = json_loadb(start, (size_t)(nl - start), 0, NULL);
	cr_assert_not_null(j, "not JSON: %s", out);
	return j;
}

Test(ctl_stack, device_examples_and_att_error_words, .fini = teardown, .timeout = 120)
{
	char s[3][600], vout[600], prun[600], crun[600], xrun[600], script[200];
	char *out, *err;
	dir = th_run_dir();
	for (int i = 0; i < 3; i++)
		snprintf(s[i], sizeof s[i], "%s/c%d", dir, i);
	snprintf(vout, sizeof vout, "%s/vctrl.out", dir);
	snprintf(prun, sizeof prun, "%s/private", dir);
	snprintf(crun, sizeof crun, "%s/central", dir);
	snprintf(xrun, sizeof xrun, "%s/peripheral", dir);
	const char *vargv[] = { "hive-vctrl", "--unix", s[0], "--unix", s[1], "--unix", s[2], NULL };
	cr_assert_gt(th_spawn(vargv, vout, NULL), 0);
	cr_assert(th_file_contains(vout, "ready", TH_DEADLINE_MS), "hive-vctrl not ready");
	launch_dev("peripheral", s[0], prun, "privacy");
	launch_dev("central", s[1], crun, "central");
	launch_dev("peripheral", s[2], xrun, "peripheral");

	/* peripheral.json: its static random address. */
	cr_assert_eq(ctl_on(xrun, "advertise", &out, &err), 0, "%s", err);
	json_t *j = last_json(out);
	cr_assert_str_eq(json_string_value(json_object_get(j, "address")), "C4:11:22:33:44:55");
	json_decref(j);
	free(out);
	free(err);
	cr_assert_eq(ctl_on(xrun, "advertise off", &out, &err), 0, "%s", err);
	free(out);
	free(err);

	/* privacy.json: a resolvable private address (top bits 01). */
	cr_assert_eq(ctl_on(prun, "advertise", &out, &err), 0, "%s", err);
	j = last_json(out);
	const char *addr = json_string_value(json_object_get(j, "address"));
	cr_assert_not_null(addr);
	unsigned top;
	cr_assert_eq(sscanf(addr, "%2x", &top), 1);
	cr_assert_eq(top >> 6, 1, "not a resolvable private address: %s", addr);
	cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "random");
	snprintf(script, sizeof script, "connect %s --random", addr);
	json_decref(j);
	free(out);
	free(err);

	/* The central (central.json) connects to the private address; a read
	 * of a handle the peer lacks fails with the ATT error in words. */
	cr_assert_eq(ctl_on(crun, script, &out, &err), 0, "%s\n%s", out, err);
	j = last_json(out);
	cr_assert_gt(json_integer_value(json_object_get(j, "handle")), 0);
	json_decref(j);
	free(out);
	free(err);
	cr_assert_eq(ctl_on(crun, "read 0x0fff", &out, &err), 1, "%s\n%s", out, err);
	cr_assert(strstr(err, "ATT error 0x01 Invalid Handle"), "stderr: %s", err);
	j = last_json(out);
	cr_assert(json_is_false(json_object_get(j, "ok")));
	cr_assert_str_eq(json_string_value(json_object_get(j, "domain")), "att");
	cr_assert_eq(json_integer_value(json_object_get(j, "code")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(j, "reason")),
			 "ATT error 0x01 Invalid Handle");
	json_decref(j);
	free(out);
	free(err);
}
