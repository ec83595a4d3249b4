/* The GATT client's procedures (Core Vol 3 Part G 4.3-4.12): the request
 * each one sends, and the strict reading of its responses. A response that
 * breaks the rules (handles outside the range asked or going backwards, an
 * entry size that is no UUID, a value that does not echo) ends the
 * procedure with -EBADMSG and words saying what was wrong. */
#include "gatt_client_int.h"

#include <errno.h>
#include <string.h>

#define BAD(x, msg) cl_finish((x), -EBADMSG, 0, (msg), NULL, 0)

/* ---- sending ---------------------------------------------------------------------- */

static void send_type_req(struct cl_ctx *x, uint8_t op, uint16_t start, uint16_t end,
			  struct att_uuid type)
{
	struct att_pdu p = { .opcode = op, .type_req = { .start = start, .end = end, .type = type } };
	cl_send_request(x, &p);
}

static void send_find_info(struct cl_ctx *x, uint16_t start, uint16_t end)
{
	struct att_pdu p = { .opcode = ATT_FIND_INFORMATION_REQ, .range = { start, end } };
	cl_send_request(x, &p);
}

static void send_read(struct cl_ctx *x, uint16_t handle)
{
	struct att_pdu p = { .opcode = ATT_READ_REQ, .read = { handle } };
	cl_send_request(x, &p);
}

static void send_blob(struct cl_ctx *x, uint16_t handle, uint16_t offset)
{
	struct att_pdu p = { .opcode = ATT_READ_BLOB_REQ, .read_blob = { handle, offset } };
	cl_send_request(x, &p);
}

static void send_write(struct cl_ctx *x, uint8_t op, uint16_t handle, const uint8_t *v,
		       size_t len)
{
	struct att_pdu p = { .opcode = op, .hv = { .handle = handle, .value = v, .len = len } };
	cl_send_request(x, &p);
}

static void send_prepare(struct cl_ctx *x)
{
	struct gatt_proc *q = &x->k->cur;
	size_t room = x->k->mtu - 5u;
	size_t left = q->len - q->cursor;
	q->chunk = (uint16_t)(left < room ? left : room);
	struct att_pdu p = { .opcode = ATT_PREPARE_WRITE_REQ,
			     .prepare = { .handle = q->req.handle,
					  .offset = (uint16_t)(q->req.offset + q->cursor),
					  .value = q->value + q->cursor,
					  .len = q->chunk } };
	cl_send_request(x, &p);
}

static void send_execute(struct cl_ctx *x, uint8_t flags)
{
	struct att_pdu p = { .opcode = ATT_EXECUTE_WRITE_REQ, .execute = { flags } };
	cl_send_request(x, &p);
}

/* A long write goes wrong after parts were queued: cancel them first, then
 * report. */
static void cancel_write(struct cl_ctx *x, int err, uint8_t att, const char *msg)
{
	struct gatt_proc *q = &x->k->cur;
	q->cancelling = true;
	q->pend_err = err;
	q->pend_att = att;
	q->pend_msg = msg;
	send_execute(x, ATT_EXEC_WRITE_CANCEL);
}

static void send_cccd(struct cl_ctx *x)
{
	struct gatt_proc *q = &x->k->cur;
	uint16_t v = 0;
	if (q->req.type == GATT_PROC_SUBSCRIBE)
		v = q->req.indicate ? GATT_CCC_INDICATE : GATT_CCC_NOTIFY;
	q->value[0] = (uint8_t)v;
	q->value[1] = (uint8_t)(v >> 8);
	send_write(x, ATT_WRITE_REQ, q->cccd, q->value, 2);
}

