/* hive-sdp as a real process behind a real broker. The test plays "l2cap":
 * it sends SDP requests as ChannelPdu and expects exact answers back, tells
 * hive-sdp the channel's MTU with an L2capEvent opened, closes channels and
 * links. Then hive-sdp with a broken database: it exits and says where.
 * Every wait has a deadline. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "sdp_test_util.h"
#include "../../actors/sdp/sdp_codec.h"

#define MAX_IN 64
#define SILENCE_MS 50
#define H 0x0041
#define C 0x0040

struct pdu {
	uint32_t handle, cid;
	size_t len;
	uint8_t data[1024];
};

static char *dir;
static struct hive_actor *l2cap;
static struct pdu in[MAX_IN];
static uint64_t in_count, seen;
static pid_t sdp;
static char sdp_log[600], db_path[600];

static const char *db_json =
	"{\"records\": ["
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x1101\"],"
	"   \"0x0004\": [[\"uuid16:0x0100\"], [\"uuid16:0x0003\", \"uint8:1\"]],"
	"   \"0x0100\": \"text:Serial Port\"}}]}";

static void on_pdu(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		   void *arg)
{
	const Hive__ChannelPdu *cp = env->pdu;
	if (in_count < MAX_IN) {
		struct pdu *p = &in[in_count];
		p->handle = cp->handle;
		p->cid = cp->cid;
		p->len = cp->payload.len < sizeof p->data ? cp->payload.len : sizeof p->data;
		memcpy(p->data, cp->payload.data, p->len);
	}
	in_count++;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static pid_t start_sdp(const char *db, const char *log)
{
	char bin[512], set_db[700];
	snprintf(set_db, sizeof set_db, "db=%s", db);
	const char *argv[] = { th_bin(bin, sizeof bin, "hive-sdp"), "--run-dir", dir, "--set",
			       set_db, "--log-level", "debug", NULL };
	pid_t pid = th_spawn(argv, NULL, log);
	cr_assert_gt(pid, 0);
	return pid;
}

static void wait_ready(const char *name)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (hive_now_ns() < deadline) {
		Hive__Status *s = th_status(l2cap, TH_DEADLINE_MS);
		const Hive__ActorStatus *as = s ? th_status_find(s, name) : NULL;
		bool ready = as && as->up && as->ready;
		if (s)
			hive__status__free_unpacked(s, NULL);
		if (ready)
			return;
		hive_run_once(l2cap, 10);
	}
	cr_assert_fail("%s never said it was ready (log %s)", name, sdp_log);
}

static void setup(void)
{
	in_count = seen = 0;
	dir = th_run_dir();
	cr_assert_not_null(dir);
	cr_assert_gt(th_start_broker(dir, NULL), 0);
	snprintf(db_path, sizeof db_path, "%s/sdp.json", dir);
	snprintf(sdp_log, sizeof sdp_log, "%s/sdp.log", dir);
	write_file(db_path, db_json);
	l2cap = th_actor(dir, "l2cap");
	cr_assert_not_null(l2cap);
	hive_on(l2cap, HIVE__ENVELOPE__BODY_PDU, on_pdu, NULL);
	sdp = start_sdp(db_path, sdp_log);
	wait_ready("sdp");
}

static void teardown(void)
{
	hive_actor_destroy(&l2cap);
	th_cleanup();
	free(dir);
}

TestSuite(sdp_actor, .init = setup, .fini = teardown, .timeout = 120);

static void send_env(Hive__Envelope *env)
{
	cr_assert_eq(hive_send(l2cap, "sdp", env), 0);
}

static void send_sdp(uint32_t handle, uint32_t cid, const char *hex)
{
	uint8_t b[512];
	size_t n = sdp_hex(hex, b, sizeof b);
	Hive__ChannelPdu cp = HIVE__CHANNEL_PDU__INIT;
	cp.handle = handle;
	cp.cid = cid;
	cp.payload.data = b;
	cp.payload.len = n;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &cp;
	send_env(&env);
}

static bool wait_count(uint64_t want)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	while (in_count < want && hive_now_ns() < deadline)
		hive_run_once(l2cap, 10);
	return in_count >= want;
}

static void expect_sdp(const char *what, uint32_t handle, uint32_t cid, const char *hex)
{
	cr_assert(wait_count(seen + 1), "%s: no answer from hive-sdp (log %s)", what, sdp_log);
	const struct pdu *p = &in[seen++];
	cr_assert_eq(p->handle, handle, "%s", what);
	cr_assert_eq(p->cid, cid, "%s", what);
	sdp_expect_bytes(what, p->data, p->len, hex);
}

static void expect_silence(void)
{
	uint64_t until = hive_now_ns() + (uint64_t)SILENCE_MS * 1000000ull;
	while (hive_now_ns() < until)
		hive_run_once(l2cap, 5);
	cr_assert_eq(in_count, seen, "hive-sdp sent %llu unexpected PDU(s)",
		     (unsigned long long)(in_count - seen));
}

static void channel_opened(uint32_t handle, uint32_t cid, uint32_t psm, uint32_t mtu)
{
	Hive__L2capChannelInfo ci = HIVE__L2CAP_CHANNEL_INFO__INIT;
	ci.handle = handle;
	ci.cid = cid;
	ci.spsm = psm;
	ci.peer_mtu = mtu;
	ci.state = HIVE__L2CAP_CHANNEL_INFO__STATE__OPEN;
	ci.incoming = true;
	Hive__L2capChannelOpened op = HIVE__L2CAP_CHANNEL_OPENED__INIT;
	op.channel = &ci;
	Hive__L2capEvent ev = HIVE__L2CAP_EVENT__INIT;
	ev.kind_case = HIVE__L2CAP_EVENT__KIND_OPENED;
	ev.opened = &op;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_L2CAP_EVENT;
	env.l2cap_event = &ev;
	send_env(&env);
}

static void link_down(uint32_t handle)
{
	Hive__Disconnected dis = HIVE__DISCONNECTED__INIT;
	dis.reason = 0x13;
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	le.handle = handle;
	le.kind_case = HIVE__LINK_EVENT__KIND_DISCONNECTED;
	le.disconnected = &dis;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_LINK;
	env.link = &le;
	send_env(&env);
}

#define SA_ALL "04 00 02 00 0e 00 01 00 00 ff ff 35 05 0a 00 00 ff ff 00"

Test(sdp_actor, transactions)
{
	send_sdp(H, C, "02 00 01 00 08 35 03 19 11 01 00 0a 00");
	expect_sdp("ServiceSearch", H, C, "03 00 01 00 09 00 01 00 01 00 01 00 00 00");
	send_sdp(H, C, SA_ALL);
	expect_sdp("ServiceAttribute", H, C,
		   "05 00 02 00 36 00 33 35 31 09 00 00 0a 00 01 00 00 09 00 01 35 03 19 11 01"
		   " 09 00 04 35 0c 35 03 19 01 00 35 05 19 00 03 08 01 09 01 00 25 0b 53 65 72"
		   " 69 61 6c 20 50 6f 72 74 00");
	send_sdp(H, C, "06 00 03 00 0d 35 03 19 01 00 ff ff 35 03 09 00 01 00");
	expect_sdp("ServiceSearchAttribute", H, C,
		   "07 00 03 00 0f 00 0c 35 0a 35 08 09 00 01 35 03 19 11 01 00");
	send_sdp(H, C, "02 00 04 00 08 35 03 19 10 00 00 0a 00");
	expect_sdp("the SDP server's record", H, C, "03 00 04 00 09 00 01 00 01 00 00 00 00 00");
}

Test(sdp_actor, continuation_at_the_channels_mtu)
{
	channel_opened(H, C, 0x0001, 48);
	send_sdp(H, C, SA_ALL);
	cr_assert(wait_count(seen + 1), "no answer (log %s)", sdp_log);
	const struct pdu *p = &in[seen++];
	cr_assert_eq(p->len, 48);
	struct sdp_hdr h;
	struct sdp_attr_rsp r;
	cr_assert_eq(sdp_decode_hdr(p->data, p->len, &h), 0);
	cr_assert_eq(sdp_decode_attr_rsp(p->data + SDP_HDR_LEN, h.plen, &r), 0);
	cr_assert_eq(r.count, 32);
	cr_assert_eq(r.cont.len, 8);
	/* The state is ours: offset 32, then a nonce we cannot know. */
	cr_assert_eq(r.cont.b[3], 32);
	char req[200];
	int at = snprintf(req, sizeof req, "04 00 03 00 16 00 01 00 00 ff ff 35 05 0a 00 00 ff ff 08");
	for (int i = 0; i < 8; i++)
		at += snprintf(req + at, sizeof req - (size_t)at, " %02x", r.cont.b[i]);
	send_sdp(H, C, req);
	expect_sdp("the rest", H, C,
		   "05 00 03 00 16 00 13 03 08 01 09 01 00 25 0b 53 65 72 69 61 6c 20 50 6f 72 74 00");
	/* The same state again: used up. */
	send_sdp(H, C, req);
	expect_sdp("a used state", H, C, "01 00 03 00 02 00 05");

	/* A channel of another PSM is none of ours: the default MTU stays. */
	channel_opened(H, C + 1, 0x0003, 48);
	send_sdp(H, C + 1, SA_ALL);
	expect_sdp("default MTU", H, C + 1,
		   "05 00 02 00 36 00 33 35 31 09 00 00 0a 00 01 00 00 09 00 01 35 03 19 11 01"
		   " 09 00 04 35 0c 35 03 19 01 00 35 05 19 00 03 08 01 09 01 00 25 0b 53 65 72"
		   " 69 61 6c 20 50 6f 72 74 00");

	/* After the link went, its channels and their states are forgotten. */
	send_sdp(H, C, SA_ALL);
	cr_assert(wait_count(seen + 1));
	p = &in[seen++];
	cr_assert_eq(p->len, 48);
	cr_assert_eq(sdp_decode_hdr(p->data, p->len, &h), 0);
	cr_assert_eq(sdp_decode_attr_rsp(p->data + SDP_HDR_LEN, h.plen, &r), 0);
	at = snprintf(req, sizeof req, "04 00 04 00 16 00 01 00 00 ff ff 35 05 0a 00 00 ff ff 08");
	for (int i = 0; i < 8; i++)
		at += snprintf(req + at, sizeof req - (size_t)at, " %02x", r.cont.b[i]);
	link_down(H);
	send_sdp(H, C, req);
	expect_sdp("after the link went", H, C, "01 00 04 00 02 00 05");
}

