/* The broker through real sockets: a real hive-broker process, actors made
 * with the runtime in the test process, raw ZeroMQ sockets for what the
 * runtime would never send. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <zmq.h>

#include "harness.h"

struct inbox {
	uint64_t count;
	uint64_t ids[4096];
	char source[HIVE_NAME_MAX + 1];
	uint64_t undeliverable;
	uint64_t stops;
};

static void on_ping(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	struct inbox *in = arg;
	if (in->count < 4096)
		in->ids[in->count] = env->ping->id;
	in->count++;
	snprintf(in->source, sizeof in->source, "%s", source);
}

static void on_undeliverable(struct hive_actor *a, const char *source,
			     const Hive__Envelope *env, void *arg)
{
	((struct inbox *)arg)->undeliverable++;
}

static int send_ping(struct hive_actor *a, const char *dest, uint64_t id, size_t size)
{
	uint8_t payload[2048] = { 0 };
	Hive__Ping p = HIVE__PING__INIT;
	p.id = id;
	p.payload.data = payload;
	p.payload.len = size;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PING;
	env.ping = &p;
	return hive_send(a, dest, &env);
}

static char *dir;
static pid_t broker;

static void start(const char *const extra[])
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	broker = th_start_broker(dir, extra);
	cr_assert_gt(broker, 0, "the broker did not start");
}

static void setup(void)
{
	start(NULL);
}

static void teardown(void)
{
	th_cleanup();
	free(dir);
}

/* Runs both actors' loops until `in` has `want` messages. */
static bool pump(struct hive_actor *x, struct hive_actor *y, struct inbox *in, uint64_t want)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (in->count < want && hive_now_ns() < deadline) {
		hive_run_once(x, 1);
		if (y)
			hive_run_once(y, 1);
	}
	return in->count >= want;
}

TestSuite(broker, .init = setup, .fini = teardown, .timeout = 60);

Test(broker, routes_both_ways)
{
	struct hive_actor *a = th_actor(dir, "alpha");
	struct hive_actor *b = th_actor(dir, "beta");
	cr_assert(a && b);
	struct inbox ia = { 0 }, ib = { 0 };
	hive_on(a, HIVE__ENVELOPE__BODY_PING, on_ping, &ia);
	hive_on(b, HIVE__ENVELOPE__BODY_PING, on_ping, &ib);
	for (uint64_t i = 1; i <= 50; i++) {
		cr_assert_eq(send_ping(a, "beta", i, 64), 0);
		cr_assert_eq(send_ping(b, "alpha", 1000 + i, 1024), 0);
	}
	cr_assert(pump(a, b, &ib, 50));
	cr_assert(pump(a, b, &ia, 50));
	cr_assert_str_eq(ib.source, "alpha");
	cr_assert_str_eq(ia.source, "beta");
	for (uint64_t i = 0; i < 50; i++) {
		cr_assert_eq(ib.ids[i], i + 1, "beta got %llu at %llu", (unsigned long long)ib.ids[i],
			     (unsigned long long)i);
		cr_assert_eq(ia.ids[i], 1001 + i);
	}
	Hive__Status *st = th_status(a, TH_DEADLINE_MS);
	cr_assert_not_null(st);
	const Hive__ActorStatus *sb = th_status_find(st, "beta");
	cr_assert_not_null(sb);
	cr_assert(sb->up);
	cr_assert_eq(sb->pid, (uint32_t)getpid());
	cr_assert_geq(sb->msgs_in, 50);
	cr_assert_geq(sb->msgs_out, 50);
	cr_assert_geq(sb->bytes_out, 50 * 1024);
	cr_assert_eq(st->broker_pid, (uint32_t)broker);
	hive__status__free_unpacked(st, NULL);
	hive_actor_destroy(&a);
	hive_actor_destroy(&b);
}

