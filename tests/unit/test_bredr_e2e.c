/* Issue 10, BR/EDR end to end: the demo's two graphs on one hive-vctrl
 * radio, driven as an app of each (tests/support/e2e.c). The peripheral's
 * host is discoverable and connectable; the central inquires and finds it
 * with its name (from the extended inquiry response, and by Remote Name
 * Request), connects over BR/EDR (both hosts report a BR/EDR link, le =
 * false), authenticates: Secure Simple Pairing with numeric comparison,
 * both apps confirm the same number through their smp's delegate, both smp
 * store the link key and both links encrypt. The central disconnects and
 * both sides see the reason (after a flush the controller reports); then it
 * connects and authenticates again, and
 * the stored key answers both Link Key Requests: no prompt, no new pairing.
 * Finally a peer that is not connectable is paged: Page Timeout. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "e2e.h"
#include "harness.h"

static struct e2e e2e_state;

/* What each side's app saw beyond what e2e.c records. */
struct bredr_seen {
	bool le_link;           /* a Connected with le = true */
	uint32_t disconnect_reason;
	uint32_t prompts, numbers[4];
	uint32_t paired, paired_stored, paired_failed;
	uint32_t inquiry_results;
	bool inquiry_done;
	bool flushed;
	bool role_changed;
	uint32_t role;
	bool found_peer;
	char found_name[64];
};

static struct bredr_seen seen_p, seen_c;

static struct bredr_seen *seen_of(const struct e2e_side *s)
{
	return s == &E->p ? &seen_p : &seen_c;
}

/* e2e.c's record, and whether a link was LE and why it ended. */
static void on_link(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	struct e2e_side *s = arg;
	const Hive__LinkEvent *le = env->link;
	e2e_on_link(a, source, env, arg);
	if (le->kind_case == HIVE__LINK_EVENT__KIND_CONNECTED)
		seen_of(s)->le_link |= le->connected->le;
	else if (le->kind_case == HIVE__LINK_EVENT__KIND_DISCONNECTED)
		seen_of(s)->disconnect_reason = le->disconnected->reason;
}

/* Both apps confirm what their smp asks. */
static void on_smp_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			 void *arg)
{
	struct e2e_side *s = arg;
	struct bredr_seen *b = seen_of(s);
	const Hive__SmpEvent *ev = env->smp_event;
	if (ev->kind_case == HIVE__SMP_EVENT__KIND_BREDR_PAIRED) {
		if (ev->bredr_paired->status)
			b->paired_failed++;
		else
			b->paired++;
		b->paired_stored += ev->bredr_paired->stored;
		return;
	}
	if (ev->kind_case != HIVE__SMP_EVENT__KIND_PROMPT)
		return;
	if (b->prompts < 4)
		b->numbers[b->prompts] = ev->prompt->number;
	b->prompts++;
	s->last_prompt = ev->prompt->kind;
	Hive__SmpUserReply ur = HIVE__SMP_USER_REPLY__INIT;
	ur.handle = ev->handle;
	ur.accept = true;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_USER_REPLY;
	sr.user_reply = &ur;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	e2e_send(E, s, "smp", &req);
}

static uint8_t peer_addr[6];

static void on_bredr(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	struct e2e_side *s = arg;
	struct bredr_seen *b = seen_of(s);
	const Hive__BredrEvent *ev = env->bredr_event;
	cr_assert_eq(ev->link_key.len, 0, "a link key reached an app");
	if (ev->kind == HIVE__BREDR_EVENT__KIND__INQUIRY_RESULT) {
		b->inquiry_results++;
		if (ev->bdaddr.len == 6 && !memcmp(ev->bdaddr.data, peer_addr, 6)) {
			b->found_peer = true;
			snprintf(b->found_name, sizeof b->found_name, "%s", ev->name);
		}
	} else if (ev->kind == HIVE__BREDR_EVENT__KIND__INQUIRY_COMPLETE) {
		b->inquiry_done = true;
	} else if (ev->kind == HIVE__BREDR_EVENT__KIND__FLUSH) {
		b->flushed = true;
	} else if (ev->kind == HIVE__BREDR_EVENT__KIND__ROLE_CHANGE) {
		b->role_changed = true;
		b->role = ev->role;
	}
}

