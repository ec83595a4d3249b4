/* BR/EDR through real processes behind a real broker: two hive-l2cap whose
 * fake hosts (in this test) forward frames between them like a radio, on a
 * link both were told is BR/EDR (Connected with le = false). A basic-mode
 * channel opened by an app carries data both ways; hive-sdp serves PSM
 * 0x0001 of l2cap-b (--set sdp=) and hive-ctl sdp on the other side browses
 * its records, through continuation states at a small MTU. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "l2cap_actor_util.h"

#define H 0x0001
#define PSM 0x1001

static char *dir;

static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	cr_assert_gt(th_start_broker(dir, NULL), 0);
}

static void teardown(void)
{
	th_cleanup();
	free(dir);
}

TestSuite(l2cap_bredr_actor, .init = setup, .fini = teardown, .timeout = 120);

/* An ACL-U link: Connected with le = false. */
static void bredr_up(struct lt_peer *host, const char *l2cap, bool central)
{
	Hive__Connected c = HIVE__CONNECTED__INIT;
	c.role = central ? HIVE__CONNECTED__ROLE__CENTRAL : HIVE__CONNECTED__ROLE__PERIPHERAL;
	c.le = false;
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	le.handle = H;
	le.kind_case = HIVE__LINK_EVENT__KIND_CONNECTED;
	le.connected = &c;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_LINK;
	env.link = &le;
	lt_send(host, l2cap, &env);
}

struct pair {
	struct lt_peer *ha, *hb, *app_a, *app_b;
};

static void two_stacks(struct pair *s, const char *const sets_b[])
{
	s->ha = lt_peer_new(dir, "host-a");
	s->hb = lt_peer_new(dir, "host-b");
	s->app_a = lt_peer_new(dir, "app-a");
	s->app_b = lt_peer_new(dir, "app-b");
	s->ha->hook = s->hb->hook = lt_radio;
	s->ha->user = s->hb;
	s->hb->user = s->ha;
	lt_spawn_l2cap(dir, "l2cap-a", (const char *const[]){ "host=host-a", NULL });
	lt_spawn_l2cap(dir, "l2cap-b", sets_b);
	bredr_up(s->ha, "l2cap-a", true);
	bredr_up(s->hb, "l2cap-b", false);
	for (uint64_t id = 1; lt_table(s->app_a, "l2cap-a", id)->n_links != 1; id++)
		;
	for (uint64_t id = 100; lt_table(s->app_b, "l2cap-b", id)->n_links != 1; id++)
		;
}

static void send_pdu(struct lt_peer *app, const char *l2cap, uint32_t cid, const char *text)
{
	Hive__ChannelPdu p = HIVE__CHANNEL_PDU__INIT;
	p.handle = H;
	p.cid = cid;
	p.payload.data = (uint8_t *)text;
	p.payload.len = strlen(text);
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &p;
	lt_send(app, l2cap, &env);
}

static void expect_pdu(struct lt_peer *app, uint32_t cid, const char *text)
{
	const Hive__Envelope *e = lt_take(app, HIVE__ENVELOPE__BODY_PDU, text);
	cr_assert_eq(e->pdu->handle, H);
	cr_assert_eq(e->pdu->cid, cid);
	lt_expect_bytes(text, e->pdu->payload.data, e->pdu->payload.len, (const uint8_t *)text,
			strlen(text));
}

