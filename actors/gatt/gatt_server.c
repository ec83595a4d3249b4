/* The GATT server: bearers, the dispatch table, writes, queued writes,
 * notifications and indications (see gatt_server.h). Discovery and reads
 * are in gatt_server_read.c. */
#include "gatt_server_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void att_outbox_reset(struct att_outbox *out)
{
	out->n_pdus = 0;
	out->n_events = 0;
}

static void emit(struct att_outbox *out, enum gatt_event_type type, uint16_t conn,
		 uint16_t handle, uint16_t value)
{
	/* Room was checked by the dispatcher or the caller. */
	if (out->n_events < ATT_OUTBOX_MAX_EVENTS)
		out->events[out->n_events++] =
			(struct gatt_event){ .type = type, .conn = conn, .handle = handle,
					     .value = value };
}

/* ---- life cycle --------------------------------------------------------------- */

int gatt_server_new(struct gatt_server **out, struct gatt_db *db,
		    const struct gatt_server_config *cfg)
{
	*out = NULL;
	struct gatt_server_config c = cfg ? *cfg : (struct gatt_server_config){ 0 };
	if (!c.mtu)
		c.mtu = ATT_MAX_MTU;
	if (!c.prepare_entries)
		c.prepare_entries = GATT_PREPARE_QUEUE_DEFAULT;
	if (!c.prepare_bytes)
		c.prepare_bytes = GATT_PREPARE_BYTES_DEFAULT;
	/* One execute emits at most one event per entry. */
	if (!db || !gatt_db_is_finished(db) || c.mtu < ATT_DEFAULT_LE_MTU || c.mtu > ATT_MAX_MTU ||
	    c.prepare_entries >= ATT_OUTBOX_MAX_EVENTS)
		return -EINVAL;
	struct gatt_server *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->db = db;
	s->cfg = c;
	*out = s;
	return 0;
}

static void conn_free(struct gatt_conn *c)
{
	gatt_provider_free(c);
	free(c->cccd);
	free(c->prep);
	free(c->prep_buf);
	memset(c, 0, sizeof *c);
}

void gatt_server_destroy(struct gatt_server **self_p)
{
	if (!self_p || !*self_p)
		return;
	struct gatt_server *s = *self_p;
	for (int i = 0; i < GATT_SERVER_MAX_CONN; i++)
		conn_free(&s->conns[i]);
	free(s);
	*self_p = NULL;
}

static struct gatt_conn *find_conn(const struct gatt_server *s, uint16_t conn)
{
	for (int i = 0; i < GATT_SERVER_MAX_CONN; i++)
		if (s->conns[i].used && s->conns[i].conn == conn)
			return (struct gatt_conn *)&s->conns[i];
	return NULL;
}

struct gatt_conn *gatt_server_conn(const struct gatt_server *s, uint16_t conn)
{
	return find_conn(s, conn);
}

int gatt_server_connect(struct gatt_server *s, uint16_t conn)
{
	if (find_conn(s, conn))
		return -EEXIST;
	struct gatt_conn *c = NULL;
	for (int i = 0; i < GATT_SERVER_MAX_CONN && !c; i++)
		if (!s->conns[i].used)
			c = &s->conns[i];
	if (!c)
		return -ENOSPC;
	uint16_t n = gatt_db_cccd_count(s->db);
	c->cccd = calloc(n ? n : 1, sizeof *c->cccd);
	c->prep = calloc(s->cfg.prepare_entries, sizeof *c->prep);
	c->prep_buf = malloc(s->cfg.prepare_bytes);
	if (!c->cccd || !c->prep || !c->prep_buf) {
		conn_free(c);
		return -ENOMEM;
	}
	c->used = true;
	c->conn = conn;
	c->mtu = ATT_DEFAULT_LE_MTU;
	return 0;
}

int gatt_server_disconnect(struct gatt_server *s, uint16_t conn)
{
	struct gatt_conn *c = find_conn(s, conn);
	if (!c)
		return -ENOENT;
	conn_free(c);
	return 0;
}

int gatt_server_set_security(struct gatt_server *s, uint16_t conn,
			     const struct gatt_security *sec)
{
	struct gatt_conn *c = find_conn(s, conn);
	if (!c)
		return -ENOENT;
	c->sec = *sec;
	return 0;
}

uint16_t gatt_server_mtu(const struct gatt_server *s, uint16_t conn)
{
	const struct gatt_conn *c = find_conn(s, conn);
	return c ? c->mtu : 0;
}