static bool join(struct e2e *e, struct e2e_side *s)
{
	if (!e2e_join(e, s))
		return false;
	hive_on(s->a, HIVE__ENVELOPE__BODY_LINK, on_link, s);
	hive_on(s->a, HIVE__ENVELOPE__BODY_SMP_EVENT, on_smp_event, s);
	hive_on(s->a, HIVE__ENVELOPE__BODY_BREDR_EVENT, on_bredr, s);
	return true;
}

static bool write_config(struct e2e *e, const char *label, const char *name, char *path,
			 size_t cap)
{
	snprintf(path, cap, "%s/%s-device.json", e->dir, label);
	FILE *f = fopen(path, "w");
	if (!f)
		return e2e_fail(e, "cannot write %s", path);
	fprintf(f, "{ \"name\": \"%s\" }\n", name);
	fclose(f);
	return true;
}

static bool setup_graphs_with(struct e2e *e, bool apps_answer, const char *cextra)
{
	char pcfg[400], ccfg[400], pset[500], cset[500];
	if (!e2e_run_dir(e))
		return false;
	e->p.smp_subscribe = e->c.smp_subscribe = apps_answer;
	if (!write_config(e, "p", "hive-bredr-peer", pcfg, sizeof pcfg) ||
	    !write_config(e, "c", "hive-bredr-central", ccfg, sizeof ccfg))
		return false;
	snprintf(pset, sizeof pset, "host.config=%s", pcfg);
	snprintf(cset, sizeof cset, "host.config=%s", ccfg);
	const char *psets[] = { pset, "host.bredr_scan=both", "host.bredr_class=0x5a020c",
				"smp.mitm=1", NULL };
	const char *csets[] = { cset, "smp.mitm=1", cextra, NULL };
	return e2e_start_vctrl(e) && e2e_launch(e, &e->p, psets) && e2e_launch(e, &e->c, csets) &&
	       join(e, &e->p) && join(e, &e->c);
}

static bool setup_graphs(struct e2e *e, bool apps_answer)
{
	return setup_graphs_with(e, apps_answer, NULL);
}

static bool authenticate(struct e2e *e)
{
	Hive__BredrAuthenticate ba = HIVE__BREDR_AUTHENTICATE__INIT;
	ba.handle = e->c.handle;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_BREDR_AUTHENTICATE;
	req.bredr_authenticate = &ba;
	e->c.encrypted = e->p.encrypted = false;
	return e2e_call(e, &e->c, "host", &req, "authenticate") &&
	       e2e_wait(e, &e->c.encrypted, E2E_DEADLINE_MS, "the central's encryption") &&
	       e2e_wait(e, &e->p.encrypted, E2E_DEADLINE_MS, "the peripheral's encryption");
}

static bool link_keys(struct e2e *e, struct e2e_side *s, size_t *n, uint8_t peer[6],
		      uint32_t *type)
{
	Hive__LinkKeysQuery q = HIVE__LINK_KEYS_QUERY__INIT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_LINK_KEYS;
	sr.link_keys = &q;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	if (!e2e_call(e, s, "smp", &req, "link keys"))
		return false;
	const Hive__SmpResult *r = e->result->smp;
	if (!r || r->value_case != HIVE__SMP_RESULT__VALUE_LINK_KEYS)
		return e2e_fail(e, "link keys: no list in the answer");
	*n = r->link_keys->n_keys;
	if (*n && r->link_keys->keys[0]->peer.len == 6) {
		memcpy(peer, r->link_keys->keys[0]->peer.data, 6);
		*type = r->link_keys->keys[0]->key_type;
	}
	return true;
}

static void fini(void)
{
	e2e_teardown(&e2e_state);
	th_cleanup();
}

TestSuite(bredr_e2e, .fini = fini, .timeout = 180);

