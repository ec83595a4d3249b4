/* The smp actor's I/O shell, shared by smp_main.c (the loop, link events,
 * PDUs, the outbox into messages, keys for host, configuration) and
 * smp_main_req.c (Request.smp from apps). Only these files (and
 * smp_bredr_main.c, smp_gatt.c) touch ZeroMQ, timers and protobuf-c; the
 * decisions are in smp_actor.c and smp_delegate.c. */
#ifndef SMP_MAIN_H
#define SMP_MAIN_H

#include "hive.h"
#include "smp_actor.h"
#include "smp_bredr_main.h"
#include "smp_gatt.h"

#define SMP_MAIN_LIST_MAX 256

struct smp_main {
	struct hive_actor *a;
	struct smp_actor s;
	struct smp_bonds *store;
	struct smp_bredr bredr; /* BR/EDR link keys and Simple Pairing */
	struct smp_gatt sg; /* bonded links told to gatt (smp_gatt.h) */
	char l2cap[HIVE_NAME_MAX + 1], host[HIVE_NAME_MAX + 1], gatt[HIVE_NAME_MAX + 1];
	int timer;
	uint64_t timer_due;
	uint64_t next_id;
	uint8_t snap[SMP_SNAPSHOT_MAX];
	size_t snap_len;
	struct smp_bond list[SMP_MAIN_LIST_MAX];
};

/* n octets reversed (wire order <-> most significant first). */
void smp_main_rev(uint8_t *dst, const uint8_t *src, size_t n);
/* smp_addr -> SmpAddress in wire order; buf holds the 6 octets. */
void smp_main_addr_out(Hive__SmpAddress *pa, const struct smp_addr *a, uint8_t buf[6]);
/* hive_send, logged when it fails. */
void smp_main_send(struct smp_main *m, const char *dest, Hive__Envelope *env);
/* Once per input: the outbox out, the snapshot and the timer up to date. */
void smp_main_flush(struct smp_main *m);

/* smp_main_req.c: Request (op smp). */
void smp_main_on_request(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			 void *arg);

#endif
