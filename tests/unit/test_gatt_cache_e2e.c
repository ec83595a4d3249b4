/* Robust caching end to end: two graphs on hive-vctrl (tests/support/
 * e2e.c), the peripheral's gatt serving examples/heart-rate.json. The
 * central discovers the peripheral's database (from the peer), again on
 * the same link (from the cache), and again after a reconnection: the
 * Database Hash is unchanged, so the cache answers. Then the peripheral
 * adds a service at runtime: the central, subscribed to Service Changed,
 * gets the indication, drops its cache, and its next discovery comes from
 * the peer and shows the new service. hive-ctl discover says when its
 * answer came from the cache. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "e2e.h"

static bool sc_seen;
static uint32_t sc_handle;

static void fini(void)
{
	if (E) {
		e2e_teardown(E);
		free(E);
		E = NULL;
	}
	th_cleanup();
}

/* The central's app: indications of Service Changed. */
static void on_gatt_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg)
{
	const Hive__GattEvent *ge = env->gatt_event;
	if (ge->kind_case == HIVE__GATT_EVENT__KIND_INDICATION && ge->indication &&
	    ge->indication->handle == sc_handle)
		sc_seen = true;
}

static bool gatt_call(struct e2e_side *s, Hive__GattRequest *g, const char *what)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = g;
	return e2e_call(E, s, "gatt", &req, what);
}

/* The central discovers all services; returns whether the cache answered
 * and how many services came. */
static bool discover_services(size_t *n)
{
	Hive__GattDiscoverServices ds = HIVE__GATT_DISCOVER_SERVICES__INIT;
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.conn = E->c.handle;
	g.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_SERVICES;
	g.discover_services = &ds;
	cr_assert(gatt_call(&E->c, &g, "discover services"), "%s", E->err);
	*n = E->result->gatt->discovery->n_services;
	return E->result->gatt->from_cache;
}

/* All characteristics; the Service Changed value handle is kept. */
static bool discover_characteristics(void)
{
	Hive__GattDiscoverCharacteristics dc = HIVE__GATT_DISCOVER_CHARACTERISTICS__INIT;
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.conn = E->c.handle;
	g.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_CHARACTERISTICS;
	g.discover_characteristics = &dc;
	cr_assert(gatt_call(&E->c, &g, "discover characteristics"), "%s", E->err);
	const Hive__GattDiscovery *d = E->result->gatt->discovery;
	for (size_t i = 0; i < d->n_characteristics; i++) {
		const Hive__GattCharacteristic *c = d->characteristics[i];
		if (c->uuid.len == 2 && c->uuid.data[0] == 0x05 && c->uuid.data[1] == 0x2a)
			sc_handle = c->value_handle;
	}
	return E->result->gatt->from_cache;
}

/* hive-ctl --json -c discover on the central's graph: its "cached". */
static bool ctl_discover_cached(int run)
{
	char out[700], err[700];
	snprintf(out, sizeof out, "%s/ctl%d.out", E->dir, run);
	snprintf(err, sizeof err, "%s/ctl%d.err", E->dir, run);
	const char *argv[] = { "hive-ctl", "--run-dir", E->c.run, "--json", "-c", "discover", NULL };
	pid_t pid = th_spawn(argv, out, err);
	cr_assert_gt(pid, 0);
	int st = th_wait_exit(pid, E2E_DEADLINE_MS);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "hive-ctl discover failed "
		  "(see %s)", err);
	char *text = th_slurp(out, NULL);
	cr_assert_not_null(text);
	json_t *j = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
	cr_assert_not_null(j, "hive-ctl printed %s", text);
	cr_assert(json_is_true(json_object_get(j, "ok")));
	json_t *cached = json_object_get(j, "cached");
	cr_assert(json_is_boolean(cached), "no \"cached\" in %s", text);
	bool r = json_is_true(cached);
	json_decref(j);
	free(text);
	return r;
}