Test(sdp_actor, robustness)
{
	send_sdp(H, C, "04 00 09 00 16 00 01 00 00 ff ff 35 05 0a 00 00 ff ff 08 00 00 00 20 11 22 "
		       "33 44");
	expect_sdp("a state never issued", H, C, "01 00 09 00 02 00 05");
	send_sdp(H, C, "08 00 0a 00 00");
	expect_sdp("unknown PDU ID", H, C, "01 00 0a 00 02 00 03");
	send_sdp(H, C, "02 00 0b 00 09 35 03 19 11 01 00 0a 00");
	expect_sdp("bad ParameterLength", H, C, "01 00 0b 00 02 00 04");
	send_sdp(H, C, "04 00 0c 00 0e 00 02 00 00 ff ff 35 05 0a 00 00 ff ff 00");
	expect_sdp("no such record", H, C, "01 00 0c 00 02 00 02");
	send_sdp(H, C, "02 00 0d 00 08 35 03 09 11 01 00 0a 00");
	expect_sdp("bad syntax", H, C, "01 00 0d 00 02 00 03");
	/* A response is not answered; nor is a PDU on a fixed channel. */
	send_sdp(H, C, "03 00 01 00 05 00 00 00 00 00");
	send_sdp(H, 0x0004, "02 00 01 00 08 35 03 19 11 01 00 0a 00");
	expect_silence();
	/* Still serving. */
	send_sdp(H, C, "02 00 0e 00 08 35 03 19 11 01 00 0a 00");
	expect_sdp("still serving", H, C, "03 00 0e 00 09 00 01 00 01 00 01 00 00 00");
	/* SIGTERM: a clean exit. */
	kill(sdp, SIGTERM);
	int st = th_wait_exit(sdp, TH_DEADLINE_MS);
	cr_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
}

Test(sdp_actor, a_broken_database_is_refused_by_name)
{
	char bad[700], log[700];
	snprintf(bad, sizeof bad, "%s/bad.json", dir);
	snprintf(log, sizeof log, "%s/bad.log", dir);
	write_file(bad, "{\"records\": [{\"attributes\": {\"0x0001\": [\"uuid16:0x1101\","
			" \"uint9:1\"]}}]}");
	char bin[512], set_db[800];
	snprintf(set_db, sizeof set_db, "db=%s", bad);
	const char *argv[] = { th_bin(bin, sizeof bin, "hive-sdp"), "--run-dir", dir, "--name",
			       "sdp2", "--set", set_db, NULL };
	pid_t pid = th_spawn(argv, NULL, log);
	cr_assert_gt(pid, 0);
	int st = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d", st);
	char want[800];
	snprintf(want, sizeof want, "%s: records[0].attributes.0x0001[1]: unknown type \"uint9\"",
		 bad);
	cr_assert(th_file_contains(log, want, TH_DEADLINE_MS), "%s lacks: %s", log, want);
}
