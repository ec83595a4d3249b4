/* hive-ctl's GATT commands against two real hive-gatt processes: "gatt"
 * (whose client hive-ctl drives) and "gatt-b" (the peer's server). The test
 * carries ATT PDUs between them as their l2cap, and plays gatt-b's app: when
 * the peer subscribes, it sets the value so a notification flows. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static char *dir;
static struct hive_actor *l2a, *l2b, *app;
static bool cccd_seen;
static int results_ok;

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	if (env->result->status == 0)
		results_ok++;
}

/* Proves a link is known to dest: a notification to its only connection
 * succeeds (sent after the link event by the same sender, so in order). */
static void link_known(const char *dest)
{
	static uint64_t id = 1000;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattNotify n = HIVE__GATT_NOTIFY__INIT;
	n.handle = 3;
	gr.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	gr.notify = &n;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = id++;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	int before = results_ok;
	hive_send(app, dest, &env);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (results_ok == before && hive_now_ns() < deadline) {
		hive_run_once(l2a, 1);
		hive_run_once(l2b, 1);
		hive_run_once(app, 1);
	}
	cr_assert_gt(results_ok, before, "%s does not know the link", dest);
}

static const char *db_json =
	"{\"gap\": {\"device_name\": \"peer\"},"
	" \"services\": ["
	" {\"uuid\": \"180f\", \"characteristics\": ["
	"   {\"uuid\": \"2a19\", \"properties\": [\"read\", \"notify\"],"
	"    \"permissions\": [\"read\"], \"value\": \"64\"}]},"
	" {\"uuid\": \"12345678-1234-5678-1234-56789abcdef0\", \"characteristics\": ["
	"   {\"uuid\": \"2a3d\", \"properties\": [\"read\", \"write\"],"
	"    \"permissions\": [\"read\", \"write\"], \"max_length\": 100,"
	"    \"value_text\": \"0123456789abcdefghijklmnopqrstuvwxyzABCD\"}]}]}";

static void forward(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	Hive__ChannelPdu c = *env->pdu;
	Hive__Envelope e = HIVE__ENVELOPE__INIT;
	e.body_case = HIVE__ENVELOPE__BODY_PDU;
	e.pdu = &c;
	if (a == l2a)
		hive_send(l2b, "gatt-b", &e);
	else
		hive_send(l2a, "gatt", &e);
}

static void gatt_b_request(Hive__GattRequest *gr)
{
	static uint64_t id = 1;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = id++;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = gr;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	hive_send(app, "gatt-b", &env);
}

static void on_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	if (env->gatt_event->kind_case != HIVE__GATT_EVENT__KIND_CCCD_CHANGED || cccd_seen)
		return;
	cccd_seen = true;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattSetValue sv = HIVE__GATT_SET_VALUE__INIT;
	sv.handle = 0x14;
	sv.value.data = (uint8_t *)"\x2a";
	sv.value.len = 1;
	gr.op_case = HIVE__GATT_REQUEST__OP_SET_VALUE;
	gr.set_value = &sv;
	gatt_b_request(&gr);
}

static void link_up(const char *dest)
{
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	Hive__Connected con = HIVE__CONNECTED__INIT;
	con.le = true;
	le.handle = 0x40;
	le.kind_case = HIVE__LINK_EVENT__KIND_CONNECTED;
	le.connected = &con;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_LINK;
	env.link = &le;
	cr_assert_eq(hive_send(app, dest, &env), 0);
}

static void fini(void)
{
	hive_actor_destroy(&l2a);
	hive_actor_destroy(&l2b);
	hive_actor_destroy(&app);
	th_cleanup();
	free(dir);
}