Test(broker, delivers_in_order_after_registration)
{
	struct hive_actor *a = th_actor(dir, "alpha");
	cr_assert_not_null(a);
	/* "gamma" has never registered: everything waits for it. */
	for (uint64_t i = 1; i <= 500; i++)
		cr_assert_eq(send_ping(a, "gamma", i, 100), 0);
	/* Make sure the broker holds them all before gamma appears. */
	Hive__Status *st = th_status(a, TH_DEADLINE_MS);
	cr_assert_not_null(st);
	const Hive__ActorStatus *sg = th_status_find(st, "gamma");
	cr_assert_not_null(sg);
	cr_assert_eq(sg->queue_depth, 500);
	cr_assert_not(sg->up);
	hive__status__free_unpacked(st, NULL);

	struct hive_actor *g = th_actor(dir, "gamma");
	cr_assert_not_null(g);
	struct inbox in = { 0 };
	hive_on(g, HIVE__ENVELOPE__BODY_PING, on_ping, &in);
	cr_assert(pump(g, NULL, &in, 500));
	for (uint64_t i = 0; i < 500; i++)
		cr_assert_eq(in.ids[i], i + 1);

	/* Down again (clean exit), more messages, back: all of them, in order. */
	hive_actor_destroy(&g);
	for (uint64_t i = 501; i <= 700; i++)
		cr_assert_eq(send_ping(a, "gamma", i, 100), 0);
	g = th_actor(dir, "gamma");
	cr_assert_not_null(g);
	cr_assert(hive_actor_restarted(g));
	struct inbox again = { 0 };
	hive_on(g, HIVE__ENVELOPE__BODY_PING, on_ping, &again);
	cr_assert(pump(g, NULL, &again, 200));
	for (uint64_t i = 0; i < 200; i++)
		cr_assert_eq(again.ids[i], 501 + i, "got %llu at %llu of %llu", (unsigned long long)again.ids[i], (unsigned long long)i, (unsigned long long)again.count);
	hive_actor_destroy(&g);
	hive_actor_destroy(&a);
}

Test(broker, delivers_again_what_a_dead_incarnation_did_not_consume)
{
	struct hive_actor *a = th_actor(dir, "alpha");
	struct hive_actor *d = th_actor(dir, "delta");
	cr_assert(a && d);
	struct inbox first = { 0 };
	hive_on(d, HIVE__ENVELOPE__BODY_PING, on_ping, &first);
	for (uint64_t i = 1; i <= 10; i++)
		cr_assert_eq(send_ping(a, "delta", i, 32), 0);
	cr_assert(pump(d, NULL, &first, 10));
	/* These reach delta's socket but delta never runs its loop again. */
	for (uint64_t i = 11; i <= 40; i++)
		cr_assert_eq(send_ping(a, "delta", i, 32), 0);
	/* Wait until the broker has handed them over (in flight, unacknowledged;
	 * the first ten may be too: delta's acknowledgement of them may wait for
	 * its goodbye). */
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	uint32_t in_flight = 0;
	while (in_flight < 30 && hive_now_ns() < deadline) {
		Hive__Status *st = th_status(a, TH_DEADLINE_MS);
		cr_assert_not_null(st);
		in_flight = th_status_find(st, "delta")->in_flight;
		hive__status__free_unpacked(st, NULL);
	}
	cr_assert_geq(in_flight, 30);
	hive_actor_destroy(&d);

	d = th_actor(dir, "delta");
	cr_assert_not_null(d);
	struct inbox second = { 0 };
	hive_on(d, HIVE__ENVELOPE__BODY_PING, on_ping, &second);
	cr_assert(pump(d, NULL, &second, 30));
	for (uint64_t i = 0; i < 30; i++)
		cr_assert_eq(second.ids[i], 11 + i);
	hive_actor_destroy(&d);
	hive_actor_destroy(&a);
}

Test(broker, snapshot_comes_back_after_reregistration)
{
	struct hive_actor *s = th_actor(dir, "stateful");
	cr_assert_not_null(s);
	cr_assert_not(hive_actor_restarted(s));
	size_t len = 99;
	cr_assert_null(hive_actor_snapshot(s, &len));
	cr_assert_eq(len, 0);
	const char state[] = "connections: 0x0040 central";
	cr_assert_eq(hive_snapshot_save(s, state, sizeof state), 0);
	cr_assert_eq(hive_snapshot_save(s, "newer", 6), 0);
	/* The broker has processed both once it answers a later Status. */
	Hive__Status *st = th_status(s, TH_DEADLINE_MS);
	cr_assert_not_null(st);
	hive__status__free_unpacked(st, NULL);
	hive_actor_destroy(&s);

	s = th_actor(dir, "stateful");
	cr_assert_not_null(s);
	cr_assert(hive_actor_restarted(s));
	const uint8_t *snap = hive_actor_snapshot(s, &len);
	cr_assert_not_null(snap);
	cr_assert_eq(len, 6);
	cr_assert_str_eq((const char *)snap, "newer");
	hive_actor_destroy(&s);
}

