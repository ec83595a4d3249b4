/* hive-ctl commands of the gatt actor: the client of the peer's database
 * (discover, read, write, subscribe, unsubscribe, mtu) and the local one
 * (gatt-db, notify). Each takes --conn HANDLE (default: the only
 * connection). HANDLE is 0x-prefixed hex or decimal; a UUID is 4 hex digits
 * or the 128-bit form. A VALUE is hex (0x0102 or 0102) or else text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_prompt.h"

#define GATT_ACTOR "gatt"
#define GATT_TIMEOUT_MS 35000 /* the ATT transaction timeout and some */
#define VALUE_MAX 512

struct gatt_wait {
	uint64_t id;
	Hive__Result *result; /* a copy */
	const char *cmd;
	uint32_t handle;      /* subscribe: the value handle to print */
	uint64_t events, want;
	struct ctl *c;
};

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct gatt_wait *w = arg;
	if (env->result->id != w->id || w->result)
		return;
	w->result = ctl_copy(&env->result->base);
}

static void on_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	struct gatt_wait *w = arg;
	const Hive__GattEvent *e = env->gatt_event;
	const Hive__GattValue *v = e->kind_case == HIVE__GATT_EVENT__KIND_NOTIFICATION
					   ? e->notification
				   : e->kind_case == HIVE__GATT_EVENT__KIND_INDICATION ? e->indication
										      : NULL;
	if (!v || (w->handle && v->handle != w->handle))
		return;
	const char *kind = e->kind_case == HIVE__GATT_EVENT__KIND_NOTIFICATION ? "notification"
										: "indication";
	if (w->c->json) {
		char *h = ctl_hex_str(v->value.data, v->value.len);
		ctl_print_json(json_pack("{s:s, s:s, s:i, s:i, s:s}", "command", "subscribe", "event",
					 kind, "conn", (int)e->conn, "handle", (int)v->handle,
					 "value", h ? h : ""));
		free(h);
	} else {
		printf("%s conn 0x%04x handle 0x%04x: ", kind, e->conn, v->handle);
		ctl_hex_print(v->value.data, v->value.len);
		printf("\n");
		fflush(stdout);
	}
	w->events++;
}

static bool run_until(struct ctl *c, const bool *flag, const uint64_t *count, uint64_t want,
		      int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		if ((flag && *flag) || (count && *count >= want))
			return true;
		uint64_t now = hive_now_ns();
		if (now >= deadline || hive_actor_stopping(c->actor))
			return false;
		if (hive_run_once(c->actor, (int)((deadline - now) / 1000000ull) + 1) < 0)
			return false;
	}
}

/* Sends a GattRequest to the gatt actor and waits for its Result (NULL on
 * timeout, reported). The caller frees it. */
/* With --secure gatt may have smp pair: smp's prompts come to us through
 * gatt and are answered on the terminal, the reply straight to smp. */
static void on_smp_prompt(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg)
{
	struct ctl *c = arg;
	const Hive__SmpEvent *ev = env->smp_event;
	static const struct ctl_prompt_answers ask_terminal = { 0 };
	bool ok;
	uint32_t passkey;
	if (ev->kind_case != HIVE__SMP_EVENT__KIND_PROMPT ||
	    !ctl_prompt_answer(c, &ask_terminal, ev->prompt, "passkey shown on the peer:", &ok,
			       &passkey))
		return;
	Hive__SmpUserReply ur = HIVE__SMP_USER_REPLY__INIT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	Hive__Envelope out = HIVE__ENVELOPE__INIT;
	ur.handle = ev->handle;
	ur.accept = ok;
	ur.passkey = passkey;
	sr.op_case = HIVE__SMP_REQUEST__OP_USER_REPLY;
	sr.user_reply = &ur;
	req.id = c->next_request_id++;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	out.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	out.request = &req;
	hive_send(a, "smp", &out);
}

