/* LE Secure Connections OOB (Core Vol 3 Part H 2.3.5.6.4) and legacy OOB
 * through the user, in the pure state machine (harness in
 * smp_pairing_util.c): our OOB data is C = f4(PKx, PKx, r, 0) with the key
 * pair the pairing then uses; the OOB flag of each side says it holds the
 * other's data; the side holding data checks the C against the public
 * key it receives (Confirm Value Failed otherwise); the r nobody holds is
 * 0 in f6. One side holding data, each role; both; a wrong C; a stale r;
 * the peripheral asking its user. The key pairs are Appendix D's, read
 * from tests/vectors/smp-crypto.json ($HIVE_VECTORS_DIR). */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smp_pairing_util.h"

/* Appendix D's key pairs, from the vectors file. */
static uint8_t vpriv_a[32], vpriv_b[32], vpub_a_x[32], vpub_b_x[32];

static void hex_field(json_t *o, const char *key, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, key));
	cr_assert(s && strlen(s) == 2 * n, "vectors: %s is not %zu octets of hex", key, n);
	for (size_t i = 0; i < n; i++) {
		unsigned b;
		cr_assert_eq(sscanf(s + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
}

static void load_vectors(void)
{
	const char *dir = getenv("HIVE_VECTORS_DIR");
	char path[1024];
	json_error_t err;
	snprintf(path, sizeof path, "%s/smp-crypto.json", dir ? dir : "tests/vectors");
	json_t *j = json_load_file(path, 0, &err);
	cr_assert_not_null(j, "%s: %s (set HIVE_VECTORS_DIR)", path, err.text);
	json_t *e = json_object_get(j, "p256_ecdh");
	hex_field(e, "private_a", vpriv_a, 32);
	hex_field(e, "private_b", vpriv_b, 32);
	hex_field(e, "public_a_x", vpub_a_x, 32);
	hex_field(e, "public_b_x", vpub_b_x, 32);
	json_decref(j);
}

TestSuite(smp_oob, .init = load_vectors);

/* What crossed the wire: the public keys and the OOB flags. */
static uint8_t seen_pk_i[32], seen_pk_r[32];
static int flag_req = -1, flag_rsp = -1;

static bool watch(struct world *w, bool from_init, uint8_t *pdu, size_t *len)
{
	(void)w;
	if (pdu[0] == SMP_PAIRING_PUBLIC_KEY && *len == 65)
		for (int k = 0; k < 32; k++)
			(from_init ? seen_pk_i : seen_pk_r)[k] = pdu[32 - k];
	if (pdu[0] == SMP_PAIRING_REQUEST)
		flag_req = pdu[2];
	if (pdu[0] == SMP_PAIRING_RESPONSE)
		flag_rsp = pdu[2];
	return true;
}

/* One side's OOB data made with priv and r; the other side holds it when
 * give. */
static void oob(struct smp_config *mine, struct smp_config *other, const uint8_t priv[32],
		const uint8_t r[16], bool give)
{
	struct smp_p256 key;
	uint8_t c[16];
	cr_assert_eq(smp_sc_oob_data(priv, r, &key, c), 0);
	mine->sc_oob_local = true;
	memcpy(mine->sc_oob_priv, priv, 32);
	memcpy(mine->sc_oob_r, r, 16);
	if (give) {
		other->sc_oob_peer = true;
		memcpy(other->sc_oob_peer_r, r, 16);
		memcpy(other->sc_oob_peer_c, c, 16);
	}
}

static void setup_watched(struct world *w, const struct smp_config *ci,
			  const struct smp_config *cr)
{
	setup(w, ci, cr);
	w->mutate = watch;
	memset(seen_pk_i, 0, 32);
	memset(seen_pk_r, 0, 32);
	flag_req = flag_rsp = -1;
}

static void assert_oob_paired(struct world *w)
{
	assert_paired(w);
	cr_assert(w->i.p.keys.sc);
	cr_assert(w->i.p.keys.authenticated);
	cr_assert(w->r.p.keys.authenticated);
	/* No user was asked anything. */
	cr_assert_not(w->i.asked_confirm || w->r.asked_confirm);
	cr_assert_not(w->i.asked_passkey || w->r.asked_passkey);
	cr_assert_eq(w->i.confirms_sent, 0);
	cr_assert_eq(w->r.confirms_sent, 0);
}

/* C = f4(PKx, PKx, r, 0) for Appendix D's key B and Nb as r, computed
 * independently (Python cryptography's AES-CMAC). */
Test(smp_oob, local_data_is_f4_of_the_public_key)
{
	static const uint8_t want_cb[16] = { 0x7a, 0x9c, 0xf3, 0x57, 0x61, 0xb7, 0x78, 0x95,
					     0xc5, 0xa9, 0xba, 0x5d, 0xe1, 0x15, 0x3f, 0xee };
	static const uint8_t want_ca[16] = { 0xe8, 0x31, 0x29, 0x78, 0x13, 0x59, 0xe9, 0x8f,
					     0x01, 0x8c, 0x41, 0x35, 0x29, 0x98, 0x88, 0x17 };
	struct smp_p256 key;
	uint8_t c[16];
	cr_assert_eq(smp_sc_oob_data(vpriv_b, spec_nb, &key, c), 0);
	cr_assert_arr_eq(key.x, vpub_b_x, 32);
	cr_assert_arr_eq(c, want_cb, 16);
	cr_assert_eq(smp_sc_oob_data(vpriv_a, spec_na, &key, c), 0);
	cr_assert_arr_eq(c, want_ca, 16);
	static const uint8_t zero[32] = { 0 };
	cr_assert_eq(smp_sc_oob_data(zero, spec_na, &key, c), -EINVAL);
}

/* The central holds the peripheral's data: flags 1/0; the peripheral
 * pairs with the key pair its data was made with; ra = 0. */
Test(smp_oob, central_holds_the_peripheral_data)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT), cr = ci;
	oob(&cr, &ci, vpriv_b, spec_nb, true);
	setup_watched(&w, &ci, &cr);
	pair(&w);
	assert_oob_paired(&w);
	cr_assert_eq(flag_req, 1);
	cr_assert_eq(flag_rsp, 0);
	cr_assert_arr_eq(seen_pk_r, vpub_b_x, 32);
	/* The central's key pair is its own draw, not a vector. */
	cr_assert(memcmp(seen_pk_i, vpub_a_x, 32) != 0);
}

