/* Two real hive-smp processes behind a real broker: smp-a is central on
 * link 0x40, smp-b peripheral on link 0x41. The test plays, for each, the
 * l2cap and host actors ("wa", "wb": SMP PDUs of one side are handed to the
 * other, start_encryption becomes the other side's LTK request, and the
 * LTK reply decides the encryption change both see, as a controller
 * would) and an app ("app") that subscribes, asks for pairing and answers
 * the prompts. Each pairing method pairs end to end from both roles' point
 * of view; bonds survive a kill -9 of smp and a restart of the whole
 * graph, and reconnection encrypts without pairing. Waits have deadlines. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#define RESULTS_MAX 64

struct side {
	const char *name, *wire;
	struct hive_actor *w;
	pid_t pid;
	uint16_t handle;
	bool central;
	char keystore[600], log[600];
	/* what the smp sent */
	uint64_t pdus;
	uint8_t last_pdu[80];
	size_t last_len;
	bool start_enc;
	uint8_t ltk[16]; /* start_encryption's key, or ltk_reply's */
	uint16_t ediv;
	uint8_t rand[8];
	uint64_t ltk_replies;
	bool ltk_found;
	uint64_t encrypted_ok, encrypted_fail, disconnects, key_lists;
	/* what the app heard from it */
	uint64_t prompts, completes, fails;
	uint32_t number;
	bool has_number;
	bool entry_pending;
	bool answer; /* the app answers this side's prompts */
	uint32_t last_fail_reason;
};

struct world {
	char *dir;
	pid_t broker;
	struct side a, b;
	struct hive_actor *app;
	bool forward;
	uint64_t next_id;
	uint64_t nresults;
	Hive__Result *results[RESULTS_MAX];
	uint64_t result_ids[RESULTS_MAX];
	uint32_t displayed;
	bool has_displayed;
};

static struct world W; /* the running test's world (one test per process) */

static const uint8_t addr_a[6] = { 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 }; /* wire order */
static const uint8_t addr_b[6] = { 0x06, 0x05, 0x04, 0x03, 0x02, 0xc1 };

static struct side *other(struct side *s)
{
	return s == &W.a ? &W.b : &W.a;
}

static void pump(void)
{
	hive_run_once(W.app, 1);
	hive_run_once(W.a.w, 1);
	hive_run_once(W.b.w, 1);
}

static bool wait_for(bool (*cond)(void *), void *arg)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 2 * 1000000ull;
	while (!cond(arg) && hive_now_ns() < deadline)
		pump();
	return cond(arg);
}

static bool count_reaches(void *arg)
{
	uint64_t **c = arg;
	return *c[0] >= (uint64_t)(uintptr_t)c[1];
}

#define WAIT_COUNT(counter, want)                                                           \
	do {                                                                                \
		uint64_t *args_[2] = { &(counter), (uint64_t *)(uintptr_t)(want) };         \
		cr_assert(wait_for(count_reaches, args_), "waited in vain for %s >= %llu "  \
			  "(is %llu)", #counter, (unsigned long long)(want),                \
			  (unsigned long long)(counter));                                   \
	} while (0)

/* ---- the wire: l2cap and host of each side -------------------------------------------- */

static void send_link(struct side *s, Hive__LinkEvent *le)
{
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	le->handle = s->handle;
	env.body_case = HIVE__ENVELOPE__BODY_LINK;
	env.link = le;
	cr_assert_eq(hive_send(s->w, s->name, &env), 0);
}

static void send_connected(struct side *s)
{
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	Hive__Connected c = HIVE__CONNECTED__INIT;
	Hive__Address own = HIVE__ADDRESS__INIT, peer = HIVE__ADDRESS__INIT;
	own.type = s->central ? HIVE__ADDRESS__TYPE__PUBLIC : HIVE__ADDRESS__TYPE__RANDOM;
	own.bdaddr.data = (uint8_t *)(s->central ? addr_a : addr_b);
	own.bdaddr.len = 6;
	peer.type = s->central ? HIVE__ADDRESS__TYPE__RANDOM : HIVE__ADDRESS__TYPE__PUBLIC;
	peer.bdaddr.data = (uint8_t *)(s->central ? addr_b : addr_a);
	peer.bdaddr.len = 6;
	c.role = s->central ? HIVE__CONNECTED__ROLE__CENTRAL : HIVE__CONNECTED__ROLE__PERIPHERAL;
	c.le = true;
	c.own = &own;
	c.peer = &peer;
	c.le = true;
	le.kind_case = HIVE__LINK_EVENT__KIND_CONNECTED;
	le.connected = &c;
	send_link(s, &le);
}

