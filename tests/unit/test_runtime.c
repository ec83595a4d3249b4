/* The actor runtime: byte reader/writer, arena, names, options, the loop's
 * timers and fds, the built-in echo. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "arena.h"
#include "harness.h"
#include "hive_bytes.h"

Test(bytes, reads_little_endian_and_ends_exactly)
{
	const uint8_t b[] = { 0x01, 0x34, 0x12, 0x56, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12,
			      0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
	struct rd r = rd_init(b, sizeof b);
	cr_assert_eq(rd_u8(&r), 0x01);
	cr_assert_eq(rd_le16(&r), 0x1234);
	cr_assert_eq(rd_le24(&r), 0x123456);
	cr_assert_eq(rd_le32(&r), 0x12345678);
	cr_assert_eq(rd_le64(&r), 0x0102030405060708ull);
	cr_assert(rd_end(&r));
}

Test(bytes, underflow_is_sticky_and_returns_zero)
{
	const uint8_t b[] = { 0xaa, 0xbb, 0xcc };
	struct rd r = rd_init(b, sizeof b);
	cr_assert_eq(rd_le16(&r), 0xbbaa);
	cr_assert_eq(rd_le16(&r), 0, "a short read returns 0");
	cr_assert(r.bad);
	cr_assert_eq(r.left, 1, "a short read consumes nothing");
	cr_assert_eq(rd_u8(&r), 0, "bad stays bad even when a byte is left");
	cr_assert_not(rd_ok(&r));
	cr_assert_not(rd_end(&r));
	uint8_t out[4] = { 1, 2, 3, 4 };
	cr_assert_not(rd_copy(&r, out, 4));
	cr_assert_eq(out[0] | out[1] | out[2] | out[3], 0);
	cr_assert_null(rd_ptr(&r, 0));
}

Test(bytes, leftover_bytes_fail_rd_end_only)
{
	const uint8_t b[] = { 1, 2, 3 };
	struct rd r = rd_init(b, sizeof b);
	rd_u8(&r);
	cr_assert(rd_ok(&r));
	cr_assert_not(rd_end(&r));
	size_t n;
	const uint8_t *rest = rd_rest(&r, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(rest[0], 2);
	cr_assert(rd_end(&r));
}

Test(bytes, sub_reader_is_bounded)
{
	const uint8_t b[] = { 2, 0xaa, 0xbb, 0xcc };
	struct rd r = rd_init(b, sizeof b);
	struct rd s = rd_sub(&r, rd_u8(&r));
	cr_assert_eq(rd_le16(&s), 0xbbaa);
	cr_assert(rd_end(&s));
	cr_assert_eq(rd_u8(&s), 0);
	cr_assert(s.bad);
	cr_assert_eq(rd_u8(&r), 0xcc);
	cr_assert(rd_end(&r));
	struct rd r2 = rd_init(b, 2);
	struct rd s2 = rd_sub(&r2, 5);
	cr_assert(s2.bad);
	cr_assert(r2.bad);
	struct rd empty = rd_init(NULL, 10);
	cr_assert_eq(empty.left, 0);
	cr_assert_eq(rd_u8(&empty), 0);
	cr_assert(empty.bad);
}

Test(bytes, writer_stops_at_capacity)
{
	uint8_t buf[7];
	struct wr w = wr_init(buf, sizeof buf);
	wr_le16(&w, 0x1234);
	wr_le32(&w, 0xdeadbeef);
	cr_assert_eq(wr_room(&w), 1);
	wr_le16(&w, 0xffff);
	cr_assert(w.overflow);
	cr_assert_eq(w.len, 6, "an overflowing write writes nothing");
	cr_assert_eq(wr_room(&w), 0);
	wr_u8(&w, 1);
	cr_assert_eq(w.len, 6, "overflow is sticky");
	cr_assert_not(wr_ok(&w));
	const uint8_t want[] = { 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde };
	cr_assert_arr_eq(buf, want, sizeof want);
}

Test(bytes, writer_round_trips_with_reader)
{
	uint8_t buf[32];
	struct wr w = wr_init(buf, sizeof buf);
	wr_u8(&w, 0x42);
	wr_le24(&w, 0xabcdef);
	wr_le64(&w, 0x1122334455667788ull);
	wr_bytes(&w, "xyz", 3);
	cr_assert(wr_ok(&w));
	struct rd r = rd_init(buf, w.len);
	cr_assert_eq(rd_u8(&r), 0x42);
	cr_assert_eq(rd_le24(&r), 0xabcdef);
	cr_assert_eq(rd_le64(&r), 0x1122334455667788ull);
	const uint8_t *p = rd_ptr(&r, 3);
	cr_assert(p && memcmp(p, "xyz", 3) == 0);
	cr_assert(rd_end(&r));
}

Test(names, valid_and_invalid)
{
	cr_assert(hive_name_valid("gatt"));
	cr_assert(hive_name_valid("ctl-123_a.b"));
	cr_assert_not(hive_name_valid(""));
	cr_assert_not(hive_name_valid(NULL));
	cr_assert_not(hive_name_valid("a>b"));
	cr_assert_not(hive_name_valid("a#b"));
	cr_assert_not(hive_name_valid("with space"));
	char long_name[HIVE_NAME_MAX + 2];
	memset(long_name, 'x', sizeof long_name - 1);
	long_name[HIVE_NAME_MAX + 1] = '\0';
	cr_assert_not(hive_name_valid(long_name));
	long_name[HIVE_NAME_MAX] = '\0';
	cr_assert(hive_name_valid(long_name));
}

Test(arena, unpacks_envelopes_and_reuses_memory)
{
	struct arena ar;
	arena_init(&ar);
	uint8_t payload[3000];
	memset(payload, 0x5a, sizeof payload);
	Hive__Ping p = HIVE__PING__INIT;
	p.id = 77;
	p.payload.data = payload;
	p.payload.len = sizeof payload;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PING;
	env.ping = &p;
	env.seq = 9;
	uint8_t buf[4096];
	size_t len = hive__envelope__pack(&env, buf);
	for (int i = 0; i < 100; i++) {
		Hive__Envelope *e = hive__envelope__unpack(&ar.allocator, len, buf);
		cr_assert_not_null(e);
		cr_assert_eq(e->seq, 9);
		cr_assert_eq(e->ping->id, 77);
		cr_assert_eq(e->ping->payload.len, sizeof payload);
		cr_assert_arr_eq(e->ping->payload.data, payload, sizeof payload);
		arena_reset(&ar);
	}
	cr_assert_null(hive__envelope__unpack(&ar.allocator, len - 1, buf));
	arena_reset(&ar);
	arena_fini(&ar);
}

Test(log, levels_parse)
{
	enum hive_log_level l;
	cr_assert_eq(hive_log_level_parse("debug", &l), 0);
	cr_assert_eq(l, HIVE_LOG_DEBUG);
	cr_assert_eq(hive_log_level_parse("WARN", &l), 0);
	cr_assert_eq(l, HIVE_LOG_WARN);
	cr_assert_lt(hive_log_level_parse("loud", &l), 0);
}

/* ---- with a broker ------------------------------------------------------------ */

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
}

