/* Repeated Attempts (Core Vol 3 Part H 2.3.6) kept per peer by the smp
 * actor's link table, on a test clock: a peripheral that found a wrong
 * confirm value refuses the same central's next Pairing Request with
 * Pairing Failed Repeated Attempts (0x09) on a new link, until an
 * interval that doubles with each failure (capped) has passed; quiet time
 * and a successful pairing bring the interval back down; the state
 * survives the snapshot (an smp restart). The central is driven with raw
 * PDUs, or (for the successful pairing) by a real pairing machine. Also
 * the actor's SC OOB data: made on request, kept with its key pair, gone
 * after its lifetime. Two actors wired to each other (no sockets): keypress
 * notifications both ways reach the apps, and a Security Request is
 * answered with the bond's key unless it asks for more than the bond
 * has. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/smp/smp_actor.h"
#include "harness.h"

static uint64_t now = 1000000;
static uint64_t rng = 0x243f6a8885a308d3ull;

static void fake_rand(void *arg, void *buf, size_t n)
{
	uint8_t *b = buf;
	for (size_t k = 0; k < n; k++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		b[k] = (uint8_t)(rng >> 24);
	}
}

static uint64_t fake_now(void *arg)
{
	return now;
}

static const struct smp_ops ops = { fake_rand, fake_now, NULL };
static const struct smp_addr own = { 0, { 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6 } };
static const struct smp_addr central = { 0, { 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6 } };
static const struct smp_addr other = { 0, { 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6 } };

static struct smp_actor *new_actor(void)
{
	struct smp_actor *a = calloc(1, sizeof *a);
	struct smp_settings s;
	smp_settings_default(&s);
	s.cfg.io_cap = SMP_IO_NO_INPUT_NO_OUTPUT;
	smp_actor_init(a, &s, NULL, &ops);
	return a;
}

/* The last SMP PDU the actor sent (code, first parameter octet). */
static int last_pdu(struct smp_actor *a, uint8_t *param)
{
	int code = -1;
	for (unsigned i = 0; i < a->nout; i++)
		if (a->out[i].type == SMP_ACT_PDU) {
			code = a->out[i].pdu[0];
			*param = a->out[i].pdu[1];
		}
	smp_actor_out_clear(a);
	return code;
}

/* Legacy Just Works Pairing Request from the central; the Pairing Failed
 * reason it got, or 0 when the actor answered with a Pairing Response. */
static uint8_t request(struct smp_actor *a, uint16_t h)
{
	static const uint8_t req[] = { 0x01, 0x03, 0x00, 0x01, 0x10, 0x07, 0x07 };
	uint8_t p = 0;
	smp_actor_pdu(a, h, req, sizeof req);
	int code = last_pdu(a, &p);
	if (code == SMP_PAIRING_RESPONSE)
		return 0;
	cr_assert_eq(code, SMP_PAIRING_FAILED, "answered 0x%02x", code);
	return p;
}

/* A pairing that fails at the peripheral: a confirm, then a random that
 * does not match it. */
static void fail_once(struct smp_actor *a, uint16_t h)
{
	uint8_t pdu[17] = { SMP_PAIRING_CONFIRM }, p = 0;
	cr_assert_eq(request(a, h), 0);
	smp_actor_pdu(a, h, pdu, sizeof pdu);
	cr_assert_eq(last_pdu(a, &p), SMP_PAIRING_CONFIRM);
	pdu[0] = SMP_PAIRING_RANDOM;
	smp_actor_pdu(a, h, pdu, sizeof pdu);
	cr_assert_eq(last_pdu(a, &p), SMP_PAIRING_FAILED);
	cr_assert_eq(p, SMP_ERR_CONFIRM_VALUE_FAILED);
}

/* A new link from the central (the last one went down). */
static uint16_t reconnect(struct smp_actor *a, uint16_t h, const struct smp_addr *peer)
{
	smp_actor_disconnected(a, h, 0x13);
	smp_actor_connected(a, (uint16_t)(h + 1), SMP_ROLE_RESPONDER, &own, peer);
	smp_actor_out_clear(a);
	return (uint16_t)(h + 1);
}

