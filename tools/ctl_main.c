/* hive-ctl: options, the command loop, tokenising, the shared helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define CTL_MAX_ARGS 64

static int cmd_help(struct ctl *c, int argc, char **argv);
static int cmd_quit(struct ctl *c, int argc, char **argv);

const struct ctl_command ctl_commands[] = {
	{ "status", "status", "every actor with pid, state, restarts, queue depth and traffic",
	  ctl_cmd_status },
	{ "wait-ready", "wait-ready [--timeout SECONDS]",
	  "wait until the graph's launcher says every actor is ready (default 30 s)",
	  ctl_cmd_wait_ready },
	{ "ping", "ping ACTOR [--count N]", "round trip of an echo request to an actor",
	  ctl_cmd_ping },
	{ "advertise", "advertise [--name N] [--connectable|--non-connectable] [--interval MS] "
		       "[--uuid U]... [--manufacturer HEX] | off",
	  "start (or stop) advertising", ctl_cmd_advertise },
	{ "scan", "scan [--seconds N] [--passive]",
	  "devices heard: address, name, RSSI, UUIDs (advertisement and scan response merged)",
	  ctl_cmd_scan },
	{ "connect", "connect ADDR [--random] [--timeout S]", "connect as central", ctl_cmd_connect },
	{ "disconnect", "disconnect [HANDLE]", "end a connection", ctl_cmd_disconnect },
	{ "connections", "connections", "the host's connection table", ctl_cmd_connections },
	{ "conn-update", "conn-update [HANDLE] [--interval MS] [--latency N] [--timeout MS]",
	  "new connection parameters (central)", ctl_cmd_conn_update },
	{ "phy", "phy [HANDLE] [1m|2m|coded]", "ask for a PHY", ctl_cmd_phy },
	{ "rssi", "rssi [HANDLE]", "the RSSI of a connection", ctl_cmd_rssi },
	{ "pair", "pair HANDLE [--sc|--legacy] [--mitm] [--io CAP] [--yes] [--passkey N]",
	  "pair a link (prompts, or --yes / --passkey for scripts; --to ACTOR)", ctl_cmd_pair },
	{ "encrypt", "encrypt HANDLE", "encrypt a link with the stored bond's key",
	  ctl_cmd_encrypt },
	{ "bonds", "bonds", "the bonds in smp's store", ctl_cmd_bonds },
	{ "unpair", "unpair ADDR", "delete the bond of a peer identity address", ctl_cmd_unpair },
	{ "pairing-policy", "pairing-policy accept|reject|passkey:N",
	  "how smp answers prompts when no app is asked (headless)", ctl_cmd_pairing_policy },
	{ "discover", "discover [--conn H]", "the peer's services, characteristics, descriptors",
	  ctl_cmd_gatt_discover },
	{ "read", "read HANDLE|UUID [--conn H]", "read a value of the peer (whole, long or not)",
	  ctl_cmd_gatt_read },
	{ "write", "write HANDLE|UUID VALUE [--no-response] [--long] [--conn H]",
	  "write a value of the peer (hex or text)", ctl_cmd_gatt_write },
	{ "subscribe", "subscribe HANDLE|UUID [--indicate] [--count N] [--timeout S] [--conn H]",
	  "subscribe and print values as they arrive", ctl_cmd_gatt_subscribe },
	{ "unsubscribe", "unsubscribe HANDLE|UUID [--conn H]", "write 0 to the CCCD",
	  ctl_cmd_gatt_unsubscribe },
	{ "mtu", "mtu N [--conn H]", "exchange the ATT MTU", ctl_cmd_gatt_mtu },
	{ "gatt-db", "gatt-db", "the local attribute database", ctl_cmd_gatt_db },
	{ "notify", "notify HANDLE VALUE [--indicate] [--conn H]",
	  "notify subscribers (or one connection) of a local value", ctl_cmd_gatt_notify },
	{ "l2cap", "l2cap listen|open|send|close|recv|channels|conn-update ...",
	  "credit based channels; l2cap conn-update asks the central (peripheral)",
	  ctl_cmd_l2cap },
	{ "help", "help", "this list", cmd_help },
	{ "quit", "quit", "leave (also exit, Ctrl-D)", cmd_quit },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hive-ctl [--run-dir DIR] [--json] [-c \"CMD; CMD; ...\"]\n"
		   "Drives a running hive graph. Without -c it reads commands interactively.\n"
		   "The exit status is 0 only when every command succeeded.\n\ncommands:\n");
	for (const struct ctl_command *k = ctl_commands; k->name; k++) {
		if (strlen(k->usage) <= 34)
			fprintf(f, "  %-34s %s\n", k->usage, k->help);
		else
			fprintf(f, "  %s\n  %-34s %s\n", k->usage, "", k->help);
	}
}

static int cmd_help(struct ctl *c, int argc, char **argv)
{
	usage(stdout);
	return 0;
}

static int cmd_quit(struct ctl *c, int argc, char **argv)
{
	return 1; /* handled by the loop */
}

