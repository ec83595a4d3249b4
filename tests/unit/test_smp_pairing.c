/* The SMP pairing state machine: an initiator and a responder wired to each
 * other through their outboxes, with fixed randoms and a test clock. Each
 * method pairs and both sides hold the same keys (and the spec's DHKey and
 * LTK where Appendix D gives them); every failure ends with the right
 * Pairing Failed reason. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../actors/smp/smp_pairing.h"

struct side {
	struct smp_pairing p;
	uint64_t rng;
	const uint8_t *script[4]; /* fixed randoms, taken in order when the length fits */
	size_t script_len[4];
	unsigned script_pos;
	uint32_t displayed, number, keypress;
	bool asked_passkey, asked_confirm, displayed_set;
	bool user_rejects;
	unsigned complete, failed, timeout, sec_req, confirms_sent;
	uint8_t reason;
	bool remote;
	uint8_t enc_key[16];
	bool have_enc;
	uint8_t last_rand[16]; /* last Pairing Random this side sent */
};

struct world {
	struct side i, r;
	uint64_t now;
	uint32_t both_input_passkey;
	bool manual; /* the test answers the user's questions itself */
	/* Called for every PDU in flight; may change it; false drops it. */
	bool (*mutate)(struct world *w, bool from_init, uint8_t *pdu, size_t *len);
	unsigned mutate_count;
};

static void fake_rand(void *arg, void *buf, size_t n)
{
	struct side *s = arg;
	if (s->script_pos < 4 && s->script[s->script_pos] && s->script_len[s->script_pos] == n) {
		memcpy(buf, s->script[s->script_pos++], n);
		return;
	}
	uint8_t *b = buf;
	for (size_t k = 0; k < n; k++) {
		s->rng ^= s->rng << 13;
		s->rng ^= s->rng >> 7;
		s->rng ^= s->rng << 17;
		b[k] = (uint8_t)(s->rng >> 24);
	}
}

static uint64_t *clock_of(struct side *s);
static uint64_t fake_now(void *arg)
{
	return *clock_of(arg);
}

static struct world *W; /* the one world of the running test, for fake_now */
static uint64_t *clock_of(struct side *s)
{
	(void)s;
	return &W->now;
}

static const struct smp_addr addr_i = { 1, { 0xc1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6 } };
static const struct smp_addr addr_r = { 0, { 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6 } };

static struct smp_config cfg_default(uint8_t io)
{
	struct smp_config c = {
		.io_cap = io,
		.auth_req = SMP_AUTH_BONDING | SMP_AUTH_SC,
		.max_key_size = 16,
		.min_key_size = 7,
		.init_key_dist = SMP_DIST_ENC_KEY | SMP_DIST_ID_KEY | SMP_DIST_SIGN_KEY,
		.resp_key_dist = SMP_DIST_ENC_KEY | SMP_DIST_ID_KEY | SMP_DIST_SIGN_KEY,
	};
	for (int k = 0; k < 16; k++) {
		c.irk[k] = (uint8_t)(0x10 + k + io);
		c.csrk[k] = (uint8_t)(0x30 + k + io);
	}
	c.identity.type = 0;
	memset(c.identity.a, 0x50 + io, 6);
	return c;
}

static void setup(struct world *w, const struct smp_config *ci, const struct smp_config *cr)
{
	memset(w, 0, sizeof *w);
	W = w;
	w->now = 1000000;
	w->i.rng = 0x1234567887654321ull;
	w->r.rng = 0x0fedcba987654321ull;
	struct smp_ops oi = { fake_rand, fake_now, &w->i }, or_ = { fake_rand, fake_now, &w->r };
	smp_pairing_init(&w->i.p, SMP_ROLE_INITIATOR, ci, &oi, &addr_i, &addr_r);
	smp_pairing_init(&w->r.p, SMP_ROLE_RESPONDER, cr, &or_, &addr_r, &addr_i);
}

/* Takes one side's events and acts as the wire, the host and (unless
 * manual) the user. Returns the number of events handled. */
