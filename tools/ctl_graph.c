/* hive-ctl commands about the graph itself: status, wait-ready, ping. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define CTL_TIMEOUT_MS 5000

struct reply {
	bool done;
	Hive__Status *status;     /* deep copy */
	Hive__Notice__Kind kind;  /* last notice */
	uint64_t result_id;
};

static void on_status(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct reply *r = arg;
	if (strcmp(source, "broker") != 0 || r->status)
		return;
	r->status = ctl_copy(&env->status->base);
	r->done = true;
}

static bool wait_for(struct ctl *c, const bool *flag, int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (!*flag) {
		uint64_t now = hive_now_ns();
		if (now >= deadline || hive_actor_stopping(c->actor))
			return false;
		if (hive_run_once(c->actor, (int)((deadline - now) / 1000000ull) + 1) < 0)
			return *flag;
	}
	return true;
}

static int send_status_request(struct ctl *c)
{
	Hive__StatusRequest req = HIVE__STATUS_REQUEST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_STATUS_REQUEST;
	env.status_request = &req;
	return hive_send(c->actor, "broker", &env);
}

Hive__Status *ctl_status(struct ctl *c, int timeout_ms)
{
	struct reply r = { 0 };
	hive_on(c->actor, HIVE__ENVELOPE__BODY_STATUS, on_status, &r);
	if (send_status_request(c) == 0)
		wait_for(c, &r.done, timeout_ms);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_STATUS, NULL, NULL);
	return r.status;
}

/* Both forms leave out the asking tool's own connection. */
static json_t *status_json(const Hive__Status *st, const char *self)
{
	json_t *actors = json_array();
	for (size_t i = 0; i < st->n_actors; i++) {
		const Hive__ActorStatus *s = st->actors[i];
		if (strcmp(s->name, self) == 0)
			continue;
		json_array_append_new(actors, json_pack(
			"{s:s, s:i, s:b, s:b, s:i, s:i, s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:s}",
			"name", s->name, "pid", (int)s->pid, "up", s->up, "ready", s->ready,
			"restarts", (int)s->restarts, "queue_depth", (int)s->queue_depth,
			"queue_bytes", (json_int_t)s->queue_bytes, "in_flight", (int)s->in_flight,
			"msgs_in", (json_int_t)s->msgs_in, "msgs_out", (json_int_t)s->msgs_out,
			"bytes_in", (json_int_t)s->bytes_in, "bytes_out", (json_int_t)s->bytes_out,
			"dropped", (json_int_t)s->dropped, "program", s->program));
	}
	return json_pack("{s:s, s:b, s:i, s:b, s:I, s:I, s:i, s:o}", "command", "status", "ok", 1,
			 "broker_pid", (int)st->broker_pid, "graph_ready", st->graph_ready,
			 "routed", (json_int_t)st->routed, "malformed", (json_int_t)st->malformed,
			 "tap_subscriptions", (int)st->tap_subscriptions, "actors", actors);
}

static void status_print(const Hive__Status *st, const char *self)
{
	printf("broker pid %u, graph %s, %llu routed, %llu malformed, %u tap subscription%s\n",
	       st->broker_pid, st->graph_ready ? "ready" : "not ready",
	       (unsigned long long)st->routed, (unsigned long long)st->malformed,
	       st->tap_subscriptions, st->tap_subscriptions == 1 ? "" : "s");
	printf("%-16s %7s %-5s %-5s %8s %6s %8s %10s %10s %11s %11s %8s\n", "ACTOR", "PID", "STATE",
	       "READY", "RESTARTS", "QUEUE", "INFLIGHT", "MSGS_IN", "MSGS_OUT", "BYTES_IN",
	       "BYTES_OUT", "DROPPED");
	for (size_t i = 0; i < st->n_actors; i++) {
		const Hive__ActorStatus *s = st->actors[i];
		if (strcmp(s->name, self) == 0)
			continue;
		printf("%-16s %7u %-5s %-5s %8u %6u %8u %10llu %10llu %11llu %11llu %8llu\n",
		       s->name, s->pid, s->up ? "up" : "down", s->ready ? "yes" : "no", s->restarts,
		       s->queue_depth, s->in_flight, (unsigned long long)s->msgs_in,
		       (unsigned long long)s->msgs_out, (unsigned long long)s->bytes_in,
		       (unsigned long long)s->bytes_out, (unsigned long long)s->dropped);
	}
	fflush(stdout);
}

int ctl_cmd_status(struct ctl *c, int argc, char **argv)
{
	if (argc != 1)
		return ctl_fail(c, "status", "takes no arguments");
	if (ctl_connect(c, ctl_timeout_ms(c, CTL_TIMEOUT_MS)) < 0)
		return ctl_fail(c, "status", "no graph answers at %s; start one with hive-launch "
			       "or pass --run-dir", c->run_dir);
	Hive__Status *st = ctl_status(c, ctl_timeout_ms(c, CTL_TIMEOUT_MS));
	if (!st)
		return ctl_fail(c, "status", "the broker did not answer within %d ms",
				ctl_timeout_ms(c, CTL_TIMEOUT_MS));
	if (c->json)
		ctl_print_json(status_json(st, hive_actor_name(c->actor)));
	else
		status_print(st, hive_actor_name(c->actor));
	hive__status__free_unpacked(st, NULL);
	return 0;
}