Test(smp_attempts, interval_per_peer_across_links_grows_and_caps)
{
	struct smp_actor *a = new_actor();
	uint16_t h = 0x40;
	smp_actor_connected(a, h, SMP_ROLE_RESPONDER, &own, &central);
	fail_once(a, h);
	h = reconnect(a, h, &central);
	cr_assert_eq(request(a, h), SMP_ERR_REPEATED_ATTEMPTS);
	/* Another central is not concerned. */
	uint16_t h2 = 0x60;
	smp_actor_connected(a, h2, SMP_ROLE_RESPONDER, &own, &other);
	cr_assert_eq(request(a, h2), 0);
	/* 2 s later: allowed; a second failure means 4 s. */
	now += 1999;
	h = reconnect(a, h, &central);
	cr_assert_eq(request(a, h), SMP_ERR_REPEATED_ATTEMPTS);
	now += 1;
	h = reconnect(a, h, &central);
	fail_once(a, h);
	h = reconnect(a, h, &central);
	now += 3999;
	cr_assert_eq(request(a, h), SMP_ERR_REPEATED_ATTEMPTS);
	now += 1;
	uint64_t want = 8000;
	for (int k = 0; k < 6; k++) {
		h = reconnect(a, h, &central);
		fail_once(a, h);
		h = reconnect(a, h, &central);
		now += want - 1;
		cr_assert_eq(request(a, h), SMP_ERR_REPEATED_ATTEMPTS, "wait %llu",
			     (unsigned long long)want);
		now += 1;
		/* 8, 16, 32, 64, then capped at 64 s. */
		want = want * 2 > SMP_RETRY_MAX_MS ? SMP_RETRY_MAX_MS : want * 2;
	}
	free(a);
}

Test(smp_attempts, quiet_time_lowers_the_interval)
{
	struct smp_actor *a = new_actor();
	uint16_t h = 0x40;
	smp_actor_connected(a, h, SMP_ROLE_RESPONDER, &own, &central);
	fail_once(a, h); /* 2 s */
	now += 2000;
	h = reconnect(a, h, &central);
	fail_once(a, h); /* 4 s */
	now += 4000;
	h = reconnect(a, h, &central);
	fail_once(a, h); /* 8 s, three failures */
	/* Two quiet periods of the cap: two failures forgotten; the next one
	 * waits 4 s, not 16. */
	now += 2 * SMP_RETRY_MAX_MS;
	h = reconnect(a, h, &central);
	fail_once(a, h);
	h = reconnect(a, h, &central);
	now += 3999;
	cr_assert_eq(request(a, h), SMP_ERR_REPEATED_ATTEMPTS);
	now += 1;
	h = reconnect(a, h, &central);
	cr_assert_eq(request(a, h), 0);
	free(a);
}

Test(smp_attempts, the_snapshot_keeps_them)
{
	struct smp_actor *a = new_actor();
	uint16_t h = 0x40;
	smp_actor_connected(a, h, SMP_ROLE_RESPONDER, &own, &central);
	fail_once(a, h);
	now += 2000;
	fail_once(a, h); /* 4 s from now */
	uint8_t snap[SMP_SNAPSHOT_MAX];
	size_t n = smp_actor_snapshot(a, snap, sizeof snap);
	cr_assert_gt(n, 0);
	free(a);
	/* smp restarted: the live link and the attempts come back. */
	struct smp_actor *b = new_actor();
	cr_assert_eq(smp_actor_restore(b, snap, n), 1);
	now += 3000;
	cr_assert_eq(request(b, h), SMP_ERR_REPEATED_ATTEMPTS);
	h = reconnect(b, h, &central);
	cr_assert_eq(request(b, h), SMP_ERR_REPEATED_ATTEMPTS);
	now += 1000;
	h = reconnect(b, h, &central);
	cr_assert_eq(request(b, h), 0);
	/* A truncated snapshot is refused whole. */
	struct smp_actor *c = new_actor();
	cr_assert_eq(smp_actor_restore(c, snap, n - 1), -EBADMSG);
	cr_assert_eq(smp_actor_restore(c, snap, 3), -EBADMSG);
	free(b);
	free(c);
}

/* The wire between a real central machine and the actor's peripheral
 * link, until nothing moves; the host's part (LTK request, encryption
 * change) played as a controller would. */