TestSuite(actor, .init = setup, .fini = teardown, .timeout = 60);

Test(actor, options_are_parsed_and_the_rest_left)
{
	char *argv[] = { "prog", "--run-dir", dir, "--name=opt", "--set", "transport=usb:0",
			 "--set", "mtu=247", "--set", "mtu=517", "--positional", "--log-level",
			 "warn", "x", NULL };
	int argc = 14, rest = 0;
	struct hive_actor *a = NULL;
	cr_assert_eq(hive_actor_from_args(&a, argc, argv, "default", &rest), 0);
	cr_assert_str_eq(hive_actor_name(a), "opt");
	cr_assert_str_eq(hive_config(a, "transport"), "usb:0");
	int err = 1;
	cr_assert_eq(hive_config_u64(a, "mtu", 23, &err), 517, "the last --set wins");
	cr_assert_eq(err, 0);
	cr_assert_eq(hive_config_u64(a, "absent", 23, &err), 23);
	cr_assert_eq(hive_config_u64(a, "transport", 5, &err), 5);
	cr_assert_eq(err, -EINVAL);
	cr_assert_null(hive_config(a, "nothing"));
	cr_assert_eq(rest, 3);
	cr_assert_str_eq(argv[1], "--positional");
	cr_assert_str_eq(argv[2], "x");
	hive_actor_destroy(&a);
	cr_assert_null(a);
	hive_actor_destroy(&a);
}