/* A write without response: sent, and the procedure ends at once. */
static void send_command(struct cl_ctx *x)
{
	struct gatt_proc *q = &x->k->cur;
	uint8_t sig[ATT_SIGNATURE_LEN];
	bool is_signed = q->req.type == GATT_PROC_SIGNED_WRITE;
	size_t room = x->k->mtu - 3u - (is_signed ? ATT_SIGNATURE_LEN : 0);
	if (q->len > room) {
		cl_finish(x, -EMSGSIZE, 0, "value longer than the MTU allows without response",
			  NULL, 0);
		return;
	}
	struct att_pdu p = { .opcode = ATT_WRITE_CMD,
			     .hv = { .handle = q->req.handle, .value = q->value, .len = q->len } };
	if (is_signed) {
		uint8_t msg[3 + ATT_MAX_VALUE_LEN];
		msg[0] = ATT_SIGNED_WRITE_CMD;
		msg[1] = (uint8_t)q->req.handle;
		msg[2] = (uint8_t)(q->req.handle >> 8);
		memcpy(msg + 3, q->value, q->len);
		int rc = x->c->cfg.sign(x->c->cfg.sign_arg, x->k->conn, msg, 3u + q->len, sig);
		if (rc < 0) {
			cl_finish(x, rc, 0, "no signing key for this link", NULL, 0);
			return;
		}
		p = (struct att_pdu){ .opcode = ATT_SIGNED_WRITE_CMD,
				      .signed_write = { .handle = q->req.handle,
							.value = q->value,
							.len = q->len } };
		memcpy(p.signed_write.signature, sig, sizeof sig);
	}
	if (!cl_send_pdu(x, &p))
		cl_finish(x, -ENOBUFS, 0, "the outbox is full", NULL, 0);
	else
		cl_finish(x, 0, 0, NULL, NULL, 0);
}

/* Sends the next discovery request from the cursor, or ends the procedure
 * when the range is covered. */
static void next_discovery(struct cl_ctx *x)
{
	struct gatt_proc *q = &x->k->cur;
	if (!q->cursor || q->cursor > q->req.end) {
		cl_finish(x, 0, 0, NULL, NULL, 0);
		return;
	}
	switch (q->req.type) {
	case GATT_PROC_DISCOVER_SERVICES:
		send_type_req(x, ATT_READ_BY_GROUP_TYPE_REQ, q->cursor, 0xffff,
			      att_uuid16(GATT_PRIMARY_SERVICE_UUID));
		break;
	case GATT_PROC_DISCOVER_SERVICES_BY_UUID: {
		struct att_uuid u = att_uuid_shorten(&q->req.uuid);
		struct att_pdu p = { .opcode = ATT_FIND_BY_TYPE_VALUE_REQ,
				     .find_by_type = { .start = q->cursor,
						       .end = 0xffff,
						       .type = GATT_PRIMARY_SERVICE_UUID,
						       .value = u.b,
						       .value_len = u.len } };
		/* The value points into u: encoded before u goes. */
		cl_send_request(x, &p);
		break;
	}
	case GATT_PROC_FIND_INCLUDED:
		send_type_req(x, ATT_READ_BY_TYPE_REQ, q->cursor, q->req.end,
			      att_uuid16(GATT_INCLUDE_UUID));
		break;
	case GATT_PROC_DISCOVER_CHARACTERISTICS:
		send_type_req(x, ATT_READ_BY_TYPE_REQ, q->cursor, q->req.end,
			      att_uuid16(GATT_CHARACTERISTIC_UUID));
		break;
	case GATT_PROC_READ_BY_UUID:
		send_type_req(x, ATT_READ_BY_TYPE_REQ, q->cursor, q->req.end, q->req.uuid);
		break;
	case GATT_PROC_DISCOVER_DESCRIPTORS:
	case GATT_PROC_SUBSCRIBE:
	case GATT_PROC_UNSUBSCRIBE:
		send_find_info(x, q->cursor, q->req.end);
		break;
	default:
		cl_finish(x, -EINVAL, 0, "not a discovery", NULL, 0);
	}
}

/* After the last handle of a response: continue past it, or stop at 0xffff. */
static void advance(struct cl_ctx *x, uint16_t last)
{
	x->k->cur.cursor = last == 0xffff ? 0 : (uint16_t)(last + 1);
	next_discovery(x);
}

