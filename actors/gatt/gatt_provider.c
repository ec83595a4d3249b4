/* App value providers (see gatt_provider.h): the server's side (requests
 * held while an app answers, re-run with the app's value) and the actor's
 * registry of providers and questions in flight. */
#include "gatt_provider.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gatt_server_int.h"

#define GATT_FETCH_MAX 8 /* provided values one request may need */

enum prov_kind { PROV_READ = 1, PROV_WRITE, PROV_EXEC };

struct gatt_fetched {
	uint16_t handle;
	uint16_t len;
};

/* Per bearer, allocated when an app-provided value is first touched. */
struct gatt_prov_state {
	bool waiting;
	enum prov_kind kind;
	uint8_t opcode;
	uint32_t token;
	uint16_t handle;
	uint16_t req_len;
	uint8_t req[ATT_MAX_MTU]; /* the request held, re-run on the answer */
	size_t exec_from;         /* Execute Write: the queue entry to resume at */
	uint16_t n_fetched;
	struct gatt_fetched fetched[GATT_FETCH_MAX];
	uint8_t fetch_buf[GATT_FETCH_MAX][ATT_MAX_VALUE_LEN];
	uint16_t wlen;
	uint8_t wbuf[ATT_MAX_VALUE_LEN]; /* the value handed to the app */
};

static struct gatt_prov_state *prov_of(struct gatt_conn *c)
{
	if (!c->prov)
		c->prov = calloc(1, sizeof *c->prov);
	return c->prov;
}

void gatt_provider_free(struct gatt_conn *c)
{
	free(c->prov);
	c->prov = NULL;
}

bool gatt_provider_waiting(const struct gatt_conn *c)
{
	return c->prov && c->prov->waiting;
}

void gatt_provider_done(struct gatt_conn *c)
{
	if (c->prov && !c->prov->waiting) {
		c->prov->n_fetched = 0;
		c->prov->exec_from = 0;
	}
}

size_t gatt_provider_exec_from(const struct gatt_conn *c)
{
	return c->prov ? c->prov->exec_from : 0;
}

void gatt_provider_exec_at(struct gatt_conn *c, size_t next)
{
	if (c->prov)
		c->prov->exec_from = next;
}

static const struct gatt_fetched *fetched(const struct gatt_prov_state *p, uint16_t handle,
					  const uint8_t **value)
{
	for (uint16_t i = 0; p && i < p->n_fetched; i++)
		if (p->fetched[i].handle == handle) {
			*value = p->fetch_buf[i];
			return &p->fetched[i];
		}
	return NULL;
}

bool gatt_provider_unfetched(const struct att_ctx *x, const struct gatt_attr *a)
{
	const uint8_t *v;
	return a->provided && !fetched(x->c->prov, a->handle, &v);
}

const uint8_t *gatt_provider_value(struct att_ctx *x, const struct gatt_attr *a, size_t *len)
{
	const uint8_t *v;
	const struct gatt_fetched *f = fetched(x->c->prov, a->handle, &v);
	if (f) {
		*len = f->len;
		return v;
	}
	if (!x->need_read)
		x->need_read = a->handle;
	*len = 0;
	return x->tmp;
}

uint8_t gatt_provider_write(struct att_ctx *x, const struct gatt_attr *a, const uint8_t *v,
			    size_t len)
{
	struct gatt_prov_state *p = prov_of(x->c);
	x->err_handle = a->handle;
	if (!p)
		return ATT_ECODE_INSUFFICIENT_RESOURCES;
	if (len > sizeof p->wbuf)
		return ATT_ECODE_INVALID_ATTRIBUTE_VALUE_LENGTH;
	if (len)
		memcpy(p->wbuf, v, len);
	p->wlen = (uint16_t)len;
	x->need_write = true;
	x->need_handle = a->handle;
	x->need_value = p->wbuf;
	x->need_len = len;
	return 0;
}

static void emit_ask(struct att_outbox *out, enum gatt_event_type type, uint16_t conn,
		     uint16_t handle, uint16_t offset, uint32_t token, const uint8_t *data,
		     size_t len, bool no_response)
{
	/* Room was checked by the dispatcher. */
	if (out->n_events < ATT_OUTBOX_MAX_EVENTS)
		out->events[out->n_events++] = (struct gatt_event){
			.type = type, .conn = conn, .handle = handle, .value = offset,
			.token = token, .no_response = no_response, .data = data,
			.len = (uint16_t)len };
}