Test(bredr_e2e, inquiry_connect_ssp_numeric_link_key_reused)
{
	struct e2e *e = &e2e_state;
	memset(e, 0, sizeof *e);
	memset(&seen_p, 0, sizeof seen_p);
	memset(&seen_c, 0, sizeof seen_c);
	E = e;
	cr_assert(setup_graphs(e, true), "%s", e->err);
	uint8_t c_addr[6];
	cr_assert(e2e_device_addr(e, &e->p, peer_addr), "%s", e->err);
	cr_assert(e2e_device_addr(e, &e->c, c_addr), "%s", e->err);

	/* Inquiry: the first result is the peer, with the name of its EIR. */
	Hive__BredrInquiry iq = HIVE__BREDR_INQUIRY__INIT;
	iq.seconds = 2;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_BREDR_INQUIRY;
	req.bredr_inquiry = &iq;
	cr_assert(e2e_call(e, &e->c, "host", &req, "inquiry"), "%s", e->err);
	const Hive__BredrEvent *r = e->result->bredr;
	cr_assert_not_null(r, "the inquiry's Result has no BredrEvent");
	cr_assert_eq(r->kind, HIVE__BREDR_EVENT__KIND__INQUIRY_RESULT);
	cr_assert_eq(r->bdaddr.len, 6);
	cr_assert_arr_eq(r->bdaddr.data, peer_addr, 6, "the inquiry found another device");
	cr_assert_str_eq(r->name, "hive-bredr-peer");
	cr_assert(r->has_rssi);
	cr_assert_eq(r->class_of_device, 0x5a020c, "class 0x%06x", r->class_of_device);
	cr_assert_not_null(r->eir);
	cr_assert_str_eq(r->eir->name, "hive-bredr-peer");
	bool *found = &seen_c.found_peer;
	cr_assert(e2e_wait(e, found, E2E_DEADLINE_MS, "the subscriber's inquiry result"), "%s",
		  e->err);
	cr_assert_str_eq(seen_c.found_name, "hive-bredr-peer");
	cr_assert(e2e_wait(e, &seen_c.inquiry_done, E2E_DEADLINE_MS, "inquiry complete"), "%s",
		  e->err);
	/* The peer, not discoverable by the central, found nothing of it. */
	cr_assert_eq(seen_p.inquiry_results, 0);

	/* Remote Name Request by address. */
	Hive__BredrRemoteName rn = HIVE__BREDR_REMOTE_NAME__INIT;
	rn.bdaddr.data = peer_addr;
	rn.bdaddr.len = 6;
	Hive__Request nreq = HIVE__REQUEST__INIT;
	nreq.op_case = HIVE__REQUEST__OP_BREDR_REMOTE_NAME;
	nreq.bredr_remote_name = &rn;
	cr_assert(e2e_call(e, &e->c, "host", &nreq, "remote name"), "%s", e->err);
	cr_assert_not_null(e->result->bredr);
	cr_assert_eq(e->result->bredr->kind, HIVE__BREDR_EVENT__KIND__REMOTE_NAME);
	cr_assert_str_eq(e->result->bredr->name, "hive-bredr-peer");

	/* Connect and pair: numeric comparison, both confirm the same number. */
	cr_assert(e2e_bredr_connect(e, peer_addr), "%s", e->err);
	cr_assert_not(seen_c.le_link || seen_p.le_link, "a BR/EDR link was reported as LE");
	cr_assert(authenticate(e), "%s", e->err);
	cr_assert_eq(seen_c.prompts, 1, "the central's app was asked %u times", seen_c.prompts);
	cr_assert_eq(seen_p.prompts, 1, "the peripheral's app was asked %u times", seen_p.prompts);
	cr_assert_eq(e->c.last_prompt, HIVE__SMP_PROMPT__KIND__CONFIRM_NUMBER);
	cr_assert_eq(e->p.last_prompt, HIVE__SMP_PROMPT__KIND__CONFIRM_NUMBER);
	cr_assert_eq(seen_c.numbers[0], seen_p.numbers[0], "the two sides showed %06u and %06u",
		     seen_c.numbers[0], seen_p.numbers[0]);
	cr_assert_eq(e->c.key_size, 16);
	/* Both stored the key (the notification may trail the encryption). */
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while ((seen_c.paired_stored < 1 || seen_p.paired_stored < 1) && hive_now_ns() < deadline)
		cr_assert(e2e_pump(e));
	cr_assert_eq(seen_c.paired_stored, 1);
	cr_assert_eq(seen_p.paired_stored, 1);
	size_t n = 0;
	uint8_t kpeer[6] = { 0 };
	uint32_t ktype = 0;
	cr_assert(link_keys(e, &e->c, &n, kpeer, &ktype), "%s", e->err);
	cr_assert_eq(n, 1);
	cr_assert_arr_eq(kpeer, peer_addr, 6);
	cr_assert_eq(ktype, 0x05, "an authenticated P-192 key, got type %u", ktype);
	cr_assert(link_keys(e, &e->p, &n, kpeer, &ktype), "%s", e->err);
	cr_assert_eq(n, 1);
	cr_assert_arr_eq(kpeer, c_addr, 6);

	/* Flush: the controller completes it and reports Flush Occurred. */
	Hive__BredrFlush fl = HIVE__BREDR_FLUSH__INIT;
	fl.handle = e->c.handle;
	Hive__Request freq = HIVE__REQUEST__INIT;
	freq.op_case = HIVE__REQUEST__OP_BREDR_FLUSH;
	freq.bredr_flush = &fl;
	cr_assert(e2e_call(e, &e->c, "host", &freq, "flush"), "%s", e->err);
	cr_assert(e2e_wait(e, &seen_c.flushed, E2E_DEADLINE_MS, "Flush Occurred"), "%s", e->err);

	/* Role switch: the central becomes peripheral, both hosts hear it. */
	Hive__BredrSwitchRole sw = HIVE__BREDR_SWITCH_ROLE__INIT;
	sw.handle = e->c.handle;
	sw.role = 1;
	Hive__Request sreq0 = HIVE__REQUEST__INIT;
	sreq0.op_case = HIVE__REQUEST__OP_BREDR_SWITCH_ROLE;
	sreq0.bredr_switch_role = &sw;
	cr_assert(e2e_call(e, &e->c, "host", &sreq0, "switch role"), "%s", e->err);
	cr_assert_not_null(e->result->bredr);
	cr_assert_eq(e->result->bredr->kind, HIVE__BREDR_EVENT__KIND__ROLE_CHANGE);
	cr_assert_eq(e->result->bredr->role, 1);
	cr_assert(e2e_wait(e, &seen_p.role_changed, E2E_DEADLINE_MS, "the peer's role change"),
		  "%s", e->err);
	cr_assert_eq(seen_p.role, 0, "the peer did not become central");

	/* Disconnect with a reason both sides see. */
	cr_assert(e2e_disconnect_reason(e, 0x13), "%s", e->err);
	cr_assert_eq(seen_p.disconnect_reason, 0x13, "the peer saw reason 0x%02x",
		     seen_p.disconnect_reason);
	cr_assert_eq(seen_c.disconnect_reason, 0x16, "we saw reason 0x%02x",
		     seen_c.disconnect_reason);

	/* Reconnect: the stored keys authenticate, nobody is asked. */
	cr_assert(e2e_bredr_connect(e, peer_addr), "%s", e->err);
	cr_assert(authenticate(e), "%s", e->err);
	cr_assert_eq(seen_c.prompts, 1, "the reconnection prompted the central");
	cr_assert_eq(seen_p.prompts, 1, "the reconnection prompted the peripheral");
	cr_assert_eq(seen_c.paired + seen_p.paired, 2, "the reconnection paired again");
	cr_assert_eq(seen_c.paired_failed + seen_p.paired_failed, 0);
	cr_assert(e2e_disconnect_reason(e, 0x13), "%s", e->err);

	/* The central is not connectable (page scan only on the peer... and
	 * off here): paging it from the peer times out. */
	Hive__BredrConnect bc = HIVE__BREDR_CONNECT__INIT;
	bc.bdaddr.data = c_addr;
	bc.bdaddr.len = 6;
	bc.timeout_ms = 60000;
	Hive__Request creq = HIVE__REQUEST__INIT;
	creq.op_case = HIVE__REQUEST__OP_BREDR_CONNECT;
	creq.bredr_connect = &bc;
	Hive__BredrScanEnable se = HIVE__BREDR_SCAN_ENABLE__INIT;
	Hive__Request sreq = HIVE__REQUEST__INIT;
	sreq.op_case = HIVE__REQUEST__OP_BREDR_SCAN_ENABLE;
	sreq.bredr_scan_enable = &se;
	cr_assert(e2e_call(e, &e->c, "host", &sreq, "scan enable off"), "%s", e->err);
	cr_assert_not(e2e_call(e, &e->p, "host", &creq, "connect to a silent peer"));
	cr_assert_eq(e->result->status, 0x04, "want Page Timeout, got %d (%s)", e->result->status,
		     e->result->error);
}

