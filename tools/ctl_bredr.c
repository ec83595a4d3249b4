/* hive-ctl commands of BR/EDR: inquiry (a table of address, name, class
 * and RSSI), connect ADDR --bredr, scan-enable (discoverable, connectable,
 * the accept policy), remote-name, auth (Authentication Requested and
 * encryption, answering smp's Secure Simple Pairing prompts like `pair`:
 * on the terminal, or --yes / --passkey N for scripts), link-keys. Each
 * sends one Request and waits for its Result(s). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_bredr.h"
#include "ctl_errors.h"
#include "ctl_host.h"
#include "ctl_prompt.h"

#define BREDR_INQUIRY_MAX 64
#define BREDR_AUTH_TIMEOUT_MS 90000

struct bredr_wait {
	struct ctl *c;
	uint64_t id;
	bool done;
	Hive__Result *final;
	/* inquiry results, deep copies */
	unsigned n;
	Hive__BredrEvent *found[BREDR_INQUIRY_MAX];
	/* prompts */
	struct ctl_prompt_answers ans; /* --yes, --passkey */
};

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct bredr_wait *w = arg;
	const Hive__Result *r = env->result;
	if (r->id != w->id || w->done)
		return;
	if (r->status == 0 && r->value_case == HIVE__RESULT__VALUE_BREDR &&
	    r->bredr->kind == HIVE__BREDR_EVENT__KIND__INQUIRY_RESULT) {
		if (w->n < BREDR_INQUIRY_MAX) {
			Hive__BredrEvent *e = ctl_copy(&r->bredr->base);
			if (e)
				w->found[w->n++] = e;
		}
		return;
	}
	w->final = ctl_copy(&r->base);
	w->done = true;
}

static void reply(struct bredr_wait *w, uint32_t handle, bool accept, uint32_t passkey)
{
	Hive__SmpUserReply ur = HIVE__SMP_USER_REPLY__INIT;
	ur.handle = handle;
	ur.accept = accept;
	ur.passkey = passkey;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_USER_REPLY;
	sr.user_reply = &ur;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = w->c->next_request_id++;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	hive_send(w->c->actor, "smp", &env);
}

/* smp's prompts during an authentication, answered as `pair` does. */
static void on_smp_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			 void *arg)
{
	struct bredr_wait *w = arg;
	const Hive__SmpEvent *ev = env->smp_event;
	if (ev->kind_case == HIVE__SMP_EVENT__KIND_BREDR_PAIRED && !w->c->json) {
		if (ev->bredr_paired->status)
			printf("pairing failed: %s\n", ctl_hci_status_name((int)ev->bredr_paired->status));
		else
			printf("paired: link key type %u%s%s\n", ev->bredr_paired->key_type,
			       ev->bredr_paired->authenticated ? ", authenticated" : "",
			       ev->bredr_paired->stored ? ", stored" : "");
		fflush(stdout);
		return;
	}
	if (ev->kind_case != HIVE__SMP_EVENT__KIND_PROMPT)
		return;
	bool ok;
	uint32_t v;
	if (ctl_prompt_answer(w->c, &w->ans, ev->prompt, "passkey (or PIN) shown on the peer:", &ok,
			      &v))
		reply(w, ev->handle, ok, v);
}

/* Sends req to dest and waits for its final Result (inquiry results and
 * smp prompts handled meanwhile). Returns 0 or -1 (reported). */
