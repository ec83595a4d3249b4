/* Malformed and out-of-order SMP PDUs through a real hive-smp process: the
 * test plays its l2cap and host ("w": SMP PDUs as ChannelPdu on CID 6, link
 * events) and an app. Link 0x40 is central, links 0x41 and 0x42 are
 * peripheral (0x42 with another peer). Each case checks the exact Pairing Failed the Core
 * specification requires (Vol 3 Part H 3.5.5, 2.3.5.6) and that the actor
 * then answers a well-formed Pairing Request with a Pairing Response. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "malformed_util.h"

#define HC 0x40 /* central */
#define HP 0x41 /* peripheral */
#define HP2 0x42 /* peripheral, spare */

static char *dir;
static struct mu_peer *w, *app;
static uint64_t next_id = 1;

static const uint8_t addr_own[6] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06 };
static const uint8_t addr_peer[6] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0xc6 };
/* The spare link is another peer: Repeated Attempts are kept per peer. */
static const uint8_t addr_peer2[6] = { 0x21, 0x22, 0x23, 0x24, 0x25, 0xc6 };

static void send_connected(uint32_t handle, bool central)
{
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	Hive__Connected c = HIVE__CONNECTED__INIT;
	Hive__Address own = HIVE__ADDRESS__INIT, peer = HIVE__ADDRESS__INIT;
	own.type = HIVE__ADDRESS__TYPE__PUBLIC;
	own.bdaddr.data = (uint8_t *)addr_own;
	own.bdaddr.len = 6;
	peer.type = HIVE__ADDRESS__TYPE__RANDOM;
	peer.bdaddr.data = (uint8_t *)(handle == HP2 ? addr_peer2 : addr_peer);
	peer.bdaddr.len = 6;
	c.role = central ? HIVE__CONNECTED__ROLE__CENTRAL : HIVE__CONNECTED__ROLE__PERIPHERAL;
	c.le = true;
	c.own = &own;
	c.peer = &peer;
	c.le = true;
	le.handle = handle;
	le.kind_case = HIVE__LINK_EVENT__KIND_CONNECTED;
	le.connected = &c;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_LINK;
	env.link = &le;
	mu_send(w, "smp", &env);
}

static uint64_t smp_request(Hive__SmpRequest *q)
{
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = next_id++;
	r.op_case = HIVE__REQUEST__OP_SMP;
	r.smp = q;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &r;
	mu_send(app, "smp", &env);
	return r.id;
}

static const Hive__Result *result_of(uint64_t id)
{
	for (;;) {
		const Hive__Envelope *e = mu_take(app, HIVE__ENVELOPE__BODY_RESULT, "result");
		if (e->result->id == id)
			return e->result;
	}
}

static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	char blog[600], ks[700];
	snprintf(blog, sizeof blog, "%s/broker.log", dir);
	cr_assert_gt(th_start_broker_log(dir, NULL, blog), 0);
	w = mu_peer_new(dir, "w");
	app = mu_peer_new(dir, "app");
	snprintf(ks, sizeof ks, "keystore=%s/bonds.sqlite3", dir);
	const char *sets[] = { ks, "l2cap=w", "host=w", "gatt=w", NULL };
	mu_spawn(dir, "hive-smp", "smp", sets);
	cr_assert(mu_wait_ready(app, "smp", TH_DEADLINE_MS), "smp not ready (log %s/smp.log)", dir);
	send_connected(HC, true);
	send_connected(HP, false);
	send_connected(HP2, false);
	/* smp knows each link once it answers a PDU on it (an unknown code:
	 * Command Not Supported; a PDU of an unknown link is dropped). The
	 * app's requests come after that. */
	static const uint32_t handles[] = { HC, HP, HP2 };
	for (size_t i = 0; i < 3; i++) {
		mu_send_pdu(w, "smp", handles[i], 6, MU_BYTES(0x3f, 0x00));
		const Hive__Envelope *e = mu_take(w, HIVE__ENVELOPE__BODY_PDU, "link known");
		cr_assert_eq(e->pdu->handle, handles[i]);
		mu_expect_bytes("Pairing Failed", e->pdu->payload.data, e->pdu->payload.len,
				MU_BYTES(0x05, 0x07));
	}
}