bool gatt_provider_defer(struct att_ctx *x, uint8_t opcode, enum att_kind kind, uint8_t *rc)
{
	struct gatt_conn *c = x->c;
	if (kind == ATT_CMD && x->need_write) {
		emit_ask(x->out, GATT_EV_PROVIDER_WRITE, c->conn, x->need_handle, 0, 0,
			 x->need_value, x->need_len, true);
		return false;
	}
	struct gatt_prov_state *p = prov_of(c);
	if (kind != ATT_REQ)
		return false;
	if (!p) {
		*rc = ATT_ECODE_INSUFFICIENT_RESOURCES;
		return false;
	}
	uint16_t offset = 0;
	if (x->need_read) {
		if (p->n_fetched >= GATT_FETCH_MAX) {
			x->err_handle = x->need_read;
			*rc = ATT_ECODE_INSUFFICIENT_RESOURCES;
			return false;
		}
		p->kind = PROV_READ;
		p->handle = x->need_read;
		if (opcode == ATT_READ_BLOB_REQ && x->raw_len >= 5)
			offset = (uint16_t)(x->raw[3] | x->raw[4] << 8);
	} else {
		p->kind = opcode == ATT_EXECUTE_WRITE_REQ ? PROV_EXEC : PROV_WRITE;
		p->handle = x->need_handle;
	}
	if (x->raw != p->req)
		memcpy(p->req, x->raw, x->raw_len);
	p->req_len = (uint16_t)x->raw_len;
	p->opcode = opcode;
	if (++x->s->next_token == 0)
		x->s->next_token = 1;
	p->token = x->s->next_token;
	p->waiting = true;
	if (p->kind == PROV_READ)
		emit_ask(x->out, GATT_EV_PROVIDER_READ, c->conn, p->handle, offset, p->token, NULL,
			 0, false);
	else
		emit_ask(x->out, GATT_EV_PROVIDER_WRITE, c->conn, p->handle, 0, p->token,
			 x->need_value, x->need_len, false);
	return true;
}

/* ---- the server's API ----------------------------------------------------------- */

int gatt_server_set_provided(struct gatt_server *s, uint16_t handle, bool provided)
{
	struct gatt_attr *a = gatt_db_get(s->db, handle);
	if (!a)
		return -ENOENT;
	bool fixed = att_uuid_is(&a->type, GATT_PRIMARY_SERVICE_UUID) ||
		     att_uuid_is(&a->type, GATT_SECONDARY_SERVICE_UUID) ||
		     att_uuid_is(&a->type, GATT_INCLUDE_UUID) ||
		     att_uuid_is(&a->type, GATT_CHARACTERISTIC_UUID) ||
		     att_uuid_is(&a->type, GATT_CHAR_EXT_PROPS_UUID) ||
		     att_uuid_is(&a->type, GATT_SERVICE_CHANGED_UUID) ||
		     att_uuid_is(&a->type, GATT_DB_HASH_UUID);
	if (a->role != GATT_ROLE_PLAIN || fixed)
		return -EINVAL;
	a->provided = provided;
	return 0;
}

static void error_rsp(struct att_outbox *out, uint16_t conn, uint16_t mtu, uint8_t opcode,
		      uint16_t handle, uint8_t code)
{
	struct att_out_pdu *o = &out->pdus[out->n_pdus];
	struct wr w = wr_init(o->pdu, mtu);
	wr_u8(&w, ATT_ERROR_RSP);
	wr_u8(&w, opcode);
	wr_le16(&w, handle);
	wr_u8(&w, code);
	o->conn = conn;
	o->len = (uint16_t)w.len;
	out->n_pdus++;
}