static int wait_call(struct ctl *c, const char *cmd, const char *dest, Hive__Request *req,
		     int timeout_ms, struct bredr_wait *w)
{
	w->c = c;
	if (ctl_connect(c, 0) < 0)
		return ctl_fail(c, cmd, "no graph answers at %s", c->run_dir);
	w->id = req->id = c->next_request_id++;
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, on_result, w);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_SMP_EVENT, on_smp_event, w);
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = req;
	int rc = hive_send(c->actor, dest, &env);
	timeout_ms = ctl_timeout_ms(c, timeout_ms ? timeout_ms : HOST_TIMEOUT_MS);
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (rc == 0 && !w->done && hive_now_ns() < deadline && !hive_actor_stopping(c->actor))
		if (hive_run_once(c->actor, 50) < 0)
			break;
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, NULL, NULL);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_SMP_EVENT, NULL, NULL);
	if (rc < 0)
		return ctl_fail(c, cmd, "cannot send to %s ('status' shows the actors)", dest);
	if (!w->final)
		return ctl_fail(c, cmd, "%s did not answer within %d ms", dest, timeout_ms);
	if (w->final->status)
		return ctl_fail_result(c, cmd, dest, w->final);
	return 0;
}

static void wait_free(struct bredr_wait *w)
{
	for (unsigned i = 0; i < w->n; i++)
		hive__bredr_event__free_unpacked(w->found[i], NULL);
	if (w->final)
		hive__result__free_unpacked(w->final, NULL);
	memset(w, 0, sizeof *w);
}

static void bdaddr_text(const ProtobufCBinaryData *b, char out[18])
{
	if (b->len != 6) {
		snprintf(out, 18, "?");
		return;
	}
	const uint8_t *a = b->data;
	snprintf(out, 18, "%02X:%02X:%02X:%02X:%02X:%02X", a[5], a[4], a[3], a[2], a[1], a[0]);
}

/* ---- commands ------------------------------------------------------------------ */

int ctl_cmd_inquiry(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "inquiry";
	unsigned long secs = 5, max = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc &&
		    parse_uint(argv[i + 1], 61, &secs) == 0 && secs > 0)
			i++;
		else if (!strcmp(argv[i], "--max") && i + 1 < argc &&
			 parse_uint(argv[i + 1], 255, &max) == 0)
			i++;
		else
			return ctl_fail(c, cmd, "usage: inquiry [--seconds N (1..61)] [--max N]");
	}
	Hive__BredrInquiry iq = HIVE__BREDR_INQUIRY__INIT;
	iq.seconds = (uint32_t)secs;
	iq.max_responses = (uint32_t)max;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_BREDR_INQUIRY;
	req.bredr_inquiry = &iq;
	struct bredr_wait w = { 0 };
	/* Inquiry_Length is in units of 1.28 s: wait for all of it. */
	int rc = wait_call(c, cmd, "host", &req, (int)(secs * 1300 + HOST_TIMEOUT_MS), &w);
	if (rc == 0) {
		json_t *list = c->json ? json_array() : NULL;
		if (!c->json)
			printf("%-17s %-24s %-8s %5s\n", "address", "name", "class", "rssi");
		for (unsigned i = 0; i < w.n; i++) {
			const Hive__BredrEvent *e = w.found[i];
			char a[18];
			bdaddr_text(&e->bdaddr, a);
			if (list) {
				json_t *j = json_pack("{s:s, s:s, s:i}", "address", a, "name",
						      e->name ? e->name : "", "class",
						      (int)e->class_of_device);
				if (e->has_rssi)
					json_object_set_new(j, "rssi", json_integer(e->rssi));
				json_array_append_new(list, j);
				continue;
			}
			char rssi[8] = "-";
			if (e->has_rssi)
				snprintf(rssi, sizeof rssi, "%d", e->rssi);
			printf("%-17s %-24s 0x%06x %5s\n", a, e->name && *e->name ? e->name : "?",
			       e->class_of_device, rssi);
		}
		if (list)
			ctl_print_json(json_pack("{s:s, s:b, s:o}", "command", cmd, "ok", 1, "devices",
						 list));
		else
			printf("%u device(s)\n", w.n);
	}
	wait_free(&w);
	return rc;
}