void cl_proc_start(struct cl_ctx *x)
{
	struct gatt_proc *q = &x->k->cur;
	q->cursor = q->req.start;
	switch (q->req.type) {
	case GATT_PROC_EXCHANGE_MTU: {
		struct att_pdu p = { .opcode = ATT_EXCHANGE_MTU_REQ,
				     .mtu = q->req.mtu ? q->req.mtu : x->c->cfg.mtu };
		cl_send_request(x, &p);
		break;
	}
	case GATT_PROC_DISCOVER_SERVICES:
	case GATT_PROC_DISCOVER_SERVICES_BY_UUID:
	case GATT_PROC_FIND_INCLUDED:
	case GATT_PROC_DISCOVER_CHARACTERISTICS:
	case GATT_PROC_DISCOVER_DESCRIPTORS:
	case GATT_PROC_READ_BY_UUID:
		next_discovery(x);
		break;
	case GATT_PROC_READ:
		send_read(x, q->req.handle);
		break;
	case GATT_PROC_READ_LONG:
		if (q->req.offset)
			send_blob(x, q->req.handle, q->req.offset);
		else
			send_read(x, q->req.handle);
		break;
	case GATT_PROC_READ_MULTIPLE: {
		struct att_pdu p = { .opcode = ATT_READ_MULTIPLE_REQ,
				     .handles = { .list = q->value, .count = q->len / 2u } };
		cl_send_request(x, &p);
		break;
	}
	case GATT_PROC_WRITE:
		if (q->len > x->k->mtu - 3u)
			cl_finish(x, -EMSGSIZE, 0, "value longer than ATT_MTU-3: use a long write",
				  NULL, 0);
		else
			send_write(x, ATT_WRITE_REQ, q->req.handle, q->value, q->len);
		break;
	case GATT_PROC_WRITE_LONG:
		q->cursor = 0;
		send_prepare(x);
		break;
	case GATT_PROC_WRITE_COMMAND:
	case GATT_PROC_SIGNED_WRITE:
		send_command(x);
		break;
	case GATT_PROC_SUBSCRIBE:
	case GATT_PROC_UNSUBSCRIBE:
		q->cccd = q->req.cccd;
		if (q->cccd) {
			send_cccd(x);
		} else if (q->req.handle == 0xffff) {
			cl_finish(x, -ENOENT, 0, "no CCCD after the last handle", NULL, 0);
		} else {
			q->req.end = 0xffff;
			q->cursor = (uint16_t)(q->req.handle + 1);
			next_discovery(x);
		}
		break;
	default:
		cl_finish(x, -EINVAL, 0, "unknown procedure", NULL, 0);
	}
}

/* ---- responses ---------------------------------------------------------------------- */

static void on_services(struct cl_ctx *x, const struct att_data_list *d)
{
	struct gatt_proc *q = &x->k->cur;
	if (d->length != 6 && d->length != 20)
		return BAD(x, "service entries are neither 16- nor 128-bit UUIDs");
	struct rd r = rd_init(d->list, d->list_len);
	struct att_group_entry e;
	uint16_t last = 0;
	while (att_read_by_group_type_next(&r, d->length, &e)) {
		if (e.handle < q->cursor || e.handle <= last || e.end < e.handle)
			return BAD(x, "service handles out of order or outside the range asked");
		struct gatt_client_event *ev = cl_emit(x, GATT_CEV_SERVICE);
		struct rd u = rd_init(e.value, e.len);
		if (ev) {
			ev->handle = e.handle;
			ev->end = e.end;
			att_uuid_read(&u, e.len, &ev->uuid);
		}
		last = e.end;
	}
	advance(x, last);
}

static void on_services_by_uuid(struct cl_ctx *x, const struct att_handles_info_list *l)
{
	struct gatt_proc *q = &x->k->cur;
	struct rd r = rd_init(l->list, l->list_len);
	struct att_handles_info e;
	uint16_t last = 0;
	while (att_handles_info_next(&r, &e)) {
		if (e.found < q->cursor || e.found <= last || e.group_end < e.found)
			return BAD(x, "service handles out of order or outside the range asked");
		struct gatt_client_event *ev = cl_emit(x, GATT_CEV_SERVICE);
		if (ev) {
			ev->handle = e.found;
			ev->end = e.group_end;
			ev->uuid = q->req.uuid;
		}
		last = e.group_end;
	}
	advance(x, last);
}

