/* The l2cap actor's I/O shell, shared by l2cap_main.c (the loop, frames,
 * channel PDUs, link events, the outbox, timers, the snapshot) and
 * l2cap_main_req.c (the L2capRequest API for apps). Only these two files
 * touch ZeroMQ, timers and protobuf-c; the decisions are the core's
 * (l2cap.h). */
#ifndef L2CAP_MAIN_H
#define L2CAP_MAIN_H

#include "hive.h"
#include "l2cap.h"

/* Receive parameters for channels whose request leaves them at 0. */
#define L2CAP_COC_MTU_DEFAULT 2048
#define L2CAP_COC_MPS_DEFAULT 247
#define L2CAP_COC_CREDITS_DEFAULT 16

struct l2cap_main {
	struct hive_actor *a;
	struct l2cap *l;
	/* The neighbours' names (--set host= gatt= smp=). */
	char host[HIVE_NAME_MAX + 1];
	char gatt[HIVE_NAME_MAX + 1];
	char smp[HIVE_NAME_MAX + 1];
	struct l2cap_coc_params coc_default;
	int timer;
	uint64_t timer_due;
	uint64_t next_id;      /* our requests to host */
	bool restored;         /* state came from a snapshot */
	uint64_t send_failures;
	/* The last snapshot handed to the broker, and a buffer for the next. */
	uint8_t *snap, *snap_next;
	size_t snap_len, snap_cap;
	/* Outbox items already sent as part of a grouped Result (flush). */
	bool *done;
	size_t done_cap;
};

uint64_t l2cap_main_now_ms(void);
/* hive_send, logged when it fails (counted in send_failures). */
void l2cap_main_send(struct l2cap_main *m, const char *dest, Hive__Envelope *env);
/* Sends a Result: status 0 / -errno (domain LOCAL) / a protocol code > 0
 * (domain L2CAP), with words for failures. value may be NULL. */
void l2cap_main_result(struct l2cap_main *m, const char *dest, uint64_t id, int status,
		       Hive__L2capResult *value);
/* Fills a ChannelInfo from a channel (handle given: the struct has none). */
void l2cap_main_chan_info(Hive__L2capChannelInfo *ci, Hive__L2capCocParams *rx,
			  uint16_t handle, const struct l2cap_chan *ch);

/* l2cap_main_req.c: Request.op l2cap. */
void l2cap_main_on_request(struct l2cap_main *m, const char *source, const Hive__Request *r);

#endif
