/* One graph across machines: the envelope peeker and the permissions as pure
 * functions, then a real broker serving tcp with CURVE on 127.0.0.1 (an
 * ephemeral port): routing, a refused key, a key bound to its name, a
 * permission refusal, the heartbeat that declares a silent remote actor
 * down within 3 s, and the tap on tcp (a tracer's key follows a pipe, an
 * actor's key is refused). */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "broker_peek.h"
#include "broker_perm.h"
#include "harness.h"

/* ============================================================================
 * The peeker (no sockets)
 * ========================================================================== */

static size_t pack(Hive__Envelope *env, uint8_t *buf)
{
	return protobuf_c_message_pack(&env->base, buf);
}

Test(peek, finds_seq_body_and_cid)
{
	uint8_t buf[256];
	Hive__ChannelPdu pdu = HIVE__CHANNEL_PDU__INIT;
	pdu.handle = 0x40;
	pdu.cid = 6;
	pdu.payload.data = (uint8_t *)"\x01\x02";
	pdu.payload.len = 2;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.seq = 300;
	env.sent_ns = 123456789;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &pdu;
	struct env_peek pk;
	size_t len = pack(&env, buf);
	cr_assert_eq(env_peek(buf, len, &pk), 0);
	cr_assert_eq(pk.seq, 300);
	cr_assert_eq(pk.body, HIVE__ENVELOPE__BODY_PDU);
	cr_assert(pk.has_cid);
	cr_assert_eq(pk.cid, 6);

	/* An empty body message still names its case; seq 0 is left out. */
	Hive__Ready r = HIVE__READY__INIT;
	Hive__Envelope e2 = HIVE__ENVELOPE__INIT;
	e2.body_case = HIVE__ENVELOPE__BODY_READY;
	e2.ready = &r;
	len = pack(&e2, buf);
	cr_assert_eq(env_peek(buf, len, &pk), 0);
	cr_assert_eq(pk.seq, 0);
	cr_assert_eq(pk.body, HIVE__ENVELOPE__BODY_READY);
	cr_assert_not(pk.has_cid);

	/* Nothing at all: no body. */
	cr_assert_eq(env_peek(buf, 0, &pk), 0);
	cr_assert_eq(pk.body, 0);
}

Test(peek, every_truncation_fails_or_has_no_body)
{
	uint8_t buf[256], payload[100];
	memset(payload, 0xab, sizeof payload);
	Hive__HciPacket h = HIVE__HCI_PACKET__INIT;
	h.type = HIVE__HCI_PACKET__TYPE__ACL;
	h.data.data = payload;
	h.data.len = sizeof payload;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.seq = 1ull << 40;
	env.sent_ns = ~0ull;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &h;
	size_t len = pack(&env, buf);
	struct env_peek pk;
	cr_assert_eq(env_peek(buf, len, &pk), 0);
	cr_assert_eq(pk.body, HIVE__ENVELOPE__BODY_HCI);
	for (size_t n = 0; n < len; n++) {
		int rc = env_peek(buf, n, &pk);
		cr_assert(rc == -EINVAL || pk.body == 0, "%zu of %zu bytes: rc %d body %u", n, len,
			  rc, pk.body);
	}
}

Test(peek, malformed_bytes_are_refused)
{
	struct env_peek pk;
	/* An 11-byte varint. */
	const uint8_t long_varint[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0x01 };
	cr_assert_eq(env_peek(long_varint, sizeof long_varint, &pk), -EINVAL);
	/* Field number 0. */
	cr_assert_eq(env_peek((const uint8_t *)"\x00\x01", 2, &pk), -EINVAL);
	/* A group (wire type 3). */
	cr_assert_eq(env_peek((const uint8_t *)"\x0b\x01", 2, &pk), -EINVAL);
	/* A length past the end. */
	cr_assert_eq(env_peek((const uint8_t *)"\x52\x05\x01", 3, &pk), -EINVAL);
	/* fixed32 and fixed64 are skipped. */
	cr_assert_eq(env_peek((const uint8_t *)"\x1d\x01\x02\x03\x04\x52\x00", 7, &pk), 0);
	cr_assert_eq(pk.body, 10);
	cr_assert_eq(env_peek((const uint8_t *)"\x19\x01\x02\x03\x04\x05\x06\x07", 8, &pk),
		     -EINVAL);
	/* An unknown field after the body does not hide it (field 10, hci, then
	 * field 99, length-delimited). */
	cr_assert_eq(env_peek((const uint8_t *)"\x52\x00\x9a\x06\x01\x00", 6, &pk), 0);
	cr_assert_eq(pk.body, 10);
}