/* Entries of a Read By Type Response must lie in cursor..end, ascending. */
static bool in_order(const struct gatt_proc *q, uint16_t h, uint16_t last)
{
	return h >= q->cursor && h <= q->req.end && (!last || h > last);
}

static void on_includes(struct cl_ctx *x, const struct att_data_list *d)
{
	struct gatt_proc *q = &x->k->cur;
	if (d->length != 8 && d->length != 6)
		return BAD(x, "include entries are neither 8 nor 6 bytes");
	struct rd r = rd_init(d->list, d->list_len);
	struct att_type_entry e;
	uint16_t last = 0;
	while (att_read_by_type_next(&r, d->length, &e)) {
		struct rd v = rd_init(e.value, e.len);
		uint16_t start = rd_le16(&v), end = rd_le16(&v);
		if (!in_order(q, e.handle, last) || !start || end < start)
			return BAD(x, "include handles out of order or outside the range asked");
		if (d->length == 6) {
			/* A 128-bit UUID: read it from the service declaration. */
			q->inc_handle = e.handle;
			q->inc_start = start;
			q->inc_end = end;
			q->cursor = e.handle;
			send_read(x, start);
			return;
		}
		struct gatt_client_event *ev = cl_emit(x, GATT_CEV_INCLUDE);
		if (ev) {
			ev->handle = e.handle;
			ev->start = start;
			ev->end = end;
			att_uuid_read(&v, 2, &ev->uuid);
		}
		last = e.handle;
	}
	advance(x, last);
}

static void on_include_uuid(struct cl_ctx *x, const struct att_value *v)
{
	struct gatt_proc *q = &x->k->cur;
	if (v->len != 16)
		return BAD(x, "the included service's declaration is not a 128-bit UUID");
	struct gatt_client_event *ev = cl_emit(x, GATT_CEV_INCLUDE);
	if (ev) {
		struct rd r = rd_init(v->value, v->len);
		ev->handle = q->inc_handle;
		ev->start = q->inc_start;
		ev->end = q->inc_end;
		att_uuid_read(&r, 16, &ev->uuid);
	}
	q->inc_handle = 0;
	advance(x, q->cursor);
}

static void on_characteristics(struct cl_ctx *x, const struct att_data_list *d)
{
	struct gatt_proc *q = &x->k->cur;
	if (d->length != 7 && d->length != 21)
		return BAD(x, "characteristic entries are neither 7 nor 21 bytes");
	struct rd r = rd_init(d->list, d->list_len);
	struct att_type_entry e;
	uint16_t last = 0;
	while (att_read_by_type_next(&r, d->length, &e)) {
		struct rd v = rd_init(e.value, e.len);
		uint8_t props = rd_u8(&v);
		uint16_t value_handle = rd_le16(&v);
		struct att_uuid uuid;
		att_uuid_read(&v, e.len - 3u, &uuid);
		if (!in_order(q, e.handle, last) || value_handle <= e.handle)
			return BAD(x, "characteristic handles out of order or outside the range "
				      "asked");
		last = e.handle;
		if (q->req.has_uuid && !att_uuid_eq(&uuid, &q->req.uuid))
			continue;
		struct gatt_client_event *ev = cl_emit(x, GATT_CEV_CHARACTERISTIC);
		if (ev) {
			ev->handle = e.handle;
			ev->value_handle = value_handle;
			ev->props = props;
			ev->uuid = uuid;
		}
	}
	advance(x, last);
}

static bool is_declaration(const struct att_uuid *u)
{
	return att_uuid_is(u, GATT_PRIMARY_SERVICE_UUID) ||
	       att_uuid_is(u, GATT_SECONDARY_SERVICE_UUID) || att_uuid_is(u, GATT_INCLUDE_UUID) ||
	       att_uuid_is(u, GATT_CHARACTERISTIC_UUID);
}

