/* hive-gatt: the gatt actor's I/O shell. The only file of the gatt actor
 * that touches ZeroMQ, timers and protobuf-c.
 *
 *   hive-gatt [runtime options] [--set db=PATH] [--set name=NAME]
 *             [--set l2cap=NAME] [--set provider_timeout_ms=N]
 *
 * db: the attribute database as JSON (gatt_db_json.c); without it only the
 * GAP (device name NAME, default "hive") and GATT services. l2cap: the actor
 * that carries our ATT PDUs (default "l2cap"). provider_timeout_ms: how long
 * an app that provides a value (gatt_provider.h) has to answer before the
 * peer gets Unlikely Error (default 5000). The provider messages are in
 * gatt_provider_io.c.
 *
 * In: ChannelPdu on CID 4 (from l2cap), LinkEvent (from host), Request.gatt
 * (from apps). Out: ChannelPdu (handle, CID 4) to l2cap, Result.gatt to the
 * asker, GattEvent to the apps that sent subscribe_events. Bonds with smp
 * (gatt_smp.c): SmpEvent gatt_bond/gatt_unbond in, Request smp gatt_record,
 * sign_counters and gatt_sync out (--set smp=NAME, default "smp"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatt_actor.h"
#include "gatt_cache_io.h"
#include "gatt_provider_io.h"
#include "gatt_flow.h"
#include "gatt_smp.h"
#include "hive.h"

#define ATT_CID 0x0004
#define TICK_MS 1000
#define SNAPSHOT_MAX 8192

struct gatt_main {
	struct hive_actor *a;
	struct gatt_actor g;
	const char *l2cap;
	bool dirty; /* the snapshot must be saved again */
	uint64_t requests_sent; /* by the client, when the snapshot was last saved */
	uint64_t send_failures;
	/* PDUs waiting while l2cap says the link is busy, and the token of the
	 * notify request being handled (-1: none). */
	struct gatt_flow flow;
	struct gatt_smp smp; /* bonds: CCCDs and signing keys from and to smp */
	int token;
	struct gatt_cio_shell cio; /* how the client cache answers apps */
	uint8_t snap[SNAPSHOT_MAX];
};

static uint64_t now_ms(void)
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

static void send_result(struct gatt_main *self, const char *dest, uint64_t id, int32_t status,
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

static void send_local_error(struct gatt_main *self, const char *dest, uint64_t id, int err,
			     const char *what)
{
	char msg[256];
	snprintf(msg, sizeof msg, "%s: %s", what, strerror(-err));
	send_result(self, dest, id, err, HIVE__RESULT__DOMAIN__LOCAL, msg, NULL);
}

static ProtobufCBinaryData uuid_bytes(const struct att_uuid *u)
{
	return (ProtobufCBinaryData){ .len = u->len == 16 ? 16 : 2, .data = (uint8_t *)u->b };
}

static int uuid_from(const ProtobufCBinaryData *b, struct att_uuid *u)
{
	if (b->len != 2 && b->len != 16)
		return -EINVAL;
	memset(u, 0, sizeof *u);
	u->len = (uint8_t)b->len;
	memcpy(u->b, b->data, b->len);
	return 0;
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
		gatt_pio_ask(self->a, &self->g, e, now_ms());
		self->dirty = true;
		return;
	}
	publish(self, &ge);
}

/* ---- client results ------------------------------------------------------------------------- */