/* ============================================================================
 * Permissions (no sockets)
 * ========================================================================== */

static struct env_peek body(uint32_t b)
{
	return (struct env_peek){ .body = b };
}

static struct perm_table perms_ok(const char *json)
{
	struct perm_table t;
	char err[PERM_ERR_MAX];
	cr_assert_eq(perm_parse(json, strlen(json), "p.json", &t, err, sizeof err), 0, "%s", err);
	return t;
}

Test(perm, built_in_rules)
{
	struct perm_table t = perms_ok("{}");
	char why[320];
	struct env_peek hci = body(HIVE__ENVELOPE__BODY_HCI);
	cr_assert(perm_allows(&t, "host", "hci", &hci, why, sizeof why));
	cr_assert(perm_allows(&t, "hci", "host", &hci, why, sizeof why));
	cr_assert_not(perm_allows(&t, "gatt", "hci", &hci, why, sizeof why));
	cr_assert(strstr(why, "gatt may not send raw HCI"), "%s", why);
	cr_assert_not(perm_allows(&t, "host", "gatt", &hci, why, sizeof why));
	struct env_peek smp = { .body = HIVE__ENVELOPE__BODY_PDU, .has_cid = true, .cid = 6 };
	struct env_peek att = { .body = HIVE__ENVELOPE__BODY_PDU, .has_cid = true, .cid = 4 };
	cr_assert(perm_allows(&t, "l2cap", "smp", &smp, why, sizeof why));
	cr_assert_not(perm_allows(&t, "l2cap", "gatt", &smp, why, sizeof why));
	cr_assert(strstr(why, "key material"), "%s", why);
	cr_assert(perm_allows(&t, "l2cap", "gatt", &att, why, sizeof why));
	/* Anything may go to the broker; a bare broker allows everything. */
	cr_assert(perm_allows(&t, "gatt", "broker", &hci, why, sizeof why));
	struct perm_table none = { 0 };
	cr_assert(perm_allows(&none, "gatt", "hci", &hci, why, sizeof why));
	cr_assert(perm_may_replace(&none, "gatt"));
	cr_assert_not(perm_may_replace(&t, "gatt"));
	perm_fini(&t);
}

Test(perm, per_actor_send_to_kinds_and_replace)
{
	struct perm_table t = perms_ok("{\"gatt\": {\"may_send_to\": [\"l2cap\", \"apps\"], "
				       "\"kinds\": [\"pdu\", \"result\", \"gatt_event\"], "
				       "\"replace\": true}, \"app\": {\"may_send_to\": [\"*\"]}}");
	char why[320];
	struct env_peek pdu = body(HIVE__ENVELOPE__BODY_PDU);
	struct env_peek req = body(HIVE__ENVELOPE__BODY_REQUEST);
	cr_assert(perm_allows(&t, "gatt", "l2cap", &pdu, why, sizeof why));
	cr_assert(perm_allows(&t, "gatt", "my-app", &pdu, why, sizeof why));
	cr_assert_not(perm_allows(&t, "gatt", "host", &pdu, why, sizeof why));
	cr_assert(strstr(why, "gatt may not send to host"), "%s", why);
	cr_assert_not(perm_allows(&t, "gatt", "l2cap", &req, why, sizeof why));
	cr_assert(strstr(why, "request"), "%s", why);
	cr_assert(perm_allows(&t, "app", "host", &req, why, sizeof why));
	cr_assert(perm_allows(&t, "l2cap", "host", &req, why, sizeof why));
	cr_assert(perm_may_replace(&t, "gatt"));
	cr_assert_not(perm_may_replace(&t, "app"));
	perm_fini(&t);
}

