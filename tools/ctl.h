/* hive-ctl: the command line a person and a script use to drive a graph.
 * Each layer adds its commands in its own ctl_<layer>.c and lists them in
 * the table in ctl_main.c. */
#ifndef HIVE_CTL_H
#define HIVE_CTL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "hive.h"

struct ctl {
	char run_dir[4096];
	bool json;
	struct hive_actor *actor; /* connected on first use */
	uint64_t next_request_id;
	int timeout_ms; /* --timeout: the default for every wait; 0: each command's own */
};

struct ctl_command {
	const char *name;
	const char *usage;
	const char *help;
	/* argv[0] is the command name. Returns 0 on success; on failure a
	 * message saying what went wrong has been printed to stderr. */
	int (*run)(struct ctl *c, int argc, char **argv);
	/* Words completed after the command name (options, subcommands),
	 * separated by blanks; NULL for none. */
	const char *words;
};

extern const struct ctl_command ctl_commands[];

/* Connects to the broker as an ephemeral actor, waiting up to timeout_ms
 * (0: the runtime's default). Returns 0 or -errno (reported). */
int ctl_connect(struct ctl *c, int timeout_ms);

/* Sends a StatusRequest and waits for the Status; the caller frees it with
 * hive__status__free_unpacked. NULL on timeout (reported). */
Hive__Status *ctl_status(struct ctl *c, int timeout_ms);

/* A deep copy of a message the caller owns (free it with its
 * *_free_unpacked), or NULL: a handler keeps it past the envelope, which
 * belongs to the runtime. */
void *ctl_copy(const ProtobufCMessage *m);

/* "AA:BB:CC:DD:EE:FF" to a BD_ADDR in LE byte order. 0 or -EINVAL. */
int ctl_parse_addr(const char *s, uint8_t out[6]);

/* Bytes as lowercase hex: on stdout, or in a malloc'd string (NULL when out
 * of memory). */
void ctl_hex_print(const uint8_t *p, size_t n);
char *ctl_hex_str(const uint8_t *p, size_t n);

/* Prints a JSON value as one line on stdout and releases it. */
void ctl_print_json(json_t *v);

/* Reports a failure of a command in words on stderr (and as a JSON object
 * on stdout with --json). Returns -1. */
int ctl_fail(struct ctl *c, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reports a failed Result (or none: timed out) of a command: the actor's
 * words and the ATT/HCI/SMP/L2CAP code in words (ctl_errors.c), and with
 * --json also "domain", "code" and "reason". Returns -1. */
int ctl_fail_result(struct ctl *c, const char *cmd, const char *who, const Hive__Result *r);

/* The wait a command should use: --timeout when given, else dflt_ms. */
int ctl_timeout_ms(const struct ctl *c, int dflt_ms);

/* Runs one command line. Returns 0 on success, -1 on failure, 1 for quit. */
int ctl_run_line(struct ctl *c, const char *line);

/* Runs a script: commands separated by ';' or newlines. Returns the number
 * of commands that failed; sets *quit on quit or exit. */
int ctl_run_script(struct ctl *c, const char *script, bool *quit);

/* The interactive loop on a terminal: line editing, history in
 * ~/.hive_history, completion (ctl_console.c). Returns the failures. */
int ctl_console(struct ctl *c);

/* Commands of the broker and the graph (ctl_graph.c). */
int ctl_cmd_status(struct ctl *c, int argc, char **argv);
int ctl_cmd_wait_ready(struct ctl *c, int argc, char **argv);
int ctl_cmd_ping(struct ctl *c, int argc, char **argv);

/* Commands of the host actor (ctl_host.c). */
int ctl_cmd_advertise(struct ctl *c, int argc, char **argv);
int ctl_cmd_scan(struct ctl *c, int argc, char **argv);
int ctl_cmd_connect(struct ctl *c, int argc, char **argv);
int ctl_cmd_disconnect(struct ctl *c, int argc, char **argv);
int ctl_cmd_connections(struct ctl *c, int argc, char **argv);
int ctl_cmd_conn_update(struct ctl *c, int argc, char **argv);
int ctl_cmd_phy(struct ctl *c, int argc, char **argv);
int ctl_cmd_rssi(struct ctl *c, int argc, char **argv);

/* Commands of the smp actor (ctl_smp.c). */
int ctl_cmd_pair(struct ctl *c, int argc, char **argv);
int ctl_cmd_encrypt(struct ctl *c, int argc, char **argv);
int ctl_cmd_bonds(struct ctl *c, int argc, char **argv);
int ctl_cmd_unpair(struct ctl *c, int argc, char **argv);
int ctl_cmd_pairing_policy(struct ctl *c, int argc, char **argv);
int ctl_cmd_oob(struct ctl *c, int argc, char **argv);

/* Commands of the gatt actor (ctl_gatt.c). */
int ctl_cmd_gatt_discover(struct ctl *c, int argc, char **argv);
int ctl_cmd_gatt_read(struct ctl *c, int argc, char **argv);
int ctl_cmd_gatt_write(struct ctl *c, int argc, char **argv);
int ctl_cmd_gatt_subscribe(struct ctl *c, int argc, char **argv);
int ctl_cmd_gatt_unsubscribe(struct ctl *c, int argc, char **argv);
int ctl_cmd_gatt_mtu(struct ctl *c, int argc, char **argv);
int ctl_cmd_gatt_db(struct ctl *c, int argc, char **argv);
int ctl_cmd_gatt_notify(struct ctl *c, int argc, char **argv);

/* Commands of the l2cap actor (ctl_l2cap.c): l2cap listen|open|send|close|... */
int ctl_cmd_l2cap(struct ctl *c, int argc, char **argv);

/* SDP over BR/EDR (ctl_sdp.c): sdp ADDR|HANDLE browses the peer's records. */
int ctl_cmd_sdp(struct ctl *c, int argc, char **argv);

#endif
