/* hive-ctl commands of the host actor: scanning, connecting and the links
 * (advertising: ctl_host_adv.c). Each sends one Request to "host" and waits for its Result
 * (a scan: for its stream of reports and its end). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_host.h"

static void keep_report(struct call *k, const Hive__ScanReport *sr)
{
	Hive__ScanReport *c = ctl_copy(&sr->base);
	if (!c)
		return;
	k->updates++;
	for (unsigned i = 0; i < k->ndev; i++) {
		const Hive__Address *a = k->dev[i]->address, *b = c->address;
		if (a && b && a->type == b->type && a->bdaddr.len == b->bdaddr.len &&
		    !memcmp(a->bdaddr.data, b->bdaddr.data, a->bdaddr.len)) {
			/* A report with a scan response or a name wins. */
			if (!c->has_scan_response && k->dev[i]->has_scan_response) {
				k->dev[i]->rssi = c->rssi;
				hive__scan_report__free_unpacked(c, NULL);
				return;
			}
			hive__scan_report__free_unpacked(k->dev[i], NULL);
			k->dev[i] = c;
			return;
		}
	}
	if (k->ndev < DEVICES_MAX)
		k->dev[k->ndev++] = c;
	else
		hive__scan_report__free_unpacked(c, NULL);
}

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct call *k = arg;
	const Hive__Result *r = env->result;
	if (r->id != k->id || k->done)
		return;
	if (r->value_case == HIVE__RESULT__VALUE_SCAN_REPORT && r->status == 0) {
		keep_report(k, r->scan_report);
		return;
	}
	k->final = ctl_copy(&r->base);
	k->done = true;
}

static void on_undeliverable(struct hive_actor *a, const char *source,
			     const Hive__Envelope *env, void *arg)
{
	struct call *k = arg;
	k->undeliverable = true;
	k->done = true;
}

void call_free(struct call *k)
{
	if (k->final)
		hive__result__free_unpacked(k->final, NULL);
	for (unsigned i = 0; i < k->ndev; i++)
		hive__scan_report__free_unpacked(k->dev[i], NULL);
	memset(k, 0, sizeof *k);
}

/* Sends req to host and waits for its final result up to timeout_ms (0:
 * --timeout, else HOST_TIMEOUT_MS). Returns 0 when it succeeded (k->final
 * set); otherwise reports and returns -1. */
int call(struct ctl *c, const char *cmd, Hive__Request *req, int timeout_ms,
		struct call *k)
{
	memset(k, 0, sizeof *k);
	if (ctl_connect(c, 0) < 0)
		return ctl_fail(c, cmd, "no graph answers at %s", c->run_dir);
	k->id = req->id = c->next_request_id++;
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, on_result, k);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, k);
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = req;
	int rc = hive_send(c->actor, "host", &env);
	if (timeout_ms == 0)
		timeout_ms = ctl_timeout_ms(c, HOST_TIMEOUT_MS);
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (rc == 0 && !k->done && hive_now_ns() < deadline && !hive_actor_stopping(c->actor))
		if (hive_run_once(c->actor, 50) < 0)
			break;
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, NULL, NULL);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_UNDELIVERABLE, NULL, NULL);
	if (rc < 0 || k->undeliverable)
		return ctl_fail(c, cmd, "the host actor is not running ('status' shows the actors)");
	if (!k->done || !k->final)
		return ctl_fail(c, cmd, "the host did not answer within %d ms", timeout_ms);
	if (k->final->status)
		return ctl_fail_result(c, cmd, "host", k->final);
	return 0;
}

/* ---- formatting ---------------------------------------------------------------- */

const char *addr_type_name(int t)
{
	static const char *const n[] = { "public", "random", "public-identity",
					 "random-identity" };
	return t >= 0 && t < 4 ? n[t] : "?";
}

void addr_text(const Hive__Address *a, char out[18])
{
	if (!a || a->bdaddr.len != 6) {
		snprintf(out, 18, "-");
		return;
	}
	const uint8_t *b = a->bdaddr.data;
	snprintf(out, 18, "%02X:%02X:%02X:%02X:%02X:%02X", b[5], b[4], b[3], b[2], b[1], b[0]);
}

