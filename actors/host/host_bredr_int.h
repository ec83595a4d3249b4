/* Internal to host_bredr.c (event handlers) and host_bredr_ops.c
 * (requests, start-up, command completions). */
#ifndef HOST_BREDR_INT_H
#define HOST_BREDR_INT_H

#include "host_bredr.h"

struct host_conn;

enum bredr_op {
	BR_SETUP = 1,
	BR_INQUIRY,
	BR_INQUIRY_CANCEL,
	BR_CONNECT,
	BR_CONNECT_CANCEL,
	BR_ACCEPT,
	BR_SCAN,
	BR_NAME,
	BR_AUTH,
	BR_ENCRYPT,
	BR_ROLE,
	BR_FLUSH,
};

/* Queues a BR/EDR command tagged with op and asker; plen < 0 (a builder's
 * error) is returned as it is. Returns 0 or -errno. */
int bredr_submit(struct host *h, enum bredr_op op, uint64_t asker, uint16_t opcode,
		 const uint8_t *p, int plen);
/* A new HOST_OUT_BREDR item (zeroed but for kind), or NULL when full. */
struct host_bredr_event *bredr_out(struct host *h, enum host_bredr_kind kind);
/* A final Result without a value. */
void bredr_answer(struct host *h, uint64_t asker, int32_t status, bool hci, const char *error);
/* The outgoing connection ended (c: the link when it succeeded). */
void bredr_connect_end(struct host *h, uint8_t status, const struct host_conn *c);
/* The inquiry ended: INQUIRY_COMPLETE to its asker and the apps. */
void bredr_inquiry_end(struct host *h, uint8_t status);
/* Authentication Complete for handle: encrypt next, or answer. */
void bredr_auth_authenticated(struct host *h, uint16_t handle, uint8_t status);
void bredr_auth_end(struct host *h, uint16_t handle, uint8_t status);

#endif
