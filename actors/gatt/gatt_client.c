/* The GATT client: bearers, the procedure queue, response dispatch,
 * notifications and timeouts (see gatt_client.h). What each procedure
 * sends and accepts is in gatt_client_proc.c. */
#include "gatt_client_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void gatt_client_outbox_reset(struct gatt_client_outbox *out)
{
	out->n_pdus = 0;
	out->n_events = 0;
	out->data_len = 0;
}

const char *gatt_proc_name(enum gatt_proc_type t)
{
	switch (t) {
	case GATT_PROC_EXCHANGE_MTU: return "exchange_mtu";
	case GATT_PROC_DISCOVER_SERVICES: return "discover_services";
	case GATT_PROC_DISCOVER_SERVICES_BY_UUID: return "discover_services_by_uuid";
	case GATT_PROC_FIND_INCLUDED: return "find_included";
	case GATT_PROC_DISCOVER_CHARACTERISTICS: return "discover_characteristics";
	case GATT_PROC_DISCOVER_DESCRIPTORS: return "discover_descriptors";
	case GATT_PROC_READ: return "read";
	case GATT_PROC_READ_LONG: return "read_long";
	case GATT_PROC_READ_BY_UUID: return "read_by_uuid";
	case GATT_PROC_READ_MULTIPLE: return "read_multiple";
	case GATT_PROC_WRITE: return "write";
	case GATT_PROC_WRITE_LONG: return "write_long";
	case GATT_PROC_WRITE_COMMAND: return "write_command";
	case GATT_PROC_SIGNED_WRITE: return "signed_write";
	case GATT_PROC_SUBSCRIBE: return "subscribe";
	case GATT_PROC_UNSUBSCRIBE: return "unsubscribe";
	default: return "none";
	}
}

/* ---- life cycle ---------------------------------------------------------------- */

int gatt_client_new(struct gatt_client **out, const struct gatt_client_config *cfg)
{
	*out = NULL;
	struct gatt_client_config c = cfg ? *cfg : (struct gatt_client_config){ 0 };
	if (!c.mtu)
		c.mtu = ATT_MAX_MTU;
	if (!c.timeout_ms)
		c.timeout_ms = GATT_CLIENT_TIMEOUT_MS;
	if (c.mtu < ATT_DEFAULT_LE_MTU || c.mtu > ATT_MAX_MTU)
		return -EINVAL;
	struct gatt_client *cl = calloc(1, sizeof *cl);
	if (!cl)
		return -ENOMEM;
	cl->cfg = c;
	*out = cl;
	return 0;
}

void gatt_client_destroy(struct gatt_client **self_p)
{
	if (!self_p || !*self_p)
		return;
	free(*self_p);
	*self_p = NULL;
}

static struct gatt_client_conn *find_conn(const struct gatt_client *c, uint16_t conn)
{
	for (int i = 0; i < GATT_CLIENT_MAX_CONN; i++)
		if (c->conns[i].used && c->conns[i].conn == conn)
			return (struct gatt_client_conn *)&c->conns[i];
	return NULL;
}

int gatt_client_connect(struct gatt_client *c, uint16_t conn)
{
	if (find_conn(c, conn))
		return -EEXIST;
	for (int i = 0; i < GATT_CLIENT_MAX_CONN; i++) {
		struct gatt_client_conn *k = &c->conns[i];
		if (!k->used) {
			memset(k, 0, sizeof *k);
			k->used = true;
			k->conn = conn;
			k->mtu = ATT_DEFAULT_LE_MTU;
			return 0;
		}
	}
	return -ENOSPC;
}

bool gatt_client_connected(const struct gatt_client *c, uint16_t conn)
{
	return find_conn(c, conn) != NULL;
}

int gatt_client_set_mtu(struct gatt_client *c, uint16_t conn, uint16_t mtu)
{
	struct gatt_client_conn *k = find_conn(c, conn);
	if (!k)
		return -ENOENT;
	if (mtu >= ATT_DEFAULT_LE_MTU && mtu <= ATT_MAX_MTU)
		k->mtu = mtu;
	return 0;
}

