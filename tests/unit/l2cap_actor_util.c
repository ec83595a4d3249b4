/* Helpers of the hive-l2cap tests: see l2cap_actor_util.h. */
#include "l2cap_actor_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Test-process state: the peers a test made (one test per process). */
static struct lt_peer *peers[LT_PEERS];
static size_t npeers;

static void on_any(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		   void *arg)
{
	struct lt_peer *p = arg;
	if (p->hook && p->hook(p, source, env))
		return;
	cr_assert_lt(p->n, LT_KEPT, "%s kept too many envelopes", p->name);
	/* The envelope belongs to the runtime: keep a copy. */
	size_t len = hive__envelope__get_packed_size(env);
	uint8_t *buf = malloc(len ? len : 1);
	cr_assert_not_null(buf);
	hive__envelope__pack(env, buf);
	p->kept[p->n] = hive__envelope__unpack(NULL, len, buf);
	snprintf(p->from[p->n], sizeof p->from[p->n], "%s", source);
	p->taken[p->n] = false;
	p->n++;
	free(buf);
}

struct lt_peer *lt_peer_new(const char *dir, const char *name)
{
	struct lt_peer *p = calloc(1, sizeof *p);
	cr_assert_not_null(p);
	p->a = th_actor(dir, name);
	cr_assert_not_null(p->a, "cannot register %s", name);
	snprintf(p->name, sizeof p->name, "%s", name);
	static const Hive__Envelope__BodyCase bodies[] = {
		HIVE__ENVELOPE__BODY_L2CAP, HIVE__ENVELOPE__BODY_PDU,
		HIVE__ENVELOPE__BODY_LINK,  HIVE__ENVELOPE__BODY_REQUEST,
		HIVE__ENVELOPE__BODY_RESULT, HIVE__ENVELOPE__BODY_L2CAP_EVENT,
	};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		hive_on(p->a, bodies[i], on_any, p);
	cr_assert_lt(npeers, LT_PEERS);
	peers[npeers++] = p;
	return p;
}

void lt_peer_free(struct lt_peer *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		hive__envelope__free_unpacked(p->kept[i], NULL);
	hive_actor_destroy(&p->a);
	for (size_t i = 0; i < npeers; i++)
		if (peers[i] == p)
			peers[i] = peers[--npeers];
	free(p);
}

void lt_pump(void)
{
	int did = 0;
	for (size_t i = 0; i < npeers; i++) {
		int rc = hive_run_once(peers[i]->a, 0);
		did |= rc > 0;
	}
	if (!did && npeers)
		hive_run_once(peers[0]->a, 1);
}

bool lt_wait_flag(const bool *flag, int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (!*flag && hive_now_ns() < deadline)
		lt_pump();
	return *flag;
}

static Hive__Envelope *find(struct lt_peer *p, Hive__Envelope__BodyCase body, size_t *at)
{
	for (size_t i = 0; i < p->n; i++)
		if (!p->taken[i] && p->kept[i]->body_case == body) {
			*at = i;
			return p->kept[i];
		}
	return NULL;
}

const Hive__Envelope *lt_take(struct lt_peer *p, Hive__Envelope__BodyCase body,
			      const char *what)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	size_t at = 0;
	Hive__Envelope *e;
	while (!(e = find(p, body, &at)) && hive_now_ns() < deadline)
		lt_pump();
	cr_assert_not_null(e, "%s: no %s arrived (%s)", p->name, hive_body_name(body), what);
	p->taken[at] = true;
	return e;
}

const Hive__L2capEvent *lt_take_event(struct lt_peer *p, Hive__L2capEvent__KindCase kind)
{
	for (;;) {
		const Hive__Envelope *e = lt_take(p, HIVE__ENVELOPE__BODY_L2CAP_EVENT, "event");
		if (e->l2cap_event->kind_case == kind)
			return e->l2cap_event;
	}
}

void lt_expect_silence(struct lt_peer *p, int ms)
{
	size_t n = p->n;
	uint64_t until = hive_now_ns() + (uint64_t)ms * 1000000ull;
	while (hive_now_ns() < until)
		lt_pump();
	cr_assert_eq(p->n, n, "%s got %zu unexpected message(s), the first a %s", p->name,
		     p->n - n, hive_body_name(p->kept[n]->body_case));
}

