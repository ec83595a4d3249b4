/* hive-ctl: options, the command loop, tokenising, the shared helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_bredr.h"
#include "ctl_errors.h"
#include "ctl_script.h"

#define CTL_MAX_ARGS 64

static int cmd_help(struct ctl *c, int argc, char **argv);
static int cmd_quit(struct ctl *c, int argc, char **argv);

const struct ctl_command ctl_commands[] = {
	{ "status", "status", "every actor with pid, state, restarts, queue depth and traffic",
	  ctl_cmd_status, NULL },
	{ "wait-ready", "wait-ready [--timeout SECONDS]",
	  "wait until the graph's launcher says every actor is ready (default 30 s)",
	  ctl_cmd_wait_ready, "--timeout" },
	{ "ping", "ping ACTOR [--count N]", "round trip of an echo request to an actor",
	  ctl_cmd_ping, "hci host l2cap gatt smp sdp --count" },
	{ "advertise", "advertise [--name N] [--connectable|--non-connectable] [--interval MS] "
		       "[--uuid U]... [--manufacturer HEX] [--data HEX] [--extended] "
		       "[--phy 1m|2m|coded] | off",
	  "start (or stop) advertising; extended (data over 31 bytes, 2M or Coded) when the "
	  "controller has it",
	  ctl_cmd_advertise,
	  "--name --connectable --non-connectable --interval --uuid --manufacturer --data "
	  "--extended --phy off" },
	{ "scan", "scan [--seconds N] [--passive]",
	  "devices heard: address, name, RSSI, PHYs, UUIDs (advertisement and scan response "
	  "merged); on a terminal without --seconds, a live table until a key",
	  ctl_cmd_scan, "--seconds --passive" },
	{ "connect",
	  "connect ADDR [--random] [--timeout S] [--phy 1m|2m|coded]... | connect ADDR --bredr "
	  "[--timeout S]",
	  "connect as central (LE), or page a BR/EDR device", ctl_cmd_connect_any,
	  "--random --timeout --phy --bredr" },
	{ "inquiry", "inquiry [--seconds N] [--max N]",
	  "BR/EDR devices around: address, name, class of device, RSSI", ctl_cmd_inquiry,
	  "--seconds --max" },
	{ "scan-enable", "scan-enable [--discoverable] [--connectable] [--reject]",
	  "BR/EDR inquiry scan and page scan (none: neither), and refusing connections",
	  ctl_cmd_scan_enable, "--discoverable --connectable --reject" },
	{ "remote-name", "remote-name ADDR", "the name of a BR/EDR device", ctl_cmd_remote_name,
	  NULL },
	{ "auth", "auth HANDLE [--yes] [--passkey N] [--no-encrypt]",
	  "authenticate and encrypt a BR/EDR link (Secure Simple Pairing prompts, or the stored "
	  "link key)", ctl_cmd_auth, "--yes --passkey --no-encrypt" },
	{ "link-keys", "link-keys", "the BR/EDR link keys in smp's store", ctl_cmd_link_keys, NULL },
	{ "disconnect", "disconnect [HANDLE]", "end a connection", ctl_cmd_disconnect, NULL },
	{ "connections", "connections", "the host's connection table", ctl_cmd_connections, NULL },
	{ "conn-update", "conn-update [HANDLE] [--interval MS] [--latency N] [--timeout MS]",
	  "new connection parameters (a peripheral asks the central)", ctl_cmd_conn_update,
	  "--interval --latency --timeout" },
	{ "phy", "phy [HANDLE] [1m|2m|coded]", "ask for a PHY", ctl_cmd_phy, "1m 2m coded" },
	{ "rssi", "rssi [HANDLE]", "the RSSI of a connection", ctl_cmd_rssi, NULL },
	{ "pair", "pair HANDLE [--sc|--legacy] [--mitm] [--io CAP] [--yes] [--passkey N] "
		  "[--oob C,R] [--oob-tk TK]",
	  "pair a link (prompts, or --yes / --passkey for scripts; --to ACTOR)", ctl_cmd_pair,
	  "--sc --legacy --mitm --io --yes --passkey --oob --oob-tk --to display_only display_yes_no "
	  "keyboard_only no_input_no_output keyboard_display" },
	{ "encrypt", "encrypt HANDLE", "encrypt a link with the stored bond's key",
	  ctl_cmd_encrypt, NULL },
	{ "bonds", "bonds", "the bonds in smp's store", ctl_cmd_bonds, NULL },
	{ "unpair", "unpair ADDR", "delete the bond of a peer identity address", ctl_cmd_unpair, NULL },
	{ "oob", "oob [--renew]",
	  "our LE Secure Connections OOB data (address, C, R) for the peer's pair --oob",
	  ctl_cmd_oob, "--renew --to" },
	{ "pairing-policy", "pairing-policy accept|reject|passkey:N",
	  "how smp answers prompts when no app is asked (headless)", ctl_cmd_pairing_policy,
	  "accept reject passkey:" },
	{ "discover", "discover [--conn H]", "the peer's services, characteristics, descriptors",
	  ctl_cmd_gatt_discover, "--conn" },
	{ "read", "read HANDLE|UUID [--secure] [--conn H]",
	  "read a value of the peer (whole, long or not; --secure: pair if it asks)",
	  ctl_cmd_gatt_read, "--secure --conn" },
	{ "write",
	  "write HANDLE|UUID VALUE [--no-response] [--signed] [--long] [--secure] [--conn H]",
	  "write a value of the peer (hex or text; --secure: pair if it asks)",
	  ctl_cmd_gatt_write, "--no-response --signed --long --secure --conn" },
	{ "subscribe", "subscribe HANDLE|UUID [--indicate] [--count N] [--timeout S] [--conn H]",
	  "subscribe and print values as they arrive", ctl_cmd_gatt_subscribe,
	  "--indicate --count --timeout --conn" },
	{ "unsubscribe", "unsubscribe HANDLE|UUID [--conn H]", "write 0 to the CCCD",
	  ctl_cmd_gatt_unsubscribe, "--conn" },
	{ "mtu", "mtu N [--conn H]", "exchange the ATT MTU", ctl_cmd_gatt_mtu, "--conn" },
	{ "gatt-db", "gatt-db", "the local attribute database", ctl_cmd_gatt_db, NULL },
	{ "notify", "notify HANDLE VALUE [--indicate] [--conn H]",
	  "notify subscribers (or one connection) of a local value", ctl_cmd_gatt_notify,
	  "--indicate --conn" },
	{ "l2cap", "l2cap listen|open|send|close|recv|channels|conn-update ...",
	  "credit based channels; l2cap conn-update asks the central (peripheral)",
	  ctl_cmd_l2cap,
	  "listen open send close recv channels conn-update --to --mtu --mps --credits --conn "
	  "--count --timeout" },
	{ "sdp", "sdp ADDR|HANDLE [--mtu N] [--max-bytes N] [--to L2CAP] [--host HOST] "
		 "[--timeout S]",
	  "browse a BR/EDR peer's SDP records (public browse group, every attribute)",
	  ctl_cmd_sdp, "--mtu --max-bytes --to --host --timeout" },
	{ "help", "help", "this list", cmd_help, NULL },
	{ "quit", "quit", "leave (also exit, Ctrl-D)", cmd_quit, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hive-ctl [--run-dir DIR] [--json] [--timeout S] [-c \"CMD; CMD; ...\" | "
		   "-f FILE]\n"
		   "Drives a running hive graph. Without -c or -f it reads commands: with line\n"
		   "editing, history (~/.hive_history) and Tab completion on a terminal, else one\n"
		   "per line. Commands are separated by ';' or newlines ('#' starts a comment).\n"
		   "--timeout S is the default for every wait (a command's own --timeout wins).\n"
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

void *ctl_copy(const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return NULL;
	protobuf_c_message_pack(m, buf);
	void *c = protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
	free(buf);
	return c;
}

int ctl_parse_addr(const char *s, uint8_t out[6])
{
	unsigned b[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		out[i] = (uint8_t)b[5 - i];
	return 0;
}

void ctl_hex_print(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

char *ctl_hex_str(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = '\0';
	return s;
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

int ctl_fail_result(struct ctl *c, const char *cmd, const char *who, const Hive__Result *r)
{
	if (!r)
		return ctl_fail(c, cmd, "%s did not answer (is it running? 'status' shows the actors)",
				who);
	char msg[1024], reason[160];
	ctl_result_text(r, msg, sizeof msg);
	ctl_code_text((int)r->domain, r->status, reason, sizeof reason);
	fprintf(stderr, "hive-ctl: %s: %s\n", cmd, msg);
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:s, s:s, s:i, s:s}", "command", cmd, "ok", 0,
					 "error", msg, "domain", ctl_domain_name((int)r->domain),
					 "code", (int)r->status, "reason", reason));
	return -1;
}

int ctl_timeout_ms(const struct ctl *c, int dflt_ms)
{
	return c->timeout_ms > 0 ? c->timeout_ms : dflt_ms;
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

int ctl_run_line(struct ctl *c, const char *line)
{
	char *buf = malloc(strlen(line) + 1);
	char *argv[CTL_MAX_ARGS + 1];
	if (!buf)
		return -1;
	int argc = ctl_tokenize(line, buf, argv, CTL_MAX_ARGS);
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

int ctl_run_script(struct ctl *c, const char *script, bool *quit)
{
	int failures = 0;
	char *cmd = malloc(strlen(script) + 1);
	if (!cmd)
		return 1;
	const char *p = script;
	while (!*quit && !hive_signal_received()) {
		size_t n = ctl_command_end(p);
		memcpy(cmd, p, n);
		cmd[n] = '\0';
		int rc = ctl_run_line(c, cmd);
		if (rc == 1)
			*quit = true;
		else if (rc < 0)
			failures++;
		if (!p[n])
			break;
		p += n + 1;
	}
	free(cmd);
	return failures;
}

/* Without a terminal: one line at a time, so pipes and tests see each
 * answer before the next command. */
