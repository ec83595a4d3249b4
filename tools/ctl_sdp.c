/* hive-ctl sdp: browse a peer's SDP records over BR/EDR.
 *
 *   sdp ADDR|HANDLE [--mtu N] [--max-bytes N] [--to L2CAP] [--host HOST]
 *                   [--timeout S]
 *
 * ADDR (aa:bb:cc:dd:ee:ff): the host's BR/EDR link to that peer, connected
 * first (host bredr_connect) when there is none. HANDLE: a link l2cap
 * already has. hive-ctl opens a basic-mode channel to PSM 0x0001 with our
 * receive MTU (--mtu, default 672, at least 48), asks ServiceSearchAttribute
 * for the public browse group with every attribute (at most --max-bytes
 * attribute bytes per answer, default 65535), follows the continuation
 * states, prints every record with its attributes by name, and closes the
 * channel. The browse itself is actors/sdp/sdp_client.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "../actors/sdp/sdp_client.h"

#define SDP_TIMEOUT_MS 10000
#define SDP_OPEN_TIMEOUT_MS 35000 /* beyond l2cap's RTX */
#define SDP_PSM 0x0001

struct sdp_opts {
	const char *target, *to, *host;
	long mtu, max_bytes;
	int timeout_ms;
};

/* What the loop waits for: one Result by id, the channel's PDUs. */
struct sdp_wait {
	uint64_t id;
	bool done, undeliverable;
	Hive__Result *result; /* deep copy */
	uint32_t handle, cid;
	uint8_t *pdu;         /* the last PDU of the channel, not yet taken */
	size_t pdu_len;
	bool closed;
};

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct sdp_wait *w = arg;
	if (env->result->id != w->id || w->done)
		return;
	w->result = ctl_copy(&env->result->base);
	w->done = true;
}

static void on_undeliverable(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			     void *arg)
{
	struct sdp_wait *w = arg;
	w->undeliverable = true;
}

static void on_pdu(struct hive_actor *a, const char *source, const Hive__Envelope *env, void *arg)
{
	struct sdp_wait *w = arg;
	const Hive__ChannelPdu *p = env->pdu;
	if (p->handle != w->handle || p->cid != w->cid || w->pdu)
		return; /* one transaction at a time: a second answer is not ours */
	w->pdu = malloc(p->payload.len ? p->payload.len : 1);
	if (!w->pdu)
		return;
	memcpy(w->pdu, p->payload.data, p->payload.len);
	w->pdu_len = p->payload.len;
}

static void on_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	struct sdp_wait *w = arg;
	const Hive__L2capEvent *ev = env->l2cap_event;
	if (ev->kind_case == HIVE__L2CAP_EVENT__KIND_CLOSED && ev->closed->handle == w->handle &&
	    ev->closed->cid == w->cid)
		w->closed = true;
}

static bool run_until(struct ctl *c, const bool *a, const bool *b, int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (!*a && !(b && *b)) {
		uint64_t now = hive_now_ns();
		if (now >= deadline || hive_actor_stopping(c->actor))
			return false;
		if (hive_run_once(c->actor, (int)((deadline - now) / 1000000ull) + 1) < 0)
			return false;
	}
	return true;
}

/* Sends a Request to dest and waits for its Result (NULL: none came). */
static Hive__Result *call(struct ctl *c, struct sdp_wait *w, const char *dest, Hive__Request *r,
			  int timeout_ms)
{
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	hive__result__free_unpacked(w->result, NULL);
	w->result = NULL;
	w->done = w->undeliverable = false;
	w->id = r->id = c->next_request_id++;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = r;
	if (hive_send(c->actor, dest, &env) == 0)
		run_until(c, &w->done, &w->undeliverable, timeout_ms);
	Hive__Result *res = w->result;
	w->result = NULL;
	return res;
}

static Hive__Result *l2cap_call(struct ctl *c, struct sdp_wait *w, const struct sdp_opts *o,
				Hive__L2capRequest *q, int timeout_ms)
{
	Hive__Request r = HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_L2CAP;
	r.l2cap = q;
	return call(c, w, o->to, &r, timeout_ms);
}

