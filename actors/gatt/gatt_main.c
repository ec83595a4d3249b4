/* hive-gatt: the gatt actor's I/O shell (with gatt_main_req.c, see
 * gatt_main.h): the shell alone touches ZeroMQ, timers and protobuf-c.
 *
 *   hive-gatt [runtime options] [--set db=PATH] [--set name=NAME]
 *             [--set l2cap=NAME] [--set provider_timeout_ms=N]
 *             [--set security_retry=0|1|2]
 *
 * db: the attribute database as JSON (gatt_db_json.c); without it only the
 * GAP (device name NAME, default "hive") and GATT services. l2cap: the actor
 * that carries our ATT PDUs (default "l2cap"). provider_timeout_ms: how long
 * an app that provides a value (gatt_provider.h) has to answer before the
 * peer gets Unlikely Error (default 5000). The provider messages are in
 * gatt_provider_io.c, the requests of apps in gatt_main_req.c.
 *
 * In: ChannelPdu on CID 4 (from l2cap), LinkEvent (from host), Request.gatt
 * (from apps). Out: ChannelPdu (handle, CID 4) to l2cap, Result.gatt to the
 * asker, GattEvent to the apps that sent subscribe_events. Bonds with smp
 * (gatt_smp.c): SmpEvent gatt_bond/gatt_unbond in, Request smp gatt_record,
 * sign_counters and gatt_sync out (--set smp=NAME, default "smp").
 * security_retry: what a client procedure that gets an insufficient-security
 * error does (gatt_secretry.h; 0 off, 1 default, 2 pair without a bond). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatt_main.h"
#include "gatt_provider_io.h"
#include "gatt_secretry.h"

#define ATT_CID 0x0004
#define TICK_MS 1000

uint64_t gatt_main_now_ms(void)
{
	return hive_now_ns() / 1000000ull;
}

static void send_or_log(struct gatt_main *self, const char *dest, Hive__Envelope *env)
{
	int rc = hive_send(self->a, dest, env);
	if (rc < 0) {
		self->send_failures++;
		HLOG_WARN(self->a, "sending %s to %s failed: %s", hive_body_name(env->body_case),
			  dest, strerror(-rc));
	}
}

void gatt_main_send_result(struct gatt_main *self, const char *dest, uint64_t id, int32_t status,
			   Hive__Result__Domain domain, const char *error, Hive__GattResult *gr)
{
	Hive__Result res = HIVE__RESULT__INIT;
	res.id = id;
	res.status = status;
	res.domain = domain;
	res.error = (char *)(error ? error : "");
	if (gr) {
		res.value_case = HIVE__RESULT__VALUE_GATT;
		res.gatt = gr;
	}
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_RESULT;
	env.result = &res;
	send_or_log(self, dest, &env);
}

void gatt_main_local_error(struct gatt_main *self, const char *dest, uint64_t id, int err,
			   const char *what)
{
	char msg[256];
	snprintf(msg, sizeof msg, "%s: %s", what, strerror(-err));
	gatt_main_send_result(self, dest, id, err, HIVE__RESULT__DOMAIN__LOCAL, msg, NULL);
}

/* ---- events to subscribers ----------------------------------------------------------- */

static void publish(struct gatt_main *self, Hive__GattEvent *ge)
{
	if (!self->g.n_subscribers)
		return;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_GATT_EVENT;
	env.gatt_event = ge;
	for (unsigned i = 0; i < self->g.n_subscribers; i++)
		send_or_log(self, self->g.subscribers[i], &env);
}

static void publish_value(struct gatt_main *self, Hive__GattEvent__KindCase kind, uint16_t conn,
			  uint16_t handle, const uint8_t *v, size_t len)
{
	Hive__GattEvent ge = HIVE__GATT_EVENT__INIT;
	Hive__GattValue gv = HIVE__GATT_VALUE__INIT;
	gv.handle = handle;
	gv.value.data = (uint8_t *)v;
	gv.value.len = len;
	ge.conn = conn;
	ge.kind_case = kind;
	ge.notification = &gv; /* every value kind shares the union slot */
	publish(self, &ge);
}