Test(l2cap_bredr_actor, basic_channel_carries_data_both_ways)
{
	struct pair s;
	two_stacks(&s, (const char *const[]){ "host=host-b", NULL });

	Hive__L2capPsmListen pl = HIVE__L2CAP_PSM_LISTEN__INIT;
	pl.psm = PSM;
	pl.mtu = 100;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_PSM_LISTEN;
	q.psm_listen = &pl;
	lt_request(s.app_b, "l2cap-b", 1, &q);
	cr_assert_eq(lt_result(s.app_b, 1)->status, 0);

	/* A PSM nobody serves: the peer's result, in the L2CAP domain. */
	Hive__L2capBredrConnect bc = HIVE__L2CAP_BREDR_CONNECT__INIT;
	bc.handle = H;
	bc.psm = 0x1003;
	q = (Hive__L2capRequest)HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_BREDR_CONNECT;
	q.bredr_connect = &bc;
	lt_request(s.app_a, "l2cap-a", 2, &q);
	const Hive__Result *r = lt_result(s.app_a, 2);
	cr_assert_eq(r->status, 2, "status %d %s", r->status, r->error ? r->error : "");
	cr_assert_eq(r->domain, HIVE__RESULT__DOMAIN__L2CAP);

	/* PSM 0x1001: configured both ways, open on both sides. */
	bc.psm = PSM;
	bc.mtu = 200;
	lt_request(s.app_a, "l2cap-a", 3, &q);
	r = lt_result(s.app_a, 3);
	cr_assert_eq(r->status, 0, "%s", r->error ? r->error : "");
	cr_assert_eq(r->l2cap->connected->n_channels, 1);
	const Hive__L2capChannelInfo *ca = r->l2cap->connected->channels[0];
	uint32_t cid_a = ca->cid;
	cr_assert_eq(ca->peer_mtu, 100);
	const Hive__L2capEvent *ev = lt_take_event(s.app_b, HIVE__L2CAP_EVENT__KIND_OPENED);
	uint32_t cid_b = ev->opened->channel->cid;
	cr_assert_eq(ev->opened->channel->spsm, PSM);
	cr_assert_eq(ev->opened->channel->peer_mtu, 200);
	cr_assert(ev->opened->channel->incoming);

	/* a -> b with send (answered), b -> a with a ChannelPdu. */
	Hive__L2capSend sd = HIVE__L2CAP_SEND__INIT;
	sd.handle = H;
	sd.cid = cid_a;
	sd.sdu.data = (uint8_t *)"hello b";
	sd.sdu.len = 7;
	q = (Hive__L2capRequest)HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_SEND;
	q.send = &sd;
	lt_request(s.app_a, "l2cap-a", 4, &q);
	cr_assert_eq(lt_result(s.app_a, 4)->status, 0);
	expect_pdu(s.app_b, cid_b, "hello b");
	send_pdu(s.app_b, "l2cap-b", cid_b, "hello a");
	expect_pdu(s.app_a, cid_a, "hello a");
	/* Over the peer's MTU: refused. */
	uint8_t big[201] = { 0 };
	sd.cid = cid_b;
	sd.sdu.data = big;
	sd.sdu.len = 201;
	lt_request(s.app_b, "l2cap-b", 5, &q);
	cr_assert_eq(lt_result(s.app_b, 5)->status, -EMSGSIZE);
	/* Only the owner may send on it. */
	send_pdu(s.app_a, "l2cap-b", cid_b, "not mine");
	lt_expect_silence(s.app_a, 100);

	/* a closes: both owners hear. */
	Hive__L2capDisconnect d = HIVE__L2CAP_DISCONNECT__INIT;
	d.handle = H;
	d.cid = cid_a;
	q = (Hive__L2capRequest)HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_DISCONNECT;
	q.disconnect = &d;
	lt_request(s.app_a, "l2cap-a", 6, &q);
	cr_assert_eq(lt_result(s.app_a, 6)->status, 0);
	ev = lt_take_event(s.app_a, HIVE__L2CAP_EVENT__KIND_CLOSED);
	cr_assert_eq(ev->closed->status, 0);
	ev = lt_take_event(s.app_b, HIVE__L2CAP_EVENT__KIND_CLOSED);
	cr_assert_eq(ev->closed->status, -ECONNRESET);
}

/* ---- SDP: hive-ctl sdp against hive-sdp ------------------------------------------ */

static pid_t ctl_as(bool json, const char *script, const char *out)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, out);
	const char *argv[] = { "hive-ctl", "--run-dir", dir, "-c", script,
			       json ? "--json" : NULL, NULL };
	pid_t pid = th_spawn(argv, path, NULL);
	cr_assert_gt(pid, 0);
	return pid;
}

static pid_t ctl(const char *script, const char *out)
{
	return ctl_as(false, script, out);
}

/* Pumps the fake hosts until pid exits; returns its exit code. */
static int ctl_wait(pid_t pid)
{
	uint64_t deadline = hive_now_ns() + 3ull * TH_DEADLINE_MS * 1000000ull;
	int st;
	while (hive_now_ns() < deadline) {
		lt_pump();
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	cr_assert_fail("hive-ctl did not finish");
	return -1;
}

static char *slurp(const char *name)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *s = th_slurp(path, NULL);
	cr_assert_not_null(s);
	return s;
}

static const char *db_json =
	"{\"records\": ["
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x1101\"],"
	"   \"0x0004\": [[\"uuid16:0x0100\"], [\"uuid16:0x0003\", \"uint8:1\"]],"
	"   \"0x0005\": [\"uuid16:0x1002\"],"
	"   \"0x0100\": \"text:Serial Port\"}},"
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x1105\"],"
	"   \"0x0004\": [[\"uuid16:0x0100\"], [\"uuid16:0x0003\", \"uint8:2\"], [\"uuid16:0x0008\"]],"
	"   \"0x0005\": [\"uuid16:0x1002\"],"
	"   \"0x0009\": [[\"uuid16:0x1105\", \"uint16:0x0102\"]],"
	"   \"0x0100\": \"text:OBEX Object Push\"}}]}";