Test(gatt_cache_e2e, unchanged_hash_reuses_the_cache_service_changed_drops_it, .fini = fini,
     .timeout = 240)
{
	E = calloc(1, sizeof *E);
	cr_assert_not_null(E);
	cr_assert(e2e_setup(E, NULL, false), "%s", E->err);
	hive_on(E->c.a, HIVE__ENVELOPE__BODY_GATT_EVENT, on_gatt_event, NULL);

	size_t n, n0;
	cr_assert_not(discover_services(&n0), "the first discovery cannot come from a cache");
	cr_assert_geq(n0, 3);
	cr_assert_not(discover_characteristics());
	cr_assert_neq(sc_handle, 0, "no Service Changed characteristic discovered");
	/* Same link: the cache answers. */
	cr_assert(discover_services(&n), "the second discovery did not use the cache");
	cr_assert_eq(n, n0);
	cr_assert(discover_characteristics());

	/* A new link to the same peer, same database: the cache again. */
	cr_assert(e2e_disconnect(E), "%s", E->err);
	cr_assert(e2e_connect(E), "%s", E->err);
	cr_assert(discover_services(&n), "after reconnection with the same hash: not from the cache");
	cr_assert_eq(n, n0);
	cr_assert(discover_characteristics());

	/* Service Changed: subscribe, and ask for the central's gatt events. */
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	Hive__GattRequest g = HIVE__GATT_REQUEST__INIT;
	g.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	g.subscribe_events = &se;
	cr_assert(gatt_call(&E->c, &g, "subscribe events"), "%s", E->err);
	Hive__GattSubscribe sub = HIVE__GATT_SUBSCRIBE__INIT;
	sub.handle = sc_handle;
	sub.indicate = true;
	Hive__GattRequest gs = HIVE__GATT_REQUEST__INIT;
	gs.conn = E->c.handle;
	gs.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE;
	gs.subscribe = &sub;
	cr_assert(gatt_call(&E->c, &gs, "subscribe to Service Changed"), "%s", E->err);

	/* The peripheral adds a service while connected. */
	uint8_t svc[2] = { 0x15, 0x18 }, chr[2] = { 0x56, 0x2a }, val = 0x42;
	Hive__GattDbCharacteristic ch = HIVE__GATT_DB_CHARACTERISTIC__INIT;
	ch.uuid.data = chr;
	ch.uuid.len = 2;
	ch.properties = 0x02;  /* read */
	ch.permissions = 0x01; /* read */
	ch.value.data = &val;
	ch.value.len = 1;
	Hive__GattDbCharacteristic *chs[1] = { &ch };
	Hive__GattDbChange dc = HIVE__GATT_DB_CHANGE__INIT;
	dc.service_uuid.data = svc;
	dc.service_uuid.len = 2;
	dc.n_characteristics = 1;
	dc.characteristics = chs;
	Hive__GattRequest gd = HIVE__GATT_REQUEST__INIT;
	gd.op_case = HIVE__GATT_REQUEST__OP_DB_CHANGE;
	gd.db_change = &dc;
	cr_assert(gatt_call(&E->p, &gd, "db_change"), "%s", E->err);
	const Hive__GattDbChanged *ch_res = E->result->gatt->db_changed;
	cr_assert_not_null(ch_res);
	cr_assert(ch_res->start > 0 && ch_res->end == ch_res->start + 2, "changed 0x%04x-0x%04x",
		  ch_res->start, ch_res->end);
	uint32_t new_service = ch_res->start;

	cr_assert(e2e_wait(E, &sc_seen, E2E_DEADLINE_MS, "the Service Changed indication"), "%s",
		  E->err);
	cr_assert_not(discover_services(&n), "after Service Changed the cache was still used");
	cr_assert_eq(n, n0 + 1);
	const Hive__GattDiscovery *d = E->result->gatt->discovery;
	cr_assert_eq(d->services[n - 1]->handle, new_service);
	cr_assert(d->services[n - 1]->uuid.len == 2 && d->services[n - 1]->uuid.data[0] == 0x15);
	/* ... and the new database is cached in its turn. */
	cr_assert(discover_services(&n));
	cr_assert_eq(n, n0 + 1);

	/* Removed again: the same, the other way. */
	sc_seen = false;
	Hive__GattDbChange rm = HIVE__GATT_DB_CHANGE__INIT;
	rm.remove = new_service;
	gd.db_change = &rm;
	cr_assert(gatt_call(&E->p, &gd, "db_change remove"), "%s", E->err);
	cr_assert(e2e_wait(E, &sc_seen, E2E_DEADLINE_MS, "the second Service Changed"), "%s",
		  E->err);
	cr_assert_not(discover_services(&n));
	cr_assert_eq(n, n0);
	/* hive-ctl: the characteristics are not cached yet, then all is. */
	cr_assert_not(ctl_discover_cached(1));
	cr_assert(ctl_discover_cached(2));
	/* A removal the server refuses says why. */
	rm.remove = 1;
	cr_assert_not(gatt_call(&E->p, &gd, "remove GAP"));
	cr_assert_eq(E->result->status, -EPERM, "%s", E->err);
}