Test(perm, mistakes_are_named)
{
	const char *bad[][2] = {
		{ "[]", "must be an object" },
		{ "{\"gatt\": {\"kinds\": [\"hcii\"]}}", "\"hcii\" is not a body" },
		{ "{\"gatt\": {\"may_send_to\": \"l2cap\"}}", "must be an array" },
		{ "{\"gatt\": {\"may_sendto\": []}}", "unknown key 'may_sendto'" },
		{ "{\"gatt\": {\"replace\": 1}}", "true or false" },
		{ "{\"no/name\": {}}", "not an actor name" },
		{ "{", "invalid JSON" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct perm_table t;
		char err[PERM_ERR_MAX];
		int rc = perm_parse(bad[i][0], strlen(bad[i][0]), "p.json", &t, err, sizeof err);
		cr_assert_eq(rc, -EINVAL, "%s was accepted", bad[i][0]);
		cr_assert(strstr(err, bad[i][1]) && strncmp(err, "p.json: ", 8) == 0,
			  "error \"%s\" lacks \"%s\"", err, bad[i][1]);
	}
}

/* ============================================================================
 * A real broker on tcp with CURVE
 * ========================================================================== */

static char *dir;
static char keys[600], blog[600], tcp_ep[256];
static pid_t broker;

struct inbox {
	uint64_t count, undeliverable;
	uint64_t last_id;
	char reason[320];
};

static void on_ping(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	struct inbox *in = arg;
	in->count++;
	in->last_id = env->ping->id;
}

static void on_undeliverable(struct hive_actor *a, const char *source,
			     const Hive__Envelope *env, void *arg)
{
	struct inbox *in = arg;
	in->undeliverable++;
	snprintf(in->reason, sizeof in->reason, "%s", env->undeliverable->reason);
}

static int send_ping(struct hive_actor *a, const char *dest, uint64_t id)
{
	Hive__Ping p = HIVE__PING__INIT;
	p.id = id;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PING;
	env.ping = &p;
	return hive_send(a, dest, &env);
}

static const char *const net_names[] = { "alpha", "beta", "remote1", "gatt", "hci", "trace" };
static char tap_ep[256];

/* Keys for the names above, a broker on ipc and tcp://127.0.0.1:0 with
 * permissions (perm_json), and the port it picked. */
static void start_net(const char *perm_json)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	snprintf(keys, sizeof keys, "%s/keys", dir);
	snprintf(blog, sizeof blog, "%s/broker.log", dir);
	cr_assert_eq(hive_keys_prepare(keys, net_names, 6), 0);
	char perm[700];
	snprintf(perm, sizeof perm, "%s/perm.json", dir);
	FILE *f = fopen(perm, "w");
	cr_assert_not_null(f);
	fputs(perm_json, f);
	fclose(f);
	const char *extra[] = { "--bind", "tcp://127.0.0.1:0", "--tap-bind", "tcp://127.0.0.1:0",
				"--keys", keys, "--permissions", perm, "--log-level", "info", NULL };
	broker = th_start_broker_log(dir, extra, blog);
	cr_assert_gt(broker, 0, "the broker did not start:\n%s", th_slurp(blog, NULL));
	char path[700];
	snprintf(path, sizeof path, "%s/broker.endpoints", dir);
	char *eps = th_slurp(path, NULL);
	cr_assert_not_null(eps, "no %s", path);
	eps[strcspn(eps, "\n")] = '\0';
	cr_assert(strncmp(eps, "tcp://127.0.0.1:", 16) == 0, "endpoint %s", eps);
	snprintf(tcp_ep, sizeof tcp_ep, "%s", eps);
	free(eps);
	snprintf(path, sizeof path, "%s/tap.endpoints", dir);
	eps = th_slurp(path, NULL);
	cr_assert_not_null(eps, "no %s", path);
	eps[strcspn(eps, "\n")] = '\0';
	cr_assert(strncmp(eps, "tcp://127.0.0.1:", 16) == 0, "tap endpoint %s", eps);
	snprintf(tap_ep, sizeof tap_ep, "%s", eps);
	free(eps);
}

static void net_setup(void)
{
	start_net("{\"gatt\": {\"may_send_to\": [\"l2cap\", \"apps\"]}}");
}

static void net_teardown(void)
{
	th_cleanup();
	free(dir);
	dir = NULL;
}

static int tcp_actor(struct hive_actor **out, const char *name, const char *keys_dir)
{
	struct hive_actor_config cfg = { .name = name, .endpoint = tcp_ep, .keys_dir = keys_dir };
	return hive_actor_new(out, &cfg);
}