/* Starts hive-echo registered as name, and waits until it is ready. */
static pid_t start_echo(struct hive_actor *watcher, const char *name)
{
	char path[512];
	cr_assert_eq(access(th_bin(path, sizeof path, "hive-echo"), X_OK), 0,
		     "%s is not built", path);
	const char *argv[] = { "hive-echo", "--run-dir", dir, "--name", name, NULL };
	pid_t pid = th_spawn(argv, NULL, NULL);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	bool up = false;
	while (!up && hive_now_ns() < deadline) {
		Hive__Status *st = th_status(watcher, TH_DEADLINE_MS);
		const Hive__ActorStatus *v = th_status_find(st, name);
		up = v && v->up && v->ready && v->pid == (uint32_t)pid;
		hive__status__free_unpacked(st, NULL);
	}
	cr_assert(up, "%s did not come up", name);
	return pid;
}

Test(broker, refuses_a_live_name_unless_replace)
{
	struct hive_actor *a = th_actor(dir, "alpha");
	cr_assert_not_null(a);
	pid_t holder = start_echo(a, "gatt");
	struct hive_actor *g = NULL;
	struct hive_actor_config cfg = { .name = "gatt", .run_dir = dir };
	cr_assert_eq(hive_actor_new(&g, &cfg), -EEXIST);
	cr_assert_null(g);

	/* With replace, the holder is told to stop (and does, exit 0). */
	cfg.replace = true;
	cr_assert_eq(hive_actor_new(&g, &cfg), 0);
	int status = th_wait_exit(holder, TH_DEADLINE_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);

	struct inbox in = { 0 };
	hive_on(g, HIVE__ENVELOPE__BODY_PING, on_ping, &in);
	cr_assert_eq(send_ping(a, "gatt", 7, 8), 0);
	cr_assert(pump(g, NULL, &in, 1));
	cr_assert_eq(in.ids[0], 7);
	hive_actor_destroy(&g);
	hive_actor_destroy(&a);
}