static void pump(struct smp_actor *a, uint16_t h, struct smp_pairing *c)
{
	for (int guard = 0; guard < 200; guard++) {
		bool moved = false;
		struct smp_outbox box = c->out;
		smp_outbox_clear(&c->out);
		for (unsigned k = 0; k < box.n; k++) {
			moved = true;
			if (box.ev[k].type == SMP_EV_SEND)
				smp_actor_pdu(a, h, box.ev[k].pdu, box.ev[k].len);
			if (box.ev[k].type == SMP_EV_START_ENCRYPTION)
				smp_actor_ltk_requested(a, h, 0, 0);
		}
		struct smp_act acts[SMP_ACT_MAX];
		unsigned n = a->nout;
		memcpy(acts, a->out, n * sizeof acts[0]);
		smp_actor_out_clear(a);
		for (unsigned k = 0; k < n; k++) {
			moved = true;
			if (acts[k].type == SMP_ACT_PDU)
				smp_pairing_on_pdu(c, acts[k].pdu, acts[k].len);
			if (acts[k].type == SMP_ACT_LTK_REPLY) {
				smp_actor_encryption_changed(a, h, 0, true, 16);
				smp_pairing_encryption_changed(c, 0);
			}
		}
		if (!moved)
			return;
	}
	cr_assert_fail("the wire did not settle");
}

Test(smp_attempts, a_successful_pairing_clears_them)
{
	struct smp_actor *a = new_actor();
	uint16_t h = 0x40;
	smp_actor_connected(a, h, SMP_ROLE_RESPONDER, &own, &central);
	fail_once(a, h);
	now += 2000;
	fail_once(a, h);
	now += 4000;
	/* A real central pairs (SC Just Works). */
	struct smp_pairing c;
	struct smp_config cfg = { .io_cap = SMP_IO_NO_INPUT_NO_OUTPUT,
				  .auth_req = SMP_AUTH_BONDING | SMP_AUTH_SC,
				  .max_key_size = 16, .min_key_size = 7 };
	smp_pairing_init(&c, SMP_ROLE_INITIATOR, &cfg, &ops, &central, &own);
	cr_assert_eq(smp_pairing_start(&c), 0);
	pump(a, h, &c);
	cr_assert_eq(c.keys.sc, true);
	cr_assert_eq(c.state, SMP_ST_IDLE);
	cr_assert_eq(a->links[0].p.fails, 0);
	/* The slate is clean: the next failure waits 2 s again. */
	h = reconnect(a, h, &central);
	fail_once(a, h);
	now += 2000;
	h = reconnect(a, h, &central);
	cr_assert_eq(request(a, h), 0);
	free(a);
}

Test(smp_attempts, oob_data_kept_for_its_lifetime)
{
	struct smp_actor *a = new_actor();
	a->set.oob_lifetime_ms = 60000;
	smp_actor_connected(a, 0x40, SMP_ROLE_RESPONDER, &own, &central);
	smp_actor_out_clear(a);
	smp_actor_oob_local(a, "app", 7, false);
	cr_assert_eq(a->nout, 1);
	struct smp_act first = a->out[0];
	smp_actor_out_clear(a);
	cr_assert_eq(first.type, SMP_ACT_OOB);
	cr_assert_eq(first.request_id, 7);
	cr_assert(first.has_addr);
	cr_assert_arr_eq(first.peer.a, own.a, 6);
	cr_assert_eq(first.valid_ms, 60000);
	/* C is f4 of the key pair the links now pair with. */
	struct smp_p256 key;
	uint8_t c[16];
	const struct smp_config *lc = &a->links[0].p.cfg;
	cr_assert(lc->sc_oob_local);
	cr_assert_eq(smp_sc_oob_data(lc->sc_oob_priv, lc->sc_oob_r, &key, c), 0);
	cr_assert_arr_eq(c, first.oob_c, 16);
	cr_assert_arr_eq(lc->sc_oob_r, first.oob_r, 16);
	/* Asked again: the same data; renewed: new data. */
	now += 1000;
	smp_actor_oob_local(a, "app", 8, false);
	cr_assert_arr_eq(a->out[0].oob_c, first.oob_c, 16);
	cr_assert_eq(a->out[0].valid_ms, 59000);
	smp_actor_out_clear(a);
	smp_actor_oob_local(a, "app", 9, true);
	cr_assert(memcmp(a->out[0].oob_c, first.oob_c, 16) != 0);
	smp_actor_out_clear(a);
	/* Its lifetime over: the links no longer hold it. */
	cr_assert_eq(smp_actor_next_deadline(a), now + 60000);
	now += 60000;
	smp_actor_tick(a);
	cr_assert_not(a->links[0].p.cfg.sc_oob_local);
	cr_assert_not(a->oob.valid);
	free(a);
}

/* ---- two actors wired to each other: keypresses, Security Request ----------------------- */

struct pair_world {
	struct smp_actor *c, *p; /* central, peripheral: link 0x40 on both */
	uint8_t start_key[16];
	unsigned prompts[2], keypresses[2], completes[2], encrypted[2], pairing_requests;
	uint32_t last_keypress[2];
	uint8_t last_prompt[2];
	uint8_t method[2];
	bool bonded_enc;
};