void ctl_print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(v);
	fflush(stdout);
}

int ctl_fail(struct ctl *c, const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "hive-ctl: %s: %s\n", cmd, msg);
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:s}", "command", cmd, "ok", 0, "error", msg));
	return -1;
}

int ctl_connect(struct ctl *c, int timeout_ms)
{
	if (c->actor)
		return 0;
	char name[HIVE_NAME_MAX + 1];
	snprintf(name, sizeof name, "ctl-%d", (int)getpid());
	struct hive_actor_config cfg = {
		.name = name,
		.run_dir = c->run_dir,
		.ephemeral = true,
		.register_timeout_ms = timeout_ms,
	};
	/* The runtime logs the reason in words (no broker, refused, ...). */
	return hive_actor_new(&c->actor, &cfg);
}

/* Splits a command line into words: blanks separate, double or single
 * quotes group, backslash escapes in double quotes. Writes into buf. Returns
 * the word count or -1 on an unterminated quote. */
static int tokenize(const char *line, char *buf, char **argv, int max)
{
	int argc = 0;
	const char *p = line;
	char *o = buf;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			return argc;
		if (argc == max)
			return -1;
		argv[argc++] = o;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			if (*p == '"' || *p == '\'') {
				char q = *p++;
				while (*p && *p != q) {
					if (q == '"' && *p == '\\' && p[1])
						p++;
					*o++ = *p++;
				}
				if (*p != q)
					return -1;
				p++;
			} else {
				*o++ = *p++;
			}
		}
		*o++ = '\0';
	}
}

/* Runs one command line. Returns 0 on success, -1 on failure, 1 for quit. */
static int run_line(struct ctl *c, const char *line)
{
	char *buf = malloc(strlen(line) + 1);
	char *argv[CTL_MAX_ARGS + 1];
	if (!buf)
		return -1;
	int argc = tokenize(line, buf, argv, CTL_MAX_ARGS);
	int rc = 0;
	if (argc < 0) {
		fprintf(stderr, "hive-ctl: unterminated quote or too many words in: %s\n", line);
		rc = -1;
	} else if (argc > 0) {
		argv[argc] = NULL;
		const struct ctl_command *k = ctl_commands;
		while (k->name && strcmp(k->name, argv[0]) != 0)
			k++;
		if (strcmp(argv[0], "exit") == 0)
			rc = 1;
		else if (!k->name)
			rc = ctl_fail(c, argv[0], "unknown command; 'help' lists them");
		else
			rc = k->run(c, argc, argv);
	}
	free(buf);
	return rc;
}

/* Runs "CMD; CMD; ..." (semicolons inside quotes do not split). */
static int run_script(struct ctl *c, const char *script, bool *quit)
{
	int failures = 0;
	size_t n = strlen(script);
	char *cmd = malloc(n + 1);
	if (!cmd)
		return 1;
	size_t start = 0;
	char quote = 0;
	for (size_t i = 0; i <= n && !*quit; i++) {
		char ch = script[i];
		if (quote) {
			if (ch == quote)
				quote = 0;
			else if (ch == '\\' && quote == '"' && i + 1 < n)
				i++;
			continue;
		}
		if (ch == '"' || ch == '\'') {
			quote = ch;
			continue;
		}
		if (ch != ';' && ch != '\0')
			continue;
		memcpy(cmd, script + start, i - start);
		cmd[i - start] = '\0';
		int rc = run_line(c, cmd);
		if (rc == 1)
			*quit = true;
		else if (rc < 0)
			failures++;
		start = i + 1;
	}
	free(cmd);
	return failures;
}

static int interactive(struct ctl *c)
{
	int failures = 0;
	bool tty = isatty(0);
	char *line = NULL;
	size_t cap = 0;
	bool quit = false;
	while (!quit) {
		if (tty) {
			fputs("hive> ", stdout);
			fflush(stdout);
		}
		if (getline(&line, &cap, stdin) < 0)
			break;
		failures += run_script(c, line, &quit);
	}
	free(line);
	if (tty && !quit)
		putchar('\n');
	return failures;
}

int main(int argc, char **argv)
{
	struct ctl c = { .next_request_id = 1 };
	const char *script = NULL;
	hive_default_run_dir(c.run_dir, sizeof c.run_dir);
	if (!getenv("HIVE_LOG"))
		hive_log_set_threshold(HIVE_LOG_ERROR);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--run-dir") == 0 && i + 1 < argc)
			snprintf(c.run_dir, sizeof c.run_dir, "%s", argv[++i]);
		else if (strcmp(argv[i], "--json") == 0)
			c.json = true;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			script = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "hive-ctl: unknown option or missing value: %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	hive_signals_install();
	bool quit = false;
	int failures = script ? run_script(&c, script, &quit) : interactive(&c);
	hive_actor_destroy(&c.actor);
	return failures ? 1 : 0;
}
