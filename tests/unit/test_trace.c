/* hive-trace end to end: a real hive-broker, in-process "hci" and "host"
 * actors exchanging a realistic HCI conversation, and hive-trace attached
 * to the tap as a real process. The btsnoop capture must decode cleanly in
 * btmon and tshark.
 *
 * A tap subscription reaches the broker asynchronously, so the actors keep
 * talking in rounds until the tracer has what it asked for (--count) and
 * exits; every wait has a deadline. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* ---- the conversation ------------------------------------------------------------- */

struct hci_step {
	bool from_hci; /* hci>host (controller to host), else host>hci */
	Hive__HciPacket__Type type;
	uint8_t len;
	uint8_t b[24];
};

#define CMD HIVE__HCI_PACKET__TYPE__COMMAND
#define EVT HIVE__HCI_PACKET__TYPE__EVENT
#define ACL HIVE__HCI_PACKET__TYPE__ACL

/* Reset, advertising as a peripheral, a central connects and reads an
 * attribute, then the host disconnects. */
static const struct hci_step conversation[] = {
	/* HCI_Reset, Command Complete */
	{ false, CMD, 3, { 0x03, 0x0c, 0x00 } },
	{ true, EVT, 6, { 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 } },
	/* LE Set Advertising Parameters: 100 ms, ADV_IND, public, all channels */
	{ false, CMD, 18, { 0x06, 0x20, 0x0f, 0xa0, 0x00, 0xa0, 0x00, 0x00, 0x00, 0x00,
			    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00 } },
	{ true, EVT, 6, { 0x0e, 0x04, 0x01, 0x06, 0x20, 0x00 } },
	/* LE Set Advertising Enable, Command Complete */
	{ false, CMD, 4, { 0x0a, 0x20, 0x01, 0x01 } },
	{ true, EVT, 6, { 0x0e, 0x04, 0x01, 0x0a, 0x20, 0x00 } },
	/* LE Connection Complete: handle 0x0040, peripheral, 30 ms, 2 s */
	{ true, EVT, 21, { 0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, 0x01, 0x00, 0x11, 0x22, 0x33,
			   0x44, 0x55, 0x66, 0x18, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00 } },
	/* ACL in: ATT Read Request for handle 0x0003 on CID 4 */
	{ true, ACL, 11, { 0x40, 0x20, 0x07, 0x00, 0x03, 0x00, 0x04, 0x00, 0x0a, 0x03, 0x00 } },
	/* ACL out: ATT Read Response "hive" */
	{ false, ACL, 13, { 0x40, 0x00, 0x09, 0x00, 0x05, 0x00, 0x04, 0x00, 0x0b, 'h', 'i',
			    'v', 'e' } },
	/* Number of Completed Packets: handle 0x0040, 1 */
	{ true, EVT, 7, { 0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00 } },
	/* Disconnect (remote user terminated), Command Status, Disconnection Complete */
	{ false, CMD, 6, { 0x06, 0x04, 0x03, 0x40, 0x00, 0x13 } },
	{ true, EVT, 6, { 0x0f, 0x04, 0x00, 0x01, 0x06, 0x04 } },
	{ true, EVT, 6, { 0x05, 0x04, 0x00, 0x40, 0x00, 0x16 } },
};
#define ROUND ((int)(sizeof conversation / sizeof conversation[0]))

struct graph {
	char *dir;
	pid_t broker;
	struct hive_actor *host;
	struct hive_actor *hci;
	/* Optional bystanders talking on other pipes. */
	struct hive_actor *gatt;
	struct hive_actor *l2cap;
	struct hive_actor *hci2;
	uint64_t hci_in[2]; /* HciPackets received by host [0] and hci [1] */
	char out[512];
	char err[512];
};

static void on_hci(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		   void *arg)
{
	(*(uint64_t *)arg)++;
}

static void graph_actors(struct graph *g)
{
	g->host = th_actor(g->dir, "host");
	g->hci = th_actor(g->dir, "hci");
	cr_assert(g->host && g->hci);
	hive_on(g->host, HIVE__ENVELOPE__BODY_HCI, on_hci, &g->hci_in[0]);
	hive_on(g->hci, HIVE__ENVELOPE__BODY_HCI, on_hci, &g->hci_in[1]);
}