int ctl_cmd_bredr_connect(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "connect";
	uint8_t a[6];
	unsigned long secs = 10;
	bool no_switch = false;
	static const char usage[] = "usage: connect ADDR --bredr [--timeout S] [--no-role-switch]";
	if (argc < 2 || ctl_parse_addr(argv[1], a) < 0)
		return ctl_fail(c, cmd, usage);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--bredr"))
			continue;
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc &&
		    parse_uint(argv[i + 1], 600, &secs) == 0 && secs > 0)
			i++;
		else if (!strcmp(argv[i], "--no-role-switch"))
			no_switch = true;
		else
			return ctl_fail(c, cmd, usage);
	}
	Hive__BredrConnect bc = HIVE__BREDR_CONNECT__INIT;
	bc.bdaddr.data = a;
	bc.bdaddr.len = 6;
	bc.timeout_ms = (uint32_t)(secs * 1000);
	bc.no_role_switch = no_switch;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_BREDR_CONNECT;
	req.bredr_connect = &bc;
	struct bredr_wait w = { 0 };
	int rc = wait_call(c, cmd, "host", &req, (int)bc.timeout_ms + HOST_TIMEOUT_MS, &w);
	if (rc == 0 && w.final->connection) {
		if (c->json)
			ctl_print_json(json_pack("{s:s, s:b, s:i, s:b}", "command", cmd, "ok", 1,
						 "handle", (int)w.final->connection->handle, "bredr",
						 1));
		else
			printf("connected (BR/EDR): handle 0x%04x\n", w.final->connection->handle);
	}
	wait_free(&w);
	return rc;
}

/* `connect`: BR/EDR with --bredr, else LE (ctl_host.c). */
int ctl_cmd_connect_any(struct ctl *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--bredr"))
			return ctl_cmd_bredr_connect(c, argc, argv);
	return ctl_cmd_connect(c, argc, argv);
}

int ctl_cmd_scan_enable(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "scan-enable";
	Hive__BredrScanEnable se = HIVE__BREDR_SCAN_ENABLE__INIT;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--discoverable"))
			se.discoverable = true;
		else if (!strcmp(argv[i], "--connectable"))
			se.connectable = true;
		else if (!strcmp(argv[i], "--reject"))
			se.reject_connections = true;
		else
			return ctl_fail(c, cmd, "usage: scan-enable [--discoverable] [--connectable] "
						"[--reject] (none of them: neither)");
	}
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_BREDR_SCAN_ENABLE;
	req.bredr_scan_enable = &se;
	struct bredr_wait w = { 0 };
	int rc = wait_call(c, cmd, "host", &req, 0, &w);
	if (rc == 0) {
		if (c->json)
			ctl_print_json(json_pack("{s:s, s:b, s:b, s:b}", "command", cmd, "ok", 1,
						 "discoverable", se.discoverable, "connectable",
						 se.connectable));
		else
			printf("BR/EDR: %sdiscoverable, %sconnectable%s\n",
			       se.discoverable ? "" : "not ", se.connectable ? "" : "not ",
			       se.reject_connections ? " (connection requests refused)" : "");
	}
	wait_free(&w);
	return rc;
}

int ctl_cmd_remote_name(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "remote-name";
	uint8_t a[6];
	if (argc != 2 || ctl_parse_addr(argv[1], a) < 0)
		return ctl_fail(c, cmd, "usage: remote-name ADDR");
	Hive__BredrRemoteName rn = HIVE__BREDR_REMOTE_NAME__INIT;
	rn.bdaddr.data = a;
	rn.bdaddr.len = 6;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_BREDR_REMOTE_NAME;
	req.bredr_remote_name = &rn;
	struct bredr_wait w = { 0 };
	int rc = wait_call(c, cmd, "host", &req, 0, &w);
	if (rc == 0) {
		const char *name = w.final->bredr && w.final->bredr->name ? w.final->bredr->name : "";
		if (c->json)
			ctl_print_json(json_pack("{s:s, s:b, s:s}", "command", cmd, "ok", 1, "name",
						 name));
		else
			printf("%s\n", name);
	}
	wait_free(&w);
	return rc;
}