Test(actor, bad_options_are_refused)
{
	struct hive_actor *a = NULL;
	char *unknown[] = { "prog", "--run-dir", dir, "--bogus", NULL };
	cr_assert_eq(hive_actor_from_args(&a, 4, unknown, "x", NULL), -EINVAL);
	char *missing[] = { "prog", "--run-dir", NULL };
	cr_assert_eq(hive_actor_from_args(&a, 2, missing, "x", NULL), -EINVAL);
	char *bad_set[] = { "prog", "--run-dir", dir, "--set", "novalue", NULL };
	cr_assert_eq(hive_actor_from_args(&a, 5, bad_set, "x", NULL), -EINVAL);
	char *bad_name[] = { "prog", "--run-dir", dir, "--name", "a b", NULL };
	cr_assert_eq(hive_actor_from_args(&a, 5, bad_name, "x", NULL), -EINVAL);
	cr_assert_null(a);
}

Test(actor, no_broker_times_out_with_a_reason)
{
	char *empty = th_run_dir();
	struct hive_actor_config cfg = { .name = "lonely", .run_dir = empty,
					 .register_timeout_ms = 200 };
	struct hive_actor *a = NULL;
	cr_assert_eq(hive_actor_new(&a, &cfg), -ETIMEDOUT);
	cr_assert_null(a);
	free(empty);
}

struct ticks {
	uint64_t once, periodic;
	int periodic_id;
	uint64_t fd_events;
	int fd;
};

static void on_once(struct hive_actor *a, void *arg)
{
	((struct ticks *)arg)->once++;
}

static void on_periodic(struct hive_actor *a, void *arg)
{
	struct ticks *t = arg;
	if (++t->periodic == 3)
		hive_timer_cancel(a, t->periodic_id);
}

static void on_fd(struct hive_actor *a, int fd, short revents, void *arg)
{
	struct ticks *t = arg;
	char c;
	if (read(fd, &c, 1) == 1)
		t->fd_events++;
}

Test(actor, timers_and_fds_run_in_the_loop)
{
	struct hive_actor *a = th_actor(dir, "looper");
	cr_assert_not_null(a);
	struct ticks t = { 0 };
	cr_assert_gt(hive_timer_start(a, 5, 0, on_once, &t), 0);
	int cancelled = hive_timer_start(a, 1, 0, on_once, &t);
	hive_timer_cancel(a, cancelled);
	t.periodic_id = hive_timer_start(a, 1, 2, on_periodic, &t);
	cr_assert_gt(t.periodic_id, 0);
	cr_assert(th_run_until_count(a, &t.periodic, 3, TH_DEADLINE_MS));
	cr_assert(th_run_until_count(a, &t.once, 1, TH_DEADLINE_MS));
	/* The cancelled periodic timer does not fire again, the cancelled
	 * one-shot never fired. */
	hive_run_once(a, 20);
	cr_assert_eq(t.periodic, 3);
	cr_assert_eq(t.once, 1);

	int p[2];
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(hive_fd_watch(a, p[0], POLLIN, on_fd, &t), 0);
	cr_assert_eq(hive_fd_watch(a, p[0], POLLIN, on_fd, &t), -EEXIST);
	cr_assert_eq(write(p[1], "ab", 2), 2);
	cr_assert(th_run_until_count(a, &t.fd_events, 2, TH_DEADLINE_MS));
	cr_assert_eq(hive_fd_unwatch(a, p[0]), 0);
	cr_assert_eq(hive_fd_unwatch(a, p[0]), -ENOENT);
	close(p[0]);
	close(p[1]);
	hive_actor_destroy(&a);
}

