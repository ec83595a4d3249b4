/* Issue 7 end to end: the demo's two graphs on one hive-vctrl radio,
 * driven as an app of each graph. Each pairing method (LE Secure
 * Connections numeric comparison, Just Works and passkey entry; legacy
 * Just Works and passkey entry) pairs, bonds and encrypts; then the bonds survive a kill -9
 * of both smp actors (the launcher restarts them) and a restart of both
 * whole graphs with the same bond stores: each reconnection encrypts with
 * the stored LTK without pairing (no SMP PDU reaches either smp: the
 * l2cap fixed channel counters of CID 0x0006 do not move, and the central's
 * smp reports no prompt, pairing or failure). The central's app answers
 * its prompts; the peripheral's smp answers by its policy. Also: pairing
 * again keeps one bond, smp killed on a live encrypted link, a pairing the
 * peripheral asks for (Security Request), and a wrong passkey. LE Secure
 * Connections OOB with the data taken from the peripheral's `hive-ctl oob`
 * into the central's `hive-ctl pair --oob`; Repeated Attempts refusing a
 * central after its failed pairing, across a reconnection and an smp
 * restart. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"
#include "harness.h"

/* ---- smp and l2cap requests ------------------------------------------------------------ */

static bool bonds(struct e2e *e, struct e2e_side *s, size_t *n)
{
	Hive__SmpBondsQuery q = HIVE__SMP_BONDS_QUERY__INIT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_BONDS;
	sr.bonds = &q;
	if (!e2e_smp_call(e, s, &sr, "bonds"))
		return false;
	const Hive__SmpResult *r = e->result->smp;
	if (!r || r->value_case != HIVE__SMP_RESULT__VALUE_BONDS)
		return e2e_fail(e, "bonds: no list in the answer");
	*n = r->bonds->n_bonds;
	return true;
}

/* The peripheral stores its bond when the central's keys arrived, after
 * the central's pairing ended: asks until the store has want bonds. */
static bool wait_bonds(struct e2e *e, struct e2e_side *s, size_t want, size_t *n)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while (bonds(e, s, n) && *n != want && hive_now_ns() < deadline)
		e2e_pump(e);
	return !*e->err;
}

/* SMP frames l2cap delivered to smp so far (fixed channel 0x0006). */
static bool smp_frames(struct e2e *e, struct e2e_side *s, uint64_t *n)
{
	Hive__L2capTableQuery q = HIVE__L2CAP_TABLE_QUERY__INIT;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_TABLE;
	lr.table = &q;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_L2CAP;
	req.l2cap = &lr;
	if (!e2e_call(e, s, "l2cap", &req, "l2cap table"))
		return false;
	const Hive__L2capResult *r = e->result->l2cap;
	if (!r || r->value_case != HIVE__L2CAP_RESULT__VALUE_TABLE)
		return e2e_fail(e, "l2cap table: no table in the answer");
	*n = 0;
	for (size_t i = 0; i < r->table->n_fixed; i++)
		if (r->table->fixed[i]->cid == 0x0006)
			*n = r->table->fixed[i]->delivered;
	return true;
}

/* kill -9 the side's smp, and wait until the launcher restarted it and it
 * is ready. */
static bool kill_smp(struct e2e *e, struct e2e_side *s)
{
	Hive__Status *st = th_status(s->a, E2E_DEADLINE_MS);
	const Hive__ActorStatus *as = th_status_find(st, "smp");
	uint32_t old = as && as->up ? as->pid : 0;
	hive__status__free_unpacked(st, NULL);
	if (!old)
		return e2e_fail(e, "the %s graph has no smp up", s->label);
	kill((pid_t)old, SIGKILL);
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	for (;;) {
		st = th_status(s->a, E2E_DEADLINE_MS);
		as = th_status_find(st, "smp");
		bool back = as && as->up && as->ready && as->pid && as->pid != old;
		hive__status__free_unpacked(st, NULL);
		if (back)
			break;
		if (hive_now_ns() > deadline)
			return e2e_fail(e, "the %s smp was not restarted", s->label);
		/* No event says "restarted": ask the broker again (a round trip). */
		e2e_pump(e);
	}
	if (!s->smp_subscribe)
		return true;
	Hive__SmpSubscribe ss = HIVE__SMP_SUBSCRIBE__INIT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_SUBSCRIBE;
	sr.subscribe = &ss;
	return e2e_smp_call(e, s, &sr, "smp subscription");
}

