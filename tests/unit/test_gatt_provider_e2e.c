/* App value providers end to end: two graphs on hive-vctrl (tests/support/
 * e2e.c), the peripheral's gatt serving examples/bench-db.json. The test's
 * app on the peripheral registers as the provider of a writable
 * characteristic; the central's app reads and writes it over the air and
 * gets what the provider answered: its value, its acceptance, its
 * application error. A provider that stays silent makes the read end with
 * Unlikely Error after the gatt's provider timeout, its late answer is
 * refused, and the next read is served again. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"

enum mode { ANSWER_VALUE, ANSWER_ERROR, SILENT };

struct provider {
	enum mode mode;
	unsigned asks;
	bool last_write;
	uint32_t last_offset;
	uint64_t last_token;
	size_t last_len;
	uint8_t last_value[600];
	bool bad_answer; /* answer the next question with a bad att_error first */
};
static struct provider PV;

static const char *const PSETS[] = { "gatt.db=examples/bench-db.json",
				     "gatt.provider_timeout_ms=500", NULL };

static void fini(void)
{
	if (E) {
		e2e_teardown(E);
		free(E);
		E = NULL;
	}
	th_cleanup();
}

/* The peripheral's app: the provider. */
static void on_gatt_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg)
{
	const Hive__GattEvent *ge = env->gatt_event;
	if (ge->kind_case != HIVE__GATT_EVENT__KIND_PROVIDER_ASK)
		return;
	const Hive__GattProviderAsk *ask = ge->provider_ask;
	PV.asks++;
	PV.last_write = ask->write;
	PV.last_offset = ask->offset;
	PV.last_token = ask->token;
	PV.last_len = ask->value.len < sizeof PV.last_value ? ask->value.len : 0;
	if (PV.last_len)
		memcpy(PV.last_value, ask->value.data, PV.last_len);
	if (PV.bad_answer) {
		PV.bad_answer = false;
		Hive__GattProviderAnswer bad = HIVE__GATT_PROVIDER_ANSWER__INIT;
		bad.token = ask->token;
		bad.att_error = 0x1234;
		Hive__GattRequest bg = HIVE__GATT_REQUEST__INIT;
		bg.op_case = HIVE__GATT_REQUEST__OP_PROVIDER_ANSWER;
		bg.provider_answer = &bad;
		Hive__Request breq = HIVE__REQUEST__INIT;
		breq.op_case = HIVE__REQUEST__OP_GATT;
		breq.gatt = &bg;
		e2e_send(E, &E->p, "gatt", &breq);
	}
	if (PV.mode == SILENT || ask->no_response)
		return;
	Hive__GattProviderAnswer ans = HIVE__GATT_PROVIDER_ANSWER__INIT;
	ans.token = ask->token;
	if (PV.mode == ANSWER_ERROR)
		ans.att_error = 0x80;
	else if (!ask->write) {
		ans.value.data = (uint8_t *)"provided!";
		ans.value.len = 9;
	}
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.op_case = HIVE__GATT_REQUEST__OP_PROVIDER_ANSWER;
	g.provider_answer = &ans;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &g;
	e2e_send(E, &E->p, "gatt", &req);
}

static bool gatt_call(struct e2e_side *s, Hive__GattRequest *g, const char *what)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = g;
	return e2e_call(E, s, "gatt", &req, what);
}

/* The value handle of characteristic ...dc0a01 in the peripheral's db. */
static uint32_t find_handle(void)
{
	Hive__GattDbQuery q = HIVE__GATT_DB_QUERY__INIT;
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.op_case = HIVE__GATT_REQUEST__OP_DB;
	g.db = &q;
	cr_assert(gatt_call(&E->p, &g, "db"), "%s", E->err);
	const Hive__GattDb *db = E->result->gatt->db;
	for (size_t i = 0; i < db->n_attributes; i++) {
		const Hive__GattAttribute *at = db->attributes[i];
		if (at->type.len == 16 && at->type.data[0] == 0x01 && at->type.data[1] == 0x0a &&
		    at->type.data[15] == 0x6e)
			return at->handle;
	}
	cr_assert_fail("no characteristic ...0a01 in examples/bench-db.json");
	return 0;
}

static bool central_read(uint32_t handle)
{
	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	rd.handle = handle;
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.conn = E->c.handle;
	g.op_case = HIVE__GATT_REQUEST__OP_READ;
	g.read = &rd;
	return gatt_call(&E->c, &g, "the central's read");
}

