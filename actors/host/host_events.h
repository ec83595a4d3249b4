/* The HCI event dispatch tables, exposed for tests. */
#ifndef HOST_EVENTS_H
#define HOST_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct host;

typedef int (*host_event_fn)(struct host *h, uint8_t code, const uint8_t *p, size_t len,
			     uint64_t now_ms);

struct host_event_handler {
	uint8_t code;    /* event code, or LE subevent code */
	uint8_t min_len; /* parameters (after the subevent code for LE) */
	const char *name;
	host_event_fn fn;
};

const struct host_event_handler *host_event_table(size_t *n);
const struct host_event_handler *host_le_event_table(size_t *n);

#endif
