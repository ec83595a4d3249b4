/* hive-bench: two runtime actors through a real hive-broker, the RSS of the
 * broker and of an idle actor, and the in-process cost of the envelope codec.
 *
 * bench-a drives: Ping round trips to bench-b (the next one sent from the
 * reply's handler, as an actor reacts to input), then a stream of Pings as
 * fast as hive_send takes them. bench-b echoes the round trips and counts
 * the stream, returning a credit every BENCH_CREDIT_EVERY messages; bench-a
 * keeps at most BENCH_WINDOW uncredited, so nothing is ever dropped (a
 * dropped message would come back as Undeliverable and fail the run). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "bench.h"
#include "hive.h"

#define ID_STREAM (1ull << 62)
#define ID_CREDIT (1ull << 61)
#define ID_MASK (ID_CREDIT - 1)
#define CODEC_ROUNDS 200000

struct hive_ctx {
	char run_dir[4200];
};

/* One end's state, handed to its handlers. */
struct hive_end {
	struct hive_actor *a;
	const struct bench_params *p;
	struct bench_shared *sh;
	uint8_t *payload;
	uint64_t rounds;     /* warm-up + measured round trips */
	uint64_t next;       /* driver: replies received; responder: echoes sent */
	uint64_t t0;         /* driver: send time of the outstanding ping */
	uint64_t streamed;   /* responder: stream messages counted */
	uint64_t credited;   /* driver: stream messages the responder counted */
	bool failed;
};

static int send_ping(struct hive_end *e, const char *dest, uint64_t id, size_t len)
{
	Hive__Ping ping = HIVE__PING__INIT;
	ping.id = id;
	ping.payload.data = e->payload;
	ping.payload.len = len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PING;
	env.ping = &ping;
	return hive_send(e->a, dest, &env);
}

static void fail(struct hive_end *e, const char *what, int rc)
{
	bench_child_fail(e->sh, "%s: %s: %s", hive_actor_name(e->a), what, strerror(-rc));
	e->failed = true;
}

static void on_undeliverable(struct hive_actor *a, const char *source,
			     const Hive__Envelope *env, void *arg)
{
	struct hive_end *e = arg;
	e->sh->drops++;
	bench_child_fail(e->sh, "%s: message seq=%llu to %s was dropped: %s", hive_actor_name(a),
			 (unsigned long long)env->undeliverable->seq,
			 env->undeliverable->destination, env->undeliverable->reason);
	e->failed = true;
}

/* Runs the loop until *count reaches want (or failure / a silent minute). */
static int run_until(struct hive_end *e, const uint64_t *count, uint64_t want)
{
	uint64_t last = *count, since = hive_now_ns();
	while (*count < want && !e->failed) {
		int rc = hive_run_once(e->a, 1000);
		if (rc < 0) {
			fail(e, "loop", rc);
			break;
		}
		uint64_t now = hive_now_ns();
		if (*count != last) {
			last = *count;
			since = now;
		} else if (now - since > (uint64_t)BENCH_STEP_TIMEOUT_MS * 1000000ull) {
			fail(e, "no progress", -ETIMEDOUT);
		}
	}
	return e->failed ? -EPROTO : 0;
}

static struct hive_actor *join(const char *run_dir, const char *name, struct bench_shared *sh)
{
	struct hive_actor_config cfg = { .name = name, .run_dir = run_dir };
	struct hive_actor *a = NULL;
	int rc = hive_actor_new(&a, &cfg);
	if (rc < 0)
		bench_child_fail(sh, "%s: cannot register: %s", name, strerror(-rc));
	return a;
}

/* ---- bench-b ------------------------------------------------------------------------ */

static void on_ping_responder(struct hive_actor *a, const char *source,
			      const Hive__Envelope *env, void *arg)
{
	struct hive_end *e = arg;
	uint64_t id = env->ping->id;
	if (id & ID_STREAM) {
		uint64_t now = hive_now_ns();
		if (e->streamed++ == 0)
			e->sh->stream_first_ns = now;
		e->sh->stream_last_ns = now;
		if (e->streamed % BENCH_CREDIT_EVERY == 0 || e->streamed == e->p->stream) {
			int rc = send_ping(e, source, ID_CREDIT | e->streamed, 0);
			if (rc < 0)
				fail(e, "credit", rc);
		}
		return;
	}
	/* Echo: the same Ping back. */
	Hive__Envelope reply = HIVE__ENVELOPE__INIT;
	reply.body_case = HIVE__ENVELOPE__BODY_PING;
	reply.ping = env->ping;
	int rc = hive_send(a, source, &reply);
	if (rc < 0)
		fail(e, "echo", rc);
	e->next++;
}

