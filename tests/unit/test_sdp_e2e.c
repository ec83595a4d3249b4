/* Issue 10 end to end, L2CAP and SDP over BR/EDR: the demo's two graphs on
 * one hive-vctrl radio (tests/support/e2e.c). The peripheral's host is
 * connectable over BR/EDR; its l2cap serves PSM 0x0001 for a hive-sdp that
 * joins its graph with a record file. The central connects over BR/EDR;
 * then
 * - a basic-mode channel to PSM 0x1001, opened by the central's app and
 *   accepted by the peripheral's, carries SDUs both ways (large enough to
 *   be fragmented to ACL) and closes on both sides;
 * - hive-ctl sdp ADDR on the central browses the peripheral's records
 *   through the real path (host, l2cap, hive-vctrl, the peer's l2cap and
 *   hive-sdp), with our MTU at 48 so the answers come in continuations. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "e2e.h"
#include "harness.h"

#define PSM 0x1001
#define SDU_LEN 600

static struct e2e e2e_state;

/* The ChannelPdus each side's app received on a basic channel. */
struct pdus {
	unsigned n, good;
	uint32_t cid;
};
static struct pdus pdus_p, pdus_c;

static uint8_t byte_at(unsigned sdu, unsigned i)
{
	return e2e_pattern((uint64_t)sdu * SDU_LEN + i);
}

static void on_pdu(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		   void *arg)
{
	struct pdus *d = arg;
	const Hive__ChannelPdu *p = env->pdu;
	bool ok = p->cid == d->cid && p->payload.len == SDU_LEN;
	for (unsigned i = 0; ok && i < SDU_LEN; i++)
		ok = p->payload.data[i] == byte_at(d->n, i);
	d->good += ok;
	d->n++;
}

static const char *db_json =
	"{\"records\": ["
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x1101\"],"
	"   \"0x0004\": [[\"uuid16:0x0100\"], [\"uuid16:0x0003\", \"uint8:1\"]],"
	"   \"0x0005\": [\"uuid16:0x1002\"],"
	"   \"0x0100\": \"text:hive serial port\"}},"
	" {\"attributes\": {\"0x0001\": [\"uuid16:0x110a\"],"
	"   \"0x0004\": [[\"uuid16:0x0100\", \"uint16:0x0019\"], [\"uuid16:0x0019\","
	"                \"uint16:0x0103\"]],"
	"   \"0x0005\": [\"uuid16:0x1002\"],"
	"   \"0x0009\": [[\"uuid16:0x110d\", \"uint16:0x0103\"]],"
	"   \"0x0100\": \"text:hive audio source\"}}]}";

static bool start_sdp(struct e2e *e)
{
	char db[400], set_db[500], log[400];
	snprintf(db, sizeof db, "%s/sdp-db.json", e->dir);
	FILE *f = fopen(db, "w");
	if (!f)
		return e2e_fail(e, "cannot write %s", db);
	fputs(db_json, f);
	fclose(f);
	snprintf(set_db, sizeof set_db, "db=%s", db);
	snprintf(log, sizeof log, "%s/sdp.log", e->dir);
	const char *argv[] = { "hive-sdp", "--run-dir", e->p.run, "--log-level", "info", "--set",
			       set_db, NULL };
	if (th_spawn(argv, NULL, log) <= 0 ||
	    !th_file_contains(log, "serving 3 service records", E2E_DEADLINE_MS))
		return e2e_fail(e, "hive-sdp did not join the peripheral's graph (see %s)", log);
	return true;
}

static bool setup(struct e2e *e)
{
	const char *psets[] = { "host.bredr_scan=both", "l2cap.sdp=sdp", NULL };
	return e2e_run_dir(e) && e2e_start_vctrl(e) && e2e_launch(e, &e->p, psets) && start_sdp(e) &&
	       e2e_launch(e, &e->c, NULL) && e2e_join(e, &e->p) && e2e_join(e, &e->c);
}

static bool send_sdus(struct e2e *e, struct e2e_side *s, uint32_t cid, unsigned n)
{
	uint8_t buf[SDU_LEN];
	for (unsigned k = 0; k < n; k++) {
		for (unsigned i = 0; i < SDU_LEN; i++)
			buf[i] = byte_at(k, i);
		Hive__L2capSend sd = HIVE__L2CAP_SEND__INIT;
		sd.handle = s->handle;
		sd.cid = cid;
		sd.sdu.data = buf;
		sd.sdu.len = SDU_LEN;
		Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
		q.op_case = HIVE__L2CAP_REQUEST__OP_SEND;
		q.send = &sd;
		if (!e2e_l2cap_call(e, s, &q, "send"))
			return false;
	}
	return true;
}

static bool wait_pdus(struct e2e *e, const struct pdus *d, unsigned n, const char *what)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while (d->n < n) {
		if (hive_now_ns() > deadline)
			return e2e_fail(e, "%s: %u of %u SDUs within the deadline", what, d->n, n);
		if (!e2e_pump(e))
			return e2e_fail(e, "%s: stopped", what);
	}
	return true;
}

/* hive-ctl on the central's graph; its exit code, its output in *out. */
static int ctl(struct e2e *e, const char *script, const char *name, char **out)
{
	char path[700];
	snprintf(path, sizeof path, "%s/%s", e->dir, name);
	const char *argv[] = { "hive-ctl", "--run-dir", e->c.run, "-c", script, NULL };
	pid_t pid = th_spawn(argv, path, NULL);
	cr_assert_gt(pid, 0);
	uint64_t deadline = hive_now_ns() + 3ull * E2E_DEADLINE_MS * 1000000ull;
	int st, rc = -1;
	while (hive_now_ns() < deadline) {
		e2e_pump(e);
		if (waitpid(pid, &st, WNOHANG) == pid) {
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
			break;
		}
	}
	*out = th_slurp(path, NULL);
	cr_assert_not_null(*out);
	return rc;
}