/* Runs hive-ctl on the side's graph; returns its stdout (malloc'd) and
 * checks the exit status. */
static char *ctl(struct e2e *e, struct e2e_side *s, const char *cmds, int want_status)
{
	static int runs;
	char out[700], err[700];
	snprintf(out, sizeof out, "%s/ctl%d.out", e->dir, runs);
	snprintf(err, sizeof err, "%s/ctl%d.err", e->dir, runs++);
	const char *argv[] = { "hive-ctl", "--run-dir", s->run, "--json", "-c", cmds, NULL };
	pid_t pid = th_spawn(argv, out, err);
	cr_assert_gt(pid, 0);
	int st = th_wait_exit(pid, 60000);
	char *text = th_slurp(out, NULL), *etext = th_slurp(err, NULL);
	cr_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == want_status,
		  "hive-ctl -c '%s' ended with 0x%x:\n%s\n%s", cmds, st, text ? text : "",
		  etext ? etext : "");
	free(etext);
	return text ? text : strdup("");
}

/* hive-ctl on the central's graph: inquiry lists the peer with its name,
 * connect --bredr pages it, auth pairs (numeric comparison: --yes here,
 * the peripheral's smp by its accept policy) and encrypts, link-keys shows
 * the stored key; a second auth after reconnecting needs no pairing. */