struct echo_wait {
	bool done;
	uint64_t id;
	uint64_t ping_id;
};

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct echo_wait *w = arg;
	w->id = env->result->id;
	w->ping_id = env->result->value_case == HIVE__RESULT__VALUE_ECHO ? env->result->echo->id : 0;
	w->done = true;
}

Test(actor, every_actor_answers_echo)
{
	struct hive_actor *a = th_actor(dir, "asker");
	struct hive_actor *b = th_actor(dir, "answerer");
	cr_assert(a && b);
	struct echo_wait w = { 0 };
	hive_on(a, HIVE__ENVELOPE__BODY_RESULT, on_result, &w);
	Hive__Ping p = HIVE__PING__INIT;
	p.id = 99;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = 5;
	req.op_case = HIVE__REQUEST__OP_ECHO;
	req.echo = &p;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	cr_assert_eq(hive_send(a, "answerer", &env), 0);
	cr_assert_eq(env.seq, 2, "the Hello was seq 1");
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (!w.done && hive_now_ns() < deadline) {
		hive_run_once(b, 1);
		hive_run_once(a, 1);
	}
	cr_assert(w.done);
	cr_assert_eq(w.id, 5);
	cr_assert_eq(w.ping_id, 99);
	hive_actor_destroy(&a);
	hive_actor_destroy(&b);
}

Test(actor, oversized_send_is_refused)
{
	struct hive_actor *a = th_actor(dir, "big");
	cr_assert_not_null(a);
	size_t n = HIVE_FRAME_MAX_DEFAULT + 1;
	uint8_t *payload = calloc(1, n);
	Hive__Ping p = HIVE__PING__INIT;
	p.payload.data = payload;
	p.payload.len = n;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PING;
	env.ping = &p;
	cr_assert_eq(hive_send(a, "anyone", &env), -EMSGSIZE);
	cr_assert_eq(hive_send(a, "not a name", &env), -EINVAL);
	free(payload);
	hive_actor_destroy(&a);
}

/* Bytes that do not decode as an envelope, sent through the broker from a
 * raw socket: the actor drops them, says so, and keeps serving. */
Test(actor, malformed_envelopes_are_dropped_and_it_keeps_serving)
{
	struct hive_actor *b = th_actor(dir, "sturdy");
	struct hive_actor *a = th_actor(dir, "asker");
	cr_assert(a && b);
	void *ctx = zmq_ctx_new();
	void *raw = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 0;
	zmq_setsockopt(raw, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(raw, ZMQ_ROUTING_ID, "raw#1#0", 7);
	char ep[600];
	snprintf(ep, sizeof ep, "ipc://%s/broker", dir);
	cr_assert_eq(zmq_connect(raw, ep), 0);
	const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	zmq_send(raw, "sturdy", 6, ZMQ_SNDMORE);
	zmq_send(raw, garbage, sizeof garbage, 0);
	/* A well-formed echo request afterwards is still answered. */
	struct echo_wait w = { 0 };
	hive_on(a, HIVE__ENVELOPE__BODY_RESULT, on_result, &w);
	Hive__Ping p = HIVE__PING__INIT;
	p.id = 3;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = 8;
	req.op_case = HIVE__REQUEST__OP_ECHO;
	req.echo = &p;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	cr_assert_eq(hive_send(a, "sturdy", &env), 0);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (!w.done && hive_now_ns() < deadline) {
		hive_run_once(b, 1);
		hive_run_once(a, 1);
	}
	cr_assert(w.done);
	cr_assert_eq(w.id, 8);
	zmq_close(raw);
	zmq_ctx_term(ctx);
	hive_actor_destroy(&a);
	hive_actor_destroy(&b);
}