static bool pump(struct hive_actor *x, struct hive_actor *y, const uint64_t *count,
		 uint64_t want)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (*count < want && hive_now_ns() < deadline) {
		hive_run_once(x, 1);
		if (y)
			hive_run_once(y, 1);
	}
	return *count >= want;
}

TestSuite(net, .init = net_setup, .fini = net_teardown, .timeout = 60);

Test(net, tcp_with_curve_routes_between_two_actors)
{
	cr_assert(zmq_has("curve"), "this libzmq has no CURVE");
	struct hive_actor *a = NULL, *b = NULL;
	cr_assert_eq(tcp_actor(&a, "alpha", keys), 0);
	cr_assert_eq(tcp_actor(&b, "beta", keys), 0);
	struct inbox ia = { 0 }, ib = { 0 };
	hive_on(a, HIVE__ENVELOPE__BODY_PING, on_ping, &ia);
	hive_on(b, HIVE__ENVELOPE__BODY_PING, on_ping, &ib);
	for (uint64_t i = 1; i <= 20; i++) {
		cr_assert_eq(send_ping(a, "beta", i), 0);
		cr_assert_eq(send_ping(b, "alpha", 100 + i), 0);
	}
	cr_assert(pump(a, b, &ib.count, 20));
	cr_assert(pump(a, b, &ia.count, 20));
	cr_assert_eq(ib.last_id, 20);
	cr_assert_eq(ia.last_id, 120);

	/* An ipc actor of the same broker reaches them, and Status says remote. */
	struct hive_actor *w = th_actor(dir, "watcher");
	cr_assert_not_null(w);
	cr_assert_eq(send_ping(w, "alpha", 7), 0);
	cr_assert(pump(a, NULL, &ia.count, 21));
	Hive__Status *st = th_status(w, TH_DEADLINE_MS);
	cr_assert_not_null(st);
	cr_assert(th_status_find(st, "alpha")->remote);
	cr_assert(th_status_find(st, "beta")->remote);
	cr_assert_not(th_status_find(st, "watcher")->remote);
	hive__status__free_unpacked(st, NULL);
	hive_actor_destroy(&w);
	hive_actor_destroy(&a);
	hive_actor_destroy(&b);
}

/* Copies a key file. */
static void copy_file(const char *from, const char *to, mode_t mode)
{
	size_t len;
	char *s = th_slurp(from, &len);
	cr_assert_not_null(s, "cannot read %s", from);
	FILE *f = fopen(to, "w");
	cr_assert_not_null(f);
	fwrite(s, 1, len, f);
	fclose(f);
	chmod(to, mode);
	free(s);
}

Test(net, a_client_with_a_wrong_key_is_refused_and_its_key_logged)
{
	/* Another keys directory: the right broker.pub, an unknown alpha.key. */
	char rogue[700], from[800], to[800];
	snprintf(rogue, sizeof rogue, "%s/rogue", dir);
	cr_assert_eq(hive_keys_prepare(rogue, (const char *const[]){ "alpha" }, 1), 0);
	snprintf(from, sizeof from, "%s/broker.pub", keys);
	snprintf(to, sizeof to, "%s/broker.pub", rogue);
	copy_file(from, to, 0644);
	char pubpath[800], pub[HIVE_KEY_Z85_LEN + 1];
	hive_key_path(pubpath, sizeof pubpath, rogue, "alpha", false);
	cr_assert_eq(hive_key_load(pubpath, pub, false), 0);

	struct hive_actor *a = NULL;
	uint64_t t0 = hive_now_ns();
	cr_assert_eq(tcp_actor(&a, "alpha", rogue), -EACCES);
	cr_assert_null(a);
	cr_assert_lt(hive_now_ns() - t0, 4000ull * 1000000ull, "the refusal took the whole timeout");
	cr_assert(th_file_contains(blog, pub, TH_DEADLINE_MS),
		  "the broker's log does not name the refused key %s:\n%s", pub,
		  th_slurp(blog, NULL));

	/* Nothing registered under the name. */
	struct hive_actor *w = th_actor(dir, "watcher");
	Hive__Status *st = th_status(w, TH_DEADLINE_MS);
	const Hive__ActorStatus *s = th_status_find(st, "alpha");
	cr_assert(!s || !s->up);
	hive__status__free_unpacked(st, NULL);
	hive_actor_destroy(&w);
}