static int hive_responder(void *arg, const struct bench_params *p, struct bench_shared *sh,
			  int ready_fd)
{
	struct hive_ctx *c = arg;
	struct hive_end e = { .p = p, .sh = sh, .rounds = p->warmup + p->samples };
	e.a = join(c->run_dir, "bench-b", sh);
	if (!e.a)
		return -ECONNREFUSED;
	hive_on(e.a, HIVE__ENVELOPE__BODY_PING, on_ping_responder, &e);
	hive_on(e.a, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, &e);
	hive_actor_ready(e.a);
	bench_child_ready(ready_fd);
	int rc = run_until(&e, &e.next, e.rounds);
	if (rc == 0)
		rc = run_until(&e, &e.streamed, p->stream);
	sh->stream_count = e.streamed;
	/* Let the last credit leave before the socket closes (it lingers). */
	hive_actor_destroy(&e.a);
	return rc;
}

/* ---- bench-a ------------------------------------------------------------------------ */

static void on_ping_driver(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			   void *arg)
{
	struct hive_end *e = arg;
	uint64_t now = hive_now_ns();
	uint64_t id = env->ping->id;
	if (id & ID_CREDIT) {
		e->credited = id & ID_MASK;
		return;
	}
	if (id != e->next || env->ping->payload.len != e->p->size) {
		bench_child_fail(e->sh, "reply %llu (%zu bytes) when %llu (%zu bytes) was due",
				 (unsigned long long)id, env->ping->payload.len,
				 (unsigned long long)e->next, e->p->size);
		e->failed = true;
		return;
	}
	if (e->next >= e->p->warmup)
		e->sh->rtt_ns[e->sh->nsamples++] = now - e->t0;
	e->next++;
	if (e->p->loop_driven || e->next == e->rounds)
		return;
	/* React to the reply from its handler, as an actor does. */
	e->t0 = hive_now_ns();
	int rc = send_ping(e, source, e->next, e->p->size);
	if (rc < 0)
		fail(e, "ping", rc);
	(void)a;
}

static int drive_round_trips(struct hive_end *e)
{
	if (!e->p->loop_driven) {
		e->t0 = hive_now_ns();
		int rc = send_ping(e, "bench-b", 0, e->p->size);
		if (rc < 0) {
			fail(e, "ping", rc);
			return rc;
		}
		return run_until(e, &e->next, e->rounds);
	}
	/* Loop-driven: the next ping leaves after hive_run_once returned (and
	 * after the runtime sent whatever it sends at the end of a turn). */
	while (e->next < e->rounds && !e->failed) {
		uint64_t want = e->next + 1;
		e->t0 = hive_now_ns();
		int rc = send_ping(e, "bench-b", e->next, e->p->size);
		if (rc < 0) {
			fail(e, "ping", rc);
			break;
		}
		if (run_until(e, &e->next, want) < 0)
			break;
	}
	return e->failed ? -EPROTO : 0;
}

static int drive_stream(struct hive_end *e)
{
	uint64_t total = e->p->stream, sent = 0;
	uint64_t last = 0, since = hive_now_ns();
	while (e->credited < total && !e->failed) {
		while (sent < total && sent - e->credited < BENCH_WINDOW) {
			int rc = send_ping(e, "bench-b", ID_STREAM | sent, e->p->size);
			if (rc == -EAGAIN)
				break; /* back-pressure: run the loop, then retry */
			if (rc < 0) {
				fail(e, "stream", rc);
				return rc;
			}
			sent++;
			if ((sent & 255) == 0 && hive_run_once(e->a, 0) < 0)
				break; /* picks up credits; a failure shows below */
		}
		bool open = sent < total && sent - e->credited < BENCH_WINDOW;
		int rc = hive_run_once(e->a, open ? 0 : 1000);
		if (rc < 0) {
			fail(e, "loop", rc);
			break;
		}
		uint64_t now = hive_now_ns();
		if (e->credited != last) {
			last = e->credited;
			since = now;
		} else if (now - since > (uint64_t)BENCH_STEP_TIMEOUT_MS * 1000000ull) {
			fail(e, "stream stalled", -ETIMEDOUT);
		}
	}
	return e->failed ? -EPROTO : 0;
}

static int hive_driver(void *arg, const struct bench_params *p, struct bench_shared *sh,
		       int ready_fd)
{
	struct hive_ctx *c = arg;
	struct hive_end e = { .p = p, .sh = sh, .rounds = p->warmup + p->samples };
	e.payload = calloc(1, p->size ? p->size : 1);
	e.a = e.payload ? join(c->run_dir, "bench-a", sh) : NULL;
	if (!e.a) {
		free(e.payload);
		return -ECONNREFUSED;
	}
	hive_on(e.a, HIVE__ENVELOPE__BODY_PING, on_ping_driver, &e);
	hive_on(e.a, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, &e);
	hive_actor_ready(e.a);
	int rc = drive_round_trips(&e);
	if (rc == 0)
		rc = drive_stream(&e);
	hive_actor_destroy(&e.a);
	free(e.payload);
	(void)ready_fd;
	return rc;
}

