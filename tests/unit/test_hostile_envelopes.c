/* Hostile envelopes at every actor: a whole graph (launcher/graphs/
 * peripheral.json on hive-vctrl: hci, host, l2cap, gatt, smp) plus hive-sdp,
 * and a raw ZeroMQ connection that sends each actor, through the real
 * broker, an oversized frame, bytes that are not protobuf, and protobuf of
 * the wrong schema (the Envelope's fields with the wrong wire types).
 * The broker drops the first two kinds, counts them and logs them, and
 * tells the sender why of what it can parse the sender of (Undeliverable);
 * the graph's permissions make it look at every envelope. Each actor drops
 * the wrong-schema envelopes with a log line naming the sender. Then every
 * actor still answers an echo request. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"

static char *dir;

static void fini(void)
{
	th_cleanup();
	free(dir);
	dir = NULL;
}

static const char *const actors[] = { "hci", "host", "l2cap", "gatt", "smp", "sdp" };
enum { NACTORS = sizeof actors / sizeof actors[0] };

struct echo_wait {
	uint64_t answered[NACTORS];
};

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct echo_wait *w = arg;
	const Hive__Result *r = env->result;
	if (r->id >= 1 && r->id <= NACTORS && r->value_case == HIVE__RESULT__VALUE_ECHO &&
	    r->echo && r->echo->id == r->id && strcmp(source, actors[r->id - 1]) == 0)
		w->answered[r->id - 1]++;
}

static void raw_send(void *s, const char *dest, const void *b, size_t len)
{
	cr_assert_eq(zmq_send(s, dest, strlen(dest), ZMQ_SNDMORE), (int)strlen(dest));
	cr_assert_eq(zmq_send(s, b, len, 0), (int)len);
}

/* The Undeliverable envelopes waiting on the raw socket that say the
 * envelope does not parse. */
static unsigned read_undeliverable(void *raw)
{
	unsigned n = 0;
	for (;;) {
		zmq_msg_t src, body;
		zmq_msg_init(&src);
		zmq_msg_init(&body);
		bool got = zmq_msg_recv(&src, raw, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&src) &&
			   zmq_msg_recv(&body, raw, 0) >= 0;
		if (got) {
			Hive__Envelope *env = hive__envelope__unpack(NULL, zmq_msg_size(&body),
								     zmq_msg_data(&body));
			if (env && env->body_case == HIVE__ENVELOPE__BODY_UNDELIVERABLE &&
			    strstr(env->undeliverable->reason, "does not parse"))
				n++;
			if (env)
				hive__envelope__free_unpacked(env, NULL);
		}
		zmq_msg_close(&src);
		zmq_msg_close(&body);
		if (!got)
			return n;
	}
}

/* Lines of the log at path from actor name that contain needle. */
static unsigned count_lines(const char *path, const char *name, const char *needle)
{
	char *text = th_slurp(path, NULL);
	unsigned n = 0;
	size_t nl = strlen(name);
	for (char *line = text; line && *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = '\0';
		if (strncmp(line, name, nl) == 0 && line[nl] == ' ' && strstr(line, needle))
			n++;
		line = end ? end + 1 : NULL;
	}
	free(text);
	return n;
}