/* Sends raw frames on a DEALER, as a broken or hostile peer would. */
static void raw_send(void *s, const char *const frames[], const size_t lens[], int n)
{
	for (int i = 0; i < n; i++)
		zmq_send(s, frames[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0);
}

Test(broker, malformed_traffic_leaves_it_serving)
{
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(s, ZMQ_ROUTING_ID, "evil#1#0", 8);
	char ep[512];
	snprintf(ep, sizeof ep, "ipc://%s/broker", dir);
	cr_assert_eq(zmq_connect(s, ep), 0);

	static char big[70000];
	const char *one[] = { "beta" };
	const char *empty_env[] = { "beta", "" };
	const char *bad_name[] = { "no/such name", "\x08\x01" };
	const char *oversized[] = { "beta", big };
	const char *bad_ack[] = { "beta", "\x08\x01", "123" };
	const char *too_many[] = { "beta", "\x08\x01", "12345678", "x" };
	const char *garbage_to_broker[] = { "broker", "\xff\xff\xff\xff" };
	raw_send(s, one, (size_t[]){ 4 }, 1);
	raw_send(s, empty_env, (size_t[]){ 4, 0 }, 2);
	raw_send(s, bad_name, (size_t[]){ 12, 2 }, 2);
	raw_send(s, oversized, (size_t[]){ 4, sizeof big }, 2);
	raw_send(s, bad_ack, (size_t[]){ 4, 2, 3 }, 3);
	raw_send(s, too_many, (size_t[]){ 4, 2, 8, 1 }, 4);
	raw_send(s, garbage_to_broker, (size_t[]){ 6, 4 }, 2);

	struct hive_actor *a = th_actor(dir, "alpha");
	cr_assert_not_null(a);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	uint64_t malformed = 0;
	while (malformed < 7 && hive_now_ns() < deadline) {
		Hive__Status *st = th_status(a, TH_DEADLINE_MS);
		cr_assert_not_null(st, "the broker stopped answering");
		malformed = st->malformed;
		hive__status__free_unpacked(st, NULL);
	}
	cr_assert_eq(malformed, 7);
	cr_assert(th_alive(broker));

	/* And it still routes. */
	struct hive_actor *b = th_actor(dir, "beta");
	struct inbox in = { 0 };
	hive_on(b, HIVE__ENVELOPE__BODY_PING, on_ping, &in);
	cr_assert_eq(send_ping(a, "beta", 42, 10), 0);
	cr_assert(pump(a, b, &in, 1));
	cr_assert_eq(in.ids[0], 42);
	hive_actor_destroy(&a);
	hive_actor_destroy(&b);
	zmq_close(s);
	zmq_ctx_term(ctx);
}

/* A tap subscriber sees only the pipes it asked for, and only while it
 * listens. */
Test(broker, tap_delivers_only_what_is_subscribed)
{
	struct hive_actor *h = th_actor(dir, "host");
	struct hive_actor *c = th_actor(dir, "hci");
	struct hive_actor *g = th_actor(dir, "gatt");
	cr_assert(h && c && g);
	struct inbox ic = { 0 }, ig = { 0 };
	hive_on(c, HIVE__ENVELOPE__BODY_PING, on_ping, &ic);
	hive_on(g, HIVE__ENVELOPE__BODY_PING, on_ping, &ig);

	Hive__Status *st = th_status(h, TH_DEADLINE_MS);
	cr_assert_eq(st->tap_subscriptions, 0);
	hive__status__free_unpacked(st, NULL);

	void *ctx = zmq_ctx_new();
	void *sub = zmq_socket(ctx, ZMQ_SUB);
	int linger = 0;
	zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
	char ep[512];
	snprintf(ep, sizeof ep, "ipc://%s/tap", dir);
	cr_assert_eq(zmq_connect(sub, ep), 0);
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "host>hci", 8);

	/* The subscription reaches the broker asynchronously: wait for it. */
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	uint32_t subs = 0;
	while (subs == 0 && hive_now_ns() < deadline) {
		st = th_status(h, TH_DEADLINE_MS);
		subs = st->tap_subscriptions;
		hive__status__free_unpacked(st, NULL);
	}
	cr_assert_eq(subs, 1);

	for (uint64_t i = 1; i <= 5; i++) {
		cr_assert_eq(send_ping(h, "gatt", 100 + i, 4), 0);
		cr_assert_eq(send_ping(h, "hci", i, 4), 0);
	}
	cr_assert(pump(c, g, &ic, 5));
	cr_assert(pump(c, g, &ig, 5));

	int seen = 0;
	for (;;) {
		zmq_pollitem_t it = { .socket = sub, .events = ZMQ_POLLIN };
		if (zmq_poll(&it, 1, seen < 5 ? TH_DEADLINE_MS : 100) <= 0)
			break;
		char topic[64] = { 0 };
		int n = zmq_recv(sub, topic, sizeof topic - 1, 0);
		cr_assert_gt(n, 0);
		cr_assert_str_eq(topic, "host>hci");
		int more;
		size_t ml = sizeof more;
		zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
		cr_assert(more);
		uint8_t buf[256];
		n = zmq_recv(sub, buf, sizeof buf, 0);
		Hive__Envelope *env = hive__envelope__unpack(NULL, (size_t)n, buf);
		cr_assert_not_null(env);
		cr_assert_eq(env->body_case, HIVE__ENVELOPE__BODY_PING);
		cr_assert_eq(env->ping->id, (uint64_t)seen + 1);
		hive__envelope__free_unpacked(env, NULL);
		seen++;
	}
	cr_assert_eq(seen, 5, "seen %d", seen);

	/* Unsubscribed: the broker stops publishing. */
	zmq_close(sub);
	deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (subs != 0 && hive_now_ns() < deadline) {
		st = th_status(h, TH_DEADLINE_MS);
		subs = st->tap_subscriptions;
		hive__status__free_unpacked(st, NULL);
	}
	cr_assert_eq(subs, 0);
	zmq_ctx_term(ctx);
	hive_actor_destroy(&h);
	hive_actor_destroy(&c);
	hive_actor_destroy(&g);
}

/* A crashed actor (SIGKILL, no goodbye) is seen down, and what was sent to
 * it meanwhile waits for its next incarnation. */
