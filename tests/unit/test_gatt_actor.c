/* hive-gatt as a real process behind a real broker. The test plays "l2cap"
 * (ATT PDUs in and out as ChannelPdu), "host" (link events) and "app"
 * (GATT requests and events). Then two hive-gatt processes wired by the
 * test acting as l2cap for both: the client of one discovers and reads the
 * database of the other. Then kill -9 of hive-gatt during a stream of reads
 * and its restart: every read is answered. Every wait has a deadline. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../actors/gatt/att_codec.h"

#define MAX_IN 256
#define SILENCE_MS 50
#define P(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

struct pdu {
	char source[HIVE_NAME_MAX + 1];
	uint32_t handle, cid;
	size_t len;
	uint8_t data[600];
};

struct inbox {
	uint64_t count;
	struct pdu pdu[MAX_IN];
	uint64_t results;
	Hive__Result *result[MAX_IN];
	uint64_t events;
	Hive__GattEvent *event[MAX_IN];
	/* Forwarding: PDUs from `from` go on to `to` from this actor. */
	const char *forward_to;
};

static char *dir;
static struct hive_actor *l2cap, *host, *app, *l2b;
static struct inbox l2cap_in, app_in, l2b_in;
static pid_t gatt, gatt_b;
static char gatt_log[600], db_path[600];
static uint64_t next_id = 1;

static const char *db_json =
	"{\"gap\": {\"device_name\": \"hive-test\"},"
	" \"services\": ["
	" {\"uuid\": \"180f\", \"characteristics\": ["
	"   {\"uuid\": \"2a19\", \"properties\": [\"read\", \"notify\", \"indicate\"],"
	"    \"permissions\": [\"read\"], \"value\": \"64\"}]},"
	" {\"uuid\": \"12345678-1234-5678-1234-56789abcdef0\", \"characteristics\": ["
	"   {\"uuid\": \"2a3d\", \"properties\": [\"read\", \"write\"],"
	"    \"permissions\": [\"read\", \"write\"], \"max_length\": 100,"
	"    \"value_text\": \"0123456789abcdefghijklmnopqrstuvwxyzABCD\"}]}]}";
/* Handles: GAP 0x01-0x07 (name 0x03), GATT 0x08-0x11, battery 0x12-0x15
 * (level 0x14, CCCD 0x15), 128-bit service 0x16-0x18 (value 0x18). */

static void on_pdu(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		   void *arg)
{
	struct inbox *in = arg;
	const Hive__ChannelPdu *cp = env->pdu;
	if (in->count < MAX_IN) {
		struct pdu *p = &in->pdu[in->count];
		snprintf(p->source, sizeof p->source, "%s", source);
		p->handle = cp->handle;
		p->cid = cp->cid;
		p->len = cp->payload.len < sizeof p->data ? cp->payload.len : sizeof p->data;
		memcpy(p->data, cp->payload.data, p->len);
	}
	in->count++;
	if (in->forward_to) {
		Hive__Envelope e = HIVE__ENVELOPE__INIT;
		Hive__ChannelPdu c = *cp;
		e.body_case = HIVE__ENVELOPE__BODY_PDU;
		e.pdu = &c;
		/* Across the "air": what gatt-a sends arrives at gatt-b and back. */
		hive_send(a == l2cap ? l2b : l2cap, in->forward_to, &e);
	}
}

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct inbox *in = arg;
	if (in->results < MAX_IN) {
		size_t n = hive__result__get_packed_size(env->result);
		uint8_t *buf = malloc(n ? n : 1);
		hive__result__pack(env->result, buf);
		in->result[in->results] = hive__result__unpack(NULL, n, buf);
		free(buf);
	}
	in->results++;
}

static void on_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	struct inbox *in = arg;
	if (in->events < MAX_IN) {
		size_t n = hive__gatt_event__get_packed_size(env->gatt_event);
		uint8_t *buf = malloc(n ? n : 1);
		hive__gatt_event__pack(env->gatt_event, buf);
		in->event[in->events] = hive__gatt_event__unpack(NULL, n, buf);
		free(buf);
	}
	in->events++;
}

static void pump_once(void)
{
	hive_run_once(l2cap, 1);
	hive_run_once(app, 1);
	hive_run_once(host, 0);
	if (l2b)
		hive_run_once(l2b, 1);
}

static bool wait_count(const uint64_t *count, uint64_t want)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (*count < want && hive_now_ns() < deadline)
		pump_once();
	return *count >= want;
}