static void uuid_text(const ProtobufCBinaryData *u, char *out, size_t cap)
{
	const uint8_t *b = u->data;
	if (u->len == 2)
		snprintf(out, cap, "%02x%02x", b[1], b[0]);
	else if (u->len == 4)
		snprintf(out, cap, "%02x%02x%02x%02x", b[3], b[2], b[1], b[0]);
	else if (u->len == 16)
		snprintf(out, cap,
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[15], b[14], b[13], b[12], b[11], b[10], b[9], b[8], b[7], b[6], b[5],
			 b[4], b[3], b[2], b[1], b[0]);
	else
		snprintf(out, cap, "?");
}

static json_t *conn_json(const Hive__ConnectionInfo *ci)
{
	char own[18], peer[18];
	addr_text(ci->own, own);
	addr_text(ci->peer, peer);
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:i, "
			 "s:i}",
			 "handle", (int)ci->handle, "role",
			 ci->role == HIVE__CONNECTED__ROLE__PERIPHERAL ? "peripheral" : "central",
			 "own", own, "peer", peer, "peer_type",
			 addr_type_name(ci->peer ? (int)ci->peer->type : -1), "interval",
			 (int)ci->interval, "latency", (int)ci->latency, "supervision_timeout",
			 (int)ci->supervision_timeout, "tx_phy", (int)ci->tx_phy, "rx_phy",
			 (int)ci->rx_phy, "max_tx_octets", (int)ci->max_tx_octets, "max_rx_octets",
			 (int)ci->max_rx_octets, "encrypted", ci->encrypted, "key_size",
			 (int)ci->key_size, "att_mtu", (int)ci->att_mtu);
}

void ok_json(struct ctl *c, const char *cmd)
{
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b}", "command", cmd, "ok", 1));
}

/* ---- parsing -------------------------------------------------------------------- */

int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

/* "180d", "0000fe2c" or a 128-bit UUID with dashes: to LE bytes. */
int parse_uuid(const char *s, uint8_t out[16], size_t *len)
{
	char hex[33];
	size_t n = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '-')
			continue;
		if (n == 32)
			return -EINVAL;
		hex[n++] = *p;
	}
	hex[n] = 0;
	uint8_t be[16];
	if ((n != 4 && n != 8 && n != 32) || parse_hex(hex, be, sizeof be, len) < 0)
		return -EINVAL;
	for (size_t i = 0; i < *len; i++)
		out[i] = be[*len - 1 - i];
	return 0;
}