static void teardown(void)
{
	mu_peers_free();
	th_cleanup();
	free(dir);
}

TestSuite(malformed_smp, .init = setup, .fini = teardown, .timeout = 60);

static void send_smp(uint32_t handle, const uint8_t *b, size_t len)
{
	mu_send_pdu(w, "smp", handle, 6, b, len);
}

/* The next SMP PDU smp sent must be exactly want, on handle. */
static void expect_smp(uint32_t handle, const uint8_t *want, size_t len)
{
	const Hive__Envelope *e = mu_take(w, HIVE__ENVELOPE__BODY_PDU, "SMP PDU");
	cr_assert_eq(e->pdu->cid, 6);
	cr_assert_eq(e->pdu->handle, handle, "PDU on 0x%x, want 0x%x", e->pdu->handle, handle);
	mu_expect_bytes("SMP PDU", e->pdu->payload.data, e->pdu->payload.len, want, len);
}

/* The next SMP PDU on handle, whatever it is (copied into out). */
static size_t take_smp(uint32_t handle, uint8_t *out, size_t cap)
{
	const Hive__Envelope *e = mu_take(w, HIVE__ENVELOPE__BODY_PDU, "SMP PDU");
	cr_assert_eq(e->pdu->handle, handle);
	size_t n = e->pdu->payload.len < cap ? e->pdu->payload.len : cap;
	memcpy(out, e->pdu->payload.data, n);
	return n;
}

/* Secure Connections, bonding, Just Works (NoInputNoOutput), keys 16. */
#define PREQ_SC 0x01, 0x03, 0x00, 0x09, 0x10, 0x07, 0x07

/* A well-formed Pairing Request on handle gets a Pairing Response. */
static void pairing_request_answered(uint32_t handle)
{
	send_smp(handle, MU_BYTES(PREQ_SC));
	uint8_t rsp[16];
	size_t n = take_smp(handle, rsp, sizeof rsp);
	cr_assert_eq(n, 7, "a %zu-byte answer (code 0x%02x)", n, rsp[0]);
	cr_assert_eq(rsp[0], 0x02, "answer code 0x%02x (reason 0x%02x)", rsp[0], rsp[1]);
	cr_assert_eq(rsp[4], 0x10);
}

static void still_serves(void)
{
	pairing_request_answered(HP);
}

Test(malformed_smp, pairing_request_with_max_key_size_6)
{
	send_smp(HP, MU_BYTES(0x01, 0x03, 0x00, 0x09, 0x06, 0x07, 0x07));
	expect_smp(HP, MU_BYTES(0x05, 0x06)); /* Encryption Key Size */
	still_serves();
}

Test(malformed_smp, pairing_request_with_max_key_size_17)
{
	send_smp(HP, MU_BYTES(0x01, 0x03, 0x00, 0x09, 0x11, 0x07, 0x07));
	expect_smp(HP, MU_BYTES(0x05, 0x0a)); /* Invalid Parameters */
	still_serves();
}

Test(malformed_smp, pairing_request_with_io_capability_5)
{
	send_smp(HP, MU_BYTES(0x01, 0x05, 0x00, 0x09, 0x10, 0x07, 0x07));
	expect_smp(HP, MU_BYTES(0x05, 0x0a));
	still_serves();
}

Test(malformed_smp, truncated_pairing_request)
{
	send_smp(HP, MU_BYTES(0x01, 0x03, 0x00, 0x09, 0x10, 0x07));
	expect_smp(HP, MU_BYTES(0x05, 0x0a));
	still_serves();
}