static void server_event(struct gatt_main *self, const struct gatt_event *e)
{
	Hive__GattEvent ge = HIVE__GATT_EVENT__INIT;
	Hive__GattCccd cc = HIVE__GATT_CCCD__INIT;
	Hive__GattMtu mtu = HIVE__GATT_MTU__INIT;
	const struct gatt_attr *a;
	ge.conn = e->conn;
	switch (e->type) {
	case GATT_EV_WRITE:
		a = gatt_db_get(self->g.db, e->handle);
		publish_value(self, HIVE__GATT_EVENT__KIND_WRITTEN, e->conn, e->handle,
			      a ? a->value : NULL, a ? a->len : 0);
		return;
	case GATT_EV_CCCD:
		self->dirty = true;
		gatt_bond_cccd_written(&self->g.bonds, e->conn);
		cc.handle = e->handle;
		cc.value = e->value;
		ge.kind_case = HIVE__GATT_EVENT__KIND_CCCD_CHANGED;
		ge.cccd_changed = &cc;
		break;
	case GATT_EV_MTU:
		self->dirty = true;
		gatt_client_set_mtu(self->g.client, e->conn, e->value);
		mtu.mtu = e->value;
		ge.kind_case = HIVE__GATT_EVENT__KIND_MTU_CHANGED;
		ge.mtu_changed = &mtu;
		break;
	case GATT_EV_CONFIRMED:
		publish_value(self, HIVE__GATT_EVENT__KIND_CONFIRMED, e->conn, e->handle, NULL, 0);
		return;
	case GATT_EV_PROVIDER_READ:
	case GATT_EV_PROVIDER_WRITE:
		/* To the app that provides it; a successor must know the peer waits. */
		gatt_pio_ask(self->a, &self->g, e, gatt_main_now_ms());
		self->dirty = true;
		return;
	}
	publish(self, &ge);
}

/* ---- the outboxes ----------------------------------------------------------------------- */

static void send_att(struct gatt_main *self, uint16_t conn, const uint8_t *pdu, size_t len)
{
	HLOG_DEBUG(self->a, ">>> %s conn=0x%04x len=%zu", att_opcode_name(pdu[0]), conn, len);
	Hive__ChannelPdu cp = HIVE__CHANNEL_PDU__INIT;
	cp.handle = conn;
	cp.cid = ATT_CID;
	cp.payload.data = (uint8_t *)pdu;
	cp.payload.len = len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &cp;
	send_or_log(self, self->l2cap, &env);
}

/* To l2cap now, or waiting while the link is busy (gatt_flow.h). */
static void send_pdu(struct gatt_main *self, const struct att_out_pdu *o)
{
	int rc = gatt_flow_submit(&self->flow, o->conn, o->pdu, o->len, self->token);
	if (rc == 0)
		send_att(self, o->conn, o->pdu, o->len);
	else if (rc < 0)
		HLOG_ERROR(self->a, "%s for conn=0x%04x dropped: %s", att_opcode_name(o->pdu[0]),
			   o->conn, rc == -ENOBUFS ? "the link has been busy for "
			   "too long (" "the peer or the controller does not take data)"
						   : strerror(-rc));
}

/* The Result of a notify or set_value request, held until its PDUs went. */
void gatt_main_notify_result(struct gatt_main *self, int token)
{
	const struct gatt_flow_token *t = &self->flow.t[token];
	Hive__GattResult gr = HIVE__GATT_RESULT__INIT;
	Hive__GattDone gd = HIVE__GATT_DONE__INIT;
	gr.value_case = HIVE__GATT_RESULT__VALUE_DONE;
	gr.done = &gd;
	gr.conn = t->conn;
	gd.count = t->count;
	gatt_main_send_result(self, t->asker, t->id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL, &gr);
	gatt_flow_token_free(&self->flow, token);
}

static void flow_done(int token, void *arg)
{
	gatt_main_notify_result(arg, token);
}

/* Sends what waited for connections no longer busy. */
static void release_waiting(struct gatt_main *self)
{
	struct gatt_flow_pdu *p;
	uint16_t conn;
	while ((p = gatt_flow_next(&self->flow, &conn))) {
		send_att(self, conn, p->pdu, p->len);
		int token = gatt_flow_sent(&self->flow, p);
		if (token >= 0)
			gatt_main_notify_result(self, token);
	}
}

static void save_snapshot(struct gatt_main *self)
{
	int n = gatt_actor_snapshot(&self->g, self->snap, sizeof self->snap);
	if (n > 0)
		hive_snapshot_save(self->a, self->snap, (size_t)n);
	self->dirty = false;
}