Test(hostile_envelopes, every_actor_drops_them_with_a_log_line_and_serves, .fini = fini,
     .timeout = 180)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	char sock[600], vout[600], run[600], ks[700], ksset[800], graph[2300], cwd[2048];
	char transport[700], out[600], err[600], sdplog[600];
	snprintf(sock, sizeof sock, "%s/c0", dir);
	snprintf(vout, sizeof vout, "%s/vctrl.out", dir);
	snprintf(run, sizeof run, "%s/run", dir);
	snprintf(ks, sizeof ks, "%s/bonds.sqlite3", dir);
	snprintf(ksset, sizeof ksset, "smp.keystore=%s", ks);
	snprintf(transport, sizeof transport, "unix:%s", sock);
	snprintf(out, sizeof out, "%s/launch.out", dir);
	snprintf(err, sizeof err, "%s/launch.err", dir);
	snprintf(sdplog, sizeof sdplog, "%s/sdp.log", dir);
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	snprintf(graph, sizeof graph, "%s/launcher/graphs/peripheral.json", cwd);
	cr_assert_eq(mkdir(run, 0700), 0);
	const char *vargv[] = { "hive-vctrl", "--unix", sock, NULL };
	cr_assert_gt(th_spawn(vargv, vout, NULL), 0);
	cr_assert(th_file_contains(vout, "ready", TH_DEADLINE_MS), "hive-vctrl not ready");
	const char *largv[] = { "hive-launch", graph, "--transport", transport, "--run-dir", run,
				"--set", ksset, NULL };
	cr_assert_gt(th_spawn(largv, out, err), 0);
	cr_assert(th_file_contains(out, "ready", TH_DEADLINE_MS), "graph not ready (see %s)", err);
	const char *sargv[] = { "hive-sdp", "--run-dir", run, NULL };
	cr_assert_gt(th_spawn(sargv, NULL, sdplog), 0);

	struct hive_actor *asker = th_actor(run, "asker");
	cr_assert_not_null(asker);
	uint64_t malformed0 = 0;
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	for (bool all_up = false; !all_up;) {
		cr_assert_lt(hive_now_ns(), deadline, "not every actor registered");
		Hive__Status *st = th_status(asker, TH_DEADLINE_MS);
		cr_assert_not_null(st);
		all_up = true;
		for (size_t i = 0; i < NACTORS; i++) {
			const Hive__ActorStatus *s = th_status_find(st, actors[i]);
			all_up = all_up && s && s->up && s->ready;
		}
		malformed0 = st->malformed;
		hive__status__free_unpacked(st, NULL);
	}

	void *ctx = zmq_ctx_new();
	void *raw = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 0;
	zmq_setsockopt(raw, ZMQ_LINGER, &linger, sizeof linger);
	char rid[64];
	int rlen = snprintf(rid, sizeof rid, "evil#%d#0", (int)getpid());
	zmq_setsockopt(raw, ZMQ_ROUTING_ID, rid, (size_t)rlen);
	char ep[700];
	snprintf(ep, sizeof ep, "ipc://%s/broker", run);
	cr_assert_eq(zmq_connect(raw, ep), 0);

	/* Not protobuf: a varint that never ends. */
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	/* Protobuf, wrong schema: Envelope.seq (field 1, a varint) sent as
	 * bytes; the request body (field 14, a message) sent as a varint. */
	static const uint8_t wrong_seq[] = { 0x0a, 0x02, 'h', 'i' };
	static const uint8_t wrong_body[] = { 0x08, 0x01, 0x70, 0x05 };
	static uint8_t oversized[HIVE_FRAME_MAX_DEFAULT + 4096];
	memset(oversized, 0x08, sizeof oversized);
	for (size_t i = 0; i < NACTORS; i++) {
		raw_send(raw, actors[i], oversized, sizeof oversized);
		raw_send(raw, actors[i], garbage, sizeof garbage);
		raw_send(raw, actors[i], wrong_seq, sizeof wrong_seq);
		raw_send(raw, actors[i], wrong_body, sizeof wrong_body);
	}

	/* The broker: the oversized and the unparsable ones, dropped and
	 * counted; an Undeliverable for each unparsable one. */
	unsigned undeliverable = 0;
	uint64_t malformed = malformed0;
	deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while ((malformed < malformed0 + 2 * NACTORS || undeliverable < NACTORS) &&
	       hive_now_ns() < deadline) {
		Hive__Status *st = th_status(asker, 200);
		if (st)
			malformed = st->malformed;
		hive__status__free_unpacked(st, NULL);
		undeliverable += read_undeliverable(raw);
	}
	cr_assert_eq(malformed, malformed0 + 2 * NACTORS,
		     "the broker counted %llu malformed, not %d",
		     (unsigned long long)(malformed - malformed0), 2 * NACTORS);
	cr_assert_eq(undeliverable, NACTORS, "%u Undeliverable for %d unparsable envelopes",
		     undeliverable, NACTORS);
	cr_assert(th_file_contains(err, "broker", TH_DEADLINE_MS));
	cr_assert_geq(count_lines(err, "broker", "oversized frame"), 1,
		      "the broker did not log the oversized frames (log %s)", err);
	cr_assert_geq(count_lines(err, "broker", "does not parse as protobuf"), 1,
		      "the broker did not log the unparsable envelopes (log %s)", err);

	/* Every actor still serves, and logged each envelope it dropped. */
	struct echo_wait w = { 0 };
	hive_on(asker, HIVE__ENVELOPE__BODY_RESULT, on_result, &w);
	for (size_t i = 0; i < NACTORS; i++) {
		Hive__Ping p = HIVE__PING__INIT;
		p.id = i + 1;
		Hive__Request req = HIVE__REQUEST__INIT;
		req.id = i + 1;
		req.op_case = HIVE__REQUEST__OP_ECHO;
		req.echo = &p;
		Hive__Envelope env = HIVE__ENVELOPE__INIT;
		env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
		env.request = &req;
		cr_assert_eq(hive_send(asker, actors[i], &env), 0);
	}
	deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	for (size_t i = 0; i < NACTORS; i++) {
		while (!w.answered[i] && hive_now_ns() < deadline)
			hive_run_once(asker, 5);
		cr_assert_eq(w.answered[i], 1, "%s did not answer its echo after the hostile "
			     "envelopes", actors[i]);
		const char *log = strcmp(actors[i], "sdp") == 0 ? sdplog : err;
		cr_assert(th_file_contains(log, "dropped a malformed message", TH_DEADLINE_MS));
		unsigned n = count_lines(log, actors[i], "dropped a malformed message (2 frames) "
						       "from evil");
		cr_assert_eq(n, 2, "%s logged %u of the 2 envelopes it dropped (log %s)", actors[i],
			     n, log);
	}
	zmq_close(raw);
	zmq_ctx_term(ctx);
	hive_actor_destroy(&asker);
}