static unsigned drain(struct world *w, bool init)
{
	struct side *s = init ? &w->i : &w->r, *o = init ? &w->r : &w->i;
	struct smp_outbox box = s->p.out;
	smp_outbox_clear(&s->p.out);
	cr_assert_not(box.overflow, "outbox overflow");
	for (unsigned k = 0; k < box.n; k++) {
		struct smp_event *e = &box.ev[k];
		switch (e->type) {
		case SMP_EV_SEND: {
			uint8_t pdu[SMP_PDU_MAX + 1];
			size_t len = e->len;
			memcpy(pdu, e->pdu, len);
			if (pdu[0] == SMP_PAIRING_CONFIRM)
				s->confirms_sent++;
			if (pdu[0] == SMP_PAIRING_RANDOM)
				for (int b = 0; b < 16; b++)
					s->last_rand[b] = pdu[16 - b];
			if (w->mutate && !w->mutate(w, init, pdu, &len))
				break;
			smp_pairing_on_pdu(&o->p, pdu, len);
			break;
		}
		case SMP_EV_PASSKEY_DISPLAY:
			s->displayed = e->value;
			s->displayed_set = true;
			break;
		case SMP_EV_PASSKEY_REQUEST:
			s->asked_passkey = true;
			break;
		case SMP_EV_CONFIRM_NUMBER:
			s->number = e->value;
			s->asked_confirm = true;
			break;
		case SMP_EV_CONFIRM_JUST_WORKS:
			s->asked_confirm = true;
			break;
		case SMP_EV_KEYPRESS:
			s->keypress = e->value;
			break;
		case SMP_EV_START_ENCRYPTION:
			memcpy(s->enc_key, e->key, 16);
			s->have_enc = true;
			cr_assert_eq(e->ediv, 0);
			cr_assert_eq(e->rand, 0);
			/* The host: the peripheral's controller asks for the LTK. */
			cr_assert_eq(smp_pairing_ltk_request(&o->p, 0, 0), 0);
			break;
		case SMP_EV_LTK_REPLY: {
			memcpy(s->enc_key, e->key, 16);
			s->have_enc = true;
			uint8_t st = memcmp(w->i.enc_key, w->r.enc_key, 16) ? 0x06 : 0x00;
			smp_pairing_encryption_changed(&w->r.p, st);
			smp_pairing_encryption_changed(&w->i.p, st);
			break;
		}
		case SMP_EV_SECURITY_REQUEST:
			s->sec_req++;
			cr_assert_eq(smp_pairing_start(&s->p), 0);
			break;
		case SMP_EV_COMPLETE:
			s->complete++;
			break;
		case SMP_EV_FAILED:
			s->failed++;
			s->reason = e->reason;
			s->remote = e->remote;
			break;
		case SMP_EV_TIMEOUT:
			s->timeout++;
			break;
		}
	}
	return box.n;
}

static bool user(struct world *w, struct side *s, struct side *o)
{
	if (w->manual)
		return false;
	if (s->asked_passkey) {
		uint32_t pk = o->displayed_set ? o->displayed : w->both_input_passkey;
		if (!o->displayed_set && o->asked_passkey == false && o->p.local_displays)
			return false; /* the other side has not shown it yet */
		s->asked_passkey = false;
		smp_pairing_passkey_reply(&s->p, !s->user_rejects, pk);
		return true;
	}
	if (s->asked_confirm) {
		s->asked_confirm = false;
		smp_pairing_confirm_reply(&s->p, !s->user_rejects);
		return true;
	}
	return false;
}

static void pump(struct world *w)
{
	for (int guard = 0; guard < 1000; guard++) {
		unsigned n = drain(w, true) + drain(w, false);
		if (!n && !user(w, &w->i, &w->r) && !user(w, &w->r, &w->i))
			return;
	}
	cr_assert_fail("pump did not settle");
}

static void pair(struct world *w)
{
	cr_assert_eq(smp_pairing_start(&w->i.p), 0);
	pump(w);
}

static void assert_paired(struct world *w)
{
	cr_assert_eq(w->i.failed, 0, "initiator failed: 0x%02x", w->i.reason);
	cr_assert_eq(w->r.failed, 0, "responder failed: 0x%02x", w->r.reason);
	cr_assert_eq(w->i.complete, 1);
	cr_assert_eq(w->r.complete, 1);
	cr_assert_arr_eq(w->i.enc_key, w->r.enc_key, 16);
	const struct smp_keys *ki = &w->i.p.keys, *kr = &w->r.p.keys;
	cr_assert_eq(ki->key_size, kr->key_size);
	cr_assert_eq(ki->local.dist, kr->peer.dist);
	cr_assert_eq(kr->local.dist, ki->peer.dist);
	if (kr->local.dist & SMP_DIST_ENC_KEY) {
		cr_assert_arr_eq(kr->local.ltk, ki->peer.ltk, 16);
		cr_assert_eq(kr->local.ediv, ki->peer.ediv);
		cr_assert_eq(kr->local.rand, ki->peer.rand);
	}
	if (ki->local.dist & SMP_DIST_ENC_KEY)
		cr_assert_arr_eq(ki->local.ltk, kr->peer.ltk, 16);
	if (kr->local.dist & SMP_DIST_ID_KEY) {
		cr_assert_arr_eq(ki->peer.irk, w->r.p.cfg.irk, 16);
		cr_assert_arr_eq(ki->peer.identity.a, w->r.p.cfg.identity.a, 6);
	}
	if (ki->local.dist & SMP_DIST_ID_KEY)
		cr_assert_arr_eq(kr->peer.irk, w->i.p.cfg.irk, 16);
	if (ki->local.dist & SMP_DIST_SIGN_KEY)
		cr_assert_arr_eq(kr->peer.csrk, w->i.p.cfg.csrk, 16);
	if (ki->sc)
		cr_assert_arr_eq(ki->ltk, kr->ltk, 16);
	cr_assert_eq(w->i.p.state, SMP_ST_IDLE);
	cr_assert_eq(w->r.p.state, SMP_ST_IDLE);
}

/* ---- LE legacy ------------------------------------------------------------- */

Test(smp_pairing, legacy_just_works)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	c.auth_req = SMP_AUTH_BONDING;
	setup(&w, &c, &c);
	pair(&w);
	assert_paired(&w);
	cr_assert_not(w.i.p.keys.sc);
	cr_assert_not(w.i.p.keys.authenticated);
	cr_assert_eq(w.i.p.keys.local.dist, 7);
	cr_assert_eq(w.r.p.keys.local.dist, 7);
	/* STK = s1(TK = 0, Srand, Mrand) from the randoms seen on the wire. */
	uint8_t tk[16] = { 0 }, stk[16];
	cr_assert_eq(smp_s1(tk, w.r.last_rand, w.i.last_rand, stk), 0);
	cr_assert_arr_eq(w.i.enc_key, stk, 16);
}

