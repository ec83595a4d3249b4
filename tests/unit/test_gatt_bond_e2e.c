/* Issue 6 and 7 end to end: what GATT needs from bonds, between the demo's
 * two graphs on one hive-vctrl radio (the peripheral serving
 * tests/unit/gatt_bond_e2e.json: a notify characteristic 0x0014 with its
 * CCCD 0x0015, a characteristic 0x0017 that takes signed writes).
 *
 * - A bonded central subscribes, disconnects, reconnects and encrypts with
 *   the stored LTK (no new pairing), and receives notifications without
 *   writing the CCCD again: the peripheral's smp handed the stored record
 *   back to its gatt (Core Vol 3 Part G 3.3.3.3).
 * - An unbonded central's subscription ends with its connection.
 * - A signed write from a bonded central on an unencrypted link (from its
 *   app, and from hive-ctl write --signed) is applied by the peripheral's
 *   server (its `written` GattEvent); the same signed
 *   PDU replayed is not, a higher counter is, and the peer's counter is kept
 *   in the peripheral's bond store.
 * - A kill -9 of the peripheral's gatt loses neither: the restarted gatt
 *   gets the bond of the live link back from smp.
 * - Unpairing a connected peer stops its signed writes at once.
 * - Two stacks sharing one bond store file each see only their own bonds. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/gatt/gatt_sign.h"
#include "../../actors/smp/smp_bonds.h"
#include "e2e.h"
#include "harness.h"

#define NOTIFY_VALUE 0x0014
#define SIGNED_VALUE 0x0017

/* What each side's gatt told its app. */
struct gatt_seen {
	bool restored, removed, cccd_changed, notified, written;
	uint32_t restored_cccds, restored_count;
	bool restored_signing;
	uint32_t handle;
	uint8_t value[32];
	size_t len;
	uint32_t writes;
	char written_values[8][24];
};

static struct gatt_seen seen_p, seen_c;

static void on_gatt_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg)
{
	struct gatt_seen *g = arg;
	const Hive__GattEvent *ev = env->gatt_event;
	const Hive__GattValue *v = NULL;
	switch (ev->kind_case) {
	case HIVE__GATT_EVENT__KIND_BOND_RESTORED:
		g->restored = true;
		g->restored_count++;
		g->restored_cccds = ev->bond_restored->cccds;
		g->restored_signing = ev->bond_restored->signing;
		return;
	case HIVE__GATT_EVENT__KIND_BOND_REMOVED:
		g->removed = true;
		return;
	case HIVE__GATT_EVENT__KIND_CCCD_CHANGED:
		g->cccd_changed = true;
		return;
	case HIVE__GATT_EVENT__KIND_NOTIFICATION:
		g->notified = true;
		v = ev->notification;
		break;
	case HIVE__GATT_EVENT__KIND_WRITTEN:
		v = ev->written;
		if (g->writes < 8) {
			size_t n = v->value.len < 23 ? v->value.len : 23;
			memcpy(g->written_values[g->writes], v->value.data, n);
			g->written_values[g->writes][n] = 0;
		}
		g->writes++;
		g->written = true;
		break;
	default:
		return;
	}
	g->handle = v->handle;
	g->len = v->value.len < sizeof g->value ? v->value.len : sizeof g->value;
	memcpy(g->value, v->value.data, g->len);
}

static bool gatt_call(struct e2e *e, struct e2e_side *s, uint32_t conn, Hive__GattRequest *gr,
		      const char *what)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	gr->conn = conn;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = gr;
	if (!e2e_call(e, s, "gatt", &req, what))
		return false;
	if (e->result->status != 0)
		return e2e_fail(e, "%s: status %d %s", what, e->result->status,
				e->result->error ? e->result->error : "");
	return true;
}

static bool smp_call(struct e2e *e, struct e2e_side *s, Hive__SmpRequest *sr, const char *what)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = sr;
	if (!e2e_call(e, s, "smp", &req, what))
		return false;
	if (e->result->status != 0)
		return e2e_fail(e, "%s: status %d %s", what, e->result->status,
				e->result->error ? e->result->error : "");
	return true;
}

static bool subscribe_events(struct e2e *e, struct e2e_side *s, struct gatt_seen *g)
{
	hive_on(s->a, HIVE__ENVELOPE__BODY_GATT_EVENT, on_gatt_event, g);
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	gr.subscribe_events = &se;
	return gatt_call(e, s, 0, &gr, "gatt subscribe_events");
}

