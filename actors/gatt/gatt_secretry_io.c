/* hive-gatt's security retry: asking smp, running again, answering. See
 * gatt_secretry_io.h. */
#include "gatt_secretry_io.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gatt_main.h"
#include "gatt_secretry.h"

/* Answers p with its first ATT error and p->why, then releases it. */
static void fail(struct gatt_main *self, struct gatt_pending *p)
{
	struct gatt_client_event d = { .type = GATT_CEV_DONE, .proc = p->type, .conn = p->conn,
				       .id = p->cookie, .att_error = p->att_error,
				       .att_request = p->att_request, .handle = p->req.handle };
	gatt_main_answer(self, p, &d);
	gatt_actor_pending_release(p);
	self->dirty = true;
}

static int ask_smp(struct gatt_main *self, struct gatt_pending *p, enum gatt_secretry_act act)
{
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpPair pr = HIVE__SMP_PAIR__INIT;
	Hive__SmpEncrypt en = HIVE__SMP_ENCRYPT__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	if (act == GATT_SR_ENCRYPT) {
		en.handle = p->conn;
		q.op_case = HIVE__SMP_REQUEST__OP_ENCRYPT;
		q.encrypt = &en;
	} else {
		pr.handle = p->conn;
		pr.mitm = act == GATT_SR_PAIR_MITM;
		q.op_case = HIVE__SMP_REQUEST__OP_PAIR;
		q.pair = &pr;
	}
	req.id = GATT_SR_ID_BASE | (p->cookie & 0xffffffffffffull);
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &q;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	int rc = hive_send(self->a, self->smp.smp, &env);
	if (rc == 0)
		p->smp_id = req.id;
	return rc;
}

/* The request of conn waiting for smp already, or NULL. */
static struct gatt_pending *securing(struct gatt_main *self, uint16_t conn)
{
	for (int i = 0; i < GATT_ACTOR_MAX_PENDING; i++) {
		struct gatt_pending *p = &self->g.pending[i];
		if (p->used && p->smp_id && p->conn == conn)
			return p;
	}
	return NULL;
}

bool gatt_sr_on_done(struct gatt_main *self, struct gatt_pending *p,
		     const struct gatt_client_event *e)
{
	struct gatt_actor *g = &self->g;
	if (!p->asker[0] || e->err || !gatt_secretry_error(e->att_error))
		return false;
	const char *name = att_error_name(e->att_error);
	if (p->retried) {
		snprintf(p->why, sizeof p->why,
			 "%s: the peer still refused after %s of the link; it needs more than "
			 "this link can give (a MITM-protected or longer key: pair again with "
			 "another IO capability)", att_error_name(p->att_error),
			 gatt_secretry_act_name((enum gatt_secretry_act)p->sr_act));
		fail(self, p);
		return true;
	}
	/* The link is being secured for an earlier request: this one waits
	 * for the same outcome (smp would answer a second ask -EBUSY) and
	 * runs again after it, in the order the app asked. */
	const struct gatt_pending *first = self->security_retry != GATT_SECRETRY_OFF &&
						   p->req.type != GATT_PROC_NONE
						   ? securing(self, p->conn)
						   : NULL;
	if (first) {
		p->smp_id = first->smp_id;
		p->sr_act = first->sr_act;
		p->att_error = e->att_error;
		p->att_request = e->att_request;
		p->smp_since = first->smp_since;
		return true;
	}
	const struct gatt_actor_conn *c = gatt_actor_conn(g, p->conn);
	bool encrypted = c && c->sec.encrypted;
	bool bonded = gatt_bond_link(&g->bonds, p->conn) != NULL;
	enum gatt_secretry_act act =
		p->req.type == GATT_PROC_NONE
			? GATT_SR_NONE
			: gatt_secretry_decide(self->security_retry, p->secure, e->att_error,
					       encrypted, bonded);
	if (act == GATT_SR_NONE) {
		if (self->security_retry != GATT_SECRETRY_OFF && !bonded)
			snprintf(p->why, sizeof p->why,
				 "%s: the link is not secure enough and there is no bond with "
				 "the peer; ask again with secure (hive-ctl --secure) or pair "
				 "first", name);
		return false;
	}
	int rc = ask_smp(self, p, act);
	if (rc < 0) {
		snprintf(p->why, sizeof p->why, "%s: asking %s for %s failed: %s", name,
			 self->smp.smp, gatt_secretry_act_name(act), strerror(-rc));
		return false;
	}
	HLOG_INFO(self->a, "conn=0x%04x: %s for %s's request; asked %s for %s, then retrying",
		  p->conn, name, p->asker, self->smp.smp, gatt_secretry_act_name(act));
	p->sr_act = (uint8_t)act;
	p->att_error = e->att_error;
	p->att_request = e->att_request;
	p->smp_since = gatt_main_now_ms();
	return true;
}

