/* LE legacy pairing, phase 2 (Vol 3 Part H 2.3.5.2-2.3.5.5): the TK from
 * Just Works, Passkey Entry or OOB, the confirm values c1 and the STK s1. */
#include "smp_int.h"

#include <string.h>

/* c1 of a random with our TK; preq/pres in the spec's order. */
static int confirm_of(struct smp_pairing *p, const uint8_t r[16], uint8_t out[16])
{
	uint8_t preq[7], pres[7];
	for (int i = 0; i < 7; i++) {
		preq[i] = p->preq[6 - i];
		pres[i] = p->pres[6 - i];
	}
	const struct smp_addr *ia = smp_init_addr(p), *ra = smp_resp_addr(p);
	return smp_c1(p->tk, r, preq, pres, ia->type, ia->a, ra->type, ra->a, out);
}

void smp_legacy_begin(struct smp_pairing *p)
{
	bool ready = false;
	memset(p->tk, 0, 16);
	p->allowed = p->role == SMP_ROLE_RESPONDER ? SMP_BIT(SMP_PAIRING_CONFIRM) : 0;
	switch (p->method) {
	case SMP_METHOD_OOB:
		memcpy(p->tk, p->cfg.oob_tk, 16);
		ready = true;
		break;
	case SMP_METHOD_PASSKEY:
		if (p->local_displays) {
			p->passkey = smp_passkey_new(p);
			p->tk[12] = (uint8_t)(p->passkey >> 24);
			p->tk[13] = (uint8_t)(p->passkey >> 16);
			p->tk[14] = (uint8_t)(p->passkey >> 8);
			p->tk[15] = (uint8_t)p->passkey;
			smp_emit(p, SMP_EV_PASSKEY_DISPLAY)->value = p->passkey;
			ready = true;
		} else {
			p->wait_user = SMP_WAIT_PASSKEY;
			smp_emit(p, SMP_EV_PASSKEY_REQUEST);
		}
		break;
	default: /* Just Works: TK 0 */
		if (p->cfg.confirm_just_works) {
			p->wait_user = SMP_WAIT_CONFIRM;
			smp_emit(p, SMP_EV_CONFIRM_JUST_WORKS);
		} else {
			ready = true;
		}
		break;
	}
	if (ready)
		smp_legacy_tk_ready(p);
}

/* The TK is known: the central sends Mconfirm; the peripheral answers a
 * Mconfirm that came while the user was still typing. */
void smp_legacy_tk_ready(struct smp_pairing *p)
{
	p->tk_ready = true;
	smp_rand(p, p->local_rand, 16);
	if (confirm_of(p, p->local_rand, p->local_confirm)) {
		smp_fail(p, SMP_ERR_UNSPECIFIED);
		return;
	}
	if (p->role == SMP_ROLE_INITIATOR) {
		smp_send_value(p, SMP_PAIRING_CONFIRM, p->local_confirm);
		p->allowed = SMP_BIT(SMP_PAIRING_CONFIRM);
	} else if (p->have_peer_confirm) {
		smp_send_value(p, SMP_PAIRING_CONFIRM, p->local_confirm);
		p->allowed = SMP_BIT(SMP_PAIRING_RANDOM);
	}
}

uint8_t on_smp_legacy_confirm(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	memcpy(p->peer_confirm, pdu->value, 16);
	p->have_peer_confirm = true;
	if (p->role == SMP_ROLE_INITIATOR) {
		smp_send_value(p, SMP_PAIRING_RANDOM, p->local_rand);
		p->allowed = SMP_BIT(SMP_PAIRING_RANDOM);
	} else if (p->tk_ready) {
		smp_send_value(p, SMP_PAIRING_CONFIRM, p->local_confirm);
		p->allowed = SMP_BIT(SMP_PAIRING_RANDOM);
	} else {
		p->allowed = 0; /* the user first */
	}
	return 0;
}

uint8_t on_smp_legacy_random(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	uint8_t check[16], stk[16];
	memcpy(p->peer_rand, pdu->value, 16);
	if (confirm_of(p, p->peer_rand, check))
		return SMP_ERR_UNSPECIFIED;
	if (memcmp(check, p->peer_confirm, 16) != 0)
		return SMP_ERR_CONFIRM_VALUE_FAILED;
	/* STK = s1(TK, Srand, Mrand). */
	int rc;
	if (p->role == SMP_ROLE_RESPONDER) {
		smp_send_value(p, SMP_PAIRING_RANDOM, p->local_rand);
		rc = smp_s1(p->tk, p->local_rand, p->peer_rand, stk);
	} else {
		rc = smp_s1(p->tk, p->peer_rand, p->local_rand, stk);
	}
	if (rc)
		return SMP_ERR_UNSPECIFIED;
	smp_mask_key(stk, p->key_size);
	smp_phase2_done(p, stk);
	return 0;
}
