/* One graph across machines, the scenario on one machine: three
 * network namespaces joined by veth pairs (netns_util.h). A runs the
 * central's broker with hci, host and l2cap; B runs its gatt and smp,
 * started by hand and registering over tcp with CURVE; C runs the peer
 * graph. Both controllers are on one hive-vctrl. The test (root namespace)
 * drives both graphs as their app over ipc:
 *
 *   connect, GATT discovery and LE Secure Connections pairing done by gatt
 *   and smp in B; notifications from the peer reaching the central's app
 *   through l2cap (A) -> gatt (B) -> app; then B's veth is cut: gatt and smp
 *   are declared down within the 3 s heartbeat bound (Status and the
 *   launcher's log); the veth comes back: both register again, the link and
 *   its encryption survived, notifications flow and a read is answered;
 *   stopping the central's launcher stops gatt and smp in B (Stop).
 * A tracer in C follows the gatt<->app pipe on A's tap over tcp+CURVE (the
 * remote tap); one holding an actor's key instead of a tracer's is refused,
 * and so is an actor in B whose key the broker does not know.
 *
 * A machine that cannot make namespaces (not root, no iproute2, a container
 * without the capability) skips with the reason, never passes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "netns_util.h"

static struct netns_lab lab;
static struct e2e run;
static struct netns_stack stk;

static void fini(void)
{
	e2e_teardown(&run);
	th_cleanup();
	netns_lab_destroy(&lab);
}

TestSuite(netns, .fini = fini, .timeout = 120);

static void make_lab_or_skip(void)
{
	int rc = netns_lab_make(&lab);
	if (rc == -EPERM || rc == -ENOSYS)
		cr_skip_test("%s", lab.skip);
	cr_assert_eq(rc, 0, "the namespaces could not be made: %s", lab.skip);
}

/* What the central's app receives from its gatt. */
struct notes {
	uint64_t n;
	uint32_t handle;
	uint8_t last;
};

static void on_gatt_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg)
{
	struct notes *nt = arg;
	const Hive__GattEvent *ev = env->gatt_event;
	if (ev->kind_case == HIVE__GATT_EVENT__KIND_NOTIFICATION &&
	    ev->notification->handle == nt->handle && ev->notification->value.len == 2) {
		nt->n++;
		nt->last = ev->notification->value.data[1];
	}
}

static bool gatt_call(Hive__GattRequest *gr, const char *what)
{
	gr->conn = run.c.handle;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = gr;
	return e2e_call(&run, &run.c, "gatt", &req, what) && run.result->gatt;
}

static uint16_t uuid16(const ProtobufCBinaryData *u)
{
	/* 16-bit UUIDs are given as 2 bytes, little-endian. */
	return u->len == 2 ? (uint16_t)(u->data[0] | u->data[1] << 8) : 0;
}

/* Discovery from the central: the Heart Rate service and its measurement. */
static void discover(uint32_t *hrm, uint32_t *name)
{
	Hive__GattDiscoverServices ds = HIVE__GATT_DISCOVER_SERVICES__INIT;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_SERVICES;
	gr.discover_services = &ds;
	cr_assert(gatt_call(&gr, "discover services"), "%s", run.err);
	const Hive__GattDiscovery *sv = run.result->gatt->discovery;
	cr_assert_not_null(sv);
	bool heart = false;
	for (size_t i = 0; i < sv->n_services; i++)
		heart |= uuid16(&sv->services[i]->uuid) == 0x180d;
	cr_assert(heart, "no Heart Rate service among %zu discovered", sv->n_services);
	Hive__GattDiscoverCharacteristics dc = HIVE__GATT_DISCOVER_CHARACTERISTICS__INIT;
	Hive__GattRequest gr2 = HIVE__GATT_REQUEST__INIT;
	gr2.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_CHARACTERISTICS;
	gr2.discover_characteristics = &dc;
	cr_assert(gatt_call(&gr2, "discover characteristics"), "%s", run.err);
	const Hive__GattDiscovery *ch = run.result->gatt->discovery;
	for (size_t i = 0; ch && i < ch->n_characteristics; i++) {
		uint16_t u = uuid16(&ch->characteristics[i]->uuid);
		if (u == 0x2a37)
			*hrm = ch->characteristics[i]->value_handle;
		else if (u == 0x2a00)
			*name = ch->characteristics[i]->value_handle;
	}
	cr_assert(*hrm && *name, "no Heart Rate Measurement or Device Name discovered");
}

static void pair(void)
{
	Hive__SmpPair pp = HIVE__SMP_PAIR__INIT;
	pp.handle = run.c.handle;
	pp.io_cap = HIVE__SMP_IO_CAPABILITY__IO_NO_INPUT_NO_OUTPUT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	sr.pair = &pp;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	run.c.encrypted = run.p.encrypted = false;
	cr_assert(e2e_call(&run, &run.c, "smp", &req, "pair"), "%s", run.err);
	cr_assert(e2e_wait(&run, &run.c.encrypted, E2E_DEADLINE_MS, "the central's encryption"),
		  "%s", run.err);
	cr_assert(e2e_wait(&run, &run.p.encrypted, E2E_DEADLINE_MS, "the peer's encryption"),
		  "%s", run.err);
	cr_assert_eq(run.c.key_size, 16);
}