Test(smp_pairing, legacy_passkey_responder_displays)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_KEYBOARD_ONLY), cr = cfg_default(SMP_IO_DISPLAY_ONLY);
	ci.auth_req = cr.auth_req = SMP_AUTH_BONDING | SMP_AUTH_MITM;
	setup(&w, &ci, &cr);
	pair(&w);
	assert_paired(&w);
	cr_assert(w.r.displayed_set);
	cr_assert_not(w.i.displayed_set);
	cr_assert(w.i.p.keys.authenticated);
	uint8_t tk[16] = { 0 }, stk[16];
	tk[12] = (uint8_t)(w.r.displayed >> 24);
	tk[13] = (uint8_t)(w.r.displayed >> 16);
	tk[14] = (uint8_t)(w.r.displayed >> 8);
	tk[15] = (uint8_t)w.r.displayed;
	cr_assert_eq(smp_s1(tk, w.r.last_rand, w.i.last_rand, stk), 0);
	cr_assert_arr_eq(w.i.enc_key, stk, 16);
}

Test(smp_pairing, legacy_passkey_initiator_displays_and_both_input)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_KEYBOARD_DISPLAY), cr = cfg_default(SMP_IO_KEYBOARD_DISPLAY);
	ci.auth_req = cr.auth_req = SMP_AUTH_BONDING | SMP_AUTH_MITM;
	setup(&w, &ci, &cr);
	pair(&w);
	assert_paired(&w);
	cr_assert(w.i.displayed_set); /* KeyboardDisplay both: initiator displays */
	ci = cfg_default(SMP_IO_KEYBOARD_ONLY);
	cr = cfg_default(SMP_IO_KEYBOARD_ONLY);
	ci.auth_req = cr.auth_req = SMP_AUTH_MITM;
	setup(&w, &ci, &cr);
	w.both_input_passkey = 123456;
	pair(&w);
	assert_paired(&w);
	cr_assert_not(w.i.displayed_set);
	cr_assert_not(w.r.displayed_set);
	cr_assert_eq(w.i.p.keys.local.dist, 0); /* no bonding, no keys */
}

Test(smp_pairing, legacy_oob)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	c.auth_req = SMP_AUTH_BONDING;
	c.oob_present = true;
	memset(c.oob_tk, 0x5a, 16);
	setup(&w, &c, &c);
	pair(&w);
	assert_paired(&w);
	cr_assert(w.i.p.keys.authenticated);
	/* Different TKs: the confirm check fails at the responder. */
	struct smp_config c2 = c;
	c2.oob_tk[0] ^= 1;
	setup(&w, &c, &c2);
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
}

Test(smp_pairing, legacy_key_size_7_masks_keys)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT), cr = ci;
	ci.auth_req = cr.auth_req = SMP_AUTH_BONDING;
	cr.max_key_size = 7;
	setup(&w, &ci, &cr);
	pair(&w);
	assert_paired(&w);
	cr_assert_eq(w.i.p.keys.key_size, 7);
	static const uint8_t zero[9] = { 0 };
	cr_assert_arr_eq(w.i.enc_key, zero, 9);
	cr_assert_arr_eq(w.r.p.keys.local.ltk, zero, 9);
	cr_assert_arr_eq(w.i.p.keys.local.ltk, zero, 9);
}

Test(smp_pairing, legacy_just_works_user_accepts)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	c.auth_req = SMP_AUTH_BONDING;
	c.confirm_just_works = true;
	setup(&w, &c, &c);
	pair(&w);
	assert_paired(&w);
}

/* ---- LE Secure Connections --------------------------------------------------- */

static const uint8_t priv_a[32] = {
	0x3f, 0x49, 0xf6, 0xd4, 0xa3, 0xc5, 0x5f, 0x38, 0x74, 0xc9, 0xb3, 0xe3, 0xd2, 0x10, 0x3f, 0x50,
	0x4a, 0xff, 0x60, 0x7b, 0xeb, 0x40, 0xb7, 0x99, 0x58, 0x99, 0xb8, 0xa6, 0xcd, 0x3c, 0x1a, 0xbd
};
static const uint8_t priv_b[32] = {
	0x55, 0x18, 0x8b, 0x3d, 0x32, 0xf6, 0xbb, 0x9a, 0x90, 0x0a, 0xfc, 0xfb, 0xee, 0xd4, 0xe7, 0x2a,
	0x59, 0xcb, 0x9a, 0xc2, 0xf1, 0x9d, 0x7c, 0xfb, 0x6b, 0x4f, 0xdd, 0x49, 0xf4, 0x7f, 0xc5, 0xfd
};
static const uint8_t spec_dhkey[32] = {
	0xec, 0x02, 0x34, 0xa3, 0x57, 0xc8, 0xad, 0x05, 0x34, 0x10, 0x10, 0xa6, 0x0a, 0x39, 0x7d, 0x9b,
	0x99, 0x79, 0x6b, 0x13, 0xb4, 0xf8, 0x66, 0xf1, 0x86, 0x8d, 0x34, 0xf3, 0x73, 0xbf, 0xa6, 0x98
};
static const uint8_t spec_na[16] = { 0xd5, 0xcb, 0x84, 0x54, 0xd1, 0x77, 0x73, 0x3e,
				     0xff, 0xff, 0xb2, 0xec, 0x71, 0x2b, 0xae, 0xab };
