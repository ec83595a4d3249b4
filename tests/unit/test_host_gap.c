/* hive-host's GAP requests as scripts: the test plays "hci" (it sees each
 * command and answers with events), "l2cap" and "smp" (link events) and
 * "app" (the requester), and checks each command byte for byte and each
 * Result. Every wait has a deadline; silence is checked over 50 ms. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../actors/host/hci_codec.h"

#define PKT_MAX 512
#define SILENCE_MS 50

struct pkt {
	int type;
	size_t len;
	uint8_t data[1100];
	uint32_t handle;
};

struct inbox {
	uint64_t count;
	struct pkt pkt[PKT_MAX];
	uint64_t links;
	Hive__LinkEvent__KindCase link_kind[PKT_MAX];
	uint32_t link_handle[PKT_MAX];
	uint32_t link_value[PKT_MAX];
	uint64_t results;
	Hive__Result *result[PKT_MAX];
};

static char *dir;
static struct hive_actor *hci, *l2cap, *app, *smp;
static struct inbox hci_in, l2cap_in, app_in, smp_in;
static pid_t host;
static char host_log[600];

static void on_hci(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		   void *arg)
{
	struct inbox *in = arg;
	cr_assert_str_eq(source, "host");
	if (in->count < PKT_MAX) {
		struct pkt *p = &in->pkt[in->count];
		p->type = env->hci->type;
		p->len = env->hci->data.len < sizeof p->data ? env->hci->data.len : sizeof p->data;
		memcpy(p->data, env->hci->data.data, p->len);
	}
	in->count++;
}

static void on_l2cap(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	struct inbox *in = arg;
	if (in->count < PKT_MAX) {
		struct pkt *p = &in->pkt[in->count];
		p->handle = env->l2cap->handle;
		p->len = env->l2cap->data.len < sizeof p->data ? env->l2cap->data.len : sizeof p->data;
		memcpy(p->data, env->l2cap->data.data, p->len);
	}
	in->count++;
}

static void on_link(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	struct inbox *in = arg;
	const Hive__LinkEvent *le = env->link;
	if (in->links < PKT_MAX) {
		in->link_kind[in->links] = le->kind_case;
		in->link_handle[in->links] = le->handle;
		in->link_value[in->links] =
			le->kind_case == HIVE__LINK_EVENT__KIND_DISCONNECTED ? le->disconnected->reason
			: le->kind_case == HIVE__LINK_EVENT__KIND_CONNECTED ? le->connected->interval
									      : 0;
	}
	in->links++;
}

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct inbox *in = arg;
	if (in->results < PKT_MAX) {
		/* Keep a copy: the envelope belongs to the runtime. */
		size_t n = hive__result__get_packed_size(env->result);
		uint8_t *buf = malloc(n);
		hive__result__pack(env->result, buf);
		in->result[in->results] = hive__result__unpack(NULL, n, buf);
		free(buf);
	}
	in->results++;
}

static void pump_once(void)
{
	hive_run_once(hci, 1);
	hive_run_once(l2cap, 1);
	hive_run_once(app, 1);
	hive_run_once(smp, 1);
}

static bool wait_count(const uint64_t *count, uint64_t want)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (*count < want && hive_now_ns() < deadline)
		pump_once();
	return *count >= want;
}

/* Runs every loop for ms and checks that no count moved. */
static void expect_silence(int ms)
{
	uint64_t h = hci_in.count, l = l2cap_in.count, r = app_in.results;
	uint64_t until = hive_now_ns() + (uint64_t)ms * 1000000ull;
	while (hive_now_ns() < until)
		pump_once();
	cr_assert_eq(hci_in.count, h, "host sent %llu unexpected HCI packet(s)",
		     (unsigned long long)(hci_in.count - h));
	cr_assert_eq(l2cap_in.count, l);
	cr_assert_eq(app_in.results, r);
}

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

/* Waits for the next HCI packet from the host and checks it is exactly
 * want (type and bytes). */