static Hive__Result *call(struct ctl *c, const char *cmd, Hive__GattRequest *gr,
			  struct gatt_wait *w)
{
	if (ctl_connect(c, 5000) < 0) {
		ctl_fail(c, cmd, "no graph answers at %s", c->run_dir);
		return NULL;
	}
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = c->next_request_id++;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = gr;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	w->id = req.id;
	w->result = NULL;
	w->c = c;
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, on_result, w);
	if (gr->secure)
		hive_on(c->actor, HIVE__ENVELOPE__BODY_SMP_EVENT, on_smp_prompt, c);
	int rc = hive_send(c->actor, GATT_ACTOR, &env);
	bool got = false;
	/* A pairing first (gatt waits up to 40 s for smp), then the request. */
	int timeout_ms = ctl_timeout_ms(c, gr->secure ? GATT_TIMEOUT_MS + 45000 : GATT_TIMEOUT_MS);
	if (rc == 0) {
		uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
		while (!w->result && hive_now_ns() < deadline && !hive_actor_stopping(c->actor))
			if (hive_run_once(c->actor, 100) < 0)
				break;
		got = w->result != NULL;
	}
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, NULL, NULL);
	if (gr->secure)
		hive_on(c->actor, HIVE__ENVELOPE__BODY_SMP_EVENT, NULL, NULL);
	if (rc < 0) {
		ctl_fail(c, cmd, "cannot send to %s: %s", GATT_ACTOR, strerror(-rc));
		return NULL;
	}
	if (!got) {
		ctl_fail(c, cmd, "%s did not answer within %.1f s", GATT_ACTOR, timeout_ms / 1000.0);
		return NULL;
	}
	Hive__Result *r = w->result;
	if (r->status != 0) {
		ctl_fail_result(c, cmd, GATT_ACTOR, r);
		hive__result__free_unpacked(r, NULL);
		return NULL;
	}
	if (r->value_case != HIVE__RESULT__VALUE_GATT || !r->gatt) {
		ctl_fail(c, cmd, "%s answered without a GATT result", GATT_ACTOR);
		hive__result__free_unpacked(r, NULL);
		return NULL;
	}
	return r;
}

/* ---- parsing ------------------------------------------------------------------------ */

/* Hex digits (dashes skipped) into out, most significant first. */
static int parse_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		if (*s == '-')
			continue;
		int v = hive_hexval(*s);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			if (n == cap)
				return -1;
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 ? (int)n : -1;
}

/* A handle (0x hex or decimal, not 4 digits) or a UUID: 1 handle, 2 uuid. */
static int parse_target(const char *s, uint32_t *handle, ProtobufCBinaryData *uuid,
			uint8_t buf[16])
{
	char *end;
	size_t len = strlen(s);
	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2) || (len != 4 && strspn(s, "0123456789") == len)) {
		unsigned long v = strtoul(s, &end, 0);
		if (*end || !v || v > 0xffff)
			return -1;
		*handle = (uint32_t)v;
		return 1;
	}
	uint8_t be[16];
	int n = parse_hex(s, be, sizeof be);
	if (n != 2 && n != 16)
		return -1;
	for (int i = 0; i < n; i++)
		buf[i] = be[n - 1 - i]; /* on the wire: least significant first */
	uuid->data = buf;
	uuid->len = (size_t)n;
	return 2;
}

static int parse_value(const char *s, uint8_t *out, size_t cap)
{
	const char *h = !strncmp(s, "0x", 2) ? s + 2 : s;
	size_t len = strlen(h);
	if (len && len % 2 == 0 && strspn(h, "0123456789abcdefABCDEF") == len)
		return parse_hex(h, out, cap);
	len = strlen(s);
	if (len > cap)
		return -1;
	memcpy(out, s, len);
	return (int)len;
}

static void uuid_str(const ProtobufCBinaryData *u, char *out, size_t cap)
{
	if (u->len == 2) {
		snprintf(out, cap, "%02x%02x", u->data[1], u->data[0]);
	} else if (u->len == 16) {
		size_t at = 0;
		for (int i = 15; i >= 0 && at + 3 < cap; i--) {
			at += (size_t)snprintf(out + at, cap - at, "%02x", u->data[i]);
			if (i == 12 || i == 10 || i == 8 || i == 6)
				out[at++] = '-', out[at] = 0;
		}
	} else {
		snprintf(out, cap, "?");
	}
}