static void expect_silence(int ms)
{
	uint64_t l = l2cap_in.count, r = app_in.results;
	uint64_t until = hive_now_ns() + (uint64_t)ms * 1000000ull;
	while (hive_now_ns() < until)
		pump_once();
	cr_assert_eq(l2cap_in.count, l, "gatt sent %llu unexpected PDU(s)",
		     (unsigned long long)(l2cap_in.count - l));
	cr_assert_eq(app_in.results, r);
}

static pid_t start_gatt(const char *name, const char *l2cap_name, const char *log)
{
	char bin[512], set_db[700], set_l2[128];
	snprintf(set_db, sizeof set_db, "db=%s", db_path);
	snprintf(set_l2, sizeof set_l2, "l2cap=%s", l2cap_name);
	const char *argv[] = { th_bin(bin, sizeof bin, "hive-gatt"), "--run-dir", dir, "--name",
			       name, "--set", set_db, "--set", set_l2, "--log-level", "debug",
			       NULL };
	pid_t pid = th_spawn(argv, NULL, log);
	cr_assert_gt(pid, 0);
	return pid;
}

static void setup(void)
{
	memset(&l2cap_in, 0, sizeof l2cap_in);
	memset(&app_in, 0, sizeof app_in);
	memset(&l2b_in, 0, sizeof l2b_in);
	dir = th_run_dir();
	cr_assert_not_null(dir);
	cr_assert_gt(th_start_broker(dir, NULL), 0);
	snprintf(db_path, sizeof db_path, "%s/db.json", dir);
	FILE *f = fopen(db_path, "w");
	cr_assert_not_null(f);
	fputs(db_json, f);
	fclose(f);
	snprintf(gatt_log, sizeof gatt_log, "%s/gatt.log", dir);
	l2cap = th_actor(dir, "l2cap");
	host = th_actor(dir, "host");
	app = th_actor(dir, "app");
	cr_assert(l2cap && host && app);
	hive_on(l2cap, HIVE__ENVELOPE__BODY_PDU, on_pdu, &l2cap_in);
	hive_on(app, HIVE__ENVELOPE__BODY_RESULT, on_result, &app_in);
	hive_on(app, HIVE__ENVELOPE__BODY_GATT_EVENT, on_event, &app_in);
	gatt = start_gatt("gatt", "l2cap", gatt_log);
}

static void teardown(void)
{
	for (uint64_t i = 0; i < app_in.results && i < MAX_IN; i++)
		hive__result__free_unpacked(app_in.result[i], NULL);
	for (uint64_t i = 0; i < app_in.events && i < MAX_IN; i++)
		hive__gatt_event__free_unpacked(app_in.event[i], NULL);
	hive_actor_destroy(&l2cap);
	hive_actor_destroy(&host);
	hive_actor_destroy(&app);
	hive_actor_destroy(&l2b);
	th_cleanup();
	free(dir);
}

TestSuite(gatt_actor, .init = setup, .fini = teardown, .timeout = 120);

/* Link events come from host; a test that then asks as app sends them as
 * app, so that both arrive in order (the broker orders per sender). */
static void link_event_from(struct hive_actor *from, const char *dest, uint32_t handle, bool up)
{
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	Hive__Connected con = HIVE__CONNECTED__INIT;
	Hive__Disconnected dis = HIVE__DISCONNECTED__INIT;
	le.handle = handle;
	if (up) {
		con.le = true;
		le.kind_case = HIVE__LINK_EVENT__KIND_CONNECTED;
		le.connected = &con;
	} else {
		dis.reason = 0x13;
		le.kind_case = HIVE__LINK_EVENT__KIND_DISCONNECTED;
		le.disconnected = &dis;
	}
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_LINK;
	env.link = &le;
	cr_assert_eq(hive_send(from, dest, &env), 0);
}

static void link_event(const char *dest, uint32_t handle, bool up)
{
	link_event_from(host, dest, handle, up);
}

static void send_att(struct hive_actor *from, const char *dest, uint32_t handle,
		     const uint8_t *pdu, size_t len)
{
	Hive__ChannelPdu cp = HIVE__CHANNEL_PDU__INIT;
	cp.handle = handle;
	cp.cid = 4;
	cp.payload.data = (uint8_t *)pdu;
	cp.payload.len = len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &cp;
	cr_assert_eq(hive_send(from, dest, &env), 0);
}

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

/* The next PDU toward l2cap must be exactly want, on handle and CID 4. */
static void expect_att(uint32_t handle, const uint8_t *want, size_t len)
{
	static uint64_t seen;
	if (l2cap_in.count < seen)
		seen = 0;
	cr_assert(wait_count(&l2cap_in.count, seen + 1), "no PDU from gatt (log %s)", gatt_log);
	const struct pdu *p = &l2cap_in.pdu[seen++];
	if (p->handle != handle || p->cid != 4 || p->len != len || memcmp(p->data, want, len)) {
		hexdump("expected", want, len);
		hexdump("received", p->data, p->len);
		cr_assert_fail("PDU %llu differs (handle 0x%x cid 0x%x)", (unsigned long long)seen - 1,
			       p->handle, p->cid);
	}
}