static bool pair(struct e2e *e)
{
	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = e->c.handle;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	sr.pair = &p;
	e->c.encrypted = e->p.encrypted = false;
	if (!smp_call(e, &e->c, &sr, "pair"))
		return false;
	const Hive__SmpResult *r = e->result->smp;
	if (!r || r->value_case != HIVE__SMP_RESULT__VALUE_PAIRED || !r->paired->bonded)
		return e2e_fail(e, "pair: not bonded");
	if (!(r->paired->keys_sent & 4) || !(r->paired->keys_received & 4))
		return e2e_fail(e, "pair: no CSRK exchanged (sent %u, received %u)",
				r->paired->keys_sent, r->paired->keys_received);
	return e2e_wait(e, &e->c.encrypted, E2E_DEADLINE_MS, "the central's encryption") &&
	       e2e_wait(e, &e->p.encrypted, E2E_DEADLINE_MS, "the peripheral's encryption");
}

static bool encrypt_with_bond(struct e2e *e)
{
	Hive__SmpEncrypt en = HIVE__SMP_ENCRYPT__INIT;
	en.handle = e->c.handle;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_ENCRYPT;
	sr.encrypt = &en;
	e->c.encrypted = e->p.encrypted = false;
	uint32_t completes = e->c.completes;
	if (!smp_call(e, &e->c, &sr, "encrypt"))
		return false;
	const Hive__SmpResult *r = e->result->smp;
	if (!r || r->value_case != HIVE__SMP_RESULT__VALUE_ENCRYPTED || !r->encrypted->bonded_key)
		return e2e_fail(e, "encrypt: not with the stored LTK");
	if (e->c.completes != completes)
		return e2e_fail(e, "encrypt: the central paired again");
	return e2e_wait(e, &e->p.encrypted, E2E_DEADLINE_MS, "the peripheral's encryption");
}

static bool subscribe(struct e2e *e)
{
	Hive__GattSubscribe s = HIVE__GATT_SUBSCRIBE__INIT;
	s.handle = NOTIFY_VALUE;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE;
	gr.subscribe = &s;
	seen_p.cccd_changed = false;
	return gatt_call(e, &e->c, e->c.handle, &gr, "subscribe") &&
	       e2e_wait(e, &seen_p.cccd_changed, E2E_DEADLINE_MS, "the peripheral's CCCD event");
}

/* The peripheral notifies every subscriber; returns how many it reached. */
static bool notify_all(struct e2e *e, const uint8_t *v, size_t n, uint32_t *count)
{
	Hive__GattNotify no = HIVE__GATT_NOTIFY__INIT;
	no.handle = NOTIFY_VALUE;
	no.value.data = (uint8_t *)v;
	no.value.len = n;
	no.all_subscribers = true;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	gr.notify = &no;
	if (!gatt_call(e, &e->p, 0, &gr, "notify"))
		return false;
	if (!e->result->gatt || !e->result->gatt->done)
		return e2e_fail(e, "notify: no count in the answer");
	*count = e->result->gatt->done->count;
	return true;
}

/* Waits until the store at path holds one bond whose GATT record has
 * want_cccds CCCDs (-1: whatever, or none) and whose peer sign counter is
 * at least want_counter. Pumps both graphs meanwhile. */
static bool wait_store(struct e2e *e, const char *path, int want_cccds, uint32_t want_counter,
		       struct smp_bond *out)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	char err[256];
	for (;;) {
		struct smp_bonds *s = NULL;
		if (smp_bonds_open(&s, path, err, sizeof err) < 0)
			return e2e_fail(e, "%s", err);
		struct smp_bond b[2];
		uint8_t rec[SMP_BONDS_GATT_MAX];
		int n = smp_bonds_list(s, NULL, b, 2), len = -1;
		if (n == 1)
			len = smp_bonds_get_gatt(s, &b[0].local, &b[0].peer, rec, sizeof rec);
		smp_bonds_close(&s);
		/* version, hash (16), count (le16), 4 bytes per CCCD */
		int cccds = len >= 19 ? rec[17] | rec[18] << 8 : -1;
		if (n == 1 && (want_cccds < 0 || cccds == want_cccds) &&
		    b[0].peer_sign_counter >= want_counter) {
			if (out)
				*out = b[0];
			return true;
		}
		if (hive_now_ns() > deadline)
			return e2e_fail(e, "%s: %d bond(s), record %d bytes, peer counter %u", path, n,
					len, n == 1 ? b[0].peer_sign_counter : 0);
		for (int i = 0; i < 20; i++)
			if (!e2e_pump(e))
				return e2e_fail(e, "stopped");
	}
}