Test(malformed_smp, pairing_request_with_a_trailing_byte)
{
	send_smp(HP, MU_BYTES(PREQ_SC, 0x00));
	expect_smp(HP, MU_BYTES(0x05, 0x0a));
	still_serves();
}

Test(malformed_smp, unknown_command_code)
{
	send_smp(HP, MU_BYTES(0x3f, 0x00));
	expect_smp(HP, MU_BYTES(0x05, 0x07)); /* Command Not Supported */
	still_serves();
}

Test(malformed_smp, pairing_response_at_the_peripheral)
{
	send_smp(HP, MU_BYTES(0x02, 0x03, 0x00, 0x09, 0x10, 0x07, 0x07));
	expect_smp(HP, MU_BYTES(0x05, 0x07));
	still_serves();
}

Test(malformed_smp, pairing_confirm_on_an_idle_link)
{
	uint8_t c[17] = { 0x03 };
	send_smp(HP, c, sizeof c);
	expect_smp(HP, MU_BYTES(0x05, 0x08)); /* Unspecified Reason */
	still_serves();
}

/* A Pairing Failed is never answered. */
Test(malformed_smp, pairing_failed_on_an_idle_link_is_silent)
{
	send_smp(HP, MU_BYTES(0x05, 0x08));
	mu_expect_silence(w, HIVE__ENVELOPE__BODY_PDU, MU_SILENCE_MS);
	still_serves();
}

Test(malformed_smp, second_pairing_request_during_pairing)
{
	pairing_request_answered(HP);
	send_smp(HP, MU_BYTES(PREQ_SC));
	expect_smp(HP, MU_BYTES(0x05, 0x08));
	still_serves();
}

/* The central asked for pairing; the peer answers the Pairing Request
 * with a Pairing Confirm instead of a Pairing Response. */
Test(malformed_smp, pairing_confirm_before_pairing_response)
{
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = HC;
	q.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	q.pair = &p;
	uint64_t id = smp_request(&q);
	uint8_t preq[16];
	cr_assert_eq(take_smp(HC, preq, sizeof preq), 7);
	cr_assert_eq(preq[0], 0x01);
	uint8_t c[17] = { 0x03 };
	send_smp(HC, c, sizeof c);
	expect_smp(HC, MU_BYTES(0x05, 0x08));
	const Hive__Result *r = result_of(id);
	cr_assert_eq(r->status, 0x08, "status %d: %s", r->status, r->error);
	/* The central pairs again: a new Pairing Request. */
	id = smp_request(&q);
	cr_assert_eq(take_smp(HC, preq, sizeof preq), 7);
	cr_assert_eq(preq[0], 0x01);
	still_serves();
}

/* The responder may only take keys away from the request. */
Test(malformed_smp, pairing_response_adding_keys)
{
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = HC;
	q.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	q.pair = &p;
	smp_request(&q);
	uint8_t preq[16];
	cr_assert_eq(take_smp(HC, preq, sizeof preq), 7);
	uint8_t prsp[7] = { 0x02, 0x03, 0x00, 0x09, 0x10, (uint8_t)(preq[5] | 0x08),
			    (uint8_t)(preq[6] | 0x08) };
	send_smp(HC, prsp, sizeof prsp);
	expect_smp(HC, MU_BYTES(0x05, 0x0a));
	still_serves();
}

/* The debug public key of Vol 3 Part H 2.3.5.6.1, little-endian. */
static void debug_public_key(uint8_t pk[65])
{
	static const uint8_t x[32] = { 0x20, 0xb0, 0x03, 0xd2, 0xf2, 0x97, 0xbe, 0x2c,
				       0x5e, 0x2c, 0x83, 0xa7, 0xe9, 0xf9, 0xa5, 0xb9,
				       0xef, 0xf4, 0x91, 0x11, 0xac, 0xf4, 0xfd, 0xdb,
				       0xcc, 0x03, 0x01, 0x48, 0x0e, 0x35, 0x9d, 0xe6 };
	static const uint8_t y[32] = { 0xdc, 0x80, 0x9c, 0x49, 0x65, 0x2a, 0xeb, 0x6d,
				       0x63, 0x32, 0x9a, 0xbf, 0x5a, 0x52, 0x15, 0x5c,
				       0x76, 0x63, 0x45, 0xc2, 0x8f, 0xed, 0x30, 0x24,
				       0x74, 0x1c, 0x8e, 0xd0, 0x15, 0x89, 0xd2, 0x8b };
	pk[0] = 0x0c;
	for (int i = 0; i < 32; i++) {
		pk[1 + i] = x[31 - i];
		pk[33 + i] = y[31 - i];
	}
}