int gatt_server_set_mtu(struct gatt_server *s, uint16_t conn, uint16_t mtu)
{
	struct gatt_conn *c = find_conn(s, conn);
	if (!c)
		return -ENOENT;
	if (mtu < ATT_DEFAULT_LE_MTU || mtu > ATT_MAX_MTU)
		return -EINVAL;
	c->mtu = mtu;
	return 0;
}

int gatt_server_set_cccd(struct gatt_server *s, uint16_t conn, uint16_t value_handle,
			 uint16_t value)
{
	struct gatt_conn *c = find_conn(s, conn);
	uint16_t h = gatt_db_cccd_of(s->db, value_handle);
	const struct gatt_attr *a = h ? gatt_db_at(s->db, h - 1u) : NULL;
	if (!c || !a)
		return -ENOENT;
	c->cccd[a->cccd_index] = value;
	return 0;
}

uint16_t gatt_server_cccd(const struct gatt_server *s, uint16_t conn, uint16_t value_handle)
{
	const struct gatt_conn *c = find_conn(s, conn);
	uint16_t h = gatt_db_cccd_of(s->db, value_handle);
	const struct gatt_attr *a = h ? gatt_db_at(s->db, h - 1u) : NULL;
	return c && a ? c->cccd[a->cccd_index] : 0;
}

/* ---- indications ------------------------------------------------------------------ */

static void write_hv(struct wr *w, uint8_t opcode, uint16_t handle, const uint8_t *v, size_t len)
{
	wr_u8(w, opcode);
	wr_le16(w, handle);
	wr_bytes(w, v, len < wr_room(w) ? len : wr_room(w));
}

static struct att_out_pdu *slot(struct att_outbox *out, uint16_t conn)
{
	if (out->n_pdus >= ATT_OUTBOX_MAX_PDUS)
		return NULL;
	struct att_out_pdu *o = &out->pdus[out->n_pdus];
	o->conn = conn;
	o->len = 0;
	return o;
}

/* Sends the next queued indication of c into w, if any. */
static void next_indication(struct gatt_conn *c, struct wr *w)
{
	if (c->ind_pending || !c->ind_n)
		return;
	struct gatt_ind *i = &c->indq[c->ind_head];
	c->ind_head = (c->ind_head + 1) % GATT_IND_QUEUE_MAX;
	c->ind_n--;
	write_hv(w, ATT_HANDLE_VALUE_IND, i->handle, i->value, i->len);
	c->ind_pending = true;
	c->ind_handle = i->handle;
}

/* Queues an indication (the value cut to MTU-3) and sends it when none is
 * outstanding. Room was checked by the caller. */
static void indicate(struct gatt_conn *c, uint16_t handle, const uint8_t *v, size_t len,
		     struct att_outbox *out)
{
	struct gatt_ind *i = &c->indq[(c->ind_head + c->ind_n) % GATT_IND_QUEUE_MAX];
	size_t max = c->mtu - 3u;
	i->handle = handle;
	i->len = (uint16_t)(len < max ? len : max);
	memcpy(i->value, v, i->len);
	c->ind_n++;
	if (c->ind_pending)
		return;
	struct att_out_pdu *o = slot(out, c->conn);
	struct wr w = wr_init(o->pdu, c->mtu);
	next_indication(c, &w);
	o->len = (uint16_t)w.len;
	out->n_pdus++;
}

static int can_send(const struct gatt_conn *c, bool ind, const struct att_outbox *out,
		    unsigned *slots)
{
	if (c->dead)
		return -ENOTCONN;
	if (ind && c->ind_n >= GATT_IND_QUEUE_MAX)
		return -ENOBUFS;
	if (!ind || !c->ind_pending)
		(*slots)++;
	return out->n_pdus + *slots <= ATT_OUTBOX_MAX_PDUS ? 0 : -ENOBUFS;
}

int gatt_server_notify(struct gatt_server *s, uint16_t conn, uint16_t handle,
		       const uint8_t *value, size_t len, bool ind, struct att_outbox *out)
{
	struct gatt_conn *c = find_conn(s, conn);
	unsigned slots = 0;
	if (!gatt_db_get(s->db, handle))
		return -ENOENT;
	if (!c)
		return -ENOTCONN;
	int rc = can_send(c, ind, out, &slots);
	if (rc < 0)
		return rc;
	if (ind) {
		indicate(c, handle, value, len, out);
	} else {
		struct att_out_pdu *o = slot(out, conn);
		struct wr w = wr_init(o->pdu, c->mtu);
		write_hv(&w, ATT_HANDLE_VALUE_NTF, handle, value, len);
		o->len = (uint16_t)w.len;
		out->n_pdus++;
	}
	return 0;
}