uint16_t gatt_client_mtu(const struct gatt_client *c, uint16_t conn)
{
	const struct gatt_client_conn *k = find_conn(c, conn);
	return k ? k->mtu : 0;
}

bool gatt_client_busy(const struct gatt_client *c, uint16_t conn)
{
	return gatt_client_outstanding(c, conn) != 0;
}

uint8_t gatt_client_outstanding(const struct gatt_client *c, uint16_t conn)
{
	const struct gatt_client_conn *k = find_conn(c, conn);
	if (!k || k->dead)
		return 0;
	if (k->stale_op)
		return k->stale_op;
	return k->busy ? k->cur.sent_op : 0;
}

int gatt_client_set_stale(struct gatt_client *c, uint16_t conn, uint8_t op)
{
	struct gatt_client_conn *k = find_conn(c, conn);
	if (!k)
		return -ENOENT;
	if (!op || att_opcode_kind(op) != ATT_REQ)
		return -EINVAL;
	k->stale_op = op;
	k->deadline = 0;
	return 0;
}

uint64_t gatt_client_requests_sent(const struct gatt_client *c)
{
	return c->requests_sent;
}

/* ---- the outbox ------------------------------------------------------------------- */

struct gatt_client_event *cl_emit(struct cl_ctx *x, enum gatt_client_event_type type)
{
	/* Sized for the most one input can produce (see GATT_CLIENT_MAX_EVENTS):
	 * a full response of entries, its DONE, and the queue finishing. */
	if (x->out->n_events >= GATT_CLIENT_MAX_EVENTS)
		return NULL;
	struct gatt_client_event *ev = &x->out->events[x->out->n_events++];
	memset(ev, 0, sizeof *ev);
	ev->type = type;
	ev->conn = x->k->conn;
	if (x->k->busy) {
		ev->proc = x->k->cur.req.type;
		ev->id = x->k->cur.req.id;
	}
	return ev;
}

bool cl_emit_value(struct cl_ctx *x, struct gatt_client_event *ev, const uint8_t *v, size_t n)
{
	struct gatt_client_outbox *out = x->out;
	if (!ev || n > GATT_CLIENT_DATA_MAX - out->data_len)
		return false;
	uint8_t *at = out->data + out->data_len;
	if (n)
		memcpy(at, v, n);
	out->data_len += n;
	ev->value = at;
	ev->len = (uint16_t)n;
	return true;
}

bool cl_send_pdu(struct cl_ctx *x, const struct att_pdu *p)
{
	struct gatt_client_outbox *out = x->out;
	if (out->n_pdus >= GATT_CLIENT_MAX_PDUS)
		return false;
	struct att_out_pdu *o = &out->pdus[out->n_pdus];
	int n = att_encode(p, o->pdu, x->k->mtu);
	if (n <= 0)
		return false;
	o->conn = x->k->conn;
	o->len = (uint16_t)n;
	out->n_pdus++;
	return true;
}

void cl_send_request(struct cl_ctx *x, const struct att_pdu *p)
{
	struct gatt_client_conn *k = x->k;
	if (!cl_send_pdu(x, p)) {
		/* The parameters were checked against the MTU when the
		 * procedure started; this is the outbox being full. */
		cl_finish(x, -ENOBUFS, 0, "the request did not fit the outbox or the MTU", NULL, 0);
		return;
	}
	k->cur.sent_op = p->opcode;
	k->deadline = x->now + x->c->cfg.timeout_ms;
	x->c->requests_sent++;
}

/* Moves the next queued procedure into cur and starts it; repeats while
 * procedures end as they start (commands). */
static void start_next(struct cl_ctx *x)
{
	struct gatt_client_conn *k = x->k;
	while (!k->busy && k->qn && !k->dead && !k->stale_op) {
		k->cur = k->queue[k->qhead];
		k->qhead = (k->qhead + 1) % GATT_CLIENT_QUEUE_MAX;
		k->qn--;
		/* The copied request points into the copied value. */
		k->cur.req.value = k->cur.value;
		k->cur.req.handles = NULL;
		k->busy = true;
		k->acc_len = 0;
		cl_proc_start(x);
	}
}

