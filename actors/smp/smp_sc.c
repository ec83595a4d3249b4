/* LE Secure Connections, phase 2 (Vol 3 Part H 2.3.5.6): public key
 * exchange with the peer's key checked to lie on the curve, authentication
 * stage 1 (Just Works / Numeric Comparison, Passkey Entry in 20 rounds, or
 * OOB: the peer's C checked against its public key, then Na and Nb in the
 * clear) and stage 2 (f5, the DHKey checks f6 with ra/rb). */
#include "smp_int.h"

#include <errno.h>
#include <string.h>

/* PKa, PKb, Na, Nb by role. */
static const uint8_t *pka_x(const struct smp_pairing *p)
{
	return p->role == SMP_ROLE_INITIATOR ? p->key.x : p->peer_x;
}

static const uint8_t *pkb_x(const struct smp_pairing *p)
{
	return p->role == SMP_ROLE_INITIATOR ? p->peer_x : p->key.x;
}

static const uint8_t *na(const struct smp_pairing *p)
{
	return p->role == SMP_ROLE_INITIATOR ? p->local_rand : p->peer_rand;
}

static const uint8_t *nb(const struct smp_pairing *p)
{
	return p->role == SMP_ROLE_INITIATOR ? p->peer_rand : p->local_rand;
}

/* ri of the current passkey round: 0x80 | bit i. */
static uint8_t round_bit(const struct smp_pairing *p)
{
	return (uint8_t)(0x80 | ((p->passkey >> p->round) & 1));
}

/* Our confirm: f4(our PKx, their PKx, our N, z). */
static uint8_t send_confirm(struct smp_pairing *p, uint8_t z)
{
	smp_rand(p, p->local_rand, 16);
	if (smp_f4(p->key.x, p->peer_x, p->local_rand, z, p->local_confirm))
		return SMP_ERR_UNSPECIFIED;
	smp_send_value(p, SMP_PAIRING_CONFIRM, p->local_confirm);
	return 0;
}

/* The peer's confirm against its random: f4(their PKx, our PKx, N, z). */
static uint8_t check_confirm(struct smp_pairing *p, uint8_t z)
{
	uint8_t c[16];
	if (smp_f4(p->peer_x, p->key.x, p->peer_rand, z, c))
		return SMP_ERR_UNSPECIFIED;
	return memcmp(c, p->peer_confirm, 16) ? SMP_ERR_CONFIRM_VALUE_FAILED : 0;
}

/* Our OOB flag and the peer's (Pairing Request/Response). */
static bool our_oob(const struct smp_pairing *p)
{
	return p->role == SMP_ROLE_INITIATOR ? p->req.oob : p->rsp.oob;
}

static bool peer_oob(const struct smp_pairing *p)
{
	return p->role == SMP_ROLE_INITIATOR ? p->rsp.oob : p->req.oob;
}

int smp_sc_oob_data(const uint8_t priv[32], const uint8_t r[16], struct smp_p256 *key,
		    uint8_t c[16])
{
	int rc = smp_p256_from_private(priv, key);
	if (rc == 0)
		rc = smp_f4(key->x, key->x, r, 0, c);
	return rc;
}

uint8_t smp_sc_begin(struct smp_pairing *p)
{
	int rc = -EINVAL;
	memset(p->oob_local_r, 0, 16);
	memset(p->oob_peer_r, 0, 16);
	if (p->method == SMP_METHOD_OOB) {
		/* Each r the other side does not hold is 0 (2.3.5.6.4). */
		if (peer_oob(p))
			memcpy(p->oob_local_r, p->cfg.sc_oob_r, 16);
		if (our_oob(p))
			memcpy(p->oob_peer_r, p->cfg.sc_oob_peer_r, 16);
		/* The peer checks our public key against the C it holds:
		 * the key pair that C was made with. */
		if (peer_oob(p))
			rc = smp_p256_from_private(p->cfg.sc_oob_priv, &p->key) ? -EIO : 0;
	}
	/* Else the key pair comes from the context's randomness (tests fix
	 * it). */
	for (int i = 0; i < 8 && rc == -EINVAL; i++) {
		uint8_t d[32];
		smp_rand(p, d, sizeof d);
		rc = smp_p256_from_private(d, &p->key);
		memset(d, 0, sizeof d);
	}
	if (rc)
		return SMP_ERR_UNSPECIFIED;
	p->allowed = SMP_BIT(SMP_PAIRING_PUBLIC_KEY);
	if (p->role == SMP_ROLE_INITIATOR) {
		struct smp_pdu pk = { .code = SMP_PAIRING_PUBLIC_KEY };
		memcpy(pk.public_key.x, p->key.x, 32);
		memcpy(pk.public_key.y, p->key.y, 32);
		smp_send(p, &pk);
	}
	return 0;
}