int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (!*s || *end || errno || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The only connection's handle when none was given. */
static int pick_handle(struct ctl *c, const char *cmd, const char *arg, uint32_t *handle)
{
	unsigned long v;
	if (arg) {
		if (parse_uint(arg, 0x0eff, &v) < 0)
			return ctl_fail(c, cmd, "'%s' is not a connection handle", arg);
		*handle = (uint32_t)v;
		return 0;
	}
	Hive__ConnectionsQuery q = HIVE__CONNECTIONS_QUERY__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_CONNECTIONS;
	req.connections = &q;
	struct call k;
	int rc = call(c, cmd, &req, 0, &k);
	if (rc == 0) {
		const Hive__ConnectionTable *t = k.final->connections;
		if (!t || t->n_connections != 1)
			rc = ctl_fail(c, cmd, "%s connection%s: give the handle (see 'connections')",
				      t && t->n_connections ? "more than one" : "no",
				      t && t->n_connections ? "" : " to use");
		else
			*handle = t->connections[0]->handle;
	}
	call_free(&k);
	return rc;
}

/* ---- commands ------------------------------------------------------------------------ */

/* ---- the live scan table -------------------------------------------------------- */

/* How a report was heard: "legacy", or the extended PDU's PHYs. */
static const char *phy_text(const Hive__ScanReport *r, char out[16])
{
	static const char *const n[] = { "-", "1M", "2M", "Coded" };
	if (!r->extended)
		return "legacy";
	snprintf(out, 16, "%s/%s", n[r->primary_phy & 3], n[r->secondary_phy & 3]);
	return out;
}

/* One device as a table row, or (r NULL) the header. */
static void scan_row(const Hive__ScanReport *r, char *out, size_t cap)
{
	char ph[16];
	if (!r) {
		snprintf(out, cap, "%-17s %-15s %-20s %5s %-8s %s", "ADDRESS", "TYPE", "NAME", "RSSI",
			 "PHY", "SERVICES");
		return;
	}
	const Hive__AdvertisingData *d = r->data;
	char t[18], u[40], uu[256] = "";
	addr_text(r->address, t);
	for (size_t j = 0; d && j < d->n_uuids; j++) {
		uuid_text(&d->uuids[j], u, sizeof u);
		size_t l = strlen(uu);
		snprintf(uu + l, sizeof uu - l, "%s%s", l ? "," : "", u);
	}
	snprintf(out, cap, "%-17s %-15s %-20.20s %5d %-8s %s", t,
		 addr_type_name(r->address ? (int)r->address->type : -1),
		 d && d->name && *d->name ? d->name : "(no name)", (int)r->rssi, phy_text(r, ph),
		 uu);
}

struct live {
	struct call *k;
	bool key;     /* a key was pressed: stop */
	unsigned shown; /* lines drawn last time, to move back over */
};

static void on_key(struct hive_actor *a, int fd, short revents, void *arg)
{
	struct live *lv = arg;
	char ch;
	if (read(fd, &ch, 1) != 0 || (revents & (POLLHUP | POLLERR)))
		lv->key = true;
}

/* Redraws the table in place, strongest first, cut to the terminal's
 * height so that moving the cursor back up stays on screen. */
static void live_draw(struct live *lv, bool final)
{
	struct call *k = lv->k;
	unsigned order[DEVICES_MAX];
	for (unsigned i = 0; i < k->ndev; i++) {
		unsigned j = i;
		for (; j > 0 && k->dev[order[j - 1]]->rssi < k->dev[i]->rssi; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	struct winsize ws = { 0 };
	unsigned rows = ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 4 ? ws.ws_row - 3u : 20u;
	unsigned cols = ws.ws_col > 20 ? ws.ws_col : 200u;
	char line[512];
	if (lv->shown)
		printf("\033[%uA", lv->shown);
	printf("\r\033[J");
	scan_row(NULL, line, sizeof line);
	printf("%.*s\n", (int)cols - 1, line);
	unsigned n = k->ndev < rows ? k->ndev : rows;
	for (unsigned i = 0; i < n; i++) {
		scan_row(k->dev[order[i]], line, sizeof line);
		printf("%.*s\n", (int)cols - 1, line);
	}
	if (final)
		printf("%u device%s\n", k->ndev, k->ndev == 1 ? "" : "s");
	else
		printf("scanning: %u device%s%s, press a key to stop\n", k->ndev,
		       k->ndev == 1 ? "" : "s", n < k->ndev ? " (strongest shown)" : "");
	lv->shown = n + 2;
	fflush(stdout);
}

/* Scans until a key is pressed, the table updated in place as reports
 * arrive. stdin is in non-canonical, no-echo mode meanwhile (Ctrl-C still
 * signals); it is restored on every way out. */
static int scan_live(struct ctl *c, Hive__Scan *s)
{
	const char *cmd = "scan";
	struct call k;
	memset(&k, 0, sizeof k);
	if (ctl_connect(c, 0) < 0)
		return ctl_fail(c, cmd, "no graph answers at %s", c->run_dir);
	struct termios saved, raw;
	bool restore = tcgetattr(0, &saved) == 0;
	if (restore) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(0, TCSANOW, &raw);
	}
	s->duration_ms = 0; /* until StopScan */
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SCAN;
	req.scan = s;
	k.id = req.id = c->next_request_id++;
	struct live lv = { .k = &k };
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, on_result, &k);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, &k);
	hive_fd_watch(c->actor, 0, POLLIN, on_key, &lv);
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	int rc = hive_send(c->actor, "host", &env);
	unsigned drawn = ~0u;
	uint64_t last = 0;
	while (rc == 0 && !k.done && !lv.key && !hive_actor_stopping(c->actor) &&
	       !hive_signal_received()) {
		uint64_t now = hive_now_ns();
		if (k.updates != drawn || now - last > 1000000000ull) {
			live_draw(&lv, false);
			drawn = k.updates;
			last = now;
		}
		if (hive_run_once(c->actor, 200) < 0)
			break;
	}
	hive_fd_unwatch(c->actor, 0);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, NULL, NULL);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_UNDELIVERABLE, NULL, NULL);
	if (restore)
		tcsetattr(0, TCSANOW, &saved);
	if (rc < 0 || k.undeliverable) {
		rc = ctl_fail(c, cmd, "the host actor is not running ('status' shows the actors)");
	} else if (k.done && k.final && k.final->status) {
		rc = ctl_fail_result(c, cmd, "host", k.final);
	} else {
		live_draw(&lv, true);
		/* The scan runs until told: stop it (its end comes to the first id). */
		Hive__StopScan stop = HIVE__STOP_SCAN__INIT;
		Hive__Request sreq = HIVE__REQUEST__INIT;
		sreq.op_case = HIVE__REQUEST__OP_STOP_SCAN;
		sreq.stop_scan = &stop;
		struct call ks;
		if (!k.done && hive_actor_stopping(c->actor)) {
			/* Interrupted: the loop no longer runs; tell the host anyway. */
			Hive__Envelope senv = HIVE__ENVELOPE__INIT;
			senv.body_case = HIVE__ENVELOPE__BODY_REQUEST;
			senv.request = &sreq;
			sreq.id = c->next_request_id++;
			hive_send(c->actor, "host", &senv);
			rc = ctl_fail(c, cmd, "interrupted");
		} else if (!k.done) {
			rc = call(c, cmd, &sreq, 0, &ks);
			call_free(&ks);
		}
	}
	call_free(&k);
	return rc;
}