static const uint8_t spec_nb[16] = { 0xa6, 0xe8, 0xe7, 0xcc, 0x25, 0xa7, 0x5f, 0x6e,
				     0x21, 0x65, 0x83, 0xf7, 0xff, 0x3d, 0xc4, 0xcf };
static const uint8_t spec_ltk[16] = { 0x69, 0x86, 0x79, 0x11, 0x69, 0xd7, 0xcd, 0x23,
				      0x98, 0x05, 0x22, 0xb5, 0x94, 0x75, 0x0a, 0x38 };

static void script(struct side *s, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	s->script[0] = a;
	s->script_len[0] = an;
	s->script[1] = b;
	s->script_len[1] = bn;
}

Test(smp_pairing, sc_just_works_gives_the_spec_dhkey_and_ltk)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	setup(&w, &c, &c);
	/* Appendix D: A1 = 00 561237 37bfce, A2 = 00 a71370 2dcfc1. */
	static const struct smp_addr a1 = { 0, { 0x56, 0x12, 0x37, 0x37, 0xbf, 0xce } };
	static const struct smp_addr a2 = { 0, { 0xa7, 0x13, 0x70, 0x2d, 0xcf, 0xc1 } };
	w.i.p.local = a1;
	w.i.p.peer = a2;
	w.r.p.local = a2;
	w.r.p.peer = a1;
	script(&w.i, priv_a, 32, spec_na, 16);
	script(&w.r, priv_b, 32, spec_nb, 16);
	/* Stop at the user's Just Works question to look at the DHKey (it is
	 * wiped when pairing ends). */
	w.i.p.cfg.confirm_just_works = w.r.p.cfg.confirm_just_works = true;
	w.manual = true;
	pair(&w);
	cr_assert(w.i.asked_confirm && w.r.asked_confirm);
	cr_assert_arr_eq(w.i.p.dhkey, spec_dhkey, 32);
	cr_assert_arr_eq(w.r.p.dhkey, spec_dhkey, 32);
	w.manual = false;
	pump(&w);
	assert_paired(&w);
	cr_assert(w.i.p.keys.sc);
	static const uint8_t zero[32] = { 0 };
	cr_assert_arr_eq(w.i.p.dhkey, zero, 32);
	cr_assert_arr_eq(w.i.p.keys.ltk, spec_ltk, 16);
	cr_assert_arr_eq(w.i.enc_key, spec_ltk, 16);
	/* SC distributes no LTK: EncKey ignored. */
	cr_assert_eq(w.i.p.keys.local.dist, SMP_DIST_ID_KEY | SMP_DIST_SIGN_KEY);
	cr_assert_eq(w.r.p.keys.local.dist, SMP_DIST_ID_KEY | SMP_DIST_SIGN_KEY);
}

Test(smp_pairing, sc_numeric_comparison)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_DISPLAY_YES_NO);
	c.auth_req |= SMP_AUTH_MITM;
	setup(&w, &c, &c);
	pair(&w);
	assert_paired(&w);
	cr_assert(w.i.p.keys.authenticated);
	cr_assert_eq(w.i.number, w.r.number);
	cr_assert_lt(w.i.number, 1000000);
}

Test(smp_pairing, sc_passkey_20_rounds)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_KEYBOARD_DISPLAY), cr = cfg_default(SMP_IO_KEYBOARD_ONLY);
	ci.auth_req |= SMP_AUTH_MITM;
	setup(&w, &ci, &cr);
	pair(&w);
	assert_paired(&w);
	cr_assert(w.i.displayed_set); /* KeyboardOnly responder types it */
	cr_assert_eq(w.i.confirms_sent, 20);
	cr_assert_eq(w.r.confirms_sent, 20);
	cr_assert(w.i.p.keys.authenticated);
}

Test(smp_pairing, sc_passkey_both_input_with_keypress)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_KEYBOARD_ONLY);
	c.auth_req |= SMP_AUTH_MITM | SMP_AUTH_KEYPRESS;
	setup(&w, &c, &c);
	w.manual = true;
	w.both_input_passkey = 999999;
	cr_assert_eq(smp_pairing_start(&w.i.p), 0);
	pump(&w);
	cr_assert(w.i.asked_passkey);
	cr_assert(w.r.asked_passkey);
	cr_assert_eq(smp_pairing_keypress(&w.r.p, SMP_KEYPRESS_STARTED), 0);
	cr_assert_eq(smp_pairing_keypress(&w.r.p, SMP_KEYPRESS_DIGIT_ENTERED), 0);
	pump(&w);
	cr_assert_eq(w.i.keypress, SMP_KEYPRESS_DIGIT_ENTERED);
	cr_assert_eq(smp_pairing_keypress(&w.r.p, 9), -EPERM);
	cr_assert_eq(smp_pairing_passkey_reply(&w.r.p, true, 999999), 0);
	cr_assert_eq(smp_pairing_passkey_reply(&w.r.p, true, 999999), -EALREADY);
	pump(&w);
	cr_assert_eq(smp_pairing_passkey_reply(&w.i.p, true, 999999), 0);
	pump(&w);
	assert_paired(&w);
}