/* Common options: --conn H and the command's flags; the rest are words. */
struct opts {
	uint32_t conn;
	bool no_response, indicate, long_op, signed_write, secure;
	long count;
	double timeout;
	int nwords;
	char *words[4];
};

static int parse_opts(struct ctl *c, int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->timeout = 0;
	for (int i = 1; i < argc; i++) {
		char *end;
		if (!strcmp(argv[i], "--conn") && i + 1 < argc) {
			unsigned long v = strtoul(argv[++i], &end, 0);
			if (*end || !v || v > 0x0eff)
				return ctl_fail(c, argv[0], "--conn %s: a connection handle", argv[i]);
			o->conn = (uint32_t)v;
		} else if (!strcmp(argv[i], "--no-response")) {
			o->no_response = true;
		} else if (!strcmp(argv[i], "--signed")) {
			o->signed_write = true;
		} else if (!strcmp(argv[i], "--secure")) {
			o->secure = true;
		} else if (!strcmp(argv[i], "--indicate")) {
			o->indicate = true;
		} else if (!strcmp(argv[i], "--long")) {
			o->long_op = true;
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			o->count = strtol(argv[++i], &end, 10);
			if (*end || o->count < 0)
				return ctl_fail(c, argv[0], "--count %s: a number", argv[i]);
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			o->timeout = strtod(argv[++i], &end);
			if (*end || o->timeout <= 0)
				return ctl_fail(c, argv[0], "--timeout %s: seconds", argv[i]);
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			return ctl_fail(c, argv[0], "unknown option %s", argv[i]);
		} else if (o->nwords < 4) {
			o->words[o->nwords++] = argv[i];
		}
	}
	return 0;
}

/* The value handle of the first characteristic of a UUID. */
static int resolve(struct ctl *c, const char *cmd, uint32_t conn, ProtobufCBinaryData *uuid,
		   uint32_t *handle)
{
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattDiscoverCharacteristics dc = HIVE__GATT_DISCOVER_CHARACTERISTICS__INIT;
	struct gatt_wait w = { 0 };
	dc.uuid = *uuid;
	gr.conn = conn;
	gr.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_CHARACTERISTICS;
	gr.discover_characteristics = &dc;
	Hive__Result *r = call(c, cmd, &gr, &w);
	if (!r)
		return -1;
	int rc = -1;
	const Hive__GattDiscovery *d = r->gatt->discovery;
	if (d && d->n_characteristics) {
		*handle = d->characteristics[0]->value_handle;
		rc = 0;
	} else {
		ctl_fail(c, cmd, "no characteristic with that UUID");
	}
	hive__result__free_unpacked(r, NULL);
	return rc;
}

static int target(struct ctl *c, const char *cmd, const struct opts *o, const char *word,
		  uint32_t *handle)
{
	ProtobufCBinaryData uuid;
	uint8_t buf[16];
	int kind = parse_target(word, handle, &uuid, buf);
	if (kind < 0)
		return ctl_fail(c, cmd, "%s: a handle (0x0014, 20) or a UUID (2a19, 128-bit)", word);
	return kind == 2 ? resolve(c, cmd, o->conn, &uuid, handle) : 0;
}

/* ---- commands ------------------------------------------------------------------------ */

int ctl_cmd_gatt_mtu(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	if (parse_opts(c, argc, argv, &o) < 0)
		return -1;
	char *end = NULL;
	unsigned long mtu = o.nwords == 1 ? strtoul(o.words[0], &end, 0) : 0;
	if (o.nwords != 1 || *end || mtu < 23 || mtu > 517)
		return ctl_fail(c, "mtu", "usage: mtu N (23..517) [--conn HANDLE]");
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattExchangeMtu em = HIVE__GATT_EXCHANGE_MTU__INIT;
	struct gatt_wait w = { 0 };
	em.mtu = (uint32_t)mtu;
	gr.conn = o.conn;
	gr.op_case = HIVE__GATT_REQUEST__OP_EXCHANGE_MTU;
	gr.exchange_mtu = &em;
	Hive__Result *r = call(c, "mtu", &gr, &w);
	if (!r)
		return -1;
	uint32_t got = r->gatt->mtu ? r->gatt->mtu->mtu : 0;
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:i, s:i}", "command", "mtu", "ok", 1, "conn",
					 (int)r->gatt->conn, "mtu", (int)got));
	else
		printf("mtu %u\n", got);
	hive__result__free_unpacked(r, NULL);
	return 0;
}