static int fail_result(struct ctl *c, const char *cmd, const char *who, Hive__Result *r,
		       const struct sdp_wait *w)
{
	int rc;
	if (!r)
		rc = w->undeliverable
			     ? ctl_fail(c, cmd, "%s is not running ('status' shows the actors)", who)
			     : ctl_fail(c, cmd, "%s did not answer in time", who);
	else
		rc = ctl_fail_result(c, cmd, who, r);
	hive__result__free_unpacked(r, NULL);
	return rc;
}

/* ---- the link ------------------------------------------------------------------ */

/* The host's link to addr, connected over BR/EDR when it has none.
 * Returns the handle or -1 (reported). */
static long link_to(struct ctl *c, struct sdp_wait *w, const char *cmd, const struct sdp_opts *o,
		    const uint8_t addr[6])
{
	Hive__ConnectionsQuery cq = HIVE__CONNECTIONS_QUERY__INIT;
	Hive__Request r = HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_CONNECTIONS;
	r.connections = &cq;
	Hive__Result *res = call(c, w, o->host, &r, o->timeout_ms);
	if (!res || res->status || res->value_case != HIVE__RESULT__VALUE_CONNECTIONS)
		return fail_result(c, cmd, o->host, res, w);
	long handle = -1;
	for (size_t i = 0; i < res->connections->n_connections; i++) {
		const Hive__ConnectionInfo *ci = res->connections->connections[i];
		if (ci->peer && ci->peer->bdaddr.len == 6 && !memcmp(ci->peer->bdaddr.data, addr, 6))
			handle = ci->handle;
	}
	hive__result__free_unpacked(res, NULL);
	if (handle >= 0)
		return handle;
	Hive__BredrConnect bc = HIVE__BREDR_CONNECT__INIT;
	bc.bdaddr.data = (uint8_t *)addr;
	bc.bdaddr.len = 6;
	bc.timeout_ms = (uint32_t)o->timeout_ms;
	r = (Hive__Request)HIVE__REQUEST__INIT;
	r.op_case = HIVE__REQUEST__OP_BREDR_CONNECT;
	r.bredr_connect = &bc;
	res = call(c, w, o->host, &r, o->timeout_ms + SDP_TIMEOUT_MS);
	if (!res || res->status || res->value_case != HIVE__RESULT__VALUE_CONNECTION)
		return fail_result(c, cmd, o->host, res, w);
	handle = res->connection->handle;
	hive__result__free_unpacked(res, NULL);
	return handle;
}

/* ---- the browse ------------------------------------------------------------------ */

struct printer {
	struct ctl *c;
	json_t *records, *attrs;
	uint32_t record;
};

static void print_attr(uint32_t record, unsigned index, uint16_t id, const struct sdp_de *v,
		       void *arg)
{
	struct printer *p = arg;
	char text[1024];
	sdp_de_format(v, text, sizeof text);
	const char *name = sdp_attr_name(id);
	if (!p->c->json) {
		if (index == 0)
			printf("record 0x%08x\n", record);
		printf("  0x%04x %-30s %s\n", id, *name ? name : "-", text);
		return;
	}
	if (index == 0) {
		p->attrs = json_array();
		json_array_append_new(p->records, json_pack("{s:I, s:o}", "handle",
							    (json_int_t)record, "attributes",
							    p->attrs));
	}
	json_array_append_new(p->attrs, json_pack("{s:i, s:s, s:s}", "id", id, "name", name,
						  "value", text));
}