/* Waits until the store's only bond has a local sign counter of at least
 * want (our signed writes so far). */
static bool wait_local_counter(struct e2e *e, const char *path, uint32_t want)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	char err[256];
	for (;;) {
		struct smp_bonds *s = NULL;
		struct smp_bond b[2];
		if (smp_bonds_open(&s, path, err, sizeof err) < 0)
			return e2e_fail(e, "%s", err);
		int n = smp_bonds_list(s, NULL, b, 2);
		smp_bonds_close(&s);
		if (n == 1 && b[0].local_sign_counter >= want)
			return true;
		if (hive_now_ns() > deadline)
			return e2e_fail(e, "%s: local sign counter %u, want %u", path,
					n == 1 ? b[0].local_sign_counter : 0, want);
		for (int i = 0; i < 20; i++)
			if (!e2e_pump(e))
				return e2e_fail(e, "stopped");
	}
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

/* Both graphs; with shared_ks, both smp actors use that one bond store. */
static void setup_with(const char *shared_ks)
{
	static char ks[700];
	static const char *psets[3] = { "gatt.db=tests/unit/gatt_bond_e2e.json", NULL, NULL };
	static const char *csets[2] = { NULL, NULL };
	snprintf(ks, sizeof ks, "smp.keystore=%s", shared_ks ? shared_ks : "");
	psets[1] = csets[0] = shared_ks ? ks : NULL;
	memset(&seen_p, 0, sizeof seen_p);
	memset(&seen_c, 0, sizeof seen_c);
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	E->csets = csets;
	cr_assert(e2e_setup(E, psets, true), "%s", E->err);
	cr_assert(subscribe_events(E, &E->p, &seen_p), "%s", E->err);
	cr_assert(subscribe_events(E, &E->c, &seen_c), "%s", E->err);
}

static void setup(void)
{
	setup_with(NULL);
}

Test(gatt_bond_e2e, bonded_central_keeps_its_subscription, .fini = fini, .timeout = 240)
{
	setup();
	struct e2e *e = E;
	uint32_t count = 0;
	cr_assert(pair(e), "%s", e->err);
	cr_assert(subscribe(e), "%s", e->err);
	cr_assert(wait_store(e, e->p.ks, 1, 0, NULL), "the CCCD was not stored with the bond: %s",
		  e->err);
	cr_assert(e2e_disconnect(e), "%s", e->err);
	seen_p.restored = seen_p.cccd_changed = seen_c.notified = false;
	cr_assert(e2e_connect(e), "%s", e->err);
	cr_assert(encrypt_with_bond(e), "%s", e->err);
	cr_assert(e2e_wait(e, &seen_p.restored, E2E_DEADLINE_MS, "the peripheral's bond_restored"),
		  "%s", e->err);
	cr_assert_eq(seen_p.restored_cccds, 1);
	static const uint8_t hr[] = { 0x00, 0x5a };
	cr_assert(notify_all(e, hr, sizeof hr, &count), "%s", e->err);
	cr_assert_eq(count, 1, "the bonded central must be a subscriber again");
	cr_assert(e2e_wait(e, &seen_c.notified, E2E_DEADLINE_MS, "the central's notification"), "%s",
		  e->err);
	cr_assert_eq(seen_c.handle, NOTIFY_VALUE);
	cr_assert(seen_c.len == 2 && !memcmp(seen_c.value, hr, 2));
	cr_assert_not(seen_p.cccd_changed, "the central wrote the CCCD again");
}

Test(gatt_bond_e2e, unbonded_central_subscribes_again, .fini = fini, .timeout = 240)
{
	setup();
	struct e2e *e = E;
	uint32_t count = 0;
	static const uint8_t hr[] = { 0x00, 0x41 };
	cr_assert(subscribe(e), "%s", e->err);
	cr_assert(notify_all(e, hr, sizeof hr, &count), "%s", e->err);
	cr_assert_eq(count, 1);
	cr_assert(e2e_disconnect(e), "%s", e->err);
	cr_assert(e2e_connect(e), "%s", e->err);
	cr_assert(notify_all(e, hr, sizeof hr, &count), "%s", e->err);
	cr_assert_eq(count, 0, "an unbonded peer's CCCD must not outlive its connection");
	cr_assert_not(seen_p.restored);
	cr_assert(subscribe(e), "%s", e->err);
	cr_assert(notify_all(e, hr, sizeof hr, &count), "%s", e->err);
	cr_assert_eq(count, 1);
}