int ctl_cmd_gatt_discover(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	if (parse_opts(c, argc, argv, &o) < 0)
		return -1;
	if (o.nwords)
		return ctl_fail(c, "discover", "usage: discover [--conn HANDLE]");
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattDiscoverServices ds = HIVE__GATT_DISCOVER_SERVICES__INIT;
	Hive__GattDiscoverCharacteristics dc = HIVE__GATT_DISCOVER_CHARACTERISTICS__INIT;
	Hive__GattDiscoverDescriptors dd = HIVE__GATT_DISCOVER_DESCRIPTORS__INIT;
	struct gatt_wait w = { 0 };
	gr.conn = o.conn;
	gr.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_SERVICES;
	gr.discover_services = &ds;
	Hive__Result *rs = call(c, "discover", &gr, &w);
	if (!rs)
		return -1;
	gr.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_CHARACTERISTICS;
	gr.discover_characteristics = &dc;
	Hive__Result *rc = call(c, "discover", &gr, &w);
	/* Every attribute, to find descriptors: between a value and the next
	 * declaration. */
	gr.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_DESCRIPTORS;
	gr.discover_descriptors = &dd;
	Hive__Result *rd = rc ? call(c, "discover", &gr, &w) : NULL;
	if (!rc || !rd) {
		hive__result__free_unpacked(rs, NULL);
		if (rc)
			hive__result__free_unpacked(rc, NULL);
		return -1;
	}
	const Hive__GattDiscovery *S = rs->gatt->discovery, *C = rc->gatt->discovery,
				  *D = rd->gatt->discovery;
	json_t *services = json_array();
	char u[40];
	/* The peer's database from gatt's cache (its Database Hash unchanged). */
	bool cached = rs->gatt->from_cache && rc->gatt->from_cache && rd->gatt->from_cache;
	if (!c->json && cached)
		printf("(from the cache: the peer's Database Hash is unchanged)\n");
	for (size_t i = 0; S && i < S->n_services; i++) {
		const Hive__GattService *s = S->services[i];
		uuid_str(&s->uuid, u, sizeof u);
		json_t *chars = json_array();
		if (!c->json)
			printf("service 0x%04x-0x%04x %s\n", s->handle, s->end, u);
		for (size_t k = 0; C && k < C->n_characteristics; k++) {
			const Hive__GattCharacteristic *ch = C->characteristics[k];
			if (ch->handle < s->handle || ch->handle > s->end)
				continue;
			uint32_t stop = s->end;
			if (k + 1 < C->n_characteristics && C->characteristics[k + 1]->handle <= s->end)
				stop = C->characteristics[k + 1]->handle - 1;
			uuid_str(&ch->uuid, u, sizeof u);
			json_t *descs = json_array();
			if (!c->json)
				printf("  characteristic 0x%04x value 0x%04x props 0x%02x %s\n",
				       ch->handle, ch->value_handle, ch->properties, u);
			for (size_t d = 0; D && d < D->n_descriptors; d++) {
				const Hive__GattDescriptor *de = D->descriptors[d];
				if (de->handle <= ch->value_handle || de->handle > stop)
					continue;
				uuid_str(&de->uuid, u, sizeof u);
				if (!c->json)
					printf("    descriptor 0x%04x %s\n", de->handle, u);
				json_array_append_new(descs, json_pack("{s:i, s:s}", "handle",
								       (int)de->handle, "uuid", u));
			}
			uuid_str(&ch->uuid, u, sizeof u);
			json_array_append_new(chars, json_pack("{s:i, s:i, s:i, s:s, s:o}", "handle",
							       (int)ch->handle, "value_handle",
							       (int)ch->value_handle, "properties",
							       (int)ch->properties, "uuid", u,
							       "descriptors", descs));
		}
		uuid_str(&s->uuid, u, sizeof u);
		json_array_append_new(services, json_pack("{s:i, s:i, s:s, s:o}", "handle",
							  (int)s->handle, "end", (int)s->end, "uuid",
							  u, "characteristics", chars));
	}
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:i, s:b, s:o}", "command", "discover", "ok", 1,
					 "conn", (int)rs->gatt->conn, "cached", cached, "services",
					 services));
	else
		json_decref(services);
	fflush(stdout);
	hive__result__free_unpacked(rs, NULL);
	hive__result__free_unpacked(rc, NULL);
	hive__result__free_unpacked(rd, NULL);
	return 0;
}

