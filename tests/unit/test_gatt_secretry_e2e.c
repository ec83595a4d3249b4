/* The GATT client's security retry end to end (issue 6, Client): two demo
 * graphs on one hive-vctrl radio, the peripheral serving
 * tests/unit/gatt_secretry_e2e.json (0x0014: readable on an encrypted link
 * only). The central's app reads it through its gatt:
 * - unpaired, without `secure` (setting 1): the first ATT error comes back,
 *   with words saying how to pair; with `secure`: its gatt asks smp to pair,
 *   reads again and answers with the value;
 * - bonded, after reconnecting: its gatt has smp encrypt with the stored
 *   key (no new pairing) and the read returns the value;
 * - setting 2 pairs without `secure`; setting 0 answers the error as it came
 *   (nothing paired);
 * - a refused pairing, or the link lost while the pairing waits for the
 *   user, ends the read with the first error and words saying why;
 * - two reads in flight share one pairing (its prompt reaches the app
 *   through gatt); hive-ctl read --secure pairs and prints the value.
 * (The peripheral's server answers 0x05, not 0x0F, on a link without a
 * key: Vol 3 Part C 10.3.1.) */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "harness.h"

#define SECRET 0x0014
#define ATT_INSUFFICIENT_AUTHENTICATION 0x05
#define ATT_INSUFFICIENT_ENCRYPTION 0x0f

static bool restored_c;