/* A crashed actor (SIGKILL, no goodbye) is seen down. */
Test(broker, notices_a_killed_actor)
{
	struct hive_actor *w = th_actor(dir, "watcher");
	cr_assert_not_null(w);
	pid_t pid = start_echo(w, "victim");
	th_kill(pid, SIGKILL);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	bool down = false;
	while (!down && hive_now_ns() < deadline) {
		Hive__Status *st = th_status(w, TH_DEADLINE_MS);
		const Hive__ActorStatus *v = th_status_find(st, "victim");
		down = v && !v->up;
		hive__status__free_unpacked(st, NULL);
	}
	cr_assert(down, "the broker did not notice the killed actor");
	hive_actor_destroy(&w);
}

static void small_queue(void)
{
	start((const char *const[]){ "--queue-messages", "10", NULL });
}

TestSuite(broker_bounds, .init = small_queue, .fini = teardown, .timeout = 60);

Test(broker_bounds, queue_bound_drops_and_reports)
{
	struct hive_actor *a = th_actor(dir, "alpha");
	cr_assert_not_null(a);
	struct inbox ia = { 0 };
	hive_on(a, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, &ia);
	for (uint64_t i = 1; i <= 15; i++)
		cr_assert_eq(send_ping(a, "absent", i, 16), 0);
	cr_assert(th_run_until_count(a, &ia.undeliverable, 5, TH_DEADLINE_MS));

	Hive__Status *st = th_status(a, TH_DEADLINE_MS);
	const Hive__ActorStatus *s = th_status_find(st, "absent");
	cr_assert_not_null(s);
	cr_assert_eq(s->queue_depth, 10);
	cr_assert_eq(s->dropped, 5);
	hive__status__free_unpacked(st, NULL);

	struct hive_actor *b = th_actor(dir, "absent");
	struct inbox ib = { 0 };
	hive_on(b, HIVE__ENVELOPE__BODY_PING, on_ping, &ib);
	cr_assert(pump(b, NULL, &ib, 10));
	for (uint64_t i = 0; i < 10; i++)
		cr_assert_eq(ib.ids[i], i + 1);
	hive_actor_destroy(&a);
	hive_actor_destroy(&b);
}

/* SIGTERM: exit 0 (under ASan, also no leak), sockets removed. */
Test(broker, stops_cleanly_on_sigterm)
{
	struct hive_actor *a = th_actor(dir, "alpha");
	cr_assert_not_null(a);
	for (uint64_t i = 1; i <= 20; i++)
		cr_assert_eq(send_ping(a, "nobody-yet", i, 100), 0);
	cr_assert_eq(hive_snapshot_save(a, "state", 5), 0);
	Hive__Status *st = th_status(a, TH_DEADLINE_MS);
	cr_assert_not_null(st);
	hive__status__free_unpacked(st, NULL);
	hive_actor_destroy(&a);
	cr_assert_eq(kill(broker, SIGTERM), 0);
	int status = th_wait_exit(broker, TH_DEADLINE_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	char path[600];
	snprintf(path, sizeof path, "%s/broker", dir);
	cr_assert_neq(access(path, F_OK), 0, "the socket file is left behind");
}

/* A broker that restarts under running actors gets them back: an idle actor
 * registers again and says ready again, without sending anything first. */
Test(broker, actors_come_back_to_a_restarted_broker)
{
	struct hive_actor *w = th_actor(dir, "watcher");
	cr_assert_not_null(w);
	pid_t echo = start_echo(w, "idle");
	hive_actor_destroy(&w);
	th_kill(broker, SIGKILL);
	broker = th_start_broker(dir, NULL);
	cr_assert_gt(broker, 0);
	w = th_actor(dir, "watcher");
	cr_assert_not_null(w);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	bool back = false;
	while (!back && hive_now_ns() < deadline) {
		Hive__Status *st = th_status(w, TH_DEADLINE_MS);
		const Hive__ActorStatus *v = th_status_find(st, "idle");
		back = v && v->up && v->ready && v->pid == (uint32_t)echo;
		hive__status__free_unpacked(st, NULL);
	}
	cr_assert(back, "the idle actor did not register with the new broker");
	hive_actor_destroy(&w);
}