static void print_value(struct ctl *c, const char *cmd, uint32_t conn, uint32_t handle,
			const uint8_t *v, size_t n)
{
	if (c->json) {
		char *h = ctl_hex_str(v, n);
		ctl_print_json(json_pack("{s:s, s:b, s:i, s:i, s:s}", "command", cmd, "ok", 1, "conn",
					 (int)conn, "handle", (int)handle, "value", h ? h : ""));
		free(h);
		return;
	}
	printf("0x%04x: ", handle);
	ctl_hex_print(v, n);
	bool text = n > 0;
	for (size_t i = 0; i < n; i++)
		text = text && v[i] >= 0x20 && v[i] < 0x7f;
	if (text)
		printf("  \"%.*s\"", (int)n, (const char *)v);
	printf("\n");
	fflush(stdout);
}

int ctl_cmd_gatt_read(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	if (parse_opts(c, argc, argv, &o) < 0)
		return -1;
	if (o.nwords != 1)
		return ctl_fail(c, "read", "usage: read HANDLE|UUID [--secure] [--conn HANDLE]");
	uint32_t handle = 0;
	ProtobufCBinaryData uuid;
	uint8_t buf[16];
	int kind = parse_target(o.words[0], &handle, &uuid, buf);
	if (kind < 0)
		return ctl_fail(c, "read", "%s: a handle (0x0014, 20) or a UUID (2a19, 128-bit)",
				o.words[0]);
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	Hive__GattReadByUuid ru = HIVE__GATT_READ_BY_UUID__INIT;
	struct gatt_wait w = { 0 };
	gr.conn = o.conn;
	gr.secure = o.secure; /* pair when the peer wants a secured link */
	if (kind == 1) {
		rd.handle = handle;
		rd.long_read = true; /* the whole value, however long */
		gr.op_case = HIVE__GATT_REQUEST__OP_READ;
		gr.read = &rd;
	} else {
		ru.uuid = uuid;
		gr.op_case = HIVE__GATT_REQUEST__OP_READ_BY_UUID;
		gr.read_by_uuid = &ru;
	}
	Hive__Result *r = call(c, "read", &gr, &w);
	if (!r)
		return -1;
	int rc = 0;
	if (kind == 1 && r->gatt->read) {
		print_value(c, "read", r->gatt->conn, handle, r->gatt->read->value.data,
			    r->gatt->read->value.len);
	} else if (kind == 2 && r->gatt->discovery && r->gatt->discovery->n_values) {
		for (size_t i = 0; i < r->gatt->discovery->n_values; i++) {
			const Hive__GattValue *v = r->gatt->discovery->values[i];
			print_value(c, "read", r->gatt->conn, v->handle, v->value.data, v->value.len);
		}
	} else {
		rc = ctl_fail(c, "read", "nothing to read there");
	}
	hive__result__free_unpacked(r, NULL);
	return rc;
}