static int subscribe_smp(struct ctl *c, const char *cmd)
{
	Hive__SmpSubscribe ss = HIVE__SMP_SUBSCRIBE__INIT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_SUBSCRIBE;
	sr.subscribe = &ss;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	struct bredr_wait w = { 0 };
	int rc = wait_call(c, cmd, "smp", &req, 0, &w);
	wait_free(&w);
	return rc;
}

int ctl_cmd_auth(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "auth";
	static const char usage[] =
		"usage: auth HANDLE [--yes] [--passkey N] [--no-encrypt] (a BR/EDR link)";
	unsigned long handle, pk;
	struct bredr_wait w = { 0 };
	Hive__BredrAuthenticate ba = HIVE__BREDR_AUTHENTICATE__INIT;
	if (argc < 2 || parse_uint(argv[1], 0x0eff, &handle) < 0)
		return ctl_fail(c, cmd, usage);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--yes"))
			w.ans.yes = true;
		else if (!strcmp(argv[i], "--no-encrypt"))
			ba.no_encryption = true;
		else if (!strcmp(argv[i], "--passkey") && i + 1 < argc &&
			 parse_uint(argv[i + 1], 999999, &pk) == 0) {
			w.ans.has_passkey = true;
			w.ans.passkey = (uint32_t)pk;
			i++;
		} else {
			return ctl_fail(c, cmd, usage);
		}
	}
	/* The prompts come to smp's subscribers. */
	if (subscribe_smp(c, cmd) < 0)
		return -1;
	struct ctl_prompt_answers ans = w.ans;
	memset(&w, 0, sizeof w);
	w.ans = ans;
	ba.handle = (uint32_t)handle;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_BREDR_AUTHENTICATE;
	req.bredr_authenticate = &ba;
	int rc = wait_call(c, cmd, "host", &req, BREDR_AUTH_TIMEOUT_MS, &w);
	if (rc == 0) {
		if (c->json)
			ctl_print_json(json_pack("{s:s, s:b, s:i, s:b}", "command", cmd, "ok", 1,
						 "handle", (int)handle, "encrypted",
						 !ba.no_encryption));
		else
			printf("handle 0x%04lx: authenticated%s\n", handle,
			       ba.no_encryption ? "" : " and encrypted");
	}
	wait_free(&w);
	return rc;
}

int ctl_cmd_link_keys(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "link-keys";
	if (argc != 1)
		return ctl_fail(c, cmd, "usage: link-keys");
	Hive__LinkKeysQuery q = HIVE__LINK_KEYS_QUERY__INIT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_LINK_KEYS;
	sr.link_keys = &q;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	struct bredr_wait w = { 0 };
	int rc = wait_call(c, cmd, "smp", &req, 0, &w);
	if (rc == 0) {
		const Hive__LinkKeyList *l =
			w.final->smp && w.final->smp->value_case == HIVE__SMP_RESULT__VALUE_LINK_KEYS
				? w.final->smp->link_keys
				: NULL;
		size_t n = l ? l->n_keys : 0;
		json_t *list = c->json ? json_array() : NULL;
		for (size_t i = 0; i < n; i++) {
			char peer[18], local[18];
			bdaddr_text(&l->keys[i]->peer, peer);
			bdaddr_text(&l->keys[i]->local, local);
			if (list)
				json_array_append_new(list, json_pack("{s:s, s:s, s:i}", "peer", peer,
								      "local", local, "type",
								      (int)l->keys[i]->key_type));
			else
				printf("%s (ours %s) type %u%s\n", peer, local, l->keys[i]->key_type,
				       l->keys[i]->key_type == 5 || l->keys[i]->key_type == 8
					       ? " authenticated"
					       : "");
		}
		if (list)
			ctl_print_json(json_pack("{s:s, s:b, s:o}", "command", cmd, "ok", 1, "keys",
						 list));
		else if (!n)
			printf("no link keys\n");
	}
	wait_free(&w);
	return rc;
}
