/* Helpers of the malformed-PDU and chaos tests: see malformed_util.h. */
#include "malformed_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Test-process state: the peers a test made (one test per process). */
static struct mu_peer *peers[MU_PEERS];
static size_t npeers;

static void on_any(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		   void *arg)
{
	(void)a;
	(void)source;
	struct mu_peer *p = arg;
	/* The host's ACL credits to l2cap are flow control, not a reaction
	 * to the input under test: not kept. */
	if (env->body_case == HIVE__ENVELOPE__BODY_LINK &&
	    env->link->kind_case == HIVE__LINK_EVENT__KIND_ACL_CREDITS)
		return;
	cr_assert_lt(p->n, MU_KEPT, "%s kept too many envelopes", p->name);
	/* The envelope belongs to the runtime: keep a copy. */
	size_t len = hive__envelope__get_packed_size(env);
	uint8_t *buf = malloc(len ? len : 1);
	cr_assert_not_null(buf);
	hive__envelope__pack(env, buf);
	p->kept[p->n] = hive__envelope__unpack(NULL, len, buf);
	p->taken[p->n] = false;
	p->n++;
	free(buf);
}

struct mu_peer *mu_peer_new(const char *dir, const char *name)
{
	struct mu_peer *p = calloc(1, sizeof *p);
	cr_assert_not_null(p);
	p->a = th_actor(dir, name);
	cr_assert_not_null(p->a, "cannot register %s", name);
	snprintf(p->name, sizeof p->name, "%s", name);
	static const Hive__Envelope__BodyCase bodies[] = {
		HIVE__ENVELOPE__BODY_HCI,	  HIVE__ENVELOPE__BODY_L2CAP,
		HIVE__ENVELOPE__BODY_PDU,	  HIVE__ENVELOPE__BODY_LINK,
		HIVE__ENVELOPE__BODY_REQUEST,	  HIVE__ENVELOPE__BODY_RESULT,
		HIVE__ENVELOPE__BODY_L2CAP_EVENT, HIVE__ENVELOPE__BODY_GATT_EVENT,
		HIVE__ENVELOPE__BODY_SMP_EVENT,
	};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		hive_on(p->a, bodies[i], on_any, p);
	cr_assert_lt(npeers, MU_PEERS);
	peers[npeers++] = p;
	return p;
}

void mu_peers_free(void)
{
	for (size_t i = 0; i < npeers; i++) {
		struct mu_peer *p = peers[i];
		for (size_t k = 0; k < p->n; k++)
			hive__envelope__free_unpacked(p->kept[k], NULL);
		hive_actor_destroy(&p->a);
		free(p);
	}
	npeers = 0;
}

void mu_pump(void)
{
	int did = 0;
	for (size_t i = 0; i < npeers; i++)
		did |= hive_run_once(peers[i]->a, 0) > 0;
	if (!did && npeers)
		hive_run_once(peers[0]->a, 1);
}

static Hive__Envelope *find(struct mu_peer *p, Hive__Envelope__BodyCase body, size_t *at)
{
	for (size_t i = 0; i < p->n; i++)
		if (!p->taken[i] && p->kept[i]->body_case == body) {
			*at = i;
			return p->kept[i];
		}
	return NULL;
}

const Hive__Envelope *mu_take(struct mu_peer *p, Hive__Envelope__BodyCase body,
			      const char *what)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	size_t at = 0;
	Hive__Envelope *e;
	while (!(e = find(p, body, &at)) && hive_now_ns() < deadline)
		mu_pump();
	cr_assert_not_null(e, "%s: no %s arrived (%s)", p->name, hive_body_name(body), what);
	p->taken[at] = true;
	return e;
}

const Hive__Envelope *mu_find_result(struct mu_peer *p, uint64_t id)
{
	for (size_t i = 0; i < p->n; i++)
		if (!p->taken[i] && p->kept[i]->body_case == HIVE__ENVELOPE__BODY_RESULT &&
		    p->kept[i]->result->id == id) {
			p->taken[i] = true;
			return p->kept[i];
		}
	return NULL;
}

void mu_forget_taken(struct mu_peer *p)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (p->taken[i]) {
			hive__envelope__free_unpacked(p->kept[i], NULL);
			continue;
		}
		p->kept[k] = p->kept[i];
		p->taken[k] = false;
		k++;
	}
	p->n = k;
}

static size_t count(struct mu_peer *p, Hive__Envelope__BodyCase body)
{
	size_t c = 0;
	for (size_t i = 0; i < p->n; i++)
		if (body == HIVE__ENVELOPE__BODY__NOT_SET || p->kept[i]->body_case == body)
			c++;
	return c;
}