/* Moves every action between the two until nothing moves; the host and
 * the controller are played as they would (LTK request, encryption
 * change with the keys compared). */
static void wire(struct pair_world *w)
{
	for (int guard = 0; guard < 400; guard++) {
		bool moved = false;
		for (int side = 0; side < 2; side++) {
			struct smp_actor *me = side ? w->p : w->c, *peer = side ? w->c : w->p;
			struct smp_act acts[SMP_ACT_MAX];
			unsigned n = me->nout;
			memcpy(acts, me->out, n * sizeof acts[0]);
			smp_actor_out_clear(me);
			for (unsigned k = 0; k < n; k++) {
				const struct smp_act *x = &acts[k];
				moved = true;
				switch (x->type) {
				case SMP_ACT_PDU:
					if (x->pdu[0] == SMP_PAIRING_REQUEST)
						w->pairing_requests++;
					smp_actor_pdu(peer, 0x40, x->pdu, x->len);
					break;
				case SMP_ACT_START_ENC:
					memcpy(w->start_key, x->key, 16);
					smp_actor_ltk_requested(peer, 0x40, x->rand, x->ediv);
					break;
				case SMP_ACT_LTK_REPLY: {
					uint8_t st = x->found && !memcmp(x->key, w->start_key, 16) ? 0 : 6;
					smp_actor_encryption_changed(me, 0x40, st, st == 0, 16);
					smp_actor_encryption_changed(peer, 0x40, st, st == 0, 16);
					break;
				}
				case SMP_ACT_PROMPT:
					w->prompts[side]++;
					w->last_prompt[side] = x->prompt;
					break;
				case SMP_ACT_KEYPRESS:
					w->keypresses[side]++;
					w->last_keypress[side] = x->number;
					break;
				case SMP_ACT_COMPLETE:
					w->completes[side]++;
					w->method[side] = x->outcome.method;
					break;
				case SMP_ACT_ENCRYPTED:
					w->encrypted[side]++;
					w->bonded_enc = x->bonded_key;
					break;
				default:
					break;
				}
			}
		}
		if (!moved)
			return;
	}
	cr_assert_fail("the wire did not settle");
}

static struct smp_actor *actor_with(const struct smp_settings *s, struct smp_bonds *store)
{
	struct smp_actor *a = calloc(1, sizeof *a);
	smp_actor_init(a, s, store, &ops);
	return a;
}

static void link_up(struct pair_world *w)
{
	smp_actor_connected(w->c, 0x40, SMP_ROLE_INITIATOR, &central, &own);
	smp_actor_connected(w->p, 0x40, SMP_ROLE_RESPONDER, &own, &central);
	wire(w);
}

static void link_down(struct pair_world *w)
{
	smp_actor_disconnected(w->c, 0x40, 0x13);
	smp_actor_disconnected(w->p, 0x40, 0x13);
	wire(w);
}

/* Both keyboards with keypress notifications: each side's keypresses
 * reach the other side's app; then both enter the passkey and pair. */
Test(smp_attempts, keypress_notifications_both_ways)
{
	struct smp_settings s;
	smp_settings_default(&s);
	s.cfg.io_cap = SMP_IO_KEYBOARD_ONLY;
	s.cfg.auth_req |= SMP_AUTH_MITM | SMP_AUTH_KEYPRESS;
	struct pair_world w = { .c = actor_with(&s, NULL), .p = actor_with(&s, NULL) };
	smp_actor_subscribe(w.c, "app", 1);
	smp_actor_subscribe(w.p, "app", 1);
	link_up(&w);
	/* Not typing yet: refused. */
	smp_actor_keypress(w.c, "app", 2, 0x40, SMP_KEYPRESS_STARTED);
	cr_assert_eq(w.c->out[0].status, -EPERM);
	smp_actor_out_clear(w.c);
	struct smp_pair_opts o = { .mitm = true, .io_cap = -1 };
	smp_actor_pair(w.c, "app", 3, 0x40, &o);
	wire(&w);
	cr_assert_eq(w.last_prompt[0], SMP_PROMPT_PASSKEY_ENTRY);
	cr_assert_eq(w.last_prompt[1], SMP_PROMPT_PASSKEY_ENTRY);
	smp_actor_keypress(w.c, "app", 4, 0x40, SMP_KEYPRESS_STARTED);
	smp_actor_keypress(w.c, "app", 5, 0x40, SMP_KEYPRESS_DIGIT_ENTERED);
	wire(&w);
	cr_assert_eq(w.keypresses[1], 2);
	cr_assert_eq(w.last_keypress[1], SMP_KEYPRESS_DIGIT_ENTERED);
	smp_actor_keypress(w.p, "app", 6, 0x40, SMP_KEYPRESS_DIGIT_ERASED);
	wire(&w);
	cr_assert_eq(w.keypresses[0], 1);
	cr_assert_eq(w.last_keypress[0], SMP_KEYPRESS_DIGIT_ERASED);
	smp_actor_keypress(w.p, "app", 7, 0x40, 9);
	cr_assert_eq(w.p->out[0].status, -EPERM);
	smp_actor_out_clear(w.p);
	smp_actor_user_reply(w.c, "app", 8, 0x40, true, 123456, NULL);
	smp_actor_user_reply(w.p, "app", 9, 0x40, true, 123456, NULL);
	wire(&w);
	cr_assert_eq(w.completes[0], 1);
	cr_assert_eq(w.completes[1], 1);
	free(w.c);
	free(w.p);
}