/* Both graphs stopped entirely, and started again with the same run
 * directories and bond stores. */
static bool restart_graphs(struct e2e *e)
{
	hive_actor_destroy(&e->p.a);
	hive_actor_destroy(&e->c.a);
	th_kill(e->c.launch, SIGTERM);
	th_kill(e->p.launch, SIGTERM);
	e->c.launch = e->p.launch = 0;
	return e2e_launch(e, &e->p, NULL) && e2e_launch(e, &e->c, NULL) && e2e_join(e, &e->p) &&
	       e2e_join(e, &e->c);
}

/* Reconnects and encrypts with the stored LTK: no SMP PDU on either side,
 * no prompt, pairing or failure on the central. */
static bool reconnect_encrypts(struct e2e *e, const char *when)
{
	uint32_t prompts = e->c.prompts, completes = e->c.completes, failures = e->c.failures;
	uint32_t bonded = e->c.bonded_encryptions;
	uint64_t pf0, cf0, pf1, cf1;
	if (!e2e_connect(e) || !smp_frames(e, &e->p, &pf0) || !smp_frames(e, &e->c, &cf0))
		return false;
	e->c.encrypted = e->p.encrypted = false;
	Hive__SmpEncrypt en = HIVE__SMP_ENCRYPT__INIT;
	en.handle = e->c.handle;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_ENCRYPT;
	sr.encrypt = &en;
	if (!e2e_smp_call(e, &e->c, &sr, "encrypt"))
		return e2e_fail(e, "%s: %s", when, e->err);
	const Hive__SmpResult *r = e->result->smp;
	if (!r || r->value_case != HIVE__SMP_RESULT__VALUE_ENCRYPTED || !r->encrypted->enabled)
		return e2e_fail(e, "%s: encrypt: not encrypted", when);
	if (!r->encrypted->bonded_key)
		return e2e_fail(e, "%s: encrypt: not with the stored key", when);
	if (!e2e_wait(e, &e->c.encrypted, E2E_DEADLINE_MS, "the central's encryption") ||
	    !e2e_wait(e, &e->p.encrypted, E2E_DEADLINE_MS, "the peripheral's encryption") ||
	    !smp_frames(e, &e->p, &pf1) || !smp_frames(e, &e->c, &cf1))
		return e2e_fail(e, "%s: %s", when, e->err);
	if (pf1 != pf0 || cf1 != cf0)
		return e2e_fail(e, "%s: SMP PDUs while encrypting: peripheral %llu, central %llu",
				when, (unsigned long long)(pf1 - pf0),
				(unsigned long long)(cf1 - cf0));
	if (e->c.prompts != prompts || e->c.completes != completes || e->c.failures != failures)
		return e2e_fail(e, "%s: the central's smp prompted or paired again", when);
	(void)bonded;
	return true;
}

static void fini(void)
{
	if (E) {
		e2e_teardown(E);
		free(E);
		E = NULL;
	}
	th_cleanup();
}

/* Pairs with one method, then: bonds on both sides; kill -9 of both smp
 * and a reconnection; a restart of both graphs and a reconnection. */