/* CVE-2018-5383: a key off the curve fails pairing before any use. */
Test(malformed_smp, public_key_not_on_the_curve)
{
	pairing_request_answered(HP);
	uint8_t pk[65];
	debug_public_key(pk);
	pk[64] ^= 0x01; /* y changed: not on the curve */
	send_smp(HP, pk, sizeof pk);
	expect_smp(HP, MU_BYTES(0x05, 0x0a));
	still_serves();
}

/* A valid key, then a DHKey Check that does not match: DHKey Check
 * Failed; an immediate retry is refused as Repeated Attempts (2.3.6). */
Test(malformed_smp, dhkey_check_that_fails)
{
	pairing_request_answered(HP);
	uint8_t pk[65], b[80];
	debug_public_key(pk);
	send_smp(HP, pk, sizeof pk);
	cr_assert_eq(take_smp(HP, b, sizeof b), 65);
	cr_assert_eq(b[0], 0x0c, "code 0x%02x reason 0x%02x", b[0], b[1]);
	cr_assert_eq(take_smp(HP, b, sizeof b), 17); /* Cb */
	cr_assert_eq(b[0], 0x03);
	uint8_t na[17] = { 0x04, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	send_smp(HP, na, sizeof na);
	cr_assert_eq(take_smp(HP, b, sizeof b), 17); /* Nb */
	cr_assert_eq(b[0], 0x04);
	uint8_t ea[17] = { 0x0d };
	send_smp(HP, ea, sizeof ea);
	expect_smp(HP, MU_BYTES(0x05, 0x0b)); /* DHKey Check Failed */
	send_smp(HP, MU_BYTES(PREQ_SC));
	expect_smp(HP, MU_BYTES(0x05, 0x09)); /* Repeated Attempts */
	pairing_request_answered(HP2);
}

/* An empty PDU during pairing fails it. */
Test(malformed_smp, empty_pdu_during_pairing)
{
	pairing_request_answered(HP);
	send_smp(HP, (const uint8_t *)"", 0);
	expect_smp(HP, MU_BYTES(0x05, 0x0a));
	still_serves();
}

/* Security Request is the peripheral's to send, never to take. */
Test(malformed_smp, security_request_at_the_peripheral)
{
	send_smp(HP, MU_BYTES(0x0b, 0x01));
	expect_smp(HP, MU_BYTES(0x05, 0x07));
	still_serves();
}

/* Reserved AuthReq bits are ignored on receipt (3.5.1). */
Test(malformed_smp, pairing_request_with_reserved_auth_bits)
{
	send_smp(HP, MU_BYTES(0x01, 0x03, 0x00, 0xc9, 0x10, 0x07, 0x07));
	uint8_t rsp[16];
	cr_assert_eq(take_smp(HP, rsp, sizeof rsp), 7);
	cr_assert_eq(rsp[0], 0x02, "code 0x%02x reason 0x%02x", rsp[0], rsp[1]);
	send_smp(HP, MU_BYTES(0x05, 0x08)); /* the peer gives up */
	still_serves();
}

Test(malformed_smp, pairing_request_with_oob_flag_2)
{
	send_smp(HP, MU_BYTES(0x01, 0x03, 0x02, 0x09, 0x10, 0x07, 0x07));
	expect_smp(HP, MU_BYTES(0x05, 0x0a));
	still_serves();
}

/* Secure Connections: a Pairing Random where the Public Key is due. */
Test(malformed_smp, pairing_random_before_public_key)
{
	pairing_request_answered(HP);
	uint8_t r[17] = { 0x04 };
	send_smp(HP, r, sizeof r);
	expect_smp(HP, MU_BYTES(0x05, 0x08));
	still_serves();
}

Test(malformed_smp, public_key_of_zeros)
{
	pairing_request_answered(HP);
	uint8_t pk[65] = { 0x0c };
	send_smp(HP, pk, sizeof pk);
	expect_smp(HP, MU_BYTES(0x05, 0x0a));
	still_serves();
}

/* The central checks the peer's Confirm against its Random: Confirm
 * Value Failed (Secure Connections, Just Works). */
Test(malformed_smp, sc_pairing_random_that_fails_the_confirm)
{
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = HC;
	q.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	q.pair = &p;
	uint64_t id = smp_request(&q);
	uint8_t b[80];
	cr_assert_eq(take_smp(HC, b, sizeof b), 7);
	cr_assert_eq(b[0], 0x01);
	uint8_t prsp[7] = { 0x02, 0x03, 0x00, 0x09, 0x10, (uint8_t)(b[5] & 0x07),
			    (uint8_t)(b[6] & 0x07) };
	send_smp(HC, prsp, sizeof prsp);
	cr_assert_eq(take_smp(HC, b, sizeof b), 65, "code 0x%02x reason 0x%02x", b[0], b[1]);
	cr_assert_eq(b[0], 0x0c);
	uint8_t pk[65];
	debug_public_key(pk);
	send_smp(HC, pk, sizeof pk);
	uint8_t cb[17] = { 0x03, 0xde, 0xad };
	send_smp(HC, cb, sizeof cb);
	cr_assert_eq(take_smp(HC, b, sizeof b), 17); /* Na */
	cr_assert_eq(b[0], 0x04);
	uint8_t nb[17] = { 0x04, 9, 9, 9 };
	send_smp(HC, nb, sizeof nb);
	expect_smp(HC, MU_BYTES(0x05, 0x04)); /* Confirm Value Failed */
	const Hive__Result *r = result_of(id);
	cr_assert_eq(r->status, 0x04, "status %d: %s", r->status, r->error);
	/* Repeated Attempts are per peer: the same peer on another link is
	 * refused, another peer is served. */
	send_smp(HP, MU_BYTES(PREQ_SC));
	expect_smp(HP, MU_BYTES(0x05, 0x09));
	pairing_request_answered(HP2);
}

/* Legacy Just Works at the peripheral: the central's Random does not
 * match its Confirm. */
Test(malformed_smp, legacy_pairing_random_that_fails_the_confirm)
{
	send_smp(HP, MU_BYTES(0x01, 0x03, 0x00, 0x01, 0x10, 0x07, 0x07));
	uint8_t b[80];
	cr_assert_eq(take_smp(HP, b, sizeof b), 7);
	cr_assert_eq(b[0], 0x02, "code 0x%02x reason 0x%02x", b[0], b[1]);
	uint8_t mconfirm[17] = { 0x03, 0x01, 0x02 };
	send_smp(HP, mconfirm, sizeof mconfirm);
	cr_assert_eq(take_smp(HP, b, sizeof b), 17); /* Sconfirm */
	cr_assert_eq(b[0], 0x03);
	uint8_t mrand[17] = { 0x04, 0x05, 0x06 };
	send_smp(HP, mrand, sizeof mrand);
	expect_smp(HP, MU_BYTES(0x05, 0x04));
	send_smp(HP, MU_BYTES(0x01, 0x03, 0x00, 0x01, 0x10, 0x07, 0x07));
	expect_smp(HP, MU_BYTES(0x05, 0x09)); /* Repeated Attempts */
	pairing_request_answered(HP2);
}
