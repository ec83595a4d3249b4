/* Back-pressure from the radio to the app, end to end: two graphs on
 * hive-vctrl with a slow link (--paced: ACL data moves at connection events,
 * 30 ms apart, eight packets each), and a peripheral app that notifies far
 * faster than that. Before the host gave l2cap ACL credits, frames past the
 * host's per-link queue of 64 were dropped; now they wait in l2cap, gatt is
 * told the link is busy, holds its PDUs and the Results of the notify
 * requests, and refuses new ones with -EAGAIN only when it holds too many.
 * So every accepted notification arrives, in order, and none is lost. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "harness.h"

#define NOTIFIES 600
#define VALUE_HANDLE 3 /* the GAP Device Name value: any handle of the database */

struct flow {
	uint64_t base;            /* request id of notification 0 */
	uint32_t sent, answered, accepted, refused;
	uint8_t status[NOTIFIES]; /* 0 unanswered, 1 accepted, 2 refused */
	uint32_t got;             /* notifications at the central */
	uint32_t recv[2 * NOTIFIES]; /* their sequence numbers, in arrival order */
	bool bad_status;
	bool all_answered, all_arrived;
};

static struct flow F;

static void on_notify_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			     void *arg)
{
	const Hive__Result *r = env->result;
	if (r->id < F.base || r->id >= F.base + NOTIFIES)
		return;
	uint32_t i = (uint32_t)(r->id - F.base);
	if (F.status[i])
		return;
	if (r->status == 0) {
		F.status[i] = 1;
		F.accepted++;
	} else if (r->status == -EAGAIN) {
		F.status[i] = 2;
		F.refused++;
	} else {
		F.bad_status = true;
		F.status[i] = 2;
	}
	F.answered++;
	F.all_answered = F.answered == F.sent && F.sent == NOTIFIES;
	F.all_arrived = F.all_answered && F.got >= F.accepted;
}

static void on_gatt_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg)
{
	const Hive__GattEvent *e = env->gatt_event;
	if (e->kind_case != HIVE__GATT_EVENT__KIND_NOTIFICATION ||
	    e->notification->handle != VALUE_HANDLE || e->notification->value.len < 4)
		return;
	const uint8_t *v = e->notification->value.data;
	uint32_t seq = v[0] | v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
	if (F.got < 2 * NOTIFIES)
		F.recv[F.got] = seq;
	F.got++;
	F.all_arrived = F.all_answered && F.got >= F.accepted;
}

static bool send_notify(struct e2e *e, uint32_t i)
{
	uint8_t value[20] = { 0 };
	value[0] = (uint8_t)i;
	value[1] = (uint8_t)(i >> 8);
	value[2] = (uint8_t)(i >> 16);
	value[3] = (uint8_t)(i >> 24);
	for (unsigned k = 4; k < sizeof value; k++)
		value[k] = e2e_pattern(i + k);
	Hive__GattNotify n = HIVE__GATT_NOTIFY__INIT;
	n.handle = VALUE_HANDLE;
	n.value.data = value;
	n.value.len = sizeof value;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.conn = e->p.handle;
	gr.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	gr.notify = &n;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = F.base + i;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	if (e2e_send(e, &e->p, "gatt", &req) < 0)
		return e2e_fail(e, "sending notify request %u failed", i);
	F.sent++;
	return true;
}

/* A graph pair on a paced radio, the central's app subscribed to gatt events
 * and the peripheral's app taking the notify Results. */
static bool flow_setup(struct e2e *e)
{
	static const char *const vargs[] = { "--paced", NULL };
	e->vctrl_args = vargs;
	if (!e2e_setup(e, NULL, false))
		return false;
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	gr.subscribe_events = &se;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	if (!e2e_call(e, &e->c, "gatt", &req, "gatt event subscription"))
		return false;
	memset(&F, 0, sizeof F);
	F.base = 1000000;
	hive_on(e->p.a, HIVE__ENVELOPE__BODY_RESULT, on_notify_result, NULL);
	hive_on(e->c.a, HIVE__ENVELOPE__BODY_GATT_EVENT, on_gatt_event, NULL);
	return true;
}

static void check_outcome(struct e2e *e)
{
	cr_assert(e2e_wait(e, &F.all_answered, 60000, "the notify Results"), "%s", e->err);
	cr_assert(e2e_wait(e, &F.all_arrived, 60000, "every accepted notification"),
		  "%s (%u of %u accepted arrived, %u refused)", e->err, F.got, F.accepted,
		  F.refused);
	cr_assert_not(F.bad_status, "a notify request failed otherwise than -EAGAIN");
	cr_assert_eq(F.got, F.accepted, "%u notifications arrived for %u accepted", F.got,
		     F.accepted);
	/* Exactly the accepted ones, in the order they were sent. */
	uint32_t k = 0;
	for (uint32_t i = 0; i < NOTIFIES; i++) {
		if (F.status[i] != 1)
			continue;
		cr_assert_eq(F.recv[k], i, "arrival %u carried notification %u, expected %u", k,
			     F.recv[k], i);
		k++;
	}
	cr_log_info("%u notifications: %u accepted and arrived in order, %u refused with -EAGAIN",
		    NOTIFIES, F.accepted, F.refused);
}