static void answer(struct gatt_main *self, struct gatt_pending *p,
		   const struct gatt_client_event *done)
{
	Hive__GattResult gr = HIVE__GATT_RESULT__INIT;
	Hive__GattDone gd = HIVE__GATT_DONE__INIT;
	Hive__GattMtu gm = HIVE__GATT_MTU__INIT;
	Hive__GattValue gv = HIVE__GATT_VALUE__INIT;
	Hive__GattDiscovery disc = HIVE__GATT_DISCOVERY__INIT;
	size_t n = p->n ? p->n : 1;
	Hive__GattService *sv = calloc(n, sizeof *sv), **svp = calloc(n, sizeof *svp);
	Hive__GattInclude *in = calloc(n, sizeof *in), **inp = calloc(n, sizeof *inp);
	Hive__GattCharacteristic *ch = calloc(n, sizeof *ch), **chp = calloc(n, sizeof *chp);
	Hive__GattDescriptor *de = calloc(n, sizeof *de), **dep = calloc(n, sizeof *dep);
	Hive__GattValue *va = calloc(n, sizeof *va), **vap = calloc(n, sizeof *vap);
	gr.conn = p->conn;
	gr.from_cache = p->from_cache;
	if (!sv || !svp || !in || !inp || !ch || !chp || !de || !dep || !va || !vap) {
		send_local_error(self, p->asker, p->request_id, -ENOMEM, "building the answer");
		goto out;
	}
	switch (p->type) {
	case GATT_PROC_EXCHANGE_MTU:
		gm.mtu = done->mtu;
		gr.value_case = HIVE__GATT_RESULT__VALUE_MTU;
		gr.mtu = &gm;
		break;
	case GATT_PROC_READ:
	case GATT_PROC_READ_LONG:
	case GATT_PROC_READ_MULTIPLE:
		gv.handle = done->handle;
		gv.value.data = (uint8_t *)done->value;
		gv.value.len = done->value ? done->len : 0;
		gr.value_case = HIVE__GATT_RESULT__VALUE_READ;
		gr.read = &gv;
		break;
	case GATT_PROC_WRITE:
	case GATT_PROC_WRITE_LONG:
	case GATT_PROC_WRITE_COMMAND:
	case GATT_PROC_SIGNED_WRITE:
	case GATT_PROC_SUBSCRIBE:
	case GATT_PROC_UNSUBSCRIBE:
		gd.cccd = done->value_handle;
		gr.value_case = HIVE__GATT_RESULT__VALUE_DONE;
		gr.done = &gd;
		break;
	default:
		for (size_t i = 0; i < p->n; i++) {
			const struct gatt_client_event *e = &p->items[i];
			switch (e->type) {
			case GATT_CEV_SERVICE:
				hive__gatt_service__init(&sv[disc.n_services]);
				sv[disc.n_services].handle = e->handle;
				sv[disc.n_services].end = e->end;
				sv[disc.n_services].uuid = uuid_bytes(&e->uuid);
				svp[disc.n_services] = &sv[disc.n_services];
				disc.n_services++;
				break;
			case GATT_CEV_INCLUDE:
				hive__gatt_include__init(&in[disc.n_includes]);
				in[disc.n_includes].handle = e->handle;
				in[disc.n_includes].start = e->start;
				in[disc.n_includes].end = e->end;
				in[disc.n_includes].uuid = uuid_bytes(&e->uuid);
				inp[disc.n_includes] = &in[disc.n_includes];
				disc.n_includes++;
				break;
			case GATT_CEV_CHARACTERISTIC:
				hive__gatt_characteristic__init(&ch[disc.n_characteristics]);
				ch[disc.n_characteristics].handle = e->handle;
				ch[disc.n_characteristics].value_handle = e->value_handle;
				ch[disc.n_characteristics].properties = e->props;
				ch[disc.n_characteristics].uuid = uuid_bytes(&e->uuid);
				chp[disc.n_characteristics] = &ch[disc.n_characteristics];
				disc.n_characteristics++;
				break;
			case GATT_CEV_DESCRIPTOR:
				hive__gatt_descriptor__init(&de[disc.n_descriptors]);
				de[disc.n_descriptors].handle = e->handle;
				de[disc.n_descriptors].uuid = uuid_bytes(&e->uuid);
				dep[disc.n_descriptors] = &de[disc.n_descriptors];
				disc.n_descriptors++;
				break;
			case GATT_CEV_VALUE:
				hive__gatt_value__init(&va[disc.n_values]);
				va[disc.n_values].handle = e->handle;
				va[disc.n_values].value.data = (uint8_t *)e->value;
				va[disc.n_values].value.len = e->value ? e->len : 0;
				vap[disc.n_values] = &va[disc.n_values];
				disc.n_values++;
				break;
			default:
				break;
			}
		}
		disc.services = svp;
		disc.includes = inp;
		disc.characteristics = chp;
		disc.descriptors = dep;
		disc.values = vap;
		gr.value_case = HIVE__GATT_RESULT__VALUE_DISCOVERY;
		gr.discovery = &disc;
	}
	if (done->err < 0)
		send_result(self, p->asker, p->request_id, done->err, HIVE__RESULT__DOMAIN__LOCAL,
			    done->error, &gr);
	else if (done->att_error)
		send_result(self, p->asker, p->request_id, done->att_error, HIVE__RESULT__DOMAIN__ATT,
			    att_error_name(done->att_error), &gr);
	else
		send_result(self, p->asker, p->request_id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL, &gr);
out:
	free(sv), free(svp), free(in), free(inp), free(ch), free(chp);
	free(de), free(dep), free(va), free(vap);
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
static void send_notify_result(struct gatt_main *self, int token)
{
	const struct gatt_flow_token *t = &self->flow.t[token];
	Hive__GattResult gr = HIVE__GATT_RESULT__INIT;
	Hive__GattDone gd = HIVE__GATT_DONE__INIT;
	gr.value_case = HIVE__GATT_RESULT__VALUE_DONE;
	gr.done = &gd;
	gr.conn = t->conn;
	gd.count = t->count;
	send_result(self, t->asker, t->id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL, &gr);
	gatt_flow_token_free(&self->flow, token);
}

static void flow_done(int token, void *arg)
{
	send_notify_result(arg, token);
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
			send_notify_result(self, token);
	}
}