/* The peripheral holds the central's data: flags 0/1; the central pairs
 * with its OOB key pair; rb = 0. */
Test(smp_oob, peripheral_holds_the_central_data)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT), cr = ci;
	oob(&ci, &cr, vpriv_a, spec_na, true);
	setup_watched(&w, &ci, &cr);
	pair(&w);
	assert_oob_paired(&w);
	cr_assert_eq(flag_req, 0);
	cr_assert_eq(flag_rsp, 1);
	cr_assert_arr_eq(seen_pk_i, vpub_a_x, 32);
}

/* Both hold the other's data: both r in f6, both key pairs from OOB. */
Test(smp_oob, both_hold_data)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_DISPLAY_YES_NO), cr = ci;
	ci.auth_req |= SMP_AUTH_MITM;
	oob(&ci, &cr, vpriv_a, spec_na, true);
	oob(&cr, &ci, vpriv_b, spec_nb, true);
	setup_watched(&w, &ci, &cr);
	pair(&w);
	assert_oob_paired(&w); /* OOB wins over numeric comparison */
	cr_assert_eq(flag_req, 1);
	cr_assert_eq(flag_rsp, 1);
	cr_assert_arr_eq(seen_pk_i, vpub_a_x, 32);
	cr_assert_arr_eq(seen_pk_r, vpub_b_x, 32);
	/* Each side's data made no difference to the other flag: a local
	 * OOB key alone sets no flag. */
	ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT);
	cr = ci;
	oob(&ci, &cr, vpriv_a, spec_na, false);
	oob(&cr, &ci, vpriv_b, spec_nb, false);
	setup_watched(&w, &ci, &cr);
	pair(&w);
	assert_paired(&w);
	cr_assert_eq(flag_req, 0);
	cr_assert_eq(flag_rsp, 0);
	cr_assert_not(w.i.p.keys.authenticated);
}

/* A wrong C at the central: Pairing Failed, Confirm Value Failed, as soon
 * as the peripheral's public key came; no encryption. */
