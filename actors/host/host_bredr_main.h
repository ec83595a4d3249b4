/* hive-host's BR/EDR shell (host_bredr_main.c), called from host_main.c. */
#ifndef HOST_BREDR_MAIN_H
#define HOST_BREDR_MAIN_H

#include "host_main.h"

/* Reads --set bredr_scan and bredr_accept. Returns 0 or -EINVAL (logged). */
int host_bredr_configure(struct host_actor *self);
/* Serves a BR/EDR request; false when req is not one. */
bool host_bredr_request(struct host_actor *self, const char *source, const Hive__Request *req);
/* Sends one HOST_OUT_BREDR item. */
void host_send_bredr(struct host_actor *self, const struct host_bredr_event *e);

#endif