static void expect_hci(int type, const uint8_t *want, size_t len)
{
	/* How many packets the script has looked at (one test per process). */
	static uint64_t seen;
	cr_assert(wait_count(&hci_in.count, seen + 1), "no HCI packet from the host (log %s)",
		  host_log);
	const struct pkt *p = &hci_in.pkt[seen++];
	if (p->type != type || p->len != len || memcmp(p->data, want, len)) {
		hexdump("expected", want, len);
		hexdump("received", p->data, p->len);
		cr_assert_fail("HCI packet %llu differs (type %d, want %d)",
			       (unsigned long long)seen - 1, p->type, type);
	}
}

#define EXPECT_CMD(...)                                                             \
	expect_hci(HIVE__HCI_PACKET__TYPE__COMMAND, (const uint8_t[]){ __VA_ARGS__ }, \
		   sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define EXPECT_ACL(...)                                                         \
	expect_hci(HIVE__HCI_PACKET__TYPE__ACL, (const uint8_t[]){ __VA_ARGS__ }, \
		   sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void send_hci(int type, const uint8_t *p, size_t len)
{
	Hive__HciPacket hp = HIVE__HCI_PACKET__INIT;
	hp.type = (Hive__HciPacket__Type)type;
	hp.data.data = (uint8_t *)p;
	hp.data.len = len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &hp;
	cr_assert_eq(hive_send(hci, "host", &env), 0);
}

#define EVENT(...)                                                                      \
	send_hci(HIVE__HCI_PACKET__TYPE__EVENT, (const uint8_t[]){ __VA_ARGS__ }, \
		 sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define ACL(...)                                                                      \
	send_hci(HIVE__HCI_PACKET__TYPE__ACL, (const uint8_t[]){ __VA_ARGS__ }, \
		 sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void spawn_host(const char *timeout_ms)
{
	char set[64];
	snprintf(set, sizeof set, "cmd_timeout_ms=%s", timeout_ms);
	snprintf(host_log, sizeof host_log, "%s/host.log", dir);
	const char *argv[] = { "hive-host", "--run-dir", dir, "--set", set, "--log-level",
			       "debug", NULL };
	host = th_spawn(argv, NULL, host_log);
	cr_assert_gt(host, 0);
}

static bool host_ready(void)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (hive_now_ns() < deadline) {
		Hive__Status *st = th_status(app, TH_DEADLINE_MS);
		if (!st)
			return false;
		const Hive__ActorStatus *s = th_status_find(st, "host");
		bool ready = s && s->up && s->ready;
		hive__status__free_unpacked(st, NULL);
		if (ready)
			return true;
		pump_once();
	}
	return false;
}

/* The whole start-up, answered with LE buffers of 27 bytes x 2. */
static void start_up(const char *timeout_ms)
{
	spawn_host(timeout_ms);
	EXPECT_CMD(0x03, 0x0c, 0x00); /* Reset */
	EVENT(0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00);
	EXPECT_CMD(0x01, 0x10, 0x00); /* Read Local Version Information */
	EVENT(0x0e, 0x0c, 0x01, 0x01, 0x10, 0x00, 0x0c, 0x00, 0x00, 0x0c, 0xff, 0xff, 0x00, 0x00);
	EXPECT_CMD(0x02, 0x10, 0x00); /* Read Local Supported Commands */
	uint8_t cmds[3 + 2 + 1 + 64] = { 0x0e, 68, 0x01, 0x02, 0x10, 0x00 };
	send_hci(HIVE__HCI_PACKET__TYPE__EVENT, cmds, sizeof cmds);
	EXPECT_CMD(0x03, 0x10, 0x00); /* Read Local Supported Features */
	EVENT(0x0e, 0x0c, 0x01, 0x03, 0x10, 0x00, 0, 0, 0, 0, 0, 0x60, 0, 0);
	EXPECT_CMD(0x03, 0x20, 0x00); /* LE Read Local Supported Features */
	EVENT(0x0e, 0x0c, 0x01, 0x03, 0x20, 0x00, 0x20, 0x01, 0, 0, 0, 0, 0, 0);
	EXPECT_CMD(0x09, 0x10, 0x00); /* Read BD_ADDR */
	EVENT(0x0e, 0x0a, 0x01, 0x09, 0x10, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06);
	EXPECT_CMD(0x02, 0x20, 0x00); /* LE Read Buffer Size */
	EVENT(0x0e, 0x07, 0x01, 0x02, 0x20, 0x00, 0x1b, 0x00, 0x02);
	/* Set Event Mask: disconnection, encryption change, hardware error,
	 * buffer overflow, key refresh, LE meta. */
	EXPECT_CMD(0x01, 0x0c, 0x08, 0x90, 0x80, 0x00, 0x02, 0x00, 0x80, 0x00, 0x20);
	EVENT(0x0e, 0x04, 0x01, 0x01, 0x0c, 0x00);
	/* LE Set Event Mask: 0x1f, + data length change (DLE), PHY update (2M). */
	EXPECT_CMD(0x01, 0x20, 0x08, 0x5f, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	EVENT(0x0e, 0x04, 0x01, 0x01, 0x20, 0x00);
	cr_assert(host_ready(), "the host did not say ready (log %s)", host_log);
	expect_silence(SILENCE_MS);
}

static void setup(void)
{
	memset(&hci_in, 0, sizeof hci_in);
	memset(&l2cap_in, 0, sizeof l2cap_in);
	memset(&app_in, 0, sizeof app_in);
	memset(&smp_in, 0, sizeof smp_in);
	dir = th_run_dir();
	cr_assert_not_null(dir);
	cr_assert_gt(th_start_broker(dir, NULL), 0);
	hci = th_actor(dir, "hci");
	l2cap = th_actor(dir, "l2cap");
	app = th_actor(dir, "app");
	smp = th_actor(dir, "smp");
	cr_assert(hci && l2cap && app && smp);
	hive_on(smp, HIVE__ENVELOPE__BODY_LINK, on_link, &smp_in);
	hive_on(hci, HIVE__ENVELOPE__BODY_HCI, on_hci, &hci_in);
	hive_on(l2cap, HIVE__ENVELOPE__BODY_L2CAP, on_l2cap, &l2cap_in);
	hive_on(l2cap, HIVE__ENVELOPE__BODY_LINK, on_link, &l2cap_in);
	hive_on(app, HIVE__ENVELOPE__BODY_RESULT, on_result, &app_in);
	hive_on(app, HIVE__ENVELOPE__BODY_LINK, on_link, &app_in);
}

static void teardown(void)
{
	if (getenv("HOST_TEST_SHOW_LOG")) {
		char *log = th_slurp(host_log, NULL);
		if (log)
			fprintf(stderr, "---- %s\n%s", host_log, log);
		free(log);
	}
	for (uint64_t i = 0; i < app_in.results && i < PKT_MAX; i++)
		hive__result__free_unpacked(app_in.result[i], NULL);
	hive_actor_destroy(&hci);
	hive_actor_destroy(&l2cap);
	hive_actor_destroy(&app);
	hive_actor_destroy(&smp);
	th_cleanup();
	free(dir);
}

TestSuite(host_gap, .init = setup, .fini = teardown, .timeout = 60);

static void send_request(Hive__Request *r)
{
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = r;
	cr_assert_eq(hive_send(r->op_case == HIVE__REQUEST__OP_LTK_REPLY ? smp : app, "host", &env),
		     0);
}

/* Command Complete / Command Status for opcode (lo, hi) with status and
 * return parameters. */
#define CC(lo, hi, ...)                                                                  \
	EVENT(0x0e, (uint8_t)(3 + sizeof((const uint8_t[]){ __VA_ARGS__ })), 0x01, lo, hi, \
	      __VA_ARGS__)
#define CS(lo, hi, status) EVENT(0x0f, 0x04, status, 0x01, lo, hi)

static const Hive__Result *result_at(uint64_t i)
{
	cr_assert(wait_count(&app_in.results, i + 1), "no result %llu (log %s)",
		  (unsigned long long)i, host_log);
	return app_in.result[i];
}

/* One advertising report event with one report. */
static void adv_report(uint8_t type, uint8_t last, const uint8_t *data, uint8_t len, int8_t rssi)
{
	uint8_t ev[2 + 2 + 9 + 31 + 1];
	size_t n = 0;
	ev[n++] = 0x3e;
	ev[n++] = (uint8_t)(2 + 9 + len + 1);
	ev[n++] = 0x02;
	ev[n++] = 1;
	ev[n++] = type;
	ev[n++] = 1; /* random */
	const uint8_t addr[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, last };
	memcpy(ev + n, addr, 6);
	n += 6;
	ev[n++] = len;
	memcpy(ev + n, data, len);
	n += len;
	ev[n++] = (uint8_t)rssi;
	send_hci(HIVE__HCI_PACKET__TYPE__EVENT, ev, n);
}

Test(host_gap, advertise_then_stop)
{
	start_up("2000");
	Hive__AdvertisingData d = HIVE__ADVERTISING_DATA__INIT;
	d.name = "hive-a";
	Hive__Advertise adv = HIVE__ADVERTISE__INIT;
	adv.connectable = true;
	adv.interval_ms = 100;
	adv.data = &d;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 7;
	r.op_case = HIVE__REQUEST__OP_ADVERTISE;
	r.advertise = &adv;
	send_request(&r);
	EXPECT_CMD(0x06, 0x20, 0x0f, 0xa0, 0x00, 0xa0, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0,
		   0x07, 0x00);
	CC(0x06, 0x20, 0x00);
	EXPECT_CMD(0x08, 0x20, 0x20, 11, 2, 0x01, 0x06, 7, 0x09, 'h', 'i', 'v', 'e', '-', 'a', 0, 0,
		   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	CC(0x08, 0x20, 0x00);
	EXPECT_CMD(0x09, 0x20, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	CC(0x09, 0x20, 0x00);
	EXPECT_CMD(0x0a, 0x20, 0x01, 0x01);
	expect_silence(SILENCE_MS); /* no result before the enable completes */
	CC(0x0a, 0x20, 0x00);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 7);
	cr_assert_eq(res->status, 0, "%s", res->error);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_ADVERTISE);
	cr_assert_eq(res->advertise->own->type, HIVE__ADDRESS__TYPE__PUBLIC);
	cr_assert_eq(res->advertise->own->bdaddr.data[0], 0x01);

	Hive__StopAdvertising stop = HIVE__STOP_ADVERTISING__INIT;
	r.id = 8;
	r.op_case = HIVE__REQUEST__OP_STOP_ADVERTISING;
	r.stop_advertising = &stop;
	send_request(&r);
	EXPECT_CMD(0x0a, 0x20, 0x01, 0x00);
	CC(0x0a, 0x20, 0x0c); /* refused: the HCI status comes back */
	res = result_at(1);
	cr_assert_eq(res->id, 8);
	cr_assert_eq(res->status, 0x0c);
	cr_assert_eq(res->domain, HIVE__RESULT__DOMAIN__HCI);
	cr_assert_str_neq(res->error, "");
}

Test(host_gap, advertise_data_too_long_is_refused_without_commands)
{
	start_up("2000");
	Hive__AdvertisingData d = HIVE__ADVERTISING_DATA__INIT;
	uint8_t u[3][16] = { { 1 }, { 2 }, { 3 } };
	ProtobufCBinaryData uu[3] = { { 16, u[0] }, { 16, u[1] }, { 16, u[2] } };
	d.n_uuids = 3;
	d.uuids = uu;
	Hive__Advertise adv = HIVE__ADVERTISE__INIT;
	adv.data = &d;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 1;
	r.op_case = HIVE__REQUEST__OP_ADVERTISE;
	r.advertise = &adv;
	send_request(&r);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->status, -EMSGSIZE);
	cr_assert(strstr(res->error, "31"), "%s", res->error);
	expect_silence(SILENCE_MS);
}

Test(host_gap, scan_merges_advertisement_and_scan_response)
{
	start_up("2000");
	Hive__Scan scan = HIVE__SCAN__INIT;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 20;
	r.op_case = HIVE__REQUEST__OP_SCAN;
	r.scan = &scan;
	send_request(&r);
	EXPECT_CMD(0x0b, 0x20, 0x07, 0x01, 0x60, 0x00, 0x60, 0x00, 0x00, 0x00);
	CC(0x0b, 0x20, 0x00);
	EXPECT_CMD(0x0c, 0x20, 0x02, 0x01, 0x01);
	CC(0x0c, 0x20, 0x00);
	expect_silence(SILENCE_MS);
	adv_report(0x00, 0xc6, (const uint8_t[]){ 2, 0x01, 0x06, 3, 0x03, 0x0d, 0x18 }, 7, -60);
	expect_silence(SILENCE_MS); /* waiting for the scan response */
	adv_report(0x04, 0xc6, (const uint8_t[]){ 7, 0x09, 'h', 'i', 'v', 'e', '-', 'a' }, 8, -55);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 20);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_SCAN_REPORT);
	const Hive__ScanReport *sr = res->scan_report;
	cr_assert_str_eq(sr->data->name, "hive-a");
	cr_assert(sr->connectable && sr->has_scan_response);
	cr_assert_eq(sr->rssi, -55);
	cr_assert_eq(sr->data->n_uuids, 1);
	cr_assert_eq(sr->data->uuids[0].data[1], 0x18);
	cr_assert_eq(sr->address->type, HIVE__ADDRESS__TYPE__RANDOM);
	cr_assert_eq(sr->address->bdaddr.data[5], 0xc6);
	/* A non-connectable one at once; a malformed report is dropped. */
	adv_report(0x03, 0xc7, (const uint8_t[]){ 2, 0x01, 0x04 }, 3, -70);
	EVENT(0x3e, 0x05, 0x02, 0x01, 0x03, 0x01, 0x11);
	res = result_at(1);
	cr_assert(!res->scan_report->connectable && !res->scan_report->has_scan_response);

	Hive__StopScan stop = HIVE__STOP_SCAN__INIT;
	r.id = 21;
	r.op_case = HIVE__REQUEST__OP_STOP_SCAN;
	r.stop_scan = &stop;
	send_request(&r);
	EXPECT_CMD(0x0c, 0x20, 0x02, 0x00, 0x00);
	CC(0x0c, 0x20, 0x00);
	res = result_at(2);
	cr_assert_eq(res->id, 21);
	cr_assert_eq(res->status, 0);
	res = result_at(3);
	cr_assert_eq(res->id, 20);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_SCAN_ENDED);
	cr_assert_eq(res->scan_ended->reports, 2);
	cr_assert_str_eq(res->scan_ended->reason, "stopped");
	/* Reports after the end go nowhere. */
	adv_report(0x03, 0xc8, (const uint8_t[]){ 2, 0x01, 0x04 }, 3, -70);
	expect_silence(SILENCE_MS);
}