static void save_snapshot(struct gatt_main *self)
{
	int n = gatt_actor_snapshot(&self->g, self->snap, sizeof self->snap);
	if (n > 0)
		hive_snapshot_save(self->a, self->snap, (size_t)n);
	self->dirty = false;
}

static void flush(struct gatt_main *self)
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
		} else if (p) {
			answer(self, p, e);
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
		flush(self);
	/* The cache's hash reads, and the discoveries that waited for them. */
	else if (gatt_cio_release(g, &self->cio, now_ms()))
		flush(self);
}

/* smp: a link is to a bonded peer (gatt_smp.h). */
static void on_smp_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			 void *arg)
{
	struct gatt_main *self = arg;
	if (gatt_smp_on_event(&self->smp, env->smp_event))
		self->dirty = true;
	flush(self);
}

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct gatt_main *self = arg;
	if (!gatt_smp_on_result(&self->smp, env->result))
		HLOG_DEBUG(a, "a Result from %s that answers nothing of ours", source);
}

/* ---- the client cache (gatt_cache_io.c) ------------------------------------------------ */

static void cio_answer(void *arg, struct gatt_pending *p, const struct gatt_client_event *done)
{
	answer(arg, p, done);
}

static void cio_fail(void *arg, const char *asker, uint64_t request_id, int err, const char *what)
{
	send_local_error(arg, asker, request_id, err, what);
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
				   cp->payload.len, now_ms());
	if (!known)
		self->dirty = true;
	if (rc < 0)
		HLOG_DEBUG(a, "ATT PDU on conn 0x%04x not taken: %s", cp->handle, strerror(-rc));
	flush(self);
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
	flush(self);
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

static void on_db(struct gatt_main *self, const char *source, uint64_t id)
{
	size_t n = gatt_db_count(self->g.db);
	Hive__GattAttribute *at = calloc(n ? n : 1, sizeof *at);
	Hive__GattAttribute **atp = calloc(n ? n : 1, sizeof *atp);
	if (!at || !atp) {
		free(at);
		free(atp);
		send_local_error(self, source, id, -ENOMEM, "db");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct gatt_attr *a = gatt_db_at(self->g.db, i);
		hive__gatt_attribute__init(&at[i]);
		at[i].handle = a->handle;
		at[i].type = uuid_bytes(&a->type);
		at[i].value.data = a->value;
		at[i].value.len = a->len;
		at[i].permissions = a->perm;
		at[i].properties = a->props;
		at[i].end_group = a->end_group;
		at[i].value_handle = a->char_value;
		atp[i] = &at[i];
	}
	Hive__GattDb db = HIVE__GATT_DB__INIT;
	db.n_attributes = n;
	db.attributes = atp;
	db.hash.data = (uint8_t *)gatt_db_hash(self->g.db);
	db.hash.len = 16;
	Hive__GattResult gr = HIVE__GATT_RESULT__INIT;
	gr.value_case = HIVE__GATT_RESULT__VALUE_DB;
	gr.db = &db;
	send_result(self, source, id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL, &gr);
	free(at);
	free(atp);
}

