/* hive-gatt: Request.gatt from apps (the server's values and
 * notifications, the database, events, providers, and the client procedures
 * with their Results). Part of the I/O shell (gatt_main.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatt_main.h"
#include "gatt_provider_io.h"

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

/* ---- client results ------------------------------------------------------------------------- */

void gatt_main_answer(struct gatt_main *self, struct gatt_pending *p,
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
		gatt_main_local_error(self, p->asker, p->request_id, -ENOMEM,
				      "building the answer");
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
		gatt_main_send_result(self, p->asker, p->request_id, done->err,
				      HIVE__RESULT__DOMAIN__LOCAL, done->error, &gr);
	else if (done->att_error)
		gatt_main_send_result(self, p->asker, p->request_id, done->att_error,
				      HIVE__RESULT__DOMAIN__ATT,
				      p->why[0] ? p->why : att_error_name(done->att_error), &gr);
	else
		gatt_main_send_result(self, p->asker, p->request_id, 0, HIVE__RESULT__DOMAIN__LOCAL,
				      NULL, &gr);
out:
	free(sv), free(svp), free(in), free(inp), free(ch), free(chp);
	free(de), free(dep), free(va), free(vap);
}

static void on_db(struct gatt_main *self, const char *source, uint64_t id)
{
	size_t n = gatt_db_count(self->g.db);
	Hive__GattAttribute *at = calloc(n ? n : 1, sizeof *at);
	Hive__GattAttribute **atp = calloc(n ? n : 1, sizeof *atp);
	if (!at || !atp) {
		free(at);
		free(atp);
		gatt_main_local_error(self, source, id, -ENOMEM, "db");
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
	gatt_main_send_result(self, source, id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL, &gr);
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
		if (rc == 0 && gatt_flow_refuse(&self->flow, r->notify->all_subscribers ? GATT_FLOW_ANY
											: conn)) {
			gatt_main_local_error(self, source, id, -EAGAIN,
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
			gatt_main_local_error(self, source, id, rc, what);
		} else {
			gr.value_case = HIVE__GATT_RESULT__VALUE_DB_CHANGED;
			gr.db_changed = &dc;
			gatt_main_send_result(self, source, id, 0, HIVE__RESULT__DOMAIN__LOCAL,
					      NULL, &gr);
		}
		gatt_main_flush(self);
		return;
	}
	case HIVE__GATT_REQUEST__OP_PROVIDER_REGISTER:
	case HIVE__GATT_REQUEST__OP_PROVIDER_ANSWER: {
		const char *what = "";
		rc = gatt_pio_request(g, source, r, &what);
		self->dirty = true;
		if (rc < 0) {
			gatt_main_local_error(self, source, id, rc, what);
			gatt_main_flush(self);
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
		if (rc == 0 &&
		    gatt_cio_request(g, &self->cio, source, id, conn, &q, gatt_main_now_ms())) {
			/* answered from the cache, or waiting for its check */
			gatt_main_flush(self);
			return;
		}
		if (rc == 0)
			rc = gatt_actor_client_request(g, source, id, conn, &q, gatt_main_now_ms());
		struct gatt_pending *p = rc == 0 ? gatt_actor_pending(g, q.id) : NULL;
		if (p)
			p->secure = r->secure; /* the security retry may pair */
		if (rc == 0) {
			self->dirty = true; /* a successor must know of it */
			gatt_main_flush(self); /* the answer comes when the procedure ends */
			return;
		}
	}
	}
	if (rc < 0) {
		const char *what = rc == -EINVAL && !r->conn
				   ? "several connections: name one with conn"
			   : rc == -ENOTCONN ? "no such connection"
					     : "gatt request";
		gatt_main_local_error(self, source, id, rc, what);
	} else if (r->op_case == HIVE__GATT_REQUEST__OP_NOTIFY ||
		   r->op_case == HIVE__GATT_REQUEST__OP_SET_VALUE) {
		/* The Result goes when its PDUs went to l2cap. */
		self->token = gatt_flow_token_open(&self->flow, source, id, conn, (uint32_t)rc);
		gatt_main_flush(self);
		int token = self->token;
		self->token = -1;
		if (token < 0) {
			gd.count = (uint32_t)rc;
			gr.conn = conn;
			gatt_main_send_result(self, source, id, 0, HIVE__RESULT__DOMAIN__LOCAL,
					      NULL, &gr);
		} else if (gatt_flow_token_close(&self->flow, token)) {
			gatt_main_notify_result(self, token);
		}
		return;
	} else {
		gd.count = (uint32_t)rc;
		gr.conn = conn;
		gatt_main_send_result(self, source, id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL, &gr);
	}
	gatt_main_flush(self);
}

void gatt_main_on_request(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg)
{
	struct gatt_main *self = arg;
	const Hive__Request *req = env->request;
	if (req->op_case != HIVE__REQUEST__OP_GATT || !req->gatt) {
		gatt_main_send_result(self, source, req->id, -ENOTSUP, HIVE__RESULT__DOMAIN__LOCAL,
				      "gatt serves Request.gatt only", NULL);
		return;
	}
	on_gatt_request(self, source, req->id, req->gatt);
}