void cl_finish(struct cl_ctx *x, int err, uint8_t att_error, const char *msg,
	       const uint8_t *value, size_t len)
{
	struct gatt_client_conn *k = x->k;
	struct gatt_client_event *ev = cl_emit(x, GATT_CEV_DONE);
	if (ev) {
		ev->err = err;
		ev->att_error = att_error;
		ev->att_request = att_error ? k->cur.sent_op : 0;
		ev->error = msg;
		ev->handle = k->cur.req.handle;
		ev->mtu = k->mtu;
		if (k->cur.req.type == GATT_PROC_SUBSCRIBE || k->cur.req.type == GATT_PROC_UNSUBSCRIBE)
			ev->value_handle = k->cur.cccd;
		if (value)
			cl_emit_value(x, ev, value, len);
	}
	k->busy = false;
	k->cur.sent_op = 0;
	k->cur.req.type = GATT_PROC_NONE;
	start_next(x);
}

/* ---- requests --------------------------------------------------------------------- */

static int check_req(const struct gatt_client *c, const struct gatt_client_req *r)
{
	switch (r->type) {
	case GATT_PROC_EXCHANGE_MTU:
		return r->mtu && (r->mtu < ATT_DEFAULT_LE_MTU || r->mtu > ATT_MAX_MTU) ? -EINVAL
										       : 0;
	case GATT_PROC_DISCOVER_SERVICES:
		return 0;
	case GATT_PROC_DISCOVER_SERVICES_BY_UUID:
	case GATT_PROC_READ_BY_UUID:
		if (r->uuid.len != 2 && r->uuid.len != 16)
			return -EINVAL;
		break;
	case GATT_PROC_DISCOVER_CHARACTERISTICS:
		if (r->has_uuid && r->uuid.len != 2 && r->uuid.len != 16)
			return -EINVAL;
		break;
	case GATT_PROC_FIND_INCLUDED:
	case GATT_PROC_DISCOVER_DESCRIPTORS:
		break;
	case GATT_PROC_READ:
	case GATT_PROC_READ_LONG:
	case GATT_PROC_SUBSCRIBE:
	case GATT_PROC_UNSUBSCRIBE:
		return r->handle ? 0 : -EINVAL;
	case GATT_PROC_READ_MULTIPLE:
		if (r->n_handles < 2 || r->n_handles > GATT_CLIENT_READ_MULTIPLE_MAX || !r->handles)
			return -EINVAL;
		for (size_t i = 0; i < r->n_handles; i++)
			if (!r->handles[i])
				return -EINVAL;
		return 0;
	case GATT_PROC_WRITE:
	case GATT_PROC_WRITE_COMMAND:
	case GATT_PROC_WRITE_LONG:
	case GATT_PROC_SIGNED_WRITE:
		if (!r->handle || (r->len && !r->value))
			return -EINVAL;
		if (r->type == GATT_PROC_WRITE_LONG && !r->len)
			return -EINVAL;
		if (r->len > ATT_MAX_VALUE_LEN ||
		    (r->type == GATT_PROC_WRITE_LONG && r->offset + r->len > ATT_MAX_VALUE_LEN))
			return -EMSGSIZE;
		if (r->type == GATT_PROC_SIGNED_WRITE && !c->cfg.sign)
			return -ENOKEY;
		return 0;
	default:
		return -EINVAL;
	}
	/* Ranges: 0..0 is everything; otherwise start must be 1..end, except
	 * for descriptors and includes where an empty range is an empty answer. */
	if (!r->start && !r->end)
		return 0;
	if (!r->start)
		return -EINVAL;
	return 0;
}