Test(smp_pairing, sc_passkey_mismatch_fails_confirm)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_KEYBOARD_ONLY);
	c.auth_req |= SMP_AUTH_MITM;
	setup(&w, &c, &c);
	w.manual = true;
	pair(&w);
	smp_pairing_passkey_reply(&w.r.p, true, 111111);
	smp_pairing_passkey_reply(&w.i.p, true, 111110); /* differs in bit 0 */
	pump(&w);
	/* Bit 0 differs: the responder sees it in round 0, from Na0. */
	cr_assert_eq(w.r.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
	cr_assert_not(w.r.remote);
	cr_assert_eq(w.i.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
	cr_assert(w.i.remote);
	cr_assert_eq(w.i.confirms_sent, 1);
}

Test(smp_pairing, security_request_from_the_peripheral)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	setup(&w, &c, &c);
	cr_assert_eq(smp_pairing_start(&w.r.p), 0);
	pump(&w);
	cr_assert_eq(w.i.sec_req, 1);
	assert_paired(&w);
	/* And again on the same link (re-pairing). */
	w.i.complete = w.r.complete = 0;
	pair(&w);
	assert_paired(&w);
}

/* ---- failures ------------------------------------------------------------------ */

static bool flip_code(struct world *w, bool from_init, uint8_t *pdu, size_t *len, uint8_t code,
		      bool want_init, unsigned nth, size_t at)
{
	if (from_init == want_init && pdu[0] == code && w->mutate_count++ == nth)
		pdu[at] ^= 0x01;
	return true;
}

static bool bad_mconfirm(struct world *w, bool fi, uint8_t *pdu, size_t *len)
{
	return flip_code(w, fi, pdu, len, SMP_PAIRING_CONFIRM, true, 0, 5);
}

Test(smp_pairing, legacy_wrong_confirm_value)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	c.auth_req = SMP_AUTH_BONDING;
	setup(&w, &c, &c);
	w.mutate = bad_mconfirm;
	pair(&w);
	cr_assert_eq(w.r.failed, 1);
	cr_assert_eq(w.r.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
	cr_assert_eq(w.i.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
	cr_assert(w.i.remote);
	cr_assert_eq(w.i.complete + w.r.complete, 0);
	cr_assert_not(w.i.have_enc);
}

static bool bad_cb(struct world *w, bool fi, uint8_t *pdu, size_t *len)
{
	return flip_code(w, fi, pdu, len, SMP_PAIRING_CONFIRM, false, 0, 16);
}

Test(smp_pairing, sc_wrong_confirm_value)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	setup(&w, &c, &c);
	w.mutate = bad_cb;
	pair(&w);
	cr_assert_eq(w.i.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
	cr_assert_not(w.i.remote);
	cr_assert_eq(w.r.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
}

static bool off_curve(struct world *w, bool fi, uint8_t *pdu, size_t *len)
{
	if (fi && pdu[0] == SMP_PAIRING_PUBLIC_KEY)
		memset(pdu + 33, 0, 32); /* y = 0: CVE-2018-5383 */
	return true;
}

Test(smp_pairing, invalid_public_key_is_refused)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	setup(&w, &c, &c);
	w.mutate = off_curve;
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_INVALID_PARAMETERS);
	cr_assert_not(w.r.remote);
	cr_assert_eq(w.i.reason, SMP_ERR_INVALID_PARAMETERS);
	cr_assert(w.i.remote);
	cr_assert_not(w.i.have_enc);
}

static bool off_curve_resp(struct world *w, bool fi, uint8_t *pdu, size_t *len)
{
	if (!fi && pdu[0] == SMP_PAIRING_PUBLIC_KEY)
		pdu[40] ^= 0x80;
	return true;
}

Test(smp_pairing, invalid_public_key_from_the_responder)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	setup(&w, &c, &c);
	w.mutate = off_curve_resp;
	pair(&w);
	cr_assert_eq(w.i.reason, SMP_ERR_INVALID_PARAMETERS);
	cr_assert_not(w.i.remote);
}

static bool bad_ea(struct world *w, bool fi, uint8_t *pdu, size_t *len)
{
	return flip_code(w, fi, pdu, len, SMP_PAIRING_DHKEY_CHECK, true, 0, 1);
}

static bool bad_eb(struct world *w, bool fi, uint8_t *pdu, size_t *len)
{
	return flip_code(w, fi, pdu, len, SMP_PAIRING_DHKEY_CHECK, false, 0, 9);
}

Test(smp_pairing, dhkey_check_fails)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_DISPLAY_YES_NO);
	c.auth_req |= SMP_AUTH_MITM;
	setup(&w, &c, &c);
	w.mutate = bad_ea;
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_DHKEY_CHECK_FAILED);
	cr_assert_not(w.r.remote);
	cr_assert_eq(w.i.reason, SMP_ERR_DHKEY_CHECK_FAILED);
	setup(&w, &c, &c);
	w.mutate = bad_eb;
	pair(&w);
	cr_assert_eq(w.i.reason, SMP_ERR_DHKEY_CHECK_FAILED);
	cr_assert_not(w.i.remote);
	cr_assert_eq(w.r.reason, SMP_ERR_DHKEY_CHECK_FAILED);
	cr_assert(w.r.remote);
	cr_assert_not(w.i.have_enc);
}