/* Passkey Entry: after the public keys, get the passkey (display a new one
 * or ask the user). Returns 0 or a reason. */
static uint8_t passkey_begin(struct smp_pairing *p)
{
	p->round = 0;
	if (p->local_displays) {
		p->passkey = smp_passkey_new(p);
		smp_emit(p, SMP_EV_PASSKEY_DISPLAY)->value = p->passkey;
		return smp_sc_passkey_ready(p);
	}
	p->wait_user = SMP_WAIT_PASSKEY;
	smp_emit(p, SMP_EV_PASSKEY_REQUEST);
	return 0;
}

uint8_t on_smp_pairing_public_key(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	/* A reflected key would let the peer skip the real exchange. */
	if (!memcmp(pdu->public_key.x, p->key.x, 32))
		return SMP_ERR_INVALID_PARAMETERS;
	/* CVE-2018-5383: a key off the curve is refused before any use. */
	if (!smp_p256_on_curve(pdu->public_key.x, pdu->public_key.y))
		return SMP_ERR_INVALID_PARAMETERS;
	memcpy(p->peer_x, pdu->public_key.x, 32);
	memcpy(p->peer_y, pdu->public_key.y, 32);
	int rc = smp_p256_dhkey(&p->key, p->peer_x, p->peer_y, p->dhkey);
	if (rc == -EINVAL)
		return SMP_ERR_INVALID_PARAMETERS;
	if (rc)
		return SMP_ERR_UNSPECIFIED;
	/* OOB: the peer's key must be the one its OOB data was made with,
	 * C = f4(PKx, PKx, r, 0). */
	if (p->method == SMP_METHOD_OOB && our_oob(p)) {
		uint8_t c[16];
		if (smp_f4(p->peer_x, p->peer_x, p->oob_peer_r, 0, c))
			return SMP_ERR_UNSPECIFIED;
		if (memcmp(c, p->cfg.sc_oob_peer_c, 16))
			return SMP_ERR_CONFIRM_VALUE_FAILED;
	}
	if (p->role == SMP_ROLE_RESPONDER) {
		struct smp_pdu pk = { .code = SMP_PAIRING_PUBLIC_KEY };
		memcpy(pk.public_key.x, p->key.x, 32);
		memcpy(pk.public_key.y, p->key.y, 32);
		smp_send(p, &pk);
	}
	if (p->method == SMP_METHOD_PASSKEY) {
		p->allowed = p->role == SMP_ROLE_RESPONDER ? SMP_BIT(SMP_PAIRING_CONFIRM) : 0;
		return passkey_begin(p);
	}
	/* OOB: no confirm in band; the central reveals Na, then Nb. */
	if (p->method == SMP_METHOD_OOB) {
		p->allowed = SMP_BIT(SMP_PAIRING_RANDOM);
		if (p->role == SMP_ROLE_INITIATOR) {
			smp_rand(p, p->local_rand, 16);
			smp_send_value(p, SMP_PAIRING_RANDOM, p->local_rand);
		}
		return 0;
	}
	/* Just Works, Numeric Comparison: Cb = f4(PKbx, PKax, Nb, 0). */
	if (p->role == SMP_ROLE_RESPONDER) {
		p->allowed = SMP_BIT(SMP_PAIRING_RANDOM);
		return send_confirm(p, 0);
	}
	p->allowed = SMP_BIT(SMP_PAIRING_CONFIRM);
	return 0;
}