int ctl_cmd_gatt_write(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	if (parse_opts(c, argc, argv, &o) < 0)
		return -1;
	if (o.nwords != 2)
		return ctl_fail(c, "write", "usage: write HANDLE|UUID VALUE [--no-response] "
					    "[--signed] [--long] [--secure] [--conn HANDLE]");
	uint8_t value[VALUE_MAX];
	int n = parse_value(o.words[1], value, sizeof value);
	if (n < 0)
		return ctl_fail(c, "write", "%s: hex bytes or text, at most 512 bytes", o.words[1]);
	uint32_t handle;
	if (target(c, "write", &o, o.words[0], &handle) < 0)
		return -1;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattWrite wr = HIVE__GATT_WRITE__INIT;
	struct gatt_wait w = { 0 };
	wr.handle = handle;
	wr.value.data = value;
	wr.value.len = (size_t)n;
	wr.no_response = o.no_response;
	/* A Signed Write Command (a bonded peer whose keys smp gave gatt; on an
	 * encrypted link gatt sends a plain Write Command instead). */
	wr.signed_write = o.signed_write;
	/* Past the default MTU a write request would not fit: go long. */
	wr.long_write = !o.no_response && !o.signed_write && (o.long_op || n > 20);
	gr.conn = o.conn;
	gr.secure = o.secure; /* pair when the peer wants a secured link */
	gr.op_case = HIVE__GATT_REQUEST__OP_WRITE;
	gr.write = &wr;
	Hive__Result *r = call(c, "write", &gr, &w);
	if (!r)
		return -1;
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:i, s:i, s:i}", "command", "write", "ok", 1,
					 "conn", (int)r->gatt->conn, "handle", (int)handle, "length",
					 n));
	else
		printf("wrote %d byte%s to 0x%04x\n", n, n == 1 ? "" : "s", handle);
	fflush(stdout);
	hive__result__free_unpacked(r, NULL);
	return 0;
}

static int subscription(struct ctl *c, int argc, char **argv, bool on)
{
	const char *cmd = argv[0];
	struct opts o;
	if (parse_opts(c, argc, argv, &o) < 0)
		return -1;
	if (o.nwords != 1)
		return ctl_fail(c, cmd, on ? "usage: subscribe HANDLE|UUID [--indicate] [--count N] "
					     "[--timeout S] [--conn HANDLE]"
					   : "usage: unsubscribe HANDLE|UUID [--conn HANDLE]");
	uint32_t handle;
	if (target(c, cmd, &o, o.words[0], &handle) < 0)
		return -1;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	Hive__GattSubscribe sub = HIVE__GATT_SUBSCRIBE__INIT;
	struct gatt_wait w = { .handle = handle };
	Hive__Result *r;
	if (on) {
		/* Events first, so no value is missed between the two. */
		gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
		gr.subscribe_events = &se;
		if (!(r = call(c, cmd, &gr, &w)))
			return -1;
		hive__result__free_unpacked(r, NULL);
	}
	sub.handle = handle;
	sub.indicate = o.indicate;
	gr.conn = o.conn;
	gr.op_case = on ? HIVE__GATT_REQUEST__OP_SUBSCRIBE : HIVE__GATT_REQUEST__OP_UNSUBSCRIBE;
	gr.subscribe = &sub; /* the same slot for both */
	hive_on(c->actor, HIVE__ENVELOPE__BODY_GATT_EVENT, on ? on_event : NULL, &w);
	if (!(r = call(c, cmd, &gr, &w))) {
		hive_on(c->actor, HIVE__ENVELOPE__BODY_GATT_EVENT, NULL, NULL);
		return -1;
	}
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:i, s:i, s:i}", "command", cmd, "ok", 1, "conn",
					 (int)r->gatt->conn, "handle", (int)handle, "cccd",
					 (int)(r->gatt->done ? r->gatt->done->cccd : 0)));
	else
		printf("%s 0x%04x (cccd 0x%04x)\n", on ? "subscribed to" : "unsubscribed from",
		       handle, r->gatt->done ? r->gatt->done->cccd : 0);
	fflush(stdout);
	hive__result__free_unpacked(r, NULL);
	if (on && (o.count || o.timeout)) {
		/* Values print as they arrive, until --count or --timeout. */
		int ms = o.timeout ? (int)(o.timeout * 1000) : 24 * 3600 * 1000;
		bool all = run_until(c, NULL, &w.events, o.count ? (uint64_t)o.count : UINT64_MAX,
				     ms);
		hive_on(c->actor, HIVE__ENVELOPE__BODY_GATT_EVENT, NULL, NULL);
		if (o.count && !all)
			return ctl_fail(c, cmd, "%llu of %ld values arrived",
					(unsigned long long)w.events, o.count);
		return 0;
	}
	if (on && isatty(0)) /* interactive: values until Ctrl-C */
		run_until(c, NULL, &w.events, UINT64_MAX, 24 * 3600 * 1000);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_GATT_EVENT, NULL, NULL);
	return 0;
}