static void method(const char *const psets[], bool legacy, bool mitm, Hive__SmpIoCapability io,
		   uint32_t passkey, int want_method, bool want_sc, bool want_auth)
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	struct e2e *e = E;
	e->passkey = passkey;
	cr_assert(e2e_setup(e, psets, true), "%s", e->err);
	struct e2e_paired pd = { 0 };
	cr_assert(e2e_pair(e, legacy, mitm, io, &pd), "%s", e->err);
	cr_assert_eq(pd.method, want_method, "method %d, want %d", pd.method, want_method);
	cr_assert_eq(pd.sc, want_sc);
	cr_assert_eq(pd.authenticated, want_auth);
	cr_assert(pd.bonded);
	cr_assert_eq(pd.key_size, 16);
	size_t n = 0;
	cr_assert(bonds(e, &e->c, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the central has %zu bonds", n);
	cr_assert(wait_bonds(e, &e->p, 1, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the peripheral has %zu bonds", n);
	cr_assert(e2e_disconnect(e), "%s", e->err);

	/* smp restarted on both sides. */
	cr_assert(kill_smp(e, &e->p), "%s", e->err);
	cr_assert(kill_smp(e, &e->c), "%s", e->err);
	cr_assert(reconnect_encrypts(e, "after kill -9 smp"), "%s", e->err);
	cr_assert(e2e_disconnect(e), "%s", e->err);

	/* Both whole graphs restarted. */
	cr_assert(restart_graphs(e), "%s", e->err);
	cr_assert(reconnect_encrypts(e, "after restarting the graphs"), "%s", e->err);
	cr_assert(bonds(e, &e->c, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the central has %zu bonds", n);
	cr_assert(bonds(e, &e->p, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the peripheral has %zu bonds", n);
	cr_assert(e2e_disconnect(e), "%s", e->err);
}

Test(smp_e2e, sc_numeric_comparison, .fini = fini, .timeout = 240)
{
	method(NULL, false, true, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, 0,
	       HIVE__SMP_METHOD__METHOD_NUMERIC_COMPARISON, true, true);
	cr_assert_gt(E->c.prompts, 0, "the central's app was not asked to compare");
	cr_assert_eq(E->c.last_prompt, HIVE__SMP_PROMPT__KIND__CONFIRM_NUMBER);
}

Test(smp_e2e, sc_just_works, .fini = fini, .timeout = 240)
{
	method(NULL, false, false, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, 0,
	       HIVE__SMP_METHOD__METHOD_JUST_WORKS, true, false);
}

/* Both sides keyboards: each enters the same passkey (the peripheral's smp
 * by its policy passkey:N, the central's app when asked). */
Test(smp_e2e, sc_passkey, .fini = fini, .timeout = 240)
{
	const char *const psets[] = { "smp.io_cap=keyboard_only", "smp.pairing_policy=passkey:314159",
				      NULL };
	method(psets, false, true, HIVE__SMP_IO_CAPABILITY__IO_KEYBOARD_ONLY, 314159,
	       HIVE__SMP_METHOD__METHOD_PASSKEY, true, true);
	cr_assert_eq(E->c.last_prompt, HIVE__SMP_PROMPT__KIND__PASSKEY_ENTRY);
}

/* Legacy passkey entry, both sides keyboards. */
Test(smp_e2e, legacy_passkey, .fini = fini, .timeout = 240)
{
	const char *const psets[] = { "smp.io_cap=keyboard_only", "smp.pairing_policy=passkey:271828",
				      NULL };
	method(psets, true, true, HIVE__SMP_IO_CAPABILITY__IO_KEYBOARD_ONLY, 271828,
	       HIVE__SMP_METHOD__METHOD_PASSKEY, false, true);
	cr_assert_eq(E->c.last_prompt, HIVE__SMP_PROMPT__KIND__PASSKEY_ENTRY);
}

Test(smp_e2e, legacy_just_works, .fini = fini, .timeout = 240)
{
	method(NULL, true, false, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, 0,
	       HIVE__SMP_METHOD__METHOD_JUST_WORKS, false, false);
}

static void setup_paired(const char *const psets[], bool mitm)
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	cr_assert(e2e_setup(E, psets, true), "%s", E->err);
	struct e2e_paired pd = { 0 };
	cr_assert(e2e_pair(E, false, mitm, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, &pd), "%s", E->err);
	cr_assert(pd.bonded);
	size_t n = 0;
	cr_assert(wait_bonds(E, &E->p, 1, &n), "%s", E->err);
	cr_assert_eq(n, 1);
}

/* Pairing again with a bonded peer replaces its bond: one on each side. */
Test(smp_e2e, pair_again_keeps_one_bond, .fini = fini, .timeout = 240)
{
	setup_paired(NULL, false);
	struct e2e *e = E;
	cr_assert(e2e_disconnect(e), "%s", e->err);
	cr_assert(e2e_connect(e), "%s", e->err);
	struct e2e_paired pd = { 0 };
	cr_assert(e2e_pair(e, false, true, HIVE__SMP_IO_CAPABILITY__IO_DEFAULT, &pd), "%s", e->err);
	cr_assert_eq(pd.method, HIVE__SMP_METHOD__METHOD_NUMERIC_COMPARISON);
	size_t n = 0;
	cr_assert(bonds(e, &e->c, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the central has %zu bonds", n);
	cr_assert(wait_bonds(e, &e->p, 1, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the peripheral has %zu bonds", n);
	cr_assert(e2e_disconnect(e), "%s", e->err);
	cr_assert(reconnect_encrypts(e, "after pairing again"), "%s", e->err);
}

/* Both smp actors killed while the link is up and encrypted: the link
 * stays; after a reconnection the bond encrypts it without pairing. */
Test(smp_e2e, smp_killed_while_encrypted, .fini = fini, .timeout = 240)
{
	setup_paired(NULL, true);
	struct e2e *e = E;
	cr_assert(kill_smp(e, &e->p), "%s", e->err);
	cr_assert(kill_smp(e, &e->c), "%s", e->err);
	cr_assert_not(e->c.disconnected);
	cr_assert_not(e->p.disconnected);
	size_t n = 0;
	cr_assert(bonds(e, &e->c, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the central has %zu bonds", n);
	cr_assert(bonds(e, &e->p, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the peripheral has %zu bonds", n);
	cr_assert(e2e_disconnect(e), "%s", e->err);
	cr_assert(reconnect_encrypts(e, "after kill -9 smp while encrypted"), "%s", e->err);
	cr_assert(e2e_disconnect(e), "%s", e->err);
}

/* The peripheral's app asks (Security Request); the central's smp pairs
 * (pair_on_security_request), its app confirming; both bond. */
Test(smp_e2e, peripheral_security_request, .fini = fini, .timeout = 240)
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	struct e2e *e = E;
	cr_assert(e2e_setup(e, NULL, true), "%s", e->err);
	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = e->p.handle;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	sr.pair = &p;
	e->c.encrypted = e->p.encrypted = false;
	cr_assert(e2e_smp_call(e, &e->p, &sr, "pair (peripheral)"), "%s", e->err);
	const Hive__SmpResult *r = e->result->smp;
	cr_assert(r && r->value_case == HIVE__SMP_RESULT__VALUE_PAIRED);
	cr_assert(r->paired->sc);
	cr_assert(r->paired->bonded);
	cr_assert(e2e_wait(e, &e->c.encrypted, E2E_DEADLINE_MS, "the central's encryption"),
		  "%s", e->err);
	cr_assert(e2e_wait(e, &e->p.encrypted, E2E_DEADLINE_MS, "the peripheral's encryption"),
		  "%s", e->err);
	size_t n = 0;
	cr_assert(wait_bonds(e, &e->c, 1, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the central has %zu bonds", n);
	cr_assert(wait_bonds(e, &e->p, 1, &n), "%s", e->err);
	cr_assert_eq(n, 1, "the peripheral has %zu bonds", n);
	cr_assert(e2e_disconnect(e), "%s", e->err);
	cr_assert(reconnect_encrypts(e, "after a peripheral-initiated pairing"), "%s", e->err);
}

/* The wrong passkey: pairing fails (Confirm Value Failed, 0x04) on both
 * sides, nothing is stored, and the link is not encrypted. */
Test(smp_e2e, sc_wrong_passkey_fails, .fini = fini, .timeout = 240)
{
	const char *const psets[] = { "smp.io_cap=keyboard_only", "smp.pairing_policy=passkey:314159",
				      NULL };
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	struct e2e *e = E;
	e->passkey = 314158;
	cr_assert(e2e_setup(e, psets, true), "%s", e->err);
	struct e2e_paired pd = { 0 };
	cr_assert_not(e2e_pair(e, false, true, HIVE__SMP_IO_CAPABILITY__IO_KEYBOARD_ONLY, &pd),
		      "paired with the wrong passkey");
	cr_assert_eq(e->result->domain, HIVE__RESULT__DOMAIN__SMP, "%s", e->err);
	cr_assert_eq(e->result->status, 0x04, "reason %d", e->result->status);
	*e->err = 0;
	size_t n = 1;
	cr_assert(bonds(e, &e->c, &n), "%s", e->err);
	cr_assert_eq(n, 0, "the central has %zu bonds", n);
	cr_assert(bonds(e, &e->p, &n), "%s", e->err);
	cr_assert_eq(n, 0, "the peripheral has %zu bonds", n);
	cr_assert_not(e->c.encrypted);
	cr_assert_not(e->p.encrypted);
	cr_assert(e2e_disconnect(e), "%s", e->err);
}

/* ---- LE Secure Connections OOB and Repeated Attempts ---------------------------------- */

/* hive-ctl --json against one side's graph, the apps pumped meanwhile;
 * its output in *out (to free). Returns the exit status. */
static int ctl_json(struct e2e *e, struct e2e_side *s, const char *script, char **out)
{
	char path[800];
	snprintf(path, sizeof path, "%s/ctl-%s.out", e->dir, s->label);
	const char *argv[] = { "hive-ctl", "--run-dir", s->run, "--json", "-c", script, NULL };
	pid_t pid = th_spawn(argv, path, NULL);
	cr_assert_gt(pid, 0);
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 3 * 1000000ull;
	int status = -1;
	while (status == -1 && hive_now_ns() < deadline) {
		e2e_pump(e);
		status = th_wait_exit(pid, 0);
	}
	cr_assert_neq(status, -1, "hive-ctl %s did not finish", script);
	*out = th_slurp(path, NULL);
	cr_assert_not_null(*out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *jstr(json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));
	cr_assert_not_null(v, "no %s in the JSON", key);
	return v;
}

/* The peripheral's `oob` gives its data; the central's `pair --oob C,R`
 * pairs with it (OOB, authenticated, no prompt) and both encrypt and
 * bond. The key pair stays for the next pairing: a reconnection pairs
 * with the same data again. A C altered by one digit fails with Confirm
 * Value Failed (0x04). */
Test(smp_e2e, sc_oob_through_hive_ctl, .fini = fini, .timeout = 240)
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	struct e2e *e = E;
	cr_assert(e2e_setup(e, NULL, true), "%s", e->err);
	char *out, script[200];
	cr_assert_eq(ctl_json(e, &e->p, "oob", &out), 0, "%s", out);
	json_error_t jerr;
	json_t *oob = json_loads(out, 0, &jerr);
	cr_assert_not_null(oob, "oob printed %s", out);
	free(out);
	char c[33], r[33];
	snprintf(c, sizeof c, "%s", jstr(oob, "c"));
	snprintf(r, sizeof r, "%s", jstr(oob, "r"));
	cr_assert_eq(strlen(c), 32);
	cr_assert_eq(strlen(r), 32);
	cr_assert(strncmp(jstr(oob, "address"), "random:", 7) == 0 ||
		  strncmp(jstr(oob, "address"), "public:", 7) == 0, "address %s",
		  jstr(oob, "address"));
	json_decref(oob);

	for (int round = 0; round < 2; round++) {
		snprintf(script, sizeof script, "pair %u --oob %s,%s", e->c.handle, c, r);
		e->c.encrypted = e->p.encrypted = false;
		cr_assert_eq(ctl_json(e, &e->c, script, &out), 0, "%s", out);
		json_t *j = json_loads(out, 0, &jerr);
		cr_assert_not_null(j, "pair printed %s", out);
		cr_assert_str_eq(jstr(j, "method"), "out of band", "%s", out);
		cr_assert(json_is_true(json_object_get(j, "sc")), "%s", out);
		cr_assert(json_is_true(json_object_get(j, "authenticated")), "%s", out);
		cr_assert(json_is_true(json_object_get(j, "bonded")), "%s", out);
		json_decref(j);
		free(out);
		cr_assert(e2e_wait(e, &e->c.encrypted, E2E_DEADLINE_MS, "the central's encryption"),
			  "%s", e->err);
		cr_assert(e2e_wait(e, &e->p.encrypted, E2E_DEADLINE_MS,
				   "the peripheral's encryption"), "%s", e->err);
		cr_assert_eq(e->c.prompts, 0, "the central's app was asked something");
		size_t n = 0;
		cr_assert(wait_bonds(e, &e->p, 1, &n), "%s", e->err);
		cr_assert_eq(n, 1, "the peripheral has %zu bonds", n);
		cr_assert(e2e_disconnect(e), "%s", e->err);
		cr_assert(e2e_connect(e), "%s", e->err);
	}

	c[0] = c[0] == '0' ? '1' : '0';
	snprintf(script, sizeof script, "pair %u --oob %s,%s", e->c.handle, c, r);
	cr_assert_eq(ctl_json(e, &e->c, script, &out), 1, "%s", out);
	cr_assert(strstr(out, "\"code\":4"), "%s", out);
	cr_assert(strstr(out, "confirm value failed"), "%s", out);
	free(out);
	cr_assert_not(e->c.encrypted);
	cr_assert(e2e_disconnect(e), "%s", e->err);
}

/* A wrong passkey fails (0x04 found by the peripheral); across a
 * reconnection, and across a kill -9 of the peripheral's smp (the
 * snapshot), the same central's next Pairing Request gets Pairing Failed
 * Repeated Attempts (0x09) even with the right passkey. */
Test(smp_e2e, repeated_attempts_across_reconnect_and_restart, .fini = fini, .timeout = 240)
{
	const char *const psets[] = { "smp.io_cap=keyboard_only", "smp.pairing_policy=passkey:314159",
				      "smp.retry_base_ms=600000", "smp.retry_max_ms=600000", NULL };
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	struct e2e *e = E;
	e->passkey = 314158;
	cr_assert(e2e_setup(e, psets, true), "%s", e->err);
	struct e2e_paired pd = { 0 };
	cr_assert_not(e2e_pair(e, false, true, HIVE__SMP_IO_CAPABILITY__IO_KEYBOARD_ONLY, &pd),
		      "paired with the wrong passkey");
	cr_assert_eq(e->result->status, 0x04, "reason %d: %s", e->result->status, e->err);
	*e->err = 0;
	cr_assert(e2e_disconnect(e), "%s", e->err);
	cr_assert(e2e_connect(e), "%s", e->err);

	e->passkey = 314159;
	for (int round = 0; round < 2; round++) {
		cr_assert_not(e2e_pair(e, false, true, HIVE__SMP_IO_CAPABILITY__IO_KEYBOARD_ONLY, &pd),
			      "round %d: paired within the Repeated Attempts interval", round);
		cr_assert_eq(e->result->domain, HIVE__RESULT__DOMAIN__SMP, "%s", e->err);
		cr_assert_eq(e->result->status, 0x09, "round %d: reason %d: %s", round,
			     e->result->status, e->err);
		*e->err = 0;
		if (round == 0)
			cr_assert(kill_smp(e, &e->p), "%s", e->err);
	}
	size_t n = 1;
	cr_assert(bonds(e, &e->p, &n), "%s", e->err);
	cr_assert_eq(n, 0, "the peripheral has %zu bonds", n);
	cr_assert(e2e_disconnect(e), "%s", e->err);
}

/* Our OOB data from one side's smp (16 octets each, as on the air). */
static bool oob_of(struct e2e *e, struct e2e_side *s, uint8_t c[16], uint8_t r[16])
{
	Hive__SmpOobLocal ol = HIVE__SMP_OOB_LOCAL__INIT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_OOB_LOCAL;
	sr.oob_local = &ol;
	if (!e2e_smp_call(e, s, &sr, "oob"))
		return false;
	const Hive__SmpResult *x = e->result->smp;
	if (!x || x->value_case != HIVE__SMP_RESULT__VALUE_OOB || x->oob->c.len != 16 ||
	    x->oob->r.len != 16)
		return e2e_fail(e, "oob: no data in the answer");
	memcpy(c, x->oob->c.data, 16);
	memcpy(r, x->oob->r.data, 16);
	return true;
}

/* Both sides hold the other's data: the central's app gives the
 * peripheral's with pair; the peripheral's app answers smp's OOB_DATA
 * prompt with the central's (an answer without data is refused and the
 * prompt stays). Both pair with OOB, authenticated, and encrypt. */
Test(smp_e2e, sc_oob_both_sides_through_the_prompt, .fini = fini, .timeout = 240)
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	struct e2e *e = E;
	cr_assert(e2e_setup(e, NULL, true), "%s", e->err);
	Hive__SmpSubscribe ss = HIVE__SMP_SUBSCRIBE__INIT;
	Hive__SmpRequest sub = HIVE__SMP_REQUEST__INIT;
	sub.op_case = HIVE__SMP_REQUEST__OP_SUBSCRIBE;
	sub.subscribe = &ss;
	cr_assert(e2e_smp_call(e, &e->p, &sub, "the peripheral's smp subscription"), "%s", e->err);
	uint8_t pc[16], pr[16], cc[16], cr_[16];
	cr_assert(oob_of(e, &e->p, pc, pr), "%s", e->err);
	cr_assert(oob_of(e, &e->c, cc, cr_), "%s", e->err);

	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = e->c.handle;
	p.oob_c = (ProtobufCBinaryData){ 16, pc };
	p.oob_r = (ProtobufCBinaryData){ 16, pr };
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	sr.pair = &p;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	e->c.encrypted = e->p.encrypted = false;
	e->call_done = false;
	cr_assert_geq(e2e_send(e, &e->c, "smp", &req), 0);
	e->call_id = req.id;
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while (!(e->p.prompts && e->p.last_prompt == HIVE__SMP_PROMPT__KIND__OOB_DATA) &&
	       hive_now_ns() < deadline)
		e2e_pump(e);
	cr_assert_eq(e->p.last_prompt, HIVE__SMP_PROMPT__KIND__OOB_DATA, "no OOB prompt");

	Hive__SmpUserReply ur = HIVE__SMP_USER_REPLY__INIT;
	ur.handle = e->p.handle;
	ur.accept = true;
	ur.oob_c = (ProtobufCBinaryData){ 16, cc };
	ur.oob_r = (ProtobufCBinaryData){ 16, cr_ };
	Hive__SmpRequest ursr = HIVE__SMP_REQUEST__INIT;
	ursr.op_case = HIVE__SMP_REQUEST__OP_USER_REPLY;
	ursr.user_reply = &ur;
	Hive__Request ureq = HIVE__REQUEST__INIT;
	ureq.op_case = HIVE__REQUEST__OP_SMP;
	ureq.smp = &ursr;
	cr_assert_geq(e2e_send(e, &e->p, "smp", &ureq), 0);

	cr_assert(e2e_wait(e, &e->call_done, E2E_DEADLINE_MS, "pair"), "%s", e->err);
	e->call_id = 0;
	cr_assert_eq(e->result->status, 0, "pair: %s", e->result->error);
	const Hive__SmpResult *x = e->result->smp;
	cr_assert(x && x->value_case == HIVE__SMP_RESULT__VALUE_PAIRED);
	cr_assert_eq(x->paired->method, HIVE__SMP_METHOD__METHOD_OOB);
	cr_assert(x->paired->sc);
	cr_assert(x->paired->authenticated);
	cr_assert(e2e_wait(e, &e->c.encrypted, E2E_DEADLINE_MS, "the central's encryption"),
		  "%s", e->err);
	cr_assert(e2e_wait(e, &e->p.encrypted, E2E_DEADLINE_MS, "the peripheral's encryption"),
		  "%s", e->err);
	cr_assert_eq(e->c.prompts, 0, "the central's app was asked something");
	cr_assert(e2e_disconnect(e), "%s", e->err);
}