int gatt_server_provider_answer(struct gatt_server *s, uint16_t conn, uint32_t token,
				uint8_t att_error, const uint8_t *value, size_t len,
				struct att_outbox *out)
{
	struct gatt_conn *c = gatt_server_conn(s, conn);
	struct gatt_prov_state *p = c ? c->prov : NULL;
	if (!p || !p->waiting || p->token != token || !token)
		return -ENOENT;
	if (out->n_pdus >= ATT_OUTBOX_MAX_PDUS ||
	    out->n_events + c->prep_n + 1u > ATT_OUTBOX_MAX_EVENTS)
		return -ENOBUFS;
	p->waiting = false;
	if (att_error) {
		error_rsp(out, c->conn, c->mtu, p->opcode, p->handle, att_error);
		if (p->kind == PROV_EXEC) {
			c->prep_n = 0;
			c->prep_used = 0;
		}
		gatt_provider_done(c);
		return 0;
	}
	switch (p->kind) {
	case PROV_READ: {
		size_t n = len < ATT_MAX_VALUE_LEN ? len : ATT_MAX_VALUE_LEN;
		p->fetched[p->n_fetched] = (struct gatt_fetched){ .handle = p->handle,
								  .len = (uint16_t)n };
		if (n)
			memcpy(p->fetch_buf[p->n_fetched], value, n);
		p->n_fetched++;
		return gatt_server_dispatch(s, c, p->req, p->req_len, out);
	}
	case PROV_EXEC:
		return gatt_server_dispatch(s, c, p->req, p->req_len, out);
	case PROV_WRITE:
	default: {
		struct att_out_pdu *o = &out->pdus[out->n_pdus++];
		o->conn = c->conn;
		o->pdu[0] = ATT_WRITE_RSP;
		o->len = 1;
		gatt_provider_done(c);
		return 0;
	}
	}
}

bool gatt_server_provider_pending(const struct gatt_server *s, uint16_t conn, uint8_t *opcode,
				  uint16_t *handle, uint32_t *token)
{
	const struct gatt_conn *c = gatt_server_conn(s, conn);
	if (!c || !gatt_provider_waiting(c))
		return false;
	*opcode = c->prov->opcode;
	*handle = c->prov->handle;
	*token = c->prov->token;
	return true;
}

int gatt_server_provider_abandoned(struct gatt_server *s, uint16_t conn, uint8_t opcode,
				   uint16_t handle, struct att_outbox *out)
{
	struct gatt_conn *c = gatt_server_conn(s, conn);
	if (!c)
		return -ENOENT;
	if (att_opcode_kind(opcode) != ATT_REQ)
		return -EINVAL;
	if (out->n_pdus >= ATT_OUTBOX_MAX_PDUS)
		return -ENOBUFS;
	error_rsp(out, c->conn, c->mtu, opcode, handle, ATT_ECODE_UNLIKELY_ERROR);
	return 0;
}

/* ---- the actor's registry ------------------------------------------------------------ */

void gatt_providers_init(struct gatt_providers *p, uint32_t timeout_ms)
{
	memset(p, 0, sizeof *p);
	p->timeout_ms = timeout_ms ? timeout_ms : GATT_PROVIDER_TIMEOUT_MS;
}

static struct gatt_provider_reg *reg_of(const struct gatt_providers *p, uint16_t handle)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->reg[i].handle == handle)
			return (struct gatt_provider_reg *)&p->reg[i];
	return NULL;
}

int gatt_providers_register(struct gatt_providers *p, struct gatt_server *s,
			    struct gatt_db *db, const char *name, uint16_t handle, bool release)
{
	struct gatt_provider_reg *r = reg_of(p, handle);
	if (strlen(name) > GATT_PROVIDER_NAME_MAX)
		return -EINVAL;
	if (release) {
		if (!r)
			return -ENOENT;
		if (strcmp(r->name, name) != 0)
			return -EPERM;
		gatt_server_set_provided(s, handle, false);
		*r = p->reg[--p->n];
		return 0;
	}
	if (!gatt_db_get(db, handle))
		return -ENOENT;
	if (!r && p->n >= GATT_PROVIDERS_MAX)
		return -ENOSPC;
	int rc = gatt_server_set_provided(s, handle, true);
	if (rc < 0)
		return rc;
	if (!r)
		r = &p->reg[p->n++];
	r->handle = handle;
	memcpy(r->name, name, strlen(name) + 1);
	return 0;
}