static void fini(void)
{
	e2e_teardown(&e2e_state);
	th_cleanup();
}

TestSuite(sdp_e2e, .fini = fini, .timeout = 180);

Test(sdp_e2e, basic_channel_and_sdp_browse_over_bredr)
{
	struct e2e *e = &e2e_state;
	memset(e, 0, sizeof *e);
	memset(&pdus_p, 0, sizeof pdus_p);
	memset(&pdus_c, 0, sizeof pdus_c);
	E = e;
	cr_assert(setup(e), "%s", e->err);
	uint8_t p_addr[6];
	cr_assert(e2e_device_addr(e, &e->p, p_addr), "%s", e->err);
	cr_assert(e2e_bredr_connect(e, p_addr), "%s", e->err);
	hive_on(e->p.a, HIVE__ENVELOPE__BODY_PDU, on_pdu, &pdus_p);
	hive_on(e->c.a, HIVE__ENVELOPE__BODY_PDU, on_pdu, &pdus_c);

	/* The peripheral's app serves PSM 0x1001; the central's opens it. */
	Hive__L2capPsmListen pl = HIVE__L2CAP_PSM_LISTEN__INIT;
	pl.psm = PSM;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_PSM_LISTEN;
	q.psm_listen = &pl;
	cr_assert(e2e_l2cap_call(e, &e->p, &q, "psm listen"), "%s", e->err);
	Hive__L2capBredrConnect bc = HIVE__L2CAP_BREDR_CONNECT__INIT;
	bc.handle = e->c.handle;
	bc.psm = PSM;
	q = (Hive__L2capRequest)HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_BREDR_CONNECT;
	q.bredr_connect = &bc;
	e->p.opened = false;
	cr_assert(e2e_l2cap_call(e, &e->c, &q, "open PSM 0x1001"), "%s", e->err);
	cr_assert_not_null(e->result->l2cap);
	cr_assert_eq(e->result->l2cap->connected->n_channels, 1);
	pdus_c.cid = e->result->l2cap->connected->channels[0]->cid;
	cr_assert_eq(e->result->l2cap->connected->channels[0]->peer_mtu, 672);
	cr_assert(e2e_wait(e, &e->p.opened, E2E_DEADLINE_MS, "the peripheral's channel"), "%s",
		  e->err);
	pdus_p.cid = e->p.cid;

	/* 8 SDUs of 600 bytes each way, intact and in order. */
	cr_assert(send_sdus(e, &e->c, pdus_c.cid, 8), "%s", e->err);
	cr_assert(wait_pdus(e, &pdus_p, 8, "central to peripheral"), "%s", e->err);
	cr_assert(send_sdus(e, &e->p, pdus_p.cid, 8), "%s", e->err);
	cr_assert(wait_pdus(e, &pdus_c, 8, "peripheral to central"), "%s", e->err);
	cr_assert_eq(pdus_p.good, 8);
	cr_assert_eq(pdus_c.good, 8);

	/* The central closes it; the peripheral's app hears the peer did. */
	Hive__L2capDisconnect d = HIVE__L2CAP_DISCONNECT__INIT;
	d.handle = e->c.handle;
	d.cid = pdus_c.cid;
	q = (Hive__L2capRequest)HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_DISCONNECT;
	q.disconnect = &d;
	e->p.closed = e->c.closed = false;
	cr_assert(e2e_l2cap_call(e, &e->c, &q, "close"), "%s", e->err);
	cr_assert(e2e_wait(e, &e->c.closed, E2E_DEADLINE_MS, "the central's close"), "%s", e->err);
	cr_assert(e2e_wait(e, &e->p.closed, E2E_DEADLINE_MS, "the peripheral's close"), "%s",
		  e->err);
	cr_assert_eq(e->p.close_status, -ECONNRESET);

	/* hive-ctl sdp by address: the link exists, our MTU 48 makes the
	 * peer's server answer in pieces. */
	char script[200], *out;
	snprintf(script, sizeof script, "sdp %02x:%02x:%02x:%02x:%02x:%02x --mtu 48", p_addr[5],
		 p_addr[4], p_addr[3], p_addr[2], p_addr[1], p_addr[0]);
	int rc = ctl(e, script, "sdp.out", &out);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "record 0x00010000\n"), "%s", out);
	cr_assert(strstr(out, "0x0100 ServiceName                    \"hive serial port\""), "%s",
		  out);
	cr_assert(strstr(out, "0x0004 ProtocolDescriptorList         [[uuid 0x0100, 0x0019], "
			      "[uuid 0x0019, 0x0103]]"), "%s", out);
	cr_assert(strstr(out, "0x0009 BluetoothProfileDescriptorList [[uuid 0x110d, 0x0103]]"),
		  "%s", out);
	unsigned n = 0, t = 0;
	const char *sum = strstr(out, " record(s), ");
	cr_assert_not_null(sum, "%s", out);
	while (sum > out && sum[-1] >= '0' && sum[-1] <= '9')
		sum--;
	cr_assert_eq(sscanf(sum, "%u record(s), %u transaction(s)", &n, &t), 2, "%s", out);
	cr_assert_eq(n, 2);
	cr_assert_gt(t, 3, "%u transactions at MTU 48", t);
	free(out);
}
