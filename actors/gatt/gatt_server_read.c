/* The GATT server's discovery and read handlers (Core Vol 3 Part F 3.4.3,
 * 3.4.4). Each writes its response into x->w, whose capacity is the
 * bearer's MTU, so lists stop where wr_room() says. */
#include "gatt_server_int.h"

#include <string.h>

uint8_t gatt_check_access(const struct gatt_conn *c, const struct gatt_attr *a, bool write)
{
	uint16_t p = a->perm;
	uint16_t enc = write ? GATT_PERM_WRITE_ENCRYPTED : GATT_PERM_READ_ENCRYPTED;
	uint16_t authen = write ? GATT_PERM_WRITE_AUTHENTICATED : GATT_PERM_READ_AUTHENTICATED;
	uint16_t author = write ? GATT_PERM_WRITE_AUTHORIZED : GATT_PERM_READ_AUTHORIZED;
	if (!(p & (write ? GATT_PERM_WRITE : GATT_PERM_READ)))
		return write ? ATT_ECODE_WRITE_NOT_PERMITTED : ATT_ECODE_READ_NOT_PERMITTED;
	bool needs_enc = (p & (enc | authen)) || a->min_key_size;
	/* Vol 3 Part C 10.3: no encryption and no key: pair first
	 * (authentication); a key exists: encrypt. */
	if (needs_enc && !c->sec.encrypted)
		return c->sec.has_ltk ? ATT_ECODE_INSUFFICIENT_ENCRYPTION
				      : ATT_ECODE_INSUFFICIENT_AUTHENTICATION;
	if ((p & authen) && !c->sec.authenticated)
		return ATT_ECODE_INSUFFICIENT_AUTHENTICATION;
	if (needs_enc && c->sec.key_size < (a->min_key_size ? a->min_key_size : 7))
		return ATT_ECODE_INSUFFICIENT_ENCRYPTION_KEY_SIZE;
	if ((p & author) && !c->sec.authorized)
		return ATT_ECODE_INSUFFICIENT_AUTHORIZATION;
	return 0;
}

const uint8_t *gatt_attr_value(struct att_ctx *x, const struct gatt_attr *a, size_t *len)
{
	switch (a->role) {
	case GATT_ROLE_CCCD: {
		uint16_t v = x->c->cccd[a->cccd_index];
		x->tmp[0] = (uint8_t)v;
		x->tmp[1] = (uint8_t)(v >> 8);
		*len = 2;
		return x->tmp;
	}
	case GATT_ROLE_CLIENT_FEATURES:
		x->tmp[0] = x->c->client_features;
		*len = 1;
		return x->tmp;
	default:
		if (a->provided)
			return gatt_provider_value(x, a, len);
		*len = a->len;
		return a->value;
	}
}

uint8_t gatt_check_range(struct att_ctx *x, uint16_t start, uint16_t end)
{
	if (start == 0 || start > end) {
		x->err_handle = start;
		return ATT_ECODE_INVALID_HANDLE;
	}
	return 0;
}

static bool is_group(const struct gatt_attr *a)
{
	return att_uuid_is(&a->type, GATT_PRIMARY_SERVICE_UUID) ||
	       att_uuid_is(&a->type, GATT_SECONDARY_SERVICE_UUID);
}

/* Attributes with start <= handle <= end, as [first, last). */
static void range(const struct gatt_db *db, uint16_t start, uint16_t end, size_t *first,
		  size_t *last)
{
	*first = gatt_db_lower_bound(db, start);
	*last = end == 0xffff ? gatt_db_count(db) : gatt_db_lower_bound(db, (uint16_t)(end + 1));
}

uint8_t on_att_find_information_request(struct att_ctx *x, const struct att_pdu *p)
{
	uint8_t rc = gatt_check_range(x, p->range.start, p->range.end);
	if (rc)
		return rc;
	size_t i, last;
	range(x->s->db, p->range.start, p->range.end, &i, &last);
	uint8_t format = 0;
	wr_u8(&x->w, ATT_FIND_INFORMATION_RSP);
	uint8_t *fmt = wr_reserve(&x->w, 1);
	for (; i < last; i++) {
		const struct gatt_attr *a = gatt_db_at(x->s->db, i);
		uint8_t f = a->type.len == 2 ? ATT_FIND_INFO_FORMAT_16 : ATT_FIND_INFO_FORMAT_128;
		if (format && f != format)
			break;
		if (wr_room(&x->w) < 2u + a->type.len)
			break;
		format = f;
		wr_le16(&x->w, a->handle);
		att_uuid_write(&x->w, &a->type);
	}
	if (!format) {
		x->err_handle = p->range.start;
		return ATT_ECODE_ATTRIBUTE_NOT_FOUND;
	}
	*fmt = format;
	return 0;
}