static void send_disconnected(struct side *s)
{
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	Hive__Disconnected d = HIVE__DISCONNECTED__INIT;
	d.reason = 0x13;
	le.kind_case = HIVE__LINK_EVENT__KIND_DISCONNECTED;
	le.disconnected = &d;
	send_link(s, &le);
}

static void send_ltk_requested(struct side *s, uint16_t ediv, const uint8_t rand[8])
{
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	Hive__LtkRequested q = HIVE__LTK_REQUESTED__INIT;
	q.ediv = ediv;
	q.rand.data = (uint8_t *)rand;
	q.rand.len = 8;
	le.kind_case = HIVE__LINK_EVENT__KIND_LTK_REQUESTED;
	le.ltk_requested = &q;
	send_link(s, &le);
}

static void send_enc_changed(struct side *s, uint8_t status)
{
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	Hive__EncryptionChanged e = HIVE__ENCRYPTION_CHANGED__INIT;
	e.enabled = status == 0;
	e.key_size = status ? 0 : 16;
	e.status = status;
	le.kind_case = HIVE__LINK_EVENT__KIND_ENCRYPTION_CHANGED;
	le.encryption_changed = &e;
	send_link(s, &le);
	if (status)
		s->encrypted_fail++;
	else
		s->encrypted_ok++;
}

static void send_pdu(struct side *s, const uint8_t *p, size_t n)
{
	Hive__ChannelPdu pdu = HIVE__CHANNEL_PDU__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	pdu.handle = s->handle;
	pdu.cid = 6;
	pdu.payload.data = (uint8_t *)p;
	pdu.payload.len = n;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &pdu;
	cr_assert_eq(hive_send(s->w, s->name, &env), 0);
}

static void on_wire_pdu(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			void *arg)
{
	struct side *s = arg;
	const Hive__ChannelPdu *p = env->pdu;
	cr_assert_str_eq(source, s->name);
	cr_assert_eq(p->cid, 6);
	cr_assert_eq(p->handle, s->handle);
	s->last_len = p->payload.len < sizeof s->last_pdu ? p->payload.len : sizeof s->last_pdu;
	memcpy(s->last_pdu, p->payload.data, s->last_len);
	s->pdus++;
	if (W.forward)
		send_pdu(other(s), p->payload.data, p->payload.len);
}

static void answer(struct side *s, uint64_t id)
{
	Hive__Result r = HIVE__RESULT__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	r.id = id;
	env.body_case = HIVE__ENVELOPE__BODY_RESULT;
	env.result = &r;
	hive_send(s->w, s->name, &env);
}

static void on_wire_request(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			    void *arg)
{
	struct side *s = arg;
	const Hive__Request *r = env->request;
	answer(s, r->id);
	if (r->op_case == HIVE__REQUEST__OP_START_ENCRYPTION) {
		const Hive__StartEncryption *se = r->start_encryption;
		cr_assert(s->central, "the peripheral asked to start encryption");
		cr_assert_eq(se->ltk.len, 16);
		cr_assert_eq(se->rand.len, 8);
		memcpy(s->ltk, se->ltk.data, 16);
		memcpy(s->rand, se->rand.data, 8);
		s->ediv = (uint16_t)se->ediv;
		s->start_enc = true;
		/* The controllers: the peripheral's host gets the LTK request. */
		send_ltk_requested(other(s), s->ediv, s->rand);
	} else if (r->op_case == HIVE__REQUEST__OP_LTK_REPLY) {
		const Hive__LtkReply *lr = r->ltk_reply;
		s->ltk_replies++;
		s->ltk_found = lr->found;
		if (lr->found) {
			cr_assert_eq(lr->ltk.len, 16);
			memcpy(s->ltk, lr->ltk.data, 16);
		}
		struct side *c = other(s);
		if (!c->start_enc)
			return; /* the test asked by itself */
		c->start_enc = false;
		uint8_t status = lr->found && memcmp(c->ltk, lr->ltk.data, 16) == 0 ? 0 : 0x06;
		send_enc_changed(c, status);
		send_enc_changed(s, status);
	} else if (r->op_case == HIVE__REQUEST__OP_HCI_COMMAND) {
		if (r->hci_command->opcode == 0x0406)
			s->disconnects++;
	}
}