/* Fills a client procedure from a request; -EINVAL for bad parameters. */
static int client_req(const Hive__GattRequest *r, struct gatt_client_req *q, uint16_t *handles)
{
	memset(q, 0, sizeof *q);
	switch (r->op_case) {
	case HIVE__GATT_REQUEST__OP_EXCHANGE_MTU:
		q->type = GATT_PROC_EXCHANGE_MTU;
		q->mtu = (uint16_t)(r->exchange_mtu->mtu > 0xffff ? 1 : r->exchange_mtu->mtu);
		return 0;
	case HIVE__GATT_REQUEST__OP_DISCOVER_SERVICES:
		q->type = GATT_PROC_DISCOVER_SERVICES;
		if (r->discover_services->uuid.len) {
			q->type = GATT_PROC_DISCOVER_SERVICES_BY_UUID;
			return uuid_from(&r->discover_services->uuid, &q->uuid);
		}
		return 0;
	case HIVE__GATT_REQUEST__OP_DISCOVER_CHARACTERISTICS:
		q->type = GATT_PROC_DISCOVER_CHARACTERISTICS;
		q->start = (uint16_t)r->discover_characteristics->start;
		q->end = (uint16_t)r->discover_characteristics->end;
		q->has_uuid = r->discover_characteristics->uuid.len > 0;
		return q->has_uuid ? uuid_from(&r->discover_characteristics->uuid, &q->uuid) : 0;
	case HIVE__GATT_REQUEST__OP_DISCOVER_DESCRIPTORS:
		q->type = GATT_PROC_DISCOVER_DESCRIPTORS;
		q->start = (uint16_t)r->discover_descriptors->start;
		q->end = (uint16_t)r->discover_descriptors->end;
		return 0;
	case HIVE__GATT_REQUEST__OP_DISCOVER_INCLUDED:
		q->type = GATT_PROC_FIND_INCLUDED;
		q->start = (uint16_t)r->discover_included->start;
		q->end = (uint16_t)r->discover_included->end;
		return 0;
	case HIVE__GATT_REQUEST__OP_READ:
		q->type = r->read->long_read ? GATT_PROC_READ_LONG : GATT_PROC_READ;
		q->handle = (uint16_t)r->read->handle;
		q->offset = (uint16_t)r->read->offset;
		return r->read->handle > 0xffff || r->read->offset > ATT_MAX_VALUE_LEN ? -EINVAL : 0;
	case HIVE__GATT_REQUEST__OP_READ_BY_UUID:
		q->type = GATT_PROC_READ_BY_UUID;
		q->start = (uint16_t)r->read_by_uuid->start;
		q->end = (uint16_t)r->read_by_uuid->end;
		return uuid_from(&r->read_by_uuid->uuid, &q->uuid);
	case HIVE__GATT_REQUEST__OP_READ_MULTIPLE:
		if (r->read_multiple->n_handles > GATT_CLIENT_READ_MULTIPLE_MAX)
			return -EINVAL;
		q->type = GATT_PROC_READ_MULTIPLE;
		for (size_t i = 0; i < r->read_multiple->n_handles; i++)
			handles[i] = (uint16_t)r->read_multiple->handles[i];
		q->handles = handles;
		q->n_handles = r->read_multiple->n_handles;
		return 0;
	case HIVE__GATT_REQUEST__OP_WRITE: {
		const Hive__GattWrite *w = r->write;
		q->type = w->signed_write ? GATT_PROC_SIGNED_WRITE
			: w->no_response  ? GATT_PROC_WRITE_COMMAND
			: w->long_write   ? GATT_PROC_WRITE_LONG
					  : GATT_PROC_WRITE;
		q->handle = (uint16_t)w->handle;
		q->offset = (uint16_t)w->offset;
		q->value = w->value.data;
		q->len = w->value.len;
		return w->handle > 0xffff || w->offset > ATT_MAX_VALUE_LEN ? -EINVAL : 0;
	}
	case HIVE__GATT_REQUEST__OP_SUBSCRIBE:
	case HIVE__GATT_REQUEST__OP_UNSUBSCRIBE: {
		const Hive__GattSubscribe *s = r->op_case == HIVE__GATT_REQUEST__OP_SUBSCRIBE
						       ? r->subscribe
						       : r->unsubscribe;
		q->type = r->op_case == HIVE__GATT_REQUEST__OP_SUBSCRIBE ? GATT_PROC_SUBSCRIBE
									 : GATT_PROC_UNSUBSCRIBE;
		q->handle = (uint16_t)s->handle;
		q->indicate = s->indicate;
		q->cccd = (uint16_t)s->cccd;
		return s->handle > 0xffff || s->cccd > 0xffff ? -EINVAL : 0;
	}
	default:
		return -ENOTSUP;
	}
}