Test(bredr_e2e, hive_ctl_inquiry_connect_auth_link_keys)
{
	struct e2e *e = &e2e_state;
	memset(e, 0, sizeof *e);
	memset(&seen_p, 0, sizeof seen_p);
	memset(&seen_c, 0, sizeof seen_c);
	E = e;
	/* Only hive-ctl answers the central's prompts; the peripheral's smp
	 * answers by its policy (accept). */
	cr_assert(setup_graphs(e, false), "%s", e->err);
	cr_assert(e2e_device_addr(e, &e->p, peer_addr), "%s", e->err);
	char addr[18], cmd[200];
	snprintf(addr, sizeof addr, "%02X:%02X:%02X:%02X:%02X:%02X", peer_addr[5], peer_addr[4],
		 peer_addr[3], peer_addr[2], peer_addr[1], peer_addr[0]);
	char *o = ctl(e, &e->c, "inquiry --seconds 2", 0);
	cr_assert(strstr(o, addr), "inquiry did not list %s: %s", addr, o);
	cr_assert(strstr(o, "\"name\": \"hive-bredr-peer\"") || strstr(o, "\"name\":\"hive-bredr-peer\""),
		  "no name: %s", o);
	free(o);
	snprintf(cmd, sizeof cmd, "remote-name %s", addr);
	o = ctl(e, &e->c, cmd, 0);
	cr_assert(strstr(o, "hive-bredr-peer"), "remote-name: %s", o);
	free(o);
	/* The peripheral stays connectable but leaves discovery. */
	o = ctl(e, &e->p, "scan-enable --connectable", 0);
	cr_assert(strstr(o, "\"discoverable\":false") || strstr(o, "\"discoverable\": false"),
		  "%s", o);
	free(o);
	o = ctl(e, &e->c, "inquiry --seconds 1", 0);
	cr_assert_null(strstr(o, addr), "a device out of discovery was found: %s", o);
	free(o);
	snprintf(cmd, sizeof cmd, "connect %s --bredr", addr);
	o = ctl(e, &e->c, cmd, 0);
	cr_assert(strstr(o, "\"bredr\""), "%s", o);
	free(o);
	cr_assert(e2e_wait(e, &e->c.connected, E2E_DEADLINE_MS, "the central's link"), "%s",
		  e->err);
	snprintf(cmd, sizeof cmd, "auth 0x%04x --yes", e->c.handle);
	o = ctl(e, &e->c, cmd, 0);
	cr_assert(strstr(o, "\"encrypted\": true") || strstr(o, "\"encrypted\":true"), "%s", o);
	free(o);
	o = ctl(e, &e->c, "link-keys", 0);
	cr_assert(strstr(o, addr), "link-keys did not list %s: %s", addr, o);
	free(o);
	/* Refused: a wrong address. */
	o = ctl(e, &e->c, "connect 12:34 --bredr", 1);
	free(o);
}