Test(ctl_gatt, commands_against_a_peer, .fini = fini, .timeout = 120)
{
	char bin[512], db[600], set_db[700], out[600], err[600], log_a[600], log_b[600];
	dir = th_run_dir();
	cr_assert_gt(th_start_broker(dir, NULL), 0);
	snprintf(db, sizeof db, "%s/db.json", dir);
	FILE *f = fopen(db, "w");
	fputs(db_json, f);
	fclose(f);
	snprintf(set_db, sizeof set_db, "db=%s", db);
	snprintf(log_a, sizeof log_a, "%s/gatt.log", dir);
	snprintf(log_b, sizeof log_b, "%s/gatt-b.log", dir);
	l2a = th_actor(dir, "l2cap");
	l2b = th_actor(dir, "l2b");
	app = th_actor(dir, "app");
	cr_assert(l2a && l2b && app);
	hive_on(l2a, HIVE__ENVELOPE__BODY_PDU, forward, NULL);
	hive_on(l2b, HIVE__ENVELOPE__BODY_PDU, forward, NULL);
	hive_on(app, HIVE__ENVELOPE__BODY_GATT_EVENT, on_event, NULL);
	const char *a_argv[] = { th_bin(bin, sizeof bin, "hive-gatt"), "--run-dir", dir,
				 "--set", "name=central", NULL };
	cr_assert_gt(th_spawn(a_argv, NULL, log_a), 0);
	const char *b_argv[] = { th_bin(bin, sizeof bin, "hive-gatt"), "--run-dir", dir, "--name",
				 "gatt-b", "--set", set_db, "--set", "l2cap=l2b", NULL };
	cr_assert_gt(th_spawn(b_argv, NULL, log_b), 0);
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	gr.subscribe_events = &se;
	gatt_b_request(&gr);
	hive_on(app, HIVE__ENVELOPE__BODY_RESULT, on_result, NULL);
	link_up("gatt");
	link_up("gatt-b");
	link_known("gatt");
	link_known("gatt-b");

	snprintf(out, sizeof out, "%s/ctl.out", dir);
	snprintf(err, sizeof err, "%s/ctl.err", dir);
	const char *script = "mtu 64; discover; read 0x0018; read 2a19; write 0x0018 hello; "
			     "read 0x0018; write 2a3d 0x0102 --no-response; read 24; "
			     "subscribe 0x0014 --count 1 --timeout 20; unsubscribe 2a19; gatt-db; "
			     "notify 0x0003 00; read 0x0099";
	const char *ctl_argv[] = { th_bin(bin, sizeof bin, "hive-ctl"), "--run-dir", dir, "--json",
				   "-c", script, NULL };
	pid_t ctl = th_spawn(ctl_argv, out, err);
	cr_assert_gt(ctl, 0);
	/* Carry PDUs until hive-ctl is done. */
	uint64_t deadline = hive_now_ns() + 60ull * 1000000000ull;
	while (th_alive(ctl) && hive_now_ns() < deadline) {
		hive_run_once(l2a, 1);
		hive_run_once(l2b, 1);
		hive_run_once(app, 1);
	}
	cr_assert_not(th_alive(ctl), "hive-ctl did not finish");
	char *text = th_slurp(out, NULL);
	char *errs = th_slurp(err, NULL);
	cr_assert_not_null(text);
	fprintf(stderr, "%s%s", text, errs ? errs : "");
	cr_assert(strstr(text, "{\"command\":\"mtu\",\"ok\":true,\"conn\":64,\"mtu\":64}"));
	cr_assert(strstr(text, "\"uuid\":\"180f\""));
	cr_assert(strstr(text, "\"uuid\":\"12345678-1234-5678-1234-56789abcdef0\""));
	cr_assert(strstr(text, "\"uuid\":\"2902\""), "the CCCD descriptor is listed");
	cr_assert(strstr(text, "\"handle\":24,\"value\":\"30313233343536373839616263646566"
			       "6768696a6b6c6d6e6f707172737475767778797a41424344\""));
	cr_assert(strstr(text, "\"handle\":20,\"value\":\"64\""));
	cr_assert(strstr(text, "\"handle\":24,\"value\":\"68656c6c6f\""));
	cr_assert(strstr(text, "\"handle\":24,\"value\":\"0102\""));
	cr_assert(strstr(text, "\"event\":\"notification\",\"conn\":64,\"handle\":20,"
			       "\"value\":\"2a\""));
	cr_assert(strstr(text, "{\"command\":\"unsubscribe\",\"ok\":true"));
	cr_assert(strstr(text, "{\"command\":\"gatt-db\",\"ok\":true"));
	cr_assert(strstr(text, "\"value\":\"63656e7472616c\""), "the local name is central");
	cr_assert(strstr(text, "{\"command\":\"notify\",\"ok\":true,\"handle\":3,\"reached\":0}"));
	cr_assert(strstr(text, "{\"command\":\"read\",\"ok\":false"), "a bad handle fails");
	cr_assert(strstr(errs, "invalid_handle"));
	free(text);
	free(errs);
}