static void on_gatt_request(struct gatt_main *self, const char *source, uint64_t id,
			    const Hive__GattRequest *r)
{
	struct gatt_actor *g = &self->g;
	Hive__GattResult gr = HIVE__GATT_RESULT__INIT;
	Hive__GattDone gd = HIVE__GATT_DONE__INIT;
	gr.value_case = HIVE__GATT_RESULT__VALUE_DONE;
	gr.done = &gd;
	uint16_t conn = 0;
	int rc;
	switch (r->op_case) {
	case HIVE__GATT_REQUEST__OP_SET_VALUE:
		rc = r->set_value->handle > 0xffff ? -EINVAL
			: gatt_server_set_value(g->server, (uint16_t)r->set_value->handle,
						r->set_value->value.data, r->set_value->value.len,
						&g->sout);
		break;
	case HIVE__GATT_REQUEST__OP_NOTIFY:
		rc = r->notify->all_subscribers ? 0 : gatt_actor_pick_conn(g, r->conn, &conn);
		if (rc == 0 && gatt_flow_refuse(&self->flow, r->notify->all_subscribers ? 0xffff
											: conn)) {
			send_local_error(self, source, id, -EAGAIN,
					 "notify: the link is congested (the peer or the controller "
					 "does not keep up); wait for the Results of earlier "
					 "notifications, then send again");
			return;
		}
		if (rc == 0)
			rc = r->notify->handle > 0xffff ? -EINVAL
				: gatt_actor_notify(g, conn, r->notify->all_subscribers,
						    (uint16_t)r->notify->handle,
						    r->notify->value.data, r->notify->value.len,
						    r->notify->indicate);
		break;
	case HIVE__GATT_REQUEST__OP_DB:
		on_db(self, source, id);
		return;
	case HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS:
		rc = gatt_actor_subscribe_events(g, source);
		self->dirty = true;
		break;
	case HIVE__GATT_REQUEST__OP_DB_CHANGE: {
		const char *what = "";
		Hive__GattDbChanged dc = HIVE__GATT_DB_CHANGED__INIT;
		rc = gatt_cio_db_change(g, r->db_change, &dc, &what);
		if (rc < 0) {
			send_local_error(self, source, id, rc, what);
		} else {
			gr.value_case = HIVE__GATT_RESULT__VALUE_DB_CHANGED;
			gr.db_changed = &dc;
			send_result(self, source, id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL, &gr);
		}
		flush(self);
		return;
	}
	case HIVE__GATT_REQUEST__OP_PROVIDER_REGISTER:
	case HIVE__GATT_REQUEST__OP_PROVIDER_ANSWER: {
		const char *what = "";
		rc = gatt_pio_request(g, source, r, &what);
		self->dirty = true;
		if (rc < 0) {
			send_local_error(self, source, id, rc, what);
			flush(self);
			return;
		}
		break;
	}
	default: {
		struct gatt_client_req q;
		uint16_t handles[GATT_CLIENT_READ_MULTIPLE_MAX];
		rc = client_req(r, &q, handles);
		if (rc == 0)
			rc = gatt_actor_pick_conn(g, r->conn, &conn);
		/* On an encrypted link a Write Command replaces the signed
		 * one (Vol 3 Part G 4.9.2). */
		const struct gatt_actor_conn *ac = gatt_actor_conn(g, conn);
		if (rc == 0 && q.type == GATT_PROC_SIGNED_WRITE && ac && ac->sec.encrypted)
			q.type = GATT_PROC_WRITE_COMMAND;
		if (rc == 0 && gatt_cio_request(g, &self->cio, source, id, conn, &q, now_ms())) {
			flush(self); /* answered from the cache, or waiting for its check */
			return;
		}
		if (rc == 0)
			rc = gatt_actor_client_request(g, source, id, conn, &q, now_ms());
		if (rc == 0) {
			self->dirty = true; /* a successor must know of it */
			flush(self); /* the answer comes when the procedure ends */
			return;
		}
	}
	}
	if (rc < 0) {
		const char *what = rc == -EINVAL && !r->conn
				   ? "several connections: name one with conn"
			   : rc == -ENOTCONN ? "no such connection"
					     : "gatt request";
		send_local_error(self, source, id, rc, what);
	} else if (r->op_case == HIVE__GATT_REQUEST__OP_NOTIFY ||
		   r->op_case == HIVE__GATT_REQUEST__OP_SET_VALUE) {
		/* The Result goes when its PDUs went to l2cap. */
		self->token = gatt_flow_token_open(&self->flow, source, id, conn, (uint32_t)rc);
		flush(self);
		int token = self->token;
		self->token = -1;
		if (token < 0) {
			gd.count = (uint32_t)rc;
			gr.conn = conn;
			send_result(self, source, id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL, &gr);
		} else if (gatt_flow_token_close(&self->flow, token)) {
			send_notify_result(self, token);
		}
		return;
	} else {
		gd.count = (uint32_t)rc;
		gr.conn = conn;
		send_result(self, source, id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL, &gr);
	}
	flush(self);
}