const char *gatt_providers_name(const struct gatt_providers *p, uint16_t handle)
{
	const struct gatt_provider_reg *r = reg_of(p, handle);
	return r ? r->name : NULL;
}

int gatt_providers_asked(struct gatt_providers *p, uint16_t conn, uint32_t token,
			 const char *name, uint64_t seq, uint64_t now_ms)
{
	for (int i = 0; i < GATT_PROVIDER_ASKS_MAX; i++) {
		struct gatt_provider_ask *a = &p->ask[i];
		if (a->used)
			continue;
		*a = (struct gatt_provider_ask){ .used = true, .conn = conn, .token = token,
						 .deadline = now_ms + p->timeout_ms, .seq = seq };
		size_t n = strlen(name);
		if (n > GATT_PROVIDER_NAME_MAX)
			n = GATT_PROVIDER_NAME_MAX;
		memcpy(a->name, name, n);
		return 0;
	}
	return -ENOSPC;
}

static struct gatt_provider_ask *ask_of(struct gatt_providers *p, uint32_t token)
{
	for (int i = 0; i < GATT_PROVIDER_ASKS_MAX; i++)
		if (p->ask[i].used && p->ask[i].token == token)
			return &p->ask[i];
	return NULL;
}

int gatt_providers_take(struct gatt_providers *p, uint32_t token, const char *name,
			uint16_t *conn)
{
	struct gatt_provider_ask *a = ask_of(p, token);
	if (!a)
		return -ENOENT;
	if (name && strcmp(a->name, name) != 0)
		return -EPERM;
	*conn = a->conn;
	a->used = false;
	return 0;
}

bool gatt_providers_expired(struct gatt_providers *p, uint64_t now_ms, uint32_t *token,
			    uint16_t *conn)
{
	for (int i = 0; i < GATT_PROVIDER_ASKS_MAX; i++) {
		struct gatt_provider_ask *a = &p->ask[i];
		if (a->used && now_ms >= a->deadline) {
			*token = a->token;
			*conn = a->conn;
			a->used = false;
			return true;
		}
	}
	return false;
}

bool gatt_providers_undeliverable(struct gatt_providers *p, uint64_t seq, uint32_t *token,
				  uint16_t *conn)
{
	for (int i = 0; i < GATT_PROVIDER_ASKS_MAX; i++) {
		struct gatt_provider_ask *a = &p->ask[i];
		if (a->used && a->seq == seq) {
			*token = a->token;
			*conn = a->conn;
			a->used = false;
			return true;
		}
	}
	return false;
}

void gatt_providers_drop_range(struct gatt_providers *p, uint16_t start, uint16_t end)
{
	for (unsigned i = 0; i < p->n;) {
		if (p->reg[i].handle >= start && p->reg[i].handle <= end)
			p->reg[i] = p->reg[--p->n];
		else
			i++;
	}
}

void gatt_providers_forget_conn(struct gatt_providers *p, uint16_t conn)
{
	for (int i = 0; i < GATT_PROVIDER_ASKS_MAX; i++)
		if (p->ask[i].conn == conn)
			p->ask[i].used = false;
}

void gatt_providers_fail(struct gatt_providers *p, uint16_t conn, uint32_t token)
{
	uint16_t c;
	gatt_providers_take(p, token, NULL, &c);
	if (p->n_failed < GATT_PROVIDER_ASKS_MAX)
		p->failed[p->n_failed++] = (typeof(p->failed[0])){ .conn = conn, .token = token };
}

int gatt_providers_drain(struct gatt_providers *p, struct gatt_server *s,
			 struct att_outbox *out)
{
	int made = 0;
	unsigned i = 0;
	for (; i < p->n_failed; i++) {
		unsigned before = out->n_pdus + out->n_events;
		int rc = gatt_server_provider_answer(s, p->failed[i].conn, p->failed[i].token,
						     ATT_ECODE_UNLIKELY_ERROR, NULL, 0, out);
		if (rc == -ENOBUFS)
			break; /* the rest on the next drain */
		made += (int)(out->n_pdus + out->n_events - before);
	}
	memmove(p->failed, p->failed + i, (p->n_failed - i) * sizeof p->failed[0]);
	p->n_failed -= i;
	return made;
}