static void on_gatt_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg)
{
	if (env->gatt_event->kind_case == HIVE__GATT_EVENT__KIND_BOND_RESTORED)
		restored_c = true;
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

/* Both graphs, the central's with cset (NULL: none, e.g. its gatt's
 * security_retry), the peripheral's with pset; the central's app answers
 * smp's prompts and hears its gatt's events. */
static void setup2(const char *cset, const char *pset)
{
	static const char *psets[3] = { "gatt.db=tests/unit/gatt_secretry_e2e.json", NULL, NULL };
	static const char *csets[2];
	psets[1] = pset;
	csets[0] = cset;
	csets[1] = NULL;
	restored_c = false;
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	E->csets = csets;
	cr_assert(e2e_setup(E, psets, true), "%s", E->err);
	hive_on(E->c.a, HIVE__ENVELOPE__BODY_GATT_EVENT, on_gatt_event, NULL);
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	gr.subscribe_events = &se;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	cr_assert(e2e_call(E, &E->c, "gatt", &req, "subscribe_events"), "%s", E->err);
}

/* The central's gatt with security_retry=retry (NULL: the default). */
static void setup(const char *retry)
{
	static char set[64];
	snprintf(set, sizeof set, "gatt.security_retry=%s", retry ? retry : "");
	setup2(retry ? set : NULL, NULL);
}

/* The central's app reads SECRET: true when the read succeeded. A failed
 * read leaves its Result in e->result. */
static bool read_secret(struct e2e *e, bool secure)
{
	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	rd.handle = SECRET;
	gr.op_case = HIVE__GATT_REQUEST__OP_READ;
	gr.read = &rd;
	gr.conn = e->c.handle;
	gr.secure = secure;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	return e2e_call(e, &e->c, "gatt", &req, "read");
}

static void assert_secret(struct e2e *e)
{
	const Hive__GattResult *g = e->result->gatt;
	cr_assert(g && g->read, "the read's Result has no value");
	cr_assert_eq(g->read->value.len, 6);
	cr_assert(!memcmp(g->read->value.data, "s3cr3t", 6));
}

/* The read failed with ATT error code `att`, and nothing was paired. */
static void assert_refused(struct e2e *e, uint32_t att, const char *words)
{
	cr_assert_not_null(e->result, "%s", e->err);
	cr_assert_eq(e->result->domain, HIVE__RESULT__DOMAIN__ATT, "%s", e->err);
	cr_assert_eq(e->result->status, (int32_t)att, "%s", e->err);
	if (words)
		cr_assert(strstr(e->result->error, words), "words: %s", e->result->error);
	cr_assert_eq(e->c.completes, 0, "nothing must have been paired");
}

Test(gatt_secretry_e2e, secure_read_pairs_then_bond_encrypts, .fini = fini, .timeout = 240)
{
	setup(NULL);
	struct e2e *e = E;
	/* Setting 1 without secure and without a bond: the app is told how. */
	cr_assert_not(read_secret(e, false), "an unpaired read must fail");
	assert_refused(e, ATT_INSUFFICIENT_AUTHENTICATION, "secure");
	/* (a) With secure, gatt has smp pair, and reads again. */
	cr_assert(read_secret(e, true), "%s", e->err);
	assert_secret(e);
	cr_assert_eq(e->c.completes, 1, "one pairing");
	cr_assert(e->c.encrypted, "the central's link is not encrypted after the read");
	/* (b) Reconnected, bonded: encrypted with the stored key, no pairing. */
	cr_assert(e2e_disconnect(e), "%s", e->err);
	restored_c = false;
	cr_assert(e2e_connect(e), "%s", e->err);
	cr_assert(e2e_wait(e, &restored_c, E2E_DEADLINE_MS, "the central's bond_restored"), "%s",
		  e->err);
	uint32_t bonded = e->c.bonded_encryptions;
	cr_assert(read_secret(e, false), "%s", e->err);
	assert_secret(e);
	cr_assert_eq(e->c.completes, 1, "the bonded central paired again");
	cr_assert_gt(e->c.bonded_encryptions, bonded, "not encrypted with the stored key");
}

Test(gatt_secretry_e2e, setting_2_pairs_without_secure, .fini = fini, .timeout = 240)
{
	setup("2");
	struct e2e *e = E;
	cr_assert(read_secret(e, false), "%s", e->err);
	assert_secret(e);
	cr_assert_eq(e->c.completes, 1, "one pairing");
}

Test(gatt_secretry_e2e, setting_0_answers_the_error, .fini = fini, .timeout = 240)
{
	setup("0");
	struct e2e *e = E;
	cr_assert_not(read_secret(e, true), "with the retry off the read must fail");
	assert_refused(e, ATT_INSUFFICIENT_AUTHENTICATION, NULL);
	cr_assert_str_eq(e->result->error, "insufficient_authentication");
}

/* The peer refuses the pairing: the app gets the first error, with words. */
Test(gatt_secretry_e2e, refused_pairing_keeps_the_error, .fini = fini, .timeout = 240)
{
	/* The central offers a 7-octet key, the peripheral wants 16. */
	setup2("smp.max_key_size=7", "smp.min_key_size=16");
	struct e2e *e = E;
	cr_assert_not(read_secret(e, true), "the read must fail when pairing fails");
	cr_assert_not_null(e->result, "%s", e->err);
	cr_assert_eq(e->result->domain, HIVE__RESULT__DOMAIN__ATT, "%s", e->err);
	cr_assert_eq(e->result->status, ATT_INSUFFICIENT_AUTHENTICATION, "%s", e->err);
	cr_assert(strstr(e->result->error, "pairing of the link was tried and failed"), "words: %s",
		  e->result->error);
}

/* hive-ctl read --secure, on a central that can only do Just Works. */
Test(gatt_secretry_e2e, ctl_read_secure_pairs, .fini = fini, .timeout = 240)
{
	setup2("smp.io_cap=no_input_no_output", NULL);
	struct e2e *e = E;
	char bin[600], out[700], err[700];
	snprintf(out, sizeof out, "%s/ctl.out", e->dir);
	snprintf(err, sizeof err, "%s/ctl.err", e->dir);
	const char *argv[] = { th_bin(bin, sizeof bin, "hive-ctl"), "--run-dir", e->c.run, "--json",
			       "-c", "read 0x0014 --secure", NULL };
	pid_t ctl = th_spawn(argv, out, err);
	cr_assert_gt(ctl, 0);
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while (th_alive(ctl) && hive_now_ns() < deadline)
		cr_assert(e2e_pump(e), "stopped");
	cr_assert_not(th_alive(ctl), "hive-ctl did not finish");
	char *text = th_slurp(out, NULL);
	char *errs = th_slurp(err, NULL);
	cr_assert_not_null(text);
	cr_assert(strstr(text, "\"handle\":20,\"value\":\"733363723374\""), "%s%s", text,
		  errs ? errs : "");
	cr_assert_eq(e->c.completes, 1, "one pairing");
	free(text);
	free(errs);
}

/* Two reads in flight: the second gets the same error while the link is
 * being paired for the first; it waits for that pairing (no second one)
 * and both succeed. The pairing's prompt reaches the app through gatt. */
Test(gatt_secretry_e2e, two_reads_share_one_pairing, .fini = fini, .timeout = 240)
{
	/* Numeric comparison: smp prompts gatt, gatt the app, which accepts. */
	setup2("smp.mitm=1", NULL);
	struct e2e *e = E;
	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	rd.handle = SECRET;
	gr.op_case = HIVE__GATT_REQUEST__OP_READ;
	gr.read = &rd;
	gr.conn = e->c.handle;
	gr.secure = true;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	/* The first read's Result is counted by the harness as a "send". */
	cr_assert_eq(e2e_send(e, &e->c, "gatt", &req), 0);
	e->send_base_id = req.id;
	e->tx_total = 1;
	e->sends_in_flight = 1;
	cr_assert(read_secret(e, true), "%s", e->err);
	assert_secret(e);
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while (e->sends_answered < 1 && hive_now_ns() < deadline)
		cr_assert(e2e_pump(e), "stopped");
	cr_assert_eq(e->sends_answered, 1, "the first read was not answered");
	cr_assert_eq(e->err[0], 0, "the first read failed: %s", e->err);
	cr_assert_eq(e->c.completes, 1, "one pairing for both reads");
	e->send_base_id = 0;
}

static bool prompted;

/* Records smp's prompts (passed on by gatt) without answering them. */
static void on_prompt(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	if (env->smp_event->kind_case == HIVE__SMP_EVENT__KIND_PROMPT)
		prompted = true;
}

/* The link goes while the pairing waits for the user: the app gets the
 * first error, with words saying so. */
Test(gatt_secretry_e2e, link_lost_while_pairing, .fini = fini, .timeout = 240)
{
	setup2("smp.mitm=1", NULL); /* numeric comparison: a prompt */
	struct e2e *e = E;
	prompted = false;
	hive_on(e->c.a, HIVE__ENVELOPE__BODY_SMP_EVENT, on_prompt, NULL);
	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	rd.handle = SECRET;
	gr.op_case = HIVE__GATT_REQUEST__OP_READ;
	gr.read = &rd;
	gr.conn = e->c.handle;
	gr.secure = true;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	cr_assert_eq(e2e_send(e, &e->c, "gatt", &req), 0);
	cr_assert(e2e_wait(e, &prompted, E2E_DEADLINE_MS, "smp's prompt through gatt"), "%s",
		  e->err);
	/* Wait for the read's Result while the host drops the link. */
	e->call_id = req.id;
	e->call_done = false;
	Hive__Disconnect dis = HIVE__DISCONNECT__INIT;
	Hive__Request dr = HIVE__REQUEST__INIT;
	dis.handle = e->c.handle;
	dr.op_case = HIVE__REQUEST__OP_DISCONNECT;
	dr.disconnect = &dis;
	cr_assert_eq(e2e_send(e, &e->c, "host", &dr), 0);
	cr_assert(e2e_wait(e, &e->call_done, E2E_DEADLINE_MS, "the read's Result"), "%s", e->err);
	e->call_id = 0;
	cr_assert_eq(e->result->domain, HIVE__RESULT__DOMAIN__ATT);
	cr_assert_eq(e->result->status, ATT_INSUFFICIENT_AUTHENTICATION);
	cr_assert(strstr(e->result->error, "the link went while smp tried pairing"), "words: %s",
		  e->result->error);
}