static void subscribe(struct notes *nt)
{
	hive_on(run.c.a, HIVE__ENVELOPE__BODY_GATT_EVENT, on_gatt_event, nt);
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	Hive__GattRequest ge = HIVE__GATT_REQUEST__INIT;
	ge.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	ge.subscribe_events = &se;
	cr_assert(gatt_call(&ge, "gatt events"), "%s", run.err);
	Hive__GattSubscribe sub = HIVE__GATT_SUBSCRIBE__INIT;
	sub.handle = nt->handle;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE;
	gr.subscribe = &sub;
	cr_assert(gatt_call(&gr, "subscribe to the heart rate"), "%s", run.err);
}

/* The peer notifies value v of the measurement (its own handle: the same
 * database the central discovered). */
static void notify(struct notes *nt, uint8_t v)
{
	uint8_t val[2] = { 0x00, v };
	Hive__GattNotify n = HIVE__GATT_NOTIFY__INIT;
	n.handle = nt->handle;
	n.value.data = val;
	n.value.len = 2;
	n.all_subscribers = true;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	gr.notify = &n;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	cr_assert(e2e_call(&run, &run.p, "gatt", &req, "notify"), "%s", run.err);
}

/* Waits until the central broker's tap has at least n subscriptions. */
static bool wait_tap_subscriptions(uint32_t n)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (hive_now_ns() < deadline) {
		Hive__Status *st = th_status(run.c.a, TH_DEADLINE_MS);
		bool ok = st && st->tap_subscriptions >= n;
		hive__status__free_unpacked(st, NULL);
		if (ok)
			return true;
		e2e_pump(&run);
	}
	return false;
}

/* A tracer in C on the central broker's tap over tcp+CURVE (A's address
 * toward C): the gatt<->app pipe, n messages as JSON lines into out. */
static pid_t remote_tracer(const char *key_name, unsigned n, const char *out, const char *err)
{
	char count[16];
	snprintf(count, sizeof count, "%u", n);
	const char *argv[] = { "hive-trace", "--tap", stk.tap_ep, "--keys", stk.keys,
			       "--key-name", key_name, "--pipe", "gatt:app", "--format", "json",
			       "--count", count, "-o", out, NULL };
	pid_t pid = netns_spawn(&lab, NETNS_C, argv, NULL, err);
	cr_assert_gt(pid, 0);
	return pid;
}

/* An "intruder" with its own key pair and the right broker.pub, from B. */
static void refused_in_b(void)
{
	char rogue[700], from[800], to[800], log[800], pub[HIVE_KEY_Z85_LEN + 1];
	snprintf(rogue, sizeof rogue, "%s/rogue-keys", run.dir);
	cr_assert_eq(hive_keys_prepare(rogue, (const char *const[]){ "intruder" }, 1), 0);
	snprintf(from, sizeof from, "%s/broker.pub", stk.keys);
	snprintf(to, sizeof to, "%s/broker.pub", rogue);
	size_t len;
	char *text = th_slurp(from, &len);
	FILE *f = fopen(to, "w");
	cr_assert(text && f);
	fwrite(text, 1, len, f);
	fclose(f);
	free(text);
	hive_key_path(from, sizeof from, rogue, "intruder", false);
	cr_assert_eq(hive_key_load(from, pub, false), 0);
	snprintf(log, sizeof log, "%s/intruder.log", run.dir);
	const char *argv[] = { "hive-echo", "--name", "intruder", "--broker", stk.tcp_ep,
			       "--keys", rogue, NULL };
	pid_t pid = netns_spawn(&lab, NETNS_B, argv, NULL, log);
	int st = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) != 0,
		  "a client with an unknown key was not refused (0x%x):\n%s", st,
		  th_slurp(log, NULL));
	cr_assert(th_file_contains(log, "refused our CURVE key", 1000), "%s", th_slurp(log, NULL));
	cr_assert(th_file_contains(stk.central_err, pub, TH_DEADLINE_MS),
		  "the broker's log does not name the refused key %s", pub);
}

static bool wait_notes(struct notes *nt, uint64_t want, int ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)ms * 1000000ull;
	while (nt->n < want && hive_now_ns() < deadline)
		if (!e2e_pump(&run))
			return false;
	return nt->n >= want;
}

