/* The harness of hive-host's scripts (test_host_script.c, test_host_gap.c,
 * test_host_ext.c, test_host_bredr.c):
 * the test plays "hci" (it sees each command and answers with events),
 * "l2cap" and "smp" (link events) and "app" (the requester), and checks
 * each command byte for byte and each Result. Every wait has a deadline;
 * silence is checked over 50 ms. Header-only: one test program per file
 * includes it once (criterion runs each test in its own process). */
#ifndef HOST_GAP_UTIL_H
#define HOST_GAP_UTIL_H
#pragma GCC diagnostic ignored "-Wunused-function"

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
	/* AclCredits (kept apart from the other link events) */
	uint64_t credit_resets, credit_frames, credit_window;
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
	if (le->kind_case == HIVE__LINK_EVENT__KIND_ACL_CREDITS) {
		/* flow control, not the link's life */
		in->credit_resets += le->acl_credits->reset;
		in->credit_frames += le->acl_credits->frames;
		in->credit_window = le->acl_credits->window;
		return;
	}
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
		in->result[in->results] = th_result_copy(env->result);
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

/* The whole start-up, answered with LE buffers of 27 bytes x 2, the given
 * LE features and supported commands; a controller with extended
 * advertising is also asked its maximum data length (answered 1650) and
 * number of sets (4). */
static void start_up_with(const char *timeout_ms, const uint8_t le_features[8],
			  const uint8_t commands[64], bool ext)
{
	spawn_host(timeout_ms);
	EXPECT_CMD(0x03, 0x0c, 0x00); /* Reset */
	EVENT(0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00);
	EXPECT_CMD(0x01, 0x10, 0x00); /* Read Local Version Information */
	EVENT(0x0e, 0x0c, 0x01, 0x01, 0x10, 0x00, 0x0c, 0x00, 0x00, 0x0c, 0xff, 0xff, 0x00, 0x00);
	EXPECT_CMD(0x02, 0x10, 0x00); /* Read Local Supported Commands */
	uint8_t cmds[3 + 2 + 1 + 64] = { 0x0e, 68, 0x01, 0x02, 0x10, 0x00 };
	memcpy(cmds + 6, commands, 64);
	send_hci(HIVE__HCI_PACKET__TYPE__EVENT, cmds, sizeof cmds);
	EXPECT_CMD(0x03, 0x10, 0x00); /* Read Local Supported Features */
	EVENT(0x0e, 0x0c, 0x01, 0x03, 0x10, 0x00, 0, 0, 0, 0, 0, 0x60, 0, 0);
	EXPECT_CMD(0x03, 0x20, 0x00); /* LE Read Local Supported Features */
	uint8_t lef[3 + 2 + 1 + 8] = { 0x0e, 12, 0x01, 0x03, 0x20, 0x00 };
	memcpy(lef + 6, le_features, 8);
	send_hci(HIVE__HCI_PACKET__TYPE__EVENT, lef, sizeof lef);
	EXPECT_CMD(0x09, 0x10, 0x00); /* Read BD_ADDR */
	EVENT(0x0e, 0x0a, 0x01, 0x09, 0x10, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06);
	EXPECT_CMD(0x02, 0x20, 0x00); /* LE Read Buffer Size */
	EVENT(0x0e, 0x07, 0x01, 0x02, 0x20, 0x00, 0x1b, 0x00, 0x02);
	if (ext) {
		EXPECT_CMD(0x3a, 0x20, 0x00); /* LE Read Maximum Advertising Data Length */
		EVENT(0x0e, 0x06, 0x01, 0x3a, 0x20, 0x00, 0x72, 0x06);
		EXPECT_CMD(0x3b, 0x20, 0x00); /* LE Read Number of Supported Advertising Sets */
		EVENT(0x0e, 0x05, 0x01, 0x3b, 0x20, 0x00, 0x04);
	}
	/* Set Event Mask: disconnection, encryption change, hardware error,
	 * buffer overflow, key refresh, LE meta. */
	EXPECT_CMD(0x01, 0x0c, 0x08, 0x90, 0x80, 0x00, 0x02, 0x00, 0x80, 0x00, 0x20);
	EVENT(0x0e, 0x04, 0x01, 0x01, 0x0c, 0x00);
	if (ext) {
		/* LE Set Event Mask: 0x1f, DLE, enhanced connection complete, PHY
		 * update, extended advertising report, scan timeout, advertising
		 * set terminated. */
		EXPECT_CMD(0x01, 0x20, 0x08, 0x5f, 0x1a, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00);
	} else {
		/* LE Set Event Mask: 0x1f, + data length change (DLE), PHY update (2M). */
		EXPECT_CMD(0x01, 0x20, 0x08, 0x5f, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	}
	EVENT(0x0e, 0x04, 0x01, 0x01, 0x20, 0x00);
	cr_assert(host_ready(), "the host did not say ready (log %s)", host_log);
	expect_silence(SILENCE_MS);
}

/* A controller with DLE and 2M, without extended advertising. */
static void start_up(const char *timeout_ms)
{
	static const uint8_t lef[8] = { 0x20, 0x01 };
	static const uint8_t cmds[64];
	start_up_with(timeout_ms, lef, cmds, false);
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


#endif