uint8_t smp_sc_passkey_ready(struct smp_pairing *p)
{
	p->tk_ready = true;
	if (p->role == SMP_ROLE_INITIATOR) {
		p->allowed = SMP_BIT(SMP_PAIRING_CONFIRM);
		return send_confirm(p, round_bit(p));
	}
	if (p->have_peer_confirm) {
		p->allowed = SMP_BIT(SMP_PAIRING_RANDOM);
		return send_confirm(p, round_bit(p));
	}
	return 0;
}

uint8_t on_smp_sc_confirm(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	memcpy(p->peer_confirm, pdu->value, 16);
	p->have_peer_confirm = true;
	if (p->role == SMP_ROLE_INITIATOR) {
		/* Cb (or Cbi): reveal Na (Nai). Just Works draws Na now. */
		if (p->method != SMP_METHOD_PASSKEY)
			smp_rand(p, p->local_rand, 16);
		smp_send_value(p, SMP_PAIRING_RANDOM, p->local_rand);
		p->allowed = SMP_BIT(SMP_PAIRING_RANDOM);
		return 0;
	}
	/* Responder, Passkey Entry: Cai came; answer Cbi once we have the
	 * passkey. */
	if (!p->tk_ready) {
		p->allowed = 0;
		return 0;
	}
	p->allowed = SMP_BIT(SMP_PAIRING_RANDOM);
	return send_confirm(p, round_bit(p));
}

/* Stage 1 is over: the user's part (numeric comparison, or accepting Just
 * Works), then the DHKey checks. */
static uint8_t stage1_done(struct smp_pairing *p)
{
	p->allowed = p->role == SMP_ROLE_RESPONDER ? SMP_BIT(SMP_PAIRING_DHKEY_CHECK) : 0;
	if (p->method == SMP_METHOD_NUMERIC) {
		uint32_t v;
		if (smp_g2(pka_x(p), pkb_x(p), na(p), nb(p), &v))
			return SMP_ERR_UNSPECIFIED;
		p->wait_user = SMP_WAIT_CONFIRM;
		smp_emit(p, SMP_EV_CONFIRM_NUMBER)->value = v % 1000000u;
		return 0;
	}
	if (p->method == SMP_METHOD_JUST_WORKS && p->cfg.confirm_just_works) {
		p->wait_user = SMP_WAIT_CONFIRM;
		smp_emit(p, SMP_EV_CONFIRM_JUST_WORKS);
		return 0;
	}
	return smp_sc_user_confirmed(p);
}

uint8_t on_smp_sc_random(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	uint8_t rc;
	memcpy(p->peer_rand, pdu->value, 16);
	if (p->method != SMP_METHOD_PASSKEY) {
		if (p->role == SMP_ROLE_RESPONDER) {
			if (p->method == SMP_METHOD_OOB)
				smp_rand(p, p->local_rand, 16);
			smp_send_value(p, SMP_PAIRING_RANDOM, p->local_rand);
		} else if (p->method != SMP_METHOD_OOB && (rc = check_confirm(p, 0))) {
			return rc;
		}
		return stage1_done(p);
	}
	if ((rc = check_confirm(p, round_bit(p))))
		return rc;
	if (p->role == SMP_ROLE_RESPONDER)
		smp_send_value(p, SMP_PAIRING_RANDOM, p->local_rand);
	p->have_peer_confirm = false;
	if (++p->round < SMP_PASSKEY_ROUNDS) {
		if (p->role == SMP_ROLE_RESPONDER) {
			p->allowed = SMP_BIT(SMP_PAIRING_CONFIRM);
			return 0;
		}
		p->allowed = SMP_BIT(SMP_PAIRING_CONFIRM);
		return send_confirm(p, round_bit(p));
	}
	p->round = SMP_PASSKEY_ROUNDS;
	return stage1_done(p);
}