/* Sends a signed write to the peripheral's gatt as l2cap would deliver it
 * (the central's own client makes them too; this one lets the test replay
 * exactly the same bytes). csrk is least significant octet first. */
static bool inject_signed(struct e2e *e, const uint8_t csrk[16], uint32_t counter, const char *v)
{
	uint8_t pdu[64];
	size_t n = strlen(v);
	pdu[0] = csrk ? 0xd2 : 0x52; /* without a key: a plain Write Command */
	pdu[1] = (uint8_t)SIGNED_VALUE;
	pdu[2] = (uint8_t)(SIGNED_VALUE >> 8);
	memcpy(pdu + 3, v, n);
	if (csrk && gatt_sign(csrk, counter, pdu, 3 + n, pdu + 3 + n) < 0)
		return e2e_fail(e, "signing failed");
	Hive__ChannelPdu cp = HIVE__CHANNEL_PDU__INIT;
	cp.handle = e->p.handle;
	cp.cid = 4;
	cp.payload.data = pdu;
	cp.payload.len = 3 + n + (csrk ? GATT_SIGNATURE_LEN : 0);
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &cp;
	return hive_send(e->p.a, "gatt", &env) == 0 || e2e_fail(e, "cannot send to gatt");
}

static bool wait_writes(struct e2e *e, uint32_t want)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while (seen_p.writes < want) {
		if (hive_now_ns() > deadline)
			return e2e_fail(e, "%u written event(s), want %u", seen_p.writes, want);
		if (!e2e_pump(e))
			return e2e_fail(e, "stopped");
	}
	return true;
}

Test(gatt_bond_e2e, signed_write_applied_replay_ignored, .fini = fini, .timeout = 240)
{
	setup();
	struct e2e *e = E;
	cr_assert(pair(e), "%s", e->err);
	/* The central's keys reach the peripheral's smp before the link goes. */
	cr_assert(wait_store(e, e->p.ks, -1, 0, NULL), "%s", e->err);
	cr_assert(e2e_disconnect(e), "%s", e->err);
	/* Signed writes are for a bonded peer on a link not encrypted. */
	seen_p.restored = seen_c.restored = false;
	cr_assert(e2e_connect(e), "%s", e->err);
	cr_assert(e2e_wait(e, &seen_p.restored, E2E_DEADLINE_MS, "the peripheral's bond_restored"),
		  "%s", e->err);
	cr_assert(seen_p.restored_signing, "the peripheral's gatt has no CSRK of the central");
	cr_assert(e2e_wait(e, &seen_c.restored, E2E_DEADLINE_MS, "the central's bond_restored"),
		  "%s", e->err);

	/* The central's client signs (hive-ctl write --signed takes this path). */
	Hive__GattWrite w = HIVE__GATT_WRITE__INIT;
	w.handle = SIGNED_VALUE;
	w.value.data = (uint8_t *)"hello";
	w.value.len = 5;
	w.signed_write = true;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_WRITE;
	gr.write = &w;
	cr_assert(gatt_call(e, &e->c, e->c.handle, &gr, "signed write"), "%s", e->err);
	cr_assert(wait_writes(e, 1), "%s", e->err);
	cr_assert_str_eq(seen_p.written_values[0], "hello");
	struct smp_bond pb;
	cr_assert(wait_store(e, e->p.ks, -1, 1, &pb), "%s", e->err);
	cr_assert(pb.has_peer_csrk);

	/* hive-ctl write --signed takes the same path. */
	char bin[600], out[700], err[700], script[80];
	snprintf(script, sizeof script, "write 0x%04x 63746c --signed --conn %u", SIGNED_VALUE,
		 e->c.handle);
	snprintf(out, sizeof out, "%s/ctl.out", e->dir);
	snprintf(err, sizeof err, "%s/ctl.err", e->dir);
	const char *ctl_argv[] = { th_bin(bin, sizeof bin, "hive-ctl"), "--run-dir", e->c.run,
				   "-c", script, NULL };
	pid_t ctl = th_spawn(ctl_argv, out, err);
	cr_assert_gt(ctl, 0);
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while (th_alive(ctl) && hive_now_ns() < deadline)
		e2e_pump(e);
	cr_assert_not(th_alive(ctl), "hive-ctl did not finish");
	char *said = th_slurp(out, NULL), *errs = th_slurp(err, NULL);
	bool wrote = said && strstr(said, "wrote 3 bytes to 0x0017");
	cr_assert(wrote, "hive-ctl write --signed: %s%s", said ? said : "", errs ? errs : "");
	free(said);
	free(errs);
	cr_assert(wait_writes(e, 2), "%s", e->err);
	cr_assert_str_eq(seen_p.written_values[1], "ctl");
	/* The central's own counter is kept in its bond store: two signed. */
	cr_assert(wait_local_counter(e, e->c.ks, 2), "%s", e->err);

	/* The same bytes twice: applied once. A higher counter after: applied. */
	uint8_t csrk[16];
	for (int i = 0; i < 16; i++)
		csrk[i] = pb.peer_csrk[15 - i];
	cr_assert(inject_signed(e, csrk, 1000, "first"), "%s", e->err);
	cr_assert(inject_signed(e, csrk, 1000, "first"), "%s", e->err);
	cr_assert(inject_signed(e, csrk, 999, "lower"), "%s", e->err);
	csrk[3] ^= 1;
	cr_assert(inject_signed(e, csrk, 1001, "forged"), "%s", e->err);
	csrk[3] ^= 1;
	cr_assert(inject_signed(e, csrk, 1001, "second"), "%s", e->err);
	cr_assert(wait_writes(e, 4), "%s", e->err);
	cr_assert_str_eq(seen_p.written_values[2], "first");
	cr_assert_str_eq(seen_p.written_values[3], "second",
			 "a replayed, lower or forged signed write was applied");
	cr_assert(wait_store(e, e->p.ks, -1, 1002, NULL), "%s", e->err);
}