Test(net, a_key_registers_only_its_own_name)
{
	/* beta.key is alpha's key: the broker binds the key to "alpha". */
	char other[700], path[800], to[800];
	snprintf(other, sizeof other, "%s/other", dir);
	cr_assert_eq(mkdir(other, 0700), 0);
	snprintf(path, sizeof path, "%s/actors", other);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/broker.pub", keys);
	snprintf(to, sizeof to, "%s/broker.pub", other);
	copy_file(path, to, 0644);
	hive_key_path(path, sizeof path, keys, "alpha", true);
	hive_key_path(to, sizeof to, other, "beta", true);
	copy_file(path, to, 0600);

	struct hive_actor *b = NULL;
	cr_assert_eq(tcp_actor(&b, "beta", other), -EEXIST);
	cr_assert(th_file_contains(blog, "may register only as 'alpha', not as 'beta'",
				   TH_DEADLINE_MS), "%s", th_slurp(blog, NULL));
	/* With its own key it may. */
	cr_assert_eq(tcp_actor(&b, "beta", keys), 0);
	hive_actor_destroy(&b);
}

Test(net, a_message_outside_its_permissions_is_refused_counted_and_told)
{
	struct hive_actor *g = th_actor(dir, "gatt");
	struct hive_actor *h = th_actor(dir, "hci");
	struct hive_actor *host = th_actor(dir, "host");
	cr_assert(g && h && host);
	struct inbox ig = { 0 }, ih = { 0 };
	hive_on(g, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, &ig);
	hive_on(h, HIVE__ENVELOPE__BODY_HCI, on_ping, &ih);

	Hive__HciPacket pkt = HIVE__HCI_PACKET__INIT;
	pkt.type = HIVE__HCI_PACKET__TYPE__COMMAND;
	pkt.data.data = (uint8_t *)"\x03\x0c\x00";
	pkt.data.len = 3;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &pkt;
	cr_assert_eq(hive_send(g, "hci", &env), 0);
	cr_assert(th_run_until_count(g, &ig.undeliverable, 1, TH_DEADLINE_MS));
	cr_assert(strstr(ig.reason, "only hci and host exchange HciPacket"), "%s", ig.reason);

	/* host may; and gatt may not send to host at all (the graph's rule). */
	cr_assert_eq(hive_send(host, "hci", &env), 0);
	cr_assert(pump(h, NULL, &ih.count, 1));
	cr_assert_eq(send_ping(g, "host", 1), 0);
	cr_assert(th_run_until_count(g, &ig.undeliverable, 2, TH_DEADLINE_MS));
	cr_assert(strstr(ig.reason, "gatt may not send to host"), "%s", ig.reason);

	Hive__Status *st = th_status(h, TH_DEADLINE_MS);
	cr_assert_not_null(st);
	cr_assert_eq(th_status_find(st, "gatt")->refused, 2);
	cr_assert_eq(th_status_find(st, "host")->refused, 0);
	cr_assert_eq(ih.count, 1, "hci got the refused packet");
	hive__status__free_unpacked(st, NULL);
	hive_actor_destroy(&g);
	hive_actor_destroy(&h);
	hive_actor_destroy(&host);
}

Test(net, replace_needs_the_permission)
{
	struct hive_actor *a = th_actor(dir, "alpha");
	cr_assert_not_null(a);
	struct hive_actor *b = NULL;
	struct hive_actor_config cfg = { .name = "alpha", .run_dir = dir, .replace = true };
	/* hive-echo as the holder (our own pid would count as a restart). */
	const char *argv[] = { "hive-echo", "--run-dir", dir, "--name", "holder", NULL };
	pid_t holder = th_spawn(argv, NULL, NULL);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	bool up = false;
	while (!up && hive_now_ns() < deadline) {
		Hive__Status *st = th_status(a, TH_DEADLINE_MS);
		const Hive__ActorStatus *s = th_status_find(st, "holder");
		up = s && s->ready;
		hive__status__free_unpacked(st, NULL);
	}
	cr_assert(up);
	cfg.name = "holder";
	cr_assert_eq(hive_actor_new(&b, &cfg), -EEXIST);
	cr_assert(th_file_contains(blog, "do not let it be replaced", TH_DEADLINE_MS));
	cr_assert(th_alive(holder));
	hive_actor_destroy(&a);
}