/* f5 then our check: Ea = f6(MacKey, Na, Nb, rb, IOcapA, A, B) or
 * Eb = f6(MacKey, Nb, Na, ra, IOcapB, B, A). With passkey, ra = rb =
 * passkey; with OOB the r of each side (0 when the other side does not
 * hold it); otherwise 0. */
static int checks(struct smp_pairing *p, bool initiator_side, uint8_t out[16])
{
	uint8_t a[7], b[7], r[16] = { 0 }, io[3];
	smp_addr7(smp_init_addr(p), a);
	smp_addr7(smp_resp_addr(p), b);
	if (p->method == SMP_METHOD_PASSKEY) {
		r[12] = (uint8_t)(p->passkey >> 24);
		r[13] = (uint8_t)(p->passkey >> 16);
		r[14] = (uint8_t)(p->passkey >> 8);
		r[15] = (uint8_t)p->passkey;
	} else if (p->method == SMP_METHOD_OOB) {
		bool init = p->role == SMP_ROLE_INITIATOR;
		const uint8_t *ra = init ? p->oob_local_r : p->oob_peer_r;
		const uint8_t *rb = init ? p->oob_peer_r : p->oob_local_r;
		memcpy(r, initiator_side ? rb : ra, 16);
	}
	const struct smp_pairing_params *x = initiator_side ? &p->req : &p->rsp;
	io[0] = x->auth_req;
	io[1] = x->oob;
	io[2] = x->io_cap;
	if (initiator_side)
		return smp_f6(p->mackey, na(p), nb(p), r, io, a, b, out);
	return smp_f6(p->mackey, nb(p), na(p), r, io, b, a, out);
}

static int derive(struct smp_pairing *p)
{
	uint8_t a[7], b[7];
	smp_addr7(smp_init_addr(p), a);
	smp_addr7(smp_resp_addr(p), b);
	int rc = smp_f5(p->dhkey, na(p), nb(p), a, b, p->mackey, p->keys.ltk);
	smp_mask_key(p->keys.ltk, p->key_size);
	return rc;
}

/* The responder checks Ea, answers Eb and waits for encryption. */
static uint8_t responder_check(struct smp_pairing *p)
{
	uint8_t e[16];
	if (checks(p, true, e))
		return SMP_ERR_UNSPECIFIED;
	if (memcmp(e, p->peer_check, 16))
		return SMP_ERR_DHKEY_CHECK_FAILED;
	if (checks(p, false, e))
		return SMP_ERR_UNSPECIFIED;
	smp_send_value(p, SMP_PAIRING_DHKEY_CHECK, e);
	smp_phase2_done(p, p->keys.ltk);
	return 0;
}

uint8_t smp_sc_user_confirmed(struct smp_pairing *p)
{
	uint8_t e[16];
	p->user_ok = true;
	if (derive(p))
		return SMP_ERR_UNSPECIFIED;
	if (p->role == SMP_ROLE_RESPONDER)
		return p->have_peer_check ? responder_check(p) : 0;
	if (checks(p, true, e))
		return SMP_ERR_UNSPECIFIED;
	smp_send_value(p, SMP_PAIRING_DHKEY_CHECK, e);
	p->allowed = SMP_BIT(SMP_PAIRING_DHKEY_CHECK);
	return 0;
}

uint8_t on_smp_pairing_dhkey_check(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	uint8_t e[16];
	memcpy(p->peer_check, pdu->value, 16);
	p->have_peer_check = true;
	if (p->role == SMP_ROLE_RESPONDER) {
		p->allowed = 0;
		return p->user_ok ? responder_check(p) : 0;
	}
	if (checks(p, false, e))
		return SMP_ERR_UNSPECIFIED;
	if (memcmp(e, p->peer_check, 16))
		return SMP_ERR_DHKEY_CHECK_FAILED;
	smp_phase2_done(p, p->keys.ltk);
	return 0;
}