static bool central_write(uint32_t handle, const char *text)
{
	Hive__GattWrite wr = HIVE__GATT_WRITE__INIT;
	wr.handle = handle;
	wr.value.data = (uint8_t *)text;
	wr.value.len = strlen(text);
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.conn = E->c.handle;
	g.op_case = HIVE__GATT_REQUEST__OP_WRITE;
	g.write = &wr;
	return gatt_call(&E->c, &g, "the central's write");
}

Test(gatt_provider_e2e, a_provider_app_answers_remote_reads_and_writes, .fini = fini,
     .timeout = 180)
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	memset(&PV, 0, sizeof PV);
	cr_assert(e2e_setup(E, PSETS, false), "%s", E->err);
	hive_on(E->p.a, HIVE__ENVELOPE__BODY_GATT_EVENT, on_gatt_event, NULL);
	uint32_t h = find_handle();

	/* Not every attribute can be provided: the answer says why. */
	Hive__GattProviderRegister reg = HIVE__GATT_PROVIDER_REGISTER__INIT;
	reg.handle = h - 1; /* the declaration */
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.op_case = HIVE__GATT_REQUEST__OP_PROVIDER_REGISTER;
	g.provider_register = &reg;
	cr_assert_not(gatt_call(&E->p, &g, "register a declaration"));
	cr_assert_eq(E->result->status, -EINVAL, "%s", E->err);
	reg.handle = h;
	cr_assert(gatt_call(&E->p, &g, "register"), "%s", E->err);

	/* A remote read: the provider's value, not the database's. */
	cr_assert(central_read(h), "%s", E->err);
	cr_assert_eq(PV.asks, 1);
	cr_assert_not(PV.last_write);
	const Hive__GattValue *v = E->result->gatt->read;
	cr_assert(v->value.len == 9 && !memcmp(v->value.data, "provided!", 9),
		  "the central read %zu bytes, not the provider's value", v->value.len);

	/* A remote write reaches the provider, which accepts it. */
	cr_assert(central_write(h, "hello"), "%s", E->err);
	cr_assert_eq(PV.asks, 2);
	cr_assert(PV.last_write && PV.last_len == 5 && !memcmp(PV.last_value, "hello", 5));

	/* ... or refuses it with its own error code. */
	PV.mode = ANSWER_ERROR;
	cr_assert_not(central_write(h, "nope"));
	cr_assert_eq(E->result->domain, HIVE__RESULT__DOMAIN__ATT, "%s", E->err);
	cr_assert_eq(E->result->status, 0x80, "%s", E->err);

	/* A silent provider: Unlikely Error after the timeout, not a hang. An
	 * answer that is no ATT code is refused and leaves the question open. */
	PV.mode = SILENT;
	PV.bad_answer = true;
	cr_assert_not(central_read(h));
	cr_assert_eq(E->result->domain, HIVE__RESULT__DOMAIN__ATT, "%s", E->err);
	cr_assert_eq(E->result->status, 0x0e /* Unlikely Error */, "%s", E->err);
	/* Its late answer is refused (the peer already has its error). */
	Hive__GattProviderAnswer ans = HIVE__GATT_PROVIDER_ANSWER__INIT;
	ans.token = PV.last_token;
	ans.value.data = (uint8_t *)"late";
	ans.value.len = 4;
	Hive__GattRequest ga = HIVE__GATT_REQUEST__INIT;
	ga.op_case = HIVE__GATT_REQUEST__OP_PROVIDER_ANSWER;
	ga.provider_answer = &ans;
	cr_assert_not(gatt_call(&E->p, &ga, "late answer"));
	cr_assert_eq(E->result->status, -ENOENT, "%s", E->err);
	/* The bad answer was refused (had it been taken, the read would have
	 * hung until the ATT timeout instead); gatt says why. */
	ans.att_error = 0x1234;
	cr_assert_not(gatt_call(&E->p, &ga, "bad answer"));
	cr_assert_eq(E->result->status, -EINVAL, "%s", E->err);

	/* The bearer is not stuck: the next read is served. */
	PV.mode = ANSWER_VALUE;
	cr_assert(central_read(h), "%s", E->err);
	v = E->result->gatt->read;
	cr_assert(v->value.len == 9 && !memcmp(v->value.data, "provided!", 9));

	/* Released: the database's own value again. */
	reg.release = true;
	cr_assert(gatt_call(&E->p, &g, "release"), "%s", E->err);
	unsigned asks = PV.asks;
	cr_assert(central_read(h), "%s", E->err);
	cr_assert_eq(PV.asks, asks);
	v = E->result->gatt->read;
	cr_assert(v->value.len == 20 && v->value.data[0] == 0x00 && v->value.data[19] == 0x13,
		  "not the database's value: %zu bytes", v->value.len);
}