static void start_sdp(void)
{
	char db[600], set_db[700], log[600];
	snprintf(db, sizeof db, "%s/sdp-db.json", dir);
	FILE *f = fopen(db, "w");
	cr_assert_not_null(f);
	fputs(db_json, f);
	fclose(f);
	snprintf(set_db, sizeof set_db, "db=%s", db);
	snprintf(log, sizeof log, "%s/sdp-b.log", dir);
	const char *argv[] = { "hive-sdp", "--run-dir", dir, "--name", "sdp-b", "--log-level", "info", "--set",
			       "l2cap=l2cap-b", "--set", set_db, NULL };
	cr_assert_gt(th_spawn(argv, NULL, log), 0);
	cr_assert(th_file_contains(log, "serving 3 service records", TH_DEADLINE_MS),
		  "hive-sdp did not start: see %s", log);
}

Test(l2cap_bredr_actor, hive_ctl_sdp_browses_through_continuations)
{
	struct pair s;
	start_sdp();
	two_stacks(&s, (const char *const[]){ "host=host-b", "sdp=sdp-b", NULL });

	/* Our MTU 48: every answer of the server fits 48 bytes, so the
	 * records come in several transactions. */
	pid_t p = ctl("ping sdp-b; sdp 0x0001 --to l2cap-a --mtu 48", "sdp.out");
	int rc = ctl_wait(p);
	char *o = slurp("sdp.out");
	cr_assert_eq(rc, 0, "%s", o);
	cr_assert(strstr(o, "record 0x00010000\n"), "%s", o);
	cr_assert(strstr(o, "record 0x00010001\n"), "%s", o);
	cr_assert(strstr(o, "0x0001 ServiceClassIDList             [uuid 0x1101]"), "%s", o);
	cr_assert(strstr(o, "0x0004 ProtocolDescriptorList         [[uuid 0x0100], [uuid 0x0003, "
			    "0x02], [uuid 0x0008]]"), "%s", o);
	cr_assert(strstr(o, "0x0009 BluetoothProfileDescriptorList [[uuid 0x1105, 0x0102]]"),
		  "%s", o);
	cr_assert(strstr(o, "0x0100 ServiceName                    \"OBEX Object Push\""), "%s",
		  o);
	unsigned n = 0, t = 0;
	const char *sum = strstr(o, " record(s), ");
	cr_assert_not_null(sum, "%s", o);
	while (sum > o && sum[-1] >= '0' && sum[-1] <= '9')
		sum--;
	cr_assert_eq(sscanf(sum, "%u record(s), %u transaction(s)", &n, &t), 2, "%s", o);
	cr_assert_eq(n, 2);
	cr_assert_gt(t, 3, "%u transactions: no continuation at MTU 48?", t);
	free(o);

	/* The whole in one answer at the default MTU, as JSON; the channels of
	 * both browses are closed again. */
	p = ctl_as(true, "sdp 0x0001 --to l2cap-a", "sdp.json");
	rc = ctl_wait(p);
	o = slurp("sdp.json");
	cr_assert_eq(rc, 0, "%s", o);
	cr_assert(strstr(o, "\"transactions\":1"), "%s", o);
	cr_assert(strstr(o, "\"records\":2"), "%s", o);
	cr_assert(strstr(o, "\"name\":\"ServiceName\",\"value\":\"\\\"Serial Port\\\"\""), "%s",
		  o);
	free(o);
	for (uint64_t id = 500;; id++) {
		const Hive__L2capTable *tb = lt_table(s.app_a, "l2cap-a", id);
		if (tb->n_channels == 0)
			break;
		cr_assert_lt(id, 5000, "the SDP channels stay open");
	}

	/* No SDP server on a's side, no such link: said in words. */
	p = ctl_as(true, "sdp 0x0001 --to l2cap-b", "nosdp.json");
	cr_assert_eq(ctl_wait(p), 1);
	o = slurp("nosdp.json");
	cr_assert(strstr(o, "the peer has no SDP server (PSM 0x0001 not supported)"), "%s", o);
	free(o);
	p = ctl_as(true, "sdp 0x0005 --to l2cap-a", "nolink.json");
	cr_assert_eq(ctl_wait(p), 1);
	o = slurp("nolink.json");
	cr_assert(strstr(o, "l2cap-a has no link 0x0005"), "%s", o);
	free(o);
}
