/* hive-smp's BR/EDR shell (smp_bredr_main.c), called from smp_main.c:
 * BredrEvent and BR/EDR LinkEvents into smp_bredr calls, its outbox into
 * messages, and the link key requests of apps. */
#ifndef SMP_BREDR_MAIN_H
#define SMP_BREDR_MAIN_H

#include "hive.h"
#include "smp_bredr.h"

/* A LinkEvent: true when it was a BR/EDR Connected (the LE machine must not
 * see it); a Disconnected also ends the BR/EDR link (and returns false). */
bool smp_bredr_on_link(struct smp_bredr *b, const Hive__LinkEvent *le);
/* One BredrEvent from the host. */
void smp_bredr_on_event(struct smp_bredr *b, struct smp_actor *s, const Hive__BredrEvent *ev);
/* link_keys and link_key_delete: true when q was one (answered). */
bool smp_bredr_request(struct smp_bredr *b, struct hive_actor *a, const char *source,
		       uint64_t id, const Hive__SmpRequest *q);
/* Sends the outbox (HCI replies to host, pairing outcomes to apps) and
 * clears it; logs what the module noted. */
void smp_bredr_send(struct smp_bredr *b, struct hive_actor *a, const char *host,
		    uint64_t *next_id);

#endif