void gatt_main_flush(struct gatt_main *self)
{
	struct gatt_actor *g = &self->g;
	/* A request about to go out is in the snapshot first (same pipe to the
	 * broker, so in order): a successor knows its response is not for
	 * one of its own requests. */
	uint64_t sent = gatt_client_requests_sent(g->client);
	if (sent != self->requests_sent) {
		self->requests_sent = sent;
		save_snapshot(self);
	}
	for (unsigned i = 0; i < g->sout.n_pdus; i++)
		send_pdu(self, &g->sout.pdus[i]);
	for (unsigned i = 0; i < g->sout.n_events; i++)
		server_event(self, &g->sout.events[i]);
	for (unsigned i = 0; i < g->cout.n_pdus; i++)
		send_pdu(self, &g->cout.pdus[i]);
	for (unsigned i = 0; i < g->cout.n_events; i++) {
		const struct gatt_client_event *e = &g->cout.events[i];
		if (e->type == GATT_CEV_INDICATION)
			gatt_cache_indication(&g->cache, e->conn, e->handle); /* Service Changed? */
		if (e->type == GATT_CEV_NOTIFICATION || e->type == GATT_CEV_INDICATION) {
			publish_value(self,
				      e->type == GATT_CEV_NOTIFICATION
					      ? HIVE__GATT_EVENT__KIND_NOTIFICATION
					      : HIVE__GATT_EVENT__KIND_INDICATION,
				      e->conn, e->handle, e->value, e->len);
			continue;
		}
		if (e->type == GATT_CEV_DONE && e->proc == GATT_PROC_EXCHANGE_MTU && !e->err &&
		    !e->att_error) {
			gatt_server_set_mtu(g->server, e->conn, e->mtu);
			self->dirty = true;
		}
		struct gatt_pending *p = gatt_actor_collect(g, e);
		if (p && gatt_cio_done(g, p, e)) {
			gatt_actor_pending_release(p); /* the cache's own hash read */
			self->dirty = true;
		} else if (p && gatt_sr_on_done(self, p, e)) {
			self->dirty = true; /* smp secures the link, or answered */
		} else if (p) {
			gatt_main_answer(self, p, e);
			gatt_actor_pending_release(p);
			self->dirty = true; /* one request fewer in progress */
		}
	}
	gatt_actor_reset_outboxes(g);
	gatt_smp_flush(&self->smp);
	if (self->dirty)
		save_snapshot(self);
	/* Provider questions that failed on the way get their Unlikely Error. */
	if (gatt_providers_drain(&g->providers, g->server, &g->sout) > 0)
		gatt_main_flush(self);
	/* The cache's hash reads, and the discoveries that waited for them. */
	else if (gatt_cio_release(g, &self->cio, gatt_main_now_ms()))
		gatt_main_flush(self);
}

/* smp: a link is to a bonded peer (gatt_smp.h). */
static void on_smp_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			 void *arg)
{
	struct gatt_main *self = arg;
	if (gatt_sr_on_smp_event(self, env))
		return;
	if (gatt_smp_on_event(&self->smp, env->smp_event))
		self->dirty = true;
	gatt_main_flush(self);
}

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct gatt_main *self = arg;
	if (gatt_sr_on_result(self, env->result))
		return;
	if (!gatt_smp_on_result(&self->smp, env->result))
		HLOG_DEBUG(a, "a Result from %s that answers nothing of ours", source);
}

/* ---- the client cache (gatt_cache_io.c) ------------------------------------------------ */

static void cio_answer(void *arg, struct gatt_pending *p, const struct gatt_client_event *done)
{
	gatt_main_answer(arg, p, done);
}

static void cio_fail(void *arg, const char *asker, uint64_t request_id, int err, const char *what)
{
	gatt_main_local_error(arg, asker, request_id, err, what);
}

/* The peer's address keys the cache of its database. */
static void cache_connected(struct gatt_main *self, uint16_t h, const Hive__Connected *c)
{
	uint8_t addr[7];
	bool known = c && c->peer && c->peer->bdaddr.len == 6;
	if (known) {
		addr[0] = (uint8_t)c->peer->type;
		memcpy(addr + 1, c->peer->bdaddr.data, 6);
	}
	gatt_cache_connected(&self->g.cache, h, known ? addr : NULL);
}

/* ---- input ---------------------------------------------------------------------------------- */