Test(host_gap, scan_with_duration_ends_by_itself)
{
	start_up("2000");
	Hive__Scan scan = HIVE__SCAN__INIT;
	scan.passive = true;
	scan.interval_ms = 100;
	scan.window_ms = 50;
	scan.report_duplicates = true;
	scan.duration_ms = 200;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 30;
	r.op_case = HIVE__REQUEST__OP_SCAN;
	r.scan = &scan;
	send_request(&r);
	EXPECT_CMD(0x0b, 0x20, 0x07, 0x00, 0xa0, 0x00, 0x50, 0x00, 0x00, 0x00);
	CC(0x0b, 0x20, 0x00);
	EXPECT_CMD(0x0c, 0x20, 0x02, 0x01, 0x00);
	CC(0x0c, 0x20, 0x00);
	/* Passive: a scannable advertisement is reported at once. */
	adv_report(0x00, 0xc6, (const uint8_t[]){ 2, 0x01, 0x06 }, 3, -60);
	cr_assert_eq(result_at(0)->value_case, HIVE__RESULT__VALUE_SCAN_REPORT);
	EXPECT_CMD(0x0c, 0x20, 0x02, 0x00, 0x00);
	CC(0x0c, 0x20, 0x00);
	const Hive__Result *res = result_at(1);
	cr_assert_eq(res->id, 30);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_SCAN_ENDED);
	cr_assert_str_eq(res->scan_ended->reason, "duration");
}

