/* What the hive-ctl host commands share (ctl_host.c, ctl_host_adv.c): one
 * Request to "host" and its Result, and the formatting and parsing of
 * addresses, UUIDs and numbers. */
#ifndef CTL_HOST_H
#define CTL_HOST_H

#include "ctl.h"

#define HOST_TIMEOUT_MS 10000
#define DEVICES_MAX 128

struct call {
	uint64_t id;
	bool done;
	bool undeliverable;
	Hive__Result *final; /* deep copy */
	/* scan: the latest report per device */
	unsigned ndev;
	Hive__ScanReport *dev[DEVICES_MAX];
	unsigned updates; /* reports kept: the live table redraws when it moves */
};

/* Sends req to host and waits for its final result up to timeout_ms (0:
 * --timeout, else HOST_TIMEOUT_MS). Returns 0 when it succeeded (k->final
 * set); otherwise reports and returns -1. */
int call(struct ctl *c, const char *cmd, Hive__Request *req, int timeout_ms, struct call *k);
void call_free(struct call *k);

const char *addr_type_name(int t);
void addr_text(const Hive__Address *a, char out[18]);
void ok_json(struct ctl *c, const char *cmd);
int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len);
/* "180d", "0000fe2c" or a 128-bit UUID with dashes: to LE bytes. */
int parse_uuid(const char *s, uint8_t out[16], size_t *len);
int parse_uint(const char *s, unsigned long max, unsigned long *out);
/* "1m", "2m" or "coded" to the HCI PHY number (1, 2, 3); 0 when unknown. */
int parse_phy(const char *s);

#endif