/* The earliest request waiting for smp's answer smp_id, or NULL. */
static struct gatt_pending *waiting(struct gatt_main *self, uint64_t smp_id)
{
	struct gatt_pending *best = NULL;
	for (int i = 0; i < GATT_ACTOR_MAX_PENDING; i++) {
		struct gatt_pending *p = &self->g.pending[i];
		if (p->used && p->smp_id && p->smp_id == smp_id && (!best || p->cookie < best->cookie))
			best = p;
	}
	return best;
}

static void secured(struct gatt_main *self, struct gatt_pending *p, const Hive__Result *r);

bool gatt_sr_on_result(struct gatt_main *self, const Hive__Result *r)
{
	if ((r->id & 0xffff000000000000ull) != GATT_SR_ID_BASE)
		return false;
	struct gatt_pending *p;
	while ((p = waiting(self, r->id)))
		secured(self, p, r);
	gatt_main_flush(self);
	return true; /* (none: answered already, the link went or it timed out) */
}

/* smp's answer r for p: run again, or answer the first error. */
static void secured(struct gatt_main *self, struct gatt_pending *p, const Hive__Result *r)
{
	const char *what = gatt_secretry_act_name((enum gatt_secretry_act)p->sr_act);
	const Hive__SmpResult *sr = r->value_case == HIVE__RESULT__VALUE_SMP ? r->smp : NULL;
	bool ok = r->status == 0 && sr &&
		  (sr->value_case == HIVE__SMP_RESULT__VALUE_PAIRED ||
		   (sr->value_case == HIVE__SMP_RESULT__VALUE_ENCRYPTED && sr->encrypted->enabled));
	if (!ok) {
		snprintf(p->why, sizeof p->why, "%s: %s of the link was tried and failed: %s (%d)",
			 att_error_name(p->att_error), what,
			 r->error && r->error[0] ? r->error : "smp gave no reason", r->status);
		HLOG_INFO(self->a, "conn=0x%04x: %s failed, %s gets %s", p->conn, what, p->asker,
			  att_error_name(p->att_error));
		fail(self, p);
		return;
	}
	int rc = gatt_actor_client_retry(&self->g, p, gatt_main_now_ms());
	if (rc < 0) {
		snprintf(p->why, sizeof p->why, "%s: %s succeeded but the request could not be "
			 "sent again: %s", att_error_name(p->att_error), what, strerror(-rc));
		fail(self, p);
	}
	self->dirty = true;
}

bool gatt_sr_on_smp_event(struct gatt_main *self, const Hive__Envelope *env)
{
	const Hive__SmpEvent *ev = env->smp_event;
	if (ev->kind_case != HIVE__SMP_EVENT__KIND_PROMPT)
		return false;
	for (int i = 0; i < GATT_ACTOR_MAX_PENDING; i++) {
		struct gatt_pending *p = &self->g.pending[i];
		if (!p->used || !p->smp_id || p->conn != ev->handle || p->sr_act == GATT_SR_ENCRYPT)
			continue;
		Hive__Envelope out = *env;
		int rc = hive_send(self->a, p->asker, &out);
		if (rc < 0)
			HLOG_WARN(self->a, "conn=0x%04x: passing smp's prompt on to %s failed: %s",
				  p->conn, p->asker, strerror(-rc));
		return true;
	}
	return false;
}

void gatt_sr_conn_down(struct gatt_main *self, uint16_t conn)
{
	for (int i = 0; i < GATT_ACTOR_MAX_PENDING; i++) {
		struct gatt_pending *p = &self->g.pending[i];
		if (!p->used || !p->smp_id || p->conn != conn)
			continue;
		snprintf(p->why, sizeof p->why, "%s: the link went while smp tried %s",
			 att_error_name(p->att_error),
			 gatt_secretry_act_name((enum gatt_secretry_act)p->sr_act));
		fail(self, p);
	}
}

void gatt_sr_tick(struct gatt_main *self, uint64_t now_ms)
{
	for (int i = 0; i < GATT_ACTOR_MAX_PENDING; i++) {
		struct gatt_pending *p = &self->g.pending[i];
		if (!p->used || !p->smp_id || now_ms - p->smp_since < GATT_SR_TIMEOUT_MS)
			continue;
		snprintf(p->why, sizeof p->why, "%s: smp did not finish %s within %d s; pair "
			 "with hive-ctl pair and try again", att_error_name(p->att_error),
			 gatt_secretry_act_name((enum gatt_secretry_act)p->sr_act),
			 GATT_SR_TIMEOUT_MS / 1000);
		fail(self, p);
	}
}