static void on_pdu(struct hive_actor *a, const char *source, const Hive__Envelope *env, void *arg)
{
	struct gatt_main *self = arg;
	const Hive__ChannelPdu *cp = env->pdu;
	if (cp->cid != ATT_CID || cp->handle > 0x0eff) {
		HLOG_WARN(a, "channel PDU from %s on cid 0x%04x handle 0x%04x ignored: gatt serves "
			     "cid 0x0004", source, cp->cid, cp->handle);
		return;
	}
	HLOG_DEBUG(a, "<<< %s conn=0x%04x len=%zu",
		   cp->payload.len ? att_opcode_name(cp->payload.data[0]) : "att_empty", cp->handle,
		   cp->payload.len);
	bool known = gatt_actor_conn(&self->g, (uint16_t)cp->handle) != NULL;
	int rc = gatt_actor_on_att(&self->g, (uint16_t)cp->handle, cp->payload.data,
				   cp->payload.len, gatt_main_now_ms());
	if (!known)
		self->dirty = true;
	if (rc < 0)
		HLOG_DEBUG(a, "ATT PDU on conn 0x%04x not taken: %s", cp->handle, strerror(-rc));
	gatt_main_flush(self);
}

static void on_link(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	struct gatt_main *self = arg;
	const Hive__LinkEvent *le = env->link;
	uint16_t h = (uint16_t)le->handle;
	int rc = 0;
	switch (le->kind_case) {
	case HIVE__LINK_EVENT__KIND_CONNECTED:
		cache_connected(self, h, le->connected);
		rc = gatt_actor_connected(&self->g, h);
		if (rc == -EEXIST) {
			/* Our snapshot or a PDU knew it first. */
			rc = 0;
		}
		gatt_smp_link_up(&self->smp, h, le->connected->peer);
		break;
	case HIVE__LINK_EVENT__KIND_DISCONNECTED:
		gatt_flow_conn_down(&self->flow, h, flow_done, self);
		rc = gatt_actor_disconnected(&self->g, h);
		gatt_sr_conn_down(self, h);
		break;
	case HIVE__LINK_EVENT__KIND_ENCRYPTION_CHANGED:
		rc = gatt_actor_encryption(&self->g, h,
					   le->encryption_changed->enabled &&
						   !le->encryption_changed->status,
					   (uint8_t)le->encryption_changed->key_size);
		break;
	case HIVE__LINK_EVENT__KIND_MTU_CHANGED:
		rc = gatt_actor_set_mtu(&self->g, h, (uint16_t)le->mtu_changed->mtu);
		break;
	default:
		return;
	}
	HLOG_DEBUG(a, "link event %d on conn 0x%04x from %s: %s", le->kind_case, h, source,
		   rc < 0 ? strerror(-rc) : "ok");
	self->dirty = true;
	gatt_main_flush(self);
}

/* l2cap: the ATT channel of a link is busy, or drained. */
static void on_l2cap_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			   void *arg)
{
	struct gatt_main *self = arg;
	const Hive__L2capEvent *ev = env->l2cap_event;
	if (ev->kind_case != HIVE__L2CAP_EVENT__KIND_FIXED_BUSY ||
	    ev->fixed_busy->cid != ATT_CID || ev->fixed_busy->handle > 0x0eff)
		return;
	const Hive__L2capFixedBusy *b = ev->fixed_busy;
	HLOG_DEBUG(a, "conn=0x%04x %s (%u frames wait in %s)", b->handle,
		   b->busy ? "busy" : "drained", b->queued, source);
	gatt_flow_set_busy(&self->flow, (uint16_t)b->handle, b->busy);
	if (!b->busy)
		release_waiting(self);
}

static void on_tick(struct hive_actor *a, void *arg)
{
	struct gatt_main *self = arg;
	gatt_actor_tick(&self->g, gatt_main_now_ms());
	gatt_pio_tick(a, &self->g, gatt_main_now_ms());
	gatt_sr_tick(self, gatt_main_now_ms());
	gatt_main_flush(self);
}

/* The broker could not deliver something of ours: a provider question
 * fails at once (the peer gets Unlikely Error); the rest is logged. */
static void on_undeliverable(struct hive_actor *a, const char *source,
			     const Hive__Envelope *env, void *arg)
{
	struct gatt_main *self = arg;
	const Hive__Undeliverable *u = env->undeliverable;
	if (gatt_pio_undeliverable(a, &self->g, u))
		gatt_main_flush(self);
	else
		HLOG_WARN(a, "message seq=%llu to %s was not delivered: %s",
			  (unsigned long long)u->seq, u->destination, u->reason);
}