/* Legacy pairing: the central's host leaves Simple Pairing off, so the
 * controllers pair with a PIN; both apps are asked for it (passkey entry
 * prompts) and enter the same, both stores keep the combination key. */
Test(bredr_e2e, legacy_pin_pairing_through_the_delegate)
{
	struct e2e *e = &e2e_state;
	memset(e, 0, sizeof *e);
	memset(&seen_p, 0, sizeof seen_p);
	memset(&seen_c, 0, sizeof seen_c);
	E = e;
	cr_assert(setup_graphs_with(e, true, "host.bredr_ssp=0"), "%s", e->err);
	cr_assert(e2e_device_addr(e, &e->p, peer_addr), "%s", e->err);
	cr_assert(e2e_bredr_connect(e, peer_addr), "%s", e->err);
	cr_assert(authenticate(e), "%s", e->err);
	cr_assert_eq(e->c.last_prompt, HIVE__SMP_PROMPT__KIND__PASSKEY_ENTRY);
	cr_assert_eq(e->p.last_prompt, HIVE__SMP_PROMPT__KIND__PASSKEY_ENTRY);
	cr_assert_eq(seen_c.prompts, 1);
	cr_assert_eq(seen_p.prompts, 1);
	size_t n = 0;
	uint8_t kpeer[6] = { 0 };
	uint32_t ktype = 99;
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while ((seen_c.paired_stored < 1 || seen_p.paired_stored < 1) && hive_now_ns() < deadline)
		cr_assert(e2e_pump(e));
	cr_assert(link_keys(e, &e->c, &n, kpeer, &ktype), "%s", e->err);
	cr_assert_eq(n, 1);
	cr_assert_eq(ktype, 0x00, "a combination key, got type %u", ktype);
	cr_assert(link_keys(e, &e->p, &n, kpeer, &ktype), "%s", e->err);
	cr_assert_eq(n, 1);
	/* An app posing as the host cannot plant a link key in smp's store. */
	uint8_t fake[16];
	memset(fake, 0xee, sizeof fake);
	Hive__BredrEvent lk = HIVE__BREDR_EVENT__INIT;
	lk.kind = HIVE__BREDR_EVENT__KIND__LINK_KEY;
	lk.handle = e->c.handle;
	lk.bdaddr.data = peer_addr;
	lk.bdaddr.len = 6;
	lk.link_key.data = fake;
	lk.link_key.len = 16;
	lk.key_type = 5;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_BREDR_EVENT;
	env.bredr_event = &lk;
	cr_assert_eq(hive_send(e->c.a, "smp", &env), 0);
	cr_assert(link_keys(e, &e->c, &n, kpeer, &ktype), "%s", e->err);
	cr_assert_eq(n, 1);
	cr_assert_eq(ktype, 0x00, "the planted key replaced the real one");
}
