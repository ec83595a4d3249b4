/* The SMP pairing state machine: an initiator and a responder wired to each
 * other through their outboxes, with fixed randoms and a test clock. Each
 * method pairs and both sides hold the same keys (and the spec's DHKey and
 * LTK where Appendix D gives them); every failure ends with the right
 * Pairing Failed reason. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "smp_pairing_util.h"

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

/* Mixed: one side offers Secure Connections, the other does not: legacy
 * pairing, with the LTK distributed (EncKey), whichever side lacks SC. */
Test(smp_pairing, mixed_sc_and_legacy_pairs_legacy)
{
	struct world w;
	struct smp_config sc = cfg_default(SMP_IO_DISPLAY_YES_NO), leg = sc;
	leg.auth_req = SMP_AUTH_BONDING;
	for (int k = 0; k < 2; k++) {
		setup(&w, k ? &leg : &sc, k ? &sc : &leg);
		pair(&w);
		assert_paired(&w);
		cr_assert_not(w.i.p.keys.sc);
		cr_assert_not(w.i.p.keys.authenticated);
		cr_assert(w.i.p.keys.peer.dist & SMP_DIST_ENC_KEY);
		cr_assert(w.r.p.keys.peer.dist & SMP_DIST_ENC_KEY);
	}
}

/* ---- LE Secure Connections --------------------------------------------------- */

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
	/* SC: the central claims OOB data of ours, and we made none. */
	ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	cr = ci;
	ci.sc_oob_peer = true;
	setup(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_OOB_NOT_AVAILABLE);
	/* A legacy TK does not set the flag of a central offering SC: Just
	 * Works. */
	ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	cr = ci;
	ci.oob_present = true;
	setup(&w, &ci, &cr);
	pair(&w);
	assert_paired(&w);
	cr_assert_not(w.i.p.keys.authenticated);
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
	/* The peripheral found the wrong value and counts it; the central,
	 * told so, does not. Within 2 s: Repeated Attempts. */
	cr_assert_eq(w.i.p.fails, 0);
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