int main(int argc, char **argv)
{
	struct gatt_main *self = calloc(1, sizeof *self);
	if (!self)
		return 1;
	hive_signals_install();
	int rc = hive_actor_from_args(&self->a, argc, argv, "gatt", NULL);
	if (rc < 0) {
		free(self);
		return 1;
	}
	const char *db = hive_config(self->a, "db");
	const char *name = hive_config(self->a, "name");
	gatt_flow_init(&self->flow);
	self->token = -1;
	self->cio = (struct gatt_cio_shell){ .answer = cio_answer, .fail = cio_fail, .arg = self };
	self->l2cap = hive_config(self->a, "l2cap");
	if (!self->l2cap)
		self->l2cap = "l2cap";
	const char *smp = hive_config(self->a, "smp");
	gatt_smp_init(&self->smp, self->a, smp ? smp : "smp", &self->g);
	char err[512] = "";
	if (gatt_actor_init(&self->g, db, name, err, sizeof err) < 0) {
		HLOG_ERROR(self->a, "%s", err);
		hive_actor_destroy(&self->a);
		free(self);
		return 1;
	}
	const char *pto = hive_config(self->a, "provider_timeout_ms");
	if (pto) {
		char *end;
		unsigned long ms = strtoul(pto, &end, 10);
		if (*end || !ms || ms >= 30000) {
			HLOG_ERROR(self->a, "provider_timeout_ms=%s: give milliseconds, 1..29999 (under "
				   "the peer's 30 s ATT timeout)", pto);
			gatt_actor_fini(&self->g);
			hive_actor_destroy(&self->a);
			free(self);
			return 1;
		}
		self->g.providers.timeout_ms = (uint32_t)ms;
	}
	const char *srs = hive_config(self->a, "security_retry");
	self->security_retry = GATT_SECRETRY_BOND;
	if (srs) {
		if ((srs[0] != '0' && srs[0] != '1' && srs[0] != '2') || srs[1]) {
			HLOG_ERROR(self->a, "security_retry=%s: give 0 (off), 1 (encrypt with a bond, "
				   "pair when the request says secure) or 2 (pair also without a "
				   "bond)", srs);
			gatt_actor_fini(&self->g);
			hive_actor_destroy(&self->a);
			free(self);
			return 1;
		}
		self->security_retry = (unsigned)(srs[0] - '0');
	}
	size_t snap_len = 0;
	const uint8_t *snap = hive_actor_snapshot(self->a, &snap_len);
	if (snap && snap_len) {
		rc = gatt_actor_restore(&self->g, snap, snap_len);
		HLOG_INFO(self->a, "resumed from the snapshot: %s",
			  rc < 0 ? "malformed, partly restored" : "ok");
		/* The procedures of our predecessor died with it: tell their
		 * askers, who would otherwise wait forever. */
		for (int i = 0; i < GATT_ACTOR_MAX_PENDING; i++) {
			struct gatt_pending *p = &self->g.pending[i];
			if (!p->orphan)
				continue;
			gatt_main_local_error(self, p->asker, p->request_id, -EIO,
				"gatt restarted during the request; its outcome is unknown");
			gatt_actor_pending_release(p);
			self->dirty = true;
		}
		gatt_main_flush(self);
	}
	HLOG_INFO(self->a, "serving %zu attributes (%s), ATT to %s", gatt_db_count(self->g.db),
		  db ? db : "GAP and GATT only", self->l2cap);
	hive_on(self->a, HIVE__ENVELOPE__BODY_PDU, on_pdu, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_LINK, on_link, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_L2CAP_EVENT, on_l2cap_event, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_REQUEST, gatt_main_on_request, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_SMP_EVENT, on_smp_event, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_RESULT, on_result, self);
	hive_timer_start(self->a, TICK_MS, TICK_MS, on_tick, self);
	hive_actor_ready(self->a);
	gatt_smp_sync(&self->smp); /* the bonds of links we resumed */
	rc = hive_run(self->a);
	gatt_flow_fini(&self->flow);
	gatt_actor_fini(&self->g);
	hive_actor_destroy(&self->a);
	free(self);
	return rc < 0;
}