static void connect_request(uint64_t id, uint32_t timeout_ms)
{
	uint8_t peer[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6 };
	Hive__Address a = HIVE__ADDRESS__INIT;
	a.type = HIVE__ADDRESS__TYPE__RANDOM;
	a.bdaddr.data = peer;
	a.bdaddr.len = 6;
	Hive__Connect c = HIVE__CONNECT__INIT;
	c.peer = &a;
	c.timeout_ms = timeout_ms;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = id;
	r.op_case = HIVE__REQUEST__OP_CONNECT;
	r.connect = &c;
	send_request(&r);
	EXPECT_CMD(0x0d, 0x20, 0x19, 0x60, 0x00, 0x60, 0x00, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44,
		   0x55, 0xc6, 0x00, 0x18, 0x00, 0x28, 0x00, 0x00, 0x00, 0xa4, 0x01, 0, 0, 0, 0);
	CS(0x0d, 0x20, 0x00);
}

Test(host_gap, connect_timeout_cancels)
{
	start_up("2000");
	connect_request(40, 300);
	expect_silence(SILENCE_MS);
	EXPECT_CMD(0x0e, 0x20, 0x00); /* LE Create Connection Cancel at the timeout */
	CC(0x0e, 0x20, 0x00);
	EVENT(0x3e, 0x13, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6,
	      0, 0, 0, 0, 0, 0, 0);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 40);
	cr_assert_eq(res->status, -ETIMEDOUT);
	cr_assert_eq(res->domain, HIVE__RESULT__DOMAIN__LOCAL);
}