/* Sends value to every subscriber of handle; all or nothing. */
static int to_subscribers(struct gatt_server *s, uint16_t handle, const uint8_t *value,
			  size_t len, struct att_outbox *out, bool check_only)
{
	unsigned slots = 0;
	int reached = 0;
	for (int i = 0; i < GATT_SERVER_MAX_CONN; i++) {
		struct gatt_conn *c = &s->conns[i];
		uint16_t ccc = c->used ? gatt_server_cccd(s, c->conn, handle) : 0;
		if (!ccc || c->dead)
			continue;
		for (int bit = 0; bit < 2; bit++) {
			bool ind = bit == 1;
			if (!(ccc & (ind ? GATT_CCC_INDICATE : GATT_CCC_NOTIFY)))
				continue;
			if (check_only) {
				int rc = can_send(c, ind, out, &slots);
				if (rc < 0)
					return rc;
			} else {
				gatt_server_notify(s, c->conn, handle, value, len, ind, out);
			}
		}
		reached++;
	}
	return reached;
}

int gatt_server_set_value(struct gatt_server *s, uint16_t handle, const uint8_t *value,
			  size_t len, struct att_outbox *out)
{
	struct gatt_attr *a = gatt_db_get(s->db, handle);
	if (!a)
		return -ENOENT;
	if (a->role != GATT_ROLE_PLAIN)
		return -EINVAL;
	if (len > a->max_len)
		return -EMSGSIZE;
	int rc = to_subscribers(s, handle, value, len, out, true);
	if (rc >= 0)
		rc = gatt_db_set_value(s->db, handle, value, len);
	return rc < 0 ? rc : to_subscribers(s, handle, value, len, out, false);
}

int gatt_server_service_changed(struct gatt_server *s, uint16_t start, uint16_t end,
				struct att_outbox *out)
{
	uint16_t h = gatt_db_service_changed_handle(s->db);
	uint8_t v[4] = { (uint8_t)start, (uint8_t)(start >> 8), (uint8_t)end,
			 (uint8_t)(end >> 8) };
	return gatt_server_set_value(s, h, v, sizeof v, out);
}

void gatt_server_indication_timeout(struct gatt_server *s, uint16_t conn)
{
	struct gatt_conn *c = find_conn(s, conn);
	if (c && c->ind_pending) {
		c->dead = true;
		c->ind_pending = false;
		c->ind_n = 0;
	}
}

bool gatt_server_indication_pending(const struct gatt_server *s, uint16_t conn)
{
	const struct gatt_conn *c = find_conn(s, conn);
	return c && c->ind_pending;
}

/* ---- writes --------------------------------------------------------------------- */

/* Checks then stores a whole new value of a as this bearer writes it. */
static uint8_t store(struct att_ctx *x, struct gatt_attr *a, const uint8_t *v, size_t len)
{
	struct gatt_conn *c = x->c;
	x->err_handle = a->handle;
	if (len > a->max_len || (a->fixed_len && len != a->len))
		return ATT_ECODE_INVALID_ATTRIBUTE_VALUE_LENGTH;
	if (a->role == GATT_ROLE_CCCD) {
		uint16_t ccc = (uint16_t)(v[0] | v[1] << 8);
		uint16_t allowed = (a->props & GATT_PROP_NOTIFY ? GATT_CCC_NOTIFY : 0) |
				   (a->props & GATT_PROP_INDICATE ? GATT_CCC_INDICATE : 0);
		if (ccc & ~allowed)
			return ATT_ECODE_VALUE_NOT_ALLOWED;
		c->cccd[a->cccd_index] = ccc;
		emit(x->out, GATT_EV_CCCD, c->conn, a->char_value, ccc);
		return 0;
	}
	if (a->role == GATT_ROLE_CLIENT_FEATURES) {
		/* A client may set bits, never clear them (Vol 3 Part G 7.2). */
		if (len < 1)
			return ATT_ECODE_INVALID_ATTRIBUTE_VALUE_LENGTH;
		if (c->client_features & ~v[0])
			return ATT_ECODE_VALUE_NOT_ALLOWED;
		c->client_features = v[0] & 0x07;
		emit(x->out, GATT_EV_WRITE, c->conn, a->handle, 0);
		return 0;
	}
	if (a->provided)
		return gatt_provider_write(x, a, v, len);
	gatt_db_set_value(x->s->db, a->handle, v, len);
	emit(x->out, GATT_EV_WRITE, c->conn, a->handle, 0);
	return 0;
}

