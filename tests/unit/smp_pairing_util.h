/* The harness of the SMP state machine tests (test_smp_pairing.c,
 * test_smp_oob.c): an initiator and a responder wired to each other
 * through their outboxes, with fixed randoms and a test clock; the wire,
 * the host and (unless manual) the user are played by drain() and
 * pump(). */
#ifndef SMP_PAIRING_UTIL_H
#define SMP_PAIRING_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	unsigned oob_asked; /* SMP_EV_OOB_REQUEST events */
	uint32_t oob_kind;  /* their value: 1 SC, 0 legacy */
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

extern const struct smp_addr addr_i, addr_r;

/* Appendix D: the private keys of A and B, their DHKey, Na, Nb and the
 * LTK f5 gives with A1/A2. */
extern const uint8_t priv_a[32], priv_b[32], spec_dhkey[32];
extern const uint8_t spec_na[16], spec_nb[16], spec_ltk[16];

struct smp_config cfg_default(uint8_t io);
void setup(struct world *w, const struct smp_config *ci, const struct smp_config *cr);
/* Takes one side's events and acts as the wire, the host and (unless
 * manual) the user. Returns the number of events handled. */
unsigned drain(struct world *w, bool init);
void pump(struct world *w);
/* The initiator starts; pump until nothing moves. */
void pair(struct world *w);
/* Both completed with the same keys. */
void assert_paired(struct world *w);
/* The next randoms of length an then bn a side draws. */
void script(struct side *s, const uint8_t *a, size_t an, const uint8_t *b, size_t bn);
/* Feeds raw bytes to one side; the Pairing Failed reason it sent, or 0. */
uint8_t feed(struct side *s, const uint8_t *pdu, size_t len);
#define FEED(s, ...) feed((s), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

#endif