static struct e2e run;

static void init(void)
{
	memset(&run, 0, sizeof run);
	E = &run;
}

static void fini(void)
{
	e2e_teardown(&run);
}

TestSuite(flow_e2e, .init = init, .fini = fini, .timeout = 240);

/* An app that waits for its Results (200 in flight) is paced by the radio:
 * nothing is refused, everything arrives in order. */
Test(flow_e2e, paced_by_results_nothing_lost)
{
	struct e2e *e = &run;
	cr_assert(flow_setup(e), "%s", e->err);
	uint64_t deadline = hive_now_ns() + 120000000000ull;
	while (F.sent < NOTIFIES) {
		while (F.sent < NOTIFIES && F.sent - F.answered < 200)
			cr_assert(send_notify(e, F.sent), "%s", e->err);
		cr_assert(hive_now_ns() < deadline, "notifying took longer than 120 s");
		cr_assert(e2e_pump(e), "the apps stopped");
	}
	check_outcome(e);
	cr_assert_eq(F.refused, 0, "%u notify requests refused although the app kept 200 in "
		     "flight (gatt admits 256)", F.refused);
	cr_assert_eq(F.got, NOTIFIES);
}

/* An app that fires everything at once: what gatt cannot hold is refused
 * with -EAGAIN; what it accepted arrives, whole and in order. */
Test(flow_e2e, burst_refused_or_delivered)
{
	struct e2e *e = &run;
	cr_assert(flow_setup(e), "%s", e->err);
	for (uint32_t i = 0; i < NOTIFIES; i++)
		cr_assert(send_notify(e, i), "%s", e->err);
	check_outcome(e);
	cr_assert_eq(F.accepted + F.refused, NOTIFIES);
	cr_assert_gt(F.accepted, 0);
}

/* The peripheral's host is killed with SIGKILL in the middle of the stream,
 * with frames in its queue and the controller's buffers full: l2cap sends
 * what it had not been credited for again to the restarted host, which
 * drops what the broker delivers again of its predecessor's (another
 * epoch) and counts the controller's buffers busy until their completions
 * come. The link stays up and every notification arrives, in order, none
 * lost. (A frame the dead host had sent whole but not yet credited can
 * arrive twice: duplicates are counted and reported, not failed.) */
Test(flow_e2e, host_killed_during_stream_nothing_lost)
{
	struct e2e *e = &run;
	cr_assert(flow_setup(e), "%s", e->err);
	uint64_t deadline = hive_now_ns() + 120000000000ull;
	bool killed = false;
	uint32_t old_pid = 0;
	while (F.sent < NOTIFIES) {
		while (F.sent < NOTIFIES && F.sent - F.answered < 200)
			cr_assert(send_notify(e, F.sent), "%s", e->err);
		if (!killed && F.accepted >= NOTIFIES / 4) {
			Hive__Status *st = th_status(e->p.a, TH_DEADLINE_MS);
			cr_assert_not_null(st, "no Status from the peripheral's broker");
			const Hive__ActorStatus *h = th_status_find(st, "host");
			cr_assert(h && h->pid > 0, "no host in the Status");
			old_pid = h->pid;
			hive__status__free_unpacked(st, NULL);
			cr_assert_eq(kill((pid_t)old_pid, SIGKILL), 0);
			killed = true;
		}
		cr_assert(hive_now_ns() < deadline, "notifying took longer than 120 s");
		cr_assert(e2e_pump(e), "the apps stopped");
	}
	cr_assert(killed);
	cr_assert(e2e_wait(e, &F.all_answered, 60000, "the notify Results"), "%s", e->err);
	cr_assert_eq(F.refused, 0);
	/* Every notification arrives, in order; a repeat of one already seen
	 * (a frame the dead host had sent but not credited) is counted. */
	uint64_t until = hive_now_ns() + 60000000000ull;
	uint32_t next = 0, dups = 0;
	while (next < NOTIFIES && hive_now_ns() < until) {
		cr_assert(e2e_pump(e), "the apps stopped");
		next = dups = 0;
		for (uint32_t i = 0; i < F.got && i < 2 * NOTIFIES; i++) {
			if (F.recv[i] < next) {
				dups++;
				continue;
			}
			cr_assert_eq(F.recv[i], next, "arrival %u carried %u: %u was lost", i,
				     F.recv[i], next);
			next++;
		}
	}
	cr_assert_eq(next, NOTIFIES, "%u of %u notifications arrived after the host was killed",
		     next, NOTIFIES);
	cr_log_info("host killed during the stream: %u notifications arrived in order, %u "
		    "duplicates", next, dups);
	Hive__Status *st = th_status(e->p.a, TH_DEADLINE_MS);
	cr_assert_not_null(st);
	const Hive__ActorStatus *h = th_status_find(st, "host");
	cr_assert(h && h->pid && h->pid != old_pid, "the host did not come back");
	hive__status__free_unpacked(st, NULL);
}