int ctl_cmd_scan(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "scan";
	Hive__Scan s = HIVE__SCAN__INIT;
	unsigned long secs = 5;
	bool timed = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--passive")) {
			s.passive = true;
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			if (parse_uint(argv[++i], 3600, &secs) < 0 || secs < 1)
				return ctl_fail(c, cmd, "--seconds %s: 1..3600", argv[i]);
			timed = true;
		} else {
			return ctl_fail(c, cmd, "usage: scan [--seconds N] [--passive]");
		}
	}
	/* On a terminal without --seconds: the live table until a key. */
	if (!timed && !c->json && isatty(0) && isatty(1))
		return scan_live(c, &s);
	s.duration_ms = (uint32_t)(secs * 1000);
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SCAN;
	req.scan = &s;
	struct call k;
	int rc = call(c, cmd, &req, (int)s.duration_ms + HOST_TIMEOUT_MS, &k);
	if (rc == 0) {
		json_t *list = c->json ? json_array() : NULL;
		for (unsigned i = 0; i < k.ndev; i++) {
			const Hive__ScanReport *r = k.dev[i];
			const Hive__AdvertisingData *d = r->data;
			char t[18], u[40], uu[16 * 40] = "";
			addr_text(r->address, t);
			json_t *ju = c->json ? json_array() : NULL;
			for (size_t j = 0; d && j < d->n_uuids; j++) {
				uuid_text(&d->uuids[j], u, sizeof u);
				if (ju)
					json_array_append_new(ju, json_string(u));
				size_t l = strlen(uu);
				snprintf(uu + l, sizeof uu - l, "%s%s", l ? "," : "", u);
			}
			const char *name = d && d->name ? d->name : "";
			const char *type = addr_type_name(r->address ? (int)r->address->type : -1);
			char ph[16];
			if (list)
				json_array_append_new(
					list, json_pack("{s:s, s:s, s:s, s:i, s:o, s:b, s:b, s:b, s:i, "
							"s:i, s:i, s:b}",
							"address", t, "type", type, "name", name,
							"rssi", (int)r->rssi, "uuids", ju,
							"connectable", r->connectable, "scan_response",
							r->has_scan_response, "extended", r->extended,
							"primary_phy", (int)r->primary_phy,
							"secondary_phy", (int)r->secondary_phy,
							"data_len", (int)r->adv_data.len, "truncated",
							r->truncated));
			else
				printf("%s %-6s %-20s rssi %4d %s%s%s%s\n", t, type,
				       *name ? name : "(no name)", (int)r->rssi, phy_text(r, ph),
				       r->truncated ? " (truncated)" : "", *uu ? " uuids " : "", uu);
		}
		if (list)
			ctl_print_json(json_pack("{s:s, s:b, s:o}", "command", cmd, "ok", 1,
						 "devices", list));
	}
	call_free(&k);
	return rc;
}