/* Feeds raw bytes to one side and returns the Pairing Failed reason it
 * sent (0 when it sent none). */
static uint8_t feed(struct side *s, const uint8_t *pdu, size_t len)
{
	smp_outbox_clear(&s->p.out);
	smp_pairing_on_pdu(&s->p, pdu, len);
	uint8_t reason = 0;
	for (unsigned k = 0; k < s->p.out.n; k++)
		if (s->p.out.ev[k].type == SMP_EV_SEND && s->p.out.ev[k].pdu[0] == SMP_PAIRING_FAILED)
			reason = s->p.out.ev[k].pdu[1];
	return reason;
}

#define FEED(s, ...) feed((s), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

Test(smp_pairing, key_size_6_and_17_in_pairing_request)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	setup(&w, &c, &c);
	cr_assert_eq(FEED(&w.r, 0x01, 0x03, 0x00, 0x01, 6, 0x07, 0x07), SMP_ERR_ENCRYPTION_KEY_SIZE);
	cr_assert_eq(w.r.p.state, SMP_ST_IDLE);
	cr_assert_eq(FEED(&w.r, 0x01, 0x03, 0x00, 0x01, 17, 0x07, 0x07), SMP_ERR_INVALID_PARAMETERS);
	cr_assert_eq(FEED(&w.r, 0x01, 0x05, 0x00, 0x01, 16, 0x07, 0x07), SMP_ERR_INVALID_PARAMETERS);
	cr_assert_eq(FEED(&w.r, 0x01, 0x03, 0x02, 0x01, 16, 0x07, 0x07), SMP_ERR_INVALID_PARAMETERS);
	/* Key size 7 is fine. */
	cr_assert_eq(FEED(&w.r, 0x01, 0x03, 0x00, 0x01, 7, 0x07, 0x07), 0);
	cr_assert_eq(w.r.p.key_size, 7);
}

Test(smp_pairing, configured_minimum_key_size)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT), cr = ci;
	ci.max_key_size = 10;
	cr.min_key_size = 16;
	setup(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_ENCRYPTION_KEY_SIZE);
	cr_assert_eq(w.i.reason, SMP_ERR_ENCRYPTION_KEY_SIZE);
	cr_assert(w.i.remote);
	/* The central checks the response the same way. */
	ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	ci.min_key_size = 12;
	cr = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	cr.max_key_size = 11;
	setup(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.i.reason, SMP_ERR_ENCRYPTION_KEY_SIZE);
	cr_assert_not(w.i.remote);
}

Test(smp_pairing, out_of_sequence_pdus)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	setup(&w, &c, &c);
	uint8_t confirm[17] = { SMP_PAIRING_CONFIRM };
	/* Pairing Confirm before Pairing Response. */
	cr_assert_eq(smp_pairing_start(&w.i.p), 0);
	cr_assert_eq(feed(&w.i, confirm, sizeof confirm), SMP_ERR_UNSPECIFIED);
	cr_assert_eq(w.i.p.state, SMP_ST_IDLE);
	/* A confirm to an idle responder. */
	cr_assert_eq(feed(&w.r, confirm, sizeof confirm), SMP_ERR_UNSPECIFIED);
	/* A second Pairing Request during pairing. */
	cr_assert_eq(FEED(&w.r, 0x01, 0x03, 0x00, 0x09, 16, 0x07, 0x07), 0);
	cr_assert_eq(w.r.p.state, SMP_ST_PAIRING);
	cr_assert_eq(FEED(&w.r, 0x01, 0x03, 0x00, 0x09, 16, 0x07, 0x07), SMP_ERR_UNSPECIFIED);
	cr_assert_eq(w.r.p.state, SMP_ST_IDLE);
	/* PDUs a role never receives. */
	cr_assert_eq(FEED(&w.i, 0x01, 0x03, 0x00, 0x09, 16, 0x07, 0x07), SMP_ERR_COMMAND_NOT_SUPPORTED);
	cr_assert_eq(FEED(&w.r, 0x02, 0x03, 0x00, 0x09, 16, 0x07, 0x07), SMP_ERR_COMMAND_NOT_SUPPORTED);
	cr_assert_eq(FEED(&w.r, 0x0b, 0x01), SMP_ERR_COMMAND_NOT_SUPPORTED);
	/* Unknown codes. */
	cr_assert_eq(FEED(&w.r, 0x0f, 0x00), SMP_ERR_COMMAND_NOT_SUPPORTED);
	cr_assert_eq(FEED(&w.r, 0x00), SMP_ERR_COMMAND_NOT_SUPPORTED);
	/* A Pairing Failed when idle is never answered. */
	cr_assert_eq(FEED(&w.r, 0x05, 0x08), 0);
	cr_assert_eq(w.r.p.out.n, 0);
}

Test(smp_pairing, wrong_length_fails_with_invalid_parameters)
{
	static const uint8_t lens[] = { 0, 7, 7, 17, 17, 2, 17, 11, 17, 8, 17, 2, 65, 17, 2 };
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	uint8_t buf[80] = { 0 };
	for (uint8_t code = 1; code <= SMP_CODE_MAX; code++) {
		for (int d = -1; d <= 1; d += 2) {
			setup(&w, &c, &c);
			/* The responder mid-pairing (waiting for the public key). */
			cr_assert_eq(FEED(&w.r, 0x01, 0x03, 0x00, 0x09, 16, 0x07, 0x07), 0);
			memset(buf, 0, sizeof buf);
			buf[0] = code;
			buf[1] = 0x01;
			cr_assert_eq(feed(&w.r, buf, (size_t)(lens[code] + d)), SMP_ERR_INVALID_PARAMETERS,
				     "code 0x%02x len %d", code, lens[code] + d);
			cr_assert_eq(w.r.p.state, SMP_ST_IDLE);
		}
	}
}