/* A Security Request with a legacy bond: encrypts with it, unless the
 * peripheral asks for Secure Connections, which the bond lacks and we
 * offer: then we pair again (Vol 3 Part H 2.4.6). */
Test(smp_attempts, security_request_with_a_bond)
{
	char *dir = th_run_dir();
	char path[700], err[256];
	struct smp_bonds *sc_store = NULL, *sp_store = NULL;
	snprintf(path, sizeof path, "%s/c.sqlite3", dir);
	cr_assert_eq(smp_bonds_open(&sc_store, path, err, sizeof err), 0, "%s", err);
	snprintf(path, sizeof path, "%s/p.sqlite3", dir);
	cr_assert_eq(smp_bonds_open(&sp_store, path, err, sizeof err), 0, "%s", err);
	struct smp_settings s;
	smp_settings_default(&s);
	s.cfg.io_cap = SMP_IO_NO_INPUT_NO_OUTPUT;
	struct smp_settings legacy = s;
	legacy.cfg.auth_req &= (uint8_t)~SMP_AUTH_SC;
	/* A legacy bond (the peripheral does not offer SC). */
	struct pair_world w = { .c = actor_with(&s, sc_store), .p = actor_with(&legacy, sp_store) };
	smp_actor_subscribe(w.c, "app", 1);
	smp_actor_subscribe(w.p, "app", 1);
	link_up(&w);
	struct smp_pair_opts o = { .legacy = true, .io_cap = -1 };
	smp_actor_pair(w.c, "app", 1, 0x40, &o);
	wire(&w);
	cr_assert_eq(w.completes[0], 1);
	cr_assert_eq(w.completes[1], 1);
	link_down(&w);

	/* Security Request without SC: the bond encrypts, no pairing. */
	link_up(&w);
	unsigned reqs = w.pairing_requests;
	smp_actor_pair(w.p, "app", 2, 0x40, &(struct smp_pair_opts){ .io_cap = -1, .legacy = true });
	wire(&w);
	cr_assert_eq(w.pairing_requests, reqs, "paired again");
	cr_assert(w.bonded_enc);
	link_down(&w);

	/* The peripheral now offers SC and asks for it: a new pairing. */
	free(w.p);
	w.p = actor_with(&s, sp_store);
	smp_actor_subscribe(w.p, "app", 1);
	link_up(&w);
	smp_actor_pair(w.p, "app", 3, 0x40, &(struct smp_pair_opts){ .io_cap = -1 });
	wire(&w);
	cr_assert_eq(w.pairing_requests, reqs + 1, "the legacy bond was used");
	cr_assert_eq(w.completes[0], 2);
	struct smp_bond b[4];
	cr_assert_eq(smp_bonds_list(sc_store, NULL, b, 4), 1);
	cr_assert(b[0].sc);
	link_down(&w);
	free(w.c);
	free(w.p);
	smp_bonds_close(&sc_store);
	smp_bonds_close(&sp_store);
	th_cleanup();
	free(dir);
}

/* Secure Connections Only mode: a legacy pairing is refused, asked by an
 * app (-EPERM, said in words) or by the peer (Authentication Requirements,
 * 0x03); an SC one goes ahead. */