/* Sends an app request to dest; returns the request id. */
static uint64_t ask(const char *dest, Hive__GattRequest *gr)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = next_id++;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = gr;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	cr_assert_eq(hive_send(app, dest, &env), 0);
	return req.id;
}

/* Waits for the result of id. */
static const Hive__Result *result_of(uint64_t id)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	for (;;) {
		for (uint64_t i = 0; i < app_in.results && i < MAX_IN; i++)
			if (app_in.result[i]->id == id)
				return app_in.result[i];
		cr_assert_lt(hive_now_ns(), deadline, "no result for request %llu (log %s)",
			     (unsigned long long)id, gatt_log);
		pump_once();
	}
}

Test(gatt_actor, att_requests_in_exact_responses_out)
{
	link_event("gatt", 0x40, true);
	/* Read the device name. */
	send_att(l2cap, "gatt", 0x40, P(0x0a, 0x03, 0x00));
	expect_att(0x40, P(0x0b, 'h', 'i', 'v', 'e', '-', 't', 'e', 's', 't'));
	/* Unknown request; unknown command is silent. */
	send_att(l2cap, "gatt", 0x40, P(0xbf, 0x00));
	expect_att(0x40, P(0x01, 0xbf, 0x00, 0x00, 0x06));
	send_att(l2cap, "gatt", 0x40, P(0x7f, 0x00));
	expect_silence(SILENCE_MS);
	/* Primary services. */
	send_att(l2cap, "gatt", 0x40, P(0x10, 0x12, 0x00, 0xff, 0xff, 0x00, 0x28));
	expect_att(0x40, P(0x11, 0x06, 0x12, 0x00, 0x15, 0x00, 0x0f, 0x18));
	/* MTU exchange, then a write and the value read back. */
	send_att(l2cap, "gatt", 0x40, P(0x02, 0x40, 0x00));
	expect_att(0x40, P(0x03, 0x05, 0x02));
	send_att(l2cap, "gatt", 0x40, P(0x12, 0x18, 0x00, 'o', 'k'));
	expect_att(0x40, P(0x13));
	send_att(l2cap, "gatt", 0x40, P(0x0a, 0x18, 0x00));
	expect_att(0x40, P(0x0b, 'o', 'k'));
	/* Not CID 4: ignored. */
	Hive__ChannelPdu cp = HIVE__CHANNEL_PDU__INIT;
	cp.handle = 0x40;
	cp.cid = 6;
	cp.payload.data = (uint8_t *)"\x0a\x03\x00";
	cp.payload.len = 3;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &cp;
	hive_send(l2cap, "gatt", &env);
	expect_silence(SILENCE_MS);
	cr_assert(th_file_contains(gatt_log, "<<< att_read_request conn=0x0040 len=3", 5000));
	cr_assert(th_file_contains(gatt_log, ">>> att_read_response conn=0x0040 len=3", 5000));
}