Test(smp_pairing, timeout_ends_smp_on_the_link)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_KEYBOARD_ONLY);
	c.auth_req |= SMP_AUTH_MITM;
	setup(&w, &c, &c);
	w.manual = true; /* nobody types the passkey */
	pair(&w);
	cr_assert(w.i.asked_passkey);
	cr_assert_eq(smp_pairing_deadline(&w.i.p), w.now + SMP_TIMEOUT_MS);
	w.now += SMP_TIMEOUT_MS - 1;
	smp_pairing_tick(&w.i.p);
	pump(&w);
	cr_assert_eq(w.i.timeout, 0);
	w.now += 1;
	smp_pairing_tick(&w.i.p);
	smp_pairing_tick(&w.r.p);
	pump(&w);
	cr_assert_eq(w.i.timeout, 1);
	cr_assert_eq(w.r.timeout, 1);
	cr_assert_eq(w.i.p.state, SMP_ST_TIMED_OUT);
	cr_assert_eq(smp_pairing_deadline(&w.i.p), 0);
	/* Nothing more on this link: no answer, no start, no user. */
	cr_assert_eq(FEED(&w.r, 0x01, 0x03, 0x00, 0x09, 16, 0x07, 0x07), 0);
	cr_assert_eq(w.r.p.out.n, 0);
	cr_assert_eq(smp_pairing_start(&w.i.p), -ETIMEDOUT);
	cr_assert_eq(smp_pairing_start(&w.r.p), -ETIMEDOUT);
	cr_assert_eq(smp_pairing_passkey_reply(&w.i.p, true, 1), -EALREADY);
	smp_pairing_tick(&w.i.p);
	cr_assert_eq(w.i.p.out.n, 0);
}

Test(smp_pairing, timeout_noticed_on_input)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	setup(&w, &c, &c);
	cr_assert_eq(smp_pairing_start(&w.i.p), 0);
	smp_outbox_clear(&w.i.p.out);
	w.now += SMP_TIMEOUT_MS;
	cr_assert_eq(FEED(&w.i, 0x02, 0x03, 0x00, 0x09, 16, 0x07, 0x07), 0);
	cr_assert_eq(w.i.p.out.n, 1);
	cr_assert_eq(w.i.p.out.ev[0].type, SMP_EV_TIMEOUT);
}

Test(smp_pairing, passkey_rejected_by_the_user)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_KEYBOARD_ONLY), cr = cfg_default(SMP_IO_DISPLAY_ONLY);
	ci.auth_req |= SMP_AUTH_MITM;
	setup(&w, &ci, &cr);
	w.i.user_rejects = true;
	pair(&w);
	cr_assert_eq(w.i.reason, SMP_ERR_PASSKEY_ENTRY_FAILED);
	cr_assert_not(w.i.remote);
	cr_assert_eq(w.r.reason, SMP_ERR_PASSKEY_ENTRY_FAILED);
	cr_assert(w.r.remote);
	/* Legacy too, and an out-of-range passkey. */
	ci.auth_req = cr.auth_req = SMP_AUTH_MITM;
	setup(&w, &ci, &cr);
	w.manual = true;
	pair(&w);
	cr_assert_eq(smp_pairing_passkey_reply(&w.i.p, true, 1000000), 0);
	pump(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_PASSKEY_ENTRY_FAILED);
}

Test(smp_pairing, numeric_comparison_rejected)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_DISPLAY_YES_NO);
	c.auth_req |= SMP_AUTH_MITM;
	setup(&w, &c, &c);
	w.r.user_rejects = true;
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_NUMERIC_COMPARISON_FAILED);
	cr_assert_eq(w.i.reason, SMP_ERR_NUMERIC_COMPARISON_FAILED);
	cr_assert(w.i.remote);
}

Test(smp_pairing, policy_refusals)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT), cr = ci;
	cr.pairing_disabled = true;
	setup(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.i.reason, SMP_ERR_PAIRING_NOT_SUPPORTED);
	/* Secure Connections only against a legacy peer. */
	cr = ci;
	cr.sc_only = true;
	ci.auth_req = SMP_AUTH_BONDING;
	setup(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.i.reason, SMP_ERR_AUTH_REQUIREMENTS);
	/* MITM required, but nobody has a display or a keyboard. */
	ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	cr = ci;
	cr.require_mitm = true;
	cr.auth_req |= SMP_AUTH_MITM;
	setup(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_AUTH_REQUIREMENTS);
	/* SC with an OOB flag: we have no SC OOB data. */
	ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	cr = ci;
	ci.oob_present = true;
	setup(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_OOB_NOT_AVAILABLE);
}