int ctl_cmd_gatt_subscribe(struct ctl *c, int argc, char **argv)
{
	return subscription(c, argc, argv, true);
}

int ctl_cmd_gatt_unsubscribe(struct ctl *c, int argc, char **argv)
{
	return subscription(c, argc, argv, false);
}

int ctl_cmd_gatt_db(struct ctl *c, int argc, char **argv)
{
	if (argc != 1)
		return ctl_fail(c, "gatt-db", "takes no arguments");
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattDbQuery q = HIVE__GATT_DB_QUERY__INIT;
	struct gatt_wait w = { 0 };
	gr.op_case = HIVE__GATT_REQUEST__OP_DB;
	gr.db = &q;
	Hive__Result *r = call(c, "gatt-db", &gr, &w);
	if (!r)
		return -1;
	const Hive__GattDb *db = r->gatt->db;
	json_t *attrs = json_array();
	char u[40];
	for (size_t i = 0; db && i < db->n_attributes; i++) {
		const Hive__GattAttribute *a = db->attributes[i];
		uuid_str(&a->type, u, sizeof u);
		char *h = ctl_hex_str(a->value.data, a->value.len);
		if (c->json)
			json_array_append_new(attrs, json_pack("{s:i, s:s, s:s, s:i}", "handle",
							       (int)a->handle, "type", u, "value",
							       h ? h : "", "permissions",
							       (int)a->permissions));
		else
			printf("0x%04x %-36s perm 0x%04x %s\n", a->handle, u, a->permissions,
			       h ? h : "");
		free(h);
	}
	char *hash = db ? ctl_hex_str(db->hash.data, db->hash.len) : NULL;
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:s, s:o}", "command", "gatt-db", "ok", 1,
					 "hash", hash ? hash : "", "attributes", attrs));
	else {
		printf("database hash %s\n", hash ? hash : "");
		json_decref(attrs);
	}
	free(hash);
	fflush(stdout);
	hive__result__free_unpacked(r, NULL);
	return 0;
}

int ctl_cmd_gatt_notify(struct ctl *c, int argc, char **argv)
{
	struct opts o;
	if (parse_opts(c, argc, argv, &o) < 0)
		return -1;
	char *end = NULL;
	unsigned long h = o.nwords == 2 ? strtoul(o.words[0], &end, 0) : 0;
	if (o.nwords != 2 || *end || !h || h > 0xffff)
		return ctl_fail(c, "notify", "usage: notify HANDLE VALUE [--indicate] "
					     "[--conn HANDLE]");
	uint8_t value[VALUE_MAX];
	int n = parse_value(o.words[1], value, sizeof value);
	if (n < 0)
		return ctl_fail(c, "notify", "%s: hex bytes or text", o.words[1]);
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	Hive__GattNotify nt = HIVE__GATT_NOTIFY__INIT;
	struct gatt_wait w = { 0 };
	nt.handle = (uint32_t)h;
	nt.value.data = value;
	nt.value.len = (size_t)n;
	nt.indicate = o.indicate;
	/* Without --conn: every subscriber. */
	nt.all_subscribers = !o.conn;
	gr.conn = o.conn;
	gr.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	gr.notify = &nt;
	Hive__Result *r = call(c, "notify", &gr, &w);
	if (!r)
		return -1;
	uint32_t count = r->gatt->done ? r->gatt->done->count : 0;
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:i, s:i}", "command", "notify", "ok", 1,
					 "handle", (int)h, "reached", (int)count));
	else
		printf("notified 0x%04lx to %u connection%s\n", h, count, count == 1 ? "" : "s");
	fflush(stdout);
	hive__result__free_unpacked(r, NULL);
	return 0;
}