/* kill -9 the peripheral's gatt during a bonded connection: the restarted
 * gatt asks smp for the bonds of its live links, so the central's next
 * CCCD write is still stored with the bond, and notifications still reach
 * it. */
Test(gatt_bond_e2e, gatt_restart_keeps_the_bond, .fini = fini, .timeout = 240)
{
	setup();
	struct e2e *e = E;
	uint32_t count = 0;
	cr_assert(pair(e), "%s", e->err);
	cr_assert(subscribe(e), "%s", e->err);
	cr_assert(wait_store(e, e->p.ks, 1, 0, NULL), "%s", e->err);

	Hive__Status *st = th_status(e->p.a, E2E_DEADLINE_MS);
	const Hive__ActorStatus *as = th_status_find(st, "gatt");
	uint32_t old = as && as->up ? as->pid : 0;
	hive__status__free_unpacked(st, NULL);
	cr_assert_neq(old, 0, "no gatt up in the peripheral graph");
	seen_p.restored = false;
	kill((pid_t)old, SIGKILL);
	cr_assert(e2e_wait(e, &seen_p.restored, E2E_DEADLINE_MS,
			   "bond_restored from the restarted gatt"), "%s", e->err);

	static const uint8_t hr[] = { 0x00, 0x33 };
	seen_c.notified = false;
	cr_assert(notify_all(e, hr, sizeof hr, &count), "%s", e->err);
	cr_assert_eq(count, 1);
	cr_assert(e2e_wait(e, &seen_c.notified, E2E_DEADLINE_MS, "the central's notification"), "%s",
		  e->err);
	/* Unsubscribing is stored with the bond: the restarted gatt knows it. */
	Hive__GattSubscribe un = HIVE__GATT_SUBSCRIBE__INIT;
	un.handle = NOTIFY_VALUE;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_UNSUBSCRIBE;
	gr.unsubscribe = &un;
	cr_assert(gatt_call(e, &e->c, e->c.handle, &gr, "unsubscribe"), "%s", e->err);
	cr_assert(wait_store(e, e->p.ks, 0, 0, NULL), "%s", e->err);
}

/* The peripheral deletes the bond of a connected central: its gatt stops
 * verifying the central's signed writes at once. */