Test(smp_oob, wrong_c_at_the_central)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT), cr = ci;
	oob(&cr, &ci, vpriv_b, spec_nb, true);
	ci.sc_oob_peer_c[7] ^= 0x40;
	setup_watched(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.i.failed, 1);
	cr_assert_eq(w.i.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
	cr_assert_not(w.i.remote);
	cr_assert_eq(w.r.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
	cr_assert(w.r.remote);
	cr_assert_not(w.i.have_enc || w.r.have_enc);
	cr_assert_eq(w.i.p.fails, 1, "the central found it: it counts it");
	cr_assert_eq(w.r.p.fails, 0);
}

/* A wrong C at the peripheral: it fails on the central's public key,
 * before sending its own. */
Test(smp_oob, wrong_c_at_the_peripheral)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT), cr = ci;
	oob(&ci, &cr, vpriv_a, spec_na, true);
	cr.sc_oob_peer_c[0] ^= 1;
	setup_watched(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
	cr_assert_not(w.r.remote);
	cr_assert_eq(w.i.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
	cr_assert(w.i.remote);
	static const uint8_t zero[32] = { 0 };
	cr_assert_arr_eq(seen_pk_r, zero, 32, "the peripheral sent its key");
}

/* Data made by the peripheral's other key pair (it made new data since):
 * Confirm Value Failed at the central. */
Test(smp_oob, data_of_another_key_pair)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT), cr = ci;
	oob(&cr, &ci, vpriv_a, spec_nb, true); /* the central holds this C */
	oob(&cr, &ci, vpriv_b, spec_nb, false); /* the peripheral moved on */
	setup_watched(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.i.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
}

/* The central holds a C and r consistent with the peripheral's key but
 * not the r the peripheral uses: the C check passes, f6 does not (the r
 * goes into the DHKey checks). */
Test(smp_oob, stale_r_fails_the_dhkey_check)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT), cr = ci;
	oob(&cr, &ci, vpriv_b, spec_na, true);
	oob(&cr, &ci, vpriv_b, spec_nb, false);
	setup_watched(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_DHKEY_CHECK_FAILED, "reason 0x%02x", w.r.reason);
	cr_assert(w.i.remote);
}

/* The peripheral asks its user for the central's data when the central
 * has set its flag: given, both sides' data are used; refused, pairing
 * goes on with the central's alone. */
Test(smp_oob, peripheral_asks_the_user)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT), cr = ci;
	struct smp_config held = ci;
	oob(&cr, &ci, vpriv_b, spec_nb, true);
	oob(&ci, &held, vpriv_a, spec_na, true); /* what the user will type */
	cr.ask_oob = true;
	setup_watched(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.r.oob_asked, 1);
	cr_assert_eq(w.r.oob_kind, 1);
	cr_assert_eq(flag_rsp, -1, "responded before the user answered");
	cr_assert_eq(smp_pairing_oob_reply(&w.r.p, true, held.sc_oob_peer_r, held.sc_oob_peer_c),
		     0);
	cr_assert_eq(smp_pairing_oob_reply(&w.r.p, true, held.sc_oob_peer_r, held.sc_oob_peer_c),
		     -EALREADY);
	pump(&w);
	assert_oob_paired(&w);
	cr_assert_eq(flag_rsp, 1);
	cr_assert_arr_eq(seen_pk_i, vpub_a_x, 32);

	setup_watched(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.r.oob_asked, 1);
	cr_assert_eq(smp_pairing_oob_reply(&w.r.p, false, NULL, NULL), 0);
	pump(&w);
	assert_oob_paired(&w);
	cr_assert_eq(flag_rsp, 0);
}

/* Legacy OOB: the peripheral's user gives the TK both hold. */
Test(smp_oob, legacy_tk_from_the_user)
{
	struct world w;
	struct smp_config ci = cfg_default(SMP_IO_NO_INPUT_NO_OUTPUT), cr = ci;
	ci.auth_req = cr.auth_req = SMP_AUTH_BONDING;
	ci.oob_present = true;
	memset(ci.oob_tk, 0xa5, 16);
	cr.ask_oob = true;
	setup_watched(&w, &ci, &cr);
	pair(&w);
	cr_assert_eq(w.r.oob_asked, 1);
	cr_assert_eq(w.r.oob_kind, 0);
	cr_assert_eq(smp_pairing_oob_reply(&w.r.p, true, ci.oob_tk, NULL), 0);
	pump(&w);
	assert_paired(&w);
	cr_assert_not(w.i.p.keys.sc);
	cr_assert(w.i.p.keys.authenticated);
	/* A different TK: the central's confirm fails at the peripheral. */
	setup_watched(&w, &ci, &cr);
	pair(&w);
	uint8_t tk[16];
	memset(tk, 0xa4, 16);
	cr_assert_eq(smp_pairing_oob_reply(&w.r.p, true, tk, NULL), 0);
	pump(&w);
	cr_assert_eq(w.r.reason, SMP_ERR_CONFIRM_VALUE_FAILED);
}