static uint8_t writable(struct att_ctx *x, uint16_t handle, struct gatt_attr **out)
{
	struct gatt_attr *a = gatt_db_get(x->s->db, handle);
	x->err_handle = handle;
	if (!a)
		return ATT_ECODE_INVALID_HANDLE;
	*out = a;
	return gatt_check_access(x->c, a, true);
}

static uint8_t on_att_write_request(struct att_ctx *x, const struct att_pdu *p)
{
	struct gatt_attr *a;
	uint8_t rc = writable(x, p->hv.handle, &a);
	if (!rc)
		rc = store(x, a, p->hv.value, p->hv.len);
	if (!rc)
		wr_u8(&x->w, ATT_WRITE_RSP);
	return rc;
}

static uint8_t on_att_write_command(struct att_ctx *x, const struct att_pdu *p)
{
	struct gatt_attr *a;
	if (!writable(x, p->hv.handle, &a))
		store(x, a, p->hv.value, p->hv.len);
	return 0; /* commands are never answered */
}

static uint8_t on_att_signed_write_command(struct att_ctx *x, const struct att_pdu *p)
{
	struct gatt_attr *a;
	const struct gatt_server_config *cfg = &x->s->cfg;
	/* Signed writes are for unencrypted links (Vol 3 Part C 10.4.2). */
	if (x->c->sec.encrypted || !cfg->verify_signed || writable(x, p->signed_write.handle, &a))
		return 0;
	if (!(a->props & GATT_PROP_AUTHENTICATED_SIGNED_WRITES))
		return 0;
	if (cfg->verify_signed(cfg->verify_arg, x->c->conn, x->raw, x->raw_len))
		store(x, a, p->signed_write.value, p->signed_write.len);
	return 0;
}

static uint8_t on_att_prepare_write_request(struct att_ctx *x, const struct att_pdu *p)
{
	struct gatt_conn *c = x->c;
	struct gatt_attr *a;
	uint8_t rc = writable(x, p->prepare.handle, &a);
	if (rc)
		return rc;
	if (c->prep_n >= x->s->cfg.prepare_entries ||
	    p->prepare.len > (size_t)x->s->cfg.prepare_bytes - c->prep_used)
		return ATT_ECODE_PREPARE_QUEUE_FULL;
	c->prep[c->prep_n++] = (struct gatt_prep){ .handle = p->prepare.handle,
						   .offset = p->prepare.offset,
						   .len = (uint16_t)p->prepare.len,
						   .at = c->prep_used };
	memcpy(c->prep_buf + c->prep_used, p->prepare.value, p->prepare.len);
	c->prep_used = (uint16_t)(c->prep_used + p->prepare.len);
	wr_u8(&x->w, ATT_PREPARE_WRITE_RSP);
	wr_le16(&x->w, p->prepare.handle);
	wr_le16(&x->w, p->prepare.offset);
	wr_bytes(&x->w, p->prepare.value, p->prepare.len);
	return 0;
}

/* Applies the queued parts of one handle, starting at entry *i, onto a copy
 * of its value; on success *i is past them and buf/len hold the result. */
static uint8_t assemble(struct att_ctx *x, size_t *i, uint8_t *buf, size_t *len)
{
	struct gatt_conn *c = x->c;
	uint16_t h = c->prep[*i].handle;
	struct gatt_attr *a = gatt_db_get(x->s->db, h);
	/* A provided value rewritten from offset 0 is not fetched first. */
	const uint8_t *v = NULL;
	*len = 0;
	if (!a->provided || c->prep[*i].offset)
		v = gatt_attr_value(x, a, len);
	if (*len)
		memcpy(buf, v, *len);
	x->err_handle = h;
	for (; *i < c->prep_n && c->prep[*i].handle == h; (*i)++) {
		const struct gatt_prep *e = &c->prep[*i];
		if (e->offset > *len)
			return ATT_ECODE_INVALID_OFFSET;
		if ((size_t)e->offset + e->len > a->max_len)
			return ATT_ECODE_INVALID_ATTRIBUTE_VALUE_LENGTH;
		memcpy(buf + e->offset, c->prep_buf + e->at, e->len);
		*len = (size_t)e->offset + e->len;
	}
	return 0;
}

