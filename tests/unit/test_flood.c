/* A flood: one actor sends as fast as it can to another that reads slowly,
 * through a real hive-broker started with a small queue bound. The broker's
 * memory stays bounded (its RSS, sampled during the flood, grows by no more
 * than a bound derived from --queue-bytes, while the flood offers many
 * times that), every message is either delivered, in order, or dropped,
 * and every drop is reported: an Undeliverable to the sender and the
 * reader's "dropped" counter in the broker's Status, both equal. The
 * flooder sends in bursts of BURST and lets the broker route each burst
 * (a Status round trip) before the next: the broker's inbound pipe has no
 * bound of its own (ZMQ_RCVHWM 0), and this measures the queue bound. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define PAYLOAD 32768
#define QUEUE_MSGS 500
#define QUEUE_BYTES (2u << 20)
#define FLOOD_MSGS 4000 /* 128 MiB offered, 64 times the queue bound */
#define READ_EVERY_MS 300 /* the reader takes one batch this often */
/* What the broker may grow by: the queue's bytes twice (the bound counts
 * what waits and what was delivered but not acknowledged, which ZeroMQ may
 * still hold), ZeroMQ's buffers and the allocator's slack (ASan's redzones
 * and shadow: +7 MiB measured, +3 MiB without ASan). Without the bound on
 * what was delivered, ZeroMQ's pipe to a slow reader held up to
 * QUEUE_MSGS + 1000 messages: 48 MiB here. */
#define RSS_SLACK_KIB (12u * 1024)
#define BURST 64 /* messages, then a Status round trip */
#define RSS_BOUND_KIB (2u * QUEUE_BYTES / 1024 + BURST * PAYLOAD / 1024 + RSS_SLACK_KIB)

struct flood {
	uint64_t undeliverable;
	uint64_t received, out_of_order, last_id;
};

static char *dir;

static void fini(void)
{
	th_cleanup();
	free(dir);
	dir = NULL;
}

static void on_undeliverable(struct hive_actor *a, const char *source,
			     const Hive__Envelope *env, void *arg)
{
	((struct flood *)arg)->undeliverable++;
}

static void on_ping(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	struct flood *f = arg;
	if (env->ping->id <= f->last_id)
		f->out_of_order++;
	f->last_id = env->ping->id;
	f->received++;
}

/* VmRSS of pid in KiB, 0 when unknown. */
static unsigned long rss_kib(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	char *s = th_slurp(path, NULL);
	const char *p = s ? strstr(s, "VmRSS:") : NULL;
	unsigned long kib = p ? strtoul(p + 6, NULL, 10) : 0;
	free(s);
	return kib;
}

static int send_ping(struct hive_actor *a, uint64_t id, uint8_t *payload)
{
	Hive__Ping p = HIVE__PING__INIT;
	p.id = id;
	p.payload.data = payload;
	p.payload.len = PAYLOAD;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PING;
	env.ping = &p;
	return hive_send(a, "reader", &env);
}