pid_t lt_spawn_l2cap(const char *dir, const char *name, const char *const sets[])
{
	char log[600];
	const char *argv[40] = { "hive-l2cap", "--run-dir", dir, "--name", name };
	int n = 5;
	const char *lvl = getenv("HIVE_LOG");
	argv[n++] = "--log-level";
	argv[n++] = lvl && *lvl ? lvl : "info";
	for (size_t i = 0; sets && sets[i] && n < 36; i++) {
		argv[n++] = "--set";
		argv[n++] = sets[i];
	}
	argv[n] = NULL;
	snprintf(log, sizeof log, "%s/%s.log", dir, name);
	pid_t pid = th_spawn(argv, NULL, log);
	cr_assert_gt(pid, 0);
	return pid;
}

void lt_send(struct lt_peer *p, const char *dest, Hive__Envelope *env)
{
	cr_assert_eq(hive_send(p->a, dest, env), 0, "%s cannot send to %s", p->name, dest);
}

void lt_send_frame(struct lt_peer *host, const char *l2cap, uint16_t handle, const uint8_t *p,
		   size_t len)
{
	Hive__L2capFrame f = HIVE__L2CAP_FRAME__INIT;
	f.handle = handle;
	f.data.data = (uint8_t *)p;
	f.data.len = len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_L2CAP;
	env.l2cap = &f;
	lt_send(host, l2cap, &env);
}

void lt_send_connected(struct lt_peer *host, const char *l2cap, uint16_t handle, bool central)
{
	Hive__Connected c = HIVE__CONNECTED__INIT;
	c.role = central ? HIVE__CONNECTED__ROLE__CENTRAL : HIVE__CONNECTED__ROLE__PERIPHERAL;
	c.le = true;
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	le.handle = handle;
	le.kind_case = HIVE__LINK_EVENT__KIND_CONNECTED;
	le.connected = &c;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_LINK;
	env.link = &le;
	lt_send(host, l2cap, &env);
}

void lt_send_disconnected(struct lt_peer *host, const char *l2cap, uint16_t handle)
{
	Hive__Disconnected d = HIVE__DISCONNECTED__INIT;
	d.reason = 0x08;
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	le.handle = handle;
	le.kind_case = HIVE__LINK_EVENT__KIND_DISCONNECTED;
	le.disconnected = &d;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_LINK;
	env.link = &le;
	lt_send(host, l2cap, &env);
}

void lt_request(struct lt_peer *app, const char *l2cap, uint64_t id, Hive__L2capRequest *q)
{
	Hive__Request r = HIVE__REQUEST__INIT;
	r.id = id;
	r.op_case = HIVE__REQUEST__OP_L2CAP;
	r.l2cap = q;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &r;
	lt_send(app, l2cap, &env);
}

const Hive__Result *lt_result(struct lt_peer *app, uint64_t id)
{
	for (;;) {
		const Hive__Envelope *e = lt_take(app, HIVE__ENVELOPE__BODY_RESULT, "result");
		if (e->result->id == id)
			return e->result;
	}
}

const Hive__L2capTable *lt_table(struct lt_peer *app, const char *l2cap, uint64_t id)
{
	Hive__L2capTableQuery tq = HIVE__L2CAP_TABLE_QUERY__INIT;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_TABLE;
	q.table = &tq;
	lt_request(app, l2cap, id, &q);
	const Hive__Result *r = lt_result(app, id);
	cr_assert_eq(r->status, 0);
	cr_assert_eq(r->value_case, HIVE__RESULT__VALUE_L2CAP);
	cr_assert_eq(r->l2cap->value_case, HIVE__L2CAP_RESULT__VALUE_TABLE);
	return r->l2cap->table;
}

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

void lt_expect_bytes(const char *what, const uint8_t *got, size_t got_len, const uint8_t *want,
		     size_t want_len)
{
	if (got_len == want_len && (want_len == 0 || memcmp(got, want, want_len) == 0))
		return;
	hexdump("expected", want, want_len);
	hexdump("received", got, got_len);
	cr_assert_fail("%s differs", what);
}

bool lt_radio(struct lt_peer *p, const char *source, const Hive__Envelope *env)
{
	if (env->body_case != HIVE__ENVELOPE__BODY_L2CAP)
		return false;
	lt_send_frame(p->user, strcmp(p->name, "host-a") == 0 ? "l2cap-b" : "l2cap-a",
		      (uint16_t)env->l2cap->handle, env->l2cap->data.data, env->l2cap->data.len);
	return true;
}
