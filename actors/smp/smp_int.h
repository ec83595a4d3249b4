/* Internal to the SMP state machine files: smp_pairing.c (dispatch, phase
 * 1, failures, timer, user answers), smp_legacy.c, smp_sc.c (phase 2) and
 * smp_keys.c (phase 3). Handlers return 0 or a Pairing Failed reason. */
#ifndef SMP_INT_H
#define SMP_INT_H

#include "smp_pairing.h"

#define SMP_BIT(code) (1u << (code))

/* Outbox */
struct smp_event *smp_emit(struct smp_pairing *p, enum smp_event_type type);
void smp_send(struct smp_pairing *p, const struct smp_pdu *pdu);
void smp_send_value(struct smp_pairing *p, uint8_t code, const uint8_t v[16]);
void smp_rand(struct smp_pairing *p, void *buf, size_t n);
uint64_t smp_now(const struct smp_pairing *p);
/* Ends pairing with a local reason: Pairing Failed sent, SMP_EV_FAILED. */
void smp_fail(struct smp_pairing *p, uint8_t reason);
/* Back to idle: phase state and secrets cleared; the link's identity,
 * the failure count and the last pairing's keys kept. */
void smp_reset(struct smp_pairing *p);
/* Zeroes the octets of a key beyond the negotiated size. */
void smp_mask_key(uint8_t key[16], uint8_t size);
/* Both sides agreed on phase 2 being over: central starts encryption. */
void smp_phase2_done(struct smp_pairing *p, const uint8_t key[16]);
/* A fresh passkey to display (0..999999). */
uint32_t smp_passkey_new(struct smp_pairing *p);
/* Initiator and responder addresses (type || address, 7 octets). */
void smp_addr7(const struct smp_addr *a, uint8_t out[7]);
const struct smp_addr *smp_init_addr(const struct smp_pairing *p);
const struct smp_addr *smp_resp_addr(const struct smp_pairing *p);

/* Legacy */
void smp_legacy_begin(struct smp_pairing *p);
void smp_legacy_tk_ready(struct smp_pairing *p);
uint8_t on_smp_legacy_confirm(struct smp_pairing *p, const struct smp_pdu *pdu);
uint8_t on_smp_legacy_random(struct smp_pairing *p, const struct smp_pdu *pdu);

/* Secure Connections */
uint8_t smp_sc_begin(struct smp_pairing *p);
uint8_t on_smp_pairing_public_key(struct smp_pairing *p, const struct smp_pdu *pdu);
uint8_t on_smp_sc_confirm(struct smp_pairing *p, const struct smp_pdu *pdu);
uint8_t on_smp_sc_random(struct smp_pairing *p, const struct smp_pdu *pdu);
uint8_t on_smp_pairing_dhkey_check(struct smp_pairing *p, const struct smp_pdu *pdu);
uint8_t smp_sc_passkey_ready(struct smp_pairing *p);
uint8_t smp_sc_user_confirmed(struct smp_pairing *p);

/* Key distribution */
void smp_keys_begin(struct smp_pairing *p);
uint8_t on_smp_key_pdu(struct smp_pairing *p, const struct smp_pdu *pdu);

#endif