Test(smp_attempts, sc_only_mode)
{
	struct smp_settings s;
	smp_settings_default(&s);
	s.cfg.io_cap = SMP_IO_NO_INPUT_NO_OUTPUT;
	s.cfg.sc_only = true;
	struct smp_actor *a = calloc(1, sizeof *a);
	smp_actor_init(a, &s, NULL, &ops);
	smp_actor_connected(a, 0x40, SMP_ROLE_RESPONDER, &own, &central);
	smp_actor_connected(a, 0x41, SMP_ROLE_INITIATOR, &own, &other);
	smp_actor_out_clear(a);
	smp_actor_pair(a, "app", 1, 0x41, &(struct smp_pair_opts){ .legacy = true, .io_cap = -1 });
	cr_assert_eq(a->nout, 1);
	cr_assert_eq(a->out[0].status, -EPERM);
	cr_assert(strstr(a->out[0].error, "Secure Connections Only"), "%s", a->out[0].error);
	smp_actor_out_clear(a);
	cr_assert_eq(request(a, 0x40), SMP_ERR_AUTH_REQUIREMENTS);
	static const uint8_t sc_req[] = { 0x01, 0x03, 0x00, 0x09, 0x10, 0x07, 0x07 };
	uint8_t p = 0;
	smp_actor_pdu(a, 0x40, sc_req, sizeof sc_req);
	cr_assert_eq(last_pdu(a, &p), SMP_PAIRING_RESPONSE);
	free(a);
}

/* SC OOB with both sides' data through the actors: the central's app
 * gives the peripheral's data with pair, the peripheral's app answers the
 * OOB_DATA prompt with the central's; each side pairs with the key pair
 * its data was made with (else the other's C check would fail). */
Test(smp_attempts, sc_oob_both_sides_through_the_prompt)
{
	struct smp_settings s;
	smp_settings_default(&s);
	s.cfg.io_cap = SMP_IO_NO_INPUT_NO_OUTPUT;
	struct pair_world w = { .c = actor_with(&s, NULL), .p = actor_with(&s, NULL) };
	smp_actor_subscribe(w.c, "app", 1);
	smp_actor_subscribe(w.p, "app", 1);
	link_up(&w);
	smp_actor_out_clear(w.c);
	smp_actor_out_clear(w.p);
	smp_actor_oob_local(w.p, "app", 2, false);
	struct smp_act pd = w.p->out[0];
	smp_actor_oob_local(w.c, "app", 3, false);
	struct smp_act cd = w.c->out[0];
	smp_actor_out_clear(w.c);
	smp_actor_out_clear(w.p);
	cr_assert_eq(pd.type, SMP_ACT_OOB);
	cr_assert_eq(cd.type, SMP_ACT_OOB);
	struct smp_pair_opts o = { .io_cap = -1, .has_oob = true };
	memcpy(o.oob_c, pd.oob_c, 16);
	memcpy(o.oob_r, pd.oob_r, 16);
	smp_actor_pair(w.c, "app", 4, 0x40, &o);
	wire(&w);
	cr_assert_eq(w.last_prompt[1], SMP_PROMPT_OOB_DATA);
	cr_assert_eq(w.completes[0], 0);
	/* Accepting without the data is an error the app hears of. */
	smp_actor_user_reply(w.p, "app", 5, 0x40, true, 0, NULL);
	cr_assert_eq(w.p->out[0].status, -EINVAL);
	smp_actor_out_clear(w.p);
	struct smp_oob_answer ans = { .has_data = true };
	memcpy(ans.c, cd.oob_c, 16);
	memcpy(ans.r, cd.oob_r, 16);
	smp_actor_user_reply(w.p, "app", 6, 0x40, true, 0, &ans);
	wire(&w);
	cr_assert_eq(w.completes[0], 1);
	cr_assert_eq(w.completes[1], 1);
	cr_assert_eq(w.method[0], SMP_METHOD_OOB);
	cr_assert_eq(w.method[1], SMP_METHOD_OOB);
	/* Given data the central's key pair did not make: the peripheral
	 * finds the C wrong (0x04). */
	link_down(&w);
	link_up(&w);
	smp_actor_pair(w.c, "app", 7, 0x40, &o);
	wire(&w);
	ans.c[3] ^= 0x10;
	smp_actor_user_reply(w.p, "app", 8, 0x40, true, 0, &ans);
	wire(&w);
	cr_assert_eq(w.completes[0], 1);
	cr_assert_eq(w.c->links[0].p.fails, 0);
	cr_assert_eq(w.p->attempts[0].fails, 1, "the peripheral found it");
	free(w.c);
	free(w.p);
}