static void graph_start(struct graph *g, bool bystanders)
{
	memset(g, 0, sizeof *g);
	g->dir = th_run_dir();
	cr_assert_not_null(g->dir);
	g->broker = th_start_broker(g->dir, NULL);
	cr_assert_gt(g->broker, 0, "hive-broker did not start");
	graph_actors(g);
	if (bystanders) {
		g->gatt = th_actor(g->dir, "gatt");
		g->l2cap = th_actor(g->dir, "l2cap");
		g->hci2 = th_actor(g->dir, "hci2");
		cr_assert(g->gatt && g->l2cap && g->hci2);
	}
	snprintf(g->out, sizeof g->out, "%s/trace.out", g->dir);
	snprintf(g->err, sizeof g->err, "%s/trace.err", g->dir);
}

static void graph_stop(struct graph *g)
{
	hive_actor_destroy(&g->host);
	hive_actor_destroy(&g->hci);
	hive_actor_destroy(&g->gatt);
	hive_actor_destroy(&g->l2cap);
	hive_actor_destroy(&g->hci2);
	free(g->dir);
}

static int actors(const struct graph *g, struct hive_actor *a[5])
{
	struct hive_actor *all[5] = { g->host, g->hci, g->gatt, g->l2cap, g->hci2 };
	int n = 0;
	for (int i = 0; i < 5; i++)
		if (all[i])
			a[n++] = all[i];
	return n;
}

/* Runs every actor's loop until none has anything to do. */
static void pump(struct graph *g, int timeout_ms)
{
	struct hive_actor *a[5];
	int n = actors(g, a);
	for (int round = 0; round < 100; round++) {
		int did = 0;
		for (int i = 0; i < n; i++)
			did |= hive_run_once(a[i], round == 0 ? timeout_ms : 0) > 0;
		if (!did)
			return;
	}
}

static void send_env(struct graph *g, struct hive_actor *a, const char *dest,
		     Hive__Envelope *env)
{
	for (int tries = 0; tries < 1000; tries++) {
		int rc = hive_send(a, dest, env);
		if (rc != -EAGAIN) {
			cr_assert_eq(rc, 0, "hive_send to %s: %d", dest, rc);
			return;
		}
		pump(g, 1); /* back-pressure: let the pipe drain */
	}
	cr_assert_fail("the pipe to %s stayed full", dest);
}

static void send_hci(struct graph *g, const struct hci_step *s)
{
	Hive__HciPacket h = HIVE__HCI_PACKET__INIT;
	h.type = s->type;
	h.data.data = (uint8_t *)s->b;
	h.data.len = s->len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &h;
	/* Like real layers, each side answers what it received: wait for the
	 * packet to arrive before the next step, so the broker sees (and the
	 * tap shows) the conversation in its causal order. */
	struct hive_actor *to = s->from_hci ? g->host : g->hci;
	uint64_t *in = &g->hci_in[s->from_hci ? 0 : 1];
	uint64_t want = *in + 1;
	send_env(g, s->from_hci ? g->hci : g->host, s->from_hci ? "host" : "hci", &env);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (*in < want) {
		cr_assert_lt(hive_now_ns(), deadline, "an HciPacket was not delivered");
		if (hive_run_once(to, 5) < 0)
			cr_assert_fail("the actor loop stopped");
	}
}

static void send_ping(struct graph *g, struct hive_actor *a, const char *dest, uint64_t id)
{
	uint8_t payload[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	Hive__Ping p = HIVE__PING__INIT;
	p.id = id;
	p.payload.data = payload;
	p.payload.len = sizeof payload;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PING;
	env.ping = &p;
	send_env(g, a, dest, &env);
}

/* One round of the conversation; with bystanders, talk on other pipes too,
 * including host>hci2 whose topic starts with the subscribed "host>hci". */
static void send_round(struct graph *g)
{
	for (int i = 0; i < ROUND; i++) {
		if (g->gatt && i % 3 == 0) {
			send_ping(g, g->gatt, "l2cap", (uint64_t)i);
			send_ping(g, g->l2cap, "gatt", (uint64_t)i);
			send_ping(g, g->host, "hci2", (uint64_t)i);
			send_ping(g, g->hci2, "host", (uint64_t)i);
		}
		send_hci(g, &conversation[i]);
	}
	pump(g, 0);
}

/* Keeps the graph talking until pid exits; returns its wait status, or
 * -1 when the deadline passed. */
static int talk_until_exit(struct graph *g, pid_t pid, int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		int st = th_wait_exit(pid, 0);
		if (st >= 0)
			return st;
		if (hive_now_ns() > deadline)
			return -1;
		send_round(g);
		pump(g, 2);
	}
}