Test(gatt_bond_e2e, unpair_stops_signed_writes, .fini = fini, .timeout = 240)
{
	setup();
	struct e2e *e = E;
	struct smp_bond pb;
	uint8_t csrk[16];
	cr_assert(pair(e), "%s", e->err);
	cr_assert(wait_store(e, e->p.ks, -1, 0, &pb), "%s", e->err);
	cr_assert(e2e_disconnect(e), "%s", e->err);
	seen_p.restored = false;
	cr_assert(e2e_connect(e), "%s", e->err);
	cr_assert(e2e_wait(e, &seen_p.restored, E2E_DEADLINE_MS, "the peripheral's bond_restored"),
		  "%s", e->err);
	for (int i = 0; i < 16; i++)
		csrk[i] = pb.peer_csrk[15 - i];
	cr_assert(inject_signed(e, csrk, 10, "bonded"), "%s", e->err);
	cr_assert(wait_writes(e, 1), "%s", e->err);

	uint8_t addr[6];
	for (int i = 0; i < 6; i++)
		addr[i] = pb.peer.a[5 - i];
	Hive__SmpAddress pa = HIVE__SMP_ADDRESS__INIT;
	pa.type = pb.peer.type;
	pa.bdaddr.data = addr;
	pa.bdaddr.len = 6;
	Hive__SmpUnpair up = HIVE__SMP_UNPAIR__INIT;
	up.peer = &pa;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_UNPAIR;
	sr.unpair = &up;
	cr_assert(smp_call(e, &e->p, &sr, "unpair"), "%s", e->err);
	cr_assert(e2e_wait(e, &seen_p.removed, E2E_DEADLINE_MS, "the peripheral's bond_removed"),
		  "%s", e->err);
	/* A signed write, then a plain one: only the plain one is applied. */
	cr_assert(inject_signed(e, csrk, 11, "unbonded"), "%s", e->err);
	cr_assert(inject_signed(e, NULL, 0, "plain"), "%s", e->err);
	cr_assert(wait_writes(e, 2), "%s", e->err);
	cr_assert_str_eq(seen_p.written_values[1], "plain",
			 "a signed write of an unpaired peer was applied");
}

/* Two stacks (two local identities) sharing one bond store file: after
 * they pair with each other the file holds both bonds, and each smp lists
 * only its own. */
Test(gatt_bond_e2e, two_stacks_share_one_store, .fini = fini, .timeout = 240)
{
	char *dir = th_run_dir(), path[600], err[256];
	cr_assert_not_null(dir);
	snprintf(path, sizeof path, "%s/shared.sqlite3", dir);
	free(dir);
	setup_with(path);
	struct e2e *e = E;
	cr_assert(pair(e), "%s", e->err);
	struct smp_bond b[4];
	int n = 0;
	uint64_t deadline = hive_now_ns() + (uint64_t)E2E_DEADLINE_MS * 1000000ull;
	while (n != 2 && hive_now_ns() < deadline) {
		struct smp_bonds *s = NULL;
		cr_assert_eq(smp_bonds_open(&s, path, err, sizeof err), 0, "%s", err);
		n = smp_bonds_list(s, NULL, b, 4);
		smp_bonds_close(&s);
		for (int i = 0; i < 20; i++)
			e2e_pump(e);
	}
	cr_assert_eq(n, 2, "the shared file holds %d bond(s)", n);
	cr_assert(memcmp(&b[0].local, &b[1].local, sizeof b[0].local) != 0,
		  "the two bonds must be under two local identities");
	struct e2e_side *sides[2] = { &e->p, &e->c };
	for (int k = 0; k < 2; k++) {
		Hive__SmpBondsQuery q = HIVE__SMP_BONDS_QUERY__INIT;
		Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
		sr.op_case = HIVE__SMP_REQUEST__OP_BONDS;
		sr.bonds = &q;
		cr_assert(smp_call(e, sides[k], &sr, "bonds"), "%s", e->err);
		const Hive__SmpResult *r = e->result->smp;
		cr_assert(r && r->value_case == HIVE__SMP_RESULT__VALUE_BONDS);
		cr_assert_eq(r->bonds->n_bonds, 1, "the %s's smp sees %zu bonds", sides[k]->label,
			     r->bonds->n_bonds);
		/* Its bond is with the other side, whose bond is with it. */
		const Hive__SmpBond *mine = r->bonds->bonds[0];
		cr_assert(mine->local && mine->peer && mine->local->bdaddr.len == 6 &&
			  mine->peer->bdaddr.len == 6);
		cr_assert(memcmp(mine->local->bdaddr.data, mine->peer->bdaddr.data, 6) != 0);
	}
}