Test(smp_pairing, repeated_attempts_back_off_grows)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	c.auth_req = SMP_AUTH_BONDING;
	setup(&w, &c, &c);
	w.mutate = bad_mconfirm;
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
	cr_assert_eq(w.r.p.fails, 1);
	/* Within 2 s: Repeated Attempts, and the central itself waits too. */
	cr_assert_eq(smp_pairing_start(&w.i.p), -EBUSY);
	w.i.p.retry_at = 0; /* a central that does not wait */
	cr_assert_eq(smp_pairing_start(&w.i.p), 0);
	pump(&w);
	cr_assert_eq(w.i.reason, SMP_ERR_REPEATED_ATTEMPTS);
	cr_assert(w.i.remote);
	/* After 2 s it may try; it fails again: now 4 s. */
	w.now += SMP_RETRY_BASE_MS;
	w.mutate_count = 0;
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
	cr_assert_eq(w.r.p.fails, 2);
	w.now += SMP_RETRY_BASE_MS;
	w.i.p.retry_at = 0;
	pair(&w);
	cr_assert_eq(w.i.reason, SMP_ERR_REPEATED_ATTEMPTS);
	w.now += SMP_RETRY_BASE_MS;
	w.mutate = NULL;
	w.i.p.retry_at = 0;
	w.i.failed = w.r.failed = 0;
	pair(&w);
	assert_paired(&w);
	cr_assert_eq(w.r.p.fails, 0);
}

Test(smp_pairing, encryption_failure_fails_pairing)
{
	struct world w;
	struct smp_config c = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	setup(&w, &c, &c);
	w.manual = true;
	cr_assert_eq(smp_pairing_start(&w.i.p), 0);
	/* Pump by hand until the central asks for encryption. */
	for (int k = 0; k < 50 && !w.i.have_enc; k++) {
		struct smp_outbox box = w.i.p.out;
		smp_outbox_clear(&w.i.p.out);
		for (unsigned e = 0; e < box.n; e++) {
			if (box.ev[e].type == SMP_EV_SEND)
				smp_pairing_on_pdu(&w.r.p, box.ev[e].pdu, box.ev[e].len);
			if (box.ev[e].type == SMP_EV_START_ENCRYPTION)
				w.i.have_enc = true;
		}
		box = w.r.p.out;
		smp_outbox_clear(&w.r.p.out);
		for (unsigned e = 0; e < box.n; e++)
			if (box.ev[e].type == SMP_EV_SEND)
				smp_pairing_on_pdu(&w.i.p, box.ev[e].pdu, box.ev[e].len);
	}
	cr_assert(w.i.have_enc);
	cr_assert_eq(w.i.p.state, SMP_ST_WAIT_ENCRYPTION);
	cr_assert_eq(smp_pairing_ltk_request(&w.r.p, 1, 2), -ENOENT);
	smp_pairing_encryption_changed(&w.i.p, 0x06);
	cr_assert_eq(drain(&w, true), 2);
	cr_assert_eq(w.i.reason, SMP_ERR_UNSPECIFIED);
}

Test(smp_pairing, association_model_table)
{
	struct smp_pairing_params q = { .auth_req = SMP_AUTH_MITM }, r = q;
	bool ii, ri;
	q.io_cap = SMP_IO_KEYBOARD_ONLY;
	r.io_cap = SMP_IO_DISPLAY_ONLY;
	cr_assert_eq(smp_method_select(&q, &r, false, &ii, &ri), SMP_METHOD_PASSKEY);
	cr_assert(ii && !ri);
	q.io_cap = SMP_IO_DISPLAY_YES_NO;
	r.io_cap = SMP_IO_DISPLAY_YES_NO;
	cr_assert_eq(smp_method_select(&q, &r, false, &ii, &ri), SMP_METHOD_JUST_WORKS);
	cr_assert_eq(smp_method_select(&q, &r, true, &ii, &ri), SMP_METHOD_NUMERIC);
	q.io_cap = SMP_IO_KEYBOARD_DISPLAY;
	r.io_cap = SMP_IO_KEYBOARD_DISPLAY;
	cr_assert_eq(smp_method_select(&q, &r, false, &ii, &ri), SMP_METHOD_PASSKEY);
	cr_assert(!ii && ri); /* initiator displays */
	cr_assert_eq(smp_method_select(&q, &r, true, &ii, &ri), SMP_METHOD_NUMERIC);
	r.io_cap = SMP_IO_NO_INPUT_NO_OUTPUT;
	cr_assert_eq(smp_method_select(&q, &r, true, &ii, &ri), SMP_METHOD_JUST_WORKS);
	q.io_cap = SMP_IO_KEYBOARD_ONLY;
	r.io_cap = SMP_IO_KEYBOARD_ONLY;
	cr_assert_eq(smp_method_select(&q, &r, true, &ii, &ri), SMP_METHOD_PASSKEY);
	cr_assert(ii && ri);
	/* No MITM on either side: Just Works whatever the IO. */
	q.auth_req = r.auth_req = 0;
	cr_assert_eq(smp_method_select(&q, &r, true, &ii, &ri), SMP_METHOD_JUST_WORKS);
	/* OOB: both flags for legacy, either for SC. */
	q.oob = 1;
	cr_assert_eq(smp_method_select(&q, &r, false, &ii, &ri), SMP_METHOD_JUST_WORKS);
	cr_assert_eq(smp_method_select(&q, &r, true, &ii, &ri), SMP_METHOD_OOB);
	r.oob = 1;
	cr_assert_eq(smp_method_select(&q, &r, false, &ii, &ri), SMP_METHOD_OOB);
}