int gatt_client_request(struct gatt_client *c, uint16_t conn, const struct gatt_client_req *req,
			uint64_t now_ms, struct gatt_client_outbox *out)
{
	struct gatt_client_conn *k = find_conn(c, conn);
	if (!k || k->dead)
		return -ENOTCONN;
	int rc = check_req(c, req);
	if (rc < 0)
		return rc;
	if (k->qn >= GATT_CLIENT_QUEUE_MAX)
		return -ENOBUFS;
	struct gatt_proc *p = &k->queue[(k->qhead + k->qn) % GATT_CLIENT_QUEUE_MAX];
	memset(p, 0, sizeof *p);
	p->req = *req;
	if (req->type == GATT_PROC_READ_MULTIPLE) {
		for (size_t i = 0; i < req->n_handles; i++) {
			p->value[2 * i] = (uint8_t)req->handles[i];
			p->value[2 * i + 1] = (uint8_t)(req->handles[i] >> 8);
		}
		p->len = (uint16_t)(req->n_handles * 2);
	} else if (req->len) {
		memcpy(p->value, req->value, req->len);
		p->len = (uint16_t)req->len;
	}
	p->req.len = p->len;
	if (!p->req.start && !p->req.end) {
		p->req.start = 1;
		p->req.end = 0xffff;
	}
	k->qn++;
	struct cl_ctx x = { .c = c, .k = k, .out = out, .now = now_ms };
	start_next(&x);
	return 0;
}

/* ---- input ------------------------------------------------------------------------- */

/* The response opcode that answers a request opcode. */
static uint8_t response_of(uint8_t req)
{
	return req == ATT_EXECUTE_WRITE_REQ || req == ATT_PREPARE_WRITE_REQ ||
			       req == ATT_WRITE_REQ || (req >= ATT_EXCHANGE_MTU_REQ &&
							req <= ATT_READ_BY_GROUP_TYPE_REQ && !(req & 1))
		       ? (uint8_t)(req + 1)
		       : 0;
}

static int on_notification(struct cl_ctx *x, const uint8_t *pdu, size_t len)
{
	struct att_pdu p;
	if (len > x->k->mtu || att_decode(pdu, len, &p) < 0)
		return -EBADMSG;
	if (p.opcode == ATT_MULTIPLE_HANDLE_VALUE_NTF) {
		struct rd r = rd_init(p.tuples.list, p.tuples.list_len);
		struct att_handle_value e;
		while (att_mult_ntf_next(&r, &e)) {
			struct gatt_client_event *ev = cl_emit(x, GATT_CEV_NOTIFICATION);
			if (ev) {
				ev->proc = GATT_PROC_NONE;
				ev->id = 0;
				ev->handle = e.handle;
				cl_emit_value(x, ev, e.value, e.len);
			}
		}
		return 0;
	}
	bool ind = p.opcode == ATT_HANDLE_VALUE_IND;
	struct gatt_client_event *ev = cl_emit(x, ind ? GATT_CEV_INDICATION : GATT_CEV_NOTIFICATION);
	if (ev) {
		ev->proc = GATT_PROC_NONE;
		ev->id = 0;
		ev->handle = p.hv.handle;
		cl_emit_value(x, ev, p.hv.value, p.hv.len);
	}
	if (ind) {
		struct att_pdu cfm = { .opcode = ATT_HANDLE_VALUE_CFM };
		cl_send_pdu(x, &cfm);
	}
	return 0;
}