int ctl_cmd_connect(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "connect";
	uint8_t a[6];
	/* The connection's own --timeout, else the global one, else 5 s. */
	unsigned long secs = c->timeout_ms > 0 ? ((unsigned long)c->timeout_ms + 999) / 1000 : 5;
	Hive__Address peer = HIVE__ADDRESS__INIT;
	static const char usage[] =
		"usage: connect ADDR [--random] [--timeout S] [--phy 1m|2m|coded]...";
	uint32_t phys = 0;
	if (argc < 2 || ctl_parse_addr(argv[1], a) < 0)
		return ctl_fail(c, cmd, usage);
	for (int i = 2; i < argc; i++) {
		int phy;
		if (!strcmp(argv[i], "--random"))
			peer.type = HIVE__ADDRESS__TYPE__RANDOM;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc &&
			 parse_uint(argv[i + 1], 600, &secs) == 0 && secs > 0)
			i++;
		else if (!strcmp(argv[i], "--phy") && i + 1 < argc && (phy = parse_phy(argv[i + 1])))
			phys |= 1u << (phy - 1), i++;
		else
			return ctl_fail(c, cmd, usage);
	}
	peer.bdaddr.data = a;
	peer.bdaddr.len = 6;
	Hive__Connect con = HIVE__CONNECT__INIT;
	con.peer = &peer;
	con.timeout_ms = (uint32_t)(secs * 1000);
	con.phys = phys;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_CONNECT;
	req.connect = &con;
	struct call k;
	int rc = call(c, cmd, &req, (int)con.timeout_ms + HOST_TIMEOUT_MS, &k);
	if (rc == 0 && k.final->connection) {
		if (c->json) {
			json_t *j = conn_json(k.final->connection);
			json_object_set_new(j, "command", json_string(cmd));
			json_object_set_new(j, "ok", json_true());
			ctl_print_json(j);
		} else {
			printf("connected: handle 0x%04x\n", k.final->connection->handle);
		}
	}
	call_free(&k);
	return rc;
}

int ctl_cmd_disconnect(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "disconnect";
	uint32_t handle;
	if (argc > 2)
		return ctl_fail(c, cmd, "usage: disconnect [HANDLE]");
	if (pick_handle(c, cmd, argc == 2 ? argv[1] : NULL, &handle) < 0)
		return -1;
	Hive__Disconnect d = HIVE__DISCONNECT__INIT;
	d.handle = handle;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_DISCONNECT;
	req.disconnect = &d;
	struct call k;
	int rc = call(c, cmd, &req, 0, &k);
	if (rc == 0) {
		if (c->json)
			ctl_print_json(json_pack("{s:s, s:b, s:i}", "command", cmd, "ok", 1, "handle",
						 (int)handle));
		else
			printf("disconnected: handle 0x%04x\n", handle);
	}
	call_free(&k);
	return rc;
}

int ctl_cmd_connections(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "connections";
	Hive__ConnectionsQuery q = HIVE__CONNECTIONS_QUERY__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_CONNECTIONS;
	req.connections = &q;
	struct call k;
	if (argc != 1)
		return ctl_fail(c, cmd, "usage: connections");
	int rc = call(c, cmd, &req, 0, &k);
	if (rc == 0) {
		const Hive__ConnectionTable *t = k.final->connections;
		size_t n = t ? t->n_connections : 0;
		json_t *list = c->json ? json_array() : NULL;
		if (!c->json)
			printf("%-7s %-10s %-17s %-17s %8s %7s %7s %4s %6s %4s\n", "handle", "role",
			       "peer", "own", "interval", "latency", "timeout", "phy", "octets",
			       "enc");
		for (size_t i = 0; i < n; i++) {
			const Hive__ConnectionInfo *ci = t->connections[i];
			if (list) {
				json_array_append_new(list, conn_json(ci));
				continue;
			}
			char own[18], peer[18];
			addr_text(ci->own, own);
			addr_text(ci->peer, peer);
			printf("0x%04x  %-10s %-17s %-17s %8u %7u %7u %u/%u %6u %4s\n", ci->handle,
			       ci->role == HIVE__CONNECTED__ROLE__PERIPHERAL ? "peripheral"
									     : "central",
			       peer, own, ci->interval, ci->latency, ci->supervision_timeout,
			       ci->tx_phy, ci->rx_phy, ci->max_tx_octets, ci->encrypted ? "yes" : "no");
		}
		if (list)
			ctl_print_json(json_pack("{s:s, s:b, s:o}", "command", cmd, "ok", 1,
						 "connections", list));
	}
	call_free(&k);
	return rc;
}