static void on_notice(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct reply *r = arg;
	if (strcmp(source, "broker") == 0 && env->notice->kind == HIVE__NOTICE__KIND__GRAPH_READY)
		r->done = true;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v <= 0 || v > 86400)
		return -1;
	*out = v;
	return 0;
}

int ctl_cmd_wait_ready(struct ctl *c, int argc, char **argv)
{
	double seconds = ctl_timeout_ms(c, 30000) / 1000.0;
	if (argc == 3 && strcmp(argv[1], "--timeout") == 0) {
		if (parse_seconds(argv[2], &seconds) < 0)
			return ctl_fail(c, "wait-ready", "--timeout %s: expected seconds (0 < S <= "
				       "86400)", argv[2]);
	} else if (argc != 1) {
		return ctl_fail(c, "wait-ready", "usage: wait-ready [--timeout SECONDS]");
	}
	uint64_t start = hive_now_ns();
	int timeout_ms = (int)(seconds * 1000);
	if (ctl_connect(c, timeout_ms) < 0)
		return ctl_fail(c, "wait-ready", "no graph answered at %s within %.1f s",
				c->run_dir, seconds);
	/* Watch first, then ask: a GraphReady in between is not missed. */
	struct reply r = { 0 };
	hive_on(c->actor, HIVE__ENVELOPE__BODY_NOTICE, on_notice, &r);
	Hive__Watch w = HIVE__WATCH__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_WATCH;
	env.watch = &w;
	hive_send(c->actor, "broker", &env);
	int left = timeout_ms - (int)((hive_now_ns() - start) / 1000000ull);
	Hive__Status *st = ctl_status(c, left > 0 ? left : 1);
	if (st && st->graph_ready)
		r.done = true;
	hive__status__free_unpacked(st, NULL);
	left = timeout_ms - (int)((hive_now_ns() - start) / 1000000ull);
	if (!r.done && left > 0)
		wait_for(c, &r.done, left);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_NOTICE, NULL, NULL);
	if (!r.done)
		return ctl_fail(c, "wait-ready", "the graph at %s was not ready within %.1f s; "
			       "'status' shows which actor is missing", c->run_dir, seconds);
	double took = (double)(hive_now_ns() - start) / 1e9;
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:f}", "command", "wait-ready", "ok", 1,
					 "seconds", took));
	else
		printf("ready (%.3f s)\n", took);
	fflush(stdout);
	return 0;
}

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct reply *r = arg;
	if (env->result->id == r->result_id)
		r->done = true;
}

static void on_undeliverable(struct hive_actor *a, const char *source,
			     const Hive__Envelope *env, void *arg)
{
	struct reply *r = arg;
	r->kind = HIVE__NOTICE__KIND__REFUSED;
	r->done = true;
}

int ctl_cmd_ping(struct ctl *c, int argc, char **argv)
{
	long count = 1;
	if (argc == 4 && strcmp(argv[2], "--count") == 0) {
		char *end;
		count = strtol(argv[3], &end, 10);
		if (*end || count < 1 || count > 1000000)
			return ctl_fail(c, "ping", "--count %s: expected 1 to 1000000", argv[3]);
	} else if (argc != 2) {
		return ctl_fail(c, "ping", "usage: ping ACTOR [--count N]");
	}
	const char *dest = argv[1];
	int timeout_ms = ctl_timeout_ms(c, CTL_TIMEOUT_MS);
	if (!hive_name_valid(dest))
		return ctl_fail(c, "ping", "'%s' is not an actor name", dest);
	if (ctl_connect(c, timeout_ms) < 0)
		return ctl_fail(c, "ping", "no graph answers at %s", c->run_dir);
	struct reply r = { 0 };
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, on_result, &r);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, &r);
	uint64_t best = UINT64_MAX, sum = 0;
	long done = 0;
	int rc = 0;
	for (; done < count; done++) {
		Hive__Ping p = HIVE__PING__INIT;
		p.id = (uint64_t)done;
		Hive__Request req = HIVE__REQUEST__INIT;
		req.id = r.result_id = c->next_request_id++;
		req.op_case = HIVE__REQUEST__OP_ECHO;
		req.echo = &p;
		Hive__Envelope env = HIVE__ENVELOPE__INIT;
		env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
		env.request = &req;
		r.done = false;
		uint64_t t0 = hive_now_ns();
		if (hive_send(c->actor, dest, &env) < 0 || !wait_for(c, &r.done, timeout_ms) ||
		    r.kind == HIVE__NOTICE__KIND__REFUSED) {
			rc = ctl_fail(c, "ping", "%s did not answer within %d ms (is it running? "
				      "'status' shows the actors)", dest, timeout_ms);
			break;
		}
		uint64_t dt = hive_now_ns() - t0;
		sum += dt;
		if (dt < best)
			best = dt;
	}
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, NULL, NULL);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_UNDELIVERABLE, NULL, NULL);
	if (rc == 0) {
		double avg_us = (double)sum / (double)done / 1e3, best_us = (double)best / 1e3;
		if (c->json)
			ctl_print_json(json_pack("{s:s, s:b, s:s, s:i, s:f, s:f}", "command", "ping",
						 "ok", 1, "actor", dest, "count", (int)done,
						 "avg_us", avg_us, "min_us", best_us));
		else
			printf("%s answered %ld echo%s: avg %.1f us, min %.1f us\n", dest, done,
			       done == 1 ? "" : "s", avg_us, best_us);
		fflush(stdout);
	}
	return rc;
}