Test(gatt_actor, app_notify_reaches_a_subscribed_connection)
{
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	gr.subscribe_events = &se;
	cr_assert_eq(result_of(ask("gatt", &gr))->status, 0);
	link_event("gatt", 0x41, true);
	/* The peer subscribes to the battery level. */
	send_att(l2cap, "gatt", 0x41, P(0x12, 0x15, 0x00, 0x01, 0x00));
	expect_att(0x41, P(0x13));
	cr_assert(wait_count(&app_in.events, 1));
	cr_assert_eq(app_in.event[0]->kind_case, HIVE__GATT_EVENT__KIND_CCCD_CHANGED);
	cr_assert_eq(app_in.event[0]->cccd_changed->handle, 0x14);
	cr_assert_eq(app_in.event[0]->cccd_changed->value, 1);
	/* The app notifies every subscriber, then sets the value. */
	Hive__GattNotify n = HIVE__GATT_NOTIFY__INIT;
	n.handle = 0x14;
	n.value.data = (uint8_t *)"\x42";
	n.value.len = 1;
	n.all_subscribers = true;
	gr.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	gr.notify = &n;
	const Hive__Result *r = result_of(ask("gatt", &gr));
	cr_assert_eq(r->status, 0, "%s", r->error);
	cr_assert_eq(r->gatt->done->count, 1);
	expect_att(0x41, P(0x1b, 0x14, 0x00, 0x42));
	Hive__GattSetValue sv = HIVE__GATT_SET_VALUE__INIT;
	sv.handle = 0x14;
	sv.value.data = (uint8_t *)"\x43";
	sv.value.len = 1;
	gr.op_case = HIVE__GATT_REQUEST__OP_SET_VALUE;
	gr.set_value = &sv;
	cr_assert_eq(result_of(ask("gatt", &gr))->gatt->done->count, 1);
	expect_att(0x41, P(0x1b, 0x14, 0x00, 0x43));
	/* An indication to the only connection (conn 0), confirmed. */
	n.all_subscribers = false;
	n.indicate = true;
	gr.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	gr.notify = &n;
	cr_assert_eq(result_of(ask("gatt", &gr))->status, 0);
	expect_att(0x41, P(0x1d, 0x14, 0x00, 0x42));
	send_att(l2cap, "gatt", 0x41, P(0x1e));
	cr_assert(wait_count(&app_in.events, 2));
	cr_assert_eq(app_in.event[1]->kind_case, HIVE__GATT_EVENT__KIND_CONFIRMED);
	/* The peer writes: the app hears it. */
	send_att(l2cap, "gatt", 0x41, P(0x12, 0x18, 0x00, 'h', 'i'));
	expect_att(0x41, P(0x13));
	cr_assert(wait_count(&app_in.events, 3));
	cr_assert_eq(app_in.event[2]->kind_case, HIVE__GATT_EVENT__KIND_WRITTEN);
	cr_assert_eq(app_in.event[2]->written->value.len, 2);
	/* The database dump. */
	Hive__GattDbQuery q = HIVE__GATT_DB_QUERY__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_DB;
	gr.db = &q;
	r = result_of(ask("gatt", &gr));
	cr_assert_eq(r->gatt->value_case, HIVE__GATT_RESULT__VALUE_DB);
	cr_assert_eq(r->gatt->db->n_attributes, 0x18);
	cr_assert_eq(r->gatt->db->hash.len, 16);
	/* After the link goes, conn 0 has nothing to name. */
	link_event_from(app, "gatt", 0x41, false);
	gr.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	gr.notify = &n;
	cr_assert_eq(result_of(ask("gatt", &gr))->status, -ENOTCONN);
}

Test(gatt_actor, two_gatts_one_discovers_and_reads_the_other)
{
	char log_b[700];
	snprintf(log_b, sizeof log_b, "%s/gatt-b.log", dir);
	l2b = th_actor(dir, "l2b");
	cr_assert_not_null(l2b);
	hive_on(l2b, HIVE__ENVELOPE__BODY_PDU, on_pdu, &l2b_in);
	/* "gatt" (l2cap "l2cap") is the client side, "gatt-b" (l2cap "l2b")
	 * the server: the test carries PDUs between them. */
	l2cap_in.forward_to = "gatt-b";
	l2b_in.forward_to = "gatt";
	gatt_b = start_gatt("gatt-b", "l2b", log_b);
	link_event_from(app, "gatt", 0x40, true);
	link_event_from(app, "gatt-b", 0x40, true);

	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattExchangeMtu em = HIVE__GATT_EXCHANGE_MTU__INIT;
	em.mtu = 100;
	gr.op_case = HIVE__GATT_REQUEST__OP_EXCHANGE_MTU;
	gr.exchange_mtu = &em;
	const Hive__Result *r = result_of(ask("gatt", &gr));
	cr_assert_eq(r->status, 0, "%s", r->error);
	cr_assert_eq(r->gatt->mtu->mtu, 100);

	Hive__GattDiscoverServices ds = HIVE__GATT_DISCOVER_SERVICES__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_SERVICES;
	gr.discover_services = &ds;
	r = result_of(ask("gatt", &gr));
	cr_assert_eq(r->status, 0, "%s", r->error);
	const Hive__GattDiscovery *d = r->gatt->discovery;
	cr_assert_eq(d->n_services, 4);
	cr_assert_eq(d->services[2]->handle, 0x12);
	cr_assert_eq(d->services[2]->end, 0x15);
	cr_assert_eq(d->services[3]->uuid.len, 16);

	Hive__GattDiscoverCharacteristics dc = HIVE__GATT_DISCOVER_CHARACTERISTICS__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_CHARACTERISTICS;
	gr.discover_characteristics = &dc;
	r = result_of(ask("gatt", &gr));
	cr_assert_eq(r->status, 0, "%s", r->error);
	d = r->gatt->discovery;
	cr_assert_eq(d->n_characteristics, 9);
	cr_assert_eq(d->characteristics[8]->value_handle, 0x18);

	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	rd.handle = 0x18;
	rd.long_read = true;
	gr.op_case = HIVE__GATT_REQUEST__OP_READ;
	gr.read = &rd;
	r = result_of(ask("gatt", &gr));
	cr_assert_eq(r->status, 0, "%s", r->error);
	cr_assert_eq(r->gatt->read->value.len, 40);
	cr_assert_eq(memcmp(r->gatt->read->value.data, "0123456789abcdefghijklmnopqrstuvwxyzABCD", 40),
		     0);

	/* Subscribe on gatt-b's battery level; gatt-b's app notifies. */
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	gr.subscribe_events = &se;
	cr_assert_eq(result_of(ask("gatt", &gr))->status, 0);
	Hive__GattSubscribe sub = HIVE__GATT_SUBSCRIBE__INIT;
	sub.handle = 0x14;
	gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE;
	gr.subscribe = &sub;
	r = result_of(ask("gatt", &gr));
	cr_assert_eq(r->status, 0, "%s", r->error);
	cr_assert_eq(r->gatt->done->cccd, 0x15);
	Hive__GattSetValue sv = HIVE__GATT_SET_VALUE__INIT;
	sv.handle = 0x14;
	sv.value.data = (uint8_t *)"\x07";
	sv.value.len = 1;
	gr.op_case = HIVE__GATT_REQUEST__OP_SET_VALUE;
	gr.set_value = &sv;
	cr_assert_eq(result_of(ask("gatt-b", &gr))->gatt->done->count, 1);
	cr_assert(wait_count(&app_in.events, 1));
	cr_assert_eq(app_in.event[0]->kind_case, HIVE__GATT_EVENT__KIND_NOTIFICATION);
	cr_assert_eq(app_in.event[0]->notification->handle, 0x14);
	cr_assert_eq(app_in.event[0]->notification->value.data[0], 7);

	/* A malformed answer would be an error, not a hang: a read of a
	 * handle gatt-b does not have gives the ATT error. */
	rd.handle = 0x99;
	rd.long_read = false;
	gr.op_case = HIVE__GATT_REQUEST__OP_READ;
	gr.read = &rd;
	r = result_of(ask("gatt", &gr));
	cr_assert_eq(r->domain, HIVE__RESULT__DOMAIN__ATT);
	cr_assert_eq(r->status, ATT_ECODE_INVALID_HANDLE);
}