static void on_wire_smp_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			      void *arg)
{
	struct side *s = arg;
	s->key_lists++;
}

static void on_wire_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			   void *arg)
{
}

/* ---- the app ------------------------------------------------------------------------------- */

static struct side *side_named(const char *name)
{
	return strcmp(name, W.a.name) == 0 ? &W.a : &W.b;
}

static uint64_t request(struct side *s, Hive__SmpRequest *q)
{
	Hive__Request r = HIVE__REQUEST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	r.id = ++W.next_id;
	r.op_case = HIVE__REQUEST__OP_SMP;
	r.smp = q;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &r;
	cr_assert_eq(hive_send(W.app, s->name, &env), 0);
	return r.id;
}

static void user_reply(struct side *s, bool accept, uint32_t passkey)
{
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpUserReply u = HIVE__SMP_USER_REPLY__INIT;
	u.handle = s->handle;
	u.accept = accept;
	u.passkey = passkey;
	q.op_case = HIVE__SMP_REQUEST__OP_USER_REPLY;
	q.user_reply = &u;
	request(s, &q);
}

static void on_app_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			 void *arg)
{
	const Hive__SmpEvent *ev = env->smp_event;
	struct side *s = side_named(source);
	cr_assert_eq(ev->handle, s->handle);
	switch (ev->kind_case) {
	case HIVE__SMP_EVENT__KIND_PROMPT:
		s->prompts++;
		switch (ev->prompt->kind) {
		case HIVE__SMP_PROMPT__KIND__CONFIRM_NUMBER:
			s->number = ev->prompt->number;
			s->has_number = true;
			if (s->answer)
				user_reply(s, true, 0);
			break;
		case HIVE__SMP_PROMPT__KIND__CONFIRM_JUST_WORKS:
			if (s->answer)
				user_reply(s, true, 0);
			break;
		case HIVE__SMP_PROMPT__KIND__PASSKEY_DISPLAY:
			W.displayed = ev->prompt->number;
			W.has_displayed = true;
			if (other(s)->entry_pending) {
				other(s)->entry_pending = false;
				user_reply(other(s), true, W.displayed);
			}
			break;
		case HIVE__SMP_PROMPT__KIND__PASSKEY_ENTRY:
			if (!s->answer)
				break;
			if (W.has_displayed)
				user_reply(s, true, W.displayed);
			else
				s->entry_pending = true;
			break;
		default:
			cr_assert_fail("prompt kind %d", ev->prompt->kind);
		}
		break;
	case HIVE__SMP_EVENT__KIND_COMPLETE:
		s->completes++;
		break;
	case HIVE__SMP_EVENT__KIND_FAILED:
		s->fails++;
		s->last_fail_reason = ev->failed->reason;
		break;
	default:
		break;
	}
}

static void on_app_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg)
{
	const Hive__Result *r = env->result;
	/* A prompt's answer may come from the side that also answers the pair
	 * request: Results of user_reply are kept too. */
	if (W.nresults < RESULTS_MAX) {
		size_t n = hive__result__get_packed_size(r);
		uint8_t *buf = malloc(n + 1);
		hive__result__pack(r, buf);
		W.results[W.nresults] = hive__result__unpack(NULL, n, buf);
		W.result_ids[W.nresults] = r->id;
		free(buf);
	}
	W.nresults++;
	/* A pair Result on the side that asked counts as its outcome too. */
	if (r->value_case == HIVE__RESULT__VALUE_SMP && r->smp->value_case ==
	    HIVE__SMP_RESULT__VALUE_PAIRED)
		side_named(source)->completes++;
	else if (r->domain == HIVE__RESULT__DOMAIN__SMP && r->status) {
		side_named(source)->fails++;
		side_named(source)->last_fail_reason = (uint32_t)r->status;
	}
}