/* Starts hive-echo over tcp as name and waits until it is up and ready. */
static pid_t start_remote_echo(struct hive_actor *w, const char *name, const char *log)
{
	const char *argv[] = { "hive-echo", "--name", name, "--broker", tcp_ep, "--keys", keys,
			       NULL };
	pid_t pid = th_spawn(argv, NULL, log);
	cr_assert_gt(pid, 0);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	bool up = false;
	while (!up && hive_now_ns() < deadline) {
		Hive__Status *st = th_status(w, TH_DEADLINE_MS);
		const Hive__ActorStatus *s = th_status_find(st, name);
		up = s && s->up && s->ready && s->remote;
		hive__status__free_unpacked(st, NULL);
		if (!up)
			hive_run_once(w, 20);
	}
	cr_assert(up, "%s did not come up over tcp; its log:\n%s", name, th_slurp(log, NULL));
	return pid;
}

/* Polls Status until name's up flag is want; returns the ms it took, or -1. */
static long wait_up(struct hive_actor *w, const char *name, bool want, int timeout_ms)
{
	uint64_t t0 = hive_now_ns(), deadline = t0 + (uint64_t)timeout_ms * 1000000ull;
	while (hive_now_ns() < deadline) {
		Hive__Status *st = th_status(w, TH_DEADLINE_MS);
		const Hive__ActorStatus *s = th_status_find(st, name);
		bool up = s && s->up && (!want || s->ready);
		hive__status__free_unpacked(st, NULL);
		if (up == want)
			return (long)((hive_now_ns() - t0) / 1000000ull);
		hive_run_once(w, 20);
	}
	return -1;
}

Test(net, a_silent_remote_actor_is_down_within_3_s_and_comes_back)
{
	char log[700];
	snprintf(log, sizeof log, "%s/remote1.log", dir);
	struct hive_actor *w = th_actor(dir, "watcher");
	cr_assert_not_null(w);
	pid_t pid = start_remote_echo(w, "remote1", log);
	/* Idle for two heartbeats: still up (heartbeats keep it). */
	long still = wait_up(w, "remote1", false, 2200);
	cr_assert_eq(still, -1, "an idle remote actor was declared down");

	cr_assert_eq(kill(pid, SIGSTOP), 0);
	long ms = wait_up(w, "remote1", false, 6000);
	kill(pid, SIGCONT);
	cr_assert_geq(ms, 0, "the broker never declared the stopped actor down");
	cr_assert_leq(ms, 3000, "declared down after %ld ms; the bound is 3 s", ms);
	cr_assert(th_file_contains(blog, "remote1", TH_DEADLINE_MS));

	long back = wait_up(w, "remote1", true, TH_DEADLINE_MS);
	cr_assert_geq(back, 0, "the actor did not come back after SIGCONT; its log:\n%s",
		      th_slurp(log, NULL));
	struct inbox iw = { 0 };
	hive_on(w, HIVE__ENVELOPE__BODY_RESULT, on_ping, &iw);
	Hive__Ping p = HIVE__PING__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = 9;
	req.op_case = HIVE__REQUEST__OP_ECHO;
	req.echo = &p;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	cr_assert_eq(hive_send(w, "remote1", &env), 0);
	cr_assert(th_run_until_count(w, &iw.count, 1, TH_DEADLINE_MS), "no echo after recovery");
	hive_actor_destroy(&w);
}

Test(net, tcp_needs_keys_and_says_so)
{
	struct hive_actor *a = NULL;
	cr_assert_eq(tcp_actor(&a, "alpha", NULL), -EINVAL);
	char nowhere[700];
	snprintf(nowhere, sizeof nowhere, "%s/nowhere", dir);
	cr_assert_eq(tcp_actor(&a, "alpha", nowhere), -ENOENT);
	/* A secret key readable by others is refused. */
	char path[800];
	hive_key_path(path, sizeof path, keys, "alpha", true);
	chmod(path, 0644);
	cr_assert_eq(tcp_actor(&a, "alpha", keys), -EPERM);
	chmod(path, 0600);
	/* The broker refuses tcp without keys. */
	const char *argv[] = { "hive-broker", "--run-dir", dir, "--bind", "tcp://127.0.0.1:0",
			       NULL };
	char err[700];
	snprintf(err, sizeof err, "%s/nokeys.log", dir);
	pid_t pid = th_spawn(argv, NULL, err);
	int st = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status 0x%x", st);
	cr_assert(th_file_contains(err, "needs --keys DIR", 1000));
}