static void on_request(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		       void *arg)
{
	struct gatt_main *self = arg;
	const Hive__Request *req = env->request;
	if (req->op_case != HIVE__REQUEST__OP_GATT || !req->gatt) {
		send_result(self, source, req->id, -ENOTSUP, HIVE__RESULT__DOMAIN__LOCAL,
			    "gatt serves Request.gatt only", NULL);
		return;
	}
	on_gatt_request(self, source, req->id, req->gatt);
}

static void on_tick(struct hive_actor *a, void *arg)
{
	struct gatt_main *self = arg;
	gatt_actor_tick(&self->g, now_ms());
	gatt_pio_tick(a, &self->g, now_ms());
	flush(self);
}

/* The broker could not deliver something of ours: a provider question
 * fails at once (the peer gets Unlikely Error); the rest is logged. */
static void on_undeliverable(struct hive_actor *a, const char *source,
			     const Hive__Envelope *env, void *arg)
{
	struct gatt_main *self = arg;
	const Hive__Undeliverable *u = env->undeliverable;
	if (gatt_pio_undeliverable(a, &self->g, u))
		flush(self);
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
			send_local_error(self, p->asker, p->request_id, -EIO,
					 "gatt restarted during the request; its outcome is unknown");
			gatt_actor_pending_release(p);
			self->dirty = true;
		}
		flush(self);
	}
	HLOG_INFO(self->a, "serving %zu attributes (%s), ATT to %s", gatt_db_count(self->g.db),
		  db ? db : "GAP and GATT only", self->l2cap);
	hive_on(self->a, HIVE__ENVELOPE__BODY_PDU, on_pdu, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_LINK, on_link, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_L2CAP_EVENT, on_l2cap_event, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_REQUEST, on_request, self);
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
