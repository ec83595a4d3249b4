/* Per-actor permissions: which names an actor may send to, which message
 * kinds (envelope bodies) it may send, whether a live holder of its name may
 * be replaced; and the stack's built-in rules (only hci and host exchange
 * raw HCI, only l2cap and smp carry SMP PDUs, which hold the keys).
 *
 * The table comes from JSON, the graph file's "permissions" section:
 *
 *   {"gatt": {"may_send_to": ["l2cap", "apps"], "kinds": ["pdu", "result"],
 *             "replace": true}}
 *
 * "*" in may_send_to is anyone; "apps" is any name that is not one of the
 * stack's layers (hci, host, l2cap, gatt, smp, sdp). kinds are body names
 * of messages/hive.proto's Envelope ("hci", "pdu", "request", ...). Messages
 * to "broker" are always allowed. Pure: no sockets. */
#ifndef HIVE_BROKER_PERM_H
#define HIVE_BROKER_PERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker_peek.h"
#include "hive.h"

#define PERM_ERR_MAX 512

struct perm_entry {
	char name[HIVE_NAME_MAX + 1];
	bool has_send_to;
	char (*send_to)[HIVE_NAME_MAX + 1];
	size_t nsend_to;
	bool has_kinds;
	uint32_t *kinds;
	size_t nkinds;
	bool replace;
};

struct perm_table {
	bool enabled; /* false: no permissions at all (a bare broker) */
	struct perm_entry *entries;
	size_t n;
};

/* Parses len bytes of JSON. source names the text in errors. Returns 0 (t
 * enabled) or -EINVAL with the reason in err, or -ENOMEM. */
int perm_parse(const char *json, size_t len, const char *source, struct perm_table *t,
	       char *err, size_t err_cap);
/* Reads and parses a file. */
int perm_load(const char *path, struct perm_table *t, char *err, size_t err_cap);
void perm_fini(struct perm_table *t);

/* Whether from may send this message to to. When not, why says so in words
 * (for the sender's Undeliverable and the log). */
bool perm_allows(const struct perm_table *t, const char *from, const char *to,
		 const struct env_peek *pk, char *why, size_t why_cap);

/* Whether a live holder of name may be replaced by a Hello with replace. */
bool perm_may_replace(const struct perm_table *t, const char *name);

#endif