/* Keeps the graph talking until path contains needle. */
static bool talk_until_file_has(struct graph *g, const char *path, const char *needle,
				int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (hive_now_ns() < deadline) {
		send_round(g);
		pump(g, 2);
		char *s = th_slurp(path, NULL);
		bool found = s && strstr(s, needle);
		free(s);
		if (found)
			return true;
	}
	return false;
}

/* Waits until the broker counts n tap subscriptions. */
static bool wait_tap_subscriptions(struct graph *g, uint32_t n)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (hive_now_ns() < deadline) {
		Hive__Status *s = th_status(g->host, TH_DEADLINE_MS);
		cr_assert_not_null(s, "the broker does not answer Status");
		uint32_t subs = s->tap_subscriptions;
		hive__status__free_unpacked(s, NULL);
		if (subs == n)
			return true;
		pump(g, 5); /* a subscription is on its way: give it time */
	}
	return false;
}

static pid_t spawn_trace(struct graph *g, const char *const extra[])
{
	const char *argv[24] = { "hive-trace", "--run-dir", g->dir, "-o", g->out };
	int n = 5;
	for (int i = 0; extra[i] && n < 23; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid_t pid = th_spawn(argv, NULL, g->err);
	cr_assert_gt(pid, 0);
	return pid;
}

static void assert_exit0(int st, const struct graph *g, const char *what)
{
	char *err = th_slurp(g->err, NULL);
	cr_assert_neq(st, -1, "%s did not finish in time; its stderr: %s", what, err);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s ended with status 0x%x; stderr: %s",
		  what, st, err);
	free(err);
}

/* ---- btmon and tshark -------------------------------------------------------------- */

static bool find_tool(const char *name, char *buf, size_t cap)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof dirs, "%s:/usr/bin:/usr/sbin:/bin",
		 path && *path ? path : "/usr/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, cap, "%s/%s", d, name);
		if (access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

/* Runs a decoder on the capture; returns its stdout (malloc'd). */
static char *decode_with(const char *tool, const char *const args[], const char *dir)
{
	char path[1024];
	cr_assert(find_tool(tool, path, sizeof path),
		  "%s is not installed; `make deps` installs bluez and tshark", tool);
	const char *argv[16] = { path };
	int n = 1;
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	char out[600], err[600];
	snprintf(out, sizeof out, "%s/%s.out", dir, tool);
	snprintf(err, sizeof err, "%s/%s.err", dir, tool); /* tshark warns as root */
	pid_t pid = th_spawn(argv, out, err);
	cr_assert_gt(pid, 0);
	int st = th_wait_exit(pid, 60000);
	char *text = th_slurp(out, NULL);
	char *errs = th_slurp(err, NULL);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "%s failed (status 0x%x): %s\n%s", tool, st, text, errs);
	cr_assert_not_null(text);
	free(errs);
	return text;
}

