/* The device configuration file (JSON), read at start-up:
 *
 *   { "name": "hive", "address": "C0:98:E5:49:00:01", "appearance": 832,
 *     "advertising_interval": 100, "irk": "00112233445566778899aabbccddeeff",
 *     "keystore": "/var/lib/hive/keys.json", "io_capability": "display_yes_no",
 *     "own_address_type": "random", "rpa_timeout": 900 }
 *
 * Bumble's device JSON keys (name, address, advertising_interval in ms, irk
 * as hex least significant octet first, keystore) mean the same here.
 * "address" is random static unless it ends in "/P" (public).
 * "own_address_type": "public", "random" (static) or "resolvable" (RPAs
 * from the IRK, rotated every rpa_timeout seconds); without it: "random"
 * when an address is given, else "public". Unknown keys are ignored.
 * A random address or IRK the host generates is written back into the file
 * (a temporary file then rename).
 *
 * "keystore" and "io_capability" are pairing's: hive-launch gives them to
 * the graph's smp actor as its keystore= and io_cap= settings unless smp
 * has its own (launcher/launch_device.h); the host only checks them. */
#ifndef HOST_CONFIG_H
#define HOST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOST_NAME_MAX_LEN 248

enum host_own_mode {
	HOST_OWN_AUTO,
	HOST_OWN_PUBLIC,
	HOST_OWN_RANDOM,
	HOST_OWN_RPA,
};

struct host_config {
	char name[HOST_NAME_MAX_LEN + 1];
	bool has_address;
	bool address_public;
	uint8_t address[6];
	uint16_t appearance;
	uint32_t adv_interval_ms; /* 0: not given */
	bool has_irk;
	uint8_t irk[16];
	char keystore[1024];
	char io_capability[32];
	enum host_own_mode own;
	uint32_t rpa_timeout_s;
};

void host_config_defaults(struct host_config *c);

/* Reads path into c (defaults first). Returns 0, or -errno with a message
 * naming the file and the key in err. */
int host_config_load(struct host_config *c, const char *path, char *err, size_t errcap);

/* Sets key to a string value in the JSON file at path (the file is made
 * when missing), atomically. Returns 0 or -errno with a message in err. */
int host_config_store(const char *path, const char *key, const char *value, char *err,
		      size_t errcap);

#endif