static uint8_t on_att_execute_write_request(struct att_ctx *x, const struct att_pdu *p)
{
	struct gatt_conn *c = x->c;
	uint8_t rc = 0;
	uint8_t buf[ATT_MAX_VALUE_LEN];
	size_t len, i = 0;
	if (p->execute.flags > ATT_EXEC_WRITE_WRITE)
		return ATT_ECODE_INVALID_PDU;
	/* Resuming after an app took a provided part: checked already. */
	size_t from = gatt_provider_exec_from(c);
	/* Check every part before writing any (all or nothing, 3.4.6.3;
	 * an app that refuses its part comes after the parts before it). */
	while (!from && p->execute.flags == ATT_EXEC_WRITE_WRITE && !rc && i < c->prep_n) {
		rc = assemble(x, &i, buf, &len);
		if (!rc && gatt_db_get(x->s->db, x->err_handle)->fixed_len &&
		    len != gatt_db_get(x->s->db, x->err_handle)->len)
			rc = ATT_ECODE_INVALID_ATTRIBUTE_VALUE_LENGTH;
	}
	if (x->need_read)
		return 0; /* an app's value is needed first: asked, then re-run */
	for (i = from; p->execute.flags == ATT_EXEC_WRITE_WRITE && !rc && i < c->prep_n;) {
		assemble(x, &i, buf, &len);
		rc = store(x, gatt_db_get(x->s->db, x->err_handle), buf, len);
		if (!rc && x->need_write) {
			gatt_provider_exec_at(c, i); /* the queue waits for the app */
			return 0;
		}
	}
	gatt_provider_exec_at(c, 0);
	c->prep_n = 0;
	c->prep_used = 0;
	if (!rc)
		wr_u8(&x->w, ATT_EXECUTE_WRITE_RSP);
	return rc;
}

/* ---- MTU and confirmations -------------------------------------------------------- */

static uint8_t on_att_exchange_mtu_request(struct att_ctx *x, const struct att_pdu *p)
{
	struct gatt_conn *c = x->c;
	uint16_t client = p->mtu < ATT_DEFAULT_LE_MTU ? ATT_DEFAULT_LE_MTU : p->mtu;
	wr_u8(&x->w, ATT_EXCHANGE_MTU_RSP);
	wr_le16(&x->w, x->s->cfg.mtu);
	/* Sent once per connection (3.4.2.1); a repeat does not change it. */
	if (!c->mtu_exchanged) {
		c->mtu_exchanged = true;
		c->mtu = client < x->s->cfg.mtu ? client : x->s->cfg.mtu;
		emit(x->out, GATT_EV_MTU, c->conn, 0, c->mtu);
	}
	return 0;
}

static uint8_t on_att_handle_value_confirmation(struct att_ctx *x, const struct att_pdu *p)
{
	struct gatt_conn *c = x->c;
	if (!c->ind_pending)
		return 0; /* not asked for: ignored */
	c->ind_pending = false;
	gatt_robust_confirmed(x->s, c, c->ind_handle);
	emit(x->out, GATT_EV_CONFIRMED, c->conn, c->ind_handle, 0);
	next_indication(c, &x->w);
	return 0;
}

/* ---- dispatch ----------------------------------------------------------------------- */

struct att_handler {
	uint8_t opcode;
	enum att_kind kind;
	uint8_t min_len; /* whole PDU, opcode included */
	const char *name;
	att_handler_fn fn;
};

/* Sorted by opcode. */
static const struct att_handler handlers[] = {
	{ ATT_EXCHANGE_MTU_REQ, ATT_REQ, 3, "att_exchange_mtu_request", on_att_exchange_mtu_request },
	{ ATT_FIND_INFORMATION_REQ, ATT_REQ, 5, "att_find_information_request",
	  on_att_find_information_request },
	{ ATT_FIND_BY_TYPE_VALUE_REQ, ATT_REQ, 7, "att_find_by_type_value_request",
	  on_att_find_by_type_value_request },
	{ ATT_READ_BY_TYPE_REQ, ATT_REQ, 7, "att_read_by_type_request", on_att_read_by_type_request },
	{ ATT_READ_REQ, ATT_REQ, 3, "att_read_request", on_att_read_request },
	{ ATT_READ_BLOB_REQ, ATT_REQ, 5, "att_read_blob_request", on_att_read_blob_request },
	{ ATT_READ_MULTIPLE_REQ, ATT_REQ, 5, "att_read_multiple_request",
	  on_att_read_multiple_request },
	{ ATT_READ_BY_GROUP_TYPE_REQ, ATT_REQ, 7, "att_read_by_group_type_request",
	  on_att_read_by_group_type_request },
	{ ATT_WRITE_REQ, ATT_REQ, 3, "att_write_request", on_att_write_request },
	{ ATT_PREPARE_WRITE_REQ, ATT_REQ, 5, "att_prepare_write_request",
	  on_att_prepare_write_request },
	{ ATT_EXECUTE_WRITE_REQ, ATT_REQ, 2, "att_execute_write_request",
	  on_att_execute_write_request },
	{ ATT_HANDLE_VALUE_CFM, ATT_CFM, 1, "att_handle_value_confirmation",
	  on_att_handle_value_confirmation },
	{ ATT_READ_MULTIPLE_VARIABLE_REQ, ATT_REQ, 5, "att_read_multiple_variable_request",
	  on_att_read_multiple_variable_request },
	{ ATT_WRITE_CMD, ATT_CMD, 3, "att_write_command", on_att_write_command },
	{ ATT_SIGNED_WRITE_CMD, ATT_CMD, 15, "att_signed_write_command",
	  on_att_signed_write_command },
};