/* The transactions on the open channel. Returns 0 or -1 (reported). */
static int browse(struct ctl *c, struct sdp_wait *w, const char *cmd, const struct sdp_opts *o,
		  uint32_t peer_mtu)
{
	struct sdp_browse b;
	uint8_t req[256];
	int rc = -1;
	sdp_browse_init(&b, (uint16_t)o->max_bytes);
	for (;;) {
		struct wr wr = wr_init(req, sizeof req);
		if (sdp_browse_request(&b, &wr) < 0 || wr.len > peer_mtu) {
			ctl_fail(c, cmd, "the request does not fit the peer's MTU %u", peer_mtu);
			goto out;
		}
		Hive__L2capSend s = HIVE__L2CAP_SEND__INIT;
		s.handle = w->handle;
		s.cid = w->cid;
		s.sdu.data = req;
		s.sdu.len = wr.len;
		Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
		q.op_case = HIVE__L2CAP_REQUEST__OP_SEND;
		q.send = &s;
		Hive__Result *res = l2cap_call(c, w, o, &q, o->timeout_ms);
		if (!res || res->status) {
			fail_result(c, cmd, o->to, res, w);
			goto out;
		}
		hive__result__free_unpacked(res, NULL);
		bool have = false;
		uint64_t deadline = hive_now_ns() + (uint64_t)o->timeout_ms * 1000000ull;
		while (!(have = w->pdu != NULL) && !w->closed && hive_now_ns() < deadline &&
		       !hive_actor_stopping(c->actor))
			hive_run_once(c->actor, 50);
		if (!have) {
			ctl_fail(c, cmd, w->closed ? "the peer closed the SDP channel"
						   : "the peer's SDP server did not answer in time");
			goto out;
		}
		uint16_t err;
		int r = sdp_browse_response(&b, w->pdu, w->pdu_len, &err);
		free(w->pdu);
		w->pdu = NULL;
		if (r == 1)
			continue;
		if (r == -EREMOTEIO) {
			ctl_fail(c, cmd, "the peer's SDP server answered with error 0x%04x (%s)", err,
				 sdp_error_name(err));
			goto out;
		}
		if (r < 0) {
			ctl_fail(c, cmd, "the peer's answer is malformed (%s)", strerror(-r));
			goto out;
		}
		break;
	}
	struct printer p = { .c = c, .records = c->json ? json_array() : NULL };
	int n = sdp_browse_each(&b, print_attr, &p);
	if (n < 0) {
		json_decref(p.records);
		ctl_fail(c, cmd, "the peer's records are not attribute lists");
		goto out;
	}
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:i, s:i, s:i, s:o}", "command", cmd, "ok", 1,
					 "handle", (int)w->handle, "records", n, "transactions",
					 (int)b.rounds + 1, "list", p.records));
	else
		printf("%d record(s), %u transaction(s)\n", n, b.rounds + 1);
	rc = 0;
out:
	sdp_browse_free(&b);
	return rc;
}

static int parse_opts(struct ctl *c, const char *cmd, int argc, char **argv, struct sdp_opts *o)
{
	*o = (struct sdp_opts){ .to = "l2cap", .host = "host", .mtu = 672, .max_bytes = 0xffff,
				.timeout_ms = ctl_timeout_ms(c, SDP_TIMEOUT_MS) };
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i];
		char *end;
		if (k[0] != '-') {
			if (o->target)
				return ctl_fail(c, cmd, "one ADDR or HANDLE, not %s too", k);
			o->target = k;
			continue;
		}
		if (i + 1 >= argc)
			return ctl_fail(c, cmd, "%s needs a value", k);
		const char *v = argv[++i];
		if (!strcmp(k, "--to") || !strcmp(k, "--host")) {
			if (!hive_name_valid(v))
				return ctl_fail(c, cmd, "%s %s: not an actor name", k, v);
			*(!strcmp(k, "--to") ? &o->to : &o->host) = v;
		} else if (!strcmp(k, "--mtu") || !strcmp(k, "--max-bytes")) {
			long x = strtol(v, &end, 0);
			long min = !strcmp(k, "--mtu") ? 48 : SDP_MIN_ATTR_BYTE_COUNT;
			if (*end || x < min || x > 65535)
				return ctl_fail(c, cmd, "%s %s: expected %ld..65535", k, v, min);
			*(!strcmp(k, "--mtu") ? &o->mtu : &o->max_bytes) = x;
		} else if (!strcmp(k, "--timeout")) {
			double s = strtod(v, &end);
			if (*end || s <= 0 || s > 600)
				return ctl_fail(c, cmd, "--timeout %s: expected seconds", v);
			o->timeout_ms = (int)(s * 1000);
		} else {
			return ctl_fail(c, cmd, "unknown option %s", k);
		}
	}
	if (!o->target)
		return ctl_fail(c, cmd, "usage: sdp ADDR|HANDLE [--mtu N] [--max-bytes N] "
					"[--to L2CAP] [--host HOST] [--timeout S]");
	return 0;
}