int ctl_cmd_conn_update(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "conn-update";
	const char *hs = NULL;
	unsigned long interval = 30, latency = 0, timeout = 4000;
	for (int i = 1; i < argc; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(argv[i], "--interval") && parse_uint(val, 4000, &interval) == 0)
			i++;
		else if (!strcmp(argv[i], "--latency") && parse_uint(val, 499, &latency) == 0)
			i++;
		else if (!strcmp(argv[i], "--timeout") && parse_uint(val, 32000, &timeout) == 0)
			i++;
		else if (!hs && argv[i][0] != '-')
			hs = argv[i];
		else
			return ctl_fail(c, cmd, "usage: conn-update [HANDLE] [--interval MS] "
					"[--latency N] [--timeout MS]");
	}
	uint32_t handle;
	if (pick_handle(c, cmd, hs, &handle) < 0)
		return -1;
	Hive__UpdateConnection u = HIVE__UPDATE_CONNECTION__INIT;
	u.handle = handle;
	u.interval_min = u.interval_max = (uint32_t)(interval * 4 / 5); /* 1.25 ms units */
	u.latency = (uint32_t)latency;
	u.supervision_timeout = (uint32_t)(timeout / 10);
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_UPDATE_CONNECTION;
	req.update_connection = &u;
	struct call k;
	int rc = call(c, cmd, &req, 0, &k);
	if (rc == 0) {
		ok_json(c, cmd);
		if (!c->json)
			printf("parameters updated on 0x%04x\n", handle);
	}
	call_free(&k);
	return rc;
}

int ctl_cmd_phy(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "phy";
	const char *hs = NULL;
	uint32_t phys = 0x02;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "1m"))
			phys = 0x01;
		else if (!strcmp(argv[i], "2m"))
			phys = 0x02;
		else if (!strcmp(argv[i], "coded"))
			phys = 0x04;
		else if (!hs)
			hs = argv[i];
		else
			return ctl_fail(c, cmd, "usage: phy [HANDLE] [1m|2m|coded]");
	}
	uint32_t handle;
	if (pick_handle(c, cmd, hs, &handle) < 0)
		return -1;
	Hive__SetPhy p = HIVE__SET_PHY__INIT;
	p.handle = handle;
	p.tx_phys = p.rx_phys = phys;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SET_PHY;
	req.set_phy = &p;
	struct call k;
	int rc = call(c, cmd, &req, 0, &k);
	if (rc == 0) {
		ok_json(c, cmd);
		if (!c->json)
			printf("PHY updated on 0x%04x\n", handle);
	}
	call_free(&k);
	return rc;
}

int ctl_cmd_rssi(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "rssi";
	uint32_t handle;
	if (argc > 2)
		return ctl_fail(c, cmd, "usage: rssi [HANDLE]");
	if (pick_handle(c, cmd, argc == 2 ? argv[1] : NULL, &handle) < 0)
		return -1;
	Hive__ReadRssi rr = HIVE__READ_RSSI__INIT;
	rr.handle = handle;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_READ_RSSI;
	req.read_rssi = &rr;
	struct call k;
	int rc = call(c, cmd, &req, 0, &k);
	if (rc == 0 && k.final->rssi) {
		if (c->json)
			ctl_print_json(json_pack("{s:s, s:b, s:i, s:i}", "command", cmd, "ok", 1,
						 "handle", (int)handle, "rssi",
						 (int)k.final->rssi->rssi));
		else
			printf("0x%04x rssi %d dBm\n", handle, (int)k.final->rssi->rssi);
	}
	call_free(&k);
	return rc;
}