void mu_expect_silence(struct mu_peer *p, Hive__Envelope__BodyCase body, int ms)
{
	size_t n = count(p, body);
	uint64_t until = hive_now_ns() + (uint64_t)ms * 1000000ull;
	while (hive_now_ns() < until)
		mu_pump();
	cr_assert_eq(count(p, body), n, "%s got %zu unexpected message(s)", p->name,
		     count(p, body) - n);
}

pid_t mu_spawn(const char *dir, const char *prog, const char *name, const char *const sets[])
{
	char log[600];
	const char *argv[40] = { prog, "--run-dir", dir, "--name", name };
	int n = 5;
	const char *lvl = getenv("HIVE_LOG");
	argv[n++] = "--log-level";
	argv[n++] = lvl && *lvl ? lvl : "debug";
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

bool mu_wait_ready(struct mu_peer *asker, const char *name, int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (hive_now_ns() < deadline) {
		Hive__Status *st = th_status(asker->a, timeout_ms);
		if (!st)
			return false;
		const Hive__ActorStatus *s = th_status_find(st, name);
		bool ready = s && s->up && s->ready;
		hive__status__free_unpacked(st, NULL);
		if (ready)
			return true;
		mu_pump();
	}
	return false;
}

void mu_send(struct mu_peer *p, const char *dest, Hive__Envelope *env)
{
	cr_assert_eq(hive_send(p->a, dest, env), 0, "%s cannot send to %s", p->name, dest);
}

uint64_t mu_request(struct mu_peer *p, const char *dest, Hive__Request *r)
{
	static uint64_t next_id = 1;
	r->id = next_id++;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = r;
	mu_send(p, dest, &env);
	return r->id;
}

const Hive__Result *mu_wait_result(struct mu_peer *p, uint64_t id, int ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)ms * 1000000ull;
	const Hive__Envelope *e;
	while (!(e = mu_find_result(p, id)) && hive_now_ns() < deadline)
		mu_pump();
	return e ? e->result : NULL;
}

void mu_send_pdu(struct mu_peer *p, const char *dest, uint32_t handle, uint32_t cid,
		 const uint8_t *b, size_t len)
{
	Hive__ChannelPdu cp = HIVE__CHANNEL_PDU__INIT;
	cp.handle = handle;
	cp.cid = cid;
	cp.payload.data = (uint8_t *)b;
	cp.payload.len = len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &cp;
	mu_send(p, dest, &env);
}

void mu_send_frame(struct mu_peer *p, const char *dest, uint32_t handle, const uint8_t *b,
		   size_t len)
{
	Hive__L2capFrame f = HIVE__L2CAP_FRAME__INIT;
	f.handle = handle;
	f.data.data = (uint8_t *)b;
	f.data.len = len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_L2CAP;
	env.l2cap = &f;
	mu_send(p, dest, &env);
}

void mu_send_hci(struct mu_peer *p, const char *dest, int type, const uint8_t *b, size_t len)
{
	Hive__HciPacket hp = HIVE__HCI_PACKET__INIT;
	hp.type = (Hive__HciPacket__Type)type;
	hp.data.data = (uint8_t *)b;
	hp.data.len = len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &hp;
	mu_send(p, dest, &env);
}

void mu_send_link(struct mu_peer *p, const char *dest, uint32_t handle, bool up, bool central)
{
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	Hive__Connected con = HIVE__CONNECTED__INIT;
	Hive__Disconnected dis = HIVE__DISCONNECTED__INIT;
	le.handle = handle;
	if (up) {
		con.le = true;
		con.role = central ? HIVE__CONNECTED__ROLE__CENTRAL
				   : HIVE__CONNECTED__ROLE__PERIPHERAL;
		le.kind_case = HIVE__LINK_EVENT__KIND_CONNECTED;
		le.connected = &con;
	} else {
		dis.reason = 0x13;
		le.kind_case = HIVE__LINK_EVENT__KIND_DISCONNECTED;
		le.disconnected = &dis;
	}
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_LINK;
	env.link = &le;
	mu_send(p, dest, &env);
}

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

void mu_expect_bytes(const char *what, const uint8_t *got, size_t got_len, const uint8_t *want,
		     size_t want_len)
{
	if (got_len != want_len || memcmp(got, want, want_len)) {
		hexdump("expected", want, want_len);
		hexdump("received", got, got_len);
		cr_assert_fail("%s differs", what);
	}
}