Test(netns, three_namespaces_discover_pair_notify_cut_and_recover)
{
	make_lab_or_skip();
	stk.tap = true;
	cr_assert(netns_stack_start(&lab, &stk, &run), "%s", run.err);
	uint32_t hrm = 0, name = 0;
	discover(&hrm, &name);
	pair();
	struct notes nt = { .handle = hrm };
	subscribe(&nt);

	/* The remote tap: an actor's key does not open it; the tracer's does. */
	char tout[800], terr[800], rerr[800];
	snprintf(tout, sizeof tout, "%s/remote-tap.json", run.dir);
	snprintf(terr, sizeof terr, "%s/remote-tap.err", run.dir);
	snprintf(rerr, sizeof rerr, "%s/refused-tap.err", run.dir);
	pid_t rogue = remote_tracer("gatt", 1, tout, rerr);
	int st = th_wait_exit(rogue, TH_DEADLINE_MS);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
		  "a tracer with gatt's key was not refused (0x%x):\n%s", st, th_slurp(rerr, NULL));
	cr_assert(th_file_contains(rerr, "refused our CURVE handshake", 1000));
	cr_assert(th_file_contains(stk.central_err, "refused gatt's key on the tap", 1000));
	pid_t tracer = remote_tracer("trace", 5, tout, terr);
	cr_assert(wait_tap_subscriptions(2), "the remote tracer did not subscribe:\n%s",
		  th_slurp(terr, NULL));

	for (uint8_t v = 1; v <= 5; v++)
		notify(&nt, v);
	cr_assert(wait_notes(&nt, 5, E2E_DEADLINE_MS), "%llu of 5 notifications reached the "
		  "central's app", (unsigned long long)nt.n);
	cr_assert_eq(nt.last, 5);
	st = th_wait_exit(tracer, TH_DEADLINE_MS);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "the remote tracer did not see its 5 messages (0x%x):\n%s", st,
		  th_slurp(terr, NULL));
	cr_assert(th_file_contains(tout, "\"source\":\"gatt\",\"destination\":\"app\"", 1000) &&
		  th_file_contains(tout, "\"body\":\"gatt_event\"", 1000), "%s",
		  th_slurp(tout, NULL));

	/* A client in B with a key the broker does not know is refused, and
	 * the broker's log names the key. */
	refused_in_b();

	/* Cut B's link: gatt and smp fall silent. */
	const char *const remote[] = { "gatt", "smp", NULL };
	cr_assert_eq(netns_link_set(&lab, NETNS_B, false), 0);
	long ms = netns_wait_up(run.c.a, remote, false, 8000);
	cr_assert_geq(ms, 0, "the broker did not declare gatt and smp down; launcher:\n%s",
		      th_slurp(stk.central_err, NULL));
	cr_assert_leq(ms, 3000, "declared down after %ld ms; the bound is 3 s", ms);
	cr_assert(th_file_contains(stk.central_err, "remote actor 'gatt'", TH_DEADLINE_MS) &&
		  th_file_contains(stk.central_err, "is down", TH_DEADLINE_MS),
		  "the launcher did not report gatt down:\n%s", th_slurp(stk.central_err, NULL));

	/* A notification sent while B is away waits in the broker's queue. */
	notify(&nt, 6);

	/* Restore it: both register again, the link survived. */
	cr_assert_eq(netns_link_set(&lab, NETNS_B, true), 0);
	long back = netns_wait_up(run.c.a, remote, true, 20000);
	cr_assert_geq(back, 0, "gatt and smp did not come back; gatt:\n%s\nsmp:\n%s",
		      th_slurp(stk.gatt_log, NULL), th_slurp(stk.smp_log, NULL));
	cr_assert(th_alive(stk.gatt) && th_alive(stk.smp));
	cr_assert(th_file_contains(stk.central_err, "remote actor 'gatt'", 1000) &&
		  th_file_contains(stk.central_err, "is ready again", TH_DEADLINE_MS),
		  "the launcher did not report gatt back:\n%s", th_slurp(stk.central_err, NULL));
	cr_assert(wait_notes(&nt, 6, E2E_DEADLINE_MS),
		  "the notification sent during the cut was lost (%llu arrived)",
		  (unsigned long long)nt.n);
	for (uint8_t v = 7; v <= 9; v++)
		notify(&nt, v);
	cr_assert(wait_notes(&nt, 9, E2E_DEADLINE_MS), "%llu of 9 notifications after recovery",
		  (unsigned long long)nt.n);
	cr_assert_eq(nt.last, 9);
	cr_assert(run.c.connected && run.c.encrypted, "the link or its encryption was lost");

	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	rd.handle = name;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_READ;
	gr.read = &rd;
	cr_assert(gatt_call(&gr, "read the device name after recovery"), "%s", run.err);
	cr_assert(run.result->gatt->read && run.result->gatt->read->value.len > 0);
	cr_log_info("declared down in %ld ms, back %ld ms after the link returned", ms, back);

	/* Stopping the central stops gatt and smp in B too: the launcher sends
	 * them Stop (they are not its children) and they exit. */
	hive_actor_destroy(&run.c.a);
	kill(run.c.launch, SIGTERM);
	st = th_wait_exit(stk.gatt, TH_DEADLINE_MS);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "gatt in B did not exit on the launcher's Stop (0x%x):\n%s", st,
		  th_slurp(stk.gatt_log, NULL));
	st = th_wait_exit(stk.smp, TH_DEADLINE_MS);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "smp in B did not exit on the launcher's Stop (0x%x):\n%s", st,
		  th_slurp(stk.smp_log, NULL));
	st = th_wait_exit(run.c.launch, TH_DEADLINE_MS);
	run.c.launch = 0;
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "launcher: 0x%x\n%s", st,
		  th_slurp(stk.central_err, NULL));
}