Test(flood, slow_reader_keeps_the_broker_bounded_and_drops_are_reported, .fini = fini,
     .timeout = 240)
{
	char qm[32], qb[32], blog[600];
	snprintf(qm, sizeof qm, "%u", QUEUE_MSGS);
	snprintf(qb, sizeof qb, "%u", QUEUE_BYTES);
	dir = th_run_dir();
	cr_assert_not_null(dir);
	snprintf(blog, sizeof blog, "%s/broker.log", dir);
	const char *extra[] = { "--queue-messages", qm, "--queue-bytes", qb, NULL };
	/* Under ASan freed memory waits in a quarantine (256 MiB by default)
	 * that would count as the broker's: a small one for this broker. */
	const char *ao = getenv("ASAN_OPTIONS");
	char *saved = ao ? strdup(ao) : NULL;
	char opts[1024];
	snprintf(opts, sizeof opts, "%s%squarantine_size_mb=1", ao ? ao : "", ao && *ao ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	pid_t broker = th_start_broker_log(dir, extra, blog);
	if (saved)
		setenv("ASAN_OPTIONS", saved, 1);
	else
		unsetenv("ASAN_OPTIONS");
	free(saved);
	cr_assert_gt(broker, 0, "the broker did not start");
	struct hive_actor *flooder = th_actor(dir, "flooder");
	struct hive_actor *reader = th_actor(dir, "reader");
	cr_assert(flooder && reader);
	struct flood f = { 0 };
	hive_on(flooder, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, &f);
	hive_on(reader, HIVE__ENVELOPE__BODY_PING, on_ping, &f);

	unsigned long base = rss_kib(broker), peak = base;
	cr_assert_gt(base, 0, "no RSS for the broker");
	uint8_t *payload = malloc(PAYLOAD);
	cr_assert_not_null(payload);
	for (size_t i = 0; i < PAYLOAD; i++)
		payload[i] = (uint8_t)i;
	uint64_t sent = 0, full = 0, next_read = hive_now_ns();
	uint64_t deadline = hive_now_ns() + 120000ull * 1000000ull;
	while (sent < FLOOD_MSGS) {
		cr_assert_lt(hive_now_ns(), deadline, "flood: %llu of %u sent",
			     (unsigned long long)sent, FLOOD_MSGS);
		int rc = send_ping(flooder, sent + 1, payload);
		if (rc == 0) {
			sent++;
		} else {
			/* The flooder's own pipe to the broker is full: the
			 * broker is behind; let it catch up. */
			cr_assert_eq(rc, -EAGAIN, "send: %s", strerror(-rc));
			full++;
			hive_run_once(flooder, 1);
		}
		if (rc == 0 && sent % BURST == 0) {
			/* The broker took the burst in: what it holds now is its
			 * queues, not its inbound pipe (ZMQ_RCVHWM 0: a sender that
			 * outruns the broker's loop is buffered there unbounded). */
			Hive__Status *st = th_status(flooder, TH_DEADLINE_MS);
			cr_assert_not_null(st, "the broker stopped answering");
			hive__status__free_unpacked(st, NULL);
			unsigned long r = rss_kib(broker);
			if (r > peak)
				peak = r;
		}
		if (hive_now_ns() >= next_read) {
			hive_run_once(reader, 0);
			next_read = hive_now_ns() + READ_EVERY_MS * 1000000ull;
		}
	}
	free(payload);

	/* Drain: the reader takes what the broker kept; the sender hears of
	 * every drop. */
	Hive__Status *st = NULL;
	uint64_t dropped = 0;
	deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 3 * 1000000ull;
	for (;;) {
		cr_assert_lt(hive_now_ns(), deadline,
			     "drain: %llu received + %llu undeliverable of %llu sent (%llu dropped)",
			     (unsigned long long)f.received, (unsigned long long)f.undeliverable,
			     (unsigned long long)sent, (unsigned long long)dropped);
		hive_run_once(reader, 1);
		hive_run_once(flooder, 1);
		if (f.received + f.undeliverable < sent)
			continue;
		st = th_status(flooder, TH_DEADLINE_MS);
		cr_assert_not_null(st, "no Status from the broker");
		const Hive__ActorStatus *rs = th_status_find(st, "reader");
		cr_assert_not_null(rs);
		dropped = rs->dropped;
		if (rs->queue_depth == 0 && rs->in_flight == 0)
			break;
		hive__status__free_unpacked(st, NULL);
		st = NULL;
	}
	unsigned long r = rss_kib(broker);
	if (r > peak)
		peak = r;
	fprintf(stderr, "flood: %llu sent (%u B each, %llu times the sender's pipe was full), "
			"%llu delivered in order, %llu dropped and reported; broker RSS %lu KiB "
			"-> peak %lu KiB (+%lu KiB, bound +%u KiB for a %u-byte queue)\n",
		(unsigned long long)sent, PAYLOAD, (unsigned long long)full,
		(unsigned long long)f.received, (unsigned long long)dropped, base, peak, peak - base,
		RSS_BOUND_KIB, QUEUE_BYTES);
	cr_assert_eq(f.out_of_order, 0, "%llu messages out of order",
		     (unsigned long long)f.out_of_order);
	cr_assert_gt(dropped, 0, "a slow reader and no drop: the flood was not a flood");
	cr_assert_eq(dropped, f.undeliverable, "%llu dropped but %llu Undeliverable",
		     (unsigned long long)dropped, (unsigned long long)f.undeliverable);
	cr_assert_eq(f.received + dropped, sent);
	cr_assert_leq(peak - base, RSS_BOUND_KIB,
		      "the broker grew by %lu KiB, more than the bound of %u KiB", peak - base,
		      RSS_BOUND_KIB);
	cr_assert(th_file_contains(blog, "queue for reader is full", TH_DEADLINE_MS),
		  "the broker did not log the drops");
	hive__status__free_unpacked(st, NULL);
	hive_actor_destroy(&flooder);
	hive_actor_destroy(&reader);
}