uint8_t on_att_find_by_type_value_request(struct att_ctx *x, const struct att_pdu *p)
{
	const struct att_find_by_type_value_req *q = &p->find_by_type;
	uint8_t rc = gatt_check_range(x, q->start, q->end);
	if (rc)
		return rc;
	struct att_uuid type = att_uuid16(q->type);
	size_t i, last, found = 0;
	range(x->s->db, q->start, q->end, &i, &last);
	wr_u8(&x->w, ATT_FIND_BY_TYPE_VALUE_RSP);
	for (; i < last && wr_room(&x->w) >= 4; i++) {
		const struct gatt_attr *a = gatt_db_at(x->s->db, i);
		size_t len;
		/* Provided values are not compared (an app per candidate). */
		if (!att_uuid_eq(&a->type, &type) || a->provided ||
		    gatt_check_access(x->c, a, false))
			continue;
		const uint8_t *v = gatt_attr_value(x, a, &len);
		if (len != q->value_len || (len && memcmp(v, q->value, len)))
			continue;
		wr_le16(&x->w, a->handle);
		wr_le16(&x->w, is_group(a) ? a->end_group : a->handle);
		found++;
	}
	if (!found) {
		x->err_handle = q->start;
		return ATT_ECODE_ATTRIBUTE_NOT_FOUND;
	}
	return 0;
}

uint8_t on_att_read_by_type_request(struct att_ctx *x, const struct att_pdu *p)
{
	const struct att_type_req *q = &p->type_req;
	uint8_t rc = gatt_check_range(x, q->start, q->end);
	if (rc)
		return rc;
	size_t i, last, found = 0, entry = 0;
	range(x->s->db, q->start, q->end, &i, &last);
	wr_u8(&x->w, ATT_READ_BY_TYPE_RSP);
	uint8_t *length = wr_reserve(&x->w, 1);
	size_t cap = x->w.cap - 4 < 253 ? x->w.cap - 4 : 253;
	for (; i < last; i++) {
		const struct gatt_attr *a = gatt_db_at(x->s->db, i);
		if (!att_uuid_eq(&a->type, &q->type))
			continue;
		rc = gatt_check_access(x->c, a, false);
		if (rc) {
			if (found)
				break;
			/* The first one decides: its error, its handle. */
			x->err_handle = a->handle;
			return rc;
		}
		if (found && gatt_provider_unfetched(x, a))
			break; /* one app at a time: the client asks again from here */
		size_t len;
		const uint8_t *v = gatt_attr_value(x, a, &len);
		if (len > cap)
			len = cap;
		if (found && len + 2 != entry)
			break;
		if (wr_room(&x->w) < len + 2)
			break;
		entry = len + 2;
		wr_le16(&x->w, a->handle);
		wr_bytes(&x->w, v, len);
		found++;
	}
	if (!found) {
		x->err_handle = q->start;
		return ATT_ECODE_ATTRIBUTE_NOT_FOUND;
	}
	*length = (uint8_t)entry;
	return 0;
}

/* The readable attribute at handle, or an error with the handle set. */
static uint8_t readable(struct att_ctx *x, uint16_t handle, const struct gatt_attr **out)
{
	const struct gatt_attr *a = gatt_db_get(x->s->db, handle);
	x->err_handle = handle;
	if (!a)
		return ATT_ECODE_INVALID_HANDLE;
	*out = a;
	return gatt_check_access(x->c, a, false);
}