static void on_information(struct cl_ctx *x, const struct att_find_information_rsp *f)
{
	struct gatt_proc *q = &x->k->cur;
	struct rd r = rd_init(f->list, f->list_len);
	struct att_info_entry e;
	uint16_t last = 0;
	bool subscribing = q->req.type != GATT_PROC_DISCOVER_DESCRIPTORS;
	while (att_find_info_next(&r, f->format, &e)) {
		if (!in_order(q, e.handle, last))
			return BAD(x, "descriptor handles out of order or outside the range asked");
		last = e.handle;
		if (subscribing) {
			if (is_declaration(&e.type)) {
				return cl_finish(x, -ENOENT, 0, "the characteristic has no CCCD",
						 NULL, 0);
			}
			if (att_uuid_is(&e.type, GATT_CLIENT_CHAR_CFG_UUID)) {
				q->cccd = e.handle;
				return send_cccd(x);
			}
			continue;
		}
		struct gatt_client_event *ev = cl_emit(x, GATT_CEV_DESCRIPTOR);
		if (ev) {
			ev->handle = e.handle;
			ev->uuid = e.type;
		}
	}
	advance(x, last);
}

static void on_read_by_uuid(struct cl_ctx *x, const struct att_data_list *d)
{
	struct gatt_proc *q = &x->k->cur;
	struct rd r = rd_init(d->list, d->list_len);
	struct att_type_entry e;
	uint16_t last = 0;
	while (att_read_by_type_next(&r, d->length, &e)) {
		if (!in_order(q, e.handle, last))
			return BAD(x, "value handles out of order or outside the range asked");
		last = e.handle;
		struct gatt_client_event *ev = cl_emit(x, GATT_CEV_VALUE);
		if (ev) {
			ev->handle = e.handle;
			cl_emit_value(x, ev, e.value, e.len);
		}
	}
	advance(x, last);
}

/* A part of a long read: keep it, and ask for more while parts are full. */
static void on_read_part(struct cl_ctx *x, const struct att_value *v)
{
	struct gatt_client_conn *k = x->k;
	struct gatt_proc *q = &k->cur;
	if (q->whole_read) {
		if (v->len < q->req.offset)
			return cl_finish(x, 0, ATT_ECODE_INVALID_OFFSET, "offset past the value",
					 NULL, 0);
		return cl_finish(x, 0, 0, NULL, v->value + q->req.offset, v->len - q->req.offset);
	}
	if (v->len > (size_t)ATT_MAX_VALUE_LEN - q->req.offset - k->acc_len)
		return BAD(x, "the value grows past 512 bytes");
	memcpy(k->acc + k->acc_len, v->value, v->len);
	k->acc_len = (uint16_t)(k->acc_len + v->len);
	if (v->len == k->mtu - 1u && q->req.offset + k->acc_len < ATT_MAX_VALUE_LEN)
		send_blob(x, q->req.handle, (uint16_t)(q->req.offset + k->acc_len));
	else
		cl_finish(x, 0, 0, NULL, k->acc, k->acc_len);
}

static void on_prepared(struct cl_ctx *x, const struct att_prepare_write *w)
{
	struct gatt_proc *q = &x->k->cur;
	if (w->handle != q->req.handle || w->offset != q->req.offset + q->cursor ||
	    w->len != q->chunk || memcmp(w->value, q->value + q->cursor, w->len))
		return cancel_write(x, -EBADMSG, 0,
				    "the prepare write response does not echo the request");
	q->cursor = (uint16_t)(q->cursor + q->chunk);
	if (q->cursor < q->len)
		send_prepare(x);
	else
		send_execute(x, ATT_EXEC_WRITE_WRITE);
}