static int read_lines(struct ctl *c)
{
	int failures = 0;
	char *line = NULL;
	size_t cap = 0;
	bool quit = false;
	while (!quit && getline(&line, &cap, stdin) >= 0)
		failures += ctl_run_script(c, line, &quit);
	free(line);
	return failures;
}

/* The whole of a file ("-" is stdin) as a string, or NULL (reported). */
static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		fprintf(stderr, "hive-ctl: -f %s: %s\n", path, strerror(errno));
		return NULL;
	}
	size_t len = 0, cap = 4096;
	char *s = malloc(cap);
	size_t n;
	while (s && (n = fread(s + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			char *t = realloc(s, cap * 2);
			if (!t) {
				free(s);
				s = NULL;
			}
			s = t;
			cap *= 2;
		}
	}
	bool err = ferror(f);
	if (f != stdin)
		fclose(f);
	if (s && err) {
		fprintf(stderr, "hive-ctl: -f %s: read error\n", path);
		free(s);
		return NULL;
	}
	if (s)
		s[len] = '\0';
	return s;
}

int main(int argc, char **argv)
{
	struct ctl c = { .next_request_id = 1 };
	const char *script = NULL, *file = NULL;
	hive_default_run_dir(c.run_dir, sizeof c.run_dir);
	if (!getenv("HIVE_LOG"))
		hive_log_set_threshold(HIVE_LOG_ERROR);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--run-dir") == 0 && i + 1 < argc) {
			snprintf(c.run_dir, sizeof c.run_dir, "%s", argv[++i]);
		} else if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			script = argv[++i];
		} else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc) {
			file = argv[++i];
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			char *end;
			double s = strtod(argv[++i], &end);
			if (*end || end == argv[i] || !(s > 0 && s <= 86400)) {
				fprintf(stderr, "hive-ctl: --timeout %s: expected seconds "
						"(0 < S <= 86400)\n", argv[i]);
				return 2;
			}
			c.timeout_ms = (int)(s * 1000);
			if (c.timeout_ms < 1)
				c.timeout_ms = 1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "hive-ctl: unknown option or missing value: %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (script && file) {
		fprintf(stderr, "hive-ctl: give -c or -f, not both\n");
		return 2;
	}
	hive_signals_install();
	bool quit = false;
	int failures;
	if (script) {
		failures = ctl_run_script(&c, script, &quit);
	} else if (file) {
		char *text = slurp(file);
		failures = text ? ctl_run_script(&c, text, &quit) : 1;
		free(text);
	} else if (isatty(0)) {
		failures = ctl_console(&c);
	} else {
		failures = read_lines(&c);
	}
	hive_actor_destroy(&c.actor);
	return failures ? 1 : 0;
}