int ctl_cmd_sdp(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "sdp";
	struct sdp_opts o;
	struct sdp_wait w = { 0 };
	uint8_t addr[6];
	long handle;
	char *end;
	int rc = -1;
	if (parse_opts(c, cmd, argc, argv, &o) < 0)
		return -1;
	if (ctl_connect(c, 0) < 0)
		return ctl_fail(c, cmd, "no graph answers at %s", c->run_dir);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, on_result, &w);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, &w);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_PDU, on_pdu, &w);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_L2CAP_EVENT, on_event, &w);
	if (ctl_parse_addr(o.target, addr) == 0) {
		handle = link_to(c, &w, cmd, &o, addr);
	} else {
		handle = strtol(o.target, &end, 0);
		if (*end || handle < 0 || handle > 0x0eff)
			handle = ctl_fail(c, cmd, "%s: expected a BR/EDR address or a handle",
					  o.target);
	}
	if (handle < 0)
		goto out;

	Hive__L2capBredrConnect bc = HIVE__L2CAP_BREDR_CONNECT__INIT;
	bc.handle = (uint32_t)handle;
	bc.psm = SDP_PSM;
	bc.mtu = (uint32_t)o.mtu;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_BREDR_CONNECT;
	q.bredr_connect = &bc;
	Hive__Result *res = l2cap_call(c, &w, &o, &q, o.timeout_ms + SDP_OPEN_TIMEOUT_MS);
	if (!res || res->status || res->value_case != HIVE__RESULT__VALUE_L2CAP ||
	    res->l2cap->value_case != HIVE__L2CAP_RESULT__VALUE_CONNECTED ||
	    res->l2cap->connected->n_channels != 1) {
		if (res && res->domain == HIVE__RESULT__DOMAIN__L2CAP && res->status == 2) {
			hive__result__free_unpacked(res, NULL);
			ctl_fail(c, cmd, "the peer has no SDP server (PSM 0x0001 not supported)");
		} else if (res && res->status == -EINVAL) {
			hive__result__free_unpacked(res, NULL);
			ctl_fail(c, cmd, "link 0x%04lx is not a BR/EDR link: SDP runs over BR/EDR "
				 "(connect with the peer's address)", handle);
		} else if (res && res->status == -ENOENT) {
			hive__result__free_unpacked(res, NULL);
			ctl_fail(c, cmd, "%s has no link 0x%04lx ('connections' lists them)", o.to,
				 handle);
		} else {
			fail_result(c, cmd, o.to, res, &w);
		}
		goto out;
	}
	const Hive__L2capChannelInfo *ci = res->l2cap->connected->channels[0];
	w.handle = ci->handle;
	w.cid = ci->cid;
	uint32_t peer_mtu = ci->peer_mtu;
	hive__result__free_unpacked(res, NULL);

	rc = browse(c, &w, cmd, &o, peer_mtu);

	if (!w.closed) {
		Hive__L2capDisconnect d = HIVE__L2CAP_DISCONNECT__INIT;
		d.handle = w.handle;
		d.cid = w.cid;
		q = (Hive__L2capRequest)HIVE__L2CAP_REQUEST__INIT;
		q.op_case = HIVE__L2CAP_REQUEST__OP_DISCONNECT;
		q.disconnect = &d;
		hive__result__free_unpacked(l2cap_call(c, &w, &o, &q, o.timeout_ms), NULL);
	}
out:
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, NULL, NULL);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_UNDELIVERABLE, NULL, NULL);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_PDU, NULL, NULL);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_L2CAP_EVENT, NULL, NULL);
	free(w.pdu);
	return rc;
}