static bool result_arrived(void *arg)
{
	uint64_t id = *(uint64_t *)arg;
	for (uint64_t i = 0; i < W.nresults && i < RESULTS_MAX; i++)
		if (W.result_ids[i] == id)
			return true;
	return false;
}

static const Hive__Result *wait_result(uint64_t id)
{
	cr_assert(wait_for(result_arrived, &id), "no Result for request %llu",
		  (unsigned long long)id);
	for (uint64_t i = 0; i < W.nresults && i < RESULTS_MAX; i++)
		if (W.result_ids[i] == id)
			return W.results[i];
	return NULL;
}

/* Waits until the smp knows the link: the app's message may overtake the
 * wire's Connected event (two senders), so ask until the link is there. */
static void wait_link(struct side *s)
{
	for (int i = 0; i < 1000; i++) {
		user_reply(s, true, 0);
		const Hive__Result *r = wait_result(W.next_id);
		if (r->status != -ENOTCONN) {
			cr_assert_eq(r->status, -EALREADY, "%s", r->error);
			return;
		}
	}
	cr_assert_fail("%s never learnt of link 0x%04x", s->name, s->handle);
}

/* ---- set-up ------------------------------------------------------------------------------------ */

static void spawn_smp(struct side *s, const char *const extra[])
{
	char ks[700], l2[80], host[80], gatt[80];
	snprintf(ks, sizeof ks, "keystore=%s", s->keystore);
	snprintf(l2, sizeof l2, "l2cap=%s", s->wire);
	snprintf(host, sizeof host, "host=%s", s->wire);
	snprintf(gatt, sizeof gatt, "gatt=%s", s->wire);
	const char *argv[40] = { "hive-smp", "--run-dir", W.dir, "--name", s->name,
				 "--set", ks, "--set", l2, "--set", host, "--set", gatt };
	int n = 13;
	for (int i = 0; extra && extra[i] && n < 38; i++) {
		argv[n++] = "--set";
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	s->pid = th_spawn(argv, NULL, s->log);
	cr_assert_gt(s->pid, 0);
}

static void subscribe(struct side *s)
{
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpSubscribe sub = HIVE__SMP_SUBSCRIBE__INIT;
	q.op_case = HIVE__SMP_REQUEST__OP_SUBSCRIBE;
	q.subscribe = &sub;
	const Hive__Result *r = wait_result(request(s, &q));
	cr_assert_eq(r->status, 0, "%s", r->error);
}

static void side_init(struct side *s, const char *name, const char *wire, uint16_t handle,
		      bool central, const char *tag)
{
	memset(s, 0, sizeof *s);
	s->name = name;
	s->wire = wire;
	s->handle = handle;
	s->central = central;
	s->answer = true;
	snprintf(s->keystore, sizeof s->keystore, "%s/bonds-%s.sqlite3", W.dir, tag);
	snprintf(s->log, sizeof s->log, "%s/%s.log", W.dir, name);
}

static void wire_up(struct side *s)
{
	s->w = th_actor(W.dir, s->wire);
	cr_assert_not_null(s->w);
	hive_on(s->w, HIVE__ENVELOPE__BODY_PDU, on_wire_pdu, s);
	hive_on(s->w, HIVE__ENVELOPE__BODY_REQUEST, on_wire_request, s);
	hive_on(s->w, HIVE__ENVELOPE__BODY_SMP_EVENT, on_wire_smp_event, s);
	hive_on(s->w, HIVE__ENVELOPE__BODY_RESULT, on_wire_result, s);
}

/* A broker, the test's actors, both smps (extra settings each) and the
 * connection announced to both. */
static void graph_start(const char *const extra_a[], const char *const extra_b[])
{
	W.broker = th_start_broker(W.dir, NULL);
	cr_assert_gt(W.broker, 0);
	wire_up(&W.a);
	wire_up(&W.b);
	W.app = th_actor(W.dir, "app");
	cr_assert_not_null(W.app);
	hive_on(W.app, HIVE__ENVELOPE__BODY_SMP_EVENT, on_app_event, NULL);
	hive_on(W.app, HIVE__ENVELOPE__BODY_RESULT, on_app_result, NULL);
	spawn_smp(&W.a, extra_a);
	spawn_smp(&W.b, extra_b);
	subscribe(&W.a);
	subscribe(&W.b);
	send_connected(&W.a);
	send_connected(&W.b);
	wait_link(&W.a);
	wait_link(&W.b);
	W.forward = true;
}

static void setup(void)
{
	memset(&W, 0, sizeof W);
	W.dir = th_run_dir();
	cr_assert_not_null(W.dir);
	side_init(&W.a, "smp-a", "wa", 0x40, true, "a");
	side_init(&W.b, "smp-b", "wb", 0x41, false, "b");
}

static void graph_stop(void)
{
	hive_actor_destroy(&W.app);
	hive_actor_destroy(&W.a.w);
	hive_actor_destroy(&W.b.w);
	for (uint64_t i = 0; i < W.nresults && i < RESULTS_MAX; i++)
		hive__result__free_unpacked(W.results[i], NULL);
	W.nresults = 0;
}

static void teardown(void)
{
	graph_stop();
	th_cleanup();
	free(W.dir);
}

TestSuite(smp_actor, .init = setup, .fini = teardown, .timeout = 90);

static uint64_t pair(struct side *s, bool legacy, bool mitm)
{
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = s->handle;
	p.legacy = legacy;
	p.mitm = mitm;
	q.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	q.pair = &p;
	return request(s, &q);
}

static const Hive__SmpBondList *bonds(struct side *s)
{
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpBondsQuery b = HIVE__SMP_BONDS_QUERY__INIT;
	q.op_case = HIVE__SMP_REQUEST__OP_BONDS;
	q.bonds = &b;
	const Hive__Result *r = wait_result(request(s, &q));
	cr_assert_eq(r->status, 0, "%s", r->error);
	cr_assert_eq(r->value_case, HIVE__RESULT__VALUE_SMP);
	cr_assert_eq(r->smp->value_case, HIVE__SMP_RESULT__VALUE_BONDS);
	return r->smp->bonds;
}

/* Pairs from smp-a and checks what both sides hold afterwards. */
static const Hive__SmpPairingComplete *pair_ok(bool legacy, bool mitm, Hive__SmpMethod method)
{
	const Hive__Result *r = wait_result(pair(&W.a, legacy, mitm));
	cr_assert_eq(r->status, 0, "pairing failed: %d %s (see %s, %s)", r->status, r->error,
		     W.a.log, W.b.log);
	cr_assert_eq(r->value_case, HIVE__RESULT__VALUE_SMP);
	const Hive__SmpPairingComplete *pc = r->smp->paired;
	cr_assert_eq(pc->method, method);
	cr_assert_eq(pc->sc, !legacy);
	cr_assert_eq(pc->authenticated, method != HIVE__SMP_METHOD__METHOD_JUST_WORKS);
	cr_assert(pc->bonded);
	cr_assert_eq(pc->key_size, 16);
	cr_assert_eq(pc->keys_received & 2, 2, "no identity from the peer");
	/* The identity the peripheral gave is its connection address here. */
	cr_assert_eq(pc->peer_identity->bdaddr.len, 6);
	cr_assert_eq(memcmp(pc->peer_identity->bdaddr.data, addr_b, 6), 0);
	cr_assert_eq(pc->peer_identity->type, 1);
	WAIT_COUNT(W.b.completes, 1);
	cr_assert_eq(W.a.encrypted_ok, 1);
	cr_assert_eq(W.b.encrypted_ok, 1);
	cr_assert_eq(W.a.fails + W.b.fails, 0);
	cr_assert_eq(bonds(&W.a)->n_bonds, 1);
	cr_assert_eq(bonds(&W.b)->n_bonds, 1);
	const Hive__SmpBond *bb = bonds(&W.b)->bonds[0];
	cr_assert_eq(memcmp(bb->peer->bdaddr.data, addr_a, 6), 0);
	cr_assert_eq(bb->sc, !legacy);
	cr_assert(bb->has_ltk && bb->has_irk && bb->has_csrk);
	return pc;
}

Test(smp_actor, sc_numeric_comparison)
{
	graph_start(NULL, NULL);
	pair_ok(false, true, HIVE__SMP_METHOD__METHOD_NUMERIC_COMPARISON);
	cr_assert(W.a.has_number && W.b.has_number);
	cr_assert_eq(W.a.number, W.b.number, "the users saw different numbers");
	cr_assert_lt(W.a.number, 1000000);
}

Test(smp_actor, sc_just_works)
{
	const char *const none[] = { "io_cap=no_input_no_output", NULL };
	graph_start(none, none);
	pair_ok(false, false, HIVE__SMP_METHOD__METHOD_JUST_WORKS);
	cr_assert_eq(W.a.prompts + W.b.prompts, 0, "Just Works asked someone");
}

Test(smp_actor, sc_passkey_entry)
{
	const char *const kbd[] = { "io_cap=keyboard_only", NULL };
	const char *const disp[] = { "io_cap=display_only", NULL };
	graph_start(kbd, disp);
	pair_ok(false, true, HIVE__SMP_METHOD__METHOD_PASSKEY);
	cr_assert(W.has_displayed);
}

Test(smp_actor, legacy_just_works)
{
	graph_start(NULL, NULL);
	pair_ok(true, false, HIVE__SMP_METHOD__METHOD_JUST_WORKS);
}

/* Legacy passkey, the peripheral displaying; then the link goes down and
 * comes back and encrypts with the stored LTK, EDIV and Rand. */
Test(smp_actor, legacy_passkey_then_reconnect_encrypts)
{
	const char *const kbd[] = { "io_cap=keyboard_only", NULL };
	const char *const disp[] = { "io_cap=display_only", NULL };
	graph_start(kbd, disp);
	pair_ok(true, true, HIVE__SMP_METHOD__METHOD_PASSKEY);

	uint64_t pdus = W.a.pdus + W.b.pdus;
	send_disconnected(&W.a);
	send_disconnected(&W.b);
	send_connected(&W.a);
	send_connected(&W.b);
	wait_link(&W.a);
	wait_link(&W.b);
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpEncrypt e = HIVE__SMP_ENCRYPT__INIT;
	e.handle = W.a.handle;
	q.op_case = HIVE__SMP_REQUEST__OP_ENCRYPT;
	q.encrypt = &e;
	const Hive__Result *r = wait_result(request(&W.a, &q));
	cr_assert_eq(r->status, 0, "%s", r->error);
	cr_assert_eq(r->smp->value_case, HIVE__SMP_RESULT__VALUE_ENCRYPTED);
	cr_assert(r->smp->encrypted->enabled && r->smp->encrypted->bonded_key);
	cr_assert_neq(W.a.ediv | W.a.rand[0] | W.a.rand[7], 0, "legacy keys carry EDIV/Rand");
	cr_assert_eq(W.a.encrypted_ok, 2);
	cr_assert_eq(W.a.pdus + W.b.pdus, pdus, "reconnection paired again");
}

static void restart_smp(struct side *s, const char *const extra[])
{
	th_kill(s->pid, SIGKILL);
	spawn_smp(s, extra);
}

/* The bond outlives smp: kill -9 of the peripheral's smp, and the LTK
 * request that follows is answered from the store with the same key;
 * then the whole graph goes, comes back, the central reconnects and
 * encrypts with its stored key without pairing. */
Test(smp_actor, bonds_survive_restarts)
{
	const char *const auto_enc[] = { "auto_encrypt=1", NULL };
	graph_start(auto_enc, NULL);
	pair_ok(false, true, HIVE__SMP_METHOD__METHOD_NUMERIC_COMPARISON);
	uint8_t ltk[16];
	memcpy(ltk, W.a.ltk, 16);

	restart_smp(&W.b, NULL);
	/* The restarted smp knows the link from its snapshot. */
	static const uint8_t zero[8];
	uint64_t replies = W.b.ltk_replies;
	send_ltk_requested(&W.b, 0, zero);
	WAIT_COUNT(W.b.ltk_replies, replies + 1);
	cr_assert(W.b.ltk_found, "the restarted smp had no key (see %s)", W.b.log);
	cr_assert_eq(memcmp(W.b.ltk, ltk, 16), 0);

	/* The whole graph: broker, smps, the test's actors. */
	th_kill(W.a.pid, SIGKILL);
	th_kill(W.b.pid, SIGKILL);
	th_kill(W.broker, SIGKILL);
	graph_stop();
	W.a.encrypted_ok = W.b.encrypted_ok = 0;
	W.a.pdus = W.b.pdus = 0;
	W.a.start_enc = false;
	memset(W.a.ltk, 0, 16);
	graph_start(auto_enc, NULL);
	WAIT_COUNT(W.a.encrypted_ok, 1);
	cr_assert_eq(W.b.encrypted_ok, 1);
	cr_assert_eq(memcmp(W.a.ltk, ltk, 16), 0, "central encrypted with another key");
	cr_assert(W.b.ltk_found);
	cr_assert_eq(W.a.pdus + W.b.pdus, 0, "reconnection paired again");
	cr_assert_eq(bonds(&W.a)->n_bonds, 1);
}

/* Nobody answers smp-b's numeric comparison: after its prompt timeout the
 * pairing fails on both sides with Numeric Comparison Failed. */
Test(smp_actor, unanswered_prompt_times_out)
{
	const char *const quick[] = { "prompt_timeout_ms=300", NULL };
	graph_start(NULL, quick);
	W.b.answer = false;
	const Hive__Result *r = wait_result(pair(&W.a, false, true));
	cr_assert_eq(r->domain, HIVE__RESULT__DOMAIN__SMP);
	cr_assert_eq(r->status, 0x0c, "status %d: %s", r->status, r->error);
	WAIT_COUNT(W.b.fails, 1);
	cr_assert_eq(W.b.last_fail_reason, 0x0c);
	cr_assert_eq(bonds(&W.a)->n_bonds, 0);
	cr_assert_eq(bonds(&W.b)->n_bonds, 0);
	cr_assert(th_file_contains(W.b.log, "nobody answered", TH_DEADLINE_MS));
}

/* A headless peripheral with the reject policy and no app asked. */
Test(smp_actor, policy_reject)
{
	const char *const rej[] = { "pairing_policy=reject", NULL };
	W.b.answer = false;
	graph_start(NULL, rej);
	/* No subscriber on smp-b: it cannot ask anyone. Replace the
	 * subscription by restarting smp-b (subscriptions are not kept). */
	restart_smp(&W.b, rej);
	send_connected(&W.b);
	wait_link(&W.b);
	const Hive__Result *r = wait_result(pair(&W.a, false, true));
	cr_assert_eq(r->domain, HIVE__RESULT__DOMAIN__SMP);
	cr_assert_eq(r->status, 0x0c, "status %d: %s", r->status, r->error);
}

/* A Pairing Random on an idle link is answered with Pairing Failed
 * (Unspecified Reason); a PDU of a link nobody announced is dropped. */
Test(smp_actor, unexpected_pdu)
{
	graph_start(NULL, NULL);
	W.forward = false;
	uint8_t random[17] = { 0x04 };
	send_pdu(&W.b, random, sizeof random);
	WAIT_COUNT(W.b.pdus, 1);
	cr_assert_eq(W.b.last_len, 2);
	cr_assert_eq(W.b.last_pdu[0], 0x05);
	cr_assert_eq(W.b.last_pdu[1], 0x08);
	/* An unknown code: Command Not Supported. */
	uint8_t unknown[2] = { 0x3f, 0 };
	send_pdu(&W.b, unknown, sizeof unknown);
	WAIT_COUNT(W.b.pdus, 2);
	cr_assert_eq(W.b.last_pdu[1], 0x07);
	/* Pairing Request at the central: Command Not Supported. */
	uint8_t preq[7] = { 0x01, 0x03, 0x00, 0x01, 0x10, 0x07, 0x07 };
	send_pdu(&W.a, preq, sizeof preq);
	WAIT_COUNT(W.a.pdus, 1);
	cr_assert_eq(W.a.last_pdu[0], 0x05);
	cr_assert_eq(W.a.last_pdu[1], 0x07);
	/* Key size 6: Encryption Key Size. */
	uint8_t small[7] = { 0x01, 0x03, 0x00, 0x01, 0x06, 0x07, 0x07 };
	send_pdu(&W.b, small, sizeof small);
	WAIT_COUNT(W.b.pdus, 3);
	cr_assert_eq(W.b.last_pdu[1], 0x06);
	WAIT_COUNT(W.b.fails, 1);
}

/* Requests that cannot be served say why. */
Test(smp_actor, request_errors)
{
	graph_start(NULL, NULL);
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpEncrypt e = HIVE__SMP_ENCRYPT__INIT;
	e.handle = W.a.handle;
	q.op_case = HIVE__SMP_REQUEST__OP_ENCRYPT;
	q.encrypt = &e;
	const Hive__Result *r = wait_result(request(&W.a, &q));
	cr_assert_eq(r->status, -ENOENT);
	cr_assert(strstr(r->error, "pair first"), "%s", r->error);
	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	p.handle = 0x99;
	q.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	q.pair = &p;
	r = wait_result(request(&W.a, &q));
	cr_assert_eq(r->status, -ENOTCONN);
	Hive__SmpSetPolicy sp = HIVE__SMP_SET_POLICY__INIT;
	sp.policy = (char *)"maybe";
	q.op_case = HIVE__SMP_REQUEST__OP_SET_POLICY;
	q.set_policy = &sp;
	r = wait_result(request(&W.a, &q));
	cr_assert_eq(r->status, -EINVAL);
	user_reply(&W.a, true, 0);
	r = wait_result(W.next_id);
	cr_assert_eq(r->status, -EALREADY);
}

/* Runs hive-ctl with a script while the test keeps the wire and the app
 * going; returns its exit code and its stdout. */
static int run_ctl(const char *script, char **out)
{
	char path[700];
	snprintf(path, sizeof path, "%s/ctl.out", W.dir);
	const char *argv[] = { "hive-ctl", "--run-dir", W.dir, "-c", script, NULL };
	pid_t pid = th_spawn(argv, path, NULL);
	cr_assert_gt(pid, 0);
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 3 * 1000000ull;
	int status = -1;
	while (status == -1 && hive_now_ns() < deadline) {
		pump();
		status = th_wait_exit(pid, 0);
	}
	cr_assert_neq(status, -1, "hive-ctl did not finish");
	*out = th_slurp(path, NULL);
	cr_assert_not_null(*out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* hive-ctl drives smp: pair with --yes (numeric comparison), bonds,
 * unpair, pairing-policy; errors give a non-zero exit status. */
Test(smp_actor, ctl_pair_bonds_unpair)
{
	graph_start(NULL, NULL);
	char *out;
	int rc = run_ctl("pair 0x40 --mitm --yes --to smp-a; bonds --to smp-a", &out);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "paired 0x0040 with random:C1:02:03:04:05:06: secure connections, "
			      "numeric comparison, authenticated, bonded, key size 16"), "%s", out);
	cr_assert(strstr(out, "does the peer show"), "%s", out);
	cr_assert(strstr(out, "random:C1:02:03:04:05:06  public:11:22:33:44:55:66"), "%s", out);
	cr_assert(strstr(out, "1 bond\n"), "%s", out);
	free(out);
	WAIT_COUNT(W.b.completes, 1);

	rc = run_ctl("unpair random:C1:02:03:04:05:06 --to smp-a; bonds --to smp-a; "
		     "pairing-policy passkey:123456 --to smp-a", &out);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "deleted 1 bond"), "%s", out);
	cr_assert(strstr(out, "0 bonds"), "%s", out);
	cr_assert(strstr(out, "pairing policy: passkey:123456"), "%s", out);
	free(out);

	cr_assert_eq(run_ctl("unpair random:C1:02:03:04:05:06 --to smp-a", &out), 1);
	free(out);
	cr_assert_eq(run_ctl("pairing-policy sometimes --to smp-a", &out), 1);
	free(out);
	cr_assert_eq(run_ctl("encrypt 0x40 --to smp-a", &out), 1, "no bond: encrypt fails");
	free(out);
}