int gatt_client_on_pdu(struct gatt_client *c, uint16_t conn, const uint8_t *pdu, size_t len,
		       uint64_t now_ms, struct gatt_client_outbox *out)
{
	struct gatt_client_conn *k = find_conn(c, conn);
	if (!k)
		return -ENOTCONN;
	if (!len || k->dead)
		return -EPROTO;
	struct cl_ctx x = { .c = c, .k = k, .out = out, .now = now_ms };
	enum att_kind kind = att_opcode_kind(pdu[0]);
	if (kind == ATT_NTF || kind == ATT_IND)
		return on_notification(&x, pdu, len);
	if (kind != ATT_RSP || !att_opcode_lookup(pdu[0]))
		return -EPROTO;
	if (k->stale_op) {
		/* The answer to our predecessor's request (sequential ATT: the
		 * only one outstanding), not to anything of ours: dropped, and
		 * the bearer is free again. */
		k->stale_op = 0;
		start_next(&x);
		return 0;
	}
	if (!k->busy || !k->cur.sent_op)
		return -EPROTO; /* nobody asked */
	struct att_pdu p;
	uint8_t want = response_of(k->cur.sent_op);
	if (k->cur.sent_op == ATT_READ_MULTIPLE_REQ)
		want = ATT_READ_MULTIPLE_RSP;
	if (len > k->mtu) {
		cl_finish(&x, -EBADMSG, 0, "response longer than the ATT MTU", NULL, 0);
	} else if (att_decode(pdu, len, &p) < 0) {
		cl_finish(&x, -EBADMSG, 0, "malformed response", NULL, 0);
	} else if (p.opcode == ATT_ERROR_RSP) {
		if (p.error.request_opcode != k->cur.sent_op)
			cl_finish(&x, -EPROTO, 0, "error response for another request", NULL, 0);
		else if (p.error.code == 0)
			cl_finish(&x, -EBADMSG, 0, "error response with error code 0", NULL, 0);
		else
			cl_proc_error(&x, &p.error);
	} else if (p.opcode != want) {
		cl_finish(&x, -EPROTO, 0, "unexpected response opcode", NULL, 0);
	} else {
		k->cur.sent_op = 0;
		cl_proc_response(&x, &p, len);
	}
	return 0;
}

/* ---- the end of bearers --------------------------------------------------------------- */

/* Ends the current and every queued procedure with err. */
static void fail_all(struct cl_ctx *x, int err, const char *cur_msg, const char *queued_msg)
{
	struct gatt_client_conn *k = x->k;
	k->dead = true; /* stops start_next */
	if (k->busy)
		cl_finish(x, err, 0, cur_msg, NULL, 0);
	while (k->qn) {
		k->cur = k->queue[k->qhead];
		k->qhead = (k->qhead + 1) % GATT_CLIENT_QUEUE_MAX;
		k->qn--;
		k->busy = true;
		cl_finish(x, err == -ETIMEDOUT ? -ENOTCONN : err, 0, queued_msg, NULL, 0);
	}
}

int gatt_client_disconnect(struct gatt_client *c, uint16_t conn, struct gatt_client_outbox *out)
{
	struct gatt_client_conn *k = find_conn(c, conn);
	if (!k)
		return -ENOENT;
	struct cl_ctx x = { .c = c, .k = k, .out = out };
	fail_all(&x, -ENOTCONN, "the link was disconnected", "the link was disconnected");
	memset(k, 0, sizeof *k);
	return 0;
}

void gatt_client_tick(struct gatt_client *c, uint64_t now_ms, struct gatt_client_outbox *out)
{
	for (int i = 0; i < GATT_CLIENT_MAX_CONN; i++) {
		struct gatt_client_conn *k = &c->conns[i];
		if (k->used && k->stale_op && !k->deadline)
			k->deadline = now_ms + c->cfg.timeout_ms;
		bool waiting = k->stale_op || (k->busy && k->cur.sent_op);
		if (!k->used || k->dead || !waiting || now_ms < k->deadline)
			continue;
		struct cl_ctx x = { .c = c, .k = k, .out = out, .now = now_ms };
		fail_all(&x, -ETIMEDOUT, "no response within the ATT transaction timeout (30 s)",
			 "the ATT bearer timed out");
	}
}

uint64_t gatt_client_next_deadline(const struct gatt_client *c)
{
	uint64_t next = UINT64_MAX;
	for (int i = 0; i < GATT_CLIENT_MAX_CONN; i++) {
		const struct gatt_client_conn *k = &c->conns[i];
		bool waiting = k->stale_op || (k->busy && k->cur.sent_op);
		if (k->used && !k->dead && waiting && k->deadline < next)
			next = k->deadline;
	}
	return next;
}