static const struct att_handler *handler_of(uint8_t opcode)
{
	size_t lo = 0, hi = sizeof handlers / sizeof handlers[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (handlers[mid].opcode == opcode)
			return &handlers[mid];
		if (handlers[mid].opcode < opcode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *gatt_server_pdu_name(uint8_t opcode)
{
	const struct att_handler *h = handler_of(opcode);
	return h ? h->name : att_opcode_name(opcode);
}

int gatt_server_on_pdu(struct gatt_server *s, uint16_t conn, const uint8_t *pdu, size_t len,
		       struct att_outbox *out)
{
	struct gatt_conn *c = find_conn(s, conn);
	if (!c)
		return -ENOTCONN;
	if (!len || c->dead)
		return 0;
	enum att_kind kind = att_opcode_kind(pdu[0]);
	if (kind == ATT_REQ && gatt_provider_waiting(c))
		return 0; /* one request at a time (Vol 3 Part F 3.3.2): dropped */
	if (c->change_unaware && gatt_robust_gate(s, c, pdu, len, out))
		return 0; /* ignored, or answered Database Out Of Sync */
	return gatt_server_dispatch(s, c, pdu, len, out);
}

int gatt_server_dispatch(struct gatt_server *s, struct gatt_conn *c, const uint8_t *pdu,
			 size_t len, struct att_outbox *out)
{
	uint16_t conn = c->conn;
	uint8_t op = pdu[0];
	const struct att_handler *h = handler_of(op);
	enum att_kind kind = h ? h->kind : att_opcode_kind(op);
	if (!h && kind != ATT_REQ && kind != ATT_CMD)
		return 1; /* a response, notification or indication: the client's */
	if (kind == ATT_CMD && !h)
		return 0; /* unknown command: dropped (3.4.7) */
	/* Room for the answer and for one event per queued write. */
	if (out->n_pdus >= ATT_OUTBOX_MAX_PDUS ||
	    out->n_events + c->prep_n + 1u > ATT_OUTBOX_MAX_EVENTS)
		return -ENOBUFS;
	struct att_out_pdu *o = slot(out, conn);
	struct att_ctx x = { .s = s, .c = c, .out = out, .w = wr_init(o->pdu, c->mtu),
			     .raw = pdu, .raw_len = len };
	struct att_pdu p;
	uint8_t rc;
	if (!h)
		rc = ATT_ECODE_REQUEST_NOT_SUPPORTED;
	else if (len < h->min_len || len > c->mtu || att_decode(pdu, len, &p) < 0)
		rc = ATT_ECODE_INVALID_PDU;
	else
		rc = h->fn(&x, &p);
	if ((x.need_read || x.need_write) && gatt_provider_defer(&x, op, kind, &rc))
		return 0; /* an app answers first */
	if (kind == ATT_REQ)
		gatt_provider_done(c);
	if (rc && kind == ATT_REQ) {
		x.w = wr_init(o->pdu, c->mtu);
		wr_u8(&x.w, ATT_ERROR_RSP);
		wr_u8(&x.w, op);
		wr_le16(&x.w, rc == ATT_ECODE_INVALID_PDU || !h ? 0 : x.err_handle);
		wr_u8(&x.w, rc);
	}
	if (x.w.len && wr_ok(&x.w)) {
		o->len = (uint16_t)x.w.len;
		out->n_pdus++;
	}
	return 0;
}