Test(host_gap, connect_cancel_by_request)
{
	start_up("2000");
	connect_request(41, 10000);
	Hive__CancelConnect cc = HIVE__CANCEL_CONNECT__INIT;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 42;
	r.op_case = HIVE__REQUEST__OP_CANCEL_CONNECT;
	r.cancel_connect = &cc;
	send_request(&r);
	EXPECT_CMD(0x0e, 0x20, 0x00);
	CC(0x0e, 0x20, 0x00);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 42);
	cr_assert_eq(res->status, 0);
	EVENT(0x3e, 0x13, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6,
	      0, 0, 0, 0, 0, 0, 0);
	res = result_at(1);
	cr_assert_eq(res->id, 41);
	cr_assert_eq(res->status, -ECANCELED);
}

Test(host_gap, connect_update_rssi_phy_disconnect)
{
	start_up("2000");
	connect_request(50, 5000);
	EVENT(0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0xc6,
	      0x28, 0x00, 0x00, 0x00, 0xa4, 0x01, 0x00);
	const Hive__Result *res = result_at(0);
	cr_assert_eq(res->id, 50);
	cr_assert_eq(res->status, 0, "%s", res->error);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_CONNECTION);
	cr_assert_eq(res->connection->handle, 0x40);
	cr_assert_eq(res->connection->role, HIVE__CONNECTED__ROLE__CENTRAL);
	cr_assert(wait_count(&l2cap_in.links, 1));

	Hive__UpdateConnection u = HIVE__UPDATE_CONNECTION__INIT;
	u.handle = 0x40;
	u.interval_min = 6;
	u.interval_max = 12;
	u.latency = 0;
	u.supervision_timeout = 100;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 51;
	r.op_case = HIVE__REQUEST__OP_UPDATE_CONNECTION;
	r.update_connection = &u;
	send_request(&r);
	EXPECT_CMD(0x13, 0x20, 0x0e, 0x40, 0x00, 0x06, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x64, 0x00, 0,
		   0, 0, 0);
	CS(0x13, 0x20, 0x00);
	expect_silence(SILENCE_MS);
	EVENT(0x3e, 0x0a, 0x03, 0x00, 0x40, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x64, 0x00);
	res = result_at(1);
	cr_assert_eq(res->id, 51);
	cr_assert_eq(res->status, 0);

	Hive__ReadRssi rr = HIVE__READ_RSSI__INIT;
	rr.handle = 0x40;
	r.id = 52;
	r.op_case = HIVE__REQUEST__OP_READ_RSSI;
	r.read_rssi = &rr;
	send_request(&r);
	EXPECT_CMD(0x05, 0x14, 0x02, 0x40, 0x00);
	CC(0x05, 0x14, 0x00, 0x40, 0x00, 0xc4);
	res = result_at(2);
	cr_assert_eq(res->value_case, HIVE__RESULT__VALUE_RSSI);
	cr_assert_eq(res->rssi->rssi, -60);

	Hive__SetPhy phy = HIVE__SET_PHY__INIT;
	phy.handle = 0x40;
	phy.tx_phys = 2;
	phy.rx_phys = 2;
	r.id = 53;
	r.op_case = HIVE__REQUEST__OP_SET_PHY;
	r.set_phy = &phy;
	send_request(&r);
	EXPECT_CMD(0x32, 0x20, 0x07, 0x40, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00);
	CS(0x32, 0x20, 0x00);
	EVENT(0x3e, 0x06, 0x0c, 0x00, 0x40, 0x00, 0x02, 0x02);
	res = result_at(3);
	cr_assert_eq(res->id, 53);
	cr_assert_eq(res->status, 0);

	Hive__SetDataLength dl = HIVE__SET_DATA_LENGTH__INIT;
	dl.handle = 0x40;
	dl.tx_octets = 251;
	r.id = 54;
	r.op_case = HIVE__REQUEST__OP_SET_DATA_LENGTH;
	r.set_data_length = &dl;
	send_request(&r);
	EXPECT_CMD(0x22, 0x20, 0x06, 0x40, 0x00, 0xfb, 0x00, 0x48, 0x08);
	CC(0x22, 0x20, 0x00, 0x40, 0x00);
	cr_assert_eq(result_at(4)->status, 0);

	Hive__Disconnect d = HIVE__DISCONNECT__INIT;
	d.handle = 0x40;
	r.id = 55;
	r.op_case = HIVE__REQUEST__OP_DISCONNECT;
	r.disconnect = &d;
	send_request(&r);
	EXPECT_CMD(0x06, 0x04, 0x03, 0x40, 0x00, 0x13);
	CS(0x06, 0x04, 0x00);
	expect_silence(SILENCE_MS);
	EVENT(0x05, 0x04, 0x00, 0x40, 0x00, 0x16);
	res = result_at(5);
	cr_assert_eq(res->id, 55);
	cr_assert_eq(res->status, 0);
	/* connected, parameters updated, PHY updated, disconnected */
	cr_assert(wait_count(&l2cap_in.links, 4));
	cr_assert_eq(l2cap_in.link_kind[3], HIVE__LINK_EVENT__KIND_DISCONNECTED);
	cr_assert_eq(l2cap_in.link_value[3], 0x16);

	/* Requests on a gone link are refused without a command. */
	r.id = 56;
	send_request(&r);
	res = result_at(6);
	cr_assert_eq(res->status, -ENOTCONN);
	expect_silence(SILENCE_MS);
}

