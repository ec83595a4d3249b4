/* Internal to smp_actor.c (links, link events, PDUs, timers, snapshot) and
 * smp_delegate.c (apps' requests, prompts and the policy, outcomes). */
#ifndef SMP_ACTOR_INT_H
#define SMP_ACTOR_INT_H

#include "smp_actor.h"

/* A new action in the outbox (zeroed but for type and handle). */
struct smp_act *smp_act_new(struct smp_actor *self, enum smp_act_type type, uint16_t handle);
/* Turns the pairing machine's events of a link into actions. */
void smp_link_drain(struct smp_actor *self, struct smp_link *l);
/* Tells the asker of the link (as a Result) and every subscriber (as an
 * event) about tmpl; clears the ask when ask matches. */
void smp_report(struct smp_actor *self, struct smp_link *l, const struct smp_act *tmpl,
		enum smp_ask ask);
/* Central: encrypt with the bond's LTK. */
void smp_link_encrypt_with_bond(struct smp_actor *self, struct smp_link *l);
/* Reloads the link's bond from the store (resolving a private address
 * with the stored IRKs). */
void smp_link_find_bond(struct smp_actor *self, struct smp_link *l);

/* Repeated Attempts kept per peer across links: into the link's machine
 * (with the decay of the time since), and back when it changed. */
void smp_attempts_load(struct smp_actor *self, struct smp_link *l);
void smp_attempts_save(struct smp_actor *self, struct smp_link *l);
/* Our OOB data into the link's machine (or out, when none is valid). */
void smp_oob_apply(struct smp_actor *self, struct smp_link *l);

/* smp_delegate.c */
void smp_delegate_ask(struct smp_actor *self, struct smp_link *l, uint8_t prompt, uint32_t number);
void smp_delegate_timeout(struct smp_actor *self, struct smp_link *l);
void smp_link_paired(struct smp_actor *self, struct smp_link *l);
void smp_link_failed(struct smp_actor *self, struct smp_link *l, uint8_t reason, bool remote,
			int32_t local_status);

#endif
