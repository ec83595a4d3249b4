/* Phase 3, transport specific key distribution (Vol 3 Part H 3.6.1): once
 * the link is encrypted the responder sends its keys, then the initiator
 * its own, each in the order EncKey (Encryption Information, Central
 * Identification), IdKey (Identity Information, Identity Address
 * Information), SignKey (Signing Information). With Secure Connections the
 * EncKey bits are ignored: both sides already hold the LTK. */
#include "smp_int.h"

#include <string.h>

static uint8_t next_code(const struct smp_pairing *p)
{
	if (p->central_id_next)
		return SMP_CENTRAL_IDENTIFICATION;
	if (p->id_addr_next)
		return SMP_IDENTITY_ADDRESS_INFORMATION;
	if (p->expect & SMP_DIST_ENC_KEY)
		return SMP_ENCRYPTION_INFORMATION;
	if (p->expect & SMP_DIST_ID_KEY)
		return SMP_IDENTITY_INFORMATION;
	if (p->expect & SMP_DIST_SIGN_KEY)
		return SMP_SIGNING_INFORMATION;
	return 0;
}

static void send_local_keys(struct smp_pairing *p, uint8_t dist)
{
	struct smp_key_set *k = &p->keys.local;
	struct smp_pdu pdu;
	if (dist & SMP_DIST_ENC_KEY) {
		smp_rand(p, k->ltk, 16);
		smp_mask_key(k->ltk, p->key_size);
		smp_rand(p, &k->ediv, sizeof k->ediv);
		smp_rand(p, &k->rand, sizeof k->rand);
		smp_send_value(p, SMP_ENCRYPTION_INFORMATION, k->ltk);
		pdu = (struct smp_pdu){ .code = SMP_CENTRAL_IDENTIFICATION };
		pdu.central_id.ediv = k->ediv;
		pdu.central_id.rand = k->rand;
		smp_send(p, &pdu);
	}
	if (dist & SMP_DIST_ID_KEY) {
		memcpy(k->irk, p->cfg.irk, 16);
		k->identity = p->cfg.identity;
		smp_send_value(p, SMP_IDENTITY_INFORMATION, k->irk);
		pdu = (struct smp_pdu){ .code = SMP_IDENTITY_ADDRESS_INFORMATION };
		pdu.id_addr.type = k->identity.type;
		memcpy(pdu.id_addr.addr, k->identity.a, 6);
		smp_send(p, &pdu);
	}
	if (dist & SMP_DIST_SIGN_KEY) {
		memcpy(k->csrk, p->cfg.csrk, 16);
		smp_send_value(p, SMP_SIGNING_INFORMATION, k->csrk);
	}
	k->dist = dist;
}

static void complete(struct smp_pairing *p)
{
	smp_reset(p);
	p->fails = 0;
	p->retry_at = 0;
	smp_emit(p, SMP_EV_COMPLETE);
}

/* All the peer's keys are in: the initiator sends its own; done. */
static void peer_done(struct smp_pairing *p, uint8_t local_dist)
{
	if (p->role == SMP_ROLE_INITIATOR)
		send_local_keys(p, local_dist);
	complete(p);
}

static uint8_t dist_mask(const struct smp_pairing *p)
{
	return p->sc ? SMP_DIST_ID_KEY | SMP_DIST_SIGN_KEY
		     : SMP_DIST_ENC_KEY | SMP_DIST_ID_KEY | SMP_DIST_SIGN_KEY;
}

static uint8_t local_dist(const struct smp_pairing *p)
{
	uint8_t d = p->role == SMP_ROLE_INITIATOR ? p->rsp.init_key_dist : p->rsp.resp_key_dist;
	return d & dist_mask(p);
}

void smp_keys_begin(struct smp_pairing *p)
{
	uint8_t peer = p->role == SMP_ROLE_INITIATOR ? p->rsp.resp_key_dist : p->rsp.init_key_dist;
	p->state = SMP_ST_KEY_DISTRIBUTION;
	p->expect = peer & dist_mask(p);
	p->central_id_next = p->id_addr_next = false;
	if (p->role == SMP_ROLE_RESPONDER)
		send_local_keys(p, local_dist(p));
	if (!p->expect) {
		peer_done(p, local_dist(p));
		return;
	}
	p->allowed = SMP_BIT(next_code(p));
	/* The timer keeps running until the last key. */
	p->deadline = smp_now(p) + SMP_TIMEOUT_MS;
}

uint8_t on_smp_key_pdu(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	struct smp_key_set *k = &p->keys.peer;
	switch (pdu->code) {
	case SMP_ENCRYPTION_INFORMATION:
		memcpy(k->ltk, pdu->value, 16);
		p->central_id_next = true;
		break;
	case SMP_CENTRAL_IDENTIFICATION:
		k->ediv = pdu->central_id.ediv;
		k->rand = pdu->central_id.rand;
		p->central_id_next = false;
		p->expect &= (uint8_t)~SMP_DIST_ENC_KEY;
		k->dist |= SMP_DIST_ENC_KEY;
		break;
	case SMP_IDENTITY_INFORMATION:
		memcpy(k->irk, pdu->value, 16);
		p->id_addr_next = true;
		break;
	case SMP_IDENTITY_ADDRESS_INFORMATION:
		/* An identity is a public or a static random address. */
		if (pdu->id_addr.type > 1)
			return SMP_ERR_INVALID_PARAMETERS;
		if (pdu->id_addr.type == 1 && (pdu->id_addr.addr[0] & 0xc0) != 0xc0)
			return SMP_ERR_INVALID_PARAMETERS;
		k->identity.type = pdu->id_addr.type;
		memcpy(k->identity.a, pdu->id_addr.addr, 6);
		p->id_addr_next = false;
		p->expect &= (uint8_t)~SMP_DIST_ID_KEY;
		k->dist |= SMP_DIST_ID_KEY;
		break;
	case SMP_SIGNING_INFORMATION:
		memcpy(k->csrk, pdu->value, 16);
		p->expect &= (uint8_t)~SMP_DIST_SIGN_KEY;
		k->dist |= SMP_DIST_SIGN_KEY;
		break;
	default:
		return SMP_ERR_UNSPECIFIED;
	}
	uint8_t next = next_code(p);
	if (next) {
		p->allowed = SMP_BIT(next);
		return 0;
	}
	p->allowed = 0;
	peer_done(p, local_dist(p));
	return 0;
}