void cl_proc_response(struct cl_ctx *x, const struct att_pdu *p, size_t raw_len)
{
	struct gatt_client_conn *k = x->k;
	struct gatt_proc *q = &k->cur;
	switch (p->opcode) {
	case ATT_EXCHANGE_MTU_RSP: {
		if (p->mtu < ATT_DEFAULT_LE_MTU)
			return BAD(x, "the server's MTU is below 23");
		uint16_t ours = q->req.mtu ? q->req.mtu : x->c->cfg.mtu;
		k->mtu = p->mtu < ours ? p->mtu : ours;
		return cl_finish(x, 0, 0, NULL, NULL, 0);
	}
	case ATT_READ_BY_GROUP_TYPE_RSP:
		return on_services(x, &p->data_list);
	case ATT_FIND_BY_TYPE_VALUE_RSP:
		return on_services_by_uuid(x, &p->handles_info);
	case ATT_READ_BY_TYPE_RSP:
		if (q->req.type == GATT_PROC_FIND_INCLUDED)
			return on_includes(x, &p->data_list);
		if (q->req.type == GATT_PROC_DISCOVER_CHARACTERISTICS)
			return on_characteristics(x, &p->data_list);
		return on_read_by_uuid(x, &p->data_list);
	case ATT_FIND_INFORMATION_RSP:
		return on_information(x, &p->find_info);
	case ATT_READ_RSP:
		if (q->req.type == GATT_PROC_FIND_INCLUDED)
			return on_include_uuid(x, &p->value);
		if (q->req.type == GATT_PROC_READ_LONG)
			return on_read_part(x, &p->value);
		return cl_finish(x, 0, 0, NULL, p->value.value, p->value.len);
	case ATT_READ_BLOB_RSP:
		return on_read_part(x, &p->value);
	case ATT_READ_MULTIPLE_RSP:
		return cl_finish(x, 0, 0, NULL, p->value.value, p->value.len);
	case ATT_WRITE_RSP:
		return cl_finish(x, 0, 0, NULL, NULL, 0);
	case ATT_PREPARE_WRITE_RSP:
		return on_prepared(x, &p->prepare);
	case ATT_EXECUTE_WRITE_RSP:
		if (q->cancelling)
			return cl_finish(x, q->pend_err, q->pend_att, q->pend_msg, NULL, 0);
		return cl_finish(x, 0, 0, NULL, NULL, 0);
	default:
		return cl_finish(x, -EPROTO, 0, "unexpected response", NULL, 0);
	}
	(void)raw_len;
}

void cl_proc_error(struct cl_ctx *x, const struct att_error_rsp *e)
{
	struct gatt_client_conn *k = x->k;
	struct gatt_proc *q = &k->cur;
	bool discovery = e->request_opcode == ATT_READ_BY_GROUP_TYPE_REQ ||
			 e->request_opcode == ATT_FIND_BY_TYPE_VALUE_REQ ||
			 e->request_opcode == ATT_READ_BY_TYPE_REQ ||
			 e->request_opcode == ATT_FIND_INFORMATION_REQ;
	/* Attribute Not Found ends a discovery that found what there is. */
	if (discovery && e->code == ATT_ECODE_ATTRIBUTE_NOT_FOUND) {
		if (q->req.type == GATT_PROC_SUBSCRIBE || q->req.type == GATT_PROC_UNSUBSCRIBE)
			return cl_finish(x, -ENOENT, 0, "the characteristic has no CCCD", NULL, 0);
		return cl_finish(x, 0, 0, NULL, NULL, 0);
	}
	/* A value exactly a multiple of MTU-1 long: its end is found by a
	 * read past it, which some servers refuse. */
	if (q->req.type == GATT_PROC_READ_LONG && e->request_opcode == ATT_READ_BLOB_REQ &&
	    k->acc_len &&
	    (e->code == ATT_ECODE_ATTRIBUTE_NOT_LONG || e->code == ATT_ECODE_INVALID_OFFSET))
		return cl_finish(x, 0, 0, NULL, k->acc, k->acc_len);
	/* Reading a short value from an offset: the server wants a Read. */
	if (q->req.type == GATT_PROC_READ_LONG && e->request_opcode == ATT_READ_BLOB_REQ &&
	    !k->acc_len && e->code == ATT_ECODE_ATTRIBUTE_NOT_LONG && !q->whole_read) {
		q->whole_read = true;
		return send_read(x, q->req.handle);
	}
	if (q->req.type == GATT_PROC_WRITE_LONG && e->request_opcode == ATT_PREPARE_WRITE_REQ &&
	    q->cursor)
		return cancel_write(x, 0, e->code, "the server refused a part of the long write");
	if (q->cancelling)
		return cl_finish(x, q->pend_err, q->pend_att, q->pend_msg, NULL, 0);
	cl_finish(x, 0, e->code, att_error_name(e->code), NULL, 0);
}