int bench_hive(struct bench *b, const struct bench_params *p, struct bench_result *r)
{
	struct hive_ctx c;
	memset(r, 0, sizeof *r);
	int rc = bench_run_dir(b, c.run_dir, sizeof c.run_dir, "hive");
	if (rc < 0) {
		snprintf(r->error, sizeof r->error, "run dir: %s", strerror(-rc));
		return rc;
	}
	pid_t broker = bench_spawn_broker(b, c.run_dir, p->cpu_middle);
	if (broker < 0) {
		snprintf(r->error, sizeof r->error, "hive-broker did not start");
		rc = (int)broker;
	} else {
		rc = bench_pair(b, p, hive_responder, hive_driver, &c, r);
		b->broker_loaded_rss_kib = bench_proc_kib(broker, "status", "VmRSS");
		b->broker_loaded_hwm_kib = bench_proc_kib(broker, "status", "VmHWM");
	}
	bench_kill_all(b);
	bench_remove_tree(c.run_dir);
	return rc;
}

/* ---- RSS ------------------------------------------------------------------------------ */

int bench_idle_actor_main(const char *run_dir, int ready_fd)
{
	struct hive_actor_config cfg = { .name = "bench-idle", .run_dir = run_dir };
	struct hive_actor *a = NULL;
	if (hive_actor_new(&a, &cfg) < 0)
		return 1;
	hive_actor_ready(a);
	/* One turn so the Ready is out, then say so and sit in the loop. */
	hive_run_once(a, 10);
	bench_child_ready(ready_fd);
	close(ready_fd);
	int rc = hive_run(a);
	hive_actor_destroy(&a);
	return rc < 0;
}

int bench_rss(struct bench *b, struct bench_rss *out)
{
	char dir[4200];
	memset(out, 0, sizeof *out);
	int rc = bench_run_dir(b, dir, sizeof dir, "rss");
	if (rc < 0)
		return rc;
	pid_t broker = bench_spawn_broker(b, dir, -1);
	int fd = -1;
	pid_t actor = -1;
	if (broker > 0) {
		char *argv[] = { (char *)b->self_exe, "--idle-actor", dir, NULL };
		actor = bench_spawn_self(b, argv, &fd);
	}
	if (broker < 0 || actor < 0 || bench_wait_ready(fd, 10000) != 1) {
		rc = -ECHILD;
	} else {
		/* Idle: let it settle in its poll. */
		struct timespec ts = { 0, 300 * 1000000 };
		nanosleep(&ts, NULL);
		out->broker_rss = bench_proc_kib(broker, "status", "VmRSS");
		out->broker_hwm = bench_proc_kib(broker, "status", "VmHWM");
		out->broker_anon = bench_proc_kib(broker, "status", "RssAnon");
		out->broker_file = bench_proc_kib(broker, "status", "RssFile");
		out->broker_pss = bench_proc_kib(broker, "smaps_rollup", "Pss");
		out->actor_rss = bench_proc_kib(actor, "status", "VmRSS");
		out->actor_hwm = bench_proc_kib(actor, "status", "VmHWM");
		out->actor_anon = bench_proc_kib(actor, "status", "RssAnon");
		out->actor_file = bench_proc_kib(actor, "status", "RssFile");
		out->actor_pss = bench_proc_kib(actor, "smaps_rollup", "Pss");
		rc = out->broker_rss > 0 && out->actor_rss > 0 ? 0 : -ESRCH;
	}
	if (fd >= 0)
		close(fd);
	bench_kill_all(b);
	bench_remove_tree(dir);
	return rc;
}

/* ---- codec ------------------------------------------------------------------------------ */

void bench_codec(size_t size, double *pack_ns, double *unpack_ns, size_t *packed_len)
{
	uint8_t *payload = calloc(1, size ? size : 1);
	uint8_t *buf = malloc(size + 256);
	struct arena arena;
	arena_init(&arena);
	Hive__Ping ping = HIVE__PING__INIT;
	ping.payload.data = payload;
	ping.payload.len = size;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PING;
	env.ping = &ping;
	size_t len = 0;
	volatile uint64_t sink = 0; /* keeps the loops */

	uint64_t t0 = hive_now_ns();
	for (unsigned i = 0; i < CODEC_ROUNDS; i++) {
		env.seq = i + 1;
		env.sent_ns = t0 + i;
		ping.id = i;
		len = protobuf_c_message_get_packed_size(&env.base);
		protobuf_c_message_pack(&env.base, buf);
		sink += buf[len - 1];
	}
	uint64_t t1 = hive_now_ns();
	for (unsigned i = 0; i < CODEC_ROUNDS; i++) {
		Hive__Envelope *e = hive__envelope__unpack(&arena.allocator, len, buf);
		sink += e ? e->ping->payload.len : 0;
		arena_reset(&arena);
	}
	uint64_t t2 = hive_now_ns();
	*pack_ns = (double)(t1 - t0) / CODEC_ROUNDS;
	*unpack_ns = (double)(t2 - t1) / CODEC_ROUNDS;
	*packed_len = len;
	arena_fini(&arena);
	free(buf);
	free(payload);
}