static void assert_clean(const char *tool, const char *text)
{
	static const char *const bad[] = { "Malformed", "malformed", "MALFORMED", "invalid",
					   "Invalid", "INVALID", "Expert Info (Error",
					   "Expert Info (Warning" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_null(strstr(text, bad[i]), "%s reports \"%s\":\n%s", tool, bad[i],
			       text);
}

static void assert_has(const char *tool, const char *text, const char *needle)
{
	cr_assert(strstr(text, needle), "%s output lacks \"%s\":\n%s", tool, needle, text);
}

TestSuite(trace, .fini = th_cleanup, .timeout = 120);

/* Two rounds of records: a whole round is in the capture wherever it
 * started. */
#define BTSNOOP_RECORDS "26"

Test(trace, btsnoop_decodes_cleanly_in_btmon_and_tshark)
{
	struct graph g;
	graph_start(&g, false);
	const char *const opts[] = { "--format", "btsnoop", "--count", BTSNOOP_RECORDS, NULL };
	pid_t pid = spawn_trace(&g, opts);
	/* Start the conversation once the tracer's two subscriptions (hci>host,
	 * host>hci) reached the broker, so the capture holds whole rounds and
	 * every ACL packet follows its connection's LE Connection Complete. */
	cr_assert(wait_tap_subscriptions(&g, 2), "the tracer never subscribed");
	assert_exit0(talk_until_exit(&g, pid, TH_DEADLINE_MS * 3), &g, "hive-trace");

	size_t len;
	char *cap = th_slurp(g.out, &len);
	cr_assert_not_null(cap);
	cr_assert_geq(len, 16 + 26 * 25);
	cr_assert_eq(memcmp(cap, "btsnoop\0\0\0\0\1\0\0\3\xea", 16), 0, "not a btsnoop H4 file");
	free(cap);

	const char *const btmon_args[] = { "-r", g.out, NULL };
	char *btmon = decode_with("btmon", btmon_args, g.dir);
	assert_clean("btmon", btmon);
	assert_has("btmon", btmon, "Reset");
	assert_has("btmon", btmon, "Command Complete");
	assert_has("btmon", btmon, "LE Set Advertising Parameters");
	assert_has("btmon", btmon, "LE Connection Complete");
	assert_has("btmon", btmon, "ATT: Read Request");
	assert_has("btmon", btmon, "ATT: Read Response");
	assert_has("btmon", btmon, "Number of Completed Packets");
	assert_has("btmon", btmon, "Disconnect Complete");
	free(btmon);

	/* -V for the details, -P for the summary lines (HCI_CMD ... Reset). */
	const char *const tshark_args[] = { "-r", g.out, "-V", "-P", NULL };
	char *tshark = decode_with("tshark", tshark_args, g.dir);
	assert_clean("tshark", tshark);
	assert_has("tshark", tshark, "HCI_CMD");
	assert_has("tshark", tshark, "Reset");
	assert_has("tshark", tshark, "HCI_EVT");
	assert_has("tshark", tshark, "Command Complete");
	assert_has("tshark", tshark, "LE Connection Complete");
	assert_has("tshark", tshark, "Read Request");
	assert_has("tshark", tshark, "Read Response");
	assert_has("tshark", tshark, "Disconnect Complete");
	assert_has("tshark", tshark, "Sent");
	assert_has("tshark", tshark, "Rcvd");
	free(tshark);
	graph_stop(&g);
}

/* Lines of a file, split in place (the buffer is the caller's to free). */
static size_t split_lines(char *text, char **lines, size_t max)
{
	size_t n = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < max;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	return n;
}

Test(trace, text_lines_show_time_pipe_size_and_decode)
{
	struct graph g;
	graph_start(&g, false);
	const char *const opts[] = { "--pipe", "host:hci", "--count", "26", NULL };
	pid_t pid = spawn_trace(&g, opts);
	assert_exit0(talk_until_exit(&g, pid, TH_DEADLINE_MS * 3), &g, "hive-trace");

	char *text = th_slurp(g.out, NULL);
	cr_assert_not_null(text);
	cr_assert(strstr(text, "host>hci "), "%s", text);
	cr_assert(strstr(text, "hci command opcode=0x0c03 (Reset) ogf=0x03 ocf=0x003 plen=0"),
		  "%s", text);
	cr_assert(strstr(text, "hci>host "), "%s", text);
	cr_assert(strstr(text, "hci event code=0x0e (Command Complete) plen=4 ncmd=1 "
			       "command=0x0c03 (Reset) status=0x00"), "%s", text);
	cr_assert(strstr(text, "hci acl handle=0x0040 pb=2 bc=0 len=7 l2cap_len=3 cid=0x0004"),
		  "%s", text);
	char *lines[64];
	size_t n = split_lines(text, lines, 64);
	cr_assert_eq(n, 26, "%zu lines", n);
	for (size_t i = 0; i < n; i++) {
		char sign, pipe[140];
		unsigned long long s, us;
		size_t size;
		int got = sscanf(lines[i], "%c%llu.%6llu %139s %zuB hci ", &sign, &s, &us, pipe,
				 &size);
		cr_assert_eq(got, 5, "line %zu: %s", i, lines[i]);
		cr_assert(sign == '+' || sign == '-', "%s", lines[i]);
		cr_assert(strcmp(pipe, "host>hci") == 0 || strcmp(pipe, "hci>host") == 0, "%s",
			  lines[i]);
		cr_assert_gt(size, 0);
		cr_assert_null(strchr(lines[i], '['), "a decode error: %s", lines[i]);
	}
	cr_assert(strncmp(lines[0], "+0.000000 ", 10) == 0, "time starts at 0: %s", lines[0]);
	free(text);
	graph_stop(&g);
}

Test(trace, json_lines_each_parse)
{
	struct graph g;
	graph_start(&g, false);
	/* No --pipe: everything on the tap. */
	const char *const opts[] = { "--format", "json", "--count", "30", NULL };
	pid_t pid = spawn_trace(&g, opts);
	assert_exit0(talk_until_exit(&g, pid, TH_DEADLINE_MS * 3), &g, "hive-trace");

	char *text = th_slurp(g.out, NULL);
	cr_assert_not_null(text);
	char *lines[64];
	size_t n = split_lines(text, lines, 64);
	cr_assert_eq(n, 30);
	bool saw_reset = false, saw_conn = false;
	for (size_t i = 0; i < n; i++) {
		json_error_t err;
		json_t *j = json_loads(lines[i], 0, &err);
		cr_assert_not_null(j, "line %zu does not parse (%s): %s", i, err.text, lines[i]);
		cr_assert(json_is_integer(json_object_get(j, "time_ns")), "%s", lines[i]);
		cr_assert(json_is_integer(json_object_get(j, "seq")), "%s", lines[i]);
		cr_assert(json_is_integer(json_object_get(j, "size")), "%s", lines[i]);
		const char *src = json_string_value(json_object_get(j, "source"));
		const char *dst = json_string_value(json_object_get(j, "destination"));
		cr_assert(src && dst, "%s", lines[i]);
		cr_assert_str_eq(json_string_value(json_object_get(j, "body")), "hci");
		cr_assert(json_is_string(json_object_get(j, "type")), "%s", lines[i]);
		cr_assert(json_is_string(json_object_get(j, "data")), "%s", lines[i]);
		cr_assert_null(json_object_get(j, "error"), "%s", lines[i]);
		const char *name = json_string_value(json_object_get(j, "opcode_name"));
		saw_reset |= name && strcmp(name, "Reset") == 0 && strcmp(src, "host") == 0;
		const char *sub = json_string_value(json_object_get(j, "subevent_name"));
		saw_conn |= sub && strcmp(sub, "LE Connection Complete") == 0 &&
			    strcmp(src, "hci") == 0;
		json_decref(j);
	}
	cr_assert(saw_reset && saw_conn, "two rounds hold a Reset and a connection");
	free(text);
	graph_stop(&g);
}

Test(trace, delivers_only_the_pipes_asked_for)
{
	struct graph g;
	graph_start(&g, true);
	const char *const opts[] = { "--pipe", "host:hci", "--count", "40", NULL };
	pid_t pid = spawn_trace(&g, opts);
	assert_exit0(talk_until_exit(&g, pid, TH_DEADLINE_MS * 3), &g, "hive-trace");

	char *text = th_slurp(g.out, NULL);
	cr_assert_not_null(text);
	char *lines[64];
	size_t n = split_lines(text, lines, 64);
	cr_assert_eq(n, 40);
	for (size_t i = 0; i < n; i++) {
		cr_assert(strstr(lines[i], " host>hci ") || strstr(lines[i], " hci>host "),
			  "another pipe leaked in: %s", lines[i]);
		cr_assert_null(strstr(lines[i], "ping"), "%s", lines[i]);
	}
	free(text);
	graph_stop(&g);
}

Test(trace, says_no_graph_is_running)
{
	char *dir = th_run_dir();
	char out[512], err[512];
	snprintf(out, sizeof out, "%s/out", dir);
	snprintf(err, sizeof err, "%s/err", dir);
	const char *const argv[] = { "hive-trace", "--run-dir", dir, NULL };
	pid_t pid = th_spawn(argv, out, err);
	int st = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1, "status 0x%x", st);
	char *msg = th_slurp(err, NULL);
	cr_assert(msg && strstr(msg, "no graph is running at") && strstr(msg, dir) &&
		  strstr(msg, "(no tap socket); start one with hive-launch or pass --run-dir"),
		  "%s", msg);
	free(msg);

	/* A tap socket left by a broker that was killed is no graph either. */
	pid_t broker = th_start_broker(dir, NULL);
	cr_assert_gt(broker, 0);
	th_kill(broker, SIGKILL);
	pid = th_spawn(argv, out, err);
	st = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1, "status 0x%x", st);
	msg = th_slurp(err, NULL);
	cr_assert(msg && strstr(msg, "no graph is running at"), "%s", msg);
	free(msg);
	free(dir);
}