Test(gatt_actor, kill_and_restart_answers_every_read)
{
	link_event("gatt", 0x40, true);
	const int reads = 60;
	uint64_t answered = 0;
	for (int i = 0; i < reads; i++) {
		if (i == 20 || i == 40) {
			/* Kill mid-stream: this read waits in the broker. */
			send_att(l2cap, "gatt", 0x40, P(0x0a, 0x14, 0x00));
			th_kill(gatt, SIGKILL);
			gatt = start_gatt("gatt", "l2cap", gatt_log);
		} else {
			send_att(l2cap, "gatt", 0x40, P(0x0a, 0x14, 0x00));
		}
		cr_assert(wait_count(&l2cap_in.count, answered + 1), "read %d not answered (log %s)",
			  i, gatt_log);
		/* A read answered just before the kill and delivered again is
		 * answered twice: take what came. */
		answered = l2cap_in.count;
	}
	expect_silence(SILENCE_MS);
	cr_assert_geq(l2cap_in.count, (uint64_t)reads);
	cr_assert_leq(l2cap_in.count, (uint64_t)reads + 2);
	for (uint64_t i = 0; i < l2cap_in.count && i < MAX_IN; i++) {
		const struct pdu *p = &l2cap_in.pdu[i];
		cr_assert(p->len == 2 && p->data[0] == 0x0b && p->data[1] == 0x64,
			  "answer %llu is not the battery level", (unsigned long long)i);
	}
	/* The restarted actor kept the connection from its snapshot: a CCCD
	 * written before a kill is still set after. */
	send_att(l2cap, "gatt", 0x40, P(0x12, 0x15, 0x00, 0x01, 0x00));
	cr_assert(wait_count(&l2cap_in.count, answered + 1));
	answered = l2cap_in.count;
	th_kill(gatt, SIGKILL);
	gatt = start_gatt("gatt", "l2cap", gatt_log);
	send_att(l2cap, "gatt", 0x40, P(0x0a, 0x15, 0x00));
	cr_assert(wait_count(&l2cap_in.count, answered + 1));
	const struct pdu *p = &l2cap_in.pdu[l2cap_in.count - 1];
	cr_assert(p->len == 3 && p->data[0] == 0x0b && p->data[1] == 0x01, "CCCD lost on restart");
}