/* ---- the tap on tcp ------------------------------------------------------------------- */

static pid_t tcp_tracer(const char *key_name, const char *out, const char *err)
{
	const char *argv[] = { "hive-trace", "--tap", tap_ep, "--keys", keys, "--key-name",
			       key_name, "--pipe", "alpha:beta", "--format", "json", "--count",
			       "3", "-o", out, NULL };
	pid_t pid = th_spawn(argv, NULL, err);
	cr_assert_gt(pid, 0);
	return pid;
}

Test(net, a_remote_tracer_follows_a_pipe_over_tcp_and_an_actor_key_is_refused)
{
	char out[700], err[700], rerr[700];
	snprintf(out, sizeof out, "%s/tap.json", dir);
	snprintf(err, sizeof err, "%s/tap.err", dir);
	snprintf(rerr, sizeof rerr, "%s/rogue-tap.err", dir);
	/* alpha's key opens the router, not the tap. */
	pid_t rogue = tcp_tracer("alpha", out, rerr);
	int st = th_wait_exit(rogue, TH_DEADLINE_MS);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1, "0x%x: %s", st,
		  th_slurp(rerr, NULL));
	cr_assert(th_file_contains(rerr, "refused our CURVE handshake", 1000));
	cr_assert(th_file_contains(blog, "refused alpha's key on the tap", TH_DEADLINE_MS));

	struct hive_actor *a = NULL, *b = NULL;
	cr_assert_eq(tcp_actor(&a, "alpha", keys), 0);
	cr_assert_eq(tcp_actor(&b, "beta", keys), 0);
	struct inbox ib = { 0 };
	hive_on(b, HIVE__ENVELOPE__BODY_PING, on_ping, &ib);
	pid_t tracer = tcp_tracer("trace", out, err);
	/* Its two subscriptions (alpha>beta, beta>alpha) reached the broker. */
	bool subscribed = false;
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (!subscribed && hive_now_ns() < deadline) {
		Hive__Status *s = th_status(a, TH_DEADLINE_MS);
		subscribed = s && s->tap_subscriptions >= 2;
		hive__status__free_unpacked(s, NULL);
	}
	cr_assert(subscribed, "the tracer did not subscribe over tcp:\n%s", th_slurp(err, NULL));
	for (uint64_t i = 1; i <= 3; i++)
		cr_assert_eq(send_ping(a, "beta", i), 0);
	cr_assert(pump(a, b, &ib.count, 3));
	st = th_wait_exit(tracer, TH_DEADLINE_MS);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "0x%x: %s", st,
		  th_slurp(err, NULL));
	cr_assert(th_file_contains(out, "\"source\":\"alpha\",\"destination\":\"beta\"", 1000),
		  "%s", th_slurp(out, NULL));
	hive_actor_destroy(&a);
	hive_actor_destroy(&b);
}

Test(net, a_remote_tap_needs_keys_and_a_tcp_endpoint)
{
	char err[700];
	snprintf(err, sizeof err, "%s/args.err", dir);
	const char *nokeys[] = { "hive-trace", "--tap", tap_ep, NULL };
	int st = th_wait_exit(th_spawn(nokeys, NULL, err), TH_DEADLINE_MS);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "0x%x", st);
	cr_assert(th_file_contains(err, "needs --keys DIR", 1000), "%s", th_slurp(err, NULL));
	const char *ipc[] = { "hive-trace", "--tap", "ipc:///tmp/x", "--keys", keys, NULL };
	st = th_wait_exit(th_spawn(ipc, NULL, err), TH_DEADLINE_MS);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "0x%x", st);
	cr_assert(th_file_contains(err, "tcp://ADDR:PORT tap endpoint", 1000), "%s",
		  th_slurp(err, NULL));
}