uint8_t on_att_read_request(struct att_ctx *x, const struct att_pdu *p)
{
	const struct gatt_attr *a;
	uint8_t rc = readable(x, p->read.handle, &a);
	if (rc)
		return rc;
	size_t len;
	const uint8_t *v = gatt_attr_value(x, a, &len);
	wr_u8(&x->w, ATT_READ_RSP);
	wr_bytes(&x->w, v, len < wr_room(&x->w) ? len : wr_room(&x->w));
	return 0;
}

uint8_t on_att_read_blob_request(struct att_ctx *x, const struct att_pdu *p)
{
	const struct gatt_attr *a;
	uint8_t rc = readable(x, p->read_blob.handle, &a);
	if (rc)
		return rc;
	size_t len;
	const uint8_t *v = gatt_attr_value(x, a, &len);
	/* A value a Read Response carries whole is not long (3.4.4.5). */
	if (len <= x->w.cap - 3u)
		return ATT_ECODE_ATTRIBUTE_NOT_LONG;
	if (p->read_blob.offset > len)
		return ATT_ECODE_INVALID_OFFSET;
	wr_u8(&x->w, ATT_READ_BLOB_RSP);
	size_t n = len - p->read_blob.offset;
	wr_bytes(&x->w, v + p->read_blob.offset, n < wr_room(&x->w) ? n : wr_room(&x->w));
	return 0;
}

/* Read Multiple and Read Multiple Variable: every handle must be readable
 * before anything is sent; the first failure answers. */
static uint8_t read_multiple(struct att_ctx *x, const struct att_pdu *p, bool variable)
{
	struct rd r = rd_init(p->handles.list, p->handles.count * 2);
	uint16_t h;
	const struct gatt_attr *a;
	while (att_handle_set_next(&r, &h)) {
		uint8_t rc = readable(x, h, &a);
		if (rc)
			return rc;
	}
	wr_u8(&x->w, variable ? ATT_READ_MULTIPLE_VARIABLE_RSP : ATT_READ_MULTIPLE_RSP);
	r = rd_init(p->handles.list, p->handles.count * 2);
	while (att_handle_set_next(&r, &h) && wr_room(&x->w)) {
		a = gatt_db_get(x->s->db, h);
		size_t len;
		const uint8_t *v = gatt_attr_value(x, a, &len);
		if (variable) {
			if (wr_room(&x->w) < 2)
				break;
			wr_le16(&x->w, (uint16_t)len);
		}
		wr_bytes(&x->w, v, len < wr_room(&x->w) ? len : wr_room(&x->w));
	}
	x->err_handle = 0;
	return 0;
}

uint8_t on_att_read_multiple_request(struct att_ctx *x, const struct att_pdu *p)
{
	return read_multiple(x, p, false);
}

uint8_t on_att_read_multiple_variable_request(struct att_ctx *x, const struct att_pdu *p)
{
	return read_multiple(x, p, true);
}

uint8_t on_att_read_by_group_type_request(struct att_ctx *x, const struct att_pdu *p)
{
	const struct att_type_req *q = &p->type_req;
	uint8_t rc = gatt_check_range(x, q->start, q->end);
	if (rc)
		return rc;
	if (!att_uuid_is(&q->type, GATT_PRIMARY_SERVICE_UUID) &&
	    !att_uuid_is(&q->type, GATT_SECONDARY_SERVICE_UUID)) {
		x->err_handle = q->start;
		return ATT_ECODE_UNSUPPORTED_GROUP_TYPE;
	}
	size_t i, last, found = 0, entry = 0;
	range(x->s->db, q->start, q->end, &i, &last);
	wr_u8(&x->w, ATT_READ_BY_GROUP_TYPE_RSP);
	uint8_t *length = wr_reserve(&x->w, 1);
	for (; i < last; i++) {
		const struct gatt_attr *a = gatt_db_at(x->s->db, i);
		if (!att_uuid_eq(&a->type, &q->type))
			continue;
		if (found && a->len + 4u != entry)
			break;
		if (wr_room(&x->w) < a->len + 4u)
			break;
		entry = a->len + 4u;
		wr_le16(&x->w, a->handle);
		wr_le16(&x->w, a->end_group);
		wr_bytes(&x->w, a->value, a->len);
		found++;
	}
	if (!found) {
		x->err_handle = q->start;
		return ATT_ECODE_ATTRIBUTE_NOT_FOUND;
	}
	*length = (uint8_t)entry;
	return 0;
}