Test(trace, waits_for_a_graph_with_wait)
{
	char *dir = th_run_dir();
	char out[512], err[512];
	snprintf(out, sizeof out, "%s/trace.out", dir);
	snprintf(err, sizeof err, "%s/trace.err", dir);
	const char *const argv[] = { "hive-trace", "--run-dir", dir, "--wait", "--pipe",
				     "host:hci", "--count", "4", "-o", out, NULL };
	pid_t pid = th_spawn(argv, NULL, err);
	cr_assert_gt(pid, 0);

	struct graph g;
	memset(&g, 0, sizeof g);
	g.dir = dir;
	g.broker = th_start_broker(dir, NULL);
	cr_assert_gt(g.broker, 0);
	graph_actors(&g);
	snprintf(g.err, sizeof g.err, "%s", err);
	assert_exit0(talk_until_exit(&g, pid, TH_DEADLINE_MS * 3), &g, "hive-trace --wait");
	char *text = th_slurp(out, NULL);
	char *lines[8];
	cr_assert_eq(split_lines(text, lines, 8), 4);
	free(text);
	graph_stop(&g);
}

struct inbox {
	uint64_t pings;
};

static void on_ping(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	((struct inbox *)arg)->pings++;
}

Test(trace, detaches_on_sigterm_without_disturbing_the_graph)
{
	struct graph g;
	graph_start(&g, false);
	const char *const opts[] = { "--pipe", "hci:host", NULL };
	pid_t pid = spawn_trace(&g, opts);
	cr_assert(talk_until_file_has(&g, g.out, "(Disconnection Complete)",
				      TH_DEADLINE_MS * 3), "nothing traced");
	kill(pid, SIGTERM);
	int st = th_wait_exit(pid, TH_DEADLINE_MS);
	assert_exit0(st, &g, "hive-trace after SIGTERM");
	size_t len;
	char *text = th_slurp(g.out, &len);
	cr_assert(len > 0 && text[len - 1] == '\n', "the last line is whole");
	free(text);

	/* A tracer killed outright leaves nothing behind either. */
	pid = spawn_trace(&g, opts);
	cr_assert(talk_until_file_has(&g, g.out, "(Reset)", TH_DEADLINE_MS * 3));
	th_kill(pid, SIGKILL);

	/* The tap goes quiet: no subscription left once the tracers are gone. */
	cr_assert(wait_tap_subscriptions(&g, 0),
		  "the broker still publishes for a tracer that left");

	/* And the graph still talks. */
	struct inbox in = { 0 };
	hive_on(g.hci, HIVE__ENVELOPE__BODY_PING, on_ping, &in);
	for (uint64_t i = 0; i < 100; i++)
		send_ping(&g, g.host, "hci", i);
	uint64_t deadline2 = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (in.pings < 100 && hive_now_ns() < deadline2)
		pump(&g, 5);
	cr_assert_eq(in.pings, 100);
	graph_stop(&g);
}