Test(host_gap, ltk_request_goes_to_smp_and_its_reply_to_the_controller)
{
	start_up("2000");
	/* LE Connection Complete: handle 0x0040, peripheral. */
	EVENT(0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, 0x01, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
	      0x28, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00);
	cr_assert(wait_count(&smp_in.links, 1));
	/* LE Long Term Key Request: rand 0102030405060708, ediv 0x1234. */
	EVENT(0x3e, 0x0d, 0x05, 0x40, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 0x34, 0x12);
	cr_assert(wait_count(&smp_in.links, 2));
	cr_assert_eq(smp_in.link_kind[1], HIVE__LINK_EVENT__KIND_LTK_REQUESTED);
	cr_assert_eq(smp_in.link_handle[1], 0x40);
	uint8_t ltk[16];
	for (int i = 0; i < 16; i++)
		ltk[i] = (uint8_t)(0xa0 + i);
	Hive__LtkReply lr = HIVE__LTK_REPLY__INIT;
	lr.handle = 0x40;
	lr.found = true;
	lr.ltk.data = ltk;
	lr.ltk.len = 16;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = 60;
	r.op_case = HIVE__REQUEST__OP_LTK_REPLY;
	r.ltk_reply = &lr;
	send_request(&r);
	EXPECT_CMD(0x1a, 0x20, 0x12, 0x40, 0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
		   0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf);
	CC(0x1a, 0x20, 0x00, 0x40, 0x00);
	/* No key: the negative reply. */
	lr.found = false;
	r.id = 61;
	send_request(&r);
	EXPECT_CMD(0x1b, 0x20, 0x02, 0x40, 0x00);
	CC(0x1b, 0x20, 0x00, 0x40, 0x00);
	expect_silence(SILENCE_MS);
}
